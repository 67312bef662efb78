//! The life of a ticket through the command line: `new`, `set`, `assign`,
//! `move`, `comment`, `worklog`, `attach`, `show`, `log`.

mod common;

use common::*;
use serde_json::Value;

const TICKET_KEYS: &[&str] = &[
    "key",
    "type",
    "service",
    "title",
    "description",
    "status",
    "priority",
    "impact",
    "urgency",
    "level",
    "assignee",
    "created_at",
    "updated_at",
    "fields",
];

fn assert_ticket_shape(v: &Value) {
    for k in TICKET_KEYS {
        assert!(v.get(k).is_some(), "ticket JSON lacks `{k}`: {v}");
    }
    assert!(v["fields"].is_object(), "fields is an object: {v}");
    assert!(v["level"].is_u64(), "level is a number: {v}");
    for k in ["created_at", "updated_at"] {
        let s = v[k].as_str().expect("time is a string");
        chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{k}={s}: {e}"));
    }
}

#[test]
fn new_prints_a_human_line_and_json_with_the_contract_keys() {
    let env = Env::new();
    let mut args = vec![
        "new",
        "--type",
        "incident",
        "--service",
        "osf",
        "--title",
        "No genera la factura",
        "--description",
        "Al ejecutar FACT01 aparece un error",
    ];
    args.extend_from_slice(INCIDENT_FIELDS);
    let out = env.ok(&args);
    assert_eq!(out.trim_end(), "registered BOG-1 (new, priority medium)");

    args.push("--json");
    let v = env.json(&args);
    assert_ticket_shape(&v);
    assert_eq!(v["key"], "BOG-2");
    assert_eq!(v["type"], "incident");
    assert_eq!(v["service"], "osf");
    assert_eq!(v["title"], "No genera la factura");
    assert_eq!(v["description"], "Al ejecutar FACT01 aparece un error");
    assert_eq!(v["status"], "new");
    assert_eq!(v["priority"], "medium");
    assert_eq!(v["impact"], "medium");
    assert_eq!(v["urgency"], "medium");
    assert_eq!(v["level"], 1);
    assert_eq!(v["assignee"], Value::Null);
    assert_eq!(v["created_by"], "ana");
    // GUARDIA_NOW is the registration time.
    assert_eq!(v["created_at"], "2026-03-02T14:30:00Z");
    assert_eq!(v["updated_at"], "2026-03-02T14:30:00Z");
    assert_eq!(v["fields"]["reporter_email"], "ana.torres@example.org");
    assert_eq!(v["fields"]["extension"], "5550");
    assert_eq!(v["fields"]["executable"], "FACT01");
    assert_eq!(v["fields"]["environment"], "produccion");
    // The first ticket is a similar open ticket of the same service.
    let similar = v["similar"].as_array().expect("similar");
    assert!(similar.iter().any(|s| s["key"] == "BOG-1"), "{v}");
}

#[test]
fn new_uses_the_default_type_and_the_priority_matrix() {
    let env = Env::new();
    // Default type is `incident`, so its mandatory fields are needed.
    let mut args = vec![
        "new",
        "--service",
        "osf",
        "--title",
        "Sin servicio",
        "--description",
        "Caída",
        "--impact",
        "high",
        "--urgency",
        "high",
        "--json",
    ];
    args.extend_from_slice(INCIDENT_FIELDS);
    let v = env.json(&args);
    assert_eq!(v["type"], "incident");
    assert_eq!(v["priority"], "critical");
    assert_eq!(v["priority_decision"]["from_matrix"], "critical");
    // A rule raises the priority: a critical process affected.
    let v = env.json(&[
        "new",
        "--type",
        "support",
        "--service",
        "correo",
        "--title",
        "Lento",
        "--description",
        "Lento",
        "--impact",
        "low",
        "--urgency",
        "low",
        "--json",
    ]);
    assert_eq!(v["priority"], "low");
    let key = env.incident_with(
        "Facturación detenida",
        "El ciclo no avanza",
        &[
            "--impact",
            "low",
            "--urgency",
            "low",
            "--field",
            "critical_process=facturacion",
        ],
    );
    let t = env.show(&key);
    assert_eq!(t["priority"], "high", "raised by proceso-critico: {t}");
}

