//! Which key does what, per context. Owns the spelling of keys (parsing, the
//! canonical written form, normalizing crossterm key events), the default
//! bindings (`assets/keymap.toml`), merging the operator's `keymap.toml` over
//! them, and validating that file (every problem at once, with file, line and
//! column). It does no terminal I/O: it is handed key events, never reads them.

use crate::config::{ConfigError, Lang, Problem, Source};
use crate::text::sanitize_line;
use crate::tui::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use toml::de::DeTable;

/// The built-in keymap file, as `config print-default` and `init` show it.
pub const BUILTIN: &str = include_str!("../../assets/keymap.toml");
const FILE_NAME: &str = "keymap.toml";
const EXAMPLES: &str = "a key is one character (\"q\", \"G\", \"?\") or a name (enter, esc, tab, \
    shift-tab, space, backspace, delete, insert, up, down, left, right, home, end, pgup, pgdown, \
    f1..f12), optionally after ctrl-, alt- or shift- (\"ctrl-c\", \"alt-x\", \"shift-up\")";

macro_rules! contexts {
    ($( $variant:ident = $name:literal, $es:literal, $en:literal; )*) => {
        /// Where a binding applies. The console asks with a list of contexts,
        /// most specific first (e.g. detail, ticket, global).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Context {
            $( $variant, )*
        }

        impl Context {
            /// Every context, in the order the help and the docs list them.
            pub const ALL: &'static [Context] = &[ $( Context::$variant, )* ];

            /// The table name in keymap files.
            pub fn name(self) -> &'static str {
                match self { $( Context::$variant => $name, )* }
            }

            /// Title for the help overlay and the docs.
            pub fn describe(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( (Context::$variant, Lang::Es) => $es, (Context::$variant, Lang::En) => $en, )*
                }
            }
        }
    };
}

contexts! {
    Global = "global", "Global", "Global";
    List = "list", "Listas", "Lists";
    Ticket = "ticket", "Ticket", "Ticket";
    Queue = "queue", "Cola", "Queue";
    Detail = "detail", "Detalle", "Detail";
    Escalation = "escalation", "Matriz de escalamiento", "Escalation matrix";
    Runbooks = "runbooks", "Runbooks", "Runbooks";
    Dashboard = "dashboard", "Tablero", "Dashboard";
}

impl Context {
    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// A key with its modifiers, normalized so that one physical key has one
/// value: characters carry their case instead of SHIFT ("G", not shift-g),
/// ctrl-characters are lowercase, and shift-tab is `BackTab` without SHIFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

/// Named keys; the first name of each code is the canonical one.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("space", KeyCode::Char(' ')),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("return", KeyCode::Enter),
    ("escape", KeyCode::Esc),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("del", KeyCode::Delete),
    ("ins", KeyCode::Insert),
    ("backtab", KeyCode::BackTab),
];

const MODS: KeyModifiers = KeyModifiers::CONTROL
    .union(KeyModifiers::ALT)
    .union(KeyModifiers::SHIFT);

fn named(name: &str) -> Option<KeyCode> {
    let digits = name
        .strip_prefix('f')
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()));
    if let Some(n) = digits.and_then(|n| n.parse::<u8>().ok()) {
        return (1..=12).contains(&n).then_some(KeyCode::F(n));
    }
    NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

// Case conversions that give several chars (ß → SS) keep the char as it is.
fn lower(c: char) -> char {
    let mut it = c.to_lowercase();
    it.next().filter(|_| it.next().is_none()).unwrap_or(c)
}

fn upper(c: char) -> char {
    let mut it = c.to_uppercase();
    it.next().filter(|_| it.next().is_none()).unwrap_or(c)
}

impl Key {
    pub fn char(c: char) -> Key {
        Key::normalized(KeyCode::Char(c), KeyModifiers::NONE)
    }

