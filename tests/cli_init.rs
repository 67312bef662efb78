//! `init`, `config check`, `config print-default`, `completions`, `manpage`,
//! and the errors around a missing or existing database.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn init_creates_a_private_database_and_editable_config() {
    let env = Env::empty();
    let out = env.ok(&["init", "--site", "ASU"]);
    assert!(out.contains("created database"), "{out}");
    assert!(out.contains("for site ASU"), "{out}");
    let mode = std::fs::metadata(&env.db)
        .expect("db exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "database mode is {:o}", mode & 0o777);
    let dir_mode = std::fs::metadata(env.db.parent().expect("parent"))
        .expect("data dir")
        .permissions()
        .mode();
    assert_eq!(
        dir_mode & 0o777,
        0o700,
        "data dir mode is {:o}",
        dir_mode & 0o777
    );
    // Editable copies of every built-in file, identical to the defaults.
    for (name, text) in guardia::config::DEFAULT_FILES {
        let copy = std::fs::read_to_string(env.cfg.join(name))
            .unwrap_or_else(|e| panic!("{name} not written: {e}"));
        assert_eq!(&copy, text, "{name} differs from the built-in file");
    }
    // Keys carry the site code.
    let key = env.support("Impresora sin tóner", "La impresora del piso 3 no imprime");
    assert_eq!(key, "ASU-1");
    assert_eq!(env.support("Segundo caso", "Otro problema"), "ASU-2");
}

#[test]
fn init_does_not_overwrite_edited_config_files() {
    let env = Env::empty();
    let edited = default_config("guardia.toml").replace("BOG", "MED");
    env.write_config("guardia.toml", &edited);
    env.ok(&["init"]);
    assert_eq!(
        std::fs::read_to_string(env.cfg.join("guardia.toml")).expect("read"),
        edited
    );
    // And the edited default site code was used.
    assert_eq!(env.support("Correo caído", "No llega el correo"), "MED-1");
}

#[test]
fn init_twice_fails_clearly_and_keeps_the_data() {
    let env = Env::new();
    let key = env.support("Primer ticket", "Descripción");
    let err = env.fail(&["init"]);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains(&env.db.display().to_string()), "{err}");
    // The existing database is intact.
    assert_eq!(env.show(&key)["title"], "Primer ticket");
}

/// Starts `guardia ARGS` in the background, its output captured.
fn spawn_init(env: &Env, args: &[&str]) -> std::process::Child {
    env.std_cmd_as("ana")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn init")
}

