//! The command line: parses arguments, loads and validates the configuration
//! before anything else, opens the database, calls the application layer and
//! prints its answers (tables for people, `--json` for scripts). Errors end
//! with one message on stderr and a non-zero exit code.

pub mod args;
mod console;
mod dashboard;
mod files;
mod init;
pub mod output;
mod records;
mod report;
mod say;
pub mod say_error;
mod sync;
mod workflow;

use crate::app::{self, App, AppError, Clock, NewTicket, identity};
use crate::config::{Config, Lang, paths};
use crate::store::{ListFilter, Store};
use crate::text::sanitize_line;
use anyhow::{Context, Result, bail};
use args::*;
use clap::{CommandFactory, Parser};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code of a failed command (usage errors exit 2, from clap).
pub const EXIT_FAILURE: u8 = 1;

pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`guardia list | head`) is not an error worth a message.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // Messages echo keys, field names, values and config text:
            // neutralised like any other text before reaching the terminal.
            // Only the configuration's list of problems spans lines; any
            // other message stays on one, so input cannot forge a second.
            let is_config = e
                .chain()
                .any(|c| c.downcast_ref::<crate::config::ConfigError>().is_some())
                || e.chain()
                    .any(|c| matches!(c.downcast_ref::<AppError>(), Some(AppError::Config(_))));
            let text = format!("{e:#}");
            let msg = if is_config {
                crate::text::sanitize_block(&text)
            } else {
                sanitize_line(&text)
            };
            eprintln!("guardia: {}", msg.trim_end());
            if e.downcast_ref::<ChangeRecordedOutputLost>().is_some() {
                ExitCode::from(EXIT_RECORDED_OUTPUT_LOST)
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}

/// The command recorded its change but could not print its answer. Said
/// plainly, with its own exit code, because the usual reaction to a failed
/// command (run it again) would record the change twice.
pub(super) fn output_lost(e: anyhow::Error) -> anyhow::Error {
    output_lost_about(e, None)
}

/// [`output_lost`] for a command about ticket `key` (when the error does not
/// name a ticket registered by the command itself).
fn output_lost_about(e: anyhow::Error, key: Option<&str>) -> anyhow::Error {
    // A context's type is found by `downcast_ref`, not in the chain.
    let recorded = e
        .downcast_ref::<RecordedKey>()
        .map(|k| k.0.clone())
        .or_else(|| {
            key.map(|k| {
                crate::domain::site::canonical_ticket_key(k).unwrap_or_else(|| k.to_string())
            })
        });
    match e.chain().find_map(|c| c.downcast_ref::<OutputLost>()) {
        // A reader that stopped early (`| head`) stays quiet, as always.
        Some(lost) if lost.0.kind() != std::io::ErrorKind::BrokenPipe => {
            let look = match recorded {
                Some(k) => format!(
                    "`guardia log {}` shows what was recorded",
                    sanitize_line(&k)
                ),
                None => "`guardia list` shows what was recorded".to_string(),
            };
            anyhow::Error::new(ChangeRecordedOutputLost(lost.0.to_string(), look))
        }
        _ => e,
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "the change was recorded, but its confirmation could not be written to standard output ({0}); do not run the command again: {1}"
)]
struct ChangeRecordedOutputLost(String, String);

/// The ticket a command registered, carried by a failure to print its
/// confirmation so that the exit-3 message can name it.
#[derive(Debug, thiserror::Error)]
#[error("{0} was registered")]
struct RecordedKey(String);

fn registered(e: anyhow::Error, key: &str) -> anyhow::Error {
    e.context(RecordedKey(key.to_string()))
}

/// Exit code of a command whose change was recorded although its output
/// was lost.
pub const EXIT_RECORDED_OUTPUT_LOST: u8 = 3;

/// Help and version go out as clap wrote them. A usage error quotes what was
/// typed, which may hold escape sequences or bidi overrides (pasted from a
/// ticket, or a script's variable): clap only strips ANSI when stderr is not
/// a terminal, so the message is printed plain and neutralised here.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Nothing the user typed is echoed; a failed print (closed pipe)
        // is not worth a message.
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    eprintln!("{}", usage_message(&e).trim_end());
    ExitCode::from(2)
}

/// clap's message with what it quotes from the command line neutralised.
/// Its usual rendering strips ANSI sequences (so `\e[1m5` would read as a
/// plain `5`) and keeps line breaks typed into a value (which could forge a
/// line of its own). So the message is rendered again without any styling,
/// each argument it quotes is replaced by its one-line sanitized form, and
/// the rest is sanitized as a block (clap's own lines stay lines).
fn usage_message(e: &clap::Error) -> String {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let raw = match Cli::command()
        .styles(clap::builder::Styles::plain())
        .try_get_matches_from(&args)
    {
        Err(again) if again.kind() == e.kind() => again.render().ansi().to_string(),
        _ => e.render().to_string(),
    };
    let mut quoted: Vec<&str> = args
        .iter()
        .skip(1)
        .flat_map(|a| [a.as_str(), a.split_once('=').map_or("", |(_, v)| v)])
        .filter(|a| !a.is_empty() && crate::text::sanitize_line(a) != *a)
        .collect();
    // The longest first, so a value is not replaced inside its `--opt=value`.
    quoted.sort_by_key(|a| std::cmp::Reverse(a.len()));
    let mut message = raw;
    for a in quoted {
        message = message.replace(a, &crate::text::sanitize_line(a));
    }
    crate::text::sanitize_block(&message)
}

