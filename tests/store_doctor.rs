//! Rebuild equivalence: after a seeded random mix of every kind of change,
//! `doctor` rebuilds the tables from the operation log and finds them equal;
//! after a derived table is tampered with, it says so and exits non-zero.
//! It only reads: a writer holding the lock does not make it wait or fail,
//! and on a database this user may only read it checks everything and
//! leaves nothing beside the file.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::reader::*;
use common::*;
use guardia::app::{App, AppError, Clock, NewTicket};
use guardia::config::{Config, Lang, Operator};
use guardia::store::Store;
use rusqlite::Connection;

const OPERATORS: &[&str] = &[
    "ana", "bruno", "carla", "diego", "elena", "felipe", "gloria", "hector", "ines",
];
const STATES: &[&str] = &[
    "new",
    "assigned",
    "in_progress",
    "waiting",
    "resolved",
    "closed",
    "cancelled",
    "rejected",
];
// Each procedure's reasons (rejections.toml `types`): a reason of another
// procedure is refused.
const REASONS: &[&str] = &[
    "critical",
    "missing_docs",
    "config_request",
    "duplicate",
    "incomplete",
    "out_of_scope",
    "licensee_network",
];
const WORDS: &[&str] = &[
    "factura",
    "recaudo",
    "órdenes",
    "sesión",
    "lentitud",
    "reporte",
    "cartera",
    "contrato",
    "kiosco",
    "movilidad",
    "caída",
    "correo",
    "impresora",
    "ERP",
    "tóner",
    "zona",
];

