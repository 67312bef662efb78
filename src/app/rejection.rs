//! Why a rejection is refused, as data: each surface (command line,
//! console) and language words it, and [`RejectionRefusal::english`] is the
//! English the command line prints.

/// A refused `reject`, with what the message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectionRefusal {
    /// A duplicate names its original; the likeliest ones (key, title).
    NeedsOriginal {
        code: String,
        likely: Vec<(String, String)>,
    },
    DuplicateOfItself,
    /// `--of` given with a reason that takes no original.
    OriginalOnlyForDuplicates {
        code: String,
    },
    /// A declared major incident is ended by the incident managers.
    MajorIncident,
    /// The original was itself rejected (as a duplicate of `duplicate_of`);
    /// `perhaps` is that one when it is still live.
    OriginalRejected {
        original: String,
        duplicate_of: Option<String>,
        perhaps: Option<String>,
    },
    /// The original is a problem or known-error record.
    OriginalNotIncident {
        original: String,
    },
    OriginalOtherService {
        original: String,
        original_service: String,
        service: String,
    },
    /// The original is already closed or cancelled.
    OriginalFinished {
        original: String,
        status: String,
    },
    NoRejectedState {
        workflow: String,
    },
}

impl RejectionRefusal {
    /// The refusal in English, about ticket `key`.
    pub fn english(&self, key: &str) -> String {
        match self {
            RejectionRefusal::NeedsOriginal { code, likely } => {
                let likely: Vec<String> = likely
                    .iter()
                    .map(|(k, title)| format!("{k} ({title})"))
                    .collect();
                let hint = if likely.is_empty() {
                    String::new()
                } else {
                    format!("; most likely: {}", likely.join(", "))
                };
                format!("rejecting as '{code}' needs the original ticket: add --of KEY{hint}")
            }
            RejectionRefusal::DuplicateOfItself => "a ticket cannot duplicate itself".into(),
            RejectionRefusal::OriginalOnlyForDuplicates { code } => {
                format!("--of is only for duplicates; reason '{code}' takes no original")
            }
            RejectionRefusal::MajorIncident => format!(
                "is a major incident, declared by the incident managers; it is not rejected. The incident manager ends it with `guardia major resolve {key} --solution TEXT`"
            ),
            RejectionRefusal::OriginalRejected {
                original,
                duplicate_of,
                perhaps,
            } => format!(
                "{original} was itself rejected{}; name the ticket that is still being worked{}",
                duplicate_of
                    .as_ref()
                    .map(|d| format!(" as a duplicate of {d}"))
                    .unwrap_or_default(),
                perhaps
                    .as_ref()
                    .map(|d| format!(" (perhaps {d})"))
                    .unwrap_or_default()
            ),
            RejectionRefusal::OriginalNotIncident { original } => format!(
                "{original} is a problem or known error record, not an incident; name the incident this one repeats (`guardia known apply` links a ticket to a known error)"
            ),
            RejectionRefusal::OriginalOtherService {
                original,
                original_service,
                service,
            } => format!(
                "{original} is a ticket of service '{original_service}' and {key} of '{service}'; a duplicate repeats the report of the same failure. Check the key (`guardia search TEXT`), or link related tickets with `guardia link`"
            ),
            RejectionRefusal::OriginalFinished { original, status } => format!(
                "{original} is already {status}; a duplicate names an incident still being worked. If the failure is back, this ticket is not a duplicate: work it (and link it to {original} with `guardia link`)"
            ),
            RejectionRefusal::NoRejectedState { workflow } => format!(
                "workflow '{workflow}' has no rejected state; tickets of this type cannot be rejected"
            ),
        }
    }
}
