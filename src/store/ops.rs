//! Operations: the unit of change. An op is identified by `(site, seq)`, ordered
//! by its hybrid logical clock, and names the ops it supersedes (`pred`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Entity kinds an op can touch.
pub mod entity {
    pub const TICKET: &str = "ticket";
    pub const COMMENT: &str = "comment";
    pub const WORKLOG: &str = "worklog";
    pub const ATTACHMENT: &str = "attachment";
    pub const RUNBOOK_RUN: &str = "runbook_run";
}

/// What an op does.
pub mod kind {
    /// Creates an entity; `value` holds its initial attributes.
    pub const CREATE: &str = "create";
    /// Sets one field (`field`) to `value` (null clears a catalogue field).
    pub const SET: &str = "set";
    /// Changes a ticket's state; `value` = `{from, to, note}`.
    pub const TRANSITION: &str = "transition";
    /// Records an escalation; functional ones also change the level.
    pub const ESCALATE: &str = "escalate";
    /// Adds (`true`) or removes (`false`) a link named by `field` = `kind:target_id`.
    pub const LINK: &str = "link";
    /// Routes a ticket to another path (e.g. the major-incident protocol).
    pub const ROUTE: &str = "route";
    /// Records an approval named by `field`; `value` = `{reason}`. Lives in
    /// the log only: guards read it there.
    pub const APPROVE: &str = "approve";
}

/// Reference to an op: its origin site and sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct OpRef {
    pub site: String,
    pub seq: i64,
}

impl fmt::Display for OpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.site, self.seq)
    }
}

/// A change the application wants to make; the store fills in identity,
/// clock and predecessors when it appends it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpDraft {
    pub entity: &'static str,
    pub entity_id: String,
    pub kind: &'static str,
    pub field: Option<String>,
    pub value: Value,
}

impl OpDraft {
    pub fn new(entity: &'static str, entity_id: &str, kind: &'static str, value: Value) -> Self {
        OpDraft {
            entity,
            entity_id: entity_id.to_string(),
            kind,
            field: None,
            value,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// An op as stored in the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Op {
    /// Site id (UUID) of the origin.
    pub site: String,
    pub seq: i64,
    pub hlc: i64,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub value: Value,
    pub pred: Vec<OpRef>,
}

impl Op {
    /// Wall-clock milliseconds of the op.
    pub fn ms(&self) -> i64 {
        hlc_ms(self.hlc)
    }
}

/// Hybrid logical clock as `unix_ms << 16 | counter`.
pub fn hlc_ms(hlc: i64) -> i64 {
    hlc >> 16
}

/// The next clock value after `last`, given the wall clock `now_ms`: never
/// goes backwards, and counts within a millisecond.
pub fn hlc_next(last: i64, now_ms: i64) -> i64 {
    let wall = now_ms.max(0) << 16;
    if wall > last { wall } else { last + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_is_monotonic_and_keeps_ms() {
        let a = hlc_next(0, 1_000);
        assert_eq!(hlc_ms(a), 1_000);
        let b = hlc_next(a, 1_000);
        assert_eq!(b, a + 1);
        assert_eq!(hlc_ms(b), 1_000);
        // the wall clock going back never makes the clock go back
        let c = hlc_next(b, 999);
        assert!(c > b);
        let d = hlc_next(c, 2_000);
        assert_eq!(hlc_ms(d), 2_000);
    }
}
