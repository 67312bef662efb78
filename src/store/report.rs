//! The aggregates behind `guardia report` (and the dashboard's live
//! figures): tickets opened, finished and still open, how their SLA clocks
//! ended, escalations per level, rejections by reason and the problems with
//! the most linked incidents, over a time range and optionally per group.
//!
//! Config-free like the rest of the store: the caller passes the states
//! that count as open and as finished, the ticket types to include, whether
//! records count, and the range in Unix milliseconds. Nothing loads tickets
//! as structs: counts are grouped in SQL, and the response and resolution
//! minutes (needed whole for percentiles) are streamed as two integers per
//! finished ticket from the `sla_outcome` index. Every query reads index
//! ranges; with a grouping or a type filter each row names its ticket by
//! row number, and a map built from one covering index gives its group.
//! Only tickets reopened after a past range ended have their log read.

use super::snapshot::{Snapshot, distinct};
use super::{Reader, StoreError};
use rusqlite::{Connection, Statement, ToSql};
use std::collections::BTreeMap;

/// What the figures can be broken down by (the ticket's current value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportGroup {
    Service,
    Level,
    Assignee,
    Priority,
}

/// What to compute; the caller knows the workflows and the time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportQuery {
    /// States that count as open (categories new, active, waiting).
    pub open_states: Vec<String>,
    /// Every other state of every workflow: leaving the open states means
    /// entering one of these.
    pub other_states: Vec<String>,
    /// Of those, the states of category `cancelled` (cancelled, rejected):
    /// a ticket in one now is not counted as resolved (see [`recancelled`]).
    pub cancelled_states: Vec<String>,
    /// Only tickets of these types; `None` for all.
    pub types: Option<Vec<String>>,
    /// Leave out problems and known errors (tickets with a `record`), which
    /// are records rather than the queue's work.
    pub exclude_records: bool,
    /// `[from_ms, to_ms)`, Unix milliseconds.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Now: a range ending at or after it has today's backlog.
    pub now_ms: i64,
    pub group: Option<ReportGroup>,
    /// How many problems to list.
    pub top_problems: usize,
}

/// A group's value: the service, level, assignee or priority; `None` for
/// an unassigned ticket, and for everything when there is no grouping.
pub type GroupKey = Option<String>;

/// The raw figures of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFigures {
    /// Created in the range.
    pub opened: i64,
    /// Finished in the range (by the last time each finished), resolved or
    /// cancelled.
    pub finished: i64,
    /// Of those, finished in a cancelled state (cancelled, rejected).
    pub cancelled: i64,
    /// Open at the end of the range.
    pub backlog: i64,
    /// Of the resolved ones (finished, not cancelled), how many were
    /// reopened at some point.
    pub reopened: i64,
    /// Business minutes to the first response and to resolution of each
    /// resolved ticket an SLA policy covers, in no particular order.
    pub response_min: Vec<i64>,
    pub resolution_min: Vec<i64>,
    pub response_met: i64,
    pub resolution_met: i64,
    /// Escalations in the range by target level; `None`: hierarchical.
    pub escalations: BTreeMap<Option<i64>, i64>,
    /// Rejections in the range by reason code.
    pub rejections: BTreeMap<String, i64>,
}

impl GroupFigures {
    /// Finished and not cancelled.
    pub fn resolved(&self) -> i64 {
        self.finished - self.cancelled
    }

    /// Nothing to report: no ticket opened, finished, escalated or rejected
    /// in the range, none in the backlog. A group can end up so when a past
    /// range's backlog takes back what today's added (+1 open now, −1
    /// created since).
    pub fn is_empty(&self) -> bool {
        self.opened == 0
            && self.finished == 0
            && self.cancelled == 0
            && self.backlog == 0
            && self.reopened == 0
            && self.response_min.is_empty()
            && self.resolution_min.is_empty()
            && self.escalations.values().all(|n| *n == 0)
            && self.rejections.values().all(|n| *n == 0)
    }

