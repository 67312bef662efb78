//! The console's way to settle a state conflict whose shown state is final:
//! the status menu offers the states the sites chose (the one shown too),
//! where the workflow alone has no move out of `cancelled`.

mod common;

use common::console::{DETAIL_KEY, Fake, key};
use guardia::config::Lang;
use guardia::store::sync::ConflictRow;
use guardia::tui::msg::{Effect, Msg, Request, WriteOp};
use guardia::tui::state::{MenuPurpose, Overlay};
use guardia::tui::theme::Theme;
use guardia::tui::update::update;
use guardia::tui::worker::clean_conflict;
use serde_json::json;

/// One incident, cancelled at one site while another started the work.
fn cancelled_in_conflict() -> (Fake, String) {
    let mut fake = Fake::hostile();
    let mut row = fake
        .rows
        .iter()
        // Not the fixtures' detail ticket: its detail is that of the row.
        .find(|r| r.ticket.ticket_type == "incident" && r.ticket.key != DETAIL_KEY)
        .cloned()
        .expect("an incident");
    row.ticket.status = "cancelled".into();
    row.conflict = true;
    let k = row.ticket.key.clone();
    fake.rows = vec![row];
    let head = |value: &str, by: &str| json!({"op": "0190f000-0000-7000-8000-0000000000aa:7", "value": value, "by": by, "at": 0});
    fake.conflicts.insert(
        k.clone(),
        vec![clean_conflict(ConflictRow {
            key: k.clone(),
            field: "status".into(),
            kind: "state".into(),
            heads: json!([head("cancelled", "diego"), head("in_progress", "ana")]),
        })],
    );
    (fake, k)
}

fn status_menu_labels(c: &guardia::tui::state::Console) -> Vec<(String, String)> {
    match c.overlays.last() {
        Some(Overlay::Menu {
            items,
            purpose: MenuPurpose::Status,
            ..
        }) => items
            .iter()
            .map(|i| (i.value.clone(), i.label.clone()))
            .collect(),
        o => panic!("no status menu: {o:?}"),
    }
}

#[test]
fn the_status_menu_offers_the_states_in_conflict_even_from_a_final_state() {
    let (fake, k) = cancelled_in_conflict();
    let mut c = fake.console(Lang::En, Theme::default16(), 80, 24);
    // A cancelled ticket is not open: the "Sync conflicts" view lists it.
    fake.press(&mut c, "v j j j j j j enter");
    assert_eq!(c.queue.rows.len(), 1);
    fake.press(&mut c, "enter");
    assert_eq!(c.detail.conflicts.len(), 1, "the detail holds the conflict");
    fake.press(&mut c, "s");
    let items = status_menu_labels(&c);
    assert_eq!(
        items.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
        ["cancelled", "in_progress"],
        "{items:?}"
    );
    assert!(items[0].1.contains("confirms the one shown"), "{items:?}");
    assert!(
        items[1].1.contains("settles the sync conflict"),
        "{items:?}"
    );
    // Choosing the other site's state writes that move.
    fake.press(&mut c, "j enter");
    let fx = update(&mut c, Msg::Key(key("enter")));
    let moves: Vec<WriteOp> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Write(op)) => Some(op.clone()),
            _ => None,
        })
        .collect();
    assert!(
        matches!(moves.as_slice(), [WriteOp::Move { keys, state, .. }] if keys == &vec![k.clone()] && state == "in_progress"),
        "{moves:?}"
    );
}

#[test]
fn without_a_conflict_a_final_state_still_has_no_move() {
    let (mut fake, _) = cancelled_in_conflict();
    fake.conflicts.clear();
    for r in &mut fake.rows {
        r.conflict = false;
    }
    let mut c = fake.console(Lang::Es, Theme::default16(), 80, 24);
    // The "All" view lists the cancelled ticket.
    fake.press(&mut c, "v j j j j j j j enter");
    assert_eq!(c.queue.rows.len(), 1);
    fake.press(&mut c, "enter s");
    assert!(c.overlays.is_empty(), "{:?}", c.overlays);
    let n = c.notice.as_ref().expect("a notice");
    assert!(n.text.contains("no tiene movimientos"), "{}", n.text);
}
