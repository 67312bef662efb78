//! Read queries over the derived tables. Lists are keyset-paged on the ticket's
//! local row number (newest first) and never load more than a page.

use super::ops::{Op, OpRef};
use super::{Reader, Store, StoreError};
use crate::domain::ticket::*;
use rusqlite::{OptionalExtension, Row, ToSql, params, params_from_iter};
use serde_json::{Map, Value};

/// How many of the newest matches a relevance search ranks. Ranking every
/// match of a very common word costs ~0.5 µs each (190 ms at 1M tickets);
/// the newest matches are also the ones an operator is after.
pub const SEARCH_RANK_WINDOW: i64 = 2000;

pub(super) const TICKET_COLS: &str = "t.no, t.id, t.key, t.type, t.service, t.title, t.description, t.status, \
    t.priority, t.priority_justification, t.impact, t.urgency, t.level, t.assignee, t.created_by, \
    t.created_at, t.updated_at, t.fields, t.reject_reason, t.duplicate_of, t.route";

pub(super) fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<(i64, Ticket)> {
    let fields: String = r.get(17)?;
    let fields = match serde_json::from_str(&fields) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    Ok((
        r.get(0)?,
        Ticket {
            id: r.get(1)?,
            key: r.get(2)?,
            ticket_type: r.get(3)?,
            service: r.get(4)?,
            title: r.get(5)?,
            description: r.get(6)?,
            status: r.get(7)?,
            priority: r.get(8)?,
            priority_justification: r.get(9)?,
            impact: r.get(10)?,
            urgency: r.get(11)?,
            level: r.get::<_, i64>(12)?.clamp(0, 255) as u8,
            assignee: r.get(13)?,
            created_by: r.get(14)?,
            created_at: ms_to_time(r.get(15)?),
            updated_at: ms_to_time(r.get(16)?),
            fields,
            reject_reason: r.get(18)?,
            duplicate_of: r.get(19)?,
            route: r.get(20)?,
        },
    ))
}

/// Filters of `list`; all optional, combined with AND (statuses with OR).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub statuses: Vec<String>,
    pub priority: Option<String>,
    pub service: Option<String>,
    /// `Some(None)` asks for unassigned tickets.
    pub assignee: Option<Option<String>>,
    pub level: Option<u8>,
    /// Tickets at this level or above (escalated ones).
    pub min_level: Option<u8>,
    pub query: Option<String>,
    /// Row number of the last ticket of the previous page.
    pub after_no: Option<i64>,
    /// Oldest first; `after_no` then pages towards newer tickets.
    pub ascending: bool,
    /// By SLA countdown instead: the clock that breaches first leads, then
    /// paused clocks by the time they have left; tickets without a running
    /// or paused clock are left out. `ascending` false reverses it (for
    /// paging backwards).
    pub by_sla: bool,
    /// `after_no`'s ticket itself is included (re-reading a window).
    pub inclusive: bool,
    pub limit: usize,
    /// Only tickets with a sync conflict (a row of `conflict`). The small
    /// conflict table drives the query, so it reads no other ticket; listed
    /// by row number whatever `by_sla` says (a closed ticket has no clock,
    /// and its conflict must still be seen).
    pub conflicts: bool,
    /// The queue's work only: problems and known errors (tickets with a
    /// `record`) left out, as `guardia report` leaves them out. Records
    /// are few, so a page checks each row it reaches; counts subtract the
    /// records that match, read from the partial index `ticket_record`,
    /// so that counting the open queue stays an index-only walk.
    pub queue_only: bool,
}

/// One search result with its relevance (lower is better, as FTS5 ranks).
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub ticket: Ticket,
    pub rank: f64,
}

