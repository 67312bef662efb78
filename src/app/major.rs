//! Major incidents (mass failures, seed 000 §15 and seed 004): one ticket
//! routed to the major-incident protocol stands for the failure, the
//! reports it causes are attached to it as children (links of kind
//! `major`), every console shows a banner while it is being worked, and
//! resolving it can resolve the children with the same solution. The
//! incident manager role owns declaring and resolving; anyone may attach
//! a report.

use super::{App, AppError, Created, NewTicket, load, reloaded, workflow};
use crate::config::{Config, Operator, RecordKind, StateCategory, Workflow};
use crate::domain::lifecycle;
use crate::domain::ticket::Ticket;
use crate::store::ApplyMode;
use crate::store::WriteTx;
use crate::store::ops::{OpDraft, entity, kind};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The role that owns major incidents.
pub const INCIDENT_MANAGER: &str = "incident_manager";
/// The route a major incident takes (as a rejection of a critical incident does).
pub const MAJOR_ROUTE: &str = "major_incident";

/// An open major incident, as the banner shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MajorIncident {
    #[serde(flatten)]
    pub ticket: Ticket,
    /// Children still being worked, and all of them.
    pub children_open: usize,
    pub children: usize,
}

/// What resolving a major incident did.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub major: Ticket,
    /// Children resolved with the major incident's solution.
    pub resolved: Vec<String>,
    /// Children still open (when they were not asked to be resolved).
    pub open_children: Vec<String>,
    /// Children left alone: their workflow has no resolved or closed state.
    pub skipped: Vec<String>,
    /// Children left open because resolving them needs fields that neither
    /// they nor the command's `--field` values hold.
    pub incomplete: Vec<Incomplete>,
}

/// A child that could not be resolved with the major incident, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Incomplete {
    pub key: String,
    /// The fields its resolution requires that are still empty.
    pub missing: Vec<String>,
}

/// The fields a child's own workflow requires on its way from `from` into
/// `to`. The incident manager's decision passes over the child's roles and
/// guards (like a cascade), but not over what its record must hold: seed
/// 002 §4.6 asks every resolved API incident for its root cause.
fn required_on_the_way(wf: &Workflow, from: &str, to: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for t in wf
        .transitions
        .iter()
        .filter(|t| t.to.get_ref() == to && t.from.iter().any(|f| f.get_ref() == from))
    {
        for f in &t.requires {
            if !fields.contains(f.get_ref()) {
                fields.push(f.get_ref().clone());
            }
        }
    }
    fields
}

/// The state a workflow resolves into: its first resolved state, else its
/// first closed one.
fn resolved_state(wf: &Workflow) -> Option<&str> {
    [StateCategory::Resolved, StateCategory::Closed]
        .iter()
        .find_map(|c| wf.states.iter().find(|s| s.category == *c))
        .map(|s| s.id.get_ref().as_str())
}

pub(super) fn require_manager(cfg: &Config, actor: &Operator, what: &str) -> Result<(), AppError> {
    if actor.roles.iter().any(|r| r.get_ref() == INCIDENT_MANAGER) {
        return Ok(());
    }
    let holders: Vec<String> = cfg
        .operators
        .iter()
        .filter(|o| o.roles.iter().any(|r| r.get_ref() == INCIDENT_MANAGER))
        .map(|o| format!("{} ({})", o.id.get_ref(), o.name))
        .collect();
    Err(AppError::Invalid(format!(
        "only the {INCIDENT_MANAGER} role may {what}; {} is not one{}",
        actor.id.get_ref(),
        if holders.is_empty() {
            "; no operator holds it in operators.toml".to_string()
        } else {
            format!(" (ask {})", holders.join(", "))
        }
    )))
}

fn route_major(
    w: &mut WriteTx<'_>,
    actor_id: &str,
    t: &Ticket,
    reason: &str,
) -> Result<(), AppError> {
    w.append(
        actor_id,
        OpDraft::new(
            entity::TICKET,
            &t.id,
            kind::ROUTE,
            json!({"to": MAJOR_ROUTE, "role": INCIDENT_MANAGER, "reason": reason, "declared": true}),
        )
        .field("route"),
    )?;
    Ok(())
}

/// Whether `t` is a major incident: routed to the major-incident path and
/// not rejected. A critical rejection routes a ticket there too, but the
/// help desk's record of it stays rejected (seed 000 §16: the caller goes to
/// the incident managers); the major incident is declared from it.
pub fn is_major(cfg: &Config, t: &Ticket) -> bool {
    t.route.as_deref() == Some(MAJOR_ROUTE) && !lifecycle::is_rejected(cfg, t)
}

