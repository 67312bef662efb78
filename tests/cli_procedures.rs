//! The seeds' procedures run end to end through the command line, one test
//! per built-in workflow: seed 001's twelve steps (threshold with approval,
//! four eyes, production cutoff with an authorised exception), seed 003's
//! service request (help centre versus support centre, links only while
//! Reviewed), seed 002's API support (closing records, automatic close 24
//! hours after the answer) and seed 004's ITIL incident (customer
//! conformity). The clock is moved with GUARDIA_NOW.

mod common;

use common::Env;
use serde_json::Value;

fn at(env: &mut Env, now: &str) {
    env.now = now.to_string();
}

/// `move KEY STATE --field NAME=VALUE` as `who`, which must succeed.
fn move_with(env: &Env, who: &str, key: &str, state: &str, field: &str) {
    env.ok_as(who, &["move", key, state, "--field", field]);
}

fn status(env: &Env, key: &str) -> String {
    env.show(key)["status"]
        .as_str()
        .expect("status")
        .to_string()
}

/// The ticket's state changes as (actor, to) pairs, from the op log.
fn moves(env: &Env, key: &str) -> Vec<(String, String)> {
    let log = env.json(&["log", key, "--json"]);
    log.as_array()
        .expect("ops")
        .iter()
        .filter(|op| op["kind"] == "transition")
        .map(|op| {
            (
                op["actor"].as_str().unwrap_or("").to_string(),
                op["value"]["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn seed_001_twelve_steps_from_request_to_closing() {
    // Tuesday 3 March 2026, 10:00 in Asunción (UTC-3): business hours
    // (Monday 2 was Heroes' Day, moved from Sunday 1).
    let mut env = Env::new();
    at(&mut env, "2026-03-03T10:00:00-03:00");
    // 1. The requester's request, registered by the help desk.
    let key = env.support("Reporte de cobranzas", "El reporte mensual sale vacío");
    // 2. Only the head of systems prioritises and assigns.
    let err = env.fail_as("ana", &["move", &key, "assigned"]);
    assert!(err.contains("needs one of the roles head"), "{err}");
    assert!(err.contains("(ines)"), "names who may: {err}");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    assert_eq!(status(&env, &key), "assigned");
    // 3. The analyst analyses and estimates.
    env.ok_as("felipe", &["move", &key, "analysis"]);
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(err.contains("requires estimate_hours"), "{err}");
    // Over 4 hours: a justification and the head's confirmation, or back
    // to prioritisation.
    let err = env.fail_as(
        "felipe",
        &["move", &key, "in_progress", "--field", "estimate_hours=6"],
    );
    assert!(err.contains("estimate_hours is 6 (above 4)"), "{err}");
    assert!(err.contains("estimate_justification"), "{err}");
    assert!(err.contains("approval 'large_estimate'"), "{err}");
    assert!(err.contains("head (ines)"), "{err}");
    // Back to prioritisation is the head's move, and says so.
    assert!(
        err.contains("or move it to: waiting, assigned (by head)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("guardia approve {key} large_estimate")),
        "the hint names the ticket: {err}"
    );
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "estimate_hours=6",
            "estimate_justification=Hay que reprocesar seis meses de cobranzas",
        ],
    );
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(err.contains("approval 'large_estimate'"), "{err}");
    assert!(!err.contains("the fields"), "justification given: {err}");
    // Only the head may confirm, and a reason is recorded.
    let err = env.fail_as(
        "felipe",
        &["approve", &key, "large_estimate", "--reason", "yo mismo"],
    );
    assert!(
        err.contains("approval 'large_estimate' is given by the roles head"),
        "{err}"
    );
    assert!(err.contains("ask ines"), "{err}");
    let given = env.json_as(
        "ines",
        &[
            "approve",
            &key,
            "large_estimate",
            "--reason",
            "Prioridad del comité",
            "--json",
        ],
    );
    assert_eq!(given["by"], "ines");
    // The approval covers six hours, not whatever the estimate becomes.
    let err = env.fail_as(
        "felipe",
        &["move", &key, "in_progress", "--field", "estimate_hours=60"],
    );
    assert!(err.contains("approval 'large_estimate'"), "{err}");
    env.ok_as("felipe", &["set", &key, "estimate_hours=8"]);
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(err.contains("approval 'large_estimate'"), "{err}");
    env.ok_as(
        "ines",
        &[
            "approve",
            &key,
            "large_estimate",
            "--reason",
            "Ocho horas, visto",
        ],
    );
    // 4. Support starts.
    env.ok_as("felipe", &["move", &key, "in_progress"]);
    // 5. A production action is prepared as a script...
    let err = env.fail_as("felipe", &["move", &key, "script_ready"]);
    assert!(err.contains("requires change_script"), "{err}");
    move_with(
        &env,
        "julia",
        &key,
        "script_ready",
        "change_script=UPDATE cobranzas SET periodo = '2026-02'",
    );
    // 6. ... which someone other than its author verifies (four eyes).
    let err = env.fail_as("julia", &["move", &key, "script_verified"]);
    assert!(err.contains("four eyes"), "{err}");
    assert!(
        err.contains("'julia' moved the ticket to 'script_ready'"),
        "{err}"
    );
    // Only julia holds the role: the refusal says how to get out, instead
    // of sending felipe and ines to julia, who may not.
    assert!(
        err.contains("nobody else holds the roles senior_analyst (operators.toml): give one of them to another operator, or move it to 'in_progress'"),
        "{err}"
    );
    // The senior analyst asks for a revision. Felipe moving her script
    // back unchanged does not make her its second pair of eyes...
    env.ok_as("julia", &["move", &key, "in_progress"]);
    env.ok_as("felipe", &["move", &key, "script_ready"]);
    let err = env.fail_as("julia", &["move", &key, "script_verified"]);
    assert!(
        err.contains("'julia' wrote the 'change_script' that 'script_ready' requires"),
        "{err}"
    );
    // ... nor does editing the script once someone else moved it.
    env.ok_as(
        "julia",
        &[
            "set",
            &key,
            "change_script=UPDATE cobranzas SET periodo = '2026-03'",
        ],
    );
    let err = env.fail_as("julia", &["move", &key, "script_verified"]);
    assert!(err.contains("four eyes"), "{err}");
    // Felipe prepares a script of his own: Julia verifies it.
    env.ok_as("julia", &["move", &key, "in_progress"]);
    move_with(
        &env,
        "felipe",
        &key,
        "script_ready",
        "change_script=UPDATE cobranzas SET periodo = '2026-02' WHERE sede = 'ASU'",
    );
    env.ok_as("julia", &["move", &key, "script_verified"]);
    // 7. The production request, before 17:00 on a business day.
    move_with(
        &env,
        "felipe",
        &key,
        "production_requested",
        "execution_instructions=Ejecutar en la base de cobranzas, ticket en el asunto",
    );
    // 8. The head authorises; 9. infrastructure implements.
    let err = env.fail_as("felipe", &["move", &key, "production_authorised"]);
    assert!(err.contains("roles head"), "{err}");
    env.ok_as("ines", &["move", &key, "production_authorised"]);
    let err = env.fail_as("ines", &["move", &key, "implemented"]);
    assert!(err.contains("roles infrastructure"), "{err}");
    assert!(err.contains("(kevin)"), "{err}");
    env.ok_as("kevin", &["move", &key, "implemented"]);
    // 10. Support tests in production; 11. the requester certifies.
    move_with(
        &env,
        "felipe",
        &key,
        "production_tested",
        "test_result=El reporte de febrero sale completo",
    );
    move_with(
        &env,
        "ana",
        &key,
        "certified",
        "certification=El solicitante verificó tres sucursales",
    );
    // 12. The result is communicated and the request finishes.
    let err = env.fail_as("felipe", &["move", &key, "closed"]);
    assert!(err.contains("requires solution"), "{err}");
    move_with(
        &env,
        "felipe",
        &key,
        "closed",
        "solution=Se reprocesó el periodo con el script verificado",
    );
    let steps: Vec<String> = moves(&env, &key).into_iter().map(|(_, to)| to).collect();
    assert_eq!(
        steps,
        [
            "assigned",
            "analysis",
            "in_progress",
            "script_ready",
            "in_progress",
            "script_ready",
            "in_progress",
            "script_ready",
            "script_verified",
            "production_requested",
            "production_authorised",
            "implemented",
            "production_tested",
            "certified",
            "closed"
        ]
    );
    let sla = env.json(&["sla", &key, "--json"]);
    assert!(sla["resolution"]["stopped_at"].is_string(), "{sla:#}");
}

/// Brings a support request to a prepared script, at `when`.
fn prepared_script(env: &mut Env, when: &str) -> String {
    at(env, when);
    let key = env.support(
        "Corrección de saldos",
        "Saldos duplicados en la cuenta 4411",
    );
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    move_with(env, "felipe", &key, "in_progress", "estimate_hours=2");
    move_with(
        env,
        "felipe",
        &key,
        "script_ready",
        "change_script=DELETE FROM saldos WHERE duplicado",
    );
    key
}

/// Brings a support request to a verified script, at `when`.
fn verified_script(env: &mut Env, when: &str) -> String {
    let key = prepared_script(env, when);
    env.ok_as("julia", &["move", &key, "script_verified"]);
    key
}

#[test]
fn seed_001_production_requests_after_17_need_an_authorised_exception() {
    let mut env = Env::new();
    let key = verified_script(&mut env, "2026-03-03T16:00:00-03:00");
    let request = [
        "move",
        key.as_str(),
        "production_requested",
        "--field",
        "execution_instructions=Ejecutar hoy",
    ];
    // 17:05 in Asunción on a Tuesday.
    at(&mut env, "2026-03-03T17:05:00-03:00");
    let err = env.fail_as("felipe", &request);
    assert!(err.contains("only before 17:00 on business days"), "{err}");
    assert!(err.contains("soporte-asuncion"), "{err}");
    assert!(
        err.contains("Tue 2026-03-03 17:05)"),
        "says the local time: {err}"
    );
    assert!(err.contains("general_management (laura)"), "{err}");
    // General management authorises the exception, saying why.
    env.ok_as(
        "laura",
        &[
            "approve",
            &key,
            "production_exception",
            "--reason",
            "Cierre contable de mañana",
        ],
    );
    env.ok_as("felipe", &request);
    // The move itself records who authorised it and why.
    let log = env.json(&["log", &key, "--json"]);
    let request_op = log
        .as_array()
        .expect("ops")
        .iter()
        .rev()
        .find(|op| op["kind"] == "transition")
        .expect("the move");
    assert_eq!(request_op["value"]["to"], "production_requested");
    assert_eq!(request_op["value"]["exception"]["by"], "laura");
    assert_eq!(
        request_op["value"]["exception"]["reason"],
        "Cierre contable de mañana"
    );
    let text = env.ok(&["log", &key]);
    assert!(
        text.contains("[exception 'production_exception' authorised by laura"),
        "{text}"
    );
}

#[test]
fn seed_001_cutoff_holds_on_holidays_and_approvals_do_not_outlive_their_state() {
    let mut env = Env::new();
    let key = prepared_script(&mut env, "2026-05-13T10:00:00-03:00");
    // Paraguay's Independence days, 14 and 15 May 2026 (Thursday, Friday):
    // 10:00 on a holiday is outside the cutoff too.
    at(&mut env, "2026-05-14T10:00:00-03:00");
    // An approval counts only in the state it is given in: one no move from
    // the current state uses is refused, naming where it counts (it would be
    // spent at the next move).
    let err = env.fail_as(
        "laura",
        &[
            "approve",
            &key,
            "production_exception",
            "--reason",
            "Urgente",
        ],
    );
    assert!(
        err.contains("no move from there uses approval 'production_exception'")
            && err.contains("in: production_requested, script_verified"),
        "{err}"
    );
    env.ok_as("julia", &["move", &key, "script_verified"]);
    let request = [
        "move",
        key.as_str(),
        "production_requested",
        "--field",
        "execution_instructions=Ejecutar",
    ];
    let err = env.fail_as("felipe", &request);
    assert!(err.contains("only before 17:00 on business days"), "{err}");
    assert!(err.contains("Thu 2026-05-14 10:00, a holiday"), "{err}");
    // Monday 18 May, 09:00: a business day before 17:00.
    at(&mut env, "2026-05-18T09:00:00-03:00");
    env.ok_as("felipe", &request);
    assert_eq!(status(&env, &key), "production_requested");
}

#[test]
fn seed_003_help_centre_and_support_centre_set_their_own_states() {
    let env = Env::new();
    let other = env.problem("Adjuntos rechazados por el servidor", "Caso parecido");
    // A problem link names a problem record: a mistyped key is refused.
    let unrelated = env.support("Consulta previa", "Caso parecido");
    let new = |title: &str| {
        common::key_of(&env.json(&[
            "new",
            "--type",
            "service_request",
            "--service",
            "correo",
            "--title",
            title,
            "--description",
            "El usuario no puede adjuntar archivos",
            "--field",
            "request_category=asistencia_funcional",
            "--json",
        ]))
    };
    let key = new("Adjuntos en el correo");
    assert_eq!(status(&env, &key), "draft");
    // The help centre notifies it to the support centre (1 → 2).
    env.ok_as("ana", &["assign", &key, "felipe"]);
    assert_eq!(status(&env, &key), "notified");
    // 3, 4 and 5 are the support centre's.
    let err = env.fail_as("ana", &["move", &key, "reviewed"]);
    assert!(err.contains("needs one of the roles"), "{err}");
    assert!(err.contains("it_professional"), "{err}");
    // Problems are linked only while Reviewed.
    let err = env.fail_as("felipe", &["link", &key, &other, "--kind", "problem"]);
    assert!(
        err.contains("'link' is not allowed while the ticket is 'notified'"),
        "{err}"
    );
    assert!(err.contains("only in: reviewed"), "{err}");
    env.ok_as("felipe", &["move", &key, "reviewed"]);
    let err = env.fail_as("felipe", &["link", &key, &unrelated, "--kind", "problem"]);
    assert!(
        err.contains("a 'problem' link points to a problem record"),
        "{err}"
    );
    env.ok_as("felipe", &["link", &key, &other, "--kind", "problem"]);
    let links = &env.show(&key)["links"];
    assert_eq!(links[0]["kind"], "problem", "{links}");
    env.ok_as("felipe", &["move", &key, "development"]);
    let err = env.fail_as(
        "felipe",
        &["link", &key, &other, "--kind", "problem", "--remove"],
    );
    assert!(
        err.contains("not allowed while the ticket is 'development'"),
        "{err}"
    );
    env.ok_as("felipe", &["move", &key, "test"]);
    // The help centre may close (7), with the solution recorded.
    let err = env.fail_as("ana", &["move", &key, "closed"]);
    assert!(err.contains("requires solution"), "{err}");
    move_with(
        &env,
        "ana",
        &key,
        "closed",
        "solution=Se amplió el límite de adjuntos",
    );
    // §6: closing the request closed the problem linked to it, by the
    // system.
    assert_eq!(status(&env, &other), "closed");
    assert_eq!(
        moves(&env, &other).last(),
        Some(&("system".to_string(), "closed".to_string()))
    );
    // Editing stops at Closed.
    let err = env.fail(&["set", &key, "additional_info=más datos"]);
    assert!(
        err.contains("'set' is not allowed while the ticket is 'closed'"),
        "{err}"
    );
    // Cancelled is temporary: the help centre brings it back as a draft.
    let second = new("Firma del correo");
    let err = env.fail_as("felipe", &["move", &second, "cancelled"]);
    assert!(err.contains("roles agent"), "{err}");
    env.ok_as("ana", &["move", &second, "cancelled"]);
    env.ok_as("ana", &["move", &second, "draft"]);
    assert_eq!(status(&env, &second), "draft");
}

/// A clock that runs behind the one the ticket was registered by (another
/// site's, or `GUARDIA_NOW` set back) records no time rather than a negative
/// resolution time ("-16h -20m").
#[test]
fn a_clock_behind_the_registration_records_no_negative_resolution_time() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T12:00:00-06:00");
    let key = env.api_incident("API de altas responde 500", "Falla en la API de altas");
    env.ok(&["move", &key, "in_progress"]);
    at(&mut env, "2026-03-02T09:00:00-06:00");
    let t = env.json(&[
        "move",
        &key,
        "resolved",
        "--field",
        "solution=Se renovó el certificado",
        "--field",
        "root_cause=Certificado vencido",
        "--json",
    ]);
    let resolution = t["fields"]["resolution_time"].as_str().expect("recorded");
    assert!(!resolution.contains('-'), "{resolution}");
    assert!(resolution.starts_with("0m"), "{resolution}");
}

#[test]
fn seed_002_answer_records_the_closing_data_and_closes_itself_after_24_hours() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:00:00-06:00");
    let key = env.api_incident("API de altas responde 500", "Falla en la API de altas");
    at(&mut env, "2026-03-02T10:00:00-06:00");
    env.ok(&["move", &key, "in_progress"]);
    // §4.6: the answer records root cause and solution applied...
    let err = env.fail(&["move", &key, "resolved", "--field", "solution=x"]);
    assert!(err.contains("requires root_cause"), "{err}");
    at(&mut env, "2026-03-02T12:30:00-06:00");
    let t = env.json(&[
        "move",
        &key,
        "resolved",
        "--field",
        "solution=Se renovó el certificado del concesionario",
        "--field",
        "root_cause=Certificado vencido",
        "--json",
    ]);
    // ... and the resolution time (3h 30m from registration; business
    // time on the SLA calendar, 7x24 for incidents: the same).
    let resolution = t["fields"]["resolution_time"].as_str().expect("recorded");
    assert!(resolution.contains("3h 30m"), "{resolution}");
    // 23 hours later nothing is due yet.
    at(&mut env, "2026-03-03T11:30:00-06:00");
    assert_eq!(env.ok(&["tick"]).trim(), "no timer is due");
    assert_eq!(status(&env, &key), "resolved");
    // Two days later, any command closes it first: by the system, recorded
    // at the moment it was due (24 h after the answer), not when noticed.
    at(&mut env, "2026-03-05T08:00:00-06:00");
    assert_eq!(status(&env, &key), "closed");
    let log = env.json(&["log", &key, "--json"]);
    let close = log
        .as_array()
        .expect("ops")
        .iter()
        .rev()
        .find(|op| op["kind"] == "transition")
        .expect("closing move")
        .clone();
    assert_eq!(close["actor"], "system");
    assert_eq!(close["value"]["to"], "closed");
    let due = chrono::DateTime::parse_from_rfc3339("2026-03-03T12:30:00-06:00")
        .expect("time")
        .timestamp_millis();
    assert_eq!(close["value"]["at"].as_i64(), Some(due));
    let text = env.ok(&["log", &key]);
    assert!(text.contains("2026-03-03 18:30:00  system"), "{text}");
    // The SLA clock stopped at the answer, not at the automatic close.
    let sla = env.json(&["sla", &key, "--json"]);
    assert_eq!(
        sla["resolution"]["stopped_at"], "2026-03-02T18:30:00Z",
        "{sla:#}"
    );
}

#[test]
fn seed_002_tick_reports_what_fired_and_a_verified_answer_closes_at_once() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:00:00-06:00");
    let auto = env.api_incident("Timeout en consulta de facilidades", "Timeout");
    let verified = env.api_incident("Error de autenticación", "401");
    for key in [&auto, &verified] {
        env.ok(&[
            "move",
            key,
            "resolved",
            "--field",
            "solution=Se corrigió la configuración",
            "--field",
            "root_cause=Parámetro erróneo",
        ]);
    }
    // The licensee verifies one answer within the 24 hours.
    at(&mut env, "2026-03-02T15:00:00-06:00");
    env.ok(&["move", &verified, "closed"]);
    at(&mut env, "2026-03-04T09:00:00-06:00");
    let fired = env.json(&["tick", "--json"]);
    let fired = fired.as_array().expect("fired");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["key"], Value::String(auto.clone()));
    assert_eq!(fired[0]["from"], "resolved");
    assert_eq!(fired[0]["to"], "closed");
    assert_eq!(fired[0]["at"], "2026-03-03T15:00:00Z");
    assert_eq!(
        moves(&env, &verified).last().map(|m| m.0.as_str()),
        Some("ana")
    );
    // Nothing fires twice.
    assert_eq!(env.json(&["tick", "--json"]), Value::Array(Vec::new()));
}

