//! Seed 001's guards against changes behind the procedure's back, through
//! the real binary on a real database (site ASU): fields a state locks (the
//! verified script, the authorised instructions, the estimate the work
//! started on) on every path that writes fields, with the way back named;
//! the 17:00 cut-off on the head's authorisation (step 8) too, one
//! exception covering one execution; approvals that lapse when what they
//! cover changes; refusals that send nobody to an operator four eyes bar;
//! and a `set` that changes nothing saying so.

mod common;

use common::{Env, default_config, line_of, replace_once};
use serde_json::Value;

/// Tuesday 3 March 2026, 10:00 in Asunción: a business day, before 17:00.
const TUESDAY_10: &str = "2026-03-03T10:00:00-03:00";

fn at(env: &mut Env, now: &str) {
    env.now = now.to_string();
}

fn asu() -> Env {
    let mut env = Env::with_site("ASU");
    at(&mut env, TUESDAY_10);
    env
}

/// A support request registered by ana, assigned by ines and analysed by
/// felipe, who starts work on a 2-hour estimate.
fn started(env: &Env) -> String {
    let key = env.support(
        "Saldos duplicados",
        "La cuenta 4411 tiene saldos duplicados",
    );
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "felipe",
        &["move", &key, "in_progress", "--field", "estimate_hours=2"],
    );
    key
}

/// `started`, then felipe's script verified by julia (steps 5 and 6).
fn verified(env: &Env) -> String {
    let key = started(env);
    env.ok_as(
        "felipe",
        &[
            "move",
            &key,
            "script_ready",
            "--field",
            "change_script=UPDATE saldos SET x=1 WHERE lote=8812;",
        ],
    );
    env.ok_as("julia", &["move", &key, "script_verified"]);
    key
}

/// `verified`, then requested (step 7) and authorised (step 8).
fn authorised(env: &Env) -> String {
    let key = verified(env);
    env.ok_as(
        "felipe",
        &[
            "move",
            &key,
            "production_requested",
            "--field",
            "execution_instructions=Ejecutar en PROD con el usuario de mantenimiento",
        ],
    );
    env.ok_as("ines", &["move", &key, "production_authorised"]);
    key
}

fn field(env: &Env, key: &str, name: &str) -> Value {
    env.show(key)["fields"][name].clone()
}

fn status(env: &Env, key: &str) -> String {
    env.show(key)["status"].as_str().unwrap_or("").to_string()
}

