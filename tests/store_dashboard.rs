//! The dashboard's figures (`Reader::dashboard`) over a small known history
//! written through the real binary with a pinned clock, the plans of its
//! queries, and (ignored) its timing over a large database.

mod common;

use common::*;
use guardia::config::{Config, StateCategory};
use guardia::domain::lifecycle::open_states;
use guardia::store::{Dashboard, DashboardQuery, OldestTicket, Store};

/// Done states of the built-in workflow: resolved and closed.
fn done_states(cfg: &Config) -> Vec<String> {
    let mut out: Vec<String> = cfg
        .workflows
        .iter()
        .flat_map(|w| w.states.iter())
        .filter(|s| matches!(s.category, StateCategory::Resolved | StateCategory::Closed))
        .map(|s| s.id.get_ref().clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn builtin_query(today_start_ms: i64, days: u32, oldest: usize) -> DashboardQuery {
    let cfg = Config::builtin().expect("built-in configuration");
    DashboardQuery {
        open_states: open_states(&cfg.workflows),
        closed_states: done_states(&cfg),
        today_start_ms,
        days,
        oldest,
        exclude_records: false,
    }
}

/// Unix milliseconds of an RFC 3339 time.
fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .timestamp_millis()
}

/// Today in the tests: 2 March 2026 in Bogotá (UTC-5, no daylight saving).
const TODAY: &str = "2026-03-02T00:00:00-05:00";

/// Runs one command at a given time.
fn at(env: &mut Env, when: &str, args: &[&str]) -> String {
    env.now = when.to_string();
    env.ok(args)
}

/// Registers a support request at a given time; checks the priority the
/// matrix gave it; returns its key.
fn ticket_at(
    env: &mut Env,
    when: &str,
    title: &str,
    impact_urgency: (&str, &str),
    priority: &str,
) -> String {
    env.now = when.to_string();
    let v = env.json(&[
        "new",
        "--type",
        "support",
        "--service",
        "correo",
        "--title",
        title,
        "--description",
        "Descripción de prueba",
        "--impact",
        impact_urgency.0,
        "--urgency",
        impact_urgency.1,
        "--json",
    ]);
    assert_eq!(v["priority"], priority, "{title}: {v}");
    key_of(&v)
}

/// Level 2 of the built-in escalation.toml without its dossier, so a
/// support request can be escalated without filling one in.
fn escalation_without_dossier() -> String {
    let text = default_config("escalation.toml");
    let level2 = text.find("n = 2").expect("level 2");
    let from = level2 + text[level2..].find("dossier = [").expect("level 2 dossier");
    let to = from + text[from..].find("]\n").expect("end of the dossier") + 2;
    format!("{}{}", &text[..from], &text[to..])
}

/// The tickets of the tests, and what happened to them (Bogotá time):
///
/// | ticket | created | then | now |
/// |---|---|---|---|
/// | A low | 20 Feb | nothing | new, unassigned |
/// | B high | 27 Feb 23:30 | bruno; in progress 28 Feb | in_progress, bruno |
/// | C medium | 28 Feb 00:00:00.000 | carla; resolved 28 Feb 23:59:59.999; closed 1 Mar; comment 2 Mar | closed |
/// | D medium | 1 Mar 12:00 | bruno; resolved 1 Mar 15:00; reopened 2 Mar | in_progress, bruno |
/// | E critical | 1 Mar 23:59:59.999 | escalated to level 2 on 2 Mar | new, unassigned, level 2 |
/// | F low | 2 Mar 09:10 | rejected | rejected |
/// | G low | 2 Mar 09:15 | ana; waiting | waiting, ana |
/// | H medium | 25 Feb | resolved straight from new on 2 Mar | resolved |
struct History {
    env: Env,
    keys: std::collections::HashMap<char, String>,
}

fn history() -> History {
    let mut env = Env::new();
    env.write_config("escalation.toml", &escalation_without_dossier());
    // Support requests follow the generic life cycle here: this is about
    // counting, not about seed 001's twelve steps.
    env.write_config(
        "types.toml",
        &default_config("types.toml")
            .replace("workflow = \"soporte_sistemas\"", "workflow = \"default\""),
    );
    let mut keys = std::collections::HashMap::new();
    let mut k = |c: char, key: String| {
        keys.insert(c, key.clone());
        key
    };
    let solved = ["--field", "solution=Se reinició el servicio"];

    let a = k(
        'A',
        ticket_at(
            &mut env,
            "2026-02-20T10:00:00-05:00",
            "A",
            ("low", "low"),
            "low",
        ),
    );
    let h = k(
        'H',
        ticket_at(
            &mut env,
            "2026-02-25T10:00:00-05:00",
            "H",
            ("medium", "medium"),
            "medium",
        ),
    );
    let b = k(
        'B',
        ticket_at(
            &mut env,
            "2026-02-27T23:30:00-05:00",
            "B",
            ("high", "medium"),
            "high",
        ),
    );
    at(
        &mut env,
        "2026-02-27T23:40:00-05:00",
        &["assign", &b, "bruno"],
    );
    at(
        &mut env,
        "2026-02-28T00:10:00-05:00",
        &["move", &b, "in_progress"],
    );
    let c = k(
        'C',
        ticket_at(
            &mut env,
            "2026-02-28T00:00:00.000-05:00",
            "C",
            ("medium", "medium"),
            "medium",
        ),
    );
    at(
        &mut env,
        "2026-02-28T08:00:00-05:00",
        &["assign", &c, "carla"],
    );
    let mut args = vec!["move", &c, "resolved"];
    args.extend_from_slice(&solved);
    at(&mut env, "2026-02-28T23:59:59.999-05:00", &args);
    at(
        &mut env,
        "2026-03-01T08:00:00-05:00",
        &["move", &c, "closed"],
    );
    let d = k(
        'D',
        ticket_at(
            &mut env,
            "2026-03-01T12:00:00-05:00",
            "D",
            ("medium", "medium"),
            "medium",
        ),
    );
    at(
        &mut env,
        "2026-03-01T12:10:00-05:00",
        &["assign", &d, "bruno"],
    );
    at(
        &mut env,
        "2026-03-01T12:30:00-05:00",
        &["move", &d, "in_progress"],
    );
    let mut args = vec!["move", &d, "resolved"];
    args.extend_from_slice(&solved);
    at(&mut env, "2026-03-01T15:00:00-05:00", &args);
    let e = k(
        'E',
        ticket_at(
            &mut env,
            "2026-03-01T23:59:59.999-05:00",
            "E",
            ("high", "high"),
            "critical",
        ),
    );
    at(
        &mut env,
        "2026-03-02T08:00:00-05:00",
        &["move", &d, "in_progress"],
    );
    env.now = "2026-03-02T09:00:00-05:00".into();
    env.ok_as(
        "bruno",
        &["escalate", &e, "--level", "2", "--note", "prueba"],
    );
    let f = k(
        'F',
        ticket_at(
            &mut env,
            "2026-03-02T09:10:00-05:00",
            "F",
            ("low", "low"),
            "low",
        ),
    );
    at(
        &mut env,
        "2026-03-02T09:12:00-05:00",
        &["reject", &f, "--reason", "incomplete"],
    );
    let g = k(
        'G',
        ticket_at(
            &mut env,
            "2026-03-02T09:15:00-05:00",
            "G",
            ("low", "medium"),
            "low",
        ),
    );
    at(
        &mut env,
        "2026-03-02T09:16:00-05:00",
        &["assign", &g, "ana"],
    );
    at(
        &mut env,
        "2026-03-02T09:20:00-05:00",
        &["move", &g, "waiting"],
    );
    let mut args = vec!["move", &h, "resolved"];
    args.extend_from_slice(&solved);
    at(&mut env, "2026-03-02T09:25:00-05:00", &args);
    // A later change must not move C's resolution to today.
    at(
        &mut env,
        "2026-03-02T09:27:00-05:00",
        &["comment", &c, "Gracias"],
    );

    for (key, status, level) in [
        (&a, "new", 1),
        (&b, "in_progress", 1),
        (&c, "closed", 1),
        (&d, "in_progress", 1),
        (&e, "new", 2),
        (&f, "rejected", 1),
        (&g, "waiting", 1),
        (&h, "resolved", 1),
    ] {
        let t = env.show(key);
        assert_eq!(
            (t["status"].as_str(), t["level"].as_i64()),
            (Some(status), Some(level)),
            "{key}: {t}"
        );
    }
    History { env, keys }
}

fn dashboard(env: &Env, q: &DashboardQuery) -> Dashboard {
    let store = Store::open(&env.db).expect("open");
    store.reader().dashboard(q).expect("dashboard")
}

fn pairs<K: Clone>(v: &[(K, i64)]) -> Vec<(K, i64)> {
    v.to_vec()
}

#[test]
fn open_tickets_are_counted_by_state_priority_level_and_assignee() {
    let h = history();
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 3, 8));
    assert_eq!(d.open_total, 5);
    assert_eq!(
        pairs(&d.open_by_status),
        vec![
            ("in_progress".to_string(), 2),
            ("new".to_string(), 2),
            ("waiting".to_string(), 1),
        ]
    );
    assert_eq!(
        pairs(&d.open_by_priority),
        vec![
            ("critical".to_string(), 1),
            ("high".to_string(), 1),
            ("low".to_string(), 2),
            ("medium".to_string(), 1),
        ]
    );
    assert_eq!(pairs(&d.open_by_level), vec![(1, 4), (2, 1)]);
    assert_eq!(
        pairs(&d.open_by_assignee),
        vec![
            (None, 2),
            (Some("ana".to_string()), 1),
            (Some("bruno".to_string()), 2),
        ]
    );
}

