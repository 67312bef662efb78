//! Sync by bundle files through the real binary: idempotent imports,
//! convergence with conflicts that a normal change resolves everywhere,
//! refusals that leave the database byte for byte as it was (corrupt,
//! forged, foreign, untrusted, too new, forked), and the shared folder.

mod common;

use common::Env;
use common::sync::{assert_refused, dump, export, file_bytes, import, key_of, relay, sites};
use std::path::Path;

fn ticket(e: &Env, title: &str) -> String {
    e.incident(title, "El usuario no puede facturar desde esta mañana.")
}

#[test]
fn importing_twice_changes_nothing_and_says_so() {
    let s = sites(2);
    let key = ticket(&s[0], "Buzón lleno");
    s[0].ok(&["comment", &key, "Se revisa la cuota"]);
    let b = export(&s[0], "all", "b1.gdb");
    let first = import(&s[1], &b);
    assert!(first.contains("imported 2 new changes"), "{first}");
    let before = dump(&s[1]);
    let again = import(&s[1], &b);
    assert!(again.contains("already imported"), "{again}");
    assert_eq!(dump(&s[1]), before);
    assert_eq!(dump(&s[0]), before, "both sites show the same");
    // A bundle with other bytes but the same changesets also changes nothing.
    let relayed = export(&s[0], "LYO", "b2.gdb");
    let r = import(&s[1], &relayed);
    assert!(r.contains("nothing new"), "{r}");
    assert_eq!(dump(&s[1]), before);
    s[1].ok(&["doctor"]);
}

#[test]
fn concurrent_changes_converge_with_visible_conflicts_that_one_change_resolves() {
    let s = sites(2);
    let key = ticket(&s[0], "VPN caída");
    let b = export(&s[0], "all", "base.gdb");
    import(&s[1], &b);
    // Offline, both sites change the same ticket.
    s[0].ok(&["assign", &key, "carla"]);
    s[1].ok(&["assign", &key, "bruno"]);
    s[1].ok(&["comment", &key, "Desde Lyon"]);
    s[0].ok(&["worklog", &key, "30m", "--note", "Diagnóstico"]);
    let a = export(&s[0], "LYO", "a.gdb");
    let l = export(&s[1], "BOG", "l.gdb");
    import(&s[1], &a);
    import(&s[0], &l);
    assert_eq!(dump(&s[0]), dump(&s[1]));
    let status = s[0].ok(&["sync", "status"]);
    assert!(status.contains("conflicts: 1"), "{status}");
    assert!(status.contains("assignee"), "{status}");
    let st: serde_json::Value =
        serde_json::from_str(&s[1].ok(&["sync", "status", "--json"])).expect("json");
    assert_eq!(st["conflicts"], 1);
    let shown = s[0].show(&key);
    assert_eq!(shown["comments"].as_array().map(Vec::len), Some(1));
    // A person settles it with a normal change, at one site.
    s[1].ok(&["assign", &key, "carla"]);
    assert!(s[1].ok(&["sync", "status"]).contains("conflicts: 0"));
    let fix = export(&s[1], "BOG", "fix.gdb");
    import(&s[0], &fix);
    assert!(s[0].ok(&["sync", "status"]).contains("conflicts: 0"));
    assert_eq!(dump(&s[0]), dump(&s[1]));
    assert_eq!(s[0].show(&key)["assignee"], "carla");
    for e in &s {
        e.ok(&["doctor"]);
    }
}

/// Two sites set different manual priorities offline; setting the priority
/// the ticket shows settles the conflict, as confirming a state or an
/// assignee does (it used to record only the justification).
#[test]
fn confirming_the_priority_shown_settles_a_priority_conflict() {
    let s = sites(2);
    let key = ticket(&s[0], "Servidor de archivos lleno");
    let b = export(&s[0], "all", "base.gdb");
    import(&s[1], &b);
    s[0].ok(&[
        "set",
        &key,
        "priority=critical",
        "--justification",
        "cierre contable",
    ]);
    s[1].ok(&[
        "set",
        &key,
        "priority=low",
        "--justification",
        "hay espacio",
    ]);
    let a = export(&s[0], "LYO", "a.gdb");
    let l = export(&s[1], "BOG", "l.gdb");
    import(&s[1], &a);
    import(&s[0], &l);
    assert!(s[1].ok(&["sync", "status"]).contains("conflicts: 1"));
    let shown = s[1].show(&key)["priority"]
        .as_str()
        .expect("priority")
        .to_string();
    s[1].ok(&[
        "set",
        &key,
        &format!("priority={shown}"),
        "--justification",
        "confirmado tras el conflicto",
    ]);
    assert!(s[1].ok(&["sync", "status"]).contains("conflicts: 0"));
    let fix = export(&s[1], "BOG", "fix.gdb");
    import(&s[0], &fix);
    assert!(s[0].ok(&["sync", "status"]).contains("conflicts: 0"));
    assert_eq!(dump(&s[0]), dump(&s[1]));
    assert_eq!(s[0].show(&key)["priority"], shown.as_str());
}

