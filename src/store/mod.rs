//! The only module that touches SQLite. Owns the database file (created 0600
//! in a 0700 directory), its pragmas and migrations, the operation log with
//! its clock and sequence numbers, the tables derived from it, and queries.
//! Every write goes through [`Store::write`]: one `BEGIN IMMEDIATE`
//! transaction that appends ops and materializes them together, retried while
//! another process holds the write lock.

mod apply;
pub mod attachments;
pub mod backup;
mod dashboard;
pub mod doctor;
pub mod merge;
pub mod op_value;
pub mod ops;
mod orphans;
mod query;
mod records;
mod report;
mod row_edit;
mod schema;
mod sla_clock;
mod sla_outcome;
mod snapshot;
pub mod sync;
mod text_index;

pub use apply::ApplyMode;
pub use apply::{RESOURCE_PREFIX, TASK_PREFIX, TICKET_TEXTS};
pub use attachments::{FileState, StoredAttachment, attachments_dir, file_state, stored_file};
pub use dashboard::{Dashboard, DashboardQuery, OldestTicket};
pub use orphans::{Held, HeldRunbook, HeldValue};
pub use query::{ListFilter, SearchHit, TIMER_CANDIDATES_SQL};
pub use records::{KnowledgeHit, RecordQuery, Resource, Task, any_word_query, significant_terms};
pub use report::{GroupFigures, GroupKey, ProblemRow, ReportData, ReportGroup, ReportQuery};
pub use sla_clock::{ClockRow, PAUSED_BASE};
pub use sla_outcome::{OutcomeRow, OutcomeSla};
pub use text_index::{COMPACT_STEP_PAGES, IDLE_STEP_PAGES, TextIndexShape};

use foldhash::{HashMap, HashMapExt};
use ops::{Op, OpDraft, OpRef, hlc_next};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for another process before giving up.
const WRITE_PATIENCE: Duration = Duration::from_secs(60);

/// How long any statement waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no database at {path}; create one with `guardia init` (or `guardia init --demo` for an example)"
    )]
    Missing { path: PathBuf },
    #[error("a database already exists at {path}; use it, or choose another path with --db")]
    Exists { path: PathBuf },
    // `doctor` cannot open such a file either, so it is not suggested.
    #[error(
        "{path} is not a guardia database ({detail}); check that --db or GUARDIA_DB names your database file. If it does, the file is damaged beyond reading: restore it from a backup"
    )]
    NotADatabase { path: PathBuf, detail: String },
    #[error(
        "{path} is damaged ({detail}); nothing was changed. Run `guardia doctor` to see what is damaged, and restore the file from a backup"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error("{path} is a folder, not a database file; name the file, e.g. --db {path}/guardia.db")]
    IsAFolder { path: PathBuf },
    #[error(
        "{path} is an empty file, not a guardia database; remove it (`rm {path}`), then run `guardia init`"
    )]
    Empty { path: PathBuf },
    /// A device, a pipe or a socket (`--db /dev/null`): nothing to remove,
    /// only another path to name.
    #[error(
        "{path} is not a regular file (a device, a pipe or a socket), so it cannot hold a guardia database; name a database file with --db or GUARDIA_DB"
    )]
    NotARegularFile { path: PathBuf },
    /// A write stamped with a clock (`GUARDIA_NOW`) further ahead of this
    /// computer's clock than [`ClockLimit`] allows: the log's clock never
    /// goes back, so every later change would be dated at least as late.
    #[error(
        "the clock guardia was given (GUARDIA_NOW) says {}, {} ahead of this computer's clock ({}); a change recorded now would be dated then, and every later change to {path} at least as late, as the log's clock never goes back: nothing was written. Correct GUARDIA_NOW (at most {} ahead) or unset it to use the computer's clock",
        utc_text(*stamp_ms),
        span_text(stamp_ms - limit.system_ms),
        utc_text(limit.system_ms),
        span_text(limit.margin_ms)
    )]
    ClockAhead {
        path: PathBuf,
        stamp_ms: i64,
        limit: ClockLimit,
    },
    #[error(
        "{path} is a symbolic link to {}, which does not exist; remove the link or point it at the database",
        target.display()
    )]
    DanglingLink { path: PathBuf, target: PathBuf },
    #[error(
        "the database at {path} was written by a newer guardia (schema {found}, this build knows {known}); upgrade guardia"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("the disk holding {path} is full; nothing was written. Free some space and try again")]
    DiskFull { path: PathBuf },
    #[error(
        "could not write to {path} ({detail}); nothing was saved. Check free disk space and file-size limits, then try again"
    )]
    WriteFailed { path: PathBuf, detail: String },
    #[error("{path} is read-only for this user; nothing was written. Check the file's permissions")]
    ReadOnly { path: PathBuf },
    /// The database cannot be written for a reason other than the file's
    /// own permissions (its folder, a journal file left by another user, a
    /// read-only filesystem); `why` names it and says what to do.
    #[error("{path} cannot be written by this user: {why}; nothing was written")]
    CannotWrite { path: PathBuf, why: String },
    #[error(
        "{path} cannot be read by this user ({cause}); ask for read access to it and its folder, or choose another database with --db"
    )]
    Unreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "{path} was made by an older guardia (schema {found}) and must be upgraded to schema {known} before it can be read, which this user cannot do ({why}); run guardia once as a user who can write it"
    )]
    NeedsUpgrade {
        path: PathBuf,
        found: i64,
        known: i64,
        why: String,
    },
    #[error(
        "the database at {path} stayed locked by another process for {secs} s; nothing was written. Try again"
    )]
    Busy { path: PathBuf, secs: u64 },
    #[error("cannot create {path}: {cause}; check the directory exists and is writable")]
    Create {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the operation log is inconsistent: {0}; run `guardia doctor` to see what differs")]
    Integrity(String),
    #[error("database error on {path}: {cause}")]
    Sqlite {
        path: PathBuf,
        cause: rusqlite::Error,
    },
}

