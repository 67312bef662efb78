//! The configuration files under the console's feet: the console reads
//! them once, at the start, and an administrator may edit them while it
//! runs (a state removed from workflows.toml, a new priority). The worker
//! compares them with what they were every few seconds; once they differ,
//! the console says so and the worker refuses changes to the database
//! (and stops firing workflow timers), which would otherwise be checked
//! against rules no longer in force. Restarting the console reads the new
//! files (and reports their problems, if any, before the screen switches).
//! Reloading in place is not attempted: panes, filters, drafts and the
//! keymap all hold ids of the old configuration.

use crate::config::{DEFAULT_FILES, Lang};
use crate::tui::msg::{Reply, Request, WriteOp};
use std::path::PathBuf;
use std::time::Duration;

/// How often the files are compared: a few small files read, cheap, and
/// soon enough for an edit to be noticed before the next change is made.
pub const EVERY: Duration = Duration::from_secs(2);

/// The keymap is read from the same folder.
const KEYMAP: &str = "keymap.toml";

/// The configuration folder and what each of its files held at the start
/// (`None`: absent, the built-in one applies).
#[derive(Debug, Clone)]
pub struct ConfigWatch {
    dir: PathBuf,
    start: Vec<(String, Option<Vec<u8>>)>,
}

impl ConfigWatch {
    /// What the files of `dir` hold now, as the reference.
    pub fn start(dir: PathBuf) -> ConfigWatch {
        let start = read_all(&dir);
        ConfigWatch { dir, start }
    }

    /// The files whose content differs from the start (one that appeared
    /// or went away included), in the order the configuration lists them.
    /// A file that was written but holds the same bytes has not changed.
    pub fn changed(&self) -> Vec<String> {
        read_all(&self.dir)
            .into_iter()
            .zip(&self.start)
            .filter(|((_, now), (_, then))| now != then)
            .map(|((name, _), _)| name)
            .collect()
    }
}

fn names() -> impl Iterator<Item = &'static str> {
    DEFAULT_FILES
        .iter()
        .map(|(name, _)| *name)
        .chain(std::iter::once(KEYMAP))
}

fn read_all(dir: &std::path::Path) -> Vec<(String, Option<Vec<u8>>)> {
    names()
        .map(|name| (name.to_string(), std::fs::read(dir.join(name)).ok()))
        .collect()
}

/// The refusal the worker answers `req` with while `changed` lists files
/// that differ from the start: a change to the database, or a sync (which
/// imports changes). `None`: carry it out (reads, and writing a dossier
/// to a file, go ahead).
pub fn refusal(changed: &[String], lang: Lang, req: &Request) -> Option<Reply> {
    if changed.is_empty() {
        return None;
    }
    let files = changed.join(", ");
    let message = match lang {
        Lang::Es => format!(
            "nada se guardó: la configuración cambió en disco ({files}) desde que se abrió la consola; salga (q) y abra guardia de nuevo para trabajar con ella"
        ),
        Lang::En => format!(
            "nothing was saved: the configuration changed on disk ({files}) since the console started; quit (q) and start guardia again to work with it"
        ),
    };
    match req {
        Request::Write(op) if !matches!(op, WriteOp::WriteDossier { .. }) => Some(Reply::Written {
            result: Err(message),
            key: None,
            refused: op.keys(),
            op: Box::new(op.clone()),
        }),
        Request::Sync(_) => Some(Reply::Job {
            label: String::new(),
            done: Some(Err(message)),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_is_seen_and_undoing_it_is_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let wf = dir.path().join("workflows.toml");
        std::fs::write(&wf, "# v1\n").expect("write");
        let w = ConfigWatch::start(dir.path().to_path_buf());
        assert!(w.changed().is_empty());
        // The same bytes written again are no change.
        std::fs::write(&wf, "# v1\n").expect("write");
        assert!(w.changed().is_empty());
        std::fs::write(&wf, "# v2\n").expect("write");
        assert_eq!(w.changed(), vec!["workflows.toml".to_string()]);
        // A file that appears is a change too (it replaces a built-in one).
        std::fs::write(dir.path().join(KEYMAP), "").expect("write");
        assert_eq!(w.changed().len(), 2);
        std::fs::write(&wf, "# v1\n").expect("write");
        std::fs::remove_file(dir.path().join(KEYMAP)).expect("remove");
        assert!(w.changed().is_empty());
    }

    #[test]
    fn writes_are_refused_and_reads_go_ahead_once_changed() {
        let changed = vec!["workflows.toml".to_string()];
        let write = Request::Write(WriteOp::Comment {
            key: "BOG-1".into(),
            body: "hola".into(),
        });
        match refusal(&changed, Lang::Es, &write) {
            Some(Reply::Written {
                result: Err(m),
                refused,
                ..
            }) => {
                assert!(m.contains("workflows.toml"), "{m}");
                assert!(m.starts_with("nada se guardó"), "{m}");
                assert_eq!(refused, vec!["BOG-1".to_string()]);
            }
            other => panic!("not refused: {other:?}"),
        }
        let read = Request::Detail {
            generation: 1,
            key: "BOG-1".into(),
        };
        assert!(refusal(&changed, Lang::En, &read).is_none());
        let write = Request::Write(WriteOp::Comment {
            key: "BOG-1".into(),
            body: "x".into(),
        });
        assert!(refusal(&[], Lang::En, &write).is_none());
    }
}
