//! Key macros in the style of helix's test helpers: a console is driven by a
//! string such as `"/ impre <enter>"` or `"c hola <space> mundo <c-s>"`.
//!
//! Tokens are separated by whitespace. `<name>` is one key, spelled as in
//! keymap files (`<enter>`, `<esc>`, `<tab>`, `<s-tab>`, `<space>`, `<down>`,
//! `<pgdown>`, `<f1>`); the short prefixes `c-`, `a-` and `s-` stand for
//! `ctrl-`, `alt-` and `shift-` (`<c-s>` is ctrl-s). Any other token is typed
//! one character at a time, so a space inside typed text is `<space>`.
//!
//! The keys go through `update`, hence through the keymap: tests never name
//! an `Action`, so a remapped key would not break them.

use guardia::tui::keymap::Key;
use guardia::tui::msg::{Effect, Msg};
use guardia::tui::state::Console;
use guardia::tui::update::update;

/// The keys a macro spells, in order.
pub fn keys(spec: &str) -> Vec<Key> {
    let mut out = Vec::new();
    for token in spec.split_whitespace() {
        let named = token
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .filter(|inner| !inner.is_empty());
        match named {
            Some(inner) => out.push(named_key(inner)),
            None => out.extend(token.chars().map(Key::char)),
        }
    }
    out
}

/// `c-s` → `ctrl-s`, `s-tab` → `shift-tab`, `a-x` → `alt-x`; the rest as is.
fn named_key(inner: &str) -> Key {
    let mut rest = inner;
    let mut spelled = String::new();
    loop {
        let (long, tail) = match rest.split_at_checked(2) {
            Some(("c-", tail)) if !tail.is_empty() => ("ctrl-", tail),
            Some(("a-", tail)) if !tail.is_empty() => ("alt-", tail),
            Some(("s-", tail)) if !tail.is_empty() => ("shift-", tail),
            _ => break,
        };
        spelled.push_str(long);
        rest = tail;
    }
    spelled.push_str(rest);
    Key::parse(&spelled).unwrap_or_else(|e| panic!("key macro <{inner}> ({spelled}): {e}"))
}

/// Text as a macro: each space becomes `<space>`, so it types verbatim.
pub fn typed(text: &str) -> String {
    text.split(' ').collect::<Vec<_>>().join(" <space> ")
}

/// Feeds the keys of `spec` through `update`; every effect they produced.
pub fn press(c: &mut Console, spec: &str) -> Vec<Effect> {
    keys(spec)
        .into_iter()
        .flat_map(|k| update(c, Msg::Key(k)))
        .collect()
}
