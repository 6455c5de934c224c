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

    /// The secrets the reference may have derived from this private key: the SHA-1 of the PEM
    /// text as given, of the text without surrounding white space (its installation form strips
    /// it), of that text with one final newline (as a PEM file holds it), and of that text with
    /// CRLF line breaks (a browser submits a pasted key with CRLF); each once, in this order.
    /// Accepting all of them lets the tokens of a Jira wired to the reference through any of
    /// these paths verify (`docs/migrating-from-sentry.md`).
    pub fn reference_candidates(pem: &str) -> Vec<Self> {
        let stripped = pem.trim().replace("\r\n", "\n");
        let with_newline = format!("{stripped}\n");
        let crlf = stripped.replace('\n', "\r\n");
        let mut secrets: Vec<Self> = Vec::with_capacity(4);
        for text in [pem, &stripped, &with_newline, &crlf] {
            let secret = Self::from_private_key_pem(text);
            if !secrets.contains(&secret) {
                secrets.push(secret);
            }
        }
        secrets
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
    fn reference_candidates_cover_stripped_file_and_crlf_texts_once_each() {
        let stripped = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
        let file = format!("{stripped}\n");
        let crlf = "-----BEGIN PRIVATE KEY-----\r\nMIIE\r\n-----END PRIVATE KEY-----";
        let expected: Vec<WebhookSecret> = [file.as_str(), stripped, crlf]
            .into_iter()
            .map(WebhookSecret::from_private_key_pem)
            .collect();
        assert_eq!(WebhookSecret::reference_candidates(&file), expected);
        // The stripped text gives the same three, itself first.
        let from_stripped = WebhookSecret::reference_candidates(stripped);
        assert_eq!(from_stripped.len(), 3);
        assert_eq!(
            from_stripped[0],
            WebhookSecret::from_private_key_pem(stripped)
        );
        assert!(from_stripped.iter().all(|secret| expected.contains(secret)));
        // A pasted CRLF text with surrounding blanks: the same three and itself.
        let pasted = format!("  {crlf}\r\n");
        let from_pasted = WebhookSecret::reference_candidates(&pasted);
        assert_eq!(from_pasted.len(), 4);
        assert!(expected.iter().all(|secret| from_pasted.contains(secret)));
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
