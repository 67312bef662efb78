//! Malformed configurations: every command stops before touching the
//! database, and the message names file, line and problem.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file beside the database with its bytes, to prove nothing changed
/// (not even a WAL file appeared).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            out.insert(
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).expect("read"),
            );
        }
    }
    out
}

/// Installs `text` as `file` in a fresh, initialised environment with one
/// ticket, then checks that read and write commands and `config check` all
/// stop with `path:line` and `message` on stderr and leave the database alone.
fn assert_config_stops_everything(file: &str, text: &str, lines: &[usize], message: &str) {
    let env = Env::new();
    let key = env.support("Antes del daño", "Ticket previo");
    let data_dir = env.db.parent().expect("data dir").to_path_buf();
    let before = snapshot(&data_dir);
    let path = env.write_config(file, text);
    for args in [
        &["list"][..],
        &["show", key.as_str()][..],
        &["config", "check"][..],
        &["comment", key.as_str(), "no debería quedar"][..],
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
        ][..],
        &["doctor"][..],
    ] {
        let err = env.fail_raw(args);
        assert!(err.contains("the configuration has"), "{args:?}: {err}");
        let located = lines
            .iter()
            .any(|l| err.contains(&format!("{}:{l}:", path.display())));
        assert!(
            located,
            "{args:?}: stderr should name {}:<one of {lines:?}>:\n{err}",
            path.display()
        );
        assert!(
            err.contains(message),
            "{args:?}: stderr lacks {message:?}:\n{err}"
        );
    }
    assert_eq!(
        snapshot(&data_dir),
        before,
        "the database directory changed"
    );
    // Restoring the file makes everything work again, with the old data.
    std::fs::write(&path, default_config(file)).expect("restore");
    assert_eq!(env.list_keys(&[]), [key]);
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let text = replace_once(&default_config("guardia.toml"), "[defaults]", "[defaults");
    let line = line_of(&text, "[defaults");
    assert_config_stops_everything("guardia.toml", &text, &[line], "expected `]`");
}

#[test]
fn toml_type_error_names_file_and_line() {
    let text = replace_once(
        &default_config("escalation.toml"),
        "n = 4\n",
        "n = \"cuatro\"\n",
    );
    let line = line_of(&text, "n = \"cuatro\"");
    assert_config_stops_everything(
        "escalation.toml",
        &text,
        &[line],
        "'n' takes a whole number from 1 to 255, written without quotes (like n = 3), not \"cuatro\"",
    );
}

#[test]
fn operator_at_an_unknown_level() {
    let text = replace_once(
        &default_config("operators.toml"),
        "[\"it_professional\", \"support_analyst\"]\nlevel = 3\n",
        "[\"it_professional\", \"support_analyst\"]\nlevel = 9\n",
    );
    let line = line_of(&text, "level = 9");
    assert_config_stops_everything(
        "operators.toml",
        &text,
        &[line],
        "operator 'felipe' works at unknown level 9",
    );
}

#[test]
fn priority_matrix_hole() {
    let text = replace_once(
        &default_config("priority.toml"),
        "medium = { high = \"high\", medium = \"medium\", low = \"low\" }",
        "medium = { high = \"high\", medium = \"medium\" }",
    );
    // Either the [matrix] table or the incomplete row is a fine place to point.
    let lines = [
        line_of(&text, "[matrix]"),
        line_of(&text, "medium = { high"),
    ];
    assert_config_stops_everything(
        "priority.toml",
        &text,
        &lines,
        "the matrix has a hole: no priority for impact 'medium' and urgency 'low'",
    );
}

#[test]
fn duplicate_operator_id() {
    let text = replace_once(
        &default_config("operators.toml"),
        "id = \"bruno\"",
        "id = \"ana\"",
    );
    let second = text
        .match_indices("id = \"ana\"")
        .nth(1)
        .expect("second ana")
        .0;
    let line = text[..second].matches('\n').count() + 1;
    assert_config_stops_everything(
        "operators.toml",
        &text,
        &[line],
        "duplicate operator 'ana'; ids must be unique",
    );
}

