//! The fold of ops that arrive from other sites, in any order. The state of
//! every ticket is a function of the *set* of ops it has, never of the
//! order they came in: creations are inserted once, events are rows keyed
//! by their op, and every register (a field, the state, a link's presence,
//! a checklist item) holds the value of its winning head, recomputed from
//! the log whenever one of its ops arrives.
//!
//! Heads of a register are its valid ops that no other valid op of the
//! register names in `pred`; the winner is the head with the greatest
//! `(hlc, site id, seq)`. Heads that disagree on the state, the assignee,
//! the priority or the escalation level are a conflict, stored as a row
//! every site computes alike.
//! A transition is valid when its `from` is the state its predecessor set:
//! its author checked it against the workflow it ran, and the signature on
//! its changeset vouches for that, so no local configuration is consulted.
//! An op whose parent (ticket or runbook run) has not arrived waits in
//! `op_waiting` and is folded when the parent's creation arrives.
//!
//! `doctor` replays the whole log through this fold, so a database built by
//! local writes and imports is checked against the same definition.

use super::apply::{
    self, ApplyCache, ApplyError, ApplyMode, Register, RowChange, malformed, show_duplicate_of,
    str_of, touch, write_register,
};
use super::ops::{Op, OpRef, entity, kind};
use super::row_edit::{self, RowEdit};
use foldhash::{HashMap, HashMapExt, HashSet};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Fields whose concurrent, different values are shown to people as
/// conflicts (every other register silently keeps its winner).
pub const CONFLICT_FIELDS: &[(&str, &str)] = &[
    ("status", "state"),
    ("assignee", "assignee"),
    ("priority", "priority"),
    // Concurrent functional escalations: the winner alone would silently
    // undo a level someone else escalated to.
    ("level", "level"),
];

/// Conflict kind of transitions whose `from` is not the state their
/// predecessor set (a forged or broken op: kept in the log, not applied).
pub const INVALID_TRANSITION: &str = "invalid-transition";

/// Whether an op writes a register (and which), as opposed to creating an
/// entity or recording an event.
pub fn register_field(op: &Op) -> Option<&str> {
    let is_register = match (op.entity.as_str(), op.kind.as_str()) {
        (entity::TICKET, kind::SET | kind::TRANSITION | kind::LINK | kind::ROUTE) => true,
        // A functional escalation changes the level; a hierarchical one has no field.
        (entity::TICKET, kind::ESCALATE) => true,
        (entity::RUNBOOK_RUN, kind::SET) => true,
        _ => false,
    };
    if is_register {
        op.field.as_deref()
    } else {
        None
    }
}

/// The entity that must exist before an op can be folded, if any.
fn parent_of(op: &Op) -> Option<&str> {
    match (op.entity.as_str(), op.kind.as_str()) {
        (entity::TICKET, kind::CREATE) => None,
        (entity::TICKET, _) => Some(&op.entity_id),
        (entity::RUNBOOK_RUN, kind::SET) => Some(&op.entity_id),
        (_, kind::CREATE) => str_of(&op.value, "ticket"),
        _ => None,
    }
}

/// What a batch of integrated ops leaves to do. Registers are settled once
/// per batch instead of once per op (a ticket's state changes several
/// times in a bundle; only the last verdict matters), and the registers of
/// entities created in the batch are judged from memory: every one of
/// their ops passes through the batch (those that arrived before their
/// parent were waiting and are folded when it is created), so the log need
/// not be read back.
#[derive(Default)]
pub struct Fold {
    /// Tickets whose state may have changed.
    pub touched: HashSet<String>,
    registers: HashMap<(String, String, String), Dirty>,
    born: HashMap<String, Op>,
    updated: HashMap<i64, i64>,
}

/// A register to settle: its ticket's row, and its ops when all of them are
/// known without reading the log.
struct Dirty {
    ticket_no: i64,
    ops: Option<Vec<RegOp>>,
}

/// Registers and created entities held before a batch is settled early,
/// so that a bundle of millions of ops folds in bounded memory. Settling
/// early is always correct (the log has every op); it only costs reading
/// some back. Measured at 1M ops: 10,000 and 20,000 fold as fast (20.6 s),
/// holding 79 and 94 MB; 60,000 is slower (21.9 s) and holds 177 MB.
const FOLD_BATCH: usize = 10_000;

