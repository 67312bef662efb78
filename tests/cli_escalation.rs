//! Escalation (functional and hierarchical), the dossier, runbooks and
//! rejections.

mod common;

use common::*;
use serde_json::{Value, json};

/// Level 2's dossier (escalation.toml) minus what an incident already has at
/// registration and minus `level1_checks`.
const LEVEL2_FIELDS: &[&str] = &[
    "incident_detail=El proceso FACT01 termina con ORA-06502 en el ciclo 12",
    "business_impact=No se facturan 3.000 contratos",
    "affected_users=8",
    "error_message=ORA-06502: PL/SQL: numeric or value error",
    "replication_steps=1. Abrir FACT01 2. Ciclo 12 3. Ejecutar",
    "trace=traza-fact01.log",
];

const ADMIN_ITEMS: &[&str] = &[
    "comunicacion-bd",
    "zona",
    "nuevos-desarrollos",
    "ausencia-servicio",
];
const KEY_QUESTIONS: &[&str] = &[
    "inicio-sesion",
    "ejecutable",
    "unidad-s",
    "ubicacion",
    "afectados",
    "mismo-error",
];

fn fill_level2(env: &Env, key: &str) {
    let mut args = vec!["set", key];
    args.extend_from_slice(LEVEL2_FIELDS);
    env.ok(&args);
}

fn complete_runbook(env: &Env, key: &str, runbook: &str, items: &[&str]) {
    env.ok(&["runbook", "run", runbook, key]);
    for item in items {
        env.ok(&[
            "runbook",
            "tick",
            key,
            item,
            "--evidence",
            &format!("verificado {item}"),
        ]);
    }
}

#[test]
fn escalation_to_level_2_is_refused_listing_every_missing_dossier_field() {
    let env = Env::new();
    let key = env.incident("Factura no sale", "Error al generar la factura");
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(err.contains(&key), "{err}");
    assert!(
        err.contains(
            "escalating to level 2 needs the dossier fields level1_checks, incident_detail, \
             business_impact, affected_users, error_message, replication_steps, trace"
        ),
        "{err}"
    );
    assert!(err.contains("guardia set"), "says how to fix it: {err}");
    // The fields given at registration are not listed.
    assert!(!err.contains("reporter_email"), "{err}");
    assert_eq!(env.show(&key)["level"], 1);

    // With the fields filled, only the level-1 checks remain.
    fill_level2(&env, &key);
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(
        err.contains("needs the dossier fields level1_checks;"),
        "only level1_checks is missing: {err}"
    );
    assert!(err.contains("level-1 runbook"), "{err}");
}

