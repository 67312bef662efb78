//! What the console knows between frames: the focused pane, each pane's
//! own state, the overlay stack, the last notice. Only `update` changes it;
//! views read it. Holds no database handle and no terminal.

use super::input::TextInput;
use super::keymap::{Context, Keymap};
use super::msg::{Row, WriteOp};
use super::theme::Theme;
use crate::config::{Config, Lang};
use crate::domain::ticket::TicketDetail;
use crate::store::ops::Op;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

pub use crate::store::Dashboard as DashboardData;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Queue,
    Detail,
    Escalation,
    Runbooks,
    Dashboard,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Queue,
        Pane::Detail,
        Pane::Escalation,
        Pane::Runbooks,
        Pane::Dashboard,
    ];

    /// Keymap contexts consulted for this pane, most specific first: the
    /// pane's own, then lists, then ticket actions, then global (the order
    /// docs/keybindings.md promises).
    pub fn contexts(self) -> &'static [Context] {
        match self {
            Pane::Queue => &[
                Context::Queue,
                Context::List,
                Context::Ticket,
                Context::Global,
            ],
            Pane::Detail => &[
                Context::Detail,
                Context::List,
                Context::Ticket,
                Context::Global,
            ],
            Pane::Escalation => &[
                Context::Escalation,
                Context::List,
                Context::Ticket,
                Context::Global,
            ],
            Pane::Runbooks => &[
                Context::Runbooks,
                Context::List,
                Context::Ticket,
                Context::Global,
            ],
            Pane::Dashboard => &[Context::Dashboard, Context::List, Context::Global],
        }
    }
}

/// Saved views of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Open,
    Mine,
    Unassigned,
    Level2,
    /// Until SLA clocks exist: the oldest open tickets first.
    Breaching,
    Waiting,
    /// Resolved tickets waiting for the caller's conformity, for the
    /// operator to close (or reopen): no other working view lists them.
    Resolved,
    /// Tickets with a sync conflict, in any state (docs/sync.md).
    Conflicts,
    All,
    /// The knowledge base: known errors (not cancelled), newest first, or
    /// the best matches of the `/` text by symptom.
    Known,
}

impl View {
    pub const ALL: [View; 10] = [
        View::Open,
        View::Mine,
        View::Unassigned,
        View::Level2,
        View::Breaching,
        View::Waiting,
        View::Conflicts,
        View::All,
        // After the views it joined, so their menu positions stay as they
        // were (keystrokes in scripts and muscle memory); the knowledge
        // base, not tickets, stays last.
        View::Resolved,
        View::Known,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    /// By SLA countdown: the clock that breaches first leads.
    Sla,
}

/// Field filters chosen from the filter menu, on top of the view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldFilters {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub service: Option<String>,
    pub assignee: Option<Option<String>>,
    pub level: Option<u8>,
}

/// Rows kept around the cursor; beyond this the far end is dropped and
/// fetched again when the cursor returns.
pub const WINDOW_MAX: usize = 600;
/// Rows fetched per request.
pub const PAGE: usize = 100;

#[derive(Debug, Clone)]
pub struct QueueState {
    pub rows: Vec<Row>,
    pub cursor: usize,
    pub scroll: usize,
    pub more_before: bool,
    pub more_after: bool,
    pub loading: bool,
    /// A jump to the top or the end of the queue is on its way: until its
    /// rows arrive, the row under the cursor is not the one the operator
    /// is about to act on, so keys wait in [`Console::held_keys`].
    pub jumping: bool,
    pub generation: u64,
    pub total: Option<i64>,
    pub total_capped: bool,
    /// SLA clocks of the rows, by key, as far as they have arrived.
    pub sla: std::collections::HashMap<String, super::msg::SlaBrief>,
    /// Rows whose clocks were asked for (a type with no policy never
    /// answers; it is not asked again at every move).
    pub sla_asked: std::collections::HashSet<String>,
    pub marked: BTreeSet<String>,
    pub view: View,
    pub sort: Sort,
    pub fields: FieldFilters,
    pub text: String,
    /// The `/` prompt while it is open.
    pub typing: Option<TextInput>,
    /// Rows visible at the last draw, for paging.
    pub height: usize,
    /// The ticket a change was just made to (or registered): when the
    /// refreshed rows arrive the cursor goes to it, so the next key acts
    /// on it and not on whichever row slid under the cursor.
    pub landing: Option<Landing>,
}

