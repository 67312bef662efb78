//! Transition guards beyond roles and required fields: four eyes, time
//! cutoffs with an approved exception, thresholds that need a justification
//! and an approval, and approvals a transition always needs. Pure: the log
//! facts (`History`) and the clock come from the caller.

// A refusal carries everything its message names (roles, people, where
// else to go); it is built once per refused command, so its size is of
// no consequence and boxing it would only obscure the matches.
#![allow(clippy::result_large_err)]

use crate::config::{CalendarDef, Operator, Transition, Workflow};
use crate::domain::calendar::Calendar;
use crate::domain::lifecycle::{Refusal, is_set, reachable};
use crate::domain::ticket::Ticket;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An approval recorded on a ticket (`guardia approve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GivenApproval {
    pub id: String,
    pub by: String,
    pub reason: String,
    pub at: DateTime<Utc>,
    /// Fields changed after it was given (an estimate raised since).
    #[serde(skip)]
    pub fields_changed_since: std::collections::BTreeSet<String>,
}

/// What the operation log says about a ticket that the guards need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Who last moved the ticket into each state (its creator for the state
    /// it was created in).
    pub entered_by: BTreeMap<String, String>,
    /// Who wrote the current value of each field (`change_script`, …).
    pub field_set_by: BTreeMap<String, String>,
    /// Approvals given since the ticket entered its current state; leaving
    /// the state spends them.
    pub approvals: Vec<GivenApproval>,
}

impl History {
    pub fn approval(&self, id: &str) -> Option<&GivenApproval> {
        self.approvals.iter().rev().find(|a| a.id == id)
    }
}

/// The facts a guard is checked against.
pub struct GuardContext<'a> {
    pub now: DateTime<Utc>,
    pub history: &'a History,
    /// The configuration's calendars (cutoffs are local times of one).
    pub calendars: &'a [(CalendarDef, Calendar)],
}

/// A transition that passed, and the exception it needed, if any, so the
/// move records who authorised it and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passed {
    pub exception: Option<GivenApproval>,
}

fn approval_roles(wf: &Workflow, id: &str) -> Vec<String> {
    wf.approvals
        .iter()
        .find(|a| a.id.get_ref() == id)
        .map(|a| a.roles.iter().map(|r| r.get_ref().clone()).collect())
        .unwrap_or_default()
}

fn number(ticket: &Ticket, field: &str, supplied: &Map<String, Value>) -> Option<f64> {
    let v = supplied.get(field).or_else(|| ticket.fields.get(field))?;
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// How `actor` took part in the step a four-eyes guard protects, if they did:
/// moved the ticket into it last, or wrote the current value of a field
/// that entering it requires (the script the step prepares, even when
/// someone else moved the ticket). Whoever authored the work under review
/// may not be its second pair of eyes.
fn took_part(wf: &Workflow, step: &str, actor: &str, h: &History) -> Option<String> {
    if h.entered_by.get(step).is_some_and(|who| who == actor) {
        return Some(format!("moved the ticket to '{step}'"));
    }
    wf.transitions
        .iter()
        .filter(|t| t.to.get_ref() == step)
        .flat_map(|t| t.requires.iter())
        .map(|f| f.get_ref())
        .find(|f| h.field_set_by.get(*f).is_some_and(|who| who == actor))
        .map(|f| format!("wrote the '{f}' that '{step}' requires"))
}

/// Checks the guards of `t` (whose roles and required fields already passed).
pub fn check(
    wf: &Workflow,
    t: &Transition,
    ticket: &Ticket,
    actor: &Operator,
    supplied: &Map<String, Value>,
    ctx: &GuardContext<'_>,
) -> Result<Passed, Refusal> {
    let to = t.to.get_ref().clone();
    let actor_id = actor.id.get_ref();
    if let Some(step) = &t.four_eyes
        && let Some(how) = took_part(wf, step.get_ref(), actor_id, ctx.history)
    {
        let elsewhere = wf
            .transitions
            .iter()
            .filter(|o| {
                o.to.get_ref() != &to && o.from.iter().any(|f| f.get_ref() == &ticket.status)
            })
            .map(|o| o.to.get_ref().clone())
            .collect();
        return Err(Refusal::FourEyes {
            to,
            actor: actor_id.clone(),
            how,
            roles: t.roles.iter().map(|r| r.get_ref().clone()).collect(),
            who_can: Vec::new(),
            elsewhere,
        });
    }
    if let Some(th) = &t.threshold {
        let field = th.field.get_ref();
        if let Some(value) = number(ticket, field, supplied)
            && value > th.above
        {
            let missing: Vec<String> = th
                .requires
                .iter()
                .map(|f| f.get_ref().clone())
                .filter(|f| !is_set(ticket, f, supplied))
                .collect();
            let approval = th.approval.get_ref();
            // An approval covers the figure it was given for: a change of
            // it since, or with this very move, needs approving again.
            let changed_now = supplied
                .get(field)
                .is_some_and(|v| ticket.fields.get(field) != Some(v));
            let approved = !changed_now
                && ctx
                    .history
                    .approval(approval)
                    .is_some_and(|a| !a.fields_changed_since.contains(field));
            if !missing.is_empty() || !approved {
                // Where else it can go, saying whose move it is when it is
                // not this operator's (back to prioritisation is the head's).
                let alternatives = reachable(wf, &ticket.status)
                    .into_iter()
                    .filter(|s| *s != to)
                    .map(|s| {
                        let ways: Vec<_> = wf
                            .transitions
                            .iter()
                            .filter(|t| {
                                t.to.get_ref() == &s
                                    && t.from.iter().any(|f| f.get_ref() == &ticket.status)
                            })
                            .collect();
                        let mine = ways.iter().any(|t| {
                            t.roles.is_empty() || t.roles.iter().any(|r| actor.roles.contains(r))
                        });
                        if mine {
                            s
                        } else {
                            let roles: Vec<&str> = ways
                                .iter()
                                .flat_map(|t| t.roles.iter().map(|r| r.get_ref().as_str()))
                                .collect();
                            format!("{s} (by {})", roles.join(", "))
                        }
                    })
                    .collect();
                return Err(Refusal::Threshold {
                    to,
                    field: field.clone(),
                    value,
                    above: th.above,
                    missing,
                    approval: (!approved).then(|| approval.clone()),
                    roles: approval_roles(wf, approval),
                    who_can: Vec::new(),
                    alternatives,
                });
            }
        }
    }
    if let Some(a) = &t.approval
        && ctx.history.approval(a.get_ref()).is_none()
    {
        return Err(Refusal::ApprovalMissing {
            to,
            approval: a.get_ref().clone(),
            roles: approval_roles(wf, a.get_ref()),
            who_can: Vec::new(),
        });
    }
    let mut passed = Passed::default();
    if let Some(cut) = &t.cutoff {
        let before = crate::domain::calendar::parse_hhmm(cut.before.get_ref()).unwrap_or(0);
        let calendar = ctx
            .calendars
            .iter()
            .find(|(d, _)| d.id.get_ref() == cut.calendar.get_ref())
            .map(|(_, c)| c);
        let (inside, local) = match calendar {
            Some(cal) => {
                let (date, minute) = cal.local_minute(ctx.now);
                let mut local = ctx
                    .now
                    .with_timezone(&cal.tz())
                    .format("%a %Y-%m-%d %H:%M")
                    .to_string();
                // Before the cutoff hour but refused: say why, or 10:00
                // "before 17:00" reads as a contradiction.
                if cal.is_holiday(date) {
                    local.push_str(", a holiday");
                } else if !cal.is_business_day(date) {
                    local.push_str(", not a business day");
                }
                (cal.is_business_day(date) && minute < before, local)
            }
            // Validation guarantees the calendar; without it nothing is inside.
            None => (false, ctx.now.format("%Y-%m-%d %H:%M UTC").to_string()),
        };
        if !inside {
            let exception = cut.exception.get_ref();
            match ctx.history.approval(exception) {
                Some(given) => passed.exception = Some(given.clone()),
                None => {
                    return Err(Refusal::Cutoff {
                        to,
                        before: cut.before.get_ref().clone(),
                        calendar: cut.calendar.get_ref().clone(),
                        local_now: local,
                        exception: exception.clone(),
                        roles: approval_roles(wf, exception),
                        who_can: Vec::new(),
                    });
                }
            }
        }
    }
    Ok(passed)
}
