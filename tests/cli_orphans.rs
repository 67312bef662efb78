//! Tickets left holding values the configuration no longer has ("orphans"):
//! a state, priority, impact, type, service, operator, level or runbook
//! (item) renamed or removed in the configuration files while tickets had
//! it. `config check` and `doctor` report them, `list` still finds them,
//! and the commands they meet refuse with what happened and what to do.

mod common;

use common::*;

/// `text` without the `[[header]]` table whose `id = "id"` (and the
/// sub-tables that follow it), up to the next `[[header]]`.
fn without_table(text: &str, header: &str, id: &str) -> String {
    let opening = format!("[[{header}]]\nid = \"{id}\"\n");
    let start = text
        .find(&opening)
        .unwrap_or_else(|| panic!("no {header} '{id}'"));
    let next = format!("\n[[{header}]]\n");
    let end = text[start + 1..]
        .find(&next)
        .map_or(text.len(), |at| start + 1 + at + 1);
    format!("{}{}", &text[..start], &text[end..])
}

/// `text` with every `"from"` of the `[[workflow]]` whose id is `workflow`
/// written `"to"`.
fn rename_state(text: &str, workflow: &str, from: &str, to: &str) -> String {
    let opening = format!("[[workflow]]\nid = \"{workflow}\"\n");
    let start = text.find(&opening).expect("the workflow");
    let end = text[start + 1..]
        .find("\n[[workflow]]\n")
        .map_or(text.len(), |at| start + 1 + at + 1);
    let block = text[start..end].replace(&format!("\"{from}\""), &format!("\"{to}\""));
    format!("{}{block}{}", &text[..start], &text[end..])
}

/// The lines of `out` that warn about tickets of `kind` (text before `:`).
fn warning<'a>(out: &'a str, about: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with("warning:") && l.contains(about))
        .unwrap_or_else(|| panic!("no warning about {about} in:\n{out}"))
}

/// Runs a command that must succeed; returns (stdout, stderr).
fn ok_with_stderr(env: &Env, args: &[&str]) -> (String, String) {
    let out = env.output_as("ana", args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "`guardia {}` failed:\n{stdout}{stderr}",
        args.join(" ")
    );
    (stdout, stderr)
}