#[test]
fn new_with_manual_priority_needs_a_justification() {
    let env = Env::new();
    let base = [
        "new",
        "--type",
        "support",
        "--service",
        "correo",
        "--title",
        "Gerencia sin correo",
        "--description",
        "El gerente no recibe correo",
        "--priority",
        "critical",
    ];
    let err = env.fail(&base);
    assert!(err.contains("needs a justification"), "{err}");
    assert!(
        err.contains("'medium'"),
        "names the computed priority: {err}"
    );
    let mut args = base.to_vec();
    args.extend(["--justification", "Junta directiva en curso", "--json"]);
    let v = env.json(&args);
    assert_eq!(v["priority"], "critical");
    assert_eq!(v["priority_justification"], "Junta directiva en curso");
}

#[test]
fn set_changes_fields_and_impact_recomputes_priority() {
    let env = Env::new();
    let key = env.incident("Error en recaudo", "El recaudo en línea falla");
    let out = env.ok(&["set", &key, "affected_users=12", "trace=ORA-0600"]);
    assert_eq!(out.trim_end(), format!("{key} updated (priority medium)"));
    let t = env.show(&key);
    assert_eq!(t["fields"]["affected_users"], 12, "numbers are numbers");
    assert_eq!(t["fields"]["trace"], "ORA-0600");

    let t = env.json(&["set", &key, "impact=high", "--json"]);
    assert_eq!(t["impact"], "high");
    assert_eq!(t["priority"], "high", "matrix high × medium");
    let t = env.json(&["set", &key, "urgency=high", "--json"]);
    assert_eq!(t["priority"], "critical", "matrix high × high");
    let t = env.json(&["set", &key, "impact=low", "urgency=low", "--json"]);
    assert_eq!(t["priority"], "low");
    // Title and description are settable core fields.
    let t = env.json(&["set", &key, "title=Recaudo caído", "--json"]);
    assert_eq!(t["title"], "Recaudo caído");
    // Clearing an optional field with an empty value removes it.
    let t = env.json(&["set", &key, "trace=", "--json"]);
    assert!(t["fields"].get("trace").is_none(), "{t}");
}

#[test]
fn set_priority_critical_needs_a_justification_which_is_recorded() {
    let env = Env::new();
    let key = env.incident("Caída del ERP", "Nadie puede entrar");
    let err = env.fail(&["set", &key, "priority=critical"]);
    assert!(err.contains("needs a justification"), "{err}");
    assert!(err.contains("--justification"), "{err}");
    assert_eq!(env.show(&key)["priority"], "medium", "nothing changed");

    let t = env.json(&[
        "set",
        &key,
        "priority=critical",
        "--justification",
        "Cierre contable hoy",
        "--json",
    ]);
    assert_eq!(t["priority"], "critical");
    assert_eq!(t["priority_justification"], "Cierre contable hoy");
    // The manual priority holds when impact changes later.
    let t = env.json(&["set", &key, "impact=low", "--json"]);
    assert_eq!(t["priority"], "critical");
    // The justification is in the log with its author.
    let log = env.json(&["log", &key, "--json"]);
    assert!(
        log.as_array()
            .expect("ops")
            .iter()
            .any(|op| op["field"] == "priority_justification"
                && op["value"] == "Cierre contable hoy"
                && op["actor"] == "ana"),
        "{log}"
    );
}

#[test]
fn set_refuses_what_other_commands_own() {
    let env = Env::new();
    let key = env.incident("Pantalla congelada", "Atención al cliente");
    for (assignment, hint) in [
        ("status=closed", "guardia move"),
        ("assignee=bruno", "guardia assign"),
        ("level=3", "guardia escalate"),
        ("type=support", "fixed at registration"),
    ] {
        let err = env.fail(&["set", &key, assignment]);
        assert!(err.contains("cannot be changed with `set`"), "{err}");
        assert!(err.contains(hint), "{assignment}: {err}");
    }
    let err = env.fail(&["set", &key, "environment="]);
    assert!(err.contains("field 'environment'"), "{err}");
    assert!(err.contains("mandatory"), "{err}");
    let err = env.fail(&["set", &key, "company=ACME"]);
    assert!(
        err.contains("not a field of ticket type 'incident'"),
        "{err}"
    );
    let err = env.fail(&["set", &key, "noequals"]);
    assert!(err.contains("'noequals' is not NAME=VALUE"), "{err}");
    // Every refusal of `set` names its ticket first, like other refusals.
    let err = env.fail(&["set", &key, "affected_users=cuarenta"]);
    assert!(
        err.starts_with(&format!(
            "guardia: {key}: field 'affected_users': 'cuarenta' is not a number; write digits"
        )),
        "{err}"
    );
    let err = env.fail(&["set", &key, "status=closed"]);
    assert!(
        err.starts_with(&format!("guardia: {key}: field 'status'")),
        "{err}"
    );
    // An unknown ticket is said before anything about the values.
    let err = env.fail(&["set", "BOG-999", "affected_users=cuarenta"]);
    assert!(err.contains("no ticket 'BOG-999'"), "{err}");
    let err = env.fail(&["set", &key, "priority=high"]);
    assert!(
        err.starts_with(&format!(
            "guardia: {key}: a manual priority needs a justification"
        )),
        "{err}"
    );
    let err = env.fail(&["move", &key, "resolved", "--field", "company=ACME"]);
    assert!(
        err.starts_with(&format!("guardia: {key}: field 'company' is not a field")),
        "{err}"
    );
    let err = env.fail(&["move", "BOG-999", "resolved", "--field", "affected_users=x"]);
    assert!(err.contains("no ticket 'BOG-999'"), "{err}");
}

