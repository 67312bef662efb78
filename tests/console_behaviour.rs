//! The console where an operator's expectations met a dead end, a silent
//! loss or the wrong words (review 8): the dossier that was sent, `K` on a
//! ticket never shown, escalating a problem, `Esc` on a filled form, state
//! names of the ticket's own workflow, a configuration edited under a
//! running console, Spanish validation messages, the major-incident
//! declaration in words, the dossier form's layout, and `TERM=dumb`.
//! In-process through the fake worker where the state tells it, the real
//! binary in a pseudo-terminal where only the whole program does.

mod common;

use chrono::Duration;
use common::Env;
use common::console::{DETAIL_KEY, Fake, key, now, render, screen};
use common::pty::Pty;
use guardia::config::Lang;
use guardia::store::ops::Op;
use guardia::tui::i18n::catalogue;
use guardia::tui::msg::{DetailExtras, Effect, KnownHint, Msg, Reply, Request, WriteOp};
use guardia::tui::state::{Console, DossierForm, MenuPurpose, Overlay, PromptPurpose};
use guardia::tui::theme::Theme;
use guardia::tui::update::update;
use serde_json::json;

const ENTER: &str = "\r";
const TAB: &str = "\t";
const CTRL_S: &str = "\x13";

fn console(fake: &Fake, lang: Lang, w: u16, h: u16) -> Console {
    fake.console(lang, Theme::default16(), w, h)
}

fn dossier_form(c: &Console) -> &DossierForm {
    match c.overlays.last() {
        Some(Overlay::Dossier(f)) => f,
        o => panic!("expected the dossier form, got {o:?}"),
    }
}

fn error_notice(c: &Console) -> String {
    let n = c.notice.as_ref().expect("a notice");
    assert!(n.error, "the notice should be an error: {n:?}");
    n.text.clone()
}

fn writes(fx: &[Effect]) -> Vec<WriteOp> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Write(op)) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

fn copied(fx: &[Effect]) -> Option<String> {
    fx.iter().find_map(|e| match e {
        Effect::Copy(text) => Some(text.clone()),
        _ => None,
    })
}

/// Fills every empty field of the open dossier form with `value`.
fn fill_form(fake: &Fake, c: &mut Console, value: &str) {
    let n = dossier_form(c).missing.len();
    for _ in 0..n {
        fake.type_text(c, value);
        fake.press(c, "tab");
    }
}

// ----- 1. the dossier that was sent -----

#[test]
fn ctrl_y_in_the_dossier_form_copies_the_dossier_with_the_values_typed() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "enter E");
    fake.type_text(&mut c, "ORA-00600 al facturar");
    let fx = fake.press(&mut c, "ctrl-y");
    let md = copied(&fx).expect("the dossier is copied");
    assert!(md.contains("ORA-00600 al facturar"), "{md}");
    assert!(md.contains("1 → 2"), "{md}");
    // Nothing typed is lost: the form is still there, as it was.
    let form = dossier_form(&c);
    assert_eq!(form.missing[0].input.text, "ORA-00600 al facturar");
    assert!(writes(&fx).is_empty());
}

