//! Overlays drawn over the panes: help (from the live keymap), palette,
//! menus, prompts, the dossier form, the new-ticket form, quit confirmation.

use crate::text::{display_width, pad_to_width, sanitize_line, truncate_to_width};
use crate::tui::forms::palette_matches;
use crate::tui::i18n::catalogue;
use crate::tui::input::TextInput;
use crate::tui::state::{Console, Overlay, target_label};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(f: &mut Frame, c: &Console, area: Rect) {
    // Only the top overlay is drawn; the ones below wait their turn.
    let Some(top) = c.overlays.last() else {
        return;
    };
    let target = target_label(&top.target(), c.lang);
    match top {
        Overlay::Help { scroll } => help(f, c, area, *scroll),
        Overlay::Palette { input, selected } => palette(f, c, area, input, *selected),
        Overlay::Menu {
            title,
            items,
            selected,
            ..
        } => {
            let lines: Vec<Line> = items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let l = Line::from(format!(" {}", sanitize_line(&it.label)));
                    if i == *selected {
                        l.style(c.theme.selected)
                    } else {
                        l
                    }
                })
                .collect();
            let h = (lines.len() as u16).saturating_add(3);
            let r = centered(area, 60, h);
            let mut lines = scroll_to(lines, *selected, usize::from(r.height.saturating_sub(3)));
            lines.push(Line::from(Span::styled(
                catalogue(c.lang).menu_hint,
                c.theme.dim,
            )));
            frame(f, c, r, title, target.as_deref(), lines);
        }
        Overlay::Prompt {
            title,
            input,
            error,
            info,
            ..
        } => {
            let w = centered(area, 70, 5).width.saturating_sub(2);
            // A refusal is shown whole under the text, as far as half the
            // screen allows: what to do is at its end.
            let most = usize::from(area.height / 2).saturating_sub(4).max(1);
            let error_lines: Vec<Line> = error
                .iter()
                .flat_map(|e| {
                    super::wrap::wrap(
                        Line::from(Span::styled(
                            format!("! {}", sanitize_line(e)),
                            c.theme.error,
                        )),
                        usize::from(w),
                    )
                })
                .collect();
            let error_lines = super::clip_lines(error_lines, most, usize::from(w), c.theme.error);
            // Wrapped, not cut: each starts with what matters (a key).
            let info_lines: Vec<Line> = info
                .iter()
                .flat_map(|l| super::wrap::wrap(Line::from(sanitize_line(l)), usize::from(w)))
                .collect();
            let h = 5 + u16::try_from(error_lines.len() + info_lines.len()).unwrap_or(0);
            let r = centered(area, 70, h);
            let mut lines = vec![input_line(c, input, usize::from(w), true)];
            lines.extend(error_lines);
            lines.extend(info_lines);
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                catalogue(c.lang).input_hint,
                c.theme.dim,
            )));
            frame(f, c, r, title, target.as_deref(), lines);
            cursor(f, r.x + 1, r.y + 1, input, r.width.saturating_sub(2));
        }
        Overlay::Dossier(form) => dossier_form(f, c, area, form),
        Overlay::NewTicket(form) => {
            let t = catalogue(c.lang);
            let th = &c.theme;
            let r = centered(area, 96, area.height.saturating_sub(2));
            let w = usize::from(r.width.saturating_sub(2));
            let label_w = 26.min(w / 3);
            let mut lines = Vec::new();
            let mut cursor_row = None;
            let mut selected_row = 0;
            for (i, fl) in form.fields.iter().enumerate() {
                let sel = i == form.selected;
                if sel {
                    selected_row = lines.len();
                }
                let req = if fl.required { "*" } else { " " };
                let label = pad_to_width(&format!("{req}{}", fl.label), label_w);
                let value = if fl.choices.is_empty() {
                    fl.input.text.clone()
                } else {
                    let name = fl
                        .choices
                        .iter()
                        .find(|ch| ch.value == fl.input.text)
                        .map_or(fl.input.text.as_str(), |ch| ch.label.as_str());
                    format!("◀ {name} ▶")
                };
                let mut spans = vec![
                    Span::styled(format!("{label} "), if sel { th.title } else { th.dim }),
                    Span::styled(
                        truncate_to_width(&value, w.saturating_sub(label_w + 1)),
                        if sel { th.selected } else { th.base },
                    ),
                ];
                if let Some(e) = &fl.error {
                    spans.push(Span::styled(format!("  ! {e}"), th.error));
                }
                if sel && fl.choices.is_empty() {
                    cursor_row = Some((lines.len(), label_w + 1));
                }
                lines.push(Line::from(spans));
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", t.priority_preview), th.header),
                Span::styled(form.priority_preview.clone(), th.prio_top),
            ]));
            if !form.similar.is_empty() {
                lines.push(Line::from(Span::styled(t.similar_open, th.header)));
                for (k, title) in &form.similar {
                    lines.push(Line::from(truncate_to_width(&format!("  {k}  {title}"), w)));
                }
            }
            let visible = usize::from(r.height.saturating_sub(2));
            // On a terminal too small for the whole form, an error on
            // submitting is pinned above the fields, where it cannot scroll
            // away (a third of the form at most); the fields scroll with the
            // focused one, as in the dossier form. Everything is counted in
            // screen rows: an inline error that wraps takes more than one.
            let marks = cursor_row.or(Some((selected_row, 0)));
            let (mut lines, marks) = wrap_all(lines, w, marks);
            let (selected_row, _) = marks.unwrap_or((0, 0));
            let cursor_row = cursor_row.and(marks);
            // After one Esc with text typed, what a second one would do.
            let discard = form
                .discard_armed
                .then(|| discard_words(c, crate::tui::forms::new_ticket_typed(form)));
            let error: Vec<Line> = discard
                .iter()
                .chain(form.error.iter().filter(|_| !form.discard_armed))
                .flat_map(|e| {
                    super::wrap::wrap(
                        Line::from(Span::styled(format!("! {}", sanitize_line(e)), th.error)),
                        w,
                    )
                })
                .collect();
            let pinned = if !error.is_empty() && lines.len() + error.len() + 1 > visible {
                super::clip_lines(error, (visible / 3).max(1), w, th.error)
            } else {
                lines.extend(error);
                Vec::new()
            };
            lines.extend(super::wrap::wrap(
                Line::from(Span::styled(t.form_hint, th.dim)),
                w,
            ));
            let on_top = pinned.len();
            let room = visible.saturating_sub(on_top).max(1);
            // The focused field's row stays in sight, with the next one
            // when there is room.
            let skip = (selected_row + 2).saturating_sub(room).min(selected_row);
            let lines: Vec<Line> = pinned
                .into_iter()
                .chain(lines.into_iter().skip(skip))
                .collect();
            frame(f, c, r, t.new_ticket, None, lines);
            if let Some((row, x)) = cursor_row
                && let Some(fl) = form.fields.get(form.selected)
                && row >= skip
            {
                let y = r.y + 1 + (on_top + row - skip) as u16;
                if y < r.bottom().saturating_sub(1) {
                    let room = r.width.saturating_sub(2 + x as u16);
                    cursor(f, r.x + 1 + x as u16, y, &fl.input, room);
                }
            }
        }
    }
}

