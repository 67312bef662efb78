//! The detail pane: a badge for each sync conflict, every field of the
//! ticket's type, description, links, attachments, runbook progress,
//! escalations, comments, worklog and the timeline of its operations,
//! scrolled as one document.

use super::{age, block, priority_label};
use crate::config::{Config, Lang};
use crate::domain::duration::format_minutes;
use crate::text::{sanitize_line, truncate_to_width};
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(f: &mut Frame, c: &Console, area: Rect, now: DateTime<Utc>, focused: bool) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let title = match (&c.detail.key, &c.detail.detail) {
        (Some(k), Some(d)) if &d.ticket.key == k && !c.detail.conflicts.is_empty() => {
            format!(" {} · {k} · ⚠ {} ", t.detail, t.conflict)
        }
        (Some(k), Some(d)) if &d.ticket.key == k => format!(" {} · {k} ", t.detail),
        (Some(k), _) => format!(" {} · {k} · {} ", t.detail, t.loading),
        _ => format!(" {} ", t.detail),
    };
    let b = block(
        c,
        truncate_to_width(&title, usize::from(area.width.saturating_sub(2))),
        focused,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(d) = &c.detail.detail else {
        let msg = if c.detail.loading {
            t.loading
        } else {
            t.no_ticket_selected
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, th.dim)).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    };
    let width = usize::from(inner.width);
    let lines: Vec<Line> = lines(c, d, &c.detail.log, now)
        .into_iter()
        .flat_map(|l| super::wrap::wrap(l, width))
        .collect();
    // Never past the last screenful: a window grown since the scroll would
    // otherwise show the end over blank rows until the next key.
    let scroll = c
        .detail
        .scroll
        .min(lines.len().saturating_sub(usize::from(inner.height)));
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(usize::from(inner.height))
        .collect();
    f.render_widget(Paragraph::new(visible), inner);
}

fn heading(c: &Console, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), c.theme.header))
}

fn field(c: &Console, label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label}: "), c.theme.dim),
        Span::raw(value),
    ])
}

/// The state as `guardia show` says it: by the name the ticket's workflow
/// gives it, with the id after it (`Registrado (new)`); the id alone when
/// the workflow names it so or no longer has it.
fn state_words(c: &Console, tk: &crate::domain::ticket::Ticket) -> String {
    let name = crate::tui::i18n::state_label(&c.config, c.lang, &tk.ticket_type, &tk.status);
    if name == tk.status {
        name
    } else {
        format!("{name} ({})", tk.status)
    }
}

/// Why the priority is not what impact × urgency give, under the priority
/// line: the justification of a manual priority (`↳ manual: …`), or the
/// priority rules that raised it (`↳ raised by: integracion-critica`), as
/// `guardia show` says it. `None` when the matrix alone gave it.
fn priority_reason(c: &Console, tk: &crate::domain::ticket::Ticket) -> Option<Line<'static>> {
    let (label, text) = match &tk.priority_justification {
        // "manual" in both languages, as `guardia show` says it.
        Some(j) => ("manual", j.clone()),
        None => {
            let cfg = &c.config;
            let decision = crate::domain::priority::compute(
                cfg,
                cfg.service(&tk.service),
                &tk.impact,
                &tk.urgency,
                &tk.fields,
            );
            if decision.raised_by.is_empty() || decision.priority != tk.priority {
                return None;
            }
            let label = match c.lang {
                Lang::Es => "subida por",
                Lang::En => "raised by",
            };
            // Each rule by its id (what `guardia show` names) and what it
            // means, from priority.toml.
            let rules: Vec<String> = decision
                .raised_by
                .iter()
                .map(
                    |id| match cfg.priority.rules.iter().find(|r| r.id.get_ref() == id) {
                        Some(r) => format!("{id} ({})", r.description.get(c.lang)),
                        None => id.clone(),
                    },
                )
                .collect();
            (label, rules.join("; "))
        }
    };
    Some(field(c, &format!("  ↳ {label}"), sanitize_line(&text)))
}

fn label_of(cfg: &Config, lang: Lang, id: &str) -> String {
    cfg.field(id)
        .map_or_else(|| id.to_string(), |f| f.label.get(lang).to_string())
}

