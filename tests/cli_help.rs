//! The help the command line gives: every option and positional argument of
//! every command has a description, the global options come after each
//! command's own, and the argument rules that clap enforces (ranges,
//! required pairs and groups) are usage errors with a message that names
//! what is missing.

mod common;

use clap::CommandFactory;
use common::*;
use guardia::cli::args::Cli;

/// The built command tree (global options propagated to every command).
fn tree() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// Every command, as its path (`problem resource add`) and itself.
fn commands(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
    out.push((path.to_string(), cmd.clone()));
    for sub in cmd.get_subcommands() {
        // clap's own `help` command documents itself.
        if sub.get_name() == "help" {
            continue;
        }
        let p = if path.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{path} {}", sub.get_name())
        };
        commands(sub, &p, out);
    }
}

fn all_commands() -> Vec<(String, clap::Command)> {
    let mut out = Vec::new();
    commands(&tree(), "", &mut out);
    out
}

#[test]
fn every_argument_of_every_command_has_a_description() {
    let mut bare = Vec::new();
    for (path, cmd) in all_commands() {
        assert!(
            cmd.get_about()
                .is_some_and(|a| !a.to_string().trim().is_empty()),
            "`guardia {path}` has no summary"
        );
        for arg in cmd.get_arguments() {
            let help = arg
                .get_help()
                .or(arg.get_long_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            if help.trim().is_empty() {
                bare.push(format!("guardia {path}: {}", arg.get_id()));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "arguments without help:\n{}",
        bare.join("\n")
    );
}

/// Global options sit under their own heading, which clap prints after the
/// command's own options, and no option of a command has a heading of its
/// own (it would be printed apart from the others).
#[test]
fn global_options_come_after_each_commands_own() {
    for (path, cmd) in all_commands() {
        for arg in cmd.get_arguments() {
            let heading = arg.get_help_heading();
            if arg.is_global_set() {
                assert_eq!(
                    heading,
                    Some("Global options"),
                    "guardia {path}: {}",
                    arg.get_id()
                );
            } else {
                assert_eq!(heading, None, "guardia {path}: {}", arg.get_id());
            }
        }
    }
    // As printed: `report -h` lists --from, --to, ... --top, then --db.
    let env = Env::empty();
    let out = env.cmd().args(["report", "-h"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).expect("UTF-8");
    let at = |needle: &str| {
        help.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in:\n{help}"))
    };
    let global = at("\nGlobal options:\n");
    for own in ["--from <DATE>", "--to <DATE>", "--top <TOP>", "--json"] {
        assert!(at(own) < global, "{own} after the global options:\n{help}");
    }
    for g in [
        "--db <PATH>",
        "--config <DIR>",
        "--as <USER>",
        "--lang <LANG>",
        "--no-color",
    ] {
        assert!(
            at(g) > global,
            "{g} among the command's own options:\n{help}"
        );
    }
}

#[test]
fn link_summary_names_every_kind() {
    let cmd = tree();
    let link = cmd.find_subcommand("link").expect("link");
    let about = link.get_about().map(|a| a.to_string()).unwrap_or_default();
    for kind in ["related", "problem", "known_error", "major"] {
        assert!(about.contains(kind), "{kind} missing from: {about}");
    }
}

/// Runs a command that clap must refuse; returns its stderr.
fn usage_error(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert!(err.starts_with("error:"), "{args:?}: {err}");
    err
}

#[test]
fn escalate_to_without_hierarchical_names_hierarchical() {
    let env = Env::new();
    let key = env.support("Correo caído", "No llega el correo");
    let err = usage_error(&env, &["escalate", &key, "--to", "head"]);
    assert!(err.contains("--hierarchical"), "{err}");
    assert!(!err.contains("--level <LEVEL>"), "misleading: {err}");
    // The two documented forms still work.
    let out = env.ok(&["escalate", &key, "--hierarchical", "--to", "head"]);
    assert!(
        out.contains("hierarchical escalation to head recorded"),
        "{out}"
    );
    let out = env.ok(&["escalate", &key, "--level", "2"]);
    assert!(out.contains("escalated to level 2"), "{out}");
}

#[test]
fn limits_out_of_range_are_usage_errors() {
    let env = Env::new();
    let key = env.incident("Cupón sin imprimir", "No sale el cupón de pago");
    for (args, range) in [
        (vec!["known", "suggest", &key, "--limit", "0"], "1..=500"),
        (
            vec!["known", "suggest", "--text", "cupón", "--limit", "0"],
            "1..=500",
        ),
        (vec!["known", "suggest", &key, "--limit", "501"], "1..=500"),
        (vec!["known", "list", "--limit", "0"], "1..=500"),
        (vec!["problem", "list", "--limit", "501"], "1..=500"),
        (vec!["list", "--limit", "0"], "1..=1000"),
        (vec!["search", "cupón", "--limit", "1001"], "1..=1000"),
    ] {
        let err = usage_error(&env, &args);
        assert!(err.contains("--limit"), "{args:?}: {err}");
        assert!(err.contains(range), "{args:?}: {err}");
    }
    // The bounds themselves are accepted.
    env.ok(&["known", "suggest", &key, "--limit", "1"]);
    env.ok(&["known", "suggest", "--text", "cupón", "--limit", "500"]);
    env.ok(&["problem", "list", "--limit", "500"]);
}

/// A command missing the thing it is about is a usage error (exit 2), as
/// docs/cli.md says of missing arguments, naming both ways to give it.
#[test]
fn suggest_and_declare_need_a_subject() {
    let env = Env::new();
    let err = usage_error(&env, &["known", "suggest"]);
    assert!(err.contains("<KEY|--text <TEXT>>"), "{err}");
    let err = usage_error(&env, &["known", "suggest", "--limit", "3", "--json"]);
    assert!(err.contains("<KEY|--text <TEXT>>"), "{err}");
    let err = usage_error(&env, &["major", "declare", "--reason", "caída"]);
    assert!(err.contains("<KEY|--service <SERVICE>>"), "{err}");
    // Either one alone is enough for the parser.
    let key = env.incident("Portal caído", "Nadie entra al portal");
    env.ok(&["known", "suggest", &key]);
    env.ok(&["known", "suggest", "--text", "portal"]);
    let out = env.ok_as("ines", &["major", "declare", &key, "--reason", "masiva"]);
    assert!(out.contains("declared a major incident"), "{out}");
}

/// `problem resource remove` takes a key as typed, like every other
/// command, and answers with its stored form.
#[test]
fn resource_remove_takes_a_key_as_typed() {
    let env = Env::new();
    let p = env.problem("Bloqueos en facturación", "Tablas bloqueadas");
    env.ok_as(
        "julia",
        &[
            "problem",
            "resource",
            "add",
            &p,
            "--kind",
            "material",
            "--description",
            "Disco",
            "--cost",
            "100",
        ],
    );
    let typed = p.replace("BOG-", "bog-000");
    let out = env.ok_as("julia", &["problem", "resource", "remove", &typed, "1"]);
    assert!(out.starts_with(&format!("{p}: ")), "{out}");
}