fn ops(env: &Env, key: &str) -> usize {
    env.json(&["log", key, "--json"])
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_verified_script_cannot_be_replaced_and_the_refusal_names_the_way_back() {
    let env = asu();
    let key = verified(&env);
    let err = env.fail_as(
        "felipe",
        &["set", &key, "change_script=DELETE FROM saldos;"],
    );
    for part in [
        "'change_script' cannot change while the ticket is 'script_verified' (6 Script verified, moved there by julia)",
        "verified, approved or authorised",
        &format!("`guardia move {key} in_progress` (by support_analyst, senior_analyst)"),
    ] {
        assert!(err.contains(part), "lacks {part:?}: {err}");
    }
    assert_eq!(
        field(&env, &key, "change_script"),
        "UPDATE saldos SET x=1 WHERE lote=8812;"
    );
    // Nor later, with the request or the authorisation.
    let err = env.fail_as(
        "felipe",
        &[
            "move",
            &key,
            "production_requested",
            "--field",
            "execution_instructions=x",
            "--field",
            "change_script=DELETE FROM saldos;",
        ],
    );
    assert!(
        err.contains("'change_script' cannot change while the ticket is 'script_verified'"),
        "{err}"
    );
    // The way back works: a new script is prepared and verified again.
    env.ok_as("felipe", &["move", &key, "in_progress"]);
    env.ok_as(
        "felipe",
        &[
            "move",
            &key,
            "script_ready",
            "--field",
            "change_script=UPDATE saldos SET x=2 WHERE lote=8812;",
        ],
    );
    env.ok_as("julia", &["move", &key, "script_verified"]);
    assert_eq!(
        field(&env, &key, "change_script"),
        "UPDATE saldos SET x=2 WHERE lote=8812;"
    );
}

#[test]
fn the_verifier_cannot_verify_a_script_of_her_own_given_with_the_move() {
    let env = asu();
    let key = started(&env);
    env.ok_as(
        "felipe",
        &[
            "move",
            &key,
            "script_ready",
            "--field",
            "change_script=SELECT 1;",
        ],
    );
    let err = env.fail_as(
        "julia",
        &[
            "move",
            &key,
            "script_verified",
            "--field",
            "change_script=DELETE FROM saldos;",
        ],
    );
    assert!(
        err.contains(
            "'change_script' cannot change on the way to 'script_verified' (6 Script verified)"
        ) && err.contains("change it first while the ticket is 'script_ready'"),
        "{err}"
    );
    assert_eq!(status(&env, &key), "script_ready");
    assert_eq!(field(&env, &key, "change_script"), "SELECT 1;");
}

#[test]
fn authorised_instructions_cannot_be_replaced_and_go_back_to_step_6() {
    let env = asu();
    let key = authorised(&env);
    let err = env.fail_as(
        "felipe",
        &["set", &key, "execution_instructions=ejecutar como sys"],
    );
    for part in [
        "'execution_instructions' cannot change while the ticket is 'production_authorised' (8 Authorised by the head of systems, moved there by ines)",
        &format!("`guardia move {key} script_verified` (by support_analyst, head)"),
    ] {
        assert!(err.contains(part), "lacks {part:?}: {err}");
    }
    // The script is locked here too, and its way back is to step 4.
    let err = env.fail_as(
        "felipe",
        &["set", &key, "change_script=DELETE FROM saldos;"],
    );
    assert!(
        err.contains(&format!(
            "`guardia move {key} in_progress` (by support_analyst, head)"
        )),
        "{err}"
    );
    // Infrastructure cannot be handed other instructions with the move either.
    let err = env.fail_as(
        "kevin",
        &[
            "move",
            &key,
            "implemented",
            "--field",
            "execution_instructions=otra cosa",
        ],
    );
    assert!(
        err.contains(
            "'execution_instructions' cannot change while the ticket is 'production_authorised'"
        ),
        "{err}"
    );
    // Back to step 6: the instructions are corrected, requested and
    // authorised again; the verified script stays as it was.
    env.ok_as("felipe", &["move", &key, "script_verified"]);
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "execution_instructions=Ejecutar en PROD, lote 8812",
        ],
    );
    let err = env.fail_as(
        "felipe",
        &["set", &key, "change_script=DELETE FROM saldos;"],
    );
    assert!(err.contains("'script_verified'"), "{err}");
    env.ok_as("felipe", &["move", &key, "production_requested"]);
    env.ok_as("ines", &["move", &key, "production_authorised"]);
    env.ok_as("kevin", &["move", &key, "implemented"]);
    assert_eq!(
        field(&env, &key, "execution_instructions"),
        "Ejecutar en PROD, lote 8812"
    );
}

/// The console's field editor writes through `App::set_if_unchanged`: the
/// same lock holds there.
#[test]
fn the_console_field_editor_cannot_change_a_locked_field() {
    use guardia::app::{App, AppError, Clock};
    use guardia::config::{Config, Lang};
    use guardia::store::Store;
    let env = asu();
    let key = verified(&env);
    let cfg = Config::builtin().expect("config");
    let felipe = cfg.operator("felipe").expect("felipe").clone();
    let store = Store::open(&env.db).expect("store");
    let now = chrono::DateTime::parse_from_rfc3339(TUESDAY_10)
        .expect("time")
        .with_timezone(&chrono::Utc);
    let mut app = App::new(cfg, store, Clock::fixed(now), Lang::En);
    let shown = Value::String("UPDATE saldos SET x=1 WHERE lote=8812;".into());
    let r = app.set_if_unchanged(
        &felipe,
        &key,
        &[("change_script".into(), "DELETE FROM saldos;".into())],
        None,
        &[("change_script".into(), Some(shown))],
        |t| t,
    );
    match r {
        Err(e @ AppError::Transition { .. }) => assert!(
            e.to_string()
                .contains("'change_script' cannot change while the ticket is 'script_verified'"),
            "{e}"
        ),
        other => panic!("expected the lock's refusal, got {other:?}"),
    }
    drop(app);
    assert_eq!(
        field(&env, &key, "change_script"),
        "UPDATE saldos SET x=1 WHERE lote=8812;"
    );
}

