//! `update`: the only code that changes the console state. Keys go through
//! the overlay on top, then the `/` prompt, then the keymap of the focused
//! pane; database replies land in the pane they belong to. It returns the
//! effects (queries, writes, editor, clipboard) for the runtime to carry out,
//! so tests drive it with key strings and no terminal or database.

use super::action::Action;
use super::forms;
use super::i18n::catalogue;
use super::input::{Edit, TextInput};
use super::keymap::Key;
use super::msg::{Effect, Msg, PageDir, Reply, Request, Row, WriteOp};
use super::state::*;
use crate::config::StateCategory;
use crate::domain::lifecycle;
use crate::store::ListFilter;
use crossterm::event::{KeyCode, KeyModifiers};

/// The requests that fill a freshly opened console.
pub fn start(c: &mut Console) -> Vec<Effect> {
    reload_queue(c)
}

pub fn update(c: &mut Console, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(c, key),
        Msg::Paste(text) => on_paste(c, &text),
        Msg::Resize(w, h) => {
            c.width = w;
            c.height = h;
            fit(c);
            // A taller window shows more of the detail: a scroll past its
            // new end would make the first `k` seem to do nothing.
            c.detail.scroll = c.detail.scroll.min(super::view::detail_max_scroll(c));
            // A taller window shows rows whose clocks were never asked for;
            // without this they would show their age until the next minute.
            let mut fx = request_sla(c, false);
            fx.extend(follow_selection(c));
            fx
        }
        Msg::Reply(r) => on_reply(c, r),
        Msg::EditorDone { key, text } => match text {
            Some(body) if !body.trim().is_empty() => write(c, WriteOp::Comment { key, body }),
            _ => {
                c.inform(match c.lang {
                    crate::config::Lang::Es => "Comentario vacío: no se guardó nada",
                    crate::config::Lang::En => "Empty comment: nothing saved",
                });
                vec![]
            }
        },
        // Clocks move with time alone: read the queue's again (the second
        // ticks of background work do not count).
        Msg::Tick if c.job.is_none() => {
            // Clocks warn and breach as time passes: the countdowns on
            // screen and the dashboard's counts are read again.
            let mut fx = request_sla(c, true);
            if c.focus == Pane::Dashboard {
                fx.extend(request_dashboard(c));
            } else {
                c.dashboard.stale = true;
            }
            fx
        }
        Msg::Tick => vec![],
    }
}

/// Sizes the panes' lists to the terminal, less the banner's line while a
/// major incident shows.
fn fit(c: &mut Console) {
    let h = c.height.saturating_sub(super::view::banner_height(c));
    let (queue_rows, other_rows) = super::view::list_rows(h);
    c.queue.height = queue_rows;
    c.detail.height = other_rows;
    c.runbooks.height = other_rows;
    keep_visible(&mut c.queue);
}

/// The terminal is below the smallest size the console draws in: the
/// screen says only that, so no key may act on what cannot be seen.
pub fn too_small(c: &Console) -> bool {
    c.width < super::view::MIN_WIDTH || c.height < super::view::MIN_HEIGHT
}

fn on_paste(c: &mut Console, text: &str) -> Vec<Effect> {
    if too_small(c) {
        return vec![];
    }
    if !c.overlays.is_empty() {
        // As if typed: the field is checked again, a title looks up
        // similar tickets.
        return forms::on_overlay_paste(c, text);
    }
    if let Some(input) = c.queue.typing.as_mut() {
        input.insert_str(text);
        c.queue.text = input.text.clone();
        return reload_queue(c);
    }
    vec![]
}

fn on_key(c: &mut Console, key: Key) -> Vec<Effect> {
    // Ctrl-c quits from anywhere, drafts or not: it is the way out that
    // always works.
    if key.code == KeyCode::Char('c') && key.mods.contains(KeyModifiers::CONTROL) {
        c.quit = true;
        return vec![Effect::Quit];
    }
    if too_small(c) {
        // Only leaving and repainting: nothing on screen shows what any
        // other key would act on. `q` is text in a prompt or form (hidden
        // too), so there only Ctrl-c leaves.
        return match c.keymap.action(&[super::keymap::Context::Global], key) {
            Some(Action::Redraw) => vec![Effect::FullRedraw],
            Some(Action::Quit) if c.overlays.is_empty() && c.queue.typing.is_none() => {
                c.quit = true;
                vec![Effect::Quit]
            }
            _ => vec![],
        };
    }
    if c.queue.jumping {
        c.held_keys.push(key);
        return vec![];
    }
    // A screen garbled by another program's output is repaired whatever
    // is open: the key of `redraw` is never text to type (it is a control
    // key in the built-in map).
    if key.mods.contains(KeyModifiers::CONTROL)
        && c.keymap.action(&[super::keymap::Context::Global], key) == Some(Action::Redraw)
    {
        return vec![Effect::FullRedraw];
    }
    // What the last key caused is replaced by what this one causes; a
    // configuration changed on disk keeps being said until a restart.
    c.notice = c.config_changed.clone().map(|text| Notice {
        text,
        error: true,
        one_line: false,
        neutral: false,
    });
    if !c.overlays.is_empty() {
        return forms::on_overlay_key(c, key);
    }
    if c.queue.typing.is_some() {
        return on_filter_key(c, key);
    }
    let contexts = c.focus.contexts();
    match c.keymap.action(contexts, key) {
        Some(action) => act(c, action),
        None => vec![],
    }
}

fn on_filter_key(c: &mut Console, key: Key) -> Vec<Effect> {
    let Some(input) = c.queue.typing.as_mut() else {
        return vec![];
    };
    match input.handle(key) {
        Edit::Submit => {
            c.queue.typing = None;
            request_sla(c, false)
        }
        Edit::Cancel => {
            c.queue.typing = None;
            c.queue.text.clear();
            reload_queue(c)
        }
        Edit::Changed => {
            c.queue.text = input.text.clone();
            reload_queue(c)
        }
        Edit::Moved | Edit::Ignored => vec![],
    }
}

