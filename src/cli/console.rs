//! Opening the console from the command line: everything that can fail
//! (configuration, keymap, database, identity) is checked here, before the
//! terminal is switched to raw mode, so errors print like any other.

use super::init::{BuildLock, clear_leftover};
use super::{Cli, EXAMPLE_DB, default_db};
use crate::app::{self, App, Clock, identity};
use crate::config::{Config, Lang};
use crate::store::{Store, StoreError};
use crate::text::sanitize_line;
use crate::tui::keymap::Keymap;
use crate::tui::state::{Console, Identity};
use crate::tui::theme::Theme;
use crate::tui::{runtime, worker};

/// How long quitting may wait for the last writes before saying why it waits.
const SILENT_WAIT: std::time::Duration = std::time::Duration::from_millis(300);
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Tickets in the example database created on first run.
const EXAMPLE_TICKETS: usize = 400;

/// The database the console (or the overview) shows, creating the example
/// database on first use when the operator has none of their own yet.
pub fn console_db(cli: &Cli, config: &Config, clock: Clock, lang: Lang) -> Result<(PathBuf, bool)> {
    let db = default_db(cli)?;
    if cli.db.is_some() || db.exists() {
        return Ok((db, false));
    }
    let example = db.with_file_name(EXAMPLE_DB);
    if !example.exists() {
        create_example(&example, config, clock, lang)?;
    }
    Ok((example, true))
}

/// Builds the example database the way `init` builds one: under a staging
/// name, published at `example` with a hard link only when complete. A first
/// run killed partway thus leaves nothing at `example` (its staging file is
/// cleared by the next run), and first runs started together take turns
/// under the build lock: the first builds, the others wait and use its work.
fn create_example(example: &Path, config: &Config, clock: Clock, lang: Lang) -> Result<()> {
    let _lock = match BuildLock::try_take(example)? {
        Some(lock) => lock,
        None => {
            eprintln!(
                "guardia: waiting for another guardia to finish creating the example database at {}…",
                example.display()
            );
            BuildLock::wait(example)?
        }
    };
    if example.exists() {
        // Built by the run we waited for.
        return Ok(());
    }
    let staging = Store::staging_path(example);
    clear_leftover(&staging, "guardia")?;
    eprintln!(
        "guardia: creating an example database at {} (run `guardia init` for your own)",
        example.display()
    );
    let store = Store::create(&staging, &config.settings.defaults.site_code)
        .map_err(|e| e.about(example))?;
    let mut app = App::new(config.clone(), store, clock, lang);
    let generated = app::generate::generate(
        &mut app,
        EXAMPLE_TICKETS,
        42,
        app::generate::History::Full,
        |_| {},
    );
    // Closed before it moves: closing folds the WAL into the file.
    drop(app);
    let published = match generated {
        Ok(_) => match Store::publish_staged(&staging, example) {
            // Put there by something that takes no lock (an older guardia):
            // it is used like one found at the start.
            Err(StoreError::Exists { .. }) => Ok(()),
            other => other.map_err(anyhow::Error::from),
        },
        Err(e) => Err(e.into()),
    };
    // Leave nothing half-made behind (after a publish, the staging name is
    // already gone).
    Store::remove_files(&staging);
    published
}

/// `TERM=dumb`: the terminal draws no cursor movement, colour or screen
/// switching, which the console needs.
fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