#[test]
fn timers_fired_by_several_processes_at_once_close_a_ticket_once() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:00:00-06:00");
    let key = env.api_incident("Caída de la API de órdenes", "Sin respuesta");
    env.ok(&[
        "move",
        &key,
        "resolved",
        "--field",
        "solution=Reinicio del balanceador",
        "--field",
        "root_cause=Balanceador colgado",
    ]);
    at(&mut env, "2026-03-06T09:00:00-06:00");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let ticks: Vec<_> = (0..4)
        .map(|_| {
            let mut tick = env.cmd();
            tick.arg("tick");
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                tick.output().expect("run tick")
            })
        })
        .collect();
    for t in ticks {
        let out = t.join().expect("tick thread");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let closes = moves(&env, &key)
        .into_iter()
        .filter(|(actor, to)| actor == "system" && to == "closed")
        .count();
    assert_eq!(closes, 1);
    // The replayed log agrees with the tables (status_since included).
    env.ok(&["doctor"]);
}

#[test]
fn seed_004_incident_closes_only_with_the_customers_conformity() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:00:00-05:00");
    let key = env.incident(
        "Facturación lenta",
        "El módulo de facturación tarda minutos",
    );
    env.ok(&["assign", &key, "ana"]);
    env.ok(&["move", &key, "in_progress"]);
    at(&mut env, "2026-03-02T11:00:00-05:00");
    env.ok(&[
        "move",
        &key,
        "resolved",
        "--field",
        "solution=Se reconstruyó el índice de facturas",
    ]);
    // The customer does not agree: back to work, then notified again.
    env.ok(&[
        "move",
        &key,
        "in_progress",
        "--note",
        "El cliente reporta lentitud",
    ]);
    env.ok(&["move", &key, "resolved"]);
    let err = env.fail(&["move", &key, "closed"]);
    assert!(err.contains("requires customer_conformity"), "{err}");
    at(&mut env, "2026-03-03T10:00:00-05:00");
    let t = env.json(&[
        "move",
        &key,
        "closed",
        "--field",
        "customer_conformity=Correo de conformidad del usuario, 3 de marzo",
        "--json",
    ]);
    assert_eq!(t["status"], "closed");
    // 25 h of calendar time; the resolution time is recorded on closing.
    let resolution = t["fields"]["resolution_time"].as_str().expect("recorded");
    assert!(resolution.contains("25h"), "{resolution}");
}

