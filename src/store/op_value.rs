//! What each kind of operation's value must hold for this version to write
//! it: the keys `apply` reads, with their types, and the fields a `set`,
//! `transition`, `escalate`, `link` or `route` may name. An import checks
//! every op against it before anything is written, so a value that a faulty
//! or forged program signed is refused by name. Without it, a comment whose
//! body is a number would be written as an empty comment and a worklog of
//! `"x"` minutes as zero, or the write would fail halfway with nothing said
//! about the bundle.
//!
//! Keys this version does not know are allowed, as a later minor version
//! of the format may add some; a key it reads must have the type it reads.

use super::apply::set_column;
use super::ops::{entity, kind};
use super::{RESOURCE_PREFIX, TASK_PREFIX};
use crate::domain::duration::MAX_MINUTES;
use crate::text::sanitize_line;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The type a key's value must have.
#[derive(Debug, Clone, Copy)]
enum Want {
    Text,
    Bool,
    /// A whole number within the bounds.
    Int(i64, i64),
    Number,
    Object,
    /// 64 lowercase hexadecimal digits (a SHA-256).
    Hex64,
}

impl Want {
    fn says(self) -> String {
        match self {
            Want::Text => "a text".into(),
            Want::Bool => "true or false".into(),
            Want::Int(min, max) => format!("a whole number from {min} to {max}"),
            Want::Number => "a number".into(),
            Want::Object => "an object".into(),
            Want::Hex64 => "64 lowercase hexadecimal digits".into(),
        }
    }
}

/// How a key may appear.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    /// Present, and of its type.
    Required,
    /// Absent, null, or of its type.
    Optional,
}

type Keys = &'static [(&'static str, Want, Need)];

use Need::{Optional, Required};

const LEVEL: Want = Want::Int(1, u8::MAX as i64);
/// Unix milliseconds, from 1970 to the year 9999.
const MILLIS: Want = Want::Int(0, 253_402_300_799_999);

const COMMENT: Keys = &[
    ("ticket", Want::Text, Required),
    ("body", Want::Text, Required),
    ("internal", Want::Bool, Optional),
];
const WORKLOG: Keys = &[
    ("ticket", Want::Text, Required),
    ("minutes", Want::Int(1, MAX_MINUTES), Required),
    ("note", Want::Text, Optional),
];
const ATTACHMENT: Keys = &[
    ("ticket", Want::Text, Required),
    ("name", Want::Text, Required),
    ("sha256", Want::Hex64, Required),
    ("size", Want::Int(0, i64::MAX), Required),
];
const RUNBOOK_RUN: Keys = &[
    ("ticket", Want::Text, Required),
    ("runbook", Want::Text, Required),
];
const RUNBOOK_TICK: Keys = &[
    ("checked", Want::Bool, Optional),
    ("evidence", Want::Text, Optional),
];
/// Besides the key and the texts `TICKET_TEXTS` names, which the import
/// checks with the key.
const TICKET: Keys = &[
    ("priority_justification", Want::Text, Optional),
    ("level", LEVEL, Optional),
    ("assignee", Want::Text, Optional),
    ("fields", Want::Object, Optional),
    ("record", Want::Text, Optional),
];
const TRANSITION: Keys = &[
    ("to", Want::Text, Required),
    ("from", Want::Text, Optional),
    ("note", Want::Text, Optional),
    ("reason", Want::Text, Optional),
    ("at", MILLIS, Optional),
    ("timer", Want::Text, Optional),
    ("cascade", Want::Text, Optional),
    ("exception", Want::Object, Optional),
];
const FUNCTIONAL_ESCALATION: Keys = &[
    ("to", LEVEL, Required),
    ("from", LEVEL, Optional),
    ("mode", Want::Text, Optional),
    ("note", Want::Text, Optional),
    ("dossier", Want::Object, Optional),
];
const HIERARCHICAL_ESCALATION: Keys = &[
    ("mode", Want::Text, Optional),
    ("role", Want::Text, Optional),
    ("note", Want::Text, Optional),
    ("from", LEVEL, Optional),
    ("to", LEVEL, Optional),
];
const ROUTE: Keys = &[
    ("to", Want::Text, Optional),
    ("role", Want::Text, Optional),
    ("reason", Want::Text, Optional),
    ("declared", Want::Bool, Optional),
];
const APPROVAL: Keys = &[("reason", Want::Text, Optional)];
const TASK: Keys = &[
    ("description", Want::Text, Optional),
    ("assignee", Want::Text, Optional),
    ("done", Want::Bool, Optional),
];
const RESOURCE: Keys = &[
    ("kind", Want::Text, Optional),
    ("description", Want::Text, Optional),
    ("hours", Want::Number, Optional),
    ("rate", Want::Number, Optional),
    ("cost", Want::Number, Optional),
];

