//! Sync through a real git repository: a bare repository on disk and three
//! sites taking turns (each through its own clone, driven by the user's
//! `git`), including a push the remote rejects once, which is retried.

mod common;

use common::sync::{dump, sites};
use std::process::Command;

fn git(args: &[&str], dir: &std::path::Path) -> String {
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

#[test]
fn three_sites_converge_through_a_bare_repository_even_after_a_rejected_push() {
    let s = sites(3);
    let repo = s[0].path().join("sync.git");
    std::fs::create_dir_all(&repo).expect("dir");
    git(&["init", "--quiet", "--bare"], &repo);
    let url = repo.to_string_lossy().to_string();
    let k = s[0].incident("ERP sin respuesta", "Nadie puede facturar.");
    s[1].incident("Nómina", "El cálculo de horas extra falla.");
    for e in &s {
        let out = e.ok(&["sync", "git", &url]);
        assert!(out.contains("pushed"), "{out}");
    }
    // The remote refuses the next push once, as when someone pushed first.
    let hook = repo.join("hooks").join("pre-receive");
    let marker = repo.join("rejected-once");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ ! -e '{m}' ]; then touch '{m}'; echo 'someone pushed first' >&2; exit 1; fi\nexit 0\n",
            m = marker.display()
        ),
    )
    .expect("hook");
    Command::new("chmod")
        .arg("755")
        .arg(&hook)
        .status()
        .expect("chmod");
    s[2].ok(&["comment", &k, "Quito confirma la caída"]);
    let json: serde_json::Value =
        serde_json::from_str(&s[2].ok(&["sync", "git", &url, "--json"])).expect("json");
    assert_eq!(json["pushed"], true, "{json}");
    assert_eq!(json["push_retries"], 1, "{json}");
    // Each commit says whose changes it carries, each origin once.
    let subjects = git(&["log", "--format=%s", "guardia-sync"], &repo);
    assert!(
        subjects.lines().any(|l| l.starts_with("guardia: MAD seq ")),
        "{subjects}"
    );
    assert!(
        subjects.lines().all(|l| !l.contains("MAD MAD")),
        "{subjects}"
    );
    for _ in 0..2 {
        for e in &s {
            e.ok(&["sync", "git", &url]);
        }
    }
    let d = dump(&s[0]);
    assert_eq!(d, dump(&s[1]));
    assert_eq!(d, dump(&s[2]));
    assert_eq!(s[1].show(&k)["comments"].as_array().map(Vec::len), Some(1));
    for e in &s {
        e.ok(&["doctor"]);
    }
}

/// A bare repository in `e`'s directory; returns its path as text.
fn bare_repo(e: &common::Env, name: &str) -> String {
    let repo = e.path().join(name);
    std::fs::create_dir_all(&repo).expect("dir");
    git(&["init", "--quiet", "--bare"], &repo);
    repo.to_string_lossy().to_string()
}

