//! Lifecycle transitions: whether an operator may move a ticket to a state,
//! and whether an action is allowed in the ticket's state. A function of
//! (workflow, ticket, actor, fields, log facts, clock); the guards beyond
//! roles and required fields live in `guards`.

// A refusal carries everything its message names (roles, people, where
// else to go); it is built once per refused command, so its size is of
// no consequence and boxing it would only obscure the matches.
#![allow(clippy::result_large_err)]

use crate::config::{Operator, StateCategory, Workflow};
use crate::domain::guards::{self, GuardContext, Passed};
use crate::domain::ticket::{Ticket, field_text};
use serde_json::{Map, Value};
use std::fmt;

/// Why a transition was refused; each names what would make it possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    UnknownState {
        state: String,
        known: Vec<String>,
    },
    SameState {
        state: String,
    },
    NoSuchTransition {
        from: String,
        to: String,
        reachable: Vec<String>,
    },
    /// The ticket's state is not one of its workflow's (renamed in the
    /// configuration since, or set under another site's).
    StrandedState {
        from: String,
        workflow: String,
    },
    RoleNotAllowed {
        to: String,
        allowed_roles: Vec<String>,
        actor: String,
        actor_roles: Vec<String>,
        /// Operators who hold one of the allowed roles (filled in by the
        /// application layer, which knows the operators), less those four
        /// eyes bar from this move.
        who_can: Vec<String>,
        /// The earlier step a four-eyes guard of this move protects.
        four_eyes: Option<String>,
        /// Holders of the roles who took part in that step, so may not.
        barred: Vec<String>,
    },
    MissingFields {
        to: String,
        fields: Vec<String>,
    },
    /// Four eyes: the actor took part in the earlier step (`how`).
    /// `roles` may make the move (empty: anyone), `who_can` are the other
    /// operators holding them (filled by the application), and `elsewhere`
    /// the other states the ticket can go to from where it is, the way out
    /// when nobody else holds the roles.
    FourEyes {
        to: String,
        actor: String,
        how: String,
        roles: Vec<String>,
        who_can: Vec<String>,
        elsewhere: Vec<String>,
    },
    /// Outside the time cutoff without an approved exception.
    Cutoff {
        to: String,
        before: String,
        calendar: String,
        local_now: String,
        exception: String,
        roles: Vec<String>,
        who_can: Vec<String>,
    },
    /// A field above its threshold without justification or approval.
    Threshold {
        to: String,
        field: String,
        value: f64,
        above: f64,
        missing: Vec<String>,
        /// The approval still missing, if it is.
        approval: Option<String>,
        roles: Vec<String>,
        /// Who may give the approval, less those four eyes bar.
        who_can: Vec<String>,
        /// Holders of the roles who wrote a value the approval covers, and
        /// which: `(operator, field)`. They may not give it.
        barred: Vec<(String, String)>,
        /// Covered fields changed since the approval was given (it
        /// approved other values, so it is asked for again).
        changed_since: Vec<String>,
        /// Where else the ticket can go (e.g. back to prioritisation).
        alternatives: Vec<String>,
    },
    ApprovalMissing {
        to: String,
        approval: String,
        roles: Vec<String>,
        who_can: Vec<String>,
    },
    /// A field the ticket's state locks (`locks` of the state): what was
    /// verified or authorised on the way there must be what goes ahead.
    FieldLocked {
        field: String,
        /// The state that locks it.
        state: String,
        state_name: crate::config::Label,
        /// Who moved the ticket into `state`, when it is there.
        entered_by: Option<String>,
        /// For a value given with a move into `state`: the state the ticket
        /// is in, where the field may still change first.
        set_first_in: Option<String>,
        /// The moves back to a state where it may change (empty: none).
        way_back: Vec<guards::Step>,
    },
    /// Four eyes on an approval: `actor` wrote `field`, which the approval
    /// covers. `who_can` are the others who may give it; `barred` the
    /// others holding the roles who wrote what it covers too; `fields`
    /// every covered field whose current value `actor` wrote.
    ApprovalFourEyes {
        approval: String,
        actor: String,
        field: String,
        roles: Vec<String>,
        who_can: Vec<String>,
        barred: Vec<String>,
        fields: Vec<String>,
    },
    /// An action the workflow allows only in other states.
    ActionNotAllowed {
        action: String,
        state: String,
        states: Vec<String>,
    },
}

