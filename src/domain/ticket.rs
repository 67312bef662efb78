//! The ticket as the rest of the program sees it: plain data read from the
//! store, serialized for `--json` with the field names scripts rely on.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ticket {
    pub key: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub service: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_justification: Option<String>,
    pub impact: String,
    pub urgency: String,
    pub level: u8,
    pub assignee: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub fields: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    pub id: String,
}

impl Ticket {
    /// A catalogue field's value as text, `None` when unset or blank.
    pub fn field_text(&self, id: &str) -> Option<String> {
        field_text(&self.fields, id)
    }

    /// The value of a built-in attribute (`config::CORE_FIELDS`) as text;
    /// `None` for an unset assignee, a blank text or a non-built-in name.
    pub fn core_value(&self, field: &str) -> Option<String> {
        let text = match field {
            "title" => &self.title,
            "description" => &self.description,
            "service" => &self.service,
            "impact" => &self.impact,
            "urgency" => &self.urgency,
            "priority" => &self.priority,
            "assignee" => return self.assignee.clone(),
            "level" => return Some(self.level.to_string()),
            _ => return None,
        };
        (!text.trim().is_empty()).then(|| text.clone())
    }
}

/// Text of a field value; blank strings, `false` and null count as unset.
pub fn field_text(fields: &Map<String, Value>, id: &str) -> Option<String> {
    match fields.get(id)? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(false) => None,
        Value::Bool(true) => Some("true".into()),
        other => Some(other.to_string()),
    }
}

/// A field's value as an answer: like [`field_text`], except that "no" to a
/// yes/no question is an answer too. Intake and dossiers ask questions
/// ("could the user log in?"), where `false` is as much an answer as `true`;
/// a transition that `requires` a yes/no field (the customer's conformity)
/// needs it true, and reads [`field_text`].
pub fn answer_text(fields: &Map<String, Value>, id: &str) -> Option<String> {
    match fields.get(id)? {
        Value::Bool(false) => Some("false".into()),
        _ => field_text(fields, id),
    }
}

/// A comment or internal note.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comment {
    pub id: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub internal: bool,
    pub body: String,
}

/// Time spent on a ticket.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorklogEntry {
    pub id: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub minutes: i64,
    pub note: String,
}

/// A file attached to a ticket, stored content-addressed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attachment {
    pub id: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

/// One runbook started on a ticket, with its ticks.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunbookRun {
    pub id: String,
    pub runbook: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub ticks: Vec<RunbookTick>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunbookTick {
    pub item: String,
    pub checked: bool,
    pub evidence: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A recorded escalation, functional (to a level) or hierarchical (to a role).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Escalation {
    pub mode: String,
    pub from_level: Option<u8>,
    pub to_level: Option<u8>,
    pub to_role: Option<String>,
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A link between tickets, e.g. duplicate-of.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    pub kind: String,
    pub target: String,
}

/// Everything `show` displays about one ticket.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub comments: Vec<Comment>,
    pub worklog: Vec<WorklogEntry>,
    pub worklog_minutes: i64,
    pub attachments: Vec<Attachment>,
    pub runbooks: Vec<RunbookRun>,
    pub escalations: Vec<Escalation>,
    pub links: Vec<Link>,
    /// Tickets that link to this one (its duplicates, a major incident's
    /// reports, a problem's incidents), with the kind of their link.
    pub linked_from: Vec<Link>,
}

/// Milliseconds since the epoch as a UTC time (clamped on nonsense).
pub fn ms_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