    pub fn ctrl(c: char) -> Key {
        Key::normalized(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    pub fn code(code: KeyCode) -> Key {
        Key::normalized(code, KeyModifiers::NONE)
    }

    fn normalized(code: KeyCode, mut mods: KeyModifiers) -> Key {
        let code = match code {
            KeyCode::Char(c) => {
                let c = if mods.contains(KeyModifiers::CONTROL) {
                    lower(c)
                } else if mods.contains(KeyModifiers::SHIFT) {
                    upper(c)
                } else {
                    c
                };
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            KeyCode::Tab | KeyCode::BackTab
                if code == KeyCode::BackTab || mods.contains(KeyModifiers::SHIFT) =>
            {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Reads a key as written in keymap files; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Key, String> {
        let shown = sanitize_line(s);
        if s.is_empty() {
            return Err(format!("empty key; {EXAMPLES}"));
        }
        let mut rest = s;
        let mut mods = KeyModifiers::NONE;
        while let Some((head, tail)) = rest.split_once('-') {
            let m = match head.to_ascii_lowercase().as_str() {
                "ctrl" => KeyModifiers::CONTROL,
                "alt" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => break,
            };
            if tail.is_empty() {
                return Err(format!("\"{shown}\": nothing after {head}-; {EXAMPLES}"));
            }
            if mods.contains(m) {
                return Err(format!("\"{shown}\" says {head}- twice"));
            }
            mods |= m;
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => named(&rest.to_ascii_lowercase())
                .ok_or_else(|| format!("unknown key \"{}\"; {EXAMPLES}", sanitize_line(rest)))?,
        };
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::SHIFT)
            && !c.is_alphabetic()
        {
            return Err(format!(
                "\"{shown}\": shift- only goes with letters and named keys; write the character \
                 shift produces instead (\"?\" rather than \"shift-/\")"
            ));
        }
        let key = Key::normalized(code, mods);
        let twin = match key.code {
            KeyCode::Char('h') => "backspace",
            KeyCode::Char('i') => "tab",
            KeyCode::Char('m') => "enter",
            KeyCode::Char('[') => "esc",
            KeyCode::Char(' ') => "ctrl-@ (NUL)",
            _ => "",
        };
        if key.mods.contains(KeyModifiers::CONTROL) && !twin.is_empty() {
            return Err(format!(
                "\"{shown}\" cannot be told apart from {twin}: terminals send the same byte for \
                 both; choose another key"
            ));
        }
        Ok(key)
    }

    /// The key of a press (or auto-repeat); `None` for releases and for keys
    /// or modifiers (super, media keys…) a keymap file cannot name.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let spellable = match ev.code {
            KeyCode::Char(_) | KeyCode::BackTab => true,
            KeyCode::F(n) => (1..=12).contains(&n),
            code => NAMED.iter().any(|(_, c)| *c == code),
        };
        let ok = ev.kind != KeyEventKind::Release && MODS.contains(ev.modifiers) && spellable;
        ok.then(|| Key::normalized(ev.code, ev.modifiers))
    }

    /// Canonical order: plain keys, then shift-, ctrl-, alt-; within each, the
    /// keys people point at (enter, esc, tab, space), characters, other named
    /// keys, function keys.
    /// So `hint` shows "?" rather than "f1", and "enter" rather than "l".
    fn rank(&self) -> (u8, u8, u32) {
        let (group, n) = match self.code {
            KeyCode::Enter => (0, 0),
            KeyCode::Esc => (0, 1),
            KeyCode::Tab => (0, 2),
            KeyCode::BackTab => (0, 3),
            KeyCode::Char(' ') => (0, 4),
            // g before G before h: the docs list a key and its shifted twin together.
            KeyCode::Char(c) => (1, u32::from(lower(c)) * 2 + u32::from(c.is_uppercase())),
            KeyCode::F(n) => (3, u32::from(n)),
            code => (
                2,
                NAMED
                    .iter()
                    .position(|(_, c)| *c == code)
                    .map_or(u32::MAX, |p| p as u32),
            ),
        };
        (self.mods.bits(), group, n)
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank()).then_with(|| {
            self.code
                .partial_cmp(&other.code)
                .unwrap_or(Ordering::Equal)
        })
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (m, prefix) in [
            (KeyModifiers::CONTROL, "ctrl-"),
            (KeyModifiers::ALT, "alt-"),
            (KeyModifiers::SHIFT, "shift-"),
        ] {
            if self.mods.contains(m) {
                f.write_str(prefix)?;
            }
        }
        match self.code {
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{}", format!("{code:?}").to_lowercase()),
            },
        }
    }
}

/// The bindings in force: the defaults with the operator's overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    map: BTreeMap<(Context, Key), Action>,
}

