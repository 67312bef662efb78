//! The application layer: validated intents (register, set, assign, move,
//! comment, worklog, attach, escalate, reject, runbooks) turned into ops, and
//! the queries behind every view. The CLI and the console both call this;
//! neither holds business rules. Every write reads the ticket and checks the
//! rules inside the same write transaction, so concurrent operators cannot
//! slip a change past a rule.

mod approval_refusal;
mod assignment;
mod attach;
pub mod backup;
mod changeset_check;
pub mod clock_guard;
mod closed_by_timer;
pub mod conflicts;
pub mod dashboard;
mod error;
pub mod generate;
pub mod identity;
pub mod list_clock;
pub mod major;
pub mod op_words;
pub mod orphans;
mod outcome;
pub mod records;
mod reject_fit;
mod rejection;
pub mod report;
pub mod sent_dossier;
mod sla;
pub mod sync;
pub mod transport;
pub mod workflow;

pub use attach::AttachmentFile;
pub use sla::SlaReport;
pub use workflow::Fired;

pub use approval_refusal::ApprovalRefusal;
pub use assignment::{Assigned, Stayed};
pub use error::AppError;
pub use rejection::RejectionRefusal;

use crate::config::{Config, Lang, Operator, RecordKind, RejectionAction, StateCategory};
use crate::domain::escalation::{self, Dossier};
use crate::domain::intake::{missing_mandatory, parse_field_value};
use crate::domain::lifecycle;
use crate::domain::priority::{self, PriorityDecision};
use crate::domain::ticket::{Ticket, TicketDetail};
use crate::domain::{duration, site};
use crate::store::ops::{OpDraft, entity, kind};
use crate::store::{ApplyMode, ListFilter, Reader, SearchHit, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The clock every rule is given. `GUARDIA_NOW` (RFC 3339) fixes it, so
/// procedures can be tested and demonstrated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock { fixed: Some(at) }
    }

    /// Reads `GUARDIA_NOW`; an unparsable value is an error, not ignored.
    pub fn from_env() -> Result<Clock, AppError> {
        match std::env::var("GUARDIA_NOW") {
            Ok(s) if !s.trim().is_empty() => {
                let t = DateTime::parse_from_rfc3339(s.trim())
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        AppError::Invalid(format!(
                            "GUARDIA_NOW='{s}' is not an RFC 3339 time ({e}); write e.g. 2026-03-02T09:30:00-05:00"
                        ))
                    })?;
                // The log's clock holds milliseconds since 1970 in 48 bits.
                if !(1970..=3000).contains(&chrono::Datelike::year(&t)) {
                    return Err(AppError::Invalid(format!(
                        "GUARDIA_NOW='{s}' is outside the years 1970 to 3000; is it a typo?"
                    )));
                }
                Ok(Clock::fixed(t))
            }
            _ => Ok(Clock::system()),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }
}

/// `set KEY priority=auto` ends a manual priority and recomputes it.
pub const AUTO_PRIORITY: &str = "auto";

/// How many earlier solved tickets `new` and the detail show.
pub const SOLVED_SHOWN: usize = 3;

/// What a new ticket needs.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub ticket_type: Option<String>,
    pub service: String,
    pub title: String,
    pub description: String,
    pub impact: Option<String>,
    pub urgency: Option<String>,
    /// A manual priority, which needs `justification`.
    pub priority: Option<String>,
    pub justification: Option<String>,
    pub fields: Vec<(String, String)>,
}

/// A registered ticket and what registration found.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub priority_decision: PriorityDecision,
    /// Similar open tickets of the same service: possible duplicates.
    pub similar: Vec<SimilarTicket>,
    /// Similar tickets of the same service already solved, with their
    /// solution: an answer that may work again.
    pub solved: Vec<SolvedTicket>,
    /// Known errors and problems that may explain it, best first.
    pub known: Vec<records::Suggestion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SimilarTicket {
    pub key: String,
    pub title: String,
    pub status: String,
}

/// An earlier ticket like this one, resolved or closed with a solution.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SolvedTicket {
    pub key: String,
    pub title: String,
    pub status: String,
    pub solution: String,
}

/// Result of a rejection, with what the caller must be told.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub guidance: Option<String>,
    /// Who to contact when the ticket is routed to the major-incident path.
    pub contacts: Vec<OperatorContact>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OperatorContact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// A field an edit was based on that holds something else by the time the
/// edit is written: someone changed it meanwhile (see
/// [`App::set_if_unchanged`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedField {
    pub field: String,
    /// What it holds now, as the editor's `seen` shows it (`None`: no value).
    pub now: Option<Value>,
    /// The operator who wrote it last, as the log tells.
    pub by: Option<String>,
}

/// Why [`App::set_if_unchanged`] wrote nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedMeanwhile {
    pub key: String,
    /// The ticket as it is now, as the editor's `seen` shows it.
    pub ticket: Ticket,
    pub fields: Vec<ChangedField>,
}

impl std::fmt::Display for ChangedMeanwhile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.key)?;
        for (i, c) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match &c.now {
                Some(Value::String(s)) => write!(f, "{} changed meanwhile to '{s}'", c.field)?,
                Some(v) => write!(f, "{} changed meanwhile to {v}", c.field)?,
                None => write!(f, "{} was cleared meanwhile", c.field)?,
            }
            if let Some(by) = &c.by {
                write!(f, " (by {by})")?;
            }
        }
        f.write_str("; nothing was written: read the ticket again and repeat the change")
    }
}

/// A field's value as an edit compares it: a built-in attribute as its
/// text, a field as stored; a blank text or null is no value (so clearing a
/// blank field is no change).
pub fn field_value(t: &Ticket, name: &str) -> Option<Value> {
    if crate::config::CORE_FIELDS.contains(&name) {
        return t.core_value(name).map(Value::String);
    }
    match t.fields.get(name)? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        v => Some(v.clone()),
    }
}

/// What a guarded set compares inside its transaction: the values the edit
/// started from, and how the editor was shown the ticket.
type Guard<'a> = (&'a [(String, Option<Value>)], &'a dyn Fn(Ticket) -> Ticket);

/// A guarded set's outcome: written, or nothing written.
type Guarded = Result<Ticket, ChangedMeanwhile>;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub clock: Clock,
    pub lang: Lang,
    /// Told how far a long sync (import or export) has got.
    pub progress: Option<sync::ProgressFn>,
}

impl App {
    pub fn new(config: Config, mut store: Store, clock: Clock, lang: Lang) -> App {
        // A fixed clock far ahead of the computer's would date every
        // later change as late: such writes are refused.
        clock_guard::limit_writes(&mut store, &clock);
        App {
            config,
            store,
            clock,
            lang,
            progress: None,
        }
    }

    pub fn reader(&self) -> Reader<'_> {
        self.store.reader()
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Where attachments are stored: beside the database.
    pub fn attachments_dir(&self) -> PathBuf {
        attach::dir_for(self.store.path())
    }

    // ----- queries -----

    pub fn ticket(&self, key: &str) -> Result<Ticket, AppError> {
        load(&self.reader(), key).map(|(_, t)| t)
    }

    pub fn detail(&self, key: &str) -> Result<TicketDetail, AppError> {
        let t = self.ticket(key)?;
        Ok(self.reader().detail(t)?)
    }

    pub fn list(&self, filter: ListFilter, after: Option<&str>) -> Result<Vec<Ticket>, AppError> {
        self.list_noting(filter, after).map(|(tickets, _)| tickets)
    }

    /// [`App::list`], with the notes of [`App::resolve_filter`]: the
    /// filters on values the configuration no longer has, which tickets
    /// still hold (the command line prints them on stderr).
    pub fn list_noting(
        &self,
        mut filter: ListFilter,
        after: Option<&str>,
    ) -> Result<(Vec<Ticket>, Vec<String>), AppError> {
        if let Some(key) = after {
            let (no, t) = load(&self.reader(), key)?;
            if filter.by_sla && !self.reader().has_sla_clock(no)? {
                return Err(AppError::Refused {
                    key: key.into(),
                    message: format!(
                        "is '{}' with no running or paused SLA clock, so it has no place in the SLA order; continue after a key from the previous page",
                        t.status
                    ),
                });
            }
            filter.after_no = Some(no);
        }
        let notes = self.resolve_filter(&mut filter)?;
        let tickets = self
            .reader()
            .list(&filter)?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        Ok((tickets, notes))
    }

    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, AppError> {
        Ok(self.reader().search(text, limit)?)
    }