/// Problems and known errors are records, not the queue's work: asked to,
/// the dashboard leaves them out of every figure (open counts, the oldest
/// open, new and finished per day), as `guardia report` does.
#[test]
fn problems_and_known_errors_are_left_out_when_asked() {
    let mut h = history();
    let plain = builtin_query(ms(TODAY), 3, 8);
    let queue = DashboardQuery {
        exclude_records: true,
        ..plain.clone()
    };
    let before = dashboard(&h.env, &plain);
    h.env.now = "2026-03-02T08:00:00-05:00".into();
    let problem = h
        .env
        .problem("Causa común de caídas", "varias caídas del correo");
    h.env.known_error(
        "correo",
        "Buzón lleno",
        "no llegan correos",
        "vaciar la papelera",
    );
    let closed = h
        .env
        .problem("Problema resuelto hoy", "ya se sabe la causa");
    h.env.now = "2026-03-02T09:00:00-05:00".into();
    h.env.ok_as(
        "julia",
        &["problem", "close", &closed, "--root-cause", "disco lleno"],
    );
    let all = dashboard(&h.env, &plain);
    assert_eq!(all.open_total, before.open_total + 2, "{problem}");
    assert_eq!(
        all.new_per_day.last(),
        before.new_per_day.last().map(|n| n + 3).as_ref()
    );
    assert_eq!(
        all.done_per_day.last(),
        before.done_per_day.last().map(|n| n + 1).as_ref()
    );
    let mut without = dashboard(&h.env, &queue);
    // Only the SLA and KPI figures are the caller's; the rest must match.
    without.sla_warned = before.sla_warned;
    without.sla_breached = before.sla_breached;
    assert_eq!(without, before);
}