#[test]
fn cascades_follow_links_either_way_and_move_each_ticket_once() {
    // Resolving an incident resolves the incidents that link to it as
    // related (direction incoming); A and B link each other, so the
    // cascade comes back to A and must stop there.
    let wf = common::default_config("workflows.toml").replacen(
        "# ---------------------------------------------------------------------------\n# Procedimiento de solicitud de soporte (seed 001)",
        "[[workflow.cascade]]\non = \"resolved\"\nlink = \"related\"\ndirection = \"incoming\"\nto = \"resolved\"\n\n# ---------------------------------------------------------------------------\n# Procedimiento de solicitud de soporte (seed 001)",
        1,
    );
    let env = Env::new();
    env.write_config("workflows.toml", &wf);
    let a = env.incident("Caída del ERP", "Sin servicio");
    let b = env.incident("No abre el ERP", "Pantalla en blanco");
    let c = env.incident("Impresora", "Sin tóner");
    env.ok(&["link", &b, &a]);
    env.ok(&["link", &a, &b]);
    env.ok(&[
        "move",
        &a,
        "resolved",
        "--field",
        "solution=Se reinició el servidor de aplicaciones",
    ]);
    assert_eq!(status(&env, &b), "resolved");
    assert_eq!(status(&env, &c), "new");
    assert_eq!(
        moves(&env, &b),
        [("system".to_string(), "resolved".to_string())]
    );
    // A moved once, by its operator; the cascade did not come back to it.
    assert_eq!(
        moves(&env, &a),
        [("ana".to_string(), "resolved".to_string())]
    );
    let out = env.ok(&["workflow", "show", "itil_incidente"]);
    assert!(out.contains("resolved ⇒ related ← resolved"), "{out}");
}

