//! The dashboard: what is open (by state, priority, level and assignee), how
//! many tickets arrived and were finished on each of the last days, and the
//! oldest open tickets.
//!
//! The console recomputes it on its database thread each time the database
//! changes while the pane is visible (at most once a second), so at 1M
//! tickets the whole call has to stay within tens of milliseconds (17 ms
//! measured). Every query reads index ranges only, never a whole table: the
//! three indexes of schema V2 and `ticket_status_assignee`.
//! `tests/store_dashboard.rs` pins the plans; `docs/performance.md` has the
//! figures.

use super::snapshot::{Snapshot, distinct};
use super::{Reader, StoreError};
use rusqlite::Connection;
use std::collections::BTreeMap;

/// One calendar day, in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// What to compute; the caller knows the workflows and the time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardQuery {
    /// States that count as open (e.g. `lifecycle::open_states`).
    pub open_states: Vec<String>,
    /// States that count as done (e.g. resolved and closed): a ticket is
    /// finished on the day it moves from any other state into one of these.
    pub closed_states: Vec<String>,
    /// Local midnight of today, in Unix milliseconds.
    pub today_start_ms: i64,
    /// How many days the per-day series cover (today included).
    pub days: u32,
    /// How many of the oldest open tickets to list.
    pub oldest: usize,
    /// Leave out problems and known errors (tickets with a `record`), as
    /// `guardia report` does: they are records, not the queue's work.
    pub exclude_records: bool,
}

/// One of the oldest open tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldestTicket {
    pub key: String,
    pub title: String,
    pub priority: String,
    pub status: String,
    pub assignee: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub open_total: i64,
    /// Open tickets per priority id, by id; priorities with none left out.
    pub open_by_priority: Vec<(String, i64)>,
    /// Open tickets per open state, in the order of `open_states`; states
    /// with none left out (every workflow's states are open states, and
    /// most have none in a given organisation).
    pub open_by_status: Vec<(String, i64)>,
    /// Open tickets per level, by level; levels with none left out.
    pub open_by_level: Vec<(u8, i64)>,
    /// Open tickets per assignee, unassigned (`None`) first, then by id.
    pub open_by_assignee: Vec<(Option<String>, i64)>,
    /// `days` entries, oldest first, the last one today: entry `i` counts the
    /// tickets created in `[today_start - (days-1-i) days, +1 day)`.
    pub new_per_day: Vec<i64>,
    /// `days` entries like `new_per_day`: moves from a state outside
    /// `closed_states` into one of them, by the time of the move.
    pub done_per_day: Vec<i64>,
    /// The oldest open tickets by creation time (then by row), oldest first.
    pub oldest_open: Vec<OldestTicket>,
    /// Open tickets whose resolution clock has warned (not breached) and
    /// breached, from the SLA cache (`Reader::sla_counts`); filled by the
    /// caller, which knows the time.
    pub sla_warned: i64,
    pub sla_breached: i64,
    /// Today's and the last 30 days' report figures, filled by the caller
    /// (`App::kpis`); `None` while finished tickets lack their SLA outcome.
    pub kpis: Option<crate::domain::report::Kpis>,
}

/// Open tickets of one state per (priority, level), from the state's range of
/// `ticket_status_shape`, in index order (no sort). The expressions must be
/// written exactly as in the index (`schema.rs`, V2). EXPLAIN QUERY PLAN
/// says `USING INDEX`, not `COVERING INDEX` (grouping by an expression
/// defeats SQLite's covering check), but the values come from the index and
/// the seek to the ticket row stays deferred and never happens: 2 ms for 29k
/// tickets, against 60 ms when each row is read.
const SHAPE_SQL: &str = "SELECT priority || '', level + 0, count(*) FROM ticket
     WHERE status = ?1 GROUP BY priority || '', level + 0";

/// Open tickets of one state per assignee, from `ticket_status_assignee`.
const ASSIGNEE_SQL: &str =
    "SELECT assignee, count(*) FROM ticket WHERE status = ?1 GROUP BY assignee";

