//! The pure view: draws the console state into a frame. No I/O, no `&mut`
//! state, the time passed in, so the same state always gives the same
//! screen (snapshots rely on it). Every text that came from a ticket was
//! sanitized by the worker before it reached the state; cells are cut by
//! display width here.

mod dashboard;
pub use dashboard::{dashboard_title, headline_groups};
mod detail;
mod escalation;
mod overlay;
mod queue;
mod runbooks;
mod wrap;

use super::action::Action;
use super::i18n::catalogue;
use super::state::{Console, Pane};
use crate::text::truncate_to_width;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Smallest size the console draws in; below it a one-line notice.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

pub fn render(f: &mut Frame, c: &Console, now: DateTime<Utc>) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Wrapped, so even a narrow window shows its size and the size needed.
        let t = catalogue(c.lang);
        let msg = format!(
            "{} ({}x{}); {} {MIN_WIDTH}x{MIN_HEIGHT}",
            t.too_small, area.width, area.height, t.too_small_needs
        );
        let lines = wrap::wrap(Line::from(msg), usize::from(area.width));
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    let status_lines = status_lines(c, area, now);
    let [tabs, banner, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_height(c)),
        Constraint::Min(1),
        Constraint::Length(u16::try_from(status_lines.len()).unwrap_or(1)),
    ])
    .areas(area);
    draw_tabs(f, c, tabs);
    draw_banner(f, c, banner);
    if c.split() {
        let [left, right] = Layout::horizontal([
            Constraint::Percentage(100 - super::state::DETAIL_PERCENT),
            Constraint::Percentage(super::state::DETAIL_PERCENT),
        ])
        .areas(body);
        queue::draw(f, c, left, now, c.focus == Pane::Queue);
        detail::draw(f, c, right, now, c.focus == Pane::Detail);
    } else {
        match c.focus {
            Pane::Queue => queue::draw(f, c, body, now, true),
            Pane::Detail => detail::draw(f, c, body, now, true),
            Pane::Escalation => escalation::draw(f, c, body),
            Pane::Runbooks => runbooks::draw(f, c, body),
            Pane::Dashboard => dashboard::draw(f, c, body, now),
        }
    }
    draw_status(f, c, status, status_lines);
    // A notice wrapped onto several lines (a configuration changed on
    // disk) stays whole in sight under a tall overlay, which would cover
    // all but its last line; a one-line status is covered as before.
    let over = Rect {
        height: area.height.saturating_sub(status.height.saturating_sub(1)),
        ..area
    };
    overlay::draw(f, c, over);
}

/// How far the detail can scroll: its wrapped lines minus one screen.
pub fn detail_max_scroll(c: &Console) -> usize {
    let Some(d) = &c.detail.detail else {
        return 0;
    };
    let split = c.width >= super::state::SPLIT_WIDTH;
    let width = if split {
        usize::from(c.width) * usize::from(super::state::DETAIL_PERCENT) / 100
    } else {
        usize::from(c.width)
    }
    .saturating_sub(2)
    .max(1);
    let rows: usize = detail::lines(c, d, &c.detail.log, d.ticket.updated_at)
        .into_iter()
        .map(|l| wrap::wrap(l, width).len())
        .sum();
    rows.saturating_sub(c.detail.height)
}

/// Lines the major-incident banner takes: one while any is being worked.
pub fn banner_height(c: &Console) -> u16 {
    u16::from(!c.majors.is_empty())
}

/// The banner: the newest major incident being worked, its service and
/// open reports, and how many others there are. The worker sanitized the
/// text; the whole line takes the banner style (reverse video in mono), so
/// it reads as an alarm without colour. A narrow line cuts the title, not
/// the count of open reports after it.
fn draw_banner(f: &mut Frame, c: &Console, area: Rect) {
    let Some(m) = c.majors.first() else {
        return;
    };
    if area.height == 0 {
        return;
    }
    let t = catalogue(c.lang);
    let head = format!(" {} {} ", t.major_banner, m.key);
    let mut tail = format!(
        " · {} · {}",
        m.service,
        t.reports_open.of(m.children_open as i64)
    );
    if c.majors.len() > 1 {
        tail.push_str(&format!(" · +{} {}", c.majors.len() - 1, t.major_more));
    }
    let width = usize::from(area.width);
    let fixed = crate::text::display_width(&head) + crate::text::display_width(&tail);
    let line = if fixed < width {
        // The title takes what is left; cut, it still ends in "…".
        let title = truncate_to_width(&m.title, width - fixed);
        truncate_to_width(&format!("{head}{title}{tail}"), width)
    } else {
        truncate_to_width(&format!("{head}{}{tail}", m.title), width)
    };
    f.render_widget(Paragraph::new(line).style(c.theme.banner), area);
}

