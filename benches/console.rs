//! Console benchmark (`cargo bench --bench console -- --size 1000000`).
//! Uses the databases `benches/scale.rs` builds under target/bench-data.
//!
//! 1. Keystroke to frame, in process: the real `update`, the real database
//!    worker thread and the real view rendered into ratatui's TestBackend
//!    at 120x40. A key's time runs until the frame that shows its result is
//!    drawn (for a filter: the reply with the rows; the total count arrives
//!    later and is timed separately).
//! 2. Start-up and memory, out of process: the release binary in a real
//!    pseudo-terminal, timed from spawn to the first drawn queue row; the
//!    resident memory (VmRSS, VmHWM) after start and after a session of
//!    paging, opening tickets and the dashboard.
//!
//! Prints a Markdown report; nothing asserts timings.

use guardia::app::{App, Clock};
use guardia::config::{Config, Lang};
use guardia::store::Store;
use guardia::tui::keymap::{Key, Keymap};
use guardia::tui::msg::{Effect, Msg, Reply, Request};
use guardia::tui::state::{Console, Identity};
use guardia::tui::theme::Theme;
use guardia::tui::{update, view, worker};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_guardia");

fn pct(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

struct Harness {
    console: Console,
    requests: Sender<Request>,
    replies: Receiver<Msg>,
    term: Terminal<TestBackend>,
    count_ms: Vec<f64>,
}

impl Harness {
    fn new(db: &Path) -> Harness {
        let config = Config::builtin().expect("built-in config");
        let store = Store::open(db).expect("open the bench database");
        let app = App::new(config.clone(), store, Clock::system(), Lang::Es);
        let operator = config.operators.first().cloned();
        let identity = Identity {
            operator: operator.as_ref().map(|o| o.id.get_ref().clone()),
            why_read_only: None,
        };
        let console = Console::new(
            Arc::new(config),
            Keymap::builtin().expect("keymap"),
            Theme::default16(),
            Lang::Es,
            identity,
            "bench".into(),
        );
        let (tx, rx) = channel();
        let requests = worker::spawn(app, operator, tx);
        let mut h = Harness {
            console,
            requests,
            replies: rx,
            term: Terminal::new(TestBackend::new(120, 40)).expect("test terminal"),
            count_ms: Vec::new(),
        };
        let mut fx = update::update(&mut h.console, Msg::Resize(120, 40));
        fx.extend(update::start(&mut h.console));
        h.run(fx);
        h
    }

    /// Carries out effects; waits for the replies that change what the
    /// frame shows (pages, details, dashboard), not for counts.
    fn run(&mut self, effects: Vec<Effect>) {
        let mut waiting = 0;
        let mut counts = Vec::new();
        for e in effects {
            if let Effect::Request(r) = e {
                match r {
                    Request::Count { .. } => counts.push(Instant::now()),
                    Request::Page { .. } | Request::Detail { .. } | Request::Dashboard { .. } => {
                        waiting += 1
                    }
                    _ => {}
                }
                self.requests.send(r).expect("worker alive");
            }
        }
        while waiting > 0 {
            let msg = self
                .replies
                .recv_timeout(Duration::from_secs(30))
                .expect("a reply");
            if let Msg::Reply(
                Reply::Page { .. }
                | Reply::Detail { .. }
                | Reply::Dashboard { .. }
                | Reply::Failed { .. },
            ) = &msg
            {
                waiting -= 1;
            }
            if let Msg::Reply(Reply::Count { .. }) = &msg
                && let Some(t) = counts.pop()
            {
                self.count_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let more = update::update(&mut self.console, msg);
            // Follow-ups (prefetch, detail following the cursor) are sent
            // but not awaited: the frame does not wait for them either.
            for e in more {
                if let Effect::Request(r) = e {
                    self.requests.send(r).expect("worker alive");
                }
            }
        }
    }

    /// Applies replies that arrived meanwhile (outside the timed section).
    fn drain(&mut self) {
        while let Ok(msg) = self.replies.recv_timeout(Duration::from_millis(30)) {
            let more = update::update(&mut self.console, msg);
            for e in more {
                if let Effect::Request(r) = e {
                    let _ = self.requests.send(r);
                }
            }
        }
    }

    /// Presses a key; returns (ms to the first frame drawn after it, ms to
    /// the frame that shows its result once the database has answered).
    fn key(&mut self, spec: &str) -> (f64, f64) {
        let key = Key::parse(spec).expect("key");
        let t0 = Instant::now();
        let fx = update::update(&mut self.console, Msg::Key(key));
        self.draw();
        let first = t0.elapsed().as_secs_f64() * 1000.0;
        self.run(fx);
        self.draw();
        (first, t0.elapsed().as_secs_f64() * 1000.0)
    }

    fn draw(&mut self) {
        let now = chrono::Utc::now();
        self.term
            .draw(|f| view::render(f, &self.console, now))
            .expect("draw");
    }
}

fn row(what: &str, times: &[f64]) {
    println!(
        "| {what} | {:.2} | {:.2} | {:.2} | ≤ 16 (p99) |",
        pct(times.to_vec(), 0.5),
        pct(times.to_vec(), 0.99),
        pct(times.to_vec(), 1.0)
    );
}

fn in_process(db: &Path) {
    let mut h = Harness::new(db);
    h.drain();
    let measure = |keys: &[&str], rounds: usize, h: &mut Harness| {
        let (mut first, mut data) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            for k in keys {
                let (a, b) = h.key(k);
                first.push(a);
                data.push(b);
                h.drain();
            }
        }
        (first, data)
    };
    println!("| measure (ms) | p50 | p99 | max | budget |");
    println!("|---|---|---|---|---|");
    // At 120x40 the detail follows the cursor, so each move also asks for a ticket.
    let (_, data) = measure(&["j", "j", "j", "k"], 100, &mut h);
    row(
        "move j/k (split layout), until the followed ticket is drawn",
        &data,
    );
    let (_, data) = measure(&["pgdown", "pgdown", "pgdown", "pgup"], 50, &mut h);
    row(
        "page pgdown/pgup, until the followed ticket is drawn",
        &data,
    );
    let (first, data) = measure(&["tab"], 100, &mut h);
    row("pane switch Tab, first frame", &first);
    row("pane switch Tab, until the pane's data is drawn", &data);
    // Back to the queue for filters.
    h.key("1");
    h.drain();
    let mut filter_times = Vec::new();
    let words = [
        "impresora",
        "vpn",
        "factura",
        "token",
        "zz",
        "usuario",
        "error",
        "movilidad",
        "nomina",
        "recaudo",
        "lentitud",
        "quindio",
        "kiosco",
        "datafix",
        "balator",
    ];
    for word in words {
        h.key("/");
        let mut typed = String::new();
        for ch in word.chars() {
            typed.push(ch);
            let (_, t) = h.key(&ch.to_string());
            if std::env::var_os("BENCH_VERBOSE").is_some() {
                eprintln!("filter {typed:<10} {t:7.2} ms");
            }
            filter_times.push(t);
            h.drain();
        }
        h.key("esc");
        h.drain();
    }
    row(
        &format!(
            "filter, each typed letter until the rows are drawn ({} keystrokes)",
            filter_times.len()
        ),
        &filter_times,
    );
    let mut view_times = Vec::new();
    for _ in 0..10 {
        for spec in [["v", "j"], ["v", "k"]] {
            h.key(spec[0]);
            h.key(spec[1]);
            view_times.push(h.key("enter").1);
            h.drain();
        }
    }
    row(
        "saved view (v, choose), until the rows are drawn",
        &view_times,
    );
    // The SLA clocks of 50 rows, as the queue asks for them (on the
    // counts connection, after the rows are drawn).
    h.key("1");
    h.drain();
    let keys: Vec<String> = h
        .console
        .queue
        .rows
        .iter()
        .take(50)
        .map(|r| r.ticket.key.clone())
        .collect();
    let mut sla_times = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        h.requests
            .send(Request::Sla {
                generation: h.console.queue.generation,
                keys: keys.clone(),
            })
            .expect("worker");
        loop {
            let msg = h
                .replies
                .recv_timeout(Duration::from_secs(30))
                .expect("reply");
            let done = matches!(msg, Msg::Reply(Reply::Sla { .. }));
            update::update(&mut h.console, msg);
            if done {
                break;
            }
        }
        sla_times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    row(
        &format!(
            "SLA clocks of the {} rows on screen (own connection)",
            keys.len()
        ),
        &sla_times,
    );
    if !h.count_ms.is_empty() {
        let c = h.count_ms.clone();
        println!(
            "| title count arrives (background, own connection) | {:.1} | {:.1} | {:.1} | not budgeted |",
            pct(c.clone(), 0.5),
            pct(c.clone(), 0.99),
            pct(c, 1.0)
        );
    }
}

fn rss_kib(pid: u32) -> (i64, i64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn startup(db: &Path, cfg: &Path, runs: usize) {
    let mut times = Vec::new();
    let mut mem = (0, 0);
    let mut after = (0, 0);
    for run in 0..runs {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.env("TERM", "xterm-256color");
        cmd.env("GUARDIA_USER", "ana");
        cmd.env("GUARDIA_LANG", "es");
        cmd.args([
            "--db",
            &db.display().to_string(),
            "--config",
            &cfg.display().to_string(),
        ]);
        let t0 = Instant::now();
        let mut child = pty.slave.spawn_command(cmd).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let mut writer = pty.master.take_writer().expect("writer");
        let (tx, rx) = channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        let mut parser = vt100::Parser::new(
            std::num::NonZeroU16::new(40).expect("rows"),
            std::num::NonZeroU16::new(120).expect("cols"),
            0,
        );
        // The first drawn queue row: a ticket key in the table.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(1)) {
                parser.process(&chunk);
                if parser
                    .screen()
                    .contents()
                    .lines()
                    .any(|l| l.contains("│ BOG-"))
                {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no queue drawn:\n{}",
                parser.screen().contents()
            );
        }
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        let pid = child.process_id().expect("pid");
        std::thread::sleep(Duration::from_millis(500));
        if run == 0 {
            mem = rss_kib(pid);
            // A working session: pages, tickets, panes, dashboard, filters.
            use std::io::Write;
            for keys in [
                "jjjjjjjjjj",
                "\x06\x06\x06\x06\x06\x06\x06\x06",
                "\r",
                "3",
                "4",
                "5",
                "1",
                "/factura",
                "\r",
                "G",
                "g",
                "vj\r",
                "5",
            ] {
                writer.write_all(keys.as_bytes()).expect("keys");
                writer.flush().ok();
                std::thread::sleep(Duration::from_millis(400));
                while let Ok(chunk) = rx.try_recv() {
                    parser.process(&chunk);
                }
            }
            std::thread::sleep(Duration::from_millis(1500));
            after = rss_kib(pid);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    println!(
        "| start → first drawn queue (pty, {runs} runs) | {:.0} | {:.0} | {:.0} | ≤ 150 |",
        pct(times.clone(), 0.5),
        pct(times.clone(), 0.95),
        pct(times, 1.0)
    );
    println!(
        "| resident memory after start (VmRSS / peak, MiB) | {:.1} | {:.1} | | ≤ 64 |",
        mem.0 as f64 / 1024.0,
        mem.1 as f64 / 1024.0
    );
    println!(
        "| resident memory after a session of paging, panes, dashboard, filter (VmRSS / peak, MiB) | {:.1} | {:.1} | | ≤ 64 |",
        after.0 as f64 / 1024.0,
        after.1 as f64 / 1024.0
    );
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let mut size = 1_000_000usize;
    if let Some(i) = argv.iter().position(|a| a == "--size") {
        size = argv.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(size);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let db = dir.join(format!("full-{size}.db"));
    if !db.exists() {
        eprintln!(
            "{} is missing: run `cargo bench --bench scale -- --sizes {size}` first",
            db.display()
        );
        std::process::exit(2);
    }
    // An empty configuration directory: the console runs on the built-in
    // configuration, as the in-process session does. Copies left there by
    // `init` would differ, and the SLA clocks (which follow the
    // configuration) would be recomputed at every switch between the two.
    let cfg = dir.join("cfg-unused");
    let _ = std::fs::remove_dir_all(&cfg);
    std::fs::create_dir_all(&cfg).expect("config dir");
    println!("console benchmark, {size} tickets, release build\n");
    startup(&db, &cfg, 11);
    println!();
    in_process(&db);
}
