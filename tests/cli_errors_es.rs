//! Refusals under `--lang es`: the command line tells a Spanish-speaking
//! operator in Spanish what was refused, whom to ask and what to do, with
//! the states, fields and grades by their Spanish names and the advice
//! naming commands and flags (`cli::say_error`). Each refusal exits 1.

mod common;

use common::Env;

/// A fresh database whose commands run in Spanish, at the seeds' clock
/// (Tuesday 3 March 2026, 10:00 in Asunción: business hours).
fn spanish() -> Env {
    let mut env = Env::new();
    env.lang = "es".into();
    env.now = "2026-03-03T10:00:00-03:00".into();
    env
}

/// Nothing of the English wording is left in a Spanish refusal.
fn no_english(err: &str) {
    for english in [
        "needs one of the roles",
        "ask someone",
        "four eyes",
        "requires",
        "set it first",
        "the original ticket",
        "unknown",
        "known:",
        "the comment is empty",
    ] {
        assert!(!err.contains(english), "'{english}' left in: {err}");
    }
}

#[test]
fn a_move_another_role_makes_says_whose_it_is() {
    let env = spanish();
    let key = env.support("Reporte de cobranzas", "Sale vacío");
    let err = env.fail_as("ana", &["move", &key, "assigned"]);
    assert!(
        err.starts_with(&format!("guardia: {key}: pasar a 'assigned' (")),
        "{err}"
    );
    assert!(
        err.contains(") requiere uno de los roles head; el operador 'ana' tiene agent;"),
        "{err}"
    );
    assert!(
        err.contains("pídaselo a alguien con ese rol: ines"),
        "{err}"
    );
    no_english(&err);
}

#[test]
fn a_required_field_is_named_with_how_to_set_it() {
    let env = spanish();
    let key = env.support("Reporte de cobranzas", "Sale vacío");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    let err = env.fail_as("felipe", &["move", &key, "in_progress"]);
    assert!(
        err.contains(&format!("{key}: entrar en 'in_progress' (")),
        "{err}"
    );
    assert!(err.contains("requiere estimate_hours ("), "{err}");
    assert!(
        err.contains(&format!(
            "llénelo primero (p. ej. `guardia set {key} estimate_hours=...`, o `--field estimate_hours=...` en el mismo move)"
        )),
        "{err}"
    );
    no_english(&err);
}

#[test]
fn four_eyes_says_who_did_the_step_and_the_way_out() {
    let env = spanish();
    let key = env.support("Reporte de cobranzas", "Sale vacío");
    env.ok_as("ines", &["assign", &key, "felipe"]);
    env.ok_as("felipe", &["move", &key, "analysis"]);
    env.ok_as(
        "felipe",
        &["move", &key, "in_progress", "--field", "estimate_hours=2"],
    );
    env.ok_as(
        "julia",
        &[
            "move",
            &key,
            "script_ready",
            "--field",
            "change_script=UPDATE cobranzas SET periodo = '2026-02'",
        ],
    );
    let err = env.fail_as("julia", &["move", &key, "script_verified"]);
    assert!(
        err.contains(&format!(
            "{key}: cuatro ojos: 'julia' pasó el ticket a 'script_ready' ("
        )),
        "{err}"
    );
    assert!(
        err.contains("así que otra persona debe pasarlo a 'script_verified' ("),
        "{err}"
    );
    assert!(
        err.contains("nadie más tiene los roles senior_analyst (operators.toml): dé uno de ellos a otro operador, o páselo a 'in_progress'"),
        "{err}"
    );
    no_english(&err);
}

#[test]
fn a_duplicate_without_its_original_says_to_add_of() {
    let env = spanish();
    let original = env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    let key = env.incident("Impresora del piso 3 no imprime", "Sale en blanco otra vez");
    let err = env.fail(&["reject", &key, "--reason", "duplicate"]);
    assert!(
        err.starts_with(&format!("guardia: {key}: rechazar como 'duplicate' (")),
        "{err}"
    );
    assert!(
        err.contains("necesita el ticket original: agregue --of CLAVE; lo más probable: "),
        "{err}"
    );
    assert!(err.contains(&original), "names the likely original: {err}");
    no_english(&err);
    // A ticket is not its own duplicate.
    let err = env.fail(&["reject", &key, "--reason", "duplicate", "--of", &key]);
    assert_eq!(
        err.trim_end(),
        format!("guardia: {key}: un ticket no puede ser duplicado de sí mismo")
    );
}

#[test]
fn an_unknown_impact_lists_the_known_ones_by_name() {
    let env = spanish();
    let err = env.fail(&[
        "new",
        "--service",
        "osf",
        "--title",
        "t",
        "--description",
        "d",
        "--impact",
        "altísimo",
    ]);
    assert!(
        err.starts_with("guardia: impacto desconocido 'altísimo'; los conocidos: high ("),
        "{err}"
    );
    assert!(err.contains("medium ("), "{err}");
    assert!(err.contains("low ("), "{err}");
    no_english(&err);
    // On an existing ticket, told with its key.
    let key = env.incident("Impresora", "Sale en blanco");
    let err = env.fail(&["set", &key, "urgency=ya"]);
    assert!(
        err.starts_with(&format!(
            "guardia: {key}: urgencia desconocida 'ya'; las conocidas: "
        )),
        "{err}"
    );
}

#[test]
fn an_empty_comment_and_an_unknown_ticket_are_said_in_spanish() {
    let env = spanish();
    let key = env.incident("Impresora", "Sale en blanco");
    let err = env.fail(&["comment", &key, "   "]);
    assert_eq!(
        err.trim_end(),
        "guardia: el comentario está vacío; escriba algún texto"
    );
    let err = env.fail(&["comment", "BOG-999", "hola"]);
    assert_eq!(
        err.trim_end(),
        "guardia: no hay ningún ticket 'BOG-999' en esta base; búsquelo con `guardia list` o `guardia search TEXTO`"
    );
}

#[test]
fn english_stays_as_it_was() {
    let mut env = spanish();
    env.lang = "en".into();
    let key = env.incident("Impresora", "Sale en blanco");
    let err = env.fail(&["reject", &key, "--reason", "duplicate"]);
    assert!(
        err.starts_with(&format!(
            "guardia: {key}: rejecting as 'duplicate' needs the original ticket: add --of KEY"
        )),
        "{err}"
    );
    let err = env.fail(&["comment", &key, " "]);
    assert_eq!(
        err.trim_end(),
        "guardia: the comment is empty; write some text"
    );
}