/// A time as stored, in UTC, said so (as `guardia show` says it): the
/// console may run on a computer in another zone than the site's.
pub(super) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn lines(
    c: &Console,
    d: &crate::domain::ticket::TicketDetail,
    log: &[crate::store::ops::Op],
    now: DateTime<Utc>,
) -> Vec<Line<'static>> {
    let t = catalogue(c.lang);
    let cfg = &c.config;
    let lang = c.lang;
    let tk = &d.ticket;
    let th = &c.theme;
    let mut out: Vec<Line<'static>> = Vec::new();
    out.push(Line::from(Span::styled(tk.title.clone(), th.title)));
    let extras = &c.detail.extras;
    // A major incident says so at once, with how many reports hang on it.
    if let Some(open) = extras.children_open {
        out.push(Line::from(Span::styled(
            format!(
                "{} · {} · {}",
                t.major_detail,
                t.reports_attached.of(extras.linked.len() as i64),
                t.reports_open.of(open as i64)
            ),
            th.banner,
        )));
    }
    // Conflicts first: they are what the operator must act on.
    out.extend(conflict_lines(c, &c.detail.conflicts));
    // A field in conflict says so where its value is shown too.
    let flag = |line: Line<'static>, field: &str| -> Line<'static> {
        if c.detail.conflicts.iter().any(|k| k.field == field) {
            let mut line = line;
            line.spans.push(Span::styled(" ⚠", th.warn));
            line
        } else {
            line
        }
    };
    let type_name = cfg.ticket_type(&tk.ticket_type).map_or_else(
        || tk.ticket_type.clone(),
        |ty| ty.name.get(lang).to_string(),
    );
    let service = cfg
        .service(&tk.service)
        .map_or_else(|| tk.service.clone(), |s| s.name.clone());
    let (prio, prio_style) = priority_label(c, &tk.priority);
    out.push(field(c, t.f_type, type_name));
    out.push(field(c, t.f_service, service));
    out.push(flag(field(c, t.f_status, state_words(c, tk)), "status"));
    out.push(flag(
        Line::from(vec![
            Span::styled(format!("{}: ", t.f_priority), th.dim),
            Span::styled(prio, prio_style),
            Span::raw(format!(
                " {} ({} {} × {} {})",
                Config::grade_label(&cfg.priority.priorities, &tk.priority, lang),
                t.impact,
                Config::grade_label(&cfg.priority.impacts, &tk.impact, lang),
                t.urgency,
                Config::grade_label(&cfg.priority.urgencies, &tk.urgency, lang),
            )),
        ]),
        "priority",
    ));
    if let Some(why) = priority_reason(c, tk) {
        out.push(why);
    }
    out.push(field(c, t.f_level, tk.level.to_string()));
    out.push(flag(
        field(
            c,
            t.f_assignee,
            tk.assignee
                .clone()
                .unwrap_or_else(|| t.unassigned.to_string()),
        ),
        "assignee",
    ));
    out.push(field(
        c,
        t.f_created,
        format!(
            "{} {} ({})",
            time(tk.created_at),
            tk.created_by,
            age(now, tk.created_at)
        ),
    ));
    out.push(field(c, t.f_updated, time(tk.updated_at)));
    // A rejection is current only in the rejected state: one a sync
    // conflict settled away stays in the log, not here.
    if let Some(r) = tk
        .reject_reason
        .as_ref()
        .filter(|_| crate::domain::lifecycle::is_rejected(cfg, tk))
    {
        // The reason as the rejection rules name it, with its code (what
        // `guardia reject --reason` and the reports use).
        let label = crate::tui::i18n::reason_label(cfg, lang, r);
        let shown = if label == *r {
            label
        } else {
            format!("{label} ({r})")
        };
        out.push(field(c, t.f_reject, shown));
    }
    out.push(Line::default());
    // A known error's description is its symptom.
    let known_error = cfg.record_of(&tk.ticket_type) == crate::config::RecordKind::KnownError;
    out.push(heading(
        c,
        if known_error {
            t.symptom
        } else {
            t.description
        },
    ));
    out.extend(tk.description.lines().map(|l| Line::from(format!("  {l}"))));
    out.extend(known_lines(c, &extras.known));
    out.extend(solved_lines(c, &extras.solved));
    // Every field of the type, set or not, so gaps are visible.
    if let Some(tt) = cfg.ticket_type(&tk.ticket_type) {
        out.push(Line::default());
        out.push(heading(c, t.fields));
        for id in tt.mandatory.iter().chain(&tt.optional) {
            let id = id.get_ref();
            let value = tk.field_text(id);
            let mandatory = tt.mandatory.iter().any(|m| m.get_ref() == id);
            let shown = value.clone().unwrap_or_else(|| t.none.to_string());
            let mut spans = vec![
                Span::styled(
                    format!(
                        "{}{}: ",
                        label_of(cfg, lang, id),
                        if mandatory { " *" } else { "" }
                    ),
                    th.dim,
                ),
                Span::styled(
                    sanitize_line(&shown),
                    if value.is_none() && mandatory {
                        th.missing
                    } else {
                        th.base
                    },
                ),
            ];
            if value.is_none() && mandatory {
                spans.push(Span::styled(" !", th.missing));
            }
            out.push(Line::from(spans));
        }
    }
    let duplicate_of = tk
        .duplicate_of
        .as_ref()
        .filter(|_| crate::domain::lifecycle::is_rejected(cfg, tk));
    if !d.links.is_empty() || duplicate_of.is_some() {
        out.push(Line::default());
        out.push(heading(c, t.links));
        if let Some(dup) = duplicate_of {
            out.push(Line::from(format!("  {}: {dup}", t.f_duplicate_of)));
        }
        for l in &d.links {
            out.push(Line::from(format!("  {} → {}", l.kind, l.target)));
        }
    }
    if !extras.linked.is_empty() {
        out.push(Line::default());
        let title = if extras.children_open.is_some() {
            t.reports
        } else {
            t.applied_to
        };
        out.push(heading(c, &format!("{title} ({})", extras.linked.len())));
        for l in &extras.linked {
            out.push(Line::from(format!("  {} {} {}", l.key, l.status, l.title)));
        }
    }
    if !d.attachments.is_empty() {
        out.push(Line::default());
        out.push(heading(c, t.attachments));
        for a in &d.attachments {
            out.push(Line::from(format!(
                "  {} ({} B, sha256 {}…) {} {}",
                a.name,
                a.size,
                a.sha256.get(..12).unwrap_or(&a.sha256),
                a.author,
                time(a.at)
            )));
        }
    }
    if !d.runbooks.is_empty() {
        out.push(Line::default());
        out.push(heading(c, t.runbook_progress));
        for run in &d.runbooks {
            let rb = cfg.runbook(&run.runbook);
            let total = rb.map_or(0, |r| r.items.len());
            let done = rb.map_or(0, |r| {
                r.items
                    .iter()
                    .filter(|i| {
                        run.ticks
                            .iter()
                            .rev()
                            .find(|tk| &tk.item == i.id.get_ref())
                            .is_some_and(|tk| tk.checked)
                    })
                    .count()
            });
            let name = rb.map_or_else(|| run.runbook.clone(), |r| r.name.get(lang).to_string());
            out.push(Line::from(format!(
                "  {name}: {done}/{total} ({} {})",
                t.started_by, run.started_by
            )));
        }
    }
    if !d.escalations.is_empty() {
        out.push(Line::default());
        out.push(heading(c, t.escalations));
        for e in &d.escalations {
            let what = match (e.from_level, e.to_level, &e.to_role) {
                (Some(a), Some(b), _) => format!("{a} → {b}"),
                (_, _, Some(r)) => format!("→ {r}"),
                _ => e.mode.clone(),
            };
            out.push(Line::from(format!(
                "  {} {} {what} {}",
                time(e.at),
                e.by,
                e.note
            )));
        }
    }
    out.push(Line::default());
    out.push(heading(
        c,
        &format!("{} ({})", t.comments, d.comments.len()),
    ));
    for cm in &d.comments {
        let internal = if cm.internal {
            format!(" ({})", t.internal)
        } else {
            String::new()
        };
        out.push(Line::from(Span::styled(
            format!("  {} {}{internal}:", time(cm.at), cm.author),
            th.dim,
        )));
        out.extend(cm.body.lines().map(|l| Line::from(format!("    {l}"))));
    }
    if !d.worklog.is_empty() {
        out.push(Line::default());
        out.push(heading(
            c,
            &format!("{} ({})", t.worklog, format_minutes(d.worklog_minutes)),
        ));
        for w in &d.worklog {
            out.push(Line::from(format!(
                "  {} {} {} {}",
                time(w.at),
                w.author,
                format_minutes(w.minutes),
                w.note
            )));
        }
    }
    out.push(Line::default());
    out.push(heading(c, &format!("{} ({})", t.timeline, log.len())));
    for op in log {
        // A timer's move shows when it was due, as `guardia log` does.
        let at = crate::domain::ticket::ms_to_time(crate::app::workflow::effective_ms(op));
        // In the words of `guardia log`; a linked ticket shows by its id,
        // as the view holds no lookup of ids.
        let labelled = labelled_set(c, op);
        let what =
            crate::app::op_words::describe(labelled.as_ref().unwrap_or(op), c.lang, &|_| None);
        out.push(Line::from(vec![
            Span::styled(format!("  {} {} ", time(at), op.actor), th.dim),
            Span::styled(
                truncate_to_width(&sanitize_line(&what), crate::app::op_words::WORDS_WIDTH),
                Style::default(),
            ),
        ]));
    }
    out
}

