//! The workflow engine's application side: the log facts guards need
//! (who entered which state, approvals given), approvals, links restricted
//! by state, and timers that move tickets on their own, recorded by the
//! system at the moment they were due.

use super::{App, AppError, load, reloaded, same_key, who_can};
use crate::config::{Config, Operator, Workflow};
use crate::domain::guards::{GivenApproval, GuardContext, History, Passed};
use crate::domain::lifecycle;
use crate::domain::ticket::{Ticket, ms_to_time};
use crate::store::ops::{Op, OpDraft, entity, kind};
use crate::store::{ApplyMode, Reader};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};

/// The actor of what the system does on its own (timers).
pub const SYSTEM_ACTOR: &str = "system";

/// When an op took effect: a timer's transition carries the moment it was
/// due (`at`); everything else happened when it was written.
pub fn effective_ms(op: &Op) -> i64 {
    if op.kind == kind::TRANSITION
        && let Some(at) = op.value.get("at").and_then(Value::as_i64)
    {
        return at;
    }
    op.ms()
}

/// Who entered each state and the approvals of the current stay, from a
/// ticket's own ops (oldest first).
pub fn history_of(ops: &[Op]) -> History {
    let mut h = History::default();
    for op in ops {
        if op.entity != entity::TICKET {
            continue;
        }
        let entered = match op.kind.as_str() {
            k if k == kind::CREATE => op.value.get("status"),
            k if k == kind::TRANSITION => op.value.get("to"),
            _ => None,
        };
        // Who wrote each field: at registration, or with a change since.
        let written: Vec<&str> = if op.kind == kind::CREATE {
            op.value
                .get("fields")
                .and_then(Value::as_object)
                .map(|f| f.keys().map(String::as_str).collect())
                .unwrap_or_default()
        } else if op.kind == kind::SET {
            op.field
                .as_deref()
                .and_then(|f| f.strip_prefix("fields."))
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        for field in written {
            h.field_set_by.insert(field.to_string(), op.actor.clone());
            for a in &mut h.approvals {
                a.fields_changed_since.insert(field.to_string());
            }
        }
        if let Some(state) = entered.and_then(Value::as_str) {
            h.entered_by.insert(state.to_string(), op.actor.clone());
            // Approvals are for the stay they were given in.
            h.approvals.clear();
        }
        if op.kind == kind::APPROVE
            && let Some(id) = &op.field
        {
            h.approvals.push(GivenApproval {
                id: id.clone(),
                by: op.actor.clone(),
                reason: op
                    .value
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                at: ms_to_time(op.ms()),
                fields_changed_since: Default::default(),
            });
        }
    }
    h
}

/// Checks a move of `t` to `to` against its workflow with the log's facts
/// (who entered which step, approvals given) at `now`. A refusal comes as
/// `AppError::Transition`, naming the operators who could take the move.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_move(
    r: &Reader<'_>,
    cfg: &Config,
    now: DateTime<Utc>,
    wf: &Workflow,
    t: &Ticket,
    actor: &Operator,
    to: &str,
    supplied: &serde_json::Map<String, Value>,
) -> Result<Passed, AppError> {
    let history = history_of(&r.entity_ops(&t.id)?);
    let ctx = GuardContext {
        now,
        history: &history,
        calendars: &cfg.calendars,
    };
    lifecycle::check_transition(wf, t, actor, to, supplied, &ctx).map_err(|refusal| {
        AppError::Transition {
            key: t.key.clone(),
            refusal: Box::new(who_can(cfg, refusal)),
        }
    })
}

/// Refuses an action the ticket's workflow does not allow in its state.
pub(super) fn check_action(cfg: &Config, t: &Ticket, action: &str) -> Result<(), AppError> {
    let Some(wf) = cfg.workflow_for_type(&t.ticket_type) else {
        return Ok(());
    };
    lifecycle::check_action(wf, action, &t.status).map_err(|refusal| AppError::Transition {
        key: t.key.clone(),
        refusal: Box::new(refusal),
    })
}

