//! The queue's work only: problems and known errors (records) left out of
//! a list and of its count, exactly, whichever way the count is made.

mod common;

use common::*;
use guardia::config::Config;
use guardia::domain::lifecycle::open_states;
use guardia::store::{ListFilter, Store};

fn open_filter(queue_only: bool) -> ListFilter {
    let cfg = Config::builtin().expect("built-in configuration");
    ListFilter {
        statuses: open_states(&cfg.workflows),
        limit: 50,
        queue_only,
        ..Default::default()
    }
}

#[test]
fn records_are_left_out_of_the_queue_and_its_count() {
    let env = Env::new();
    let a = env.incident("Impresora sin tóner", "la impresora del piso 3");
    let b = env.incident("Correo lento", "la impresora y el correo");
    let problem = env.problem("Impresoras que fallan", "varias impresoras");
    let known = env.known_error(
        "osf",
        "Impresora atascada",
        "impresora no imprime",
        "reiniciar",
    );
    let store = Store::open(&env.db).expect("open");
    let r = store.reader();
    let keys = |f: &ListFilter| -> Vec<String> {
        r.list(f)
            .expect("list")
            .into_iter()
            .map(|(_, t)| t.key)
            .collect()
    };

    let everything = open_filter(false);
    assert_eq!(
        keys(&everything),
        vec![known.clone(), problem.clone(), b.clone(), a.clone()]
    );
    assert_eq!(r.count(&everything, None).expect("count"), 4);

    let queue = open_filter(true);
    assert_eq!(keys(&queue), vec![b.clone(), a.clone()]);
    // Uncapped, the records are taken off; capped, each row is checked.
    assert_eq!(r.count(&queue, None).expect("count"), 2);
    assert_eq!(r.count(&queue, Some(1000)).expect("count"), 2);

    // With a text filter and another field, the two ways agree too.
    let words = ListFilter {
        query: Some("impresora".into()),
        ..queue.clone()
    };
    assert_eq!(keys(&words), vec![b.clone(), a.clone()]);
    assert_eq!(r.count(&words, None).expect("count"), 2);
    assert_eq!(r.count(&words, Some(1000)).expect("count"), 2);
    let unassigned = ListFilter {
        assignee: Some(None),
        ..queue
    };
    assert_eq!(r.count(&unassigned, None).expect("count"), 2);
}
