//! Time, injectable: every part of jirasync that reads the time takes a [`Clock`], so signatures,
//! expiries, cache ages and retry times are testable with a [`ManualClock`].
//!
//! A clock gives two readings because jirasync needs both: wall time ([`Clock::now`],
//! [`Clock::unix_timestamp`]) for what other systems see (OAuth timestamps, receipt times, retry
//! times stored in the inbox, session expiries), and a monotonic reading ([`Clock::monotonic`])
//! for how long something has lasted inside this process (the age of a cache entry), which a
//! wall clock set back by NTP must not shorten.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of time.
pub trait Clock: fmt::Debug + Send + Sync {
    /// The wall-clock time now.
    fn now(&self) -> SystemTime;

    /// A monotonic reading, for measuring how much time has passed; it never goes back.
    fn monotonic(&self) -> Instant;

    /// Whole seconds since 1970-01-01T00:00:00Z (an OAuth `oauth_timestamp`); `0` for a clock set
    /// before 1970.
    fn unix_timestamp(&self) -> u64 {
        // A clock set before 1970 gives 0; Jira then answers timestamp_refused, which explains it.
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or_default()
    }
}

/// The operating system's clocks: [`SystemTime::now`] and [`Instant::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to, for tests and known-answer examples. Both readings
/// move together by [`advance`](Self::advance).
///
/// It counts from the Unix epoch, so [`unix_timestamp`](Clock::unix_timestamp) is exact for any
/// `u64` (a signature test may use any timestamp); [`now`](Clock::now) gives the Unix epoch for a
/// time beyond what [`SystemTime`] can hold.
///
/// ```
/// use std::time::Duration;
///
/// use jirasync_core::{Clock, ManualClock};
///
/// let clock = ManualClock::at_unix_timestamp(1_196_666_512);
/// let started = clock.monotonic();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.unix_timestamp(), 1_196_666_602);
/// assert_eq!(clock.monotonic() - started, Duration::from_secs(90));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    since_epoch: Duration,
    monotonic_start: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the Unix epoch.
    pub fn new() -> Self {
        Self::since_epoch(Duration::ZERO)
    }

    /// A clock standing at `wall_time` (at the Unix epoch for a time before it).
    pub fn at(wall_time: SystemTime) -> Self {
        Self::since_epoch(wall_time.duration_since(UNIX_EPOCH).unwrap_or_default())
    }

    /// A clock standing `seconds` after the Unix epoch.
    pub fn at_unix_timestamp(seconds: u64) -> Self {
        Self::since_epoch(Duration::from_secs(seconds))
    }

    fn since_epoch(since_epoch: Duration) -> Self {
        Self {
            since_epoch,
            monotonic_start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut elapsed = self.elapsed.lock().unwrap_or_else(PoisonError::into_inner);
        *elapsed = elapsed.saturating_add(by);
    }

    fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wall(&self) -> Duration {
        self.since_epoch.saturating_add(self.elapsed())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH.checked_add(self.wall()).unwrap_or(UNIX_EPOCH)
    }

    fn monotonic(&self) -> Instant {
        let elapsed = self.elapsed();
        self.monotonic_start
            .checked_add(elapsed)
            .unwrap_or(self.monotonic_start)
    }

    fn unix_timestamp(&self) -> u64 {
        self.wall().as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.unix_timestamp() > 1_577_836_800);
    }

    #[test]
    fn manual_clock_starts_at_the_epoch_and_moves_when_told() {
        let clock = ManualClock::new();
        let started = clock.monotonic();
        assert_eq!(clock.unix_timestamp(), 0);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_millis(1500));
        assert_eq!(clock.unix_timestamp(), 1);
        assert_eq!(clock.monotonic() - started, Duration::from_millis(1500));
    }

    #[test]
    fn a_manual_clock_set_before_1970_stands_at_the_epoch() {
        let clock = ManualClock::at(UNIX_EPOCH - Duration::from_secs(10));
        assert_eq!(clock.unix_timestamp(), 0);
    }

    #[test]
    fn any_unix_timestamp_reads_back_exactly() {
        assert_eq!(
            ManualClock::at_unix_timestamp(u64::MAX).unix_timestamp(),
            u64::MAX
        );
        let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert_eq!(clock.unix_timestamp(), 1_700_000_000);
    }
}
