//! Snapshots of every pane and overlay of the console, rendered into
//! ratatui's `TestBackend` at 80x24 and 120x40 from hostile fixtures that
//! went through the worker's sanitizing; plus the mono theme's styles, a
//! sweep that no control or bidi character reaches a cell, and renders at
//! sizes too small to be useful, which must not panic.
//!
//! Snapshots live in `tests/snapshots/`; write new ones with
//! `INSTA_UPDATE=always cargo test --test console_snapshots` and review them.

mod common;

use common::console::{
    DETAIL_KEY, Fake, SIZES, SMALL_SIZES, TICKETS, hazards, render, screen, text_keys,
};
use guardia::config::Lang;
use guardia::text::{sanitize_block, sanitize_line};
use guardia::tui::msg::{
    DetailExtras, Effect, KnownHint, LinkedBrief, MajorBrief, Msg, Reply, Request, SolvedHint,
};
use guardia::tui::state::{Console, Overlay, Pane};
use guardia::tui::theme::Theme;
use guardia::tui::update::update;
use ratatui::style::{Color, Modifier};

/// One state of the console worth a picture: a name and the keys (and
/// typing) that lead there from a freshly opened console.
struct Scenario {
    name: &'static str,
    drive: fn(&Fake, &mut Console),
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "queue",
            drive: |_, _| {},
        },
        Scenario {
            name: "major_banner",
            drive: |_, c| {
                update(c, Msg::Reply(Reply::Majors(hostile_majors())));
            },
        },
        Scenario {
            name: "detail_known",
            // A major incident's detail: its reports and the known errors
            // that may apply, hostile text included.
            drive: |f, c| {
                update(c, Msg::Reply(Reply::Majors(hostile_majors())));
                open_detail(f, c, hostile_extras());
            },
        },
        Scenario {
            name: "detail_solved",
            // A ticket being worked: earlier tickets like it, solved, with
            // the first lines of their solution, hostile text included.
            drive: |f, c| {
                let generation = open_detail(f, c, DetailExtras::default());
                // Read after the detail, as the worker does.
                let tickets = hostile_solved();
                update(
                    c,
                    Msg::Reply(Reply::Solved {
                        generation,
                        tickets,
                    }),
                );
            },
        },
        Scenario {
            name: "queue_filtered_marked",
            drive: |f, c| {
                f.press(c, "/");
                f.type_text(c, "sede");
                f.press(c, "enter space space");
            },
        },
        Scenario {
            name: "detail",
            drive: |f, c| {
                f.press(c, "enter");
            },
        },
        Scenario {
            name: "detail_scrolled",
            // Links, attachments, runbook progress, escalations, comments.
            drive: |f, c| {
                f.press(c, "enter");
                f.press(c, &"j ".repeat(40));
            },
        },
        Scenario {
            name: "detail_timeline",
            // Comments, worklog and the timeline at the end.
            drive: |f, c| {
                f.press(c, "enter");
                f.press(c, &"j ".repeat(80));
            },
        },
        Scenario {
            name: "escalation",
            drive: |f, c| {
                f.press(c, "enter 3");
            },
        },
        Scenario {
            name: "runbooks",
            drive: |f, c| {
                // Down to the last item of the started run (osf-preguntas-clave).
                f.press(c, "enter 4");
                f.press(c, &"j ".repeat(22));
            },
        },
        Scenario {
            name: "dashboard",
            drive: |f, c| {
                f.press(c, "5");
            },
        },
        Scenario {
            name: "help",
            drive: |f, c| {
                f.press(c, "?");
            },
        },
        Scenario {
            name: "palette",
            drive: |f, c| {
                f.press(c, ":");
                f.type_text(c, "esc");
            },
        },
        Scenario {
            name: "menu_status",
            drive: |f, c| {
                f.press(c, "s");
            },
        },
        Scenario {
            name: "prompt_comment",
            drive: |f, c| {
                f.press(c, "enter c");
                f.type_text(c, "Llamé al usuario: señal ñ, 打印机 ok");
            },
        },
        Scenario {
            name: "dossier_form",
            drive: |f, c| {
                f.press(c, "enter E");
                f.type_text(c, "Reinicio del cliente OSF");
                f.press(c, "ctrl-s");
            },
        },
        Scenario {
            name: "new_ticket",
            drive: |f, c| {
                f.press(c, "n");
                f.type_text(c, "impresora");
            },
        },
        Scenario {
            name: "split",
            drive: |f, c| {
                // The detail follows the selection at split width.
                f.press(c, "j");
            },
        },
        Scenario {
            name: "detail_conflict",
            // A sync brought conflicts (the refresh after it reads them):
            // the detail ticket's assignee and state.
            drive: |_, c| {
                let f = Fake::with_conflicts();
                f.press(c, "r enter");
            },
        },
        Scenario {
            name: "queue_conflicts",
            // The saved view of conflicted tickets (seventh in the menu),
            // after a refresh read the conflicts a sync brought.
            drive: |_, c| {
                let f = Fake::with_conflicts();
                f.press(c, "r v");
                f.press(c, &"j ".repeat(6));
                f.press(c, "enter");
            },
        },
        Scenario {
            name: "sync_unconfigured",
            // Ctrl-r with no [sync] in guardia.toml says how to add one.
            drive: |f, c| {
                f.press(c, "ctrl-r");
            },
        },
    ]
}