pub fn run(
    cli: &Cli,
    config: Config,
    cfg_dir: Option<&Path>,
    clock: Clock,
    lang: Lang,
) -> Result<ExitCode> {
    if dumb_terminal() {
        // A terminal that says it cannot move the cursor or colour text
        // (an editor's shell buffer, a serial line) would show the escape
        // sequences as text: the plain overview instead, as without one.
        eprintln!(
            "{}",
            match lang {
                Lang::Es =>
                    "guardia: TERM=dumb: esta terminal no puede dibujar la consola, así que se muestra el resumen de los tickets abiertos; ábrala en una terminal completa (p. ej. TERM=xterm-256color)",
                Lang::En =>
                    "guardia: TERM=dumb: this terminal cannot draw the console, so here is the overview of the open tickets; open it in a full terminal (e.g. TERM=xterm-256color)",
            }
        );
        return super::console_overview(cli, config, clock, lang);
    }
    let keymap = Keymap::load(cfg_dir)?;
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = if no_color {
        Theme::mono()
    } else {
        Theme::by_name(config.settings.ui.theme.get_ref()).unwrap_or_else(Theme::default16)
    };
    let (db, example) = console_db(cli, &config, clock, lang)?;
    let store = Store::open(&db)?;
    let (operator, why_read_only) =
        match identity::resolve(&config, cli.as_user.as_deref(), &identity::os_login()) {
            Ok(op) => (Some(op.clone()), None),
            // The example database is for trying guardia out: act as its first
            // (invented) operator rather than show a console that refuses everything.
            Err(_) if example && cli.as_user.is_none() => (config.operators.first().cloned(), None),
            Err(e) => (None, Some(sanitize_line(&e.to_string()))),
        };
    let mut title = format!(
        "{} — {}",
        sanitize_line(&config.settings.organisation.name),
        sanitize_line(&db.display().to_string())
    );
    if example {
        // First, so a long organisation name cannot push it out of sight.
        title.insert_str(
            0,
            match lang {
                Lang::Es => "[ejemplo] ",
                Lang::En => "[example] ",
            },
        );
    }
    let identity = Identity {
        operator: operator.as_ref().map(|o| o.id.get_ref().clone()),
        why_read_only,
    };
    let mouse = config.settings.ui.mouse;
    #[allow(unused_mut)] // changed by test builds only
    let mut app = App::new(config.clone(), store, clock, lang);
    // Test builds only: a write that gives up waiting for another
    // process's lock in milliseconds instead of a minute, so the tests can
    // see what quitting says of a change that was lost. Release builds
    // never read it.
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("GUARDIA_TEST_WRITE_PATIENCE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        app.store
            .set_write_patience(std::time::Duration::from_millis(ms));
    }
    let mut console = Console::new(Arc::new(config), keymap, theme, lang, identity, title);
    console.mouse = mouse;
    console.example = example;
    if console
        .config
        .settings
        .sync
        .as_ref()
        .is_some_and(|s| s.git.is_some())
    {
        // SAFETY: no thread has started yet; the worker starts below.
        unsafe { runtime::keep_git_prompts_off_the_terminal() };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    // The files the configuration was read from are watched: once edited,
    // the console says to restart and saves nothing meanwhile.
    let (requests, worker) = worker::spawn_watching(
        app,
        operator,
        tx,
        cfg_dir.map(Path::to_path_buf),
        Some(console.keymap.clone()),
    );
    let outcome = runtime::run(console, requests, rx, clock);
    // The terminal is back; writes asked for before quitting finish now.
    // One waiting for another process's lock can take up to a minute: say
    // so, and let Ctrl-c give it up (its transaction is then never made).
    if let Some(w) = worker {
        let asked = std::time::Instant::now();
        while !w.is_finished() && asked.elapsed() < SILENT_WAIT {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        if !w.is_finished() {
            runtime::default_signals();
            eprintln!(
                "{}",
                match lang {
                    Lang::Es =>
                        "guardia: guardando los cambios pedidos antes de salir; otro proceso está escribiendo en la base de datos (se espera hasta un minuto; Ctrl-c los abandona)…",
                    Lang::En =>
                        "guardia: saving the changes asked for before quitting; another process is writing to the database (waiting up to a minute; Ctrl-c abandons them)…",
                }
            );
        }
        let _ = w.join();
    }
    let late = worker::late_outcomes();
    for outcome in &late {
        eprintln!("guardia: {}", outcome.line);
    }
    // A change refused after the screen was gone is lost unless made again:
    // said plainly, and in the exit code, for a wrapper or an SSH session.
    let lost = late.iter().filter(|o| !o.saved).count();
    if lost > 0 {
        eprintln!(
            "{}",
            match lang {
                Lang::Es => format!(
                    "guardia: {lost} cambio(s) pedido(s) antes de salir no se guardaron; abra guardia y hágalos de nuevo"
                ),
                Lang::En => format!(
                    "guardia: {lost} change(s) asked for before quitting were not saved; open guardia and make them again"
                ),
            }
        );
    }
    // So does a sync: stopped half-way, git could leave a lock behind.
    if worker::sync_running() {
        runtime::default_signals();
        eprintln!(
            "{}",
            match lang {
                Lang::Es =>
                    "guardia: esperando a que termine la sincronización (Ctrl-c la interrumpe)…",
                Lang::En => "guardia: waiting for the sync to finish (Ctrl-c stops it)…",
            }
        );
    }
    worker::wait_for_sync();
    outcome?;
    Ok(match runtime::stop_signal() {
        Some(sig) => ExitCode::from(128u8.saturating_add(u8::try_from(sig).unwrap_or(0))),
        None if lost > 0 => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    })
}