#[test]
fn ctrl_o_in_the_dossier_form_writes_the_typed_dossier_and_the_form_stays() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "enter E");
    fake.type_text(&mut c, "Reinicio del cliente");
    fake.press(&mut c, "ctrl-o");
    match c.overlays.last() {
        Some(Overlay::Prompt {
            input,
            purpose: PromptPurpose::DossierPath { level: 2, text, .. },
            ..
        }) => {
            assert_eq!(input.text, format!("{DETAIL_KEY}-level-2.md"));
            assert!(
                text.as_deref()
                    .is_some_and(|t| t.contains("Reinicio del cliente"))
            );
        }
        o => panic!("expected the file name prompt, got {o:?}"),
    }
    let fx = fake.press(&mut c, "enter");
    let op = writes(&fx).pop().expect("a write");
    let WriteOp::WriteDossier { path, text, .. } = op.clone() else {
        panic!("not a dossier write: {op:?}");
    };
    assert_eq!(path, format!("{DETAIL_KEY}-level-2.md"));
    assert!(text.is_some_and(|t| t.contains("Reinicio del cliente")));
    // Back in the form, with the value typed.
    assert_eq!(
        dossier_form(&c).missing[0].input.text,
        "Reinicio del cliente"
    );

    // The file exists: the prompt opens again over the form, not under it.
    update(
        &mut c,
        Msg::Reply(Reply::Written {
            result: Err("cannot create BOG-25-level-2.md: File exists".into()),
            key: Some(DETAIL_KEY.into()),
            op: Box::new(op),
            refused: vec![DETAIL_KEY.into()],
        }),
    );
    assert_eq!(c.overlays.len(), 2, "{:?}", c.overlays);
    assert!(matches!(
        c.overlays.last(),
        Some(Overlay::Prompt {
            error: Some(_),
            purpose: PromptPurpose::DossierPath { .. },
            ..
        })
    ));
    assert!(matches!(c.overlays[0], Overlay::Dossier(_)));
}

/// The detail fixture after an escalation to level 2 that sent
/// `error_message`, changed since.
fn escalated_fake() -> Fake {
    let mut fake = Fake::hostile();
    fake.detail.ticket.level = 2;
    fake.detail
        .ticket
        .fields
        .insert("error_message".into(), json!("cambiado después"));
    let at = now() - Duration::minutes(10);
    fake.log.push(Op {
        site: "s".into(),
        seq: 99,
        hlc: at.timestamp_millis() << 16,
        actor: "ana".into(),
        entity: "ticket".into(),
        entity_id: fake.detail.ticket.id.clone(),
        kind: "escalate".into(),
        field: Some("level".into()),
        value: json!({"mode": "functional", "from": 1, "to": 2, "note": "",
            "dossier": {"error_message": "ORA-00600 al facturar", "level1_checks": "runbook"}}),
        pred: Vec::new(),
    });
    for r in &mut fake.rows {
        if r.ticket.key == DETAIL_KEY {
            r.ticket.level = 2;
        }
    }
    fake
}

#[test]
fn y_and_w_after_an_escalation_offer_the_dossier_that_was_sent() {
    let fake = escalated_fake();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "enter 3 Y");
    match c.overlays.last() {
        Some(Overlay::Menu {
            items,
            purpose: MenuPurpose::DossierCopy,
            selected: 0,
            ..
        }) => {
            assert_eq!(items.len(), 2, "{items:?}");
            assert!(items[0].label.contains("sent to level 2"), "{items:?}");
            assert!(items[1].label.contains("next level"), "{items:?}");
        }
        o => panic!("expected the dossier menu, got {o:?}"),
    }
    let fx = fake.press(&mut c, "enter");
    let md = copied(&fx).expect("the dossier sent is copied");
    assert!(md.contains("ORA-00600 al facturar"), "{md}");
    assert!(!md.contains("cambiado después"), "{md}");
    assert!(md.contains("1 → 2"), "{md}");

    // W offers the same; the one sent is written as it was.
    fake.press(&mut c, "W enter");
    match c.overlays.last() {
        Some(Overlay::Prompt {
            input,
            purpose: PromptPurpose::DossierPath { level: 2, text, .. },
            ..
        }) => {
            assert_eq!(input.text, format!("{DETAIL_KEY}-level-2.md"));
            assert!(text.as_deref().is_some_and(|t| t.contains("ORA-00600")));
        }
        o => panic!("expected the file name prompt, got {o:?}"),
    }
    // The second choice is the next level's, as before the escalation.
    fake.press(&mut c, "esc Y j");
    let fx = fake.press(&mut c, "enter");
    let md = copied(&fx).expect("the next dossier is copied");
    assert!(md.contains("2 → 3"), "{md}");
}

