//! A ticket's open sync conflicts (docs/sync.md, "Conflicts"): how `show`
//! and the console present them, and which changes settle them.
//!
//! A conflict's *heads* are the values the sites chose concurrently (the
//! one shown first). Settling is a normal change that supersedes every
//! head. Choosing one of the heads must always be possible, even where the
//! workflow offers no move from the value shown (a final state such as
//! `cancelled`) or the level would not go up: the change it restores was
//! already checked against the workflow at the site that made it, so the
//! settling change only chooses between changes that were made, and is
//! recorded as a transition (or escalation) like any other.

use super::AppError;
use crate::config::{Config, Lang, Operator};
use crate::domain::escalation::{self, Dossier};
use crate::domain::ticket::{Ticket, ms_to_time};
use crate::store::merge::INVALID_TRANSITION;
use crate::store::ops::{OpDraft, entity, kind};
use crate::store::sync::ConflictRow;
use crate::store::{Reader, WriteTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

/// The note a settling change carries unless the operator gives one.
pub const SETTLED_NOTE: &str = "confirmed after a sync conflict";

/// The key an escalation that settles a level conflict carries: it chooses
/// a level someone escalated to, so it is no escalation of its own (not an
/// event of `escalation`, not counted by `report`).
pub const SETTLES_KEY: &str = "settles";

/// One open conflict of a ticket, as `show` and `show --json` give it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenConflict {
    /// `status`, `assignee`, `priority` or `level`.
    pub field: String,
    /// `state`, `assignee`, `priority`, `level`, or `invalid-transition`
    /// (a state change that does not follow from the state before it:
    /// kept in the log, not applied).
    pub kind: String,
    /// The competing values, the one shown now first (for an invalid
    /// transition: the states it claims to go to).
    pub heads: Vec<ConflictHead>,
    /// The command that settles it, with its placeholder in capitals.
    pub settle: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictHead {
    /// The value as people compare it: a state id, an operator id (empty
    /// for unassigned), a priority id, a level.
    pub value: String,
    /// Who chose it, and when.
    pub by: String,
    pub at: Option<DateTime<Utc>>,
    /// Whether the ticket shows this value now.
    pub shown: bool,
}

impl OpenConflict {
    /// A stored conflict row of ticket `key`, read leniently (the heads
    /// are `[{op, value, by, at}]` JSON).
    pub fn of(row: &ConflictRow, key: &str) -> OpenConflict {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let invalid = row.kind == INVALID_TRANSITION;
        let heads = row
            .heads
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, h)| ConflictHead {
                value: text(&h["value"]),
                by: text(&h["by"]),
                at: h["at"].as_i64().map(ms_to_time),
                shown: i == 0 && !invalid,
            })
            .collect();
        let settle = match row.field.as_str() {
            "status" => format!("guardia move {key} STATE"),
            "assignee" => format!("guardia assign {key} OPERATOR"),
            "priority" => format!("guardia set {key} priority=PRIORITY --justification TEXT"),
            "level" => format!("guardia escalate {key} --level LEVEL"),
            other => format!("guardia set {key} {other}=VALUE"),
        };
        OpenConflict {
            field: row.field.clone(),
            kind: row.kind.clone(),
            heads,
            settle,
        }
    }
}

/// The open conflicts of a ticket, by field.
pub fn of_ticket(r: &Reader<'_>, t: &Ticket) -> Result<Vec<OpenConflict>, AppError> {
    Ok(r.ticket_conflicts(&t.id)?
        .iter()
        .map(|row| OpenConflict::of(row, &t.key))
        .collect())
}

/// The values of the ticket's open conflict of `kind` (`state`, `level`),
/// the one shown first, with the op that chose each (`site:seq`).
fn heads_of(
    r: &Reader<'_>,
    ticket_id: &str,
    kind: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let Some(row) = r
        .ticket_conflicts(ticket_id)?
        .into_iter()
        .find(|c| c.kind == kind)
    else {
        return Ok(Vec::new());
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(row
        .heads
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| (text(&h["value"]), text(&h["op"])))
        .collect())
}

/// The states a state conflict of the ticket offers to settle on (the one
/// shown first); empty when its state is not in conflict.
pub fn state_heads(r: &Reader<'_>, t: &Ticket) -> Result<Vec<String>, AppError> {
    Ok(heads_of(r, &t.id, "state")?
        .into_iter()
        .map(|(value, _)| value)
        .collect())
}

