//! The database worker: a thread that owns the application layer (and so
//! the SQLite connection), answers the console's requests in order, and
//! watches `PRAGMA data_version` so changes made by other processes reach
//! the screen within a second. Text leaves here sanitized: the views never
//! see what a reporter typed raw. Long work runs on a thread of its own
//! with its own connection, so the queue keeps answering meanwhile.

use super::i18n::count;
use super::keymap::Keymap;
use super::msg::{
    Conflict, ConflictHead, DetailExtras, KnownHint, LinkedBrief, MajorBrief, Msg, PageDir, Reply,
    Request, Row, SolvedHint, WriteOp,
};
use crate::app::App;
use crate::cli::say_error::ConsoleWords;
use crate::config::{Config, Lang, Operator, RecordKind, StateCategory};
use crate::domain::escalation;
use crate::domain::ticket::{Ticket, TicketDetail};
use crate::store::ops::Op;
use crate::store::{ListFilter, Store};
use crate::text::{sanitize_block, sanitize_line};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

pub mod config_watch;

/// Text-filtered counts stop here and show as "1000+".
pub const COUNT_CAP: usize = 1000;

/// How often the worker looks for changes made by other processes.
pub const POLL: Duration = Duration::from_millis(250);

/// Starts the worker; requests go into the returned sender, replies come
/// back as `Msg::Reply` through `out`.
pub fn spawn(app: App, operator: Option<Operator>, out: Sender<Msg>) -> Sender<Request> {
    spawn_joinable(app, operator, out).0
}

/// Like `spawn`, with the thread's handle: once every sender is dropped the
/// worker finishes the requests already sent (writes included) and ends,
/// so joining it means nothing asked for is lost on the way out.
pub fn spawn_joinable(
    app: App,
    operator: Option<Operator>,
    out: Sender<Msg>,
) -> (Sender<Request>, Option<std::thread::JoinHandle<()>>) {
    spawn_watching(app, operator, out, None, None)
}

/// Like `spawn_joinable`, watching the configuration files of `config_dir`
/// (the folder the console's configuration was read from): once they differ
/// from what they were at the start, the console is told
/// (`Reply::ConfigChanged`) and changes to the database are refused, since
/// they would be checked against rules that are no longer the ones in force.
/// `keymap` is the console's: refusals name its keys (`cli::say_error`).
pub fn spawn_watching(
    app: App,
    operator: Option<Operator>,
    out: Sender<Msg>,
    config_dir: Option<PathBuf>,
    keymap: Option<Keymap>,
) -> (Sender<Request>, Option<std::thread::JoinHandle<()>>) {
    let (tx, rx) = channel();
    let words = ConsoleWords::new(app.config.clone(), app.lang, keymap);
    // Counts, the dashboard, SLA clocks and the solved-before search read
    // many rows; a connection of their own keeps them from holding up the
    // next page or ticket.
    let counts = Store::open(app.store.path()).ok().map(|store| {
        let (ctx, crx) = channel();
        let counter = App::new(app.config.clone(), store, app.clock, app.lang);
        let cout = out.clone();
        std::thread::Builder::new()
            .name("guardia-counts".into())
            .spawn(move || counts_loop(counter, crx, cout))
            .ok();
        ctx
    });
    let watch = config_dir.map(config_watch::ConfigWatch::start);
    let handle = std::thread::Builder::new()
        .name("guardia-db".into())
        .spawn(move || run(app, operator, &words, rx, out, counts, watch))
        .ok();
    (tx, handle)
}

fn counts_loop(mut app: App, rx: Receiver<Request>, out: Sender<Msg>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        for req in coalesce(batch) {
            if let Some(reply) = handle(&mut app, None, None, req, &out)
                && out.send(Msg::Reply(reply)).is_err()
            {
                return;
            }
        }
    }
}

/// How often the console checks for workflow timers that fell due.
const TIMER_EVERY: Duration = Duration::from_secs(60);

/// How long the console waits after the last request before it merges the
/// full-text index's segments (`store/text_index.rs`), and how often it
/// takes a step while there is merging to do: each step is a few
/// milliseconds, so a key pressed meanwhile waits no longer than that.
const IDLE_BEFORE_MERGE: Duration = Duration::from_secs(3);
const MERGE_PACE: Duration = Duration::from_millis(50);

fn run(
    mut app: App,
    operator: Option<Operator>,
    words: &ConsoleWords,
    rx: Receiver<Request>,
    out: Sender<Msg>,
    counts: Option<Sender<Request>>,
    watch: Option<config_watch::ConfigWatch>,
) {
    let mut version = app.store.data_version().unwrap_or(0);
    // The configuration files that differ from the ones read at the start
    // (none while they are the same).
    let mut config_changed: Vec<String> = Vec::new();
    let mut config_checked = Instant::now();
    // Workflow timers fire while the console runs, as with every command;
    // a database the console cannot write keeps its tickets readable.
    let mut timers_at = Instant::now();
    let _ = app.prepare();
    // The banner follows every change of the database, this console's own
    // writes included (they do not move data_version).
    let mut majors_shown = None;
    send_majors(&app, &out, &mut majors_shown);
    let mut last_request = Instant::now();
    // Whether the full-text index is known to be merged as far as it goes;
    // any write, here or elsewhere, may add a segment.
    let mut text_compact = false;
    let mut checked_at = Instant::now();
    loop {
        if let Some(w) = &watch
            && config_checked.elapsed() >= config_watch::EVERY
        {
            config_checked = Instant::now();
            let now = w.changed();
            if now != config_changed {
                config_changed = now;
                let _ = out.send(Msg::Reply(Reply::ConfigChanged(config_changed.clone())));
            }
        }
        // Timers move tickets by the workflows in force: not by old ones.
        if timers_at.elapsed() >= TIMER_EVERY && config_changed.is_empty() {
            timers_at = Instant::now();
            // This connection's own commits do not change data_version.
            if app.fire_due_timers().is_ok_and(|fired| !fired.is_empty()) {
                send_majors(&app, &out, &mut majors_shown);
                let _ = out.send(Msg::Reply(Reply::Changed));
            }
        }
        let merging = !text_compact && last_request.elapsed() >= IDLE_BEFORE_MERGE;
        let first = match rx.recv_timeout(if merging { MERGE_PACE } else { POLL }) {
            Ok(r) => Some(r),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if first.is_none() && merging {
            match app
                .store
                .merge_text_indexes(crate::store::IDLE_STEP_PAGES, Duration::ZERO)
            {
                Ok(more) => text_compact = !more,
                // Another process is writing: try again after a while.
                Err(crate::store::StoreError::Busy { .. }) => last_request = Instant::now(),
                // A database this console cannot write stays as it is.
                Err(_) => text_compact = true,
            }
        }
        let had_request = first.is_some();
        if had_request {
            last_request = Instant::now();
        }
        let mut batch: Vec<Request> = first.into_iter().collect();
        batch.extend(rx.try_iter());
        let wrote = batch.iter().any(|r| matches!(r, Request::Write(_)));
        for req in coalesce(batch) {
            let req = match (&counts, req) {
                (
                    Some(c),
                    r @ (Request::Count { .. }
                    | Request::Dashboard { .. }
                    | Request::Sla { .. }
                    | Request::Solved { .. }),
                ) => {
                    // Falls back to answering here if that thread is gone.
                    match c.send(r) {
                        Ok(()) => continue,
                        Err(e) => e.0,
                    }
                }
                (_, r) => r,
            };
            if let Some(refused) = config_watch::refusal(&config_changed, app.lang, &req) {
                let _ = out.send(Msg::Reply(refused));
                continue;
            }
            // Once the console has gone nobody reads the replies, but the
            // writes it sent before leaving are still carried out: the
            // loop ends only when the request channel is empty and closed.
            if let Some(reply) = handle(&mut app, operator.as_ref(), Some(words), req, &out) {
                match late_line(&reply, app.lang) {
                    Some(line) if CONSOLE_LEFT.load(Ordering::SeqCst) => {
                        if let Ok(mut late) = LATE.lock() {
                            late.push(line);
                        }
                    }
                    _ => {
                        let _ = out.send(Msg::Reply(reply));
                    }
                }
            }
        }
        if wrote {
            text_compact = false;
            send_majors(&app, &out, &mut majors_shown);
        }
        // Checked at most once per POLL even while merging every 50 ms: a
        // console merging its index commits that often, and the others
        // would re-read their screens at each commit.
        if had_request || checked_at.elapsed() >= POLL {
            checked_at = Instant::now();
            if let Ok(v) = app.store.data_version()
                && v != version
            {
                version = v;
                text_compact = false;
                send_majors(&app, &out, &mut majors_shown);
                let _ = out.send(Msg::Reply(Reply::Changed));
            }
        }
    }
}

/// Sends the major incidents being worked when they differ from what the
/// console shows (`shown`). A failed read keeps the banner as it is: a
/// locked database must not make an alarm disappear.
fn send_majors(app: &App, out: &Sender<Msg>, shown: &mut Option<Vec<MajorBrief>>) {
    let Ok(majors) = app.open_majors() else {
        return;
    };
    let majors: Vec<MajorBrief> = majors
        .into_iter()
        .map(|m| MajorBrief {
            key: sanitize_line(&m.ticket.key),
            title: sanitize_line(&m.ticket.title),
            service: sanitize_line(&m.ticket.service),
            children_open: m.children_open,
            children: m.children,
        })
        .collect();
    if shown.as_ref() != Some(&majors) {
        *shown = Some(majors.clone());
        let _ = out.send(Msg::Reply(Reply::Majors(majors)));
    }
}

fn linked_brief(t: &Ticket) -> LinkedBrief {
    LinkedBrief {
        key: sanitize_line(&t.key),
        status: sanitize_line(&t.status),
        title: sanitize_line(&t.title),
    }
}

/// How many suggestions the detail lists.
const KNOWN_SHOWN: usize = 3;

/// How many similar open tickets the new-ticket form lists (as many as
/// `guardia new` does).
const SIMILAR_SHOWN: usize = 5;

/// What the detail shows beyond the ticket: for a ticket of the queue the
/// known errors that may apply (one knowledge query), and for a major
/// incident its reports; for a problem or known error the incidents
/// linked to it. A failed read leaves its part empty: the ticket itself
/// is what matters.
fn detail_extras(app: &App, d: &TicketDetail) -> DetailExtras {
    let t = &d.ticket;
    let mut x = DetailExtras::default();
    // The detail is sanitized already; so are the link targets compared.
    let applied = |key: &str| {
        let key = sanitize_line(key);
        d.links
            .iter()
            .any(|l| l.kind == "known_error" && l.target == key)
    };
    match app.config.record_of(&t.ticket_type) {
        RecordKind::Ticket => {
            // Problems rank with known errors, and a known error already
            // applied is not suggested again; asked for more so that three
            // remain.
            x.known = app
                .suggest(&t.key, KNOWN_SHOWN * 3)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.record == RecordKind::KnownError.name() && !applied(&s.key))
                .take(KNOWN_SHOWN)
                .map(|s| KnownHint {
                    key: sanitize_line(&s.key),
                    title: sanitize_line(&s.title),
                    status: sanitize_line(&s.status),
                    workaround: sanitize_block(s.workaround.as_deref().unwrap_or_default()),
                })
                .collect();
            if t.route.as_deref() == Some(crate::app::major::MAJOR_ROUTE)
                && let Ok((_, kids)) = app.major_show(&t.key)
            {
                x.children_open = Some(
                    kids.iter()
                        .filter(|k| crate::domain::lifecycle::being_worked(&app.config, k))
                        .count(),
                );
                x.linked = kids.iter().map(linked_brief).collect();
            }
        }
        record => {
            if let Ok(r) = app.record_detail(&t.key, record) {
                x.linked = r.incidents.iter().map(linked_brief).collect();
            }
        }
    }
    x
}

