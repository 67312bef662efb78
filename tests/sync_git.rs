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