/// A timer that fired.
#[derive(Debug, Clone, Serialize)]
pub struct Fired {
    pub key: String,
    pub from: String,
    pub to: String,
    /// When it was due (and is recorded as done).
    pub at: DateTime<Utc>,
}

/// Timers due per write transaction: a backlog (a database that was not
/// opened for days) is worked through in bounded steps.
const TIMER_BATCH: usize = 500;

impl App {
    /// Records approval `approval` of the ticket's workflow, given by
    /// `actor` for `reason`. It counts until the ticket leaves its state.
    pub fn approve(
        &mut self,
        actor: &Operator,
        key: &str,
        approval: &str,
        reason: &str,
    ) -> Result<GivenApproval, AppError> {
        if reason.trim().is_empty() {
            return Err(AppError::Invalid(
                "an approval needs a reason; add --reason \"why\" (it is recorded with your name)"
                    .into(),
            ));
        }
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store.write(
            now,
            ApplyMode::Live,
            |w| -> Result<GivenApproval, AppError> {
                let (_, t) = load(&w.reader(), key)?;
                let wf = cfg
                    .workflow_for_type(&t.ticket_type)
                    .ok_or_else(|| super::orphans::no_workflow(cfg, &t))?;
                let def = wf
                    .approvals
                    .iter()
                    .find(|a| a.id.get_ref() == approval)
                    .ok_or_else(|| {
                        if wf.approvals.is_empty() {
                            // "known:" with nothing after it would say nothing.
                            return AppError::Refused {
                                key: key.into(),
                                message: format!(
                                    "its workflow '{}' has no approvals, so there is nothing to approve",
                                    wf.id.get_ref()
                                ),
                            };
                        }
                        AppError::unknown(
                            "approval",
                            approval,
                            wf.approvals.iter().map(|a| a.id.get_ref().clone()),
                        )
                    })?;
                if !lifecycle::category(wf, &t.status).is_open() {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!("is '{}'; a finished ticket needs no approval", t.status),
                    });
                }
                // An approval counts only in the state it is given in: one
                // no move from here uses would be dropped at the next move.
                let uses = |tr: &crate::config::Transition| {
                    tr.approval.as_ref().is_some_and(|a| a.get_ref() == approval)
                        || tr.cutoff.as_ref().is_some_and(|c| c.exception.get_ref() == approval)
                        || tr.threshold.as_ref().is_some_and(|th| th.approval.get_ref() == approval)
                };
                if !wf.transitions.iter().any(|tr| uses(tr) && tr.from.iter().any(|f| f.get_ref() == &t.status)) {
                    let mut states: Vec<String> = wf
                        .transitions
                        .iter()
                        .filter(|tr| uses(tr))
                        .flat_map(|tr| tr.from.iter().map(|f| f.get_ref().clone()))
                        .collect();
                    states.sort();
                    states.dedup();
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "is '{}', and no move from there uses approval '{approval}'; an approval counts only in the state it is given in, so give it once the ticket is {}",
                            t.status,
                            if states.is_empty() {
                                "in a state whose move uses it (none does in this workflow)".to_string()
                            } else {
                                format!("in: {}", states.join(", "))
                            }
                        ),
                    });
                }
                let roles: Vec<String> = def.roles.iter().map(|r| r.get_ref().clone()).collect();
                // The operators who may give it, but `except`.
                let holders = |except: Option<&str>| -> Vec<String> {
                    cfg.operators
                        .iter()
                        .filter(|o| Some(o.id.get_ref().as_str()) != except)
                        .filter(|o| o.roles.iter().any(|r| roles.contains(r.get_ref())))
                        .map(|o| o.id.get_ref().clone())
                        .collect()
                };
                if !actor.roles.iter().any(|r| roles.contains(r.get_ref())) {
                    let holders = holders(None);
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "approval '{approval}' is given by the roles {}; operator '{actor_id}' has none of them; ask {}",
                            roles.join(", "),
                            if holders.is_empty() { "an operator with one".to_string() } else { holders.join(", ") }
                        ),
                    });
                }
                // An approval confirms what someone else proposed: whoever
                // wrote the figure or its justification may not approve it.
                let history = history_of(&w.reader().entity_ops(&t.id)?);
                let proposed = wf
                    .transitions
                    .iter()
                    .filter_map(|tr| tr.threshold.as_ref())
                    .filter(|th| th.approval.get_ref() == approval)
                    .flat_map(|th| {
                        std::iter::once(th.field.get_ref()).chain(th.requires.iter().map(|f| f.get_ref()))
                    })
                    .find(|f| history.field_set_by.get(*f) == Some(&actor_id));
                if let Some(field) = proposed {
                    let others = holders(Some(&actor_id));
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "four eyes: '{actor_id}' wrote '{field}', so the approval '{approval}' must come from someone else with the roles {}{}",
                            roles.join(", "),
                            if others.is_empty() { String::new() } else { format!(" ({})", others.join(", ")) }
                        ),
                    });
                }
                let op = w.append(
                    &actor_id,
                    OpDraft::new(
                        entity::TICKET,
                        &t.id,
                        kind::APPROVE,
                        json!({"reason": reason}),
                    )
                    .field(approval),
                )?;
                Ok(GivenApproval {
                    id: approval.into(),
                    by: actor_id.clone(),
                    reason: reason.into(),
                    at: ms_to_time(op.ms()),
                    fields_changed_since: Default::default(),
                })
            },
        )
    }

    /// Fires every timer that is due, each recorded by the system at the
    /// moment it was due. Safe to run from several processes at once: each
    /// ticket is re-read inside the write transaction.
    pub fn fire_due_timers(&mut self) -> Result<Vec<Fired>, AppError> {
        let now = self.clock.now();
        let mut fired = Vec::new();
        // Disjoint borrows: the configuration is read while the store writes.
        let (cfg, store) = (&self.config, &mut self.store);
        for wf in &cfg.workflows {
            let types: Vec<&str> = cfg
                .types
                .iter()
                .filter(|t| t.workflow.get_ref() == wf.id.get_ref())
                .map(|t| t.id.get_ref().as_str())
                .collect();
            for timer in &wf.timers {
                let Ok(minutes) = crate::domain::duration::parse_minutes(timer.after.get_ref())
                else {
                    continue; // validation reports it
                };
                let after = Duration::minutes(minutes);
                let calendar = timer
                    .calendar
                    .as_ref()
                    .and_then(|c| cfg.calendar(c.get_ref()));
                let due_of = |since: DateTime<Utc>| match calendar {
                    Some(cal) => cal.add_business(since, after),
                    None => Some(since + after),
                };
                for ttype in &types {
                    // Business time never runs faster than the wall clock:
                    // nothing entered after `now - after` can be due.
                    let latest = (now - after).timestamp_millis();
                    let mut cursor = (i64::MIN, i64::MIN);
                    loop {
                        let page = store.reader().timer_candidates(
                            ttype,
                            timer.state.get_ref(),
                            latest,
                            cursor,
                            TIMER_BATCH,
                        )?;
                        let Some(last) = page.last() else { break };
                        cursor = (last.2, last.0);
                        let due: Vec<(String, i64, DateTime<Utc>)> = page
                            .iter()
                            .filter_map(|(_, key, since)| {
                                let at = due_of(ms_to_time(*since))?;
                                (at <= now).then(|| (key.clone(), *since, at))
                            })
                            .collect();
                        if !due.is_empty() {
                            fired.extend(fire(store, cfg, now, wf, timer, &due)?);
                        }
                        if page.len() < TIMER_BATCH {
                            break;
                        }
                    }
                }
            }
        }
        Ok(fired)
    }

    /// Links `key` to `other` (`kind` e.g. related, problem), or with
    /// `remove` unlinks them. The workflow may allow it only in some states.
    pub fn link(
        &mut self,
        actor: &Operator,
        key: &str,
        other: &str,
        link_kind: &str,
        remove: bool,
    ) -> Result<Ticket, AppError> {
        if !crate::config::LINK_KINDS.contains(&link_kind) {
            return Err(AppError::unknown(
                "link kind",
                link_kind,
                crate::config::LINK_KINDS.iter().map(|k| k.to_string()),
            ));
        }
        if same_key(key, other) {
            return Err(AppError::Refused {
                key: key.into(),
                message: "a ticket cannot be linked to itself".into(),
            });
        }
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<Ticket, AppError> {
                let r = w.reader();
                let (_, t) = load(&r, key)?;
                let (_, o) = load(&r, other)?;
                check_action(cfg, &t, "link")?;
                if !remove {
                    check_link_target(cfg, link_kind, &o).map_err(|message| AppError::Refused {
                        key: key.into(),
                        message,
                    })?;
                }
                let linked = r.linked(&t.id, link_kind, &o.id)?;
                if linked != remove {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: if remove {
                            format!("is not linked to {other} as {link_kind}")
                        } else {
                            format!("is already linked to {other} as {link_kind}")
                        },
                    });
                }
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &t.id, kind::LINK, Value::Bool(!remove))
                        .field(format!("{link_kind}:{}", o.id)),
                )?;
                reloaded(w, cfg, key)
            })
    }
}

