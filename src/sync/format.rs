//! The bundle file (`.gdb`), byte by byte as docs/sync.md specifies it:
//!
//! ```text
//! 0     8   magic 89 47 44 42 0D 0A 1A 0A ("\x89GDB\r\n\x1a\n")
//! 8     2   format major (LE)        10  2  format minor (LE)
//! 12    4   header length n (LE), at most 64 KiB
//! 16    n   header: UTF-8 JSON
//! 16+n  8   payload length m (LE)
//! 24+n  m   payload: one zstd frame (content checksum on) of changeset lines
//!       4   "GDBT"
//!       32  SHA-256 of every byte before it, "GDBT" included
//!       1   signature algorithm (1 = ed25519)
//!       64  the exporter's signature of "guardia-bundle-v1\0" || SHA-256
//! ```
//!
//! A changeset line is `<body JSON>\t<signature hex>\n`: JSON escapes tabs
//! and newlines inside strings, so the last tab separates the two. Bodies
//! are kept and relayed verbatim, so no canonical JSON is needed.
//!
//! Reading checks the envelope (lengths, checksum) before decompressing a
//! byte, and decompression is capped by the length the header declares.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::SyncError;
use crate::store::sync::OpText;

pub const MAGIC: [u8; 8] = *b"\x89GDB\r\n\x1a\n";
pub const MAJOR: u16 = 1;
pub const MINOR: u16 = 0;
pub const TRAILER_TAG: &[u8; 4] = b"GDBT";
pub const SIG_ED25519: u8 = 1;
pub const MAX_HEADER: u32 = 64 * 1024;
/// A changeset line longer than this is refused (ours hold at most
/// [`CHANGESET_OPS`] ops).
pub const MAX_LINE: usize = 64 * 1024 * 1024;
/// Ops per sealed changeset.
pub const CHANGESET_OPS: usize = 2_000;
pub const BUNDLE_FORMAT: &str = "guardia-bundle";
pub const CHANGESET_FORMAT: &str = "guardia-cs-1";
const PREFIX_LEN: u64 = 16;
const TRAILER_LEN: u64 = 4 + 32 + 1 + 64;

/// Who exported a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exporter {
    pub site: String,
    pub code: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub dataset: String,
    pub bundle_id: String,
    pub created: String,
    pub exporter: Exporter,
    /// Origin site → seq ranges of the changesets inside.
    pub contains: BTreeMap<String, Vec<[i64; 2]>>,
    /// The exporter's version vector: for each origin, every seq up to this
    /// one is held by the exporter (an acknowledgement).
    pub knows: BTreeMap<String, i64>,
    pub changesets: u64,
    pub ops: u64,
    pub uncompressed_len: u64,
}

/// One op as it travels, read in place from its changeset's body: the
/// actor, entity, id and kind are borrowed unless they hold escapes, and
/// the value stays JSON text, which the log stores as it is once
/// [`parse_value`] has accepted it. An import used to parse every value
/// and print it again for the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireOp<'a> {
    pub seq: i64,
    pub hlc: i64,
    #[serde(borrow)]
    pub actor: Cow<'a, str>,
    #[serde(borrow)]
    pub e: Cow<'a, str>,
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub k: Cow<'a, str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub f: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub v: &'a RawValue,
    /// Predecessors as `site:seq`.
    #[serde(borrow)]
    pub pred: Vec<Cow<'a, str>>,
}

/// An op's value, parsed from the JSON text it travels as, refusing
/// objects that repeat a key. The log keeps an imported value as that
/// text, and repeated keys would read differently on the two sides of the
/// database: serde keeps the last one (the fold), SQLite's JSON functions
/// the first (the dashboard's and the report's indexes on `$.to`).
pub fn parse_value(text: &str) -> serde_json::Result<serde_json::Value> {
    serde_json::from_str::<UniqueKeys>(text).map(|v| v.0)
}

