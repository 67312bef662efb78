//! Keeping the full-text indexes quick to search. FTS5 writes the text of
//! every transaction as a new segment and merges segments only a little at
//! a time, as later writes come in: a desk that registers tickets one by
//! one gathers a dozen or more one-page segments beside the big ones, and
//! every word searched is looked up in every segment. At a million tickets
//! that doubled the similar-ticket search of each `new`, and the write that
//! happened to pay for a share of a large pending merge stalled for tens of
//! milliseconds. Merging ahead of time, when nobody waits (the console when
//! idle, `guardia compact`, the end of a bulk load), keeps both away.

use super::{BUSY_TIMEOUT, Store, StoreError, WRITE_PATIENCE, is_busy, sqlite_err};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::time::Duration;

/// The full-text tables this module keeps compact.
const TEXT_INDEXES: &[&str] = &["ticket_fts", "knowledge_fts"];

/// How many segments of a level `merge` waits for before merging them.
/// FTS5's default is 4, which leaves up to three segments on every level;
/// with 2 an index merged to the end has at most one per level.
const USER_MERGE: i64 = 2;

/// What `guardia compact` reports of the ticket full-text index: how many
/// segments a search looks each word up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextIndexShape {
    pub segments: i64,
}

impl Store {
    /// The shape of the ticket full-text index (the knowledge index is a
    /// few hundred records and does not count).
    pub fn text_index_shape(&self) -> Result<TextIndexShape, StoreError> {
        // Every segment has at least one entry in the `_idx` table, which
        // holds one row per leaf page that starts a new term range.
        let segments = self
            .conn
            .query_row(
                "SELECT count(DISTINCT segid) FROM ticket_fts_idx",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(TextIndexShape { segments })
    }

    /// Merges up to `pages` pages of the full-text indexes' segments in a
    /// transaction of its own, so that other writers get their turn between
    /// steps. Returns whether there was anything to merge: `false` means
    /// the indexes are as compact as merging makes them. Waits up to
    /// `patience` for another writer; past it, `StoreError::Busy`.
    pub fn merge_text_indexes(
        &mut self,
        pages: i64,
        patience: Duration,
    ) -> Result<bool, StoreError> {
        self.conn
            .busy_timeout(patience)
            .map_err(|e| sqlite_err(&self.path, e))?;
        let merged = merge_step(&mut self.conn, pages).map_err(|e| {
            if is_busy(&e) {
                StoreError::Busy {
                    path: self.path.clone(),
                    secs: patience.as_secs(),
                }
            } else {
                sqlite_err(&self.path, e)
            }
        });
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| sqlite_err(&self.path, e))?;
        merged
    }

    /// Merges the full-text indexes step by step until nothing is left to
    /// merge, each step a transaction of its own.
    pub fn compact_text_indexes(&mut self) -> Result<(), StoreError> {
        while self.merge_text_indexes(COMPACT_STEP_PAGES, WRITE_PATIENCE)? {}
        Ok(())
    }

    /// Ends a bulk load: when it left the ticket index in more than
    /// [`SCATTERED`] segments, merges them all into one (cheaper, in one
    /// pass, than merging level by level). A smaller load costs nothing.
    pub fn compact_text_indexes_after_bulk(&self) -> Result<(), StoreError> {
        if self.text_index_shape()?.segments <= SCATTERED {
            return Ok(());
        }
        for table in TEXT_INDEXES {
            self.conn
                .execute(
                    &format!("INSERT INTO {table}({table}) VALUES('optimize')"),
                    [],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

/// How many segments a bulk load may leave in the ticket index before it
/// merges them: 20,000 generated tickets leave five (0.1 to 0.3 s to
/// merge, a tenth of their generation); a million leave twenty and more.
const SCATTERED: i64 = 8;

/// Pages per transaction of `guardia compact`: tens of milliseconds of
/// writing at a million tickets, short enough for other writers to
/// interleave.
pub const COMPACT_STEP_PAGES: i64 = 1000;

/// Pages per step when the console is idle: a few milliseconds, so that a
/// key pressed meanwhile is answered without a visible wait.
pub const IDLE_STEP_PAGES: i64 = 64;

fn merge_step(conn: &mut Connection, pages: i64) -> Result<bool, rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut merged = false;
    for table in TEXT_INDEXES {
        let usermerge: Option<i64> = tx
            .query_row(
                &format!("SELECT v FROM {table}_config WHERE k = 'usermerge'"),
                [],
                |r| r.get(0),
            )
            .optional()?;
        if usermerge != Some(USER_MERGE) {
            tx.execute(
                &format!("INSERT INTO {table}({table}, rank) VALUES('usermerge', ?1)"),
                [USER_MERGE],
            )?;
        }
        // FTS5 counts the command itself as one change; merging writes
        // pages and the index's structure besides.
        let before = tx.total_changes();
        tx.execute(
            &format!("INSERT INTO {table}({table}, rank) VALUES('merge', ?1)"),
            [pages],
        )?;
        merged |= tx.total_changes() - before >= 2;
    }
    tx.commit()?;
    Ok(merged)
}
