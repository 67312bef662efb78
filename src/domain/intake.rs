//! Intake rules: which fields a ticket type demands, and what a valid value of
//! each field kind looks like. Registration names every missing field at once.
//! Numbers take a decimal point or comma, and a form that reads two ways
//! (`1.000`: one thousand in Bogotá, one elsewhere) is refused, never guessed.

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
            // Whole numbers stay whole in the stored JSON (`12`, not `12.0`).
            let value = match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::from(read_number(raw).map_err(|e| e.message(raw))?),
            };
            let n = value.as_f64().unwrap_or_default();
            if def.is_whole() && n.fract() != 0.0 {
                return Err(format!("'{raw}' is not a whole number; write e.g. 12"));
            }
            // `12.0` for a count is stored as 12, as `12` is.
            let value = if def.is_whole() && value.is_f64() && n.abs() < 9.0e15 {
                Value::from(n as i64)
            } else {
                value
            };
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
            // As typed, or written with capitals and accents the stored
            // choice lacks (`Producción` for `produccion`): the choice is
            // stored as configured.
            let wanted = crate::config::folded(raw);
            let chosen = def.choices.iter().find(|c| *c == raw).or_else(|| {
                def.choices
                    .iter()
                    .find(|c| crate::config::folded(c) == wanted)
            });
            if let Some(choice) = chosen {
                Ok(Value::String(choice.clone()))
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

/// Why a typed number is refused. Help desks in Colombia and Paraguay write
/// `1.000` for one thousand, others write it for one: a form that reads both
/// ways is refused rather than guessed, because a guess is a silent tenfold
/// (or thousandfold) error in a count or an amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// Not digits with at most one decimal point or comma and an optional
    /// exponent (`doce`, `1..5`, `inf`, `1e`, or too large to be finite).
    NotANumber,
    /// A single point or comma followed by exactly three digits, after a
    /// leading group of 1–3 digits not starting with 0 (`1.000`, `12,500`).
    Ambiguous(Ambiguity),
    /// Thousands separators that cannot be a decimal (`1.000.000`,
    /// `1.000,5`): not ambiguous, but refused with the plain form, so that
    /// there is one way to write a number and `1.000` is never taken for it.
    Grouped { plain: String },
}

/// The two readings of an ambiguous number, as an operator would write them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambiguity {
    /// Read with a thousands separator: `1000`, `12500`.
    pub thousands: String,
    /// Read with a decimal separator, shortest: `1`, `12.5`, `1,001`.
    pub decimal: String,
    /// The decimal reading in a form that is not ambiguous: `1.0`, `12.5`,
    /// `1,0010`.
    pub decimal_written: String,
    /// `point` or `comma`, as the operator typed it.
    pub separator: &'static str,
}

impl NumberError {
    /// What an operator who typed `raw` is told.
    pub fn message(&self, raw: &str) -> String {
        match self {
            NumberError::NotANumber => {
                format!("'{raw}' is not a number; write digits, e.g. 12, 2.5 or 2,5")
            }
            NumberError::Ambiguous(a) => format!(
                "'{raw}' is ambiguous: {}; write {}, or {}",
                a.readings(""),
                a.thousands,
                a.decimal_written
            ),
            NumberError::Grouped { plain } => {
                format!("'{raw}' has thousands separators; write it without them: {plain}")
            }
        }
    }
}

impl Ambiguity {
    /// `1000 if the point separates thousands, 1 if it is a decimal point`,
    /// each reading followed by `unit` (`h` for a duration).
    pub fn readings(&self, unit: &str) -> String {
        let sep = self.separator;
        format!(
            "{}{unit} if the {sep} separates thousands, {}{unit} if it is a decimal {sep}",
            self.thousands, self.decimal
        )
    }
}