impl Fold {
    /// Holds a register op until the batch is settled, moved into the
    /// register when its ticket was created in the batch.
    fn register_op(&mut self, op: Op, field: String, ticket_no: i64) {
        let ms = op.ms();
        let at = self.updated.entry(ticket_no).or_insert(ms);
        *at = (*at).max(ms);
        let born = self.born.contains_key(&op.entity_id);
        let dirty = self
            .registers
            .entry((op.entity, op.entity_id, field))
            .or_insert_with(|| Dirty {
                ticket_no,
                ops: born.then(Vec::new),
            });
        if let Some(ops) = &mut dirty.ops {
            ops.push(RegOp {
                at: OpRef {
                    site: op.site,
                    seq: op.seq,
                },
                hlc: op.hlc,
                kind: op.kind,
                value: op.value,
                actor: op.actor,
                pred: op.pred,
            });
        }
    }

    /// Settles every register the batch wrote and the tickets' update times.
    /// Every register is settled even when one fails (the doctor goes on
    /// replaying after an error); the first error is returned.
    ///
    /// A ticket created in the batch is written once more, whatever its
    /// history: the winners of its row's registers and its update time
    /// gathered into one UPDATE, instead of one per register, comment and
    /// worklog entry (each rewrote the row and the indexes of its columns).
    /// Any other ticket whose own columns the batch changed gets one UPDATE
    /// as well (`BatchRows`).
    pub fn settle_all(
        &mut self,
        conn: &Connection,
        cache: &mut ApplyCache,
    ) -> Result<(), ApplyError> {
        let mut first_error = None;
        for (no, ms) in cache.deferred_touch.drain() {
            let at = self.updated.entry(no).or_insert(ms);
            *at = (*at).max(ms);
        }
        let mut rows: HashMap<i64, RowEdit> = HashMap::new();
        // Creations read back from the log, once per entity and batch
        // (a ticket has several registers to settle).
        let mut logged: HashMap<String, Option<Op>> = HashMap::new();
        let registers = std::mem::take(&mut self.registers);
        for ((entity_kind, entity_id, field), dirty) in registers {
            let settled = self.settle_one(
                conn,
                &entity_kind,
                &entity_id,
                &field,
                dirty,
                &mut rows,
                &mut logged,
            );
            if let Err(e) = settled {
                first_error.get_or_insert(match e {
                    ApplyError::Malformed(m) => {
                        ApplyError::Malformed(format!("{field} of {entity_id}: {m}"))
                    }
                    other => other,
                });
            }
        }
        for (no, edit) in rows {
            if let Err(e) = edit.write(conn, no, self.updated.remove(&no)) {
                first_error.get_or_insert(e);
            }
        }
        for (no, ms) in self.updated.drain() {
            if let Err(e) = touch(conn, no, ms) {
                first_error.get_or_insert(e);
            }
        }
        self.born.clear();
        first_error.map_or(Ok(()), Err)
    }

    #[allow(clippy::too_many_arguments)]
    fn settle_one(
        &self,
        conn: &Connection,
        entity_kind: &str,
        entity_id: &str,
        field: &str,
        dirty: Dirty,
        rows: &mut HashMap<i64, RowEdit>,
        logged: &mut HashMap<String, Option<Op>>,
    ) -> Result<(), ApplyError> {
        let (ops, created, fresh) = match dirty.ops {
            Some(mut ops) => {
                ops.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
                (ops, self.born.get(entity_id), true)
            }
            None => {
                if !logged.contains_key(entity_id) {
                    logged.insert(entity_id.to_string(), creation(conn, entity_id)?);
                }
                (
                    register_ops(conn, entity_id, field)?,
                    logged.get(entity_id).and_then(Option::as_ref),
                    false,
                )
            }
        };
        let verdict = verdict_of(&ops, created);
        let batch = BatchRows {
            rows,
            fresh: fresh && created.is_some_and(|c| c.entity == entity::TICKET),
        };
        write_settled(
            conn,
            entity_kind,
            entity_id,
            field,
            dirty.ticket_no,
            &ops,
            created,
            &verdict,
            Some(batch),
        )
    }
}

