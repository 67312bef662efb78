//! Rejection reasons belong to the procedure of the tickets they reject
//! (`types` in rejections.toml): an out-of-scope API report is not told to
//! call the OSF incident managers, an incomplete support request is not
//! asked for the OSF escalation documents. `critical` rejects only a ticket
//! categorised as critical (its priority, seed 000 §16). `config check`
//! names a misspelt or unrejectable type, and the console's reject menu
//! offers only the ticket's own reasons.

mod common;

use common::*;
use guardia::config::{Config, Lang};
use guardia::domain::ticket::Ticket;
use guardia::tui::keymap::Keymap;
use guardia::tui::msg::{Effect, Msg, Reply, Request, Row};
use guardia::tui::state::{Console, Identity, MenuPurpose, Overlay};
use guardia::tui::theme::Theme;
use guardia::tui::update::{start, update};
use guardia::tui::worker::clean_ticket;
use std::sync::Arc;

/// The OSF reasons are refused on a support request, with its own listed;
/// its own reason rejects it with the requester's guidance.
#[test]
fn a_support_request_takes_only_its_own_procedures_reasons() {
    let env = Env::with_site("ASU");
    let key = env.support("Reporte de ventas", "No sale");
    for code in ["missing_docs", "critical", "config_request"] {
        let err = env.fail_as("ines", &["reject", &key, "--reason", code]);
        assert!(
            err.contains(&format!(
                "reason '{code}' is not a reason of the procedure of ticket type 'support'"
            )) && err.contains(
                "its reasons are: duplicate (Duplicate incident), incomplete (Incomplete request)"
            ),
            "{err}"
        );
    }
    // An unknown code lists the codes of the ticket's type only.
    let err = env.fail_as("ines", &["reject", &key, "--reason", "aburrido"]);
    assert!(err.contains("known: duplicate, incomplete"), "{err}");
    assert_eq!(env.show(&key)["status"], "new", "nothing was recorded");

    let out = env.ok_as("ines", &["reject", &key, "--reason", "incomplete"]);
    assert!(
        out.contains(&format!("{key} rejected (incomplete)")),
        "{out}"
    );
    assert!(out.contains("will not be prioritised"), "{out}");
    assert!(!out.contains("escalate"), "no OSF §13 list: {out}");
    assert_eq!(env.show(&key)["reject_reason"], "incomplete");
}

/// An API report out of scope is rejected as such, and nobody is told to
/// call the incident managers; the OSF `critical` is not for it.
#[test]
fn an_api_report_is_rejected_out_of_scope_without_the_incident_managers() {
    let env = Env::new();
    let key = env.api_incident("Consulta de facturación", "No es de la API");
    let err = env.fail(&["reject", &key, "--reason", "critical"]);
    assert!(
        err.contains("ticket type 'api_incident'")
            && err.contains("duplicate (Duplicate incident), out_of_scope (")
            && err.contains("licensee_network ("),
        "{err}"
    );
    let v = env.json(&["reject", &key, "--reason", "out_of_scope", "--json"]);
    assert_eq!(v["reject_reason"], "out_of_scope", "{v}");
    assert_eq!(v["contacts"], serde_json::json!([]), "{v}");
    assert!(v["route"].is_null(), "not routed to the major path: {v}");
    let other = env.api_incident("Sin VPN", "Nuestra VPN cayó");
    let out = env.ok(&["reject", &other, "--reason", "licensee_network"]);
    assert!(
        out.contains("VPN") && !out.contains("incident manager"),
        "{out}"
    );
}

/// `critical` is for an incident categorised as critical: a medium one is
/// refused with how to record the judgement first; once its priority is
/// critical, it is rejected and routed to the incident managers.
#[test]
fn critical_needs_the_top_priority() {
    let env = Env::new();
    let key = env.incident("OSF no abre", "En una sede");
    let err = env.fail(&["reject", &key, "--reason", "critical"]);
    assert!(
        err.contains(
            "reason 'critical' is for a ticket categorised as critical: of priority 'critical'"
        ) && err.contains(&format!("{key} has priority 'medium'"))
            && err.contains(&format!(
                "guardia set {key} priority=critical --justification"
            ))
            && err.contains(
                "otherwise choose another reason: missing_docs, config_request, duplicate"
            ),
        "{err}"
    );
    assert_eq!(env.show(&key)["status"], "new");
    env.ok(&[
        "set",
        &key,
        "priority=critical",
        "--justification",
        "Caída total en todas las sedes",
    ]);
    let v = env.json(&["reject", &key, "--reason", "critical", "--json"]);
    assert_eq!(v["route"], "major_incident", "{v}");
    // Registered critical from the start (impact and urgency high).
    let high = env.incident_with(
        "Caída total",
        "Nadie factura",
        &["--impact", "high", "--urgency", "high"],
    );
    assert_eq!(env.show(&high)["priority"], "critical");
    env.ok(&["reject", &high, "--reason", "critical"]);
}

/// Under `--lang es` both refusals are Spanish, and say the same.
#[test]
fn a_reason_that_does_not_fit_is_refused_in_spanish() {
    let mut env = Env::with_site("ASU");
    let support = env.support("Reporte de ventas", "No sale");
    let incident = env.incident("OSF no abre", "En una sede");
    env.lang = "es".into();
    let err = env.fail_as("ines", &["reject", &support, "--reason", "critical"]);
    assert!(
        err.contains(
            "el motivo 'critical' no es del procedimiento de los tickets de tipo 'support'"
        ) && err.contains("sus motivos son: duplicate"),
        "{err}"
    );
    let err = env.fail(&["reject", &incident, "--reason", "critical"]);
    assert!(
        err.contains("el motivo 'critical' es para un ticket categorizado como critical")
            && err.contains(&format!("{incident} tiene prioridad 'medium'"))
            && err.contains("si no, elija otro motivo: missing_docs"),
        "{err}"
    );
    assert_eq!(env.show(&incident)["status"], "new");
}

