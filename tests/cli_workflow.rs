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

/// Installs an edited workflows.toml and returns `config check`'s stderr
/// with the path of the file.
fn check_with(edit: impl Fn(String) -> String) -> (String, String) {
    let env = Env::new();
    let text = edit(common::default_config("workflows.toml"));
    let path = env.write_config("workflows.toml", &text);
    (
        env.fail_raw(&["config", "check"]),
        path.display().to_string(),
    )
}

fn line_in(err: &str, path: &str, text_line: usize) -> bool {
    err.contains(&format!("{path}:{text_line}:"))
}

#[test]
fn workflow_mistakes_are_named_with_file_and_line() {
    // A guard naming a state, a field and an approval that do not exist.
    let edit = |t: String| {
        t.replace(
            "four_eyes = \"script_ready\"",
            "four_eyes = \"script_listo\"",
        )
        .replace(
            "field = \"estimate_hours\", above = 4",
            "field = \"horas\", above = 4",
        )
        .replace(
            "exception = \"production_exception\"",
            "exception = \"excepcion\"",
        )
        .replace("link = \"problem\"", "link = \"causa\"")
    };
    let text = edit(common::default_config("workflows.toml"));
    let (err, path) = check_with(edit);
    assert!(
        err.contains("unknown four_eyes state 'script_listo'"),
        "{err}"
    );
    assert!(
        line_in(&err, &path, common::line_of(&text, "script_listo")),
        "{err}"
    );
    assert!(err.contains("unknown field 'horas'"), "{err}");
    assert!(
        line_in(&err, &path, common::line_of(&text, "\"horas\"")),
        "{err}"
    );
    assert!(err.contains("unknown approval 'excepcion'"), "{err}");
    assert!(err.contains("unknown link kind 'causa'"), "{err}");
    assert!(
        err.contains("known: large_estimate, production_exception"),
        "{err}"
    );
}

#[test]
fn a_threshold_needs_a_number_field_and_a_timer_a_duration() {
    let (err, _) = check_with(|t| {
        t.replace(
            "field = \"estimate_hours\", above = 4",
            "field = \"change_script\", above = 4",
        )
        .replace("after = \"24h\"", "after = \"1d\"")
    });
    assert!(
        err.contains("threshold field 'change_script' is not a number field"),
        "{err}"
    );
    assert!(
        err.contains("timer duration '1d': write it in hours"),
        "{err}"
    );
}

#[test]
fn unreachable_states_dead_ends_and_transitions_from_nowhere_are_refused() {
    let extra = r#"
[[workflow]]
id = "roto"
name = { es = "Roto", en = "Broken" }
initial = "abierto"

[[workflow.state]]
id = "abierto"
name = { es = "Abierto", en = "Open" }
category = "new"

[[workflow.state]]
id = "atascado"
name = { es = "Atascado", en = "Stuck" }
category = "active"

[[workflow.state]]
id = "huerfano"
name = { es = "Huérfano", en = "Orphan" }
category = "active"

[[workflow.state]]
id = "cerrado"
name = { es = "Cerrado", en = "Closed" }
category = "closed"

[[workflow.transition]]
from = ["abierto"]
to = "atascado"

[[workflow.transition]]
from = []
to = "cerrado"
"#;
    let env = Env::new();
    let text = format!("{}{extra}", common::default_config("workflows.toml"));
    let path = env.write_config("workflows.toml", &text);
    let path = path.display().to_string();
    let err = env.fail_raw(&["config", "check"]);
    let line = |needle: &str| common::line_of(&text, needle);
    assert!(
        err.contains("state 'huerfano' of workflow 'roto' cannot be reached from 'abierto'"),
        "{err}"
    );
    assert!(line_in(&err, &path, line("id = \"huerfano\"")), "{err}");
    assert!(
        err.contains("state 'atascado' of workflow 'roto' is a dead end"),
        "{err}"
    );
    assert!(line_in(&err, &path, line("id = \"atascado\"")), "{err}");
    assert!(
        err.contains("the transition to 'cerrado' lists no `from` states"),
        "{err}"
    );
    // Every command stops, not only `config check`.
    let err = env.fail_raw(&["list"]);
    assert!(err.contains("the configuration has"), "{err}");
}

#[test]
fn show_explains_guards_timers_approvals_and_actions() {
    let env = Env::new();
    let out = env.ok(&["workflow", "show", "soporte_sistemas"]);
    assert!(out.contains("four eyes: ≠ script_ready"), "{out}");
    assert!(
        out.contains("estimate_hours > 4 ⇒ estimate_justification + ✔large_estimate"),
        "{out}"
    );
    assert!(
        out.contains("before 17:00 (soporte-asuncion), else ✔production_exception"),
        "{out}"
    );
    assert!(out.contains("production_exception"), "{out}");
    let out = env.ok(&["workflow", "show", "api_soporte"]);
    assert!(out.contains("resolved ⏱ 24h ───► closed"), "{out}");
    assert!(out.contains("records the resolution time"), "{out}");
    let out = env.ok(&["workflow", "show", "solicitud_servicio"]);
    assert!(out.contains("link: only in reviewed"), "{out}");
    let v = env.json(&["workflow", "show", "api_soporte", "--json"]);
    assert_eq!(v["timers"][0]["after"], "24h");
    assert_eq!(v["timers"][0]["to"], "closed");
}
