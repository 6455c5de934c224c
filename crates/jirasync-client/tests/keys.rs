//! Loading, deriving and generating RSA keys.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use jirasync_client::oauth1::RsaSha1Signer;
use jirasync_client::{KeyError, PrivateKey, PublicKey};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const GENERIC: &str =
    "Private key must be a valid RSA private key in PEM format (PKCS#1 or PKCS#8)";

#[test]
fn loads_pkcs8_private_key() {
    let key = PrivateKey::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap();
    assert_eq!(key.bits(), 2048);
}

#[test]
fn loads_pkcs1_private_key_as_the_same_key() {
    let pkcs1 = PrivateKey::from_pem(&fixture("rsa-2048-pkcs1.pem")).unwrap();
    let pkcs8 = PrivateKey::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap();
    assert_eq!(pkcs1.public_key(), pkcs8.public_key());
}

#[test]
fn loads_key_pasted_with_crlf_and_indentation() {
    let pasted = fixture("rsa-2048-pkcs1.pem")
        .lines()
        .map(|line| format!("   {line}  \r\n"))
        .collect::<String>();
    assert!(PrivateKey::from_pem(&format!("\n\n{pasted}\n")).is_ok());
}

#[test]
fn derives_public_key_pem_that_openssl_derived() {
    let key = PrivateKey::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap();
    assert_eq!(
        key.public_key().to_pem().unwrap(),
        fixture("rsa-2048-public.pem")
    );
}

#[test]
fn rejects_encrypted_private_key() {
    for name in ["rsa-encrypted-pkcs8.pem", "rsa-encrypted-pkcs1.pem"] {
        let error = PrivateKey::from_pem(&fixture(name)).unwrap_err();
        assert_eq!(error, KeyError::Encrypted, "{name}");
        assert!(error.to_string().contains("passphrase"));
    }
}

#[test]
fn rejects_public_key_given_by_mistake() {
    let error = PrivateKey::from_pem(&fixture("rsa-2048-public.pem")).unwrap_err();
    assert_eq!(
        error,
        KeyError::NotAPrivateKey {
            label: "PUBLIC KEY".to_owned()
        }
    );
    assert!(error.to_string().contains("not a private key"));
}

#[test]
fn rejects_certificate_given_by_mistake() {
    let error = PrivateKey::from_pem(&fixture("rsa-2048-cert.pem")).unwrap_err();
    assert_eq!(
        error,
        KeyError::NotAPrivateKey {
            label: "CERTIFICATE".to_owned()
        }
    );
}

#[test]
fn rejects_non_rsa_keys_naming_their_algorithm() {
    for (name, algorithm) in [
        ("ec-p256-pkcs8.pem", "EC"),
        ("ec-p256-sec1.pem", "EC"),
        ("ed25519.pem", "Ed25519"),
    ] {
        let error = PrivateKey::from_pem(&fixture(name)).unwrap_err();
        assert_eq!(
            error,
            KeyError::NotRsa {
                algorithm: algorithm.to_owned()
            },
            "{name}"
        );
        assert!(error.to_string().contains("needs an RSA key"));
    }
}

#[test]
fn rejects_openssh_format_with_conversion_hint() {
    let error = PrivateKey::from_pem(&fixture("openssh-rsa.key")).unwrap_err();
    assert_eq!(error, KeyError::OpenSshFormat);
    assert!(error.to_string().contains("ssh-keygen -p -m PEM"));
}

#[test]
fn rejects_garbage_with_generic_message() {
    for garbage in [
        "",
        "hello",
        "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN SOMETHING-----\nAAAA\n-----END SOMETHING-----\n",
    ] {
        let error = PrivateKey::from_pem(garbage).unwrap_err();
        assert_eq!(error, KeyError::Invalid, "{garbage:?}");
        assert_eq!(error.to_string(), GENERIC);
    }
}

#[test]
fn private_key_debug_and_display_hide_the_key() {
    let key = PrivateKey::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap();
    assert_eq!(format!("{key:?}"), "PrivateKey(RSA 2048 bits, [redacted])");
    assert!(!key.to_string().contains("MII"));
}

#[test]
fn generates_2048_bit_key_pair_that_signs_and_verifies() {
    let key = PrivateKey::generate().unwrap();
    assert_eq!(key.bits(), 2048);
    let public = PublicKey::from_pem(&key.public_key().to_pem().unwrap()).unwrap();
    let signature = key.sign_rsa_sha1(b"base string").unwrap();
    assert!(public.verify_rsa_sha1(b"base string", &signature));
    assert!(!public.verify_rsa_sha1(b"other string", &signature));
    let reloaded = PrivateKey::from_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
    assert_eq!(reloaded.public_key(), key.public_key());
}

#[test]
fn refuses_to_generate_keys_outside_the_supported_sizes() {
    for bits in [1024, 2047, 8193] {
        let error = PrivateKey::generate_with_bits(bits).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "Could not generate an RSA key pair: {bits} bits is outside the supported sizes 2048..=8192 bits"
            )
        );
    }
}