fn text(rng: &mut Prng, words: usize) -> String {
    (0..words)
        .map(|_| *rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

struct Mix {
    app: App,
    rng: Prng,
    keys: Vec<String>,
    runs: Vec<(String, &'static str)>,
    t0: DateTime<Utc>,
    step: i64,
    ok: usize,
    refused: usize,
    kinds_ok: std::collections::BTreeSet<&'static str>,
}

impl Mix {
    fn actor(&mut self) -> Operator {
        let id = *self.rng.pick(OPERATORS);
        self.app.config.operator(id).expect("operator").clone()
    }

    fn key(&mut self) -> String {
        self.rng.pick(&self.keys).clone()
    }

    fn tick_clock(&mut self) {
        self.step += 1;
        // Irregular gaps, sometimes none (same millisecond).
        let gap = [0, 1, 250, 60_000, 3_600_000][self.rng.below(5)];
        self.t0 += Duration::milliseconds(gap);
        self.app.clock = Clock::fixed(self.t0);
    }

    fn record(&mut self, kind: &'static str, r: Result<(), AppError>) {
        match r {
            Ok(()) => {
                self.ok += 1;
                self.kinds_ok.insert(kind);
            }
            Err(AppError::Store(e)) => panic!("step {} ({kind}): store error: {e}", self.step),
            Err(AppError::Config(e)) => panic!("step {} ({kind}): config error: {e}", self.step),
            Err(_) => self.refused += 1,
        }
    }

    fn create(&mut self) {
        let who = self.actor();
        let new = match self.rng.below(3) {
            0 => NewTicket {
                ticket_type: Some("incident".into()),
                service: "osf".into(),
                title: text(&mut self.rng, 4),
                description: text(&mut self.rng, 12),
                impact: Some(["high", "medium", "low"][self.rng.below(3)].into()),
                urgency: Some(["high", "medium", "low"][self.rng.below(3)].into()),
                fields: pairs(&[
                    ("reporter_email", "usuario@example.org"),
                    ("extension", "5550"),
                    ("executable", "FACT01"),
                    ("environment", "produccion"),
                ]),
                ..Default::default()
            },
            1 => NewTicket {
                ticket_type: Some("support".into()),
                service: ["correo", "erp-soporte"][self.rng.below(2)].into(),
                title: text(&mut self.rng, 3),
                description: text(&mut self.rng, 8),
                ..Default::default()
            },
            _ => NewTicket {
                ticket_type: Some("api_incident".into()),
                service: "api-mayorista".into(),
                title: text(&mut self.rng, 3),
                description: text(&mut self.rng, 6),
                priority: (self.rng.below(4) == 0).then(|| "critical".into()),
                justification: Some("Regulador".into()),
                fields: pairs(&[
                    ("company", "Conecta Sur"),
                    ("reporter_name", "Natalia Duarte"),
                    ("phones", "+57 601 555 0101"),
                    ("emails", "natalia@example.org"),
                    ("api_id", "pedidos-v1"),
                ]),
                ..Default::default()
            },
        };
        let r = self.app.create(&who, new).map(|c| {
            self.keys.push(c.ticket.key.clone());
        });
        self.record("create", r);
    }

    fn one(&mut self) {
        self.tick_clock();
        let who = self.actor();
        let key = self.key();
        match self.rng.below(13) {
            0 => self.create(),
            1 => {
                let choices: &[(&str, &str)] = &[
                    ("impact", "high"),
                    ("impact", "low"),
                    ("urgency", "high"),
                    ("urgency", "medium"),
                    ("affected_users", "40"),
                    ("incident_detail", "Forma FACT01, ciclo 12"),
                    ("business_impact", "No se factura"),
                    ("error_message", "ORA-06502"),
                    ("replication_steps", "1. abrir 2. ejecutar"),
                    ("trace", "traza.log"),
                    ("critical_process", "recaudo"),
                    ("total_outage", "sí"),
                    ("solution", "Se reinició el servicio"),
                    ("title", "Título corregido"),
                    ("description", "Descripción ampliada con facturación"),
                    ("user_experience", "Frustrante"),
                    ("root_cause", "Índice dañado"),
                    ("trace", ""),
                ];
                let (n, v) = *self.rng.pick(choices);
                let r = self.app.set(&who, &key, &pairs(&[(n, v)]), None).map(drop);
                self.record("set", r);
            }
            2 => {
                let r = self
                    .app
                    .set(
                        &who,
                        &key,
                        &pairs(&[("priority", "critical")]),
                        Some("Gerencia"),
                    )
                    .map(drop);
                self.record("set priority", r);
            }
            3 => {
                let user = (self.rng.below(4) != 0).then(|| *self.rng.pick(OPERATORS));
                let r = self.app.assign(&who, &key, user).map(drop);
                self.record("assign", r);
            }
            4 => {
                let state = *self.rng.pick(STATES);
                let fields = if self.rng.below(2) == 0 {
                    pairs(&[("solution", "Se aplicó el datafix")])
                } else {
                    Vec::new()
                };
                let r = self
                    .app
                    .move_to(&who, &key, state, Some("paso"), &fields)
                    .map(drop);
                self.record("move", r);
            }
            5 => {
                let body = text(&mut self.rng, 7);
                let internal = self.rng.below(3) == 0;
                let r = self.app.comment(&who, &key, &body, internal).map(drop);
                self.record("comment", r);
            }
            6 => {
                let d = *self.rng.pick(&["15m", "45m", "1h30m", "2h", "1.5h"]);
                let r = self.app.worklog(&who, &key, d, Some("análisis")).map(drop);
                self.record("worklog", r);
            }
            7 => {
                // Prepare an osf incident completely, then escalate it.
                let r = self
                    .app
                    .set(
                        &who,
                        &key,
                        &pairs(&[
                            ("incident_detail", "Detalle"),
                            ("business_impact", "Impacto"),
                            ("affected_users", "5"),
                            ("error_message", "ORA-1"),
                            ("replication_steps", "Pasos"),
                            ("trace", "Traza"),
                            ("level1_checks", "Descartes hechos"),
                        ]),
                        None,
                    )
                    .map(drop);
                self.record("set dossier", r);
                let level = 2 + self.rng.below(3) as u8;
                let r = self
                    .app
                    .escalate(&who, &key, level, Some("escalado"))
                    .map(drop);
                self.record("escalate", r);
            }
            8 => {
                let role = *self
                    .rng
                    .pick(&["head", "incident_manager", "service_manager"]);
                let r = self
                    .app
                    .escalate_hierarchical(&who, &key, role, Some("informar"))
                    .map(drop);
                self.record("escalate hierarchical", r);
            }
            9 => {
                let reason = *self.rng.pick(REASONS);
                let original = (reason == "duplicate").then(|| self.key());
                let r = self
                    .app
                    .reject(&who, &key, reason, original.as_deref(), Some("motivo"))
                    .map(drop);
                self.record("reject", r);
            }
            10 => {
                let rb = *self.rng.pick(&[
                    "osf-administracion",
                    "osf-preguntas-clave",
                    "api-verificacion-previa",
                ]);
                let r = self.app.runbook_run(&who, rb, &key).map(|_| {
                    self.runs.push((key.clone(), rb));
                });
                self.record("runbook run", r);
            }
            11 => {
                // Mostly an item of a runbook that runs on the ticket.
                let (key, item) = match self.runs.is_empty() || self.rng.below(5) == 0 {
                    true => (key, "zona".to_string()),
                    false => {
                        let (k, rb) = self.rng.pick(&self.runs).clone();
                        let items: Vec<String> = self
                            .app
                            .config
                            .runbook(rb)
                            .expect("runbook")
                            .items
                            .iter()
                            .map(|i| i.id.get_ref().clone())
                            .collect();
                        (k, self.rng.pick(&items).clone())
                    }
                };
                let checked = self.rng.below(5) != 0;
                let r = self
                    .app
                    .runbook_tick(&who, &key, &item, Some("evidencia"), checked)
                    .map(drop);
                self.record("runbook tick", r);
            }
            _ => {
                let dir = self.app.store.path().parent().expect("dir").to_path_buf();
                let file = dir.join(format!("adjunto-{}.txt", self.step));
                std::fs::write(&file, format!("contenido {}", self.rng.below(4))).expect("write");
                let r = self.app.attach(&who, &key, &file).map(drop);
                self.record("attach", r);
            }
        }
    }
}

/// Runs `steps` random operations on a fresh database; returns the env.
fn random_mix(seed: u64, steps: usize) -> (Env, usize) {
    let env = Env::new();
    let config = Config::load(Some(&env.cfg)).expect("config");
    let store = Store::open(&env.db).expect("open");
    let t0 = DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .with_timezone(&Utc);
    let mut mix = Mix {
        app: App::new(config, store, Clock::fixed(t0), Lang::En),
        rng: Prng::new(seed),
        keys: Vec::new(),
        runs: Vec::new(),
        t0,
        step: 0,
        ok: 0,
        refused: 0,
        kinds_ok: Default::default(),
    };
    for _ in 0..12 {
        mix.tick_clock();
        mix.create();
    }
    for _ in 0..steps {
        mix.one();
    }
    // Every kind of change happened at least once.
    for kind in [
        "create",
        "set",
        "set priority",
        "assign",
        "move",
        "comment",
        "worklog",
        "escalate",
        "escalate hierarchical",
        "reject",
        "runbook run",
        "runbook tick",
        "attach",
    ] {
        assert!(
            mix.kinds_ok.contains(kind),
            "seed {seed}: no successful {kind}; succeeded: {:?}",
            mix.kinds_ok
        );
    }
    assert!(
        mix.ok >= steps / 2,
        "seed {seed}: only {} of {} operations succeeded ({} refused)",
        mix.ok,
        steps + 12,
        mix.refused
    );
    let tickets = mix.keys.len();
    (env, tickets)
}

fn op_count(env: &Env) -> i64 {
    let c = Connection::open(&env.db).expect("open");
    c.query_row("SELECT count(*) FROM op", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn doctor_finds_no_difference_after_a_random_mix() {
    for seed in [1, 2, 3] {
        let (env, tickets) = random_mix(seed, 200);
        // A few more changes through the binary, on top of the library's.
        env.ok_as("bruno", &["comment", "BOG-1", "vía CLI"]);
        // (hierarchical escalation needs an open ticket; the mix may have
        // closed BOG-2, so a fresh one is escalated)
        let extra = env.incident("Extra", "Escalamiento jerárquico vía CLI");
        env.ok_as(
            "ines",
            &[
                "escalate",
                &extra,
                "--hierarchical",
                "--to",
                "service_manager",
            ],
        );
        let tickets = tickets + 1;
        let out = env.ok(&["doctor"]);
        assert!(
            out.contains(&format!("into {tickets} tickets")),
            "seed {seed}: {out}"
        );
        assert!(out.contains("integrity: ok"), "seed {seed}: {out}");
        assert!(
            out.contains("the tables match the operation log"),
            "seed {seed}: {out}"
        );
        let r = env.json(&["doctor", "--json"]);
        assert_eq!(r["differences"], serde_json::json!([]), "seed {seed}");
        assert_eq!(r["integrity"], serde_json::json!(["ok"]), "seed {seed}");
        assert_eq!(r["ops"], op_count(&env), "seed {seed}: every op replayed");
    }
}

#[test]
fn doctor_after_generate_is_clean() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "200", "--seed", "5"]);
    let key = env.support("Después del generador", "Mezcla de escrituras");
    env.ok(&["comment", &key, "comentario"]);
    let r = env.json(&["doctor", "--json"]);
    assert_eq!(r["differences"], serde_json::json!([]));
    assert_eq!(r["tickets"], 201);
}

/// A page of the file overwritten (a failing disk, a bad copy): `doctor`
/// answers with a report and exit 1 (it used to fail with "is damaged …;
/// run `guardia doctor`", pointing back at itself), and the commands that
/// meet the damage say so and send the operator to `doctor`.
#[test]
fn doctor_reports_on_a_file_too_damaged_to_replay() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "200", "--seed", "5"]);
    let healthy = std::fs::read(&env.db).expect("read");
    let mut unreadable = 0;
    for page in [2usize, 5, 20, 60] {
        let mut bytes = healthy.clone();
        let at = 4096 * (page - 1);
        assert!(
            bytes.len() > at + 4096,
            "the file has fewer than {page} pages"
        );
        bytes[at..at + 4096].fill(0xde);
        std::fs::write(&env.db, &bytes).expect("write");
        let (stdout, stderr) = env.failed("ana", &["doctor"]);
        assert!(stdout.contains("integrity:"), "page {page}: {stdout}");
        assert!(
            stderr.contains("doctor found problems"),
            "page {page}: {stderr}"
        );
        if stdout.contains("could not replay the operation log") {
            unreadable += 1;
            let out = env.output_as("ana", &["doctor", "--json"]);
            assert_eq!(out.status.code(), Some(1));
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert!(
                report["unreadable"]
                    .as_str()
                    .is_some_and(|u| u.contains("damaged")),
                "{report}"
            );
            let out = env.output_as("ana", &["search", "correo"]);
            let err = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                assert!(err.contains("guardia doctor"), "page {page}: {err}");
            }
        }
    }
    assert!(unreadable > 0, "no damaged page stopped the replay");
}