/// Known errors the knowledge view lists in the states it shows: every
/// state of their workflows but the cancelled ones (no longer valid, and
/// never suggested either).
fn known_states(cfg: &Config) -> Vec<String> {
    let mut states: Vec<String> = cfg
        .types_recording(RecordKind::KnownError)
        .filter_map(|t| cfg.workflow(t.workflow.get_ref()))
        .flat_map(|wf| wf.states.iter())
        .filter(|s| s.category != StateCategory::Cancelled)
        .map(|s| s.id.get_ref().clone())
        .collect();
    states.sort();
    states.dedup();
    states
}

/// Most matches the knowledge view's search lists (ranked, one page).
pub const KNOWN_SEARCH_LIMIT: usize = 100;

/// One page of the knowledge view: with a word to search in `text`, the
/// best known errors for it (same service first when one is chosen, and
/// only that service's); otherwise the newest, after the key `after`.
fn known_page(
    app: &App,
    service: Option<&str>,
    text: &str,
    after: Option<&str>,
    from: Option<i64>,
    limit: usize,
) -> Result<(Vec<Row>, bool), crate::app::AppError> {
    let (tickets, more) = if crate::store::any_word_query(text).is_some() {
        let hits = app.suggest_text(text, service, None, KNOWN_SEARCH_LIMIT)?;
        let reader = app.reader();
        let tickets: Vec<Ticket> = hits
            .into_iter()
            .filter(|h| h.record == RecordKind::KnownError.name())
            .filter(|h| service.is_none_or(|s| h.service == s))
            .filter_map(|h| reader.ticket_by_key(&h.key).ok().flatten())
            .map(|(_, t)| t)
            .collect();
        (tickets, false)
    } else {
        let states = known_states(&app.config);
        let mut tickets =
            app.records(RecordKind::KnownError, service, &states, after, limit + 1)?;
        let more = tickets.len() > limit;
        tickets.truncate(limit);
        (tickets, more)
    };
    let base = from.unwrap_or(0);
    let rows = tickets
        .into_iter()
        .zip(1..)
        .map(|(t, i)| Row {
            no: base + i,
            ticket: clean_ticket(t),
            conflict: false,
        })
        .collect();
    Ok((rows, more))
}

/// Drops fetches that a later request in the same batch supersedes (the
/// operator typed on): only the newest of each kind is answered. Writes are
/// all kept, in order.
fn coalesce(batch: Vec<Request>) -> Vec<Request> {
    let newest_page = batch
        .iter()
        .filter_map(|r| match r {
            Request::Page { generation, .. } => Some(*generation),
            _ => None,
        })
        .max();
    let kind = |r: &Request| match r {
        Request::Count { .. } => 1,
        Request::Detail { .. } => 2,
        Request::Dashboard { .. } => 3,
        Request::Similar { .. } => 4,
        Request::Sla { .. } => 5,
        Request::Known { .. } => 6,
        Request::Solved { .. } => 7,
        _ => 0,
    };
    let n = batch.len();
    batch
        .iter()
        .enumerate()
        .filter(|(i, r)| match r {
            Request::Page { generation, .. } => Some(*generation) == newest_page,
            other if kind(other) > 0 => !batch[i + 1..n].iter().any(|l| kind(l) == kind(other)),
            _ => true,
        })
        .map(|(_, r)| r.clone())
        .collect()
}

