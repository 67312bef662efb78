//! Materialization: applies one op to the derived tables. The same function
//! serves the live write path and `doctor`'s rebuild, so the tables can always
//! be re-derived from the log. It reads only the op and the current derived
//! state, never the clock or the configuration.

use super::ops::{Op, entity, kind};
use super::row_edit::{self, RowEdit};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Malformed(String),
}

/// Row numbers of tickets already looked up in this transaction: most ops
/// touch a ticket that an earlier op of the same batch created or touched.
#[derive(Debug, Default)]
pub struct ApplyCache {
    pub(super) ticket_no: foldhash::HashMap<String, i64>,
    /// Tickets whose update time is written later, with the newest time
    /// seen: the sync fold writes a ticket created in its batch once, when
    /// the batch is settled, instead of once per comment or worklog.
    pub(super) deferred_touch: foldhash::HashMap<i64, i64>,
    /// With `WriteTx::defer_new_rows`: the changes to each ticket created
    /// in this transaction, written when it ends.
    pub(super) new_rows: Option<foldhash::HashMap<i64, NewRow>>,
}

/// A ticket created in this transaction whose row is written at its end.
#[derive(Debug)]
pub(super) struct NewRow {
    edit: RowEdit,
    /// The creation's value, for the catalogue fields it started with.
    created: Value,
    /// When it was created: its row's update time until something changes.
    created_ms: i64,
}

impl NewRow {
    fn write(self, conn: &Connection, no: i64, touched_ms: Option<i64>) -> Result<(), ApplyError> {
        // A ticket nothing changed keeps the row its creation wrote.
        let touched_ms = touched_ms.filter(|ms| *ms > self.created_ms);
        self.edit.write(conn, no, touched_ms)
    }
}

/// Takes a register's change to a ticket created in this transaction
/// into its deferred row; false when the row is not deferred or the
/// register lives elsewhere (tasks, resources, links).
fn defer_row_change(cache: &mut ApplyCache, no: i64, r: &Register<'_>) -> Result<bool, ApplyError> {
    let Some(row) = cache.new_rows.as_mut().and_then(|rows| rows.get_mut(&no)) else {
        return Ok(false);
    };
    let Some(change) = row_change(r)? else {
        return Ok(false);
    };
    let created = &row.created;
    row.edit
        .apply(change, || row_edit::creation_fields(created));
    let at = cache.deferred_touch.entry(no).or_insert(r.ms);
    *at = (*at).max(r.ms);
    Ok(true)
}

/// Writes the deferred row of ticket `no`, if it has one, and stops
/// deferring it.
pub(super) fn write_new_row(
    conn: &Connection,
    cache: &mut ApplyCache,
    no: i64,
) -> Result<(), ApplyError> {
    if let Some(row) = cache.new_rows.as_mut().and_then(|rows| rows.remove(&no)) {
        row.write(conn, no, cache.deferred_touch.remove(&no))?;
    }
    Ok(())
}

/// Writes every deferred row (at the end of the transaction, before the
/// text is indexed from the rows).
pub(super) fn write_new_rows(conn: &Connection, cache: &mut ApplyCache) -> Result<(), ApplyError> {
    let Some(rows) = cache.new_rows.as_mut() else {
        return Ok(());
    };
    for (no, row) in std::mem::take(rows) {
        row.write(conn, no, cache.deferred_touch.remove(&no))?;
    }
    Ok(())
}

/// How the full-text index is maintained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// Index each change as it is applied.
    Live,
    /// Collect touched tickets and index them once at commit (bulk loads).
    Bulk,
}

pub(super) fn malformed(op: &Op, what: &str) -> ApplyError {
    ApplyError::Malformed(format!(
        "op {}:{} ({} {} on {}) {what}",
        op.site, op.seq, op.kind, op.entity, op.entity_id
    ))
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Ticket columns a `set` op may write directly. Column names reach SQL
/// only from this list, never from an op.
const SET_COLUMNS: &[&str] = &[
    "title",
    "description",
    "service",
    "type",
    "priority",
    "priority_justification",
    "impact",
    "urgency",
    "assignee",
    "reject_reason",
];

/// The column a `set` op of `field` writes directly, if any.
pub(super) fn set_column(field: &str) -> Option<&'static str> {
    SET_COLUMNS.iter().copied().find(|c| *c == field)
}