/// A workflow with no approvals says so, rather than "known:" and nothing.
#[test]
fn approving_under_a_workflow_without_approvals_says_so() {
    let env = Env::new();
    let key = env.incident("Sin aprobaciones", "El flujo no tiene ninguna.");
    let err = env.fail_as("ines", &["approve", &key, "x", "--reason", "y"]);
    assert!(
        err.contains("has no approvals, so there is nothing to approve"),
        "{err}"
    );
}

/// The head approving an estimate she wrote herself would be one pair of
/// eyes: the approval must come from someone who did not write the figure
/// or its justification.
#[test]
fn an_approval_is_not_given_by_who_wrote_what_it_approves() {
    let mut env = Env::new();
    at(&mut env, "2026-03-02T09:00:00-05:00");
    let key = env.support("Reproceso de cobranzas", "Seis meses");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "ines",
        &[
            "set",
            &key,
            "estimate_hours=6",
            "estimate_justification=Seis meses de datos",
        ],
    );
    let err = env.fail_as(
        "ines",
        &[
            "approve",
            &key,
            "large_estimate",
            "--reason",
            "Lo estimé yo",
        ],
    );
    assert!(
        err.contains("four eyes: 'ines' wrote 'estimate_hours'"),
        "{err}"
    );
    env.ok_as(
        "felipe",
        &[
            "set",
            &key,
            "estimate_hours=7",
            "estimate_justification=Siete, revisado",
        ],
    );
    env.ok_as(
        "ines",
        &["approve", &key, "large_estimate", "--reason", "Visto"],
    );
    env.ok_as("felipe", &["move", &key, "in_progress"]);
}

