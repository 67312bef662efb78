//! What tickets hold of the values the configuration defines (states,
//! types, priorities, impacts, urgencies, services, assignees, levels,
//! runbooks and their items), so that `config check`, `doctor` and `list`
//! can tell which of them the configuration in force no longer has.
//!
//! Nothing here loads tickets: every question is an index range per
//! state, or a "loose" index scan (one seek per distinct value, through a
//! recursive query), so the cost follows the open tickets and the number
//! of distinct values, not the size of the database. Impact and urgency
//! have no index: their values are read from the rows of the states asked
//! for (the open ones), which is why callers pass only those states.

use super::snapshot::{Snapshot, distinct};
use super::{Reader, StoreError};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params};

/// A ticket column whose values come from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Priority,
    Impact,
    Urgency,
    Service,
    Assignee,
    Level,
}

impl Held {
    /// The column as the indexes hold it. Priority and level are
    /// expressions in `ticket_status_shape` (`schema.rs`, V2) and must be
    /// written exactly so for SQLite to use it.
    fn expr(self) -> &'static str {
        match self {
            Held::Priority => "priority || ''",
            Held::Impact => "impact",
            Held::Urgency => "urgency",
            Held::Service => "service",
            Held::Assignee => "assignee",
            Held::Level => "level + 0",
        }
    }
}

/// One value held by tickets, with how many hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldValue {
    pub value: String,
    pub tickets: i64,
}

/// Runs of one runbook, or the checked ticks of one of its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRunbook {
    pub runbook: String,
    /// `None` for the runbook's runs; the item for its ticks.
    pub item: Option<String>,
    /// Runs, or checked ticks (ticks carry the evidence).
    pub count: i64,
}

/// The distinct values of a column, one seek each (a loose index scan):
/// `{outer}` is the index's leading equality, `{col}` the column scanned.
fn loose_scan_sql(col: &str, outer: &str) -> String {
    format!(
        "WITH RECURSIVE v(x) AS (
             SELECT (SELECT min({col}) FROM ticket WHERE {outer})
             UNION ALL
             SELECT (SELECT min({col}) FROM ticket WHERE {outer} AND {col} > v.x)
             FROM v WHERE v.x IS NOT NULL)
         SELECT x FROM v WHERE x IS NOT NULL"
    )
}

/// A cell as text: levels are integers, everything else text.
fn text_of(v: SqlValue) -> String {
    match v {
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Text(t) => t,
        SqlValue::Real(f) => f.to_string(),
        SqlValue::Null => String::new(),
        SqlValue::Blob(b) => String::from_utf8_lossy(&b).into_owned(),
    }
}

/// The bound value of `column` for `value`: levels compare as integers.
fn bound(column: Held, value: &str) -> SqlValue {
    match (column, value.parse::<i64>()) {
        (Held::Level, Ok(n)) => SqlValue::Integer(n),
        _ => SqlValue::Text(value.to_string()),
    }
}

fn column_strings(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(args, |r| r.get::<_, SqlValue>(0).map(text_of))?;
    rows.collect()
}

