//! The `sla_clock` cache: one row per open ticket with a running or paused
//! resolution clock (schema 5). The application computes the rows (it
//! knows the policies and calendars); this module stores them, counts the
//! warned and breached ones, and remembers which configuration they were
//! computed with.

use super::{Reader, StoreError, WriteTx};
use rusqlite::{OptionalExtension, params};

/// Paused clocks sort after every running one: their key is this plus the
/// minutes they have left (running clocks sort by their breach instant in
/// Unix milliseconds, far below it).
pub const PAUSED_BASE: i64 = 1 << 52;

/// A ticket's resolution clock as the queue and the dashboard need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    /// Running: when it breaches (Unix ms).
    pub due_ms: Option<i64>,
    /// Running: when it reaches the warning share (Unix ms; in the past
    /// once warned).
    pub warn_ms: Option<i64>,
    /// Paused: `warned` or `breached` if it was when it paused.
    pub frozen: Option<&'static str>,
    /// Business minutes left when computed (negative once breached).
    pub remaining_min: i64,
    pub sort_key: i64,
}

const FINGERPRINT_KEY: &str = "sla_fingerprint";

impl WriteTx<'_> {
    /// Stores (or with `None` removes) the clock of ticket `ticket_no`.
    pub fn set_sla_clock(
        &mut self,
        ticket_no: i64,
        row: Option<&ClockRow>,
    ) -> Result<(), StoreError> {
        let r = match row {
            Some(c) => self
                .tx
                .prepare_cached(
                    "INSERT INTO sla_clock(ticket_no, due_ms, warn_ms, frozen, remaining_min, sort_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(ticket_no) DO UPDATE SET due_ms = excluded.due_ms,
                        warn_ms = excluded.warn_ms, frozen = excluded.frozen,
                        remaining_min = excluded.remaining_min, sort_key = excluded.sort_key",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        ticket_no,
                        c.due_ms,
                        c.warn_ms,
                        c.frozen,
                        c.remaining_min,
                        c.sort_key
                    ])
                }),
            None => self
                .tx
                .prepare_cached("DELETE FROM sla_clock WHERE ticket_no = ?1")
                .and_then(|mut st| st.execute([ticket_no])),
        };
        r.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Forgets every clock (before recomputing them all).
    pub fn clear_sla_clocks(&mut self) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM sla_clock", [])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn set_sla_fingerprint(&mut self, fingerprint: &str) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![FINGERPRINT_KEY, fingerprint],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

impl Reader<'_> {
    /// The configuration fingerprint the clocks were computed with.
    pub fn sla_fingerprint(&self) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [FINGERPRINT_KEY],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Whether ticket `no` has a cached clock (is in the SLA order).
    pub fn has_sla_clock(&self, no: i64) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached("SELECT 1 FROM sla_clock WHERE ticket_no = ?1")
            .and_then(|mut st| st.exists([no]))
            .map_err(|e| self.err(e))
    }

    /// The cached clock of the ticket with permanent id `ticket_id`, if it
    /// has one (`list --json` shows it beside each ticket): one probe of
    /// the id index, which holds the row number, then one of the cache's
    /// primary key.
    pub fn sla_clock_of(&self, ticket_id: &str) -> Result<Option<ClockRow>, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT c.due_ms, c.warn_ms, c.frozen, c.remaining_min, c.sort_key
                 FROM ticket t JOIN sla_clock c ON c.ticket_no = t.no WHERE t.id = ?1",
            )
            .and_then(|mut st| {
                st.query_row([ticket_id], |r| {
                    let frozen: Option<String> = r.get(2)?;
                    Ok(ClockRow {
                        due_ms: r.get(0)?,
                        warn_ms: r.get(1)?,
                        frozen: match frozen.as_deref() {
                            Some("breached") => Some("breached"),
                            Some("warned") => Some("warned"),
                            _ => None,
                        },
                        remaining_min: r.get(3)?,
                        sort_key: r.get(4)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Tickets whose clock has warned and those whose clock has breached at
    /// `now_ms` (running or paused): four index ranges. A running clock is
    /// breached strictly after its due instant (the judgement rule of
    /// `domain::sla`): at that very instant it can still be met.
    pub fn sla_counts(&self, now_ms: i64) -> Result<(i64, i64), StoreError> {
        let count = |sql: &str, arg: Option<i64>| -> Result<i64, StoreError> {
            let mut st = self.conn().prepare_cached(sql).map_err(|e| self.err(e))?;
            match arg {
                Some(a) => st.query_row([a], |r| r.get(0)),
                None => st.query_row([], |r| r.get(0)),
            }
            .map_err(|e| self.err(e))
        };
        // Running clocks: warned includes breached (a clock warns before it
        // breaches), so warned-only is the difference.
        let breached = count(
            "SELECT count(*) FROM sla_clock WHERE sort_key < ?1",
            Some(now_ms),
        )?;
        let warned_or_breached = count(
            "SELECT count(*) FROM sla_clock WHERE warn_ms <= ?1",
            Some(now_ms),
        )?;
        let frozen_breached = count(
            "SELECT count(*) FROM sla_clock WHERE frozen = 'breached'",
            None,
        )?;
        let frozen_warned = count(
            "SELECT count(*) FROM sla_clock WHERE frozen = 'warned'",
            None,
        )?;
        Ok((
            warned_or_breached - breached + frozen_warned,
            breached + frozen_breached,
        ))
    }

    /// Tickets by row number after `after_no`, with their state: pages for
    /// recomputing every clock.
    pub fn ticket_states_after(
        &self,
        after_no: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT no, status FROM ticket WHERE no > ?1 ORDER BY no LIMIT ?2")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![after_no, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
