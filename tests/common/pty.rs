//! The real binary in a real pseudo-terminal: keys go in as bytes, what it
//! writes is decoded by a vt100 parser into a screen the test can read.
//! Every wait has a deadline (GUARDIA_TEST_TIMEOUT seconds, default 30) and
//! polls the screen; nothing sleeps blindly.

use super::{Env, NOW};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    rx: Receiver<Vec<u8>>,
    pub parser: vt100::Parser,
    child: Box<dyn Child + Send + Sync>,
    /// Bytes the program wrote since the last `mark`.
    pub bytes: usize,
    /// Everything it wrote, for assertions on escape sequences.
    pub raw: Vec<u8>,
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

pub fn timeout() -> Duration {
    let secs = std::env::var("GUARDIA_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

impl Pty {
    /// Starts `guardia` on the test's database in a `cols`×`rows` terminal.
    pub fn spawn(
        env: &Env,
        cols: u16,
        rows: u16,
        extra_env: &[(&str, &str)],
        args: &[&str],
    ) -> Pty {
        Pty::start(env, cols, rows, extra_env, args, true)
    }

    /// Starts `guardia` as a new user would: no `--db`, no `--config`, no
    /// operator named, a fresh home (data and config inside the test folder).
    pub fn spawn_fresh(env: &Env, cols: u16, rows: u16, args: &[&str]) -> Pty {
        Pty::start(env, cols, rows, &[], args, false)
    }

    fn start(
        env: &Env,
        cols: u16,
        rows: u16,
        extra_env: &[(&str, &str)],
        args: &[&str],
        own_db: bool,
    ) -> Pty {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_guardia"));
        cmd.env_clear();
        let home = env.path().join("home");
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("HOME", &home);
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("TERM", "xterm-256color");
        if own_db {
            cmd.env("GUARDIA_USER", &env.user);
        }
        cmd.env(
            "GUARDIA_NOW",
            if env.now.is_empty() { NOW } else { &env.now },
        );
        cmd.env("EDITOR", "true");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        if own_db {
            cmd.arg("--db");
            cmd.arg(&env.db);
            cmd.arg("--config");
            cmd.arg(&env.cfg);
        }
        cmd.arg("--lang");
        cmd.arg(&env.lang);
        for a in args {
            cmd.arg(a);
        }
        cmd.cwd(env.path());
        let child = pty
            .slave
            .spawn_command(cmd)
            .expect("spawn guardia in the pty");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Pty {
            master: pty.master,
            writer,
            rx,
            parser: vt100::Parser::new(nz(rows), nz(cols), 0),
            child,
            bytes: 0,
            raw: Vec::new(),
        }
    }

    /// Feeds whatever arrived within `wait` into the screen; false if nothing did.
    fn pump(&mut self, wait: Duration) -> bool {
        match self.rx.recv_timeout(wait) {
            Ok(chunk) => {
                self.take(chunk);
                while let Ok(more) = self.rx.try_recv() {
                    self.take(more);
                }
                true
            }
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => false,
        }
    }

    fn take(&mut self, chunk: Vec<u8>) {
        self.bytes += chunk.len();
        self.parser.process(&chunk);
        self.raw.extend_from_slice(&chunk);
    }

    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Waits until `done(screen)` holds; panics with the screen at the deadline.
    pub fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout();
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen shows:\n{s}");
            }
            self.pump(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_until(&format!("'{needle}'"), |s| s.contains(needle))
    }

    /// Reads until the program has been silent for `quiet` (a frame is
    /// complete); returns the bytes it wrote meanwhile.
    pub fn settle(&mut self, quiet: Duration) -> usize {
        let start = self.bytes;
        let deadline = Instant::now() + timeout();
        while self.pump(quiet) {
            if Instant::now() > deadline {
                break;
            }
        }
        self.bytes - start
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
        self.parser.screen_mut().set_size(nz(rows), nz(cols));
    }

    /// Waits for the program to exit; returns its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + timeout();
        loop {
            self.pump(Duration::from_millis(20));
            if let Ok(Some(status)) = self.child.try_wait() {
                while self.pump(Duration::from_millis(20)) {}
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("guardia did not exit; the screen shows:\n{}", self.screen());
            }
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
