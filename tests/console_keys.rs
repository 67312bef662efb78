//! The console's `update` driven by key macros (`common::keys`): no terminal
//! and no database. Each test builds a console, answers its page requests
//! itself with rows of invented tickets, presses keys and asserts on the
//! state and on the effects (queries, writes) `update` asks the runtime for.
//! Keys always go through the keymap, never straight to an action.

mod common;

use chrono::{DateTime, Utc};
use common::keys::{keys, press, typed};
use guardia::config::{Config, FieldKind, Lang};
use guardia::domain::escalation;
use guardia::domain::lifecycle;
use guardia::domain::ticket::{Ticket, TicketDetail};
use guardia::tui::i18n::catalogue;
use guardia::tui::keymap::{Key, Keymap};
use guardia::tui::msg::{
    DetailExtras, Effect, KnownHint, MajorBrief, Msg, PageDir, Reply, Request, Row, SolvedHint,
    WriteOp,
};
use guardia::tui::state::{
    Console, DossierForm, Identity, MenuPurpose, NewTicketForm, Overlay, PAGE, Pane, PromptPurpose,
    WINDOW_MAX,
};
use guardia::tui::theme::Theme;
use guardia::tui::update::{queue_filter, start, update};
use guardia::tui::worker::clean_ticket;
use serde_json::{Map, json};
use std::collections::BTreeSet;
use std::sync::Arc;

const OPERATOR: &str = "ana";
const WHY_READ_ONLY: &str = "read-only: no operator is configured for the OS account nadie";

// ----- fixture -----

fn console_with(operator: Option<&str>, keymap: Keymap) -> Console {
    let config = Arc::new(Config::builtin().expect("built-in configuration"));
    let identity = Identity {
        operator: operator.map(str::to_string),
        why_read_only: operator.is_none().then(|| WHY_READ_ONLY.to_string()),
    };
    let mut c = Console::new(
        config,
        keymap,
        Theme::default16(),
        Lang::En,
        identity,
        "guardia test".into(),
    );
    let fx = update(&mut c, Msg::Resize(80, 24));
    assert!(
        fx.is_empty(),
        "a resize at 80 columns fetches nothing: {fx:?}"
    );
    c
}

fn builtin_keymap() -> Keymap {
    Keymap::builtin().expect("built-in keymap")
}

fn console() -> Console {
    console_with(Some(OPERATOR), builtin_keymap())
}

/// A console whose first page of a queue of `total` tickets has arrived.
fn loaded(total: i64) -> Console {
    loaded_with(console(), total)
}

fn loaded_with(mut c: Console, total: i64) -> Console {
    let fx = start(&mut c);
    let more = serve(&mut c, total, &fx);
    assert!(
        pages(&more).is_empty(),
        "the first page alone asks for no more"
    );
    assert!(!c.queue.loading);
    c
}

fn at(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_000_000 + n * 60, 0).expect("timestamp")
}

/// Ticket `BOG-n`: an incident of service `osf` at level 1 with its four
/// mandatory fields, as the worker would hand it over.
fn ticket(n: i64) -> Ticket {
    let mut fields = Map::new();
    fields.insert("reporter_email".into(), json!("ana.torres@example.org"));
    fields.insert("extension".into(), json!("5550"));
    fields.insert("executable".into(), json!("FACT01"));
    fields.insert("environment".into(), json!("produccion"));
    clean_ticket(Ticket {
        key: format!("BOG-{n}"),
        ticket_type: "incident".into(),
        service: "osf".into(),
        title: format!("Impresora {n} no imprime"),
        description: "Sale en blanco".into(),
        status: "new".into(),
        priority: "medium".into(),
        priority_justification: None,
        impact: "medium".into(),
        urgency: "medium".into(),
        level: 1,
        assignee: None,
        created_by: OPERATOR.into(),
        created_at: at(n),
        updated_at: at(n),
        fields,
        reject_reason: None,
        duplicate_of: None,
        route: None,
        id: format!("0190a000-0000-7000-8000-{n:012}"),
    })
}

fn detail_of(ticket: Ticket) -> TicketDetail {
    TicketDetail {
        ticket,
        comments: vec![],
        worklog: vec![],
        worklog_minutes: 0,
        attachments: vec![],
        runbooks: vec![],
        escalations: vec![],
        links: vec![],
        linked_from: vec![],
    }
}

fn row(n: i64) -> Row {
    Row {
        no: n,
        ticket: ticket(n),
        conflict: false,
    }
}

/// A page of a queue of `total` tickets, newest (highest `no`) first, as
/// the worker cuts it: rows in display order and whether more lie beyond.
fn cut(total: i64, dir: PageDir, from: Option<i64>, limit: usize) -> (Vec<Row>, bool) {
    let limit = limit as i64;
    match dir {
        PageDir::Forward => {
            let high = from.map_or(total, |f| f - 1);
            let low = (high - limit + 1).max(1);
            ((low..=high).rev().map(row).collect(), low > 1)
        }
        PageDir::Backward => {
            let low = from.map_or(1, |f| f + 1);
            let high = (low + limit - 1).min(total);
            ((low..=high).rev().map(row).collect(), high < total)
        }
    }
}

/// Answers every page and count request in `fx` from a queue of `total`
/// tickets; returns what the answers asked for in turn.
fn serve(c: &mut Console, total: i64, fx: &[Effect]) -> Vec<Effect> {
    let mut out = Vec::new();
    for e in fx {
        match e {
            Effect::Request(Request::Page {
                generation,
                filter,
                dir,
                from,
                reset,
            }) => {
                let (rows, more) = cut(total, *dir, *from, filter.limit);
                let reply = Reply::Page {
                    generation: *generation,
                    dir: *dir,
                    reset: *reset,
                    from: *from,
                    rows,
                    more,
                };
                out.extend(update(c, Msg::Reply(reply)));
            }
            Effect::Request(Request::Count { generation, .. }) => {
                let reply = Reply::Count {
                    generation: *generation,
                    count: total,
                    capped: false,
                };
                out.extend(update(c, Msg::Reply(reply)));
            }
            _ => {}
        }
    }
    out
}

/// A page request, flattened for assertions.
#[derive(Debug, Clone, PartialEq)]
struct Page {
    generation: u64,
    query: Option<String>,
    dir: PageDir,
    from: Option<i64>,
    reset: bool,
}

fn pages(fx: &[Effect]) -> Vec<Page> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Page {
                generation,
                filter,
                dir,
                from,
                reset,
            }) => Some(Page {
                generation: *generation,
                query: filter.query.clone(),
                dir: *dir,
                from: *from,
                reset: *reset,
            }),
            _ => None,
        })
        .collect()
}

fn writes(fx: &[Effect]) -> Vec<WriteOp> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Write(op)) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

fn details(fx: &[Effect]) -> Vec<(u64, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Detail { generation, key }) => {
                Some((*generation, key.clone()))
            }
            _ => None,
        })
        .collect()
}

fn quits(fx: &[Effect]) -> bool {
    fx.contains(&Effect::Quit)
}

fn selected_key(c: &Console) -> String {
    c.queue
        .selected()
        .map(|r| r.ticket.key.clone())
        .expect("a selected row")
}

/// Opens the selected ticket with Enter and answers the detail request.
fn open_selected(c: &mut Console) -> TicketDetail {
    let fx = press(c, "<enter>");
    let [(generation, key)] = &details(&fx)[..] else {
        panic!("Enter should fetch one detail: {fx:?}")
    };
    let generation = *generation;
    let n: i64 = key["BOG-".len()..].parse().expect("key number");
    let detail = detail_of(ticket(n));
    let reply = Reply::Detail {
        generation,
        detail: Some(Box::new(detail.clone())),
        log: vec![],
        conflicts: vec![],
        extras: Default::default(),
    };
    // A ticket being worked: its earlier solved look-alikes are asked for
    // next, for the same detail; their answer fills the section.
    assert_eq!(
        update(c, Msg::Reply(reply)),
        vec![Effect::Request(Request::Solved {
            generation,
            key: key.clone()
        })]
    );
    let hint = SolvedHint {
        key: "BOG-1".into(),
        title: "Antes".into(),
        status: "closed".into(),
        solution: "Reiniciar".into(),
    };
    let stale = Reply::Solved {
        generation: generation - 1,
        tickets: vec![hint.clone()],
    };
    assert!(update(c, Msg::Reply(stale)).is_empty());
    assert!(
        c.detail.extras.solved.is_empty(),
        "an older detail's answer is dropped"
    );
    let fresh = Reply::Solved {
        generation,
        tickets: vec![hint.clone()],
    };
    assert!(update(c, Msg::Reply(fresh)).is_empty());
    assert_eq!(c.detail.extras.solved, vec![hint]);
    detail
}

fn top_overlay(c: &Console) -> &Overlay {
    c.overlays.last().expect("an overlay is open")
}

fn dossier_form(c: &Console) -> &DossierForm {
    match top_overlay(c) {
        Overlay::Dossier(f) => f,
        o => panic!("expected the dossier form, got {o:?}"),
    }
}

fn new_ticket_form(c: &Console) -> &NewTicketForm {
    match top_overlay(c) {
        Overlay::NewTicket(f) => f,
        o => panic!("expected the new-ticket form, got {o:?}"),
    }
}

fn form_ids(f: &NewTicketForm) -> Vec<String> {
    f.fields.iter().map(|f| f.id.clone()).collect()
}

fn error_notice(c: &Console) -> String {
    let n = c.notice.as_ref().expect("a notice");
    assert!(n.error, "the notice should be an error: {n:?}");
    n.text.clone()
}

// ----- the key macros themselves -----

#[test]
fn key_macros_spell_named_keys_and_type_the_rest() {
    let k = |s: &str| Key::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(
        keys("/ im <enter> <c-s> <s-tab> <space> <pgdown> <esc> G"),
        vec![
            Key::char('/'),
            Key::char('i'),
            Key::char('m'),
            k("enter"),
            k("ctrl-s"),
            k("shift-tab"),
            k("space"),
            k("pgdown"),
            k("esc"),
            k("G"),
        ]
    );
    assert_eq!(keys("<c-c>"), vec![Key::ctrl('c')]);
    assert_eq!(typed("30m revisé"), "30m <space> revisé");
    let text: String = keys(&typed("a b"))
        .iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(text, "a,space,b");
}