#[test]
fn a_change_that_follows_another_wins_whatever_the_clocks_say() {
    let s = sites(2);
    let key = ticket(&s[0], "Impresora");
    // BOG's clock runs a day ahead when it sets the priority justification.
    let mut ahead = clone_env(&s[0]);
    ahead.now = "2026-03-03T09:00:00-05:00".into();
    ahead.ok(&["set", &key, "title=Impresora del piso 3"]);
    let b = export(&s[0], "all", "b.gdb");
    let out = import(&s[1], &b);
    assert!(out.contains("clock is"), "a skew warning: {out}");
    // LYO, with a correct clock, changes the title after seeing BOG's.
    s[1].ok(&["set", &key, "title=Impresora del piso 4"]);
    let l = export(&s[1], "BOG", "l.gdb");
    import(&s[0], &l);
    assert_eq!(s[0].show(&key)["title"], "Impresora del piso 4");
    assert_eq!(dump(&s[0]), dump(&s[1]));
}

/// The same site, seen through another environment value (its clock).
fn clone_env(e: &Env) -> Env {
    Env {
        dir: tempfile::Builder::new()
            .prefix("guardia-alias-")
            .tempdir()
            .expect("dir"),
        db: e.db.clone(),
        cfg: e.cfg.clone(),
        now: e.now.clone(),
        user: e.user.clone(),
        lang: e.lang.clone(),
    }
}

#[test]
fn damaged_bundles_are_refused_and_change_nothing() {
    let s = sites(2);
    let key = ticket(&s[0], "Portal lento");
    s[0].ok(&["comment", &key, "Más detalles"]);
    let good = export(&s[0], "all", "good.gdb");
    let bytes = std::fs::read(&good).expect("bundle");
    let dir = s[1].path().join("bad");
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, b: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, b).expect("write");
        p
    };
    assert_refused(
        &s[1],
        &write("cut.gdb", &bytes[..bytes.len() / 2]),
        "truncated",
    );
    let mut flipped = bytes.clone();
    let mid = bytes.len() * 2 / 3;
    flipped[mid] ^= 0x10;
    assert_refused(&s[1], &write("flip.gdb", &flipped), "checksum");
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"garbage");
    assert_refused(&s[1], &write("long.gdb", &longer), "unexpected data");
    let mut newer = bytes.clone();
    newer[8] = 2;
    assert_refused(&s[1], &write("new.gdb", &newer), "upgrade guardia");
    let crlf: Vec<u8> = bytes
        .iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    assert_refused(&s[1], &write("crlf.gdb", &crlf), "binary");
    assert_refused(&s[1], &write("text.gdb", b"hola"), "not a guardia bundle");
    // The good one still imports afterwards.
    assert!(import(&s[1], &good).contains("imported 2 new changes"));
}

#[test]
fn bundles_from_unknown_or_foreign_sites_are_refused() {
    let s = sites(2);
    ticket(&s[0], "Token caducado");
    let b = export(&s[0], "all", "b.gdb");
    // A site of another dataset.
    let stranger = Env::with_site("MAD");
    assert_refused(&stranger, &b, "another dataset");
    // A site that joined but was never trusted by BOG exports to BOG.
    let lonely = Env::empty();
    lonely.ok(&[
        "init",
        "--site",
        "QUI",
        "--join",
        &key_of(&s[0]).to_string_lossy(),
    ]);
    ticket(&lonely, "Desde Quito");
    let q = export(&lonely, "all", "q.gdb");
    assert_refused(&s[0], &q, "does not trust");
    // Trusting its key lets it in.
    s[0].ok(&["sync", "trust", &key_of(&lonely).to_string_lossy()]);
    assert!(import(&s[0], &q).contains("imported"));
}

