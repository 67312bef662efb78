//! The SLA outcome cache (`sla_outcome`): how each finished ticket's
//! response and resolution clocks ended, computed once when it finishes so
//! that a report reads one narrow row per ticket instead of a ledger.
//!
//! An outcome is judged by the configuration in force when the ticket
//! finished (like the task SLA records of the big service desks, frozen at
//! completion): a later change of `sla.toml` or a calendar recomputes the
//! open tickets' clocks, not the finished tickets' outcomes. A ticket that
//! is reopened loses its outcome, and gets a new one when it finishes
//! again. A write that changes what a finished ticket is judged against,
//! its priority (or its type), judges it again in the same write, by the
//! configuration in force then, so that `report --by priority` and
//! `guardia sla` agree on it. Rows that a bulk load did not write
//! (`generate`, a large import, a database from before schema 8) are
//! filled before a report, judged by the configuration in force at that
//! moment; so are the rows an earlier judgement rule may have judged
//! differently (`domain::sla::JUDGEMENT_RULE`).

use super::sla::{compute_from, status_history};
use super::{App, AppError};
use crate::config::{Config, StateCategory};
use crate::domain::lifecycle;
use crate::domain::sla::{ClockState, JUDGEMENT_RULE};
use crate::domain::ticket::{Ticket, ms_to_time};
use crate::store::ops::{Op, entity};
use crate::store::{OutcomeRow, OutcomeSla, WriteTx};
use chrono::{DateTime, Utc};

/// The outcome of a finished ticket from its own ops (oldest first) and
/// its first public comment; `None` if it is not finished (or its type has
/// no workflow).
fn outcome_of(
    cfg: &Config,
    ticket: &Ticket,
    ops: &[Op],
    first_public_comment_ms: Option<i64>,
    now: DateTime<Utc>,
) -> Option<OutcomeRow> {
    let wf = cfg.workflow_for_type(&ticket.ticket_type)?;
    let history = status_history(ops);
    let last_change = history.last().map(|(t, _)| *t);
    let ms: Vec<(i64, String)> = history
        .into_iter()
        .map(|(t, s)| (t.timestamp_millis(), s))
        .collect();
    let finish = crate::domain::report::finish(&ms, |s| lifecycle::category(wf, s))?;
    // Judged as of its last change at the earliest: a clock whose stop
    // lies ahead of "now" (a fixed GUARDIA_NOW) would not count as stopped.
    let at = last_change.map_or(now, |t| t.max(now));
    let first_comment = first_public_comment_ms.map(ms_to_time);
    let sla = compute_from(cfg, ticket, ops, first_comment, at)
        .ok()
        .map(|(ledger, _, _)| OutcomeSla {
            response_min: ledger.response.elapsed.num_minutes(),
            resolution_min: ledger.resolution.elapsed.num_minutes(),
            response_met: ledger.response.state == ClockState::Met,
            resolution_met: ledger.resolution.state == ClockState::Met,
        });
    Some(OutcomeRow {
        done_ms: finish.done_ms,
        cancelled: finish.cancelled,
        reopened: finish.reopened,
        sla,
    })
}

/// Ticket fields that choose what a finished ticket's clocks are judged
/// against: the priority picks the targets, the type the SLA policy.
const JUDGED_BY: [&str; 2] = ["priority", "type"];

/// Whether this write changed what the finished ticket is judged against
/// since it finished (at `done_ms`): an op of `JUDGED_BY` from after the
/// finish that this write appended (stamped at or after its time: a
/// local write's ops always are) or imported (the import touched the
/// ticket). An earlier write's op stamped at or after this write's time
/// (the clock was set back since) counts too: judging again by today's
/// configuration is then the lesser harm.
fn judged_by_changed(w: &WriteTx<'_>, ops: &[Op], ticket: &Ticket, done_ms: i64) -> bool {
    let imported = w.touched().contains(&ticket.id);
    let now_ms = w.now_ms();
    ops.iter().any(|op| {
        op.entity == entity::TICKET
            && op.entity_id == ticket.id
            && op.field.as_deref().is_some_and(|f| JUDGED_BY.contains(&f))
            && op.ms() >= done_ms
            && (imported || op.ms() >= now_ms)
    })
}

/// Brings ticket `no`'s outcome up to date inside a write transaction,
/// after its clock row: called by every write that can finish or reopen
/// it. `done_ops` are the ticket's own ops when it is in a finished state,
/// `None` when it is not (its outcome, if any, goes: it was reopened).
/// A finished ticket keeps the outcome it has as long as it finished at
/// the same moment, and in the same way (resolved, or cancelled since), so
/// the outcome stays judged by the rules of then; unless this write
/// changed its priority or type, which `sla` judges it by from now on.
pub(super) fn refresh(
    w: &mut WriteTx<'_>,
    cfg: &Config,
    no: i64,
    ticket: &Ticket,
    done_ops: Option<&[Op]>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(ops) = done_ops else {
        w.set_sla_outcome(no, None)?;
        return Ok(());
    };
    let first_comment = w.reader().first_public_comment_ms(&ticket.id)?;
    let row = outcome_of(cfg, ticket, ops, first_comment, now);
    if let Some(r) = &row
        && w.reader().sla_outcome_done(no)? == Some((r.done_ms, r.cancelled))
        && !judged_by_changed(w, ops, ticket, r.done_ms)
    {
        return Ok(());
    }
    w.set_sla_outcome(no, row.as_ref())?;
    Ok(())
}