/// This site's id and its dataset's, as `sync status --json` gives them.
fn ids(e: &common::Env) -> (String, String) {
    let st = e.json(&["sync", "status", "--json"]);
    let own = st["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|s| s["this_site"] == true)
        .expect("this site")["site_id"]
        .as_str()
        .expect("id")
        .to_string();
    (own, st["dataset"].as_str().expect("dataset").to_string())
}

/// Changes first sent on another branch still reach the default branch
/// (one clone, one cursor per repository used to mark them as sent for
/// every branch), and a new branch holds only what is put on it, not the
/// files of the branch the clone was on.
#[test]
fn a_branch_gets_what_another_branch_got_first_and_starts_empty() {
    let s = sites(2);
    let url = bare_repo(&s[0], "sync.git");
    for e in &s {
        e.ok(&["sync", "git", &url]);
    }
    let k = s[1].incident("Nómina", "El cálculo de horas extra falla.");
    let out = s[1].ok(&["sync", "git", &url, "--branch", "prueba"]);
    assert!(out.contains("exported 1 change "), "{out}");
    let (lyo, dataset) = ids(&s[1]);
    let files = git(
        &["ls-tree", "-r", "--name-only", "prueba"],
        &s[0].path().join("sync.git"),
    );
    assert!(
        files.lines().all(|f| f == ".gitattributes"
            || f == format!("{dataset}/keys/{lyo}.pub")
            || f.starts_with(&format!("{dataset}/sites/{lyo}/"))),
        "the new branch holds only what LYO put on it:\n{files}"
    );
    let out = s[1].ok(&["sync", "git", &url]);
    assert!(out.contains("exported 1 change "), "{out}");
    let out = s[0].ok(&["sync", "git", &url]);
    assert!(out.contains("imported 1 new change "), "{out}");
    assert_eq!(s[0].show(&k)["title"], "Nómina");
    assert!(!s[0].ok(&["sync", "status"]).contains("MISSING"));
    // Back on the branch that has it, nothing is sent twice.
    let out = s[1].ok(&["sync", "git", &url, "--branch", "prueba"]);
    assert!(out.contains("nothing new to export"), "{out}");
}

/// Only this site's own files are committed: a bundle of another site
/// damaged in the clone is put back as the branch has it (not pushed to
/// break every other site), and a stray file stops the sync, named,
/// before anything is imported or committed.
#[test]
fn only_this_sites_files_leave_a_dirty_clone() {
    let s = sites(2);
    let url = bare_repo(&s[0], "sync.git");
    let repo = s[0].path().join("sync.git");
    s[1].incident("Nómina", "El cálculo de horas extra falla.");
    s[1].ok(&["sync", "git", &url]);
    let report = s[0].json(&["sync", "git", &url, "--json"]);
    let clone = std::path::PathBuf::from(report["clone"].as_str().expect("clone"));
    let (lyo, dataset) = ids(&s[1]);
    let theirs = git(
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "guardia-sync",
            "--",
            &format!("{dataset}/sites/{lyo}"),
        ],
        &repo,
    );
    let theirs = theirs.lines().next().expect("LYO's bundle").to_string();
    let before = git(&["rev-parse", &format!("guardia-sync:{theirs}")], &repo);
    let mut bytes = std::fs::read(clone.join(&theirs)).expect("bundle");
    bytes[40] ^= 0xff;
    std::fs::write(clone.join(&theirs), &bytes).expect("damage");
    s[0].incident("Correo", "No llega");
    let out = s[0].ok(&["sync", "git", &url]);
    assert!(out.contains(&format!("restored {theirs}")), "{out}");
    assert!(out.contains("pushed"), "{out}");
    assert_eq!(
        git(&["rev-parse", &format!("guardia-sync:{theirs}")], &repo),
        before,
        "LYO's bundle is as LYO wrote it"
    );
    assert!(!s[0].ok(&["sync", "status"]).contains("MISSING"));

    std::fs::write(clone.join("notes.txt"), "apuntes").expect("stray");
    let head = git(&["rev-parse", "guardia-sync"], &repo);
    s[0].incident("Impresora", "Atascada");
    let err = s[0].fail(&["sync", "git", &url]);
    assert!(
        err.contains("not on branch guardia-sync") && err.contains("notes.txt"),
        "{err}"
    );
    assert_eq!(git(&["rev-parse", "guardia-sync"], &repo), head);
    std::fs::remove_file(clone.join("notes.txt")).expect("rm");
    s[0].ok(&["sync", "git", &url]);
    let files = git(&["ls-tree", "-r", "--name-only", "guardia-sync"], &repo);
    assert!(!files.contains("notes.txt"), "{files}");
    s[1].ok(&["sync", "git", &url]);
    assert_eq!(dump(&s[0]), dump(&s[1]));
}

/// A push the remote keeps rejecting fails the sync, but the report still
/// says what was imported and exported before, and the next sync pushes.
#[test]
fn a_push_rejected_every_time_still_reports_what_was_done() {
    let s = sites(2);
    let url = bare_repo(&s[0], "sync.git");
    let repo = s[0].path().join("sync.git");
    s[1].incident("Nómina", "El cálculo de horas extra falla.");
    s[1].ok(&["sync", "git", &url]);
    let hook = repo.join("hooks").join("pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'someone pushed first' >&2\nexit 1\n",
    )
    .expect("hook");
    Command::new("chmod")
        .arg("755")
        .arg(&hook)
        .status()
        .expect("chmod");
    let k = s[0].incident("Correo", "No llega");
    let (stdout, stderr) = s[0].failed("ana", &["sync", "git", &url]);
    assert!(stdout.contains("imported 1 new change "), "{stdout}");
    assert!(stdout.contains("exported 1 change "), "{stdout}");
    assert!(stdout.contains("not pushed"), "{stdout}");
    assert!(
        stderr.contains("rejected 6 times")
            && stderr.contains("committed in the clone")
            && stderr.contains("Nothing is lost"),
        "{stderr}"
    );
    std::fs::remove_file(&hook).expect("rm hook");
    let out = s[0].ok(&["sync", "git", &url]);
    assert!(out.contains("pushed"), "{out}");
    s[1].ok(&["sync", "git", &url]);
    assert_eq!(s[1].show(&k)["title"], "Correo");
}

