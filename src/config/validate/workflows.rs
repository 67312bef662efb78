//! Checks `workflows.toml`: every name a workflow uses (states, roles,
//! fields, approvals, calendars, actions) exists, guards and timers read,
//! the fields a state locks are fields its tickets hold, and the state
//! machine has no holes: every state can be reached, only final states
//! (closed, cancelled) have no way out and every other state can get to
//! one; `reject` and `assign` have the transitions they take.

use super::{Checker, ids};
use crate::config::*;
use crate::domain::duration::{self, DurationError};
use std::collections::BTreeSet;
use toml::Spanned;

const F: &str = "workflows.toml";

/// The field `record_resolution_time` writes.
pub const RESOLUTION_TIME_FIELD: &str = "resolution_time";

pub(super) fn check(
    c: &mut Checker,
    workflows: &WorkflowsFile,
    fields: &FieldsFile,
    operators: &OperatorsFile,
    calendar_ids: &BTreeSet<String>,
    types: &TypesFile,
) {
    let type_ids = &ids(&types.types, |t| &t.id);
    c.unique(F, "workflow", workflows.workflows.iter().map(|w| &w.id));
    let role_ids = ids(&operators.roles, |r| &r.id);
    let field_ids = ids(&fields.fields, |f| &f.id);
    let mut fields_and_core = field_ids.clone();
    fields_and_core.extend(CORE_FIELDS.iter().map(|s| s.to_string()));
    let actions: BTreeSet<String> = WORKFLOW_ACTIONS.iter().map(|s| s.to_string()).collect();
    let link_kinds: BTreeSet<String> = LINK_KINDS.iter().map(|s| s.to_string()).collect();
    // A cascade moves tickets of any workflow.
    let every_state: BTreeSet<String> = workflows
        .workflows
        .iter()
        .flat_map(|w| w.states.iter().map(|s| s.id.get_ref().clone()))
        .collect();
    for wf in &workflows.workflows {
        c.unique(F, "state", wf.states.iter().map(|s| &s.id));
        c.unique(F, "approval", wf.approvals.iter().map(|a| &a.id));
        let states = ids(&wf.states, |s| &s.id);
        let approvals = ids(&wf.approvals, |a| &a.id);
        c.known(F, "initial state", &wf.initial, &states);
        if let Some(s) = &wf.on_assign {
            c.known(F, "on_assign state", s, &states);
        }
        if let Some(s) = &wf.rejected {
            c.known(F, "rejected state", s, &states);
        }
        for a in &wf.approvals {
            if a.roles.is_empty() {
                c.at(
                    F,
                    a.id.span(),
                    format!(
                        "approval '{}' lists no roles; name who may give it",
                        a.id.get_ref()
                    ),
                );
            }
            for r in &a.roles {
                c.known(F, "role", r, &role_ids);
            }
        }
        for t in &wf.transitions {
            if t.from.is_empty() {
                c.at(
                    F,
                    t.to.span(),
                    format!(
                        "the transition to '{}' lists no `from` states; it could never be taken",
                        t.to.get_ref()
                    ),
                );
            }
            for f in &t.from {
                c.known(F, "state", f, &states);
            }
            c.known(F, "state", &t.to, &states);
            for r in &t.roles {
                c.known(F, "role", r, &role_ids);
            }
            for f in &t.requires {
                c.known(F, "field", f, &fields_and_core);
            }
            if let Some(s) = &t.four_eyes {
                c.known(F, "four_eyes state", s, &states);
            }
            if let Some(a) = &t.approval {
                c.known(F, "approval", a, &approvals);
            }
            if let Some(cut) = &t.cutoff {
                if crate::domain::calendar::parse_hhmm(cut.before.get_ref()).is_none() {
                    c.at(
                        F,
                        cut.before.span(),
                        format!(
                            "cutoff '{}' is not a time of day; write HH:MM, e.g. \"17:00\"",
                            cut.before.get_ref()
                        ),
                    );
                }
                c.known(F, "calendar", &cut.calendar, calendar_ids);
                c.known(F, "approval", &cut.exception, &approvals);
            }
            if let Some(th) = &t.threshold {
                if c.known(F, "field", &th.field, &field_ids) {
                    let kind = fields
                        .fields
                        .iter()
                        .find(|f| f.id.get_ref() == th.field.get_ref())
                        .map(|f| f.kind);
                    if kind != Some(FieldKind::Number) {
                        c.at(
                            F,
                            th.field.span(),
                            format!(
                                "threshold field '{}' is not a number field (fields.toml); a threshold compares numbers",
                                th.field.get_ref()
                            ),
                        );
                    }
                }
                for f in &th.requires {
                    c.known(F, "field", f, &fields_and_core);
                }
                c.known(F, "approval", &th.approval, &approvals);
            }
            if t.record_resolution_time {
                match fields
                    .fields
                    .iter()
                    .find(|f| f.id.get_ref() == RESOLUTION_TIME_FIELD)
                {
                    None => c.at(
                        F,
                        t.to.span(),
                        format!(
                            "record_resolution_time writes the field '{RESOLUTION_TIME_FIELD}', which fields.toml does not define; add it (kind = \"text\")"
                        ),
                    ),
                    // It writes a sentence ("3 h 20 min of business time…").
                    Some(f) if f.kind != FieldKind::Text => c.at(
                        F,
                        t.to.span(),
                        format!(
                            "record_resolution_time writes text into the field '{RESOLUTION_TIME_FIELD}', which fields.toml makes a {} field; make it kind = \"text\"",
                            kind_name(f.kind)
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        for timer in &wf.timers {
            c.known(F, "timer state", &timer.state, &states);
            c.known(F, "timer target state", &timer.to, &states);
            if timer.state.get_ref() == timer.to.get_ref() {
                c.at(
                    F,
                    timer.to.span(),
                    format!(
                        "the timer moves '{}' to itself; name another state",
                        timer.to.get_ref()
                    ),
                );
            }
            if duration::uses_days(timer.after.get_ref()) {
                // Elsewhere `1d` is a working day of 8 hours; a timer's day
                // would be ambiguous. Only a text that reads as a duration
                // is told so: `dos horas` is no duration at all.
                c.at(
                    F,
                    timer.after.span(),
                    format!(
                        "timer duration '{}': write it in hours and minutes (e.g. \"24h\"); 'd' is ambiguous here",
                        timer.after.get_ref()
                    ),
                );
            } else if duration::lacks_unit(timer.after.get_ref()) {
                // `after = 24` unquoted is refused for the same reason.
                c.at(
                    F,
                    timer.after.span(),
                    duration::unit_message("timer duration", timer.after.get_ref()),
                );
            } else if let Err(e) = duration::parse(timer.after.get_ref()) {
                c.at(
                    F,
                    timer.after.span(),
                    timer_message(timer.after.get_ref(), e),
                );
            }
            if let Some(cal) = &timer.calendar {
                c.known(F, "calendar", cal, calendar_ids);
            }
        }
        for rule in &wf.actions {
            c.known(F, "action", &rule.action, &actions);
            for s in &rule.states {
                c.known(F, "state", s, &states);
            }
        }
        for cascade in &wf.cascades {
            c.known(F, "cascade state", &cascade.on, &states);
            c.known(F, "link kind", &cascade.link, &link_kinds);
            c.known(F, "cascade target state", &cascade.to, &every_state);
            for t in &cascade.types {
                c.known(F, "ticket type", t, type_ids);
            }
        }
        check_locks(c, wf, fields, types);
        check_entries(c, wf, &states);
        check_shape(c, wf, &states);
    }
}

/// The fields a state locks must be catalogue fields (fields.toml) that
/// the ticket types following the workflow hold: a lock on anything else
/// would protect nothing, and a misspelt one would leave the field open
/// while the administrator believes it locked.
fn check_locks(c: &mut Checker, wf: &Workflow, fields: &FieldsFile, types: &TypesFile) {
    let field_ids = ids(&fields.fields, |f| &f.id);
    let users: Vec<&TicketType> = types
        .types
        .iter()
        .filter(|t| t.workflow.get_ref() == wf.id.get_ref())
        .collect();
    for state in &wf.states {
        for f in &state.locks {
            let id = f.get_ref();
            if CORE_FIELDS.contains(&id.as_str()) {
                c.at(
                    F,
                    f.span(),
                    format!(
                        "state '{}' locks '{id}', a built-in attribute; `locks` names fields of fields.toml (the ones `guardia set` and `move --field` write)",
                        state.id.get_ref()
                    ),
                );
                continue;
            }
            if !c.known(F, "field", f, &field_ids) {
                continue;
            }
            // A workflow no type follows yet has no tickets to hold it.
            let held = users.iter().any(|ty| {
                ty.mandatory
                    .iter()
                    .chain(&ty.optional)
                    .any(|h| h.get_ref() == id)
            });
            if !users.is_empty() && !held {
                let names: Vec<&str> = users.iter().map(|t| t.id.get_ref().as_str()).collect();
                c.at(
                    F,
                    f.span(),
                    format!(
                        "state '{}' of workflow '{}' locks the field '{id}', which no ticket type following the workflow holds (types.toml: {}), so the lock protects nothing; remove it, or add \"{id}\" to the fields of {}",
                        state.id.get_ref(),
                        wf.id.get_ref(),
                        names.join(", "),
                        if names.len() == 1 { "that type" } else { "one of those types" }
                    ),
                );
            }
        }
    }
}

/// The name of a field kind in fields.toml.
pub(super) fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "text",
        FieldKind::LongText => "long_text",
        FieldKind::Email => "email",
        FieldKind::Phone => "phone",
        FieldKind::Number => "number",
        FieldKind::Choice => "choice",
        FieldKind::Boolean => "boolean",
    }
}

/// `reject` and `assign` move a ticket only by a transition the workflow
/// has (with its roles and guards): into the `rejected` state from the
/// ticket's state, into `on_assign` from the initial state. Without one,
/// every `reject` is refused and `assign` silently leaves the ticket new.
fn check_entries(c: &mut Checker, wf: &Workflow, states: &BTreeSet<String>) {
    let id = wf.id.get_ref();
    let initial = wf.initial.get_ref();
    if let Some(r) = &wf.rejected
        && states.contains(r.get_ref())
        && !wf.transitions.iter().any(|t| t.to.get_ref() == r.get_ref())
    {
        c.at(
            F,
            r.span(),
            format!(
                "the rejected state '{r}' of workflow '{id}' has no transition into it, so every `guardia reject` would be refused; add a [[workflow.transition]] with to = \"{r}\" and from = the states a ticket may be rejected in (e.g. from = [\"{initial}\"])",
                r = r.get_ref()
            ),
        );
    }
    if let Some(a) = &wf.on_assign
        && states.contains(a.get_ref())
        && a.get_ref() != initial
        && !wf
            .transitions
            .iter()
            .any(|t| t.to.get_ref() == a.get_ref() && t.from.iter().any(|f| f.get_ref() == initial))
    {
        c.at(
            F,
            a.span(),
            format!(
                "the on_assign state '{a}' of workflow '{id}' has no transition from the initial state '{initial}', so assigning a ticket would leave it in '{initial}'; add a [[workflow.transition]] with from = [\"{initial}\"] and to = \"{a}\"",
                a = a.get_ref()
            ),
        );
    }
}

/// What an administrator is told about a timer's `after` that does not
/// read. Timers are written in hours and minutes (a duration in days is
/// refused before; a text with a `d` that is no duration comes here), and
/// wait wall-clock or business time, so the cap is stated in hours.
fn timer_message(text: &str, error: DurationError) -> String {
    match error {
        DurationError::NotADuration => format!(
            "timer duration '{text}' is not a duration; write hours and minutes such as 30m, 4h, 1h30m or 24h"
        ),
        DurationError::NotPositive => {
            format!("timer duration '{text}' must be longer than zero; write e.g. 30m or 24h")
        }
        DurationError::TooLong { minutes } => format!(
            "timer duration '{text}' is {}; a timer can wait at most {}: write {}h or less",
            duration::hours_text(minutes),
            duration::max_text(),
            duration::MAX_MINUTES / 60
        ),
        DurationError::FarTooLong => format!(
            "timer duration '{text}' is far longer than {}, the longest a timer can wait: write {}h or less",
            duration::max_text(),
            duration::MAX_MINUTES / 60
        ),
    }
}

/// Every state reachable from the initial one (through transitions, timers,
/// assigning and rejecting), only final states without a way out, and a
/// way from every other state to a final one.
fn check_shape(c: &mut Checker, wf: &Workflow, states: &BTreeSet<String>) {
    // Names already reported as unknown would only repeat the problem.
    let edges: Vec<(&Spanned<String>, &Spanned<String>)> = wf
        .transitions
        .iter()
        .flat_map(|t| t.from.iter().map(move |f| (f, &t.to)))
        .chain(wf.timers.iter().map(|t| (&t.state, &t.to)))
        .filter(|(f, t)| states.contains(f.get_ref()) && states.contains(t.get_ref()))
        .collect();
    let mut reached: BTreeSet<&str> = [wf.initial.get_ref().as_str()].into();
    reached.extend(wf.on_assign.iter().map(|s| s.get_ref().as_str()));
    reached.extend(wf.rejected.iter().map(|s| s.get_ref().as_str()));
    loop {
        let before = reached.len();
        for (f, t) in &edges {
            if reached.contains(f.get_ref().as_str()) {
                reached.insert(t.get_ref().as_str());
            }
        }
        if reached.len() == before {
            break;
        }
    }
    let is_final =
        |s: &State| matches!(s.category, StateCategory::Closed | StateCategory::Cancelled);
    // A move from a state to itself goes nowhere: it is no way out.
    let moves: Vec<(&str, &str)> = edges
        .iter()
        .map(|(f, t)| (f.get_ref().as_str(), t.get_ref().as_str()))
        .filter(|(f, t)| f != t)
        .collect();
    // Every state from which some chain of moves ends in a final state.
    let mut finishes: BTreeSet<&str> = wf
        .states
        .iter()
        .filter(|s| is_final(s))
        .map(|s| s.id.get_ref().as_str())
        .collect();
    loop {
        let before = finishes.len();
        for (f, t) in &moves {
            if finishes.contains(t) {
                finishes.insert(f);
            }
        }
        if finishes.len() == before {
            break;
        }
    }
    let mut stuck = Vec::new();
    // An unreachable state is still checked for a way out: told one
    // problem per round, the administrator who adds the way in would only
    // then learn that the state is a dead end too.
    for s in &wf.states {
        let id = s.id.get_ref();
        if !reached.contains(id.as_str()) {
            c.at(
                F,
                s.id.span(),
                format!(
                    "state '{id}' of workflow '{}' cannot be reached from '{}'; add a transition into it or remove it",
                    wf.id.get_ref(),
                    wf.initial.get_ref()
                ),
            );
        }
        let leaves = moves.iter().any(|(f, _)| f == id);
        if !leaves && !is_final(s) {
            c.at(
                F,
                s.id.span(),
                format!(
                    "state '{id}' of workflow '{}' is a dead end: no transition leaves it for another state and its category '{}' is not final (closed, cancelled); add a way out",
                    wf.id.get_ref(),
                    s.category.name()
                ),
            );
        } else if !finishes.contains(id.as_str()) {
            stuck.push(s);
        }
    }
    if let Some(first) = stuck.first() {
        let names: Vec<&str> = stuck.iter().map(|s| s.id.get_ref().as_str()).collect();
        c.at(
            F,
            first.id.span(),
            format!(
                "in workflow '{}', no chain of transitions or timers leads from {} '{}' to a closed or cancelled state, so their tickets could never be finished; add a transition from {} toward a final state",
                wf.id.get_ref(),
                if names.len() == 1 { "the state" } else { "the states" },
                names.join("', '"),
                if names.len() == 1 { "it" } else { "one of them" }
            ),
        );
    }
}
