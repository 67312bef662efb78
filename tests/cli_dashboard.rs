//! The console's dashboard, its SLA column and its queue on the command
//! line: `guardia dashboard` against the figures the console's database
//! thread reads (the store's dashboard with the console's query, the SLA
//! cache's counts) and against `guardia report` for the indicators;
//! `guardia sla` with several keys; and the resolution clock beside each
//! ticket of `list --json`, against `guardia sla KEY --json`.

mod common;

use common::*;
use guardia::config::{Config, StateCategory};
use guardia::domain::lifecycle::{open_states, states_in};
use guardia::store::{Dashboard, DashboardQuery, Store};
use serde_json::Value;
use std::collections::BTreeMap;

/// Dashboard days are local: every run here is in Bogotá (UTC-5, no DST).
const TZ: &str = "America/Bogota";

/// Local midnight of `NOW`'s day in Bogotá.
const TODAY: &str = "2026-03-02T00:00:00-05:00";

fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .timestamp_millis()
}

/// Runs in Bogotá with `COLUMNS`; asserts success; returns stdout.
fn run(env: &Env, columns: &str, args: &[&str]) -> String {
    let out = env
        .cmd()
        .env("TZ", TZ)
        .env("COLUMNS", columns)
        .args(args)
        .output()
        .expect("run guardia");
    assert!(
        out.status.success(),
        "`guardia {}` failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn json(env: &Env, args: &[&str]) -> Value {
    let out = run(env, "120", args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{out}"))
}

/// What the console's dashboard pane reads for `env` at `NOW`: the query
/// `tui/worker.rs` made before the figures moved into the application
/// layer, written out here so that a change to either side shows.
fn consoles(env: &Env, exclude_records: bool) -> Dashboard {
    let cfg = Config::builtin().expect("built-in configuration");
    let q = DashboardQuery {
        open_states: open_states(&cfg.workflows),
        closed_states: states_in(
            &cfg.workflows,
            &[StateCategory::Resolved, StateCategory::Closed],
        ),
        today_start_ms: ms(TODAY),
        days: 30,
        oldest: 8,
        exclude_records,
    };
    let store = Store::open(&env.db).expect("open");
    let mut d = store.reader().dashboard(&q).expect("dashboard");
    (d.sla_warned, d.sla_breached) = store.reader().sla_counts(ms(NOW)).expect("sla counts");
    d
}

/// `[{KEY_NAME: k, count: n}]` as a map.
fn counts(v: &Value, key_name: &str) -> BTreeMap<String, i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array: {v}"))
        .iter()
        .map(|e| {
            let k = match &e[key_name] {
                Value::String(s) => s.clone(),
                Value::Null => "(none)".into(),
                other => other.to_string(),
            };
            (k, e["count"].as_i64().expect("count"))
        })
        .collect()
}

/// A year of generated history, plus an open problem and an open known
/// error (records, which the dashboard leaves out).
fn generated() -> Env {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "300", "--seed", "5"]);
    env.problem("Cortes del enlace", "Varios incidentes");
    env.known_error("osf", "Caché de sesión", "No inicia sesión", "Borrar caché");
    env
}

