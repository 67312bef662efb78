//! A one-line text field with the editing keys terminal users expect
//! (Ctrl-a/e, Ctrl-w, Ctrl-u, arrows, Home/End). Printable keys are text
//! here, so `q`, `/` and `?` type characters instead of acting.

use super::keymap::Key;
use crossterm::event::{KeyCode, KeyModifiers};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub text: String,
    /// Cursor position in chars.
    pub cursor: usize,
}

/// What a key did to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Moved,
    Submit,
    Cancel,
    /// Not an editing key; the caller may use it.
    Ignored,
}

impl TextInput {
    pub fn with(text: &str) -> TextInput {
        TextInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn insert_str(&mut self, s: &str) {
        // Pasted or typed text stays on one line; controls are dropped.
        let clean: String = s
            .chars()
            .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
            .filter(|c| !c.is_control())
            .collect();
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, &clean);
        self.cursor += clean.chars().count();
    }

    pub fn handle(&mut self, key: Key) -> Edit {
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Enter => Edit::Submit,
            KeyCode::Char('s') if ctrl => Edit::Submit,
            KeyCode::Esc => Edit::Cancel,
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                Edit::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                Edit::Moved
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = len;
                Edit::Moved
            }
            KeyCode::End => {
                self.cursor = len;
                Edit::Moved
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                Edit::Moved
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(len);
                Edit::Moved
            }
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                Edit::Changed
            }
            KeyCode::Char('w') if ctrl => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                let (a, b) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = start;
                Edit::Changed
            }
            KeyCode::Backspace => {
                if self.cursor == 0 {
                    return Edit::Moved;
                }
                let (a, b) = (self.byte_at(self.cursor - 1), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor -= 1;
                Edit::Changed
            }
            KeyCode::Delete => {
                if self.cursor >= len {
                    return Edit::Moved;
                }
                let (a, b) = (self.byte_at(self.cursor), self.byte_at(self.cursor + 1));
                self.text.replace_range(a..b, "");
                Edit::Changed
            }
            KeyCode::Char(c) if !ctrl && !key.mods.contains(KeyModifiers::ALT) => {
                self.insert_str(&c.to_string());
                Edit::Changed
            }
            _ => Edit::Ignored,
        }
    }

    /// The text before the cursor, to place the terminal cursor after it.
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.byte_at(self.cursor)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_like_a_shell_line() {
        let mut i = TextInput::default();
        for c in "vpn caída ñandú".chars() {
            i.handle(Key::char(c));
        }
        assert_eq!(i.handle(Key::ctrl('w')), Edit::Changed);
        assert_eq!(i.text, "vpn caída ");
        i.handle(Key::ctrl('a'));
        i.handle(Key::char('¿'));
        assert_eq!(i.text, "¿vpn caída ");
        i.handle(Key::ctrl('e'));
        i.handle(Key::code(KeyCode::Backspace));
        assert_eq!(i.text, "¿vpn caída");
        i.handle(Key::code(KeyCode::Left));
        i.handle(Key::ctrl('u'));
        assert_eq!(i.text, "a");
        assert_eq!(i.handle(Key::code(KeyCode::Enter)), Edit::Submit);
    }

    #[test]
    fn pasted_controls_do_not_enter_the_field() {
        let mut i = TextInput::default();
        i.insert_str("a\x1b[31mb\nc\u{7}");
        assert_eq!(i.text, "a[31mb c");
    }
}
