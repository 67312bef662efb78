//! A transition the fold judges invalid (a trusted site signs `closed →
//! new` on a ticket nobody closed) is kept in the log and shown as an
//! `invalid-transition` conflict. A normal move made afterwards must settle
//! it: the move is valid at the site that makes it, on `doctor`'s replay
//! and at every site it reaches, whatever order the bundles arrive in.

mod common;

use common::Env;
use common::sync::{dump, export, import, sites};
use guardia::sync::format::{self, RawChangeset};
use guardia::sync::keys;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A site's secret key, as its database keeps it.
fn secret_of(e: &Env) -> String {
    let c = rusqlite::Connection::open(&e.db).expect("open");
    c.query_row("SELECT secret_key FROM local", [], |r| r.get(0))
        .expect("secret key")
}

/// `from`'s bundle `honest` with `was` replaced by `forged` in its
/// changesets, each re-signed with `from`'s own key (a trusted site that
/// signs a broken op), written to `name` in `from`'s directory.
fn forge(from: &Env, honest: &Path, was: &str, forged: &str, name: &str) -> PathBuf {
    let key = keys::signing_key(&secret_of(from)).expect("key");
    let env = format::check_envelope(honest).expect("envelope");
    let mut header = env.header.clone();
    let mut bodies = Vec::new();
    format::for_each_changeset(honest, &env, true, |raw| {
        let text = String::from_utf8(raw.body).expect("utf-8");
        assert!(text.contains(was), "the test must really forge: {text}");
        let body = text.replace(was, forged).into_bytes();
        header.uncompressed_len = header.uncompressed_len + body.len() as u64 - text.len() as u64;
        let digest: [u8; 32] = Sha256::digest(&body).into();
        let sig = hex::decode(keys::sign(&key, keys::CHANGESET_CONTEXT, &digest)).expect("hex");
        bodies.push(RawChangeset { body, sig });
        Ok(())
    })
    .expect("changesets");
    let out = from.path().join(name);
    format::write_bundle(&out, &header, bodies.into_iter().map(Ok), |digest| {
        hex::decode(keys::sign(&key, keys::BUNDLE_CONTEXT, digest)).expect("hex")
    })
    .expect("write");
    out
}

/// The conflict rows of a site, as `kind` per field.
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

/// BOG creates a ticket that every site gets, then signs a transition
/// `closed → new` on it (BOG's own move to in_progress, rewritten): the
/// sites, and the forged bundle.
fn forged_setup(n: usize) -> (Vec<Env>, String, PathBuf) {
    let s = sites(n);
    let key = s[0].incident("Impresora sin tóner", "La cola de impresión no avanza.");
    let created = export(&s[0], "all", "created.gdb");
    for e in &s[1..] {
        import(e, &created);
    }
    s[0].ok(&["move", &key, "in_progress"]);
    let honest = export(&s[0], "all", "honest.gdb");
    let forged = forge(
        &s[0],
        &honest,
        r#""from":"new","note":"","to":"in_progress""#,
        r#""from":"closed","note":"","to":"new""#,
        "forged.gdb",
    );
    (s, key, forged)
}

#[test]
fn a_move_after_an_invalid_transition_settles_it_at_every_site_in_any_order() {
    let (s, key, forged) = forged_setup(4);
    let (lyo, mad, qui) = (&s[1], &s[2], &s[3]);
    import(lyo, &forged);
    assert_eq!(status(lyo, &key), "new");
    assert_eq!(conflicts(lyo), ["status invalid-transition"]);
    lyo.ok(&["doctor"]);

    // A normal move settles it, here and on the replay.
    let moved = lyo.ok(&["move", &key, "in_progress"]);
    assert!(moved.contains("is now in_progress"), "{moved}");
    assert!(conflicts(lyo).is_empty(), "{:?}", conflicts(lyo));
    lyo.ok(&["doctor"]);
    let waiting = lyo.ok(&["move", &key, "waiting"]);
    assert!(waiting.contains("is now waiting"), "{waiting}");
    assert_eq!(status(lyo, &key), "waiting");
    lyo.ok(&["doctor"]);

    // LYO's own changes only: MAD gets them before the forged op, QUI
    // after it. Both end where LYO is.
    let from_lyo = export(lyo, "all", "lyo.gdb");
    import(mad, &from_lyo);
    assert_eq!(status(mad, &key), "waiting");
    import(mad, &forged);
    import(qui, &forged);
    assert_eq!(conflicts(qui), ["status invalid-transition"]);
    import(qui, &from_lyo);
    for e in [mad, qui] {
        assert_eq!(status(e, &key), "waiting");
        assert!(conflicts(e).is_empty(), "{:?}", conflicts(e));
        e.ok(&["doctor"]);
    }
    assert_eq!(dump(lyo), dump(mad));
    assert_eq!(dump(lyo), dump(qui));
}

/// Moving to the state shown while the invalid transition is open is the
/// confirmation docs/sync.md describes: it settles the conflict too.
#[test]
fn confirming_the_shown_state_settles_an_invalid_transition() {
    let (s, key, forged) = forged_setup(3);
    let (lyo, mad) = (&s[1], &s[2]);
    import(lyo, &forged);
    lyo.ok(&["move", &key, "new"]);
    assert_eq!(status(lyo, &key), "new");
    assert!(conflicts(lyo).is_empty(), "{:?}", conflicts(lyo));
    lyo.ok(&["doctor"]);
    import(mad, &export(lyo, "all", "lyo.gdb"));
    import(mad, &forged);
    assert!(conflicts(mad).is_empty(), "{:?}", conflicts(mad));
    mad.ok(&["doctor"]);
    assert_eq!(dump(lyo), dump(mad));
}
