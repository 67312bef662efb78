//! What sites say and do when syncing goes wrong or goes quiet, driven as
//! operators drive it (the real binary, real folders, real git): a site
//! that forked (a copied database) is named as forked wherever its later
//! changes arrive, flagged by `sync status`, and its changes that cannot be
//! checked are kept out; a new database whose code an established site
//! already has is told to re-create itself; a forked site syncing through
//! git can remove the other database's files from the branch; a site that
//! only reads still acknowledges what it holds; import summaries count
//! only what is new and speak the operator's language.

mod common;

use common::Env;
use common::sync::{export, import, key_of, sites};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A copy of `e`'s database (a restored backup, a copied file) in a world
/// of its own: the same site, used by another database from now on.
fn copy_site(e: &Env) -> Env {
    let copy = Env::empty();
    std::fs::create_dir_all(copy.db.parent().expect("data dir")).expect("data dir");
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{}{suffix}", e.db.display());
        if Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{suffix}", copy.db.display())).expect("copy");
        }
    }
    copy
}

fn shared_folder(e: &Env) -> String {
    let dir = e.path().join("compartido");
    std::fs::create_dir_all(&dir).expect("shared folder");
    dir.to_string_lossy().into_owned()
}

/// Runs `sync folder` (or any command) that may fail; returns
/// (success, stdout, stderr).
fn run(e: &Env, args: &[&str]) -> (bool, String, String) {
    let out = e.output_as(&e.user.clone(), args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The entry of `code` in `sync status --json`.
fn status_of(e: &Env, code: &str) -> Value {
    let st = e.json(&["sync", "status", "--json"]);
    st["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|s| s["code"] == code)
        .unwrap_or_else(|| panic!("no site {code} in {st}"))
        .clone()
}

fn last_seq(e: &Env) -> i64 {
    e.json(&["sync", "status", "--json"])["last_seq"]
        .as_i64()
        .expect("last_seq")
}

/// BOG's database is copied and both copies go on working; LYO takes the
/// copy's changes first (from a USB stick). BOG's own later changes then
/// reach LYO through the folder: each is refused as a fork, naming the
/// seq and what to do (not as "forged, or damaged"), the fork is
/// remembered and shown by `sync status`, and a changeset of BOG that
/// cannot be checked against what LYO holds is kept out instead of being
/// folded on top of the copy's changes.
#[test]
fn a_fork_is_named_remembered_and_keeps_out_what_cannot_be_checked() {
    let s = sites(2);
    let (bog, lyo) = (&s[0], &s[1]);
    let folder = shared_folder(bog);
    let key = bog.incident("ERP caído", "Nadie puede facturar.");
    bog.ok(&["sync", "folder", &folder]);
    lyo.ok(&["sync", "folder", &folder]);
    let copy = copy_site(bog);
    let fork_seq = last_seq(bog) + 1;
    bog.ok(&["comment", &key, "Desde el original"]);
    bog.ok(&["comment", &key, "Otra vez desde el original"]);
    copy.ok(&["comment", &key, "Desde la copia"]);
    copy.ok(&["comment", &key, "Otra vez desde la copia"]);
    let usb = export(&copy, "all", "usb.gdb");
    assert!(import(lyo, &usb).contains("imported 2 new changes"));

    // BOG's next file: the fork, named with its seq, and no retry promised.
    bog.ok(&["sync", "folder", &folder]);
    let (ok, out, err) = run(lyo, &["sync", "folder", &folder]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("site BOG forked at seq {fork_seq}"))
            && out.contains("\"Forks\" in docs/sync.md"),
        "{out}"
    );
    assert!(!out.contains("tried again at the next sync"), "{out}");
    assert!(err.contains("forked"), "{err}");
    let st = status_of(lyo, "BOG");
    assert_eq!(st["forked_at"], fork_seq, "{st}");

    // BOG goes on: its next changeset follows its own changes, not the
    // copy's that LYO holds.
    bog.ok(&["comment", &key, "Sigue el original"]);
    bog.ok(&["sync", "folder", &folder]);
    let (_, out, _) = run(lyo, &["sync", "folder", &folder]);
    assert!(!out.contains("forged, or damaged"), "{out}");
    assert!(
        out.matches(&format!("site BOG forked at seq {fork_seq}"))
            .count()
            >= 2,
        "{out}"
    );

    // And after that, a changeset LYO cannot check (its predecessor was
    // refused) is refused too, not taken on top of the copy's changes.
    let held_before = status_of(lyo, "BOG")["held"].clone();
    bog.ok(&["comment", &key, "Y sigue"]);
    bog.ok(&["comment", &key, "Y sigue más"]);
    bog.ok(&["sync", "folder", &folder]);
    let (ok, out, _) = run(lyo, &["sync", "folder", &folder]);
    assert!(!ok);
    assert!(
        out.contains("cannot be checked against those held here"),
        "{out}"
    );
    let st = status_of(lyo, "BOG");
    assert_eq!(st["held"], held_before, "{st}");
    let comments: Vec<String> = lyo.show(&key)["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["body"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        comments.iter().all(|c| !c.starts_with("Y sigue")),
        "{comments:?}"
    );
    // The status flags it and says the way out, instead of a MISSING range
    // that no later bundle will fill.
    let text = lyo.ok(&["sync", "status"]);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("BOG"))
        .expect("BOG's line");
    assert!(
        line.contains(&format!("FORKED at seq {fork_seq}"))
            && line.contains("re-create the other with a new site code"),
        "{line}"
    );
    assert!(!line.contains("MISSING"), "{line}");
    lyo.ok(&["doctor"]);
}

/// A new database created with a code an established site has is told
/// that it must be re-created, not that the established site must.
#[test]
fn a_new_database_with_a_taken_code_is_told_to_re_create_itself() {
    let s = sites(2);
    let (bog, lyo) = (&s[0], &s[1]);
    let folder = shared_folder(bog);
    bog.incident("ERP caído", "Nadie puede facturar.");
    lyo.incident("Nómina", "Falla el cálculo.");
    for e in [bog, lyo, bog] {
        e.ok(&["sync", "folder", &folder]);
    }
    let lyo_id = status_of(lyo, "LYO")["site_id"]
        .as_str()
        .expect("id")
        .to_string();
    let dup = Env::empty();
    dup.ok(&[
        "init",
        "--site",
        "LYO",
        "--join",
        &key_of(bog).to_string_lossy(),
    ]);
    let out = dup.ok(&["sync", "folder", &folder]);
    let told = out
        .lines()
        .find(|l| l.starts_with("not trusted yet: LYO"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        told.contains(&format!("site LYO ({lyo_id}) already has in this dataset"))
            && told.contains("this database must be re-created with another code")
            && told.contains("guardia init --site OTHER --join KEYFILE"),
        "{told}"
    );
    assert!(!told.contains("its operator must re-create it"), "{told}");
    let err = dup.fail(&["sync", "trust", &lyo_id]);
    assert!(
        err.contains("uses this database's own code LYO")
            && err.contains("this database must be re-created"),
        "{err}"
    );
    // The established sites say the opposite, about the newcomer.
    let out = bog.ok(&["sync", "folder", &folder]);
    assert!(out.contains("its operator must re-create it"), "{out}");
    // In Spanish too.
    let dup = Env {
        lang: "es".into(),
        ..dup
    };
    let out = dup.ok(&["sync", "folder", &folder]);
    assert!(
        out.contains("sin confianza aún: LYO")
            && out.contains("esta base de datos debe volver a crearse"),
        "{out}"
    );
}

fn git(args: &[&str], dir: &Path) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn bare_repo(e: &Env) -> String {
    let repo = e.path().join("sync.git");
    std::fs::create_dir_all(&repo).expect("dir");
    git(&["init", "--quiet", "--bare"], &repo);
    repo.to_string_lossy().into_owned()
}

/// Under git, deleting a file in the clone only had it restored: the
/// withheld export now says to delete the other database's file in the
/// clone, and the next sync removes it from the branch (a file of another
/// site deleted in the clone is still put back, said as deleted).
#[test]
fn a_forked_site_under_git_can_remove_the_other_databases_files() {
    let s = sites(2);
    let (bog, lyo) = (&s[0], &s[1]);
    let url = bare_repo(bog);
    let repo = bog.path().join("sync.git");
    let key = bog.incident("ERP caído", "Nadie puede facturar.");
    bog.ok(&["sync", "git", &url]);
    lyo.incident("Nómina", "Falla el cálculo.");
    lyo.ok(&["sync", "git", &url]);
    let copy = copy_site(bog);
    copy.ok(&["comment", &key, "Desde la copia"]);
    copy.ok(&["sync", "git", &url]);
    bog.ok(&["comment", &key, "Desde el original"]);
    let (ok, out, _) = run(bog, &["sync", "git", &url, "--json"]);
    assert!(!ok);
    let report: Value = serde_json::from_str(&out).expect("json");
    let clone = Path::new(report["clone"].as_str().expect("clone")).to_path_buf();
    let withheld = report["withheld"].as_str().expect("withheld").to_string();
    assert!(
        withheld.contains(&format!("in the clone {}", clone.display()))
            && withheld.contains("removes them from branch guardia-sync"),
        "{withheld}"
    );
    assert!(!withheld.contains("from the folder"), "{withheld}");
    let dataset = report["folder"]
        .as_str()
        .and_then(|f| Path::new(f).file_name())
        .expect("dataset")
        .to_string_lossy()
        .into_owned();
    let theirs = format!(
        "{dataset}/{}",
        report["refused"][0]
            .as_str()
            .expect("refused")
            .split(':')
            .next()
            .expect("name")
    );
    // As told: delete it in the clone and sync again. A file of LYO's
    // deleted too is put back, said as deleted.
    std::fs::remove_file(clone.join(&theirs)).expect("rm");
    let lyos = git(&["ls-files", &format!("{dataset}/sites")], &clone)
        .lines()
        .find(|f| f.contains("/LYO-"))
        .expect("a bundle of LYO")
        .to_string();
    std::fs::remove_file(clone.join(&lyos)).expect("rm");
    let out = bog.ok(&["sync", "git", &url]);
    assert!(
        out.contains(&format!("removed {theirs} from branch guardia-sync")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "restored {lyos} as branch guardia-sync has it (it was deleted in the clone)"
        )),
        "{out}"
    );
    assert!(out.contains("pushed") && out.contains("exported"), "{out}");
    let files = git(&["ls-tree", "-r", "--name-only", "guardia-sync"], &repo);
    assert!(!files.contains(&theirs), "{files}");
    assert!(files.contains(&lyos), "{files}");
    let out = lyo.ok(&["sync", "git", &url]);
    assert!(
        out.contains("imported 1 new change in 1 changeset"),
        "{out}"
    );
    let comments = lyo.show(&key)["comments"].clone();
    assert!(
        comments.to_string().contains("Desde el original"),
        "{comments}"
    );
}

/// A site that makes no changes still tells the others what it holds: its
/// folder or git sync publishes its acknowledgements when they grew, and
/// keeps only its newest such file.
#[test]
fn a_site_that_only_reads_still_acknowledges_what_it_holds() {
    let s = sites(2);
    let (bog, lyo) = (&s[0], &s[1]);
    let folder = shared_folder(bog);
    let url = bare_repo(bog);
    let repo = bog.path().join("sync.git");
    for round in 0..3 {
        bog.incident(&format!("Caso {round}"), "Nadie puede facturar.");
        bog.ok(&["sync", "folder", &folder]);
        bog.ok(&["sync", "git", &url]);
        let out = lyo.ok(&["sync", "folder", &folder]);
        assert!(out.contains("acknowledgements went out in"), "{out}");
        lyo.ok(&["sync", "git", &url]);
        let out = bog.ok(&["sync", "folder", &folder]);
        // Acknowledgements alone are recorded without a line.
        assert!(
            out.contains("nothing new to import") && !out.contains("nothing to import"),
            "{out}"
        );
        bog.ok(&["sync", "git", &url]);
        assert_eq!(
            status_of(bog, "LYO")["has_ours"],
            last_seq(bog),
            "round {round}"
        );
    }
    // Nothing new: nothing written.
    let out = lyo.ok(&["sync", "folder", &folder]);
    assert!(out.contains("nothing new to export"), "{out}");
    assert!(!out.contains("acknowledgements went out"), "{out}");
    // One bundle of acknowledgements at a time, in the folder and on the
    // branch.
    let lyo_id = status_of(lyo, "LYO")["site_id"]
        .as_str()
        .expect("id")
        .to_string();
    let in_folder: Vec<String> = walk(Path::new(&folder))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&lyo_id))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| n.starts_with("LYO-0-0-"))
        .collect();
    assert_eq!(in_folder.len(), 1, "{in_folder:?}");
    let on_branch = git(&["ls-tree", "-r", "--name-only", "guardia-sync"], &repo);
    assert_eq!(on_branch.matches("/LYO-0-0-").count(), 1, "{on_branch}");
    bog.ok(&["doctor"]);
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