impl Reader<'_> {
    /// Runs `read` inside one read snapshot, so that a report made of many
    /// queries sees the database as of one moment while others write.
    pub fn in_snapshot<T>(
        &self,
        read: impl FnOnce(&Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _snapshot = Snapshot::begin(self.conn()).map_err(|e| self.err(e))?;
        read(self)
    }

    /// Every (type, state) pair some ticket holds, by a loose scan of
    /// `ticket_timer` (type, status, ...): one seek per pair.
    pub fn held_type_states(&self) -> Result<Vec<(String, String)>, StoreError> {
        let c = self.conn();
        let e = |e| self.err(e);
        let types = column_strings(c, &loose_scan_sql("type", "1"), []).map_err(e)?;
        let mut pairs = Vec::new();
        for t in types {
            let states =
                column_strings(c, &loose_scan_sql("status", "type = ?1"), [&t]).map_err(e)?;
            pairs.extend(states.into_iter().map(|s| (t.clone(), s)));
        }
        Ok(pairs)
    }

    /// Tickets of type `ticket_type` in `status` (every state when `None`):
    /// how many, and the keys of the newest `limit` of them.
    pub fn tickets_of_type(
        &self,
        ticket_type: &str,
        status: Option<&str>,
        limit: usize,
    ) -> Result<(i64, Vec<String>), StoreError> {
        let e = |e| self.err(e);
        let c = self.conn();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (count, keys) = match status {
            Some(s) => (
                c.prepare_cached("SELECT count(*) FROM ticket WHERE type = ?1 AND status = ?2")
                    .and_then(|mut st| st.query_row(params![ticket_type, s], |r| r.get(0))),
                column_strings(
                    c,
                    "SELECT key FROM ticket WHERE type = ?1 AND status = ?2 ORDER BY no DESC LIMIT ?3",
                    params![ticket_type, s, limit],
                ),
            ),
            None => (
                c.prepare_cached("SELECT count(*) FROM ticket WHERE type = ?1")
                    .and_then(|mut st| st.query_row(params![ticket_type], |r| r.get(0))),
                column_strings(
                    c,
                    "SELECT key FROM ticket WHERE type = ?1 ORDER BY no DESC LIMIT ?2",
                    params![ticket_type, limit],
                ),
            ),
        };
        Ok((count.map_err(e)?, keys.map_err(e)?))
    }

    /// The values of `columns` that tickets in `states` hold, with how
    /// many hold each (one list per column, in the order asked), from
    /// each state's range of an index: `ticket_status_shape` (priority,
    /// level), `ticket_status_service`, `ticket_status_assignee`. The
    /// columns are grouped by in the index's order, so SQLite reads the
    /// index alone (as the dashboard's `SHAPE_SQL`). Impact and urgency
    /// have no index: asked together, they cost one read of the range's
    /// rows. Unassigned tickets hold no assignee.
    pub fn held_in_states(
        &self,
        columns: &[Held],
        states: &[String],
    ) -> Result<Vec<Vec<HeldValue>>, StoreError> {
        let e = |e| self.err(e);
        let exprs: Vec<&str> = columns.iter().map(|c| c.expr()).collect();
        // Grouped in the index's own order: status, then priority, then level.
        let mut group: Vec<&str> = exprs.clone();
        if columns.contains(&Held::Level) && !columns.contains(&Held::Priority) {
            group.insert(0, Held::Priority.expr());
        }
        let sql = format!(
            "SELECT {}, count(*) FROM ticket WHERE status = ?1 GROUP BY {}",
            exprs.join(", "),
            group.join(", ")
        );
        let mut st = self.conn().prepare_cached(&sql).map_err(e)?;
        let mut out: Vec<Vec<HeldValue>> = vec![Vec::new(); columns.len()];
        for state in distinct(states) {
            let mut rows = st.query([state]).map_err(e)?;
            while let Some(r) = rows.next().map_err(e)? {
                let n: i64 = r.get(columns.len()).map_err(e)?;
                for (i, held) in out.iter_mut().enumerate() {
                    let cell: SqlValue = r.get(i).map_err(e)?;
                    if cell == SqlValue::Null {
                        continue;
                    }
                    let value = text_of(cell);
                    match held.iter_mut().find(|h| h.value == value) {
                        Some(h) => h.tickets += n,
                        None => held.push(HeldValue { value, tickets: n }),
                    }
                }
            }
        }
        Ok(out)
    }

    /// The keys of the newest `limit` tickets in `states` whose `column`
    /// holds `value`: the newest of each state's range, then the newest of
    /// those.
    pub fn keys_holding(
        &self,
        column: Held,
        value: &str,
        states: &[String],
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let e = |e| self.err(e);
        let col = column.expr();
        let sql = format!(
            "SELECT no, key FROM ticket WHERE status = ?1 AND {col} = ?2 ORDER BY no DESC LIMIT ?3"
        );
        let mut st = self.conn().prepare_cached(&sql).map_err(e)?;
        let n = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut found: Vec<(i64, String)> = Vec::new();
        for state in distinct(states) {
            let rows = st
                .query_map(params![state, bound(column, value), n], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(e)?;
            for row in rows {
                found.push(row.map_err(e)?);
            }
        }
        found.sort_unstable_by_key(|(no, _)| std::cmp::Reverse(*no));
        Ok(found.into_iter().take(limit).map(|(_, k)| k).collect())
    }

    /// Whether any ticket, in any state, holds `value` in `column` (status
    /// when `column` is `None`): `list` accepts a value the configuration
    /// no longer has when tickets still hold it. One seek on the column's
    /// own index for states, services and assignees; priorities and levels
    /// are found in `ticket_status_shape` state by state (a loose scan of
    /// the states, then of each state's priorities for a level), so a
    /// value nobody holds costs a few dozen seeks, never a scan.
    pub fn any_ticket_holds(&self, column: Option<Held>, value: &str) -> Result<bool, StoreError> {
        let e = |e| self.err(e);
        let c = self.conn();
        let exists = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<bool, StoreError> {
            c.prepare_cached(sql)
                .and_then(|mut st| st.query_row(args, |r| r.get::<_, bool>(0)))
                .map_err(e)
        };
        let statuses = || column_strings(c, &loose_scan_sql("status", "1"), []).map_err(e);
        match column {
            None => exists(
                "SELECT EXISTS(SELECT 1 FROM ticket WHERE status = ?1)",
                &[&value],
            ),
            Some(Held::Service) => exists(
                "SELECT EXISTS(SELECT 1 FROM ticket WHERE service = ?1)",
                &[&value],
            ),
            Some(Held::Assignee) => exists(
                "SELECT EXISTS(SELECT 1 FROM ticket WHERE assignee = ?1)",
                &[&value],
            ),
            Some(Held::Priority) => {
                for s in statuses()? {
                    if exists(
                        "SELECT EXISTS(SELECT 1 FROM ticket WHERE status = ?1 AND priority || '' = ?2)",
                        &[&s, &value],
                    )? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Some(Held::Level) => {
                let Ok(level) = value.parse::<i64>() else {
                    return Ok(false);
                };
                for s in statuses()? {
                    let priorities =
                        column_strings(c, &loose_scan_sql("priority || ''", "status = ?1"), [&s])
                            .map_err(e)?;
                    for p in priorities {
                        if exists(
                            "SELECT EXISTS(SELECT 1 FROM ticket WHERE status = ?1 AND priority || '' = ?2 AND level + 0 = ?3)",
                            &[&s, &p, &level],
                        )? {
                            return Ok(true);
                        }
                    }
                }
                Ok(false)
            }
            // Neither has an index of its own (a scan when nobody holds
            // the value), and `list` filters on neither.
            Some(held @ (Held::Impact | Held::Urgency)) => exists(
                &format!(
                    "SELECT EXISTS(SELECT 1 FROM ticket WHERE {} = ?1)",
                    held.expr()
                ),
                &[&value],
            ),
        }
    }

    /// Every runbook that has runs, with how many, and every item of
    /// them with checked ticks (the ones with evidence), with how many.
    /// Runbook runs are a few per ticket that had one, read whole.
    pub fn held_runbooks(&self) -> Result<Vec<HeldRunbook>, StoreError> {
        let e = |e| self.err(e);
        let c = self.conn();
        let mut out = Vec::new();
        let mut st = c
            .prepare_cached("SELECT runbook, count(*) FROM runbook_run GROUP BY runbook")
            .map_err(e)?;
        let runs = st
            .query_map([], |r| {
                Ok(HeldRunbook {
                    runbook: r.get(0)?,
                    item: None,
                    count: r.get(1)?,
                })
            })
            .map_err(e)?;
        for run in runs {
            out.push(run.map_err(e)?);
        }
        let mut st = c
            .prepare_cached(
                "SELECT r.runbook, k.item, count(*) FROM runbook_tick k
                 JOIN runbook_run r ON r.id = k.run_id
                 WHERE k.checked = 1 GROUP BY r.runbook, k.item",
            )
            .map_err(e)?;
        let ticks = st
            .query_map([], |r| {
                Ok(HeldRunbook {
                    runbook: r.get(0)?,
                    item: Some(r.get(1)?),
                    count: r.get(2)?,
                })
            })
            .map_err(e)?;
        for tick in ticks {
            out.push(tick.map_err(e)?);
        }
        Ok(out)
    }

    /// The keys of the newest `limit` tickets with a run of `runbook`
    /// (with a checked tick of `item`, when given).
    pub fn keys_with_runbook(
        &self,
        runbook: &str,
        item: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let n = i64::try_from(limit).unwrap_or(i64::MAX);
        column_strings(
            self.conn(),
            "SELECT t.key FROM ticket t WHERE t.id IN (
                 SELECT r.ticket_id FROM runbook_run r
                 WHERE r.runbook = ?1
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM runbook_tick k
                        WHERE k.run_id = r.id AND k.item = ?2 AND k.checked = 1)))
             ORDER BY t.no DESC LIMIT ?3",
            params![runbook, item, n],
        )
        .map_err(|e| self.err(e))
    }
}
