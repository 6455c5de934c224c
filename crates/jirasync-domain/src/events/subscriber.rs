//! Subscribers: the URLs events are pushed to, each with its signing secrets (Standard
//! Webhooks: `whsec_` and the base64 of the key; two during a rotation, both signing).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::{OsRng, RngCore};
use secrecy::zeroize::Zeroizing;

use super::EventTimestamp;

/// A subscriber's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriberId(u64);

impl SubscriberId {
    /// Wraps a stored id.
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }

    /// The stored id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SubscriberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The prefix of a signing secret.
const SECRET_PREFIX: &str = "whsec_";
/// The fewest and most key bytes a secret may hold (the spec's recommendation: 24 to 64).
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
/// The bytes of a generated key.
const GENERATED_KEY_BYTES: usize = 32;

jirasync_core::secret_newtype! {
    /// A subscriber's signing secret, `whsec_` followed by the base64 of 24 to 64 key bytes
    /// (the Standard Webhooks format). Never printed.
    pub struct SigningSecret;
}

/// Why a text is not a signing secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningSecretError {
    /// The `whsec_` prefix is missing.
    #[error("a signing secret starts with \"whsec_\" followed by base64")]
    MissingPrefix,
    /// The part after the prefix is not base64.
    #[error("the part of the signing secret after \"whsec_\" is not standard base64")]
    NotBase64,
    /// The key is too short or too long.
    #[error("a signing secret holds 24 to 64 bytes of key; this one holds {bytes}")]
    KeyLength {
        /// The bytes it holds.
        bytes: usize,
    },
}

impl SigningSecret {
    /// A new secret with 32 random bytes from the operating system.
    pub fn generate() -> Self {
        let mut key = [0_u8; GENERATED_KEY_BYTES];
        OsRng.fill_bytes(&mut key);
        let secret = Self::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)));
        key.fill(0);
        secret
    }

    /// Checks a secret given by an operator.
    ///
    /// # Errors
    ///
    /// [`SigningSecretError`] naming what is wrong (the secret is never repeated).
    pub fn parse(text: &str) -> Result<Self, SigningSecretError> {
        let secret = Self::new(text);
        secret.key()?;
        Ok(secret)
    }

    /// The HMAC key: the base64-decoded part after `whsec_`.
    ///
    /// # Errors
    ///
    /// [`SigningSecretError`] when the stored text is not a valid secret.
    pub fn key(&self) -> Result<Zeroizing<Vec<u8>>, SigningSecretError> {
        let encoded = self
            .expose_secret()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SigningSecretError::MissingPrefix)?;
        let key = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| SigningSecretError::NotBase64)?,
        );
        if !KEY_BYTES.contains(&key.len()) {
            return Err(SigningSecretError::KeyLength { bytes: key.len() });
        }
        Ok(key)
    }
}

/// A subscriber URL: absolute `http` or `https` with a host, no user name or password, no
/// fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriberUrl(String);

/// Why a text is not a subscriber URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriberUrlError {
    /// Not a URL at all.
    #[error("{text:?} is not an absolute URL ({reason})")]
    NotAUrl {
        /// The text as given.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// A scheme other than http or https.
    #[error("a subscriber URL must use http or https, not {scheme:?}")]
    Scheme {
        /// The scheme given.
        scheme: String,
    },
    /// A user name or password in the URL.
    #[error("a subscriber URL must not hold a user name or password")]
    Credentials,
    /// A fragment.
    #[error("a subscriber URL must not have a fragment (#…)")]
    Fragment,
    /// Longer than the store keeps.
    #[error("a subscriber URL is at most 2048 characters; this one has {length}")]
    TooLong {
        /// Its length.
        length: usize,
    },
}

impl SubscriberUrl {
    /// Checks a URL given by an operator.
    ///
    /// # Errors
    ///
    /// [`SubscriberUrlError`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, SubscriberUrlError> {
        if text.len() > 2048 {
            return Err(SubscriberUrlError::TooLong { length: text.len() });
        }
        let url = url::Url::parse(text).map_err(|error| SubscriberUrlError::NotAUrl {
            text: text.to_owned(),
            reason: error.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SubscriberUrlError::Scheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(SubscriberUrlError::NotAUrl {
                text: text.to_owned(),
                reason: "no host".to_owned(),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SubscriberUrlError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(SubscriberUrlError::Fragment);
        }
        Ok(Self(url.to_string()))
    }

    /// A URL read back from the store (checked when it was stored).
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriberUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A subscriber to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscriber {
    /// Where events are POSTed.
    pub url: SubscriberUrl,
    /// A note for operators (what the URL is).
    pub description: String,
    /// Its signing secret.
    pub secret: SigningSecret,
    /// When it is created (the store's clock decides nothing: the caller's does).
    pub created_at: EventTimestamp,
}

/// A subscriber as stored. Events appended after it was created are delivered to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Its id.
    pub id: SubscriberId,
    /// Where events are POSTed.
    pub url: SubscriberUrl,
    /// A note for operators.
    pub description: String,
    /// The current signing secret.
    pub secret: SigningSecret,
    /// The secret it replaced in the last rotation, still signing until the next one.
    pub previous_secret: Option<SigningSecret>,
    /// When it was created.
    pub created_at: EventTimestamp,
}

impl Subscriber {
    /// The secrets every push is signed with: the current one, then the previous one.
    pub fn signing_secrets(&self) -> impl Iterator<Item = &SigningSecret> {
        std::iter::once(&self.secret).chain(&self.previous_secret)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    #[test]
    fn generated_secrets_parse_and_differ() {
        let one = SigningSecret::generate();
        let two = SigningSecret::generate();
        assert!(one.expose_secret().starts_with("whsec_"));
        assert_ne!(one, two);
        assert_eq!(SigningSecret::parse(one.expose_secret()).unwrap(), one);
        assert_eq!(one.key().unwrap().len(), 32);
    }

    #[test]
    fn refuses_secrets_without_prefix_base64_or_length() {
        assert_eq!(
            SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            SigningSecretError::MissingPrefix
        );
        assert_eq!(
            SigningSecret::parse("whsec_not base64!").unwrap_err(),
            SigningSecretError::NotBase64
        );
        assert_eq!(
            SigningSecret::parse("whsec_c2hvcnQ=").unwrap_err(),
            SigningSecretError::KeyLength { bytes: 5 }
        );
        // The spec's example secret: 24 bytes.
        SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    }

    #[test]
    fn accepts_http_and_https_urls_only() {
        assert_eq!(
            SubscriberUrl::parse("https://app.example.com/hooks/jira?x=1")
                .unwrap()
                .as_str(),
            "https://app.example.com/hooks/jira?x=1"
        );
        SubscriberUrl::parse("http://127.0.0.1:8080/").unwrap();
        for (bad, message) in [
            (
                "ftp://example.com/",
                "a subscriber URL must use http or https, not \"ftp\"",
            ),
            (
                "file:///etc/passwd",
                "a subscriber URL must use http or https, not \"file\"",
            ),
            (
                "https://user:pw@example.com/",
                "a subscriber URL must not hold a user name or password",
            ),
            (
                "https://example.com/#x",
                "a subscriber URL must not have a fragment (#…)",
            ),
            (
                "example.com/hook",
                "\"example.com/hook\" is not an absolute URL (relative URL without a base)",
            ),
        ] {
            assert_eq!(SubscriberUrl::parse(bad).unwrap_err().to_string(), message);
        }
    }
}
