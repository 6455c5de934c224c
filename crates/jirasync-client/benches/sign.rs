//! Signing one typical Jira request: `GET <base>/rest/api/2/user?username=…` with an access token,
//! with RSA-SHA1 (2048-bit key) and with HMAC-SHA1. Each iteration builds the base string, signs it
//! and writes the `Authorization` header.
//!
//! `rsa_sha1_2048_unblinded` plugs a back-end that signs without blinding through the
//! `RsaSha1Signer` seam, to show what the blinding in `PrivateKey` costs.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use jirasync_client::oauth1::{
    FixedNonce, ManualClock, OAuth1Signer, RsaSha1Signer, SigningKey, SigningRequest,
};
use jirasync_client::{ConsumerKey, ConsumerSecret, PrivateKey, SignError, TokenSecret};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::{Digest, Sha1};
use url::Url;

/// Plain `rsa` 0.9 signing without the random blinding `PrivateKey` applies.
#[derive(Debug)]
struct Unblinded(RsaPrivateKey);

impl RsaSha1Signer for Unblinded {
    fn sign_rsa_sha1(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.0
            .sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(message))
            .map_err(|error| SignError::Rsa {
                reason: error.to_string(),
            })
    }
}

const KEY_PEM: &str = include_str!("../tests/fixtures/rsa-2048-pkcs8.pem");

fn sign_typical_request(c: &mut Criterion) {
    let Ok(url) = Url::parse("https://jira.example.com/jira/rest/api/2/user?username=jane.doe")
    else {
        return;
    };
    let Ok(key) = PrivateKey::from_pem(KEY_PEM) else {
        return;
    };
    let Ok(raw_key) = RsaPrivateKey::from_pkcs8_pem(KEY_PEM) else {
        return;
    };
    let secret = TokenSecret::new("access-token-secret");
    let request = SigningRequest::new("GET", &url).token("access-token-0123456789", Some(&secret));
    let signers = [
        ("rsa_sha1_2048", SigningKey::RsaSha1(Arc::new(key))),
        (
            "rsa_sha1_2048_unblinded",
            SigningKey::RsaSha1(Arc::new(Unblinded(raw_key))),
        ),
        (
            "hmac_sha1",
            SigningKey::HmacSha1(ConsumerSecret::new("consumer-secret")),
        ),
    ];
    let mut group = c.benchmark_group("sign_request");
    for (name, signing_key) in signers {
        let signer = OAuth1Signer::new(ConsumerKey::new("jirasync"), signing_key)
            .with_clock(Arc::new(ManualClock::at_unix_timestamp(1_700_000_000)))
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
