//! The SLA ledger of one ticket: its policy, and the clocks computed from
//! the ticket's operation log on the policy's calendar; and the cache of
//! every open ticket's resolution clock (`sla_clock`) that the queue sorts
//! by and the dashboard counts, kept fresh by every write that can move a
//! clock and recomputed when the configuration changes.

use super::{App, AppError};
use crate::config::{Config, SlaPolicy, StateCategory};
use crate::domain::calendar::Calendar;
use crate::domain::sla::{self, ClockState, Ledger, SlaInput};
use crate::domain::ticket::{Ticket, ms_to_time};
use crate::store::ops::{Op, entity, kind};
use crate::store::{ApplyMode, ClockRow, PAUSED_BASE, WriteTx};
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
        let ticket = self.ticket(key)?;
        let log = self.reader().ticket_log(&ticket.id)?;
        let (ledger, policy, _) = compute(&self.config, &ticket, &log, self.clock.now())?;
        Ok(SlaReport {
            key: ticket.key,
            status: ticket.status,
            priority: ticket.priority,
            policy: policy.id.get_ref().clone(),
            calendar: policy.calendar.get_ref().clone(),
            ledger,
        })
    }
}

/// The ledger of a ticket from its log (oldest first), with the policy and
/// calendar it was counted on.
pub(super) fn compute<'c>(
    cfg: &'c Config,
    ticket: &Ticket,
    log: &[Op],
    now: DateTime<Utc>,
) -> Result<(Ledger, &'c SlaPolicy, &'c Calendar), AppError> {
    let first_public_comment = log
        .iter()
        .filter(|op| {
            op.entity == entity::COMMENT
                && op.kind == kind::CREATE
                && op.value.get("internal").and_then(|v| v.as_bool()) == Some(false)
        })
        .map(|op| ms_to_time(op.hlc >> 16))
        .min();
    compute_from(cfg, ticket, log, first_public_comment, now)
}

/// A ticket's status history from its own ops: (effective time, state),
/// oldest first, the first being its creation. A timer's move counts from
/// when it was due.
pub(super) fn status_history(ops: &[Op]) -> Vec<(DateTime<Utc>, String)> {
    let mut history: Vec<(DateTime<Utc>, String)> = ops
        .iter()
        .filter_map(|op| {
            let status = if op.entity == entity::TICKET && op.kind == kind::CREATE {
                op.value.get("status").and_then(|v| v.as_str())
            } else if op.entity == entity::TICKET && op.kind == kind::TRANSITION {
                op.value.get("to").and_then(|v| v.as_str())
            } else {
                None
            }?;
            Some((
                ms_to_time(super::workflow::effective_ms(op)),
                status.to_string(),
            ))
        })
        .collect();
    history.sort_by_key(|(t, _)| *t);
    history
}

/// The ledger from the ticket's own ops and the time of its first public
/// comment: the first response is the earlier of that comment and the
/// first move out of the state it was created in.
pub(super) fn compute_from<'c>(
    cfg: &'c Config,
    ticket: &Ticket,
    ops: &[Op],
    first_public_comment: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(Ledger, &'c SlaPolicy, &'c Calendar), AppError> {
    let policy = cfg.sla_policy(&ticket.ticket_type).ok_or_else(|| {
        // Problems and known errors are records, kept without a clock on
        // purpose: adding them to a policy is not the answer.
        if cfg.record_of(&ticket.ticket_type) != crate::config::RecordKind::Ticket {
            return AppError::Invalid(format!(
                "{} is a problem or known error record; records have no SLA clock (only tickets do: see `guardia sla` on the incidents linked to it)",
                ticket.key
            ));
        }
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
        .ok_or_else(|| unknown_priority(cfg, ticket, policy))?;
    // Validation has read every target already; word a failure as the
    // configuration's, not the worklog's.
    let minutes = |s: &str| {
        crate::domain::duration::parse(s)
            .map(Duration::minutes)
            .map_err(|e| {
                let what = format!("SLA policy '{}': target", policy.id.get_ref());
                AppError::Invalid(crate::config::sla_target_message(&what, s, e))
            })
    };
    // The first move in log order, as the ledger always counted it.
    let first_move = ops
        .iter()
        .filter(|op| op.entity == entity::TICKET && op.kind == kind::TRANSITION)
        .find(|op| op.value.get("to").and_then(|v| v.as_str()).is_some())
        .map(|op| ms_to_time(super::workflow::effective_ms(op)));
    let responded_at = match (first_move, first_public_comment) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    };
    let history = status_history(ops);
    // The clock stopped when the ticket entered its last stretch of done
    // states: resolved, then closed a day later, stopped at the resolution
    // (as `report` counts it), not at the closing.
    let done_at = cfg.workflow_for_type(&ticket.ticket_type).and_then(|wf| {
        history
            .iter()
            .rev()
            .take_while(|(_, s)| crate::domain::lifecycle::category(wf, s).is_done())
            .last()
            .map(|(t, _)| *t)
    });
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
        now,
    };
    Ok((sla::ledger(&input), policy, calendar))
}