/// What [`parse_value`] checks, without building the value: pass 1 of an
/// import checks every op before anything is written, and building each
/// value only to drop it was a tenth of that pass. Strings, numbers and
/// nesting are read by the same parser, so the same values fail (a lone
/// surrogate, a number beyond `f64`, 128 levels of nesting or more).
pub fn check_value(text: &str) -> serde_json::Result<()> {
    serde_json::from_str::<ValueShape>(text).map(|_| ())
}

/// Why [`parse_value`] and [`check_value`] refuse an object.
fn repeated_key<E: serde::de::Error>(key: &str) -> E {
    E::custom(format!("the key '{key}' appears twice in one object"))
}

/// A JSON value read for [`check_value`]: nothing kept.
struct ValueShape;

impl<'de> Deserialize<'de> for ValueShape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueShapeVisitor)
    }
}

struct ValueShapeVisitor;

impl<'de> serde::de::Visitor<'de> for ValueShapeVisitor {
    type Value = ValueShape;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<ValueShape, E> {
        Ok(ValueShape)
    }

    fn visit_i64<E>(self, _: i64) -> Result<ValueShape, E> {
        Ok(ValueShape)
    }

    fn visit_u64<E>(self, _: u64) -> Result<ValueShape, E> {
        Ok(ValueShape)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ValueShape, E> {
        if v.is_finite() {
            Ok(ValueShape)
        } else {
            Err(E::custom("a number that is not finite"))
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<ValueShape, E> {
        Ok(ValueShape)
    }

    fn visit_unit<E>(self) -> Result<ValueShape, E> {
        Ok(ValueShape)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ValueShape, A::Error> {
        while seq.next_element::<ValueShape>()?.is_some() {}
        Ok(ValueShape)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ValueShape, A::Error> {
        // Objects in op values have a handful of keys: a list beats a set.
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        while let Some(KeyText(key)) = map.next_key()? {
            if keys.contains(&key) {
                return Err(repeated_key(&key));
            }
            map.next_value::<ValueShape>()?;
            keys.push(key);
        }
        Ok(ValueShape)
    }
}

/// An object key, borrowed from the text unless it holds an escape.
struct KeyText<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for KeyText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyTextVisitor)
    }
}

struct KeyTextVisitor;

impl<'de> serde::de::Visitor<'de> for KeyTextVisitor {
    type Value = KeyText<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<KeyText<'de>, E> {
        Ok(KeyText(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<KeyText<'de>, E> {
        Ok(KeyText(Cow::Owned(v.to_string())))
    }
}

/// A JSON value whose objects repeat no key (see [`parse_value`]).
struct UniqueKeys(serde_json::Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<UniqueKeys, E> {
        serde_json::Number::from_f64(v)
            .map(|n| UniqueKeys(n.into()))
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_string<E>(self, v: String) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(serde_json::Value::Null))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(UniqueKeys(serde_json::Value::Array(items)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(repeated_key(&key));
            }
            let UniqueKeys(v) = map.next_value()?;
            object.insert(key, v);
        }
        Ok(UniqueKeys(serde_json::Value::Object(object)))
    }
}

/// A predecessor as the log stores it.
#[derive(Deserialize)]
struct StoredRef<'a> {
    #[serde(borrow)]
    site: std::borrow::Cow<'a, str>,
    seq: i64,
}

/// A JSON string, escaped.
fn push_str(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, s)
}

