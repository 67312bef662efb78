//! Reads of the records beyond the queue's tickets: problems and known
//! errors (`ticket.record`), a problem's tasks and resources, the tickets
//! linked to a record, the knowledge search over `knowledge_fts`, and the
//! open major incidents the console's banner shows. Every list is one index
//! range: the partial indexes of schema 7 hold only records and routed
//! tickets, so these reads cost the same at 1M tickets as at 100.

use super::query::{TICKET_COLS, fts_query, ticket_from_row};
use super::{Reader, StoreError};
use crate::domain::ticket::{Ticket, ms_to_time};
use chrono::{DateTime, Utc};
use rusqlite::{ToSql, params_from_iter};
use serde::Serialize;

/// One task of a problem (seed 003 §3.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    pub id: String,
    pub description: String,
    pub assignee: Option<String>,
    pub done: bool,
    /// Who last changed it, and when.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// One resource of a problem (seed 003 §3.3): human (hours at an hourly
/// rate), material or financial (a cost).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub id: String,
    pub kind: String,
    pub description: String,
    pub hours: Option<f64>,
    pub rate: Option<f64>,
    pub cost: f64,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A record found by the knowledge search, with its bm25 rank (lower is better).
#[derive(Debug, Clone)]
pub struct KnowledgeHit {
    pub ticket: Ticket,
    pub record: String,
    pub rank: f64,
}

/// A page of records: which kind, filters, and where the previous page ended.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery<'a> {
    /// `problem` or `known_error`.
    pub record: &'a str,
    pub service: Option<&'a str>,
    /// Any of these states; empty for all.
    pub statuses: &'a [String],
    pub after_no: Option<i64>,
    pub limit: usize,
}

impl RecordQuery<'_> {
    fn sql(&self) -> (String, Vec<Box<dyn ToSql>>) {
        let mut sql = format!("SELECT {TICKET_COLS} FROM ticket t WHERE t.record = ?");
        let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(self.record.to_string())];
        if let Some(s) = self.service {
            sql.push_str(" AND t.service = ?");
            args.push(Box::new(s.to_string()));
        }
        if !self.statuses.is_empty() {
            sql.push_str(&format!(
                " AND t.status IN ({})",
                vec!["?"; self.statuses.len()].join(", ")
            ));
            args.extend(
                self.statuses
                    .iter()
                    .map(|s| Box::new(s.clone()) as Box<dyn ToSql>),
            );
        }
        if let Some(no) = self.after_no {
            sql.push_str(" AND t.no < ?");
            args.push(Box::new(no));
        }
        sql.push_str(&format!(" ORDER BY t.no DESC LIMIT {}", self.limit.max(1)));
        (sql, args)
    }
}

fn open_majors_sql(open_states: &[String]) -> (String, Vec<Box<dyn ToSql>>) {
    let sql = format!(
        "SELECT {TICKET_COLS} FROM ticket t WHERE t.route = 'major_incident' AND t.status IN ({})
         ORDER BY t.no DESC LIMIT 20",
        vec!["?"; open_states.len()].join(", ")
    );
    let args = open_states
        .iter()
        .map(|s| Box::new(s.clone()) as Box<dyn ToSql>)
        .collect();
    (sql, args)
}

/// How many records a knowledge search ranks before the caller re-orders
/// them (by service). Records are few, so this is most of them.
const KNOWLEDGE_WINDOW: usize = 200;

/// Records from a row number on. `+no` keeps SQLite off the row-number
/// range, which for a rare word's window can be the whole table: the
/// partial index of records holds only them, and their row numbers.
const RECORD_ROWS_SQL: &str = "SELECT no FROM ticket WHERE record IS NOT NULL AND +no >= ?1";

