//! The OAuth and personal-access-token secrets: named types over jirasync's one
//! [`Secret`](jirasync_core::Secret), so their `Debug` and `Display` never show the secret (they
//! print `[redacted]`, as they always have) and the value is zeroed when dropped.

jirasync_core::secret_newtype! {
    /// The secret that comes with an OAuth 1.0a token (`oauth_token_secret`), for a request token
    /// or an access token. RSA-SHA1 does not use it to sign, but Jira hands it out and HMAC-SHA1
    /// needs it.
    pub struct TokenSecret;
    redacted = "[redacted]";
}

jirasync_core::secret_newtype! {
    /// The consumer secret shared with the server, used by `HMAC-SHA1` and `PLAINTEXT` only.
    /// Jira's Application Links use `RSA-SHA1` and have no consumer secret.
    pub struct ConsumerSecret;
    redacted = "[redacted]";
}

jirasync_core::secret_newtype! {
    /// A Jira personal access token, sent as `Authorization: Bearer <token>` (Jira 8.14 and later).
    pub struct BearerToken;
    redacted = "[redacted]";
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
