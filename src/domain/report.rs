//! The arithmetic of reports: when a ticket finished and whether it was
//! reopened, from its status history; nearest-rank percentiles; shares in
//! percent. Pure: the history and the state categories are passed in.

use crate::config::StateCategory;

/// The headline figures of a range, as the console's dashboard shows
/// them (the full set is `guardia report`'s). Shares are in tenths of a
/// percent (935 is 93.5 %), so the type stays comparable with `Eq`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headline {
    pub opened: i64,
    pub closed: i64,
    pub backlog: i64,
    /// Resolved tickets an SLA policy covers: what the times are of.
    pub counted: i64,
    pub response_median_min: Option<i64>,
    pub resolution_median_min: Option<i64>,
    pub resolution_p90_min: Option<i64>,
    pub response_met_permille: Option<i64>,
    pub resolution_met_permille: Option<i64>,
    pub reopened: i64,
    pub escalations: i64,
    pub rejections: i64,
}

/// Today's and the last 30 days' figures, with a value per day for charts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kpis {
    pub today: Headline,
    pub month: Headline,
    /// Oldest first, the last one today: tickets resolved that day.
    pub resolved_per_day: Vec<i64>,
    /// Per day like `resolved_per_day`: the share of those an SLA policy
    /// covers that met the resolution target, in tenths of a percent
    /// (`None` for a day with none).
    pub resolution_met_per_day: Vec<Option<i64>>,
}

/// How a finished ticket finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finish {
    /// When it last moved from an unfinished state into a finished one
    /// (or was created in one), in Unix milliseconds.
    pub done_ms: i64,
    /// Since that move it has been in a state of category `cancelled`
    /// (cancelled or rejected): the ticket was not resolved. Also when it
    /// was resolved first and cancelled after: a cancelled ticket counts
    /// as no resolution (and no fast one), though it still finished when
    /// it first left the queue.
    pub cancelled: bool,
    /// At some point it moved from a finished state back to an open one.
    pub reopened: bool,
}

/// The finish of a ticket whose status history (time in Unix ms and
/// state, in time order, the first being its creation) is `history`, or
/// `None` if its last state is not a finished one. Moves between two
/// finished states (resolved, then closed) do not finish it again, but a
/// cancelled state anywhere in that last stretch makes the finish a
/// cancelled one (resolved, then cancelled: not resolved after all).
pub fn finish(
    history: &[(i64, String)],
    category: impl Fn(&str) -> StateCategory,
) -> Option<Finish> {
    let mut last: Option<Finish> = None;
    let mut was_done = false;
    let mut reopened = false;
    for (at, state) in history {
        let cat = category(state);
        let done = cat.is_done();
        if done && !was_done {
            last = Some(Finish {
                done_ms: *at,
                cancelled: false,
                reopened: false,
            });
        }
        if cat == StateCategory::Cancelled
            && let Some(f) = last.as_mut()
        {
            f.cancelled = true;
        }
        if was_done && !done {
            reopened = true;
        }
        was_done = done;
    }
    if !was_done {
        return None;
    }
    last.map(|f| Finish { reopened, ..f })
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of `values`: the smallest
/// value with at least p % of the values at or below it, so always one of
/// the values. `None` for no values. Sorts `values`.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    // rank = ceil(p/100 · n), from 1.
    let rank = (u64::from(p.clamp(1, 100)) * n as u64).div_ceil(100) as usize;
    values.get(rank.clamp(1, n) - 1).copied()
}

/// `part` of `whole` in percent, to one decimal; `None` when `whole` is 0.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    if whole <= 0 {
        return None;
    }
    Some((part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(s: &str) -> StateCategory {
        match s {
            "new" => StateCategory::New,
            "waiting" => StateCategory::Waiting,
            "resolved" => StateCategory::Resolved,
            "closed" => StateCategory::Closed,
            "rejected" => StateCategory::Cancelled,
            _ => StateCategory::Active,
        }
    }

    fn h(steps: &[(i64, &str)]) -> Vec<(i64, String)> {
        steps.iter().map(|(t, s)| (*t, s.to_string())).collect()
    }

    #[test]
    fn a_resolved_then_closed_ticket_finished_when_resolved() {
        let f = finish(
            &h(&[
                (1, "new"),
                (2, "in_progress"),
                (3, "resolved"),
                (4, "closed"),
            ]),
            cat,
        );
        assert_eq!(
            f,
            Some(Finish {
                done_ms: 3,
                cancelled: false,
                reopened: false
            })
        );
    }

    #[test]
    fn a_reopened_ticket_finished_the_last_time_and_says_so() {
        let f = finish(
            &h(&[
                (1, "new"),
                (3, "resolved"),
                (5, "in_progress"),
                (7, "resolved"),
                (8, "closed"),
            ]),
            cat,
        )
        .expect("finished");
        assert_eq!((f.done_ms, f.reopened, f.cancelled), (7, true, false));
        // Reopened and still open: not finished.
        assert_eq!(
            finish(&h(&[(1, "new"), (3, "resolved"), (5, "in_progress")]), cat),
            None
        );
    }

    #[test]
    fn a_rejection_is_a_cancelled_finish() {
        let f = finish(&h(&[(1, "new"), (2, "rejected")]), cat).expect("finished");
        assert!(f.cancelled);
        assert_eq!(finish(&h(&[(1, "new")]), cat), None);
    }

    #[test]
    fn resolved_then_cancelled_is_a_cancelled_finish_when_first_done() {
        let f = finish(&h(&[(1, "new"), (2, "resolved"), (5, "rejected")]), cat).expect("finished");
        assert_eq!((f.done_ms, f.cancelled), (2, true));
        // Rejected, then closed: still not resolved.
        let f = finish(&h(&[(1, "new"), (2, "rejected"), (3, "closed")]), cat).expect("finished");
        assert!(f.cancelled);
        // Cancelled once, reopened, then resolved: a resolution.
        let f = finish(
            &h(&[(1, "new"), (2, "rejected"), (3, "new"), (4, "resolved")]),
            cat,
        )
        .expect("finished");
        assert_eq!((f.done_ms, f.cancelled, f.reopened), (4, false, true));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut v = vec![40, 10, 30, 20];
        assert_eq!(percentile(&mut v, 50), Some(20));
        assert_eq!(percentile(&mut v, 90), Some(40));
        assert_eq!(percentile(&mut v, 100), Some(40));
        let mut one = vec![7];
        assert_eq!(percentile(&mut one, 90), Some(7));
        let mut none: Vec<i64> = vec![];
        assert_eq!(percentile(&mut none, 50), None);
        let mut ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&mut ten, 90), Some(9));
        assert_eq!(percentile(&mut ten, 50), Some(5));
    }

    #[test]
    fn shares_round_to_one_decimal() {
        assert_eq!(share(1, 3), Some(33.3));
        assert_eq!(share(2, 3), Some(66.7));
        assert_eq!(share(0, 0), None);
        assert_eq!(share(5, 5), Some(100.0));
    }
}