fn tampered(sql: &str) -> (Env, String, String) {
    let (env, _) = random_mix(9, 60);
    env.ok(&["doctor"]);
    let c = Connection::open(&env.db).expect("open");
    c.execute_batch(sql).expect("tamper");
    assert!(
        c.total_changes() > 0,
        "the tampering changed nothing: {sql}"
    );
    drop(c);
    let (stdout, stderr) = env.failed("ana", &["doctor"]);
    (env, stdout, stderr)
}

#[test]
fn doctor_detects_a_tampered_ticket_row() {
    let (env, stdout, stderr) = tampered("UPDATE ticket SET title = 'x' WHERE key = 'BOG-3'");
    assert!(
        stdout.contains("2 difference(s) between the tables and the log"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ticket: row in the database but not in the log"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ticket: row in the log but missing from the database"),
        "{stdout}"
    );
    assert!(stderr.contains("doctor found problems in"), "{stderr}");
    assert!(stderr.contains(&env.db.display().to_string()), "{stderr}");
    let r = env.cmd().args(["doctor", "--json"]).output().expect("run");
    assert_eq!(r.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&r.stdout).expect("JSON");
    assert_eq!(r["differences"].as_array().expect("array").len(), 2);
}

#[test]
fn doctor_detects_a_deleted_comment_and_an_extra_link() {
    let (_env, stdout, _) =
        tampered("DELETE FROM comment WHERE id = (SELECT id FROM comment ORDER BY id LIMIT 1)");
    assert!(
        stdout.contains("comment: row in the log but missing from the database"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("ticket: row"),
        "only the comment differs: {stdout}"
    );

    let (_env, stdout, _) = tampered(
        "INSERT INTO link(ticket_id, kind, target_id) SELECT id, 'related', id FROM ticket LIMIT 1",
    );
    assert!(
        stdout.contains("link: row in the database but not in the log"),
        "{stdout}"
    );
}

#[test]
fn doctor_detects_a_changed_level_and_status() {
    let (_env, stdout, _) =
        tampered("UPDATE ticket SET level = 5, status = 'closed' WHERE key = 'BOG-1'");
    assert!(
        stdout.contains("ticket: row in the database but not in the log"),
        "{stdout}"
    );
}

/// "Names the difference": the report shows the row as text an operator can
/// read (the key BOG-3 and the tampered title), not as SQLite's debug form
/// `Text([66, 79, 71, 45, 51])` that `store/doctor.rs` prints today.
#[test]
fn doctor_names_the_differing_row_legibly() {
    let (_env, stdout, _) =
        tampered("UPDATE ticket SET title = 'Título alterado' WHERE key = 'BOG-3'");
    let line = stdout
        .lines()
        .find(|l| l.contains("ticket: row in the database but not in the log"))
        .unwrap_or_else(|| panic!("no difference line:\n{stdout}"));
    assert!(line.contains("BOG-3"), "the key is not legible: {line}");
    assert!(
        line.contains("Título alterado"),
        "the title is not legible: {line}"
    );
}

#[test]
fn doctor_detects_a_ticket_missing_from_the_full_text_index() {
    let (_env, stdout, _) = tampered("DELETE FROM ticket_fts WHERE rowid = 1");
    // Every term of the missing document now counts one document less.
    assert!(
        stdout.contains("full-text index: term indexed by the log but missing from the database"),
        "{stdout}"
    );
}

#[test]
fn numbers_replay_to_the_same_value() {
    // A float whose shortest text form does not survive a fast (inexact)
    // parse: the replay must still agree with what was written.
    let env = Env::new();
    for value in [
        "99414.14234139935",
        "0.30000000000000004",
        "1e-7",
        "123456789.98765433",
    ] {
        // A number field with decimals (`affected_users` takes whole ones).
        let key = env.support("Número", "Campo numérico");
        env.ok(&["set", &key, &format!("estimate_hours={value}")]);
        let shown = env.show(&key)["fields"]["estimate_hours"].clone();
        assert_eq!(
            shown.to_string().parse::<f64>().ok(),
            value.parse::<f64>().ok(),
            "{value}"
        );
    }
    let report = env.json(&["doctor", "--json"]);
    assert_eq!(report["differences"], serde_json::json!([]), "{report}");
}

#[test]
fn doctor_detects_a_ticket_indexed_under_words_it_does_not_have() {
    // Re-index BOG-1 behind guardia's back as if it said something else:
    // the document count is unchanged, the words are not.
    let (_env, stdout, _) = tampered(
        "DELETE FROM ticket_fts WHERE rowid = 1;
         INSERT INTO ticket_fts(rowid, title, description, comments) VALUES (1, 'zzzunrelated', '', '');",
    );
    assert!(stdout.contains("'zzzunrelated'"), "{stdout}");
}

#[test]
fn doctor_is_not_fooled_by_an_operator_writing_at_the_same_time() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "60", "--seed", "5"]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                env.ok_as("bruno", &["comment", "BOG-1", &format!("nota {n}")]);
                n += 1;
            }
            n
        });
        for round in 0..8 {
            let out = env.output_as("ana", &["doctor"]);
            assert!(
                out.status.success(),
                "round {round}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(writer.join().expect("writer") > 0, "the writer wrote");
    });
}

