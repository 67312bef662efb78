//! Transports: a shared folder (a network drive, a USB stick, Syncthing)
//! and a git repository driven through the user's own `git`. Each site
//! writes only its own directory of immutable, content-checked files, so
//! neither a folder nor a git merge ever sees two writers on one file.
//!
//! ```text
//! <root>/<dataset>/keys/<site id>.pub
//! <root>/<dataset>/sites/<site id>/<CODE>-<from>-<to>-<id>.gdb
//! ```

use super::sync::{Destination, ExportReport, ImportReport, Target};
use super::{App, AppError};
use crate::sync::SyncError;
use crate::sync::keys::KeyFile;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FolderReport {
    pub folder: String,
    pub exported: Option<ExportReport>,
    pub imported: Vec<ImportReport>,
    /// Sites whose key is in the folder but not trusted here yet.
    pub untrusted: Vec<String>,
    /// Files refused, with why (the rest of the folder was still synced).
    pub refused: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitReport {
    pub repository: String,
    pub clone: String,
    pub branch: String,
    #[serde(flatten)]
    pub folder: FolderReport,
    pub committed: bool,
    pub pushed: bool,
    /// Pushes the remote rejected (someone pushed first) before one landed.
    pub push_retries: u32,
}

/// Names starting with these are temporary or hidden (our own `.x.tmp`,
/// editors' and Syncthing's).
fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('~')
}

