//! Query plans of the list queries (`EXPLAIN QUERY PLAN` through the
//! library): every page walks an index range or the rowid backwards; none
//! sorts the ticket table into a temporary B-tree. Checked both without
//! planner statistics (a database grown by `new`) and after `ANALYZE`.

mod common;

use common::*;
use guardia::store::{ListFilter, Store};
use rusqlite::Connection;

#[derive(Clone, Copy, PartialEq)]
enum Stats {
    None,
    Analyzed,
}

/// 2000 generated tickets, with or without planner statistics.
fn database(stats: Stats) -> (Env, Store) {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "2000", "--seed", "1"]);
    let c = Connection::open(&env.db).expect("open");
    match stats {
        Stats::None => c
            .execute_batch("DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4;")
            .expect("drop stats"),
        Stats::Analyzed => c.execute_batch("ANALYZE").expect("analyze"),
    }
    drop(c);
    // A fresh connection loads (or not) the statistics.
    let store = Store::open(&env.db).expect("open store");
    (env, store)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn filter(f: impl FnOnce(&mut ListFilter)) -> ListFilter {
    let mut lf = ListFilter {
        limit: 50,
        ..Default::default()
    };
    f(&mut lf);
    lf
}

/// True when a `USE TEMP B-TREE FOR ORDER BY` step sorts rows read straight
/// from the ticket table or its full-text index (the step before it scans or
/// searches `t` or `ticket_fts`), as opposed to the few rows of a subquery
/// being merged (`SCAN (subquery-N)`).
fn sorts_ticket_table(plan: &[String]) -> bool {
    let mut last_source = "";
    for step in plan {
        if step.starts_with("SCAN ") || step.starts_with("SEARCH ") {
            last_source = step;
        } else if step.contains("USE TEMP B-TREE FOR ORDER BY")
            && (last_source == "SCAN t"
                || last_source.starts_with("SCAN t ")
                || last_source.starts_with("SEARCH t ")
                || last_source.starts_with("SCAN ticket_fts"))
        {
            return true;
        }
    }
    false
}

/// Steps that read the ticket table.
fn ticket_steps(plan: &[String]) -> Vec<&String> {
    plan.iter()
        .filter(|s| s.starts_with("SEARCH t ") || s.as_str() == "SCAN t")
        .collect()
}

fn check(store: &Store, name: &str, f: &ListFilter, accept: &dyn Fn(&str) -> bool, stats: bool) {
    let plan = store.reader().list_plan(f).expect("plan");
    let shown = plan.join("\n  ");
    assert!(
        !sorts_ticket_table(&plan),
        "{name} (stats: {stats}) sorts the ticket table:\n  {shown}"
    );
    let steps = ticket_steps(&plan);
    assert!(
        !steps.is_empty(),
        "{name}: no step reads the ticket table:\n  {shown}"
    );
    for s in &steps {
        assert!(
            accept(s),
            "{name} (stats: {stats}): unexpected access `{s}`:\n  {shown}"
        );
    }
    // The query the plan describes runs and honours the limit.
    let rows = store.reader().list(f).expect("list");
    assert!(rows.len() <= f.limit);
}

fn uses_index_on(col: &'static str) -> impl Fn(&str) -> bool {
    move |s: &str| {
        s.starts_with("SEARCH t USING ")
            && (s.contains(&format!("({col}=?")) || s.contains(&format!(" AND {col}=?")))
    }
}