/// Waits until `init` has written `bytes` into its staging file, while it
/// is still running.
fn wait_until_filling(staging: &std::path::Path, bytes: u64, init: &mut std::process::Child) {
    let started = std::time::Instant::now();
    while std::fs::metadata(staging).map_or(true, |m| m.len() < bytes) {
        assert!(
            started.elapsed().as_secs() < 60,
            "init never started filling {staging:?}"
        );
        assert!(
            init.try_wait().expect("poll").is_none(),
            "init ended before it was looked at"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `init --demo` killed halfway (Ctrl-C, a closed SSH session, SIGKILL)
/// leaves no database at the path: running it again just works.
#[test]
fn an_interrupted_init_leaves_nothing_in_the_way() {
    let env = Env::empty();
    // Where init builds the database before moving it into place.
    let staging = env.db.with_file_name(".guardia.db.init");
    let mut child = spawn_init(&env, &["init", "--demo", "--tickets", "200000"]);
    // Kill it once the database is being filled, well before it is done.
    wait_until_filling(&staging, 1_000_000, &mut child);
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(!env.db.exists(), "a killed init left {:?} behind", env.db);

    let out = env.ok(&["init", "--demo", "--tickets", "30"]);
    assert!(out.contains("added 30 example tickets"), "{out}");
    assert!(
        !staging.exists(),
        "the leftover {staging:?} was not cleared"
    );
    let listed = env.json(&["list", "--json", "--limit", "1000"]);
    assert!(listed.as_array().is_some_and(|a| !a.is_empty()), "{listed}");
    env.ok(&["doctor"]);
}

/// While one `init` builds a database, a second on the same path is refused
/// at once and touches nothing: it used to clear the first one's staging
/// file as a leftover, so the first published the second's half-made work.
#[test]
fn a_second_init_on_the_same_path_waits_its_turn() {
    let env = Env::empty();
    let staging = env.db.with_file_name(".guardia.db.init");
    let mut first = spawn_init(
        &env,
        &["init", "--site", "AAA", "--demo", "--tickets", "4000"],
    );
    wait_until_filling(&staging, 200_000, &mut first);
    let err = env.fail(&["init", "--site", "BBB"]);
    assert!(err.contains("another `guardia init` is creating"), "{err}");
    let done = first.wait_with_output().expect("first init");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("added 4000 example tickets"));
    let listed = env.json(&["list", "--json", "--limit", "1"]);
    assert!(
        listed[0]["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("AAA-")),
        "{listed}"
    );
    assert!(!staging.exists());
    assert!(!env.db.with_file_name(".guardia.db.init.lock").exists());
}

/// An init that fails after the database was begun (here: the configuration
/// folder cannot be made) leaves no staging file; one whose confirmation
/// cannot be printed exits 3, since the database does exist.
#[test]
fn init_cleans_up_after_a_failure_and_tells_a_lost_confirmation_apart() {
    let mut env = Env::empty();
    let blocker = env.path().join("un-archivo");
    std::fs::write(&blocker, "x").expect("write");
    env.cfg = blocker.join("cfg");
    // A folder that cannot be one is refused before anything is made.
    let err = env.fail_raw(&["init"]);
    assert!(err.contains("a part of its path is a file"), "{err}");
    let data = env.db.parent().expect("data dir").to_path_buf();
    let left = |data: &std::path::Path| -> Vec<std::ffi::OsString> {
        std::fs::read_dir(data)
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default()
    };
    assert!(left(&data).is_empty(), "left behind: {:?}", left(&data));
    // A folder that reads as empty but takes no files: the copies of the
    // configuration cannot be written, after the database was staged.
    env.cfg = std::path::PathBuf::from("/proc/self/fdinfo");
    let err = env.fail(&["init"]);
    assert!(err.contains("cannot write /proc/self/fdinfo/"), "{err}");
    assert!(left(&data).is_empty(), "left behind: {:?}", left(&data));

    let env = Env::empty();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = env
        .std_cmd_as("ana")
        .args(["init"])
        .stdout(full)
        .output()
        .expect("run init");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("was recorded"), "{err}");
    assert!(env.db.exists());
}

#[test]
fn init_refuses_a_bad_site_code() {
    let env = Env::empty();
    let err = env.fail(&["init", "--site", "bog1"]);
    assert!(err.contains("site code 'bog1'"), "{err}");
    assert!(err.contains("capital letters"), "{err}");
    assert!(!env.db.exists(), "no database may be left behind");
}

#[test]
fn init_demo_generates_the_requested_number_of_tickets() {
    let env = Env::empty();
    let out = env.ok(&["init", "--demo", "--tickets", "50"]);
    assert!(out.contains("added 50 example tickets"), "{out}");
    let all = env.list_keys(&["--limit", "1000"]);
    assert_eq!(all.len(), 50);
    // Keys 1..=50, newest first.
    let expected: Vec<String> = (1..=50).rev().map(|n| format!("BOG-{n}")).collect();
    assert_eq!(all, expected);
    env.ok(&["doctor"]);
}

#[test]
fn missing_database_tells_to_run_init() {
    let env = Env::empty();
    for args in [
        &["list"][..],
        &["show", "BOG-1"][..],
        &[
            "new",
            "--service",
            "correo",
            "--title",
            "t",
            "--description",
            "d",
        ][..],
        &["doctor"][..],
    ] {
        let err = env.fail(args);
        assert!(err.contains("no database at"), "{err}");
        assert!(err.contains(&env.db.display().to_string()), "{err}");
        assert!(err.contains("guardia init"), "{err}");
    }
    assert!(
        !env.db.exists(),
        "a read command must not create the database"
    );
}

#[test]
fn config_check_reports_ok_and_the_sources() {
    let env = Env::new();
    let out = env.ok(&["config", "check"]);
    assert!(out.starts_with("configuration OK"), "{out}");
    // After init every file comes from the config directory.
    assert!(
        out.contains(&env.cfg.join("priority.toml").display().to_string()),
        "{out}"
    );
    assert!(out.contains("4 services"), "{out}");
    assert!(out.contains("5 escalation levels"), "{out}");
    assert!(out.contains("12 operators"), "{out}");
    // Without a config directory, the built-in files are named as such.
    let bare = Env::empty();
    let out = bare.ok(&["config", "check"]);
    assert!(out.contains("(built-in) workflows.toml"), "{out}");
}

#[test]
fn config_print_default_all_one_and_unknown() {
    let env = Env::empty();
    let all = env.ok(&["config", "print-default"]);
    for (name, text) in guardia::config::DEFAULT_FILES {
        assert!(
            all.contains(&format!("# ===== {name} =====")),
            "{name} header"
        );
        assert!(all.contains(text.trim_end()), "{name} text");
    }
    let one = env.ok(&["config", "print-default", "priority.toml"]);
    assert_eq!(one.trim_end(), default_config("priority.toml").trim_end());
    assert!(!one.contains("# ====="), "one file prints no header");
    // The name without `.toml` works too.
    let short = env.ok(&["config", "print-default", "priority"]);
    assert_eq!(short, one);
    let err = env.fail(&["config", "print-default", "nope.toml"]);
    assert!(err.contains("no built-in file 'nope.toml'"), "{err}");
    assert!(err.contains("workflows.toml"), "lists the files: {err}");
}

#[test]
fn completions_and_manpage() {
    let env = Env::empty();
    let bash = env.ok(&["completions", "bash"]);
    assert!(bash.contains("_guardia()"), "{bash}");
    assert!(bash.contains("complete -F _guardia"), "{bash}");
    for sub in ["escalate", "runbook", "doctor", "print-default"] {
        assert!(bash.contains(sub), "completion lacks {sub}");
    }
    let man = env.ok(&["manpage"]);
    assert!(
        man.contains(".TH guardia 1"),
        "{}",
        &man[..man.len().min(300)]
    );
    assert!(
        man.contains("GUARDIA_DB"),
        "man page documents the environment"
    );
    // Neither needs a database.
    assert!(!env.db.exists());
    // A full disk is a message and exit 1, not a panic (exit 101).
    for args in [["completions", "bash"].as_slice(), ["manpage"].as_slice()] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = env
            .std_cmd_as("ana")
            .args(args)
            .stdout(full)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("could not write to standard output"), "{err}");
    }
}