/// What the value of an op may be.
enum Shape {
    Object(Keys),
    /// An object of these keys, or null (which removes what it names).
    ObjectOrNull(Keys),
    TextOrNull,
    Bool,
    Any,
}

/// Checks an op's field and value (`value` is its JSON text, already known
/// to be valid JSON) against what this version writes for its entity and
/// kind, which must be a pair it knows. The error says what is wrong,
/// without the op's number, which the caller adds.
pub fn check(
    entity_name: &str,
    kind_name: &str,
    field: Option<&str>,
    value: &str,
) -> Result<(), String> {
    let shape = shape_of(entity_name, kind_name, field)?;
    let keys = match shape {
        Shape::Any => return Ok(()),
        Shape::Bool => {
            return match raw_type(value) {
                Some(Got::Bool) => Ok(()),
                got => Err(format!("has {} as its value, not true or false", says(got))),
            };
        }
        Shape::TextOrNull => {
            return match raw_type(value) {
                Some(Got::Text | Got::Null) => Ok(()),
                got => Err(format!(
                    "has {} as its value, not a text or null",
                    says(got)
                )),
            };
        }
        Shape::ObjectOrNull(_) if raw_type(value) == Some(Got::Null) => return Ok(()),
        Shape::Object(keys) | Shape::ObjectOrNull(keys) => keys,
    };
    let object: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(value)
        .map_err(|_| format!("has {} as its value, not an object", says(raw_type(value))))?;
    for (name, want, need) in keys {
        let Some(raw) = object.get(*name) else {
            if *need == Required {
                return Err(format!("has no '{name}' ({})", want.says()));
            }
            continue;
        };
        if raw.get() == "null" && *need == Optional {
            continue;
        }
        if !holds(raw.get(), *want) {
            return Err(format!(
                "has {} as its '{name}', not {}",
                says(raw_type(raw.get())),
                want.says()
            ));
        }
    }
    Ok(())
}

/// The shape an op's value must have, from its entity, kind and field; an
/// error for a field the kind may not name.
fn shape_of(entity_name: &str, kind_name: &str, field: Option<&str>) -> Result<Shape, String> {
    let field_is = |expected: &str| match field {
        Some(f) if f == expected => Ok(()),
        Some(f) => Err(format!(
            "names field '{}' where this kind has '{expected}'",
            sanitize_line(f)
        )),
        None => Err(format!("names no field where this kind has '{expected}'")),
    };
    Ok(match (entity_name, kind_name) {
        (entity::COMMENT, kind::CREATE) => Shape::Object(COMMENT),
        (entity::WORKLOG, kind::CREATE) => Shape::Object(WORKLOG),
        (entity::ATTACHMENT, kind::CREATE) => Shape::Object(ATTACHMENT),
        (entity::RUNBOOK_RUN, kind::CREATE) => Shape::Object(RUNBOOK_RUN),
        (entity::RUNBOOK_RUN, kind::SET) => match field.and_then(|f| f.strip_prefix("item:")) {
            Some(item) if !item.is_empty() => Shape::ObjectOrNull(RUNBOOK_TICK),
            _ => return Err(unknown_field(field, "a runbook item (item:ID)")),
        },
        (entity::TICKET, kind::CREATE) => Shape::Object(TICKET),
        (entity::TICKET, kind::TRANSITION) => {
            field_is("status")?;
            Shape::Object(TRANSITION)
        }
        (entity::TICKET, kind::ESCALATE) => match field {
            None => Shape::Object(HIERARCHICAL_ESCALATION),
            Some(_) => {
                field_is("level")?;
                Shape::Object(FUNCTIONAL_ESCALATION)
            }
        },
        (entity::TICKET, kind::ROUTE) => {
            field_is("route")?;
            Shape::Object(ROUTE)
        }
        (entity::TICKET, kind::APPROVE) => Shape::Object(APPROVAL),
        (entity::TICKET, kind::LINK) => match field.and_then(|f| f.split_once(':')) {
            Some((link_kind, target)) if !link_kind.is_empty() && !target.is_empty() => Shape::Bool,
            _ => return Err(unknown_field(field, "a link (KIND:TICKET ID)")),
        },
        (entity::TICKET, kind::SET) => {
            let f = field.unwrap_or_default();
            match f {
                _ if f.strip_prefix(TASK_PREFIX).is_some_and(|id| !id.is_empty()) => {
                    Shape::ObjectOrNull(TASK)
                }
                _ if f
                    .strip_prefix(RESOURCE_PREFIX)
                    .is_some_and(|id| !id.is_empty()) =>
                {
                    Shape::ObjectOrNull(RESOURCE)
                }
                _ if f
                    .strip_prefix("fields.")
                    .is_some_and(|name| !name.is_empty()) =>
                {
                    Shape::Any
                }
                _ if set_column(f).is_some() => Shape::TextOrNull,
                _ => return Err(unknown_field(field, "a field of a ticket")),
            }
        }
        // The caller refuses pairs it does not know before asking.
        _ => Shape::Any,
    })
}

