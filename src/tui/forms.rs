//! Overlays: menus, one-line prompts, the escalation dossier form, the new
//! ticket form, the palette and the help. Each turns keys into a choice and
//! the choice into a `WriteOp` or a filter; the rules themselves are checked
//! again by the application layer when the write happens.

use super::action::Action;
use super::i18n::{catalogue, field_label, reason_label};
use super::input::{Edit, TextInput};
use super::keymap::Key;
use super::msg::{Effect, NewTicketDraft, Request, WriteOp};
use super::state::*;
use super::update::{act, read_only, reload_queue, write};
use crate::config::{Config, FieldKind, Lang};
use crate::domain::escalation::{self, Dossier};
use crate::domain::{intake, lifecycle, priority};
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::{Map, Value};

pub mod dossier_copy;
pub mod escalation_words;
pub mod value_words;

/// The text field that pasted text goes into.
pub fn focused_input(o: &mut Overlay) -> Option<&mut TextInput> {
    match o {
        Overlay::Palette { input, .. } | Overlay::Prompt { input, .. } => Some(input),
        Overlay::Dossier(f) => f.missing.get_mut(f.selected).map(|m| &mut m.input),
        Overlay::NewTicket(f) => f
            .fields
            .get_mut(f.selected)
            .filter(|m| m.choices.is_empty())
            .map(|m| &mut m.input),
        _ => None,
    }
}

pub fn on_overlay_key(c: &mut Console, key: Key) -> Vec<Effect> {
    // What was typed, as it was before this key (Enter or Ctrl-s sends it).
    let before = c.overlays.last().filter(|o| holds_draft(o)).cloned();
    let fx = overlay_key(c, key);
    if let Some(overlay) = before {
        remember(c, &fx, overlay);
    }
    fx
}

/// Overlays whose typing is worth keeping when the change it asks for is
/// refused: prompts, forms, and the palette's typed commands.
fn holds_draft(o: &Overlay) -> bool {
    match o {
        Overlay::Prompt { .. } | Overlay::Dossier(_) | Overlay::NewTicket(_) => true,
        Overlay::Palette { input, .. } => matches!(
            input.text.split_whitespace().next(),
            Some("assign" | "approve" | "link" | "known")
        ),
        _ => false,
    }
}

/// Keeps `overlay` with each change its key sent, until the answer.
fn remember(c: &mut Console, fx: &[Effect], overlay: Overlay) {
    for e in fx {
        if let Effect::Request(Request::Write(op)) = e {
            if c.drafts.len() >= DRAFTS_MAX {
                c.drafts.remove(0);
            }
            c.drafts.push(Draft {
                op: op.clone(),
                overlay: overlay.clone(),
                under: c.overlays.len(),
            });
        }
    }
}

/// The database refused what `overlay` sent: it opens again as it was,
/// with the refusal in it (a bulk move, for the tickets refused only).
/// On top when nothing else was opened meanwhile (`under` overlays were
/// open under it when it was sent, and still are), else under what was.
pub fn reopen(c: &mut Console, overlay: Overlay, under: usize, refused: &[String], error: String) {
    let overlay = match overlay {
        Overlay::Prompt {
            title,
            input,
            mut purpose,
            info,
            ..
        } => {
            if let PromptPurpose::StatusNote { keys, .. } = &mut purpose
                && !refused.is_empty()
            {
                *keys = refused.to_vec();
            }
            Overlay::Prompt {
                title,
                input,
                purpose,
                error: Some(error),
                info,
            }
        }
        Overlay::Dossier(mut form) => {
            form.error = Some(error);
            Overlay::Dossier(form)
        }
        Overlay::NewTicket(mut form) => {
            form.error = Some(error);
            Overlay::NewTicket(form)
        }
        // The palette has no room for it: the status line says it.
        other => {
            c.complain(error);
            other
        }
    };
    if c.overlays.len() <= under {
        c.overlays.push(overlay);
    } else {
        c.overlays.insert(0, overlay);
    }
}

/// The fields of a refused `overlay` that changed meanwhile hold `now`:
/// its edits are based on that from here on, so sending the text again
/// (the operator has seen the refusal, which says what they hold) applies it.
pub fn rebase(overlay: &mut Overlay, now: &[(String, Option<Value>)]) {
    let current = |field: &str| now.iter().find(|(f, _)| f == field).map(|(_, v)| v.clone());
    match overlay {
        Overlay::Prompt {
            purpose: PromptPurpose::FieldValue { field, base, .. },
            ..
        } => {
            if let Some(v) = current(field) {
                *base = v;
            }
        }
        Overlay::Dossier(form) => {
            for m in &mut form.missing {
                if let Some(v) = current(&m.field) {
                    m.base = v;
                }
            }
        }
        _ => {}
    }
}

/// Pasted text goes where typing would, and counts as typing: the form
/// checks the field again and a title looks up similar tickets.
pub fn on_overlay_paste(c: &mut Console, text: &str) -> Vec<Effect> {
    let Some(mut top) = c.overlays.pop() else {
        return vec![];
    };
    let mut fx = Vec::new();
    match &mut top {
        Overlay::NewTicket(form) => {
            if let Some(f) = form
                .fields
                .get_mut(form.selected)
                .filter(|f| f.choices.is_empty())
            {
                f.input.insert_str(text);
                fx = form_edited(c, form);
            }
        }
        Overlay::Dossier(form) => {
            if let Some(m) = form.missing.get_mut(form.selected) {
                m.input.insert_str(text);
                form.error = None;
            }
        }
        Overlay::Palette { input, selected } => {
            input.insert_str(text);
            *selected = 0;
        }
        other => {
            if let Some(input) = focused_input(other) {
                input.insert_str(text);
            }
        }
    }
    c.overlays.push(top);
    fx
}

