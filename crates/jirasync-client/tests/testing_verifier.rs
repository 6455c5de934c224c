//! The verifier that fake Jira servers use: it accepts exactly what was signed.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use common::test_key;
use jirasync_client::oauth1::{OAuth1Signer, SigningKey, SigningRequest};
use jirasync_client::testing::{VerifyError, verify_rsa_sha1_request};
use jirasync_client::{ConsumerKey, ConsumerSecret, PublicKey};
use url::Url;

fn signer() -> OAuth1Signer {
    OAuth1Signer::new(
        ConsumerKey::new("ck"),
        SigningKey::RsaSha1(Arc::new(test_key())),
    )
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn accepts_the_request_as_signed() {
    let target = url("https://jira.example.com/jira/rest/api/2/user?username=a%20b");
    let signed = signer()
        .sign(&SigningRequest::new("GET", &target).token("t", None))
        .unwrap();
    let verified = verify_rsa_sha1_request(
        "GET",
        &target,
        &signed.authorization,
        None,
        &test_key().public_key(),
    )
    .unwrap();
    assert_eq!(verified.token.as_deref(), Some("t"));
    assert_eq!(verified.base_string, signed.base_string);
}

#[test]
fn rejects_a_request_whose_query_differs_from_what_was_signed() {
    let signed_url = url("https://jira.example.com/rest/api/2/user?username=a");
    let signed = signer()
        .sign(&SigningRequest::new("GET", &signed_url))
        .unwrap();
    let received = url("https://jira.example.com/rest/api/2/user?username=b");
    let error = verify_rsa_sha1_request(
        "GET",
        &received,
        &signed.authorization,
        None,
        &test_key().public_key(),
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::SignatureMismatch { .. }));
}

#[test]
fn rejects_a_request_under_another_context_path_or_method() {
    let signed_url = url("https://jira.example.com/jira/rest/api/2/myself");
    let signed = signer()
        .sign(&SigningRequest::new("GET", &signed_url))
        .unwrap();
    let public_key = test_key().public_key();
    let other_path = url("https://jira.example.com/rest/api/2/myself");
    assert!(
        verify_rsa_sha1_request("GET", &other_path, &signed.authorization, None, &public_key)
            .is_err()
    );
    assert!(
        verify_rsa_sha1_request(
            "POST",
            &signed_url,
            &signed.authorization,
            None,
            &public_key
        )
        .is_err()
    );
}

#[test]
fn rejects_a_signature_by_another_key() {
    let other = PublicKey::from_pem(&common::fixture("rsa-2048-public.pem")).unwrap();
    let different =
        jirasync_client::PrivateKey::from_pem(&common::fixture("oauth-net-test-key.pem")).unwrap();
    let target = url("https://jira.example.com/");
    let signed = OAuth1Signer::new(
        ConsumerKey::new("ck"),
        SigningKey::RsaSha1(Arc::new(different)),
    )
    .sign(&SigningRequest::new("GET", &target))
    .unwrap();
    let error =
        verify_rsa_sha1_request("GET", &target, &signed.authorization, None, &other).unwrap_err();
    assert!(matches!(error, VerifyError::SignatureMismatch { .. }));
}

#[test]
fn rejects_other_signature_methods() {
    let target = url("https://jira.example.com/");
    let signed = OAuth1Signer::new(
        ConsumerKey::new("ck"),
        SigningKey::HmacSha1(ConsumerSecret::new("s")),
    )
    .sign(&SigningRequest::new("GET", &target))
    .unwrap();
    let error = verify_rsa_sha1_request(
        "GET",
        &target,
        &signed.authorization,
        None,
        &test_key().public_key(),
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::WrongSignatureMethod("HMAC-SHA1".to_owned())
    );
}
