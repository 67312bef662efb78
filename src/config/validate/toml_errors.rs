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

/// A problem of one file, where it is and what to do.
pub(super) struct Located {
    pub span: Option<Range<usize>>,
    pub message: String,
    /// A key this problem explains that the file's reading also reports as
    /// unknown at the same place (a key of the file written inside a table).
    pub explains_unknown: Option<String>,
}

/// [`message_in`], pointing where the problem really is when that is not
/// where the toml crate points: at a misspelt `[[header]]` rather than at
/// the next correct one, whose table its sub-tables made ([`misspelt_header`]);
/// at a key of the file itself written below a table, rather than at the
/// top of the file where it is missing ([`misplaced_key`]). `text` is the
/// text read (with unknown keys blanked out, [`without_key`]), `original`
/// the file's, where a misplaced key is still to be found.
pub(super) fn located(
    file: Option<&str>,
    original: &str,
    text: &str,
    e: &toml::de::Error,
) -> Located {
    let message = e.message().trim();
    let found = if message == "duplicate key" {
        misspelt_header(text, e.span()).map(|(span, message)| Located {
            span: Some(span),
            message,
            explains_unknown: None,
        })
    } else if let Some(rest) = message.strip_prefix("missing field `")
        // The file's own table is pointed at by an empty span at its start;
        // a table of the file, by its header.
        && e.span() == Some(0..0)
    {
        let key = rest.split('`').next().unwrap_or_default();
        misplaced_key(original, key).map(|(span, message)| Located {
            span: Some(span),
            message,
            explains_unknown: Some(key.to_string()),
        })
    } else {
        None
    };
    found.unwrap_or_else(|| Located {
        span: e.span(),
        message: message_in(file, text, e),
        explains_unknown: None,
    })
}

/// A table header of the text: its span and its dotted name, without
/// spaces or quotes (`[[ service.related ]]` → `service.related`), and
/// whether it is an array of tables (`[[…]]`).
struct Header {
    name_span: Range<usize>,
    name: String,
    array: bool,
}

fn headers(text: &str) -> Vec<Header> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let (array, open) = if trimmed.starts_with("[[") {
            (true, 2)
        } else if trimmed.starts_with('[') {
            (false, 1)
        } else {
            at += line.len();
            continue;
        };
        let close = if array { "]]" } else { "]" };
        if let Some(end) = trimmed[open..].find(close) {
            let raw = &trimmed[open..open + end];
            let lead = raw.len() - raw.trim_start().len();
            let start = at + indent + open + lead;
            out.push(Header {
                name_span: start..start + raw.trim().len(),
                name: raw
                    .split('.')
                    .map(|part| unquote(part.trim()))
                    .collect::<Vec<_>>()
                    .join("."),
                array,
            });
        }
        at += line.len();
    }
    out
}

/// For a "duplicate key" at a `[[name]]` header: the misspelt array header
/// above it (`[[reson]]`) whose sub-tables (`[reason.label]`) made the
/// table `reason` the correct header then repeats. Its span and message.
fn misspelt_header(text: &str, span: Option<Range<usize>>) -> Option<(Range<usize>, String)> {
    let span = span?;
    let all = headers(text);
    let repeated = all
        .iter()
        .find(|h| h.array && h.name_span.contains(&span.start) && !h.name.contains('.'))?;
    let name = &repeated.name;
    let mut last_array: Option<&Header> = None;
    for h in all
        .iter()
        .take_while(|h| h.name_span.start < repeated.name_span.start)
    {
        if h.array && !h.name.contains('.') {
            if &h.name == name {
                // The sub-tables after it belong to it.
                return None;
            }
            last_array = Some(h);
        } else if h.name.split('.').next() == Some(name.as_str()) && h.name.contains('.') {
            let misspelt = last_array?;
            let shown = crate::text::sanitize_line(&misspelt.name);
            let name = crate::text::sanitize_line(name);
            let sub = crate::text::sanitize_line(&h.name);
            let sub = if h.array {
                format!("[[{sub}]]")
            } else {
                format!("[{sub}]")
            };
            let line = text[..h.name_span.start].matches('\n').count() + 1;
            let why = format!(
                "the {sub} below it (line {line}) belongs to a [[{name}]], so as written the file's [[{name}]] tables cannot be read"
            );
            let message = if super::super::stray::distance(&misspelt.name, &name) <= 2 {
                format!(
                    "table header [[{shown}]]: did you mean [[{name}]]? {why}; fix the spelling of this header"
                )
            } else {
                format!(
                    "table header [[{shown}]]: {why}; write a [[{name}]] header above the {sub}, or move that sub-table below a [[{name}]]"
                )
            };
            return Some((misspelt.name_span.clone(), message));
        }
    }
    None
}

