//! The look-alike searches behind "possible duplicates" and "solved
//! before" (`Reader::matching`), on a real SQLite file: a search that must
//! match every word reads the newest matches, then keeps the service's; a
//! search that may match any word ranks by the words each ticket shares.

use guardia::store::ops::{OpDraft, entity, kind};
use guardia::store::{ApplyMode, Store, significant_terms};
use serde_json::json;

/// The creation of incident `key` (id `id-KEY`) of `service`.
fn creation(key: &str, service: &str, title: &str, description: &str) -> OpDraft {
    OpDraft::new(
        entity::TICKET,
        &format!("id-{key}"),
        kind::CREATE,
        json!({"key": key, "type": "incident", "service": service,
               "title": title, "description": description,
               "status": "new", "priority": "p3", "impact": "low",
               "urgency": "low"}),
    )
}

/// A store with `n` tickets titled alike, alternating two services, and
/// one older ticket holding a rare word.
fn store_with_tickets(dir: &std::path::Path, n: usize) -> Store {
    let mut store = Store::create(&dir.join("search.db"), "BOG").expect("create");
    store
        .write(1_800_000_000_000, ApplyMode::Bulk, |w| {
            let mut create = |key: String, service: &str, title: String| {
                w.append("ana", creation(&key, service, &title, "Sin más detalle"))
                    .map(drop)
            };
            create(
                "OLD".into(),
                "correo",
                "Impresora sin tóner, error xq-77".into(),
            )?;
            for i in 0..n {
                let service = if i % 2 == 0 { "correo" } else { "red" };
                create(
                    format!("T{i:03}"),
                    service,
                    format!("Impresora sin tóner {i}"),
                )?;
            }
            Ok::<_, guardia::store::StoreError>(())
        })
        .expect("tickets");
    store
}

#[test]
fn a_search_for_every_word_reads_the_newest_matches_then_keeps_the_service() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store_with_tickets(dir.path(), 70);
    let r = store.reader();
    let words = significant_terms("Impresora sin tóner");
    let hits = r
        .matching(&words, true, "correo", None, 400, 40)
        .expect("search");
    let keys: Vec<&str> = hits.iter().map(|h| h.ticket.key.as_str()).collect();
    // The newest 40 matches are T030..T069; of them, correo's are the even ones.
    let expected: Vec<String> = (30..70)
        .rev()
        .filter(|i| i % 2 == 0)
        .map(|i| format!("T{i:03}"))
        .collect();
    assert_eq!(keys, expected);
    // Excluding a ticket leaves the rest in the same order.
    let without = r
        .matching(&words, true, "correo", Some("id-T068"), 400, 40)
        .expect("search");
    assert_eq!(without.len(), expected.len() - 1);
    assert_eq!(without[0].ticket.key, "T066");
}

#[test]
fn a_search_for_any_word_ranks_a_shared_rare_word_first() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store_with_tickets(dir.path(), 70);
    let r = store.reader();
    let words = significant_terms("Impresora con error xq-77");
    let hits = r
        .matching(&words, false, "correo", None, 2000, 200)
        .expect("search");
    // The oldest ticket is the only one with the rare words: first.
    assert_eq!(hits[0].ticket.key, "OLD");
    // Then the others of the service, newest first among equals.
    assert_eq!(hits[1].ticket.key, "T068");
    assert_eq!(hits.len(), 36);
}

/// A store whose tickets were written one transaction each, as a desk
/// registers them: every one leaves a small segment in the text index.
fn store_written_one_by_one(dir: &std::path::Path, n: usize) -> Store {
    let mut store = Store::create(&dir.join("segments.db"), "BOG").expect("create");
    for i in 0..n {
        store
            .write(1_800_000_000_000 + i as i64, ApplyMode::Live, |w| {
                w.append(
                    "ana",
                    creation(
                        &format!("S{i:03}"),
                        "correo",
                        &format!("Impresora sin tóner en la sede {i}"),
                        "No imprime desde esta mañana",
                    ),
                )
                .map(drop)
            })
            .expect("ticket");
    }
    store
}

fn found(store: &Store, text: &str) -> Vec<String> {
    store
        .reader()
        .matching(&significant_terms(text), false, "correo", None, 2000, 200)
        .expect("search")
        .into_iter()
        .map(|h| h.ticket.key)
        .collect()
}

#[test]
fn compacting_merges_the_text_index_and_finds_the_same_tickets() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = store_written_one_by_one(dir.path(), 12);
    let before = store.text_index_shape().expect("shape").segments;
    assert!(before >= 6, "one small segment per write, got {before}");
    let hits = found(&store, "impresora sede 7 mañana");
    assert_eq!(hits.len(), 12);

    store.compact_text_indexes().expect("compact");
    let after = store.text_index_shape().expect("shape").segments;
    assert!(
        after < before && after <= 3,
        "{before} segments became {after}"
    );
    assert_eq!(found(&store, "impresora sede 7 mañana"), hits);
    // Merged as far as it goes: another step finds nothing to do.
    assert!(
        !store
            .merge_text_indexes(64, std::time::Duration::ZERO)
            .expect("step")
    );
}

#[test]
fn a_bulk_load_merges_the_text_index_only_when_scattered() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store_written_one_by_one(dir.path(), 4);
    let few = store.text_index_shape().expect("shape").segments;
    store.compact_text_indexes_after_bulk().expect("after bulk");
    assert_eq!(store.text_index_shape().expect("shape").segments, few);

    let dir = tempfile::tempdir().expect("dir");
    let store = store_written_one_by_one(dir.path(), 14);
    assert!(store.text_index_shape().expect("shape").segments > 8);
    let hits = found(&store, "tóner sede 3");
    store.compact_text_indexes_after_bulk().expect("after bulk");
    assert_eq!(store.text_index_shape().expect("shape").segments, 1);
    assert_eq!(found(&store, "tóner sede 3"), hits);
}

#[test]
fn a_merge_step_waits_for_no_one() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = store_written_one_by_one(dir.path(), 6);
    let other = rusqlite::Connection::open(store.path()).expect("open");
    other.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let step = store.merge_text_indexes(64, std::time::Duration::ZERO);
    assert!(
        matches!(step, Err(guardia::store::StoreError::Busy { .. })),
        "{step:?}"
    );
    other.execute_batch("ROLLBACK").expect("unlock");
    assert!(
        store
            .merge_text_indexes(64, std::time::Duration::ZERO)
            .expect("step")
    );
}
