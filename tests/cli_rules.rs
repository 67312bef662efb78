//! Rules added after review: ending a manual priority, escalation limited to
//! open tickets and to fields the ticket's type can hold, fields of `move`
//! checked against the type, unknown operators in filters, commands that need
//! no database, the example database fallback, and identity from the uid.

mod common;

use common::*;

#[test]
fn priority_auto_ends_a_manual_priority() {
    let env = Env::new();
    let key = env.incident("Lentitud", "El módulo de recaudo está lento");
    assert_eq!(env.show(&key)["priority"], "medium");
    env.ok(&[
        "set",
        &key,
        "priority=critical",
        "--justification",
        "Cierre contable hoy",
    ]);
    let t = env.show(&key);
    assert_eq!(t["priority"], "critical");
    assert_eq!(t["priority_justification"], "Cierre contable hoy");
    // While manual, changing impact does not recompute it.
    env.ok(&["set", &key, "impact=low"]);
    assert_eq!(env.show(&key)["priority"], "critical");
    env.ok(&["set", &key, "priority=auto"]);
    let t = env.show(&key);
    // low impact × medium urgency = low, from the matrix again
    assert_eq!(t["priority"], "low");
    assert!(t.get("priority_justification").is_none(), "{t}");
    // ...and it follows the matrix afterwards.
    env.ok(&["set", &key, "impact=high"]);
    assert_eq!(env.show(&key)["priority"], "high");
}

#[test]
fn closed_tickets_do_not_escalate() {
    let env = Env::new();
    let key = env.incident("Cupón", "El cupón no refleja el abono");
    env.ok(&[
        "move",
        &key,
        "resolved",
        "--field",
        "solution=Se regeneró el cupón",
    ]);
    env.ok(&[
        "move",
        &key,
        "closed",
        "--field",
        "customer_conformity=El usuario confirma por correo",
    ]);
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(err.contains(&key), "{err}");
    assert!(
        err.contains("closed") && err.contains("only open tickets escalate"),
        "{err}"
    );
    assert_eq!(env.show(&key)["level"], 1);
}

#[test]
fn dossier_asks_only_for_fields_the_type_can_hold() {
    let env = Env::new();
    let key = env.support("Reporte de compras", "Necesito un reporte nuevo");
    let d = env.json(&["dossier", &key, "--format", "json"]);
    let fields: Vec<&str> = d["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["field"].as_str())
        .collect();
    // A support request has none of the incident's §13 fields.
    for f in [
        "reporter_email",
        "extension",
        "executable",
        "environment",
        "trace",
    ] {
        assert!(
            !fields.contains(&f),
            "{f} asked of a support request: {fields:?}"
        );
    }
    // Everything the gate asks for can be set on the ticket itself.
    for m in d["missing"].as_array().expect("missing") {
        let f = m.as_str().expect("field");
        env.ok(&["set", &key, &format!("{f}=Documentado")]);
    }
    env.ok(&["escalate", &key, "--level", "2"]);
    assert_eq!(env.show(&key)["level"], 2);
}

#[test]
fn move_fields_must_belong_to_the_type() {
    let env = Env::new();
    let key = env.support("Acceso", "Solicito acceso a la carpeta");
    let err = env.fail(&[
        "move",
        &key,
        "resolved",
        "--field",
        "api_id=x",
        "--field",
        "solution=ok",
    ]);
    assert!(err.contains("api_id") && err.contains("support"), "{err}");
    assert_eq!(env.show(&key)["status"], "new");
}

#[test]
fn unknown_operator_in_a_filter_is_an_error() {
    let env = Env::new();
    let err = env.fail(&["list", "--assignee", "zoe"]);
    assert!(
        err.contains("unknown operator 'zoe'") && err.contains("ana"),
        "{err}"
    );
}

#[test]
fn runbook_list_needs_no_database() {
    let env = Env::empty();
    let out = env.ok(&["runbook", "list"]);
    assert!(out.contains("osf-preguntas-clave"), "{out}");
    assert!(!env.db.exists());
}

#[test]
fn commands_use_the_example_database_until_there_is_one_of_ones_own() {
    let env = Env::empty();
    let run = |args: &[&str]| {
        env.at_home_as("ana")
            .args(["--lang", "en"])
            .args(args)
            .output()
            .expect("run")
    };
    // The overview creates the example database on first use...
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("example database"));
    // ...and `show` of a key it printed works, saying which database it used.
    let overview = String::from_utf8_lossy(&out.stdout).to_string();
    let key = overview
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .next()
                .filter(|w| w.starts_with("BOG-"))
        })
        .expect("a key in the overview")
        .to_string();
    let out = run(&["show", &key]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("using the example database"));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&key));
}

#[test]
fn setting_user_does_not_change_who_you_are() {
    // Without the test seam, the OS account comes from the uid: pretending
    // to be someone else through USER grants nothing.
    let env = Env::new();
    let out = env
        .cmd()
        .env_remove("GUARDIA_USER")
        .env("USER", "ana")
        .env("LOGNAME", "ana")
        .args(["comment", "BOG-1", "x"])
        .output()
        .expect("run");
    // BOG-1 does not exist; what matters is that identity was not taken from
    // USER=ana when the uid's account is someone else (e.g. root in CI).
    let err = String::from_utf8_lossy(&out.stderr);
    let uid_account = std::process::Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if !uid_account.is_empty() && uid_account != "ana" {
        assert!(
            err.contains(&format!("no operator matches OS account '{uid_account}'")),
            "{err}"
        );
    }
}

#[test]
fn an_affected_application_must_be_one_of_the_service_s_and_low_criticality_gives_medium() {
    let env = Env::new();
    let new = |title: &str, app: &str| {
        let app = format!("affected_application={app}");
        let mut args = vec![
            "new",
            "--service",
            "osf",
            "--title",
            title,
            "--description",
            "No llegan las órdenes",
            "--impact",
            "low",
            "--urgency",
            "low",
            "--field",
            &app,
            "--json",
        ];
        args.extend_from_slice(common::INCIDENT_FIELDS);
        env.output_as("ana", &args)
    };
    // A typo would silently lose the raise of seed 000 §8.
    let out = new("Integración caída", "movilidd");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("'movilidd' is not a related application of service 'osf'")
            && err.contains("movilidad"),
        "{err}"
    );
    // "prioridad media y baja": a low-criticality integration gives medium.
    let out = new("Kiosko sin datos", "kiosko");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = common::key_of(&serde_json::from_slice(&out.stdout).expect("json"));
    assert_eq!(env.show(&key)["priority"], "medium");
    let err = env.fail(&["set", &key, "affected_application=sapp"]);
    assert!(err.contains("is not a related application"), "{err}");
}
