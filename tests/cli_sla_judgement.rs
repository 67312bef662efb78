//! How an SLA clock is judged, the same everywhere: `guardia sla`, the
//! clock cache the queue and the dashboard count, and the frozen outcome
//! `report` reads. A clock is due at the instant its business time reaches
//! the target; stopped at or before it, met; stopped (or still running)
//! after it, breached, even when no business time passed in between (out
//! of hours). A finished ticket whose priority changes is judged again.
//! Also: a warned clock that waits says it is paused, and `tick` speaks
//! Spanish under `--lang es`.
//!
//! Built-in configuration: a wholesale API incident of impact high and
//! urgency medium is `high` (response 1h, resolution 8h) on calendar
//! mesa-bogota (09:00-14:00 and 16:00-19:00, Monday to Friday, Colombian
//! holidays: Monday 11 January 2027 is one).

mod common;

use common::Env;
use guardia::store::Store;
use serde_json::Value;

fn at(env: &mut Env, now: &str) {
    env.now = now.to_string();
}

/// Registers a wholesale API incident (priority high); returns its key.
fn api_incident(env: &Env) -> String {
    let r = env.json(&[
        "new",
        "--type",
        "api_incident",
        "--service",
        "api-mayorista",
        "--title",
        "La API no responde",
        "--description",
        "Timeouts en /cotizaciones",
        "--impact",
        "high",
        "--urgency",
        "medium",
        "--field",
        "company=ACME",
        "--field",
        "reporter_name=Pepe",
        "--field",
        "phones=5551234",
        "--field",
        "emails=p@example.org",
        "--field",
        "api_id=api1",
        "--json",
    ]);
    r["key"].as_str().expect("key").to_string()
}

fn resolve(env: &Env, key: &str) {
    env.ok(&[
        "move",
        key,
        "resolved",
        "--field",
        "solution=Se reinició el balanceador",
        "--field",
        "root_cause=Balanceador saturado",
    ]);
}

fn report(env: &Env, from: &str, to: &str) -> Value {
    env.json(&[
        "report", "--from", from, "--to", to, "--by", "priority", "--json",
    ])
}

/// The report's group of priority `key`.
fn group<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {r:#}"))
}

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("time")
        .timestamp_millis()
}

/// Opened Friday 8 January 2027 at 09:00 in Bogotá and assigned at 09:05:
/// its 8 business hours run out at 19:00 that Friday, the end of the day.
fn breached_at_the_end_of_friday() -> (Env, String) {
    let mut env = Env::new();
    at(&mut env, "2027-01-08T09:00:00-05:00");
    let key = api_incident(&env);
    at(&mut env, "2027-01-08T09:05:00-05:00");
    env.ok(&["assign", &key, "ana"]);
    at(&mut env, "2027-01-09T10:00:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "breached", "{r:#}");
    assert_eq!(r["resolution"]["due"], "2027-01-09T00:00:00Z");
    (env, key)
}

#[test]
fn a_clock_breached_at_the_end_of_the_day_stays_breached_when_resolved_out_of_hours() {
    let (mut env, key) = breached_at_the_end_of_friday();
    // Resolved on Tuesday before opening (Monday is a holiday): no business
    // time since Friday 19:00, so still exactly 8 h, but after the due
    // instant.
    at(&mut env, "2027-01-12T08:45:00-05:00");
    resolve(&env, &key);
    at(&mut env, "2027-01-12T08:50:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["elapsed"], 8 * 60);
    assert_eq!(r["resolution"]["state"], "breached", "{r:#}");
    assert_eq!(r["resolution"]["due"], "2027-01-09T00:00:00Z");
    let text = env.ok(&["sla", &key]);
    assert!(text.contains("BREACHED"), "{text}");
    // The frozen outcome the report reads says the same.
    let rep = report(&env, "2027-01-12", "2027-01-12");
    assert_eq!(rep["totals"]["resolution_sla_met_pct"], 0.0, "{rep:#}");
    assert_eq!(group(&rep, "high")["resolution_sla_met_pct"], 0.0);
}

#[test]
fn a_response_given_out_of_hours_after_its_due_instant_is_breached_and_at_it_met() {
    let mut env = Env::new();
    // Both opened on Friday at 18:00: the hour of response ends at 19:00.
    at(&mut env, "2027-01-08T18:00:00-05:00");
    let late = api_incident(&env);
    let on_time = api_incident(&env);
    // Answered at 19:00 sharp: met.
    at(&mut env, "2027-01-08T19:00:00-05:00");
    env.ok(&["assign", &on_time, "ana"]);
    // Answered on Saturday: no business time since 19:00, still late.
    at(&mut env, "2027-01-09T10:00:00-05:00");
    env.ok(&["assign", &late, "ana"]);
    let r = env.json(&["sla", &late, "--json"]);
    assert_eq!(r["response"]["elapsed"], 60);
    assert_eq!(r["response"]["state"], "breached", "{r:#}");
    let r = env.json(&["sla", &on_time, "--json"]);
    assert_eq!(r["response"]["state"], "met", "{r:#}");
    at(&mut env, "2027-01-12T10:00:00-05:00");
    resolve(&env, &late);
    resolve(&env, &on_time);
    let rep = report(&env, "2027-01-12", "2027-01-12");
    assert_eq!(rep["totals"]["response_sla_met_pct"], 50.0, "{rep:#}");
}

#[test]
fn at_its_due_instant_a_running_clock_is_warned_and_just_after_breached_everywhere() {
    let mut env = Env::new();
    // Monday 4 January 2027, 09:00: 8 business hours end at 19:00.
    at(&mut env, "2027-01-04T09:00:00-05:00");
    let key = api_incident(&env);
    env.ok(&["assign", &key, "ana"]);
    let db = env.db.clone();
    let counts = |now: &str| {
        let store = Store::open(&db).expect("open");
        store.reader().sla_counts(ms(now)).expect("counts")
    };
    let due = "2027-01-04T19:00:00-05:00";
    at(&mut env, due);
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "warned", "{r:#}");
    assert_eq!(r["resolution"]["remaining"], 0);
    // (warned, breached): it could still be resolved in time.
    assert_eq!(counts(due), (1, 0));
    let after = "2027-01-04T19:00:01-05:00";
    at(&mut env, after);
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "breached", "{r:#}");
    assert_eq!(counts(after), (0, 1));
}

#[test]
fn changing_a_finished_tickets_priority_judges_it_again_for_the_report() {
    let mut env = Env::new();
    at(&mut env, "2027-01-04T09:00:00-05:00");
    let key = api_incident(&env);
    at(&mut env, "2027-01-04T09:10:00-05:00");
    env.ok(&["assign", &key, "ana"]);
    // Resolved at 17:00: 6 business hours, within high's 8.
    at(&mut env, "2027-01-04T17:00:00-05:00");
    resolve(&env, &key);
    let rep = report(&env, "2027-01-04", "2027-01-04");
    assert_eq!(group(&rep, "high")["resolution_sla_met_pct"], 100.0);
    // Raised to critical (4 h) afterwards: `sla` judges it by critical's
    // targets, and so must the report that groups it under critical.
    at(&mut env, "2027-01-04T17:30:00-05:00");
    env.ok_as("ines", &["set", &key, "impact=high", "urgency=high"]);
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["priority"], "critical");
    assert_eq!(r["resolution"]["state"], "breached", "{r:#}");
    let rep = report(&env, "2027-01-04", "2027-01-04");
    let critical = group(&rep, "critical");
    assert_eq!(critical["resolved"], 1);
    assert_eq!(critical["resolution_sla_met_pct"], 0.0, "{rep:#}");
    assert_eq!(critical["response_sla_met_pct"], 100.0, "{rep:#}");
    // A later write that does not touch the priority leaves it so.
    at(&mut env, "2027-01-04T18:00:00-05:00");
    env.ok(&["comment", &key, "Confirmado por el cliente"]);
    let rep = report(&env, "2027-01-04", "2027-01-04");
    assert_eq!(group(&rep, "critical")["resolution_sla_met_pct"], 0.0);
}

