//! Published known-answer tests: the oauth.net RSA-SHA1 test case and the RFC 5849 §3.4.1 HMAC-SHA1
//! example (with RFC errata 2550: the example is a POST).

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
    parse_authorization_header, signature_base_string,
};
use jirasync_client::{ConsumerKey, ConsumerSecret, PrivateKey, TokenSecret};
use url::Url;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const OAUTH_NET_BASE: &str = "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26\
    oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3D13917289812797014437%26\
    oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26\
    size%3Doriginal";
const OAUTH_NET_SIGNATURE: &str = "jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5\
    wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5twt399\
    mXwaYdCwFYE=";

const RFC_BASE: &str = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26\
    a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26\
    oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26\
    oauth_token%3Dkkk9d7dh3k39sjv7";

/// The RSA back-ends built in: `PrivateKey` always, `OpenSslSigner` with the `openssl` feature. The
/// RSA-SHA1 known answers hold for each.
fn rsa_backends(pem: &str) -> Vec<(&'static str, Arc<dyn RsaSha1Signer>)> {
    let default: (&'static str, Arc<dyn RsaSha1Signer>) =
        ("PrivateKey", Arc::new(PrivateKey::from_pem(pem).unwrap()));
    #[cfg(feature = "openssl")]
    {
        let fast = jirasync_client::OpenSslSigner::from_pem(pem).unwrap();
        vec![default, ("OpenSslSigner", Arc::new(fast))]
    }
    #[cfg(not(feature = "openssl"))]
    {
        vec![default]
    }
}

fn oauth_net_signer() -> OAuth1Signer {
    let key = PrivateKey::from_pem(&fixture("oauth-net-test-key.pem")).unwrap();
    oauth_net_signer_with(Arc::new(key))
}

fn oauth_net_signer_with(key: Arc<dyn RsaSha1Signer>) -> OAuth1Signer {
    OAuth1Signer::new(
        ConsumerKey::new("dpf43f3p2l4k3l03"),
        SigningKey::RsaSha1(key),
    )
    .with_clock(Arc::new(ManualClock::at_unix_timestamp(1_196_666_512)))
    .with_nonce_source(Arc::new(FixedNonce("13917289812797014437".to_owned())))
}

fn header_param(header: &str, name: &str) -> String {
    parse_authorization_header(header)
        .unwrap()
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
        .unwrap()
}

#[test]
fn matches_oauth_net_rsa_sha1_test_case() {
    let url =
        Url::parse("http://photos.example.net/photos?file=vacaction.jpg&size=original").unwrap();
    for (backend, key) in rsa_backends(&fixture("oauth-net-test-key.pem")) {
        let signed = oauth_net_signer_with(key)
            .sign(&SigningRequest::new("GET", &url))
            .unwrap();
        assert_eq!(signed.base_string, OAUTH_NET_BASE, "{backend}");
        assert_eq!(
            header_param(&signed.authorization, "oauth_signature"),
            OAUTH_NET_SIGNATURE,
            "{backend}"
        );
    }
}

#[test]
fn matches_oauth_net_rsa_sha1_signature_with_pkcs1_copy_of_the_key() {
    for (backend, key) in rsa_backends(&fixture("oauth-net-test-key.pem")) {
        let signature = SigningKey::RsaSha1(key).sign(OAUTH_NET_BASE, None).unwrap();
        assert_eq!(signature, OAUTH_NET_SIGNATURE, "{backend}");
    }
}

#[test]
fn every_backend_is_tried() {
    let expected = if cfg!(feature = "openssl") { 2 } else { 1 };
    assert_eq!(
        rsa_backends(&fixture("oauth-net-test-key.pem")).len(),
        expected
    );
}

#[test]
fn matches_rfc5849_hmac_sha1_example() {
    let url = Url::parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b").unwrap();
    let signer = OAuth1Signer::new(
        ConsumerKey::new("9djdj82h48djs9d2"),
        SigningKey::HmacSha1(ConsumerSecret::new("j49sk3j29djd")),
    );
    // The RFC example has no oauth_version, so build its base string directly.
    let base = signature_base_string(
        "POST",
        &url,
        Some(b"c2&a3=2+q"),
        &[
            ("realm", "Example"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
        ],
    );
    assert_eq!(base, RFC_BASE);
    let token_secret = TokenSecret::new("dh893hdasih9");
    let signature = signer
        .signing_key()
        .sign(&base, Some(&token_secret))
        .unwrap();
    assert_eq!(signature, "r6/TJjbCOr97/+UU0NsvSne7s5g=");
}

#[test]
fn header_lists_every_parameter_quoted_and_comma_separated() {
    let url = Url::parse("https://jira.example.com/jira/rest/api/2/myself").unwrap();
    let secret = TokenSecret::new("ts");
    let request = SigningRequest::new("GET", &url).token("access/token", Some(&secret));
    let signed = oauth_net_signer().sign(&request).unwrap();
    let header = signed.authorization;
    assert!(
        header.starts_with("OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", "),
        "{header}"
    );
    assert!(
        header.contains(", oauth_token=\"access%2Ftoken\", "),
        "{header}"
    );
    assert!(
        header.contains(", oauth_signature_method=\"RSA-SHA1\", "),
        "{header}"
    );
    assert!(
        header.contains(", oauth_timestamp=\"1196666512\", "),
        "{header}"
    );
    assert!(
        header.contains(", oauth_nonce=\"13917289812797014437\", "),
        "{header}"
    );
    assert!(header.contains(", oauth_version=\"1.0\", "), "{header}");
    assert!(header.contains(", oauth_signature=\""), "{header}");
    // Base64 `+`, `/` and `=` are percent-encoded inside the quotes.
    let raw_signature = header.rsplit("oauth_signature=\"").next().unwrap();
    assert!(
        !raw_signature
            .trim_end_matches('"')
            .contains(['+', '/', '=']),
        "{header}"
    );
}

#[test]
fn json_body_is_not_signed_but_form_body_is() {
    let url = Url::parse("https://jira.example.com/rest/webhooks/1.0/webhook").unwrap();
    let signer = oauth_net_signer();
    let plain = signer.sign(&SigningRequest::new("POST", &url)).unwrap();
    let form = signer
        .sign(&SigningRequest::new("POST", &url).form_body(b"a=1"))
        .unwrap();
    assert!(!plain.base_string.contains("a%3D1"));
    assert!(form.base_string.contains("a%3D1"));
}

#[test]
fn realm_goes_in_header_but_not_in_signature() {
    let url = Url::parse("https://jira.example.com/").unwrap();
    let signer = oauth_net_signer();
    let with_realm = signer
        .sign(&SigningRequest::new("GET", &url).realm("Jira"))
        .unwrap();
    let without = signer.sign(&SigningRequest::new("GET", &url)).unwrap();
    assert!(
        with_realm
            .authorization
            .starts_with("OAuth realm=\"Jira\", ")
    );
    assert_eq!(with_realm.base_string, without.base_string);
}

#[test]
fn plaintext_signature_is_the_encoded_secrets() {
    let url = Url::parse("https://jira.example.com/").unwrap();
    let signer = OAuth1Signer::new(
        ConsumerKey::new("ck"),
        SigningKey::Plaintext(ConsumerSecret::new("c s")),
    );
    let secret = TokenSecret::new("t&s");
    let signed = signer
        .sign(&SigningRequest::new("GET", &url).token("t", Some(&secret)))
        .unwrap();
    assert_eq!(
        header_param(&signed.authorization, "oauth_signature"),
        "c%20s&t%26s"
    );
    assert_eq!(
        header_param(&signed.authorization, "oauth_signature_method"),
        "PLAINTEXT"
    );
}
