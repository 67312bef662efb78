//! Functional escalation: the gate that refuses to pass a ticket to level N
//! while that level's dossier (seed 000 §13) is incomplete, and the dossier
//! itself, rendered as Markdown or JSON for an e-mail. Skipping levels
//! requires the dossiers of every level skipped, so nothing is bypassed.

use crate::config::{Config, Contact, DossierRequirement, Lang};
use crate::domain::ticket::TicketDetail;
use crate::text::{sanitize_block, sanitize_line};
use serde::Serialize;

/// The pseudo-field that completed level-1 runbooks satisfy.
pub const LEVEL1_CHECKS: &str = "level1_checks";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DossierItem {
    pub field: String,
    pub label: String,
    pub value: Option<String>,
    /// Which level asks for it.
    pub level: u8,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvidenceLine {
    pub runbook: String,
    pub item: String,
    pub checked: bool,
    pub evidence: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dossier {
    pub key: String,
    pub title: String,
    pub service: String,
    pub priority: String,
    pub from_level: u8,
    pub to_level: u8,
    pub to_level_name: String,
    pub group: String,
    pub contacts: Vec<Contact>,
    pub description: String,
    pub items: Vec<DossierItem>,
    /// Levels whose dossier is "not applicable", with the configured note.
    pub not_applicable: Vec<(u8, String)>,
    pub evidence: Vec<EvidenceLine>,
    pub missing: Vec<String>,
}

/// Why an escalation cannot happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscalationRefusal {
    #[error("level {level} does not exist; the matrix has levels 1 to {max}")]
    UnknownLevel { level: u8, max: u8 },
    #[error("{}", not_higher(*current, *max))]
    NotHigher { current: u8, max: u8 },
    #[error("escalating to level {level} needs {}; {}", needed(*level, missing, &gaps.by_level), how_to_fill(key, settable, runbooks, &gaps.running))]
    Incomplete {
        key: String,
        level: u8,
        missing: Vec<String>,
        /// The missing fields the ticket's type holds (`guardia set` fills them).
        settable: Vec<String>,
        /// Level-1 runbooks of the ticket's service not running on it:
        /// completing one shows the level-1 checks, also on a type without
        /// a `level1_checks` field.
        runbooks: Vec<String>,
        /// Which level asks for what, and the runbooks already running.
        gaps: Box<DossierGaps>,
    },
    #[error("the ticket is {state}; only open tickets escalate (reopen it first)")]
    NotOpen { state: String },
}

/// What an incomplete dossier lacks, beyond the field names: the level
/// asking for each, and the level-1 runbooks already running on the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierGaps {
    /// The missing fields by the level whose dossier asks for them, in
    /// level order: skipping to level 3 may miss level 2's fields only.
    pub by_level: Vec<(u8, Vec<String>)>,
    /// Level-1 runbooks running on the ticket, with the items still to
    /// tick: ticking them shows the checks (running such a runbook again
    /// is refused).
    pub running: Vec<RunningRunbook>,
}

/// A level-1 runbook running on a ticket, with the items not ticked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningRunbook {
    pub runbook: String,
    pub unticked: Vec<String>,
}

/// The missing fields, named by the level that asks for them when that is
/// not the level escalated to (its own dossier may be "not applicable").
fn needed(level: u8, missing: &[String], by_level: &[(u8, Vec<String>)]) -> String {
    match by_level {
        [(only, _)] if *only == level => format!("the dossier fields {}", missing.join(", ")),
        [] => format!("the dossier fields {}", missing.join(", ")),
        groups => {
            let parts: Vec<String> = groups
                .iter()
                .map(|(l, fields)| format!("of level {l}: {}", fields.join(", ")))
                .collect();
            format!(
                "the dossier fields {} (a level passed on the way needs its dossier too)",
                parts.join("; ")
            )
        }
    }
}

/// What fills the missing dossier fields: `set` for those the ticket's type
/// holds, a level-1 runbook for the checks (the only way on a type without
/// the field): ticking the rest of one already running, else starting one.
fn how_to_fill(
    key: &str,
    settable: &[String],
    runbooks: &[String],
    running: &[RunningRunbook],
) -> String {
    let mut ways = Vec::new();
    if let Some(first) = settable.first() {
        ways.push(format!("fill them with `guardia set {key} {first}=...`"));
    }
    let show = |ways: &Vec<String>| if ways.is_empty() { "show" } else { "or show" };
    if let Some(run) = running.iter().find(|r| !r.unticked.is_empty()) {
        let first = &run.unticked[0];
        ways.push(format!(
            "{} the level-1 checks by ticking the items of runbook '{}' not ticked yet: {} (`guardia runbook tick {key} {first} --evidence TEXT`)",
            show(&ways),
            run.runbook,
            run.unticked.join(", ")
        ));
    } else if let Some(rb) = runbooks.first() {
        ways.push(format!(
            "{} the level-1 checks by completing a level-1 runbook (`guardia runbook run {rb} {key}`, then tick its items with their evidence)",
            show(&ways)
        ));
    }
    if ways.is_empty() {
        "they are not fields of this ticket's type; add them to its type in types.toml".into()
    } else {
        ways.join("; ")
    }
}