#[test]
fn the_sort_menu_offers_the_sla_countdown() {
    let mut c = loaded(5);
    assert!(!queue_filter(&c).by_sla);
    press(&mut c, "S j j <enter>");
    let filter = queue_filter(&c);
    assert!(filter.by_sla, "{filter:?}");
    assert!(filter.ascending, "most urgent first");
    // The menu opens on the sort in force: Enter keeps it.
    press(&mut c, "S <enter>");
    assert!(queue_filter(&c).by_sla);
    press(&mut c, "S g <enter>");
    assert!(!queue_filter(&c).by_sla);
}

// ----- the queue: cursor and paging -----

#[test]
fn start_asks_for_the_first_page_and_the_count_of_the_same_filter() {
    let mut c = console();
    let fx = start(&mut c);
    let generation = c.queue.generation;
    let filter = queue_filter(&c);
    assert_eq!(
        fx,
        vec![
            Effect::Request(Request::Page {
                generation,
                filter: filter.clone(),
                dir: PageDir::Forward,
                from: None,
                reset: true,
            }),
            Effect::Request(Request::Count { generation, filter }),
        ]
    );
    assert!(c.queue.loading);
    serve(&mut c, 1000, &fx);
    assert_eq!(c.queue.rows.len(), PAGE);
    assert_eq!(c.queue.total, Some(1000));
    assert!(c.queue.more_after && !c.queue.more_before && !c.queue.loading);
    assert_eq!(selected_key(&c), "BOG-1000");
}

#[test]
fn j_k_g_shift_g_and_pgdown_move_the_cursor() {
    let mut c = loaded(30);
    // Nothing to fetch (the SLA clocks of rows scrolled into view aside).
    let quiet = |fx: Vec<Effect>| {
        let fetches: Vec<&Effect> = fx
            .iter()
            .filter(|e| !matches!(e, Effect::Request(Request::Sla { .. })))
            .collect();
        assert!(fetches.is_empty(), "{fx:?}");
    };
    quiet(press(&mut c, "j j"));
    assert_eq!((c.queue.cursor, selected_key(&c)), (2, "BOG-28".into()));
    quiet(press(&mut c, "k"));
    assert_eq!(c.queue.cursor, 1);
    quiet(press(&mut c, "G"));
    assert_eq!((c.queue.cursor, selected_key(&c)), (29, "BOG-1".into()));
    quiet(press(&mut c, "j"));
    assert_eq!(c.queue.cursor, 29, "the cursor stops at the last row");
    quiet(press(&mut c, "g"));
    assert_eq!(c.queue.cursor, 0);
    quiet(press(&mut c, "k"));
    assert_eq!(c.queue.cursor, 0, "the cursor stops at the first row");
    quiet(press(&mut c, "<pgdown>"));
    let page = c.queue.height;
    assert!(page > 1);
    assert_eq!(c.queue.cursor, page);
    assert!(
        c.queue.scroll + page > c.queue.cursor,
        "the cursor stays on screen"
    );
    quiet(press(&mut c, "<down> <pgdown>"));
    assert_eq!(c.queue.cursor, 29);
    quiet(press(&mut c, "<up>"));
    assert_eq!(c.queue.cursor, 28);
}

#[test]
fn bottom_fetches_the_last_page_when_rows_lie_beyond_and_top_reloads() {
    let mut c = loaded(1000);
    let before = c.queue.generation;
    let fx = press(&mut c, "G");
    // A new generation: pages still on their way belong to the old window.
    let generation = c.queue.generation;
    assert!(generation > before);
    assert_eq!(
        pages(&fx),
        vec![Page {
            generation,
            query: None,
            dir: PageDir::Backward,
            from: None,
            reset: true,
        }]
    );
    serve(&mut c, 1000, &fx);
    assert_eq!(selected_key(&c), "BOG-1", "on the very last ticket");
    assert_eq!(c.queue.rows.len(), PAGE);
    assert!(c.queue.more_before && !c.queue.more_after);

    // Back to the top: rows were dropped before the window, so start again.
    let fx = press(&mut c, "g");
    let p = pages(&fx);
    assert_eq!(p.len(), 1, "{fx:?}");
    assert!(p[0].generation > generation);
    assert_eq!(
        (p[0].dir, p[0].from, p[0].reset),
        (PageDir::Forward, None, true)
    );
    serve(&mut c, 1000, &fx);
    assert_eq!(selected_key(&c), "BOG-1000");
}

/// `G` then `c` typed in one burst, before the last page arrives: the
/// comment is for the last ticket, the one the operator jumped to, not the
/// one the cursor was on (it used to open "Comment · BOG-1000" while the
/// screen showed BOG-1 selected).
#[test]
fn keys_typed_during_a_jump_act_on_where_it_lands() {
    let mut c = loaded(1000);
    let fx = press(&mut c, "G c");
    assert!(
        c.overlays.is_empty(),
        "c waits for the jump: {:?}",
        c.overlays
    );
    serve(&mut c, 1000, &fx);
    assert_eq!(selected_key(&c), "BOG-1");
    let target = top_overlay(&c).target();
    assert_eq!(target, ["BOG-1"], "the prompt is for {target:?}");
    // Enter typed with `g` opens the first ticket, not the last.
    let mut c = loaded(1000);
    let fx = press(&mut c, "G");
    serve(&mut c, 1000, &fx);
    let fx = press(&mut c, "g <enter>");
    let fx = serve(&mut c, 1000, &fx);
    assert_eq!(selected_key(&c), "BOG-1000");
    let asked = details(&fx);
    assert_eq!(asked.len(), 1, "{fx:?}");
    assert_eq!(asked[0].1, "BOG-1000");
}

#[test]
fn moving_near_the_end_fetches_the_next_page_once() {
    let mut c = loaded(1000);
    let generation = c.queue.generation;
    let mut request = None;
    for _ in 0..PAGE {
        let fx = press(&mut c, "j");
        let p = pages(&fx);
        if !p.is_empty() {
            request = Some((p, fx));
            break;
        }
    }
    let (p, fx) = request.expect("a page request before the end of the window");
    assert!(
        c.queue.cursor + c.queue.height < c.queue.rows.len(),
        "fetched before the last screen is reached (cursor {})",
        c.queue.cursor
    );
    assert_eq!(
        p,
        vec![Page {
            generation,
            query: None,
            dir: PageDir::Forward,
            from: Some(901),
            reset: false,
        }],
        "keyset paging continues from the last row's number"
    );
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Request(Request::Count { .. })))
    );

    // While it loads, more steps do not ask again.
    let cursor = c.queue.cursor;
    let again = press(&mut c, "j j <pgdown>");
    assert!(pages(&again).is_empty(), "{again:?}");
    let key = selected_key(&c);
    assert_eq!(c.queue.cursor, cursor + 2 + c.queue.height);

    let more = serve(&mut c, 1000, &fx);
    assert!(pages(&more).is_empty());
    assert_eq!(c.queue.rows.len(), 2 * PAGE);
    assert_eq!(c.queue.rows[PAGE].no, 900);
    assert_eq!(selected_key(&c), key, "the cursor stays on its ticket");
    assert!(c.queue.more_after && !c.queue.loading);
}

#[test]
fn replies_to_a_superseded_request_are_ignored() {
    let mut c = console();
    let first = start(&mut c);
    let second = press(&mut c, "/ x");
    assert_eq!(pages(&second).len(), 1);
    assert!(pages(&second)[0].generation > pages(&first)[0].generation);

    serve(&mut c, 50, &first);
    assert!(c.queue.rows.is_empty(), "the old filter's page was dropped");
    assert_eq!(c.queue.total, None, "the old filter's count was dropped");
    assert!(c.queue.loading);

    serve(&mut c, 7, &second);
    assert_eq!(c.queue.rows.len(), 7);
    assert_eq!(c.queue.total, Some(7));
}

#[test]
fn the_window_is_trimmed_at_window_max_and_refetched_going_back() {
    let total = 5000;
    let mut c = loaded(total);
    let mut trimmed = false;
    for _ in 0..200 {
        let fx = press(&mut c, "<pgdown>");
        let key = selected_key(&c);
        let more = serve(&mut c, total, &fx);
        assert!(pages(&more).is_empty(), "{more:?}");
        let q = &c.queue;
        assert!(q.rows.len() <= WINDOW_MAX, "{} rows kept", q.rows.len());
        assert!(
            q.rows.windows(2).all(|w| w[0].no == w[1].no + 1),
            "the window stays contiguous"
        );
        assert_eq!(selected_key(&c), key, "a page never moves the selection");
        if q.more_before {
            trimmed = true;
            break;
        }
    }
    assert!(trimmed, "the window never dropped its first rows");
    assert_eq!(c.queue.rows.len(), WINDOW_MAX);
    assert_eq!(c.queue.rows[0].no, total - PAGE as i64);

    // Going back up asks for what was dropped, from the first row kept.
    let key = selected_key(&c);
    let mut back = None;
    for _ in 0..WINDOW_MAX {
        let fx = press(&mut c, "k");
        if !pages(&fx).is_empty() {
            back = Some(fx);
            break;
        }
    }
    let fx = back.expect("a backward page request");
    let p = pages(&fx);
    assert_eq!(
        (p[0].dir, p[0].from, p[0].reset),
        (PageDir::Backward, Some(total - PAGE as i64), false)
    );
    assert_ne!(selected_key(&c), key);
    let key = selected_key(&c);
    serve(&mut c, total, &fx);
    assert_eq!(selected_key(&c), key);
    assert_eq!(c.queue.rows.len(), WINDOW_MAX);
    assert_eq!(c.queue.rows[0].no, total);
    assert!(!c.queue.more_before && c.queue.more_after);
}

// ----- the text filter -----

