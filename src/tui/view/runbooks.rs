//! The runbooks pane: checklists that apply to the opened ticket's service,
//! each item with its tick, who ticked it, when, and the evidence.

use super::block;
use super::wrap::wrap;
use crate::text::{pad_to_width, truncate_to_width};
use crate::tui::forms::{RunbookRow, runbook_rows};
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, c: &Console, area: Rect) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let detail = c.detail.detail.as_deref();
    let title = match detail {
        Some(d) => format!(" {} · {} · {} ", t.runbooks, d.ticket.key, d.ticket.service),
        None => format!(" {} ", t.runbooks),
    };
    let b = block(
        c,
        truncate_to_width(&title, usize::from(area.width.saturating_sub(2))),
        true,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = usize::from(inner.width);
    let height = usize::from(inner.height);
    let rows = runbook_rows(c);
    // Each row's lines: a ticked item has a second line with who ticked
    // it, when and the evidence, so a long item text cannot push them out.
    let drawn: Vec<Vec<Line>> = rows.iter().map(|row| row_lines(c, *row, w)).collect();
    // From the first row scrolled to, moved on until the cursor's row fits
    // whole (rows above it may be two lines high).
    let cursor = c.runbooks.cursor.min(rows.len().saturating_sub(1));
    let mut start = c.runbooks.scroll.min(cursor);
    while start < cursor && drawn[start..=cursor].iter().map(Vec::len).sum::<usize>() > height {
        start += 1;
    }
    let mut lines = Vec::new();
    for (i, row_lines) in drawn.into_iter().enumerate().skip(start) {
        if lines.len() >= height {
            break;
        }
        for line in row_lines {
            lines.push(if i == c.runbooks.cursor {
                line.style(th.selected)
            } else {
                line
            });
        }
    }
    lines.truncate(height);
    f.render_widget(Paragraph::new(lines), inner);
}

/// The lines of one row of the pane, `w` columns wide.
fn row_lines(c: &Console, row: RunbookRow, w: usize) -> Vec<Line<'static>> {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let cfg = &c.config;
    let detail = c.detail.detail.as_deref();
    match row {
        RunbookRow::Header(r) => {
            let rb = &cfg.runbooks[r];
            let run = detail.and_then(|d| {
                d.runbooks
                    .iter()
                    .rev()
                    .find(|x| x.runbook == *rb.id.get_ref())
            });
            let status = match run {
                Some(run) => {
                    let done = rb
                        .items
                        .iter()
                        .filter(|it| {
                            run.ticks
                                .iter()
                                .rev()
                                .find(|tk| tk.item == *it.id.get_ref())
                                .is_some_and(|tk| tk.checked)
                        })
                        .count();
                    format!(
                        "{done}/{} · {} {}",
                        rb.items.len(),
                        t.started_by,
                        run.started_by
                    )
                }
                None if detail.is_some() => t.not_started.to_string(),
                None => String::new(),
            };
            let services = if rb.services.is_empty() {
                t.applies_to_all.to_string()
            } else {
                rb.services
                    .iter()
                    .map(|s| s.get_ref().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let l1 = if rb.level1_checks { " · N1" } else { "" };
            vec![Line::from(Span::styled(
                fit(
                    &format!("{} [{services}{l1}] {status}", rb.name.get(c.lang)),
                    w,
                ),
                th.header,
            ))]
        }
        RunbookRow::Item(r, j) => {
            let rb = &cfg.runbooks[r];
            let it = &rb.items[j];
            let tick = detail
                .and_then(|d| {
                    d.runbooks
                        .iter()
                        .rev()
                        .find(|x| x.runbook == *rb.id.get_ref())
                })
                .and_then(|run| {
                    run.ticks
                        .iter()
                        .rev()
                        .find(|tk| tk.item == *it.id.get_ref())
                });
            // Wrapped, not cut: items of one runbook often differ only at
            // their end.
            match tick {
                Some(tk) if tk.checked => {
                    let mut lines = hanging("  [x] ", &it.text, w, Style::default());
                    let by = format!("{} {} · {}", tk.by, super::detail::time(tk.at), tk.evidence);
                    lines.extend(hanging("", &by, w, th.dim));
                    lines
                }
                _ => hanging("  [ ] ", &it.text, w, Style::default()),
            }
        }
    }
}

/// Columns an item's text is indented by: past the `  [x] ` in front of
/// it, and so are its wrapped lines and the line of who ticked it.
const ITEM_INDENT: usize = 6;

/// `text` wrapped to `w` columns less [`ITEM_INDENT`], the first line
/// after `mark` (spaces when empty), the others indented under it; each
/// padded to the width (the selection's colour fills the row).
fn hanging(mark: &str, text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    let room = w.saturating_sub(ITEM_INDENT).max(1);
    let indent = " ".repeat(ITEM_INDENT);
    wrap(Line::from(text.to_string()), room)
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let prefix = if i == 0 && !mark.is_empty() {
                mark
            } else {
                &indent
            };
            let text = format!("{prefix}{}", piece.to_string().trim_end());
            Line::from(Span::styled(fit(&text, w), style))
        })
        .collect()
}

/// `text` cut to `w` columns and padded to them (the selection's colour
/// fills the row).
fn fit(text: &str, w: usize) -> String {
    pad_to_width(&truncate_to_width(text, w), w)
}