/// What a register writes into its ticket's own row, when that is all it
/// writes. The live path writes it with one UPDATE; the sync fold gathers
/// every such change of a ticket created in the same batch into one.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RowChange {
    /// A column of `SET_COLUMNS`, as text (NULL for null).
    Column(&'static str, Option<String>),
    /// A catalogue field (`fields.<name>`): its value, removed when null.
    Field(String, Value),
    /// The state, and since when the ticket is in it.
    Status {
        to: String,
        since: i64,
    },
    Level(i64),
    Route(Option<String>),
}

impl RowChange {
    /// Whether it changes text the full-text index holds (title,
    /// description).
    pub(super) fn is_indexed_text(&self) -> bool {
        matches!(self, RowChange::Column(c, _) if *c == "title" || *c == "description")
    }
}

/// The change a register makes to its ticket's row; `None` for registers
/// kept elsewhere (tasks, resources, links, checklist items).
pub(super) fn row_change(r: &Register<'_>) -> Result<Option<RowChange>, ApplyError> {
    let bad = |what: &str| {
        ApplyError::Malformed(format!("{} {} of {} {what}", r.kind, r.field, r.entity_id))
    };
    if r.entity != entity::TICKET {
        return Ok(None);
    }
    Ok(Some(match r.kind {
        kind::SET => {
            if r.field.starts_with(TASK_PREFIX) || r.field.starts_with(RESOURCE_PREFIX) {
                return Ok(None);
            } else if let Some(name) = r.field.strip_prefix("fields.") {
                RowChange::Field(name.to_string(), r.value.clone())
            } else if let Some(column) = set_column(r.field) {
                let text = match &r.value {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                };
                RowChange::Column(column, text)
            } else {
                return Err(bad("sets an unknown field"));
            }
        }
        kind::TRANSITION => {
            let to = str_of(&r.value, "to").ok_or_else(|| bad("has no target state"))?;
            // A timer's transition is recorded at the moment it was due.
            let since = r.value.get("at").and_then(Value::as_i64).unwrap_or(r.ms);
            RowChange::Status {
                to: to.to_string(),
                since,
            }
        }
        kind::ESCALATE => RowChange::Level(
            r.value
                .get("to")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("has no target level"))?,
        ),
        kind::ROUTE => RowChange::Route(str_of(&r.value, "to").map(str::to_string)),
        _ => return Ok(None),
    }))
}

/// Writes one register's change into ticket `no`'s row.
fn write_row_change(
    conn: &Connection,
    mode: ApplyMode,
    no: i64,
    ms: i64,
    change: RowChange,
) -> Result<(), ApplyError> {
    let text_changed = change.is_indexed_text();
    match change {
        RowChange::Column(column, text) => {
            conn.prepare_cached(&format!(
                "UPDATE ticket SET {column} = ?2, updated_at = max(updated_at, ?3) WHERE no = ?1"
            ))?
            .execute(params![no, text, ms])?;
            if text_changed {
                index_later_or_now(conn, mode, no)?;
            }
        }
        RowChange::Field(name, value) => {
            let (mut fields, is_record) = ticket_fields(conn, no)?;
            if value.is_null() {
                fields.remove(&name);
            } else {
                fields.insert(name, value);
            }
            conn.prepare_cached(
                "UPDATE ticket SET fields = ?2, updated_at = max(updated_at, ?3) WHERE no = ?1",
            )?
            .execute(params![no, Value::Object(fields).to_string(), ms])?;
            // A known error is found by its workaround and root cause too.
            if is_record {
                index_later_or_now(conn, mode, no)?;
            }
        }
        RowChange::Status { to, since } => {
            conn.prepare_cached(
                "UPDATE ticket SET status = ?2, updated_at = max(updated_at, ?3), status_since = ?4 WHERE no = ?1",
            )?
            .execute(params![no, to, ms, since])?;
        }
        RowChange::Level(to) => {
            conn.prepare_cached("UPDATE ticket SET level = ?2 WHERE no = ?1")?
                .execute(params![no, to])?;
        }
        RowChange::Route(to) => {
            conn.prepare_cached("UPDATE ticket SET route = ?2 WHERE no = ?1")?
                .execute(params![no, to])?;
        }
    }
    Ok(())
}

