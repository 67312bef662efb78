//! The toml crate's errors in plain words for an administrator: serde says
//! `invalid type: string "1", expected u8` or ``missing field `role` ``,
//! which names Rust types; guardia names the key, what it takes and what
//! to write. Also reads a file on past an unknown key, so that every typo
//! of a file is named at once rather than one per run.

use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The toml crate's message for a syntax or type error, completed where it
/// is too terse to act on: for a duplicate key it says only "duplicate key",
/// pointing at the second occurrence, so the key is named from that span;
/// for a number, boolean or date where text is expected it says only
/// "invalid type: integer `24`, expected a string", so the key is named and
/// the quotes shown ([`quote_hint`]); a wrong type, a missing key, an
/// unknown key or name are said in plain words ([`plain_message`]).
pub fn toml_error_message(text: &str, e: &toml::de::Error) -> String {
    message_in(None, text, e)
}

/// [`toml_error_message`] for the configuration file `file`, which a
/// missing key's message names so the administrator can print the
/// built-in one.
pub(super) fn message_in(file: Option<&str>, text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim();
    if message.starts_with("invalid type:")
        && message.ends_with("expected a string")
        && let Some(hint) = e.span().and_then(|span| quote_hint(message, text, span))
    {
        return format!("{message}; {hint}");
    }
    if message == "duplicate key" {
        return duplicate_key(text, e.span());
    }
    plain_message(file, message, text, e.span())
        .unwrap_or_else(|| crate::text::sanitize_line(message))
}

fn duplicate_key(text: &str, span: Option<Range<usize>>) -> String {
    const VAGUE: &str = "duplicate key: a key or table is defined twice; keep one of the two";
    let Some(span) = span else {
        return VAGUE.into();
    };
    let key = text
        .get(span.clone())
        .map(unquote)
        .filter(|k| !k.trim().is_empty() && !k.contains('\n'));
    let Some(key) = key else {
        return VAGUE.into();
    };
    let key = crate::text::sanitize_line(key);
    let before = text.get(..span.start).unwrap_or_default();
    let line = before.rsplit('\n').next().unwrap_or_default();
    if line.trim_start().starts_with('[') {
        format!(
            "duplicate key '{key}': this table header repeats a table or key already defined above; merge the two into one"
        )
    } else {
        format!(
            "duplicate key '{key}': it is already set above in the same table; keep one of the two"
        )
    }
}

/// The key a value at `at` is given to, read from the text before it on
/// its line (`after = 24`, `{ response = 30`; none for an element of an
/// array): its name without quotes and the key as written.
fn key_before(text: &str, at: usize) -> Option<(String, String)> {
    let line = text.get(..at)?.rsplit('\n').next()?;
    let key = line
        .trim_end()
        .strip_suffix('=')
        .map(|k| k.rsplit(['{', ',']).next().unwrap_or(k).trim())
        .filter(|k| !k.is_empty() && !k.contains(['=', '[', ']']))?;
    Some((
        crate::text::sanitize_line(unquote(key)),
        crate::text::sanitize_line(key),
    ))
}

/// What to do when the value at `span` is a bare number, boolean or date
/// where text in quotes is expected. These type errors come from
/// deserializing, not from the syntax, and point at the value. Durations
/// get their unit, since a bare `"24"` would be read as minutes.
fn quote_hint(message: &str, text: &str, span: Range<usize>) -> Option<String> {
    let value = text.get(span.clone())?.trim();
    // A date reaches serde as a map, like an inline table: tell them apart.
    let scalar = ["integer", "floating point", "boolean"]
        .iter()
        .any(|kind| message.starts_with(&format!("invalid type: {kind} ")))
        || (message.starts_with("invalid type: map,")
            && value.parse::<toml::value::Datetime>().is_ok());
    if !scalar || value.is_empty() || value.contains('\n') {
        return None;
    }
    let shown = crate::text::sanitize_line(value);
    let Some((name, key)) = key_before(text, span.start) else {
        return Some(format!(
            "this value is text: write it in quotes, like \"{shown}\""
        ));
    };
    if ["after", "response", "resolution"].contains(&name.as_str()) {
        let number = value.starts_with(|c: char| c.is_ascii_digit())
            && value.chars().all(|c| c.is_ascii_digit() || c == '.');
        return Some(if number {
            format!(
                "'{name}' is a duration, written in quotes with its unit: {key} = \"{shown}h\" for {shown} hours, \"{shown}m\" for minutes"
            )
        } else {
            format!("'{name}' is a duration, written in quotes with its unit, like {key} = \"24h\"")
        });
    }
    Some(format!(
        "'{name}' takes text: write it in quotes, like {key} = \"{shown}\""
    ))
}

/// A TOML key as written, without its quotes (`"a b"` and `'a b'` → `a b`).
fn unquote(key: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = key.strip_prefix(q).and_then(|k| k.strip_suffix(q)) {
            return inner;
        }
    }
    key
}

/// The names serde lists between backticks (`` `a`, `b` or `c` ``).
fn backticked(list: &str) -> Vec<String> {
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(crate::text::sanitize_line)
        .collect()
}