#[test]
fn the_estimate_is_locked_once_work_started_and_re_estimating_goes_back_to_analysis() {
    let env = asu();
    let key = started(&env);
    let err = env.fail_as("felipe", &["set", &key, "estimate_hours=40"]);
    assert!(
        err.contains("'estimate_hours' cannot change while the ticket is 'in_progress'")
            && err.contains(&format!(
                "`guardia move {key} analysis` (by support_analyst, head)"
            )),
        "{err}"
    );
    let err = env.fail_as(
        "felipe",
        &["set", &key, "estimate_justification=Cuarenta horas"],
    );
    assert!(err.contains("'estimate_justification'"), "{err}");
    assert_eq!(field(&env, &key, "estimate_hours"), 2);
    // Back to analysis: the new estimate needs its justification and the
    // head's approval again.
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "estimate_hours=40",
            "estimate_justification=Reprocesar todo el año",
        ],
    );
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(err.contains("approval 'large_estimate'"), "{err}");
    env.ok_as(
        "ines",
        &["approve", &key, "large_estimate", "--reason", "Visto"],
    );
    env.ok_as("felipe", &["move", &key, "in_progress"]);
}

#[test]
fn an_approval_lapses_when_the_justification_it_covered_is_rewritten() {
    let env = asu();
    let key = env.support("Conciliación", "Catorce días de movimientos");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "estimate_hours=6",
            "estimate_justification=Conciliar 14 días de movimientos",
        ],
    );
    env.ok_as(
        "ines",
        &[
            "approve",
            &key,
            "large_estimate",
            "--reason",
            "ok por los 14 días",
        ],
    );
    env.ok_as("felipe", &["set", &key, "estimate_justification=."]);
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(
        err.contains(
            "needs the approval 'large_estimate' again (estimate_justification changed after it was given) from head (ines)"
        ),
        "{err}"
    );
    assert_eq!(status(&env, &key), "analysis");
}

#[test]
fn an_approval_for_6_covers_6_0() {
    let env = asu();
    let key = env.support("Conciliación", "Seis horas");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "estimate_hours=6",
            "estimate_justification=Seis horas de conciliación",
        ],
    );
    env.ok_as(
        "ines",
        &["approve", &key, "large_estimate", "--reason", "ok"],
    );
    // The same figure written another way changes nothing.
    let out = env.ok_as("felipe", &["set", &key, "estimate_hours=6,0"]);
    assert!(out.contains("nothing changed"), "{out}");
    env.ok_as(
        "felipe",
        &["move", &key, "in_progress", "--field", "estimate_hours=6.0"],
    );
    assert_eq!(status(&env, &key), "in_progress");
}

#[test]
fn authorising_after_the_cutoff_needs_an_exception_too() {
    let mut env = asu();
    let key = verified(&env);
    env.ok_as(
        "felipe",
        &[
            "move",
            &key,
            "production_requested",
            "--field",
            "execution_instructions=Ejecutar hoy",
        ],
    );
    // Saturday night: step 8 is outside the cut-off as well.
    at(&mut env, "2026-03-07T22:00:00-03:00");
    let err = env.fail_as("ines", &["move", &key, "production_authorised"]);
    assert!(
        err.contains("moving to 'production_authorised' is allowed only before 17:00 on business days of calendar 'soporte-asuncion' (it is Sat 2026-03-07 22:00, not a business day)")
            && err.contains("general_management (laura)"),
        "{err}"
    );
    // General management may authorise the exception for this step.
    env.ok_as(
        "laura",
        &[
            "approve",
            &key,
            "production_exception",
            "--reason",
            "Cierre del lunes",
        ],
    );
    env.ok_as("ines", &["move", &key, "production_authorised"]);
    let log = env.ok(&["log", &key]);
    assert!(
        log.contains(
            "production_requested → production_authorised [exception 'production_exception' authorised by laura"
        ),
        "{log}"
    );
}

