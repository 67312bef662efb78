//! Transition guards beyond roles and required fields: four eyes, time
//! cutoffs with an approved exception, thresholds that need a justification
//! and an approval, approvals a transition always needs, and fields a state
//! locks (what was verified or authorised cannot change behind the
//! procedure's back). Pure: the log facts (`History`) and the clock come
//! from the caller.

// A refusal carries everything its message names (roles, people, where
// else to go); it is built once per refused command, so its size is of
// no consequence and boxing it would only obscure the matches.
#![allow(clippy::result_large_err)]

use crate::config::{CalendarDef, Operator, StateCategory, Threshold, Transition, Workflow};
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
    /// The cutoff exception the move into the current state was taken
    /// with, if it was: it goes on covering the execution it was granted
    /// for (see [`CarriedException`]).
    pub carried_exception: Option<CarriedException>,
}

impl History {
    pub fn approval(&self, id: &str) -> Option<&GivenApproval> {
        self.approvals.iter().rev().find(|a| a.id == id)
    }
}

/// A cutoff exception a move was taken with. One exception is for one
/// execution: the request after the cutoff (seed 001 step 7) and the head's
/// authorisation that passes it on to Infrastructure (step 8) are the same
/// execution, so the next cutoff move of the same exception on the same
/// local day of the cutoff's calendar needs no second approval. On another
/// day it is another execution, and needs its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedException {
    pub approval: GivenApproval,
    /// When the move that used it was made.
    pub used_at: DateTime<Utc>,
}

/// Whether two values of a field are the same value: numbers by their
/// value (`6` and `6.0` are one estimate), an empty field and `null` alike.
pub fn same_value(a: Option<&Value>, b: Option<&Value>) -> bool {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The fields a threshold's approval covers: the figure and the fields it
/// requires (its justification). A change of any of them after the
/// approval was given means it approved something else.
fn covered(th: &Threshold) -> impl Iterator<Item = &String> {
    std::iter::once(th.field.get_ref()).chain(th.requires.iter().map(|f| f.get_ref()))
}

/// The field covered by approval `approval` (through a threshold that asks
/// for it) whose current value `operator` wrote, if any: an approval
/// confirms what someone else proposed, so they may not give it.
pub fn wrote_for_approval(
    wf: &Workflow,
    approval: &str,
    operator: &str,
    history: &History,
) -> Option<String> {
    approval_fields(wf, approval).into_iter().find(|f| {
        history
            .field_set_by
            .get(f)
            .is_some_and(|who| who == operator)
    })
}

/// Every field that thresholds asking for `approval` cover, in file order.
pub fn approval_fields(wf: &Workflow, approval: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for th in wf
        .transitions
        .iter()
        .filter_map(|t| t.threshold.as_ref())
        .filter(|th| th.approval.get_ref() == approval)
    {
        for f in covered(th) {
            if !out.contains(f) {
                out.push(f.clone());
            }
        }
    }
    out
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
pub fn took_part(wf: &Workflow, step: &str, actor: &str, h: &History) -> Option<String> {
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
            // An approval covers the figure and the justification it was
            // given for: a change of either since, or with this very move,
            // needs approving again. Numbers compare by value (6 = 6.0).
            let given = ctx.history.approval(approval);
            let mut changed_since: Vec<String> = covered(th)
                .filter(|f| {
                    supplied
                        .get(*f)
                        .is_some_and(|v| !same_value(ticket.fields.get(*f), Some(v)))
                        || given.is_some_and(|a| a.fields_changed_since.contains(*f))
                })
                .cloned()
                .collect();
            let approved = given.is_some() && changed_since.is_empty();
            if given.is_none() {
                // Nothing was approved: nothing changed "since".
                changed_since.clear();
            }
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
                    barred: Vec::new(),
                    changed_since: if approved { Vec::new() } else { changed_since },
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
            // The exception the move into this state was taken with covers
            // the same execution's next cutoff, the same local day.
            let carried = ctx.history.carried_exception.as_ref().filter(|c| {
                &c.approval.id == exception
                    && calendar.is_some_and(|cal| {
                        cal.local_minute(c.used_at).0 == cal.local_minute(ctx.now).0
                    })
            });
            match ctx
                .history
                .approval(exception)
                .or(carried.map(|c| &c.approval))
            {
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

/// One move on the way back to a state where a locked field may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub to: String,
    /// The roles that may take it (empty: any operator).
    pub roles: Vec<String>,
}

/// Whether state `state` of `wf` locks `field`.
pub fn locks(wf: &Workflow, state: &str, field: &str) -> bool {
    wf.states
        .iter()
        .any(|s| s.id.get_ref() == state && s.locks(field))
}

/// The shortest chain of moves from `from` to a state that is still being
/// worked and does not lock `field` (the rejected and final states are no
/// way back); empty when there is none.
pub fn way_back(wf: &Workflow, from: &str, field: &str) -> Vec<Step> {
    use std::collections::VecDeque;
    let rejected = wf.rejected.as_ref().map(|r| r.get_ref().as_str());
    let open = |s: &str| {
        Some(s) != rejected
            && wf.states.iter().any(|st| {
                st.id.get_ref() == s
                    && !matches!(
                        st.category,
                        StateCategory::Closed | StateCategory::Cancelled
                    )
            })
    };
    // Breadth first: the predecessor of each state reached.
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([from.to_string()]);
    while let Some(at) = queue.pop_front() {
        if at != from && !locks(wf, &at, field) {
            let mut path = vec![at.clone()];
            while let Some(prev) = came_from.get(path.last().map_or("", String::as_str)) {
                if prev == from {
                    break;
                }
                path.push(prev.clone());
            }
            path.reverse();
            let mut steps = Vec::new();
            let mut here = from.to_string();
            for to in path {
                steps.push(Step {
                    roles: step_roles(wf, &here, &to),
                    to: to.clone(),
                });
                here = to;
            }
            return steps;
        }
        for t in wf
            .transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f.get_ref() == &at))
        {
            let to = t.to.get_ref();
            if to != from && open(to) && !came_from.contains_key(to) {
                came_from.insert(to.clone(), at.clone());
                queue.push_back(to.clone());
            }
        }
    }
    Vec::new()
}

/// The roles that may move a ticket from `from` to `to` (empty: anyone).
fn step_roles(wf: &Workflow, from: &str, to: &str) -> Vec<String> {
    let ways: Vec<&Transition> = wf
        .transitions
        .iter()
        .filter(|t| t.to.get_ref() == to && t.from.iter().any(|f| f.get_ref() == from))
        .collect();
    if ways.iter().any(|t| t.roles.is_empty()) {
        return Vec::new();
    }
    let mut roles: Vec<String> = Vec::new();
    for r in ways.iter().flat_map(|t| t.roles.iter()) {
        if !roles.contains(r.get_ref()) {
            roles.push(r.get_ref().clone());
        }
    }
    roles
}

/// The refusal of a change of `field` while the ticket is in `state`,
/// which locks it.
fn locked_in(wf: &Workflow, state: &str, field: &str, history: &History) -> Refusal {
    Refusal::FieldLocked {
        field: field.to_string(),
        state: state.to_string(),
        state_name: state_name(wf, state),
        entered_by: history.entered_by.get(state).cloned(),
        set_first_in: None,
        way_back: way_back(wf, state, field),
    }
}

fn state_name(wf: &Workflow, state: &str) -> crate::config::Label {
    wf.states
        .iter()
        .find(|s| s.id.get_ref() == state)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| crate::config::Label {
            es: state.to_string(),
            en: state.to_string(),
        })
}