#[test]
fn a_restored_database_that_reuses_its_site_is_detected() {
    let s = sites(2);
    ticket(&s[0], "Antes de la copia");
    // A backup of BOG, taken now…
    let backup = s[0].path().join("backup.db");
    std::fs::copy(&s[0].db, &backup).expect("copy");
    ticket(&s[0], "Después de la copia");
    let b = export(&s[0], "all", "b.gdb");
    import(&s[1], &b);
    // …is restored and used: it writes other changes with the same seqs.
    let restored = clone_env(&s[0]);
    let restored = Env {
        db: restored.path().join("restored.db"),
        ..restored
    };
    std::fs::copy(&backup, &restored.db).expect("restore");
    ticket(&restored, "Otra cosa con el mismo número");
    let fork = export(&restored, "all", "fork.gdb");
    // Refused, nothing of it imported; the fork alone is remembered.
    let before = dump(&s[1]);
    let err = s[1].fail(&["sync", "import", &fork.to_string_lossy()]);
    assert!(err.contains("refused") && err.contains("forked"), "{err}");
    assert_eq!(dump(&s[1]), before);
    // And the original refuses changes signed with its own key that it never wrote.
    assert_refused(&s[0], &fork, "two databases use site BOG");
    // In a shared folder, the restored copy finds the original's files in
    // its own directory and publishes nothing.
    let folder = s[0].path().join("compartido").to_string_lossy().to_string();
    std::fs::create_dir_all(&folder).expect("shared folder");
    s[0].ok(&["sync", "folder", &folder]);
    let count = || {
        walk(Path::new(&folder))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "gdb"))
            .count()
    };
    let before = count();
    let out = restored
        .cmd()
        .args(["sync", "folder", &folder])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("two databases use site BOG"), "{stdout}");
    // It says plainly that its export is withheld and what to do; syncing
    // again is not promised to help.
    assert!(
        stdout.contains("export withheld: site BOG is forked")
            && stdout.contains("guardia init --site NEW --join KEYFILE"),
        "{stdout}"
    );
    assert!(!stdout.contains("nothing new to export"), "{stdout}");
    assert!(!stdout.contains("tried again at the next sync"), "{stdout}");
    assert_eq!(count(), before, "the forked copy wrote nothing");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_shared_folder_brings_three_sites_to_the_same_state() {
    let s = sites(3);
    let folder = s[0].path().join("compartido");
    let f = folder.to_string_lossy().to_string();
    // A folder that is not there (a share not mounted) is refused, not made.
    let err = s[0].fail(&["sync", "folder", &f]);
    assert!(
        err.contains("no folder at") && err.contains("mounted"),
        "{err}"
    );
    assert!(!folder.exists(), "not created");
    std::fs::create_dir_all(&folder).expect("shared folder");
    let k = ticket(&s[0], "Caída del ERP");
    ticket(&s[1], "Nómina");
    ticket(&s[2], "Correo");
    for e in &s {
        e.ok(&["sync", "folder", &f]);
    }
    s[1].ok(&["comment", &k, "Lyon confirma"]);
    s[2].ok(&["worklog", &k, "15m"]);
    for _ in 0..2 {
        for e in &s {
            e.ok(&["sync", "folder", &f]);
        }
    }
    let d = dump(&s[0]);
    assert_eq!(d, dump(&s[1]));
    assert_eq!(d, dump(&s[2]));
    assert_eq!(s[0].ok(&["list", "--json"]).matches("\"key\"").count(), 3);
    let again = s[0].ok(&["sync", "folder", &f]);
    assert!(
        again.contains("nothing new to import") && again.contains("nothing new to export"),
        "{again}"
    );
    // Each site wrote only its own directory.
    let sites_dir = std::fs::read_dir(
        folder
            .read_dir()
            .expect("root")
            .next()
            .expect("dataset")
            .expect("entry")
            .path()
            .join("sites"),
    )
    .expect("sites")
    .count();
    assert_eq!(sites_dir, 3);
}

