//! The dossier an operator copies (`Y`, OSC 52) or writes to a file (`W`)
//! to send to the next level's contacts: the one for the next level, the
//! one the ticket's last escalation sent (rebuilt from the snapshot its
//! `escalate` operation keeps), or, from inside the dossier form, the one
//! about to be sent with the values typed so far (`Ctrl-y`, `Ctrl-o`).
//! Escalating moves the preview on to the next level, so without the last
//! two the dossier that was sent could not be copied from the console.

use super::super::i18n::catalogue;
use super::super::input::TextInput;
use super::super::msg::Effect;
use super::super::state::{Console, DossierForm, MenuItem, MenuPurpose, Overlay, PromptPurpose};
use super::current_dossier;
use crate::config::Lang;
use crate::domain::escalation::{self, Dossier};

pub use crate::app::sent_dossier::Sent;
use crate::app::sent_dossier::missing_of;

/// The dossier the opened ticket's last functional escalation sent, while
/// the ticket is still at the level it was sent to (after a later move of
/// its level it is history, and the timeline tells it).
pub fn sent_dossier(c: &Console) -> Option<Sent> {
    let d = c.detail.detail.as_ref()?;
    if Some(&d.ticket.key) != c.current_key().as_ref() {
        return None;
    }
    crate::app::sent_dossier::rebuild(&c.config, d, &c.detail.log, c.lang)
}

/// The dossier the form would send: the saved values, and what is typed
/// in the missing fields so far.
fn form_dossier(c: &Console, form: &DossierForm) -> Option<Dossier> {
    let d = c
        .detail
        .detail
        .as_ref()
        .filter(|d| d.ticket.key == form.key)?;
    let mut dossier = escalation::build(&c.config, d, form.level, c.lang);
    for item in dossier.items.iter_mut().filter(|i| i.value.is_none()) {
        let typed = form
            .missing
            .iter()
            .find(|m| m.field == item.field)
            .map(|m| m.input.text.trim())
            .filter(|t| !t.is_empty());
        if let Some(t) = typed {
            item.value = Some(t.to_string());
        }
    }
    dossier.missing = missing_of(&dossier);
    Some(dossier)
}

/// `Ctrl-y` in the dossier form: copies what it would send; the form stays.
pub fn copy_from_form(c: &mut Console, form: DossierForm) -> Vec<Effect> {
    let dossier = form_dossier(c, &form);
    c.overlays.push(Overlay::Dossier(form));
    match dossier {
        Some(d) => copy(c, &d),
        None => {
            c.complain(catalogue(c.lang).select_ticket_first);
            vec![]
        }
    }
}

/// `Ctrl-o` in the dossier form: asks for a file name over the form, which
/// is there again once the file is written (or the prompt closed).
pub fn write_from_form(c: &mut Console, form: DossierForm) -> Vec<Effect> {
    let dossier = form_dossier(c, &form);
    c.overlays.push(Overlay::Dossier(form));
    match dossier {
        Some(d) => {
            let md = escalation::render_markdown(&d, c.lang);
            path_prompt(c, &d, Some(md));
            vec![]
        }
        None => {
            c.complain(catalogue(c.lang).select_ticket_first);
            vec![]
        }
    }
}

fn copy(c: &mut Console, d: &Dossier) -> Vec<Effect> {
    let md = escalation::render_markdown(d, c.lang);
    c.say(catalogue(c.lang).copied);
    vec![Effect::Copy(md)]
}

fn path_prompt(c: &mut Console, d: &Dossier, text: Option<String>) {
    let word = match c.lang {
        Lang::Es => "nivel",
        Lang::En => "level",
    };
    let path = format!("{}-{word}-{}.md", d.key, d.to_level);
    c.overlays.push(Overlay::Prompt {
        title: catalogue(c.lang).dossier_path_prompt.into(),
        input: TextInput::with(&path),
        purpose: PromptPurpose::DossierPath {
            key: d.key.clone(),
            level: d.to_level,
            text,
        },
        error: None,
        info: Vec::new(),
    });
}

