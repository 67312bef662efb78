//! Numbers typed the Latin-American way: `1.000` is one thousand to a help
//! desk in Bogotá or Asunción and one to others, so number fields and the
//! worklog refuse it with both readings instead of guessing; a decimal comma
//! (`2,5`, `1,5h`) reads as a decimal point in both.

mod common;

use common::*;

#[test]
fn a_number_that_reads_two_ways_is_refused_and_changes_nothing() {
    let env = Env::new();
    let key = env.incident("Facturación caída", "No se generan facturas");
    env.ok(&["set", &key, "affected_users=40"]);
    let before = env.show(&key);
    let err = env.fail(&["set", &key, "affected_users=1.000"]);
    assert_eq!(
        err.trim_end(),
        format!(
            "guardia: {key}: field 'affected_users': '1.000' is ambiguous: 1000 if the point separates thousands, 1 if it is a decimal point; write 1000, or 1.0"
        )
    );
    let err = env.fail(&["set", &key, "affected_users=1.500"]);
    assert!(
        err.contains("1500 if the point separates thousands, 1.5 if it is a decimal point"),
        "{err}"
    );
    let err = env.fail(&["set", &key, "affected_users=1,000"]);
    assert!(err.contains("'1,000' is ambiguous"), "{err}");
    let err = env.fail(&["set", &key, "affected_users=1.000.000"]);
    assert!(err.contains("write it without them: 1000000"), "{err}");
    let after = env.show(&key);
    assert_eq!(after["fields"], before["fields"], "nothing was set");
    assert_eq!(after["fields"]["affected_users"], 40);

    // The same rule where a ticket is registered or moved.
    let out = env.failed(
        "ana",
        &[
            "new",
            "--type",
            "incident",
            "--service",
            "osf",
            "--title",
            "Otro",
            "--description",
            "Otro",
            "--field",
            "reporter_email=ana.torres@example.org",
            "--field",
            "extension=5550",
            "--field",
            "executable=FACT01",
            "--field",
            "environment=produccion",
            "--field",
            "affected_users=12.500",
        ],
    );
    assert!(out.1.contains("'12.500' is ambiguous"), "{}", out.1);
}

#[test]
fn a_decimal_comma_is_a_decimal_point_in_fields_and_the_worklog() {
    let env = Env::new();
    let key = env.incident("Facturación caída", "No se generan facturas");
    // A number field with decimals (an estimate in hours).
    let support = env.support("Reproceso", "Seis meses");
    env.ok(&["set", &support, "estimate_hours=2,5"]);
    assert_eq!(env.show(&support)["fields"]["estimate_hours"], 2.5);
    env.ok(&["set", &support, "estimate_hours=0.125"]);
    assert_eq!(env.show(&support)["fields"]["estimate_hours"], 0.125);
    env.ok(&["set", &key, "affected_users=1000"]);
    assert_eq!(env.show(&key)["fields"]["affected_users"], 1000);
    let err = env.fail(&["set", &key, "affected_users=-3"]);
    assert!(
        err.contains("below the smallest value accepted, 0"),
        "{err}"
    );
    let err = env.fail(&["set", &key, "affected_users=doce"]);
    assert!(err.contains("write digits, e.g. 12, 2.5 or 2,5"), "{err}");

    let out = env.ok(&["worklog", &key, "1,5h"]);
    assert_eq!(out.trim_end(), format!("{key}: logged 1h 30m"));
    env.ok(&["worklog", &key, "0,5h"]);
    assert_eq!(env.show(&key)["worklog_minutes"], 120);
}

#[test]
fn a_duration_that_reads_two_ways_is_refused_and_logs_nothing() {
    let env = Env::new();
    let key = env.incident("Facturación caída", "No se generan facturas");
    env.ok(&["worklog", &key, "1h"]);
    let err = env.fail(&["worklog", &key, "1.000h"]);
    assert_eq!(
        err.trim_end(),
        "guardia: '1.000h' is ambiguous: 1.000h is 1000h if the point separates thousands, 1h if it is a decimal point; write 1000h, or 1.0h"
    );
    let err = env.fail(&["worklog", &key, "1,500m"]);
    assert!(err.contains("write 1500m, or 1,5m"), "{err}");
    assert_eq!(env.show(&key)["worklog_minutes"], 60, "nothing logged");
    // What the message advises is accepted.
    env.ok(&["worklog", &key, "1.0h"]);
    assert_eq!(env.show(&key)["worklog_minutes"], 120);
}

/// `problem resource add` reads its amounts as number fields are read: a
/// decimal comma is a decimal point, and `1.000` (a thousand in Colombia,
/// one elsewhere) is refused as a usage error before anything is written.
#[test]
fn resource_amounts_are_read_like_number_fields() {
    let env = Env::new();
    let p = env.problem("Bloqueos en facturación", "Las sesiones se bloquean");
    let add = |cost: &str| {
        env.cmd_as("julia")
            .args(["problem", "resource", "add", &p, "--kind", "material"])
            .args(["--description", "Disco", "--cost", cost])
            .output()
            .expect("run")
    };
    let out = add("1.000");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'1.000' is ambiguous"), "{err}");
    assert!(add("2,5").status.success());
    let shown = env.json_as("julia", &["problem", "show", &p, "--json"]);
    let costs: Vec<f64> = shown["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["cost"].as_f64())
        .collect();
    assert_eq!(costs, vec![2.5]);
}

/// A count (`whole = true` in fields.toml, as `affected_users` is) takes
/// whole numbers only: half a person affected is a typo. Other number
/// fields keep their decimals; `whole` on a field that is not a number is
/// a configuration error.
#[test]
fn a_count_takes_whole_numbers_only() {
    let env = Env::new();
    let key = env.incident("Portal lento", "Las consultas tardan.");
    for typed in ["2,5", "0.5"] {
        let err = env.fail(&["set", &key, &format!("affected_users={typed}")]);
        assert!(
            err.contains(&format!(
                "field 'affected_users': '{typed}' is not a whole number; write e.g. 12"
            )),
            "{err}"
        );
    }
    env.ok(&["set", &key, "affected_users=12.0"]);
    assert_eq!(
        env.show(&key)["fields"]["affected_users"],
        serde_json::json!(12)
    );
    let support = env.support("Reproceso", "Seis meses");
    env.ok(&["set", &support, "estimate_hours=2,5"]);
    assert_eq!(
        env.show(&support)["fields"]["estimate_hours"],
        serde_json::json!(2.5)
    );

    let fields = default_config("fields.toml").replace(
        "id = \"error_message\"\nlabel = { es = \"Mensaje de error\", en = \"Error message\" }\n",
        "id = \"error_message\"\nlabel = { es = \"Mensaje de error\", en = \"Error message\" }\nwhole = true\n",
    );
    assert!(
        fields.contains("whole = true\n"),
        "the test must add `whole` to a text field"
    );
    env.write_config("fields.toml", &fields);
    let err = env.fail_raw(&["config", "check"]);
    assert!(
        err.contains("`whole` applies to number fields; field 'error_message' is not one"),
        "{err}"
    );
}
