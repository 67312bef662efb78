//! The console as a new operator met it on a first shift in Spanish
//! (review 9): the words after unticking a step or saving an internal
//! note, where the cursor lands after registering or resolving a ticket,
//! resolved tickets awaiting conformity, why a priority is what it is, the
//! filter menu's names, field values by their labels, the evidence prompt's
//! title, a notice for nothing saved, text cut at 80 columns, and the sort
//! menu. In-process through the fake worker where the state tells it, the
//! real binary in a pseudo-terminal where only the whole program does.

mod common;

use common::Env;
use common::console::{DETAIL_KEY, Fake, RUNBOOK, plain_detail, render, screen};
use common::pty::Pty;
use guardia::config::{Config, Lang};
use guardia::tui::i18n::{catalogue, state_label};
use guardia::tui::msg::{Effect, Msg, NewTicketDraft, Reply, Request, WriteOp};
use guardia::tui::state::{Console, MenuItem, Overlay, Pane, View};
use guardia::tui::theme::Theme;
use guardia::tui::update::{queue_filter, update};
use serde_json::json;

const ENTER: &str = "\r";

fn console(fake: &Fake, lang: Lang, w: u16, h: u16) -> Console {
    fake.console(lang, Theme::default16(), w, h)
}

fn writes(fx: &[Effect]) -> Vec<WriteOp> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Write(op)) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

/// The worker's answer to `op`, done: the notice `said`, the ticket to
/// show `key`; then the fake answers the refreshes it causes.
fn written(fake: &Fake, c: &mut Console, op: WriteOp, said: &str, key: Option<&str>) {
    let fx = update(
        c,
        Msg::Reply(Reply::Written {
            result: Ok(said.to_string()),
            key: key.map(str::to_string),
            op: Box::new(op),
            refused: Vec::new(),
        }),
    );
    let rest = fake.serve(c, fx);
    assert!(writes(&rest).is_empty(), "{rest:?}");
}

fn selected(c: &Console) -> String {
    c.queue
        .selected()
        .map(|r| r.ticket.key.clone())
        .unwrap_or_default()
}

fn menu_items(c: &Console) -> (String, Vec<MenuItem>) {
    match c.overlays.last() {
        Some(Overlay::Menu { title, items, .. }) => (title.clone(), items.clone()),
        o => panic!("expected a menu, got {o:?}"),
    }
}

fn notice(c: &Console) -> String {
    c.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

// ----- 2. the ticket just registered -----

/// A ticket registered with Ctrl-s is the one the next key acts on: the
/// cursor goes to it when the refreshed queue lists it, not to the row it
/// was on before.
#[test]
fn the_cursor_lands_on_the_ticket_just_registered() {
    let mut fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "j j");
    assert_eq!(selected(&c), "BOG-23");
    // The database now holds BOG-26, the newest: first in the queue.
    let mut row = fake.rows[0].clone();
    row.no = 26;
    row.ticket.key = "BOG-26".into();
    row.ticket.title = "Las órdenes de Movilidad no llegan".into();
    fake.rows.insert(0, row);
    let op = WriteOp::Create(NewTicketDraft::default());
    written(&fake, &mut c, op, "BOG-26 registrado", Some("BOG-26"));
    assert_eq!(selected(&c), "BOG-26");
    assert_eq!(c.current_key().as_deref(), Some("BOG-26"));
    assert_eq!(
        c.detail.key.as_deref(),
        Some("BOG-26"),
        "its detail is read"
    );
}