/// The dossier for the next level, when the ticket can still go up (at
/// the top of the matrix, or finished, there is none to send).
fn next_dossier(c: &Console) -> Option<Dossier> {
    let d = current_dossier(c)?;
    let detail = c.detail.detail.as_ref()?;
    (d.to_level > detail.ticket.level).then_some(d)
}

/// `Y` and `W` in the matrix: when the ticket's last escalation sent a
/// dossier, a menu offers it (first: it is what is mailed right after
/// escalating) and the next level's; else the next level's at once.
pub fn offer(c: &mut Console, purpose: MenuPurpose) -> Vec<Effect> {
    let sent = sent_dossier(c);
    let next = next_dossier(c);
    let lang = c.lang;
    match (sent, next) {
        (Some(s), Some(n)) => {
            let items = vec![
                MenuItem {
                    label: sent_label(&s, lang),
                    value: "sent".into(),
                },
                MenuItem {
                    label: next_label(&n, lang),
                    value: "next".into(),
                },
            ];
            let title = match (&purpose, lang) {
                (MenuPurpose::DossierWrite, Lang::Es) => "Dossier a guardar en archivo",
                (MenuPurpose::DossierWrite, Lang::En) => "Dossier to write to a file",
                (_, Lang::Es) => "Dossier a copiar",
                (_, Lang::En) => "Dossier to copy",
            };
            let key = s.dossier.key.clone();
            c.overlays.push(Overlay::Menu {
                title: title.into(),
                items,
                selected: 0,
                purpose,
                keys: vec![key],
            });
            vec![]
        }
        (Some(s), None) => act(c, &purpose, s.dossier, true),
        (None, Some(n)) => act(c, &purpose, n, false),
        (None, None) => {
            match current_dossier(c) {
                // Nothing to send next and nothing sent: what there is.
                Some(d) => act(c, &purpose, d, false),
                None => {
                    c.complain(catalogue(c.lang).select_ticket_first);
                    vec![]
                }
            }
        }
    }
}

/// The choice made in the menu of [`offer`].
pub fn chosen(c: &mut Console, purpose: &MenuPurpose, value: &str) -> Vec<Effect> {
    let (dossier, sent) = if value == "sent" {
        (sent_dossier(c).map(|s| s.dossier), true)
    } else {
        (next_dossier(c), false)
    };
    match dossier {
        Some(d) => act(c, purpose, d, sent),
        // The ticket moved on meanwhile (an escalation elsewhere).
        None => {
            c.complain(catalogue(c.lang).select_ticket_first);
            vec![]
        }
    }
}

fn act(c: &mut Console, purpose: &MenuPurpose, d: Dossier, sent: bool) -> Vec<Effect> {
    if *purpose == MenuPurpose::DossierWrite {
        // The sent one as it was; the next level's read afresh when written.
        let text = sent.then(|| escalation::render_markdown(&d, c.lang));
        path_prompt(c, &d, text);
        return vec![];
    }
    copy(c, &d)
}

fn sent_label(s: &Sent, lang: Lang) -> String {
    let when = s.at.format("%Y-%m-%d %H:%M UTC");
    let d = &s.dossier;
    match lang {
        Lang::Es => format!(
            "El enviado al nivel {} {} ({when}, {})",
            d.to_level, d.to_level_name, s.by
        ),
        Lang::En => format!(
            "The one sent to level {} {} ({when}, {})",
            d.to_level, d.to_level_name, s.by
        ),
    }
}

fn next_label(d: &Dossier, lang: Lang) -> String {
    match lang {
        Lang::Es => format!("El del próximo nivel, {} {}", d.to_level, d.to_level_name),
        Lang::En => format!("The next level's, {} {}", d.to_level, d.to_level_name),
    }
}
