//! What `config check` (and every command, loading the configuration)
//! catches beyond each file's own shape: a named configuration folder that
//! is not there, misnamed files, settings that each file accepts but that
//! together can never work, and messages that say where and what to do.

mod common;

use common::*;
use std::path::Path;

/// `config check` of a configuration expected to pass: its stdout.
fn check_ok(env: &Env) -> String {
    env.ok(&["config", "check"])
}

/// `config check` of a configuration expected to fail: its stderr.
fn check_fails(env: &Env) -> String {
    env.fail_raw(&["config", "check"])
}

fn assert_has(text: &str, expected: &str) {
    assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
}

/// `text` with the first `from` replaced (where `replace_once` would find
/// it more than once).
fn replace_first(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1)
}

fn at(path: &Path, line: usize) -> String {
    format!("{}:{line}:", path.display())
}

/// A typo in `--config` or `GUARDIA_CONFIG` used to run every command on
/// the built-in files (their operators, their timers) without a word.
#[test]
fn a_named_config_folder_that_does_not_exist_is_refused() {
    let mut env = Env::new();
    let key = env.support("Antes", "Ticket previo");
    let good = env.cfg.clone();
    env.cfg = env.path().join("cfg-tpyo");
    let expected = format!(
        "guardia: the configuration folder {} (named by --config or GUARDIA_CONFIG) does not exist; check the path for a typo, or create the folder",
        env.cfg.display()
    );
    for args in [
        &["config", "check"][..],
        &["tick"][..],
        &["show", key.as_str()][..],
    ] {
        let err = env.fail(args);
        assert!(err.starts_with(&expected), "{args:?}: {err}");
    }
    // The same through the environment.
    let out = env
        .at_home_as("ana")
        .arg("--db")
        .arg(&env.db)
        .args(["--lang", "en", "list"])
        .env("GUARDIA_CONFIG", &env.cfg)
        .output()
        .expect("run guardia");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with(&expected));
    // The default folder may be absent: that means the built-in files.
    let out = env
        .at_home_as("ana")
        .args(["config", "check"])
        .output()
        .expect("run guardia");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_has(&text, "  (built-in) guardia.toml\n");
    // `init` creates the folder it is given.
    let mut fresh = Env::empty();
    fresh.cfg = fresh.path().join("new-cfg");
    fresh.ok(&["init"]);
    assert!(fresh.cfg.join("services.toml").is_file());
    env.cfg = good;
    assert_eq!(env.list_keys(&[]), [key]);
}

/// `service.toml`, `guardia.tml`, `operator.toml` were ignored in silence
/// while the built-in file of the right name was in force.
#[test]
fn misnamed_files_in_the_folder_are_warned_about() {
    let env = Env::new();
    std::fs::rename(env.cfg.join("services.toml"), env.cfg.join("service.toml")).expect("mv");
    std::fs::copy(env.cfg.join("guardia.toml"), env.cfg.join("guardia.tml")).expect("cp");
    std::fs::write(env.cfg.join("operator.toml"), "# nada\n").expect("write");
    for legit in [
        "README",
        "README.md",
        "services.toml.bak",
        "sla.toml~",
        "holidays.toml",
        ".workflows.toml.swp",
    ] {
        std::fs::write(env.cfg.join(legit), "x\n").expect("write");
    }
    let out = check_ok(&env);
    for (file, message) in [
        (
            "service.toml",
            "warning: guardia does not read this file, so the built-in services.toml is in force; did you mean services.toml? rename it to that",
        ),
        (
            "guardia.tml",
            "warning: guardia does not read this file (did you mean guardia.toml? that one is read, beside it); merge what it holds into guardia.toml and remove it",
        ),
        (
            "operator.toml",
            "warning: guardia does not read this file (did you mean operators.toml?",
        ),
    ] {
        assert_has(
            &out,
            &format!("\n{}: {message}", env.cfg.join(file).display()),
        );
    }
    assert_eq!(out.matches("warning:").count(), 3, "{out}");
    // Every other command says so on stderr, and goes on.
    let run = env.output_as("ana", &["list"]);
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert_has(
        &err,
        &format!(
            "guardia: {}: warning: guardia does not read this file, so the built-in services.toml is in force",
            env.cfg.join("service.toml").display()
        ),
    );
    assert_eq!(err.lines().count(), 3, "{err}");
}

