//! `generate`: realistic demo data, the same for the same seed and clock.

mod common;

use common::*;
use serde_json::Value;

fn without_site(mut v: Value) -> Value {
    match &mut v {
        Value::Object(m) => {
            m.remove("site");
            for x in m.values_mut() {
                *x = without_site(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = without_site(x.take());
            }
        }
        _ => {}
    }
    v
}

fn generated(seed: &str) -> (Env, String) {
    let env = Env::new();
    let out = env.ok(&["generate", "--tickets", "300", "--seed", seed]);
    assert!(out.starts_with("generated 300 tickets ("), "{out}");
    let list = env.ok(&["list", "--json", "--limit", "1000"]);
    (env, list)
}

#[test]
fn same_seed_and_clock_give_identical_databases() {
    let (a, list_a) = generated("7");
    let (b, list_b) = generated("7");
    // Byte for byte: keys, titles, states, people, times, even ids.
    assert!(list_a == list_b, "the same seed gave different lists");
    let v: Value = serde_json::from_str(&list_a).expect("JSON");
    assert_eq!(v.as_array().expect("array").len(), 300);
    for key in ["BOG-1", "BOG-150", "BOG-300"] {
        assert_eq!(
            a.ok(&["show", key, "--json"]),
            b.ok(&["show", key, "--json"]),
            "{key} differs"
        );
        // The log is the same apart from the site id, which `init` draws at random.
        assert_eq!(
            without_site(a.json(&["log", key, "--json"])),
            without_site(b.json(&["log", key, "--json"])),
            "log of {key} differs"
        );
    }
    assert_eq!(
        a.ok(&["search", "factura", "--json"]),
        b.ok(&["search", "factura", "--json"])
    );
}

#[test]
fn another_seed_gives_other_tickets() {
    let (_, list_a) = generated("7");
    let (_, list_b) = generated("8");
    let titles = |l: &str| -> Vec<String> {
        serde_json::from_str::<Value>(l)
            .expect("JSON")
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["title"].as_str().expect("title").to_string())
            .collect()
    };
    assert_ne!(titles(&list_a), titles(&list_b));
}

