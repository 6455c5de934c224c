//! When to try a failed delivery again.

use std::time::{Duration, SystemTime};

/// Exponential back-off with a cap, and a limit on attempts after which a delivery is dead.
///
/// The wait after attempt `n` (from 1) is `base × 2^(n-1)`, at most `max_delay`. No jitter: the
/// inbox spreads retries by itself, since each delivery fails at its own time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last one fails the delivery is dead.
    pub max_attempts: u32,
    /// The wait after the first failure.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts, waiting 1 s, 2 s, 4 s … up to 5 minutes (about 4 minutes in all).
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// When to retry after attempt `attempt` failed at `now`, or `None` when it was the last.
    pub fn next_attempt(&self, attempt: u32, now: SystemTime) -> Option<SystemTime> {
        if attempt >= self.max_attempts {
            return None;
        }
        Some(now + self.delay_after(attempt))
    }

    /// The wait after attempt `attempt` (from 1) failed.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1_u32 << doublings)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
        }
    }

    #[test]
    fn delay_doubles_from_the_base() {
        let policy = policy();
        assert_eq!(policy.delay_after(1), Duration::from_secs(2));
        assert_eq!(policy.delay_after(2), Duration::from_secs(4));
        assert_eq!(policy.delay_after(3), Duration::from_secs(8));
    }

    #[test]
    fn delay_stops_at_the_cap() {
        assert_eq!(policy().delay_after(4), Duration::from_secs(10));
        assert_eq!(policy().delay_after(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn last_attempt_has_no_retry() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            policy().next_attempt(3, now),
            Some(now + Duration::from_secs(8))
        );
        assert_eq!(policy().next_attempt(4, now), None);
        assert_eq!(policy().next_attempt(9, now), None);
    }

    #[test]
    fn huge_base_delay_does_not_overflow() {
        let policy = RetryPolicy {
            max_attempts: 40,
            base_delay: Duration::from_secs(u64::MAX / 2),
            max_delay: Duration::from_secs(60),
        };
        assert_eq!(policy.delay_after(30), Duration::from_secs(60));
    }
}