    /// Adds another group's figures (for totals).
    pub fn absorb(&mut self, o: &GroupFigures) {
        self.opened += o.opened;
        self.finished += o.finished;
        self.cancelled += o.cancelled;
        self.backlog += o.backlog;
        self.reopened += o.reopened;
        self.response_min.extend_from_slice(&o.response_min);
        self.resolution_min.extend_from_slice(&o.resolution_min);
        self.response_met += o.response_met;
        self.resolution_met += o.resolution_met;
        for (k, v) in &o.escalations {
            *self.escalations.entry(*k).or_default() += v;
        }
        for (k, v) in &o.rejections {
            *self.rejections.entry(k.clone()).or_default() += v;
        }
    }
}

/// A problem ticket with the incidents linked to it (kind `problem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRow {
    pub key: String,
    pub title: String,
    pub status: String,
    /// Linked tickets created in the range (of the included types).
    pub incidents: i64,
    /// Minutes logged on those linked tickets, all time.
    pub incident_minutes: i64,
    /// Minutes logged on the problem itself, all time.
    pub problem_minutes: i64,
    /// What the problem's resources cost, in hundredths.
    pub resource_cents: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportData {
    pub groups: BTreeMap<GroupKey, GroupFigures>,
    pub problems: Vec<ProblemRow>,
}

/// The smallest hybrid-clock value of a wall-clock millisecond.
fn hlc_floor(ms: i64) -> i64 {
    ms.clamp(0, i64::MAX >> 16) << 16
}

/// How the rows of a query find their group. Without a grouping or a type
/// filter every query counts in SQL (`GROUP BY` over index ranges). With
/// one, each row in range names its ticket by row number instead, and the
/// group (and whether its type is included) comes from a [`TicketMap`]
/// built from a covering index: reading every ticket row in range to
/// learn its service would read most of the ticket table over a long
/// range (5 s for a year at 1M tickets, against 1 s this way).
///
/// Records (problems, known errors) are left out by row number, against
/// the few rows of the partial index `ticket_record`.
struct Scope {
    mapped: bool,
    exclude_records: bool,
}

/// Tickets that are records: a scan of the partial index `ticket_record`.
const RECORD_NOS: &str = "SELECT r.no FROM ticket r WHERE r.record IS NOT NULL";
const RECORD_IDS: &str = "SELECT r.id FROM ticket r WHERE r.record IS NOT NULL";

impl Scope {
    fn of(q: &ReportQuery) -> Scope {
        Scope {
            mapped: q.group.is_some() || q.types.is_some(),
            exclude_records: q.exclude_records,
        }
    }

    /// The first column: the ticket's row number, or NULL (one group).
    fn first(&self, no: &str) -> String {
        if self.mapped {
            no.to_string()
        } else {
            "NULL".to_string()
        }
    }

    /// The count: `count(*)` per group, or 1 per row.
    fn count(&self) -> &'static str {
        if self.mapped { "1" } else { "count(*)" }
    }

    fn group_by(&self, columns: &str) -> String {
        if self.mapped {
            String::new()
        } else {
            format!(" GROUP BY {columns}")
        }
    }

    /// The ticket's row number for a row that names the ticket by id: the
    /// id's unique index holds it, so the ticket row itself is not read.
    /// CROSS keeps the range on the left-hand table outermost.
    fn join(&self, on: &str) -> String {
        if self.mapped {
            format!(" CROSS JOIN ticket t ON t.id = {on}")
        } else {
            String::new()
        }
    }

    /// The condition that leaves records out, on a row number.
    fn not_record(&self, no: &str) -> String {
        if self.exclude_records {
            format!(" AND {no} NOT IN ({RECORD_NOS})")
        } else {
            String::new()
        }
    }
}