/// The oldest tickets of one (state, priority, level) group: the first
/// entries of its `ticket_status_shape` range, which is ordered by
/// `created_at`, then row number.
const OLDEST_SQL: &str = "SELECT created_at, no FROM ticket
     WHERE status = ?1 AND priority || '' = ?2 AND level + 0 = ?3
     ORDER BY created_at, no LIMIT ?4";

const OLDEST_ROW_SQL: &str =
    "SELECT key, title, priority, status, assignee, created_at FROM ticket WHERE no = ?1";

/// Every record (problem, known error), from the partial index
/// `ticket_record`: records are few, so the dashboard counts every ticket
/// from its indexes as before and takes these off.
const RECORDS_SQL: &str = "SELECT no, status, priority, level, assignee, created_at
     FROM ticket INDEXED BY ticket_record WHERE record IS NOT NULL";

/// The state changes of records in a hybrid-clock range: (to, from).
const RECORD_MOVES_SQL: &str =
    "SELECT json_extract(o.value, '$.to'), json_extract(o.value, '$.from')
     FROM ticket r INDEXED BY ticket_record JOIN op o ON o.entity_id = r.id
     WHERE r.record IS NOT NULL AND o.kind = 'transition' AND o.hlc >= ?1 AND o.hlc < ?2";

/// One record, as the dashboard counts it.
struct RecordRow {
    no: i64,
    status: String,
    priority: String,
    level: i64,
    assignee: Option<String>,
    created_at: i64,
}