impl Reader<'_> {
    /// Records of one kind (`problem`, `known_error`), newest first,
    /// keyset-paged on the row number, optionally of one service and in
    /// some states.
    pub fn records(&self, q: &RecordQuery<'_>) -> Result<Vec<(i64, Ticket)>, StoreError> {
        let (sql, args) = q.sql();
        self.tickets_of(&sql, args)
    }

    /// `EXPLAIN QUERY PLAN` of a record list, and of the banner's query.
    pub fn records_plan(&self, q: &RecordQuery<'_>) -> Result<Vec<String>, StoreError> {
        let (sql, args) = q.sql();
        self.plan_with(&sql, &args)
    }

    /// The row numbers of the problems and known errors from `lowest` on:
    /// tickets alike ([`Reader::matching`]) leave them out.
    pub(super) fn record_rows_from(
        &self,
        lowest: i64,
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        self.conn()
            .prepare_cached(RECORD_ROWS_SQL)
            .and_then(|mut st| st.query_map([lowest], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))
    }

    /// `EXPLAIN QUERY PLAN` of [`Reader::record_rows_from`].
    pub fn record_rows_plan(&self) -> Result<Vec<String>, StoreError> {
        self.plan_with(RECORD_ROWS_SQL, &[Box::new(1_i64)])
    }

    pub fn open_majors_plan(&self, open_states: &[String]) -> Result<Vec<String>, StoreError> {
        let (sql, args) = open_majors_sql(open_states);
        self.plan_with(&sql, &args)
    }

    fn tickets_of(
        &self,
        sql: &str,
        args: Vec<Box<dyn ToSql>>,
    ) -> Result<Vec<(i64, Ticket)>, StoreError> {
        self.conn()
            .prepare_cached(sql)
            .and_then(|mut st| {
                st.query_map(params_from_iter(args.iter()), ticket_from_row)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }

    /// The tickets that link to `target_id` as `kind` (a problem's or a
    /// known error's incidents, a major incident's children), oldest
    /// first by registration, then id: the same order at every site (the
    /// row number is the order tickets arrived in this database).
    pub fn linking(&self, target_id: &str, kind: &str) -> Result<Vec<Ticket>, StoreError> {
        let sql = format!(
            "SELECT {TICKET_COLS} FROM link l JOIN ticket t ON t.id = l.ticket_id
             WHERE l.target_id = ?1 AND l.kind = ?2 ORDER BY t.created_at, t.id"
        );
        Ok(self
            .tickets_of(
                &sql,
                vec![Box::new(target_id.to_string()), Box::new(kind.to_string())],
            )?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// Minutes of work logged on the tickets linking to `target_id` as `kind`.
    pub fn linked_worklog_minutes(&self, target_id: &str, kind: &str) -> Result<i64, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT coalesce(sum(w.minutes), 0) FROM link l JOIN worklog w ON w.ticket_id = l.ticket_id
                 WHERE l.target_id = ?1 AND l.kind = ?2",
            )
            .and_then(|mut st| st.query_row([target_id, kind], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// A problem's tasks in the order `problem show` numbers them: by
    /// their ids, UUIDv7s whose leading bits are the time the task was
    /// added (by the adding site's clock), so every site that holds the
    /// same tasks numbers them alike.
    pub fn tasks(&self, ticket_id: &str) -> Result<Vec<Task>, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT id, description, assignee, done, by, at FROM task WHERE ticket_id = ?1 ORDER BY id",
            )
            .and_then(|mut st| {
                st.query_map([ticket_id], |r| {
                    Ok(Task {
                        id: r.get(0)?,
                        description: r.get(1)?,
                        assignee: r.get(2)?,
                        done: r.get(3)?,
                        by: r.get(4)?,
                        at: ms_to_time(r.get(5)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }

    pub fn resources(&self, ticket_id: &str) -> Result<Vec<Resource>, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT id, kind, description, hours, rate, cost, by, at FROM resource WHERE ticket_id = ?1 ORDER BY id",
            )
            .and_then(|mut st| {
                st.query_map([ticket_id], |r| {
                    Ok(Resource {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        description: r.get(2)?,
                        hours: r.get(3)?,
                        rate: r.get(4)?,
                        cost: r.get(5)?,
                        by: r.get(6)?,
                        at: ms_to_time(r.get(7)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }

    /// Records whose text shares words with `text`, best first by bm25.
    /// Any significant word may match (OR): an operator describes the
    /// symptom in their own words, and the rarer shared words weigh most.
    pub fn knowledge(&self, text: &str) -> Result<Vec<KnowledgeHit>, StoreError> {
        let Some(q) = any_word_query(text) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {TICKET_COLS}, t.record, m.rank FROM (
                SELECT rowid, rank FROM knowledge_fts WHERE knowledge_fts MATCH ?1
                ORDER BY rank LIMIT {KNOWLEDGE_WINDOW}) AS m
             JOIN ticket t ON t.no = m.rowid ORDER BY m.rank, t.no DESC"
        );
        self.conn()
            .prepare_cached(&sql)
            .and_then(|mut st| {
                st.query_map([q], |r| {
                    let (_, ticket) = ticket_from_row(r)?;
                    Ok(KnowledgeHit {
                        ticket,
                        record: r.get(21)?,
                        rank: r.get(22)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }

    /// Tickets routed to the major-incident protocol that are still in one
    /// of `open_states`, newest first.
    pub fn open_majors(&self, open_states: &[String]) -> Result<Vec<Ticket>, StoreError> {
        if open_states.is_empty() {
            return Ok(Vec::new());
        }
        let (sql, args) = open_majors_sql(open_states);
        Ok(self
            .tickets_of(&sql, args)?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }
}

/// The significant words of a text (four letters or more, at most 16),
/// each quoted as an FTS5 term, without repeats, in order.
pub fn significant_terms(text: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    text.split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .filter_map(|w| fts_query(w.trim_end_matches('*')))
        .filter(|w| seen.insert(w.to_lowercase()))
        .take(16)
        .collect()
}

/// The significant words of a text as an FTS5 query matching any of them.
pub fn any_word_query(text: &str) -> Option<String> {
    let words = significant_terms(text);
    (!words.is_empty()).then(|| words.join(" OR "))
}