fn common_queries(stats: Stats) {
    let (_env, store) = database(stats);
    let st = stats == Stats::Analyzed;
    let rowid = |s: &str| s == "SCAN t" || s.contains("INTEGER PRIMARY KEY (rowid<?)");
    check(&store, "no filter", &filter(|_| {}), &|s| s == "SCAN t", st);
    check(
        &store,
        "one status",
        &filter(|f| f.statuses = strings(&["in_progress"])),
        &uses_index_on("status"),
        st,
    );
    let open = strings(&["new", "assigned", "in_progress", "waiting"]);
    let f = filter(|f| f.statuses = open.clone());
    check(&store, "several statuses", &f, &uses_index_on("status"), st);
    // The console's queue leaves records out: a check of each row reached,
    // never another plan; their count comes from the records' own index.
    let queue = filter(|f| {
        f.statuses = open.clone();
        f.queue_only = true;
    });
    check(&store, "the queue", &queue, &uses_index_on("status"), st);
    let records = store
        .reader()
        .record_count_plan(&queue)
        .expect("records plan");
    assert!(
        records
            .iter()
            .any(|s| s.contains("USING INDEX ticket_record")),
        "records to take off a count come from their partial index:\n  {}",
        records.join("\n  ")
    );
    let plan = store.reader().list_plan(&f).expect("plan");
    assert_eq!(
        ticket_steps(&plan).len(),
        open.len(),
        "one index range per status:\n  {}",
        plan.join("\n  ")
    );
    check(
        &store,
        "service",
        &filter(|f| f.service = Some("osf".into())),
        &uses_index_on("service"),
        st,
    );
    check(
        &store,
        "assignee",
        &filter(|f| f.assignee = Some(Some("bruno".into()))),
        &uses_index_on("assignee"),
        st,
    );
    check(
        &store,
        "unassigned",
        &filter(|f| f.assignee = Some(None)),
        &uses_index_on("assignee"),
        st,
    );
    check(
        &store,
        "--after",
        &filter(|f| f.after_no = Some(1000)),
        &rowid,
        st,
    );
    check(
        &store,
        "one status --after",
        &filter(|f| {
            f.statuses = strings(&["closed"]);
            f.after_no = Some(1000);
        }),
        &|s| rowid(s) || uses_index_on("status")(s),
        st,
    );
    check(
        &store,
        "several statuses --after",
        &filter(|f| {
            f.statuses = strings(&["closed", "new"]);
            f.after_no = Some(1000);
        }),
        &|s| rowid(s) || uses_index_on("status")(s),
        st,
    );
    check(
        &store,
        "status and service",
        &filter(|f| {
            f.statuses = strings(&["new"]);
            f.service = Some("correo".into());
        }),
        &|s| uses_index_on("status")(s) || uses_index_on("service")(s),
        st,
    );
    check(
        &store,
        "--query",
        &filter(|f| f.query = Some("factura".into())),
        &|s| s.contains("INTEGER PRIMARY KEY (rowid=?)"),
        st,
    );
}

#[test]
fn common_list_queries_use_indexes_without_statistics() {
    common_queries(Stats::None);
}

#[test]
fn common_list_queries_use_indexes_after_analyze() {
    common_queries(Stats::Analyzed);
}

/// `list --priority P` and `list --level N` alone: a page must not sort every
/// matching ticket. After `ANALYZE` (which the bulk generator runs), SQLite
/// skip-scans `ticket_status_priority` and sorts all tickets of that priority
/// in a temporary B-tree: with 1M tickets, hundreds of thousands of rows per
/// page.
#[test]
fn priority_and_level_filters_do_not_sort_the_ticket_table() {
    for stats in [Stats::None, Stats::Analyzed] {
        let (_env, store) = database(stats);
        let st = stats == Stats::Analyzed;
        let any = |_: &str| true;
        check(
            &store,
            "priority",
            &filter(|f| f.priority = Some("high".into())),
            &any,
            st,
        );
        check(&store, "level", &filter(|f| f.level = Some(2)), &any, st);
        check(
            &store,
            "priority --after",
            &filter(|f| {
                f.priority = Some("low".into());
                f.after_no = Some(1500);
            }),
            &any,
            st,
        );
    }
}

/// The detector itself: a sort after reading `t` counts, a merge of
/// subquery rows does not.
#[test]
fn the_sort_detector_tells_the_two_apart() {
    let plan = |steps: &[&str]| strings(steps);
    assert!(sorts_ticket_table(&plan(&[
        "SEARCH t USING INDEX ticket_status_priority (ANY(status) AND priority=?)",
        "USE TEMP B-TREE FOR ORDER BY",
    ])));
    assert!(sorts_ticket_table(&plan(&[
        "SCAN t",
        "USE TEMP B-TREE FOR ORDER BY"
    ])));
    assert!(!sorts_ticket_table(&plan(&[
        "MERGE (UNION ALL)",
        "LEFT",
        "CO-ROUTINE (subquery-1)",
        "SEARCH t USING INDEX ticket_status (status=?)",
        "SCAN (subquery-1)",
        "USE TEMP B-TREE FOR ORDER BY",
    ])));
    assert!(!sorts_ticket_table(&plan(&[
        "SEARCH t USING INDEX ticket_status (status=?)"
    ])));
}

