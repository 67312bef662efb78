//! Tickets that hold values the configuration in force no longer has: a
//! state, type, priority, impact, urgency, service, assignee, level or
//! runbook (item) renamed or removed in the configuration files while
//! tickets had it. Nothing moves such "orphaned" tickets back by itself,
//! so `config check` and `doctor` report them ([`App::orphans`]), `list`
//! still finds them by the value they hold ([`App::resolve_filter`]), and
//! the refusals they meet say what happened and what to do.
//!
//! The report reads indexes, not tickets (`store/orphans.rs`): it stays
//! fast at a million tickets.

use super::{App, AppError};
use crate::config::{Config, Lang, StateCategory};
use crate::domain::lifecycle;
use crate::domain::ticket::Ticket;
use crate::store::{Held, ListFilter, Reader, StoreError};
use serde::Serialize;

/// How many example keys a report line names.
pub const EXAMPLES: usize = 3;

/// How many values a line spells out a `guardia list` command for.
const LIST_HINTS: usize = 3;

/// What kind of configured value tickets hold that the configuration no
/// longer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrphanKind {
    State,
    Type,
    Priority,
    Impact,
    Urgency,
    Service,
    Assignee,
    Level,
    Runbook,
    RunbookItem,
}

/// One value no longer configured, and how many tickets (runs, ticks) hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrphanValue {
    pub value: String,
    /// What the value belongs to: the ticket type of a state, the runbook
    /// of an item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    pub count: i64,
}

/// Every value of one kind that tickets hold and the configuration lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphans {
    pub kind: OrphanKind,
    /// Tickets; for a runbook, its runs; for a runbook item, its checked ticks.
    pub count: i64,
    pub values: Vec<OrphanValue>,
    /// Keys of a few of the tickets, newest first.
    pub examples: Vec<String>,
    /// What to do about them.
    pub fix: String,
}

impl Orphans {
    /// The report's line: what, how many, which, a few keys, what to do.
    pub fn line(&self) -> String {
        let values: Vec<String> = self
            .values
            .iter()
            .map(|v| match &v.within {
                Some(w) => format!("'{}' ({} {w}, {})", v.value, self.within_word(), v.count),
                None => format!("'{}' ({})", v.value, v.count),
            })
            .collect();
        format!(
            "warning: {} {}: {}; e.g. {}; {}",
            self.count,
            self.what(),
            values.join(", "),
            self.examples.join(", "),
            self.fix
        )
    }

    fn what(&self) -> &'static str {
        let one = self.count == 1;
        match (self.kind, one) {
            (OrphanKind::State, true) => "ticket is in a state its workflow no longer has",
            (OrphanKind::State, false) => "tickets are in a state their workflow no longer has",
            (OrphanKind::Type, true) => "open ticket has a type with no workflow any more",
            (OrphanKind::Type, false) => "open tickets have a type with no workflow any more",
            (OrphanKind::Priority, true) => {
                "open ticket has a priority priority.toml no longer has"
            }
            (OrphanKind::Priority, false) => {
                "open tickets have a priority priority.toml no longer has"
            }
            (OrphanKind::Impact, true) => "open ticket has an impact priority.toml no longer has",
            (OrphanKind::Impact, false) => {
                "open tickets have an impact priority.toml no longer has"
            }
            (OrphanKind::Urgency, true) => "open ticket has an urgency priority.toml no longer has",
            (OrphanKind::Urgency, false) => {
                "open tickets have an urgency priority.toml no longer has"
            }
            (OrphanKind::Service, true) => "open ticket has a service services.toml no longer has",
            (OrphanKind::Service, false) => {
                "open tickets have a service services.toml no longer has"
            }
            (OrphanKind::Assignee, true) => {
                "open ticket is assigned to an operator operators.toml no longer has"
            }
            (OrphanKind::Assignee, false) => {
                "open tickets are assigned to an operator operators.toml no longer has"
            }
            (OrphanKind::Level, true) => "open ticket is at a level escalation.toml no longer has",
            (OrphanKind::Level, false) => {
                "open tickets are at a level escalation.toml no longer has"
            }
            (OrphanKind::Runbook, true) => {
                "runbook run is of a runbook runbooks.toml no longer has"
            }
            (OrphanKind::Runbook, false) => {
                "runbook runs are of a runbook runbooks.toml no longer has"
            }
            (OrphanKind::RunbookItem, true) => {
                "runbook tick (with its evidence) is of an item its runbook no longer has"
            }
            (OrphanKind::RunbookItem, false) => {
                "runbook ticks (with their evidence) are of an item their runbook no longer has"
            }
        }
    }

    fn within_word(&self) -> &'static str {
        match self.kind {
            OrphanKind::RunbookItem => "of runbook",
            _ => "of type",
        }
    }
}