/// `roles (who, who)`: the roles and, when known, the operators holding them.
fn roles_and_people(roles: &[String], who_can: &[String]) -> String {
    let mut out = roles.join(", ");
    if !who_can.is_empty() {
        out.push_str(&format!(" ({})", who_can.join(", ")));
    }
    out
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownState { state, known } => write!(
                f,
                "unknown state '{state}'; the states of this workflow are: {}",
                known.join(", ")
            ),
            Refusal::SameState { state } => write!(f, "the ticket is already in state '{state}'"),
            Refusal::StrandedState { from, workflow } => write!(
                f,
                "its state '{from}' is not a state of workflow '{workflow}' in this configuration (renamed in workflows.toml since, or set under another site's configuration), so no transition leaves it; put the state back in workflows.toml"
            ),
            Refusal::NoSuchTransition {
                from,
                to,
                reachable,
            } => {
                write!(f, "the workflow has no transition from '{from}' to '{to}'")?;
                if reachable.is_empty() {
                    write!(f, "; '{from}' is final")
                } else {
                    write!(f, "; from '{from}' you can go to: {}", reachable.join(", "))
                }
            }
            Refusal::RoleNotAllowed {
                to,
                allowed_roles,
                actor,
                actor_roles,
                who_can,
                four_eyes,
                barred,
            } => {
                write!(
                    f,
                    "moving to '{to}' needs one of the roles {}; operator '{actor}' has {}",
                    allowed_roles.join(", "),
                    if actor_roles.is_empty() {
                        "none".to_string()
                    } else {
                        actor_roles.join(", ")
                    }
                )?;
                if who_can.is_empty()
                    && !barred.is_empty()
                    && let Some(step) = four_eyes
                {
                    // Sending them to someone four eyes turns away would
                    // only move the refusal.
                    return write!(
                        f,
                        "; {} took part in '{step}', and four eyes bar whoever did from this move; nobody else holds the roles (operators.toml): give one of them to another operator, or move the ticket back so that someone else does '{step}'",
                        barred.join(", ")
                    );
                }
                write!(f, "; ask someone with that role")?;
                if !who_can.is_empty() {
                    write!(f, " ({})", who_can.join(", "))?;
                }
                Ok(())
            }
            Refusal::MissingFields { to, fields } => write!(
                f,
                "entering '{to}' requires {}; set {} first (e.g. `guardia set KEY {}=...`, or `--field {}=...` on the move itself)",
                fields.join(", "),
                if fields.len() == 1 { "it" } else { "them" },
                fields.first().map_or("", String::as_str),
                fields.first().map_or("", String::as_str)
            ),
            Refusal::FourEyes {
                to,
                actor,
                how,
                roles,
                who_can,
                elsewhere,
            } => {
                write!(
                    f,
                    "four eyes: '{actor}' {how}, so someone else must move it to '{to}'"
                )?;
                if roles.is_empty() {
                    return Ok(());
                }
                if !who_can.is_empty() {
                    return write!(f, ": ask {}", roles_and_people(roles, who_can));
                }
                // Nobody else may: without a way out the ticket stays put.
                write!(
                    f,
                    "; nobody else holds the roles {} (operators.toml): give one of them to another operator",
                    roles.join(", ")
                )?;
                if elsewhere.is_empty() {
                    Ok(())
                } else {
                    write!(
                        f,
                        ", or move it to {} so that someone else does the step",
                        elsewhere
                            .iter()
                            .map(|s| format!("'{s}'"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                }
            }
            Refusal::Cutoff {
                to,
                before,
                calendar,
                local_now,
                exception,
                roles,
                who_can,
            } => write!(
                f,
                "moving to '{to}' is allowed only before {before} on business days of calendar '{calendar}' (it is {local_now}); an exception needs the approval '{exception}' from {}: `guardia approve KEY {exception} --reason \"...\"`",
                roles_and_people(roles, who_can)
            ),
            Refusal::Threshold {
                to,
                field,
                value,
                above,
                missing,
                approval,
                roles,
                who_can,
                barred,
                changed_since,
                alternatives,
            } => {
                write!(
                    f,
                    "{field} is {value} (above {above}), so moving to '{to}' needs"
                )?;
                let mut needs = Vec::new();
                if !missing.is_empty() {
                    needs.push(format!("the fields {} set", missing.join(", ")));
                }
                if let Some(a) = approval {
                    let again = if changed_since.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " again ({} changed after it was given)",
                            changed_since.join(", ")
                        )
                    };
                    if who_can.is_empty() && !barred.is_empty() {
                        // Everyone who may give it wrote what it covers.
                        let wrote: Vec<String> = barred
                            .iter()
                            .map(|(who, what)| format!("{who} wrote {what}"))
                            .collect();
                        needs.push(format!(
                            "the approval '{a}'{again} from {}, which nobody may give now: {} (four eyes); have another operator write the value, or give one of the roles {} to another operator (operators.toml)",
                            roles.join(", "),
                            wrote.join(", "),
                            roles.join(", ")
                        ));
                    } else {
                        needs.push(format!(
                            "the approval '{a}'{again} from {} (`guardia approve KEY {a} --reason \"...\"`)",
                            roles_and_people(roles, who_can)
                        ));
                    }
                }
                write!(f, " {}", needs.join(" and "))?;
                if !alternatives.is_empty() {
                    write!(f, "; or move it to: {}", alternatives.join(", "))?;
                }
                Ok(())
            }
            Refusal::ApprovalMissing {
                to,
                approval,
                roles,
                who_can,
            } => write!(
                f,
                "moving to '{to}' needs the approval '{approval}' from {}: `guardia approve KEY {approval} --reason \"...\"`",
                roles_and_people(roles, who_can)
            ),
            Refusal::FieldLocked {
                field,
                state,
                state_name,
                entered_by,
                set_first_in,
                way_back,
            } => {
                if let Some(from) = set_first_in {
                    return write!(
                        f,
                        "'{field}' cannot change on the way to '{state}' ({}): the workflow locks it there (workflows.toml `locks`), so that what was verified, approved or authorised is what goes ahead; change it first while the ticket is '{from}' (`guardia set KEY {field}=...`), then move it",
                        state_name.en
                    );
                }
                write!(
                    f,
                    "'{field}' cannot change while the ticket is '{state}' ({}{}): the workflow locks it in that state (workflows.toml `locks`), so that what was verified, approved or authorised on the way there is what goes ahead",
                    state_name.en,
                    entered_by
                        .as_ref()
                        .map(|who| format!(", moved there by {who}"))
                        .unwrap_or_default()
                )?;
                if way_back.is_empty() {
                    return write!(f, "; no move leads back to a state where it may change");
                }
                let moves: Vec<String> = way_back
                    .iter()
                    .map(|s| {
                        let by = if s.roles.is_empty() {
                            String::new()
                        } else {
                            format!(" (by {})", s.roles.join(", "))
                        };
                        format!("`guardia move KEY {}`{by}", s.to)
                    })
                    .collect();
                write!(
                    f,
                    "; to change it, take the ticket back first: {}, and through the steps again",
                    moves.join(" then ")
                )
            }
            Refusal::ApprovalFourEyes {
                approval,
                actor,
                field,
                roles,
                who_can,
                barred,
                fields,
            } => {
                write!(
                    f,
                    "four eyes: '{actor}' wrote '{field}', so the approval '{approval}' must come from someone else with the roles {}",
                    roles.join(", ")
                )?;
                if !who_can.is_empty() {
                    return write!(f, " ({})", who_can.join(", "));
                }
                if barred.is_empty() {
                    write!(f, "; nobody else holds them (operators.toml)")?;
                } else {
                    write!(
                        f,
                        "; the others who hold them ({}) wrote what it covers too",
                        barred.join(", ")
                    )?;
                }
                write!(
                    f,
                    ": have another operator write {} anew (`guardia set KEY {field}=...`), or give one of the roles {} to another operator",
                    fields.join(" and "),
                    roles.join(", ")
                )
            }
            Refusal::ActionNotAllowed {
                action,
                state,
                states,
            } => write!(
                f,
                "'{action}' is not allowed while the ticket is '{state}'; the workflow allows it only in: {}",
                states.join(", ")
            ),
        }
    }
}