    pub fn log(&self, key: &str) -> Result<Vec<crate::store::ops::Op>, AppError> {
        let t = self.ticket(key)?;
        Ok(self.reader().ticket_log(&t.id)?)
    }

    /// The dossier to escalate `key` to `level` (default: the next level).
    pub fn dossier(&self, key: &str, level: Option<u8>) -> Result<Dossier, AppError> {
        let detail = self.detail(key)?;
        if !orphans::level_configured(&self.config, detail.ticket.level) {
            return match level {
                Some(to) if orphans::level_configured(&self.config, to) => {
                    Ok(escalation::build(&self.config, &detail, to, self.lang))
                }
                _ => Err(orphans::orphan_level(&self.config, &detail.ticket, level)),
            };
        }
        let to = escalation::dossier_level(&self.config, detail.ticket.level, level).map_err(
            |refusal| AppError::Escalation {
                key: detail.ticket.key.clone(),
                refusal: Box::new(refusal),
            },
        )?;
        Ok(escalation::build(&self.config, &detail, to, self.lang))
    }

    /// A refusal about a value given for ticket `key`, told with its ticket
    /// (as every other refusal of a change to a ticket is), so an operator
    /// working through several tickets sees which one it was. Values are
    /// checked before the ticket is read; an unknown or malformed key is
    /// the first thing to say, so it is looked up here, on refusal only.
    fn keyed(&self, key: &str, e: AppError) -> AppError {
        match e {
            AppError::BadFieldValue { .. }
            | AppError::NotAChoice { .. }
            | AppError::FieldNotInType { .. }
            | AppError::NotSettable { .. }
            | AppError::Unknown { .. }
            | AppError::JustificationRequired { .. }
            | AppError::Invalid(_) => match load(&self.reader(), key) {
                Ok((_, t)) => AppError::About {
                    key: t.key,
                    error: Box::new(e),
                },
                Err(unknown) => unknown,
            },
            other => other,
        }
    }

    fn unknown_service(&self, s: &str) -> AppError {
        AppError::unknown(
            "service",
            s,
            self.config.services.iter().map(|s| s.id.get_ref().clone()),
        )
    }

    // ----- writes -----

    /// Registers a ticket after checking its type, service, mandatory fields
    /// and priority; suggests similar open tickets of the same service.
    pub fn create(&mut self, actor: &Operator, new: NewTicket) -> Result<Created, AppError> {
        self.create_then(actor, new, |_, _| Ok(()))
    }