/// A ticket at the top of the matrix has nowhere higher to go; saying
/// "escalate to a higher level" there would send the operator looking.
fn not_higher(current: u8, max: u8) -> String {
    if current >= max {
        format!(
            "the ticket is already at level {current}, the highest in the escalation matrix; there is no level above it"
        )
    } else {
        format!(
            "the ticket is already at level {current}; escalate to a higher level ({} to {max})",
            current + 1
        )
    }
}

/// The escalation a dossier is written for: `to` levels above the ticket's,
/// or the next level when none is named. Refused like the escalation
/// itself would be when there is no such level or it is not higher.
pub fn dossier_level(cfg: &Config, current: u8, to: Option<u8>) -> Result<u8, EscalationRefusal> {
    let max = cfg.max_level();
    let to = to.unwrap_or(current.saturating_add(1));
    if to == 0 || (to > max && to != current.saturating_add(1)) {
        return Err(EscalationRefusal::UnknownLevel { level: to, max });
    }
    if to <= current || to > max {
        return Err(EscalationRefusal::NotHigher { current, max });
    }
    Ok(to)
}

/// True when a runbook counting as level-1 checks is complete on the ticket.
pub fn level1_checks_done(cfg: &Config, detail: &TicketDetail) -> bool {
    detail.runbooks.iter().any(|run| {
        cfg.runbook(&run.runbook).is_some_and(|rb| {
            rb.level1_checks
                && rb.items.iter().all(|item| {
                    run.ticks
                        .iter()
                        .any(|t| &t.item == item.id.get_ref() && t.checked)
                })
        })
    })
}

/// Whether a dossier field applies to a ticket: built-in attributes always;
/// catalogue fields only when the ticket's type has them, since a field the
/// type cannot hold could never be filled. Level-1 checks also apply when a
/// level-1 runbook covers the ticket's service (its evidence fills them).
fn applies(cfg: &Config, detail: &TicketDetail, field: &str) -> bool {
    let t = &detail.ticket;
    if crate::config::CORE_FIELDS.contains(&field) {
        return true;
    }
    cfg.type_holds(&t.ticket_type, field)
        || (field == LEVEL1_CHECKS && level1_runbooks(cfg, &t.service).next().is_some())
}

/// The runbooks whose completion counts as level-1 checks on tickets of
/// `service`.
fn level1_runbooks<'a>(
    cfg: &'a Config,
    service: &'a str,
) -> impl Iterator<Item = &'a crate::config::Runbook> {
    cfg.runbooks.iter().filter(move |rb| {
        rb.level1_checks
            && (rb.services.is_empty() || rb.services.iter().any(|s| s.get_ref() == service))
    })
}