fn lang_of(cli: &Cli) -> Result<Lang> {
    if let Some(l) = &cli.lang {
        return Lang::parse(l)
            .with_context(|| {
                format!("language '{l}' (from --lang or GUARDIA_LANG) is not one guardia speaks; use es or en")
            });
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    Ok(Lang::from_locale(locale.as_deref()))
}

fn config_dir(cli: &Cli) -> Option<PathBuf> {
    cli.config.clone().or_else(paths::config_dir)
}

fn default_db(cli: &Cli) -> Result<PathBuf> {
    match &cli.db {
        Some(p) => Ok(p.clone()),
        None => paths::data_dir().map(|d| d.join("guardia.db")).context(
            "cannot find a data directory for this user; pass --db PATH or set GUARDIA_DB",
        ),
    }
}

/// The database a command works on: the chosen one, or, while no database
/// of one's own exists yet, the example database (said on stderr, so nobody
/// mistakes it for real work).
fn working_db(cli: &Cli) -> Result<PathBuf> {
    let db = default_db(cli)?;
    if cli.db.is_none() && !db.exists() {
        let example = db.with_file_name(EXAMPLE_DB);
        if example.exists() {
            eprintln!(
                "guardia: using the example database {} (run `guardia init` for your own)",
                example.display()
            );
            return Ok(example);
        }
    }
    Ok(db)
}

/// File name of the example database, beside the default one.
const EXAMPLE_DB: &str = "example.db";

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// Standard output could not be written (a full disk behind a redirect, a
/// terminal that went away). Kept apart from other failures because the
/// command's change may already be committed: see [`output_lost`].
#[derive(Debug, thiserror::Error)]
#[error("could not write to standard output")]
pub struct OutputLost(#[source] pub std::io::Error);

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut text = crate::text::json_for_terminal(&serde_json::to_string_pretty(value)?);
    text.push('\n');
    write_stdout(&text)
}

fn print(text: &str) -> Result<()> {
    if text.ends_with('\n') {
        write_stdout(text)
    } else {
        write_stdout(&format!("{text}\n"))
    }
}

/// Every command's answer goes out here, flushed, so a failure is seen
/// while the command can still say what it means.
fn write_stdout(text: &str) -> Result<()> {
    let mut o = out();
    o.write_all(text.as_bytes())
        .and_then(|()| o.flush())
        .map_err(OutputLost)?;
    Ok(())
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let lang = lang_of(&cli)?;
    // Commands that must work even with a broken configuration.
    match &cli.command {
        // Rendered in memory, then written like every answer: clap_complete
        // panics on a write error, and a closed pipe must stay quiet.
        Some(Command::Completions(a)) => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut cmd, "guardia", &mut script);
            write_stdout(&String::from_utf8_lossy(&script))?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Manpage) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            write_stdout(&String::from_utf8_lossy(&page))?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Config(ConfigCommand::PrintDefault { file })) => {
            return print_default(file.as_deref());
        }
        _ => {}
    }
    let cfg_dir = config_dir(&cli);
    // A folder named on purpose must be there (a typo would run everything
    // on the built-in files); `init` creates it.
    if let Some(named) = &cli.config
        && !matches!(cli.command, Some(Command::Init(_)))
    {
        crate::config::named_folder_exists(named)?;
    }
    let config = if matches!(cli.command, Some(Command::Config(ConfigCommand::Check))) {
        // The console's keymap is configuration too: its problems are
        // listed with the other files', all at once.
        crate::config::ConfigError::both(
            Config::load(cfg_dir.as_deref()),
            crate::tui::keymap::Keymap::load(cfg_dir.as_deref()),
        )?
        .0
    } else {
        Config::load(cfg_dir.as_deref())?
    };
    // `config check` lists them with its other warnings.
    if !matches!(cli.command, Some(Command::Config(ConfigCommand::Check))) {
        for stray in &config.stray_files {
            eprintln!("guardia: {stray}");
        }
    }
    let clock = Clock::from_env()?;
    match cli.command {
        Some(Command::Config(ConfigCommand::Check)) => {
            use chrono::Datelike;
            config_summary(&config, cfg_dir.as_deref(), clock.now().year())?;
            config_check_tickets(&cli, config, clock, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::PrintDefault { .. })) => Ok(ExitCode::SUCCESS),
        Some(Command::Init(ref a)) => {
            let db = default_db(&cli)?;
            init::init(&config, cfg_dir.as_deref(), &db, a, clock, lang)
        }
        None => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
                console::run(&cli, config, cfg_dir.as_deref(), clock, lang)
            } else {
                console_overview(&cli, config, clock, lang)
            }
        }
        Some(Command::Runbook(RunbookCommand::List { json })) => {
            runbook_list(&config, lang, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Workflow(WorkflowCommand::List { json })) => {
            workflow::list(&config, lang, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Workflow(WorkflowCommand::Show { ref name, json })) => {
            workflow::show(&config, lang, name, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(ref command) => {
            let db = working_db(&cli)?;
            let store = match (Store::open(&db), command) {
                // A file damaged where every command starts reading: doctor
                // still reports what SQLite can tell of it.
                (Err(crate::store::StoreError::Damaged { detail, .. }), Command::Doctor(a)) => {
                    let report = crate::store::doctor::Report::unreadable(&db, &detail);
                    return doctor_verdict(&report, None, &db, a.json);
                }
                (opened, _) => opened?,
            };
            warn_of_ignored_wal(&store);
            let mut app = App::new(config, store, clock, lang);
            // Timers fire whenever guardia runs (`tick` reports them) and
            // the SLA cache follows the configuration; `doctor` inspects
            // the database as it is, and `backup` copies it as it is.
            if !matches!(
                command,
                Command::Tick(_) | Command::Doctor(_) | Command::Backup(_)
            ) {
                prepare_quietly(&mut app);
            }
            let recorded_before = app.store.ops_recorded();
            let result = dispatch(&cli, command, &mut app).map_err(|e| {
                // Sync is idempotent: run again, it records nothing twice.
                let repeatable = matches!(command, Command::Sync(_));
                if app.store.ops_recorded() > recorded_before && !repeatable {
                    output_lost_about(e, command_key(command))
                } else {
                    // A refusal in the operator's language (`say_error`).
                    say_error::for_command_line(e, &app)
                }
            });
            warn_of_log_ahead(&app);
            result
        }
    }
}

/// A read-only open that had to leave the `-wal` out: said on stderr
/// before the answer, which misses the changes it holds.
fn warn_of_ignored_wal(store: &Store) {
    if let Some(w) = store.ignored_wal_warning() {
        eprintln!("guardia: warning: {}", sanitize_line(&w));
    }
}

/// After a command that recorded changes (its own, or timers that fell
/// due): when the log is dated far ahead of this computer's clock, the
/// changes were dated as late. Said on stderr; the change stands (see
/// `app::clock_guard`).
fn warn_of_log_ahead(app: &App) {
    if app.store.ops_recorded() == 0 {
        return;
    }
    if let Ok(Some(ahead)) =
        app::clock_guard::log_ahead(&app.reader(), app.store.path(), &app.clock)
    {
        eprintln!(
            "guardia: warning: the change just recorded is dated as late as the log: {}",
            sanitize_line(&ahead)
        );
    }
}

/// The ticket a command changes, as typed, for the commands that name one.
fn command_key(command: &Command) -> Option<&str> {
    Some(match command {
        Command::Set(a) => &a.key,
        Command::Assign(a) => &a.key,
        Command::Move(a) => &a.key,
        Command::Comment(a) => &a.key,
        Command::Worklog(a) => &a.key,
        Command::Attach(a) => &a.key,
        Command::Escalate(a) => &a.key,
        Command::Reject(a) => &a.key,
        Command::Approve(a) => &a.key,
        Command::Link(a) => &a.key,
        _ => return None,
    })
}

/// Prints what `doctor` found; exit 1 when anything is wrong. Tickets
/// holding values the configuration no longer has (`orphans`, when they
/// could be looked for) are warnings: the database is sound, so they do
/// not change the exit status.
fn doctor_verdict(
    report: &crate::store::doctor::Report,
    orphans: Option<Result<Vec<app::orphans::Orphans>, String>>,
    db: &Path,
    json: bool,
) -> Result<ExitCode> {
    if json {
        /// The report, then what the tickets hold that the configuration
        /// lacks (or why that was not looked at).
        #[derive(serde::Serialize)]
        struct WithOrphans<'a> {
            #[serde(flatten)]
            report: &'a crate::store::doctor::Report,
            #[serde(skip_serializing_if = "Option::is_none")]
            orphans: Option<&'a [app::orphans::Orphans]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            orphans_unchecked: Option<&'a str>,
        }
        print_json(&WithOrphans {
            report,
            orphans: orphans.as_ref().and_then(|o| o.as_deref().ok()),
            orphans_unchecked: orphans
                .as_ref()
                .and_then(|o| o.as_ref().err())
                .map(String::as_str),
        })?;
    } else {
        let mut s = match &report.unreadable {
            Some(why) => format!("could not replay the operation log: {why}\n"),
            None => format!(
                "replayed {} operations into {} tickets\n",
                report.ops, report.tickets
            ),
        };
        s.push_str(&format!("integrity: {}\n", report.integrity.join("; ")));
        // Nothing was compared when the log could not be read.
        if report.unreadable.is_none() && report.differences.is_empty() {
            s.push_str("the tables match the operation log\n");
        } else if !report.differences.is_empty() {
            s.push_str(&format!(
                "{} difference(s) between the tables and the log:\n",
                report.differences.len()
            ));
            for d in &report.differences {
                s.push_str(&format!("  {}\n", crate::text::sanitize_line(d)));
            }
        }
        for (title, lines) in [
            ("change(s) missing from the operation log", &report.log_gaps),
            ("attachment file(s) missing or changed", &report.attachments),
        ] {
            if lines.is_empty() {
                continue;
            }
            s.push_str(&format!("{} {title}:\n", lines.len()));
            for line in lines {
                s.push_str(&format!("  {}\n", sanitize_line(line)));
            }
        }
        if report.unreadable.is_none() && report.log_gaps.is_empty() {
            s.push_str("the operation log holds every change it should\n");
        }
        if report.unreadable.is_none() && report.attachments.is_empty() {
            s.push_str("every attachment file of this site is stored unchanged\n");
        }
        for line in report.clock.iter().chain(report.unread_wal.iter()) {
            s.push_str(&format!("{}\n", sanitize_line(line)));
        }
        match &orphans {
            Some(Ok(found)) => s.push_str(&orphan_report(found)),
            Some(Err(why)) => s.push_str(&format!(
                "tickets not checked against the configuration: {}\n",
                sanitize_line(why)
            )),
            None => {}
        }
        print(&s)?;
    }
    if report.healthy() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "guardia: doctor found problems in {}; restore a backup or report it",
        sanitize_line(&db.display().to_string())
    );
    Ok(ExitCode::from(EXIT_FAILURE))
}