/// A change of a ticket's field as the timeline shows it: the field by its
/// label (`Aplicación afectada`, not `fields.affected_application`), and a
/// grade or service by its name, as the lines above the timeline show
/// them. `None` for any other operation (said as `guardia log` says it).
fn labelled_set(c: &Console, op: &crate::store::ops::Op) -> Option<crate::store::ops::Op> {
    if op.entity != "ticket" || op.kind != "set" {
        return None;
    }
    let cfg = &c.config;
    let lang = c.lang;
    let stored = op.field.as_deref()?;
    let id = stored.strip_prefix("fields.").unwrap_or(stored);
    let label = match id {
        "priority_justification" => match lang {
            Lang::Es => "Justificación de la prioridad".to_string(),
            Lang::En => "Priority justification".to_string(),
        },
        _ => crate::tui::i18n::field_label(cfg, lang, id),
    };
    let mut shown = op.clone();
    shown.field = Some(label);
    if let Some(v) = op.value.as_str() {
        let name = match id {
            "impact" => Some(Config::grade_label(&cfg.priority.impacts, v, lang).to_string()),
            "urgency" => Some(Config::grade_label(&cfg.priority.urgencies, v, lang).to_string()),
            "priority" => Some(Config::grade_label(&cfg.priority.priorities, v, lang).to_string()),
            "service" => cfg.service(v).map(|s| s.name.clone()),
            _ => None,
        };
        if let Some(name) = name {
            shown.value = serde_json::Value::String(name);
        }
    }
    Some(shown)
}