impl Keymap {
    /// The embedded defaults alone.
    pub fn builtin() -> Result<Keymap, ConfigError> {
        Keymap::merge(BTreeMap::new(), "(built-in) keymap.toml", BUILTIN)
    }

    /// `dir/keymap.toml`, when it exists, merged over the defaults. It is
    /// read like the twelve other files ([`crate::config::read_file`]):
    /// something there that cannot be read is a problem, never the defaults.
    pub fn load(dir: Option<&Path>) -> Result<Keymap, ConfigError> {
        let Some(dir) = dir else {
            return Keymap::builtin();
        };
        let path = dir.join(FILE_NAME);
        match crate::config::read_file(&path)? {
            Some(text) => Keymap::from_user_text(&path.display().to_string(), &text),
            None => Keymap::builtin(),
        }
    }

    /// `text` (an operator's keymap file, called `display_name` in messages)
    /// merged over the defaults.
    pub fn from_user_text(display_name: &str, text: &str) -> Result<Keymap, ConfigError> {
        Keymap::merge(Keymap::builtin()?.map, display_name, text)
    }

    fn merge(
        mut map: BTreeMap<(Context, Key), Action>,
        file: &str,
        text: &str,
    ) -> Result<Keymap, ConfigError> {
        let mut report = Report {
            file,
            src: Source {
                name: FILE_NAME,
                path: None,
                text: text.to_string(),
            },
            problems: Vec::new(),
        };
        for (context, key, action) in report.entries(text) {
            match action {
                Some(a) => map.insert((context, key), a),
                None => map.remove(&(context, key)),
            };
        }
        let mut problems = report.problems;
        if problems.is_empty() && map.get(&(Context::Global, Key::ctrl('c'))) != Some(&Action::Quit)
        {
            problems.push(Problem {
                file: file.to_string(),
                line: None,
                column: None,
                message: "[global] must bind \"ctrl-c\" = \"quit\"".to_string(),
            });
        }
        if problems.is_empty() {
            return Ok(Keymap { map });
        }
        problems.sort_by_key(|p| (p.line, p.column));
        Err(ConfigError::new(problems))
    }

    /// The action `key` triggers: the first of `contexts` that binds it wins.
    pub fn action(&self, contexts: &[Context], key: Key) -> Option<Action> {
        contexts
            .iter()
            .find_map(|c| self.map.get(&(*c, key)).copied())
    }

    /// The keys bound to `action` in `context`, in canonical order.
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<Key> {
        self.map
            .iter()
            .filter(|((c, _), a)| *c == context && **a == action)
            .map(|((_, k), _)| *k)
            .collect()
    }

    /// The key to show in a hint for `action`: the first one that reaches it
    /// through `contexts` without an earlier context taking that key.
    pub fn hint(&self, contexts: &[Context], action: Action) -> Option<Key> {
        contexts
            .iter()
            .flat_map(|c| self.keys_for(*c, action))
            .find(|k| self.action(contexts, *k) == Some(action))
    }

    /// Every binding, by context, then action (in `Action::ALL` order), then key.
    pub fn bindings(&self) -> Vec<(Context, Key, Action)> {
        let mut all: Vec<_> = self.map.iter().map(|((c, k), a)| (*c, *k, *a)).collect();
        all.sort_by_key(|(c, k, a)| (*c, *a, *k));
        all
    }

