//! The OpenSSL back-end (feature `openssl`): the same keys accepted and refused as `PrivateKey`, and
//! signatures byte for byte the same as `PrivateKey`'s (RSASSA-PKCS1-v1_5 is deterministic).
#![cfg(feature = "openssl")]
// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use jirasync_client::oauth1::{
    FixedNonce, ManualClock, OAuth1Signer, RsaSha1Signer, SigningKey, SigningRequest,
};
use jirasync_client::{ConsumerKey, KeyError, OpenSslSigner, PrivateKey, TokenSecret};
use proptest::prelude::*;
use url::Url;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const MESSAGES: [&[u8]; 4] = [
    b"",
    b"GET&https%3A%2F%2Fjira.example.com%2Frest%2Fapi%2F2%2Fmyself&oauth_consumer_key%3Djirasync",
    b"\x00\xff binary \xc3\x28 bytes",
    &[b'a'; 10_000],
];

fn assert_same_signatures(pem: &str) {
    let default = PrivateKey::from_pem(pem).unwrap();
    let fast = OpenSslSigner::from_pem(pem).unwrap();
    let public = default.public_key();
    for message in MESSAGES {
        let expected = default.sign_rsa_sha1(message).unwrap();
        let signature = fast.sign_rsa_sha1(message).unwrap();
        assert_eq!(signature, expected, "message of {} bytes", message.len());
        assert!(public.verify_rsa_sha1(message, &signature));
    }
}

#[test]
fn signs_like_private_key_with_a_pkcs8_key() {
    assert_same_signatures(&fixture("rsa-2048-pkcs8.pem"));
}

#[test]
fn signs_like_private_key_with_a_pkcs1_key() {
    assert_same_signatures(&fixture("rsa-2048-pkcs1.pem"));
}

#[test]
fn signs_like_private_key_with_the_1024_bit_oauth_net_key() {
    assert_same_signatures(&fixture("oauth-net-test-key.pem"));
}

#[test]
fn signs_like_private_key_with_keys_of_other_sizes() {
    for bits in [2048, 3072, 4096] {
        let generated = openssl::rsa::Rsa::generate(bits).unwrap();
        let pkcs1 = String::from_utf8(generated.private_key_to_pem().unwrap()).unwrap();
        assert!(
            pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
            "{bits}"
        );
        assert_same_signatures(&pkcs1);
        assert_eq!(
            OpenSslSigner::from_pem(&pkcs1).unwrap().bits(),
            bits as usize
        );
    }
}

#[test]
fn accepts_a_key_pasted_with_crlf_and_indentation() {
    let pasted = fixture("rsa-2048-pkcs1.pem")
        .lines()
        .map(|line| format!("   {line}  \r\n"))
        .collect::<String>();
    assert_same_signatures(&format!("\n\n{pasted}\n"));
}

#[test]
fn refuses_what_private_key_refuses_with_the_same_error() {
    let mut inputs: Vec<String> = [
        "rsa-encrypted-pkcs8.pem",
        "rsa-encrypted-pkcs1.pem",
        "rsa-2048-public.pem",
        "rsa-2048-cert.pem",
        "ec-p256-pkcs8.pem",
        "ec-p256-sec1.pem",
        "ed25519.pem",
        "openssh-rsa.key",
    ]
    .iter()
    .map(|name| fixture(name))
    .collect();
    inputs.extend(
        [
            "",
            "hello",
            "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        ]
        .map(str::to_owned),
    );
    for input in inputs {
        let expected = PrivateKey::from_pem(&input).unwrap_err();
        let error = OpenSslSigner::from_pem(&input).unwrap_err();
        assert_eq!(error, expected, "{input:?}");
        assert!(!matches!(error, KeyError::Backend { .. }));
    }
}

#[test]
fn derives_the_same_public_key_and_size() {
    let default = PrivateKey::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap();
    let fast = OpenSslSigner::from_private_key(&default).unwrap();
    assert_eq!(fast.public_key(), default.public_key());
    assert_eq!(fast.bits(), 2048);
}

#[test]
fn debug_and_display_hide_the_key() {
    let fast = OpenSslSigner::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap();
    assert_eq!(
        format!("{fast:?}"),
        "OpenSslSigner(RSA 2048 bits, [redacted])"
    );
    assert_eq!(fast.to_string(), "[redacted RSA private key]");
}

#[test]
fn signs_a_request_header_like_private_key() {
    let pem = fixture("rsa-2048-pkcs8.pem");
    let url =
        Url::parse("https://jira.example.com/jira/rest/api/2/user?username=jane.doe").unwrap();
    let secret = TokenSecret::new("access-token-secret");
    let request = SigningRequest::new("GET", &url).token("access-token", Some(&secret));
    let sign_with = |key: Arc<dyn RsaSha1Signer>| {
        OAuth1Signer::new(ConsumerKey::new("jirasync"), SigningKey::RsaSha1(key))
            .with_clock(Arc::new(ManualClock::at_unix_timestamp(1_700_000_000)))
            .with_nonce_source(Arc::new(FixedNonce("0123456789abcdef".to_owned())))
            .sign(&request)
            .unwrap()
            .authorization
    };
    assert_eq!(
        sign_with(Arc::new(OpenSslSigner::from_pem(&pem).unwrap())),
        sign_with(Arc::new(PrivateKey::from_pem(&pem).unwrap()))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_message_signs_byte_identically(message in proptest::collection::vec(any::<u8>(), 0..2048)) {
        static KEYS: std::sync::OnceLock<(PrivateKey, OpenSslSigner)> = std::sync::OnceLock::new();
        let (default, fast) = KEYS.get_or_init(|| {
            let pem = fixture("rsa-2048-pkcs1.pem");
            (PrivateKey::from_pem(&pem).unwrap(), OpenSslSigner::from_pem(&pem).unwrap())
        });
        prop_assert_eq!(fast.sign_rsa_sha1(&message).unwrap(), default.sign_rsa_sha1(&message).unwrap());
    }
}

#[test]
fn a_refusal_by_openssl_names_the_backend_and_what_to_do() {
    // OpenSSL refuses none of the keys `PrivateKey` accepts that we know of; the message is pinned here.
    let error = KeyError::Backend {
        backend: "OpenSSL",
        reason: "error:1E08010C:DECODER routines::unsupported".to_owned(),
    };
    assert_eq!(
        error.to_string(),
        "The RSA back-end OpenSSL refused the private key: error:1E08010C:DECODER routines::unsupported. \
         The key itself is valid; use the default back-end (PrivateKey) or report this with the key \
         size and format."
    );
}
