//! The database schema as ordered migrations. Tables are STRICT; the `op`
//! table is the source of truth and every other table is derived from it.

use rusqlite_migration::{HookError, HookResult, M, Migrations};

const V1: &str = r#"
CREATE TABLE meta(
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Every site this database knows; `no` is a local alias to keep op rows small.
CREATE TABLE site(
    no INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    incarnation INTEGER NOT NULL DEFAULT 1
) STRICT;

-- This database's own site and its counters (one row).
CREATE TABLE local(
    id INTEGER PRIMARY KEY CHECK (id = 1),
    site_no INTEGER NOT NULL REFERENCES site(no),
    next_seq INTEGER NOT NULL,
    last_hlc INTEGER NOT NULL,
    next_ticket INTEGER NOT NULL
) STRICT;

-- The operation log: the truth everything else is rebuilt from.
CREATE TABLE op(
    site_no INTEGER NOT NULL REFERENCES site(no),
    seq INTEGER NOT NULL,
    hlc INTEGER NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    field TEXT,
    value TEXT NOT NULL,
    pred TEXT NOT NULL,
    PRIMARY KEY (site_no, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX op_by_entity ON op(entity_id, field, hlc);

CREATE TABLE ticket(
    no INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    service TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    priority_justification TEXT,
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    level INTEGER NOT NULL,
    assignee TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    reject_reason TEXT,
    duplicate_of TEXT,
    route TEXT
) STRICT;
-- Every index ends with the rowid, so `WHERE a = ? [AND b = ?] ORDER BY no
-- DESC` walks one index range backwards with no sort. Queue views filter by
-- status first, so the selective filters (service, assignee) are paired with
-- it and also stand alone for searches across all states. Priority and level
-- have a handful of values: walking the status range and filtering them
-- finds a page quickly, and every index costs each status change two writes.
CREATE INDEX ticket_status ON ticket(status);
CREATE INDEX ticket_status_service ON ticket(status, service);
CREATE INDEX ticket_status_assignee ON ticket(status, assignee);
CREATE INDEX ticket_service ON ticket(service);
CREATE INDEX ticket_assignee ON ticket(assignee);

CREATE TABLE comment(
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    author TEXT NOT NULL,
    at INTEGER NOT NULL,
    internal INTEGER NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE INDEX comment_by_ticket ON comment(ticket_id, at);

CREATE TABLE worklog(
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    author TEXT NOT NULL,
    at INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    note TEXT NOT NULL
) STRICT;
CREATE INDEX worklog_by_ticket ON worklog(ticket_id, at);

CREATE TABLE attachment(
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    author TEXT NOT NULL,
    at INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL
) STRICT;
CREATE INDEX attachment_by_ticket ON attachment(ticket_id);

CREATE TABLE runbook_run(
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    runbook TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at INTEGER NOT NULL
) STRICT;
CREATE INDEX runbook_run_by_ticket ON runbook_run(ticket_id);

CREATE TABLE runbook_tick(
    run_id TEXT NOT NULL REFERENCES runbook_run(id),
    item TEXT NOT NULL,
    checked INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    by TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (run_id, item)
) STRICT;

CREATE TABLE escalation(
    site_no INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    mode TEXT NOT NULL,
    from_level INTEGER,
    to_level INTEGER,
    to_role TEXT,
    note TEXT NOT NULL,
    by TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (site_no, seq)
) STRICT;
CREATE INDEX escalation_by_ticket ON escalation(ticket_id);

CREATE TABLE link(
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (ticket_id, kind, target_id)
) STRICT;
CREATE INDEX link_by_target ON link(target_id);

-- Full-text index over title, description and all comments of a ticket.
-- Contentless (the text lives in `ticket` and `comment`); rowid = ticket.no.
CREATE VIRTUAL TABLE ticket_fts USING fts5(
    title, description, comments,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#;

/// What the dashboard (`store/dashboard.rs`) reads: it runs every second the
/// console shows it and the database changes, at up to 1M tickets.
const V2: &str = r#"
-- Open tickets by state, priority and level, and the oldest of each such
-- group, from index ranges of the open states alone. Priority and level are
-- expressions on purpose: a list filtered by priority or level alone must
-- not skip-scan this index and sort every match (tests/store_plans.rs), and
-- queries on the plain columns cannot use an index on expressions. Rewritten
-- on a state, priority or level change, like ticket_status.
CREATE INDEX ticket_status_shape ON ticket(status, priority || '', level + 0, created_at);

-- Tickets created per day. Written once per ticket, always at the end.
CREATE INDEX ticket_created ON ticket(created_at);

-- Every state change, by target state and time, with the state it left:
-- tickets finished per day, at the exact time of the change. `value` itself
-- is in the index only so that SQLite can count from the index alone: `op`
-- is WITHOUT ROWID, and without it SQLite looks up the table row of every
-- entry it reads (60 ms instead of 4 ms for two weeks at 1M tickets).
-- Written once per state change, when the op is appended.
CREATE INDEX op_transition
    ON op(json_extract(value, '$.to'), hlc, json_extract(value, '$.from'), value)
    WHERE kind = 'transition';
"#;

/// Prefix indexes for the full-text index. The console filters as the
/// operator types, so the last word is a prefix; without these FTS5 merges
/// the lists of every word a prefix matches before returning the newest
/// rows (27-44 ms at 1M for the prefixes of the commonest words, 0.1 ms
/// with them). Lengths 4 to 8 cover what the console asks for (prefixes
/// start at four letters); longer prefixes match few words. They cost
/// 3.5x the index size and about 1.3 s per 100k tickets indexed in bulk.
/// The index is contentless, so it is rebuilt from the tickets and comments.
const V3: &str = r#"
DROP TABLE ticket_fts;
CREATE VIRTUAL TABLE ticket_fts USING fts5(
    title, description, comments,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '4 5 6 7 8'
);
INSERT INTO ticket_fts(rowid, title, description, comments)
SELECT t.no, t.title, t.description,
       coalesce((SELECT group_concat(c.body, char(10)) FROM comment c WHERE c.ticket_id = t.id), '')
FROM ticket t;
"#;

/// When each ticket entered its current state, for workflow timers: the
/// tickets due are one index range per (type, state) of a timer, so finding
/// them costs the same at 1M tickets as at 100 and is done on every run.
/// Backfilled from the newest state change in the log (one index lookup per
/// ticket; timer transitions recorded with `at` do not exist before this).
const V4: &str = r#"
ALTER TABLE ticket ADD COLUMN status_since INTEGER NOT NULL DEFAULT 0;
UPDATE ticket SET status_since = coalesce(
    (SELECT max(o.hlc) >> 16 FROM op o
     WHERE o.entity_id = ticket.id AND o.field = 'status' AND o.kind = 'transition'),
    created_at);
CREATE INDEX ticket_timer ON ticket(type, status, status_since);
"#;

/// The resolution clock of every open ticket, so the queue can sort by the
/// SLA countdown and the dashboard can count warned and breached tickets
/// with index ranges instead of computing a ledger per ticket. Derived from
/// the log *and* the configuration (policies, calendars), so it is not one
/// of the tables the doctor rebuilds: the application refreshes a ticket's
/// row in every write that can move its clock and recomputes every row
/// when the configuration changes (meta `sla_fingerprint`).
///
/// A running clock has the instants it warns and breaches (`sort_key` is
/// the breach instant); a paused clock keeps its state at the pause
/// (`frozen`) and sorts after every running one by the time it has left.
/// Stopped clocks (resolved, closed, cancelled) have no row.
const V5: &str = r#"
CREATE TABLE sla_clock(
    ticket_no INTEGER PRIMARY KEY,
    due_ms INTEGER,
    warn_ms INTEGER,
    frozen TEXT,
    remaining_min INTEGER NOT NULL,
    sort_key INTEGER NOT NULL
) STRICT;
CREATE INDEX sla_clock_order ON sla_clock(sort_key, ticket_no);
CREATE INDEX sla_clock_warn ON sla_clock(warn_ms) WHERE warn_ms IS NOT NULL;
CREATE INDEX sla_clock_frozen ON sla_clock(frozen) WHERE frozen IS NOT NULL;
"#;

/// Sync between sites by bundle files (docs/sync.md). Each site has an
/// ed25519 key: its public half and trust in `site`, the secret half of
/// this site in `local` (the file is private to its owner). Ops are sealed
/// into signed, hash-chained changesets when first exported, and foreign
/// changesets are kept verbatim, so any site can relay them. `conflict`
/// and `op_waiting` are derived from the log like the tickets.
const V6: &str = r#"
ALTER TABLE site ADD COLUMN pubkey TEXT;
ALTER TABLE site ADD COLUMN trust TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE site ADD COLUMN skew_ms INTEGER NOT NULL DEFAULT 0;
UPDATE site SET trust = 'trusted' WHERE no = (SELECT site_no FROM local);
ALTER TABLE local ADD COLUMN secret_key TEXT;

CREATE TABLE changeset(
    no INTEGER PRIMARY KEY,
    site_no INTEGER NOT NULL REFERENCES site(no),
    seq_from INTEGER NOT NULL,
    seq_to INTEGER NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    prev TEXT,
    body BLOB NOT NULL,
    sig TEXT NOT NULL,
    UNIQUE (site_no, seq_from)
) STRICT;

-- What each peer said it has (the `knows` of its bundles): what to send it.
CREATE TABLE peer_knows(
    peer_no INTEGER NOT NULL REFERENCES site(no),
    origin_no INTEGER NOT NULL REFERENCES site(no),
    seq INTEGER NOT NULL,
    PRIMARY KEY (peer_no, origin_no)
) STRICT, WITHOUT ROWID;

-- What was already written for a target that sends no acknowledgements
-- (a shared folder, a git branch, `--for all`).
CREATE TABLE export_cursor(
    target TEXT NOT NULL,
    origin_no INTEGER NOT NULL REFERENCES site(no),
    seq INTEGER NOT NULL,
    PRIMARY KEY (target, origin_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE imported_bundle(
    hash TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    exporter_no INTEGER REFERENCES site(no),
    imported_at INTEGER NOT NULL,
    by TEXT NOT NULL,
    new_ops INTEGER NOT NULL
) STRICT;

CREATE TABLE conflict(
    ticket_id TEXT NOT NULL,
    field TEXT NOT NULL,
    kind TEXT NOT NULL,
    heads TEXT NOT NULL,
    PRIMARY KEY (ticket_id, field, kind)
) STRICT;

CREATE TABLE op_waiting(
    parent_id TEXT NOT NULL,
    site_no INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (parent_id, site_no, seq)
) STRICT, WITHOUT ROWID;
"#;

/// Problems, known errors and major incidents (docs/architecture.md,
/// "Problems, known errors and major incidents"). `record` comes from a
/// ticket's creation: what the ticket records (problem, known_error), NULL
/// for the queue's tickets. Problems' tasks and resources are registers of
/// the problem (`set task.<id>`, `set resource.<id>`), materialized here.
/// `knowledge_fts` indexes only records, so finding the known error that
/// matches an incident walks hundreds of rows, not the whole ticket index.
/// The two partial indexes keep record lists and the major-incident banner
/// to index ranges: almost every ticket has neither, so they cost nothing
/// on the queue's writes.
const V7: &str = r#"
ALTER TABLE ticket ADD COLUMN record TEXT;
CREATE INDEX ticket_record ON ticket(record) WHERE record IS NOT NULL;
CREATE INDEX ticket_route ON ticket(route) WHERE route IS NOT NULL;

CREATE TABLE task(
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    description TEXT NOT NULL,
    assignee TEXT,
    done INTEGER NOT NULL,
    by TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX task_by_ticket ON task(ticket_id);

CREATE TABLE resource(
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    hours REAL,
    rate REAL,
    cost REAL NOT NULL,
    by TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX resource_by_ticket ON resource(ticket_id);

CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    title, description, detail,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#;

/// The SLA outcome of every finished ticket, frozen when it finished, so a
/// report over a million tickets reads one narrow index range instead of
/// computing a ledger per ticket (about 60 µs each, a minute at 1M).
/// Derived from the log *and* the configuration in force when the ticket
/// finished, like `sla_clock`, so `doctor` does not compare it. The
/// application writes a ticket's row in the write that finishes it and
/// deletes it in the write that reopens it (`app/outcome.rs`); rows a bulk
/// load skipped are filled before a report (meta `sla_outcome`).
///
/// `done_ms` is when it last moved from an unfinished state into a finished
/// one; the minutes and `*_met` are NULL when no SLA policy covers it.
/// The index covers every column a report reads, so an unfiltered report
/// never touches the table itself.
const V8: &str = r#"
CREATE TABLE sla_outcome(
    ticket_no INTEGER PRIMARY KEY,
    done_ms INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    reopened INTEGER NOT NULL,
    response_min INTEGER,
    resolution_min INTEGER,
    response_met INTEGER,
    resolution_met INTEGER
) STRICT;
CREATE INDEX sla_outcome_done ON sla_outcome(done_ms, cancelled, reopened,
    response_min, resolution_min, response_met, resolution_met);
"#;

/// What a report reads without joining the log to the tickets.
///
/// Links by kind: the top problems start from the `problem` links (a few
/// per problem) instead of every ticket created in the range. Covering,
/// so the links' rows are not read either.
///
/// Rejections: one row per transition that carries a rejection `reason`
/// (what `reject` writes), like `escalation` for escalations, with the
/// ticket's row number, so rejections per reason and group over a year
/// are one index range. Counted from `op_transition` they needed each
/// op's row to learn its ticket, scattered over the whole log: 2.3 to
/// 2.9 s with a cold cache at 1M tickets. Filled here from the log once.
const V9: &str = r#"
CREATE INDEX link_kind ON link(kind, target_id, ticket_id);

CREATE TABLE rejection(
    site_no INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    ticket_no INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (site_no, seq)
) STRICT;
CREATE INDEX rejection_at ON rejection(at, reason, ticket_no);

INSERT INTO rejection(site_no, seq, ticket_id, ticket_no, reason, at)
SELECT o.site_no, o.seq, o.entity_id, t.no, json_extract(o.value, '$.reason'), o.hlc >> 16
FROM op o INDEXED BY op_transition
JOIN ticket t ON t.id = o.entity_id
WHERE o.kind = 'transition' AND json_type(o.value, '$.reason') = 'text';
"#;

/// Changeset bodies stored compressed: a zstd frame of the JSON, with the
/// JSON's length in `body_len`; rows from before keep their JSON and a
/// NULL length. A first export seals a site's whole history, about 180
/// bytes of JSON per op, and writing that twice (the WAL, then the
/// checkpoint) was a third of its time at 1M ops; compressed it is about
/// a sixth. Hashes and signatures are of the JSON, as before.
const V10: &str = r#"
ALTER TABLE changeset ADD COLUMN body_len INTEGER;
"#;

/// Imported and written bundles by file name. A folder or git sync asks,
/// for every bundle file the folder holds, whether it was imported or
/// written here; without an index each question scanned the whole table,
/// so a sync grew with the square of the folder's files (1.4 ms a file
/// at 20,000 bundles, half a minute a sync).
const V11: &str = r#"
CREATE INDEX imported_bundle_file ON imported_bundle(file);
"#;

/// Concurrent escalations to different levels became conflicts, like the
/// state, assignee and priority. A database folded before holds no row for
/// them, so `doctor`'s rebuild would differ: the level register of every
/// ticket with more than one level change is settled again from the log.
/// Only a database that has imported another site's changes can hold
/// concurrent ones; the others skip the scan.
const V12: &str = "";

fn settle_level_conflicts(tx: &rusqlite::Transaction) -> HookResult {
    let sites: i64 = tx.query_row("SELECT count(*) FROM site", [], |r| r.get(0))?;
    if sites < 2 {
        return Ok(());
    }
    let tickets: Vec<(String, i64)> = tx
        .prepare(
            "SELECT o.entity_id, t.no FROM op o JOIN ticket t ON t.id = o.entity_id
             WHERE o.entity = 'ticket' AND o.field = 'level'
             GROUP BY o.entity_id HAVING count(*) > 1",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, no) in tickets {
        super::merge::settle(tx, super::ops::entity::TICKET, &id, "level", no)
            .map_err(|e| HookError::Hook(format!("settling the level of ticket {id}: {e:?}")))?;
    }
    Ok(())
}

const VERSIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];

/// The schema version (`PRAGMA user_version`) this build creates and knows.
pub const LATEST: i64 = VERSIONS.len() as i64;

pub fn migrations() -> Migrations<'static> {
    let (last, earlier) = VERSIONS.split_last().expect("at least one migration");
    let mut steps: Vec<M<'static>> = earlier.iter().map(|sql| M::up(sql)).collect();
    steps.push(M::up_with_hook(last, settle_level_conflicts));
    Migrations::new(steps)
}

/// The derived tables `doctor` compares after a rebuild, with the columns that
/// identify a row independently of local insertion order.
pub const DERIVED_TABLES: &[(&str, &str)] = &[
    (
        "ticket",
        "id, key, type, service, title, description, status, priority, priority_justification, impact, urgency, level, assignee, created_by, created_at, updated_at, fields, reject_reason, duplicate_of, route, status_since, record",
    ),
    ("comment", "id, ticket_id, author, at, internal, body"),
    ("worklog", "id, ticket_id, author, at, minutes, note"),
    (
        "attachment",
        "id, ticket_id, author, at, name, sha256, size",
    ),
    (
        "runbook_run",
        "id, ticket_id, runbook, started_by, started_at",
    ),
    ("runbook_tick", "run_id, item, checked, evidence, by, at"),
    (
        "escalation",
        "site_no, seq, ticket_id, mode, from_level, to_level, to_role, note, by, at",
    ),
    ("link", "ticket_id, kind, target_id"),
    ("rejection", "site_no, seq, ticket_id, reason, at"),
    ("task", "id, ticket_id, description, assignee, done, by, at"),
    (
        "resource",
        "id, ticket_id, kind, description, hours, rate, cost, by, at",
    ),
    ("conflict", "ticket_id, field, kind, heads"),
    ("op_waiting", "parent_id, site_no, seq"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