    /// `create`, then `then` in the same write transaction (e.g. declaring
    /// the new ticket a major incident), so both happen or neither does.
    pub(super) fn create_then(
        &mut self,
        actor: &Operator,
        new: NewTicket,
        then: impl FnOnce(&mut crate::store::WriteTx<'_>, &Ticket) -> Result<(), AppError>,
    ) -> Result<Created, AppError> {
        let cfg = &self.config;
        let type_id = new
            .ticket_type
            .clone()
            .or_else(|| {
                cfg.settings
                    .defaults
                    .ticket_type
                    .as_ref()
                    .map(|t| t.get_ref().clone())
            })
            .or_else(|| cfg.types.first().map(|t| t.id.get_ref().clone()))
            .unwrap_or_default();
        let ttype = cfg.ticket_type(&type_id).ok_or_else(|| {
            AppError::unknown(
                "ticket type",
                &type_id,
                cfg.types.iter().map(|t| t.id.get_ref().clone()),
            )
        })?;
        let service = cfg
            .service(&new.service)
            .ok_or_else(|| self.unknown_service(&new.service))?;
        let impact = new
            .impact
            .clone()
            .unwrap_or_else(|| cfg.priority.default_impact.get_ref().clone());
        let urgency = new
            .urgency
            .clone()
            .unwrap_or_else(|| cfg.priority.default_urgency.get_ref().clone());
        let impact = grade_id(&cfg.priority.impacts, "impact", &impact)?;
        let urgency = grade_id(&cfg.priority.urgencies, "urgency", &urgency)?;
        let mut fields = Map::new();
        for (name, raw) in &new.fields {
            let in_type = ttype
                .mandatory
                .iter()
                .chain(&ttype.optional)
                .any(|f| f.get_ref() == name);
            if !in_type {
                return Err(AppError::FieldNotInType {
                    field: name.clone(),
                    ticket_type: type_id.clone(),
                    known: ttype
                        .mandatory
                        .iter()
                        .chain(&ttype.optional)
                        .map(|f| f.get_ref().clone())
                        .collect(),
                });
            }
            let value = self.parse_field(name, raw)?;
            if !value.is_null() {
                fields.insert(name.clone(), value);
            }
        }
        let missing = missing_mandatory(
            cfg,
            &type_id,
            &new.title,
            &new.description,
            &fields,
            self.lang,
        );
        if !missing.is_empty() {
            return Err(AppError::MissingFields {
                ticket_type: type_id,
                missing,
            });
        }
        if let Some(message) = priority::unknown_application(Some(service), &new.service, &fields) {
            return Err(AppError::BadFieldValue {
                field: "affected_application".into(),
                message,
            });
        }
        let decision = priority::compute(cfg, Some(service), &impact, &urgency, &fields);
        if new.priority.is_none()
            && new
                .justification
                .as_deref()
                .is_some_and(|j| !j.trim().is_empty())
        {
            return Err(AppError::Invalid(
                "--justification explains a manual priority, and no --priority is given; add --priority P, or leave --justification out".into(),
            ));
        }
        let (prio, justification) = match &new.priority {
            Some(p) => {
                let p = &grade_id(&cfg.priority.priorities, "priority", p)?;
                let j = new
                    .justification
                    .as_deref()
                    .map(str::trim)
                    .filter(|j| !j.is_empty())
                    .ok_or_else(|| AppError::JustificationRequired {
                        computed: decision.priority.clone(),
                    })?;
                (p.clone(), Some(j.to_string()))
            }
            None => (decision.priority.clone(), None),
        };
        let wf = cfg
            .workflow(ttype.workflow.get_ref())
            .ok_or_else(|| AppError::Invalid("ticket type names a missing workflow".into()))?;
        let initial = wf.initial.get_ref().clone();
        let actor_id = actor.id.get_ref().clone();
        let id = uuid::Uuid::now_v7().to_string();
        let service_id = new.service.clone();
        let title = new.title.trim().to_string();
        let description = new.description.trim().to_string();
        let now = self.now_ms();
        let ticket = self
            .store
            .write(now, ApplyMode::Live, |w| -> Result<Ticket, AppError> {
                let number = w.next_ticket_number();
                let key = site::ticket_key(&w.site().code, number);
                let mut value = json!({
                    "key": key, "type": type_id, "service": service_id, "title": title,
                    "description": description, "status": initial, "priority": prio,
                    "impact": impact, "urgency": urgency, "level": 1, "fields": fields,
                });
                if let Some(j) = &justification {
                    value["priority_justification"] = Value::String(j.clone());
                }
                if ttype.record != RecordKind::Ticket {
                    value["record"] = Value::String(ttype.record.name().into());
                }
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &id, kind::CREATE, value),
                )?;
                let created = reloaded(w, cfg, &key)?;
                then(w, &created)?;
                reloaded(w, cfg, &key)
            })?;
        let (open, solved) = self.alike(&ticket, 5, SOLVED_SHOWN)?;
        let similar = open
            .into_iter()
            .map(|h| SimilarTicket {
                key: h.ticket.key,
                title: h.ticket.title,
                status: h.ticket.status,
            })
            .collect();
        let known = if ttype.record == RecordKind::Ticket {
            self.suggestions_for(&ticket, 3)?
        } else {
            Vec::new()
        };
        Ok(Created {
            ticket,
            priority_decision: decision,
            similar,
            solved,
            known,
        })
    }

    /// The `--field` values a move fills on the way in, parsed and none
    /// empty: clearing a field is `set`'s job (which protects mandatory
    /// fields), never a side effect of a move.
    fn parse_filled(&self, fields: &[(String, String)]) -> Result<Vec<(String, Value)>, AppError> {
        let mut parsed = Vec::with_capacity(fields.len());
        for (name, raw) in fields {
            let value = self.parse_field(name, raw)?;
            if value.is_null() {
                return Err(AppError::BadFieldValue {
                    field: name.clone(),
                    message: "is empty; `--field` sets values (clear a field with `guardia set KEY NAME=`)".into(),
                });
            }
            parsed.push((name.clone(), value));
        }
        Ok(parsed)
    }

    fn parse_field(&self, name: &str, raw: &str) -> Result<Value, AppError> {
        let def = self.config.field(name).ok_or_else(|| {
            AppError::unknown(
                "field",
                name,
                self.config.fields.iter().map(|f| f.id.get_ref().clone()),
            )
        })?;
        parse_field_value(def, raw).map_err(|message| match def.kind {
            // A choice fails only by not being one: said as data, so that
            // the operator's language can say it.
            crate::config::FieldKind::Choice => AppError::NotAChoice {
                field: name.into(),
                value: raw.trim().to_string(),
                choices: def.choices.clone(),
            },
            _ => AppError::BadFieldValue {
                field: name.into(),
                message,
            },
        })
    }

    /// Sets fields. Every change recomputes the priority from the matrix and
    /// rules, unless a justified manual priority is in force.
    pub fn set(
        &mut self,
        actor: &Operator,
        key: &str,
        assignments: &[(String, String)],
        justification: Option<&str>,
    ) -> Result<Ticket, AppError> {
        // A refused value is told with its ticket, as every other refusal of
        // a change to a ticket is: an operator setting fields on several
        // tickets in a row sees which one it was.
        match self.set_fields(actor, key, assignments, justification, None) {
            Ok(Ok(t)) => Ok(t),
            // Nothing is compared without a guard; said plainly all the same.
            Ok(Err(changed)) => Err(AppError::Refused {
                key: changed.key.clone(),
                message: changed.to_string(),
            }),
            Err(e) => Err(self.keyed(key, e)),
        }
    }

    /// Like [`App::set`], for an edit that started from the values in
    /// `expected` (a prompt pre-filled with the current title, a form of
    /// the fields still missing): when a field no longer holds its
    /// expected value ([`field_value`]), someone changed it meanwhile and
    /// writing would silently undo their change, so nothing is written and
    /// the answer says what the fields hold now. The comparison happens
    /// inside the write transaction, so no change can slip in between.
    /// `seen` turns the ticket as stored into the ticket as the editor was
    /// shown it (the console shows sanitized text), so values are compared
    /// as the operator saw them.
    pub fn set_if_unchanged(
        &mut self,
        actor: &Operator,
        key: &str,
        assignments: &[(String, String)],
        justification: Option<&str>,
        expected: &[(String, Option<Value>)],
        seen: impl Fn(Ticket) -> Ticket,
    ) -> Result<Result<Ticket, ChangedMeanwhile>, AppError> {
        self.set_fields(
            actor,
            key,
            assignments,
            justification,
            Some((expected, &seen)),
        )
        .map_err(|e| self.keyed(key, e))
    }

    fn set_fields(
        &mut self,
        actor: &Operator,
        key: &str,
        assignments: &[(String, String)],
        justification: Option<&str>,
        guard: Option<Guard<'_>>,
    ) -> Result<Guarded, AppError> {
        if assignments.is_empty() {
            return Err(AppError::Invalid("nothing to set; write NAME=VALUE".into()));
        }
        // The same name twice: the last value wins, as when typed one by one.
        let assignments: Vec<&(String, String)> = assignments
            .iter()
            .enumerate()
            .filter(|(i, (name, _))| !assignments[i + 1..].iter().any(|(n, _)| n == name))
            .map(|(_, a)| a)
            .collect();
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        let justification = justification.map(str::trim).filter(|j| !j.is_empty());
        // A justification explains a manual priority; dropped silently, the
        // operator would believe it recorded.
        let manual = assignments
            .iter()
            .any(|(n, v)| n == "priority" && v.trim() != "auto");
        if justification.is_some() && !manual {
            return Err(AppError::Invalid(format!(
                "--justification explains a manual priority, and no priority is set here; add priority=P (e.g. `guardia set {key} priority=high --justification …`), or leave --justification out"
            )));
        }
        // Parse everything before taking the lock.
        let mut core: Vec<(String, Value)> = Vec::new();
        let mut catalogue: Vec<(String, Value)> = Vec::new();
        for (name, raw) in assignments {
            match name.as_str() {
                "title" | "description" => {
                    if raw.trim().is_empty() {
                        return Err(AppError::BadFieldValue {
                            field: name.clone(),
                            message: "cannot be empty".into(),
                        });
                    }
                    core.push((name.clone(), Value::String(raw.trim().into())));
                }
                "impact" => {
                    let id = grade_id(&cfg.priority.impacts, "impact", raw)?;
                    core.push((name.clone(), Value::String(id)));
                }
                "urgency" => {
                    let id = grade_id(&cfg.priority.urgencies, "urgency", raw)?;
                    core.push((name.clone(), Value::String(id)));
                }
                "priority" => {
                    let id = if raw == AUTO_PRIORITY {
                        raw.clone()
                    } else {
                        grade_id(&cfg.priority.priorities, "priority", raw)?
                    };
                    core.push((name.clone(), Value::String(id)));
                }
                "service" => {
                    if cfg.service(raw).is_none() {
                        return Err(self.unknown_service(raw));
                    }
                    core.push((name.clone(), Value::String(raw.clone())));
                }
                "status" => {
                    return Err(AppError::NotSettable {
                        field: name.clone(),
                        hint: "use `guardia move KEY STATE`",
                    });
                }
                "assignee" => {
                    return Err(AppError::NotSettable {
                        field: name.clone(),
                        hint: "use `guardia assign KEY USER`",
                    });
                }
                "level" => {
                    return Err(AppError::NotSettable {
                        field: name.clone(),
                        hint: "use `guardia escalate KEY --level N`",
                    });
                }
                "type" | "key" | "id" | "created_at" | "created_by" => {
                    return Err(AppError::NotSettable {
                        field: name.clone(),
                        hint: "it is fixed at registration",
                    });
                }
                // A name no type has is told with what this ticket takes.
                _ if cfg.field(name).is_none() => {
                    let (_, t) = load(&self.reader(), key)?;
                    return Err(not_settable_on(cfg, &t, name));
                }
                _ => catalogue.push((name.clone(), self.parse_field(name, raw)?)),
            }
        }
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<Guarded, AppError> {
                let (_, t) = load(&w.reader(), key)?;
                workflow::check_action(cfg, &t, "set")?;
                if let Some((expected, seen)) = guard
                    && let Some(changed) = changed_meanwhile(w, &t, expected, seen)?
                {
                    return Ok(Err(changed));
                }
                // A field the state locks (verified, authorised) stays as it is.
                workflow::check_locks(
                    &w.reader(),
                    cfg,
                    &t,
                    catalogue.iter().map(|(n, v)| (n.as_str(), v)),
                )?;
                let ttype = cfg.ticket_type(&t.ticket_type);
                for (name, _) in &catalogue {
                    field_in_type(cfg, &t, name).map_err(|_| not_settable_on(cfg, &t, name))?;
                    // A mandatory field cannot be cleared.
                    let mandatory =
                        ttype.is_some_and(|tt| tt.mandatory.iter().any(|f| f.get_ref() == name));
                    let new_value = catalogue
                        .iter()
                        .rev()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v);
                    if mandatory && new_value.is_some_and(Value::is_null) {
                        return Err(AppError::BadFieldValue {
                            field: name.clone(),
                            message: format!(
                                "is mandatory for type '{}' and cannot be cleared",
                                t.ticket_type
                            ),
                        });
                    }
                }
                // The state after the change, to recompute priority.
                let mut fields = t.fields.clone();
                for (n, v) in &catalogue {
                    if v.is_null() {
                        fields.remove(n);
                    } else {
                        fields.insert(n.clone(), v.clone());
                    }
                }
                let get_core = |n: &str, current: &str| {
                    core.iter()
                        .rev()
                        .find(|(c, _)| c == n)
                        .and_then(|(_, v)| v.as_str().map(String::from))
                        .unwrap_or_else(|| current.to_string())
                };
                let impact = get_core("impact", &t.impact);
                let urgency = get_core("urgency", &t.urgency);
                let service = get_core("service", &t.service);
                let manual = core
                    .iter()
                    .find(|(n, _)| n == "priority")
                    .and_then(|(_, v)| v.as_str().map(String::from));
                if catalogue.iter().any(|(n, _)| n == "affected_application")
                    && let Some(message) =
                        priority::unknown_application(cfg.service(&service), &service, &fields)
                {
                    return Err(AppError::BadFieldValue {
                        field: "affected_application".into(),
                        message,
                    });
                }
                // A computed priority follows every change; one from an
                // impact or urgency the matrix no longer has would be a
                // fallback, silently wrong.
                let recomputes = match manual.as_deref() {
                    Some(p) => p == AUTO_PRIORITY,
                    None => t.priority_justification.is_none(),
                };
                // Asked for (a new impact or urgency, or `priority=auto`),
                // the refusal says which value to set. A change of anything
                // else (a title, a note field) keeps the priority as it is
                // rather than refusing an unrelated edit.
                let asks_priority =
                    manual.is_some() || core.iter().any(|(n, _)| n == "impact" || n == "urgency");
                let mut keeps_priority = false;
                if recomputes {
                    match orphans::check_grades(cfg, &t, &impact, &urgency) {
                        Err(e) if asks_priority => return Err(e),
                        Err(_) => keeps_priority = true,
                        Ok(()) => {}
                    }
                }
                let decision =
                    priority::compute(cfg, cfg.service(&service), &impact, &urgency, &fields);
                for (n, v) in &core {
                    if n == "priority" {
                        continue;
                    }
                    if t.core_value(n).as_deref() != v.as_str() {
                        w.append(
                            &actor_id,
                            OpDraft::new(entity::TICKET, &t.id, kind::SET, v.clone())
                                .field(n.as_str()),
                        )?;
                    }
                }
                for (n, v) in &catalogue {
                    // By value: `6.0` over `6` changes nothing.
                    let changes = !crate::domain::guards::same_value(t.fields.get(n), Some(v));
                    let clears_unset = v.is_null() && !t.fields.contains_key(n);
                    if changes && !clears_unset {
                        w.append(
                            &actor_id,
                            OpDraft::new(entity::TICKET, &t.id, kind::SET, v.clone())
                                .field(format!("fields.{n}")),
                        )?;
                    }
                }
                // After a sync conflict, setting the priority shown confirms
                // it: the op supersedes every concurrent one, at every site
                // (as moving to the state shown, or assigning the assignee
                // shown, settles theirs).
                let priority_conflict = w.reader().has_conflict(&t.id, "priority")?;
                let mut set_ticket = |field: &str, value: Value| {
                    w.append(
                        &actor_id,
                        OpDraft::new(entity::TICKET, &t.id, kind::SET, value).field(field),
                    )
                };
                match manual {
                    // Back to the computed priority: the override ends.
                    Some(p) if p == AUTO_PRIORITY => {
                        if t.priority_justification.is_some() {
                            set_ticket("priority_justification", Value::Null)?;
                        }
                        if decision.priority != t.priority || priority_conflict {
                            set_ticket("priority", Value::String(decision.priority.clone()))?;
                        }
                    }
                    Some(p) => {
                        let j = justification.ok_or_else(|| AppError::JustificationRequired {
                            computed: decision.priority.clone(),
                        })?;
                        if p != t.priority || priority_conflict {
                            set_ticket("priority", Value::String(p))?;
                        }
                        set_ticket("priority_justification", Value::String(j.into()))?;
                    }
                    // Only a computed priority follows the matrix and rules.
                    None if t.priority_justification.is_none()
                        && !keeps_priority
                        && decision.priority != t.priority =>
                    {
                        set_ticket("priority", Value::String(decision.priority.clone()))?;
                    }
                    None => {}
                }
                reloaded(w, cfg, key).map(Ok)
            })
    }

    /// Assigns (or with `None`, unassigns) a ticket. A ticket still in its
    /// workflow's initial state moves to the `on_assign` state.
    pub fn assign(
        &mut self,
        actor: &Operator,
        key: &str,
        user: Option<&str>,
    ) -> Result<Ticket, AppError> {
        self.assign_noting(actor, key, user).map(|a| a.ticket)
    }

    /// [`App::assign`], also saying which move to `on_assign` the assigner
    /// could not take (the ticket stayed in its initial state).
    pub fn assign_noting(
        &mut self,
        actor: &Operator,
        key: &str,
        user: Option<&str>,
    ) -> Result<Assigned, AppError> {
        let cfg = &self.config;
        if let Some(u) = user
            && cfg.operator(u).is_none()
        {
            return Err(AppError::unknown(
                "operator",
                u,
                cfg.operators.iter().map(|o| o.id.get_ref().clone()),
            ));
        }
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        let clock_now = self.clock.now();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<Assigned, AppError> {
                let (_, t) = load(&w.reader(), key)?;
                workflow::check_action(cfg, &t, "assign")?;
                // Assigning the assignee shown confirms it after a sync conflict.
                if t.assignee.as_deref() == user && !w.reader().has_conflict(&t.id, "assignee")? {
                    return Err(assignment::already_assigned(
                        &w.reader(),
                        cfg,
                        clock_now,
                        key,
                        actor,
                        user,
                    ));
                }
                let value = user.map_or(Value::Null, |u| Value::String(u.into()));
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &t.id, kind::SET, value).field("assignee"),
                )?;
                // Assigning moves the ticket on only if the assigner may take
                // that move; otherwise it stays where it is.
                let moves_on =
                    |wf: &crate::config::Workflow, target: &str| match workflow::check_move(
                        &w.reader(),
                        cfg,
                        clock_now,
                        wf,
                        &t,
                        actor,
                        target,
                        &Map::new(),
                    ) {
                        Ok(_) => Ok(true),
                        Err(AppError::Transition { .. }) => Ok(false),
                        Err(e) => Err(e),
                    };
                if let Some(wf) = cfg.workflow_for_type(&t.ticket_type)
                    && let Some(target) = &wf.on_assign
                    && user.is_some()
                    && &t.status == wf.initial.get_ref()
                    && moves_on(wf, target.get_ref())?
                {
                    w.append(
                        &actor_id,
                        OpDraft::new(
                            entity::TICKET,
                            &t.id,
                            kind::TRANSITION,
                            json!({"from": t.status, "to": target.get_ref(), "note": ""}),
                        )
                        .field("status"),
                    )?;
                }
                let ticket = reloaded(w, cfg, key)?;
                let stayed = assignment::pending_move(&w.reader(), cfg, clock_now, &ticket, actor)?;
                Ok(Assigned { ticket, stayed })
            })
    }

    /// Moves a ticket to another state if the workflow allows it.
    pub fn move_to(
        &mut self,
        actor: &Operator,
        key: &str,
        state: &str,
        note: Option<&str>,
        with_fields: &[(String, String)],
    ) -> Result<Ticket, AppError> {
        self.move_cascading(actor, key, state, note, with_fields)
            .map(|(t, _)| t)
    }

    /// [`App::move_to`], also returning the keys of the tickets the
    /// workflow's cascades moved with it, so that they can be told.
    pub fn move_cascading(
        &mut self,
        actor: &Operator,
        key: &str,
        state: &str,
        note: Option<&str>,
        with_fields: &[(String, String)],
    ) -> Result<(Ticket, Vec<String>), AppError> {
        self.move_with_fields(actor, key, state, note, with_fields)
            .map_err(|e| closed_by_timer::explain(&self.reader(), self.keyed(key, e)))
    }

    fn move_with_fields(
        &mut self,
        actor: &Operator,
        key: &str,
        state: &str,
        note: Option<&str>,
        with_fields: &[(String, String)],
    ) -> Result<(Ticket, Vec<String>), AppError> {
        let supplied: Map<String, Value> = self.parse_filled(with_fields)?.into_iter().collect();
        let cfg = &self.config;
        let lang = self.lang;
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        let clock_now = self.clock.now();
        self.store.write(now, ApplyMode::Live, |w| -> Result<(Ticket, Vec<String>), AppError> {
            let (_, t) = load(&w.reader(), key)?;
            // After a sync conflict, moving to the state shown confirms it,
            // and moving to another state a site chose settles on that one:
            // the move supersedes every concurrent one, at every site.
            if conflicts::settles_state(&w.reader(), cfg, &t, actor, state)? {
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &t.id, kind::TRANSITION,
                        json!({"from": t.status, "to": state, "note": note.unwrap_or("confirmed after a sync conflict")}))
                    .field("status"),
                )?;
                return Ok((reloaded(w, cfg, key)?, Vec::new()));
            }
            let wf = cfg
                .workflow_for_type(&t.ticket_type)
                .ok_or_else(|| orphans::no_workflow(cfg, &t))?;
            if wf.rejected.as_ref().is_some_and(|r| r.get_ref() == state) {
                return Err(AppError::Refused {
                    key: key.into(),
                    message: format!("'{state}' is entered by rejecting with a reason: `guardia reject {key} --reason CODE`"),
                });
            }
            // Ending a major incident ends it for every console and offers
            // its reports: the incident manager's call (`major resolve`).
            if major::is_major(cfg, &t) && !lifecycle::working(wf, state) {
                major::require_manager(cfg, actor, &format!("end a major incident (`guardia major resolve {key} --solution TEXT` also offers its reports)"))?;
            }
            for name in supplied.keys() {
                field_in_type(cfg, &t, name)?;
            }
            let passed = workflow::check_move(&w.reader(), cfg, clock_now, wf, &t, actor, state, &supplied)?;
            for (n, v) in &supplied {
                w.append(&actor_id, OpDraft::new(entity::TICKET, &t.id, kind::SET, v.clone()).field(format!("fields.{n}")))?;
            }
            if workflow::records_resolution_time(wf, &t.status, state) {
                let text = workflow::resolution_time_text(cfg, &t, clock_now, lang);
                w.append(&actor_id, OpDraft::new(entity::TICKET, &t.id, kind::SET, Value::String(text)).field(format!("fields.{}", crate::config::RESOLUTION_TIME_FIELD)))?;
            }
            let mut value = json!({"from": t.status, "to": state, "note": note.unwrap_or("")});
            if let (Some(e), Value::Object(m)) = (&passed.exception, &mut value) {
                // Who authorised the exception and why, on the move itself.
                m.insert("exception".into(), json!({"approval": e.id, "by": e.by, "reason": e.reason}));
            }
            w.append(&actor_id, OpDraft::new(entity::TICKET, &t.id, kind::TRANSITION, value).field("status"))?;
            let moved = reloaded(w, cfg, key)?;
            let cascaded = workflow::cascade(w, cfg, &moved)?;
            Ok((moved, cascaded))
        })
    }

    pub fn comment(
        &mut self,
        actor: &Operator,
        key: &str,
        body: &str,
        internal: bool,
    ) -> Result<String, AppError> {
        if body.trim().is_empty() {
            return Err(AppError::EmptyComment);
        }
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                let (_, t) = load(&w.reader(), key)?;
                workflow::check_action(cfg, &t, "comment")?;
                w.append(
                    &actor_id,
                    OpDraft::new(
                        entity::COMMENT,
                        &id,
                        kind::CREATE,
                        json!({"ticket": t.id, "body": body, "internal": internal}),
                    ),
                )?;
                Ok(())
            })?;
        Ok(id)
    }

    pub fn worklog(
        &mut self,
        actor: &Operator,
        key: &str,
        duration_text: &str,
        note: Option<&str>,
    ) -> Result<i64, AppError> {
        let minutes = duration::parse_minutes(duration_text).map_err(AppError::Invalid)?;
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                let (_, t) = load(&w.reader(), key)?;
                workflow::check_action(cfg, &t, "worklog")?;
                w.append(
                    &actor_id,
                    OpDraft::new(
                        entity::WORKLOG,
                        &id,
                        kind::CREATE,
                        json!({"ticket": t.id, "minutes": minutes, "note": note.unwrap_or("")}),
                    ),
                )?;
                Ok(())
            })?;
        Ok(minutes)
    }

    /// Copies a file into the content-addressed store and records it.
    pub fn attach(
        &mut self,
        actor: &Operator,
        key: &str,
        path: &Path,
    ) -> Result<crate::domain::ticket::Attachment, AppError> {
        // Fail on an unknown ticket (or one that takes no attachment now)
        // before copying anything.
        workflow::check_action(&self.config, &self.ticket(key)?, "attach")?;
        let stored = attach::store_file(path, &self.attachments_dir())?;
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.now_ms();
        self.store.write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
            let (_, t) = load(&w.reader(), key)?;
            workflow::check_action(cfg, &t, "attach")?;
            w.append(
                &actor_id,
                OpDraft::new(
                    entity::ATTACHMENT,
                    &id,
                    kind::CREATE,
                    json!({"ticket": t.id, "name": stored.name, "sha256": stored.sha256, "size": stored.size}),
                ),
            )?;
            Ok(())
        })?;
        let detail = self.detail(key)?;
        detail
            .attachments
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| AppError::Invalid("the attachment was not recorded".into()))
    }

    /// Functional escalation to `level`, refused while the dossier is incomplete.
    pub fn escalate(
        &mut self,
        actor: &Operator,
        key: &str,
        level: u8,
        note: Option<&str>,
    ) -> Result<Dossier, AppError> {
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let lang = self.lang;
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<Dossier, AppError> {
                let r = w.reader();
                let (_, t) = load(&r, key)?;
                // The matrix is for incidents and requests: a problem or a
                // known error has no dossier to complete, only a dead end.
                let record = cfg.record_of(&t.ticket_type);
                if record != RecordKind::Ticket {
                    let what = if record == RecordKind::Problem {
                        "a problem"
                    } else {
                        "a known error"
                    };
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "{what} does not escalate through the escalation matrix, which is for incidents and requests; assign it to whoever works on it (`guardia assign {key} OPERATOR`)"
                        ),
                    });
                }
                workflow::check_action(cfg, &t, "escalate")?;
                // A level sites escalated to concurrently settles their conflict.
                if conflicts::settles_level(&r, &t, level)? {
                    return conflicts::settle_level(w, cfg, t, &actor_id, level, note, lang);
                }
                let detail = r.detail(t)?;
                if orphans::level_configured(cfg, detail.ticket.level) {
                    escalation::check(cfg, &detail, level).map_err(|refusal| {
                        AppError::Escalation {
                            key: key.into(),
                            refusal: Box::new(refusal),
                        }
                    })?;
                } else {
                    // A level the matrix no longer has: any level of the
                    // matrix brings the ticket back into it, and there is
                    // no dossier to fill for a level below it.
                    let t = &detail.ticket;
                    if let Some(wf) = cfg.workflow_for_type(&t.ticket_type)
                        && lifecycle::category(wf, &t.status).is_done()
                    {
                        return Err(AppError::Escalation {
                            key: key.into(),
                            refusal: Box::new(escalation::EscalationRefusal::NotOpen {
                                state: t.status.clone(),
                            }),
                        });
                    }
                    if !orphans::level_configured(cfg, level) {
                        return Err(orphans::orphan_level(cfg, &detail.ticket, Some(level)));
                    }
                }
                let dossier = escalation::build(cfg, &detail, level, lang);
                // The log keeps what was sent, in the language-neutral form of
                // the ticket's own values (runbook evidence is in the log already).
                let snapshot: Map<String, Value> = dossier
                    .items
                    .iter()
                    .map(|i| {
                        let v = match detail.ticket.fields.get(&i.field) {
                            Some(v) => v.clone(),
                            None if i.value.is_some() && i.field == escalation::LEVEL1_CHECKS => {
                                Value::String("runbook".into())
                            }
                            None => i.value.clone().map_or(Value::Null, Value::String),
                        };
                        (i.field.clone(), v)
                    })
                    .collect();
                w.append(
                    &actor_id,
                    OpDraft::new(
                        entity::TICKET,
                        &detail.ticket.id,
                        kind::ESCALATE,
                        json!({"mode": "functional", "from": detail.ticket.level, "to": level,
                           "note": note.unwrap_or(""), "dossier": snapshot}),
                    )
                    .field("level"),
                )?;
                Ok(dossier)
            })
    }

    /// Hierarchical escalation: informs a manager role; the level is unchanged.
    pub fn escalate_hierarchical(
        &mut self,
        actor: &Operator,
        key: &str,
        role: &str,
        note: Option<&str>,
    ) -> Result<Vec<OperatorContact>, AppError> {
        let cfg = &self.config;
        if cfg.role(role).is_none() {
            return Err(AppError::unknown(
                "role",
                role,
                cfg.roles.iter().map(|r| r.id.get_ref().clone()),
            ));
        }
        // Hierarchical escalation goes up the management chain: never to
        // the first line, nor to a role the one escalating holds.
        let first_line = cfg.level(1).map(|l| l.role.get_ref().as_str());
        let own = actor.roles.iter().any(|r| r.get_ref() == role);
        if own || first_line == Some(role) {
            let above: Vec<String> = cfg
                .roles
                .iter()
                .map(|r| r.id.get_ref().clone())
                .filter(|r| {
                    Some(r.as_str()) != first_line && !actor.roles.iter().any(|o| o.get_ref() == r)
                })
                .collect();
            let why = if own {
                format!("'{}' holds that role", actor.id.get_ref())
            } else {
                "it is the first line (level 1 of escalation.toml)".to_string()
            };
            return Err(AppError::Refused {
                key: key.to_string(),
                message: format!(
                    "a hierarchical escalation informs a role above you, not '{role}': {why}; escalate to one of: {}",
                    above.join(", ")
                ),
            });
        }
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                let (_, t) = load(&w.reader(), key)?;
                workflow::check_action(cfg, &t, "escalate")?;
                // As functional escalation: a resolved ticket awaits its
                // confirmation, not more resources.
                if let Some(wf) = cfg.workflow_for_type(&t.ticket_type)
                    && lifecycle::category(wf, &t.status).is_done()
                {
                    return Err(AppError::Refused {
                        key: key.into(),
                        message: format!(
                            "the ticket is {}; only open tickets escalate (reopen it first)",
                            t.status
                        ),
                    });
                }
                // An event, not a field: it supersedes nothing but the creation.
                w.append(
                    &actor_id,
                    OpDraft::new(
                        entity::TICKET,
                        &t.id,
                        kind::ESCALATE,
                        json!({"mode": "hierarchical", "role": role, "note": note.unwrap_or("")}),
                    ),
                )?;
                Ok(())
            })?;
        Ok(self.contacts_with_role(role))
    }

    fn contacts_with_role(&self, role: &str) -> Vec<OperatorContact> {
        self.config
            .operators
            .iter()
            .filter(|o| o.roles.iter().any(|r| r.get_ref() == role))
            .map(|o| OperatorContact {
                id: o.id.get_ref().clone(),
                name: o.name.clone(),
                email: o.email.clone(),
                phone: o.phone.clone(),
            })
            .collect()
    }

    /// The open tickets of the same service most like `key` (by the words
    /// of its title and description), as key and title: the originals a
    /// duplicate most likely repeats, best first (the console proposes
    /// them when a ticket is rejected as a duplicate).
    pub fn likely_originals(&self, key: &str) -> Result<Vec<(String, String)>, AppError> {
        let Some((_, t)) = self.reader().ticket_by_key(key)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .like(&t, 3)?
            .into_iter()
            .map(|h| (h.ticket.key, h.ticket.title))
            .collect())
    }

    /// Other open tickets of `t`'s service that share the most significant
    /// words of its title and description, best first.
    fn like(&self, t: &Ticket, limit: usize) -> Result<Vec<SearchHit>, AppError> {
        Ok(self.alike(t, limit, 0)?.0)
    }

    /// Other tickets of `t`'s service that share the most significant words
    /// of its title and description, best first: up to `open` still open
    /// (possible duplicates) and up to `solved` resolved or closed with a
    /// solution (answers that may work again). Problems and known errors
    /// are suggested on their own.
    ///
    /// One query matching any of the words serves both, but it ranks only
    /// the newest matches, which at a million tickets are the last hours'
    /// and mostly still open. So when it finds too few solved ones, queries
    /// matching *every* significant word of the title follow: its first
    /// four, then its first two. They match few tickets, over the whole
    /// history, and each reads at most 40 rows.
    fn alike(
        &self,
        t: &Ticket,
        open: usize,
        solved: usize,
    ) -> Result<(Vec<SearchHit>, Vec<SolvedTicket>), AppError> {
        let cfg = &self.config;
        let r = self.reader();
        let mut open_hits = Vec::new();
        let mut solved_hits: Vec<SolvedTicket> = Vec::new();
        let mut take = |hits: Vec<SearchHit>, open_hits: &mut Vec<SearchHit>| {
            for h in hits {
                if cfg.record_of(&h.ticket.ticket_type) != RecordKind::Ticket {
                    continue;
                }
                let category = cfg
                    .workflow_for_type(&h.ticket.ticket_type)
                    .map(|wf| lifecycle::category(wf, &h.ticket.status));
                match category {
                    Some(c) if !c.is_done() && open_hits.len() < open => open_hits.push(h),
                    Some(StateCategory::Resolved | StateCategory::Closed)
                        if solved_hits.len() < solved
                            && solved_hits.iter().all(|s| s.key != h.ticket.key) =>
                    {
                        if let Some(solution) = h.ticket.field_text("solution") {
                            solved_hits.push(SolvedTicket {
                                key: h.ticket.key,
                                title: h.ticket.title,
                                status: h.ticket.status,
                                solution,
                            });
                        }
                    }
                    _ => {}
                }
            }
            solved_hits.len() >= solved
        };
        let text = format!("{} {}", t.title, t.description);
        let mut enough = take(r.similar(&text, &t.service, Some(&t.id))?, &mut open_hits);
        let words = crate::store::significant_terms(&t.title);
        let first = words.len().min(4);
        let sizes: &[usize] = if first > 2 { &[first, 2] } else { &[first] };
        for &n in sizes {
            if enough || n < 2 {
                break;
            }
            let hits = r.matching(&words[..n], true, &t.service, Some(&t.id), 400, 40)?;
            enough = take(hits, &mut Vec::new());
        }
        Ok((open_hits, solved_hits))
    }

    /// Earlier tickets like `key`, of its service, resolved or closed with
    /// a solution, best first (the console's detail lists them).
    pub fn solved_like(&self, key: &str, limit: usize) -> Result<Vec<SolvedTicket>, AppError> {
        let Some((_, t)) = self.reader().ticket_by_key(key)? else {
            return Ok(Vec::new());
        };
        Ok(self.alike(&t, 0, limit)?.1)
    }

    /// Rejects with a coded reason (seed 000 §16).
    pub fn reject(
        &mut self,
        actor: &Operator,
        key: &str,
        code: &str,
        original: Option<&str>,
        note: Option<&str>,
    ) -> Result<Rejected, AppError> {
        let cfg = &self.config;
        // Only the reasons of the ticket's own procedure are offered.
        let ticket = load(&self.reader(), key).ok().map(|(_, t)| t);
        let reason = cfg
            .rejection(code)
            .ok_or_else(|| reject_fit::unknown(cfg, code, ticket.as_ref()))?;
        if let Some(t) = &ticket {
            reject_fit::check(cfg, reason, t, self.lang)?;
        }
        match (reason.action, original) {
            (RejectionAction::Duplicate, None) => {
                return Err(AppError::Rejection {
                    key: key.into(),
                    refusal: Box::new(RejectionRefusal::NeedsOriginal {
                        code: code.into(),
                        likely: self.likely_originals(key)?,
                    }),
                });
            }
            (RejectionAction::Duplicate, Some(o)) if same_key(o, key) => {
                return Err(AppError::Rejection {
                    key: key.into(),
                    refusal: Box::new(RejectionRefusal::DuplicateOfItself),
                });
            }
            (RejectionAction::Duplicate, _) => {}
            (_, Some(_)) => {
                return Err(AppError::Rejection {
                    key: key.into(),
                    refusal: Box::new(RejectionRefusal::OriginalOnlyForDuplicates {
                        code: code.into(),
                    }),
                });
            }
            _ => {}
        }
        let action = reason.action;
        let guidance = reason
            .guidance
            .as_ref()
            .map(|g| g.get(self.lang).to_string());
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        let clock_now = self.clock.now();
        let lang = self.lang;
        let ticket = self.store.write(now, ApplyMode::Live, |w| -> Result<Ticket, AppError> {
            let r = w.reader();
            let (_, t) = load(&r, key)?;
            reject_fit::check(cfg, reason, &t, lang)?;
            if major::is_major(cfg, &t) {
                return Err(AppError::Rejection {
                    key: key.into(),
                    refusal: Box::new(RejectionRefusal::MajorIncident),
                });
            }
            let original = match original {
                Some(o) => Some(load(&r, o)?.1),
                None => None,
            };
            if let Some(o) = &original {
                // The original must be the live record of the incident: not
                // itself a rejected duplicate (no chains, no cycles).
                let rejected = lifecycle::is_rejected(cfg, o);
                // Only an original that is itself still live is worth naming.
                let live = |k: &str| {
                    r.ticket_by_key(k).ok().flatten().is_some_and(|(_, d)| {
                        cfg.record_of(&d.ticket_type) == RecordKind::Ticket
                            && !finished(cfg, &d)
                    })
                };
                if o.duplicate_of.is_some() || rejected {
                    return Err(AppError::Rejection {
                        key: key.into(),
                        refusal: Box::new(RejectionRefusal::OriginalRejected {
                            original: o.key.clone(),
                            duplicate_of: o.duplicate_of.clone(),
                            perhaps: o.duplicate_of.clone().filter(|d| live(d)),
                        }),
                    });
                }
                if cfg.record_of(&o.ticket_type) != RecordKind::Ticket {
                    return Err(AppError::Rejection {
                        key: key.into(),
                        refusal: Box::new(RejectionRefusal::OriginalNotIncident { original: o.key.clone() }),
                    });
                }
                if o.service != t.service {
                    return Err(AppError::Rejection {
                        key: key.into(),
                        refusal: Box::new(RejectionRefusal::OriginalOtherService {
                            original: o.key.clone(),
                            original_service: o.service.clone(),
                            service: t.service.clone(),
                        }),
                    });
                }
                if finished(cfg, o) {
                    return Err(AppError::Rejection {
                        key: key.into(),
                        refusal: Box::new(RejectionRefusal::OriginalFinished {
                            original: o.key.clone(),
                            status: o.status.clone(),
                        }),
                    });
                }
            }
            let wf = cfg
                .workflow_for_type(&t.ticket_type)
                .ok_or_else(|| orphans::no_workflow(cfg, &t))?;
            let target = wf.rejected.as_ref().ok_or_else(|| AppError::Rejection {
                key: key.into(),
                refusal: Box::new(RejectionRefusal::NoRejectedState { workflow: wf.id.get_ref().clone() }),
            })?;
            workflow::check_move(&r, cfg, clock_now, wf, &t, actor, target.get_ref(), &Map::new())?;
            w.append(&actor_id, OpDraft::new(entity::TICKET, &t.id, kind::SET, Value::String(code.into())).field("reject_reason"))?;
            if let Some(o) = &original {
                w.append(&actor_id, OpDraft::new(entity::TICKET, &t.id, kind::LINK, Value::Bool(true)).field(format!("duplicate_of:{}", o.id)))?;
            }
            if action == RejectionAction::MajorIncident {
                w.append(
                    &actor_id,
                    OpDraft::new(entity::TICKET, &t.id, kind::ROUTE, json!({"to": "major_incident", "role": "incident_manager", "reason": code}))
                        .field("route"),
                )?;
            }
            w.append(
                &actor_id,
                OpDraft::new(entity::TICKET, &t.id, kind::TRANSITION, json!({"from": t.status, "to": target.get_ref(), "note": note.unwrap_or(""), "reason": code}))
                    .field("status"),
            )?;
            reloaded(w, cfg, key)
        })?;
        let contacts = if action == RejectionAction::MajorIncident {
            self.contacts_with_role("incident_manager")
        } else {
            Vec::new()
        };
        Ok(Rejected {
            ticket,
            guidance,
            contacts,
        })
    }

    /// Starts a runbook on a ticket.
    pub fn runbook_run(
        &mut self,
        actor: &Operator,
        runbook: &str,
        key: &str,
    ) -> Result<String, AppError> {
        let cfg = &self.config;
        let rb = cfg.runbook(runbook).ok_or_else(|| {
            AppError::unknown(
                "runbook",
                runbook,
                cfg.runbooks.iter().map(|r| r.id.get_ref().clone()),
            )
        })?;
        let cfg = &self.config;
        let actor_id = actor.id.get_ref().clone();
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.now_ms();
        self.store.write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
            let r = w.reader();
            let (_, t) = load(&r, key)?;
            workflow::check_action(cfg, &t, "runbook")?;
            if !rb.services.is_empty() && !rb.services.iter().any(|s| s.get_ref() == &t.service) {
                return Err(AppError::Refused {
                    key: key.into(),
                    message: format!(
                        "runbook '{runbook}' applies to {} and this ticket is about '{}'",
                        rb.services.iter().map(|s| s.get_ref().as_str()).collect::<Vec<_>>().join(", "),
                        t.service
                    ),
                });
            }
            let detail = r.detail(t)?;
            let unfinished = detail.runbooks.iter().any(|run| {
                run.runbook == runbook
                    && rb.items.iter().any(|i| !run.ticks.iter().any(|tk| &tk.item == i.id.get_ref() && tk.checked))
            });
            if unfinished {
                return Err(AppError::Refused {
                    key: key.into(),
                    message: format!("runbook '{runbook}' is already running on this ticket; tick its items with `guardia runbook tick {key} ITEM`"),
                });
            }
            w.append(&actor_id, OpDraft::new(entity::RUNBOOK_RUN, &id, kind::CREATE, json!({"ticket": detail.ticket.id, "runbook": runbook})))?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Ticks an item of a runbook running on the ticket. `item` is `ITEM` or
    /// `RUNBOOK/ITEM` when several runbooks share an item id.
    pub fn runbook_tick(
        &mut self,
        actor: &Operator,
        key: &str,
        item: &str,
        evidence: Option<&str>,
        checked: bool,
    ) -> Result<(String, String), AppError> {
        let evidence = evidence.map(str::trim).filter(|e| !e.is_empty());
        let cfg = &self.config;
        let (want_runbook, item_id) = match item.split_once('/') {
            Some((r, i)) => (Some(r.to_string()), i.to_string()),
            None => (None, item.to_string()),
        };
        let actor_id = actor.id.get_ref().clone();
        let now = self.now_ms();
        self.store.write(now, ApplyMode::Live, |w| -> Result<(String, String), AppError> {
            let r = w.reader();
            let (_, t) = load(&r, key)?;
            workflow::check_action(cfg, &t, "runbook")?;
            let detail = r.detail(t)?;
            if detail.runbooks.is_empty() {
                return Err(AppError::Refused {
                    key: key.into(),
                    message: format!("no runbook is running on this ticket; start one with `guardia runbook run NAME {key}` (see `guardia runbook list`)"),
                });
            }
            // The newest run whose runbook has this item.
            let candidates: Vec<_> = detail
                .runbooks
                .iter()
                .rev()
                .filter(|run| want_runbook.as_ref().is_none_or(|w| w == &run.runbook))
                .filter(|run| cfg.runbook(&run.runbook).is_some_and(|rb| rb.items.iter().any(|i| i.id.get_ref() == &item_id)))
                .collect();
            let mut names: Vec<&str> = candidates.iter().map(|r| r.runbook.as_str()).collect();
            names.dedup();
            if names.len() > 1 {
                return Err(AppError::Refused {
                    key: key.into(),
                    message: format!("item '{item_id}' is in several running runbooks ({}); write RUNBOOK/ITEM", names.join(", ")),
                });
            }
            let Some(run) = candidates.first() else {
                return Err(orphans::untickable(cfg, &detail, key, want_runbook.as_deref(), &item_id));
            };
            match (checked, evidence) {
                // Seed 000 §13: the help desk shows evidence of its level-1
                // checks; a tick without it would read as a check done.
                (true, None) => {
                    return Err(AppError::Invalid(format!(
                        "{key}: ticking '{item}' needs its evidence, what you checked and saw: add --evidence TEXT (the dossier shows it)"
                    )));
                }
                (false, Some(_)) => {
                    return Err(AppError::Invalid(format!(
                        "{key}: --undo takes no evidence (an unticked item shows none); leave --evidence out"
                    )));
                }
                _ => {}
            }
            w.append(
                &actor_id,
                OpDraft::new(entity::RUNBOOK_RUN, &run.id, kind::SET, json!({"checked": checked, "evidence": evidence.unwrap_or("")}))
                    .field(format!("item:{item_id}")),
            )?;
            Ok((run.runbook.clone(), item_id.clone()))
        })
    }
}