#[test]
fn help_lists_every_command() {
    let env = Env::empty();
    let help = env.ok(&["--help"]);
    for cmd in [
        "init",
        "config",
        "new",
        "set",
        "assign",
        "move",
        "comment",
        "worklog",
        "attach",
        "escalate",
        "reject",
        "dossier",
        "runbook",
        "list",
        "show",
        "search",
        "log",
        "doctor",
        "generate",
        "completions",
        "manpage",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(cmd)),
            "--help lacks {cmd}:\n{help}"
        );
    }
}

#[test]
fn bad_guardia_now_is_an_error_not_ignored() {
    let mut env = Env::new();
    env.now = "yesterday".into();
    let err = env.fail(&["list"]);
    assert!(err.contains("GUARDIA_NOW='yesterday'"), "{err}");
    assert!(err.contains("RFC 3339"), "{err}");
}

/// A `cannot create` error names the path and the cause once. The OS error is
/// both interpolated into the message and attached as its `source`, and the
/// CLI prints the whole chain, so it used to appear twice.
#[test]
fn init_in_an_impossible_place_names_the_cause_once() {
    let mut env = Env::empty();
    let blocker = env.path().join("a-file");
    std::fs::write(&blocker, "not a directory").expect("write");
    env.db = blocker.join("guardia.db");
    let err = env.fail(&["init"]);
    assert!(err.contains("cannot create"), "{err}");
    assert!(err.contains(&env.db.display().to_string()), "{err}");
    assert_eq!(
        err.matches("Not a directory").count(),
        1,
        "the cause is printed twice: {err}"
    );
}

#[test]
fn no_command_without_a_terminal_prints_the_queue_overview() {
    let env = Env::new();
    let key = env.support("Cola de entrada", "Visible en la cola");
    let out = env.ok(&[]);
    assert!(out.contains("(1 tickets)"), "{out}");
    assert!(
        out.contains(&key) && out.contains("Cola de entrada"),
        "{out}"
    );
    assert!(out.contains("interactive console"), "{out}");
    assert!(!out.contains("(example database)"), "{out}");
}

/// `init --join` naming a folder (the shared folder instead of the key file
/// in it) says what to name, and creates nothing.
#[test]
fn joining_through_a_folder_names_the_file_to_give() {
    let env = Env::empty();
    let folder = env.path().join("compartida");
    std::fs::create_dir(&folder).expect("mkdir");
    let err = env.fail(&["init", "--site", "LYO", "--join", &folder.to_string_lossy()]);
    assert!(err.contains("is a folder; name a site's key file"), "{err}");
    assert!(err.contains("keys/<site id>.pub"), "{err}");
    assert!(!env.db.exists());
}