#[test]
fn assign_moves_new_to_assigned_and_none_unassigns() {
    let env = Env::new();
    let key = env.incident("Reporte vacío", "El reporte de cartera sale vacío");
    let out = env.ok(&["assign", &key, "bruno"]);
    assert_eq!(
        out.trim_end(),
        format!("{key} assigned to bruno (assigned)")
    );
    let t = env.show(&key);
    assert_eq!(t["assignee"], "bruno");
    assert_eq!(t["status"], "assigned");

    let t = env.json(&["assign", &key, "carla", "--json"]);
    assert_eq!(t["assignee"], "carla");
    assert_eq!(t["status"], "assigned");

    let out = env.ok(&["assign", &key, "none"]);
    assert!(out.contains("assigned to nobody"), "{out}");
    let t = env.show(&key);
    assert_eq!(t["assignee"], Value::Null);
    assert_eq!(env.list_keys(&["--assignee", "none"]), vec![key.clone()]);

    let err = env.fail(&["assign", &key, "none"]);
    assert!(err.contains("not assigned to anybody"), "{err}");
    let err = env.fail(&["assign", &key, "zoe"]);
    assert!(err.contains("unknown operator 'zoe'"), "{err}");
    assert!(err.contains("ana, bruno"), "lists the operators: {err}");

    // Assigning a ticket that is past `new` does not move it.
    env.ok(&["move", &key, "in_progress"]);
    let t = env.json(&["assign", &key, "bruno", "--json"]);
    assert_eq!(t["status"], "in_progress");
}

#[test]
fn move_follows_the_workflow() {
    let env = Env::new();
    let key = env.incident("Lentitud", "El módulo de recaudo está lento");
    let out = env.ok(&["move", &key, "in_progress", "--note", "revisando"]);
    assert_eq!(out.trim_end(), format!("{key} is now in_progress"));
    let t = env.json(&["move", &key, "waiting", "--json"]);
    assert_eq!(t["status"], "waiting");
    env.ok(&["move", &key, "in_progress"]);

    // Forbidden: names where it can go.
    let err = env.fail(&["move", &key, "closed"]);
    assert!(
        err.contains("no transition from 'in_progress' to 'closed'"),
        "{err}"
    );
    assert!(
        err.contains("you can go to: waiting, resolved, cancelled"),
        "{err}"
    );
    // Unknown state: names the states.
    let err = env.fail(&["move", &key, "flying"]);
    assert!(err.contains("unknown state 'flying'"), "{err}");
    assert!(
        err.contains("new, assigned, in_progress, waiting, resolved, closed"),
        "{err}"
    );
    // Resolving needs a solution.
    let err = env.fail(&["move", &key, "resolved"]);
    assert!(
        err.contains("entering 'resolved' requires solution"),
        "{err}"
    );
    assert_eq!(env.show(&key)["status"], "in_progress");
    let t = env.json(&[
        "move",
        &key,
        "resolved",
        "--field",
        "solution=Se reinició el servicio de ejecutores",
        "--json",
    ]);
    assert_eq!(t["status"], "resolved");
    assert_eq!(
        t["fields"]["solution"],
        "Se reinició el servicio de ejecutores"
    );
    // Closing needs the customer's conformity (seed 004).
    let err = env.fail(&["move", &key, "closed"]);
    assert!(err.contains("requires customer_conformity"), "{err}");
    env.ok(&[
        "move",
        &key,
        "closed",
        "--field",
        "customer_conformity=Correo del usuario",
    ]);
    // Same state.
    let err = env.fail(&["move", &key, "closed"]);
    assert!(err.contains("already in state 'closed'"), "{err}");
    // Reopening a closed ticket is for head/admin only.
    let err = env.fail(&["move", &key, "in_progress"]);
    assert!(err.contains("needs one of the roles head, admin"), "{err}");
    let t = env.json_as("ines", &["move", &key, "in_progress", "--json"]);
    assert_eq!(t["status"], "in_progress");
}

