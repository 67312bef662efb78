//! Business calendars in the configuration: the shipped ones load with
//! their countries' holidays, and every kind of mistake is refused with
//! file, line and reason.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{Env, default_config, line_of, replace_once};
use guardia::config::Config;

fn at(tz: chrono_tz::Tz, y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, d, h, 0, 0)
        .earliest()
        .expect("local time")
        .with_timezone(&Utc)
}

#[test]
fn the_shipped_calendars_count_business_time_with_their_holidays() {
    let cfg = Config::builtin().expect("built-in configuration");
    assert_eq!(cfg.calendars.len(), 5);
    let bogota = cfg.calendar("mesa-bogota").expect("mesa-bogota");
    let tz = chrono_tz::America::Bogota;
    let day = |y, m, d| bogota.business_time(at(tz, y, m, d, 0), at(tz, y, m, d, 23));
    // A normal Monday: 09-14 and 16-19.
    assert_eq!(day(2026, 3, 2), Duration::hours(8));
    // Colombian holidays (20 July, the Monday after Corpus Christi) and an
    // extra holiday of the file (24 December).
    assert_eq!(day(2026, 7, 20), Duration::zero());
    assert_eq!(day(2026, 6, 8), Duration::zero());
    assert_eq!(day(2026, 12, 24), Duration::zero());
    // Saturday is not worked.
    assert_eq!(day(2026, 3, 7), Duration::zero());
    let madrid = cfg.calendar("soporte-madrid").expect("madrid");
    let tz = chrono_tz::Europe::Madrid;
    // 12 October is a national holiday in Spain.
    assert_eq!(
        madrid.business_time(at(tz, 2026, 10, 12, 0), at(tz, 2026, 10, 13, 0)),
        Duration::zero()
    );
    assert_eq!(
        madrid.business_time(at(tz, 2026, 10, 13, 0), at(tz, 2026, 10, 14, 0)),
        Duration::hours(7)
    );
}

/// configuration.md promises `mesa-bogota` the Colombian holidays plus 24
/// and 31 December: every year the shipped Colombian holidays cover.
#[test]
fn mesa_bogota_rests_on_24_and_31_december_every_year_shipped() {
    let cfg = Config::builtin().expect("built-in configuration");
    let bogota = cfg.calendar("mesa-bogota").expect("mesa-bogota");
    let tz = chrono_tz::America::Bogota;
    let day = |y, m, d| bogota.business_time(at(tz, y, m, d, 0), at(tz, y, m, d, 23));
    // Friday 24 and 31 December 2027; Thursday the 23rd is worked.
    assert_eq!(day(2027, 12, 24), Duration::zero());
    assert_eq!(day(2027, 12, 31), Duration::zero());
    assert_eq!(day(2027, 12, 23), Duration::hours(8));
    let data: toml::Value = toml::from_str(guardia::config::HOLIDAYS).expect("parses");
    let co_years: std::collections::BTreeSet<String> = data["holiday"]
        .as_array()
        .expect("holidays")
        .iter()
        .filter(|h| h["country"].as_str() == Some("CO"))
        .map(|h| h["date"].to_string()[..4].to_string())
        .collect();
    let text = default_config("calendars.toml");
    for y in &co_years {
        for d in ["12-24", "12-31"] {
            assert!(text.contains(&format!("{y}-{d}")), "{y}-{d} missing");
        }
    }
}

