//! Every shipped workflow is well formed: every state can be reached from
//! the initial one, and only final states (closed, cancelled) have no way out.

use guardia::config::{Config, StateCategory};
use std::collections::BTreeSet;

#[test]
fn every_state_is_reachable_and_only_final_states_are_dead_ends() {
    let cfg = Config::builtin().expect("built-in configuration");
    // The seeds' procedures, the generic life cycle, problems and known errors.
    assert_eq!(cfg.workflows.len(), 7);
    for wf in &cfg.workflows {
        let name = wf.id.get_ref();
        // The rejected state is entered by `reject`, from any open state.
        let mut reached: BTreeSet<String> = [wf.initial.get_ref().clone()].into();
        reached.extend(wf.rejected.iter().map(|r| r.get_ref().clone()));
        reached.extend(wf.on_assign.iter().map(|r| r.get_ref().clone()));
        loop {
            let before = reached.len();
            for t in &wf.transitions {
                if t.from.iter().any(|f| reached.contains(f.get_ref())) {
                    reached.insert(t.to.get_ref().clone());
                }
            }
            for t in &wf.timers {
                if reached.contains(t.state.get_ref()) {
                    reached.insert(t.to.get_ref().clone());
                }
            }
            if reached.len() == before {
                break;
            }
        }
        for s in &wf.states {
            let id = s.id.get_ref();
            assert!(
                reached.contains(id),
                "workflow {name}: state {id} cannot be reached"
            );
            let leaves = wf
                .transitions
                .iter()
                .any(|t| t.from.iter().any(|f| f.get_ref() == id))
                || wf.timers.iter().any(|t| t.state.get_ref() == id);
            let is_final = matches!(s.category, StateCategory::Closed | StateCategory::Cancelled);
            assert!(
                leaves || is_final,
                "workflow {name}: state {id} is a dead end but not final"
            );
        }
    }
}