/// "Esc again discards what you typed (3 fields); any other key goes on
/// editing".
fn discard_words(c: &Console, typed: usize) -> String {
    let t = catalogue(c.lang);
    format!(
        "{} ({}); {}",
        t.discard_confirm_head,
        t.typed_fields.of(typed as i64),
        t.discard_confirm_tail
    )
}

/// Below this inner width a dossier field's label and value take a line
/// each: side by side, a label cut to a few letters says nothing.
const DOSSIER_STACKED_BELOW: usize = 60;

/// The escalation dossier form: what is still missing (or that it is
/// complete), the keys, then each missing field with its label, what was
/// typed and a mark (`✗` empty, `!` not a value of the field's kind, `✓`),
/// the focused field's help and each bad value's reason under it, wrapped
/// whole; then what the ticket already documents.
fn dossier_form(f: &mut Frame, c: &Console, area: Rect, form: &crate::tui::state::DossierForm) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let r = centered(area, 90, area.height.saturating_sub(2));
    let w = usize::from(r.width.saturating_sub(2));
    let empty: Vec<&str> = form
        .missing
        .iter()
        .filter(|m| m.input.text.trim().is_empty())
        .map(|m| m.label.as_str())
        .collect();
    let problems: Vec<Option<String>> = form
        .missing
        .iter()
        .map(|m| crate::tui::forms::dossier_value_problem(c, m))
        .collect();
    let bad: Vec<&str> = form
        .missing
        .iter()
        .zip(&problems)
        .filter(|(_, p)| p.is_some())
        .map(|(m, _)| m.label.as_str())
        .collect();
    let (head, style) = if !empty.is_empty() {
        (
            format!(
                "{} {}: {}",
                t.dossier_missing_n.word(empty.len() as i64),
                empty.len(),
                empty.join(", ")
            ),
            th.missing,
        )
    } else if !bad.is_empty() {
        (
            format!("{} {}: {}", t.dossier_to_correct, bad.len(), bad.join(", ")),
            th.error,
        )
    } else {
        (format!("✓ {} (Ctrl-s)", t.dossier_complete), th.ok)
    };
    let head = super::wrap::wrap(Line::from(Span::styled(head, style)), w);
    // What Esc again would do, or why Ctrl-s was refused: under the head,
    // or pinned above everything when the form does not fit, so that it
    // never scrolls away with the fields.
    let notice = if form.discard_armed {
        Some(discard_words(c, crate::tui::forms::dossier_typed(form)))
    } else {
        form.error.as_deref().map(sanitize_line)
    };
    let notice: Vec<Line> = notice
        .iter()
        .flat_map(|n| super::wrap::wrap(Line::from(Span::styled(format!("! {n}"), th.error)), w))
        .collect();
    let mut body = vec![Line::from(Span::styled(t.dossier_hint, th.dim))];
    let stacked = w < DOSSIER_STACKED_BELOW;
    // Side by side: the label column, cut with a space before the value.
    let label_w = form
        .missing
        .iter()
        .map(|m| display_width(&m.label) + 2)
        .max()
        .unwrap_or(0)
        .min(w / 3)
        + 1;
    let mut cursor_at = None;
    for (i, (m, problem)) in form.missing.iter().zip(&problems).enumerate() {
        let sel = i == form.selected;
        let typed = !m.input.text.trim().is_empty();
        let mark = match (typed, problem.is_some()) {
            (false, _) => "✗",
            (true, true) => "!",
            (true, false) => "✓",
        };
        let label_style = if sel {
            th.title
        } else if !typed {
            th.missing
        } else if problem.is_some() {
            th.error
        } else {
            th.base
        };
        let label = format!("{mark} {}", m.label);
        if stacked {
            body.push(Line::from(Span::styled(label, label_style)));
            if sel {
                cursor_at = Some((body.len(), 2));
            }
            let mut spans = vec![Span::raw("  ")];
            spans.extend(input_line(c, &m.input, w.saturating_sub(2), sel).spans);
            body.push(Line::from(spans));
        } else {
            if sel {
                cursor_at = Some((body.len(), label_w));
            }
            let cut = truncate_to_width(&label, label_w.saturating_sub(1));
            let mut spans = vec![Span::styled(pad_to_width(&cut, label_w), label_style)];
            spans.extend(input_line(c, &m.input, w.saturating_sub(label_w), sel).spans);
            body.push(Line::from(spans));
        }
        if let Some(p) = problem {
            body.push(Line::from(Span::styled(
                format!("  ! {}", sanitize_line(p)),
                th.error,
            )));
        }
        // Wrapped with the rest, never cut: it says what to type.
        if sel && let Some(h) = &m.help {
            body.push(Line::from(Span::styled(
                format!("  {}", sanitize_line(h)),
                th.dim,
            )));
        }
    }
    if !form.present.is_empty() {
        body.push(Line::from(Span::styled(t.saved, th.header)));
        for (label, value) in &form.present {
            body.push(Line::from(truncate_to_width(
                &format!("✓ {label}: {}", sanitize_line(value)),
                w,
            )));
        }
    }
    let title = format!(
        "{} {} → {} {}",
        t.dossier_for, form.key, form.level, form.level_name
    );
    let visible = usize::from(r.height.saturating_sub(2));
    // Counted in screen rows: a long error or help wraps.
    let (body, cursor_at) = wrap_all(body, w, cursor_at);
    let fits = head.len() + notice.len() + body.len() <= visible;
    let (pinned, mut lines) = if fits {
        (
            Vec::new(),
            head.into_iter().chain(notice).collect::<Vec<_>>(),
        )
    } else {
        (
            super::clip_lines(notice, (visible / 3).max(1), w, th.error),
            head,
        )
    };
    let cursor_at = cursor_at.map(|(at, x)| (lines.len() + at, x));
    lines.extend(body);
    let on_top = pinned.len();
    let room = visible.saturating_sub(on_top).max(1);
    // The focused field stays in sight, with the line after it.
    let skip = cursor_at.map_or(0, |(at, _)| (at + 2).saturating_sub(room).min(at));
    let lines: Vec<Line> = pinned
        .into_iter()
        .chain(lines.into_iter().skip(skip))
        .collect();
    frame(f, c, r, &title, None, lines);
    if let (Some((at, x)), Some(m)) = (cursor_at, form.missing.get(form.selected)) {
        let y = r.y + 1 + (on_top + at - skip) as u16;
        if y < r.bottom().saturating_sub(1) {
            let room = r.width.saturating_sub(2 + x as u16);
            cursor(f, r.x + 1 + x as u16, y, &m.input, room);
        }
    }
}