/// Appends an op of the log, as its row holds it, to a changeset body as
/// the JSON object [`WireOp`] reads: the value is the JSON text the log
/// stores, copied as is, and the predecessors (the log's JSON array of
/// `{site, seq}`) become `site:seq`. Sealing is the bulk of a first
/// export: parsing every value only to print it again doubled its cost,
/// and building owned ops cost an allocation per column.
pub fn write_sealed_op(op: &OpText<'_>, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let refs: Vec<StoredRef<'_>> = serde_json::from_str(op.pred_json)?;
    // The value is signed as it is, so a damaged one must stop the export
    // here, not every importer later: valid JSON, and on one line (JSON
    // allows a line break between tokens; a changeset is one line).
    let _: &RawValue = serde_json::from_str(op.value_json)?;
    if op.value_json.contains(['\n', '\r']) {
        return Err(serde::de::Error::custom("the value spans several lines"));
    }
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{{\"seq\":{},\"hlc\":{},\"actor\":", op.seq, op.hlc);
    push_str(out, op.actor)?;
    out.extend_from_slice(b",\"e\":");
    push_str(out, op.entity)?;
    out.extend_from_slice(b",\"id\":");
    push_str(out, op.entity_id)?;
    out.extend_from_slice(b",\"k\":");
    push_str(out, op.kind)?;
    if let Some(f) = op.field {
        out.extend_from_slice(b",\"f\":");
        push_str(out, f)?;
    }
    out.extend_from_slice(b",\"v\":");
    out.extend_from_slice(op.value_json.trim().as_bytes());
    out.extend_from_slice(b",\"pred\":[");
    for (i, r) in refs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, &format!("{}:{}", r.site, r.seq))?;
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// Everything of a changeset body but its ops, as sealing writes it.
#[derive(Debug, Clone, Copy)]
pub struct SealedHead<'a> {
    pub format: &'a str,
    pub dataset: &'a str,
    pub site: &'a str,
    pub code: &'a str,
    pub inc: i64,
    pub from: i64,
    pub to: i64,
    pub prev: Option<&'a str>,
    pub app: &'a str,
}

impl SealedHead<'_> {
    /// The body, as [`ChangesetBody`] reads it, around `ops`: the ops'
    /// JSON objects separated by commas ([`write_sealed_op`]).
    pub fn body(&self, ops: &[u8]) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(ops.len() + 512);
        out.extend_from_slice(b"{\"format\":");
        push_str(&mut out, self.format)?;
        out.extend_from_slice(b",\"dataset\":");
        push_str(&mut out, self.dataset)?;
        out.extend_from_slice(b",\"site\":");
        push_str(&mut out, self.site)?;
        out.extend_from_slice(b",\"code\":");
        push_str(&mut out, self.code)?;
        let _ = write!(
            out,
            ",\"inc\":{},\"from\":{},\"to\":{},\"prev\":",
            self.inc, self.from, self.to
        );
        match self.prev {
            Some(p) => push_str(&mut out, p)?,
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"app\":");
        push_str(&mut out, self.app)?;
        out.extend_from_slice(b",\"ops\":[");
        out.extend_from_slice(ops);
        out.extend_from_slice(b"]}");
        Ok(out)
    }
}

/// A changeset's signed body: a run of one site's ops (written by
/// [`SealedHead::body`]), its ops read in place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangesetBody<'a> {
    pub format: String,
    pub dataset: String,
    pub site: String,
    pub code: String,
    pub inc: i64,
    pub from: i64,
    pub to: i64,
    /// SHA-256 (hex) of the body of this site's previous changeset.
    pub prev: Option<String>,
    pub app: String,
    #[serde(borrow)]
    pub ops: Vec<WireOp<'a>>,
}

/// A changeset line, still as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChangeset {
    pub body: Vec<u8>,
    pub sig: Vec<u8>,
}

impl RawChangeset {
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.body).into()
    }
    pub fn line_len(&self) -> u64 {
        (self.body.len() + 1 + self.sig.len() * 2 + 1) as u64
    }
}

/// What the envelope check found.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub header: Header,
    pub payload_offset: u64,
    pub payload_len: u64,
    pub digest: [u8; 32],
    pub sig: Vec<u8>,
    pub minor: u16,
}

fn refused(path: &Path, reason: impl Into<String>) -> SyncError {
    SyncError::Refused {
        file: path.display().to_string(),
        reason: reason.into(),
    }
}

fn io(path: &Path, cause: std::io::Error) -> SyncError {
    SyncError::Io {
        file: path.display().to_string(),
        cause,
    }
}

/// A file named on the command line (`what`: "bundle", "key file") that
/// cannot be opened.
pub fn unreadable(what: &'static str, path: &Path, cause: std::io::Error) -> SyncError {
    SyncError::Unreadable {
        what,
        file: path.display().to_string(),
        cause,
    }
}