#[test]
fn duplicate_field_id() {
    let text = replace_once(
        &default_config("fields.toml"),
        "id = \"trace\"",
        "id = \"extension\"",
    );
    let second = text
        .match_indices("id = \"extension\"")
        .nth(1)
        .expect("second")
        .0;
    let line = text[..second].matches('\n').count() + 1;
    assert_config_stops_everything("fields.toml", &text, &[line], "duplicate field 'extension'");
}

#[test]
fn unknown_workflow_in_a_type() {
    let text = default_config("types.toml").replacen(
        "workflow = \"itil_incidente\"",
        "workflow = \"ciclo-largo\"",
        1,
    );
    let line = line_of(&text, "ciclo-largo");
    assert_config_stops_everything(
        "types.toml",
        &text,
        &[line],
        "unknown workflow 'ciclo-largo'; known: api_soporte, default, error_conocido, itil_incidente",
    );
}

#[test]
fn escalation_matrix_hole_names_the_file() {
    let env = Env::new();
    let text = default_config("escalation.toml");
    // Renumber level 3 as 6: levels 1, 2, 4, 5, 6.
    let text = replace_once(&text, "n = 3\n", "n = 6\n");
    let path = env.write_config("escalation.toml", &text);
    let err = env.fail_raw(&["list"]);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("level 3 is missing"), "{err}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let env = Env::new();
    let ops = replace_once(
        &default_config("operators.toml"),
        "[\"it_professional\", \"support_analyst\"]\nlevel = 3\n",
        "[\"it_professional\", \"support_analyst\"]\nlevel = 9\n",
    );
    let types = default_config("types.toml").replacen(
        "workflow = \"itil_incidente\"",
        "workflow = \"x\"",
        1,
    );
    let p1 = env.write_config("operators.toml", &ops);
    let p2 = env.write_config("types.toml", &types);
    let err = env.fail_raw(&["config", "check"]);
    assert!(err.contains("the configuration has 2 problem(s)"), "{err}");
    assert!(err.contains(&p1.display().to_string()), "{err}");
    assert!(err.contains(&p2.display().to_string()), "{err}");
}

#[test]
fn print_default_and_completions_work_with_a_broken_config() {
    let env = Env::new();
    env.write_config("guardia.toml", "this is = = not toml");
    env.fail_raw(&["list"]);
    let out = env.ok(&["config", "print-default", "guardia.toml"]);
    assert_eq!(out.trim_end(), default_config("guardia.toml").trim_end());
    env.ok(&["completions", "bash"]);
    env.ok(&["manpage"]);
}

/// Files that are there but cannot be used are named with what to do,
/// never silently replaced by the built-in ones.
#[test]
fn unusable_config_files_are_named_not_skipped() {
    let mut env = Env::new();
    let cfg = env.cfg.clone();
    std::fs::create_dir_all(&cfg).expect("dir");
    let _ = std::fs::remove_file(cfg.join("escalation.toml"));
    std::os::unix::fs::symlink(cfg.join("nowhere.toml"), cfg.join("escalation.toml"))
        .expect("link");
    let err = env.fail_raw(&["config", "check"]);
    assert!(err.contains("escalation.toml"), "{err}");
    assert!(err.contains("link to a file that does not exist"), "{err}");
    std::fs::remove_file(cfg.join("escalation.toml")).expect("rm");
    std::fs::write(cfg.join("escalation.toml"), b"# Niveles\n# Escalaci\xf3n\n").expect("latin-1");
    let err = env.fail_raw(&["config", "check"]);
    assert!(
        err.contains(&format!(
            "{}:2: is not UTF-8 text; save it as UTF-8",
            cfg.join("escalation.toml").display()
        )),
        "{err}"
    );
    // --config naming a file rather than the folder.
    env.cfg = cfg.join("escalation.toml");
    let err = env.fail_raw(&["list"]);
    assert!(err.contains("is a file, not a folder"), "{err}");
}

