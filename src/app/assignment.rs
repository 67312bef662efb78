//! What an assignment leaves to do. Assigning a new ticket moves it to its
//! workflow's `on_assign` state only when the assigner may take that move
//! (in the support procedure only the head of systems prioritises and
//! assigns, seed 001 step 2): otherwise the ticket stays where it was, and
//! the operator is told so and who takes the move, instead of a bare
//! "assigned" that reads as if the step were done.

use super::{AppError, load, workflow};
use crate::config::{Config, Operator};
use crate::domain::lifecycle::Refusal;
use crate::domain::ticket::Ticket;
use crate::store::Reader;
use chrono::{DateTime, Utc};
use serde_json::Map;

/// An assignment, and the move it did not make.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub ticket: Ticket,
    pub stayed: Option<Stayed>,
}

/// A ticket left in its initial state by an assignment: the move to
/// `target` (the workflow's `on_assign`) was refused to the assigner.
#[derive(Debug, Clone)]
pub struct Stayed {
    pub target: String,
    /// Why: who may take the move (roles, and the operators holding them)
    /// when it was a matter of role, else the refusal itself.
    pub refusal: Box<Refusal>,
}

/// The move an assignment leaves pending on `t`, if any: `t` is in its
/// workflow's initial state, assigned, and the workflow moves assigned
/// tickets on to a state the actor may not take it to. `None` also when
/// the actor may (the move happens, or is for `guardia move`).
pub(super) fn pending_move(
    r: &Reader<'_>,
    cfg: &Config,
    now: DateTime<Utc>,
    t: &Ticket,
    actor: &Operator,
) -> Result<Option<Stayed>, AppError> {
    let Some(wf) = cfg.workflow_for_type(&t.ticket_type) else {
        return Ok(None);
    };
    let Some(target) = &wf.on_assign else {
        return Ok(None);
    };
    if t.assignee.is_none()
        || &t.status != wf.initial.get_ref()
        || target.get_ref() == wf.initial.get_ref()
    {
        return Ok(None);
    }
    match workflow::check_move(r, cfg, now, wf, t, actor, target.get_ref(), &Map::new()) {
        Ok(_) => Ok(None),
        Err(AppError::Transition { refusal, .. }) => Ok(Some(Stayed {
            target: target.get_ref().clone(),
            refusal,
        })),
        Err(e) => Err(e),
    }
}

/// The refusal to assign a ticket to whom it is already assigned, with
/// the step still to take when the ticket is still new (the earlier
/// assignment could not move it on): `guardia move KEY STATE`, and who
/// takes it when the actor may not.
pub(super) fn already_assigned(
    r: &Reader<'_>,
    cfg: &Config,
    now: DateTime<Utc>,
    key: &str,
    actor: &Operator,
    user: Option<&str>,
) -> AppError {
    let Some(user) = user else {
        return AppError::Refused {
            key: key.into(),
            message: "is not assigned to anybody".into(),
        };
    };
    let mut message = format!("is already assigned to {user}");
    if let Ok((_, t)) = load(r, key)
        && let Some(wf) = cfg.workflow_for_type(&t.ticket_type)
        && let Some(target) = &wf.on_assign
        && &t.status == wf.initial.get_ref()
        && target.get_ref() != wf.initial.get_ref()
    {
        let target = target.get_ref();
        let state = &t.status;
        let by = match pending_move(r, cfg, now, &t, actor) {
            Ok(Some(Stayed { refusal, .. })) => match *refusal {
                Refusal::RoleNotAllowed {
                    allowed_roles,
                    who_can,
                    ..
                } => format!(
                    ", which only {}{} may take",
                    allowed_roles.join(", "),
                    if who_can.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", who_can.join(", "))
                    }
                ),
                _ => String::new(),
            },
            _ => String::new(),
        };
        message.push_str(&format!(
            "; it is still in '{state}': the next step is `guardia move {} {target}`{by}",
            t.key
        ));
    }
    AppError::Refused {
        key: key.into(),
        message,
    }
}
