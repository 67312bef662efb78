//! `guardia sync …`: the command-line face of `app::sync` and
//! `app::transport`, in text and JSON.

use super::{print, print_json};
use crate::app::App;
use crate::app::sync::{
    Destination, ImportOutcome, ImportReport, ProgressFn, SyncPhase, SyncProgress, Target,
};
use crate::app::transport::FolderReport;
use crate::cli::args::SyncCommand;
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
                let what = if report.changesets == 0 {
                    "no new changes (the bundle carries this site's acknowledgements)".to_string()
                } else {
                    format!(
                        "{} changes in {} changesets ({})",
                        report.ops,
                        report.changesets,
                        ranges(&report.contains)
                    )
                };
                print(&format!(
                    "exported {what} to {} ({} bytes)\n",
                    clean(&report.file),
                    report.bytes
                ))?;
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
                    s.push_str(&import_line(r));
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
                print(&folder_text(&report))
            };
            folder_failures(&report);
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
                let mut s = String::new();
                for r in &report.restored {
                    s.push_str(&format!(
                        "restored {} as branch {} has it (it was changed in the clone)\n",
                        clean(r),
                        clean(&report.branch)
                    ));
                }
                s.push_str(&folder_text(&report.folder));
                s.push_str(&format!(
                    "git: {} on branch {}: {}{}\n",
                    clean(&report.repository),
                    clean(&report.branch),
                    if report.pushed {
                        "pushed"
                    } else if report.error.is_some() {
                        "not pushed"
                    } else {
                        "nothing to push"
                    },
                    if report.push_retries > 0 && report.pushed {
                        format!(
                            " (after {} rejected push(es), pulled and pushed again)",
                            report.push_retries
                        )
                    } else {
                        String::new()
                    }
                ));
                print(&s)
            };
            folder_failures(&report.folder);
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
                return Ok(ExitCode::SUCCESS);
            }
            let mut s = format!(
                "site {} (dataset {}), {} changes made here\n",
                st.site, st.dataset, st.last_seq
            );
            for site in &st.sites {
                let held: Vec<String> = site.held.iter().map(|[a, b]| format!("{a}-{b}")).collect();
                // Two sites with one code are told apart by their site ids,
                // which commands then take instead of the code.
                let shared = st
                    .sites
                    .iter()
                    .filter(|o| o.code.eq_ignore_ascii_case(&site.code))
                    .count()
                    > 1;
                s.push_str(&format!(
                    "  {:<8} {:<8} key {:<19}  holds {}",
                    clean(&site.code),
                    if site.this_site {
                        "this"
                    } else {
                        site.trust.as_str()
                    },
                    site.fingerprint.as_deref().unwrap_or("(none yet)"),
                    if held.is_empty() {
                        "nothing".into()
                    } else {
                        held.join(",")
                    }
                ));
                if let Some(n) = site.has_ours {
                    s.push_str(&format!("; has ours up to {n}"));
                }
                if !site.gaps.is_empty() {
                    let g: Vec<String> =
                        site.gaps.iter().map(|[a, b]| format!("{a}-{b}")).collect();
                    s.push_str(&format!("; MISSING {}", g.join(",")));
                }
                if site.clock_ahead_min > 0 {
                    s.push_str(&format!("; clock {} min ahead", site.clock_ahead_min));
                }
                if shared {
                    s.push_str(&format!("; site id {}", clean(&site.site_id)));
                }
                s.push('\n');
            }
            s.push_str(&format!("conflicts: {}\n", st.conflicts));
            for c in &st.conflict_list {
                let heads: Vec<String> = c
                    .heads
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|h| {
                        format!(
                            "{} by {}",
                            h["value"].as_str().unwrap_or_default(),
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
                s.push_str(&format!(
                    "{} change(s) wait for a ticket that has not arrived yet\n",
                    st.waiting_ops
                ));
            }
            print(&s)?;
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Revoke { site } => {
            let site = app.revoke(site)?;
            print(&format!(
                "revoked site {} ({}): its bundles and changesets are refused from now on; what was imported from it stays\n",
                clean(&site.code),
                clean(&site.site_id)
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Trust { what } => {
            let site = app.trust(what)?;
            print(&format!(
                "trusted site {} ({}), key fingerprint {}\n",
                clean(&site.code),
                clean(&site.site_id),
                site.pubkey
                    .as_deref()
                    .map(crate::sync::keys::fingerprint)
                    .unwrap_or_default()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Key { out } => {
            let key = app.key_file()?;
            let text = serde_json::to_string_pretty(&key)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(path, &text)
                        .map_err(|e| crate::sync::format::write_failed(path, e))?;
                    print(&format!(
                        "wrote the key of site {} to {} (fingerprint {})\n",
                        clean(&key.code),
                        clean(&path.display().to_string()),
                        crate::sync::keys::fingerprint(&key.key)
                    ))?;
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

fn import_line(r: &ImportReport) -> String {
    let what = match &r.outcome {
        ImportOutcome::Imported {
            changesets,
            new_ops,
            tickets,
        } => format!(
            "imported {new_ops} new changes in {changesets} changesets, {tickets} ticket(s) updated"
        ),
        // A bundle without changesets still carries its exporter's
        // acknowledgements (its `knows`), which the import recorded.
        ImportOutcome::NothingNew { changesets: 0 } => format!(
            "nothing to import: the bundle carries no changes, only the acknowledgements of site {} (recorded)",
            clean(&r.exporter)
        ),
        ImportOutcome::NothingNew { changesets } => {
            format!("nothing new: all {changesets} changesets were already here")
        }
        ImportOutcome::AlreadyImported { at, by, first_file } => format!(
            "already imported {} by {} (as {}); nothing changed",
            crate::domain::ticket::ms_to_time(*at).format("%Y-%m-%d %H:%M UTC"),
            clean(by),
            clean(first_file)
        ),
    };
    let mut s = format!("{} (from {}): {what}\n", clean(&r.file), clean(&r.exporter));
    for w in &r.warnings {
        s.push_str(&format!("  warning: {}\n", clean(w)));
    }
    s
}

/// What made a folder sync fail (exit 1), on stderr as well as in the
/// report on stdout: a refused file, an export withheld. Whoever reads
/// only the messages (cron mail, a script keeping stdout or the JSON)
/// must not miss it.
fn folder_failures(r: &FolderReport) {
    for e in &r.refused {
        eprintln!("guardia: refused: {}", clean(e));
    }
    if let (None, Some(why)) = (&r.exported, &r.withheld) {
        eprintln!("guardia: export withheld: {}", clean(why));
    }
}

fn folder_text(r: &FolderReport) -> String {
    let mut s = String::new();
    for i in &r.imported {
        s.push_str(&import_line(i));
    }
    match (&r.exported, &r.withheld) {
        (Some(e), _) => s.push_str(&format!(
            "exported {} changes to {} ({})\n",
            e.ops,
            clean(&e.file),
            ranges(&e.contains)
        )),
        (None, Some(why)) => s.push_str(&format!("export withheld: {}\n", clean(why))),
        (None, None) => s.push_str("nothing new to export\n"),
    }
    for u in &r.untrusted {
        s.push_str(&format!("not trusted yet: {}\n", clean(u)));
    }
    for e in &r.refused {
        s.push_str(&format!("refused: {}\n", clean(e)));
    }
    if r.imported.is_empty() && r.refused.is_empty() {
        s.push_str("nothing new to import\n");
    }
    s
}
