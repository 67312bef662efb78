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
    #[error("{file}: {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("{0}")]
    Key(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