/// Past the last year of its holidays a calendar goes on without any: a
/// warning (not an error) names it, for the year of the clock passed in.
#[test]
fn calendars_whose_holidays_stop_before_the_year_are_warned_about() {
    let cfg = Config::builtin().expect("built-in configuration");
    assert_eq!(cfg.holiday_warnings(2026), Vec::<String>::new());
    assert_eq!(cfg.holiday_warnings(2027), Vec::<String>::new());
    let w = cfg.holiday_warnings(2028);
    // Every calendar with holidays, not the round-the-clock one.
    assert_eq!(w.len(), 4, "{w:#?}");
    assert!(!w.iter().any(|m| m.contains("'7x24'")), "{w:#?}");
    let text = default_config("calendars.toml");
    let bogota = w
        .iter()
        .find(|m| m.contains("'mesa-bogota'"))
        .expect("mesa-bogota warned about");
    assert_eq!(
        bogota,
        &format!(
            "(built-in) calendars.toml:{}:6: warning: calendar 'mesa-bogota' has no holidays in 2028 (guardia ships the CO holidays of 2026–2027 only, and its extra_holidays are of 2026–2027), so its SLA clocks and timers count 2028's holidays as working days; list them in its extra_holidays (e.g. extra_holidays = [2028-12-25])",
            line_of(&text, "id = \"mesa-bogota\"")
        )
    );
    // A calendar of one's own dates only, up to this year: no warning yet.
    let own = replace_once(&text, "holidays_of = \"CO\"\n", "");
    let env = Env::new();
    env.write_config("calendars.toml", &own);
    let cfg = Config::load(Some(&env.cfg)).expect("loads");
    assert!(cfg.holiday_warnings(2027).is_empty());
    let w = cfg.holiday_warnings(2028);
    assert!(
        w.iter().any(|m| m.contains(
            "'mesa-bogota' has no holidays in 2028 (its extra_holidays are of 2026–2027)"
        )),
        "{w:#?}"
    );
}

fn refused(text: &str, needle: &str, message: &str) {
    let env = Env::new();
    env.write_config("calendars.toml", text);
    let err = env.fail_raw(&["config", "check"]);
    let line = line_of(text, needle);
    assert!(
        err.contains(&format!("calendars.toml:{line}:")),
        "expected line {line}: {err}"
    );
    assert!(err.contains(message), "expected '{message}': {err}");
}

#[test]
fn overlapping_ranges_are_refused_with_their_line() {
    let text = replace_once(
        &default_config("calendars.toml"),
        "mon = [\"09:00-14:00\", \"16:00-19:00\"]",
        "mon = [\"09:00-14:00\", \"13:00-19:00\"]",
    );
    refused(&text, "\"13:00-19:00\"", "overlap");
}

#[test]
fn an_unknown_time_zone_is_refused() {
    let text = replace_once(
        &default_config("calendars.toml"),
        "time_zone = \"Europe/Madrid\"",
        "time_zone = \"Europe/Bogota\"",
    );
    refused(&text, "Europe/Bogota", "is not a time zone");
}

#[test]
fn a_country_without_shipped_holidays_is_refused() {
    let text = replace_once(
        &default_config("calendars.toml"),
        "holidays_of = \"MX\"",
        "holidays_of = \"AR\"",
    );
    refused(&text, "\"AR\"", "ships no holidays for 'AR'");
}

#[test]
fn a_country_in_lower_case_is_told_the_code() {
    let text = replace_once(
        &default_config("calendars.toml"),
        "holidays_of = \"MX\"",
        "holidays_of = \"mx\"",
    );
    refused(
        &text,
        "\"mx\"",
        "guardia ships no holidays for 'mx'; write the country code as 'MX'",
    );
}

/// A calendar that is defined but broken gets its own error only, not
/// "unknown calendar" wherever sla.toml or workflows.toml name it.
#[test]
fn a_broken_calendar_reports_only_its_own_problem() {
    let text = replace_once(
        &default_config("calendars.toml"),
        "mon = [\"09:00-14:00\", \"16:00-19:00\"]",
        "mon = [\"09:00-14:00\", \"16h-19h\"]",
    );
    let text = replace_once(
        &text,
        "time_zone = \"America/Asuncion\"",
        "time_zone = \"America/Asuncio\"",
    );
    let env = Env::new();
    env.write_config("calendars.toml", &text);
    let err = env.fail_raw(&["config", "check"]);
    assert!(err.contains("the configuration has 2 problem(s)"), "{err}");
    assert!(!err.contains("unknown calendar"), "{err}");
    for (needle, message) in [
        ("\"16h-19h\"", "mon: '16h' is not a time"),
        ("America/Asuncio", "'America/Asuncio' is not a time zone"),
    ] {
        let line = line_of(&text, needle);
        assert!(
            err.contains(&format!("calendars.toml:{line}:")) && err.contains(message),
            "expected {message:?} at line {line}: {err}"
        );
    }
}

