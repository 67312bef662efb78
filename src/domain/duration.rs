//! Durations as people type them: `90m`, `1h30m`, `2h`, `1.5h`, `1d` (a
//! working day of 8 hours) or plain minutes. The worklog, SLA targets and
//! workflow timers all read them with [`parse`], which says *what* is wrong
//! as a [`DurationError`]; each caller words the message for its own reader
//! (an operator logging work is told to split the entry, an administrator
//! editing a file is not). Numbers in them read as in number fields
//! ([`crate::domain::intake::read_number`]): `1,5h` is `1.5h`, and `1.000h`,
//! a thousand hours or one, is refused rather than guessed.

use crate::domain::intake::{NumberError, decimal_reading};

/// Minutes in `1d`: a working day of 8 hours (a business day in SLA targets).
pub const DAY_MINUTES: i64 = 8 * 60;

/// The longest duration accepted, 14 × 24 hours. It is a number of minutes,
/// so with `1d` = 8 hours it is `42d`, not `14d`: messages state it in hours,
/// which is true whatever unit the text used.
pub const MAX_MINUTES: i64 = 14 * 24 * 60;

/// Past this a text is not a slip of a few hours but a figure nobody meant
/// (`99999999999999999999h`), and no figure is quoted back: a million hours,
/// over a century. Up to it the minutes are exact (far inside the 2^53 whole
/// numbers an `f64` holds, and nowhere near `i64`'s limit, where `as`
/// saturates to a bogus `153722867280912930h 7m`), so [`DurationError::TooLong`]
/// can state them; beyond it the text is [`DurationError::FarTooLong`].
pub const SANE_MINUTES: i64 = 1_000_000 * 60;

/// Why a text is not an acceptable duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationError {
    /// Not something this parser reads (`abc`, `1x`, `1h30`).
    NotADuration,
    /// Reads as a duration, but it is zero or negative (`0m`, `-1h`).
    NotPositive,
    /// Longer than [`MAX_MINUTES`]; `minutes` is how long it reads as (at
    /// most [`SANE_MINUTES`], so it can be quoted back).
    TooLong { minutes: i64 },
    /// Longer than [`SANE_MINUTES`]: how long it reads as is no figure
    /// worth stating (it may not even fit in an `i64`); say only that it is
    /// far past the cap.
    FarTooLong,
}

/// Minutes in `text`, or why it is not a duration.
pub fn parse(text: &str) -> Result<i64, DurationError> {
    let t = text.trim().to_lowercase().replace(' ', "");
    // `-1h` is a duration with a sign, not gibberish: say it is not positive.
    if let Some(rest) = t.strip_prefix('-') {
        return match unsigned_minutes(rest) {
            Some(_) => Err(DurationError::NotPositive),
            None => Err(DurationError::NotADuration),
        };
    }
    let minutes = unsigned_minutes(&t).ok_or(DurationError::NotADuration)?;
    if minutes > SANE_MINUTES as f64 {
        // Also an infinite reading (a number of hundreds of digits).
        return Err(DurationError::FarTooLong);
    }
    let minutes = minutes.round() as i64;
    if minutes <= 0 {
        Err(DurationError::NotPositive)
    } else if minutes > MAX_MINUTES {
        Err(DurationError::TooLong { minutes })
    } else {
        Ok(minutes)
    }
}

/// Whether `text` is a bare number (`24`, ` 90 `): minutes to the worklog,
/// where an operator types `worklog 90`, but a slip in a configuration
/// file, where `after = "24"` meant 24 hours far more often than 24
/// minutes. Zero and signed numbers are not counted: what is wrong with
/// them is that they are not positive.
pub fn lacks_unit(text: &str) -> bool {
    let t = text.trim().replace(' ', "");
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) && t.chars().any(|c| c != '0')
}