#[test]
fn role_restricted_move_refused_for_an_agent_allowed_for_the_head() {
    let env = Env::new();
    let key = env.incident("Duplicado de factura", "Kiosco no imprime");
    let err = env.fail_as("ana", &["move", &key, "cancelled"]);
    assert!(err.contains(&key), "{err}");
    assert!(
        err.contains("moving to 'cancelled' needs one of the roles"),
        "{err}"
    );
    assert!(err.contains("operator 'ana' has agent"), "{err}");
    assert_eq!(env.show(&key)["status"], "new");
    let out = env.ok_as("ines", &["move", &key, "cancelled"]);
    assert!(out.contains("is now cancelled"), "{out}");
    // The log records who did it.
    let log = env.json(&["log", &key, "--json"]);
    let last = log.as_array().expect("ops").last().expect("op").clone();
    assert_eq!(last["kind"], "transition");
    assert_eq!(last["actor"], "ines");
}

#[test]
fn move_to_rejected_points_to_reject() {
    let env = Env::new();
    let key = env.incident("Sin acceso", "No puede iniciar sesión");
    let err = env.fail(&["move", &key, "rejected"]);
    assert!(err.contains("guardia reject"), "{err}");
}

#[test]
fn comments_public_and_internal() {
    let env = Env::new();
    let key = env.incident("Órdenes sin sincronizar", "Movilidad no recibe órdenes");
    let out = env.ok(&["comment", &key, "Se llamó al usuario"]);
    assert_eq!(out.trim_end(), format!("{key}: comment added"));
    let out = env.ok_as(
        "bruno",
        &["comment", &key, "Sospecho del release 42", "--internal"],
    );
    assert_eq!(out.trim_end(), format!("{key}: internal note added"));
    let t = env.show(&key);
    let comments = t["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["body"], "Se llamó al usuario");
    assert_eq!(comments[0]["internal"], false);
    assert_eq!(comments[0]["author"], "ana");
    assert_eq!(comments[1]["body"], "Sospecho del release 42");
    assert_eq!(comments[1]["internal"], true);
    assert_eq!(comments[1]["author"], "bruno");
    let human = env.ok(&["show", &key]);
    assert!(human.contains("bruno (internal)"), "{human}");
    let err = env.fail(&["comment", &key, "   "]);
    assert!(err.contains("the comment is empty"), "{err}");
}

#[test]
fn worklog_accepts_durations_and_refuses_bad_ones() {
    let env = Env::new();
    let key = env.incident("Cierre mensual detenido", "El proceso no avanza");
    let out = env.ok(&["worklog", &key, "45m", "--note", "análisis"]);
    assert_eq!(out.trim_end(), format!("{key}: logged 45m"));
    let out = env.ok(&["worklog", &key, "1h30m"]);
    assert_eq!(out.trim_end(), format!("{key}: logged 1h 30m"));
    env.ok(&["worklog", &key, "1.5h"]);
    let t = env.show(&key);
    let minutes: Vec<i64> = t["worklog"]
        .as_array()
        .expect("worklog")
        .iter()
        .map(|w| w["minutes"].as_i64().expect("minutes"))
        .collect();
    assert_eq!(minutes, [45, 90, 90]);
    assert_eq!(t["worklog_minutes"], 225);
    assert_eq!(t["worklog"][0]["note"], "análisis");
    for bad in ["abc", "0m", "1h30", "60d"] {
        let err = env.fail(&["worklog", &key, bad]);
        assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
    }
    let err = env.fail(&["worklog", &key, "abc"]);
    assert!(err.contains("is not a duration"), "{err}");
    assert!(err.contains("45m, 1h30m"), "says what is accepted: {err}");
    assert_eq!(env.show(&key)["worklog_minutes"], 225, "nothing logged");
}

#[test]
fn attach_copies_the_file_content_addressed() {
    let env = Env::new();
    let key = env.incident("Pantallazo del error", "Se adjunta evidencia");
    let file = env.path().join("pantallazo.txt");
    let content = b"ORA-00600: internal error code\n";
    std::fs::write(&file, content).expect("write");
    let sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let out = env.ok(&["attach", &key, file.to_str().expect("utf-8")]);
    assert!(out.contains("attached pantallazo.txt"), "{out}");
    assert!(out.contains(&sha), "{out}");
    let stored = env
        .db
        .parent()
        .expect("db dir")
        .join("attachments")
        .join(&sha[..2])
        .join(&sha);
    assert_eq!(std::fs::read(&stored).expect("stored copy"), content);
    // The original may go away; the copy stays.
    std::fs::remove_file(&file).expect("rm");
    assert!(stored.exists());

    let t = env.show(&key);
    let a = &t["attachments"][0];
    assert_eq!(a["sha256"], sha.as_str());
    assert_eq!(a["name"], "pantallazo.txt");
    assert_eq!(a["size"], content.len());
    assert_eq!(a["author"], "ana");
    // And the sha is in the log.
    let log = env.ok(&["log", &key]);
    assert!(log.contains(&sha[..40]), "{log}");
}

#[test]
fn attach_refuses_missing_and_unreadable_paths() {
    let env = Env::new();
    let key = env.incident("Adjunto", "Sin adjunto");
    let missing = env.path().join("no-such-file.png");
    let err = env.fail(&["attach", &key, missing.to_str().expect("utf-8")]);
    assert!(err.contains("cannot read attachment"), "{err}");
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("check the path"), "{err}");
    // A directory is not a file.
    let err = env.fail(&["attach", &key, env.path().to_str().expect("utf-8")]);
    assert!(err.contains("it is a folder"), "{err}");
    assert!(!err.contains("permissions"), "{err}");
    // Unknown ticket: refused before copying anything.
    let file = env.path().join("ok.txt");
    std::fs::write(&file, "x").expect("write");
    let err = env.fail(&["attach", "BOG-999", file.to_str().expect("utf-8")]);
    assert!(err.contains("no ticket 'BOG-999'"), "{err}");
    assert!(
        !env.db
            .parent()
            .expect("dir")
            .join("attachments")
            .join("2d")
            .exists()
    );
    assert_eq!(env.show(&key)["attachments"], serde_json::json!([]));
}