/// The whole way in the real binary: escalate with the form, then write
/// the dossier that was sent from the matrix.
#[test]
fn the_dossier_sent_can_be_written_after_escalating() {
    let env = Env::new();
    let key = env.incident("Impresora fiscal bloqueada", "No imprime");
    let mut pty = Pty::spawn(&env, 100, 30, &[], &[]);
    pty.wait_for(&key);
    pty.send("E");
    let form = pty.wait_for("Dossier to escalate");
    let count: usize = form
        .lines()
        .find_map(|l| l.split("Missing ").nth(1))
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok())
        .expect("the form says how many fields are missing");
    for _ in 0..count {
        pty.send("12");
        pty.send(TAB);
    }
    pty.send(CTRL_S);
    pty.wait_for("escalated to level 2");
    pty.send("3");
    pty.wait_for(&format!("Escalation · {key} (Level 2)"));
    pty.send("W");
    pty.wait_for("The one sent to level 2");
    pty.send(ENTER);
    pty.wait_for(&format!("{key}-level-2.md"));
    pty.send(ENTER);
    pty.wait_for("dossier written to");
    let md = std::fs::read_to_string(env.path().join(format!("{key}-level-2.md")))
        .expect("the dossier file");
    assert!(md.contains("1 → 2"), "{md}");
    assert!(md.contains("12"), "{md}");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

// ----- 2. K on a ticket whose detail was never shown -----

#[test]
fn k_does_not_apply_a_known_error_to_a_ticket_only_loaded_by_e() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "j");
    // `E` loads the ticket (not shown) and opens the form when it arrives;
    // the detail comes with a known error that may apply.
    let fx = update(&mut c, Msg::Key(key("E")));
    let (generation, k) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Request(Request::Detail { generation, key }) => {
                Some((*generation, key.clone()))
            }
            _ => None,
        })
        .expect("E loads the ticket");
    let detail = fake
        .rows
        .iter()
        .find(|r| r.ticket.key == k)
        .map(|r| common::console::plain_detail(r.ticket.clone()))
        .expect("the row");
    let extras = DetailExtras {
        known: vec![KnownHint {
            key: "BOG-90".into(),
            title: "Impresora bloqueada".into(),
            status: "published".into(),
            workaround: "Reiniciar".into(),
        }],
        ..Default::default()
    };
    let fx = update(
        &mut c,
        Msg::Reply(Reply::Detail {
            generation,
            detail: Some(Box::new(detail)),
            log: Vec::new(),
            conflicts: Vec::new(),
            extras,
        }),
    );
    fake.serve(&mut c, fx);
    // Whatever `E` opened is closed; the queue is on screen, not the detail.
    while !c.overlays.is_empty() {
        fake.press(&mut c, "esc");
    }
    let fx = fake.press(&mut c, "K");
    assert!(writes(&fx).is_empty(), "applied unseen: {fx:?}");
    assert_eq!(error_notice(&c), catalogue(Lang::En).open_first);
    // Shown with Enter, it applies.
    fake.press(&mut c, "enter");
    let fx = fake.press(&mut c, "K");
    assert_eq!(
        writes(&fx),
        vec![WriteOp::ApplyKnown {
            key: k,
            known: "BOG-90".into()
        }]
    );
}

// ----- 3. escalating a problem or a known error -----

#[test]
fn e_on_a_problem_or_known_error_is_refused_before_the_form_in_spanish() {
    for (ty, words) in [
        ("problem", "es un problema"),
        ("known_error", "es un error conocido"),
    ] {
        let mut fake = Fake::hostile();
        fake.detail.ticket.ticket_type = ty.into();
        let mut c = console(&fake, Lang::Es, 80, 24);
        fake.press(&mut c, "enter E");
        assert!(c.overlays.is_empty(), "{ty}: {:?}", c.overlays);
        let e = error_notice(&c);
        assert!(e.contains(words), "{ty}: {e}");
        assert!(!e.contains("level1_checks"), "{ty}: {e}");
        // The matrix's preview says the same.
        let d = guardia::tui::forms::current_dossier(&c).expect("a dossier");
        assert_eq!(
            guardia::tui::forms::escalation_words::preview_refusal(&c, d.to_level),
            Some(e)
        );
    }
}

