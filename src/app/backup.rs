//! `guardia backup`: a consistent copy of the database (SQLite's
//! `VACUUM INTO`, see `store/backup.rs`) and, beside it, a copy of the
//! attachment files it records, laid out as the store lays them out
//! (`attachments/<2 hex>/<sha256>` in the backup's folder), so that the
//! backup and its folder restore as they are.

use super::{App, AppError};
use crate::store::backup::BackupError;
use crate::store::{FileState, attachments_dir, file_state, stored_file};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What `backup` made.
#[derive(Debug, serde::Serialize)]
pub struct BackupReport {
    /// The copy of the database.
    pub out: PathBuf,
    pub ops: i64,
    pub tickets: i64,
    pub bytes: u64,
    /// Where the attachment files were copied (beside the copy).
    pub attachments_dir: PathBuf,
    /// Attachment files copied now.
    pub files_copied: usize,
    /// Attachment files the folder already held, unchanged (an earlier
    /// backup into the same folder; content-addressed, so shared).
    pub files_present: usize,
    /// Attachments of other sites, whose files never travel here.
    pub files_elsewhere: usize,
    /// This site's attachments whose file could not be copied (missing,
    /// unreadable, or changed since it was attached), one line each.
    pub problems: Vec<String>,
}

impl App {
    /// Backs the database up to `out` (which must not exist) and its
    /// attachment files to the `attachments` folder beside `out`.
    pub fn backup(&self, out: &Path) -> Result<BackupReport, AppError> {
        let copied = self.store.backup_into(out).map_err(|e| match e {
            BackupError::Store(s) => AppError::Store(s),
            other => AppError::Invalid(other.to_string()),
        })?;
        let from = self.attachments_dir();
        let to = attachments_dir(out);
        let mut report = BackupReport {
            out: out.to_path_buf(),
            ops: copied.ops,
            tickets: copied.tickets,
            bytes: copied.bytes,
            attachments_dir: to.clone(),
            files_copied: 0,
            files_present: 0,
            files_elsewhere: 0,
            problems: Vec::new(),
        };
        // Every attachment the copy records was stored before its change
        // was committed; one attached since is copied too (harmless).
        let mut done = std::collections::HashSet::new();
        for a in self.reader().all_attachments()? {
            if !done.insert(a.sha256.clone()) {
                continue;
            }
            let source = stored_file(&from, &a.sha256);
            let target = stored_file(&to, &a.sha256);
            if matches!(file_state(&target, &a.sha256), FileState::Intact) {
                report.files_present += 1;
                continue;
            }
            match copy_verified(&source, &target, &a.sha256) {
                Ok(()) => report.files_copied += 1,
                Err(Uncopied::Missing) if !a.own => report.files_elsewhere += 1,
                Err(Uncopied::Io(e)) => {
                    return Err(AppError::Invalid(format!(
                        "the database was backed up to {}, but copying its attachment files to {} failed ({e}); check free space and permissions there, then make the backup again under a new name",
                        out.display(),
                        to.display()
                    )));
                }
                Err(why) => report.problems.push(format!(
                    "{}: attachment '{}' (sha256 {}): its file {} {}; `guardia doctor` lists every such file",
                    a.key,
                    a.name,
                    a.sha256.chars().take(12).collect::<String>(),
                    source.display(),
                    why.text()
                )),
            }
        }
        Ok(report)
    }
}

/// Why one attachment file was not copied.
enum Uncopied {
    Missing,
    Unreadable(std::io::Error),
    Changed(String),
    /// Writing the copy failed: the whole backup is incomplete.
    Io(std::io::Error),
}

impl Uncopied {
    fn text(&self) -> String {
        match self {
            Uncopied::Missing => "is missing, so the backup lacks it".into(),
            Uncopied::Unreadable(e) => format!("cannot be read ({e}), so the backup lacks it"),
            Uncopied::Changed(now) => format!(
                "has changed since it was attached (its SHA-256 is now {now}), so it was not copied"
            ),
            Uncopied::Io(e) => e.to_string(),
        }
    }
}

/// Copies `source` to `target` (0600, folders 0700) under a temporary
/// name, hashing as it goes, and renames it into place only if its
/// SHA-256 is `sha256`: the backup never holds an altered file under the
/// name of the original.
fn copy_verified(source: &Path, target: &Path, sha256: &str) -> Result<(), Uncopied> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let mut input = match std::fs::File::open(source) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Uncopied::Missing),
        Err(e) => return Err(Uncopied::Unreadable(e)),
    };
    let folder = target.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
        .map_err(Uncopied::Io)?;
    let tmp = folder.join(format!(".backup-{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut output = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(Uncopied::Io)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = input.read(&mut buf).map_err(Uncopied::Unreadable)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            output.write_all(&buf[..n]).map_err(Uncopied::Io)?;
        }
        output.sync_all().map_err(Uncopied::Io)?;
        let now = hex::encode(hasher.finalize());
        if !now.eq_ignore_ascii_case(sha256) {
            return Err(Uncopied::Changed(now));
        }
        std::fs::rename(&tmp, target).map_err(Uncopied::Io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
