//! When and how long to wait before an idempotent request is tried again.
//!
//! Only `GET` requests are retried, on connection failures, timeouts, 429 and 5xx answers. Each
//! attempt is signed again with a fresh nonce and timestamp: Jira refuses a replayed nonce
//! (`oauth_problem=nonce_used`), which is also why the HTTP client's own retries are turned off.

use std::time::{Duration, SystemTime};

/// Capped exponential backoff that honours `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included. `1` turns retrying off.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further attempt.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts. A `Retry-After` longer than this is not waited for:
    /// the answer is returned instead.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, waiting 500 ms then 1 s, never more than 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy with the given attempts and waits.
    pub fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        Self {
            max_attempts,
            initial_backoff,
            max_backoff,
        }
    }

    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// How long to wait after failed attempt number `attempt` (1-based) before the next one, or
    /// `None` when there is no next one: attempts are used up, or the server asked for a longer
    /// wait than [`max_backoff`](Self::max_backoff).
    pub fn delay_after(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        match retry_after {
            Some(wait) if wait > self.max_backoff => None,
            Some(wait) => Some(wait),
            None => {
                let doublings = attempt.saturating_sub(1).min(31);
                let factor = 1_u32.checked_shl(doublings).unwrap_or(u32::MAX);
                Some(
                    self.initial_backoff
                        .saturating_mul(factor)
                        .min(self.max_backoff),
                )
            }
        }
    }
}

/// Reads a `Retry-After` header: delay seconds or an HTTP date (RFC 9110 §10.2.3). A date in the
/// past means no wait. `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps_backoff() {
        let policy = RetryPolicy::new(6, Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<_> = (1..=6)
            .map(|attempt| policy.delay_after(attempt, None))
            .collect();
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
    fn honours_retry_after_within_cap_only() {
        let policy = RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(5));
        assert_eq!(
            policy.delay_after(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay_after(1, Some(Duration::from_secs(60))), None);
    }

    #[test]
    fn never_retries_when_told_so() {
        assert_eq!(RetryPolicy::never().delay_after(1, None), None);
    }

    #[test]
    fn reads_retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
