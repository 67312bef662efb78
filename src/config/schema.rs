//! The shape of every configuration file, as serde types. Identifiers that
//! other files refer to are `Spanned`, so validation can point at the line.
//! This module only describes data; checks live in `validate`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// A label in the two languages the product speaks.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub es: String,
    pub en: String,
}

impl Label {
    pub fn get(&self, lang: crate::config::Lang) -> &str {
        match lang {
            crate::config::Lang::Es => &self.es,
            crate::config::Lang::En => &self.en,
        }
    }
}

/// `guardia.toml`: the organisation and its defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub organisation: Organisation,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub ui: Ui,
    /// `[sync]`: where the console's background sync goes; absent: none.
    #[serde(default)]
    pub sync: Option<SyncTarget>,
    /// `[costs]`: what an hour of logged work costs, for problems' totals.
    #[serde(default)]
    pub costs: Costs,
}

/// `[costs]`: how a problem's cost counts the work logged on its incidents
/// (seed 003 §3.3 prices resources; logged minutes are priced at one rate).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Cost of one hour of logged work; 0 leaves work out of the totals.
    #[serde(default = "no_rate")]
    pub hourly_rate: Spanned<f64>,
    /// Shown after amounts, e.g. "USD"; empty shows none.
    #[serde(default)]
    pub currency: String,
}

/// `[sync]`: the console's sync target, a shared folder or a git
/// repository (exactly one), as `guardia sync folder` / `sync git` take them.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SyncTarget {
    /// An absolute path to the shared folder.
    #[serde(default)]
    pub folder: Option<Spanned<String>>,
    /// A repository git understands (URL or path).
    #[serde(default)]
    pub git: Option<Spanned<String>>,
    /// The git branch; `guardia-sync` when not given.
    #[serde(default)]
    pub branch: Option<Spanned<String>>,
}

/// Where a sync goes, once `[sync]` is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncVia {
    Folder(std::path::PathBuf),
    Git { repo: String, branch: String },
}

/// The branch `guardia sync git` uses when none is given.
pub const DEFAULT_SYNC_BRANCH: &str = "guardia-sync";

impl SyncTarget {
    /// The folder or repository; `None` when `[sync]` names neither (which
    /// validation refuses, so a loaded configuration never has that).
    pub fn via(&self) -> Option<SyncVia> {
        match (&self.folder, &self.git) {
            (Some(f), None) => Some(SyncVia::Folder(f.get_ref().into())),
            (None, Some(g)) => Some(SyncVia::Git {
                repo: g.get_ref().clone(),
                branch: self
                    .branch
                    .as_ref()
                    .map_or_else(|| DEFAULT_SYNC_BRANCH.to_string(), |b| b.get_ref().clone()),
            }),
            _ => None,
        }
    }
}

fn no_rate() -> Spanned<f64> {
    Spanned::new(0..0, 0.0)
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            hourly_rate: no_rate(),
            currency: String::new(),
        }
    }
}

/// `[ui]`: how the console looks and listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    /// `default` (16 colours), `light` or `mono`; `NO_COLOR` forces `mono`.
    #[serde(default = "default_theme")]
    pub theme: Spanned<String>,
    /// Mouse wheel scrolling; off by default so the terminal's own text
    /// selection (copying a ticket key) keeps working.
    #[serde(default)]
    pub mouse: bool,
}

fn default_theme() -> Spanned<String> {
    Spanned::new(0..0, "default".to_string())
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            theme: default_theme(),
            mouse: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    #[serde(default)]
    pub help_desk_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Site code used by `init` when `--site` is not given.
    #[serde(default = "default_site_code")]
    pub site_code: String,
    /// Ticket type used by `new` when `--type` is not given.
    #[serde(default)]
    pub ticket_type: Option<Spanned<String>>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            site_code: default_site_code(),
            ticket_type: None,
        }
    }
}

fn default_site_code() -> String {
    "BOG".to_string()
}

