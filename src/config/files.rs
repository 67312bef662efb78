//! Reading the configuration folder and its files (the twelve and
//! `keymap.toml` alike). Something that is there but cannot be used is an
//! error saying what to do, never a reason to fall back to the built-in
//! file: the built-in operators list no `logins`, so a silent fallback would
//! undo the identity rules of a shared host. Only a path where nothing
//! exists at all means "the built-in files", and only for the default
//! folder: a folder named with `--config` or `GUARDIA_CONFIG` must exist.

use super::Problem;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

fn problem(path: &Path, line: Option<usize>, message: String) -> Problem {
    Problem {
        file: path.display().to_string(),
        line,
        column: None,
        message,
    }
}

/// Whether the configuration folder `dir` is there: `Ok(false)` when
/// nothing exists at that path (the built-in files apply), `Ok(true)` for a
/// folder whose files can be looked up, the problem otherwise.
pub fn folder_present(dir: &Path) -> Result<bool, Problem> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(problem(
                dir,
                None,
                "is a file, not a folder; name the folder that holds guardia.toml and the other files".into(),
            ));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // A link to nowhere is a folder the user meant, not a missing one.
            return match dir.symlink_metadata() {
                Ok(_) => Err(problem(
                    dir,
                    None,
                    "is a link to a folder that does not exist; fix the link, or remove it to use the built-in files".into(),
                )),
                Err(_) => Ok(false),
            };
        }
        Err(e) => return Err(problem(dir, None, folder_message(&e))),
    }
    // Looking a file up needs search permission on the folder, which reading
    // the folder's own metadata does not: `dir/.` is resolved inside it.
    match std::fs::metadata(dir.join(".")) {
        Ok(_) => Ok(true),
        Err(e) => Err(problem(dir, None, folder_message(&e))),
    }
}

/// A configuration folder named with `--config` or `GUARDIA_CONFIG` where
/// nothing exists: a typo in the name must not quietly run every command on
/// the built-in files (their example operators, their timers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the configuration folder {shown} (named by --config or GUARDIA_CONFIG) does not exist; check the path for a typo, or create the folder (`mkdir -p {shown}`, then `guardia config print-default NAME > {shown}/NAME` for each file to change), or leave --config and GUARDIA_CONFIG out to use the default folder",
    shown = crate::text::sanitize_line(&.path.display().to_string())
)]
pub struct MissingFolder {
    pub path: PathBuf,
}

/// Refuses a named configuration folder where nothing exists. Anything
/// else is left to [`super::Config::load`], which says what is wrong with a
/// folder that is there but cannot be used. `init` creates the folder, so
/// it does not ask.
pub fn named_folder_exists(dir: &Path) -> Result<(), MissingFolder> {
    match folder_present(dir) {
        Ok(false) => Err(MissingFolder { path: dir.into() }),
        Ok(true) | Err(_) => Ok(()),
    }
}

/// Why the configuration folder cannot be used (anything but "it does not
/// exist", which means the built-in files), and what to do about it.
pub fn folder_message(e: &std::io::Error) -> String {
    let elsewhere = "or name another folder with --config or GUARDIA_CONFIG";
    match e.kind() {
        ErrorKind::PermissionDenied => format!(
            "cannot read this configuration folder: permission denied; give your account read and search access to it and to the folders above it, {elsewhere}"
        ),
        ErrorKind::NotADirectory => format!(
            "cannot read this configuration folder: a part of its path is a file, not a folder; fix the path, {elsewhere}"
        ),
        _ => format!(
            "cannot read this configuration folder: {}; fix it, {elsewhere}",
            crate::text::sanitize_line(&e.to_string())
        ),
    }
}

/// Why a configuration file could not be read, and what to do about it.
pub fn file_message(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => {
            "is a link to a file that does not exist; fix the link or remove it to use the built-in file".into()
        }
        ErrorKind::IsADirectory => "is a folder; it must be a TOML file".into(),
        ErrorKind::PermissionDenied => {
            "cannot read the file: permission denied; give your account read access to it".into()
        }
        _ => format!(
            "cannot read the file: {}; check its permissions",
            crate::text::sanitize_line(&e.to_string())
        ),
    }
}

