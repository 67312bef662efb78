//! An escalation refused for an incomplete dossier gives the next step that
//! works: with the level-1 runbook already running, the items still to
//! tick and the tick command (starting it again is refused as "already
//! running"); skipping to a level whose own dossier is "not applicable",
//! the level whose fields are missing.

mod common;

use common::*;

const KEY_QUESTIONS: [&str; 6] = [
    "inicio-sesion",
    "ejecutable",
    "unidad-s",
    "ubicacion",
    "afectados",
    "mismo-error",
];

#[test]
fn a_running_runbook_is_finished_by_ticking_not_run_again() {
    let env = Env::new();
    let key = env.incident("Error al facturar", "FACT01 falla");
    env.ok(&["runbook", "run", "osf-preguntas-clave", &key]);
    for item in KEY_QUESTIONS.iter().filter(|i| **i != "ubicacion") {
        env.ok(&["runbook", "tick", &key, item, "--evidence", "Comprobado"]);
    }
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(
        err.contains(
            "by ticking the items of runbook 'osf-preguntas-clave' not ticked yet: ubicacion"
        ) && err.contains(&format!(
            "`guardia runbook tick {key} ubicacion --evidence TEXT`"
        )),
        "{err}"
    );
    assert!(!err.contains("runbook run"), "it is running already: {err}");
    // The step named works, and the checks are then shown.
    env.ok(&[
        "runbook",
        "tick",
        &key,
        "ubicacion",
        "--evidence",
        "En la sede",
    ]);
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(
        err.contains("needs the dossier fields incident_detail,") && !err.contains("level1_checks"),
        "{err}"
    );
}

#[test]
fn a_runbook_not_started_is_still_offered_to_run() {
    let env = Env::new();
    let key = env.incident("Error al facturar", "FACT01 falla");
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(
        err.contains(&format!(
            "(`guardia runbook run osf-preguntas-clave {key}`, then tick its items"
        )),
        "{err}"
    );
}

#[test]
fn skipping_a_level_names_the_level_whose_fields_are_missing() {
    let env = Env::new();
    let key = env.incident("Error al facturar", "FACT01 falla");
    // Level 3 of Open Smartflex is "not applicable": the fields are level 2's.
    let err = env.fail(&["escalate", &key, "--level", "3"]);
    assert!(
        err.contains(
            "escalating to level 3 needs the dossier fields of level 2: level1_checks, incident_detail,"
        ) && err.contains("(a level passed on the way needs its dossier too)"),
        "{err}"
    );
    assert!(
        !err.contains("escalating to level 3 needs the dossier fields level1_checks"),
        "{err}"
    );
    // Escalating to the level that asks names no other level.
    let err = env.fail(&["escalate", &key, "--level", "2"]);
    assert!(
        err.contains("escalating to level 2 needs the dossier fields level1_checks,")
            && !err.contains("of level 2"),
        "{err}"
    );
}