/// Registered while a view that does not list it is on ("Waiting on
/// customer"): its detail opens, so the next key acts on it, and the
/// status line says why.
#[test]
fn a_ticket_registered_outside_the_view_opens_in_the_detail() {
    let mut fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "v j j j j j enter");
    assert_eq!(c.queue.view, View::Waiting);
    let mut row = fake.rows[0].clone();
    row.no = 26;
    row.ticket.key = "BOG-26".into();
    row.ticket.status = "new".into();
    fake.rows.insert(0, row);
    let op = WriteOp::Create(NewTicketDraft::default());
    written(&fake, &mut c, op, "BOG-26 registrado", Some("BOG-26"));
    assert_eq!(c.focus, Pane::Detail);
    assert_eq!(c.current_key().as_deref(), Some("BOG-26"));
    let said = notice(&c);
    assert!(said.starts_with("BOG-26 registrado"), "{said}");
    assert!(said.contains("se muestra en el detalle"), "{said}");
}

// ----- 3. resolved, awaiting the caller's conformity -----

/// Resolving the ticket under the cursor takes it out of "Open": the
/// status line says so, names the row the cursor is on now and the view
/// that lists the ticket, and that view lists it (resolved tickets only).
#[test]
fn a_ticket_resolved_from_the_queue_says_where_it_went() {
    let mut fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    assert_eq!(selected(&c), DETAIL_KEY);
    let op = WriteOp::Move {
        keys: vec![DETAIL_KEY.into()],
        state: "resolved".into(),
        note: None,
    };
    for r in &mut fake.rows {
        if r.ticket.key == DETAIL_KEY {
            r.ticket.status = "resolved".into();
        }
    }
    written(&fake, &mut c, op, "BOG-25: ahora Resuelto", None);
    let said = notice(&c);
    assert!(
        said.contains("BOG-25 ya no está en «Abiertos»; el cursor pasó a BOG-24"),
        "{said}"
    );
    assert!(
        said.contains("«Resueltos (pendientes de conformidad)» (v)"),
        "{said}"
    );
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("el cursor pasó a"), "{text}");

    // The view before the knowledge base lists the resolved tickets, and
    // only them.
    fake.press(&mut c, "v G k");
    let (_, items) = menu_items(&c);
    assert_eq!(
        items.iter().rev().nth(1).map(|i| i.label.as_str()),
        Some("Resueltos (pendientes de conformidad)")
    );
    fake.press(&mut c, "enter");
    assert_eq!(c.queue.view, View::Resolved);
    let f = queue_filter(&c);
    assert!(f.statuses.iter().any(|s| s == "resolved"), "{f:?}");
    assert!(
        !f.statuses
            .iter()
            .any(|s| s == "in_progress" || s == "closed")
    );
    assert!(!f.by_sla, "a resolved ticket has no running clock: {f:?}");
    let keys: Vec<&str> = c.queue.rows.iter().map(|r| r.ticket.key.as_str()).collect();
    assert_eq!(keys, [DETAIL_KEY]);
    // The title names the view.
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("Resueltos (pendientes de conformidad) (1)"),
        "{text}"
    );
}

/// A change that leaves the ticket in the view keeps the cursor on it.
#[test]
fn a_change_that_keeps_the_ticket_in_the_view_keeps_the_cursor_on_it() {
    let mut fake = Fake::hostile();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "j");
    let key = selected(&c);
    // It becomes the newest row (its order changed), and stays open.
    let i = fake
        .rows
        .iter()
        .position(|r| r.ticket.key == key)
        .expect("row");
    let mut row = fake.rows.remove(i);
    row.no = 30;
    fake.rows.insert(0, row);
    let op = WriteOp::Comment {
        key: key.clone(),
        body: "hola".into(),
    };
    written(
        &fake,
        &mut c,
        op,
        &format!("{key}: comment saved"),
        Some(&key),
    );
    assert_eq!(selected(&c), key);
    assert_eq!(notice(&c), format!("{key}: comment saved"));
}

// ----- 4. why the priority is what it is; the state by its name -----

