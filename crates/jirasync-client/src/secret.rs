//! Secret values whose `Debug` and `Display` never show the secret, so they cannot reach a log line.

use std::fmt;

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Call this only where the value is sent or stored, never to log it.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

secret_string! {
    /// The secret that comes with an OAuth 1.0a token (`oauth_token_secret`), for a request token or
    /// an access token. RSA-SHA1 does not use it to sign, but Jira hands it out and HMAC-SHA1 needs it.
    TokenSecret
}

secret_string! {
    /// The consumer secret shared with the server, used by `HMAC-SHA1` and `PLAINTEXT` only. Jira's
    /// Application Links use `RSA-SHA1` and have no consumer secret.
    ConsumerSecret
}

secret_string! {
    /// A Jira personal access token, sent as `Authorization: Bearer <token>` (Jira 8.14 and later).
    BearerToken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact_the_secret() {
        let secret = TokenSecret::new("s3cr3t");
        assert_eq!(format!("{secret:?}"), "TokenSecret([redacted])");
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(
            format!("{:?}", BearerToken::new("pat")),
            "BearerToken([redacted])"
        );
        assert_eq!(secret.expose_secret(), "s3cr3t");
    }
}