fn unknown_field(field: Option<&str>, what: &str) -> String {
    match field {
        Some(f) => format!("names field '{}', which is not {what}", sanitize_line(f)),
        None => format!("names no field, where it needs {what}"),
    }
}

/// The type of a JSON text, read from its first character (and, for a
/// number, whether it is whole).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Got {
    Null,
    Bool,
    Int,
    Number,
    Text,
    List,
    Object,
}

fn raw_type(json: &str) -> Option<Got> {
    let json = json.trim_start();
    Some(match json.as_bytes().first()? {
        b'n' => Got::Null,
        b't' | b'f' => Got::Bool,
        b'"' => Got::Text,
        b'[' => Got::List,
        b'{' => Got::Object,
        b'-' | b'0'..=b'9' if json.trim_end().parse::<i64>().is_ok() => Got::Int,
        b'-' | b'0'..=b'9' => Got::Number,
        _ => return None,
    })
}

fn says(got: Option<Got>) -> &'static str {
    match got {
        Some(Got::Null) => "null",
        Some(Got::Bool) => "true or false",
        Some(Got::Int | Got::Number) => "a number",
        Some(Got::Text) => "a text",
        Some(Got::List) => "a list",
        Some(Got::Object) => "an object",
        None => "something else",
    }
}

fn holds(json: &str, want: Want) -> bool {
    let got = raw_type(json);
    match want {
        Want::Text => got == Some(Got::Text),
        Want::Bool => got == Some(Got::Bool),
        Want::Int(min, max) => json
            .trim()
            .parse::<i64>()
            .is_ok_and(|n| (min..=max).contains(&n)),
        Want::Number => matches!(got, Some(Got::Int | Got::Number)),
        Want::Object => got == Some(Got::Object),
        Want::Hex64 => serde_json::from_str::<Cow<'_, str>>(json).is_ok_and(|s| {
            s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(e: &str, k: &str, f: Option<&str>, v: &str) {
        assert_eq!(check(e, k, f, v), Ok(()), "{e} {k} {f:?} {v}");
    }

    fn refused(e: &str, k: &str, f: Option<&str>, v: &str, why: &str) {
        let err = check(e, k, f, v).expect_err(v);
        assert!(err.contains(why), "{v}: {err}");
    }

    #[test]
    fn what_guardia_writes_passes() {
        let t = entity::TICKET;
        ok(
            entity::COMMENT,
            kind::CREATE,
            None,
            r#"{"ticket":"x","body":"Hola","internal":false}"#,
        );
        ok(
            entity::WORKLOG,
            kind::CREATE,
            None,
            r#"{"ticket":"x","minutes":30,"note":""}"#,
        );
        ok(
            entity::ATTACHMENT,
            kind::CREATE,
            None,
            &format!(
                r#"{{"ticket":"x","name":"a.png","sha256":"{}","size":0}}"#,
                "ab".repeat(32)
            ),
        );
        ok(
            entity::RUNBOOK_RUN,
            kind::CREATE,
            None,
            r#"{"ticket":"x","runbook":"rb"}"#,
        );
        ok(
            entity::RUNBOOK_RUN,
            kind::SET,
            Some("item:a"),
            r#"{"checked":true,"evidence":"ok"}"#,
        );
        ok(entity::RUNBOOK_RUN, kind::SET, Some("item:a"), "null");
        ok(
            t,
            kind::CREATE,
            None,
            r#"{"key":"BOG-1","level":1,"fields":{},"assignee":null}"#,
        );
        ok(t, kind::SET, Some("assignee"), "null");
        ok(t, kind::SET, Some("title"), r#""Nuevo""#);
        ok(t, kind::SET, Some("fields.total_outage"), "true");
        ok(
            t,
            kind::SET,
            Some("task.1"),
            r#"{"description":"d","assignee":null,"done":false}"#,
        );
        ok(
            t,
            kind::SET,
            Some("resource.1"),
            r#"{"kind":"hours","hours":1.5,"rate":20,"cost":30.0}"#,
        );
        ok(t, kind::SET, Some("resource.1"), "null");
        ok(
            t,
            kind::TRANSITION,
            Some("status"),
            r#"{"from":"new","to":"assigned","note":"","at":1}"#,
        );
        ok(
            t,
            kind::ESCALATE,
            Some("level"),
            r#"{"mode":"functional","from":1,"to":2,"dossier":{}}"#,
        );
        ok(
            t,
            kind::ESCALATE,
            None,
            r#"{"mode":"hierarchical","role":"jefe","note":""}"#,
        );
        ok(t, kind::LINK, Some("duplicate_of:abc"), "false");
        ok(
            t,
            kind::ROUTE,
            Some("route"),
            r#"{"to":"major_incident","declared":true}"#,
        );
        ok(t, kind::APPROVE, Some("cutoff"), r#"{"reason":"ok"}"#);
        // A key a later version may add.
        ok(
            entity::COMMENT,
            kind::CREATE,
            None,
            r#"{"ticket":"x","body":"b","mood":3}"#,
        );
    }

    #[test]
    fn values_apply_would_misread_are_refused() {
        let t = entity::TICKET;
        let c = entity::COMMENT;
        refused(
            c,
            kind::CREATE,
            None,
            r#"{"ticket":"x","body":7}"#,
            "has a number as its 'body', not a text",
        );
        refused(
            c,
            kind::CREATE,
            None,
            r#"{"ticket":"x"}"#,
            "has no 'body' (a text)",
        );
        refused(c, kind::CREATE, None, r#"{"body":"b"}"#, "has no 'ticket'");
        refused(
            c,
            kind::CREATE,
            None,
            r#"{"ticket":"x","body":"b","internal":"x"}"#,
            "'internal', not true or false",
        );
        refused(
            c,
            kind::CREATE,
            None,
            r#"["x"]"#,
            "has a list as its value, not an object",
        );
        let w = entity::WORKLOG;
        refused(
            w,
            kind::CREATE,
            None,
            r#"{"ticket":"x","minutes":"x"}"#,
            "'minutes', not a whole number",
        );
        refused(
            w,
            kind::CREATE,
            None,
            r#"{"ticket":"x","minutes":1.5}"#,
            "'minutes'",
        );
        refused(
            w,
            kind::CREATE,
            None,
            r#"{"ticket":"x","minutes":0}"#,
            "from 1 to 20160",
        );
        refused(
            w,
            kind::CREATE,
            None,
            r#"{"ticket":"x","minutes":20161}"#,
            "'minutes'",
        );
        let sha = r#"{"ticket":"x","name":"a","sha256":"../../etc/passwd","size":1}"#;
        refused(
            entity::ATTACHMENT,
            kind::CREATE,
            None,
            sha,
            "64 lowercase hexadecimal digits",
        );
        refused(
            t,
            kind::TRANSITION,
            Some("status"),
            r#"{"tox":"assigned"}"#,
            "has no 'to'",
        );
        refused(
            t,
            kind::TRANSITION,
            Some("state"),
            r#"{"to":"a"}"#,
            "names field 'state' where this kind has 'status'",
        );
        refused(
            t,
            kind::ESCALATE,
            Some("level"),
            r#"{"to":0}"#,
            "'to', not a whole number from 1 to 255",
        );
        refused(
            t,
            kind::ESCALATE,
            Some("nivel"),
            r#"{"to":2}"#,
            "where this kind has 'level'",
        );
        refused(
            t,
            kind::LINK,
            Some("duplicate_of"),
            "true",
            "not a link (KIND:TICKET ID)",
        );
        refused(
            t,
            kind::LINK,
            Some("related:x"),
            "1",
            "a number as its value, not true or false",
        );
        refused(
            t,
            kind::SET,
            Some("status"),
            r#""closed""#,
            "'status', which is not a field of a ticket",
        );
        refused(t, kind::SET, Some("title"), "3", "not a text or null");
        refused(t, kind::SET, Some("task.1"), r#"{"done":"yes"}"#, "'done'");
        refused(
            t,
            kind::SET,
            Some("fields."),
            "1",
            "which is not a field of a ticket",
        );
        refused(
            t,
            kind::CREATE,
            None,
            r#"{"key":"BOG-1","fields":[]}"#,
            "'fields', not an object",
        );
        refused(
            entity::RUNBOOK_RUN,
            kind::SET,
            Some("x"),
            "null",
            "not a runbook item",
        );
        refused(t, kind::SET, Some("title\u{1b}[31m"), "1", "'title␛[31m'");
    }
}