/// A badge per sync conflict: the field and its competing values (the
/// one shown now first, each with who set it and when); then how to settle
/// them, with the keys of the changes that do. The worker sanitized every
/// value.
fn conflict_lines(c: &Console, conflicts: &[crate::tui::msg::Conflict]) -> Vec<Line<'static>> {
    use crate::store::merge::INVALID_TRANSITION;
    use crate::tui::action::Action;
    let t = catalogue(c.lang);
    let th = &c.theme;
    let loud = th.warn.add_modifier(ratatui::style::Modifier::BOLD);
    let mut out = Vec::new();
    let mut settle: Vec<Action> = Vec::new();
    let mut invalid = false;
    for k in conflicts {
        let heads: Vec<String> = k
            .heads
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let value = match (h.value.as_str(), k.field.as_str()) {
                    ("", "assignee") => t.unassigned.to_string(),
                    ("", _) => t.none.to_string(),
                    (v, _) => v.to_string(),
                };
                let when = h.at.map(|at| format!(" {}", time(at))).unwrap_or_default();
                let shown = if i == 0 && k.kind != INVALID_TRANSITION {
                    format!("{}, ", t.conflict_shown)
                } else {
                    String::new()
                };
                format!("{value} ({shown}{} {}{when})", t.conflict_by, h.by)
            })
            .collect();
        if k.kind == INVALID_TRANSITION {
            invalid = true;
            let to: Vec<String> = heads.iter().map(|h| format!("→ {h}")).collect();
            out.push(Line::from(Span::styled(
                format!("{}: {}", t.conflict_invalid, to.join(" | ")),
                loud,
            )));
            continue;
        }
        let (label, action) = match k.field.as_str() {
            "status" => (t.f_status, Some(Action::ChangeStatus)),
            "assignee" => (t.f_assignee, Some(Action::AssignTo)),
            "priority" => (t.f_priority, Some(Action::ChangePriority)),
            "level" => (t.f_level, Some(Action::Escalate)),
            other => (other, None),
        };
        if let Some(a) = action
            && !settle.contains(&a)
        {
            settle.push(a);
        }
        out.push(Line::from(Span::styled(
            format!("{} · {label}: {}", t.conflict_badge, heads.join(" | ")),
            loud,
        )));
    }
    if !settle.is_empty() {
        let contexts = crate::tui::state::Pane::Detail.contexts();
        let how: Vec<String> = settle
            .iter()
            .map(|a| match c.keymap.hint(contexts, *a) {
                Some(key) => format!("{} {}", sanitize_line(&key.to_string()), a.describe(c.lang)),
                None => a.describe(c.lang).to_string(),
            })
            .collect();
        out.push(Line::from(Span::styled(
            format!(
                "  {} {} {}",
                t.conflict_settle,
                how.join(", "),
                t.conflict_confirm
            ),
            th.warn,
        )));
    }
    if invalid {
        out.push(Line::from(Span::styled(
            format!("  {}", t.conflict_invalid_help),
            th.warn,
        )));
    }
    out
}