#[test]
fn slash_filters_by_prefix_as_each_character_is_typed() {
    let mut c = loaded(10);
    assert!(press(&mut c, "/").is_empty());
    assert!(c.queue.typing.is_some());
    let mut last = c.queue.generation;
    let mut typed_so_far = String::new();
    for ch in "impre".chars() {
        typed_so_far.push(ch);
        let fx = press(&mut c, &ch.to_string());
        let p = pages(&fx);
        assert_eq!(p.len(), 1, "{fx:?}");
        let query = p[0].query.clone().expect("a text query");
        assert_eq!(query.trim_end_matches('*'), typed_so_far);
        assert!(p[0].reset && p[0].from.is_none());
        assert!(p[0].generation > last, "each keystroke is a new request");
        last = p[0].generation;
        assert!(fx.contains(&Effect::Request(Request::Count {
            generation: last,
            filter: queue_filter(&c),
        })));
    }
    assert_eq!(
        pages(&press(&mut c, "<backspace> e"))
            .last()
            .and_then(|p| p.query.as_deref()),
        Some("impre*"),
        "the last word is a prefix"
    );
    assert_eq!(queue_filter(&c).query.as_deref(), Some("impre*"));

    // Enter keeps the filter and closes the prompt; q then quits again.
    assert!(press(&mut c, "<enter>").is_empty());
    assert!(c.queue.typing.is_none());
    assert_eq!(c.queue.text, "impre");

    // Esc on the queue clears the filter rather than leaving.
    let fx = press(&mut c, "<esc>");
    let p = pages(&fx);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].query, None);
    assert!(c.queue.text.is_empty() && !c.quit && !quits(&fx));
}

#[test]
fn esc_in_the_filter_prompt_drops_the_filter() {
    let mut c = loaded(10);
    press(&mut c, "/ impre");
    let fx = press(&mut c, "<esc>");
    assert!(c.queue.typing.is_none());
    assert!(c.queue.text.is_empty());
    assert_eq!(pages(&fx).len(), 1);
    assert_eq!(pages(&fx)[0].query, None);
    assert!(!quits(&fx) && !c.quit);
}

// ----- leaving -----

#[test]
fn esc_never_quits_in_any_pane_or_overlay() {
    let cases = [
        "1", "2", "3", "4", "5", "<enter>", "?", ":", "n", "c", "w", "s", "A", "/", "/ abc",
        "<space>", "v", "f", "S",
    ];
    for case in cases {
        let mut c = loaded(10);
        let mut fx = press(&mut c, case);
        fx.extend(press(&mut c, "<esc> <esc> <esc> <esc>"));
        assert!(!quits(&fx), "{case} then Esc quit: {fx:?}");
        assert!(!c.quit, "{case} then Esc set quit");
        assert!(c.overlays.is_empty(), "{case}: Esc closes overlays");
        assert!(c.queue.typing.is_none(), "{case}: Esc closes the prompt");
        assert_eq!(c.focus, Pane::Queue, "{case}: Esc goes back to the queue");
    }
}

#[test]
fn q_quits_from_every_pane() {
    for pane in ["1", "2", "3", "4", "5"] {
        let mut c = loaded(3);
        press(&mut c, pane);
        assert!(!c.quit);
        let fx = press(&mut c, "q");
        assert!(quits(&fx) && c.quit, "q in pane {pane}");
    }
}

#[test]
fn ctrl_c_quits_even_from_an_open_prompt_form_or_palette() {
    for case in [
        "c hola", "w 30m", "n Caída", ": dash", "/ impre", "s", "?", "E dato",
    ] {
        let mut c = loaded(3);
        // The selected ticket is loaded, so E opens the dossier form.
        open_selected(&mut c);
        press(&mut c, "h");
        let fx = press(&mut c, case);
        assert!(!quits(&fx) && !c.quit, "{case} alone must not quit");
        assert!(writes(&fx).is_empty(), "{case}: {fx:?}");
        assert!(
            !c.overlays.is_empty() || c.queue.typing.is_some(),
            "{case} should leave something open"
        );
        let fx = press(&mut c, "<c-c>");
        assert_eq!(fx, vec![Effect::Quit], "{case} then ctrl-c");
        assert!(c.quit);
    }
}

/// A worklog whose duration does not read is refused in the prompt, which
/// stays open with the text, so the note is not lost to a typo.
#[test]
fn a_bad_worklog_duration_keeps_the_prompt_and_its_text() {
    let mut c = loaded(3);
    let fx = press(
        &mut c,
        &format!("w {} <enter>", typed("abc revisé el servidor")),
    );
    assert!(writes(&fx).is_empty(), "{fx:?}");
    // Said in the prompt, where it stays while the text is corrected.
    match top_overlay(&c) {
        Overlay::Prompt { input, error, .. } => {
            assert_eq!(input.text, "abc revisé el servidor");
            let error = error.as_deref().unwrap_or_default();
            assert!(error.contains("'abc' is not a duration"), "{error}");
        }
        o => panic!("expected the worklog prompt, got {o:?}"),
    }
    press(&mut c, "<end> x");
    assert!(
        matches!(top_overlay(&c), Overlay::Prompt { error: Some(_), .. }),
        "typing keeps the refusal in sight"
    );
    press(&mut c, "<backspace>");
    // Corrected in place, it is sent.
    let fx = press(&mut c, "<home> <del> <del> <del> 4 5 m <enter>");
    assert_eq!(writes(&fx).len(), 1, "{fx:?}");
    assert!(c.overlays.is_empty());
}

/// `Ctrl-l` repaints the whole screen with a prompt, a form, the palette or
/// the help open too, and leaves them as they were.
#[test]
fn ctrl_l_repaints_whatever_is_open() {
    for opener in ["", "c", "n", ":", "?", "v"] {
        let mut c = loaded(3);
        press(&mut c, opener);
        let open = c.overlays.len();
        let fx = press(&mut c, "<c-l>");
        assert_eq!(fx, vec![Effect::FullRedraw], "after {opener:?}");
        assert_eq!(c.overlays.len(), open, "after {opener:?}");
    }
}

#[test]
fn q_types_inside_a_prompt_instead_of_quitting() {
    let mut c = loaded(3);
    let fx = press(&mut c, "c q");
    assert!(!quits(&fx) && !c.quit);
    match top_overlay(&c) {
        Overlay::Prompt { input, .. } => assert_eq!(input.text, "q"),
        o => panic!("expected the comment prompt, got {o:?}"),
    }
}

// ----- panes -----

#[test]
fn enter_opens_the_selected_ticket_and_h_goes_back() {
    let mut c = loaded(10);
    let fx = press(&mut c, "j <enter>");
    assert_eq!(c.focus, Pane::Detail);
    let d = details(&fx);
    assert_eq!(d.len(), 1, "{fx:?}");
    assert_eq!(d[0].1, "BOG-9");
    assert_eq!(d[0].0, c.detail.generation);
    assert_eq!(c.detail.key.as_deref(), Some("BOG-9"));

    assert!(press(&mut c, "h").is_empty());
    assert_eq!(c.focus, Pane::Queue);

    // Once loaded, opening the same ticket again reads nothing.
    let mut c = loaded(10);
    open_selected(&mut c);
    press(&mut c, "h");
    assert!(details(&press(&mut c, "<enter>")).is_empty());
    assert_eq!(c.focus, Pane::Detail);
    assert!(press(&mut c, "<left>").is_empty());
    assert_eq!(c.focus, Pane::Queue);
    // Another ticket is fetched.
    let fx = press(&mut c, "j l");
    assert_eq!(details(&fx).len(), 1);
    assert_eq!(details(&fx)[0].1, "BOG-9");
}

#[test]
fn digits_and_tab_switch_panes() {
    let mut c = loaded(5);
    for (digit, pane) in ["2", "3", "4", "5", "1"].iter().zip([
        Pane::Detail,
        Pane::Escalation,
        Pane::Runbooks,
        Pane::Dashboard,
        Pane::Queue,
    ]) {
        let fx = press(&mut c, digit);
        assert_eq!(c.focus, pane, "key {digit}");
        if pane == Pane::Dashboard {
            assert!(
                fx.iter()
                    .any(|e| matches!(e, Effect::Request(Request::Dashboard { .. }))),
                "the dashboard is fetched when shown: {fx:?}"
            );
        }
    }
    for pane in Pane::ALL.iter().cycle().skip(1).take(5) {
        press(&mut c, "<tab>");
        assert_eq!(c.focus, *pane);
    }
    press(&mut c, "<s-tab>");
    assert_eq!(c.focus, Pane::Dashboard);
    press(&mut c, "<s-tab> <s-tab>");
    assert_eq!(c.focus, Pane::Escalation);
}

// ----- marks and bulk actions -----

