//! Scale benchmark (`cargo bench --bench scale -- --sizes 100000,1000000`).
//! Builds databases with `guardia generate` (kept under target/bench-data and
//! reused), then measures what the foundation issue budgets: whole-process
//! `list --json --limit 50`, in-process search over rare and common words,
//! single `new`, bulk generation rate, peak memory of a list, and `report`
//! (its first run, then warm runs over 30 days and the whole history). Prints a
//! Markdown report; nothing here is a test and nothing asserts timings.

use guardia::store::Store;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_guardia");

/// Words from the generator's vocabulary, from very common to absent.
const SEARCH_WORDS: &[&str] = &[
    "error",
    "factura",
    "facturacion",
    "usuario",
    "impresora",
    "vpn",
    "token caducado",
    "lentitud recaudo",
    "quindio",
    "movilidad",
    "kiosco",
    "datafix",
    "nomina",
    "balator",
];

struct Stats {
    p50: f64,
    p95: f64,
    max: f64,
}

fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        p50: at(0.5),
        p95: at(0.95),
        max: *ms.last().unwrap_or(&0.0),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the binary once; returns wall time and peak RSS in KiB.
///
/// Linux carries an address space's high-water mark across `exec`, so a
/// child started from this (large) process would report our memory as its
/// own. A fresh copy of this benchmark in `--launch` mode, still small,
/// starts guardia instead and reports its time and peak memory.
fn run(args: &[&str], db: &Path, cfg: &Path) -> (Duration, i64) {
    let exe = std::env::current_exe().expect("benchmark path");
    let out = Command::new(exe)
        .arg("--launch")
        .arg(BIN)
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("GUARDIA_USER", "ana")
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("launch");
    assert!(out.status.success(), "guardia {args:?} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .split_whitespace()
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let nanos = parts.next().unwrap_or(0);
    let rss = parts.next().unwrap_or(0);
    (Duration::from_nanos(nanos.max(0) as u64), rss)
}

/// `--launch BIN ARGS...`: runs BIN once, prints "<nanoseconds> <peak RSS KiB>".
fn launch(argv: &[String]) -> std::process::ExitCode {
    let started = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn guardia");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    let _ = child.try_wait();
    if rc != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return std::process::ExitCode::FAILURE;
    }
    println!("{} {}", elapsed.as_nanos(), usage.ru_maxrss);
    std::process::ExitCode::SUCCESS
}