/// The statements of a report, by name (for the plan tests too).
fn statements(q: &ReportQuery) -> Vec<(&'static str, String)> {
    let s = Scope::of(q);
    let (n, t_no, o_no) = (s.count(), s.first("t.no"), s.first("o.ticket_no"));
    let mut out = vec![
        (
            "opened",
            format!(
                "SELECT {t_no}, {n} FROM ticket t
                 WHERE t.created_at >= :from AND t.created_at < :to{}{}",
                s.not_record("t.no"),
                s.group_by("1")
            ),
        ),
        (
            "finished",
            format!(
                "SELECT {o_no}, o.cancelled, o.reopened, o.response_min, o.resolution_min,
                        o.response_met, o.resolution_met, o.ticket_no
                 FROM sla_outcome o
                 WHERE o.done_ms >= :from AND o.done_ms < :to{}",
                s.not_record("o.ticket_no")
            ),
        ),
        (
            "escalations",
            format!(
                "SELECT {t_no}, CASE WHEN e.mode = 'hierarchical' THEN NULL ELSE e.to_level END, {n}
                 FROM escalation e{}
                 WHERE e.at >= :from AND e.at < :to{}{}",
                s.join("e.ticket_id"),
                if s.exclude_records {
                    format!(" AND e.ticket_id NOT IN ({RECORD_IDS})")
                } else {
                    String::new()
                },
                s.group_by("1, 2")
            ),
        ),
        (
            "rejections",
            format!(
                "SELECT {}, x.reason, {n} FROM rejection x
                 WHERE x.at >= :from AND x.at < :to{}{}",
                s.first("x.ticket_no"),
                s.not_record("x.ticket_no"),
                s.group_by("1, 2")
            ),
        ),
        // One state at a time, a range of `ticket_status`.
        (
            "open now",
            format!(
                "SELECT {t_no}, {n} FROM ticket t WHERE t.status = :state{}{}",
                s.not_record("t.no"),
                s.group_by("1")
            ),
        ),
    ];
    if q.to_ms < q.now_ms {
        // The backlog at the end of a past range: today's, less the
        // tickets created since, plus those finished since (see
        // `compute`), two index ranges. Only tickets reopened since need
        // their history.
        out.push((
            "opened since",
            format!(
                "SELECT {t_no}, {n} FROM ticket t WHERE t.created_at >= :to{}{}",
                s.not_record("t.no"),
                s.group_by("1")
            ),
        ));
        out.push((
            "finished since",
            format!(
                "SELECT {o_no}, {n} FROM sla_outcome o WHERE o.done_ms >= :to{}{}",
                s.not_record("o.ticket_no"),
                s.group_by("1")
            ),
        ));
        // The reopenings are found in `op_transition` alone (its entries
        // hold the ops' keys); only theirs are read from the log. Reading
        // the ticket of every move into an open state since January took
        // 2.5 s at 1M tickets. A ticket created since needs no correction
        // (it adds nothing either way), so its history is not read. Its
        // state then is judged by when each move took effect (a timer's
        // when it was due, as `done_ms`), so a timer's move written after
        // the end but due before it counts before it.
        out.push((
            "reopened since",
            format!(
                "SELECT t.no,
                        t.status IN (SELECT j.value FROM json_each(:open) AS j),
                        EXISTS (SELECT 1 FROM sla_outcome s
                                WHERE s.ticket_no = t.no AND s.done_ms >= :to),
                        coalesce(
                            (SELECT json_extract(x.value, '$.to') FROM op x
                             WHERE x.entity_id = t.id AND x.field = 'status'
                               AND x.kind = 'transition'
                               AND coalesce(json_extract(x.value, '$.at'), x.hlc >> 16) < :to
                             ORDER BY x.hlc DESC LIMIT 1),
                            (SELECT json_extract(c.value, '$.status') FROM op c
                             WHERE c.entity_id = t.id AND c.kind = 'create')
                        ) IN (SELECT j.value FROM json_each(:open) AS j)
                 FROM ticket t
                 WHERE t.id IN (
                     SELECT r.entity_id FROM op r
                     WHERE (r.site_no, r.seq) IN (
                         SELECT o.site_no, o.seq FROM op o
                         WHERE o.kind = 'transition'
                           AND json_extract(o.value, '$.to') IN (SELECT j.value FROM json_each(:open) AS j)
                           AND o.hlc >= :hi
                           AND json_extract(o.value, '$.from') IN (SELECT j.value FROM json_each(:other) AS j)))
                   AND t.created_at < :to{}",
                if s.exclude_records {
                    " AND t.record IS NULL"
                } else {
                    ""
                }
            ),
        ));
    }
    // From the `problem` links, not from every ticket in range (a year is
    // most of the ticket table).
    let mut only = String::new();
    if q.types.is_some() {
        only.push_str(" AND t.type IN (SELECT j.value FROM json_each(:types) AS j)");
    }
    if s.exclude_records {
        only.push_str(" AND t.record IS NULL");
    }
    out.push((
        "problems",
        format!(
            "SELECT p.key, p.title, p.status, count(*) AS incidents,
                    sum((SELECT coalesce(sum(w.minutes), 0) FROM worklog w WHERE w.ticket_id = t.id)),
                    (SELECT coalesce(sum(w.minutes), 0) FROM worklog w WHERE w.ticket_id = p.id),
                    (SELECT CAST(round(coalesce(sum(r.cost), 0) * 100) AS INTEGER) FROM resource r WHERE r.ticket_id = p.id)
             FROM link l INDEXED BY link_kind
             CROSS JOIN ticket t ON t.id = l.ticket_id
             CROSS JOIN ticket p ON p.id = l.target_id
             WHERE l.kind = 'problem' AND t.created_at >= :from AND t.created_at < :to{only}
             GROUP BY l.target_id ORDER BY incidents DESC, 5 DESC, p.no LIMIT :limit"
        ),
    ));
    out
}

