//! Durations as operators type them for the worklog: `90m`, `1h30m`, `2h`,
//! `1.5h`, `1d` (a working day of 8 hours) or plain minutes.

/// Minutes in `text`, or a message saying what is accepted.
pub fn parse_minutes(text: &str) -> Result<i64, String> {
    let t = text.trim().to_lowercase().replace(' ', "");
    let bad = || {
        format!(
            "'{text}' is not a duration; write e.g. 45m, 1h30m, 1.5h, 2h or 1d (8 working hours)"
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = t.parse::<i64>() {
        return check(n, text);
    }
    let mut total = 0.0f64;
    let mut number = String::new();
    let mut saw_unit = false;
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' || c == ',' {
            number.push(if c == ',' { '.' } else { c });
            continue;
        }
        let factor = match c {
            'd' => 480.0,
            'h' => 60.0,
            'm' => 1.0,
            _ => return Err(bad()),
        };
        let n: f64 = number.parse().map_err(|_| bad())?;
        total += n * factor;
        number.clear();
        saw_unit = true;
    }
    if !number.is_empty() || !saw_unit {
        return Err(bad());
    }
    check(total.round() as i64, text)
}

fn check(minutes: i64, text: &str) -> Result<i64, String> {
    if minutes <= 0 {
        Err(format!("'{text}' is not a positive duration"))
    } else if minutes > 14 * 24 * 60 {
        Err(format!(
            "'{text}' is more than 14 days; log long work as several entries"
        ))
    } else {
        Ok(minutes)
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
            "", "abc", "1x", "h", "0", "-5", "0m", "60d", "1h30", "1..5h",
        ] {
            assert!(parse_minutes(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_minutes(45), "45m");
        assert_eq!(format_minutes(120), "2h");
        assert_eq!(format_minutes(95), "1h 35m");
    }
}
