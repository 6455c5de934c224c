//! When to try a failed operation again: one policy for the REST client's `GET`s and for the
//! webhook inbox's deliveries.
//!
//! The wait after failed attempt `n` (from 1) is `base_delay × 2^(n-1)`, at most `max_delay`,
//! then spread by [`Jitter`]. After `max_attempts` attempts there is no next one.
//!
//! # Why jitter, and which
//!
//! Failures come in crowds: when Jira or the database is down, every request and every claimed
//! delivery fails within the same second, and plain exponential back-off brings them all back in
//! the same second again, every time. Jitter spreads them out. jirasync uses **equal jitter**
//! ([`Jitter::Equal`], on by default): a wait drawn uniformly between half the back-off and the
//! whole of it. Half the wait is kept so that a retry still gives the other side room (full
//! jitter may retry at once), and the wait never exceeds the back-off, so `max_delay` stays a
//! hard limit and the time before a delivery is dead-lettered is at most what it was without
//! jitter (and at least half of it).
//!
//! The randomness is injectable ([`RetryPolicy::delay_after_with`]); a policy built
//! [`without_jitter`](RetryPolicy::without_jitter) is exact, for tests that assert delays.

use std::time::{Duration, SystemTime};

use rand_core::{OsRng, RngCore};

/// How a back-off is spread out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// The back-off exactly: every retry of a crowd of failures comes back at the same moment.
    None,
    /// Uniformly between half the back-off and the whole of it (AWS's "equal jitter").
    #[default]
    Equal,
}

/// Capped exponential back-off with jitter, and a limit on attempts.
///
/// ```
/// use std::time::Duration;
///
/// use jirasync_core::RetryPolicy;
///
/// let policy = RetryPolicy::new(4, Duration::from_secs(2), Duration::from_secs(10));
/// // The back-off doubles from the base, up to the cap…
/// assert_eq!(policy.backoff(3), Duration::from_secs(8));
/// assert_eq!(policy.backoff(4), Duration::from_secs(10));
/// // …and the wait is drawn between half of it and all of it.
/// let wait = policy.delay_after(3).unwrap();
/// assert!(wait >= Duration::from_secs(4) && wait <= Duration::from_secs(8));
/// // After the fourth attempt there is no fifth.
/// assert_eq!(policy.delay_after(4), None);
/// // Without jitter, waits are exact.
/// assert_eq!(policy.without_jitter().delay_after(3), Some(Duration::from_secs(8)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` turns retrying off.
    pub max_attempts: u32,
    /// The back-off after the first failure; it doubles for each further one.
    pub base_delay: Duration,
    /// The longest back-off.
    pub max_delay: Duration,
    /// How the back-off is spread out.
    pub jitter: Jitter,
}

impl RetryPolicy {
    /// A policy with the given attempts and back-off, with [`Jitter::Equal`].
    pub const fn new(max_attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_attempts,
            base_delay,
            max_delay,
            jitter: Jitter::Equal,
        }
    }

    /// A policy that never retries.
    pub const fn never() -> Self {
        Self::new(1, Duration::ZERO, Duration::ZERO)
    }

    /// This policy with another jitter.
    #[must_use]
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// This policy with exact waits ([`Jitter::None`]).
    #[must_use]
    pub const fn without_jitter(self) -> Self {
        self.with_jitter(Jitter::None)
    }

    /// The back-off after failed attempt `attempt` (from 1), before jitter:
    /// `base_delay × 2^(attempt-1)`, at most `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1_u32 << doublings)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }

    /// How long to wait after failed attempt `attempt` (from 1), jitter drawn from the operating
    /// system; `None` when that was the last attempt.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        self.delay_after_with(attempt, &mut OsRng)
    }

    /// [`delay_after`](Self::delay_after) with the jitter drawn from `random`.
    pub fn delay_after_with<R: RngCore + ?Sized>(
        &self,
        attempt: u32,
        random: &mut R,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let backoff = self.backoff(attempt);
        Some(match self.jitter {
            Jitter::None => backoff,
            Jitter::Equal => equal_jitter(backoff, random),
        })
    }

    /// When to try again after attempt `attempt` failed at `now`, or `None` when it was the last
    /// (or the time cannot be represented).
    pub fn next_attempt(&self, attempt: u32, now: SystemTime) -> Option<SystemTime> {
        now.checked_add(self.delay_after(attempt)?)
    }
}

/// Uniformly in `[backoff / 2, backoff)` (the back-off itself when it is zero), to the
/// nanosecond. One draw of 64 bits is scaled onto the span, so a larger draw never gives a
/// shorter wait.
fn equal_jitter<R: RngCore + ?Sized>(backoff: Duration, random: &mut R) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let half = backoff / 2;
    // At most `Duration::MAX` in nanoseconds: under 2^94.
    let span = (backoff - half).as_nanos();
    let draw = u128::from(random.next_u64());
    // span × draw / 2^64, without overflow: split the span at 2^64.
    let (high, low) = (span >> 64, span & u128::from(u64::MAX));
    let extra = high * draw + ((low * draw) >> 64);
    let extra = Duration::new(
        u64::try_from(extra / NANOS_PER_SEC).unwrap_or(u64::MAX),
        u32::try_from(extra % NANOS_PER_SEC).unwrap_or(0),
    );
    half.saturating_add(extra).min(backoff)
}

