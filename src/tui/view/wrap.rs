//! Word wrapping by display width, done before ratatui sees the lines.
//! ratatui's own wrapper (0.30) can let a wide character that starts in
//! the last column spill over the border (upstream ratatui#2679); cutting
//! lines here also makes the detail's scroll range exact.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Splits `line` into lines at most `width` columns wide, breaking at
/// spaces where possible and inside a word only when it alone is too long.
pub fn wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    if line.width() <= width {
        return vec![line];
    }
    let style = line.style;
    // Pieces: (text, style), each a word with its trailing spaces.
    let mut pieces: Vec<(String, ratatui::style::Style)> = Vec::new();
    for span in &line.spans {
        let mut word = String::new();
        let mut in_space = false;
        for ch in span.content.chars() {
            if ch == ' ' {
                in_space = true;
            } else if in_space {
                pieces.push((std::mem::take(&mut word), span.style));
                in_space = false;
            }
            word.push(ch);
        }
        if !word.is_empty() {
            pieces.push((word, span.style));
        }
    }
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let cw = |c: char| c.width().unwrap_or(0);
    for (text, st) in pieces {
        let w: usize = text.chars().map(cw).sum();
        let trimmed_w: usize = text.trim_end_matches(' ').chars().map(cw).sum();
        if used + trimmed_w <= width {
            used += w;
            current.push(Span::styled(text, st));
            continue;
        }
        if used > 0 && trimmed_w <= width {
            out.push(Line::from(std::mem::take(&mut current)).style(style));
            used = w;
            current.push(Span::styled(text, st));
            continue;
        }
        // A word longer than a line: cut it by characters.
        let mut chunk = String::new();
        for ch in text.chars() {
            let c = cw(ch);
            if used + c > width && used > 0 {
                if !chunk.is_empty() {
                    current.push(Span::styled(std::mem::take(&mut chunk), st));
                }
                out.push(Line::from(std::mem::take(&mut current)).style(style));
                used = 0;
            }
            chunk.push(ch);
            used += c;
        }
        if !chunk.is_empty() {
            current.push(Span::styled(chunk, st));
        }
    }
    if !current.is_empty() {
        out.push(Line::from(current).style(style));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn breaks_at_spaces_and_never_exceeds_the_width() {
        let l = Line::from("uno dos tres cuatro cinco");
        let w = wrap(l, 9);
        assert_eq!(texts(&w), ["uno dos ", "tres ", "cuatro ", "cinco"]);
        for line in &w {
            assert!(line.width() <= 9 || line.to_string().trim_end().chars().count() <= 9);
        }
    }

    #[test]
    fn wide_characters_never_cross_the_edge() {
        let l = Line::from("Acentos: ñandú 打印机故障打印机故障");
        for width in 3..20 {
            for line in wrap(l.clone(), width) {
                let trimmed: String = line.to_string().trim_end().to_string();
                assert!(
                    unicode_width::UnicodeWidthStr::width(trimmed.as_str()) <= width,
                    "{trimmed:?} wider than {width}"
                );
            }
        }
    }
}