/// A repository whose name starts with `-` is a repository, not a git
/// option, and a branch name git would refuse is refused first, plainly.
#[test]
fn a_repository_named_like_an_option_and_a_bad_branch_name() {
    let s = sites(1);
    bare_repo(&s[0], "-sync.git");
    let out = s[0]
        .cmd()
        .current_dir(s[0].path())
        .args(["sync", "git", "--", "-sync.git"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("pushed"));
    let url = bare_repo(&s[0], "sync.git");
    for bad in ["a..b", "-x", "con espacio", "@{-1}"] {
        let err = s[0].fail(&["sync", "git", &url, &format!("--branch={bad}")]);
        assert!(
            err.contains(&format!("'{bad}' is not a branch name git accepts")),
            "{err}"
        );
    }
}

/// Runs `guardia ARGS` as `e`'s operator `n` times at once; returns each
/// run's exit code and standard error.
fn at_once(e: &common::Env, n: usize, args: &[&str]) -> Vec<(Option<i32>, String)> {
    let runs: Vec<std::process::Child> = (0..n)
        .map(|_| {
            e.std_cmd_as(&e.user)
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn guardia")
        })
        .collect();
    runs.into_iter()
        .map(|r| {
            let out = r.wait_with_output().expect("wait for guardia");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect()
}

/// Two syncs of one database through one repository at once take turns
/// (one lock per clone): a run either waits for the other and then
/// finds its changes sent, or, after waiting as long as a write would,
/// says that another sync is running, having done nothing. The changes
/// are committed once, under the message that names them, and another
/// site imports everything.
#[test]
fn two_syncs_of_one_database_at_once_take_turns_in_the_clone() {
    let s = sites(2);
    let url = bare_repo(&s[0], "sync.git");
    let repo = s[0].path().join("sync.git");
    let k = s[0].incident("ERP sin respuesta", "Nadie puede facturar.");
    s[0].ok(&["comment", &k, "Bogotá lo revisa"]);
    let busy = format!(
        "guardia: another sync of this database through {url} is running; wait for it to finish and try again"
    );
    let runs = at_once(&s[0], 2, &["sync", "git", &url]);
    for (code, stderr) in &runs {
        assert!(
            *code == Some(0) || (*code == Some(1) && stderr.trim_end() == busy),
            "{code:?}: {stderr}"
        );
    }
    assert!(runs.iter().any(|(c, _)| *c == Some(0)), "{runs:?}");
    let (bog, dataset) = ids(&s[0]);
    // One commit adds BOG's bundle, and it says what the bundle carries.
    let adding = git(
        &[
            "log",
            "--format=%s",
            "--diff-filter=A",
            "guardia-sync",
            "--",
            &format!("{dataset}/sites/{bog}"),
        ],
        &repo,
    );
    let adding: Vec<&str> = adding.lines().collect();
    assert_eq!(adding.len(), 1, "{adding:?}");
    assert!(adding[0].starts_with("guardia: BOG seq 1-"), "{adding:?}");
    let files = git(
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "guardia-sync",
            "--",
            &format!("{dataset}/sites/{bog}"),
        ],
        &repo,
    );
    assert_eq!(files.lines().count(), 1, "one bundle of BOG:\n{files}");
    let again = s[0].ok(&["sync", "git", &url]);
    assert!(again.contains("nothing new to export"), "{again}");
    s[1].ok(&["sync", "git", &url]);
    assert_eq!(s[1].show(&k)["comments"].as_array().map(Vec::len), Some(1));
    assert_eq!(dump(&s[0]), dump(&s[1]));
    assert!(!s[1].ok(&["sync", "status"]).contains("MISSING"));
}

/// A git command that fails without a word (here a pre-commit hook of the
/// clone that refuses silently) is still reported usefully: the command,
/// where it ran and how it ended, never an empty reason.
#[test]
fn a_git_command_that_fails_silently_is_still_explained() {
    let s = sites(1);
    let url = bare_repo(&s[0], "sync.git");
    let report = s[0].json(&["sync", "git", &url, "--json"]);
    let clone = std::path::PathBuf::from(report["clone"].as_str().expect("clone"));
    let hook = clone.join(".git").join("hooks").join("pre-commit");
    std::fs::create_dir_all(hook.parent().expect("hooks")).expect("hooks dir");
    std::fs::write(&hook, "#!/bin/sh\nexit 1\n").expect("hook");
    Command::new("chmod")
        .arg("755")
        .arg(&hook)
        .status()
        .expect("chmod");
    s[0].incident("Correo", "No llega");
    let (stdout, stderr) = s[0].failed("ana", &["sync", "git", &url]);
    assert!(stdout.contains("exported 1 change "), "{stdout}");
    assert!(
        stderr.contains("commit --quiet -m guardia: BOG seq")
            && stderr.contains(&format!(
                "failed in {} with exit code 1 and gave no reason",
                clone.display()
            )),
        "{stderr}"
    );
    assert!(!stderr.contains("failed: ."), "{stderr}");
    std::fs::remove_file(&hook).expect("rm hook");
    let out = s[0].ok(&["sync", "git", &url]);
    assert!(out.contains("pushed"), "{out}");
}
