//! What sync reads and writes in the database: site keys and trust, sealed
//! and imported changesets (kept verbatim), acknowledgements, export
//! cursors, the record of imported bundles, and conflicts. Imported ops are
//! appended to the log and folded by `merge`.

use super::ops::{Op, OpRef};
use super::{Reader, StoreError, WriteTx, merge};
use rusqlite::{OptionalExtension, params};
use std::collections::BTreeMap;

/// Whether a shared folder's file was imported or written here. Asked for
/// every bundle file of a folder at each sync, so it must be one probe of
/// the `imported_bundle_file` index (see `tests::file_lookups_use_the_index`).
const IMPORTED_FILE: &str = "SELECT 1 FROM imported_bundle WHERE file = ?1 LIMIT 1";

/// Whether this database wrote the bundle it records under a name.
const WRITTEN_HERE: &str = "SELECT 1 FROM imported_bundle
     WHERE file = ?1 AND exporter_no IS NULL AND hash NOT LIKE 'name:%' LIMIT 1";

/// A changeset's body as the database keeps it: one zstd frame, and the
/// length of the JSON inside. Made apart from the write so that an import
/// can compress on its reading thread.
pub struct StoredBody {
    compressed: Vec<u8>,
    len: usize,
}

impl StoredBody {
    pub fn of(body: &[u8]) -> Result<StoredBody, StoreError> {
        // Level 1: sealing a site's history compresses every body once, and
        // higher levels cost more time than the smaller file saves.
        let compressed = zstd::bulk::compress(body, 1)
            .map_err(|e| StoreError::Integrity(format!("cannot compress a changeset body: {e}")))?;
        Ok(StoredBody {
            compressed,
            len: body.len(),
        })
    }
}

/// A site this database knows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiteRow {
    #[serde(skip)]
    pub no: i64,
    pub site_id: String,
    pub code: String,
    pub pubkey: Option<String>,
    pub trust: String,
    /// The furthest ahead of this site's clock its ops were seen, in ms.
    pub skew_ms: i64,
}

/// A stored changeset, without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangesetMeta {
    pub no: i64,
    pub site_no: i64,
    pub seq_from: i64,
    pub seq_to: i64,
    pub hash: String,
    pub body_len: u64,
}

/// A recorded conflict.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConflictRow {
    pub key: String,
    pub field: String,
    pub kind: String,
    pub heads: serde_json::Value,
}

/// A bundle imported earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBundle {
    pub file: String,
    pub imported_at: i64,
    pub by: String,
}

pub mod trust {
    pub const TRUSTED: &str = "trusted";
    pub const PENDING: &str = "pending";
    pub const REVOKED: &str = "revoked";
}

/// An op of the log as the text its columns hold (see
/// [`Reader::for_own_ops`]); `pred_json` is the stored JSON array of
/// `{site, seq}`.
#[derive(Debug, Clone, Copy)]
pub struct OpText<'a> {
    pub seq: i64,
    pub hlc: i64,
    pub actor: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub kind: &'a str,
    pub field: Option<&'a str>,
    pub value_json: &'a str,
    pub pred_json: &'a str,
}

fn site_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SiteRow> {
    Ok(SiteRow {
        no: r.get(0)?,
        site_id: r.get(1)?,
        code: r.get(2)?,
        pubkey: r.get(3)?,
        trust: r.get(4)?,
        skew_ms: r.get(5)?,
    })
}

fn conflict_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConflictRow> {
    let heads: String = r.get(3)?;
    Ok(ConflictRow {
        key: r.get(0)?,
        field: r.get(1)?,
        kind: r.get(2)?,
        heads: serde_json::from_str(&heads).unwrap_or_default(),
    })
}

const SITE_COLUMNS: &str = "no, site_id, code, pubkey, trust, skew_ms";

/// The `meta` key under which a fork of another site, found by an import,
/// is remembered: a refused bundle writes nothing else, but later
/// changesets of that site are judged knowing it (`app::changeset_check`).
fn fork_key(site_id: &str) -> String {
    format!("fork:{site_id}")
}