/// The batch's row changes, one UPDATE per ticket, that a settled
/// register's change to its ticket's own row joins.
struct BatchRows<'r> {
    rows: &'r mut HashMap<i64, RowEdit>,
    /// The ticket was born in the batch: its row holds what it was created
    /// with, and its text is indexed at commit anyway.
    fresh: bool,
}

impl BatchRows<'_> {
    fn take(
        self,
        conn: &Connection,
        ticket_no: i64,
        created: Option<&Op>,
        change: RowChange,
    ) -> Result<(), ApplyError> {
        let edit = self.rows.entry(ticket_no).or_default();
        if self.fresh {
            edit.apply(change, || {
                created.map_or_else(Default::default, |c| row_edit::creation_fields(&c.value))
            });
            return Ok(());
        }
        // Any other ticket starts from the fields its row holds now.
        let mut stored_fields = None;
        if change.is_indexed_text() {
            apply::mark_pending(conn, ticket_no, false)?;
        } else if matches!(change, RowChange::Field(..)) && !edit.has_fields() {
            let (fields, is_record) = apply::ticket_fields(conn, ticket_no)?;
            // A known error is found by its workaround and root cause too.
            if is_record {
                apply::mark_pending(conn, ticket_no, false)?;
            }
            stored_fields = Some(fields);
        }
        edit.apply(change, || stored_fields.unwrap_or_default());
        Ok(())
    }
}

/// Folds one op that is already in the log (and was not folded before).
/// Registers it writes are settled by `fold.settle_all`.
pub fn integrate(
    conn: &Connection,
    op: Op,
    site_no: i64,
    cache: &mut ApplyCache,
    fold: &mut Fold,
) -> Result<(), ApplyError> {
    // Ops waiting for a parent this one creates are folded after it.
    let mut work = vec![(op, site_no)];
    while let Some((op, site_no)) = work.pop() {
        if let Some(parent) = parent_of(&op)
            && !fold.born.contains_key(parent)
            && !exists(conn, &op, parent)?
        {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO op_waiting(parent_id, site_no, seq) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![parent, site_no, op.seq])?;
            continue;
        }
        if let Some(field) = register_field(&op).map(str::to_string) {
            let ticket_id = ticket_of(conn, &op)?;
            let no = apply::ticket_no(conn, cache, &op, &ticket_id)?;
            if op.entity == entity::TICKET && op.kind == kind::ESCALATE {
                apply::record_escalation(conn, &op)?;
            }
            if op.entity == entity::TICKET {
                apply::record_rejection(conn, &op, no)?;
            }
            fold.touched.insert(ticket_id);
            fold.register_op(op, field, no);
            continue;
        }
        let ticket = fold_event(conn, &op, cache)?;
        fold.touched.insert(ticket);
        if op.kind == kind::CREATE
            && matches!(op.entity.as_str(), entity::TICKET | entity::RUNBOOK_RUN)
        {
            work.extend(take_waiting(conn, &op.entity_id)?);
            fold.born.insert(op.entity_id.clone(), op);
        }
    }
    if fold.registers.len() + fold.born.len() >= FOLD_BATCH {
        fold.settle_all(conn, cache)?;
    }
    Ok(())
}