/// Whether the workflow allows `action` in `state` (actions it does not
/// restrict are allowed everywhere).
pub fn check_action(wf: &Workflow, action: &str, state: &str) -> Result<(), Refusal> {
    let rules: Vec<_> = wf
        .actions
        .iter()
        .filter(|r| r.action.get_ref() == action)
        .collect();
    if rules.is_empty()
        || rules
            .iter()
            .any(|r| r.states.iter().any(|s| s.get_ref() == state))
    {
        return Ok(());
    }
    Err(Refusal::ActionNotAllowed {
        action: action.into(),
        state: state.into(),
        states: rules
            .iter()
            .flat_map(|r| r.states.iter().map(|s| s.get_ref().clone()))
            .collect(),
    })
}

/// Checks a transition of `ticket` to `to` by `actor`; `fields` are values
/// supplied with the move (they count as set).
pub fn check_transition(
    wf: &Workflow,
    ticket: &Ticket,
    actor: &Operator,
    to: &str,
    fields: &Map<String, Value>,
    ctx: &GuardContext<'_>,
) -> Result<Passed, Refusal> {
    if !wf.states.iter().any(|s| s.id.get_ref() == to) {
        return Err(Refusal::UnknownState {
            state: to.into(),
            known: wf.states.iter().map(|s| s.id.get_ref().clone()).collect(),
        });
    }
    let from = ticket.status.as_str();
    if from == to {
        return Err(Refusal::SameState { state: to.into() });
    }
    let candidates: Vec<_> = wf
        .transitions
        .iter()
        .filter(|t| t.to.get_ref() == to && t.from.iter().any(|f| f.get_ref() == from))
        .collect();
    if candidates.is_empty() {
        if !wf.states.iter().any(|s| s.id.get_ref() == from) {
            return Err(Refusal::StrandedState {
                from: from.into(),
                workflow: wf.id.get_ref().clone(),
            });
        }
        return Err(Refusal::NoSuchTransition {
            from: from.into(),
            to: to.into(),
            reachable: reachable(wf, from),
        });
    }
    let actor_roles: Vec<String> = actor.roles.iter().map(|r| r.get_ref().clone()).collect();
    let permitted = candidates
        .iter()
        .find(|t| t.roles.is_empty() || t.roles.iter().any(|r| actor_roles.contains(r.get_ref())));
    let Some(transition) = permitted else {
        let mut allowed_roles: Vec<String> = candidates
            .iter()
            .flat_map(|t| t.roles.iter().map(|r| r.get_ref().clone()))
            .collect();
        allowed_roles.dedup();
        return Err(Refusal::RoleNotAllowed {
            to: to.into(),
            allowed_roles,
            actor: actor.id.get_ref().clone(),
            actor_roles,
            who_can: Vec::new(),
            four_eyes: candidates
                .iter()
                .find_map(|t| t.four_eyes.as_ref().map(|s| s.get_ref().clone())),
            barred: Vec::new(),
        });
    };
    let missing: Vec<String> = transition
        .requires
        .iter()
        .map(|f| f.get_ref().clone())
        .filter(|f| !is_set(ticket, f, fields))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::MissingFields {
            to: to.into(),
            fields: missing,
        });
    }
    guards::check_move_locks(wf, transition, ticket, fields, ctx.history)?;
    guards::check(wf, transition, ticket, actor, fields, ctx)
}