/// Why a bundle is not written over an existing file.
fn exists_already(path: &Path) -> SyncError {
    SyncError::Invalid(format!(
        "{} already exists, and guardia does not write a bundle over a file (it may be a bundle not imported yet, perhaps another site's); name another file, or move that one away first",
        path.display()
    ))
}

/// Gives the finished temporary file its name, never replacing a file
/// that appeared there meanwhile: a hard link fails if the name is taken.
/// Filesystems without hard links (FAT on USB sticks) get a check and a
/// rename instead.
fn publish(tmp: &Path, path: &Path) -> Result<(), SyncError> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => {
            let _ = std::fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists_already(path)),
        Err(_) => {
            if path.symlink_metadata().is_ok() {
                return Err(exists_already(path));
            }
            std::fs::rename(tmp, path).map_err(|e| write_failed(path, e))
        }
    }
}

/// Why `path` could not be written, and what to do about it. Nothing is
/// left behind: the temporary file is removed by the caller.
pub fn write_failed(path: &Path, cause: std::io::Error) -> SyncError {
    use std::io::ErrorKind as K;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let what = match cause.kind() {
        K::NotFound => format!(
            "the folder {} does not exist; create it first (mkdir -p {}) or name a file in a folder that exists",
            dir.display(),
            dir.display()
        ),
        K::NotADirectory => format!(
            "{} is not a folder (part of it is a file); name a file in a folder that exists",
            dir.display()
        ),
        K::PermissionDenied | K::ReadOnlyFilesystem => {
            format!("{cause}; name a file in a folder you may write to")
        }
        K::StorageFull | K::QuotaExceeded => {
            format!("{cause}; free some space, then try again")
        }
        _ => format!("{cause}; nothing was written, try again"),
    };
    SyncError::Invalid(format!("cannot write {}: {what}", path.display()))
}

/// A temporary name for `name` in `dir` that no other process uses: two
/// exports to the same file at once each write their own, and the one that
/// loses the race to publish says the file exists, instead of both writing
/// into one file (a corrupt bundle, reported as written).
pub fn temporary_beside(dir: Option<&Path>, name: &str) -> std::path::PathBuf {
    let unique = format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    match dir {
        Some(d) => d.join(unique),
        None => std::path::PathBuf::from(unique),
    }
}