#[test]
fn outcomes_judged_by_the_earlier_rule_are_judged_again_before_a_report() {
    let (mut env, key) = breached_at_the_end_of_friday();
    at(&mut env, "2027-01-12T08:45:00-05:00");
    resolve(&env, &key);
    // What the earlier rule stored for it (met: exactly 8 h of 8 h), in a
    // database that recorded no rule.
    {
        let c = rusqlite::Connection::open(&env.db).expect("open");
        let changed = c
            .execute("UPDATE sla_outcome SET resolution_met = 1", [])
            .expect("update");
        assert_eq!(changed, 1);
        c.execute("DELETE FROM meta WHERE key = 'sla_outcome_rule'", [])
            .expect("delete");
    }
    at(&mut env, "2027-01-12T09:00:00-05:00");
    let rep = report(&env, "2027-01-12", "2027-01-12");
    assert_eq!(rep["totals"]["resolution_sla_met_pct"], 0.0, "{rep:#}");
    let c = rusqlite::Connection::open(&env.db).expect("open");
    let met: i64 = c
        .query_row("SELECT resolution_met FROM sla_outcome", [], |r| r.get(0))
        .expect("row");
    assert_eq!(met, 0);
}

#[test]
fn a_warned_clock_that_waits_on_the_customer_says_it_is_paused() {
    let mut env = Env::new();
    at(&mut env, "2027-01-04T09:00:00-05:00");
    let key = api_incident(&env);
    env.ok(&["assign", &key, "ana"]);
    // 5 h in the morning and 1 h 30 m in the afternoon: 6 h 30 m of 8 h.
    at(&mut env, "2027-01-04T17:30:00-05:00");
    env.ok(&["move", &key, "waiting"]);
    at(&mut env, "2027-01-05T12:00:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "warned", "{r:#}");
    assert_eq!(r["resolution"]["paused"], true, "{r:#}");
    assert_eq!(r["resolution"]["elapsed"], 6 * 60 + 30);
    let text = env.ok(&["sla", &key]);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Resolution"))
        .expect("resolution line");
    assert!(line.contains("warned (paused)"), "{text}");
    assert!(
        !line.contains(" due "),
        "a paused clock has no due time: {text}"
    );
    env.lang = "es".into();
    let text = env.ok(&["sla", &key]);
    assert!(text.contains("en alerta (en pausa)"), "{text}");
    // A clock that runs is not paused.
    env.lang = "en".into();
    at(&mut env, "2027-01-05T12:10:00-05:00");
    env.ok(&["move", &key, "in_progress"]);
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["paused"], false, "{r:#}");
}

#[test]
fn tick_says_when_a_timer_was_due_in_spanish() {
    let mut env = Env::new();
    at(&mut env, "2027-01-04T09:00:00-05:00");
    let key = api_incident(&env);
    env.ok(&["assign", &key, "ana"]);
    at(&mut env, "2027-01-04T10:00:00-05:00");
    resolve(&env, &key);
    // Long after the automatic closing was due; `tick` is the first
    // command to notice.
    env.lang = "es".into();
    at(&mut env, "2027-01-20T10:00:00-05:00");
    let out = env.ok(&["tick"]);
    assert!(
        out.contains(&format!("{key}: resolved -> closed (vencía ")),
        "{out}"
    );
    assert!(!out.contains("due"), "{out}");
}