/// Where the cursor goes once the rows refreshed after a change arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    pub key: String,
    /// Registered just now: when the view does not list it, its detail is
    /// opened instead (the operator's next key is for it).
    pub new: bool,
    /// The state it was moved to, if it was moved: when it left the view,
    /// the notice says which view lists it now.
    pub moved_to: Option<String>,
}

impl QueueState {
    pub fn new() -> QueueState {
        QueueState {
            rows: Vec::new(),
            cursor: 0,
            scroll: 0,
            more_before: false,
            more_after: false,
            loading: true,
            jumping: false,
            generation: 0,
            total: None,
            total_capped: false,
            sla: std::collections::HashMap::new(),
            sla_asked: std::collections::HashSet::new(),
            marked: BTreeSet::new(),
            view: View::Open,
            sort: Sort::Newest,
            fields: FieldFilters::default(),
            text: String::new(),
            typing: None,
            height: 20,
            landing: None,
        }
    }

    pub fn selected(&self) -> Option<&Row> {
        self.rows.get(self.cursor)
    }
}

impl Default for QueueState {
    fn default() -> Self {
        QueueState::new()
    }
}

#[derive(Debug, Clone, Default)]
pub struct DetailState {
    pub key: Option<String>,
    pub detail: Option<Box<TicketDetail>>,
    pub log: Vec<Op>,
    /// The shown ticket's sync conflicts (shown at the top of the detail).
    pub conflicts: Vec<super::msg::Conflict>,
    /// Known errors that may apply, linked incidents or reports.
    pub extras: super::msg::DetailExtras,
    pub scroll: usize,
    pub generation: u64,
    pub loading: bool,
    pub height: usize,
}

#[derive(Debug, Clone, Default)]
pub struct EscalationState {
    /// Index into the configured levels.
    pub cursor: usize,
    /// Escalation of this ticket was asked for before it was loaded.
    pub form_pending: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RunbooksState {
    pub cursor: usize,
    pub scroll: usize,
    pub height: usize,
}

#[derive(Debug, Clone, Default)]
pub struct DashboardState {
    pub data: Option<Box<DashboardData>>,
    /// The database changed since `data` was read.
    pub stale: bool,
    pub generation: u64,
}

/// A choice in a menu overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    pub label: String,
    pub value: String,
}

/// What a menu's choice is for.
#[derive(Debug, Clone, PartialEq)]
pub enum MenuPurpose {
    Status,
    AssignTo,
    Priority,
    SetField,
    RejectReason,
    FilterField,
    FilterValue(String),
    View,
    Sort,
    /// Which dossier `Y` copies: the one sent by the ticket's last
    /// escalation, or the one for the next level.
    DossierCopy,
    /// The same for `W`.
    DossierWrite,
}

/// What a one-line prompt's text is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptPurpose {
    Comment {
        key: String,
    },
    Worklog {
        key: String,
    },
    Evidence {
        key: String,
        item: String,
    },
    PriorityJustification {
        key: String,
        priority: String,
    },
    FieldValue {
        key: String,
        field: String,
        /// What the field held when the prompt opened with it
        /// (`app::field_value`): the change is refused if the field holds
        /// something else by then, so nobody's change is undone unseen.
        base: Option<Value>,
    },
    RejectNote {
        key: String,
        code: String,
    },
    StatusNote {
        keys: Vec<String>,
        state: String,
    },
    DossierPath {
        key: String,
        level: u8,
        /// The Markdown to write: the dossier sent by an escalation, or the
        /// dossier form's with what is typed in it. `None`: the dossier for
        /// `level` as the database has it when the file is written.
        text: Option<String>,
    },
    /// The key of the major incident the tickets are attached to.
    MajorAttach {
        keys: Vec<String>,
    },
}

/// One missing dossier field being filled in the escalation form.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierField {
    pub field: String,
    pub label: String,
    pub help: Option<String>,
    pub input: TextInput,
    /// What the field held when the form opened (no value, as a rule): the
    /// escalation is refused if it holds something else by then.
    pub base: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DossierForm {
    pub key: String,
    pub level: u8,
    pub level_name: String,
    /// Items already documented, shown for context.
    pub present: Vec<(String, String)>,
    /// Exactly the items still missing.
    pub missing: Vec<DossierField>,
    pub selected: usize,
    pub error: Option<String>,
    /// `Esc` was pressed once with values typed: the form says that `Esc`
    /// again discards them, and any other key goes on editing.
    pub discard_armed: bool,
}

