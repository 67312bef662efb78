//! Every documented error: exit code 1, nothing on stdout, one line on stderr
//! that names the ticket, field, file or value and says what to do.

mod common;

use common::*;

#[test]
fn unknown_ticket_key_in_every_command() {
    let env = Env::new();
    let file = env.path().join("f.txt");
    std::fs::write(&file, "x").expect("write");
    let file = file.to_str().expect("utf-8");
    let k = "BOG-99999";
    for args in [
        &["show", k][..],
        &["show", k, "--json"][..],
        &["log", k][..],
        &["set", k, "trace=x"][..],
        &["assign", k, "bruno"][..],
        &["move", k, "in_progress"][..],
        &["comment", k, "hola"][..],
        &["worklog", k, "1h"][..],
        &["attach", k, file][..],
        &["escalate", k, "--level", "2"][..],
        &["escalate", k, "--hierarchical", "--to", "head"][..],
        &["reject", k, "--reason", "missing_docs"][..],
        &["dossier", k][..],
        &["runbook", "run", "osf-administracion", k][..],
        &["runbook", "tick", k, "zona"][..],
    ] {
        let err = env.fail(args);
        assert!(
            err.contains("no ticket 'BOG-99999' in this database"),
            "{args:?}: {err}"
        );
        assert!(err.contains("guardia list"), "says where to look: {err}");
    }
}

#[test]
fn malformed_key() {
    let env = Env::new();
    for key in ["foo", "BOG-0", "BOG-x", "B-1", "BOG42", "BOG-+4", "BOG-1.0"] {
        let err = env.fail(&["show", key]);
        assert!(
            err.contains(&format!("'{key}' is not a ticket key")),
            "{key}: {err}"
        );
        assert!(err.contains("BOG-42"), "shows the shape: {err}");
    }
    let err = env.fail(&["move", "foo", "closed"]);
    assert!(err.contains("'foo' is not a ticket key"), "{err}");
}

/// Keys as operators type them: lower case and leading zeros name the same
/// ticket, everywhere a key is taken, and an unknown one is reported in the
/// stored form.
#[test]
fn keys_as_typed_find_the_ticket() {
    let env = Env::new();
    let key = env.incident("Mayúsculas", "Claves escritas a mano");
    assert_eq!(key, "BOG-1");
    for typed in ["bog-1", "BOG-0001", "Bog-01"] {
        assert_eq!(env.show(typed)["key"], "BOG-1", "{typed}");
    }
    let out = env.ok(&["comment", "bog-001", "escrito en minúsculas"]);
    assert!(out.contains("BOG-1"), "{out}");
    assert_eq!(env.show(&key)["comments"].as_array().map(Vec::len), Some(1));
    let err = env.fail(&["link", &key, "bog-0001"]);
    assert!(err.contains("cannot be linked to itself"), "{err}");
    let err = env.fail(&["show", "BOG-00400"]);
    assert!(err.contains("no ticket 'BOG-400'"), "{err}");
}

#[test]
fn unknown_state_and_forbidden_transition() {
    let env = Env::new();
    let key = env.incident("Estados", "Estados");
    let err = env.fail(&["move", &key, "archivado"]);
    assert!(
        err.starts_with(&format!("guardia: {key}: unknown state 'archivado'")),
        "{err}"
    );
    assert!(
        err.contains("the states of this workflow are: new, assigned"),
        "{err}"
    );
    let err = env.fail(&["move", &key, "closed"]);
    assert!(
        err.contains(&format!(
            "{key}: the workflow has no transition from 'new' to 'closed'"
        )),
        "{err}"
    );
    assert!(
        err.contains("from 'new' you can go to: assigned, in_progress, resolved"),
        "{err}"
    );
}

