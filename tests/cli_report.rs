//! `guardia report`: every total checked against a naive recount done here,
//! straight over the SQLite file (the operation log replayed in Rust) and,
//! for the times and SLA shares, against each ticket's own ledger from
//! `guardia sla KEY --json`; the four formats; the errors; hostile text;
//! and the SLA outcome cache the report reads (filled after `generate`,
//! kept by every write, dropped on reopening).

mod common;

use common::*;
use guardia::config::{Config, StateCategory};
use guardia::domain::lifecycle;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::process::Output;

/// Report dates are local: every run here is in Bogotá (UTC-5, no DST).
const TZ: &str = "America/Bogota";

fn run(env: &Env, args: &[&str]) -> Output {
    env.cmd()
        .env("TZ", TZ)
        .args(args)
        .output()
        .expect("run guardia")
}

fn ok(env: &Env, args: &[&str]) -> Vec<u8> {
    let out = run(env, args);
    assert!(
        out.status.success(),
        "`guardia {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn report(env: &Env, args: &[&str]) -> Value {
    let mut a = vec!["report", "--json"];
    a.extend_from_slice(args);
    serde_json::from_slice(&ok(env, &a)).expect("report JSON")
}

/// Fails with exit `code` and one `guardia: ` line (or clap's usage error).
fn refused(env: &Env, args: &[&str], code: i32) -> String {
    let out = run(env, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "`guardia {}`: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Local midnight in Bogotá of a date, in Unix ms.
fn bogota_ms(date: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&format!("{date}T00:00:00-05:00"))
        .expect("date")
        .timestamp_millis()
}

/// A database with a year of generated history up to `NOW`.
fn generated(tickets: &str) -> Env {
    let env = Env::new();
    env.ok(&["generate", "--tickets", tickets, "--seed", "11"]);
    env
}

// ----- the naive recount -----

/// One ticket as the log tells it.
struct Replayed {
    key: String,
    service: String,
    ticket_type: String,
    created_ms: i64,
    /// (effective ms, state), in log order.
    history: Vec<(i64, String)>,
}

/// Every ticket but the records, replayed from the `op` table, plus the
/// escalation and rejection events (ms, value).
struct Log {
    tickets: Vec<Replayed>,
    escalations: Vec<(i64, Value, String)>,
    rejections: Vec<(i64, Value, String)>,
}

fn read_log(env: &Env) -> Log {
    let c = Connection::open(&env.db).expect("open");
    let current: HashMap<String, (String, String)> = c
        .prepare("SELECT id, key, service FROM ticket")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let mut st = c
        .prepare(
            "SELECT entity_id, kind, hlc, value FROM op WHERE entity = 'ticket'
             ORDER BY hlc, site_no, seq",
        )
        .expect("prepare");
    let mut rows = st.query([]).expect("query");
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut log = Log {
        tickets: Vec::new(),
        escalations: Vec::new(),
        rejections: Vec::new(),
    };
    while let Some(r) = rows.next().expect("row") {
        let id: String = r.get(0).expect("id");
        let kind: String = r.get(1).expect("kind");
        let hlc: i64 = r.get(2).expect("hlc");
        let v: Value = serde_json::from_str(&r.get::<_, String>(3).expect("value")).expect("json");
        let ms = v["at"].as_i64().unwrap_or(hlc >> 16);
        match kind.as_str() {
            // Problems and known errors are records, which a report
            // leaves out unless --types names them.
            "create" if v["record"].as_str().is_some_and(|r| r != "ticket") => {}
            "create" => {
                let (key, service) = current[&id].clone();
                by_id.insert(id.clone(), log.tickets.len());
                log.tickets.push(Replayed {
                    key,
                    service,
                    ticket_type: v["type"].as_str().expect("type").into(),
                    created_ms: hlc >> 16,
                    history: vec![(ms, v["status"].as_str().expect("status").into())],
                });
            }
            _ if !by_id.contains_key(&id) => {}
            "transition" => {
                let t = &mut log.tickets[by_id[&id]];
                t.history.push((ms, v["to"].as_str().expect("to").into()));
                if v.get("reason").is_some() {
                    log.rejections.push((hlc >> 16, v, t.service.clone()));
                }
            }
            "escalate" => {
                let service = log.tickets[by_id[&id]].service.clone();
                log.escalations.push((hlc >> 16, v, service));
            }
            _ => {}
        }
    }
    log
}

fn category(cfg: &Config, t: &Replayed, state: &str) -> StateCategory {
    let wf = cfg.workflow_for_type(&t.ticket_type).expect("workflow");
    lifecycle::category(wf, state)
}

/// When `t` last moved from an unfinished state into a finished one, and
/// whether it has been cancelled since (resolved, then cancelled, is no
/// resolution); `None` unless its last state is finished.
fn naive_finish(cfg: &Config, t: &Replayed) -> Option<(i64, bool)> {
    let mut done_at = None;
    let mut was_done = false;
    for (ms, s) in &t.history {
        let c = category(cfg, t, s);
        if c.is_done() && !was_done {
            done_at = Some((*ms, false));
        }
        if c == StateCategory::Cancelled
            && let Some((_, cancelled)) = done_at.as_mut()
        {
            *cancelled = true;
        }
        was_done = c.is_done();
    }
    if was_done { done_at } else { None }
}

/// Whether `t` existed and was open (new, active, waiting) just before `at_ms`.
fn naive_open_at(cfg: &Config, t: &Replayed, at_ms: i64) -> bool {
    let state = t.history.iter().rev().find(|(ms, _)| *ms < at_ms);
    t.created_ms < at_ms
        && state.is_some_and(|(_, s)| {
            matches!(
                category(cfg, t, s),
                StateCategory::New | StateCategory::Active | StateCategory::Waiting
            )
        })
}

#[derive(Debug, Default, PartialEq)]
struct Counts {
    opened: i64,
    closed: i64,
    cancelled: i64,
    backlog: i64,
    escalations: BTreeMap<String, i64>,
    rejections: BTreeMap<String, i64>,
}

/// The volume figures of `[from, to)`, per service (`None`: all).
fn naive_counts(log: &Log, from: i64, to: i64, service: Option<&str>) -> Counts {
    let cfg = Config::builtin().expect("config");
    let mut c = Counts::default();
    let mine = |s: &str| service.is_none_or(|x| x == s);
    for t in log.tickets.iter().filter(|t| mine(&t.service)) {
        c.opened += i64::from(t.created_ms >= from && t.created_ms < to);
        if let Some((ms, cancelled)) = naive_finish(&cfg, t)
            && ms >= from
            && ms < to
        {
            c.closed += 1;
            c.cancelled += i64::from(cancelled);
        }
        c.backlog += i64::from(naive_open_at(&cfg, t, to));
    }
    for (ms, v, s) in &log.escalations {
        if *ms >= from && *ms < to && mine(s) {
            let level = match v["mode"].as_str() {
                Some("hierarchical") => "hierarchical".to_string(),
                _ => v["to"].to_string(),
            };
            *c.escalations.entry(level).or_default() += 1;
        }
    }
    for (ms, v, s) in &log.rejections {
        if *ms >= from && *ms < to && mine(s) {
            *c.rejections
                .entry(v["reason"].as_str().expect("reason").into())
                .or_default() += 1;
        }
    }
    c
}

/// The same figures as the report gives them.
fn reported_counts(f: &Value) -> Counts {
    let n = |k: &str| f[k].as_i64().unwrap_or_else(|| panic!("{k} in {f}"));
    Counts {
        opened: n("opened"),
        closed: n("closed"),
        cancelled: n("cancelled"),
        backlog: n("backlog"),
        escalations: f["escalations"]
            .as_array()
            .expect("escalations")
            .iter()
            .map(|e| {
                let level = match &e["level"] {
                    Value::Null => "hierarchical".to_string(),
                    l => l.to_string(),
                };
                (level, e["count"].as_i64().expect("count"))
            })
            .collect(),
        rejections: f["rejections"]
            .as_array()
            .expect("rejections")
            .iter()
            .map(|e| {
                (
                    e["code"].as_str().expect("code").to_string(),
                    e["count"].as_i64().expect("count"),
                )
            })
            .collect(),
    }
}

/// Nearest rank, like the report says it computes them.
fn nearest_rank(v: &mut [i64], p: usize) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let rank = (p * v.len()).div_ceil(100).max(1);
    Some(v[rank - 1])
}

fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

// ----- the tests -----

#[test]
fn every_volume_total_matches_a_recount_of_the_log() {
    let env = generated("3000");
    let log = read_log(&env);
    // The last 30 days (the default range) and a past month, whose backlog
    // is taken back from today's through every change since.
    for (from, to) in [("2026-02-01", "2026-03-02"), ("2025-11-01", "2025-11-30")] {
        let r = report(&env, &["--from", from, "--to", to, "--by", "service"]);
        let (lo, hi) = (bogota_ms(from), bogota_ms(to) + 86_400_000);
        let total = naive_counts(&log, lo, hi, None);
        assert!(
            total.opened > 100 && total.closed > 50 && total.backlog > 50,
            "{total:?}"
        );
        assert!(!total.rejections.is_empty() && !total.escalations.is_empty());
        assert_eq!(reported_counts(&r["totals"]), total, "{from}..{to}");
        let groups = r["groups"].as_array().expect("groups");
        assert_eq!(groups.len(), 4, "one group per generated service");
        for g in groups {
            let service = g["key"].as_str().expect("key");
            assert_eq!(
                reported_counts(g),
                naive_counts(&log, lo, hi, Some(service)),
                "{service} {from}..{to}"
            );
        }
        // Without --by the totals are the same.
        let plain = report(&env, &["--from", from, "--to", to]);
        assert_eq!(plain["totals"], r["totals"]);
        assert_eq!(plain["groups"], Value::Array(vec![]));
    }
    // The default range is the last 30 days, today included.
    let r = report(&env, &[]);
    assert_eq!(r["from_date"], "2026-02-01");
    assert_eq!(r["to_date"], "2026-03-02");
}

#[test]
fn times_and_sla_shares_match_each_tickets_ledger() {
    let env = generated("2000");
    let (from, to) = ("2026-02-20", "2026-02-26");
    let r = report(&env, &["--from", from, "--to", to]);
    let log = read_log(&env);
    let cfg = Config::builtin().expect("config");
    let (lo, hi) = (bogota_ms(from), bogota_ms(to) + 86_400_000);
    let resolved: Vec<&Replayed> = log
        .tickets
        .iter()
        .filter(|t| {
            naive_finish(&cfg, t).is_some_and(|(ms, cancelled)| !cancelled && ms >= lo && ms < hi)
        })
        .collect();
    assert!(resolved.len() >= 10, "{} resolved", resolved.len());
    let (mut response, mut resolution) = (Vec::new(), Vec::new());
    let (mut response_met, mut resolution_met) = (0, 0);
    for t in &resolved {
        let l = env.json(&["sla", &t.key, "--json"]);
        response.push(l["response"]["elapsed"].as_i64().expect("elapsed"));
        resolution.push(l["resolution"]["elapsed"].as_i64().expect("elapsed"));
        response_met += usize::from(l["response"]["state"] == "met");
        resolution_met += usize::from(l["resolution"]["state"] == "met");
    }
    let t = &r["totals"];
    assert_eq!(t["resolved"], resolved.len() as i64);
    assert_eq!(t["first_response"]["count"], resolved.len());
    assert_eq!(
        t["first_response"]["median_min"].as_i64(),
        nearest_rank(&mut response, 50)
    );
    assert_eq!(
        t["first_response"]["p90_min"].as_i64(),
        nearest_rank(&mut response, 90)
    );
    assert_eq!(
        t["resolution"]["median_min"].as_i64(),
        nearest_rank(&mut resolution, 50)
    );
    assert_eq!(
        t["resolution"]["p90_min"].as_i64(),
        nearest_rank(&mut resolution, 90)
    );
    assert_eq!(
        t["response_sla_met_pct"].as_f64(),
        pct(response_met, resolved.len())
    );
    assert_eq!(
        t["resolution_sla_met_pct"].as_f64(),
        pct(resolution_met, resolved.len())
    );
    // Generated histories never reopen.
    assert_eq!(t["reopened"], 0);
    assert_eq!(t["reopen_rate_pct"], 0.0);
}

fn outcome_rows(env: &Env) -> i64 {
    let c = Connection::open(&env.db).expect("open");
    c.query_row("SELECT count(*) FROM sla_outcome", [], |r| r.get(0))
        .expect("count")
}

fn finished_tickets(env: &Env) -> i64 {
    let c = Connection::open(&env.db).expect("open");
    c.query_row(
        "SELECT count(*) FROM ticket WHERE status IN ('resolved', 'closed', 'cancelled', 'rejected', 'certified')",
        [],
        |r| r.get(0),
    )
    .expect("count")
}

#[test]
fn the_outcome_cache_is_filled_after_generate_and_kept_by_writes() {
    let env = generated("400");
    // `generate` skips the outcomes; the first report fills them all.
    assert_eq!(outcome_rows(&env), 0);
    let first = report(&env, &["--from", "2025-01-01", "--to", "2026-03-02"]);
    let finished = finished_tickets(&env);
    assert!(finished > 100);
    assert_eq!(outcome_rows(&env), finished);
    // The cache is marked complete, and a second report reads the same.
    let second = report(&env, &["--from", "2025-01-01", "--to", "2026-03-02"]);
    assert_eq!(first["totals"], second["totals"]);
    // The doctor compares the log's tables, not this cache.
    env.ok(&["doctor"]);
}

#[test]
fn a_reopened_ticket_counts_once_when_it_finishes_again() {
    let mut env = Env::new();
    let day = |env: &mut Env, t: &str| env.now = format!("2026-03-02T{t}:00-05:00");
    day(&mut env, "09:00");
    let key = env.incident("Facturación caída", "No factura");
    let range = ["--from", "2026-03-02", "--to", "2026-03-02"];
    day(&mut env, "09:30");
    env.ok(&["move", &key, "in_progress"]);
    day(&mut env, "10:00");
    env.ok(&["move", &key, "resolved", "--field", "solution=Reinicio"]);
    let r = report(&env, &range);
    assert_eq!(
        (
            r["totals"]["closed"].as_i64(),
            r["totals"]["backlog"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(outcome_rows(&env), 1, "written by the move itself");
    day(&mut env, "11:00");
    env.ok(&["move", &key, "in_progress"]);
    assert_eq!(outcome_rows(&env), 0, "dropped by the reopening");
    let r = report(&env, &range);
    assert_eq!(
        (
            r["totals"]["closed"].as_i64(),
            r["totals"]["backlog"].as_i64()
        ),
        (Some(0), Some(1))
    );
    day(&mut env, "12:00");
    env.ok(&["move", &key, "resolved", "--field", "solution=Reinicio"]);
    let r = report(&env, &range);
    let t = &r["totals"];
    assert_eq!(t["opened"], 1);
    assert_eq!(t["closed"], 1);
    assert_eq!(t["reopened"], 1);
    assert_eq!(t["reopen_rate_pct"], 100.0);
    // 09:00-10:00 and 11:00-12:00 in progress or new: two business hours.
    let ledger = env.json(&["sla", &key, "--json"]);
    assert_eq!(
        t["resolution"]["median_min"],
        ledger["resolution"]["elapsed"]
    );
    assert_eq!(t["resolution"]["median_min"], 120);
    assert_eq!(t["first_response"]["median_min"], 30);
}

/// A past range's backlog is today's taken back: less the tickets created
/// since, plus those finished since. That holds for every ticket not
/// reopened since; the ones reopened since are counted as they were then.
#[test]
fn a_past_backlog_counts_tickets_reopened_since_as_they_were() {
    let mut env = Env::new();
    let at = |env: &mut Env, day: u32, time: &str| {
        env.now = format!("2026-02-{day:02}T{time}:00-05:00");
    };
    let solve = |env: &Env, key: &str| {
        env.ok(&["move", key, "resolved", "--field", "solution=Reinicio"]);
    };
    let reopen = |env: &Env, key: &str| {
        env.ok(&["move", key, "in_progress"]);
    };
    at(&mut env, 10, "09:00");
    let [a, b, c, d, e] = ["A", "B", "C", "D", "E"].map(|t| env.incident(t, "Falla"));
    at(&mut env, 10, "10:00");
    solve(&env, &a);
    solve(&env, &b);
    // The range ends with 2026-02-10: A and B are finished, C, D and E open.
    at(&mut env, 11, "09:00");
    reopen(&env, &a); // open again, still open
    reopen(&env, &b);
    solve(&env, &c);
    solve(&env, &e);
    at(&mut env, 11, "10:00");
    solve(&env, &b); // finished again
    reopen(&env, &c); // finished after the range, then reopened
    reopen(&env, &e);
    at(&mut env, 11, "11:00");
    solve(&env, &e);
    let _ = d;
    at(&mut env, 12, "09:00");
    let log = read_log(&env);
    let (lo, hi) = (bogota_ms("2026-02-10"), bogota_ms("2026-02-11"));
    let naive = naive_counts(&log, lo, hi, None);
    assert_eq!(naive.backlog, 3, "{naive:?}");
    let range = ["--from", "2026-02-10", "--to", "2026-02-10"];
    for extra in [
        &[][..],
        &["--by", "service"][..],
        &["--types", "incident"][..],
    ] {
        let r = report(&env, &[&range[..], extra].concat());
        assert_eq!(reported_counts(&r["totals"]), naive, "{extra:?}");
    }
    // Today's backlog: A and C (reopened) and D.
    let r = report(&env, &["--from", "2026-02-12", "--to", "2026-02-12"]);
    assert_eq!(r["totals"]["backlog"], 3);
}

/// A timer's move counts when it was due, even when guardia only ran (and
/// wrote it) after the range ended: a ticket a timer closed before the end
/// and that was reopened after it was not open at the end.
#[test]
fn a_late_timer_move_counts_when_it_was_due_in_a_past_backlog() {
    let mut env = Env::new();
    // Support requests follow the standard life cycle here, which gets a
    // timer: one hour waiting closes the request.
    env.write_config(
        "types.toml",
        &replace_once(
            &default_config("types.toml"),
            "workflow = \"soporte_sistemas\"",
            "workflow = \"default\"",
        ),
    );
    env.write_config(
        "workflows.toml",
        &replace_once(
            &default_config("workflows.toml"),
            "[[workflow]]\nid = \"itil_incidente\"",
            "[[workflow.timer]]\nin = \"waiting\"\nafter = \"1h\"\nto = \"closed\"\n\n[[workflow]]\nid = \"itil_incidente\"",
        ),
    );
    let at = |env: &mut Env, day: u32, time: &str| {
        env.now = format!("2026-02-{day:02}T{time}:00-05:00");
    };
    at(&mut env, 10, "09:00");
    let key = env.support("Impresora", "No imprime");
    at(&mut env, 10, "09:10");
    env.ok(&["move", &key, "in_progress"]);
    at(&mut env, 10, "09:20");
    env.ok(&["move", &key, "waiting"]);
    // Due at 10:20; nobody runs guardia until the next morning.
    at(&mut env, 11, "09:00");
    env.ok(&["list"]);
    assert_eq!(env.show(&key)["status"], "closed");
    at(&mut env, 11, "09:30");
    env.ok_as("ines", &["move", &key, "in_progress"]);
    at(&mut env, 12, "09:00");
    let log = read_log(&env);
    let (lo, hi) = (bogota_ms("2026-02-10"), bogota_ms("2026-02-11"));
    let naive = naive_counts(&log, lo, hi, None);
    assert_eq!((naive.opened, naive.backlog), (1, 0), "{naive:?}");
    let range = ["--from", "2026-02-10", "--to", "2026-02-10"];
    for extra in [&[][..], &["--by", "service"][..]] {
        let r = report(&env, &[&range[..], extra].concat());
        assert_eq!(reported_counts(&r["totals"]), naive, "{extra:?}");
    }
}

#[test]
fn top_problems_rank_by_linked_incidents_with_their_worklog() {
    let env = Env::new();
    let problem = env.problem("Caídas del servicio de facturación", "Causa raíz");
    let other = env.problem("Lentitud general", "Causa raíz");
    let mut incidents = Vec::new();
    for i in 0..3 {
        incidents.push(env.incident(&format!("Factura {i}"), "Falla"));
    }
    for k in &incidents {
        env.ok(&["link", k, &problem, "--kind", "problem"]);
        env.ok(&["worklog", k, "30m"]);
    }
    env.ok(&["link", &incidents[0], &other, "--kind", "problem"]);
    env.ok(&["worklog", &problem, "1h"]);
    let r = report(&env, &[]);
    let top = r["top_problems"].as_array().expect("problems");
    assert_eq!(top.len(), 2);
    assert_eq!(top[0]["key"], problem.as_str());
    assert_eq!(top[0]["incidents"], 3);
    assert_eq!(top[0]["worklog_minutes"], 3 * 30 + 60);
    assert_eq!(top[1]["key"], other.as_str());
    assert_eq!(top[1]["incidents"], 1);
    assert_eq!(top[1]["worklog_minutes"], 30);
    let r = report(&env, &["--top", "1"]);
    assert_eq!(r["top_problems"].as_array().map(Vec::len), Some(1));
}

/// RFC 4180 fields of a CSV text with separator `sep`.
fn parse_csv(text: &str, sep: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == sep => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "unterminated"
    );
    rows
}

#[test]
fn csv_parses_back_with_its_separator_and_bom_and_agrees_with_json() {
    let env = generated("1500");
    let range = [
        "--from",
        "2026-02-01",
        "--to",
        "2026-03-02",
        "--by",
        "service",
    ];
    let json = report(&env, &range);
    for (sep, flag, bom) in [(',', ",", false), (';', ";", true), ('\t', "tab", false)] {
        let mut args = vec!["report", "--format", "csv", "--delimiter", flag];
        args.extend_from_slice(&range);
        if bom {
            args.push("--bom");
        }
        let raw = ok(&env, &args);
        assert_eq!(raw.starts_with(b"\xEF\xBB\xBF"), bom);
        let text = String::from_utf8(raw).expect("UTF-8");
        let text = text.trim_start_matches('\u{FEFF}');
        assert!(text.contains("\r\n"), "RFC 4180 line ends");
        let rows = parse_csv(text, sep);
        let header = &rows[0];
        assert!(rows.iter().all(|r| r.len() == header.len()));
        // A row per service and the total.
        assert_eq!(rows.len(), 1 + 4 + 1);
        let col = |name: &str| header.iter().position(|h| h == name).expect(name);
        let total = rows.last().expect("total");
        assert_eq!(total[col("label")], "TOTAL");
        for k in ["opened", "closed", "backlog", "resolved"] {
            assert_eq!(total[col(k)], json["totals"][k].to_string(), "{k}");
        }
        let met = json["totals"]["response_sla_met_pct"]
            .as_f64()
            .expect("pct");
        let shown = format!("{met:.1}");
        let shown = if sep == ';' {
            shown.replace('.', ",")
        } else {
            shown
        };
        assert_eq!(total[col("response_sla_met_pct")], shown);
        let osf = rows.iter().find(|r| r[0] == "osf").expect("osf row");
        assert_eq!(osf[col("label")], "Open Smartflex");
    }
}

#[test]
fn markdown_and_table_have_their_shape() {
    let env = generated("600");
    let md = String::from_utf8(ok(&env, &["report", "--format", "md", "--by", "priority"]))
        .expect("UTF-8");
    assert!(md.starts_with("# Report "));
    // Each table: a header, a separator with right-aligned figures, rows
    // with as many cells.
    let lines: Vec<&str> = md.lines().collect();
    let cells = |l: &str| l.matches(" | ").count();
    let mut tables = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("|---") {
            tables += 1;
            let width = cells(lines[i - 1]);
            assert_eq!(l.matches('|').count(), width + 2, "{l}");
            for row in lines[i + 1..].iter().take_while(|r| r.starts_with('|')) {
                assert_eq!(cells(row), width, "{row}");
            }
        }
    }
    assert_eq!(
        tables, 5,
        "volume, times, escalations, rejections, problems"
    );
    assert!(md.contains("| Critical |"));
    let table = String::from_utf8(ok(&env, &["report", "--by", "operator"])).expect("UTF-8");
    assert!(table.contains("OPERATOR"));
    assert!(table.contains("TOTAL"));
    assert!(table.contains("Escalations per level"));
    let mut env = env;
    env.lang = "es".into();
    let es = String::from_utf8(ok(&env, &["report"])).expect("UTF-8");
    assert!(es.contains("Informe") && es.contains("ABIERTOS"), "{es}");
}

#[test]
fn bad_requests_are_refused_with_a_clear_message() {
    let env = Env::new();
    let e = refused(&env, &["report", "--from", "2026-02-30"], 1);
    assert!(e.contains("--from '2026-02-30' is not a date"), "{e}");
    let e = refused(&env, &["report", "--to", "yesterday"], 1);
    assert!(e.contains("YYYY-MM-DD"), "{e}");
    let e = refused(
        &env,
        &["report", "--from", "2026-03-05", "--to", "2026-03-01"],
        1,
    );
    assert!(e.contains("is after --to"), "{e}");
    let e = refused(&env, &["report", "--by", "weather"], 2);
    assert!(e.contains("service") && e.contains("operator"), "{e}");
    let e = refused(&env, &["report", "--types", "incident,bogus"], 1);
    assert!(e.contains("bogus"), "{e}");
    let e = refused(&env, &["report", "--bom"], 1);
    assert!(e.contains("--format csv"), "{e}");
    let e = refused(&env, &["report", "--format", "csv", "--delimiter", "|"], 1);
    assert!(e.contains("separator"), "{e}");
    // Spanish names of the groupings are understood too.
    ok(&env, &["report", "--by", "servicio"]);
}

#[test]
fn types_narrow_every_figure() {
    let env = generated("800");
    let all = report(&env, &["--from", "2025-12-01", "--to", "2026-03-02"]);
    let mut sum = [0i64; 3];
    for ty in ["incident", "support", "api_incident"] {
        let r = report(
            &env,
            &["--from", "2025-12-01", "--to", "2026-03-02", "--types", ty],
        );
        assert_eq!(r["types"], serde_json::json!([ty]));
        for (i, k) in ["opened", "closed", "backlog"].iter().enumerate() {
            sum[i] += r["totals"][k].as_i64().expect(k);
        }
    }
    let t = &all["totals"];
    assert_eq!(
        sum,
        [
            t["opened"].as_i64().expect("opened"),
            t["closed"].as_i64().expect("closed"),
            t["backlog"].as_i64().expect("backlog")
        ]
    );
}

#[test]
fn hostile_text_never_reaches_the_terminal_or_a_formula() {
    let env = Env::new();
    // A service name and a rejection label from the configuration...
    let services = replace_once(
        &default_config("services.toml"),
        "name = \"Open Smartflex\"",
        "name = \"=HYPERLINK(\\\"http://x\\\")\\u001b[31m\\u202eOSF\"",
    );
    env.write_config("services.toml", &services);
    let rejections = replace_once(
        &default_config("rejections.toml"),
        "en = \"Missing documentation\"",
        "en = \"Missing\\u001b]0;pwned\\u0007 docs\"",
    );
    env.write_config("rejections.toml", &rejections);
    let a = env.incident("Uno", "Falla");
    let b = env.incident("Dos", "Falla");
    env.ok(&["reject", &a, "--reason", "missing_docs"]);
    // ...and a reason code written by another site into the log.
    env.ok(&["reject", &b, "--reason", "config_request"]);
    let c = Connection::open(&env.db).expect("open");
    // (The log and the rejections read from it, as an import writes both.)
    c.execute_batch(
        "UPDATE op SET value = json_set(value, '$.reason', char(27) || '[2J-evil')
         WHERE kind = 'transition' AND json_extract(value, '$.reason') = 'config_request';
         UPDATE rejection SET reason = char(27) || '[2J-evil' WHERE reason = 'config_request';",
    )
    .expect("update");
    drop(c);
    for format in ["table", "md", "csv"] {
        let out = ok(&env, &["report", "--by", "service", "--format", format]);
        // CSV lines end in CRLF by RFC 4180; nothing else may be a control.
        let text = String::from_utf8_lossy(&out).replace("\r\n", "\n");
        assert_eq!(
            terminal_hazards(text.as_bytes()),
            Vec::<&str>::new(),
            "{format}: {}",
            String::from_utf8_lossy(&out)
        );
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.contains("docs"), "{format}");
        if format == "csv" {
            let rows = parse_csv(&text, ',');
            let osf = rows.iter().find(|r| r[0] == "osf").expect("osf row");
            assert!(osf[1].starts_with("'="), "{:?}", osf[1]);
            // The unknown code from the log is a column of its own, shown
            // as it was written, made harmless.
            assert!(
                rows[0].iter().any(|h| h.contains("␛[2J-evil")),
                "{:?}",
                rows[0]
            );
        }
    }
    // JSON keeps the text, escaped.
    let r = report(&env, &["--by", "service"]);
    let rej = r["totals"]["rejections"].as_array().expect("rejections");
    assert!(rej.iter().any(|x| x["code"] == "\u{1b}[2J-evil"));
}

#[test]
fn the_report_reads_index_ranges() {
    use guardia::store::{ReportGroup, ReportQuery, Store};
    let env = generated("500");
    report(&env, &[]);
    let store = Store::open(&env.db).expect("open");
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let base = ReportQuery {
        open_states: strings(&["new", "assigned", "in_progress", "waiting"]),
        other_states: strings(&["resolved", "closed", "cancelled", "rejected"]),
        from_ms: bogota_ms("2026-02-01"),
        to_ms: bogota_ms("2026-03-01"),
        now_ms: bogota_ms("2026-03-02"),
        top_problems: 10,
        ..Default::default()
    };
    let plans = store.reader().report_plan(&base).expect("plans");
    let plan = |plans: &[(&str, Vec<String>)], name: &str| -> String {
        plans
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no plan {name}"))
            .1
            .join(" / ")
    };
    assert!(plan(&plans, "opened").contains("COVERING INDEX ticket_created"));
    assert!(plan(&plans, "finished").contains("COVERING INDEX sla_outcome_done"));
    assert!(plan(&plans, "rejections").contains("COVERING INDEX rejection_at"));
    assert!(plan(&plans, "finished since").contains("COVERING INDEX sla_outcome_done"));
    // Tickets resolved then cancelled: those in a cancelled state, from an
    // index, each outcome by its row number.
    let p = plan(&plans, "recancelled");
    assert!(
        p.starts_with("SEARCH t USING COVERING INDEX ticket_status")
            && p.contains("SEARCH o USING INTEGER PRIMARY KEY (rowid=?)"),
        "{p}"
    );
    // Only tickets reopened since the range ended have their log read.
    let p = plan(&plans, "reopened since");
    assert!(
        p.contains("SEARCH o USING COVERING INDEX op_transition")
            && p.contains("SEARCH r USING PRIMARY KEY (site_no=? AND seq=?)"),
        "{p}"
    );
    // The top problems start from the problem links, not from every ticket.
    assert!(
        plan(&plans, "problems").starts_with(
            "SEARCH l USING COVERING INDEX link_kind (kind=?) / SEARCH t USING INDEX sqlite_autoindex_ticket_1 (id=?)"
        ),
        "{}",
        plan(&plans, "problems")
    );
    // Records left out against the records' own index, the queries still
    // reading index ranges only.
    let without = ReportQuery {
        exclude_records: true,
        ..base.clone()
    };
    let plans_without = store.reader().report_plan(&without).expect("plans");
    for (name, p) in &plans_without {
        let before = plan(&plans, name);
        if name == &"escalations"
            || name == &"reopened since"
            || name == &"problems"
            || name == &"recancelled"
        {
            continue;
        }
        let p = p.join(" / ");
        let range = before.split(" / ").next().expect("first step");
        assert!(p.starts_with(range), "{name}: {p}");
        assert!(
            p.contains("SEARCH r USING COVERING INDEX ticket_record"),
            "{name}: {p}"
        );
    }
    for g in [
        ReportGroup::Service,
        ReportGroup::Priority,
        ReportGroup::Level,
        ReportGroup::Assignee,
    ] {
        let q = ReportQuery {
            group: Some(g),
            types: Some(strings(&["incident"])),
            ..base.clone()
        };
        let plans = store.reader().report_plan(&q).expect("plans");
        // Each ticket's group and type from a covering index, once...
        let groups = plan(&plans, "ticket groups");
        assert!(
            groups.contains("COVERING INDEX") || groups == "SCAN t USING INDEX ticket_status_shape",
            "{g:?}: {groups}"
        );
        assert!(plan(&plans, "ticket types").contains("COVERING INDEX ticket_timer"));
        // ...then the rows in range name their ticket by row number, read
        // from an index too.
        assert_eq!(
            plan(&plans, "finished"),
            "SEARCH o USING COVERING INDEX sla_outcome_done (done_ms>? AND done_ms<?)"
        );
        for name in ["rejections", "finished since"] {
            let p = plan(&plans, name);
            assert!(!p.contains("SEARCH t"), "{name} reads tickets: {p}");
        }
        let p = plan(&plans, "escalations");
        assert!(
            p.contains("SEARCH t USING COVERING INDEX sqlite_autoindex_ticket_1 (id=?)"),
            "escalations: {p}"
        );
        for (name, p) in &plans {
            let p = p.join(" / ");
            assert!(
                !p.contains("SCAN t /") && !p.ends_with("SCAN t") && !p.contains("SCAN o"),
                "{name} scans a table: {p}"
            );
        }
    }
}

#[test]
fn the_dashboard_shows_the_reports_figures_for_today_and_30_days() {
    use guardia::app::{App, Clock};
    use guardia::config::Lang;
    use guardia::store::Store;
    let env = generated("1500");
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .with_timezone(&chrono::Utc);
    let app = || {
        App::new(
            Config::builtin().expect("config"),
            Store::open(&env.db).expect("open"),
            Clock::fixed(now),
            Lang::En,
        )
    };
    // Until a report has computed the outcomes `generate` skipped, the
    // dashboard has no indicators (it never runs that fill itself).
    assert_eq!(app().kpis().expect("kpis"), None);
    // In the time zone of this process, like the dashboard's days.
    let json = |args: &[&str]| -> Value {
        let out = env.cmd().args(args).output().expect("run");
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let month = json(&["report", "--json"]);
    let today = month["to_date"].as_str().expect("to_date").to_string();
    let day = json(&["report", "--json", "--from", &today, "--to", &today]);
    let k = app().kpis().expect("kpis").expect("outcomes complete");
    for (h, r) in [(&k.month, &month["totals"]), (&k.today, &day["totals"])] {
        let n = |k: &str| r[k].as_i64();
        assert_eq!(Some(h.opened), n("opened"));
        assert_eq!(Some(h.closed), n("closed"));
        assert_eq!(Some(h.backlog), n("backlog"));
        assert_eq!(Some(h.reopened), n("reopened"));
        assert_eq!(Some(h.counted), r["first_response"]["count"].as_i64());
        assert_eq!(
            h.response_median_min,
            r["first_response"]["median_min"].as_i64()
        );
        assert_eq!(
            h.resolution_median_min,
            r["resolution"]["median_min"].as_i64()
        );
        assert_eq!(h.resolution_p90_min, r["resolution"]["p90_min"].as_i64());
        let permille = |k: &str| r[k].as_f64().map(|p| (p * 10.0).round() as i64);
        assert_eq!(h.response_met_permille, permille("response_sla_met_pct"));
        assert_eq!(
            h.resolution_met_permille,
            permille("resolution_sla_met_pct")
        );
        let sum = |k: &str| -> i64 {
            r[k].as_array()
                .expect(k)
                .iter()
                .map(|e| e["count"].as_i64().expect("count"))
                .sum()
        };
        assert_eq!(h.escalations, sum("escalations"));
        assert_eq!(h.rejections, sum("rejections"));
    }
    assert!(k.month.opened > 50);
    assert_eq!(k.resolved_per_day.len(), 30);
    assert_eq!(
        k.resolved_per_day.iter().sum::<i64>(),
        month["totals"]["resolved"].as_i64().expect("resolved")
    );
    assert_eq!(
        k.resolved_per_day.last().copied(),
        day["totals"]["resolved"].as_i64()
    );
}

/// Times the dashboard's indicators over an existing database (a copy:
/// opening it migrates it; run `guardia report` on it once first).
/// `GUARDIA_KPI_DB=/tmp/report-bench/full-1000000.db cargo test --release
/// --test cli_report -- --ignored --nocapture`
#[test]
#[ignore]
fn time_the_dashboard_indicators() {
    use guardia::app::{App, Clock};
    use guardia::config::Lang;
    use guardia::store::Store;
    let Ok(db) = std::env::var("GUARDIA_KPI_DB") else {
        return;
    };
    let app = App::new(
        Config::builtin().expect("config"),
        Store::open(std::path::Path::new(&db)).expect("open"),
        Clock::system(),
        Lang::En,
    );
    let month = || app.kpis_month().expect("kpis").is_some();
    let today = || app.kpis_today().is_ok();
    let cases: [(&str, &dyn Fn() -> bool); 2] = [("30 days", &month), ("today", &today)];
    for (what, f) in cases {
        let mut ms = Vec::new();
        for _ in 0..21 {
            let t = std::time::Instant::now();
            assert!(f(), "run `guardia report` on the database first");
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{what}: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms (21 runs)",
            ms[10], ms[18], ms[20]
        );
    }
}

/// Problems and known errors are records, not the queue's work: a report
/// without --types leaves them out of its volumes, and a problem's cost adds
/// its resources to its logged work at `[costs] hourly_rate` (18.5).
#[test]
fn records_stay_out_of_the_volumes_and_problems_cost_their_resources() {
    let env = Env::new();
    let incident = env.incident("Factura sin cupón", "No sale el cupón");
    let before = report(&env, &[]);
    let problem = env.problem("Cupones", "Causa común");
    env.known_error("osf", "Cupón", "No sale", "Reimprimir");
    env.ok_as("julia", &["problem", "link", &problem, &incident]);
    env.ok(&["worklog", &incident, "1h"]);
    env.ok_as(
        "julia",
        &[
            "problem",
            "resource",
            "add",
            &problem,
            "--kind",
            "material",
            "--description",
            "Disco",
            "--cost",
            "100.25",
        ],
    );
    let r = report(&env, &[]);
    assert_eq!(r["totals"]["opened"], before["totals"]["opened"], "{r}");
    assert_eq!(r["totals"]["opened"], 1);
    let top = &r["top_problems"][0];
    assert_eq!(top["key"], problem.as_str());
    assert_eq!(top["worklog_minutes"], 60);
    assert_eq!(top["cost"].as_f64(), Some(118.75));
    // Asked for by type, records count like any ticket.
    let all = report(&env, &["--types", "incident,problem,known_error"]);
    assert_eq!(all["totals"]["opened"], 3);
}

/// Records are left out three ways: by row number against the records'
/// index (every query that has it), by the ticket map (grouped or
/// type-filtered reports), and for an unmapped report's transitions by
/// counting the records' own apart and taking them back. Here problems
/// follow the standard life cycle, so they can be rejected, escalated,
/// resolved and reopened; every path must agree with the recount, which
/// skips records, for the last 30 days and for a past month (whose backlog
/// is taken back through the records' moves since).
#[test]
fn records_are_left_out_the_same_way_on_every_path() {
    let env = generated("600");
    env.write_config(
        "types.toml",
        &replace_once(
            &default_config("types.toml"),
            "workflow = \"problema\"",
            "workflow = \"default\"",
        ),
    );
    // A reason for problems too (the built-in ones are each for a procedure).
    env.write_config(
        "rejections.toml",
        &replace_once(
            &default_config("rejections.toml"),
            "code = \"missing_docs\"\ntypes = [\"incident\"]",
            "code = \"missing_docs\"\ntypes = [\"incident\", \"problem\"]",
        ),
    );
    let problem = |title: &str| env.problem(title, "Causa común");
    let (rejected, reopened) = (problem("Rechazado"), problem("Reabierto"));
    env.ok(&["reject", &rejected, "--reason", "missing_docs"]);
    env.ok(&["escalate", &reopened, "--hierarchical", "--to", "head"]);
    env.ok(&["move", &reopened, "resolved", "--field", "solution=Parche"]);
    env.ok(&["move", &reopened, "in_progress"]);
    // Named in --types, the records do count: the rejection is there.
    let only = report(&env, &["--types", "problem"]);
    assert_eq!(only["totals"]["opened"], 2, "{only}");
    assert_eq!(only["totals"]["rejections"][0]["count"], 1, "{only}");
    assert_eq!(only["totals"]["escalations"][0]["count"], 1, "{only}");

    let log = read_log(&env);
    let queue = "api_incident,incident,service_request,support";
    for (from, to) in [("2026-02-01", "2026-03-02"), ("2025-11-01", "2025-11-30")] {
        let (lo, hi) = (bogota_ms(from), bogota_ms(to) + 86_400_000);
        let naive = naive_counts(&log, lo, hi, None);
        let range = ["--from", from, "--to", to];
        let plain = report(&env, &range);
        assert_eq!(reported_counts(&plain["totals"]), naive, "{from}..{to}");
        for extra in [&["--types", queue][..], &["--by", "service"][..]] {
            let r = report(&env, &[&range[..], extra].concat());
            assert_eq!(r["totals"], plain["totals"], "{from}..{to} {extra:?}");
        }
    }
}

/// A ticket resolved and then cancelled was not resolved for anybody: it
/// counts as cancelled (when it first left the queue, so past backlogs
/// stay exact), with no resolution time and no SLA met, in the report and
/// in the dashboard's resolved per day.
#[test]
fn a_resolved_then_cancelled_ticket_counts_as_cancelled() {
    let mut env = Env::new();
    let day = |env: &mut Env, t: &str| env.now = format!("2026-03-02T{t}:00-05:00");
    day(&mut env, "09:00");
    let quick = env.incident("Resuelto y cancelado", "Falla");
    let kept = env.incident("Resuelto", "Falla");
    day(&mut env, "09:10");
    for k in [&quick, &kept] {
        env.ok(&["move", k, "resolved", "--field", "solution=Reinicio"]);
    }
    day(&mut env, "11:00");
    env.ok_as("ines", &["move", &quick, "cancelled"]);
    day(&mut env, "12:00");
    let range = ["--from", "2026-03-02", "--to", "2026-03-02"];
    let r = report(&env, &range);
    let t = &r["totals"];
    assert_eq!(
        (
            t["closed"].as_i64(),
            t["resolved"].as_i64(),
            t["cancelled"].as_i64(),
            t["backlog"].as_i64()
        ),
        (Some(2), Some(1), Some(1), Some(0)),
        "{t}"
    );
    assert_eq!(t["resolution"]["count"], 1, "{t}");
    assert_eq!(t["resolution_sla_met_pct"], 100.0, "{t}");
    let cfg = Config::builtin().expect("config");
    let k = {
        let store = guardia::store::Store::open(&env.db).expect("open");
        let clock = guardia::app::Clock::fixed(
            chrono::DateTime::parse_from_rfc3339(&env.now)
                .expect("now")
                .with_timezone(&chrono::Utc),
        );
        let app = guardia::app::App::new(cfg, store, clock, guardia::config::Lang::En);
        app.kpis_month().expect("kpis").expect("complete")
    };
    assert_eq!(k.resolved_per_day.last().copied(), Some(1));
    // The recount agrees: the ticket finished when resolved, cancelled.
    let log = read_log(&env);
    let (lo, hi) = (bogota_ms("2026-03-02"), bogota_ms("2026-03-03"));
    assert_eq!(reported_counts(t), naive_counts(&log, lo, hi, None), "{t}");
}

/// A group that had nothing in the range is no row, in any format: a past
/// range's backlog takes back today's (+1 open now, −1 created since).
#[test]
fn groups_with_nothing_in_range_are_left_out() {
    let mut env = Env::new();
    env.now = "2026-02-10T09:00:00-05:00".into();
    let old = env.incident("Antiguo", "Falla");
    env.now = "2026-02-12T09:00:00-05:00".into();
    let new = env.incident("Nuevo", "Falla");
    env.ok(&["assign", &new, "bruno"]);
    env.ok(&["assign", &old, "carla"]);
    let range = [
        "--from",
        "2026-02-10",
        "--to",
        "2026-02-10",
        "--by",
        "operator",
    ];
    let r = report(&env, &range);
    let groups = r["groups"].as_array().expect("groups");
    let keys: Vec<&Value> = groups.iter().map(|g| &g["key"]).collect();
    // carla's ticket was open at the end of the range; bruno's came later.
    assert_eq!(keys, [&Value::from("carla")], "{r}");
    assert_eq!(r["totals"]["backlog"], 1);
    let mut args = vec!["report", "--format", "csv"];
    args.extend_from_slice(&range);
    let csv = String::from_utf8(ok(&env, &args)).expect("UTF-8");
    assert!(!csv.contains("bruno"), "{csv}");
}

/// The CSV's group column: empty for an unassigned group (null in JSON),
/// `TOTAL` on the total row, so the two read apart.
#[test]
fn csv_tells_the_unassigned_group_from_the_total() {
    let env = Env::new();
    env.incident("Sin asignar", "Falla");
    let mine = env.incident("Asignado", "Falla");
    env.ok(&["assign", &mine, "bruno"]);
    let json = report(&env, &["--by", "operator"]);
    let keys: Vec<&Value> = json["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| &g["key"])
        .collect();
    assert_eq!(keys, [&Value::from("bruno"), &Value::Null]);
    let text = String::from_utf8(ok(&env, &["report", "--format", "csv", "--by", "operator"]))
        .expect("UTF-8");
    let rows = parse_csv(&text, ',');
    let groups: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        groups,
        [
            ("bruno", "Bruno Castaño Mejía"),
            ("", "(unassigned)"),
            ("TOTAL", "TOTAL")
        ]
    );
}

/// Ticket text in Markdown is shown as text: no tag, link, emphasis or
/// entity reaches a mail or a wiki, and text columns align left.
#[test]
fn markdown_shows_ticket_text_as_text() {
    let env = Env::new();
    let problem = env.problem(
        "<img src=x onerror=alert(1)> [clic](http://evil.example) *x* _y_ `z` &amp;",
        "Causa",
    );
    let incident = env.incident("Falla", "Falla");
    env.ok(&["link", &incident, &problem, "--kind", "problem"]);
    let md = String::from_utf8(ok(&env, &["report", "--format", "md"])).expect("UTF-8");
    let row = md
        .lines()
        .find(|l| l.contains(problem.as_str()))
        .expect("problem row");
    assert!(
        row.ends_with(
            "| \\<img src=x onerror=alert(1)\\> \\[clic\\](http://evil.example) \\*x\\* \\_y\\_ \\`z\\` \\&amp; |"
        ),
        "{row}"
    );
    for raw in ["| <img", " [clic]", " *x*", " _y_", " `z`", " &amp;"] {
        assert!(!row.contains(raw), "{raw} kept raw: {row}");
    }
    // Problem, incidents, worklog, cost, status, title.
    let lines: Vec<&str> = md.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("| Problem |"))
        .expect("problems table");
    assert_eq!(lines[at + 1], "|---|---:|---:|---:|---|---|");
}

/// priority.toml or sla.toml with the priority `low` renamed `baja`.
fn renamed_low(text: &str) -> String {
    let text = text.replace("[[priority]]\nid = \"low\"", "[[priority]]\nid = \"baja\"");
    let text = text
        .replace(
            "medium = { high = \"high\", medium = \"medium\", low = \"low\" }",
            "medium = { high = \"high\", medium = \"medium\", low = \"baja\" }",
        )
        .replace(
            "low = { high = \"medium\", medium = \"low\", low = \"low\" }",
            "low = { high = \"medium\", medium = \"baja\", low = \"baja\" }",
        );
    text.replace("\nlow = { response", "\nbaja = { response")
}

/// Renamed in priority.toml, a priority still on tickets is reported under
/// its id, not `?`.
#[test]
fn a_priority_renamed_since_is_reported_by_its_id() {
    let env = Env::new();
    env.incident_with("Baja", "Falla", &["--impact", "low", "--urgency", "low"]);
    env.write_config(
        "priority.toml",
        &renamed_low(&default_config("priority.toml")),
    );
    env.write_config("sla.toml", &renamed_low(&default_config("sla.toml")));
    env.ok(&["config", "check"]);
    let r = report(&env, &["--by", "priority"]);
    let low = r["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"] == "low")
        .unwrap_or_else(|| panic!("no group 'low' in {r}"));
    assert_eq!(low["label"], "low", "{r}");
    let table = String::from_utf8(ok(&env, &["report", "--by", "priority"])).expect("UTF-8");
    assert!(!table.lines().any(|l| l.starts_with("? ")), "{table}");
}

