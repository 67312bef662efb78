//! Sync under attack and accident: bundles whose header was edited or
//! whose changesets were re-ordered (with and without a recomputed
//! checksum), a relay that alters a changeset and signs the bundle with
//! its own valid key, imports killed with SIGKILL at
//! any moment (the database holds all of a bundle or none of it), golden
//! files of older format versions that must stay readable, and the
//! progress a long sync reports.

mod common;

use common::Env;
use common::sync::{assert_refused, dump, export, import, naive_fold, projection, relay, sites};
use guardia::sync::format::{self, RawChangeset};
use guardia::sync::keys;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The parts of a bundle file, as docs/sync.md lays them out.
struct Parts {
    version: [u8; 4],
    header: serde_json::Value,
    payload: Vec<u8>,
    sig: Vec<u8>,
}

fn split(bytes: &[u8]) -> Parts {
    let n = u32::from_le_bytes(bytes[12..16].try_into().expect("len")) as usize;
    let header = serde_json::from_slice(&bytes[16..16 + n]).expect("header");
    let m = u64::from_le_bytes(bytes[16 + n..24 + n].try_into().expect("len")) as usize;
    let payload = bytes[24 + n..24 + n + m].to_vec();
    let trailer = &bytes[24 + n + m..];
    Parts {
        version: bytes[8..12].try_into().expect("version"),
        header,
        payload,
        sig: trailer[4 + 32 + 1..].to_vec(),
    }
}

/// Writes the parts back; `rehash`: recompute the checksum as a forger
/// would (the exporter's signature is kept as it was).
fn join(p: &Parts, rehash: bool, original: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(&p.header).expect("json");
    let mut out = format::MAGIC.to_vec();
    out.extend_from_slice(&p.version);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(p.payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&p.payload);
    out.extend_from_slice(format::TRAILER_TAG);
    let digest: [u8; 32] = if rehash {
        Sha256::digest(&out).into()
    } else {
        // The checksum of the file as it was before the edit.
        let at = original.len() - (32 + 1 + 64);
        original[at..at + 32].try_into().expect("digest")
    };
    out.extend_from_slice(&digest);
    out.push(1);
    out.extend_from_slice(&p.sig);
    out
}

type HeaderEdit = fn(&mut serde_json::Value);

#[test]
fn edited_header_fields_are_refused_and_change_nothing() {
    let s = sites(2);
    let key = s[0].incident("Portal lento", "Las consultas tardan un minuto.");
    s[0].ok(&["comment", &key, "Sigue lento"]);
    let good = export(&s[0], "all", "good.gdb");
    let bytes = std::fs::read(&good).expect("bundle");
    let dir = s[1].path().join("edited");
    std::fs::create_dir_all(&dir).expect("dir");
    let edits: [(&str, HeaderEdit); 5] = [
        ("ops", |h| h["ops"] = 1.into()),
        ("knows", |h| h["knows"] = serde_json::json!({})),
        ("contains", |h| h["contains"] = serde_json::json!({})),
        ("created", |h| h["created"] = "2020-01-01T00:00:00Z".into()),
        ("code", |h| h["exporter"]["code"] = "LYO".into()),
    ];
    for (name, edit) in edits {
        let mut parts = split(&bytes);
        edit(&mut parts.header);
        let stale = dir.join(format!("{name}-stale.gdb"));
        std::fs::write(&stale, join(&parts, false, &bytes)).expect("write");
        assert_refused(&s[1], &stale, "checksum");
        let rehashed = dir.join(format!("{name}-rehashed.gdb"));
        std::fs::write(&rehashed, join(&parts, true, &bytes)).expect("write");
        assert_refused(&s[1], &rehashed, "forged or altered");
    }
    // The untouched file still imports: the refusals left nothing behind.
    assert!(import(&s[1], &good).contains("imported 2 new changes"));
}

/// A site's secret key, as its database keeps it.
fn secret_of(e: &Env) -> String {
    let c = rusqlite::Connection::open(&e.db).expect("open");
    c.query_row("SELECT secret_key FROM local", [], |r| r.get(0))
        .expect("secret key")
}