/// How far ahead of this computer's clock a write may be stamped (see
/// `app::clock_guard`, which sets it when the clock is fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockLimit {
    /// This computer's clock when the command started (Unix ms).
    pub system_ms: i64,
    /// How far past it a stamp may lie.
    pub margin_ms: i64,
}

/// A Unix-ms instant as the messages about clocks write it.
pub fn utc_text(ms: i64) -> String {
    crate::domain::ticket::ms_to_time(ms)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// A span as the messages about clocks write it: days past two days,
/// hours past two hours, minutes below.
pub fn span_text(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        m if m >= 2 * 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m >= 2 * 60 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

/// This database's own site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSite {
    pub no: i64,
    pub site_id: String,
    pub code: String,
    pub dataset_id: String,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    site: LocalSite,
    /// Why this process cannot write the database, when it opened it only
    /// to read.
    read_only: Option<ReadOnlyCause>,
    /// Ops committed to the log through this handle.
    ops_recorded: u64,
    /// How long a write waits for another process's lock.
    patience: Duration,
    /// Writes stamped later than this are refused (`GUARDIA_NOW` far ahead).
    clock_limit: Option<ClockLimit>,
    /// A `-wal` file with committed changes this read-only handle cannot
    /// see (opened `immutable=1`, as no `-shm` could be used).
    ignored_wal: Option<PathBuf>,
}

/// How a database this user may not write is opened to read, in the order
/// to try (the URI parameters). With a writer at work (its -wal and -shm
/// there), the shared memory is read as it is and the WAL's changes are
/// seen. Otherwise SQLite would create both files, owned by this user
/// (whom the database's owner then cannot write over): the file is read as
/// immutable instead, which creates nothing and takes no lock.
pub(crate) fn read_only_params(path: &Path) -> &'static [&'static str] {
    let companion = |suffix: &str| companion_path(path, suffix).exists();
    if companion("-wal") && companion("-shm") {
        &["mode=ro&readonly_shm=1", "mode=ro&immutable=1"]
    } else {
        &["mode=ro&immutable=1"]
    }
}

/// The `-wal` beside `path` when it holds changes and the connection was
/// opened with `params` that make SQLite ignore it (`immutable=1`).
fn wal_ignored_by(path: &Path, params: &str) -> Option<PathBuf> {
    let wal = companion_path(path, "-wal");
    (params.contains("immutable=1") && std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0))
        .then_some(wal)
}

/// The warning about a `-wal` a read-only open left out.
fn ignored_wal_text(path: &Path, wal: &Path) -> String {
    format!(
        "{} holds changes not yet copied into {}, and this user can only read the database as the file alone (there is no {}-shm beside it that could be used, and none can be made): what this command shows leaves them out. To see them, open the database once as a user who can write it and its folder (any command copies them in), or copy {} and {} together to a folder of yours and use the copy",
        wal.display(),
        path.display(),
        name_of(path),
        path.display(),
        wal.display()
    )
}

impl StoreError {
    /// The same error told about `path`: `init` builds a database under a
    /// staging name the operator never typed, and reports the path they did.
    pub fn about(self, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        match self {
            StoreError::Create { cause, .. } => StoreError::Create { path, cause },
            StoreError::DiskFull { .. } => StoreError::DiskFull { path },
            StoreError::WriteFailed { detail, .. } => StoreError::WriteFailed { path, detail },
            StoreError::ReadOnly { .. } => StoreError::ReadOnly { path },
            StoreError::CannotWrite { why, .. } => StoreError::CannotWrite { path, why },
            other => other,
        }
    }
}

/// [`sqlite_err`] for a connection opened only to read: a refused write
/// names why this user cannot write, not only the file's permissions.
fn sqlite_err_ro(path: &Path, e: rusqlite::Error, ro: Option<&ReadOnlyCause>) -> StoreError {
    match (sqlite_err(path, e), ro) {
        (StoreError::ReadOnly { .. }, Some(cause)) => cause.error(path),
        (other, _) => other,
    }
}

