//! `guardia workflow list | show NAME`: the configured state machines, with
//! a text diagram of each workflow's states and transitions (who may take
//! each, and which fields it requires). Needs no database.

use super::{print, print_json};
use crate::config::{Config, Lang, Transition, Workflow};
use crate::text::sanitize_line;
use anyhow::{Result, bail};
use serde_json::json;

fn types_of<'a>(cfg: &'a Config, wf: &Workflow) -> Vec<&'a str> {
    cfg.types
        .iter()
        .filter(|t| t.workflow.get_ref() == wf.id.get_ref())
        .map(|t| t.id.get_ref().as_str())
        .collect()
}

pub fn list(cfg: &Config, lang: Lang, as_json: bool) -> Result<()> {
    if as_json {
        let v: Vec<serde_json::Value> = cfg
            .workflows
            .iter()
            .map(|wf| {
                json!({"id": wf.id.get_ref(), "name": wf.name.get(lang),
                       "initial": wf.initial.get_ref(), "states": wf.states.len(),
                       "transitions": wf.transitions.len(), "types": types_of(cfg, wf)})
            })
            .collect();
        return print_json(&v);
    }
    let mut s = String::new();
    for wf in &cfg.workflows {
        s.push_str(&format!(
            "{}  {}  ({} states, {} transitions; types: {})\n",
            sanitize_line(wf.id.get_ref()),
            sanitize_line(wf.name.get(lang)),
            wf.states.len(),
            wf.transitions.len(),
            match types_of(cfg, wf) {
                t if t.is_empty() => "none".to_string(),
                t => t.join(", "),
            }
        ));
    }
    print(&s)
}

