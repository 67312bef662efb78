//! Neutralising untrusted text before it reaches a terminal.
//!
//! Controls are made visible rather than deleted so an operator can tell that
//! something odd was in the ticket; characters whose only use is to hide or
//! reorder text are dropped, because showing them would only add noise.

use unicode_width::UnicodeWidthStr;

/// Most characters [`sanitize_block`] returns, truncation marker included.
pub const MAX_BLOCK_CHARS: usize = 64 * 1024;
/// Most characters [`sanitize_line`] returns, truncation marker included.
pub const MAX_LINE_CHARS: usize = 4096;

const TRUNCATED: &str = "…[truncated]";
const LINE_BREAK_MARK: &str = "⏎ ";
const TAB_STOP: usize = 4;
const SPACES: &str = "    ";
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Block,
    Line,
}

/// Makes multi-line untrusted text (descriptions, comments) safe to print.
///
/// Keeps `\n` and normalises `\r\n`, `\r`, U+2028 and U+2029 to it; expands
/// tabs to the next multiple-of-4 column; shows C0 controls and DEL as control
/// pictures (ESC → `␛`) and C1 controls as `<U+009B>`; drops bidi controls and
/// invisible format characters. Output is capped at [`MAX_BLOCK_CHARS`].
pub fn sanitize_block(input: &str) -> String {
    sanitize(input, Mode::Block, MAX_BLOCK_CHARS)
}

/// Like [`sanitize_block`] for one-line cells (titles, names, table cells):
/// every line break (`\n`, `\r\n`, `\r`, U+0085, U+2028, U+2029) becomes
/// `"⏎ "`, so the result never contains a newline. Capped at [`MAX_LINE_CHARS`].
pub fn sanitize_line(input: &str) -> String {
    sanitize(input, Mode::Line, MAX_LINE_CHARS)
}

fn sanitize(input: &str, mode: Mode, limit: usize) -> String {
    let mut out = Output::new(limit);
    let mut chars = input.chars().peekable();
    let mut in_tag_sequence = false;
    while let Some(c) = chars.next() {
        let tags_allowed = std::mem::take(&mut in_tag_sequence);
        let fits = match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.line_break(mode)
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.line_break(mode),
            // In a cell any break is flattened anyway, so NEL joins the others;
            // in a block it stays a visible C1 control, since no editor a
            // reporter uses produces it and it may be the tail of an attack.
            '\u{85}' if mode == Mode::Line => out.line_break(mode),
            '\t' => out.tab(),
            c if is_bidi_control(c) || is_invisible_format(c) => true,
            // Joiners are needed inside emoji sequences and many scripts, but
            // between ASCII letters they only serve to make look-alike names.
            '\u{200C}' | '\u{200D}' => {
                let joins = out.last().is_some_and(is_visible_non_ascii)
                    && chars.peek().copied().is_some_and(is_visible_non_ascii);
                !joins || out.push_char(c)
            }
            // Tag characters are invisible ASCII look-alikes ("ASCII
            // smuggling"); their one legitimate use is in subdivision flags
            // (BLACK FLAG, tags, CANCEL TAG), so anywhere else they are shown.
            '\u{E0000}'..='\u{E007F}' if tags_allowed => {
                in_tag_sequence = c != CANCEL_TAG;
                out.push_char(c)
            }
            '\u{E0000}'..='\u{E007F}' => out.push_str(&code_point(c)),
            '\0'..='\u{1F}' | '\u{7F}' => out.push_char(control_picture(c)),
            '\u{80}'..='\u{9F}' => out.push_str(&code_point(c)),
            BLACK_FLAG => {
                in_tag_sequence = true;
                out.push_char(c)
            }
            c => out.push_char(c),
        };
        if !fits {
            break;
        }
    }
    out.finish()
}

/// Accumulates output while enforcing the character cap and tracking the
/// display column for tab stops.
struct Output {
    buf: String,
    chars: usize,
    limit: usize,
    /// Byte length of `buf` at the last piece boundary that still leaves room
    /// for the truncation marker; cutting there never splits `<U+0085>` or
    /// `⏎ ` in half.
    marker_cut: usize,
    truncated: bool,
    /// Display width is context-sensitive (emoji ZWJ sequences, ligatures), so
    /// the column is measured on the text since the last newline or tab stop
    /// rather than summed per char; re-measuring only that segment keeps the
    /// whole pass linear.
    segment_start: usize,
    segment_column: usize,
}