/// The import summary counts the changesets that were new, says how many
/// were already here, and tells tickets created from tickets updated; one
/// change is one change.
#[test]
fn an_import_counts_only_what_is_new() {
    let s = sites(2);
    let (bog, lyo) = (&s[0], &s[1]);
    let key = bog.incident("ERP caído", "Nadie puede facturar.");
    bog.support("Correo", "No llega");
    let first = export(bog, "all", "a.gdb");
    bog.ok(&["comment", &key, "Uno"]);
    let second = export(bog, "all", "b.gdb");
    bog.ok(&["comment", &key, "Dos"]);
    let all = export(bog, "LYO", "c.gdb");
    let out = import(lyo, &first);
    assert!(out.contains(": imported "), "{out}");
    assert!(out.contains("in 1 changeset, 2 tickets created"), "{out}");
    let out = import(lyo, &second);
    assert!(
        out.contains("imported 1 new change in 1 changeset, 1 ticket updated"),
        "{out}"
    );
    let v = lyo.json(&["sync", "import", &all.to_string_lossy(), "--json"]);
    let r = &v["imported"][0];
    assert_eq!(r["result"], "imported", "{v}");
    assert_eq!(
        (
            r["changesets"].as_u64(),
            r["already_held"].as_u64(),
            r["new_ops"].as_u64(),
            r["created"].as_u64(),
            r["updated"].as_u64()
        ),
        (Some(1), Some(2), Some(1), Some(0), Some(1)),
        "{v}"
    );
}

