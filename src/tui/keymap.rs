//! Keymap (temporary stand-in with the final API; replaced by the real module).

use super::action::Action;
use crate::config::{ConfigError, Lang};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context { Global, List, Ticket, Queue, Detail, Escalation, Runbooks, Dashboard }

impl Context {
    pub const ALL: &'static [Context] = &[Context::Global, Context::List, Context::Ticket, Context::Queue, Context::Detail, Context::Escalation, Context::Runbooks, Context::Dashboard];
    pub fn name(self) -> &'static str { "x" }
    pub fn describe(self, _lang: Lang) -> &'static str { match self { Context::Global => "Global", Context::List => "Lists", Context::Ticket => "Ticket", Context::Queue => "Queue", Context::Detail => "Detail", Context::Escalation => "Escalation", Context::Runbooks => "Runbooks", Context::Dashboard => "Dashboard" } }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key { pub code: KeyCode, pub mods: KeyModifiers }

impl Key {
    pub fn char(c: char) -> Key { Key { code: KeyCode::Char(c), mods: KeyModifiers::NONE } }
    pub fn ctrl(c: char) -> Key { Key { code: KeyCode::Char(c), mods: KeyModifiers::CONTROL } }
    pub fn code(code: KeyCode) -> Key { Key { code, mods: KeyModifiers::NONE } }
    pub fn parse(s: &str) -> Result<Key, String> {
        Ok(match s { "enter" => Key::code(KeyCode::Enter), "esc" => Key::code(KeyCode::Esc), "tab" => Key::code(KeyCode::Tab), "space" => Key::char(' '), "down" => Key::code(KeyCode::Down), "up" => Key::code(KeyCode::Up),
            s if s.starts_with("ctrl-") => Key::ctrl(s.chars().last().ok_or("x")?),
            s if s.chars().count() == 1 => Key::char(s.chars().next().ok_or("x")?), _ => return Err(format!("bad key {s}")) })
    }
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release { return None; }
        let mut mods = ev.modifiers;
        if let KeyCode::Char(_) = ev.code { mods.remove(KeyModifiers::SHIFT); }
        Some(Key { code: ev.code, mods })
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code { KeyCode::Char(' ') => write!(f, "space"), KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => write!(f, "ctrl-{c}"), KeyCode::Char(c) => write!(f, "{c}"), KeyCode::Enter => write!(f, "enter"), KeyCode::Esc => write!(f, "esc"), other => write!(f, "{other:?}") }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap { b: Vec<(Context, Key, Action)> }

impl Keymap {
    pub fn builtin() -> Result<Keymap, ConfigError> {
        use Action::*; use Context::*;
        let spec: &[(Context, &str, Action)] = &[(Global, "?", Help), (Global, ":", CommandPalette), (Global, "tab", NextPane), (Global, "1", FocusQueue), (Global, "2", FocusDetail), (Global, "3", FocusEscalation), (Global, "4", FocusRunbooks), (Global, "5", FocusDashboard), (Global, "esc", Back), (Global, "q", Quit), (Global, "ctrl-c", Quit), (Global, "r", Refresh), (Global, "ctrl-l", Redraw), (Global, "n", NewTicket),
            (List, "j", MoveDown), (List, "down", MoveDown), (List, "k", MoveUp), (List, "up", MoveUp), (List, "g", Top), (List, "G", Bottom), (List, "ctrl-f", PageDown), (List, "ctrl-b", PageUp), (List, "ctrl-d", HalfPageDown), (List, "ctrl-u", HalfPageUp), (List, "enter", Open), (List, "/", Filter), (List, "f", FilterMenu), (List, "v", ViewsMenu), (List, "S", SortMenu), (List, "space", ToggleMark),
            (Ticket, "a", AssignToMe), (Ticket, "A", AssignTo), (Ticket, "s", ChangeStatus), (Ticket, "p", ChangePriority), (Ticket, "=", SetField), (Ticket, "c", Comment), (Ticket, "e", CommentInEditor), (Ticket, "w", Worklog), (Ticket, "R", Reject), (Ticket, "E", Escalate), (Ticket, "y", CopyKey),
            (Detail, "h", Back), (Escalation, "enter", Escalate), (Escalation, "Y", CopyDossier), (Escalation, "W", WriteDossier), (Runbooks, "enter", RunRunbook), (Runbooks, "space", ToggleStep), (Runbooks, "x", ToggleStep)];
        Ok(Keymap { b: spec.iter().filter_map(|(c, k, a)| Key::parse(k).ok().map(|k| (*c, k, *a))).collect() })
    }
    pub fn load(_dir: Option<&std::path::Path>) -> Result<Keymap, ConfigError> { Keymap::builtin() }
    pub fn action(&self, contexts: &[Context], key: Key) -> Option<Action> {
        contexts.iter().find_map(|c| self.b.iter().find(|(bc, bk, _)| bc == c && *bk == key).map(|b| b.2))
    }
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<Key> { self.b.iter().filter(|b| b.0 == context && b.2 == action).map(|b| b.1).collect() }
    pub fn hint(&self, contexts: &[Context], action: Action) -> Option<Key> {
        contexts.iter().find_map(|c| self.keys_for(*c, action).into_iter().find(|k| self.action(contexts, *k) == Some(action)))
    }
    pub fn bindings(&self) -> Vec<(Context, Key, Action)> { self.b.clone() }
}