#[test]
fn new_and_done_are_counted_per_calendar_day_across_midnight() {
    let h = history();
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 3, 8));
    // 28 Feb: C (created at 00:00:00.000). 1 Mar: D, and E at 23:59:59.999.
    // 2 Mar: F and G. B (27 Feb 23:30) is one minute too early.
    assert_eq!(d.new_per_day, vec![1, 2, 2]);
    // 28 Feb: C resolved at 23:59:59.999. 1 Mar: D resolved (C's closing,
    // resolved → closed, is not a second finish). 2 Mar: H. C's comment
    // today does not move its resolution.
    assert_eq!(d.done_per_day, vec![1, 1, 1]);

    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 4, 8));
    assert_eq!(d.new_per_day, vec![1, 1, 2, 2], "27 Feb: B");
    assert_eq!(d.done_per_day, vec![0, 1, 1, 1]);
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 1, 8));
    assert_eq!((d.new_per_day, d.done_per_day), (vec![2], vec![1]));
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 0, 8));
    assert!(d.new_per_day.is_empty() && d.done_per_day.is_empty());

    // The day boundaries are the caller's midnight: with UTC days, B (27 Feb
    // 23:30 in Bogotá) falls on 28 Feb, E (1 Mar 23:59:59.999) on 2 Mar, and
    // C's resolution (28 Feb 23:59:59.999) on 1 Mar.
    let d = dashboard(&h.env, &builtin_query(ms("2026-03-02T00:00:00Z"), 3, 8));
    assert_eq!(d.new_per_day, vec![2, 1, 3], "UTC: B, C | D | E, F, G");
    assert_eq!(d.done_per_day, vec![0, 2, 1], "UTC: - | C, D | H");

    // Only the states the caller calls done count, and moves between them
    // do not: with `closed` alone, C's closing counts on 1 Mar.
    let mut q = builtin_query(ms(TODAY), 3, 8);
    q.closed_states = vec!["closed".to_string()];
    assert_eq!(dashboard(&h.env, &q).done_per_day, vec![0, 1, 0]);
}