/// The text of the configuration file at `path`: `Ok(None)` when nothing
/// exists there (the built-in file applies), the problem when something
/// does but is not a readable UTF-8 text file.
pub fn read_file(path: &Path) -> Result<Option<String>, Problem> {
    match path.symlink_metadata() {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(problem(path, None, file_message(&e))),
    }
    // Opened without blocking, so that a FIFO cannot hang every command;
    // what the opened thing is is asked of the open file itself, so nothing
    // can be swapped in between the check and the read.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| problem(path, None, file_message(&e)))?;
    let meta = file
        .metadata()
        .map_err(|e| problem(path, None, file_message(&e)))?;
    if meta.is_dir() {
        return Err(problem(
            path,
            None,
            "is a folder; it must be a TOML file".into(),
        ));
    }
    if !meta.is_file() {
        return Err(problem(
            path,
            None,
            "is not a regular file (a pipe, socket or device); it must be a TOML file".into(),
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| problem(path, None, file_message(&e)))?;
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        problem(
            path,
            Some(line),
            "is not UTF-8 text; save it as UTF-8 (the editor's encoding setting)".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Error;

    /// Root reads every folder, so the permission case is checked on the
    /// classification itself: only "does not exist" may mean built-in files.
    #[test]
    fn an_unusable_folder_is_named_with_what_to_do() {
        let denied = folder_message(&Error::from(ErrorKind::PermissionDenied));
        assert!(
            denied.starts_with("cannot read this configuration folder: permission denied;"),
            "{denied}"
        );
        assert!(denied.contains("--config"), "{denied}");
        let file_in_path = folder_message(&Error::from(ErrorKind::NotADirectory));
        assert!(
            file_in_path.contains("a part of its path is a file"),
            "{file_in_path}"
        );
    }

    #[test]
    fn only_a_path_where_nothing_exists_means_the_built_in_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(folder_present(&dir.path().join("none")), Ok(false));
        assert_eq!(folder_present(&dir.path().join("none/deeper")), Ok(false));
        assert_eq!(folder_present(dir.path()), Ok(true));
        let file = dir.path().join("f.toml");
        std::fs::write(&file, "x = 1\n").expect("write");
        let below_a_file = folder_present(&file.join("cfg")).expect_err("ENOTDIR");
        assert!(
            below_a_file
                .message
                .contains("a part of its path is a file")
        );
        let a_file = folder_present(&file).expect_err("a file");
        assert!(a_file.message.contains("is a file, not a folder"));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("gone"), &link).expect("link");
        let dangling = folder_present(&link).expect_err("dangling");
        assert!(
            dangling
                .message
                .contains("link to a folder that does not exist")
        );
        assert_eq!(read_file(&dir.path().join("none.toml")), Ok(None));
        let missing = named_folder_exists(&dir.path().join("cfg-typo")).expect_err("missing");
        assert!(
            missing.to_string().contains("cfg-typo (named by --config or GUARDIA_CONFIG) does not exist; check the path for a typo"),
            "{missing}"
        );
        assert_eq!(named_folder_exists(dir.path()), Ok(()));
        assert_eq!(read_file(&file), Ok(Some("x = 1\n".into())));
        let under_a_file = read_file(&file.join("guardia.toml")).expect_err("ENOTDIR");
        assert!(under_a_file.message.starts_with("cannot read the file"));
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("guardia.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let err = read_file(&fifo).expect_err("a FIFO");
        assert!(err.message.contains("is not a regular file"), "{err}");
    }

    #[test]
    fn a_file_in_another_encoding_is_named_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("escalation.toml");
        std::fs::write(&path, b"# ok\n# Escalaci\xf3n\n").expect("write");
        let err = read_file(&path).expect_err("latin-1");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("is not UTF-8 text"), "{err}");
    }
}
