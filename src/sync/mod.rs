//! Sync between sites by bundle files: the file format, site keys, and the
//! transports (a shared folder, a git repository). What a bundle does to
//! the database (sealing, checks against what is known, the fold) is in
//! `store::sync` and `store::merge`; the commands are orchestrated in
//! `app::sync`.

pub mod format;
pub mod keys;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A bundle or key file that is refused as a whole; nothing was written.
    #[error("{file}: refused: {reason}. The database was not changed")]
    Refused { file: String, reason: String },
    /// A bundle exported by a site this database does not trust (yet, or
    /// any more): a shared folder waits for an operator instead of
    /// reporting it as damaged.
    #[error("{file}: refused: {reason}. The database was not changed")]
    Exporter {
        file: String,
        reason: String,
        revoked: bool,
    },
    #[error("{file}: {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("{0}")]
    Key(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