/// Two major incidents as the worker sends them: text through
/// `sanitize_line`, escape sequences and a bidi override included.
fn hostile_majors() -> Vec<MajorBrief> {
    vec![
        MajorBrief {
            key: sanitize_line(DETAIL_KEY),
            title: sanitize_line("Caída general \x1b]0;PWNED\x07del portal\u{202E}lanigiro"),
            service: sanitize_line("osf\x1b[2J"),
            children_open: 2,
            children: 3,
        },
        MajorBrief {
            key: sanitize_line("BOG-7"),
            title: sanitize_line("Correo caído"),
            service: sanitize_line("correo"),
            children_open: 0,
            children: 0,
        },
    ]
}

/// Opens the selected ticket and answers with the fixture's detail and
/// `extras`; returns the detail's generation.
fn open_detail(f: &Fake, c: &mut Console, extras: DetailExtras) -> u64 {
    f.press(c, "enter");
    let generation = c.detail.generation;
    update(
        c,
        Msg::Reply(Reply::Detail {
            generation,
            detail: Some(Box::new(f.detail.clone())),
            log: f.log.clone(),
            conflicts: Vec::new(),
            extras,
        }),
    );
    generation
}

/// Earlier solved tickets like the detail's, as the worker sends them.
fn hostile_solved() -> Vec<SolvedHint> {
    vec![SolvedHint {
        key: sanitize_line("BOG-1"),
        title: sanitize_line("Portal en blanco\u{202e} tras la actualización"),
        status: sanitize_line("closed"),
        solution: sanitize_block(
            "Vaciar la caché del balanceador\n\x1b[2JReiniciar el pool\nAvisar a soporte\nCuarta línea",
        ),
    }]
}

/// Extras of a major incident's detail as the worker sends them.
fn hostile_extras() -> DetailExtras {
    let brief = |key: &str, status: &str, title: &str| LinkedBrief {
        key: sanitize_line(key),
        status: sanitize_line(status),
        title: sanitize_line(title),
    };
    DetailExtras {
        known: vec![
            KnownHint {
                key: sanitize_line("BOG-3"),
                title: sanitize_line("Portal en blanco \x1b]52;c;cm0gLXJmIH4=\x07por caché"),
                status: sanitize_line("published"),
                workaround: sanitize_block(
                    "Borrar la caché\r\n\x1b[31mReiniciar\u{2066} el navegador\nVolver a entrar",
                ),
            },
            KnownHint {
                key: sanitize_line("BOG-5"),
                title: sanitize_line("Sesión expirada"),
                status: sanitize_line("draft"),
                workaround: sanitize_block("Cerrar sesión y entrar de nuevo"),
            },
        ],
        linked: vec![
            brief("BOG-10", "new", "No entra al portal\x07"),
            brief("BOG-11", "in_progress", "Portal lento"),
            brief("BOG-12", "resolved", "Error 503"),
        ],
        children_open: Some(2),
        ..Default::default()
    }
}

