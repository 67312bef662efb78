//! The messages between the console's parts: `Msg` goes into `update`,
//! `Effect` comes out of it, `Request` goes to the database worker and
//! `Reply` comes back. Requests that fetch carry a generation number so a
//! reply to a superseded request (an older filter) is dropped.

use super::keymap::Key;
use crate::app::NewTicket;
use crate::domain::ticket::{Ticket, TicketDetail};
use crate::store::ListFilter;
use crate::store::ops::Op;
use serde_json::Value;

/// Input to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Paste(String),
    Resize(u16, u16),
    Reply(Reply),
    /// Text written in `$EDITOR` for a comment on `key` (None: left empty).
    EditorDone {
        key: String,
        text: Option<String>,
    },
    /// A second passed while something time-based is visible.
    Tick,
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(Request),
    /// Suspend the console and edit a comment for `key` in `$EDITOR`.
    OpenEditor {
        key: String,
    },
    /// Put text on the clipboard through the terminal (OSC 52).
    Copy(String),
    /// Clear and repaint everything.
    FullRedraw,
    Quit,
}

/// Which end of the list a page is fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageDir {
    /// From the start of the list (or after `after`).
    Forward,
    /// Towards the start, before `before` (or the very end of the list).
    Backward,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Page {
        generation: u64,
        filter: ListFilter,
        dir: PageDir,
        /// Row number the page continues from.
        from: Option<i64>,
        /// Replace the rows instead of extending them.
        reset: bool,
    },
    Count {
        generation: u64,
        filter: ListFilter,
    },
    Detail {
        generation: u64,
        key: String,
    },
    Dashboard {
        generation: u64,
    },
    Similar {
        generation: u64,
        service: String,
        title: String,
    },
    /// Earlier tickets like the shown one, solved: read after its detail
    /// is drawn (a full-text search over the whole history is slower than
    /// the detail itself at a million tickets).
    Solved {
        generation: u64,
        key: String,
    },
    /// The open tickets a ticket being rejected as a duplicate most
    /// likely repeats.
    Originals {
        key: String,
        /// The rejection reason (a duplicate's), so that the answer fills
        /// only the prompt that asked for it.
        code: String,
    },
    Write(WriteOp),
    Doctor,
    /// Sync with the other sites through the configured folder or
    /// repository, in the background.
    Sync(crate::config::SyncVia),
    /// The SLA clocks of these queue rows.
    Sla {
        generation: u64,
        keys: Vec<String>,
    },
    /// A page of the "Known errors" view: newest first after the key
    /// `after`, or, when `text` has a word to search, the best matches of
    /// the knowledge index (one page, ranked). Rows are numbered from
    /// `from` on, so the queue's paging treats them like any page.
    Known {
        generation: u64,
        service: Option<String>,
        text: String,
        after: Option<String>,
        from: Option<i64>,
        limit: usize,
        reset: bool,
    },
}

/// What the queue shows of a ticket's SLA: the clock that matters now (the
/// response while it is pending, then the resolution).
#[derive(Debug, Clone, PartialEq)]
pub struct SlaBrief {
    pub state: crate::domain::sla::ClockState,
    /// Business minutes left (negative once breached, counted from the target).
    pub remaining_minutes: i64,
    pub response: bool,
    /// Not counting now (the ticket waits on the customer), whatever the
    /// state: a warned clock that waits is not about to breach.
    pub paused: bool,
}