/// Folds an op that creates an entity or records an event, whose parent
/// exists; returns the ticket it touched.
fn fold_event(conn: &Connection, op: &Op, cache: &mut ApplyCache) -> Result<String, ApplyError> {
    apply::apply(conn, op, ApplyMode::Bulk, cache)?;
    if op.entity == entity::TICKET && op.kind == kind::CREATE {
        // Its row is written once more, when the batch is settled.
        let no = apply::ticket_no(conn, cache, op, &op.entity_id)?;
        cache.deferred_touch.insert(no, op.ms());
        // Tickets that named this one as their original show its key now.
        let mut st = conn.prepare_cached(
            "SELECT ticket_id FROM link WHERE target_id = ?1 AND kind = 'duplicate_of'",
        )?;
        let dups: Vec<String> = st
            .query_map([&op.entity_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for d in dups {
            show_duplicate_of(conn, &d)?;
        }
    }
    ticket_of(conn, op)
}

fn ticket_of(conn: &Connection, op: &Op) -> Result<String, ApplyError> {
    Ok(match (op.entity.as_str(), op.kind.as_str()) {
        (entity::TICKET, _) => op.entity_id.clone(),
        (entity::RUNBOOK_RUN, kind::SET) => conn
            .prepare_cached("SELECT ticket_id FROM runbook_run WHERE id = ?1")?
            .query_row([&op.entity_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| malformed(op, "ticks an unknown runbook run"))?,
        _ => str_of(&op.value, "ticket")
            .ok_or_else(|| malformed(op, "has no ticket"))?
            .to_string(),
    })
}

fn exists(conn: &Connection, op: &Op, parent: &str) -> Result<bool, ApplyError> {
    let sql = if op.entity == entity::RUNBOOK_RUN && op.kind == kind::SET {
        "SELECT 1 FROM runbook_run WHERE id = ?1"
    } else {
        "SELECT 1 FROM ticket WHERE id = ?1"
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([parent], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The ops that waited for `parent`, removed from the waiting list.
fn take_waiting(conn: &Connection, parent: &str) -> Result<Vec<(Op, i64)>, ApplyError> {
    let mut st = conn.prepare_cached(
        "SELECT s.site_id, o.seq, o.hlc, o.actor, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred, o.site_no
         FROM op_waiting w JOIN op o ON o.site_no = w.site_no AND o.seq = w.seq
         JOIN site s ON s.no = o.site_no WHERE w.parent_id = ?1",
    )?;
    let ops: Vec<(Op, i64)> = st
        .query_map([parent], |r| {
            Ok((super::query::op_from_row(r)?, r.get(10)?))
        })?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached("DELETE FROM op_waiting WHERE parent_id = ?1")?
        .execute([parent])?;
    Ok(ops)
}

/// One op of a register, as the fold needs it.
#[derive(Debug, Clone)]
struct RegOp {
    at: OpRef,
    hlc: i64,
    kind: String,
    value: Value,
    actor: String,
    pred: Vec<OpRef>,
}

impl RegOp {
    fn order_key(&self) -> (i64, &str, i64) {
        (self.hlc, &self.at.site, self.at.seq)
    }
}

/// Every op of one register, oldest first.
fn register_ops(conn: &Connection, entity_id: &str, field: &str) -> Result<Vec<RegOp>, ApplyError> {
    let mut st = conn.prepare_cached(
        "SELECT s.site_id, o.seq, o.hlc, o.kind, o.value, o.pred, o.actor
         FROM op o JOIN site s ON s.no = o.site_no
         WHERE o.entity_id = ?1 AND o.field = ?2 AND o.kind <> 'approve'",
    )?;
    let rows = st.query_map(params![entity_id, field], |r| {
        let value: String = r.get(4)?;
        let pred: String = r.get(5)?;
        Ok(RegOp {
            at: OpRef {
                site: r.get(0)?,
                seq: r.get(1)?,
            },
            hlc: r.get(2)?,
            kind: r.get(3)?,
            value: serde_json::from_str(&value).unwrap_or(Value::Null),
            actor: r.get(6)?,
            pred: serde_json::from_str(&pred).unwrap_or_default(),
        })
    })?;
    let mut ops: Vec<RegOp> = rows.collect::<Result<_, _>>()?;
    ops.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Ok(ops)
}

/// The creation op of an entity, if it has arrived.
fn creation(conn: &Connection, entity_id: &str) -> Result<Option<Op>, ApplyError> {
    let row = conn
        .prepare_cached(
            "SELECT s.site_id, o.seq, o.hlc, o.actor, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred
             FROM op o JOIN site s ON s.no = o.site_no
             WHERE o.entity_id = ?1 AND o.field IS NULL AND o.kind = 'create' LIMIT 1",
        )?
        .query_row([entity_id], super::query::op_from_row)
        .optional()?;
    Ok(row)
}

/// What the fold decides for one register.
#[derive(Debug, Default)]
pub(super) struct Verdict {
    /// Valid ops no other valid op supersedes, winner last.
    heads: Vec<usize>,
    /// Invalid ops no valid op supersedes.
    invalid: Vec<usize>,
    /// Transitions whose predecessors have not arrived, not superseded.
    undecided: Vec<usize>,
}

/// Validity and heads of a register's ops. A transition is valid when its
/// `from` is the state one of its (valid) predecessors set, or the state
/// the ticket was created in; anything else is valid. Ops whose
/// predecessors have not arrived stay undecided until they do.
fn judge(ops: &[RegOp], created_status: Option<&str>, create_ref: Option<&OpRef>) -> Verdict {
    let index_of = |r: &OpRef| ops.iter().position(|o| &o.at == r);
    let mut valid = vec![false; ops.len()];
    let mut decided = vec![false; ops.len()];
    for (i, o) in ops.iter().enumerate() {
        if o.kind != kind::TRANSITION {
            valid[i] = true;
            decided[i] = true;
        }
    }
    // Iterate to a fixpoint: a transition becomes valid once a predecessor
    // it follows is valid. Cycles (only forged ops can make them) never do.
    loop {
        let mut changed = false;
        for (i, o) in ops.iter().enumerate() {
            if decided[i] {
                continue;
            }
            let from = str_of(&o.value, "from");
            let mut all_known = true;
            let mut follows = false;
            for p in &o.pred {
                if Some(p) == create_ref {
                    follows |= from.is_some() && from == created_status;
                } else if let Some(j) = index_of(p) {
                    if !decided[j] {
                        all_known = false;
                    } else if valid[j] && str_of(&ops[j].value, "to") == from {
                        follows = true;
                    }
                } else {
                    all_known = false;
                }
            }
            if follows {
                valid[i] = true;
                decided[i] = true;
                changed = true;
            } else if all_known {
                decided[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let superseded: HashSet<&OpRef> = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| valid[*i])
        .flat_map(|(_, o)| o.pred.iter())
        .collect();
    let mut v = Verdict::default();
    for (i, o) in ops.iter().enumerate() {
        if superseded.contains(&o.at) {
            continue;
        }
        if valid[i] {
            v.heads.push(i);
        } else if decided[i] {
            v.invalid.push(i);
        } else {
            v.undecided.push(i);
        }
    }
    // `ops` is sorted by (hlc, site, seq): the last head is the winner.
    v
}

/// A register's ops, the entity's creation, and the fold's verdict on them.
fn read_register(
    conn: &Connection,
    entity_id: &str,
    field: &str,
) -> Result<(Vec<RegOp>, Option<Op>, Verdict), ApplyError> {
    let ops = register_ops(conn, entity_id, field)?;
    let created = creation(conn, entity_id)?;
    let verdict = verdict_of(&ops, created.as_ref());
    Ok((ops, created, verdict))
}

/// The verdict on a register's ops (sorted oldest first), given the
/// entity's creation if it has arrived.
fn verdict_of(ops: &[RegOp], created: Option<&Op>) -> Verdict {
    let create_ref = created.map(|c| OpRef {
        site: c.site.clone(),
        seq: c.seq,
    });
    let created_status = created.and_then(|c| str_of(&c.value, "status"));
    judge(ops, created_status, create_ref.as_ref())
}

/// Recomputes one register from the log and writes its winner (or the
/// value the entity was created with), with its conflict rows.
pub(super) fn settle(
    conn: &Connection,
    entity_kind: &str,
    entity_id: &str,
    field: &str,
    ticket_no: i64,
) -> Result<(), ApplyError> {
    let (ops, created, verdict) = read_register(conn, entity_id, field)?;
    write_settled(
        conn,
        entity_kind,
        entity_id,
        field,
        ticket_no,
        &ops,
        created.as_ref(),
        &verdict,
        None,
    )
}

/// Writes a register's winner (or the value the entity was created with)
/// and its conflict rows. With `batch`, a change to its ticket's own row
/// joins the batch's other changes of that row instead.
#[allow(clippy::too_many_arguments)]
fn write_settled(
    conn: &Connection,
    entity_kind: &str,
    entity_id: &str,
    field: &str,
    ticket_no: i64,
    ops: &[RegOp],
    created: Option<&Op>,
    verdict: &Verdict,
    batch: Option<BatchRows<'_>>,
) -> Result<(), ApplyError> {
    let fresh = batch.as_ref().is_some_and(|b| b.fresh);
    // Without a winner the register takes the value the entity was created
    // with: not always what a row born in the batch holds (a creation's
    // assignee that is not text is stored as text, catalogue fields that
    // are not an object read as none).
    let value = match verdict.heads.last().map(|&i| &ops[i]) {
        Some(w) => Some(winner_register(entity_kind, entity_id, field, w)),
        None => created.map(|c| initial(c, field)),
    };
    if let Some(value) = value {
        match (batch, apply::row_change(&value)?) {
            (Some(batch), Some(change)) => batch.take(conn, ticket_no, created, change)?,
            _ => write_register(conn, ApplyMode::Bulk, ticket_no, &value)?,
        }
    }
    write_conflicts(conn, entity_kind, entity_id, field, ops, verdict, fresh)
}

/// The conflict rows of a ticket's register. `fresh`: the ticket was
/// created in this batch, so it has no rows to delete.
fn write_conflicts(
    conn: &Connection,
    entity_kind: &str,
    entity_id: &str,
    field: &str,
    ops: &[RegOp],
    verdict: &Verdict,
    fresh: bool,
) -> Result<(), ApplyError> {
    if entity_kind != entity::TICKET {
        return Ok(());
    }
    if let Some((_, conflict_kind)) = CONFLICT_FIELDS.iter().find(|(f, _)| *f == field) {
        let values: BTreeSet<String> = verdict
            .heads
            .iter()
            .map(|&i| shown_value(&ops[i]))
            .collect();
        if values.len() > 1 || !fresh {
            let heads: Vec<&RegOp> = verdict.heads.iter().rev().map(|&i| &ops[i]).collect();
            store_conflict(
                conn,
                entity_id,
                field,
                conflict_kind,
                values.len() > 1,
                &heads,
            )?;
        }
    }
    if field == "status" && (!verdict.invalid.is_empty() || !fresh) {
        let invalid: Vec<&RegOp> = verdict.invalid.iter().rev().map(|&i| &ops[i]).collect();
        store_conflict(
            conn,
            entity_id,
            field,
            INVALID_TRANSITION,
            !invalid.is_empty(),
            &invalid,
        )?;
    }
    Ok(())
}

/// The register value a winning op gives.
fn winner_register<'a>(
    entity_kind: &'a str,
    entity_id: &'a str,
    field: &'a str,
    w: &'a RegOp,
) -> Register<'a> {
    Register {
        entity: entity_kind,
        entity_id,
        kind: &w.kind,
        field,
        value: w.value.clone(),
        actor: &w.actor,
        ms: w.hlc >> 16,
    }
}

/// The value a head gives the register, as people compare it.
fn shown_value(o: &RegOp) -> String {
    match (&o.value, o.kind.as_str()) {
        (v, kind::TRANSITION) => str_of(v, "to").unwrap_or_default().to_string(),
        // A level is a number: `3`, as `escalate --level 3` names it.
        (v, kind::ESCALATE) => match v.get("to") {
            Some(Value::String(s)) => s.clone(),
            Some(to) => to.to_string(),
            None => String::new(),
        },
        (Value::String(s), _) => s.clone(),
        (Value::Null, _) => String::new(),
        (v, _) => v.to_string(),
    }
}

fn store_conflict(
    conn: &Connection,
    ticket_id: &str,
    field: &str,
    conflict_kind: &str,
    present: bool,
    ops: &[&RegOp],
) -> Result<(), ApplyError> {
    if !present {
        conn.prepare_cached(
            "DELETE FROM conflict WHERE ticket_id = ?1 AND field = ?2 AND kind = ?3",
        )?
        .execute(params![ticket_id, field, conflict_kind])?;
        return Ok(());
    }
    let heads: Vec<Value> = ops
        .iter()
        .map(|o| {
            json!({"op": o.at.to_string(), "value": shown_value(o), "by": o.actor, "at": o.hlc >> 16})
        })
        .collect();
    conn.prepare_cached(
        "INSERT INTO conflict(ticket_id, field, kind, heads) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(ticket_id, field, kind) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![
        ticket_id,
        field,
        conflict_kind,
        Value::Array(heads).to_string()
    ])?;
    Ok(())
}

/// The register's value at creation, for when no op holds it.
fn initial<'a>(created: &'a Op, field: &'a str) -> Register<'a> {
    let v = &created.value;
    let (kind, value) = if field == "status" {
        (
            kind::TRANSITION,
            json!({"to": str_of(v, "status"), "at": created.ms()}),
        )
    } else if field == "level" {
        (
            kind::ESCALATE,
            json!({"to": v.get("level").and_then(Value::as_i64).unwrap_or(1)}),
        )
    } else if field == "route" {
        (kind::ROUTE, json!({"to": null}))
    } else if field.contains(':') && created.entity == entity::TICKET {
        (kind::LINK, Value::Bool(false))
    } else if created.entity == entity::RUNBOOK_RUN {
        (kind::SET, Value::Null)
    } else if let Some(name) = field.strip_prefix("fields.") {
        (
            kind::SET,
            v.get("fields")
                .and_then(|f| f.get(name))
                .cloned()
                .unwrap_or(Value::Null),
        )
    } else {
        (kind::SET, v.get(field).cloned().unwrap_or(Value::Null))
    };
    Register {
        entity: &created.entity,
        entity_id: &created.entity_id,
        kind,
        field,
        value,
        actor: &created.actor,
        ms: created.ms(),
    }
}

/// What a new local change of a register supersedes: its current tips
/// (the ops no valid op supersedes: the heads, and invalid or undecided
/// transitions), so that naming all of them resolves a conflict, and the
/// op that set the value shown. Sorted, so the op is the same on every run.
///
/// Without a head the register shows the value the entity was created
/// with, so the creation is named too: a transition is valid only when a
/// predecessor set its `from`, and an invalid or undecided tip sets
/// nothing. A move that named only such tips would be shown here (the
/// live write applies it as it is) yet judged invalid by `doctor`'s replay
/// and at every other site, and the conflict it meant to settle would stay.
pub(super) fn tips(
    conn: &Connection,
    entity_id: &str,
    field: &str,
) -> Result<Vec<OpRef>, ApplyError> {
    let (ops, created, v) = read_register(conn, entity_id, field)?;
    let mut tips: Vec<OpRef> = v
        .heads
        .iter()
        .chain(&v.invalid)
        .chain(&v.undecided)
        .map(|&i| ops[i].at.clone())
        .collect();
    if v.heads.is_empty()
        && !tips.is_empty()
        && let Some(c) = created
    {
        tips.push(OpRef {
            site: c.site,
            seq: c.seq,
        });
    }
    tips.sort();
    Ok(tips)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(site: &str, seq: i64, hlc: i64, kind: &str, value: Value, pred: &[(&str, i64)]) -> RegOp {
        RegOp {
            at: OpRef {
                site: site.into(),
                seq,
            },
            hlc,
            kind: kind.into(),
            value,
            actor: "ana".into(),
            pred: pred
                .iter()
                .map(|(s, n)| OpRef {
                    site: (*s).into(),
                    seq: *n,
                })
                .collect(),
        }
    }

    #[test]
    fn concurrent_moves_are_two_heads_and_the_later_clock_wins() {
        let create = OpRef {
            site: "a".into(),
            seq: 1,
        };
        let ops = vec![
            op(
                "a",
                2,
                10,
                kind::TRANSITION,
                json!({"from": "new", "to": "assigned"}),
                &[("a", 1)],
            ),
            op(
                "b",
                1,
                20,
                kind::TRANSITION,
                json!({"from": "new", "to": "in_progress"}),
                &[("a", 1)],
            ),
        ];
        let v = judge(&ops, Some("new"), Some(&create));
        assert_eq!(v.heads, vec![0, 1]);
        assert!(v.invalid.is_empty() && v.undecided.is_empty());
    }

    #[test]
    fn an_invalid_move_supersedes_nothing_and_a_missing_predecessor_leaves_one_undecided() {
        let create = OpRef {
            site: "a".into(),
            seq: 1,
        };
        let ops = vec![
            op(
                "a",
                2,
                10,
                kind::TRANSITION,
                json!({"from": "new", "to": "assigned"}),
                &[("a", 1)],
            ),
            // Claims to leave 'closed', which its predecessor never set.
            op(
                "b",
                1,
                20,
                kind::TRANSITION,
                json!({"from": "closed", "to": "new"}),
                &[("a", 2)],
            ),
            // Follows an op that has not arrived.
            op(
                "c",
                1,
                30,
                kind::TRANSITION,
                json!({"from": "waiting", "to": "new"}),
                &[("z", 9)],
            ),
        ];
        let v = judge(&ops, Some("new"), Some(&create));
        // The valid move stays the head even though the invalid one names it.
        assert_eq!(v.heads, vec![0]);
        assert_eq!(v.invalid, vec![1]);
        assert_eq!(v.undecided, vec![2]);
    }
}