/// Every prefix of a small bundle is refused, in process (one binary run
/// per offset would take minutes), and none changes the database.
#[test]
fn every_truncation_of_a_bundle_is_refused() {
    use guardia::app::{App, Clock};
    use guardia::config::{Config, Lang};
    use guardia::store::Store;
    let s = sites(2);
    ticket(&s[0], "Corte");
    let good = export(&s[0], "all", "good.gdb");
    let bytes = std::fs::read(&good).expect("bundle");
    s[1].ok(&["sync", "status"]);
    let before = file_bytes(&s[1]);
    let cfg = Config::builtin().expect("config");
    let mut app = App::new(
        cfg,
        Store::open(&s[1].db).expect("open"),
        Clock::system(),
        Lang::En,
    );
    let cut = s[1].path().join("cut.gdb");
    for len in 0..bytes.len() {
        std::fs::write(&cut, &bytes[..len]).expect("write");
        let err = app
            .import(&cut, "ana")
            .expect_err("a truncated bundle must be refused");
        assert!(err.to_string().contains("refused"), "at {len}: {err}");
    }
    drop(app);
    assert!(file_bytes(&s[1]) == before);
    assert!(import(&s[1], &good).contains("imported"));
}

#[test]
fn a_second_folder_gets_everything_too() {
    let s = sites(2);
    let k = ticket(&s[0], "Dos carpetas");
    let one = s[0].path().join("uno").to_string_lossy().to_string();
    let two = s[0].path().join("dos").to_string_lossy().to_string();
    for f in [&one, &two] {
        std::fs::create_dir_all(f).expect("folder");
    }
    s[0].ok(&["sync", "folder", &one]);
    let out = s[0].ok(&["sync", "folder", &two]);
    assert!(out.contains("exported 1 change "), "{out}");
    s[1].ok(&["sync", "folder", &two]);
    assert_eq!(s[1].show(&k)["title"], "Dos carpetas");
}

/// Folders whose names are not text (bytes that are not UTF-8) keep an
/// export cursor each: a lossy form of the two paths would be the same
/// (`bad\u{fffd}`), and the second folder would never get a bundle. A
/// folder named in text keeps the cursor key databases already hold.
#[cfg(unix)]
#[test]
fn folders_whose_names_are_not_text_each_get_the_whole_history() {
    use std::os::unix::ffi::OsStrExt;
    let s = sites(2);
    let k = ticket(&s[0], "Dos carpetas raras");
    let named = |bytes: &[u8]| s[0].path().join(std::ffi::OsStr::from_bytes(bytes));
    let (one, two) = (named(b"bad\xff"), named(b"bad\xfe"));
    let folder = |e: &Env, dir: &Path| {
        let out = e
            .cmd()
            .args(["sync", "folder"])
            .arg(dir)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for d in [&one, &two] {
        std::fs::create_dir(d).expect("folder");
    }
    assert!(folder(&s[0], &one).contains("exported 1 change "));
    let out = folder(&s[0], &two);
    assert!(out.contains("exported 1 change "), "{out}");
    folder(&s[1], &two);
    assert_eq!(s[1].show(&k)["title"], "Dos carpetas raras");

    // A folder named in text is keyed as before: `folder:<its path>`.
    let text = s[0].path().join("texto");
    std::fs::create_dir(&text).expect("folder");
    folder(&s[0], &text);
    let c = rusqlite::Connection::open(&s[0].db).expect("open");
    let mut st = c
        .prepare("SELECT DISTINCT target FROM export_cursor")
        .expect("query");
    let targets: Vec<String> = st
        .query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    let dataset = s[0].json(&["sync", "status", "--json"])["dataset"]
        .as_str()
        .expect("dataset")
        .to_string();
    let expected = format!(
        "folder:{}",
        text.canonicalize().expect("path").join(&dataset).display()
    );
    assert!(targets.contains(&expected), "{targets:?}");
    assert_eq!(
        targets.iter().filter(|t| t.starts_with("folder")).count(),
        3,
        "{targets:?}"
    );
}

/// A copy of an imported bundle under another name reports the name the
/// bundle was first imported as, in text and JSON, however often it comes
/// back; and a shared folder's copy of a bundle imported from a USB stick
/// is said to be there already once, then left alone.
#[test]
fn a_renamed_copy_reports_the_name_it_was_first_imported_as() {
    let s = sites(2);
    ticket(&s[0], "Copia");
    let c1 = export(&s[0], "LYO", "c1.gdb");
    import(&s[1], &c1);
    let renamed = s[1].path().join("renamed.gdb");
    std::fs::copy(&c1, &renamed).expect("copy");
    let first = c1.display().to_string();
    let text = import(&s[1], &renamed);
    assert!(text.contains(&format!("(as {first})")), "{text}");
    for _ in 0..2 {
        let j = s[1].json(&["sync", "import", "--json", &renamed.to_string_lossy()]);
        let r = &j["imported"][0];
        assert_eq!(r["result"], "already_imported", "{j}");
        assert_eq!(r["first_file"], first.as_str(), "{j}");
        assert_eq!(r["file"], renamed.display().to_string().as_str(), "{j}");
    }

    // The same through a shared folder: the folder's copy is reported once.
    ticket(&s[0], "Por la carpeta");
    let folder = s[0].path().join("compartido");
    std::fs::create_dir(&folder).expect("folder");
    let f = folder.to_string_lossy().to_string();
    s[0].ok(&["sync", "folder", &f]);
    let copied = walk(&folder)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "gdb"))
        .expect("a bundle in the folder");
    let usb = s[1].path().join("usb.gdb");
    std::fs::copy(&copied, &usb).expect("copy");
    import(&s[1], &usb);
    let seen = s[1].ok(&["sync", "folder", &f]);
    assert!(seen.contains(&format!("(as {})", usb.display())), "{seen}");
    let again = s[1].ok(&["sync", "folder", &f]);
    assert!(again.contains("nothing new to import"), "{again}");
    let j = s[1].json(&["sync", "import", "--json", &usb.to_string_lossy()]);
    assert_eq!(
        j["imported"][0]["first_file"],
        usb.display().to_string().as_str(),
        "{j}"
    );
}