fn io_err(path: &Path, cause: std::io::Error) -> AppError {
    SyncError::Io {
        file: path.display().to_string(),
        cause,
    }
    .into()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    // A failure names the file, not its temporary name.
    let failed = |e| AppError::from(crate::sync::format::write_failed(path, e));
    let written = std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(failed);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

impl App {
    /// Exports this site's new changes into `dir` and imports every bundle
    /// of other sites not imported yet. Files that fail their checks are
    /// reported and skipped; the rest of the folder still syncs.
    pub fn sync_folder(&mut self, dir: &Path, by: &str) -> Result<FolderReport, AppError> {
        // Never created here: a share that is not mounted, or a typo, would
        // otherwise "sync" into a local directory nobody else reads.
        if !dir.is_dir() {
            return Err(AppError::Invalid(if dir.exists() {
                format!(
                    "{} is a file, not a folder; name the shared folder to sync through, or import a bundle file with `guardia sync import {}`",
                    dir.display(),
                    dir.display()
                )
            } else {
                format!(
                    "no folder at {}; if it is a shared drive, check that it is mounted; if it is new, create it first (mkdir)",
                    dir.display()
                )
            }));
        }
        let site = self.store.site().clone();
        let root = dir.join(&site.dataset_id);
        let keys_dir = root.join("keys");
        let own_dir = root.join("sites").join(&site.site_id);
        for d in [&keys_dir, &own_dir] {
            std::fs::create_dir_all(d).map_err(|e| io_err(d, e))?;
        }
        let mut report = FolderReport {
            folder: root.display().to_string(),
            ..Default::default()
        };
        // Our key, for others to trust; theirs, noted as pending.
        let key = self.key_file()?;
        let key_path = keys_dir.join(format!("{}.pub", site.site_id));
        let key_text = serde_json::to_string_pretty(&key).unwrap_or_default() + "\n";
        if std::fs::read_to_string(&key_path).ok().as_deref() != Some(key_text.as_str()) {
            write_atomically(&key_path, key_text.as_bytes())?;
        }
        for path in sorted_entries(&keys_dir)? {
            if path.extension().is_none_or(|e| e != "pub") {
                continue;
            }
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| io_err(&path, e))
                .and_then(|t| Ok(KeyFile::parse(&t, &path)?));
            match parsed {
                Ok(k) => {
                    if let Some(s) = self.note_key(&k)?
                        && s.trust == crate::store::sync::trust::PENDING
                    {
                        report.untrusted.push(format!(
                            "{} (key fingerprint {}): run `guardia sync trust {}` once its operator confirms the fingerprint",
                            s.code,
                            crate::sync::keys::fingerprint(&k.key),
                            s.code
                        ));
                    }
                }
                Err(e) => report.refused.push(refusal(&relative(&root, &path), e)),
            }
        }
        // Everyone's bundles, each site's in order.
        let sites_dir = root.join("sites");
        for site_dir in sorted_entries(&sites_dir)? {
            if !site_dir.is_dir() || site_dir == own_dir {
                continue;
            }
            let mut files: Vec<PathBuf> = sorted_entries(&site_dir)?
                .into_iter()
                .filter(|p| {
                    p.extension().is_some_and(|e| e == "gdb")
                        && p.file_name()
                            .is_some_and(|n| !is_hidden(&n.to_string_lossy()))
                })
                .collect();
            files.sort_by_key(|p| first_seq(p));
            for file in files {
                let name = relative(&root, &file);
                if self.reader().imported_file(&name)? {
                    continue;
                }
                match self.import_as(&file, &name, by) {
                    Ok(r) => report.imported.push(r),
                    Err(AppError::Sync(SyncError::Exporter { revoked: false, .. })) => {
                        // Waits for an operator to trust its site: not an error.
                    }
                    Err(AppError::Sync(SyncError::Exporter { revoked: true, .. })) => {
                        // A revoked site's files stay in the folder: left
                        // alone (not recorded, so trusting the site again
                        // imports them), not reported as damaged each time.
                    }
                    Err(e) => report.refused.push(refusal(&name, e)),
                }
            }
        }
        // A file in our own directory that we did not write means another
        // database uses this site's identity: checked before writing ours,
        // so a forked database publishes nothing.
        let mut forked = false;
        for file in sorted_entries(&own_dir)? {
            let fname = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if is_hidden(&fname) || file.extension().is_none_or(|e| e != "gdb") {
                continue;
            }
            let name = relative(&root, &file);
            if !self.reader().imported_file(&name)?
                && let Err(e) = self.import_as(&file, &name, by)
            {
                forked = true;
                report.refused.push(refusal(&name, e));
            }
        }
        if forked {
            return Ok(report);
        }
        // Ours, if there is anything new. The cursor is per folder, so a
        // second folder gets everything too.
        let place = root.canonicalize().unwrap_or_else(|_| root.clone());
        let target = Target::Cursor(folder_cursor(&place));
        if let Some(exported) =
            self.export(&Destination::Dir(own_dir.clone()), &target, false, true)?
        {
            let name = relative(&root, Path::new(&exported.file));
            self.record_bundle(&exported.sha256, &name, by)?;
            report.exported = Some(exported);
        }
        Ok(report)
    }

    /// Syncs through a git repository: a clone kept next to the database
    /// on branch `branch`; pull, import, export, commit, push, and on a
    /// rejected push (someone pushed first) pull and push again.
    pub fn sync_git(&mut self, repo: &str, branch: &str, by: &str) -> Result<GitReport, AppError> {
        let clone = self.git_clone_dir(repo);
        let git = Git { dir: clone.clone() };
        if !clone.join(".git").exists() {
            if let Some(parent) = clone.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            }
            Git::run_in(
                None,
                &[
                    "clone",
                    "--quiet",
                    "--no-checkout",
                    repo,
                    &clone.to_string_lossy(),
                ],
            )?;
        }
        git.run(&["fetch", "--quiet", "origin"])?;
        let remote_branch = format!("origin/{branch}");
        let has_remote = git.ok(&["rev-parse", "--verify", "--quiet", &remote_branch]);
        let has_local = git.ok(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ]);
        if !has_local {
            if has_remote {
                git.run(&["checkout", "--quiet", "-b", branch, &remote_branch])?;
            } else {
                git.run(&["checkout", "--quiet", "--orphan", branch])?;
                let _ = git.run(&["rm", "-r", "--quiet", "--cached", "--ignore-unmatch", "."]);
            }
        } else {
            git.run(&["checkout", "--quiet", branch])?;
        }
        let attributes = clone.join(".gitattributes");
        if !attributes.exists() {
            std::fs::write(&attributes, "*.gdb binary\n*.pub text eol=lf\n")
                .map_err(|e| io_err(&attributes, e))?;
        }
        if has_remote {
            git.merge(&remote_branch)?;
        }
        let mut folder = self.sync_folder(&clone, by)?;
        git.run(&["add", "-A"])?;
        let committed = !git.ok(&["diff", "--cached", "--quiet"]);
        if committed {
            let code = self.store.site().code.clone();
            let msg = match &folder.exported {
                // The ranges name their origins; the author names this site.
                Some(e) => format!("guardia: {}", describe(&e.contains)),
                None => format!("guardia: {code} keys"),
            };
            git.commit(&msg, &code)?;
        }
        let mut pushed = false;
        let mut push_retries = 0;
        let ahead = !git.ok(&["diff", "--quiet", &remote_branch, "HEAD"]) || !has_remote;
        if committed || ahead {
            loop {
                if git.ok(&[
                    "push",
                    "--quiet",
                    "origin",
                    &format!("HEAD:refs/heads/{branch}"),
                ]) {
                    pushed = true;
                    break;
                }
                push_retries += 1;
                if push_retries > 5 {
                    return Err(AppError::Invalid(format!(
                        "git push to {repo} was rejected {push_retries} times (others keep pushing, or you may not push there); nothing is lost: run `guardia sync git` again"
                    )));
                }
                git.run(&["fetch", "--quiet", "origin"])?;
                git.merge(&remote_branch)?;
                // What arrived with the merge is imported before pushing again.
                let again = self.sync_folder(&clone, by)?;
                folder.imported.extend(again.imported);
                folder.refused.extend(again.refused);
                git.run(&["add", "-A"])?;
                if !git.ok(&["diff", "--cached", "--quiet"]) {
                    let code = self.store.site().code.clone();
                    git.commit(&format!("guardia: {code} keys"), &code)?;
                }
            }
        }
        Ok(GitReport {
            repository: repo.to_string(),
            clone: clone.display().to_string(),
            branch: branch.to_string(),
            folder,
            committed,
            pushed,
            push_retries,
        })
    }

    /// Where the clone of `repo` lives: next to the database, one per repository.
    fn git_clone_dir(&self, repo: &str) -> PathBuf {
        use sha2::{Digest, Sha256};
        let id = hex::encode(&Sha256::digest(repo.as_bytes())[..6]);
        let db = self.store.path();
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        db.with_file_name(format!("{name}.sync"))
            .join(format!("git-{id}"))
    }
}