/// What a link of `link_kind` may point to: a problem record, a known
/// error, a declared major incident; anything for `related`. Cascades follow
/// these links (closing a problem can close its incidents), so a mistyped key
/// must not tie a ticket to an unrelated one.
fn check_link_target(cfg: &Config, link_kind: &str, o: &Ticket) -> Result<(), String> {
    use crate::config::RecordKind;
    let record = cfg.record_of(&o.ticket_type);
    let (fits, wanted, usual) = match link_kind {
        "problem" => (
            record == RecordKind::Problem,
            "a problem record",
            "`guardia problem link`",
        ),
        "known_error" => (
            record == RecordKind::KnownError,
            "a known error",
            "`guardia known apply`",
        ),
        "major" => (
            super::major::is_major(cfg, o),
            "a declared major incident",
            "`guardia major attach`",
        ),
        _ => return Ok(()),
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "a '{link_kind}' link points to {wanted}, and {} is not one; check the key ({usual} is the usual way), or use --kind related",
            o.key
        ))
    }
}

/// Records the due moves of one timer, re-checking each ticket inside the
/// write transaction.
fn fire(
    store: &mut crate::store::Store,
    cfg: &Config,
    now: DateTime<Utc>,
    wf: &Workflow,
    timer: &crate::config::Timer,
    due: &[(String, i64, DateTime<Utc>)],
) -> Result<Vec<Fired>, AppError> {
    store.write(
        now.timestamp_millis(),
        ApplyMode::Live,
        |w| -> Result<Vec<Fired>, AppError> {
            let mut out = Vec::new();
            for (key, since, at) in due {
                let (_, t) = load(&w.reader(), key)?;
                // Another process may have moved it (or fired it) since.
                if &t.status != timer.state.get_ref()
                    || w.reader().status_since(&t.id)? != Some(*since)
                {
                    continue;
                }
                let note = if timer.note.is_empty() {
                    format!(
                        "timer: {} after {} in '{}'",
                        timer.to.get_ref(),
                        timer.after.get_ref(),
                        timer.state.get_ref()
                    )
                } else {
                    timer.note.clone()
                };
                w.append(
                    SYSTEM_ACTOR,
                    OpDraft::new(
                        entity::TICKET,
                        &t.id,
                        kind::TRANSITION,
                        json!({
                            "from": t.status,
                            "to": timer.to.get_ref(),
                            "note": note,
                            "at": at.timestamp_millis(),
                            "timer": wf.id.get_ref(),
                        }),
                    )
                    .field("status"),
                )?;
                let moved = reloaded(w, cfg, key)?;
                cascade(w, cfg, &moved)?;
                out.push(Fired {
                    key: key.clone(),
                    from: t.status.clone(),
                    to: timer.to.get_ref().clone(),
                    at: *at,
                });
            }
            Ok(out)
        },
    )
}

