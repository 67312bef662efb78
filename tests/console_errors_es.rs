//! Refusals in the Spanish console (`--lang es`), end to end in a real
//! pseudo-terminal: worded in Spanish, with advice that names what the
//! console has (the note's first word, keys, the palette), never the
//! command line's commands or flags (`cli::say_error`).

mod common;

use common::Env;
use common::pty::Pty;

const ENTER: &str = "\r";

/// A duplicate rejected without naming its original: the note prompt
/// opens again and says, in Spanish, to type the original's key at the
/// start of the note, naming the likely one; no `--of`, no `guardia`.
#[test]
fn a_duplicate_without_its_original_says_to_start_the_note_with_its_key() {
    let mut env = Env::new();
    env.lang = "es".into();
    let original = env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    let key = env.incident("Impresora del piso 3 no imprime", "Sale en blanco hoy");
    let mut pty = Pty::spawn(&env, 200, 30, &[], &[]);
    pty.wait_for(&key);

    // The newest ticket is selected: reject it as a duplicate (the fourth
    // reason an incident may have), with a note that names no ticket.
    pty.send("R");
    pty.wait_for("Incidente duplicado");
    pty.send("jjj");
    pty.send(ENTER);
    pty.wait_for("clave del original y nota interna");
    pty.send("mismo caso");
    pty.send(ENTER);
    let screen = pty.wait_for("escriba su clave al inicio de la nota");
    // The prompt wraps the refusal: its lines read as one text.
    let text = screen
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(&format!(
            "{key}: rechazar como 'Incidente duplicado' necesita el ticket original: escriba su clave al inicio de la nota; lo más probable: {original} (Impresora"
        )),
        "{screen}"
    );
    for command_line in ["--of", "`guardia", "rejecting", "add "] {
        assert!(!screen.contains(command_line), "{command_line}: {screen}");
    }
    // Nothing was rejected.
    assert_eq!(env.show(&key)["status"], "new");
    pty.send("\x1b");
    pty.wait_until("the prompt to close", |s| {
        !s.contains("clave del original y nota interna")
    });
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// An editor that fails is reported in Spanish, as a failure.
#[test]
fn a_failing_editor_is_reported_in_spanish() {
    let mut env = Env::new();
    env.lang = "es".into();
    let key = env.incident("Editor roto", "x");
    let missing = env.path().join("no-such-editor");
    let missing = missing.display().to_string();
    let mut pty = Pty::spawn(&env, 140, 24, &[("EDITOR", &missing), ("VISUAL", "")], &[]);
    pty.wait_for("Editor roto");
    pty.send(ENTER);
    pty.wait_for("Descripción");
    pty.send("e");
    let screen = pty.wait_for("no se guardó nada: el editor falló");
    assert!(screen.contains("defina VISUAL o EDITOR"), "{screen}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    assert_eq!(env.show(&key)["comments"], serde_json::json!([]));
}
