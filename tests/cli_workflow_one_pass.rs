//! `config check` reports every problem of a workflow's shape in one pass:
//! a state with nothing in or out is both unreachable and a dead end, and
//! both are said at once, not the dead end only after the administrator
//! has added a way in.

mod common;

use common::*;

#[test]
fn an_unreachable_dead_end_is_reported_as_both_at_once() {
    let env = Env::new();
    let text = default_config("workflows.toml");
    let limbo = "[[workflow.state]]\nid = \"limbo\"\nname = { es = \"Limbo\", en = \"Limbo\" }\ncategory = \"active\"\n\n";
    let text = replace_once(
        &text,
        "[[workflow]]\nid = \"itil_incidente\"",
        &format!("{limbo}[[workflow]]\nid = \"itil_incidente\""),
    );
    let path = env.write_config("workflows.toml", &text);
    let err = env.fail_raw(&["config", "check"]);
    let at = format!("{}:{}:", path.display(), line_of(&text, "id = \"limbo\""));
    for message in [
        "state 'limbo' of workflow 'default' cannot be reached from 'new'",
        "state 'limbo' of workflow 'default' is a dead end",
    ] {
        assert!(
            err.lines().any(|l| l.contains(&at) && l.contains(message)),
            "no `{at} … {message}` in:\n{err}"
        );
    }

    // With a way in, only the dead end is left.
    let text = replace_once(
        &text,
        &format!("{limbo}[[workflow]]"),
        &format!(
            "{limbo}[[workflow.transition]]\nfrom = [\"new\"]\nto = \"limbo\"\n\n[[workflow]]"
        ),
    );
    env.write_config("workflows.toml", &text);
    let err = env.fail_raw(&["config", "check"]);
    assert!(
        err.contains("'limbo' of workflow 'default' is a dead end"),
        "{err}"
    );
    assert!(!err.contains("cannot be reached"), "{err}");
}
