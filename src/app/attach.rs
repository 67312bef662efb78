//! Attachments: files copied into a content-addressed folder beside the
//! database (`attachments/ab/abcdef…`), named by their SHA-256, so the same
//! file is stored once and the log can prove what was attached; and where
//! each attachment of a ticket is stored, and whether its file is still
//! the one attached (`guardia attachments`).

use super::{App, AppError};
use crate::store::{FileState, file_state, stored_file};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Files larger than this are refused: the database is meant to travel.
pub const MAX_ATTACHMENT_BYTES: u64 = 100 * 1024 * 1024;

pub struct Stored {
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

pub fn dir_for(db: &Path) -> PathBuf {
    crate::store::attachments_dir(db)
}

/// One attachment of a ticket with where its file is.
#[derive(Debug, serde::Serialize)]
pub struct AttachmentFile {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub author: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The code of the site where it was attached.
    pub site: String,
    /// Where this database keeps (or would keep) its file.
    pub path: PathBuf,
    /// `intact`, `missing`, `unreadable`, `changed`, or `elsewhere`: the
    /// file of another site's attachment, which never travels.
    pub state: &'static str,
}

impl App {
    /// The attachments of ticket `key`, each with the path of its stored
    /// file and whether that file is there, unchanged (each file is read
    /// whole to compare its SHA-256).
    pub fn attachments(&self, key: &str) -> Result<Vec<AttachmentFile>, AppError> {
        let t = self.ticket(key)?;
        let dir = self.attachments_dir();
        Ok(self
            .reader()
            .attachments_of(&t.id)?
            .into_iter()
            .map(|a| {
                let path = stored_file(&dir, &a.sha256);
                let state = match file_state(&path, &a.sha256) {
                    FileState::Missing if !a.own => "elsewhere",
                    other => other.word(),
                };
                AttachmentFile {
                    id: a.id,
                    name: a.name,
                    size: a.size,
                    sha256: a.sha256,
                    author: a.author,
                    at: crate::domain::ticket::ms_to_time(a.at_ms),
                    site: a.site,
                    path,
                    state,
                }
            })
            .collect())
    }
}

pub fn store_file(path: &Path, dir: &Path) -> Result<Stored, AppError> {
    let read_err = |cause| AppError::Attachment {
        path: path.into(),
        cause,
    };
    let store_err = |cause| AppError::AttachmentStore {
        path: dir.into(),
        cause,
    };
    let refused = |reason: String| AppError::AttachmentRefused {
        path: path.into(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.is_dir() {
        return Err(refused(
            "it is a folder; attach the files in it one by one, or an archive of it".into(),
        ));
    }
    if !meta.is_file() {
        return Err(refused(
            "it is not a regular file (a device, a pipe or a socket); save its content to a file and attach that".into(),
        ));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(refused(format!(
            "it is {} MB and attachments are limited to {} MB, so that the data folder stays small enough to back up and copy; compress it, or put it on a shared drive and say where in a comment",
            meta.len().div_ceil(1024 * 1024),
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )));
    }
    let mut input = std::fs::File::open(path).map_err(read_err)?;
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(store_err)?;
    }
    sweep_abandoned_copies(dir);
    // Copy to a temporary file while hashing, then rename into place: a
    // crash or a full disk never leaves a half-written file under a real name.
    let tmp_path = dir.join(format!("{INCOMING_PREFIX}{}", uuid::Uuid::new_v4()));
    let result = (|| -> Result<(String, i64), AppError> {
        let mut tmp = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp_path)
                .map_err(store_err)?
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0i64;
        loop {
            let n = input.read(&mut buf).map_err(read_err)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(store_err)?;
            size += n as i64;
        }
        tmp.sync_all().map_err(store_err)?;
        let sha: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((sha, size))
    })();
    let (sha256, size) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp_path);
            return Err(e);
        }
    };
    let final_path = stored_file(dir, &sha256);
    if let Some(sub) = final_path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(sub)
            .map_err(store_err)?;
    }
    // The same content is stored once; a stored copy that no longer
    // matches its name (altered or truncated since) is replaced.
    if matches!(file_state(&final_path, &sha256), FileState::Intact) {
        let _ = std::fs::remove_file(&tmp_path);
    } else {
        std::fs::rename(&tmp_path, &final_path).map_err(store_err)?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "attachment".into(), |n| n.to_string_lossy().into_owned());
    Ok(Stored { name, sha256, size })
}

/// Prefix of a copy in progress, renamed to its hash when complete.
const INCOMING_PREFIX: &str = ".incoming-";

/// A copy untouched for this long was abandoned (its `attach` was killed):
/// one in progress writes every few milliseconds.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the partial copies that interrupted `attach` runs left behind.
/// Best effort: a copy that cannot be removed now is tried again next time.
fn sweep_abandoned_copies(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let abandoned = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(INCOMING_PREFIX))
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > ABANDONED_AFTER);
        if abandoned {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