/// The major incident still being worked that `t` is a report of, if any.
fn working_major_of(
    r: &crate::store::Reader<'_>,
    cfg: &Config,
    t: &Ticket,
) -> Result<Option<String>, AppError> {
    for id in r.linked_ids(&t.id, "major", false)? {
        if let Some((_, m)) = r.ticket_by_id(&id)?
            && is_major(cfg, &m)
            && lifecycle::being_worked(cfg, &m)
        {
            return Ok(Some(m.key));
        }
    }
    Ok(None)
}

/// The ticket a critical rejection closed, as a new ticket to declare.
fn renewed(t: &Ticket) -> NewTicket {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    NewTicket {
        ticket_type: Some(t.ticket_type.clone()),
        service: t.service.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        impact: Some(t.impact.clone()),
        urgency: Some(t.urgency.clone()),
        priority: None,
        justification: None,
        fields: t
            .fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(n, v)| (n.clone(), text(v)))
            .collect(),
    }
}

impl App {
    /// Declares an existing ticket a major incident. A ticket rejected as
    /// critical stays rejected: a new ticket is registered from it (its
    /// type, service, texts and fields), declared, and the rejected one
    /// attached to it as its first report.
    pub fn major_declare(
        &mut self,
        actor: &Operator,
        key: &str,
        reason: &str,
    ) -> Result<Ticket, AppError> {
        let cfg = &self.config;
        require_manager(cfg, actor, "declare a major incident")?;
        let (_, found) = load(&self.reader(), key)?;
        if found.route.as_deref() == Some(MAJOR_ROUTE) && lifecycle::is_rejected(cfg, &found) {
            check_incident(cfg, &found)?;
            if let Some(m) = working_major_of(&self.reader(), cfg, &found)? {
                return Err(AppError::Refused {
                    key: found.key.clone(),
                    message: format!(
                        "was already declared as the major incident {m}, still being worked; attach further reports to it with `guardia major attach {m} KEY`"
                    ),
                });
            }
            let actor_id = actor.id.get_ref().clone();
            let reason = reason.to_string();
            let report_id = found.id.clone();
            return Ok(self
                .create_then(actor, renewed(&found), move |w, t| {
                    route_major(w, &actor_id, t, &reason)?;
                    w.append(
                        &actor_id,
                        OpDraft::new(entity::TICKET, &report_id, kind::LINK, Value::Bool(true))
                            .field(format!("major:{}", t.id)),
                    )?;
                    Ok(())
                })?
                .ticket);
        }
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<Ticket, AppError> {
                let (_, t) = load(&w.reader(), key)?;
                check_incident(cfg, &t)?;
                if t.route.as_deref() == Some(MAJOR_ROUTE) {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: "is already a major incident".into(),
                    });
                }
                if !lifecycle::being_worked(cfg, &t) {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "is {}; only a ticket still being worked becomes a major incident",
                            t.status
                        ),
                    });
                }
                route_major(w, &actor_id, &t, reason)?;
                reloaded(w, cfg, key)
            })
    }

    /// Registers a new ticket and declares it a major incident, in one
    /// transaction.
    pub fn major_declare_new(
        &mut self,
        actor: &Operator,
        new: NewTicket,
        reason: &str,
    ) -> Result<Created, AppError> {
        require_manager(&self.config, actor, "declare a major incident")?;
        if let Some(t) = &new.ticket_type
            && self.config.record_of(t) != RecordKind::Ticket
        {
            return Err(AppError::Invalid(format!(
                "type '{t}' records problems or known errors; a major incident is an incident"
            )));
        }
        let actor_id = actor.id.get_ref().clone();
        let reason = reason.to_string();
        self.create_then(actor, new, move |w, t| {
            route_major(w, &actor_id, t, &reason)
        })
    }

    /// Attaches reports to a major incident as its children. Keys already
    /// attached to it are passed over; with `lenient` (keys read from a
    /// list) so are the major incident itself, problems, known errors and
    /// other major incidents, which are refused otherwise. Returns the keys
    /// attached and the keys passed over.
    pub fn major_attach(
        &mut self,
        actor: &Operator,
        major: &str,
        children: &[String],
        lenient: bool,
    ) -> Result<(Vec<String>, Vec<String>), AppError> {
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store.write(
            now,
            ApplyMode::Live,
            |w| -> Result<(Vec<String>, Vec<String>), AppError> {
                let (_, m) = load(&w.reader(), major)?;
                check_major(cfg, &m, true)?;
                let (mut attached, mut passed) = (Vec::new(), Vec::new());
                for key in children {
                    let (_, t) = load(&w.reader(), key)?;
                    let refusal = if t.id == m.id {
                        Some("is the major incident itself".to_string())
                    } else if cfg.record_of(&t.ticket_type) != RecordKind::Ticket {
                        Some("is a problem or known error, not a report".to_string())
                    } else if is_major(cfg, &t) {
                        Some(
                            "is a major incident itself; attach reports, not major incidents"
                                .to_string(),
                        )
                    } else {
                        working_major_of(&w.reader(), cfg, &t)?
                            .filter(|other| *other != m.key)
                            .map(|other| {
                                format!(
                                    "is a report of the major incident {other} already, still being worked; a report belongs to one failure (`guardia link {} {other} --kind major --remove` detaches it)",
                                    t.key
                                )
                            })
                    };
                    if let Some(message) = refusal {
                        if lenient {
                            passed.push(t.key.clone());
                            continue;
                        }
                        return Err(AppError::Refused {
                            key: key.clone(),
                            message,
                        });
                    }
                    if w.reader().linked(&t.id, "major", &m.id)? {
                        passed.push(t.key.clone());
                        continue;
                    }
                    w.append(
                        &actor_id,
                        OpDraft::new(entity::TICKET, &t.id, kind::LINK, Value::Bool(true))
                            .field(format!("major:{}", m.id)),
                    )?;
                    attached.push(t.key.clone());
                }
                Ok((attached, passed))
            },
        )
    }

    /// Resolves a major incident with a solution (under its workflow's rules,
    /// like any move), and with `children` resolves its open children with
    /// the same solution: the incident manager's decision, recorded on each
    /// child like a cascade (not subject to the child's transition table).
    /// Run again with `children` after the major incident is resolved to
    /// resolve the children then.
    pub fn major_resolve(
        &mut self,
        actor: &Operator,
        major: &str,
        solution: &str,
        children: bool,
        fields: &[(String, String)],
    ) -> Result<Resolved, AppError> {
        if solution.trim().is_empty() {
            return Err(AppError::Invalid(
                "the solution is empty; say what fixed it, for the children too".into(),
            ));
        }
        require_manager(&self.config, actor, "resolve a major incident")?;
        // Checked before anything is written: the values go to the children too.
        let parsed = self.parse_filled(fields)?;
        let (_, m) = load(&self.reader(), major)?;
        check_major(&self.config, &m, false)?;
        let wf = self
            .config
            .workflow_for_type(&m.ticket_type)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "{major}: its type has no workflow in this configuration"
                ))
            })?;
        let major_ticket = if lifecycle::working(wf, &m.status) {
            let state = resolved_state(wf)
                .ok_or_else(|| AppError::Refused {
                    key: major.into(),
                    message: format!(
                        "workflow '{}' has no resolved or closed state",
                        wf.id.get_ref()
                    ),
                })?
                .to_string();
            let mut with: Vec<(String, String)> = fields.to_vec();
            if self.config.type_holds(&m.ticket_type, "solution")
                && !with.iter().any(|(n, _)| n == "solution")
            {
                with.push(("solution".into(), solution.to_string()));
            }
            self.move_to(actor, major, &state, Some(solution), &with)?
        } else if children {
            m
        } else {
            return Err(AppError::Refused {
                key: major.into(),
                message: format!(
                    "is already {}; add --children to resolve its open children with the same solution",
                    m.status
                ),
            });
        };
        let open: Vec<Ticket> = self
            .reader()
            .linking(&major_ticket.id, "major")?
            .into_iter()
            .filter(|c| lifecycle::being_worked(&self.config, c))
            .collect();
        if !children {
            return Ok(Resolved {
                major: major_ticket,
                resolved: Vec::new(),
                open_children: open.into_iter().map(|c| c.key).collect(),
                skipped: Vec::new(),
                incomplete: Vec::new(),
            });
        }
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        let note = format!("major incident {}: {}", major_ticket.key, solution.trim());
        let clock_now = self.clock.now();
        let lang = self.lang;
        let written =
            self.store
                .write(now, ApplyMode::Live, |w| -> Result<Resolved, AppError> {
                    let mut done = Resolved {
                        major: major_ticket.clone(),
                        resolved: Vec::new(),
                        open_children: Vec::new(),
                        skipped: Vec::new(),
                        incomplete: Vec::new(),
                    };
                    for c in &open {
                        // Read again inside the lock: another operator may have
                        // moved it meanwhile.
                        let (_, c) = load(&w.reader(), &c.key)?;
                        let Some(cwf) = cfg.workflow_for_type(&c.ticket_type) else {
                            done.skipped.push(c.key.clone());
                            continue;
                        };
                        if !lifecycle::working(cwf, &c.status) {
                            continue;
                        }
                        let Some(to) = resolved_state(cwf) else {
                            done.skipped.push(c.key.clone());
                            continue;
                        };
                        // The same solution, and the same `--field` values (the
                        // root cause of the failure is every report's), for the
                        // fields the child's type holds.
                        let mut values = Map::new();
                        if cfg.type_holds(&c.ticket_type, "solution") {
                            values.insert("solution".into(), Value::String(solution.trim().into()));
                        }
                        for (name, value) in &parsed {
                            if cfg.type_holds(&c.ticket_type, name) {
                                values.insert(name.clone(), value.clone());
                            }
                        }
                        // A field the child's state entered locks keeps the
                        // child's own value.
                        values.retain(|name, value| {
                            !workflow::locked_on_the_way(cfg, &c, to, name, value)
                        });
                        let missing: Vec<String> = required_on_the_way(cwf, &c.status, to)
                            .into_iter()
                            .filter(|f| !lifecycle::is_set(&c, f, &values))
                            .collect();
                        if !missing.is_empty() {
                            done.incomplete.push(Incomplete {
                                key: c.key.clone(),
                                missing,
                            });
                            continue;
                        }
                        for (name, value) in &values {
                            if c.fields.get(name) != Some(value) {
                                w.append(
                                    &actor_id,
                                    OpDraft::new(entity::TICKET, &c.id, kind::SET, value.clone())
                                        .field(format!("fields.{name}")),
                                )?;
                            }
                        }
                        if workflow::records_resolution_time(cwf, &c.status, to) {
                            let text = workflow::resolution_time_text(cfg, &c, clock_now, lang);
                            w.append(
                                &actor_id,
                                OpDraft::new(entity::TICKET, &c.id, kind::SET, Value::String(text))
                                    .field(format!(
                                        "fields.{}",
                                        crate::config::RESOLUTION_TIME_FIELD
                                    )),
                            )?;
                        }
                        let mut value = Map::new();
                        value.insert("from".into(), Value::String(c.status.clone()));
                        value.insert("to".into(), Value::String(to.into()));
                        value.insert("note".into(), Value::String(note.clone()));
                        value.insert("major".into(), Value::String(major_ticket.key.clone()));
                        w.append(
                            &actor_id,
                            OpDraft::new(
                                entity::TICKET,
                                &c.id,
                                kind::TRANSITION,
                                Value::Object(value),
                            )
                            .field("status"),
                        )?;
                        let moved = reloaded(w, cfg, &c.key)?;
                        workflow::cascade(w, cfg, &moved)?;
                        done.resolved.push(c.key.clone());
                    }
                    Ok(done)
                })?;
        Ok(written)
    }

    /// The major incidents still being worked, newest first, with their children.
    pub fn open_majors(&self) -> Result<Vec<MajorIncident>, AppError> {
        let states = lifecycle::open_states(&self.config.workflows);
        let r = self.reader();
        let mut out = Vec::new();
        for t in r.open_majors(&states)? {
            // A state id may mean "being worked" in one workflow only.
            if !lifecycle::being_worked(&self.config, &t) {
                continue;
            }
            let kids = r.linking(&t.id, "major")?;
            let children_open = kids
                .iter()
                .filter(|c| lifecycle::being_worked(&self.config, c))
                .count();
            out.push(MajorIncident {
                children: kids.len(),
                children_open,
                ticket: t,
            });
        }
        Ok(out)
    }

    /// A major incident and its children.
    pub fn major_show(&self, key: &str) -> Result<(Ticket, Vec<Ticket>), AppError> {
        let (_, m) = load(&self.reader(), key)?;
        check_major(&self.config, &m, false)?;
        let kids = self.reader().linking(&m.id, "major")?;
        Ok((m, kids))
    }
}

fn check_incident(cfg: &Config, t: &Ticket) -> Result<(), AppError> {
    if cfg.record_of(&t.ticket_type) != RecordKind::Ticket {
        return Err(AppError::Refused {
            key: t.key.clone(),
            message: "is a problem or known error, not an incident".into(),
        });
    }
    Ok(())
}

/// `t` must be a major incident; with `working`, one still being worked.
fn check_major(cfg: &Config, t: &Ticket, must_be_working: bool) -> Result<(), AppError> {
    if !is_major(cfg, t) {
        // Only an incident can be declared one: do not suggest a declare
        // that would be refused.
        check_incident(cfg, t)?;
        return Err(AppError::Refused {
            key: t.key.clone(),
            message: format!(
                "is not a major incident; `guardia major declare {}` first",
                t.key
            ),
        });
    }
    if must_be_working && !lifecycle::being_worked(cfg, t) {
        return Err(AppError::Refused {
            key: t.key.clone(),
            message: format!(
                "is {}; attach reports to a major incident still being worked",
                t.status
            ),
        });
    }
    Ok(())
}
