//! Problems and known errors (seed 003 §3–4, seed 004): records that are
//! tickets of a type whose `record` says what they are, with their own
//! workflows. A problem gathers the incidents it causes (links of kind
//! `problem`), tasks and resources (registers of the problem) and a cost; a
//! known error carries a symptom (its description), a workaround and a root
//! cause, and applying it to an incident records the workaround there.
//! Suggestions rank known errors and problems for a ticket by the knowledge
//! index (bm25) and by service.

use super::{App, AppError, NewTicket, load, reloaded, workflow};
use crate::config::{Operator, RecordKind, StateCategory};
use crate::domain::lifecycle;
use crate::domain::ticket::{Ticket, TicketDetail};
use crate::store::ops::{OpDraft, entity, kind};
use crate::store::{ApplyMode, RESOURCE_PREFIX, Resource, TASK_PREFIX, Task};
use serde::Serialize;
use serde_json::{Value, json};

/// A known error or problem that may explain a ticket.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suggestion {
    pub key: String,
    /// `known_error` or `problem`.
    pub record: String,
    pub title: String,
    pub service: String,
    pub status: String,
    /// A known error's workaround, for level 1 to read out at once.
    pub workaround: Option<String>,
    /// bm25 relevance, lower is better (same-service records count double).
    pub score: f64,
}

/// The kinds of resource a problem takes (seed 003 §3.3).
pub const RESOURCE_KINDS: &[&str] = &["human", "material", "financial"];

/// What a problem costs: its resources and the work logged on its incidents.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cost {
    pub resources: f64,
    pub worklog_minutes: i64,
    /// Logged hours at `[costs] hourly_rate`.
    pub worklog: f64,
    pub total: f64,
    pub currency: String,
}

/// Everything `problem show` and `known show` display.
#[derive(Debug, Clone, Serialize)]
pub struct RecordDetail {
    #[serde(flatten)]
    pub detail: TicketDetail,
    pub record: RecordKind,
    /// The incidents linked to it, oldest first.
    pub incidents: Vec<Ticket>,
    pub tasks: Vec<Task>,
    pub resources: Vec<Resource>,
    /// Problems only.
    pub cost: Option<Cost>,
}

/// A resource to add to a problem.
#[derive(Debug, Clone, Default)]
pub struct NewResource {
    pub kind: String,
    pub description: String,
    pub hours: Option<f64>,
    pub rate: Option<f64>,
    pub cost: Option<f64>,
}

/// The link kind that ties incidents to a record of this kind.
fn link_kind_of(record: RecordKind) -> &'static str {
    match record {
        RecordKind::KnownError => "known_error",
        _ => "problem",
    }
}

fn record_name(record: RecordKind, lang: crate::config::Lang) -> &'static str {
    match (record, lang) {
        (RecordKind::Problem, crate::config::Lang::Es) => "un problema",
        (RecordKind::KnownError, crate::config::Lang::Es) => "un error conocido",
        (_, crate::config::Lang::Es) => "un ticket",
        (RecordKind::Problem, _) => "a problem",
        (RecordKind::KnownError, _) => "a known error",
        _ => "a ticket",
    }
}

impl App {
    /// The ticket type new records of `record` get: `wanted` if it records
    /// that, else the first such type of types.toml.
    fn record_type(&self, record: RecordKind, wanted: Option<&str>) -> Result<String, AppError> {
        let types: Vec<String> = self
            .config
            .types_recording(record)
            .map(|t| t.id.get_ref().clone())
            .collect();
        match wanted {
            Some(t) if types.iter().any(|x| x == t) => Ok(t.to_string()),
            Some(t) => Err(AppError::unknown(
                match record {
                    RecordKind::Problem => "problem type",
                    RecordKind::KnownError => "known error type",
                    RecordKind::Ticket => "ticket type",
                },
                t,
                types,
            )),
            None => types.into_iter().next().ok_or_else(|| {
                AppError::Invalid(format!(
                    "no ticket type in types.toml has record = \"{}\"; add one to record {}",
                    record.name(),
                    record_name(record, crate::config::Lang::En)
                ))
            }),
        }
    }