/// For a key of the file itself (`default_impact`) that is missing from
/// the top of the file: where it is written inside a table instead (below
/// the last `[[rule]]`, say), and what to do.
fn misplaced_key(text: &str, key: &str) -> Option<(Range<usize>, String)> {
    let doc = DeTable::parse(text).ok()?;
    if doc.get_ref().iter().any(|(k, _)| k.get_ref() == key) {
        return None;
    }
    let at = doc.get_ref().iter().find_map(|(_, v)| nested_key(v, key))?;
    let header = headers(text)
        .into_iter()
        .take_while(|h| h.name_span.start < at.start)
        .last()?;
    let line = text[..header.name_span.start].matches('\n').count() + 1;
    let (open, close) = if header.array {
        ("[[", "]]")
    } else {
        ("[", "]")
    };
    let key = crate::text::sanitize_line(key);
    Some((
        at,
        format!(
            "'{key}' belongs at the top of the file, but it is written below the table header {open}{}{close} (line {line}), so it is read as a key of that table; move the line `{key} = …` above the first [table] header of the file",
            crate::text::sanitize_line(&header.name)
        ),
    ))
}

/// The span of the key `key` in a table inside `v` (at any depth).
fn nested_key(v: &Spanned<DeValue<'_>>, key: &str) -> Option<Range<usize>> {
    match v.get_ref() {
        DeValue::Table(t) => t.iter().find_map(|(k, inner)| {
            if k.get_ref() == key {
                Some(k.span())
            } else {
                nested_key(inner, key)
            }
        }),
        DeValue::Array(items) => items.iter().find_map(|i| nested_key(i, key)),
        _ => None,
    }
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

/// The whole numbers a key really takes, where validation allows less than
/// its type holds: a warning percentage, an escalation level.
fn whole_range(file: Option<&str>, key: &str) -> Option<&'static str> {
    match (file?, key) {
        ("sla.toml", "warn_percent") => Some(" from 1 to 99"),
        ("escalation.toml", "n") | ("operators.toml" | "services.toml", "level") => {
            Some(" from 1 to 255")
        }
        _ => None,
    }
}