#[test]
fn a_user_file_replaces_the_built_in_one() {
    let env = Env::new();
    // A new rejection reason becomes usable.
    let text = format!(
        "{}\n[[reason]]\ncode = \"spam\"\n[reason.label]\nes = \"Correo basura\"\nen = \"Spam\"\n",
        default_config("rejections.toml")
    );
    env.write_config("rejections.toml", &text);
    let key = env.incident("Gane un premio", "Haga clic aquí");
    let out = env.ok(&["reject", &key, "--reason", "spam"]);
    assert!(out.contains("rejected (spam)"), "{out}");
}

#[test]
fn ids_with_control_characters_or_spaces_are_refused() {
    let env = Env::new();
    let rb = default_config("runbooks.toml");
    let bad = rb.replacen(
        "id = \"osf-monitoreo\"",
        "id = \"osf monitoreo\\u001b[31m\"",
        1,
    );
    assert_ne!(rb, bad, "the edit applied");
    env.write_config("runbooks.toml", &bad);
    let err = env.fail_raw(&["list"]);
    assert!(err.contains("runbooks.toml:"), "{err}");
    assert!(err.contains("may only use letters, digits"), "{err}");
    assert!(terminal_hazards(err.as_bytes()).is_empty(), "{err}");
}

#[test]
fn shared_host_logins_must_be_unambiguous() {
    let env = Env::new();
    let ops = default_config("operators.toml");
    // Two operators claim one OS account; a supervisor with act_as_others
    // has no logins while others do.
    let ops = ops.replacen("logins = []", "logins = [\"atorres\"]", 2);
    env.write_config("operators.toml", &ops);
    let err = env.fail_raw(&["list"]);
    assert!(
        err.contains("OS account 'atorres' is listed by operators"),
        "{err}"
    );
    assert!(
        err.contains("may act as others but lists no `logins`"),
        "{err}"
    );
}

#[test]
fn generate_refuses_a_workflow_without_the_standard_states() {
    let env = Env::new();
    let wf = default_config("workflows.toml");
    let renamed = wf.replace("\"in_progress\"", "\"en_curso\"");
    env.write_config("workflows.toml", &renamed);
    let err = env.fail(&["generate", "--tickets", "5"]);
    assert!(err.contains("lacks the states in_progress"), "{err}");
    assert_eq!(
        env.json(&["list", "--json"]).as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn a_far_future_clock_is_refused() {
    let mut env = Env::new();
    env.now = "9999-01-01T00:00:00Z".into();
    let err = env.fail(&["list"]);
    assert!(err.contains("outside the years 1970 to 3000"), "{err}");
}

#[test]
fn a_failed_demo_init_leaves_no_database_behind() {
    let env = Env::empty();
    std::fs::create_dir_all(&env.cfg).expect("cfg dir");
    let wf = default_config("workflows.toml").replace("\"in_progress\"", "\"en_curso\"");
    env.write_config("workflows.toml", &wf);
    let err = env.fail(&["init", "--demo", "--tickets", "5"]);
    assert!(err.contains("lacks the states in_progress"), "{err}");
    assert!(!env.db.exists(), "no half-made database");
    // With the standard workflow back, init works at once.
    std::fs::remove_file(env.cfg.join("workflows.toml")).expect("restore");
    env.ok(&["init", "--demo", "--tickets", "5"]);
}

#[test]
fn an_unknown_holidays_country_stops_everything() {
    let text = replace_once(
        &default_config("calendars.toml"),
        "holidays_of = \"PY\"",
        "holidays_of = \"AR\"",
    );
    let line = line_of(&text, "holidays_of = \"AR\"");
    assert_config_stops_everything(
        "calendars.toml",
        &text,
        &[line],
        "guardia ships no holidays for 'AR'; holidays_of must be one of CO, ES, MX, PY, or leave it out and list your dates in extra_holidays",
    );
}

/// The toml crate says only "duplicate key"; guardia names the key.
#[test]
fn a_duplicate_key_is_named_with_its_line() {
    let text = replace_once(
        &default_config("guardia.toml"),
        "site_code = \"BOG\"\n",
        "site_code = \"BOG\"\nsite_code = \"MDE\"\n",
    );
    let line = line_of(&text, "site_code = \"MDE\"");
    assert_config_stops_everything(
        "guardia.toml",
        &text,
        &[line],
        "duplicate key 'site_code': it is already set above in the same table; keep one of the two",
    );
}

#[test]
fn a_repeated_table_or_inline_key_is_named_too() {
    let env = Env::new();
    let guardia = format!(
        "{}\n[organisation]\nname = \"Otra\"\n",
        default_config("guardia.toml")
    );
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }",
        "critical = { response = \"30m\", 'response' = \"1h\", resolution = \"4h\" }",
    );
    let g = env.write_config("guardia.toml", &guardia);
    let s = env.write_config("sla.toml", &sla);
    let err = env.fail_raw(&["config", "check"]);
    let header = guardia
        .rfind("[organisation]")
        .map(|at| guardia[..at].matches('\n').count() + 1)
        .expect("second header");
    assert!(
        err.contains(&format!(
            "{}:{header}:2: duplicate key 'organisation': this table header repeats a table or key already defined above; merge the two into one",
            g.display()
        )),
        "{err}"
    );
    let line = line_of(&sla, "'response' = \"1h\"");
    let column = sla
        .lines()
        .nth(line - 1)
        .and_then(|l| l.find("'response'"))
        .expect("column")
        + 1;
    assert!(
        err.contains(&format!(
            "{}:{line}:{column}: duplicate key 'response': it is already set above",
            s.display()
        )),
        "{err}"
    );
}

