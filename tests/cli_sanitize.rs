//! Hostile ticket text: escape sequences, OSC 52 clipboard writes, bidi
//! overrides, C0 controls and carriage returns never reach the terminal
//! through `show`, `list`, `log`, `dossier`, `search`; `--json` stays valid
//! JSON that carries the original text, escaped.

mod common;

use common::*;

/// Every trick at once, with printable words between them so the sanitized
/// text is still recognisable. No leading or trailing whitespace (titles are
/// trimmed) and no NUL (arguments cannot carry it).
const HOSTILE: &str = "Factura \u{1b}[31mROJA\u{1b}[0m \u{1b}]52;c;cm0gLXJmIH4=\u{7} \
clip \u{202E}txt.exe\u{202C} bidi \u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f} c0 \u{9b}31m c1 \
antes\rdespues \u{1b}]8;;http://evil.example/\u{7}enlace\u{1b}]8;;\u{7} fin";

fn hostile_ticket(env: &Env) -> String {
    let key = env.incident_with(
        HOSTILE,
        &format!("{HOSTILE}\nsegunda línea\r\ntercera"),
        &[
            "--field",
            &format!("incident_detail={HOSTILE}"),
            "--field",
            "executable=\u{1b}[2JFACT01",
        ],
    );
    env.ok(&["comment", &key, HOSTILE]);
    env.ok(&["comment", &key, &format!("interno {HOSTILE}"), "--internal"]);
    env.ok(&["worklog", &key, "15m", "--note", HOSTILE]);
    env.ok(&[
        "escalate",
        &key,
        "--hierarchical",
        "--to",
        "head",
        "--note",
        HOSTILE,
    ]);
    env.ok(&["runbook", "run", "osf-administracion", &key]);
    env.ok(&["runbook", "tick", &key, "zona", "--evidence", HOSTILE]);
    let file = env.path().join("evil\u{1b}[31m.txt");
    std::fs::write(&file, "x").expect("write");
    env.ok(&["attach", &key, file.to_str().expect("utf-8")]);
    key
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let hazards = terminal_hazards(bytes);
    assert!(
        hazards.is_empty(),
        "`{what}` printed {hazards:?}:\n{}",
        String::from_utf8_lossy(bytes).escape_debug()
    );
}

#[test]
fn human_output_never_carries_terminal_controls() {
    let env = Env::new();
    let key = hostile_ticket(&env);
    for args in [
        vec!["show", key.as_str()],
        vec!["list"],
        vec!["list", "--query", "Factura"],
        vec!["log", key.as_str()],
        vec!["dossier", key.as_str()],
        vec!["dossier", key.as_str(), "--format", "md"],
        vec!["search", "Factura"],
        vec!["search", "despues"],
    ] {
        let out = env.cmd().args(&args).output().expect("run");
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
        assert_clean(&args.join(" "), &out.stdout);
    }
    // The visible words survive, so the operator still sees what was written.
    let show = env.ok(&["show", &key]);
    for word in [
        "Factura",
        "ROJA",
        "clip",
        "txt.exe",
        "bidi",
        "c0",
        "c1",
        "antes",
        "despues",
        "enlace",
        "fin",
        "segunda línea",
        "tercera",
    ] {
        assert!(show.contains(word), "show lost {word:?}:\n{show}");
    }
    // Controls are made visible (ESC as a control picture), not silently kept.
    assert!(show.contains('\u{241B}'), "ESC shown as ␛:\n{show}");
}