#[test]
fn the_detail_says_why_the_priority_is_what_it_is_and_names_the_state() {
    let fake = Fake::hostile();
    let cfg = Config::builtin().expect("config");
    for lang in [Lang::Es, Lang::En] {
        let mut c = console(&fake, lang, 80, 24);
        fake.press(&mut c, "enter");
        let text = screen(&render(&c, 80, 24));
        // A manual priority: its justification, labelled the same in both
        // languages (as `guardia show` does).
        assert!(text.contains("↳ manual: Proceso crítico"), "{text}");
        let name = state_label(&cfg, lang, "incident", "in_progress");
        assert_ne!(name, "in_progress");
        let status = catalogue(lang).f_status;
        assert!(
            text.contains(&format!("{status}: {name} (in_progress)")),
            "{text}"
        );
    }
    // A priority a rule raised: the rule and what it means.
    let mut fake = Fake::hostile();
    let t = &mut fake.detail.ticket;
    t.priority_justification = None;
    t.priority = "critical".into();
    t.fields.insert("total_outage".into(), json!(true));
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "enter");
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("↳ subida por: caida-total (Caída total del servicio.)"),
        "{text}"
    );
    // The matrix alone: nothing under the priority.
    let mut fake = Fake::hostile();
    let mut t = fake.detail.ticket.clone();
    t.priority_justification = None;
    t.priority = "high".into();
    t.impact = "high".into();
    t.urgency = "medium".into();
    fake.detail = plain_detail(t);
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "enter");
    let text = screen(&render(&c, 80, 24));
    assert!(!text.contains('↳'), "{text}");
}