#[test]
fn missing_mandatory_fields_are_all_named_at_once() {
    let env = Env::new();
    let err = env.fail(&[
        "new",
        "--type",
        "api_incident",
        "--service",
        "api-mayorista",
        "--title",
        "API de pedidos caída",
        "--description",
        "Devuelve 500",
    ]);
    assert!(err.contains("cannot register the api_incident"), "{err}");
    for field in ["company", "reporter_name", "phones", "emails", "api_id"] {
        assert!(err.contains(field), "{field} not named: {err}");
    }
    assert!(
        err.contains("company (Company), reporter_name (Reporter's name), phones (Contact phones), emails (E-mail addresses), api_id (API identification)"),
        "{err}"
    );
    assert!(err.contains("--field NAME=VALUE"), "{err}");
    // Some given, the rest named; a blank title counts as missing.
    let err = env.fail(&[
        "new",
        "--type",
        "api_incident",
        "--service",
        "api-mayorista",
        "--title",
        "  ",
        "--description",
        "Devuelve 500",
        "--field",
        "company=Conecta Sur",
        "--field",
        "phones=555 0101",
    ]);
    assert!(
        err.contains("title (Summary (title)), reporter_name"),
        "{err}"
    );
    assert!(!err.contains("company"), "{err}");
    assert!(!err.contains("phones"), "{err}");
    // An incident without its fields.
    let err = env.fail(&[
        "new",
        "--service",
        "osf",
        "--title",
        "t",
        "--description",
        "d",
    ]);
    assert!(
        err.contains("reporter_email (Reporter's e-mail), extension (Extension), executable (Executable), environment (Environment)"),
        "{err}"
    );
    assert!(env.list_keys(&[]).is_empty(), "nothing registered");
}