#[test]
fn commands_that_echo_ticket_text_are_clean_too() {
    let env = Env::new();
    let key = hostile_ticket(&env);
    // `new` echoes similar open tickets' titles.
    let out = env
        .cmd()
        .args([
            "new",
            "--service",
            "osf",
            "--title",
            "Factura ROJA otra vez",
            "--description",
            "Factura clip bidi",
        ])
        .args(INCIDENT_FIELDS)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&key),
        "suggests the hostile ticket"
    );
    assert_clean("new (similar tickets)", &out.stdout);
    // Rejection echoes nothing hostile either.
    let out = env
        .cmd()
        .args(["reject", &key, "--reason", "missing_docs"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_clean("reject", &out.stdout);
    let out = env.cmd().args(["doctor"]).output().expect("run");
    assert!(out.status.success());
    assert_clean("doctor", &out.stdout);
}

#[test]
fn json_output_is_valid_and_keeps_the_original_text_escaped() {
    let env = Env::new();
    let key = hostile_ticket(&env);
    for args in [
        vec!["show", key.as_str(), "--json"],
        vec!["list", "--json"],
        vec!["search", "Factura", "--json"],
        vec!["log", key.as_str(), "--json"],
        vec!["dossier", key.as_str(), "--format", "json"],
    ] {
        let out = env.cmd().args(&args).output().expect("run");
        assert!(out.status.success(), "{args:?}");
        // serde escapes C0 controls; raw ESC, BEL or CR never appear.
        for (byte, name) in [
            (0x1b, "ESC"),
            (0x07, "BEL"),
            (b'\r', "CR"),
            (0x01, "SOH"),
            (0x08, "BS"),
        ] {
            assert!(!out.stdout.contains(&byte), "{args:?}: raw {name} in JSON");
        }
        // Nor what serde leaves raw and a terminal still obeys: DEL, the
        // C1 controls (U+009B is a CSI), bidi overrides; all escaped.
        let text = String::from_utf8_lossy(&out.stdout);
        let raw: Vec<char> = text
            .chars()
            .filter(|c| matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}'))
            .collect();
        assert!(raw.is_empty(), "{args:?}: raw {raw:?} in JSON");
        for escape in ["\\u007f", "\\u009b", "\\u202e"] {
            assert!(text.contains(escape), "{args:?}: no {escape} in JSON");
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: invalid JSON: {e}"));
        assert!(v.is_object() || v.is_array());
    }
    let t = env.show(&key);
    assert_eq!(t["title"], HOSTILE, "the stored title is the original text");
    assert_eq!(
        t["description"],
        format!("{HOSTILE}\nsegunda línea\r\ntercera")
    );
    assert_eq!(t["comments"][0]["body"], HOSTILE);
    assert_eq!(t["fields"]["incident_detail"], HOSTILE);
    assert_eq!(t["fields"]["executable"], "\u{1b}[2JFACT01");
    assert_eq!(t["worklog"][0]["note"], HOSTILE);
    assert_eq!(t["escalations"][0]["note"], HOSTILE);
    assert_eq!(t["runbooks"][0]["ticks"][0]["evidence"], HOSTILE);
    assert_eq!(t["attachments"][0]["name"], "evil\u{1b}[31m.txt");
    let list = env.json(&["list", "--json"]);
    assert_eq!(list[0]["title"], HOSTILE);
    let d = env.json(&["dossier", &key, "--format", "json"]);
    assert_eq!(d["title"], HOSTILE);
}

#[test]
fn error_messages_do_not_echo_control_sequences() {
    let env = Env::new();
    let key = env.incident("Prueba", "Mensajes de error");
    for args in [
        vec!["show", "BOG-\u{1b}[31m7"],
        vec!["set", key.as_str(), "campo\u{1b}]52;c;aGk=\u{7}=x"],
        vec!["set", key.as_str(), "environment=\u{202e}marte\u{1b}[2J"],
        vec!["move", key.as_str(), "volando\u{9b}31m"],
    ] {
        let out = env.output_as("ana", &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let hazards = terminal_hazards(&out.stderr);
        assert!(
            hazards.is_empty(),
            "{args:?} printed {hazards:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_error_message_stays_on_one_line() {
    let env = Env::new();
    let key = env.incident("Prueba", "Una línea");
    let out = env.output_as(
        "ana",
        &["set", &key, "affected_users=1\nguardia: BOG-1 updated"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn configuration_text_is_sanitized_where_printed() {
    let mut env = Env::new();
    env.lang = "es".into();
    let rb = default_config("runbooks.toml");
    let hostile = rb.replacen("es = \"", "es = \"\\u001b]0;PWNED\\u0007\\u001b[31m", 1);
    env.write_config("runbooks.toml", &hostile);
    let out = env.output_as("ana", &["runbook", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        terminal_hazards(&out.stdout).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// clap quotes the argument it refuses. It strips ANSI sequences only when
/// stderr is not a terminal, and never bidi overrides: the usage message is
/// neutralised by guardia, and still exits 2 as a usage error.
#[test]
fn usage_errors_do_not_echo_what_was_typed_raw() {
    let env = Env::new();
    for args in [
        vec!["list", "--limit", "\u{202e}abc\u{1b}]0;t\u{7}"],
        vec!["list", "--b\u{202e}ogus"],
        vec!["escalate", "BOG-1", "--level", "\u{200f}2\u{9b}1m"],
    ] {
        let out = env.output_as("ana", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let hazards = terminal_hazards(&out.stderr);
        assert!(
            hazards.is_empty(),
            "{args:?} printed {hazards:?}: {}",
            String::from_utf8_lossy(&out.stderr).escape_debug()
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("abc") || args[1] != "--limit");
    }
    // A line break typed into a value cannot forge a line of its own, and
    // an escape sequence is shown, not silently dropped.
    let out = env.output_as(
        "ana",
        &["list", "--limit", "5\nerror: the database is damaged"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines().all(|l| !l.starts_with("error: the database")),
        "{err}"
    );
    assert!(err.contains("5⏎ error: the database is damaged"), "{err}");
    let out = env.output_as("ana", &["list", "--limit=\u{1b}[1m5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'␛[1m5'"), "{err}");
    // Help still goes to stdout, exit 0, unchanged.
    let help = env.output_as("ana", &["list", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--status"));
}

/// A file name is one line of a sync report: a newline in it (possible on
/// Unix) cannot start a forged line.
#[test]
fn sync_reports_keep_a_path_on_one_line() {
    let env = Env::new();
    let dir = env.dir.path().join("dos\nlíneas");
    let path = dir.to_str().expect("utf-8").to_owned();
    let out = env.output_as("ana", &["sync", "import", &format!("{path}/x.gdb")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    std::fs::create_dir(&dir).expect("mkdir");
    env.incident("Prueba", "Algo que exportar");
    let out = env.ok(&["sync", "folder", &path]);
    assert!(out.contains("dos⏎ líneas"), "{out}");
    assert!(
        out.lines().all(|l| !l.starts_with("líneas")),
        "a path split a line:\n{out}"
    );
}
