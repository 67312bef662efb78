//! Helpers for sync tests: sites that trust each other, bundles passed
//! between them, and a dump of everything a site shows (by stable ids, not
//! local row numbers) to compare sites with.

use super::Env;
use std::path::{Path, PathBuf};

/// `n` sites of one dataset (BOG, then LYO, MAD, …) that trust each other.
pub fn sites(n: usize) -> Vec<Env> {
    const CODES: [&str; 5] = ["BOG", "LYO", "MAD", "QUI", "LIM"];
    let first = Env::with_site(CODES[0]);
    let first_key = key_of(&first);
    let mut all = vec![first];
    for code in CODES.iter().take(n).skip(1) {
        let e = Env::empty();
        e.ok(&[
            "init",
            "--site",
            code,
            "--join",
            &first_key.to_string_lossy(),
        ]);
        all.push(e);
    }
    let keys: Vec<PathBuf> = all.iter().map(key_of).collect();
    for (i, e) in all.iter().enumerate() {
        for (j, k) in keys.iter().enumerate() {
            if i != j && !(j == 0 && i > 0) {
                e.ok(&["sync", "trust", &k.to_string_lossy()]);
            }
        }
    }
    all
}

pub fn key_of(e: &Env) -> PathBuf {
    let path = e.path().join("site.pub");
    if !path.exists() {
        e.ok(&["sync", "key", "--out", &path.to_string_lossy()]);
    }
    path
}

/// Exports from `from` for `to`'s site code (or `all`) into a new file.
pub fn export(from: &Env, target: &str, name: &str) -> PathBuf {
    let out = from.path().join(name);
    from.ok(&[
        "sync",
        "export",
        "--out",
        &out.to_string_lossy(),
        "--for",
        target,
    ]);
    out
}

pub fn import(to: &Env, file: &Path) -> String {
    to.ok(&["sync", "import", &file.to_string_lossy()])
}

/// Everything a site shows, in an order every site agrees on.
pub fn dump(e: &Env) -> String {
    let c =
        rusqlite::Connection::open_with_flags(&e.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let queries = [
        "SELECT id, key, type, service, title, description, status, priority, priority_justification,
                impact, urgency, level, assignee, created_by, created_at, updated_at, fields,
                reject_reason, duplicate_of, route, status_since FROM ticket ORDER BY id",
        "SELECT id, ticket_id, author, at, internal, body FROM comment ORDER BY id",
        "SELECT id, ticket_id, author, at, minutes, note FROM worklog ORDER BY id",
        "SELECT id, ticket_id, runbook, started_by, started_at FROM runbook_run ORDER BY id",
        "SELECT run_id, item, checked, evidence, by, at FROM runbook_tick ORDER BY run_id, item",
        "SELECT ticket_id, kind, target_id FROM link ORDER BY 1, 2, 3",
        "SELECT s.site_id, e.seq, e.ticket_id, e.mode, e.to_level, e.by FROM escalation e
         JOIN site s ON s.no = e.site_no ORDER BY 1, 2",
        "SELECT ticket_id, field, kind, heads FROM conflict ORDER BY 1, 2, 3",
    ];
    let mut out = String::new();
    for q in queries {
        let mut st = c.prepare(q).expect("query");
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).expect("cell")))
                    .collect();
                Ok(cells.join("|"))
            })
            .expect("rows");
        for row in rows {
            out.push_str(&row.expect("row"));
            out.push('\n');
        }
        out.push_str("--\n");
    }
    out
}

/// The database file and its write-ahead log, byte for byte.
pub fn file_bytes(e: &Env) -> (Vec<u8>, Vec<u8>) {
    let wal = PathBuf::from(format!("{}-wal", e.db.display()));
    (
        std::fs::read(&e.db).expect("db"),
        std::fs::read(wal).unwrap_or_default(),
    )
}
