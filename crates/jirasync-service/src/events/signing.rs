//! Signing a push per the Standard Webhooks specification: `webhook-signature` holds
//! `v1,<base64 of HMAC-SHA256("{id}.{timestamp}.{body}")>` for each of the subscriber's secrets,
//! separated by spaces, the key being the base64-decoded part of the secret after `whsec_`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use jirasync_domain::events::{SigningSecret, SigningSecretError};
use sha2::Sha256;

/// The `v1,…` signature of one message with one secret.
///
/// # Errors
///
/// [`SigningSecretError`] when the stored secret is not a valid `whsec_` secret.
pub fn sign(
    secret: &SigningSecret,
    message_id: &str,
    timestamp: u64,
    body: &[u8],
) -> Result<String, SigningSecretError> {
    let key = secret.key()?;
    // HMAC takes a key of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SigningSecretError::NotBase64)?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one `v1,…` signature per secret, space-separated.
///
/// # Errors
///
/// [`SigningSecretError`] when a stored secret is not a valid `whsec_` secret.
pub fn signature_header<'s>(
    secrets: impl IntoIterator<Item = &'s SigningSecret>,
    message_id: &str,
    timestamp: u64,
    body: &[u8],
) -> Result<String, SigningSecretError> {
    let signatures = secrets
        .into_iter()
        .map(|secret| sign(secret, message_id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    /// The test vector the Standard Webhooks specification publishes (and its reference
    /// libraries test against).
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: u64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_specification_test_vector() {
        let secret = SigningSecret::parse(SPEC_SECRET).unwrap();
        assert_eq!(
            sign(&secret, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).unwrap(),
            SPEC_SIGNATURE
        );
    }

    #[test]
    fn header_carries_one_signature_per_secret() {
        let current = SigningSecret::generate();
        let previous = SigningSecret::parse(SPEC_SECRET).unwrap();
        let header =
            signature_header([&current, &previous], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            sign(&current, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).unwrap()
        );
        assert_eq!(parts[1], SPEC_SIGNATURE);
    }

    #[test]
    fn another_body_or_timestamp_changes_the_signature() {
        let secret = SigningSecret::parse(SPEC_SECRET).unwrap();
        assert_ne!(
            sign(&secret, SPEC_ID, SPEC_TIMESTAMP + 1, SPEC_BODY).unwrap(),
            SPEC_SIGNATURE
        );
        assert_ne!(
            sign(&secret, SPEC_ID, SPEC_TIMESTAMP, b"{\"test\": 1}").unwrap(),
            SPEC_SIGNATURE
        );
    }
}
