//! Proof that the derived tables are exactly what the operation log says:
//! replays the whole log into a fresh in-memory database with the same
//! materialization code, compares every derived table row by row, and runs
//! SQLite's own integrity checks. It also checks what the replay cannot
//! see: that the log holds every seq it should (no change removed behind
//! guardia's back) and that every stored attachment file is there and
//! unchanged. It only reads the file: it never waits for a writer's lock,
//! and a user who may only read the database can run it without leaving
//! anything beside the file.

use super::attachments::{self, FileState, attachments_dir, file_state, stored_file};
use super::ops::Op;
use super::query::op_from_row;
use super::{
    Access, BUSY_TIMEOUT, Store, StoreError, apply, ignored_wal_text, is_busy, merge, schema,
    uri_path, wal_ignored_by,
};
use foldhash::{HashMap, HashMapExt};
use rusqlite::{Connection, OpenFlags, params};
use std::path::Path;

/// What `doctor` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub ops: i64,
    pub tickets: i64,
    pub integrity: Vec<String>,
    pub differences: Vec<String>,
    /// Seqs the log should hold and does not: this site's own from 1 on,
    /// and those of each changeset imported from another site.
    pub log_gaps: Vec<String>,
    /// Attachments whose stored file is missing, unreadable or changed.
    pub attachments: Vec<String>,
    /// The log's newest change lies far ahead of this computer's clock
    /// (filled by the caller, which knows that clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// A `-wal` with committed changes this user's read left out: what
    /// was checked is an older state of the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_wal: Option<String>,
    /// Why the log could not be replayed at all (a damaged file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.integrity.iter().all(|l| l == "ok")
            && self.differences.is_empty()
            && self.log_gaps.is_empty()
            && self.attachments.is_empty()
            && self.clock.is_none()
            && self.unread_wal.is_none()
            && self.unreadable.is_none()
    }

    /// How many problems the report lists (0 when healthy).
    pub fn problem_count(&self) -> usize {
        self.integrity.iter().filter(|l| *l != "ok").count()
            + self.differences.len()
            + self.log_gaps.len()
            + self.attachments.len()
            + usize::from(self.clock.is_some())
            + usize::from(self.unread_wal.is_some())
            + usize::from(self.unreadable.is_some())
    }

    /// The report on a file too damaged to replay: what SQLite's own check
    /// says of it, read without changing it, and why nothing was compared.
    pub fn unreadable(path: &Path, detail: &str) -> Report {
        let check = |uri: &str| {
            Connection::open_with_flags(
                uri,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .and_then(|c| {
                c.busy_timeout(BUSY_TIMEOUT)?;
                c.prepare("PRAGMA integrity_check")?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
        };
        let read_only = Access::of(path).read_only().is_some();
        let mut result = Err(rusqlite::Error::InvalidQuery);
        for uri in read_uris(path, read_only) {
            result = check(&uri);
            if result.is_ok() {
                break;
            }
        }
        let integrity = match result {
            Ok(lines) => lines.into_iter().map(integrity_line).collect(),
            Err(e) => vec![format!("the check itself failed: {e}")],
        };
        Report {
            integrity,
            unreadable: Some(format!("the file is damaged ({detail})")),
            ..Report::default()
        }
    }
}

/// The full-text indexes, with how a report names them.
const FTS_INDEXES: &[(&str, &str)] = &[
    ("ticket_fts", "full-text index"),
    ("knowledge_fts", "knowledge index"),
];

/// At most this many differing rows are listed per table.
const MAX_LISTED: usize = 20;

/// How the replay may open the file at `path` to read it, best first, as
/// `file:` URIs. The store's own connection keeps the -wal and -shm files
/// open when this user may write the database; a user who may not must
/// leave nothing beside it, so the file is opened as `Store::open_to_read`
/// opens it (`read_only_params`).
fn read_uris(path: &Path, read_only: bool) -> Vec<String> {
    let file = |params: &str| format!("file:{}?{params}", uri_path(path));
    if !read_only {
        return vec![file("mode=ro")];
    }
    super::read_only_params(path)
        .iter()
        .map(|p| file(p))
        .collect()
}

/// A line of SQLite's integrity check of the attached file, worded for
/// the operator: it names the index a line of FTS5's check is about, not
/// the schema the replay gave the file.
fn integrity_line(line: String) -> String {
    let line = line
        .replace("*** in database disk ***\n", "")
        .replace("*** in database main ***\n", "");
    match FTS_INDEXES.iter().find(|(index, _)| line.contains(index)) {
        Some((index, what)) => format!("{what}: {}", line.replace(&format!("disk.{index}"), index)),
        None => line,
    }
}

impl Store {
    /// Replays the log and compares. Everything reads one snapshot of the
    /// file (attached to the in-memory replay, inside one read
    /// transaction), so operators writing at the same time cannot make a
    /// healthy database look damaged, and a writer holding the lock does
    /// not hold `doctor` up.
    pub fn doctor(&self) -> Result<Report, StoreError> {
        let mut report = Report::default();
        let e = |e| self.doctor_err(e);
        let mut mem = Connection::open_in_memory().map_err(e)?;
        schema::migrations()
            .to_latest(&mut mem)
            .map_err(|err| StoreError::Integrity(format!("migration failed: {err}")))?;
        mem.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        if let Some(wal) = self.attach_file(&mem)? {
            report.unread_wal = Some(ignored_wal_text(self.path(), &wal));
        }
        for (index, _) in FTS_INDEXES {
            mem.execute_batch(&format!(
                "CREATE VIRTUAL TABLE temp.{index}_vocab_log USING fts5vocab(main, {index}, row);
                 CREATE VIRTUAL TABLE temp.{index}_vocab_file USING fts5vocab(disk, {index}, row);"
            ))
            .map_err(e)?;
        }
        let tx = mem.transaction().map_err(e)?;
        // Since SQLite 3.44 this also runs FTS5's own check of both
        // full-text indexes (the one its 'integrity-check' command runs,
        // which is written as an INSERT and so would need the write lock
        // and a writable file); it checks each index against itself, and
        // the comparison below checks it against the log.
        report.integrity = tx
            .prepare("PRAGMA disk.integrity_check")
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?
            .into_iter()
            .map(integrity_line)
            .collect();
        let fk: Vec<String> = tx
            .prepare("PRAGMA disk.foreign_key_check")
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok(format!(
                        "foreign key broken in {} row {:?}",
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        report.integrity.extend(fk);

        // Replay the whole log into the empty tables through the fold that
        // imports use: the result must not depend on the order, so clock
        // order is as good as any.
        tx.execute(
            "INSERT INTO main.site(no, site_id, code, incarnation)
             SELECT no, site_id, code, incarnation FROM disk.site",
            [],
        )
        .map_err(e)?;
        // The fold reads registers from the log by their unqualified name:
        // a temporary view (searched before `main`) points it at the file's.
        tx.execute("CREATE TEMP VIEW op AS SELECT * FROM disk.op", [])
            .map_err(e)?;
        {
            let mut st = tx
                .prepare(
                    "SELECT s.site_id, o.seq, o.hlc, o.actor, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred, o.site_no
                     FROM disk.op o JOIN disk.site s ON s.no = o.site_no ORDER BY o.hlc, s.site_id, o.seq",
                )
                .map_err(e)?;
            let ops = st
                .query_map([], |r| Ok((op_from_row(r)?, r.get::<_, i64>(10)?)))
                .map_err(e)?;
            let mut cache = apply::ApplyCache::default();
            let mut fold = merge::Fold::default();
            for op in ops {
                let (op, site_no): (Op, i64) = op.map_err(e)?;
                report.ops += 1;
                let at = format!("{}:{}", op.site, op.seq);
                if let Err(err) = merge::integrate(&tx, op, site_no, &mut cache, &mut fold) {
                    report
                        .differences
                        .push(format!("op {at} cannot be replayed: {err}"));
                }
                fold.touched.clear();
            }
            if let Err(err) = fold.settle_all(&tx, &mut cache) {
                report
                    .differences
                    .push(format!("the log cannot be folded: {err}"));
            }
        }
        apply::rebuild_fts_pending(&tx)
            .map_err(|err| StoreError::Integrity(format!("rebuilding the index: {err}")))?;

        for (table, cols) in schema::DERIVED_TABLES {
            for (a, b, what) in [
                ("disk", "main", "in the database but not in the log"),
                ("main", "disk", "in the log but missing from the database"),
            ] {
                let sql = format!(
                    "SELECT {cols} FROM {a}.{table} EXCEPT SELECT {cols} FROM {b}.{table} LIMIT {MAX_LISTED}"
                );
                for row in rows_as_text(&tx, &sql).map_err(e)? {
                    report
                        .differences
                        .push(format!("{table}: row {what}: {row}"));
                }
            }
        }
        // The full-text indexes: every term must be in as many documents,
        // as many times, as the replay indexes it.
        for (index, name) in FTS_INDEXES {
            for (a, b, what) in [
                ("file", "log", "indexed in the database but not by the log"),
                (
                    "log",
                    "file",
                    "indexed by the log but missing from the database",
                ),
            ] {
                let sql = format!(
                    "SELECT term, doc, cnt FROM temp.{index}_vocab_{a} EXCEPT SELECT term, doc, cnt FROM temp.{index}_vocab_{b} LIMIT {MAX_LISTED}"
                );
                for row in rows_as_text(&tx, &sql).map_err(e)? {
                    report.differences.push(format!(
                        "{name}: term {what} (term, documents, occurrences): {row}"
                    ));
                }
            }
        }
        report.tickets = tx
            .query_row("SELECT count(*) FROM main.ticket", [], |r| r.get(0))
            .map_err(e)?;
        report.log_gaps = log_gaps(&tx).map_err(e)?;
        report.attachments = attachment_problems(&tx, &attachments_dir(self.path())).map_err(e)?;
        tx.rollback().map_err(e)?;
        Ok(report)
    }

    /// Attaches the file to the replay's connection as `disk`, to read
    /// only ([`read_uris`]). Returns the `-wal` the read leaves out, if
    /// it had to read the file alone.
    fn attach_file(&self, mem: &Connection) -> Result<Option<std::path::PathBuf>, StoreError> {
        let mut last = None;
        // As the store's own connection reads it: one opened only to read
        // must not have SQLite create anything beside the file.
        let read_only = self.read_only().is_some();
        for uri in read_uris(self.path(), read_only) {
            // A shared memory that cannot be read only shows at the first read.
            let attached = mem
                .execute("ATTACH DATABASE ?1 AS disk", [&uri])
                .and_then(|_| {
                    mem.query_row("SELECT count(*) FROM disk.sqlite_schema", [], |r| {
                        r.get::<_, i64>(0)
                    })
                });
            match attached {
                Ok(_) => {
                    let params = uri.split_once('?').map_or("", |(_, p)| p);
                    return Ok(wal_ignored_by(self.path(), params));
                }
                Err(err) => {
                    let _ = mem.execute("DETACH DATABASE disk", []);
                    last = Some(err);
                }
            }
        }
        Err(last.map_or_else(
            || StoreError::Integrity("the database file could not be attached".into()),
            |err| self.doctor_err(err),
        ))
    }

    /// A failure while reading: a lock that outlasted the busy timeout (a
    /// writer's checkpoint, a recovery) is said as such, never as SQLite's
    /// bare "database is locked".
    fn doctor_err(&self, e: rusqlite::Error) -> StoreError {
        if is_busy(&e) {
            return StoreError::Busy {
                path: self.path().into(),
                secs: BUSY_TIMEOUT.as_secs(),
            };
        }
        self.err(e)
    }
}

/// At most this many missing ranges are listed per site or changeset.
const MAX_GAPS_LISTED: usize = 10;

/// The seqs this database should hold and does not, one line per site
/// (its own) or changeset (another site's): ops deleted from the file
/// behind guardia's back. The replay cannot see them (what is gone is
/// not replayed), but every other site refuses this site's next export
/// (`changeset BOG 1-40 holds 39 ops`), and this site relays an
/// incomplete history.
fn log_gaps(tx: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut lines = Vec::new();
    let (own_no, own_code, next_seq): (i64, String, i64) = tx.query_row(
        "SELECT l.site_no, s.code, l.next_seq FROM disk.local l JOIN disk.site s ON s.no = l.site_no",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let last = next_seq - 1;
    let missing = missing_seqs(tx, own_no, 1, last)?;
    if !missing.is_empty() {
        lines.push(format!(
            "the operation log lacks {} of this site's ({own_code}) changes 1-{last}: seqs {}; they were removed from the file behind guardia's back, and every other site will refuse this site's next export. Restore the last backup made before they went (see `guardia backup`), or report it",
            count_of(&missing),
            ranges_text(&missing)
        ));
    }
    let mut st = tx.prepare(
        "SELECT c.site_no, s.code, c.seq_from, c.seq_to,
                (SELECT count(*) FROM disk.op o
                 WHERE o.site_no = c.site_no AND o.seq BETWEEN c.seq_from AND c.seq_to)
         FROM disk.changeset c JOIN disk.site s ON s.no = c.site_no
         WHERE c.site_no <> ?1 ORDER BY s.code, c.seq_from",
    )?;
    let short: Vec<(i64, String, i64, i64)> = st
        .query_map([own_no], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((no, code, from, to, held)) if held < to - from + 1 => {
                Some(Ok((no, code, from, to)))
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<_>>()?;
    for (site_no, code, from, to) in short {
        let missing = missing_seqs(tx, site_no, from, to)?;
        lines.push(format!(
            "the operation log lacks {} of the changes of site {code}'s changeset {code} {from}-{to}, which this database imported: seqs {}; they were removed from the file behind guardia's back, and the sites this one relays to will refuse them. Restore the last backup made before they went, or report it",
            count_of(&missing),
            ranges_text(&missing)
        ));
    }
    Ok(lines)
}

/// The seqs of site `site_no` in `from..=to` the log does not hold, as
/// ranges (`(first, last)`). Counted first: a complete range is one probe
/// of the primary key.
fn missing_seqs(
    tx: &Connection,
    site_no: i64,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<(i64, i64)>> {
    if to < from {
        return Ok(Vec::new());
    }
    let held: i64 = tx.query_row(
        "SELECT count(*) FROM disk.op WHERE site_no = ?1 AND seq BETWEEN ?2 AND ?3",
        params![site_no, from, to],
        |r| r.get(0),
    )?;
    if held == to - from + 1 {
        return Ok(Vec::new());
    }
    let mut st = tx.prepare(
        "SELECT seq FROM disk.op WHERE site_no = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
    )?;
    let mut missing = Vec::new();
    let mut expected = from;
    for seq in st.query_map(params![site_no, from, to], |r| r.get::<_, i64>(0))? {
        let seq = seq?;
        if seq > expected {
            missing.push((expected, seq - 1));
        }
        expected = seq + 1;
    }
    if expected <= to {
        missing.push((expected, to));
    }
    Ok(missing)
}

/// How many seqs the ranges hold.
fn count_of(ranges: &[(i64, i64)]) -> i64 {
    ranges.iter().map(|(a, b)| b - a + 1).sum()
}

/// `38-39, 41`, the first [`MAX_GAPS_LISTED`] ranges, then `…`.
fn ranges_text(ranges: &[(i64, i64)]) -> String {
    let mut parts: Vec<String> = ranges
        .iter()
        .take(MAX_GAPS_LISTED)
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if ranges.len() > MAX_GAPS_LISTED {
        parts.push("…".into());
    }
    parts.join(", ")
}

/// The attachments whose file in the store `dir` is missing (for this
/// site's own), unreadable or changed (its SHA-256 is not the one the log
/// recorded). Each stored file is hashed once, however many tickets
/// share it.
fn attachment_problems(tx: &Connection, dir: &Path) -> rusqlite::Result<Vec<String>> {
    let mut seen: HashMap<String, FileState> = HashMap::new();
    let mut lines = Vec::new();
    for a in attachments::all(tx, "disk")? {
        let file = stored_file(dir, &a.sha256);
        let state = seen
            .entry(a.sha256.clone())
            .or_insert_with(|| file_state(&file, &a.sha256));
        let short: String = a.sha256.chars().take(12).collect();
        let what = format!(
            "{}: attachment '{}' (sha256 {short}, attached by {})",
            a.key, a.name, a.author
        );
        let fix = "restore it from a backup (`guardia backup` copies the attachments), or ask whoever attached it for the file and put it back there";
        match state {
            FileState::Intact => {}
            // Only the description of another site's attachment travels.
            FileState::Missing if !a.own => {}
            FileState::Missing => lines.push(format!(
                "{what}: its file {} is missing; {fix}",
                file.display()
            )),
            FileState::Unreadable(cause) => lines.push(format!(
                "{what}: its file {} cannot be read ({cause}); check its permissions and those of its folder",
                file.display()
            )),
            FileState::Changed(now) => lines.push(format!(
                "{what}: its file {} has changed since it was attached (its SHA-256 is now {now}); {fix}",
                file.display()
            )),
        }
    }
    Ok(lines)
}

/// Runs a query and renders each row as readable text.
fn rows_as_text(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare(sql)?;
    let n = st.column_count();
    st.query_map([], |r| {
        let vals: Vec<String> = (0..n)
            .map(|i| r.get_ref(i).map(readable).unwrap_or_default())
            .collect();
        Ok(vals.join(", "))
    })?
    .collect()
}

/// A cell as an operator reads it (text as text, not as bytes).
fn readable(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
    }
}
