//! Checking the changesets of an imported bundle. A helper thread reads the
//! file ahead of the importer and checks what a changeset's own bytes can
//! tell (its JSON, the sequence and dates of its ops, their kinds and
//! values); in the checking pass the importer parses every other changeset
//! itself. What needs the database (origin, trust, signature, forks, the
//! hash chain) is checked by the importer, in order. The refusals, and
//! which of several defects a changeset is refused for, are the same as if
//! each changeset were checked whole in one place.

use super::AppError;
use crate::domain::site;
use crate::store::Reader;
use crate::store::op_value;
use crate::store::ops::{Op, entity, kind};
use crate::store::sync::{StoredBody, parse_op_ref, trust};
use crate::store::{StoreError, TICKET_TEXTS};
use crate::sync::SyncError;
use crate::sync::format::{self, CHANGESET_FORMAT, ChangesetBody, Envelope, RawChangeset, WireOp};
use crate::sync::keys;
use crate::text::sanitize_line;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc;

/// An op dated further ahead than this is refused as absurd.
const ABSURD_AHEAD_MS: i64 = 366 * 24 * 3600 * 1000;

/// How many parsed changesets may wait for the importer. With the one the
/// reader is parsing and the one the importer is writing, at most four are
/// in memory: guardia seals at most 2,000 ops in one (a few megabytes once
/// converted), and a line is refused past 64 MiB.
const READ_AHEAD: usize = 2;

pub(super) fn refused(file: &Path, reason: impl Into<String>) -> SyncError {
    SyncError::Refused {
        file: file.display().to_string(),
        reason: reason.into(),
    }
}

const KNOWN_KINDS: &[(&str, &[&str])] = &[
    (
        entity::TICKET,
        &[
            kind::CREATE,
            kind::SET,
            kind::TRANSITION,
            kind::ESCALATE,
            kind::LINK,
            kind::ROUTE,
            kind::APPROVE,
        ],
    ),
    (entity::COMMENT, &[kind::CREATE]),
    (entity::WORKLOG, &[kind::CREATE]),
    (entity::ATTACHMENT, &[kind::CREATE]),
    (entity::RUNBOOK_RUN, &[kind::CREATE, kind::SET]),
];

/// What the reading thread does with each op's value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Values<'h> {
    /// Checks it and keeps nothing (the checking pass).
    Check,
    /// Parses it into the op the importer writes (the writing pass), and
    /// compresses the body for the database; not for the changesets whose
    /// digests are in `held`, which the database held when they were
    /// checked (a relay's or a repeated export's), and which the importer
    /// will skip.
    Convert { held: &'h HashSet<[u8; 32]> },
}

/// A changeset as read from the bundle, with what its own bytes say.
pub(super) struct Parsed {
    raw: RawChangeset,
    digest: [u8; 32],
    /// The body compressed as the database keeps it, when the reading
    /// thread converted the changeset (the importer has enough to do).
    stored: Option<Result<StoredBody, StoreError>>,
    /// The body, or why it cannot be read.
    body: Result<Body, String>,
}

/// What a changeset's body declares, and the verdict of its ops' own checks.
struct Body {
    format: String,
    dataset: String,
    site: String,
    code: String,
    from: i64,
    to: i64,
    prev: Option<String>,
    /// The first of the ops' own checks to fail, as the refusal says it.
    ops_error: Option<String>,
    /// The tickets its ops create, checked against the database later.
    created: Vec<Created>,
    /// The ops to write, each with its value as it travelled, or why one
    /// could not be converted; when the reading thread converted them.
    ops: Option<Result<Vec<(Op, String)>, String>>,
}

impl Parsed {
    /// Reads one changeset's line; never fails, so that the importer
    /// reports a damaged changeset only where it would have reached it.
    fn new(raw: RawChangeset, now_ms: i64, values: Values<'_>) -> Parsed {
        let digest = raw.digest();
        let convert = match values {
            Values::Check => false,
            Values::Convert { held } => !held.contains(&digest),
        };
        let body = match serde_json::from_slice::<ChangesetBody>(&raw.body) {
            Ok(b) => Ok(Body::of(b, now_ms, values, convert)),
            Err(e) => Err(format!("a changeset is not valid ({e})")),
        };
        let stored = convert.then(|| StoredBody::of(&raw.body));
        Parsed {
            raw,
            digest,
            stored,
            body,
        }
    }

