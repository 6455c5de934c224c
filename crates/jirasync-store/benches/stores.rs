//! The stores side by side, in one run on one machine:
//!
//! * `inbound_assignee/<store>`: one inbound assignee event applied through the domain rules to a
//!   Jira key linked to 10 local issues (every issue changes and gets an activity), on the
//!   in-memory, SQLite and PostgreSQL stores. Events alternate between two users with growing
//!   times, so every event writes.
//! * `inbox/<store>/<workers>`: deliveries enqueued, claimed and completed by 1 or 2 worker tasks,
//!   on SQLite and PostgreSQL; throughput in deliveries per second.
//!
//! PostgreSQL runs when `JIRASYNC_TEST_DATABASE_URL` is set, in a schema of its own that is
//! dropped and re-created at the start.

// A bench whose set-up fails should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The bench says on its console why PostgreSQL was left out.
#![allow(clippy::print_stderr)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jirasync_domain::InMemoryStore;
use jirasync_domain::conformance::World;
use jirasync_domain::conformance::fixture::{Fixture, KEY};
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::inbox::{DeliverySource, Inbox, NewDelivery};
use jirasync_store::DatabaseUrl;
use jirasync_store::postgres::{PostgresOptions, PostgresStore};
use jirasync_store::sqlite::SqliteStore;
use jirasync_webhook::EventTime;
use tokio::runtime::Runtime;

const LINKED_ISSUES: usize = 10;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn sqlite_store(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    let path = dir.path().join(name);
    SqliteStore::open(&DatabaseUrl::new(format!("sqlite://{}", path.display())))
        .await
        .unwrap()
}

async fn postgres_store(schema: &str) -> Option<PostgresStore> {
    let Ok(url) = std::env::var("JIRASYNC_TEST_DATABASE_URL") else {
        eprintln!("PostgreSQL skipped: JIRASYNC_TEST_DATABASE_URL is not set");
        return None;
    };
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let options = PostgresOptions {
        schema: Some(schema.to_owned()),
        ..PostgresOptions::default()
    };
    Some(
        PostgresStore::connect_with(&DatabaseUrl::new(url), options)
            .await
            .unwrap(),
    )
}

/// The conformance fixture with [`LINKED_ISSUES`] issues linked to [`KEY`] and a second member.
async fn seeded<S: World + 'static>(store: S) -> Fixture<S> {
    let fixture = Fixture::new(store).await;
    for _ in 1..LINKED_ISSUES {
        fixture
            .linked_issue(fixture.organization, fixture.project, KEY)
            .await;
    }
    fixture.member(&["bob@example.com"]).await;
    fixture
}

fn bench_assignee<S: World + 'static>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &Runtime,
    name: &str,
    fixture: &Fixture<S>,
) {
    let clock = AtomicI64::new(1_700_000_000_000);
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| {
            let at = clock.fetch_add(1, Ordering::Relaxed);
            let email = if at % 2 == 0 {
                "alice@example.com"
            } else {
                "bob@example.com"
            };
            let outcome = runtime.block_on(fixture.assign_email(email, at));
            assert_eq!(outcome.changed, LINKED_ISSUES);
        });
    });
}

fn inbound_assignee(c: &mut Criterion) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("inbound_assignee");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(20);

    let memory = runtime.block_on(seeded(InMemoryStore::new()));
    bench_assignee(&mut group, &runtime, "memory", &memory);
    let sqlite = runtime.block_on(async { seeded(sqlite_store(&dir, "assignee.db").await).await });
    bench_assignee(&mut group, &runtime, "sqlite", &sqlite);
    if let Some(postgres) = runtime.block_on(postgres_store("jirasync_bench_assignee")) {
        let postgres = runtime.block_on(seeded(postgres));
        bench_assignee(&mut group, &runtime, "postgres", &postgres);
    }
    group.finish();
}

fn delivery(n: u64) -> NewDelivery {
    NewDelivery {
        source: DeliverySource::Integration(IntegrationId::new(1)),
        body: include_bytes!("../../../tests/fixtures/webhooks/assignee_set.json").to_vec(),
        headers: Vec::new(),
        received_at: SystemTime::now(),
        // Fifty issues, so two workers find independent work.
        ordering_key: Some(format!("1/APP-{}", n % 50)),
        occurred_at: Some(EventTime::from_unix_millis(
            1_700_000_000_000 + i64::try_from(n).unwrap(),
        )),
        delivery_key: None,
    }
}

/// Enqueues `count` deliveries, then lets `workers` tasks claim and complete them all; returns
/// the time taken.
async fn enqueue_claim_complete<I: Inbox + 'static>(
    inbox: Arc<I>,
    count: u64,
    workers: usize,
) -> Duration {
    let start = Instant::now();
    for n in 0..count {
        inbox.enqueue(delivery(n)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let inbox = Arc::clone(&inbox);
        tasks.push(tokio::spawn(async move {
            loop {
                let claimed = inbox
                    .claim(SystemTime::now(), Duration::from_secs(60), 16)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    let depth = inbox.depth(SystemTime::now()).await.unwrap();
                    if depth.ready == 0 && depth.leased == 0 {
                        return;
                    }
                    tokio::task::yield_now().await;
                    continue;
                }
                for delivery in claimed {
                    inbox.complete(delivery.id, delivery.attempt).await.unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

fn bench_inbox<I: Inbox + 'static>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &Runtime,
    name: &str,
    inbox: &Arc<I>,
) {
    for workers in [1_usize, 2] {
        group.bench_function(BenchmarkId::new(name, workers), |b| {
            b.iter_custom(|iters| {
                runtime.block_on(enqueue_claim_complete(Arc::clone(inbox), iters, workers))
            });
        });
    }
}

fn inbox_throughput(c: &mut Criterion) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("inbox");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(10);

    let sqlite = runtime.block_on(sqlite_store(&dir, "inbox.db"));
    bench_inbox(&mut group, &runtime, "sqlite", &Arc::new(sqlite));
    if let Some(postgres) = runtime.block_on(postgres_store("jirasync_bench_inbox")) {
        bench_inbox(&mut group, &runtime, "postgres", &Arc::new(postgres));
    }
    group.finish();
}

criterion_group!(benches, inbound_assignee, inbox_throughput);
criterion_main!(benches);
