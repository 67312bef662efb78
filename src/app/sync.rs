//! Sync commands: sealing this site's ops into signed changesets, exporting
//! bundles, importing them (every check before any write), trusting keys,
//! and the status of what each site has. Transports (folder, git) build on
//! export and import in `app::transport`.

use super::changeset_check::{Against, Chain, Values, check_changeset, for_each_parsed, refused};
use super::{App, AppError, sla};
use crate::store::ApplyMode;
use crate::store::sync::{ChangesetMeta, SiteRow, StoredBody, trust};
use crate::sync::SyncError;
use crate::sync::format::{
    self, BUNDLE_FORMAT, CHANGESET_FORMAT, CHANGESET_OPS, Envelope, Exporter, Header, RawChangeset,
    SealedHead,
};
use crate::sync::keys::{self, KeyFile};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// How far ahead of this site's clock a foreign op may be before the
/// import warns (the clock is never moved further than this).
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// Above this many touched tickets an import marks every SLA clock stale
/// (recomputed before the next command) instead of refreshing each.
const CLOCK_REFRESH_LIMIT: usize = 2_000;

/// Receives the progress of a long import or export.
pub type ProgressFn = Box<dyn FnMut(SyncProgress) + Send>;

/// What a sync is doing and how far it has got, in changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPhase {
    /// Sealing this site's new changes into signed changesets.
    Sealing,
    /// Writing a bundle file.
    Writing,
    /// Checking a bundle before anything is written.
    Checking,
    /// Writing a checked bundle's changes into the database.
    Applying,
    /// Waiting for another sync of this database through the same folder
    /// or repository to finish (told once, with nothing done or to do).
    Waiting,
}

impl SyncPhase {
    pub fn label(self) -> &'static str {
        match self {
            SyncPhase::Sealing => "sealing",
            SyncPhase::Writing => "writing",
            SyncPhase::Checking => "checking",
            SyncPhase::Applying => "applying",
            SyncPhase::Waiting => "waiting",
        }
    }
}

/// Calls the progress receiver, if any.
pub(super) fn tell(progress: &mut Option<ProgressFn>, phase: SyncPhase, done: u64, total: u64) {
    if let Some(f) = progress {
        f(SyncProgress { phase, done, total });
    }
}

/// Whom an export is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Everyone: what was not yet written for this target name (a folder,
    /// a repository, or `all`).
    Cursor(String),
    /// One site: what it has not acknowledged.
    Site(String),
}

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    File(std::path::PathBuf),
    /// A directory: the file is named `<CODE>-<from>-<to>-<sha8>.gdb` after
    /// this site's range inside (names are informative; content is checked).
    Dir(std::path::PathBuf),
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub file: String,
    /// SHA-256 of the file (hex).
    pub sha256: String,
    pub changesets: u64,
    pub ops: u64,
    pub bytes: u64,
    /// Origin code → seq ranges carried.
    pub contains: BTreeMap<String, Vec<[i64; 2]>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ImportOutcome {
    Imported {
        /// Changesets new here (those already held are not counted).
        changesets: u64,
        /// Changesets of the bundle this database already held.
        already_held: u64,
        new_ops: u64,
        /// Tickets the new changes touched: `created` plus `updated`.
        tickets: usize,
        created: usize,
        updated: usize,
    },
    /// Every changeset was already here (the bundle is still recorded).
    NothingNew { changesets: u64 },
    AlreadyImported {
        at: i64,
        by: String,
        /// The name it was first imported under.
        first_file: String,
    },
}

/// What the writing pass of an import counted.
struct Counts {
    changesets: u64,
    already_held: u64,
    new_ops: u64,
    tickets: usize,
    created: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub exporter: String,
    #[serde(flatten)]
    pub outcome: ImportOutcome,
    /// In English (scripts read them); `clock_ahead` has their facts.
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub clock_ahead: Vec<ClockAhead>,
}

/// An origin whose newest changes in a bundle run ahead of this site's
/// clock by more than [`MAX_SKEW_MS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockAhead {
    pub code: String,
    pub minutes: i64,
}