fn sqlite_err(path: &Path, e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, ref msg) = e {
        match f.code {
            ErrorCode::DiskFull => return StoreError::DiskFull { path: path.into() },
            // A failed write or sync (no space, a file-size limit, a failing
            // disk): the transaction was rolled back, nothing was saved.
            ErrorCode::SystemIoFailure => {
                return StoreError::WriteFailed {
                    path: path.into(),
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                };
            }
            ErrorCode::ReadOnly => return StoreError::ReadOnly { path: path.into() },
            ErrorCode::NotADatabase => {
                return StoreError::NotADatabase {
                    path: path.into(),
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                };
            }
            ErrorCode::DatabaseCorrupt => {
                return StoreError::Damaged {
                    path: path.into(),
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                };
            }
            _ => {}
        }
    }
    StoreError::Sqlite {
        path: path.into(),
        cause: e,
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::DatabaseBusy || f.code == ErrorCode::DatabaseLocked)
}

fn configure(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sqlite_err(path, e))?;
    // The fold and the queries use well over rusqlite's default of 16
    // distinct statements; past the cache, each one is parsed again per op.
    conn.set_prepared_statement_cache_capacity(256);
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -16000;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(|e| sqlite_err(path, e))
}

/// Creates the file with mode 0600 (and its directory 0700) before SQLite
/// opens it, so the tickets are never readable by other users, not even
/// for an instant.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let create_err = |cause| StoreError::Create {
        path: path.into(),
        cause,
    };
    Store::private_parent_dir(path)?;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::Exists { path: path.into() }
            } else {
                create_err(e)
            }
        })
}

/// The schema version of a file about to be opened, refused when it is
/// no guardia database or a newer guardia's. Read before anything is
/// set: switching to WAL writes the file, and a file that is not ours
/// (another program's database) must be left as it was.
fn schema_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let known = schema::LATEST;
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| sqlite_err(path, e))?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.into(),
            found,
            known,
        });
    }
    if found == 0 {
        return Err(StoreError::NotADatabase {
            path: path.into(),
            detail: "no guardia schema".into(),
        });
    }
    Ok(found)
}

fn local_site(conn: &Connection, path: &Path) -> Result<LocalSite, StoreError> {
    conn.query_row(
        "SELECT s.no, s.site_id, s.code, (SELECT value FROM meta WHERE key = 'dataset_id')
         FROM local l JOIN site s ON s.no = l.site_no",
        [],
        |r| {
            Ok(LocalSite {
                no: r.get(0)?,
                site_id: r.get(1)?,
                code: r.get(2)?,
                dataset_id: r.get(3)?,
            })
        },
    )
    .map_err(|e| sqlite_err(path, e))
}

/// `path` with `suffix` appended (`guardia.db-wal`).
fn companion_path(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// A path as the path of an SQLite URI: every byte but the unreserved
/// ones percent-encoded, so `?`, `#` and `%` in a name stay in the name.
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for b in path.as_os_str().as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(*b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Why this process cannot write a database it can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOnlyCause {
    /// The file itself is not writable for this user.
    File,
    /// The file lies on a read-only filesystem.
    Filesystem,
    /// Its folder is not writable, and the -wal and -shm files SQLite
    /// writes beside the file in WAL mode are not both there already.
    Folder(PathBuf),
    /// A -wal or -shm file beside it that this user cannot write (left by
    /// another user); `empty`: it holds nothing (an -shm, or an empty WAL).
    Companion { file: PathBuf, empty: bool },
}

impl ReadOnlyCause {
    /// Why, in a few words, for a message that says what could not be
    /// done (the file, its filesystem, its folder, a journal file).
    pub fn short(&self) -> String {
        match self {
            ReadOnlyCause::File => "the file is read-only for this user".into(),
            ReadOnlyCause::Filesystem => "it is on a read-only filesystem".into(),
            ReadOnlyCause::Folder(dir) => format!("its folder {} is not writable", dir.display()),
            ReadOnlyCause::Companion { file, .. } => {
                format!("{} belongs to another user", file.display())
            }
        }
    }

    /// The error a write is refused with.
    pub fn error(&self, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        let why = match self {
            ReadOnlyCause::File => return StoreError::ReadOnly { path },
            ReadOnlyCause::Filesystem => {
                "it is on a read-only filesystem (a mounted backup, a snapshot); copy it somewhere writable to change it".to_string()
            }
            ReadOnlyCause::Folder(dir) => format!(
                "its folder {} is not writable, and SQLite keeps its journal files ({}-wal, {}-shm) there; ask for write access to the folder, or work on a copy in a folder of yours",
                dir.display(),
                name_of(&path),
                name_of(&path)
            ),
            ReadOnlyCause::Companion { file, empty: true } => format!(
                "{} belongs to another user and this user cannot write it; it holds nothing: once no guardia runs on the database, remove it (rm {})",
                file.display(),
                file.display()
            ),
            ReadOnlyCause::Companion { file, empty: false } => format!(
                "{} belongs to another user and this user cannot write it; it may hold changes not yet in the database file, so do not remove it: ask that user or an administrator to give it back to the database's owner (chown)",
                file.display()
            ),
        };
        StoreError::CannotWrite { path, why }
    }
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// What this process may do to a database's files, as the OS says
/// (`access(2)`, which knows root, ACLs and read-only mounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub path: PathBuf,
    /// The database file is writable, or why not (`Err(errno)`).
    pub file: Result<(), i32>,
    pub folder: PathBuf,
    pub folder_writable: bool,
    /// The -wal and -shm files: absent (`None`), or whether writable and
    /// their size.
    pub wal: Option<(bool, u64)>,
    pub shm: Option<(bool, u64)>,
}

impl Access {
    pub fn of(path: &Path) -> Access {
        let folder = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        // Another process creates and removes these files as it opens and
        // closes the database: one gone between two looks is absent, not
        // unwritable.
        let companion = |suffix: &str| {
            let p = companion_path(path, suffix);
            let writable = match may(&p, libc::W_OK) {
                Err(libc::ENOENT) => return None,
                w => w.is_ok(),
            };
            std::fs::metadata(&p).ok().map(|m| (writable, m.len()))
        };
        Access {
            path: path.to_path_buf(),
            file: may(path, libc::W_OK),
            folder_writable: may(&folder, libc::W_OK | libc::X_OK).is_ok(),
            folder,
            wal: companion("-wal"),
            shm: companion("-shm"),
        }
    }

    /// Why the database cannot be written, or `None` when it can.
    pub fn read_only(&self) -> Option<ReadOnlyCause> {
        match self.file {
            Err(libc::EROFS) => return Some(ReadOnlyCause::Filesystem),
            Err(_) => return Some(ReadOnlyCause::File),
            Ok(()) => {}
        }
        for (suffix, found) in [("-wal", self.wal), ("-shm", self.shm)] {
            if let Some((false, len)) = found {
                return Some(ReadOnlyCause::Companion {
                    file: companion_path(&self.path, suffix),
                    empty: suffix == "-shm" || len == 0,
                });
            }
        }
        (!self.folder_writable && (self.wal.is_none() || self.shm.is_none()))
            .then(|| ReadOnlyCause::Folder(self.folder.clone()))
    }
}

/// `access(2)` of `path` for `mode`; the errno when refused.
fn may(path: &Path, mode: libc::c_int) -> Result<(), i32> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    // SAFETY: `c` is a valid NUL-terminated string for the whole call.
    if unsafe { libc::access(c.as_ptr(), mode) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EACCES))
    }
}