#[test]
fn one_exception_covers_the_request_and_its_authorisation_the_same_day() {
    let mut env = asu();
    let key = verified(&env);
    let other = verified(&env);
    // 17:05: both requests are late; general management grants each one.
    at(&mut env, "2026-03-03T17:05:00-03:00");
    for k in [&key, &other] {
        env.ok_as(
            "laura",
            &[
                "approve",
                k,
                "production_exception",
                "--reason",
                "Cierre contable",
            ],
        );
        env.ok_as(
            "felipe",
            &[
                "move",
                k,
                "production_requested",
                "--field",
                "execution_instructions=Ejecutar esta noche",
            ],
        );
    }
    // 17:40 the same day: the head authorises without a second exception,
    // and the move records the one it went ahead under.
    at(&mut env, "2026-03-03T17:40:00-03:00");
    env.ok_as("ines", &["move", &key, "production_authorised"]);
    let log = env.json(&["log", &key, "--json"]);
    let last = log
        .as_array()
        .and_then(|ops| ops.iter().rev().find(|op| op["kind"] == "transition"))
        .expect("the move");
    assert_eq!(last["value"]["to"], "production_authorised");
    assert_eq!(last["value"]["exception"]["by"], "laura");
    // The next day after 17:00 it is another execution: a new exception.
    at(&mut env, "2026-03-04T17:30:00-03:00");
    let err = env.fail_as("ines", &["move", &other, "production_authorised"]);
    assert!(err.contains("only before 17:00"), "{err}");
}

#[test]
fn refusals_leave_out_operators_four_eyes_bar() {
    let env = asu();
    let key = started(&env);
    // julia prepares the script herself.
    env.ok_as(
        "julia",
        &[
            "move",
            &key,
            "script_ready",
            "--field",
            "change_script=SELECT 1;",
        ],
    );
    let err = env.fail_as("felipe", &["move", &key, "script_verified"]);
    assert!(
        !err.contains("(julia)"),
        "sent to julia, whom four eyes bar: {err}"
    );
    assert!(
        err.contains("julia took part in 'script_ready', and four eyes bar whoever did from this move; nobody else holds the roles (operators.toml)"),
        "{err}"
    );
}

#[test]
fn an_approval_nobody_may_give_says_what_unblocks_it() {
    let env = asu();
    let key = env.support("Reproceso", "Ocho horas");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "ines",
        &[
            "set",
            &key,
            "estimate_hours=8",
            "estimate_justification=Ocho horas",
        ],
    );
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(
        !err.contains("head (ines)"),
        "sent to ines, whom four eyes bar: {err}"
    );
    assert!(
        err.contains("the approval 'large_estimate' from head, which nobody may give now: ines wrote estimate_hours (four eyes)"),
        "{err}"
    );
    let err = env.fail_as(
        "felipe",
        &["approve", &key, "large_estimate", "--reason", "ok"],
    );
    assert!(
        !err.contains("ask ines")
            && err.contains("ines wrote what it covers, so four eyes bar them from giving it"),
        "{err}"
    );
    let err = env.fail_as(
        "ines",
        &["approve", &key, "large_estimate", "--reason", "ok"],
    );
    assert!(
        err.contains("four eyes: 'ines' wrote 'estimate_hours', so the approval 'large_estimate' must come from someone else with the roles head; nobody else holds them (operators.toml): have another operator write estimate_hours and estimate_justification anew"),
        "{err}"
    );
    assert!(
        err.contains("or give one of the roles head to another operator"),
        "{err}"
    );
    // Once felipe writes his own figures, ines may approve them.
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "estimate_hours=7",
            "estimate_justification=Siete horas",
        ],
    );
    env.ok_as(
        "ines",
        &["approve", &key, "large_estimate", "--reason", "ok"],
    );
    env.ok_as("felipe", &["move", &key, "in_progress"]);
}