/// A number as an operator types it: digits, an optional sign, and a decimal
/// point or comma (`2.5` and `2,5` are the same). Forms that read two ways
/// (`1.000`) and thousands separators are refused; see [`NumberError`].
pub fn read_number(text: &str) -> Result<f64, NumberError> {
    let t = text.trim();
    let sign = if t.starts_with('-') { "-" } else { "" };
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    // An exponent (`1e-7`, as a float's shortest text is written) is kept
    // apart: the rule is about the separators of what comes before it.
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => {
            let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(NumberError::NotANumber);
            }
            (m, format!("e{e}"))
        }
        None => (body, String::new()),
    };
    let written = |n: &str| format!("{sign}{n}{exponent}");
    decimal_reading(mantissa).map_err(|e| match e {
        NumberError::Ambiguous(a) => NumberError::Ambiguous(Ambiguity {
            thousands: written(&a.thousands),
            decimal: written(&a.decimal),
            decimal_written: written(&a.decimal_written),
            separator: a.separator,
        }),
        NumberError::Grouped { plain } => NumberError::Grouped {
            plain: written(&plain),
        },
        e => e,
    })?;
    // Parsed whole, not scaled by hand, so that `1e-7` is exactly the float
    // its text names.
    match written(&mantissa.replace(',', ".")).parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(NumberError::NotANumber),
    }
}

/// [`read_number`] worded for the operator, for command-line amounts
/// (`--hours 1,5`).
pub fn parse_number(text: &str) -> Result<f64, String> {
    read_number(text).map_err(|e| e.message(text.trim()))
}

