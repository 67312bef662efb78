//! The console end to end: the built binary in a real pseudo-terminal,
//! driven by keys, asserted on the screen and then on the database.

mod common;

use common::Env;
use common::pty::Pty;
use std::time::Duration;

const ENTER: &str = "\r";
const CTRL_S: &str = "\x13";
const TAB: &str = "\t";
const CTRL_R: &str = "\x12";

#[test]
fn opens_on_the_queue_and_quits_cleanly() {
    let env = Env::new();
    env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    let screen = pty.wait_for("Impresora del pis");
    assert!(screen.contains("Queue"), "{screen}");
    assert!(screen.contains("BOG-1"), "{screen}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    // The terminal was given back: alternate screen left, cursor shown.
    let tail = String::from_utf8_lossy(&pty.raw[pty.raw.len().saturating_sub(200)..]).to_string();
    assert!(
        tail.contains("\x1b[?1049l"),
        "alternate screen not left: {tail:?}"
    );
    assert!(
        tail.contains("\x1b[?25h"),
        "cursor not shown again: {tail:?}"
    );
}

/// The scenario of the issue: open, filter, open a ticket, comment, try to
/// escalate (refused: fields missing), fill them, escalate, tick a runbook
/// item, quit; then the database must hold all of it.
#[test]
fn works_a_ticket_from_filter_to_escalation() {
    let env = Env::new();
    env.incident("Correo lento en la sede norte", "Tarda en abrir");
    let key = env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    env.incident("VPN caída para el equipo de cobros", "Sin acceso");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for("VPN caída");

    // Incremental filter: the other tickets go away as the word is typed.
    pty.send("/impre");
    pty.wait_until("the filter to leave one ticket", |s| {
        s.contains("Impresora") && !s.contains("VPN caída") && !s.contains("Correo lento")
    });
    pty.send(ENTER);
    pty.send(ENTER);
    pty.wait_for("Sale en blanco");

    // A comment on one line.
    pty.send("c");
    pty.wait_for("Comment");
    pty.send("Se reinició la cola de impresión");
    pty.send(ENTER);
    pty.wait_for("comment saved");

    // Escalating opens the dossier form; saving it empty is refused.
    pty.send("E");
    let form = pty.wait_for("Dossier to escalate");
    assert!(form.contains("Missing"), "{form}");
    pty.send(CTRL_S);
    pty.wait_for("! Missing:");
    let count: usize = form
        .lines()
        .find_map(|l| l.split("Missing ").nth(1))
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok())
        .expect("the form says how many fields are missing");
    assert!(count > 0);
    // A word where a number belongs is caught in the form, which stays open.
    for _ in 0..count {
        pty.send("dato");
        pty.send(TAB);
    }
    pty.send(CTRL_S);
    pty.wait_for("is not a number");
    // The form put the cursor on the bad field; numbers suit every field
    // from there on (text fields take them too).
    for _ in 0..count {
        pty.send("\x15");
        pty.send("12");
        pty.send(TAB);
    }
    pty.send(CTRL_S);
    pty.wait_for("escalated to level 2");

    // Runbooks: start the first one for this service and tick its first item.
    pty.send("4");
    pty.wait_for("not started on this ticket");
    pty.send(ENTER);
    pty.wait_for("started by ana");
    pty.send("j ");
    pty.wait_for("Evidence for the step");
    pty.send("ping ok a 10.0.0.5");
    pty.send(ENTER);
    pty.wait_for("[x]");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);

    let shown = env.show(&key);
    assert_eq!(shown["level"], 2, "{shown:#}");
    let comments = shown["comments"].as_array().expect("comments");
    assert!(
        comments
            .iter()
            .any(|c| c["body"] == "Se reinició la cola de impresión")
    );
    assert_eq!(shown["fields"]["affected_users"], 12, "{shown:#}");
    assert!(
        shown["fields"]["incident_detail"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{shown:#}"
    );
    let runs = shown["runbooks"].as_array().expect("runbooks");
    assert!(
        runs.iter().any(|r| r["ticks"].as_array().is_some_and(|t| t
            .iter()
            .any(|t| t["evidence"] == "ping ok a 10.0.0.5" && t["checked"] == true))),
        "{shown:#}"
    );
    let doctor = env.cmd().arg("doctor").output().expect("doctor");
    assert!(
        doctor.status.success(),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
}

/// Another process changes the database; the open console shows it
/// without a key being pressed.
#[test]
fn shows_changes_made_by_another_process() {
    let env = Env::new();
    env.incident("Primer ticket", "uno");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for("Primer ticket");
    env.incident("Ticket creado desde otra terminal", "dos");
    pty.wait_for("Ticket creado des");
    pty.send("\x03");
    assert_eq!(pty.wait_exit(), 0);
}

/// One cursor move at 80x24 must cost less than 1 KB over the wire.
#[test]
fn a_cursor_move_writes_under_one_kilobyte() {
    let env = Env::new();
    for i in 0..30 {
        env.incident(
            &format!("Ticket número {i} con título largo para llenar"),
            "x",
        );
    }
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for("número 29");
    pty.settle(Duration::from_millis(300));
    for _ in 0..5 {
        pty.send("j");
        let bytes = pty.settle(Duration::from_millis(300));
        assert!(bytes > 0, "the move drew nothing");
        assert!(bytes <= 1024, "one cursor move wrote {bytes} bytes");
    }
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// SIGTERM and SIGHUP (a dropped SSH link) restore the terminal too.
#[test]
fn signals_restore_the_terminal() {
    for sig in [libc_sig::TERM, libc_sig::HUP] {
        let env = Env::new();
        env.incident("Algo", "x");
        let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
        pty.wait_for("Algo");
        let pid = pty.pid().expect("pid");
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let code = pty.wait_exit();
        assert_ne!(code, 0, "a signal is not a normal exit");
        let raw = String::from_utf8_lossy(&pty.raw).to_string();
        assert!(
            raw.contains("\x1b[?1049l"),
            "alternate screen not left after SIG{sig}"
        );
    }
}

mod libc_sig {
    pub const TERM: &str = "TERM";
    pub const HUP: &str = "HUP";
}

/// Configuration errors are reported before raw mode: plain text, exit 1.
#[test]
fn a_bad_keymap_is_refused_before_the_terminal_changes() {
    let env = Env::new();
    env.write_config("keymap.toml", "[queue]\n\"j\" = \"fly_away\"\n");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    let code = pty.wait_exit();
    assert_eq!(code, 1);
    let screen = pty.screen();
    assert!(screen.contains("keymap.toml:2"), "{screen}");
    assert!(
        !String::from_utf8_lossy(&pty.raw).contains("\x1b[?1049h"),
        "raw mode was entered"
    );
}

/// Resizing down to 40x12 and back never panics and keeps drawing.
#[test]
fn survives_resizes_down_to_forty_by_twelve() {
    let env = Env::new();
    env.incident("Pantalla que cambia de tamaño", "x");
    let mut pty = Pty::spawn(&env, 120, 40, &[], &[]);
    pty.wait_for("Pantalla que cambia");
    for (c, r) in [(80, 24), (40, 12), (20, 5), (120, 40)] {
        pty.resize(c, r);
        pty.settle(Duration::from_millis(200));
    }
    pty.wait_for("Pantalla que cambia");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// Long work runs in the background: the doctor, started from the palette,
/// reports in the status line while the queue stays usable.
#[test]
fn the_doctor_runs_in_the_background_from_the_palette() {
    let env = Env::new();
    env.incident("Primero", "x");
    env.incident("Segundo", "x");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for("Segundo");
    pty.send(":doctor");
    pty.wait_for("Check the database");
    pty.send(ENTER);
    pty.wait_for("doctor: OK");
    pty.send("j");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// NO_COLOR: no colour escape reaches the terminal, and the selection is
/// still visible as reverse video.
#[test]
fn no_color_draws_without_colour() {
    let env = Env::new();
    env.incident("Sin colores", "x");
    let mut pty = Pty::spawn(&env, 80, 24, &[("NO_COLOR", "1")], &[]);
    pty.wait_for("Sin colores");
    pty.settle(Duration::from_millis(200));
    let raw = String::from_utf8_lossy(&pty.raw).to_string();
    for code in [
        "38;5", "48;5", "[31m", "[32m", "[33m", "[36m", "[34m", "[46m", "[43m",
    ] {
        assert!(!raw.contains(code), "colour {code:?} drawn under NO_COLOR");
    }
    assert!(
        raw.contains("\x1b[7m"),
        "the selection is not reverse video"
    );
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// Spanish by default with a Spanish locale; accents and ñ line up.
#[test]
fn speaks_spanish_with_a_spanish_locale() {
    let mut env = Env::new();
    env.incident("Señal débil en la sede Ñuñoa", "x");
    env.lang = "es".into();
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    let screen = pty.wait_for("Señal débil");
    assert!(
        screen.contains("Cola") && screen.contains("TÍTULO"),
        "{screen}"
    );
    let header = screen
        .lines()
        .find(|l| l.contains("TÍTULO"))
        .expect("header");
    let row = screen
        .lines()
        .find(|l| l.contains("Señal débil"))
        .expect("row");
    // Columns align: the title starts at the same column in both lines.
    let col = |l: &str, needle: &str| l.split(needle).next().map(|p| p.chars().count());
    assert_eq!(
        col(header, "TÍTULO"),
        col(row, "Señal"),
        "\n{header}\n{row}"
    );
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// A panic restores the terminal before the message is printed.
#[test]
fn a_panic_restores_the_terminal() {
    let env = Env::new();
    env.incident("Antes del pánico", "x");
    let mut pty = Pty::spawn(&env, 80, 24, &[("GUARDIA_TEST_PANIC", "1")], &[]);
    pty.wait_for("Antes del");
    pty.send("!");
    let code = pty.wait_exit();
    assert_ne!(code, 0);
    let raw = String::from_utf8_lossy(&pty.raw).to_string();
    let left = raw.rfind("\x1b[?1049l").expect("alternate screen left");
    let message = raw
        .rfind("test panic requested")
        .expect("panic message shown");
    assert!(
        left < message,
        "the panic message was printed inside the alternate screen"
    );
}

/// The dashboard counts the open tickets and follows changes made elsewhere.
#[test]
fn the_dashboard_counts_and_refreshes_live() {
    let env = Env::new();
    env.incident("Uno", "x");
    env.incident("Dos", "x");
    let mut pty = Pty::spawn(&env, 100, 30, &[], &[]);
    pty.wait_for("Dos");
    pty.send("5");
    let screen = pty.wait_for("2 open");
    assert!(screen.contains("Open by priority"), "{screen}");
    assert!(screen.contains("Oldest open"), "{screen}");
    env.incident("Tres, desde otra terminal", "x");
    pty.wait_for("3 open");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// `e` hands the terminal to $EDITOR for a comment and takes it back.
#[test]
fn a_comment_written_in_the_editor_is_saved() {
    let env = Env::new();
    let key = env.incident("Necesita un comentario largo", "x");
    let editor = env.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Primera línea del editor\\nSegunda línea\\n' >> \"$1\"\n",
    )
    .expect("write the fake editor");
    let mut perms = std::fs::metadata(&editor).expect("editor").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&editor, perms).expect("chmod");
    let editor = editor.display().to_string();
    let mut pty = Pty::spawn(&env, 80, 24, &[("EDITOR", &editor), ("VISUAL", "")], &[]);
    pty.wait_for("Necesita un comen");
    pty.send(ENTER);
    pty.wait_for("Description");
    pty.send("e");
    pty.wait_for("comment saved");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    let shown = env.show(&key);
    let bodies: Vec<&str> = shown["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|c| c["body"].as_str())
        .collect();
    assert_eq!(
        bodies,
        ["Primera línea del editor\nSegunda línea"],
        "{shown:#}"
    );
}

/// An editor that fails (missing, or quitting with an error) is reported as
/// a failure, not as "Empty comment: nothing saved" with a tick.
#[test]
fn a_failing_editor_is_reported_as_such() {
    let env = Env::new();
    let key = env.incident("Editor roto", "x");
    let missing = env.path().join("no-such-editor");
    let missing = missing.display().to_string();
    let mut pty = Pty::spawn(&env, 100, 24, &[("EDITOR", &missing), ("VISUAL", "")], &[]);
    pty.wait_for("Editor roto");
    pty.send(ENTER);
    pty.wait_for("Description");
    pty.send("e");
    let screen = pty.wait_for("nothing saved: the editor failed");
    assert!(screen.contains("failed"), "{screen}");
    assert!(!screen.contains("Empty comment"), "{screen}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    assert_eq!(env.show(&key)["comments"], serde_json::json!([]));
}

/// A write asked for just before quitting (in the same burst of keys) is
/// carried out before guardia exits.
#[test]
fn a_write_just_before_quitting_is_not_lost() {
    let env = Env::new();
    let key = env.incident("Asignar y salir", "x");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for("Asignar y salir");
    pty.send("aq");
    assert_eq!(pty.wait_exit(), 0);
    assert_eq!(env.show(&key)["assignee"], "ana");
}

/// A console that assigned a ticket and quit while another connection
/// (returned, still holding it) had the write lock, once guardia said it
/// is waiting for it.
fn quit_while_the_lock_is_held(title: &str) -> (Env, String, Pty, rusqlite::Connection) {
    let env = Env::new();
    let key = env.incident(title, "x");
    let mut pty = Pty::spawn(&env, 100, 24, &[], &[]);
    pty.wait_for(title);
    let holder = rusqlite::Connection::open(&env.db).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    pty.send("aq");
    pty.wait_for("another process is writing");
    (env, key, pty, holder)
}

/// Quitting while another process holds the write lock: guardia says why
/// it has not exited yet, saves the change once the lock is free, and
/// prints what the change did on the restored terminal.
#[test]
fn quitting_while_another_process_writes_says_so_and_saves() {
    let (env, key, mut pty, holder) = quit_while_the_lock_is_held("Asignar con la base ocupada");
    assert!(
        pty.screen().contains("Ctrl-c abandons them"),
        "{}",
        pty.screen()
    );
    holder.execute_batch("ROLLBACK").expect("release the lock");
    assert_eq!(pty.wait_exit(), 0);
    let screen = pty.screen();
    assert!(screen.contains(&format!("guardia: {key}")), "{screen}");
    assert_eq!(env.show(&key)["assignee"], "ana");
}

/// A change that still could not be made when its wait for the lock ran
/// out is lost: guardia says which, says to make it again, and exits 1
/// (not 0, which would tell a wrapper all went well).
#[test]
fn a_change_lost_after_quitting_is_said_and_fails_the_exit() {
    let env = Env::new();
    let key = env.incident("Se pierde al salir", "x");
    let mut pty = Pty::spawn(
        &env,
        100,
        24,
        &[("GUARDIA_TEST_WRITE_PATIENCE_MS", "1500")],
        &[],
    );
    pty.wait_for("Se pierde al salir");
    let holder = rusqlite::Connection::open(&env.db).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    pty.send("aq");
    assert_eq!(pty.wait_exit(), 1);
    let screen = pty.screen();
    assert!(screen.contains(&format!("not saved: {key}")), "{screen}");
    assert!(
        screen.contains("open guardia and make them again"),
        "{screen}"
    );
    holder.execute_batch("ROLLBACK").expect("release the lock");
    assert_eq!(env.show(&key)["assignee"], serde_json::Value::Null);
}

/// Ctrl-c while quitting waits for the lock gives the change up: nothing
/// half-written, and the exit says it was interrupted.
#[test]
fn ctrl_c_gives_up_a_change_waiting_for_the_lock() {
    let (env, key, mut pty, holder) = quit_while_the_lock_is_held("Abandonar al salir");
    pty.send("\x03");
    assert_ne!(pty.wait_exit(), 0);
    holder.execute_batch("ROLLBACK").expect("release the lock");
    assert_eq!(env.show(&key)["assignee"], serde_json::Value::Null);
}

/// The title counts every open ticket; only text filters stop at 1000.
#[test]
fn the_queue_count_is_exact_beyond_a_thousand() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "1500", "--bare"]);
    let open = env.list_keys(&["--open", "--limit", "1000"]).len();
    assert!(open > 0);
    let total_open: usize = {
        let mut n = open;
        let mut after = env
            .list_keys(&["--open", "--limit", "1000"])
            .last()
            .cloned();
        while let Some(a) = after {
            let page = env.list_keys(&["--open", "--limit", "1000", "--after", &a]);
            n += page.len();
            after = page.last().cloned();
        }
        n
    };
    assert!(
        total_open > 1000,
        "the test needs more than 1000 open tickets"
    );
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for(&format!("Open ({total_open})"));
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// A first run on a fresh machine: no database, no configuration, an OS
/// account no operator names. The console opens on a generated example
/// database, acting as its first (invented) operator.
#[test]
fn a_fresh_machine_opens_a_populated_example_console() {
    let env = Env::empty();
    let started = std::time::Instant::now();
    let mut pty = Pty::spawn_fresh(&env, 100, 30, &[]);
    let screen = pty.wait_for("BOG-400");
    let elapsed = started.elapsed();
    assert!(screen.contains("[example]"), "{screen}");
    assert!(screen.contains("as ana"), "{screen}");
    pty.settle(Duration::from_millis(300));
    println!(
        "fresh start to a populated console: {elapsed:?}\n{}",
        pty.screen()
    );
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    let example = env.path().join("home/data/guardia/example.db");
    assert!(
        example.exists(),
        "no example database at {}",
        example.display()
    );
}

/// The queue's SLA column: the response clock of a new support request
/// (8 business hours from Monday 09:30 in Bogotá), and `!` once breached.
#[test]
fn the_queue_shows_sla_clocks() {
    let mut env = Env::new();
    env.support("Reloj de SLA en la cola", "x");
    env.now = "2026-03-02T10:30:00-05:00".into();
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    let screen = pty.wait_until("the SLA clock in the row", |s| {
        s.lines()
            .any(|l| l.contains("Reloj de SLA") && l.contains(" 7h "))
    });
    assert!(screen.contains("SLA"), "{screen}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    // Two days later the response is long overdue.
    env.now = "2026-03-04T10:30:00-05:00".into();
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_until("a breached clock", |s| {
        s.lines()
            .any(|l| l.contains("Reloj de SLA") && l.contains(" !"))
    });
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

/// Ctrl-r: a folder sync from the console, in the background, between two
/// sites. The ticket made at the other site appears; concurrent assignments
/// show as a conflict (marked in the queue, a badge in the detail) that one
/// assignment from the console settles.
#[test]
fn syncs_a_folder_in_the_background_and_settles_a_conflict() {
    let s = common::sync::sites(2);
    let shared = s[0].path().join("compartido");
    std::fs::create_dir_all(&shared).expect("shared folder");
    let shared_text = shared.display().to_string();
    let key = s[0].incident("VPN caída en la sede norte", "Sin acceso desde las 8");
    s[0].ok(&["sync", "folder", &shared_text]);
    s[1].write_config(
        "guardia.toml",
        &format!(
            "{}\n[sync]\nfolder = \"{shared_text}\"\n",
            common::default_config("guardia.toml")
        ),
    );
    let mut pty = Pty::spawn(&s[1], 120, 30, &[], &[]);
    pty.wait_for("Queue");
    pty.send(CTRL_R);
    let screen = pty.wait_until("the sync's result and the ticket", |s| {
        s.contains("synced: imported") && s.contains("VPN caída en la sede")
    });
    assert!(screen.contains(&key), "{screen}");
    assert!(!screen.contains('⚠'), "no conflict yet: {screen}");

    // Offline, both sites assign it; Bogotá syncs first.
    s[0].ok(&["assign", &key, "carla"]);
    s[0].ok(&["sync", "folder", &shared_text]);
    s[1].ok(&["assign", &key, "bruno"]);
    pty.wait_for("bruno");
    pty.send(CTRL_R);
    let screen = pty.wait_until("the conflict", |s| {
        s.contains("1 conflict to settle") && s.contains("⚠ Sync conflict · Assignee")
    });
    assert!(screen.contains(&format!("⚠{key}")), "queue mark: {screen}");
    assert!(screen.contains("A Assign to…"), "{screen}");

    // One assignment from the console settles it.
    pty.send(&format!(":assign carla{ENTER}"));
    pty.wait_until("the conflict to go", |s| {
        s.contains("assigned to carla") && !s.contains('⚠')
    });
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    assert!(s[1].ok(&["sync", "status"]).contains("conflicts: 0"));
    assert_eq!(s[1].show(&key)["assignee"], "carla");
}

/// Left alone, the console merges the full-text index's segments that
/// tickets registered one by one leave behind.
#[test]
fn an_idle_console_compacts_the_text_index() {
    let env = Env::new();
    for i in 0..10 {
        env.incident(&format!("Sin acceso a la VPN {i}"), "Desde casa");
    }
    let before = common::text_segments(&env.db);
    assert!(before >= 5, "one small segment per ticket, got {before}");
    let mut pty = Pty::spawn(&env, 100, 30, &[], &[]);
    pty.wait_for("Sin acceso a la VPN 9");
    let deadline = std::time::Instant::now() + common::pty::timeout();
    while common::text_segments(&env.db) >= before {
        assert!(
            std::time::Instant::now() < deadline,
            "the console left the index at {before} segments"
        );
        pty.settle(Duration::from_millis(200));
    }
    pty.send("\x03");
    assert_eq!(pty.wait_exit(), 0);
}

/// The SSH connection drops: the terminal's master side closes under a
/// running console. It ends as hung up (exit 129, SIGHUP) or cleanly, never
/// as a crash (101: ratatui's cleanup used to panic printing to the dead
/// terminal). A raw pseudo-terminal is used, as the test harness's own keeps
/// its master open in a reader thread.
#[test]
fn a_dropped_connection_is_a_hangup_not_a_crash() {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let env = Env::new();
    env.incident("Algo", "x");
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two fresh descriptors, owned right below.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: a descriptor just opened. Not inherited by the console, or
    // the master side would stay open in it and never hang up.
    unsafe { libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC) };
    // SAFETY: both descriptors were just opened and are owned once each.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = env.std_cmd_as("ana");
    cmd.env("TERM", "xterm-256color")
        .stdin(slave.try_clone().expect("dup"))
        .stdout(slave.try_clone().expect("dup"))
        .stderr(slave.try_clone().expect("dup"));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn the console");
    // The command holds copies of the slave side; only the child may.
    drop(cmd);
    drop(slave);
    // Read what it draws for a while (poll, so nothing blocks), then hang up.
    let mut reader = std::fs::File::from(master);
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(2500) {
        let mut poll = libc::pollfd {
            fd: std::os::fd::AsRawFd::as_raw_fd(&reader),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call.
        if unsafe { libc::poll(&mut poll, 1, 100) } > 0 {
            let mut buf = [0u8; 4096];
            match std::io::Read::read(&mut reader, &mut buf) {
                Ok(n) if n > 0 => seen.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
    }
    assert!(!seen.is_empty(), "the console drew nothing");
    drop(reader);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the console kept running after its terminal went away");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .expect("an exit code or a signal");
    assert!(code == 129 || code == 0, "exit {code} ({status:?})");
}

/// A value the database refuses keeps its prompt open with the text and the
/// whole refusal, worded for the console; corrected, it is saved. The
/// palette's `assign none` says it as the command line does.
#[test]
fn a_refused_value_keeps_its_prompt_and_text() {
    let env = Env::new();
    let key = env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for("Impresora del pis");

    // `=` on the reporter's e-mail (after title, description, impact,
    // urgency and service), one address of two wrong.
    pty.send("=");
    pty.wait_for(&format!("Field to set · {key}"));
    pty.send("jjjjj");
    pty.send(ENTER);
    pty.wait_for(&format!("New value (Reporter's e-mail) · {key}"));
    pty.send("\x15ana.torres@example.org, noc@conectasur");
    pty.send(ENTER);
    let screen = pty.wait_for("is not an e-mail address");
    assert!(
        screen.contains("ana.torres@example.org, noc@conectasur"),
        "the text typed is still there: {screen}"
    );
    assert!(screen.contains("New value (Reporter's e-mail)"), "{screen}");
    pty.send("\x15ana.torres@example.org, noc@conectasur.example.org");
    pty.send(ENTER);
    pty.wait_for(&format!(
        "{key}: Reporter's e-mail → ana.torres@example.org, noc@conectasur.example.org"
    ));

    // A manual priority without its justification: said for the console.
    pty.send("p");
    pty.wait_for(&format!("Priority · {key}"));
    pty.send(ENTER);
    pty.wait_for("Why the priority changes");
    pty.send(ENTER);
    let screen = pty.wait_for("a manual priority needs a justification; write why in the");
    assert!(
        screen.contains("justification prompt (the matrix"),
        "{screen}"
    );
    assert!(!screen.contains("--justification"), "{screen}");
    pty.send("\x1b");
    // Alone, so that the next key is not read as Alt with it.
    pty.wait_until("the prompt to close", |s| !s.contains("Why the priority"));

    pty.send("a");
    pty.wait_for("assigned to ana");
    pty.send(":");
    pty.send("assign none");
    pty.send(ENTER);
    pty.wait_for("assigned to nobody");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);

    let shown = env.show(&key);
    assert_eq!(
        shown["fields"]["reporter_email"], "ana.torres@example.org, noc@conectasur.example.org",
        "{shown:#}"
    );
    assert!(shown["assignee"].is_null(), "{shown:#}");
}

/// In Spanish, what the status line says after a change is in the words
/// of the screens: a state by the name its workflow gives it, a field by
/// its label (built-in ones too) and its new value by name, a count of one
/// ticket in the singular.
#[test]
fn status_lines_speak_of_fields_and_states_by_name() {
    use guardia::config::Config;
    let mut env = Env::new();
    let older = env.incident("Correo lento en la sede norte", "Tarda en abrir");
    let newer = env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    env.lang = "es".into();
    let cfg = Config::builtin().expect("built-in configuration");
    let wf = cfg
        .workflow_for_type("incident")
        .expect("incident workflow");
    let down = |list: &[String], id: &str| {
        let at = list
            .iter()
            .position(|s| s == id)
            .unwrap_or_else(|| panic!("{id} not offered in {list:?}"));
        "j".repeat(at)
    };
    let mut pty = Pty::spawn(&env, 100, 30, &[], &[]);
    pty.wait_for("Impresora del piso");

    // One ticket moved: the state by its incident workflow's name.
    pty.send("s");
    pty.wait_for(&format!("Mover a · {newer}"));
    let reachable = guardia::domain::lifecycle::reachable(wf, "new");
    pty.send(&down(&reachable, "in_progress"));
    pty.send(ENTER);
    pty.wait_for("Nota del cambio de estado");
    pty.send(ENTER);
    let screen = pty.wait_for(&format!("{newer}: ahora En diagnóstico y solución"));
    assert!(!screen.contains("movido a"), "{screen}");

    // Both marked and moved to `assigned`: the newer one is refused.
    pty.send("  ");
    pty.wait_for("2 marcados");
    pty.send("s");
    pty.wait_for("Mover a ·");
    let mut all: Vec<String> = cfg
        .workflows
        .iter()
        .flat_map(|w| w.states.iter().map(|s| s.id.get_ref().clone()))
        .collect();
    all.sort();
    all.dedup();
    pty.send(&down(&all, "assigned"));
    pty.send(ENTER);
    pty.wait_for("Nota del cambio de estado");
    pty.send(ENTER);
    let screen = pty.wait_for("1 ticket: ahora Valorado y asignado");
    assert!(!screen.contains("1 tickets"), "{screen}");
    assert!(screen.contains(&newer), "{screen}");
    // The prompt opened again for the refused one; closed, then the marks.
    pty.send("\x1b");
    pty.wait_until("the prompt to close", |s| {
        !s.contains("Nota del cambio de estado")
    });
    pty.send("\x1b");
    pty.wait_until("the marks to go", |s| !s.contains("marcado"));
    pty.send("g");

    // A built-in field by its label and its value by name.
    pty.send("=");
    let menu = pty.wait_for("Campo a editar");
    assert!(menu.contains("impact — Impacto"), "{menu}");
    pty.send("jj");
    pty.send(ENTER);
    pty.wait_for("Nuevo valor (Impacto)");
    pty.send("\x15high");
    pty.send(ENTER);
    let screen = pty.wait_for(&format!("{newer}: Impacto → Alto"));
    assert!(!screen.contains("actualizado"), "{screen}");

    // A manual priority: the priority by name.
    pty.send("p");
    pty.wait_for(&format!("Prioridad · {newer}"));
    pty.send(ENTER);
    pty.wait_for("Justificación del cambio de prioridad");
    pty.send("Caída de la facturación");
    pty.send(ENTER);
    pty.wait_for(&format!("{newer}: Prioridad → Crítica"));

    // A catalogue field by its label: no adjective to agree with it.
    let tt = cfg.ticket_type("incident").expect("incident type");
    let ids: Vec<String> = ["title", "description", "impact", "urgency", "service"]
        .iter()
        .map(|s| s.to_string())
        .chain(
            tt.mandatory
                .iter()
                .chain(&tt.optional)
                .map(|f| f.get_ref().clone()),
        )
        .collect();
    pty.send("=");
    pty.wait_for("Campo a editar");
    pty.send(&down(&ids, "solution"));
    pty.send(ENTER);
    pty.wait_for("Nuevo valor (Solución aplicada)");
    pty.send("Reinicié la cola de impresión");
    pty.send(ENTER);
    pty.wait_for(&format!(
        "{newer}: Solución aplicada → Reinicié la cola de impresión"
    ));
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);

    assert_eq!(env.show(&older)["status"], "assigned");
    let shown = env.show(&newer);
    assert_eq!(shown["status"], "in_progress", "{shown:#}");
    assert_eq!(shown["priority"], "critical", "{shown:#}");
    assert_eq!(shown["impact"], "high", "{shown:#}");
}

/// Someone else changes a field while it is being edited from its
/// pre-filled prompt: Enter is refused instead of undoing their change
/// unseen, the text typed stays in the prompt with what the field holds
/// now, and Enter again (the operator has seen it) applies the text.
#[test]
fn an_edit_does_not_undo_a_change_made_meanwhile() {
    let env = Env::new();
    let key = env.incident("ticket 3", "Sale en blanco");
    let mut pty = Pty::spawn(&env, 120, 40, &[], &[]);
    pty.wait_for("ticket 3");
    pty.send(ENTER);
    pty.wait_for("Sale en blanco");
    // `=` on the title, the first field offered: it starts as it is.
    pty.send("=");
    pty.wait_for(&format!("Field to set · {key}"));
    pty.send(ENTER);
    pty.wait_for(&format!("New value (Title) · {key}"));

    // From another shell, meanwhile; the console shows it.
    env.ok_as("julia", &["set", &key, "title=CLI title"]);
    pty.wait_for("CLI title");
    pty.send(" EDIT");
    pty.send(ENTER);
    let screen = pty.wait_for("Title changed meanwhile to 'CLI title' (by julia)");
    assert!(
        screen.contains("ticket 3 EDIT"),
        "the text typed is kept: {screen}"
    );
    assert!(
        screen.contains(&format!("New value (Title) · {key}")),
        "{screen}"
    );
    assert_eq!(env.show(&key)["title"], "CLI title", "nothing was written");

    // Seen: Enter again applies the text.
    pty.send(ENTER);
    pty.wait_for(&format!("{key}: Title → ticket 3 EDIT"));
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    assert_eq!(env.show(&key)["title"], "ticket 3 EDIT");
}

/// The same for the dossier form: a missing field someone fills while the
/// form is open is not overwritten by the form unseen; the form stays with
/// everything typed, and `Ctrl-s` again escalates with it.
#[test]
fn the_dossier_form_does_not_undo_a_field_filled_meanwhile() {
    let env = Env::new();
    let key = env.incident("Impresora del piso 3 no imprime", "Sale en blanco");
    let mut pty = Pty::spawn(&env, 120, 40, &[], &[]);
    pty.wait_for("Impresora del piso");
    pty.send(ENTER);
    pty.wait_for("Sale en blanco");
    pty.send("E");
    let form = pty.wait_for("Dossier to escalate");
    assert!(form.contains("Incident detail"), "{form}");
    let count: usize = form
        .lines()
        .find_map(|l| l.split("Missing ").nth(1))
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok())
        .expect("the form says how many fields are missing");

    env.ok_as("julia", &["set", &key, "incident_detail=Visto por julia"]);
    // Numbers suit every field (text fields take them too).
    for _ in 0..count {
        pty.send("12");
        pty.send(TAB);
    }
    pty.send(CTRL_S);
    let screen = pty.wait_for("Incident detail changed meanwhile to 'Visto por julia' (by julia)");
    assert!(screen.contains("Dossier to escalate"), "{screen}");
    let shown = env.show(&key);
    assert_eq!(shown["level"], 1, "{shown:#}");
    assert_eq!(shown["fields"]["incident_detail"], "Visto por julia");
    assert!(shown["fields"]["affected_users"].is_null(), "{shown:#}");

    pty.send(CTRL_S);
    pty.wait_for("escalated to level 2");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    let shown = env.show(&key);
    assert_eq!(shown["level"], 2, "{shown:#}");
    assert_eq!(shown["fields"]["incident_detail"], "12", "{shown:#}");
    assert_eq!(shown["fields"]["affected_users"], 12, "{shown:#}");
}