/// The tickets that hold values the configuration no longer has, one
/// warning line per kind (`app::orphans`), under a line that says whether
/// there are any.
fn orphan_report(found: &[app::orphans::Orphans]) -> String {
    if found.is_empty() {
        return "every value the tickets hold is in the configuration in force\n".into();
    }
    let mut s = format!(
        "{} kind(s) of value the tickets hold are not in the configuration in force (renamed or removed since); the tickets are sound, but nothing moves them back:\n",
        found.len()
    );
    for o in found {
        s.push_str(&format!("  {}\n", sanitize_line(&o.line())));
    }
    s
}

/// `config check` with a database (`--db`, or the default one when it
/// exists): the tickets that hold values this configuration no longer
/// has ([`orphan_report`]), as warnings (the exit status stays 0). Without
/// a database there is nothing to compare: said only when `--db` named one.
fn config_check_tickets(cli: &Cli, config: Config, clock: Clock, lang: Lang) -> Result<()> {
    let Ok(db) = default_db(cli) else {
        return Ok(());
    };
    let shown = sanitize_line(&db.display().to_string());
    if !db.exists() {
        if cli.db.is_some() {
            print(&format!("no database at {shown}: no tickets checked\n"))?;
        }
        return Ok(());
    }
    let found = Store::open(&db)
        .map_err(AppError::from)
        .and_then(|store| App::new(config, store, clock, lang).orphans());
    match found {
        Ok(found) => print(&format!("tickets of {shown}: {}", orphan_report(&found))),
        Err(e) => print(&format!(
            "tickets of {shown} not checked: {}\n",
            sanitize_line(&e.to_string())
        )),
    }
}

