//! Data safety around the database file: an interrupted `generate` leaves
//! no report silently wrong, a clock far ahead cannot date every later
//! change, `doctor` finds changes removed from the log and attachment
//! files that went missing or changed, a read-only open says when it
//! leaves the `-wal` out, a device is not taken for an empty file, and a
//! read-only database says who must compute the SLA outcomes.

mod common;

use common::reader::{as_reader, chmod, is_root};
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sql(db: &Path, statements: &str) {
    rusqlite::Connection::open(db)
        .and_then(|c| c.execute_batch(statements))
        .expect("edit the database behind guardia's back");
}

fn count(db: &Path, query: &str) -> i64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row(query, [], |r| r.get(0)))
        .expect("count")
}

// ----- 1. an interrupted generate -----

/// `generate` killed after some batches committed: the SLA outcomes the
/// last report filled were marked incomplete by the first batch itself,
/// so the next report computes the new tickets' outcomes instead of
/// reporting the database as it was before (CLOSED 111 where 18,317
/// tickets had closed).
#[test]
fn a_killed_generate_leaves_no_report_silently_wrong() {
    let env = Env::new();
    let range = ["--from", "2025-01-01", "--to", "2026-03-02", "--json"];
    let mut args = vec!["report"];
    args.extend_from_slice(&range);
    env.json(&args);
    assert_eq!(
        marker(&env.db).as_deref(),
        Some("complete"),
        "the report filled the outcomes"
    );
    let mut child = env
        .std_cmd_as("ana")
        .args(["generate", "--tickets", "20000"])
        .env("GUARDIA_TEST_GENERATE_BATCH", "50")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn generate");
    let started = Instant::now();
    // Some batches committed (rejections, resolutions and closings among
    // them), far from the 20,000.
    while count(&env.db, "SELECT count(*) FROM ticket") < 400 {
        assert!(
            child.try_wait().expect("poll").is_none(),
            "generate ended before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no commit");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL generate");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed: {status:?}");
    let tickets = count(&env.db, "SELECT count(*) FROM ticket");
    assert!(
        tickets < 20_000,
        "{tickets} tickets: it was not interrupted"
    );
    assert_ne!(marker(&env.db).as_deref(), Some("complete"));
    assert_eq!(
        fingerprint(&env.db).as_deref(),
        Some("stale"),
        "the SLA clocks are recomputed by the next command"
    );

    // What a report must say: the same database with every outcome
    // computed from scratch.
    let scratch = Env::empty();
    std::fs::create_dir_all(scratch.db.parent().expect("folder")).expect("folder");
    rusqlite::Connection::open(&env.db)
        .and_then(|c| c.execute("VACUUM INTO ?1", [scratch.db.to_string_lossy()]))
        .expect("copy");
    sql(
        &scratch.db,
        "DELETE FROM sla_outcome; UPDATE meta SET value = 'incomplete' WHERE key = 'sla_outcome';",
    );
    let truth = scratch.json(&args);
    let reported = env.json(&args);
    assert!(
        truth["totals"]["closed"].as_i64().unwrap_or(0) > 0
            || truth["totals"]["rejected"].as_i64().unwrap_or(0) > 0,
        "the killed generation finished some tickets: {}",
        truth["totals"]
    );
    assert_eq!(reported["totals"], truth["totals"]);
}

fn meta(db: &Path, key: &str) -> Option<String> {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)))
        .ok()
}

fn marker(db: &Path) -> Option<String> {
    meta(db, "sla_outcome")
}

fn fingerprint(db: &Path) -> Option<String> {
    meta(db, "sla_fingerprint")
}

// ----- 2. a clock far ahead -----

/// This computer's clock in these tests (debug builds only read it).
const SYSTEM_NOW: &str = "2026-03-02T09:30:00-05:00";

fn at(env: &Env, now: Option<&str>, args: &[&str]) -> Output {
    let mut c = env.std_cmd_as("ana");
    c.env("GUARDIA_TEST_SYSTEM_NOW", SYSTEM_NOW);
    match now {
        Some(n) => c.env("GUARDIA_NOW", n),
        None => c.env_remove("GUARDIA_NOW"),
    };
    c.args(args).output().expect("run guardia")
}