#[test]
fn escalating_a_problem_on_the_command_line_says_it_does_not_escalate() {
    let env = Env::new();
    let problem = env.problem("Impresoras fiscales se bloquean", "Varias cajas");
    let err = env.fail(&["escalate", &problem, "--level", "2"]);
    assert!(
        err.contains("a problem does not escalate through the escalation matrix"),
        "{err}"
    );
    assert!(!err.contains("runbook"), "{err}");
}

// ----- 4. Esc on a form with values typed -----

#[test]
fn esc_on_a_dossier_form_with_values_typed_asks_before_discarding() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "enter E");
    fake.type_text(&mut c, "Reinicio");
    fake.press(&mut c, "esc");
    assert!(dossier_form(&c).discard_armed);
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("Esc again discards what you typed (1 field)"),
        "{text}"
    );
    // An arrow key split by a slow link (Esc, then "[A"): nothing is lost
    // and no other menu opens.
    fake.press(&mut c, "[ A");
    let form = dossier_form(&c);
    assert!(!form.discard_armed);
    assert!(form.missing[0].input.text.starts_with("Reinicio"));
    // Twice in a row discards.
    fake.press(&mut c, "esc esc");
    assert!(c.overlays.is_empty(), "{:?}", c.overlays);
    // An untouched form closes at once.
    fake.press(&mut c, "E esc");
    assert!(c.overlays.is_empty(), "{:?}", c.overlays);
    // On a small screen the question stays in sight above the fields.
    let mut c = console(&fake, Lang::En, 40, 10);
    fake.press(&mut c, "enter E");
    fake.type_text(&mut c, "Reinicio");
    fake.press(&mut c, "tab esc");
    let text = screen(&render(&c, 40, 10));
    assert!(text.contains("! Esc again discards"), "{text}");
}

#[test]
fn esc_on_the_new_ticket_form_with_a_title_asks_first() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "n");
    fake.type_text(&mut c, "Impresora");
    fake.press(&mut c, "esc");
    match c.overlays.last() {
        Some(Overlay::NewTicket(f)) => assert!(f.discard_armed),
        o => panic!("the form closed: {o:?}"),
    }
    let text = screen(&render(&c, 80, 24));
    assert!(
        text.contains("Esc otra vez descarta lo escrito (1 campo)"),
        "{text}"
    );
    fake.press(&mut c, "esc");
    assert!(c.overlays.is_empty());
    fake.press(&mut c, "n esc");
    assert!(c.overlays.is_empty());
}

// ----- 5. the status menu -----

#[test]
fn the_status_menu_names_states_as_the_tickets_workflow_does() {
    let mut fake = Fake::hostile();
    let mut row = fake
        .rows
        .iter()
        .find(|r| r.ticket.ticket_type == "support")
        .cloned()
        .expect("a support ticket");
    row.ticket.status = "analysis".into();
    fake.rows = vec![row];
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "s");
    let Some(Overlay::Menu {
        items,
        purpose: MenuPurpose::Status,
        ..
    }) = c.overlays.last()
    else {
        panic!("no status menu: {:?}", c.overlays);
    };
    let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    assert!(
        labels.contains(&"waiting — 3 Waiting for the requester"),
        "{labels:?}"
    );
    assert!(
        !labels.iter().any(|l| l.contains("Waiting for customer")),
        "{labels:?}"
    );
}

