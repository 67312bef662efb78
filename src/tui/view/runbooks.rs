//! The runbooks pane: checklists that apply to the opened ticket's service,
//! each item with its tick, who ticked it, when, and the evidence.

use super::block;
use crate::text::{pad_to_width, truncate_to_width};
use crate::tui::forms::{RunbookRow, runbook_rows};
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, c: &Console, area: Rect) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let cfg = &c.config;
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
    let rows = runbook_rows(c);
    let mut lines = Vec::new();
    for (i, row) in rows
        .iter()
        .enumerate()
        .skip(c.runbooks.scroll)
        .take(usize::from(inner.height))
    {
        let selected = i == c.runbooks.cursor;
        let mut line = match *row {
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
                Line::from(Span::styled(
                    pad_to_width(
                        &format!("{} [{services}{l1}] {status}", rb.name.get(c.lang)),
                        w,
                    ),
                    th.header,
                ))
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
                let (mark, who) = match tick {
                    Some(tk) if tk.checked => (
                        "[x]",
                        format!(
                            " — {} {} · {}",
                            tk.by,
                            tk.at.format("%Y-%m-%d %H:%M"),
                            tk.evidence
                        ),
                    ),
                    _ => ("[ ]", String::new()),
                };
                Line::from(Span::raw(pad_to_width(
                    &format!("  {mark} {}{who}", it.text),
                    w,
                )))
            }
        };
        if selected {
            line = line.style(th.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
