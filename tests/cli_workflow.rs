//! `guardia workflow list | show`: the configured state machines.

mod common;

use common::Env;

#[test]
fn list_names_each_workflow_with_its_ticket_types() {
    let env = Env::new();
    let v = env.json(&["workflow", "list", "--json"]);
    let list = v.as_array().expect("a list");
    let types_of = |id: &str| -> Vec<String> {
        let wf = list.iter().find(|w| w["id"] == id).expect(id);
        wf["types"]
            .as_array()
            .expect("types")
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect()
    };
    assert_eq!(types_of("itil_incidente"), ["incident"]);
    assert_eq!(types_of("soporte_sistemas"), ["support"]);
    assert_eq!(types_of("api_soporte"), ["api_incident"]);
    assert_eq!(types_of("solicitud_servicio"), ["service_request"]);
    assert!(types_of("default").is_empty());
}

#[test]
fn show_draws_states_and_transitions_with_roles_and_required_fields() {
    let env = Env::new();
    let out = env.ok(&["workflow", "show", "default"]);
    assert!(out.contains("▶ new"), "{out}");
    assert!(out.contains("(on assignment)"), "{out}");
    assert!(out.contains("─┬─► assigned"), "{out}");
    assert!(out.contains("► resolved   requires: solution"), "{out}");
    assert!(
        out.contains("closed      ───► in_progress   roles: head, admin"),
        "{out}"
    );
    let v = env.json(&["workflow", "show", "default", "--json"]);
    assert_eq!(v["transitions"].as_array().map(Vec::len), Some(10));
    assert_eq!(v["rejected"], "rejected");
}

#[test]
fn an_unknown_workflow_lists_the_known_ones() {
    let env = Env::new();
    let err = env.fail(&["workflow", "show", "seed-001"]);
    assert!(err.contains("no workflow 'seed-001'"), "{err}");
    assert!(err.contains("default"), "{err}");
}

#[test]
fn a_refused_move_names_the_rule_and_who_may_take_it() {
    let env = Env::new();
    let key = env.incident("Cancelar sin permiso", "x");
    let err = env.fail(&["move", &key, "cancelled"]);
    assert!(
        err.contains("needs one of the roles head, service_manager, admin"),
        "{err}"
    );
    assert!(err.contains("(diego, elena, ines)"), "{err}");
    let err = env.fail(&["move", &key, "resolved"]);
    assert!(err.contains("requires solution"), "{err}");
    let err = env.fail(&["move", &key, "closed"]);
    assert!(err.contains("from 'new' you can go to"), "{err}");
}
