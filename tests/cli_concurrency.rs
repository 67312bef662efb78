//! Two operators' processes writing the same database at the same moment:
//! no "database is locked" reaches anyone, no write is lost, keys stay unique.

mod common;

use common::*;
use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Barrier};

const PER_WRITER: usize = 500;

#[test]
fn two_processes_creating_500_tickets_each() {
    let env = Env::new();
    let bin = assert_cmd::cargo::cargo_bin("guardia");
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = [("ana", "correo"), ("bruno", "erp-soporte")]
        .into_iter()
        .map(|(user, service)| {
            let barrier = Arc::clone(&barrier);
            let bin = bin.clone();
            let db = env.db.clone();
            let cfg = env.cfg.clone();
            let home = env.path().join("home");
            std::thread::spawn(move || {
                barrier.wait();
                let mut keys = Vec::with_capacity(PER_WRITER);
                let mut failures = Vec::new();
                for i in 0..PER_WRITER {
                    let out = Command::new(&bin)
                        .env_remove("GUARDIA_NOW")
                        .env_remove("LANG")
                        .env("HOME", &home)
                        .env("GUARDIA_USER", user)
                        .arg("--db")
                        .arg(&db)
                        .arg("--config")
                        .arg(&cfg)
                        .args([
                            "--lang",
                            "en",
                            "new",
                            "--type",
                            "support",
                            "--service",
                            service,
                        ])
                        .args(["--title", &format!("Solicitud {user} número {i}")])
                        .args([
                            "--description",
                            &format!("Creada por {user} en la vuelta {i}"),
                        ])
                        .arg("--json")
                        .output()
                        .expect("spawn guardia");
                    if !out.status.success() || !out.stderr.is_empty() {
                        failures.push(format!(
                            "{user} #{i}: {:?} {}",
                            out.status.code(),
                            String::from_utf8_lossy(&out.stderr)
                        ));
                        continue;
                    }
                    let v: serde_json::Value =
                        serde_json::from_slice(&out.stdout).expect("JSON from new");
                    keys.push((key_of(&v), v["title"].as_str().expect("title").to_string()));
                }
                (keys, failures)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut failures = Vec::new();
    for w in writers {
        let (keys, f) = w.join().expect("writer thread");
        all.extend(keys);
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} invocation(s) failed, e.g.:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(all.len(), 2 * PER_WRITER);
    let unique: HashSet<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(unique.len(), 2 * PER_WRITER, "ticket keys are unique");
    // Keys are exactly BOG-1..BOG-1000: no number skipped or reused.
    let want: HashSet<String> = (1..=2 * PER_WRITER).map(|n| format!("BOG-{n}")).collect();
    assert_eq!(
        unique,
        want.iter().map(String::as_str).collect::<HashSet<_>>()
    );

    // Every ticket is in the database with the title its writer was told.
    let listed = env.json(&["list", "--json", "--limit", "1000"]);
    let listed: HashSet<(String, String)> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|t| (key_of(t), t["title"].as_str().expect("title").to_string()))
        .collect();
    assert_eq!(listed.len(), 2 * PER_WRITER);
    assert_eq!(listed, all.into_iter().collect::<HashSet<_>>());
    assert_eq!(
        env.list_keys(&["--service", "correo", "--limit", "1000"])
            .len(),
        PER_WRITER
    );
    assert_eq!(
        env.list_keys(&["--service", "erp-soporte", "--limit", "1000"])
            .len(),
        PER_WRITER
    );

    let out = env.ok(&["doctor"]);
    assert!(out.contains("into 1000 tickets"), "{out}");
    assert!(out.contains("the tables match the operation log"), "{out}");
}

/// A read while another process holds the write lock (a long import) is
/// not held up for the writer's minute of patience when the database needs
/// bringing up to date first (here the SLA configuration changed): it says
/// another process is writing, leaves that to the next command, and reads.
#[test]
fn a_read_during_another_write_leaves_the_update_to_the_next_command() {
    let env = Env::new();
    let key = env.incident("Portal lento", "Las consultas tardan un minuto.");
    env.write_config(
        "sla.toml",
        &default_config("sla.toml").replace("warn_percent = 80", "warn_percent = 70"),
    );
    let holder = rusqlite::Connection::open(&env.db).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let out = env.output_as("ana", &["list", "--limit", "5"]);
    holder.execute_batch("ROLLBACK").expect("release");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&key));
    assert!(
        stderr.contains("another process is writing to the database, so due workflow timers and SLA clocks were not brought up to date; the next command does it"),
        "{stderr}"
    );
    // Released, the next command brings it up to date without a word.
    let out = env.output_as("ana", &["list", "--limit", "5"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
}