/// Over 100 MB is a decision, not a fault: the message says why and what to
/// do instead, and does not send the operator to check permissions.
#[test]
fn attach_refuses_a_file_too_large_with_what_to_do() {
    let env = Env::new();
    let key = env.incident("Adjunto grande", "Volcado de memoria");
    let big = env.path().join("volcado.dmp");
    // Sparse: 101 MiB of size without writing it.
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(101 * 1024 * 1024))
        .expect("sparse file");
    let err = env.fail(&["attach", &key, big.to_str().expect("utf-8")]);
    assert!(err.contains("it is 101 MB"), "{err}");
    assert!(err.contains("limited to 100 MB"), "{err}");
    assert!(err.contains("compress it"), "{err}");
    assert!(!err.contains("permissions"), "{err}");
    assert_eq!(env.show(&key)["attachments"], serde_json::json!([]));
}

/// An `attach` killed mid-copy leaves a `.incoming-*` file; the next attach
/// removes the ones nobody has written to for an hour, and leaves a recent
/// one (a copy that may still be running in another process).
#[test]
fn attach_clears_copies_abandoned_by_a_killed_attach() {
    let env = Env::new();
    let key = env.incident("Adjunto", "Con restos");
    let store = env.db.parent().expect("dir").join("attachments");
    std::fs::create_dir_all(&store).expect("mkdir");
    let old = store.join(".incoming-abandonado");
    let recent = store.join(".incoming-en-curso");
    std::fs::write(&old, "mitad").expect("write");
    std::fs::write(&recent, "mitad").expect("write");
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .and_then(|f| f.set_modified(two_hours_ago))
        .expect("age the file");
    let file = env.path().join("nota.txt");
    std::fs::write(&file, "contenido").expect("write");
    env.ok(&["attach", &key, file.to_str().expect("utf-8")]);
    assert!(!old.exists(), "the abandoned copy is still there");
    assert!(
        recent.exists(),
        "a copy that may be in progress was removed"
    );
}

#[test]
fn attach_refuses_a_dangling_symlink_and_a_fifo() {
    let env = Env::new();
    let key = env.incident("Adjunto roto", "Enlace roto");
    let link = env.path().join("broken-link.png");
    std::os::unix::fs::symlink(env.path().join("gone.png"), &link).expect("symlink");
    let err = env.fail(&["attach", &key, link.to_str().expect("utf-8")]);
    assert!(err.contains("cannot read attachment"), "{err}");
    assert!(err.contains(&link.display().to_string()), "{err}");
    // A named pipe would block a reader forever: refused as not a regular file.
    let fifo = env.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let err = env.fail(&["attach", &key, fifo.to_str().expect("utf-8")]);
    assert!(err.contains("not a regular file"), "{err}");
    assert_eq!(env.show(&key)["attachments"], serde_json::json!([]));
}