/// Whether `action` does anything from `pane` (the help lists only those).
/// The list keys move nothing on the dashboard; opening and marking rows
/// are the queue's.
pub fn reaches(pane: Pane, action: Action) -> bool {
    use Action::*;
    match action {
        Open | ToggleMark => pane == Pane::Queue,
        MoveDown | MoveUp | Top | Bottom | PageDown | PageUp | HalfPageDown | HalfPageUp => {
            pane != Pane::Dashboard
        }
        _ => true,
    }
}

/// Actions on one ticket; with several marked they would be ambiguous.
const SINGLE_TICKET: &[Action] = &[
    Action::ChangePriority,
    Action::SetField,
    Action::Comment,
    Action::CommentInEditor,
    Action::Worklog,
    Action::Reject,
    Action::Escalate,
    Action::CopyKey,
    Action::ApplyKnown,
];

/// Refuses a one-ticket action while several tickets are marked.
pub(super) fn complain_several_marked(c: &mut Console) {
    c.complain(match c.lang {
        crate::config::Lang::Es => format!(
            "{} tickets marcados: esta acción es para uno (Esc quita las marcas)",
            c.queue.marked.len()
        ),
        crate::config::Lang::En => format!(
            "{} tickets marked: this action takes one (Esc clears the marks)",
            c.queue.marked.len()
        ),
    });
}