impl Reader<'_> {
    pub fn secret_key(&self) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row("SELECT secret_key FROM local WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    pub fn sites(&self) -> Result<Vec<SiteRow>, StoreError> {
        let mut st = self
            .conn()
            .prepare(&format!(
                "SELECT {SITE_COLUMNS} FROM site ORDER BY code, site_id"
            ))
            .map_err(|e| self.err(e))?;
        st.query_map([], site_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    pub fn site_by_id(&self, site_id: &str) -> Result<Option<SiteRow>, StoreError> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {SITE_COLUMNS} FROM site WHERE site_id = ?1"
            ))
            .and_then(|mut st| st.query_row([site_id], site_from_row).optional())
            .map_err(|e| self.err(e))
    }

    /// The next seq this site will give an op (all below it exist).
    pub fn next_seq(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT next_seq FROM local WHERE id = 1", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Streams a site's ops from `from_seq` on, at most `limit`, in seq
    /// order, each as borrowed text (sealing writes them straight into a
    /// changeset body, without an allocation per column). Returns the
    /// first and last seq seen.
    pub fn for_own_ops(
        &self,
        site_no: i64,
        from_seq: i64,
        limit: usize,
        mut each: impl FnMut(&OpText<'_>) -> Result<(), StoreError>,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT o.seq, o.hlc, o.actor, o.entity, o.entity_id, o.kind, o.field, o.value, o.pred
                 FROM op o WHERE o.site_no = ?1 AND o.seq >= ?2 ORDER BY o.seq LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = st
            .query(params![site_no, from_seq, limit as i64])
            .map_err(|e| self.err(e))?;
        let mut span: Option<(i64, i64)> = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let text = |i: usize| -> Result<&str, StoreError> {
                r.get_ref(i)
                    .and_then(|v| v.as_str().map_err(Into::into))
                    .map_err(|e| self.err(e))
            };
            let field = match r.get_ref(6).map_err(|e| self.err(e))? {
                rusqlite::types::ValueRef::Null => None,
                _ => Some(text(6)?),
            };
            let op = OpText {
                seq: r.get(0).map_err(|e| self.err(e))?,
                hlc: r.get(1).map_err(|e| self.err(e))?,
                actor: text(2)?,
                entity: text(3)?,
                entity_id: text(4)?,
                kind: text(5)?,
                field,
                value_json: text(7)?,
                pred_json: text(8)?,
            };
            span = Some((span.map_or(op.seq, |s| s.0), op.seq));
            each(&op)?;
        }
        Ok(span)
    }

    /// The highest seq of a site's ops this database holds (0 for none).
    pub fn last_seq_of(&self, site_no: i64) -> Result<i64, StoreError> {
        self.conn()
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM op WHERE site_no = ?1")
            .and_then(|mut st| st.query_row([site_no], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// The last sealed changeset of a site: its last seq and hash.
    pub fn last_changeset(&self, site_no: i64) -> Result<Option<(i64, String)>, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT seq_to, hash FROM changeset WHERE site_no = ?1 ORDER BY seq_from DESC LIMIT 1",
            )
            .and_then(|mut st| st.query_row([site_no], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))
    }

    /// The hash of the changeset of `site_no` that ends at `seq_to`.
    pub fn changeset_ending(
        &self,
        site_no: i64,
        seq_to: i64,
    ) -> Result<Option<String>, StoreError> {
        self.conn()
            .prepare_cached("SELECT hash FROM changeset WHERE site_no = ?1 AND seq_to = ?2")
            .and_then(|mut st| {
                st.query_row(params![site_no, seq_to], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Hashes of the changesets of `site_no` overlapping `from..=to`.
    pub fn changesets_overlapping(
        &self,
        site_no: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT seq_from, seq_to, hash FROM changeset
                 WHERE site_no = ?1 AND seq_from <= ?3 AND seq_to >= ?2",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![site_no, from, to], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// Changesets of `origin` after `after_seq`, oldest first.
    pub fn changesets_after(
        &self,
        origin: i64,
        after_seq: i64,
    ) -> Result<Vec<ChangesetMeta>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT no, site_no, seq_from, seq_to, hash, coalesce(body_len, length(body)) FROM changeset
                 WHERE site_no = ?1 AND seq_to > ?2 ORDER BY seq_from",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![origin, after_seq], |r| {
            Ok(ChangesetMeta {
                no: r.get(0)?,
                site_no: r.get(1)?,
                seq_from: r.get(2)?,
                seq_to: r.get(3)?,
                hash: r.get(4)?,
                body_len: r.get::<_, i64>(5)? as u64,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// A changeset's body (its JSON) and signature (hex).
    pub fn changeset_body(&self, no: i64) -> Result<(Vec<u8>, String), StoreError> {
        let (stored, len, sig): (Vec<u8>, Option<i64>, String) = self
            .conn()
            .prepare_cached("SELECT body, body_len, sig FROM changeset WHERE no = ?1")
            .and_then(|mut st| st.query_row([no], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
            .map_err(|e| self.err(e))?;
        let Some(len) = len else {
            return Ok((stored, sig));
        };
        // Exactly the length stored, or the row is damaged (a bundle's
        // header declares the lengths before the bodies are read).
        let body = usize::try_from(len)
            .ok()
            .and_then(|len| {
                zstd::bulk::decompress(&stored, len)
                    .ok()
                    .filter(|b| b.len() == len)
            })
            .ok_or_else(|| {
                StoreError::Integrity(format!("the stored body of changeset {no} is damaged"))
            })?;
        Ok((body, sig))
    }

    /// For each origin with changesets, its seq ranges held (merged).
    pub fn held_ranges(&self) -> Result<BTreeMap<i64, Vec<[i64; 2]>>, StoreError> {
        let mut st = self
            .conn()
            .prepare("SELECT site_no, seq_from, seq_to FROM changeset ORDER BY site_no, seq_from")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(i64, i64, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))?;
        let mut out: BTreeMap<i64, Vec<[i64; 2]>> = BTreeMap::new();
        for (site, from, to) in rows {
            let ranges = out.entry(site).or_default();
            match ranges.last_mut() {
                Some(last) if last[1] + 1 >= from => last[1] = last[1].max(to),
                _ => ranges.push([from, to]),
            }
        }
        Ok(out)
    }

    /// What `peer` acknowledged holding, per origin.
    pub fn peer_knows(&self, peer: i64) -> Result<BTreeMap<i64, i64>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT origin_no, seq FROM peer_knows WHERE peer_no = ?1")
            .map_err(|e| self.err(e))?;
        st.query_map([peer], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// What was already written for `target`, per origin.
    pub fn export_cursor(&self, target: &str) -> Result<BTreeMap<i64, i64>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT origin_no, seq FROM export_cursor WHERE target = ?1")
            .map_err(|e| self.err(e))?;
        st.query_map([target], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    pub fn imported_bundle(&self, hash: &str) -> Result<Option<ImportedBundle>, StoreError> {
        self.conn()
            .prepare_cached("SELECT file, imported_at, by FROM imported_bundle WHERE hash = ?1")
            .and_then(|mut st| {
                st.query_row([hash], |r| {
                    Ok(ImportedBundle {
                        file: r.get(0)?,
                        imported_at: r.get(1)?,
                        by: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Whether a file (by its name in a shared folder) was imported or written here.
    pub fn imported_file(&self, name: &str) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached(IMPORTED_FILE)
            .and_then(|mut st| st.query_row([name], |_| Ok(())).optional())
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// Whether this database wrote the bundle it records under `name` (a
    /// file of its own directory in a shared folder), rather than imported
    /// a copy of someone's bundle under that name.
    pub fn written_here(&self, name: &str) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached(WRITTEN_HERE)
            .and_then(|mut st| st.query_row([name], |_| Ok(())).optional())
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// Open conflicts, by ticket key.
    pub fn conflicts(&self, limit: usize) -> Result<Vec<ConflictRow>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT t.key, c.field, c.kind, c.heads FROM conflict c JOIN ticket t ON t.id = c.ticket_id
                 ORDER BY t.no DESC, c.field, c.kind LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([limit as i64], conflict_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    pub fn conflict_count(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Conflicts of one ticket.
    pub fn ticket_conflicts(&self, ticket_id: &str) -> Result<Vec<ConflictRow>, StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(
                "SELECT t.key, c.field, c.kind, c.heads FROM conflict c JOIN ticket t ON t.id = c.ticket_id
                 WHERE c.ticket_id = ?1 ORDER BY c.field, c.kind",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([ticket_id], conflict_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// Whether a ticket's field is in conflict after a sync.
    pub fn has_conflict(&self, ticket_id: &str, field: &str) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached("SELECT 1 FROM conflict WHERE ticket_id = ?1 AND field = ?2 LIMIT 1")
            .and_then(|mut st| {
                st.query_row(params![ticket_id, field], |_| Ok(()))
                    .optional()
            })
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// The seq at which site `site_id` was found forked here, if it was.
    pub fn forked_at(&self, site_id: &str) -> Result<Option<i64>, StoreError> {
        self.conn()
            .prepare_cached("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1")
            .and_then(|mut st| st.query_row([fork_key(site_id)], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Ops that wait for an entity that has not arrived.
    pub fn waiting_ops(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT count(*) FROM op_waiting", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

impl WriteTx<'_> {
    pub fn set_secret_key(&mut self, secret: &str, public: &str) -> Result<(), StoreError> {
        let no = self.site.no;
        self.tx
            .execute("UPDATE local SET secret_key = ?1 WHERE id = 1", [secret])
            .and_then(|_| {
                self.tx.execute(
                    "UPDATE site SET pubkey = ?1, trust = 'trusted' WHERE no = ?2",
                    params![public, no],
                )
            })
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records a site (or updates its code, key and trust); returns its row number.
    pub fn upsert_site(
        &mut self,
        site_id: &str,
        code: &str,
        pubkey: &str,
        trust: &str,
    ) -> Result<i64, StoreError> {
        self.tx
            .execute(
                "INSERT INTO site(site_id, code, pubkey, trust) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(site_id) DO UPDATE SET code = excluded.code, pubkey = excluded.pubkey,
                    trust = excluded.trust",
                params![site_id, code, pubkey, trust],
            )
            .and_then(|_| {
                self.tx
                    .query_row("SELECT no FROM site WHERE site_id = ?1", [site_id], |r| {
                        r.get(0)
                    })
            })
            .map_err(|e| self.err(e))
    }

    /// Remembers that site `site_id` forked at `seq` (the lowest seq found
    /// is kept).
    pub fn record_fork(&mut self, site_id: &str, seq: i64) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value =
                    CAST(min(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
                params![fork_key(site_id), seq.to_string()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn set_trust(&mut self, site_no: i64, trust: &str) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE site SET trust = ?2 WHERE no = ?1",
                params![site_no, trust],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// How far ahead the site's clock was in the latest bundle that brought
    /// its changes (0 once its clock is right again).
    pub fn set_skew(&mut self, site_no: i64, skew_ms: i64) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE site SET skew_ms = ?2 WHERE no = ?1",
                params![site_no, skew_ms],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn insert_changeset(
        &mut self,
        site_no: i64,
        seq_from: i64,
        seq_to: i64,
        hash: &str,
        prev: Option<&str>,
        body: &StoredBody,
        sig_hex: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO changeset(site_no, seq_from, seq_to, hash, prev, body, sig, body_len)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    site_no,
                    seq_from,
                    seq_to,
                    hash,
                    prev,
                    body.compressed,
                    sig_hex,
                    body.len as i64
                ])
            })
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Appends a foreign op to the log, its value as the JSON text it
    /// arrived in, and folds it; false when the log already had it.
    pub fn import_op(
        &mut self,
        op: Op,
        site_no: i64,
        value_json: &str,
    ) -> Result<bool, StoreError> {
        if !self.insert_op(&op, site_no, Some(value_json))? {
            return Ok(false);
        }
        merge::integrate(&self.tx, op, site_no, &mut self.cache, &mut self.fold)
            .map_err(|e| self.apply_err(e))?;
        Ok(true)
    }

    /// Moves this site's clock past a foreign op's, but never further than
    /// `limit_ms` (a site whose clock runs days ahead must not drag every
    /// other site's clock with it; causality is kept by `pred`).
    pub fn observe_hlc(&mut self, hlc: i64, limit_ms: i64) {
        let capped = hlc.min(limit_ms << 16);
        self.last_hlc = self.last_hlc.max(capped);
    }

    pub fn acknowledge(&mut self, peer: i64, origin: i64, seq: i64) -> Result<(), StoreError> {
        self.raise_seq(
            "INSERT INTO peer_knows(peer_no, origin_no, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT(peer_no, origin_no) DO UPDATE SET seq = max(seq, excluded.seq)",
            &peer,
            origin,
            seq,
        )
    }

    pub fn set_export_cursor(
        &mut self,
        target: &str,
        origin: i64,
        seq: i64,
    ) -> Result<(), StoreError> {
        self.raise_seq(
            "INSERT INTO export_cursor(target, origin_no, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT(target, origin_no) DO UPDATE SET seq = max(seq, excluded.seq)",
            &target,
            origin,
            seq,
        )
    }

    /// Sets what was already written for `target` of `origin` to `seq`,
    /// lower or higher: a shared folder's cursor follows what the folder
    /// holds (a folder emptied, or a git branch that never got a bundle,
    /// gets it again).
    pub fn reset_export_cursor(
        &mut self,
        target: &str,
        origin: i64,
        seq: i64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO export_cursor(target, origin_no, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT(target, origin_no) DO UPDATE SET seq = excluded.seq",
            )
            .and_then(|mut st| st.execute(params![target, origin, seq]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Raises a per-origin seq (acknowledged, or already exported); never lowers it.
    fn raise_seq(
        &mut self,
        upsert: &str,
        key: &dyn rusqlite::ToSql,
        origin: i64,
        seq: i64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(upsert)
            .and_then(|mut st| st.execute(params![key, origin, seq]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records a bundle file as seen: imported (with what it brought), or
    /// written here. A bundle already recorded keeps its first record (the
    /// name it was first imported as, when and by whom): another process
    /// may have recorded it meanwhile.
    pub fn record_bundle(
        &mut self,
        hash: &str,
        file: &str,
        exporter: Option<i64>,
        by: &str,
        new_ops: i64,
    ) -> Result<(), StoreError> {
        let now = self.now_ms;
        self.tx
            .execute(
                "INSERT INTO imported_bundle(hash, file, exporter_no, imported_at, by, new_ops)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(hash) DO NOTHING",
                params![hash, file, exporter, now, by, new_ops],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records another name of a bundle already recorded (a shared
    /// folder's copy of a bundle imported from a USB stick), so the folder
    /// does not check it again. The bundle's own record, with the name it
    /// was first imported as, stays as it is: the other name gets a row of
    /// its own, keyed `name:<hash>:<file>` so it never passes for a
    /// bundle's hash (those are 64 hex digits).
    pub fn record_bundle_name(
        &mut self,
        hash: &str,
        file: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        let now = self.now_ms;
        self.tx
            .execute(
                "INSERT INTO imported_bundle(hash, file, exporter_no, imported_at, by, new_ops)
                 VALUES ('name:' || ?1 || ':' || ?2, ?2, NULL, ?3, ?4, 0)
                 ON CONFLICT(hash) DO NOTHING",
                params![hash, file, now, by],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Tickets whose state imports in this transaction may have changed.
    pub fn touched(&self) -> &foldhash::HashSet<String> {
        &self.fold.touched
    }

    /// Settles the registers imported ops wrote (before anything reads the
    /// tickets they belong to).
    pub fn settle_imports(&mut self) -> Result<(), StoreError> {
        self.fold
            .settle_all(&self.tx, &mut self.cache)
            .map_err(|e| self.apply_err(e))
    }
}

/// `site:seq` as ops name their predecessors on the wire.
pub fn parse_op_ref(s: &str) -> Option<OpRef> {
    let (site, seq) = s.rsplit_once(':')?;
    Some(OpRef {
        site: site.to_string(),
        seq: seq.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Store;

    /// A folder sync asks about each of the folder's files: a scan of the
    /// table per file made syncs quadratic in the number of bundles.
    #[test]
    fn file_lookups_use_the_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::create(&dir.path().join("t.db"), "BOG").expect("create");
        for sql in [super::IMPORTED_FILE, super::WRITTEN_HERE] {
            let plan: Vec<String> = store
                .reader()
                .conn()
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .and_then(|mut st| {
                    st.query_map(["x"], |r| r.get::<_, String>(3))?
                        .collect::<Result<_, _>>()
                })
                .expect("plan");
            assert!(
                plan.iter()
                    .any(|s| s.contains("INDEX imported_bundle_file (file=?)")),
                "{sql}: {plan:?}"
            );
        }
    }
}