impl Output {
    fn new(limit: usize) -> Self {
        Self {
            buf: String::new(),
            chars: 0,
            limit,
            marker_cut: 0,
            truncated: false,
            segment_start: 0,
            segment_column: 0,
        }
    }

    fn last(&self) -> Option<char> {
        self.buf.chars().next_back()
    }

    /// Appends `piece` whole or not at all; `false` means the cap was hit.
    fn push_str(&mut self, piece: &str) -> bool {
        let len = piece.chars().count();
        if self.chars + len > self.limit {
            self.truncated = true;
            return false;
        }
        self.buf.push_str(piece);
        self.chars += len;
        if self.chars + TRUNCATED.chars().count() <= self.limit {
            self.marker_cut = self.buf.len();
        }
        true
    }

    fn push_char(&mut self, c: char) -> bool {
        self.push_str(c.encode_utf8(&mut [0; 4]))
    }

    fn line_break(&mut self, mode: Mode) -> bool {
        match mode {
            Mode::Line => self.push_str(LINE_BREAK_MARK),
            Mode::Block => {
                let fits = self.push_char('\n');
                if fits {
                    self.segment_start = self.buf.len();
                    self.segment_column = 0;
                }
                fits
            }
        }
    }

    fn tab(&mut self) -> bool {
        let column = self.segment_column + self.buf[self.segment_start..].width();
        let spaces = TAB_STOP - column % TAB_STOP;
        let fits = self.push_str(&SPACES[..spaces]);
        if fits {
            self.segment_start = self.buf.len();
            self.segment_column = column + spaces;
        }
        fits
    }

    fn finish(mut self) -> String {
        if self.truncated {
            self.buf.truncate(self.marker_cut);
            self.buf.push_str(TRUNCATED);
        }
        self.buf
    }
}

/// Bidi embeddings, overrides, isolates and marks can reorder what the
/// operator sees ("Trojan Source"); removing them only loses direction hints.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Invisible characters with no meaning a help desk needs, which could split
/// a word so it no longer matches what it looks like or hide text outright.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        // soft hyphen, Mongolian vowel separator, zero-width space
        '\u{00AD}' | '\u{180E}' | '\u{200B}'
            // word joiner, invisible math operators, deprecated shaping controls
            | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}'
            // Hangul fillers, popular for blank-looking names
            | '\u{3164}' | '\u{FFA0}'
            // BOM / zero-width no-break space, interlinear annotation marks
            | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
    )
}

fn is_visible_non_ascii(c: char) -> bool {
    !c.is_ascii()
        && !c.is_whitespace()
        && !c.is_control()
        && !matches!(c, '\u{200C}' | '\u{200D}')
        && !is_bidi_control(c)
        && !is_invisible_format(c)
}

