//! Proof that the derived tables are exactly what the operation log says:
//! replays the whole log into a fresh in-memory database with the same
//! materialization code, compares every derived table row by row, and runs
//! SQLite's own integrity checks. It only reads the file: it never waits
//! for a writer's lock, and a user who may only read the database can run
//! it without leaving anything beside the file.

use super::ops::Op;
use super::query::op_from_row;
use super::{Access, BUSY_TIMEOUT, Store, StoreError, apply, is_busy, merge, schema, uri_path};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// What `doctor` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub ops: i64,
    pub tickets: i64,
    pub integrity: Vec<String>,
    pub differences: Vec<String>,
    /// Why the log could not be replayed at all (a damaged file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.integrity.iter().all(|l| l == "ok")
            && self.differences.is_empty()
            && self.unreadable.is_none()
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
        self.attach_file(&mem)?;
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
        tx.rollback().map_err(e)?;
        Ok(report)
    }

    /// Attaches the file to the replay's connection as `disk`, to read
    /// only ([`read_uris`]).
    fn attach_file(&self, mem: &Connection) -> Result<(), StoreError> {
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
                Ok(_) => return Ok(()),
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