/// Rows a list shows at a terminal height: (queue rows, other panes' rows).
/// Tabs and status take a line each, borders two, the queue's header one.
pub fn list_rows(height: u16) -> (usize, usize) {
    let inner = usize::from(height.saturating_sub(4));
    (inner.saturating_sub(1).max(1), inner.max(1))
}

/// The title bar: the tabs, the organisation and database, and who is at
/// the keyboard (or `read-only`). Who comes first: on a narrow terminal
/// the title goes, then the names of the tabs not in focus, then the
/// `guardia` mark, then the name of the tab in focus, so a read-only
/// console says so at any width.
fn draw_tabs(f: &mut Frame, c: &Console, area: Rect) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let width = usize::from(area.width);
    let who = match &c.identity.operator {
        Some(op) => format!(" {} {op} ", t.acting_as),
        None => format!(" {} ", t.read_only),
    };
    let who = truncate_to_width(&who, width);
    let room = width.saturating_sub(crate::text::display_width(&who));
    let spans = [TabNames::All, TabNames::Focused]
        .into_iter()
        .map(|names| tab_spans(c, true, names))
        .chain(
            [TabNames::Focused, TabNames::None]
                .into_iter()
                .map(|names| tab_spans(c, false, names)),
        )
        .find(|spans| spans.iter().map(Span::width).sum::<usize>() <= room);
    let mut spans = spans.unwrap_or_default();
    let used: usize = spans.iter().map(Span::width).sum();
    let room = room.saturating_sub(used);
    let title = truncate_to_width(&format!(" {}", c.title), room);
    let pad = room.saturating_sub(crate::text::display_width(&title));
    spans.push(Span::styled(title, th.dim));
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(who, th.key));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Which tabs of the title bar show their name besides their number.
#[derive(Clone, Copy)]
enum TabNames {
    All,
    Focused,
    None,
}

/// The `guardia` mark (when `brand`) and the five tabs, named as `names` says.
fn tab_spans(c: &Console, brand: bool, names: TabNames) -> Vec<Span<'static>> {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let labels = [t.queue, t.detail, t.escalation, t.runbooks, t.dashboard];
    let mut spans = Vec::new();
    if brand {
        spans.push(Span::styled(" guardia ", th.title));
    }
    for (i, (pane, name)) in Pane::ALL.iter().zip(labels).enumerate() {
        let active =
            *pane == c.focus || (c.split() && *pane == Pane::Detail && c.focus == Pane::Queue);
        let named = match names {
            TabNames::All => true,
            TabNames::Focused => *pane == c.focus,
            TabNames::None => false,
        };
        let label = if named {
            format!(" {} {} ", i + 1, name)
        } else {
            format!(" {} ", i + 1)
        };
        let style = if *pane == c.focus {
            th.tab_active
        } else if active {
            th.header
        } else {
            th.tab
        };
        spans.push(Span::styled(label, style));
    }
    spans
}

/// The status line: a notice (wrapped onto as many lines as it needs, up
/// to a third of the screen, so the end of a refusal, which says what to
/// do, is never cut off), else the `/` filter being typed, else the keys
/// of the pane; a background job's progress in front.
fn status_lines(c: &Console, area: Rect, now: DateTime<Utc>) -> Vec<Line<'static>> {
    let th = &c.theme;
    let width = usize::from(area.width);
    let job = c.job.as_ref().map(|job| {
        let secs = (now - job.started).num_seconds().max(0);
        let spin = ["|", "/", "-", "\\"][(secs % 4) as usize];
        Span::styled(format!("[{spin} {} {secs}s] ", job.label), th.warn)
    });
    if let Some(n) = &c.notice {
        let (style, mark) = match (n.error, n.neutral) {
            (true, _) => (th.error, "! "),
            (false, true) => (th.warn, "· "),
            (false, false) => (th.ok, "✓ "),
        };
        let mut spans: Vec<Span<'static>> = job.into_iter().collect();
        spans.push(Span::styled(
            format!("{mark}{}", crate::text::sanitize_line(&n.text)),
            style,
        ));
        let most = if n.one_line {
            1
        } else {
            usize::from(area.height / 3).max(1)
        };
        let lines = wrap::wrap(Line::from(spans), width);
        return clip_lines(lines, most, width, style);
    }
    let mut line = if let Some(input) = &c.queue.typing {
        Line::from(vec![
            Span::styled("/", th.key),
            Span::raw(truncate_to_width(&input.text, width.saturating_sub(2))),
        ])
    } else if c.overlays.is_empty() {
        hints(c, width)
    } else {
        // A menu, prompt or form on top takes the keys (j types a letter
        // in a form): the pane's hints would be wrong, and each overlay
        // shows its own keys in its box.
        Line::default()
    };
    if let Some(job) = job {
        line.spans.insert(0, job);
    }
    vec![line]
}