pub fn show(cfg: &Config, lang: Lang, name: &str, as_json: bool) -> Result<()> {
    let Some(wf) = cfg.workflow(name) else {
        let known: Vec<&str> = cfg
            .workflows
            .iter()
            .map(|w| w.id.get_ref().as_str())
            .collect();
        bail!(
            "no workflow '{}'; the workflows are: {}",
            sanitize_line(name),
            known.join(", ")
        );
    };
    let ids = |v: &[toml::Spanned<String>]| -> Vec<String> {
        v.iter().map(|s| s.get_ref().clone()).collect()
    };
    if as_json {
        let v = json!({
            "id": wf.id.get_ref(), "name": wf.name.get(lang), "initial": wf.initial.get_ref(),
            "on_assign": wf.on_assign.as_ref().map(|s| s.get_ref()),
            "rejected": wf.rejected.as_ref().map(|s| s.get_ref()),
            "types": types_of(cfg, wf),
            "states": wf.states.iter().map(|s| json!({"id": s.id.get_ref(), "name": s.name.get(lang),
                "category": s.category.name(), "locks": ids(&s.locks)})).collect::<Vec<_>>(),
            "transitions": wf.transitions.iter().map(|t| json!({"from": ids(&t.from), "to": t.to.get_ref(),
                "roles": ids(&t.roles), "requires": ids(&t.requires),
                "four_eyes": t.four_eyes.as_ref().map(|s| s.get_ref()),
                "cutoff": t.cutoff.as_ref().map(|c| json!({"before": c.before.get_ref(),
                    "calendar": c.calendar.get_ref(), "exception": c.exception.get_ref()})),
                "threshold": t.threshold.as_ref().map(|th| json!({"field": th.field.get_ref(),
                    "above": th.above, "requires": ids(&th.requires), "approval": th.approval.get_ref()})),
                "approval": t.approval.as_ref().map(|s| s.get_ref()),
                "record_resolution_time": t.record_resolution_time,
            })).collect::<Vec<_>>(),
            "approvals": wf.approvals.iter().map(|a| json!({"id": a.id.get_ref(), "name": a.name.get(lang),
                "roles": ids(&a.roles)})).collect::<Vec<_>>(),
            "timers": wf.timers.iter().map(|t| json!({"in": t.state.get_ref(), "after": t.after.get_ref(),
                "calendar": t.calendar.as_ref().map(|c| c.get_ref()), "to": t.to.get_ref(),
                "note": t.note})).collect::<Vec<_>>(),
            "actions": wf.actions.iter().map(|a| json!({"action": a.action.get_ref(),
                "states": ids(&a.states)})).collect::<Vec<_>>(),
            "cascades": wf.cascades.iter().map(|c| json!({"on": c.on.get_ref(), "link": c.link.get_ref(),
                "incoming": c.direction == crate::config::CascadeDirection::Incoming,
                "to": c.to.get_ref()})).collect::<Vec<_>>(),
        });
        return print_json(&v);
    }
    let es = lang == Lang::Es;
    let mut s = format!(
        "{}  {}\n{}: {}\n\n{}\n",
        sanitize_line(wf.id.get_ref()),
        sanitize_line(wf.name.get(lang)),
        if es { "Tipos" } else { "Types" },
        types_of(cfg, wf).join(", "),
        if es { "Estados" } else { "States" }
    );
    let width = wf
        .states
        .iter()
        .map(|s| s.id.get_ref().chars().count())
        .max()
        .unwrap_or(0);
    for st in &wf.states {
        let id = st.id.get_ref();
        let mut marks = Vec::new();
        if id == wf.initial.get_ref() {
            marks.push(if es { "inicial" } else { "initial" });
        }
        if wf.on_assign.as_ref().is_some_and(|a| a.get_ref() == id) {
            marks.push(if es { "al asignar" } else { "on assignment" });
        }
        if wf.rejected.as_ref().is_some_and(|a| a.get_ref() == id) {
            marks.push(if es { "al rechazar" } else { "on rejection" });
        }
        s.push_str(&format!(
            "  {} {:<width$}  {:<9}  {}{}\n",
            if id == wf.initial.get_ref() {
                "▶"
            } else {
                " "
            },
            sanitize_line(id),
            st.category.name(),
            sanitize_line(st.name.get(lang)),
            if marks.is_empty() {
                String::new()
            } else {
                format!("  ({})", marks.join(", "))
            }
        ));
        // The fields that cannot change while a ticket is here.
        if !st.locks.is_empty() {
            s.push_str(&format!(
                "    {:<width$}  {}: {}\n",
                "",
                if es { "bloquea" } else { "locks" },
                sanitize_line(&ids(&st.locks).join(", "))
            ));
        }
    }
    s.push_str(if es {
        "\nTransiciones\n"
    } else {
        "\nTransitions\n"
    });
    // One block per state it leaves from: the diagram reads as "from here, to there".
    for st in &wf.states {
        let from = st.id.get_ref();
        let outs: Vec<_> = wf
            .transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f.get_ref() == from))
            .collect();
        if outs.is_empty() {
            continue;
        }
        for (i, t) in outs.iter().enumerate() {
            let lead = if i == 0 {
                format!("  {:<width$} ", sanitize_line(from))
            } else {
                format!("  {:<width$} ", "")
            };
            let arm = if outs.len() == 1 {
                "───►"
            } else if i == 0 {
                "─┬─►"
            } else if i + 1 == outs.len() {
                " └─►"
            } else {
                " ├─►"
            };
            let mut line = format!("{lead}{arm} {}", sanitize_line(t.to.get_ref()));
            if !t.roles.is_empty() {
                // "roles" reads the same in Spanish.
                line.push_str(&format!("   roles: {}", ids(&t.roles).join(", ")));
            }
            if !t.requires.is_empty() {
                line.push_str(&format!(
                    "   {}: {}",
                    if es { "exige" } else { "requires" },
                    ids(&t.requires).join(", ")
                ));
            }
            line.push_str(&guards(t, es));
            s.push_str(&line);
            s.push('\n');
        }
    }
    if !wf.timers.is_empty() {
        s.push_str(if es {
            "\nTemporizadores (los ejecuta el sistema)\n"
        } else {
            "\nTimers (taken by the system)\n"
        });
        for t in &wf.timers {
            s.push_str(&format!(
                "  {} ⏱ {}{} ───► {}   {}\n",
                sanitize_line(t.state.get_ref()),
                sanitize_line(t.after.get_ref()),
                t.calendar
                    .as_ref()
                    .map(|c| format!(" ({})", sanitize_line(c.get_ref())))
                    .unwrap_or_default(),
                sanitize_line(t.to.get_ref()),
                sanitize_line(&t.note)
            ));
        }
    }
    if !wf.approvals.is_empty() {
        s.push_str(if es {
            "\nAprobaciones\n"
        } else {
            "\nApprovals\n"
        });
        for a in &wf.approvals {
            s.push_str(&format!(
                "  {}  {}   roles: {}\n",
                sanitize_line(a.id.get_ref()),
                sanitize_line(a.name.get(lang)),
                ids(&a.roles).join(", ")
            ));
        }
    }
    if !wf.cascades.is_empty() {
        s.push_str(if es {
            "\nCascadas (las ejecuta el sistema)\n"
        } else {
            "\nCascades (taken by the system)\n"
        });
        for cascade in &wf.cascades {
            // `→` the tickets this one links to, `←` those that link to it.
            s.push_str(&format!(
                "  {} ⇒ {} {} {}\n",
                sanitize_line(cascade.on.get_ref()),
                sanitize_line(cascade.link.get_ref()),
                match cascade.direction {
                    crate::config::CascadeDirection::Outgoing => "→",
                    crate::config::CascadeDirection::Incoming => "←",
                },
                sanitize_line(cascade.to.get_ref())
            ));
        }
    }
    if !wf.actions.is_empty() {
        s.push_str(if es {
            "\nAcciones según el estado\n"
        } else {
            "\nActions by state\n"
        });
        for a in &wf.actions {
            s.push_str(&format!(
                "  {}: {} {}\n",
                sanitize_line(a.action.get_ref()),
                if es { "sólo en" } else { "only in" },
                ids(&a.states).join(", ")
            ));
        }
    }
    print(&s)
}

/// The guards of a transition, as they read in the diagram.
fn guards(t: &Transition, es: bool) -> String {
    let mut out = String::new();
    if let Some(step) = &t.four_eyes {
        out.push_str(&format!(
            "   {}: ≠ {}",
            if es { "cuatro ojos" } else { "four eyes" },
            sanitize_line(step.get_ref())
        ));
    }
    if let Some(th) = &t.threshold {
        let mut needs: Vec<String> = th.requires.iter().map(|f| f.get_ref().clone()).collect();
        needs.push(format!("✔{}", th.approval.get_ref()));
        out.push_str(&format!(
            "   {} > {} ⇒ {}",
            sanitize_line(th.field.get_ref()),
            th.above,
            sanitize_line(&needs.join(" + "))
        ));
    }
    if let Some(a) = &t.approval {
        out.push_str(&format!("   ✔{}", sanitize_line(a.get_ref())));
    }
    if let Some(c) = &t.cutoff {
        out.push_str(&format!(
            "   {} {} ({}), {} ✔{}",
            if es { "antes de" } else { "before" },
            sanitize_line(c.before.get_ref()),
            sanitize_line(c.calendar.get_ref()),
            if es { "si no" } else { "else" },
            sanitize_line(c.exception.get_ref())
        ));
    }
    if t.record_resolution_time {
        out.push_str(if es {
            "   registra el tiempo de resolución"
        } else {
            "   records the resolution time"
        });
    }
    out
}