#[test]
fn the_status_menu_of_a_ticket_in_a_removed_state_says_why() {
    let mut fake = Fake::hostile();
    fake.rows.truncate(1);
    fake.rows[0].ticket.status = "en_revision".into();
    for lang in [Lang::En, Lang::Es] {
        let mut c = console(&fake, lang, 80, 24);
        // A state no workflow has is not an open one: the "All" view lists it.
        fake.press(&mut c, "v j j j j j j j enter");
        assert_eq!(c.queue.rows.len(), 1);
        fake.press(&mut c, "s");
        assert!(c.overlays.is_empty(), "an empty menu: {:?}", c.overlays);
        let e = error_notice(&c);
        assert!(e.contains("'en_revision'"), "{e}");
        assert!(e.contains("workflows.toml"), "{e}");
        let words = if lang == Lang::Es {
            "ya no tiene"
        } else {
            "no longer has"
        };
        assert!(e.contains(words), "{e}");
    }
}

// ----- 6. the configuration edited under a running console -----

#[test]
fn an_edited_configuration_is_noticed_and_changes_wait_for_a_restart() {
    let env = Env::new();
    let key = env.incident("Correo lento", "Tarda");
    let workflows = common::default_config("workflows.toml");
    env.write_config("workflows.toml", &workflows);
    let mut pty = Pty::spawn(&env, 140, 30, &[], &[]);
    pty.wait_for(&key);
    env.write_config("workflows.toml", &format!("{workflows}\n# edited\n"));
    pty.wait_for("The configuration changed on disk (workflows.toml)");
    // A change asked for now is refused, with the text kept.
    pty.send("c");
    pty.wait_for("Comment");
    pty.send("Se reinició el servidor");
    pty.send(ENTER);
    pty.wait_for("nothing was saved: the configuration changed on disk");
    assert!(pty.screen().contains("Se reinició el servidor"));
    let shown = env.show(&key);
    assert_eq!(shown["comments"].as_array().map(Vec::len), Some(0));
    // Put back as it was, changes are accepted again.
    env.write_config("workflows.toml", &workflows);
    pty.wait_for("back as they were");
    pty.send(ENTER);
    pty.wait_for("comment saved");
    pty.send("q");
    assert_eq!(pty.wait_exit(), 0);
}

// ----- 7. validation in the console's language -----

#[test]
fn a_bad_worklog_duration_is_refused_in_spanish() {
    let fake = Fake::hostile();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "w");
    fake.type_text(&mut c, "xy revisé");
    fake.press(&mut c, "enter");
    match c.overlays.last() {
        Some(Overlay::Prompt {
            error: Some(e),
            input,
            ..
        }) => {
            assert!(e.starts_with("'xy' no es una duración"), "{e}");
            assert_eq!(input.text, "xy revisé");
        }
        o => panic!("expected the prompt with its refusal, got {o:?}"),
    }
}

/// The fixture whose level-2 dossier also misses the number of affected users.
fn fake_missing_users() -> Fake {
    let mut fake = Fake::hostile();
    fake.detail.ticket.fields.remove("affected_users");
    fake
}

/// Moves the form's focus to the field `id`.
fn focus_field(fake: &Fake, c: &mut Console, id: &str) {
    let at = dossier_form(c)
        .missing
        .iter()
        .position(|m| m.field == id)
        .unwrap_or_else(|| panic!("{id} is not missing"));
    for _ in 0..at {
        fake.press(c, "tab");
    }
}

#[test]
fn a_word_for_a_number_in_the_dossier_form_is_refused_in_spanish() {
    let fake = fake_missing_users();
    let mut c = console(&fake, Lang::Es, 80, 24);
    fake.press(&mut c, "enter E");
    fill_form(&fake, &mut c, "12");
    fake.press(&mut c, &"shift-tab ".repeat(10));
    focus_field(&fake, &mut c, "affected_users");
    fake.press(&mut c, "ctrl-u");
    fake.type_text(&mut c, "muchos");
    let fx = fake.press(&mut c, "ctrl-s");
    assert!(writes(&fx).is_empty());
    let e = dossier_form(&c).error.clone().expect("refused");
    assert!(e.contains("'muchos' no es un número"), "{e}");
}