#[test]
fn the_figures_are_the_consoles_and_the_indicators_the_reports() {
    let env = generated();
    let d = json(&env, &["dashboard", "--json"]);
    let c = consoles(&env, true);

    assert_eq!(d["open"]["total"], c.open_total, "{d:#}");
    let strs = |v: &[(String, i64)]| -> BTreeMap<String, i64> { v.iter().cloned().collect() };
    assert_eq!(
        counts(&d["open"]["by_priority"], "priority"),
        strs(&c.open_by_priority)
    );
    assert_eq!(
        counts(&d["open"]["by_status"], "status"),
        strs(&c.open_by_status)
    );
    let levels: BTreeMap<String, i64> = c
        .open_by_level
        .iter()
        .map(|(l, n)| (l.to_string(), *n))
        .collect();
    assert_eq!(counts(&d["open"]["by_level"], "level"), levels);
    let operators: BTreeMap<String, i64> = c
        .open_by_assignee
        .iter()
        .map(|(a, n)| (a.clone().unwrap_or_else(|| "(none)".into()), *n))
        .collect();
    assert_eq!(counts(&d["open"]["by_operator"], "operator"), operators);
    assert_eq!(
        (d["sla"]["warned"].as_i64(), d["sla"]["breached"].as_i64()),
        (Some(c.sla_warned), Some(c.sla_breached))
    );
    assert!(c.sla_breached > 0, "a generated year has breached clocks");

    let days = d["days"].as_array().expect("days");
    let new: Vec<i64> = days.iter().map(|x| x["new"].as_i64().unwrap()).collect();
    let done: Vec<i64> = days.iter().map(|x| x["done"].as_i64().unwrap()).collect();
    assert_eq!(new, c.new_per_day);
    assert_eq!(done, c.done_per_day);
    assert_eq!(days.first().unwrap()["date"], "2026-02-01");
    assert_eq!(days.last().unwrap()["date"], "2026-03-02");
    assert_eq!(d["today"], "2026-03-02");
    assert_eq!(d["time_zone"], "America/Bogota, UTC-05:00");

    let oldest: Vec<&str> = d["oldest_open"]
        .as_array()
        .expect("oldest")
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    let console_oldest: Vec<&str> = c.oldest_open.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(oldest, console_oldest);
    assert_eq!(oldest.len(), 8);

    // The indicators are `guardia report`'s totals for today and for the
    // 30 days that end today.
    let k = &d["indicators"];
    for (name, from) in [("today", "2026-03-02"), ("last_30_days", "2026-02-01")] {
        let r = json(
            &env,
            &["report", "--json", "--from", from, "--to", "2026-03-02"],
        );
        let t = &r["totals"];
        let h = &k[name];
        for f in ["opened", "closed", "backlog", "reopened"] {
            assert_eq!(h[f], t[f], "{name} {f}: {h:#} vs {t:#}");
        }
        assert_eq!(h["response_median_min"], t["first_response"]["median_min"]);
        assert_eq!(h["resolution_median_min"], t["resolution"]["median_min"]);
        let permille = |v: &Value| v.as_f64().map(|p| (p * 10.0).round() as i64);
        assert_eq!(
            h["resolution_met_permille"].as_i64(),
            permille(&t["resolution_sla_met_pct"]),
            "{name}"
        );
        let sum = |v: &Value| -> i64 {
            v.as_array()
                .map_or(0, |a| a.iter().map(|e| e["count"].as_i64().unwrap()).sum())
        };
        assert_eq!(h["escalations"].as_i64(), Some(sum(&t["escalations"])));
        assert_eq!(h["rejections"].as_i64(), Some(sum(&t["rejections"])));
    }
    assert_eq!(k["days"].as_array().map(Vec::len), Some(30));
}