/// Finished tickets now in a cancelled state whose SLA outcome still says
/// resolved: resolved, then cancelled (or rejected) without being reopened.
/// The outcome of a ticket is kept while it finished at the same moment,
/// and a move from resolved to cancelled does not change that moment, so
/// the row can predate the cancelling. A cancelled ticket is no resolution
/// (and no fast one): these count as cancelled. Few rows: the tickets in
/// each cancelled state (a range of `ticket_status`), each outcome read by
/// its row number.
const RECANCELLED_SQL: &str = "SELECT o.ticket_no, o.done_ms, o.resolution_min IS NOT NULL,
        coalesce(o.resolution_met, 0)
 FROM ticket t CROSS JOIN sla_outcome o ON o.ticket_no = t.no
 WHERE t.status = :state AND o.cancelled = 0 AND o.done_ms >= :from AND o.done_ms < :to";

/// One row of [`RECANCELLED_SQL`].
struct Recancelled {
    no: i64,
    done_ms: i64,
    /// An SLA policy covered it (it has resolution minutes).
    with_sla: bool,
    resolution_met: bool,
}

/// The rows of [`RECANCELLED_SQL`] for every state of `states`, finished
/// in `[from, to)`.
fn recancelled(
    c: &Connection,
    states: &[String],
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<Recancelled>> {
    let mut st = c.prepare_cached(RECANCELLED_SQL)?;
    let mut out = Vec::new();
    for state in distinct(states) {
        let mut rows = st.query(rusqlite::named_params! {
            ":state": state, ":from": from, ":to": to,
        })?;
        while let Some(r) = rows.next()? {
            out.push(Recancelled {
                no: r.get(0)?,
                done_ms: r.get(1)?,
                with_sla: r.get(2)?,
                resolution_met: r.get(3)?,
            });
        }
    }
    Ok(out)
}

/// Each ticket's group and whether its type is included, by row number.
struct TicketMap {
    /// Index into `keys` by row number; `NO_GROUP` for a ticket not seen.
    group: Vec<u32>,
    keys: Vec<GroupKey>,
    /// By row number, when only some types are included.
    included: Option<Vec<bool>>,
}

const NO_GROUP: u32 = u32::MAX;

/// The scan that gives every ticket's group value: a covering index each
/// (priority and level are the expressions of `ticket_status_shape`, read
/// from it without the ticket rows; `INDEXED BY` because the planner would
/// otherwise scan the table for them).
fn map_sql(g: ReportGroup) -> &'static str {
    match g {
        ReportGroup::Service => "SELECT t.no, t.service FROM ticket t",
        ReportGroup::Assignee => "SELECT t.no, t.assignee FROM ticket t",
        ReportGroup::Priority => {
            "SELECT t.no, t.priority || '' FROM ticket t INDEXED BY ticket_status_shape"
        }
        ReportGroup::Level => {
            "SELECT t.no, t.level + 0 FROM ticket t INDEXED BY ticket_status_shape"
        }
    }
}

