//! Why a ticket cannot escalate at all, in the console's language: said by
//! `E` before any form opens (so nothing typed is lost to a refusal that
//! filling fields cannot cure), and meant for the matrix's preview too. An
//! incomplete dossier is not such a refusal: the form is for completing it.

use crate::config::{Config, Lang, RecordKind};
use crate::domain::escalation::{self, EscalationRefusal};
use crate::domain::ticket::TicketDetail;

/// Why `detail` cannot escalate to `to_level` whatever is filled in, if
/// it cannot: a problem or known error (the matrix is for incidents and
/// requests), a finished ticket, a level that does not exist or is not
/// above the ticket's.
pub fn cannot_escalate(
    cfg: &Config,
    lang: Lang,
    detail: &TicketDetail,
    to_level: u8,
) -> Option<String> {
    let t = &detail.ticket;
    let key = &t.key;
    let record = cfg.record_of(&t.ticket_type);
    if record != RecordKind::Ticket {
        return Some(record_refusal(lang, key, record));
    }
    let refusal = escalation::check(cfg, detail, to_level).err()?;
    let es = lang == Lang::Es;
    Some(match refusal {
        EscalationRefusal::Incomplete { .. } => return None,
        EscalationRefusal::NotOpen { state } => {
            let name = crate::tui::i18n::state_label(cfg, lang, &t.ticket_type, &state);
            if es {
                format!(
                    "{key} está en '{name}' ({state}): solo se escalan los tickets abiertos (reábralo primero)"
                )
            } else {
                format!(
                    "{key} is in '{name}' ({state}): only open tickets escalate (reopen it first)"
                )
            }
        }
        EscalationRefusal::NotHigher { current, max } if current >= max => {
            if es {
                format!(
                    "{key} ya está en el nivel {current}, el más alto de la matriz de escalamiento: no hay nivel superior"
                )
            } else {
                format!(
                    "{key} is already at level {current}, the highest in the escalation matrix: there is no level above it"
                )
            }
        }
        EscalationRefusal::NotHigher { current, max } => {
            if es {
                format!(
                    "{key} ya está en el nivel {current}; escale a un nivel superior ({} a {max})",
                    current + 1
                )
            } else {
                format!(
                    "{key} is already at level {current}; escalate to a higher level ({} to {max})",
                    current + 1
                )
            }
        }
        EscalationRefusal::UnknownLevel { level, max } => {
            if es {
                format!("el nivel {level} no existe; la matriz tiene los niveles 1 a {max}")
            } else {
                format!("level {level} does not exist; the matrix has levels 1 to {max}")
            }
        }
    })
}

/// A problem or a known error is not passed up the matrix: it is worked
/// by whoever investigates it. Says what to do instead.
fn record_refusal(lang: Lang, key: &str, record: RecordKind) -> String {
    match (lang, record) {
        (Lang::Es, RecordKind::KnownError) => format!(
            "{key} es un error conocido: no se escala por la matriz (es para incidentes y solicitudes); se aplica a los incidentes (K) o se asigna (A) a quien lo mantiene"
        ),
        (Lang::Es, _) => format!(
            "{key} es un problema: no se escala por la matriz (es para incidentes y solicitudes); asígnelo (A) a quien lo investiga"
        ),
        (Lang::En, RecordKind::KnownError) => format!(
            "{key} is a known error: it does not escalate through the matrix (that is for incidents and requests); apply it to incidents (K) or assign it (A) to whoever maintains it"
        ),
        (Lang::En, _) => format!(
            "{key} is a problem: it does not escalate through the matrix (that is for incidents and requests); assign it (A) to whoever investigates it"
        ),
    }
}

/// What the matrix's dossier preview says for the opened ticket when it
/// cannot escalate to `to_level` at all (`None`: it can, once complete).
/// The same words `E` answers with.
pub fn preview_refusal(c: &crate::tui::state::Console, to_level: u8) -> Option<String> {
    let detail = c.detail.detail.as_ref()?;
    cannot_escalate(&c.config, c.lang, detail, to_level)
}
