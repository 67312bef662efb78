//! The `sla_outcome` cache (schema 8): one row per finished ticket with
//! when it finished and how its SLA clocks ended, frozen at that moment.
//! The application computes the rows (it knows the policies, calendars and
//! state categories); this module stores them, finds the finished tickets
//! that have none, and keeps the markers saying whether every finished
//! ticket has one and which judgement rule the rows follow.

use super::{Reader, StoreError, WriteTx};
use rusqlite::{OptionalExtension, params};

/// How a finished ticket's SLA ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeRow {
    /// When it last moved from an unfinished state into a finished one
    /// (Unix ms; the time a timer's move was due, for a timer's move).
    pub done_ms: i64,
    /// Finished in a state of category `cancelled` (cancelled, rejected).
    pub cancelled: bool,
    /// Moved out of a finished state back into an open one at some point.
    pub reopened: bool,
    /// The clocks in business minutes and whether each met its target;
    /// `None` when no SLA policy covers the ticket.
    pub sla: Option<OutcomeSla>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeSla {
    pub response_min: i64,
    pub resolution_min: i64,
    pub response_met: bool,
    pub resolution_met: bool,
}

const STATE_KEY: &str = "sla_outcome";
const COMPLETE: &str = "complete";
/// Which judgement rule the stored rows follow (`domain::sla::JUDGEMENT_RULE`).
const RULE_KEY: &str = "sla_outcome_rule";

impl WriteTx<'_> {
    /// Stores (or with `None` removes) the outcome of ticket `ticket_no`.
    pub fn set_sla_outcome(
        &mut self,
        ticket_no: i64,
        row: Option<&OutcomeRow>,
    ) -> Result<(), StoreError> {
        let r = match row {
            Some(o) => self
                .tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO sla_outcome(ticket_no, done_ms, cancelled, reopened,
                        response_min, resolution_min, response_met, resolution_met)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        ticket_no,
                        o.done_ms,
                        o.cancelled,
                        o.reopened,
                        o.sla.map(|s| s.response_min),
                        o.sla.map(|s| s.resolution_min),
                        o.sla.map(|s| s.response_met),
                        o.sla.map(|s| s.resolution_met),
                    ])
                }),
            None => self
                .tx
                .prepare_cached("DELETE FROM sla_outcome WHERE ticket_no = ?1")
                .and_then(|mut st| st.execute([ticket_no])),
        };
        r.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Forgets the outcome of the ticket with id `ticket_id`, if any.
    pub fn drop_sla_outcome_of(&mut self, ticket_id: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "DELETE FROM sla_outcome WHERE ticket_no = (SELECT no FROM ticket WHERE id = ?1)",
            )
            .and_then(|mut st| st.execute([ticket_id]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Forgets the outcomes with a clock met after exactly one of
    /// `minutes` of business time: the rows a change of judgement rule may
    /// judge differently. Returns how many went.
    pub fn drop_sla_outcomes_met_at(&mut self, minutes: &[i64]) -> Result<usize, StoreError> {
        let list = serde_json::to_string(minutes).unwrap_or_else(|_| "[]".into());
        self.tx
            .execute(
                "DELETE FROM sla_outcome
                 WHERE (response_met = 1
                        AND response_min IN (SELECT j.value FROM json_each(?1) AS j))
                    OR (resolution_met = 1
                        AND resolution_min IN (SELECT j.value FROM json_each(?1) AS j))",
                [list],
            )
            .map_err(|e| self.err(e))
    }

    /// Records the judgement rule the rows follow from now on.
    pub fn set_sla_outcome_rule(&mut self, rule: u32) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![RULE_KEY, rule.to_string()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Says that some finished tickets may lack an outcome (after a bulk
    /// load that did not compute them): the next report fills them. The
    /// value is new each time, so a fill that started before this cannot
    /// mark the cache complete afterwards.
    pub fn mark_sla_outcomes_incomplete(&mut self) -> Result<(), StoreError> {
        let token = format!("incomplete {}", uuid::Uuid::new_v4());
        self.set_outcome_state(&token)
    }

    /// Marks the cache complete if nobody marked it incomplete since
    /// `seen` was read (the fill's start). Returns whether it did.
    pub fn mark_sla_outcomes_complete(&mut self, seen: Option<&str>) -> Result<bool, StoreError> {
        let now = self.reader().sla_outcome_state()?;
        if now.as_deref() != seen {
            return Ok(false);
        }
        self.set_outcome_state(COMPLETE)?;
        Ok(true)
    }

    fn set_outcome_state(&mut self, value: &str) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![STATE_KEY, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

impl Reader<'_> {
    /// The marker: `complete` when every finished ticket has an outcome.
    pub fn sla_outcome_state(&self) -> Result<Option<String>, StoreError> {
        self.conn()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut st| st.query_row([STATE_KEY], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// The judgement rule the stored rows follow; `None` before any was
    /// recorded (rule 1).
    pub fn sla_outcome_rule(&self) -> Result<Option<u32>, StoreError> {
        let value: Option<String> = self
            .conn()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut st| st.query_row([RULE_KEY], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        Ok(value.and_then(|v| v.parse().ok()))
    }

    /// Whether every finished ticket has an outcome row.
    pub fn sla_outcomes_complete(&self) -> Result<bool, StoreError> {
        Ok(self.sla_outcome_state()?.as_deref() == Some(COMPLETE))
    }

    /// When the stored outcome of ticket `no` says it finished, and whether
    /// cancelled, if it has one.
    pub fn sla_outcome_done(&self, no: i64) -> Result<Option<(i64, bool)>, StoreError> {
        self.conn()
            .prepare_cached("SELECT done_ms, cancelled FROM sla_outcome WHERE ticket_no = ?1")
            .and_then(|mut st| {
                st.query_row([no], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The tickets with row numbers in `(after_no, after_no + span]` that
    /// are in one of `done_states` and have no outcome: one page of the
    /// fill, a range of the rowid.
    pub fn finished_without_outcome(
        &self,
        after_no: i64,
        span: i64,
        done_states: &[String],
    ) -> Result<Vec<i64>, StoreError> {
        let states = serde_json::to_string(done_states).unwrap_or_else(|_| "[]".into());
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT t.no FROM ticket t
                 WHERE t.no > ?1 AND t.no <= ?2
                   AND t.status IN (SELECT j.value FROM json_each(?3) AS j)
                   AND NOT EXISTS (SELECT 1 FROM sla_outcome o WHERE o.ticket_no = t.no)
                 ORDER BY t.no",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![after_no, after_no.saturating_add(span), states],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The highest ticket row number (0 without tickets): where a fill ends.
    pub fn max_ticket_no(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT coalesce(max(no), 0) FROM ticket", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The earliest public comment on a ticket (Unix ms): with its status
    /// changes, what the response clock needs.
    pub fn first_public_comment_ms(&self, ticket_id: &str) -> Result<Option<i64>, StoreError> {
        self.conn()
            .prepare_cached("SELECT min(at) FROM comment WHERE ticket_id = ?1 AND internal = 0")
            .and_then(|mut st| st.query_row([ticket_id], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }
}
