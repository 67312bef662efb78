//! Why a value typed in a console prompt or form is refused, in the
//! console's language: a worklog duration, a field value (number, e-mail,
//! phone, choice, yes/no). The rules are the application's
//! (`domain::duration`, `domain::intake`); English answers are theirs word
//! for word, Spanish ones say the same in Spanish, so the Spanish console
//! never answers a typo in English.

use crate::config::{FieldDef, FieldKind, Lang};
use crate::domain::duration::{self, DurationError};
use crate::domain::intake::{self, Ambiguity, NumberError};

/// Why `text` is not a duration the worklog takes, if it is not.
pub fn duration_problem(text: &str, lang: Lang) -> Option<String> {
    let error = duration::parse(text).err()?;
    if lang == Lang::En {
        return Some(duration::worklog_message(text, error));
    }
    let max = format!("{} horas (14 × 24 h)", duration::MAX_MINUTES / 60);
    Some(match error {
        DurationError::NotADuration => separator_problem(text).unwrap_or_else(|| {
            format!(
                "'{text}' no es una duración; escriba p. ej. 45m, 1h30m, 1.5h, 2h o 1d (8 horas de trabajo)"
            )
        }),
        DurationError::NotPositive => format!(
            "'{text}' no es una duración positiva; registre el tiempo trabajado, p. ej. 45m o 1h30m"
        ),
        DurationError::TooLong { minutes } => {
            let hours = if minutes % 60 == 0 {
                format!("{} horas", minutes / 60)
            } else {
                duration::format_minutes(minutes)
            };
            let days = if text.to_lowercase().contains('d') {
                format!(" (1d = {} horas de trabajo)", duration::DAY_MINUTES / 60)
            } else {
                String::new()
            };
            format!(
                "'{text}' son {hours}{days}; una entrada puede ser de {max} como máximo: registre un trabajo largo en varias entradas"
            )
        }
        DurationError::FarTooLong => format!(
            "'{text}' es mucho más que {max}, lo máximo de una entrada: revise la cifra y registre un trabajo largo en varias entradas"
        ),
    })
}

/// A duration whose number is written with a separator that does not
/// read one way only (`1.000h`), said in Spanish.
fn separator_problem(text: &str) -> Option<String> {
    // The English message exists exactly when a number of it is ambiguous
    // or grouped; the words are rebuilt from the number itself.
    duration::separator_message(text)?;
    let t = text.trim().to_lowercase().replace(' ', "");
    let t = t.strip_prefix('-').unwrap_or(&t);
    let mut start = 0;
    for (i, ch) in t.char_indices() {
        if ch.is_ascii_digit() || ch == '.' || ch == ',' {
            continue;
        }
        let number = &t[start..i];
        start = i + ch.len_utf8();
        let unit = ch.to_string();
        match intake::decimal_reading(number) {
            Err(NumberError::Ambiguous(a)) => {
                return Some(format!(
                    "'{text}' es ambiguo: {number}{unit} es {}; escriba {}{unit}, o {}{unit}",
                    readings(&a, &unit),
                    a.thousands,
                    a.decimal_written
                ));
            }
            Err(NumberError::Grouped { plain }) => {
                return Some(format!(
                    "'{text}' lleva separadores de miles; escriba {plain}{unit} sin ellos"
                ));
            }
            _ => {}
        }
    }
    None
}

/// The two readings of an ambiguous number, in Spanish.
fn readings(a: &Ambiguity, unit: &str) -> String {
    let (sep, decimal) = match a.separator {
        "comma" => ("la coma", "coma decimal"),
        _ => ("el punto", "punto decimal"),
    };
    format!(
        "{}{unit} si {sep} separa los miles, {}{unit} si es {decimal}",
        a.thousands, a.decimal
    )
}

/// Why `raw` is not a value of the field `def`, if it is not.
pub fn field_problem(def: &FieldDef, raw: &str, lang: Lang) -> Option<String> {
    let error = intake::parse_field_value(def, raw).err()?;
    if lang == Lang::En {
        return Some(error);
    }
    let raw = raw.trim();
    Some(match def.kind {
        FieldKind::Email => format!(
            "'{raw}' no es una dirección de correo (se espera nombre@dominio; varias, separadas por comas)"
        ),
        FieldKind::Phone => format!(
            "'{raw}' no es un teléfono ni una extensión (cifras, espacios, + - ( ) y 'Ext.')"
        ),
        FieldKind::Number => number_problem(def, raw).unwrap_or(error),
        FieldKind::Choice => format!(
            "'{raw}' no es una de las opciones: {}",
            def.choices.join(", ")
        ),
        FieldKind::Boolean => format!("'{raw}' no es sí/no (sí, no, true, false)"),
        // Text takes anything; should a rule appear, its words are kept.
        FieldKind::Text | FieldKind::LongText => error,
    })
}

/// The Spanish words for a number field's refusal, following the checks of
/// `intake::parse_field_value` in their order.
fn number_problem(def: &FieldDef, raw: &str) -> Option<String> {
    let n = match raw.parse::<i64>() {
        Ok(n) => n as f64,
        Err(_) => match intake::read_number(raw) {
            Ok(n) => n,
            Err(NumberError::NotANumber) => {
                return Some(format!(
                    "'{raw}' no es un número; escriba cifras, p. ej. 12, 2.5 o 2,5"
                ));
            }
            Err(NumberError::Ambiguous(a)) => {
                return Some(format!(
                    "'{raw}' es ambiguo: {}; escriba {}, o {}",
                    readings(&a, ""),
                    a.thousands,
                    a.decimal_written
                ));
            }
            Err(NumberError::Grouped { plain }) => {
                return Some(format!(
                    "'{raw}' lleva separadores de miles; escríbalo sin ellos: {plain}"
                ));
            }
        },
    };
    if def.is_whole() && n.fract() != 0.0 {
        return Some(format!("'{raw}' no es un número entero; escriba p. ej. 12"));
    }
    if let Some(lo) = def.min.as_ref().map(|m| *m.get_ref())
        && n < lo
    {
        return Some(format!("{raw} es menor que el mínimo aceptado, {lo}"));
    }
    if let Some(hi) = def.max.as_ref().map(|m| *m.get_ref())
        && n > hi
    {
        return Some(format!("{raw} es mayor que el máximo aceptado, {hi}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_is_refused_in_spanish_under_es_and_as_before_under_en() {
        let es = duration_problem("xy", Lang::Es).expect("refused");
        assert!(
            es.starts_with("'xy' no es una duración; escriba p. ej. 45m"),
            "{es}"
        );
        let en = duration_problem("xy", Lang::En).expect("refused");
        assert!(en.starts_with("'xy' is not a duration"), "{en}");
        assert_eq!(duration_problem("45m", Lang::Es), None);
        for text in [
            "0m",
            "400h",
            "99999999999999999999h",
            "1.000h",
            "1.000.000m",
        ] {
            let es = duration_problem(text, Lang::Es).expect("refused");
            for english in ["is not", " is ", "write", "hours", "ambiguous"] {
                assert!(!es.contains(english), "{text}: {es}");
            }
        }
    }
}