/// serde's messages for a missing key, an unknown key or name, and a value
/// of the wrong type, in plain words with what to write; `None` for any
/// other message.
fn plain_message(
    file: Option<&str>,
    message: &str,
    text: &str,
    span: Option<Range<usize>>,
) -> Option<String> {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = crate::text::sanitize_line(rest.split('`').next()?);
        let print = match file {
            Some(f) => format!("`guardia config print-default {f}`"),
            None => "`guardia config print-default`".into(),
        };
        return Some(format!(
            "'{name}' is required here but missing; add it ({print} shows a complete file)"
        ));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, allowed) = rest.split_once('`')?;
        let name = crate::text::sanitize_line(name);
        let allowed = backticked(allowed);
        return Some(if allowed.is_empty() {
            format!("unknown key '{name}': nothing may be set here; remove it")
        } else {
            format!(
                "unknown key '{name}'; the keys allowed here are {}: check the spelling, or remove it",
                allowed.join(", ")
            )
        });
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (name, allowed) = rest.split_once('`')?;
        let name = crate::text::sanitize_line(name);
        let allowed = backticked(allowed);
        let subject = span
            .as_ref()
            .and_then(|s| key_before(text, s.start))
            .map_or_else(|| "this value".to_string(), |(k, _)| format!("'{k}'"));
        return Some(format!(
            "'{name}' is not a value {subject} takes; write one of {}, in quotes and spelled exactly",
            allowed.join(", ")
        ));
    }
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let span = span?;
    let written = text
        .get(span.clone())
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains('\n') && v.chars().count() <= 60);
    // A table made by a dotted key (`currency.x = 1`) is pointed at by its
    // key, which is no value to quote back (an inline table or a date is),
    // but names the key.
    let dotted_key = written.filter(|v| {
        found.starts_with("map")
            && !v.starts_with('{')
            && v.parse::<toml::value::Datetime>().is_err()
    });
    let written = written.filter(|_| dotted_key.is_none());
    let found_words = match written {
        Some(v) => crate::text::sanitize_line(v),
        None if found.starts_with("sequence") => "a list".into(),
        None if found.starts_with("map") => "a table".into(),
        None => "this".into(),
    };
    // The text inside the quotes when the value is a string.
    let inner = written
        .filter(|_| found.starts_with("string "))
        .map(|v| crate::text::sanitize_line(unquote(v)));
    let key = key_before(text, span.start).or_else(|| {
        dotted_key.map(|k| {
            (
                crate::text::sanitize_line(unquote(k)),
                crate::text::sanitize_line(k),
            )
        })
    });
    let subject = key
        .as_ref()
        .map_or_else(|| "this value".to_string(), |(k, _)| format!("'{k}'"));
    let like = |example: &str| match &key {
        Some((_, k)) => format!("{k} = {example}"),
        None => example.to_string(),
    };
    let expected = expected.trim();
    if [
        "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64",
    ]
    .contains(&expected)
    {
        if let Some(n) = inner.as_deref().filter(|n| n.parse::<i64>().is_ok()) {
            return Some(format!(
                "{subject} is a whole number: write it without quotes, like {}",
                like(n)
            ));
        }
        let range = match expected {
            "u8" => " from 0 to 255",
            e if e.starts_with('u') => " 0 or more",
            _ => "",
        };
        return Some(format!(
            "{subject} takes a whole number{range}, written without quotes (like {}), not {found_words}",
            like("3")
        ));
    }
    if ["f64", "f32"].contains(&expected) {
        if let Some(n) = inner.as_deref().filter(|n| n.parse::<f64>().is_ok()) {
            return Some(format!(
                "{subject} is a number: write it without quotes, like {}",
                like(n)
            ));
        }
        return Some(format!(
            "{subject} takes a number, written without quotes (like {}), not {found_words}",
            like("1000")
        ));
    }
    if expected == "a boolean" {
        let value = match inner.as_deref() {
            Some("false" | "no" | "off" | "0") => "false",
            _ => "true",
        };
        return Some(format!(
            "{subject} is true or false, written without quotes: {}",
            like(value)
        ));
    }
    if expected == "a TOML datetime" {
        if let Some(d) = inner
            .as_deref()
            .filter(|d| d.parse::<toml::value::Datetime>().is_ok())
        {
            return Some(format!("a date is written without quotes: {d}"));
        }
        return Some(format!(
            "{subject} takes a date, written without quotes like 2026-12-31, not {found_words}"
        ));
    }
    if expected == "a sequence" {
        let tables = key
            .as_ref()
            .map_or_else(String::new, |(k, _)| format!(", or [[{k}]] tables"));
        return Some(format!(
            "{subject} takes a list: values in brackets like [\"a\", \"b\"]{tables}; not {found_words}"
        ));
    }
    if expected.starts_with("struct ") || expected == "a map" || expected == "a table" {
        return Some(format!(
            "{subject} takes a table of keys ({}), not {found_words}",
            match &key {
                Some((_, k)) => format!("[{k}] and its keys below it, or {k} = {{ … }}"),
                None => "{ key = value, … }".into(),
            }
        ));
    }
    if expected == "a string" {
        return Some(format!("{subject} takes text in quotes, not {found_words}"));
    }
    if expected.starts_with("enum ") {
        return Some(format!(
            "{subject} takes one of its names in quotes (docs/configuration.md lists them), not {found_words}"
        ));
    }
    None
}