/// `fields.toml`: the catalogue of ticket fields beyond title and description.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldsFile {
    #[serde(default, rename = "field")]
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    Email,
    Phone,
    Number,
    Choice,
    Boolean,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub id: Spanned<String>,
    pub label: Label,
    pub kind: FieldKind,
    /// Allowed values for `choice` fields.
    #[serde(default)]
    pub choices: Vec<String>,
    /// Shown to the operator when asking for the value (e.g. a seed's key question).
    #[serde(default)]
    pub help: Option<String>,
    /// For `number` fields: the smallest and largest value accepted (an
    /// estimate below zero would slip under a threshold).
    #[serde(default)]
    pub min: Option<Spanned<f64>>,
    #[serde(default)]
    pub max: Option<Spanned<f64>>,
    /// For `number` fields: only whole numbers (a count of people).
    #[serde(default)]
    pub whole: Option<Spanned<bool>>,
}

impl FieldDef {
    /// Whether only whole numbers are accepted.
    pub fn is_whole(&self) -> bool {
        self.whole.as_ref().is_some_and(|w| *w.get_ref())
    }
}

/// `types.toml`: ticket types with their mandatory and optional fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypesFile {
    #[serde(default, rename = "type")]
    pub types: Vec<TicketType>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketType {
    pub id: Spanned<String>,
    pub name: Label,
    pub workflow: Spanned<String>,
    #[serde(default)]
    pub mandatory: Vec<Spanned<String>>,
    #[serde(default)]
    pub optional: Vec<Spanned<String>>,
    /// Where the procedure comes from, for the operator's orientation.
    #[serde(default)]
    pub source: Option<String>,
    /// What the type's tickets record: ordinary tickets (the default),
    /// problems or known errors (seed 003 §3–4). Fixed when a ticket is
    /// created: its creation carries it, so the log replays without the
    /// configuration.
    #[serde(default)]
    pub record: RecordKind,
}

/// What a ticket type records.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// Incidents, requests: the work of the queue.
    #[default]
    Ticket,
    /// A condition behind one or more incidents (seed 003 §3).
    Problem,
    /// A known error or solution: symptom, root cause, workaround (seed 003 §4).
    KnownError,
}

impl RecordKind {
    /// The name in types.toml, in the log (`record` of a creation) and in `--json`.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Ticket => "ticket",
            RecordKind::Problem => "problem",
            RecordKind::KnownError => "known_error",
        }
    }
}

/// `services.toml`: the service catalogue (seed 000 §2, §4, §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesFile {
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: Spanned<String>,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub authentication: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub consumers: String,
    /// Availability of the service itself, e.g. "7x24".
    pub availability: String,
    /// When support is available, e.g. "Jornada laboral".
    pub support_hours: String,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub contract: String,
    #[serde(default)]
    pub glossary: Vec<GlossaryEntry>,
    #[serde(default, rename = "component")]
    pub components: Vec<Component>,
    #[serde(default, rename = "related")]
    pub related: Vec<RelatedApp>,
    /// Per-service changes to what escalating to a level requires (seed 000 §14).
    #[serde(default, rename = "escalation")]
    pub escalation: Vec<ServiceEscalation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlossaryEntry {
    pub term: String,
    pub meaning: String,
}

/// A component with its RACI assignment (seed 000 §4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: String,
    #[serde(default)]
    pub responsible: String,
    #[serde(default)]
    pub accountable: String,
    #[serde(default)]
    pub consulted: String,
    #[serde(default)]
    pub informed: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    Medium,
    High,
}

/// A related application and how critical its integration is (seed 000 §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedApp {
    pub id: Spanned<String>,
    pub name: String,
    pub relation: String,
    pub criticality: Criticality,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEscalation {
    pub level: Spanned<u8>,
    #[serde(default)]
    pub not_applicable: bool,
    #[serde(default)]
    pub dossier: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `escalation.toml`: the functional escalation matrix (seed 000 §3, §13).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationFile {
    #[serde(default, rename = "level")]
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub n: Spanned<u8>,
    pub name: Label,
    /// The role that works tickets at this level.
    pub role: Spanned<String>,
    pub group: String,
    #[serde(default)]
    pub hours: String,
    /// Fields that must be documented before a ticket escalates *to* this level.
    #[serde(default)]
    pub dossier: Vec<Spanned<String>>,
    /// "No aplica": nothing is required to escalate to this level.
    #[serde(default)]
    pub not_applicable: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default, rename = "contact")]
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub hours: String,
}

