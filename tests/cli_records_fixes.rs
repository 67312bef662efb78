//! Problems and known errors as a reviewer met them: the advice of a close
//! refused for a field names the close's own options; a generic `link`
//! ties only incidents to a problem or known error, as `problem link`
//! does; `known list --query` hides finished known errors as `known list`
//! does; and records do not weigh on which earlier solved tickets intake
//! shows first.

mod common;

use common::{Env, INCIDENT_FIELDS, key_of};

/// A problem, as julia (who may close it).
fn problem(env: &Env, title: &str, description: &str) -> String {
    env.problem(title, description)
}

#[test]
fn a_close_refused_for_a_field_names_the_option_the_close_has() {
    let mut env = Env::new();
    let p = problem(
        &env,
        "Cupones de pago no se imprimen",
        "ORA-01403 al imprimir",
    );
    let err = env.fail_as("julia", &["problem", "close", &p]);
    assert!(err.contains("requires root_cause"), "{err}");
    assert!(
        err.contains(&format!("`guardia problem close {p} --root-cause \"...\"`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("`guardia set {p} root_cause=...`")),
        "{err}"
    );
    assert!(!err.contains("--field"), "{err}");

    let ke = env.known_error("osf", "Factura sin cupón", "No sale el cupón", "Reimprimir");
    let err = env.fail_as("julia", &["known", "close", &ke]);
    assert!(err.contains("requires solution"), "{err}");
    assert!(
        err.contains(&format!("`guardia known close {ke} --solution \"...\"`")),
        "{err}"
    );
    assert!(!err.contains("--field"), "{err}");

    // In Spanish too, with the same options.
    env.lang = "es".into();
    let err = env.fail_as("julia", &["problem", "close", &p]);
    assert!(err.contains("requiere"), "{err}");
    assert!(
        err.contains(&format!("`guardia problem close {p} --root-cause \"...\"`")),
        "{err}"
    );
    assert!(!err.contains("--field"), "{err}");
    // And the option it names does close it.
    env.lang = "en".into();
    env.ok_as(
        "julia",
        &["problem", "close", &p, "--root-cause", "Índice roto"],
    );
    assert_eq!(env.show(&p)["status"], "closed");
}

#[test]
fn a_generic_link_ties_only_incidents_to_a_problem_or_known_error() {
    let env = Env::new();
    let p = problem(
        &env,
        "Cupones de pago no se imprimen",
        "ORA-01403 al imprimir",
    );
    let other = problem(&env, "Otro problema", "Otra cosa");
    let ke = env.known_error("osf", "Factura sin cupón", "No sale el cupón", "Reimprimir");
    let incident = env.incident("Cupón no sale", "No imprime el cupón");

    // As `problem link` refuses it.
    let err = env.fail_as("felipe", &["problem", "link", &p, &ke]);
    assert!(err.contains("is itself a problem or known error"), "{err}");
    for record in [&ke, &other] {
        let err = env.fail_as("felipe", &["link", record, &p, "--kind", "problem"]);
        assert!(
            err.contains(&format!(
                "{record}: is itself a problem or known error; link incidents to a problem"
            )),
            "{err}"
        );
    }
    let err = env.fail_as("felipe", &["link", &p, &ke, "--kind", "known_error"]);
    assert!(err.contains("is itself a problem or known error"), "{err}");

    // An incident still links, and the problem counts it alone.
    env.ok_as("felipe", &["link", &incident, &p, "--kind", "problem"]);
    let shown = env.json(&["problem", "show", &p, "--json"]);
    let linked: Vec<&str> = shown["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .filter_map(|t| t["key"].as_str())
        .collect();
    assert_eq!(linked, vec![incident.as_str()], "{shown}");
}

#[test]
fn known_list_query_hides_finished_known_errors_unless_all() {
    let env = Env::new();
    let closed = env.known_error(
        "osf",
        "Factura sin cupón de pago",
        "No sale el cupón de pago",
        "Reimprimir el cupón",
    );
    env.ok_as(
        "julia",
        &["known", "close", &closed, "--solution", "Parche"],
    );
    let open = env.known_error(
        "osf",
        "Cupón con fecha errada",
        "El cupón sale con otra fecha",
        "Corregir la fecha a mano",
    );
    let query = |all: bool| -> Vec<String> {
        let mut args = vec!["known", "list", "--query", "cupón", "--json"];
        if all {
            args.push("--all");
        }
        common::keys(&env.json(&args))
    };
    assert_eq!(query(false), vec![open.clone()]);
    let mut every = query(true);
    every.sort();
    let mut both = vec![closed.clone(), open.clone()];
    both.sort();
    assert_eq!(every, both);
    // `known list` itself hides it alike.
    assert_eq!(
        common::keys(&env.json(&["known", "list", "--json"])),
        vec![open.clone()]
    );
    // Nothing being worked matches: the text says where the others are.
    env.ok_as("julia", &["known", "close", &open, "--solution", "Parche"]);
    let text = env.ok(&["known", "list", "--query", "cupón"]);
    assert!(text.contains("--all"), "{text}");
}

/// A problem and a known error about a word do not make it look common
/// to the ranking of earlier solved tickets: the ticket that solved it
/// stays first.
#[test]
fn records_do_not_push_down_the_solved_tickets_intake_shows() {
    let env = Env::new();
    let solve = |title: &str| -> String {
        let key = env.incident(title, "no");
        env.ok(&["move", &key, "in_progress"]);
        env.ok(&["move", &key, "resolved", "--field", "solution=Hecho"]);
        key
    };
    let right = solve("ORA-01403 en caja");
    solve("El pago no sale");
    solve("Un pago no sale");
    problem(&env, "Cupones con ORA-01403", "ORA-01403 al imprimir");
    env.known_error(
        "osf",
        "Factura con ORA-01403",
        "ORA-01403 al abrir",
        "Reabrir",
    );
    let mut args = vec![
        "new",
        "--type",
        "incident",
        "--service",
        "osf",
        "--title",
        "ORA-01403 pago",
        "--description",
        "no",
        "--json",
    ];
    args.extend_from_slice(INCIDENT_FIELDS);
    let created = env.json(&args);
    let solved: Vec<&str> = created["solved"]
        .as_array()
        .expect("solved")
        .iter()
        .filter_map(|t| t["key"].as_str())
        .collect();
    assert_eq!(solved.len(), 3, "{created}");
    assert_eq!(solved[0], right, "{created}");
    assert!(!key_of(&created).is_empty());
}

/// The records left out of the ranking of alike tickets are read from
/// their partial index, with or without planner statistics: not a range
/// of the ticket table, which for a rare word's window is all of it.
#[test]
fn the_records_left_out_of_alike_tickets_are_read_from_their_index() {
    for analyze in [false, true] {
        let env = Env::new();
        env.ok(&["generate", "--tickets", "300", "--seed", "1"]);
        let c = rusqlite::Connection::open(&env.db).expect("open");
        c.execute_batch(if analyze {
            "ANALYZE"
        } else {
            "DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4;"
        })
        .expect("statistics");
        drop(c);
        let store = guardia::store::Store::open(&env.db).expect("open store");
        let plan = store.reader().record_rows_plan().expect("plan");
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH ticket USING COVERING INDEX ticket_record"),
            "{plan:?}"
        );
    }
}