/// Refuses a catalogue field that the ticket's type does not have.
/// The columns `set` changes on every ticket, before its type's fields.
const SET_BUILT_INS: &[&str] = &[
    "title",
    "description",
    "impact",
    "urgency",
    "priority",
    "service",
];

/// `set` of a name ticket `t` does not have: the refusal lists what it
/// takes, its built-in columns and its type's fields (not every type's).
fn not_settable_on(cfg: &Config, t: &Ticket, name: &str) -> AppError {
    AppError::FieldNotInType {
        field: name.into(),
        ticket_type: t.ticket_type.clone(),
        known: SET_BUILT_INS
            .iter()
            .map(|s| s.to_string())
            .chain(type_fields(cfg, t))
            .collect(),
    }
}

/// The catalogue fields of `t`'s type, mandatory then optional.
fn type_fields<'c>(cfg: &'c Config, t: &Ticket) -> impl Iterator<Item = String> + 'c {
    cfg.ticket_type(&t.ticket_type)
        .into_iter()
        .flat_map(|tt| tt.mandatory.iter().chain(&tt.optional))
        .map(|f| f.get_ref().clone())
}

fn field_in_type(cfg: &Config, t: &Ticket, name: &str) -> Result<(), AppError> {
    if type_fields(cfg, t).any(|f| f == name) {
        Ok(())
    } else {
        Err(AppError::FieldNotInType {
            field: name.into(),
            ticket_type: t.ticket_type.clone(),
            known: type_fields(cfg, t).collect(),
        })
    }
}