fn describe(contains: &std::collections::BTreeMap<String, Vec<[i64; 2]>>) -> String {
    contains
        .iter()
        .map(|(code, ranges)| {
            let r: Vec<String> = ranges.iter().map(|[a, b]| format!("{a}-{b}")).collect();
            format!("{code} seq {}", r.join(","))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The export cursor of a shared folder: `folder:<path>` while the path is
/// text (as databases already hold it), else `folder-bytes:<hex of its
/// bytes>`, so two paths that differ only in bytes that are not text never
/// share one cursor (a lossy form would turn both into U+FFFD).
fn folder_cursor(place: &Path) -> String {
    match place.to_str() {
        Some(text) => format!("folder:{text}"),
        None => format!(
            "folder-bytes:{}",
            hex::encode(place.as_os_str().as_encoded_bytes())
        ),
    }
}

/// A file a folder sync refused, as its report lists it: named by its
/// place inside the folder, like the imports, and "refused" said once (by
/// whoever prints the list).
fn refusal(name: &str, e: AppError) -> String {
    let why = match e {
        AppError::Sync(SyncError::Refused { reason, .. })
        | AppError::Sync(SyncError::Exporter { reason, .. }) => reason,
        AppError::Sync(SyncError::Io { cause, .. }) => format!("cannot be read ({cause})"),
        other => other.to_string(),
    };
    format!("{name}: {why} (skipped; tried again at the next sync)")
}

fn first_seq(p: &Path) -> i64 {
    p.file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.split('-').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(i64::MAX)
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, AppError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(dir, e)),
    };
    for e in entries {
        out.push(e.map_err(|e| io_err(dir, e))?.path());
    }
    out.sort();
    Ok(out)
}

/// The user's `git`, run in the clone.
struct Git {
    dir: PathBuf,
}

impl Git {
    fn run_in(dir: Option<&Path>, args: &[&str]) -> Result<String, AppError> {
        let mut cmd = Command::new("git");
        if let Some(d) = dir {
            cmd.arg("-C").arg(d);
        }
        let out = cmd.args(args).output().map_err(|e| {
            AppError::Invalid(format!(
                "cannot run git ({e}); install git, or sync through a shared folder with `guardia sync folder`"
            ))
        })?;
        if !out.status.success() {
            return Err(AppError::Invalid(format!(
                "`git {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn run(&self, args: &[&str]) -> Result<String, AppError> {
        Self::run_in(Some(&self.dir), args)
    }

    fn ok(&self, args: &[&str]) -> bool {
        Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Files are disjoint between sites, so the merge never conflicts.
    fn merge(&self, branch: &str) -> Result<(), AppError> {
        self.with_identity(
            &[
                "merge",
                "--quiet",
                "--no-edit",
                "--allow-unrelated-histories",
                branch,
            ],
            "guardia",
        )
        .map(drop)
    }

    fn commit(&self, msg: &str, code: &str) -> Result<(), AppError> {
        self.with_identity(&["commit", "--quiet", "-m", msg], code)
            .map(drop)
    }

    /// Runs with the user's git identity, or a neutral one when none is set.
    fn with_identity(&self, args: &[&str], code: &str) -> Result<String, AppError> {
        if self.ok(&["config", "user.email"]) {
            return self.run(args);
        }
        let name = format!("user.name=guardia {code}");
        let email = format!("user.email={}@guardia.invalid", code.to_lowercase());
        let mut full = vec!["-c", &name, "-c", &email];
        full.extend_from_slice(args);
        self.run(&full)
    }
}
