//! Transports: a shared folder (a network drive, a USB stick, Syncthing)
//! and a git repository driven through the user's own `git`. Each site
//! writes only its own directory of immutable, content-checked files, so
//! neither a folder nor a git merge ever sees two writers on one file; a
//! git sync commits this site's own files and nothing else in its clone.
//! Two syncs of one database through one folder or clone take turns (a
//! lock beside the database), so nothing is exported twice and git never
//! sees two of them in one clone. A site with nothing new of its own still
//! publishes its acknowledgements when they grew, in a bundle without
//! changesets that its next bundle supersedes (and removes).
//!
//! ```text
//! <root>/<dataset>/keys/<site id>.pub
//! <root>/<dataset>/sites/<site id>/<CODE>-<from>-<to>-<id>.gdb
//! ```

use super::sync::{Destination, ExportReport, ImportReport, Target};
use super::{App, AppError};
use crate::config::Lang;
use crate::store::ApplyMode;
use crate::store::sync::{SiteRow, trust};
use crate::sync::SyncError;
use crate::sync::keys::KeyFile;
use crate::sync::words::{self, CodeClash, GitClone, Pending, Withheld};
use serde::Serialize;
use std::ffi::OsStr;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default, Serialize)]
pub struct FolderReport {
    pub folder: String,
    pub exported: Option<ExportReport>,
    pub imported: Vec<ImportReport>,
    /// Sites whose key is in the folder but not trusted here yet (in
    /// English; `pending` says the same in facts, for other languages).
    pub untrusted: Vec<String>,
    /// Files refused, with why (the rest of the folder was still synced).
    pub refused: Vec<String>,
    /// Why this site's changes were not exported, when they were withheld:
    /// its own directory holds a file this database did not write.
    pub withheld: Option<String>,
    /// The sites of `untrusted`.
    #[serde(skip)]
    pub pending: Vec<Pending>,
    /// The facts of `withheld`.
    #[serde(skip)]
    pub withheld_why: Option<Withheld>,
    /// This site's earlier bundles of acknowledgements only, removed from
    /// its directory because a newer bundle says more (named inside the
    /// folder; a git sync removes them from the branch).
    #[serde(skip)]
    pub superseded: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitReport {
    pub repository: String,
    pub clone: String,
    pub branch: String,
    #[serde(flatten)]
    pub folder: FolderReport,
    /// Files of the branch found changed or removed in the clone, put back
    /// as the branch has them before the sync.
    pub restored: Vec<String>,
    /// Those of `restored` that had been deleted (the others were changed).
    pub restored_deleted: Vec<String>,
    /// Files of this site's directory that this database did not write,
    /// deleted in the clone by an operator (a forked database's, as the
    /// withheld export asks): removed from the branch, not put back.
    pub removed: Vec<String>,
    pub committed: bool,
    pub pushed: bool,
    /// Pushes the remote rejected (someone pushed first) before one landed.
    pub push_retries: u32,
    /// Why the sync stopped after the folder cycle (a push rejected too
    /// often, a git command that failed). What `folder` lists was done: the
    /// imports stay, and this site's changes wait in the clone.
    pub error: Option<String>,
}

/// Pushes tried before a sync through git gives up.
const PUSH_TRIES: u32 = 6;

/// How long a sync waits for another sync of the same database through
/// the same folder or repository: as long as a write waits for another
/// process (the store's write patience).
const SYNC_PATIENCE: Duration = Duration::from_secs(60);

/// A sync's turn at a folder or a clone for one database: an exclusive
/// `flock` on a file beside the database. The kernel releases it when the
/// file is closed, so also when the process is killed: a lock file left
/// behind never blocks the next sync.
struct SyncLock {
    _file: Option<std::fs::File>,
}

impl SyncLock {
    /// Takes the lock of `path`, waiting while another process holds it
    /// (`waiting` is called once, when the wait starts); `busy` is the
    /// error once it has waited [`SYNC_PATIENCE`].
    fn take(
        path: &Path,
        waiting: impl FnOnce(),
        busy: impl FnOnce() -> AppError,
    ) -> Result<SyncLock, AppError> {
        let mut waiting = Some(waiting);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        let started = Instant::now();
        loop {
            // SAFETY: flock only acts on the descriptor, which `file` keeps
            // open for as long as the call runs.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(SyncLock { _file: Some(file) });
            }
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                // Polled rather than blocking, so the wait has an end.
                Some(libc::EWOULDBLOCK) if started.elapsed() < SYNC_PATIENCE => {
                    if let Some(tell) = waiting.take() {
                        tell();
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Some(libc::EWOULDBLOCK) => return Err(busy()),
                Some(libc::EINTR) => {}
                // A filesystem without locks must not stop every sync:
                // the sync runs unguarded, as it did before locks, and at
                // worst sends changes twice (importing them twice is
                // harmless).
                Some(libc::ENOLCK | libc::EOPNOTSUPP) => return Ok(SyncLock { _file: None }),
                _ => return Err(io_err(path, e)),
            }
        }
    }
}

/// Names starting with these are temporary or hidden (our own `.x.tmp`,
/// editors' and Syncthing's).
fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('~')
}