/// SLA targets and workflow timers share the worklog's parser, not its
/// wording: no advice about worklog entries, and the cap stated in hours
/// (in sla.toml `1d` is 8 business hours, so `43d` is past it).
#[test]
fn config_durations_are_worded_for_their_file() {
    let env = Env::new();
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }",
        "critical = { response = \"-1h\", resolution = \"43d\" }",
    );
    let wf = replace_once(
        &default_config("workflows.toml"),
        "after = \"24h\"",
        "after = \"400h\"",
    );
    let s = env.write_config("sla.toml", &sla);
    let w = env.write_config("workflows.toml", &wf);
    let err = env.fail_raw(&["config", "check"]);
    let line = line_of(&sla, "response = \"-1h\"");
    for expected in [
        format!(
            "{}:{line}:25: response target '-1h' must be longer than zero; write business time such as 30m or 4h",
            s.display()
        ),
        format!(
            "{}:{line}:45: resolution target '43d' is 344 hours of business time (1d = 8 business hours); a target can be at most 336 business hours (42d): write a shorter one",
            s.display()
        ),
        format!(
            "{}:{}:9: timer duration '400h' is 400 hours; a timer can wait at most 336 hours (14 × 24 h): write 336h or less",
            w.display(),
            line_of(&wf, "after = \"400h\"")
        ),
    ] {
        assert!(err.contains(&expected), "lacks {expected:?}:\n{err}");
    }
    for worklog_only in ["entries", "worklog", "14 days", "write e.g. 45m"] {
        assert!(!err.contains(worklog_only), "{worklog_only:?} in:\n{err}");
    }
}

/// The worklog's `1d` is 8 working hours and its cap 14 × 24 hours, so
/// `42d` is accepted; the cap is stated in hours, true for every unit.
#[test]
fn the_worklog_cap_is_stated_in_hours() {
    let env = Env::new();
    let key = env.support("Trabajo largo", "Muchas horas");
    env.ok(&["worklog", &key, "42d"]);
    let err = env.fail(&["worklog", &key, "43d"]);
    assert!(
        err.contains(
            "'43d' is 344 hours (1d = 8 working hours); one entry can be at most 336 hours (14 × 24 h): log long work as several entries"
        ),
        "{err}"
    );
    assert!(!err.contains("more than 14 days"), "{err}");
    let err = env.fail(&["worklog", &key, "--", "-1h"]);
    assert!(
        err.contains("'-1h' is not a positive duration; log the time worked"),
        "{err}"
    );
}

