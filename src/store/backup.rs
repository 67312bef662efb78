//! A consistent copy of the database file while others keep working:
//! SQLite's `VACUUM INTO` reads one snapshot (the committed changes still
//! in the `-wal` included, which a plain `cp` of the file misses) and
//! writes it as a new, compact database file. The copy is created 0600
//! before SQLite fills it, and an existing file is never overwritten.

use super::{Store, StoreError, sqlite_err};
use std::path::Path;

/// What a backup holds, to tell the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub ops: i64,
    pub tickets: i64,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "{path} already exists; a backup never overwrites a file: name a new one (e.g. with today's date), or move the old one away first"
    )]
    Exists { path: std::path::PathBuf },
    #[error(
        "cannot create the backup {path} ({cause}); check that its folder exists and is writable"
    )]
    Create {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("{0}; a backup made now would miss them, so none was made")]
    WalIgnored(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes a consistent copy of the database to `out`, a file that must
    /// not exist yet. A half-written copy (a full disk, an error) is
    /// removed: a file at `out` is always a whole backup.
    pub fn backup_into(&self, out: &Path) -> Result<Copied, BackupError> {
        if let Some(warning) = self.ignored_wal_warning() {
            return Err(BackupError::WalIgnored(warning));
        }
        create_private_empty(out)?;
        let copied = self.vacuum_into(out);
        if copied.is_err() {
            super::Store::remove_files(out);
        }
        copied
    }

    fn vacuum_into(&self, out: &Path) -> Result<Copied, BackupError> {
        // Absolute: a name starting with `file:` must not be read as a
        // URI by a connection opened with URIs (a read-only one).
        let absolute = std::path::absolute(out).map_err(|cause| BackupError::Create {
            path: out.into(),
            cause,
        })?;
        let target = absolute.to_string_lossy().into_owned();
        self.conn
            .execute("VACUUM INTO ?1", [&target])
            // A damaged source stays said of the database; a full disk
            // or a failed write, of the copy.
            .map_err(|e| self.err(e).about(out))?;
        // Read back from the copy: what it holds is what is reported.
        let copy = rusqlite::Connection::open_with_flags(
            out,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite_err(out, e))?;
        let (ops, tickets) = copy
            .query_row(
                "SELECT (SELECT count(*) FROM op), (SELECT count(*) FROM ticket)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| sqlite_err(out, e))?;
        drop(copy);
        let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
        Ok(Copied {
            ops,
            tickets,
            bytes,
        })
    }
}

/// Creates `out` empty with mode 0600 (`VACUUM INTO` fills an empty file,
/// and would create a missing one with the umask's mode); refuses any
/// existing path, a dangling link included.
fn create_private_empty(out: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(BackupError::Exists { path: out.into() });
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .map(drop)
        .map_err(|cause| {
            if cause.kind() == std::io::ErrorKind::AlreadyExists {
                BackupError::Exists { path: out.into() }
            } else {
                BackupError::Create {
                    path: out.into(),
                    cause,
                }
            }
        })
}
