//! The escalation matrix: the configured levels with role, group, contacts
//! and hours, the opened ticket's level marked, and below it the dossier the
//! level under the cursor would need, with what is still missing.

use super::block;
use super::wrap::wrap;
use crate::text::{display_width, pad_to_width, sanitize_line, truncate_to_width};
use crate::tui::forms::current_dossier;
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(f: &mut Frame, c: &Console, area: Rect) {
    let t = catalogue(c.lang);
    let cfg = &c.config;
    let ticket = c.detail.detail.as_ref().map(|d| &d.ticket);
    let title = match ticket {
        Some(tk) => format!(
            " {} · {} ({} {}) ",
            t.escalation, tk.key, t.f_level, tk.level
        ),
        None => format!(" {} ", t.escalation),
    };
    let w = usize::from(area.width.saturating_sub(2));
    let levels: Vec<Vec<Line<'static>>> = (0..cfg.levels.len())
        .map(|i| level_lines(c, i, w))
        .collect();
    let rows: usize = levels.iter().map(Vec::len).sum();
    // The matrix takes what it needs up to three fifths of the pane; the
    // dossier preview keeps the rest.
    let most = (area.height.saturating_mul(3) / 5).max(3);
    let wanted = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let [top, bottom] = Layout::vertical([
        Constraint::Length(wanted.clamp(3, most)),
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
    let skip = scroll_to_cursor(&levels, c.escalation.cursor, usize::from(inner.height));
    let lines: Vec<Line> = levels
        .into_iter()
        .flatten()
        .skip(skip)
        .take(usize::from(inner.height))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    draw_dossier(f, c, bottom);
}

/// The first line to show so that the level under the cursor, with its
/// contacts, is on screen: the least scroll that shows it whole, or its
/// first lines when it is taller than the box.
fn scroll_to_cursor(levels: &[Vec<Line>], cursor: usize, height: usize) -> usize {
    let cursor = cursor.min(levels.len().saturating_sub(1));
    let begin: usize = levels[..cursor].iter().map(Vec::len).sum();
    let end = begin + levels.get(cursor).map_or(0, Vec::len);
    end.saturating_sub(height).min(begin)
}

/// One level of the matrix, `w` columns wide: its line (number, name,
/// role, group, hours; `▶` on the ticket's level) and under it one line
/// per contact (name, phone, e-mail, hours), wrapped, so a second contact
/// is never cut off the end of the first's line.
fn level_lines(c: &Console, i: usize, w: usize) -> Vec<Line<'static>> {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let level = &c.config.levels[i];
    let ticket = c.detail.detail.as_ref().map(|d| &d.ticket);
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
    let mut out = vec![Line::from(Span::styled(pad_to_width(&head, w), style))];
    // The level under the cursor is the one being read: its contacts in
    // the plain style, the others dimmed.
    let style = if cursor { th.base } else { th.dim };
    let label = format!("   {}: ", t.contacts);
    let label_w = display_width(&label);
    // A contact's wrapped lines go two columns further in than the next
    // contact, so where one contact ends is plain.
    let room = w.saturating_sub(label_w + 2).max(10);
    let contacts: Vec<Vec<String>> = level
        .contacts
        .iter()
        .map(|ct| {
            [&ct.name, &ct.phone, &ct.email, &ct.hours]
                .into_iter()
                .filter(|part| !part.is_empty())
                .map(|part| sanitize_line(part))
                .collect()
        })
        .collect();
    if contacts.is_empty() {
        out.push(Line::from(Span::styled(
            truncate_to_width(&format!("{label}{}", t.none), w),
            style,
        )));
    }
    for (k, parts) in contacts.iter().enumerate() {
        for (j, piece) in wrap_parts(parts, room).into_iter().enumerate() {
            let prefix = match (k, j) {
                (0, 0) => label.clone(),
                (_, 0) => " ".repeat(label_w),
                _ => " ".repeat(label_w + 2),
            };
            out.push(Line::from(Span::styled(
                truncate_to_width(&format!("{prefix}{piece}"), w),
                style,
            )));
        }
    }
    out
}

/// The lower box: the dossier the level under the cursor would need.
fn draw_dossier(f: &mut Frame, c: &Console, bottom: Rect) {
    let t = catalogue(c.lang);
    let th = &c.theme;
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
    // The same words `E` answers with, in the console's language: a
    // problem or known error, a finished ticket, no level above.
    if let Some(text) = crate::tui::forms::escalation_words::preview_refusal(c, d.to_level) {
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

/// `parts` joined by ` · ` into lines of at most `room` columns, broken
/// between parts (a phone number or an address stays whole), and inside a
/// part only when it alone is wider than a line.
fn wrap_parts(parts: &[String], room: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for part in parts {
        let joined = if line.is_empty() {
            part.clone()
        } else {
            format!("{line} · {part}")
        };
        if display_width(&joined) <= room {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut pieces: Vec<String> = wrap(Line::from(part.clone()), room)
            .iter()
            .map(|l| l.to_string().trim_end().to_string())
            .collect();
        line = pieces.pop().unwrap_or_default();
        out.extend(pieces);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}