/// `priority.toml`: impact × urgency matrix and raising rules (seed 000 §8, seed 004).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityFile {
    #[serde(rename = "priority")]
    pub priorities: Vec<Grade>,
    #[serde(rename = "impact")]
    pub impacts: Vec<Grade>,
    #[serde(rename = "urgency")]
    pub urgencies: Vec<Grade>,
    pub default_impact: Spanned<String>,
    pub default_urgency: Spanned<String>,
    /// matrix[impact][urgency] = priority
    pub matrix: Spanned<BTreeMap<String, BTreeMap<String, Spanned<String>>>>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<PriorityRule>,
}

/// One step of an ordered scale (priority, impact or urgency); listed highest first.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub id: Spanned<String>,
    pub name: Label,
    #[serde(default)]
    pub description: Option<Label>,
}

/// Raises the priority to at least `min_priority` when every condition holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityRule {
    pub id: Spanned<String>,
    pub description: Label,
    /// The ticket's `affected_application` is a related application of its
    /// service with at least this criticality.
    #[serde(default)]
    pub related_criticality: Option<Criticality>,
    /// A ticket field that must be set ...
    #[serde(default)]
    pub field: Option<Spanned<String>>,
    /// ... to one of these values (empty: any non-empty value, or `true`).
    #[serde(default)]
    pub values: Vec<String>,
    pub min_priority: Spanned<String>,
}

/// `rejections.toml`: coded reasons to reject a ticket (seed 000 §16).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectionsFile {
    #[serde(rename = "reason")]
    pub reasons: Vec<RejectionReason>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RejectionAction {
    #[default]
    None,
    /// The ticket must name the original it duplicates.
    Duplicate,
    /// The caller is routed to the major-incident path (incident managers).
    MajorIncident,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectionReason {
    pub code: Spanned<String>,
    pub label: Label,
    #[serde(default)]
    pub action: RejectionAction,
    /// What to tell the caller.
    #[serde(default)]
    pub guidance: Option<Label>,
    /// The ticket types (types.toml ids) this reason rejects: a reason
    /// belongs to one procedure (the OSF §16 ones to OSF incidents, an
    /// incomplete request to the support procedure). Absent: every type.
    #[serde(default)]
    pub types: Option<Vec<Spanned<String>>>,
    /// The ticket's priority must be at least this one (priority.toml):
    /// `critical` rejects a ticket categorised as critical (seed 000 §16).
    #[serde(default)]
    pub min_priority: Option<Spanned<String>>,
}

impl RejectionReason {
    /// Whether this reason may reject a ticket of type `type_id`.
    pub fn applies_to(&self, type_id: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|ts| ts.iter().any(|t| t.get_ref() == type_id))
    }
}

/// `runbooks.toml`: checklists (seed 000 §7, §9, §10; seed 002 §2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbooksFile {
    #[serde(default, rename = "runbook")]
    pub runbooks: Vec<Runbook>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub id: Spanned<String>,
    pub name: Label,
    #[serde(default)]
    pub description: String,
    /// Services it applies to; empty means every service.
    #[serde(default)]
    pub services: Vec<Spanned<String>>,
    /// Completing it counts as "level-1 checks done" in an escalation dossier.
    #[serde(default)]
    pub level1_checks: bool,
    #[serde(rename = "item")]
    pub items: Vec<RunbookItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookItem {
    pub id: Spanned<String>,
    pub text: String,
    #[serde(default)]
    pub hint: Option<String>,
}

/// `operators.toml`: roles and the people who hold them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorsFile {
    #[serde(rename = "role")]
    pub roles: Vec<Role>,
    #[serde(rename = "operator")]
    pub operators: Vec<Operator>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: Spanned<String>,
    pub name: Label,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub id: Spanned<String>,
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub roles: Vec<Spanned<String>>,
    /// Highest escalation level this person works at.
    pub level: Spanned<u8>,
    /// OS accounts allowed to act as this operator; empty means any account.
    #[serde(default)]
    pub logins: Vec<String>,
    /// May act as any other operator (`--as`), e.g. a supervisor covering a shift.
    #[serde(default)]
    pub act_as_others: bool,
}

/// `workflows.toml`: state machines (the configurable engine grows in a later issue).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowsFile {
    #[serde(rename = "workflow")]
    pub workflows: Vec<Workflow>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateCategory {
    New,
    Active,
    Waiting,
    Resolved,
    Closed,
    Cancelled,
}