/// A transition that requires a field the tickets of its workflow cannot
/// hold could never be taken: `set` refuses the field on them.
#[test]
fn a_required_field_that_the_types_do_not_hold_is_refused() {
    let env = Env::new();
    let fields = format!(
        "{}\n[[field]]\nid = \"change_ref\"\nlabel = {{ es = \"Referencia de cambio\", en = \"Change reference\" }}\nkind = \"text\"\n",
        default_config("fields.toml")
    );
    env.write_config("fields.toml", &fields);
    // In itil_incidente, the workflow of incidents (`default` has no type).
    let wf = default_config("workflows.toml");
    let itil = wf.find("id = \"itil_incidente\"").expect("itil_incidente");
    let wf = format!(
        "{}{}",
        &wf[..itil],
        replace_first(
            &wf[itil..],
            "requires = [\"solution\"]",
            "requires = [\"solution\", \"change_ref\"]",
        )
    );
    let w = env.write_config("workflows.toml", &wf);
    let err = check_fails(&env);
    assert_has(
        &err,
        &format!(
            "{}25: the transition to 'resolved' of workflow 'itil_incidente' requires the field 'change_ref', which tickets of type 'incident' do not hold (types.toml lists it in neither their mandatory nor their optional fields), so they could never take it; add \"change_ref\" to the optional fields of that type, or remove it from `requires`",
            at(&w, line_of(&wf, "\"change_ref\"]"))
        ),
    );
    // Once the type holds it, the transition is fine.
    let types = replace_once(
        &default_config("types.toml"),
        "    \"resolution_time\",\n]",
        "    \"resolution_time\",\n    \"change_ref\",\n]",
    );
    env.write_config("types.toml", &types);
    check_ok(&env);
}

/// A role nobody holds is a warning: the configuration works as soon as
/// somebody is given it.
#[test]
fn a_role_nobody_holds_is_a_warning_not_an_error() {
    let env = Env::new();
    let ops = replace_once(
        &default_config("operators.toml"),
        "roles = [\"vendor\"]",
        "roles = [\"it_professional\"]",
    );
    env.write_config("operators.toml", &ops);
    let out = check_ok(&env);
    let esc = env.cfg.join("escalation.toml");
    let line = line_of(&default_config("escalation.toml"), "role = \"vendor\"");
    assert_has(
        &out,
        &format!(
            "{}8: warning: role 'vendor' works escalation level 5, but no operator holds it, so tickets escalated to level 5 reach nobody; give the role to an operator in operators.toml",
            at(&esc, line)
        ),
    );
    env.ok(&["list"]);
}

/// A rule comparing a choice field with a value that is not a choice (a
/// renamed choice) could never raise a priority.
#[test]
fn a_priority_rule_value_that_is_no_choice_is_refused() {
    let env = Env::new();
    let fields = replace_once(
        &default_config("fields.toml"),
        "choices = [\"facturacion\", ",
        "choices = [\"billing\", ",
    );
    env.write_config("fields.toml", &fields);
    let p = env.cfg.join("priority.toml");
    let line = line_of(
        &default_config("priority.toml"),
        "field = \"critical_process\"",
    );
    let err = check_fails(&env);
    assert_has(
        &err,
        &format!(
            "{}9: rule 'proceso-critico' compares the choice field 'critical_process' with 'facturacion', which is not among its choices (billing, servicio_al_cliente, emergencias, recaudo, ninguno), so the rule never matches it; write the values as fields.toml lists them",
            at(&p, line)
        ),
    );
}