/// Writes a bundle to `path` (through a temporary name in the same
/// directory, synced and renamed, so a reader never sees half a file).
/// `sign` signs the file's SHA-256. An existing file is never replaced: it
/// may be a bundle still waiting to be imported.
pub fn write_bundle(
    path: &Path,
    header: &Header,
    changesets: impl Iterator<Item = Result<RawChangeset, SyncError>>,
    sign: impl FnOnce(&[u8; 32]) -> Vec<u8>,
) -> Result<(u64, [u8; 32]), SyncError> {
    if path.is_dir() {
        return Err(SyncError::Invalid(format!(
            "{} is a folder; name the bundle file to write, e.g. {}",
            path.display(),
            path.join("bundle.gdb").display()
        )));
    }
    // Checked before anything is written, and again at the end.
    if path.symlink_metadata().is_ok() {
        return Err(exists_already(path));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle.gdb".into());
    let tmp = temporary_beside(dir, &name);
    // A failure names the file the user asked for, not the temporary one.
    let result = write_to(&tmp, header, changesets, sign).map_err(|e| match e {
        SyncError::Io { cause, .. } => write_failed(path, cause),
        other => other,
    });
    match result {
        Ok(written) => {
            if let Err(e) = publish(&tmp, path) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            if let Some(d) = dir
                && let Ok(f) = File::open(d)
            {
                let _ = f.sync_all();
            }
            Ok(written)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn write_to(
    tmp: &Path,
    header: &Header,
    changesets: impl Iterator<Item = Result<RawChangeset, SyncError>>,
    sign: impl FnOnce(&[u8; 32]) -> Vec<u8>,
) -> Result<(u64, [u8; 32]), SyncError> {
    let e = |c| io(tmp, c);
    let header_json = serde_json::to_vec(header).map_err(|c| e(c.into()))?;
    if header_json.len() as u32 > MAX_HEADER {
        return Err(SyncError::Invalid(format!(
            "the bundle header would be {} bytes, more than {MAX_HEADER}; export fewer sites at once",
            header_json.len()
        )));
    }
    // Its own file: another export to the same name writes another one.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(e)?;
    let mut w = BufWriter::new(file);
    w.write_all(&MAGIC).map_err(e)?;
    w.write_all(&MAJOR.to_le_bytes()).map_err(e)?;
    w.write_all(&MINOR.to_le_bytes()).map_err(e)?;
    w.write_all(&(header_json.len() as u32).to_le_bytes())
        .map_err(e)?;
    w.write_all(&header_json).map_err(e)?;
    let len_at = PREFIX_LEN + header_json.len() as u64;
    w.write_all(&0u64.to_le_bytes()).map_err(e)?;
    // Level 1: faster than 3 on changeset JSON, and the files came out
    // no larger (6.8 MB against 7.1 MB for 222,648 ops).
    let mut enc = zstd::stream::Encoder::new(w, 1).map_err(e)?;
    enc.include_checksum(true).map_err(e)?;
    let mut written = 0u64;
    for cs in changesets {
        let cs = cs?;
        enc.write_all(&cs.body).map_err(e)?;
        enc.write_all(b"\t").map_err(e)?;
        enc.write_all(hex::encode(&cs.sig).as_bytes()).map_err(e)?;
        enc.write_all(b"\n").map_err(e)?;
        written += cs.line_len();
    }
    if written != header.uncompressed_len {
        return Err(SyncError::Invalid(format!(
            "the changesets changed while exporting ({written} bytes, header says {}); export again",
            header.uncompressed_len
        )));
    }
    let mut w = enc.finish().map_err(e)?;
    w.flush().map_err(e)?;
    let mut file = w.into_inner().map_err(|c| e(c.into_error()))?;
    let end = file.stream_position().map_err(e)?;
    let payload_len = end - len_at - 8;
    file.seek(SeekFrom::Start(len_at)).map_err(e)?;
    file.write_all(&payload_len.to_le_bytes()).map_err(e)?;
    file.seek(SeekFrom::Start(0)).map_err(e)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut (&mut file).take(end), &mut hasher).map_err(e)?;
    hasher.update(TRAILER_TAG);
    let digest: [u8; 32] = hasher.finalize().into();
    let sig = sign(&digest);
    file.seek(SeekFrom::End(0)).map_err(e)?;
    file.write_all(TRAILER_TAG).map_err(e)?;
    file.write_all(&digest).map_err(e)?;
    file.write_all(&[SIG_ED25519]).map_err(e)?;
    file.write_all(&sig).map_err(e)?;
    file.sync_all().map_err(e)?;
    Ok((end + TRAILER_LEN, digest))
}

/// Checks the envelope: magic, version, lengths against the file size, and
/// the checksum. Decompresses nothing.
pub fn check_envelope(path: &Path) -> Result<Envelope, SyncError> {
    let mut f = File::open(path).map_err(|c| unreadable("bundle", path, c))?;
    let meta = f.metadata().map_err(|c| io(path, c))?;
    if meta.is_dir() {
        return Err(refused(path, "it is a folder, not a bundle file"));
    }
    let size = meta.len();
    let mut prefix = [0u8; PREFIX_LEN as usize];
    if size < PREFIX_LEN || f.read_exact(&mut prefix).is_err() {
        return Err(refused(
            path,
            format!("not a guardia bundle (only {size} bytes)"),
        ));
    }
    if prefix[..8] != MAGIC {
        let hint = if prefix[..4] == MAGIC[..4] {
            " (its line endings were changed in transit: copy it as a binary file)"
        } else {
            ""
        };
        return Err(refused(path, format!("not a guardia bundle{hint}")));
    }
    let major = u16::from_le_bytes([prefix[8], prefix[9]]);
    let minor = u16::from_le_bytes([prefix[10], prefix[11]]);
    if major != MAJOR {
        return Err(refused(
            path,
            if major > MAJOR {
                format!(
                    "written in bundle format {major}.{minor}, newer than this guardia reads ({MAJOR}.x); upgrade guardia"
                )
            } else {
                format!("bundle format {major}.{minor} is not one this guardia reads")
            },
        ));
    }
    let header_len = u32::from_le_bytes([prefix[12], prefix[13], prefix[14], prefix[15]]);
    if header_len > MAX_HEADER {
        return Err(refused(
            path,
            format!("the header claims {header_len} bytes, more than {MAX_HEADER}: damaged"),
        ));
    }
    let min_size = PREFIX_LEN + header_len as u64 + 8 + TRAILER_LEN;
    if size < min_size {
        return Err(refused(
            path,
            format!("truncated: {size} bytes, but the header alone needs {min_size}"),
        ));
    }
    let mut header_bytes = vec![0u8; header_len as usize];
    f.read_exact(&mut header_bytes).map_err(|c| io(path, c))?;
    let mut len_bytes = [0u8; 8];
    f.read_exact(&mut len_bytes).map_err(|c| io(path, c))?;
    let payload_len = u64::from_le_bytes(len_bytes);
    let expected = min_size.checked_add(payload_len);
    if expected != Some(size) {
        return Err(refused(
            path,
            match expected {
                Some(x) if x > size => format!(
                    "truncated: the header says {payload_len} payload bytes, the file has {}",
                    size.saturating_sub(min_size)
                ),
                Some(x) => format!("{} bytes of unexpected data after the end", size - x),
                None => "the payload length is absurd: damaged".to_string(),
            },
        ));
    }
    // The checksum covers everything up to the trailer tag.
    f.seek(SeekFrom::Start(0)).map_err(|c| io(path, c))?;
    let body_end = size - TRAILER_LEN;
    let mut hasher = Sha256::new();
    std::io::copy(&mut (&mut f).take(body_end), &mut hasher).map_err(|c| io(path, c))?;
    let mut trailer = [0u8; TRAILER_LEN as usize];
    f.read_exact(&mut trailer).map_err(|c| io(path, c))?;
    if &trailer[..4] != TRAILER_TAG {
        return Err(refused(path, "the trailer is damaged"));
    }
    hasher.update(TRAILER_TAG);
    let digest: [u8; 32] = hasher.finalize().into();
    if trailer[4..36] != digest {
        return Err(refused(
            path,
            "checksum mismatch: the file was damaged in transit",
        ));
    }
    if trailer[36] != SIG_ED25519 {
        return Err(refused(
            path,
            format!("unknown signature algorithm {}", trailer[36]),
        ));
    }
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|e| refused(path, format!("the header is not valid ({e})")))?;
    if header.format != BUNDLE_FORMAT {
        return Err(refused(
            path,
            format!("header format '{}' is not {BUNDLE_FORMAT}", header.format),
        ));
    }
    Ok(Envelope {
        header,
        payload_offset: PREFIX_LEN + header_len as u64 + 8,
        payload_len,
        digest,
        sig: trailer[37..].to_vec(),
        minor,
    })
}

/// Streams the changesets of a checked bundle to `each`, decompressing no
/// more than the header declares. With `rehash`, the file is hashed again
/// on the way and must still match the envelope (it may have been
/// replaced since it was checked).
pub fn for_each_changeset(
    path: &Path,
    env: &Envelope,
    rehash: bool,
    mut each: impl FnMut(RawChangeset) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let mut f = File::open(path).map_err(|c| io(path, c))?;
    let mut hasher = Sha256::new();
    if rehash {
        let mut prefix = vec![0u8; env.payload_offset as usize];
        f.read_exact(&mut prefix).map_err(|c| io(path, c))?;
        hasher.update(&prefix);
    } else {
        f.seek(SeekFrom::Start(env.payload_offset))
            .map_err(|c| io(path, c))?;
    }
    let payload = HashingReader {
        inner: (&mut f).take(env.payload_len),
        hasher: if rehash { Some(&mut hasher) } else { None },
    };
    let dec = zstd::stream::Decoder::new(payload)
        .map_err(|e| refused(path, format!("the payload cannot be decompressed ({e})")))?;
    let cap = env.header.uncompressed_len;
    let mut lines = BufReader::new(dec.take(cap + 1));
    let mut total = 0u64;
    let mut count = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut lines)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| refused(path, format!("the payload is damaged ({e})")))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > cap {
            return Err(refused(
                path,
                format!("the payload holds more than the {cap} bytes its header declares"),
            ));
        }
        if line.last() != Some(&b'\n') {
            return Err(refused(
                path,
                "the payload ends in the middle of a changeset",
            ));
        }
        line.pop();
        let tab = line
            .iter()
            .rposition(|&b| b == b'\t')
            .ok_or_else(|| refused(path, format!("changeset {} has no signature", count + 1)))?;
        let sig = hex::decode(&line[tab + 1..])
            .ok()
            .filter(|s| s.len() == 64)
            .ok_or_else(|| {
                refused(
                    path,
                    format!("changeset {} has a malformed signature", count + 1),
                )
            })?;
        count += 1;
        each(RawChangeset {
            body: line[..tab].to_vec(),
            sig,
        })?;
    }
    if total != cap {
        return Err(refused(
            path,
            format!("the payload holds {total} bytes, its header declares {cap}"),
        ));
    }
    if count != env.header.changesets {
        return Err(refused(
            path,
            format!(
                "the payload holds {count} changesets, its header declares {}",
                env.header.changesets
            ),
        ));
    }
    if rehash {
        // Drain what the decoder did not need (the frame's checksum).
        let mut rest = lines.into_inner().into_inner().finish();
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(|c| io(path, c))?;
        drop(rest);
        hasher.update(TRAILER_TAG);
        let digest: [u8; 32] = hasher.finalize().into();
        if digest != env.digest {
            return Err(refused(
                path,
                "the file changed while it was being imported",
            ));
        }
    }
    Ok(())
}

