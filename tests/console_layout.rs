//! How the console's panes fit what they hold into small and narrow
//! terminals: every contact of the escalation matrix and the level under
//! the cursor in sight, runbook items readable whole, the Spanish
//! dashboard's figures and headings, the SLA chart's 0 % days, who is at
//! the keyboard (or that nobody is) at any width, the major-incident
//! banner's count, the detail after the window grows, and a priority the
//! configuration no longer lists. Rendered into ratatui's `TestBackend`
//! from the hostile fixtures of `tests/common/console.rs`.

mod common;

use common::console::{DETAIL_KEY, Fake, render, screen};
use guardia::config::Lang;
use guardia::text::sanitize_line;
use guardia::tui::msg::{MajorBrief, Msg, Reply};
use guardia::tui::state::Console;
use guardia::tui::theme::Theme;
use guardia::tui::update::update;

/// A console on the hostile fixtures after `keys`, and its screen.
fn after(fake: &Fake, lang: Lang, w: u16, h: u16, keys: &str) -> (Console, String) {
    let mut c = fake.console(lang, Theme::default16(), w, h);
    fake.press(&mut c, keys);
    let text = screen(&render(&c, w, h));
    (c, text)
}

/// The screen's text inside the pane borders, lines joined by a space and
/// runs of spaces made one, so a text wrapped onto several lines reads as
/// it was written.
fn flowing(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ----- the escalation matrix -----

#[test]
fn every_contact_of_a_level_shows_at_80_columns() {
    let fake = Fake::hostile();
    // The cursor starts on level 2, which has two contacts.
    let (_, text) = after(&fake, Lang::En, 80, 24, "enter 3");
    let shown = flowing(&text);
    for needle in [
        "Diego Morales Vélez · +57 601 555 0142",
        "Elena Gutiérrez Salazar · +57 601 555 0143",
        "elena.gutierrez@example.org · Lunes a viernes 07:30–17:30",
    ] {
        assert!(shown.contains(needle), "{needle} missing:\n{text}");
    }
    // Level 5's second contact is the only one with a phone.
    let (c, text) = after(&fake, Lang::En, 80, 24, "enter 3 j j j");
    assert_eq!(c.escalation.cursor, 4);
    let shown = flowing(&text);
    for needle in [
        "Portal de soporte del fabricante",
        "Héctor Lozano Rey · +57 601 555 0190",
        "hector.lozano@example.org",
    ] {
        assert!(shown.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn the_matrix_keeps_the_level_under_the_cursor_in_sight() {
    let fake = Fake::hostile();
    for (w, h) in [(60, 15), (40, 10), (80, 24)] {
        for (down, level, name) in [
            (2, 4, "Business-systems"),
            (3, 5, "Vendor (factory)"),
            (0, 2, "Service manager"),
        ] {
            let keys = format!("enter 3{}", " j".repeat(down));
            let (c, text) = after(&fake, Lang::En, w, h, &keys);
            assert_eq!(c.escalation.cursor, level - 1, "{w}x{h} {keys}");
            let head = format!(" {level} {}", &name[..(usize::from(w) / 4).min(name.len())]);
            assert!(
                text.contains(&head),
                "{w}x{h} {keys}: {head:?} missing:\n{text}"
            );
        }
    }
    // Back up to the top, and the ticket's own level shows again.
    let (_, text) = after(&fake, Lang::En, 60, 15, "enter 3 j j j k k k k");
    assert!(text.contains("▶1 Help-desk"), "{text}");
    // Where there is room, the cursor's level shows its contacts too.
    let (_, text) = after(&fake, Lang::En, 60, 15, "enter 3 j j");
    assert!(text.contains("Gloria Henao Patiño"), "{text}");
}

// ----- runbooks -----

#[test]
fn runbook_items_are_wrapped_not_cut() {
    let fake = Fake::hostile();
    let (c, _) = after(&fake, Lang::En, 80, 24, "enter 4");
    // The monitoring runbook's items differ only past the 80th column.
    let items: Vec<String> = c.config.runbooks[0]
        .items
        .iter()
        .map(|i| i.text.clone())
        .collect();
    assert!(items.len() > 10);
    let mut seen = String::new();
    for down in 0..=items.len() {
        let keys = format!("enter 4{}", " j".repeat(down));
        let (_, text) = after(&fake, Lang::En, 80, 24, &keys);
        assert!(!text.contains("…│"), "an item is cut:\n{text}");
        seen.push_str(&flowing(&text));
        seen.push('\n');
    }
    for item in &items {
        assert!(seen.contains(item.as_str()), "{item:?} never shown whole");
    }
}

// ----- the dashboard -----

#[test]
fn the_spanish_dashboard_fits_80_columns() {
    let fake = Fake::hostile();
    let (_, text) = after(&fake, Lang::Es, 80, 24, "5");
    for needle in [
        "SLA 100.0/50.0%",
        "SLA 95.7/78.3%",
        "escal. 9 rech. 4 reabiertos 3",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    // The headings of the four counts, each whole and apart.
    let row = text
        .lines()
        .find(|l| l.contains("Por prioridad"))
        .unwrap_or_else(|| panic!("no headings:\n{text}"));
    for heading in [
        "Por prioridad ",
        "Por estado ",
        "Por nivel ",
        "Por operador ",
    ] {
        assert!(row.contains(heading), "{heading:?} in {row:?}");
    }
    assert!(!row.contains('…'), "{row}");
    // English keeps the long headings, which fit.
    let (_, text) = after(&fake, Lang::En, 80, 24, "5");
    assert!(text.contains("Open by priority "), "{text}");
}

/// The row of the dashboard where the charts' bars stand, just above the
/// oldest tickets.
fn chart_floor(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("Oldest open"))
        .unwrap_or_else(|| panic!("no oldest list:\n{text}"));
    lines[at - 1].to_string()
}

#[test]
fn a_day_whose_resolutions_all_breached_is_not_drawn_as_a_day_without_any() {
    let mut fake = Fake::hostile();
    let kpis = fake.dashboard.kpis.as_mut().expect("fixture indicators");
    // No day with resolutions but the last, when all breached.
    for v in kpis.resolution_met_per_day.iter_mut() {
        *v = None;
    }
    let (_, none) = after(&fake, Lang::En, 120, 40, "5");
    let kpis = fake.dashboard.kpis.as_mut().expect("fixture indicators");
    if let Some(last) = kpis.resolution_met_per_day.last_mut() {
        *last = Some(0);
    }
    let (_, zero) = after(&fake, Lang::En, 120, 40, "5");
    assert!(!chart_floor(&none).contains('0'), "{none}");
    assert!(!chart_floor(&none).contains('▁'), "{none}");
    assert!(chart_floor(&zero).contains('0'), "{zero}");
    // A day with a few met shows at least the lowest bar.
    let kpis = fake.dashboard.kpis.as_mut().expect("fixture indicators");
    if let Some(last) = kpis.resolution_met_per_day.last_mut() {
        *last = Some(10);
    }
    let (_, few) = after(&fake, Lang::En, 120, 40, "5");
    assert!(chart_floor(&few).contains('▁'), "{few}");
}

// ----- the title bar and the banner -----

#[test]
fn who_is_at_the_keyboard_shows_at_every_width() {
    let fake = Fake::hostile();
    for lang in [Lang::En, Lang::Es] {
        for operator in [Some("ana"), None] {
            for w in 30..=130 {
                let mut c = fake.console(lang, Theme::default16(), w, 24);
                c.identity.operator = operator.map(str::to_string);
                let text = screen(&render(&c, w, 24));
                let top = text.lines().next().unwrap_or_default().trim_end();
                let who = match (operator, lang) {
                    (Some(_), Lang::En) => "as ana",
                    (Some(_), Lang::Es) => "como ana",
                    (None, Lang::En) => "read-only",
                    (None, Lang::Es) => "solo lectura",
                };
                assert!(top.ends_with(who), "{w} columns: {top:?}");
                // The focused tab keeps its number at least.
                assert!(top.contains(" 1 "), "{w} columns: {top:?}");
            }
        }
    }
    // Wide enough, every tab keeps its name.
    let (_, text) = after(&fake, Lang::En, 80, 24, "");
    assert!(text.starts_with(" guardia  1 Queue  2 Detail  3 Escalation  4 Runbooks  5 Dashboard"));
}

#[test]
fn the_banner_cuts_the_title_before_the_count_of_open_reports() {
    let fake = Fake::hostile();
    for w in [60, 70, 80] {
        let mut c = fake.console(Lang::En, Theme::default16(), w, 24);
        let majors = vec![MajorBrief {
            key: DETAIL_KEY.to_string(),
            title: sanitize_line("Caída general del portal de facturación en todas las sedes"),
            service: "osf".into(),
            children_open: 12,
            children: 14,
        }];
        update(&mut c, Msg::Reply(Reply::Majors(majors)));
        let text = screen(&render(&c, w, 24));
        let banner = text.lines().nth(1).unwrap_or_default();
        assert!(
            banner.starts_with(" ⚠ MAJOR INCIDENT BOG-25 Caída"),
            "{banner}"
        );
        assert!(banner.contains("… · osf · 12 open reports"), "{banner}");
    }
}

// ----- the detail -----

#[test]
fn a_window_grown_after_scrolling_shows_the_detail_to_its_last_row() {
    let fake = Fake::hostile();
    let (mut c, _) = after(&fake, Lang::En, 60, 15, "enter G");
    assert!(c.detail.scroll > 0);
    update(&mut c, Msg::Resize(100, 40));
    let text = screen(&render(&c, 100, 40));
    let rows: Vec<&str> = text.lines().collect();
    // The box's last inner row (above its border and the status line)
    // holds the timeline's last entry, not a blank.
    let last = rows[rows.len() - 3].trim_matches(|c: char| c == '│' || c.is_whitespace());
    assert!(!last.is_empty(), "{text}");
    let first = rows[1].trim_matches(|c: char| c == '│' || c.is_whitespace());
    assert!(!first.is_empty(), "{text}");
}

// ----- priorities -----

#[test]
fn a_priority_no_longer_configured_never_reads_as_p0() {
    let mut fake = Fake::hostile();
    let gone = "urgentisima";
    if let Some(row) = fake.rows.iter_mut().find(|r| r.ticket.key == DETAIL_KEY) {
        row.ticket.priority = gone.into();
    }
    fake.dashboard.open_by_priority.push((gone.into(), 1));
    let (_, queue) = after(&fake, Lang::En, 80, 24, "");
    let row = queue
        .lines()
        .find(|l| l.contains(DETAIL_KEY))
        .unwrap_or_else(|| panic!("{queue}"));
    assert!(row.contains(" P?  "), "{row}");
    let (_, dash) = after(&fake, Lang::En, 80, 24, "5");
    assert!(dash.contains("P? urgen"), "{dash}");
    for text in [&queue, &dash] {
        assert!(!text.contains("P0"), "{text}");
    }
    // Ranked last on the dashboard, after the least urgent.
    assert!(dash.find("P4 low") < dash.find("P? urgen"), "{dash}");
}

/// A clock that warned and then paused (the ticket waits on the customer)
/// is not about to breach: its cell says paused as well as warned, where
/// `~1h` alone read as "breaches in an hour"; one that breached before it
/// paused says so too, where `!0m` read as "just breached".
#[test]
fn a_clock_that_waits_shows_as_paused_whatever_it_reached() {
    use guardia::domain::sla::ClockState;
    use guardia::tui::msg::SlaBrief;
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 100, 24);
    let key = c.queue.rows[0].ticket.key.clone();
    let generation = c.queue.generation;
    let brief = |state, remaining_minutes, paused| SlaBrief {
        state,
        remaining_minutes,
        response: false,
        paused,
    };
    for (clock, cell) in [
        (brief(ClockState::Warned, 90, false), " ~1h "),
        (brief(ClockState::Warned, 90, true), " ‖~1h "),
        (brief(ClockState::Breached, -90, false), " !1h "),
        (brief(ClockState::Breached, 0, true), " ‖!0m "),
    ] {
        let paused = clock.paused;
        update(
            &mut c,
            Msg::Reply(Reply::Sla {
                generation,
                clocks: vec![(key.clone(), clock)],
            }),
        );
        let text = screen(&render(&c, 100, 24));
        let row = text
            .lines()
            .find(|l| l.contains(&key))
            .unwrap_or_else(|| panic!("{key} not on screen:\n{text}"));
        assert!(row.contains(cell), "paused {paused}: {row}");
    }
}