fn overlay_key(c: &mut Console, key: Key) -> Vec<Effect> {
    let Some(top) = c.overlays.pop() else {
        return vec![];
    };
    match top {
        Overlay::Help { scroll } => match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') => vec![],
            KeyCode::Down | KeyCode::Char('j') => {
                let most = c.keymap.bindings().len() + 16;
                c.overlays.push(Overlay::Help {
                    scroll: (scroll + 1).min(most),
                });
                vec![]
            }
            KeyCode::Up | KeyCode::Char('k') => {
                c.overlays.push(Overlay::Help {
                    scroll: scroll.saturating_sub(1),
                });
                vec![]
            }
            _ => {
                c.overlays.push(Overlay::Help { scroll });
                vec![]
            }
        },
        Overlay::Palette { input, selected } => palette_key(c, input, selected, key),
        Overlay::Menu {
            title,
            items,
            selected,
            purpose,
            keys,
        } => {
            let n = items.len();
            let moved = |s: usize, d: isize| s.saturating_add_signed(d).min(n.saturating_sub(1));
            let selected = match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Enter => {
                    return match items.get(selected) {
                        Some(item) => chosen(c, purpose, item.value.clone(), keys),
                        None => vec![],
                    };
                }
                KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => moved(selected, 1),
                KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => moved(selected, -1),
                KeyCode::Home | KeyCode::Char('g') => 0,
                KeyCode::End | KeyCode::Char('G') => n.saturating_sub(1),
                KeyCode::PageDown => moved(selected, 10),
                KeyCode::PageUp => moved(selected, -10),
                _ => selected,
            };
            c.overlays.push(Overlay::Menu {
                title,
                items,
                selected,
                purpose,
                keys,
            });
            vec![]
        }
        Overlay::Prompt {
            title,
            mut input,
            purpose,
            error,
            info,
        } => match input.handle(key) {
            Edit::Cancel => vec![],
            Edit::Submit => match prompt_problem(&c.config, &purpose, input.text.trim(), c.lang) {
                // Refused before it is sent, the text kept for correcting:
                // a typo in the duration must not cost the note.
                Some(problem) => {
                    c.overlays.push(Overlay::Prompt {
                        title,
                        input,
                        purpose,
                        error: Some(problem),
                        info,
                    });
                    vec![]
                }
                None => prompt_done(c, purpose, input.text.trim().to_string()),
            },
            // The refusal stays in sight while the text is corrected.
            _ => {
                c.overlays.push(Overlay::Prompt {
                    title,
                    input,
                    purpose,
                    error,
                    info,
                });
                vec![]
            }
        },
        Overlay::Dossier(form) => dossier_key(c, form, key),
        Overlay::NewTicket(form) => new_ticket_key(c, form, key),
    }
}

// ----- palette -----

