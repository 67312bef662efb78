//! Business calendars: when a help desk works, so that SLA clocks count
//! business time. A calendar has a time zone, several working ranges per
//! weekday (09:00–14:00 and 16:00–19:00, seed 002), and holidays. Owns the
//! arithmetic (business time between two instants, the instant a business
//! duration ends); pure, with no clock of its own and no I/O.
//!
//! Ranges are local wall-clock times, so on a daylight-saving change the
//! working day is what the clocks on the wall say: a range crossing the
//! spring-forward gap is an hour shorter, one crossing the fall-back
//! overlap an hour longer.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// Minutes since local midnight; 1440 is the next midnight (`24:00`).
pub type Minute = u16;

/// A working range of one weekday, `[start, end)` in local minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Range {
    pub start: Minute,
    pub end: Minute,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("range {0} ends before it starts or is empty")]
    Backwards(String),
    #[error("range {0} goes past 24:00")]
    PastMidnight(String),
    #[error("ranges {0} and {1} of the same day overlap")]
    Overlap(String, String),
    #[error("'{0}' is not a time; write HH:MM (00:00 to 24:00)")]
    BadTime(String),
    #[error("'{0}' is not a range; write HH:MM-HH:MM, e.g. 09:00-14:00")]
    BadRange(String),
}

impl Range {
    /// Parses `09:00-14:00` (an en dash works too).
    pub fn parse(text: &str) -> Result<Range, CalendarError> {
        let (a, b) = text
            .split_once(['-', '–'])
            .ok_or_else(|| CalendarError::BadRange(text.to_string()))?;
        let range = Range {
            start: parse_minute(a.trim())?,
            end: parse_minute(b.trim())?,
        };
        if range.end <= range.start {
            return Err(CalendarError::Backwards(range.to_string()));
        }
        Ok(range)
    }

    pub fn minutes(self) -> i64 {
        i64::from(self.end) - i64::from(self.start)
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |m: Minute| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

/// A local time of day `HH:MM` (00:00 to 24:00) as minutes since midnight.
pub fn parse_hhmm(text: &str) -> Option<Minute> {
    parse_minute(text.trim()).ok()
}

fn parse_minute(text: &str) -> Result<Minute, CalendarError> {
    let bad = || CalendarError::BadTime(text.to_string());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A validated business calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    tz: Tz,
    /// Monday first.
    week: [Vec<Range>; 7],
    holidays: BTreeSet<NaiveDate>,
    totals: DayTotals,
}

/// Business seconds of every local date in a span, summed, so the business
/// time of a long span costs two lookups instead of a walk over its days
/// (a ticket waiting for months; every open ticket's clock recomputed after
/// a calendar change). Filled on demand, shared by the clones of one
/// calendar.
#[derive(Clone, Default)]
struct DayTotals(Arc<Mutex<Option<Totals>>>);

struct Totals {
    first: NaiveDate,
    /// `cum[i]`: business seconds of the dates before `first + i`.
    cum: Vec<i64>,
}

impl PartialEq for DayTotals {
    /// A cache: equal calendars are equal whatever they have computed.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for DayTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DayTotals")
    }
}

/// How far the totals grow beyond what is asked, so a run of lookups does
/// not rebuild them each time.
const TOTALS_SLACK_DAYS: i64 = 400;

/// How far `add_business` looks ahead before giving up (a calendar with no
/// working time at all, or holidays covering every working day).
const LOOKAHEAD_DAYS: i64 = 3700;

impl Calendar {
    /// Checks and sorts the ranges of each day: none backwards, none past
    /// midnight, none overlapping another of the same day.
    pub fn new(
        tz: Tz,
        week: [Vec<Range>; 7],
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarError> {
        let mut week = week;
        for day in week.iter_mut() {
            day.sort();
            for r in day.iter() {
                if r.end <= r.start {
                    return Err(CalendarError::Backwards(r.to_string()));
                }
                if r.end > 1440 {
                    return Err(CalendarError::PastMidnight(r.to_string()));
                }
            }
            for w in day.windows(2) {
                if w[1].start < w[0].end {
                    return Err(CalendarError::Overlap(w[0].to_string(), w[1].to_string()));
                }
            }
        }
        Ok(Calendar {
            tz,
            week,
            holidays: holidays.into_iter().collect(),
            totals: DayTotals::default(),
        })
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    /// The working intervals of one local date, as instants, in order.
    fn intervals(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.is_holiday(date) {
            return Vec::new();
        }
        let ranges = &self.week[date.weekday().num_days_from_monday() as usize];
        ranges
            .iter()
            .filter_map(|r| {
                let start = self.instant(date, r.start);
                let end = self.instant(date, r.end);
                (end > start).then_some((start, end))
            })
            .collect()
    }

    /// The instant a local wall-clock minute of `date` names. In the
    /// fall-back overlap the earlier instant; in the spring-forward gap the
    /// first instant after it (the clocks jump straight to it).
    fn instant(&self, date: NaiveDate, minute: Minute) -> DateTime<Utc> {
        let local: NaiveDateTime =
            date.and_time(chrono::NaiveTime::MIN) + Duration::minutes(i64::from(minute));
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => {
                // Gaps are at most a few hours; step until the wall clock exists.
                let mut probe = local;
                for _ in 0..(6 * 60) {
                    probe += Duration::minutes(1);
                    if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                        return t.with_timezone(&Utc);
                    }
                }
                Utc.from_utc_datetime(&local)
            }
        }
    }