/// One input of the new-ticket form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    pub id: String,
    pub label: String,
    pub required: bool,
    /// Choices for pick-one fields (type, service, impact, urgency, choice kinds).
    pub choices: Vec<MenuItem>,
    pub input: TextInput,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTicketForm {
    pub fields: Vec<FormField>,
    pub selected: usize,
    pub priority_preview: String,
    pub similar: Vec<(String, String)>,
    pub similar_generation: u64,
    pub error: Option<String>,
    /// As in the dossier form: `Esc` once with text typed asks first.
    pub discard_armed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Palette {
        input: TextInput,
        selected: usize,
    },
    Menu {
        title: String,
        items: Vec<MenuItem>,
        selected: usize,
        purpose: MenuPurpose,
        /// Tickets the choice applies to.
        keys: Vec<String>,
    },
    Prompt {
        title: String,
        input: TextInput,
        purpose: PromptPurpose,
        /// Why the text was refused (before sending, or by the database
        /// after it): shown in the prompt until it is sent again or closed,
        /// so it stays readable while the text is corrected.
        error: Option<String>,
        /// Lines shown under the text, each whole on its own line (the
        /// likely originals of a duplicate): a title is cut to the box.
        info: Vec<String>,
    },
    Dossier(DossierForm),
    NewTicket(NewTicketForm),
}

impl PromptPurpose {
    /// The tickets the prompt's text is for.
    pub fn keys(&self) -> Vec<String> {
        match self {
            PromptPurpose::Comment { key }
            | PromptPurpose::Worklog { key }
            | PromptPurpose::Evidence { key, .. }
            | PromptPurpose::PriorityJustification { key, .. }
            | PromptPurpose::FieldValue { key, .. }
            | PromptPurpose::RejectNote { key, .. }
            | PromptPurpose::DossierPath { key, .. } => vec![key.clone()],
            PromptPurpose::StatusNote { keys, .. } | PromptPurpose::MajorAttach { keys } => {
                keys.clone()
            }
        }
    }
}

impl Overlay {
    /// The tickets a menu or prompt acts on (named in its title, so a
    /// marked ticket scrolled off screen is never changed unseen); empty
    /// for overlays about no ticket.
    pub fn target(&self) -> Vec<String> {
        match self {
            Overlay::Menu { keys, .. } => keys.clone(),
            Overlay::Prompt { purpose, .. } => purpose.keys(),
            _ => Vec::new(),
        }
    }
}

/// How a title names the tickets it acts on: the key, two keys, or how
/// many are marked.
pub fn target_label(keys: &[String], lang: Lang) -> Option<String> {
    match keys {
        [] => None,
        [one] => Some(one.clone()),
        [a, b] => Some(format!("{a}, {b}")),
        many => Some(super::i18n::catalogue(lang).marked.of(many.len() as i64)),
    }
}

/// A prompt or form whose text was sent as `op`: if the database refuses
/// the change, the overlay opens again as it was, with the refusal, so
/// nothing typed is lost to a wrong value.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub op: WriteOp,
    pub overlay: Overlay,
    /// Overlays that were open under it when it was sent (a file name
    /// prompt opened from the dossier form has the form under it): it opens
    /// again on top of them while they are still all that is open.
    pub under: usize,
}

/// Drafts kept at most: writes are answered in order within milliseconds,
/// so more waiting than this means the answers were lost (and the oldest
/// are dropped).
pub const DRAFTS_MAX: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// Cut to the terminal's width instead of wrapped (a background job's
    /// outcome: `guardia sync status` or `doctor` give the whole story).
    pub one_line: bool,
    /// Neither done nor refused (an empty comment: nothing was saved): no
    /// success mark, no error mark.
    pub neutral: bool,
}

/// Long work running in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub label: String,
    pub started: DateTime<Utc>,
}

/// Who is at the keyboard.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `None`: nobody configured for this OS account; the console is read-only.
    pub operator: Option<String>,
    pub why_read_only: Option<String>,
}