/// Under `--lang es` the sync commands speak Spanish (refusals, errors
/// like every error, stay English).
#[test]
fn sync_commands_speak_the_operators_language() {
    let mut s = sites(2);
    let lyo = Env {
        lang: "es".into(),
        ..s.pop().expect("LYO")
    };
    let bog = &s[0];
    let folder = shared_folder(bog);
    let key_file = lyo.path().join("lyo-es.pub");
    let out = lyo.ok(&["sync", "key", "--out", &key_file.to_string_lossy()]);
    assert!(
        out.starts_with("escrita la clave de la sede LYO en"),
        "{out}"
    );
    let key = bog.incident("ERP caído", "Nadie puede facturar.");
    bog.ok(&["sync", "folder", &folder]);
    let out = lyo.ok(&["sync", "folder", &folder]);
    assert!(
        out.contains(
            "(de BOG): importado 1 cambio nuevo en 1 conjunto de cambios, 1 ticket creado"
        ),
        "{out}"
    );
    assert!(out.contains("nada nuevo que exportar"), "{out}");
    bog.ok(&["comment", &key, "Uno"]);
    bog.ok(&["comment", &key, "Dos"]);
    bog.ok(&["sync", "folder", &folder]);
    let out = lyo.ok(&["sync", "folder", &folder]);
    assert!(
        out.contains("importados 2 cambios nuevos en 1 conjunto de cambios, 1 ticket actualizado"),
        "{out}"
    );
    let out = lyo.ok(&["sync", "status"]);
    assert!(
        out.starts_with("sede LYO (conjunto de datos ")
            && out.contains("clave")
            && out.contains("tiene 1-")
            && out.contains("conflictos: 0"),
        "{out}"
    );
    let qui = Env::empty();
    qui.ok(&[
        "init",
        "--site",
        "QUI",
        "--join",
        &key_of(bog).to_string_lossy(),
    ]);
    let out = lyo.ok(&["sync", "trust", &key_of(&qui).to_string_lossy()]);
    assert!(out.starts_with("confianza dada a la sede QUI"), "{out}");
    let out = lyo.ok(&["sync", "revoke", "QUI"]);
    assert!(out.starts_with("revocada la sede QUI"), "{out}");
}