fn scenario(name: &str) -> Scenario {
    scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

fn build(fake: &Fake, s: &Scenario, lang: Lang, theme: Theme, w: u16, h: u16) -> Console {
    let mut c = fake.console(lang, theme, w, h);
    (s.drive)(fake, &mut c);
    c
}

/// Snapshots `name` at 80x24 and 120x40 in English with the default theme.
fn snap(name: &str) {
    let fake = Fake::hostile();
    let s = scenario(name);
    for (w, h) in SIZES {
        let c = build(&fake, &s, Lang::En, Theme::default16(), w, h);
        let t = render(&c, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

fn shown(name: &str, lang: Lang, w: u16, h: u16) -> (Console, String) {
    let fake = Fake::hostile();
    let c = build(&fake, &scenario(name), lang, Theme::default16(), w, h);
    let text = screen(&render(&c, w, h));
    (c, text)
}

// ----- one test per pane and overlay -----

#[test]
fn queue() {
    snap("queue");
    let (c, text) = shown("queue", Lang::En, 80, 24);
    assert_eq!(c.queue.rows.len() as i64, TICKETS);
    // Hostile text is shown, defused: ESC as a control picture, no bidi.
    assert!(text.contains("␛[31mrojo␛[0m"), "{text}");
    assert!(text.contains("BOG-25"), "{text}");
}

#[test]
fn queue_filtered_and_marked() {
    snap("queue_filtered_marked");
    let (c, text) = shown("queue_filtered_marked", Lang::En, 80, 24);
    assert_eq!(c.queue.text, "sede");
    assert_eq!(c.queue.marked.len(), 2);
    assert!(c.queue.typing.is_none());
    assert!(text.contains("2 marked"), "{text}");
    assert!(text.contains("/sede"), "{text}");
}

#[test]
fn detail() {
    snap("detail");
    let (c, text) = shown("detail", Lang::En, 80, 24);
    assert_eq!(c.focus, Pane::Detail);
    assert_eq!(c.detail.key.as_deref(), Some(DETAIL_KEY));
    assert!(text.contains("␛[1mOSF␛[0m"), "{text}");
    // Times are stored in UTC and said so, as `guardia show` says them.
    assert!(text.contains("Created: 2026-03-02 13:45 UTC ana"), "{text}");
}

#[test]
fn detail_scrolled() {
    snap("detail_scrolled");
    snap("detail_timeline");
    let (_, text) = shown("detail_scrolled", Lang::En, 80, 24);
    assert!(text.contains("capturagnp.exe"), "{text}");
    let (_, text) = shown("detail_timeline", Lang::En, 80, 24);
    assert!(text.contains("bruno␛[7m worklog 50m"), "{text}");
    // A reporter's text in an op reads as words, defused.
    assert!(text.contains("internal comment: Nota␇ interna⏎"), "{text}");
}

#[test]
fn detail_shows_sync_conflicts_and_how_to_settle_them() {
    snap("detail_conflict");
    let (c, text) = shown("detail_conflict", Lang::En, 80, 24);
    assert_eq!(c.detail.conflicts.len(), 2);
    // Each field in conflict, its competing values (shown one first) with
    // who set them, and the key of the change that settles it.
    assert!(text.contains("Detail · BOG-25 · ⚠ conflict"), "{text}");
    assert!(
        text.contains("⚠ Sync conflict · Assignee: ana (shown, by carla"),
        "{text}"
    );
    assert!(
        text.contains("⚠ Sync conflict · Status: in_progress (shown, by carla"),
        "{text}"
    );
    assert!(
        text.contains("Settle it with a normal change: A Assign to…, s Change status"),
        "{text}"
    );
    // Hostile text from the other site arrives defused.
    assert!(text.contains("bruno␛[31m (by bruno␇"), "{text}");
    let (_, es) = shown("detail_conflict", Lang::Es, 80, 24);
    assert!(
        es.contains("⚠ Conflicto de sincronización · Asignado a: ana (mostrado, por carla"),
        "{es}"
    );
    assert!(
        es.contains("Resuélvalo con un cambio normal: A Asignar a…, s Cambiar estado"),
        "{es}"
    );
    // In the queue, conflicted rows carry the mark.
    let (_, queue) = shown("detail_conflict", Lang::En, 120, 40);
    assert!(queue.contains("⚠BOG-25"), "{queue}");
}

#[test]
fn the_conflicts_view_lists_only_conflicted_tickets() {
    snap("queue_conflicts");
    let (c, text) = shown("queue_conflicts", Lang::En, 80, 24);
    let keys: Vec<&str> = c.queue.rows.iter().map(|r| r.ticket.key.as_str()).collect();
    assert_eq!(keys, ["BOG-25", "BOG-18", "BOG-4"]);
    assert!(c.queue.rows.iter().all(|r| r.conflict));
    assert!(text.contains("Sync conflicts (3)"), "{text}");
    // An invalid transition says it was not applied and whom to tell.
    let fake = Fake::with_conflicts();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "v");
    fake.press(&mut c, &"j ".repeat(6));
    fake.press(&mut c, "enter j j enter");
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("⚠ Invalid state change received from another site, not applied: → closed"),
        "{text}"
    );
    assert!(text.contains("Tell the administrator"), "{text}");
}

#[test]
fn sync_without_a_target_says_how_to_configure_one() {
    snap("sync_unconfigured");
    let (c, text) = shown("sync_unconfigured", Lang::En, 80, 24);
    assert!(c.job.is_none());
    assert!(text.contains("No [sync] in guardia.toml"), "{text}");
}

#[test]
fn escalation() {
    snap("escalation");
    let (c, text) = shown("escalation", Lang::En, 80, 24);
    assert_eq!(c.focus, Pane::Escalation);
    // The cursor waits on the level the ticket would go to next.
    assert_eq!(c.escalation.cursor, 1);
    assert!(text.contains("▶1"), "current level marked: {text}");
}

#[test]
fn runbooks() {
    snap("runbooks");
    let (c, text) = shown("runbooks", Lang::En, 80, 24);
    assert_eq!(c.focus, Pane::Runbooks);
    assert!(text.contains("[x]"), "{text}");
    // At 80 columns a ticked item's long text leaves who, when and the
    // evidence on a line of their own.
    assert!(
        text.contains("ana 2026-03-02 13:51 UTC · Sí, inicia sesión"),
        "{text}"
    );
}

#[test]
fn dashboard() {
    snap("dashboard");
    let (c, text) = shown("dashboard", Lang::En, 80, 24);
    assert!(c.dashboard.data.is_some());
    // Most urgent first, as priority.toml ranks them, though the store
    // counts them by id (critical, high, low, medium).
    let at = |p: &str| {
        text.find(p)
            .unwrap_or_else(|| panic!("{p} missing: {text}"))
    };
    assert!(at("P1 Criti") < at("P2 High"), "{text}");
    assert!(at("P2 High") < at("P3 Medium"), "{text}");
    assert!(at("P3 Medium") < at("P4 Low"), "{text}");
}

#[test]
fn help_overlay() {
    snap("help");
    let (c, _) = shown("help", Lang::En, 80, 24);
    assert!(matches!(c.overlays.last(), Some(Overlay::Help { .. })));
}

#[test]
fn command_palette() {
    snap("palette");
    let (c, _) = shown("palette", Lang::En, 80, 24);
    assert!(
        matches!(c.overlays.last(), Some(Overlay::Palette { input, .. }) if input.text == "esc")
    );
}

#[test]
fn status_menu() {
    snap("menu_status");
    let (c, _) = shown("menu_status", Lang::En, 80, 24);
    assert!(matches!(c.overlays.last(), Some(Overlay::Menu { .. })));
}

#[test]
fn comment_prompt() {
    snap("prompt_comment");
    let (c, _) = shown("prompt_comment", Lang::En, 80, 24);
    assert!(matches!(c.overlays.last(), Some(Overlay::Prompt { .. })));
}

#[test]
fn dossier_form_refuses_while_fields_are_missing() {
    snap("dossier_form");
    let (c, text) = shown("dossier_form", Lang::En, 80, 24);
    let Some(Overlay::Dossier(form)) = c.overlays.last() else {
        panic!("dossier form not open: {:?}", c.overlays);
    };
    assert!(form.error.is_some(), "ctrl-s should be refused");
    assert!(text.contains("! Missing"), "{text}");
}

#[test]
fn new_ticket_form() {
    snap("new_ticket");
    let (c, _) = shown("new_ticket", Lang::En, 80, 24);
    assert!(matches!(c.overlays.last(), Some(Overlay::NewTicket(_))));
}

/// At 40x12 the new-ticket form scrolls with the focused field, and the
/// refusal of Ctrl-s is pinned above the fields, both on screen.
#[test]
fn a_small_terminal_keeps_the_focused_field_and_the_error_in_view() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 40, 12);
    fake.press(&mut c, "n");
    for _ in 0..7 {
        fake.press(&mut c, "tab");
    }
    let Some(Overlay::NewTicket(form)) = c.overlays.last() else {
        panic!("the new-ticket form")
    };
    let focused: String = form.fields[form.selected].label.chars().take(8).collect();
    let text = screen(&render(&c, 40, 12));
    assert!(text.contains(&focused), "{focused} scrolled out:\n{text}");
    fake.press(&mut c, "ctrl-s");
    let text = screen(&render(&c, 40, 12));
    assert!(text.contains("! "), "the error is off screen:\n{text}");
}

