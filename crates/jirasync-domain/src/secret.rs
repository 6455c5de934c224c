//! A string that must never reach a log line: private keys, token secrets and bearer tokens as the
//! domain holds them.

jirasync_core::secret_newtype! {
    /// A secret string (private key, token secret, bearer token), zeroed in memory when dropped.
    /// `Debug` and `Display` show `<redacted>`; read the value with
    /// [`SecretString::expose_secret`] only where it is used.
    pub struct SecretString;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = SecretString::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
        assert_eq!(secret.expose_secret(), "hunter2");
    }
}
