//! A disk that fills up in the middle of a write: the command fails with a
//! clear message, and the database keeps exactly what it had (the write
//! transaction rolls back; nothing half-written stays).
//!
//! The "full disk" is real: the child process runs with a file-size limit
//! (RLIMIT_FSIZE) at the current size of the database files, so SQLite's
//! next write to them fails in the kernel, as on a full filesystem.

mod common;

use common::*;
use std::os::unix::process::CommandExt;

/// Room for SQLite's 32 KiB shared-memory index and nothing more: the last
/// connection to close removed the WAL, so the next write must grow a fresh
/// WAL file from zero, and a ticket with a long description needs more than
/// 32 KiB of it.
const ROOM: u64 = 32 * 1024;

#[test]
fn a_full_disk_loses_nothing_and_says_so() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "40", "--seed", "3"]);
    let before = env.json(&["list", "--json", "--limit", "1000"]);
    let ops_before = env.json(&["doctor", "--json"])["ops"].clone();
    let wal = env.db.with_file_name("guardia.db-wal");
    assert!(
        !wal.exists(),
        "the WAL was removed when the last connection closed"
    );
    let limit = ROOM;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("guardia"));
    cmd.args(["--db"])
        .arg(&env.db)
        .arg("--config")
        .arg(&env.cfg)
        .args(["--lang", "en", "--as", "ana"])
        .env("GUARDIA_NOW", NOW)
        .args([
            "new",
            "--type",
            "support",
            "--service",
            "correo",
            "--title",
            "Sin espacio",
            "--description",
            &"El disco se llena al guardar este ticket. ".repeat(400),
        ]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("guardia: "), "{err}");
    assert!(
        err.contains("nothing was saved") || err.contains("nothing was written"),
        "{err}"
    );
    assert!(err.contains("guardia.db"), "names the file: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one message: {err}");
    // With room again, everything is as it was and consistent.
    let after = env.json(&["list", "--json", "--limit", "1000"]);
    assert_eq!(before, after);
    let report = env.json(&["doctor", "--json"]);
    assert_eq!(report["ops"], ops_before);
    assert_eq!(report["differences"].as_array().map(Vec::len), Some(0));
    // And the same ticket can be registered now.
    env.ok(&[
        "new",
        "--type",
        "support",
        "--service",
        "correo",
        "--title",
        "Sin espacio",
        "--description",
        "Ahora sí hay espacio",
    ]);
}