#[test]
fn split_layout_shows_the_selection_beside_the_queue() {
    let fake = Fake::hostile();
    let c = build(
        &fake,
        &scenario("split"),
        Lang::En,
        Theme::default16(),
        120,
        40,
    );
    assert!(c.split());
    assert_eq!(c.detail.key.as_deref(), Some("BOG-24"));
    let t = render(&c, 120, 40);
    insta::assert_snapshot!("split_120x40", t.backend());
}

#[test]
fn spanish_queue_and_detail() {
    let fake = Fake::hostile();
    for name in ["queue", "detail"] {
        let c = build(&fake, &scenario(name), Lang::Es, Theme::default16(), 80, 24);
        let t = render(&c, 80, 24);
        insta::assert_snapshot!(format!("{name}_es_80x24"), t.backend());
    }
}

// ----- styles -----

#[test]
fn major_banner_under_the_title_bar() {
    snap("major_banner");
    let (c, text) = shown("major_banner", Lang::En, 80, 24);
    let banner = text.lines().nth(1).unwrap_or_default();
    // At 80 columns the title gives way to the count of open reports.
    assert!(
        banner.starts_with(&format!(" ⚠ MAJOR INCIDENT {DETAIL_KEY} Caída general ")),
        "{text}"
    );
    assert!(banner.ends_with("· 2 open reports · +1 more"), "{text}");
    let (_, wide) = shown("major_banner", Lang::En, 120, 40);
    assert!(
        wide.contains(&format!(
            " ⚠ MAJOR INCIDENT {DETAIL_KEY} Caída general ␛]0;PWNED␇"
        )),
        "{wide}"
    );
    // The queue gave the banner one of its rows.
    let (plain, _) = shown("queue", Lang::En, 80, 24);
    assert_eq!(c.queue.height + 1, plain.queue.height);
    let (_, es) = shown("major_banner", Lang::Es, 120, 40);
    assert!(
        es.contains("⚠ INCIDENTE MAYOR") && es.contains("· 2 reportes abiertos · +1 más"),
        "{es}"
    );
    // Without colour the banner is reverse video across the whole line.
    let fake = Fake::hostile();
    let c = build(
        &fake,
        &scenario("major_banner"),
        Lang::En,
        Theme::mono(),
        80,
        24,
    );
    let t = render(&c, 80, 24);
    for x in 0..80 {
        assert!(
            t.backend().buffer()[(x, 1)]
                .modifier
                .contains(Modifier::REVERSED),
            "banner cell ({x}, 1) is not reversed"
        );
    }
}