/// A duration too long for any sane figure (past i64, even) is not quoted
/// back as a saturated `153722867280912930h 7m`: the messages say it is far
/// past the cap, in every file and in the worklog.
#[test]
fn absurdly_long_durations_state_no_bogus_figure() {
    let huge = "99999999999999999999h";
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }",
        &format!("critical = {{ response = \"30m\", resolution = \"{huge}\" }}"),
    );
    let line = line_of(&sla, huge);
    assert_config_stops_everything(
        "sla.toml",
        &sla,
        &[line],
        &format!(
            "resolution target '{huge}' is far longer than 336 business hours (42d), the longest a target can be: write a shorter one"
        ),
    );
    let wf = replace_once(
        &default_config("workflows.toml"),
        "after = \"24h\"",
        &format!("after = \"{huge}\""),
    );
    let line = line_of(&wf, huge);
    assert_config_stops_everything(
        "workflows.toml",
        &wf,
        &[line],
        &format!(
            "timer duration '{huge}' is far longer than 336 hours (14 × 24 h), the longest a timer can wait: write 336h or less"
        ),
    );
    let env = Env::new();
    let key = env.support("Trabajo eterno", "Demasiadas horas");
    let err = env.fail(&["worklog", &key, huge]);
    assert!(
        err.contains(&format!(
            "'{huge}' is far longer than 336 hours (14 × 24 h), the most one entry can be"
        )),
        "{err}"
    );
    for bogus in ["153722867280912930", "hours of business", " is 1"] {
        assert!(!err.contains(bogus), "{bogus:?} in {err}");
    }
}

/// Only a duration written in days is "ambiguous" for a timer; a text that
/// merely contains a 'd' is not a duration at all, and is told so.
#[test]
fn a_timer_text_with_a_d_is_ambiguous_only_if_it_reads_as_days() {
    for after in ["dos horas", "1 dia"] {
        let wf = replace_once(
            &default_config("workflows.toml"),
            "after = \"24h\"",
            &format!("after = \"{after}\""),
        );
        let line = line_of(&wf, after);
        assert_config_stops_everything(
            "workflows.toml",
            &wf,
            &[line],
            &format!(
                "timer duration '{after}' is not a duration; write hours and minutes such as 30m, 4h, 1h30m or 24h"
            ),
        );
    }
    let env = Env::new();
    let wf = replace_once(
        &default_config("workflows.toml"),
        "after = \"24h\"",
        "after = \"1d\"",
    );
    let w = env.write_config("workflows.toml", &wf);
    let err = env.fail_raw(&["config", "check"]);
    assert!(
        err.contains(&format!(
            "{}:{}:9: timer duration '1d': write it in hours and minutes (e.g. \"24h\"); 'd' is ambiguous here",
            w.display(),
            line_of(&wf, "after = \"1d\"")
        )),
        "{err}"
    );
}

/// A number or boolean where text in quotes is expected: serde's "invalid
/// type" is completed with the key and the quotes to write.
#[test]
fn a_bare_number_where_text_is_expected_is_told_to_quote_it() {
    let wf = replace_once(
        &default_config("workflows.toml"),
        "after = \"24h\"",
        "after = 24",
    );
    let line = line_of(&wf, "after = 24");
    assert_config_stops_everything(
        "workflows.toml",
        &wf,
        &[line],
        "invalid type: integer `24`, expected a string; 'after' is a duration, written in quotes with its unit: after = \"24h\" for 24 hours, \"24m\" for minutes",
    );
    let env = Env::new();
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }",
        "critical = { response = true, resolution = \"4h\" }",
    );
    let guardia = replace_once(
        &default_config("guardia.toml"),
        "site_code = \"BOG\"",
        "site_code = 12",
    );
    let s = env.write_config("sla.toml", &sla);
    let g = env.write_config("guardia.toml", &guardia);
    let err = env.fail_raw(&["config", "check"]);
    for expected in [
        format!(
            "{}:{}:25: invalid type: boolean `true`, expected a string; 'response' is a duration, written in quotes with its unit, like response = \"24h\"",
            s.display(),
            line_of(&sla, "response = true")
        ),
        format!(
            "{}:{}:13: invalid type: integer `12`, expected a string; 'site_code' takes text: write it in quotes, like site_code = \"12\"",
            g.display(),
            line_of(&guardia, "site_code = 12")
        ),
    ] {
        assert!(err.contains(&expected), "lacks {expected:?}:\n{err}");
    }
}