impl Store {
    /// Creates a new database for site `code` (a new dataset).
    pub fn create(path: &Path, code: &str) -> Result<Store, StoreError> {
        Self::create_in(path, code, None)
    }

    /// Creates a new database for site `code`, in dataset `dataset` when
    /// it joins an existing one (a new dataset otherwise).
    pub fn create_in(path: &Path, code: &str, dataset: Option<&str>) -> Result<Store, StoreError> {
        create_private_file(path)?;
        let result = Self::create_in_file(path, code, dataset);
        if result.is_err() {
            // Leave nothing half-made behind: the next `init` must be able to start over.
            Self::remove_files(path);
        }
        result
    }

    /// Creates the directory that will hold the database at `path`, if
    /// missing, readable by its owner only (mode 0700, whatever the umask).
    pub fn private_parent_dir(path: &Path) -> Result<(), StoreError> {
        use std::os::unix::fs::DirBuilderExt;
        match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) if !dir.exists() => std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|cause| StoreError::Create {
                    path: path.into(),
                    cause,
                }),
            _ => Ok(()),
        }
    }

    /// Where `init` builds the database at `path` before moving it there:
    /// a hidden file beside it, so the move stays on one filesystem.
    pub fn staging_path(path: &Path) -> PathBuf {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "guardia.db".into());
        path.with_file_name(format!(".{name}.init"))
    }

    /// Moves a database built at `staging` (and closed) to `path`, unless a
    /// database appeared there meanwhile. A hard link refuses to replace an
    /// existing file, which a rename would silently do; filesystems without
    /// links (FAT on a USB stick) get a rename after a last check.
    pub fn publish_staged(staging: &Path, path: &Path) -> Result<(), StoreError> {
        let exists = || StoreError::Exists { path: path.into() };
        // Closing the last connection checkpoints the WAL into the file and
        // deletes it; a WAL still holding pages would not move with the file.
        let mut wal = staging.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::Integrity(format!(
                "{} was not closed cleanly; run `guardia init` again",
                staging.display()
            )));
        }
        match std::fs::hard_link(staging, path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
            Err(_) if path.exists() => return Err(exists()),
            Err(_) => std::fs::rename(staging, path).map_err(|cause| StoreError::Create {
                path: path.into(),
                cause,
            })?,
        }
        Self::remove_files(staging);
        Ok(())
    }

    /// Removes a database file with its WAL and shared-memory files (for a
    /// database that was just created and must not stay half-made).
    pub fn remove_files(path: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }

    fn create_in_file(path: &Path, code: &str, dataset: Option<&str>) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path).map_err(|e| sqlite_err(path, e))?;
        configure(&conn, path)?;
        schema::migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Integrity(format!("migration failed: {e}")))?;
        let site_id = uuid::Uuid::new_v4().to_string();
        let dataset_id = dataset
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let tx = conn.transaction().map_err(|e| sqlite_err(path, e))?;
        tx.execute(
            "INSERT INTO site(no, site_id, code) VALUES (1, ?1, ?2)",
            params![site_id, code],
        )
        .and_then(|_| {
            tx.execute(
                "INSERT INTO local(id, site_no, next_seq, last_hlc, next_ticket) VALUES (1, 1, 1, 0, 1)",
                [],
            )
        })
        .and_then(|_| {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('dataset_id', ?1), ('format', 'guardia-db-1')",
                params![dataset_id],
            )
        })
        .map_err(|e| sqlite_err(path, e))?;
        tx.commit().map_err(|e| sqlite_err(path, e))?;
        drop(conn);
        Self::open(path)
    }

    /// Opens an existing database: to read and write when this process
    /// can write it, otherwise only to read ([`Access`]).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(StoreError::Unreadable {
                    path: path.into(),
                    cause: e,
                });
            }
            Err(_) => return Err(StoreError::Missing { path: path.into() }),
            Ok(m) if m.is_dir() => return Err(StoreError::IsAFolder { path: path.into() }),
            // A device or a pipe reads as empty (or never ends): there is
            // no file to remove, only another path to name.
            Ok(m) if !m.is_file() => {
                return Err(StoreError::NotARegularFile { path: path.into() });
            }
            // Looked at without opening it: SQLite would write a header into it.
            Ok(m) if m.len() == 0 => return Err(StoreError::Empty { path: path.into() }),
            Ok(_) => {}
        }
        if let Err(cause) = std::fs::File::open(path) {
            return Err(StoreError::Unreadable {
                path: path.into(),
                cause,
            });
        }
        match Access::of(path).read_only() {
            None => Self::open_to_write(path),
            Some(cause) => Self::open_to_read(path, cause),
        }
    }

    /// Opens a database only to read, as for a user who cannot write it:
    /// nothing is created beside it ([`ReadOnlyCause`] says why).
    pub fn open_to_read(path: &Path, cause: ReadOnlyCause) -> Result<Store, StoreError> {
        let mut opened = Err(StoreError::Integrity("no way to read it".into()));
        let mut used = "";
        for params in read_only_params(path) {
            opened = Self::open_uri(path, params, &cause);
            if opened.is_ok() {
                used = params;
                break;
            }
        }
        let (conn, site) = opened?;
        Ok(Store {
            conn,
            path: path.into(),
            site,
            read_only: Some(cause),
            ops_recorded: 0,
            patience: WRITE_PATIENCE,
            clock_limit: None,
            ignored_wal: wal_ignored_by(path, used),
        })
    }

    fn open_uri(
        path: &Path,
        params: &str,
        cause: &ReadOnlyCause,
    ) -> Result<(Connection, LocalSite), StoreError> {
        let uri = format!("file:{}?{params}", uri_path(path));
        let conn = Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite_err(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| sqlite_err(path, e))?;
        let known = schema::LATEST;
        let found = schema_version(&conn, path)?;
        if found < known {
            return Err(StoreError::NeedsUpgrade {
                path: path.into(),
                found,
                known,
                why: cause.error(path).to_string(),
            });
        }
        conn.set_prepared_statement_cache_capacity(256);
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -16000;
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(|e| sqlite_err(path, e))?;
        let site = local_site(&conn, path)?;
        Ok((conn, site))
    }

    fn open_to_write(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite_err(path, e))?;
        // The schema version is read before anything is set: switching to
        // WAL writes the file, and a file that is not ours (another
        // program's database, an empty file) must be left as it was.
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| sqlite_err(path, e))?;
        let found = schema_version(&conn, path)?;
        configure(&conn, path)?;
        if found < schema::LATEST {
            schema::migrations()
                .to_latest(&mut conn)
                .map_err(|e| StoreError::Integrity(format!("migration failed: {e}")))?;
        }
        let site = local_site(&conn, path)?;
        Ok(Store {
            conn,
            path: path.into(),
            site,
            read_only: None,
            ops_recorded: 0,
            patience: WRITE_PATIENCE,
            clock_limit: None,
            ignored_wal: None,
        })
    }

    /// Why this handle cannot write, when it was opened only to read.
    pub fn read_only(&self) -> Option<&ReadOnlyCause> {
        self.read_only.as_ref()
    }

    /// The `-wal` file whose committed changes this handle does not see
    /// (opened to read without a usable `-shm`), if any.
    pub fn ignored_wal(&self) -> Option<&Path> {
        self.ignored_wal.as_deref()
    }

    /// What an operator is told about [`Store::ignored_wal`]: what is left
    /// out, and the two ways to see it.
    pub fn ignored_wal_warning(&self) -> Option<String> {
        let wal = self.ignored_wal()?;
        Some(ignored_wal_text(&self.path, wal))
    }

    /// Refuses, from now on, writes stamped later than `limit` allows.
    pub fn set_clock_limit(&mut self, limit: ClockLimit) {
        self.clock_limit = Some(limit);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn site(&self) -> &LocalSite {
        &self.site
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite_err_ro(&self.path, e, self.read_only.as_ref())
    }

    /// Tunes the connection for a long bulk load: a bigger page cache,
    /// memory-mapped reads and fewer WAL checkpoints (each one copies hot
    /// pages again).
    pub fn begin_bulk(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "PRAGMA cache_size = -131072; PRAGMA mmap_size = 1073741824;
                 PRAGMA wal_autocheckpoint = 20000;",
            )
            .map_err(|e| self.err(e))
    }

    /// Ends a bulk load: normal settings and a checkpoint. No ANALYZE: the
    /// bundled SQLite has STAT4, with which statistics make every bound query
    /// re-plan on each new binding; the hot plans are pinned by composite
    /// indexes and checked with EXPLAIN QUERY PLAN in the tests instead.
    pub fn end_bulk(&self) -> Result<(), StoreError> {
        self.end_bulk_settings()?;
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| self.err(e))
    }

    /// The normal settings again, without the checkpoint: for a bulk load
    /// that wrote nothing.
    pub fn end_bulk_settings(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "PRAGMA cache_size = -16000; PRAGMA mmap_size = 0;
                 PRAGMA wal_autocheckpoint = 1000;",
            )
            .map_err(|e| self.err(e))
    }

    /// How long writes wait for another process's lock from now on (the
    /// usual minute, or less for work that can wait for the next command);
    /// returns the patience it had.
    pub fn set_write_patience(&mut self, patience: Duration) -> Duration {
        std::mem::replace(&mut self.patience, patience)
    }

    /// SQLite's counter of commits made by *other* connections to this
    /// file: when it moves, someone else changed the database.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Queries over the committed state.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            conn: &self.conn,
            path: &self.path,
            read_only: self.read_only.as_ref(),
        }
    }

    /// Runs `f` in one write transaction: everything it appends is committed
    /// together or not at all. Waits (up to a minute) while another process
    /// writes; `f` sees the state as of the moment the lock was taken.
    pub fn write<T, E>(
        &mut self,
        now_ms: i64,
        mode: ApplyMode,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        if let Some(cause) = &self.read_only {
            return Err(cause.error(&self.path).into());
        }
        if let Some(limit) = self.clock_limit
            && now_ms > limit.system_ms.saturating_add(limit.margin_ms)
        {
            return Err(StoreError::ClockAhead {
                path: self.path.clone(),
                stamp_ms: now_ms,
                limit,
            }
            .into());
        }
        let started = Instant::now();
        let path = self.path.clone();
        // BEGIN IMMEDIATE itself waits out SQLite's busy timeout: a patience
        // shorter than that is kept only if the timeout is as short.
        let short = self.patience < BUSY_TIMEOUT;
        if short {
            let _ = self.conn.busy_timeout(self.patience);
        }
        let tx = loop {
            let patience = self.patience;
            let e = match self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
            {
                Ok(tx) => {
                    if short {
                        let _ = tx.busy_timeout(BUSY_TIMEOUT);
                    }
                    break tx;
                }
                Err(e) => e,
            };
            if is_busy(&e) && started.elapsed() < patience {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            if short {
                let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
            }
            if is_busy(&e) {
                return Err(StoreError::Busy {
                    path,
                    secs: patience.as_secs(),
                }
                .into());
            }
            return Err(sqlite_err(&path, e).into());
        };
        let (next_seq, last_hlc, next_ticket): (i64, i64, i64) = tx
            .query_row(
                "SELECT next_seq, last_hlc, next_ticket FROM local WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| sqlite_err(&path, e))?;
        let mut w = WriteTx {
            tx,
            path: path.clone(),
            site: self.site.clone(),
            now_ms,
            next_seq,
            last_hlc,
            next_ticket,
            mode,
            cache: apply::ApplyCache::default(),
            latest: HashMap::new(),
            fold: Default::default(),
            ops_written: 0,
        };
        let out = f(&mut w)?;
        let written = w.ops_written;
        w.finish()?;
        self.ops_recorded += written;
        Ok(out)
    }

    /// How many ops this handle has committed to the log: a caller compares
    /// two readings to know whether a change was recorded in between (caches
    /// such as the SLA clocks are written too, but record nothing).
    pub fn ops_recorded(&self) -> u64 {
        self.ops_recorded
    }
}

/// Read access to a connection, inside or outside a write transaction.
pub struct Reader<'a> {
    conn: &'a Connection,
    path: &'a Path,
    read_only: Option<&'a ReadOnlyCause>,
}

