//! Intake rules: which fields a ticket type demands, and what a valid value of
//! each field kind looks like. Registration names every missing field at once.

use crate::config::{Config, FieldDef, FieldKind, Lang};
use crate::domain::ticket::answer_text;
use serde_json::{Map, Value};

/// A mandatory field the ticket lacks, with its label for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField {
    pub id: String,
    pub label: String,
}

/// Every mandatory field of `type_id` that is empty (title and description are
/// mandatory for every type).
pub fn missing_mandatory(
    cfg: &Config,
    type_id: &str,
    title: &str,
    description: &str,
    fields: &Map<String, Value>,
    lang: Lang,
) -> Vec<MissingField> {
    let mut missing = Vec::new();
    let core_label = |id: &str| match (id, lang) {
        ("title", Lang::Es) => "Resumen (título)",
        ("title", Lang::En) => "Summary (title)",
        ("description", Lang::Es) => "Descripción completa",
        _ => "Full description",
    };
    for (id, value) in [("title", title), ("description", description)] {
        if value.trim().is_empty() {
            missing.push(MissingField {
                id: id.into(),
                label: core_label(id).into(),
            });
        }
    }
    if let Some(t) = cfg.ticket_type(type_id) {
        for f in &t.mandatory {
            if answer_text(fields, f.get_ref()).is_none() {
                let label = cfg
                    .field(f.get_ref())
                    .map_or_else(|| f.get_ref().clone(), |d| d.label.get(lang).to_string());
                missing.push(MissingField {
                    id: f.get_ref().clone(),
                    label,
                });
            }
        }
    }
    missing
}

/// Parses what an operator typed for a field into its stored value.
pub fn parse_field_value(def: &FieldDef, raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    match def.kind {
        FieldKind::Text | FieldKind::LongText => Ok(Value::String(raw.to_string())),
        FieldKind::Email => {
            // Several addresses may be given, separated by commas or semicolons.
            let all_valid = raw
                .split([',', ';'])
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .all(plausible_email);
            if all_valid {
                Ok(Value::String(raw.to_string()))
            } else {
                Err(format!(
                    "'{raw}' is not an e-mail address (expected name@domain, several separated by commas)"
                ))
            }
        }
        FieldKind::Phone => {
            let ok = raw.chars().any(|c| c.is_ascii_digit())
                && raw
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().,/;xXExt".contains(c));
            if ok {
                Ok(Value::String(raw.to_string()))
            } else {
                Err(format!(
                    "'{raw}' is not a phone number or extension (digits, spaces, + - ( ) and 'Ext.')"
                ))
            }
        }
        FieldKind::Number => {
            let value = match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => match raw.parse::<f64>() {
                    Ok(f) if f.is_finite() => Value::from(f),
                    _ => {
                        return Err(format!(
                            "'{raw}' is not a number; write digits, e.g. 12 or 2.5"
                        ));
                    }
                },
            };
            let n = value.as_f64().unwrap_or_default();
            if let Some(lo) = def.min.as_ref().map(|m| *m.get_ref())
                && n < lo
            {
                return Err(format!("{raw} is below the smallest value accepted, {lo}"));
            }
            if let Some(hi) = def.max.as_ref().map(|m| *m.get_ref())
                && n > hi
            {
                return Err(format!("{raw} is above the largest value accepted, {hi}"));
            }
            Ok(value)
        }
        FieldKind::Choice => {
            if def.choices.iter().any(|c| c == raw) {
                Ok(Value::String(raw.to_string()))
            } else {
                Err(format!(
                    "'{raw}' is not one of the choices: {}",
                    def.choices.join(", ")
                ))
            }
        }
        FieldKind::Boolean => match raw.to_lowercase().as_str() {
            "true" | "yes" | "si" | "sí" | "1" | "s" | "y" => Ok(Value::Bool(true)),
            "false" | "no" | "0" | "n" => Ok(Value::Bool(false)),
            _ => Err(format!("'{raw}' is not yes/no (sí, no, true, false)")),
        },
    }
}

fn plausible_email(a: &str) -> bool {
    match a.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !a.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> Config {
        Config::builtin().expect("built-in config")
    }

    #[test]
    fn names_every_missing_field() {
        let cfg = cfg();
        let fields = Map::new();
        let missing = missing_mandatory(&cfg, "api_incident", "", "x", &fields, Lang::En);
        let ids: Vec<&str> = missing.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "title",
                "company",
                "reporter_name",
                "phones",
                "emails",
                "api_id"
            ]
        );
    }

    #[test]
    fn complete_ticket_has_nothing_missing() {
        let cfg = cfg();
        let fields = json!({"company": "Telco", "reporter_name": "Ana", "phones": "555 0101",
            "emails": "a@example.org", "api_id": "SIPO-1"});
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        assert!(missing_mandatory(&cfg, "api_incident", "t", "d", &fields, Lang::Es).is_empty());
    }

    #[test]
    fn blank_values_count_as_missing() {
        let cfg = cfg();
        let Value::Object(fields) = json!({"company": "  ", "reporter_name": "Ana", "phones": "555",
            "emails": "a@example.org", "api_id": "X"})
        else {
            unreachable!()
        };
        let missing = missing_mandatory(&cfg, "api_incident", "t", "d", &fields, Lang::Es);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].id, "company");
    }

    #[test]
    fn field_values_are_checked_by_kind() {
        let cfg = cfg();
        let email = cfg.field("reporter_email").expect("field");
        assert!(parse_field_value(email, "ana@example.org").is_ok());
        assert!(parse_field_value(email, "ana@example.org, b@example.org").is_ok());
        assert!(parse_field_value(email, "ana.example.org").is_err());
        let env = cfg.field("environment").expect("field");
        assert!(parse_field_value(env, "produccion").is_ok());
        assert!(parse_field_value(env, "marte").is_err());
        let n = cfg.field("affected_users").expect("field");
        assert_eq!(parse_field_value(n, "12").ok(), Some(json!(12)));
        assert!(parse_field_value(n, "doce").is_err());
        for not_finite in ["inf", "NaN", "1e400", "-infinity"] {
            assert!(parse_field_value(n, not_finite).is_err(), "{not_finite}");
        }
        let b = cfg.field("total_outage").expect("field");
        assert_eq!(parse_field_value(b, "sí").ok(), Some(json!(true)));
        let p = cfg.field("extension").expect("field");
        assert!(parse_field_value(p, "Ext. 5550").is_ok());
        assert!(parse_field_value(p, "call me").is_err());
    }
}