/// Whether moving from `from` to `to` records the resolution time.
pub(super) fn records_resolution_time(wf: &Workflow, from: &str, to: &str) -> bool {
    wf.transitions.iter().any(|t| {
        t.record_resolution_time
            && t.to.get_ref() == to
            && t.from.iter().any(|f| f.get_ref() == from)
    })
}

/// The resolution time of a ticket closed at `now`: business time on its
/// SLA policy's calendar and calendar time, e.g. `6h 40m hábiles (51h 20m
/// naturales)`, the form seed 002 §4.6 asks the closing record to carry.
pub(super) fn resolution_time_text(
    cfg: &Config,
    t: &Ticket,
    now: DateTime<Utc>,
    lang: crate::config::Lang,
) -> String {
    resolution_span_text(cfg, &t.ticket_type, t.created_at, now, lang)
}

pub(super) fn resolution_span_text(
    cfg: &Config,
    ticket_type: &str,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
    lang: crate::config::Lang,
) -> String {
    use crate::domain::duration::format_minutes;
    // A ticket registered at a site whose clock runs ahead of this one can
    // look created after `now`: no time has passed, rather than a negative
    // span in the closing record.
    let now = now.max(created);
    let wall = format_minutes((now - created).num_minutes());
    let business = cfg
        .sla_policy(ticket_type)
        .and_then(|p| cfg.calendar(p.calendar.get_ref()))
        .map(|cal| format_minutes(cal.business_time(created, now).num_minutes()));
    match (business, lang) {
        (Some(b), crate::config::Lang::Es) => format!("{b} hábiles ({wall} naturales)"),
        (Some(b), crate::config::Lang::En) => format!("{b} business ({wall} calendar)"),
        (None, _) => wall,
    }
}