    /// One Markdown table per context: keys, action name, description.
    pub fn markdown(&self, lang: Lang) -> String {
        let (keys, action, what, none) = match lang {
            Lang::En => ("Keys", "Action", "Description", "No bindings."),
            Lang::Es => ("Teclas", "Acción", "Descripción", "Sin teclas."),
        };
        let mut sections = Vec::new();
        for context in Context::ALL {
            let mut s = format!("## {} (`[{}]`)\n\n", context.describe(lang), context.name());
            let rows: Vec<String> = Action::ALL
                .iter()
                .filter_map(|a| {
                    let ks = self.keys_for(*context, *a);
                    let cells: Vec<String> = ks.iter().map(markdown_key).collect();
                    (!ks.is_empty()).then(|| {
                        format!(
                            "| {} | `{}` | {} |\n",
                            cells.join(", "),
                            a.name(),
                            a.describe(lang)
                        )
                    })
                })
                .collect();
            if rows.is_empty() {
                s += &format!("_{none}_\n");
            } else {
                s += &format!("| {keys} | {action} | {what} |\n|---|---|---|\n");
                s.extend(rows);
            }
            sections.push(s);
        }
        sections.join("\n")
    }
}

fn markdown_key(k: &Key) -> String {
    let s = k.to_string().replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Collects the problems of one keymap file, located by line and column.
struct Report<'a> {
    file: &'a str,
    src: Source,
    problems: Vec<Problem>,
}

impl Report<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, message: String) {
        let (line, column) = self.src.line_col(span.start);
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: Some(line),
            column: Some(column),
            message,
        });
    }

    /// The valid bindings of the file, in file order; `None` unbinds.
    fn entries(&mut self, text: &str) -> Vec<(Context, Key, Option<Action>)> {
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                let (line, column) = e.span().map(|s| self.src.line_col(s.start)).unzip();
                self.problems.push(Problem {
                    file: self.file.to_string(),
                    line,
                    column,
                    message: crate::config::toml_error_message(text, &e),
                });
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let mut seen: HashMap<(Context, Key), (String, usize)> = HashMap::new();
        for (name, table) in doc.get_ref() {
            let Some(context) = Context::from_name(name.get_ref()) else {
                let known: Vec<_> = Context::ALL.iter().map(|c| c.name()).collect();
                let message = format!(
                    "unknown context [{}]; the contexts are {}",
                    sanitize_line(name.get_ref()),
                    known.join(", ")
                );
                self.at(name.span(), message);
                continue;
            };
            let Some(table) = table.get_ref().as_table() else {
                let message = format!(
                    "{context} must be a table: [{context}] then \"key\" = \"action\" lines",
                    context = context.name()
                );
                self.at(table.span(), message);
                continue;
            };
            // The table iterates in key order; report in file order instead.
            let mut lines: Vec<_> = table.iter().collect();
            lines.sort_by_key(|(k, _)| k.span().start);
            for (spelling, value) in lines {
                let key = match Key::parse(spelling.get_ref()) {
                    Ok(key) => key,
                    Err(message) => {
                        self.at(spelling.span(), message);
                        continue;
                    }
                };
                let shown = sanitize_line(spelling.get_ref());
                let line = self.src.line_col(spelling.span().start).0;
                if let Some((first, first_line)) = seen.get(&(context, key)) {
                    let message = format!(
                        "\"{shown}\" is the same key as \"{first}\" (line {first_line}) in [{}]; keep one of them",
                        context.name()
                    );
                    self.at(spelling.span(), message);
                    continue;
                }
                seen.insert((context, key), (shown.clone(), line));
                let action = match value.get_ref().as_str() {
                    Some("none") => None,
                    Some(name) => match Action::from_name(name) {
                        Some(a) => Some(a),
                        None => {
                            self.at(value.span(), unknown_action(name));
                            continue;
                        }
                    },
                    None => {
                        let message = format!(
                            "the action for \"{shown}\" must be a string such as \"quit\" or \"none\", not {}",
                            value.get_ref().type_str()
                        );
                        self.at(value.span(), message);
                        continue;
                    }
                };
                if key == Key::ctrl('c') && action != Some(Action::Quit) {
                    let message = "ctrl-c always quits and cannot be rebound or unbound: it is \
                        the way out that works everywhere, even when the screen looks frozen"
                        .to_string();
                    self.at(spelling.span(), message);
                    continue;
                }
                if key == Key::code(KeyCode::Esc) && action == Some(Action::Quit) {
                    let message = "esc cannot quit: it closes, cancels and goes back, and a \
                        stray esc (alt keys, arrows split over a slow link) must never end a session"
                        .to_string();
                    self.at(spelling.span(), message);
                    continue;
                }
                out.push((context, key, action));
            }
        }
        out
    }
}

