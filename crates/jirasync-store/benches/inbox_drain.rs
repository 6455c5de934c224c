//! Draining a backlog: `inbox_drain/<store>/<pending>` claims one delivery (as a worker did before its claims of 8)
//! and completes it, behind a backlog of 1k, 10k and 100k pending deliveries spread over 1,000
//! ordering keys (Jira issues), on SQLite and PostgreSQL; throughput in deliveries per second.
//! The claim must cost the same whatever the backlog.
//!
//! `inbox_drain_before/<store>/<pending>` runs the claim statement of schema version 3 (every
//! pending row read, a `NOT EXISTS` per row) on the same databases, for comparison; only at 1k
//! and 10k, the 100k case taking seconds per claim.
//!
//! The backlog is seeded with one multi-row `INSERT` per database, and topped up the same way
//! (outside the measured time) after every tenth of it is drained, so the measured claims
//! always run behind about the stated number of pending deliveries. PostgreSQL runs when
//! `JIRASYNC_TEST_DATABASE_URL` is set, in a schema of its own per backlog size.

// A bench whose set-up fails should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The bench says on its console why PostgreSQL was left out.
#![allow(clippy::print_stderr)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jirasync_domain::inbox::Inbox;
use jirasync_store::DatabaseUrl;
use jirasync_store::postgres::{PostgresOptions, PostgresStore};
use jirasync_store::sqlite::SqliteStore;
use sqlx::{PgPool, SqlitePool};
use tokio::runtime::Runtime;

const BACKLOGS: [u64; 3] = [1_000, 10_000, 100_000];
/// How many Jira issues the backlog is spread over.
const KEYS: u64 = 1_000;
/// The worker's claim size and a short lease, as `jirasync serve` uses.
const CLAIM_SIZE: usize = 1;
const LEASE: Duration = Duration::from_secs(15);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A second pool on a bench's database, for seeding and for version 3's claim.
enum Seeding {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the seeding pool, whichever back-end it is.
macro_rules! with_pool {
    ($seeding:expr, $pool:ident => $body:expr) => {
        match $seeding {
            Seeding::Sqlite($pool) => $body,
            Seeding::Postgres($pool) => $body,
        }
    };
}

impl Seeding {
    /// Runs each statement with its numbers bound, in one transaction.
    async fn run(&self, statements: &[(&str, &[i64])]) {
        with_pool!(self, pool => {
            let mut transaction = pool.begin().await.unwrap();
            for (sql, numbers) in statements {
                let mut query = sqlx::query(sql);
                for number in *numbers {
                    query = query.bind(*number);
                }
                query.execute(&mut *transaction).await.unwrap();
            }
            transaction.commit().await.unwrap();
        });
    }

    /// The `(id, attempts)` rows `sql` returns with these numbers bound.
    async fn pairs(&self, sql: &str, numbers: &[i64]) -> Vec<(i64, i64)> {
        with_pool!(self, pool => {
            let mut query = sqlx::query_as(sql);
            for number in numbers {
                query = query.bind(*number);
            }
            query.fetch_all(pool).await.unwrap()
        })
    }
}

/// One database with its inbox, and a second pool on it for seeding.
struct Backlog {
    inbox: Arc<dyn Inbox>,
    seeding: Seeding,
    /// The SQL that generates `$1` numbers from `$2` (each backend's own), with a 1 KiB body.
    series: &'static str,
    /// Whether bodies live in `jirasync_inbox_bodies` (SQLite, migration 13) rather than in the
    /// delivery rows.
    bodies_apart: bool,
    /// How many deliveries were ever seeded: the next one's number.
    seeded: u64,
    /// How many are pending.
    pending: u64,
}

impl Backlog {
    /// Adds `count` pending deliveries (and the heads of keys that have none), in one
    /// transaction.
    async fn add(&mut self, count: u64) {
        let from = i64::try_from(self.seeded).unwrap();
        let to = i64::try_from(self.seeded + count).unwrap();
        let body = if self.bodies_apart { "" } else { "body, " };
        let insert = format!(
            "INSERT INTO jirasync_inbox_deliveries (integration_id, {body}headers, received_at, \
             ordering_key, occurred_at, state, attempts) \
             SELECT 1, {body}'content-type: application/json', 1700000000000, \
             'jira:1/ISSUE-' || CAST(n % {KEYS} AS TEXT), 1700000000000 + n, 'pending', 0 \
             FROM ({}) AS series",
            self.series
        );
        // The new rows' bodies, where they are kept apart.
        let bodies = "INSERT INTO jirasync_inbox_bodies (delivery_id, body) \
             SELECT id, zeroblob(1024) FROM jirasync_inbox_deliveries \
             WHERE id > (SELECT COALESCE(MAX(delivery_id), 0) FROM jirasync_inbox_bodies)";
        // Each key's first pending delivery becomes its head if it has none (as enqueue does).
        let heads = "INSERT INTO jirasync_inbox_heads \
             (delivery_id, ordering_key, occurred_at, waiting_until, held) \
             SELECT MIN(id), ordering_key, MIN(occurred_at), NULL, FALSE \
             FROM jirasync_inbox_deliveries d WHERE state = 'pending' AND NOT EXISTS \
             (SELECT 1 FROM jirasync_inbox_heads h WHERE h.ordering_key = d.ordering_key) \
             GROUP BY ordering_key";
        let range = [from, to];
        let mut statements: Vec<(&str, &[i64])> = vec![(&insert, &range)];
        if self.bodies_apart {
            statements.push((bodies, &[]));
        }
        statements.push((heads, &[]));
        self.seeding.run(&statements).await;
        self.seeded += count;
        self.pending += count;
    }

