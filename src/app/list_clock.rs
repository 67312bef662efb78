//! The SLA clock `list --json` shows beside each ticket: the resolution
//! clock of the `sla_clock` cache (the one `list --sort sla` orders by and
//! the dashboard counts), brought to now. One cache lookup per ticket, so
//! a page of a thousand costs milliseconds; computing each ledger from its
//! log, as `guardia sla KEY` does, would cost a log read and a ledger per
//! ticket.
//!
//! A running clock's breach instant does not move while it runs (every
//! write that pauses, stops or retargets it recomputes the row), so its
//! business time left now is the calendar's business time from now to that
//! instant; a paused clock's time left does not move at all.

use super::{App, AppError};
use crate::domain::sla::ClockState;
use crate::domain::ticket::{Ticket, ms_to_time};
use crate::store::ClockRow;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A ticket's resolution clock now, with the names and meanings of the
/// `resolution` object of `guardia sla KEY --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedClock {
    /// Which clock: always `resolution` (the response clock is not cached;
    /// `guardia sla KEY` shows it).
    pub clock: &'static str,
    pub state: ClockState,
    /// Not counting now: the ticket waits in a state its policy does not
    /// run in (a warned or breached clock can be waiting too).
    pub paused: bool,
    /// Business minutes left (0 once breached).
    pub remaining: i64,
    /// Running: when it breaches, or when it breached. `None` while paused.
    pub due: Option<DateTime<Utc>>,
}

impl App {
    /// The clock of each of `tickets`, in order: `None` for a ticket whose
    /// resolution clock has stopped (resolved, closed, cancelled, rejected)
    /// or that no SLA policy covers.
    pub fn list_clocks(&self, tickets: &[Ticket]) -> Result<Vec<Option<ListedClock>>, AppError> {
        let now = self.clock.now();
        let reader = self.reader();
        tickets
            .iter()
            .map(|t| {
                Ok(reader
                    .sla_clock_of(&t.id)?
                    .map(|row| self.listed_clock(t, &row, now)))
            })
            .collect()
    }

    fn listed_clock(&self, ticket: &Ticket, row: &ClockRow, now: DateTime<Utc>) -> ListedClock {
        let paused = |state| ListedClock {
            clock: "resolution",
            state,
            paused: true,
            remaining: row.remaining_min.max(0),
            due: None,
        };
        let Some(due_ms) = row.due_ms else {
            return match row.frozen {
                Some("breached") => paused(ClockState::Breached),
                Some("warned") => paused(ClockState::Warned),
                _ => paused(ClockState::Paused),
            };
        };
        let now_ms = now.timestamp_millis();
        let due = ms_to_time(due_ms);
        // The judgement rule of `domain::sla` and `Reader::sla_counts`: at
        // the due instant itself a clock can still be met.
        let state = if now_ms > due_ms {
            ClockState::Breached
        } else if row.warn_ms.is_some_and(|w| w <= now_ms) {
            ClockState::Warned
        } else {
            ClockState::Running
        };
        let calendar = self
            .config
            .sla_policy(&ticket.ticket_type)
            .and_then(|p| self.config.calendar(p.calendar.get_ref()));
        let remaining = match (state, calendar) {
            (ClockState::Breached, _) => 0,
            (_, Some(cal)) => cal.business_time(now, due).num_minutes(),
            // The cache was computed with a configuration that had it.
            (_, None) => row.remaining_min.max(0),
        };
        ListedClock {
            clock: "resolution",
            state,
            paused: false,
            remaining,
            due: Some(due),
        }
    }
}