#[cfg(test)]
mod tests {
    use rand_core::impls;

    use super::*;

    /// Gives the same number every time: the smallest, the largest, or one in between.
    struct Constant(u64);

    impl RngCore for Constant {
        fn next_u32(&mut self) -> u32 {
            u32::try_from(self.0 >> 32).unwrap_or(u32::MAX)
        }
        fn next_u64(&mut self) -> u64 {
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            impls::fill_bytes_via_next(self, dest);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    /// The policy of the inbox tests: four attempts, 2 s doubling up to 10 s.
    fn exact() -> RetryPolicy {
        RetryPolicy::new(4, Duration::from_secs(2), Duration::from_secs(10)).without_jitter()
    }

    #[test]
    fn delay_doubles_from_the_base() {
        let policy = exact();
        assert_eq!(policy.delay_after(1), Some(Duration::from_secs(2)));
        assert_eq!(policy.delay_after(2), Some(Duration::from_secs(4)));
        assert_eq!(policy.delay_after(3), Some(Duration::from_secs(8)));
    }

    #[test]
    fn delay_stops_at_the_cap() {
        assert_eq!(exact().backoff(4), Duration::from_secs(10));
        assert_eq!(exact().backoff(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn doubles_and_caps_backoff() {
        let policy = RetryPolicy::new(6, Duration::from_millis(100), Duration::from_millis(350))
            .without_jitter();
        let delays: Vec<_> = (1..=6).map(|attempt| policy.delay_after(attempt)).collect();
        assert_eq!(
            delays,
            vec![
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(350)),
                Some(Duration::from_millis(350)),
                Some(Duration::from_millis(350)),
                None,
            ]
        );
    }

    #[test]
    fn last_attempt_has_no_retry() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            exact().next_attempt(3, now),
            Some(now + Duration::from_secs(8))
        );
        assert_eq!(exact().next_attempt(4, now), None);
        assert_eq!(exact().next_attempt(9, now), None);
    }

    #[test]
    fn never_retries_when_told_so() {
        assert_eq!(RetryPolicy::never().delay_after(1), None);
    }

    #[test]
    fn huge_base_delay_does_not_overflow() {
        let policy = RetryPolicy::new(
            40,
            Duration::from_secs(u64::MAX / 2),
            Duration::from_secs(60),
        )
        .without_jitter();
        assert_eq!(policy.backoff(30), Duration::from_secs(60));
        assert_eq!(policy.delay_after(30), Some(Duration::from_secs(60)));
    }

    #[test]
    fn jitter_is_on_unless_turned_off() {
        let policy = RetryPolicy::new(3, Duration::from_secs(1), Duration::from_secs(8));
        assert_eq!(policy.jitter, Jitter::Equal);
        assert_eq!(policy.without_jitter().jitter, Jitter::None);
    }

    #[test]
    fn equal_jitter_spans_half_the_backoff_to_all_of_it() {
        let policy = RetryPolicy::new(8, Duration::from_secs(1), Duration::from_secs(300));
        let backoff = Duration::from_secs(8);
        assert_eq!(
            policy.delay_after_with(4, &mut Constant(0)),
            Some(backoff / 2)
        );
        assert_eq!(
            policy.delay_after_with(4, &mut Constant(u64::MAX)),
            Some(Duration::from_nanos(7_999_999_999))
        );
        let middle = policy
            .delay_after_with(4, &mut Constant(1 << 63))
            .unwrap_or_default();
        assert!(middle > backoff / 2 && middle < backoff, "{middle:?}");
    }

    #[test]
    fn jittered_waits_stay_within_the_bounds() {
        let policy = RetryPolicy::new(10, Duration::from_millis(300), Duration::from_secs(30));
        for attempt in 1..10 {
            let backoff = policy.backoff(attempt);
            for _ in 0..200 {
                let wait = policy.delay_after(attempt).unwrap_or_default();
                assert!(
                    wait >= backoff / 2 && wait <= backoff,
                    "attempt {attempt}: {wait:?} outside [{:?}, {backoff:?}]",
                    backoff / 2
                );
            }
        }
    }

    #[test]
    fn jittered_waits_differ() {
        let policy = RetryPolicy::new(3, Duration::from_secs(60), Duration::from_secs(60));
        let waits: std::collections::HashSet<_> =
            (0..20).filter_map(|_| policy.delay_after(1)).collect();
        assert!(waits.len() > 1, "{waits:?}");
    }

    #[test]
    fn jitter_never_passes_the_cap_nor_overflows() {
        let policy = RetryPolicy::new(3, Duration::MAX, Duration::MAX);
        for draw in [0, 1 << 63, u64::MAX] {
            let wait = policy
                .delay_after_with(1, &mut Constant(draw))
                .unwrap_or_default();
            assert!(wait >= Duration::MAX / 2, "{wait:?}");
        }
        let zero = RetryPolicy::new(3, Duration::ZERO, Duration::ZERO);
        assert_eq!(zero.delay_after(1), Some(Duration::ZERO));
    }
}