#[test]
fn space_marks_tickets_and_a_assigns_all_of_them_to_me() {
    let mut c = loaded(10);
    let fx = press(&mut c, "<space> <space> j <space>");
    assert!(fx.is_empty(), "{fx:?}");
    let expected: BTreeSet<String> = ["BOG-10", "BOG-9", "BOG-7"].map(String::from).into();
    assert_eq!(c.queue.marked, expected);
    assert_eq!(c.queue.cursor, 4, "each mark steps down");

    // Unmark one, mark it again: a toggle.
    press(&mut c, "k <space>");
    assert!(!c.queue.marked.contains("BOG-7"));
    press(&mut c, "k <space>");
    assert_eq!(c.queue.marked, expected);

    let ops = writes(&press(&mut c, "a"));
    let [WriteOp::Assign { keys, to }] = &ops[..] else {
        panic!("one assign for all the marked tickets: {ops:?}")
    };
    assert_eq!(to.as_deref(), Some(OPERATOR));
    assert_eq!(keys.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(keys.len(), expected.len());
}

/// Rejecting as a duplicate asks the worker for the likeliest originals and
/// lists them in the note prompt, each on its own line (a title would cut
/// them off), never typed into the note; a reason that is not a duplicate
/// asks for nothing.
#[test]
fn rejecting_as_a_duplicate_proposes_the_likeliest_originals() {
    let mut c = loaded(5);
    let pick = |c: &mut Console, code: &str| -> Vec<Effect> {
        press(c, "R");
        let Overlay::Menu { items, purpose, .. } = top_overlay(c).clone() else {
            panic!("R opens a menu")
        };
        assert_eq!(purpose, MenuPurpose::RejectReason);
        let at = items.iter().position(|i| i.value == code).expect("offered");
        press(c, &format!("{} <enter>", vec!["j"; at].join(" ")))
    };
    let fx = pick(&mut c, "missing_docs");
    assert!(fx.is_empty(), "{fx:?}");
    press(&mut c, "<esc>");
    let fx = pick(&mut c, "duplicate");
    assert_eq!(
        fx,
        vec![Effect::Request(Request::Originals {
            key: "BOG-5".into(),
            code: "duplicate".into()
        })]
    );
    // The worker's answer for `key` rejected as `code`; then the prompt's
    // lines under the text, and the text.
    let answer = |c: &mut Console, key: &str, code: &str| -> (String, String) {
        let tickets = vec![
            ("BOG-2".to_string(), "Caída de facturación".to_string()),
            ("BOG-1".to_string(), "Facturación lenta".to_string()),
        ];
        let (key, code) = (key.to_string(), code.to_string());
        update(c, Msg::Reply(Reply::Originals { key, code, tickets }));
        let Overlay::Prompt { info, input, .. } = top_overlay(c).clone() else {
            panic!("the note prompt")
        };
        (info.join("\n"), input.text)
    };
    // An answer about another ticket changes nothing...
    let (shown, text) = answer(&mut c, "BOG-3", "duplicate");
    assert!(text.is_empty() && !shown.contains("BOG-2"), "{shown}");
    // ...nor a late one for this ticket once it is rejected for another
    // reason (Esc, then R again).
    press(&mut c, "<esc>");
    pick(&mut c, "missing_docs");
    let (shown, text) = answer(&mut c, "BOG-5", "duplicate");
    assert!(text.is_empty() && !shown.contains("BOG-2"), "{shown}");
    press(&mut c, "<esc>");
    pick(&mut c, "duplicate");
    let (shown, text) = answer(&mut c, "BOG-5", "duplicate");
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines.contains(&"  BOG-2  Caída de facturación")
            && lines.contains(&"  BOG-1  Facturación lenta"),
        "{shown}"
    );
    // A second answer (the database changed meanwhile) replaces the first.
    let (again, _) = answer(&mut c, "BOG-5", "duplicate");
    assert_eq!(again, shown);
    // Proposed in the prompt, never typed for the operator: a key that
    // arrived while they typed would be linked in place of theirs.
    assert_eq!(text, "");
    let fx = press(&mut c, &format!("{} <enter>", typed("BOG-2 mismo corte")));
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Reject {
            key: "BOG-5".into(),
            code: "duplicate".into(),
            note: Some("BOG-2 mismo corte".into()),
        }]
    );
    // What the operator typed first stays.
    pick(&mut c, "duplicate");
    press(&mut c, &typed("BOG-1"));
    assert_eq!(answer(&mut c, "BOG-5", "duplicate").1, "BOG-1");
}

#[test]
fn s_moves_the_marked_tickets_after_the_note_prompt() {
    let mut c = loaded(10);
    press(&mut c, "<space> <space>");
    assert!(press(&mut c, "s").is_empty());
    let Overlay::Menu {
        items,
        purpose,
        keys,
        ..
    } = top_overlay(&c).clone()
    else {
        panic!("s opens a menu")
    };
    assert_eq!(purpose, MenuPurpose::Status);
    assert_eq!(keys.len(), 2);
    let at = items
        .iter()
        .position(|i| i.value == "in_progress")
        .expect("in_progress offered");
    let down = vec!["j"; at].join(" ");
    assert!(press(&mut c, &format!("{down} <enter>")).is_empty());
    assert!(matches!(
        top_overlay(&c),
        Overlay::Prompt {
            purpose: PromptPurpose::StatusNote { .. },
            ..
        }
    ));
    let fx = press(&mut c, &format!("{} <enter>", typed("el cliente llamó")));
    assert!(c.overlays.is_empty());
    let ops = writes(&fx);
    let [WriteOp::Move { keys, state, note }] = &ops[..] else {
        panic!("one move: {fx:?}")
    };
    assert_eq!(state, "in_progress");
    assert_eq!(note.as_deref(), Some("el cliente llamó"));
    let keys: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(keys, ["BOG-10", "BOG-9"].map(String::from).into());
}

#[test]
fn the_status_menu_of_one_ticket_offers_what_its_workflow_reaches() {
    let mut c = loaded(3);
    press(&mut c, "s");
    let Overlay::Menu { items, .. } = top_overlay(&c) else {
        panic!("s opens a menu")
    };
    let values: Vec<String> = items.iter().map(|i| i.value.clone()).collect();
    let wf = c
        .config
        .workflow_for_type("incident")
        .expect("incident workflow");
    assert_eq!(values, lifecycle::reachable(wf, "new"));
    assert!(!values.iter().any(|v| v == "closed"));
    // Esc leaves without writing; an empty note is no note.
    assert!(press(&mut c, "<esc>").is_empty());
    assert!(c.overlays.is_empty());
    let ops = writes(&press(&mut c, "s <enter> <enter>"));
    assert_eq!(
        ops,
        vec![WriteOp::Move {
            keys: vec!["BOG-3".into()],
            state: values[0].clone(),
            note: None,
        }]
    );
}

#[test]
fn one_marked_ticket_is_offered_the_states_its_own_status_reaches() {
    let mut c = console();
    let fx = start(&mut c);
    let mut resolved = row(1);
    resolved.ticket.status = "resolved".into();
    let reply = Reply::Page {
        generation: pages(&fx)[0].generation,
        dir: PageDir::Forward,
        reset: true,
        from: None,
        rows: vec![row(2), resolved],
        more: false,
    };
    update(&mut c, Msg::Reply(reply));
    // Mark BOG-2 (new); the cursor steps onto BOG-1 (resolved).
    press(&mut c, "<space> s");
    let Overlay::Menu { items, keys, .. } = top_overlay(&c) else {
        panic!("s opens a menu")
    };
    assert_eq!(keys, &vec!["BOG-2".to_string()]);
    let values: Vec<&str> = items.iter().map(|i| i.value.as_str()).collect();
    let wf = c.config.workflow_for_type("incident").expect("workflow");
    assert_eq!(values, lifecycle::reachable(wf, "new"));
}

// ----- one-ticket writes -----

#[test]
fn c_comments_on_the_selected_ticket() {
    let mut c = loaded(5);
    let fx = press(
        &mut c,
        &format!("j c {} <enter>", typed("Se reinició la cola")),
    );
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Comment {
            key: "BOG-4".into(),
            body: "Se reinició la cola".into(),
        }]
    );
    assert!(c.overlays.is_empty());
    // An empty comment writes nothing, and says so in the prompt, which
    // stays open (closing silently would look like a comment saved).
    assert!(writes(&press(&mut c, "c <space> <space> <enter>")).is_empty());
    match top_overlay(&c) {
        Overlay::Prompt { error, input, .. } => {
            assert_eq!(input.text, "  ");
            let error = error.as_deref().unwrap_or_default();
            assert!(error.contains("The comment is empty"), "{error}");
        }
        o => panic!("expected the comment prompt, got {o:?}"),
    }
    press(&mut c, "<esc>");
    assert!(c.overlays.is_empty());
}

#[test]
fn e_opens_the_editor_and_its_text_becomes_a_comment() {
    let mut c = loaded(5);
    let fx = press(&mut c, "e");
    assert_eq!(
        fx,
        vec![Effect::OpenEditor {
            key: "BOG-5".into()
        }]
    );
    let fx = update(
        &mut c,
        Msg::EditorDone {
            key: "BOG-5".into(),
            text: Some("Línea uno\nLínea dos\n".into()),
        },
    );
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Comment {
            key: "BOG-5".into(),
            body: "Línea uno\nLínea dos\n".into(),
        }]
    );
    let fx = update(
        &mut c,
        Msg::EditorDone {
            key: "BOG-5".into(),
            text: Some("  \n".into()),
        },
    );
    assert!(fx.is_empty());
    assert!(c.notice.is_some(), "an empty editor says nothing was saved");
}

#[test]
fn w_logs_work_with_the_time_spent_and_a_note() {
    let mut c = loaded(5);
    let fx = press(&mut c, &format!("w {} <enter>", typed("30m revisé")));
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Worklog {
            key: "BOG-5".into(),
            spent: "30m".into(),
            note: "revisé".into(),
        }]
    );
}

// ----- escalation -----

#[test]
fn escalating_an_incomplete_ticket_opens_a_form_of_exactly_the_missing_fields() {
    let mut c = loaded(3);
    let detail = open_selected(&mut c);
    assert!(press(&mut c, "E").is_empty());
    let form = dossier_form(&c);
    let dossier = escalation::build(&c.config, &detail, 2, Lang::En);
    assert!(!dossier.missing.is_empty());
    let fields: Vec<String> = form.missing.iter().map(|m| m.field.clone()).collect();
    assert_eq!(fields, dossier.missing);
    assert_eq!((form.key.as_str(), form.level), ("BOG-3", 2));
    assert!(
        !fields.contains(&"reporter_email".to_string()),
        "fields the ticket has are not asked again"
    );
    assert!(
        form.present
            .iter()
            .any(|(_, v)| v == "ana.torres@example.org")
    );
}

