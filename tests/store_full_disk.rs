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

/// The command with a file-size limit of `limit` bytes and SIGXFSZ left as
/// the shell leaves it (its default kills the process): guardia itself
/// must ignore it.
fn limited(env: &Env, limit: u64, args: &[&str]) -> std::process::Output {
    let mut cmd = env.std_cmd_as("ana");
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_DFL);
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
    cmd.output().expect("run")
}

/// Under `ulimit -f`, an attachment larger than the limit and a ticket
/// whose write goes past it are refused with the file-size message (exit
/// 1), not killed by SIGXFSZ (exit 153, no word); no partial copy stays.
#[test]
fn a_file_size_limit_is_reported_not_a_silent_kill() {
    let env = Env::new();
    let key = env.incident("Portal lento", "Las consultas tardan un minuto.");
    let big = env.path().join("volcado.bin");
    std::fs::write(&big, vec![7u8; 256 * 1024]).expect("write");
    let out = limited(&env, 128 * 1024, &["attach", &key, &big.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("guardia: "), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one message: {err}");
    let store = env.db.with_file_name("attachments");
    let left: Vec<_> = std::fs::read_dir(&store)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "nothing left in {}: {left:?}",
        store.display()
    );

    let out = limited(
        &env,
        ROOM,
        &[
            "comment",
            &key,
            &"El disco se llena al guardar este comentario. ".repeat(2000),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("file-size limits"), "{err}");
    assert_eq!(env.show(&key)["comments"].as_array().map(Vec::len), Some(0));
    env.ok(&["doctor"]);
}