/// A bordered overlay titled `title`, then the tickets it acts on: the
/// title is cut first, so the target stays in sight however long it is.
fn frame(f: &mut Frame, c: &Console, r: Rect, title: &str, target: Option<&str>, lines: Vec<Line>) {
    f.render_widget(Clear, r);
    let room = usize::from(r.width.saturating_sub(2));
    // Titles carry configuration text (runbook items, labels): neutralised too.
    let title = sanitize_line(title);
    let text = match target.map(sanitize_line) {
        Some(target) => {
            let tail = format!(" · {target} ");
            let head = room.saturating_sub(display_width(&tail) + 1);
            if head >= 4 {
                format!(" {}{tail}", truncate_to_width(&title, head))
            } else {
                format!(" {target} · {title} ")
            }
        }
        None => format!(" {title} "),
    };
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(c.theme.border_focus)
        .title(Span::styled(truncate_to_width(&text, room), c.theme.title));
    f.render_widget(Paragraph::new(lines).block(b).wrap(Wrap { trim: false }), r);
}

/// Lines wrapped to `width`, and where the marked line (row, column) is
/// after wrapping: its first screen row.
fn wrap_all(
    lines: Vec<Line<'static>>,
    width: usize,
    mark: Option<(usize, usize)>,
) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let mut out = Vec::new();
    let mut moved = None;
    for (i, line) in lines.into_iter().enumerate() {
        if let Some((row, x)) = mark
            && row == i
        {
            moved = Some((out.len(), x));
        }
        out.extend(super::wrap::wrap(line, width));
    }
    (out, moved)
}

