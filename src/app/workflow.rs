//! The workflow engine's application side: the log facts guards need
//! (who entered which state, who wrote which value, approvals given),
//! approvals, fields locked by state, links restricted by state, and timers
//! that move tickets on their own, recorded by the system at the moment
//! they were due.

use super::{App, AppError, ApprovalRefusal, load, reloaded, same_key, who_can};
use crate::config::{Config, Operator, Workflow};
use crate::domain::guards::{
    self, CarriedException, GivenApproval, GuardContext, History, Passed, same_value,
};
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

/// Who entered each state, who wrote each field's current value and the
/// approvals of the current stay, from a ticket's own ops (oldest first).
pub fn history_of(ops: &[Op]) -> History {
    let mut h = History::default();
    // Each field's value so far: writing the value a field already holds
    // (`6.0` over `6`) is no change, so it neither makes the writer its
    // author nor undoes an approval.
    let mut values: std::collections::BTreeMap<String, Value> = Default::default();
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
        let written: Vec<(&str, &Value)> = if op.kind == kind::CREATE {
            op.value
                .get("fields")
                .and_then(Value::as_object)
                .map(|f| f.iter().map(|(k, v)| (k.as_str(), v)).collect())
                .unwrap_or_default()
        } else if op.kind == kind::SET {
            op.field
                .as_deref()
                .and_then(|f| f.strip_prefix("fields."))
                .map(|f| (f, &op.value))
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        for (field, value) in written {
            if same_value(values.get(field), Some(value)) {
                continue;
            }
            values.insert(field.to_string(), value.clone());
            h.field_set_by.insert(field.to_string(), op.actor.clone());
            for a in &mut h.approvals {
                a.fields_changed_since.insert(field.to_string());
            }
        }
        if let Some(state) = entered.and_then(Value::as_str) {
            h.entered_by.insert(state.to_string(), op.actor.clone());
            // The cutoff exception this move was taken with goes on with
            // the execution it was granted for (guards::CarriedException).
            let carried = op
                .value
                .get("exception")
                .and_then(|e| e.get("approval"))
                .and_then(Value::as_str)
                .map(|id| {
                    let earlier = h
                        .carried_exception
                        .as_ref()
                        .filter(|c| c.approval.id == id)
                        .map(|c| c.approval.clone());
                    let given = h.approval(id).cloned().or(earlier).unwrap_or_else(|| {
                        let text = |k: &str| {
                            op.value["exception"]
                                .get(k)
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string()
                        };
                        GivenApproval {
                            id: id.to_string(),
                            by: text("by"),
                            reason: text("reason"),
                            at: ms_to_time(effective_ms(op)),
                            fields_changed_since: Default::default(),
                        }
                    });
                    CarriedException {
                        approval: given,
                        used_at: ms_to_time(effective_ms(op)),
                    }
                });
            h.carried_exception = carried;
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
            refusal: Box::new(leave_out_barred(wf, t, &history, who_can(cfg, refusal))),
        }
    })
}

/// Takes out of a refusal's "ask …" list the operators four eyes would
/// turn away: sent to them, the operator would only meet another refusal.
/// Who took part in the step a four-eyes move protects may not take it;
/// who wrote what an approval covers may not give it.
fn leave_out_barred(
    wf: &Workflow,
    t: &Ticket,
    history: &History,
    mut refusal: lifecycle::Refusal,
) -> lifecycle::Refusal {
    use lifecycle::Refusal as R;
    let four_eyes_of = |to: &str| -> Vec<String> {
        wf.transitions
            .iter()
            .filter(|tr| tr.to.get_ref() == to && tr.from.iter().any(|f| f.get_ref() == &t.status))
            .filter_map(|tr| tr.four_eyes.as_ref().map(|s| s.get_ref().clone()))
            .collect()
    };
    let took_part = |steps: &[String], who: &str| {
        steps
            .iter()
            .any(|step| guards::took_part(wf, step, who, history).is_some())
    };
    match &mut refusal {
        R::RoleNotAllowed {
            to,
            who_can,
            barred,
            ..
        } => {
            let steps = four_eyes_of(to);
            let (out, kept): (Vec<String>, Vec<String>) =
                who_can.drain(..).partition(|who| took_part(&steps, who));
            *who_can = kept;
            *barred = out;
        }
        R::FourEyes { to, who_can, .. } => {
            let steps = four_eyes_of(to);
            who_can.retain(|who| !took_part(&steps, who));
        }
        R::Threshold {
            approval: Some(approval),
            who_can,
            barred,
            ..
        } => {
            let mut kept = Vec::new();
            for who in who_can.drain(..) {
                match guards::wrote_for_approval(wf, approval, &who, history) {
                    Some(field) => barred.push((who, field)),
                    None => kept.push(who),
                }
            }
            *who_can = kept;
        }
        R::ApprovalMissing {
            approval, who_can, ..
        }
        | R::Cutoff {
            exception: approval,
            who_can,
            ..
        } => {
            who_can.retain(|who| guards::wrote_for_approval(wf, approval, who, history).is_none());
        }
        _ => {}
    }
    refusal
}