    /// Registers a problem or a known error (a known error's description is
    /// its symptom).
    pub fn create_record(
        &mut self,
        actor: &Operator,
        record: RecordKind,
        mut new: NewTicket,
    ) -> Result<super::Created, AppError> {
        new.ticket_type = Some(self.record_type(record, new.ticket_type.as_deref())?);
        self.create(actor, new)
    }

    /// Loads `key` and checks it records `record`.
    fn load_record(&self, key: &str, record: RecordKind) -> Result<Ticket, AppError> {
        let (_, t) = load(&self.reader(), key)?;
        check_record(&self.config, &t, record)?;
        Ok(t)
    }

    /// Records of one kind, newest first (keyset-paged with `after`).
    pub fn records(
        &self,
        record: RecordKind,
        service: Option<&str>,
        statuses: &[String],
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Ticket>, AppError> {
        let r = self.reader();
        let after_no = match after {
            Some(k) => Some(load(&r, k)?.0),
            None => None,
        };
        Ok(r.records(&crate::store::RecordQuery {
            record: record.name(),
            service,
            statuses,
            after_no,
            limit,
        })?
        .into_iter()
        .map(|(_, t)| t)
        .collect())
    }

    /// A problem or known error with its incidents, tasks, resources and cost.
    pub fn record_detail(&self, key: &str, record: RecordKind) -> Result<RecordDetail, AppError> {
        let t = self.load_record(key, record)?;
        let r = self.reader();
        let incidents = r.linking(&t.id, link_kind_of(record))?;
        let tasks = r.tasks(&t.id)?;
        let resources = r.resources(&t.id)?;
        let detail = r.detail(t)?;
        let cost = if record == RecordKind::Problem {
            // The problem's own worklog is work on it too (as `report`
            // counts it), besides its incidents'.
            let minutes =
                r.linked_worklog_minutes(&detail.ticket.id, "problem")? + detail.worklog_minutes;
            // Not `sum()`: an empty float sum is -0.0, printed "-0.00".
            let res = resources.iter().fold(0.0, |acc, x| acc + x.cost);
            let work = minutes as f64 / 60.0 * *self.config.settings.costs.hourly_rate.get_ref();
            Some(Cost {
                resources: round_cents(res),
                worklog_minutes: minutes,
                worklog: round_cents(work),
                total: round_cents(res + work),
                currency: self.config.settings.costs.currency.clone(),
            })
        } else {
            None
        };
        Ok(RecordDetail {
            detail,
            record,
            incidents,
            tasks,
            resources,
            cost,
        })
    }

    /// Links incidents to a problem (each incident's workflow may allow it
    /// only in some states, e.g. a service request only when Reviewed), or
    /// unlinks them. All or nothing: every key is checked and every link
    /// written in one transaction, so a refused key leaves no link behind
    /// (a failed command that had linked some would be run again, or not,
    /// on a false belief). A key given twice counts once.
    pub fn problem_link(
        &mut self,
        actor: &Operator,
        problem: &str,
        incidents: &[String],
        remove: bool,
    ) -> Result<Vec<Ticket>, AppError> {
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<Vec<Ticket>, AppError> {
                let (_, p) = load(&w.reader(), problem)?;
                check_record(cfg, &p, RecordKind::Problem)?;
                let mut checked: Vec<Ticket> = Vec::new();
                for key in incidents {
                    let (_, t) = load(&w.reader(), key)?;
                    if checked.iter().any(|c| c.id == t.id) {
                        continue;
                    }
                    if cfg.record_of(&t.ticket_type) != RecordKind::Ticket {
                        return Err(AppError::Refused {
                            key: key.clone(),
                            message:
                                "is itself a problem or known error; link incidents to a problem"
                                    .into(),
                        });
                    }
                    workflow::check_action(cfg, &t, "link")?;
                    if w.reader().linked(&t.id, "problem", &p.id)? != remove {
                        return Err(AppError::Refused {
                            key: key.clone(),
                            message: if remove {
                                format!("is not linked to {problem} as problem")
                            } else {
                                format!("is already linked to {problem} as problem")
                            },
                        });
                    }
                    checked.push(t);
                }
                let mut linked = Vec::new();
                for t in &checked {
                    w.append(
                        &actor_id,
                        OpDraft::new(entity::TICKET, &t.id, kind::LINK, Value::Bool(!remove))
                            .field(format!("problem:{}", p.id)),
                    )?;
                    linked.push(reloaded(w, cfg, &t.key)?);
                }
                Ok(linked)
            })
    }

