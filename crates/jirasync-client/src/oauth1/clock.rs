//! Where the timestamp and nonce of a signed request come from. Both are traits so that tests and
//! examples can make a signature deterministic.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use rand_core::{OsRng, RngCore};

/// Gives the `oauth_timestamp`: whole seconds since the Unix epoch.
pub trait Clock: fmt::Debug + Send + Sync {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn unix_timestamp(&self) -> u64;
}

/// Gives a fresh `oauth_nonce` for every request. Jira refuses a nonce it has seen before
/// (`oauth_problem=nonce_used`), so an implementation must never repeat one.
pub trait NonceSource: fmt::Debug + Send + Sync {
    /// A new nonce made of URL-safe characters.
    fn nonce(&self) -> String;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_timestamp(&self) -> u64 {
        // A clock set before 1970 gives 0; Jira then answers timestamp_refused, which explains it.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or_default()
    }
}

/// A clock that always says the same time. For tests and known-answer examples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn unix_timestamp(&self) -> u64 {
        self.0
    }
}

/// 128 random bits from the operating system, as 32 lower-case hex digits.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> String {
        let mut bytes = [0_u8; 16];
        OsRng.fill_bytes(&mut bytes);
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// A nonce source that always gives the same nonce. Only for tests and known-answer examples: a
/// real server refuses the second request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedNonce(pub String);

impl NonceSource for FixedNonce {
    fn nonce(&self) -> String {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_nonces_differ_and_are_hex() {
        let first = RandomNonce.nonce();
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, RandomNonce.nonce());
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.unix_timestamp() > 1_577_836_800);
    }
}