/// Every built-in file a user can copy and edit: the configuration and
/// the console's keymap.
fn default_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    Config::default_texts().chain(std::iter::once((
        "keymap.toml",
        crate::tui::keymap::BUILTIN,
    )))
}

fn print_default(file: Option<&str>) -> Result<ExitCode> {
    let mut found = false;
    for (name, text) in default_files() {
        if file.is_none_or(|f| f == name || f == name.trim_end_matches(".toml")) {
            if file.is_none() {
                print(&format!("# ===== {name} =====\n"))?;
            }
            print(text)?;
            found = true;
        }
    }
    if !found {
        let names: Vec<&str> = default_files().map(|(n, _)| n).collect();
        bail!(
            "no built-in file '{}'; the files are: {}",
            file.unwrap_or(""),
            names.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn config_summary(cfg: &Config, dir: Option<&Path>, year: i32) -> Result<()> {
    let mut s = String::from("configuration OK\n");
    for src in &cfg.sources {
        s.push_str(&format!("  {}\n", sanitize_line(&src.display_name())));
    }
    let keymap = dir.map(|d| d.join("keymap.toml")).filter(|p| p.exists());
    s.push_str(&match keymap {
        Some(p) => format!("  {}\n", sanitize_line(&p.display().to_string())),
        None => "  (built-in) keymap.toml\n".to_string(),
    });
    s.push_str(&format!(
        "{} services, {} ticket types, {} escalation levels, {} priorities, {} SLA policies, {} rejection reasons, {} runbooks, {} operators, {} workflows, {} calendars\n",
        cfg.services.len(),
        cfg.types.len(),
        cfg.levels.len(),
        cfg.priority.priorities.len(),
        cfg.sla_policies.len(),
        cfg.rejections.len(),
        cfg.runbooks.len(),
        cfg.operators.len(),
        cfg.workflows.len(),
        cfg.calendars.len()
    ));
    // Warnings, not errors: misnamed files, roles nobody holds, calendars
    // that go on with every day of an uncovered year a working day.
    for w in cfg.check_warnings(year) {
        s.push_str(&format!("{}\n", sanitize_line(&w)));
    }
    print(&s)
}

/// Writes the built-in files that are not in `dir` yet; never overwrites.
pub(super) fn write_config_copies(dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create the configuration directory {}",
            dir.display()
        )
    })?;
    let mut written = 0;
    for (name, text) in default_files() {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written += 1;
    }
    Ok(written)
}

/// Without a terminal (`guardia | less`, cron): the newest open tickets of
/// the database (or of the example database, created on first use).
fn console_overview(cli: &Cli, config: Config, clock: Clock, lang: Lang) -> Result<ExitCode> {
    let (db, example) = console::console_db(cli, &config, clock, lang)?;
    let store = Store::open(&db)?;
    warn_of_ignored_wal(&store);
    let mut app = App::new(config, store, clock, lang);
    prepare_quietly(&mut app);
    let open = crate::domain::lifecycle::open_states(&app.config.workflows);
    let tickets = app.list(
        ListFilter {
            statuses: open,
            limit: 20,
            // The console's Open view: the queue's work, without records.
            queue_only: true,
            ..Default::default()
        },
        None,
    )?;
    let mut s = format!(
        "guardia — {} — {} ({} tickets)\n\n",
        sanitize_line(&app.config.settings.organisation.name),
        db.display(),
        app.reader().ticket_count()?,
    );
    s.push_str(&output::ticket_table(&tickets, app.clock.now(), lang));
    s.push_str(if lang == Lang::Es {
        "\nEn una terminal, guardia abre la consola interactiva; vea también guardia --help.\n"
    } else {
        "\nIn a terminal, guardia opens the interactive console; see also guardia --help.\n"
    });
    if example {
        s.push_str("(example database)\n");
    }
    print(&s)?;
    Ok(ExitCode::SUCCESS)
}

