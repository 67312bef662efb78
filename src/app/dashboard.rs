//! The dashboard's figures, one implementation for the console's pane and
//! `guardia dashboard`: open tickets by priority, state, level and
//! operator, the SLA clocks that have warned and breached, new and done
//! tickets per local day, and the oldest open tickets. Problems and known
//! errors are left out, as `guardia report` leaves them out: they are
//! records, not the queue's work.
//!
//! The indicators (`Dashboard::kpis`) are not filled here: the console
//! keeps the 30 days' part a while (`tui/worker.rs`), the command line asks
//! [`App::kpis`] once.

use super::{App, AppError};
use crate::config::StateCategory;
use crate::domain::lifecycle;
use crate::store::{Dashboard, DashboardQuery};
use chrono::{DateTime, Local};

/// How many days the console's per-day series cover (today included), and
/// `guardia dashboard`'s default.
pub const DASHBOARD_DAYS: u32 = 30;

/// How many of the oldest open tickets the dashboard lists.
pub const DASHBOARD_OLDEST: usize = 8;

impl App {
    /// Now in the local time zone: the dashboard's days run from local
    /// midnight, as an operator's working day does.
    pub fn dashboard_now(&self) -> DateTime<Local> {
        self.clock.now().with_timezone(&Local)
    }

    /// The dashboard's figures with per-day series of `days` days (the
    /// last one today), without the indicators.
    pub fn dashboard(&self, days: u32) -> Result<Dashboard, AppError> {
        let cfg = &self.config;
        let now = self.dashboard_now();
        // Where midnight does not exist (a daylight-saving jump), from now.
        let midnight = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|m| m.and_local_timezone(Local).earliest())
            .map_or(now.timestamp_millis(), |m| m.timestamp_millis());
        let q = DashboardQuery {
            open_states: lifecycle::open_states(&cfg.workflows),
            closed_states: lifecycle::states_in(
                &cfg.workflows,
                &[StateCategory::Resolved, StateCategory::Closed],
            ),
            today_start_ms: midnight,
            days,
            oldest: DASHBOARD_OLDEST,
            exclude_records: true,
        };
        let mut d = self.reader().dashboard(&q)?;
        (d.sla_warned, d.sla_breached) = self.reader().sla_counts(self.now_ms())?;
        Ok(d)
    }
}