/// Ticket row numbers examined per write transaction when filling.
const FILL_SPAN: i64 = 4_000;

impl App {
    /// Makes sure every finished ticket has an outcome, computing the
    /// missing ones (after `generate`, a large import, or an upgrade to
    /// schema 8). Cheap when the cache is complete (one read of `meta`).
    /// `progress` is told the row number reached and the last one.
    /// Returns how many outcomes were computed.
    pub fn ensure_sla_outcomes(
        &mut self,
        progress: &mut dyn FnMut(i64, i64),
    ) -> Result<usize, AppError> {
        self.forget_outcomes_of_earlier_rules()?;
        let seen = self.reader().sla_outcome_state()?;
        if self.reader().sla_outcomes_complete()? {
            return Ok(0);
        }
        // Filling means writing: said as what it is, not as a refused
        // write, which a read command does not expect.
        if let Some(cause) = self.store.read_only() {
            let path = self.store.path();
            return Err(AppError::Invalid(format!(
                "the SLA outcomes of some finished tickets in {} have not been computed yet (after `generate`, a large import or an upgrade), and this user cannot write the database to compute them ({}); run `guardia report` once as a user who can write it, after which anyone who can read it gets reports and the dashboard's indicators",
                path.display(),
                cause.short()
            )));
        }
        // Every finished ticket's ops are read: the bulk page cache and
        // memory-mapped reads, as for recomputing the clocks.
        self.store.begin_bulk()?;
        let result = self.fill_sla_outcomes(seen.as_deref(), progress);
        self.store.end_bulk()?;
        result
    }

    /// Outcomes stored under an earlier judgement rule: the rows the new
    /// rule may judge differently go, to be filled again. Rule 1 judged a
    /// stopped clock met whenever its business time was at most the
    /// target; rule 2 judges one stopped after its due instant breached,
    /// which changes only clocks that stopped at exactly 100 %: met rows
    /// whose minutes equal a target of today's `sla.toml`. (A target
    /// changed since the ticket finished cannot be known; such a row keeps
    /// its rule-1 verdict.) One write, once per database.
    fn forget_outcomes_of_earlier_rules(&mut self) -> Result<(), AppError> {
        // A database this process cannot write keeps its rows: a report
        // still reads them (the next writable run judges them again).
        if self.store.read_only().is_some()
            || self.reader().sla_outcome_rule()? == Some(JUDGEMENT_RULE)
        {
            return Ok(());
        }
        let targets = target_minutes(&self.config);
        let write_ms = self.clock.now().timestamp_millis();
        self.store
            .write(write_ms, crate::store::ApplyMode::Live, |w| {
                if w.reader().sla_outcome_rule()? == Some(JUDGEMENT_RULE) {
                    return Ok::<(), AppError>(());
                }
                if w.drop_sla_outcomes_met_at(&targets)? > 0 {
                    w.mark_sla_outcomes_incomplete()?;
                }
                w.set_sla_outcome_rule(JUDGEMENT_RULE)?;
                Ok(())
            })
    }

    fn fill_sla_outcomes(
        &mut self,
        seen: Option<&str>,
        progress: &mut dyn FnMut(i64, i64),
    ) -> Result<usize, AppError> {
        let cfg = self.config.clone();
        let done_states = lifecycle::states_in(
            &cfg.workflows,
            &[
                StateCategory::Resolved,
                StateCategory::Closed,
                StateCategory::Cancelled,
            ],
        );
        let now = self.clock.now();
        let write_ms = now.timestamp_millis();
        let last = self.reader().max_ticket_no()?;
        let mut after = 0;
        let mut filled = 0;
        while after < last {
            let missing = self
                .reader()
                .finished_without_outcome(after, FILL_SPAN, &done_states)?;
            if !missing.is_empty() {
                self.store
                    .write(write_ms, crate::store::ApplyMode::Live, |w| {
                        // Read again under the write lock: another process
                        // may have finished or reopened some meanwhile.
                        let missing =
                            w.reader()
                                .finished_without_outcome(after, FILL_SPAN, &done_states)?;
                        for no in missing {
                            let Some((_, t)) = w.reader().ticket_by_no(no)? else {
                                continue;
                            };
                            let ops = w.reader().entity_ops(&t.id)?;
                            let first = w.reader().first_public_comment_ms(&t.id)?;
                            let row = outcome_of(&cfg, &t, &ops, first, now);
                            w.set_sla_outcome(no, row.as_ref())?;
                            filled += 1;
                        }
                        Ok::<(), AppError>(())
                    })?;
            }
            after = after.saturating_add(FILL_SPAN);
            progress(after.min(last), last);
        }
        // Written last, and only if nobody said since that rows are
        // missing again: an interrupted fill is simply done again.
        self.store
            .write(write_ms, crate::store::ApplyMode::Live, |w| {
                w.mark_sla_outcomes_complete(seen).map(|_| ())
            })?;
        Ok(filled)
    }
}

/// Every response and resolution target of `sla.toml`, in minutes.
fn target_minutes(cfg: &Config) -> Vec<i64> {
    let mut minutes: Vec<i64> = cfg
        .sla_policies
        .iter()
        .flat_map(|p| p.targets.get_ref().values())
        .flat_map(|t| [t.response.get_ref(), t.resolution.get_ref()])
        .filter_map(|text| crate::domain::duration::parse(text).ok())
        .collect();
    minutes.sort_unstable();
    minutes.dedup();
    minutes
}
