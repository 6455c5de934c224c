//! Domain values to SQL columns and back, alike on SQLite and PostgreSQL: ids, times, and the
//! names enums are stored under.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jirasync_domain::StoreError;
use jirasync_domain::integration::{LinkStatus, ResolutionStrategy};
use jirasync_domain::issue::ResolutionStatus;
use sqlx::Row;

use crate::sql_error::store_error;

/// A domain id as stored. Stored ids are positive, so an id beyond `i64` (which no row can have)
/// becomes `-1`, which finds nothing and refers to nothing.
pub(crate) fn sql_id(raw: u64) -> i64 {
    i64::try_from(raw).unwrap_or(-1)
}

/// A stored id as the domain's `u64`.
pub(crate) fn domain_id(raw: i64) -> Result<u64, StoreError> {
    u64::try_from(raw).map_err(|_| StoreError::other(format!("a stored id is negative: {raw}")))
}

/// An id the application chose (an organization's), as stored; [`StoreError::Invalid`] for one
/// no row can have, as the in-memory store answers.
pub(crate) fn chosen_id(raw: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(raw).ok().filter(|id| *id > 0).ok_or_else(|| {
        StoreError::invalid(format!(
            "{what} id {raw} is out of range: ids run from 1 to {}",
            i64::MAX
        ))
    })
}

/// The column `name` of a row read while doing `what`.
pub(crate) fn column<'r, T, R>(row: &'r R, name: &str, what: &str) -> Result<T, StoreError>
where
    R: Row,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    row.try_get(name).map_err(|error| store_error(what, error))
}

/// `$first, $first+1, …` with `count` numbered placeholders, for an `IN (…)` list. Both
/// back-ends take `$N` (sqlx binds SQLite's `$N` to the N-th argument).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|number| format!("${number}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A time as Unix epoch milliseconds (negative before 1970), rounded down.
pub(crate) fn unix_millis(at: SystemTime) -> Result<i64, StoreError> {
    let out_of_range = || StoreError::invalid(format!("time out of range: {at:?}"));
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).map_err(|_| out_of_range()),
        Err(before) => {
            let before = before.duration();
            // Round down: a time 0.5 ms before the epoch is stored as -1.
            let millis = before.as_millis() + u128::from(before.subsec_nanos() % 1_000_000 != 0);
            i64::try_from(millis)
                .map(|millis| -millis)
                .map_err(|_| out_of_range())
        }
    }
}

/// A stored Unix epoch millisecond time.
pub(crate) fn system_time(millis: i64) -> Result<SystemTime, StoreError> {
    let offset = Duration::from_millis(millis.unsigned_abs());
    let at = if millis >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    };
    at.ok_or_else(|| StoreError::other(format!("a stored time is out of range: {millis} ms")))
}

/// A stored optional time.
pub(crate) fn optional_system_time(millis: Option<i64>) -> Result<Option<SystemTime>, StoreError> {
    millis.map(system_time).transpose()
}

/// A stored value no name of the domain matches.
pub(crate) fn unknown(what: &str, stored: &str) -> StoreError {
    StoreError::other(format!("unknown {what} stored: {stored:?}"))
}

/// The stored name of a resolution status.
pub(crate) const fn status_name(status: ResolutionStatus) -> &'static str {
    match status {
        ResolutionStatus::Unresolved => "unresolved",
        ResolutionStatus::Resolved => "resolved",
    }
}

/// The resolution status with this stored name.
pub(crate) fn status_from_name(name: &str) -> Result<ResolutionStatus, StoreError> {
    match name {
        "unresolved" => Ok(ResolutionStatus::Unresolved),
        "resolved" => Ok(ResolutionStatus::Resolved),
        other => Err(unknown("issue status", other)),
    }
}

/// The stored name of a link status.
pub(crate) const fn link_status_name(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Active => "active",
        LinkStatus::Disabled => "disabled",
    }
}

/// The stored name of a resolution strategy.
pub(crate) const fn strategy_name(strategy: ResolutionStrategy) -> &'static str {
    match strategy {
        ResolutionStrategy::Resolve => "resolve",
        ResolutionStrategy::ResolveCurrentRelease => "resolve_current_release",
        ResolutionStrategy::ResolveNextRelease => "resolve_next_release",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_milliseconds() {
        for millis in [0, 1, 1_700_000_001_234, -1, -86_400_000] {
            assert_eq!(unix_millis(system_time(millis).unwrap()).unwrap(), millis);
        }
    }

    #[test]
    fn times_before_the_epoch_round_down() {
        let at = UNIX_EPOCH - Duration::from_micros(500);
        assert_eq!(unix_millis(at).unwrap(), -1);
    }

    #[test]
    fn ids_beyond_i64_find_nothing() {
        assert_eq!(sql_id(u64::MAX), -1);
        assert_eq!(sql_id(42), 42);
        assert!(domain_id(-1).is_err());
    }

    #[test]
    fn placeholders_are_comma_separated() {
        assert_eq!(placeholders(1, 0), "");
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
    }
}