impl StateCategory {
    /// The name used in workflows.toml (and `--json`).
    pub fn name(self) -> &'static str {
        match self {
            StateCategory::New => "new",
            StateCategory::Active => "active",
            StateCategory::Waiting => "waiting",
            StateCategory::Resolved => "resolved",
            StateCategory::Closed => "closed",
            StateCategory::Cancelled => "cancelled",
        }
    }

    /// Closed and cancelled tickets are no longer in anybody's queue.
    pub fn is_open(self) -> bool {
        !matches!(self, StateCategory::Closed | StateCategory::Cancelled)
    }

    /// Resolved, closed or cancelled: the work is done, so the SLA clock has
    /// stopped and the ticket escalates no more.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            StateCategory::Resolved | StateCategory::Closed | StateCategory::Cancelled
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub id: Spanned<String>,
    pub name: Label,
    pub initial: Spanned<String>,
    /// State entered automatically when a ticket in the initial state is assigned.
    #[serde(default)]
    pub on_assign: Option<Spanned<String>>,
    /// State entered by `reject`.
    #[serde(default)]
    pub rejected: Option<Spanned<String>>,
    #[serde(rename = "state")]
    pub states: Vec<State>,
    #[serde(rename = "transition")]
    pub transitions: Vec<Transition>,
    /// Named approvals a transition guard can ask for (`guardia approve`).
    #[serde(default, rename = "approval")]
    pub approvals: Vec<ApprovalDef>,
    /// Transitions the system takes after a time in a state.
    #[serde(default, rename = "timer")]
    pub timers: Vec<Timer>,
    /// Actions allowed only in some states (an action not listed is allowed
    /// in every state).
    #[serde(default, rename = "action")]
    pub actions: Vec<ActionRule>,
    /// Moves of linked tickets that follow a move (seed 003 §6).
    #[serde(default, rename = "cascade")]
    pub cascades: Vec<Cascade>,
}

/// When a ticket of this workflow enters `on`, the tickets linked to it as
/// `link` move to `to` (a state of their own workflow), recorded by the
/// system. `direction` says which side of the link: `outgoing` (links this
/// ticket made, the default) or `incoming` (tickets that link to it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cascade {
    pub on: Spanned<String>,
    pub link: Spanned<String>,
    #[serde(default)]
    pub direction: CascadeDirection,
    pub to: Spanned<String>,
    /// Only linked tickets of these types move; empty: any type.
    #[serde(default)]
    pub types: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CascadeDirection {
    #[default]
    Outgoing,
    Incoming,
}

/// The kinds of link between tickets (`guardia link --kind`).
///
/// `problem`: an incident caused by a problem; `known_error`: an incident
/// to which a known error's workaround was applied (`guardia known apply`);
/// `major`: a child incident of a major incident (`guardia major attach`).
pub const LINK_KINDS: &[&str] = &["related", "problem", "known_error", "major"];

/// A named approval: who may give it. Recorded by `guardia approve KEY ID
/// --reason`, valid until the ticket leaves the state it was given in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDef {
    pub id: Spanned<String>,
    pub name: Label,
    pub roles: Vec<Spanned<String>>,
}

/// After `after` in state `state` (wall-clock, or business time of
/// `calendar`), the system moves the ticket to `to`, recorded at the moment
/// it was due.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timer {
    #[serde(rename = "in")]
    pub state: Spanned<String>,
    pub after: Spanned<String>,
    #[serde(default)]
    pub calendar: Option<Spanned<String>>,
    pub to: Spanned<String>,
    #[serde(default)]
    pub note: String,
}

/// An action (see `WORKFLOW_ACTIONS`) allowed only in `states`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRule {
    pub action: Spanned<String>,
    pub states: Vec<Spanned<String>>,
}

/// The actions a workflow can restrict to some states.
pub const WORKFLOW_ACTIONS: &[&str] = &[
    "set", "assign", "comment", "worklog", "attach", "escalate", "runbook", "link",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub id: Spanned<String>,
    pub name: Label,
    pub category: StateCategory,
    /// Fields (of fields.toml) that cannot change while a ticket is in this
    /// state, nor on a move into it (unless that move requires them): what
    /// was verified or authorised on the way here is what goes ahead.
    /// Changing one means taking the ticket back to a state that does not
    /// lock it, and through the steps again.
    #[serde(default)]
    pub locks: Vec<Spanned<String>>,
}

