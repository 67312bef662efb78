//! Checks of what every file passes alone but that, together, can never
//! work or reads wrong: a transition requiring a field its tickets cannot
//! hold, a priority rule comparing a choice field with a value it cannot
//! take, states whose category contradicts their use (an `on_assign` state
//! that finishes the ticket, a `rejected` state that stays open, a timer
//! that reopens a finished ticket), empty or repeated labels and choices,
//! and an SLA response target longer than the resolution target. These are
//! errors. Roles that no operator holds are warnings: the configuration
//! works as soon as somebody is given the role.

use super::workflows::kind_name;
use super::{Checker, ids};
use crate::config::*;
use crate::domain::duration;
use std::collections::{BTreeSet, HashMap, HashSet};
use toml::Spanned;

/// The parsed files these checks read.
pub(super) struct Files<'a> {
    pub fields: &'a FieldsFile,
    pub types: &'a TypesFile,
    pub escalation: &'a EscalationFile,
    pub priority: &'a PriorityFile,
    pub rejections: &'a RejectionsFile,
    pub runbooks: &'a RunbooksFile,
    pub operators: &'a OperatorsFile,
    pub workflows: &'a WorkflowsFile,
    pub calendars: &'a CalendarsFile,
    pub sla: &'a SlaFile,
}

pub(super) fn check(c: &mut Checker, files: &Files) {
    labels(c, files);
    state_names(c, files.workflows);
    grade_names(c, files.priority);
    choices(c, files.fields);
    requires_held(c, files);
    rule_values(c, files);
    categories(c, files.workflows);
    sla_order(c, files.sla);
    roles_held(c, files);
}

/// Reports a label with an empty text: the interface would show nothing
/// where `what` is named (`key` is how the file calls the label).
fn label(c: &mut Checker, file: &str, span: Range, what: &str, key: &str, l: &Label) {
    let empty: Vec<&str> = [("es", &l.es), ("en", &l.en)]
        .into_iter()
        .filter(|(_, text)| text.trim().is_empty())
        .map(|(lang, _)| lang)
        .collect();
    if empty.is_empty() {
        return;
    }
    c.at(
        file,
        span,
        format!(
            "{what} has an empty {key} in {}, so operators would see nothing where it is named; write it in both languages, like {key} = {{ es = \"…\", en = \"…\" }}",
            empty.join(" and ")
        ),
    );
}

type Range = std::ops::Range<usize>;

fn labels(c: &mut Checker, files: &Files) {
    for f in &files.fields.fields {
        let what = format!("field '{}'", f.id.get_ref());
        label(c, "fields.toml", f.id.span(), &what, "label", &f.label);
    }
    for t in &files.types.types {
        let what = format!("ticket type '{}'", t.id.get_ref());
        label(c, "types.toml", t.id.span(), &what, "name", &t.name);
    }
    for l in &files.escalation.levels {
        let what = format!("level {}", l.n.get_ref());
        label(c, "escalation.toml", l.n.span(), &what, "name", &l.name);
    }
    let p = files.priority;
    for (kind, grades) in [
        ("priority", &p.priorities),
        ("impact", &p.impacts),
        ("urgency", &p.urgencies),
    ] {
        for g in grades {
            let what = format!("{kind} '{}'", g.id.get_ref());
            label(c, "priority.toml", g.id.span(), &what, "name", &g.name);
            if let Some(d) = &g.description {
                label(c, "priority.toml", g.id.span(), &what, "description", d);
            }
        }
    }
    for r in &p.rules {
        let what = format!("rule '{}'", r.id.get_ref());
        label(
            c,
            "priority.toml",
            r.id.span(),
            &what,
            "description",
            &r.description,
        );
    }
    for r in &files.rejections.reasons {
        let what = format!("rejection reason '{}'", r.code.get_ref());
        label(
            c,
            "rejections.toml",
            r.code.span(),
            &what,
            "label",
            &r.label,
        );
        if let Some(g) = &r.guidance {
            label(c, "rejections.toml", r.code.span(), &what, "guidance", g);
        }
    }
    for r in &files.runbooks.runbooks {
        let what = format!("runbook '{}'", r.id.get_ref());
        label(c, "runbooks.toml", r.id.span(), &what, "name", &r.name);
    }
    for r in &files.operators.roles {
        let what = format!("role '{}'", r.id.get_ref());
        label(c, "operators.toml", r.id.span(), &what, "name", &r.name);
    }
    for w in &files.workflows.workflows {
        let id = w.id.get_ref();
        label(
            c,
            "workflows.toml",
            w.id.span(),
            &format!("workflow '{id}'"),
            "name",
            &w.name,
        );
        for s in &w.states {
            let what = format!("state '{}' of workflow '{id}'", s.id.get_ref());
            label(c, "workflows.toml", s.id.span(), &what, "name", &s.name);
        }
        for a in &w.approvals {
            let what = format!("approval '{}' of workflow '{id}'", a.id.get_ref());
            label(c, "workflows.toml", a.id.span(), &what, "name", &a.name);
        }
    }
    for d in &files.calendars.calendars {
        let what = format!("calendar '{}'", d.id.get_ref());
        label(c, "calendars.toml", d.id.span(), &what, "name", &d.name);
    }
    for p in &files.sla.policies {
        let what = format!("SLA policy '{}'", p.id.get_ref());
        label(c, "sla.toml", p.id.span(), &what, "name", &p.name);
    }
}

