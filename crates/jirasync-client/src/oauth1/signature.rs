//! The three signature methods of RFC 5849 §3.4 and the seam for plugging in another RSA back-end.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::encode::percent_encode;
use crate::error::SignError;
use crate::secret::{ConsumerSecret, TokenSecret};

/// An `oauth_signature_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// `RSA-SHA1`: RSASSA-PKCS1-v1_5 over SHA-1 with the consumer's private key. What Jira uses.
    #[default]
    RsaSha1,
    /// `HMAC-SHA1` keyed with the consumer secret and the token secret.
    HmacSha1,
    /// `PLAINTEXT`: the secrets themselves. Only over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// The name sent as `oauth_signature_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaSha1 => "RSA-SHA1",
            Self::HmacSha1 => "HMAC-SHA1",
            Self::Plaintext => "PLAINTEXT",
        }
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `oauth_signature_method` value is not one of `RSA-SHA1`, `HMAC-SHA1`, `PLAINTEXT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OAuth signature method {0:?}; expected RSA-SHA1, HMAC-SHA1 or PLAINTEXT")]
pub struct UnknownSignatureMethod(pub String);

impl FromStr for SignatureMethod {
    type Err = UnknownSignatureMethod;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "RSA-SHA1" => Ok(Self::RsaSha1),
            "HMAC-SHA1" => Ok(Self::HmacSha1),
            "PLAINTEXT" => Ok(Self::Plaintext),
            other => Err(UnknownSignatureMethod(other.to_owned())),
        }
    }
}

/// An RSA back-end that makes `RSA-SHA1` signatures.
///
/// [`PrivateKey`](crate::PrivateKey) implements it with the RustCrypto `rsa` crate. A host that keeps
/// its key in an HSM, a KMS or another library implements this trait and passes it wherever a signer
/// is taken, much as rustls lets a host choose its `CryptoProvider`.
pub trait RsaSha1Signer: fmt::Debug + Send + Sync {
    /// Signs `message` with RSASSA-PKCS1-v1_5 over SHA-1 (the SHA-1 `DigestInfo` prefix included) and
    /// returns the raw signature bytes.
    fn sign_rsa_sha1(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// What a signature is made with: the consumer's RSA signer, or the consumer secret for the two
/// shared-secret methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SigningKey {
    /// `RSA-SHA1` with this back-end.
    RsaSha1(Arc<dyn RsaSha1Signer>),
    /// `HMAC-SHA1` with this consumer secret (and the token secret, when there is a token).
    HmacSha1(ConsumerSecret),
    /// `PLAINTEXT` with this consumer secret.
    Plaintext(ConsumerSecret),
}

impl SigningKey {
    /// The method this key signs with.
    pub fn method(&self) -> SignatureMethod {
        match self {
            Self::RsaSha1(_) => SignatureMethod::RsaSha1,
            Self::HmacSha1(_) => SignatureMethod::HmacSha1,
            Self::Plaintext(_) => SignatureMethod::Plaintext,
        }
    }

    /// Signs a signature base string and returns the `oauth_signature` value before
    /// percent-encoding: base64 for RSA-SHA1 and HMAC-SHA1, the key itself for PLAINTEXT.
    ///
    /// `token_secret` is the secret of the request or access token, if any; RSA-SHA1 ignores it.
    pub fn sign(
        &self,
        base_string: &str,
        token_secret: Option<&TokenSecret>,
    ) -> Result<String, SignError> {
        match self {
            Self::RsaSha1(signer) => {
                let signature = signer.sign_rsa_sha1(base_string.as_bytes())?;
                Ok(BASE64.encode(signature))
            }
            Self::HmacSha1(consumer_secret) => {
                let key = shared_secret_key(consumer_secret, token_secret);
                let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).map_err(|error| {
                    SignError::Hmac {
                        reason: error.to_string(),
                    }
                })?;
                mac.update(base_string.as_bytes());
                Ok(BASE64.encode(mac.finalize().into_bytes()))
            }
            Self::Plaintext(consumer_secret) => {
                Ok(shared_secret_key(consumer_secret, token_secret))
            }
        }
    }
}

/// RFC 5849 §3.4.2: `encode(consumer secret) & encode(token secret)`, the `&` always present.
fn shared_secret_key(
    consumer_secret: &ConsumerSecret,
    token_secret: Option<&TokenSecret>,
) -> String {
    format!(
        "{}&{}",
        percent_encode(consumer_secret.expose_secret()),
        percent_encode(
            token_secret
                .map(TokenSecret::expose_secret)
                .unwrap_or_default()
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_joins_encoded_secrets() {
        let key = SigningKey::Plaintext(ConsumerSecret::new("djr9rjt0jd78jf88"));
        let token_secret = TokenSecret::new("jjd99$tj88uiths3");
        assert_eq!(
            key.sign("ignored", Some(&token_secret)).unwrap(),
            "djr9rjt0jd78jf88&jjd99%24tj88uiths3"
        );
        assert_eq!(key.sign("ignored", None).unwrap(), "djr9rjt0jd78jf88&");
    }

    #[test]
    fn parses_method_names() {
        assert_eq!("RSA-SHA1".parse(), Ok(SignatureMethod::RsaSha1));
        assert!("rsa-sha1".parse::<SignatureMethod>().is_err());
    }
}
