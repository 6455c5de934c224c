//! Benchmarks of what runs on every delivery: parse + classify, beside a full
//! `serde_json::Value` parse of the same bytes, and token verification.
//!
//! `cargo bench -p jirasync-webhook --bench webhook`; figures in `docs/performance.md`.

// A bench that cannot read its fixture should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jirasync_webhook::{WebhookSecret, mint_token, parse_and_classify, verify_token};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn parsing(c: &mut Criterion) {
    for (label, name) in [
        ("typical", "status_changed.json"),
        ("large", "large_description.json"),
    ] {
        let body = fixture(name);
        let mut group = c.benchmark_group(format!("parse/{label}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("jirasync parse_and_classify", |b| {
            b.iter(|| parse_and_classify(black_box(&body)).unwrap());
        });
        group.bench_function("serde_json Value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
        });
        group.finish();
    }
}

fn token_verification(c: &mut Criterion) {
    let current = WebhookSecret::generate();
    let previous = WebhookSecret::from_private_key_pem("-----BEGIN PRIVATE KEY-----\n...");
    let token = mint_token("jira.example.com:consumer-key", &current);
    let mut group = c.benchmark_group("verify_token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one secret", |b| {
        b.iter(|| {
            verify_token(
                black_box(token.expose_secret()),
                std::slice::from_ref(&current),
            )
            .unwrap()
        });
    });
    let rotation = [previous, current.clone()];
    group.bench_function("rotation, second secret matches", |b| {
        b.iter(|| verify_token(black_box(token.expose_secret()), &rotation).unwrap());
    });
    group.bench_function("bad signature", |b| {
        let other = [WebhookSecret::generate()];
        b.iter(|| verify_token(black_box(token.expose_secret()), &other).unwrap_err());
    });
    group.finish();
}

criterion_group!(benches, parsing, token_verification);
criterion_main!(benches);