    /// Claims and completes `count` deliveries with `claim`; returns the time it took.
    async fn drain(&mut self, count: u64, claim: Claim) -> Duration {
        let started = Instant::now();
        for _ in 0..count {
            let claimed = match claim {
                Claim::Heads => self
                    .inbox
                    .claim(SystemTime::now(), LEASE, CLAIM_SIZE)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|claimed| (claimed.id, claimed.attempt))
                    .collect(),
                Claim::Version3(sql) => version_3_claim(&self.seeding, sql).await,
            };
            assert_eq!(claimed.len(), CLAIM_SIZE, "the backlog ran out");
            for (id, attempt) in claimed {
                self.inbox.complete(id, attempt).await.unwrap();
            }
        }
        let elapsed = started.elapsed();
        self.pending -= count;
        elapsed
    }
}

/// Which claim a bench runs.
#[derive(Debug, Clone, Copy)]
enum Claim {
    /// `Inbox::claim`.
    Heads,
    /// Version 3's claim statement.
    Version3(&'static str),
}

/// Version 3's claimable deliveries (`src/sql/inbox.rs` before migration 4), `$1` now, `$3`
/// the limit.
const VERSION_3_CLAIMABLE: &str = "FROM jirasync_inbox_deliveries d \
    WHERE d.state = 'pending' \
    AND (d.leased_until IS NULL OR d.leased_until <= $1) \
    AND (d.available_at IS NULL OR d.available_at <= $1) \
    AND (d.ordering_key IS NULL OR NOT EXISTS ( \
        SELECT 1 FROM jirasync_inbox_deliveries o \
        WHERE o.state = 'pending' AND o.ordering_key = d.ordering_key \
        AND ((o.occurred_at IS NULL AND d.occurred_at IS NOT NULL) \
            OR (o.occurred_at IS NULL AND d.occurred_at IS NULL AND o.id < d.id) \
            OR (o.occurred_at < d.occurred_at) \
            OR (o.occurred_at = d.occurred_at AND o.id < d.id)))) \
    ORDER BY d.occurred_at NULLS FIRST, d.id LIMIT $3";

const VERSION_3_SQLITE: &str = "UPDATE jirasync_inbox_deliveries \
    SET attempts = attempts + 1, leased_until = $2 WHERE id IN (SELECT d.id {CLAIMABLE}) \
    RETURNING id, attempts";
const VERSION_3_POSTGRES: &str = "WITH picked AS (SELECT d.id AS picked_id {CLAIMABLE} \
    FOR UPDATE SKIP LOCKED) \
    UPDATE jirasync_inbox_deliveries SET attempts = attempts + 1, leased_until = $2 \
    FROM picked WHERE jirasync_inbox_deliveries.id = picked.picked_id RETURNING id, attempts";

/// Leases deliveries with version 3's statement `sql`.
async fn version_3_claim(
    seeding: &Seeding,
    sql: &str,
) -> Vec<(jirasync_domain::inbox::DeliveryId, u32)> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let now = i64::try_from(now.as_millis()).unwrap();
    let lease = i64::try_from(LEASE.as_millis()).unwrap();
    let limit = i64::try_from(CLAIM_SIZE).unwrap();
    let sql = sql.replace("{CLAIMABLE}", VERSION_3_CLAIMABLE);
    let rows = seeding.pairs(&sql, &[now, now + lease, limit]).await;
    rows.into_iter()
        .map(|(id, attempts)| {
            (
                jirasync_domain::inbox::DeliveryId::new(id),
                u32::try_from(attempts).unwrap(),
            )
        })
        .collect()
}

