//! Every shipped workflow is well formed: every state can be reached from
//! the initial one, only final states (closed, cancelled) have no way out,
//! every other state can get to a final one, and `reject` and `assign` have
//! the transitions they take. A workflow that breaks any of these is
//! refused with its file and line.

use guardia::config::{Config, DEFAULT_FILES, Source, StateCategory, Workflow};
use std::collections::BTreeSet;

fn is_final(wf: &Workflow, id: &str) -> bool {
    wf.states.iter().any(|s| {
        s.id.get_ref() == id
            && matches!(s.category, StateCategory::Closed | StateCategory::Cancelled)
    })
}

/// The moves of a workflow (transitions and timers), self-loops left out.
fn moves(wf: &Workflow) -> Vec<(String, String)> {
    wf.transitions
        .iter()
        .flat_map(|t| {
            t.from
                .iter()
                .map(|f| (f.get_ref().clone(), t.to.get_ref().clone()))
        })
        .chain(
            wf.timers
                .iter()
                .map(|t| (t.state.get_ref().clone(), t.to.get_ref().clone())),
        )
        .filter(|(f, t)| f != t)
        .collect()
}

#[test]
fn every_state_is_reachable_and_only_final_states_are_dead_ends() {
    let cfg = Config::builtin().expect("built-in configuration");
    // The seeds' procedures, the generic life cycle, problems and known errors.
    assert_eq!(cfg.workflows.len(), 7);
    for wf in &cfg.workflows {
        let name = wf.id.get_ref();
        let moves = moves(wf);
        // The rejected state is entered by `reject`, from any open state.
        let mut reached: BTreeSet<String> = [wf.initial.get_ref().clone()].into();
        reached.extend(wf.rejected.iter().map(|r| r.get_ref().clone()));
        reached.extend(wf.on_assign.iter().map(|r| r.get_ref().clone()));
        let mut finishes: BTreeSet<String> = wf
            .states
            .iter()
            .map(|s| s.id.get_ref().clone())
            .filter(|s| is_final(wf, s))
            .collect();
        loop {
            let before = reached.len() + finishes.len();
            for (f, t) in &moves {
                if reached.contains(f) {
                    reached.insert(t.clone());
                }
                if finishes.contains(t) {
                    finishes.insert(f.clone());
                }
            }
            if reached.len() + finishes.len() == before {
                break;
            }
        }
        for s in &wf.states {
            let id = s.id.get_ref();
            assert!(
                reached.contains(id),
                "workflow {name}: state {id} cannot be reached"
            );
            assert!(
                finishes.contains(id),
                "workflow {name}: state {id} can never get to a closed or cancelled state"
            );
        }
        if let Some(r) = &wf.rejected {
            assert!(
                wf.transitions.iter().any(|t| t.to.get_ref() == r.get_ref()),
                "workflow {name}: no transition into its rejected state"
            );
        }
        if let Some(a) = &wf.on_assign {
            assert!(
                moves.contains(&(wf.initial.get_ref().clone(), a.get_ref().clone())),
                "workflow {name}: no transition from its initial state to on_assign"
            );
        }
    }
}

/// The built-in files with `workflows.toml` (and, when given, `fields.toml`)
/// replaced; the problems of that configuration, one per line.
fn problems(workflows: &str, fields: Option<&str>) -> String {
    let sources = DEFAULT_FILES
        .iter()
        .map(|(name, text)| Source {
            name,
            path: None,
            text: match (*name, fields) {
                ("workflows.toml", _) => workflows.to_string(),
                ("fields.toml", Some(f)) => f.to_string(),
                _ => text.to_string(),
            },
        })
        .collect();
    match Config::from_sources(sources) {
        Ok(_) => panic!("the configuration was accepted"),
        Err(e) => e.to_string(),
    }
}

fn builtin(name: &str) -> &'static str {
    DEFAULT_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .expect("a built-in file")
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

