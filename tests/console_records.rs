//! The console and the records of issue 6, end to end: the built binary in
//! a real pseudo-terminal while other processes declare and resolve major
//! incidents, known errors suggested and applied from the detail, the
//! knowledge view, and marked rows attached to a major incident. Asserted
//! on the screen, then on the database through `guardia show --json`.

mod common;

use common::Env;
use common::pty::Pty;
use serde_json::Value;

const ENTER: &str = "\r";
const ESC: &str = "\x1b";

/// The incident manager of the built-in configuration.
const MANAGER: &str = "ines";

fn links_of(shown: &Value, kind: &str) -> Vec<String> {
    shown["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["kind"] == kind)
        .filter_map(|l| l["target"].as_str().map(str::to_string))
        .collect()
}

/// A major incident declared by another process shows as a banner on the
/// open console, with its open reports; it goes once resolved.
#[test]
fn the_banner_follows_major_incidents_declared_and_resolved_elsewhere() {
    let env = Env::new();
    let report = env.incident("Sin acceso a facturación", "Error al entrar");
    let major = env.incident("Caída general del portal", "Nadie entra");
    let mut pty = Pty::spawn(&env, 100, 24, &[], &[]);
    pty.wait_for("Caída general del portal");
    assert!(!pty.screen().contains("MAJOR INCIDENT"));

    env.ok_as(MANAGER, &["major", "declare", &major, "--reason", "Caída"]);
    let banner =
        format!("⚠ MAJOR INCIDENT {major} Caída general del portal · osf · 0 open reports");
    let screen = pty.wait_for(&banner);
    // Just under the title bar.
    assert_eq!(screen.lines().nth(1).map(str::trim), Some(banner.as_str()));

    // A report attached elsewhere counts at once (one, in the singular).
    env.ok(&["major", "attach", &major, &report]);
    pty.wait_until("one open report", |s| {
        s.contains("· 1 open report") && !s.contains("1 open reports")
    });

    env.ok_as(
        MANAGER,
        &[
            "major",
            "resolve",
            &major,
            "--solution",
            "Reinicio del balanceador",
        ],
    );
    pty.wait_until("the banner to go", |s| {
        !s.contains("MAJOR INCIDENT") && s.contains("Caída general")
    });
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// The detail of an incident lists the known errors that may apply, with
/// their workarounds; `K` applies the first: linked, and the workaround
/// recorded as an internal comment. Hostile text in the known error is
/// shown defused, never sent to the terminal.
#[test]
fn the_detail_suggests_known_errors_and_k_applies_the_first() {
    let env = Env::new();
    let known = env.known_error(
        "osf",
        "Facturas en blanco por caché \x1b]0;PWNED\x07\x1b[31m",
        "La pantalla de facturas queda en blanco",
        "Borrar la caché del navegador \x1b]52;c;cm0gLXJmIH4=\x07 y volver a entrar",
    );
    let incident = env.incident(
        "Facturas en blanco",
        "La pantalla de facturas queda en blanco al abrirla",
    );
    // Tall enough for the links and comments below the suggestions.
    let mut pty = Pty::spawn(&env, 100, 50, &[], &[]);
    pty.wait_for(&incident);
    // The incident is the newest row: Enter opens it.
    pty.send(ENTER);
    let screen = pty.wait_for("Known errors that may apply");
    assert!(screen.contains(&known), "{screen}");
    assert!(screen.contains("Workaround: Borrar la caché"), "{screen}");
    assert!(screen.contains("K applies the first"), "{screen}");
    // Escape sequences are shown as text (␛), not obeyed.
    assert!(screen.contains("␛]0;PWNED"), "{screen}");

    pty.send("K");
    pty.wait_for(&format!("workaround of {known} applied"));
    // The detail was read again: the link and the note are on screen, and
    // a known error already applied is no longer suggested.
    let screen = pty.wait_for("Workaround applied from known error");
    assert!(
        screen.contains(&format!("known_error → {known}")),
        "{screen}"
    );
    assert!(!screen.contains("Known errors that may apply"), "{screen}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);

    for hostile in [&b"\x1b]0;PWNED"[..], b"\x1b]52;c;cm0g", b"\x1b[31m"] {
        assert!(
            !pty.raw.windows(hostile.len()).any(|w| w == hostile),
            "{:?} reached the terminal",
            String::from_utf8_lossy(hostile)
        );
    }
    let shown = env.show(&incident);
    assert_eq!(links_of(&shown, "known_error"), vec![known.clone()]);
    let comments = shown["comments"].as_array().expect("comments");
    assert!(
        comments.iter().any(|c| c["internal"] == true
            && c["body"]
                .as_str()
                .is_some_and(|b| b.contains("Borrar la caché del navegador"))),
        "{shown:#}"
    );
}

/// The "Known errors" view lists known errors only, and `/` finds one by a
/// word of its symptom; Enter shows its symptom, workaround and the
/// incidents it was applied to.
#[test]
fn the_knowledge_view_lists_and_searches_known_errors() {
    let env = Env::new();
    let printer = env.known_error(
        "osf",
        "Impresora fiscal sin papel",
        "La impresora fiscal muestra el código E07",
        "Cambiar el rollo y reiniciar el servicio de impresión",
    );
    let vpn = env.known_error(
        "osf",
        "Túnel VPN sin ruta",
        "La conexión VPN se establece pero no hay tráfico",
        "Reconectar con el perfil de respaldo",
    );
    let incident = env.incident("Ticket de la cola", "Nada que ver");
    env.ok(&["known", "apply", &vpn, &incident]);
    let mut pty = Pty::spawn(&env, 100, 30, &[], &[]);
    pty.wait_for("Ticket de la cola");

    // The views menu: the last view is "Known errors".
    pty.send("vG");
    pty.wait_for("Known errors");
    pty.send(ENTER);
    let screen = pty.wait_until("the known errors", |s| {
        s.contains("Queue · Known errors (2)") && s.contains("Túnel VPN")
    });
    assert!(screen.contains("Impresora fiscal"), "{screen}");
    assert!(!screen.contains("Ticket de la cola"), "{screen}");

    // A word of the symptom finds the one it belongs to.
    pty.send("/tráfico");
    pty.wait_until("the search to leave the VPN error", |s| {
        s.contains("Túnel VPN") && !s.contains("Impresora fiscal")
    });
    pty.send(ENTER);
    pty.send(ENTER);
    let detail = pty.wait_for("Linked incidents (1)");
    assert!(detail.contains("Symptom"), "{detail}");
    assert!(detail.contains("Reconectar con el perfil"), "{detail}");
    assert!(detail.contains(&incident), "{detail}");

    // Esc back to the queue, Esc again back to the open tickets (one at a
    // time: two in a row read as alt-esc).
    pty.send(ESC);
    pty.wait_for("Queue · Known errors (1)");
    pty.send(ESC);
    pty.wait_until("the open queue", |s| {
        s.contains("Queue · Open") && s.contains("Ticket de la cola")
    });
    assert!(!printer.is_empty());
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// Two marked rows attached to the newest major incident (offered in the
/// prompt) are both its children.
#[test]
fn marked_rows_attach_to_a_major_incident() {
    let env = Env::new();
    let major = env.incident("Caída del portal", "Nadie entra");
    env.ok_as(MANAGER, &["major", "declare", &major, "--reason", "Caída"]);
    let first = env.incident("Reporte uno", "No entra");
    let second = env.incident("Reporte dos", "Tampoco");
    let mut pty = Pty::spawn(&env, 100, 24, &[], &[]);
    pty.wait_for("0 open reports");
    // The two newest rows: mark them, then attach.
    pty.send("  ");
    pty.wait_for("2 marked");
    pty.send("M");
    let prompt = pty.wait_for("Attach to major incident");
    assert!(
        prompt.contains(&major),
        "the newest major incident is offered: {prompt}"
    );
    pty.send(ENTER);
    pty.wait_for(&format!("{major}: 2 attached"));
    pty.wait_for("· 2 open reports");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);

    for key in [&first, &second] {
        assert_eq!(links_of(&env.show(key), "major"), vec![major.clone()]);
    }
}

/// Rejecting as a duplicate in the console proposes the likeliest
/// originals: the worker finds them, the note prompt lists them and starts
/// with the first, and Enter rejects with that ticket as the original.
#[test]
fn rejecting_as_a_duplicate_proposes_the_original() {
    let env = Env::new();
    let original = env.incident(
        "Caída de facturación en Bogotá",
        "No se generan las facturas de Bogotá desde las 8",
    );
    env.incident("Clave bloqueada", "El usuario no puede entrar");
    let copy = env.incident(
        "Facturación caída",
        "No se generan las facturas desde las 8 en Bogotá",
    );
    let mut pty = Pty::spawn(&env, 120, 30, &[], &[]);
    pty.wait_for(&copy);
    // The newest row is the copy; the reasons are critical, missing_docs,
    // config_request, duplicate.
    pty.send("R");
    pty.wait_for("duplicate — ");
    pty.send("jjj");
    pty.send(ENTER);
    let screen = pty.wait_for("Likely originals");
    assert!(screen.contains(&original), "{screen}");
    // The key is typed by the operator (here in lower case), not for them.
    pty.send(&format!("{} mismo caso", original.to_lowercase()));
    pty.send(ENTER);
    pty.wait_for(&format!("{copy}: rejected (Duplicate incident)"));
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    let shown = env.show(&copy);
    assert_eq!(shown["status"], "rejected", "{shown}");
    assert_eq!(shown["duplicate_of"], original.as_str(), "{shown}");
}

/// The detail of a ticket being worked lists earlier tickets like it that
/// were solved, with their solution (its text defused on screen).
#[test]
fn the_detail_lists_earlier_solved_tickets_with_their_solution() {
    let env = Env::new();
    let earlier = env.incident(
        "La impresora de facturación no imprime",
        "Al enviar facturas a la impresora de la sede norte no sale nada",
    );
    env.ok(&["move", &earlier, "in_progress"]);
    env.ok(&[
        "move",
        &earlier,
        "resolved",
        "--field",
        "solution=Reinstalar el controlador \x1b]0;PWNED\x07de la impresora",
    ]);
    let now = env.incident(
        "No imprime la impresora de facturación",
        "Las facturas no salen por la impresora de la sede norte",
    );
    let mut pty = Pty::spawn(&env, 100, 50, &[], &[]);
    pty.wait_for(&now);
    pty.send(ENTER);
    let screen = pty.wait_for("Solved before, with their solution");
    assert!(screen.contains(&earlier), "{screen}");
    assert!(
        screen.contains("Solution: Reinstalar el controlador ␛]0;PWNED"),
        "{screen}"
    );
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    assert!(
        !pty.raw.windows(8).any(|w| w == b"\x1b]0;PWNE"),
        "the escape reached the terminal"
    );
}

/// The new-ticket form's "Similar open tickets" are tickets, as `guardia
/// new` lists them: a problem and a known error with the same words are
/// suggested elsewhere, never offered as the ticket being duplicated.
#[test]
fn the_new_ticket_form_lists_no_records_among_similar_tickets() {
    let env = Env::new();
    let problem = env.problem(
        "Impresora fiscal bloqueada en caja",
        "La impresora fiscal no responde en caja",
    );
    let known = env.known_error(
        "osf",
        "Impresora fiscal bloqueada",
        "La impresora fiscal no responde",
        "Reiniciar la impresora fiscal",
    );
    let incident = env.incident(
        "Impresora fiscal bloqueada en la sede norte",
        "No imprime facturas",
    );
    // The command line's answer for the same title.
    let created = env.json(&[
        "new",
        "--type",
        "incident",
        "--service",
        "osf",
        "--title",
        "Impresora fiscal bloqueada",
        "--description",
        "No imprime",
        "--field",
        "reporter_email=ana.torres@example.org",
        "--field",
        "extension=5550",
        "--field",
        "executable=FACT01",
        "--field",
        "environment=produccion",
        "--json",
    ]);
    let similar: Vec<String> = common::keys(&created["similar"]);
    assert_eq!(similar, vec![incident.clone()], "{created:#}");

    let mut pty = Pty::spawn(&env, 100, 30, &[], &[]);
    pty.wait_for(&incident);
    pty.send("n");
    pty.wait_for("New ticket");
    pty.send("Impresora fiscal bloqueada");
    // The rows under the heading, up to the keys' hint.
    let section = |s: &str| -> String {
        s.split("Similar open tickets")
            .nth(1)
            .and_then(|rest| rest.split("Tab/↑↓").next())
            .unwrap_or_default()
            .to_string()
    };
    let screen = pty.wait_until("the similar tickets", |s| {
        section(s).contains(&format!(" {incident}  "))
    });
    let listed = section(&screen);
    for record in [&problem, &known] {
        assert!(
            !listed.contains(&format!(" {record}  ")),
            "{record} listed:\n{screen}"
        );
    }
    // A title is typed: the first Esc asks, the second discards.
    pty.send(ESC);
    pty.wait_for("Esc again discards what you typed (1 field)");
    pty.send(ESC);
    pty.wait_until("the form to close", |s| !s.contains("Similar open tickets"));
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}