/// Brings the database up to date before a command: due timers fired, SLA
/// clocks current (see `App::prepare`). A database this process cannot
/// write (read-only file, full disk) must not stop reads: say so and go on.
pub(crate) fn prepare_quietly(app: &mut App) {
    // Another process writing (a long import) must not hold a read up for
    // a minute: the next command brings the database up to date.
    let usual = app.store.set_write_patience(PREPARE_PATIENCE);
    let prepared = app.prepare();
    app.store.set_write_patience(usual);
    match prepared {
        Ok(()) => {}
        Err(AppError::Store(crate::store::StoreError::Busy { .. })) => eprintln!(
            "guardia: warning: another process is writing to the database, so due workflow timers and SLA clocks were not brought up to date; the next command does it (or `guardia tick`)"
        ),
        Err(e) => eprintln!(
            "guardia: warning: workflow timers and SLA clocks could not be brought up to date ({e}); run `guardia tick` once the database is writable"
        ),
    }
}

/// How long bringing the database up to date before a command waits for
/// another process's write.
const PREPARE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

fn assignments(raw: &[String]) -> Result<Vec<(String, String)>, AppError> {
    raw.iter().map(|a| app::parse_assignment(a)).collect()
}

fn dispatch(cli: &Cli, command: &Command, app: &mut App) -> Result<ExitCode> {
    let lang = app.lang;
    let now = app.clock.now();
    // The acting operator, resolved only for commands that change something.
    let actor = |app: &App| -> Result<crate::config::Operator> {
        Ok(identity::resolve(&app.config, cli.as_user.as_deref(), &identity::os_login())?.clone())
    };
    match command {
        Command::New(a) => {
            let who = actor(app)?;
            let created = app.create(
                &who,
                NewTicket {
                    ticket_type: a.ticket_type.clone(),
                    service: a.service.clone(),
                    title: a.title.clone(),
                    description: a.description.clone(),
                    impact: a.impact.clone(),
                    urgency: a.urgency.clone(),
                    priority: a.priority.clone(),
                    justification: a.justification.clone(),
                    fields: assignments(&a.fields)?,
                },
            )?;
            let key = created.ticket.key.clone();
            if a.json {
                print_json(&created).map_err(|e| registered(e, &key))?;
            } else {
                let mut s = say::registered(
                    lang,
                    &created.ticket.key,
                    &created.ticket.status,
                    &created.ticket.priority,
                    &created.priority_decision.raised_by,
                ) + "\n";
                if !created.known.is_empty() {
                    s.push_str(if lang == Lang::Es {
                        "ya se conoce algo parecido (`guardia known apply CLAVE-ERROR CLAVE`):\n"
                    } else {
                        "something like it is known (`guardia known apply KNOWN-KEY KEY`):\n"
                    });
                    s.push_str(&records::suggestion_lines(&created.known, lang));
                }
                if !created.solved.is_empty() {
                    s.push_str(if lang == Lang::Es {
                        "resueltos antes, con su solución:\n"
                    } else {
                        "solved before, with their solution:\n"
                    });
                    for t in &created.solved {
                        s.push_str(&format!(
                            "  {}  {}  {}\n    {}\n",
                            t.key,
                            t.status,
                            crate::text::sanitize_line(&t.title),
                            crate::text::sanitize_line(&t.solution)
                        ));
                    }
                }
                if !created.similar.is_empty() {
                    s.push_str(if lang == Lang::Es {
                        "tickets abiertos parecidos (¿duplicado?):\n"
                    } else {
                        "similar open tickets (duplicate?):\n"
                    });
                    for t in &created.similar {
                        s.push_str(&format!(
                            "  {}  {}  {}\n",
                            t.key,
                            t.status,
                            crate::text::sanitize_line(&t.title)
                        ));
                    }
                }
                print(&s).map_err(|e| registered(e, &key))?;
            }
        }
        Command::Set(a) => {
            let who = actor(app)?;
            // Values equal to the ones held record nothing: say so.
            let ops_before = app.log(&a.key).map(|ops| ops.len()).ok();
            let t = app.set(
                &who,
                &a.key,
                &assignments(&a.assignments)?,
                a.justification.as_deref(),
            )?;
            let unchanged =
                ops_before.is_some_and(|n| app.log(&t.key).is_ok_and(|ops| ops.len() == n));
            let msg = if unchanged {
                say::unchanged(lang, &t.key)
            } else {
                say::updated(lang, &t.key, &t.priority)
            };
            ticket_result(&app.config, &t, a.json, &msg)?;
        }
        Command::Assign(a) => {
            let who = actor(app)?;
            let user = (a.user != "none").then_some(a.user.as_str());
            let done = app.assign_noting(&who, &a.key, user)?;
            let t = &done.ticket;
            let mut msg = say::assigned(lang, &t.key, t.assignee.as_deref(), &t.status);
            if let Some(stayed) = &done.stayed {
                msg = format!("{msg}\n{}", assign_stayed(&app.config, lang, t, stayed));
            }
            ticket_result(&app.config, t, a.json, &msg)?;
        }
        Command::Move(a) => {
            let who = actor(app)?;
            let (t, cascaded) = app.move_cascading(
                &who,
                &a.key,
                &a.state,
                a.note.as_deref(),
                &assignments(&a.fields)?,
            )?;
            ticket_result(
                &app.config,
                &t,
                a.json,
                &say::moved(
                    lang,
                    &t.key,
                    &t.status,
                    &records::cascade_line(&cascaded, lang),
                ),
            )?;
        }
        Command::Approve(a) => {
            let who = actor(app)?;
            let given = app.approve(&who, &a.key, &a.approval, &a.reason)?;
            if a.json {
                print_json(&given)?;
            } else {
                print(&say::approved(
                    lang,
                    &a.key,
                    &given.id,
                    &given.by,
                    &sanitize_line(&given.reason),
                ))?;
            }
        }
        Command::Link(l) => {
            let who = actor(app)?;
            let t = app.link(&who, &l.key, &l.other, &l.kind, l.remove)?;
            print(&say::linked(lang, &t.key, l.remove, &l.other, &l.kind))?;
        }
        Command::Tick(a) => {
            app.ensure_sla_clocks()?;
            let fired = app.fire_due_timers()?;
            if a.json {
                print_json(&fired)?;
            } else if fired.is_empty() {
                print(say::no_timer_due(lang))?;
            } else {
                let mut s = String::new();
                for f in &fired {
                    s.push_str(&format!(
                        "{}: {} -> {} ({} {})\n",
                        f.key,
                        f.from,
                        f.to,
                        if lang == Lang::Es { "vencía" } else { "due" },
                        f.at.format("%Y-%m-%d %H:%M UTC")
                    ));
                }
                print(s.trim_end())?;
            }
        }
        Command::Comment(a) => {
            let who = actor(app)?;
            app.comment(&who, &a.key, &a.text, a.internal)?;
            print(&say::commented(lang, &a.key, a.internal))?;
        }
        Command::Worklog(a) => {
            let who = actor(app)?;
            let minutes = app.worklog(&who, &a.key, &a.duration, a.note.as_deref())?;
            print(&say::logged(
                lang,
                &a.key,
                &crate::domain::duration::format_minutes(minutes),
            ))?;
        }
        Command::Attach(a) => {
            let who = actor(app)?;
            let att = app.attach(&who, &a.key, &a.path)?;
            if a.json {
                print_json(&att)?;
            } else {
                print(&say::attached(
                    lang,
                    &a.key,
                    &crate::text::sanitize_line(&att.name),
                    att.size,
                    &att.sha256,
                ))?;
            }
        }
        Command::Escalate(a) => {
            let who = actor(app)?;
            if a.hierarchical {
                let role = a.to.as_deref().unwrap_or_default();
                let contacts = app.escalate_hierarchical(&who, &a.key, role, a.note.as_deref())?;
                if a.json {
                    print_json(
                        &serde_json::json!({"key": a.key, "mode": "hierarchical", "role": role, "inform": contacts}),
                    )?;
                } else {
                    let mut s = say::escalated_to_role(lang, &a.key, role) + "\n";
                    for c in contacts {
                        s.push_str(&format!(
                            "  {} <{}> {}\n",
                            sanitize_line(&c.name),
                            sanitize_line(&c.email),
                            sanitize_line(&c.phone)
                        ));
                    }
                    print(&s)?;
                }
            } else {
                let level = a.level.unwrap_or_default();
                let dossier = app.escalate(&who, &a.key, level, a.note.as_deref())?;
                if a.json {
                    print_json(&dossier)?;
                } else {
                    print(&format!(
                        "{}\n\n{}",
                        say::escalated_to_level(lang, &a.key, level),
                        crate::domain::escalation::render_markdown(&dossier, lang)
                    ))?;
                }
            }
        }
        Command::Reject(a) => {
            let who = actor(app)?;
            let r = app.reject(&who, &a.key, &a.reason, a.of.as_deref(), a.note.as_deref())?;
            if a.json {
                print_json(&r)?;
            } else {
                // In Spanish the reason's label follows its code: the
                // operator reads the outcome to the caller.
                let reason = match (lang, app.config.rejection(&a.reason)) {
                    (Lang::Es, Some(r)) => {
                        format!("{}, {}", a.reason, sanitize_line(r.label.get(lang)))
                    }
                    _ => a.reason.clone(),
                };
                let mut s = say::rejected(lang, &r.ticket.key, &reason) + "\n";
                if let Some(d) = &r.ticket.duplicate_of {
                    s.push_str(&(say::duplicate_of(lang, d) + "\n"));
                }
                if let Some(g) = &r.guidance {
                    s.push_str(&(say::tell_the_caller(lang, &sanitize_line(g)) + "\n"));
                }
                for c in &r.contacts {
                    s.push_str(&format!(
                        "  {}: {} <{}> {}\n",
                        say::incident_manager(lang),
                        sanitize_line(&c.name),
                        sanitize_line(&c.email),
                        sanitize_line(&c.phone)
                    ));
                }
                print(&s)?;
            }
        }
        Command::Dossier(a) if a.sent => {
            let sent = app.sent_dossier(&a.key)?;
            match a.format {
                DossierFormat::Json => print_json(&sent)?,
                DossierFormat::Md => print(&format!(
                    "{}\n{}",
                    crate::domain::escalation::render_markdown(&sent.dossier, lang),
                    if lang == Lang::Es {
                        format!(
                            "_Enviado por {} el {}._\n",
                            sanitize_line(&sent.by),
                            sent.at.format("%Y-%m-%d %H:%M UTC")
                        )
                    } else {
                        format!(
                            "_Sent by {} on {}._\n",
                            sanitize_line(&sent.by),
                            sent.at.format("%Y-%m-%d %H:%M UTC")
                        )
                    }
                ))?,
            }
        }
        Command::Dossier(a) => {
            let d = app.dossier(&a.key, a.level)?;
            match a.format {
                DossierFormat::Json => print_json(&d)?,
                DossierFormat::Md => print(&crate::domain::escalation::render_markdown(&d, lang))?,
            }
        }
        Command::Runbook(r) => runbook(r, app, &actor)?,
        Command::Sla(a) => {
            // All or nothing: a script reads every ledger or none, told
            // which key stopped it.
            let several = a.keys.len() > 1;
            let reports = a
                .keys
                .iter()
                .map(|key| {
                    app.sla(key).map_err(|e| {
                        let text = e.to_string();
                        if several && !text.contains(key.as_str()) {
                            anyhow::anyhow!("{key}: {text}")
                        } else {
                            e.into()
                        }
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            match (a.json, reports.as_slice()) {
                // One key: the object, as ever; several: an array of them.
                (true, [one]) => print_json(one)?,
                (true, _) => print_json(&reports)?,
                (false, _) => print(
                    &reports
                        .iter()
                        .map(|r| output::sla_report(r, &app.config, now, lang))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )?,
            }
        }
        Command::Dashboard(a) => dashboard::run(a, app)?,
        Command::List(a) => {
            let statuses = if a.open {
                crate::domain::lifecycle::open_states(&app.config.workflows)
            } else {
                a.statuses.clone()
            };
            let filter = ListFilter {
                statuses,
                priority: a.priority.clone(),
                service: a.service.clone(),
                assignee: a
                    .assignee
                    .as_ref()
                    .map(|u| (u != "none").then(|| u.clone())),
                level: a.level,
                query: a.query.clone(),
                after_no: None,
                ascending: a.sort != ListSort::Newest,
                // The conflicts are listed in arrival order whatever the
                // sort: a closed ticket has no clock, and its conflict must
                // still be seen.
                by_sla: a.sort == ListSort::Sla && !a.conflicts,
                conflicts: a.conflicts,
                limit: usize::from(a.limit),
                // `--open` is the console's Open view: problems and known
                // errors are records, not the queue's work; but one assigned
                // to someone is their work, as in "My tickets".
                queue_only: a.open
                    && !a.records
                    && a.assignee.as_deref().is_none_or(|u| u == "none"),
                ..Default::default()
            };
            let (tickets, notes) = app.list_noting(filter, a.after.as_deref())?;
            // A filter on a value the configuration no longer has: said
            // beside the answer, which stays what scripts read.
            for note in notes {
                eprintln!(
                    "guardia: {}: {}",
                    if lang == Lang::Es { "nota" } else { "note" },
                    sanitize_line(&note)
                );
            }
            let conflicted = in_conflict(app, &tickets)?;
            let tickets: Vec<_> = tickets
                .into_iter()
                .map(|t| app::conflicts::without_past_rejection(&app.config, t))
                .collect();
            if a.json {
                print_json(&output::listed(
                    &tickets,
                    &app.list_clocks(&tickets)?,
                    &conflicted,
                ))?;
            } else if tickets.is_empty() {
                print(if lang == Lang::Es {
                    "no hay tickets que coincidan"
                } else {
                    "no matching tickets"
                })?;
            } else {
                print(&output::ticket_table_marked(
                    &tickets,
                    &conflicted,
                    now,
                    lang,
                ))?;
            }
        }
        Command::Show(a) => {
            let mut d = app.detail(&a.key)?;
            let conflicts = app::conflicts::of_ticket(&app.reader(), &d.ticket)?;
            d.ticket = app::conflicts::without_past_rejection(&app.config, d.ticket);
            if a.json {
                print_json(&output::Shown {
                    detail: &d,
                    conflicts: &conflicts,
                })?;
            } else {
                print(&output::detail(&d, &conflicts, &app.config, lang, now))?;
            }
        }
        Command::Search(a) => {
            let hits: Vec<_> = app
                .search(&a.text, usize::from(a.limit))?
                .into_iter()
                .map(|mut h| {
                    h.ticket = app::conflicts::without_past_rejection(&app.config, h.ticket);
                    h
                })
                .collect();
            if a.json {
                let arr: Vec<serde_json::Value> = hits
                    .iter()
                    .map(|h| {
                        let mut v = serde_json::to_value(&h.ticket).unwrap_or_default();
                        v["rank"] = serde_json::json!(h.rank);
                        v
                    })
                    .collect();
                print_json(&arr)?;
            } else if hits.is_empty() {
                print(if lang == Lang::Es {
                    "sin resultados"
                } else {
                    "no results"
                })?;
            } else {
                let tickets: Vec<_> = hits.into_iter().map(|h| h.ticket).collect();
                let conflicted = in_conflict(app, &tickets)?;
                print(&output::ticket_table_marked(
                    &tickets,
                    &conflicted,
                    now,
                    lang,
                ))?;
            }
        }
        Command::Log(a) => {
            let ops = app.log(&a.key)?;
            if a.json {
                print_json(&ops)?;
            } else {
                let reader = app.reader();
                let key_of = |id: &str| reader.ticket_by_id(id).ok().flatten().map(|(_, t)| t.key);
                print(&output::op_log(&ops, lang, &key_of))?;
            }
        }
        Command::Problem(c) => records::problem(c, app, &actor)?,
        Command::Known(c) => records::known(c, app, &actor)?,
        Command::Major(c) => records::major(c, app, &actor)?,
        Command::Sync(c) => {
            let by = identity::resolve(&app.config, cli.as_user.as_deref(), &identity::os_login())
                .map(|o| o.id.get_ref().clone())
                .unwrap_or_else(|_| identity::os_login());
            return sync::run(c, app, &by);
        }
        Command::Doctor(a) => {
            let mut report = match app.store.doctor() {
                Err(crate::store::StoreError::Damaged { detail, .. }) => {
                    crate::store::doctor::Report::unreadable(app.store.path(), &detail)
                }
                other => other?,
            };
            // The log's dates against this computer's clock, which only
            // the application knows how to read.
            if report.unreadable.is_none() {
                report.clock =
                    app::clock_guard::log_ahead(&app.reader(), app.store.path(), &app.clock)?;
            }
            // A file that cannot be replayed is not read any further.
            let orphans = report
                .unreadable
                .is_none()
                .then(|| app.orphans().map_err(|e| e.to_string()));
            return doctor_verdict(&report, orphans, app.store.path(), a.json);
        }
        Command::Backup(a) => files::backup(a, app)?,
        Command::Attachments(a) => files::attachments(a, app)?,
        Command::Compact(a) => {
            let started = std::time::Instant::now();
            let before = app.store.text_index_shape()?.segments;
            app.store.compact_text_indexes()?;
            let after = app.store.text_index_shape()?.segments;
            let seconds = started.elapsed().as_secs_f64();
            if a.json {
                print_json(&serde_json::json!({
                    "segments_before": before,
                    "segments_after": after,
                    "seconds": seconds,
                }))?;
            } else {
                print(&format!(
                    "full-text index: {before} segment(s) before, {after} after ({seconds:.1} s)\n"
                ))?;
            }
        }
        Command::Generate(a) => {
            let started = std::time::Instant::now();
            let total = a.tickets;
            let history = if a.bare {
                app::generate::History::Bare
            } else {
                app::generate::History::Full
            };
            let (tickets, ops) = app::generate::generate(app, total, a.seed, history, |done| {
                if total >= 20_000 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    eprint!("\rgenerated {done}/{total}");
                }
            })?;
            if total >= 20_000 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprintln!();
            }
            let secs = started.elapsed().as_secs_f64();
            print(&format!(
                "generated {tickets} tickets ({ops} operations) in {secs:.2} s: {:.0} tickets/s",
                tickets as f64 / secs.max(1e-9)
            ))?;
        }
        Command::Report(a) => report::run(a, app)?,
        Command::Init(_)
        | Command::Config(_)
        | Command::Completions(_)
        | Command::Manpage
        | Command::Workflow(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// The ids of the tickets with an open sync conflict (a look-up of the
/// conflict table's key per ticket, none when it is empty).
fn in_conflict(
    app: &App,
    tickets: &[crate::domain::ticket::Ticket],
) -> Result<std::collections::HashSet<String>> {
    let ids: Vec<&str> = tickets.iter().map(|t| t.id.as_str()).collect();
    Ok(app.reader().conflicted(&ids)?)
}

/// Why an assigned ticket stayed in its initial state, and who takes it on.
fn assign_stayed(
    cfg: &Config,
    lang: Lang,
    t: &crate::domain::ticket::Ticket,
    stayed: &app::Stayed,
) -> String {
    use crate::domain::lifecycle::Refusal;
    match stayed.refusal.as_ref() {
        Refusal::RoleNotAllowed {
            allowed_roles,
            who_can,
            ..
        } => {
            let roles: Vec<String> = allowed_roles
                .iter()
                .map(|r| {
                    cfg.role(r)
                        .map_or_else(|| r.clone(), |role| role.name.get(lang).to_string())
                })
                .collect();
            let mut who = roles.join(", ");
            if !who_can.is_empty() {
                who.push_str(&format!(" ({})", who_can.join(", ")));
            }
            let name = crate::tui::i18n::state_label(cfg, lang, &t.ticket_type, &t.status);
            say::assign_left_to(lang, &t.key, &t.status, &name, &stayed.target, &who)
        }
        other => say::assign_left_because(
            lang,
            &t.key,
            &t.status,
            &stayed.target,
            &other.to_string().replace(" KEY ", &format!(" {} ", t.key)),
        ),
    }
}

fn ticket_result(
    cfg: &Config,
    t: &crate::domain::ticket::Ticket,
    json: bool,
    msg: &str,
) -> Result<()> {
    if json {
        print_json(&app::conflicts::without_past_rejection(cfg, t.clone()))
    } else {
        print(msg)
    }
}

fn runbook(
    r: &RunbookCommand,
    app: &mut App,
    actor: &dyn Fn(&App) -> Result<crate::config::Operator>,
) -> Result<()> {
    let lang = app.lang;
    match r {
        RunbookCommand::List { json } => runbook_list(&app.config, lang, *json)?,
        RunbookCommand::Run { name, key } => {
            let who = actor(app)?;
            app.runbook_run(&who, name, key)?;
            print(&say::runbook_started(lang, key, name))?;
        }
        RunbookCommand::Tick {
            key,
            item,
            evidence,
            undo,
        } => {
            let who = actor(app)?;
            let (rb, item) = app.runbook_tick(&who, key, item, evidence.as_deref(), !undo)?;
            print(&say::runbook_ticked(lang, key, &rb, &item, *undo))?;
        }
    }
    Ok(())
}

/// The configured runbooks (needs no database).
fn runbook_list(cfg: &Config, lang: Lang, json: bool) -> Result<()> {
    if json {
        let v: Vec<serde_json::Value> = cfg
                    .runbooks
                    .iter()
                    .map(|rb| {
                        serde_json::json!({
                            "id": rb.id.get_ref(), "name": rb.name.get(lang),
                            "services": rb.services.iter().map(|s| s.get_ref()).collect::<Vec<_>>(),
                            "level1_checks": rb.level1_checks,
                            "items": rb.items.iter().map(|i| serde_json::json!({"id": i.id.get_ref(), "text": i.text})).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
        print_json(&v)?;
    } else {
        let mut s = String::new();
        for rb in &cfg.runbooks {
            s.push_str(&format!(
                "{}  {}{}\n",
                rb.id.get_ref(),
                sanitize_line(rb.name.get(lang)),
                match (rb.level1_checks, lang) {
                    (false, _) => "",
                    (true, Lang::Es) => "  [verificaciones de nivel 1]",
                    (true, Lang::En) => "  [level-1 checks]",
                }
            ));
            for i in &rb.items {
                s.push_str(&format!(
                    "    {:<20} {}\n",
                    i.id.get_ref(),
                    sanitize_line(&i.text)
                ));
            }
        }
        print(&s)?;
    }
    Ok(())
}