/// A rectangle of at most `w`×`h` in the middle of `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    // On narrow screens the overlay takes the whole width rather than
    // leaving a column of the pane's border beside its own.
    let w = if w.saturating_add(2) >= area.width {
        area.width
    } else {
        w
    };
    let h = h.min(area.height.saturating_sub(1)).max(3.min(area.height));
    Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    }
}

/// The visible tail of a text field: what fits, ending at the cursor.
fn visible_input(input: &TextInput, width: usize) -> String {
    let before = input.before_cursor();
    if display_width(before) < width {
        return truncate_to_width(&input.text, width);
    }
    let chars: Vec<char> = before.chars().collect();
    let mut start = chars.len();
    let mut used = 0;
    while start > 0 {
        let w = display_width(&chars[start - 1].to_string());
        if used + w >= width {
            break;
        }
        used += w;
        start -= 1;
    }
    chars[start..].iter().collect()
}

fn input_line(c: &Console, input: &TextInput, width: usize, selected: bool) -> Line<'static> {
    let text = pad_to_width(&visible_input(input, width), width);
    Line::from(Span::styled(
        text,
        if selected {
            c.theme.selected
        } else {
            c.theme.header
        },
    ))
}

fn cursor(f: &mut Frame, x: u16, y: u16, input: &TextInput, width: u16) {
    let shown = visible_input(input, usize::from(width));
    let before = input.before_cursor();
    let offset = display_width(before).min(display_width(&shown));
    f.set_cursor_position((x + offset as u16, y));
}