pub fn apply(
    conn: &Connection,
    op: &Op,
    mode: ApplyMode,
    cache: &mut ApplyCache,
) -> Result<(), ApplyError> {
    let ms = op.ms();
    match (op.entity.as_str(), op.kind.as_str()) {
        (entity::TICKET, kind::CREATE) => create_ticket(conn, op, ms, mode, cache),
        (entity::TICKET, kind::SET | kind::TRANSITION) => {
            // These registers move `updated_at` themselves.
            let no = ticket_no(conn, cache, op, &op.entity_id)?;
            record_rejection(conn, op, no)?;
            let r = Register::of(op)?;
            if defer_row_change(cache, no, &r)? {
                return Ok(());
            }
            write_register(conn, mode, no, &r)
        }
        (entity::TICKET, kind::LINK | kind::ROUTE) => {
            let no = ticket_no(conn, cache, op, &op.entity_id)?;
            let r = Register::of(op)?;
            if !defer_row_change(cache, no, &r)? {
                write_register(conn, mode, no, &r)?;
            }
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::TICKET, kind::ESCALATE) => {
            let no = ticket_no(conn, cache, op, &op.entity_id)?;
            if op.field.is_some() {
                let r = Register::of(op)?;
                if !defer_row_change(cache, no, &r)? {
                    write_register(conn, mode, no, &r)?;
                }
            }
            record_escalation(conn, op)?;
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::TICKET, kind::APPROVE) => {
            let no = ticket_no(conn, cache, op, &op.entity_id)?;
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::RUNBOOK_RUN, kind::SET) => {
            write_register(conn, mode, 0, &Register::of(op)?)?;
            let ticket: Option<String> = conn
                .prepare_cached("SELECT ticket_id FROM runbook_run WHERE id = ?1")?
                .query_row([&op.entity_id], |r| r.get(0))
                .optional()?;
            let ticket = ticket.ok_or_else(|| malformed(op, "ticks an unknown runbook run"))?;
            let no = ticket_no(conn, cache, op, &ticket)?;
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::COMMENT, kind::CREATE) => {
            let ticket =
                str_of(&op.value, "ticket").ok_or_else(|| malformed(op, "has no ticket"))?;
            let no = ticket_no(conn, cache, op, ticket)?;
            conn.prepare_cached(
                "INSERT INTO comment(id, ticket_id, author, at, internal, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                op.entity_id,
                ticket,
                op.actor,
                ms,
                op.value.get("internal").and_then(Value::as_bool).unwrap_or(false),
                str_of(&op.value, "body").unwrap_or("")
            ])?;
            index_later_or_now(conn, mode, no)?;
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::WORKLOG, kind::CREATE) => {
            let ticket =
                str_of(&op.value, "ticket").ok_or_else(|| malformed(op, "has no ticket"))?;
            let no = ticket_no(conn, cache, op, ticket)?;
            conn.prepare_cached(
                "INSERT INTO worklog(id, ticket_id, author, at, minutes, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                op.entity_id,
                ticket,
                op.actor,
                ms,
                op.value.get("minutes").and_then(Value::as_i64).unwrap_or(0),
                str_of(&op.value, "note").unwrap_or("")
            ])?;
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::ATTACHMENT, kind::CREATE) => {
            let ticket =
                str_of(&op.value, "ticket").ok_or_else(|| malformed(op, "has no ticket"))?;
            let no = ticket_no(conn, cache, op, ticket)?;
            conn.prepare_cached(
                "INSERT INTO attachment(id, ticket_id, author, at, name, sha256, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                op.entity_id,
                ticket,
                op.actor,
                ms,
                str_of(&op.value, "name").unwrap_or(""),
                str_of(&op.value, "sha256").unwrap_or(""),
                op.value.get("size").and_then(Value::as_i64).unwrap_or(0)
            ])?;
            touch_or_defer(conn, cache, no, ms)
        }
        (entity::RUNBOOK_RUN, kind::CREATE) => {
            let ticket =
                str_of(&op.value, "ticket").ok_or_else(|| malformed(op, "has no ticket"))?;
            let no = ticket_no(conn, cache, op, ticket)?;
            conn.prepare_cached(
                "INSERT INTO runbook_run(id, ticket_id, runbook, started_by, started_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                op.entity_id,
                ticket,
                str_of(&op.value, "runbook").unwrap_or(""),
                op.actor,
                ms
            ])?;
            touch_or_defer(conn, cache, no, ms)
        }
        _ => Err(malformed(op, "is of an unknown kind")),
    }
}