#[test]
fn no_to_a_yes_no_question_is_an_answer_and_duplicates_repeat_the_same_service() {
    let env = Env::new();
    // could_log_in made mandatory for incidents: "no" answers it.
    let types = common::default_config("types.toml")
        .replacen(
            "mandatory = [\"reporter_email\", \"extension\", \"executable\", \"environment\"]",
            "mandatory = [\"reporter_email\", \"extension\", \"executable\", \"environment\", \"could_log_in\"]",
            1,
        )
        .replacen("    \"could_log_in\",\n", "", 1);
    env.write_config("types.toml", &types);
    let mut args = vec![
        "new",
        "--service",
        "osf",
        "--title",
        "Sin acceso",
        "--description",
        "No entra",
    ];
    args.extend_from_slice(common::INCIDENT_FIELDS);
    let err = env.fail(&args);
    assert!(err.contains("could_log_in"), "{err}");
    args.extend_from_slice(&["--field", "could_log_in=no", "--json"]);
    let key = common::key_of(&env.json(&args));
    assert_eq!(env.show(&key)["fields"]["could_log_in"], false);

    // A duplicate names a ticket of the same service.
    let api = env.api_incident("Token expira", "La API rechaza el token");
    let err = env.fail(&["reject", &key, "--reason", "duplicate", "--of", &api]);
    assert!(
        err.contains("a duplicate repeats the report of the same failure"),
        "{err}"
    );
    let original = env.incident_with(
        "Sin acceso al portal",
        "No entra nadie",
        &["--field", "could_log_in=sí"],
    );
    env.ok(&["reject", &key, "--reason", "duplicate", "--of", &original]);
    assert_eq!(
        env.show(&original)["linked_from"],
        serde_json::json!([{"kind": "duplicate_of", "target": key}])
    );
}
