//! Proof that the derived tables are exactly what the operation log says:
//! replays the whole log into a fresh in-memory database with the same
//! materialization code, compares every derived table row by row, and runs
//! SQLite's own integrity checks.

use super::ops::Op;
use super::query::op_from_row;
use super::{Store, StoreError, apply, schema};
use rusqlite::Connection;

/// What `doctor` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub ops: i64,
    pub tickets: i64,
    pub integrity: Vec<String>,
    pub differences: Vec<String>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.integrity.iter().all(|l| l == "ok") && self.differences.is_empty()
    }
}

/// At most this many differing rows are listed per table.
const MAX_LISTED: usize = 20;

impl Store {
    pub fn doctor(&self) -> Result<Report, StoreError> {
        let mut report = Report::default();
        let conn = self.conn();
        let e = |e| self.err(e);
        report.integrity = conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        if let Err(err) = conn.execute(
            "INSERT INTO ticket_fts(ticket_fts, rank) VALUES ('integrity-check', 1)",
            [],
        ) {
            report.integrity.push(format!(
                "full-text index: {err}; rebuild it with `guardia doctor`"
            ));
        }
        let fk: Vec<String> = conn
            .prepare("PRAGMA foreign_key_check")
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

        // Rebuild from the log into memory.
        let mut mem = Connection::open_in_memory().map_err(e)?;
        schema::migrations()
            .to_latest(&mut mem)
            .map_err(|err| StoreError::Integrity(format!("migration failed: {err}")))?;
        let tx = mem.transaction().map_err(e)?;
        {
            let mut sites = conn
                .prepare("SELECT no, site_id, code, incarnation FROM site")
                .map_err(e)?;
            let rows = sites
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .map_err(e)?;
            for row in rows {
                let (no, id, code, inc) = row.map_err(e)?;
                tx.execute(
                    "INSERT INTO site(no, site_id, code, incarnation) VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![no, id, code, inc],
                )
                .map_err(e)?;
            }
            let mut st = conn
                .prepare(
                    "SELECT s.site_id, o.seq, o.hlc, o.actor, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred
                     FROM op o JOIN site s ON s.no = o.site_no ORDER BY o.hlc, s.site_id, o.seq",
                )
                .map_err(e)?;
            let ops = st.query_map([], op_from_row).map_err(e)?;
            let mut cache = apply::ApplyCache::default();
            for op in ops {
                let op: Op = op.map_err(e)?;
                report.ops += 1;
                if let Err(err) = apply::apply(&tx, &op, apply::ApplyMode::Bulk, &mut cache) {
                    report.differences.push(format!(
                        "op {}:{} cannot be replayed: {err}",
                        op.site, op.seq
                    ));
                }
            }
        }
        apply::rebuild_fts_pending(&tx)
            .map_err(|err| StoreError::Integrity(format!("rebuilding the index: {err}")))?;
        tx.commit().map_err(e)?;

        let disk_path = self.path().to_string_lossy().into_owned();
        mem.execute("ATTACH DATABASE ?1 AS disk", [&disk_path])
            .map_err(e)?;
        for (table, cols) in schema::DERIVED_TABLES {
            for (a, b, what) in [
                ("disk", "main", "in the database but not in the log"),
                ("main", "disk", "in the log but missing from the database"),
            ] {
                let sql = format!(
                    "SELECT {cols} FROM {a}.{table} EXCEPT SELECT {cols} FROM {b}.{table} LIMIT {MAX_LISTED}"
                );
                let rows: Vec<String> = mem
                    .prepare(&sql)
                    .and_then(|mut st| {
                        let n = st.column_count();
                        st.query_map([], |r| {
                            let vals: Vec<String> = (0..n)
                                .map(|i| r.get_ref(i).map(readable).unwrap_or_default())
                                .collect();
                            Ok(vals.join(", "))
                        })?
                        .collect::<Result<Vec<_>, _>>()
                    })
                    .map_err(e)?;
                for row in rows {
                    report
                        .differences
                        .push(format!("{table}: row {what}: {row}"));
                }
            }
        }
        // Full-text index: the same documents must match the same words.
        let fts_diff: i64 = mem
            .query_row(
                "SELECT (SELECT count(*) FROM main.ticket_fts_docsize) - (SELECT count(*) FROM disk.ticket_fts_docsize)",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if fts_diff != 0 {
            report.differences.push(format!(
                "full-text index: {} document(s) differ from the log",
                fts_diff.abs()
            ));
        }
        report.tickets = mem
            .query_row("SELECT count(*) FROM main.ticket", [], |r| r.get(0))
            .map_err(e)?;
        Ok(report)
    }
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
