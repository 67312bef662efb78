//! The escalation matrix: the configured levels with role, group, contacts
//! and hours, the opened ticket's level marked, and below it the dossier the
//! level under the cursor would need, with what is still missing.

use super::block;
use crate::domain::escalation;
use crate::text::{pad_to_width, sanitize_line, truncate_to_width};
use crate::tui::forms::current_dossier;
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(f: &mut Frame, c: &Console, area: Rect) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let cfg = &c.config;
    let ticket = c.detail.detail.as_ref().map(|d| &d.ticket);
    let title = match ticket {
        Some(tk) => format!(
            " {} · {} ({} {}) ",
            t.escalation, tk.key, t.f_level, tk.level
        ),
        None => format!(" {} ", t.escalation),
    };
    let rows_needed = (cfg.levels.len() as u16)
        .saturating_mul(2)
        .saturating_add(3);
    let [top, bottom] = Layout::vertical([
        Constraint::Length(rows_needed.min(area.height.saturating_sub(4)).max(3)),
        Constraint::Min(3),
    ])
    .areas(area);
    let b = block(
        c,
        truncate_to_width(&title, usize::from(top.width.saturating_sub(2))),
        true,
    );
    let inner = b.inner(top);
    f.render_widget(b, top);
    let w = usize::from(inner.width);
    let mut lines = Vec::new();
    for (i, level) in cfg.levels.iter().enumerate() {
        let n = *level.n.get_ref();
        let is_current = ticket.is_some_and(|tk| tk.level == n);
        let cursor = i == c.escalation.cursor;
        let marker = if is_current { "▶" } else { " " };
        let head = format!(
            "{marker}{n} {} · {}: {} · {}: {} · {}: {}",
            pad_to_width(level.name.get(c.lang), 26),
            t.role,
            level.role.get_ref(),
            t.group,
            level.group,
            t.hours,
            if level.hours.is_empty() {
                t.none
            } else {
                &level.hours
            }
        );
        let mut style = if is_current { th.current } else { th.base };
        if cursor {
            style = style.patch(th.selected);
        }
        let mut head = truncate_to_width(&head, w);
        if is_current {
            head = truncate_to_width(&format!("{head}  ({})", t.current_level), w);
        }
        lines.push(Line::from(Span::styled(pad_to_width(&head, w), style)));
        let contacts: Vec<String> = level
            .contacts
            .iter()
            .map(|ct| {
                let mut s = ct.name.clone();
                for part in [&ct.phone, &ct.email, &ct.hours] {
                    if !part.is_empty() {
                        s.push_str(&format!(" · {part}"));
                    }
                }
                s
            })
            .collect();
        let contacts = if contacts.is_empty() {
            t.none.to_string()
        } else {
            contacts.join(" | ")
        };
        lines.push(Line::from(Span::styled(
            truncate_to_width(
                &format!("   {}: {}", t.contacts, sanitize_line(&contacts)),
                w,
            ),
            th.dim,
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);

    let dossier = current_dossier(c);
    let title = match &dossier {
        Some(d) => format!(
            " {} {} → {} {} ",
            t.dossier_for, d.key, d.to_level, d.to_level_name
        ),
        None => format!(" {} ", t.dossier_for),
    };
    let b = block(
        c,
        truncate_to_width(&title, usize::from(bottom.width.saturating_sub(2))),
        false,
    );
    let inner = b.inner(bottom);
    f.render_widget(b, bottom);
    let Some(d) = dossier else {
        f.render_widget(
            Paragraph::new(Span::styled(t.select_ticket_first, th.dim)),
            inner,
        );
        return;
    };
    let mut lines = Vec::new();
    // What Enter would answer, said before it is pressed: a ticket at the
    // top of the matrix, or closed, does not escalate however complete.
    let refusal = c
        .detail
        .detail
        .as_ref()
        .and_then(|detail| escalation::check(cfg, detail, d.to_level).err())
        .filter(|r| !matches!(r, escalation::EscalationRefusal::Incomplete { .. }));
    if let Some(r) = refusal {
        let text = match r {
            escalation::EscalationRefusal::NotHigher { current, max } if current >= max => {
                format!("{} ({current})", t.no_level_above)
            }
            other => other.to_string(),
        };
        lines.push(Line::from(Span::styled(format!("✗ {text}"), th.missing)));
    } else if d.missing.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("✓ {}", t.dossier_complete),
            th.ok,
        )));
    } else {
        // By label, as the items below and the `E` form name them.
        let missing: Vec<&str> = d
            .items
            .iter()
            .filter(|i| i.value.is_none())
            .map(|i| i.label.as_str())
            .collect();
        lines.push(Line::from(Span::styled(
            format!(
                "✗ {} {}: {}",
                t.dossier_missing_n.word(missing.len() as i64),
                missing.len(),
                missing.join(", ")
            ),
            th.missing,
        )));
    }
    for (lvl, note) in &d.not_applicable {
        lines.push(Line::from(format!(
            "  {} {lvl}: {}",
            t.not_applicable, note
        )));
    }
    for item in &d.items {
        let (mark, style, value) = match &item.value {
            Some(v) => ("✓", th.base, sanitize_line(v)),
            None => ("✗", th.missing, format!("({})", t.dossier_missing)),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {}: ", item.label), style),
            Span::raw(truncate_to_width(&value, 300)),
        ]));
    }
    if !d.evidence.is_empty() {
        lines.push(Line::from(Span::styled(t.runbooks.to_string(), th.header)));
        for e in &d.evidence {
            let mark = if e.checked { "[x]" } else { "[ ]" };
            lines.push(Line::from(format!(
                "  {mark} {} — {} ({})",
                e.item, e.evidence, e.by
            )));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
