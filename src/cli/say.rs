//! What the command line says after a change, in the operator's language:
//! the one-line confirmations of `new`, `set`, `assign`, `move`, `comment`,
//! `worklog`, `attach`, `link`, `approve`, `escalate`, `reject`, `runbook`
//! and `tick`. Ids (keys, states, priorities, fields, roles, codes) stay as
//! they are in both languages, as in `list`; the words around them are
//! translated. The English texts are what scripts and the docs quote.

use crate::config::Lang;

/// `en` or `es`, by `lang`.
fn pick<'a>(lang: Lang, en: &'a str, es: &'a str) -> &'a str {
    match lang {
        Lang::En => en,
        Lang::Es => es,
    }
}

/// `registered BOG-7 (new, priority high, raised by caida-total)`.
pub fn registered(
    lang: Lang,
    key: &str,
    status: &str,
    priority: &str,
    raised_by: &[String],
) -> String {
    let raised = if raised_by.is_empty() {
        String::new()
    } else {
        format!(
            ", {} {}",
            pick(lang, "raised by", "subida por"),
            raised_by.join(", ")
        )
    };
    match lang {
        Lang::En => format!("registered {key} ({status}, priority {priority}{raised})"),
        Lang::Es => format!("registrado {key} ({status}, prioridad {priority}{raised})"),
    }
}

pub fn updated(lang: Lang, key: &str, priority: &str) -> String {
    match lang {
        Lang::En => format!("{key} updated (priority {priority})"),
        Lang::Es => format!("{key} actualizado (prioridad {priority})"),
    }
}

/// A `set` whose values were the ones the ticket already had: nothing was
/// recorded, and saying "updated" would pretend otherwise.
pub fn unchanged(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!("{key}: nothing changed (it already had those values)"),
        Lang::Es => format!("{key}: nada cambió (ya tenía esos valores)"),
    }
}

pub fn assigned(lang: Lang, key: &str, assignee: Option<&str>, status: &str) -> String {
    let who = assignee.unwrap_or(pick(lang, "nobody", "nadie"));
    match lang {
        Lang::En => format!("{key} assigned to {who} ({status})"),
        Lang::Es => format!("{key} asignado a {who} ({status})"),
    }
}

/// After `assigned`: the ticket stayed in `state` (named `name` by its
/// workflow) because the move to `target` is for `who` (roles, and the
/// operators holding them), not for the assigner.
pub fn assign_left_to(
    lang: Lang,
    key: &str,
    state: &str,
    name: &str,
    target: &str,
    who: &str,
) -> String {
    match lang {
        Lang::En => format!(
            "note: {key} stays in '{state}' ({name}): in its procedure, moving it to '{target}' is for {who}; they take that step with `guardia move {key} {target}`"
        ),
        Lang::Es => format!(
            "nota: {key} sigue en '{state}' ({name}): en su procedimiento, pasarlo a '{target}' corresponde a {who}; ese paso se da con `guardia move {key} {target}`"
        ),
    }
}

/// After `assigned`: the ticket stayed in `state` because the move to
/// `target` was refused for another reason (`why`, as the workflow says it).
pub fn assign_left_because(lang: Lang, key: &str, state: &str, target: &str, why: &str) -> String {
    match lang {
        Lang::En => {
            format!("note: {key} stays in '{state}': it could not move to '{target}': {why}")
        }
        Lang::Es => format!("nota: {key} sigue en '{state}': no pudo pasar a '{target}': {why}"),
    }
}

/// `BOG-7 is now resolved`, and what a cascade also moved (`cascade`,
/// already in `lang`).
pub fn moved(lang: Lang, key: &str, status: &str, cascade: &str) -> String {
    match lang {
        Lang::En => format!("{key} is now {status}{cascade}"),
        Lang::Es => format!("{key} pasa a {status}{cascade}"),
    }
}

pub fn approved(lang: Lang, key: &str, approval: &str, by: &str, reason: &str) -> String {
    match lang {
        Lang::En => format!("{key}: approval '{approval}' given by {by} ({reason})"),
        Lang::Es => format!("{key}: aprobación '{approval}' dada por {by} ({reason})"),
    }
}

pub fn linked(lang: Lang, key: &str, removed: bool, other: &str, kind: &str) -> String {
    match (lang, removed) {
        (Lang::En, false) => format!("{key}: linked to {other} as {kind}"),
        (Lang::En, true) => format!("{key}: unlinked from {other} as {kind}"),
        (Lang::Es, false) => format!("{key}: vinculado a {other} como {kind}"),
        (Lang::Es, true) => format!("{key}: desvinculado de {other} ({kind})"),
    }
}

