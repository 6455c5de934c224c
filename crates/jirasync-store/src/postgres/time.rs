//! Times as stored: Unix epoch milliseconds in a BIGINT.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `time` as Unix epoch milliseconds, negative before 1970, saturating far outside.
pub(super) fn to_unix_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis())
            .map(|millis| -millis)
            .unwrap_or(i64::MIN),
    }
}

/// The time `millis` Unix epoch milliseconds name, saturating at what `SystemTime` can hold.
pub(super) fn from_unix_millis(millis: i64) -> SystemTime {
    let magnitude = Duration::from_millis(millis.unsigned_abs());
    if millis >= 0 {
        UNIX_EPOCH.checked_add(magnitude).unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH.checked_sub(magnitude).unwrap_or(UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_before_and_after_the_epoch() {
        for millis in [0, 1, -1, 1_700_000_000_123, -86_400_000] {
            assert_eq!(to_unix_millis(from_unix_millis(millis)), millis);
        }
    }
}
