//! Which rejection reasons fit a ticket: a reason belongs to the procedure
//! of its `types` (the OSF §16 reasons to OSF incidents, an incomplete
//! request to the support procedure), and a reason with `min_priority`
//! (`critical`: "categorised as a critical incident", seed 000 §16) only
//! to a ticket of at least that priority. A reason from another procedure
//! would tell the caller the wrong thing: an API licensee sent to the OSF
//! incident managers, a requester asked for the OSF escalation documents.

use super::AppError;
use crate::config::{Config, Lang, RejectionReason};
use crate::domain::ticket::Ticket;

/// The codes and labels of the reasons tickets of `t`'s type take, for a
/// message: `incomplete (Incomplete request), duplicate (…)`.
fn fitting(cfg: &Config, t: &Ticket, lang: Lang) -> String {
    let list: Vec<String> = cfg
        .rejections_for(&t.ticket_type)
        .map(|r| format!("{} ({})", r.code.get_ref(), r.label.get(lang)))
        .collect();
    if list.is_empty() {
        match lang {
            Lang::Es => "ninguno; rejections.toml no tiene motivos para este tipo (los agrega un administrador)".into(),
            Lang::En => "none; rejections.toml has no reason for this type (an administrator adds one)".into(),
        }
    } else {
        list.join(", ")
    }
}

/// `t`'s type as an operator reads it (`'support' (Support request)`).
fn type_name(cfg: &Config, t: &Ticket, lang: Lang) -> String {
    match cfg.ticket_type(&t.ticket_type) {
        Some(ty) => format!("'{}' ({})", t.ticket_type, ty.name.get(lang)),
        None => format!("'{}'", t.ticket_type),
    }
}

/// An unknown reason code: the reasons for `t`'s type, when the ticket is
/// known, else every reason.
pub(super) fn unknown(cfg: &Config, code: &str, t: Option<&Ticket>) -> AppError {
    let known: Vec<String> = match t {
        Some(t) => cfg
            .rejections_for(&t.ticket_type)
            .map(|r| r.code.get_ref().clone())
            .collect(),
        None => cfg
            .rejections
            .iter()
            .map(|r| r.code.get_ref().clone())
            .collect(),
    };
    AppError::unknown("rejection reason", code, known)
}

/// Refuses `reason` for `t` when it is not for its type, or `t`'s priority
/// is below the reason's `min_priority`; says which reasons fit instead.
pub(super) fn check(
    cfg: &Config,
    reason: &RejectionReason,
    t: &Ticket,
    lang: Lang,
) -> Result<(), AppError> {
    // A type no longer configured is refused as such further on: its
    // reasons cannot be told, and "not one of its reasons" would mislead.
    if cfg.ticket_type(&t.ticket_type).is_none() {
        return Ok(());
    }
    let code = reason.code.get_ref();
    let key = &t.key;
    if !reason.applies_to(&t.ticket_type) {
        return Err(AppError::Refused {
            key: key.clone(),
            message: match lang {
                Lang::Es => format!(
                    "el motivo '{code}' no es del procedimiento de los tickets de tipo {}; sus motivos son: {}",
                    type_name(cfg, t, lang),
                    fitting(cfg, t, lang)
                ),
                Lang::En => format!(
                    "reason '{code}' is not a reason of the procedure of ticket type {}; its reasons are: {}",
                    type_name(cfg, t, lang),
                    fitting(cfg, t, lang)
                ),
            },
        });
    }
    if let Some(min) = &reason.min_priority {
        let min = min.get_ref();
        let rank = |p: &str| cfg.priority_rank(p).unwrap_or(usize::MAX);
        if rank(&t.priority) > rank(min) {
            let others: Vec<String> = cfg
                .rejections_for(&t.ticket_type)
                .filter(|r| r.code.get_ref() != code)
                .map(|r| r.code.get_ref().clone())
                .collect();
            let top = cfg.priority_rank(min) == Some(0);
            let message = match lang {
                Lang::Es => format!(
                    "el motivo '{code}' es para un ticket categorizado como {min}: de prioridad '{min}'{}, y {key} tiene prioridad '{}'. Si lo es, dele antes esa prioridad (`guardia set {key} priority={min} --justification \"por qué\"`, o suba su impacto y urgencia) y luego recházelo{}",
                    if top { "" } else { " o superior" },
                    t.priority,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!("; si no, elija otro motivo: {}", others.join(", "))
                    }
                ),
                Lang::En => format!(
                    "reason '{code}' is for a ticket categorised as {min}: of priority '{min}'{}, and {key} has priority '{}'. If it is one, give it that priority first (`guardia set {key} priority={min} --justification \"why\"`, or raise its impact and urgency), then reject it{}",
                    if top { "" } else { " or higher" },
                    t.priority,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!("; otherwise choose another reason: {}", others.join(", "))
                    }
                ),
            };
            return Err(AppError::Refused {
                key: key.clone(),
                message,
            });
        }
    }
    Ok(())
}