/// The cause of an unreadable attachment is said once, followed by the hint.
/// `AppError::Attachment` both prints `{source}` and declares it as the
/// error's source, so `{e:#}` repeats it after the hint.
#[test]
fn attach_error_names_the_cause_once() {
    let env = Env::new();
    let key = env.incident("Adjunto", "Sin adjunto");
    let missing = env.path().join("no-such-file.png");
    let err = env.fail(&["attach", &key, missing.to_str().expect("utf-8")]);
    assert_eq!(
        err.matches("No such file or directory").count(),
        1,
        "cause repeated: {err}"
    );
    assert!(
        err.trim_end().ends_with("check the path and permissions"),
        "the hint ends the message: {err}"
    );
}

#[test]
fn show_displays_everything_about_a_ticket() {
    let env = Env::new();
    let key = env.incident("Error ORA al consultar", "Consulta de contrato falla");
    env.ok(&["assign", &key, "bruno"]);
    env.ok(&["comment", &key, "Revisando con DBA"]);
    env.ok(&["worklog", &key, "2h", "--note", "pruebas"]);
    let out = env.ok(&["show", &key]);
    for needle in [
        key.as_str(),
        "Error ORA al consultar",
        "Incident",
        "Open Smartflex",
        "assigned",
        "bruno",
        "Revisando con DBA",
        "Worklog (2h)",
        "Consulta de contrato falla",
        "Reporter's e-mail: ana.torres@example.org",
    ] {
        assert!(out.contains(needle), "show lacks {needle:?}:\n{out}");
    }
    let t = env.show(&key);
    assert_ticket_shape(&t);
    for k in [
        "comments",
        "worklog",
        "attachments",
        "runbooks",
        "escalations",
        "links",
    ] {
        assert!(t[k].is_array(), "{k} is an array: {t}");
    }
}

/// `show --lang en` labels the priority line in English; the words
/// "impacto" and "urgencia" are hard-coded in `cli/output.rs::detail`.
#[test]
fn show_in_english_has_english_priority_labels() {
    let env = Env::new();
    let key = env.incident("Prioridad", "Etiquetas");
    let out = env.ok(&["show", &key]);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("Priority"))
        .unwrap_or_else(|| panic!("no Priority line:\n{out}"));
    assert!(
        !line.contains("impacto") && !line.contains("urgencia"),
        "Spanish labels in English output: {line}"
    );
    assert!(
        line.contains("impact") && line.contains("urgency"),
        "{line}"
    );
}