#[test]
fn the_dossier_form_refuses_empty_fields_and_escalates_once_filled() {
    let mut c = loaded(3);
    open_selected(&mut c);
    let fx = press(&mut c, "E <c-s>");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    let form = dossier_form(&c).clone();
    let error = form
        .error
        .clone()
        .expect("the refusal is shown in the form");
    for m in &form.missing {
        assert!(error.contains(&m.label), "{error} should name {}", m.label);
    }

    // Fill every field with a value of its kind, then save.
    let mut expected = Vec::new();
    for m in &form.missing {
        let kind = c.config.field(&m.field).map(|f| f.kind);
        let value = match kind {
            Some(FieldKind::Number) => "12".to_string(),
            Some(FieldKind::Boolean) => "no".to_string(),
            _ => format!("Dato de {}", m.field),
        };
        let fx = press(&mut c, &format!("{} <tab>", typed(&value)));
        assert!(fx.is_empty());
        expected.push((m.field.clone(), value));
    }
    let fx = press(&mut c, "<c-s>");
    // Each based on what the ticket held: nothing, as the form listed them.
    let based_on = expected.iter().map(|(f, _)| (f.clone(), None)).collect();
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Escalate {
            key: "BOG-3".into(),
            level: 2,
            fields: expected,
            based_on,
        }]
    );
    assert!(c.overlays.is_empty());
}

#[test]
fn the_dossier_form_refuses_a_value_of_the_wrong_kind() {
    let mut c = loaded(3);
    open_selected(&mut c);
    press(&mut c, "E");
    let form = dossier_form(&c).clone();
    let number = form
        .missing
        .iter()
        .position(|m| m.field == "affected_users")
        .expect("affected_users is missing");
    for (i, _) in form.missing.iter().enumerate() {
        let value = if i == number { "muchos" } else { "algo" };
        press(&mut c, &format!("{value} <tab>"));
    }
    let fx = press(&mut c, "<c-s>");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    let form = dossier_form(&c);
    assert_eq!(form.selected, number, "the form goes to the bad field");
    let error = form.error.clone().expect("an error");
    assert!(error.contains("muchos"), "{error}");
}

// ----- palette, help, new ticket -----

#[test]
fn the_palette_runs_actions_by_name_and_opens_tickets_by_key() {
    let mut c = loaded(3);
    let fx = press(&mut c, ": dash <enter>");
    assert_eq!(c.focus, Pane::Dashboard);
    assert!(c.overlays.is_empty());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Request(Request::Dashboard { .. }))),
        "{fx:?}"
    );

    let fx = press(&mut c, ": goto <space> bog-7 <enter>");
    assert_eq!(c.focus, Pane::Detail);
    assert_eq!(details(&fx).len(), 1, "{fx:?}");
    assert_eq!(details(&fx)[0].1, "BOG-7");
    assert_eq!(c.detail.key.as_deref(), Some("BOG-7"));

    // Esc closes the palette without doing anything.
    assert!(press(&mut c, ": dash <esc>").is_empty());
    assert!(c.overlays.is_empty());
    assert_eq!(c.focus, Pane::Detail);

    // A key the database does not have: said so, and no phantom ticket is
    // left open for the next key to act on.
    let fx = press(&mut c, ": goto <space> BOG-99999 <enter>");
    let [(generation, _)] = &details(&fx)[..] else {
        panic!("goto asks for the detail: {fx:?}")
    };
    update(
        &mut c,
        Msg::Reply(Reply::Detail {
            generation: *generation,
            detail: None,
            log: vec![],
            conflicts: vec![],
            extras: Default::default(),
        }),
    );
    assert!(error_notice(&c).contains("no ticket BOG-99999 in this database"));
    assert_eq!(c.focus, Pane::Queue);
    assert_eq!(c.detail.key, None);
    // Not a key at all: refused before asking.
    let fx = press(&mut c, ": goto <space> hola <enter>");
    assert!(details(&fx).is_empty(), "{fx:?}");
    assert!(error_notice(&c).contains("'hola' is not a ticket key"));
}

#[test]
fn question_mark_opens_the_help_which_takes_the_keys() {
    let mut c = loaded(5);
    assert!(press(&mut c, "?").is_empty());
    assert_eq!(top_overlay(&c), &Overlay::Help { scroll: 0 });
    press(&mut c, "j j");
    assert_eq!(top_overlay(&c), &Overlay::Help { scroll: 2 });
    assert_eq!(c.queue.cursor, 0, "j scrolls the help, not the queue");
    press(&mut c, "<esc>");
    assert!(c.overlays.is_empty());
    assert!(!c.quit);
}

#[test]
fn the_new_ticket_form_cycles_types_and_shows_their_mandatory_fields() {
    let mut c = loaded(1);
    assert!(press(&mut c, "n").is_empty());
    let cfg = c.config.clone();
    let mandatory = |ty: &str| -> Vec<String> {
        cfg.ticket_type(ty)
            .expect("type")
            .mandatory
            .iter()
            .map(|f| f.get_ref().clone())
            .collect()
    };
    let base = [
        "type",
        "service",
        "title",
        "description",
        "impact",
        "urgency",
    ];
    let form = new_ticket_form(&c);
    assert_eq!(
        form.fields[form.selected].id, "title",
        "typing starts at the title"
    );
    assert_eq!(form.fields[0].input.text, "incident");
    assert_eq!(form_ids(form)[6..], mandatory("incident")[..]);
    assert_eq!(form_ids(form)[..6], base.map(String::from)[..]);

    press(&mut c, "<up> <up>");
    assert_eq!(new_ticket_form(&c).selected, 0);
    let types: Vec<String> = cfg.types.iter().map(|t| t.id.get_ref().clone()).collect();
    let start = types
        .iter()
        .position(|t| t == "incident")
        .expect("incident");
    for step in 1..=types.len() {
        press(&mut c, "<right>");
        let form = new_ticket_form(&c);
        let ty = &types[(start + step) % types.len()];
        assert_eq!(&form.fields[0].input.text, ty);
        assert_eq!(form_ids(form)[6..], mandatory(ty)[..], "fields of {ty}");
    }
    press(&mut c, "<left>");
    let ty = &types[(start + types.len() - 1) % types.len()];
    assert_eq!(&new_ticket_form(&c).fields[0].input.text, ty);
    assert_eq!(form_ids(new_ticket_form(&c))[6..], mandatory(ty)[..]);
}

#[test]
fn the_new_ticket_form_refuses_an_empty_title_and_creates_a_complete_ticket() {
    let mut c = loaded(1);
    let fx = press(&mut c, "n <c-s>");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    let error = new_ticket_form(&c).error.clone().expect("a refusal");
    assert!(
        error.contains(catalogue(Lang::En).title_label),
        "the refusal names the title: {error}"
    );

    // Title (each keystroke looks for similar tickets), description, then a
    // type without mandatory fields.
    let fx = press(&mut c, &typed("VPN caída"));
    let similar = fx
        .iter()
        .filter(|e| matches!(e, Effect::Request(Request::Similar { .. })))
        .count();
    assert_eq!(similar, "VPN caída".chars().count());
    press(
        &mut c,
        &format!("<tab> {}", typed("Sin acceso desde las 8")),
    );
    press(&mut c, "<s-tab> <s-tab> <s-tab>");
    assert_eq!(new_ticket_form(&c).selected, 0);
    let support = c
        .config
        .types
        .iter()
        .position(|t| t.id.get_ref() == "support")
        .expect("support type");
    let incident = c
        .config
        .types
        .iter()
        .position(|t| t.id.get_ref() == "incident")
        .expect("incident type");
    let n = c.config.types.len();
    let right = vec!["<right>"; (support + n - incident) % n].join(" ");
    press(&mut c, &right);
    assert_eq!(new_ticket_form(&c).fields[0].input.text, "support");
    let fx = press(&mut c, "<c-s>");
    let ops = writes(&fx);
    let [WriteOp::Create(draft)] = &ops[..] else {
        panic!("one create: {fx:?}")
    };
    assert_eq!(draft.ticket_type, "support");
    assert_eq!(draft.title, "VPN caída");
    assert_eq!(draft.description, "Sin acceso desde las 8");
    assert_eq!(draft.service, c.config.services[0].id.get_ref().as_str());
    assert!(draft.fields.is_empty());
    assert!(c.overlays.is_empty());
}

// ----- read-only -----

#[test]
fn a_read_only_console_refuses_writes_with_a_notice() {
    for case in ["a", "A", "s", "p", "=", "R", "c", "w", "e", "E", "n"] {
        let mut c = loaded_with(console_with(None, builtin_keymap()), 3);
        let fx = press(&mut c, case);
        assert!(writes(&fx).is_empty(), "{case}: {fx:?}");
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::OpenEditor { .. })),
            "{case}: {fx:?}"
        );
        assert!(c.overlays.is_empty(), "{case} opened {:?}", c.overlays);
        assert_eq!(error_notice(&c), WHY_READ_ONLY, "{case}");
    }
    let mut c = loaded_with(console_with(None, builtin_keymap()), 3);
    let fx = press(&mut c, ": assign <space> bruno <enter>");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    assert_eq!(error_notice(&c), WHY_READ_ONLY);
    let fx = update(
        &mut c,
        Msg::EditorDone {
            key: "BOG-3".into(),
            text: Some("texto".into()),
        },
    );
    assert!(writes(&fx).is_empty(), "{fx:?}");
    // Reading still works.
    let fx = press(&mut c, "<enter>");
    assert_eq!(details(&fx).len(), 1);
}

#[test]
fn the_palette_records_approvals_and_links_on_the_selected_ticket() {
    let mut c = loaded(3);
    let key = c.current_key().expect("a selected ticket");
    let fx = press(
        &mut c,
        ": approve <space> large_estimate <space> Prioridad <space> del <space> comité <enter>",
    );
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Approve {
            key: key.clone(),
            approval: "large_estimate".into(),
            reason: "Prioridad del comité".into(),
        }]
    );
    let fx = press(&mut c, ": link <space> bog-2 <space> problem <enter>");
    assert_eq!(
        writes(&fx),
        vec![WriteOp::Link {
            key,
            other: "BOG-2".into(),
            kind: "problem".into(),
        }]
    );
}

#[test]
fn palette_assign_without_a_ticket_asks_for_one() {
    let mut c = loaded(0);
    let fx = press(&mut c, ": assign <space> bruno <enter>");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        error_notice(&c),
        catalogue(Lang::En).select_ticket_first.to_string()
    );
}

// ----- known errors and major incidents -----