/// Workflow timers run before every command: finding the tickets due is one
/// range of the (type, state, since) index, in order, with no sort.
#[test]
fn timer_candidates_are_one_index_range() {
    for stats in [Stats::None, Stats::Analyzed] {
        let (_env, store) = database(stats);
        let plan = store
            .reader()
            .plan(
                guardia::store::TIMER_CANDIDATES_SQL,
                vec![
                    "api_incident".into(),
                    "resolved".into(),
                    1_000_000_i64.into(),
                    0_i64.into(),
                    0_i64.into(),
                    500_i64.into(),
                ],
            )
            .expect("plan");
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH ticket USING INDEX ticket_timer (type=? AND status=?"),
            "{plan:?}"
        );
    }
}

/// The SLA order walks the clock index (breach instant, then paused
/// clocks) and looks each ticket up by row: no sort, with any filter.
#[test]
fn the_sla_order_walks_the_clock_index() {
    for stats in [Stats::None, Stats::Analyzed] {
        let (env, store) = database(stats);
        // The generated database gets its clocks from the next command.
        env.ok(&["list", "--limit", "1"]);
        let store = {
            drop(store);
            Store::open(&env.db).expect("reopen")
        };
        for f in [
            filter(|f| {
                f.by_sla = true;
                f.ascending = true;
            }),
            filter(|f| {
                f.by_sla = true;
                f.ascending = true;
                f.assignee = Some(Some("bruno".into()));
                f.after_no = Some(5);
            }),
            filter(|f| {
                f.by_sla = true;
                f.ascending = false;
                f.statuses = strings(&["new", "waiting"]);
                f.query = Some("correo".into());
            }),
        ] {
            let plan = store.reader().list_plan(&f).expect("plan");
            assert!(
                plan.iter()
                    .any(|s| (s.starts_with("SCAN c ") || s.starts_with("SEARCH c "))
                        && s.contains("INDEX sla_clock_order")),
                "{plan:?}"
            );
            assert!(!plan.iter().any(|s| s.contains("TEMP B-TREE")), "{plan:?}");
        }
    }
}

