//! Two stores on one file, as two `jirasync serve` processes sharing a database would be: their
//! syncs of one Jira issue take turns through the lease table instead of failing, and their
//! workers share the inbox without claiming one delivery twice.
#![cfg(feature = "sqlite")]

#[allow(dead_code)]
mod sqlite_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jirasync_domain::conformance::Fixture;
use jirasync_domain::conformance::fixture::{assigned_to_email, unassigned};
use jirasync_domain::inbox::conformance::{delivery, t0};
use jirasync_domain::inbox::{DeliveryState, Inbox};
use jirasync_domain::issue::Assignee;
use jirasync_domain::{InboundSync, LocalIssueStore, StaticJiraDirectory};
use jirasync_store::sqlite::SqliteStore;

use sqlite_support::fresh_file;

const EVENTS: i64 = 48;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignee_events_through_two_stores_converge_on_the_newest() {
    let (_directory, url) = fresh_file();
    let first = SqliteStore::open(&url).await.unwrap();
    let second = SqliteStore::open(&url).await.unwrap();
    let f = Arc::new(Fixture::new(first).await);
    let bob = f.member(&["bob@example.com"]).await;
    let second = Arc::new(second);
    let other_sync = Arc::new(InboundSync::new(
        Arc::clone(&second),
        second,
        Arc::new(StaticJiraDirectory::new()),
    ));

    // Event i assigns alice or bob or nobody; odd events go through the second store.
    let tasks: Vec<_> = (0..EVENTS)
        .map(|n| (n * 29 + 5) % EVENTS)
        .map(|i| {
            let event = match i % 3 {
                0 => assigned_to_email("alice@example.com", 1_000 + i),
                1 => assigned_to_email("bob@example.com", 1_000 + i),
                _ => unassigned(1_000 + i),
            };
            let f = Arc::clone(&f);
            let other_sync = Arc::clone(&other_sync);
            tokio::spawn(async move {
                if i % 2 == 0 {
                    f.assign(&event).await;
                } else {
                    other_sync
                        .sync_assignee(f.integration, &event, None)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    let expected = match (EVENTS - 1) % 3 {
        0 => Some(Assignee::User(f.alice)),
        1 => Some(Assignee::User(bob)),
        _ => None,
    };
    assert_eq!(f.assignee_of(f.issue).await, expected);
    let activities = f.store.activities(f.issue).await.unwrap();
    for pair in activities.windows(2) {
        assert!(
            pair[0].data.occurred_at <= pair[1].data.occurred_at,
            "{pair:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_on_two_stores_claim_each_delivery_once() {
    let (_directory, url) = fresh_file();
    let stores = [
        Arc::new(SqliteStore::open(&url).await.unwrap()),
        Arc::new(SqliteStore::open(&url).await.unwrap()),
    ];
    let mut enqueued = BTreeSet::new();
    for n in 0..40_i64 {
        let key = format!("jira:1/APP-{}", n % 5);
        let id = stores[0]
            .enqueue(delivery(Some(&key), Some(n)))
            .await
            .unwrap();
        enqueued.insert(id);
    }

    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let store = Arc::clone(&stores[worker % 2]);
            tokio::spawn(async move {
                let mut completed = Vec::new();
                loop {
                    let claimed = store.claim(t0(), Duration::from_secs(30), 3).await.unwrap();
                    if claimed.is_empty() {
                        let depth = store.depth(t0()).await.unwrap();
                        if depth.ready == 0 && depth.leased == 0 {
                            return completed;
                        }
                        tokio::task::yield_now().await;
                        continue;
                    }
                    for delivery in claimed {
                        store.complete(delivery.id, delivery.attempt).await.unwrap();
                        completed.push(delivery.id);
                    }
                }
            })
        })
        .collect();
    let mut completed = Vec::new();
    for worker in workers {
        completed.extend(worker.await.unwrap());
    }

    let distinct: BTreeSet<_> = completed.iter().copied().collect();
    assert_eq!(
        completed.len(),
        distinct.len(),
        "a delivery was completed twice"
    );
    assert_eq!(distinct, enqueued);
    let done = stores[1]
        .list(Some(DeliveryState::Done), 100)
        .await
        .unwrap();
    assert!(done.iter().all(|summary| summary.attempts == 1), "{done:?}");
}
