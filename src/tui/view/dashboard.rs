//! The dashboard: open tickets by priority, status, level and operator,
//! new and closed per day as sparklines, and the oldest open tickets.

use super::{age, block, priority_label};
use crate::text::{pad_to_width, truncate_to_width};
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

pub fn draw(f: &mut Frame, c: &Console, area: Rect, now: DateTime<Utc>) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let Some(d) = c.dashboard.data.as_deref() else {
        let b = block(c, format!(" {} ", t.dashboard), true);
        let inner = b.inner(area);
        f.render_widget(b, area);
        f.render_widget(Paragraph::new(Span::styled(t.loading, th.dim)), inner);
        return;
    };
    let b = block(
        c,
        format!(
            " {} · {} {} · SLA {} {}, {} {} ",
            t.dashboard,
            d.open_total,
            t.open_total,
            d.sla_warned,
            t.sla_warned,
            d.sla_breached,
            t.sla_breached
        ),
        true,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let [counts, series, oldest] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Min(1),
    ])
    .areas(inner);
    let cols = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(counts);
    let max_of = |v: &[i64]| v.iter().copied().max().unwrap_or(0).max(1);
    let bar = |n: i64, max: i64, w: usize| {
        "█".repeat(((n * w as i64) / max).max(i64::from(n > 0)) as usize)
    };
    let table = |title: &str, rows: Vec<(String, i64)>, area: Rect| -> Paragraph<'static> {
        let w = usize::from(area.width);
        let max = max_of(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
        let mut lines = vec![Line::from(Span::styled(
            truncate_to_width(title, w),
            th.header,
        ))];
        for (label, n) in rows {
            let head = format!("{} {:>6} ", pad_to_width(&label, 9), n);
            // One column free at the end, so a bar never touches the next table.
            let room = w.saturating_sub(crate::text::display_width(&head) + 1);
            lines.push(Line::from(vec![
                Span::raw(truncate_to_width(&head, w)),
                Span::styled(bar(n, max, room), th.bar),
            ]));
        }
        Paragraph::new(lines)
    };
    let prio: Vec<(String, i64)> = d
        .open_by_priority
        .iter()
        .map(|(p, n)| (format!("{} {p}", priority_label(c, p).0), *n))
        .collect();
    f.render_widget(table(t.open_by_priority, prio, cols[0]), cols[0]);
    f.render_widget(
        table(t.open_by_status, d.open_by_status.clone(), cols[1]),
        cols[1],
    );
    let lvl = d
        .open_by_level
        .iter()
        .map(|(l, n)| (format!("N{l}"), *n))
        .collect();
    f.render_widget(table(t.open_by_level, lvl, cols[2]), cols[2]);
    let ops = d
        .open_by_assignee
        .iter()
        .map(|(a, n)| (a.clone().unwrap_or_else(|| t.unassigned.to_string()), *n))
        .collect();
    f.render_widget(table(t.per_operator, ops, cols[3]), cols[3]);

    let halves = Layout::horizontal([Constraint::Ratio(1, 2); 2]).split(series);
    for (i, (title, data)) in [
        (t.new_per_day, &d.new_per_day),
        (t.done_per_day, &d.done_per_day),
    ]
    .into_iter()
    .enumerate()
    {
        let [head, spark] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(halves[i]);
        let today = data.last().copied().unwrap_or(0);
        let total: i64 = data.iter().sum();
        f.render_widget(
            Paragraph::new(Span::styled(
                truncate_to_width(
                    &format!("{title} ({} d: {total}; {} {today})", data.len(), t.today),
                    usize::from(head.width),
                ),
                th.header,
            )),
            head,
        );
        let values: Vec<u64> = data.iter().map(|n| (*n).max(0) as u64).collect();
        f.render_widget(Sparkline::default().data(&values).style(th.bar), spark);
    }

    let w = usize::from(oldest.width);
    let mut lines = vec![Line::from(Span::styled(t.oldest_open, th.header))];
    for o in &d.oldest_open {
        let created = crate::domain::ticket::ms_to_time(o.created_at);
        lines.push(Line::from(Span::raw(truncate_to_width(
            &format!(
                "{} {} {} {} {} {}",
                pad_to_width(&o.key, 9),
                pad_to_width(&priority_label(c, &o.priority).0, 3),
                pad_to_width(&age(now, created), 4),
                pad_to_width(&o.status, 11),
                pad_to_width(o.assignee.as_deref().unwrap_or("-"), 8),
                o.title
            ),
            w,
        ))));
    }
    f.render_widget(Paragraph::new(lines), oldest);
}