/// Whether moving `t` to `state` is the change that settles a conflict on
/// its state, and `actor` may make it:
///
/// - to the state shown, after any conflict on the state (concurrent moves
///   or an invalid transition): anyone may confirm it, as before;
/// - to another head of a state conflict: an operator who holds a role of
///   one of the conflicting moves (the workflow's transition from the
///   state each head's move left to the state it entered; any transition
///   into that state when the workflow has none such), or anyone when one
///   of those transitions is open to every role. Whoever could have made
///   either move may choose between them; the other guards (approvals,
///   four eyes, required fields) were checked where the move was made.
///
/// `Ok(false)`: not a settling move (the normal rules apply).
pub(super) fn settles_state(
    r: &Reader<'_>,
    cfg: &Config,
    t: &Ticket,
    actor: &Operator,
    state: &str,
) -> Result<bool, AppError> {
    if t.status == state {
        return Ok(r.has_conflict(&t.id, "status")?);
    }
    let heads = heads_of(r, &t.id, "state")?;
    if !heads.iter().any(|(value, _)| value == state) {
        return Ok(false);
    }
    let Some(wf) = cfg.workflow_for_type(&t.ticket_type) else {
        return Err(super::orphans::no_workflow(cfg, t));
    };
    if !wf.states.iter().any(|s| s.id.get_ref() == state) {
        return Err(AppError::Refused {
            key: t.key.clone(),
            message: format!(
                "'{state}' is not a state of workflow '{}' in this configuration, so the sync conflict cannot be settled on it; confirm the state shown instead (`guardia move {} {}`)",
                wf.id.get_ref(),
                t.key,
                t.status
            ),
        });
    }
    // The move each head's op made: (from, to).
    let ops = r.entity_ops(&t.id)?;
    let moves: Vec<(String, String)> = heads
        .iter()
        .filter_map(|(to, op_ref)| {
            let op = ops
                .iter()
                .find(|o| &format!("{}:{}", o.site, o.seq) == op_ref)?;
            let from = op.value.get("from").and_then(Value::as_str)?;
            Some((from.to_string(), to.clone()))
        })
        .collect();
    let mut roles: Vec<String> = Vec::new();
    let mut anyone = false;
    for (from, to) in &moves {
        let into = |tr: &&crate::config::Transition| tr.to.get_ref() == to;
        let exact: Vec<&crate::config::Transition> = wf
            .transitions
            .iter()
            .filter(into)
            .filter(|tr| tr.from.iter().any(|f| f.get_ref() == from))
            .collect();
        let candidates = if exact.is_empty() {
            wf.transitions.iter().filter(into).collect()
        } else {
            exact
        };
        for tr in candidates {
            anyone |= tr.roles.is_empty();
            roles.extend(tr.roles.iter().map(|r| r.get_ref().clone()));
        }
    }
    roles.sort();
    roles.dedup();
    // No transition of this workflow leads to any head (timers' moves
    // only): nobody's role is asked for.
    if anyone || roles.is_empty() || actor.roles.iter().any(|r| roles.contains(r.get_ref())) {
        return Ok(true);
    }
    let holders: Vec<String> = cfg
        .operators
        .iter()
        .filter(|o| o.roles.iter().any(|r| roles.contains(r.get_ref())))
        .map(|o| o.id.get_ref().clone())
        .collect();
    Err(AppError::Refused {
        key: t.key.clone(),
        message: format!(
            "settling its sync conflict on '{state}' needs one of the roles of the conflicting moves: {}{}; operator '{}' has none of them; ask one of them, or confirm the state shown (`guardia move {} {}`)",
            roles.join(", "),
            if holders.is_empty() {
                String::new()
            } else {
                format!(" ({})", holders.join(", "))
            },
            actor.id.get_ref(),
            t.key,
            t.status
        ),
    })
}

/// Whether escalating `t` to `level` settles a conflict on its level:
/// `level` is one of the levels the sites escalated to concurrently
/// (the one shown included). Such a change is recorded with
/// [`SETTLES_KEY`], and no dossier is asked for: the level was already
/// reached, with its dossier, where the escalation was made.
pub(super) fn settles_level(r: &Reader<'_>, t: &Ticket, level: u8) -> Result<bool, AppError> {
    Ok(heads_of(r, &t.id, "level")?
        .iter()
        .any(|(value, _)| value == &level.to_string()))
}

/// Records the escalation that settles a level conflict on `level` (see
/// [`settles_level`]); returns the dossier of that level, as an
/// escalation does.
pub(super) fn settle_level(
    w: &mut WriteTx<'_>,
    cfg: &Config,
    t: Ticket,
    actor_id: &str,
    level: u8,
    note: Option<&str>,
    lang: Lang,
) -> Result<Dossier, AppError> {
    w.append(
        actor_id,
        OpDraft::new(
            entity::TICKET,
            &t.id,
            kind::ESCALATE,
            json!({"mode": "functional", "from": t.level, "to": level,
                "note": note.unwrap_or(SETTLED_NOTE), SETTLES_KEY: true}),
        )
        .field("level"),
    )?;
    let detail = w.reader().detail(t)?;
    Ok(escalation::build(cfg, &detail, level, lang))
}

/// A ticket as it is presented: a rejection is current only while the
/// ticket is in its workflow's rejected state. A rejection made at one
/// site concurrently with a move at another, whose state conflict then
/// settled elsewhere, leaves its reason (and any original it named) in
/// the ticket's row; the log keeps them (`guardia log`), and reports
/// count the rejection, which was made.
/// A ticket whose type no workflow holds any more is left as it is: no
/// workflow says which state is the rejected one.
pub fn without_past_rejection(cfg: &Config, mut t: Ticket) -> Ticket {
    let known = cfg.workflow_for_type(&t.ticket_type).is_some();
    if known && !crate::domain::lifecycle::is_rejected(cfg, &t) {
        t.reject_reason = None;
        t.duplicate_of = None;
    }
    t
}
