//! Refusals come from the application layer worded for the command line
//! (`add --justification "why"`, `` `guardia set BOG-1 solution=...` ``).
//! Those flags and commands are not at hand in the console, so the advice
//! it knows is said again with the keys and palette commands that do the
//! same here, read from the keymap in force. Anything else passes as it is:
//! a command the console has no key for is still the way to do it.

use super::action::Action;
use super::state::{Console, Pane};

/// `message` with its command-line advice rewritten for the console.
pub fn for_console(c: &Console, message: &str) -> String {
    let key = |pane: Pane, action: Action| -> String {
        match c.keymap.hint(pane.contexts(), action) {
            Some(k) => format!(
                "{} ({})",
                crate::text::sanitize_line(&k.to_string()),
                action.describe(c.lang)
            ),
            None => action.describe(c.lang).to_string(),
        }
    };
    // Said as "the palette, key :" rather than in brackets: the advice it
    // replaces often sits in brackets of its own already.
    let palette = match c
        .keymap
        .hint(Pane::Queue.contexts(), Action::CommandPalette)
    {
        Some(k) => format!(
            "the command palette, key {}",
            crate::text::sanitize_line(&k.to_string())
        ),
        None => "the command palette".to_string(),
    };
    let mut text = message.to_string();
    // Whole phrases first: they name flags, not commands.
    let phrases: [(&str, String); 4] = [
        (
            "add --justification \"why\"",
            "write why in the justification prompt".to_string(),
        ),
        (
            "add --reason \"why\"",
            format!("type it after the approval in {palette}: `approve ID REASON`"),
        ),
        (
            "find it with `guardia list` or `guardia search TEXT`",
            format!(
                "check the key; {} finds tickets by text",
                key(Pane::Queue, Action::Filter)
            ),
        ),
        (
            "Check the key (`guardia search TEXT`)",
            format!(
                "Check the key ({} finds tickets by text)",
                key(Pane::Queue, Action::Filter)
            ),
        ),
    ];
    for (cli, console) in &phrases {
        text = text.replace(cli, console);
    }
    // "(e.g. `guardia set KEY f=...`, or `--field f=...` on the move itself)":
    // the console's move has no fields to give.
    if let Some(start) = text.find(" (e.g. `guardia set ")
        && let Some(len) = text[start..].find("on the move itself)")
    {
        let end = start + len + "on the move itself)".len();
        text.replace_range(
            start..end,
            &format!(" with {}", key(Pane::Detail, Action::SetField)),
        );
    }
    rewrite_commands(&text, &key, &palette)
}

/// Each `` `guardia SUB ARGS` `` the console has a key or palette command
/// for, said that way; the others are kept.
fn rewrite_commands(text: &str, key: &dyn Fn(Pane, Action) -> String, palette: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("`guardia ") {
        let after = &rest[start + 1..];
        let Some(len) = after.find('`') else { break };
        let command = &after[..len];
        let words: Vec<&str> = command.split_whitespace().skip(1).collect();
        let console = match words.as_slice() {
            ["set", ..] => Some(key(Pane::Detail, Action::SetField)),
            ["approve", _key, approval, ..] => {
                Some(format!("`approve {approval} REASON` in {palette}"))
            }
            ["runbook", "tick", ..] => Some(format!(
                "{} in the runbooks pane",
                key(Pane::Runbooks, Action::ToggleStep)
            )),
            ["runbook", "run", ..] => Some(format!(
                "{} on its title in the runbooks pane",
                key(Pane::Runbooks, Action::RunRunbook)
            )),
            ["runbook", "list"] => Some(format!(
                "the runbooks pane, {}",
                key(Pane::Queue, Action::FocusRunbooks)
            )),
            ["reject", ..] => Some(key(Pane::Detail, Action::Reject)),
            ["link", ..] => Some(format!("`link KEY` in {palette}")),
            ["known", "apply", ..] => Some(key(Pane::Detail, Action::ApplyKnown)),
            ["major", "attach", ..] => Some(key(Pane::Detail, Action::AttachToMajor)),
            ["search", ..] | ["list", ..] => Some(key(Pane::Queue, Action::Filter)),
            _ => None,
        };
        out.push_str(&rest[..start]);
        match console {
            Some(s) => out.push_str(&s),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}
