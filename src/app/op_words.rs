//! One operation of a ticket's history in words, in the operator's
//! language: what `guardia log` prints after the time and the author, and
//! what the console's timeline shows. Ids (states, fields, link kinds,
//! roles, runbook items) stay as they are in both languages, as everywhere
//! else; the words around them are translated. The caller neutralises the
//! text before it reaches a terminal.

use crate::config::Lang;
use crate::store::ops::Op;
use serde_json::Value;

/// How many columns of an operation's words a line shows, after the time
/// and the author.
pub const WORDS_WIDTH: usize = 160;

/// What `op` did, in words: e.g. `status new → assigned (note)`, `comment:
/// BODY`, `worklog 30m (Pruebas)`, `ticket set title = Nuevo título`.
/// `key_of` names a linked ticket by its key (the log holds its id) when
/// this database has it.
pub fn describe(op: &Op, lang: Lang, key_of: &dyn Fn(&str) -> Option<String>) -> String {
    let es = lang == Lang::Es;
    let v = &op.value;
    let field = op.field.as_deref().unwrap_or("?");
    match (op.entity.as_str(), op.kind.as_str()) {
        ("ticket", "create") => if es { "creado" } else { "created" }.to_string(),
        ("ticket", "transition") => {
            let mut s = format!(
                "{} {} → {}{}",
                if es { "estado" } else { "status" },
                text_or(v, "from", "?"),
                text_or(v, "to", "?"),
                parenthesised(text_of(v, "note"))
            );
            if let Some(e) = v.get("exception") {
                s += &if es {
                    format!(
                        " [excepción '{}' autorizada por {}: {}]",
                        text_or(e, "approval", "?"),
                        text_or(e, "by", "?"),
                        text_of(e, "reason")
                    )
                } else {
                    format!(
                        " [exception '{}' authorised by {}: {}]",
                        text_or(e, "approval", "?"),
                        text_or(e, "by", "?"),
                        text_of(e, "reason")
                    )
                };
            }
            s
        }
        ("ticket", "approve") => format!(
            "{} '{field}' {} ({})",
            if es { "aprobación" } else { "approval" },
            if es { "dada" } else { "given" },
            text_of(v, "reason")
        ),
        ("ticket", "escalate") => {
            let what = match v.get("mode").and_then(Value::as_str) {
                Some("hierarchical") if es => {
                    format!("escalado (jerárquico) a {}", text_or(v, "role", "?"))
                }
                Some("hierarchical") => {
                    format!("escalated (hierarchical) to {}", text_or(v, "role", "?"))
                }
                _ => format!(
                    "{} {} → {}",
                    if es {
                        "escalado de nivel"
                    } else {
                        "escalated level"
                    },
                    v.get("from").map_or("?".into(), compact),
                    v.get("to").map_or("?".into(), compact)
                ),
            };
            what + &parenthesised(text_of(v, "note"))
        }
        ("ticket", "link") => {
            let (kind, target) = field.split_once(':').unwrap_or(("?", "?"));
            let target = key_of(target).unwrap_or_else(|| target.to_string());
            let verb = match (v.as_bool() == Some(false), es) {
                (true, true) => "desvinculado",
                (true, false) => "unlinked",
                (false, true) => "vinculado",
                (false, false) => "linked",
            };
            format!("{verb} {kind} {target}")
        }
        ("ticket", "set") => format!(
            "{} {field} = {}",
            if es { "campo" } else { "ticket set" },
            compact(v)
        ),
        ("ticket", "route") => route_words(v, es),
        ("comment", "create") => {
            let internal = v.get("internal").and_then(Value::as_bool) == Some(true);
            let label = match (internal, es) {
                (true, true) => "nota interna",
                (true, false) => "internal comment",
                (false, true) => "comentario",
                (false, false) => "comment",
            };
            format!("{label}: {}", text_of(v, "body"))
        }
        ("worklog", "create") => format!(
            "{} {}{}",
            if es { "trabajo" } else { "worklog" },
            v.get("minutes")
                .and_then(Value::as_i64)
                .map_or("?".into(), crate::domain::duration::format_minutes),
            parenthesised(text_of(v, "note"))
        ),
        ("attachment", "create") => format!(
            "{} {} ({} bytes, sha256 {})",
            if es { "adjunto" } else { "attached" },
            text_of(v, "name"),
            v.get("size").map_or("?".into(), compact),
            text_of(v, "sha256")
        ),
        ("runbook_run", "create") => format!(
            "runbook {} {}",
            text_of(v, "runbook"),
            if es { "iniciado" } else { "started" }
        ),
        ("runbook_run", "set") => {
            let unticked = v.is_null() || v.get("checked").and_then(Value::as_bool) == Some(false);
            let verb = match (unticked, es) {
                (true, true) => "desmarcado",
                (true, false) => "unticked",
                (false, true) => "marcado",
                (false, false) => "ticked",
            };
            format!(
                "{verb} {}{}",
                field.strip_prefix("item:").unwrap_or(field),
                parenthesised(text_of(v, "evidence"))
            )
        }
        (e, k) => format!(
            "{e} {k}{}",
            op.field
                .as_ref()
                .map(|f| format!(" {f}"))
                .unwrap_or_default()
        ),
    }
}