/// The states a ticket is still worked in (not closed or cancelled): the
/// ones whose tickets the report looks at for every kind but states and
/// types, which it looks at in every state.
fn unfinished_states(cfg: &Config) -> Vec<String> {
    lifecycle::states_in(
        &cfg.workflows,
        &[
            StateCategory::New,
            StateCategory::Active,
            StateCategory::Waiting,
            StateCategory::Resolved,
        ],
    )
}

/// Whether tickets in `state` are finished in every workflow that has it
/// (a state no workflow has is not known to be finished).
fn finished_everywhere(cfg: &Config, state: &str) -> bool {
    let mut categories = cfg
        .workflows
        .iter()
        .flat_map(|w| w.states.iter())
        .filter(|s| s.id.get_ref() == state)
        .map(|s| s.category)
        .peekable();
    categories.peek().is_some() && categories.all(|c| !c.is_open())
}

/// `guardia list --FLAG VALUE` for the first few values, joined.
fn list_hints(flag: &str, values: &[OrphanValue]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !seen.contains(&v.value.as_str()) && seen.len() < LIST_HINTS {
            seen.push(&v.value);
        }
    }
    seen.iter()
        .map(|v| format!("guardia list --{flag} {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What to do about orphans of `kind` (`values` for the list commands).
fn fix_for(cfg: &Config, kind: OrphanKind, values: &[OrphanValue]) -> String {
    let max = cfg.max_level();
    match kind {
        OrphanKind::State => format!(
            "put the state back in its workflow in workflows.toml (nothing moves a ticket out of a state its workflow lacks; a transition from it to the state's new name moves them on), then `guardia move` them; list them: {}",
            list_hints("status", values)
        ),
        OrphanKind::Type => "put the type back in types.toml, with its `workflow`: a ticket's type is fixed at registration, and without a workflow it can be neither moved nor rejected".into(),
        OrphanKind::Priority => format!(
            "rename it back in priority.toml, or give these tickets a configured priority: `guardia set KEY priority=auto` recomputes it from impact and urgency; list them: {}",
            list_hints("priority", values)
        ),
        OrphanKind::Impact => "rename it back in priority.toml, or set a configured one on these tickets: `guardia set KEY impact=ID` (until then their priority cannot be recomputed)".into(),
        OrphanKind::Urgency => "rename it back in priority.toml, or set a configured one on these tickets: `guardia set KEY urgency=ID` (until then their priority cannot be recomputed)".into(),
        OrphanKind::Service => format!(
            "put the service back in services.toml, or move these tickets to a configured one: `guardia set KEY service=ID`; list them: {}",
            list_hints("service", values)
        ),
        OrphanKind::Assignee => format!(
            "put the operator back in operators.toml, or reassign these tickets: `guardia assign KEY OPERATOR`; list them: {}",
            list_hints("assignee", values)
        ),
        OrphanKind::Level => format!(
            "put the level back in escalation.toml, or bring these tickets back into the matrix: `guardia escalate KEY --level N` (N from 1 to {max}); list them: {}",
            list_hints("level", values)
        ),
        OrphanKind::Runbook => "put the runbook back in runbooks.toml to tick its items again; `guardia show KEY` still shows the evidence recorded".into(),
        OrphanKind::RunbookItem => "put the item back in its runbook in runbooks.toml to tick it again; `guardia show KEY` still shows the evidence recorded".into(),
    }
}

/// Accumulates the values of one kind and their example keys.
struct Gathering {
    kind: OrphanKind,
    values: Vec<OrphanValue>,
    examples: Vec<String>,
}

impl Gathering {
    fn new(kind: OrphanKind) -> Gathering {
        Gathering {
            kind,
            values: Vec::new(),
            examples: Vec::new(),
        }
    }

    fn add(&mut self, value: &str, within: Option<&str>, count: i64, keys: Vec<String>) {
        match self
            .values
            .iter_mut()
            .find(|v| v.value == value && v.within.as_deref() == within)
        {
            Some(v) => v.count += count,
            None => self.values.push(OrphanValue {
                value: value.to_string(),
                within: within.map(str::to_string),
                count,
            }),
        }
        for k in keys {
            if self.examples.len() < EXAMPLES && !self.examples.contains(&k) {
                self.examples.push(k);
            }
        }
    }

    fn wants_examples(&self) -> bool {
        self.examples.len() < EXAMPLES
    }

    fn done(self, cfg: &Config, out: &mut Vec<Orphans>) {
        if self.values.is_empty() {
            return;
        }
        out.push(Orphans {
            kind: self.kind,
            count: self.values.iter().map(|v| v.count).sum(),
            fix: fix_for(cfg, self.kind, &self.values),
            values: self.values,
            examples: self.examples,
        });
    }
}

/// The report (see [`App::orphans`]) as read through `r`.
fn scan(cfg: &Config, r: &Reader<'_>) -> Result<Vec<Orphans>, StoreError> {
    let mut out = Vec::new();
    let mut states = Gathering::new(OrphanKind::State);
    let mut types = Gathering::new(OrphanKind::Type);
    for (ticket_type, state) in r.held_type_states()? {
        match cfg.workflow_for_type(&ticket_type) {
            Some(wf) if wf.states.iter().any(|s| s.id.get_ref() == &state) => {}
            Some(_) => {
                let (n, keys) = r.tickets_of_type(&ticket_type, Some(&state), EXAMPLES)?;
                states.add(&state, Some(&ticket_type), n, keys);
            }
            // A type no workflow moves: its finished tickets only sit there.
            None if finished_everywhere(cfg, &state) => {}
            None => {
                let (n, keys) = r.tickets_of_type(&ticket_type, Some(&state), EXAMPLES)?;
                types.add(&ticket_type, None, n, keys);
            }
        }
    }
    states.done(cfg, &mut out);
    types.done(cfg, &mut out);

    let open = unfinished_states(cfg);
    let grade =
        |grades: &[crate::config::Grade], v: &str| grades.iter().any(|g| g.id.get_ref() == v);
    let configured = |kind: OrphanKind, v: &str| match kind {
        OrphanKind::Priority => grade(&cfg.priority.priorities, v),
        OrphanKind::Impact => grade(&cfg.priority.impacts, v),
        OrphanKind::Urgency => grade(&cfg.priority.urgencies, v),
        OrphanKind::Service => cfg.service(v).is_some(),
        OrphanKind::Assignee => cfg.operator(v).is_some(),
        OrphanKind::Level => v.parse::<u8>().is_ok_and(|n| cfg.level(n).is_some()),
        // States, types and runbooks are not columns of these passes.
        OrphanKind::State | OrphanKind::Type | OrphanKind::Runbook | OrphanKind::RunbookItem => {
            true
        }
    };
    // Columns read together share one pass over each state's range.
    let passes: [&[(OrphanKind, Held)]; 4] = [
        &[
            (OrphanKind::Priority, Held::Priority),
            (OrphanKind::Level, Held::Level),
        ],
        &[
            (OrphanKind::Impact, Held::Impact),
            (OrphanKind::Urgency, Held::Urgency),
        ],
        &[(OrphanKind::Service, Held::Service)],
        &[(OrphanKind::Assignee, Held::Assignee)],
    ];
    for pass in passes {
        let columns: Vec<Held> = pass.iter().map(|(_, c)| *c).collect();
        let held = r.held_in_states(&columns, &open)?;
        for (&(kind, column), values) in pass.iter().zip(held) {
            let mut g = Gathering::new(kind);
            for v in values {
                if configured(kind, &v.value) {
                    continue;
                }
                let keys = if g.wants_examples() {
                    r.keys_holding(column, &v.value, &open, EXAMPLES)?
                } else {
                    Vec::new()
                };
                g.add(&v.value, None, v.tickets, keys);
            }
            g.done(cfg, &mut out);
        }
    }

    let mut runbooks = Gathering::new(OrphanKind::Runbook);
    let mut items = Gathering::new(OrphanKind::RunbookItem);
    for held in r.held_runbooks()? {
        match (cfg.runbook(&held.runbook), &held.item) {
            (None, None) => {
                let keys = r.keys_with_runbook(&held.runbook, None, EXAMPLES)?;
                runbooks.add(&held.runbook, None, held.count, keys);
            }
            (Some(rb), Some(item)) if !rb.items.iter().any(|i| i.id.get_ref() == item) => {
                let keys = r.keys_with_runbook(&held.runbook, Some(item), EXAMPLES)?;
                items.add(item, Some(&held.runbook), held.count, keys);
            }
            // The ticks of a runbook gone are told with its runs.
            _ => {}
        }
    }
    runbooks.done(cfg, &mut out);
    items.done(cfg, &mut out);
    Ok(out)
}

/// The note `list` prints when it filters on a value the configuration no
/// longer has, which tickets still hold (`what` as "priority 'low'").
fn held_note(lang: Lang, what_en: &str, what_es: &str, file: &str) -> String {
    match lang {
        Lang::En => {
            format!("{what_en} is not in {file}; listing the tickets that still have it")
        }
        Lang::Es => {
            format!("{what_es} no está en {file}; se listan los tickets que aún lo tienen")
        }
    }
}

impl App {
    /// Every kind of configured value that tickets hold and the
    /// configuration in force lacks, one entry per kind (empty when there
    /// is none). States and types are checked on every ticket (a state the
    /// workflow lacks cannot say whether its ticket is finished, and a
    /// finished ticket of a removed type is left alone); the other kinds on
    /// the tickets not closed or cancelled; runbooks on every run and
    /// checked tick, whose evidence `show` still shows. One read snapshot.
    pub fn orphans(&self) -> Result<Vec<Orphans>, AppError> {
        let r = self.reader();
        Ok(r.in_snapshot(|r| scan(&self.config, r))?)
    }

    /// Checks `list`'s filters against the configuration, and resolves a
    /// priority label to its id. A value the configuration does not have
    /// is still accepted when tickets hold it (a departed operator's
    /// tickets must be found to be reassigned), with a note to say so; a
    /// priority that tickets hold as their id wins over a configured
    /// priority it is the label of (`low`, stored before `low` was renamed
    /// `baja` with the label "Low"). A value neither configured nor held is
    /// refused as unknown: most likely a typo.
    pub fn resolve_filter(&self, f: &mut ListFilter) -> Result<Vec<String>, AppError> {
        let cfg = &self.config;
        let r = self.reader();
        let lang = self.lang;
        let mut notes = Vec::new();
        // Workflows share most states; each is named once, in first-seen order.
        let mut states: Vec<String> = Vec::new();
        for id in cfg
            .workflows
            .iter()
            .flat_map(|w| w.states.iter().map(|s| s.id.get_ref()))
        {
            if !states.contains(id) {
                states.push(id.clone());
            }
        }
        for s in &f.statuses {
            if states.contains(s) {
                continue;
            }
            if !r.any_ticket_holds(None, s)? {
                return Err(AppError::unknown("status", s, states));
            }
            notes.push(held_note(
                lang,
                &format!("state '{s}'"),
                &format!("el estado '{s}'"),
                "workflows.toml",
            ));
        }
        if let Some(p) = f.priority.clone() {
            let grades = &cfg.priority.priorities;
            let id = if cfg.priority_rank(&p).is_some() {
                p
            } else if r.any_ticket_holds(Some(Held::Priority), &p)? {
                let mut note = held_note(
                    lang,
                    &format!("priority '{p}'"),
                    &format!("la prioridad '{p}'"),
                    "priority.toml",
                );
                // The id tickets hold wins; the priority it names by label
                // is one flag away.
                if let Some(id) = Config::grade_id(grades, &p) {
                    note.push_str(&match lang {
                        Lang::En => format!(" ('{p}' is also the label of priority '{id}': --priority {id} lists those)"),
                        Lang::Es => format!(" ('{p}' es también la etiqueta de la prioridad '{id}': --priority {id} lista esos)"),
                    });
                }
                notes.push(note);
                p
            } else {
                super::grade_id(grades, "priority", &p)?
            };
            f.priority = Some(id);
        }
        if let Some(s) = &f.service
            && cfg.service(s).is_none()
        {
            if !r.any_ticket_holds(Some(Held::Service), s)? {
                return Err(self.unknown_service(s));
            }
            notes.push(held_note(
                lang,
                &format!("service '{s}'"),
                &format!("el servicio '{s}'"),
                "services.toml",
            ));
        }
        if let Some(Some(a)) = &f.assignee
            && cfg.operator(a).is_none()
        {
            if !r.any_ticket_holds(Some(Held::Assignee), a)? {
                return Err(AppError::unknown(
                    "operator",
                    a,
                    cfg.operators.iter().map(|o| o.id.get_ref().clone()),
                ));
            }
            notes.push(held_note(
                lang,
                &format!("operator '{a}'"),
                &format!("el operador '{a}'"),
                "operators.toml",
            ));
        }
        if let Some(l) = f.level
            && cfg.level(l).is_none()
        {
            if !r.any_ticket_holds(Some(Held::Level), &l.to_string())? {
                return Err(AppError::Invalid(format!(
                    "level {l} does not exist; the matrix has levels 1 to {}",
                    cfg.max_level()
                )));
            }
            notes.push(held_note(
                lang,
                &format!("level {l}"),
                &format!("el nivel {l}"),
                "escalation.toml",
            ));
        }
        Ok(notes)
    }
}

/// Why ticket `t` cannot be moved or rejected: its type has no workflow
/// in this configuration. Said once with its key (a refusal the caller
/// does not key again), with what to do.
pub(super) fn no_workflow(cfg: &Config, t: &Ticket) -> AppError {
    // Validation gives every configured type a workflow: the type is gone.
    let why = match cfg.ticket_type(&t.ticket_type) {
        None => format!(
            "its type '{}' is no longer in types.toml, so no workflow moves it; put the type back in types.toml, with its `workflow` (a ticket's type is fixed at registration)",
            t.ticket_type
        ),
        Some(tt) => format!(
            "its type '{}' names workflow '{}', which workflows.toml does not have",
            t.ticket_type,
            tt.workflow.get_ref()
        ),
    };
    AppError::Refused {
        key: t.key.clone(),
        message: why,
    }
}

/// Refuses to recompute the priority of `t` from an impact or urgency that
/// priority.toml no longer has: the matrix has no cell for it, and a
/// priority computed from a fallback would silently be wrong.
pub(super) fn check_grades(
    cfg: &Config,
    t: &Ticket,
    impact: &str,
    urgency: &str,
) -> Result<(), AppError> {
    let known =
        |grades: &[crate::config::Grade], v: &str| grades.iter().any(|g| g.id.get_ref() == v);
    let stale = if !known(&cfg.priority.impacts, impact) {
        Some(("impact", impact, &cfg.priority.impacts))
    } else if !known(&cfg.priority.urgencies, urgency) {
        Some(("urgency", urgency, &cfg.priority.urgencies))
    } else {
        None
    };
    let Some((what, value, grades)) = stale else {
        return Ok(());
    };
    let ids: Vec<&str> = grades.iter().map(|g| g.id.get_ref().as_str()).collect();
    Err(AppError::Refused {
        key: t.key.clone(),
        message: format!(
            "its {what} '{value}' is no longer in priority.toml (renamed or removed since it was set), so its priority cannot be recomputed; set a configured {what} in the same command (`guardia set {} {what}=ID ...`; {what}s: {}), or put '{value}' back in priority.toml",
            t.key,
            ids.join(", ")
        ),
    })
}

/// Whether `level` is a level of the escalation matrix in force.
pub(super) fn level_configured(cfg: &Config, level: u8) -> bool {
    cfg.level(level).is_some()
}

/// The refusal for a ticket at a level the matrix no longer has, when the
/// escalation asked for cannot bring it back: what happened and how to.
pub(super) fn orphan_level(cfg: &Config, t: &Ticket, asked: Option<u8>) -> AppError {
    let max = cfg.max_level();
    let asked = match asked {
        Some(l) => format!("level {l} does not exist (the matrix has levels 1 to {max}); "),
        None => String::new(),
    };
    AppError::Refused {
        key: t.key.clone(),
        message: format!(
            "{asked}the ticket is at level {}, which the escalation matrix no longer has (escalation.toml has levels 1 to {max}); bring it back into the matrix with `guardia escalate {} --level N` (N from 1 to {max}), or put level {} back in escalation.toml",
            t.level, t.key, t.level
        ),
    }
}

/// Why `item` (of runbook `want`, when given) cannot be ticked on the
/// ticket of `detail`: no runbook running on it, in this configuration,
/// has that item. When a runbook started here is no longer configured, or
/// the item was ticked here under a runbook that no longer has it, the
/// refusal says so (the evidence recorded stays, and `show` shows it)
/// instead of listing only what is left.
pub(super) fn untickable(
    cfg: &Config,
    detail: &crate::domain::ticket::TicketDetail,
    key: &str,
    want: Option<&str>,
    item: &str,
) -> AppError {
    let runs = detail
        .runbooks
        .iter()
        .filter(|run| want.is_none_or(|w| w == run.runbook));
    let mut gone: Vec<&str> = Vec::new();
    let mut known: Vec<String> = Vec::new();
    let mut dropped: Vec<&str> = Vec::new();
    for run in runs {
        match cfg.runbook(&run.runbook) {
            None => {
                if !gone.contains(&run.runbook.as_str()) {
                    gone.push(&run.runbook);
                }
            }
            Some(rb) => {
                known.extend(
                    rb.items
                        .iter()
                        .map(|i| format!("{}/{}", run.runbook, i.id.get_ref())),
                );
                let ticked_here = run.ticks.iter().any(|t| t.item == item && t.checked);
                if ticked_here && !dropped.contains(&run.runbook.as_str()) {
                    dropped.push(&run.runbook);
                }
            }
        }
    }
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if gone.is_empty() && dropped.is_empty() {
        return AppError::unknown("runbook item", item, known);
    }
    let mut message = if known.is_empty() {
        format!("cannot tick '{item}'")
    } else {
        format!("unknown runbook item '{item}'; known: {}", known.join(", "))
    };
    if !dropped.is_empty() {
        message.push_str(&format!(
            "; '{item}' was ticked on this ticket, but runbook {} no longer has that item in runbooks.toml (renamed or removed since): tick its item by the new id, or put '{item}' back",
            quoted(&dropped)
        ));
    }
    if !gone.is_empty() {
        message.push_str(&format!(
            "; runbook {} started on this ticket is no longer in runbooks.toml (renamed or removed since), so its items cannot be ticked: put it back in runbooks.toml, or start a configured runbook with `guardia runbook run NAME {key}` (see `guardia runbook list`)",
            quoted(&gone)
        ));
    }
    message.push_str(&format!(
        "; the evidence recorded stays (`guardia show {key}`)"
    ));
    AppError::Refused {
        key: detail.ticket.key.clone(),
        message,
    }
}