/// The value of unsigned digits with at most one decimal point or comma, by
/// the rule of [`read_number`]. Not checked for being finite: a duration of
/// four hundred digits is "far too long", not "not a number".
pub fn decimal_reading(body: &str) -> Result<f64, NumberError> {
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(NumberError::NotANumber);
    }
    let seps: Vec<char> = body.chars().filter(|c| !c.is_ascii_digit()).collect();
    let groups: Vec<&str> = body.split(['.', ',']).collect();
    // A thousands separator never follows a lone 0 or more than 3 digits.
    let leads = |g: &str| (1..=3).contains(&g.len()) && !g.starts_with('0');
    let decimal = |int: &str, frac: &str| -> Result<f64, NumberError> {
        if int.is_empty() && frac.is_empty() {
            return Err(NumberError::NotANumber);
        }
        format!("{int}.{frac}")
            .parse::<f64>()
            .map_err(|_| NumberError::NotANumber)
    };
    match (seps.as_slice(), groups.as_slice()) {
        ([], _) => body.parse::<f64>().map_err(|_| NumberError::NotANumber),
        ([sep], [int, frac]) if leads(int) && frac.len() == 3 => {
            let trimmed = frac.trim_end_matches('0');
            let decimal = if trimmed.is_empty() {
                (*int).to_string()
            } else {
                format!("{int}{sep}{trimmed}")
            };
            // Three decimals would read two ways again: `1.0010`, not `1.001`.
            let decimal_written = match trimmed.len() {
                0 => format!("{int}{sep}0"),
                3 => format!("{decimal}0"),
                _ => decimal.clone(),
            };
            Err(NumberError::Ambiguous(Ambiguity {
                thousands: format!("{int}{frac}"),
                decimal,
                decimal_written,
                separator: if *sep == ',' { "comma" } else { "point" },
            }))
        }
        ([_], [int, frac]) => decimal(int, frac),
        ([first, .., last], [lead, middle @ .., tail]) => {
            let grouped = leads(lead)
                && seps[..seps.len() - 1].iter().all(|s| s == first)
                && middle.iter().all(|g| g.len() == 3);
            if !grouped {
                return Err(NumberError::NotANumber);
            }
            let whole: String = groups[..groups.len() - 1].concat();
            let plain = if last == first && tail.len() == 3 {
                format!("{whole}{tail}")
            } else if last != first && !tail.is_empty() {
                format!("{whole}{last}{tail}")
            } else {
                return Err(NumberError::NotANumber);
            };
            Err(NumberError::Grouped { plain })
        }
        _ => Err(NumberError::NotANumber),
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

    /// A number field with decimals (`estimate_hours`).
    fn number(raw: &str) -> Result<Value, String> {
        let cfg = cfg();
        parse_field_value(cfg.field("estimate_hours").expect("field"), raw)
    }

    #[test]
    fn a_count_takes_whole_numbers_only() {
        let cfg = cfg();
        let count = cfg.field("affected_users").expect("field");
        assert!(count.is_whole());
        assert_eq!(parse_field_value(count, "12"), Ok(json!(12)));
        assert_eq!(parse_field_value(count, "12.0"), Ok(json!(12)));
        assert_eq!(
            parse_field_value(count, "2,5"),
            Err("'2,5' is not a whole number; write e.g. 12".into())
        );
    }

    #[test]
    fn numbers_take_a_decimal_point_or_comma() {
        assert_eq!(number("1000"), Ok(json!(1000)));
        assert_eq!(number("12.5"), Ok(json!(12.5)));
        assert_eq!(number("2,5"), Ok(json!(2.5)));
        assert_eq!(number("0.125"), Ok(json!(0.125)));
        assert_eq!(number("0,125"), Ok(json!(0.125)));
        assert_eq!(number(" 1234.567 "), Ok(json!(1234.567)));
        assert_eq!(number("1.25"), Ok(json!(1.25)));
        assert_eq!(number("1.0"), Ok(json!(1.0)));
        assert_eq!(read_number("-3"), Ok(-3.0));
        assert_eq!(read_number("-2,5"), Ok(-2.5));
        assert_eq!(read_number("+2.5"), Ok(2.5));
        assert_eq!(read_number(".5"), Ok(0.5));
        assert_eq!(read_number("1e-7"), Ok(1e-7));
        assert_eq!(read_number("2,5E3"), Ok(2500.0));
        assert_eq!(
            read_number("-0.30000000000000004"),
            Ok(-0.30000000000000004)
        );
        assert_eq!(parse_number("0,125"), Ok(0.125));
    }

    #[test]
    fn numbers_that_read_two_ways_are_refused() {
        assert_eq!(
            number("1.000"),
            Err("'1.000' is ambiguous: 1000 if the point separates thousands, 1 if it is a decimal point; write 1000, or 1.0".into())
        );
        assert_eq!(
            number("1.500"),
            Err("'1.500' is ambiguous: 1500 if the point separates thousands, 1.5 if it is a decimal point; write 1500, or 1.5".into())
        );
        assert_eq!(
            number("12,500"),
            Err("'12,500' is ambiguous: 12500 if the comma separates thousands, 12,5 if it is a decimal comma; write 12500, or 12,5".into())
        );
        // Three decimals of their own would read two ways again.
        assert_eq!(
            number("100.001"),
            Err("'100.001' is ambiguous: 100001 if the point separates thousands, 100.001 if it is a decimal point; write 100001, or 100.0010".into())
        );
        assert_eq!(
            parse_number("-1,000"),
            Err("'-1,000' is ambiguous: -1000 if the comma separates thousands, -1 if it is a decimal comma; write -1000, or -1,0".into())
        );
        for grouped in ["1.000.000", "1,000,000"] {
            assert_eq!(
                number(grouped),
                Err(format!(
                    "'{grouped}' has thousands separators; write it without them: 1000000"
                )),
            );
        }
        assert_eq!(
            number("1.000e3"),
            Err("'1.000e3' is ambiguous: 1000e3 if the point separates thousands, 1e3 if it is a decimal point; write 1000e3, or 1.0e3".into())
        );
        assert_eq!(
            read_number("1.000,5"),
            Err(NumberError::Grouped {
                plain: "1000,5".into()
            })
        );
        assert_eq!(
            read_number("1,234,567.25"),
            Err(NumberError::Grouped {
                plain: "1234567.25".into()
            })
        );
    }

    #[test]
    fn what_is_no_number_is_said_so() {
        for bad in [
            "doce",
            "1..5",
            "1.2.3",
            "1.000.5",
            "1.5,3",
            "1 000",
            "1e",
            "1e+",
            "1ee3",
            "e3",
            "1e3.5",
            ".",
            ",",
            "-",
            "+-3",
            "1.000,",
            "inf",
            "NaN",
            "1e400",
            "-infinity",
            &"9".repeat(400),
        ] {
            assert_eq!(read_number(bad), Err(NumberError::NotANumber), "{bad:?}");
        }
        assert_eq!(
            number("doce"),
            Err("'doce' is not a number; write digits, e.g. 12, 2.5 or 2,5".into())
        );
        // Past the bounds is said with the bound, also for a decimal comma.
        assert_eq!(
            number("-0,5"),
            Err("-0,5 is below the smallest value accepted, 0".into())
        );
    }
}