/// A change the operator asked for; the worker calls the application layer.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Assign {
        keys: Vec<String>,
        to: Option<String>,
    },
    Move {
        keys: Vec<String>,
        state: String,
        note: Option<String>,
    },
    Comment {
        key: String,
        body: String,
    },
    Worklog {
        key: String,
        spent: String,
        note: String,
    },
    Set {
        key: String,
        field: String,
        value: String,
        justification: Option<String>,
        /// The values the change was based on (a prompt pre-filled with
        /// the field's value): refused if the ticket holds others by then.
        /// Empty: nothing is compared.
        based_on: Vec<(String, Option<Value>)>,
    },
    Reject {
        key: String,
        code: String,
        note: Option<String>,
    },
    /// An approval a workflow guard asks for (palette: `approve ID REASON`).
    Approve {
        key: String,
        approval: String,
        reason: String,
    },
    /// A link to another ticket (palette: `link KEY [KIND]`).
    Link {
        key: String,
        other: String,
        kind: String,
    },
    Escalate {
        key: String,
        level: u8,
        /// Dossier fields filled in the form, set before escalating.
        fields: Vec<(String, String)>,
        /// What those fields held when the form opened, compared as for
        /// `Set`.
        based_on: Vec<(String, Option<Value>)>,
    },
    RunbookRun {
        key: String,
        runbook: String,
    },
    Tick {
        key: String,
        item: String,
        evidence: String,
        checked: bool,
    },
    Create(NewTicketDraft),
    /// Apply a known error's workaround to the ticket (links them and
    /// records the workaround as an internal note).
    ApplyKnown {
        key: String,
        known: String,
    },
    /// Attach reports to a major incident as its children.
    AttachToMajor {
        major: String,
        keys: Vec<String>,
    },
    WriteDossier {
        key: String,
        level: u8,
        path: String,
        /// The Markdown to write (the dossier sent, or the form's with its
        /// typed values); `None`: the dossier for `level` read afresh.
        text: Option<String>,
    },
}

impl WriteOp {
    /// The tickets the change is for (none for a new ticket).
    pub fn keys(&self) -> Vec<String> {
        match self {
            WriteOp::Assign { keys, .. }
            | WriteOp::Move { keys, .. }
            | WriteOp::AttachToMajor { keys, .. } => keys.clone(),
            WriteOp::Comment { key, .. }
            | WriteOp::Worklog { key, .. }
            | WriteOp::Set { key, .. }
            | WriteOp::Reject { key, .. }
            | WriteOp::Approve { key, .. }
            | WriteOp::Link { key, .. }
            | WriteOp::Escalate { key, .. }
            | WriteOp::RunbookRun { key, .. }
            | WriteOp::Tick { key, .. }
            | WriteOp::ApplyKnown { key, .. }
            | WriteOp::WriteDossier { key, .. } => vec![key.clone()],
            WriteOp::Create(_) => Vec::new(),
        }
    }
}

/// `NewTicket` is not comparable; the form's values are kept as text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewTicketDraft {
    pub ticket_type: String,
    pub service: String,
    pub title: String,
    pub description: String,
    pub impact: String,
    pub urgency: String,
    pub fields: Vec<(String, String)>,
}

impl NewTicketDraft {
    pub fn to_new_ticket(&self) -> NewTicket {
        NewTicket {
            ticket_type: Some(self.ticket_type.clone()),
            service: self.service.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            impact: Some(self.impact.clone()).filter(|s| !s.is_empty()),
            urgency: Some(self.urgency.clone()).filter(|s| !s.is_empty()),
            priority: None,
            justification: None,
            fields: self.fields.clone(),
        }
    }
}

/// One row of the queue: the ticket and its row number for paging.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub no: i64,
    pub ticket: Ticket,
    /// The ticket has a sync conflict (marked in the queue).
    pub conflict: bool,
}

/// A sync conflict of the shown ticket: concurrent changes of one field
/// made at different sites (docs/sync.md), sanitized by the worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// `status`, `assignee` or `priority`.
    pub field: String,
    /// `state`, `assignee`, `priority`, or `invalid-transition` (a state
    /// change that does not follow from the state before it: not applied).
    pub kind: String,
    /// The competing values, the one shown now first.
    pub heads: Vec<ConflictHead>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConflictHead {
    /// The value as people compare it (a state id, an operator, a
    /// priority; empty for "none").
    pub value: String,
    pub by: String,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An open major incident as the banner shows it (sanitized).
#[derive(Debug, Clone, PartialEq)]
pub struct MajorBrief {
    pub key: String,
    pub title: String,
    pub service: String,
    /// Reports attached and still being worked, and all of them.
    pub children_open: usize,
    pub children: usize,
}

/// A known error that may explain the shown ticket (sanitized).
#[derive(Debug, Clone, PartialEq)]
pub struct KnownHint {
    pub key: String,
    pub title: String,
    pub status: String,
    /// Problems have none; the section lists known errors only.
    pub workaround: String,
}

/// An earlier ticket like the shown one, resolved or closed with a
/// solution (sanitized).
#[derive(Debug, Clone, PartialEq)]
pub struct SolvedHint {
    pub key: String,
    pub title: String,
    pub status: String,
    pub solution: String,
}

/// A ticket linked to the shown record (an incident a known error was
/// applied to, a report of a major incident), sanitized.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedBrief {
    pub key: String,
    pub status: String,
    pub title: String,
}