impl Reader<'_> {
    pub(crate) fn conn(&self) -> &Connection {
        self.conn
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite_err_ro(self.path, e, self.read_only)
    }

    /// The id and key of a ticket held here with this key or this id, if
    /// any: an import refuses to create a ticket that would take either.
    pub fn ticket_key_or_id(
        &self,
        key: &str,
        id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.conn
            .prepare_cached("SELECT id, key FROM ticket WHERE key = ?1 OR id = ?2 LIMIT 1")
            .and_then(|mut st| {
                st.query_row(params![key, id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }
}

/// The newest of this site's ops on each field of one entity, appended in
/// the current transaction: its creation (no field) and the fields set
/// since. A handful per ticket, so a list beats a map; only sequence
/// numbers, as every op here is this site's.
#[derive(Debug, Default)]
struct OwnHeads {
    created: Option<i64>,
    fields: Vec<(String, i64)>,
}

impl OwnHeads {
    fn of(&self, field: Option<&str>) -> Option<i64> {
        match field {
            None => self.created,
            Some(f) => self.fields.iter().find(|(n, _)| n == f).map(|(_, s)| *s),
        }
    }

    fn record(&mut self, field: Option<&str>, seq: i64) {
        match field {
            None => self.created = Some(seq),
            Some(f) => match self.fields.iter_mut().find(|(n, _)| n == f) {
                Some((_, s)) => *s = seq,
                None => self.fields.push((f.to_string(), seq)),
            },
        }
    }
}

/// A write transaction in progress.
pub struct WriteTx<'c> {
    tx: rusqlite::Transaction<'c>,
    path: PathBuf,
    site: LocalSite,
    now_ms: i64,
    next_seq: i64,
    last_hlc: i64,
    next_ticket: i64,
    mode: ApplyMode,
    cache: apply::ApplyCache,
    /// The newest op of each field of each entity appended in this
    /// transaction, so predecessors of recent changes need no query.
    latest: HashMap<String, OwnHeads>,
    /// Tickets folded from imported ops in this transaction.
    fold: merge::Fold,
    /// Ops written to the log in this transaction, local or imported.
    ops_written: u64,
}

impl WriteTx<'_> {
    pub fn site(&self) -> &LocalSite {
        &self.site
    }

    /// `Store::data_version` as this transaction sees it: it moved since
    /// the last reading if another process committed in between.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.tx
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| sqlite_err(&self.path, e))
    }

    /// Queries that see this transaction's own writes.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            conn: &self.tx,
            path: &self.path,
            read_only: None,
        }
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite_err(&self.path, e)
    }

    /// Moves this transaction's wall clock (bulk generation replays history).
    pub fn set_now(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
    }

    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Allocates the next ticket number of this site.
    pub fn next_ticket_number(&mut self) -> i64 {
        let n = self.next_ticket;
        self.next_ticket += 1;
        n
    }

    /// From here on, a ticket created in this transaction is written once
    /// more when it ends, with its final row, instead of once per change
    /// (`store/row_edit.rs`). Only for bulk loads that read no ticket
    /// while they write: until the end, a new ticket's row shows it as it
    /// was created. A `Live` transaction ignores it: it indexes each change
    /// as it is written, so its rows must be current.
    pub fn defer_new_rows(&mut self) {
        if self.mode == ApplyMode::Bulk {
            self.cache.new_rows.get_or_insert_with(Default::default);
        }
    }

    /// Writes the deferred row of a ticket created in this transaction
    /// (`defer_new_rows`) now, when its history is complete and its pages
    /// are likely still cached; later changes to it are written as usual.
    /// Its cached predecessors go too. `generate`, the one caller, changes
    /// a ticket no more once its history is written; a later change to a
    /// field would find that field's tips in the log, like any other
    /// transaction (an approval, which tips leave out, names the creation).
    pub fn write_new_row(&mut self, ticket_id: &str) -> Result<(), StoreError> {
        self.latest.remove(ticket_id);
        let Some(no) = self.cache.ticket_no.get(ticket_id).copied() else {
            return Ok(());
        };
        apply::write_new_row(&self.tx, &mut self.cache, no).map_err(|e| self.apply_err(e))
    }

    /// Appends one op to the log and applies it to the derived tables.
    pub fn append(&mut self, actor: &str, draft: OpDraft) -> Result<Op, StoreError> {
        let pred = if draft.kind == ops::kind::CREATE {
            Vec::new()
        } else {
            self.predecessor(&draft.entity_id, draft.field.as_deref())?
        };
        self.last_hlc = hlc_next(self.last_hlc, self.now_ms);
        let op = Op {
            site: self.site.site_id.clone(),
            seq: self.next_seq,
            hlc: self.last_hlc,
            actor: actor.to_string(),
            entity: draft.entity.to_string(),
            entity_id: draft.entity_id,
            kind: draft.kind.to_string(),
            field: draft.field,
            value: draft.value,
            pred,
        };
        self.next_seq += 1;
        // Ops without a field are creations or events; only a creation is
        // the predecessor of later field-less ops.
        if op.field.is_some() || op.kind == ops::kind::CREATE {
            if !self.latest.contains_key(op.entity_id.as_str()) {
                self.latest
                    .insert(op.entity_id.clone(), OwnHeads::default());
            }
            if let Some(heads) = self.latest.get_mut(op.entity_id.as_str()) {
                heads.record(op.field.as_deref(), op.seq);
            }
        }
        let site_no = self.site.no;
        self.insert_op(&op, site_no, None)?;
        apply::apply(&self.tx, &op, self.mode, &mut self.cache).map_err(|e| self.apply_err(e))?;
        // Superseding several heads resolves a sync conflict: the fold
        // recomputes the register and drops its conflict rows.
        if op.pred.len() > 1
            && let Some(field) = merge::register_field(&op)
        {
            let no = if op.entity == ops::entity::TICKET {
                apply::ticket_no(&self.tx, &mut self.cache, &op, &op.entity_id)
                    .map_err(|e| self.apply_err(e))?
            } else {
                0
            };
            // The fold reads and writes the row itself: it must be current.
            apply::write_new_row(&self.tx, &mut self.cache, no).map_err(|e| self.apply_err(e))?;
            merge::settle(&self.tx, &op.entity, &op.entity_id, field, no)
                .map_err(|e| self.apply_err(e))?;
        }
        Ok(op)
    }

    /// What a new op on `field` of an entity supersedes: every current tip
    /// of that register (one, unless sites changed it concurrently), or
    /// the entity's creation when nothing has set the field yet.
    fn predecessor(&self, entity_id: &str, field: Option<&str>) -> Result<Vec<OpRef>, StoreError> {
        let own = |seq| OpRef {
            site: self.site.site_id.clone(),
            seq,
        };
        let heads = self.latest.get(entity_id);
        if let Some(f) = field {
            if let Some(seq) = heads.and_then(|h| h.of(Some(f))) {
                return Ok(vec![own(seq)]);
            }
            // An entity created in this transaction has no op on this
            // field yet (each would be in `latest`): its creation precedes.
            let born_here = heads.is_some_and(|h| h.of(None).is_some());
            if !born_here {
                let tips = merge::tips(&self.tx, entity_id, f).map_err(|e| self.apply_err(e))?;
                if !tips.is_empty() {
                    return Ok(tips);
                }
            }
        }
        if let Some(seq) = heads.and_then(|h| h.of(None)) {
            return Ok(vec![own(seq)]);
        }
        self.tx
            .prepare_cached(
                "SELECT s.site_id, o.seq FROM op o JOIN site s ON s.no = o.site_no
                 WHERE o.entity_id = ?1 AND o.field IS NULL AND o.kind = 'create' LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![entity_id], |r| {
                    Ok(OpRef {
                        site: r.get(0)?,
                        seq: r.get(1)?,
                    })
                })
                .optional()
            })
            .map(|r| r.into_iter().collect())
            .map_err(|e| self.err(e))
    }

    /// Appends `op` to the log; returns whether it was written. An imported
    /// op (`imported_value`: its value as the JSON text it arrived in) is
    /// skipped when the log has it; a local one is new by construction.
    fn insert_op(
        &mut self,
        op: &Op,
        site_no: i64,
        imported_value: Option<&str>,
    ) -> Result<bool, StoreError> {
        let pred_json = serde_json::to_string(&op.pred).unwrap_or_else(|_| "[]".into());
        let value_json = match imported_value {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => std::borrow::Cow::Owned(op.value.to_string()),
        };
        let sql = if imported_value.is_some() {
            "INSERT OR IGNORE INTO op(site_no, seq, hlc, actor, entity, entity_id, kind, field, value, pred)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        } else {
            "INSERT INTO op(site_no, seq, hlc, actor, entity, entity_id, kind, field, value, pred)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        };
        self.tx
            .prepare_cached(sql)
            .and_then(|mut st| {
                st.execute(params![
                    site_no,
                    op.seq,
                    op.hlc,
                    op.actor,
                    op.entity,
                    op.entity_id,
                    op.kind,
                    op.field,
                    value_json,
                    pred_json
                ])
            })
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
            .inspect(|&written| self.ops_written += u64::from(written))
    }

    fn apply_err(&self, e: apply::ApplyError) -> StoreError {
        match e {
            apply::ApplyError::Sqlite(e) => self.err(e),
            apply::ApplyError::Malformed(m) => StoreError::Integrity(m),
        }
    }

    fn finish(mut self) -> Result<(), StoreError> {
        apply::write_new_rows(&self.tx, &mut self.cache).map_err(|e| self.apply_err(e))?;
        self.settle_imports()?;
        let path = self.path.clone();
        self.tx
            .execute(
                "UPDATE local SET next_seq = ?1, last_hlc = ?2, next_ticket = ?3 WHERE id = 1",
                params![self.next_seq, self.last_hlc, self.next_ticket],
            )
            .map_err(|e| sqlite_err(&path, e))?;
        if self.mode == ApplyMode::Bulk {
            apply::rebuild_fts_pending(&self.tx).map_err(|e| match e {
                apply::ApplyError::Sqlite(e) => sqlite_err(&path, e),
                apply::ApplyError::Malformed(m) => StoreError::Integrity(m),
            })?;
        }
        self.tx.commit().map_err(|e| sqlite_err(&path, e))
    }
}