    /// Adds a task to a problem; returns its number in `problem show`.
    pub fn task_add(
        &mut self,
        actor: &Operator,
        problem: &str,
        description: &str,
        assignee: Option<&str>,
    ) -> Result<usize, AppError> {
        let description = description.trim();
        if description.is_empty() {
            return Err(AppError::Invalid(
                "the task has no description; say what is to be done".into(),
            ));
        }
        if let Some(a) = assignee {
            self.check_operator(a)?;
        }
        let t = self.load_record(problem, RecordKind::Problem)?;
        let id = uuid::Uuid::now_v7().to_string();
        let value = json!({"description": description, "assignee": assignee, "done": false});
        self.write_item(actor, &t, TASK_PREFIX, &id, value)?;
        // Its place among the tasks, not their count: one added at another
        // site with a later time in its id sorts after it.
        let tasks = self.reader().tasks(&t.id)?;
        Ok(tasks
            .iter()
            .position(|task| task.id == id)
            .map_or(tasks.len(), |i| i + 1))
    }

    /// Marks task number `n` (as `problem show` numbers them) done or not.
    /// With `expect`, refused unless that task's description starts with
    /// it (case and spacing aside): a task added at another site and
    /// synced since can take a place before it and shift its number.
    pub fn task_done(
        &mut self,
        actor: &Operator,
        problem: &str,
        n: usize,
        done: bool,
        expect: Option<&str>,
    ) -> Result<Task, AppError> {
        let t = self.load_record(problem, RecordKind::Problem)?;
        let tasks = self.reader().tasks(&t.id)?;
        let task = numbered(&tasks, n, problem, "task")?.clone();
        if let Some(expected) = expect
            && !starts_like(&task.description, expected)
        {
            let elsewhere: Vec<String> = tasks
                .iter()
                .enumerate()
                .filter(|(_, other)| starts_like(&other.description, expected))
                .map(|(i, _)| (i + 1).to_string())
                .collect();
            return Err(AppError::Refused {
                key: problem.into(),
                message: format!(
                    "task {n} is \"{}\", not one starting with \"{}\"; {}",
                    crate::text::sanitize_line(&task.description),
                    crate::text::sanitize_line(expected.trim()),
                    match elsewhere.as_slice() {
                        [] => format!(
                            "no task of it starts so; `guardia problem show {problem}` lists them"
                        ),
                        [one] => format!(
                            "that one is task {one} now (a sync may have renumbered them): `guardia problem task done {problem} {one} --expect ...`"
                        ),
                        many => format!(
                            "tasks {} start so; `guardia problem show {problem}` lists them",
                            many.join(", ")
                        ),
                    }
                ),
            });
        }
        let value =
            json!({"description": task.description, "assignee": task.assignee, "done": done});
        self.write_item(actor, &t, TASK_PREFIX, &task.id, value)?;
        Ok(Task { done, ..task })
    }

