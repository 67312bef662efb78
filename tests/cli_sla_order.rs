//! The queue's SLA order and the dashboard's warned and breached counts,
//! read from the cached resolution clocks: kept fresh by every change,
//! recomputed when the SLA configuration changes, paged by keyset.

mod common;

use common::{Env, default_config};
use guardia::store::Store;

fn at(env: &mut Env, now: &str) {
    env.now = now.to_string();
}

fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .timestamp_millis()
}

fn keys_by_sla(env: &Env, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["list", "--sort", "sla", "--json"];
    args.extend_from_slice(extra);
    common::keys(&env.json(&args))
}

/// (warned, breached) at `now`, as the dashboard counts them.
fn counts(env: &Env, now: &str) -> (i64, i64) {
    let store = Store::open(&env.db).expect("open");
    store.reader().sla_counts(ms(now)).expect("counts")
}

/// Incidents on calendar mesa-bogota (09-14 and 16-19, Monday to Friday),
/// registered Monday 2 March 2026 at 09:00 in Bogotá: A critical (4 h),
/// B medium (3 days = 24 business hours), C high (8 h), D medium then
/// waiting (paused), E resolved (stopped).
fn five_incidents() -> (Env, [String; 5]) {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:00:00-05:00");
    let hi = ["--impact", "high", "--urgency", "high"];
    let a = env.incident_with("A caída total", "x", &hi);
    let b = env.incident("B lentitud", "x");
    let c = env.incident_with("C error", "x", &["--impact", "high", "--urgency", "medium"]);
    let d = env.incident("D consulta", "x");
    let e = env.incident("E resuelto", "x");
    at(&mut env, "2026-03-02T10:00:00-05:00");
    env.ok(&["move", &d, "in_progress"]);
    env.ok(&["move", &d, "waiting"]);
    env.ok(&["move", &e, "resolved", "--field", "solution=Reinicio"]);
    (env, [a, b, c, d, e])
}

#[test]
fn the_clock_that_breaches_first_leads_and_paused_ones_come_last() {
    let (mut env, [a, b, c, d, _e]) = five_incidents();
    for (key, priority) in [(&a, "critical"), (&b, "medium"), (&c, "high")] {
        assert_eq!(env.show(key)["priority"], priority);
    }
    // Due: A Monday 13:00, C Monday 19:00, B Wednesday 19:00; D paused;
    // E has stopped and is not in the order.
    assert_eq!(
        keys_by_sla(&env, &[]),
        [a.as_str(), c.as_str(), b.as_str(), d.as_str()]
    );
    // Keyset pages.
    assert_eq!(
        keys_by_sla(&env, &["--limit", "2"]),
        [a.as_str(), c.as_str()]
    );
    assert_eq!(
        keys_by_sla(&env, &["--limit", "2", "--after", &c]),
        [b.as_str(), d.as_str()]
    );
    // Filters combine with the order.
    assert_eq!(
        keys_by_sla(&env, &["--priority", "medium"]),
        [b.as_str(), d.as_str()]
    );
    // Resuming D at 11:00 starts its clock again: 1 h spent, 23 h left,
    // due Thursday 10:00, after B; still running, no longer last by pause.
    at(&mut env, "2026-03-02T11:00:00-05:00");
    env.ok(&["move", &d, "in_progress"]);
    assert_eq!(
        keys_by_sla(&env, &[]),
        [a.as_str(), c.as_str(), b.as_str(), d.as_str()]
    );
    let r = env.json(&["sla", &d, "--json"]);
    assert_eq!(r["resolution"]["due"], "2026-03-05T15:00:00Z", "{r:#}");
    // Resolving A stops its clock.
    env.ok(&["move", &a, "resolved", "--field", "solution=Failover"]);
    assert_eq!(keys_by_sla(&env, &[]), [c.as_str(), b.as_str(), d.as_str()]);
}

#[test]
fn paging_after_a_ticket_outside_the_order_is_explained() {
    let (env, [.., e]) = five_incidents();
    let err = env.fail(&["list", "--sort", "sla", "--after", &e]);
    assert!(err.contains("no running or paused SLA clock"), "{err}");
}

#[test]
fn warned_and_breached_are_counted_as_time_passes() {
    let (env, _) = five_incidents();
    // 11:00: A has spent 2 of its 4 hours.
    assert_eq!(counts(&env, "2026-03-02T11:00:00-05:00"), (0, 0));
    // 12:30: A passed 75 %.
    assert_eq!(counts(&env, "2026-03-02T12:30:00-05:00"), (1, 0));
    // 17:00: A breached at 13:00; C reached 75 % of 8 h (6 h) at 17:00.
    assert_eq!(counts(&env, "2026-03-02T17:00:00-05:00"), (1, 1));
    // Wednesday 19:30: A, C and B breached; D paused early, not warned.
    assert_eq!(counts(&env, "2026-03-04T19:30:00-05:00"), (0, 3));
}

#[test]
fn a_changed_policy_recomputes_every_clock() {
    let (mut env, [a, ..]) = five_incidents();
    assert_eq!(counts(&env, "2026-03-02T11:30:00-05:00"), (0, 0));
    // Critical incidents now get 2 hours: A is due at 11:00.
    let sla = default_config("sla.toml").replacen(
        "critical = { response = \"30m\", resolution = \"4h\" }",
        "critical = { response = \"30m\", resolution = \"2h\" }",
        1,
    );
    env.write_config("sla.toml", &sla);
    at(&mut env, "2026-03-02T11:30:00-05:00");
    env.ok(&["list"]);
    assert_eq!(counts(&env, "2026-03-02T11:30:00-05:00"), (0, 1));
    let r = env.json(&["sla", &a, "--json"]);
    assert_eq!(r["resolution"]["state"], "breached", "{r:#}");
}

#[test]
fn a_generated_database_gets_its_clocks_on_the_next_command() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "300", "--seed", "3"]);
    let open = common::keys(&env.json(&["list", "--open", "--limit", "1000", "--json"]));
    let mut ordered = keys_by_sla(&env, &["--limit", "1000"]);
    // Every open ticket (new, active or waiting) has a running or paused
    // clock; resolved and closed ones have stopped.
    assert!(!ordered.is_empty());
    let mut open = open;
    open.sort();
    ordered.sort();
    assert_eq!(ordered, open);
}