fn kinds(report: &serde_json::Value) -> Vec<String> {
    report["orphans"]
        .as_array()
        .unwrap_or_else(|| panic!("no orphans in {report}"))
        .iter()
        .map(|o| o["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// Fix 1: a state renamed in a workflow leaves its tickets in a state the
/// workflow no longer has. `config check` and `doctor` say how many,
/// which, a few keys and what to do, as a warning (exit 0), and `doctor
/// --json` lists them; before, nothing reported them.
#[test]
fn config_check_and_doctor_report_tickets_in_a_renamed_state() {
    let env = Env::new();
    let moved = env.incident("No factura", "Error al facturar");
    let _new = env.incident("Otra", "Otro error");
    env.ok(&["assign", &moved, "ana"]);
    env.ok(&["move", &moved, "in_progress"]);
    let out = env.ok(&["config", "check"]);
    assert!(
        out.contains("every value the tickets hold is in the configuration in force"),
        "{out}"
    );
    assert!(!out.contains("warning:"), "{out}");

    let workflows = default_config("workflows.toml");
    env.write_config(
        "workflows.toml",
        &rename_state(&workflows, "itil_incidente", "in_progress", "en_curso"),
    );
    let out = env.ok(&["config", "check"]);
    let line = warning(&out, "workflow no longer has");
    assert!(
        line.contains(
            "1 ticket is in a state its workflow no longer has: 'in_progress' (of type incident, 1)"
        ),
        "{line}"
    );
    assert!(line.contains(&format!("e.g. {moved}")), "{line}");
    assert!(line.contains("put the state back"), "{line}");
    assert!(line.contains("guardia list --status in_progress"), "{line}");

    let out = env.ok(&["doctor"]);
    assert!(out.contains("the tables match the operation log"), "{out}");
    assert!(
        warning(&out, "its workflow no longer has").contains(&moved),
        "{out}"
    );
    let report = env.json(&["doctor", "--json"]);
    assert_eq!(kinds(&report), ["state"], "{report}");
    let state = &report["orphans"][0];
    assert_eq!(state["count"], 1);
    assert_eq!(state["values"][0]["value"], "in_progress");
    assert_eq!(state["values"][0]["within"], "incident");
    assert_eq!(state["examples"], serde_json::json!([moved]));
    // The list the line names finds the ticket.
    assert_eq!(env.list_keys(&["--status", "in_progress"]), [moved]);
}

/// Fix 1: one line per kind, for an operator, a service, a level, a
/// priority and a type removed or renamed; finished tickets are left out
/// of every kind but states.
#[test]
fn config_check_reports_each_kind_with_its_tickets_and_fix() {
    let env = Env::new();
    let carlas = env.incident("Asignado a carla", "Error");
    env.ok(&["assign", &carlas, "carla"]);
    let mail = env.support("Buzón lleno", "No recibe correos");
    let vendor = env.api_incident("API caída", "Timeout");
    env.ok(&["escalate", &vendor, "--level", "5"]);
    let low = env.incident_with(
        "Reporte mal",
        "Un error en un reporte",
        &["--impact", "low", "--urgency", "low"],
    );
    let request = service_request(&env);
    // A finished ticket of carla's is not reported.
    let done = env.incident("Cerrado", "Ya no");
    env.ok(&["assign", &done, "carla"]);
    env.ok_as("ines", &["move", &done, "cancelled"]);

    remove_carla_correo_and_level_5(&env);
    rename_priority_low_to_baja(&env);
    env.write_config(
        "types.toml",
        &without_table(&default_config("types.toml"), "type", "service_request"),
    );
    env.write_config(
        "workflows.toml",
        &replace_once(
            &default_config("workflows.toml"),
            "types = [\"service_request\"]\n",
            "",
        ),
    );

    let out = env.ok(&["config", "check"]);
    let line = warning(&out, "operators.toml no longer has");
    assert!(
        line.contains(
            "1 open ticket is assigned to an operator operators.toml no longer has: 'carla' (1)"
        ),
        "{line}"
    );
    assert!(line.contains(&format!("e.g. {carlas};")), "{line}");
    assert!(line.contains("guardia list --assignee carla"), "{line}");
    assert!(line.contains("guardia assign KEY OPERATOR"), "{line}");
    let line = warning(&out, "services.toml no longer has");
    assert!(line.contains("'correo' (1)"), "{line}");
    assert!(line.contains(&mail), "{line}");
    assert!(line.contains("guardia set KEY service=ID"), "{line}");
    let line = warning(&out, "escalation.toml no longer has");
    assert!(line.contains("'5' (1)"), "{line}");
    assert!(line.contains(&vendor), "{line}");
    assert!(line.contains("guardia escalate KEY --level N"), "{line}");
    let line = warning(&out, "a priority priority.toml no longer has");
    assert!(line.contains("'low'"), "{line}");
    assert!(line.contains(&low), "{line}");
    assert!(line.contains("priority=auto"), "{line}");
    let line = warning(&out, "a type with no workflow");
    assert!(line.contains("'service_request' (1)"), "{line}");
    assert!(line.contains(&request), "{line}");
    assert!(line.contains("types.toml"), "{line}");
    assert!(
        !out.contains(&done),
        "a finished ticket is left alone:\n{out}"
    );

    let report = env.json(&["doctor", "--json"]);
    let mut found = kinds(&report);
    found.sort();
    assert_eq!(
        found,
        ["assignee", "level", "priority", "service", "type"],
        "{report}"
    );
}

/// Fix 2: after an impact is renamed, changing a ticket's urgency used to
/// recompute its priority from an impact the matrix no longer has, and
/// silently keep a wrong one. It is refused, naming the stored impact and
/// how to go on; setting a configured impact in the same command works.
#[test]
fn a_priority_is_not_recomputed_from_an_impact_no_longer_configured() {
    let env = Env::new();
    let key = env.incident_with(
        "Error puntual",
        "Un usuario",
        &["--impact", "low", "--urgency", "low"],
    );
    assert_eq!(env.show(&key)["priority"], "low");
    let priority = default_config("priority.toml");
    let impact = priority
        .find("[[impact]]\nid = \"low\"")
        .expect("impact low");
    let priority = format!(
        "{}{}",
        &priority[..impact],
        priority[impact..]
            .replacen("id = \"low\"", "id = \"bajo\"", 1)
            .replacen("\nlow = { high", "\nbajo = { high", 1)
    );
    env.write_config("priority.toml", &priority);

    let err = env.fail(&["set", &key, "urgency=high"]);
    assert!(err.contains(&format!("{key}: its impact 'low'")), "{err}");
    assert!(err.contains("no longer in priority.toml"), "{err}");
    assert!(
        err.contains(&format!("guardia set {key} impact=ID")),
        "{err}"
    );
    assert!(err.contains("high, medium, bajo"), "{err}");
    assert_eq!(env.show(&key)["urgency"], "low", "nothing was written");
    // An edit unrelated to the priority is not refused: the priority the
    // ticket has is kept, not recomputed from the stale impact.
    env.ok(&["set", &key, "title=Error puntual en caja"]);
    let t = env.show(&key);
    assert_eq!(t["title"], "Error puntual en caja");
    assert_eq!(t["priority"], "low", "{t}");
    // The report names it too.
    let out = env.ok(&["config", "check"]);
    assert!(
        warning(&out, "an impact priority.toml no longer has").contains(&key),
        "{out}"
    );

    env.ok(&["set", &key, "urgency=high", "impact=bajo"]);
    let t = env.show(&key);
    // bajo × high is medium in the matrix.
    assert_eq!(t["priority"], "medium", "{t}");
    assert_eq!(t["impact"], "bajo");
}

/// Fix 3: `list` finds the tickets that still hold a value the
/// configuration no longer has (a departed operator's, a removed
/// service's, a removed level's), with a note on stderr; a value nobody
/// holds is still refused as unknown.
#[test]
fn list_accepts_values_tickets_still_hold_with_a_note() {
    let env = Env::new();
    let carlas = env.incident("Asignado a carla", "Error");
    env.ok(&["assign", &carlas, "carla"]);
    let mail = env.support("Buzón lleno", "No recibe correos");
    let vendor = env.api_incident("API caída", "Timeout");
    env.ok(&["escalate", &vendor, "--level", "5"]);
    remove_carla_correo_and_level_5(&env);

    let (out, err) = ok_with_stderr(&env, &["list", "--assignee", "carla", "--json"]);
    assert_eq!(keys(&serde_json::from_str(&out).expect("json")), [carlas]);
    assert!(
        err.contains("note: operator 'carla' is not in operators.toml"),
        "{err}"
    );
    let (out, err) = ok_with_stderr(&env, &["list", "--service", "correo", "--json"]);
    assert_eq!(keys(&serde_json::from_str(&out).expect("json")), [mail]);
    assert!(err.contains("service 'correo'"), "{err}");
    let (out, err) = ok_with_stderr(&env, &["list", "--level", "5", "--json"]);
    assert_eq!(keys(&serde_json::from_str(&out).expect("json")), [vendor]);
    assert!(err.contains("level 5 is not in escalation.toml"), "{err}");

    let err = env.fail(&["list", "--assignee", "carlos"]);
    assert!(err.contains("unknown operator 'carlos'"), "{err}");
    let err = env.fail(&["list", "--level", "6"]);
    assert!(err.contains("level 6 does not exist"), "{err}");
    let err = env.fail(&["list", "--service", "corre"]);
    assert!(err.contains("unknown service 'corre'"), "{err}");
}

/// Fix 3: `low` renamed `baja` keeps the label "Low": `--priority low`
/// lists the tickets that still hold the id `low` (the stored id wins over
/// the label), with a note naming `baja`; `--priority baja` and the label
/// in another case find `baja`.
#[test]
fn list_priority_prefers_an_id_tickets_hold_over_a_label() {
    let env = Env::new();
    let old = env.incident_with(
        "Antes",
        "Prioridad baja",
        &["--impact", "low", "--urgency", "low"],
    );
    rename_priority_low_to_baja(&env);
    let new = env.incident_with(
        "Después",
        "Prioridad baja",
        &["--impact", "low", "--urgency", "low"],
    );
    assert_eq!(env.show(&new)["priority"], "baja");

    let (out, err) = ok_with_stderr(&env, &["list", "--priority", "low", "--json"]);
    assert_eq!(keys(&serde_json::from_str(&out).expect("json")), [old]);
    assert!(
        err.contains("priority 'low' is not in priority.toml"),
        "{err}"
    );
    assert!(err.contains("--priority baja"), "{err}");
    assert_eq!(env.list_keys(&["--priority", "LOW"]), [new.as_str()]);
    assert_eq!(env.list_keys(&["--priority", "baja"]), [new]);
}

/// Fix 4: a runbook renamed after it was started, and an item renamed
/// after it was ticked: `show` still shows the evidence recorded, marked
/// as no longer configured; ticking the old runbook says it is no longer
/// configured and what to do (it used to say "known:" and nothing).
#[test]
fn evidence_of_a_renamed_runbook_or_item_stays_visible() {
    let mut env = Env::new();
    let key = env.incident("Error en OSF", "No abre");
    env.ok(&["runbook", "run", "osf-preguntas-clave", &key]);
    env.ok(&[
        "runbook",
        "tick",
        &key,
        "afectados",
        "--evidence",
        "tres personas",
    ]);
    env.ok(&[
        "runbook",
        "tick",
        &key,
        "ejecutable",
        "--evidence",
        "FACT01",
    ]);
    let runbooks = default_config("runbooks.toml");

    // The item renamed.
    env.write_config(
        "runbooks.toml",
        &replace_once(&runbooks, "id = \"afectados\"", "id = \"personas\""),
    );
    let out = env.ok(&["show", &key]);
    assert!(
        out.contains("[x] afectados — tres personas (ana")
            && out.contains("[not in the configuration]"),
        "{out}"
    );
    assert!(out.contains("(personas)"), "the new item, unticked:\n{out}");
    let err = env.fail(&["runbook", "tick", &key, "afectados", "--evidence", "x"]);
    assert!(
        err.contains("'afectados' was ticked on this ticket, but runbook 'osf-preguntas-clave' no longer has that item"),
        "{err}"
    );
    let out = env.ok(&["config", "check"]);
    let line = warning(&out, "an item its runbook no longer has");
    assert!(
        line.contains("'afectados' (of runbook osf-preguntas-clave, 1)"),
        "{line}"
    );
    assert!(line.contains(&key), "{line}");

    // The whole runbook renamed.
    env.write_config(
        "runbooks.toml",
        &replace_once(
            &runbooks,
            "id = \"osf-preguntas-clave\"",
            "id = \"osf-preguntas\"",
        ),
    );
    let out = env.ok(&["show", &key]);
    assert!(
        out.contains("Runbook: osf-preguntas-clave")
            && out.contains("no longer in the configuration")
            && out.contains("[x] afectados — tres personas")
            && out.contains("[x] ejecutable — FACT01"),
        "{out}"
    );
    let err = env.fail(&["runbook", "tick", &key, "unidad-s", "--evidence", "sí"]);
    assert!(
        err.contains(
            "runbook 'osf-preguntas-clave' started on this ticket is no longer in runbooks.toml"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!("guardia runbook run NAME {key}")),
        "{err}"
    );
    assert!(
        !err.contains("known: ;") && !err.trim_end().ends_with("known:"),
        "{err}"
    );
    let out = env.ok(&["config", "check"]);
    assert!(
        warning(&out, "a runbook runbooks.toml no longer has")
            .contains("'osf-preguntas-clave' (1)"),
        "{out}"
    );
    env.lang = "es".into();
    let es = env.ok(&["show", &key]);
    assert!(es.contains("ya no está en la configuración"), "{es}");
}

/// Fix 5: a ticket at a level the matrix no longer has is told so, with
/// how to bring it back, and `escalate --level N` to a level of the
/// matrix brings it back (it used to say "already at level 5, the highest
/// in the escalation matrix").
#[test]
fn a_ticket_at_a_removed_level_is_brought_back_into_the_matrix() {
    let env = Env::new();
    let key = env.api_incident("API caída", "Timeout");
    env.ok(&["escalate", &key, "--level", "5"]);
    let escalation = default_config("escalation.toml");
    let level5 = escalation.find("[[level]]\nn = 5\n").expect("level 5");
    let end = escalation[level5..]
        .find("\n# ---")
        .map_or(escalation.len(), |at| level5 + at + 1);
    env.write_config(
        "escalation.toml",
        &format!("{}{}", &escalation[..level5], &escalation[end..]),
    );
    env.write_config(
        "operators.toml",
        &replace_once(&default_config("operators.toml"), "level = 5", "level = 4"),
    );

    let err = env.fail(&["dossier", &key]);
    assert!(!err.contains("the highest"), "{err}");
    assert!(
        err.contains("the ticket is at level 5, which the escalation matrix no longer has"),
        "{err}"
    );
    assert!(
        err.contains(&format!("guardia escalate {key} --level N")),
        "{err}"
    );
    let err = env.fail(&["escalate", &key, "--level", "6"]);
    assert!(err.contains("level 6 does not exist"), "{err}");
    assert!(err.contains("no longer has"), "{err}");
    let err = env.fail(&["set", &key, "level=4"]);
    assert!(err.contains("guardia escalate"), "{err}");

    env.ok(&["escalate", &key, "--level", "4"]);
    let t = env.show(&key);
    assert_eq!(t["level"], 4, "{t}");
    let last = t["escalations"].as_array().and_then(|e| e.last()).cloned();
    assert_eq!(
        last.map(|e| (e["from_level"].clone(), e["to_level"].clone())),
        Some((5.into(), 4.into()))
    );
    assert!(!env.ok(&["config", "check"]).contains("warning:"));
    // Back in the matrix, the usual rule holds again.
    let err = env.fail(&["escalate", &key, "--level", "3"]);
    assert!(err.contains("already at level 4"), "{err}");
}

/// Fix 5: a ticket whose type was removed: moving it says so once, with
/// its key once and what to do (it used to say "BOG-1: BOG-1: its type
/// ... has no workflow in this configuration").
#[test]
fn moving_a_ticket_of_a_removed_type_says_its_key_once_and_the_fix() {
    let env = Env::new();
    let key = service_request(&env);
    env.write_config(
        "types.toml",
        &without_table(&default_config("types.toml"), "type", "service_request"),
    );
    env.write_config(
        "workflows.toml",
        &replace_once(
            &default_config("workflows.toml"),
            "types = [\"service_request\"]\n",
            "",
        ),
    );
    let err = env.fail(&["move", &key, "cancelled"]);
    assert_eq!(err.matches(&key).count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("guardia: {key}: its type 'service_request'")),
        "{err}"
    );
    assert!(err.contains("put the type back in types.toml"), "{err}");
    let err = env.fail(&["reject", &key, "--reason", "missing_docs"]);
    assert_eq!(err.matches(&key).count(), 1, "{err}");
    assert!(err.contains("put the type back in types.toml"), "{err}");
}

/// The configuration after carla left (the level-5 role she held moved to
/// level 4), the service correo was removed and the matrix lost level 5.
fn remove_carla_correo_and_level_5(env: &Env) {
    env.write_config(
        "operators.toml",
        &replace_once(
            &without_table(&default_config("operators.toml"), "operator", "carla"),
            "level = 5",
            "level = 4",
        ),
    );
    env.write_config(
        "services.toml",
        &without_table(&default_config("services.toml"), "service", "correo"),
    );
    let escalation = default_config("escalation.toml");
    let level5 = escalation.find("[[level]]\nn = 5\n").expect("level 5");
    let end = escalation[level5..]
        .find("\n# ---")
        .map_or(escalation.len(), |at| level5 + at + 1);
    env.write_config(
        "escalation.toml",
        &format!("{}{}", &escalation[..level5], &escalation[end..]),
    );
}

/// `show` says which of a ticket's values the configuration no longer has
/// (a renamed priority, impact or state), and names a state by its
/// workflow's label with the id beside it.
#[test]
fn show_marks_values_the_configuration_no_longer_has() {
    let mut env = Env::new();
    let key = env.incident_with("Caja lenta", "x", &["--impact", "low", "--urgency", "low"]);
    let before = env.ok(&["show", &key]);
    assert!(before.contains("Status    Registered (new)"), "{before}");
    assert!(!before.contains("not in the configuration"), "{before}");
    let priority = default_config("priority.toml");
    let at = priority
        .find("[[impact]]\nid = \"low\"")
        .expect("impact low");
    env.write_config(
        "priority.toml",
        &format!(
            "{}{}",
            &priority[..at],
            priority[at..]
                .replacen("id = \"low\"", "id = \"bajo\"", 1)
                .replacen("\nlow = { high", "\nbajo = { high", 1)
        ),
    );
    let after = env.ok(&["show", &key]);
    let line = after
        .lines()
        .find(|l| l.contains("Priority"))
        .unwrap_or_default();
    assert!(
        line.contains("impact low [not in the configuration]"),
        "{line}"
    );
    env.lang = "es".into();
    let es = env.ok(&["show", &key]);
    assert!(es.contains("[no está en la configuración]"), "{es}");
}

/// The configuration after the priority `low` was renamed `baja` (its
/// label kept), in the matrix and the SLA targets alike.
fn rename_priority_low_to_baja(env: &Env) {
    let priority = default_config("priority.toml").replacen("id = \"low\"", "id = \"baja\"", 1);
    let matrix = priority.find("[matrix]").expect("matrix");
    let rules = priority[matrix..].find("[[rule]]").expect("rules") + matrix;
    let priority = format!(
        "{}{}{}",
        &priority[..matrix],
        priority[matrix..rules].replace("\"low\"", "\"baja\""),
        &priority[rules..]
    );
    env.write_config("priority.toml", &priority);
    env.write_config(
        "sla.toml",
        &default_config("sla.toml").replace("\nlow = {", "\nbaja = {"),
    );
}

/// A service request (the type some tests remove from types.toml), by its key.
fn service_request(env: &Env) -> String {
    key_of(&env.json(&[
        "new",
        "--type",
        "service_request",
        "--service",
        "osf",
        "--title",
        "Instalar impresora",
        "--description",
        "Una impresora nueva",
        "--field",
        "request_category=asistencia_tecnica",
        "--json",
    ]))
}