#[test]
fn the_oldest_open_tickets_come_oldest_first() {
    let h = history();
    let key = |c: char| h.keys[&c].clone();
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 3, 3));
    assert_eq!(
        d.oldest_open[0],
        OldestTicket {
            key: key('A'),
            title: "A".into(),
            priority: "low".into(),
            status: "new".into(),
            assignee: None,
            created_at: ms("2026-02-20T10:00:00-05:00"),
        }
    );
    let keys = |d: &Dashboard| {
        d.oldest_open
            .iter()
            .map(|t| t.key.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&d), vec![key('A'), key('B'), key('D')]);
    assert_eq!(d.oldest_open[1].assignee.as_deref(), Some("bruno"));
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 3, 50));
    assert_eq!(
        keys(&d),
        vec![key('A'), key('B'), key('D'), key('E'), key('G')]
    );
    assert!(
        dashboard(&h.env, &builtin_query(ms(TODAY), 3, 0))
            .oldest_open
            .is_empty()
    );
}

#[test]
fn an_empty_database_has_an_empty_dashboard() {
    let env = Env::new();
    let d = dashboard(&env, &builtin_query(ms(TODAY), 14, 8));
    assert_eq!(
        d,
        Dashboard {
            new_per_day: vec![0; 14],
            done_per_day: vec![0; 14],
            ..Dashboard::default()
        }
    );
    let d = dashboard(&env, &DashboardQuery::default());
    assert_eq!(d, Dashboard::default());
}

/// The per-day series read index ranges, never the whole `ticket` or `op`
/// table, with and without planner statistics; the open counts read only
/// the open states' index ranges.
#[test]
fn dashboard_queries_read_index_ranges_only() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "2000", "--seed", "1"]);
    for analyze in [false, true] {
        let c = rusqlite::Connection::open(&env.db).expect("open");
        if analyze {
            c.execute_batch("ANALYZE").expect("analyze");
        } else {
            c.execute_batch(
                "DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4;",
            )
            .expect("drop stats");
        }
        drop(c);
        let store = Store::open(&env.db).expect("open");
        let q = builtin_query(ms(TODAY), 14, 8);
        let plans = store.reader().dashboard_plan(&q).expect("plans");
        let plan = |name: &str| -> String {
            plans
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("no plan for {name}"))
                .1
                .join("\n")
        };
        for (name, steps) in &plans {
            for s in steps {
                assert!(
                    !(s.starts_with("SCAN ticket") || s.starts_with("SCAN op")),
                    "{name} (stats: {analyze}) scans a whole table: {s}\n{}",
                    steps.join("\n")
                );
                assert!(
                    !s.contains("TEMP B-TREE"),
                    "{name} (stats: {analyze}) sorts: {}",
                    steps.join("\n")
                );
            }
        }
        let expect = [
            (
                "new per day",
                "SEARCH ticket USING COVERING INDEX ticket_created (created_at>? AND created_at<?)",
            ),
            (
                "done per day",
                "SEARCH op USING COVERING INDEX op_transition (<expr>=? AND hlc>? AND hlc<?)",
            ),
            (
                "open by priority and level",
                "USING INDEX ticket_status_shape (status=?)",
            ),
            (
                "open by assignee",
                "USING COVERING INDEX ticket_status_assignee (status=?)",
            ),
            (
                "oldest of a group",
                "USING COVERING INDEX ticket_status_shape (status=? AND <expr>=? AND <expr>=?)",
            ),
            ("records", "USING INDEX ticket_record"),
            ("moves of records", "USING INDEX op_by_entity (entity_id=?)"),
        ];
        for (name, step) in expect {
            assert!(
                plan(name).contains(step),
                "{name} (stats: {analyze}):\n{}",
                plan(name)
            );
        }
        // The figures of a generated history hold together.
        let d = store.reader().dashboard(&q).expect("dashboard");
        let sum = |v: &[i64]| v.iter().sum::<i64>();
        assert_eq!(
            sum(&d.open_by_status.iter().map(|p| p.1).collect::<Vec<_>>()),
            d.open_total
        );
        assert_eq!(
            sum(&d.open_by_priority.iter().map(|p| p.1).collect::<Vec<_>>()),
            d.open_total
        );
        assert_eq!(
            sum(&d.open_by_level.iter().map(|p| p.1).collect::<Vec<_>>()),
            d.open_total
        );
        assert_eq!(
            sum(&d.open_by_assignee.iter().map(|p| p.1).collect::<Vec<_>>()),
            d.open_total
        );
        assert!(d.open_total > 0 && d.oldest_open.len() == 8);
        assert!(
            d.oldest_open
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at)
        );
    }
}

