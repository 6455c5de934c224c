//! The OpenSSL RSA-SHA1 back-end (feature `openssl`): the same PEM keys and byte-identical
//! signatures as [`PrivateKey`], about seven times as many per second.
//!
//! Why OpenSSL and not `aws-lc-rs` (already in the build through rustls): `aws-lc-rs` signs
//! RSASSA-PKCS1-v1_5 only with SHA-256, SHA-384 and SHA-512; SHA-1 is there for verification
//! only, and its encodings are sealed. See docs/decisions/0018-rsa-signing-backend.md.

use std::fmt;

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::sign::Signer;

use crate::error::{KeyError, SignError};
use crate::keys::{PrivateKey, PublicKey};
use crate::oauth1::RsaSha1Signer;

/// An RSA private key held by OpenSSL, an [`RsaSha1Signer`] to use instead of [`PrivateKey`] where
/// signatures per second matter.
///
/// The key is read by [`PrivateKey::from_pem`] first, so the same PEM texts are accepted and the
/// same [`KeyError`]s explain the ones refused; OpenSSL then gets the key as PKCS#8 DER. RSASSA-PKCS1-v1_5
/// is deterministic: for one key and message the signature is byte for byte the one
/// [`PrivateKey`] makes. OpenSSL blinds its private-key operation, as [`PrivateKey`] does.
///
/// ```
/// use std::sync::Arc;
///
/// use jirasync_client::oauth1::{RsaSha1Signer, SigningKey};
/// use jirasync_client::{OpenSslSigner, PrivateKey};
///
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rsa-2048-pkcs8.pem"))?;
/// let fast = OpenSslSigner::from_pem(&pem)?;
/// let default = PrivateKey::from_pem(&pem)?;
/// assert_eq!(fast.sign_rsa_sha1(b"base string")?, default.sign_rsa_sha1(b"base string")?);
///
/// // Wherever a signer is taken: `SigningKey`, `Credentials::oauth1_rsa`, `OAuthDance::new`.
/// let signing_key = SigningKey::RsaSha1(Arc::new(fast));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct OpenSslSigner {
    key: PKey<Private>,
    public_key: PublicKey,
    bits: usize,
}

impl OpenSslSigner {
    /// Loads an unencrypted RSA private key from PEM, PKCS#1 or PKCS#8, with the rules and errors of
    /// [`PrivateKey::from_pem`]; [`KeyError::Backend`] if OpenSSL then refuses the key.
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        Self::from_private_key(&PrivateKey::from_pem(pem_text)?)
    }

    /// Hands a loaded key to OpenSSL; [`KeyError::Backend`] if OpenSSL refuses it.
    pub fn from_private_key(private_key: &PrivateKey) -> Result<Self, KeyError> {
        let der = private_key.to_pkcs8_der()?;
        let key =
            PKey::private_key_from_pkcs8(der.as_bytes()).map_err(|error| KeyError::Backend {
                backend: "OpenSSL",
                reason: error.to_string(),
            })?;
        Ok(Self {
            key,
            public_key: private_key.public_key(),
            bits: private_key.bits(),
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }
}

impl RsaSha1Signer for OpenSslSigner {
    fn sign_rsa_sha1(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let rsa_error = |error: openssl::error::ErrorStack| SignError::Rsa {
            reason: format!("OpenSSL: {error}"),
        };
        let mut signer = Signer::new(MessageDigest::sha1(), &self.key).map_err(rsa_error)?;
        // PKCS#1 v1.5 is OpenSSL's default for RSA keys; set it so no configuration can change it.
        signer.set_rsa_padding(Padding::PKCS1).map_err(rsa_error)?;
        signer.sign_oneshot_to_vec(message).map_err(rsa_error)
    }
}

impl fmt::Debug for OpenSslSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpenSslSigner(RSA {} bits, [redacted])", self.bits)
    }
}

impl fmt::Display for OpenSslSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted RSA private key]")
    }
}
