//! Sync between sites by bundle files: the file format, site keys, and the
//! transports (a shared folder, a git repository). What a bundle does to
//! the database (sealing, checks against what is known, the fold) is in
//! `store::sync` and `store::merge`; the commands are orchestrated in
//! `app::sync`.

pub mod format;
pub mod keys;
pub mod words;

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
    /// A bundle refused because a site forked (two databases use its
    /// identity): nothing of it was imported, but the fork is remembered
    /// (`sync status` shows it), and a shared folder does not promise that
    /// syncing again helps.
    #[error(
        "{file}: refused: {reason}. Nothing of the bundle was imported; `guardia sync status` shows the fork"
    )]
    Forked {
        file: String,
        reason: String,
        /// The code of the site that forked.
        code: String,
    },
    #[error("{file}: {cause}")]
    Io { file: String, cause: std::io::Error },
    /// A file named on the command line (a bundle, a key file) that cannot
    /// be opened: said plainly, with what to check.
    #[error("cannot read {what} {file}: {}", unreadable_why(cause))]
    Unreadable {
        what: &'static str,
        file: String,
        cause: std::io::Error,
    },
    #[error("{0}")]
    Key(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a file cannot be read, in words an operator acts on.
fn unreadable_why(cause: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match cause.kind() {
        K::NotFound => "no such file; check the path".into(),
        K::PermissionDenied => {
            "permission denied; check that you may read it (ls -l), or copy it somewhere you may"
                .into()
        }
        K::IsADirectory => "it is a folder; name a file in it".into(),
        _ => format!("{cause}; check the path and that the file is readable"),
    }
}