/// The same numbers in quotes read, without a unit, as minutes: the 24-hour
/// auto-close of PR-003 would fire after 24 minutes. Refused like the bare
/// number, while the worklog keeps reading `worklog KEY 90` as minutes.
#[test]
fn a_duration_in_quotes_without_a_unit_is_refused() {
    let wf = replace_once(
        &default_config("workflows.toml"),
        "after = \"24h\"",
        "after = \"24\"",
    );
    let line = line_of(&wf, "after = \"24\"");
    assert_config_stops_everything(
        "workflows.toml",
        &wf,
        &[line],
        "timer duration '24' has no unit, and would be read as 24 minutes; write \"24h\" for 24 hours or \"24m\" for 24 minutes",
    );
    let env = Env::new();
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }",
        "critical = { response = \"30m\", resolution = \"4\" }",
    );
    let s = env.write_config("sla.toml", &sla);
    let err = env.fail_raw(&["config", "check"]);
    let expected = format!(
        "{}:{}:45: resolution target '4' has no unit, and would be read as 4 minutes; write \"4h\" for 4 hours or \"4m\" for 4 minutes",
        s.display(),
        line_of(&sla, "resolution = \"4\"")
    );
    assert!(err.contains(&expected), "lacks {expected:?}:\n{err}");
    // The command line keeps its documented rule: a bare worklog figure is
    // minutes.
    std::fs::write(&s, default_config("sla.toml")).expect("restore");
    let key = env.support("Correo lento", "Tarda en llegar");
    env.ok(&["worklog", &key, "90"]);
    let t = env.show(&key);
    assert_eq!(t["worklog_minutes"], 90, "{t}");
}

#[test]
fn number_bounds_belong_to_number_fields_and_in_order() {
    let text = replace_once(
        &default_config("fields.toml"),
        "en = \"Affected users\" }\nkind = \"number\"\nmin = 0",
        "en = \"Affected users\" }\nkind = \"number\"\nmin = 10\nmax = 5",
    );
    let line = line_of(&text, "max = 5");
    assert_config_stops_everything(
        "fields.toml",
        &text,
        &[line],
        "field 'affected_users' has max 5 below its min 10; swap them",
    );
    let text = replace_once(
        &default_config("fields.toml"),
        "id = \"environment\"",
        "id = \"environment\"\nmin = 1",
    );
    let line = line_of(&text, "min = 1");
    assert_config_stops_everything(
        "fields.toml",
        &text,
        &[line],
        "`min` and `max` apply to number fields; field 'environment' is not one",
    );
}

/// A configuration folder that is there but cannot be read is never taken
/// for a missing one: the built-in operators list no `logins`, so falling
/// back to them would undo the identity rules. (Root reads every folder, so
/// the path here fails by having a file for a folder above it, ENOTDIR; the
/// permission case is unit-tested in src/config/files.rs.)
#[test]
fn an_unreadable_config_folder_stops_every_command() {
    let mut env = Env::new();
    let key = env.support("Antes", "Ticket previo");
    let file = env.path().join("no-folder");
    std::fs::write(&file, "x").expect("file");
    env.cfg = file.join("cfg");
    for args in [
        &["list"][..],
        &["config", "check"][..],
        &["show", key.as_str()][..],
    ] {
        let err = env.fail_raw(args);
        assert!(
            err.contains(&format!(
                "{}: cannot read this configuration folder: a part of its path is a file, not a folder;",
                env.cfg.display()
            )),
            "{args:?}: {err}"
        );
    }
    // A link to a folder that is gone is a folder the user meant, too.
    let link = env.path().join("cfg-link");
    std::os::unix::fs::symlink(env.path().join("gone"), &link).expect("link");
    env.cfg = link;
    let err = env.fail_raw(&["list"]);
    assert!(
        err.contains("is a link to a folder that does not exist"),
        "{err}"
    );
    // A folder named with --config that does not exist at all is a typo,
    // not "the built-in files" (only the default folder may be absent:
    // tests/cli_config_checks.rs).
    env.cfg = env.path().join("nothing-here");
    let err = env.fail(&["list"]);
    assert!(
        err.contains("nothing-here (named by --config or GUARDIA_CONFIG) does not exist"),
        "{err}"
    );
}