/// The tickets of one type, a range of `ticket_timer` (type first).
const TYPE_SQL: &str = "SELECT t.no FROM ticket t WHERE t.type = :type";

impl TicketMap {
    fn build(c: &Connection, q: &ReportQuery) -> rusqlite::Result<TicketMap> {
        let max: i64 = c.query_row("SELECT coalesce(max(no), 0) FROM ticket", [], |r| r.get(0))?;
        let size = usize::try_from(max).unwrap_or(0) + 1;
        let mut map = TicketMap {
            group: Vec::new(),
            keys: Vec::new(),
            included: None,
        };
        if let Some(g) = q.group {
            map.group = vec![NO_GROUP; size];
            let mut st = c.prepare_cached(map_sql(g))?;
            let mut rows = st.query([])?;
            let mut ids: std::collections::HashMap<GroupKey, u32> = Default::default();
            // The index yields equal values together: look up only changes.
            let mut last: Option<(GroupKey, u32)> = None;
            while let Some(r) = rows.next()? {
                let Some(i) = slot(r.get(0)?, size) else {
                    continue;
                };
                let key = group_key(r, 1)?;
                let id = match &last {
                    Some((k, id)) if *k == key => *id,
                    _ => {
                        let next = u32::try_from(map.keys.len()).unwrap_or(NO_GROUP);
                        let id = *ids.entry(key.clone()).or_insert_with(|| {
                            map.keys.push(key.clone());
                            next
                        });
                        last = Some((key, id));
                        id
                    }
                };
                map.group[i] = id;
            }
        }
        if let Some(types) = &q.types {
            let mut included = vec![false; size];
            let mut st = c.prepare_cached(TYPE_SQL)?;
            for ty in types {
                let mut rows = st.query(rusqlite::named_params! {":type": ty})?;
                while let Some(r) = rows.next()? {
                    if let Some(i) = slot(r.get(0)?, size) {
                        included[i] = true;
                    }
                }
            }
            map.included = Some(included);
        }
        Ok(map)
    }

    /// The group of ticket `no`, or `None` when its type is not included.
    fn group_of(&self, no: i64, size: usize) -> Option<GroupKey> {
        let i = slot(no, size)?;
        if let Some(inc) = &self.included
            && !inc.get(i).copied().unwrap_or(false)
        {
            return None;
        }
        Some(
            self.group
                .get(i)
                .and_then(|g| self.keys.get(*g as usize))
                .cloned()
                .flatten(),
        )
    }
}

/// A row number as an index into the map, if it is one.
fn slot(no: i64, size: usize) -> Option<usize> {
    usize::try_from(no).ok().filter(|i| *i < size)
}

/// Binds the named parameters a statement uses (each statement uses some).
fn bind(st: &mut Statement<'_>, args: &[(&str, &dyn ToSql)]) -> rusqlite::Result<()> {
    for (name, value) in args {
        if let Some(i) = st.parameter_index(name)? {
            st.raw_bind_parameter(i, value)?;
        }
    }
    Ok(())
}

struct Args {
    /// The first open state (the plans show the query of one state).
    state: String,
    from: i64,
    to: i64,
    lo: i64,
    hi: i64,
    open: String,
    other: String,
    types: Option<String>,
    limit: i64,
}

impl Args {
    fn of(q: &ReportQuery) -> Args {
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        Args {
            state: q.open_states.first().cloned().unwrap_or_default(),
            from: q.from_ms,
            to: q.to_ms,
            lo: hlc_floor(q.from_ms),
            hi: hlc_floor(q.to_ms),
            open: json(&q.open_states),
            other: json(&q.other_states),
            types: q.types.as_deref().map(json),
            limit: i64::try_from(q.top_problems).unwrap_or(i64::MAX),
        }
    }

    fn named(&self) -> [(&str, &dyn ToSql); 9] {
        [
            (":state", &self.state),
            (":from", &self.from),
            (":to", &self.to),
            (":lo", &self.lo),
            (":hi", &self.hi),
            (":open", &self.open),
            (":other", &self.other),
            (":types", &self.types),
            (":limit", &self.limit),
        ]
    }
}