/// One numbered suggestion: `N. KEY [status] title`, then up to `max`
/// lines of its text, the first under `label`.
fn suggestion(
    c: &Console,
    n: usize,
    (key, status, title): (&str, &str, &str),
    label: &str,
    text: &str,
    max: usize,
) -> Vec<Line<'static>> {
    let th = &c.theme;
    let mut out = vec![Line::from(vec![
        Span::styled(format!("  {n}. "), th.dim),
        Span::styled(key.to_string(), th.key),
        Span::raw(format!(" [{status}] {title}")),
    ])];
    let mut lines = text.lines().take(max);
    if let Some(first) = lines.next() {
        out.push(Line::from(vec![
            Span::styled(format!("     {label}: "), th.dim),
            Span::raw(first.to_string()),
        ]));
    }
    out.extend(lines.map(|l| Line::from(format!("       {l}"))));
    out
}

/// The known errors that may apply, each with its workaround, and the key
/// that applies the first (read from the keymap in force). The worker
/// sanitized every text.
fn known_lines(c: &Console, known: &[crate::tui::msg::KnownHint]) -> Vec<Line<'static>> {
    use crate::tui::action::Action;
    if known.is_empty() {
        return Vec::new();
    }
    let t = catalogue(c.lang);
    let th = &c.theme;
    let mut out = vec![Line::default(), heading(c, t.known_may_apply)];
    for (i, k) in known.iter().enumerate() {
        let head = (k.key.as_str(), k.status.as_str(), k.title.as_str());
        out.extend(suggestion(
            c,
            i + 1,
            head,
            t.workaround,
            &k.workaround,
            usize::MAX,
        ));
    }
    let contexts = crate::tui::state::Pane::Detail.contexts();
    if let Some(key) = c.keymap.hint(contexts, Action::ApplyKnown) {
        out.push(Line::from(vec![
            Span::styled(format!("  {}", sanitize_line(&key.to_string())), th.key),
            Span::styled(format!(" {}", t.known_apply_hint), th.dim),
        ]));
    }
    out
}

/// Earlier tickets like this one, solved, each with the first lines of its
/// solution (the ticket itself has the rest). The worker sanitized every
/// text.
fn solved_lines(c: &Console, solved: &[crate::tui::msg::SolvedHint]) -> Vec<Line<'static>> {
    const SOLUTION_LINES: usize = 3;
    if solved.is_empty() {
        return Vec::new();
    }
    let t = catalogue(c.lang);
    let mut out = vec![Line::default(), heading(c, t.solved_before)];
    for (i, s) in solved.iter().enumerate() {
        let head = (s.key.as_str(), s.status.as_str(), s.title.as_str());
        out.extend(suggestion(
            c,
            i + 1,
            head,
            t.solution,
            &s.solution,
            SOLUTION_LINES,
        ));
    }
    out
}