/// Every file is read and each one's problems named in the same run: two
/// misspelt keys of one file, a type error in another, and a word that the
/// checks between files did not run.
#[test]
fn each_file_and_every_unknown_key_is_reported_at_once() {
    let env = Env::new();
    let guardia = replace_once(
        &default_config("guardia.toml"),
        "site_code = \"BOG\"",
        "sitecode = \"BOG\"\nticket_tipe = \"incident\"",
    );
    let ops = replace_once(
        &default_config("operators.toml"),
        "[\"it_professional\", \"support_analyst\"]\nlevel = 3\n",
        "[\"it_professional\", \"support_analyst\"]\nlevel = \"3\"\n",
    );
    let g = env.write_config("guardia.toml", &guardia);
    let o = env.write_config("operators.toml", &ops);
    let err = env.fail_raw(&["config", "check"]);
    assert!(err.contains("the configuration has 3 problem(s)"), "{err}");
    for expected in [
        format!(
            "{}:{}:1: unknown key 'sitecode'; the keys allowed here are site_code, ticket_type: check the spelling, or remove it",
            g.display(),
            line_of(&guardia, "sitecode")
        ),
        format!(
            "{}:{}:1: unknown key 'ticket_tipe'; the keys allowed here are site_code, ticket_type",
            g.display(),
            line_of(&guardia, "ticket_tipe")
        ),
        format!(
            "{}:{}:9: 'level' is a whole number: write it without quotes, like level = 3",
            o.display(),
            line_of(&ops, "level = \"3\"")
        ),
        "note: the checks between the files (references, the escalation matrix, workflows, SLA policies) did not run".to_string(),
    ] {
        assert!(err.contains(&expected), "lacks {expected:?}:\n{err}");
    }
}

/// Type errors name the key, what it takes and what to write, in words an
/// administrator knows (no `u8`, `f64`, `TOML datetime`, `{1, 2}`).
#[test]
fn type_errors_are_told_in_plain_words() {
    let env = Env::new();
    let sla = replace_once(
        &default_config("sla.toml"),
        "warn_percent = 80",
        "warn_percent = -5",
    );
    let guardia = replace_once(
        &default_config("guardia.toml"),
        "mouse = false",
        "mouse = \"yes\"",
    );
    let calendars = replace_once(
        &default_config("calendars.toml"),
        "extra_holidays = [2026-12-24, 2026-12-31,",
        "extra_holidays = [2026-12-24, \"2026-12-31\",",
    );
    let s = env.write_config("sla.toml", &sla);
    let g = env.write_config("guardia.toml", &guardia);
    let c = env.write_config("calendars.toml", &calendars);
    let o = env.write_config("operators.toml", "# todavía nada\n");
    let err = env.fail_raw(&["config", "check"]);
    for expected in [
        format!(
            "{}:{}:16: 'warn_percent' takes a whole number from 1 to 99, written without quotes (like warn_percent = 3), not -5",
            s.display(),
            line_of(&sla, "warn_percent = -5")
        ),
        format!(
            "{}:{}:9: 'mouse' is true or false, written without quotes: mouse = true",
            g.display(),
            line_of(&guardia, "mouse = \"yes\"")
        ),
        format!(
            "{}:{}:31: a date is written without quotes: 2026-12-31",
            c.display(),
            line_of(&calendars, "\"2026-12-31\"")
        ),
        format!(
            "{}: the file is empty: `guardia config print-default operators.toml` prints the built-in one to start from (or delete the file to use the built-in one)",
            o.display()
        ),
    ] {
        assert!(err.contains(&expected), "lacks {expected:?}:\n{err}");
    }
    for jargon in ["u32", "a boolean", "TOML datetime", "missing field"] {
        assert!(!err.contains(jargon), "{jargon:?} in:\n{err}");
    }
    // A reference to a level the matrix lacks lists the levels plainly.
    let env = Env::new();
    let ops = replace_once(
        &default_config("operators.toml"),
        "[\"it_professional\", \"support_analyst\"]\nlevel = 3\n",
        "[\"it_professional\", \"support_analyst\"]\nlevel = 9\n",
    );
    env.write_config("operators.toml", &ops);
    let err = env.fail_raw(&["list"]);
    assert!(
        err.contains("works at unknown level 9; the matrix has levels 1, 2, 3, 4, 5\n"),
        "{err}"
    );
}