/// What an administrator is told about a bare number where a file wants a
/// duration with its unit; `what` names the key (`timer duration`,
/// `resolution target`).
pub fn unit_message(what: &str, text: &str) -> String {
    let n = text.trim().replace(' ', "");
    format!(
        "{what} '{text}' has no unit, and would be read as {n} minutes; write \"{n}h\" for {n} hours or \"{n}m\" for {n} minutes"
    )
}

/// Whether `text` reads as a duration (signed, zero or too long included)
/// written with the day unit: `1d`, `-2d`, `1d4h`, but not `dos horas` or
/// `1 dia`, which are no durations at all.
pub fn uses_days(text: &str) -> bool {
    parse(text) != Err(DurationError::NotADuration) && text.to_lowercase().contains('d')
}

/// The minutes of a normalised text without a sign, if it reads at all,
/// unrounded: a text too long for an `i64` still reads (as a huge or
/// infinite number), so that it is [`DurationError::FarTooLong`].
fn unsigned_minutes(t: &str) -> Option<f64> {
    // Plain minutes are whole: `45`, or `99999999999999999999`, too many
    // for an i64 but still minutes.
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return t.parse::<f64>().ok();
    }
    let mut total = 0.0f64;
    for (number, unit) in parts(t)? {
        // Numbers read as in number fields: `1,5h` is `1.5h`, and `1.000h`
        // (one hour, or a thousand?) does not read at all.
        total += decimal_reading(number).ok()? * unit_minutes(unit);
    }
    Some(total)
}

/// A normalised text cut into its numbers and units (`1h30m` → `1` `h`,
/// `30` `m`), if it is numbers each followed by a unit.
fn parts(t: &str) -> Option<Vec<(&str, char)>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() || c == '.' || c == ',' {
            continue;
        }
        if !matches!(c, 'd' | 'h' | 'm') {
            return None;
        }
        parts.push((&t[start..i], c));
        start = i + c.len_utf8();
    }
    (start == t.len() && !parts.is_empty()).then_some(parts)
}

fn unit_minutes(unit: char) -> f64 {
    match unit {
        'd' => DAY_MINUTES as f64,
        'h' => 60.0,
        _ => 1.0,
    }
}

/// Why `text` does not read as a duration when the reason is how a number
/// in it is written (`1.000h`: a thousand hours, or one?), worded for
/// whoever typed it: the worklog says it, and so can a configuration file's
/// checks, for a [`DurationError::NotADuration`].
pub fn separator_message(text: &str) -> Option<String> {
    let t = text.trim().to_lowercase().replace(' ', "");
    let t = t.strip_prefix('-').unwrap_or(&t);
    parts(t)?
        .into_iter()
        .find_map(|(number, unit)| match decimal_reading(number) {
            Err(NumberError::Ambiguous(a)) => Some(format!(
                "'{text}' is ambiguous: {number}{unit} is {}; write {}{unit}, or {}{unit}",
                a.readings(&unit.to_string()),
                a.thousands,
                a.decimal_written
            )),
            Err(NumberError::Grouped { plain }) => Some(format!(
                "'{text}' has thousands separators; write {plain}{unit} without them"
            )),
            _ => None,
        })
}

/// The worklog's reading of `text`: minutes, or a message for the operator
/// who typed it.
pub fn parse_minutes(text: &str) -> Result<i64, String> {
    parse(text).map_err(|e| worklog_message(text, e))
}

/// What an operator logging work is told about `text`.
pub fn worklog_message(text: &str, error: DurationError) -> String {
    match error {
        DurationError::NotADuration => separator_message(text).unwrap_or_else(|| {
            format!(
                "'{text}' is not a duration; write e.g. 45m, 1h30m, 1.5h, 2h or 1d (8 working hours)"
            )
        }),
        DurationError::NotPositive => {
            format!("'{text}' is not a positive duration; log the time worked, e.g. 45m or 1h30m")
        }
        DurationError::TooLong { minutes } => format!(
            "'{text}' is {}{}; one entry can be at most {}: log long work as several entries",
            hours_text(minutes),
            day_note(text, "working"),
            max_text()
        ),
        DurationError::FarTooLong => format!(
            "'{text}' is far longer than {}, the most one entry can be: check the figure, and log long work as several entries",
            max_text()
        ),
    }
}

