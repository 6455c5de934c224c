//! Where the nonce of a signed request comes from. A trait, so that tests and examples can make a
//! signature deterministic; the timestamp comes from a [`Clock`](jirasync_core::Clock).

use std::fmt;

/// Gives a fresh `oauth_nonce` for every request. Jira refuses a nonce it has seen before
/// (`oauth_problem=nonce_used`), so an implementation must never repeat one.
pub trait NonceSource: fmt::Debug + Send + Sync {
    /// A new nonce made of URL-safe characters.
    fn nonce(&self) -> String;
}

/// 128 random bits from the operating system, as 32 lower-case hex digits.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> String {
        jirasync_core::random_hex::<16>()
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
}