/// The conflicts view reads the conflict table (a handful of rows after a
/// sync) and looks each of its tickets up by id: no step walks the ticket
/// table, whatever other filter is on, and paging follows the row number.
#[test]
fn the_conflicts_view_is_driven_by_the_conflict_table() {
    for stats in [Stats::None, Stats::Analyzed] {
        let (env, store) = database(stats);
        // Conflict rows are derived from the log by the fold; for the plan
        // and the paging a few written by hand do (one ticket twice).
        let c = Connection::open(&env.db).expect("open");
        c.execute_batch(
            "INSERT INTO conflict(ticket_id, field, kind, heads)
               SELECT id, 'assignee', 'assignee', '[]' FROM ticket WHERE no % 40 = 7;
             INSERT INTO conflict(ticket_id, field, kind, heads)
               SELECT id, 'status', 'state', '[]' FROM ticket WHERE no = 47;",
        )
        .expect("conflicts");
        let want: Vec<i64> = {
            let mut st = c
                .prepare("SELECT no FROM ticket WHERE no % 40 = 7 ORDER BY no DESC")
                .expect("prepare");
            st.query_map([], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows")
        };
        drop(c);
        let st = stats == Stats::Analyzed;
        let by_id = |s: &str| s.starts_with("SEARCH t USING INDEX sqlite_autoindex_ticket_1 (id=?");
        for (name, f) in [
            ("conflicts", filter(|f| f.conflicts = true)),
            (
                "conflicts, open states",
                filter(|f| {
                    f.conflicts = true;
                    f.statuses = strings(&["new", "assigned", "in_progress", "waiting"]);
                }),
            ),
            (
                "conflicts, assignee, --after",
                filter(|f| {
                    f.conflicts = true;
                    f.assignee = Some(Some("bruno".into()));
                    f.after_no = Some(1500);
                }),
            ),
            (
                "conflicts, text",
                filter(|f| {
                    f.conflicts = true;
                    f.query = Some("factura".into());
                }),
            ),
            (
                "conflicts, SLA sort asked for",
                filter(|f| {
                    f.conflicts = true;
                    f.by_sla = true;
                    f.ascending = true;
                }),
            ),
        ] {
            let plan = store.reader().list_plan(&f).expect("plan");
            let shown = plan.join("\n  ");
            assert!(
                plan.iter().any(|s| s.contains("conflict")),
                "{name} (stats: {st}) does not read the conflict table:\n  {shown}"
            );
            let steps = ticket_steps(&plan);
            assert!(!steps.is_empty(), "{name}: no ticket step:\n  {shown}");
            for s in steps {
                assert!(by_id(s), "{name} (stats: {st}): `{s}`:\n  {shown}");
            }
            // No walk of the tickets, and the text is checked row by row
            // (a rowid seek in the full-text index, `=`), never by listing
            // every match of a word.
            assert!(
                !plan.iter().any(|s| s == "SCAN t"
                    || s.starts_with("SCAN t ")
                    || (s.contains("ticket_fts") && !s.contains("INDEX 0:="))),
                "{name} (stats: {st}) walks the tickets:\n  {shown}"
            );
        }
        let nos = |f: ListFilter| -> Vec<i64> {
            store
                .reader()
                .list(&f)
                .expect("list")
                .into_iter()
                .map(|(no, _)| no)
                .collect()
        };
        // What it lists: each conflicted ticket once, newest first, in pages.
        let page = |after: Option<i64>| -> Vec<i64> {
            nos(filter(|f| {
                f.conflicts = true;
                f.limit = 2;
                f.after_no = after;
            }))
        };
        let mut got = Vec::new();
        let mut after = None;
        loop {
            let p = page(after);
            if p.is_empty() {
                break;
            }
            after = p.last().copied();
            got.extend(p);
        }
        assert_eq!(got, want);
        // With a text filter: the conflicted tickets among its matches.
        let matches = nos(filter(|f| {
            f.query = Some("factura".into());
            f.limit = 5000;
        }));
        let among: Vec<i64> = want
            .iter()
            .copied()
            .filter(|n| matches.contains(n))
            .collect();
        assert!(!among.is_empty() && among.len() < want.len(), "{among:?}");
        assert_eq!(
            nos(filter(|f| {
                f.conflicts = true;
                f.query = Some("factura".into());
            })),
            among
        );
        let all = filter(|f| f.conflicts = true);
        assert_eq!(
            store.reader().count(&all, None).expect("count"),
            want.len() as i64
        );
        // The marks of a queue page: one look-up per row.
        let rows = store
            .reader()
            .list(&filter(|f| f.after_no = Some(410)))
            .expect("list");
        let ids: Vec<&str> = rows.iter().map(|(_, t)| t.id.as_str()).collect();
        let marked = store.reader().conflicted(&ids).expect("conflicted");
        let expect: std::collections::HashSet<String> = rows
            .iter()
            .filter(|(no, _)| no % 40 == 7)
            .map(|(_, t)| t.id.clone())
            .collect();
        assert_eq!(marked, expect);
        assert!(!marked.is_empty());
    }
}

/// Record lists and the major-incident banner are one range of their
/// partial indexes, walked by row number: no sort, no ticket-table scan,
/// with or without statistics.
#[test]
fn record_lists_and_the_banner_use_their_partial_indexes() {
    for stats in [Stats::None, Stats::Analyzed] {
        let (_env, store) = database(stats);
        let states = strings(&["draft", "closed"]);
        for service in [None, Some("osf")] {
            let q = guardia::store::RecordQuery {
                record: "known_error",
                service,
                statuses: &states,
                after_no: Some(1000),
                limit: 50,
            };
            let plan = store.reader().records_plan(&q).expect("plan");
            assert_eq!(plan.len(), 1, "{plan:?}");
            assert!(
                plan[0].starts_with("SEARCH t USING INDEX ticket_record (record=? AND rowid<?)"),
                "{plan:?}"
            );
        }
        let plan = store
            .reader()
            .open_majors_plan(&strings(&["new", "assigned", "in_progress"]))
            .expect("plan");
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH t USING INDEX ticket_route (route=?)"),
            "{plan:?}"
        );
    }
}
