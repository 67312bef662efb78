//! `guardia sync …`: the command-line face of `app::sync` and
//! `app::transport`, in text and JSON.

use super::{print, print_json};
use crate::app::App;
use crate::app::sync::{
    ClockAhead, Destination, ExportReport, ImportOutcome, ImportReport, ProgressFn, SyncPhase,
    SyncProgress, SyncStatus, Target,
};
use crate::app::transport::{FolderReport, GitReport};
use crate::cli::args::SyncCommand;
use crate::config::Lang;
use crate::sync::words::{self, count};
// Every value printed here sits on one line of a report: a newline in a
// path or a code must not start a forged line of its own.
use crate::text::sanitize_line as clean;
use anyhow::Result;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Bundles with fewer changes than this finish too fast to need a
/// progress line on a terminal.
const PROGRESS_FROM_OPS: u64 = 20_000;

/// Prints sync progress on stderr: one line rewritten in place on a
/// terminal (for bundles of `PROGRESS_FROM_OPS` changes or more), or a
/// line per tenth when asked with `--progress` and stderr is a file.
fn progress_printer(forced: bool, open_line: Arc<AtomicBool>) -> Option<ProgressFn> {
    let tty = std::io::stderr().is_terminal();
    let mut last: Option<(SyncPhase, u64)> = None;
    Some(Box::new(move |p: SyncProgress| {
        // Said whether or not progress is shown: without it, a sync that
        // waits for another one looks hung for up to a minute.
        if p.phase == SyncPhase::Waiting {
            eprintln!(
                "guardia: waiting for another sync of this database through the same folder or repository to finish…"
            );
            return;
        }
        if !tty && !forced {
            return;
        }
        if p.total == 0 || (!forced && p.total < PROGRESS_FROM_OPS) {
            return;
        }
        let pct = p.done.min(p.total) * 100 / p.total;
        let step = if tty { 1 } else { 10 };
        // A phase starting again at 0 is the next file (or a retry).
        let due = match last {
            Some((phase, shown)) => {
                phase != p.phase
                    || p.done == 0
                    || pct >= shown + step
                    || (pct == 100 && shown < 100)
            }
            None => true,
        };
        if !due {
            return;
        }
        last = Some((p.phase, pct));
        let line = format!(
            "{} {}/{} changes ({pct}%)",
            p.phase.label(),
            p.done.min(p.total),
            p.total
        );
        let mut err = std::io::stderr().lock();
        // A failed progress line must not fail the sync itself.
        let _ = if tty {
            let done = p.done >= p.total;
            open_line.store(!done, Ordering::SeqCst);
            let end = if done { "\n" } else { "" };
            write!(err, "\r\x1b[2K{line}{end}")
        } else {
            writeln!(err, "{line}")
        };
    }))
}

/// Ends a progress line left open by a sync that stopped half-way, so the
/// message that follows starts on a line of its own.
fn close_progress_line(open_line: &AtomicBool) {
    if open_line.swap(false, Ordering::SeqCst) {
        eprintln!();
    }
}

pub fn run(cmd: &SyncCommand, app: &mut App, by: &str) -> Result<ExitCode> {
    let forced = matches!(
        cmd,
        SyncCommand::Export { progress: true, .. }
            | SyncCommand::Import { progress: true, .. }
            | SyncCommand::Folder { progress: true, .. }
            | SyncCommand::Git { progress: true, .. }
    );
    let open_line = Arc::new(AtomicBool::new(false));
    app.progress = progress_printer(forced, open_line.clone());
    let outcome = run_command(cmd, app, by, &open_line);
    close_progress_line(&open_line);
    outcome
}

