//! Signing one typical Jira request: `GET <base>/rest/api/2/user?username=…` with an access token,
//! with RSA-SHA1 (2048-bit key) and with HMAC-SHA1. Each iteration builds the base string, signs it
//! and writes the `Authorization` header.
//!
//! `rsa_sha1_2048_unblinded` plugs a back-end that signs without blinding through the
//! `RsaSha1Signer` seam, to show what the blinding in `PrivateKey` costs. With the `openssl`
//! feature, `rsa_sha1_2048_openssl` signs through `OpenSslSigner`.
//!
//! The groups `rsa_sha1_sign_2048` (wall-clock time) and `rsa_sha1_sign_2048_cpu` (the thread's CPU
//! time) time the RSA back-ends alone (`sign_rsa_sha1` over a 200-byte base string, no header), the
//! figures to set beside `openssl speed -elapsed rsa2048` and `openssl speed rsa2048` (which divides
//! by CPU time unless given `-elapsed`):
//! `cargo bench -p jirasync-client --bench sign --features openssl -- rsa_sha1_sign_2048`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

/// `OpenSslSigner` over the bench key, when the `openssl` feature is on.
fn openssl_backend() -> Option<Arc<dyn RsaSha1Signer>> {
    #[cfg(feature = "openssl")]
    {
        jirasync_client::OpenSslSigner::from_pem(KEY_PEM)
            .ok()
            .map(|fast| Arc::new(fast) as Arc<dyn RsaSha1Signer>)
    }
    #[cfg(not(feature = "openssl"))]
    {
        None
    }
}

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
    let mut signers = vec![
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
    signers
        .extend(openssl_backend().map(|fast| ("rsa_sha1_2048_openssl", SigningKey::RsaSha1(fast))));
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

/// The RSA back-ends alone, in wall-clock time.
fn sign_with_each_backend(c: &mut Criterion) {
    sign_with_each_backend_measured(c, "rsa_sha1_sign_2048");
}

/// The RSA back-ends alone, in the thread's CPU time (Unix only).
fn sign_with_each_backend_cpu(c: &mut Criterion<ThreadCpuTime>) {
    if thread_cpu_nanos().is_some() {
        sign_with_each_backend_measured(c, "rsa_sha1_sign_2048_cpu");
    }
}

/// One `sign_rsa_sha1` of a base-string-sized message per iteration, per back-end.
fn sign_with_each_backend_measured<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let Ok(key) = PrivateKey::from_pem(KEY_PEM) else {
        return;
    };
    let mut backends: Vec<(&str, Arc<dyn RsaSha1Signer>)> = vec![("rustcrypto", Arc::new(key))];
    backends.extend(openssl_backend().map(|fast| ("openssl", fast)));
    let message = [b'a'; 200];
    let mut group = c.benchmark_group(group_name);
    for (name, backend) in backends {
        group.bench_function(name, |b| {
            b.iter(|| black_box(backend.sign_rsa_sha1(black_box(&message))));
        });
    }
    group.finish();
}

/// The CPU time this thread has run, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`). Other processes
/// taking the cores do not count, as they do not for `openssl speed` without `-elapsed`.
#[cfg(unix)]
fn thread_cpu_nanos() -> Option<u64> {
    let spent = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let spent = std::time::Duration::try_from(spent).ok()?;
    u64::try_from(spent.as_nanos()).ok()
}

/// No thread CPU clock here: the CPU-time group is skipped.
#[cfg(not(unix))]
fn thread_cpu_nanos() -> Option<u64> {
    None
}

/// A criterion measurement of the thread's CPU time (see [`thread_cpu_nanos`]).
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos().unwrap_or_default()
    }

    fn end(&self, started: u64) -> u64 {
        thread_cpu_nanos()
            .unwrap_or_default()
            .saturating_sub(started)
    }

    fn add(&self, first: &u64, second: &u64) -> u64 {
        first.saturating_add(*second)
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, nanos: &u64) -> f64 {
        // Exact below 2^53 ns (104 days).
        *nanos as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

/// Shows CPU nanoseconds as ns, µs or ms of CPU time.
struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, typical_value: f64, values: &mut [f64]) -> &'static str {
        let (divisor, unit) = if typical_value < 1e3 {
            (1.0, "ns (CPU)")
        } else if typical_value < 1e6 {
            (1e3, "µs (CPU)")
        } else {
            (1e6, "ms (CPU)")
        };
        for value in values {
            *value /= divisor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical_value: f64,
        _throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        // These groups set no throughput: one iteration is one signature.
        for value in values {
            *value = 1e9 / *value;
        }
        "signatures/s (CPU)"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(benches, sign_typical_request, sign_with_each_backend);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = sign_with_each_backend_cpu
}
criterion_main!(benches, cpu_benches);