/// `guardia set` says the priority after a change; the console says it
/// when the change moved it (impact, urgency, service or a rule's field).
#[test]
fn a_field_change_that_moves_the_priority_says_so() {
    let mut env = Env::new();
    env.lang = "es".into();
    let key = env.incident("Las órdenes de Movilidad no llegan", "Desde las 7:00");
    let before = env.show(&key)["priority"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for(&key);
    // `=` on the impact (third field), pre-filled with its label.
    pty.send("=");
    pty.wait_for("Campo a editar");
    pty.send("jj");
    pty.send(ENTER);
    pty.wait_for("Nuevo valor (Impacto)");
    pty.send("\x15");
    pty.send("Alto");
    pty.send(ENTER);
    let screen = pty.wait_for("Impacto → Alto");
    let after = env.show(&key)["priority"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(before, after, "the impact moves the priority");
    assert!(screen.contains("(prioridad ahora P"), "{screen}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

// ----- 1 and 6. unticking a step, an internal note -----

#[test]
fn unticking_a_step_and_saving_an_internal_note_say_what_happened() {
    let mut env = Env::new();
    env.lang = "es".into();
    let key = env.incident("Las órdenes de Movilidad no llegan", "Desde las 7:00");
    env.ok(&["runbook", "run", "osf-monitoreo", &key]);
    env.ok(&[
        "runbook",
        "tick",
        &key,
        "osf-monitoreo/bd-conexion",
        "--evidence",
        "conexión ok",
    ]);
    let mut pty = Pty::spawn(&env, 80, 24, &[], &[]);
    pty.wait_for(&key);
    pty.send("4");
    pty.wait_for("[x]");
    // The first item, ticked: Space takes the tick back.
    pty.send("j");
    pty.send(" ");
    let screen = pty.wait_for("desmarcado");
    assert!(
        screen.contains(&format!("{key}: paso osf-monitoreo/bd-conexion desmarcado")),
        "{screen}"
    );
    // An internal note is said to be one.
    pty.send("c");
    pty.wait_for("Comentario");
    pty.send("!El cliente confirma que sigue fallando");
    pty.send(ENTER);
    pty.wait_for(&format!("{key}: nota interna guardada"));
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
    let shown = env.show(&key);
    let comments = shown["comments"].as_array().cloned().unwrap_or_default();
    assert!(comments.iter().any(|c| c["internal"] == true), "{shown:#}");
}

// ----- 5. the filter menu by names -----

#[test]
fn the_filter_menu_names_fields_and_states_by_their_labels() {
    let fake = Fake::hostile();
    let cfg = Config::builtin().expect("config");
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "f enter");
    let (title, items) = menu_items(&c);
    assert_eq!(title, "Filtrar por: Estado");
    // Each state by the name the default type's workflow gives it (most
    // tickets follow it), not another workflow's, and on one line.
    let label = |id: &str| {
        items
            .iter()
            .find(|i| i.value == id)
            .map(|i| i.label.clone())
            .unwrap_or_else(|| panic!("no {id} in {items:?}"))
    };
    for id in ["new", "resolved", "in_progress"] {
        let main = state_label(&cfg, Lang::Es, "incident", id);
        assert_eq!(label(id), format!("{main} ({id})"));
    }
    let support_only = state_label(&cfg, Lang::Es, "support", "analysis");
    assert_eq!(label("analysis"), format!("{support_only} (analysis)"));
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains(&format!(
            "│ {} (new) ",
            state_label(&cfg, Lang::Es, "incident", "new")
        )),
        "{text}"
    );
    // The default workflow's states first, in its order.
    assert_eq!(items.get(1).map(|i| i.value.as_str()), Some("new"));
    for (keys, title) in [
        ("f j enter", "Filtrar por: Prioridad"),
        ("f j j enter", "Filtrar por: Servicio"),
        ("f j j j enter", "Filtrar por: Asignado a"),
        ("f j j j j enter", "Filtrar por: Nivel"),
    ] {
        fake.press(&mut c, "esc");
        fake.press(&mut c, keys);
        assert_eq!(menu_items(&c).0, title, "{keys}");
    }
}

// ----- 7. field values by their labels -----

/// `=` on the impact starts from its label, not its id; `=` on a choice
/// field takes the value with capitals and accents (`Producción`), and the
/// command line stores it as the configured choice.
#[test]
fn field_values_are_shown_and_taken_by_their_labels() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "= j j enter");
    match c.overlays.last() {
        Some(Overlay::Prompt { input, title, .. }) => {
            assert!(title.contains("Impacto"), "{title}");
            assert_eq!(input.text, "Alto");
        }
        o => panic!("expected the value prompt, got {o:?}"),
    }
    let fx = fake.press(&mut c, "enter");
    match writes(&fx).as_slice() {
        [WriteOp::Set { field, value, .. }] => {
            assert_eq!(field, "impact");
            assert_eq!(value, "Alto");
        }
        w => panic!("expected one change, got {w:?}"),
    }

    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "=");
    let (_, items) = menu_items(&c);
    let at = items
        .iter()
        .position(|i| i.value == "environment")
        .expect("the environment is a field of an incident");
    fake.press(&mut c, &format!("{} enter", "j ".repeat(at)));
    fake.press(&mut c, "ctrl-u");
    fake.type_text(&mut c, "Producción");
    let fx = fake.press(&mut c, "enter");
    assert!(c.overlays.is_empty(), "refused: {:?}", c.overlays);
    assert!(
        matches!(writes(&fx).as_slice(), [WriteOp::Set { value, .. }] if value == "Producción"),
        "{fx:?}"
    );

    let env = Env::new();
    let key = env.incident("Sin acceso", "Desde las 7:00");
    env.ok(&["set", &key, "environment=PRUEBAS"]);
    assert_eq!(env.show(&key)["fields"]["environment"], "pruebas");
    env.ok(&["set", &key, "environment=Producción"]);
    assert_eq!(env.show(&key)["fields"]["environment"], "produccion");
    let e = env.fail(&["set", &key, "environment=marte"]);
    assert!(e.contains("is not one of the choices"), "{e}");
}

/// The timeline names a changed field by its label and a grade by its
/// name, not by `fields.affected_application` or `medium`.
#[test]
fn the_timeline_names_fields_by_their_labels() {
    let mut fake = Fake::hostile();
    let mut op = fake.log[2].clone();
    assert_eq!(op.kind, "set");
    op.field = Some("fields.affected_application".into());
    op.value = json!("movilidad");
    let mut impact = op.clone();
    impact.field = Some("impact".into());
    impact.value = json!("medium");
    fake.log.push(op);
    fake.log.push(impact);
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "enter G");
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("campo Aplicación relacionada afectada = movilidad"),
        "{text}"
    );
    assert!(text.contains("campo Impacto = Medio"), "{text}");
    assert!(!text.contains("fields."), "{text}");
}