/// States whose category contradicts what they are for: assigning that
/// finishes a ticket, a rejection that stays open, a timer that reopens.
#[test]
fn workflow_categories_that_contradict_their_use_are_refused() {
    let env = Env::new();
    let wf = default_config("workflows.toml");
    // In `default`: `assigned` (its on_assign) resolved, `rejected` active.
    let wf = replace_first(
        &wf,
        "id = \"assigned\"\nname = { es = \"Asignado\", en = \"Assigned\" }\ncategory = \"active\"",
        "id = \"assigned\"\nname = { es = \"Asignado\", en = \"Assigned\" }\ncategory = \"resolved\"",
    );
    let wf = replace_first(
        &wf,
        "id = \"rejected\"\nname = { es = \"Rechazado\", en = \"Rejected\" }\ncategory = \"cancelled\"",
        "id = \"rejected\"\nname = { es = \"Rechazado\", en = \"Rejected\" }\ncategory = \"active\"",
    );
    let wf = replace_once(
        &wf,
        "in = \"resolved\"\nafter = \"24h\"\nto = \"closed\"",
        "in = \"closed\"\nafter = \"24h\"\nto = \"in_progress\"",
    );
    let w = env.write_config("workflows.toml", &wf);
    let err = check_fails(&env);
    for expected in [
        "the on_assign state 'assigned' of workflow 'default' is of category 'resolved': assigning a ticket would finish it before anyone worked on it; name a state of category active",
        "the rejected state 'rejected' of workflow 'default' is of category 'active', so rejected tickets would stay open (in `list --open` and the console's queue); give that state category = \"cancelled\" (or \"closed\")",
        "a timer moves tickets from 'closed', a closed state, to 'in_progress', of category 'active': it would reopen finished tickets on its own",
    ] {
        assert_has(&err, expected);
    }
    assert_has(
        &err,
        &format!(
            "{}6: a timer moves",
            at(&w, line_of(&wf, "in = \"closed\""))
        ),
    );
}

/// Labels, choices and targets that every file accepted in silence.
#[test]
fn empty_or_repeated_labels_choices_and_inverted_targets_are_refused() {
    let env = Env::new();
    let fields = replace_once(
        &default_config("fields.toml"),
        "label = { es = \"Correo del usuario\", en = \"Reporter's e-mail\" }\nkind = \"email\"",
        "label = { es = \"Correo del usuario\", en = \"\" }\nkind = \"email\"\nchoices = [\"a\"]",
    );
    let fields = replace_once(
        &fields,
        "choices = [\"facturacion\", ",
        "choices = [\"recaudo\", \"\", \"facturacion\", ",
    );
    let f = env.write_config("fields.toml", &fields);
    let wf = replace_first(
        &default_config("workflows.toml"),
        "name = { es = \"Asignado\", en = \"Assigned\" }",
        "name = { es = \"En curso\", en = \"Assigned\" }",
    );
    let w = env.write_config("workflows.toml", &wf);
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }",
        "critical = { response = \"8h\", resolution = \"4h\" }",
    );
    let s = env.write_config("sla.toml", &sla);
    let err = check_fails(&env);
    let reporter = line_of(&fields, "id = \"reporter_email\"");
    let process = line_of(&fields, "id = \"critical_process\"");
    for expected in [
        format!(
            "{}6: field 'reporter_email' has an empty label in en, so operators would see nothing where it is named; write it in both languages, like label = {{ es = \"…\", en = \"…\" }}",
            at(&f, reporter)
        ),
        format!(
            "{}6: field 'reporter_email' lists `choices` but is a email field, so they would be neither offered nor checked; remove them, or make it kind = \"choice\"",
            at(&f, reporter)
        ),
        format!(
            "{}6: choice field 'critical_process' lists an empty choice; remove it",
            at(&f, process)
        ),
        format!(
            "{}6: choice field 'critical_process' lists the choice 'recaudo' twice; remove one",
            at(&f, process)
        ),
        format!(
            "{}6: states 'assigned' and 'in_progress' of workflow 'default' are both named 'En curso' (es), so operators could not tell them apart; give each state its own name",
            at(&w, line_of(&wf, "id = \"in_progress\""))
        ),
        format!(
            "{}25: policy 'incidentes', priority 'critical': the response target '8h' is longer than the resolution target '4h'",
            at(&s, line_of(&sla, "response = \"8h\""))
        ),
    ] {
        assert_has(&err, &expected);
    }
}