#[test]
fn detail_lists_reports_and_known_errors_that_may_apply() {
    snap("detail_known");
    let (_, text) = shown("detail_known", Lang::En, 120, 40);
    for needle in [
        "⚠ Major incident · 3 attached reports · 2 open",
        "Known errors that may apply",
        "1. BOG-3 [published] Portal en blanco",
        "␛]52;c;cm0gLXJmIH4=␇por caché",
        "Workaround: Borrar la caché",
        "K applies the first",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
}

#[test]
fn detail_lists_tickets_solved_before_with_their_solution() {
    snap("detail_solved");
    let (_, text) = shown("detail_solved", Lang::En, 120, 40);
    for needle in [
        "Solved before, with their solution",
        "1. BOG-1 [closed] Portal en blanco",
        "Solution: Vaciar la caché del balanceador",
        "␛[2JReiniciar el pool",
        "Avisar a soporte",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
    // Three lines of a solution at most; the ticket has the rest.
    assert!(!text.contains("Cuarta línea"), "{text}");
}

#[test]
fn mono_queue_styles() {
    let fake = Fake::hostile();
    let c = fake.console(Lang::En, Theme::mono(), 80, 24);
    let t = render(&c, 80, 24);
    insta::assert_debug_snapshot!("queue_mono_80x24", t.backend().buffer());
}

#[test]
fn mono_uses_no_colour_and_reverse_video_for_the_selection() {
    let fake = Fake::hostile();
    for s in scenarios() {
        for (w, h) in SIZES {
            let c = build(&fake, &s, Lang::En, Theme::mono(), w, h);
            let t = render(&c, w, h);
            for (i, cell) in t.backend().buffer().content().iter().enumerate() {
                assert!(
                    cell.fg == Color::Reset && cell.bg == Color::Reset,
                    "{} {w}x{h}: cell {i} ({:?}) has colour fg {:?} bg {:?}",
                    s.name,
                    cell.symbol(),
                    cell.fg,
                    cell.bg
                );
            }
        }
    }
    // The queue's selected row (tabs, border, header above it) is reversed
    // across the pane's inner width.
    let c = fake.console(Lang::En, Theme::mono(), 80, 24);
    let t = render(&c, 80, 24);
    let buf = t.backend().buffer();
    for x in 1..79 {
        assert!(
            buf[(x, 3)].modifier.contains(Modifier::REVERSED),
            "selected row cell ({x}, 3) is not reversed: {:?}",
            buf[(x, 3)]
        );
        assert!(
            !buf[(x, 4)].modifier.contains(Modifier::REVERSED),
            "the row below the selection is reversed at ({x}, 4)"
        );
    }
}

// ----- hostile text and sizes -----

#[test]
fn no_control_or_bidi_character_reaches_a_cell() {
    let fake = Fake::hostile();
    let mut sizes = SIZES.to_vec();
    sizes.extend(SMALL_SIZES);
    sizes.push((200, 60));
    for s in scenarios() {
        for lang in [Lang::En, Lang::Es] {
            for (w, h) in &sizes {
                let c = build(&fake, &s, lang, Theme::default16(), *w, *h);
                let t = render(&c, *w, *h);
                let bad = hazards(&t);
                assert!(
                    bad.is_empty(),
                    "{} {lang:?} {w}x{h}: raw characters in cells (x, y, symbol): {bad:?}\n{}",
                    s.name,
                    t.backend()
                );
            }
        }
    }
}

#[test]
fn every_pane_and_overlay_survives_tiny_terminals() {
    let fake = Fake::hostile();
    for s in scenarios() {
        for (w, h) in SMALL_SIZES {
            let mut c = build(&fake, &s, Lang::En, Theme::default16(), w, h);
            let t = render(&c, w, h);
            if w < 30 || h < 8 {
                let text = screen(&t);
                assert!(
                    w < 5 || text.contains("Term"),
                    "{} {w}x{h}: expected the too-small notice, got {text:?}",
                    s.name
                );
            }
            // Growing back to a usable size after a tiny one still works.
            update(&mut c, Msg::Resize(80, 24));
            render(&c, 80, 24);
        }
    }
}

/// Text the operator pastes or types is drawn as typed; bidi controls in it
/// (pasted from an e-mail, say) must not reach a cell either. `TextInput`
/// keeps them in its text; ratatui's `Paragraph` drops zero-width graphemes.
#[test]
fn pasted_bidi_controls_do_not_reach_a_cell() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "c");
    update(&mut c, Msg::Paste("admin\u{202E}fdp.exe \x1b[31m".into()));
    let t = render(&c, 80, 24);
    assert_eq!(hazards(&t), vec![], "prompt:\n{}", t.backend());
    assert!(screen(&t).contains("adminfdp.exe [31m"), "{}", t.backend());

    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "/");
    fake.keys(&mut c, text_keys("x\u{2066}y"));
    let t = render(&c, 80, 24);
    assert_eq!(hazards(&t), vec![], "filter line:\n{}", t.backend());
}