#[test]
fn generated_data_is_lively_and_consistent() {
    let (env, list) = generated("7");
    let all: Vec<Value> = serde_json::from_str::<Value>(&list)
        .expect("JSON")
        .as_array()
        .expect("array")
        .clone();
    let distinct = |k: &str| {
        let mut v: Vec<String> = all.iter().map(|t| t[k].to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    assert!(
        distinct("status").len() >= 5,
        "states: {:?}",
        distinct("status")
    );
    assert!(
        distinct("service").len() >= 3,
        "services: {:?}",
        distinct("service")
    );
    assert!(
        distinct("priority").len() >= 3,
        "priorities: {:?}",
        distinct("priority")
    );
    assert!(
        distinct("level").len() >= 2,
        "levels: {:?}",
        distinct("level")
    );
    // Histories walk the standard lifecycle: the types whose workflows have
    // its states (seed 001's twelve steps and seed 003's states get none).
    assert_eq!(distinct("type").len(), 2, "types: {:?}", distinct("type"));
    // Spanish text, history with comments and worklog.
    assert!(
        list.contains("ó") || list.contains("í"),
        "Spanish accents expected"
    );
    let mut with_comments = 0;
    let mut with_worklog = 0;
    for key in [
        "BOG-1", "BOG-2", "BOG-3", "BOG-4", "BOG-5", "BOG-6", "BOG-7", "BOG-8",
    ] {
        let t = env.show(key);
        with_comments += usize::from(!t["comments"].as_array().expect("c").is_empty());
        with_worklog += usize::from(t["worklog_minutes"].as_i64().expect("m") > 0);
        // Resolved and closed tickets carry their solution (the workflow requires it).
        if t["status"] == "resolved" || t["status"] == "closed" {
            assert!(
                t["fields"]["solution"].is_string(),
                "{key} closed without solution: {t}"
            );
        }
    }
    assert!(
        with_comments > 0 && with_worklog > 0,
        "old tickets have history"
    );
    // Rejected duplicates name their original.
    for t in all.iter().filter(|t| t["reject_reason"] == "duplicate") {
        assert!(t["duplicate_of"].is_string(), "{t}");
    }
    // Everything generated replays from the log.
    let out = env.ok(&["doctor"]);
    assert!(out.contains("the tables match the operation log"), "{out}");
}

/// Demo text reads like a help desk: "desde las {n}:00" is filled with a
/// number from 10 to 999 (`fill` in app/generate.rs), giving hours like
/// "desde las 411:00".
#[test]
fn generated_times_of_day_are_real_hours() {
    let (_, list) = generated("7");
    let all: Value = serde_json::from_str(&list).expect("JSON");
    for t in all.as_array().expect("array") {
        let d = t["description"].as_str().expect("description");
        let mut rest = d;
        while let Some(i) = rest.find("desde las ") {
            rest = &rest[i + "desde las ".len()..];
            let hour: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if rest[hour.len()..].starts_with(":00") {
                let h: u32 = hour.parse().expect("hour");
                assert!(
                    h <= 23,
                    "{}: impossible time 'desde las {hour}:00' in {d:?}",
                    t["key"]
                );
            }
        }
    }
}

#[test]
fn generated_fields_belong_to_their_ticket_type() {
    // Every field a generated ticket carries must be one its type defines,
    // or an operator could not have set it (and `set` would refuse it).
    let (env, _) = generated("11");
    let cfg = guardia::config::Config::builtin().expect("config");
    let list = env.json(&["list", "--json", "--limit", "1000"]);
    let tickets = list.as_array().expect("array");
    assert!(tickets.len() >= 300, "{}", tickets.len());
    for t in tickets {
        let ttype = cfg
            .ticket_type(t["type"].as_str().expect("type"))
            .expect("known type");
        let allowed: Vec<&str> = ttype
            .mandatory
            .iter()
            .chain(&ttype.optional)
            .map(|f| f.get_ref().as_str())
            .collect();
        for name in t["fields"].as_object().expect("fields").keys() {
            assert!(
                allowed.contains(&name.as_str()),
                "{} ({}) carries '{name}', not a field of its type",
                t["key"],
                t["type"]
            );
        }
    }
}

/// Into a database that already has a change made now, the generated
/// tickets still get their whole history (assigned, worked on, resolved,
/// closed, with comments), squeezed after the newest change, as docs/cli.md
/// says; and the log still replays.
#[test]
fn generated_history_is_squeezed_after_existing_changes_not_dropped() {
    let env = Env::new();
    let own = env.incident("Portal lento", "Las consultas tardan un minuto.");
    env.ok(&["generate", "--tickets", "100", "--seed", "7"]);
    let all = env.json(&["list", "--json", "--limit", "1000"]);
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 101);
    let mut states: Vec<&str> = all.iter().filter_map(|t| t["status"].as_str()).collect();
    states.sort_unstable();
    states.dedup();
    assert!(
        states.contains(&"closed") && states.len() >= 4,
        "states: {states:?}"
    );
    let with_comments = all
        .iter()
        .filter_map(|t| t["key"].as_str())
        .filter(|k| *k != own)
        .filter(|k| !env.show(k)["comments"].as_array().expect("c").is_empty())
        .count();
    assert!(with_comments > 10, "{with_comments} tickets with comments");
    // Nothing is dated before the ticket that was there first.
    let at = |t: &Value| {
        chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().expect("at")).expect("date")
    };
    let first = at(&env.show(&own));
    for t in all {
        assert!(at(t) >= first, "{t} before {first}");
    }
    let out = env.ok(&["doctor"]);
    assert!(out.contains("the tables match the operation log"), "{out}");
}

/// Another process writing between two of generate's transactions (a
/// `new` here; a `tick` closing a generated ticket in real life) would
/// contradict the histories still to come and squeeze them to "now", so
/// generation stops there, with a message, and what it wrote is whole:
/// `doctor` finds nothing.
#[test]
fn generate_stops_when_another_process_writes_between_its_batches() {
    use guardia::app::generate::{History, generate_in_batches};
    use guardia::app::{App, Clock};
    use guardia::config::{Config, Lang};
    use guardia::store::Store;
    let env = Env::new();
    let config = Config::load(Some(&env.cfg)).expect("config");
    let now = chrono::DateTime::parse_from_rfc3339(&env.now)
        .expect("now")
        .with_timezone(&chrono::Utc);
    let mut app = App::new(
        config,
        Store::open(&env.db).expect("open"),
        Clock::fixed(now),
        Lang::En,
    );
    let mut batches = 0;
    let err = generate_in_batches(&mut app, 200, 7, History::Full, 50, |_| {
        batches += 1;
        if batches == 1 {
            // A real second process, between the first and second batch.
            env.incident("Escrito por otro", "Mientras generate corre");
        }
    })
    .expect_err("another process wrote");
    drop(app);
    assert!(
        err.to_string().contains("another process wrote to")
            && err
                .to_string()
                .contains("generate stopped after 50 tickets"),
        "{err}"
    );
    assert_eq!(batches, 1, "no batch after the other write");
    let r = env.json(&["doctor", "--json"]);
    assert_eq!(r["differences"], serde_json::json!([]), "{r}");
    assert_eq!(r["tickets"], 51, "{r}");
}