/// `warn_percent = 0` was told "a whole number 0 or more"; the real range
/// is 1 to 99, said by both the type error and the range check.
#[test]
fn warn_percent_is_told_its_real_range() {
    let env = Env::new();
    for (written, expected) in [
        (
            "warn_percent = 0",
            "warn_percent 0 is out of range: write a whole number from 1 to 99",
        ),
        (
            "warn_percent = -5",
            "'warn_percent' takes a whole number from 1 to 99, written without quotes (like warn_percent = 3), not -5",
        ),
    ] {
        let sla = replace_once(&default_config("sla.toml"), "warn_percent = 80", written);
        let s = env.write_config("sla.toml", &sla);
        let err = check_fails(&env);
        assert_has(
            &err,
            &format!("{}16: {expected}", at(&s, line_of(&sla, written))),
        );
        assert!(!err.contains("0 or more"), "{err}");
    }
}

/// A list written as one value is shown the brackets, not told of
/// `[[roles]]` tables, which operators.toml cannot have.
#[test]
fn a_single_value_where_a_list_goes_is_shown_the_brackets() {
    let env = Env::new();
    let ops = replace_once(
        &default_config("operators.toml"),
        "roles = [\"vendor\"]",
        "roles = \"vendor\"",
    );
    let o = env.write_config("operators.toml", &ops);
    let err = check_fails(&env);
    assert_has(
        &err,
        &format!(
            "{}9: 'roles' takes a list: values in brackets like roles = [\"vendor\"]; not \"vendor\"",
            at(&o, line_of(&ops, "roles = \"vendor\""))
        ),
    );
    assert!(!err.contains("[[roles]]"), "{err}");
}

/// A key of the file written after its last table belongs to that table:
/// it was reported as missing and as unknown, with "check the spelling".
#[test]
fn a_top_level_key_below_the_last_table_is_told_to_move_up() {
    let env = Env::new();
    let prio = format!(
        "{}\ndefault_impact = \"medium\"\n",
        replace_once(
            &default_config("priority.toml"),
            "default_impact = \"medium\"\n",
            ""
        )
    );
    let p = env.write_config("priority.toml", &prio);
    let err = check_fails(&env);
    let rule_line = prio
        .rfind("[[rule]]")
        .map(|at| prio[..at].matches('\n').count() + 1)
        .expect("last rule");
    assert_has(
        &err,
        &format!(
            "{}1: 'default_impact' belongs at the top of the file, but it is written below the table header [[rule]] (line {rule_line}), so it is read as a key of that table; move the line `default_impact = …` above the first [table] header of the file",
            at(&p, line_of(&prio, "\ndefault_impact") + 1)
        ),
    );
    assert_has(&err, "the configuration has 1 problem(s)");
    assert!(!err.contains("required here but missing"), "{err}");
}

/// A misspelt `[[reson]]` was reported as a duplicate `[[reason]]` further
/// down ("merge the two"); the misspelt header is named instead.
#[test]
fn a_misspelt_array_of_tables_header_is_named() {
    let env = Env::new();
    let rej = replace_first(
        &default_config("rejections.toml"),
        "[[reason]]",
        "[[reson]]",
    );
    let r = env.write_config("rejections.toml", &rej);
    let svc = replace_first(
        &default_config("services.toml"),
        "[[service]]",
        "[[servce]]",
    );
    let s = env.write_config("services.toml", &svc);
    let err = check_fails(&env);
    assert_has(
        &err,
        &format!(
            "{}3: table header [[reson]]: did you mean [[reason]]? the [reason.label] below it",
            at(&r, line_of(&rej, "[[reson]]"))
        ),
    );
    assert_has(
        &err,
        &format!(
            "{}3: table header [[servce]]: did you mean [[service]]?",
            at(&s, line_of(&svc, "[[servce]]"))
        ),
    );
    assert!(!err.contains("merge the two"), "{err}");
}

