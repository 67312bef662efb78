//! Checks `rejections.toml` against the files it names: the ticket types a
//! reason is limited to exist and can be rejected at all (their workflow
//! has a rejected state), and a reason's `min_priority` is a priority of
//! priority.toml. A misspelt type would silently keep the reason from the
//! type it was meant for; a type that is never rejected would make the
//! administrator believe it can be.

use super::{Checker, ids};
use crate::config::*;
use std::collections::BTreeSet;

const F: &str = "rejections.toml";

pub(super) fn check(
    c: &mut Checker,
    rejections: &RejectionsFile,
    types: &TypesFile,
    priority: &PriorityFile,
    workflows: &WorkflowsFile,
) {
    c.unique(
        F,
        "rejection reason",
        rejections.reasons.iter().map(|r| &r.code),
    );
    let type_ids = ids(&types.types, |t| &t.id);
    let priority_ids = ids(&priority.priorities, |g| &g.id);
    for r in &rejections.reasons {
        let code = r.code.get_ref();
        if let Some(p) = &r.min_priority {
            c.known(F, "priority", p, &priority_ids);
        }
        let Some(listed) = &r.types else { continue };
        if listed.is_empty() {
            c.at(
                F,
                r.code.span(),
                format!(
                    "rejection reason '{code}' has types = [], so no ticket could be rejected with it; name the ticket types it is for (types.toml), or remove `types` to offer it for every type"
                ),
            );
            continue;
        }
        let mut seen = BTreeSet::new();
        for t in listed {
            let id = t.get_ref();
            if !seen.insert(id.as_str()) {
                c.at(
                    F,
                    t.span(),
                    format!(
                        "rejection reason '{code}' lists the ticket type '{id}' twice; keep one"
                    ),
                );
                continue;
            }
            if !c.known(F, "ticket type", t, &type_ids) {
                continue;
            }
            // An unknown workflow is reported in types.toml already.
            let Some(wf) = types
                .types
                .iter()
                .find(|ty| ty.id.get_ref() == id)
                .and_then(|ty| {
                    workflows
                        .workflows
                        .iter()
                        .find(|w| w.id.get_ref() == ty.workflow.get_ref())
                })
            else {
                continue;
            };
            if wf.rejected.is_none() {
                c.at(
                    F,
                    t.span(),
                    format!(
                        "rejection reason '{code}' lists the ticket type '{id}', whose workflow '{}' has no rejected state, so its tickets are never rejected; remove '{id}' from types (or give that workflow a `rejected` state)",
                        wf.id.get_ref()
                    ),
                );
            }
        }
    }
}