/// Whether `path` is named as a bundle of a shared folder: `*.gdb`, not
/// hidden.
fn is_bundle_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gdb")
        && path
            .file_name()
            .is_some_and(|n| !is_hidden(&n.to_string_lossy()))
}

fn io_err(path: &Path, cause: std::io::Error) -> AppError {
    SyncError::Io {
        file: path.display().to_string(),
        cause,
    }
    .into()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let tmp = crate::sync::format::temporary_beside(
        path.parent(),
        &path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
    );
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

/// What a refused file of a folder waits for.
const RETRIED: &str = "skipped; tried again at the next sync";
const KEY_SKIPPED: &str = "key not recorded";

impl App {
    /// Exports this site's new changes into `dir` and imports every bundle
    /// of other sites not imported yet. Files that fail their checks are
    /// reported and skipped; the rest of the folder still syncs. Waits
    /// while another sync of this database through `dir` runs.
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
        self.refuse_read_only()?;
        let place = dir.canonicalize().map_err(|e| io_err(dir, e))?;
        let id = short_hash(place.as_os_str().as_encoded_bytes());
        let _turn = self.sync_turn(
            &format!("folder-{id}"),
            &format!("the folder {}", dir.display()),
        )?;
        self.folder_cycle(dir, by)
    }

    /// One cycle of a folder sync in `dir`, which exists; the caller holds
    /// the lock of `dir` (or of the clone it is).
    fn folder_cycle(&mut self, dir: &Path, by: &str) -> Result<FolderReport, AppError> {
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
        let mut pending = Vec::new();
        for path in sorted_entries(&keys_dir)? {
            if path.extension().is_none_or(|e| e != "pub") {
                continue;
            }
            // The checks of `sync trust FILE`: a key file it would refuse
            // is reported and not recorded.
            let noted = std::fs::read_to_string(&path)
                .map_err(|e| io_err(&path, e))
                .and_then(|t| Ok(KeyFile::parse(&t, &path)?))
                .and_then(|k| self.note_key(&k, &path));
            match noted {
                Ok(Some(s)) if s.trust == trust::PENDING => pending.push(s),
                Ok(_) => {}
                Err(e @ AppError::Sync(SyncError::Refused { .. } | SyncError::Io { .. })) => {
                    report
                        .refused
                        .push(refusal(&relative(&root, &path), e, KEY_SKIPPED));
                }
                Err(e) => return Err(e),
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
                .filter(|p| is_bundle_name(p))
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
                    Err(e) => report.refused.push(refusal(&name, e, RETRIED)),
                }
            }
        }
        // Said once the bundles are in: a pending site whose code this
        // database uses is told apart by what the sites trusted here hold.
        if !pending.is_empty() {
            report.pending = self.pending_sites(&pending)?;
            report.untrusted = report
                .pending
                .iter()
                .map(|p| words::untrusted(Lang::En, p))
                .collect();
        }
        // A file in our own directory that we did not write means another
        // database may use this site's identity: checked before writing
        // ours, so a forked database publishes nothing. Syncing again does
        // not settle that, so no retry is promised.
        let mut foreign = Vec::new();
        let mut forked = false;
        for file in sorted_entries(&own_dir)? {
            if !is_bundle_name(&file) {
                continue;
            }
            let name = relative(&root, &file);
            if !self.reader().imported_file(&name)?
                && let Err(e) = self.import_as(&file, &name, by)
            {
                forked |= self.signed_by_this_site(&file)?;
                report.refused.push(refusal(&name, e, ""));
                foreign.push(name);
            }
        }
        if !foreign.is_empty() {
            let why = Withheld {
                code: site.code.clone(),
                files: foreign,
                forked,
                git: None,
            };
            report.withheld = Some(words::withheld(Lang::En, &why));
            report.withheld_why = Some(why);
            return Ok(report);
        }
        // Ours, if there is anything new. The cursor is per folder, so a
        // second folder gets everything too, and it follows what this
        // site's directory holds: a folder emptied, or a git branch that
        // never got a bundle (one clone serves every branch), gets it again.
        let place = root.canonicalize().unwrap_or_else(|_| root.clone());
        let cursor = folder_cursor(&place);
        let held = self.own_changes_in(&root, &own_dir)?;
        self.reset_own_cursor(&cursor, held)?;
        // What the other sites were last told this site holds: when it
        // holds more now (it imported something) and has nothing new of
        // its own, a bundle of acknowledgements alone goes out, so their
        // `has ours up to` does not stay behind.
        let acks = format!("acks:{cursor}");
        let acked = self.acks_behind(&acks)?;
        let target = Target::Cursor(cursor);
        if let Some(exported) = self.export(
            &Destination::Dir(own_dir.clone()),
            &target,
            false,
            acked.is_none(),
        )? {
            let name = relative(&root, Path::new(&exported.file));
            self.record_bundle(&exported.sha256, &name, by)?;
            self.note_acks(&acks, acked)?;
            report.superseded = self.remove_superseded_acks(&root, &own_dir, &name)?;
            report.exported = Some(exported);
        }
        Ok(report)
    }

    /// What this site holds of each origin from seq 1 without a gap (what
    /// a bundle's `knows` says), if it is more than the acknowledgements
    /// cursor `acks` says was published; `None` when nothing is new.
    fn acks_behind(&self, acks: &str) -> Result<Option<Vec<(i64, i64)>>, AppError> {
        let r = self.reader();
        let own = self.store.site().no;
        let published = r.export_cursor(acks)?;
        let knows: Vec<(i64, i64)> = r
            .held_ranges()?
            .into_iter()
            .filter(|(origin, _)| *origin != own)
            .filter_map(|(origin, ranges)| {
                let first = ranges.first().filter(|r| r[0] == 1)?;
                Some((origin, first[1]))
            })
            .collect();
        let ahead = knows
            .iter()
            .any(|(origin, seq)| published.get(origin).is_none_or(|p| seq > p));
        Ok(ahead.then_some(knows))
    }

    /// Raises the acknowledgements cursor `acks` to what the bundle just
    /// written said (`knows`; read again when the export had changes of
    /// its own and the acknowledgements were not behind).
    fn note_acks(&mut self, acks: &str, knows: Option<Vec<(i64, i64)>>) -> Result<(), AppError> {
        let Some(knows) = knows.map_or_else(|| self.acks_behind(acks), |k| Ok(Some(k)))? else {
            return Ok(());
        };
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                for (origin, seq) in &knows {
                    w.set_export_cursor(acks, *origin, *seq)?;
                }
                Ok(())
            })
    }

    /// Removes this site's bundles of acknowledgements only (`CODE-0-0-…`,
    /// written here) from its directory but the one named `newest`: every
    /// bundle carries all of this site's acknowledgements, so the newest
    /// says all the older ones did, and a site that only reads would
    /// otherwise leave one file per sync. Returns their names.
    fn remove_superseded_acks(
        &self,
        root: &Path,
        own_dir: &Path,
        newest: &str,
    ) -> Result<Vec<String>, AppError> {
        let mut removed = Vec::new();
        for file in sorted_entries(own_dir)? {
            let name = relative(root, &file);
            if name == newest || !is_bundle_name(&file) || !acks_only_name(&file) {
                continue;
            }
            if self.reader().written_here(&name)? {
                match std::fs::remove_file(&file) {
                    Ok(()) => removed.push(name),
                    // Another process removed it first.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&file, e)),
                }
            }
        }
        Ok(removed)
    }

    /// The pending sites of a folder as its report lists them: whether
    /// another site uses their code, and when that is this database's own
    /// site, whether the other is established (a site trusted here
    /// acknowledged holding its changes).
    fn pending_sites(&self, pending: &[SiteRow]) -> Result<Vec<Pending>, AppError> {
        let r = self.reader();
        let sites = r.sites()?;
        let own = self.store.site().clone();
        let mut out = Vec::new();
        for s in pending {
            let twins: Vec<&SiteRow> = sites
                .iter()
                .filter(|o| o.site_id != s.site_id && o.code.eq_ignore_ascii_case(&s.code))
                .collect();
            let clash = if let Some(ours) = twins.iter().find(|o| o.site_id == own.site_id) {
                let mut established = false;
                for peer in sites
                    .iter()
                    .filter(|p| p.no != own.no && p.trust == trust::TRUSTED)
                {
                    established |= r.peer_knows(peer.no)?.get(&s.no).is_some_and(|n| *n > 0);
                }
                CodeClash::Ours {
                    site_id: ours.site_id.clone(),
                    established,
                }
            } else if let Some(taken) = twins.iter().find(|o| o.trust != trust::PENDING) {
                CodeClash::Taken {
                    code: taken.code.clone(),
                    site_id: taken.site_id.clone(),
                }
            } else if !twins.is_empty() {
                CodeClash::Pending
            } else {
                CodeClash::None
            };
            out.push(Pending {
                code: s.code.clone(),
                site_id: s.site_id.clone(),
                fingerprint: s
                    .pubkey
                    .as_deref()
                    .map(crate::sync::keys::fingerprint)
                    .unwrap_or_default(),
                clash,
            });
        }
        Ok(out)
    }

    /// How far this site's own changes are in its directory `own_dir`,
    /// without a gap from seq 1: the bundles there that this database
    /// wrote, by the range in the names it gave them.
    fn own_changes_in(&self, root: &Path, own_dir: &Path) -> Result<i64, AppError> {
        let mut ranges = Vec::new();
        for file in sorted_entries(own_dir)? {
            if is_bundle_name(&file)
                && let Some(range) = own_range(&file)
                && self.reader().written_here(&relative(root, &file))?
            {
                ranges.push(range);
            }
        }
        ranges.sort_unstable();
        let mut upto = 0;
        for [from, to] in ranges {
            if from > upto + 1 {
                break;
            }
            upto = upto.max(to);
        }
        Ok(upto)
    }

    /// Syncs through a git repository: a clone kept next to the database,
    /// on branch `branch`; pull, import, export, commit, push, and on a
    /// rejected push (someone pushed first) pull and push again. Only this
    /// site's own files are committed. A failure once bundles may have
    /// been imported is returned in the report (`error`), with what was
    /// done. Waits while another sync of this database through `repo`
    /// runs.
    pub fn sync_git(&mut self, repo: &str, branch: &str, by: &str) -> Result<GitReport, AppError> {
        check_branch_name(branch)?;
        self.refuse_read_only()?;
        let clone = self.git_clone_dir(repo);
        // Taken before the clone is made: two first syncs would clone into
        // one directory.
        let _turn = self.sync_turn(
            &format!("git-{}", short_hash(repo.as_bytes())),
            &repo_shown(repo),
        )?;
        let git = Git { dir: clone.clone() };
        if !clone.join(".git").exists() {
            if let Some(parent) = clone.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            }
            // After `--`: a REPO starting with `-` is not read as an option.
            let target = clone.as_os_str();
            Git::run_in(
                None,
                &[
                    OsStr::new("clone"),
                    OsStr::new("--quiet"),
                    OsStr::new("--no-checkout"),
                    OsStr::new("--"),
                    OsStr::new(repo),
                    target,
                ],
            )?;
        }
        git.run(&["fetch", "--quiet", "origin"])?;
        let remote_branch = format!("origin/{branch}");
        let has_remote = git.ok(&["rev-parse", "--verify", "--quiet", &remote_branch]);
        let local = format!("refs/heads/{branch}");
        let has_local = git.ok(&["rev-parse", "--verify", "--quiet", &local]);
        let current = git
            .run(&["symbolic-ref", "--quiet", "HEAD"])
            .unwrap_or_default();
        if current.trim() != local {
            // One clone serves every branch of the repository. Leaving a
            // branch drops changes to its files: guardia's files never
            // change, and the branch holds them as they are.
            if has_local {
                git.run(&["checkout", "--quiet", "--force", branch])?;
            } else if has_remote {
                git.run(&[
                    "checkout",
                    "--quiet",
                    "--force",
                    "-b",
                    branch,
                    &remote_branch,
                ])?;
            } else {
                // A new branch starts empty, not with the files of the
                // branch the clone was on.
                git.run(&["checkout", "--quiet", "--orphan", branch])?;
                git.run(&[
                    "rm",
                    "-r",
                    "--quiet",
                    "--force",
                    "--ignore-unmatch",
                    "--",
                    ".",
                ])?;
            }
        }
        let site = self.store.site().clone();
        let own = OwnPaths::of(&site.dataset_id, &site.site_id);
        // A file of this site's directory that this database did not
        // write, deleted in the clone by an operator (the way a withheld
        // export asks to remove a forked database's files), is removed
        // from the branch rather than put back.
        let tidied = git.tidy(branch, &own, |path| {
            let name = path
                .strip_prefix(&format!("{}/", site.dataset_id))
                .unwrap_or(path);
            name.ends_with(".gdb") && matches!(self.reader().written_here(name), Ok(false))
        })?;
        let attributes = clone.join(".gitattributes");
        if !attributes.exists() {
            std::fs::write(&attributes, "*.gdb binary\n*.pub text eol=lf\n")
                .map_err(|e| io_err(&attributes, e))?;
        }
        if has_remote {
            git.merge(&remote_branch)?;
        }
        let mut folder = self.folder_cycle(&clone, by)?;
        under_git(&mut folder, &clone, branch);
        let mut report = GitReport {
            repository: repo.to_string(),
            clone: clone.display().to_string(),
            branch: branch.to_string(),
            folder,
            restored: tidied.restored,
            restored_deleted: tidied.deleted,
            removed: tidied.removed,
            committed: false,
            pushed: false,
            push_retries: 0,
            error: None,
        };
        // From here on the imports are done: a failure is reported with
        // them, not instead of them.
        if let Err(e) = self.publish_git(&git, &remote_branch, has_remote, by, &mut report) {
            report.error = Some(e.to_string());
        }
        Ok(report)
    }

    /// Commits this site's own files in the clone and pushes them; on a
    /// rejected push, pulls, syncs what arrived and tries again.
    fn publish_git(
        &mut self,
        git: &Git,
        remote_branch: &str,
        has_remote: bool,
        by: &str,
        report: &mut GitReport,
    ) -> Result<(), AppError> {
        let clone = git.dir.clone();
        let dataset = self.store.site().dataset_id.clone();
        let in_clone = |names: &[String]| -> Vec<String> {
            names.iter().map(|n| format!("{dataset}/{n}")).collect()
        };
        let mut removals = report.removed.clone();
        removals.extend(in_clone(&report.folder.superseded));
        report.committed = self.commit_own(
            git,
            report.folder.exported.as_ref(),
            report.folder.withheld.is_some(),
            &removals,
        )?;
        let born = git.ok(&["rev-parse", "--verify", "--quiet", "HEAD"]);
        let ahead = born && (!has_remote || !git.ok(&["diff", "--quiet", remote_branch, "HEAD"]));
        if !report.committed && !ahead {
            return Ok(());
        }
        let refspec = format!("HEAD:refs/heads/{}", report.branch);
        loop {
            let refused = match git.run(&["push", "--quiet", "origin", &refspec]) {
                Ok(_) => {
                    report.pushed = true;
                    return Ok(());
                }
                Err(e) => e,
            };
            report.push_retries += 1;
            if report.push_retries >= PUSH_TRIES {
                return Err(AppError::Invalid(format!(
                    "git push to {} was rejected {} times (others keep pushing, or you may not push there); the last time: {refused}",
                    report.repository, report.push_retries
                )));
            }
            git.run(&["fetch", "--quiet", "origin"])?;
            git.merge(remote_branch)?;
            // What arrived with the merge is imported before pushing again.
            let mut again = self.folder_cycle(&clone, by)?;
            under_git(&mut again, &clone, &report.branch);
            report.folder.imported.extend(again.imported);
            for r in again.refused {
                if !report.folder.refused.contains(&r) {
                    report.folder.refused.push(r);
                }
            }
            let committed = self.commit_own(
                git,
                again.exported.as_ref(),
                again.withheld.is_some(),
                &in_clone(&again.superseded),
            )?;
            if again.withheld.is_some() {
                report.folder.withheld = again.withheld;
                report.folder.withheld_why = again.withheld_why;
            }
            report.committed |= committed;
            if report.folder.exported.is_none() {
                report.folder.exported = again.exported;
            }
        }
    }

    /// Stages this site's own files (its key, the bundles it wrote, and
    /// `.gitattributes`) and the removal of `removals` (paths in the clone:
    /// files of this site's directory deleted on purpose), and commits
    /// them if anything changed. Nothing else in the clone is ever
    /// committed.
    fn commit_own(
        &self,
        git: &Git,
        exported: Option<&ExportReport>,
        withheld: bool,
        removals: &[String],
    ) -> Result<bool, AppError> {
        if !removals.is_empty() {
            let mut args: Vec<&OsStr> = ["rm", "--cached", "--quiet", "--ignore-unmatch", "--"]
                .iter()
                .map(OsStr::new)
                .collect();
            args.extend(removals.iter().map(OsStr::new));
            git.run(&args)?;
        }
        let site = self.store.site().clone();
        let root = git.dir.join(&site.dataset_id);
        let mut paths: Vec<PathBuf> = vec![
            git.dir.join(".gitattributes"),
            root.join("keys").join(format!("{}.pub", site.site_id)),
        ];
        // A forked site publishes nothing of its own.
        if !withheld {
            let own_dir = root.join("sites").join(&site.site_id);
            for file in sorted_entries(&own_dir)? {
                if is_bundle_name(&file) && self.reader().written_here(&relative(&root, &file))? {
                    paths.push(file);
                }
            }
        }
        // Named from the clone's top: git matches absolute paths against
        // the clone's real path, which a symlink in the database's path
        // would make differ.
        let mut args: Vec<&OsStr> = vec![OsStr::new("add"), OsStr::new("--")];
        args.extend(
            paths
                .iter()
                .filter(|p| p.exists())
                .filter_map(|p| p.strip_prefix(&git.dir).ok())
                .map(|p| p.as_os_str()),
        );
        git.run(&args)?;
        if git.ok(&["diff", "--cached", "--quiet"]) {
            return Ok(false);
        }
        let msg = match exported {
            // The ranges name their origins; the author names this site.
            Some(e) if e.changesets > 0 => format!("guardia: {}", describe(&e.contains)),
            Some(_) => format!("guardia: {} acknowledgements", site.code),
            None if !removals.is_empty() => {
                format!("guardia: {} removes files it did not write", site.code)
            }
            None => format!("guardia: {} keys", site.code),
        };
        git.commit(&msg, &site.code)?;
        Ok(true)
    }

    /// Where the clone of `repo` lives: next to the database, one per repository.
    fn git_clone_dir(&self, repo: &str) -> PathBuf {
        let id = short_hash(repo.as_bytes());
        let db = self.store.path();
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        db.with_file_name(format!("{name}.sync"))
            .join(format!("git-{id}"))
    }

    /// The lock file `<name>.lock` of this database's syncs, beside the
    /// database file itself (a symbolic link to it shares the lock).
    /// This database's turn to sync through `through` (a folder, a
    /// repository), lock `name`: waits while another sync of it runs,
    /// saying so at once through the progress callback.
    fn sync_turn(&mut self, name: &str, through: &str) -> Result<SyncLock, AppError> {
        let lock = self.sync_lock(name);
        let progress = &mut self.progress;
        SyncLock::take(
            &lock,
            || super::sync::tell(progress, super::sync::SyncPhase::Waiting, 0, 0),
            || {
                AppError::Invalid(format!(
                    "another sync of this database through {through} is running; wait for it to finish and try again"
                ))
            },
        )
    }

    fn sync_lock(&self, name: &str) -> PathBuf {
        let db = self.store.path();
        let db = db.canonicalize().unwrap_or_else(|_| db.to_path_buf());
        let file = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        db.with_file_name(format!("{file}.sync"))
            .join(format!("{name}.lock"))
    }

    /// A database opened only to read cannot sync: said before any lock
    /// file is made beside it or anything is written to a folder.
    fn refuse_read_only(&self) -> Result<(), AppError> {
        match self.store.read_only() {
            Some(cause) => Err(cause.error(self.store.path()).into()),
            None => Ok(()),
        }
    }
}

