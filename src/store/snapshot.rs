//! What the read-only aggregates (the dashboard, reports) share: one read
//! snapshot for all their queries, and the caller's states without repeats.

use rusqlite::Connection;

/// Runs a group of queries in one read transaction (a savepoint, so it also
/// works inside a write transaction): the figures come from one snapshot
/// even while another process writes, and the WAL read lock is taken once
/// instead of per query.
pub(super) struct Snapshot<'c>(&'c Connection);

impl<'c> Snapshot<'c> {
    pub(super) fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        conn.execute_batch("SAVEPOINT read_snapshot")?;
        Ok(Snapshot(conn))
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        // Nothing was written: releasing only ends the read.
        let _ = self.0.execute_batch("RELEASE read_snapshot");
    }
}

/// The states without repeats, in the caller's order.
pub(super) fn distinct(states: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in states {
        if !out.contains(&s.as_str()) {
            out.push(s);
        }
    }
    out
}
