//! Measuring and cutting text by terminal columns rather than bytes or chars,
//! so tables stay aligned with accents, ñ, CJK and emoji.
//!
//! These functions do not sanitize: pass text through
//! [`sanitize_line`](super::sanitize_line) first.

use unicode_width::UnicodeWidthStr;

const ELLIPSIS: char = '…';
const ELLIPSIS_WIDTH: usize = 1;
const ZWJ: char = '\u{200D}';

/// Columns `s` occupies in a terminal.
pub fn display_width(s: &str) -> usize {
    s.width()
}

/// Cuts `s` at a char boundary so it fits in `max` columns, ending with `…`
/// when anything was removed. A wide char that would overflow is dropped
/// whole, so the result may be one column narrower than `max`.
pub fn truncate_to_width(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_owned();
    }
    let Some(budget) = max.checked_sub(ELLIPSIS_WIDTH) else {
        return String::new();
    };
    // Width is context-sensitive (a variation selector can widen or narrow
    // the char before it), so a longer prefix can even be narrower. The
    // search only ever settles on a prefix it has measured to fit, and being
    // a binary search it keeps hostile input (thousands of zero-width marks)
    // from costing quadratic time.
    let ends: Vec<usize> = s.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    let fits = |n: usize| n == 0 || s[..ends[n - 1]].width() <= budget;
    let (mut lo, mut hi) = (0, ends.len());
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let end = if lo == 0 { 0 } else { ends[lo - 1] };
    // A joiner left dangling would glue the ellipsis onto the emoji before it.
    let mut out = s[..end].trim_end_matches(ZWJ).to_owned();
    out.push(ELLIPSIS);
    out
}

/// Truncates `s` to `width` columns, then pads it with spaces to exactly
/// `width` columns, for aligned table output.
pub fn pad_to_width(s: &str, width: usize) -> String {
    let mut out = truncate_to_width(s, width);
    let used = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPANISH: &str = "Cañería de la oficina – facturación";

    #[test]
    fn width_counts_columns_not_bytes() {
        assert_eq!(display_width(""), 0);
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width(SPANISH), 35);
        assert_eq!(display_width("ñandú"), 5);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(display_width("日本語"), 6);
        assert_eq!(display_width("👍"), 2);
        assert_eq!(display_width("👨\u{200D}👩\u{200D}👧"), 2);
    }

    #[test]
    fn text_that_fits_is_returned_unchanged() {
        assert_eq!(truncate_to_width("", 0), "");
        assert_eq!(truncate_to_width("", 5), "");
        assert_eq!(truncate_to_width(SPANISH, 35), SPANISH);
        assert_eq!(truncate_to_width(SPANISH, 80), SPANISH);
        assert_eq!(truncate_to_width("日本語", 6), "日本語");
    }

    #[test]
    fn zero_width_gives_empty() {
        assert_eq!(truncate_to_width("abc", 0), "");
        assert_eq!(truncate_to_width("日本語", 0), "");
        assert_eq!(pad_to_width("abc", 0), "");
    }

    #[test]
    fn cut_text_ends_with_ellipsis() {
        assert_eq!(truncate_to_width("abcdef", 4), "abc…");
        assert_eq!(truncate_to_width("abcdef", 1), "…");
        assert_eq!(truncate_to_width(SPANISH, 10), "Cañería d…");
        assert_eq!(truncate_to_width("facturación", 10), "facturaci…");
        assert_eq!(
            truncate_to_width("e\u{301}e\u{301}e\u{301}", 2),
            "e\u{301}…"
        );
    }

    #[test]
    fn wide_chars_are_never_split_past_max() {
        assert_eq!(truncate_to_width("日本語", 5), "日本…");
        assert_eq!(truncate_to_width("日本語", 4), "日…");
        assert_eq!(truncate_to_width("日本語", 2), "…");
        assert_eq!(truncate_to_width("日本語", 1), "…");
        for max in 0..=8 {
            for s in [
                "日本語テキスト",
                "a日b本c",
                "👍👍👍",
                "👨\u{200D}👩\u{200D}👧👨\u{200D}👩\u{200D}👧",
                SPANISH,
            ] {
                let out = truncate_to_width(s, max);
                assert!(display_width(&out) <= max, "{s:?} at {max} gave {out:?}");
            }
        }
    }

    #[test]
    fn emoji_are_kept_whole_or_dropped() {
        assert_eq!(truncate_to_width("👍👍👍", 5), "👍👍…");
        assert_eq!(truncate_to_width("👍👍👍", 4), "👍…");
        assert_eq!(
            truncate_to_width("👨\u{200D}👩\u{200D}👧 hola", 4),
            "👨\u{200D}👩\u{200D}👧 …"
        );
        assert_eq!(truncate_to_width("👍\u{200D}xyz", 3), "👍…");
    }

    #[test]
    fn many_zero_width_marks_still_truncate() {
        let s = format!("a{}bcdef", "\u{301}".repeat(50_000));
        let out = truncate_to_width(&s, 3);
        assert_eq!(display_width(&out), 3);
        assert!(out.starts_with('a') && out.ends_with("b…"));
    }

    #[test]
    fn pad_reaches_exact_width() {
        assert_eq!(pad_to_width("", 3), "   ");
        assert_eq!(pad_to_width("ñandú", 8), "ñandú   ");
        assert_eq!(pad_to_width("日本", 5), "日本 ");
        assert_eq!(pad_to_width("日本語", 4), "日… ");
        assert_eq!(pad_to_width(SPANISH, 12), "Cañería de …");
        for width in 0..=12 {
            for s in ["", "ñ", "日本語テキスト", "👍x👍", SPANISH] {
                assert_eq!(
                    display_width(&pad_to_width(s, width)),
                    width,
                    "{s:?} {width}"
                );
            }
        }
    }
}
