//! The dashboard: open tickets by priority, status, level and operator;
//! today's and the last 30 days' indicators (the figures of `guardia
//! report`); new and resolved tickets per day as sparklines and the
//! resolution SLA met per day as a bar chart; and the oldest open tickets.

use super::{age, block, priority_label};
use crate::domain::duration::format_minutes;
use crate::domain::report::Headline;
use crate::text::{pad_to_width, truncate_to_width};
use crate::tui::i18n::Catalogue;
use crate::tui::i18n::catalogue;
use crate::tui::state::Console;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Sparkline};

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
    let b = block(c, format!(" {} ", dashboard_title(t, d)), true);
    let inner = b.inner(area);
    f.render_widget(b, area);
    // The indicators first: how many lines they wrap onto sizes their box.
    let w = usize::from(inner.width);
    let mut kpi_lines = Vec::new();
    match &d.kpis {
        Some(k) => {
            kpi_lines.push(Line::from(Span::styled(
                truncate_to_width(t.kpi_title, w),
                th.header,
            )));
            for (label, h) in [(t.kpi_today, &k.today), (t.kpi_month, &k.month)] {
                kpi_lines.extend(
                    headline_lines(t, label, h, w)
                        .into_iter()
                        .map(|l| Line::from(Span::raw(l))),
                );
            }
        }
        // Wrapped, not cut: its end says which command fills them in.
        None => kpi_lines.extend(super::wrap::wrap(
            Line::from(Span::styled(t.kpi_missing, th.dim)),
            w,
        )),
    }
    let kpi_rows = u16::try_from(kpi_lines.len()).unwrap_or(3);
    let [counts, kpis, series, oldest] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Length(kpi_rows),
        Constraint::Length(4),
        Constraint::Min(1),
    ])
    .areas(inner);
    let cols = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(counts);
    let max_of = |v: &[i64]| v.iter().copied().max().unwrap_or(0).max(1);
    let bar = |n: i64, max: i64, w: usize| {
        "█".repeat(((n * w as i64) / max).max(i64::from(n > 0)) as usize)
    };
    // The headings in their long form (`Open by priority`) when each fits
    // its column with a column to spare (so they never run together), else
    // all in the short one (`By priority`).
    let long = [
        t.open_by_priority,
        t.open_by_status,
        t.open_by_level,
        t.per_operator,
    ];
    let short = [t.by_priority, t.by_status, t.by_level, t.by_operator];
    let fits = long
        .iter()
        .zip(cols.iter())
        .all(|(h, a)| crate::text::display_width(h) < usize::from(a.width));
    let headings = if fits { long } else { short };
    let table = |title: &str, rows: Vec<(String, i64)>, area: Rect| -> Paragraph<'static> {
        let w = usize::from(area.width);
        let max = max_of(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
        let mut lines = vec![Line::from(Span::styled(
            truncate_to_width(title, w.saturating_sub(1)),
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
    // Most urgent first, as priority.toml lists them (the store counts
    // them by id); a priority the file no longer knows comes last.
    let mut by_rank: Vec<&(String, i64)> = d.open_by_priority.iter().collect();
    by_rank.sort_by_key(|(p, _)| (c.config.priority_rank(p).unwrap_or(usize::MAX), p.clone()));
    let prio: Vec<(String, i64)> = by_rank
        .into_iter()
        // By the label the operator reads everywhere else (`P2 Alta`).
        .map(|(p, n)| {
            let label =
                crate::config::Config::grade_label(&c.config.priority.priorities, p, c.lang);
            (format!("{} {label}", priority_label(c, p).0), *n)
        })
        .collect();
    f.render_widget(table(headings[0], prio, cols[0]), cols[0]);
    f.render_widget(
        table(headings[1], d.open_by_status.clone(), cols[1]),
        cols[1],
    );
    let lvl = d
        .open_by_level
        .iter()
        .map(|(l, n)| (format!("N{l}"), *n))
        .collect();
    f.render_widget(table(headings[2], lvl, cols[2]), cols[2]);
    let ops = d
        .open_by_assignee
        .iter()
        .map(|(a, n)| (a.clone().unwrap_or_else(|| t.unassigned.to_string()), *n))
        .collect();
    f.render_widget(table(headings[3], ops, cols[3]), cols[3]);

    f.render_widget(Paragraph::new(kpi_lines), kpis);

    // Without the outcomes, the moves into a resolved or closed state.
    let (done_title, done): (&str, &[i64]) = match &d.kpis {
        Some(k) => (t.resolved_per_day, &k.resolved_per_day),
        None => (t.done_per_day, &d.done_per_day),
    };
    let thirds = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(series);
    for (i, (title, data)) in [(t.new_per_day, &d.new_per_day[..]), (done_title, done)]
        .into_iter()
        .enumerate()
    {
        let [head, spark] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(gap(thirds[i]));
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
        // The newest days when the column is narrower than the series.
        let values: Vec<u64> = latest(data, spark.width)
            .iter()
            .map(|n| (*n).max(0) as u64)
            .collect();
        f.render_widget(Sparkline::default().data(&values).style(th.bar), spark);
    }
    if let Some(k) = &d.kpis {
        let [head, chart] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(gap(thirds[2]));
        let today = k.resolution_met_per_day.last().copied().flatten();
        f.render_widget(
            Paragraph::new(Span::styled(
                truncate_to_width(
                    &format!(
                        "{} ({} {})",
                        t.sla_met_per_day,
                        t.today,
                        permille_text(today)
                    ),
                    usize::from(head.width),
                ),
                th.header,
            )),
            head,
        );
        // One column per day; a day without resolved tickets stays empty,
        // a day with some shows at least the lowest eighth of a row, and a
        // day whose resolutions all breached shows a `0`.
        let days = latest(&k.resolution_met_per_day, chart.width);
        let eighth = 1000 / (u64::from(chart.height).max(1) * 8) + 1;
        let bars: Vec<Bar> = days
            .iter()
            .map(|v| {
                let v = v.unwrap_or(0).max(0) as u64;
                Bar::default()
                    .value(if v > 0 { v.max(eighth) } else { 0 })
                    .text_value(String::new())
            })
            .collect();
        f.render_widget(
            BarChart::default()
                .data(BarGroup::default().bars(&bars))
                .bar_width(1)
                .bar_gap(0)
                .max(1000)
                .bar_style(th.bar),
            chart,
        );
        if chart.height > 0 {
            let y = chart.bottom() - 1;
            let buf = f.buffer_mut();
            for (x, v) in (chart.x..chart.right()).zip(days) {
                if *v == Some(0) {
                    buf[(x, y)].set_symbol(ZERO_MARK).set_style(th.error);
                }
            }
        }
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

/// An area less its last column, so side-by-side charts never touch.
fn gap(a: Rect) -> Rect {
    Rect {
        width: a.width.saturating_sub(1),
        ..a
    }
}

/// The last `n` values of a series.
fn latest<T>(data: &[T], n: u16) -> &[T] {
    &data[data.len().saturating_sub(usize::from(n))..]
}

/// A share in tenths of a percent as `93.5%`, or `-`.
fn permille_text(p: Option<i64>) -> String {
    p.map_or_else(|| "-".into(), |v| format!("{}.{}%", v / 10, v % 10))
}

/// What marks a day of the SLA chart whose resolutions all breached (a day
/// without any stays empty).
const ZERO_MARK: &str = "0";

/// `Dashboard · 28 open · SLA 1 warned, 16 breached`: the pane's title and
/// the first line of `guardia dashboard`.
pub fn dashboard_title(t: &Catalogue, d: &crate::store::Dashboard) -> String {
    format!(
        "{} · {} · SLA {} {}, {}",
        t.dashboard,
        t.open_total.of(d.open_total),
        d.sla_warned,
        t.sla_warned,
        t.sla_breached.of(d.sla_breached)
    )
}

/// The indicators' groups (volume, median times, SLA met, escalations,
/// rejections and reopenings), each whole: the console breaks lines
/// between them, `guardia dashboard` too.
pub fn headline_groups(t: &Catalogue, h: &Headline) -> [String; 4] {
    let min = |m: Option<i64>| m.map_or_else(|| "-".into(), format_minutes);
    let pct = |p: Option<i64>| p.map_or_else(|| "-".into(), |v| format!("{}.{}", v / 10, v % 10));
    [
        format!(
            "{} {} {} {} {} {}",
            t.kpi_in, h.opened, t.kpi_out, h.closed, t.kpi_open, h.backlog
        ),
        format!(
            "{} {} {} {}",
            t.kpi_response,
            min(h.response_median_min),
            t.kpi_resolution,
            min(h.resolution_median_min)
        ),
        format!(
            "{} {}/{}%",
            t.kpi_sla,
            pct(h.response_met_permille),
            pct(h.resolution_met_permille)
        ),
        format!(
            "{} {} {} {} {} {}",
            t.kpi_escalated,
            h.escalations,
            t.kpi_rejected,
            h.rejections,
            t.kpi_reopened,
            h.reopened
        ),
    ]
}

/// The indicators of `label` in lines of at most `w` columns: one when they
/// fit, else broken between groups, the later lines indented under the
/// first group, so no figure is ever cut.
fn headline_lines(t: &Catalogue, label: &str, h: &Headline, w: usize) -> Vec<String> {
    const LABEL_W: usize = 8;
    let groups = headline_groups(t, h);
    let indent = " ".repeat(LABEL_W + 1);
    let [first, rest @ ..] = groups;
    let mut lines = Vec::new();
    let mut line = format!("{} {first}", pad_to_width(label, LABEL_W));
    for group in rest {
        let joined = format!("{line}  {group}");
        if crate::text::display_width(&joined) <= w {
            line = joined;
        } else {
            lines.push(truncate_to_width(&line, w));
            line = format!("{indent}{group}");
        }
    }
    lines.push(truncate_to_width(&line, w));
    lines
}