#[test]
fn k_applies_the_first_known_error_of_the_detail_shown() {
    let mut c = loaded(3);
    let key = c.current_key().expect("a selected ticket");
    // Not opened yet: nothing is applied blind.
    let fx = press(&mut c, "K");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    assert_eq!(error_notice(&c), catalogue(Lang::En).open_first.to_string());
    let fx = press(&mut c, "<enter>");
    let [(generation, _)] = &details(&fx)[..] else {
        panic!("Enter should fetch one detail: {fx:?}")
    };
    let hint = |k: &str| KnownHint {
        key: k.into(),
        title: "Caché".into(),
        status: "published".into(),
        workaround: "Borrar la caché".into(),
    };
    let reply = Reply::Detail {
        generation: *generation,
        detail: Some(Box::new(detail_of(ticket(3)))),
        log: vec![],
        conflicts: vec![],
        extras: DetailExtras {
            known: vec![hint("BOG-90"), hint("BOG-91")],
            ..Default::default()
        },
    };
    update(&mut c, Msg::Reply(reply));
    assert_eq!(
        writes(&press(&mut c, "K")),
        vec![WriteOp::ApplyKnown {
            key: key.clone(),
            known: "BOG-90".into(),
        }]
    );
    // Another one by key, through the palette.
    assert_eq!(
        writes(&press(&mut c, ": known <space> bog-91 <enter>")),
        vec![WriteOp::ApplyKnown {
            key,
            known: "BOG-91".into(),
        }]
    );
}

/// `K` on an opened ticket with no known error suggested says which ticket
/// nothing matches and how to apply one anyway: a whole sentence.
#[test]
fn k_with_nothing_to_apply_names_the_ticket_and_the_way_out() {
    let mut c = loaded(3);
    let key = c.current_key().expect("a selected ticket");
    open_selected(&mut c);
    let fx = press(&mut c, "K");
    assert!(writes(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        error_notice(&c),
        format!("no suggested known error matches {key}; to apply another: palette (:) known KEY")
    );
    c.lang = Lang::Es;
    press(&mut c, "K");
    assert_eq!(
        error_notice(&c),
        format!(
            "ningún error conocido sugerido coincide con {key}; para aplicar otro: paleta (:) known CLAVE"
        )
    );
}

#[test]
fn the_palette_still_finds_the_known_error_action_by_its_word() {
    let mut c = loaded(3);
    press(&mut c, ": known");
    let Some(Overlay::Palette { input, .. }) = c.overlays.last() else {
        panic!("the palette is open")
    };
    let found = guardia::tui::forms::palette_matches(&c, &input.text);
    assert!(found.contains(&guardia::tui::action::Action::ApplyKnown));
}

#[test]
fn marked_rows_attach_to_the_newest_major_incident_offered() {
    let mut c = loaded(5);
    let brief = |k: &str| MajorBrief {
        key: k.into(),
        title: "Caída".into(),
        service: "osf".into(),
        children_open: 0,
        children: 0,
    };
    update(
        &mut c,
        Msg::Reply(Reply::Majors(vec![brief("BOG-40"), brief("BOG-30")])),
    );
    // The banner took one of the queue's rows.
    assert_eq!(c.queue.height, guardia::tui::view::list_rows(23).0);
    press(&mut c, "<space> <space> M");
    let Some(Overlay::Prompt { input, purpose, .. }) = c.overlays.last() else {
        panic!("M opens a prompt: {:?}", c.overlays)
    };
    assert_eq!(input.text, "BOG-40");
    let PromptPurpose::MajorAttach { keys } = purpose else {
        panic!("{purpose:?}")
    };
    assert_eq!(keys, &vec!["BOG-4".to_string(), "BOG-5".to_string()]);
    assert_eq!(
        writes(&press(&mut c, "<enter>")),
        vec![WriteOp::AttachToMajor {
            major: "BOG-40".into(),
            keys: vec!["BOG-4".into(), "BOG-5".into()],
        }]
    );
    // Resolved everywhere: the banner goes and the row comes back.
    update(&mut c, Msg::Reply(Reply::Majors(vec![])));
    assert_eq!(c.queue.height, guardia::tui::view::list_rows(24).0);
}

#[test]
fn read_only_consoles_neither_apply_nor_attach() {
    let mut c = loaded_with(console_with(None, builtin_keymap()), 3);
    for k in ["K", "M"] {
        let fx = press(&mut c, k);
        assert!(
            writes(&fx).is_empty() && c.overlays.is_empty(),
            "{k}: {fx:?}"
        );
        assert_eq!(error_notice(&c), WHY_READ_ONLY);
    }
}

// ----- the keymap -----

#[test]
fn keys_go_through_the_keymap_a_user_file_rebinds_them() {
    // Built in, x does nothing in the queue.
    let mut c = loaded(5);
    assert!(press(&mut c, "x").is_empty());
    assert_eq!(c.queue.cursor, 0);

    let keymap = Keymap::from_user_text("keymap.toml", "[list]\n\"x\" = \"move_down\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = loaded_with(console_with(Some(OPERATOR), keymap), 5);
    press(&mut c, "x x");
    assert_eq!(c.queue.cursor, 2);

    let keymap = Keymap::from_user_text("keymap.toml", "[list]\n\"j\" = \"none\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = loaded_with(console_with(Some(OPERATOR), keymap), 5);
    press(&mut c, "j j");
    assert_eq!(c.queue.cursor, 0, "an unbound j does nothing");
    press(&mut c, "<down>");
    assert_eq!(c.queue.cursor, 1, "the other bindings stay");
}

#[test]
fn keymap_files_are_refused_with_the_file_and_line() {
    let cases = [
        (
            "[list]\n\"x\" = \"move_dwn\"\n",
            "keymap.toml:2",
            "move_dwn",
        ),
        (
            "[list]\n\"ctrl-\" = \"move_down\"\n",
            "keymap.toml:2",
            "ctrl-",
        ),
        (
            "[list]\n\"G\" = \"top\"\n\"shift-g\" = \"bottom\"\n",
            "keymap.toml:3",
            "line 2",
        ),
        // The same key twice is a TOML error; the key is named.
        (
            "[list]\n\"x\" = \"top\"\n\"x\" = \"bottom\"\n",
            "keymap.toml:3",
            "duplicate key 'x'",
        ),
    ];
    for (text, place, detail) in cases {
        let err = Keymap::from_user_text("keymap.toml", text)
            .expect_err(&format!("should be refused: {text}"));
        let message = err.to_string();
        assert!(message.contains(place), "{text:?}: {message}");
        assert!(message.contains(detail), "{text:?}: {message}");
        assert_eq!(err.problems.len(), 1, "{message}");
    }
}

fn dashboard_requests(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Request(Request::Dashboard { .. })))
        .count()
}

#[test]
fn the_dashboard_is_read_again_only_after_the_database_changed() {
    let mut c = loaded(30);
    let fx = press(&mut c, "5");
    assert_eq!(dashboard_requests(&fx), 1);
    let generation = c.dashboard.generation;
    update(
        &mut c,
        Msg::Reply(Reply::Dashboard {
            generation,
            data: Box::default(),
        }),
    );
    // Back and forth with nothing changed: shown from what was read.
    press(&mut c, "1");
    assert_eq!(dashboard_requests(&press(&mut c, "5")), 0);
    // Another process wrote while the queue was in front.
    press(&mut c, "1");
    update(&mut c, Msg::Reply(Reply::Changed));
    assert_eq!(dashboard_requests(&press(&mut c, "5")), 1);
    // While it is in front, a change is read at once.
    let fx = update(&mut c, Msg::Reply(Reply::Changed));
    assert_eq!(dashboard_requests(&fx), 1);
}

#[test]
fn one_marked_ticket_is_the_one_single_ticket_actions_act_on() {
    let mut c = loaded(10);
    // Mark BOG-10; the cursor steps onto BOG-9.
    press(&mut c, "<space>");
    assert_eq!(selected_key(&c), "BOG-9");
    press(&mut c, "R");
    let Overlay::Menu { keys, .. } = top_overlay(&c) else {
        panic!("a menu of reasons")
    };
    assert_eq!(keys, &["BOG-10".to_string()]);
    press(&mut c, "<esc>");
    let ops = writes(&press(&mut c, &format!("c {} <enter>", typed("hola"))));
    assert!(
        matches!(&ops[..], [WriteOp::Comment { key, .. }] if key == "BOG-10"),
        "{ops:?}"
    );
}

#[test]
fn several_marked_tickets_refuse_an_action_meant_for_one() {
    let mut c = loaded(10);
    press(&mut c, "<space> <space>");
    let fx = press(&mut c, "c");
    assert!(fx.is_empty() && c.overlays.is_empty(), "{fx:?}");
    assert!(error_notice(&c).contains("2 tickets marked"));
    // Bulk actions still take them all.
    let ops = writes(&press(&mut c, "a"));
    assert!(matches!(&ops[..], [WriteOp::Assign { keys, .. }] if keys.len() == 2));
}

#[test]
fn a_continuation_page_for_a_replaced_window_is_not_appended() {
    let mut c = loaded(1000);
    let before = c.queue.rows.len();
    // A page continuing from a row that is no longer the window's edge
    // (a refresh replaced the window while it was on its way).
    let stale = Reply::Page {
        generation: c.queue.generation,
        dir: PageDir::Forward,
        reset: false,
        from: Some(123_456),
        rows: vec![row(5000)],
        more: true,
    };
    update(&mut c, Msg::Reply(stale));
    assert_eq!(c.queue.rows.len(), before);
    assert!(!c.queue.rows.iter().any(|r| r.ticket.key == "BOG-5000"));
}

#[test]
fn escape_cannot_be_bound_to_quit() {
    let err = Keymap::from_user_text("keymap.toml", "[global]\n\"esc\" = \"quit\"\n")
        .expect_err("esc = quit is refused")
        .to_string();
    assert!(err.contains("keymap.toml:2"), "{err}");
    assert!(err.contains("esc cannot quit"), "{err}");
}

#[test]
fn rows_ask_for_their_sla_clocks_and_show_them_once_they_arrive() {
    use guardia::domain::sla::ClockState;
    use guardia::tui::msg::SlaBrief;
    let mut c = console();
    let fx = start(&mut c);
    let fx = serve(&mut c, 30, &fx);
    let asked: Vec<Vec<String>> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Sla { keys, .. }) => Some(keys.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "{fx:?}");
    // Only the rows on screen: each clock reads a ticket's log.
    assert_eq!(asked[0].len(), c.queue.height.min(c.queue.rows.len()));
    let generation = c.queue.generation;
    let brief = SlaBrief {
        state: ClockState::Breached,
        remaining_minutes: -90,
        response: false,
        paused: false,
    };
    update(
        &mut c,
        Msg::Reply(Reply::Sla {
            generation,
            clocks: vec![("BOG-30".into(), brief.clone())],
        }),
    );
    assert_eq!(c.queue.sla.get("BOG-30"), Some(&brief));
    // A reply for an older generation (another filter) is ignored.
    update(
        &mut c,
        Msg::Reply(Reply::Sla {
            generation: generation + 99,
            clocks: vec![("BOG-29".into(), brief)],
        }),
    );
    assert!(!c.queue.sla.contains_key("BOG-29"));
    // A minute later the clocks are read again, and the dashboard's counts
    // are read again when it is next shown.
    let fx = update(&mut c, Msg::Tick);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Request(Request::Sla { .. })))
    );
    assert!(c.dashboard.stale);
}