fn handle(
    app: &mut App,
    operator: Option<&Operator>,
    words: Option<&ConsoleWords>,
    req: Request,
    out: &Sender<Msg>,
) -> Option<Reply> {
    let fail = |e: &dyn std::fmt::Display| Reply::Failed {
        generation: None,
        message: sanitize_line(&e.to_string()),
    };
    Some(match req {
        Request::Page {
            generation,
            filter,
            dir,
            from,
            reset,
        } => match page(app, filter, dir, from) {
            Ok((rows, more)) => Reply::Page {
                generation,
                dir,
                reset,
                from,
                rows,
                more,
            },
            Err(e) => Reply::Failed {
                generation: Some(generation),
                message: sanitize_line(&e.to_string()),
            },
        },
        Request::Count { generation, filter } => {
            // A text filter can match most of a million tickets; counting
            // them all would hold up the next keystroke's page.
            let cap = filter.query.is_some().then_some(COUNT_CAP);
            match app.reader().count(&filter, cap.map(|c| c + 1)) {
                Ok(count) => Reply::Count {
                    generation,
                    count: if cap.is_some() {
                        count.min(COUNT_CAP as i64)
                    } else {
                        count
                    },
                    capped: cap.is_some_and(|c| count > c as i64),
                },
                Err(e) => fail(&e),
            }
        }
        Request::Detail { generation, key } => {
            let detail = match app.detail(&key) {
                Ok(d) => Some(Box::new(clean_detail(d))),
                Err(crate::app::AppError::UnknownTicket { .. }) => None,
                // Anything else (a locked or unreadable file) is not "gone":
                // the ticket on screen stays and the error is shown.
                Err(e) => return Some(fail(&e)),
            };
            let log = match &detail {
                Some(d) => app
                    .reader()
                    .ticket_log(&d.ticket.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(clean_op)
                    .collect(),
                None => Vec::new(),
            };
            let conflicts = match &detail {
                Some(d) => app
                    .reader()
                    .ticket_conflicts(&d.ticket.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(clean_conflict)
                    .collect(),
                None => Vec::new(),
            };
            let extras = match &detail {
                Some(d) => detail_extras(app, d),
                None => DetailExtras::default(),
            };
            Reply::Detail {
                generation,
                detail,
                log,
                conflicts,
                extras,
            }
        }
        Request::Known {
            generation,
            service,
            text,
            after,
            from,
            limit,
            reset,
        } => match known_page(
            app,
            service.as_deref(),
            &text,
            after.as_deref(),
            from,
            limit,
        ) {
            Ok((rows, more)) => Reply::Page {
                generation,
                dir: PageDir::Forward,
                reset,
                from,
                rows,
                more,
            },
            Err(e) => Reply::Failed {
                generation: Some(generation),
                message: sanitize_line(&e.to_string()),
            },
        },
        Request::Dashboard { generation } => match dashboard(app) {
            Ok(data) => Reply::Dashboard {
                generation,
                data: Box::new(data),
            },
            Err(e) => fail(&e),
        },
        Request::Similar {
            generation,
            service,
            title,
        } => {
            // As `guardia new` lists them: tickets still being worked, not
            // problems or known errors (those are suggested, not duplicated).
            let cfg = &app.config;
            let hits = app
                .reader()
                .similar(&title, &service, None)
                .unwrap_or_default();
            Reply::Similar {
                generation,
                tickets: hits
                    .into_iter()
                    .filter(|h| cfg.record_of(&h.ticket.ticket_type) == RecordKind::Ticket)
                    .filter(|h| {
                        cfg.workflow_for_type(&h.ticket.ticket_type)
                            .is_some_and(|wf| {
                                crate::domain::lifecycle::working(wf, &h.ticket.status)
                            })
                    })
                    .take(SIMILAR_SHOWN)
                    .map(|h| (sanitize_line(&h.ticket.key), sanitize_line(&h.ticket.title)))
                    .collect(),
            }
        }
        Request::Solved { generation, key } => Reply::Solved {
            generation,
            tickets: app
                .solved_like(&key, crate::app::SOLVED_SHOWN)
                .unwrap_or_default()
                .into_iter()
                .map(|s| SolvedHint {
                    key: sanitize_line(&s.key),
                    title: sanitize_line(&s.title),
                    status: sanitize_line(&s.status),
                    solution: sanitize_block(&s.solution),
                })
                .collect(),
        },
        Request::Originals { key, code } => Reply::Originals {
            code,
            tickets: app
                .likely_originals(&key)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, title)| (sanitize_line(&k), sanitize_line(&title)))
                .collect(),
            key,
        },
        Request::Write(op) => {
            let Some(actor) = operator else {
                return Some(Reply::Written {
                    result: Err("read-only".into()),
                    key: None,
                    refused: op.keys(),
                    op: Box::new(op),
                });
            };
            let mut refused = Vec::new();
            let mut stale = None;
            let (result, key) = write(app, actor, words, op.clone(), &mut refused, &mut stale);
            if let (Some(now), Err(message), Some(key)) = (stale, &result, &key) {
                return Some(Reply::Outdated {
                    message: sanitize_line(message),
                    key: key.clone(),
                    op: Box::new(op),
                    now,
                });
            }
            if result.is_err() && refused.is_empty() {
                refused = op.keys();
            }
            Reply::Written {
                result: result
                    .map(|m| sanitize_line(&m))
                    .map_err(|e| sanitize_line(&e)),
                key,
                op: Box::new(op),
                refused,
            }
        }
        Request::Sla { generation, keys } => {
            use crate::domain::sla::ClockState;
            let clocks = keys
                .into_iter()
                .filter_map(|key| {
                    let r = app.sla(&key).ok()?;
                    // The response clock matters until it is met.
                    let (clock, response) = if r.ledger.response.state == ClockState::Met {
                        (&r.ledger.resolution, false)
                    } else {
                        (&r.ledger.response, true)
                    };
                    let remaining = if clock.state == ClockState::Breached {
                        (clock.target - clock.elapsed).num_minutes()
                    } else {
                        clock.remaining.num_minutes()
                    };
                    Some((
                        key,
                        super::msg::SlaBrief {
                            state: clock.state,
                            remaining_minutes: remaining,
                            response,
                            paused: clock.paused,
                        },
                    ))
                })
                .collect();
            Reply::Sla { generation, clocks }
        }
        Request::Doctor => {
            doctor_in_background(app.store.path().to_path_buf(), app.lang, out.clone());
            return None;
        }
        Request::Sync(via) => {
            // Like `guardia sync`: the operator, else the OS account.
            let by =
                operator.map_or_else(crate::app::identity::os_login, |o| o.id.get_ref().clone());
            return sync_in_background(app, by, via, out.clone());
        }
    })
}

fn page(
    app: &App,
    mut filter: ListFilter,
    dir: PageDir,
    from: Option<i64>,
) -> Result<(Vec<Row>, bool), crate::store::StoreError> {
    if dir == PageDir::Backward {
        filter.ascending = !filter.ascending;
    }
    filter.after_no = from;
    let want = filter.limit;
    filter.limit = want + 1;
    let list = app.reader().list(&filter)?;
    // The conflicts view holds nothing else; other pages look each row up.
    let conflicted = if filter.conflicts {
        None
    } else {
        let ids: Vec<&str> = list.iter().map(|(_, t)| t.id.as_str()).collect();
        Some(app.reader().conflicted(&ids)?)
    };
    let mut rows: Vec<Row> = list
        .into_iter()
        .map(|(no, t)| Row {
            no,
            conflict: conflicted.as_ref().is_none_or(|c| c.contains(&t.id)),
            ticket: clean_ticket(t),
        })
        .collect();
    let more = rows.len() > want;
    rows.truncate(want);
    if dir == PageDir::Backward {
        rows.reverse();
    }
    Ok((rows, more))
}

/// How long the dashboard's 30-day figures are reused: they take about
/// 60 ms at 1M tickets and one change moves them little, while the
/// dashboard is read again after every change (at most once a second).
const MONTH_KPIS_FOR: Duration = Duration::from_secs(30);

thread_local! {
    /// The 30-day figures of this thread's last dashboard, with when and
    /// for which local date they were computed.
    static MONTH_KPIS: std::cell::RefCell<Option<(Instant, chrono::NaiveDate, crate::domain::report::Kpis)>> =
        const { std::cell::RefCell::new(None) };
}

/// Today's figures each time, the 30 days' at most every `MONTH_KPIS_FOR`
/// (and again when the date changes).
fn kpis(app: &App) -> Option<crate::domain::report::Kpis> {
    let date = app.kpi_date();
    let cached = MONTH_KPIS.with(|m| {
        m.borrow()
            .as_ref()
            .filter(|(at, d, _)| *d == date && at.elapsed() < MONTH_KPIS_FOR)
            .map(|(_, _, k)| k.clone())
    });
    let mut k = match cached {
        Some(k) => k,
        None => {
            let k = app.kpis_month().ok().flatten()?;
            MONTH_KPIS.with(|m| *m.borrow_mut() = Some((Instant::now(), date, k.clone())));
            k
        }
    };
    k.today = app.kpis_today().ok()?;
    Some(k)
}