#[test]
fn setting_the_value_a_field_already_has_says_nothing_changed() {
    let mut env = asu();
    let key = env.support("Sin cambios", "El mismo valor");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    let out = env.ok_as("felipe", &["set", &key, "estimate_hours=3"]);
    assert!(out.contains(&format!("{key} updated")), "{out}");
    let before = ops(&env, &key);
    let out = env.ok_as("felipe", &["set", &key, "estimate_hours=3"]);
    assert_eq!(
        out.trim(),
        format!("{key}: nothing changed (it already had those values)")
    );
    env.lang = "es".into();
    let out = env.ok_as("felipe", &["set", &key, "estimate_hours=3"]);
    assert_eq!(
        out.trim(),
        format!("{key}: nada cambió (ya tenía esos valores)")
    );
    assert_eq!(ops(&env, &key), before, "nothing was recorded");
}

/// A major incident resolving its children writes its values into them on
/// the way: a field the children's resolved state locks keeps their own.
#[test]
fn a_major_incident_does_not_overwrite_a_field_its_children_lock() {
    let env = Env::new();
    let wf = replace_once(
        &default_config("workflows.toml"),
        "name = { es = \"Solución notificada, conformidad solicitada\", en = \"Solution notified, conformity requested\" }\ncategory = \"resolved\"\n",
        "name = { es = \"Solución notificada, conformidad solicitada\", en = \"Solution notified, conformity requested\" }\ncategory = \"resolved\"\nlocks = [\"affected_users\"]\n",
    );
    env.write_config("workflows.toml", &wf);
    let major = env.incident("Caída del portal", "Nadie entra");
    let child = env.incident_with("Portal caído", "No entra", &["--field", "affected_users=5"]);
    env.ok_as("ines", &["major", "declare", &major, "--reason", "masiva"]);
    env.ok_as("ines", &["major", "attach", &major, &child]);
    env.ok_as(
        "ines",
        &["major", "resolve", &major, "--solution", "Reinicio"],
    );
    env.ok_as(
        "ines",
        &[
            "major",
            "resolve",
            &major,
            "--solution",
            "Reinicio",
            "--children",
            "--field",
            "affected_users=500",
        ],
    );
    let t = env.show(&child);
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["fields"]["affected_users"], 5);
}

#[test]
fn config_check_names_lock_fields_that_do_not_exist_or_no_type_holds() {
    let env = Env::new();
    let text = replace_once(
        &default_config("workflows.toml"),
        "locks = [\"estimate_hours\", \"estimate_justification\", \"change_script\"]\n",
        "locks = [\"guion\", \"reporter_email\", \"title\"]\n",
    );
    let path = env.write_config("workflows.toml", &text);
    let err = env.fail_raw(&["config", "check"]);
    let line = line_of(&text, "locks = [\"guion\"");
    let at = format!("{}:{line}:", path.display());
    for part in [
        "unknown field 'guion'",
        "state 'script_verified' of workflow 'soporte_sistemas' locks the field 'reporter_email', which no ticket type following the workflow holds (types.toml: support)",
        "state 'script_verified' locks 'title', a built-in attribute",
    ] {
        assert!(err.contains(part), "lacks {part:?}:\n{err}");
    }
    assert_eq!(
        err.matches(&at).count(),
        3,
        "three problems at {at}:\n{err}"
    );
    // The built-in configuration, with its locks, passes.
    let env = Env::new();
    env.ok(&["config", "check"]);
}

#[test]
fn workflow_show_lists_what_each_state_locks() {
    let env = Env::new();
    let out = env.ok(&["workflow", "show", "soporte_sistemas"]);
    assert!(
        out.contains("locks: estimate_hours, estimate_justification, change_script\n"),
        "{out}"
    );
    let v = env.json(&["workflow", "show", "soporte_sistemas", "--json"]);
    let verified = v["states"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "script_verified"))
        .expect("script_verified");
    assert_eq!(
        verified["locks"],
        serde_json::json!(["estimate_hours", "estimate_justification", "change_script"])
    );
}