/// Follows the cascades of a ticket that just entered its state: linked
/// tickets move by the system, and their own cascades follow, each ticket
/// at most once. Tickets already finished, already in the target state, or
/// whose workflow lacks it are left alone.
pub(super) fn cascade(
    w: &mut crate::store::WriteTx<'_>,
    cfg: &Config,
    start: &Ticket,
) -> Result<Vec<String>, AppError> {
    use crate::config::CascadeDirection;
    let mut moved = Vec::new();
    let mut seen: std::collections::HashSet<String> = [start.id.clone()].into();
    let mut queue = vec![start.clone()];
    while let Some(t) = queue.pop() {
        let Some(wf) = cfg.workflow_for_type(&t.ticket_type) else {
            continue;
        };
        for rule in wf.cascades.iter().filter(|r| r.on.get_ref() == &t.status) {
            let linked = w.reader().linked_ids(
                &t.id,
                rule.link.get_ref(),
                rule.direction == CascadeDirection::Incoming,
            )?;
            for id in linked {
                if !seen.insert(id.clone()) {
                    continue;
                }
                let Some((_, other)) = w.reader().ticket_by_id(&id)? else {
                    continue;
                };
                if !rule.types.is_empty()
                    && !rule.types.iter().any(|t| t.get_ref() == &other.ticket_type)
                {
                    continue;
                }
                let Some(owf) = cfg.workflow_for_type(&other.ticket_type) else {
                    continue;
                };
                let to = rule.to.get_ref();
                let finished = !lifecycle::category(owf, &other.status).is_open();
                if finished
                    || &other.status == to
                    || !owf.states.iter().any(|s| s.id.get_ref() == to)
                {
                    continue;
                }
                w.append(
                    SYSTEM_ACTOR,
                    OpDraft::new(
                        entity::TICKET,
                        &other.id,
                        kind::TRANSITION,
                        json!({
                            "from": other.status,
                            "to": to,
                            "note": format!("cascade: {} {}", t.key, t.status),
                            "cascade": t.key,
                        }),
                    )
                    .field("status"),
                )?;
                let after = reloaded(w, cfg, &other.key)?;
                moved.push(after.key.clone());
                queue.push(after);
            }
        }
    }
    Ok(moved)
}
