//! Secrets: text that must never reach a log line, and should not outlive its use in memory.
//!
//! [`Secret`] holds the text in a [`secrecy::SecretString`], which zeroes it when dropped and
//! hands it out only through [`ExposeSecret::expose_secret`], a name that stands out in a review.
//! On top of that it prints as `<redacted>` in `Debug` and `Display` and compares in constant time
//! ([`subtle`]), so a token check cannot be timed character by character.
//!
//! Crates give their secrets a name of their own (`TokenSecret`, `WebhookSecret`, `CsrfToken`, …)
//! with [`secret_newtype!`](crate::secret_newtype): one implementation, many meaningful types.
//! Behaviour that belongs to one kind of secret (generating a webhook secret, deriving one from a
//! PEM, refusing a blank admin token) stays with that type, in an `impl` of its own.

use std::fmt;
use std::hash::{Hash, Hasher};

pub use secrecy::ExposeSecret;
use secrecy::SecretString;
use secrecy::zeroize::Zeroize;
use subtle::ConstantTimeEq;

/// What a secret prints in `Debug` and `Display`, unless its type says otherwise.
pub const REDACTED: &str = "<redacted>";

/// A secret string: zeroed in memory when dropped, `<redacted>` in `Debug` and `Display`, equal
/// to another only when the bytes match (compared in constant time; only the length may show).
///
/// ```
/// use jirasync_core::{ExposeSecret, Secret};
///
/// let secret = Secret::new("hunter2");
/// assert_eq!(format!("{secret:?} {secret}"), "Secret(<redacted>) <redacted>");
/// assert!(secret.matches("hunter2"));
/// assert_eq!(secret.expose_secret(), "hunter2");
/// ```
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret value. The `String` it is given is zeroed, spare capacity included, once
    /// copied.
    pub fn new(value: impl Into<String>) -> Self {
        let mut value: String = value.into();
        let secret = SecretString::from(value.as_str());
        value.zeroize();
        Self(secret)
    }

    /// `BYTES` random bytes from the operating system, as lower-case hex (two characters a byte).
    pub fn random_hex<const BYTES: usize>() -> Self {
        Self::new(crate::random::random_hex::<BYTES>())
    }

    /// The secret itself. Call this only where the value is sent, signed with or stored; never to
    /// log it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether `presented` is this secret, compared in constant time (only the length may show).
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(self.expose_secret().as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl ExposeSecret<str> for Secret {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.expose_secret())
    }
}

impl Eq for Secret {}

/// For secrets used as map keys (a session id). The hash is of the secret's bytes, as with a
/// `String`; it is never printed.
impl Hash for Secret {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.expose_secret().hash(state);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// Declares a named secret: a newtype over [`Secret`](crate::Secret) with `new`,
/// `expose_secret`, `matches`, `as_secret`, `into_secret`, [`ExposeSecret`](crate::ExposeSecret),
/// `From<String>`, `From<&str>`, `From<Secret>`, `Clone`, constant-time `PartialEq`/`Eq`, and a
/// `Debug` (`Name(<redacted>)`) and `Display` (`<redacted>`) that never show the value.
///
/// Attributes before `struct` (documentation, `#[derive(Hash)]`) are kept. A type that has always
/// printed another marker keeps it with `redacted = "…";` after the declaration, so log lines do
/// not change:
///
/// ```
/// jirasync_core::secret_newtype! {
///     /// The secret that comes with an OAuth 1.0a token.
///     pub struct TokenSecret;
///     redacted = "[redacted]";
/// }
///
/// let secret = TokenSecret::new("s3cr3t");
/// assert_eq!(format!("{secret:?} {secret}"), "TokenSecret([redacted]) [redacted]");
/// assert_eq!(secret.expose_secret(), "s3cr3t");
/// assert_eq!(secret, TokenSecret::from("s3cr3t"));
/// ```
#[macro_export]
macro_rules! secret_newtype {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $crate::secret_newtype! {
            $(#[$meta])*
            $vis struct $name;
            redacted = "<redacted>";
        }
    };
    ($(#[$meta:meta])* $vis:vis struct $name:ident; redacted = $marker:literal;) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        $vis struct $name($crate::Secret);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self($crate::Secret::new(value))
            }

            /// The secret itself. Call this only where the value is sent, signed with or stored;
            /// never to log it.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }

            /// Whether `presented` is this secret, compared in constant time (only the length
            /// may show).
            pub fn matches(&self, presented: &str) -> bool {
                self.0.matches(presented)
            }

            /// The secret, without its name.
            pub fn as_secret(&self) -> &$crate::Secret {
                &self.0
            }

            /// The secret, without its name, by value.
            pub fn into_secret(self) -> $crate::Secret {
                self.0
            }
        }

        impl $crate::ExposeSecret<str> for $name {
            fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(", $marker, ")"))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($marker)
            }
        }

        impl ::std::convert::From<$crate::Secret> for $name {
            fn from(secret: $crate::Secret) -> Self {
                Self(secret)
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                Self::new(value)
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}

#[cfg(test)]
#[allow(
    unreachable_pub,
    dead_code,
    reason = "the macros declare public items, here in a private module"
)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    crate::secret_newtype! {
        /// A secret for the tests, with the default marker.
        #[derive(Hash)]
        pub struct SessionKey;
    }

    crate::secret_newtype! {
        /// A secret for the tests, with a marker of its own.
        pub struct BracketSecret;
        redacted = "[redacted]";
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.to_string(), "<redacted>");
        let named = SessionKey::new("hunter2");
        assert_eq!(format!("{named:?}"), "SessionKey(<redacted>)");
        assert_eq!(named.to_string(), "<redacted>");
        let bracketed = BracketSecret::new("hunter2");
        assert_eq!(format!("{bracketed:?}"), "BracketSecret([redacted])");
        assert_eq!(bracketed.to_string(), "[redacted]");
    }

    #[test]
    fn exposes_the_value_through_expose_secret_only() {
        let named = SessionKey::from("hunter2".to_owned());
        assert_eq!(named.expose_secret(), "hunter2");
        assert_eq!(ExposeSecret::expose_secret(&named), "hunter2");
        assert_eq!(named.as_secret().expose_secret(), "hunter2");
        assert_eq!(named.into_secret().expose_secret(), "hunter2");
    }

    #[test]
    fn compares_by_value() {
        let secret = Secret::new("hunter2");
        assert!(secret.matches("hunter2"));
        assert!(!secret.matches("hunter"));
        assert!(!secret.matches("hunter3"));
        assert!(!secret.matches(""));
        assert_eq!(secret, Secret::from("hunter2"));
        assert_ne!(secret, Secret::from("hunter3"));
        assert_eq!(SessionKey::new("a"), SessionKey::from(Secret::new("a")));
    }

    #[test]
    fn named_secrets_can_be_map_keys() {
        let keys: HashSet<SessionKey> = [SessionKey::new("a"), SessionKey::new("a")].into();
        assert_eq!(keys.len(), 1);
        assert!(keys.contains(&SessionKey::new("a")));
    }

    #[test]
    fn random_secrets_are_hex_and_distinct() {
        let first = Secret::random_hex::<32>();
        assert_eq!(first.expose_secret().len(), 64);
        assert!(
            first
                .expose_secret()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(first, Secret::random_hex::<32>());
    }
}