/// Why a ticket's priority has no targets. Validation gives every priority
/// of priority.toml its targets, so the ticket carries an id the file no
/// longer has: renamed or removed since it was set. Say so, and how to
/// give the ticket a priority the file knows.
fn unknown_priority(cfg: &Config, ticket: &Ticket, policy: &SlaPolicy) -> AppError {
    let known = cfg.priority.priorities.iter().map(|g| g.id.get_ref());
    if cfg.priority_rank(&ticket.priority).is_some() {
        return AppError::Invalid(format!(
            "SLA policy '{}' has no targets for priority '{}'; add them to sla.toml",
            policy.id.get_ref(),
            ticket.priority
        ));
    }
    AppError::Invalid(format!(
        "{key} has priority '{p}', which priority.toml does not list (renamed or removed?), so SLA policy '{policy}' has no targets for it; give it a priority the file knows with `guardia set {key} priority=auto` (from impact and urgency) or `guardia set {key} priority=P --justification \"…\"` (priorities are {known}), or put the id '{p}' back in priority.toml and sla.toml",
        key = ticket.key,
        p = ticket.priority,
        policy = policy.id.get_ref(),
        known = known.cloned().collect::<Vec<_>>().join(", "),
    ))
}

/// The cache row of a ledger's resolution clock at `now`: none once the
/// clock has stopped.
fn clock_row(
    ledger: &Ledger,
    calendar: &Calendar,
    warn_percent: u32,
    now: DateTime<Utc>,
) -> Option<ClockRow> {
    let c = &ledger.resolution;
    if c.stopped_at.is_some() {
        return None;
    }
    let remaining_min = if c.state == ClockState::Breached {
        -(c.elapsed - c.target).num_minutes()
    } else {
        c.remaining.num_minutes()
    };
    let running_now = ledger.intervals.last().is_some_and(|iv| iv.running);
    let paused = |frozen| ClockRow {
        due_ms: None,
        warn_ms: None,
        frozen,
        remaining_min,
        sort_key: PAUSED_BASE + remaining_min,
    };
    // A paused clock at 100 % is breached from the instant after it was
    // due, and stays paused: frozen as breached even when computed at
    // that very instant (`warned` for that instant only).
    let frozen = if c.target > Duration::zero() && c.elapsed >= c.target {
        Some("breached")
    } else if c.state == ClockState::Warned {
        Some("warned")
    } else {
        None
    };
    if !running_now {
        return Some(paused(frozen));
    }
    let Some(due) = c.due else {
        // A calendar with no working time ahead: it never breaches.
        return Some(paused(frozen));
    };
    let warn_at = c.target * i32::try_from(warn_percent).unwrap_or(100) / 100;
    let warn_ms = if c.elapsed >= warn_at {
        now.timestamp_millis().min(due.timestamp_millis())
    } else {
        calendar
            .add_business(now, warn_at - c.elapsed)
            .map_or(due.timestamp_millis(), |t| t.timestamp_millis())
    };
    Some(ClockRow {
        due_ms: Some(due.timestamp_millis()),
        warn_ms: Some(warn_ms),
        frozen: None,
        remaining_min,
        sort_key: due.timestamp_millis(),
    })
}

/// Recomputes the cached clock of one ticket inside a write transaction:
/// called by every write that can start, stop, pause or retarget it.
pub(super) fn refresh_clock(
    w: &mut WriteTx<'_>,
    cfg: &Config,
    ticket_no: i64,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let category = cfg
        .workflow_for_type(&ticket.ticket_type)
        .map(|wf| crate::domain::lifecycle::category(wf, &ticket.status));
    let open = category.is_some_and(StateCategory::is_open);
    let done = category.is_some_and(StateCategory::is_done);
    // The clocks need only the ticket's own changes (comments answer the
    // response clock, which is not cached; the outcome reads its first
    // public comment itself).
    let log = if open || done {
        w.reader().entity_ops(&ticket.id)?
    } else {
        Vec::new()
    };
    let row = if open {
        match compute_from(cfg, ticket, &log, None, now) {
            Ok((ledger, policy, calendar)) => {
                clock_row(&ledger, calendar, *policy.warn_percent.get_ref(), now)
            }
            // No policy or targets for it: no clock to count.
            Err(_) => None,
        }
    } else {
        None
    };
    w.set_sla_clock(ticket_no, row.as_ref())?;
    super::outcome::refresh(w, cfg, ticket_no, ticket, done.then_some(&log[..]), now)
}