/// The keys of the configuration files that hold arrays of tables
/// (`[[service]]`), where a list can also be written as tables; every other
/// list is of values (`roles = ["agent"]`).
const TABLE_ARRAYS: &[&str] = &[
    "field",
    "type",
    "service",
    "glossary",
    "component",
    "related",
    "escalation",
    "level",
    "contact",
    "priority",
    "impact",
    "urgency",
    "rule",
    "reason",
    "runbook",
    "item",
    "role",
    "operator",
    "workflow",
    "state",
    "transition",
    "approval",
    "timer",
    "action",
    "cascade",
    "calendar",
    "policy",
];

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
        let close = allowed
            .iter()
            .map(|a| (a, super::super::stray::distance(&name, a)))
            .filter(|(_, d)| *d <= 2)
            .min_by_key(|(_, d)| *d)
            .map(|(a, _)| a);
        let guess = close.map_or_else(String::new, |c| format!("; did you mean '{c}'?"));
        return Some(if allowed.is_empty() {
            format!("unknown key '{name}': nothing may be set here; remove it")
        } else {
            format!(
                "unknown key '{name}'; the keys allowed here are {}: check the spelling, or remove it{guess}",
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
        let range = match key.as_ref().and_then(|(k, _)| whole_range(file, k)) {
            Some(range) => range,
            None => match expected {
                "u8" => " from 0 to 255",
                e if e.starts_with('u') => " 0 or more",
                _ => "",
            },
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
            .filter(|(k, _)| TABLE_ARRAYS.contains(&k.as_str()))
            .map_or_else(String::new, |(k, _)| format!(", or [[{k}]] tables"));
        // A single value where a list is expected: that value in brackets.
        let example = match (&inner, &key) {
            (Some(v), Some((_, k))) if tables.is_empty() => format!("{k} = [\"{v}\"]"),
            _ => "[\"a\", \"b\"]".to_string(),
        };
        return Some(format!(
            "{subject} takes a list: values in brackets like {example}{tables}; not {found_words}"
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

/// The span of the key at `path` (`["defaults", "site_code"]`) in `text`,
/// for a problem found after reading, in a value that carries no span.
pub(super) fn key_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let doc = DeTable::parse(text).ok()?;
    let (last, tables) = path.split_last()?;
    let mut table = doc.get_ref();
    for name in tables {
        let (_, v) = table.iter().find(|(k, _)| k.get_ref() == name)?;
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    table
        .iter()
        .find(|(k, _)| k.get_ref() == last)
        .map(|(k, _)| k.span())
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
        roles: Option<Vec<String>>,
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
                "unknown key 'nmae'; the keys allowed here are level, warn_percent, above, mouse, holidays, role, roles, name, kind: check the spelling, or remove it; did you mean 'name'?",
            ),
            (
                "roles = \"agent\"",
                "'roles' takes a list: values in brackets like roles = [\"agent\"]; not \"agent\"",
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

    /// Where validation allows less than the type holds, the range said is
    /// the one validation allows: `warn_percent = 0` is refused too.
    #[test]
    fn a_whole_number_is_given_the_range_the_key_takes() {
        for (file, text, expected) in [
            (
                "sla.toml",
                "warn_percent = -5",
                "'warn_percent' takes a whole number from 1 to 99, written without quotes (like warn_percent = 3), not -5",
            ),
            (
                "operators.toml",
                "level = -1",
                "'level' takes a whole number from 1 to 255, written without quotes (like level = 3), not -1",
            ),
        ] {
            let e = toml::from_str::<Shape>(text).expect_err("refused");
            assert_eq!(message_in(Some(file), text, &e), expected, "{text}");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct File {
        default_impact: String,
        #[serde(rename = "rule")]
        rules: Vec<Rule>,
        #[serde(default, rename = "reason")]
        reasons: Vec<Reason>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Rule {
        id: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Reason {
        code: String,
        label: Option<toml::Table>,
    }

    #[test]
    fn a_key_of_the_file_below_a_table_is_told_to_move_up() {
        let text = "[[rule]]\nid = \"a\"\n\n[[rule]]\nid = \"b\"\ndefault_impact = \"medium\"\n";
        // First the unknown key of [[rule]], then (blanked) the missing one.
        let blanked = without_key(text, text.find("default_impact").expect("key")).expect("blank");
        let e = toml::from_str::<File>(&blanked).expect_err("missing");
        let found = located(None, text, &blanked, &e);
        assert_eq!(
            found.span,
            text.find("default_impact").map(|at| at..at + 14)
        );
        assert_eq!(found.explains_unknown.as_deref(), Some("default_impact"));
        assert_eq!(
            found.message,
            "'default_impact' belongs at the top of the file, but it is written below the table header [[rule]] (line 4), so it is read as a key of that table; move the line `default_impact = …` above the first [table] header of the file"
        );
        // A key missing from a table of the file is left as it was.
        let e = toml::from_str::<File>("default_impact = \"x\"\n[[rule]]\n").expect_err("no id");
        let found = located(None, "", "", &e);
        assert!(
            found
                .message
                .starts_with("'id' is required here but missing"),
            "{}",
            found.message
        );
    }

    #[test]
    fn a_misspelt_array_header_is_named_not_the_next_correct_one() {
        let text = "default_impact = \"x\"\nrule = []\n[[reson]]\ncode = \"a\"\n[reason.label]\nes = \"A\"\n\n[[reason]]\ncode = \"b\"\n";
        let e = toml::from_str::<File>(text).expect_err("duplicate");
        let found = located(None, text, text, &e);
        let at = text.find("reson").expect("header");
        assert_eq!(found.span, Some(at..at + 5));
        assert_eq!(
            found.message,
            "table header [[reson]]: did you mean [[reason]]? the [reason.label] below it (line 5) belongs to a [[reason]], so as written the file's [[reason]] tables cannot be read; fix the spelling of this header"
        );
        // A table written twice on purpose is still told to merge.
        let text = "[a]\nx = 1\n[a]\ny = 2\n";
        let e = toml::from_str::<toml::Table>(text).expect_err("duplicate");
        assert!(
            located(None, text, text, &e)
                .message
                .contains("merge the two")
        );
    }

    #[test]
    fn a_key_is_found_by_its_path() {
        let text = "[organisation]\nname = \"x\"\n[defaults]\nsite_code = \"bog\"\n";
        let at = text.find("site_code").expect("key");
        assert_eq!(key_span(text, &["defaults", "site_code"]), Some(at..at + 9));
        assert_eq!(key_span(text, &["defaults", "ticket_type"]), None);
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