pub fn no_timer_due(lang: Lang) -> &'static str {
    pick(lang, "no timer is due", "ningún temporizador está vencido")
}

pub fn commented(lang: Lang, key: &str, internal: bool) -> String {
    let what = match (lang, internal) {
        (Lang::En, false) => "comment added",
        (Lang::En, true) => "internal note added",
        (Lang::Es, false) => "comentario agregado",
        (Lang::Es, true) => "nota interna agregada",
    };
    format!("{key}: {what}")
}

/// `BOG-7: logged 1h 30m`; `duration` already formatted.
pub fn logged(lang: Lang, key: &str, duration: &str) -> String {
    match lang {
        Lang::En => format!("{key}: logged {duration}"),
        Lang::Es => format!("{key}: {duration} de trabajo registrados"),
    }
}

pub fn attached(lang: Lang, key: &str, name: &str, size: i64, sha256: &str) -> String {
    match lang {
        Lang::En => format!("{key}: attached {name} ({size} bytes, sha256 {sha256})"),
        Lang::Es => format!("{key}: adjuntado {name} ({size} bytes, sha256 {sha256})"),
    }
}

/// The first line of a hierarchical escalation; the people to inform follow.
pub fn escalated_to_role(lang: Lang, key: &str, role: &str) -> String {
    match lang {
        Lang::En => format!("{key}: hierarchical escalation to {role} recorded; inform:"),
        Lang::Es => format!("{key}: escalamiento jerárquico a {role} registrado; avisar a:"),
    }
}

/// The first line of a functional escalation; the dossier follows.
pub fn escalated_to_level(lang: Lang, key: &str, level: u8) -> String {
    match lang {
        Lang::En => format!("{key}: escalated to level {level}. Dossier to send:"),
        Lang::Es => format!("{key}: escalado al nivel {level}. Dossier para enviar:"),
    }
}

/// `BOG-7 rejected (duplicate)`; `reason` is the code, with its label in
/// `lang` when the configuration has one.
pub fn rejected(lang: Lang, key: &str, reason: &str) -> String {
    match lang {
        Lang::En => format!("{key} rejected ({reason})"),
        Lang::Es => format!("{key} rechazado ({reason})"),
    }
}

pub fn duplicate_of(lang: Lang, original: &str) -> String {
    format!("{} {original}", pick(lang, "duplicate of", "duplicado de"))
}

pub fn tell_the_caller(lang: Lang, guidance: &str) -> String {
    format!(
        "{}: {guidance}",
        pick(lang, "tell the caller", "decir al solicitante")
    )
}

pub fn incident_manager(lang: Lang) -> &'static str {
    pick(lang, "incident manager", "gestor de incidentes")
}

pub fn runbook_started(lang: Lang, key: &str, runbook: &str) -> String {
    match lang {
        Lang::En => format!(
            "{key}: runbook {runbook} started; tick items with `guardia runbook tick {key} ITEM --evidence TEXT`"
        ),
        Lang::Es => format!(
            "{key}: runbook {runbook} iniciado; marque sus ítems con `guardia runbook tick {key} ÍTEM --evidence TEXTO`"
        ),
    }
}

pub fn runbook_ticked(lang: Lang, key: &str, runbook: &str, item: &str, undo: bool) -> String {
    let what = match (lang, undo) {
        (Lang::En, false) => "ticked",
        (Lang::En, true) => "unticked",
        (Lang::Es, false) => "marcado",
        (Lang::Es, true) => "desmarcado",
    };
    format!("{key}: {runbook}/{item} {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_stays_what_scripts_read_and_spanish_keeps_the_ids() {
        let raised = ["caida-total".to_string()];
        assert_eq!(
            registered(Lang::En, "BOG-7", "new", "critical", &raised),
            "registered BOG-7 (new, priority critical, raised by caida-total)"
        );
        assert_eq!(
            registered(Lang::Es, "BOG-7", "new", "critical", &raised),
            "registrado BOG-7 (new, prioridad critical, subida por caida-total)"
        );
        assert_eq!(
            assigned(Lang::Es, "BOG-7", None, "new"),
            "BOG-7 asignado a nadie (new)"
        );
        assert_eq!(
            moved(Lang::En, "BOG-7", "resolved", ""),
            "BOG-7 is now resolved"
        );
        assert_eq!(
            logged(Lang::Es, "BOG-7", "25m"),
            "BOG-7: 25m de trabajo registrados"
        );
        assert_eq!(
            commented(Lang::Es, "BOG-7", true),
            "BOG-7: nota interna agregada"
        );
        assert_eq!(
            runbook_ticked(Lang::En, "BOG-7", "rb", "backup", true),
            "BOG-7: rb/backup unticked"
        );
    }
}
