//! Signing one typical Jira request: `GET <base>/rest/api/2/user?username=…` with an access token,
//! with RSA-SHA1 (2048-bit key) and with HMAC-SHA1. Each iteration builds the base string, signs it
//! and writes the `Authorization` header.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use jirasync_client::oauth1::{FixedClock, FixedNonce, OAuth1Signer, SigningKey, SigningRequest};
use jirasync_client::{ConsumerKey, ConsumerSecret, PrivateKey, TokenSecret};
use url::Url;

const KEY_PEM: &str = include_str!("../tests/fixtures/rsa-2048-pkcs8.pem");

fn sign_typical_request(c: &mut Criterion) {
    let Ok(url) = Url::parse("https://jira.example.com/jira/rest/api/2/user?username=jane.doe")
    else {
        return;
    };
    let Ok(key) = PrivateKey::from_pem(KEY_PEM) else {
        return;
    };
    let secret = TokenSecret::new("access-token-secret");
    let request = SigningRequest::new("GET", &url).token("access-token-0123456789", Some(&secret));
    let signers = [
        ("rsa_sha1_2048", SigningKey::RsaSha1(Arc::new(key))),
        (
            "hmac_sha1",
            SigningKey::HmacSha1(ConsumerSecret::new("consumer-secret")),
        ),
    ];
    let mut group = c.benchmark_group("sign_request");
    for (name, signing_key) in signers {
        let signer = OAuth1Signer::new(ConsumerKey::new("jirasync"), signing_key)
            .with_clock(Arc::new(FixedClock(1_700_000_000)))
            .with_nonce_source(Arc::new(FixedNonce(
                "0123456789abcdef0123456789abcdef".to_owned(),
            )));
        group.bench_function(name, |b| {
            b.iter(|| black_box(signer.sign(black_box(&request))));
        });
    }
    group.finish();
}

criterion_group!(benches, sign_typical_request);
criterion_main!(benches);