    /// Adds a resource to a problem: a human one costs hours × rate
    /// (`[costs] hourly_rate` when no rate is given), the others a cost.
    pub fn resource_add(
        &mut self,
        actor: &Operator,
        problem: &str,
        res: &NewResource,
    ) -> Result<Resource, AppError> {
        if !RESOURCE_KINDS.contains(&res.kind.as_str()) {
            return Err(AppError::unknown(
                "resource kind",
                &res.kind,
                RESOURCE_KINDS.iter().map(|k| k.to_string()),
            ));
        }
        if res.description.trim().is_empty() {
            return Err(AppError::Invalid(
                "the resource has no description; say who or what it is".into(),
            ));
        }
        let amount = |what: &str, v: Option<f64>| -> Result<Option<f64>, AppError> {
            match v {
                Some(x) if x.is_infinite() => Err(AppError::Invalid(format!(
                    "{what} is too large to be an amount; write a number of 0 or more"
                ))),
                Some(x) if !x.is_finite() || x < 0.0 => Err(AppError::Invalid(format!(
                    "{what} {x} is not an amount; write a number of 0 or more"
                ))),
                // Scientific, as a huge amount is usually written.
                Some(x) if x > MAX_AMOUNT => Err(AppError::Invalid(format!(
                    "{what} {x:e} is too large; write at most {MAX_AMOUNT:.0}"
                ))),
                other => Ok(other),
            }
        };
        let hours = amount("--hours", res.hours)?;
        let rate = amount("--rate", res.rate)?;
        let cost = amount("--cost", res.cost)?;
        let (hours, rate, cost) = if res.kind == "human" {
            let hours = hours.ok_or_else(|| {
                AppError::Invalid("a human resource needs --hours (and --rate, or [costs] hourly_rate in guardia.toml)".into())
            })?;
            if cost.is_some() {
                return Err(AppError::Invalid(
                    "a human resource costs hours × rate; give --hours and --rate, not --cost"
                        .into(),
                ));
            }
            let rate = rate.unwrap_or(*self.config.settings.costs.hourly_rate.get_ref());
            let cost = hours * rate;
            if cost > MAX_AMOUNT {
                return Err(AppError::Invalid(format!(
                    "{hours} hours at {rate} cost {cost:e}, more than {MAX_AMOUNT:.0}; check --hours and --rate"
                )));
            }
            (Some(hours), Some(rate), cost)
        } else {
            if hours.is_some() || rate.is_some() {
                return Err(AppError::Invalid(format!(
                    "a {} resource has a --cost, not hours or a rate",
                    res.kind
                )));
            }
            let cost = cost.ok_or_else(|| {
                AppError::Invalid(format!("a {} resource needs --cost", res.kind))
            })?;
            (None, None, cost)
        };
        let t = self.load_record(problem, RecordKind::Problem)?;
        let id = uuid::Uuid::now_v7().to_string();
        let value = json!({"kind": res.kind, "description": res.description.trim(),
            "hours": hours, "rate": rate, "cost": round_cents(cost)});
        self.write_item(actor, &t, RESOURCE_PREFIX, &id, value)?;
        let added = self.reader().resources(&t.id)?;
        added
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| AppError::Invalid("the resource was not recorded".into()))
    }

    /// Removes resource number `n` (a mistake); the log keeps it.
    pub fn resource_remove(
        &mut self,
        actor: &Operator,
        problem: &str,
        n: usize,
    ) -> Result<Resource, AppError> {
        let t = self.load_record(problem, RecordKind::Problem)?;
        let resources = self.reader().resources(&t.id)?;
        let gone = numbered(&resources, n, problem, "resource")?.clone();
        self.write_item(actor, &t, RESOURCE_PREFIX, &gone.id, Value::Null)?;
        Ok(gone)
    }

    /// Writes one task or resource of a problem, inside the workflow's rules
    /// for editing it (`set`).
    fn write_item(
        &mut self,
        actor: &Operator,
        problem: &Ticket,
        prefix: &str,
        id: &str,
        value: Value,
    ) -> Result<(), AppError> {
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let key = problem.key.clone();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                let (_, t) = load(&w.reader(), &key)?;
                workflow::check_action(cfg, &t, "set")?;
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &t.id, kind::SET, value)
                        .field(format!("{prefix}{id}")),
                )?;
                Ok(())
            })
    }

    fn check_operator(&self, id: &str) -> Result<(), AppError> {
        if self.config.operator(id).is_none() {
            return Err(AppError::unknown(
                "operator",
                id,
                self.config.operators.iter().map(|o| o.id.get_ref().clone()),
            ));
        }
        Ok(())
    }

    /// Moves a record to the first state of its workflow in `category`
    /// (closing a problem, closing or cancelling a known error), filling
    /// fields on the way, under the workflow's rules like any move.
    pub fn record_finish(
        &mut self,
        actor: &Operator,
        key: &str,
        record: RecordKind,
        category: StateCategory,
        note: Option<&str>,
        fields: &[(String, String)],
    ) -> Result<(Ticket, Vec<String>), AppError> {
        let t = self.load_record(key, record)?;
        let wf = self
            .config
            .workflow_for_type(&t.ticket_type)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "{key}: its type has no workflow in this configuration"
                ))
            })?;
        let state = wf
            .states
            .iter()
            .find(|s| s.category == category)
            .map(|s| s.id.get_ref().clone())
            .ok_or_else(|| AppError::Refused {
                key: key.into(),
                message: format!(
                    "workflow '{}' has no {} state",
                    wf.id.get_ref(),
                    category.name()
                ),
            })?;
        self.move_cascading(actor, key, &state, note, fields)
            .map_err(|e| finish_refusal(e, record, category))
    }

    /// Applies a known error to an incident: links them and records the
    /// workaround on the incident as an internal note, in one transaction.
    /// Returns the incident and the known error.
    pub fn known_apply(
        &mut self,
        actor: &Operator,
        known: &str,
        key: &str,
    ) -> Result<(Ticket, Ticket), AppError> {
        let ke = self.load_record(known, RecordKind::KnownError)?;
        let cfg = &self.config;
        let lang = self.lang;
        if let Some(wf) = cfg.workflow_for_type(&ke.ticket_type)
            && lifecycle::category(wf, &ke.status) == StateCategory::Cancelled
        {
            return Err(AppError::Refused {
                key: known.into(),
                message: "was cancelled; its workaround is no longer offered".into(),
            });
        }
        let workaround = ke
            .fields
            .get("workaround")
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|w| !w.trim().is_empty())
            .ok_or_else(|| AppError::Refused {
                key: known.into(),
                message: format!(
                    "has no workaround to apply; `guardia set {known} workaround=TEXT`"
                ),
            })?;
        let actor_id = actor.id.get_ref().clone();
        let comment_id = uuid::Uuid::now_v7().to_string();
        let now = self.now_ms();
        let ticket = self
            .store
            .write(now, ApplyMode::Live, |w| -> Result<Ticket, AppError> {
                let (_, t) = load(&w.reader(), key)?;
                if cfg.record_of(&t.ticket_type) != RecordKind::Ticket {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message:
                            "is itself a problem or known error; apply known errors to incidents"
                                .into(),
                    });
                }
                // Applying links the ticket: where its workflow allows links.
                workflow::check_action(cfg, &t, "link")?;
                let open = cfg
                    .workflow_for_type(&t.ticket_type)
                    .is_some_and(|wf| !lifecycle::category(wf, &t.status).is_done());
                if !open {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "is {}; a workaround is applied to a ticket still being worked",
                            t.status
                        ),
                    });
                }
                if w.reader().linked(&t.id, "known_error", &ke.id)? {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!("already has the workaround of {known}"),
                    });
                }
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &t.id, kind::LINK, Value::Bool(true))
                        .field(format!("known_error:{}", ke.id)),
                )?;
                let body = match lang {
                    crate::config::Lang::Es => format!(
                        "Solución temporal aplicada del error conocido {} «{}»:\n{workaround}",
                        ke.key, ke.title
                    ),
                    crate::config::Lang::En => format!(
                        "Workaround applied from known error {} “{}”:\n{workaround}",
                        ke.key, ke.title
                    ),
                };
                w.append(
                    &actor_id,
                    OpDraft::new(
                        entity::COMMENT,
                        &comment_id,
                        kind::CREATE,
                        json!({"ticket": t.id, "body": body, "internal": true}),
                    ),
                )?;
                reloaded(w, cfg, key)
            })?;
        Ok((ticket, ke))
    }

    /// Known errors and problems that may explain `key`.
    pub fn suggest(&self, key: &str, limit: usize) -> Result<Vec<Suggestion>, AppError> {
        let (_, t) = load(&self.reader(), key)?;
        self.suggestions_for(&t, limit)
    }

    /// Known errors and problems like a text, best first: bm25 over their
    /// title, symptom, workaround, root cause and comments; records of the
    /// same service count double; cancelled ones are left out.
    pub fn suggest_text(
        &self,
        text: &str,
        service: Option<&str>,
        exclude_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Suggestion>, AppError> {
        self.ranked_records(text, service, exclude_id, limit, |_, category| {
            category != StateCategory::Cancelled
        })
    }

    /// Known errors like a text, best first (`known list --query`): like
    /// `known list`, the finished ones (closed, cancelled) only with `all`.
    pub fn known_matching(
        &self,
        text: &str,
        service: Option<&str>,
        all: bool,
        limit: usize,
    ) -> Result<Vec<Suggestion>, AppError> {
        let cfg = &self.config;
        self.ranked_records(text, service, None, limit, |t, category| {
            cfg.record_of(&t.ticket_type) == RecordKind::KnownError
                && service.is_none_or(|s| s == t.service)
                && (all || category.is_open())
        })
    }

    /// Records like a text that `keep` keeps (given each one and the
    /// category of its state), best first.
    fn ranked_records(
        &self,
        text: &str,
        service: Option<&str>,
        exclude_id: Option<&str>,
        limit: usize,
        keep: impl Fn(&Ticket, StateCategory) -> bool,
    ) -> Result<Vec<Suggestion>, AppError> {
        let hits = self.reader().knowledge(text)?;
        let mut out: Vec<Suggestion> = hits
            .into_iter()
            .filter(|h| Some(h.ticket.id.as_str()) != exclude_id)
            .filter(|h| {
                // A type whose workflow is gone counts as being worked:
                // kept, as the state it is in cannot be told.
                let category = self
                    .config
                    .workflow_for_type(&h.ticket.ticket_type)
                    .map_or(StateCategory::Active, |wf| {
                        lifecycle::category(wf, &h.ticket.status)
                    });
                keep(&h.ticket, category)
            })
            .map(|h| {
                let boost = if Some(h.ticket.service.as_str()) == service {
                    2.0
                } else {
                    1.0
                };
                Suggestion {
                    workaround: h
                        .ticket
                        .fields
                        .get("workaround")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    key: h.ticket.key,
                    record: h.record,
                    title: h.ticket.title,
                    service: h.ticket.service,
                    status: h.ticket.status,
                    score: h.rank * boost,
                }
            })
            .collect();
        out.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.key.cmp(&b.key)));
        out.truncate(limit);
        Ok(out)
    }

    pub(super) fn suggestions_for(
        &self,
        t: &Ticket,
        limit: usize,
    ) -> Result<Vec<Suggestion>, AppError> {
        let mut text = format!("{} {}", t.title, t.description);
        for key in ["error_message", "incident_detail"] {
            if let Some(v) = t.fields.get(key).and_then(Value::as_str) {
                text.push(' ');
                text.push_str(v);
            }
        }
        self.suggest_text(&text, Some(&t.service), Some(&t.id), limit)
    }
}