/// Two states of one workflow with the same name in a language could not
/// be told apart where the state is shown (lists, `show`, the console).
fn state_names(c: &mut Checker, workflows: &WorkflowsFile) {
    for w in &workflows.workflows {
        for (lang, get) in [
            ("es", (|l: &Label| &l.es) as fn(&Label) -> &String),
            ("en", |l: &Label| &l.en),
        ] {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for s in &w.states {
                let name = get(&s.name).trim();
                if name.is_empty() {
                    continue;
                }
                let id = s.id.get_ref().as_str();
                match seen.insert(name.to_lowercase(), id) {
                    Some(first) if first != id => c.at(
                        "workflows.toml",
                        s.id.span(),
                        format!(
                            "states '{first}' and '{id}' of workflow '{}' are both named '{name}' ({lang}), so operators could not tell them apart; give each state its own name",
                            w.id.get_ref()
                        ),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// Operators give a priority, impact or urgency by its label as well as its
/// id (`--priority alta`), matched without case or accents: two grades of
/// one kind named alike in a language would make the label pick the first
/// silently.
fn grade_names(c: &mut Checker, p: &PriorityFile) {
    for (kind, grades) in [
        ("priority", &p.priorities),
        ("impact", &p.impacts),
        ("urgency", &p.urgencies),
    ] {
        for (lang, get) in [
            ("es", (|l: &Label| &l.es) as fn(&Label) -> &String),
            ("en", |l: &Label| &l.en),
        ] {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for g in grades {
                let name = get(&g.name).trim();
                if name.is_empty() {
                    continue;
                }
                let id = g.id.get_ref().as_str();
                match seen.insert(crate::config::folded(name), id) {
                    Some(first) if first != id => c.at(
                        "priority.toml",
                        g.id.span(),
                        format!(
                            "{kind} grades '{first}' and '{id}' are both named '{name}' ({lang}), so `{name}` typed by an operator would pick '{first}' alone; give each its own name"
                        ),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// `choices` belong to choice fields, each a value an operator can type,
/// once.
fn choices(c: &mut Checker, fields: &FieldsFile) {
    const F: &str = "fields.toml";
    for f in &fields.fields {
        let id = f.id.get_ref();
        if f.kind != FieldKind::Choice {
            if !f.choices.is_empty() {
                c.at(
                    F,
                    f.id.span(),
                    format!(
                        "field '{id}' lists `choices` but is a {} field, so they would be neither offered nor checked; remove them, or make it kind = \"choice\"",
                        kind_name(f.kind)
                    ),
                );
            }
            continue;
        }
        let mut seen = HashSet::new();
        for choice in &f.choices {
            if choice.trim().is_empty() {
                c.at(
                    F,
                    f.id.span(),
                    format!(
                        "choice field '{id}' lists an empty choice; remove it (a choice is a value an operator types)"
                    ),
                );
            } else if !seen.insert(choice.as_str()) {
                c.at(
                    F,
                    f.id.span(),
                    format!(
                        "choice field '{id}' lists the choice '{}' twice; remove one",
                        crate::text::sanitize_line(choice)
                    ),
                );
            }
        }
    }
}

/// A transition (or its threshold) that requires a catalogue field which a
/// ticket type of its workflow does not hold could never be taken by those
/// tickets: `guardia set` refuses the field on them.
fn requires_held(c: &mut Checker, files: &Files) {
    let catalogue = ids(&files.fields.fields, |f| &f.id);
    for w in &files.workflows.workflows {
        let users: Vec<&TicketType> = files
            .types
            .types
            .iter()
            .filter(|t| t.workflow.get_ref() == w.id.get_ref())
            .collect();
        for t in &w.transitions {
            let required = t
                .requires
                .iter()
                .chain(t.threshold.iter().flat_map(|th| th.requires.iter()));
            for f in required {
                // Unknown fields are reported already; built-in attributes
                // belong to every ticket.
                if !catalogue.contains(f.get_ref()) {
                    continue;
                }
                let lacking: Vec<&str> = users
                    .iter()
                    .filter(|ty| {
                        !ty.mandatory
                            .iter()
                            .chain(&ty.optional)
                            .any(|held| held.get_ref() == f.get_ref())
                    })
                    .map(|ty| ty.id.get_ref().as_str())
                    .collect();
                if lacking.is_empty() {
                    continue;
                }
                let (types, them) = if lacking.len() == 1 {
                    (format!("type '{}'", lacking[0]), "that type")
                } else {
                    (format!("types '{}'", lacking.join("', '")), "those types")
                };
                c.at(
                    "workflows.toml",
                    f.span(),
                    format!(
                        "the transition to '{to}' of workflow '{wf}' requires the field '{f}', which tickets of {types} do not hold (types.toml lists it in neither their mandatory nor their optional fields), so they could never take it; add \"{f}\" to the optional fields of {them}, or remove it from `requires`",
                        to = t.to.get_ref(),
                        wf = w.id.get_ref(),
                        f = f.get_ref()
                    ),
                );
            }
        }
    }
}

/// A rule comparing a choice field with a value that is not one of its
/// choices never matches that value (a renamed choice, a typo).
fn rule_values(c: &mut Checker, files: &Files) {
    for r in &files.priority.rules {
        let Some(field) = &r.field else { continue };
        let Some(def) = files
            .fields
            .fields
            .iter()
            .find(|f| f.id.get_ref() == field.get_ref() && f.kind == FieldKind::Choice)
        else {
            continue;
        };
        let wrong: Vec<String> = r
            .values
            .iter()
            .filter(|v| !def.choices.contains(v))
            .map(|v| format!("'{}'", crate::text::sanitize_line(v)))
            .collect();
        if wrong.is_empty() {
            continue;
        }
        c.at(
            "priority.toml",
            field.span(),
            format!(
                "rule '{}' compares the choice field '{}' with {}, which {} not among its choices ({}), so the rule never matches {}; write the values as fields.toml lists them",
                r.id.get_ref(),
                field.get_ref(),
                wrong.join(", "),
                if wrong.len() == 1 { "is" } else { "are" },
                def.choices.join(", "),
                if wrong.len() == 1 { "it" } else { "them" },
            ),
        );
    }
}

/// A state's category says what it means: `on_assign` starts the work, so
/// it cannot be finished; a rejected ticket is done, so its state cannot be
/// open; a timer moves tickets along, never back out of a closed or
/// cancelled state.
fn categories(c: &mut Checker, workflows: &WorkflowsFile) {
    const F: &str = "workflows.toml";
    for w in &workflows.workflows {
        let category = |id: &str| {
            w.states
                .iter()
                .find(|s| s.id.get_ref() == id)
                .map(|s| s.category)
        };
        let wf = w.id.get_ref();
        if let Some(a) = &w.on_assign
            && let Some(cat) = category(a.get_ref())
            && cat.is_done()
        {
            c.at(
                F,
                a.span(),
                format!(
                    "the on_assign state '{}' of workflow '{wf}' is of category '{}': assigning a ticket would finish it before anyone worked on it; name a state of category active (or new, waiting)",
                    a.get_ref(),
                    cat.name()
                ),
            );
        }
        if let Some(r) = &w.rejected
            && let Some(cat) = category(r.get_ref())
            && cat.is_open()
        {
            c.at(
                F,
                r.span(),
                format!(
                    "the rejected state '{}' of workflow '{wf}' is of category '{}', so rejected tickets would stay open (in `list --open` and the console's queue); give that state category = \"cancelled\" (or \"closed\")",
                    r.get_ref(),
                    cat.name()
                ),
            );
        }
        for t in &w.timers {
            if let (Some(from), Some(to)) = (category(t.state.get_ref()), category(t.to.get_ref()))
                && !from.is_open()
                && to.is_open()
            {
                c.at(
                    F,
                    t.state.span(),
                    format!(
                        "a timer moves tickets from '{}', a {} state, to '{}', of category '{}': it would reopen finished tickets on its own; a timer may only move tickets out of states that are still open (new, active, waiting, resolved), so change its `in` or remove it",
                        t.state.get_ref(),
                        from.name(),
                        t.to.get_ref(),
                        to.name()
                    ),
                );
            }
        }
    }
}

/// The response is due before the resolution: a longer response target
/// says the policy was written the wrong way round.
fn sla_order(c: &mut Checker, sla: &SlaFile) {
    for p in &sla.policies {
        for (prio, t) in p.targets.get_ref() {
            let (r, res) = (t.response.get_ref(), t.resolution.get_ref());
            // A target that does not read is reported already.
            if duration::lacks_unit(r) || duration::lacks_unit(res) {
                continue;
            }
            let (Ok(rm), Ok(resm)) = (duration::parse(r), duration::parse(res)) else {
                continue;
            };
            if rm > resm {
                c.at(
                    "sla.toml",
                    t.response.span(),
                    format!(
                        "policy '{}', priority '{prio}': the response target '{r}' is longer than the resolution target '{res}', but a ticket is answered before it is resolved; make the response target shorter than the resolution target (or swap them)",
                        p.id.get_ref()
                    ),
                );
            }
        }
    }
}

/// Warnings for roles that are defined but held by no operator, where they
/// are needed: nobody (or only the other roles listed) can take the
/// transition, give the approval or work the level.
fn roles_held(c: &mut Checker, files: &Files) {
    const W: &str = "workflows.toml";
    let ops = files.operators;
    let defined = ids(&ops.roles, |r| &r.id);
    let held: BTreeSet<&str> = ops
        .operators
        .iter()
        .flat_map(|o| o.roles.iter().map(|r| r.get_ref().as_str()))
        .collect();
    let unheld =
        |r: &Spanned<String>| defined.contains(r.get_ref()) && !held.contains(r.get_ref().as_str());
    let fix = "give the role to an operator in operators.toml (their `roles`), or remove it here";
    // What happens without the role: nothing, or only the others can.
    let outcome = |all: &[Spanned<String>], nobody: &str| {
        let others: Vec<&str> = all
            .iter()
            .map(|r| r.get_ref().as_str())
            .filter(|r| held.contains(r))
            .collect();
        if others.is_empty() {
            nobody.to_string()
        } else {
            format!("only holders of {} can", others.join(", "))
        }
    };
    for w in &files.workflows.workflows {
        let wf = w.id.get_ref();
        for t in &w.transitions {
            for r in t.roles.iter().filter(|r| unheld(r)) {
                let outcome = outcome(&t.roles, "so nobody can take it");
                c.warn_at(
                    W,
                    r.span(),
                    format!(
                        "role '{}' may take the transition to '{}' of workflow '{wf}', but no operator holds it ({outcome}); {fix}",
                        r.get_ref(),
                        t.to.get_ref()
                    ),
                );
            }
        }
        for a in &w.approvals {
            for r in a.roles.iter().filter(|r| unheld(r)) {
                let outcome = outcome(&a.roles, "so nobody can give it");
                let used = approval_uses(w, a.id.get_ref());
                c.warn_at(
                    W,
                    r.span(),
                    format!(
                        "role '{}' may give the approval '{}' of workflow '{wf}'{used}, but no operator holds it ({outcome}); {fix}",
                        r.get_ref(),
                        a.id.get_ref()
                    ),
                );
            }
        }
    }
    for l in &files.escalation.levels {
        if unheld(&l.role) {
            c.warn_at(
                "escalation.toml",
                l.role.span(),
                format!(
                    "role '{}' works escalation level {n}, but no operator holds it, so tickets escalated to level {n} reach nobody; give the role to an operator in operators.toml (their `roles` and `level`), or name another role here",
                    l.role.get_ref(),
                    n = l.n.get_ref()
                ),
            );
        }
    }
}

/// Where an approval is asked for, for the warning about who can give it:
/// ` (asked for by a cutoff exception, a threshold)`.
fn approval_uses(w: &Workflow, id: &str) -> String {
    let mut uses = BTreeSet::new();
    for t in &w.transitions {
        if t.approval.as_ref().is_some_and(|a| a.get_ref() == id) {
            uses.insert("a transition's approval");
        }
        if t.cutoff
            .as_ref()
            .is_some_and(|cut| cut.exception.get_ref() == id)
        {
            uses.insert("a cutoff's exception");
        }
        if t.threshold
            .as_ref()
            .is_some_and(|th| th.approval.get_ref() == id)
        {
            uses.insert("a threshold");
        }
    }
    if uses.is_empty() {
        String::new()
    } else {
        format!(
            " (asked for by {})",
            uses.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}
