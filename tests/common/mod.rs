//! Helpers shared by the integration tests: a private temporary home for each
//! test (database, configuration directory, attachments), the real `guardia`
//! binary run with every environment input pinned, and small parsers.
//!
//! Every command gets `--db`, `--config`, `--lang en`, an explicit operator
//! and a fixed clock, and runs with HOME and the XDG directories pointed into
//! the temporary directory, so nothing can touch the user's real files.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

/// The fixed clock most tests use (09:30 in Bogotá).
pub const NOW: &str = "2026-03-02T09:30:00-05:00";

/// Environment variables that would otherwise leak from the developer's shell.
const SCRUBBED: &[&str] = &[
    "GUARDIA_DB",
    "GUARDIA_CONFIG",
    "GUARDIA_USER",
    "GUARDIA_NOW",
    "GUARDIA_LANG",
    "LANG",
    "LC_ALL",
    "LC_MESSAGES",
    "COLUMNS",
    "GUARDIA_TEST_OS_LOGIN",
];

/// Fields every `incident` needs (types.toml), as `--field` arguments.
pub const INCIDENT_FIELDS: &[&str] = &[
    "--field",
    "reporter_email=ana.torres@example.org",
    "--field",
    "extension=5550",
    "--field",
    "executable=FACT01",
    "--field",
    "environment=produccion",
];

/// One test's private world.
pub struct Env {
    pub dir: TempDir,
    pub db: PathBuf,
    pub cfg: PathBuf,
    pub now: String,
    pub user: String,
    /// `--lang` of every command (English unless a test says otherwise).
    pub lang: String,
}

impl Env {
    /// A fresh temporary directory with no database yet.
    pub fn empty() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("guardia-test-")
            .tempdir()
            .expect("temp dir");
        let db = dir.path().join("data").join("guardia.db");
        // An empty configuration folder: the built-in files apply. It must
        // be there, as every command names it with --config (`init` would
        // create it, but `init --join` and commands run before any `init`
        // would not).
        let cfg = dir.path().join("cfg");
        std::fs::create_dir_all(&cfg).expect("config dir");
        Env {
            dir,
            db,
            cfg,
            now: NOW.to_string(),
            user: "ana".into(),
            lang: "en".into(),
        }
    }

    /// A fresh database for site BOG.
    pub fn new() -> Env {
        Env::with_site("BOG")
    }

    pub fn with_site(code: &str) -> Env {
        let env = Env::empty();
        env.ok(&["init", "--site", code]);
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary with every input pinned; arguments still to be added.
    pub fn cmd(&self) -> Command {
        self.cmd_as(&self.user)
    }

    pub fn cmd_as(&self, user: &str) -> Command {
        Command::from_std(self.std_cmd_as(user))
    }

    /// The same as a plain process command, for tests that spawn the
    /// binary and act on it while it runs.
    pub fn std_cmd_as(&self, user: &str) -> std::process::Command {
        let mut c = self.at_home_as(user);
        c.arg("--db")
            .arg(&self.db)
            .arg("--config")
            .arg(&self.cfg)
            .arg("--lang")
            .arg(&self.lang);
        c
    }

    /// The binary with no `--db` or `--config`: the database and the
    /// configuration are the default ones of this test's private HOME
    /// (`HOME/data/guardia`, `HOME/config/guardia`), as on a fresh machine.
    pub fn at_home_as(&self, user: &str) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_guardia"));
        for v in SCRUBBED {
            c.env_remove(v);
        }
        let home = self.dir.path().join("home");
        c.env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("GUARDIA_USER", user)
            .env("GUARDIA_NOW", &self.now);
        c
    }

    pub fn output_as(&self, user: &str, args: &[&str]) -> Output {
        self.cmd_as(user).args(args).output().expect("run guardia")
    }

    /// Runs as the default operator; asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_as(&self.user.clone(), args)
    }

    pub fn ok_as(&self, user: &str, args: &[&str]) -> String {
        let out = self.output_as(user, args);
        assert!(
            out.status.success(),
            "`guardia {}` as {user} failed ({:?}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Runs a command expected to fail; asserts a non-zero exit and one
    /// `guardia: ...` line on stderr; returns that stderr.
    pub fn fail(&self, args: &[&str]) -> String {
        self.fail_as(&self.user.clone(), args)
    }

    pub fn fail_as(&self, user: &str, args: &[&str]) -> String {
        let (stdout, err) = self.failed(user, args);
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "`guardia {}` should print exactly one line on stderr, got:\n{err}",
            args.join(" ")
        );
        assert!(
            stdout.is_empty(),
            "a refused `guardia {}` should print nothing on stdout, got:\n{stdout}",
            args.join(" ")
        );
        err
    }

    /// Like `fail` but accepts a multi-line message (configuration problems)
    /// and output on stdout (`doctor`'s report).
    pub fn fail_raw(&self, args: &[&str]) -> String {
        self.fail_raw_as(&self.user.clone(), args)
    }

    pub fn fail_raw_as(&self, user: &str, args: &[&str]) -> String {
        self.failed(user, args).1
    }

    /// Runs a command that must fail with exit code 1 and a `guardia: `
    /// message; returns (stdout, stderr).
    pub fn failed(&self, user: &str, args: &[&str]) -> (String, String) {
        let out = self.output_as(user, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "`guardia {}` should have failed but exited 0:\nstdout: {stdout}",
            args.join(" ")
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "a refused command exits 1; stderr: {stderr}"
        );
        assert!(
            stderr.starts_with("guardia: "),
            "the error should start with `guardia: `: {stderr:?}"
        );
        (stdout, stderr)
    }

    /// Runs a `--json` command and parses its output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| {
            panic!(
                "`guardia {}` printed invalid JSON ({e}):\n{out}",
                args.join(" ")
            )
        })
    }

    pub fn json_as(&self, user: &str, args: &[&str]) -> Value {
        let out = self.ok_as(user, args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{out}"))
    }

    /// Registers a complete incident of service `osf`; returns its key.
    pub fn incident(&self, title: &str, description: &str) -> String {
        self.incident_with(title, description, &[])
    }

    pub fn incident_with(&self, title: &str, description: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "new",
            "--type",
            "incident",
            "--service",
            "osf",
            "--title",
            title,
            "--description",
            description,
            "--json",
        ];
        args.extend_from_slice(INCIDENT_FIELDS);
        args.extend_from_slice(extra);
        key_of(&self.json(&args))
    }

    /// Registers a support request of service `correo` (no mandatory fields).
    pub fn support(&self, title: &str, description: &str) -> String {
        key_of(&self.json(&[
            "new",
            "--type",
            "support",
            "--service",
            "correo",
            "--title",
            title,
            "--description",
            description,
            "--json",
        ]))
    }

    /// Registers a problem of service `osf`, category `datos`, as julia
    /// (a senior analyst, who may); returns its key.
    pub fn problem(&self, title: &str, description: &str) -> String {
        key_of(&self.json_as(
            "julia",
            &[
                "problem",
                "new",
                "--service",
                "osf",
                "--title",
                title,
                "--description",
                description,
                "--category",
                "datos",
                "--json",
            ],
        ))
    }

    /// Registers a known error as julia; returns its key.
    pub fn known_error(
        &self,
        service: &str,
        title: &str,
        symptom: &str,
        workaround: &str,
    ) -> String {
        key_of(&self.json_as(
            "julia",
            &[
                "known",
                "new",
                "--service",
                service,
                "--title",
                title,
                "--symptom",
                symptom,
                "--workaround",
                workaround,
                "--json",
            ],
        ))
    }

    /// Registers an API incident (seed 002) with all its mandatory fields.
    pub fn api_incident(&self, title: &str, description: &str) -> String {
        key_of(&self.json(&[
            "new",
            "--type",
            "api_incident",
            "--service",
            "api-mayorista",
            "--title",
            title,
            "--description",
            description,
            "--field",
            "company=Conecta Sur",
            "--field",
            "reporter_name=Natalia Duarte",
            "--field",
            "phones=+57 601 555 0101",
            "--field",
            "emails=natalia@example.org",
            "--field",
            "api_id=pedidos-v1",
            "--json",
        ]))
    }

    /// `show KEY --json`.
    pub fn show(&self, key: &str) -> Value {
        self.json(&["show", key, "--json"])
    }

    /// `list --json` with extra filters; the keys in order.
    pub fn list_keys(&self, filters: &[&str]) -> Vec<String> {
        let mut args = vec!["list", "--json"];
        args.extend_from_slice(filters);
        keys(&self.json(&args))
    }

    /// Writes a configuration file into this test's configuration directory.
    pub fn write_config(&self, name: &str, text: &str) -> PathBuf {
        std::fs::create_dir_all(&self.cfg).expect("config dir");
        let p = self.cfg.join(name);
        std::fs::write(&p, text).expect("write config");
        p
    }
}