// ----- known defects, kept as reproductions (run with --ignored) -----

/// The escalation pane puts its cursor on the level the ticket would go to
/// next, but only when the detail was already loaded when the pane got the
/// focus: pressing 3 straight from the queue at 80 columns leaves it on the
/// ticket's current level (update.rs `focus`; the `Reply::Detail` arm of
/// `on_reply` does not set it).
#[test]
fn escalation_cursor_follows_a_detail_that_arrives_later() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "3");
    assert_eq!(c.detail.key.as_deref(), Some(DETAIL_KEY));
    assert_eq!(c.escalation.cursor, 1);
}

/// `G` in the detail sets the scroll to `isize::MAX / 2` and `k`/`pgup`
/// subtract from that: the view clamps only when drawing, so after `G` (or
/// paging past the end) the keys that scroll up do nothing visible.
#[test]
fn detail_scrolls_up_after_jumping_to_the_bottom() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "enter G");
    let bottom = screen(&render(&c, 80, 24));
    fake.press(&mut c, "pgup");
    let up = screen(&render(&c, 80, 24));
    assert_ne!(bottom, up, "pgup after G did not scroll");
}

/// The dossier form's "Saved" list prints multi-line values as they are;
/// ratatui drops the newline, gluing words ("facturael sistema"), where
/// the escalation pane shows "factura⏎ el" (overlay.rs, `Overlay::Dossier`,
/// `form.present` is not passed through `sanitize_line`).
#[test]
fn dossier_form_shows_line_breaks_of_saved_values() {
    let (_, text) = shown("dossier_form", Lang::En, 120, 40);
    assert!(text.contains("factura⏎ el"), "{text}");
}

/// The detail pane wraps with ratatui's `Paragraph`; in ratatui-widgets
/// 0.3.2 its word wrapper checks the width before adding a grapheme, so a
/// wide (CJK) character that starts in the last column overflows one column
/// and replaces the pane's right border (ratatui/ratatui#2679).
#[test]
fn wrapped_wide_characters_stay_inside_the_detail_pane() {
    let fake = Fake::hostile();
    let c = build(
        &fake,
        &scenario("detail"),
        Lang::En,
        Theme::default16(),
        120,
        40,
    );
    let t = render(&c, 120, 40);
    let buf = t.backend().buffer();
    for y in 2..38 {
        assert_eq!(buf[(119, y)].symbol(), "│", "row {y}:\n{}", t.backend());
    }
}

// ----- refusals, targets and small screens -----

/// A refusal longer than the status line wraps onto as many lines as it
/// needs (up to a third of the screen): its end says what to do.
#[test]
fn a_long_refusal_is_shown_whole_above_the_keys() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "j j");
    c.complain(
        "BOG-23: moving to 'cancelled' needs one of the roles head, service_manager, admin; \
         operator 'ana' has agent; ask someone with that role (diego, ines)",
    );
    let text = screen(&render(&c, 80, 24));
    let bottom: Vec<&str> = text.lines().rev().take(2).collect();
    assert!(
        bottom[0].contains("ask someone with that role (diego, ines)"),
        "{text}"
    );
    assert!(
        bottom[1].starts_with("! BOG-23: moving to 'cancelled'"),
        "{text}"
    );
    // The selected row is still in sight above it.
    assert!(text.contains("BOG-23"), "{text}");
    // However long, a third of the screen at most, the cut marked.
    c.complain("x ".repeat(2000));
    let text = screen(&render(&c, 80, 24));
    let notice: Vec<&str> = text.lines().filter(|l| l.starts_with("x x")).collect();
    assert_eq!(notice.len() + 1, 24 / 3, "{text}");
    assert!(
        text.lines()
            .next_back()
            .is_some_and(|l| l.trim_end().ends_with('…'))
    );
}

/// Menus and prompts name the tickets they act on: a ticket marked and
/// scrolled off screen is never changed unseen.
#[test]
fn menus_and_prompts_name_the_tickets_they_act_on() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "j j space G");
    let queue = screen(&render(&c, 80, 24));
    assert!(!queue.contains("BOG-23 "), "BOG-23 is off screen: {queue}");
    fake.press(&mut c, "R");
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("┌ Rejection reason · BOG-23 ─"), "{text}");
    // A title too long for the prompt (the longest reason offered, on a
    // narrow terminal) is cut before the key, not the key.
    fake.press(&mut c, "j j enter");
    let text = screen(&render(&c, 48, 24));
    assert!(text.contains("… · BOG-23 "), "{text}");
    for keys in ["esc p", "esc =", "esc A", "esc s", "esc c", "esc w"] {
        fake.press(&mut c, keys);
        let text = screen(&render(&c, 80, 24));
        assert!(text.contains(" · BOG-23 "), "{keys}: {text}");
    }
    // Several marked: how many.
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "space space space s");
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("┌ Move to · 3 marked ─"), "{text}");
}