/// Another process holding the write lock (a long `sync import` or
/// `generate`, or any SQLite client in `BEGIN IMMEDIATE`) with a change not
/// yet committed: `doctor` only reads one snapshot, so it neither waits for
/// the lock nor reports it. It used to run FTS5's integrity check as an
/// INSERT, which waited 5 s per index and then printed SQLite's "database
/// is locked" as damage, with "restore a backup".
#[test]
fn doctor_neither_waits_for_nor_blames_a_writer_holding_the_lock() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "60", "--seed", "5"]);
    let writer = Connection::open(&env.db).expect("open");
    writer
        .execute_batch(
            "BEGIN IMMEDIATE;
             UPDATE ticket SET title = 'a change not committed yet' WHERE key = 'BOG-1';",
        )
        .expect("take the write lock");
    let out = env.output_as("ana", &["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("integrity: ok\n"), "{stdout}");
    assert!(
        stdout.contains("the tables match the operation log"),
        "{stdout}"
    );
    assert!(!stdout.contains("locked"), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    writer.execute_batch("ROLLBACK").expect("rollback");
}

/// FTS5's own check of an index's structure still runs (inside SQLite's
/// integrity check, which reads): a damaged structure record is reported
/// and named as the full-text index's.
#[test]
fn doctor_still_checks_the_full_text_index_itself() {
    let (_env, stdout, stderr) = tampered(
        "UPDATE ticket_fts_data
         SET block = substr(block, 1, length(block) / 2) || x'ff' || substr(block, length(block) / 2 + 2)
         WHERE id = 10",
    );
    assert!(stdout.contains("full-text index: "), "{stdout}");
    assert!(stdout.contains("ticket_fts"), "{stdout}");
    assert!(stderr.contains("doctor found problems"), "{stderr}");
}

// A database this user may read but not write: the reader is real, as in
// tests/store_readonly.rs (`nobody` when the tests run as root, the
// file's modes otherwise).

/// The database made readable but not writable for the reader, in a
/// folder the reader may write (so SQLite could create files there).
fn read_only_for_the_reader(env: &Env) {
    chmod(env.path(), 0o755);
    for entry in std::fs::read_dir(&env.cfg).expect("cfg") {
        chmod(&entry.expect("entry").path(), 0o644);
    }
    chmod(&env.cfg, 0o755);
    let folder = env.db.parent().expect("folder");
    if is_root() {
        chmod(&env.db, 0o644);
        chmod(folder, 0o777);
    } else {
        chmod(&env.db, 0o444);
        chmod(folder, 0o755);
    }
}

fn restore(env: &Env) {
    chmod(env.db.parent().expect("folder"), 0o755);
    chmod(&env.db, 0o644);
}

/// `doctor` on a database this user may only read: it checks everything
/// (integrity, both full-text indexes, the replay) without writing, says
/// the database is healthy, and leaves nothing beside it. It used to run
/// FTS5's check as an INSERT ("attempt to write a readonly database", then
/// "restore a backup") and to leave -wal and -shm files of the reader's,
/// which the owner could then not write.
#[test]
fn doctor_on_a_read_only_database_checks_it_and_writes_nothing() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "40", "--seed", "3"]);
    assert_eq!(files_beside(&env), ["guardia.db"], "closed cleanly");
    read_only_for_the_reader(&env);
    let out = as_reader(&env, &["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("integrity: ok\n"), "{stdout}");
    assert!(
        stdout.contains("the tables match the operation log"),
        "{stdout}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(files_beside(&env), ["guardia.db"]);
    let json = as_reader(&env, &["doctor", "--json"]);
    assert!(json.status.success());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(report["integrity"], serde_json::json!(["ok"]));
    assert_eq!(report["ops"], op_count(&env));
    assert_eq!(files_beside(&env), ["guardia.db"]);
    // The owner still writes.
    restore(&env);
    env.ok(&["comment", "BOG-1", "después del doctor"]);
}

/// The same while the owner works (its -wal and -shm there, holding
/// changes not yet in the file): the reader's `doctor` reads those
/// changes too and creates nothing.
#[test]
fn doctor_on_a_read_only_database_reads_a_writer_s_uncheckpointed_changes() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "40", "--seed", "3"]);
    read_only_for_the_reader(&env);
    // Opened as the owner: the -wal and -shm are the owner's.
    let owner = Connection::open(&env.db).expect("open");
    owner
        .query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))
        .and_then(|()| owner.query_row("SELECT count(*) FROM op", [], |_| Ok(())))
        .expect("open the WAL");
    env.ok(&["comment", "BOG-1", "todavía en el WAL"]);
    let before = files_beside(&env);
    assert_eq!(before, ["guardia.db", "guardia.db-shm", "guardia.db-wal"]);
    let out = as_reader(&env, &["doctor", "--json"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["integrity"], serde_json::json!(["ok"]));
    assert_eq!(report["differences"], serde_json::json!([]));
    let ops: i64 = owner
        .query_row("SELECT count(*) FROM op", [], |r| r.get(0))
        .expect("count");
    assert_eq!(report["ops"], ops, "the comment in the WAL was replayed");
    assert_eq!(files_beside(&env), before);
    drop(owner);
    restore(&env);
}

/// A damaged database this user may only read: `doctor` reports the
/// damage (exit 1) and still creates nothing beside the file.
#[test]
fn doctor_on_a_damaged_read_only_database_writes_nothing() {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "200", "--seed", "5"]);
    let healthy = std::fs::read(&env.db).expect("read");
    read_only_for_the_reader(&env);
    for page in [2usize, 60] {
        let mut bytes = healthy.clone();
        let at = 4096 * (page - 1);
        bytes[at..at + 4096].fill(0xde);
        restore(&env);
        std::fs::write(&env.db, &bytes).expect("write");
        read_only_for_the_reader(&env);
        let out = as_reader(&env, &["doctor"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "page {page}: {stdout}");
        assert!(stdout.contains("integrity:"), "page {page}: {stdout}");
        assert_eq!(files_beside(&env), ["guardia.db"], "page {page}");
    }
    restore(&env);
}