/// Actions whose name or description contains every typed word.
pub fn palette_matches(c: &Console, text: &str) -> Vec<Action> {
    let words: Vec<String> = text.split_whitespace().map(|w| w.to_lowercase()).collect();
    // "known" alone still finds the action that applies a known error;
    // followed by a key it is the command.
    let command = match words.first().map(String::as_str) {
        Some("goto" | "assign" | "approve" | "link") => true,
        Some("known") => words.len() > 1,
        _ => false,
    };
    if command {
        return vec![];
    }
    Action::ALL
        .iter()
        .copied()
        .filter(|a| {
            let hay = format!("{} {}", a.name(), a.describe(c.lang)).to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

fn palette_key(c: &mut Console, mut input: TextInput, selected: usize, key: Key) -> Vec<Effect> {
    let matches = palette_matches(c, &input.text);
    let n = matches.len();
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => {
            let text = input.text.trim().to_string();
            let mut words = text.split_whitespace();
            match (words.next(), words.next()) {
                (Some("goto"), Some(k)) => return goto(c, k),
                (Some("known"), Some(k)) => {
                    if c.several_marked() {
                        super::update::complain_several_marked(c);
                        return vec![];
                    }
                    return super::update::apply_known(c, Some(k.trim().to_uppercase()));
                }
                (Some(verb @ ("approve" | "link")), Some(arg)) => {
                    if c.several_marked() {
                        // One ticket's approval or link: the marks would make
                        // it ambiguous, as for the other one-ticket actions.
                        super::update::complain_several_marked(c);
                        return vec![];
                    }
                    let Some(key) = c.current_key() else {
                        c.complain(catalogue(c.lang).select_ticket_first);
                        return vec![];
                    };
                    let rest: Vec<&str> = words.collect();
                    let op = if verb == "approve" {
                        WriteOp::Approve {
                            key,
                            approval: arg.to_string(),
                            reason: rest.join(" "),
                        }
                    } else {
                        WriteOp::Link {
                            key,
                            other: arg.trim().to_uppercase(),
                            kind: rest.first().unwrap_or(&"related").to_string(),
                        }
                    };
                    return write(c, op);
                }
                (Some("assign"), Some(op)) => {
                    let keys = c.target_keys();
                    if keys.is_empty() {
                        c.complain(catalogue(c.lang).select_ticket_first);
                        return vec![];
                    }
                    let to = (op != "none" && op != "-").then(|| op.to_string());
                    return write(c, WriteOp::Assign { keys, to });
                }
                _ => {}
            }
            return match matches.get(selected) {
                Some(a) => act(c, *a),
                None => vec![],
            };
        }
        KeyCode::Down | KeyCode::Tab => {
            let s = (selected + 1).min(n.saturating_sub(1));
            c.overlays.push(Overlay::Palette { input, selected: s });
            return vec![];
        }
        KeyCode::Up | KeyCode::BackTab => {
            c.overlays.push(Overlay::Palette {
                input,
                selected: selected.saturating_sub(1),
            });
            return vec![];
        }
        _ => {}
    }
    let sel = if input.handle(key) == Edit::Changed {
        0
    } else {
        selected
    };
    c.overlays.push(Overlay::Palette {
        input,
        selected: sel,
    });
    vec![]
}

/// Opens a ticket by key, even one outside the current filter.
fn goto(c: &mut Console, key: &str) -> Vec<Effect> {
    let Some(key) = crate::domain::site::canonical_ticket_key(key) else {
        c.complain(match c.lang {
            crate::config::Lang::Es => format!(
                "'{}' no es una clave de ticket; son como BOG-42",
                crate::text::sanitize_line(key.trim())
            ),
            crate::config::Lang::En => format!(
                "'{}' is not a ticket key; keys look like BOG-42",
                crate::text::sanitize_line(key.trim())
            ),
        });
        return vec![];
    };
    c.focus = Pane::Detail;
    c.detail.scroll = 0;
    super::update::request_detail(c, key)
}

// ----- menus -----

fn menu(
    c: &mut Console,
    title: &str,
    items: Vec<MenuItem>,
    purpose: MenuPurpose,
    keys: Vec<String>,
) {
    c.overlays.push(Overlay::Menu {
        title: title.to_string(),
        items,
        selected: 0,
        purpose,
        keys,
    });
}

fn item(label: impl Into<String>, value: impl Into<String>) -> MenuItem {
    MenuItem {
        label: label.into(),
        value: value.into(),
    }
}

/// Menus that need a ticket (or marked tickets).
pub fn open_ticket_menu(c: &mut Console, purpose: MenuPurpose) -> Vec<Effect> {
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    let t = catalogue(c.lang);
    let keys = match purpose {
        MenuPurpose::AssignTo | MenuPurpose::Status => c.target_keys(),
        _ => c.current_key().into_iter().collect(),
    };
    if keys.is_empty() {
        c.complain(t.select_ticket_first);
        return vec![];
    }
    let cfg = c.config.clone();
    let lang = c.lang;
    // The ticket the menu is about: the one marked (when one is), not
    // whatever row the cursor moved to after marking.
    let ticket = match keys.as_slice() {
        [one] => ticket_by_key(c, one),
        _ => current_ticket(c),
    };
    let (title, items) = match &purpose {
        MenuPurpose::AssignTo => {
            let mut items: Vec<MenuItem> = cfg
                .operators
                .iter()
                .map(|o| {
                    item(
                        format!("{} — {} (N{})", o.id.get_ref(), o.name, o.level.get_ref()),
                        o.id.get_ref(),
                    )
                })
                .collect();
            items.push(item(t.unassigned, "-"));
            (t.pick_operator, items)
        }
        MenuPurpose::Status => {
            let items = match (&ticket, keys.len()) {
                (Some(tk), 1) => {
                    // Named as the ticket's own workflow names them: the
                    // same id means another step in another workflow.
                    let Some(wf) = cfg.workflow_for_type(&tk.ticket_type) else {
                        c.complain(no_move_from(&cfg, lang, tk));
                        return vec![];
                    };
                    let name_of = |s: &str| {
                        let name = wf
                            .states
                            .iter()
                            .find(|st| st.id.get_ref() == s)
                            .map(|st| st.name.get(lang).to_string());
                        name.map_or_else(|| s.to_string(), |n| format!("{s} — {n}"))
                    };
                    // After a sync conflict on the state, the states the
                    // sites chose come first: any of them settles it, even
                    // where no move leads out of the state shown.
                    let settling = conflict_states(c, tk);
                    let states: Vec<String> = lifecycle::reachable(wf, &tk.status)
                        .into_iter()
                        .filter(|s| !settling.iter().any(|(h, _)| h == s))
                        .collect();
                    if states.is_empty() && settling.is_empty() {
                        c.complain(no_move_from(&cfg, lang, tk));
                        return vec![];
                    }
                    settling
                        .iter()
                        .map(|(s, shown)| {
                            let why = match (lang, *shown) {
                                (Lang::Es, true) => "confirma el mostrado y resuelve el conflicto",
                                (Lang::Es, false) => "resuelve el conflicto de sincronización",
                                (Lang::En, true) => "confirms the one shown, settling the conflict",
                                (Lang::En, false) => "settles the sync conflict",
                            };
                            item(format!("{} ({why})", name_of(s)), s)
                        })
                        .chain(states.iter().map(|s| item(name_of(s), s)))
                        .collect()
                }
                _ => several_tickets_states(&cfg, lang, &keys, |k| ticket_by_key(c, k)),
            };
            (t.pick_status, items)
        }
        MenuPurpose::Priority => {
            let mut items: Vec<MenuItem> = cfg
                .priority
                .priorities
                .iter()
                .enumerate()
                .map(|(i, g)| item(format!("P{} {}", i + 1, g.name.get(lang)), g.id.get_ref()))
                .collect();
            items.push(item(
                match lang {
                    Lang::Es => "automática (impacto × urgencia)",
                    Lang::En => "automatic (impact × urgency)",
                },
                crate::app::AUTO_PRIORITY,
            ));
            (t.pick_priority, items)
        }
        MenuPurpose::SetField => {
            let mut ids: Vec<String> = ["title", "description", "impact", "urgency", "service"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if let Some(tt) = ticket
                .as_ref()
                .and_then(|tk| cfg.ticket_type(&tk.ticket_type))
            {
                ids.extend(
                    tt.mandatory
                        .iter()
                        .chain(&tt.optional)
                        .map(|f| f.get_ref().clone()),
                );
            }
            let items = ids
                .iter()
                .map(|id| item(format!("{id} — {}", field_label(&cfg, lang, id)), id))
                .collect();
            (t.pick_field, items)
        }
        MenuPurpose::RejectReason => (
            t.pick_reason,
            // Only the reasons of the ticket's own procedure (`types`).
            cfg.rejections
                .iter()
                .filter(|r| {
                    ticket
                        .as_ref()
                        .is_none_or(|tk| r.applies_to(&tk.ticket_type))
                })
                .map(|r| {
                    item(
                        format!("{} — {}", r.code.get_ref(), r.label.get(lang)),
                        r.code.get_ref(),
                    )
                })
                .collect(),
        ),
        _ => return vec![],
    };
    menu(c, title, items, purpose, keys);
    vec![]
}

/// The states that settle a sync conflict on the state of `tk`, as the
/// detail pane holds its conflicts: each state the sites chose (`true`
/// for the one shown), or, after an invalid transition alone, the state
/// shown (confirming it settles that). Empty without a conflict, or while
/// the detail shows another ticket.
fn conflict_states(c: &Console, tk: &crate::domain::ticket::Ticket) -> Vec<(String, bool)> {
    use crate::store::merge::INVALID_TRANSITION;
    let shown_here = c
        .detail
        .detail
        .as_ref()
        .is_some_and(|d| d.ticket.key == tk.key);
    if !shown_here {
        return Vec::new();
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for k in c.detail.conflicts.iter().filter(|k| k.field == "status") {
        let values: Vec<String> = if k.kind == INVALID_TRANSITION {
            vec![tk.status.clone()]
        } else {
            k.heads.iter().map(|h| h.value.clone()).collect()
        };
        for v in values {
            if !out.iter().any(|(s, _)| s == &v) {
                let shown = v == tk.status;
                out.push((v, shown));
            }
        }
    }
    out
}

/// Why the status menu of `tk` would be empty: its workflow no longer has
/// its state (or the ticket's type has no workflow any more), or no move
/// leads out of the state. Says what to do about it.
fn no_move_from(cfg: &Config, lang: Lang, tk: &crate::domain::ticket::Ticket) -> String {
    let key = &tk.key;
    let state = &tk.status;
    let Some(wf) = cfg.workflow_for_type(&tk.ticket_type) else {
        let ty = &tk.ticket_type;
        return match lang {
            Lang::Es => format!(
                "{key} no se puede mover: su tipo '{ty}' ya no tiene flujo de trabajo en la configuración; pida al administrador que lo devuelva a types.toml y workflows.toml"
            ),
            Lang::En => format!(
                "{key} cannot be moved: its type '{ty}' no longer has a workflow in the configuration; ask an administrator to put it back in types.toml and workflows.toml"
            ),
        };
    };
    let wf_id = wf.id.get_ref();
    if !wf.states.iter().any(|s| s.id.get_ref() == state) {
        return match lang {
            Lang::Es => format!(
                "{key} está en el estado '{state}', que el flujo '{wf_id}' ya no tiene, y ningún movimiento sale de él; pida al administrador que lo devuelva a workflows.toml (o añada una transición desde él) y reinicie la consola"
            ),
            Lang::En => format!(
                "{key} is in state '{state}', which workflow '{wf_id}' no longer has, so no move leads out of it; ask an administrator to put it back in workflows.toml (or add a transition from it), then restart the console"
            ),
        };
    }
    let name = super::i18n::state_label(cfg, lang, &tk.ticket_type, state);
    match lang {
        Lang::Es => format!(
            "{key} está en '{name}' ({state}): el flujo '{wf_id}' no tiene movimientos desde ese estado"
        ),
        Lang::En => format!(
            "{key} is in '{name}' ({state}): workflow '{wf_id}' has no move out of that state"
        ),
    }
}

/// The states offered for several marked tickets: every configured state
/// (each ticket's workflow refuses what it cannot reach, and the note
/// prompt opens again for those), each named as the marked tickets'
/// workflows name it (`waiting — Waiting for customer / 3 Waiting for the
/// requester` when two of them differ), else as any workflow does.
fn several_tickets_states(
    cfg: &Config,
    lang: Lang,
    keys: &[String],
    ticket: impl Fn(&str) -> Option<crate::domain::ticket::Ticket>,
) -> Vec<MenuItem> {
    // The workflows of the marked tickets; every workflow when a marked
    // ticket is not at hand (scrolled out of the loaded rows).
    let mut workflows: Vec<&crate::config::Workflow> = Vec::new();
    let mut all = false;
    for k in keys {
        match ticket(k).and_then(|tk| cfg.workflow_for_type(&tk.ticket_type)) {
            Some(wf) => {
                if !workflows.iter().any(|w| w.id.get_ref() == wf.id.get_ref()) {
                    workflows.push(wf);
                }
            }
            None => all = true,
        }
    }
    if all || workflows.is_empty() {
        workflows = cfg.workflows.iter().collect();
    }
    let mut ids: Vec<String> = cfg
        .workflows
        .iter()
        .flat_map(|w| w.states.iter().map(|s| s.id.get_ref().clone()))
        .collect();
    ids.sort();
    ids.dedup();
    let names_in = |wfs: &[&crate::config::Workflow], id: &str| {
        let mut names: Vec<String> = Vec::new();
        for w in wfs {
            if let Some(st) = w.states.iter().find(|st| st.id.get_ref() == id) {
                let n = st.name.get(lang).to_string();
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names
    };
    let every: Vec<&crate::config::Workflow> = cfg.workflows.iter().collect();
    ids.into_iter()
        .map(|id| {
            let mut names = names_in(&workflows, &id);
            if names.is_empty() {
                names = names_in(&every, &id).into_iter().take(1).collect();
            }
            item(format!("{id} — {}", names.join(" / ")), id)
        })
        .collect()
}

/// The fields the filter menu offers, by id.
const FILTER_FIELDS: [&str; 5] = ["status", "priority", "service", "assignee", "level"];

/// A filter field by the name the filter menu gives it.
fn filter_field_label(lang: Lang, field: &str) -> &'static str {
    let t = catalogue(lang);
    match field {
        "status" => t.f_status,
        "priority" => t.f_priority,
        "service" => t.f_service,
        "assignee" => t.f_assignee,
        "level" => t.f_level,
        _ => "?",
    }
}

pub fn open_filter_menu(c: &mut Console) -> Vec<Effect> {
    let t = catalogue(c.lang);
    let items = FILTER_FIELDS
        .iter()
        .map(|f| item(filter_field_label(c.lang, f), *f))
        .collect();
    menu(c, t.pick_filter, items, MenuPurpose::FilterField, vec![]);
    vec![]
}

/// The states the status filter offers, each by its name and id: the name
/// the workflow of the default ticket type gives it (most tickets follow
/// it), else the first workflow's that has it (`Registrado (new)`, not the
/// `1 Solicitud ingresada` of another workflow that sorted first). The
/// default workflow's states come first, in its order, then the states
/// only other workflows have. One line each: every workflow's names of one
/// id would wrap the menu's rows.
fn status_filter_items(cfg: &Config, lang: Lang) -> Vec<MenuItem> {
    let main = cfg
        .settings
        .defaults
        .ticket_type
        .as_ref()
        .and_then(|ty| cfg.workflow_for_type(ty.get_ref()))
        .or_else(|| cfg.workflows.first());
    let mut items: Vec<MenuItem> = Vec::new();
    for wf in main.into_iter().chain(cfg.workflows.iter()) {
        for st in &wf.states {
            let id = st.id.get_ref();
            if items.iter().any(|i| &i.value == id) {
                continue;
            }
            let name = st.name.get(lang);
            let label = if name == id.as_str() {
                id.clone()
            } else {
                format!("{name} ({id})")
            };
            items.push(item(label, id.clone()));
        }
    }
    items
}

pub fn open_views_menu(c: &mut Console) -> Vec<Effect> {
    let t = catalogue(c.lang);
    let items = View::ALL
        .iter()
        .map(|v| item(view_label(*v, c.lang), format!("{v:?}")))
        .collect();
    menu(c, t.pick_view, items, MenuPurpose::View, vec![]);
    vec![]
}

pub fn open_sort_menu(c: &mut Console) -> Vec<Effect> {
    let t = catalogue(c.lang);
    let items = vec![
        item(t.sort_newest, "newest"),
        item(t.sort_oldest, "oldest"),
        item(t.sort_sla, "sla"),
    ];
    menu(c, t.pick_sort, items, MenuPurpose::Sort, vec![]);
    // The sort in force is highlighted: Enter keeps it, and the menu says
    // which one the queue is in.
    let current = match c.queue.sort {
        Sort::Newest => 0,
        Sort::Oldest => 1,
        Sort::Sla => 2,
    };
    if let Some(Overlay::Menu { selected, .. }) = c.overlays.last_mut() {
        *selected = current;
    }
    vec![]
}

pub fn view_label(v: View, lang: Lang) -> &'static str {
    let t = catalogue(lang);
    match v {
        View::Open => t.view_open,
        View::Mine => t.view_mine,
        View::Unassigned => t.view_unassigned,
        View::Level2 => t.view_level2,
        View::Breaching => t.view_breaching,
        View::Waiting => t.view_waiting,
        View::Resolved => t.view_resolved,
        View::Conflicts => t.view_conflicts,
        View::All => t.view_all,
        View::Known => t.view_known,
    }
}

fn filter_values(c: &Console, field: &str) -> Vec<MenuItem> {
    let cfg = &c.config;
    let lang = c.lang;
    let mut items = vec![item(catalogue(lang).any, "*")];
    match field {
        "status" => items.extend(status_filter_items(cfg, lang)),
        "priority" => items.extend(
            cfg.priority
                .priorities
                .iter()
                .enumerate()
                .map(|(i, g)| item(format!("P{} {}", i + 1, g.name.get(lang)), g.id.get_ref())),
        ),
        "service" => items.extend(
            cfg.services
                .iter()
                .map(|s| item(format!("{} — {}", s.id.get_ref(), s.name), s.id.get_ref())),
        ),
        "assignee" => {
            items.push(item(catalogue(lang).unassigned, "-"));
            items.extend(
                cfg.operators
                    .iter()
                    .map(|o| item(format!("{} — {}", o.id.get_ref(), o.name), o.id.get_ref())),
            );
        }
        "level" => items.extend(cfg.levels.iter().map(|l| {
            item(
                format!("{} — {}", l.n.get_ref(), l.name.get(lang)),
                l.n.get_ref().to_string(),
            )
        })),
        _ => {}
    }
    items
}

fn chosen(c: &mut Console, purpose: MenuPurpose, value: String, keys: Vec<String>) -> Vec<Effect> {
    let t = catalogue(c.lang);
    match purpose {
        MenuPurpose::AssignTo => {
            let to = (value != "-").then_some(value);
            write(c, WriteOp::Assign { keys, to })
        }
        MenuPurpose::Status => {
            c.overlays.push(Overlay::Prompt {
                title: format!("{} → {value}", t.status_note_prompt),
                input: TextInput::default(),
                purpose: PromptPurpose::StatusNote { keys, state: value },
                error: None,
                info: Vec::new(),
            });
            vec![]
        }
        MenuPurpose::Priority => {
            let Some(key) = keys.into_iter().next() else {
                return vec![];
            };
            if value == crate::app::AUTO_PRIORITY {
                return write(
                    c,
                    WriteOp::Set {
                        key,
                        field: "priority".into(),
                        value,
                        justification: None,
                        based_on: Vec::new(),
                    },
                );
            }
            c.overlays.push(Overlay::Prompt {
                title: t.justification_prompt.into(),
                input: TextInput::default(),
                purpose: PromptPurpose::PriorityJustification {
                    key,
                    priority: value,
                },
                error: None,
                info: Vec::new(),
            });
            vec![]
        }
        MenuPurpose::SetField => {
            let Some(key) = keys.into_iter().next() else {
                return vec![];
            };
            let shown = current_ticket(c);
            // An impact or urgency by its name, as the detail shows it (the
            // change takes a name as well as an id).
            let grades = match value.as_str() {
                "impact" => Some(&c.config.priority.impacts),
                "urgency" => Some(&c.config.priority.urgencies),
                _ => None,
            };
            let current = shown
                .as_ref()
                .and_then(|tk| tk.core_value(&value).or_else(|| tk.field_text(&value)))
                .map(|v| match grades {
                    Some(g) => Config::grade_label(g, &v, c.lang).to_string(),
                    None => v,
                })
                .unwrap_or_default();
            // The value the text starts from: should someone change the
            // field before Enter, the change is refused rather than undone.
            let base = shown.and_then(|tk| crate::app::field_value(&tk, &value));
            c.overlays.push(Overlay::Prompt {
                title: format!(
                    "{} ({})",
                    t.value_prompt,
                    field_label(&c.config, c.lang, &value)
                ),
                input: TextInput::with(&current),
                purpose: PromptPurpose::FieldValue {
                    key,
                    field: value,
                    base,
                },
                error: None,
                info: Vec::new(),
            });
            vec![]
        }
        MenuPurpose::RejectReason => {
            let Some(key) = keys.into_iter().next() else {
                return vec![];
            };
            // A duplicate names its original: the worker proposes the
            // likeliest ones (see `Reply::Originals`).
            let duplicate = c
                .config
                .rejection(&value)
                .is_some_and(|r| r.action == crate::config::RejectionAction::Duplicate);
            // Named by its label: the code is what the menu showed first.
            let reason = reason_label(&c.config, c.lang, &value);
            let note = if duplicate {
                t.duplicate_note_prompt
            } else {
                t.reject_note_prompt
            };
            c.overlays.push(Overlay::Prompt {
                title: format!("{reason}: {note}"),
                input: TextInput::default(),
                purpose: PromptPurpose::RejectNote {
                    key: key.clone(),
                    code: value.clone(),
                },
                error: None,
                info: vec![t.internal_note_hint.to_string()],
            });
            if duplicate {
                vec![Effect::Request(Request::Originals { key, code: value })]
            } else {
                vec![]
            }
        }
        MenuPurpose::FilterField => {
            let items = filter_values(c, &value);
            // By the field's name, as the first menu showed it.
            let title = format!("{}: {}", t.pick_filter, filter_field_label(c.lang, &value));
            menu(c, &title, items, MenuPurpose::FilterValue(value), vec![]);
            vec![]
        }
        MenuPurpose::FilterValue(field) => {
            let any = value == "*";
            let f = &mut c.queue.fields;
            match field.as_str() {
                "status" => f.status = (!any).then_some(value),
                "priority" => f.priority = (!any).then_some(value),
                "service" => f.service = (!any).then_some(value),
                "assignee" => {
                    f.assignee = (!any).then(|| (value != "-").then_some(value));
                }
                "level" => f.level = if any { None } else { value.parse().ok() },
                _ => {}
            }
            reload_queue(c)
        }
        MenuPurpose::View => {
            if let Some(v) = View::ALL.iter().find(|v| format!("{v:?}") == value) {
                if *v == View::Mine && c.identity.operator.is_none() {
                    c.complain(read_only(c).unwrap_or_default());
                    return vec![];
                }
                c.queue.view = *v;
            }
            c.focus = Pane::Queue;
            reload_queue(c)
        }
        MenuPurpose::DossierCopy | MenuPurpose::DossierWrite => {
            dossier_copy::chosen(c, &purpose, &value)
        }
        MenuPurpose::Sort => {
            c.queue.sort = match value.as_str() {
                "oldest" => Sort::Oldest,
                "sla" => Sort::Sla,
                _ => Sort::Newest,
            };
            reload_queue(c)
        }
    }
}

// ----- prompts -----

pub fn open_prompt_for_ticket(
    c: &mut Console,
    purpose: impl FnOnce(String) -> PromptPurpose,
) -> Vec<Effect> {
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    let t = catalogue(c.lang);
    let Some(key) = c.current_key() else {
        c.complain(t.select_ticket_first);
        return vec![];
    };
    let purpose = purpose(key);
    let title = match purpose {
        PromptPurpose::Worklog { .. } => t.worklog_prompt,
        _ => t.comment_prompt,
    };
    // The view names the ticket after the title.
    c.overlays.push(Overlay::Prompt {
        title: title.to_string(),
        input: TextInput::default(),
        purpose,
        error: None,
        info: Vec::new(),
    });
    vec![]
}

/// What is wrong with a prompt's text that can be told without the
/// database (the worklog's duration, a tick without evidence, a value of
/// the wrong kind for a field), if anything, in the console's language.
fn prompt_problem(cfg: &Config, purpose: &PromptPurpose, text: &str, lang: Lang) -> Option<String> {
    match purpose {
        PromptPurpose::FieldValue { field, .. } if !text.is_empty() => {
            let def = cfg.field(field)?;
            value_words::field_problem(def, text, lang)
        }
        // Said, as for a comment of only "!": closing without a word would
        // look like a comment saved.
        PromptPurpose::Comment { .. } if text.is_empty() => Some(
            match lang {
                Lang::Es => "El comentario está vacío: escriba algo (Esc cancela)",
                Lang::En => "The comment is empty: write some text (Esc cancels)",
            }
            .into(),
        ),
        PromptPurpose::Worklog { .. } if text.is_empty() => Some(
            match lang {
                Lang::Es => "Escriba la duración y una nota, p. ej. 30m revisé el log (Esc cancela)",
                Lang::En => "Write the time spent and a note, e.g. 30m checked the log (Esc cancels)",
            }
            .into(),
        ),
        PromptPurpose::Worklog { .. } if !text.is_empty() => {
            let spent = text.split_whitespace().next().unwrap_or_default();
            value_words::duration_problem(spent, lang)
        }
        PromptPurpose::Evidence { .. } if text.is_empty() => Some(
            match lang {
                Lang::Es => "Escriba la evidencia: qué revisó y qué vio (el dossier la muestra); Esc cancela",
                Lang::En => "Write the evidence: what you checked and saw (the dossier shows it); Esc cancels",
            }
            .into(),
        ),
        _ => None,
    }
}

fn prompt_done(c: &mut Console, purpose: PromptPurpose, text: String) -> Vec<Effect> {
    let opt = |s: String| (!s.is_empty()).then_some(s);
    match purpose {
        PromptPurpose::Comment { key } if !text.is_empty() => {
            write(c, WriteOp::Comment { key, body: text })
        }
        PromptPurpose::Comment { .. } => vec![],
        PromptPurpose::Worklog { .. } if text.is_empty() => vec![],
        PromptPurpose::Worklog { key } => {
            let (spent, note) = text.split_once(' ').unwrap_or((&text, ""));
            write(
                c,
                WriteOp::Worklog {
                    key,
                    spent: spent.to_string(),
                    note: note.trim().to_string(),
                },
            )
        }
        PromptPurpose::Evidence { key, item } => write(
            c,
            WriteOp::Tick {
                key,
                item,
                evidence: text,
                checked: true,
            },
        ),
        PromptPurpose::PriorityJustification { key, priority } => write(
            c,
            WriteOp::Set {
                key,
                field: "priority".into(),
                value: priority,
                justification: opt(text),
                based_on: Vec::new(),
            },
        ),
        PromptPurpose::FieldValue { key, field, base } => write(
            c,
            WriteOp::Set {
                key,
                based_on: vec![(field.clone(), base)],
                field,
                value: text,
                justification: None,
            },
        ),
        PromptPurpose::RejectNote { key, code } => write(
            c,
            WriteOp::Reject {
                key,
                code,
                note: opt(text),
            },
        ),
        PromptPurpose::StatusNote { keys, state } => write(
            c,
            WriteOp::Move {
                keys,
                state,
                note: opt(text),
            },
        ),
        PromptPurpose::DossierPath {
            key,
            level,
            text: md,
        } if !text.is_empty() => write(
            c,
            WriteOp::WriteDossier {
                key,
                level,
                path: text,
                text: md,
            },
        ),
        PromptPurpose::DossierPath { .. } => vec![],
        PromptPurpose::MajorAttach { .. } if text.is_empty() => vec![],
        PromptPurpose::MajorAttach { keys } => write(
            c,
            WriteOp::AttachToMajor {
                major: text.to_uppercase(),
                keys,
            },
        ),
    }
}

/// Asks for the major incident the marked tickets (or the current one) are
/// attached to, offering the newest one being worked.
pub fn open_attach_prompt(c: &mut Console) -> Vec<Effect> {
    let t = catalogue(c.lang);
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    let keys = c.target_keys();
    if keys.is_empty() {
        c.complain(t.select_ticket_first);
        return vec![];
    }
    let newest = c.majors.first().map(|m| m.key.clone()).unwrap_or_default();
    c.overlays.push(Overlay::Prompt {
        title: t.attach_prompt.to_string(),
        input: TextInput::with(&newest),
        purpose: PromptPurpose::MajorAttach { keys },
        error: None,
        info: Vec::new(),
    });
    vec![]
}

// ----- tickets shown -----

fn current_ticket(c: &Console) -> Option<crate::domain::ticket::Ticket> {
    ticket_by_key(c, &c.current_key()?)
}

fn ticket_by_key(c: &Console, key: &str) -> Option<crate::domain::ticket::Ticket> {
    if let Some(d) = c.detail.detail.as_ref().filter(|d| d.ticket.key == key) {
        return Some(d.ticket.clone());
    }
    c.queue
        .rows
        .iter()
        .find(|r| r.ticket.key == key)
        .map(|r| r.ticket.clone())
}

/// The level an escalation from the current pane goes to.
fn target_level(c: &Console, current: u8) -> u8 {
    let max = c.config.max_level();
    if c.focus == Pane::Escalation
        && let Some(l) = c.config.levels.get(c.escalation.cursor)
        && *l.n.get_ref() > current
    {
        return *l.n.get_ref();
    }
    current.saturating_add(1).min(max)
}

/// The dossier of the opened ticket for the level the escalation pane
/// points at (built from the loaded detail, so it is always current).
pub fn current_dossier(c: &Console) -> Option<Dossier> {
    let d = c.detail.detail.as_ref()?;
    if Some(&d.ticket.key) != c.current_key().as_ref() {
        return None;
    }
    let level = target_level(c, d.ticket.level);
    Some(escalation::build(&c.config, d, level, c.lang))
}

pub fn open_dossier_form(c: &mut Console) -> Vec<Effect> {
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    let Some(dossier) = current_dossier(c) else {
        // The ticket is not loaded yet: load it and open the form when it arrives.
        return match c.current_key() {
            Some(k) => {
                c.escalation.form_pending = Some(k.clone());
                super::update::request_detail(c, k)
            }
            None => {
                c.complain(catalogue(c.lang).select_ticket_first);
                vec![]
            }
        };
    };
    let Some(detail) = c.detail.detail.as_ref() else {
        return vec![];
    };
    // Incomplete dossiers are what the form is for; anything else (a
    // finished ticket, the top level, a problem or known error) is final,
    // and said before anything is typed.
    if let Some(why) =
        escalation_words::cannot_escalate(&c.config, c.lang, detail, dossier.to_level)
    {
        c.complain(why);
        return vec![];
    }
    let cfg = &c.config;
    let form = DossierForm {
        key: dossier.key.clone(),
        level: dossier.to_level,
        level_name: dossier.to_level_name.clone(),
        present: dossier
            .items
            .iter()
            .filter_map(|i| i.value.as_ref().map(|v| (i.label.clone(), v.clone())))
            .collect(),
        missing: dossier
            .items
            .iter()
            .filter(|i| i.value.is_none())
            .map(|i| DossierField {
                field: i.field.clone(),
                label: i.label.clone(),
                help: cfg.field(&i.field).and_then(|f| f.help.clone()),
                input: TextInput::default(),
                base: crate::app::field_value(&detail.ticket, &i.field),
            })
            .collect(),
        selected: 0,
        error: None,
        discard_armed: false,
    };
    c.overlays.push(Overlay::Dossier(form));
    vec![]
}

/// What is wrong with the value typed for a missing dossier field, in the
/// console's language; `None` for an empty or valid one.
pub fn dossier_value_problem(c: &Console, m: &DossierField) -> Option<String> {
    let def = c.config.field(&m.field)?;
    if m.input.text.trim().is_empty() {
        return None;
    }
    value_words::field_problem(def, &m.input.text, c.lang)
}

/// How many fields of the form hold typed text (what `Esc` would lose).
pub fn dossier_typed(form: &DossierForm) -> usize {
    form.missing
        .iter()
        .filter(|m| !m.input.text.trim().is_empty())
        .count()
}

fn dossier_key(c: &mut Console, mut form: DossierForm, key: Key) -> Vec<Effect> {
    let n = form.missing.len();
    let ctrl = key.mods.contains(KeyModifiers::CONTROL);
    // `Esc` once with values typed asks first: a stray Esc (or an arrow
    // key split by a slow link into Esc and its letters) must not cost
    // what was typed. Any other key goes on editing.
    let armed = std::mem::take(&mut form.discard_armed);
    match key.code {
        KeyCode::Esc if armed || dossier_typed(&form) == 0 => return vec![],
        KeyCode::Esc => form.discard_armed = true,
        KeyCode::Char('y') if ctrl => return dossier_copy::copy_from_form(c, form),
        KeyCode::Char('o') if ctrl => return dossier_copy::write_from_form(c, form),
        KeyCode::Char('s') if ctrl => {
            let empty: Vec<String> = form
                .missing
                .iter()
                .filter(|m| m.input.text.trim().is_empty())
                .map(|m| m.label.clone())
                .collect();
            if !empty.is_empty() {
                // Refused until complete: say exactly what is still missing.
                form.error = Some(format!(
                    "{}: {}",
                    catalogue(c.lang).dossier_missing_n.word(empty.len() as i64),
                    empty.join(", ")
                ));
                c.overlays.push(Overlay::Dossier(form));
                return vec![];
            }
            // A value of the wrong kind would be refused after the form is
            // gone; refuse it here, where the typing can be fixed.
            let bad = form.missing.iter().enumerate().find_map(|(i, m)| {
                dossier_value_problem(c, m).map(|e| (i, format!("{}: {e}", m.label)))
            });
            if let Some((i, e)) = bad {
                form.selected = i;
                form.error = Some(e);
                c.overlays.push(Overlay::Dossier(form));
                return vec![];
            }
            let fields = form
                .missing
                .iter()
                .map(|m| (m.field.clone(), m.input.text.trim().to_string()))
                .collect();
            let based_on = form
                .missing
                .iter()
                .map(|m| (m.field.clone(), m.base.clone()))
                .collect();
            return write(
                c,
                WriteOp::Escalate {
                    key: form.key,
                    level: form.level,
                    fields,
                    based_on,
                },
            );
        }
        KeyCode::Tab | KeyCode::Down => {
            form.selected = (form.selected + 1).min(n.saturating_sub(1))
        }
        KeyCode::BackTab | KeyCode::Up => form.selected = form.selected.saturating_sub(1),
        KeyCode::Enter => {
            if form.selected + 1 < n {
                form.selected += 1;
            }
        }
        _ => {
            if let Some(m) = form.missing.get_mut(form.selected) {
                m.input.handle(key);
                form.error = None;
            }
        }
    }
    c.overlays.push(Overlay::Dossier(form));
    vec![]
}

// ----- new ticket -----

fn choice_field(id: &str, label: &str, choices: Vec<MenuItem>, initial: &str) -> FormField {
    FormField {
        id: id.into(),
        label: label.into(),
        required: true,
        input: TextInput::with(initial),
        choices,
        error: None,
    }
}

fn text_field(id: &str, label: &str, required: bool) -> FormField {
    FormField {
        id: id.into(),
        label: label.into(),
        required,
        choices: Vec::new(),
        input: TextInput::default(),
        error: None,
    }
}

pub fn new_ticket_form(cfg: &Config, lang: Lang) -> NewTicketForm {
    let t = catalogue(lang);
    let types: Vec<MenuItem> = cfg
        .types
        .iter()
        .map(|ty| item(ty.name.get(lang), ty.id.get_ref()))
        .collect();
    let default_type = cfg
        .settings
        .defaults
        .ticket_type
        .as_ref()
        .map(|s| s.get_ref().clone())
        .or_else(|| types.first().map(|i| i.value.clone()))
        .unwrap_or_default();
    let services: Vec<MenuItem> = cfg
        .services
        .iter()
        .map(|s| item(&s.name, s.id.get_ref()))
        .collect();
    let grades = |gs: &[crate::config::Grade]| -> Vec<MenuItem> {
        gs.iter()
            .map(|g| item(g.name.get(lang), g.id.get_ref()))
            .collect()
    };
    let mut form = NewTicketForm {
        fields: vec![
            choice_field("type", t.ticket_type, types, &default_type),
            choice_field(
                "service",
                t.f_service,
                services.clone(),
                services.first().map_or("", |s| s.value.as_str()),
            ),
            text_field("title", t.title_label, true),
            text_field("description", t.description, true),
            choice_field(
                "impact",
                t.impact,
                grades(&cfg.priority.impacts),
                cfg.priority.default_impact.get_ref(),
            ),
            choice_field(
                "urgency",
                t.urgency,
                grades(&cfg.priority.urgencies),
                cfg.priority.default_urgency.get_ref(),
            ),
        ],
        selected: 2,
        priority_preview: String::new(),
        similar: Vec::new(),
        similar_generation: 0,
        error: None,
        discard_armed: false,
    };
    rebuild_type_fields(cfg, lang, &mut form);
    validate_form(cfg, lang, &mut form);
    form
}

const BASE_FIELDS: usize = 6;

/// The type's mandatory fields follow the base ones; values typed for a
/// field the new type also has are kept.
fn rebuild_type_fields(cfg: &Config, lang: Lang, form: &mut NewTicketForm) {
    let type_id = form.fields[0].input.text.clone();
    let old: Vec<FormField> = form.fields.drain(BASE_FIELDS..).collect();
    let Some(tt) = cfg.ticket_type(&type_id) else {
        return;
    };
    for f in &tt.mandatory {
        let id = f.get_ref();
        let Some(def) = cfg.field(id) else { continue };
        let mut field = match old.iter().find(|o| &o.id == id) {
            Some(o) => o.clone(),
            None => {
                let mut ff = text_field(id, def.label.get(lang), true);
                if def.kind == FieldKind::Choice {
                    ff.choices = def.choices.iter().map(|ch| item(ch, ch)).collect();
                }
                ff
            }
        };
        field.required = true;
        form.fields.push(field);
    }
}

fn validate_form(cfg: &Config, lang: Lang, form: &mut NewTicketForm) {
    let t = catalogue(lang);
    let mut map = Map::new();
    for f in form.fields.iter_mut() {
        let text = f.input.text.trim().to_string();
        f.error = if f.required && text.is_empty() {
            Some(t.required.into())
        } else if let Some(def) = cfg.field(&f.id).filter(|_| !text.is_empty()) {
            match intake::parse_field_value(def, &text) {
                Ok(v) => {
                    map.insert(f.id.clone(), v);
                    None
                }
                // In the console's language.
                Err(e) => Some(value_words::field_problem(def, &text, lang).unwrap_or(e)),
            }
        } else {
            None
        };
    }
    let get = |id: &str| {
        form.fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.input.text.clone())
            .unwrap_or_default()
    };
    let service = get("service");
    let decision = priority::compute(
        cfg,
        cfg.service(&service),
        &get("impact"),
        &get("urgency"),
        &map,
    );
    let rank = cfg.priority_rank(&decision.priority).map_or(0, |r| r + 1);
    form.priority_preview = format!(
        "P{rank} {}",
        Config::grade_label(&cfg.priority.priorities, &decision.priority, lang)
    );
}

pub fn form_draft(form: &NewTicketForm) -> NewTicketDraft {
    let get = |id: &str| {
        form.fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.input.text.trim().to_string())
            .unwrap_or_default()
    };
    NewTicketDraft {
        ticket_type: get("type"),
        service: get("service"),
        title: get("title"),
        description: get("description"),
        impact: get("impact"),
        urgency: get("urgency"),
        fields: form.fields[BASE_FIELDS.min(form.fields.len())..]
            .iter()
            .filter(|f| !f.input.text.trim().is_empty())
            .map(|f| (f.id.clone(), f.input.text.trim().to_string()))
            .collect(),
    }
}

/// How many text fields of the new-ticket form hold typed text (the
/// choices start filled, and are not counted).
pub fn new_ticket_typed(form: &NewTicketForm) -> usize {
    form.fields
        .iter()
        .filter(|f| f.choices.is_empty() && !f.input.text.trim().is_empty())
        .count()
}

fn new_ticket_key(c: &mut Console, mut form: NewTicketForm, key: Key) -> Vec<Effect> {
    let n = form.fields.len();
    let ctrl = key.mods.contains(KeyModifiers::CONTROL);
    let cfg = c.config.clone();
    let mut fx = Vec::new();
    // As in the dossier form: `Esc` with text typed asks first.
    let armed = std::mem::take(&mut form.discard_armed);
    match key.code {
        KeyCode::Esc if armed || new_ticket_typed(&form) == 0 => return vec![],
        KeyCode::Esc => {
            form.discard_armed = true;
            c.overlays.push(Overlay::NewTicket(form));
            return vec![];
        }
        KeyCode::Char('s') if ctrl => {
            validate_form(&cfg, c.lang, &mut form);
            if let Some(bad) = form.fields.iter().find(|f| f.error.is_some()) {
                form.error = Some(format!(
                    "{}: {}",
                    bad.label,
                    bad.error.clone().unwrap_or_default()
                ));
                c.overlays.push(Overlay::NewTicket(form));
                return vec![];
            }
            return write(c, WriteOp::Create(form_draft(&form)));
        }
        KeyCode::Tab | KeyCode::Down | KeyCode::Enter => {
            form.selected = (form.selected + 1) % n.max(1)
        }
        KeyCode::BackTab | KeyCode::Up => form.selected = (form.selected + n.max(1) - 1) % n.max(1),
        KeyCode::Left | KeyCode::Right
            if form
                .fields
                .get(form.selected)
                .is_some_and(|f| !f.choices.is_empty()) =>
        {
            let right = key.code == KeyCode::Right;
            if let Some(f) = form.fields.get_mut(form.selected) {
                let i = f.choices.iter().position(|ch| ch.value == f.input.text);
                let m = f.choices.len();
                let next = match i {
                    Some(i) if right => (i + 1) % m,
                    Some(i) => (i + m - 1) % m,
                    None => 0,
                };
                f.input = TextInput::with(&f.choices[next].value);
            }
            if form.selected == 0 {
                rebuild_type_fields(&cfg, c.lang, &mut form);
            }
        }
        _ => {
            if let Some(f) = form
                .fields
                .get_mut(form.selected)
                .filter(|f| f.choices.is_empty())
                && f.input.handle(key) == Edit::Changed
            {
                fx = form_edited(c, &mut form);
            }
        }
    }
    form.error = None;
    validate_form(&cfg, c.lang, &mut form);
    c.overlays.push(Overlay::NewTicket(form));
    fx
}

/// The focused text field of the form changed (typed or pasted): checked
/// again, and a changed title looks up similar open tickets.
fn form_edited(c: &mut Console, form: &mut NewTicketForm) -> Vec<Effect> {
    let is_title = form
        .fields
        .get(form.selected)
        .is_some_and(|f| f.id == "title");
    form.error = None;
    validate_form(&c.config, c.lang, form);
    if !is_title {
        return vec![];
    }
    let generation = c.next_generation();
    form.similar_generation = generation;
    let draft = form_draft(form);
    vec![Effect::Request(Request::Similar {
        generation,
        service: draft.service,
        title: draft.title,
    })]
}

// ----- runbooks -----

/// One line of the runbooks pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunbookRow {
    Header(usize),
    Item(usize, usize),
}

/// The runbooks that apply to the opened ticket's service (all of them
/// when no ticket is open), each followed by its items.
pub fn runbook_rows(c: &Console) -> Vec<RunbookRow> {
    let service = c.detail.detail.as_ref().map(|d| d.ticket.service.clone());
    let mut rows = Vec::new();
    for (i, rb) in c.config.runbooks.iter().enumerate() {
        let applies = match &service {
            Some(s) => rb.services.is_empty() || rb.services.iter().any(|x| x.get_ref() == s),
            None => true,
        };
        if !applies {
            continue;
        }
        rows.push(RunbookRow::Header(i));
        rows.extend((0..rb.items.len()).map(|j| RunbookRow::Item(i, j)));
    }
    rows
}

pub fn run_runbook(c: &mut Console) -> Vec<Effect> {
    let rows = runbook_rows(c);
    let Some(row) = rows.get(c.runbooks.cursor) else {
        return vec![];
    };
    let rb_index = match row {
        RunbookRow::Header(i) | RunbookRow::Item(i, _) => *i,
    };
    let Some(key) = c.detail.detail.as_ref().map(|d| d.ticket.key.clone()) else {
        c.complain(catalogue(c.lang).select_ticket_first);
        return vec![];
    };
    let runbook = c.config.runbooks[rb_index].id.get_ref().clone();
    write(c, WriteOp::RunbookRun { key, runbook })
}

pub fn toggle_step(c: &mut Console) -> Vec<Effect> {
    if let Some(why) = read_only(c) {
        c.complain(why);
        return vec![];
    }
    let rows = runbook_rows(c);
    let Some(RunbookRow::Item(i, j)) = rows.get(c.runbooks.cursor).copied() else {
        return run_runbook(c);
    };
    let Some(d) = c.detail.detail.as_ref() else {
        c.complain(catalogue(c.lang).select_ticket_first);
        return vec![];
    };
    let rb = &c.config.runbooks[i];
    let item_id = rb.items[j].id.get_ref().clone();
    let Some(run) = d
        .runbooks
        .iter()
        .rev()
        .find(|r| r.runbook == *rb.id.get_ref())
    else {
        let msg = match c.lang {
            Lang::Es => "Inicie el runbook en este ticket primero (Enter sobre su título)",
            Lang::En => "Start the runbook on this ticket first (Enter on its title)",
        };
        c.complain(msg);
        return vec![];
    };
    let key = d.ticket.key.clone();
    let item = format!("{}/{item_id}", rb.id.get_ref());
    let ticked = run
        .ticks
        .iter()
        .rev()
        .find(|t| t.item == item_id)
        .is_some_and(|t| t.checked);
    if ticked {
        return write(
            c,
            WriteOp::Tick {
                key,
                item,
                evidence: String::new(),
                checked: false,
            },
        );
    }
    // The step's text goes in whole above the input, wrapped: in the
    // title it was cut to the box, and long checks read alike cut. The
    // frame names the ticket after the title (`Overlay::target`).
    c.overlays.push(Overlay::Prompt {
        title: catalogue(c.lang).evidence_prompt.to_string(),
        input: TextInput::default(),
        purpose: PromptPurpose::Evidence { key, item },
        error: None,
        info: vec![rb.items[j].text.clone()],
    });
    vec![]
}