#[test]
fn a_completed_key_questions_runbook_satisfies_level1_checks() {
    let env = Env::new();
    let key = env.incident("No deja legalizar órdenes", "Legalización falla");
    fill_level2(&env, &key);
    env.ok(&["runbook", "run", "osf-preguntas-clave", &key]);
    // All but one item: still refused.
    for item in &KEY_QUESTIONS[..KEY_QUESTIONS.len() - 1] {
        env.ok(&["runbook", "tick", &key, item, "--evidence", "sí"]);
    }
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(err.contains("level1_checks"), "{err}");
    let out = env.ok(&[
        "runbook",
        "tick",
        &key,
        "mismo-error",
        "--evidence",
        "sí, a todos",
    ]);
    assert_eq!(
        out.trim_end(),
        format!("{key}: osf-preguntas-clave/mismo-error ticked")
    );

    let out = env.ok_as(
        "bruno",
        &["escalate", &key, "--level", "2", "--note", "urgente"],
    );
    assert!(
        out.contains(&format!("{key}: escalated to level 2")),
        "{out}"
    );
    assert!(out.contains("# Escalation"), "prints the dossier: {out}");
    assert!(
        out.contains("Diego Morales Vélez"),
        "level 2 contacts: {out}"
    );
    assert!(out.contains("Level-1 runbook completed"), "{out}");

    // The dossier sent can be printed again, as it was sent (to forward it
    // to a second contact), though the next dossier is now level 3's, and
    // though the ticket was edited since.
    let title_then = env.show(&key)["title"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let priority_then = env.show(&key)["priority"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    env.ok(&[
        "set",
        &key,
        "title=Título cambiado después",
        "impact=high",
        "urgency=high",
    ]);
    assert_ne!(env.show(&key)["priority"], priority_then.as_str());
    let json = env.json(&["dossier", &key, "--sent", "--format", "json"]);
    assert_eq!(json["dossier"]["title"], title_then.as_str(), "{json}");
    // The priority by its label, as it was (medium), not as it is now.
    assert_eq!(priority_then, "medium");
    assert_eq!(json["dossier"]["priority"], "Medium", "{json}");
    let sent = env.ok(&["dossier", &key, "--sent"]);
    assert!(!sent.contains("Título cambiado"), "{sent}");
    assert!(
        sent.contains("Diego Morales Vélez"),
        "level 2 contacts: {sent}"
    );
    assert!(sent.contains("Level-1 runbook completed"), "{sent}");
    assert!(sent.contains("Sent by bruno on"), "{sent}");
    let json = env.json(&["dossier", &key, "--sent", "--format", "json"]);
    assert_eq!(json["by"], "bruno", "{json}");
    assert_eq!(json["dossier"]["to_level"], 2, "{json}");

    let t = env.show(&key);
    assert_eq!(t["level"], 2);
    let esc = &t["escalations"][0];
    assert_eq!(esc["mode"], "functional");
    assert_eq!(esc["from_level"], 1);
    assert_eq!(esc["to_level"], 2);
    assert_eq!(esc["by"], "bruno");
    assert_eq!(esc["note"], "urgente");
    // The log keeps the dossier snapshot that was sent.
    let log = env.json(&["log", &key, "--json"]);
    let op = log
        .as_array()
        .expect("ops")
        .iter()
        .find(|o| o["kind"] == "escalate")
        .expect("escalate op")
        .clone();
    // Typed as the ticket holds it (a number), not as display text.
    assert_eq!(op["value"]["dossier"]["affected_users"], 8);
    assert_eq!(op["value"]["to"], 2);
}

#[test]
fn a_completed_administration_runbook_satisfies_level1_checks() {
    let env = Env::new();
    let key = env.incident("Proceso de cierre detenido", "Cierre mensual");
    fill_level2(&env, &key);
    complete_runbook(&env, &key, "osf-administracion", &ADMIN_ITEMS[..3]);
    env.fail(&["escalate", &key, "--level", "2"]);
    env.ok(&[
        "runbook",
        "tick",
        &key,
        "osf-administracion/ausencia-servicio",
        "--evidence",
        "no hay ausencia",
    ]);
    let d = env.json(&["escalate", &key, "--level", "2", "--json"]);
    assert_eq!(d["to_level"], 2);
    assert_eq!(d["missing"], json!([]));
    let evidence = d["evidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 4);
    assert!(
        evidence
            .iter()
            .all(|e| e["checked"] == true && e["by"] == "ana")
    );
    assert_eq!(env.show(&key)["level"], 2);
}

#[test]
fn level1_checks_can_also_be_written_as_a_field() {
    let env = Env::new();
    let key = env.incident("Lecturas inconsistentes", "Zona Caldas");
    fill_level2(&env, &key);
    env.ok(&["set", &key, "level1_checks=Se validó comunicación y zona"]);
    env.ok(&["escalate", &key, "--level", "2"]);
    assert_eq!(env.show(&key)["level"], 2);
}

/// Service `osf` marks level 3 as "not applicable" (services.toml, seed 000
/// §14). What the code does: escalating 2 → 3 needs no dossier fields at all,
/// the dossier names the level as not applicable, and the escalation is
/// recorded. Jumping 1 → 3 still needs level 2's dossier.
#[test]
fn level_3_is_not_applicable_for_osf() {
    let env = Env::new();
    let key = env.incident("Recaudo en línea caído", "No registra pagos");
    fill_level2(&env, &key);
    // Straight to 3 from 1: level 2's dossier is required.
    let err = env.fail(&["escalate", &key, "--level", "3"]);
    assert!(
        err.contains("escalating to level 3 needs the dossier fields of level 2: level1_checks"),
        "{err}"
    );
    complete_runbook(&env, &key, "osf-administracion", ADMIN_ITEMS);
    env.ok(&["escalate", &key, "--level", "2"]);

    let d = env.json(&["dossier", &key, "--format", "json"]);
    assert_eq!(d["to_level"], 3, "the default target is the next level");
    assert_eq!(d["items"], json!([]), "no fields are required for level 3");
    assert_eq!(d["missing"], json!([]));
    let na = d["not_applicable"].as_array().expect("not_applicable");
    assert_eq!(na.len(), 1);
    assert_eq!(na[0][0], 3);
    assert!(
        na[0][1].as_str().expect("note").contains("No aplica"),
        "{d}"
    );
    let md = env.ok(&["dossier", &key]);
    assert!(md.contains("- Level 3: No aplica"), "{md}");

    let out = env.ok(&["escalate", &key, "--level", "3"]);
    assert!(out.contains("escalated to level 3"), "{out}");
    let t = env.show(&key);
    assert_eq!(t["level"], 3);
    assert_eq!(t["escalations"].as_array().expect("escalations").len(), 2);
    // For another service level 3 does require its dossier.
    let other = env.api_incident("API caída", "Timeout");
    let d = env.json(&["dossier", &other, "--level", "3", "--format", "json"]);
    assert_eq!(
        d["not_applicable"],
        json!([]),
        "only osf marks level 3 as not applicable"
    );
}

/// The refusal tells the operator to `guardia set KEY FIELD=VALUE` each
/// missing dossier field, so every field the gate asks for must be one the
/// ticket's type can hold: an API incident is not asked for the incident
/// fields of seed 000 §13 (reporter_email, extension, executable, ...).
#[test]
fn every_missing_dossier_field_can_be_set_on_the_ticket() {
    let env = Env::new();
    let api = env.api_incident("API caída", "Timeout");
    let d = env.json(&["dossier", &api, "--level", "2", "--format", "json"]);
    let mut unsettable = Vec::new();
    for field in d["missing"].as_array().expect("missing") {
        let field = field.as_str().expect("field");
        if field == "level1_checks" {
            continue;
        }
        let out = env.output_as("ana", &["set", &api, &format!("{field}=x@example.org")]);
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("is not a field of ticket type") {
            unsettable.push(field.to_string());
        }
    }
    assert!(
        unsettable.is_empty(),
        "the level-2 dossier of {api} (api_incident) requires fields its type cannot hold: {unsettable:?}"
    );
}

#[test]
fn escalation_levels_are_checked() {
    let env = Env::new();
    let key = env.incident("Nivel", "Niveles");
    let err = env.fail(&["escalate", &key, "--level", "9"]);
    assert!(err.contains("level 9 does not exist"), "{err}");
    assert!(err.contains("levels 1 to 5"), "{err}");
    let err = env.fail(&["escalate", &key, "--level", "1"]);
    assert!(err.contains("already at level 1"), "{err}");
    let err = env.fail(&["dossier", &key, "--level", "7"]);
    assert!(err.contains("level 7 does not exist"), "{err}");
    // A dossier is written for an escalation: not for the level the ticket
    // is at (it used to render "Level: 1 → 1").
    let err = env.fail(&["dossier", &key, "--level", "1"]);
    assert!(err.contains("already at level 1"), "{err}");
    assert!(err.contains("2 to 5"), "{err}");
    let md = env.ok(&["dossier", &key]);
    assert!(md.contains("1 → 2"), "{md}");
}

#[test]
fn hierarchical_escalation_is_recorded_without_changing_the_level() {
    let env = Env::new();
    let key = env.incident("Caída parcial", "Sede Manizales");
    let out = env.ok(&[
        "escalate",
        &key,
        "--hierarchical",
        "--to",
        "head",
        "--note",
        "informar al jefe",
    ]);
    assert!(
        out.contains("hierarchical escalation to head recorded"),
        "{out}"
    );
    assert!(
        out.contains("Inés Valencia Cruz <ines.valencia@example.org>"),
        "{out}"
    );
    let v = env.json(&[
        "escalate",
        &key,
        "--hierarchical",
        "--to",
        "incident_manager",
        "--json",
    ]);
    assert_eq!(v["mode"], "hierarchical");
    assert_eq!(v["role"], "incident_manager");
    assert_eq!(v["inform"][0]["id"], "ines");

    let t = env.show(&key);
    assert_eq!(t["level"], 1);
    let esc = t["escalations"].as_array().expect("escalations");
    assert_eq!(esc.len(), 2);
    assert_eq!(esc[0]["mode"], "hierarchical");
    assert_eq!(esc[0]["to_role"], "head");
    assert_eq!(esc[0]["to_level"], Value::Null);
    assert_eq!(esc[0]["note"], "informar al jefe");
    assert_eq!(esc[0]["by"], "ana");
    assert_eq!(esc[1]["to_role"], "incident_manager");

    let err = env.fail(&["escalate", &key, "--hierarchical", "--to", "ceo"]);
    assert!(err.contains("unknown role 'ceo'"), "{err}");
    assert!(err.contains("head"), "{err}");

    // It goes up: never to the first line, nor to a role the one
    // escalating holds (ana is an agent; ines is the head).
    let before = env.json(&["show", &key, "--json"])["escalations"].clone();
    let err = env.fail(&["escalate", &key, "--hierarchical", "--to", "agent"]);
    assert!(
        err.contains(&format!("{key}: a hierarchical escalation informs a role above you, not 'agent': 'ana' holds that role; escalate to one of: service_manager")),
        "{err}"
    );
    let err = env.fail_as(
        "ines",
        &["escalate", &key, "--hierarchical", "--to", "head"],
    );
    assert!(err.contains("not 'head': 'ines' holds that role"), "{err}");
    assert!(
        !err.contains("one of: agent") && !err.contains(", head"),
        "{err}"
    );
    assert_eq!(env.json(&["show", &key, "--json"])["escalations"], before);
}

#[test]
fn escalate_usage_errors_come_from_the_parser() {
    let env = Env::new();
    let key = env.incident("Uso", "Uso");
    for args in [
        &["escalate", key.as_str()][..],
        &["escalate", key.as_str(), "--hierarchical"][..],
        &[
            "escalate",
            key.as_str(),
            "--level",
            "2",
            "--hierarchical",
            "--to",
            "head",
        ][..],
    ] {
        let out = env.cmd().args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?} is a usage error");
    }
}

#[test]
fn dossier_markdown_and_json() {
    let env = Env::new();
    let key = env.incident(
        "Pantalla congelada",
        "La pantalla de atención se congela\nen la sede Pereira",
    );
    env.ok(&["set", &key, "incident_detail=Forma CRM-ATC-01"]);
    let md = env.ok(&["dossier", &key, "--format", "md"]);
    assert!(
        md.starts_with(&format!("# Escalation {key} — Pantalla congelada")),
        "{md}"
    );
    assert!(md.contains("- **Service:** Open Smartflex"), "{md}");
    assert!(md.contains("- **Level:** 1 → 2 (Service manager)"), "{md}");
    assert!(
        md.contains("- **Contact:** Elena Gutiérrez Salazar"),
        "{md}"
    );
    assert!(
        md.contains("- **Incident detail:** Forma CRM-ATC-01"),
        "{md}"
    );
    assert!(md.contains("- **Trace:** _MISSING_"), "{md}");
    assert!(
        md.contains("> Incomplete, missing: level1_checks, business_impact"),
        "{md}"
    );
    assert!(md.contains("en la sede Pereira"), "{md}");
    // Markdown is the default.
    assert_eq!(env.ok(&["dossier", &key]), md);

    let d = env.json(&["dossier", &key, "--format", "json"]);
    assert_eq!(d["key"], key.as_str());
    assert_eq!(d["from_level"], 1);
    assert_eq!(d["to_level"], 2);
    assert_eq!(d["to_level_name"], "Service manager");
    assert_eq!(d["contacts"].as_array().expect("contacts").len(), 2);
    let items = d["items"].as_array().expect("items");
    assert_eq!(items.len(), 11, "level 2 asks for 11 fields");
    let detail = items
        .iter()
        .find(|i| i["field"] == "incident_detail")
        .expect("item");
    assert_eq!(detail["value"], "Forma CRM-ATC-01");
    assert_eq!(detail["label"], "Incident detail");
    let missing: Vec<&str> = d["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|m| m.as_str().expect("str"))
        .collect();
    assert_eq!(
        missing,
        [
            "level1_checks",
            "business_impact",
            "affected_users",
            "error_message",
            "replication_steps",
            "trace"
        ]
    );
    // Spanish labels with --lang es.
    let mut es = Env::empty();
    es.lang = "es".into();
    es.db = env.db.clone();
    es.cfg = env.cfg.clone();
    let md = es.ok(&["dossier", &key]);
    assert!(md.starts_with(&format!("# Escalamiento {key}")), "{md}");
    assert!(md.contains("- **Traza:** _FALTA_"), "{md}");
}

#[test]
fn runbook_list_run_and_tick() {
    let env = Env::new();
    let out = env.ok(&["runbook", "list"]);
    for id in [
        "osf-monitoreo",
        "osf-preguntas-clave",
        "osf-administracion",
        "api-verificacion-previa",
    ] {
        assert!(out.contains(id), "{out}");
    }
    assert!(out.contains("mismo-error"), "items are listed: {out}");
    let list = env.json(&["runbook", "list", "--json"]);
    let admin = list
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == "osf-administracion")
        .expect("runbook")
        .clone();
    assert_eq!(admin["level1_checks"], true);
    assert_eq!(admin["services"], json!(["osf"]));
    assert_eq!(admin["items"].as_array().expect("items").len(), 4);

    let key = env.incident("Runbook", "Checklist");
    // Ticking before a run is refused.
    let err = env.fail(&["runbook", "tick", &key, "zona"]);
    assert!(
        err.contains("no runbook is running on this ticket"),
        "{err}"
    );
    assert!(err.contains("guardia runbook run"), "{err}");
    // Unknown runbook.
    let err = env.fail(&["runbook", "run", "nada", &key]);
    assert!(err.contains("unknown runbook 'nada'"), "{err}");
    // A runbook of another service.
    let err = env.fail(&["runbook", "run", "api-verificacion-previa", &key]);
    assert!(err.contains("applies to api-mayorista"), "{err}");

    let out = env.ok(&["runbook", "run", "osf-administracion", &key]);
    assert!(out.contains("runbook osf-administracion started"), "{out}");
    let err = env.fail(&["runbook", "run", "osf-administracion", &key]);
    assert!(err.contains("already running"), "{err}");
    // Unknown item: names the items of the running runbooks.
    let err = env.fail(&["runbook", "tick", &key, "nada"]);
    assert!(err.contains("unknown runbook item 'nada'"), "{err}");
    assert!(err.contains("osf-administracion/zona"), "{err}");

    // A tick is evidence of a check: blank evidence is refused, and an
    // untick takes none.
    for blank in [&[][..], &["--evidence", "   "][..]] {
        let err = env.fail(&[&["runbook", "tick", key.as_str(), "zona"][..], blank].concat());
        assert!(err.contains("needs its evidence"), "{err}");
    }
    env.ok_as(
        "carla",
        &["runbook", "tick", &key, "zona", "--evidence", "solo Caldas"],
    );
    let err = env.fail(&["runbook", "tick", &key, "zona", "--undo", "--evidence", "x"]);
    assert!(err.contains("--undo takes no evidence"), "{err}");
    let t = env.show(&key);
    let run = &t["runbooks"][0];
    assert_eq!(run["runbook"], "osf-administracion");
    assert_eq!(run["started_by"], "ana");
    let tick = &run["ticks"][0];
    assert_eq!(tick["item"], "zona");
    assert_eq!(tick["checked"], true);
    assert_eq!(tick["evidence"], "solo Caldas");
    assert_eq!(tick["by"], "carla");
    assert_eq!(tick["at"], "2026-03-02T14:30:00Z");
    let out = env.ok(&["show", &key]);
    assert!(
        out.contains("[x] Validar si el inconveniente es a nivel de zona"),
        "{out}"
    );
    assert!(out.contains("[ ] "), "{out}");

    let out = env.ok(&["runbook", "tick", &key, "zona", "--undo"]);
    assert!(out.contains("unticked"), "{out}");
    assert_eq!(env.show(&key)["runbooks"][0]["ticks"][0]["checked"], false);
}

#[test]
fn reject_with_unknown_reason_and_duplicate_rules() {
    let env = Env::new();
    let original = env.incident("Factura del ciclo 12", "No se genera");
    let copy = env.incident("Factura ciclo 12 otra vez", "No se genera la factura");
    let err = env.fail(&["reject", &copy, "--reason", "aburrido"]);
    assert!(err.contains("unknown rejection reason 'aburrido'"), "{err}");
    assert!(
        err.contains("critical, missing_docs, config_request, duplicate"),
        "{err}"
    );

    let err = env.fail(&["reject", &copy, "--reason", "duplicate"]);
    assert!(err.contains("needs the original ticket"), "{err}");
    assert!(err.contains("--of KEY"), "{err}");
    // The likeliest original is proposed (same service, similar words).
    assert!(
        err.contains(&format!("most likely: {original} (Factura del ciclo 12)")),
        "{err}"
    );
    let err = env.fail(&["reject", &copy, "--reason", "duplicate", "--of", &copy]);
    assert!(err.contains("cannot duplicate itself"), "{err}");
    let err = env.fail(&[
        "reject",
        &copy,
        "--reason",
        "missing_docs",
        "--of",
        &original,
    ]);
    assert!(err.contains("--of is only for duplicates"), "{err}");
    let err = env.fail(&["reject", &copy, "--reason", "duplicate", "--of", "BOG-404"]);
    assert!(err.contains("no ticket 'BOG-404'"), "{err}");
    assert_eq!(env.show(&copy)["status"], "new", "nothing changed");

    let out = env.ok(&["reject", &copy, "--reason", "duplicate", "--of", &original]);
    assert!(
        out.contains(&format!("{copy} rejected (duplicate)")),
        "{out}"
    );
    assert!(out.contains(&format!("duplicate of {original}")), "{out}");
    assert!(
        out.contains("Follow the original ticket"),
        "guidance: {out}"
    );
    let t = env.show(&copy);
    assert_eq!(t["status"], "rejected");
    assert_eq!(t["reject_reason"], "duplicate");
    assert_eq!(t["duplicate_of"], original.as_str());
    assert_eq!(
        t["links"],
        json!([{"kind": "duplicate_of", "target": original.as_str()}])
    );
    // Rejected is final for rejecting again.
    let err = env.fail(&["reject", &copy, "--reason", "missing_docs"]);
    assert!(err.contains("already in state 'rejected'"), "{err}");

    // The original must be a live incident: not a finished one, not a
    // problem record; and a chain does not suggest a dead original.
    let third = env.incident("Factura ciclo 12, tercera vez", "No se genera");
    let gone = env.incident("Factura ciclo 12 de nuevo", "No se genera");
    env.ok_as("ines", &["move", &gone, "cancelled"]);
    let err = env.fail(&["reject", &third, "--reason", "duplicate", "--of", &gone]);
    assert!(
        err.contains(&format!("{gone} is already cancelled")),
        "{err}"
    );
    assert!(
        err.contains("this ticket is not a duplicate: work it"),
        "{err}"
    );
    let problem = env.problem("Facturación del ciclo 12", "Varias facturas");
    let err = env.fail(&["reject", &third, "--reason", "duplicate", "--of", &problem]);
    assert!(
        err.contains("is a problem or known error record, not an incident"),
        "{err}"
    );
    env.ok_as("ines", &["move", &original, "cancelled"]);
    let err = env.fail(&["reject", &third, "--reason", "duplicate", "--of", &copy]);
    assert!(err.contains("was itself rejected"), "{err}");
    assert!(
        !err.contains("perhaps"),
        "suggests a cancelled original: {err}"
    );
    assert_eq!(env.show(&third)["status"], "new", "nothing changed");
}

/// The user guide's path: the help desk rejects a total outage as critical,
/// then the incident manager declares the major incident from it. The
/// rejected ticket stays rejected; a new ticket carries the major incident,
/// with the rejected one as its first report, and reports can be attached.
#[test]
fn a_ticket_rejected_as_critical_is_declared_through_a_new_major_incident() {
    let env = Env::new();
    // Critical (impact and urgency high): `critical` rejects only those.
    let key = env.incident_with(
        "Caída total de OSF",
        "Nadie puede facturar",
        &["--impact", "high", "--urgency", "high"],
    );
    env.ok(&["reject", &key, "--reason", "critical"]);
    let err = env.fail(&["major", "show", &key]);
    assert!(err.contains("is not a major incident"), "{err}");
    let out = env.ok_as(
        "ines",
        &["major", "declare", &key, "--reason", "Caída total"],
    );
    assert!(out.contains("declared a major incident"), "{out}");
    assert!(
        out.contains(&format!("registered from {key} (rejected as critical)")),
        "{out}"
    );
    let majors = env.json(&["major", "list", "--json"]);
    let major = majors[0]["key"]
        .as_str()
        .expect("a major incident")
        .to_string();
    assert_ne!(major, key);
    let m = env.show(&major);
    assert_eq!(m["title"], "Caída total de OSF");
    assert_eq!(m["route"], "major_incident");
    assert_eq!(env.show(&key)["status"], "rejected", "the rejection stands");
    let report = env.incident("OSF no abre en la sede norte", "No abre");
    let out = env.ok(&["major", "attach", &major, &report]);
    assert!(out.contains("attached"), "{out}");
    let shown = env.json(&["major", "show", &major, "--json"]);
    let text = shown.to_string();
    assert!(text.contains(&key) && text.contains(&report), "{shown}");
}

#[test]
fn reject_critical_routes_to_the_major_incident_path() {
    let env = Env::new();
    // Critical (impact and urgency high): `critical` rejects only those.
    let key = env.incident_with(
        "Caída total de OSF",
        "Nadie puede facturar",
        &["--impact", "high", "--urgency", "high"],
    );
    let out = env.ok(&[
        "reject",
        &key,
        "--reason",
        "critical",
        "--note",
        "caída total",
    ]);
    assert!(out.contains(&format!("{key} rejected (critical)")), "{out}");
    assert!(out.contains("major-incident protocol"), "guidance: {out}");
    assert!(
        out.contains(
            "incident manager: Inés Valencia Cruz <ines.valencia@example.org> +57 601 555 0100"
        ),
        "{out}"
    );
    let t = env.show(&key);
    assert_eq!(t["route"], "major_incident");
    assert_eq!(t["status"], "rejected");
    assert_eq!(t["reject_reason"], "critical");
    let log = env.json(&["log", &key, "--json"]);
    let route = log
        .as_array()
        .expect("ops")
        .iter()
        .find(|o| o["kind"] == "route")
        .expect("route op")
        .clone();
    assert_eq!(route["value"]["to"], "major_incident");
    assert_eq!(route["value"]["role"], "incident_manager");

    let other = env.incident_with(
        "Otra caída",
        "Otra",
        &["--impact", "high", "--urgency", "high"],
    );
    let v = env.json(&["reject", &other, "--reason", "critical", "--json"]);
    assert_eq!(v["route"], "major_incident");
    assert_eq!(v["contacts"][0]["id"], "ines");
    assert!(
        v["guidance"]
            .as_str()
            .expect("guidance")
            .contains("incident managers")
    );
}

#[test]
fn reject_respects_workflow_roles_and_states() {
    let env = Env::new();
    let key = env.incident("En curso", "Ya en curso");
    env.ok(&["move", &key, "in_progress"]);
    let err = env.fail(&["reject", &key, "--reason", "missing_docs"]);
    assert!(
        err.contains("no transition from 'in_progress' to 'rejected'"),
        "{err}"
    );
    let fresh = env.incident("Nuevo", "Nuevo");
    // felipe (it_professional) has none of the roles allowed to reject.
    let err = env.fail_as("felipe", &["reject", &fresh, "--reason", "missing_docs"]);
    assert!(
        err.contains("needs one of the roles agent, service_manager, head"),
        "{err}"
    );
}

/// `runbook list --lang en` marks the runbooks that count as level-1 checks
/// in English; `cli/mod.rs` hard-codes "[nivel 1]" whatever the language.
#[test]
fn runbook_list_marks_level1_runbooks_in_the_chosen_language() {
    let env = Env::new();
    let out = env.ok(&["runbook", "list"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("osf-preguntas-clave"))
        .unwrap_or_else(|| panic!("runbook missing:\n{out}"));
    assert!(
        line.contains("Key intake questions (OSF)"),
        "English name: {line}"
    );
    assert!(
        !line.contains("nivel"),
        "Spanish marker in English output: {line}"
    );
    assert!(
        line.to_lowercase().contains("level-1"),
        "level-1 marker: {line}"
    );
}

#[test]
fn a_type_without_the_checks_field_is_told_to_run_the_runbook_not_to_set_it() {
    let env = Env::new();
    let key = common::key_of(&env.json(&[
        "new",
        "--type",
        "support",
        "--service",
        "osf",
        "--title",
        "Reporte",
        "--description",
        "No genera",
        "--json",
    ]));
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(
        err.contains(&format!("guardia runbook run osf-preguntas-clave {key}")),
        "{err}"
    );
    assert!(
        !err.contains("guardia set"),
        "a field the type lacks cannot be set: {err}"
    );
}

#[test]
fn the_markdown_dossier_keeps_html_and_links_as_text() {
    let env = Env::new();
    let key = env.incident(
        "<img src=x onerror=alert(1)> [pulse aquí](http://evil.example)",
        "<script>alert(1)</script>\nver ![img](http://evil.example/x.png)",
    );
    let md = env.ok(&["dossier", &key, "--format", "md"]);
    assert!(
        md.contains(r"\<img src=x onerror=alert(1)\> \[pulse aquí\](http://evil.example)"),
        "{md}"
    );
    assert!(md.contains(r"> \<script\>alert(1)\</script\>"), "{md}");
    assert!(md.contains(r"!\[img\](http://evil.example/x.png)"), "{md}");
    // Every angle bracket of the ticket's text is escaped.
    let unescaped = md
        .char_indices()
        .filter(|(i, c)| *c == '<' && (*i == 0 || md.as_bytes()[i - 1] != b'\\'))
        .count();
    assert_eq!(unescaped, 0, "{md}");
}

/// A ticket never escalated has no dossier sent: said, with where to look.
#[test]
fn no_sent_dossier_before_an_escalation() {
    let env = Env::new();
    let key = env.incident("Sin escalar", "x");
    let err = env.fail(&["dossier", &key, "--sent"]);
    assert!(
        err.contains(&format!("{key}: no dossier was sent")),
        "{err}"
    );
    assert!(err.contains(&format!("guardia dossier {key}")), "{err}");
}