fn records(c: &Connection) -> rusqlite::Result<Vec<RecordRow>> {
    let mut st = c.prepare_cached(RECORDS_SQL)?;
    let rows = st.query_map([], |r| {
        Ok(RecordRow {
            no: r.get(0)?,
            status: r.get(1)?,
            priority: r.get(2)?,
            level: r.get(3)?,
            assignee: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// Takes `n` off a count, dropping the entry when none is left.
fn take_off<K: Ord>(counts: &mut BTreeMap<K, i64>, key: K, n: i64) {
    if let Some(v) = counts.get_mut(&key) {
        *v -= n;
        if *v <= 0 {
            counts.remove(&key);
        }
    }
}

/// Tickets created in a time range (milliseconds), from `ticket_created`.
const NEW_SQL: &str = "SELECT count(*) FROM ticket WHERE created_at >= ?1 AND created_at < ?2";

/// Moves into a done state in a time range (hybrid-clock bounds); ?1 is the
/// done states as a JSON array.
///
/// From the op log rather than `ticket.updated_at`: `updated_at` moves on
/// every later change (a comment after resolving, closing a resolved ticket)
/// and keeps no trace of a ticket resolved and then reopened, so it would
/// count tickets on the wrong day or not at all. A transition op carries its
/// exact time and its `from` and `to`. Moves between two done states
/// (resolved → closed) do not count again; a ticket reopened and finished
/// again counts each time. Each day is one range of `op_transition` per done
/// state, read from the index alone: the expressions must be written exactly
/// as in the index (`schema.rs`, V2).
const DONE_SQL: &str = "SELECT count(*) FROM op
     WHERE kind = 'transition'
       AND json_extract(value, '$.to') IN (SELECT j.value FROM json_each(?1) AS j)
       AND hlc >= ?2 AND hlc < ?3
       AND json_extract(value, '$.from') NOT IN (SELECT j.value FROM json_each(?1) AS j)";

/// The smallest hybrid-clock value of a wall-clock millisecond (see
/// `ops::hlc_next`), clamped into the clock's range.
fn hlc_floor(ms: i64) -> i64 {
    ms.clamp(0, i64::MAX >> 16) << 16
}

/// `[start, end)` of each day of the series, oldest first. Days are fixed
/// 24-hour steps back from today's local midnight: across a daylight-saving
/// change inside the window the days before it are off by that hour (e.g.
/// 23:00 to 23:00). The console shows counts, not an hourly chart, so that
/// is accepted rather than passing every midnight in.
fn day_bounds(q: &DashboardQuery) -> Vec<(i64, i64)> {
    (0..i64::from(q.days))
        .map(|i| {
            let start = q
                .today_start_ms
                .saturating_sub((i64::from(q.days) - 1 - i) * DAY_MS);
            (start, start.saturating_add(DAY_MS))
        })
        .collect()
}

/// The dashboard's queries, inside the snapshot.
fn compute(c: &Connection, q: &DashboardQuery) -> rusqlite::Result<Dashboard> {
    let mut d = Dashboard::default();
    let mut by_priority: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_level: BTreeMap<u8, i64> = BTreeMap::new();
    let mut by_assignee: BTreeMap<Option<String>, i64> = BTreeMap::new();
    // (state, priority, level) groups with open tickets, for `oldest`.
    let mut groups: Vec<(&str, String, i64)> = Vec::new();

    let records = if q.exclude_records {
        records(c)?
    } else {
        Vec::new()
    };
    let open = distinct(&q.open_states);
    let open_records: Vec<&RecordRow> = records
        .iter()
        .filter(|r| open.iter().any(|s| *s == r.status))
        .collect();
    let mut shape = c.prepare_cached(SHAPE_SQL)?;
    let mut assignees = c.prepare_cached(ASSIGNEE_SQL)?;
    for &state in &open {
        let mut in_state = 0;
        let mut rows = shape.query([state])?;
        while let Some(r) = rows.next()? {
            let (priority, level, n): (String, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            in_state += n;
            *by_priority.entry(priority.clone()).or_default() += n;
            *by_level.entry(level.clamp(0, 255) as u8).or_default() += n;
            groups.push((state, priority, level));
        }
        let mut rows = assignees.query([state])?;
        while let Some(r) = rows.next()? {
            *by_assignee.entry(r.get(0)?).or_default() += r.get::<_, i64>(1)?;
        }
        for r in open_records.iter().filter(|r| r.status == state) {
            in_state -= 1;
            take_off(&mut by_priority, r.priority.clone(), 1);
            take_off(&mut by_level, r.level.clamp(0, 255) as u8, 1);
            take_off(&mut by_assignee, r.assignee.clone(), 1);
        }
        d.open_total += in_state;
        if in_state > 0 {
            d.open_by_status.push((state.to_string(), in_state));
        }
    }
    d.open_by_priority = by_priority.into_iter().collect();
    d.open_by_level = by_level.into_iter().collect();
    d.open_by_assignee = by_assignee.into_iter().collect();

    if q.oldest > 0 && !groups.is_empty() {
        // The oldest `oldest` of every group, then the oldest overall:
        // a few dozen short index walks instead of sorting all open tickets.
        // Each group's walk may meet records first: it reads as many more.
        let limit = i64::try_from(q.oldest.saturating_add(open_records.len())).unwrap_or(i64::MAX);
        let mut candidates: Vec<(i64, i64)> = Vec::new();
        let mut st = c.prepare_cached(OLDEST_SQL)?;
        for (state, priority, level) in &groups {
            let rows = st.query_map(rusqlite::params![state, priority, level, limit], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            for row in rows {
                let (created, no) = row?;
                if !open_records.iter().any(|r| r.no == no) {
                    candidates.push((created, no));
                }
            }
        }
        candidates.sort_unstable();
        candidates.truncate(q.oldest);
        let mut st = c.prepare_cached(OLDEST_ROW_SQL)?;
        for (_, no) in candidates {
            d.oldest_open.push(st.query_row([no], |r| {
                Ok(OldestTicket {
                    key: r.get(0)?,
                    title: r.get(1)?,
                    priority: r.get(2)?,
                    status: r.get(3)?,
                    assignee: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?);
        }
    }

    let done = serde_json::to_string(&q.closed_states).unwrap_or_else(|_| "[]".into());
    let mut new = c.prepare_cached(NEW_SQL)?;
    let mut finished = c.prepare_cached(DONE_SQL)?;
    let mut record_moves = c.prepare_cached(RECORD_MOVES_SQL)?;
    for (start, end) in day_bounds(q) {
        let created: i64 = new.query_row([start, end], |r| r.get(0))?;
        let records_created = records
            .iter()
            .filter(|r| r.created_at >= start && r.created_at < end)
            .count();
        d.new_per_day
            .push(created - i64::try_from(records_created).unwrap_or(0));
        let (lo, hi) = (hlc_floor(start), hlc_floor(end));
        let mut finished_here: i64 =
            finished.query_row(rusqlite::params![done, lo, hi], |r| r.get(0))?;
        if q.exclude_records && !records.is_empty() {
            let mut rows = record_moves.query([lo, hi])?;
            while let Some(r) = rows.next()? {
                let (to, from): (Option<String>, Option<String>) = (r.get(0)?, r.get(1)?);
                let is_done =
                    |s: &Option<String>| s.as_ref().is_some_and(|s| q.closed_states.contains(s));
                // As DONE_SQL counts: a move with no `from` is not counted.
                if is_done(&to) && from.is_some() && !is_done(&from) {
                    finished_here -= 1;
                }
            }
        }
        d.done_per_day.push(finished_here);
    }
    Ok(d)
}

impl Reader<'_> {
    /// The dashboard's figures (see [`Dashboard`]).
    pub fn dashboard(&self, q: &DashboardQuery) -> Result<Dashboard, StoreError> {
        let conn = self.conn();
        let _snapshot = Snapshot::begin(conn).map_err(|e| self.err(e))?;
        compute(conn, q).map_err(|e| self.err(e))
    }

    /// `EXPLAIN QUERY PLAN` of each dashboard query, by name (for the plan
    /// tests), with the parameters of the first open state and of today.
    pub fn dashboard_plan(
        &self,
        q: &DashboardQuery,
    ) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        use serde_json::Value;
        let state = q.open_states.first().cloned().unwrap_or_default();
        let (start, end) = (q.today_start_ms, q.today_start_ms.saturating_add(DAY_MS));
        let (lo, hi) = (hlc_floor(start), hlc_floor(end));
        let done = serde_json::to_string(&q.closed_states).unwrap_or_else(|_| "[]".into());
        let plans: [(&'static str, &str, Vec<Value>); 8] = [
            (
                "open by priority and level",
                SHAPE_SQL,
                vec![state.clone().into()],
            ),
            ("open by assignee", ASSIGNEE_SQL, vec![state.clone().into()]),
            (
                "oldest of a group",
                OLDEST_SQL,
                vec![state.into(), "medium".into(), 1.into(), 8.into()],
            ),
            ("oldest row", OLDEST_ROW_SQL, vec![1.into()]),
            ("new per day", NEW_SQL, vec![start.into(), end.into()]),
            (
                "done per day",
                DONE_SQL,
                vec![done.into(), lo.into(), hi.into()],
            ),
            ("records", RECORDS_SQL, vec![]),
            (
                "moves of records",
                RECORD_MOVES_SQL,
                vec![lo.into(), hi.into()],
            ),
        ];
        plans
            .into_iter()
            .map(|(name, sql, args)| Ok((name, self.plan(sql, args)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_end_today_and_step_back_whole_days() {
        let q = DashboardQuery {
            today_start_ms: 10 * DAY_MS,
            days: 3,
            ..Default::default()
        };
        assert_eq!(
            day_bounds(&q),
            vec![
                (8 * DAY_MS, 9 * DAY_MS),
                (9 * DAY_MS, 10 * DAY_MS),
                (10 * DAY_MS, 11 * DAY_MS)
            ]
        );
        assert!(day_bounds(&DashboardQuery::default()).is_empty());
    }

    #[test]
    fn clock_bounds_cover_every_op_of_a_millisecond() {
        assert_eq!(hlc_floor(1_000), 1_000 << 16);
        assert!(hlc_floor(1_000) > super::super::ops::hlc_next(0, 999));
        assert_eq!(super::super::ops::hlc_ms(hlc_floor(1_000)), 1_000);
        assert_eq!(hlc_floor(-5), 0);
        assert_eq!(hlc_floor(i64::MAX), (i64::MAX >> 16) << 16);
    }

    #[test]
    fn repeated_states_count_once() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            distinct(&s(&["new", "waiting", "new"])),
            vec!["new", "waiting"]
        );
    }
}
