//! The secret that signs the webhook URL token.

use sha1::{Digest, Sha1};

jirasync_core::secret_newtype! {
    /// The HS256 key of one installation's webhook URL token.
    ///
    /// Two ways to make one: [`WebhookSecret::from_private_key_pem`] derives it the reference's
    /// way (lower-case hex SHA-1 of the private-key PEM text), so a Jira instance already wired to
    /// the reference keeps working; [`WebhookSecret::generate`] draws 32 random bytes from the
    /// operating system, which is what new installations should use. [`WebhookSecret::new`] wraps
    /// one stored earlier (for example read back from a database). `Debug` and `Display` never
    /// show the value; [`WebhookSecret::expose_secret`] gives it for signing and for storage.
    pub struct WebhookSecret;
}

impl WebhookSecret {
    /// Derives the secret the reference's way: the lower-case hex SHA-1 of the PEM text, as UTF-8.
    pub fn from_private_key_pem(pem: &str) -> Self {
        Self::new(hex::encode(Sha1::digest(pem.as_bytes())))
    }

    /// Draws a new random secret: 32 bytes from the operating system, hex-encoded.
    pub fn generate() -> Self {
        Self::from(jirasync_core::Secret::random_hex::<32>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_reference_secret_from_the_pem_text() {
        // sha1("abc") is the FIPS 180 test vector.
        let secret = WebhookSecret::from_private_key_pem("abc");
        assert_eq!(
            secret.expose_secret(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn generated_secrets_are_distinct_and_64_hex_digits() {
        let a = WebhookSecret::generate();
        let b = WebhookSecret::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), 64);
        assert!(a.expose_secret().bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = WebhookSecret::new("s3cr3t");
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        assert!(!format!("{secret}").contains("s3cr3t"));
    }
}
