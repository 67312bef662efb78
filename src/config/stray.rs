//! Files in the configuration folder that guardia does not read but whose
//! names say they were meant to be read: `service.toml` for `services.toml`,
//! `guardia.tml`, `Operators.toml`. Such a file is silently ignored, and the
//! built-in file of the right name is in force instead, so every command
//! warns about it. Anything else in the folder is left alone: the thirteen
//! files guardia reads, notes (`README`), backups (`services.toml.bak`,
//! `sla.toml~`, editors' hidden files) and TOML files whose names are near
//! none of guardia's (`holidays.toml`).

use super::{DEFAULT_FILES, Problem};
use std::path::Path;

/// The console's key bindings, read from the same folder.
const KEYMAP: &str = "keymap.toml";

/// One warning per misnamed file of `dir`, in name order; none when the
/// folder cannot be listed (reading its files reports that).
pub fn stray_files(dir: &Path) -> Vec<Problem> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
        .iter()
        .filter_map(|name| {
            let meant = meant_name(name)?;
            let beside = dir.join(meant).exists();
            let message = if beside {
                format!(
                    "warning: guardia does not read this file (did you mean {meant}? that one is read, beside it); merge what it holds into {meant} and remove it"
                )
            } else {
                format!(
                    "warning: guardia does not read this file, so the built-in {meant} is in force; did you mean {meant}? rename it to that"
                )
            };
            Some(Problem {
                file: dir.join(name).display().to_string(),
                line: None,
                column: None,
                message,
            })
        })
        .collect()
}

/// The file guardia reads that `name` was most likely meant to be, when
/// `name` is a TOML file (or nearly: `.tml`) that is none of them.
fn meant_name(name: &str) -> Option<&'static str> {
    let known = DEFAULT_FILES
        .iter()
        .map(|(n, _)| *n)
        .chain(std::iter::once(KEYMAP));
    if name.starts_with('.') || known.clone().any(|k| k == name) {
        return None;
    }
    let (stem, ext) = name.rsplit_once('.')?;
    // `.toml` misspelt or in capitals; a backup's `.bak`, `.orig`, `~` is
    // no TOML extension, so backups are never named.
    if !ext.chars().all(|c| c.is_ascii_alphabetic()) || distance(&ext.to_lowercase(), "toml") > 1 {
        return None;
    }
    let stem = stem.to_lowercase();
    known
        .map(|k| (k, k.trim_end_matches(".toml")))
        .map(|(k, known_stem)| (k, known_stem, distance(&stem, known_stem)))
        // One slip in a short name (`sla`), two in a longer one.
        .filter(|(_, known_stem, d)| *d <= if known_stem.len() <= 5 { 1 } else { 2 })
        .min_by_key(|(_, _, d)| *d)
        .map(|(k, _, _)| k)
}

/// How many letters to insert, delete, change or swap with the next one to
/// turn `a` into `b` (optimal string alignment distance).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misnamed_files_are_matched_to_the_file_meant() {
        for (name, meant) in [
            ("service.toml", "services.toml"),
            ("guardia.tml", "guardia.toml"),
            ("operator.toml", "operators.toml"),
            ("Workflows.toml", "workflows.toml"),
            ("calendar.TOML", "calendars.toml"),
            ("keymaps.toml", "keymap.toml"),
            ("sal.toml", "sla.toml"),
        ] {
            assert_eq!(meant_name(name), Some(meant), "{name}");
        }
    }

    #[test]
    fn files_that_belong_in_the_folder_are_left_alone() {
        for name in [
            "services.toml",
            "keymap.toml",
            "holidays.toml",
            "README",
            "README.md",
            "services.toml.bak",
            "sla.toml~",
            ".workflows.toml.swp",
            "services.toml.orig",
            "notes.txt",
            "service.txt",
        ] {
            assert_eq!(meant_name(name), None, "{name}");
        }
    }

    #[test]
    fn a_misnamed_file_is_warned_about_with_the_name_meant() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "service.toml",
            "README",
            "sla.toml",
            "operators.toml",
            "operator.toml",
        ] {
            std::fs::write(dir.path().join(name), "").expect("write");
        }
        let found = stray_files(dir.path());
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].ends_with("operator.toml: warning: guardia does not read this file (did you mean operators.toml? that one is read, beside it); merge what it holds into operators.toml and remove it"),
            "{shown:?}"
        );
        assert!(
            shown[1].ends_with("service.toml: warning: guardia does not read this file, so the built-in services.toml is in force; did you mean services.toml? rename it to that"),
            "{shown:?}"
        );
    }
}