#[test]
fn a_relay_cannot_alter_a_changeset_even_when_it_signs_the_bundle() {
    let s = sites(3);
    s[0].incident("Portal lento", "Las consultas tardan un minuto.");
    let from_bog = export(&s[0], "all", "bog.gdb");
    // LYO relays BOG's changesets to MAD, but changes BOG's ticket on the
    // way and signs the bundle, correctly, with its own trusted key.
    s[1].ok(&["sync", "status"]); // LYO's key exists from here on
    let lyo_key = keys::signing_key(&secret_of(&s[1])).expect("key");
    let env = format::check_envelope(&from_bog).expect("envelope");
    let mut bodies = Vec::new();
    format::for_each_changeset(&from_bog, &env, true, |raw| {
        let text = String::from_utf8(raw.body).expect("utf-8");
        bodies.push(RawChangeset {
            body: text.replace("Portal lento", "Portal LENTO").into_bytes(),
            sig: raw.sig,
        });
        Ok(())
    })
    .expect("changesets");
    assert!(
        bodies
            .iter()
            .any(|b| String::from_utf8_lossy(&b.body).contains("Portal LENTO")),
        "the test must really alter a changeset"
    );
    let lyo = {
        let c = rusqlite::Connection::open(&s[1].db).expect("open");
        c.query_row(
            "SELECT s.site_id, s.code FROM site s JOIN local l ON l.site_no = s.no",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .expect("site")
    };
    let mut header = env.header.clone();
    header.exporter = format::Exporter {
        site: lyo.0,
        code: lyo.1,
        key: keys::public_hex(&lyo_key),
    };
    let relayed = s[1].path().join("relayed.gdb");
    format::write_bundle(&relayed, &header, bodies.into_iter().map(Ok), |digest| {
        hex::decode(keys::sign(&lyo_key, keys::BUNDLE_CONTEXT, digest)).expect("hex")
    })
    .expect("write");
    assert_refused(&s[2], &relayed, "bad signature");
    // BOG's own file brings the real ticket.
    import(&s[2], &from_bog);
    assert!(s[2].ok(&["list"]).contains("Portal lento"));
}

#[test]
fn links_and_runbook_ticks_travel_and_match_a_naive_fold() {
    let s = sites(2);
    let a = s[0].incident("No factura la sede norte", "El botón queda en gris.");
    let b = s[0].incident("No imprime la sede norte", "La cola de impresión se llena.");
    s[0].ok(&["link", &a, &b]);
    s[0].ok(&["runbook", "run", "osf-monitoreo", &a]);
    s[0].ok(&[
        "runbook",
        "tick",
        &a,
        "bd-conexion",
        "--evidence",
        "Conexión OK",
    ]);
    import(&s[1], &export(&s[0], "all", "one.gdb"));
    // LYO unticks the item and removes the link; BOG ticks another item.
    s[1].ok(&["runbook", "tick", &a, "bd-conexion", "--undo"]);
    s[1].ok(&["link", &a, &b, "--remove"]);
    s[0].ok(&[
        "runbook",
        "tick",
        &a,
        "bd-cierres",
        "--evidence",
        "Cierre diario completo",
    ]);
    import(&s[0], &export(&s[1], "all", "two.gdb"));
    import(&s[1], &export(&s[0], "all", "three.gdb"));
    assert_eq!(dump(&s[0]), dump(&s[1]));
    let shown = projection(&s[0]);
    assert!(shown.contains("|bd-cierres|1"), "{shown}");
    assert!(shown.contains("|bd-conexion|0"), "unticked: {shown}");
    assert!(!shown.contains("link|"), "{shown}");
    assert_eq!(naive_fold(&s[0]), shown);
}

#[test]
fn golden_bundles_of_older_versions_stay_readable() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut read = 0;
    for version in std::fs::read_dir(&golden).expect("golden dir") {
        let dir = version.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        let key = dir.join("BOG.pub");
        let e = Env::empty();
        e.ok(&["init", "--site", "LYO", "--join", &key.to_string_lossy()]);
        let mut bundles: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("version dir")
            .map(|f| f.expect("file").path())
            .filter(|p| p.extension().is_some_and(|x| x == "gdb"))
            .collect();
        bundles.sort();
        for b in &bundles {
            assert!(import(&e, b).contains("imported"), "{}", b.display());
        }
        e.ok(&["doctor"]);
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        insta::assert_snapshot!(format!("golden_{name}"), projection(&e));
        read += 1;
    }
    assert!(read >= 1, "no golden bundles found in {}", golden.display());
}

#[test]
fn progress_is_reported_when_asked() {
    let s = sites(2);
    s[0].ok(&["generate", "--tickets", "30", "--seed", "3"]);
    let out = s[0].path().join("p.gdb");
    let exported = s[0]
        .cmd()
        .args([
            "sync",
            "export",
            "--out",
            &out.to_string_lossy(),
            "--progress",
        ])
        .output()
        .expect("run");
    assert!(exported.status.success());
    let err = String::from_utf8_lossy(&exported.stderr);
    assert!(err.contains("sealing 0/"), "{err}");
    assert!(err.contains("writing") && err.contains("(100%)"), "{err}");
    let imported = s[1]
        .cmd()
        .args(["sync", "import", &out.to_string_lossy(), "--progress"])
        .output()
        .expect("run");
    assert!(imported.status.success());
    let err = String::from_utf8_lossy(&imported.stderr);
    let checking = err.find("checking").expect("checking phase");
    let applying = err.find("applying").expect("applying phase");
    assert!(checking < applying, "{err}");
    assert!(err.trim_end().ends_with("(100%)"), "{err}");
    // Without the flag, and not on a terminal, nothing is printed.
    let again = s[0].path().join("p2.gdb");
    let quiet = s[0]
        .cmd()
        .args(["sync", "export", "--out", &again.to_string_lossy()])
        .output()
        .expect("run");
    assert!(quiet.status.success() && quiet.stderr.is_empty());
}

/// `--out` naming a folder is refused with what to write instead, and no
/// temporary file is left next to it.
#[test]
fn an_export_into_a_folder_is_refused_and_leaves_nothing() {
    let s = sites(1);
    s[0].incident("Algo", "Algo pasa");
    let folder = s[0].path().join("salida");
    std::fs::create_dir_all(&folder).expect("dir");
    let err = s[0].fail(&["sync", "export", "--out", &folder.to_string_lossy()]);
    assert!(err.contains("is a folder; name the bundle file"), "{err}");
    assert!(err.contains("salida/bundle.gdb"), "{err}");
    let left: Vec<String> = std::fs::read_dir(s[0].path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(std::fs::read_dir(&folder).expect("list").next().is_none());
}

/// What one site holds of a bundle: its ops from the origin, its tickets,
/// and whether the bundle is recorded as imported.
fn held(db: &Path) -> (i64, i64, i64) {
    let c = rusqlite::Connection::open(db).expect("open");
    let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
    (
        q("SELECT count(*) FROM op WHERE site_no <> (SELECT site_no FROM local)"),
        q("SELECT count(*) FROM ticket"),
        q("SELECT count(*) FROM imported_bundle"),
    )
}

fn restore(from: &Path, to: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", to.display()));
    }
    std::fs::copy(from, to).expect("restore");
}