/// The largest hours, rate or cost a resource takes (a trillion). Within
/// it an amount in cents is still an exact integer in `f64` and a report's
/// 64-bit sums of cents have room for 90,000 of them; at the top of
/// `f64`, rounding to cents overflowed to infinity, stored as null.
const MAX_AMOUNT: f64 = 1e12;

/// `t` must record `record` (be a problem, a known error…).
fn check_record(
    cfg: &crate::config::Config,
    t: &Ticket,
    record: RecordKind,
) -> Result<(), AppError> {
    let is = cfg.record_of(&t.ticket_type);
    if is != record {
        return Err(AppError::Refused {
            key: t.key.clone(),
            message: format!(
                "is {}, not {}",
                record_name(is, crate::config::Lang::En),
                record_name(record, crate::config::Lang::En)
            ),
        });
    }
    Ok(())
}

/// The command that finishes a record into `category`, and the options
/// it has for fields (it has no `--field`, unlike `move`).
fn finish_command(
    record: RecordKind,
    category: StateCategory,
) -> (&'static str, &'static [(&'static str, &'static str)]) {
    match (record, category) {
        (RecordKind::Problem, StateCategory::Closed) => (
            "problem close",
            &[("root_cause", "--root-cause"), ("solution", "--solution")],
        ),
        (RecordKind::KnownError, StateCategory::Closed) => {
            ("known close", &[("solution", "--solution")])
        }
        (RecordKind::KnownError, _) => ("known cancel", &[]),
        _ => ("problem close", &[]),
    }
}