    /// SHA-256 of the changeset's body.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The changeset's signature, as the bundle carries it.
    pub fn sig(&self) -> &[u8] {
        &self.raw.sig
    }

    /// The body to store, compressed on the reading thread if it was.
    pub fn take_stored(&mut self) -> Result<StoredBody, StoreError> {
        self.stored
            .take()
            .unwrap_or_else(|| StoredBody::of(&self.raw.body))
    }

    /// The ops of a changeset that passed [`check_changeset`], to write,
    /// converted on the reading thread if they were.
    pub fn take_ops(&mut self, file: &Path) -> Result<Vec<(Op, String)>, SyncError> {
        let body = self.body.as_mut().map_err(|e| refused(file, e.clone()))?;
        let at = format!("changeset {}-{}", body.from, body.to);
        let ops = match body.ops.take() {
            Some(ops) => ops,
            // Held when it was checked, new now: changesets are never
            // removed, so this is not expected, but the ops are still there.
            None => serde_json::from_slice::<ChangesetBody>(&self.raw.body)
                .map_err(|e| format!("a changeset is not valid ({e})"))
                .and_then(|b| convert_ops(&b)),
        };
        ops.map_err(|e| refused(file, format!("{at}: {e}")))
    }
}

fn convert_ops(b: &ChangesetBody<'_>) -> Result<Vec<(Op, String)>, String> {
    b.ops.iter().map(|w| op_of(&b.site, w)).collect()
}