/// Keeps the selected line visible in `height` lines.
fn scroll_to(lines: Vec<Line<'static>>, selected: usize, height: usize) -> Vec<Line<'static>> {
    let skip = (selected + 1).saturating_sub(height.max(1));
    lines.into_iter().skip(skip).take(height.max(1)).collect()
}

fn help(f: &mut Frame, c: &Console, area: Rect, scroll: usize) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let r = centered(area, 100, area.height.saturating_sub(2));
    let contexts = c.focus.contexts();
    let mut lines = Vec::new();
    let bindings = c.keymap.bindings();
    for ctx in contexts {
        let heading = lines.len();
        lines.push(Line::from(Span::styled(
            ctx.describe(c.lang).to_string(),
            th.header,
        )));
        let mut seen: Vec<crate::tui::action::Action> = Vec::new();
        for (bc, _, action) in &bindings {
            if bc != ctx || seen.contains(action) {
                continue;
            }
            seen.push(*action);
            // Only keys that really reach the action from this pane, and
            // only actions that do something there.
            if !crate::tui::update::reaches(c.focus, *action) {
                continue;
            }
            let keys: Vec<String> = c
                .keymap
                .keys_for(*ctx, *action)
                .into_iter()
                .filter(|k| c.keymap.action(contexts, *k) == Some(*action))
                .map(|k| sanitize_line(&k.to_string()))
                .collect();
            if keys.is_empty() {
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(format!("  {} ", pad_to_width(&keys.join(" "), 22)), th.key),
                Span::raw(action.describe(c.lang).to_string()),
            ]));
        }
        // A context with nothing that acts here (the queue's own, empty in
        // the built-in keymap) is left out rather than shown empty.
        if lines.len() == heading + 1 {
            lines.pop();
        }
    }
    let visible = usize::from(r.height.saturating_sub(2));
    let skip = scroll.min(lines.len().saturating_sub(visible));
    let lines = lines.into_iter().skip(skip).collect();
    frame(
        f,
        c,
        r,
        &format!("{} (j/k, Esc)", t.help_title),
        None,
        lines,
    );
}

fn palette(f: &mut Frame, c: &Console, area: Rect, input: &TextInput, selected: usize) {
    let t = catalogue(c.lang);
    let th = &c.theme;
    let r = centered(area, 80, area.height.saturating_sub(4));
    let w = usize::from(r.width.saturating_sub(2));
    let matches = palette_matches(c, &input.text);
    let mut lines = vec![input_line(c, input, w, true)];
    let rows: Vec<Line> = matches
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let key = c
                .keymap
                .hint(c.focus.contexts(), *a)
                .map(|k| sanitize_line(&k.to_string()))
                .unwrap_or_default();
            let l = Line::from(vec![
                Span::raw(format!(
                    " {} ",
                    pad_to_width(a.describe(c.lang), w.saturating_sub(34))
                )),
                Span::styled(pad_to_width(a.name(), 20), th.dim),
                Span::styled(format!(" {key}"), th.key),
            ]);
            if i == selected {
                l.style(th.selected)
            } else {
                l
            }
        })
        .collect();
    // The hint lists the typed commands (goto, assign, …): wrapped whole
    // under the actions, which give up the rows it takes.
    let hint = super::wrap::wrap(Line::from(Span::styled(t.palette_hint, th.dim)), w);
    let room = usize::from(r.height.saturating_sub(3)).saturating_sub(hint.len());
    lines.extend(scroll_to(rows, selected, room));
    lines.extend(hint);
    frame(f, c, r, t.palette_title, None, lines);
    cursor(f, r.x + 1, r.y + 1, input, r.width.saturating_sub(2));
}