/// Turns what an operator typed into a safe FTS5 query: every word quoted
/// (so `-`, `:` or quotes cannot break the syntax), words ANDed, and a
/// trailing `*` kept as a prefix search.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split_whitespace()
        .filter_map(|w| {
            let (word, prefix) = match w.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (w, false),
            };
            let word: String = word
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.' || *c == '@')
                .collect();
            if !word.chars().any(char::is_alphanumeric) {
                return None;
            }
            let quoted = format!("\"{}\"", word.replace('"', "\"\""));
            Some(if prefix { format!("{quoted}*") } else { quoted })
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

impl Reader<'_> {
    fn ticket_where(
        &self,
        clause: &str,
        p: &dyn ToSql,
    ) -> Result<Option<(i64, Ticket)>, StoreError> {
        let sql = format!("SELECT {TICKET_COLS} FROM ticket t WHERE {clause}");
        self.conn()
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([p], ticket_from_row).optional())
            .map_err(|e| self.err(e))
    }

    /// The ticket with this key, with its local row number.
    pub fn ticket_by_key(&self, key: &str) -> Result<Option<(i64, Ticket)>, StoreError> {
        self.ticket_where("t.key = ?1", &key)
    }

    /// The ticket with this local row number.
    pub fn ticket_by_no(&self, no: i64) -> Result<Option<(i64, Ticket)>, StoreError> {
        self.ticket_where("t.no = ?1", &no)
    }

    pub fn ticket_count(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT count(*) FROM ticket", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// One page of tickets, newest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<(i64, Ticket)>, StoreError> {
        let (sql, args) = Store::list_sql(filter);
        let args: Vec<Box<dyn ToSql>> = args.into_iter().map(json_to_sql).collect();
        let mut st = self.conn().prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params_from_iter(args.iter()), ticket_from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// How many tickets the filter matches (paging fields ignored), at most
    /// `cap`. Walks the same index ranges as the list, about 1 µs per match.
    pub fn count(&self, filter: &ListFilter, cap: Option<usize>) -> Result<i64, StoreError> {
        // Uncapped, the records are subtracted rather than checked on every
        // row: counting the open queue then reads the status index alone.
        // A capped count (a text filter) reads each row anyway.
        let subtract = filter.queue_only && cap.is_none();
        let f = ListFilter {
            after_no: None,
            limit: cap.unwrap_or(usize::MAX),
            queue_only: filter.queue_only && !subtract,
            ..filter.clone()
        };
        let records = if subtract {
            let (sql, args) = record_count_sql(filter);
            let args: Vec<Box<dyn ToSql>> = args.into_iter().map(json_to_sql).collect();
            self.conn()
                .prepare_cached(&sql)
                .and_then(|mut st| {
                    st.query_row(params_from_iter(args.iter()), |r| r.get::<_, i64>(0))
                })
                .map_err(|e| self.err(e))?
        } else {
            0
        };
        let (sql, args) = Store::list_sql(&f);
        let sql = format!("SELECT count(*) FROM ({sql})");
        let args: Vec<Box<dyn ToSql>> = args.into_iter().map(json_to_sql).collect();
        let all: i64 = self
            .conn()
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row(params_from_iter(args.iter()), |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        Ok(all - records)
    }

    /// `EXPLAIN QUERY PLAN` of the count of records a queue count takes
    /// off (see `count`).
    pub fn record_count_plan(&self, filter: &ListFilter) -> Result<Vec<String>, StoreError> {
        let (sql, args) = record_count_sql(filter);
        self.plan(&sql, args)
    }

    /// `EXPLAIN QUERY PLAN` of a list query, one line per step.
    pub fn list_plan(&self, filter: &ListFilter) -> Result<Vec<String>, StoreError> {
        let (sql, args) = Store::list_sql(filter);
        self.plan(&sql, args)
    }

    pub fn plan(&self, sql: &str, args: Vec<Value>) -> Result<Vec<String>, StoreError> {
        let args: Vec<Box<dyn ToSql>> = args.into_iter().map(json_to_sql).collect();
        self.plan_with(sql, &args)
    }

    /// `EXPLAIN QUERY PLAN` of a query with its bound arguments.
    pub(super) fn plan_with(
        &self,
        sql: &str,
        args: &[Box<dyn ToSql>],
    ) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Full-text search over titles, descriptions and comments, best first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let Some(q) = fts_query(text) else {
            return Ok(Vec::new());
        };
        let mut st = self
            .conn()
            .prepare_cached(&Store::search_sql(limit))
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([q], |r| {
                let (_, ticket) = ticket_from_row(r)?;
                Ok(SearchHit {
                    ticket,
                    rank: r.get(21)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Which of these tickets (by id) have a sync conflict: none without a
    /// look when the conflict table is empty, else one look-up of its
    /// primary key (ticket_id, field, kind) per ticket. For the marks on a
    /// page of the queue and of `guardia list`.
    pub fn conflicted(
        &self,
        ticket_ids: &[&str],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        let c = self.conn();
        let any: bool = c
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM conflict)")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        if !any {
            return Ok(out);
        }
        let mut st = c
            .prepare_cached(TICKET_IN_CONFLICT)
            .map_err(|e| self.err(e))?;
        for id in ticket_ids {
            if st.exists([id]).map_err(|e| self.err(e))? {
                out.insert((*id).to_string());
            }
        }
        Ok(out)
    }

    /// Wall-clock time of the newest change in the log, if any.
    pub fn newest_change_ms(&self) -> Result<Option<i64>, StoreError> {
        self.conn()
            .query_row("SELECT last_hlc FROM local WHERE id = 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|h| (h > 0).then(|| super::ops::hlc_ms(h)))
            .map_err(|e| self.err(e))
    }

    /// How many tickets match a search (for reports and benchmarks).
    pub fn match_count(&self, text: &str) -> Result<i64, StoreError> {
        let Some(q) = fts_query(text) else {
            return Ok(0);
        };
        self.conn()
            .prepare_cached("SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH ?1")
            .and_then(|mut st| st.query_row([q], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Open tickets of a service similar to `text`, best first.
    pub fn similar_open(
        &self,
        text: &str,
        service: &str,
        open_states: &[String],
        exclude_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        Ok(self
            .similar(text, service, exclude_id)?
            .into_iter()
            .filter(|h| open_states.contains(&h.ticket.status))
            .take(limit)
            .collect())
    }

    /// Tickets of a service, in any state, similar to `text`, best first
    /// (see [`Reader::matching`]), which the caller splits: open ones are
    /// possible duplicates, solved ones earlier answers.
    pub fn similar(
        &self,
        text: &str,
        service: &str,
        exclude_id: Option<&str>,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let terms = super::significant_terms(text);
        self.matching(&terms, false, service, exclude_id, SEARCH_RANK_WINDOW, 200)
    }

    /// Tickets of a service among the newest `window` matching any of
    /// `terms` (all of them with `every`, which ranks newest first): FTS5 terms, as
    /// [`significant_terms`](super::significant_terms) gives them. The best
    /// `limit` are read, scored by the terms each matches, a term weighing
    /// more the fewer of the window's tickets it is in (an inverse document
    /// frequency over the window), newest first among equals; then those
    /// of `service` are kept.
    ///
    /// bm25 would read every match's positions: for the commonest words of
    /// a million tickets that was 30 to 40 ms per query, most of a single
    /// `new`; the row numbers alone take about 1 ms, and one query per term
    /// over the window's range of row numbers a few more.
    pub fn matching(
        &self,
        terms: &[String],
        every: bool,
        service: &str,
        exclude_id: Option<&str>,
        window: i64,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let c = self.conn();
        let e = |e| self.err(e);
        let q = terms.join(if every { " " } else { " OR " });
        // Every ticket matching all the terms holds each of them, so with
        // `every` they all score alike and the newest are the best: only
        // those are read, and no term is counted.
        let take = if every {
            window.min(limit as i64)
        } else {
            window
        };
        let mut newest: Vec<i64> = c
            .prepare_cached(
                "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
            )
            .and_then(|mut st| {
                st.query_map(params![q, take], |r| r.get(0))?
                    .collect::<Result<Vec<i64>, _>>()
            })
            .map_err(e)?;
        let Some(&lowest) = newest.last() else {
            return Ok(Vec::new());
        };
        // Problems and known errors are never alike tickets (every caller
        // drops them; they are suggested from their own index): counted,
        // a record about a word made it look common and pushed down the
        // tickets that solved it.
        let records = self.record_rows_from(lowest)?;
        newest.retain(|no| !records.contains(no));
        let ranked: Vec<(i64, f64)> = if every {
            newest.iter().map(|no| (*no, 0.0)).collect()
        } else {
            // Every match of a term at or above the window's lowest row
            // number is in the window, so each term's count there is at
            // most its size. Walked newest first, like the window: FTS5
            // reads the newest end of a term's list faster that way.
            let n = newest.len() as f64;
            let mut score: std::collections::HashMap<i64, f64> =
                newest.iter().map(|no| (*no, 0.0)).collect();
            let mut st = c
                .prepare_cached(
                    "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?1 AND rowid >= ?2 ORDER BY rowid DESC",
                )
                .map_err(e)?;
            for term in terms {
                let mut rows: Vec<i64> = st
                    .query_map(params![term, lowest], |r| r.get(0))
                    .and_then(|rows| rows.collect())
                    .map_err(e)?;
                rows.retain(|no| !records.contains(no));
                let weight = ((n + 1.0) / (rows.len() as f64 + 0.5)).ln();
                for no in rows {
                    if let Some(s) = score.get_mut(&no) {
                        *s += weight;
                    }
                }
            }
            let mut ranked: Vec<(i64, f64)> = score.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
            ranked.truncate(limit);
            ranked
        };
        let mut st = c
            .prepare_cached(&format!(
                "SELECT {TICKET_COLS} FROM ticket t WHERE t.no = ?1"
            ))
            .map_err(e)?;
        let mut hits = Vec::new();
        for (no, s) in ranked {
            let ticket = st
                .query_row([no], |r| Ok(ticket_from_row(r)?.1))
                .optional()
                .map_err(e)?;
            if let Some(ticket) = ticket
                && ticket.service == service
                && Some(ticket.id.as_str()) != exclude_id
            {
                // Lower is better, as with bm25.
                hits.push(SearchHit { ticket, rank: -s });
            }
        }
        Ok(hits)
    }

    /// Everything about one ticket.
    pub fn detail(&self, ticket: Ticket) -> Result<TicketDetail, StoreError> {
        let c = self.conn();
        let id = ticket.id.clone();
        let e = |e| self.err(e);
        let comments = c
            .prepare_cached("SELECT id, author, at, internal, body FROM comment WHERE ticket_id = ?1 ORDER BY at, id")
            .and_then(|mut st| {
                st.query_map([&id], |r| {
                    Ok(Comment {
                        id: r.get(0)?,
                        author: r.get(1)?,
                        at: ms_to_time(r.get(2)?),
                        internal: r.get(3)?,
                        body: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        let worklog = c
            .prepare_cached("SELECT id, author, at, minutes, note FROM worklog WHERE ticket_id = ?1 ORDER BY at, id")
            .and_then(|mut st| {
                st.query_map([&id], |r| {
                    Ok(WorklogEntry {
                        id: r.get(0)?,
                        author: r.get(1)?,
                        at: ms_to_time(r.get(2)?),
                        minutes: r.get(3)?,
                        note: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        let attachments = c
            .prepare_cached("SELECT id, author, at, name, sha256, size FROM attachment WHERE ticket_id = ?1 ORDER BY at, id")
            .and_then(|mut st| {
                st.query_map([&id], |r| {
                    Ok(Attachment {
                        id: r.get(0)?,
                        author: r.get(1)?,
                        at: ms_to_time(r.get(2)?),
                        name: r.get(3)?,
                        sha256: r.get(4)?,
                        size: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        let mut runbooks = c
            .prepare_cached("SELECT id, runbook, started_by, started_at FROM runbook_run WHERE ticket_id = ?1 ORDER BY started_at, id")
            .and_then(|mut st| {
                st.query_map([&id], |r| {
                    Ok(RunbookRun {
                        id: r.get(0)?,
                        runbook: r.get(1)?,
                        started_by: r.get(2)?,
                        started_at: ms_to_time(r.get(3)?),
                        ticks: Vec::new(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        for run in &mut runbooks {
            run.ticks = c
                .prepare_cached("SELECT item, checked, evidence, by, at FROM runbook_tick WHERE run_id = ?1 ORDER BY at, item")
                .and_then(|mut st| {
                    st.query_map([&run.id], |r| {
                        Ok(RunbookTick {
                            item: r.get(0)?,
                            checked: r.get(1)?,
                            evidence: r.get(2)?,
                            by: r.get(3)?,
                            at: ms_to_time(r.get(4)?),
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()
                })
                .map_err(e)?;
        }
        let escalations = c
            .prepare_cached("SELECT mode, from_level, to_level, to_role, note, by, at FROM escalation WHERE ticket_id = ?1 ORDER BY at, seq")
            .and_then(|mut st| {
                st.query_map([&id], |r| {
                    Ok(Escalation {
                        mode: r.get(0)?,
                        from_level: r.get::<_, Option<i64>>(1)?.map(|l| l.clamp(0, 255) as u8),
                        to_level: r.get::<_, Option<i64>>(2)?.map(|l| l.clamp(0, 255) as u8),
                        to_role: r.get(3)?,
                        note: r.get(4)?,
                        by: r.get(5)?,
                        at: ms_to_time(r.get(6)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(e)?;
        // Its links, and the tickets linking to it: (kind, the other end's
        // key, or its id when this database does not hold that ticket).
        // Ordered by the other end's registration (then id), as every site
        // holds it: the local row number is the order tickets arrived in
        // here, which differs from site to site.
        let links_by = |sql: &str| {
            c.prepare_cached(sql)
                .and_then(|mut st| {
                    st.query_map([&id], |r| {
                        Ok(Link {
                            kind: r.get(0)?,
                            target: r.get(1)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()
                })
                .map_err(e)
        };
        let links = links_by(
            "SELECT l.kind, coalesce(t.key, l.target_id) FROM link l LEFT JOIN ticket t ON t.id = l.target_id
             WHERE l.ticket_id = ?1 ORDER BY l.kind, t.created_at IS NULL, t.created_at, l.target_id",
        )?;
        let linked_from = links_by(
            "SELECT l.kind, coalesce(t.key, l.ticket_id) FROM link l LEFT JOIN ticket t ON t.id = l.ticket_id
             WHERE l.target_id = ?1 ORDER BY l.kind, t.created_at IS NULL, t.created_at, l.ticket_id",
        )?;
        let worklog_minutes = worklog.iter().map(|w| w.minutes).sum();
        Ok(TicketDetail {
            ticket,
            comments,
            worklog,
            worklog_minutes,
            attachments,
            runbooks,
            escalations,
            links,
            linked_from,
        })
    }

    /// The op log of a ticket and of everything attached to it, oldest first.
    pub fn ticket_log(&self, ticket_id: &str) -> Result<Vec<Op>, StoreError> {
        let c = self.conn();
        let mut ids = vec![ticket_id.to_string()];
        for table in ["comment", "worklog", "attachment", "runbook_run"] {
            let sql = format!("SELECT id FROM {table} WHERE ticket_id = ?1");
            let more = c
                .prepare_cached(&sql)
                .and_then(|mut st| {
                    st.query_map([ticket_id], |r| r.get::<_, String>(0))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|e| self.err(e))?;
            ids.extend(more);
        }
        let mut ops = Vec::new();
        for id in ids {
            ops.extend(self.ops_where("o.entity_id = ?1", params![id])?);
        }
        ops.sort_by(|a, b| (a.hlc, &a.site, a.seq).cmp(&(b.hlc, &b.site, b.seq)));
        Ok(ops)
    }

    /// When the ticket entered its current state (ms).
    pub fn status_since(&self, ticket_id: &str) -> Result<Option<i64>, StoreError> {
        self.conn()
            .prepare_cached("SELECT status_since FROM ticket WHERE id = ?1")
            .and_then(|mut st| st.query_row([ticket_id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Tickets linked to `ticket_id` as `kind`: its targets, or with
    /// `incoming` the tickets that link to it.
    pub fn linked_ids(
        &self,
        ticket_id: &str,
        kind: &str,
        incoming: bool,
    ) -> Result<Vec<String>, StoreError> {
        let sql = if incoming {
            "SELECT ticket_id FROM link WHERE target_id = ?1 AND kind = ?2"
        } else {
            "SELECT target_id FROM link WHERE ticket_id = ?1 AND kind = ?2"
        };
        let mut st = self.conn().prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![ticket_id, kind], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The ticket with this id, with its local row number.
    pub fn ticket_by_id(&self, id: &str) -> Result<Option<(i64, Ticket)>, StoreError> {
        self.ticket_where("t.id = ?1", &id)
    }

    /// Whether `ticket_id` has a link of `kind` to `target_id`.
    pub fn linked(&self, ticket_id: &str, kind: &str, target_id: &str) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT 1 FROM link WHERE ticket_id = ?1 AND kind = ?2 AND target_id = ?3",
            )
            .and_then(|mut st| st.exists(params![ticket_id, kind, target_id]))
            .map_err(|e| self.err(e))
    }

    /// The ops of one entity (a ticket's own changes), oldest first.
    pub fn entity_ops(&self, entity_id: &str) -> Result<Vec<Op>, StoreError> {
        let mut ops = self.ops_where("o.entity_id = ?1", params![entity_id])?;
        ops.sort_by(|a, b| (a.hlc, &a.site, a.seq).cmp(&(b.hlc, &b.site, b.seq)));
        Ok(ops)
    }

    /// Tickets of `ticket_type` in `status` since at most `since_ms`, oldest
    /// first after the keyset `(since, no)`: candidates for a timer.
    pub fn timer_candidates(
        &self,
        ticket_type: &str,
        status: &str,
        since_ms: i64,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(TIMER_CANDIDATES_SQL)
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![
                    ticket_type,
                    status,
                    since_ms,
                    after.0,
                    after.1,
                    limit as i64
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub(crate) fn ops_where(
        &self,
        clause: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<Op>, StoreError> {
        let sql = format!(
            "SELECT s.site_id, o.seq, o.hlc, o.actor, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred
             FROM op o JOIN site s ON s.no = o.site_no WHERE {clause}"
        );
        let mut st = self.conn().prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = st.query_map(p, op_from_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

/// Adds `cond` with its `?` numbered as the next argument.
fn push_cond(conds: &mut Vec<String>, args: &mut Vec<Value>, cond: &str, v: Value) {
    args.push(v);
    conds.push(cond.replace('?', &format!("?{}", args.len())));
}

/// The conditions on ticket columns every list order shares.
fn field_conditions(filter: &ListFilter) -> (Vec<String>, Vec<Value>) {
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(p) = &filter.priority {
        push_cond(&mut conds, &mut args, "t.priority = ?", p.clone().into());
    }
    if let Some(sv) = &filter.service {
        push_cond(&mut conds, &mut args, "t.service = ?", sv.clone().into());
    }
    match &filter.assignee {
        Some(Some(a)) => push_cond(&mut conds, &mut args, "t.assignee = ?", a.clone().into()),
        Some(None) => conds.push("t.assignee IS NULL".into()),
        None => {}
    }
    if let Some(l) = filter.level {
        push_cond(&mut conds, &mut args, "t.level = ?", i64::from(l).into());
    }
    if let Some(l) = filter.min_level {
        push_cond(&mut conds, &mut args, "t.level >= ?", i64::from(l).into());
    }
    if filter.queue_only {
        conds.push("t.record IS NULL".into());
    }
    (conds, args)
}

/// How many records (problems, known errors) a filter would match if it
/// did not leave them out: a walk of the partial index `ticket_record`
/// (records are few) with every other condition checked per row.
fn record_count_sql(filter: &ListFilter) -> (String, Vec<Value>) {
    let (mut conds, mut args) = field_conditions(&ListFilter {
        queue_only: false,
        ..filter.clone()
    });
    conds.push("t.record IS NOT NULL".into());
    push_status_cond(&mut conds, &mut args, &filter.statuses);
    if let Some(q) = filter.query.as_deref().and_then(fts_query) {
        push_cond(
            &mut conds,
            &mut args,
            "t.no IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)",
            q.into(),
        );
    }
    if filter.by_sla && !filter.conflicts {
        conds.push("EXISTS (SELECT 1 FROM sla_clock c WHERE c.ticket_no = t.no)".into());
    }
    if filter.conflicts {
        conds.push("t.id IN (SELECT ticket_id FROM conflict)".into());
    }
    (
        format!(
            "SELECT count(*) FROM ticket t INDEXED BY ticket_record WHERE {}",
            conds.join(" AND ")
        ),
        args,
    )
}

/// The keyset comparison and sort direction of a page.
fn keyset_direction(filter: &ListFilter) -> (&'static str, &'static str) {
    match (filter.ascending, filter.inclusive) {
        (true, false) => (">", "ASC"),
        (true, true) => (">=", "ASC"),
        (false, false) => ("<", "DESC"),
        (false, true) => ("<=", "DESC"),
    }
}

/// `t.status IN (…)` for the filter's states, if it names any.
fn push_status_cond(conds: &mut Vec<String>, args: &mut Vec<Value>, statuses: &[String]) {
    if statuses.is_empty() {
        return;
    }
    let marks: Vec<String> = statuses
        .iter()
        .map(|st| {
            args.push(st.clone().into());
            format!("?{}", args.len())
        })
        .collect();
    conds.push(format!("t.status IN ({})", marks.join(", ")));
}

impl Store {
    /// A list in SLA order: a walk of `sla_clock_order` (breach instant, then
    /// paused clocks), keyset-paged on (sort key, row) with the key of the
    /// anchor ticket looked up; other filters check each row it reaches.
    /// CROSS JOIN keeps that walk outermost: the clock table holds only open
    /// tickets, while a filter's own index (an operator's tickets) spans
    /// every ticket ever and would have to be sorted.
    fn sla_list_sql(filter: &ListFilter) -> (String, Vec<Value>) {
        let (mut conds, mut args) = field_conditions(filter);
        if let Some(q) = filter.query.as_deref().and_then(fts_query) {
            push_cond(
                &mut conds,
                &mut args,
                // `+` keeps the match a per-row check: walked as the driving
                // set, SQLite would sort every match by due time.
                "+t.no IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)",
                q.into(),
            );
        }
        push_status_cond(&mut conds, &mut args, &filter.statuses);
        let (cmp, dir) = keyset_direction(filter);
        if let Some(after) = filter.after_no {
            args.push(after.into());
            let a = args.len();
            conds.push(format!(
                "(c.sort_key, c.ticket_no) {cmp} ((SELECT sort_key FROM sla_clock WHERE ticket_no = ?{a}), ?{a})"
            ));
        }
        let limit = i64::try_from(filter.limit.max(1)).unwrap_or(-1);
        let wh = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        (
            format!(
                "SELECT {TICKET_COLS} FROM sla_clock c CROSS JOIN ticket t ON t.no = c.ticket_no{wh} ORDER BY c.sort_key {dir}, c.ticket_no {dir} LIMIT {limit}"
            ),
            args,
        )
    }
}

/// Whether one ticket has a sync conflict: a probe of the conflict
/// table's primary key, whose first column is the ticket (see
/// `tests::a_ticket_in_conflict_is_one_probe_of_the_key`).
const TICKET_IN_CONFLICT: &str = "SELECT 1 FROM conflict WHERE ticket_id = ?1 LIMIT 1";

/// Timer candidates: one range of `ticket_timer` (type, state, since), in
/// keyset pages (exposed for plan tests).
pub const TIMER_CANDIDATES_SQL: &str =
    "SELECT no, key, status_since FROM ticket INDEXED BY ticket_timer
     WHERE type = ?1 AND status = ?2 AND status_since <= ?3
       AND (status_since, no) > (?4, ?5)
     ORDER BY status_since, no LIMIT ?6";

impl Store {
    /// Tickets with a sync conflict: the distinct tickets of the conflict
    /// table (a walk of its primary key), each looked up by its id, with
    /// every other filter checked per row, then the few of them sorted.
    /// CROSS JOIN keeps the conflict table outermost, so no walk of the
    /// ticket table (a million rows) looks for the handful that conflict.
    fn conflict_list_sql(filter: &ListFilter) -> (String, Vec<Value>) {
        let (mut conds, mut args) = field_conditions(filter);
        if let Some(q) = filter.query.as_deref().and_then(fts_query) {
            push_cond(
                &mut conds,
                &mut args,
                // Correlated: the full-text index seeks this one row in each
                // word's list, instead of listing every match of the words.
                "EXISTS (SELECT 1 FROM ticket_fts WHERE ticket_fts MATCH ? AND ticket_fts.rowid = t.no)",
                q.into(),
            );
        }
        push_status_cond(&mut conds, &mut args, &filter.statuses);
        let (cmp, dir) = keyset_direction(filter);
        if let Some(after) = filter.after_no {
            push_cond(
                &mut conds,
                &mut args,
                &format!("t.no {cmp} ?"),
                after.into(),
            );
        }
        let limit = i64::try_from(filter.limit.max(1)).unwrap_or(-1);
        let wh = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        (
            format!(
                "SELECT {TICKET_COLS} FROM (SELECT DISTINCT ticket_id FROM conflict) AS k \
                 CROSS JOIN ticket t ON t.id = k.ticket_id{wh} ORDER BY t.no {dir} LIMIT {limit}"
            ),
            args,
        )
    }

    /// The SQL and parameters of a list query (exposed for plan tests).
    pub fn list_sql(filter: &ListFilter) -> (String, Vec<Value>) {
        if filter.conflicts {
            return Store::conflict_list_sql(filter);
        }
        if filter.by_sla {
            return Store::sla_list_sql(filter);
        }
        let (mut conds, mut args) = field_conditions(filter);
        let (cmp, dir) = keyset_direction(filter);
        // `usize::MAX` means every match (for counting): SQLite's LIMIT -1.
        let limit = i64::try_from(filter.limit.max(1)).unwrap_or(-1);
        let fts = filter.query.as_deref().and_then(fts_query);
        // With a text query the full-text index drives: it walks its rowids
        // (= ticket numbers) backwards, so paging needs no sort either.
        let order_col = if fts.is_some() {
            "ticket_fts.rowid"
        } else {
            "t.no"
        };
        if let Some(after) = filter.after_no {
            push_cond(
                &mut conds,
                &mut args,
                &format!("{order_col} {cmp} ?"),
                after.into(),
            );
        }
        let from = if let Some(q) = fts {
            push_cond(&mut conds, &mut args, "ticket_fts MATCH ?", q.into());
            "ticket_fts JOIN ticket t ON t.no = ticket_fts.rowid"
        } else {
            "ticket t"
        };
        let base = |statuses: &[String], args: &mut Vec<Value>| {
            let mut all = conds.clone();
            let marks: Vec<String> = statuses
                .iter()
                .map(|s| {
                    args.push(s.clone().into());
                    format!("?{}", args.len())
                })
                .collect();
            match marks.as_slice() {
                [] => {}
                [one] => all.push(format!("t.status = {one}")),
                many => all.push(format!("t.status IN ({})", many.join(", "))),
            }
            let wh = if all.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", all.join(" AND "))
            };
            format!("SELECT {TICKET_COLS} FROM {from}{wh} ORDER BY {order_col} {dir} LIMIT {limit}")
        };
        // A state named twice would be a second UNION part: every ticket twice.
        let mut statuses: Vec<String> = Vec::with_capacity(filter.statuses.len());
        for s in &filter.statuses {
            if !statuses.contains(s) {
                statuses.push(s.clone());
            }
        }
        let sql = match statuses.as_slice() {
            [] | [_] => base(&statuses, &mut args),
            // With a text query the full-text index already gives the order:
            // one walk down its rowids, checking the state of each match,
            // beats one full-text evaluation per state.
            many if from != "ticket t" => base(many, &mut args),
            many => {
                // One ordered, limited range per status, merged: each part walks
                // its own index range, so the merge sorts at most limit × n rows.
                let parts: Vec<String> = many
                    .iter()
                    .map(|s| {
                        format!(
                            "SELECT * FROM ({})",
                            base(std::slice::from_ref(s), &mut args)
                        )
                    })
                    .collect();
                format!(
                    "SELECT * FROM ({}) AS t ORDER BY t.no {dir} LIMIT {limit}",
                    parts.join(" UNION ALL ")
                )
            }
        };
        (sql, args)
    }

    /// The best `limit` by bm25 among the newest matches.
    pub fn search_sql(limit: usize) -> String {
        format!(
            "SELECT {TICKET_COLS}, m.rank FROM (
                SELECT rowid, rank FROM ticket_fts WHERE ticket_fts MATCH ?1
                ORDER BY rowid DESC LIMIT {SEARCH_RANK_WINDOW}) AS m
             JOIN ticket t ON t.no = m.rowid
             ORDER BY m.rank, t.no DESC LIMIT {}",
            limit.max(1)
        )
    }
}

pub(crate) fn op_from_row(r: &Row<'_>) -> rusqlite::Result<Op> {
    let value: String = r.get(8)?;
    let pred: String = r.get(9)?;
    Ok(Op {
        site: r.get(0)?,
        seq: r.get(1)?,
        hlc: r.get(2)?,
        actor: r.get(3)?,
        entity: r.get(4)?,
        entity_id: r.get(5)?,
        kind: r.get(6)?,
        field: r.get(7)?,
        value: serde_json::from_str(&value).unwrap_or(Value::Null),
        pred: serde_json::from_str::<Vec<OpRef>>(&pred).unwrap_or_default(),
    })
}

fn json_to_sql(v: Value) -> Box<dyn ToSql> {
    match v {
        Value::String(s) => Box::new(s),
        Value::Number(n) => Box::new(n.as_i64().unwrap_or_default()),
        Value::Bool(b) => Box::new(b),
        _ => Box::new(Option::<String>::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `list` marks each ticket of its page that has a conflict: one probe
    /// per row, never a scan of the table.
    #[test]
    fn a_ticket_in_conflict_is_one_probe_of_the_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::create(&dir.path().join("t.db"), "BOG").expect("create");
        let plan = store
            .reader()
            .plan(TICKET_IN_CONFLICT, vec![Value::String("x".into())])
            .expect("plan");
        assert!(
            plan.iter()
                .any(|s| s.contains("USING PRIMARY KEY (ticket_id=?)")
                    || s.contains("sqlite_autoindex_conflict_1 (ticket_id=?)")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|s| s.starts_with("SCAN")), "{plan:?}");
    }

    #[test]
    fn fts_query_quotes_every_word() {
        assert_eq!(fts_query("vpn caída").as_deref(), Some("\"vpn\" \"caída\""));
        assert_eq!(fts_query("impre*").as_deref(), Some("\"impre\"*"));
        assert_eq!(
            fts_query("a\"b OR (x)").as_deref(),
            Some("\"ab\" \"OR\" \"x\"")
        );
        assert_eq!(fts_query("  -- ** "), None);
    }
}