/// One value of a register (a ticket field, a state, a link's presence, a
/// checklist item): written by the op that holds it, or by the creation
/// when no op does. Sync writes only the winner of concurrent changes, so
/// the write is separate from the op's other effects.
#[derive(Debug, Clone)]
pub(super) struct Register<'a> {
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub kind: &'a str,
    pub field: &'a str,
    pub value: Value,
    pub actor: &'a str,
    pub ms: i64,
}

impl<'a> Register<'a> {
    pub fn of(op: &'a Op) -> Result<Register<'a>, ApplyError> {
        let field = op
            .field
            .as_deref()
            .ok_or_else(|| malformed(op, "names no field"))?;
        Ok(Register {
            entity: &op.entity,
            entity_id: &op.entity_id,
            kind: &op.kind,
            field,
            value: op.value.clone(),
            actor: &op.actor,
            ms: op.ms(),
        })
    }
}

/// Writes a register's value. `no` is the ticket's row (unused for
/// checklist items, which live in their run).
pub(super) fn write_register(
    conn: &Connection,
    mode: ApplyMode,
    no: i64,
    r: &Register<'_>,
) -> Result<(), ApplyError> {
    if let Some(change) = row_change(r)? {
        return write_row_change(conn, mode, no, r.ms, change);
    }
    let bad = |what: &str| {
        ApplyError::Malformed(format!("{} {} of {} {what}", r.kind, r.field, r.entity_id))
    };
    match (r.entity, r.kind) {
        (entity::TICKET, kind::SET) => {
            if let Some(id) = r.field.strip_prefix(TASK_PREFIX) {
                write_task(conn, no, id, r)?;
            } else if let Some(id) = r.field.strip_prefix(RESOURCE_PREFIX) {
                write_resource(conn, no, id, r)?;
            }
        }
        (entity::TICKET, kind::LINK) => {
            let (link_kind, target) = r
                .field
                .split_once(':')
                .ok_or_else(|| bad("names no link target"))?;
            if r.value.as_bool().unwrap_or(false) {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO link(ticket_id, kind, target_id) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![r.entity_id, link_kind, target])?;
            } else {
                conn.prepare_cached(
                    "DELETE FROM link WHERE ticket_id = ?1 AND kind = ?2 AND target_id = ?3",
                )?
                .execute(params![r.entity_id, link_kind, target])?;
            }
            if link_kind == "duplicate_of" {
                show_duplicate_of(conn, r.entity_id)?;
            }
        }
        (entity::RUNBOOK_RUN, kind::SET) => {
            let item = r
                .field
                .strip_prefix("item:")
                .ok_or_else(|| bad("names no runbook item"))?;
            if r.value.is_null() {
                conn.prepare_cached("DELETE FROM runbook_tick WHERE run_id = ?1 AND item = ?2")?
                    .execute(params![r.entity_id, item])?;
            } else {
                conn.prepare_cached(
                    "INSERT INTO runbook_tick(run_id, item, checked, evidence, by, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(run_id, item) DO UPDATE SET checked = excluded.checked,
                        evidence = excluded.evidence, by = excluded.by, at = excluded.at",
                )?
                .execute(params![
                    r.entity_id,
                    item,
                    r.value.get("checked").and_then(Value::as_bool).unwrap_or(true),
                    str_of(&r.value, "evidence").unwrap_or(""),
                    r.actor,
                    r.ms
                ])?;
            }
        }
        _ => return Err(bad("is not a register")),
    }
    Ok(())
}

/// The ticket shows the key of the original it duplicates. With several
/// originals the oldest wins, by creation time and key, which every site
/// agrees on (row numbers differ between sites).
pub(super) fn show_duplicate_of(conn: &Connection, ticket_id: &str) -> Result<(), ApplyError> {
    conn.prepare_cached(
        "UPDATE ticket SET duplicate_of = (
            SELECT t.key FROM link l JOIN ticket t ON t.id = l.target_id
            WHERE l.ticket_id = ?1 AND l.kind = 'duplicate_of' ORDER BY t.created_at, t.key LIMIT 1)
         WHERE id = ?1",
    )?
    .execute(params![ticket_id])?;
    Ok(())
}