/// The id of the grade `input` names, by id or label
/// (`Config::grade_id`).
fn grade_id(
    grades: &[crate::config::Grade],
    what: &'static str,
    input: &str,
) -> Result<String, AppError> {
    Config::grade_id(grades, input)
        .map(str::to_string)
        .ok_or_else(|| {
            AppError::unknown(what, input, grades.iter().map(|g| g.id.get_ref().clone()))
        })
}

/// The fields of `expected` that `t` (as `seen` shows it) no longer holds
/// as expected, with who wrote them last; `None` when all still do.
fn changed_meanwhile(
    w: &crate::store::WriteTx<'_>,
    t: &Ticket,
    expected: &[(String, Option<Value>)],
    seen: &dyn Fn(Ticket) -> Ticket,
) -> Result<Option<ChangedMeanwhile>, AppError> {
    let shown = seen(t.clone());
    let stale: Vec<&String> = expected
        .iter()
        .filter(|(name, base)| field_value(&shown, name) != *base)
        .map(|(name, _)| name)
        .collect();
    if stale.is_empty() {
        return Ok(None);
    }
    let log = w.reader().ticket_log(&t.id)?;
    let fields = stale
        .into_iter()
        .map(|name| {
            let stored = format!("fields.{name}");
            let by = log
                .iter()
                .rev()
                .find(|op| {
                    op.entity_id == t.id
                        && op
                            .field
                            .as_deref()
                            .is_some_and(|f| f == name || f == stored)
                })
                .map(|op| op.actor.clone());
            ChangedField {
                field: name.clone(),
                now: field_value(&shown, name),
                by,
            }
        })
        .collect();
    Ok(Some(ChangedMeanwhile {
        key: t.key.clone(),
        ticket: shown,
        fields,
    }))
}