#[test]
fn a_site_whose_code_is_taken_is_not_trusted() {
    let s = sites(2);
    let twin = Env::empty();
    twin.ok(&[
        "init",
        "--site",
        "LYO",
        "--join",
        &key_of(&s[0]).to_string_lossy(),
    ]);
    let err = s[0].fail(&["sync", "trust", &key_of(&twin).to_string_lossy()]);
    assert!(err.contains("same code as site LYO"), "{err}");
}

#[test]
fn a_revoked_site_is_refused_directly_and_through_relays() {
    let s = sites(3);
    ticket(&s[0], "Portal lento");
    let from_bog = export(&s[0], "all", "bog.gdb");
    import(&s[2], &from_bog);
    let relayed = relay(&s[2], "LYO", "relay.gdb");
    let out = s[1].ok(&["sync", "revoke", "BOG"]);
    assert!(out.contains("revoked site BOG"), "{out}");
    assert_refused(&s[1], &from_bog, "revoked");
    assert_refused(&s[1], &relayed, "revoked");
    assert!(
        s[1].ok(&["sync", "status"]).contains("revoked"),
        "status shows the revocation"
    );
    let own = s[1].fail(&["sync", "revoke", "LYO"]);
    assert!(own.contains("own site"), "{own}");
    // Trusting the key again lets its bundles in.
    s[1].ok(&["sync", "trust", &key_of(&s[0]).to_string_lossy()]);
    assert!(import(&s[1], &from_bog).contains("imported"));
}

#[test]
fn a_clock_warning_clears_once_the_sites_changes_are_no_longer_ahead() {
    let mut s = sites(2);
    let key = ticket(&s[0], "Impresora");
    let mut ahead = clone_env(&s[0]);
    ahead.now = "2026-03-03T09:00:00-05:00".into();
    ahead.ok(&["set", &key, "title=Impresora del piso 3"]);
    import(&s[1], &export(&s[0], "all", "one.gdb"));
    let status = s[1].ok(&["sync", "status"]);
    assert!(status.contains("ahead"), "{status}");
    // Two days later at LYO, BOG's new changes are no longer ahead of it.
    s[1].now = "2026-03-05T09:00:00-05:00".into();
    ahead.ok(&["comment", &key, "Ya imprime"]);
    import(&s[1], &export(&s[0], "all", "two.gdb"));
    let status = s[1].ok(&["sync", "status"]);
    assert!(!status.contains("ahead"), "{status}");
}

#[test]
fn a_relay_sends_a_gap_once_it_is_filled() {
    let s = sites(3);
    ticket(&s[0], "Primero");
    let first = export(&s[0], "all", "first.gdb");
    ticket(&s[0], "Segundo");
    let second = export(&s[0], "all", "second.gdb");
    // MAD gets the second bundle before the first, and relays to LYO in
    // between and after.
    import(&s[2], &second);
    let early = relay(&s[2], "all", "early.gdb");
    import(&s[2], &first);
    let late = relay(&s[2], "all", "late.gdb");
    import(&s[1], &early);
    import(&s[1], &late);
    let list = s[1].ok(&["list"]);
    assert!(
        list.contains("Primero") && list.contains("Segundo"),
        "{list}"
    );
    assert_eq!(dump(&s[1]), dump(&s[0]));
}