#[test]
fn problems_and_known_errors_are_left_out() {
    let env = Env::new();
    env.incident("OSF no abre", "Error al iniciar");
    env.support("Buzón lleno", "No permite enviar");
    env.problem("Cortes del enlace", "Varios incidentes");
    env.known_error("osf", "Caché de sesión", "No inicia sesión", "Borrar caché");
    let d = json(&env, &["dashboard", "--json"]);
    assert_eq!(d["open"]["total"], 2, "{d:#}");
    // With the records the store would count four.
    assert_eq!(consoles(&env, false).open_total, 4);
    assert_eq!(consoles(&env, true).open_total, 2);
    let by_status = counts(&d["open"]["by_status"], "status");
    assert_eq!(by_status.values().sum::<i64>(), 2, "{by_status:?}");
    // The problem's and the known error's states are not counted.
    assert!(!by_status.contains_key("draft"), "{by_status:?}");
    let today = d["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["new"], 2, "{today}");
}

#[test]
fn the_days_option_sets_the_series_and_is_checked() {
    let env = Env::new();
    env.incident("OSF no abre", "Error al iniciar");
    let d = json(&env, &["dashboard", "--json", "--days", "3"]);
    let days = d["days"].as_array().expect("days");
    let dates: Vec<&str> = days.iter().map(|x| x["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-02-28", "2026-03-01", "2026-03-02"]);
    assert_eq!(days[2]["new"], 1);
    for key in [
        "now",
        "today",
        "time_zone",
        "open",
        "sla",
        "days",
        "oldest_open",
        "indicators",
    ] {
        assert!(d.get(key).is_some(), "no `{key}` in {d:#}");
    }
    assert_eq!(
        d["open"]["by_priority"][0]["rank"]
            .as_str()
            .map(|r| &r[..1]),
        Some("P")
    );
    assert_eq!(d["oldest_open"][0]["created_at"], "2026-03-02T14:30:00Z");
    for bad in ["0", "367"] {
        let out = env
            .cmd()
            .args(["dashboard", "--days", bad])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "--days {bad}");
    }
}