/// Refuses a change of fields (`changed`: those whose value would really
/// change) that the ticket's state locks.
pub fn check_locks(
    wf: &Workflow,
    ticket: &Ticket,
    changed: &[String],
    history: &History,
) -> Result<(), Refusal> {
    match changed.iter().find(|f| locks(wf, &ticket.status, f)) {
        Some(field) => Err(locked_in(wf, &ticket.status, field, history)),
        None => Ok(()),
    }
}

/// Refuses values given with a move along `t` that change a field the
/// state entered locks, unless the move requires that field (the
/// instructions a production request carries are written with it). The
/// values land in the state entered, so its locks are the ones that count:
/// a move back to where the field is free may carry the new value.
pub fn check_move_locks(
    wf: &Workflow,
    t: &Transition,
    ticket: &Ticket,
    supplied: &Map<String, Value>,
    history: &History,
) -> Result<(), Refusal> {
    let to = t.to.get_ref();
    let locked = supplied.iter().find(|(f, v)| {
        !same_value(ticket.fields.get(*f), Some(v))
            && locks(wf, to, f)
            && !t.requires.iter().any(|r| r.get_ref() == *f)
    });
    let Some((field, _)) = locked else {
        return Ok(());
    };
    if locks(wf, &ticket.status, field) {
        // Locked where it is too: the way out is back, not `set` first.
        return Err(locked_in(wf, &ticket.status, field, history));
    }
    Err(Refusal::FieldLocked {
        field: field.clone(),
        state: to.clone(),
        state_name: state_name(wf, to),
        entered_by: None,
        set_first_in: Some(ticket.status.clone()),
        way_back: Vec::new(),
    })
}

/// Whether writing `value` into `field` on the way from the ticket's state
/// to `to` would change a field `to` locks, for moves made without a
/// transition's checks (a major incident resolving its children): no
/// transition from here to there requires it.
pub fn locked_on_the_way(
    wf: &Workflow,
    ticket: &Ticket,
    to: &str,
    field: &str,
    value: &Value,
) -> bool {
    !same_value(ticket.fields.get(field), Some(value))
        && locks(wf, to, field)
        && !wf.transitions.iter().any(|t| {
            t.to.get_ref() == to
                && t.from.iter().any(|f| f.get_ref() == &ticket.status)
                && t.requires.iter().any(|r| r.get_ref() == field)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::json;

    #[test]
    fn numbers_are_the_same_value_whatever_their_form() {
        assert!(same_value(Some(&json!(6)), Some(&json!(6.0))));
        assert!(!same_value(Some(&json!(6)), Some(&json!(6.5))));
        assert!(same_value(None, Some(&Value::Null)));
        assert!(!same_value(None, Some(&json!("x"))));
        assert!(!same_value(Some(&json!("6")), Some(&json!(6))));
    }

    #[test]
    fn the_way_back_is_the_shortest_chain_to_a_state_that_does_not_lock_the_field() {
        let cfg = Config::builtin().expect("config");
        let wf = cfg.workflow("soporte_sistemas").expect("wf");
        let to = |steps: Vec<Step>| steps.into_iter().map(|s| s.to).collect::<Vec<_>>();
        assert_eq!(
            to(way_back(wf, "script_verified", "change_script")),
            ["in_progress"]
        );
        assert_eq!(
            to(way_back(
                wf,
                "production_authorised",
                "execution_instructions"
            )),
            ["script_verified"]
        );
        assert_eq!(
            to(way_back(wf, "script_verified", "estimate_hours")),
            ["in_progress", "analysis"]
        );
        // Only forward from a certified request: nothing leads back.
        assert!(way_back(wf, "certified", "change_script").is_empty());
        let back = way_back(wf, "in_progress", "estimate_hours");
        assert_eq!(back[0].roles, ["support_analyst", "head"]);
    }
}