/// The console cuts a sync's outcome to the terminal's width, as
/// docs/console.md says, instead of wrapping it over several rows.
#[test]
fn the_consoles_sync_line_is_cut_to_the_terminal() {
    use common::console::{console, render, screen};
    use guardia::config::Lang;
    use guardia::tui::msg::{Msg, Reply};
    use guardia::tui::theme::Theme;
    use guardia::tui::update::update;
    let mut c = console(Lang::Es, Theme::default16(), 100, 30);
    let line = format!(
        "sincronizado: importados 3 cambios, 1 ticket, de 1 archivo; sin confianza aún: {} · /mnt/compartido",
        "MED (id de sede 404cee04-f775-4256-a545-d818e6d2b529, huella de la clave c499-7be9-4649-a205): ".repeat(3)
    );
    update(
        &mut c,
        Msg::Reply(Reply::Job {
            label: "sincronizando…".into(),
            done: Some(Ok(line)),
        }),
    );
    let shown = screen(&render(&c, 100, 30));
    let rows: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains("sincronizado") || l.contains("huella"))
        .collect();
    assert_eq!(rows.len(), 1, "{shown}");
    assert!(rows[0].trim_end().ends_with('…'), "{shown}");
    assert!(!shown.contains("/mnt/compartido"), "{shown}");
}