/// At most `most` lines, the last ending in "…" when some are left out, so
/// the cut is visible.
pub(super) fn clip_lines(
    mut lines: Vec<Line<'static>>,
    most: usize,
    width: usize,
    style: Style,
) -> Vec<Line<'static>> {
    if lines.len() > most {
        lines.truncate(most);
        if let Some(last) = lines.pop() {
            let text = truncate_to_width(&last.to_string(), width.saturating_sub(1));
            lines.push(Line::from(Span::styled(
                format!("{}…", text.trim_end()),
                style,
            )));
        }
    }
    lines
}

fn draw_status(f: &mut Frame, c: &Console, area: Rect, lines: Vec<Line<'static>>) {
    f.render_widget(Paragraph::new(lines), area);
    if c.notice.is_none()
        && let Some(input) = &c.queue.typing
        && c.overlays.is_empty()
    {
        let typed =
            u16::try_from(crate::text::display_width(input.before_cursor())).unwrap_or(u16::MAX);
        let x = area.x.saturating_add(1).saturating_add(typed);
        f.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// The most useful keys of the focused pane, read from the live keymap.
fn hints(c: &Console, width: usize) -> Line<'static> {
    use Action::*;
    let th = &c.theme;
    let wanted: &[Action] = match c.focus {
        Pane::Queue => &[
            Help,
            Open,
            Filter,
            FilterMenu,
            ViewsMenu,
            ToggleMark,
            AssignToMe,
            ChangeStatus,
            NewTicket,
            Quit,
        ],
        Pane::Detail => &[
            Help,
            Back,
            Comment,
            Worklog,
            ChangeStatus,
            Escalate,
            Reject,
            SetField,
            Quit,
        ],
        Pane::Escalation => &[
            Help,
            MoveDown,
            Escalate,
            CopyDossier,
            WriteDossier,
            Back,
            Quit,
        ],
        Pane::Runbooks => &[Help, RunRunbook, ToggleStep, Back, Quit],
        Pane::Dashboard => &[Help, Refresh, Back, Quit],
    };
    let mut spans = Vec::new();
    let mut used = 0;
    for a in wanted {
        let Some(k) = c.keymap.hint(c.focus.contexts(), *a) else {
            continue;
        };
        let key = crate::text::sanitize_line(&k.to_string());
        let desc = a.describe(c.lang);
        let w = key.chars().count() + desc.chars().count() + 3;
        if used + w > width {
            break;
        }
        used += w;
        spans.push(Span::styled(key, th.key));
        spans.push(Span::styled(format!(" {desc}  "), th.dim));
    }
    Line::from(spans)
}

/// A bordered block whose border shows focus.
fn block(c: &Console, title: String, focused: bool) -> Block<'static> {
    let th = &c.theme;
    let style = if focused { th.border_focus } else { th.border };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(
            title,
            if focused { th.title } else { Style::default() },
        ))
}

/// Short age: 45m, 17h, 3d, 12w.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let mins = (now - then).num_minutes().max(0);
    match mins {
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h", m / 60),
        m if m < 14 * 24 * 60 => format!("{}d", m / (24 * 60)),
        m => format!("{}w", m / (7 * 24 * 60)),
    }
}

/// `P1 Crítica`-style label: the rank is text, so colour is never the only cue.
/// A priority the configuration no longer lists is `P?`: it has no rank,
/// and `P0` would read as more urgent than `P1`.
pub fn priority_label(c: &Console, id: &str) -> (String, Style) {
    let rank = c.config.priority_rank(id);
    let th = &c.theme;
    let style = match rank {
        Some(0) => th.prio_top,
        Some(1) => th.prio_high,
        _ => th.base,
    };
    let label = rank.map_or_else(|| "P?".to_string(), |r| format!("P{}", r + 1));
    (label, style)
}