/// The row of a rejection: a transition that carries a `reason` (what
/// `reject` writes), whatever the state it went to. Other ops: nothing.
pub(super) fn record_rejection(conn: &Connection, op: &Op, no: i64) -> Result<(), ApplyError> {
    let Some(reason) = (op.kind == kind::TRANSITION)
        .then(|| str_of(&op.value, "reason"))
        .flatten()
    else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO rejection(site_no, seq, ticket_id, ticket_no, reason, at)
         VALUES ((SELECT no FROM site WHERE site_id = ?1), ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![op.site, op.seq, op.entity_id, no, reason, op.ms()])?;
    Ok(())
}

/// The row of an escalation event (functional or hierarchical).
pub(super) fn record_escalation(conn: &Connection, op: &Op) -> Result<(), ApplyError> {
    // One that settles a sync conflict on the level chooses a level
    // reached before (`app::conflicts`): no escalation of its own.
    if op.value.get("settles").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    let mode = str_of(&op.value, "mode").unwrap_or("functional");
    let site_no: i64 = conn
        .prepare_cached("SELECT no FROM site WHERE site_id = ?1")?
        .query_row([&op.site], |r| r.get(0))?;
    conn.prepare_cached(
        "INSERT INTO escalation(site_no, seq, ticket_id, mode, from_level, to_level, to_role, note, by, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        site_no,
        op.seq,
        op.entity_id,
        mode,
        op.value.get("from").and_then(Value::as_i64),
        op.value.get("to").and_then(Value::as_i64),
        str_of(&op.value, "role"),
        str_of(&op.value, "note").unwrap_or(""),
        op.actor,
        op.ms()
    ])?;
    Ok(())
}

fn index_later_or_now(conn: &Connection, mode: ApplyMode, no: i64) -> Result<(), ApplyError> {
    match mode {
        ApplyMode::Live => reindex(conn, no),
        ApplyMode::Bulk => mark_pending(conn, no, false),
    }
}

/// The texts a ticket's creation must give (besides its key): its row
/// cannot be written without them, so an import refuses a creation that
/// lacks one before writing anything.
pub const TICKET_TEXTS: &[&str] = &[
    "type",
    "service",
    "title",
    "description",
    "status",
    "priority",
    "impact",
    "urgency",
];

fn create_ticket(
    conn: &Connection,
    op: &Op,
    ms: i64,
    mode: ApplyMode,
    cache: &mut ApplyCache,
) -> Result<(), ApplyError> {
    let v = &op.value;
    let need = |k: &str| str_of(v, k).ok_or_else(|| malformed(op, &format!("lacks '{k}'")));
    let fields = v
        .get("fields")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    // Problems and known errors; ordinary tickets carry no record.
    let record = str_of(v, "record").filter(|r| *r != "ticket");
    conn.prepare_cached(
        "INSERT INTO ticket(id, key, type, service, title, description, status, priority,
            priority_justification, impact, urgency, level, assignee, created_by, created_at,
            updated_at, fields, status_since, record)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?15, ?17)",
    )?
    .execute(params![
        op.entity_id,
        need("key")?,
        need("type")?,
        need("service")?,
        need("title")?,
        need("description")?,
        need("status")?,
        need("priority")?,
        str_of(v, "priority_justification"),
        need("impact")?,
        need("urgency")?,
        v.get("level").and_then(Value::as_i64).unwrap_or(1),
        str_of(v, "assignee"),
        op.actor,
        ms,
        fields.to_string(),
        record
    ])?;
    let no = conn.last_insert_rowid();
    cache.ticket_no.insert(op.entity_id.clone(), no);
    if let Some(rows) = cache.new_rows.as_mut() {
        rows.insert(
            no,
            NewRow {
                edit: RowEdit::default(),
                created: op.value.clone(),
                created_ms: ms,
            },
        );
        cache.deferred_touch.insert(no, ms);
    }
    match mode {
        ApplyMode::Live => {
            conn.prepare_cached(
                "INSERT INTO ticket_fts(rowid, title, description, comments) VALUES (?1, ?2, ?3, '')",
            )?
            .execute(params![no, need("title")?, need("description")?])?;
            if record.is_some() {
                reindex_knowledge(conn, no)?;
            }
        }
        ApplyMode::Bulk => mark_pending(conn, no, true)?,
    }
    Ok(())
}

