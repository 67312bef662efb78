//! Dashboard counts (temporary stand-in with the final API).

use super::{Reader, StoreError};

#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    pub open_states: Vec<String>,
    pub closed_states: Vec<String>,
    pub today_start_ms: i64,
    pub days: u32,
    pub oldest: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OldestTicket {
    pub key: String,
    pub title: String,
    pub priority: String,
    pub status: String,
    pub assignee: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    pub open_total: i64,
    pub open_by_priority: Vec<(String, i64)>,
    pub open_by_status: Vec<(String, i64)>,
    pub open_by_level: Vec<(u8, i64)>,
    pub open_by_assignee: Vec<(Option<String>, i64)>,
    pub new_per_day: Vec<i64>,
    pub done_per_day: Vec<i64>,
    pub oldest_open: Vec<OldestTicket>,
}

impl Reader<'_> {
    pub fn dashboard(&self, q: &DashboardQuery) -> Result<Dashboard, StoreError> {
        let _ = q;
        Ok(Dashboard::default())
    }
}