/// The dashboard as `guardia dashboard` computes it (`App::dashboard`),
/// with the indicators kept a while (`kpis`) and the text made safe to draw.
fn dashboard(app: &App) -> Result<crate::store::Dashboard, crate::app::AppError> {
    let mut d = app.dashboard(crate::app::dashboard::DASHBOARD_DAYS)?;
    // The report's figures for today and 30 days; without them (outcomes
    // not computed yet, or a failure) the rest of the dashboard still shows.
    d.kpis = kpis(app);
    for o in &mut d.oldest_open {
        o.title = sanitize_line(&o.title);
        o.key = sanitize_line(&o.key);
        o.status = sanitize_line(&o.status);
        o.priority = sanitize_line(&o.priority);
        o.assignee = o.assignee.as_deref().map(sanitize_line);
    }
    for (s, _) in d
        .open_by_status
        .iter_mut()
        .chain(d.open_by_priority.iter_mut())
    {
        *s = sanitize_line(s);
    }
    for (a, _) in &mut d.open_by_assignee {
        *a = a.as_deref().map(sanitize_line);
    }
    Ok(d)
}

/// Carries out `op`; a bulk change puts the tickets it could not change
/// into `refused` (their prompt opens again for just those), and a change
/// refused because what it was based on changed meanwhile puts what those
/// fields hold now into `stale` (its prompt opens again based on them).
fn write(
    app: &mut App,
    actor: &Operator,
    words: Option<&ConsoleWords>,
    op: WriteOp,
    refused: &mut Vec<String>,
    stale: &mut Option<Vec<(String, Option<Value>)>>,
) -> (Result<String, String>, Option<String>) {
    let es = app.lang == Lang::Es;
    let msg = |es_text: String, en_text: String| if es { es_text } else { en_text };
    // The type of each ticket the change is about, read before it: its
    // workflow names the states a refusal mentions.
    let types: Vec<(String, String)> = op
        .keys()
        .into_iter()
        .filter_map(|k| app.ticket(&k).ok().map(|t| (k, t.ticket_type)))
        .collect();
    // A refusal worded for the console, in its language.
    let say = |e: &crate::app::AppError| match words {
        Some(w) => {
            let about = crate::cli::say_error::subject(e);
            let ticket_type = types
                .iter()
                .find(|(k, _)| Some(k.as_str()) == about)
                .or(types.first())
                .map(|(_, t)| t.as_str());
            w.say(e, ticket_type)
        }
        None => e.to_string(),
    };
    let err = |e: crate::app::AppError| say(&e);
    match op {
        WriteOp::Assign { keys, to } => {
            let results: Vec<Result<(), String>> = keys
                .iter()
                .map(|k| {
                    app.assign(actor, k, to.as_deref())
                        .map(|_| ())
                        .map_err(|e| about(k, say(&e)))
                })
                .collect();
            refused.extend(failed_keys(&keys, &results));
            // As the command line says it.
            let who = to
                .clone()
                .unwrap_or_else(|| msg("nadie".into(), "nobody".into()));
            let done = |n: usize| {
                msg(
                    format!("{} a {who}", if n == 1 { "asignado" } else { "asignados" }),
                    format!("assigned to {who}"),
                )
            };
            (bulk(&keys, results, done), None)
        }
        WriteOp::Move { keys, state, note } => {
            // The state by the name each ticket's workflow gives it (one
            // name, unless the marked tickets follow different workflows).
            let mut names: Vec<String> = Vec::new();
            let results: Vec<Result<(), String>> = keys
                .iter()
                .map(|k| {
                    app.move_to(actor, k, &state, note.as_deref(), &[])
                        .map(|t| {
                            let name = super::i18n::state_label(
                                &app.config,
                                app.lang,
                                &t.ticket_type,
                                &t.status,
                            );
                            if !names.contains(&name) {
                                names.push(name);
                            }
                        })
                        .map_err(|e| about(k, say(&e)))
                })
                .collect();
            refused.extend(failed_keys(&keys, &results));
            let name = names.join(" / ");
            // "ahora" agrees with any number of tickets.
            let done = |_: usize| msg(format!("ahora {name}"), format!("now {name}"));
            (bulk(&keys, results, done), None)
        }
        WriteOp::Comment { key, body } => {
            // A leading "!" makes it an internal note, hidden from the requester.
            let (internal, body) = match body.strip_prefix('!') {
                Some(rest) => (true, rest.trim().to_string()),
                None => (false, body),
            };
            // Said as what it is: a note the requester never sees must not
            // read like a reply they will get.
            let r = app.comment(actor, &key, &body, internal).map(|_| {
                if internal {
                    msg(
                        format!("{key}: nota interna guardada"),
                        format!("{key}: internal note saved"),
                    )
                } else {
                    msg(
                        format!("{key}: comentario guardado"),
                        format!("{key}: comment saved"),
                    )
                }
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::Approve {
            key,
            approval,
            reason,
        } => {
            let r = app.approve(actor, &key, &approval, &reason).map(|_| {
                msg(
                    format!("{key}: aprobación '{approval}' registrada"),
                    format!("{key}: approval '{approval}' recorded"),
                )
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::Link { key, other, kind } => {
            let r = app.link(actor, &key, &other, &kind, false).map(|_| {
                msg(
                    format!("{key}: vinculado a {other} ({kind})"),
                    format!("{key}: linked to {other} ({kind})"),
                )
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::Worklog { key, spent, note } => {
            let note = (!note.is_empty()).then_some(note);
            let r = app.worklog(actor, &key, &spent, note.as_deref()).map(|m| {
                msg(
                    format!("{key}: {m} min registrados"),
                    format!("{key}: {m} min logged"),
                )
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::Set {
            key,
            field,
            value,
            justification,
            based_on,
        } => {
            // "Label → value", the value as the ticket now holds it: no
            // adjective to agree with the field's gender.
            let label = super::i18n::field_label(&app.config, app.lang, &field);
            let assignments = [(field.clone(), value)];
            // The priority before, to say when the change moved it (an
            // impact, urgency, service or rule field recomputes it), as
            // `guardia set` prints it.
            let priority_before = app.ticket(&key).ok().map(|t| t.priority);
            let r = if based_on.is_empty() {
                app.set(actor, &key, &assignments, justification.as_deref())
                    .map(Ok)
            } else {
                app.set_if_unchanged(
                    actor,
                    &key,
                    &assignments,
                    justification.as_deref(),
                    &based_on,
                    clean_ticket,
                )
            };
            let r = match r {
                Ok(Ok(t)) => {
                    let now = value_words(&app.config, app.lang, &t, &field);
                    let moved = field != "priority"
                        && priority_before.as_ref().is_some_and(|p| *p != t.priority);
                    let priority = if moved {
                        let name = value_words(&app.config, app.lang, &t, "priority");
                        let rank = app
                            .config
                            .priority_rank(&t.priority)
                            .map_or_else(|| "P?".to_string(), |r| format!("P{}", r + 1));
                        msg(
                            format!(" (prioridad ahora {rank} {name})"),
                            format!(" (priority now {rank} {name})"),
                        )
                    } else {
                        String::new()
                    };
                    Ok(format!("{key}: {label} → {now}{priority}"))
                }
                Ok(Err(changed)) => Err(changed_meanwhile(app, actor, &changed, false, stale)),
                Err(e) => Err(err(e)),
            };
            (r, Some(key))
        }
        WriteOp::Reject { key, code, note } => {
            // For a duplicate, a note that starts with a ticket key names the original.
            let duplicate = app
                .config
                .rejection(&code)
                .is_some_and(|r| r.action == crate::config::RejectionAction::Duplicate);
            let original = note
                .as_deref()
                .filter(|_| duplicate)
                .and_then(|n| n.split_whitespace().next())
                .and_then(crate::domain::site::canonical_ticket_key);
            let r = app
                .reject(actor, &key, &code, original.as_deref(), note.as_deref())
                .map(|rj| {
                    let reason = super::i18n::reason_label(&app.config, app.lang, &code);
                    let mut m = msg(
                        format!("{key}: rechazado ({reason})"),
                        format!("{key}: rejected ({reason})"),
                    );
                    if let Some(g) = rj.guidance {
                        m.push_str(&format!(" — {g}"));
                    }
                    for c in &rj.contacts {
                        m.push_str(&format!(" · {} {} {}", c.name, c.phone, c.email));
                    }
                    m
                });
            (r.map_err(err), Some(key))
        }
        WriteOp::Escalate {
            key,
            level,
            fields,
            based_on,
        } => {
            if !fields.is_empty() {
                match app.set_if_unchanged(actor, &key, &fields, None, &based_on, clean_ticket) {
                    Ok(Ok(_)) => {}
                    Ok(Err(changed)) => {
                        let e = changed_meanwhile(app, actor, &changed, true, stale);
                        return (Err(e), Some(key));
                    }
                    Err(e) => return (Err(err(e)), Some(key)),
                }
            }
            let r = app.escalate(actor, &key, level, None).map(|d| {
                msg(
                    format!("{key}: escalado a nivel {level} ({})", d.group),
                    format!("{key}: escalated to level {level} ({})", d.group),
                )
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::RunbookRun { key, runbook } => {
            let r = app.runbook_run(actor, &runbook, &key).map(|_| {
                msg(
                    format!("{key}: runbook {runbook} iniciado"),
                    format!("{key}: runbook {runbook} started"),
                )
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::Tick {
            key,
            item,
            evidence,
            checked,
        } => {
            let ev = (!evidence.is_empty()).then_some(evidence);
            let r = app
                .runbook_tick(actor, &key, &item, ev.as_deref(), checked)
                .map(|_| {
                    // Unticking records nothing: it takes the tick back, as
                    // `guardia runbook tick --undo` says.
                    if checked {
                        msg(
                            format!("{key}: paso {item} registrado"),
                            format!("{key}: step {item} recorded"),
                        )
                    } else {
                        msg(
                            format!("{key}: paso {item} desmarcado"),
                            format!("{key}: step {item} unticked"),
                        )
                    }
                });
            (r.map_err(err), Some(key))
        }
        WriteOp::Create(draft) => match app.create(actor, draft.to_new_ticket()) {
            Ok(created) => {
                let key = created.ticket.key.clone();
                (
                    Ok(msg(
                        format!("{key} registrado"),
                        format!("{key} registered"),
                    )),
                    Some(key),
                )
            }
            Err(e) => (Err(err(e)), None),
        },
        WriteOp::ApplyKnown { key, known } => {
            let r = app.known_apply(actor, &known, &key).map(|_| {
                msg(
                    format!("{key}: solución temporal de {known} aplicada (nota interna)"),
                    format!("{key}: workaround of {known} applied (internal note)"),
                )
            });
            (r.map_err(err), Some(key))
        }
        WriteOp::AttachToMajor { major, keys } => {
            // Lenient, as for a list piped into `guardia major attach -`:
            // a marked record or major incident is passed over, not fatal.
            let r = app
                .major_attach(actor, &major, &keys, true)
                .map(|(attached, passed)| {
                    let n = attached.len() as i64;
                    let mut m = msg(
                        format!("{major}: {}", count(n, "adjunto", "adjuntos")),
                        format!("{major}: {n} attached"),
                    );
                    if !attached.is_empty() {
                        m.push_str(&format!(" ({})", attached.join(", ")));
                    }
                    if !passed.is_empty() {
                        m.push_str(&msg(
                            format!("; omitidos: {}", passed.join(", ")),
                            format!("; passed over: {}", passed.join(", ")),
                        ));
                    }
                    m
                });
            // No key: the marks were for this, and are cleared.
            (r.map_err(err), None)
        }
        WriteOp::WriteDossier {
            key,
            level,
            path,
            text,
        } => {
            // The text the console rendered (the dossier sent, or the
            // form's), else the dossier for `level` as the database has it.
            let md = match text {
                Some(md) => Ok(md),
                None => app
                    .dossier(&key, Some(level))
                    .map_err(err)
                    .map(|d| escalation::render_markdown(&d, app.lang)),
            };
            let r = md.and_then(|md| write_new_file(&PathBuf::from(&path), &md, app.lang));
            (
                r.map(|_| {
                    msg(
                        format!("dossier escrito en {path}"),
                        format!("dossier written to {path}"),
                    )
                }),
                Some(key),
            )
        }
    }
}

/// Writes a new file, never replacing one: nothing the operator had is lost.
fn write_new_file(path: &std::path::Path, text: &str, lang: Lang) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    // The dossier carries contacts' e-mails and phones: private to the operator.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match lang {
            Lang::Es if e.kind() == std::io::ErrorKind::AlreadyExists => {
                format!("{shown} ya existe, y el dossier no se escribe sobre otro archivo: elija otro nombre")
            }
            Lang::Es => format!("no se puede crear {shown}: {e} (elija otro nombre)"),
            Lang::En => format!("cannot create {shown}: {e} (choose another name)"),
        })?;
    f.write_all(text.as_bytes()).map_err(|e| match lang {
        Lang::Es => format!("no se puede escribir {shown}: {e}"),
        Lang::En => format!("cannot write {shown}: {e}"),
    })
}

/// "3 tickets: ahora En curso" or the failures, one per ticket; `done`
/// says what happened to that many tickets (a participle agrees with it).
fn bulk(
    keys: &[String],
    results: Vec<Result<(), String>>,
    done: impl Fn(usize) -> String,
) -> Result<String, String> {
    let failed: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    let ok = keys.len() - failed.len();
    // "ticket" is the word in both languages.
    let tickets = count(ok as i64, "ticket", "tickets");
    match (ok, failed.is_empty()) {
        (_, true) if keys.len() == 1 => Ok(format!("{}: {}", keys[0], done(1))),
        (_, true) => Ok(format!("{tickets}: {}", done(ok))),
        (0, false) => Err(failed.join("; ")),
        _ => Err(format!("{tickets}: {}; {}", done(ok), failed.join("; "))),
    }
}

/// The refusal of an edit whose fields someone changed meanwhile: what
/// each holds now and who wrote it, and that the typing is kept (in the
/// dossier form when `form`, else in the prompt). What they hold goes into
/// `stale`, for the reopened editor to be based on.
fn changed_meanwhile(
    app: &App,
    actor: &Operator,
    changed: &crate::app::ChangedMeanwhile,
    form: bool,
    stale: &mut Option<Vec<(String, Option<Value>)>>,
) -> String {
    let es = app.lang == Lang::Es;
    let parts: Vec<String> = changed
        .fields
        .iter()
        .map(|f| {
            let label = super::i18n::field_label(&app.config, app.lang, &f.field);
            let who = match f.by.as_deref() {
                Some(by) if by == actor.id.get_ref() => {
                    if es {
                        "por usted, desde otra sesión".to_string()
                    } else {
                        "by you, from another session".to_string()
                    }
                }
                Some(by) if es => format!("por {by}"),
                Some(by) => format!("by {by}"),
                None if es => "por otra persona".to_string(),
                None => "by someone else".to_string(),
            };
            match (&f.now, es) {
                (Some(_), true) => format!(
                    "{label} cambió mientras tanto a '{}' ({who})",
                    value_words(&app.config, app.lang, &changed.ticket, &f.field)
                ),
                (Some(_), false) => format!(
                    "{label} changed meanwhile to '{}' ({who})",
                    value_words(&app.config, app.lang, &changed.ticket, &f.field)
                ),
                (None, true) => format!("{label} se vació mientras tanto ({who})"),
                (None, false) => format!("{label} was cleared meanwhile ({who})"),
            }
        })
        .collect();
    *stale = Some(
        changed
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.now.clone()))
            .collect(),
    );
    let kept = match (es, form) {
        (true, false) => {
            "su texto sigue en el campo: corríjalo y pulse Enter de nuevo, o Esc para dejarlo como está"
        }
        (true, true) => {
            "su texto sigue en el formulario: corríjalo y pulse Ctrl-s de nuevo, o Esc para dejarlo como está"
        }
        (false, false) => {
            "your text is kept in the prompt: edit it and press Enter again, or Esc to leave it as it is"
        }
        (false, true) => {
            "your text is kept in the form: edit it and press Ctrl-s again, or Esc to leave it as it is"
        }
    };
    format!("{}: {}; {kept}", changed.key, parts.join(", "))
}

/// A field's value as a status line shows it after `=` or `p`: a grade or
/// service by its name, a text by its first line (cut), a blank one said so.
fn value_words(cfg: &Config, lang: Lang, t: &Ticket, field: &str) -> String {
    let grade = |grades: &[crate::config::Grade], id: &str| {
        Config::grade_label(grades, id, lang).to_string()
    };
    let text = match field {
        "priority" => Some(grade(&cfg.priority.priorities, &t.priority)),
        "impact" => Some(grade(&cfg.priority.impacts, &t.impact)),
        "urgency" => Some(grade(&cfg.priority.urgencies, &t.urgency)),
        "service" => Some(
            cfg.service(&t.service)
                .map_or_else(|| t.service.clone(), |s| s.name.clone()),
        ),
        _ if cfg
            .field(field)
            .is_some_and(|f| f.kind == crate::config::FieldKind::Boolean) =>
        {
            let yes = t.fields.get(field).and_then(Value::as_bool) == Some(true);
            Some(
                match (lang, yes) {
                    (Lang::Es, true) => "sí",
                    (Lang::Es, false) => "no",
                    (Lang::En, true) => "yes",
                    (Lang::En, false) => "no",
                }
                .into(),
            )
        }
        _ => t.core_value(field).or_else(|| t.field_text(field)),
    };
    match text {
        Some(s) => crate::text::truncate_to_width(s.lines().next().unwrap_or_default(), 60),
        None => match lang {
            Lang::Es => "(sin valor)".into(),
            Lang::En => "(no value)".into(),
        },
    }
}

fn doctor_in_background(path: PathBuf, lang: Lang, out: Sender<Msg>) {
    let label = match lang {
        Lang::Es => "doctor: verificando",
        Lang::En => "doctor: checking",
    }
    .to_string();
    let _ = out.send(Msg::Reply(Reply::Job {
        label: label.clone(),
        done: None,
    }));
    std::thread::Builder::new()
        .name("guardia-job".into())
        .spawn(move || {
            let result = Store::open(&path)
                .and_then(|s| s.doctor())
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    let es = lang == Lang::Es;
                    let tickets = count(r.tickets, "ticket", "tickets");
                    if r.healthy() {
                        Ok(if es {
                            format!(
                                "doctor: OK ({}, {tickets})",
                                count(r.ops, "cambio", "cambios")
                            )
                        } else {
                            format!("doctor: OK ({}, {tickets})", count(r.ops, "op", "ops"))
                        })
                    } else {
                        let n = r.problem_count() as i64;
                        Err(if es {
                            format!(
                                "doctor: {}; `guardia doctor` da la lista",
                                count(n, "problema", "problemas")
                            )
                        } else {
                            format!(
                                "doctor: {}; run `guardia doctor` for the list",
                                count(n, "problem", "problems")
                            )
                        })
                    }
                });
            let _ = out.send(Msg::Reply(Reply::Job {
                label,
                done: Some(result.map_err(|e| sanitize_line(&e))),
            }));
        })
        .ok();
}

/// Set once the operator has quit: the screen no longer shows what a write
/// says, so the outcomes of writes still waiting (another process held the
/// lock) are kept for the terminal once it is restored.
static CONSOLE_LEFT: AtomicBool = AtomicBool::new(false);

/// What writes finished after the operator quit said, in order.
static LATE: Mutex<Vec<LateOutcome>> = Mutex::new(Vec::new());

/// What a write that finished after the operator quit did.
pub struct LateOutcome {
    /// Its message (sanitized, as every reply).
    pub line: String,
    /// Whether it was made; a refused one is lost unless done again.
    pub saved: bool,
}

/// The operator has quit: outcomes of writes from now on go to
/// `late_outcomes` instead of the screen.
pub fn console_left() {
    CONSOLE_LEFT.store(true, Ordering::SeqCst);
}

/// The outcomes of writes that finished after the operator quit, to print
/// once the terminal is restored (sanitized, as every reply).
pub fn late_outcomes() -> Vec<LateOutcome> {
    LATE.lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default()
}

/// The line a write's reply leaves on the terminal after the console has
/// gone; `None` for replies that are not a write's outcome.
fn late_line(reply: &Reply, lang: Lang) -> Option<LateOutcome> {
    let refused = match lang {
        Lang::Es => "no se guardó",
        Lang::En => "not saved",
    };
    let (line, saved) = match reply {
        Reply::Written { result: Ok(m), .. } => (m.clone(), true),
        Reply::Written { result: Err(m), .. } => (format!("{refused}: {m}"), false),
        Reply::Outdated { message, .. } => (format!("{refused}: {message}"), false),
        _ => return None,
    };
    Some(LateOutcome { line, saved })
}

/// Set while a sync runs: a second one would export the same changes
/// twice (the console also refuses one while any job runs).
static SYNCING: AtomicBool = AtomicBool::new(false);

/// Clears `SYNCING` when the sync thread ends, however it ends.
struct SyncingGuard;

impl Drop for SyncingGuard {
    fn drop(&mut self) {
        SYNCING.store(false, Ordering::SeqCst);
    }
}

/// The thread of the latest sync, for `wait_for_sync`.
static SYNC_THREAD: Mutex<Option<std::thread::JoinHandle<()>>> = Mutex::new(None);

/// A sync started from the console is still running.
pub fn sync_running() -> bool {
    SYNCING.load(Ordering::SeqCst)
}

/// Waits until a sync started from the console has finished: leaving in
/// the middle of one could stop git half-way (its lock file left behind
/// makes the next sync fail until it is removed).
pub fn wait_for_sync() {
    let handle = SYNC_THREAD.lock().ok().and_then(|mut h| h.take());
    if let Some(h) = handle {
        let _ = h.join();
    }
}

/// Runs one sync cycle (`guardia sync folder` / `sync git`) on a thread
/// with its own connection, reporting progress and the outcome as
/// `Reply::Job`; the queue keeps answering meanwhile. Returns a reply only
/// when it cannot start.
fn sync_in_background(
    app: &App,
    by: String,
    via: crate::config::SyncVia,
    out: Sender<Msg>,
) -> Option<Reply> {
    let lang = app.lang;
    if SYNCING.swap(true, Ordering::SeqCst) {
        // As a finished job, so the console's "syncing…" line ends too.
        return Some(Reply::Job {
            label: String::new(),
            done: Some(Err(match lang {
                Lang::Es => "ya hay una sincronización en curso".into(),
                Lang::En => "a sync is already running".into(),
            })),
        });
    }
    let label = super::i18n::catalogue(lang).syncing.to_string();
    let path = app.store.path().to_path_buf();
    let (config, clock) = (app.config.clone(), app.clock);
    let started = std::thread::Builder::new()
        .name("guardia-job".into())
        .spawn(move || {
            // Cleared however the thread ends, a panic included, so a
            // later sync can start and quitting does not wait for nothing.
            let _running = SyncingGuard;
            let result = match Store::open(&path) {
                Ok(store) => {
                    let mut job = App::new(config, store, clock, lang);
                    job.progress = Some(progress_reporter(label.clone(), lang, out.clone()));
                    run_sync(&mut job, &by, &via)
                }
                Err(e) => Err(match lang {
                    Lang::Es => format!("sincronización fallida: {e}"),
                    Lang::En => format!("sync failed: {e}"),
                }),
            };
            SYNCING.store(false, Ordering::SeqCst);
            let _ = out.send(Msg::Reply(Reply::Job {
                label,
                done: Some(
                    result
                        .map(|m| sanitize_line(&m))
                        .map_err(|e| sanitize_line(&e)),
                ),
            }));
        });
    match started {
        Ok(handle) => {
            if let Ok(mut slot) = SYNC_THREAD.lock() {
                *slot = Some(handle);
            }
            None
        }
        Err(e) => {
            SYNCING.store(false, Ordering::SeqCst);
            Some(Reply::Job {
                label: String::new(),
                done: Some(Err(sanitize_line(&e.to_string()))),
            })
        }
    }
}

/// Tells the console how far a long import or export has got, at most
/// five times a second (and at every change of phase).
fn progress_reporter(label: String, lang: Lang, out: Sender<Msg>) -> crate::app::sync::ProgressFn {
    use crate::app::sync::SyncPhase;
    let mut last: Option<(SyncPhase, Instant)> = None;
    Box::new(move |p| {
        if last.is_some_and(|(phase, at)| {
            phase == p.phase && at.elapsed() < Duration::from_millis(200)
        }) {
            return;
        }
        last = Some((p.phase, Instant::now()));
        let phase = match (lang, p.phase) {
            (Lang::En, phase) => phase.label(),
            (Lang::Es, SyncPhase::Sealing) => "sellando",
            (Lang::Es, SyncPhase::Writing) => "escribiendo",
            (Lang::Es, SyncPhase::Checking) => "verificando",
            (Lang::Es, SyncPhase::Applying) => "aplicando",
            (Lang::Es, SyncPhase::Waiting) => "esperando a otra sincronización de esta base",
        };
        let _ = out.send(Msg::Reply(Reply::Job {
            label: format!("{label} {phase} {}/{}", p.done, p.total),
            done: None,
        }));
    })
}

/// One sync cycle and its one-line outcome: `Err` when the sync failed or
/// a file was refused (with the file and the reason), else what came in
/// and went out. Conflicts open afterwards are counted.
fn run_sync(app: &mut App, by: &str, via: &crate::config::SyncVia) -> Result<String, String> {
    use crate::config::SyncVia;
    let es = app.lang == Lang::Es;
    let (target, outcome) = match via {
        SyncVia::Folder(dir) => (
            dir.display().to_string(),
            app.sync_folder(dir, by).map(|r| (r, None)),
        ),
        SyncVia::Git { repo, branch } => (
            format!("git {} ({branch})", crate::app::transport::repo_shown(repo)),
            app.sync_git(repo, branch, by)
                .map(|g| (g.folder.clone(), Some(g.pushed))),
        ),
    };
    let (report, pushed) = match outcome {
        Ok(r) => r,
        Err(e) => {
            return Err(if es {
                format!("la sincronización con {target} falló: {e}")
            } else {
                format!("sync with {target} failed: {e}")
            });
        }
    };
    let conflicts = app.reader().conflict_count().unwrap_or(0);
    let line = sync_line(es, &report, pushed, conflicts);
    let line = format!("{line} · {target}");
    if report.refused.is_empty() {
        Ok(line)
    } else {
        Err(line)
    }
}

/// What one sync cycle did, most urgent first (a refused file, conflicts
/// to settle, then what came in, what went out, keys to trust, warnings),
/// so a narrow status line still shows what matters.
fn sync_line(
    es: bool,
    r: &crate::app::transport::FolderReport,
    pushed: Option<bool>,
    conflicts: i64,
) -> String {
    use crate::app::sync::ImportOutcome;
    let t = |es_text: String, en_text: String| if es { es_text } else { en_text };
    let mut parts: Vec<String> = Vec::new();
    if let Some(first) = r.refused.first() {
        // Names inside the folder are enough: the folder is said at the end.
        let root = format!("{}/", r.folder);
        let first = first.replace(&root, "");
        let more = r.refused.len() - 1;
        parts.push(match (es, more) {
            (true, 0) => format!("archivo rechazado: {first}"),
            (true, n) => format!("archivo rechazado: {first} (y {n} más)"),
            (false, 0) => format!("file refused: {first}"),
            (false, n) => format!("file refused: {first} (and {n} more)"),
        });
    }
    if conflicts > 0 {
        parts.push(t(
            format!(
                "{} por resolver (vista Con conflicto de sincronización)",
                count(conflicts, "conflicto", "conflictos")
            ),
            format!(
                "{} to settle (view Sync conflicts)",
                count(conflicts, "conflict", "conflicts")
            ),
        ));
    }
    let (mut ops, mut files, mut tickets) = (0u64, 0usize, 0usize);
    for i in &r.imported {
        if let ImportOutcome::Imported {
            new_ops,
            tickets: n,
            ..
        } = &i.outcome
        {
            ops += new_ops;
            files += 1;
            tickets += n;
        }
    }
    let imported = (ops > 0).then(|| {
        t(
            format!(
                "importados {}, {}, de {}",
                count(ops as i64, "cambio", "cambios"),
                count(tickets as i64, "ticket", "tickets"),
                count(files as i64, "archivo", "archivos")
            ),
            format!(
                "imported {}, {}, from {}",
                count(ops as i64, "change", "changes"),
                count(tickets as i64, "ticket", "tickets"),
                count(files as i64, "file", "files")
            ),
        )
    });
    // A bundle of acknowledgements alone is no change of this site's.
    let exported = r.exported.as_ref().filter(|e| e.ops > 0).map(|e| {
        t(
            format!("exportados {}", count(e.ops as i64, "cambio", "cambios")),
            format!("exported {}", count(e.ops as i64, "change", "changes")),
        )
    });
    match (imported, exported) {
        (None, None) => parts.push(t("nada nuevo".into(), "nothing new".into())),
        (i, e) => parts.extend(i.into_iter().chain(e)),
    }
    if pushed == Some(true) {
        parts.push(t("enviado (git push)".into(), "pushed".into()));
    }
    let lang = if es { Lang::Es } else { Lang::En };
    for p in &r.pending {
        let u = crate::sync::words::untrusted(lang, p);
        parts.push(t(
            format!("sin confianza aún: {u}"),
            format!("not trusted yet: {u}"),
        ));
    }
    for w in r.imported.iter().flat_map(|i| &i.clock_ahead) {
        let by = crate::domain::duration::format_minutes(w.minutes);
        parts.push(t(
            format!("aviso: el reloj de la sede {} va {by} adelantado", w.code),
            format!("warning: site {}'s clock is {by} ahead", w.code),
        ));
    }
    let head = t("sincronizado".into(), "synced".into());
    format!("{head}: {}", parts.join("; "))
}

// ----- sanitizing at the boundary -----

pub fn clean_ticket(mut t: Ticket) -> Ticket {
    for s in [
        &mut t.key,
        &mut t.ticket_type,
        &mut t.service,
        &mut t.title,
        &mut t.status,
        &mut t.priority,
        &mut t.impact,
        &mut t.urgency,
        &mut t.created_by,
    ] {
        *s = sanitize_line(s);
    }
    t.description = sanitize_block(&t.description);
    for s in [
        &mut t.assignee,
        &mut t.priority_justification,
        &mut t.reject_reason,
        &mut t.duplicate_of,
        &mut t.route,
    ]
    .into_iter()
    .flatten()
    {
        *s = sanitize_line(s);
    }
    for v in t.fields.values_mut() {
        clean_value(v);
    }
    t
}

fn clean_value(v: &mut Value) {
    match v {
        Value::String(s) => *s = sanitize_block(s),
        Value::Array(a) => a.iter_mut().for_each(clean_value),
        Value::Object(o) => o.values_mut().for_each(clean_value),
        _ => {}
    }
}

pub fn clean_detail(d: TicketDetail) -> TicketDetail {
    let mut d = d;
    d.ticket = clean_ticket(d.ticket);
    for c in &mut d.comments {
        c.author = sanitize_line(&c.author);
        c.body = sanitize_block(&c.body);
    }
    for w in &mut d.worklog {
        w.author = sanitize_line(&w.author);
        w.note = sanitize_line(&w.note);
    }
    for a in &mut d.attachments {
        a.author = sanitize_line(&a.author);
        a.name = sanitize_line(&a.name);
    }
    for r in &mut d.runbooks {
        r.started_by = sanitize_line(&r.started_by);
        for t in &mut r.ticks {
            t.by = sanitize_line(&t.by);
            t.evidence = sanitize_line(&t.evidence);
            t.item = sanitize_line(&t.item);
        }
    }
    for e in &mut d.escalations {
        e.by = sanitize_line(&e.by);
        e.note = sanitize_line(&e.note);
    }
    for l in d.links.iter_mut().chain(d.linked_from.iter_mut()) {
        l.kind = sanitize_line(&l.kind);
        l.target = sanitize_line(&l.target);
    }
    d
}

/// A conflict row as the detail shows it: every text sanitized, the heads
/// (`{op, value, by, at}` JSON) read leniently.
pub fn clean_conflict(row: crate::store::sync::ConflictRow) -> Conflict {
    let text = |v: &Value| match v {
        Value::String(s) => sanitize_line(s),
        Value::Null => String::new(),
        other => sanitize_line(&other.to_string()),
    };
    let heads = row
        .heads
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| ConflictHead {
            value: text(&h["value"]),
            by: text(&h["by"]),
            at: h["at"].as_i64().map(crate::domain::ticket::ms_to_time),
        })
        .collect();
    Conflict {
        field: sanitize_line(&row.field),
        kind: sanitize_line(&row.kind),
        heads,
    }
}

pub fn clean_op(mut op: Op) -> Op {
    op.actor = sanitize_line(&op.actor);
    op.kind = sanitize_line(&op.kind);
    op.field = op.field.as_deref().map(sanitize_line);
    clean_value(&mut op.value);
    op
}

/// A refusal of a bulk change, told with its ticket once: most refusals
/// already start with the key ("BOG-7: moving to 'cancelled' needs …").
/// The keys whose result is an error, in order.
fn failed_keys(keys: &[String], results: &[Result<(), String>]) -> Vec<String> {
    keys.iter()
        .zip(results)
        .filter(|(_, r)| r.is_err())
        .map(|(k, _)| k.clone())
        .collect()
}

fn about(key: &str, text: String) -> String {
    if text.starts_with(&format!("{key}: ")) {
        text
    } else {
        format!("{key}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ListFilter;

    /// A dossier is never written over a file: said in the operator's
    /// language, with what to do.
    #[test]
    fn a_dossier_over_an_existing_file_is_refused_in_spanish() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("BOG-1-level-2.md");
        std::fs::write(&path, "kept").expect("a file already there");
        let said = write_new_file(&path, "new", Lang::Es).expect_err("refused");
        assert!(
            said.ends_with(
                "ya existe, y el dossier no se escribe sobre otro archivo: elija otro nombre"
            ),
            "{said}"
        );
        let said = write_new_file(&path, "new", Lang::En).expect_err("refused");
        assert!(said.starts_with("cannot create "), "{said}");
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some("kept"));
    }

    #[test]
    fn a_bulk_refusal_names_its_ticket_once() {
        let keyed = crate::app::AppError::Refused {
            key: "BOG-7".into(),
            message: "is closed".into(),
        };
        assert_eq!(about("BOG-7", keyed.to_string()), "BOG-7: is closed");
        let bare = crate::app::AppError::Invalid("nothing to do".into());
        assert_eq!(about("BOG-7", bare.to_string()), "BOG-7: nothing to do");
    }

    #[test]
    fn repository_credentials_never_reach_the_screen() {
        use crate::app::transport::repo_shown as without_credentials;
        assert_eq!(
            without_credentials("https://ana:s3cr3t@git.example.org/mesa/sync.git"),
            "https://…@git.example.org/mesa/sync.git"
        );
        // ssh-style and plain addresses have no secret in them.
        assert_eq!(
            without_credentials("git@git.example.org:mesa/sync.git"),
            "git@git.example.org:mesa/sync.git"
        );
        assert_eq!(
            without_credentials("/srv/git/sync.git"),
            "/srv/git/sync.git"
        );
        // An @ in the path is not a user name.
        assert_eq!(
            without_credentials("https://git.example.org/a@b/sync.git"),
            "https://git.example.org/a@b/sync.git"
        );
    }

    fn page_req(generation: u64) -> Request {
        Request::Page {
            generation,
            filter: ListFilter::default(),
            dir: PageDir::Forward,
            from: None,
            reset: true,
        }
    }

    #[test]
    fn a_sync_line_puts_refusals_and_conflicts_first() {
        use crate::app::sync::{ImportOutcome, ImportReport};
        use crate::app::transport::FolderReport;
        let imported = |file: &str, new_ops: u64, tickets: usize| ImportReport {
            file: file.into(),
            exporter: "LYO".into(),
            outcome: ImportOutcome::Imported {
                changesets: 1,
                already_held: 0,
                new_ops,
                tickets,
                created: 0,
                updated: tickets,
            },
            warnings: Vec::new(),
            clock_ahead: Vec::new(),
        };
        let mut r = FolderReport {
            folder: "/mnt/c/5b7e".into(),
            imported: vec![imported("a.gdb", 4, 2), imported("b.gdb", 3, 1)],
            ..Default::default()
        };
        assert_eq!(
            sync_line(false, &r, None, 0),
            "synced: imported 7 changes, 3 tickets, from 2 files"
        );
        r.refused = vec![
            "/mnt/c/5b7e/sites/x/LYO-1-4-ab.gdb: refused: bad signature. The database was not changed".into(),
            "/mnt/c/5b7e/keys/y.pub: damaged".into(),
        ];
        r.pending = vec![crate::sync::words::Pending {
            code: "MAD".into(),
            site_id: "1b9e".into(),
            fingerprint: "1234".into(),
            clash: crate::sync::words::CodeClash::None,
        }];
        let line = sync_line(false, &r, Some(true), 2);
        assert_eq!(
            line,
            "synced: file refused: sites/x/LYO-1-4-ab.gdb: refused: bad signature. The database \
             was not changed (and 1 more); 2 conflicts to settle (view Sync conflicts); \
             imported 7 changes, 3 tickets, from 2 files; pushed; not trusted yet: MAD \
             (key fingerprint 1234): run `guardia sync trust MAD` once its operator confirms \
             the fingerprint"
        );
        let es = sync_line(true, &FolderReport::default(), None, 0);
        assert_eq!(es, "sincronizado: nada nuevo");
    }

    #[test]
    fn a_sync_line_counts_one_in_the_singular() {
        use crate::app::sync::{ImportOutcome, ImportReport};
        use crate::app::transport::FolderReport;
        let r = FolderReport {
            folder: "/mnt/c/5b7e".into(),
            imported: vec![ImportReport {
                file: "a.gdb".into(),
                exporter: "LYO".into(),
                outcome: ImportOutcome::Imported {
                    changesets: 1,
                    already_held: 0,
                    new_ops: 1,
                    tickets: 1,
                    created: 1,
                    updated: 0,
                },
                warnings: Vec::new(),
                clock_ahead: Vec::new(),
            }],
            ..Default::default()
        };
        assert_eq!(
            sync_line(false, &r, None, 1),
            "synced: 1 conflict to settle (view Sync conflicts); imported 1 change, 1 ticket, \
             from 1 file"
        );
        assert_eq!(
            sync_line(true, &r, None, 1),
            "sincronizado: 1 conflicto por resolver (vista Con conflicto de sincronización); \
             importados 1 cambio, 1 ticket, de 1 archivo"
        );
    }

    #[test]
    fn a_bulk_change_counts_one_ticket_in_the_singular() {
        let keys: Vec<String> = ["BOG-1", "BOG-2"].map(String::from).into();
        let done = |n: usize| if n == 1 { "asignado" } else { "asignados" }.to_string();
        assert_eq!(
            bulk(&keys, vec![Ok(()), Err("BOG-2: no".into())], done),
            Err("1 ticket: asignado; BOG-2: no".into())
        );
        assert_eq!(
            bulk(&keys, vec![Ok(()), Ok(())], done),
            Ok("2 tickets: asignados".into())
        );
    }

    #[test]
    fn a_burst_of_filter_keystrokes_is_answered_once() {
        let batch = vec![
            page_req(1),
            Request::Count {
                generation: 1,
                filter: ListFilter::default(),
            },
            page_req(2),
            Request::Count {
                generation: 2,
                filter: ListFilter::default(),
            },
            Request::Write(WriteOp::Comment {
                key: "A-1".into(),
                body: "x".into(),
            }),
            page_req(3),
        ];
        let kept = coalesce(batch);
        assert_eq!(kept.len(), 3);
        assert!(matches!(kept[0], Request::Count { generation: 2, .. }));
        assert!(matches!(kept[1], Request::Write(_)));
        assert!(matches!(kept[2], Request::Page { generation: 3, .. }));
    }
}
