//! Site identity rules: site codes and human ticket keys (`<SITE>-<n>`).

/// A site code is 2 to 8 ASCII capital letters (e.g. `BOG`, `ASU`).
pub fn valid_site_code(code: &str) -> bool {
    (2..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// `BOG` and 42 make `BOG-42`.
pub fn ticket_key(site_code: &str, number: i64) -> String {
    format!("{site_code}-{number}")
}

/// Splits `BOG-42` into its site code and number; `None` if malformed.
pub fn parse_ticket_key(key: &str) -> Option<(&str, i64)> {
    let (code, num) = key.rsplit_once('-')?;
    if !valid_site_code(code) {
        return None;
    }
    let n: i64 = num.parse().ok()?;
    (n > 0).then_some((code, n))
}

/// The key as it is stored, from the way an operator may type it: `bog-42`,
/// `BOG-0042` and ` BOG-42 ` all mean `BOG-42`. `None` if it is no key at all.
pub fn canonical_ticket_key(typed: &str) -> Option<String> {
    let (code, num) = typed.trim().rsplit_once('-')?;
    let code = code.to_ascii_uppercase();
    if !valid_site_code(&code) || num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = num.parse().ok()?;
    (n > 0).then(|| ticket_key(&code, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_typed() {
        assert_eq!(canonical_ticket_key("BOG-42").as_deref(), Some("BOG-42"));
        assert_eq!(canonical_ticket_key("bog-42").as_deref(), Some("BOG-42"));
        assert_eq!(
            canonical_ticket_key("BOG-00400").as_deref(),
            Some("BOG-400")
        );
        assert_eq!(canonical_ticket_key(" Bog-7 ").as_deref(), Some("BOG-7"));
        for bad in [
            "foo",
            "BOG-0",
            "BOG-000",
            "BOG-x",
            "B-1",
            "BOG42",
            "BOG-+4",
            "BOG--4",
            "BOG-",
            "BOG-1.0",
            "BOG-99999999999999999999",
        ] {
            assert_eq!(canonical_ticket_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn site_codes() {
        assert!(valid_site_code("BOG"));
        assert!(valid_site_code("MEXICO"));
        assert!(!valid_site_code("B"));
        assert!(!valid_site_code("bog"));
        assert!(!valid_site_code("BOGOTACOL"));
        assert!(!valid_site_code("BO1"));
    }

    #[test]
    fn keys_round_trip() {
        assert_eq!(ticket_key("BOG", 42), "BOG-42");
        assert_eq!(parse_ticket_key("BOG-42"), Some(("BOG", 42)));
        assert_eq!(parse_ticket_key("bog-42"), None);
        assert_eq!(parse_ticket_key("BOG-0"), None);
        assert_eq!(parse_ticket_key("BOG-x"), None);
        assert_eq!(parse_ticket_key("BOG42"), None);
    }
}
