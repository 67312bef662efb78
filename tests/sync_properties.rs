//! Property: whatever three sites do offline, and however their bundles
//! travel (dropped, duplicated, delivered late and out of order, relayed by
//! a third site), after a final exchange every site shows the same tickets,
//! comments, worklog, links, runbook ticks and conflicts, equal to an
//! independent naive fold of all the ops, and each passes `doctor` (the
//! replay of its log through the fold, in clock order). A fourth, trusted
//! site has signed an invalid transition (`closed → new`) on one ticket,
//! which the three pass around like any change: the moves made after it
//! must settle it everywhere.

mod common;

use common::Env;
use common::sync::{dump, export, naive_fold, projection, relay, sites};
use guardia::sync::format::{self, RawChangeset};
use guardia::sync::keys;
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// `honest`, exported by `from`, with the first op of each changeset
/// edited by `edit` and everything re-signed with `from`'s own key: a
/// trusted site that signs a broken op.
fn forge(from: &Env, honest: &Path, out: &Path, edit: impl Fn(&mut Value)) {
    let secret: String = rusqlite::Connection::open(&from.db)
        .expect("open")
        .query_row("SELECT secret_key FROM local", [], |r| r.get(0))
        .expect("secret key");
    let key = keys::signing_key(&secret).expect("key");
    let env = format::check_envelope(honest).expect("envelope");
    let mut header = env.header.clone();
    let mut bodies = Vec::new();
    format::for_each_changeset(honest, &env, true, |raw| {
        let mut body: Value = serde_json::from_slice(&raw.body).expect("body");
        edit(&mut body["ops"][0]);
        let body = serde_json::to_vec(&body).expect("json");
        let digest: [u8; 32] = Sha256::digest(&body).into();
        let sig = hex::decode(keys::sign(&key, keys::CHANGESET_CONTEXT, &digest)).expect("hex");
        bodies.push(RawChangeset { body, sig });
        Ok(())
    })
    .expect("changesets");
    header.uncompressed_len = bodies.iter().map(|b| b.body.len() as u64 + 130).sum();
    format::write_bundle(out, &header, bodies.into_iter().map(Ok), |digest| {
        hex::decode(keys::sign(&key, keys::BUNDLE_CONTEXT, digest)).expect("hex")
    })
    .expect("write");
}

fn act(e: &Env, action: u8, keys: &[String], t: usize, n: usize) {
    let key = keys[t].as_str();
    let other = keys[(t + 1) % keys.len()].as_str();
    let title = format!("title=Asunto {n}");
    let note = format!("Nota {n}");
    let evidence = format!("Revisado {n}");
    let args: Vec<&str> = match action {
        0 => vec!["comment", key, &note],
        1 => vec![
            "assign",
            key,
            if n.is_multiple_of(2) {
                "bruno"
            } else {
                "carla"
            },
        ],
        2 => vec!["set", key, &title],
        3 => vec!["move", key, "in_progress"],
        4 => vec!["worklog", key, "20m"],
        5 => vec!["move", key, "waiting"],
        6 => vec!["link", key, other],
        7 => vec!["link", key, other, "--remove"],
        8 => vec!["runbook", "run", "osf-monitoreo", key],
        9 => vec![
            "runbook",
            "tick",
            key,
            "bd-conexion",
            "--evidence",
            &evidence,
        ],
        _ => vec!["runbook", "tick", key, "bd-conexion", "--undo"],
    };
    // Refusals (a move the workflow forbids now) are part of the game.
    let _ = e.cmd().args(&args).output().expect("run");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn any_delivery_order_converges(
        steps in proptest::collection::vec((0usize..3, 0u8..11, 0usize..3, 0u8..4), 4..14)
    ) {
        let mut s = sites(4);
        let forger = s.pop().expect("QUI");
        let codes = ["BOG", "LYO", "MAD"];
        let keys: Vec<String> = s.iter().map(|e| e.incident("Caso", "Descripción del caso")).collect();
        // Everyone starts with everyone's tickets.
        for (i, e) in s.iter().enumerate() {
            for (j, other) in s.iter().enumerate() {
                if i != j {
                    let b = relay(e, codes[j], &format!("init-{j}.gdb"));
                    other.ok(&["sync", "import", &b.to_string_lossy()]);
                }
            }
        }
        // QUI's move of BOG's ticket, signed as `closed → new`; dated
        // before everything else, so the naive fold (which takes it for a
        // head until a move names it) shows it only when no move is made,
        // and then as the state the ticket was created in.
        forger.ok(&["sync", "import", &relay(&s[0], "QUI", "to-qui.gdb").to_string_lossy()]);
        forger.ok(&["move", &keys[0], "in_progress"]);
        let forged = s[0].path().join("forged.gdb");
        forge(&forger, &export(&forger, "all", "qui.gdb"), &forged, |op| {
            op["v"] = json!({"from": "closed", "to": "new", "note": ""});
            op["hlc"] = json!(1 << 16);
        });
        s[0].ok(&["sync", "import", &forged.to_string_lossy()]);
        let mut sent: Vec<PathBuf> = Vec::new();
        for (n, (r, action, t, delivery)) in steps.iter().enumerate() {
            act(&s[*r], *action, &keys, *t, n);
            let b = relay(&s[*r], "all", &format!("step-{n}.gdb"));
            let to = &s[(*r + 1) % 3];
            match delivery {
                0 => {} // dropped for now
                1 => { to.ok(&["sync", "import", &b.to_string_lossy()]); }
                2 => {
                    to.ok(&["sync", "import", &b.to_string_lossy()]);
                    to.ok(&["sync", "import", &b.to_string_lossy()]);
                }
                _ => sent.push(b.clone()), // delivered late, out of order
            }
        }
        for b in sent.iter().rev() {
            for e in &s {
                e.ok(&["sync", "import", &b.to_string_lossy()]);
            }
        }
        // A final exchange: each site relays what the others lack.
        for round in 0..2 {
            for (i, e) in s.iter().enumerate() {
                for (j, other) in s.iter().enumerate() {
                    if i != j {
                        let b = relay(e, codes[j], &format!("final-{round}-{i}-{j}.gdb"));
                        other.ok(&["sync", "import", &b.to_string_lossy()]);
                    }
                }
            }
        }
        let d0 = dump(&s[0]);
        prop_assert_eq!(&d0, &dump(&s[1]));
        prop_assert_eq!(&d0, &dump(&s[2]));
        // And what they show is what a naive fold of all the ops gives.
        prop_assert_eq!(naive_fold(&s[0]), projection(&s[0]));
        for e in &s {
            e.ok(&["doctor"]);
        }
    }
}