struct HashingReader<'h, R> {
    inner: R,
    hasher: Option<&'h mut Sha256>,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Pass 1 checks values without building them; it must refuse exactly
    /// what the fold's parser refuses.
    #[test]
    fn checking_a_value_refuses_what_parsing_it_refuses() {
        let cases = [
            (r#"{"to":"closed","from":"new"}"#, true),
            (r#"{"to":"closed","to":"new"}"#, false),
            (r#"{"a":{"b":1,"b":2}}"#, false),
            (r#"[{"k":1},{"k":2}]"#, true),
            (r#"{"k":1,"\u006b":2}"#, false),
            (r#"{"n":1e400}"#, false),
            (
                r#"{"n":-1e308,"m":18446744073709551615,"o":-9223372036854775808}"#,
                true,
            ),
            (r#""\ud800""#, false),
            (r#""\ud83d\ude00 ok""#, true),
            (r#"{"a":[1,2,{"b":null,"c":true}]}"#, true),
            (r#"{"a":1"#, false),
            (r#"{"a":1} x"#, false),
            ("null", true),
            ("", false),
        ];
        for (text, ok) in cases {
            assert_eq!(parse_value(text).is_ok(), ok, "parse {text}");
            assert_eq!(check_value(text).is_ok(), ok, "check {text}");
        }
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_value(&deep).is_err() && check_value(&deep).is_err());
        let err = check_value(r#"{"to":"a","to":"b"}"#).expect_err("repeated key");
        assert!(err.to_string().contains("'to' appears twice"), "{err}");
    }

    /// What sealing writes by hand reads back as the body serde would have
    /// written, hostile text included (quotes, backslashes, controls, a
    /// tab and a newline that must not split the changeset line).
    #[test]
    fn a_sealed_body_reads_back_as_its_ops() {
        let nasty = "a\"b\\c\td\ne\u{1b}[2J\u{202e}ñ";
        let value = serde_json::json!({"to": "closed", "note": nasty, "n": 1.5});
        let value_text = value.to_string();
        let ops = [
            OpText {
                seq: 7,
                hlc: 123 << 16,
                actor: nasty,
                entity: "ticket",
                entity_id: "019a-1",
                kind: "transition",
                field: Some("status"),
                value_json: &value_text,
                pred_json: r#"[{"site":"s-1","seq":6},{"site":"s\"2","seq":3}]"#,
            },
            OpText {
                seq: 8,
                hlc: 124 << 16,
                actor: "ana",
                entity: "ticket",
                entity_id: "019a-2",
                kind: "create",
                field: None,
                value_json: " {\"title\":\"x\"} ",
                pred_json: "[]",
            },
        ];
        let mut json = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            write_sealed_op(op, &mut json).expect("op");
        }
        let head = SealedHead {
            format: "guardia-changeset-1",
            dataset: "d\"s",
            site: "s-1",
            code: "BOG",
            inc: 1,
            from: 7,
            to: 8,
            prev: None,
            app: "guardia/test",
        };
        let bytes = head.body(&json).expect("body");
        assert!(!bytes.contains(&b'\t') && !bytes.contains(&b'\n'));
        let body: ChangesetBody = serde_json::from_slice(&bytes).expect("reads back");
        let created_value: &RawValue = serde_json::from_str("{\"title\":\"x\"}").expect("raw");
        let moved_value: &RawValue = serde_json::from_str(&value_text).expect("raw");
        let expected = ChangesetBody {
            format: "guardia-changeset-1".into(),
            dataset: "d\"s".into(),
            site: "s-1".into(),
            code: "BOG".into(),
            inc: 1,
            from: 7,
            to: 8,
            prev: None,
            app: "guardia/test".into(),
            ops: vec![
                WireOp {
                    seq: 7,
                    hlc: 123 << 16,
                    actor: nasty.into(),
                    e: "ticket".into(),
                    id: "019a-1".into(),
                    k: "transition".into(),
                    f: Some("status".into()),
                    v: moved_value,
                    pred: vec!["s-1:6".into(), "s\"2:3".into()],
                },
                WireOp {
                    seq: 8,
                    hlc: 124 << 16,
                    actor: "ana".into(),
                    e: "ticket".into(),
                    id: "019a-2".into(),
                    k: "create".into(),
                    f: None,
                    v: created_value,
                    pred: vec![],
                },
            ],
        };
        let as_value = |b: &ChangesetBody| serde_json::to_value(b).expect("serde");
        assert_eq!(as_value(&body), as_value(&expected));
        // Values are the stored text, spaces around them trimmed.
        assert_eq!(body.ops[0].v.get(), value_text);
        assert_eq!(body.ops[1].v.get(), "{\"title\":\"x\"}");
        assert_eq!(body.ops[0].actor, nasty);
        // The same as serde's own rendering of that body, value for value.
        let via_serde: Value = serde_json::to_value(&expected).expect("serde");
        let by_hand: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(by_hand, via_serde);
        let with_prev = SealedHead {
            prev: Some("ab12"),
            ..head
        };
        let bytes = with_prev.body(b"").expect("body");
        let body: ChangesetBody = serde_json::from_slice(&bytes).expect("reads back");
        assert_eq!((body.prev.as_deref(), body.ops.len()), (Some("ab12"), 0));
    }

    #[test]
    fn predecessors_or_values_that_are_not_json_are_an_error() {
        let op = OpText {
            seq: 1,
            hlc: 1,
            actor: "a",
            entity: "ticket",
            entity_id: "x",
            kind: "set",
            field: None,
            value_json: "1",
            pred_json: "[{",
        };
        assert!(write_sealed_op(&op, &mut Vec::new()).is_err());
        // A damaged value, or one on two lines, stops the export too.
        for value_json in ["{\"a\":1", "", "{\"a\":\n1}"] {
            let op = OpText {
                pred_json: "[]",
                value_json,
                ..op
            };
            assert!(
                write_sealed_op(&op, &mut Vec::new()).is_err(),
                "{value_json:?}"
            );
        }
    }
}