/// `init --join` with a configuration folder that does not exist yet makes
/// it (empty), so the next command is not refused for a missing folder,
/// and says the other sites' files belong there.
#[test]
fn joining_makes_the_named_configuration_folder() {
    let bog = Env::with_site("BOG");
    let key = bog.path().join("bog.pub");
    std::fs::write(&key, bog.ok(&["sync", "key"])).expect("write key");
    let joiner = Env::empty();
    std::fs::remove_dir(&joiner.cfg).expect("no configuration folder yet");
    let out = joiner.ok(&["init", "--site", "MED", "--join", &key.to_string_lossy()]);
    assert!(out.contains("created the configuration folder"), "{out}");
    assert!(joiner.cfg.is_dir());
    joiner.ok(&["list"]);
}

/// `guardia` with no command and no database of one's own (the overview,
/// since its output is a pipe): the first run makes the example database in
/// `HOME/data/guardia`. Spawned, so a test can kill it or start several.
fn first_run(env: &Env) -> std::process::Child {
    env.at_home_as("ana")
        .args(["--lang", "en"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn guardia")
}

fn example_dir(env: &Env) -> std::path::PathBuf {
    env.path().join("home/data/guardia")
}

/// Asserts a run of `guardia` ended well, on one complete example database,
/// without a word of damage or advice to remove a file.
fn assert_used_the_whole_example(run: std::process::Output) {
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stderr: {err}\nstdout: {out}");
    assert!(out.contains("example.db (400 tickets)"), "{out}");
    assert!(out.contains("(example database)"), "{out}");
    for word in ["damaged", "backup", "rm ", "empty file", "already exists"] {
        assert!(!err.contains(word), "`{word}` on stderr: {err}");
    }
}

/// What is in the data directory, sorted.
fn data_files(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(example_dir(env))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A first run killed while it makes the example database (at once, a few
/// milliseconds in, or once its first file shows in the data directory)
/// used to leave a half-made `example.db` that every later run called
/// damaged beyond repair. The database is built aside now: the next run
/// clears the leftover and makes the whole example.
#[test]
fn a_first_run_killed_early_leaves_nothing_in_the_way() {
    let moments = [0, 5, 15, 30, 60, 120].map(Some).into_iter().chain([None]);
    for moment in moments {
        let env = Env::empty();
        let mut run = first_run(&env);
        match moment {
            Some(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
            // As soon as it has begun writing the database.
            None => {
                while data_files(&env)
                    .iter()
                    .all(|f| !f.contains("example.db") || f.ends_with(".lock"))
                {
                    assert!(
                        run.try_wait().expect("poll").is_none(),
                        "the first run ended before it was killed"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        }
        run.kill().expect("kill");
        run.wait().expect("reap");
        let after_kill = data_files(&env);
        let again = first_run(&env).wait_with_output().expect("run");
        assert_used_the_whole_example(again);
        assert_eq!(
            data_files(&env),
            ["example.db"],
            "left behind after a kill at {moment:?} ms (then {after_kill:?})"
        );
        // Every command takes it for the example database it is.
        let out = env
            .at_home_as("ana")
            .args(["--lang", "en", "list", "--json", "--limit", "1"])
            .output()
            .expect("list");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("using the example database"), "{err}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("\"key\": \"BOG-400\""));
    }
}

/// First runs started together used to race to make the example database:
/// some failed (`already exists`, `an empty file … rm`, `restore it from a
/// backup`). Now one builds it and the others wait for it, then use it.
#[test]
fn first_runs_started_together_share_one_example_database() {
    let env = Env::empty();
    let runs: Vec<_> = (0..4).map(|_| first_run(&env)).collect();
    for run in runs {
        assert_used_the_whole_example(run.wait_with_output().expect("run"));
    }
    assert_eq!(data_files(&env), ["example.db"]);
}

/// `init` confirms in the operator's language: a new Spanish-speaking
/// site reads what was made, and where, in Spanish.
#[test]
fn init_confirms_in_spanish() {
    let mut env = Env::empty();
    env.lang = "es".into();
    let out = env.ok(&["init", "--site", "MED", "--demo", "--tickets", "3"]);
    assert!(out.contains("base de datos"), "{out}");
    assert!(out.contains("creada para la sede MED"), "{out}");
    assert!(
        out.contains("archivo(s) de configuración editables escritos en"),
        "{out}"
    );
    assert!(out.contains("3 tickets de ejemplo añadidos"), "{out}");
}