/// What the clocks depend on besides the log: policies, calendars,
/// holidays, workflows (which states run) and the types' workflows; and
/// the rule that judges them, so that a database whose clocks were
/// judged by an earlier rule recomputes them.
fn fingerprint(cfg: &Config) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("judgement rule {}\n", sla::JUDGEMENT_RULE).as_bytes());
    for src in &cfg.sources {
        if ["sla.toml", "calendars.toml", "workflows.toml", "types.toml"].contains(&src.name) {
            h.update(src.name.as_bytes());
            h.update(src.text.as_bytes());
        }
    }
    h.update(crate::config::HOLIDAYS.as_bytes());
    format!("{:x}", h.finalize())
}

/// Tickets recomputed per write transaction when every clock is rebuilt.
const REBUILD_BATCH: usize = 2_000;

impl App {
    /// Makes sure the cached clocks were computed with this configuration,
    /// recomputing every open ticket's clock when not (a new database, an
    /// upgrade, an edited calendar or policy). Returns how many tickets
    /// were recomputed (zero when the cache was current).
    pub fn ensure_sla_clocks(&mut self) -> Result<usize, AppError> {
        let want = fingerprint(&self.config);
        if self.reader().sla_fingerprint()?.as_deref() == Some(want.as_str()) {
            return Ok(0);
        }
        self.rebuild_sla_clocks(&want)
    }

    /// Marks every cached clock stale (after a bulk load that did not keep
    /// them, such as `generate`): the next `prepare` recomputes them. The
    /// finished tickets' outcomes are marked incomplete too: the next
    /// report computes the missing ones.
    pub fn invalidate_sla_clocks(&mut self) -> Result<(), AppError> {
        let now = self.clock.now().timestamp_millis();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                w.set_sla_fingerprint("stale")?;
                w.mark_sla_outcomes_incomplete()?;
                Ok(())
            })
    }

    /// What every command does first: the SLA cache matches the
    /// configuration, and the workflow timers that fell due have fired.
    pub fn prepare(&mut self) -> Result<(), AppError> {
        self.ensure_sla_clocks()?;
        self.fire_due_timers()?;
        Ok(())
    }

    fn rebuild_sla_clocks(&mut self, fingerprint: &str) -> Result<usize, AppError> {
        // Every open ticket's log is read: a large cache and memory-mapped
        // reads (4x faster at 1M tickets than the default cache).
        self.store.begin_bulk()?;
        let result = self.rebuild_sla_clocks_inner(fingerprint);
        if result.is_ok() {
            self.store.end_bulk()?;
        } else {
            // Nothing to checkpoint, and a checkpoint would wait for the
            // process whose write stopped the rebuild.
            self.store.end_bulk_settings()?;
        }
        result
    }

    fn rebuild_sla_clocks_inner(&mut self, fingerprint: &str) -> Result<usize, AppError> {
        let cfg = self.config.clone();
        let open: std::collections::HashSet<String> =
            crate::domain::lifecycle::open_states(&cfg.workflows)
                .into_iter()
                .collect();
        let now = self.clock.now();
        let write_ms = now.timestamp_millis();
        self.store
            .write(write_ms, ApplyMode::Live, |w| -> Result<(), AppError> {
                // Stale from the moment the clocks go: a rebuild killed
                // halfway is done again even if the configuration is put
                // back to the one the old fingerprint names.
                w.set_sla_fingerprint("stale")?;
                Ok(w.clear_sla_clocks()?)
            })?;
        let mut after = 0;
        let mut done = 0;
        loop {
            let page = self.reader().ticket_states_after(after, REBUILD_BATCH)?;
            let Some(&(last, _)) = page.last() else {
                break;
            };
            after = last;
            self.store
                .write(write_ms, ApplyMode::Live, |w| -> Result<(), AppError> {
                    for (no, _) in page.iter().filter(|(_, s)| open.contains(s)) {
                        if let Some((_, t)) = w.reader().ticket_by_no(*no)? {
                            refresh_clock(w, &cfg, *no, &t, now)?;
                            done += 1;
                        }
                    }
                    Ok(())
                })?;
        }
        // Written last: an interrupted rebuild is simply done again.
        self.store
            .write(write_ms, ApplyMode::Live, |w| -> Result<(), AppError> {
                Ok(w.set_sla_fingerprint(fingerprint)?)
            })?;
        Ok(done)
    }
}
