//! A database this user may read but not write (a colleague's, a copy
//! whose folder is read-only): reading commands show it, writing commands
//! say why they cannot, and nothing is left beside the file. SQLite would
//! otherwise create the `-wal` and `-shm` files of a WAL database, owned by
//! the reader, which the database's owner then cannot write.
//!
//! The reader is real: run as root (as in CI containers) the command drops
//! to the `nobody` account before it starts; run as an ordinary user, the
//! files are made read-only with their modes instead, which `access(2)`
//! then honours.

mod common;

use common::reader::*;
use common::*;
use guardia::store::{Access, ReadOnlyCause};
use std::path::PathBuf;
use std::process::Output;

/// A database with one ticket, its folder and file set up so the reader
/// may read them and `folder_writable` says whether it may write the
/// folder; `file_writable` whether it may write the file.
fn shared(folder_writable: bool, file_writable: bool) -> (Env, String) {
    let env = Env::new();
    let key = env.incident("Portal lento", "Las consultas tardan un minuto.");
    assert_eq!(files_beside(&env), ["guardia.db"], "closed cleanly");
    chmod(env.path(), 0o755);
    for entry in std::fs::read_dir(&env.cfg).expect("cfg") {
        chmod(&entry.expect("entry").path(), 0o644);
    }
    chmod(&env.cfg, 0o755);
    let folder = env.db.parent().expect("folder").to_path_buf();
    if is_root() {
        if file_writable {
            std::os::unix::fs::chown(&env.db, Some(NOBODY), None).expect("chown");
        }
        chmod(&env.db, 0o644);
        chmod(&folder, if folder_writable { 0o777 } else { 0o755 });
    } else {
        chmod(&env.db, if file_writable { 0o644 } else { 0o444 });
        chmod(&folder, if folder_writable { 0o755 } else { 0o555 });
    }
    (env, key)
}

/// Gives the folder back to its owner, so that the test's directory can
/// be removed.
fn restore(env: &Env) {
    chmod(env.db.parent().expect("folder"), 0o755);
    chmod(&env.db, 0o644);
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_reader_of_a_read_only_folder_sees_the_tickets_and_writes_nothing() {
    let (env, key) = shared(false, false);
    let out = as_reader(&env, &["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(keys(&listed), std::slice::from_ref(&key));
    let shown = as_reader(&env, &["show", &key]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let refused = as_reader(&env, &["comment", &key, "Sigue lento"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("is read-only for this user; nothing was written"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(files_beside(&env), ["guardia.db"]);
    restore(&env);
    assert!(
        env.show(&key)["comments"]
            .as_array()
            .expect("comments")
            .is_empty()
    );
}

#[test]
fn a_reader_leaves_no_journal_files_its_owner_could_not_write() {
    let (env, key) = shared(true, false);
    for args in [&["list"][..], &["show", &key], &["search", "lento"]] {
        let out = as_reader(&env, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(files_beside(&env), ["guardia.db"], "after {args:?}");
    }
    // The owner still writes.
    restore(&env);
    env.ok(&["comment", &key, "Sigue lento"]);
}

#[test]
fn a_file_whose_folder_is_read_only_is_said_so() {
    let (env, key) = shared(false, true);
    let out = as_reader(&env, &["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let refused = as_reader(&env, &["comment", &key, "Sigue lento"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    let folder = env.db.parent().expect("folder").display().to_string();
    assert!(
        err.contains(&format!("its folder {folder} is not writable")),
        "{err}"
    );
    assert!(err.contains("guardia.db-wal"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(files_beside(&env), ["guardia.db"]);
    restore(&env);
}

#[test]
fn a_reader_sees_what_a_writer_has_not_checkpointed_yet() {
    let (env, key) = shared(true, false);
    // Opened as the owner: the -wal and -shm are the owner's.
    let writer = rusqlite::Connection::open(&env.db).expect("open");
    writer
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0;
             UPDATE ticket SET title = 'Portal caído' WHERE key = 'BOG-1';",
        )
        .expect("write");
    let before = files_beside(&env);
    assert_eq!(before, ["guardia.db", "guardia.db-shm", "guardia.db-wal"]);
    let out = as_reader(&env, &["show", &key, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(shown["title"], "Portal caído");
    assert_eq!(files_beside(&env), before);
    drop(writer);
    restore(&env);
}

fn access(file: Result<(), i32>, folder: bool, wal: Option<bool>, shm: Option<bool>) -> Access {
    Access {
        path: PathBuf::from("/srv/guardia/guardia.db"),
        file,
        folder: PathBuf::from("/srv/guardia"),
        folder_writable: folder,
        wal: wal.map(|w| (w, 0)),
        shm: shm.map(|w| (w, 32768)),
    }
}

/// When the database is opened only to read, and why: what the tests
/// above cannot all reach as one user.
#[test]
fn the_reason_a_database_cannot_be_written_is_the_real_one() {
    assert_eq!(access(Ok(()), true, None, None).read_only(), None);
    assert_eq!(
        access(Ok(()), true, Some(true), Some(true)).read_only(),
        None
    );
    // The folder matters only while the journal files must be created.
    assert_eq!(
        access(Ok(()), false, Some(true), Some(true)).read_only(),
        None
    );
    assert_eq!(
        access(Ok(()), false, None, None).read_only(),
        Some(ReadOnlyCause::Folder(PathBuf::from("/srv/guardia")))
    );
    assert_eq!(
        access(Err(libc::EACCES), true, None, None).read_only(),
        Some(ReadOnlyCause::File)
    );
    assert_eq!(
        access(Err(libc::EROFS), true, None, None).read_only(),
        Some(ReadOnlyCause::Filesystem)
    );
    assert_eq!(
        access(Ok(()), true, Some(false), Some(true)).read_only(),
        Some(ReadOnlyCause::Companion {
            file: PathBuf::from("/srv/guardia/guardia.db-wal"),
            empty: true
        })
    );
    assert_eq!(
        access(Ok(()), true, Some(true), Some(false)).read_only(),
        Some(ReadOnlyCause::Companion {
            file: PathBuf::from("/srv/guardia/guardia.db-shm"),
            empty: true
        })
    );
}