// ----- sync: conflicts view and background sync -----

/// A console whose guardia.toml has `[sync]` with `extra`.
fn console_syncing_with(extra: &str) -> Console {
    let config = Config::builtin_with_settings(&format!("[sync]\n{extra}"))
        .expect("configuration with [sync]");
    let identity = Identity {
        operator: Some(OPERATOR.into()),
        why_read_only: None,
    };
    let mut c = Console::new(
        Arc::new(config),
        builtin_keymap(),
        Theme::default16(),
        Lang::En,
        identity,
        "guardia test".into(),
    );
    update(&mut c, Msg::Resize(80, 24));
    loaded_with(c, 5)
}

fn syncs(fx: &[Effect]) -> Vec<guardia::config::SyncVia> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Sync(via)) => Some(via.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_conflicts_view_asks_for_conflicted_tickets_in_every_state() {
    let mut c = loaded(5);
    assert!(!queue_filter(&c).conflicts);
    // Sorted by SLA first: the view still lists closed tickets, newest first.
    press(&mut c, "S j j <enter>");
    let fx = press(&mut c, &format!("v {} <enter>", "j ".repeat(6)));
    let f = queue_filter(&c);
    assert!(f.conflicts, "{f:?}");
    assert!(f.statuses.is_empty(), "every state: {f:?}");
    assert!(!f.by_sla && !f.ascending, "{f:?}");
    assert_eq!(pages(&fx).len(), 1, "a fresh page of the view: {fx:?}");
    // Esc goes back to the open tickets.
    press(&mut c, "<esc>");
    assert!(!queue_filter(&c).conflicts);
}

#[test]
fn ctrl_r_syncs_in_the_background_one_at_a_time_and_refreshes_after() {
    let mut c = console_syncing_with("folder = \"/srv/compartido\"");
    open_selected(&mut c);
    press(&mut c, "<esc>");
    let fx = press(&mut c, "<c-r>");
    assert_eq!(
        syncs(&fx),
        vec![guardia::config::SyncVia::Folder("/srv/compartido".into())]
    );
    let job = c.job.clone().expect("the job shows at once");
    assert_eq!(job.label, "syncing…");
    // A second press while it runs starts nothing and says why.
    let again = press(&mut c, "<c-r>");
    assert!(syncs(&again).is_empty(), "{again:?}");
    assert!(error_notice(&c).contains("still running"));
    // Progress changes the label, not the start.
    let fx = update(
        &mut c,
        Msg::Reply(Reply::Job {
            label: "syncing… applying 5/10".into(),
            done: None,
        }),
    );
    assert!(fx.is_empty());
    let running = c.job.clone().expect("still running");
    assert_eq!(running.label, "syncing… applying 5/10");
    assert_eq!(running.started, job.started);
    // The outcome is said, and the queue and the opened ticket are read again.
    let fx = update(
        &mut c,
        Msg::Reply(Reply::Job {
            label: "syncing…".into(),
            done: Some(Ok("synced: imported 4 changes from 1 file(s)".into())),
        }),
    );
    assert!(c.job.is_none());
    let n = c.notice.clone().expect("a notice");
    assert!(
        !n.error && n.text.starts_with("synced: imported 4"),
        "{n:?}"
    );
    assert_eq!(pages(&fx).len(), 1, "{fx:?}");
    assert_eq!(details(&fx).len(), 1, "{fx:?}");
    // A refused file is an error notice.
    press(&mut c, "<c-r>");
    update(
        &mut c,
        Msg::Reply(Reply::Job {
            label: "syncing…".into(),
            done: Some(Err("synced: file refused: x.gdb: refused: bad".into())),
        }),
    );
    assert!(error_notice(&c).contains("file refused"));
}

#[test]
fn the_palette_finds_sync_and_git_targets_keep_their_branch() {
    let mut c = console_syncing_with("git = \"/srv/sync.git\"\nbranch = \"mesa\"");
    let fx = press(&mut c, ": sync <enter>");
    assert_eq!(
        syncs(&fx),
        vec![guardia::config::SyncVia::Git {
            repo: "/srv/sync.git".into(),
            branch: "mesa".into()
        }]
    );
}

#[test]
fn sync_is_refused_without_a_target_and_on_the_example_database() {
    let mut c = loaded(5);
    let fx = press(&mut c, "<c-r>");
    assert!(syncs(&fx).is_empty());
    assert!(c.job.is_none());
    assert!(error_notice(&c).contains("[sync]"));
    let mut c = console_syncing_with("folder = \"/srv/compartido\"");
    c.example = true;
    let fx = press(&mut c, "<c-r>");
    assert!(syncs(&fx).is_empty());
    assert!(error_notice(&c).contains("example database"));
}

// ----- refusals, targets, small terminals -----

/// The database's answer to `op`, as the worker sends it.
fn written(c: &mut Console, op: WriteOp, result: Result<&str, &str>, refused: &[&str]) {
    let key = op.keys().first().cloned();
    update(
        c,
        Msg::Reply(Reply::Written {
            result: result.map(str::to_string).map_err(str::to_string),
            key,
            op: Box::new(op),
            refused: refused.iter().map(|k| k.to_string()).collect(),
        }),
    );
}

fn the_write(fx: &[Effect]) -> WriteOp {
    match &writes(fx)[..] {
        [op] => op.clone(),
        other => panic!("expected one write, got {other:?}"),
    }
}

/// `=` offers the built-in fields by their labels, as the catalogue's
/// fields are offered (in both languages), and the value prompt names the
/// field by its label too.
#[test]
fn the_field_menu_and_its_prompt_name_fields_by_label() {
    for (lang, expected, prompt) in [
        (
            Lang::En,
            [
                "title — Title",
                "description — Description",
                "impact — Impact",
                "urgency — Urgency",
                "service — Service",
                "reporter_email — Reporter's e-mail",
            ],
            "New value (Impact)",
        ),
        (
            Lang::Es,
            [
                "title — Título",
                "description — Descripción",
                "impact — Impacto",
                "urgency — Urgencia",
                "service — Servicio",
                "reporter_email — Correo del usuario",
            ],
            "Nuevo valor (Impacto)",
        ),
    ] {
        let mut c = loaded(5);
        c.lang = lang;
        press(&mut c, "=");
        let Overlay::Menu { items, purpose, .. } = top_overlay(&c).clone() else {
            panic!("= opens a menu")
        };
        assert_eq!(purpose, MenuPurpose::SetField);
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels[..6], expected, "{lang:?}");
        press(&mut c, "j j <enter>");
        let Overlay::Prompt { title, purpose, .. } = top_overlay(&c).clone() else {
            panic!("the value prompt")
        };
        assert!(
            matches!(&purpose, PromptPurpose::FieldValue { field, .. } if field == "impact"),
            "{purpose:?}"
        );
        assert_eq!(title, prompt);
    }
}

/// A value the database refuses opens its prompt again, with the text as
/// typed and the refusal in the prompt; corrected and accepted, it closes.
#[test]
fn a_refused_prompt_opens_again_with_its_text_and_the_refusal() {
    let mut c = loaded(5);
    // `=`, the first field offered (the title), a new value.
    let text = "natalia.pena@example.org, noc@conectasur";
    let fx = press(&mut c, &format!("= <enter> <c-u> {} <enter>", typed(text)));
    let op = the_write(&fx);
    assert!(c.overlays.is_empty(), "sent: the prompt closes meanwhile");
    let refusal = "BOG-5: field 'emails': 'noc@conectasur' is not an e-mail address";
    written(&mut c, op, Err(refusal), &["BOG-5"]);
    match top_overlay(&c) {
        Overlay::Prompt {
            input,
            error,
            purpose,
            ..
        } => {
            assert_eq!(input.text, text);
            assert_eq!(error.as_deref(), Some(refusal));
            assert!(matches!(purpose, PromptPurpose::FieldValue { key, .. } if key == "BOG-5"));
        }
        o => panic!("expected the value prompt again, got {o:?}"),
    }
    assert!(c.notice.is_none(), "said in the prompt, not twice");
    // Corrected and sent again; this time accepted.
    let fx = press(
        &mut c,
        &format!("<c-u> {} <enter>", typed("noc@conectasur.example.org")),
    );
    let op = the_write(&fx);
    written(&mut c, op, Ok("BOG-5: emails updated"), &[]);
    assert!(c.overlays.is_empty(), "{:?}", c.overlays);
    // A refusal of a change made from a menu (no typing) is only said.
    let fx = press(&mut c, "A <enter>");
    let op = the_write(&fx);
    written(&mut c, op, Err("BOG-5: no"), &["BOG-5"]);
    assert!(c.overlays.is_empty());
    assert_eq!(error_notice(&c), "BOG-5: no");
}

