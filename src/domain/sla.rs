//! SLA clocks: how much business time a ticket has used of its response
//! and resolution targets, computed from its status history (read from the
//! operation log) on a business calendar. The clock runs only while the
//! ticket is in a state the policy lists, so waiting on the customer
//! pauses it. Pure: the history, the calendar and "now" are passed in, so
//! the same log gives the same ledger after a restart, an import or a
//! calendar change.
//!
//! When a clock is late: it is due at the instant its business time
//! reaches the target. Stopped at or before that instant it is met;
//! stopped after it, or still unstopped after it, it is breached. So a
//! clock that reached 100 % at 19:00 on Friday is breached from 19:00:01
//! on, and resolving the ticket on Saturday (with no business time in
//! between, still exactly 100 %) does not make it met again.

use super::calendar::Calendar;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// One stretch of the ticket's life in one state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    pub from: DateTime<Utc>,
    /// `None` while the ticket is still in this state.
    pub to: Option<DateTime<Utc>>,
    pub status: String,
    /// Whether the policy's clock runs in this state.
    pub running: bool,
    /// Business time the interval adds to the resolution clock.
    #[serde(serialize_with = "minutes")]
    pub counted: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting, below the warning threshold.
    Running,
    /// Not counting: the ticket is in a state the policy does not list.
    Paused,
    /// Counting or paused, past the warning threshold (`paused` on the
    /// clock says which).
    Warned,
    /// Still unstopped after the instant it was due, or stopped after it.
    Breached,
    /// Stopped at or before the instant it was due.
    Met,
}

/// Which judgement rule the states follow: part of the fingerprint of
/// every cache of clock states and outcomes, so caches written under an
/// earlier rule are recomputed. Change it whenever the rule changes.
/// Rule 2: breached strictly after the due instant, whether the clock is
/// still unstopped or stopped (rule 1 judged a stopped clock by its
/// business time alone, so one stopped out of hours at exactly 100 %
/// was met).
pub const JUDGEMENT_RULE: u32 = 2;

/// One target's clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clock {
    #[serde(serialize_with = "minutes")]
    pub target: Duration,
    #[serde(serialize_with = "minutes")]
    pub elapsed: Duration,
    #[serde(serialize_with = "minutes")]
    pub remaining: Duration,
    /// When the target is (or was) reached, if the clock gets there:
    /// from now on business time while running, or the moment it passed.
    pub due: Option<DateTime<Utc>>,
    /// When the clock stopped (response given, ticket resolved).
    pub stopped_at: Option<DateTime<Utc>>,
    pub state: ClockState,
    /// Not counting now: the clock has not stopped, and the ticket is in
    /// a state the policy does not list. True for `paused`, and for a
    /// `warned` or `breached` clock that is waiting.
    pub paused: bool,
    /// Elapsed as a share of the target, in percent.
    pub percent: u32,
}

fn minutes<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_minutes())
}

/// What the clocks are computed from.
pub struct SlaInput<'a> {
    pub calendar: &'a Calendar,
    /// States in which the clocks run.
    pub running: &'a [String],
    /// Status changes in time order, the first being the creation.
    pub history: &'a [(DateTime<Utc>, String)],
    /// The first response (a move out of the first state or a public comment).
    pub responded_at: Option<DateTime<Utc>>,
    /// When the ticket was last resolved or closed, if it is now.
    pub done_at: Option<DateTime<Utc>>,
    pub response_target: Duration,
    pub resolution_target: Duration,
    /// Warning threshold, percent of the target.
    pub warn_percent: u32,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ledger {
    pub intervals: Vec<Interval>,
    pub response: Clock,
    pub resolution: Clock,
}

/// Computes both clocks and the intervals behind them.
pub fn ledger(input: &SlaInput) -> Ledger {
    let now = input.now;
    let mut intervals = Vec::new();
    for (i, (from, status)) in input.history.iter().enumerate() {
        let to = input.history.get(i + 1).map(|(t, _)| *t);
        let running = input.running.contains(status);
        let end = to.unwrap_or(now).min(now);
        let counted = if running {
            input.calendar.business_time(*from, end)
        } else {
            Duration::zero()
        };
        intervals.push(Interval {
            from: *from,
            to,
            status: status.clone(),
            running,
            counted,
        });
    }
    let response = clock(input, &intervals, input.response_target, input.responded_at);
    let resolution = clock(input, &intervals, input.resolution_target, input.done_at);
    Ledger {
        intervals,
        response,
        resolution,
    }
}

