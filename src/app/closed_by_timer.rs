//! A move out of a final state that a workflow timer entered. PR-003 §4.6
//! (seed 002) closes an API report 24 hours after its answer is notified
//! without the licensee's verification; "'closed' is final" alone leaves
//! the operator wondering who closed it and what to do now. The refusal
//! says the timer closed it, when, and that the way on is a new report
//! linked to this one.

use super::AppError;
use crate::domain::lifecycle::Refusal;
use crate::store::Reader;
use crate::store::ops::kind;
use chrono::{Local, TimeZone};
use serde_json::Value;

/// `e`, with the timer's part told when it refuses a move out of a final
/// state that a timer moved its ticket into; `e` itself otherwise.
pub(super) fn explain(r: &Reader<'_>, e: AppError) -> AppError {
    let AppError::Transition {
        key: shown,
        refusal,
    } = &e
    else {
        return e;
    };
    let Refusal::NoSuchTransition {
        from, reachable, ..
    } = refusal.as_ref()
    else {
        return e;
    };
    if !reachable.is_empty() {
        return e;
    }
    let Ok(Some(fired)) = timer_move_into(r, shown, from) else {
        return e;
    };
    let at = Local
        .timestamp_millis_opt(fired.at_ms)
        .single()
        .map_or_else(String::new, |t| {
            t.format(" at %Y-%m-%d %H:%M %:z").to_string()
        });
    let why = if fired.note.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", fired.note.trim())
    };
    AppError::Refused {
        key: shown.clone(),
        message: format!(
            "{}. A timer of its workflow moved it to '{from}'{at}{why}: the next step is a new report linked to this one (register it with `guardia new`, then `guardia link NEW-KEY {shown}`)",
            refusal.to_string().replace(" KEY ", &format!(" {shown} "))
        ),
    }
}

/// A timer's move, as the log recorded it.
struct TimerMove {
    at_ms: i64,
    note: String,
}

/// The move that put the ticket in `state`, if the latest move into it
/// was a timer's (recorded with `timer` and the moment it was due).
fn timer_move_into(r: &Reader<'_>, key: &str, state: &str) -> Result<Option<TimerMove>, AppError> {
    let Some((_, t)) = r.ticket_by_key(key)? else {
        return Ok(None);
    };
    let ops = r.entity_ops(&t.id)?;
    let last = ops
        .iter()
        .rev()
        .find(|op| op.kind == kind::TRANSITION && op.field.as_deref() == Some("status"));
    let Some(op) = last else {
        return Ok(None);
    };
    let to = op.value.get("to").and_then(Value::as_str);
    if to != Some(state) || op.value.get("timer").is_none() {
        return Ok(None);
    }
    Ok(Some(TimerMove {
        at_ms: op
            .value
            .get("at")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| op.ms()),
        note: op
            .value
            .get("note")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    }))
}