// ----- 8. the evidence prompt; nothing saved -----

#[test]
fn the_evidence_prompt_names_the_ticket_once() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "enter 4");
    // The first unticked item of the run the detail has.
    let run = fake
        .detail
        .runbooks
        .iter()
        .find(|r| r.runbook == RUNBOOK)
        .expect("a run");
    let rows = guardia::tui::forms::runbook_rows(&c);
    let cfg = Config::builtin().expect("config");
    let at = rows
        .iter()
        .position(|r| match r {
            guardia::tui::forms::RunbookRow::Item(i, j) => {
                let rb = &cfg.runbooks[*i];
                let item = rb.items[*j].id.get_ref();
                rb.id.get_ref() == RUNBOOK
                    && !run.ticks.iter().any(|t| &t.item == item && t.checked)
            }
            _ => false,
        })
        .expect("an unticked item");
    fake.press(&mut c, &format!("{} space", "j ".repeat(at)));
    match c.overlays.last() {
        Some(Overlay::Prompt { title, .. }) => assert_eq!(title, "Evidencia del paso"),
        o => panic!("expected the evidence prompt, got {o:?}"),
    }
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains(&format!(" Evidencia del paso · {DETAIL_KEY} ")),
        "{text}"
    );
    assert!(
        !text.contains(&format!("{DETAIL_KEY} · {DETAIL_KEY}")),
        "{text}"
    );
}

#[test]
fn an_empty_comment_is_not_marked_as_saved() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    update(
        &mut c,
        Msg::EditorDone {
            key: DETAIL_KEY.into(),
            text: None,
        },
    );
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("Comentario vacío: no se guardó nada"),
        "{text}"
    );
    assert!(!text.contains("✓ Comentario vacío"), "{text}");
    assert!(!text.contains("! Comentario vacío"), "{text}");
}

// ----- 9. nothing cut at 80 columns -----

#[test]
fn the_dashboard_wraps_the_missing_indicators_notice() {
    let mut fake = Fake::hostile();
    fake.dashboard.kpis = None;
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "5");
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("calcula una vez"), "{text}");
    assert!(!text.contains("report` los …"), "{text}");
}

#[test]
fn a_long_notice_stays_whole_under_the_new_ticket_form() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    update(
        &mut c,
        Msg::Reply(Reply::ConfigChanged(vec!["guardia.toml".into()])),
    );
    fake.press(&mut c, "n");
    assert!(matches!(c.overlays.last(), Some(Overlay::NewTicket(_))));
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("! La configuración cambió en disco"),
        "{text}"
    );
    assert!(text.contains("de nuevo"), "{text}");
    assert!(text.contains("Registrar ticket"), "{text}");
}

#[test]
fn the_palette_shows_its_typed_commands_whole() {
    let fake = Fake::hostile();
    for lang in [Lang::Es, Lang::En] {
        let mut c = console(&fake, lang, 80, 24);
        fake.press(&mut c, ":");
        let text = screen(&render(&c, 80, 24));
        let tail = match lang {
            Lang::Es => "known CLAVE",
            Lang::En => "known KEY",
        };
        assert!(text.contains(tail), "{text}");
    }
}

// ----- 10. the sort menu -----

#[test]
fn the_sort_menu_opens_on_the_sort_in_force() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "S");
    assert!(matches!(
        c.overlays.last(),
        Some(Overlay::Menu { selected: 0, .. })
    ));
    fake.press(&mut c, "j j enter S");
    assert!(matches!(
        c.overlays.last(),
        Some(Overlay::Menu { selected: 2, .. })
    ));
    fake.press(&mut c, "enter");
    assert!(queue_filter(&c).by_sla);
}