/// Reads a ticket again at the end of a write and refreshes its cached SLA
/// clock in the same transaction (every write that can move a clock ends
/// here).
fn reloaded(
    w: &mut crate::store::WriteTx<'_>,
    cfg: &Config,
    key: &str,
) -> Result<Ticket, AppError> {
    let (no, t) = load(&w.reader(), key)?;
    let now = crate::domain::ticket::ms_to_time(w.now_ms());
    sla::refresh_clock(w, cfg, no, &t, now)?;
    Ok(t)
}

/// Loads a ticket by key as typed (`bog-0042` finds BOG-42), distinguishing
/// a malformed key from an unknown one.
fn load(r: &Reader<'_>, key: &str) -> Result<(i64, Ticket), AppError> {
    let Some(canonical) = site::canonical_ticket_key(key) else {
        return Err(AppError::BadKey { key: key.into() });
    };
    r.ticket_by_key(&canonical)?
        .ok_or(AppError::UnknownTicket { key: canonical })
}

/// Whether a ticket's record is over: closed, cancelled or rejected (a
/// resolved one may still be reopened within its closing timer).
fn finished(cfg: &Config, t: &Ticket) -> bool {
    lifecycle::is_rejected(cfg, t)
        || cfg.workflow_for_type(&t.ticket_type).is_none_or(|wf| {
            matches!(
                lifecycle::category(wf, &t.status),
                crate::config::StateCategory::Closed | crate::config::StateCategory::Cancelled
            )
        })
}