/// A finishing move refused for missing fields, told with the finishing
/// command's own options: the generic advice names `--field`, which
/// `problem close` and `known close` do not take.
fn finish_refusal(e: AppError, record: RecordKind, category: StateCategory) -> AppError {
    let AppError::Transition { key, refusal } = e else {
        return e;
    };
    match *refusal {
        lifecycle::Refusal::MissingFields { to, fields } => {
            let (command, known) = finish_command(record, category);
            let options = fields
                .iter()
                .filter_map(|f| {
                    known
                        .iter()
                        .find(|(field, _)| field == f)
                        .map(|(field, option)| (field.to_string(), *option))
                })
                .collect();
            AppError::FinishNeedsFields {
                key,
                command,
                to,
                fields,
                options,
            }
        }
        other => AppError::Transition {
            key,
            refusal: Box::new(other),
        },
    }
}

/// `AppError::FinishNeedsFields` in English: the fields the command fills
/// are given on it, the others set first.
pub(super) fn finish_needs_english(
    key: &str,
    command: &str,
    to: &str,
    fields: &[String],
    options: &[(String, &'static str)],
) -> String {
    let unfilled: Vec<&String> = fields
        .iter()
        .filter(|f| !options.iter().any(|(o, _)| o == *f))
        .collect();
    let pass = format!(
        "`guardia {command} {key} {}`",
        options
            .iter()
            .map(|(_, option)| format!("{option} \"...\""))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let set = |f: &str| format!("`guardia set {key} {f}=...`");
    let advice = match (options.first(), unfilled.first()) {
        (Some((first, _)), None) => format!(
            "pass {} with the command ({pass}), or set {} first ({})",
            if options.len() == 1 { "it" } else { "them" },
            if options.len() == 1 { "it" } else { "them" },
            set(first)
        ),
        (Some(_), Some(first)) => format!(
            "pass {} with the command ({pass}) and set {} first ({}): `guardia {command}` has no option for {}",
            options
                .iter()
                .map(|(f, _)| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            join(&unfilled),
            set(first),
            if unfilled.len() == 1 { "it" } else { "them" }
        ),
        (None, first) => format!(
            "set {} first ({}): `guardia {command}` has no option for {}",
            if fields.len() == 1 { "it" } else { "them" },
            set(first.map_or("", |f| f.as_str())),
            if fields.len() == 1 { "it" } else { "them" }
        ),
    };
    format!("entering '{to}' requires {}; {advice}", fields.join(", "))
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `x` to the cent; never -0.0 (a tiny negative rounds to it, and it
/// would print as "-0.00").
fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// Whether `text` starts with `prefix`, case and runs of spaces aside.
fn starts_like(text: &str, prefix: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    words(text).starts_with(&words(prefix))
}

/// Item `n` (from 1) of a list as `problem show` numbers it.
fn numbered<'a, T>(items: &'a [T], n: usize, key: &str, what: &str) -> Result<&'a T, AppError> {
    if n == 0 || n > items.len() {
        return Err(AppError::Refused {
            key: key.into(),
            message: if items.is_empty() {
                format!("has no {what}s")
            } else {
                format!(
                    "has no {what} {n}; its {what}s are numbered 1 to {}",
                    items.len()
                )
            },
        });
    }
    Ok(&items[n - 1])
}