/// The group of a row, as text: levels come as integers (a `CAST` would
/// keep SQLite from reading them from `ticket_status_shape`).
fn group_key(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<GroupKey> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(column)? {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    })
}

fn compute(c: &Connection, q: &ReportQuery) -> rusqlite::Result<ReportData> {
    let args = Args::of(q);
    let named = args.named();
    let mut d = ReportData::default();
    let map = if Scope::of(q).mapped {
        Some(TicketMap::build(c, q)?)
    } else {
        None
    };
    let size = map.as_ref().map_or(0, |m| {
        m.group.len().max(m.included.as_ref().map_or(0, Vec::len))
    });
    // The group a row counts in: its ticket's (mapped), or the only one;
    // `None` when its ticket's type is left out.
    let group_of = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Option<GroupKey>> {
        Ok(match &map {
            None => Some(None),
            Some(m) => m.group_of(r.get(0)?, size),
        })
    };
    let cancelled_now: std::collections::HashSet<i64> =
        recancelled(c, &q.cancelled_states, q.from_ms, q.to_ms)?
            .into_iter()
            .map(|x| x.no)
            .collect();
    for (name, sql) in statements(q) {
        let mut st = c.prepare_cached(&sql)?;
        bind(&mut st, &named)?;
        if name == "problems" {
            let mut rows = st.raw_query();
            while let Some(r) = rows.next()? {
                d.problems.push(ProblemRow {
                    key: r.get(0)?,
                    title: r.get(1)?,
                    status: r.get(2)?,
                    incidents: r.get(3)?,
                    incident_minutes: r.get(4)?,
                    problem_minutes: r.get(5)?,
                    resource_cents: r.get(6)?,
                });
            }
            continue;
        }
        // "open now" runs once per open state.
        let states: Vec<Option<&str>> = if name == "open now" {
            distinct(&q.open_states).into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        let at = st.parameter_index(":state")?;
        for state in states {
            if let (Some(i), Some(state)) = (at, state) {
                st.raw_bind_parameter(i, state)?;
            }
            let mut rows = st.raw_query();
            while let Some(r) = rows.next()? {
                let Some(key) = group_of(r)? else {
                    continue;
                };
                let g = d.groups.entry(key).or_default();
                match name {
                    "opened" => g.opened += r.get::<_, i64>(1)?,
                    "finished" => {
                        g.finished += 1;
                        if r.get::<_, bool>(1)? || cancelled_now.contains(&r.get::<_, i64>(7)?) {
                            g.cancelled += 1;
                            continue;
                        }
                        g.reopened += i64::from(r.get::<_, bool>(2)?);
                        // NULL minutes: no SLA policy covers the ticket.
                        if let (Some(resp), Some(res)) =
                            (r.get::<_, Option<i64>>(3)?, r.get::<_, Option<i64>>(4)?)
                        {
                            g.response_min.push(resp);
                            g.resolution_min.push(res);
                            g.response_met += i64::from(r.get::<_, Option<bool>>(5)? == Some(true));
                            g.resolution_met +=
                                i64::from(r.get::<_, Option<bool>>(6)? == Some(true));
                        }
                    }
                    "escalations" => {
                        *g.escalations.entry(r.get(1)?).or_default() += r.get::<_, i64>(2)?
                    }
                    "rejections" => {
                        *g.rejections.entry(r.get(1)?).or_default() += r.get::<_, i64>(2)?
                    }
                    // Today's backlog, and for a past range the changes
                    // since its end taken back: a ticket created since was
                    // not there, one finished since was still open. That
                    // is exact for every ticket not reopened since (see
                    // `reopened since`); for those, the difference between
                    // what it added and its state then is added.
                    "open now" | "finished since" => g.backlog += r.get::<_, i64>(1)?,
                    "opened since" => g.backlog -= r.get::<_, i64>(1)?,
                    // Created before the range ended (no correction
                    // otherwise): it added `open now + finished since`.
                    "reopened since" => {
                        let [open_now, finished_since, open_then] = [1, 2, 3].map(|i| {
                            r.get::<_, Option<bool>>(i)
                                .map(|b| i64::from(b == Some(true)))
                        });
                        g.backlog += open_then? - (open_now? + finished_since?);
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(d)
}

impl Reader<'_> {
    /// The report's figures (see [`ReportData`]).
    pub fn report(&self, q: &ReportQuery) -> Result<ReportData, StoreError> {
        let conn = self.conn();
        let _snapshot = Snapshot::begin(conn).map_err(|e| self.err(e))?;
        compute(conn, q).map_err(|e| self.err(e))
    }

    /// Per `[start, end)` range (Unix ms): the tickets resolved in it
    /// (finished, not cancelled), how many of those an SLA policy covers,
    /// and how many of these met the resolution target. One range of the
    /// covering index `sla_outcome_done` each, less the tickets now in one
    /// of `cancelled_states` (see [`RECANCELLED_SQL`]).
    pub fn resolved_per_range(
        &self,
        ranges: &[(i64, i64)],
        cancelled_states: &[String],
    ) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        let (lo, hi) = ranges
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), (a, b)| {
                (lo.min(*a), hi.max(*b))
            });
        let taken_back = if lo < hi {
            recancelled(self.conn(), cancelled_states, lo, hi).map_err(|e| self.err(e))?
        } else {
            Vec::new()
        };
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT count(*), count(resolution_min), coalesce(sum(resolution_met), 0)
                 FROM sla_outcome WHERE done_ms >= ?1 AND done_ms < ?2 AND cancelled = 0",
            )
            .map_err(|e| self.err(e))?;
        ranges
            .iter()
            .map(|(a, b)| {
                let (n, counted, met): (i64, i64, i64) = st
                    .query_row([a, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(|e| self.err(e))?;
                let back = taken_back
                    .iter()
                    .filter(|x| x.done_ms >= *a && x.done_ms < *b);
                Ok(back.fold((n, counted, met), |(n, counted, met), x| {
                    (
                        n - 1,
                        counted - i64::from(x.with_sla),
                        met - i64::from(x.with_sla && x.resolution_met),
                    )
                }))
            })
            .collect()
    }

    /// `EXPLAIN QUERY PLAN` of each of the report's queries, by name.
    pub fn report_plan(
        &self,
        q: &ReportQuery,
    ) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        let args = Args::of(q);
        let named = args.named();
        let c = self.conn();
        let mut all = statements(q);
        if let Some(g) = q.group {
            all.push(("ticket groups", map_sql(g).to_string()));
        }
        if q.types.is_some() {
            all.push(("ticket types", TYPE_SQL.to_string()));
        }
        all.push(("recancelled", RECANCELLED_SQL.to_string()));
        all.into_iter()
            .map(|(name, sql)| {
                let plan = (|| -> rusqlite::Result<Vec<String>> {
                    let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    bind(&mut st, &named)?;
                    let mut rows = st.raw_query();
                    let mut out = Vec::new();
                    while let Some(r) = rows.next()? {
                        out.push(r.get::<_, String>(3)?);
                    }
                    Ok(out)
                })()
                .map_err(|e| self.err(e))?;
                Ok((name, plan))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_every_figure() {
        let mut a = GroupFigures {
            opened: 2,
            finished: 3,
            cancelled: 1,
            response_min: vec![5],
            ..Default::default()
        };
        a.escalations.insert(Some(2), 1);
        let mut b = a.clone();
        b.rejections.insert("dup".into(), 4);
        a.absorb(&b);
        assert_eq!(a.opened, 4);
        assert_eq!(a.resolved(), 4);
        assert_eq!(a.response_min, vec![5, 5]);
        assert_eq!(a.escalations[&Some(2)], 2);
        assert_eq!(a.rejections["dup"], 4);
    }

    #[test]
    fn a_past_range_adds_the_backlog_queries() {
        let q = ReportQuery {
            to_ms: 10,
            now_ms: 20,
            ..Default::default()
        };
        let names: Vec<&str> = statements(&q).iter().map(|(n, _)| *n).collect();
        assert!(names.contains(&"finished since") && names.contains(&"reopened since"));
        let q = ReportQuery {
            to_ms: 20,
            now_ms: 20,
            ..Default::default()
        };
        let names: Vec<&str> = statements(&q).iter().map(|(n, _)| *n).collect();
        assert!(!names.contains(&"opened since"));
    }
}