/// A routing in words: a major incident declared, a ticket sent down
/// another path (a critical rejection goes to the incident managers), or
/// the routing taken off. The path and the role stay ids.
fn route_words(v: &Value, es: bool) -> String {
    let role = v
        .get("role")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    let for_role = match role {
        Some(r) if es => format!(", para el rol {r}"),
        Some(r) => format!(", for role {r}"),
        None => String::new(),
    };
    let reason = parenthesised(text_of(v, "reason"));
    let declared = v.get("declared").and_then(Value::as_bool) == Some(true);
    match v
        .get("to")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        None if es => "ruta retirada".into(),
        None => "route removed".into(),
        Some(_) if declared && es => format!("incidente mayor declarado{for_role}{reason}"),
        Some(_) if declared => format!("major incident declared{for_role}{reason}"),
        Some(to) if es => format!("derivado a {to}{for_role}{reason}"),
        Some(to) => format!("routed to {to}{for_role}{reason}"),
    }
}

/// A text attribute of a value, empty when absent.
fn text_of<'a>(v: &'a Value, name: &str) -> &'a str {
    text_or(v, name, "")
}

fn text_or<'a>(v: &'a Value, name: &str, absent: &'a str) -> &'a str {
    v.get(name).and_then(Value::as_str).unwrap_or(absent)
}

/// ` (TEXT)`, or nothing for empty text.
fn parenthesised(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(" ({text})")
    }
}

/// A value as one short text: a string as itself, anything else as JSON.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(entity: &str, kind: &str, field: Option<&str>, value: Value) -> Op {
        Op {
            site: "s".into(),
            seq: 1,
            hlc: 1 << 16,
            actor: "ana".into(),
            entity: entity.into(),
            entity_id: "t".into(),
            kind: kind.into(),
            field: field.map(str::to_string),
            value,
            pred: Vec::new(),
        }
    }

    fn both(o: &Op) -> (String, String) {
        let none = |_: &str| None;
        (describe(o, Lang::En, &none), describe(o, Lang::Es, &none))
    }

    #[test]
    fn each_kind_reads_in_both_languages() {
        let move_op = op(
            "ticket",
            "transition",
            Some("status"),
            json!({"from": "new", "to": "assigned", "note": "ok"}),
        );
        assert_eq!(
            both(&move_op),
            (
                "status new → assigned (ok)".into(),
                "estado new → assigned (ok)".into()
            )
        );
        let note = op(
            "comment",
            "create",
            None,
            json!({"ticket": "t", "body": "Hola", "internal": true}),
        );
        assert_eq!(
            both(&note),
            ("internal comment: Hola".into(), "nota interna: Hola".into())
        );
        let work = op(
            "worklog",
            "create",
            None,
            json!({"ticket": "t", "minutes": 90, "note": "Pruebas"}),
        );
        assert_eq!(
            both(&work),
            (
                "worklog 1h 30m (Pruebas)".into(),
                "trabajo 1h 30m (Pruebas)".into()
            )
        );
        let set = op("ticket", "set", Some("title"), json!("Nuevo"));
        assert_eq!(
            both(&set),
            (
                "ticket set title = Nuevo".into(),
                "campo title = Nuevo".into()
            )
        );
        let esc = op(
            "ticket",
            "escalate",
            Some("level"),
            json!({"mode": "functional", "from": 1, "to": 2, "note": "con dossier"}),
        );
        assert_eq!(
            both(&esc),
            (
                "escalated level 1 → 2 (con dossier)".into(),
                "escalado de nivel 1 → 2 (con dossier)".into()
            )
        );
        let untick = op("runbook_run", "set", Some("item:backup"), Value::Null);
        assert_eq!(
            both(&untick),
            ("unticked backup".into(), "desmarcado backup".into())
        );
    }

    #[test]
    fn a_routing_reads_as_words_not_json() {
        let declared = op(
            "ticket",
            "route",
            Some("route"),
            json!({"to": "major_incident", "role": "incident_manager", "reason": "Caída", "declared": true}),
        );
        assert_eq!(
            both(&declared),
            (
                "major incident declared, for role incident_manager (Caída)".into(),
                "incidente mayor declarado, para el rol incident_manager (Caída)".into()
            )
        );
        let routed = op(
            "ticket",
            "route",
            Some("route"),
            json!({"to": "major_incident", "role": "incident_manager", "reason": "critical"}),
        );
        assert_eq!(
            both(&routed),
            (
                "routed to major_incident, for role incident_manager (critical)".into(),
                "derivado a major_incident, para el rol incident_manager (critical)".into()
            )
        );
        let removed = op("ticket", "route", Some("route"), json!({"to": null}));
        assert_eq!(
            both(&removed),
            ("route removed".into(), "ruta retirada".into())
        );
        for o in [&declared, &routed, &removed] {
            let (en, es) = both(o);
            assert!(!en.contains('{') && !es.contains('{'), "{en} / {es}");
        }
    }

    #[test]
    fn a_link_names_the_target_by_its_key_when_known() {
        let link = op("ticket", "link", Some("related:01ab"), json!(true));
        let key_of = |id: &str| (id == "01ab").then(|| "BOG-7".to_string());
        assert_eq!(
            describe(&link, Lang::Es, &key_of),
            "vinculado related BOG-7"
        );
        let unlink = op("ticket", "link", Some("related:zz"), json!(false));
        assert_eq!(describe(&unlink, Lang::En, &key_of), "unlinked related zz");
    }
}