#[test]
fn bad_field_values() {
    let env = Env::new();
    let with = |field: &str| {
        let mut args: Vec<String> = [
            "new",
            "--service",
            "osf",
            "--title",
            "Valores",
            "--description",
            "Valores",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for f in INCIDENT_FIELDS.iter().filter(|f| **f != "--field") {
            let name = f.split_once('=').expect("NAME=VALUE").0;
            if !field.starts_with(&format!("{name}=")) {
                args.extend(["--field".to_string(), f.to_string()]);
            }
        }
        args.extend(["--field".to_string(), field.to_string()]);
        env.fail(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let err = with("reporter_email=ana.example.org");
    assert!(
        err.contains("field 'reporter_email': 'ana.example.org' is not an e-mail address"),
        "{err}"
    );
    let err = with("environment=marte");
    assert!(
        err.contains("field 'environment': 'marte' is not one of the choices: produccion, pruebas"),
        "{err}"
    );
    let err = with("extension=llámame");
    assert!(err.contains("field 'extension'"), "{err}");
    let err = with("affected_users=muchos");
    assert!(
        err.contains("field 'affected_users': 'muchos' is not a number"),
        "{err}"
    );
    let err = with("total_outage=quizás");
    assert!(err.contains("field 'total_outage'"), "{err}");
    let err = with("company=ACME");
    assert!(
        err.contains("field 'company' is not a field of ticket type 'incident'"),
        "{err}"
    );
    let err = with("color=azul");
    assert!(err.contains("field 'color'"), "{err}");
    let err = with("sinigual");
    assert!(err.contains("'sinigual' is not NAME=VALUE"), "{err}");
    // The same checks apply to `set`.
    let key = env.incident("Valores", "Valores");
    let err = env.fail(&["set", &key, "reporter_email=nadie"]);
    assert!(
        err.contains("field 'reporter_email': 'nadie' is not an e-mail address"),
        "{err}"
    );
    let err = env.fail(&["set", &key, "environment=marte"]);
    assert!(err.contains("is not one of the choices"), "{err}");
    let err = env.fail(&["set", &key, "impact=enorme"]);
    assert!(
        err.contains("unknown impact 'enorme'; known: high, medium, low"),
        "{err}"
    );
    assert_eq!(
        env.show(&key)["fields"]["environment"],
        "produccion",
        "unchanged"
    );
}

#[test]
fn bad_duration() {
    let env = Env::new();
    let key = env.support("Tiempo", "Tiempo");
    let err = env.fail(&["worklog", &key, "una hora"]);
    assert!(err.contains("'una hora' is not a duration"), "{err}");
    assert!(err.contains("45m, 1h30m, 1.5h"), "{err}");
    let err = env.fail(&["worklog", &key, "0m"]);
    assert!(err.contains("not a positive duration"), "{err}");
}

#[test]
fn unreadable_attachment() {
    let env = Env::new();
    let key = env.support("Adjunto", "Adjunto");
    let path = env.path().join("missing.pdf");
    let err = env.fail(&["attach", &key, path.to_str().expect("utf-8")]);
    assert!(
        err.contains(&format!("cannot read attachment {}", path.display())),
        "{err}"
    );
}

#[test]
fn unknown_operator_for_as() {
    let env = Env::new();
    let err = env.fail_as(
        "mallory",
        &[
            "new",
            "--type",
            "support",
            "--service",
            "correo",
            "--title",
            "t",
            "--description",
            "d",
        ],
    );
    assert!(err.contains("unknown operator 'mallory'"), "{err}");
    assert!(
        err.contains("ana, bruno, carla, diego, elena, felipe, gloria, hector, ines"),
        "{err}"
    );
    // --as wins over GUARDIA_USER and is checked the same way.
    let out = env
        .cmd()
        .args(["--as", "nadie", "comment", "BOG-1", "x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown operator 'nadie'"));
    // --as picks the actor.
    let key = env.support("Actor", "Actor");
    env.cmd()
        .args(["--as", "diego", "comment", &key, "desde --as"])
        .assert()
        .success();
    assert_eq!(env.show(&key)["comments"][0]["author"], "diego");
}

#[test]
fn no_identity_without_as_or_guardia_user() {
    let env = Env::new();
    let out = env
        .cmd()
        .env_remove("GUARDIA_USER")
        .env("GUARDIA_TEST_OS_LOGIN", "mallory")
        .args([
            "new",
            "--type",
            "support",
            "--service",
            "correo",
            "--title",
            "t",
            "--description",
            "d",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot tell who you are"), "{err}");
    assert!(err.contains("'mallory'"), "{err}");
    assert!(err.contains("--as OPERATOR"), "{err}");
    // Reading needs no identity.
    env.cmd()
        .env_remove("GUARDIA_USER")
        .env("GUARDIA_TEST_OS_LOGIN", "mallory")
        .args(["list"])
        .assert()
        .success();
}

#[test]
fn missing_database() {
    let env = Env::empty();
    let err = env.fail(&["show", "BOG-1"]);
    assert!(
        err.contains(&format!(
            "no database at {}; create one with `guardia init`",
            env.db.display()
        )),
        "{err}"
    );
}

#[test]
fn not_a_database() {
    let mut env = Env::empty();
    env.db = env.path().join("notes.txt");
    std::fs::write(
        &env.db,
        "esto no es una base de datos, solo texto ".repeat(200),
    )
    .expect("write");
    let err = env.fail(&["list"]);
    assert!(err.contains("is not a guardia database"), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert!(err.contains("restore it from a backup"), "{err}");
    // `doctor` cannot open it either: it is not what the message suggests.
    assert!(!err.contains("doctor"), "{err}");
    let doctor = env.fail(&["doctor"]);
    assert!(doctor.contains("is not a guardia database"), "{doctor}");
}

/// `--db` naming a folder (a common slip: the data directory instead of the
/// file in it) is said in those words, with the file to name instead.
#[test]
fn a_folder_is_not_a_database_file() {
    let mut env = Env::empty();
    env.db = env.path().join("datos");
    std::fs::create_dir(&env.db).expect("mkdir");
    for args in [vec!["list"], vec!["init"]] {
        let err = env.fail(&args);
        assert!(
            err.contains("is a folder, not a database file"),
            "{args:?}: {err}"
        );
        assert!(err.contains("datos/guardia.db"), "{args:?}: {err}");
    }
}

/// Another program's SQLite file, or an empty file, named by mistake: the
/// command refuses it and leaves it byte for byte as it was (no switch to
/// WAL, no header written).
#[test]
fn a_database_that_is_not_ours_is_left_untouched() {
    let mut env = Env::empty();
    env.db = env.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&env.db).expect("open");
        c.execute_batch("CREATE TABLE foo(x); INSERT INTO foo VALUES (1);")
            .expect("create");
    }
    let before = std::fs::read(&env.db).expect("read");
    let err = env.fail(&["list"]);
    assert!(err.contains("no guardia schema"), "{err}");
    let after = std::fs::read(&env.db).expect("read");
    assert!(
        after == before,
        "the file changed ({} bytes before, {} after)",
        before.len(),
        after.len()
    );
    let wal = env.path().join("other.db-wal");
    assert!(!wal.exists(), "no WAL left next to it");
    env.db = env.path().join("empty.db");
    std::fs::write(&env.db, b"").expect("write");
    let err = env.fail(&["show", "BOG-1"]);
    assert!(
        err.contains("is an empty file, not a guardia database"),
        "{err}"
    );
    assert!(err.contains("then run `guardia init`"), "{err}");
    assert_eq!(std::fs::metadata(&env.db).expect("meta").len(), 0);
    // init says what is in the way and what to do, rather than "a database
    // already exists".
    let err = env.fail(&["init"]);
    assert!(err.contains("is an empty file"), "{err}");
    assert_eq!(std::fs::metadata(&env.db).expect("meta").len(), 0);
    env.db = env.path().join("enlace.db");
    std::os::unix::fs::symlink(env.path().join("no-existe.db"), &env.db).expect("symlink");
    let err = env.fail(&["init"]);
    assert!(err.contains("is a symbolic link to"), "{err}");
    assert!(err.contains("no-existe.db, which does not exist"), "{err}");
}

#[test]
fn unknown_service_type_impact_urgency_priority() {
    let env = Env::new();
    let base = ["new", "--title", "t", "--description", "d"];
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        env.fail(&a)
    };
    let err = run(&["--type", "support", "--service", "sap"]);
    assert!(
        err.contains("unknown service 'sap'; known: osf, api-mayorista, erp-soporte, correo"),
        "{err}"
    );
    let err = run(&["--type", "peticion", "--service", "correo"]);
    assert!(
        err.contains("unknown ticket type 'peticion'; known: incident, support, api_incident"),
        "{err}"
    );
    let err = run(&[
        "--type",
        "support",
        "--service",
        "correo",
        "--impact",
        "enorme",
    ]);
    assert!(
        err.contains("unknown impact 'enorme'; known: high, medium, low"),
        "{err}"
    );
    let err = run(&[
        "--type",
        "support",
        "--service",
        "correo",
        "--urgency",
        "ya",
    ]);
    assert!(err.contains("unknown urgency 'ya'"), "{err}");
    let err = run(&[
        "--type",
        "support",
        "--service",
        "correo",
        "--priority",
        "urgente",
        "--justification",
        "x",
    ]);
    assert!(err.contains("unknown priority 'urgente'"), "{err}");
    assert!(env.list_keys(&[]).is_empty());
}

#[test]
fn bad_language() {
    let mut env = Env::new();
    env.lang = "fr".into();
    let err = env.fail(&["list"]);
    assert!(
        err.contains("language 'fr' (from --lang or GUARDIA_LANG)") && err.contains("use es or en"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    for args in [
        &["new", "--service", "osf"][..],
        &["set", "BOG-1"][..],
        &["frobnicate"][..],
        &["completions", "tcsh"][..],
        &["dossier", "BOG-1", "--format", "pdf"][..],
    ] {
        let out = env.cmd().args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

/// `guardia list --json | head -c 10`: a closed pipe ends the command quietly
/// with exit 0 (cli/mod.rs says so). The table path does; the JSON path
/// reports "Broken pipe" because the io::Error arrives wrapped in a
/// serde_json::Error, which the broken-pipe check does not look into.
#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    let env = Env::new();
    env.ok(&["generate", "--tickets", "1000", "--seed", "3"]);
    for args in [
        &["list", "--limit", "1000"][..],
        &["list", "--limit", "1000", "--json"][..],
    ] {
        // Far more output than a pipe buffer holds, so the writer must block
        // until the reader goes away, and then gets EPIPE.
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("guardia"))
            .env("GUARDIA_USER", "ana")
            .env("GUARDIA_NOW", NOW)
            .env("HOME", env.path().join("home"))
            .arg("--db")
            .arg(&env.db)
            .arg("--config")
            .arg(&env.cfg)
            .arg("--lang")
            .arg("en")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut first = [0u8; 10];
        stdout.read_exact(&mut first).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.is_empty(),
            "`guardia {}` into a closed pipe: {:?}, stderr: {err}",
            args.join(" "),
            out.status.code()
        );
    }
}

/// On a shared host `logins` ties operators to OS accounts: nobody acts as
/// another operator unless the configuration grants it (`act_as_others`).
#[test]
fn logins_restrict_who_may_act_as_whom() {
    let mut env = Env::new();
    // bruno keeps `logins = []`, so the set-up works from any account.
    env.user = "bruno".into();
    let with_login = |text: &str, id: &str, login: &str| {
        let marker = format!("id = \"{id}\"");
        let at = text.find(&marker).expect("operator");
        let (head, tail) = text.split_at(at);
        format!(
            "{head}{}",
            tail.replacen("logins = []", &format!("logins = [\"{login}\"]"), 1)
        )
    };
    let ops = default_config("operators.toml");
    let ops = with_login(&ops, "ana", "atorres");
    let ops = with_login(&ops, "ines", "imarin");
    env.write_config("operators.toml", &ops);
    let key = env.support("Compartido", "Servidor compartido");
    let as_login = |login: &str, user: Option<&str>| {
        let mut c = env.cmd();
        c.env_remove("GUARDIA_USER")
            .env("GUARDIA_TEST_OS_LOGIN", login);
        if let Some(u) = user {
            c.args(["--as", u]);
        }
        c.args(["comment", &key, &format!("desde {login}")])
            .output()
            .expect("run")
    };
    // Someone else's account cannot act as ana.
    let out = as_login("mallory", Some("ana"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("OS account 'mallory' may not act as operator 'ana'"),
        "{err}"
    );
    assert!(err.contains("atorres"), "names the allowed accounts: {err}");
    // Ana's own account can, with or without --as.
    assert!(as_login("atorres", Some("ana")).status.success());
    assert!(as_login("atorres", None).status.success());
    // The supervisor's account may act as others.
    assert!(as_login("imarin", Some("ana")).status.success());
    // Operators without `logins` stay open to any account.
    assert!(as_login("mallory", Some("bruno")).status.success());
    let authors: Vec<String> = env.show(&key)["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["author"].as_str().expect("author").to_string())
        .collect();
    assert_eq!(authors, ["ana", "ana", "ana", "bruno"]);
}

/// Standard output on a full disk (`/dev/full`): a command that recorded its
/// change says so and exits 3, so a script does not run it again and record
/// it twice; a command that recorded nothing exits 1 as usual.
#[test]
fn output_lost_after_a_recorded_change_is_told_apart() {
    let env = Env::new();
    let key = env.support("Impresora", "No imprime");
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let out = env
        .std_cmd_as("ana")
        .args(["comment", &key, "revisado"])
        .stdout(full())
        .output()
        .expect("run guardia");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("the change was recorded"), "{err}");
    assert!(err.contains("do not run the command again"), "{err}");
    // The ticket is named, as typed or as registered.
    assert!(err.contains(&format!("`guardia log {key}`")), "{err}");
    let t = env.json(&["show", &key, "--json"]);
    assert_eq!(t["comments"].as_array().map(Vec::len), Some(1), "{t}");
    let out = env
        .std_cmd_as("ana")
        .args([
            "new",
            "--type",
            "support",
            "--service",
            "correo",
            "--title",
            "Sin correo",
            "--description",
            "No llega",
            "--json",
        ])
        .stdout(full())
        .output()
        .expect("run guardia");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let newest = common::keys(&env.json(&["list", "--json", "--limit", "1"]));
    assert!(
        err.contains(&format!("`guardia log {}`", newest[0])),
        "{err}"
    );

    let out = env
        .std_cmd_as("ana")
        .args(["list"])
        .stdout(full())
        .output()
        .expect("run guardia");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not write to standard output"), "{err}");
    assert!(!err.contains("recorded"), "{err}");
}