pub(crate) fn is_set(ticket: &Ticket, field: &str, supplied: &Map<String, Value>) -> bool {
    if field_text(supplied, field).is_some() {
        return true;
    }
    if crate::config::CORE_FIELDS.contains(&field) {
        ticket.core_value(field).is_some()
    } else {
        ticket.field_text(field).is_some()
    }
}

/// States directly reachable from `from` by moving (the rejected state is
/// entered only by rejecting with a reason, so it is not offered).
pub fn reachable(wf: &Workflow, from: &str) -> Vec<String> {
    let rejected = wf.rejected.as_ref().map(|r| r.get_ref().as_str());
    let mut out: Vec<String> = wf
        .transitions
        .iter()
        .filter(|t| t.from.iter().any(|f| f.get_ref() == from))
        .map(|t| t.to.get_ref().clone())
        .filter(|to| Some(to.as_str()) != rejected)
        .collect();
    out.dedup();
    out
}

/// Category of a state (unknown states count as active, so they stay visible).
pub fn category(wf: &Workflow, state: &str) -> StateCategory {
    wf.states
        .iter()
        .find(|s| s.id.get_ref() == state)
        .map_or(StateCategory::Active, |s| s.category)
}

/// Whether a state is still being worked: new, active or waiting (not
/// resolved, closed or cancelled).
pub fn working(wf: &Workflow, state: &str) -> bool {
    !category(wf, state).is_done()
}

/// Whether a ticket is still being worked, by its own type's workflow
/// (`false` when the configuration has no workflow for its type).
pub fn being_worked(cfg: &crate::config::Config, t: &Ticket) -> bool {
    cfg.workflow_for_type(&t.ticket_type)
        .is_some_and(|wf| working(wf, &t.status))
}

/// Whether a ticket sits in its own workflow's rejected state (`false`
/// when its workflow has none, or the configuration no workflow for it).
pub fn is_rejected(cfg: &crate::config::Config, t: &Ticket) -> bool {
    cfg.workflow_for_type(&t.ticket_type)
        .and_then(|wf| wf.rejected.as_ref())
        .is_some_and(|s| s.get_ref() == &t.status)
}

