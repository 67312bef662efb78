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
    export_with(from, target, name, &[])
}

/// Exports with `--relay` (other sites' changesets too) into a new file.
pub fn relay(from: &Env, target: &str, name: &str) -> PathBuf {
    export_with(from, target, name, &["--relay"])
}

fn export_with(from: &Env, target: &str, name: &str, extra: &[&str]) -> PathBuf {
    let out = from.path().join(name);
    let out_arg = out.to_string_lossy().to_string();
    let mut args = vec!["sync", "export", "--out", &out_arg, "--for", target];
    args.extend_from_slice(extra);
    from.ok(&args);
    out
}

pub fn import(to: &Env, file: &Path) -> String {
    to.ok(&["sync", "import", &file.to_string_lossy()])
}

/// Every row of each query, its cells as `cell` prints them joined by `|`.
fn rows_of(
    e: &Env,
    queries: &[&str],
    cell: fn(rusqlite::types::ValueRef<'_>) -> String,
) -> Vec<Vec<String>> {
    let c =
        rusqlite::Connection::open_with_flags(&e.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    queries
        .iter()
        .map(|q| {
            let mut st = c.prepare(q).expect("query");
            let n = st.column_count();
            st.query_map([], |r| {
                let cells: Vec<String> =
                    (0..n).map(|i| cell(r.get_ref(i).expect("cell"))).collect();
                Ok(cells.join("|"))
            })
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
        })
        .collect()
}

/// Everything a site shows, in an order every site agrees on.
pub fn dump(e: &Env) -> String {
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
    for rows in rows_of(e, &queries, |v| format!("{v:?}")) {
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
        out.push_str("--\n");
    }
    out
}

/// Asserts that importing `file` is refused for `why`, naming the file,
/// and that the database and its log are byte for byte as before.
pub fn assert_refused(e: &Env, file: &Path, why: &str) {
    e.ok(&["sync", "status"]);
    let before = file_bytes(e);
    let err = e.fail(&["sync", "import", &file.to_string_lossy()]);
    assert!(
        err.contains("refused") && err.contains(why),
        "expected '{why}': {err}"
    );
    assert!(
        err.contains(&file.display().to_string()),
        "names the file: {err}"
    );
    assert!(file_bytes(e) == before, "the database changed after: {err}");
}

/// The database file and its write-ahead log, byte for byte.
pub fn file_bytes(e: &Env) -> (Vec<u8>, Vec<u8>) {
    let wal = PathBuf::from(format!("{}-wal", e.db.display()));
    (
        std::fs::read(&e.db).expect("db"),
        std::fs::read(wal).unwrap_or_default(),
    )
}

/// What the oracle and the database are compared on: each ticket's state,
/// assignee, priority and title, every comment and worklog entry, the links
/// present and the runbook ticks.
pub fn projection(e: &Env) -> String {
    let queries = [
        "SELECT 'ticket', id, status, coalesce(assignee, ''), priority, title FROM ticket",
        "SELECT 'comment', id, ticket_id, body FROM comment",
        "SELECT 'worklog', id, ticket_id, minutes FROM worklog",
        "SELECT 'link', ticket_id, kind, target_id FROM link",
        "SELECT 'tick', run_id, item, checked FROM runbook_tick",
    ];
    let mut lines: Vec<String> = rows_of(e, &queries, |v| match v {
        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
        other => format!("{other:?}"),
    })
    .concat();
    lines.sort();
    lines.join("\n")
}

/// An independent, deliberately naive fold of every op in `e`'s log into
/// the same projection: each register's value is that of its head (an op
/// no other op of the register names as predecessor) with the greatest
/// `(hlc, site id, seq)`; creations and events are taken as they are. It
/// shares no code with the application's fold.
pub fn naive_fold(e: &Env) -> String {
    use serde_json::Value;
    use std::collections::{BTreeMap, HashSet};
    let c =
        rusqlite::Connection::open_with_flags(&e.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    struct Row {
        at: String,
        order: (i64, String, i64),
        entity: String,
        id: String,
        kind: String,
        field: Option<String>,
        value: Value,
        pred: Vec<String>,
    }
    let mut st = c
        .prepare(
            "SELECT s.site_id, o.seq, o.hlc, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred
             FROM op o JOIN site s ON s.no = o.site_no",
        )
        .expect("ops");
    let ops: Vec<Row> = st
        .query_map([], |r| {
            let site: String = r.get(0)?;
            let seq: i64 = r.get(1)?;
            let value: String = r.get(7)?;
            let pred: String = r.get(8)?;
            let pred: Vec<Value> = serde_json::from_str(&pred).expect("pred");
            Ok(Row {
                at: format!("{site}:{seq}"),
                order: (r.get(2)?, site, seq),
                entity: r.get(3)?,
                id: r.get(4)?,
                kind: r.get(5)?,
                field: r.get(6)?,
                value: serde_json::from_str(&value).expect("value"),
                pred: pred
                    .iter()
                    .map(|p| format!("{}:{}", p["site"].as_str().expect("site"), p["seq"]))
                    .collect(),
            })
        })
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    // Registers: (entity id, field) → their ops.
    let mut registers: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    let registered = ["set", "transition", "link", "escalate", "route"];
    for o in &ops {
        if let Some(f) = &o.field
            && registered.contains(&o.kind.as_str())
        {
            registers
                .entry((o.id.clone(), f.clone()))
                .or_default()
                .push(o);
        }
    }
    let winner = |id: &str, field: &str| -> Option<&Row> {
        let regs = registers.get(&(id.to_string(), field.to_string()))?;
        let named: HashSet<&String> = regs.iter().flat_map(|o| o.pred.iter()).collect();
        regs.iter()
            .filter(|o| !named.contains(&o.at))
            .max_by(|a, b| a.order.cmp(&b.order))
            .copied()
    };
    let mut runs: BTreeMap<String, ()> = BTreeMap::new();
    let mut lines = Vec::new();
    for o in &ops {
        match (o.entity.as_str(), o.kind.as_str()) {
            ("ticket", "create") => {
                let v = &o.value;
                let status = winner(&o.id, "status")
                    .map(|w| text(&w.value["to"]))
                    .unwrap_or_else(|| text(&v["status"]));
                let shown = |field: &str| {
                    winner(&o.id, field)
                        .map(|w| text(&w.value))
                        .unwrap_or_else(|| text(&v[field]))
                };
                let (assignee, priority, title) =
                    (shown("assignee"), shown("priority"), shown("title"));
                lines.push(format!(
                    "ticket|{}|{status}|{assignee}|{priority}|{title}",
                    o.id
                ));
            }
            ("comment", "create") => lines.push(format!(
                "comment|{}|{}|{}",
                o.id,
                text(&o.value["ticket"]),
                text(&o.value["body"])
            )),
            ("worklog", "create") => lines.push(format!(
                "worklog|{}|{}|{}",
                o.id,
                text(&o.value["ticket"]),
                o.value["minutes"].as_i64().unwrap_or(0)
            )),
            ("runbook_run", "create") => {
                runs.insert(o.id.clone(), ());
            }
            _ => {}
        }
    }
    for ((id, field), _) in registers.iter() {
        let Some(w) = winner(id, field) else { continue };
        if w.kind == "link" && w.value == Value::Bool(true) {
            let (kind, target) = field.split_once(':').expect("link field");
            lines.push(format!("link|{id}|{kind}|{target}"));
        }
        if w.entity == "runbook_run"
            && runs.contains_key(id)
            && let Some(item) = field.strip_prefix("item:")
            && !w.value.is_null()
        {
            let checked = w.value["checked"].as_bool().unwrap_or(true);
            lines.push(format!("tick|{id}|{item}|{}", i64::from(checked)));
        }
    }
    lines.sort();
    lines.join("\n")
}