fn build(size: usize, dir: &Path, cfg: &Path, bare: bool) -> (PathBuf, Option<f64>) {
    let name = if bare {
        format!("bare-{size}.db")
    } else {
        format!("full-{size}.db")
    };
    let db = dir.join(name);
    if db.exists() {
        return (db, None);
    }
    let status = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .arg("--config")
        .arg(cfg)
        .arg("init")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("init");
    assert!(status.success());
    let mut args = vec!["generate".to_string(), "--tickets".into(), size.to_string()];
    if bare {
        args.push("--bare".into());
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (t, _) = run(&argv, &db, cfg);
    (db, Some(size as f64 / t.as_secs_f64()))
}

fn main() -> std::process::ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--launch") {
        return launch(&argv[2..]);
    }
    let mut sizes = vec![100_000usize];
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let mut i = 1;
    while i < argv.len() {
        match argv[i].as_str() {
            "--sizes" if i + 1 < argv.len() => {
                sizes = argv[i + 1]
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                i += 1;
            }
            "--dir" if i + 1 < argv.len() => {
                dir = PathBuf::from(&argv[i + 1]);
                i += 1;
            }
            _ => {} // `cargo bench` passes --bench
        }
        i += 1;
    }
    std::fs::create_dir_all(&dir).expect("bench dir");
    // Empty, so every command runs on the built-in configuration (`init`
    // would leave copies here that go stale as the built-in one changes).
    let cfg = dir.join("cfg-unused");
    let _ = std::fs::remove_dir_all(&cfg);
    println!("| size | measure | p50 | p95 | max | budget |");
    println!("|---|---|---|---|---|---|");
    for size in sizes {
        let (db, full_rate) = build(size, &dir, &cfg, false);
        let (_, bare_rate) = build(size, &dir, &cfg, true);
        if let Some(r) = full_rate {
            println!("| {size} | generate, full history (tickets/s) | {r:.0} | | | ≥ 20 000 |");
        }
        if let Some(r) = bare_rate {
            println!(
                "| {size} | generate --bare, create path (tickets/s) | {r:.0} | | | ≥ 20 000 |"
            );
        }
        // Warm the page cache once, as an operator's second command would.
        run(&["list", "--json", "--limit", "50"], &db, &cfg);
        let mut times = Vec::new();
        let mut rss = 0;
        for _ in 0..30 {
            let (t, r) = run(&["list", "--json", "--limit", "50"], &db, &cfg);
            times.push(ms(t));
            rss = rss.max(r);
        }
        let s = stats(times);
        println!(
            "| {size} | `list --json --limit 50`, whole process (ms) | {:.1} | {:.1} | {:.1} | ≤ 50 |",
            s.p50, s.p95, s.max
        );
        println!(
            "| {size} | peak RSS of that list (MiB) | {:.1} | | | ≤ 64 |",
            rss as f64 / 1024.0
        );
        let mut times = Vec::new();
        for _ in 0..30 {
            let (t, _) = run(&["list", "--json", "--limit", "50", "--open"], &db, &cfg);
            times.push(ms(t));
        }
        let s = stats(times);
        println!(
            "| {size} | `list --open --json --limit 50`, whole process (ms) | {:.1} | {:.1} | {:.1} | ≤ 50 |",
            s.p50, s.p95, s.max
        );

        // `report`: the first run fills the SLA outcomes `generate` skipped
        // (once per database), then the last 30 days and the whole history,
        // in total and per service, and a past month (the budget: 2 s at
        // 1M tickets).
        let (t, rss) = run(&["report"], &db, &cfg);
        println!(
            "| {size} | first `report`, filling the SLA outcomes (ms) | {:.0} | | | once |",
            ms(t)
        );
        println!(
            "|   | its peak RSS, mostly the memory-mapped file (MiB) | {:.0} | | | |",
            rss as f64 / 1024.0
        );
        let whole = ["--from", "2000-01-01"];
        // A month that ended ten months ago: its backlog is taken back
        // through everything since.
        let today = chrono::Local::now().date_naive();
        let past_from = (today - chrono::Duration::days(330)).to_string();
        let past_to = (today - chrono::Duration::days(300)).to_string();
        let past = ["--from", past_from.as_str(), "--to", past_to.as_str()];
        let cases: [(&str, Vec<&str>); 5] = [
            ("`report`, last 30 days", vec!["report"]),
            (
                "`report --by service`, last 30 days",
                vec!["report", "--by", "service"],
            ),
            (
                "`report`, whole history",
                [&["report"][..], &whole].concat(),
            ),
            (
                "`report --by service`, whole history",
                [&["report", "--by", "service"][..], &whole].concat(),
            ),
            (
                "`report --by service`, a month ten months ago",
                [&["report", "--by", "service"][..], &past].concat(),
            ),
        ];
        for (label, args) in cases {
            run(&args, &db, &cfg);
            let mut times = Vec::new();
            let mut rss = 0;
            for _ in 0..10 {
                let (t, r) = run(&args, &db, &cfg);
                times.push(ms(t));
                rss = rss.max(r);
            }
            let s = stats(times);
            println!(
                "| {size} | {label}, whole process (ms; peak RSS {:.0} MiB) | {:.0} | {:.0} | {:.0} | ≤ 2000 |",
                rss as f64 / 1024.0,
                s.p50,
                s.p95,
                s.max
            );
        }

        let store = Store::open(&db).expect("open");
        let reader = store.reader();
        let mut times = Vec::new();
        let mut per_word = Vec::new();
        for word in SEARCH_WORDS {
            reader.search(word, 50).expect("search");
            let mut w = Vec::new();
            let mut hits = 0;
            for _ in 0..20 {
                let t = Instant::now();
                hits = reader.search(word, 50).expect("search").len();
                w.push(ms(t.elapsed()));
            }
            let matches = reader.match_count(word).unwrap_or(0);
            per_word.push((word, matches, hits, stats(w.clone()).p50));
            times.extend(w);
        }
        let s = stats(times);
        println!(
            "| {size} | search top 50, in-process, {} words (ms) | {:.2} | {:.2} | {:.2} | p95 ≤ 25 |",
            SEARCH_WORDS.len(),
            s.p50,
            s.p95,
            s.max
        );
        drop(store);

        // A text of rare words, then one of the commonest words of the
        // generated tickets: the similar and solved-before searches walk
        // far longer lists for the second.
        for (label, title, description) in [
            (
                "rare words",
                "Prueba de rendimiento",
                "Medición de un alta individual",
            ),
            (
                "common words",
                "No imprime la impresora de la sede Pereira",
                "Desde esta mañana no salen las facturas",
            ),
        ] {
            let mut times = Vec::new();
            for n in 0..30 {
                let title = format!("{title} {n}");
                let (t, _) = run(
                    &[
                        "new",
                        "--service",
                        "correo",
                        "--type",
                        "support",
                        "--title",
                        &title,
                        "--description",
                        description,
                    ],
                    &db,
                    &cfg,
                );
                times.push(ms(t));
            }
            let s = stats(times);
            println!(
                "| {size} | single `new` of {label}, whole process (ms) | {:.1} | {:.1} | {:.1} | ≤ 20 |",
                s.p50, s.p95, s.max
            );
        }
        for (word, matches, hits, p50) in per_word {
            println!(
                "|   | search `{word}`: {matches} matching tickets, {hits} shown (ms p50) | {p50:.2} | | | |"
            );
        }
    }
    std::process::ExitCode::SUCCESS
}