/// 12 hex digits of the SHA-256 of `bytes`: names a clone or a lock.
fn short_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(bytes)[..6])
}

/// A repository address as messages and the console show it: a user name
/// or token in an `https://user:token@host/…` address is left out (the
/// screen is often read over a shoulder, or shared).
pub fn repo_shown(repo: &str) -> String {
    if let Some((scheme, rest)) = repo.split_once("://") {
        let authority_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{scheme}://…@{}", &rest[at + 1..]);
        }
    }
    repo.to_string()
}

/// Refuses a branch name git would refuse, before any git command runs
/// with it. `@{` is refused here too: `check-ref-format --branch` would
/// expand `@{-1}` to a branch of the repository it runs in.
fn check_branch_name(branch: &str) -> Result<(), AppError> {
    let refused = || {
        AppError::Invalid(format!(
            "'{branch}' is not a branch name git accepts (no spaces, no `..`, none of ~^:?*[\\, not starting with `-` or ending in `.lock`); name the branch to sync on with --branch, e.g. --branch guardia-sync"
        ))
    };
    if branch.is_empty() || branch.starts_with('-') || branch.contains("@{") {
        return Err(refused());
    }
    let accepted = Command::new("git")
        .args(["check-ref-format", "--branch", branch])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(cannot_run_git)?
        .success();
    if accepted { Ok(()) } else { Err(refused()) }
}