/// An edit from a pre-filled prompt is sent with the value it started
/// from; refused because someone changed the field meanwhile, the prompt
/// opens again with the text typed and the refusal, based on the value now,
/// so that Enter again sends the text based on what the operator was told.
#[test]
fn an_edit_refused_as_changed_meanwhile_opens_again_based_on_the_value_now() {
    let mut c = loaded(5);
    // `=`, the title (the first field offered), starting from the title.
    let fx = press(&mut c, &format!("= <enter> {} <enter>", typed(" EDIT")));
    let op = the_write(&fx);
    assert_eq!(
        op,
        WriteOp::Set {
            key: "BOG-5".into(),
            field: "title".into(),
            value: "Impresora 5 no imprime EDIT".into(),
            justification: None,
            based_on: vec![("title".into(), Some(json!("Impresora 5 no imprime")))],
        }
    );
    let refusal = "BOG-5: Title changed meanwhile to 'CLI title' (by julia); your text is \
                   kept in the prompt: edit it and press Enter again, or Esc to leave it as it is";
    let fx = update(
        &mut c,
        Msg::Reply(Reply::Outdated {
            message: refusal.into(),
            key: "BOG-5".into(),
            op: Box::new(op),
            now: vec![("title".into(), Some(json!("CLI title")))],
        }),
    );
    assert!(!details(&fx).is_empty() || !pages(&fx).is_empty(), "{fx:?}");
    match top_overlay(&c) {
        Overlay::Prompt {
            input,
            error,
            purpose,
            ..
        } => {
            assert_eq!(input.text, "Impresora 5 no imprime EDIT");
            assert_eq!(error.as_deref(), Some(refusal));
            assert_eq!(
                *purpose,
                PromptPurpose::FieldValue {
                    key: "BOG-5".into(),
                    field: "title".into(),
                    base: Some(json!("CLI title")),
                }
            );
        }
        o => panic!("expected the value prompt again, got {o:?}"),
    }
    assert!(c.notice.is_none(), "said in the prompt, not twice");
    let fx = press(&mut c, "<enter>");
    assert!(
        matches!(
            the_write(&fx),
            WriteOp::Set { value, based_on, .. }
                if value == "Impresora 5 no imprime EDIT"
                    && based_on == vec![("title".into(), Some(json!("CLI title")))]
        ),
        "{fx:?}"
    );

    // The dossier form the same way: its fields start from no value.
    let mut c = loaded(3);
    open_selected(&mut c);
    press(&mut c, "E");
    let form = dossier_form(&c).clone();
    assert!(form.missing.iter().all(|m| m.base.is_none()), "{form:?}");
    for _ in &form.missing {
        press(&mut c, "12 <tab>");
    }
    let op = the_write(&press(&mut c, "<c-s>"));
    let first = form.missing[0].field.clone();
    update(
        &mut c,
        Msg::Reply(Reply::Outdated {
            message: "changed meanwhile".into(),
            key: "BOG-3".into(),
            op: Box::new(op),
            now: vec![(first.clone(), Some(json!("Visto por julia")))],
        }),
    );
    let form = dossier_form(&c).clone();
    assert_eq!(form.error.as_deref(), Some("changed meanwhile"));
    assert!(
        form.missing.iter().all(|m| m.input.text == "12"),
        "{form:?}"
    );
    let fx = press(&mut c, "<c-s>");
    let Some(WriteOp::Escalate { based_on, .. }) = writes(&fx).into_iter().next() else {
        panic!("Ctrl-s escalates again: {fx:?}")
    };
    assert_eq!(based_on[0], (first, Some(json!("Visto por julia"))));
    assert!(
        based_on[1..].iter().all(|(_, v)| v.is_none()),
        "{based_on:?}"
    );
}

/// A bulk move refused for some of the marked tickets opens its note again
/// for those only, so Enter does not move the others a second time.
#[test]
fn a_bulk_move_refused_for_some_opens_its_note_again_for_those() {
    let mut c = loaded(5);
    press(&mut c, "<space> <space> <space> s");
    let Overlay::Menu { items, .. } = top_overlay(&c).clone() else {
        panic!("s opens a menu")
    };
    let at = items
        .iter()
        .position(|i| i.value == "in_progress")
        .expect("in_progress offered");
    let down = vec!["j"; at].join(" ");
    let fx = press(
        &mut c,
        &format!("{down} <enter> {} <enter>", typed("llamó")),
    );
    let op = the_write(&fx);
    written(
        &mut c,
        op,
        Err("2 tickets: moved to in_progress; BOG-4: needs a field"),
        &["BOG-4"],
    );
    let o = top_overlay(&c);
    assert_eq!(o.target(), ["BOG-4"]);
    match o {
        Overlay::Prompt { input, purpose, .. } => {
            assert_eq!(input.text, "llamó");
            assert!(
                matches!(purpose, PromptPurpose::StatusNote { keys, state } if keys == &["BOG-4"] && state == "in_progress")
            );
        }
        o => panic!("expected the note prompt, got {o:?}"),
    }
}

/// The application layer words its advice for the command line; the
/// console says it with its own keys.
#[test]
fn command_line_advice_in_a_refusal_is_said_with_the_console_keys() {
    let mut c = loaded(5);
    // A manual priority with an empty justification.
    let fx = press(&mut c, "p <enter> <enter>");
    let op = the_write(&fx);
    written(
        &mut c,
        op,
        Err(
            "a manual priority needs a justification; add --justification \"why\" (the matrix gives 'medium')",
        ),
        &["BOG-5"],
    );
    let Overlay::Prompt { error, .. } = top_overlay(&c) else {
        panic!("the justification prompt again")
    };
    let error = error.clone().unwrap_or_default();
    assert!(
        error.contains("write why in the justification prompt"),
        "{error}"
    );
    assert!(!error.contains("--"), "{error}");
    press(&mut c, "<esc>");

    // A move that needs fields: set them with `=` here.
    let fx = press(&mut c, "s <enter> <enter>");
    let op = the_write(&fx);
    written(
        &mut c,
        op,
        Err(
            "BOG-5: entering 'resolved' requires solution, root_cause; set them first (e.g. `guardia set BOG-5 solution=...`, or `--field solution=...` on the move itself)",
        ),
        &["BOG-5"],
    );
    let Overlay::Prompt { error, .. } = top_overlay(&c) else {
        panic!("the note prompt again")
    };
    let error = error.clone().unwrap_or_default();
    assert_eq!(
        error,
        "BOG-5: entering 'resolved' requires solution, root_cause; set them first with = (Set a field)"
    );
    press(&mut c, "<esc>");

    // An approval without a reason, from the palette: the palette opens
    // again with the command, the status line says how to write it.
    let fx = press(
        &mut c,
        &format!(": {} <enter>", typed("approve large_estimate")),
    );
    let op = the_write(&fx);
    written(
        &mut c,
        op,
        Err("an approval needs a reason; add --reason \"why\" (it is recorded with your name)"),
        &["BOG-5"],
    );
    let Overlay::Palette { input, .. } = top_overlay(&c) else {
        panic!("the palette again")
    };
    assert_eq!(input.text, "approve large_estimate");
    let notice = error_notice(&c);
    assert!(notice.contains("`approve ID REASON`"), "{notice}");
    assert!(!notice.contains("--reason"), "{notice}");
}

/// Growing the window shows more rows: their SLA clocks are asked for at
/// once, not at the next minute's refresh.
#[test]
fn a_taller_window_asks_for_the_clocks_of_the_rows_it_uncovers() {
    let mut c = loaded(100);
    let before = c.queue.height;
    let fx = update(&mut c, Msg::Resize(100, 50));
    let asked: Vec<String> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Sla { keys, .. }) => Some(keys.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let uncovered: Vec<String> = c.queue.rows[before..c.queue.height]
        .iter()
        .map(|r| r.ticket.key.clone())
        .collect();
    assert!(!uncovered.is_empty());
    assert_eq!(asked, uncovered);
}

/// Below the smallest size the screen shows only that it is too small:
/// keys act on nothing then, except leaving and repainting.
#[test]
fn keys_do_nothing_while_the_terminal_is_too_small() {
    let mut c = loaded(5);
    update(&mut c, Msg::Resize(20, 5));
    let fx = press(&mut c, "j j a c x <enter> n");
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(c.queue.cursor, 0);
    assert!(c.overlays.is_empty());
    assert!(update(&mut c, Msg::Paste("x".into())).is_empty());
    assert_eq!(press(&mut c, "<c-l>"), vec![Effect::FullRedraw]);
    // Grown back, the keys act again.
    update(&mut c, Msg::Resize(80, 24));
    press(&mut c, "j");
    assert_eq!(c.queue.cursor, 1);
    // `q` leaves, also while too small.
    update(&mut c, Msg::Resize(20, 5));
    assert!(quits(&press(&mut c, "q")));
}

/// Text pasted into the new-ticket form counts as typed: the field is
/// checked again and a title looks up similar tickets.
#[test]
fn a_paste_into_the_new_ticket_form_counts_as_typing() {
    let mut c = loaded(5);
    press(&mut c, "n");
    let title = "No se puede iniciar sesión";
    let fx = update(&mut c, Msg::Paste(title.into()));
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Request(Request::Similar { title: t, .. }) if t == title
        )),
        "{fx:?}"
    );
    let form = new_ticket_form(&c);
    assert_eq!(form.fields[form.selected].id, "title");
    assert_eq!(form.fields[form.selected].error, None);
    // Down to the reporter's e-mail; a pasted bad address is named.
    let down = form_ids(form)
        .iter()
        .position(|id| id == "reporter_email")
        .expect("an incident asks for the reporter's e-mail")
        - form.selected;
    press(&mut c, &vec!["<tab>"; down].join(" "));
    update(&mut c, Msg::Paste("noemail".into()));
    let form = new_ticket_form(&c);
    let error = form.fields[form.selected].error.clone().unwrap_or_default();
    assert!(
        error.contains("'noemail' is not an e-mail address"),
        "{error}"
    );
}