#[test]
fn backwards_and_malformed_ranges_and_timed_holidays_are_refused() {
    let base = default_config("calendars.toml");
    refused(
        &replace_once(&base, "mon = [\"08:00-15:00\"]", "mon = [\"15:00-08:00\"]"),
        "\"15:00-08:00\"",
        "ends before it starts",
    );
    refused(
        &replace_once(&base, "mon = [\"08:00-15:00\"]", "mon = [\"8h-15h\"]"),
        "\"8h-15h\"",
        "is not a time",
    );
    refused(
        &replace_once(
            &base,
            "extra_holidays = [2026-12-24, 2026-12-31,",
            "extra_holidays = [2026-12-24T12:00:00, 2026-12-31,",
        ),
        "2026-12-24T12:00:00",
        "without a time",
    );
}

#[test]
fn the_holidays_data_is_well_formed() {
    let data: toml::Value = toml::from_str(guardia::config::HOLIDAYS).expect("parses");
    let list = data["holiday"].as_array().expect("holidays");
    let mut seen = std::collections::BTreeSet::new();
    for h in list {
        let country = h["country"].as_str().expect("country");
        let date = h["date"].as_datetime().expect("date").to_string();
        assert!(["CO", "PY", "MX", "ES"].contains(&country), "{country}");
        assert!(
            date.starts_with("2026-") || date.starts_with("2027-"),
            "{date}"
        );
        assert!(
            seen.insert((country, date.clone())),
            "{country} {date} twice"
        );
    }
    for c in ["CO", "PY", "MX", "ES"] {
        for y in ["2026-", "2027-"] {
            let n = seen
                .iter()
                .filter(|(k, d)| *k == c && d.starts_with(y))
                .count();
            assert!(n >= 7, "{c} {y} has only {n} holidays");
        }
    }
}

fn sla_refused(text: &str, needle: &str, message: &str) {
    let env = Env::new();
    env.write_config("sla.toml", text);
    let err = env.fail_raw(&["config", "check"]);
    let line = line_of(text, needle);
    assert!(
        err.contains(&format!("sla.toml:{line}:")),
        "expected line {line}: {err}"
    );
    assert!(err.contains(message), "expected '{message}': {err}");
}

#[test]
fn sla_policies_naming_what_does_not_exist_are_refused() {
    let base = default_config("sla.toml");
    sla_refused(
        &replace_once(
            &base,
            "types = [\"incident\", \"api_incident\"]\ncalendar = \"mesa-bogota\"",
            "types = [\"incident\", \"api_incident\"]\ncalendar = \"mesa-quito\"",
        ),
        "mesa-quito",
        "mesa-quito",
    );
    sla_refused(
        &replace_once(
            &base,
            "high = { response = \"1h\", resolution = \"8h\" }",
            "high = { response = \"pronto\", resolution = \"8h\" }",
        ),
        "pronto",
        "is not a duration",
    );
    sla_refused(
        &replace_once(
            &base,
            "mesa-bogota\"\nrunning_categories = [\"new\", \"active\"]\n[policy.targets]",
            "mesa-bogota\"\nrunning_categories = [\"new\", \"active\"]\nrunning = [\"trabajando\"]\n[policy.targets]",
        ),
        "trabajando",
        "trabajando",
    );
    sla_refused(
        &replace_once(
            &base,
            "types = [\"incident\", \"api_incident\"]",
            "types = [\"incident\", \"incident\"]",
        ),
        "types = [\"incident\", \"incident\"]",
        "already covered",
    );
}