#[test]
fn an_import_killed_at_any_moment_leaves_all_of_the_bundle_or_none() {
    let s = sites(2);
    s[0].ok(&["generate", "--tickets", "300", "--seed", "11"]);
    let bundle = export(&s[0], "all", "big.gdb");
    // A clean copy of the receiving database, its log checkpointed.
    s[1].ok(&["sync", "status"]);
    {
        let c = rusqlite::Connection::open(&s[1].db).expect("open");
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    let pristine = s[1].path().join("pristine.db");
    std::fs::copy(&s[1].db, &pristine).expect("copy");
    let import_cmd = || {
        let mut c = s[1].std_cmd_as("ana");
        c.args(["sync", "import", &bundle.to_string_lossy()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    // One import to the end: how long it takes, and what "after" is.
    let started = Instant::now();
    assert!(import_cmd().status().expect("run").success());
    let whole = started.elapsed();
    let after = held(&s[1].db);
    assert_eq!(after.1, 300);
    assert_eq!(after.2, 1);
    let before = {
        restore(&pristine, &s[1].db);
        held(&s[1].db)
    };
    assert_eq!(before, (0, 0, 0));
    // Kill points spread over the whole run, and a little past it.
    let mut killed_running = 0;
    let mut outcomes = Vec::new();
    for i in 0..10u32 {
        restore(&pristine, &s[1].db);
        let mut child = import_cmd().spawn().expect("spawn");
        std::thread::sleep(whole.mul_f64(f64::from(i) * 0.11 + 0.02));
        if child.try_wait().expect("wait").is_none() {
            killed_running += 1;
        }
        child.kill().expect("SIGKILL"); // SIGKILL on Unix
        child.wait().expect("reaped");
        let now = held(&s[1].db);
        assert!(
            now == before || now == after,
            "killed at {i}/10: holds {now:?}, neither {before:?} nor {after:?}"
        );
        outcomes.push(now == after);
        // Whatever the moment, the database is sound and the import can
        // simply be run again.
        s[1].ok(&["doctor"]);
        assert!(import_cmd().status().expect("run").success());
        assert_eq!(held(&s[1].db), after);
    }
    assert!(
        killed_running >= 3,
        "only {killed_running} kills landed while the import ran ({whole:?} per import)"
    );
    assert!(
        outcomes.iter().any(|done| !done),
        "no kill landed before the commit"
    );
    assert_eq!(dump(&s[0]), dump(&s[1]));
}

#[test]
fn reordered_changesets_are_refused_and_change_nothing() {
    let s = sites(2);
    // More than one changeset (2,000 ops each).
    s[0].ok(&["generate", "--tickets", "200", "--seed", "5"]);
    let good = export(&s[0], "all", "good.gdb");
    let bytes = std::fs::read(&good).expect("bundle");
    let mut parts = split(&bytes);
    let text = zstd::decode_all(parts.payload.as_slice()).expect("payload");
    let mut lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    assert!(
        lines.len() >= 2,
        "needs two changesets, got {}",
        lines.len()
    );
    lines.swap(0, 1);
    parts.payload = zstd::encode_all(lines.concat().as_slice(), 3).expect("compress");
    let dir = s[1].path().join("reordered");
    std::fs::create_dir_all(&dir).expect("dir");
    let stale = dir.join("stale.gdb");
    std::fs::write(&stale, join(&parts, false, &bytes)).expect("write");
    assert_refused(&s[1], &stale, "checksum");
    let rehashed = dir.join("rehashed.gdb");
    std::fs::write(&rehashed, join(&parts, true, &bytes)).expect("write");
    assert_refused(&s[1], &rehashed, "forged or altered");
    assert!(import(&s[1], &good).contains("imported"));
}

/// Changeset bodies are stored compressed since schema 10, with the
/// length of their JSON; one stored before (the JSON itself, no length)
/// is sent as it is. A damaged stored body stops the export with a
/// message, and no file is written.
#[test]
fn stored_changesets_old_and_compressed_travel_and_damage_is_reported() {
    let s = sites(3);
    s[0].incident("Portal lento", "Las consultas tardan un minuto.");
    export(&s[0], "all", "first.gdb");
    s[0].incident("Correo caído", "No llegan correos.");
    export(&s[0], "all", "second.gdb");
    let c = rusqlite::Connection::open(&s[0].db).expect("open");
    let (compressed, len): (Vec<u8>, i64) = c
        .query_row(
            "SELECT body, body_len FROM changeset ORDER BY no LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("first changeset");
    assert_eq!(&compressed[..4], &[0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
    let json = zstd::bulk::decompress(&compressed, len as usize).expect("decompress");
    assert!(json.starts_with(b"{\"format\""));
    // The first changeset as a database from before schema 10 stored it.
    c.execute(
        "UPDATE changeset SET body = ?1, body_len = NULL WHERE no = (SELECT min(no) FROM changeset)",
        [&json],
    )
    .expect("old row");
    drop(c);
    // LYO gets both from BOG (one stored old, one compressed) and stores
    // them compressed; MAD gets them relayed by LYO, signatures intact.
    import(&s[1], &export(&s[0], "LYO", "both.gdb"));
    import(&s[2], &relay(&s[1], "MAD", "relayed.gdb"));
    assert_eq!(dump(&s[1]), dump(&s[0]));
    assert_eq!(dump(&s[2]), dump(&s[0]));
    assert!(s[2].ok(&["list"]).contains("Correo caído"));
    // Damaged: the export names the changeset and writes nothing.
    let c = rusqlite::Connection::open(&s[0].db).expect("open");
    c.execute(
        "UPDATE changeset SET body = x'28b52ffd00' WHERE no = (SELECT max(no) FROM changeset)",
        [],
    )
    .expect("damage");
    drop(c);
    let out = s[0].path().join("damaged.gdb");
    let err = s[0].fail(&[
        "sync",
        "export",
        "--for",
        "MAD",
        "--out",
        out.to_str().expect("path"),
    ]);
    assert!(
        err.contains("stored body of changeset") && err.contains("damaged"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Writes `out` from the changesets of `honest` as `edit` returns them
/// (by position), the bundle signed with `key` as its exporter's, its
/// header's length following the bodies.
fn rewrite_bundle(
    honest: &Path,
    out: &Path,
    key: &ed25519_dalek::SigningKey,
    mut edit: impl FnMut(usize, RawChangeset) -> RawChangeset,
) {
    let env = format::check_envelope(honest).expect("envelope");
    let mut header = env.header.clone();
    let mut bodies = Vec::new();
    format::for_each_changeset(honest, &env, true, |raw| {
        let before = raw.body.len() as u64;
        let raw = edit(bodies.len(), raw);
        header.uncompressed_len = header.uncompressed_len + raw.body.len() as u64 - before;
        bodies.push(raw);
        Ok(())
    })
    .expect("changesets");
    format::write_bundle(out, &header, bodies.into_iter().map(Ok), |digest| {
        hex::decode(keys::sign(key, keys::BUNDLE_CONTEXT, digest)).expect("hex")
    })
    .expect("write");
}

/// A site whose own key signs an op whose value repeats a key: the fold
/// (serde) would read the last of them and the dashboard's and report's
/// SQL the first, so the bundle is refused before anything is written,
/// like a value that is not JSON at all.
#[test]
fn a_signed_value_that_repeats_a_key_or_is_not_json_is_refused_before_any_write() {
    let s = sites(2);
    s[0].incident("Portal lento", "Las consultas tardan un minuto.");
    let key = s[0].incident("Impresora sin tóner", "La cola no avanza.");
    s[0].ok(&["move", &key, "assigned"]);
    let honest = export(&s[0], "all", "honest.gdb");
    let bog_key = keys::signing_key(&secret_of(&s[0])).expect("key");
    for (name, forged_to) in [
        ("repeated", r#""to":"closed","to":"assigned""#),
        ("huge", r#""to":"assigned","n":1e400"#),
        ("surrogate", r#""to":"assigned","x":"\ud800""#),
    ] {
        let forged = s[0].path().join(format!("{name}.gdb"));
        let mut really_forged = false;
        rewrite_bundle(&honest, &forged, &bog_key, |_, raw| {
            let text = String::from_utf8(raw.body).expect("utf-8");
            let body = text.replace(r#""to":"assigned""#, forged_to).into_bytes();
            really_forged |= body != text.as_bytes();
            let digest: [u8; 32] = Sha256::digest(&body).into();
            let sig =
                hex::decode(keys::sign(&bog_key, keys::CHANGESET_CONTEXT, &digest)).expect("hex");
            RawChangeset { body, sig }
        });
        assert!(really_forged, "the test must really forge a value ({name})");
        assert_refused(&s[1], &forged, "has a value that is not valid JSON");
    }
    assert!(import(&s[1], &honest).contains("imported"));
    assert_eq!(dump(&s[0]), dump(&s[1]));
}

/// The importer reads a bundle ahead on a second thread; a changeset
/// refused anywhere in a long bundle (the first, one in the middle, the
/// last) is still the one the refusal names, the import ends instead of
/// waiting on the reader, and nothing is written.
#[test]
fn a_forged_changeset_is_named_wherever_it_sits_in_a_long_bundle() {
    let s = sites(2);
    s[0].ok(&["generate", "--tickets", "700", "--seed", "3"]);
    let honest = export(&s[0], "all", "honest.gdb");
    let bog_key = keys::signing_key(&secret_of(&s[0])).expect("key");
    let env = format::check_envelope(&honest).expect("envelope");
    let count = env.header.changesets as usize;
    assert!(count >= 4, "needs a long bundle, got {count} changesets");
    for forged_at in [0, 1, count / 2, count - 1] {
        let mut named = String::new();
        let forged = s[0].path().join(format!("forged-{forged_at}.gdb"));
        rewrite_bundle(&honest, &forged, &bog_key, |at, mut raw| {
            if at == forged_at {
                let body: serde_json::Value = serde_json::from_slice(&raw.body).expect("body");
                named = format!(
                    "changeset {} {}-{}",
                    body["code"].as_str().expect("code"),
                    body["from"],
                    body["to"]
                );
                // Still valid JSON of the same length: only the signature
                // can tell.
                let text = String::from_utf8(raw.body).expect("utf-8");
                assert!(text.contains(r#""app":"guardia"#), "the body names its app");
                raw.body = text
                    .replacen(r#""app":"guardia"#, r#""app":"guardiA"#, 1)
                    .into_bytes();
            }
            raw
        });
        assert!(!named.is_empty(), "changeset {forged_at} was forged");
        assert_refused(&s[1], &forged, &format!("{named} has a bad signature"));
    }
    assert!(import(&s[1], &honest).contains("imported"));
    assert_eq!(dump(&s[0]), dump(&s[1]));
}

/// A key file edited to carry a code guardia never makes (lower case, too
/// long, with an escape sequence) is refused: tickets keyed by it could not
/// be typed, and its code would be echoed in every report.
#[test]
fn a_key_file_with_an_impossible_site_code_is_not_trusted() {
    let s = sites(2);
    let third = Env::empty();
    third.ok(&[
        "init",
        "--site",
        "QUI",
        "--join",
        &common::sync::key_of(&s[0]).to_string_lossy(),
    ]);
    let key = common::sync::key_of(&third);
    let text = std::fs::read_to_string(&key).expect("key file");
    for code in ["qui", "TOOLONGCODE", "ZZ\u{1b}[31m"] {
        let edited = s[1].path().join("editado.pub");
        let json_code = serde_json::to_string(code).expect("json");
        std::fs::write(&edited, text.replace("\"QUI\"", &json_code)).expect("write");
        let err = s[1].fail(&["sync", "trust", &edited.to_string_lossy()]);
        assert!(
            err.contains("not a site code of 2 to 8 capital letters"),
            "{code}: {err}"
        );
        assert!(!err.contains('\u{1b}'), "{err}");
    }
    s[1].ok(&["sync", "trust", &key.to_string_lossy()]);
}

/// Sync reports print the file names they were given on one line, escape
/// sequences shown, not obeyed; and when stdout is lost, sync (which is
/// safe to run again) exits 1, never 3.
#[test]
fn sync_reports_neutralise_paths_and_a_lost_stdout_is_not_exit_3() {
    let s = sites(2);
    s[0].incident("Algo", "Algo pasa");
    let out = s[0].path().join("b\u{1b}]0;x\u{7}\nFALSO.gdb");
    let printed = s[0].ok(&[
        "sync",
        "export",
        "--out",
        &out.to_string_lossy(),
        "--for",
        "LYO",
    ]);
    assert_eq!(printed.trim_end().lines().count(), 1, "{printed}");
    assert!(!printed.contains('\u{1b}'), "{printed}");
    let key = s[0].path().join("k\nFALSO.pub");
    let printed = s[0].ok(&["sync", "key", "--out", &key.to_string_lossy()]);
    assert_eq!(printed.trim_end().lines().count(), 1, "{printed}");

    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let run = |args: &[&str]| {
        s[1].std_cmd_as("ana")
            .args(args)
            .stdout(full())
            .output()
            .expect("run guardia")
    };
    // Something imported, stdout lost: exit 1, safe to repeat.
    let imported = run(&["sync", "import", &out.to_string_lossy()]);
    assert_eq!(
        imported.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    // A refused file is still reported on stderr.
    let bad = s[1].path().join("roto.gdb");
    std::fs::write(&bad, b"GDBX not a bundle").expect("write");
    let both = run(&[
        "sync",
        "import",
        &out.to_string_lossy(),
        &bad.to_string_lossy(),
    ]);
    let err = String::from_utf8_lossy(&both.stderr);
    assert!(err.contains("roto.gdb"), "{err}");
    assert_eq!(both.status.code(), Some(1), "{err}");
    // Nothing to do, stdout lost: exit 1 too.
    let folder = s[1].path().join("compartida");
    std::fs::create_dir(&folder).expect("mkdir");
    s[1].ok(&["sync", "folder", &folder.to_string_lossy()]);
    let idle = run(&["sync", "folder", &folder.to_string_lossy()]);
    assert_eq!(
        idle.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&idle.stderr)
    );
}

/// `sync import` of a folder says it is a folder and how to sync one,
/// not that a 4096-byte "file" is too short to be a bundle.
#[test]
fn importing_a_folder_says_it_is_a_folder() {
    let s = sites(2);
    let folder = s[1].path().join("compartida");
    std::fs::create_dir(&folder).expect("mkdir");
    let before = common::sync::file_bytes(&s[1]);
    let err = s[1].fail(&["sync", "import", &folder.to_string_lossy()]);
    assert!(
        err.contains(&format!("{}: refused: it is a folder", folder.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("guardia sync folder {}", folder.display())),
        "{err}"
    );
    assert!(!err.contains("bytes"), "{err}");
    assert!(common::sync::file_bytes(&s[1]) == before);
}

/// `sync folder` given a file says it is a file, not that nothing is
/// there to be created.
#[test]
fn syncing_through_a_file_says_it_is_not_a_folder() {
    let s = sites(2);
    s[0].incident("Algo", "Algo pasa");
    let file = export(&s[0], "LYO", "bog.gdb");
    let err = s[1].fail(&["sync", "folder", &file.to_string_lossy()]);
    assert!(
        err.contains(&format!("{} is a file, not a folder", file.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("guardia sync import {}", file.display())),
        "{err}"
    );
    assert!(!err.contains("mkdir"), "{err}");
}

/// An export into a folder that does not exist names the file asked for
/// (not its temporary name), says to create the folder, and leaves
/// nothing behind; `sync key --out` says the same.
#[test]
fn an_export_into_a_missing_folder_names_the_file_and_what_to_do() {
    let s = sites(1);
    s[0].incident("Algo", "Algo pasa");
    let missing = s[0].path().join("nodir");
    let out = missing.join("f.gdb");
    let err = s[0].fail(&["sync", "export", "--out", &out.to_string_lossy()]);
    assert!(
        err.contains(&format!("cannot write {}: ", out.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("the folder {} does not exist", missing.display()))
            && err.contains("create it first"),
        "{err}"
    );
    assert!(!err.contains(".tmp"), "{err}");
    assert!(!missing.exists());
    let key = missing.join("bog.pub");
    let err = s[0].fail(&["sync", "key", "--out", &key.to_string_lossy()]);
    assert!(
        err.contains(&format!("cannot write {}: ", key.display())) && err.contains("create it"),
        "{err}"
    );
}

/// A bundle without changesets carries only its exporter's
/// acknowledgements: the import says so (not "all 0 changesets were
/// already here") and records them.
#[test]
fn an_empty_bundle_says_it_carries_only_acknowledgements() {
    let s = sites(2);
    s[0].incident("Algo", "Algo pasa");
    import(&s[1], &export(&s[0], "LYO", "bog.gdb"));
    let empty = export(&s[1], "BOG", "lyo.gdb");
    let out = import(&s[0], &empty);
    assert!(
        out.contains(
            "nothing to import: the bundle carries no changes, only the acknowledgements of site LYO (recorded)"
        ),
        "{out}"
    );
    assert!(!out.contains("0 changesets"), "{out}");
    let status = s[0].ok(&["sync", "status"]);
    assert!(status.contains("has ours up to 1"), "{status}");
    let j = s[0].json(&["sync", "import", "--json", &empty.to_string_lossy()]);
    assert_eq!(j["imported"][0]["result"], "already_imported", "{j}");
}

/// A refused file in a shared folder is named as the folder report names
/// every file (`sites/<site>/<file>`), and "refused" is said once.
#[test]
fn a_refused_file_in_a_folder_is_named_inside_the_folder_once() {
    let s = sites(2);
    s[0].incident("Algo", "Algo pasa");
    let folder = s[0].path().join("compartida");
    std::fs::create_dir(&folder).expect("mkdir");
    let f = folder.to_string_lossy().to_string();
    s[0].ok(&["sync", "folder", &f]);
    let root = std::fs::read_dir(&folder)
        .expect("root")
        .next()
        .expect("dataset")
        .expect("entry")
        .path();
    let site_dir = std::fs::read_dir(root.join("sites"))
        .expect("sites")
        .next()
        .expect("site")
        .expect("entry")
        .path();
    let bundle = std::fs::read_dir(&site_dir)
        .expect("files")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "gdb"))
        .expect("bundle");
    let bytes = std::fs::read(&bundle).expect("read");
    std::fs::write(&bundle, &bytes[..bytes.len() - 10]).expect("truncate");
    let name = bundle
        .strip_prefix(&root)
        .expect("inside")
        .display()
        .to_string();
    let out = s[1]
        .cmd()
        .args(["sync", "folder", &f])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("refused: "))
        .unwrap_or_else(|| panic!("no refusal: {stdout}"));
    assert!(
        line.starts_with(&format!("refused: {name}: truncated")),
        "{line}"
    );
    assert_eq!(line.matches("refused").count(), 1, "{line}");
    assert!(!line.contains(&f), "{line}");
    assert!(line.contains("tried again at the next sync"), "{line}");
    // The refusal is on stderr too, one message, in text and in JSON.
    for out in [
        out,
        s[1].cmd()
            .args(["sync", "folder", &f, "--json"])
            .output()
            .expect("run"),
    ] {
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("guardia: refused: {name}: truncated")),
            "{err}"
        );
    }
    let j = s[1].cmd().args(["sync", "folder", &f, "--json"]).output();
    let j: serde_json::Value = serde_json::from_slice(&j.expect("run").stdout).expect("json");
    let refused = j["refused"][0].as_str().expect("refused");
    assert!(refused.starts_with(&format!("{name}: truncated")), "{j}");
}

/// `sync import --json` keeps the JSON on stdout and still says on stderr
/// which file was refused: exit 1 with nothing on stderr is missed by
/// whoever reads only the messages.
#[test]
fn a_refusal_in_json_is_also_a_message_on_stderr() {
    let s = sites(2);
    s[0].incident("Algo", "Algo pasa");
    let good = export(&s[0], "LYO", "bueno.gdb");
    let bad = s[1].path().join("roto.gdb");
    std::fs::write(&bad, b"GDBX not a bundle").expect("write");
    let out = s[1]
        .cmd()
        .args(["sync", "import", "--json"])
        .arg(&good)
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("guardia: {}: refused", bad.display())),
        "{err}"
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["imported"].as_array().map(Vec::len), Some(1), "{j}");
    assert_eq!(j["refused"].as_array().map(Vec::len), Some(1), "{j}");
}

/// A file that is not there is said to be missing, with what to check, by
/// every command that reads a bundle or key file; and a bundle whose line
/// endings were changed in transit is diagnosed as such wherever it is
/// given, not as a broken key file.
#[test]
fn a_missing_or_text_mode_file_is_diagnosed_plainly() {
    let s = sites(2);
    s[0].incident("Algo", "Algo pasa");
    let missing = s[1].path().join("nope.gdb");
    let m = missing.to_string_lossy().to_string();
    let expected = format!("cannot read bundle {m}: no such file; check the path");
    for args in [
        vec!["sync", "import", m.as_str()],
        vec!["sync", "trust", m.as_str()],
    ] {
        let err = s[1].fail(&args);
        assert!(err.contains(&expected), "{args:?}: {err}");
    }
    let joining = Env::empty();
    let err = joining.fail(&["init", "--site", "QUI", "--join", &m]);
    assert!(err.contains(&expected), "{err}");

    let good = export(&s[0], "all", "b.gdb");
    let bytes = std::fs::read(&good).expect("bundle");
    let mut crlf = Vec::new();
    for b in bytes {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    let text_mode = s[1].path().join("texto.gdb");
    std::fs::write(&text_mode, crlf).expect("write");
    let t = text_mode.to_string_lossy().to_string();
    for err in [
        s[1].fail(&["sync", "import", &t]),
        s[1].fail(&["sync", "trust", &t]),
        joining.fail(&["init", "--site", "QUI", "--join", &t]),
    ] {
        assert!(
            err.contains("line endings were changed in transit"),
            "{err}"
        );
    }
}

/// `sync export --out` never writes over a file (it may be another site's
/// bundle waiting on a USB stick); nothing is marked as sent, so the next
/// export still carries the changes.
#[test]
fn an_export_never_writes_over_a_file() {
    let s = sites(2);
    let k = s[0].incident("Algo", "Algo pasa");
    let taken = s[0].path().join("usb.gdb");
    std::fs::write(&taken, b"a bundle of another site").expect("write");
    let err = s[0].fail(&["sync", "export", "--out", &taken.to_string_lossy()]);
    assert!(
        err.contains(&format!("{} already exists", taken.display()))
            && err.contains("name another file"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&taken).expect("read"),
        b"a bundle of another site"
    );
    let leftovers: Vec<_> = std::fs::read_dir(s[0].path())
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let b = export(&s[0], "all", "otro.gdb");
    import(&s[1], &b);
    assert_eq!(s[1].show(&k)["title"], "Algo");
}

/// `rewrite_bundle` with each changeset's text edited by `edit` and signed
/// again with `key`, as a trusted site that forges its own changes would.
fn resign_bundle(
    honest: &Path,
    out: &Path,
    key: &ed25519_dalek::SigningKey,
    edit: impl Fn(&str) -> String,
) {
    let mut really_forged = false;
    rewrite_bundle(honest, out, key, |_, raw| {
        let text = String::from_utf8(raw.body).expect("utf-8");
        let body = edit(&text).into_bytes();
        really_forged |= body != text.as_bytes();
        let digest: [u8; 32] = Sha256::digest(&body).into();
        let sig = hex::decode(keys::sign(key, keys::CHANGESET_CONTEXT, &digest)).expect("hex");
        RawChangeset { body, sig }
    });
    assert!(
        really_forged,
        "the test must really forge {}",
        out.display()
    );
}

/// A trusted site's signed changeset that creates a ticket under another
/// site's key (which would take a key that site is yet to give: every later
/// `new` there would fail), under a key guardia never writes, or under a
/// key or id already given, is refused before anything is written; the
/// honest bundle still imports and both sites go on creating tickets.
#[test]
fn a_signed_changeset_creating_a_key_its_site_may_not_give_is_refused() {
    let s = sites(2);
    s[1].incident("Portal lento", "Las consultas tardan un minuto.");
    let first = export(&s[1], "BOG", "first.gdb");
    let lyo_key = keys::signing_key(&secret_of(&s[1])).expect("key");
    let dir = s[1].path().join("forged");
    std::fs::create_dir_all(&dir).expect("dir");
    let cases: [(&str, &str, &str); 4] = [
        (
            "other-site",
            r#""key":"BOG-1""#,
            "ticket key BOG-1 in a changeset of site LYO: a site creates only its own keys",
        ),
        (
            "padded",
            r#""key":"LYO-01""#,
            "creates a ticket with key 'LYO-01', which is not a ticket key",
        ),
        (
            "escape",
            r#""key":"LYO-1\u001b[31m""#,
            "creates a ticket with key 'LYO-1␛[31m', which is not a ticket key",
        ),
        (
            "keyless",
            r#""kee":"LYO-1""#,
            "creates a ticket without a key",
        ),
    ];
    for (name, forged_key, why) in cases {
        let forged = dir.join(format!("{name}.gdb"));
        resign_bundle(&first, &forged, &lyo_key, |t| {
            t.replace(r#""key":"LYO-1""#, forged_key)
        });
        assert_refused(&s[0], &forged, why);
    }
    assert!(import(&s[0], &first).contains("imported"));

    // A second ticket whose key (or id) the first one already has.
    s[1].ok(&[
        "sync",
        "import",
        &export(&s[0], "LYO", "ack.gdb").to_string_lossy(),
    ]);
    let second_id = {
        s[1].incident("Impresora sin tóner", "La cola no avanza.");
        s[1].show("LYO-2")["id"].as_str().expect("id").to_string()
    };
    let first_id = s[1].show("LYO-1")["id"].as_str().expect("id").to_string();
    let second = export(&s[1], "BOG", "second.gdb");
    let again = dir.join("key-again.gdb");
    resign_bundle(&second, &again, &lyo_key, |t| {
        t.replace(r#""key":"LYO-2""#, r#""key":"LYO-1""#)
    });
    assert_refused(
        &s[0],
        &again,
        "ticket key LYO-1 is already given to another ticket",
    );
    let same_id = dir.join("id-again.gdb");
    resign_bundle(&second, &same_id, &lyo_key, |t| {
        t.replace(&second_id, &first_id)
    });
    assert_refused(&s[0], &same_id, "exists already, as LYO-1");
    assert!(import(&s[0], &second).contains("imported"));

    let own = s[0].incident("Correo caído", "No llegan los correos.");
    assert_eq!(own, "BOG-1");
    s[0].ok(&["doctor"]);
    assert_eq!(s[0].list_keys(&[]).len(), 3);
}

/// Two tickets one changeset creates under the same key are refused too,
/// although the database holds neither yet.
#[test]
fn one_key_created_twice_in_a_bundle_is_refused() {
    let s = sites(2);
    s[1].incident("Portal lento", "Las consultas tardan un minuto.");
    s[1].incident("Impresora sin tóner", "La cola no avanza.");
    let honest = export(&s[1], "BOG", "honest.gdb");
    let lyo_key = keys::signing_key(&secret_of(&s[1])).expect("key");
    let forged = s[1].path().join("twice.gdb");
    resign_bundle(&honest, &forged, &lyo_key, |t| {
        t.replace(r#""key":"LYO-2""#, r#""key":"LYO-1""#)
    });
    assert_refused(
        &s[0],
        &forged,
        "in this bundle already created ticket LYO-1",
    );
    assert!(import(&s[0], &honest).contains("imported"));
}

/// A site whose clock ran years ahead: its changes are refused with their
/// date as a date, what to check, and where the docs say what to do.
#[test]
fn a_change_dated_years_ahead_is_refused_with_its_date_and_what_to_do() {
    let mut s = sites(2);
    s[1].now = "2029-01-15T12:00:00Z".into();
    s[1].incident("Portal lento", "Las consultas tardan un minuto.");
    let ahead = export(&s[1], "BOG", "ahead.gdb");
    assert_refused(
        &s[0],
        &ahead,
        "is dated 2029-01-15T12:00:00Z, more than 366 days after this computer's clock: check site LYO's clock (and this one's); see \"A site whose clock was wrong\" in docs/sync.md",
    );
}

/// A trusted site's signed op whose value has the wrong shape for its kind
/// (a comment whose body is a number, a worklog of "x" minutes, a
/// transition without a target) is refused before anything is written,
/// naming the op and the key. Before, the first two imported as an empty
/// comment and zero minutes, and the third failed halfway through the write
/// as "the operation log is inconsistent".
#[test]
fn a_signed_op_whose_value_has_the_wrong_shape_is_refused_before_any_write() {
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "body",
            r#""body":"Se llama al usuario""#,
            r#""body":7"#,
            "op 2 (create comment) has a number as its 'body', not a text",
        ),
        (
            "minutes",
            r#""minutes":30"#,
            r#""minutes":"x""#,
            "op 3 (create worklog) has a text as its 'minutes', not a whole number from 1 to 20160",
        ),
        (
            "huge-minutes",
            r#""minutes":30"#,
            r#""minutes":99999999"#,
            "op 3 (create worklog) has a number as its 'minutes', not a whole number from 1 to 20160",
        ),
        (
            "target",
            r#""to":"assigned""#,
            r#""tox":"assigned""#,
            "op 4 (transition ticket) has no 'to' (a text)",
        ),
        (
            "internal",
            r#""internal":false"#,
            r#""internal":"no""#,
            "op 2 (create comment) has a text as its 'internal', not true or false",
        ),
        (
            "ticketless",
            r#""ticket":""#,
            r#""tickex":""#,
            "op 2 (create comment) has no 'ticket' (a text)",
        ),
    ];
    let s = sites(2);
    let key = s[0].incident("Portal lento", "Las consultas tardan un minuto.");
    s[0].ok(&["comment", &key, "Se llama al usuario"]);
    s[0].ok(&["worklog", &key, "30m", "--note", "Pruebas"]);
    s[0].ok(&["move", &key, "assigned"]);
    let honest = export(&s[0], "all", "honest.gdb");
    let bog_key = keys::signing_key(&secret_of(&s[0])).expect("key");
    for (name, from, to, why) in cases {
        let forged = s[0].path().join(format!("{name}.gdb"));
        resign_bundle(&honest, &forged, &bog_key, |t| t.replacen(from, to, 1));
        assert_refused(&s[1], &forged, &format!("changeset BOG 1-4: {why}"));
    }
    assert!(import(&s[1], &honest).contains("imported"));
    let shown = s[1].show(&key);
    assert_eq!(shown["comments"][0]["body"], "Se llama al usuario");
    assert_eq!(shown["worklog"][0]["minutes"], 30);
}

/// Two exports to the same file at once: each writes its own temporary
/// file, one publishes a whole bundle and the other says the file exists
/// (its changes stay unsent). Before, both wrote into one temporary file:
/// a corrupt bundle, reported as written, with the changes marked as sent.
#[test]
fn two_exports_to_one_file_at_once_leave_one_whole_bundle() {
    let s = sites(2);
    s[0].ok(&["generate", "--tickets", "2000", "--seed", "3"]);
    let out = s[0].path().join("same.gdb");
    let spawn = || {
        s[0].std_cmd_as("ana")
            .args(["sync", "export", "--out", &out.to_string_lossy()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let results = [
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    ];
    let won = results.iter().filter(|o| o.status.success()).count();
    assert_eq!(won, 1, "{results:?}");
    let lost = results.iter().find(|o| !o.status.success()).expect("loser");
    assert!(
        String::from_utf8_lossy(&lost.stderr).contains("already exists"),
        "{lost:?}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(s[0].path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(import(&s[1], &out).contains("imported"));
    assert_eq!(s[1].json(&["doctor", "--json"])["tickets"], 2000);
}