/// U+2400 + code is Unicode's visible stand-in for each C0 control.
fn control_picture(c: char) -> char {
    let picture = if c == '\u{7F}' {
        0x2421
    } else {
        0x2400 + u32::from(c)
    };
    char::from_u32(picture).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn code_point(c: char) -> String {
    format!("<U+{:04X}>", u32::from(c))
}

/// JSON text that is safe on a terminal and means the same: serde writes
/// the C0 controls as escapes but DEL, the C1 controls (`U+009B` is a CSI
/// to many terminals), the bidi controls and the line and paragraph
/// separators raw. Each becomes its `\uXXXX` escape, which every JSON
/// reader decodes to the same text. Only string contents can hold them, as
/// JSON's own syntax is ASCII.
pub fn json_for_terminal(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_for_terminal_escapes_what_serde_leaves_raw_and_keeps_the_text() {
        let text = "a\u{9b}2J\u{7f}b\u{202e}c\u{2028}d ñ 打";
        let json = serde_json::to_string(&text).expect("json");
        let safe = super::json_for_terminal(&json);
        assert!(
            safe.chars()
                .all(|c| !c.is_control() && !('\u{2028}'..='\u{202e}').contains(&c)),
            "{safe}"
        );
        assert!(
            safe.contains("\\u009b") && safe.contains("\\u007f") && safe.contains("\\u202e"),
            "{safe}"
        );
        let back: String = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, text);
    }

    use super::*;

    fn has_raw_control(s: &str) -> bool {
        s.chars().any(|c| c.is_control() && c != '\n')
    }

    #[test]
    fn empty_input_stays_empty() {
        assert_eq!(sanitize_block(""), "");
        assert_eq!(sanitize_line(""), "");
    }

    #[test]
    fn spanish_emoji_and_cjk_pass_through() {
        for s in [
            "Cañería de la oficina – facturación",
            "¿Por qué no imprime? ¡Urgente! ÁÉÍÓÚÜÑ áéíóúüñ",
            "Impresora rota 🖨\u{FE0F}🔥 👍🏽",
            "👨\u{200D}👩\u{200D}👧 familia",
            "プリンターが壊れた 打印机坏了 프린터",
            "می\u{200C}خواهم",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
        ] {
            assert_eq!(sanitize_block(s), s);
            assert_eq!(sanitize_line(s), s);
        }
    }

    #[test]
    fn ansi_csi_shows_escape_and_keeps_rest_literal() {
        let out = sanitize_block("\x1b[31mrojo\x1b[0m");
        assert_eq!(out, "␛[31mrojo␛[0m");
        assert!(!out.contains('\x1b'));
    }

    #[test]
    fn osc_52_and_osc_8_are_neutralised() {
        let clipboard = sanitize_line("\x1b]52;c;cm0gLXJmIH4=\x07");
        assert_eq!(clipboard, "␛]52;c;cm0gLXJmIH4=␇");
        let link = sanitize_line("\x1b]8;;https://evil.example\x1b\\aquí\x1b]8;;\x1b\\");
        assert_eq!(link, "␛]8;;https://evil.example␛\\aquí␛]8;;␛\\");
        assert!(!has_raw_control(&clipboard) && !has_raw_control(&link));
    }

    #[test]
    fn eight_bit_csi_and_other_c1_are_spelled_out() {
        assert_eq!(sanitize_block("\u{9B}31mrojo"), "<U+009B>31mrojo");
        assert_eq!(sanitize_block("a\u{80}b\u{9F}c"), "a<U+0080>b<U+009F>c");
        assert_eq!(sanitize_block("x\u{85}y"), "x<U+0085>y");
        assert_eq!(sanitize_line("\u{9D}0;t\u{9C}"), "<U+009D>0;t<U+009C>");
    }

    #[test]
    fn every_c0_control_and_del_becomes_a_control_picture() {
        for code in (0u8..=0x1F).filter(|b| !matches!(b, b'\t' | b'\n' | b'\r')) {
            let input = format!("a{}b", char::from(code));
            let expected = format!("a{}b", char::from_u32(0x2400 + u32::from(code)).unwrap());
            assert_eq!(sanitize_block(&input), expected, "code {code:#04x}");
            assert_eq!(sanitize_line(&input), expected, "code {code:#04x}");
        }
        assert_eq!(sanitize_block("\0"), "␀");
        assert_eq!(sanitize_block("\x1b"), "␛");
        assert_eq!(sanitize_block("\x07"), "␇");
        assert_eq!(sanitize_block("\x7f"), "␡");
    }

    #[test]
    fn output_never_holds_a_raw_control() {
        let nasty: String = (0u32..0xA0).filter_map(char::from_u32).collect();
        assert!(!has_raw_control(&sanitize_block(&nasty)));
        assert!(!sanitize_line(&nasty).chars().any(char::is_control));
    }

    #[test]
    fn each_bidi_control_is_removed() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let input = format!("admin{c}txt.exe");
            assert_eq!(
                sanitize_block(&input),
                "admintxt.exe",
                "{:04X}",
                u32::from(c)
            );
            assert_eq!(
                sanitize_line(&input),
                "admintxt.exe",
                "{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn invisible_characters_are_removed() {
        for c in ['\u{200B}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{3164}'] {
            let input = format!("ad{c}min");
            assert_eq!(sanitize_line(&input), "admin", "{:04X}", u32::from(c));
        }
        assert_eq!(sanitize_block("\u{FEFF}Hola"), "Hola");
    }

    #[test]
    fn joiners_survive_only_between_non_ascii_letters() {
        assert_eq!(sanitize_line("ad\u{200D}min"), "admin");
        assert_eq!(sanitize_line("ad\u{200C}min"), "admin");
        assert_eq!(sanitize_line("\u{200D}👍"), "👍");
        assert_eq!(sanitize_line("👍\u{200D}"), "👍");
        // A doubled joiner collapses to one.
        assert_eq!(sanitize_line("👨\u{200D}\u{200D}👩"), "👨\u{200D}👩");
        assert_eq!(sanitize_line("👨\u{200D}💻"), "👨\u{200D}💻");
    }

    #[test]
    fn stray_tag_characters_are_spelled_out() {
        assert_eq!(
            sanitize_line("ok\u{E0069}\u{E0067}"),
            "ok<U+E0069><U+E0067>"
        );
        // A flag sequence ends at CANCEL TAG; tags after it are stray.
        assert_eq!(
            sanitize_line("🏴\u{E0067}\u{E007F}\u{E0041}"),
            "🏴\u{E0067}\u{E007F}<U+E0041>"
        );
    }

    #[test]
    fn line_breaks_are_normalised_in_blocks() {
        assert_eq!(sanitize_block("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(sanitize_block("a\r\r\nb"), "a\n\nb");
        assert_eq!(sanitize_block("a\u{2028}b\u{2029}c"), "a\nb\nc");
        assert_eq!(sanitize_block("fin\n"), "fin\n");
    }

    #[test]
    fn line_breaks_become_visible_marks_in_lines() {
        assert_eq!(sanitize_line("a\r\nb"), "a⏎ b");
        assert_eq!(sanitize_line("a\nb\rc"), "a⏎ b⏎ c");
        assert_eq!(sanitize_line("a\u{85}b\u{2028}c\u{2029}d"), "a⏎ b⏎ c⏎ d");
        assert_eq!(sanitize_line("a\n\nb"), "a⏎ ⏎ b");
        assert!(!sanitize_line("x\n\r\u{85}\u{2028}\u{2029}\x0b\x0c").contains(['\n', '\r']));
    }

    #[test]
    fn tabs_expand_to_the_next_multiple_of_four() {
        assert_eq!(sanitize_block("\tx"), "    x");
        assert_eq!(sanitize_block("a\tx"), "a   x");
        assert_eq!(sanitize_block("abc\tx"), "abc x");
        assert_eq!(sanitize_block("abcd\tx"), "abcd    x");
        assert_eq!(sanitize_block("a\t\tx"), "a       x");
        assert_eq!(sanitize_block("ab\ncd\tx"), "ab\ncd  x");
        assert_eq!(sanitize_line("a\tb\tc"), "a   b   c");
    }

    #[test]
    fn tab_columns_use_display_width() {
        // ñ and é are one column, CJK two, a ZWJ family emoji two.
        assert_eq!(sanitize_block("ñé\tx"), "ñé  x");
        assert_eq!(sanitize_block("日本\tx"), "日本    x");
        assert_eq!(sanitize_block("日\tx"), "日  x");
        assert_eq!(
            sanitize_block("👨\u{200D}👩\u{200D}👧\tx"),
            "👨\u{200D}👩\u{200D}👧  x"
        );
        // Line mode: "a⏎ " is three columns wide.
        assert_eq!(sanitize_line("a\n\tx"), "a⏎  x");
    }

    #[test]
    fn block_cap_keeps_short_text_and_marks_long_text() {
        let exact = "a".repeat(MAX_BLOCK_CHARS);
        assert_eq!(sanitize_block(&exact), exact);

        let out = sanitize_block(&"ñ".repeat(MAX_BLOCK_CHARS + 1));
        assert!(out.ends_with(TRUNCATED));
        assert_eq!(out.chars().count(), MAX_BLOCK_CHARS);
        assert!(out.starts_with("ññññ"));
    }

    #[test]
    fn line_cap_counts_expanded_output() {
        let out = sanitize_line(&"\x1b".repeat(MAX_LINE_CHARS + 1));
        assert_eq!(
            sanitize_line(&"x".repeat(MAX_LINE_CHARS)).chars().count(),
            MAX_LINE_CHARS
        );
        assert!(out.ends_with(TRUNCATED));
        assert_eq!(out.chars().count(), MAX_LINE_CHARS);

        // Escapes expand 8x; a cut never leaves half of one behind.
        let out = sanitize_line(&"\u{9B}".repeat(MAX_LINE_CHARS));
        assert!(out.ends_with(&format!("<U+009B>{TRUNCATED}")));
        assert!(out.chars().count() <= MAX_LINE_CHARS);
    }
}