impl Body {
    fn of(b: ChangesetBody<'_>, now_ms: i64, values: Values<'_>, convert: bool) -> Body {
        let (created, ops_error) = match check_ops(&b, now_ms, values) {
            Ok(created) => (created, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let ops = (convert && ops_error.is_none()).then(|| convert_ops(&b));
        Body {
            format: b.format,
            dataset: b.dataset,
            site: b.site,
            code: b.code,
            from: b.from,
            to: b.to,
            prev: b.prev,
            ops_error,
            created,
            ops,
        }
    }

    fn at(&self) -> String {
        changeset_at(&self.code, self.from, self.to)
    }
}

/// How a refusal names a changeset.
fn changeset_at(code: &str, from: i64, to: i64) -> String {
    format!("changeset {code} {from}-{to}")
}

/// A ticket a changeset creates: the op's seq, the ticket's key and id.
struct Created {
    seq: i64,
    key: String,
    id: String,
}

/// The checks of a changeset's ops that need nothing but the changeset;
/// the tickets they create, when they pass.
fn check_ops(
    b: &ChangesetBody<'_>,
    now_ms: i64,
    values: Values<'_>,
) -> Result<Vec<Created>, String> {
    let at = changeset_at(&b.code, b.from, b.to);
    // Wide enough for any `from` and `to` a forger may write.
    let count = i128::from(b.to) - i128::from(b.from) + 1;
    if b.from < 1 || count < 1 || b.ops.len() as i128 != count {
        return Err(format!("{at} holds {} ops", b.ops.len()));
    }
    let mut created = Vec::new();
    for (i, w) in b.ops.iter().enumerate() {
        if w.seq != b.from + i as i64 {
            return Err(format!("{at}: op {} is out of sequence", w.seq));
        }
        let ms = w.hlc >> 16;
        if w.hlc <= 0 || ms > now_ms + ABSURD_AHEAD_MS {
            return Err(format!("{at}: {}", absurd_date(w.seq, w.hlc, &b.code)));
        }
        check_op(w, matches!(values, Values::Check)).map_err(|e| format!("{at}: {e}"))?;
        if w.e == entity::TICKET && w.k == kind::CREATE {
            created.push(created_ticket(w).map_err(|e| format!("{at}: {e}"))?);
        }
    }
    Ok(created)
}

/// Why an op dated before 1970 or too far ahead is refused: its date, and
/// what to do (the section of docs/sync.md that says it).
fn absurd_date(seq: i64, hlc: i64, code: &str) -> String {
    let ms = hlc >> 16;
    let when = chrono::DateTime::from_timestamp_millis(ms)
        .filter(|_| hlc > 0)
        .map(|t| {
            format!(
                "{}, more than 366 days after this computer's clock",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
        .unwrap_or_else(|| "before 1970".into());
    format!(
        "op {seq} is dated {when}: check site {code}'s clock (and this one's); see \"A site whose clock was wrong\" in docs/sync.md"
    )
}

/// The key and id of the ticket an op creates. Refused: a key that is
/// missing or is not one guardia gives (`SITE-N`, as `new` writes it), as
/// every command takes a ticket by its key; and a value without a text the
/// ticket's row needs, which the import could not write.
fn created_ticket(w: &WireOp<'_>) -> Result<Created, String> {
    let value: BTreeMap<Cow<'_, str>, &RawValue> =
        serde_json::from_str(w.v.get()).map_err(|_| {
            format!(
                "op {} creates a ticket from a value that is not an object",
                w.seq
            )
        })?;
    let text = |name: &str| {
        value
            .get(name)
            .and_then(|raw| serde_json::from_str::<Cow<'_, str>>(raw.get()).ok())
    };
    let key = text("key").ok_or_else(|| format!("op {} creates a ticket without a key", w.seq))?;
    let well_formed =
        site::parse_ticket_key(&key).is_some_and(|(code, n)| site::ticket_key(code, n) == key);
    if !well_formed {
        return Err(format!(
            "op {} creates a ticket with key '{}', which is not a ticket key (SITE-NUMBER, e.g. BOG-42)",
            w.seq,
            sanitize_line(&key)
        ));
    }
    if let Some(missing) = TICKET_TEXTS.iter().find(|name| text(name).is_none()) {
        return Err(format!(
            "op {} creates ticket {} without its '{missing}' (a text)",
            w.seq,
            sanitize_line(&key)
        ));
    }
    Ok(Created {
        seq: w.seq,
        key: key.into_owned(),
        id: w.id.to_string(),
    })
}

/// Whether a wire op is one this version understands; with `value`, its
/// value is checked too (the writing pass parses it when it converts the
/// op, so a bundle is refused for a bad value before anything is written).
fn check_op(w: &WireOp<'_>, value: bool) -> Result<(), String> {
    let entity_kinds = KNOWN_KINDS
        .iter()
        .find(|(e, _)| *e == w.e)
        .ok_or_else(|| format!("op {} is on unknown entity '{}'", w.seq, w.e))?;
    if !entity_kinds.1.contains(&w.k.as_ref()) {
        return Err(format!(
            "op {} is of unknown kind '{}' on {}",
            w.seq, w.k, w.e
        ));
    }
    let needs_field = matches!(
        w.k.as_ref(),
        "set" | "transition" | "link" | "route" | "approve"
    );
    if needs_field && w.f.is_none() {
        return Err(format!("op {} ({} {}) names no field", w.seq, w.k, w.e));
    }
    if w.id.is_empty() || w.actor.is_empty() {
        return Err(format!("op {} has no entity or no actor", w.seq));
    }
    if let Some(p) = w.pred.iter().find(|p| parse_op_ref(p).is_none()) {
        return Err(format!("op {} names a malformed predecessor '{p}'", w.seq));
    }
    if value {
        format::check_value(w.v.get()).map_err(|e| bad_value(w, e))?;
        op_value::check(&w.e, &w.k, w.f.as_deref(), w.v.get())
            .map_err(|e| format!("op {} ({} {}) {e}", w.seq, w.k, w.e))?;
    }
    Ok(())
}

fn bad_value(w: &WireOp<'_>, e: serde_json::Error) -> String {
    format!("op {} has a value that is not valid JSON ({e})", w.seq)
}

/// The op a checked wire op stands for, with its value's text.
fn op_of(site: &str, w: &WireOp<'_>) -> Result<(Op, String), String> {
    let text = w.v.get();
    let value = format::parse_value(text).map_err(|e| bad_value(w, e))?;
    let op = Op {
        site: site.to_string(),
        seq: w.seq,
        hlc: w.hlc,
        actor: w.actor.to_string(),
        entity: w.e.to_string(),
        entity_id: w.id.to_string(),
        kind: w.k.to_string(),
        field: w.f.as_deref().map(str::to_string),
        value,
        pred: w.pred.iter().filter_map(|p| parse_op_ref(p)).collect(),
    };
    Ok((op, text.to_string()))
}

/// A changeset that passed every check.
pub(super) struct Checked {
    pub from: i64,
    pub to: i64,
    pub prev: Option<String>,
    /// How many ops it holds.
    pub ops: u64,
    pub origin_no: i64,
    pub hash: String,
    /// False when this database already holds it.
    pub new: bool,
    /// How many tickets its ops create (counted by its own checks).
    pub created: usize,
}

/// What a changeset is checked against besides itself.
pub(super) struct Against<'a> {
    pub file: &'a Path,
    pub dataset: &'a str,
    pub own_site_no: i64,
}

/// What the changesets checked before, in the same bundle, established:
/// the checking pass writes nothing, so the database cannot tell it yet.
#[derive(Debug, Default)]
pub(super) struct Chain {
    /// Each site's newest changeset: its last seq and its hash.
    tips: HashMap<String, (i64, String)>,
    /// The ticket keys and ids the bundle's changesets created, as 128-bit
    /// hashes (a million-op bundle creates ~90,000 tickets, and their texts
    /// would cost the import's memory budget), with the op's seq. Equal
    /// texts always hash alike, so no repeat slips through; two different
    /// ones colliding (odds about 2⁻⁹⁰ at that size) would only refuse.
    created: HashMap<u128, i64>,
    /// The site (its id) and the seq at which a changeset showed that site
    /// forked, when one was refused for that: the importer remembers it.
    pub fork: Option<(String, i64)>,
}

/// A 128-bit hash of `text` in the namespace `kind` (keys and ids apart).
fn created_hash(kind: u8, text: &str) -> u128 {
    use std::hash::BuildHasher;
    let half = |seed: u64| foldhash::quality::FixedState::with_seed(seed).hash_one((kind, text));
    (u128::from(half(0x9e37_79b9_7f4a_7c15)) << 64) | u128::from(half(0x2545_f491_4f6c_dd1d))
}

/// Every remaining check of one changeset against what the database holds
/// (and the changesets before it in the same bundle, `chain`), in the
/// order a changeset is judged: its body, format and dataset, origin and
/// trust, signature, its ops, forks, the hash chain, the tickets it creates.
pub(super) fn check_changeset(
    r: &Reader<'_>,
    against: &Against<'_>,
    p: &Parsed,
    chain: &mut Chain,
) -> Result<Checked, SyncError> {
    let file = against.file;
    let body = p.body.as_ref().map_err(|e| refused(file, e.clone()))?;
    let at = body.at();
    if body.format != CHANGESET_FORMAT {
        return Err(refused(
            file,
            format!("{at} has format '{}', not {CHANGESET_FORMAT}", body.format),
        ));
    }
    if body.dataset != against.dataset {
        return Err(refused(
            file,
            format!("{at} belongs to another dataset ({})", body.dataset),
        ));
    }
    let origin = r.site_by_id(&body.site)?.ok_or_else(|| {
        refused(
            file,
            format!(
                "{at} comes from site {} ({}), whose key this database does not have; get its key file and run `guardia sync trust FILE`",
                body.code, body.site
            ),
        )
    })?;
    // A changeset this database already holds, byte for byte, brings
    // nothing: a relay carrying a revoked site's old changes is not
    // refused for them.
    let hash = hex::encode(p.digest);
    let overlapping = r.changesets_overlapping(origin.no, body.from, body.to)?;
    let held_already = overlapping
        .iter()
        .any(|(f, t, h)| *f == body.from && *t == body.to && *h == hash);
    match origin.trust.as_str() {
        _ if held_already => {}
        trust::TRUSTED => {}
        trust::REVOKED => {
            return Err(refused(
                file,
                format!(
                    "{at} comes from site {}, whose key was revoked",
                    origin.code
                ),
            ));
        }
        _ => {
            return Err(refused(
                file,
                format!(
                    "{at} comes from site {}, which is not trusted yet; compare key fingerprint {} with its operator, then run `guardia sync trust {}`",
                    origin.code,
                    origin
                        .pubkey
                        .as_deref()
                        .map(keys::fingerprint)
                        .unwrap_or_default(),
                    origin.code
                ),
            ));
        }
    }
    let key = origin
        .pubkey
        .as_deref()
        .and_then(keys::verifying_key)
        .ok_or_else(|| refused(file, format!("site {} has no usable key", origin.code)))?;
    if !held_already && !keys::verify(&key, keys::CHANGESET_CONTEXT, &p.digest, &p.raw.sig) {
        return Err(refused(
            file,
            format!(
                "{at} has a bad signature: it was altered after site {} signed it",
                origin.code
            ),
        ));
    }
    if let Some(e) = &body.ops_error {
        return Err(refused(file, e.clone()));
    }
    // Known, or a fork: the same seqs with other contents.
    let known = held_already;
    if !known {
        if origin.no == against.own_site_no {
            return Err(refused(
                file,
                format!(
                    "{at} was signed with this site's key, but this database never wrote it: two databases use site {} (a restored backup or a copied file). Stop using one of them; the other must be re-created with `guardia init` and a new site code",
                    origin.code
                ),
            ));
        }
        if let Some((f, t, _)) = overlapping.first() {
            let seq = body.from.max(*f);
            chain.fork = Some((body.site.clone(), seq));
            let seq = r.forked_at(&body.site)?.map_or(seq, |known| known.min(seq));
            return Err(forked(
                file,
                &origin.code,
                seq,
                &format!("this database holds other changes of that site with seqs {f}-{t}"),
            ));
        }
    }
    // The hash chain: the previous changeset of the origin, when known.
    let (expected_prev, prev_held_here) = if body.from == 1 {
        (Some(None), false)
    } else if let Some((_, h)) = chain
        .tips
        .get(&body.site)
        .filter(|(last, _)| *last == body.from - 1)
    {
        (Some(Some(h.clone())), false)
    } else {
        let held = r.changeset_ending(origin.no, body.from - 1)?;
        let found = held.is_some();
        (held.map(Some), found)
    };
    match expected_prev {
        Some(expected) if expected != body.prev => {
            // Signed by its origin, yet following another changeset than
            // the one held here: the origin's key signed two histories, so
            // two databases use that site (the first of them to arrive was
            // taken).
            if prev_held_here
                && !known
                && let Some((f, t, _)) = r
                    .changesets_overlapping(origin.no, body.from - 1, body.from - 1)?
                    .first()
            {
                chain.fork = Some((body.site.clone(), *f));
                let seq = r.forked_at(&body.site)?.map_or(*f, |known| known.min(*f));
                return Err(forked(
                    file,
                    &origin.code,
                    seq,
                    &format!("{at} follows other changes than those of seqs {f}-{t} held here"),
                ));
            }
            return Err(refused(
                file,
                format!("{at} does not follow the site's previous changeset (forged, or damaged)"),
            ));
        }
        // A gap: the link cannot be checked. Once the origin is known to
        // have forked, a changeset after the fork that cannot be checked
        // may follow the other database's changes, which would then be
        // folded on top of this database's: refused until the gap is filled.
        None if !known && body.from > 1 => {
            if let Some(seq) = r.forked_at(&body.site)?
                && body.from > seq
            {
                return Err(forked(
                    file,
                    &origin.code,
                    seq,
                    &format!(
                        "{at} follows changes up to seq {} that this database does not hold (perhaps the other database's), so it cannot be checked against those held here",
                        body.from - 1
                    ),
                ));
            }
        }
        _ => {}
    }
    if !known {
        check_created(r, chain, &at, &origin.code, &body.created).map_err(|e| refused(file, e))?;
    }
    chain
        .tips
        .insert(body.site.clone(), (body.to, hash.clone()));
    Ok(Checked {
        from: body.from,
        to: body.to,
        prev: body.prev.clone(),
        ops: (body.to - body.from + 1) as u64,
        origin_no: origin.no,
        hash,
        new: !known,
        created: body.created.len(),
    })
}

/// Why a changeset of a forked site is refused: `what` shows the fork, and
/// the rest says what this database does and what the site's operators
/// must do.
fn forked(file: &Path, code: &str, seq: i64, what: &str) -> SyncError {
    SyncError::Forked {
        file: file.display().to_string(),
        code: code.to_string(),
        reason: format!(
            "site {code} forked at seq {seq}: {what}. Two databases use site {code} (a restored backup, or a copy of its database file); this database keeps the changes of site {code} it holds and refuses those that do not follow them. The operators of site {code} must keep one of the two databases and re-create the other with a new site code (see \"Forks\" in docs/sync.md)"
        ),
    }
}

/// The tickets a new changeset creates, against the origin (a site creates
/// only keys of its own code: another's would take a key that site is yet
/// to give) and against the tickets this database and the bundle already
/// hold (a key or an id is given once). Refused before anything is
/// written: the database's unique key would otherwise stop the import, or
/// every later `new` of the site whose key was taken.
fn check_created(
    r: &Reader<'_>,
    chain: &mut Chain,
    at: &str,
    origin_code: &str,
    created: &[Created],
) -> Result<(), String> {
    for c in created {
        let key = sanitize_line(&c.key);
        let code = c.key.rsplit_once('-').map_or("", |(code, _)| code);
        if code != origin_code {
            return Err(format!(
                "{at}, op {}: ticket key {key} in a changeset of site {origin_code}: a site creates only its own keys",
                c.seq
            ));
        }
        let clash = match r
            .ticket_key_or_id(&c.key, &c.id)
            .map_err(|e| e.to_string())?
        {
            Some((id, k)) if k == c.key && id == c.id => {
                Some(format!("ticket {key} exists already"))
            }
            Some((_, k)) if k == c.key => Some(format!(
                "ticket key {key} is already given to another ticket"
            )),
            Some((_, k)) => Some(format!(
                "the ticket it creates as {key} exists already, as {}",
                sanitize_line(&k)
            )),
            None => None,
        };
        let (key_hash, id_hash) = (created_hash(b'K', &c.key), created_hash(b'T', &c.id));
        let clash = clash.or_else(|| {
            let seq = chain
                .created
                .get(&key_hash)
                .or_else(|| chain.created.get(&id_hash))
                .copied()?;
            Some(format!(
                "op {seq} of site {origin_code} in this bundle already created ticket {key} (or this ticket)"
            ))
        });
        if let Some(clash) = clash {
            return Err(format!(
                "{at}, op {}: {clash}; a site creates each ticket and each key once, so the changeset is forged or site {origin_code}'s database is damaged",
                c.seq
            ));
        }
        chain.created.insert(key_hash, c.seq);
        chain.created.insert(id_hash, c.seq);
    }
    Ok(())
}

/// A changeset as the reading thread hands it over.
enum Read {
    Parsed(Box<Parsed>),
    /// Left for the importer to parse: with nothing to write in the
    /// checking pass, it would otherwise wait for the reader.
    Raw(RawChangeset),
}

/// Streams the changesets of a checked bundle to `each`, in order, read,
/// hashed and parsed on a helper thread while `each` works on the one
/// before (in the checking pass, which writes nothing, the calling thread
/// parses every other changeset itself). Errors are reported where one
/// thread going through the file would have met them: one from `each`
/// first, then damage the file shows further on.
pub(super) fn for_each_parsed(
    path: &Path,
    env: &Envelope,
    rehash: bool,
    now_ms: i64,
    values: Values<'_>,
    mut each: impl FnMut(Parsed) -> Result<(), AppError>,
) -> Result<(), AppError> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Result<Read, SyncError>>(READ_AHEAD);
        scope.spawn(move || {
            let mut share = false;
            let read = format::for_each_changeset(path, env, rehash, |raw| {
                share = matches!(values, Values::Check) && !share;
                let read = if share {
                    Read::Raw(raw)
                } else {
                    Read::Parsed(Box::new(Parsed::new(raw, now_ms, values)))
                };
                // The importer stopped (it refused an earlier changeset):
                // stop reading too; nobody hears this error.
                tx.send(Ok(read))
                    .map_err(|_| refused(path, "the import stopped"))
            });
            if let Err(e) = read {
                let _ = tx.send(Err(e));
            }
        });
        // `rx` is dropped when this returns, before the scope waits for
        // the reader, so a reader blocked on a full channel wakes and ends.
        rx.into_iter().try_for_each(|read| {
            each(match read? {
                Read::Parsed(p) => *p,
                Read::Raw(raw) => Parsed::new(raw, now_ms, values),
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: i64 = 1_000_000;
    const VALUE: &str = r#"{"key":"BOG-1","type":"incident","service":"osf","title":"x","description":"y","status":"new","priority":"P3","impact":"low","urgency":"low"}"#;

    fn op() -> String {
        format!(
            r#"{{"seq":1,"hlc":65536,"actor":"ana","e":"ticket","id":"t1","k":"create","v":{VALUE},"pred":[]}}"#
        )
    }

    fn raw(from: i64, to: i64) -> RawChangeset {
        let op = op();
        let body = format!(
            r#"{{"format":"{CHANGESET_FORMAT}","dataset":"d","site":"s1","code":"BOG","inc":1,"from":{from},"to":{to},"prev":null,"app":"guardia test","ops":[{op}]}}"#
        );
        RawChangeset {
            body: body.into_bytes(),
            sig: vec![0; 64],
        }
    }

    #[test]
    fn a_changeset_skipped_as_held_still_gives_its_ops_when_asked() {
        let file = Path::new("b.gdb");
        let none = HashSet::new();
        let mut converted = Parsed::new(raw(1, 1), NOW_MS, Values::Convert { held: &none });
        assert!(
            converted.stored.is_some(),
            "compressed on the reading thread"
        );
        let held = HashSet::from([raw(1, 1).digest()]);
        let mut skipped = Parsed::new(raw(1, 1), NOW_MS, Values::Convert { held: &held });
        assert!(
            skipped.stored.is_none(),
            "a held changeset is not compressed"
        );
        for parsed in [&mut converted, &mut skipped] {
            let ops = parsed.take_ops(file).expect("ops");
            assert_eq!(ops.len(), 1);
            assert_eq!(ops[0].0.entity_id, "t1");
            assert_eq!(ops[0].1, VALUE);
            assert!(parsed.take_stored().is_ok());
        }
    }

    #[test]
    fn an_absurd_date_is_told_as_a_date_or_as_before_1970() {
        let ahead = absurd_date(3, 1_900_000_000_000 << 16, "LYO");
        assert!(ahead.starts_with("op 3 is dated 2030-03-17T17:46:40Z, more than 366 days after this computer's clock: check site LYO's clock"), "{ahead}");
        for hlc in [0, -1, i64::MIN] {
            let before = absurd_date(3, hlc, "LYO");
            assert!(
                before.starts_with("op 3 is dated before 1970: check site LYO's clock"),
                "{before}"
            );
            assert!(before.contains("\"A site whose clock was wrong\" in docs/sync.md"));
        }
    }

    #[test]
    fn any_range_a_forger_writes_is_refused_without_overflowing() {
        for (from, to) in [(0, i64::MAX), (i64::MIN, i64::MAX), (2, i64::MIN), (1, 5)] {
            let parsed = Parsed::new(raw(from, to), NOW_MS, Values::Check);
            let body = parsed.body.as_ref().expect("the body parses");
            let refusal = body.ops_error.as_deref().expect("refused");
            assert!(refusal.contains("holds 1 ops"), "{from}-{to}: {refusal}");
        }
        let fine = Parsed::new(raw(1, 1), NOW_MS, Values::Check);
        assert_eq!(fine.body.as_ref().map(|b| b.ops_error.is_none()), Ok(true));
    }
}