fn cannot_run_git(e: std::io::Error) -> AppError {
    AppError::Invalid(format!(
        "cannot run git ({e}); install git, or sync through a shared folder with `guardia sync folder`"
    ))
}

/// This site's own paths in a clone, as `git status -z` names them
/// (relative to the clone, `/` between parts).
struct OwnPaths {
    dir: Vec<u8>,
    key: Vec<u8>,
}

impl OwnPaths {
    fn of(dataset: &str, site_id: &str) -> OwnPaths {
        OwnPaths {
            dir: format!("{dataset}/sites/{site_id}/").into_bytes(),
            key: format!("{dataset}/keys/{site_id}.pub").into_bytes(),
        }
    }

    fn holds(&self, path: &[u8]) -> bool {
        path.starts_with(&self.dir) || path == self.key.as_slice() || path == b".gitattributes"
    }
}

/// A folder report of a sync through git: a withheld export says how to
/// remove files from the branch, not from a folder.
fn under_git(folder: &mut FolderReport, clone: &Path, branch: &str) {
    if let Some(why) = folder.withheld_why.as_mut() {
        why.git = Some(GitClone {
            clone: clone.display().to_string(),
            branch: branch.to_string(),
        });
        folder.withheld = Some(words::withheld(Lang::En, why));
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
/// whoever prints the list); `then` says what becomes of it, if anything
/// is worth saying.
fn refusal(name: &str, e: AppError, then: &str) -> String {
    // Syncing again does not settle a fork: no retry is promised for it.
    let forked;
    let then = match &e {
        AppError::Sync(SyncError::Forked { code, .. }) if !then.is_empty() => {
            forked = format!(
                "left in the folder; refused at every sync until the operators of site {code} settle the fork"
            );
            forked.as_str()
        }
        _ => then,
    };
    let why = match e {
        AppError::Sync(SyncError::Refused { reason, .. })
        | AppError::Sync(SyncError::Forked { reason, .. })
        | AppError::Sync(SyncError::Exporter { reason, .. }) => reason,
        AppError::Sync(SyncError::Io { cause, .. }) => format!("cannot be read ({cause})"),
        other => other.to_string(),
    };
    if then.is_empty() {
        format!("{name}: {why}")
    } else {
        format!("{name}: {why} ({then})")
    }
}

/// The range of this site's changes a bundle's name gives
/// (`<CODE>-<from>-<to>-<id>.gdb`), as this site wrote it.
fn own_range(p: &Path) -> Option<[i64; 2]> {
    let stem = p.file_stem()?.to_str()?;
    let mut parts = stem.split('-').skip(1);
    let from: i64 = parts.next()?.parse().ok()?;
    let to: i64 = parts.next()?.parse().ok()?;
    (from >= 1 && to >= from).then_some([from, to])
}

/// Whether a bundle of a shared folder is named as one that carries no
/// change of its site, only acknowledgements (`<CODE>-0-0-<id>.gdb`).
fn acks_only_name(p: &Path) -> bool {
    p.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.split('-').skip(1).take(2).eq(["0", "0"]))
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

/// Why a git command failed, on one line: git's error output, its lines
/// joined; else what it printed (`git commit` says "nothing to commit"
/// there); else how it ended, so a message never ends in nothing.
fn git_failed(shown: &str, dir: Option<&Path>, out: &Output) -> AppError {
    let lines = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut said = lines(&out.stderr);
    if said.is_empty() {
        said = lines(&out.stdout);
    }
    if !said.is_empty() {
        return AppError::Invalid(format!("`git {shown}` failed: {}", said.join("; ")));
    }
    let ended = match (out.status.code(), out.status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "no exit code".to_string(),
    };
    let (place, there) = match dir {
        Some(d) => (format!(" in {}", d.display()), " there"),
        None => (String::new(), ""),
    };
    AppError::Invalid(format!(
        "`git {shown}` failed{place} with {ended} and gave no reason; run it{there} by hand to see why"
    ))
}

/// What [`Git::tidy`] did to the clone, each file named from its top.
struct Tidied {
    /// Put back as the branch has them.
    restored: Vec<String>,
    /// Those of `restored` that had been deleted.
    deleted: Vec<String>,
    /// Deleted files left deleted, to be removed from the branch.
    removed: Vec<String>,
}

/// The user's `git`, run in the clone.
struct Git {
    dir: PathBuf,
}

impl Git {
    fn run_in<S: AsRef<OsStr>>(dir: Option<&Path>, args: &[S]) -> Result<String, AppError> {
        let mut cmd = Command::new("git");
        if let Some(d) = dir {
            cmd.arg("-C").arg(d);
        }
        let out = cmd.args(args).output().map_err(cannot_run_git)?;
        if !out.status.success() {
            let shown: Vec<String> = args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            return Err(git_failed(&shown.join(" "), dir, &out));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, AppError> {
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

    /// Puts the clone back to what branch `branch` holds before a sync, so
    /// that nothing but this site's own files (`own`) is imported from it
    /// or committed: files of the branch changed or removed in the clone
    /// are restored (and returned, to be reported); a file the branch does
    /// not have, outside this site's own paths, stops the sync, named,
    /// before anything is imported.
    fn tidy(
        &self,
        branch: &str,
        own: &OwnPaths,
        may_remove: impl Fn(&str) -> bool,
    ) -> Result<Tidied, AppError> {
        // Nothing stays staged from an interrupted run: staging is ours.
        self.run(&["reset", "--quiet"])?;
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args([
                "status",
                "--porcelain=v1",
                "-z",
                "--untracked-files=all",
                "--no-renames",
            ])
            .output()
            .map_err(cannot_run_git)?;
        if !out.status.success() {
            return Err(git_failed("status", Some(&self.dir), &out));
        }
        let mut changed: Vec<&[u8]> = Vec::new();
        let mut deleted: Vec<&[u8]> = Vec::new();
        let mut removed: Vec<&[u8]> = Vec::new();
        let mut stray: Vec<&[u8]> = Vec::new();
        for entry in out.stdout.split(|b| *b == 0).filter(|e| e.len() > 3) {
            let (state, path) = (&entry[..2], &entry[3..]);
            if state == b"??" {
                if !own.holds(path) {
                    stray.push(path);
                }
                continue;
            }
            let gone = state.contains(&b'D');
            if gone
                && path.starts_with(&own.dir)
                && std::str::from_utf8(path).is_ok_and(&may_remove)
            {
                removed.push(path);
                continue;
            }
            if gone {
                deleted.push(path);
            }
            changed.push(path);
        }
        let shown = |paths: &[&[u8]]| -> Vec<String> {
            paths
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect()
        };
        if !stray.is_empty() {
            let names = shown(&stray);
            let more = names.len().saturating_sub(10);
            let mut list = names.into_iter().take(10).collect::<Vec<_>>().join(", ");
            if more > 0 {
                list.push_str(&format!(" and {more} more"));
            }
            return Err(AppError::Invalid(format!(
                "the clone {} holds files that are not on branch {branch} and not this site's: {list}. guardia commits only this site's own files, and would import these as if the repository held them: move them out of the clone (they were never sent), then run `guardia sync git` again",
                self.dir.display()
            )));
        }
        if !changed.is_empty() {
            let mut args: Vec<&OsStr> = vec![
                OsStr::new("checkout"),
                OsStr::new("--quiet"),
                OsStr::new("--"),
            ];
            args.extend(changed.iter().map(|p| OsStr::from_bytes(p)));
            self.run(&args)?;
        }
        Ok(Tidied {
            restored: shown(&changed),
            deleted: shown(&deleted),
            removed: shown(&removed),
        })
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