#[test]
fn changes_a_site_already_holds_pass_even_from_a_revoked_site() {
    let s = sites(3);
    ticket(&s[2], "Desde Madrid");
    let from_mad = export(&s[2], "all", "mad.gdb");
    import(&s[0], &from_mad);
    import(&s[1], &from_mad);
    s[0].ok(&["sync", "revoke", "MAD"]);
    // LYO has not revoked MAD: its relay carries MAD's changeset, which BOG
    // already holds, with LYO's own new ticket.
    ticket(&s[1], "Desde Lyon");
    let from_lyo = relay(&s[1], "BOG", "lyo.gdb");
    assert!(import(&s[0], &from_lyo).contains("imported"));
    assert!(s[0].ok(&["list"]).contains("Desde Lyon"));
    // And BOG, having revoked MAD, does not pass MAD's changes on.
    let onward = relay(&s[0], "all", "bog.gdb");
    let fresh = Env::empty();
    fresh.ok(&[
        "init",
        "--site",
        "QUI",
        "--join",
        &key_of(&s[0]).to_string_lossy(),
    ]);
    fresh.ok(&["sync", "trust", &key_of(&s[1]).to_string_lossy()]);
    let out = import(&fresh, &onward);
    assert!(out.contains("imported"), "{out}");
    let list = fresh.ok(&["list"]);
    assert!(
        list.contains("Desde Lyon") && !list.contains("Desde Madrid"),
        "{list}"
    );
}

#[test]
fn a_shared_folder_leaves_a_revoked_sites_files_alone() {
    let s = sites(3);
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().to_string_lossy().to_string();
    ticket(&s[2], "Desde Madrid");
    for e in &s {
        e.ok(&["sync", "folder", &folder]);
    }
    s[0].ok(&["sync", "revoke", "MAD"]);
    ticket(&s[2], "Otra vez Madrid");
    s[2].ok(&["sync", "folder", &folder]);
    // No refusal, no advice to trust MAD again: exit 0, nothing imported.
    let out = s[0].ok(&["sync", "folder", &folder]);
    assert!(!out.contains("MAD"), "{out}");
    assert!(!s[0].ok(&["list"]).contains("Otra vez Madrid"));
    // Trusting it again imports what it left in the folder.
    s[0].ok(&["sync", "trust", &key_of(&s[2]).to_string_lossy()]);
    s[0].ok(&["sync", "folder", &folder]);
    assert!(s[0].ok(&["list"]).contains("Otra vez Madrid"));
}

#[test]
fn older_changes_filling_a_gap_do_not_clear_a_clock_warning() {
    let s = sites(2);
    ticket(&s[1], "Primero");
    let first = export(&s[1], "all", "first.gdb");
    let mut ahead = clone_env(&s[1]);
    ahead.now = "2026-03-03T09:00:00-05:00".into();
    ahead.incident("Segundo", "Con el reloj adelantado un día.");
    let second = export(&s[1], "all", "second.gdb");
    assert!(import(&s[0], &second).contains("clock is"));
    import(&s[0], &first);
    let status = s[0].ok(&["sync", "status"]);
    assert!(status.contains("ahead"), "{status}");
}