impl State {
    /// Whether this state locks `field`.
    pub fn locks(&self, field: &str) -> bool {
        self.locks.iter().any(|f| f.get_ref() == field)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub from: Vec<Spanned<String>>,
    pub to: Spanned<String>,
    /// Roles allowed to take it; empty means any operator.
    #[serde(default)]
    pub roles: Vec<Spanned<String>>,
    /// Ticket fields that must be set on entering `to`.
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    /// Four eyes: the actor must not be whoever last moved the ticket into
    /// this earlier state.
    #[serde(default)]
    pub four_eyes: Option<Spanned<String>>,
    /// Allowed only before a local time on business days, unless approved.
    #[serde(default)]
    pub cutoff: Option<Cutoff>,
    /// When a field exceeds a value, more fields and an approval are needed.
    #[serde(default)]
    pub threshold: Option<Threshold>,
    /// An approval always needed (an `approval` id of this workflow).
    #[serde(default)]
    pub approval: Option<Spanned<String>>,
    /// Record the resolution time (business and calendar) in the
    /// `resolution_time` field on the way in.
    #[serde(default)]
    pub record_resolution_time: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    /// Local time `HH:MM` of `calendar`.
    pub before: Spanned<String>,
    pub calendar: Spanned<String>,
    /// The approval that authorises an exception (who and why are recorded).
    pub exception: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// A number field.
    pub field: Spanned<String>,
    #[serde(deserialize_with = "finite")]
    pub above: f64,
    /// Fields needed when the value is above the threshold.
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    /// The approval needed when the value is above the threshold.
    pub approval: Spanned<String>,
}

/// A threshold that is a number: `nan` is above nothing and `inf` above
/// everything, so either would switch the approval off without a word.
fn finite<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "'above' = {} is a value no number can be compared with (the threshold would never or always apply); write a number such as 1000",
            v.to_string().to_lowercase()
        )))
    }
}

/// `calendars.toml`: business calendars that SLA clocks count in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarsFile {
    #[serde(default, rename = "calendar")]
    pub calendars: Vec<CalendarDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDef {
    pub id: Spanned<String>,
    pub name: Label,
    /// An IANA time zone, e.g. `America/Bogota`.
    pub time_zone: Spanned<String>,
    /// A country whose shipped public holidays apply (`CO`, `PY`, `MX`, `ES`).
    #[serde(default)]
    pub holidays_of: Option<Spanned<String>>,
    #[serde(default)]
    pub extra_holidays: Vec<Spanned<toml::value::Datetime>>,
    pub week: WeekDef,
}

/// Working ranges per weekday, `"HH:MM-HH:MM"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekDef {
    #[serde(default)]
    pub mon: Vec<Spanned<String>>,
    #[serde(default)]
    pub tue: Vec<Spanned<String>>,
    #[serde(default)]
    pub wed: Vec<Spanned<String>>,
    #[serde(default)]
    pub thu: Vec<Spanned<String>>,
    #[serde(default)]
    pub fri: Vec<Spanned<String>>,
    #[serde(default)]
    pub sat: Vec<Spanned<String>>,
    #[serde(default)]
    pub sun: Vec<Spanned<String>>,
}

impl WeekDef {
    /// The days, Monday first.
    pub fn days(&self) -> [&[Spanned<String>]; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// `assets/calendars/holidays.toml`: public holidays shipped as data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaysFile {
    #[serde(rename = "holiday")]
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub country: String,
    pub date: toml::value::Datetime,
    pub name: String,
}

/// `sla.toml`: response and resolution targets in business time.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaFile {
    #[serde(default, rename = "policy")]
    pub policies: Vec<SlaPolicy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub id: Spanned<String>,
    pub name: Label,
    /// Ticket types it covers; empty means every type.
    #[serde(default)]
    pub types: Vec<Spanned<String>>,
    pub calendar: Spanned<String>,
    /// States in which the clocks run, by id.
    #[serde(default)]
    pub running: Vec<Spanned<String>>,
    /// Categories whose states run the clocks (`new`, `active`, …): valid
    /// for any workflow, whatever its states are called.
    #[serde(default)]
    pub running_categories: Vec<StateCategory>,
    #[serde(default = "default_warn_percent")]
    pub warn_percent: Spanned<u32>,
    /// Targets per priority id.
    pub targets: Spanned<BTreeMap<String, SlaTarget>>,
}

fn default_warn_percent() -> Spanned<u32> {
    Spanned::new(0..0, 75)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTarget {
    pub response: Spanned<String>,
    pub resolution: Spanned<String>,
}
