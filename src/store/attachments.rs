//! The attachment store as the database sees it: where the files of a
//! database are kept (`attachments/<first two hex digits>/<sha256>` beside
//! it), whether a stored file is still the one the log recorded, and
//! which site attached each attachment (another site's file never
//! travels, only its description).

use super::{Reader, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Where the attachment files of the database at `db` are stored: the
/// `attachments` folder beside it.
pub fn attachments_dir(db: &Path) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("attachments")
}

/// Where the store in `dir` keeps the file with this SHA-256.
pub fn stored_file(dir: &Path, sha256: &str) -> PathBuf {
    let prefix: String = sha256.chars().take(2).collect();
    dir.join(prefix).join(sha256)
}

/// What became of a stored file.
#[derive(Debug)]
pub enum FileState {
    /// There, with the SHA-256 the log recorded.
    Intact,
    Missing,
    Unreadable(std::io::Error),
    /// There with other content: its SHA-256 now.
    Changed(String),
}

impl FileState {
    /// A word for scripts (`attachments --json`).
    pub fn word(&self) -> &'static str {
        match self {
            FileState::Intact => "intact",
            FileState::Missing => "missing",
            FileState::Unreadable(_) => "unreadable",
            FileState::Changed(_) => "changed",
        }
    }
}

/// Reads `file` whole and compares its SHA-256 with `sha256`.
pub fn file_state(file: &Path, sha256: &str) -> FileState {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut input = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return FileState::Missing,
        Err(e) => return FileState::Unreadable(e),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) => return FileState::Unreadable(e),
        }
    }
    let now = hex::encode(hasher.finalize());
    if now.eq_ignore_ascii_case(sha256) {
        FileState::Intact
    } else {
        FileState::Changed(now)
    }
}

/// One attachment with its ticket and the site that attached it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: String,
    pub key: String,
    pub name: String,
    pub author: String,
    pub at_ms: i64,
    pub sha256: String,
    pub size: i64,
    /// The code of the site that attached it.
    pub site: String,
    /// Attached at this database's own site: its file must be here.
    pub own: bool,
}

/// The query behind [`all`] and [`Reader::attachments_of`], over the
/// tables of schema `db` (`main`, or `disk` in doctor's replay).
fn select(db: &str, filter: &str) -> String {
    format!(
        "SELECT a.id, t.key, a.name, a.author, a.at, a.sha256, a.size,
                coalesce(s.code, '?'), coalesce(o.site_no = (SELECT site_no FROM {db}.local), 1)
         FROM {db}.attachment a JOIN {db}.ticket t ON t.id = a.ticket_id
         LEFT JOIN {db}.op o
           ON o.entity_id = a.id AND o.field IS NULL AND o.kind = 'create'
         LEFT JOIN {db}.site s ON s.no = o.site_no
         {filter}
         ORDER BY t.no, a.at, a.id"
    )
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAttachment> {
    Ok(StoredAttachment {
        id: r.get(0)?,
        key: r.get(1)?,
        name: r.get(2)?,
        author: r.get(3)?,
        at_ms: r.get(4)?,
        sha256: r.get(5)?,
        size: r.get(6)?,
        site: r.get(7)?,
        own: r.get(8)?,
    })
}

/// Every attachment of the database attached as schema `db`.
pub(super) fn all(conn: &Connection, db: &str) -> rusqlite::Result<Vec<StoredAttachment>> {
    let mut st = conn.prepare(&select(db, ""))?;
    st.query_map([], row)?.collect()
}

impl Reader<'_> {
    /// The attachments of the ticket with id `ticket_id`, oldest first.
    pub fn attachments_of(&self, ticket_id: &str) -> Result<Vec<StoredAttachment>, StoreError> {
        self.conn()
            .prepare(&select("main", "WHERE a.ticket_id = ?1"))
            .and_then(|mut st| st.query_map([ticket_id], row)?.collect())
            .map_err(|e| self.err(e))
    }

    /// Every attachment of the database (what a backup copies).
    pub fn all_attachments(&self) -> Result<Vec<StoredAttachment>, StoreError> {
        all(self.conn(), "main").map_err(|e| self.err(e))
    }
}