/// A whole history imported at once: the tickets are created in the
/// bundle, so the fold writes each one's row once with its final values
/// (state, assignee, level, fields, update time) instead of replaying
/// every change on it. What the importer shows must be what the site that
/// lived through the changes shows, table for table.
#[test]
fn a_whole_history_imported_at_once_shows_what_its_site_shows() {
    let s = sites(2);
    s[0].ok(&["generate", "--tickets", "150", "--seed", "5"]);
    // Links, records and their fields, in the same bundle as the tickets.
    let original = ticket(&s[0], "Impresora sin tóner");
    let copy = ticket(&s[0], "Impresora sin tóner en la sede");
    s[0].ok(&["reject", &copy, "--reason", "duplicate", "--of", &original]);
    let problem = s[0].problem("Tóner agotado", "Las impresoras se quedan sin tóner");
    s[0].ok_as("julia", &["problem", "link", &problem, &original]);
    s[0].known_error(
        "osf",
        "Tóner agotado",
        "La impresora no imprime",
        "Cambiar el cartucho",
    );
    let b = export(&s[0], "all", "history.gdb");
    import(&s[1], &b);
    assert_eq!(dump(&s[0]), dump(&s[1]));
    let rejections = |e: &Env| {
        let c = rusqlite::Connection::open(&e.db).expect("open");
        let mut st = c
            .prepare("SELECT ticket_id, reason, at FROM rejection ORDER BY 1, 3")
            .expect("prepare");
        st.query_map([], |r| {
            Ok(format!(
                "{} {} {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?
            ))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows")
    };
    let rejected = rejections(&s[0]);
    assert!(rejected.len() > 1, "{rejected:?}");
    assert_eq!(rejected, rejections(&s[1]));
    let shown = s[1].show(&copy);
    assert_eq!(shown["duplicate_of"], original.as_str(), "{shown}");
    s[1].ok(&["doctor"]);
}

/// The shared folder's `keys/<site id>.pub` of a dataset.
fn keys_dir(folder: &Path) -> std::path::PathBuf {
    folder
        .read_dir()
        .expect("root")
        .next()
        .expect("dataset")
        .expect("entry")
        .path()
        .join("keys")
}

/// A key file in a shared folder gets the checks `sync trust FILE` makes:
/// a code guardia never makes, or the key of a known site under another
/// site id, is reported (its text neutralised) and not recorded, so no
/// status asks for a trust that would be refused.
#[test]
fn a_shared_folders_key_files_pass_the_checks_of_sync_trust() {
    let s = sites(2);
    let folder = s[0].path().join("compartido");
    std::fs::create_dir(&folder).expect("folder");
    let f = folder.to_string_lossy().to_string();
    s[1].ok(&["sync", "folder", &f]);
    let keys = keys_dir(&folder);
    let lyo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key_of(&s[1])).expect("key")).expect("json");
    let third = Env::empty();
    third.ok(&[
        "init",
        "--site",
        "QUI",
        "--join",
        &key_of(&s[0]).to_string_lossy(),
    ]);
    let qui: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key_of(&third)).expect("key")).expect("json");
    let edited = |code: &str, site: &str, key: &serde_json::Value| {
        let mut k = qui.clone();
        k["code"] = code.into();
        k["site"] = site.into();
        k["key"] = key.clone();
        std::fs::write(keys.join(format!("{site}.pub")), k.to_string()).expect("write");
    };
    edited("lyo", "2f6a3c1e-0b7d-4e59-9a8c-1d2e3f4a5b6c", &qui["key"]);
    edited(
        "ZZ\u{1b}[31m\nOK",
        "3f6a3c1e-0b7d-4e59-9a8c-1d2e3f4a5b6c",
        &qui["key"],
    );
    edited("MAD", "4f6a3c1e-0b7d-4e59-9a8c-1d2e3f4a5b6c", &lyo["key"]);
    let out = s[0]
        .cmd()
        .args(["sync", "folder", &f])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "a refused file fails the sync");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("refused: keys/").count(),
        3,
        "each bad key file is reported: {stdout}"
    );
    assert!(
        stdout.contains("'lyo'") && stdout.contains("not a site code"),
        "{stdout}"
    );
    assert!(stdout.contains("the key site LYO"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("OK")).count(),
        1,
        "{stdout}"
    );
    let status = s[0].ok(&["sync", "status"]);
    assert!(!status.contains("pending"), "nothing recorded: {status}");
    assert_eq!(status.matches("key ").count(), 2, "{status}");
}

/// Two sites with one code are told apart by site id: `sync status` shows
/// the ids, a folder sync asks to trust by site id (and not at all a site
/// whose code a trusted site already has), and trusting by id works.
#[test]
fn sites_that_share_a_code_are_named_by_site_id() {
    let s = sites(2);
    let folder = s[0].path().join("compartido");
    std::fs::create_dir(&folder).expect("folder");
    let f = folder.to_string_lossy().to_string();
    let joined = |code: &str| {
        let e = Env::empty();
        e.ok(&[
            "init",
            "--site",
            code,
            "--join",
            &key_of(&s[0]).to_string_lossy(),
        ]);
        e.ok(&["sync", "folder", &f]);
        let st = e.json(&["sync", "status", "--json"]);
        let id = st["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .find(|x| x["this_site"] == true)
            .expect("own")["site_id"]
            .as_str()
            .expect("id")
            .to_string();
        (e, id)
    };
    let (_twin, twin_id) = joined("LYO");
    let (_q1, q1) = joined("QUI");
    let (_q2, q2) = joined("QUI");
    let out = s[0].ok(&["sync", "folder", &f]);
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with("not trusted yet") && l.contains(id))
            .unwrap_or_else(|| panic!("{id}: {out}"))
            .to_string()
    };
    assert!(line(&twin_id).contains("cannot be trusted"), "{out}");
    assert!(!line(&twin_id).contains("sync trust"), "{out}");
    for id in [&q1, &q2] {
        assert!(
            line(id).contains(&format!("`guardia sync trust {id}`")),
            "{out}"
        );
    }
    let status = s[0].ok(&["sync", "status"]);
    for id in [&twin_id, &q1, &q2] {
        assert!(status.contains(&format!("site id {id}")), "{status}");
    }
    let err = s[0].fail(&["sync", "trust", "QUI"]);
    assert!(
        err.contains("name the one you mean by its site id"),
        "{err}"
    );
    s[0].ok(&["sync", "trust", &q2]);
    let err = s[0].fail(&["sync", "trust", &q1]);
    assert!(err.contains("same code as site QUI"), "{err}");
}