/// States of every workflow whose category is still open.
pub fn open_states(workflows: &[Workflow]) -> Vec<String> {
    states_in(
        workflows,
        &[
            StateCategory::New,
            StateCategory::Active,
            StateCategory::Waiting,
        ],
    )
}

/// States of every workflow whose category is one of `categories`, sorted.
pub fn states_in(workflows: &[Workflow], categories: &[StateCategory]) -> Vec<String> {
    let mut out: Vec<String> = workflows
        .iter()
        .flat_map(|w| w.states.iter())
        .filter(|s| categories.contains(&s.category))
        .map(|s| s.id.get_ref().clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::guards::History;
    use chrono::Utc;

    fn check(
        cfg: &Config,
        wf: &Workflow,
        t: &Ticket,
        actor: &Operator,
        to: &str,
        fields: &Map<String, Value>,
    ) -> Result<Passed, Refusal> {
        let history = History::default();
        let ctx = GuardContext {
            now: Utc::now(),
            history: &history,
            calendars: &cfg.calendars,
        };
        check_transition(wf, t, actor, to, fields, &ctx)
    }

    fn ticket(status: &str) -> Ticket {
        Ticket {
            key: "BOG-1".into(),
            ticket_type: "incident".into(),
            service: "osf".into(),
            title: "t".into(),
            description: "d".into(),
            status: status.into(),
            priority: "medium".into(),
            priority_justification: None,
            impact: "medium".into(),
            urgency: "medium".into(),
            level: 1,
            assignee: None,
            created_by: "ana".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            fields: Map::new(),
            reject_reason: None,
            duplicate_of: None,
            route: None,
            id: "x".into(),
        }
    }

    #[test]
    fn allowed_transition_passes() {
        let cfg = Config::builtin().expect("config");
        let wf = cfg.workflow("default").expect("wf");
        let ana = cfg.operator("ana").expect("ana");
        assert_eq!(
            check(&cfg, wf, &ticket("new"), ana, "in_progress", &Map::new()),
            Ok(Passed::default())
        );
    }

    #[test]
    fn unknown_and_missing_transitions_are_explained() {
        let cfg = Config::builtin().expect("config");
        let wf = cfg.workflow("default").expect("wf");
        let ana = cfg.operator("ana").expect("ana");
        let e = check(&cfg, wf, &ticket("new"), ana, "flying", &Map::new()).unwrap_err();
        assert!(matches!(e, Refusal::UnknownState { .. }));
        assert!(e.to_string().contains("in_progress"));
        let e = check(&cfg, wf, &ticket("new"), ana, "closed", &Map::new()).unwrap_err();
        assert!(matches!(e, Refusal::NoSuchTransition { .. }), "{e}");
        assert!(e.to_string().contains("from 'new' you can go to"));
        let e = check(&cfg, wf, &ticket("new"), ana, "new", &Map::new()).unwrap_err();
        assert!(matches!(e, Refusal::SameState { .. }));
        // A state the workflow no longer has is not called final.
        let e = check(&cfg, wf, &ticket("aprobada"), ana, "closed", &Map::new()).unwrap_err();
        assert!(matches!(e, Refusal::StrandedState { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("'aprobada' is not a state of workflow 'default'")
                && !e.to_string().contains("is final"),
            "{e}"
        );
    }

    #[test]
    fn roles_are_enforced() {
        let cfg = Config::builtin().expect("config");
        let wf = cfg.workflow("default").expect("wf");
        let ana = cfg.operator("ana").expect("ana");
        let ines = cfg.operator("ines").expect("ines");
        let e = check(&cfg, wf, &ticket("new"), ana, "cancelled", &Map::new()).unwrap_err();
        assert!(matches!(e, Refusal::RoleNotAllowed { .. }), "{e}");
        assert!(e.to_string().contains("head"));
        assert_eq!(
            check(&cfg, wf, &ticket("new"), ines, "cancelled", &Map::new()),
            Ok(Passed::default())
        );
    }

    #[test]
    fn required_fields_on_entering() {
        let cfg = Config::builtin().expect("config");
        let wf = cfg.workflow("default").expect("wf");
        let ana = cfg.operator("ana").expect("ana");
        let e = check(
            &cfg,
            wf,
            &ticket("in_progress"),
            ana,
            "resolved",
            &Map::new(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            Refusal::MissingFields {
                to: "resolved".into(),
                fields: vec!["solution".into()]
            }
        );
        let mut supplied = Map::new();
        supplied.insert("solution".into(), Value::String("reinicio".into()));
        assert_eq!(
            check(&cfg, wf, &ticket("in_progress"), ana, "resolved", &supplied),
            Ok(Passed::default())
        );
    }
}