fn check_fails(env: &Env) -> String {
    env.fail_raw(&["config", "check"])
}

/// A misspelt type, a type whose workflow never rejects, an empty list and
/// an unknown `min_priority` are named at their line.
#[test]
fn config_check_names_wrong_reason_types_at_their_line() {
    let env = Env::new();
    let text = default_config("rejections.toml");
    let text = replace_once(&text, "types = [\"support\"]", "types = [\"suport\"]");
    let text = replace_once(
        &text,
        "types = [\"api_incident\"]\n[reason.label]\nes = \"Fuera",
        "types = [\"api_incident\", \"service_request\"]\n[reason.label]\nes = \"Fuera",
    );
    let text = replace_once(
        &text,
        "min_priority = \"critical\"",
        "min_priority = \"critica\"",
    );
    let text = replace_once(
        &text,
        "code = \"config_request\"\ntypes = [\"incident\"]",
        "code = \"config_request\"\ntypes = []",
    );
    let path = env.write_config("rejections.toml", &text);
    let err = check_fails(&env);
    let at = |needle: &str| format!("{}:{}:", path.display(), line_of(&text, needle));
    for (needle, message) in [
        (
            "\"suport\"",
            "unknown ticket type 'suport'; known: api_incident",
        ),
        (
            "\"service_request\"]",
            "rejection reason 'out_of_scope' lists the ticket type 'service_request', whose workflow 'solicitud_servicio' has no rejected state",
        ),
        ("\"critica\"", "unknown priority 'critica'"),
        (
            "code = \"config_request\"",
            "rejection reason 'config_request' has types = [], so no ticket could be rejected with it",
        ),
    ] {
        let expected = at(needle);
        assert!(
            err.lines()
                .any(|l| l.contains(&expected) && l.contains(message)),
            "no `{expected} … {message}` in:\n{err}"
        );
    }
}

/// Without `types` a reason rejects every type, as before the key existed.
#[test]
fn a_reason_without_types_rejects_every_type() {
    let env = Env::new();
    let text = default_config("rejections.toml");
    let text = replace_once(
        &text,
        "code = \"missing_docs\"\ntypes = [\"incident\"]",
        "code = \"missing_docs\"",
    );
    env.write_config("rejections.toml", &text);
    let key = env.api_incident("Sin respuesta", "Falta información");
    env.ok(&["reject", &key, "--reason", "missing_docs"]);
}

// ----- the console's reject menu -----

/// A ticket of `ticket_type` as the worker hands it over.
fn ticket(n: i64, ticket_type: &str, service: &str) -> Ticket {
    let at = chrono::DateTime::from_timestamp(1_772_000_000 + n * 60, 0).expect("time");
    clean_ticket(Ticket {
        key: format!("BOG-{n}"),
        ticket_type: ticket_type.into(),
        service: service.into(),
        title: format!("Caso {n}"),
        description: "Detalle".into(),
        status: "new".into(),
        priority: "medium".into(),
        priority_justification: None,
        impact: "medium".into(),
        urgency: "medium".into(),
        level: 1,
        assignee: None,
        created_by: "ana".into(),
        created_at: at,
        updated_at: at,
        fields: serde_json::Map::new(),
        reject_reason: None,
        duplicate_of: None,
        route: None,
        id: format!("0190a000-0000-7000-8000-{n:012}"),
    })
}

/// The reason codes `R` offers on the one ticket of a queue.
fn offered(t: Ticket) -> Vec<String> {
    let config = Arc::new(Config::builtin().expect("built-in configuration"));
    let identity = Identity {
        operator: Some("ines".into()),
        why_read_only: None,
    };
    let keymap = Keymap::builtin().expect("built-in keymap");
    let mut c = Console::new(
        config,
        keymap,
        Theme::default16(),
        Lang::En,
        identity,
        "test".into(),
    );
    update(&mut c, Msg::Resize(100, 30));
    let rows = vec![Row {
        no: 1,
        ticket: t,
        conflict: false,
    }];
    for e in start(&mut c) {
        let reply = match e {
            Effect::Request(Request::Page {
                generation,
                dir,
                from,
                reset,
                ..
            }) => Reply::Page {
                generation,
                dir,
                reset,
                from,
                rows: rows.clone(),
                more: false,
            },
            Effect::Request(Request::Count { generation, .. }) => Reply::Count {
                generation,
                count: 1,
                capped: false,
            },
            _ => continue,
        };
        update(&mut c, Msg::Reply(reply));
    }
    common::keys::press(&mut c, "R");
    let Some(Overlay::Menu { items, purpose, .. }) = c.overlays.last() else {
        panic!("R opens a menu")
    };
    assert_eq!(*purpose, MenuPurpose::RejectReason);
    items.iter().map(|i| i.value.clone()).collect()
}

#[test]
fn the_console_offers_only_the_reasons_of_the_tickets_type() {
    assert_eq!(
        offered(ticket(1, "api_incident", "api-mayorista")),
        ["duplicate", "out_of_scope", "licensee_network"]
    );
    assert_eq!(
        offered(ticket(1, "support", "correo")),
        ["duplicate", "incomplete"]
    );
    assert_eq!(
        offered(ticket(1, "incident", "osf")),
        ["critical", "missing_docs", "config_request", "duplicate"]
    );
}