/// What the detail shows beyond the ticket itself, read with it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailExtras {
    /// For a ticket of the queue: the known errors that may apply, best first.
    pub known: Vec<KnownHint>,
    /// For a ticket still being worked: earlier tickets like it, solved
    /// (filled by `Reply::Solved`, after the rest).
    pub solved: Vec<SolvedHint>,
    /// For a known error: the incidents it was applied to; for a major
    /// incident: its reports.
    pub linked: Vec<LinkedBrief>,
    /// For a major incident: reports still being worked.
    pub children_open: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum Reply {
    Page {
        generation: u64,
        dir: PageDir,
        reset: bool,
        /// The row number the request continued from (its `from`).
        from: Option<i64>,
        rows: Vec<Row>,
        /// More rows exist beyond this page in its direction.
        more: bool,
    },
    Count {
        generation: u64,
        count: i64,
        /// The count stopped at its cap; there are more.
        capped: bool,
    },
    Detail {
        generation: u64,
        detail: Option<Box<TicketDetail>>,
        log: Vec<Op>,
        /// Its sync conflicts, if any.
        conflicts: Vec<Conflict>,
        extras: DetailExtras,
    },
    Dashboard {
        generation: u64,
        data: Box<super::state::DashboardData>,
    },
    Similar {
        generation: u64,
        tickets: Vec<(String, String)>,
    },
    /// Earlier solved tickets like the detail of `generation`.
    Solved {
        generation: u64,
        tickets: Vec<SolvedHint>,
    },
    /// Key and title of each likely original of `key`, best first.
    Originals {
        key: String,
        code: String,
        tickets: Vec<(String, String)>,
    },
    /// A write finished: `Ok(message)` or `Err(message)`; `key` is the
    /// ticket to show afterwards.
    Written {
        result: Result<String, String>,
        key: Option<String>,
        /// The change asked for, so the prompt that sent it can open again
        /// when it is refused (boxed: it would double every message's size).
        op: Box<WriteOp>,
        /// The tickets whose change was refused (all of the op's on an
        /// error, the failed ones of a bulk change).
        refused: Vec<String>,
    },
    /// A change refused because a value it was based on changed meanwhile
    /// (someone else wrote it): nothing was written, and the prompt or form
    /// that sent it opens again based on the values now, so sending it
    /// again applies it.
    Outdated {
        /// What changed, and what to do (sanitized).
        message: String,
        key: String,
        /// The change asked for, as in `Written`.
        op: Box<WriteOp>,
        /// Each field that changed, with what it holds now (sanitized).
        now: Vec<(String, Option<Value>)>,
    },
    /// SLA clocks of queue rows (keys without a policy are left out).
    Sla {
        generation: u64,
        clocks: Vec<(String, SlaBrief)>,
    },
    /// Another process changed the database.
    Changed,
    /// The configuration files on disk differ from the ones the console
    /// started with (the names of those that changed), or are back as they
    /// were (empty). Changes are refused meanwhile.
    ConfigChanged(Vec<String>),
    /// The major incidents being worked now (empty: none); sent at start
    /// and whenever the list changes, whoever changed it.
    Majors(Vec<MajorBrief>),
    /// Background work progress (`done` = finished, with its result line).
    Job {
        label: String,
        done: Option<Result<String, String>>,
    },
    /// A fetch failed; `generation` when it was a page of the queue.
    Failed {
        generation: Option<u64>,
        message: String,
    },
}