#[test]
fn a_from_after_today_without_to_names_today() {
    let env = Env::new();
    let e = refused(&env, &["report", "--from", "2027-01-01"], 1);
    assert!(
        e.contains("--from 2027-01-01 is after today (2026-03-02)"),
        "{e}"
    );
    assert!(!e.contains("--to 2026-03-02"), "{e}");
}

/// The dates are the computer's local dates: the report names its zone and
/// offset, since a server reached over SSH may not be in the calendars'
/// zone (a UTC server's "today" starts at 19:00 in Bogotá).
#[test]
fn the_report_names_the_time_zone_of_its_dates() {
    let env = Env::new();
    let text = String::from_utf8_lossy(&ok(&env, &["report"])).into_owned();
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.contains("local dates in America/Bogota, UTC-05:00"),
        "{first}"
    );
    let json = report(&env, &[]);
    assert_eq!(json["time_zone"], "America/Bogota, UTC-05:00", "{json}");
}

/// A misspelt zone is counted in UTC by the C library: the title says so
/// instead of naming the zone as if it were honoured.
#[test]
fn a_misspelt_time_zone_is_said_to_be_unknown() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("TZ", "America/Bogta")
        .args(["report"])
        .output()
        .expect("run guardia");
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.contains("America/Bogta (an unknown zone: the C library uses UTC), UTC+00:00"),
        "{first}"
    );
}

/// A range across a daylight-saving change names both offsets: the dates
/// are right either way, the title must not say one offset for all.
#[test]
fn a_range_across_a_clock_change_names_both_offsets() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("TZ", "Europe/Paris")
        .args(["report", "--from", "2026-03-01", "--to", "2026-04-30"])
        .output()
        .expect("run guardia");
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.contains("local dates in Europe/Paris, UTC+01:00 to UTC+02:00"),
        "{first}"
    );
}