/// `nan` and `inf` compare false (or true) with everything: a threshold or
/// a bound written so would be switched off without a word.
#[test]
fn non_finite_numbers_are_refused() {
    let wf = replace_once(
        &default_config("workflows.toml"),
        "above = 4,",
        "above = nan,",
    );
    let line = line_of(&wf, "above = nan");
    assert_config_stops_everything(
        "workflows.toml",
        &wf,
        &[line],
        "'above' = nan is a value no number can be compared with (the threshold would never or always apply); write a number such as 1000",
    );
    let fields = replace_once(
        &default_config("fields.toml"),
        "en = \"Affected users\" }\nkind = \"number\"\nmin = 0",
        "en = \"Affected users\" }\nkind = \"number\"\nmin = -inf",
    );
    let line = line_of(&fields, "min = -inf");
    assert_config_stops_everything(
        "fields.toml",
        &fields,
        &[line],
        "field 'affected_users': min = -inf is not a number a value can be compared with, so the bound would not apply; write a number such as 0",
    );
}

/// An empty sla.toml would drop every SLA without a word; it is refused
/// like the other empty files. `policy = []` says "no SLA" on purpose.
#[test]
fn an_empty_sla_file_is_refused() {
    let env = Env::new();
    let s = env.write_config("sla.toml", "# sin acuerdos\n\n");
    let err = env.fail_raw(&["list"]);
    assert!(
        err.contains(&format!(
            "{}: the file is empty: `guardia config print-default sla.toml` prints the built-in one",
            s.display()
        )),
        "{err}"
    );
    env.write_config("sla.toml", "policy = []\n");
    env.ok(&["config", "check"]);
}

/// A line break inside a quoted value cannot fake a line of the problem
/// list: one problem per line, the break shown as ⏎.
#[test]
fn a_line_break_in_a_quoted_value_stays_on_its_line() {
    let env = Env::new();
    let types = default_config("types.toml").replacen(
        "workflow = \"itil_incidente\"",
        "workflow = \"x\\n  /etc/guardia/ok.toml:1:1: all good\"",
        1,
    );
    env.write_config("types.toml", &types);
    let err = env.fail_raw(&["config", "check"]);
    assert!(err.contains("the configuration has 1 problem(s)"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 2, "{err}");
    assert!(err.contains("unknown workflow 'x⏎ "), "{err}");
    assert!(
        !err.lines()
            .any(|l| l.trim_start().starts_with("/etc/guardia")),
        "{err}"
    );
}

#[test]
fn config_check_warns_about_calendars_whose_holidays_stop_before_the_year() {
    let env = Env::new();
    let out = env
        .std_cmd_as("ana")
        .args(["config", "check"])
        .env("GUARDIA_NOW", "2029-01-05T10:00:00Z")
        .output()
        .expect("run guardia");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("configuration OK"), "{text}");
    assert!(
        text.contains("warning: calendar 'mesa-bogota' has no holidays in 2029"),
        "{text}"
    );
    // In a year the shipped holidays cover, nothing to warn about.
    let text = env.ok(&["config", "check"]);
    assert!(!text.contains("warning:"), "{text}");
}