/// Carries out one action; also used by the palette.
pub fn act(c: &mut Console, action: Action) -> Vec<Effect> {
    use Action::*;
    if SINGLE_TICKET.contains(&action) && c.several_marked() {
        complain_several_marked(c);
        return vec![];
    }
    match action {
        Quit => {
            c.quit = true;
            vec![Effect::Quit]
        }
        Help => {
            c.overlays.push(Overlay::Help { scroll: 0 });
            vec![]
        }
        CommandPalette => {
            c.overlays.push(Overlay::Palette {
                input: TextInput::default(),
                selected: 0,
            });
            vec![]
        }
        NextPane | PrevPane => {
            let i = Pane::ALL.iter().position(|p| *p == c.focus).unwrap_or(0);
            let n = Pane::ALL.len();
            let next = if action == NextPane {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            focus(c, Pane::ALL[next])
        }
        FocusQueue => focus(c, Pane::Queue),
        FocusDetail => focus(c, Pane::Detail),
        FocusEscalation => focus(c, Pane::Escalation),
        FocusRunbooks => focus(c, Pane::Runbooks),
        FocusDashboard => focus(c, Pane::Dashboard),
        Back => back(c),
        Refresh => refresh(c),
        Redraw => vec![Effect::FullRedraw],
        NewTicket => {
            if let Some(why) = read_only(c) {
                c.complain(why);
                return vec![];
            }
            c.overlays.push(Overlay::NewTicket(forms::new_ticket_form(
                &c.config, c.lang,
            )));
            vec![]
        }
        RunDoctor => {
            if busy(c) {
                return vec![];
            }
            vec![Effect::Request(Request::Doctor)]
        }
        SyncNow => start_sync(c),
        MoveDown => step(c, 1),
        MoveUp => step(c, -1),
        PageDown => step(c, page(c) as isize),
        PageUp => step(c, -(page(c) as isize)),
        HalfPageDown => step(c, (page(c) / 2).max(1) as isize),
        HalfPageUp => step(c, -((page(c) / 2).max(1) as isize)),
        Top => top(c),
        Bottom => bottom(c),
        Open => open(c),
        Filter => {
            if c.focus != Pane::Queue {
                focus(c, Pane::Queue);
            }
            c.queue.typing = Some(TextInput::with(&c.queue.text));
            vec![]
        }
        FilterMenu => forms::open_filter_menu(c),
        ViewsMenu => forms::open_views_menu(c),
        SortMenu => forms::open_sort_menu(c),
        ClearFilter => {
            c.queue.text.clear();
            c.queue.fields = FieldFilters::default();
            c.queue.view = View::Open;
            reload_queue(c)
        }
        ToggleMark => {
            if c.focus == Pane::Queue
                && let Some(row) = c.queue.selected()
            {
                let key = row.ticket.key.clone();
                if !c.queue.marked.remove(&key) {
                    c.queue.marked.insert(key);
                }
                return step(c, 1);
            }
            vec![]
        }
        AssignToMe => match (read_only(c), c.identity.operator.clone()) {
            (None, Some(me)) => with_targets(c, |_, keys| {
                vec![WriteOp::Assign {
                    keys,
                    to: Some(me.clone()),
                }]
            }),
            (why, _) => {
                c.complain(why.unwrap_or_default());
                vec![]
            }
        },
        AssignTo => forms::open_ticket_menu(c, MenuPurpose::AssignTo),
        ChangeStatus => forms::open_ticket_menu(c, MenuPurpose::Status),
        ChangePriority => forms::open_ticket_menu(c, MenuPurpose::Priority),
        SetField => forms::open_ticket_menu(c, MenuPurpose::SetField),
        Reject => forms::open_ticket_menu(c, MenuPurpose::RejectReason),
        Comment => forms::open_prompt_for_ticket(c, |key| PromptPurpose::Comment { key }),
        Worklog => forms::open_prompt_for_ticket(c, |key| PromptPurpose::Worklog { key }),
        CommentInEditor => match (read_only(c), c.current_key()) {
            (None, Some(key)) => vec![Effect::OpenEditor { key }],
            (why, _) => {
                let t = catalogue(c.lang).select_ticket_first;
                c.complain(why.unwrap_or_else(|| t.into()));
                vec![]
            }
        },
        Escalate => forms::open_dossier_form(c),
        CopyKey => match c.current_key() {
            Some(key) => {
                c.say(catalogue(c.lang).copied);
                vec![Effect::Copy(key)]
            }
            None => vec![],
        },
        // The dossier last sent or the next level's (a menu when both).
        CopyDossier => forms::dossier_copy::offer(c, MenuPurpose::DossierCopy),
        WriteDossier => forms::dossier_copy::offer(c, MenuPurpose::DossierWrite),
        RunRunbook => forms::run_runbook(c),
        ToggleStep => forms::toggle_step(c),
        ApplyKnown => apply_known(c, None),
        AttachToMajor => forms::open_attach_prompt(c),
    }
}

/// For a detail just drawn of a ticket of the queue still being worked:
/// ask for the earlier tickets like it that were solved.
fn solved_request(c: &Console, generation: u64) -> Vec<Effect> {
    let Some(d) = c.detail.detail.as_ref() else {
        return vec![];
    };
    let t = &d.ticket;
    if c.config.record_of(&t.ticket_type) == crate::config::RecordKind::Ticket
        && lifecycle::being_worked(&c.config, t)
    {
        vec![Effect::Request(Request::Solved {
            generation,
            key: t.key.clone(),
        })]
    } else {
        vec![]
    }
}

/// Applies a known error to the current ticket: `known`, else the first
/// the detail suggests for it (which needs the ticket's detail loaded, so
/// the operator has seen what is applied).
pub fn apply_known(c: &mut Console, known: Option<String>) -> Vec<Effect> {
    let t = catalogue(c.lang);
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    let Some(key) = c.current_key() else {
        c.complain(t.select_ticket_first);
        return vec![];
    };
    let known = match known {
        Some(k) => k,
        None => {
            // Shown on screen, not merely loaded (`E` loads a ticket
            // without showing its detail): the detail pane has the focus,
            // or shares the screen with the queue.
            let on_screen = c.focus == Pane::Detail || c.split();
            let shown = on_screen
                && c.detail.key.as_deref() == Some(key.as_str())
                && !c.detail.loading
                && c.detail.detail.is_some();
            if !shown {
                c.complain(t.open_first);
                return vec![];
            }
            match c.detail.extras.known.first() {
                Some(k) => k.key.clone(),
                None => {
                    c.complain(format!("{} {key}; {}", t.no_known, t.no_known_hint));
                    return vec![];
                }
            }
        }
    };
    write(c, WriteOp::ApplyKnown { key, known })
}

/// Refuses new background work while some runs (one at a time, and the
/// status line has room for one).
fn busy(c: &mut Console) -> bool {
    let Some(job) = &c.job else {
        return false;
    };
    let text = match c.lang {
        crate::config::Lang::Es => format!("Espere: {} sigue en curso", job.label),
        crate::config::Lang::En => format!("Wait: {} is still running", job.label),
    };
    c.complain(text);
    true
}

/// Starts a sync with the `[sync]` target of guardia.toml in the background,
/// or says why it cannot: a job already running, the example database, no
/// target configured (and how to configure one).
fn start_sync(c: &mut Console) -> Vec<Effect> {
    use crate::config::Lang;
    if busy(c) {
        return vec![];
    }
    if c.example {
        c.complain(match c.lang {
            Lang::Es => "La base de ejemplo no se sincroniza: cree la suya con `guardia init`",
            Lang::En => "The example database does not sync: create your own with `guardia init`",
        });
        return vec![];
    }
    let Some(via) = c.config.settings.sync.as_ref().and_then(|s| s.via()) else {
        c.complain(match c.lang {
            Lang::Es => {
                "Falta [sync] en guardia.toml: folder = \"/ruta\" o git = \"URL\"; luego reinicie"
            }
            Lang::En => {
                "No [sync] in guardia.toml: add folder = \"/path\" or git = \"URL\", then restart"
            }
        });
        return vec![];
    };
    // Shown at once, and no second sync can be asked for meanwhile.
    c.job = Some(Job {
        label: catalogue(c.lang).syncing.to_string(),
        started: chrono::Utc::now(),
    });
    vec![Effect::Request(Request::Sync(via))]
}

/// The reason writes are refused, when the console is read-only.
pub fn read_only(c: &Console) -> Option<String> {
    match &c.identity.operator {
        Some(_) => None,
        None => Some(
            c.identity
                .why_read_only
                .clone()
                .unwrap_or_else(|| "read-only".into()),
        ),
    }
}

/// Applies `ops` to the marked tickets or the current one.
fn with_targets(
    c: &mut Console,
    ops: impl FnOnce(&mut Console, Vec<String>) -> Vec<WriteOp>,
) -> Vec<Effect> {
    let keys = c.target_keys();
    if keys.is_empty() {
        c.complain(catalogue(c.lang).select_ticket_first);
        return vec![];
    }
    let ops = ops(c, keys);
    ops.into_iter().flat_map(|op| write(c, op)).collect()
}

pub fn write(c: &mut Console, op: WriteOp) -> Vec<Effect> {
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    vec![Effect::Request(Request::Write(op))]
}

fn page(c: &Console) -> usize {
    match c.focus {
        Pane::Detail => c.detail.height.max(1),
        Pane::Runbooks => c.runbooks.height.max(1),
        _ => c.queue.height.max(1),
    }
}

fn focus(c: &mut Console, pane: Pane) -> Vec<Effect> {
    // Leaving the queue, the other panes show the row under the cursor,
    // not whichever ticket was opened last.
    let from_queue = c.focus == Pane::Queue;
    let selected = c.queue.selected().map(|r| r.ticket.key.clone());
    c.focus = pane;
    let mut fx = Vec::new();
    match pane {
        // Shown at once from what was read last; read again only if the
        // database changed meanwhile.
        Pane::Dashboard if c.dashboard.data.is_none() || c.dashboard.stale => {
            fx.extend(request_dashboard(c))
        }
        Pane::Dashboard => {}
        Pane::Detail | Pane::Escalation | Pane::Runbooks => {
            let key = if from_queue && selected.is_some() {
                selected
            } else {
                c.current_key()
            };
            if let Some(key) = key
                && (c.detail.key.as_deref() != Some(&key) || c.detail.detail.is_none())
            {
                fx.extend(request_detail(c, key));
            }
            if pane == Pane::Escalation && !c.detail.loading {
                point_at_next_level(c);
            }
        }
        Pane::Queue => {}
    }
    fx
}

/// Puts the matrix cursor on the level the opened ticket would go to next.
fn point_at_next_level(c: &mut Console) {
    if let Some(d) = &c.detail.detail {
        c.escalation.cursor =
            usize::from(d.ticket.level).min(c.config.levels.len().saturating_sub(1));
    }
}

fn back(c: &mut Console) -> Vec<Effect> {
    match c.focus {
        Pane::Queue => {
            if !c.queue.text.is_empty()
                || c.queue.fields != FieldFilters::default()
                || c.queue.view != View::Open
            {
                c.queue.text.clear();
                c.queue.fields = FieldFilters::default();
                c.queue.view = View::Open;
                return reload_queue(c);
            }
            if !c.queue.marked.is_empty() {
                c.queue.marked.clear();
            }
            vec![]
        }
        _ => {
            c.focus = Pane::Queue;
            vec![]
        }
    }
}

fn refresh(c: &mut Console) -> Vec<Effect> {
    let mut fx = refresh_queue(c);
    if let Some(key) = c.detail.key.clone() {
        fx.extend(request_detail(c, key));
    }
    if c.focus == Pane::Dashboard {
        fx.extend(request_dashboard(c));
    } else {
        c.dashboard.stale = true;
    }
    fx
}

// ----- queue -----

/// Letters the last typed word needs before it counts as a prefix.
pub const PREFIX_FROM: usize = 4;

/// The list filter the queue's view, field filters, text and sort describe.
pub fn queue_filter(c: &Console) -> ListFilter {
    let q = &c.queue;
    let cfg = &c.config;
    let open = lifecycle::open_states(&cfg.workflows);
    let mut statuses = match q.view {
        View::Waiting => {
            let mut w = lifecycle::states_in(&cfg.workflows, &[StateCategory::Waiting]);
            if w.is_empty() {
                // No state waits on anyone: the view is empty, not "every state".
                w.push(String::new());
            }
            w
        }
        // Resolved, not yet closed: the caller's conformity is awaited.
        View::Resolved => {
            let mut r = lifecycle::states_in(&cfg.workflows, &[StateCategory::Resolved]);
            if r.is_empty() {
                r.push(String::new());
            }
            r
        }
        // A conflict needs settling whatever state the ticket is in.
        View::All | View::Conflicts => Vec::new(),
        _ => open,
    };
    if let Some(s) = &q.fields.status {
        statuses = vec![s.clone()];
    }
    let mut assignee = match q.view {
        View::Mine => Some(c.identity.operator.clone()),
        View::Unassigned => Some(None),
        _ => None,
    };
    if let Some(a) = &q.fields.assignee {
        assignee = Some(a.clone());
    }
    // As the operator types, the last word is a prefix: "impre" finds
    // "impresora" before the word is finished.
    let text = q.text.trim();
    // Only from four letters on: a short prefix matches a large part of the
    // vocabulary, and FTS5 merges every matching word's list before it can
    // return the newest rows (1 letter: ~200 ms, 3 letters: 13-20 ms at 1M).
    let last_word = text.split_whitespace().last().unwrap_or("");
    let query = (!text.is_empty()).then(|| {
        if q.text.ends_with(' ') || text.ends_with('*') || last_word.chars().count() < PREFIX_FROM {
            text.to_string()
        } else {
            format!("{text}*")
        }
    });
    ListFilter {
        statuses,
        priority: q.fields.priority.clone(),
        service: q.fields.service.clone(),
        assignee,
        level: q.fields.level,
        min_level: (q.view == View::Level2).then_some(2),
        // The SLA order checks each open clock against a text filter, which
        // for a common word costs a full-text evaluation of every match
        // (0.2-0.8 s at 1M tickets): while a text filter is on, matches come
        // newest first, as typing needs them.
        ascending: q.sort == Sort::Oldest || (by_sla(q) && query.is_none()),
        by_sla: by_sla(q) && query.is_none(),
        query,
        after_no: None,
        inclusive: false,
        limit: PAGE,
        conflicts: q.view == View::Conflicts,
        // Problems and known errors are records, not the queue's work (as
        // in `guardia report` and the dashboard); one assigned to you is
        // still your work, and "All" and the conflicts list everything.
        queue_only: !matches!(q.view, View::Mine | View::All | View::Conflicts),
    }
}

/// The queue walks the SLA countdown: sorted so, or the "breaching soon"
/// view. Not in the conflicts view: a closed ticket has no clock, and its
/// conflict must still be listed.
pub fn by_sla(q: &super::state::QueueState) -> bool {
    (q.sort == Sort::Sla || q.view == View::Breaching)
        && q.view != View::Conflicts
        && q.view != View::Known
        // A resolved ticket's clock has stopped: in the SLA order the view
        // would be empty.
        && q.view != View::Resolved
}

/// The queue lists known errors (the knowledge view) instead of tickets.
fn known_view(c: &Console) -> bool {
    c.queue.view == View::Known
}

/// A page of the knowledge view: the `/` text searches by symptom, the
/// service filter narrows; continuations go on after the last row's key.
fn known_request(c: &Console, limit: usize, reset: bool) -> Effect {
    let q = &c.queue;
    let last = q.rows.last().filter(|_| !reset);
    Effect::Request(Request::Known {
        generation: q.generation,
        service: q.fields.service.clone(),
        text: q.text.trim().to_string(),
        after: last.map(|r| r.ticket.key.clone()),
        from: last.map(|r| r.no),
        limit,
        reset,
    })
}

/// A new filter: start again from the top.
pub fn reload_queue(c: &mut Console) -> Vec<Effect> {
    let generation = c.next_generation();
    let q = &mut c.queue;
    q.generation = generation;
    // Another view or filter: the cursor starts at its top.
    q.landing = None;
    q.rows.clear();
    q.cursor = 0;
    q.scroll = 0;
    q.total = None;
    q.sla.clear();
    q.sla_asked.clear();
    q.loading = true;
    q.more_before = false;
    q.more_after = false;
    if known_view(c) {
        return vec![known_request(c, PAGE, true)];
    }
    window_and_count(generation, queue_filter(c), None)
}

/// A fresh window of the queue (from its start, or from `from`) and the
/// count of the same filter, under one generation.
fn window_and_count(generation: u64, filter: ListFilter, from: Option<i64>) -> Vec<Effect> {
    vec![
        Effect::Request(Request::Page {
            generation,
            filter: filter.clone(),
            dir: PageDir::Forward,
            from,
            reset: true,
        }),
        Effect::Request(Request::Count { generation, filter }),
    ]
}

/// The same filter again, keeping the window and the selection.
fn refresh_queue(c: &mut Console) -> Vec<Effect> {
    let generation = c.next_generation();
    let mut filter = queue_filter(c);
    let q = &mut c.queue;
    q.generation = generation;
    // Until the refreshed window arrives no continuation may be asked for:
    // it would extend a window that is about to be replaced.
    q.loading = true;
    if known_view(c) {
        // Known errors are few: read again from the top as many as shown.
        let limit = c.queue.rows.len().clamp(PAGE, WINDOW_MAX);
        return vec![known_request(c, limit, true)];
    }
    let q = &mut c.queue;
    filter.limit = q.rows.len().clamp(PAGE, WINDOW_MAX);
    // Re-read from the first row, included.
    filter.inclusive = true;
    let from = q.rows.first().map(|r| r.no);
    let from = if q.more_before { from } else { None };
    window_and_count(generation, filter, from)
}

fn step(c: &mut Console, delta: isize) -> Vec<Effect> {
    match c.focus {
        Pane::Queue => move_queue(c, delta),
        Pane::Detail => {
            let max = super::view::detail_max_scroll(c);
            let d = &mut c.detail;
            d.scroll = d.scroll.saturating_add_signed(delta).min(max);
            vec![]
        }
        Pane::Escalation => {
            let n = c.config.levels.len();
            let e = &mut c.escalation;
            e.cursor = e
                .cursor
                .saturating_add_signed(delta)
                .min(n.saturating_sub(1));
            vec![]
        }
        Pane::Runbooks => {
            let n = forms::runbook_rows(c).len();
            let r = &mut c.runbooks;
            r.cursor = r
                .cursor
                .saturating_add_signed(delta)
                .min(n.saturating_sub(1));
            let h = r.height.max(1);
            if r.cursor < r.scroll {
                r.scroll = r.cursor;
            } else if r.cursor >= r.scroll + h {
                r.scroll = r.cursor + 1 - h;
            }
            vec![]
        }
        Pane::Dashboard => vec![],
    }
}

fn move_queue(c: &mut Console, delta: isize) -> Vec<Effect> {
    let q = &mut c.queue;
    if q.rows.is_empty() {
        return vec![];
    }
    q.cursor = q.cursor.saturating_add_signed(delta).min(q.rows.len() - 1);
    keep_visible(q);
    let mut fx = prefetch(c);
    fx.extend(request_sla(c, false));
    fx.extend(follow_selection(c));
    fx
}

fn keep_visible(q: &mut QueueState) {
    let h = q.height.max(1);
    if q.cursor < q.scroll {
        q.scroll = q.cursor;
    } else if q.cursor >= q.scroll + h {
        q.scroll = q.cursor + 1 - h;
    }
    q.scroll = q.scroll.min(q.rows.len().saturating_sub(1));
}

/// Fetches the next page before the cursor reaches the end of the window.
fn prefetch(c: &mut Console) -> Vec<Effect> {
    let margin = c.queue.height.max(PAGE / 2);
    let q = &c.queue;
    if q.loading {
        return vec![];
    }
    if known_view(c) {
        // Forward only: the knowledge view pages on from its last key.
        if !(q.more_after && q.cursor + margin >= q.rows.len()) {
            return vec![];
        }
        c.queue.loading = true;
        return vec![known_request(c, PAGE, false)];
    }
    let (dir, from) = if q.more_after && q.cursor + margin >= q.rows.len() {
        (PageDir::Forward, q.rows.last().map(|r| r.no))
    } else if q.more_before && q.cursor < margin {
        (PageDir::Backward, q.rows.first().map(|r| r.no))
    } else {
        return vec![];
    };
    let filter = queue_filter(c);
    c.queue.loading = true;
    vec![Effect::Request(Request::Page {
        generation: c.queue.generation,
        filter,
        dir,
        from,
        reset: false,
    })]
}

fn top(c: &mut Console) -> Vec<Effect> {
    match c.focus {
        Pane::Queue if c.queue.more_before => {
            let fx = reload_queue(c);
            c.queue.jumping = true;
            fx
        }
        Pane::Queue => {
            c.queue.cursor = 0;
            keep_visible(&mut c.queue);
            follow_selection(c)
        }
        _ => step(c, isize::MIN / 2),
    }
}

fn bottom(c: &mut Console) -> Vec<Effect> {
    match c.focus {
        Pane::Queue if c.queue.more_after && !known_view(c) => {
            // A new generation: pages still on their way belong to the old window.
            let generation = c.next_generation();
            c.queue.generation = generation;
            let filter = queue_filter(c);
            c.queue.loading = true;
            c.queue.jumping = true;
            vec![Effect::Request(Request::Page {
                generation,
                filter,
                dir: PageDir::Backward,
                from: None,
                reset: true,
            })]
        }
        Pane::Queue => {
            c.queue.cursor = c.queue.rows.len().saturating_sub(1);
            keep_visible(&mut c.queue);
            follow_selection(c)
        }
        _ => step(c, isize::MAX / 2),
    }
}

fn open(c: &mut Console) -> Vec<Effect> {
    match c.focus {
        Pane::Queue => match c.queue.selected().map(|r| r.ticket.key.clone()) {
            Some(key) => {
                c.focus = Pane::Detail;
                c.detail.scroll = 0;
                if c.detail.key.as_deref() == Some(&key) && c.detail.detail.is_some() {
                    return vec![];
                }
                request_detail(c, key)
            }
            None => vec![],
        },
        Pane::Dashboard => vec![],
        _ => vec![],
    }
}

/// At split width the detail follows the queue's selection.
fn follow_selection(c: &mut Console) -> Vec<Effect> {
    if !(c.split() && c.focus == Pane::Queue) {
        return vec![];
    }
    match c.queue.selected().map(|r| r.ticket.key.clone()) {
        Some(key) if c.detail.key.as_deref() != Some(&key) => {
            c.detail.scroll = 0;
            request_detail(c, key)
        }
        _ => vec![],
    }
}

pub fn request_detail(c: &mut Console, key: String) -> Vec<Effect> {
    let generation = c.next_generation();
    c.detail.generation = generation;
    c.detail.key = Some(key.clone());
    c.detail.loading = true;
    vec![Effect::Request(Request::Detail { generation, key })]
}

/// Asks for the SLA clocks of the rows on screen that have none yet (all
/// of them when `all`: the database or the time moved). Not while a text
/// filter is being typed: each clock reads the ticket's log, and on a cold
/// 1M-ticket database those reads would compete with the next keystroke's
/// page; the clocks come when the typing stops.
fn request_sla(c: &mut Console, all: bool) -> Vec<Effect> {
    // Known errors have no SLA clock.
    if known_view(c) {
        return vec![];
    }
    let q = &mut c.queue;
    if q.typing.is_some() {
        return vec![];
    }
    let keys: Vec<String> = q
        .rows
        .iter()
        .skip(q.scroll)
        .take(q.height.max(1))
        .map(|r| r.ticket.key.clone())
        .filter(|k| all || !q.sla_asked.contains(k))
        .collect();
    if keys.is_empty() {
        return vec![];
    }
    q.sla_asked.extend(keys.iter().cloned());
    vec![Effect::Request(Request::Sla {
        generation: q.generation,
        keys,
    })]
}

fn request_dashboard(c: &mut Console) -> Vec<Effect> {
    c.dashboard.stale = false;
    let generation = c.next_generation();
    c.dashboard.generation = generation;
    vec![Effect::Request(Request::Dashboard { generation })]
}

// ----- replies -----

fn on_reply(c: &mut Console, reply: Reply) -> Vec<Effect> {
    match reply {
        Reply::Page {
            generation,
            dir,
            reset,
            from,
            rows,
            more,
        } => {
            if generation != c.queue.generation {
                return vec![];
            }
            // A continuation must still start at the window's edge (a refresh
            // may have replaced the window meanwhile); else fetch it again.
            let q = &c.queue;
            let edge = match dir {
                PageDir::Forward => q.rows.last().map(|r| r.no),
                PageDir::Backward => q.rows.first().map(|r| r.no),
            };
            if !reset && from != edge {
                c.queue.loading = false;
                return prefetch(c);
            }
            apply_page(&mut c.queue, dir, reset, rows, more);
            let mut fx = if reset {
                land(c, dir == PageDir::Forward)
            } else {
                Vec::new()
            };
            if known_view(c) {
                // No count request: what is loaded is counted, "+" while
                // more pages follow.
                c.queue.total = Some(c.queue.rows.len() as i64);
                c.queue.total_capped = c.queue.more_after;
            }
            fx.extend(request_sla(c, reset));
            fx.extend(prefetch(c));
            fx.extend(follow_selection(c));
            fx.extend(land_held_keys(c));
            fx
        }
        Reply::Count {
            generation,
            count,
            capped,
        } => {
            if generation == c.queue.generation {
                c.queue.total = Some(count);
                c.queue.total_capped = capped;
            }
            vec![]
        }
        Reply::Detail {
            generation,
            detail,
            log,
            conflicts,
            extras,
        } => {
            if generation == c.detail.generation {
                c.detail.loading = false;
                c.detail.conflicts = conflicts;
                c.detail.extras = extras;
                if detail.is_none() {
                    let key = c.detail.key.take().unwrap_or_default();
                    c.complain(match c.lang {
                        crate::config::Lang::Es => format!("no hay un ticket {key} en esta base"),
                        crate::config::Lang::En => format!("no ticket {key} in this database"),
                    });
                    // Nothing to show: no phantom ticket for the next key
                    // (a comment, a move) to act on.
                    if matches!(c.focus, Pane::Detail | Pane::Escalation | Pane::Runbooks) {
                        c.focus = Pane::Queue;
                    }
                }
                c.detail.detail = detail;
                c.detail.log = log;
                if c.focus == Pane::Escalation {
                    point_at_next_level(c);
                }
                let mut fx = solved_request(c, generation);
                let pending = c.escalation.form_pending.take();
                let arrived = c.detail.detail.as_ref().map(|d| d.ticket.key.clone());
                if pending.is_some() && pending == arrived && pending == c.current_key() {
                    fx.extend(super::forms::open_dossier_form(c));
                }
                return fx;
            }
            vec![]
        }
        Reply::Solved {
            generation,
            tickets,
        } => {
            if generation == c.detail.generation {
                c.detail.extras.solved = tickets;
            }
            vec![]
        }
        Reply::Dashboard { generation, data } => {
            if generation == c.dashboard.generation {
                c.dashboard.data = Some(data);
            }
            vec![]
        }
        Reply::Similar {
            generation,
            tickets,
        } => {
            if let Some(Overlay::NewTicket(f)) = c.overlays.last_mut()
                && f.similar_generation == generation
            {
                f.similar = tickets;
            }
            vec![]
        }
        Reply::Originals { key, code, tickets } => {
            // Still rejecting that ticket as a duplicate (not again, with
            // another reason, after Esc): list them in the prompt, one per
            // line with its key first, so no box width hides a key (a
            // title is cut to the box). Not typed into the note for the
            // operator: a key arriving while they type would be linked in
            // place of the one they meant.
            let label = catalogue(c.lang).likely_originals;
            if let Some(Overlay::Prompt {
                purpose: PromptPurpose::RejectNote { key: k, code: c2 },
                info,
                ..
            }) = c.overlays.last_mut()
                && *k == key
                && *c2 == code
                && !tickets.is_empty()
            {
                // A second answer (the database changed) replaces the first.
                if let Some(at) = info.iter().position(|l| l == label) {
                    info.truncate(at);
                }
                info.push(label.to_string());
                info.extend(tickets.iter().map(|(k, t)| format!("  {k}  {t}")));
            }
            vec![]
        }
        Reply::Written {
            result,
            key,
            op,
            refused,
        } => {
            let draft = c.take_draft(&op);
            match result {
                Ok(m) => {
                    c.say(m);
                    c.queue.landing = landing_after(c, &op, key.as_deref());
                    // Bulk writes (assign, move) answer without a key; the
                    // marks were for them. A comment leaves them alone.
                    if key.is_none() {
                        c.queue.marked.clear();
                    }
                }
                Err(e) => {
                    let e = super::advice::for_console(c, &e);
                    match draft {
                        Some(d) => forms::reopen(c, d.overlay, d.under, &refused, e),
                        None => c.complain(e),
                    }
                }
            }
            let mut fx = refresh(c);
            if let Some(k) = key
                && c.detail.key.as_deref() != Some(&k)
            {
                fx.extend(request_detail(c, k));
            }
            fx
        }
        Reply::Outdated {
            message,
            key,
            op,
            now,
        } => {
            let draft = c.take_draft(&op);
            match draft {
                Some(d) => {
                    let mut overlay = d.overlay;
                    forms::rebase(&mut overlay, &now);
                    forms::reopen(c, overlay, d.under, std::slice::from_ref(&key), message);
                }
                None => c.complain(message),
            }
            // The detail shows what the field holds now.
            let mut fx = refresh(c);
            if c.detail.key.as_deref() != Some(&key) {
                fx.extend(request_detail(c, key));
            }
            fx
        }
        Reply::Sla { generation, clocks } => {
            if generation == c.queue.generation {
                c.queue.sla.extend(clocks);
            }
            vec![]
        }
        Reply::Changed => refresh(c),
        Reply::ConfigChanged(files) => {
            c.config_changed = config_changed_words(c.lang, &files);
            match c.config_changed.clone() {
                Some(text) => c.complain(text),
                None => c.say(match c.lang {
                    crate::config::Lang::Es => {
                        "Los archivos de configuración volvieron a ser los del inicio: los cambios se aceptan de nuevo"
                    }
                    crate::config::Lang::En => {
                        "The configuration files are back as they were at the start: changes are accepted again"
                    }
                }),
            }
            vec![]
        }
        Reply::Majors(majors) => {
            // The banner takes a line from the lists when it appears and
            // gives it back when the last major incident is resolved.
            c.majors = majors;
            fit(c);
            request_sla(c, false)
        }
        Reply::Job { label, done } => match done {
            None => {
                // Progress of the job running keeps its start time.
                match &mut c.job {
                    Some(job) => job.label = label,
                    None => {
                        c.job = Some(Job {
                            label,
                            started: chrono::Utc::now(),
                        })
                    }
                }
                vec![]
            }
            Some(result) => {
                c.job = None;
                c.tell_outcome(result);
                // A sync brings other sites' changes: show them now, with
                // the cursor kept on its ticket.
                refresh(c)
            }
        },
        Reply::Failed {
            generation,
            message,
        } => {
            if generation.is_some() && generation == Some(c.queue.generation) {
                c.queue.loading = false;
                c.complain(message);
                // The rows on screen stay; the keys typed meanwhile act on them.
                return land_held_keys(c);
            }
            c.complain(message);
            vec![]
        }
    }
}

/// What the status line keeps saying while the configuration files differ
/// from the ones the console started with (`files`; none: they are back).
pub fn config_changed_words(lang: crate::config::Lang, files: &[String]) -> Option<String> {
    if files.is_empty() {
        return None;
    }
    let files = files.join(", ");
    Some(match lang {
        crate::config::Lang::Es => format!(
            "La configuración cambió en disco ({files}): esta consola sigue con la anterior y no guarda cambios; salga (q) y abra guardia de nuevo"
        ),
        crate::config::Lang::En => format!(
            "The configuration changed on disk ({files}): this console still has the old one and saves no changes; quit (q) and start guardia again"
        ),
    })
}

/// Where the cursor goes once the rows refreshed after `op` arrive: to the
/// ticket just registered, or to the one ticket changed when the cursor
/// was on it (a bulk change, or one made to another ticket, moves nothing).
fn landing_after(c: &Console, op: &WriteOp, key: Option<&str>) -> Option<Landing> {
    if let WriteOp::Create(_) = op {
        return key.map(|k| Landing {
            key: k.to_string(),
            new: true,
            moved_to: None,
        });
    }
    let keys = op.keys();
    let [one] = keys.as_slice() else {
        return None;
    };
    if c.queue.selected().map(|r| r.ticket.key.as_str()) != Some(one.as_str()) {
        return None;
    }
    let moved_to = match op {
        WriteOp::Move { state, .. } => Some(state.clone()),
        _ => None,
    };
    Some(Landing {
        key: one.clone(),
        new: false,
        moved_to,
    })
}

/// The rows refreshed after a change are in: the cursor goes to the
/// ticket changed or registered. One registered that the view does not
/// list is opened in the detail instead; one the change took out of the
/// view (resolved, assigned away) is said, with the row the cursor is on
/// now, so the next key is not taken for one on the ticket just changed.
fn land(c: &mut Console, forward: bool) -> Vec<Effect> {
    let Some(landing) = c.queue.landing.take() else {
        return vec![];
    };
    if !forward {
        return vec![];
    }
    if let Some(i) = c
        .queue
        .rows
        .iter()
        .position(|r| r.ticket.key == landing.key)
    {
        c.queue.cursor = i;
        keep_visible(&mut c.queue);
        return vec![];
    }
    if c.focus != Pane::Queue {
        // The detail shows the ticket and the keys act on it there.
        return vec![];
    }
    let words = left_view_words(c, &landing);
    match c.notice.as_mut() {
        Some(n) => n.text = format!("{} — {words}", n.text),
        None => c.inform(words),
    }
    if landing.new {
        c.focus = Pane::Detail;
        c.detail.scroll = 0;
        if c.detail.key.as_deref() != Some(landing.key.as_str()) {
            return request_detail(c, landing.key);
        }
    }
    vec![]
}

/// The view that lists tickets in `state` by its category, when that is
/// one of the state views (waiting, resolved).
fn view_of_state(c: &Console, state: &str) -> Option<View> {
    let wfs = &c.config.workflows;
    let in_category =
        |cat: StateCategory| lifecycle::states_in(wfs, &[cat]).iter().any(|s| s == state);
    if in_category(StateCategory::Resolved) {
        Some(View::Resolved)
    } else if in_category(StateCategory::Waiting) {
        Some(View::Waiting)
    } else {
        None
    }
}

/// What the status line adds when the ticket changed or registered is not
/// in the view: registered, that its detail is shown; changed, where the
/// cursor is now and which view lists the ticket.
fn left_view_words(c: &Console, landing: &Landing) -> String {
    use crate::config::Lang;
    let view = forms::view_label(c.queue.view, c.lang);
    let key = &landing.key;
    if landing.new {
        return match c.lang {
            Lang::Es => format!("la vista «{view}» no lo lista: se muestra en el detalle"),
            Lang::En => format!("the view \"{view}\" does not list it: shown in the detail"),
        };
    }
    let cursor = c.queue.selected().map(|r| r.ticket.key.clone());
    let mut words = match (c.lang, cursor) {
        (Lang::Es, Some(now)) => {
            format!("{key} ya no está en «{view}»; el cursor pasó a {now}")
        }
        (Lang::Es, None) => format!("{key} ya no está en «{view}», que quedó vacía"),
        (Lang::En, Some(now)) => {
            format!("{key} is no longer in \"{view}\"; the cursor moved to {now}")
        }
        (Lang::En, None) => format!("{key} is no longer in \"{view}\", which is now empty"),
    };
    let listed_in = landing
        .moved_to
        .as_deref()
        .and_then(|s| view_of_state(c, s))
        .filter(|v| *v != c.queue.view);
    if let Some(v) = listed_in {
        let name = forms::view_label(v, c.lang);
        let how = c
            .keymap
            .hint(Pane::Queue.contexts(), Action::ViewsMenu)
            .map(|k| format!(" ({})", crate::text::sanitize_line(&k.to_string())))
            .unwrap_or_default();
        words.push_str(&match c.lang {
            Lang::Es => format!("; lo lista la vista «{name}»{how}"),
            Lang::En => format!("; the view \"{name}\" lists it{how}"),
        });
    }
    words
}

/// A jump's rows are on screen: the keys typed meanwhile act now, in order
/// (one of them may jump again and hold the rest once more).
fn land_held_keys(c: &mut Console) -> Vec<Effect> {
    if !c.queue.jumping {
        return vec![];
    }
    c.queue.jumping = false;
    let mut fx = Vec::new();
    for key in std::mem::take(&mut c.held_keys) {
        fx.extend(on_key(c, key));
    }
    fx
}

fn apply_page(q: &mut QueueState, dir: PageDir, reset: bool, rows: Vec<Row>, more: bool) {
    q.loading = false;
    let selected = q.selected().map(|r| r.ticket.key.clone());
    match (reset, dir) {
        (true, PageDir::Forward) => {
            // A refresh keeps the ticket under the cursor when it is still there.
            let before = q.more_before && !q.rows.is_empty();
            q.rows = rows;
            q.more_after = more;
            q.more_before = before;
            q.cursor = selected
                .and_then(|k| q.rows.iter().position(|r| r.ticket.key == k))
                .unwrap_or(q.cursor);
        }
        (true, PageDir::Backward) => {
            q.rows = rows;
            q.more_before = more;
            q.more_after = false;
            q.cursor = q.rows.len().saturating_sub(1);
        }
        (false, PageDir::Forward) => {
            q.rows.extend(rows);
            q.more_after = more;
            if q.rows.len() > WINDOW_MAX {
                let drop = q.rows.len() - WINDOW_MAX;
                q.rows.drain(..drop);
                q.cursor = q.cursor.saturating_sub(drop);
                q.scroll = q.scroll.saturating_sub(drop);
                q.more_before = true;
            }
        }
        (false, PageDir::Backward) => {
            let added = rows.len();
            let mut new = rows;
            new.append(&mut q.rows);
            q.rows = new;
            q.cursor += added;
            q.scroll += added;
            q.more_before = more;
            if q.rows.len() > WINDOW_MAX {
                q.rows.truncate(WINDOW_MAX);
                q.more_after = true;
            }
        }
    }
    q.cursor = q.cursor.min(q.rows.len().saturating_sub(1));
    keep_visible(q);
}