/// The whole console state.
pub struct Console {
    pub config: Arc<Config>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub lang: Lang,
    pub identity: Identity,
    /// Shown in the title bar: organisation and database.
    pub title: String,
    pub focus: Pane,
    /// The pane Esc returns to from the detail at narrow widths.
    pub width: u16,
    pub height: u16,
    pub queue: QueueState,
    pub detail: DetailState,
    pub escalation: EscalationState,
    pub runbooks: RunbooksState,
    pub dashboard: DashboardState,
    pub overlays: Vec<Overlay>,
    pub notice: Option<Notice>,
    /// Major incidents being worked, newest first: the banner under the
    /// title bar shows while there is any.
    pub majors: Vec<super::msg::MajorBrief>,
    pub job: Option<Job>,
    /// Keys typed while a jump was on its way, replayed in order when its
    /// rows arrive (`Gc` comments on the last ticket, not the first).
    pub held_keys: Vec<super::keymap::Key>,
    /// Prompts and forms whose change is on its way to the database.
    pub drafts: Vec<Draft>,
    pub quit: bool,
    /// Source of generation numbers for fetches.
    pub generations: u64,
    pub mouse: bool,
    /// The example database (made for trying guardia out): it never syncs,
    /// so its invented tickets never reach a real site's shared folder.
    pub example: bool,
    /// The configuration files changed on disk since the console started
    /// (the worker watches them): what the status line keeps saying, as
    /// the worker refuses changes until the console is restarted.
    pub config_changed: Option<String>,
}

/// Width from which the queue and the detail share the screen.
pub const SPLIT_WIDTH: u16 = 120;
/// The detail's share of a split screen, in percent.
pub const DETAIL_PERCENT: u16 = 42;

impl Console {
    /// The prompt or form that sent `op`, taken off the waiting drafts.
    pub fn take_draft(&mut self, op: &WriteOp) -> Option<Draft> {
        let i = self.drafts.iter().position(|d| d.op == *op)?;
        Some(self.drafts.remove(i))
    }

    pub fn new(
        config: Arc<Config>,
        keymap: Keymap,
        theme: Theme,
        lang: Lang,
        identity: Identity,
        title: String,
    ) -> Console {
        Console {
            config,
            keymap,
            theme,
            lang,
            identity,
            title,
            focus: Pane::Queue,
            width: 80,
            height: 24,
            queue: QueueState::new(),
            detail: DetailState::default(),
            escalation: EscalationState::default(),
            runbooks: RunbooksState::default(),
            dashboard: DashboardState::default(),
            overlays: Vec::new(),
            notice: None,
            majors: Vec::new(),
            job: None,
            held_keys: Vec::new(),
            drafts: Vec::new(),
            quit: false,
            generations: 0,
            mouse: false,
            example: false,
            config_changed: None,
        }
    }

    pub fn split(&self) -> bool {
        self.width >= SPLIT_WIDTH && matches!(self.focus, Pane::Queue | Pane::Detail)
    }

    pub fn next_generation(&mut self) -> u64 {
        self.generations += 1;
        self.generations
    }

    /// The ticket the ticket actions apply to: the opened one, else the
    /// queue's selection.
    pub fn current_key(&self) -> Option<String> {
        match self.focus {
            // One marked ticket is the one meant, wherever the cursor went.
            Pane::Queue if self.queue.marked.len() == 1 => self.queue.marked.first().cloned(),
            Pane::Queue => self.queue.selected().map(|r| r.ticket.key.clone()),
            _ => self
                .detail
                .key
                .clone()
                .or_else(|| self.queue.selected().map(|r| r.ticket.key.clone())),
        }
    }

    /// Several tickets are marked: an action on one ticket would be ambiguous.
    pub fn several_marked(&self) -> bool {
        self.focus == Pane::Queue && self.queue.marked.len() > 1
    }

    /// Marked tickets, or the current one when none is marked.
    pub fn target_keys(&self) -> Vec<String> {
        if self.focus == Pane::Queue && !self.queue.marked.is_empty() {
            self.queue.marked.iter().cloned().collect()
        } else {
            self.current_key().into_iter().collect()
        }
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
            one_line: false,
            neutral: false,
        });
    }

    pub fn complain(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: true,
            one_line: false,
            neutral: false,
        });
    }

    /// A notice of something that neither succeeded nor failed (nothing
    /// was done): the `✓` of `say` would read as "saved".
    pub fn inform(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
            one_line: false,
            neutral: true,
        });
    }

    /// A background job's outcome (a sync, doctor): one line, cut to the
    /// terminal's width.
    pub fn tell_outcome(&mut self, outcome: Result<String, String>) {
        let (text, error) = match outcome {
            Ok(text) => (text, false),
            Err(text) => (text, true),
        };
        self.notice = Some(Notice {
            text,
            error,
            one_line: true,
            neutral: false,
        });
    }
}