/// A database of an older guardia (schema 1, without the dashboard's
/// indexes) is migrated when opened, and its history counts in full.
#[test]
fn a_database_from_before_the_dashboard_is_migrated_and_counted() {
    let h = history();
    let c = rusqlite::Connection::open(&h.env.db).expect("open");
    c.execute_batch(
        "DROP INDEX op_transition; DROP INDEX ticket_created; DROP INDEX ticket_status_shape;
         DROP INDEX ticket_timer; ALTER TABLE ticket DROP COLUMN status_since;
         DROP TABLE sla_clock; DELETE FROM meta WHERE key = 'sla_fingerprint';
         ALTER TABLE site DROP COLUMN pubkey; ALTER TABLE site DROP COLUMN trust;
         ALTER TABLE site DROP COLUMN skew_ms; ALTER TABLE local DROP COLUMN secret_key;
         DROP TABLE changeset; DROP TABLE peer_knows; DROP TABLE export_cursor;
         DROP TABLE imported_bundle; DROP TABLE conflict; DROP TABLE op_waiting;
         DROP INDEX ticket_record; DROP INDEX ticket_route; ALTER TABLE ticket DROP COLUMN record;
         DROP TABLE task; DROP TABLE resource; DROP TABLE knowledge_fts;
         DROP TABLE sla_outcome; DROP INDEX link_kind; DROP TABLE rejection;
         PRAGMA user_version = 1;",
    )
    .expect("back to schema 1");
    drop(c);
    let d = dashboard(&h.env, &builtin_query(ms(TODAY), 3, 8));
    assert_eq!(
        (d.open_total, d.new_per_day, d.done_per_day),
        (5, vec![1, 2, 2], vec![1, 1, 1])
    );
    let c = rusqlite::Connection::open(&h.env.db).expect("open");
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    // Schema 3 rebuilt the full-text index (with prefix indexes) from the
    // tickets and schema 4 backfilled when each ticket entered its state:
    // the doctor's replay of the log must agree with both. Schema 5 holds
    // the SLA clocks (derived from the configuration too, not compared);
    // schema 6 the sync tables, with the site's own trust; schema 7 the
    // records (problems, known errors) and their knowledge index; schema 8
    // the SLA outcomes of finished tickets (derived from the configuration
    // too); schema 9 an index of links by kind and the rejections; schema
    // 10 the length of compressed changeset bodies; schema 11 an index of
    // imported bundles by file name; schema 12 settles again the level of
    // tickets with concurrent escalations (none here: one site).
    assert_eq!(version, 12);
    // Schema 9 filled the rejections from the log (F's); `doctor` below
    // checks the rows against the replay.
    let rejections: i64 = c
        .query_row("SELECT count(*) FROM rejection", [], |r| r.get(0))
        .expect("rejections");
    assert_eq!(rejections, 1);
    drop(c);
    let doctor = h.env.cmd().arg("doctor").output().expect("doctor");
    assert!(
        doctor.status.success(),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
}

/// Times the dashboard over an existing database (a copy: opening it
/// migrates it). `GUARDIA_DASHBOARD_DB=/tmp/full-1000000.db cargo test
/// --release --test store_dashboard -- --ignored --nocapture`. "Today" is
/// the UTC day of the newest change, so the series cover the busiest days.
#[test]
#[ignore = "needs GUARDIA_DASHBOARD_DB, a large database to time"]
fn time_the_dashboard_over_a_large_database() {
    let Ok(path) = std::env::var("GUARDIA_DASHBOARD_DB") else {
        eprintln!("set GUARDIA_DASHBOARD_DB");
        return;
    };
    let started = std::time::Instant::now();
    let store = Store::open(std::path::Path::new(&path)).expect("open");
    eprintln!("open (with any migration): {:?}", started.elapsed());
    let reader = store.reader();
    let newest = reader.newest_change_ms().expect("newest").unwrap_or(0);
    let q = builtin_query(newest - newest.rem_euclid(86_400_000), 14, 8);
    for (name, plan) in reader.dashboard_plan(&q).expect("plan") {
        eprintln!("{name}:\n  {}", plan.join("\n  "));
    }
    let first = std::time::Instant::now();
    let d = reader.dashboard(&q).expect("dashboard");
    eprintln!("first (cold cache) call: {:?}", first.elapsed());
    let mut ms = Vec::new();
    for _ in 0..30 {
        let t = std::time::Instant::now();
        let again = reader.dashboard(&q).expect("dashboard");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(again, d);
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    eprintln!("{d:#?}");
    eprintln!(
        "dashboard over {} open tickets, 30 warm runs: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        d.open_total,
        at(0.5),
        at(0.95),
        at(1.0)
    );
}