fn unknown_action(name: &str) -> String {
    let close: Vec<&str> = Action::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| !name.is_empty() && (n.contains(name) || distance(n, name) <= 2))
        .take(3)
        .collect();
    let name = sanitize_line(name);
    if close.is_empty() {
        format!(
            "unknown action '{name}'; actions are names such as quit, help, open, filter, \
             escalate (all listed in docs/keybindings.md), or \"none\" to unbind the key"
        )
    } else {
        format!(
            "unknown action '{name}'; did you mean {}? (all actions are listed in \
             docs/keybindings.md; \"none\" unbinds the key)",
            close.join(" or ")
        )
    }
}

/// Edit distance, for suggesting the action the operator meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind as Kind;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn user(text: &str) -> Keymap {
        Keymap::from_user_text("user.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn problems(text: &str) -> Vec<String> {
        let err = Keymap::from_user_text("user.toml", text).expect_err("should be refused");
        err.problems.iter().map(|p| p.to_string()).collect()
    }

    fn event(code: KeyCode, mods: KeyModifiers, kind: Kind) -> Option<Key> {
        Key::from_event(&KeyEvent::new_with_kind(code, mods, kind))
    }

    #[test]
    fn builtin_parses_with_every_context() {
        let km = Keymap::builtin().expect("built-in keymap");
        let doc = DeTable::parse(BUILTIN).expect("toml");
        for c in Context::ALL {
            assert!(
                doc.get_ref().get(c.name()).is_some(),
                "[{}] missing",
                c.name()
            );
            assert_eq!(Context::from_name(c.name()), Some(*c));
        }
        assert_eq!(
            km.action(&[Context::Global], Key::ctrl('c')),
            Some(Action::Quit)
        );
    }

    #[test]
    fn every_action_but_palette_only_ones_has_a_default_key() {
        let km = Keymap::builtin().expect("built-in keymap");
        for a in Action::ALL {
            let bound = km.bindings().iter().any(|(_, _, b)| b == a);
            let palette_only = matches!(a, Action::ClearFilter | Action::RunDoctor);
            assert_eq!(bound, !palette_only, "{}", a.name());
        }
    }

    #[test]
    fn spellings_round_trip_to_the_canonical_form() {
        let cases = "ctrl-c=ctrl-c CTRL-C=ctrl-c Ctrl-c=ctrl-c G=G shift-g=G Shift-G=G g=g ?=? \
            enter=enter Return=enter ESCAPE=esc esc=esc tab=tab shift-tab=shift-tab \
            BackTab=shift-tab Space=space PageDown=pgdown pageup=pgup pgup=pgup home=home \
            end=end up=up down=down left=left right=right del=delete ins=insert \
            backspace=backspace F1=f1 f12=f12 alt-x=alt-x alt-ctrl-x=ctrl-alt-x shift-up=shift-up \
            ctrl--=ctrl-- -=- alt-shift-tab=alt-shift-tab ctrl-shift-c=ctrl-c alt-G=alt-G ñ=ñ shift-ñ=Ñ";
        for (written, canonical) in cases.split_whitespace().filter_map(|c| c.split_once('=')) {
            let k = key(written);
            assert_eq!(k.to_string(), canonical, "{written}");
            assert_eq!(key(canonical), k, "{canonical}");
        }
        assert_eq!(key(" "), key("space"));
    }

    #[test]
    fn events_normalize_like_the_file() {
        use KeyModifiers as M;
        let press = |code, mods| event(code, mods, Kind::Press);
        assert_eq!(press(KeyCode::Char('G'), M::SHIFT), Some(key("G")));
        assert_eq!(press(KeyCode::Char('G'), M::NONE), Some(key("shift-g")));
        assert_eq!(press(KeyCode::Char('g'), M::SHIFT), Some(Key::char('G')));
        assert_eq!(
            press(KeyCode::Char('C'), M::CONTROL | M::SHIFT),
            Some(key("ctrl-c"))
        );
        assert_eq!(press(KeyCode::Char('c'), M::CONTROL), Some(key("ctrl-C")));
        assert_eq!(press(KeyCode::BackTab, M::SHIFT), Some(key("shift-tab")));
        assert_eq!(press(KeyCode::Tab, M::SHIFT), Some(key("shift-tab")));
        assert_eq!(press(KeyCode::Char('?'), M::SHIFT), Some(Key::char('?')));
        assert_eq!(press(KeyCode::Char(' '), M::NONE), Some(key("space")));
        assert_eq!(press(KeyCode::F(1), M::NONE), Some(key("f1")));
        assert_eq!(
            event(KeyCode::Char('q'), M::NONE, Kind::Repeat),
            Some(Key::char('q'))
        );
        assert_eq!(event(KeyCode::Char('q'), M::NONE, Kind::Release), None);
        assert_eq!(press(KeyCode::Char('q'), M::SUPER), None);
        assert_eq!(press(KeyCode::CapsLock, M::NONE), None);
    }

    #[test]
    fn bad_spellings_are_refused_with_a_reason() {
        let cases = "|empty key\nabc|unknown key \"abc\"\nctrl-|nothing after ctrl-\n\
            shift-|nothing after shift-\nctrl-ctrl-c|twice\nf13|unknown key\nf+1|unknown key\nshift-1|shift produces\n\
            ctrl-h|backspace\nctrl-H|backspace\nctrl-i|tab\nctrl-m|enter\nctrl-[|esc\nctrl-space|NUL";
        for (written, why) in cases.lines().filter_map(|c| c.split_once('|')) {
            let e = Key::parse(written).expect_err(written);
            assert!(e.contains(why), "{written}: {e}");
        }
        assert!(Key::parse("abc").expect_err("abc").contains("\"ctrl-c\""));
    }

    #[test]
    fn user_file_overrides_and_unbinds() {
        let km = user(
            "[list]\n\"j\" = \"open\"\n[detail]\n\"h\" = \"none\"\n[queue]\n\"o\" = \"open\"\n",
        );
        assert_eq!(km.action(&[Context::List], key("j")), Some(Action::Open));
        assert_eq!(
            km.keys_for(Context::List, Action::MoveDown),
            vec![key("down")]
        );
        assert_eq!(km.action(&[Context::Detail], key("h")), None);
        assert_eq!(
            km.action(&[Context::Detail], key("left")),
            Some(Action::Back)
        );
        assert_eq!(
            km.action(&[Context::Queue, Context::List], key("o")),
            Some(Action::Open)
        );
        assert_eq!(km.action(&[Context::Global], key("q")), Some(Action::Quit));
        assert_eq!(
            Keymap::from_user_text("user.toml", "").ok(),
            Keymap::builtin().ok()
        );
    }

    #[test]
    fn first_context_wins_and_hints_skip_shadowed_keys() {
        let km = Keymap::builtin().expect("built-in keymap");
        let left = key("left");
        assert_eq!(
            km.action(&[Context::Detail, Context::List], left),
            Some(Action::Back)
        );
        let enter = key("enter");
        assert_eq!(
            km.action(&[Context::List, Context::Escalation], enter),
            Some(Action::Open)
        );
        assert_eq!(km.action(&[Context::List], key("q")), None);
        let esc = [Context::Escalation, Context::List, Context::Global];
        assert_eq!(km.action(&esc, key("enter")), Some(Action::Escalate));
        assert_eq!(km.hint(&esc, Action::Open), Some(key("l")));
        let list = [
            Context::Queue,
            Context::List,
            Context::Ticket,
            Context::Global,
        ];
        assert_eq!(km.hint(&list, Action::Open), Some(key("enter")));
        assert_eq!(km.hint(&list, Action::Help), Some(key("?")));
        assert_eq!(km.hint(&list, Action::Quit), Some(key("q")));
        let runbooks = [Context::Runbooks, Context::List, Context::Global];
        assert_eq!(km.hint(&runbooks, Action::ToggleMark), None);
        assert_eq!(km.hint(&runbooks, Action::ToggleStep), Some(key("space")));
        assert_eq!(km.hint(&[Context::List], Action::Quit), None);
        assert_eq!(
            km.keys_for(Context::List, Action::Open),
            vec![key("enter"), key("l"), key("right")]
        );
        let all = km.bindings();
        assert_eq!(
            all.first(),
            Some(&(Context::Global, key("q"), Action::Quit))
        );
        assert!(
            all.windows(2)
                .all(|w| (w[0].0, w[0].2, w[0].1) < (w[1].0, w[1].2, w[1].1))
        );
    }

    #[test]
    fn each_mistake_is_reported_at_its_line() {
        let one = |text: &str| match problems(text).as_slice() {
            [p] => p.clone(),
            other => panic!("expected one problem, got {other:?}"),
        };
        let p = one("[global]\n\"x\" = \"opne\"\n");
        assert!(
            p.starts_with("user.toml:2:7: unknown action 'opne'; did you mean open?"),
            "{p}"
        );
        assert!(one("[list]\n\"x\" = \"frob\"\n").contains("such as quit"));
        let p = one("[list]\n\"abc\" = \"open\"\n");
        assert!(p.starts_with("user.toml:2:1: unknown key \"abc\""), "{p}");
        let p = one("[list]\n\"G\" = \"top\"\n\"shift-g\" = \"bottom\"\n");
        assert!(
            p.starts_with("user.toml:3:1: \"shift-g\" is the same key as \"G\" (line 2)"),
            "{p}"
        );
        let p = one("[global]\n\"ctrl-c\" = \"quit\"\n\"ctrl-C\" = \"quit\"\n");
        assert!(
            p.starts_with("user.toml:3:1: \"ctrl-C\" is the same key as \"ctrl-c\""),
            "{p}"
        );
        let p = one("\n[quue]\n\"j\" = \"open\"\n");
        assert!(
            p.starts_with("user.toml:2:2: unknown context [quue]; the contexts are global"),
            "{p}"
        );
        let p = one("[global]\n\"q\" = 3\n");
        assert!(
            p.starts_with("user.toml:2:7: the action for \"q\" must be a string"),
            "{p}"
        );
        let p = one("global = \"quit\"\n");
        assert!(
            p.starts_with("user.toml:1:10: global must be a table"),
            "{p}"
        );
        let p = one("\n[list]\n\"ctrl-c\" = \"top\"\n");
        assert!(p.starts_with("user.toml:3:1: ctrl-c always quits"), "{p}");
        assert!(one("[global]\n\"ctrl-c\" = \"none\"\n").contains("cannot be rebound or unbound"));
        assert!(one("[global]\n\"q\" = \n").starts_with("user.toml:2:"));
        assert!(one("[list]\n\"ctrl-c\" = \"quit\"\n\"ctrl-h\" = \"top\"\n").contains(":3:1:"));
    }

    #[test]
    fn every_problem_is_reported_together_in_file_order() {
        let found = problems(
            "[list]\n\"zz\" = \"open\"\n\"j\" = \"nope\"\n[nowhere]\n[global]\n\"q\" = true\n\"ctrl-c\" = \"help\"\n",
        );
        let lines: Vec<_> = found
            .iter()
            .map(|p| p.split(':').nth(1).unwrap_or(""))
            .collect();
        assert_eq!(lines, ["2", "3", "4", "6", "7"], "{found:#?}");
    }

    #[test]
    fn load_reads_the_config_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Keymap::load(None).ok(), Keymap::builtin().ok());
        assert_eq!(Keymap::load(Some(dir.path())).ok(), Keymap::builtin().ok());
        let path = dir.path().join("keymap.toml");
        std::fs::write(&path, "[global]\n\"Q\" = \"quit\"\n\"x\" = \"bogus\"\n").expect("write");
        let err = Keymap::load(Some(dir.path())).expect_err("bogus action");
        assert!(
            err.to_string()
                .contains(&format!("{}:3:7:", path.display())),
            "{err}"
        );
        std::fs::write(&path, "[global]\n\"Q\" = \"quit\"\n").expect("write");
        let km = Keymap::load(Some(dir.path())).expect("valid file");
        assert_eq!(
            km.keys_for(Context::Global, Action::Quit),
            vec![key("q"), key("Q"), key("ctrl-c")]
        );
        std::fs::remove_file(&path).expect("remove");
        std::fs::create_dir(&path).expect("a directory where the file should be");
        // Read like the twelve other files, with the same messages.
        let err = Keymap::load(Some(dir.path())).expect_err("a folder");
        assert_eq!(
            err.problems[0].to_string(),
            format!("{}: is a folder; it must be a TOML file", path.display())
        );
        std::fs::remove_dir(&path).expect("remove");
        std::os::unix::fs::symlink(dir.path().join("gone.toml"), &path).expect("link");
        let err = Keymap::load(Some(dir.path())).expect_err("a link to nothing");
        assert!(
            err.problems[0]
                .message
                .starts_with("is a link to a file that does not exist"),
            "{err}"
        );
        std::fs::remove_file(&path).expect("remove");
        std::fs::write(&path, b"[global]\n\"Q\" = \"quit\" # Acci\xf3n\n").expect("latin-1");
        let err = Keymap::load(Some(dir.path())).expect_err("latin-1");
        assert_eq!(
            err.problems[0].to_string(),
            format!(
                "{}:2: is not UTF-8 text; save it as UTF-8 (the editor's encoding setting)",
                path.display()
            )
        );
    }

    #[test]
    fn markdown_lists_keys_per_context() {
        let km = Keymap::builtin().expect("built-in keymap");
        let en = km.markdown(Lang::En);
        assert!(en.contains("## Global (`[global]`)\n\n| Keys | Action | Description |\n"));
        assert!(en.contains("| `?`, `f1` | `help` | Key help |\n"));
        assert!(en.contains("## Queue (`[queue]`)\n\n_No bindings._\n"));
        assert!(
            km.markdown(Lang::Es)
                .contains("| `enter`, `l`, `right` | `open` | Abrir |\n")
        );
        assert_eq!(markdown_key(&Key::char('|')), "`\\|`");
        assert_eq!(markdown_key(&Key::char('`')), "`` ` ``");
    }

    #[test]
    fn docs_show_the_builtin_keymap() {
        let docs = include_str!("../../docs/keybindings.md");
        let generated = Keymap::builtin()
            .expect("built-in keymap")
            .markdown(Lang::En);
        assert!(
            docs.contains(&generated),
            "docs/keybindings.md is out of date; replace its tables with:\n{generated}"
        );
    }
}