/// Syncs of one database through one folder at once take turns (one lock
/// per database and folder): its changes are written once, in one
/// bundle. A run that waited longer than a write would says so, having
/// done nothing.
#[test]
fn syncs_of_one_database_through_one_folder_at_once_write_each_change_once() {
    let s = sites(2);
    let folder = s[0].path().join("compartido");
    std::fs::create_dir_all(&folder).expect("shared folder");
    let f = folder.to_string_lossy().to_string();
    let k = ticket(&s[0], "Caída del ERP");
    let busy = format!(
        "guardia: another sync of this database through the folder {f} is running; wait for it to finish and try again"
    );
    let runs: Vec<std::process::Child> = (0..4)
        .map(|_| {
            s[0].std_cmd_as(&s[0].user)
                .args(["sync", "folder", &f])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn guardia")
        })
        .collect();
    let mut synced = 0;
    for run in runs {
        let out = run.wait_with_output().expect("wait for guardia");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success()
                || (out.status.code() == Some(1) && stderr.lines().last() == Some(busy.as_str())),
            "{:?}: {stderr}",
            out.status
        );
        synced += usize::from(out.status.success());
    }
    assert!(synced >= 1);
    let bundles: Vec<_> = walk(&folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gdb"))
        .collect();
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    let again = s[0].ok(&["sync", "folder", &f]);
    assert!(again.contains("nothing new to export"), "{again}");
    s[1].ok(&["sync", "folder", &f]);
    assert_eq!(s[1].show(&k)["title"], "Caída del ERP");
    assert_eq!(dump(&s[0]), dump(&s[1]));
}

/// A sync that has to wait for another one of the same database and folder
/// says so at once, instead of looking hung for up to a minute, and goes on
/// when the other one is done. The other one is this test, holding the
/// folder's lock file as a running sync does.
#[test]
fn a_sync_that_waits_for_another_says_so_and_goes_on() {
    use sha2::{Digest, Sha256};
    use std::io::BufRead;
    use std::os::unix::io::AsRawFd;
    let s = sites(1);
    let folder = s[0].path().join("compartido");
    std::fs::create_dir_all(&folder).expect("shared folder");
    ticket(&s[0], "Caída del ERP");
    let place = folder.canonicalize().expect("folder");
    let id = hex::encode(&Sha256::digest(place.as_os_str().as_encoded_bytes())[..6]);
    let db = s[0].db.canonicalize().expect("db");
    let locks = db.with_file_name(format!(
        "{}.sync",
        db.file_name().expect("name").to_string_lossy()
    ));
    std::fs::create_dir_all(&locks).expect("lock folder");
    let held = std::fs::File::create(locks.join(format!("folder-{id}.lock"))).expect("lock file");
    // SAFETY: flock acts only on the descriptor `held` keeps open.
    assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX) }, 0);

    let mut run = s[0]
        .std_cmd_as(&s[0].user)
        .args(["sync", "folder", &folder.to_string_lossy()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn guardia");
    let mut stderr = std::io::BufReader::new(run.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("a line on stderr");
    assert_eq!(
        first.trim_end(),
        "guardia: waiting for another sync of this database through the same folder or repository to finish…"
    );
    drop(held);
    let out = run.wait_with_output().expect("wait for guardia");
    assert!(out.status.success(), "{out:?}");
    let bundles = walk(&folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gdb"))
        .count();
    assert_eq!(bundles, 1);
}
