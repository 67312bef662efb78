//! Keeps the operation log's clock from running far ahead of this
//! computer's clock. The log's hybrid clock never goes back
//! (`store::ops::hlc_next`): one change stamped years ahead (a mistyped
//! `GUARDIA_NOW`, a computer clock that was wrong for a while) dates every
//! later change as late. So a write with a fixed clock (`GUARDIA_NOW`)
//! more than [`MARGIN_MS`] ahead of the computer's clock is refused
//! (`StoreError::ClockAhead`), and a log already dated that far ahead is
//! reported: by `doctor`, and after every command that records a change.
//!
//! The tests fix the clock (`GUARDIA_NOW`) to dates in any year, past or
//! future, whatever day they run: debug builds judge a fixed clock only
//! against `GUARDIA_TEST_SYSTEM_NOW`, which stands for the computer's
//! clock in the tests of this guard. Release builds never read it.

use super::Clock;
use crate::store::{ClockLimit, Reader, Store, StoreError, span_text, utc_text};
use std::path::Path;

/// How far ahead of this computer's clock a change may be dated: a day
/// leaves room for time zones written wrong and clocks a little off, and
/// is far below the 366 days past which other sites refuse a change.
pub const MARGIN_MS: i64 = 24 * 3600 * 1000;

/// This computer's clock (Unix ms) as the guard judges by it; `None` when
/// there is nothing to judge by (a debug build with a fixed clock and no
/// `GUARDIA_TEST_SYSTEM_NOW`).
pub fn system_now_ms(clock: &Clock) -> Option<i64> {
    #[cfg(debug_assertions)]
    {
        if let Some(t) = std::env::var("GUARDIA_TEST_SYSTEM_NOW")
            .ok()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
        {
            return Some(t.timestamp_millis());
        }
        if clock.fixed.is_some() {
            return None;
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = clock;
    Some(chrono::Utc::now().timestamp_millis())
}

/// Makes `store` refuse writes stamped more than [`MARGIN_MS`] past this
/// computer's clock. Only a fixed clock can be: the computer's own is
/// "now" by definition.
pub fn limit_writes(store: &mut Store, clock: &Clock) {
    if clock.fixed.is_none() {
        return;
    }
    if let Some(system_ms) = system_now_ms(clock) {
        store.set_clock_limit(ClockLimit {
            system_ms,
            margin_ms: MARGIN_MS,
        });
    }
}

/// What to say when the newest change of the database at `db` is dated
/// more than [`MARGIN_MS`] after this computer's clock; `None` when it is
/// not (or there is no clock to judge by).
pub fn log_ahead(
    reader: &Reader<'_>,
    db: &Path,
    clock: &Clock,
) -> Result<Option<String>, StoreError> {
    let Some(system_ms) = system_now_ms(clock) else {
        return Ok(None);
    };
    let Some(newest_ms) = reader.newest_change_ms()? else {
        return Ok(None);
    };
    if newest_ms <= system_ms.saturating_add(MARGIN_MS) {
        return Ok(None);
    }
    Ok(Some(format!(
        "the newest change in {} is dated {}, {} ahead of this computer's clock ({}); the log's clock never goes back, so every change recorded from now on is dated at least that late (ages, today's figures and reports are off, and other sites refuse changes dated more than 366 days ahead). If this computer's clock is wrong, fix it; if a change was recorded with a wrong clock (a mistyped GUARDIA_NOW, or this computer's clock while it was wrong), see \"A clock far ahead\" in the user guide",
        db.display(),
        utc_text(newest_ms),
        span_text(newest_ms - system_ms),
        utc_text(system_ms)
    )))
}