async fn sqlite_backlog(dir: &tempfile::TempDir, pending: u64) -> Backlog {
    let path = dir.path().join(format!("drain-{pending}.db"));
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&DatabaseUrl::new(url.clone()))
        .await
        .unwrap();
    let seeding = Seeding::Sqlite(SqlitePool::connect(&url).await.unwrap());
    let mut backlog = Backlog {
        inbox: Arc::new(store),
        seeding,
        series: "WITH RECURSIVE s(n) AS (SELECT CAST($1 AS INTEGER) \
                 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2) \
                 SELECT n, zeroblob(1024) AS body FROM s",
        bodies_apart: true,
        seeded: 0,
        pending: 0,
    };
    backlog.add(pending).await;
    backlog
}

async fn postgres_backlog(pending: u64) -> Option<Backlog> {
    let Ok(url) = std::env::var("JIRASYNC_TEST_DATABASE_URL") else {
        eprintln!("PostgreSQL skipped: JIRASYNC_TEST_DATABASE_URL is not set");
        return None;
    };
    let schema = format!("jirasync_bench_drain_{pending}");
    let admin = PgPool::connect(&url).await.unwrap();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }
    admin.close().await;
    let options = PostgresOptions {
        schema: Some(schema.clone()),
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect_with(&DatabaseUrl::new(url.clone()), options)
        .await
        .unwrap();
    let seeding = Seeding::Postgres(store.pool().clone());
    let mut backlog = Backlog {
        inbox: Arc::new(store),
        seeding,
        series: "SELECT n, decode(repeat('00', 1024), 'hex') AS body \
                 FROM generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT) - 1) AS n",
        bodies_apart: false,
        seeded: 0,
        pending: 0,
    };
    backlog.add(pending).await;
    // Planner statistics, as autovacuum would have them after a burst.
    let analyze = "ANALYZE jirasync_inbox_deliveries, jirasync_inbox_heads";
    backlog.seeding.run(&[(analyze, &[])]).await;
    Some(backlog)
}

/// Benches `claim` behind `backlog`, topping it up to its size (untimed) after every tenth.
fn bench_drain(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &Runtime,
    id: BenchmarkId,
    backlog: &mut Backlog,
    claim: Claim,
) {
    let size = backlog.pending;
    let chunk = (size / 10).max(1);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let mut measured = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let missing = size - backlog.pending;
                    if missing > 0 {
                        backlog.add(missing).await;
                    }
                    let count = left.min(chunk);
                    measured += backlog.drain(count, claim).await;
                    left -= count;
                }
                measured
            })
        });
    });
}

fn inbox_drain(c: &mut Criterion) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("inbox_drain");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    let mut before = Vec::new();
    for pending in BACKLOGS {
        let mut sqlite = runtime.block_on(sqlite_backlog(&dir, pending));
        let id = BenchmarkId::new("sqlite", pending);
        bench_drain(&mut group, &runtime, id, &mut sqlite, Claim::Heads);
        let postgres = runtime.block_on(postgres_backlog(pending));
        if let Some(mut postgres) = postgres {
            let id = BenchmarkId::new("postgres", pending);
            bench_drain(&mut group, &runtime, id, &mut postgres, Claim::Heads);
            before.push(("postgres", pending, postgres, VERSION_3_POSTGRES));
        }
        before.push(("sqlite", pending, sqlite, VERSION_3_SQLITE));
    }
    group.finish();

    let mut group = c.benchmark_group("inbox_drain_before");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    for (store, pending, mut backlog, sql) in before {
        if pending <= 10_000 {
            let id = BenchmarkId::new(store, pending);
            bench_drain(&mut group, &runtime, id, &mut backlog, Claim::Version3(sql));
        }
    }
    group.finish();
}

criterion_group!(benches, inbox_drain);
criterion_main!(benches);
