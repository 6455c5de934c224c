//! When and how long to wait before an idempotent request is tried again.
//!
//! Only `GET` requests are retried, on connection failures, timeouts, 429 and 5xx answers, under
//! jirasync's one [`RetryPolicy`] (capped exponential back-off with equal jitter, so that
//! instances that failed together do not come back together). A `Retry-After` from Jira is
//! honoured as it is, without jitter, when it is within the policy's `max_delay`; a longer one is
//! not waited for and the answer is returned instead. Each attempt is signed again with a fresh
//! nonce and timestamp: Jira refuses a replayed nonce (`oauth_problem=nonce_used`), which is also
//! why the HTTP client's own retries are turned off.

use std::time::{Duration, SystemTime};

pub use jirasync_core::{Jitter, RetryPolicy};

/// The retry policy of [`ClientOptions::new`](crate::ClientOptions::new): three attempts,
/// waiting about 500 ms then about 1 s (equal jitter), never more than 30 s.
pub const DEFAULT_RETRY_POLICY: RetryPolicy =
    RetryPolicy::new(3, Duration::from_millis(500), Duration::from_secs(30));

/// How long to wait after failed attempt number `attempt` (1-based) before the next one, or
/// `None` when there is no next one: attempts are used up, or the server asked for a longer wait
/// (`retry_after`) than the policy's `max_delay`.
pub(crate) fn delay_before_retry(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    let backoff = policy.delay_after(attempt)?;
    match retry_after {
        Some(wait) => (wait <= policy.max_delay).then_some(wait),
        None => Some(backoff),
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
    fn honours_retry_after_within_cap_only() {
        let policy = RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(5));
        assert_eq!(
            delay_before_retry(&policy, 1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            delay_before_retry(&policy, 1, Some(Duration::from_secs(60))),
            None
        );
    }

    #[test]
    fn retry_after_does_not_outlast_the_attempts() {
        let policy = RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(5));
        assert_eq!(
            delay_before_retry(&policy, 3, Some(Duration::from_secs(2))),
            None
        );
    }

    #[test]
    fn without_retry_after_waits_the_jittered_backoff() {
        let policy = RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(5));
        let wait = delay_before_retry(&policy, 2, None).unwrap_or_default();
        assert!(
            wait >= Duration::from_millis(100) && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        assert_eq!(
            delay_before_retry(&policy.without_jitter(), 2, None),
            Some(Duration::from_millis(200))
        );
    }

    #[test]
    fn never_retries_when_told_so() {
        assert_eq!(delay_before_retry(&RetryPolicy::never(), 1, None), None);
    }

    #[test]
    fn default_policy_is_three_attempts_from_500_ms_with_jitter() {
        let policy = DEFAULT_RETRY_POLICY;
        assert_eq!(policy.max_attempts, 3);
        assert_eq!(policy.backoff(1), Duration::from_millis(500));
        assert_eq!(policy.backoff(2), Duration::from_secs(1));
        assert_eq!(policy.max_delay, Duration::from_secs(30));
        assert_eq!(policy.jitter, Jitter::Equal);
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