#[test]
fn the_text_is_spanish_under_lang_es_and_fits_80_columns() {
    let mut env = generated();
    env.lang = "es".into();
    let out = run(&env, "80", &["dashboard"]);
    for want in [
        "Tablero · ",
        "Abiertos por prioridad",
        "Abiertos por estado",
        "Abiertos por nivel",
        "Abiertos por operador",
        "sin asignar",
        "Abiertos más antiguos",
        "Indicadores (medianas en horario hábil",
        "en America/Bogota, UTC-05:00; hoy 2026-03-02",
        "FECHA",
        // Priorities by their Spanish labels, not their ids.
        "P4 Baja",
    ] {
        assert!(out.contains(want), "no `{want}` in:\n{out}");
    }
    for english in ["Open by", "unassigned", "Oldest open", "today"] {
        assert!(!out.contains(english), "`{english}` in:\n{out}");
    }
    for line in out.lines() {
        assert!(
            guardia::text::display_width(line) <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
    // The same counts as the JSON, said in the title.
    env.lang = "en".into();
    let d = json(&env, &["dashboard", "--json"]);
    let title = out.lines().next().unwrap();
    assert!(
        title.contains(&format!("{} abiertos", d["open"]["total"])),
        "{title}"
    );
    assert!(
        title.contains(&format!("{} incumplidos", d["sla"]["breached"])),
        "{title}"
    );
}

// ----- sla KEY... and list --json -----

fn at(env: &mut Env, now: &str) {
    env.now = now.to_string();
}

/// Support requests (policy solicitudes, calendar mesa-bogota: 09-14 and
/// 16-19 on weekdays; medium: resolution 40 h): one waiting on the
/// requester since Monday 11:00 (paused), one new since Monday 09:30
/// (running), one rejected (stopped).
fn queue() -> (Env, String, String, String) {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:30:00-05:00");
    let waiting = env.support("Buzón lleno", "No permite enviar");
    let running = env.support("Clave vencida", "No puede entrar");
    let stopped = env.support("Publicidad", "Correo masivo");
    env.ok_as("ines", &["reject", &stopped, "--reason", "incomplete"]);
    at(&mut env, "2026-03-02T10:00:00-05:00");
    env.ok_as("ines", &["assign", &waiting, "felipe"]);
    at(&mut env, "2026-03-02T10:30:00-05:00");
    env.ok_as("felipe", &["move", &waiting, "analysis"]);
    at(&mut env, "2026-03-02T11:00:00-05:00");
    env.ok_as("felipe", &["move", &waiting, "waiting"]);
    (env, waiting, running, stopped)
}

/// The `sla` object of each ticket of `list --json ARGS`, by key.
fn listed_clocks(env: &Env, args: &[&str]) -> BTreeMap<String, Value> {
    let mut a = vec!["list", "--json"];
    a.extend_from_slice(args);
    env.json(&a)
        .as_array()
        .expect("array")
        .iter()
        .map(|t| (key_of(t), t["sla"].clone()))
        .collect()
}

/// `list --json` says what `sla KEY --json` says of the resolution clock.
fn assert_same_clock(env: &Env, listed: &Value, key: &str) {
    let r = env.json(&["sla", key, "--json"])["resolution"].clone();
    assert_eq!(listed["clock"], "resolution", "{key}: {listed}");
    for f in ["state", "paused", "remaining"] {
        assert_eq!(listed[f], r[f], "{key} {f}: list {listed} vs sla {r:#}");
    }
    if listed["paused"] == false {
        assert_eq!(listed["due"], r["due"], "{key}: list {listed} vs sla {r:#}");
    } else {
        assert!(listed["due"].is_null(), "{key}: {listed}");
    }
}

#[test]
fn list_json_carries_each_tickets_clock_as_sla_tells_it() {
    let (mut env, waiting, running, stopped) = queue();
    // Hours later, with no write in between: the clocks are brought to now.
    for (now, running_state) in [
        ("2026-03-02T17:45:00-05:00", "running"),
        ("2026-03-06T18:00:00-05:00", "warned"),
        ("2026-03-10T12:00:00-05:00", "breached"),
    ] {
        at(&mut env, now);
        for args in [&[][..], &["--sort", "sla"][..]] {
            let clocks = listed_clocks(&env, args);
            let r = &clocks[&running];
            assert_eq!(r["state"], running_state, "{now}: {r}");
            assert_same_clock(&env, r, &running);
            let w = &clocks[&waiting];
            assert_eq!(
                (&w["state"], &w["paused"]),
                (&"paused".into(), &true.into())
            );
            assert_same_clock(&env, w, &waiting);
            if args.is_empty() {
                assert!(clocks[&stopped].is_null(), "{:?}", clocks[&stopped]);
            } else {
                assert!(!clocks.contains_key(&stopped));
            }
        }
    }
    // On Monday at 17:45 the running one has 7.5 h of 40 behind it.
    at(&mut env, "2026-03-02T17:45:00-05:00");
    let clocks = listed_clocks(&env, &[]);
    assert_eq!(clocks[&running]["remaining"], 40 * 60 - (4 * 60 + 30 + 105));
    assert_eq!(clocks[&waiting]["remaining"], 40 * 60 - 90);
}

#[test]
fn sla_takes_several_keys() {
    let (mut env, waiting, running, _) = queue();
    at(&mut env, "2026-03-03T10:00:00-05:00");
    let one = |k: &str| env.json(&["sla", k, "--json"]);
    let both = env.json(&["sla", &waiting, &running, "--json"]);
    assert_eq!(both, Value::Array(vec![one(&waiting), one(&running)]));
    // One key keeps its object.
    assert!(one(&waiting).is_object());

    let text = env.ok(&["sla", &waiting, &running]);
    let alone = |k: &str| env.ok(&["sla", k]);
    assert_eq!(text, format!("{}\n{}", alone(&waiting), alone(&running)));

    // All or nothing, and the refusal names the key that stopped it.
    let err = env.fail(&["sla", &waiting, "BOG-99"]);
    assert!(err.contains("BOG-99"), "{err}");
    let problem = env.problem("Cortes del enlace", "Varios incidentes");
    let err = env.fail(&["sla", &running, &problem, "--json"]);
    assert!(err.contains(&problem), "{err}");
}

/// In a pipe or a cron mail (no terminal, no `COLUMNS`) the text fits 80
/// columns, as a mail reader shows it; tables elsewhere default wider.
#[test]
fn without_a_terminal_or_columns_the_text_fits_80() {
    let env = generated();
    let out = env
        .cmd()
        .env("TZ", TZ)
        .env_remove("COLUMNS")
        .args(["dashboard"])
        .output()
        .expect("run guardia");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Open by priority"), "{text}");
    for line in text.lines() {
        assert!(
            guardia::text::display_width(line) <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
}
