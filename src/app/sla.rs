//! The SLA ledger of one ticket: its policy, and the clocks computed from
//! the ticket's operation log on the policy's calendar.

use super::{App, AppError};
use crate::config::StateCategory;
use crate::domain::sla::{self, Ledger, SlaInput};
use crate::domain::ticket::ms_to_time;
use crate::store::ops::{entity, kind};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SlaReport {
    pub key: String,
    pub status: String,
    pub priority: String,
    pub policy: String,
    pub calendar: String,
    #[serde(flatten)]
    pub ledger: Ledger,
}

impl App {
    /// The SLA clocks of `key` now (or at `GUARDIA_NOW`).
    pub fn sla(&self, key: &str) -> Result<SlaReport, AppError> {
        let cfg = &self.config;
        let ticket = self.ticket(key)?;
        let policy = cfg.sla_policy(&ticket.ticket_type).ok_or_else(|| {
            AppError::Invalid(format!(
                "no SLA policy in sla.toml covers tickets of type '{}'; add it to a policy's types",
                ticket.ticket_type
            ))
        })?;
        let calendar = cfg.calendar(policy.calendar.get_ref()).ok_or_else(|| {
            AppError::Invalid(format!(
                "calendar '{}' of SLA policy '{}' does not exist",
                policy.calendar.get_ref(),
                policy.id.get_ref()
            ))
        })?;
        let target = policy
            .targets
            .get_ref()
            .get(&ticket.priority)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "SLA policy '{}' has no targets for priority '{}'",
                    policy.id.get_ref(),
                    ticket.priority
                ))
            })?;
        let minutes = |s: &str| {
            crate::domain::duration::parse_minutes(s)
                .map(Duration::minutes)
                .map_err(AppError::Invalid)
        };
        let log = self.reader().ticket_log(&ticket.id)?;
        let at = |hlc: i64| -> DateTime<Utc> { ms_to_time(hlc >> 16) };
        let mut history: Vec<(DateTime<Utc>, String)> = Vec::new();
        let mut responded_at: Option<DateTime<Utc>> = None;
        for op in &log {
            let status = if op.entity == entity::TICKET && op.kind == kind::CREATE {
                op.value.get("status").and_then(|v| v.as_str())
            } else if op.entity == entity::TICKET && op.kind == kind::TRANSITION {
                op.value.get("to").and_then(|v| v.as_str())
            } else {
                None
            };
            if let Some(s) = status {
                // A timer's move counts from when it was due.
                let when = ms_to_time(super::workflow::effective_ms(op));
                if !history.is_empty() && responded_at.is_none() {
                    responded_at = Some(when);
                }
                history.push((when, s.to_string()));
            }
            let public_comment = op.entity == entity::COMMENT
                && op.kind == kind::CREATE
                && op.value.get("internal").and_then(|v| v.as_bool()) == Some(false);
            if public_comment {
                let t = at(op.hlc);
                responded_at = Some(responded_at.map_or(t, |r| r.min(t)));
            }
        }
        history.sort_by_key(|(t, _)| *t);
        let done = cfg
            .workflow_for_type(&ticket.ticket_type)
            .map(|wf| crate::domain::lifecycle::category(wf, &ticket.status))
            .is_some_and(|c| {
                matches!(
                    c,
                    StateCategory::Resolved | StateCategory::Closed | StateCategory::Cancelled
                )
            });
        let done_at = done.then(|| history.last().map(|(t, _)| *t)).flatten();
        let mut running: Vec<String> = policy.running.iter().map(|s| s.get_ref().clone()).collect();
        if let Some(wf) = cfg.workflow_for_type(&ticket.ticket_type) {
            running.extend(
                wf.states
                    .iter()
                    .filter(|s| policy.running_categories.contains(&s.category))
                    .map(|s| s.id.get_ref().clone()),
            );
        }
        let input = SlaInput {
            calendar,
            running: &running,
            history: &history,
            responded_at,
            done_at,
            response_target: minutes(target.response.get_ref())?,
            resolution_target: minutes(target.resolution.get_ref())?,
            warn_percent: *policy.warn_percent.get_ref(),
            now: self.clock.now(),
        };
        Ok(SlaReport {
            key: ticket.key,
            status: ticket.status,
            priority: ticket.priority,
            policy: policy.id.get_ref().clone(),
            calendar: policy.calendar.get_ref().clone(),
            ledger: sla::ledger(&input),
        })
    }
}