/// A refusal of what a prompt sent is shown whole inside the prompt, which
/// opened again with the text.
#[test]
fn a_refused_prompt_shows_the_whole_refusal_with_the_text() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    let fx = fake.press(&mut c, "c ! enter");
    let [Effect::Request(Request::Write(op))] = &fx[..] else {
        panic!("one comment written: {fx:?}")
    };
    let refusal = "BOG-25: the comment is empty; write some text after the '!' that makes it \
                   an internal note, or leave the '!' out for a public comment";
    update(
        &mut c,
        Msg::Reply(Reply::Written {
            result: Err(refusal.into()),
            key: Some(DETAIL_KEY.into()),
            op: Box::new(op.clone()),
            refused: vec![DETAIL_KEY.into()],
        }),
    );
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("│!  "), "the text typed: {text}");
    assert!(text.contains("! BOG-25: the comment is empty"), "{text}");
    assert!(text.contains("for a public comment"), "{text}");
}

/// At 40x10 an inline error that wraps does not push the focused field
/// off the new-ticket form.
#[test]
fn a_wrapped_field_error_keeps_the_focused_field_in_view() {
    let fake = Fake::hostile();
    let mut c = fake.console(Lang::En, Theme::default16(), 40, 10);
    fake.press(&mut c, "n tab tab tab tab tab");
    fake.type_text(&mut c, "QQQ");
    fake.press(&mut c, "tab");
    fake.type_text(&mut c, "RRR");
    let text = screen(&render(&c, 40, 10));
    assert!(
        text.contains("RRR"),
        "the focused field scrolled out:\n{text}"
    );
}

/// A ticket at the top of the matrix: the pane says there is no level
/// above, instead of "ready to escalate".
#[test]
fn the_matrix_says_when_there_is_no_level_above() {
    let mut fake = Fake::hostile();
    let max = guardia::config::Config::builtin()
        .expect("built-in configuration")
        .max_level();
    fake.detail.ticket.level = max;
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "enter 3");
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("✗ ") && text.contains("is already at level"),
        "{text}"
    );
    assert!(!text.contains("ready to escalate"), "{text}");
}

/// The help lists only keys that do something from the pane it is opened
/// in: no row keys on the dashboard, no opening or marking rows elsewhere
/// than in the queue.
#[test]
fn the_help_lists_only_keys_that_act_in_the_pane() {
    let fake = Fake::hostile();
    let help = |pane: &str| {
        let mut c = fake.console(Lang::En, Theme::default16(), 80, 60);
        fake.press(&mut c, &format!("{pane} ?"));
        screen(&render(&c, 80, 60))
    };
    let has = |text: &str, what: &str| {
        text.lines()
            .any(|l| l.trim_end_matches('│').trim_end().ends_with(what))
    };
    let queue = help("1");
    for what in ["Down", "Open", "Mark / unmark"] {
        assert!(has(&queue, what), "queue lacks {what}: {queue}");
    }
    let dashboard = help("5");
    for what in [
        "Down",
        "Up",
        "To the top",
        "Page down",
        "Open",
        "Mark / unmark",
    ] {
        assert!(
            !has(&dashboard, what),
            "dashboard lists {what}: {dashboard}"
        );
    }
    assert!(has(&dashboard, "Reload data"), "{dashboard}");
    for pane in ["enter 2", "enter 3", "enter 4"] {
        let text = help(pane);
        assert!(has(&text, "Down"), "{pane}: {text}");
        for what in ["Open", "Mark / unmark"] {
            assert!(!has(&text, what), "{pane} lists {what}: {text}");
        }
    }
}

/// At 20 columns the too-small notice still shows the size and what is
/// needed, wrapped.
#[test]
fn the_too_small_notice_fits_a_narrow_window() {
    let fake = Fake::hostile();
    let c = fake.console(Lang::En, Theme::default16(), 20, 5);
    let text = screen(&render(&c, 20, 5));
    assert!(text.contains("(20x5); needs 30x8"), "{text}");
}

