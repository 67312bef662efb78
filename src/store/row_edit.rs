//! The changes to one ticket's row, kept in memory and written in one
//! UPDATE with its update time instead of once per change: the winners of
//! its own columns (state, assignee, level, catalogue fields…). The sync
//! fold gathers them per ticket and batch (`merge.rs`: tickets born in the
//! batch start from their creation, others from their row); bulk loads
//! that read no ticket while writing (`generate`) for tickets created in
//! their transaction (`apply.rs`, `WriteTx::defer_new_rows`).

use super::apply::{ApplyError, RowChange};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

/// The changes to one ticket's row not written yet.
#[derive(Debug, Default)]
pub(super) struct RowEdit {
    /// Column → value, in a fixed order so the same set of columns reuses
    /// one prepared statement.
    columns: std::collections::BTreeMap<&'static str, SqlValue>,
    /// The catalogue fields, once a change touched them.
    fields: Option<Map<String, Value>>,
}

/// A creation's catalogue fields as the ticket's row reads them (a value
/// that is not an object reads as none).
pub(super) fn creation_fields(created: &Value) -> Map<String, Value> {
    match created.get("fields") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

impl RowEdit {
    /// Takes a change in; `base_fields` gives the catalogue fields to start
    /// from, the first time a field changes.
    pub(super) fn apply(
        &mut self,
        change: RowChange,
        base_fields: impl FnOnce() -> Map<String, Value>,
    ) {
        match change {
            RowChange::Column(column, text) => {
                self.columns
                    .insert(column, text.map_or(SqlValue::Null, SqlValue::Text));
            }
            RowChange::Field(name, value) => {
                let fields = self.fields.get_or_insert_with(base_fields);
                if value.is_null() {
                    fields.remove(&name);
                } else {
                    fields.insert(name, value);
                }
            }
            RowChange::Status { to, since } => {
                self.columns.insert("status", SqlValue::Text(to));
                self.columns
                    .insert("status_since", SqlValue::Integer(since));
            }
            RowChange::Level(level) => {
                self.columns.insert("level", SqlValue::Integer(level));
            }
            RowChange::Route(route) => {
                self.columns
                    .insert("route", route.map_or(SqlValue::Null, SqlValue::Text));
            }
        }
    }

    /// Whether a change took the catalogue fields in (their starting point
    /// is then settled).
    pub(super) fn has_fields(&self) -> bool {
        self.fields.is_some()
    }

    /// Writes the changes into ticket `no`'s row, and its update time when
    /// one is given.
    pub(super) fn write(
        mut self,
        conn: &Connection,
        no: i64,
        updated_ms: Option<i64>,
    ) -> Result<(), ApplyError> {
        if let Some(fields) = self.fields.take() {
            self.columns
                .insert("fields", SqlValue::Text(Value::Object(fields).to_string()));
        }
        if self.columns.is_empty() && updated_ms.is_none() {
            return Ok(());
        }
        // Column names come from `RowChange`, a fixed set, never from an op.
        let mut sql = String::from("UPDATE ticket SET ");
        let mut values: Vec<SqlValue> = vec![SqlValue::Integer(no)];
        for (column, value) in self.columns {
            values.push(value);
            sql.push_str(&format!("{column} = ?{}, ", values.len()));
        }
        values.push(updated_ms.map_or(SqlValue::Null, SqlValue::Integer));
        sql.push_str(&format!(
            "updated_at = max(updated_at, coalesce(?{}, updated_at)) WHERE no = ?1",
            values.len()
        ));
        conn.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }
}