// ----- 8. the major-incident declaration in words -----

#[test]
fn the_log_tells_a_major_incident_declaration_in_words() {
    let mut env = Env::new();
    let key = env.incident("Caída general del portal", "Nadie entra");
    env.ok_as("ines", &["major", "declare", &key, "--reason", "Caída"]);
    let log = env.ok(&["log", &key]);
    assert!(
        log.contains("major incident declared, for role incident_manager (Caída)"),
        "{log}"
    );
    assert!(!log.contains("\"declared\""), "{log}");
    env.lang = "es".into();
    let log = env.ok(&["log", &key]);
    assert!(
        log.contains("incidente mayor declarado, para el rol incident_manager (Caída)"),
        "{log}"
    );
}

// ----- 9. the dossier form's layout -----

#[test]
fn the_dossier_form_says_complete_and_marks_a_bad_value() {
    let fake = fake_missing_users();
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "enter E");
    fill_form(&fake, &mut c, "12");
    let text = screen(&render(&c, 80, 24));
    assert!(!text.contains("Missing 0"), "{text}");
    assert!(
        text.contains("✓ Complete: ready to escalate (Ctrl-s)"),
        "{text}"
    );

    fake.press(&mut c, &"shift-tab ".repeat(10));
    focus_field(&fake, &mut c, "affected_users");
    fake.press(&mut c, "ctrl-u");
    fake.type_text(&mut c, "muchos");
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("To correct 1: Affected users"), "{text}");
    assert!(text.contains("! Affected users"), "{text}");
    assert!(!text.contains("✓ Affected users"), "{text}");
    assert!(text.contains("'muchos' is not a number"), "{text}");
}

#[test]
fn the_dossier_form_keeps_labels_apart_from_values_and_wraps_the_help() {
    let fake = Fake::hostile();
    // At 80 columns the help of the focused field is wrapped whole.
    let mut c = console(&fake, Lang::En, 80, 24);
    fake.press(&mut c, "enter E");
    let text = screen(&render(&c, 80, 24));
    assert!(text.contains("procedimiento de administración)."), "{text}");
    let help_lines: Vec<&str> = text.lines().filter(|l| l.contains("Evidencia")).collect();
    assert!(
        help_lines.iter().all(|l| !l.contains('…')),
        "{help_lines:?}"
    );
    // On small screens each label has a line of its own, the value under it.
    for (w, h) in [(40, 10), (60, 15)] {
        let mut c = console(&fake, Lang::En, w, h);
        fake.press(&mut c, "enter E");
        fake.type_text(&mut c, "Reinicio");
        let text = screen(&render(&c, w, h));
        let label = text
            .lines()
            .position(|l| l.contains("✓ Level-1 checks done"))
            .unwrap_or_else(|| panic!("{w}x{h}: no label line:\n{text}"));
        let line = text.lines().nth(label).unwrap_or_default();
        assert!(!line.contains("Reinicio"), "{w}x{h}:\n{text}");
        assert!(
            text.lines()
                .nth(label + 1)
                .is_some_and(|l| l.contains("  Reinicio")),
            "{w}x{h}:\n{text}"
        );
    }
}

// ----- 10. TERM=dumb -----

#[test]
fn term_dumb_prints_the_overview_instead_of_drawing() {
    let env = Env::new();
    env.incident("Impresora fiscal bloqueada", "No imprime");
    let mut pty = Pty::spawn(&env, 100, 30, &[("TERM", "dumb")], &[]);
    assert_eq!(pty.wait_exit(), 0);
    let s = pty.screen();
    assert!(s.contains("TERM=dumb"), "{s}");
    assert!(s.contains("Impresora fiscal bloqueada"), "{s}");
    let raw = String::from_utf8_lossy(&pty.raw);
    assert!(!raw.contains("\x1b[?1049h"), "the screen was switched");
}
