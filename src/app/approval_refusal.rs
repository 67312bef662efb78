//! Why an approval (`App::approve`) was refused, as data: each surface and
//! language words it (`cli::say_error`); the English here is the command
//! line's.

/// An approval refused before anything was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalRefusal {
    /// The ticket's workflow has no approvals at all.
    NoApprovals { workflow: String },
    /// The ticket is finished (`status`).
    Finished { status: String },
    /// No move from the ticket's state uses the approval; `states` are
    /// those whose moves do (empty: none in the workflow).
    NotInThisState {
        approval: String,
        status: String,
        states: Vec<String>,
    },
    /// `actor` holds none of `roles`; `free` may give it, `barred` hold
    /// the roles but wrote what it covers (four eyes).
    NotYourRole {
        approval: String,
        roles: Vec<String>,
        actor: String,
        free: Vec<String>,
        barred: Vec<String>,
    },
}

impl ApprovalRefusal {
    /// The command line's English (after the ticket's key).
    pub fn english(&self) -> String {
        match self {
            ApprovalRefusal::NoApprovals { workflow } => format!(
                "its workflow '{workflow}' has no approvals, so there is nothing to approve"
            ),
            ApprovalRefusal::Finished { status } => {
                format!("is '{status}'; a finished ticket needs no approval")
            }
            ApprovalRefusal::NotInThisState {
                approval,
                status,
                states,
            } => format!(
                "is '{status}', and no move from there uses approval '{approval}'; an approval counts only in the state it is given in, so give it once the ticket is {}",
                if states.is_empty() {
                    "in a state whose move uses it (none does in this workflow)".to_string()
                } else {
                    format!("in: {}", states.join(", "))
                }
            ),
            ApprovalRefusal::NotYourRole {
                approval,
                roles,
                actor,
                free,
                barred,
            } => {
                let ask = match (free.is_empty(), barred.is_empty()) {
                    (false, _) => format!("ask {}", free.join(", ")),
                    (true, true) => "ask an operator with one".to_string(),
                    (true, false) => format!(
                        "{} wrote what it covers, so four eyes bar them from giving it: have another operator write it anew, or give one of the roles to an operator who did not",
                        barred.join(", ")
                    ),
                };
                format!(
                    "approval '{approval}' is given by the roles {}; operator '{actor}' has none of them; {ask}",
                    roles.join(", ")
                )
            }
        }
    }
}
