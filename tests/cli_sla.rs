//! `guardia sla`: the SLA ledger computed from the operation log on the
//! policy's business calendar, moved through time with GUARDIA_NOW.

mod common;

use common::Env;
use serde_json::Value;

fn at(env: &mut Env, now: &str) {
    env.now = now.to_string();
}

/// A support request (seed 001 workflow; policy "solicitudes", calendar
/// mesa-bogota: 09-14 and 16-19 Monday to Friday, medium priority:
/// response 1d = 8 h, resolution 5d = 40 h) that waits on the requester for
/// an afternoon: the head assigns it, the analyst analyses and asks.
fn scenario() -> (Env, String) {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:30:00-05:00");
    let key = env.support("Buzón lleno", "No permite enviar");
    at(&mut env, "2026-03-02T10:00:00-05:00");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    at(&mut env, "2026-03-02T10:30:00-05:00");
    env.ok_as("felipe", &["move", &key, "analysis"]);
    at(&mut env, "2026-03-02T11:00:00-05:00");
    env.ok_as("felipe", &["move", &key, "waiting"]);
    at(&mut env, "2026-03-02T16:30:00-05:00");
    env.ok_as("felipe", &["move", &key, "analysis"]);
    (env, key)
}

fn minutes(v: &Value) -> i64 {
    v.as_i64().expect("minutes")
}

#[test]
fn waiting_pauses_the_clock_and_the_ledger_says_why() {
    let (mut env, key) = scenario();
    at(&mut env, "2026-03-03T10:00:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["policy"], "solicitudes");
    assert_eq!(r["calendar"], "mesa-bogota");
    // Response: the assignment at 10:00 answered after 30 business minutes.
    assert_eq!(r["response"]["state"], "met");
    assert_eq!(minutes(&r["response"]["elapsed"]), 30);
    // Resolution: 30 m new + 30 m assigned + 30 m analysis + (16:30-19:00
    // and 09:00-10:00) analysis; the waiting afternoon and the night do not
    // count.
    assert_eq!(minutes(&r["resolution"]["elapsed"]), 5 * 60);
    assert_eq!(r["resolution"]["state"], "running");
    let intervals = r["intervals"].as_array().expect("intervals");
    let statuses: Vec<&str> = intervals
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["new", "assigned", "analysis", "waiting", "analysis"]
    );
    assert_eq!(intervals[3]["running"], false);
    assert_eq!(minutes(&intervals[3]["counted"]), 0);
    // Remaining 35 h from Tuesday 10:00 end on Monday 9 March at 13:00 (Bogotá).
    assert_eq!(r["resolution"]["due"], "2026-03-09T18:00:00Z");
}

#[test]
fn the_clock_warns_then_breaches_and_a_resolution_stops_it() {
    let (mut env, key) = scenario();
    // 75 % of 40 h = 30 h: reached during Friday 6 March.
    at(&mut env, "2026-03-06T18:00:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "warned", "{r:#}");
    at(&mut env, "2026-03-10T12:00:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "breached", "{r:#}");
    assert_eq!(r["resolution"]["due"], "2026-03-09T18:00:00Z");
    // Finished late (step 4 then 12): the clock stops, still breached.
    env.ok_as(
        "felipe",
        &["move", &key, "in_progress", "--field", "estimate_hours=1"],
    );
    env.ok_as(
        "felipe",
        &[
            "move",
            &key,
            "closed",
            "--field",
            "solution=Se liberó espacio",
        ],
    );
    at(&mut env, "2026-03-20T12:00:00-05:00");
    let r = env.json(&["sla", &key, "--json"]);
    assert_eq!(r["resolution"]["state"], "breached");
    assert!(r["resolution"]["stopped_at"].is_string(), "{r:#}");
}

#[test]
fn the_ledger_reads_as_text_in_the_calendars_time_zone() {
    let (mut env, key) = scenario();
    at(&mut env, "2026-03-03T10:00:00-05:00");
    let out = env.ok(&["sla", &key]);
    assert!(out.contains("policy solicitudes"), "{out}");
    assert!(
        out.contains("2026-03-02 11:00 -05 → 2026-03-02 16:30 -05  waiting"),
        "{out}"
    );
    assert!(out.contains("paused"), "{out}");
    assert!(out.contains("due 2026-03-09 13:00 -05"), "{out}");
}

#[test]
fn an_unknown_ticket_is_an_error() {
    let env = Env::new();
    let err = env.fail(&["sla", "BOG-99"]);
    assert!(err.contains("BOG-99"), "{err}");
}

/// A problem record has no SLA clock by design; `sla` says so instead of
/// advising to add its type to a policy.
#[test]
fn a_record_has_no_sla_clock_and_is_told_so() {
    let env = Env::new();
    let problem = env.problem("Cortes del enlace", "Varios incidentes");
    let err = env.fail(&["sla", &problem]);
    assert!(err.contains("records have no SLA clock"), "{err}");
    assert!(!err.contains("add it to a policy"), "{err}");
}

/// Resolved one day, closed with the customer's conformity the next: the
/// resolution clock stopped at the resolution, before and after the close
/// (the report counts it there too).
#[test]
fn closing_after_the_resolution_does_not_move_when_the_clock_stopped() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:30:00-05:00");
    let key = env.incident("Impresora", "No imprime");
    env.ok(&["assign", &key, "bruno"]);
    env.ok_as("bruno", &["move", &key, "in_progress"]);
    at(&mut env, "2026-03-02T12:00:00-05:00");
    env.ok_as(
        "bruno",
        &[
            "move",
            &key,
            "resolved",
            "--field",
            "solution=Se cambió el tóner",
        ],
    );
    let before = env.json(&["sla", &key, "--json"]);
    assert_eq!(
        before["resolution"]["stopped_at"], "2026-03-02T17:00:00Z",
        "{before:#}"
    );
    at(&mut env, "2026-03-03T09:30:00-05:00");
    env.ok_as(
        "bruno",
        &["move", &key, "closed", "--field", "customer_conformity=sí"],
    );
    let after = env.json(&["sla", &key, "--json"]);
    assert_eq!(
        after["resolution"]["stopped_at"], "2026-03-02T17:00:00Z",
        "{after:#}"
    );
    assert_eq!(
        after["resolution"]["elapsed"],
        before["resolution"]["elapsed"]
    );
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

/// A priority renamed in priority.toml (and sla.toml) since a ticket got
/// it: `sla` says the ticket's priority is no longer in the file and how to
/// give it one, which then brings its clock back.
#[test]
fn a_ticket_whose_priority_was_renamed_is_told_how_to_get_a_clock_back() {
    let env = Env::new();
    let key = env.incident_with("Baja", "Falla", &["--impact", "low", "--urgency", "low"]);
    assert_eq!(env.show(&key)["priority"], "low");
    for file in ["priority.toml", "sla.toml"] {
        env.write_config(file, &renamed_low(&common::default_config(file)));
    }
    env.ok(&["config", "check"]);
    let err = env.fail(&["sla", &key]);
    assert!(
        err.contains(&format!(
            "{key} has priority 'low', which priority.toml does not list (renamed or removed?), so SLA policy 'incidentes' has no targets for it; give it a priority the file knows with `guardia set {key} priority=auto`"
        )),
        "{err}"
    );
    assert!(
        err.contains("priorities are critical, high, medium, baja"),
        "{err}"
    );
    assert!(
        err.contains("or put the id 'low' back in priority.toml"),
        "{err}"
    );
    env.ok(&["set", &key, "priority=auto"]);
    let ledger = env.json(&["sla", &key, "--json"]);
    assert_eq!(ledger["priority"], "baja", "{ledger}");
}