/// Whether two keys as typed name the same ticket.
fn same_key(a: &str, b: &str) -> bool {
    match (site::canonical_ticket_key(a), site::canonical_ticket_key(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// A refusal that names roles also names the operators who hold them.
fn who_can(cfg: &Config, mut refusal: lifecycle::Refusal) -> lifecycle::Refusal {
    use lifecycle::Refusal as R;
    let holders = |roles: &[String]| -> Vec<String> {
        cfg.operators
            .iter()
            .filter(|o| o.roles.iter().any(|r| roles.contains(r.get_ref())))
            .map(|o| o.id.get_ref().clone())
            .collect()
    };
    match &mut refusal {
        R::RoleNotAllowed {
            allowed_roles: roles,
            who_can,
            ..
        }
        | R::Cutoff { roles, who_can, .. }
        | R::Threshold { roles, who_can, .. }
        | R::ApprovalMissing { roles, who_can, .. } => *who_can = holders(roles),
        // The one who took part is no second pair of eyes.
        R::FourEyes {
            roles,
            who_can,
            actor,
            ..
        } => {
            *who_can = holders(roles);
            who_can.retain(|o| o != actor);
        }
        _ => {}
    }
    refusal
}

/// Splits `NAME=VALUE`.
pub fn parse_assignment(arg: &str) -> Result<(String, String), AppError> {
    match arg.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.to_string())),
        _ => Err(AppError::BadAssignment { arg: arg.into() }),
    }
}
