//! `guardia backup --out FILE`: a consistent copy of the database, the
//! changes still in its `-wal` included (which a plain `cp` of the file
//! misses), with the attachment files beside it; never over an existing
//! file; and a copy that restores as it is.

mod common;

use common::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// An Env whose database is the backup at `file` (and whose attachment
/// store is therefore the folder beside it).
fn env_on(file: &Path) -> Env {
    let mut env = Env::empty();
    env.db = file.to_path_buf();
    env
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn a_backup_holds_what_the_wal_holds_and_the_attachment_files() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    let trace = env.path().join("traza.txt");
    std::fs::write(&trace, "ORA-01403\n").expect("file");
    let attached = env.json(&["attach", &key, &trace.to_string_lossy(), "--json"]);
    // Another process keeps the database open: the comment stays in the
    // -wal, where a plain copy of the file does not see it.
    let holder = rusqlite::Connection::open(&env.db).expect("open");
    holder
        .execute_batch("PRAGMA wal_autocheckpoint = 0; SELECT count(*) FROM ticket;")
        .expect("hold");
    env.ok(&["comment", &key, "Solo en el -wal"]);
    let plain = env.path().join("cp.db");
    std::fs::copy(&env.db, &plain).expect("cp");
    let missed: i64 = rusqlite::Connection::open(&plain)
        .and_then(|c| c.query_row("SELECT count(*) FROM comment", [], |r| r.get(0)))
        .expect("count");
    assert_eq!(missed, 0, "a plain copy misses the -wal's commit");

    let folder = env.path().join("copias");
    std::fs::create_dir(&folder).expect("folder");
    let out = folder.join("guardia-2026-03-02.db");
    let text = env.ok(&["backup", "--out", &out.to_string_lossy()]);
    drop(holder);
    assert!(
        text.starts_with(&format!(
            "backed up {} to {} (",
            env.db.display(),
            out.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "attachment files: 1 copied to {} (0 already there)",
            folder.join("attachments").display()
        )),
        "{text}"
    );
    assert_eq!(mode(&out), 0o600);
    let sha = attached["sha256"].as_str().expect("sha");
    let copied = folder.join("attachments").join(&sha[..2]).join(sha);
    assert_eq!(std::fs::read(&copied).expect("copied"), b"ORA-01403\n");
    assert_eq!(mode(&copied), 0o600);
    assert_eq!(mode(copied.parent().expect("folder")), 0o700);

    // Restored as it is: the comment is there, and doctor finds the
    // attachment file beside it unchanged.
    let restored = env_on(&out);
    let shown = restored.show(&key);
    assert_eq!(shown["comments"][0]["body"], "Solo en el -wal");
    let doctor = restored.json(&["doctor", "--json"]);
    assert_eq!(doctor["attachments"], serde_json::json!([]), "{doctor}");
    assert_eq!(doctor["differences"], serde_json::json!([]), "{doctor}");
    assert_eq!(
        restored.json(&["attachments", &key, "--json"])[0]["state"],
        "intact"
    );

    // A second backup into the same folder shares the attachment files.
    let second = folder.join("guardia-2026-03-03.db");
    let r: Value = env.json(&["backup", "--out", &second.to_string_lossy(), "--json"]);
    assert_eq!(r["files_copied"], 0, "{r}");
    assert_eq!(r["files_present"], 1, "{r}");
    assert_eq!(r["tickets"], 1, "{r}");
    assert_eq!(r["problems"], serde_json::json!([]), "{r}");
}

#[test]
fn a_backup_never_overwrites_a_file() {
    let env = Env::new();
    env.support("Buzón lleno", "No llegan correos");
    let out = env.path().join("old.db");
    std::fs::write(&out, "an older backup").expect("file");
    let err = env.fail(&["backup", "--out", &out.to_string_lossy()]);
    assert!(
        err.contains(&format!(
            "{} already exists; a backup never overwrites a file",
            out.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).expect("kept"), b"an older backup");
    // Not even a database of its own.
    let err = env.fail(&["backup", "--out", &env.db.to_string_lossy()]);
    assert!(err.contains("already exists"), "{err}");
}

/// An attachment file of this site gone from the store: the backup is
/// made without it, names it, and says so with exit 1.
#[test]
fn a_backup_missing_an_attachment_file_says_so() {
    let env = Env::new();
    let key = env.support("Buzón lleno", "No llegan correos");
    let trace = env.path().join("traza.txt");
    std::fs::write(&trace, "ORA-01403\n").expect("file");
    let attached = env.json(&["attach", &key, &trace.to_string_lossy(), "--json"]);
    let sha = attached["sha256"].as_str().expect("sha");
    let stored = env
        .db
        .parent()
        .expect("folder")
        .join("attachments")
        .join(&sha[..2])
        .join(sha);
    std::fs::remove_file(&stored).expect("remove");
    let out = env.path().join("b.db");
    let (stdout, err) = env.failed("ana", &["backup", "--out", &out.to_string_lossy()]);
    assert!(stdout.contains("backed up"), "{stdout}");
    assert!(
        err.contains(&format!(
            "guardia: warning: {key}: attachment 'traza.txt' (sha256 {}): its file {} is missing, so the backup lacks it",
            &sha[..12],
            stored.display()
        )),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(&format!(
            "the backup {} was made, but 1 attachment file(s) of this site are not in it (listed above)",
            out.display()
        )),
        "{err}"
    );
    assert!(out.exists());
}
