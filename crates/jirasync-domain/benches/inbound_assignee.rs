//! Inbound assignee sync on the in-memory store with 1, 10, 100 and 1,000 local issues linked to
//! one Jira key. Each iteration applies one assignment to a fresh store (seeding is not timed), so
//! every linked issue changes and gets an activity. Throughput is per linked issue: the cost per
//! issue should stay flat as the count grows.

// A bench whose set-up fails should stop loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jirasync_domain::InMemoryStore;
use jirasync_domain::conformance::fixture::{Fixture, KEY};
use jirasync_webhook::{AssigneeChanged, EventTime, IssueKey, JiraUser};

/// The conformance fixture (one organization, one project, Alice in its team) with `linked`
/// local issues linked to [`KEY`].
async fn seeded(linked: usize) -> Fixture<InMemoryStore> {
    let fixture = Fixture::new(InMemoryStore::new()).await;
    for _ in 1..linked {
        fixture
            .linked_issue(fixture.organization, fixture.project, KEY)
            .await;
    }
    fixture
}

fn inbound_assignee(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let event = AssigneeChanged {
        issue_key: IssueKey::new(KEY),
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
                    |fixture| {
                        let outcome = runtime.block_on(fixture.assign(black_box(&event)));
                        assert_eq!(outcome.changed, linked);
                        fixture
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