#[test]
fn log_shows_create_set_and_transition_with_actors() {
    let env = Env::new();
    let key = env.incident("Suspensión no registrada", "Después de la visita");
    env.ok_as("bruno", &["set", &key, "affected_users=3"]);
    env.ok_as(
        "carla",
        &["move", &key, "in_progress", "--note", "empezando"],
    );
    let out = env.ok(&["log", &key]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].contains("ana") && lines[0].contains("created"),
        "{out}"
    );
    assert!(
        lines[1].contains("bruno") && lines[1].contains("set fields.affected_users = 3"),
        "{out}"
    );
    assert!(
        lines[2].contains("carla") && lines[2].contains("status new → in_progress (empezando)"),
        "{out}"
    );
    assert!(lines[0].starts_with("2026-03-02 14:30:00"), "{out}");

    let ops = env.json(&["log", &key, "--json"]);
    let ops = ops.as_array().expect("array");
    let kinds: Vec<&str> = ops
        .iter()
        .map(|o| o["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["create", "set", "transition"]);
    let actors: Vec<&str> = ops
        .iter()
        .map(|o| o["actor"].as_str().expect("actor"))
        .collect();
    assert_eq!(actors, ["ana", "bruno", "carla"]);
    // Sequence numbers grow; each non-create op names its predecessor.
    let seqs: Vec<i64> = ops
        .iter()
        .map(|o| o["seq"].as_i64().expect("seq"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(
        ops[2]["pred"][0]["seq"], ops[0]["seq"],
        "status' predecessor is the create"
    );
    assert_eq!(ops[0]["value"]["title"], "Suspensión no registrada");
}

#[test]
fn doctor_passes_on_a_healthy_database() {
    let env = Env::new();
    let key = env.incident("Sano", "Base de datos sana");
    env.ok(&["comment", &key, "ok"]);
    let out = env.ok(&["doctor"]);
    assert!(
        out.contains("replayed 2 operations into 1 tickets"),
        "{out}"
    );
    assert!(out.contains("integrity: ok"), "{out}");
    assert!(out.contains("the tables match the operation log"), "{out}");
    let r = env.json(&["doctor", "--json"]);
    assert_eq!(r["integrity"], serde_json::json!(["ok"]));
    assert_eq!(r["differences"], serde_json::json!([]));
    assert_eq!(r["tickets"], 1);
}

/// Similar tickets rank by the words they share, a word counting more the
/// fewer tickets hold it: one sharing a rare error code comes before newer
/// ones sharing only words every ticket uses; among equals the newest
/// comes first.
#[test]
fn similar_tickets_rank_rare_shared_words_first() {
    let env = Env::new();
    // It shares one word with the new ticket; the others share two, but
    // words all of them hold.
    let rare = env.incident("Error ORA-20001 al facturar", "El proceso se detiene");
    let mut common = Vec::new();
    for i in 0..6 {
        common.push(env.incident(&format!("Falla del sistema {i}"), "Falla del sistema"));
    }
    let mut args = vec![
        "new",
        "--service",
        "osf",
        "--title",
        "Otra vez ORA-20001",
        "--description",
        "Falla del sistema",
        "--json",
    ];
    args.extend_from_slice(INCIDENT_FIELDS);
    let v = env.json(&args);
    let keys: Vec<&str> = v["similar"]
        .as_array()
        .expect("similar")
        .iter()
        .map(|s| s["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys.first(), Some(&rare.as_str()), "{v}");
    // Then the newest of those that share only the common words.
    assert_eq!(keys.get(1), Some(&common[5].as_str()), "{v}");
    assert_eq!(keys.get(2), Some(&common[4].as_str()), "{v}");
}

#[test]
fn compact_merges_the_text_index_and_search_finds_the_same() {
    let env = Env::new();
    for i in 0..10 {
        env.incident(&format!("Impresora sin tóner {i}"), "No imprime en la sede");
    }
    let before = text_segments(&env.db);
    assert!(before >= 5, "one small segment per ticket, got {before}");
    let search = env.ok(&["search", "impresora", "--json"]);

    let report = env.json(&["compact", "--json"]);
    assert_eq!(report["segments_before"], before);
    let after = text_segments(&env.db);
    assert_eq!(report["segments_after"], after);
    assert!(after < before, "{before} segments became {after}");
    assert_eq!(env.ok(&["search", "impresora", "--json"]), search);

    let text = env.ok(&["compact"]);
    assert!(
        text.starts_with(&format!(
            "full-text index: {after} segment(s) before, {after} after"
        )),
        "{text}"
    );
}

/// A number field's `min` (fields.toml): a negative estimate would slip
/// under the four-hour threshold that asks for the head's approval.
#[test]
fn a_number_below_its_minimum_is_refused() {
    let env = Env::new();
    let key = env.support("Reproceso", "Seis meses");
    let err = env.fail(&["set", &key, "estimate_hours=-50"]);
    assert!(
        err.contains("field 'estimate_hours': -50 is below the smallest value accepted, 0"),
        "{err}"
    );
    env.ok(&["set", &key, "estimate_hours=0"]);
}

/// `log` reads in the operator's language: the words around the ids are
/// Spanish under `--lang es`, as the console's timeline is.
#[test]
fn the_log_reads_in_spanish() {
    let mut env = Env::new();
    let key = env.incident("Portal lento", "Las consultas tardan un minuto.");
    env.ok(&["comment", &key, "Se llama al usuario"]);
    env.ok(&["comment", &key, "Solo para el equipo", "--internal"]);
    env.ok(&["worklog", &key, "90m", "--note", "Pruebas"]);
    env.ok(&["move", &key, "assigned"]);
    let english = env.ok(&["log", &key]);
    env.lang = "es".into();
    let spanish = env.ok(&["log", &key]);
    for (en, es) in [
        ("created", "creado"),
        (
            "comment: Se llama al usuario",
            "comentario: Se llama al usuario",
        ),
        (
            "internal comment: Solo para el equipo",
            "nota interna: Solo para el equipo",
        ),
        ("worklog 1h 30m (Pruebas)", "trabajo 1h 30m (Pruebas)"),
        ("status new → assigned", "estado new → assigned"),
    ] {
        assert!(english.contains(en), "{en}: {english}");
        assert!(spanish.contains(es), "{es}: {spanish}");
    }
    assert!(!spanish.contains("comment:"), "{spanish}");
}

/// Under `--lang es` the confirmations an operator reads all day are in
/// Spanish, with the ids (keys, states, priorities, codes) as they are;
/// a rejection also names its reason's Spanish label, which the operator
/// reads to the caller with the guidance.
#[test]
fn confirmations_read_in_spanish() {
    let mut env = Env::new();
    env.lang = "es".into();
    let key = env.incident("Portal lento", "Las consultas tardan un minuto.");
    let other = env.incident("Portal lento otra vez", "Las consultas tardan.");
    let said: Vec<(String, String)> = [
        (
            vec!["comment", &key, "Se llama al usuario"],
            format!("{key}: comentario agregado"),
        ),
        (
            vec!["comment", &key, "Solo el equipo", "--internal"],
            format!("{key}: nota interna agregada"),
        ),
        (
            vec!["worklog", &key, "90m"],
            format!("{key}: 1h 30m de trabajo registrados"),
        ),
        (
            vec!["assign", &key, "ana"],
            format!("{key} asignado a ana (assigned)"),
        ),
        (
            vec!["move", &key, "in_progress"],
            format!("{key} pasa a in_progress"),
        ),
        (
            vec!["reject", &other, "--reason", "missing_docs"],
            format!("{other} rechazado (missing_docs, Documentación incompleta)"),
        ),
    ]
    .into_iter()
    .map(|(args, expected)| (env.ok(&args), expected))
    .collect();
    for (out, expected) in &said {
        assert!(out.contains(expected), "{expected}: {out}");
        for english in [
            "added",
            "logged",
            "assigned to",
            "is now",
            "rejected",
            "tell the caller",
        ] {
            assert!(!out.contains(english), "{english}: {out}");
        }
    }
    assert!(
        said[5].0.contains("decir al solicitante: No se entregó"),
        "{}",
        said[5].0
    );
}

/// `set` of a name the ticket does not have lists what it takes: the
/// built-in columns and its own type's fields, not every type's fields
/// (which named `company` and `api_id` to an incident, and not `title`).
#[test]
fn set_of_an_unknown_field_lists_what_the_ticket_takes() {
    let env = Env::new();
    let key = env.incident("Portal lento", "Las consultas tardan un minuto.");
    for name in ["foo", "api_id"] {
        let err = env.fail(&["set", &key, &format!("{name}=x")]);
        assert!(
            err.contains(&format!(
                "{key}: field '{name}' is not a field of ticket type 'incident'; its fields are: title, description, impact, urgency, priority, service, "
            )),
            "{err}"
        );
        assert!(err.contains("reporter_email"), "{err}");
        assert!(
            !err.contains("api_id,") && !err.contains("company"),
            "{err}"
        );
    }
    let err = env.fail(&["set", "BOG-999", "foo=x"]);
    assert!(err.contains("no ticket 'BOG-999'"), "{err}");
}

/// `show` names the rule that raised a priority: `impact × urgency` alone
/// read as the reason for a critical priority the matrix does not give.
#[test]
fn show_names_the_rule_that_raised_the_priority() {
    let env = Env::new();
    let raised = env.incident_with(
        "Caída total",
        "Nadie factura",
        &["--field", "total_outage=sí"],
    );
    let plain = env.incident("Portal lento", "Las consultas tardan un minuto.");
    let shown = env.ok(&["show", &raised]);
    let line = shown
        .lines()
        .find(|l| l.contains("Priority"))
        .unwrap_or_default();
    assert!(line.contains("— raised by caida-total"), "{shown}");
    let shown = env.ok(&["show", &plain]);
    assert!(!shown.contains("raised by"), "{shown}");
}

/// Impact, urgency and priority are taken by their labels as well as their
/// ids, in either language and with or without accents, as operators read
/// them in `show` and the console (`Alta`, `crítica`); the ticket stores
/// the id.
#[test]
fn grades_are_taken_by_their_labels_too() {
    let env = Env::new();
    let key = env.incident_with(
        "Portal lento",
        "Las consultas tardan.",
        &["--impact", "Alto", "--urgency", "ALTA"],
    );
    let t = env.show(&key);
    assert_eq!(
        (t["impact"].as_str(), t["urgency"].as_str()),
        (Some("high"), Some("high"))
    );
    env.ok(&["set", &key, "urgency=baja", "impact=Medium"]);
    let t = env.show(&key);
    assert_eq!(
        (t["impact"].as_str(), t["urgency"].as_str()),
        (Some("medium"), Some("low"))
    );
    env.ok(&[
        "set",
        &key,
        "priority=Crítica",
        "--justification",
        "Caída en cadena",
    ]);
    assert_eq!(env.show(&key)["priority"], "critical");
    let listed = env.ok(&["list", "--priority", "critica"]);
    assert!(listed.contains(&key), "{listed}");
    let err = env.fail(&["set", &key, "urgency=altísima"]);
    assert!(
        err.contains("unknown urgency 'altísima'; known: high, medium, low"),
        "{err}"
    );
}
