//! Sync conflicts as operators meet them: a conflict shown on the ticket
//! itself (`show`, `list`), settled the documented way (a normal change to
//! the value agreed, even when the value shown is a final state), and gone
//! at every site once that change arrives. Also concurrent escalations (a
//! conflict on the level), a rejection a state conflict settled away, and
//! what stays numbered alike at every site (a problem's tasks, the
//! incidents linked to it).

mod common;

use common::Env;
use common::sync::{export, import, sites};
use serde_json::Value;

/// The conflict rows of a site, as `field kind` each.
fn conflicts(e: &Env) -> Vec<String> {
    let c = rusqlite::Connection::open(&e.db).expect("open");
    let mut st = c
        .prepare("SELECT field || ' ' || kind FROM conflict ORDER BY 1")
        .expect("query");
    st.query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

fn status(e: &Env, key: &str) -> String {
    e.show(key)["status"].as_str().expect("status").to_string()
}

/// Every site imports what every other one exported since its last
/// export (`round` names the files).
fn sync_all(s: &[Env], round: &str) {
    let bundles: Vec<_> = s
        .iter()
        .enumerate()
        .map(|(i, e)| export(e, "all", &format!("{round}-{i}.gdb")))
        .collect();
    for (i, e) in s.iter().enumerate() {
        for (j, b) in bundles.iter().enumerate() {
            if i != j {
                import(e, b);
            }
        }
    }
}

/// BOG registers an incident that every site gets; its key.
fn shared_incident(s: &[Env]) -> String {
    let key = s[0].incident("Switch del piso 3 caído", "Sin red en el piso 3.");
    let created = export(&s[0], "all", "created.gdb");
    for e in &s[1..] {
        import(e, &created);
    }
    key
}

/// BOG's ana starts the work at 13:20 while LYO's diego cancels the
/// ticket at 13:21: after the sync both sites show `cancelled`, a final
/// state, in conflict with `in_progress`.
fn cancelled_against_in_progress() -> (Vec<Env>, String) {
    let mut s = sites(2);
    let key = shared_incident(&s);
    s[0].now = "2026-03-02T13:20:00-05:00".into();
    s[1].now = "2026-03-02T13:21:00-05:00".into();
    s[0].ok(&["move", &key, "in_progress"]);
    s[1].ok_as("diego", &["move", &key, "cancelled"]);
    sync_all(&s, "moves");
    (s, key)
}

#[test]
fn a_conflict_on_a_final_state_settles_on_the_other_sites_state_everywhere() {
    let (s, key) = cancelled_against_in_progress();
    let (bog, lyo) = (&s[0], &s[1]);
    for e in [bog, lyo] {
        assert_eq!(status(e, &key), "cancelled");
        assert_eq!(conflicts(e), ["status state"]);
        let st = e.ok(&["sync", "status"]);
        assert!(
            st.contains(&format!(
                "{key} status (state): cancelled by diego | in_progress by ana"
            )),
            "{st}"
        );
    }
    // The guide's way: agree on the value, then make a normal change. The
    // workflow has no move out of `cancelled`, yet this one is allowed:
    // it chooses a move that was made.
    let moved = bog.ok(&["move", &key, "in_progress"]);
    assert!(moved.contains("is now in_progress"), "{moved}");
    assert_eq!(status(bog, &key), "in_progress");
    assert!(conflicts(bog).is_empty(), "{:?}", conflicts(bog));
    bog.ok(&["doctor"]);
    // Recorded as a normal transition, from the state shown.
    let log = bog.json(&["log", &key, "--json"]);
    let last = log
        .as_array()
        .expect("ops")
        .iter()
        .rev()
        .find(|o| o["kind"] == "transition")
        .expect("a transition");
    assert_eq!(last["value"]["from"], "cancelled", "{last}");
    assert_eq!(last["value"]["to"], "in_progress", "{last}");
    assert_eq!(last["actor"], "ana", "{last}");
    // It reaches LYO, where the conflict disappears too.
    let settled = export(bog, "all", "settled.gdb");
    import(lyo, &settled);
    assert_eq!(status(lyo, &key), "in_progress");
    assert!(conflicts(lyo).is_empty(), "{:?}", conflicts(lyo));
    lyo.ok(&["doctor"]);
    // Once settled, `cancelled` is no way back in: the workflow rules again.
    let err = bog.fail(&["move", &key, "new"]);
    assert!(err.contains("no transition"), "{err}");
}

#[test]
fn confirming_the_final_state_shown_still_settles_it() {
    let (s, key) = cancelled_against_in_progress();
    let (bog, lyo) = (&s[0], &s[1]);
    let out = lyo.ok(&["move", &key, "cancelled"]);
    assert!(out.contains("is now cancelled"), "{out}");
    assert!(conflicts(lyo).is_empty());
    import(bog, &export(lyo, "all", "confirmed.gdb"));
    assert_eq!(status(bog, &key), "cancelled");
    assert!(conflicts(bog).is_empty());
    bog.ok(&["doctor"]);
    // Settled: the workflow's own rule holds again.
    let err = bog.fail(&["move", &key, "in_progress"]);
    assert!(err.contains("'cancelled' is final"), "{err}");
}

#[test]
fn settling_on_another_sites_state_needs_a_role_of_the_conflicting_moves() {
    let mut s = sites(2);
    let key = shared_incident(&s);
    s[0].now = "2026-03-02T13:20:00-05:00".into();
    s[1].now = "2026-03-02T13:21:00-05:00".into();
    // ana (agent) rejects; diego (service manager) cancels, later.
    s[0].ok(&["reject", &key, "--reason", "missing_docs"]);
    s[1].ok_as("diego", &["move", &key, "cancelled"]);
    sync_all(&s, "moves");
    let bog = &s[0];
    assert_eq!(status(bog, &key), "cancelled");
    assert_eq!(conflicts(bog), ["status state"]);
    // felipe holds none of the roles that may reject or cancel.
    let err = bog.fail_as("felipe", &["move", &key, "rejected"]);
    assert!(
        err.contains("settling its sync conflict on 'rejected' needs one of the roles")
            && err.contains("agent")
            && err.contains("service_manager")
            && err.contains("operator 'felipe' has none of them"),
        "{err}"
    );
    assert_eq!(conflicts(bog), ["status state"]);
    // ana could reject: she may settle on it.
    let out = bog.ok(&["move", &key, "rejected"]);
    assert!(out.contains("is now rejected"), "{out}");
    assert!(conflicts(bog).is_empty());
    // The rejection is current again, with its reason.
    let shown = bog.ok(&["show", &key]);
    assert!(shown.contains("Rejected  missing_docs"), "{shown}");
    assert_eq!(bog.show(&key)["reject_reason"], "missing_docs");
    bog.ok(&["doctor"]);
}

#[test]
fn show_and_list_tell_an_open_conflict_and_how_to_settle_it() {
    let (mut s, key) = cancelled_against_in_progress();
    // In Spanish too.
    s[0].lang = "es".into();
    let es = s[0].ok(&["show", &key]);
    assert!(es.contains("Conflictos de sincronización"), "{es}");
    assert!(es.contains("cancelled (mostrado, por diego"), "{es}");
    assert!(es.contains(&format!("`guardia move {key} ESTADO`")), "{es}");
    s[0].lang = "en".into();
    let bog = &s[0];
    let shown = bog.ok(&["show", &key]);
    assert!(shown.contains("Sync conflicts"), "{shown}");
    assert!(
        shown.contains("Status: cancelled (shown, by diego 2026-03-02 18:21 UTC) | in_progress (by ana 2026-03-02 18:20 UTC)"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("`guardia move {key} STATE`")),
        "{shown}"
    );
    let json = bog.show(&key);
    let c = &json["conflicts"];
    assert_eq!(c.as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(c[0]["field"], "status");
    assert_eq!(c[0]["kind"], "state");
    assert_eq!(c[0]["heads"][0]["value"], "cancelled");
    assert_eq!(c[0]["heads"][0]["by"], "diego");
    assert_eq!(c[0]["heads"][0]["shown"], true);
    assert_eq!(c[0]["heads"][0]["at"], "2026-03-02T18:21:00Z");
    assert_eq!(c[0]["heads"][1]["value"], "in_progress");
    assert_eq!(c[0]["heads"][1]["by"], "ana");
    assert_eq!(c[0]["heads"][1]["shown"], false);
    assert_eq!(c[0]["settle"], format!("guardia move {key} STATE"));

    // A second ticket without a conflict, to tell them apart.
    let calm = bog.incident("Impresora sin tóner", "No imprime.");
    let listed = bog.json(&["list", "--json"]);
    let flag = |k: &str| {
        listed
            .as_array()
            .expect("tickets")
            .iter()
            .find(|t| t["key"] == k)
            .map(|t| t["in_conflict"].clone())
    };
    assert_eq!(flag(&key), Some(Value::Bool(true)), "{listed}");
    assert_eq!(flag(&calm), Some(Value::Bool(false)), "{listed}");
    assert_eq!(bog.list_keys(&["--conflicts"]), [key.as_str()]);
    assert_eq!(
        bog.list_keys(&["--conflicts", "--sort", "sla"]),
        [key.as_str()]
    );
    let table = bog.ok(&["list"]);
    assert!(table.contains(&format!("{key} ⚠")), "{table}");
    assert!(!table.contains(&format!("{calm} ⚠")), "{table}");
    // Settled, nothing is marked any more.
    bog.ok(&["move", &key, "cancelled"]);
    assert!(bog.list_keys(&["--conflicts"]).is_empty());
    assert!(!bog.ok(&["show", &key]).contains("Sync conflicts"));
    assert_eq!(bog.show(&key)["conflicts"], Value::Array(Vec::new()));
}

#[test]
fn conflict_values_other_sites_wrote_are_sanitized_in_show() {
    let (s, key) = cancelled_against_in_progress();
    let bog = &s[0];
    // A head's text as another site's changeset could carry it.
    let c = rusqlite::Connection::open(&bog.db).expect("open");
    c.execute(
        "UPDATE conflict SET heads = json_set(heads, '$[1].by', 'an\u{1b}[2Ja')",
        [],
    )
    .expect("edit");
    let shown = bog.ok(&["show", &key]);
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    assert!(shown.contains("by an␛[2Ja"), "{shown}");
}

/// Site BOG escalates to 2; LYO to 2 and then 3; MAD to 2 a minute later.
/// The latest by the clock shows (MAD's 2), so LYO's escalation to 3 must
/// be a conflict, not silently undone.
fn concurrent_levels() -> (Vec<Env>, String) {
    let mut s = sites(3);
    let key = s[0].incident("Facturación detenida", "FACT01 termina con error.");
    s[0].ok(&[
        "set",
        &key,
        "incident_detail=El proceso FACT01 termina con ORA-06502",
        "business_impact=No se facturan 3.000 contratos",
        "affected_users=8",
        "error_message=ORA-06502",
        "replication_steps=1. Abrir FACT01",
        "trace=traza.log",
        "level1_checks=Se validó comunicación y zona",
    ]);
    let created = export(&s[0], "all", "created.gdb");
    for e in &s[1..] {
        import(e, &created);
    }
    s[0].now = "2026-03-02T13:20:00-05:00".into();
    s[1].now = "2026-03-02T13:21:00-05:00".into();
    s[2].now = "2026-03-02T13:22:00-05:00".into();
    s[0].ok(&["escalate", &key, "--level", "2"]);
    s[1].ok(&["escalate", &key, "--level", "2"]);
    s[1].ok(&["escalate", &key, "--level", "3"]);
    s[2].ok(&["escalate", &key, "--level", "2"]);
    sync_all(&s, "levels");
    (s, key)
}

#[test]
fn concurrent_escalations_to_different_levels_are_a_conflict_settled_by_escalating() {
    let (s, key) = concurrent_levels();
    for e in &s {
        assert_eq!(e.show(&key)["level"], 2);
        assert_eq!(conflicts(e), ["level level"]);
        e.ok(&["doctor"]);
        let shown = e.ok(&["show", &key]);
        assert!(shown.contains("Level: 2 (shown, by ana"), "{shown}");
        assert!(shown.contains("| 3 (by ana"), "{shown}");
        assert!(
            shown.contains(&format!("`guardia escalate {key} --level LEVEL`")),
            "{shown}"
        );
        assert_eq!(e.list_keys(&["--conflicts"]), [key.as_str()]);
    }
    // The four escalations happened, each recorded once.
    let escalations = |e: &Env| e.show(&key)["escalations"].as_array().map(Vec::len);
    assert_eq!(escalations(&s[0]), Some(4));
    // LYO settles on the level it reached: no dossier asked again, and no
    // fifth escalation (it chooses one that was made).
    let lyo = &s[1];
    lyo.ok(&["escalate", &key, "--level", "3"]);
    assert_eq!(lyo.show(&key)["level"], 3);
    assert!(conflicts(lyo).is_empty(), "{:?}", conflicts(lyo));
    assert_eq!(escalations(lyo), Some(4));
    lyo.ok(&["doctor"]);
    let settled = export(lyo, "all", "settled.gdb");
    for e in [&s[0], &s[2]] {
        import(e, &settled);
        assert_eq!(e.show(&key)["level"], 3);
        assert!(conflicts(e).is_empty(), "{:?}", conflicts(e));
        assert_eq!(escalations(e), Some(4));
        e.ok(&["doctor"]);
    }
}

/// A database folded before level conflicts existed (schema 11) holds no
/// row for concurrent escalations: opening it with this build settles the
/// level again from the log, so `doctor`'s rebuild agrees.
#[test]
fn upgrading_a_database_from_before_level_conflicts_finds_them() {
    let (s, key) = concurrent_levels();
    let bog = &s[0];
    {
        let c = rusqlite::Connection::open(&bog.db).expect("open");
        c.execute_batch("DELETE FROM conflict WHERE field = 'level'; PRAGMA user_version = 11;")
            .expect("make it look like schema 11");
    }
    bog.ok(&["doctor"]);
    assert_eq!(conflicts(bog), ["level level"]);
    assert_eq!(bog.show(&key)["level"], 2);
    let c = rusqlite::Connection::open(&bog.db).expect("open");
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 12);
}

#[test]
fn confirming_the_level_shown_settles_a_level_conflict() {
    let (s, key) = concurrent_levels();
    let mad = &s[2];
    // Level 2 is not above the level shown, yet it is one the sites chose.
    let out = mad.ok(&["escalate", &key, "--level", "2"]);
    assert!(out.contains("escalated to level 2"), "{out}");
    assert_eq!(mad.show(&key)["level"], 2);
    assert!(conflicts(mad).is_empty());
    let log = mad.ok(&["log", &key]);
    assert!(log.contains("confirmed after a sync conflict"), "{log}");
    import(&s[0], &export(mad, "all", "confirmed.gdb"));
    assert_eq!(s[0].show(&key)["level"], 2);
    assert!(conflicts(&s[0]).is_empty());
    s[0].ok(&["doctor"]);
    // Without a conflict, level 2 is no escalation any more.
    let err = mad.fail(&["escalate", &key, "--level", "2"]);
    assert!(err.contains("level"), "{err}");
}

#[test]
fn a_rejection_a_state_conflict_settled_away_is_not_shown_as_current() {
    let mut s = sites(2);
    let key = shared_incident(&s);
    s[0].now = "2026-03-02T13:20:00-05:00".into();
    s[1].now = "2026-03-02T13:21:00-05:00".into();
    s[0].ok(&["reject", &key, "--reason", "missing_docs"]);
    s[1].ok_as("bruno", &["move", &key, "in_progress"]);
    sync_all(&s, "moves");
    for e in &s {
        assert_eq!(status(e, &key), "in_progress");
        assert_eq!(conflicts(e), ["status state"]);
    }
    // Settled on in_progress at BOG.
    let bog = &s[0];
    bog.ok(&["move", &key, "in_progress"]);
    assert!(conflicts(bog).is_empty());
    for e in &s {
        let shown = e.ok(&["show", &key]);
        assert!(!shown.contains("Rejected"), "{shown}");
        let json = e.show(&key);
        assert!(json.get("reject_reason").is_none(), "{json}");
        let listed = e.json(&["list", "--json"]);
        assert!(listed[0].get("reject_reason").is_none(), "{listed}");
    }
    // The log keeps it, and the report counts it: it was made.
    let log = bog.ok(&["log", &key]);
    assert!(log.contains("missing_docs"), "{log}");
    let report = bog.json(&["report", "--json"]);
    let text = report.to_string();
    assert!(
        text.contains(r#""code":"missing_docs""#) && text.contains(r#""count":1"#),
        "{report}"
    );
}

#[test]
fn task_numbers_agree_at_every_site_and_done_can_check_the_task_text() {
    let s = sites(2);
    let (bog, lyo) = (&s[0], &s[1]);
    let problem = bog.problem("Caídas de red por switches", "Varios pisos sin red.");
    import(lyo, &export(bog, "all", "problem.gdb"));
    // LYO adds its task first, then BOG its own, each unaware of the other.
    let added = lyo.ok_as(
        "julia",
        &["problem", "task", "add", &problem, "Revisar switches"],
    );
    assert!(added.contains("task 1"), "{added}");
    let added = bog.ok_as(
        "julia",
        &["problem", "task", "add", &problem, "Tarea de BOG"],
    );
    assert!(added.contains("task 1"), "{added}");
    sync_all(&s, "tasks");
    let tasks = |e: &Env| -> Vec<String> {
        e.json(&["problem", "show", &problem, "--json"])["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| t["description"].as_str().expect("text").to_string())
            .collect()
    };
    assert_eq!(tasks(bog), ["Revisar switches", "Tarea de BOG"]);
    assert_eq!(tasks(lyo), tasks(bog));
    // BOG's task is number 2 now: checking the text refuses to close
    // someone else's task, and says where BOG's went.
    let err = bog.fail_as(
        "julia",
        &[
            "problem",
            "task",
            "done",
            &problem,
            "1",
            "--expect",
            "Tarea de BOG",
        ],
    );
    assert!(
        err.contains("task 1 is \"Revisar switches\"") && err.contains("that one is task 2 now"),
        "{err}"
    );
    let done = bog.ok_as(
        "julia",
        &[
            "problem",
            "task",
            "done",
            &problem,
            "2",
            "--expect",
            "tarea  de bog",
        ],
    );
    assert!(done.contains("task 2 done: Tarea de BOG"), "{done}");
    // A task added now is told its place, the last.
    let added = lyo.ok_as(
        "julia",
        &["problem", "task", "add", &problem, "Cambiar switch"],
    );
    assert!(added.contains("task 3"), "{added}");
}

#[test]
fn a_problems_incidents_come_in_registration_order_at_every_site() {
    let mut s = sites(2);
    let problem = s[0].problem("Caídas de red", "Varios pisos sin red.");
    import(&s[1], &export(&s[0], "all", "problem.gdb"));
    // LYO registers its incident first; BOG's comes an hour later, but
    // BOG receives LYO's after it.
    s[1].now = "2026-03-02T10:00:00-05:00".into();
    let early = s[1].incident("Sin red en Lyon", "Piso 2.");
    s[1].ok_as("julia", &["problem", "link", &problem, &early]);
    s[0].now = "2026-03-02T11:00:00-05:00".into();
    let late = s[0].incident("Sin red en Bogotá", "Piso 3.");
    s[0].ok_as("julia", &["problem", "link", &problem, &late]);
    sync_all(&s, "links");
    for e in &s {
        let d = e.json(&["problem", "show", &problem, "--json"]);
        let keys: Vec<&str> = d["incidents"]
            .as_array()
            .expect("incidents")
            .iter()
            .map(|t| t["key"].as_str().expect("key"))
            .collect();
        assert_eq!(keys, [early.as_str(), late.as_str()], "{d}");
        let from: Vec<&str> = d["linked_from"]
            .as_array()
            .expect("linked_from")
            .iter()
            .map(|l| l["target"].as_str().expect("key"))
            .collect();
        assert_eq!(from, [early.as_str(), late.as_str()], "{d}");
    }
}

#[test]
fn show_tells_an_invalid_transition_apart_with_the_move_that_settles_it() {
    let (s, key) = cancelled_against_in_progress();
    let bog = &s[0];
    // As an invalid transition's row reads (the fold writes it for a
    // forged change; its presentation is what is checked here).
    let c = rusqlite::Connection::open(&bog.db).expect("open");
    c.execute(
        "UPDATE conflict SET kind = 'invalid-transition', heads = json_remove(heads, '$[1]')",
        [],
    )
    .expect("edit");
    let shown = bog.ok(&["show", &key]);
    assert!(
        shown.contains(
            "Invalid state change received from another site, not applied: → cancelled (by diego"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("or confirm it: `guardia move {key} cancelled`")),
        "{shown}"
    );
    assert!(!shown.contains("  Status: cancelled ("), "{shown}");
    let json = bog.show(&key);
    assert_eq!(json["conflicts"][0]["kind"], "invalid-transition");
    assert_eq!(json["conflicts"][0]["heads"][0]["shown"], false);
}