impl App {
    /// This site's signing key, made on first use.
    fn site_key(&mut self) -> Result<SigningKey, AppError> {
        if let Some(secret) = self.reader().secret_key()? {
            return Ok(keys::signing_key(&secret)?);
        }
        let secret = keys::new_secret()?;
        let key = keys::signing_key(&secret)?;
        let public = keys::public_hex(&key);
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                // Another process may have made one meanwhile: keep the first.
                if w.reader().secret_key()?.is_none() {
                    w.set_secret_key(&secret, &public)?;
                }
                Ok(())
            })?;
        let secret = self.reader().secret_key()?.unwrap_or(secret);
        Ok(keys::signing_key(&secret)?)
    }

    /// This site's public key as a file others can trust.
    pub fn key_file(&mut self) -> Result<KeyFile, AppError> {
        let key = self.site_key()?;
        let site = self.store.site().clone();
        Ok(KeyFile {
            format: keys::KEY_FILE_FORMAT.into(),
            dataset: site.dataset_id,
            site: site.site_id,
            code: site.code,
            key: keys::public_hex(&key),
        })
    }

    /// Seals this site's ops that are in no changeset yet into signed,
    /// hash-chained changesets. Returns how many were made.
    pub fn seal(&mut self) -> Result<usize, AppError> {
        let mut progress = self.progress.take();
        let made = self.seal_with(&mut progress);
        self.progress = progress;
        made
    }

    fn seal_with(&mut self, progress: &mut Option<ProgressFn>) -> Result<usize, AppError> {
        let key = self.site_key()?;
        let site = self.store.site().clone();
        let now = self.now_ms();
        let app = format!("guardia/{}", env!("CARGO_PKG_VERSION"));
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<usize, AppError> {
                let r = w.reader();
                let (mut last, mut prev) = match r.last_changeset(site.no)? {
                    Some((seq, hash)) => (seq, Some(hash)),
                    None => (0, None),
                };
                let next = r.next_seq()?;
                let mut made = 0;
                let first = last;
                while last + 1 < next {
                    tell(
                        progress,
                        SyncPhase::Sealing,
                        (last - first) as u64,
                        (next - 1 - first) as u64,
                    );
                    let mut ops = Vec::with_capacity(CHANGESET_OPS * 600);
                    let mut bad = None;
                    let span = w.reader().for_own_ops(site.no, last + 1, CHANGESET_OPS, |op| {
                        if !ops.is_empty() {
                            ops.push(b',');
                        }
                        if let Err(e) = format::write_sealed_op(op, &mut ops) {
                            bad.get_or_insert((op.seq, e));
                        }
                        Ok(())
                    })?;
                    if let Some((seq, e)) = bad {
                        return Err(AppError::Invalid(format!(
                            "op {seq} of this site holds a value or predecessors that are not one line of JSON ({e}); run `guardia doctor`"
                        )));
                    }
                    let Some((from, to)) = span else {
                        break;
                    };
                    let head = SealedHead {
                        format: CHANGESET_FORMAT,
                        dataset: &site.dataset_id,
                        site: &site.site_id,
                        code: &site.code,
                        inc: 1,
                        from,
                        to,
                        prev: prev.as_deref(),
                        app: &app,
                    };
                    let bytes = head.body(&ops).map_err(|e| {
                        AppError::Invalid(format!("cannot encode a changeset: {e}"))
                    })?;
                    let digest: [u8; 32] = Sha256::digest(&bytes).into();
                    let sig = keys::sign(&key, keys::CHANGESET_CONTEXT, &digest);
                    let hash = hex::encode(digest);
                    w.insert_changeset(
                        site.no,
                        from,
                        to,
                        &hash,
                        prev.as_deref(),
                        &StoredBody::of(&bytes)?,
                        &sig,
                    )?;
                    last = to;
                    prev = Some(hash);
                    made += 1;
                }
                if made > 0 {
                    tell(
                        progress,
                        SyncPhase::Sealing,
                        (last - first) as u64,
                        (last - first) as u64,
                    );
                }
                Ok(made)
            })
    }

    /// Writes a bundle for `target` to `out`. `None` when there was
    /// nothing to send and `skip_empty` was asked (folder and git syncs).
    pub fn export(
        &mut self,
        dest: &Destination,
        target: &Target,
        relay: bool,
        skip_empty: bool,
    ) -> Result<Option<ExportReport>, AppError> {
        let mut progress = self.progress.take();
        let report = self.export_with(dest, target, relay, skip_empty, &mut progress);
        self.progress = progress;
        report
    }

    fn export_with(
        &mut self,
        dest: &Destination,
        target: &Target,
        relay: bool,
        skip_empty: bool,
        progress: &mut Option<ProgressFn>,
    ) -> Result<Option<ExportReport>, AppError> {
        self.seal_with(progress)?;
        let key = self.site_key()?;
        let site = self.store.site().clone();
        let r = self.reader();
        let sites: HashMap<i64, SiteRow> = r.sites()?.into_iter().map(|s| (s.no, s)).collect();
        let known = match target {
            Target::Cursor(name) => r.export_cursor(name)?,
            Target::Site(code) => {
                let mut all: Vec<SiteRow> = sites.values().cloned().collect();
                all.sort_by_key(|s| s.no);
                let peer = site_named(&all, code)?;
                r.peer_knows(peer.no)?
            }
        };
        let held = r.held_ranges()?;
        // A relay never passes on a site this one revoked.
        let origins: Vec<i64> = if relay {
            held.keys()
                .copied()
                .filter(|o| sites.get(o).is_none_or(|s| s.trust != trust::REVOKED))
                .collect()
        } else {
            vec![site.no]
        };
        let mut metas: Vec<ChangesetMeta> = Vec::new();
        for origin in origins {
            metas.extend(r.changesets_after(origin, known.get(&origin).copied().unwrap_or(0))?);
        }
        if metas.is_empty() && skip_empty {
            return Ok(None);
        }
        let mut contains: BTreeMap<String, Vec<[i64; 2]>> = BTreeMap::new();
        for m in &metas {
            let ranges = contains
                .entry(sites[&m.site_no].site_id.clone())
                .or_default();
            match ranges.last_mut() {
                Some(last) if last[1] + 1 == m.seq_from => last[1] = m.seq_to,
                _ => ranges.push([m.seq_from, m.seq_to]),
            }
        }
        let mut knows = BTreeMap::new();
        for (origin, ranges) in &held {
            if let Some(first) = ranges.first().filter(|r| r[0] == 1) {
                knows.insert(sites[origin].site_id.clone(), first[1]);
            }
        }
        let header = Header {
            format: BUNDLE_FORMAT.into(),
            dataset: site.dataset_id.clone(),
            bundle_id: uuid::Uuid::now_v7().to_string(),
            created: self.clock.now().to_rfc3339(),
            exporter: Exporter {
                site: site.site_id.clone(),
                code: site.code.clone(),
                key: keys::public_hex(&key),
            },
            contains: contains.clone(),
            knows,
            changesets: metas.len() as u64,
            ops: metas
                .iter()
                .map(|m| (m.seq_to - m.seq_from + 1) as u64)
                .sum(),
            uncompressed_len: metas.iter().map(|m| m.body_len + 1 + 128 + 1).sum(),
        };
        let total = header.ops;
        let mut done = 0u64;
        let bodies = metas.iter().map(|m| {
            tell(progress, SyncPhase::Writing, done, total);
            done += (m.seq_to - m.seq_from + 1) as u64;
            let (body, sig) = r.changeset_body(m.no)?;
            let sig = hex::decode(sig).map_err(|_| {
                SyncError::Invalid(format!("changeset {}-{} has a damaged signature in this database; run `guardia doctor`", m.seq_from, m.seq_to))
            })?;
            Ok(RawChangeset { body, sig })
        });
        let out = match dest {
            Destination::File(p) => p.clone(),
            Destination::Dir(d) => {
                let own = contains
                    .get(&site.site_id)
                    .and_then(|r| Some([r.first()?[0], r.last()?[1]]));
                let [from, to] = own.unwrap_or([0, 0]);
                d.join(format!(
                    "{}-{from}-{to}-{}.gdb",
                    site.code,
                    &header.bundle_id[24..]
                ))
            }
        };
        let (bytes, digest) = format::write_bundle(&out, &header, bodies, |digest| {
            hex::decode(keys::sign(&key, keys::BUNDLE_CONTEXT, digest)).unwrap_or_default()
        })?;
        tell(progress, SyncPhase::Writing, total, total);
        if let Target::Cursor(name) = target {
            // The cursor never passes a gap: changesets after it are sent
            // again (importing them twice is harmless) until a relay fills
            // the gap, and then the gap is sent too.
            let now = self.now_ms();
            self.store
                .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                    for m in &metas {
                        let prefix = held
                            .get(&m.site_no)
                            .and_then(|r| r.first())
                            .filter(|r| r[0] == 1)
                            .map_or(0, |r| r[1]);
                        w.set_export_cursor(name, m.site_no, m.seq_to.min(prefix))?;
                    }
                    Ok(())
                })?;
        }
        let by_code = contains
            .into_iter()
            .map(|(id, ranges)| {
                let code = sites
                    .values()
                    .find(|s| s.site_id == id)
                    .map(|s| s.code.clone())
                    .unwrap_or(id);
                (code, ranges)
            })
            .collect();
        Ok(Some(ExportReport {
            file: out.display().to_string(),
            sha256: hex::encode(digest),
            changesets: header.changesets,
            ops: header.ops,
            bytes,
            contains: by_code,
        }))
    }

    /// Checks the envelope and the exporter's signature.
    fn open_bundle(&self, path: &Path) -> Result<(Envelope, SiteRow), AppError> {
        let env = format::check_envelope(path)?;
        let mine = self.store.site();
        if env.header.dataset != mine.dataset_id {
            return Err(refused(
                path,
                format!(
                    "it belongs to another dataset ({}), not this database's ({})",
                    env.header.dataset, mine.dataset_id
                ),
            )
            .into());
        }
        let ex = &env.header.exporter;
        let fp = keys::fingerprint(&ex.key);
        let known = self.reader().site_by_id(&ex.site)?;
        if let Some(s) = known.as_ref().filter(|s| s.trust == trust::REVOKED) {
            return Err(SyncError::Exporter {
                file: path.display().to_string(),
                reason: format!(
                    "it was exported by site {}, whose key was revoked here; `guardia sync trust {}` trusts it again",
                    s.code, s.code
                ),
                revoked: true,
            }
            .into());
        }
        let site = known
            .filter(|s| s.trust == trust::TRUSTED && s.pubkey.is_some())
            .ok_or_else(|| SyncError::Exporter {
                file: path.display().to_string(),
                reason: format!(
                    "it was exported by site {} (key fingerprint {fp}), which this database does not trust; compare the fingerprint with that site's operator, then run `guardia sync trust {}`",
                    ex.code,
                    path.display()
                ),
                revoked: false,
            })?;
        let key = site.pubkey.as_deref().and_then(keys::verifying_key);
        let ok = key.is_some_and(|k| keys::verify(&k, keys::BUNDLE_CONTEXT, &env.digest, &env.sig));
        if !ok {
            return Err(refused(
                path,
                format!(
                    "its signature is not site {}'s: forged or altered",
                    site.code
                ),
            )
            .into());
        }
        Ok((env, site))
    }

    /// Imports one bundle: checks everything (envelope, signatures, chain,
    /// forks) before writing anything, then appends and folds its new ops
    /// in one transaction.
    pub fn import(&mut self, path: &Path, by: &str) -> Result<ImportReport, AppError> {
        if path.is_dir() {
            return Err(refused(
                path,
                format!(
                    "it is a folder, not a bundle file; to sync through a shared folder, run `guardia sync folder {}`, or name a .gdb file in it",
                    path.display()
                ),
            )
            .into());
        }
        self.import_as(path, &path.display().to_string(), by)
    }

    /// Imports `path`, recording it as `file` (a shared folder records the
    /// name inside the folder, so it knows the file next time without
    /// reading it).
    pub(super) fn import_as(
        &mut self,
        path: &Path,
        file: &str,
        by: &str,
    ) -> Result<ImportReport, AppError> {
        let (env, exporter) = self.open_bundle(path)?;
        let file = file.to_string();
        let digest = hex::encode(env.digest);
        if let Some(done) = self.reader().imported_bundle(&digest)? {
            // Known under this name too from now on (a shared folder need
            // not read it again), while the report names the first one.
            if done.file != file && !self.reader().imported_file(&file)? {
                let now = self.now_ms();
                self.store
                    .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                        w.record_bundle_name(&digest, &file, by)?;
                        Ok(())
                    })?;
            }
            return Ok(ImportReport {
                file,
                exporter: exporter.code,
                outcome: ImportOutcome::AlreadyImported {
                    at: done.imported_at,
                    by: done.by,
                    first_file: done.file,
                },
                warnings: Vec::new(),
                clock_ahead: Vec::new(),
            });
        }
        let mut progress = self.progress.take();
        let report = self.import_checked(path, file, by, env, exporter, digest, &mut progress);
        self.progress = progress;
        report
    }

    /// `import_as` once the envelope is checked and known to be new.
    #[allow(clippy::too_many_arguments)]
    fn import_checked(
        &mut self,
        path: &Path,
        file: String,
        by: &str,
        env: Envelope,
        exporter: SiteRow,
        digest: String,
        progress: &mut Option<ProgressFn>,
    ) -> Result<ImportReport, AppError> {
        let dataset = self.store.site().dataset_id.clone();
        let own = self.store.site().no;
        let now = self.now_ms();
        let total = env.header.ops;
        let against = Against {
            file: path,
            dataset: &dataset,
            own_site_no: own,
        };
        // Pass 1: every check, nothing written. It notes the changesets
        // the database holds already, which pass 2 need not convert.
        let mut held = HashSet::new();
        let mut chain = Chain::default();
        let checked = {
            let r = self.reader();
            let mut done = 0u64;
            for_each_parsed(path, &env, false, now, Values::Check, |parsed| {
                tell(progress, SyncPhase::Checking, done, total);
                let c = check_changeset(&r, &against, &parsed, &mut chain)?;
                if !c.new {
                    held.insert(parsed.digest());
                }
                done += c.ops;
                Ok(())
            })
        };
        if let Err(refusal) = checked {
            // Nothing of the bundle is written, but a fork it showed is
            // remembered: later changesets of that site are judged knowing
            // it, and `sync status` shows it.
            if let Some((site_id, seq)) = chain.fork.take() {
                self.store
                    .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                        w.record_fork(&site_id, seq)?;
                        Ok(())
                    })?;
            }
            return Err(refusal);
        }
        // Pass 2: the same checks inside the write transaction (another
        // process may have imported meanwhile), then the writes.
        let cfg = self.config.clone();
        let sites: HashMap<String, SiteRow> = self
            .reader()
            .sites()?
            .into_iter()
            .map(|s| (s.site_id.clone(), s))
            .collect();
        let mut clock_ahead = Vec::new();
        let counts = self
            .store
            .write(now, ApplyMode::Bulk, |w| -> Result<Counts, AppError> {
                let mut chain = Chain::default();
                let mut new_ops = 0u64;
                let mut changesets = 0u64;
                let mut already_held = 0u64;
                let mut created = 0usize;
                let mut ahead: BTreeMap<i64, i64> = BTreeMap::new();
                let mut last_seq: HashMap<i64, i64> = HashMap::new();
                let mut max_hlc = 0i64;
                let mut done = 0u64;
                for_each_parsed(
                    path,
                    &env,
                    true,
                    now,
                    Values::Convert { held: &held },
                    |mut parsed| {
                        tell(progress, SyncPhase::Applying, done, total);
                        let c = check_changeset(&w.reader(), &against, &parsed, &mut chain)?;
                        done += c.ops;
                        if !c.new {
                            already_held += 1;
                            return Ok(());
                        }
                        changesets += 1;
                        created += c.created;
                        w.insert_changeset(
                            c.origin_no,
                            c.from,
                            c.to,
                            &c.hash,
                            c.prev.as_deref(),
                            &parsed.take_stored()?,
                            &hex::encode(parsed.sig()),
                        )?;
                        // The skew is judged on the origin's newest changes only:
                        // old ones filling a gap say nothing about its clock now.
                        let newest_before = match last_seq.get(&c.origin_no) {
                            Some(seq) => *seq,
                            None => {
                                let seq = w.reader().last_seq_of(c.origin_no)?;
                                last_seq.insert(c.origin_no, seq);
                                seq
                            }
                        };
                        for (op, value_json) in parsed.take_ops(path)? {
                            max_hlc = max_hlc.max(op.hlc);
                            if op.seq > newest_before {
                                let e = ahead.entry(c.origin_no).or_default();
                                *e = (*e).max((op.ms() - now).max(0));
                            }
                            if w.import_op(op, c.origin_no, &value_json)? {
                                new_ops += 1;
                            }
                        }
                        Ok(())
                    },
                )?;
                w.observe_hlc(max_hlc, now + MAX_SKEW_MS);
                for (origin, skew) in &ahead {
                    let skew = if *skew > MAX_SKEW_MS { *skew } else { 0 };
                    w.set_skew(*origin, skew)?;
                    if skew == 0 {
                        continue;
                    }
                    if let Some(s) = sites.values().find(|s| s.no == *origin) {
                        clock_ahead.push(ClockAhead {
                            code: s.code.clone(),
                            minutes: skew / 60_000,
                        });
                    }
                }
                for (site_id, seq) in &env.header.knows {
                    if let Some(origin) = sites.get(site_id) {
                        w.acknowledge(exporter.no, origin.no, *seq)?;
                    }
                }
                w.record_bundle(&digest, &file, Some(exporter.no), by, new_ops as i64)?;
                w.settle_imports()?;
                let touched: Vec<String> = w.touched().iter().cloned().collect();
                if touched.len() > CLOCK_REFRESH_LIMIT {
                    w.set_sla_fingerprint("stale")?;
                    // The history of these tickets may have changed how and
                    // when they finished: their outcomes are filled again
                    // before the next report.
                    for id in &touched {
                        w.drop_sla_outcome_of(id)?;
                    }
                    w.mark_sla_outcomes_incomplete()?;
                } else {
                    let at = crate::domain::ticket::ms_to_time(now);
                    for id in &touched {
                        if let Some((no, t)) = w.reader().ticket_by_id(id)? {
                            sla::refresh_clock(w, &cfg, no, &t, at)?;
                        }
                    }
                }
                Ok(Counts {
                    changesets,
                    already_held,
                    new_ops,
                    tickets: touched.len(),
                    created,
                })
            })?;
        // Only once settled, indexed and committed is the import done.
        tell(progress, SyncPhase::Applying, total, total);
        let outcome = if counts.new_ops == 0 {
            ImportOutcome::NothingNew {
                changesets: counts.changesets + counts.already_held,
            }
        } else {
            // A ticket created by the bundle is touched by it too.
            let created = counts.created.min(counts.tickets);
            ImportOutcome::Imported {
                changesets: counts.changesets,
                already_held: counts.already_held,
                new_ops: counts.new_ops,
                tickets: counts.tickets,
                created,
                updated: counts.tickets - created,
            }
        };
        let warnings = clock_ahead
            .iter()
            .map(|c| {
                format!(
                    "site {}'s clock is {} ahead of this one; its changes keep their order, but check its clock",
                    c.code,
                    super::duration::format_minutes(c.minutes)
                )
            })
            .collect();
        Ok(ImportReport {
            file,
            exporter: exporter.code,
            outcome,
            warnings,
            clock_ahead,
        })
    }

    /// Revokes trust in a site's key (a stolen laptop, a site closed): its
    /// bundles, and changesets it signed that arrive through relays, are
    /// refused from now on. What was already imported from it stays: the
    /// log is history, and other sites hold it too.
    pub fn revoke(&mut self, arg: &str) -> Result<SiteRow, AppError> {
        let sites = self.reader().sites()?;
        let site = site_named(&sites, arg)?.clone();
        if site.site_id == self.store.site().site_id {
            return Err(AppError::Invalid(format!(
                "{} is this database's own site; to stop using it, stop using this database",
                site.code
            )));
        }
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                w.set_trust(site.no, trust::REVOKED)?;
                Ok(())
            })?;
        self.reader()
            .site_by_id(&site.site_id)?
            .ok_or_else(|| AppError::Invalid("the site vanished".into()))
    }

    /// Trusts a site's key from a key file or a bundle it exported, or a
    /// site already recorded as pending by its code or id.
    pub fn trust(&mut self, arg: &str) -> Result<SiteRow, AppError> {
        let path = Path::new(arg);
        let (site_id, code, key) = if path.is_file() {
            let text = read_named_file(path)?;
            if looks_like_bundle(&text) {
                let env = format::check_envelope(path)?;
                if env.header.dataset != self.store.site().dataset_id {
                    return Err(refused(path, "it belongs to another dataset").into());
                }
                // The key in the header must be the one that signed the file.
                let signed = keys::verifying_key(&env.header.exporter.key)
                    .is_some_and(|k| keys::verify(&k, keys::BUNDLE_CONTEXT, &env.digest, &env.sig));
                if !signed {
                    return Err(
                        refused(path, "its signature does not match the key it names").into(),
                    );
                }
                let ex = env.header.exporter;
                (ex.site, ex.code, ex.key)
            } else {
                let k = KeyFile::parse(&String::from_utf8_lossy(&text), path)?;
                if k.dataset != self.store.site().dataset_id {
                    return Err(refused(
                        path,
                        format!("the key is for another dataset ({})", k.dataset),
                    )
                    .into());
                }
                (k.site, k.code, k.key)
            }
        } else {
            let with_key: Vec<SiteRow> = self
                .reader()
                .sites()?
                .into_iter()
                .filter(|s| s.pubkey.is_some())
                .collect();
            if !with_key
                .iter()
                .any(|s| s.code.eq_ignore_ascii_case(arg) || s.site_id == arg)
            {
                // A name that can only be a file's is said to be missing,
                // not looked for among the sites.
                if names_a_file(path) {
                    return Err(read_named_file(path).err().unwrap_or_else(|| {
                        AppError::Invalid(format!("{arg} is not a key file or a bundle"))
                    }));
                }
                return Err(AppError::Invalid(format!(
                    "no key file '{arg}' and no site '{arg}' with a known key; pass the site's key file (keys/<site>.pub in the shared folder) or a bundle it exported"
                )));
            }
            // Two pending sites may share a code: the operator names the
            // one whose fingerprint was confirmed by its site id.
            let s = site_named(&with_key, arg)?;
            (
                s.site_id.clone(),
                s.code.clone(),
                s.pubkey.clone().unwrap_or_default(),
            )
        };
        if keys::verifying_key(&key).is_none() {
            return Err(AppError::Invalid(format!(
                "the key of site {code} is not an ed25519 key"
            )));
        }
        self.check_site_identity(path, &site_id, &code, &key)?;
        if site_id == self.store.site().site_id {
            return Err(AppError::Invalid(format!(
                "{code} is this database's own site"
            )));
        }
        // Ticket keys are `<CODE>-<n>`: two sites with one code would give
        // two tickets the same key. A pending site's changes are never
        // imported, so a pending twin does not stop the operator from
        // trusting the one whose fingerprint they confirmed (by site id).
        if let Some(clash) = self.reader().sites()?.into_iter().find(|s| {
            s.site_id != site_id && s.code.eq_ignore_ascii_case(&code) && s.trust != trust::PENDING
        }) {
            // The code is this database's own: of the two, the one the
            // dataset does not have yet must be re-created, maybe this one.
            if clash.site_id == self.store.site().site_id {
                return Err(AppError::Invalid(format!(
                    "site {code} ({site_id}) uses this database's own code {}; ticket keys would collide, so it cannot be trusted here. If the other sites already hold its changes, this database must be re-created with another code (`guardia init --site OTHER --join KEYFILE`); otherwise that site must",
                    clash.code
                )));
            }
            return Err(AppError::Invalid(format!(
                "site {code} ({site_id}) uses the same code as site {} ({}); ticket keys would collide. One of them must be re-created with `guardia init --site` and another code",
                clash.code, clash.site_id
            )));
        }
        if let Some(existing) = self.reader().site_by_id(&site_id)?
            && existing.pubkey.as_deref().is_some_and(|k| k != key)
            && existing.trust == trust::TRUSTED
        {
            return Err(AppError::Invalid(format!(
                "site {code} is already trusted with another key (fingerprint {}); a site's key does not change, so this one may be forged",
                existing
                    .pubkey
                    .as_deref()
                    .map(keys::fingerprint)
                    .unwrap_or_default()
            )));
        }
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                w.upsert_site(&site_id, &code, &key, trust::TRUSTED)?;
                Ok(())
            })?;
        self.reader()
            .site_by_id(&site_id)?
            .ok_or_else(|| AppError::Invalid("the site vanished".into()))
    }

    /// Whether `path` is a bundle signed with this site's own key: found in
    /// this site's directory of a shared folder without this database
    /// having written it, it means another database uses this site.
    pub(super) fn signed_by_this_site(&self, path: &Path) -> Result<bool, AppError> {
        let Ok(env) = format::check_envelope(path) else {
            return Ok(false);
        };
        let own = self.store.site();
        if env.header.exporter.site != own.site_id {
            return Ok(false);
        }
        let key = self
            .reader()
            .site_by_id(&own.site_id)?
            .and_then(|s| s.pubkey)
            .and_then(|k| keys::verifying_key(&k));
        Ok(key.is_some_and(|k| keys::verify(&k, keys::BUNDLE_CONTEXT, &env.digest, &env.sig)))
    }

    /// Sets the export cursor `target` to `seq` of this site's own changes
    /// (a shared folder's cursor follows what the folder holds).
    pub(super) fn reset_own_cursor(&mut self, target: &str, seq: i64) -> Result<(), AppError> {
        let own = self.store.site().no;
        if self
            .reader()
            .export_cursor(target)?
            .get(&own)
            .copied()
            .unwrap_or(0)
            == seq
        {
            return Ok(());
        }
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                w.reset_export_cursor(target, own, seq)?;
                Ok(())
            })
    }

    /// Records a bundle file as seen without importing it (one this site
    /// wrote).
    pub(super) fn record_bundle(
        &mut self,
        digest: &str,
        name: &str,
        by: &str,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                w.record_bundle(digest, name, None, by, 0)?;
                Ok(())
            })
    }

    /// The checks of a site's identity that `sync trust` and a shared
    /// folder's key files share: a code and id guardia makes, and a key
    /// that no other site holds.
    fn check_site_identity(
        &self,
        path: &Path,
        site_id: &str,
        code: &str,
        key: &str,
    ) -> Result<(), AppError> {
        // guardia never writes such a code or id: the file was edited, and
        // a code outside the key shape would make tickets nobody can type.
        if !crate::domain::site::valid_site_code(code) || uuid::Uuid::parse_str(site_id).is_err() {
            return Err(refused(
                path,
                format!(
                    "it names site '{code}' ({site_id}), which is not a site code of 2 to 8 capital letters with a site id that guardia makes; it was edited or not made by guardia: ask that site for its key file (`guardia sync key --out FILE`)"
                ),
            )
            .into());
        }
        // Each site makes its own key: one key under two site ids is a key
        // file copied and edited.
        if let Some(other) = self
            .reader()
            .sites()?
            .into_iter()
            .find(|s| s.site_id != site_id && s.pubkey.as_deref() == Some(key))
        {
            return Err(refused(
                path,
                format!(
                    "it gives site {code} ({site_id}) the key site {} ({}) has; each site makes its own key, so one of the two key files was copied and edited: compare the fingerprints with both sites' operators",
                    other.code, other.site_id
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Records a key seen in a shared folder as pending (to be trusted by
    /// an operator); a known key is left as it is. A key file that
    /// `sync trust` would refuse, or one that contradicts a key known here,
    /// is refused (`SyncError::Refused`, naming `path`) and not recorded.
    pub fn note_key(&mut self, k: &KeyFile, path: &Path) -> Result<Option<SiteRow>, AppError> {
        let own = self.store.site().clone();
        if k.dataset != own.dataset_id {
            return Err(refused(
                path,
                format!(
                    "the key is for another dataset ({}), not this database's ({})",
                    k.dataset, own.dataset_id
                ),
            )
            .into());
        }
        self.check_site_identity(path, &k.site, &k.code, &k.key)?;
        let known = self.reader().site_by_id(&k.site)?;
        if let Some(s) = &known
            && let Some(key) = s.pubkey.as_deref()
            && key != k.key
        {
            return Err(refused(
                path,
                format!(
                    "it names site {} ({}), known here with another key (fingerprint {}); a site's key never changes, so this file was forged or altered: remove it from the folder",
                    s.code,
                    s.site_id,
                    keys::fingerprint(key)
                ),
            )
            .into());
        }
        if k.site == own.site_id {
            return Ok(None);
        }
        if let Some(s) = known.filter(|s| s.pubkey.is_some()) {
            return Ok(Some(s));
        }
        let now = self.now_ms();
        self.store
            .write(now, ApplyMode::Live, |w| -> Result<(), AppError> {
                w.upsert_site(&k.site, &k.code, &k.key, trust::PENDING)?;
                Ok(())
            })?;
        Ok(self.reader().site_by_id(&k.site)?)
    }
}

/// The dataset and site code a key file or bundle belongs to (to join it).
pub fn dataset_of(file: &Path) -> Result<(String, String), AppError> {
    let bytes = read_named_file(file)?;
    if looks_like_bundle(&bytes) {
        let env = format::check_envelope(file)?;
        Ok((env.header.dataset, env.header.exporter.code))
    } else {
        let k = KeyFile::parse(&String::from_utf8_lossy(&bytes), file)?;
        Ok((k.dataset, k.code))
    }
}

/// The bytes of a key file or bundle named on the command line.
fn read_named_file(file: &Path) -> Result<Vec<u8>, AppError> {
    if file.is_dir() {
        return Err(AppError::Invalid(format!(
            "{} is a folder; name a site's key file (in a shared folder: keys/<site id>.pub) or a bundle it exported",
            file.display()
        )));
    }
    let what = match file.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("gdb") => "bundle",
        Some(e) if e.eq_ignore_ascii_case("pub") => "key file",
        _ => "file",
    };
    std::fs::read(file).map_err(|cause| format::unreadable(what, file, cause).into())
}

/// Whether `arg` can only be meant as a file: site codes and ids hold no
/// path separator and no extension of guardia's files.
fn names_a_file(path: &Path) -> bool {
    path.components().count() > 1
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("gdb") || e.eq_ignore_ascii_case("pub"))
}

/// A bundle, or one whose line endings were changed in transit (the
/// envelope check then says so): its first four bytes survive that.
fn looks_like_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(&format::MAGIC[..4])
}

/// One site as `sync status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SiteStatus {
    pub code: String,
    pub site_id: String,
    pub trust: String,
    pub fingerprint: Option<String>,
    pub this_site: bool,
    /// Seq ranges of its changes held here.
    pub held: Vec<[i64; 2]>,
    /// Ranges missing between those held (a relay may bring them).
    pub gaps: Vec<[i64; 2]>,
    /// What it acknowledged holding of this site's changes.
    pub has_ours: Option<i64>,
    /// How far ahead of ours its clock was seen, in minutes (0: fine).
    pub clock_ahead_min: i64,
    /// The seq at which an import found this site forked (two databases
    /// using it); its changes that do not follow those held are refused.
    pub forked_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub dataset: String,
    pub site: String,
    /// This site's last op (all of them are exportable).
    pub last_seq: i64,
    pub sites: Vec<SiteStatus>,
    pub conflicts: i64,
    pub conflict_list: Vec<crate::store::sync::ConflictRow>,
    /// Ops waiting for a ticket or run that has not arrived.
    pub waiting_ops: i64,
}

impl App {
    pub fn sync_status(&self) -> Result<SyncStatus, AppError> {
        let r = self.reader();
        let own = self.store.site().clone();
        let held = r.held_ranges()?;
        let last_seq = r.next_seq()? - 1;
        let mut sites = Vec::new();
        for s in r.sites()? {
            let ranges = held.get(&s.no).cloned().unwrap_or_default();
            let mut gaps = Vec::new();
            let mut next = 1;
            for [a, b] in &ranges {
                if *a > next {
                    gaps.push([next, a - 1]);
                }
                next = b + 1;
            }
            let has_ours = r.peer_knows(s.no)?.get(&own.no).copied();
            sites.push(SiteStatus {
                this_site: s.no == own.no,
                held: if s.no == own.no && last_seq > 0 {
                    vec![[1, last_seq]]
                } else {
                    ranges
                },
                gaps,
                has_ours: if s.no == own.no { None } else { has_ours },
                clock_ahead_min: s.skew_ms / 60_000,
                forked_at: r.forked_at(&s.site_id)?,
                fingerprint: s.pubkey.as_deref().map(keys::fingerprint),
                code: s.code,
                site_id: s.site_id,
                trust: s.trust,
            });
        }
        Ok(SyncStatus {
            dataset: own.dataset_id,
            site: own.code,
            last_seq,
            sites,
            conflicts: r.conflict_count()?,
            conflict_list: r.conflicts(20)?,
            waiting_ops: r.waiting_ops()?,
        })
    }
}

/// The site an operator names by code or site id. Two sites can carry one
/// code (a second `init --join` with a code already taken, seen through a
/// shared folder before anyone trusted it): picking one silently could send
/// a bundle to, or revoke, the wrong one, so the site id is asked for.
fn site_named<'s>(sites: &'s [SiteRow], arg: &str) -> Result<&'s SiteRow, AppError> {
    if let Some(s) = sites.iter().find(|s| s.site_id == arg) {
        return Ok(s);
    }
    let matching: Vec<&SiteRow> = sites
        .iter()
        .filter(|s| s.code.eq_ignore_ascii_case(arg))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(AppError::unknown(
            "site",
            arg,
            sites.iter().map(|s| s.code.clone()),
        )),
        several => Err(AppError::Invalid(format!(
            "{} sites use the code {arg}: {}; name the one you mean by its site id (see `guardia sync status`)",
            several.len(),
            several
                .iter()
                .map(|s| format!("{} ({})", s.site_id, s.trust))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(no: i64, id: &str, code: &str, trust: &str) -> SiteRow {
        SiteRow {
            no,
            site_id: id.into(),
            code: code.into(),
            pubkey: None,
            trust: trust.into(),
            skew_ms: 0,
        }
    }

    #[test]
    fn a_code_two_sites_share_must_be_named_by_site_id() {
        let sites = [
            site(1, "id-bog", "BOG", "this"),
            site(2, "id-lyo-1", "LYO", "trusted"),
            site(3, "id-lyo-2", "LYO", "pending"),
        ];
        assert_eq!(site_named(&sites, "bog").map(|s| s.no).ok(), Some(1));
        assert_eq!(site_named(&sites, "id-lyo-2").map(|s| s.no).ok(), Some(3));
        let err = site_named(&sites, "LYO")
            .expect_err("ambiguous")
            .to_string();
        assert!(err.contains("2 sites use the code LYO"), "{err}");
        assert!(
            err.contains("id-lyo-1 (trusted)") && err.contains("id-lyo-2 (pending)"),
            "{err}"
        );
        assert!(site_named(&sites, "MAD").is_err());
    }
}
