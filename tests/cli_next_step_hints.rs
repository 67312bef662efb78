//! After a command that did less than it seems, the next step: a support
//! request assigned by an agent stays new (only the head prioritises and
//! assigns, seed 001 step 2), and `assign` says so and who moves it; the
//! same assignment again names that move. An API report closed by its
//! 24-hour timer (PR-003 §4.6) cannot be moved back, and the refusal says
//! when the timer closed it and that a new report linked to it follows.

mod common;

use common::*;

#[test]
fn an_assignment_that_leaves_the_ticket_new_says_who_moves_it() {
    let mut env = Env::with_site("ASU");
    let key = env.support("Reporte de ventas", "No sale");
    let out = env.ok_as("ana", &["assign", &key, "felipe"]);
    assert!(
        out.starts_with(&format!("{key} assigned to felipe (new)\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "note: {key} stays in 'new' (1 Request entered): in its procedure, moving it to 'assigned' is for Head of systems / supervisor (ines); they take that step with `guardia move {key} assigned`"
        )),
        "{out}"
    );
    // Asked again, the refusal names the step left and who takes it.
    let err = env.fail_as("ana", &["assign", &key, "felipe"]);
    assert!(
        err.contains(&format!(
            "is already assigned to felipe; it is still in 'new': the next step is `guardia move {key} assigned`, which only head (ines) may take"
        )),
        "{err}"
    );
    // The head may take it: no "which only".
    let err = env.fail_as("ines", &["assign", &key, "felipe"]);
    assert!(
        err.contains(&format!("the next step is `guardia move {key} assigned`"))
            && !err.contains("which only"),
        "{err}"
    );
    // In Spanish.
    env.lang = "es".into();
    let out = env.ok_as("ana", &["assign", &key, "julia"]);
    assert!(
        out.contains(&format!(
            "nota: {key} sigue en 'new' (1 Solicitud ingresada): en su procedimiento, pasarlo a 'assigned' corresponde a Jefe de sistemas / supervisor (ines)"
        )),
        "{out}"
    );
    env.lang = "en".into();
    // The head's assignment moves it, with nothing to add; --json is the ticket alone.
    let v = env.json_as("ines", &["assign", &key, "felipe", "--json"]);
    assert_eq!(v["status"], "assigned", "{v}");
    let out = env.ok_as("ines", &["assign", &key, "julia"]);
    assert_eq!(out, format!("{key} assigned to julia (assigned)\n"));
}

#[test]
fn a_report_the_timer_closed_says_so_and_what_follows() {
    let mut env = Env::new();
    let timed = env.api_incident("Timeout en pedidos", "La API no responde");
    let by_hand = env.api_incident("Error 500 en altas", "Falla al dar de alta");
    for key in [&timed, &by_hand] {
        env.ok(&[
            "move",
            key,
            "resolved",
            "--field",
            "solution=Se reinició el servicio",
            "--field",
            "root_cause=Caché saturada",
        ]);
    }
    env.ok(&["move", &by_hand, "closed"]);
    env.now = "2026-03-03T10:00:00-05:00".into();
    assert_eq!(env.show(&timed)["status"], "closed", "the timer fired");
    let err = env.fail(&["move", &timed, "in_progress"]);
    assert!(
        err.contains("'closed' is final. A timer of its workflow moved it to 'closed' at ")
            && err.contains("(Cierre automático: sin verificación del concesionario en 24 horas")
            && err.contains(&format!(
                "the next step is a new report linked to this one (register it with `guardia new`, then `guardia link NEW-KEY {timed}`)"
            )),
        "{err}"
    );
    // Closed by an operator: no timer is named.
    let err = env.fail(&["move", &by_hand, "in_progress"]);
    assert!(
        err.contains("'closed' is final") && !err.contains("timer"),
        "{err}"
    );
}