/// A mistyped GUARDIA_NOW (2036 for 2026) would date the change ten years
/// ahead, and with it every later change: refused, nothing written. A
/// day ahead is still accepted (time zones written wrong).
#[test]
fn a_fixed_clock_far_ahead_of_the_computers_is_refused() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    let ops = count(&env.db, "SELECT count(*) FROM op");
    let out = at(
        &env,
        Some("2036-03-02T09:30:00-05:00"),
        &["comment", &key, "hola"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("GUARDIA_NOW")
            && err.contains("2036-03-02 14:30 UTC")
            && err.contains("3653 days ahead of this computer's clock (2026-03-02 14:30 UTC)")
            && err.contains("nothing was written")
            && err.contains("Correct GUARDIA_NOW (at most 24 h ahead)"),
        "{err}"
    );
    assert_eq!(count(&env.db, "SELECT count(*) FROM op"), ops);
    let out = at(
        &env,
        Some("2026-03-03T08:30:00-05:00"),
        &["comment", &key, "mañana"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// A log already dated far ahead (an earlier build, a computer clock that
/// was wrong for a while): `doctor` says so, and each change recorded
/// after it says it was dated as late; the change itself stands.
#[test]
fn a_log_dated_far_ahead_is_reported_by_doctor_and_on_every_write() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    let healthy = at(&env, None, &["doctor"]);
    assert!(healthy.status.success(), "{}", stdout(&healthy));
    // Written by a debug build with no clock to judge by, as an older
    // guardia would have.
    let mut c = env.std_cmd_as("ana");
    c.env("GUARDIA_NOW", "2036-03-02T09:30:00-05:00");
    let out = c
        .args(["comment", &key, "del futuro"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));

    let doctor = at(&env, None, &["doctor"]);
    assert_eq!(doctor.status.code(), Some(1), "{}", stdout(&doctor));
    assert!(
        stdout(&doctor)
            .contains("is dated 2036-03-02 14:30 UTC, 3653 days ahead of this computer's clock"),
        "{}",
        stdout(&doctor)
    );
    let json: Value =
        serde_json::from_slice(&at(&env, None, &["doctor", "--json"]).stdout).expect("json");
    assert!(
        json["clock"].as_str().is_some_and(|c| c.contains("2036")),
        "{json}"
    );

    let out = at(&env, Some(SYSTEM_NOW), &["comment", &key, "hoy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("guardia: warning: the change just recorded is dated as late as the log")
            && err.contains("2036-03-02 14:30 UTC"),
        "{err}"
    );
    // Reading says nothing.
    let out = at(&env, Some(SYSTEM_NOW), &["show", &key]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

// ----- 4. attachment files -----

/// `doctor` reads every stored attachment file: one removed or altered
/// behind guardia's back is listed with its ticket, name and path (exit
/// 1); `attachments KEY` says where each file is and whether it is there
/// unchanged.
#[test]
fn doctor_finds_attachment_files_missing_or_changed() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    let trace = env.path().join("traza.txt");
    let shot = env.path().join("pantallazo.png");
    std::fs::write(&trace, "ORA-01403\n").expect("file");
    std::fs::write(&shot, [0x89, b'P', b'N', b'G']).expect("file");
    let a = env.json(&["attach", &key, &trace.to_string_lossy(), "--json"]);
    let b = env.json(&["attach", &key, &shot.to_string_lossy(), "--json"]);
    let stored = |v: &Value| {
        let sha = v["sha256"].as_str().expect("sha").to_string();
        env.db
            .parent()
            .expect("folder")
            .join("attachments")
            .join(&sha[..2])
            .join(&sha)
    };
    let listed = env.json(&["attachments", &key, "--json"]);
    assert_eq!(listed[0]["path"], stored(&a).to_string_lossy().as_ref());
    assert_eq!(listed[0]["state"], "intact");
    let text = env.ok(&["attachments", &key]);
    assert!(
        text.contains(&format!("  {}  (stored, unchanged)", stored(&a).display())),
        "{text}"
    );
    env.ok(&["doctor"]);

    std::fs::remove_file(stored(&a)).expect("remove");
    std::fs::write(stored(&b), "not a png").expect("alter");
    let (out, err) = env.failed("ana", &["doctor"]);
    assert!(err.contains("doctor found problems"), "{err}");
    assert!(
        out.contains("2 attachment file(s) missing or changed:"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{key}: attachment 'traza.txt' (sha256 {}, attached by ana): its file {} is missing",
            &a["sha256"].as_str().expect("sha")[..12],
            stored(&a).display()
        )),
        "{out}"
    );
    assert!(
        out.contains("attachment 'pantallazo.png'")
            && out.contains("has changed since it was attached"),
        "{out}"
    );
    let json: Value =
        serde_json::from_str(&env.failed("ana", &["doctor", "--json"]).0).expect("json");
    assert_eq!(
        json["attachments"].as_array().map(Vec::len),
        Some(2),
        "{json}"
    );
    let listed = env.json(&["attachments", &key, "--json"]);
    assert_eq!(listed[0]["state"], "missing");
    assert_eq!(listed[1]["state"], "changed");
    // Attaching the same content again puts the file back.
    env.json(&["attach", &key, &trace.to_string_lossy(), "--json"]);
    env.json(&["attach", &key, &shot.to_string_lossy(), "--json"]);
    env.ok(&["doctor"]);
}

/// Another site's attachment travels as a description only: its file is
/// not here, which is no problem for `doctor`; `attachments` says where
/// it was attached.
#[test]
fn another_sites_attachment_without_its_file_is_no_problem() {
    use common::sync::*;
    let s = sites(2);
    let key = s[0].support("Buzón lleno", "No llegan correos");
    let file = s[0].path().join("traza.txt");
    std::fs::write(&file, "ORA-01403\n").expect("file");
    s[0].ok(&["attach", &key, &file.to_string_lossy()]);
    import(&s[1], &export(&s[0], "LYO", "b.gdb"));
    s[1].ok(&["doctor"]);
    let listed = s[1].json(&["attachments", &key, "--json"]);
    assert_eq!(listed[0]["state"], "elsewhere");
    assert_eq!(listed[0]["site"], "BOG");
    let text = s[1].ok(&["attachments", &key]);
    assert!(text.contains("(not here: attached at site BOG"), "{text}");
}

// ----- 6. changes removed from the log -----

/// Ops deleted from the file (and their rows tidied up, so that the
/// replay agrees): `doctor` finds the hole in this site's seqs, which
/// every other site would refuse at the next export.
#[test]
fn doctor_finds_changes_removed_from_the_log() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    env.ok(&["worklog", &key, "45m"]);
    env.ok(&["comment", &key, "Revisado"]);
    env.ok(&["doctor"]);
    let seq = count(&env.db, "SELECT seq FROM op WHERE entity = 'worklog'");
    let last = count(&env.db, "SELECT max(seq) FROM op");
    sql(
        &env.db,
        "DELETE FROM op WHERE entity = 'worklog'; DELETE FROM worklog;",
    );
    let (out, _) = env.failed("ana", &["doctor"]);
    assert!(out.contains("the tables match the operation log"), "{out}");
    assert!(
        out.contains(&format!(
            "the operation log lacks 1 of this site's (BOG) changes 1-{last}: seqs {seq};"
        )),
        "{out}"
    );
    assert!(out.contains("every other site will refuse"), "{out}");
}

/// The same hole in what this site imported from another: the changeset
/// it holds says which seqs it must have.
#[test]
fn doctor_finds_changes_of_another_site_removed_from_the_log() {
    use common::sync::*;
    let s = sites(2);
    let key = s[0].support("Buzón lleno", "No llegan correos");
    s[0].ok(&["worklog", &key, "45m"]);
    s[0].ok(&["comment", &key, "Revisado"]);
    import(&s[1], &export(&s[0], "LYO", "b.gdb"));
    s[1].ok(&["doctor"]);
    let seq = count(&s[1].db, "SELECT seq FROM op WHERE entity = 'worklog'");
    sql(
        &s[1].db,
        "DELETE FROM op WHERE entity = 'worklog'; DELETE FROM worklog;",
    );
    let (out, _) = s[1].failed("ana", &["doctor"]);
    assert!(
        out.contains("of the changes of site BOG's changeset BOG 1-")
            && out.contains(&format!("which this database imported: seqs {seq};")),
        "{out}"
    );
}

// ----- 5. a -wal a read-only open leaves out -----

/// A copy of `x.db` with its `-wal` (no `-shm`) in a folder this user
/// cannot write: SQLite can only read the file alone, without the
/// changes in the WAL. Said on stderr, naming the file and what to do;
/// `doctor` does not call it healthy.
#[test]
fn a_read_only_open_that_leaves_the_wal_out_says_so() {
    let env = Env::new();
    let first = env.support("Primero", "Ya en el archivo");
    // Kept open: guardia's last close would otherwise fold the WAL in.
    let holder = rusqlite::Connection::open(&env.db).expect("open");
    holder
        .execute_batch("PRAGMA wal_autocheckpoint = 0; SELECT count(*) FROM ticket;")
        .expect("hold");
    let second = env.support("Segundo", "Solo en el -wal");
    let copy = Env::empty();
    let folder = copy.db.parent().expect("folder").to_path_buf();
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::copy(&env.db, &copy.db).expect("copy db");
    let mut wal = copy.db.as_os_str().to_owned();
    wal.push("-wal");
    let mut src_wal = env.db.as_os_str().to_owned();
    src_wal.push("-wal");
    std::fs::copy(&src_wal, &wal).expect("copy wal");
    drop(holder);
    chmod(copy.path(), 0o755);
    chmod(&copy.cfg, 0o755);
    chmod(&copy.db, if is_root() { 0o644 } else { 0o444 });
    chmod(Path::new(&wal), if is_root() { 0o644 } else { 0o444 });
    chmod(&folder, if is_root() { 0o755 } else { 0o555 });

    let out = as_reader(&copy, &["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        keys(&listed),
        std::slice::from_ref(&first),
        "the file alone"
    );
    let err = stderr(&out);
    assert!(
        err.starts_with("guardia: warning: ")
            && err.contains(&format!(
                "{} holds changes not yet copied into",
                Path::new(&wal).display()
            ))
            && err.contains("open the database once as a user who can write it")
            && err.contains("copy"),
        "{err}"
    );
    let doctor = as_reader(&copy, &["doctor", "--json"]);
    assert_eq!(doctor.status.code(), Some(1), "{}", stderr(&doctor));
    let report: Value = serde_json::from_slice(&doctor.stdout).expect("json");
    assert!(report["unread_wal"].as_str().is_some(), "{report}");

    // Its owner opens it: the WAL is folded in, and the reader sees all.
    chmod(&folder, 0o755);
    chmod(&copy.db, 0o644);
    chmod(Path::new(&wal), 0o644);
    assert_eq!(copy.list_keys(&[]), [second, first]);
}

// ----- 7. a device as the database -----

/// `/dev/null` (or a FIFO) is no empty database file to remove.
#[test]
fn a_device_or_a_pipe_is_not_a_database_file() {
    let env = Env::empty();
    let fifo = env.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    for path in [Path::new("/dev/null"), fifo.as_path()] {
        for args in [&["list"][..], &["init", "--site", "BOG"][..]] {
            let out = env
                .at_home_as("ana")
                .arg("--db")
                .arg(path)
                .args(args)
                .output()
                .expect("run");
            assert_eq!(out.status.code(), Some(1));
            let err = stderr(&out);
            assert!(
                err.contains(&format!(
                    "{} is not a regular file (a device, a pipe or a socket)",
                    path.display()
                )),
                "{args:?}: {err}"
            );
            assert!(
                !err.contains("rm ") && !err.contains("already exists"),
                "{err}"
            );
        }
    }
}

// ----- 8. a read-only database and the SLA outcomes -----

/// The outcomes a report needs have never been computed, and this user
/// cannot write: `report` says who must run what; `dashboard` leaves the
/// indicators out with the whole reason on stderr, not cut to the width.
#[test]
fn a_read_only_database_says_who_must_compute_the_sla_outcomes() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    env.ok(&["assign", &key, "ana"]);
    chmod(env.path(), 0o755);
    chmod(&env.cfg, 0o755);
    let folder = env.db.parent().expect("folder").to_path_buf();
    chmod(&env.db, if is_root() { 0o644 } else { 0o444 });
    chmod(&folder, if is_root() { 0o755 } else { 0o555 });

    let out = as_reader(&env, &["report"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("have not been computed yet")
            && err.contains("run `guardia report` once as a user who can write it")
            && !err.contains("Check the file's permissions"),
        "{err}"
    );
    let out = as_reader(&env, &["dashboard"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Indicators: left out; the warning on standard error says why"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("run `guardia report` once as a user who can write it"),
        "{}",
        stderr(&out)
    );
    chmod(&folder, 0o755);
    chmod(&env.db, 0o644);
    // Once computed by the owner, the reader gets reports.
    env.ok(&["report"]);
    chmod(&env.db, if is_root() { 0o644 } else { 0o444 });
    chmod(&folder, if is_root() { 0o755 } else { 0o555 });
    let out = as_reader(&env, &["report"]);
    assert!(out.status.success(), "{}", stderr(&out));
    chmod(&folder, 0o755);
    chmod(&env.db, 0o644);
}