/// Builds the dossier for escalating `detail` to `to_level`.
pub fn build(cfg: &Config, detail: &TicketDetail, to_level: u8, lang: Lang) -> Dossier {
    let t = &detail.ticket;
    let checks_done = level1_checks_done(cfg, detail);
    let mut items: Vec<DossierItem> = Vec::new();
    let mut not_applicable = Vec::new();
    for level in (t.level + 1)..=to_level {
        match cfg.dossier_requirement(&t.service, level) {
            DossierRequirement::NotApplicable(note) => {
                not_applicable.push((level, note.unwrap_or_else(|| "No aplica".into())))
            }
            DossierRequirement::Fields(fields) => {
                for f in fields {
                    if items.iter().any(|i| i.field == f) || !applies(cfg, detail, &f) {
                        continue;
                    }
                    let label = cfg
                        .field(&f)
                        .map_or_else(|| f.clone(), |d| d.label.get(lang).to_string());
                    let mut value = if crate::config::CORE_FIELDS.contains(&f.as_str()) {
                        t.core_value(&f)
                    } else {
                        crate::domain::ticket::answer_text(&t.fields, &f)
                    };
                    if value.is_none() && f == LEVEL1_CHECKS && checks_done {
                        value = Some(match lang {
                            Lang::Es => "Runbook de nivel 1 completo (ver evidencias)".into(),
                            Lang::En => "Level-1 runbook completed (see evidence)".into(),
                        });
                    }
                    items.push(DossierItem {
                        field: f,
                        label,
                        value,
                        level,
                    });
                }
            }
        }
    }
    let missing = items
        .iter()
        .filter(|i| i.value.is_none())
        .map(|i| i.field.clone())
        .collect();
    let mut evidence = Vec::new();
    for run in &detail.runbooks {
        let Some(rb) = cfg.runbook(&run.runbook) else {
            continue;
        };
        // Evidence of checks done, in the runbook's own order (an item no
        // longer in the runbook last): an unticked item proves nothing.
        let position = |item: &str| {
            rb.items
                .iter()
                .position(|i| i.id.get_ref() == item)
                .unwrap_or(usize::MAX)
        };
        let mut ticks: Vec<_> = run.ticks.iter().filter(|t| t.checked).collect();
        ticks.sort_by_key(|t| position(&t.item));
        for tick in ticks {
            let item_text = rb
                .items
                .iter()
                .find(|i| i.id.get_ref() == &tick.item)
                .map_or_else(|| tick.item.clone(), |i| i.text.clone());
            evidence.push(EvidenceLine {
                runbook: rb.name.get(lang).to_string(),
                item: item_text,
                checked: tick.checked,
                evidence: tick.evidence.clone(),
                by: tick.by.clone(),
                at: tick.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
        }
    }
    let level = cfg.level(to_level);
    Dossier {
        key: t.key.clone(),
        title: t.title.clone(),
        service: cfg
            .service(&t.service)
            .map_or_else(|| t.service.clone(), |s| s.name.clone()),
        priority: crate::config::Config::grade_label(&cfg.priority.priorities, &t.priority, lang)
            .to_string(),
        from_level: t.level,
        to_level,
        to_level_name: level.map_or_else(String::new, |l| l.name.get(lang).to_string()),
        group: level.map_or_else(String::new, |l| l.group.clone()),
        contacts: level.map_or_else(Vec::new, |l| l.contacts.clone()),
        description: t.description.clone(),
        items,
        not_applicable,
        evidence,
        missing,
    }
}

/// Checks that `detail` may escalate functionally to `to_level`.
pub fn check(cfg: &Config, detail: &TicketDetail, to_level: u8) -> Result<(), EscalationRefusal> {
    if let Some(wf) = cfg.workflow_for_type(&detail.ticket.ticket_type) {
        let category = crate::domain::lifecycle::category(wf, &detail.ticket.status);
        if category.is_done() {
            return Err(EscalationRefusal::NotOpen {
                state: detail.ticket.status.clone(),
            });
        }
    }
    let max = cfg.max_level();
    if to_level == 0 || to_level > max {
        return Err(EscalationRefusal::UnknownLevel {
            level: to_level,
            max,
        });
    }
    if to_level <= detail.ticket.level {
        return Err(EscalationRefusal::NotHigher {
            current: detail.ticket.level,
            max,
        });
    }
    let d = build(cfg, detail, to_level, Lang::En);
    if d.missing.is_empty() {
        Ok(())
    } else {
        let t = &detail.ticket;
        let in_type =
            |f: &str| crate::config::CORE_FIELDS.contains(&f) || cfg.type_holds(&t.ticket_type, f);
        let settable = d.missing.iter().filter(|f| in_type(f)).cloned().collect();
        let mut by_level: Vec<(u8, Vec<String>)> = Vec::new();
        for item in d.items.iter().filter(|i| i.value.is_none()) {
            match by_level.iter_mut().find(|(l, _)| *l == item.level) {
                Some((_, fields)) => fields.push(item.field.clone()),
                None => by_level.push((item.level, vec![item.field.clone()])),
            }
        }
        by_level.sort_by_key(|(l, _)| *l);
        let (mut runbooks, mut running) = (Vec::new(), Vec::new());
        if d.missing.iter().any(|f| f == LEVEL1_CHECKS) {
            for rb in level1_runbooks(cfg, &t.service) {
                let id = rb.id.get_ref();
                let unticked_in = |run: &crate::domain::ticket::RunbookRun| -> Vec<String> {
                    rb.items
                        .iter()
                        .map(|i| i.id.get_ref())
                        .filter(|i| !run.ticks.iter().any(|tk| &tk.item == *i && tk.checked))
                        .cloned()
                        .collect()
                };
                let open = detail
                    .runbooks
                    .iter()
                    .filter(|run| &run.runbook == id)
                    .map(unticked_in)
                    .find(|unticked| !unticked.is_empty());
                match open {
                    Some(unticked) => running.push(RunningRunbook {
                        runbook: id.clone(),
                        unticked,
                    }),
                    None => runbooks.push(id.clone()),
                }
            }
        }
        Err(EscalationRefusal::Incomplete {
            key: t.key.clone(),
            level: to_level,
            missing: d.missing,
            settable,
            runbooks,
            gaps: Box::new(DossierGaps { by_level, running }),
        })
    }
}

/// The dossier as Markdown, ready to paste into an e-mail. Ticket text is
/// sanitized, so nothing a reporter wrote can act on the reader's terminal.
pub fn render_markdown(d: &Dossier, lang: Lang) -> String {
    let es = lang == Lang::Es;
    let mut out = String::new();
    let line = |s: &str| md_text(&sanitize_line(s));
    out.push_str(&format!(
        "# {} {} — {}\n\n",
        if es { "Escalamiento" } else { "Escalation" },
        line(&d.key),
        line(&d.title)
    ));
    out.push_str(&format!(
        "- **{}:** {}\n- **{}:** {}\n- **{}:** {} → {} ({})\n- **{}:** {}\n",
        if es { "Servicio" } else { "Service" },
        line(&d.service),
        if es { "Prioridad" } else { "Priority" },
        line(&d.priority),
        if es { "Nivel" } else { "Level" },
        d.from_level,
        d.to_level,
        line(&d.to_level_name),
        if es { "Grupo" } else { "Group" },
        line(&d.group)
    ));
    for c in &d.contacts {
        let parts: Vec<String> = [&c.name, &c.phone, &c.email, &c.hours]
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| line(p))
            .collect();
        out.push_str(&format!(
            "- **{}:** {}\n",
            if es { "Contacto" } else { "Contact" },
            parts.join(" · ")
        ));
    }
    // Quoted, so a reporter's text cannot pose as a section of the dossier.
    out.push_str(&format!(
        "\n## {}\n\n{}\n",
        if es { "Descripción" } else { "Description" },
        quote(&md_text(&sanitize_block(&d.description)))
    ));
    out.push_str(&format!(
        "\n## {}\n\n",
        if es {
            "Documentación requerida"
        } else {
            "Required documentation"
        }
    ));
    if d.items.is_empty() && d.not_applicable.is_empty() {
        out.push_str(if es {
            "- Ninguna para este nivel.\n"
        } else {
            "- None for this level.\n"
        });
    }
    for (level, note) in &d.not_applicable {
        out.push_str(&format!(
            "- {} {level}: {}\n",
            if es { "Nivel" } else { "Level" },
            line(note)
        ));
    }
    for item in &d.items {
        match &item.value {
            Some(v) if v.contains('\n') => out.push_str(&format!(
                "- **{}:**\n\n{}\n\n",
                line(&item.label),
                indent(&quote(&md_text(&sanitize_block(v))))
            )),
            Some(v) => out.push_str(&format!("- **{}:** {}\n", line(&item.label), line(v))),
            None => out.push_str(&format!(
                "- **{}:** _{}_\n",
                line(&item.label),
                if es { "FALTA" } else { "MISSING" }
            )),
        }
    }
    if !d.evidence.is_empty() {
        out.push_str(&format!(
            "\n## {}\n\n",
            if es {
                "Evidencia de verificaciones (runbooks)"
            } else {
                "Evidence of checks (runbooks)"
            }
        ));
        for e in &d.evidence {
            out.push_str(&format!(
                "- [{}] {} — {}: {} ({}, {})\n",
                if e.checked { "x" } else { " " },
                line(&e.runbook),
                line(&e.item),
                line(&e.evidence),
                line(&e.by),
                line(&e.at)
            ));
        }
    }
    if !d.missing.is_empty() {
        out.push_str(&format!(
            "\n> {}: {}\n",
            if es {
                "Incompleto, faltan"
            } else {
                "Incomplete, missing"
            },
            d.missing.join(", ")
        ));
    }
    out
}

/// Text as Markdown shows it literally: pasted into a mail or a wiki that
/// renders Markdown, a reporter's `<img …>` or `[link](…)` must stay text.
/// Only what makes HTML, links and images is escaped, so the dossier still
/// reads well as plain text.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '<' | '>' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn quote(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dossier_is_for_a_level_above_the_ticket() {
        let cfg = Config::builtin().expect("built-in configuration");
        let max = cfg.max_level();
        assert_eq!(max, 5);
        assert_eq!(dossier_level(&cfg, 1, None), Ok(2));
        assert_eq!(dossier_level(&cfg, 1, Some(4)), Ok(4));
        assert_eq!(
            dossier_level(&cfg, 2, Some(2)),
            Err(EscalationRefusal::NotHigher { current: 2, max })
        );
        assert_eq!(
            dossier_level(&cfg, 3, Some(9)),
            Err(EscalationRefusal::UnknownLevel { level: 9, max })
        );
        // At the top there is no next level to write for.
        let top = dossier_level(&cfg, 5, None).expect_err("nothing above 5");
        assert!(top.to_string().contains("the highest"), "{top}");
    }
}
