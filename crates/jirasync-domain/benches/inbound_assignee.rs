//! Inbound assignee sync on the in-memory store with 1, 10, 100 and 1,000 local issues linked to
//! one Jira key. Each iteration applies one assignment to a fresh store (seeding is not timed), so
//! every linked issue changes and gets an activity. Throughput is per linked issue: the cost per
//! issue should stay flat as the count grows.

// A bench whose set-up fails should stop loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::{InMemoryStore, InboundSync, Seed, StaticJiraDirectory};
use jirasync_webhook::{AssigneeChanged, EventTime, IssueKey, JiraUser};

type Sync = InboundSync<InMemoryStore, StaticJiraDirectory>;

/// A store with `linked` local issues linked to `APP-1`, and a member who may take them all.
async fn seeded(linked: usize) -> (Sync, IntegrationId) {
    let store = Arc::new(InMemoryStore::new());
    let org = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let jira = store
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
        .seed_organization_integration(org, jira, LinkStatus::Active, SyncConfig::all_on())
        .await
        .unwrap();
    let project = store.seed_project(org, "web").await.unwrap();
    let team = store.seed_team(org, "web-team").await.unwrap();
    store.seed_team_project(team, project).await.unwrap();
    let alice = store
        .seed_user(true, vec![UserEmail::verified("alice@example.com")])
        .await
        .unwrap();
    store.seed_team_member(team, alice, true).await.unwrap();
    let key = IssueKey::new("APP-1");
    for _ in 0..linked {
        let issue = store
            .seed_local_issue(project, ResolutionStatus::Unresolved, None)
            .await
            .unwrap();
        store.seed_issue_link(org, jira, &key, issue).await.unwrap();
    }
    let sync = InboundSync::new(store, Arc::new(StaticJiraDirectory::new()));
    (sync, jira)
}

fn inbound_assignee(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let event = AssigneeChanged {
        issue_key: IssueKey::new("APP-1"),
        issue_id: None,
        assignee: Some(JiraUser {
            email_address: Some("alice@example.com".into()),
            ..JiraUser::default()
        }),
        occurred_at: Some(EventTime::from_unix_millis(1_700_000_000_000)),
    };
    let mut group = c.benchmark_group("inbound_assignee");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(20);
    for linked in [1_usize, 10, 100, 1_000] {
        group.throughput(Throughput::Elements(linked as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(linked),
            &linked,
            |b, &linked| {
                b.iter_batched(
                    || runtime.block_on(seeded(linked)),
                    |(sync, jira)| {
                        let outcome = runtime
                            .block_on(sync.sync_assignee(jira, black_box(&event), None))
                            .unwrap();
                        assert_eq!(outcome.changed, linked);
                        sync
                    },
                    BatchSize::SmallInput,
                );
            },
        );
    }
    group.finish();
}

criterion_group!(benches, inbound_assignee);
criterion_main!(benches);