/// Refuses a change of fields that the ticket's state locks
/// (`locks = [...]` of the state in workflows.toml). `changes` are the
/// values about to be written; those equal to the current ones change
/// nothing and pass. Every write of fields outside a move checks here
/// (`guardia set`, the console's field editor); moves check the state they
/// enter in `lifecycle::check_transition`.
pub(super) fn check_locks<'v>(
    r: &Reader<'_>,
    cfg: &Config,
    t: &Ticket,
    changes: impl IntoIterator<Item = (&'v str, &'v Value)>,
) -> Result<(), AppError> {
    let Some(wf) = cfg.workflow_for_type(&t.ticket_type) else {
        return Ok(());
    };
    let changed: Vec<String> = changes
        .into_iter()
        .filter(|(n, v)| !same_value(t.fields.get(*n), Some(v)))
        .map(|(n, _)| n.to_string())
        .collect();
    if !changed.iter().any(|f| guards::locks(wf, &t.status, f)) {
        return Ok(());
    }
    // Only a refusal needs the log (who moved the ticket there).
    let history = history_of(&r.entity_ops(&t.id)?);
    guards::check_locks(wf, t, &changed, &history).map_err(|refusal| AppError::Transition {
        key: t.key.clone(),
        refusal: Box::new(refusal),
    })
}

/// Whether writing `value` into `field` while moving `t` to `to` without a
/// transition's checks (a major incident resolving its children) would
/// change a field `to` locks: such a value is left out, and the child keeps
/// its own.
pub(super) fn locked_on_the_way(
    cfg: &Config,
    t: &Ticket,
    to: &str,
    field: &str,
    value: &Value,
) -> bool {
    cfg.workflow_for_type(&t.ticket_type)
        .is_some_and(|wf| guards::locked_on_the_way(wf, t, to, field, value))
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
            return Err(AppError::ApprovalNeedsReason);
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
                            return AppError::Approval {
                                key: key.into(),
                                refusal: Box::new(ApprovalRefusal::NoApprovals {
                                    workflow: wf.id.get_ref().clone(),
                                }),
                            };
                        }
                        AppError::unknown(
                            "approval",
                            approval,
                            wf.approvals.iter().map(|a| a.id.get_ref().clone()),
                        )
                    })?;
                if !lifecycle::category(wf, &t.status).is_open() {
                    return Err(AppError::Approval {
                        key: key.into(),
                        refusal: Box::new(ApprovalRefusal::Finished {
                            status: t.status.clone(),
                        }),
                    });
                }
                // An approval counts only in the state it is given in: one
                // no move from here uses would be dropped at the next move.
                let uses = |tr: &crate::config::Transition| {
                    tr.approval
                        .as_ref()
                        .is_some_and(|a| a.get_ref() == approval)
                        || tr
                            .cutoff
                            .as_ref()
                            .is_some_and(|c| c.exception.get_ref() == approval)
                        || tr
                            .threshold
                            .as_ref()
                            .is_some_and(|th| th.approval.get_ref() == approval)
                };
                if !wf
                    .transitions
                    .iter()
                    .any(|tr| uses(tr) && tr.from.iter().any(|f| f.get_ref() == &t.status))
                {
                    let mut states: Vec<String> = wf
                        .transitions
                        .iter()
                        .filter(|tr| uses(tr))
                        .flat_map(|tr| tr.from.iter().map(|f| f.get_ref().clone()))
                        .collect();
                    states.sort();
                    states.dedup();
                    return Err(AppError::Approval {
                        key: key.into(),
                        refusal: Box::new(ApprovalRefusal::NotInThisState {
                            approval: approval.into(),
                            status: t.status.clone(),
                            states,
                        }),
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
                // An approval confirms what someone else proposed: whoever
                // wrote the figure or its justification may not approve it,
                // nor be the one a refusal sends the operator to.
                let history = history_of(&w.reader().entity_ops(&t.id)?);
                if !actor.roles.iter().any(|r| roles.contains(r.get_ref())) {
                    let (barred, free): (Vec<String>, Vec<String>) =
                        holders(None).into_iter().partition(|o| {
                            guards::wrote_for_approval(wf, approval, o, &history).is_some()
                        });
                    return Err(AppError::Approval {
                        key: key.into(),
                        refusal: Box::new(ApprovalRefusal::NotYourRole {
                            approval: approval.into(),
                            roles: roles.clone(),
                            actor: actor_id.clone(),
                            free,
                            barred,
                        }),
                    });
                }
                // The refusal names who else may, or, when nobody may, what
                // unblocks it.
                if let Some(field) = guards::wrote_for_approval(wf, approval, &actor_id, &history) {
                    let (barred, who_can): (Vec<String>, Vec<String>) =
                        holders(Some(&actor_id)).into_iter().partition(|o| {
                            guards::wrote_for_approval(wf, approval, o, &history).is_some()
                        });
                    return Err(AppError::Transition {
                        key: key.into(),
                        refusal: Box::new(lifecycle::Refusal::ApprovalFourEyes {
                            approval: approval.into(),
                            actor: actor_id.clone(),
                            field,
                            roles: roles.clone(),
                            who_can,
                            barred,
                            fields: guards::approval_fields(wf, approval)
                                .into_iter()
                                .filter(|f| history.field_set_by.get(f) == Some(&actor_id))
                                .collect(),
                        }),
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
                    check_link_source(cfg, link_kind, &t)
                        .and_then(|()| check_link_target(cfg, link_kind, &o))
                        .map_err(|message| AppError::Refused {
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

/// What may link to a problem or a known error: an incident, not another
/// record (as `problem link` and `known apply` refuse it), else a problem
/// would count a known error among its incidents, unlike `report`.
fn check_link_source(cfg: &Config, link_kind: &str, t: &Ticket) -> Result<(), String> {
    use crate::config::RecordKind;
    let to = match link_kind {
        "problem" => "link incidents to a problem",
        "known_error" => "apply known errors to incidents",
        _ => return Ok(()),
    };
    if cfg.record_of(&t.ticket_type) == RecordKind::Ticket {
        Ok(())
    } else {
        Err(format!("is itself a problem or known error; {to}"))
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
