//! The dossier a ticket's last functional escalation sent, rebuilt from the
//! snapshot its `escalate` operation keeps: the console's `Y`/`W` offer it,
//! and `guardia dossier KEY --sent` prints it. Escalating moves the next
//! dossier on to the level above, so without this the dossier that was
//! sent could not be copied again once it was.

use super::{App, AppError};
use crate::config::{CORE_FIELDS, Config, Lang};
use crate::domain::escalation::{self, Dossier, LEVEL1_CHECKS};
use crate::domain::ticket::TicketDetail;
use crate::store::ops::Op;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A dossier sent by a functional escalation, as it was sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sent {
    pub dossier: Dossier,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// The ticket's own columns a dossier's header and description show.
const HEADER_FIELDS: [&str; 6] = [
    "title",
    "description",
    "priority",
    "impact",
    "urgency",
    "service",
];

/// What ticket `id`'s `field` held after the ops of `log`: the last `set`
/// of it, else the value it was created with.
fn value_before(log: &[Op], id: &str, field: &str) -> Option<Value> {
    let mine = |op: &&Op| op.entity == "ticket" && op.entity_id == id;
    log.iter()
        .filter(mine)
        .rfind(|op| op.kind == "set" && op.field.as_deref() == Some(field))
        .map(|op| op.value.clone())
        .or_else(|| {
            log.iter()
                .filter(mine)
                .find(|op| op.kind == "create")
                .and_then(|op| op.value.get(field).cloned())
        })
}

/// The fields of a dossier still without a value.
pub fn missing_of(d: &Dossier) -> Vec<String> {
    d.items
        .iter()
        .filter(|i| i.value.is_none())
        .map(|i| i.field.clone())
        .collect()
}

/// The dossier `d`'s last functional escalation sent (`log` is the
/// ticket's operation log), while the ticket is still at the level it was
/// sent to: after a later move of its level it is history, and the log
/// tells it.
pub fn rebuild(cfg: &Config, d: &TicketDetail, log: &[Op], lang: Lang) -> Option<Sent> {
    let at_op = log.iter().rposition(|op| {
        op.entity == "ticket"
            && op.entity_id == d.ticket.id
            && op.kind == "escalate"
            && op.field.as_deref() == Some("level")
    })?;
    let op = &log[at_op];
    // The log is in clock order: what comes before the escalation is what
    // the ticket held when it was sent (times alone can tie).
    let before = &log[..at_op];
    let level = |name: &str| {
        op.value
            .get(name)?
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
    };
    let to = level("to")?;
    if to != d.ticket.level {
        return None;
    }
    let from = level("from").unwrap_or(to.saturating_sub(1));
    let snapshot = op.value.get("dossier")?.as_object()?;
    let at = DateTime::from_timestamp_millis(op.ms())?;
    // The ticket as it was sent: its level then, its title, description
    // and grades then (from the log: a later edit must not pose as sent),
    // the snapshot's values, and the runbook evidence recorded by then.
    let mut then = d.clone();
    then.ticket.level = from;
    for field in HEADER_FIELDS {
        if let Some(Value::String(v)) = value_before(before, &d.ticket.id, field) {
            let slot = match field {
                "title" => &mut then.ticket.title,
                "description" => &mut then.ticket.description,
                "priority" => &mut then.ticket.priority,
                "impact" => &mut then.ticket.impact,
                "urgency" => &mut then.ticket.urgency,
                _ => &mut then.ticket.service,
            };
            *slot = v;
        }
    }
    for (field, value) in snapshot {
        if CORE_FIELDS.contains(&field.as_str()) {
            continue;
        }
        // "runbook": the checks were shown by a completed level-1 runbook,
        // whose evidence the dossier lists.
        let by_runbook = field == LEVEL1_CHECKS && value.as_str() == Some("runbook");
        if value.is_null() || by_runbook {
            then.ticket.fields.remove(field);
        } else {
            then.ticket.fields.insert(field.clone(), value.clone());
        }
    }
    for run in &mut then.runbooks {
        run.ticks.retain(|t| t.at <= at);
    }
    let mut dossier = escalation::build(cfg, &then, to, lang);
    for item in &mut dossier.items {
        if let Some(v) = snapshot.get(&item.field)
            && CORE_FIELDS.contains(&item.field.as_str())
        {
            item.value = match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
        }
    }
    dossier.missing = missing_of(&dossier);
    Some(Sent {
        dossier,
        at,
        by: op.actor.clone(),
    })
}

impl App {
    /// The dossier ticket `key`'s last functional escalation sent, or a
    /// refusal that says why there is none to show.
    pub fn sent_dossier(&self, key: &str) -> Result<Sent, AppError> {
        let detail = self.detail(key)?;
        let log = self.log(key)?;
        rebuild(&self.config, &detail, &log, self.lang).ok_or_else(|| AppError::NoSentDossier {
            key: detail.ticket.key.clone(),
        })
    }
}