/// A problem in a built-in file (a folder file refers to what it lacks)
/// says how to get a copy to edit.
#[test]
fn a_problem_in_a_built_in_file_says_how_to_get_a_copy() {
    let env = Env::new();
    std::fs::remove_file(env.cfg.join("operators.toml")).expect("rm");
    let esc = replace_once(&default_config("escalation.toml"), "n = 3\n", "n = 6\n");
    let e = env.write_config("escalation.toml", &esc);
    let err = check_fails(&env);
    assert_has(
        &err,
        &format!(
            "{}5: the escalation matrix has a hole: level 3 is missing before level 4; add a [[level]] with n = 3",
            at(&e, line_of(&esc, "n = 4\n"))
        ),
    );
    assert_has(
        &err,
        &format!(
            "  note: (built-in) operators.toml is the file compiled into guardia, in force because the configuration folder has no operators.toml; to change it, write an editable copy with `guardia config print-default operators.toml > {}` and edit that\n",
            env.cfg.join("operators.toml").display()
        ),
    );
    assert_eq!(err.matches("note: (built-in)").count(), 1, "{err}");
}

/// Messages that named a problem without saying which line to touch or
/// what to write.
#[test]
fn messages_say_which_line_and_what_to_write() {
    let env = Env::new();
    let types = replace_once(
        &default_config("types.toml"),
        "    \"resolution_time\",\n]",
        "    \"resolution_time\",\n    \"extension\",\n]",
    );
    let t = env.write_config("types.toml", &types);
    let sla = replace_once(
        &default_config("sla.toml"),
        "critical = { response = \"30m\", resolution = \"4h\" }\n",
        "",
    );
    let s = env.write_config("sla.toml", &sla);
    let guardia = replace_once(
        &default_config("guardia.toml"),
        "site_code = \"BOG\"",
        "site_code = \"bog\"",
    );
    let g = env.write_config("guardia.toml", &guardia);
    let err = check_fails(&env);
    let extension_line = line_of(
        &default_config("types.toml"),
        "mandatory = [\"reporter_email\"",
    );
    for expected in [
        format!(
            "{}5: field 'extension' is listed twice for type 'incident': it is already in its mandatory fields (line {extension_line}); remove this entry from optional",
            at(&t, line_of(&types, "    \"extension\",\n]"))
        ),
        format!(
            "{}1: policy 'incidentes' has no targets for priority 'critical'; add a line for it to the policy's targets, like critical = {{ response = \"4h\", resolution = \"2d\" }}",
            at(&s, line_of(&sla, "[policy.targets]"))
        ),
        format!(
            "{}1: defaults.site_code 'bog' must be 2 to 8 capital letters, like site_code = \"BOG\"",
            at(&g, line_of(&guardia, "site_code = \"bog\""))
        ),
    ] {
        assert_has(&err, &expected);
    }
}

/// Grades are given by their labels too (`--priority alta`), without case
/// or accents: two priorities named alike would make the label pick the
/// first one silently, so the configuration is refused.
#[test]
fn two_grades_of_one_kind_named_alike_are_refused() {
    let env = Env::new();
    let priority = replace_once(
        &default_config("priority.toml"),
        "[[priority]]\nid = \"high\"\nname = { es = \"Alta\", en = \"High\" }",
        "[[priority]]\nid = \"high\"\nname = { es = \"crítica\", en = \"High\" }",
    );
    let p = env.write_config("priority.toml", &priority);
    let err = check_fails(&env);
    assert_has(
        &err,
        &format!(
            "{}6: priority grades 'critical' and 'high' are both named 'crítica' (es), so `crítica` typed by an operator would pick 'critical' alone; give each its own name",
            at(&p, line_of(&priority, "[[priority]]\nid = \"high\"") + 1)
        ),
    );
}
