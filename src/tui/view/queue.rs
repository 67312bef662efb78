//! The queue pane: one page of tickets as a table, cut to the width, with
//! the counts and the active filter in its title.

use super::{age, block, priority_label};
use crate::text::{display_width, pad_to_width, truncate_to_width};
use crate::tui::forms::view_label;
use crate::tui::i18n::catalogue;
use crate::tui::state::{Console, Sort, View};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Column widths; the title takes what is left.
const KEY_W: usize = 9;
const PRIO_W: usize = 3;
const STATUS_W: usize = 11;
const LVL_W: usize = 3;
const AGE_W: usize = 5;
const SERVICE_W: usize = 13;
const ASSIGNEE_W: usize = 8;

pub fn draw(f: &mut Frame, c: &Console, area: Rect, now: DateTime<Utc>, focused: bool) {
    let t = catalogue(c.lang);
    let q = &c.queue;
    let mut title = format!(" {} · {}", t.queue, view_label(q.view, c.lang));
    match q.total {
        Some(n) if q.total_capped => title.push_str(&format!(" ({n}+)")),
        Some(n) => title.push_str(&format!(" ({n})")),
        None => title.push_str(" (…)"),
    }
    if !q.marked.is_empty() {
        title.push_str(&format!(" · {}", t.marked.of(q.marked.len() as i64)));
    }
    let fl = &q.fields;
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = &fl.status {
        parts.push(s.clone());
    }
    if let Some(p) = &fl.priority {
        parts.push(p.clone());
    }
    if let Some(s) = &fl.service {
        parts.push(s.clone());
    }
    match &fl.assignee {
        Some(Some(a)) => parts.push(format!("@{a}")),
        Some(None) => parts.push(t.unassigned.to_string()),
        None => {}
    }
    if let Some(l) = fl.level {
        parts.push(format!("N{l}"));
    }
    if !q.text.is_empty() {
        parts.push(format!("/{}", crate::text::sanitize_line(&q.text)));
    }
    if q.view != View::Breaching {
        match q.sort {
            Sort::Oldest => parts.push(t.sort_oldest.to_string()),
            // While a text filter is on, matches come newest first (and in
            // the conflicts view always).
            Sort::Sla if crate::tui::update::by_sla(q) && q.text.is_empty() => {
                parts.push(t.sort_sla.to_string())
            }
            Sort::Sla | Sort::Newest => {}
        }
    }
    if !parts.is_empty() {
        title.push_str(&format!(" · {}: {}", t.filter, parts.join(" ")));
    }
    title.push(' ');
    let inner_w = usize::from(area.width.saturating_sub(2));
    let b = block(c, truncate_to_width(&title, inner_w), focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.height == 0 {
        return;
    }
    let width = usize::from(inner.width);
    // Narrow panes drop the less important columns first.
    let show_service = width >= 78;
    let show_assignee = width >= 64;
    let show_level = width >= 50;
    let show_status = width >= 40;
    let th = &c.theme;
    let mut header = vec![
        format!(" {}", pad_to_width(t.col_key, KEY_W)),
        pad_to_width(t.col_priority, PRIO_W),
    ];
    if show_status {
        header.push(pad_to_width(t.col_status, STATUS_W));
    }
    if show_level {
        header.push(pad_to_width(t.col_level, LVL_W));
    }
    header.push(pad_to_width(t.col_age, AGE_W));
    if show_service {
        header.push(pad_to_width(t.col_service, SERVICE_W));
    }
    if show_assignee {
        header.push(pad_to_width(t.col_assignee, ASSIGNEE_W));
    }
    let fixed: usize = header.iter().map(|h| display_width(h) + 1).sum();
    let title_w = width.saturating_sub(fixed);
    header.push(pad_to_width(t.col_title, title_w));
    let mut lines = vec![Line::from(Span::styled(
        truncate_to_width(&header.join(" "), width),
        th.header,
    ))];
    let rows_h = usize::from(inner.height).saturating_sub(1);
    if q.rows.is_empty() {
        let msg = if q.loading { t.loading } else { t.no_tickets };
        lines.push(Line::from(Span::styled(format!(" {msg}"), th.dim)));
    }
    // A long notice can take rows from the list for a moment: the cursor's
    // row stays in sight.
    let start = q.scroll.max((q.cursor + 1).saturating_sub(rows_h.max(1)));
    for (i, row) in q.rows.iter().enumerate().skip(start).take(rows_h) {
        let tk = &row.ticket;
        let marked = q.marked.contains(&tk.key);
        let (prio, prio_style) = priority_label(c, &tk.priority);
        // A sync conflict shows in the mark column unless the row is marked.
        let (mark, key_style) = match (marked, row.conflict) {
            (true, _) => ("*", th.marked),
            (false, true) => ("⚠", th.warn),
            (false, false) => (" ", th.base),
        };
        let mut cells: Vec<Span> = vec![
            Span::styled(
                format!("{mark}{} ", pad_to_width(&tk.key, KEY_W)),
                key_style,
            ),
            Span::styled(format!("{} ", pad_to_width(&prio, PRIO_W)), prio_style),
        ];
        if show_status {
            cells.push(Span::raw(format!(
                "{} ",
                pad_to_width(&tk.status, STATUS_W)
            )));
        }
        if show_level {
            cells.push(Span::raw(format!(
                "{} ",
                pad_to_width(&tk.level.to_string(), LVL_W)
            )));
        }
        // The SLA clock once it has arrived, else the age.
        let (when, style) = match q.sla.get(&tk.key) {
            Some(b) => sla_cell(b, th),
            None => (age(now, tk.created_at), th.base),
        };
        cells.push(Span::styled(
            format!("{} ", pad_to_width(&when, AGE_W)),
            style,
        ));
        if show_service {
            cells.push(Span::raw(format!(
                "{} ",
                pad_to_width(&tk.service, SERVICE_W)
            )));
        }
        if show_assignee {
            let a = tk.assignee.as_deref().unwrap_or("-");
            cells.push(Span::raw(format!("{} ", pad_to_width(a, ASSIGNEE_W))));
        }
        cells.push(Span::raw(pad_to_width(&tk.title, title_w)));
        let mut line = Line::from(cells);
        if i == q.cursor && focused {
            line = line.style(th.selected);
        } else if i == q.cursor {
            line = line.style(th.header);
        }
        lines.push(line);
    }
    if q.loading && !q.rows.is_empty() && lines.len() <= rows_h {
        lines.push(Line::from(Span::styled(format!(" {}", t.loading), th.dim)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Business time left: `3h`, `45m`; `~3h` warned, `‖3h` paused, `ok` met,
/// `!2h` breached two hours ago. The marks say it without colour.
fn sla_cell(
    b: &crate::tui::msg::SlaBrief,
    th: &crate::tui::theme::Theme,
) -> (String, ratatui::style::Style) {
    use crate::domain::sla::ClockState;
    let short = |m: i64| match m.abs() {
        a if a < 60 => format!("{a}m"),
        a if a < 100 * 60 => format!("{}h", a / 60),
        _ => "99h+".to_string(),
    };
    match b.state {
        ClockState::Met => ("ok".into(), th.ok),
        // Breached before it paused: how far past the target it stopped,
        // not "just breached", which `!0m` alone would say.
        ClockState::Breached if b.paused => (format!("‖!{}", short(b.remaining_minutes)), th.error),
        ClockState::Breached => (format!("!{}", short(b.remaining_minutes)), th.error),
        // Warned but waiting on the customer: the time left is not running
        // out, which `~1h` alone would say.
        ClockState::Warned if b.paused => (format!("‖~{}", short(b.remaining_minutes)), th.warn),
        ClockState::Warned => (format!("~{}", short(b.remaining_minutes)), th.warn),
        ClockState::Paused => (format!("‖{}", short(b.remaining_minutes)), th.dim),
        ClockState::Running => (short(b.remaining_minutes), th.base),
    }
}
