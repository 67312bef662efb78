//! Colours and emphasis by meaning (selection, header, priority, error…),
//! not by widget. Three built-in themes: `default` uses the 16 named ANSI
//! colours (which follow the terminal's palette), `light` suits light
//! backgrounds, and `mono` uses no colour at all, only bold, reverse and
//! underline: it is chosen by `NO_COLOR` or `--no-color`, and because
//! meaning is always also written as text (`P1`, `*`, `!`) nothing is lost.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: &'static str,
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub header: Style,
    pub border: Style,
    pub border_focus: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub selected: Style,
    pub marked: Style,
    pub key: Style,
    pub error: Style,
    pub warn: Style,
    pub ok: Style,
    pub missing: Style,
    pub current: Style,
    pub prio_top: Style,
    pub prio_high: Style,
    pub bar: Style,
    /// The major-incident banner: the loudest thing on screen.
    pub banner: Style,
}

impl Theme {
    pub const NAMES: &'static [&'static str] = &["default", "light", "mono"];

    pub fn by_name(name: &str) -> Option<Theme> {
        match name {
            "default" => Some(Theme::default16()),
            "light" => Some(Theme::light()),
            "mono" => Some(Theme::mono()),
            _ => None,
        }
    }

    /// Named ANSI colours only, so the terminal's own palette applies; no
    /// DarkGray for anything essential (it vanishes on some palettes).
    pub fn default16() -> Theme {
        let s = Style::default();
        Theme {
            name: "default",
            base: s,
            dim: s.add_modifier(Modifier::DIM),
            title: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            header: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            border: s,
            border_focus: s.fg(Color::Cyan),
            tab: s,
            tab_active: s
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            selected: s.add_modifier(Modifier::REVERSED),
            marked: s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            key: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            error: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: s.fg(Color::Yellow),
            ok: s.fg(Color::Green),
            missing: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            current: s
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            prio_top: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            prio_high: s.fg(Color::Yellow),
            bar: s.fg(Color::Blue),
            banner: s
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        }
    }

    /// For light backgrounds: darker hues, no yellow text.
    pub fn light() -> Theme {
        let s = Style::default();
        Theme {
            name: "light",
            base: s,
            dim: s.add_modifier(Modifier::DIM),
            title: s.fg(Color::Blue).add_modifier(Modifier::BOLD),
            header: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            border: s,
            border_focus: s.fg(Color::Blue),
            tab: s,
            tab_active: s
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            selected: s.add_modifier(Modifier::REVERSED),
            marked: s.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            key: s.fg(Color::Blue).add_modifier(Modifier::BOLD),
            error: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: s.fg(Color::Magenta),
            ok: s.fg(Color::Green),
            missing: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            current: s
                .fg(Color::White)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            prio_top: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            prio_high: s.fg(Color::Magenta),
            bar: s.fg(Color::Blue),
            banner: s
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        }
    }

    /// No colour: `Color::Reset` everywhere, meaning by modifiers (crossterm
    /// 0.29 under NO_COLOR would otherwise cancel them, see tui-anchors §5).
    pub fn mono() -> Theme {
        let s = Style::default();
        let bold = s.add_modifier(Modifier::BOLD);
        Theme {
            name: "mono",
            base: s,
            dim: s,
            title: bold,
            header: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            border: s,
            border_focus: bold,
            tab: s,
            tab_active: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            selected: s.add_modifier(Modifier::REVERSED),
            marked: bold,
            key: bold,
            error: bold,
            warn: s.add_modifier(Modifier::UNDERLINED),
            ok: s,
            missing: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            current: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            prio_top: bold,
            prio_high: s,
            bar: s,
            // Reverse video across the whole line: loud without colour.
            banner: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// Every style of the theme, for tests that check a theme uses no colour.
    pub fn styles(&self) -> [Style; 20] {
        [
            self.base,
            self.dim,
            self.title,
            self.header,
            self.border,
            self.border_focus,
            self.tab,
            self.tab_active,
            self.selected,
            self.marked,
            self.key,
            self.error,
            self.warn,
            self.ok,
            self.missing,
            self.current,
            self.prio_top,
            self.prio_high,
            self.bar,
            self.banner,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_uses_no_colour_and_selection_is_reverse_video() {
        let m = Theme::mono();
        for st in m.styles() {
            assert!(st.fg.is_none() && st.bg.is_none(), "{st:?}");
        }
        assert!(m.selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn every_named_theme_exists() {
        for n in Theme::NAMES {
            assert_eq!(Theme::by_name(n).map(|t| t.name), Some(*n));
        }
    }
}