/// A second policy without `types` would never be used: the first one takes
/// every type no policy lists. Refused, naming both.
#[test]
fn a_second_catch_all_policy_is_refused() {
    let base = default_config("sla.toml");
    let second = base.replace("id = \"solicitudes\"", "id = \"otra\"");
    let second = &second[second.find("[[policy]]\nid = \"otra\"").expect("second")..];
    let text = format!("{base}\n{second}");
    sla_refused(
        &text,
        "id = \"otra\"",
        "policy 'otra' lists no types, like policy 'solicitudes' before it: only the first policy without types is used (for every type no policy lists), so 'otra' would never apply; give it the types it is for, or merge the two",
    );
}

/// The resolution clock stops while a ticket is resolved, closed or
/// cancelled: a policy cannot make it run there.
#[test]
fn finished_states_cannot_run_the_clocks() {
    let base = default_config("sla.toml");
    let text = replace_once(
        &base,
        "mesa-bogota\"\nrunning_categories = [\"new\", \"active\"]\n[policy.targets]",
        "mesa-bogota\"\nrunning_categories = [\"new\", \"active\", \"resolved\", \"closed\"]\n[policy.targets]",
    );
    sla_refused(
        &text,
        "id = \"incidentes\"",
        "policy 'incidentes' runs its clocks in running_categories resolved, closed: the resolution clock stops while a ticket is resolved, closed or cancelled, so those cannot run it; list only new, active and waiting",
    );
    let text = replace_once(
        &base,
        "mesa-bogota\"\nrunning_categories = [\"new\", \"active\"]\n[policy.targets]",
        "mesa-bogota\"\nrunning_categories = [\"new\", \"active\"]\nrunning = [\"resolved\"]\n[policy.targets]",
    );
    sla_refused(
        &text,
        "running = [\"resolved\"]",
        "running state 'resolved' is a finished state of workflow",
    );
}

#[test]
fn the_shipped_sla_policies_cover_every_type_of_the_queue() {
    let cfg = Config::builtin().expect("built-in configuration");
    for t in &cfg.types {
        let p = cfg.sla_policy(t.id.get_ref());
        if t.record == guardia::config::RecordKind::Ticket {
            let p = p.expect("a policy");
            assert!(cfg.calendar(p.calendar.get_ref()).is_some());
        } else {
            // Problems and known errors are not the queue's work: the
            // catch-all policy does not take them.
            assert!(p.is_none(), "{} has a policy", t.id.get_ref());
        }
    }
    assert_eq!(
        cfg.sla_policy("incident").map(|p| p.id.get_ref().as_str()),
        Some("incidentes")
    );
    assert_eq!(
        cfg.sla_policy("support").map(|p| p.id.get_ref().as_str()),
        Some("solicitudes")
    );
}

/// A calendar without a single working range would stop every SLA clock on
/// it for good: refused at its id, whether the days are left out or empty.
#[test]
fn a_calendar_without_working_hours_is_refused() {
    let base = default_config("calendars.toml");
    let madrid = base.find("id = \"soporte-madrid\"").expect("madrid");
    let days_left_out = format!(
        "{}{}",
        &base[..madrid],
        base[madrid..]
            .lines()
            .filter(|l| !["mon =", "tue =", "wed =", "thu =", "fri ="]
                .iter()
                .any(|day| l.starts_with(day)))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    assert!(
        days_left_out.ends_with("[calendar.week]\n"),
        "{days_left_out}"
    );
    let days_empty = replace_once(&base, "mon = [\"08:00-15:00\"]", "mon = []\nsat = []")
        .replace("\"08:00-15:00\"", "");
    for text in [days_left_out, days_empty] {
        refused(
            &text,
            "id = \"soporte-madrid\"",
            "calendar 'soporte-madrid' has no working hours on any day, so SLA clocks on it would never run and timers on its business time would never fire; list working ranges under its [calendar.week], e.g. mon = [\"09:00-17:00\"]",
        );
    }
}
