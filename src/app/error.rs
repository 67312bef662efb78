//! Errors of the application layer. Each message says what went wrong, to
//! which ticket, field or file, and what to do about it.

use super::approval_refusal::ApprovalRefusal;
use super::rejection::RejectionRefusal;
use crate::config::ConfigError;
use crate::domain::escalation::EscalationRefusal;
use crate::domain::intake::MissingField;
use crate::domain::lifecycle::Refusal;
use crate::store::StoreError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "no ticket '{key}' in this database; find it with `guardia list` or `guardia search TEXT`"
    )]
    UnknownTicket { key: String },
    #[error("'{key}' is not a ticket key; keys look like BOG-42 (site code, dash, number)")]
    BadKey { key: String },
    #[error(
        "{key}: no dossier was sent to the level it is at (it was not escalated through the matrix, or its level changed since); `guardia log {key}` shows its escalations, and `guardia dossier {key}` the dossier for the next level"
    )]
    NoSentDossier { key: String },
    #[error("unknown {what} '{value}'; known: {}", known.join(", "))]
    Unknown {
        what: &'static str,
        value: String,
        known: Vec<String>,
    },
    #[error("field '{field}' is not a field of ticket type '{ticket_type}'; its fields are: {}", known.join(", "))]
    FieldNotInType {
        field: String,
        ticket_type: String,
        known: Vec<String>,
    },
    #[error("field '{field}': {message}")]
    BadFieldValue { field: String, message: String },
    #[error("'{arg}' is not NAME=VALUE; write e.g. extension=5550")]
    BadAssignment { arg: String },
    #[error("field '{field}' cannot be changed with `set`; {hint}")]
    NotSettable { field: String, hint: &'static str },
    #[error(
        "cannot register the {ticket_type}: missing mandatory field(s): {}. Add them with --field NAME=VALUE (or --title / --description)",
        missing.iter().map(|m| format!("{} ({})", m.id, m.label)).collect::<Vec<_>>().join(", ")
    )]
    MissingFields {
        ticket_type: String,
        missing: Vec<MissingField>,
    },
    // The refusal's command hints name the ticket as KEY; fill it in.
    #[error("{key}: {}", refusal.to_string().replace(" KEY ", &format!(" {key} ")))]
    Transition { key: String, refusal: Box<Refusal> },
    #[error("{key}: {refusal}")]
    Escalation {
        key: String,
        refusal: Box<EscalationRefusal>,
    },
    #[error(
        "a manual priority needs a justification; add --justification \"why\" (the matrix gives '{computed}')"
    )]
    JustificationRequired { computed: String },
    #[error("cannot tell who you are: no operator matches OS account '{login}'; pass --as OPERATOR or set GUARDIA_USER (operators: {})", known.join(", "))]
    NoIdentity { login: String, known: Vec<String> },
    #[error("OS account '{login}' may not act as operator '{operator}' (allowed accounts: {}); ask an administrator to add '{login}' to its `logins` in operators.toml", allowed.join(", "))]
    NotPermittedAs {
        login: String,
        operator: String,
        allowed: Vec<String>,
    },
    #[error("{key}: {message}")]
    Refused { key: String, message: String },
    /// A record's close or cancel (`problem close`…) refused for fields its
    /// workflow requires: those commands have no `--field`, so the advice
    /// names the options they have and `set`.
    #[error(
        "{key}: {}",
        super::records::finish_needs_english(key, command, to, fields, options)
    )]
    FinishNeedsFields {
        key: String,
        /// The command, e.g. `problem close`.
        command: &'static str,
        /// The state it was to enter.
        to: String,
        fields: Vec<String>,
        /// (field, option) for the fields the command fills, e.g.
        /// (`root_cause`, `--root-cause`).
        options: Vec<(String, &'static str)>,
    },
    /// A rejection refused; data, so each surface and language words it.
    #[error("{key}: {}", refusal.english(key))]
    Rejection {
        key: String,
        refusal: Box<RejectionRefusal>,
    },
    /// An approval refused; data, so each surface and language words it.
    #[error("{key}: {}", refusal.english())]
    Approval {
        key: String,
        refusal: Box<ApprovalRefusal>,
    },
    #[error("an approval needs a reason; add --reason \"why\" (it is recorded with your name)")]
    ApprovalNeedsReason,
    #[error("the comment is empty; write some text")]
    EmptyComment,
    /// A refusal of a value given for ticket `key` (`App::keyed`), told
    /// with its ticket and kept whole, so it can be worded again.
    #[error("{key}: {error}")]
    About { key: String, error: Box<AppError> },
    #[error("field '{field}': '{value}' is not one of the choices: {}", choices.join(", "))]
    NotAChoice {
        field: String,
        value: String,
        choices: Vec<String>,
    },
    #[error("cannot read attachment {path}: {cause}; check the path and permissions")]
    Attachment {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The file is readable but not one guardia attaches; `reason` says
    /// why and what to do instead.
    #[error("cannot attach {path}: {reason}")]
    AttachmentRefused { path: PathBuf, reason: String },
    #[error(
        "cannot store the attachment in {path}: {cause}; check free disk space, file-size limits (ulimit -f) and permissions"
    )]
    AttachmentStore {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
}

impl AppError {
    pub fn unknown(
        what: &'static str,
        value: &str,
        known: impl IntoIterator<Item = String>,
    ) -> Self {
        AppError::Unknown {
            what,
            value: value.to_string(),
            known: known.into_iter().collect(),
        }
    }
}