#[test]
fn reject_and_assign_need_the_transitions_they_take() {
    let wf = builtin("workflows.toml");
    let no_reject = wf.replacen(
        "[[workflow.transition]]\nfrom = [\"new\", \"assigned\"]\nto = \"rejected\"\nroles = [\"agent\", \"service_manager\", \"head\"]\n",
        "",
        1,
    );
    assert_ne!(no_reject, wf, "the reject transition was removed");
    let err = problems(&no_reject, None);
    let line = line_of(&no_reject, "rejected = \"rejected\"");
    assert!(
        err.contains(&format!(
            "(built-in) workflows.toml:{line}:12: the rejected state 'rejected' of workflow 'default' has no transition into it, so every `guardia reject` would be refused; add a [[workflow.transition]] with to = \"rejected\" and from = the states a ticket may be rejected in (e.g. from = [\"new\"])"
        )),
        "{err}"
    );
    let no_assign = wf.replacen(
        "[[workflow.transition]]\nfrom = [\"new\"]\nto = \"assigned\"\n",
        "",
        1,
    );
    assert_ne!(no_assign, wf, "the assign transition was removed");
    let err = problems(&no_assign, None);
    let line = line_of(&no_assign, "on_assign = \"assigned\"");
    assert!(
        err.contains(&format!(
            "(built-in) workflows.toml:{line}:13: the on_assign state 'assigned' of workflow 'default' has no transition from the initial state 'new', so assigning a ticket would leave it in 'new'; add a [[workflow.transition]] with from = [\"new\"] and to = \"assigned\""
        )),
        "{err}"
    );
    assert!(err.contains("the configuration has 1 problem(s)"), "{err}");
}

/// A state whose only way out is back to itself is a dead end, and states
/// that only lead to each other can never finish.
#[test]
fn every_open_state_must_get_to_a_final_one() {
    let extra = r#"
[[workflow]]
id = "bucle"
name = { es = "Bucle", en = "Loop" }
initial = "n"

[[workflow.state]]
id = "n"
name = { es = "N", en = "N" }
category = "new"

[[workflow.state]]
id = "a"
name = { es = "A", en = "A" }
category = "active"

[[workflow.state]]
id = "b"
name = { es = "B", en = "B" }
category = "resolved"

[[workflow.state]]
id = "c"
name = { es = "C", en = "C" }
category = "waiting"

[[workflow.state]]
id = "d"
name = { es = "D", en = "D" }
category = "closed"

[[workflow.transition]]
from = ["n"]
to = "d"

[[workflow.transition]]
from = ["n", "b"]
to = "a"

[[workflow.transition]]
from = ["a"]
to = "b"

[[workflow.transition]]
from = ["n", "c"]
to = "c"
"#;
    let wf = format!("{}{extra}", builtin("workflows.toml"));
    let err = problems(&wf, None);
    let c = line_of(&wf, "id = \"c\"");
    let a = line_of(&wf, "id = \"a\"");
    for expected in [
        format!(
            "(built-in) workflows.toml:{c}:6: state 'c' of workflow 'bucle' is a dead end: no transition leaves it for another state and its category 'waiting' is not final (closed, cancelled); add a way out"
        ),
        format!(
            "(built-in) workflows.toml:{a}:6: in workflow 'bucle', no chain of transitions or timers leads from the states 'a', 'b' to a closed or cancelled state, so their tickets could never be finished; add a transition from one of them toward a final state"
        ),
    ] {
        assert!(err.contains(&expected), "lacks {expected:?}:\n{err}");
    }
    assert!(err.contains("the configuration has 2 problem(s)"), "{err}");
}

/// `record_resolution_time` writes a sentence, so its field must be text.
#[test]
fn the_resolution_time_field_must_be_text() {
    let fields = builtin("fields.toml").replacen(
        "en = \"Resolution time\" }\nkind = \"text\"",
        "en = \"Resolution time\" }\nkind = \"number\"",
        1,
    );
    assert_ne!(fields, builtin("fields.toml"));
    let err = problems(builtin("workflows.toml"), Some(&fields));
    assert!(
        err.contains(
            "record_resolution_time writes text into the field 'resolution_time', which fields.toml makes a number field; make it kind = \"text\""
        ),
        "{err}"
    );
}