/// Rejecting as a duplicate in Spanish: the likely originals are listed in
/// the prompt's body, each key whole at 80 and at 140 columns (a title is
/// cut to the box), under a title that names the reason by its label and
/// the note as the internal note it is.
#[test]
fn a_duplicate_prompt_shows_the_likely_originals_at_any_width() {
    let fake = Fake::hostile();
    for (w, h) in [(80, 24), (140, 40)] {
        let mut c = fake.console(Lang::Es, Theme::default16(), w, h);
        // The reasons: critical, missing_docs, config_request, duplicate.
        let left = fake.press(&mut c, "R j j j enter");
        assert!(
            left.iter().any(|e| matches!(
                e,
                Effect::Request(Request::Originals { code, .. }) if code == "duplicate"
            )),
            "{left:?}"
        );
        let tickets = vec![
            (
                "BOG-391".to_string(),
                "Caída general de la facturación electrónica en todas las sedes del Eje Cafetero"
                    .to_string(),
            ),
            ("BOG-12".to_string(), "Facturación lenta".to_string()),
        ];
        update(
            &mut c,
            Msg::Reply(Reply::Originals {
                key: DETAIL_KEY.into(),
                code: "duplicate".into(),
                tickets,
            }),
        );
        let text = screen(&render(&c, w, h));
        for needle in [
            &format!("Incidente duplicado: clave del original y nota interna · {DETAIL_KEY}"),
            "Originales probables (escriba la clave al inicio de la nota):",
            "BOG-391  Caída general de la",
            "BOG-12  Facturación lenta",
            "el solicitante no la ve",
        ] {
            assert!(text.contains(needle), "{w}x{h}: {needle} not in:\n{text}");
        }
    }
    // Another reason's note is named as internal too, in English as well.
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    fake.press(&mut c, "R j enter");
    let text = screen(&render(&c, 80, 24));
    for needle in [
        "Missing documentation: internal note (optional)",
        "the requester does not see it",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
    assert!(!text.contains("Note for the requester"), "{text}");
}

/// A rejected ticket's detail names the reason as the rejection rules
/// label it, with its code, in both languages.
#[test]
fn the_detail_names_the_rejection_reason_by_its_label() {
    let mut fake = Fake::hostile();
    fake.detail.ticket.reject_reason = Some("duplicate".into());
    fake.detail.ticket.status = "rejected".into();
    for (lang, needle) in [
        (
            Lang::Es,
            "Motivo de rechazo: Incidente duplicado (duplicate)",
        ),
        (Lang::En, "Rejection reason: Duplicate incident (duplicate)"),
    ] {
        let mut c = fake.console(lang, Theme::default16(), 80, 24);
        open_detail(&fake, &mut c, DetailExtras::default());
        let text = screen(&render(&c, 80, 24));
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
}

/// The matrix's dossier preview names the missing fields by label, as the
/// `E` form does, and says "Faltan" for several in Spanish.
#[test]
fn the_matrix_names_missing_dossier_fields_by_label() {
    let (c, text) = shown("escalation", Lang::Es, 120, 40);
    let d = guardia::tui::forms::current_dossier(&c).expect("a dossier");
    assert!(d.missing.len() > 1, "{:?}", d.missing);
    let line = text
        .lines()
        .find(|l| l.contains('✗') && l.contains("Faltan"))
        .unwrap_or_else(|| panic!("no missing line:\n{text}"));
    for item in d.items.iter().filter(|i| i.value.is_none()) {
        assert_ne!(item.label, item.field, "the fixture field has a label");
        assert!(!line.contains(&item.field), "{line}");
    }
    let first = d
        .items
        .iter()
        .find(|i| i.value.is_none())
        .expect("a missing item");
    assert!(
        line.contains(&format!("Faltan {}: {}", d.missing.len(), first.label)),
        "{line}"
    );
}

/// A count of one takes the singular in both languages: the banner's and
/// the detail's reports, the dashboard's open and breached tickets, the
/// marked tickets in the queue's title.
#[test]
fn a_count_of_one_is_singular() {
    let fake = Fake::hostile();
    let one_major = || {
        vec![MajorBrief {
            key: sanitize_line(DETAIL_KEY),
            title: sanitize_line("Caída del portal"),
            service: sanitize_line("osf"),
            children_open: 1,
            children: 1,
        }]
    };
    let extras = || DetailExtras {
        linked: vec![LinkedBrief {
            key: sanitize_line("BOG-10"),
            status: sanitize_line("new"),
            title: sanitize_line("No entra al portal"),
        }],
        children_open: Some(1),
        ..Default::default()
    };
    for (lang, banner, detail, dashboard, marked) in [
        (
            Lang::Es,
            "· osf · 1 reporte abierto",
            "⚠ Incidente mayor · 1 reporte adjunto · 1 reporte abierto",
            "Tablero · 1 abierto · SLA 3 en alerta, 1 incumplido",
            "· 1 marcado",
        ),
        (
            Lang::En,
            "· osf · 1 open report",
            "⚠ Major incident · 1 attached report · 1 open report",
            "Dashboard · 1 open · SLA 3 warned, 1 breached",
            "· 1 marked",
        ),
    ] {
        let mut c = fake.console(lang, Theme::default16(), 80, 24);
        update(&mut c, Msg::Reply(Reply::Majors(one_major())));
        open_detail(&fake, &mut c, extras());
        let text = screen(&render(&c, 80, 24));
        assert!(text.contains(banner), "{banner} not in:\n{text}");
        assert!(
            !text.contains("1 reportes") && !text.contains("1 open reports"),
            "{text}"
        );
        assert!(text.contains(detail), "{detail} not in:\n{text}");

        let mut one = fake.clone();
        one.dashboard.open_total = 1;
        one.dashboard.sla_breached = 1;
        let mut c = one.console(lang, Theme::default16(), 80, 24);
        one.press(&mut c, "5");
        let text = screen(&render(&c, 80, 24));
        assert!(text.contains(dashboard), "{dashboard} not in:\n{text}");

        let mut c = fake.console(lang, Theme::default16(), 80, 24);
        fake.press(&mut c, "space");
        let text = screen(&render(&c, 80, 24));
        assert!(text.contains(marked), "{marked} not in:\n{text}");
        assert!(!text.contains("1 marcados"), "{text}");
    }
}