    /// A day with working time: not a holiday and with ranges on its weekday.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.is_holiday(date)
            && !self.week[date.weekday().num_days_from_monday() as usize].is_empty()
    }

    /// The local date and minute of the day of an instant.
    pub fn local_minute(&self, t: DateTime<Utc>) -> (NaiveDate, Minute) {
        let local = t.with_timezone(&self.tz);
        let minute = local.hour() * 60 + local.minute();
        (local.date_naive(), minute as Minute)
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// Business time between two instants (zero when `to` is not after `from`).
    pub fn business_time(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let (d0, d1) = (self.local_date(from), self.local_date(to));
        if (d1 - d0).num_days() <= 4 {
            return self.overlap(from, to, d0 - Duration::days(1), d1 + Duration::days(1));
        }
        // The days around each end exactly; every day between lies wholly
        // inside the span (it starts after `from`'s day and ends before
        // `to`'s), so its whole business time counts.
        let inner_first = d0 + Duration::days(2);
        let inner_end = d1 - Duration::days(1);
        self.overlap(
            from,
            to,
            d0 - Duration::days(1),
            inner_first - Duration::days(1),
        ) + Duration::seconds(self.whole_days(inner_first, inner_end))
            + self.overlap(from, to, inner_end, d1 + Duration::days(1))
    }

    /// Business time within `[from, to)` of the dates `first..=last`.
    fn overlap(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Duration {
        let mut total = Duration::zero();
        let mut date = first;
        while date <= last {
            for (s, e) in self.intervals(date) {
                let (s, e) = (s.max(from), e.min(to));
                if e > s {
                    total += e - s;
                }
            }
            date += Duration::days(1);
        }
        total
    }

    /// Business seconds of the whole dates `first..end` (end excluded).
    fn whole_days(&self, first: NaiveDate, end: NaiveDate) -> i64 {
        if end <= first {
            return 0;
        }
        let day_seconds = |d: NaiveDate| -> i64 {
            self.intervals(d)
                .iter()
                .map(|(s, e)| (*e - *s).num_seconds())
                .sum()
        };
        // A poisoned lock only means another thread panicked mid-fill:
        // the totals are rebuilt below when they do not cover the span.
        let mut guard = self.totals.0.lock().unwrap_or_else(|p| p.into_inner());
        let covers = guard.as_ref().is_some_and(|t| {
            t.first <= first && t.first + Duration::days(t.cum.len() as i64 - 1) >= end
        });
        if !covers {
            let (lo, hi) = match guard.as_ref() {
                Some(t) => (
                    t.first.min(first - Duration::days(TOTALS_SLACK_DAYS)),
                    (t.first + Duration::days(t.cum.len() as i64 - 1))
                        .max(end + Duration::days(TOTALS_SLACK_DAYS)),
                ),
                None => (
                    first - Duration::days(TOTALS_SLACK_DAYS),
                    end + Duration::days(TOTALS_SLACK_DAYS),
                ),
            };
            let mut cum = Vec::with_capacity((hi - lo).num_days() as usize + 1);
            let mut acc = 0;
            cum.push(0);
            let mut d = lo;
            while d < hi {
                acc += day_seconds(d);
                cum.push(acc);
                d += Duration::days(1);
            }
            *guard = Some(Totals { first: lo, cum });
        }
        let Some(t) = guard.as_ref() else {
            return 0;
        };
        let index = |d: NaiveDate| (d - t.first).num_days() as usize;
        t.cum[index(end)] - t.cum[index(first)]
    }

    /// The instant at which `amount` of business time, counted from
    /// `from`, has passed; `None` when the calendar has no working time
    /// within about ten years.
    pub fn add_business(&self, from: DateTime<Utc>, amount: Duration) -> Option<DateTime<Utc>> {
        if amount <= Duration::zero() {
            return Some(from);
        }
        let mut left = amount;
        let mut date = self.local_date(from) - Duration::days(1);
        let limit = date + Duration::days(LOOKAHEAD_DAYS);
        while date <= limit {
            for (s, e) in self.intervals(date) {
                let s = s.max(from);
                if e <= s {
                    continue;
                }
                if e - s >= left {
                    return Some(s + left);
                }
                left -= e - s;
            }
            date += Duration::days(1);
        }
        None
    }

    /// Whether `t` falls inside working time.
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        let date = self.local_date(t);
        [date - Duration::days(1), date]
            .iter()
            .flat_map(|d| self.intervals(*d))
            .any(|(s, e)| s <= t && t < e)
    }
}

/// The week of seed 002: 09:00–14:00 and 16:00–19:00, Monday to Friday.
pub fn split_shift_week() -> [Vec<Range>; 7] {
    let day = vec![
        Range {
            start: 9 * 60,
            end: 14 * 60,
        },
        Range {
            start: 16 * 60,
            end: 19 * 60,
        },
    ];
    [
        day.clone(),
        day.clone(),
        day.clone(),
        day.clone(),
        day,
        Vec::new(),
        Vec::new(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bogota() -> Calendar {
        let holidays = [NaiveDate::from_ymd_opt(2026, 7, 20).expect("date")];
        Calendar::new(chrono_tz::America::Bogota, split_shift_week(), holidays).expect("valid")
    }

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .expect("local time exists")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_lunch_break_and_the_night_do_not_count() {
        let c = bogota();
        let tz = chrono_tz::America::Bogota;
        // Monday 2026-03-02 13:00 + 3 h: one hour before lunch, two after.
        let due = c
            .add_business(at(tz, 2026, 3, 2, 13, 0), Duration::hours(3))
            .expect("due");
        assert_eq!(due, at(tz, 2026, 3, 2, 18, 0));
        // Friday 18:00 + 2 h: one hour on Friday, the next on Monday.
        let due = c
            .add_business(at(tz, 2026, 3, 6, 18, 0), Duration::hours(2))
            .expect("due");
        assert_eq!(due, at(tz, 2026, 3, 9, 10, 0));
        assert_eq!(
            c.business_time(at(tz, 2026, 3, 2, 8, 0), at(tz, 2026, 3, 3, 8, 0)),
            Duration::hours(8)
        );
    }

    #[test]
    fn holidays_have_no_business_time() {
        let c = bogota();
        let tz = chrono_tz::America::Bogota;
        // Monday 20 July 2026 is a holiday in the test calendar.
        assert_eq!(
            c.business_time(at(tz, 2026, 7, 20, 0, 0), at(tz, 2026, 7, 21, 0, 0)),
            Duration::zero()
        );
        assert!(!c.is_working(at(tz, 2026, 7, 20, 10, 0)));
        assert!(c.is_working(at(tz, 2026, 7, 21, 10, 0)));
    }

    #[test]
    fn daylight_saving_days_follow_the_wall_clock() {
        let tz = chrono_tz::Europe::Madrid;
        let night = vec![Range {
            start: 60,
            end: 4 * 60,
        }];
        let week = [
            night.clone(),
            night.clone(),
            night.clone(),
            night.clone(),
            night.clone(),
            night.clone(),
            night,
        ];
        let c = Calendar::new(tz, week, []).expect("valid");
        let day =
            |d: u32, m: u32| c.business_time(at(tz, 2026, m, d, 0, 0), at(tz, 2026, m, d, 12, 0));
        // 29 March 2026: 02:00 jumps to 03:00, so 01:00-04:00 lasts 2 h.
        assert_eq!(day(29, 3), Duration::hours(2));
        // 25 October 2026: 03:00 goes back to 02:00, so it lasts 4 h.
        assert_eq!(day(25, 10), Duration::hours(4));
        assert_eq!(day(26, 10), Duration::hours(3));
    }

    #[test]
    fn bad_ranges_are_refused() {
        assert!(matches!(
            Range::parse("14:00-09:00"),
            Err(CalendarError::Backwards(_))
        ));
        assert!(matches!(
            Range::parse("9-14"),
            Err(CalendarError::BadTime(_))
        ));
        assert!(matches!(
            Range::parse("09:00"),
            Err(CalendarError::BadRange(_))
        ));
        assert_eq!(Range::parse("16:00–24:00").map(|r| r.minutes()), Ok(480));
        let mut week = split_shift_week();
        week[0].push(Range::parse("13:00-15:00").expect("range"));
        assert!(matches!(
            Calendar::new(chrono_tz::UTC, week, []),
            Err(CalendarError::Overlap(_, _))
        ));
    }

    #[test]
    fn a_calendar_without_working_time_never_reaches_a_due_time() {
        let c = Calendar::new(chrono_tz::UTC, Default::default(), []).expect("valid");
        assert_eq!(c.add_business(Utc::now(), Duration::minutes(1)), None);
        let now = Utc::now();
        assert_eq!(c.add_business(now, Duration::zero()), Some(now));
    }

    /// Calendars of the kinds shipped: split shifts, DST zones, holidays.
    fn calendars() -> Vec<Calendar> {
        let hol: Vec<NaiveDate> = (0..40)
            .map(|i| NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Duration::days(i * 17))
            .collect();
        let full = vec![Range {
            start: 0,
            end: 1440,
        }];
        vec![
            bogota(),
            Calendar::new(chrono_tz::Europe::Madrid, split_shift_week(), hol.clone()).expect("ok"),
            Calendar::new(
                chrono_tz::America::Asuncion,
                [
                    full.clone(),
                    full.clone(),
                    full.clone(),
                    full.clone(),
                    full.clone(),
                    full.clone(),
                    full,
                ],
                hol,
            )
            .expect("ok"),
        ]
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2026-01-01 to 2027-12-31, to the second.
        (1_767_225_600i64..1_830_297_600).prop_map(|s| DateTime::from_timestamp(s, 0).expect("t"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn adding_then_measuring_round_trips(from in instant(), secs in 0i64..(400 * 3600), which in 0usize..3) {
            let c = &calendars()[which];
            let d = Duration::seconds(secs);
            let due = c.add_business(from, d).expect("working time exists");
            prop_assert_eq!(c.business_time(from, due), d);
        }

        #[test]
        fn long_spans_count_the_same_as_a_walk_over_every_day(a in instant(), b in instant(), which in 0usize..3) {
            let c = &calendars()[which];
            let (a, b) = (a.min(b), a.max(b));
            let walked = c.overlap(a, b, c.local_date(a) - Duration::days(1), c.local_date(b) + Duration::days(1));
            prop_assert_eq!(c.business_time(a, b), walked);
        }

        #[test]
        fn no_interval_is_counted_twice(a in instant(), b in instant(), m in instant(), which in 0usize..3) {
            let c = &calendars()[which];
            let (a, b) = (a.min(b), a.max(b));
            let m = m.clamp(a, b);
            prop_assert_eq!(c.business_time(a, m) + c.business_time(m, b), c.business_time(a, b));
            prop_assert!(c.business_time(a, b) <= b - a);
        }
    }
}