pub(super) fn ticket_no(
    conn: &Connection,
    cache: &mut ApplyCache,
    op: &Op,
    ticket_id: &str,
) -> Result<i64, ApplyError> {
    if let Some(no) = cache.ticket_no.get(ticket_id) {
        return Ok(*no);
    }
    let no: i64 = conn
        .prepare_cached("SELECT no FROM ticket WHERE id = ?1")?
        .query_row([ticket_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| malformed(op, &format!("refers to unknown ticket {ticket_id}")))?;
    cache.ticket_no.insert(ticket_id.to_string(), no);
    Ok(no)
}

/// A ticket's catalogue fields, and whether it is a record (problem,
/// known error), whose fields are indexed for the knowledge search.
pub(super) fn ticket_fields(
    conn: &Connection,
    no: i64,
) -> Result<(Map<String, Value>, bool), ApplyError> {
    let (text, is_record): (String, bool) = conn
        .prepare_cached("SELECT fields, record IS NOT NULL FROM ticket WHERE no = ?1")?
        .query_row([no], |r| Ok((r.get(0)?, r.get(1)?)))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok((m, is_record)),
        _ => Ok((Map::new(), is_record)),
    }
}

/// Field prefixes of a problem's tasks and resources: each is a register of
/// the problem (`task.<uuid>`), whose value is the whole item or null once
/// removed, so concurrent edits from two sites settle like any field.
pub const TASK_PREFIX: &str = "task.";
pub const RESOURCE_PREFIX: &str = "resource.";

fn write_task(conn: &Connection, no: i64, id: &str, r: &Register<'_>) -> Result<(), ApplyError> {
    if r.value.is_null() {
        conn.prepare_cached("DELETE FROM task WHERE id = ?1")?
            .execute([id])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO task(id, ticket_id, description, assignee, done, by, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET description = excluded.description, assignee = excluded.assignee,
                done = excluded.done, by = excluded.by, at = excluded.at",
        )?
        .execute(params![
            id,
            r.entity_id,
            str_of(&r.value, "description").unwrap_or(""),
            str_of(&r.value, "assignee"),
            r.value.get("done").and_then(Value::as_bool).unwrap_or(false),
            r.actor,
            r.ms
        ])?;
    }
    touch(conn, no, r.ms)
}

fn write_resource(
    conn: &Connection,
    no: i64,
    id: &str,
    r: &Register<'_>,
) -> Result<(), ApplyError> {
    if r.value.is_null() {
        conn.prepare_cached("DELETE FROM resource WHERE id = ?1")?
            .execute([id])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO resource(id, ticket_id, kind, description, hours, rate, cost, by, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, description = excluded.description,
                hours = excluded.hours, rate = excluded.rate, cost = excluded.cost, by = excluded.by, at = excluded.at",
        )?
        .execute(params![
            id,
            r.entity_id,
            str_of(&r.value, "kind").unwrap_or("material"),
            str_of(&r.value, "description").unwrap_or(""),
            r.value.get("hours").and_then(Value::as_f64),
            r.value.get("rate").and_then(Value::as_f64),
            r.value.get("cost").and_then(Value::as_f64).unwrap_or(0.0),
            r.actor,
            r.ms
        ])?;
    }
    touch(conn, no, r.ms)
}

/// `touch`, unless the ticket's update time is deferred (`ApplyCache`).
fn touch_or_defer(
    conn: &Connection,
    cache: &mut ApplyCache,
    no: i64,
    ms: i64,
) -> Result<(), ApplyError> {
    match cache.deferred_touch.get_mut(&no) {
        Some(at) => {
            *at = (*at).max(ms);
            Ok(())
        }
        None => touch(conn, no, ms),
    }
}