/// `text` with the unknown key at `at` (where serde's "unknown field"
/// points) and its value blanked out, byte for byte so every line and
/// column stays where it was; `None` when that key cannot be cut out
/// cleanly (a table header, a dotted key), and the reading stops there.
pub(super) fn without_key(text: &str, at: usize) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    let span = find_key(doc.get_ref(), text, at)?;
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..span.start)?);
    for c in text.get(span.clone())?.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out.push_str(text.get(span.end..)?);
    Some(out)
}

/// The span of `key = value` whose key starts at `at`, searched through
/// every table and array of tables.
fn find_key(table: &DeTable<'_>, text: &str, at: usize) -> Option<Range<usize>> {
    for (k, v) in table.iter() {
        if k.span().start == at {
            let between = text.get(k.span().end..v.span().start)?;
            let between = between.trim_start_matches(['"', '\'']).trim();
            let inline = !v.get_ref().is_table() || text.get(v.span().start..)?.starts_with('{');
            return (between == "=" && inline).then(|| k.span().start..v.span().end);
        }
        if let Some(found) = find_in_value(v, text, at) {
            return Some(found);
        }
    }
    None
}

fn find_in_value(v: &Spanned<DeValue<'_>>, text: &str, at: usize) -> Option<Range<usize>> {
    match v.get_ref() {
        DeValue::Table(t) => find_key(t, text, at),
        DeValue::Array(items) => items.iter().find_map(|i| find_in_value(i, text, at)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        let e = toml::from_str::<T>(text).expect_err("refused");
        message_in(Some("x.toml"), text, &e)
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Shape {
        level: Option<u8>,
        warn_percent: Option<u32>,
        above: Option<f64>,
        mouse: Option<bool>,
        holidays: Option<Vec<toml::value::Datetime>>,
        role: Option<Vec<String>>,
        name: Option<String>,
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Text,
        Number,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Required {
        role: Vec<String>,
    }

    #[test]
    fn type_errors_are_said_without_rust_types() {
        for (text, expected) in [
            (
                "level = \"1\"",
                "'level' is a whole number: write it without quotes, like level = 1",
            ),
            (
                "warn_percent = -5",
                "'warn_percent' takes a whole number 0 or more, written without quotes (like warn_percent = 3), not -5",
            ),
            (
                "level = 300",
                "'level' takes a whole number from 0 to 255, written without quotes (like level = 3), not 300",
            ),
            (
                "above = \"4\"",
                "'above' is a number: write it without quotes, like above = 4",
            ),
            (
                "mouse = \"yes\"",
                "'mouse' is true or false, written without quotes: mouse = true",
            ),
            (
                "holidays = [\"2026-12-31\"]",
                "a date is written without quotes: 2026-12-31",
            ),
            (
                "role = 3",
                "'role' takes a list: values in brackets like [\"a\", \"b\"], or [[role]] tables; not 3",
            ),
            ("name = [\"a\"]", "'name' takes text in quotes, not [\"a\"]"),
            (
                "kind = \"nombre\"",
                "'nombre' is not a value 'kind' takes; write one of text, number, in quotes and spelled exactly",
            ),
            (
                "nmae = \"x\"",
                "unknown key 'nmae'; the keys allowed here are level, warn_percent, above, mouse, holidays, role, name, kind: check the spelling, or remove it",
            ),
        ] {
            let got = message::<Shape>(text);
            assert_eq!(got, expected, "{text}");
            for jargon in ["u8", "u32", "f64", "TOML datetime", "a boolean", "variant"] {
                assert!(!got.contains(jargon), "{text}: {got}");
            }
        }
        assert_eq!(
            message::<Required>("# nothing yet\n"),
            "'role' is required here but missing; add it (`guardia config print-default x.toml` shows a complete file)"
        );
    }

    #[test]
    fn an_unknown_key_is_blanked_in_place() {
        let text = "[a]\nfoo = [\n  1,\n]\nbar = \"é\"\n[b]\nc = 1\n";
        let at = text.find("bar").expect("bar");
        let out = without_key(text, at).expect("blanked");
        assert_eq!(out.len(), text.len());
        assert_eq!(out, "[a]\nfoo = [\n  1,\n]\n          \n[b]\nc = 1\n");
        let at = text.find("foo").expect("foo");
        let out = without_key(text, at).expect("blanked");
        assert_eq!(out, "[a]\n       \n    \n \nbar = \"é\"\n[b]\nc = 1\n");
        // A table header is not cut out.
        assert_eq!(without_key(text, text.find("[b]").expect("b") + 1), None);
    }
}