fn clock(
    input: &SlaInput,
    intervals: &[Interval],
    target: Duration,
    stop: Option<DateTime<Utc>>,
) -> Clock {
    let cal = input.calendar;
    let until = stop.map_or(input.now, |s| s.min(input.now));
    let mut elapsed = Duration::zero();
    let mut reached: Option<DateTime<Utc>> = None;
    for iv in intervals.iter().filter(|iv| iv.running) {
        let end = iv.to.unwrap_or(until).min(until);
        if end <= iv.from {
            continue;
        }
        let part = cal.business_time(iv.from, end);
        if reached.is_none() && elapsed + part >= target && target > Duration::zero() {
            reached = cal.add_business(iv.from, target - elapsed);
        }
        elapsed += part;
    }
    let remaining = (target - elapsed).max(Duration::zero());
    let percent = if target > Duration::zero() {
        u32::try_from(elapsed.num_seconds().saturating_mul(100) / target.num_seconds().max(1))
            .unwrap_or(u32::MAX)
    } else {
        0
    };
    let running_now = intervals.last().is_some_and(|iv| iv.running);
    let stopped_at = stop.filter(|s| *s <= input.now);
    // Late at `at` if business time had reached the target before it. With
    // no instant known (a calendar with no working time left), by the
    // business time alone.
    let late_at = |at: DateTime<Utc>| {
        target > Duration::zero()
            && match reached {
                Some(due) => at > due,
                None => elapsed > target,
            }
    };
    let state = match stopped_at {
        Some(s) if late_at(s) => ClockState::Breached,
        Some(_) => ClockState::Met,
        None if late_at(input.now) => ClockState::Breached,
        None if percent >= input.warn_percent => ClockState::Warned,
        None if running_now => ClockState::Running,
        None => ClockState::Paused,
    };
    let due = match state {
        ClockState::Breached => reached,
        ClockState::Met => None,
        _ if running_now => cal.add_business(input.now, remaining),
        _ => None,
    };
    Clock {
        target,
        elapsed,
        remaining,
        due,
        stopped_at,
        state,
        paused: stopped_at.is_none() && !running_now,
        percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{Calendar, split_shift_week};
    use chrono::TimeZone;

    fn cal() -> Calendar {
        Calendar::new(chrono_tz::America::Bogota, split_shift_week(), []).expect("calendar")
    }

    fn t(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::America::Bogota
            .with_ymd_and_hms(2026, 3, d, h, m, 0)
            .earliest()
            .expect("time")
            .with_timezone(&Utc)
    }

    fn running() -> Vec<String> {
        ["new", "assigned", "in_progress"]
            .map(String::from)
            .to_vec()
    }

    fn input<'a>(
        cal: &'a Calendar,
        running: &'a [String],
        history: &'a [(DateTime<Utc>, String)],
        now: DateTime<Utc>,
    ) -> SlaInput<'a> {
        SlaInput {
            calendar: cal,
            running,
            history,
            responded_at: None,
            done_at: None,
            response_target: Duration::hours(1),
            resolution_target: Duration::hours(8),
            warn_percent: 75,
            now,
        }
    }

    #[test]
    fn waiting_on_the_customer_pauses_the_clock() {
        let (c, r) = (cal(), running());
        // Monday 2 March: new at 09:00, waiting 10:00-16:00, in progress after.
        let h = vec![
            (t(2, 9, 0), "new".to_string()),
            (t(2, 10, 0), "waiting".to_string()),
            (t(2, 16, 0), "in_progress".to_string()),
        ];
        let mut i = input(&c, &r, &h, t(2, 17, 0));
        i.responded_at = Some(t(2, 10, 0));
        let l = ledger(&i);
        assert_eq!(l.resolution.elapsed, Duration::hours(2));
        assert_eq!(l.resolution.state, ClockState::Running);
        // 6 h left from Monday 17:00: 2 h that day, 4 h on Tuesday morning.
        assert_eq!(l.resolution.due, Some(t(3, 13, 0)));
        assert_eq!(l.intervals[1].counted, Duration::zero());
        assert_eq!(l.response.state, ClockState::Met);
        assert_eq!(l.response.elapsed, Duration::hours(1));
    }

    #[test]
    fn warned_then_breached_with_the_moment_it_passed() {
        let (c, r) = (cal(), running());
        let h = vec![(t(2, 9, 0), "in_progress".to_string())];
        let l = ledger(&input(&c, &r, &h, t(2, 16, 30)));
        // 5 h + 30 m of 8 h: 68 %.
        assert_eq!(l.resolution.state, ClockState::Running);
        let l = ledger(&input(&c, &r, &h, t(2, 17, 0)));
        assert_eq!(l.resolution.state, ClockState::Warned);
        let l = ledger(&input(&c, &r, &h, t(3, 10, 0)));
        assert_eq!(l.resolution.state, ClockState::Breached);
        // 8 business hours ran out at the end of Monday's second range.
        assert_eq!(l.resolution.due, Some(t(2, 19, 0)));
        assert_eq!(l.resolution.remaining, Duration::zero());
        // The response never came: breached an hour after opening.
        assert_eq!(l.response.state, ClockState::Breached);
        assert_eq!(l.response.due, Some(t(2, 10, 0)));
    }

    #[test]
    fn a_resolved_ticket_has_met_its_target() {
        let (c, r) = (cal(), running());
        let h = vec![
            (t(2, 9, 0), "new".to_string()),
            (t(2, 11, 0), "resolved".to_string()),
        ];
        let mut i = input(&c, &r, &h, t(5, 9, 0));
        i.done_at = Some(t(2, 11, 0));
        let l = ledger(&i);
        assert_eq!(l.resolution.state, ClockState::Met);
        assert_eq!(l.resolution.elapsed, Duration::hours(2));
        assert_eq!(l.resolution.stopped_at, Some(t(2, 11, 0)));
        assert_eq!(l.resolution.due, None);
    }

    #[test]
    fn stopped_after_the_due_instant_is_breached_even_at_exactly_the_target() {
        let (c, r) = (cal(), running());
        // 8 business hours from Monday 09:00 end at 19:00, the end of the day.
        let h = vec![
            (t(2, 9, 0), "in_progress".to_string()),
            (t(2, 21, 0), "resolved".to_string()),
        ];
        let mut i = input(&c, &r, &h, t(3, 9, 0));
        i.done_at = Some(t(2, 21, 0));
        let l = ledger(&i);
        // Resolved at night: no business time since 19:00, still late.
        assert_eq!(l.resolution.elapsed, Duration::hours(8));
        assert_eq!(l.resolution.state, ClockState::Breached);
        assert_eq!(l.resolution.due, Some(t(2, 19, 0)));
        // Resolved at the due instant itself: met.
        let h = vec![
            (t(2, 9, 0), "in_progress".to_string()),
            (t(2, 19, 0), "resolved".to_string()),
        ];
        let mut i = input(&c, &r, &h, t(3, 9, 0));
        i.done_at = Some(t(2, 19, 0));
        assert_eq!(ledger(&i).resolution.state, ClockState::Met);
    }

    #[test]
    fn a_live_clock_breaches_just_after_its_due_instant() {
        let (c, r) = (cal(), running());
        let h = vec![(t(2, 9, 0), "in_progress".to_string())];
        let l = ledger(&input(&c, &r, &h, t(2, 19, 0)));
        assert_eq!(l.resolution.state, ClockState::Warned);
        assert_eq!(l.resolution.due, Some(t(2, 19, 0)));
        let l = ledger(&input(&c, &r, &h, t(2, 19, 0) + Duration::seconds(1)));
        assert_eq!(l.resolution.state, ClockState::Breached);
        assert!(!l.resolution.paused);
    }

    #[test]
    fn a_warned_clock_that_waits_says_it_is_paused() {
        let (c, r) = (cal(), running());
        // 6 h 30 m of 8 h (81 %), then waiting on the customer.
        let h = vec![
            (t(2, 9, 0), "in_progress".to_string()),
            (t(2, 17, 30), "waiting".to_string()),
        ];
        let l = ledger(&input(&c, &r, &h, t(3, 12, 0)));
        assert_eq!(l.resolution.state, ClockState::Warned);
        assert!(l.resolution.paused);
        assert_eq!(l.resolution.due, None);
    }

    #[test]
    fn a_paused_ticket_has_no_due_time() {
        let (c, r) = (cal(), running());
        let h = vec![
            (t(2, 9, 0), "new".to_string()),
            (t(2, 9, 30), "waiting".to_string()),
        ];
        let l = ledger(&input(&c, &r, &h, t(4, 9, 0)));
        assert_eq!(l.resolution.state, ClockState::Paused);
        assert_eq!(l.resolution.due, None);
        assert_eq!(l.resolution.elapsed, Duration::minutes(30));
    }
}