pub(super) fn touch(conn: &Connection, no: i64, ms: i64) -> Result<(), ApplyError> {
    conn.prepare_cached("UPDATE ticket SET updated_at = max(updated_at, ?2) WHERE no = ?1")?
        .execute(params![no, ms])?;
    Ok(())
}

/// What the knowledge index holds of a record: title, description (a known
/// error's symptom), and its text fields (workaround, root cause, solution…)
/// with its comments.
const KNOWLEDGE_ROW: &str = "SELECT t.no, t.title, t.description,
        coalesce((SELECT group_concat(j.value, char(10)) FROM json_each(t.fields) j WHERE j.type = 'text'), '')
        || char(10) ||
        coalesce((SELECT group_concat(c.body, char(10)) FROM comment c WHERE c.ticket_id = t.id), '')";

/// Re-indexes a record (problem, known error) in the knowledge index;
/// other tickets are not in it.
fn reindex_knowledge(conn: &Connection, no: i64) -> Result<(), ApplyError> {
    let is_record: bool = conn
        .prepare_cached("SELECT record IS NOT NULL FROM ticket WHERE no = ?1")?
        .query_row([no], |r| r.get(0))?;
    if !is_record {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM knowledge_fts WHERE rowid = ?1")?
        .execute([no])?;
    conn.prepare_cached(&format!(
        "INSERT INTO knowledge_fts(rowid, title, description, detail) {KNOWLEDGE_ROW} FROM ticket t WHERE t.no = ?1"
    ))?
    .execute([no])?;
    Ok(())
}

/// Re-indexes one ticket's title, description and comments.
pub(super) fn reindex(conn: &Connection, no: i64) -> Result<(), ApplyError> {
    reindex_knowledge(conn, no)?;
    conn.prepare_cached("DELETE FROM ticket_fts WHERE rowid = ?1")?
        .execute([no])?;
    conn.prepare_cached(
        "INSERT INTO ticket_fts(rowid, title, description, comments)
         SELECT t.no, t.title, t.description,
                coalesce((SELECT group_concat(c.body, char(10)) FROM comment c WHERE c.ticket_id = t.id), '')
         FROM ticket t WHERE t.no = ?1",
    )?
    .execute([no])?;
    Ok(())
}

/// Queues a ticket for indexing at commit; `fresh` tickets were created in
/// this transaction and have no index entry to delete first (deleting an
/// absent rowid from a contentless-delete FTS5 table still writes a tombstone).
pub(super) fn mark_pending(conn: &Connection, no: i64, fresh: bool) -> Result<(), ApplyError> {
    conn.prepare_cached(
        "CREATE TEMP TABLE IF NOT EXISTS fts_pending(no INTEGER PRIMARY KEY, fresh INTEGER NOT NULL)",
    )?
    .execute([])?;
    conn.prepare_cached("INSERT OR IGNORE INTO temp.fts_pending(no, fresh) VALUES (?1, ?2)")?
        .execute(params![no, fresh])?;
    Ok(())
}

/// Indexes every ticket a bulk transaction touched, once.
pub fn rebuild_fts_pending(conn: &Connection) -> Result<(), ApplyError> {
    let exists: bool = conn
        .prepare_cached("SELECT count(*) FROM temp.sqlite_master WHERE name = 'fts_pending'")?
        .query_row([], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if !exists {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "DELETE FROM knowledge_fts WHERE rowid IN (
             SELECT p.no FROM temp.fts_pending p JOIN ticket t ON t.no = p.no
             WHERE p.fresh = 0 AND t.record IS NOT NULL);
         INSERT INTO knowledge_fts(rowid, title, description, detail)
         {KNOWLEDGE_ROW} FROM temp.fts_pending p JOIN ticket t ON t.no = p.no
         WHERE t.record IS NOT NULL ORDER BY p.no;
         DELETE FROM ticket_fts WHERE rowid IN (SELECT no FROM temp.fts_pending WHERE fresh = 0);
         INSERT INTO ticket_fts(rowid, title, description, comments)
         SELECT t.no, t.title, t.description,
                coalesce((SELECT group_concat(c.body, char(10)) FROM comment c WHERE c.ticket_id = t.id), '')
         FROM temp.fts_pending p JOIN ticket t ON t.no = p.no ORDER BY p.no;
         DELETE FROM temp.fts_pending;"
    ))?;
    Ok(())
}