/// `(1d = 8 working hours)` when `text` uses days, so that `43d` being more
/// than 336 hours reads as arithmetic rather than a contradiction.
pub fn day_note(text: &str, kind: &str) -> String {
    if text.to_lowercase().contains('d') {
        format!(" (1d = {} {kind} hours)", DAY_MINUTES / 60)
    } else {
        String::new()
    }
}

/// The cap as messages state it: `336 hours (14 × 24 h)`.
pub fn max_text() -> String {
    format!("{} hours (14 × 24 h)", MAX_MINUTES / 60)
}

/// How long a duration reads as, in hours because the cap is stated in
/// hours: `20640` → `344 hours`, `20161` → `336h 1m`.
pub fn hours_text(minutes: i64) -> String {
    if minutes % 60 == 0 {
        format!("{} hours", minutes / 60)
    } else {
        format_minutes(minutes)
    }
}

/// `95` → `1h 35m`.
pub fn format_minutes(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(parse_minutes("45"), Ok(45));
        assert_eq!(parse_minutes("45m"), Ok(45));
        assert_eq!(parse_minutes("2h"), Ok(120));
        assert_eq!(parse_minutes("1h30m"), Ok(90));
        assert_eq!(parse_minutes("1h 30m"), Ok(90));
        assert_eq!(parse_minutes("1.5h"), Ok(90));
        assert_eq!(parse_minutes("1,5h"), Ok(90));
        assert_eq!(parse_minutes("1d"), Ok(480));
    }

    #[test]
    fn refused_forms() {
        for bad in [
            "", "abc", "1x", "h", "0", "-5", "0m", "60d", "1h30", "1..5h", "-1h", "-",
        ] {
            assert!(parse_minutes(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        use DurationError::*;
        for bad in ["", "abc", "1x", "h", "1h30", "1..5h", "-", "-abc", "--1h"] {
            assert_eq!(parse(bad), Err(NotADuration), "{bad:?}");
        }
        for bad in ["0", "0m", "-5", "-1h", "- 1h", "0.2m", "-43d"] {
            assert_eq!(parse(bad), Err(NotPositive), "{bad:?}");
        }
        assert_eq!(parse("43d"), Err(TooLong { minutes: 43 * 480 }));
        assert_eq!(parse("337h"), Err(TooLong { minutes: 337 * 60 }));
        assert_eq!(parse("20161"), Err(TooLong { minutes: 20161 }));
        // The largest figure still quoted back, and the first one past it.
        assert_eq!(
            parse("1000000h"),
            Err(TooLong {
                minutes: SANE_MINUTES
            })
        );
        assert_eq!(parse("1000000h1m"), Err(FarTooLong));
        for huge in [
            "99999999999999999999h",
            "99999999999999999999999h",
            "99999999999999999999",
            "99999999999999999999d",
            "1h99999999999999999999m",
            &format!("{}h", "9".repeat(400)),
        ] {
            assert_eq!(parse(huge), Err(FarTooLong), "{huge:?}");
        }
        assert_eq!(parse("-99999999999999999999h"), Err(NotPositive));
    }

    #[test]
    fn bare_numbers_lack_a_unit() {
        for bare in ["24", " 4 ", "90", "1 0", "99999999999999999999"] {
            assert!(lacks_unit(bare), "{bare:?}");
        }
        for not_bare in ["24h", "24m", "1d", "0", "00", "-5", "1.5", "", "abc"] {
            assert!(!lacks_unit(not_bare), "{not_bare:?}");
        }
        assert_eq!(
            unit_message("timer duration", "24"),
            "timer duration '24' has no unit, and would be read as 24 minutes; write \"24h\" for 24 hours or \"24m\" for 24 minutes"
        );
    }

    #[test]
    fn day_units_are_told_from_words_with_a_d() {
        for days in [
            "1d",
            "1D",
            "1 d",
            "-1d",
            "0d",
            "1d4h",
            "60d",
            "99999999999999999999d",
        ] {
            assert!(uses_days(days), "{days:?}");
        }
        for not_days in ["dos horas", "1 dia", "d", "1dd", "24h", "abc", ""] {
            assert!(!uses_days(not_days), "{not_days:?}");
        }
    }

    #[test]
    fn the_cap_is_336_hours_whatever_the_unit() {
        assert_eq!(parse("336h"), Ok(MAX_MINUTES));
        assert_eq!(parse("42d"), Ok(MAX_MINUTES));
        assert_eq!(parse("20160"), Ok(MAX_MINUTES));
        assert_eq!(parse("14d"), Ok(14 * 480));
    }

    #[test]
    fn worklog_messages_fit_the_worklog() {
        let long = parse_minutes("43d").unwrap_err();
        assert_eq!(
            long,
            "'43d' is 344 hours (1d = 8 working hours); one entry can be at most 336 hours (14 × 24 h): log long work as several entries"
        );
        assert!(!long.contains("14 days"), "{long}");
        let long = parse_minutes("20161m").unwrap_err();
        assert!(long.starts_with("'20161m' is 336h 1m; one entry"), "{long}");
        let negative = parse_minutes("-1h").unwrap_err();
        assert!(negative.contains("not a positive duration"), "{negative}");
        let huge = parse_minutes("99999999999999999999h").unwrap_err();
        assert_eq!(
            huge,
            "'99999999999999999999h' is far longer than 336 hours (14 × 24 h), the most one entry can be: check the figure, and log long work as several entries"
        );
        let bad = parse_minutes("pronto").unwrap_err();
        assert!(bad.contains("is not a duration; write e.g. 45m"), "{bad}");
    }

    #[test]
    fn numbers_that_read_two_ways_are_refused() {
        assert_eq!(parse("1,5h"), Ok(90));
        assert_eq!(parse("0,125h"), Ok(8));
        assert_eq!(parse("1.25h"), Ok(75));
        assert_eq!(parse("1.0h"), Ok(60));
        assert_eq!(parse(".5h"), Ok(30));
        // `1.000h` was one hour; to a help desk in Bogotá it is a thousand.
        for ambiguous in [
            "1.000h",
            "1,000h",
            "1.500m",
            "2h1.500m",
            "-1.000h",
            "1.000.000m",
        ] {
            assert_eq!(
                parse(ambiguous),
                Err(DurationError::NotADuration),
                "{ambiguous}"
            );
        }
        assert_eq!(
            parse_minutes("1.000h").unwrap_err(),
            "'1.000h' is ambiguous: 1.000h is 1000h if the point separates thousands, 1h if it is a decimal point; write 1000h, or 1.0h"
        );
        assert_eq!(
            parse_minutes("2h 1,500m").unwrap_err(),
            "'2h 1,500m' is ambiguous: 1,500m is 1500m if the comma separates thousands, 1,5m if it is a decimal comma; write 1500m, or 1,5m"
        );
        assert_eq!(
            parse_minutes("1.000.000m").unwrap_err(),
            "'1.000.000m' has thousands separators; write 1000000m without them"
        );
        // Without a unit there is no duration to advise about.
        assert_eq!(separator_message("1.000"), None);
        assert_eq!(separator_message("1.5h"), None);
        assert!(
            parse_minutes("1.000")
                .unwrap_err()
                .contains("is not a duration")
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_minutes(45), "45m");
        assert_eq!(format_minutes(120), "2h");
        assert_eq!(format_minutes(95), "1h 35m");
        assert_eq!(hours_text(20640), "344 hours");
        assert_eq!(hours_text(20161), "336h 1m");
    }
}
