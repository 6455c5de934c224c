//! Outbox throughput per worker: `outbox/<store>` carries pieces of outbound work out the way
//! one outbox worker does (claim a batch of 8 due pieces, each of its own Jira issue; for each:
//! the organization's sync check, the user's external actor, the expected echo, the assignment
//! through an in-memory Jira; record the result), on SQLite and PostgreSQL; throughput in
//! pieces per second.
//!
//! The Jira calls are the domain's in-memory `FakeJiraWriter`, so the figure is what the store
//! and the rules cost per piece: a real Jira adds its round trip (a few milliseconds on a LAN),
//! paid 8 at a time by a worker. The work is recorded (untimed) before each measured drain, over
//! 1,000 Jira issues. PostgreSQL runs when `JIRASYNC_TEST_DATABASE_URL` is set, in a schema of
//! its own.

// A bench whose set-up fails should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The bench says on its console why PostgreSQL was left out.
#![allow(clippy::print_stderr)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jirasync_domain::events::EventTimestamp;
use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::outbound::{FakeJiraWriter, NewOutboundWork, OutboundAction, OutboundResult};
use jirasync_domain::people::UserEmail;
use jirasync_domain::rules::outbound::carry_out;
use jirasync_domain::{Seed, SyncStore};
use jirasync_store::DatabaseUrl;
use jirasync_store::postgres::{PostgresOptions, PostgresStore};
use jirasync_store::sqlite::SqliteStore;
use jirasync_webhook::IssueKey;
use sqlx::PgPool;
use tokio::runtime::Runtime;

/// How many Jira issues the work is spread over.
const KEYS: u64 = 1_000;
/// What one worker claims at once (`OutboundOptions::default().batch`).
const BATCH: usize = 8;
const LEASE: Duration = Duration::from_secs(60);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A store with one organization syncing assignees outbound, its user with a `jira_server`
/// actor, and a Jira that knows the user and the issues.
struct Scene {
    store: Arc<dyn SyncStore>,
    jira: FakeJiraWriter,
    organization: OrganizationId,
    integration: IntegrationId,
    user: UserId,
    next_key: u64,
}

async fn scene<S: SyncStore + Seed + 'static>(store: S) -> Scene {
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let integration = store
        .seed_integration(
            ExternalId::for_jira("jira.example.com", "jirasync"),
            "jirasync",
            IntegrationMetadata {
                base_url: "https://jira.example.com".into(),
                domain_name: "jira.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap();
    store
        .seed_organization_integration(
            organization,
            integration,
            LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    let user = store
        .seed_user(true, vec![UserEmail::verified("alice@example.com")])
        .await
        .unwrap();
    store
        .insert_external_actor(NewExternalActor {
            organization_id: organization,
            integration_id: integration,
            provider: ExternalProvider::JiraServer,
            external_name: "alice.j".into(),
            external_id: None,
            target: ActorTarget::User(user),
        })
        .await
        .unwrap();
    let mut jira = FakeJiraWriter::new().with_user("alice.j", Some("alice@example.com"), true);
    for key in 0..KEYS {
        jira = jira.with_issue(&format!("APP-{key}"));
    }
    Scene {
        store: Arc::new(store),
        jira,
        organization,
        integration,
        user,
        next_key: 0,
    }
}

impl Scene {
    /// Records `count` pieces, round-robin over the issues.
    async fn record(&mut self, count: u64) {
        let work: Vec<NewOutboundWork> = (0..count)
            .map(|_| {
                let key = self.next_key % KEYS;
                self.next_key += 1;
                NewOutboundWork {
                    organization_id: self.organization,
                    integration_id: self.integration,
                    issue_key: IssueKey::new(format!("APP-{key}")),
                    local_issue_id: LocalIssueId::new(1),
                    action: OutboundAction::Assign {
                        user: self.user,
                        emails: vec!["alice@example.com".into()],
                    },
                    created_at: EventTimestamp::from_unix_millis(1),
                }
            })
            .collect();
        for chunk in work.chunks(500) {
            self.store.enqueue_outbound(chunk).await.unwrap();
        }
    }

    /// Drains everything due as one worker does; how many pieces it carried out.
    async fn drain(&self) -> u64 {
        let now = EventTimestamp::from_unix_millis(4_000_000_000_000);
        let mut done = 0;
        loop {
            let jobs = self.store.claim_outbound(now, LEASE, BATCH).await.unwrap();
            if jobs.is_empty() {
                return done;
            }
            for job in jobs {
                carry_out(self.store.as_ref(), &self.jira, &job.work, now)
                    .await
                    .unwrap();
                self.store
                    .finish_outbound(&job.claim, OutboundResult::Done { at: now })
                    .await
                    .unwrap();
                done += 1;
            }
        }
    }
}

async fn postgres_scene() -> Option<Scene> {
    let Ok(url) = std::env::var("JIRASYNC_TEST_DATABASE_URL") else {
        eprintln!("PostgreSQL skipped: JIRASYNC_TEST_DATABASE_URL is not set");
        return None;
    };
    let schema = "jirasync_bench_outbox";
    let admin = PgPool::connect(&url).await.unwrap();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }
    admin.close().await;
    let options = PostgresOptions {
        schema: Some(schema.to_owned()),
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect_with(&DatabaseUrl::new(url), options)
        .await
        .unwrap();
    Some(scene(store).await)
}

fn bench(c: &mut Criterion, runtime: &Runtime, name: &str, scene: &mut Scene) {
    let mut group = c.benchmark_group("outbox");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                scene.record(iters).await;
                let start = Instant::now();
                let done = scene.drain().await;
                let elapsed = start.elapsed();
                assert_eq!(done, iters);
                elapsed
            })
        });
    });
    group.finish();
}

fn outbox(c: &mut Criterion) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("outbox.db").display());
    let mut sqlite = runtime
        .block_on(async { scene(SqliteStore::open(&DatabaseUrl::new(url)).await.unwrap()).await });
    bench(c, &runtime, "sqlite", &mut sqlite);
    if let Some(mut postgres) = runtime.block_on(postgres_scene()) {
        bench(c, &runtime, "postgres", &mut postgres);
    }
}

criterion_group!(benches, outbox);
criterion_main!(benches);
