//! RSA keys: loading the consumer's private key from PEM (PKCS#1 or PKCS#8), deriving the public key
//! that a Jira administrator pastes into the Application Link, and generating a new key pair.

use std::fmt;

use rand_core::OsRng;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::der::pem::{self, LineEnding};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha1::{Digest, Sha1};

use crate::error::{KeyError, SignError};
use crate::oauth1::RsaSha1Signer;

/// The size of keys made by [`PrivateKey::generate`].
pub const GENERATED_KEY_BITS: usize = 2048;

/// The smallest and largest sizes [`PrivateKey::generate_with_bits`] makes: below 2048 bits RSA is
/// too weak, above 8192 generation takes minutes and Jira gains nothing.
pub const GENERATED_KEY_BITS_RANGE: std::ops::RangeInclusive<usize> = 2048..=8192;

/// An RSA private key, the consumer's half of a Jira Application Link. `Debug` and `Display` never
/// show it.
#[derive(Clone)]
pub struct PrivateKey {
    inner: RsaPrivateKey,
}

impl PrivateKey {
    /// Loads an unencrypted RSA private key from PEM: PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`) or
    /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`). Surrounding whitespace and Windows line endings are
    /// accepted. An encrypted key, a public key or certificate, a key of another algorithm and text
    /// that is no key at all each give their own [`KeyError`].
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let normalized = normalize_pem(pem_text);
        if normalized.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(KeyError::Encrypted);
        }
        let (label, der) = pem::decode_vec(normalized.as_bytes())
            .map_err(|_| classify_undecodable(&normalized))?;
        match label {
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der)
                .map(Self::from_rsa)
                .map_err(|_| KeyError::Invalid),
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                Err(KeyError::NotAPrivateKey {
                    label: label.to_owned(),
                })
            }
            "EC PRIVATE KEY" => Err(KeyError::NotRsa {
                algorithm: "EC".to_owned(),
            }),
            "DSA PRIVATE KEY" => Err(KeyError::NotRsa {
                algorithm: "DSA".to_owned(),
            }),
            "OPENSSH PRIVATE KEY" => Err(KeyError::OpenSshFormat),
            _ => Err(KeyError::Invalid),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        match RsaPrivateKey::from_pkcs8_der(der) {
            Ok(key) => Ok(Self::from_rsa(key)),
            Err(_) => {
                let info =
                    rsa::pkcs8::PrivateKeyInfo::try_from(der).map_err(|_| KeyError::Invalid)?;
                match algorithm_name(&info.algorithm.oid.to_string()) {
                    Some(algorithm) => Err(KeyError::NotRsa {
                        algorithm: algorithm.to_owned(),
                    }),
                    None => Err(KeyError::Invalid),
                }
            }
        }
    }

    /// Generates a new RSA key pair of [`GENERATED_KEY_BITS`] bits with the operating system's
    /// random numbers. Takes a fraction of a second to a few seconds.
    pub fn generate() -> Result<Self, KeyError> {
        Self::generate_with_bits(GENERATED_KEY_BITS)
    }

    /// Generates a new RSA key pair of `bits` bits (within [`GENERATED_KEY_BITS_RANGE`]) with the
    /// operating system's random numbers. Larger keys take much longer: 4096 bits can take tens of
    /// seconds.
    pub fn generate_with_bits(bits: usize) -> Result<Self, KeyError> {
        if !GENERATED_KEY_BITS_RANGE.contains(&bits) {
            return Err(KeyError::Generate {
                reason: format!(
                    "{bits} bits is outside the supported sizes {}..={} bits",
                    GENERATED_KEY_BITS_RANGE.start(),
                    GENERATED_KEY_BITS_RANGE.end()
                ),
            });
        }
        RsaPrivateKey::new(&mut OsRng, bits)
            .map(Self::from_rsa)
            .map_err(|error| KeyError::Generate {
                reason: error.to_string(),
            })
    }

    fn from_rsa(inner: RsaPrivateKey) -> Self {
        Self { inner }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.to_public_key(),
        }
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), for storing it. The returned text is
    /// the secret itself: keep it out of logs.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        self.inner
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.as_str().to_owned())
            .map_err(|error| KeyError::Encode {
                reason: error.to_string(),
            })
    }

    /// The key as PKCS#8 DER, zeroed on drop: how another back-end receives it.
    #[cfg(feature = "openssl")]
    pub(crate) fn to_pkcs8_der(&self) -> Result<rsa::pkcs8::SecretDocument, KeyError> {
        self.inner.to_pkcs8_der().map_err(|error| KeyError::Encode {
            reason: error.to_string(),
        })
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        rsa::traits::PublicKeyParts::size(&self.inner).saturating_mul(8)
    }
}

impl RsaSha1Signer for PrivateKey {
    fn sign_rsa_sha1(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = Sha1::digest(message);
        // Blinded signing: the random blinding factor keeps the private exponent's timing hidden.
        self.inner
            .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<Sha1>(), &digest)
            .map_err(|error| SignError::Rsa {
                reason: error.to_string(),
            })
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA {} bits, [redacted])", self.bits())
    }
}

impl fmt::Display for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted RSA private key]")
    }
}

/// An RSA public key: what a Jira administrator pastes into the Application Link, and what a server
/// uses to verify an `RSA-SHA1` signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    inner: RsaPublicKey,
}

impl PublicKey {
    /// Loads a public key from PEM: SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`) or PKCS#1
    /// (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let normalized = normalize_pem(pem_text);
        RsaPublicKey::from_public_key_pem(&normalized)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(&normalized))
            .map(|inner| Self { inner })
            .map_err(|_| KeyError::InvalidPublicKey)
    }

    /// The key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), the form Jira's
    /// Application Link expects in its "Public Key" field.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .map_err(|error| KeyError::Encode {
                reason: error.to_string(),
            })
    }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 SHA-1 signature of `message` by this key.
    pub fn verify_rsa_sha1(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = Sha1::digest(message);
        self.inner
            .verify(Pkcs1v15Sign::new::<Sha1>(), &digest, signature)
            .is_ok()
    }
}

/// Trims the text and each line, and turns CRLF into LF: keys pasted into forms often carry both.
fn normalize_pem(pem_text: &str) -> String {
    let mut normalized: String = pem_text
        .trim()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    normalized.push('\n');
    normalized
}

/// Explains text that is not strict PEM: an OpenSSH key or an encrypted key still deserve their own
/// message, anything else gets the generic one.
fn classify_undecodable(normalized: &str) -> KeyError {
    if normalized.contains("BEGIN OPENSSH PRIVATE KEY") {
        KeyError::OpenSshFormat
    } else if normalized.contains("BEGIN ENCRYPTED PRIVATE KEY") {
        KeyError::Encrypted
    } else if normalized.contains("PUBLIC KEY-----") || normalized.contains("CERTIFICATE-----") {
        KeyError::NotAPrivateKey {
            label: "PUBLIC KEY".to_owned(),
        }
    } else {
        KeyError::Invalid
    }
}

/// Names a PKCS#8 algorithm identifier that is not plain RSA.
fn algorithm_name(oid: &str) -> Option<&'static str> {
    match oid {
        "1.2.840.10045.2.1" => Some("EC"),
        "1.3.101.112" => Some("Ed25519"),
        "1.3.101.113" => Some("Ed448"),
        "1.3.101.110" => Some("X25519"),
        "1.3.101.111" => Some("X448"),
        "1.2.840.10040.4.1" => Some("DSA"),
        "1.2.840.113549.1.1.10" => Some("RSA-PSS"),
        "1.2.840.113549.1.3.1" => Some("DH"),
        _ => None,
    }
}