pub fn key_of(v: &Value) -> String {
    v["key"]
        .as_str()
        .unwrap_or_else(|| panic!("no key in {v}"))
        .to_string()
}

/// Keys of a JSON array of tickets, in order.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(key_of)
        .collect()
}

/// The built-in text of a configuration file.
pub fn default_config(name: &str) -> String {
    guardia::config::DEFAULT_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| panic!("no built-in {name}"))
}

/// Replaces exactly one occurrence of `from` (so a test's edit cannot miss).
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "expected exactly one `{from}` in the text"
    );
    text.replacen(from, to, 1)
}

/// Line (1-based) of the first occurrence of `needle` in `text`.
pub fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    text[..at].matches('\n').count() + 1
}

/// A tiny deterministic PRNG (xorshift64*), for seeded random operation mixes.
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that must never reach a terminal from ticket text.
pub fn terminal_hazards(bytes: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Vec::new();
    if bytes.contains(&0x1b) {
        found.push("ESC (0x1b)");
    }
    if bytes.contains(&0x07) {
        found.push("BEL (0x07)");
    }
    if bytes.contains(&b'\r') {
        found.push("CR (0x0d)");
    }
    if bytes
        .iter()
        .any(|b| *b < 0x20 && *b != b'\n' && *b != b'\t')
    {
        found.push("another C0 control");
    }
    if text.contains('\u{202E}') {
        found.push("RIGHT-TO-LEFT OVERRIDE (U+202E)");
    }
    if text.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c)) {
        found.push("a C1 control");
    }
    found
}
pub mod console;
pub mod keys;
pub mod pty;
pub mod reader;
pub mod sync;

/// How many segments the ticket full-text index of `db` is made of.
pub fn text_segments(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .and_then(|c| {
            c.query_row(
                "SELECT count(DISTINCT segid) FROM ticket_fts_idx",
                [],
                |r| r.get(0),
            )
        })
        .expect("count the text index's segments")
}