fn run_command(
    cmd: &SyncCommand,
    app: &mut App,
    by: &str,
    open_line: &AtomicBool,
) -> Result<ExitCode> {
    let lang = app.lang;
    match cmd {
        SyncCommand::Export {
            out,
            target,
            relay,
            json,
            ..
        } => {
            let target = if target.eq_ignore_ascii_case("all") {
                Target::Cursor("all".into())
            } else {
                Target::Site(target.clone())
            };
            let report = app
                .export(&Destination::File(out.clone()), &target, *relay, false)?
                .ok_or_else(|| anyhow::anyhow!("nothing was exported"))?;
            if *json {
                print_json(&report)?;
            } else {
                print(&export_line(lang, &report))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Import { files, json, .. } => {
            let mut reports = Vec::new();
            let mut failed = Vec::new();
            for f in files {
                match app.import(f, by) {
                    Ok(r) => reports.push(r),
                    Err(e) => {
                        close_progress_line(open_line);
                        failed.push(e.to_string());
                    }
                }
            }
            let printed = if *json {
                print_json(&serde_json::json!({"imported": reports, "refused": failed}))
            } else {
                let mut s = String::new();
                for r in &reports {
                    s.push_str(&import_line(lang, r));
                }
                if s.is_empty() { Ok(()) } else { print(&s) }
            };
            // The refusals go to stderr, with --json too and even when
            // stdout fails: a file that was not imported must not pass
            // unnoticed by whoever reads only the messages.
            for e in &failed {
                eprintln!("guardia: {}", clean(e));
            }
            printed?;
            Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        SyncCommand::Folder { dir, json, .. } => {
            let report = app.sync_folder(dir, by)?;
            close_progress_line(open_line);
            let printed = if *json {
                print_json(&report)
            } else {
                print(&folder_text(lang, &report))
            };
            folder_failures(lang, &report);
            printed?;
            Ok(if report.refused.is_empty() && report.withheld.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        SyncCommand::Git {
            repo, branch, json, ..
        } => {
            let report = app.sync_git(repo, branch, by)?;
            close_progress_line(open_line);
            let printed = if *json {
                print_json(&report)
            } else {
                print(&git_text(lang, &report))
            };
            folder_failures(lang, &report.folder);
            // The failure goes to stderr even when stdout fails, with what
            // was done before it: the imports stay, and this site's
            // changes wait, committed, in the clone.
            if let Some(e) = &report.error {
                let waiting = if report.committed || report.push_retries > 0 {
                    format!(
                        "this site's changes are sealed and committed in the clone {}, waiting to be pushed",
                        report.clone
                    )
                } else {
                    format!(
                        "this site's files wait in the clone {} to be committed",
                        report.clone
                    )
                };
                eprintln!(
                    "guardia: {}",
                    clean(&format!(
                        "{e}. Nothing is lost: the bundles listed as imported stay imported, and {waiting}; run `guardia sync git {}{}` again",
                        report.repository,
                        if report.branch == "guardia-sync" {
                            String::new()
                        } else {
                            format!(" --branch {}", report.branch)
                        }
                    ))
                );
            }
            printed?;
            Ok(
                if report.folder.refused.is_empty()
                    && report.folder.withheld.is_none()
                    && report.error.is_none()
                {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                },
            )
        }
        SyncCommand::Status { json } => {
            let st = app.sync_status()?;
            if *json {
                print_json(&st)?;
            } else {
                print(&status_text(lang, &st))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Revoke { site } => {
            let site = app.revoke(site)?;
            let (code, id) = (clean(&site.code), clean(&site.site_id));
            print(&match lang {
                Lang::En => format!(
                    "revoked site {code} ({id}): its bundles and changesets are refused from now on; what was imported from it stays\n"
                ),
                Lang::Es => format!(
                    "revocada la sede {code} ({id}): desde ahora se rechazan sus archivos y sus conjuntos de cambios; lo que se importó de ella se conserva\n"
                ),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Trust { what } => {
            let site = app.trust(what)?;
            let (code, id) = (clean(&site.code), clean(&site.site_id));
            let fp = site
                .pubkey
                .as_deref()
                .map(crate::sync::keys::fingerprint)
                .unwrap_or_default();
            print(&match lang {
                Lang::En => format!("trusted site {code} ({id}), key fingerprint {fp}\n"),
                Lang::Es => {
                    format!("confianza dada a la sede {code} ({id}), huella de la clave {fp}\n")
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Key { out } => {
            let key = app.key_file()?;
            let text = serde_json::to_string_pretty(&key)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(path, &text)
                        .map_err(|e| crate::sync::format::write_failed(path, e))?;
                    let (code, file, fp) = (
                        clean(&key.code),
                        clean(&path.display().to_string()),
                        crate::sync::keys::fingerprint(&key.key),
                    );
                    print(&match lang {
                        Lang::En => {
                            format!("wrote the key of site {code} to {file} (fingerprint {fp})\n")
                        }
                        Lang::Es => {
                            format!("escrita la clave de la sede {code} en {file} (huella {fp})\n")
                        }
                    })?;
                }
                None => print(&text)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn ranges(contains: &std::collections::BTreeMap<String, Vec<[i64; 2]>>) -> String {
    contains
        .iter()
        .map(|(code, r)| {
            let r: Vec<String> = r.iter().map(|[a, b]| format!("{a}-{b}")).collect();
            format!("{} {}", clean(code), r.join(","))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `1 change` / `2 changes` in the operator's language (`es` words given).
fn n_of(lang: Lang, n: impl Into<i64>, en: (&str, &str), es: (&str, &str)) -> String {
    match lang {
        Lang::En => count(n, en.0, en.1),
        Lang::Es => count(n, es.0, es.1),
    }
}

fn changes(lang: Lang, n: u64) -> String {
    n_of(lang, n as i64, ("change", "changes"), ("cambio", "cambios"))
}

fn changesets(lang: Lang, n: u64) -> String {
    n_of(
        lang,
        n as i64,
        ("changeset", "changesets"),
        ("conjunto de cambios", "conjuntos de cambios"),
    )
}

fn export_line(lang: Lang, r: &ExportReport) -> String {
    let (file, bytes) = (clean(&r.file), r.bytes);
    if r.changesets == 0 {
        return match lang {
            Lang::En => format!(
                "exported no new changes (the bundle carries this site's acknowledgements) to {file} ({bytes} bytes)\n"
            ),
            Lang::Es => format!(
                "exportado sin cambios nuevos (el archivo lleva los acuses de recibo de esta sede) a {file} ({bytes} bytes)\n"
            ),
        };
    }
    let (ops, sets, what) = (
        changes(lang, r.ops),
        changesets(lang, r.changesets),
        ranges(&r.contains),
    );
    match lang {
        Lang::En => format!("exported {ops} in {sets} ({what}) to {file} ({bytes} bytes)\n"),
        Lang::Es => format!(
            "{} {ops} en {sets} ({what}) a {file} ({bytes} bytes)\n",
            if r.ops == 1 {
                "exportado"
            } else {
                "exportados"
            }
        ),
    }
}

/// `imported 2 new changes in 1 changeset (5 already here), 1 ticket
/// updated`.
fn imported_text(
    lang: Lang,
    changesets_new: u64,
    already_held: u64,
    new_ops: u64,
    created: usize,
    updated: usize,
) -> String {
    let sets = changesets(lang, changesets_new);
    let (created, updated) = (created as i64, updated as i64);
    match lang {
        Lang::En => {
            let ops = count(new_ops as i64, "new change", "new changes");
            let held = if already_held > 0 {
                format!(" ({already_held} already here)")
            } else {
                String::new()
            };
            let tickets = match (created, updated) {
                (0, 0) => "no ticket changed yet".to_string(),
                (c, 0) => format!("{} created", count(c, "ticket", "tickets")),
                (0, u) => format!("{} updated", count(u, "ticket", "tickets")),
                (c, u) => format!("{} created, {u} updated", count(c, "ticket", "tickets")),
            };
            format!("imported {ops} in {sets}{held}, {tickets}")
        }
        Lang::Es => {
            let ops = count(new_ops as i64, "cambio nuevo", "cambios nuevos");
            let held = match already_held {
                0 => String::new(),
                1 => " (1 ya estaba aquí)".to_string(),
                n => format!(" ({n} ya estaban aquí)"),
            };
            let made = |n: i64, one: &str, many: &str| if n == 1 { one } else { many }.to_string();
            let tickets = match (created, updated) {
                (0, 0) => "ningún ticket cambió aún".to_string(),
                (c, 0) => format!(
                    "{} {}",
                    count(c, "ticket", "tickets"),
                    made(c, "creado", "creados")
                ),
                (0, u) => format!(
                    "{} {}",
                    count(u, "ticket", "tickets"),
                    made(u, "actualizado", "actualizados")
                ),
                (c, u) => format!(
                    "{} {}, {u} {}",
                    count(c, "ticket", "tickets"),
                    made(c, "creado", "creados"),
                    made(u, "actualizado", "actualizados")
                ),
            };
            let verb = if new_ops == 1 {
                "importado"
            } else {
                "importados"
            };
            format!("{verb} {ops} en {sets}{held}, {tickets}")
        }
    }
}

fn import_line(lang: Lang, r: &ImportReport) -> String {
    let exporter = clean(&r.exporter);
    let what = match &r.outcome {
        ImportOutcome::Imported {
            changesets,
            already_held,
            new_ops,
            created,
            updated,
            ..
        } => imported_text(
            lang,
            *changesets,
            *already_held,
            *new_ops,
            *created,
            *updated,
        ),
        // A bundle without changesets still carries its exporter's
        // acknowledgements (its `knows`), which the import recorded.
        ImportOutcome::NothingNew { changesets: 0 } => match lang {
            Lang::En => format!(
                "nothing to import: the bundle carries no changes, only the acknowledgements of site {exporter} (recorded)"
            ),
            Lang::Es => format!(
                "nada que importar: el archivo no trae cambios, solo los acuses de recibo de la sede {exporter} (registrados)"
            ),
        },
        ImportOutcome::NothingNew { changesets } => match (lang, changesets) {
            (Lang::En, 1) => "nothing new: its 1 changeset was already here".to_string(),
            (Lang::En, n) => format!("nothing new: all {n} changesets were already here"),
            (Lang::Es, 1) => "nada nuevo: su único conjunto de cambios ya estaba aquí".to_string(),
            (Lang::Es, n) => format!("nada nuevo: los {n} conjuntos de cambios ya estaban aquí"),
        },
        ImportOutcome::AlreadyImported { at, by, first_file } => {
            let when = crate::domain::ticket::ms_to_time(*at).format("%Y-%m-%d %H:%M UTC");
            let (by, first) = (clean(by), clean(first_file));
            match lang {
                Lang::En => {
                    format!("already imported {when} by {by} (as {first}); nothing changed")
                }
                Lang::Es => format!("ya importado el {when} por {by} (como {first}); nada cambió"),
            }
        }
    };
    let mut s = match lang {
        Lang::En => format!("{} (from {exporter}): {what}\n", clean(&r.file)),
        Lang::Es => format!("{} (de {exporter}): {what}\n", clean(&r.file)),
    };
    for w in &r.clock_ahead {
        s.push_str(&format!("  {}\n", clean(&clock_warning(lang, w))));
    }
    s
}

/// An origin whose clock runs ahead, as an import warns of it.
fn clock_warning(lang: Lang, w: &ClockAhead) -> String {
    let by = crate::domain::duration::format_minutes(w.minutes);
    match lang {
        Lang::En => format!(
            "warning: site {}'s clock is {by} ahead of this one; its changes keep their order, but check its clock",
            w.code
        ),
        Lang::Es => format!(
            "aviso: el reloj de la sede {} va {by} por delante del de esta; sus cambios conservan su orden, pero revise su reloj",
            w.code
        ),
    }
}

/// A bundle that brought acknowledgements alone: a shared folder's sites
/// publish one when they hold more than they last said, and a folder's
/// report does not list them (nothing changed here).
fn acks_only(r: &ImportReport) -> bool {
    matches!(r.outcome, ImportOutcome::NothingNew { changesets: 0 })
}

/// What made a folder sync fail (exit 1), on stderr as well as in the
/// report on stdout: a refused file, an export withheld. Whoever reads
/// only the messages (cron mail, a script keeping stdout or the JSON)
/// must not miss it.
fn folder_failures(lang: Lang, r: &FolderReport) {
    for e in &r.refused {
        eprintln!("guardia: refused: {}", clean(e));
    }
    if let (None, Some(_)) = (&r.exported, &r.withheld) {
        eprintln!("guardia: {}", clean(&withheld_line(lang, r)));
    }
}

/// `export withheld: …`, in the operator's language.
fn withheld_line(lang: Lang, r: &FolderReport) -> String {
    let why = match (&r.withheld_why, &r.withheld) {
        (Some(w), _) => words::withheld(lang, w),
        (None, Some(w)) => w.clone(),
        (None, None) => String::new(),
    };
    match lang {
        Lang::En => format!("export withheld: {why}"),
        Lang::Es => format!("exportación retenida: {why}"),
    }
}

fn folder_text(lang: Lang, r: &FolderReport) -> String {
    let mut s = String::new();
    let listed: Vec<&ImportReport> = r.imported.iter().filter(|i| !acks_only(i)).collect();
    for i in &listed {
        s.push_str(&import_line(lang, i));
    }
    match (&r.exported, &r.withheld) {
        (Some(e), _) if e.changesets == 0 => s.push_str(&match lang {
            Lang::En => format!(
                "nothing new to export; this site's acknowledgements went out in {}\n",
                clean(&e.file)
            ),
            Lang::Es => format!(
                "nada nuevo que exportar; los acuses de recibo de esta sede salieron en {}\n",
                clean(&e.file)
            ),
        }),
        (Some(e), _) => {
            let (ops, file, what) = (changes(lang, e.ops), clean(&e.file), ranges(&e.contains));
            s.push_str(&match lang {
                Lang::En => format!("exported {ops} to {file} ({what})\n"),
                Lang::Es => format!(
                    "{} {ops} a {file} ({what})\n",
                    if e.ops == 1 {
                        "exportado"
                    } else {
                        "exportados"
                    }
                ),
            });
        }
        (None, Some(_)) => {
            s.push_str(&clean(&withheld_line(lang, r)));
            s.push('\n');
        }
        (None, None) => s.push_str(match lang {
            Lang::En => "nothing new to export\n",
            Lang::Es => "nada nuevo que exportar\n",
        }),
    }
    let untrusted: Vec<String> = if r.pending.is_empty() {
        r.untrusted.clone()
    } else {
        r.pending
            .iter()
            .map(|p| words::untrusted(lang, p))
            .collect()
    };
    for u in &untrusted {
        s.push_str(&match lang {
            Lang::En => format!("not trusted yet: {}\n", clean(u)),
            Lang::Es => format!("sin confianza aún: {}\n", clean(u)),
        });
    }
    // Refusals are errors, in English as every error (docs/cli.md).
    for e in &r.refused {
        s.push_str(&format!("refused: {}\n", clean(e)));
    }
    if listed.is_empty() && r.refused.is_empty() {
        s.push_str(match lang {
            Lang::En => "nothing new to import\n",
            Lang::Es => "nada nuevo que importar\n",
        });
    }
    s
}

fn git_text(lang: Lang, r: &GitReport) -> String {
    let branch = clean(&r.branch);
    let mut s = String::new();
    for f in &r.restored {
        let deleted = r.restored_deleted.contains(f);
        let f = clean(f);
        s.push_str(&match (lang, deleted) {
            (Lang::En, false) => {
                format!("restored {f} as branch {branch} has it (it was changed in the clone)\n")
            }
            (Lang::En, true) => {
                format!("restored {f} as branch {branch} has it (it was deleted in the clone)\n")
            }
            (Lang::Es, false) => format!(
                "restaurado {f} como lo tiene la rama {branch} (se había modificado en el clon)\n"
            ),
            (Lang::Es, true) => format!(
                "restaurado {f} como lo tiene la rama {branch} (se había borrado en el clon)\n"
            ),
        });
    }
    for f in &r.removed {
        let f = clean(f);
        s.push_str(&match lang {
            Lang::En => format!(
                "removed {f} from branch {branch} (deleted in the clone, and not written by this database)\n"
            ),
            Lang::Es => format!(
                "quitado {f} de la rama {branch} (borrado en el clon, y no lo escribió esta base de datos)\n"
            ),
        });
    }
    s.push_str(&folder_text(lang, &r.folder));
    let outcome = match (lang, r.pushed, r.error.is_some()) {
        (Lang::En, true, _) => "pushed",
        (Lang::En, false, true) => "not pushed",
        (Lang::En, false, false) => "nothing to push",
        (Lang::Es, true, _) => "enviado",
        (Lang::Es, false, true) => "no enviado",
        (Lang::Es, false, false) => "nada que enviar",
    };
    let retried = match (lang, r.push_retries) {
        (_, 0) => String::new(),
        _ if !r.pushed => String::new(),
        (Lang::En, n) => format!(
            " (after {}, pulled and pushed again)",
            count(n, "rejected push", "rejected pushes")
        ),
        (Lang::Es, n) => format!(
            " (tras {}, se trajo lo nuevo y se envió otra vez)",
            count(n, "envío rechazado", "envíos rechazados")
        ),
    };
    let repo = clean(&r.repository);
    s.push_str(&match lang {
        Lang::En => format!("git: {repo} on branch {branch}: {outcome}{retried}\n"),
        Lang::Es => format!("git: {repo} en la rama {branch}: {outcome}{retried}\n"),
    });
    s
}

fn status_text(lang: Lang, st: &SyncStatus) -> String {
    let es = lang == Lang::Es;
    let made = match lang {
        Lang::En => format!("{} made here", changes(lang, st.last_seq as u64)),
        Lang::Es => format!(
            "{} {}",
            changes(lang, st.last_seq as u64),
            if st.last_seq == 1 {
                "hecho aquí"
            } else {
                "hechos aquí"
            }
        ),
    };
    let mut s = match lang {
        Lang::En => format!("site {} (dataset {}), {made}\n", st.site, st.dataset),
        Lang::Es => format!(
            "sede {} (conjunto de datos {}), {made}\n",
            st.site, st.dataset
        ),
    };
    let span = |ranges: &[[i64; 2]]| -> String {
        ranges
            .iter()
            .map(|[a, b]| format!("{a}-{b}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    for site in &st.sites {
        // Two sites with one code are told apart by their site ids,
        // which commands then take instead of the code.
        let shared = st
            .sites
            .iter()
            .filter(|o| o.code.eq_ignore_ascii_case(&site.code))
            .count()
            > 1;
        // Trust states are ids, as in --json; "this" is a word.
        let trust = match (site.this_site, es) {
            (true, false) => "this",
            (true, true) => "esta",
            (false, _) => site.trust.as_str(),
        };
        let held = match (site.held.is_empty(), es) {
            (true, false) => "holds nothing".to_string(),
            (true, true) => "no tiene nada".to_string(),
            (false, false) => format!("holds {}", span(&site.held)),
            (false, true) => format!("tiene {}", span(&site.held)),
        };
        let fp =
            site.fingerprint
                .as_deref()
                .unwrap_or(if es { "(aún ninguna)" } else { "(none yet)" });
        s.push_str(&format!(
            "  {:<8} {:<8} {} {fp:<19}  {held}",
            clean(&site.code),
            trust,
            if es { "clave" } else { "key" },
        ));
        if let Some(n) = site.has_ours {
            s.push_str(&if es {
                format!("; tiene los nuestros hasta {n}")
            } else {
                format!("; has ours up to {n}")
            });
        }
        // A forked site's gaps will not be filled by a later bundle: the
        // fork is said instead.
        match site.forked_at {
            Some(seq) => {
                s.push_str("; ");
                s.push_str(&words::forked(lang, seq));
            }
            None if !site.gaps.is_empty() => {
                s.push_str(&format!(
                    "; {} {}",
                    if es { "FALTAN" } else { "MISSING" },
                    span(&site.gaps)
                ));
            }
            None => {}
        }
        if site.clock_ahead_min > 0 {
            s.push_str(&if es {
                format!("; reloj {} min adelantado", site.clock_ahead_min)
            } else {
                format!("; clock {} min ahead", site.clock_ahead_min)
            });
        }
        if shared {
            s.push_str(&format!(
                "; {} {}",
                if es { "id de sede" } else { "site id" },
                clean(&site.site_id)
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "{}: {}\n",
        if es { "conflictos" } else { "conflicts" },
        st.conflicts
    ));
    for c in &st.conflict_list {
        let heads: Vec<String> = c
            .heads
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                format!(
                    "{} {} {}",
                    h["value"].as_str().unwrap_or_default(),
                    if es { "por" } else { "by" },
                    h["by"].as_str().unwrap_or_default()
                )
            })
            .collect();
        s.push_str(&clean(&format!(
            "  {} {} ({}): {}",
            c.key,
            c.field,
            c.kind,
            heads.join(" | ")
        )));
        s.push('\n');
    }
    if st.waiting_ops > 0 {
        s.push_str(&match (lang, st.waiting_ops) {
            (Lang::En, 1) => "1 change waits for a ticket that has not arrived yet\n".into(),
            (Lang::En, n) => format!("{n} changes wait for a ticket that has not arrived yet\n"),
            (Lang::Es, 1) => "1 cambio espera un ticket que aún no ha llegado\n".into(),
            (Lang::Es, n) => format!("{n} cambios esperan un ticket que aún no ha llegado\n"),
        });
    }
    s
}
