//! Two stores on one database, as two `jirasync serve` instances (or processes) sharing it:
//! shuffled assignee and status events for one Jira issue linked in two organizations, each
//! delivered to both stores at once, converge on the newest event, the activity log never goes
//! back in Jira time, and a delivery sent to both is applied once. Shared by
//! `postgres_two_stores.rs` and `sqlite_two_stores.rs`.

// Assertions are how a test fails; event indexes are small.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use jirasync_domain::InboundSync;
use jirasync_domain::StaticJiraDirectory;
use jirasync_domain::activity::{Activity, ActivityKind};
use jirasync_domain::conformance::World;
use jirasync_domain::conformance::fixture::{
    DONE, Fixture, IN_PROGRESS, KEY, assigned_to_email, status_changed, unassigned,
};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::rules::outcome::HaltReason;
use jirasync_domain::store::SyncKind;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

/// Events of each kind; odd, so that the newest (index `EVENTS - 1`) is even.
const EVENTS: i64 = 49;
/// The Jira time of event `i` is `BASE_MS + i`.
const BASE_MS: i64 = 1_000;

type Sync<S> = InboundSync<S, S, StaticJiraDirectory>;

/// Which rule an event goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Assignee,
    Status,
}

/// Event `i` of `kind` through `sync` with its delivery key; whether it was refused as a
/// duplicate delivery. Even assignee events assign Alice, odd ones unassign; even status events
/// resolve, odd ones reopen.
async fn deliver<S: World + ?Sized>(
    sync: Arc<Sync<S>>,
    integration: jirasync_domain::ids::IntegrationId,
    kind: Kind,
    i: i64,
) -> bool {
    let key = DeliveryKey::new(KEY, &format!("{kind:?}-{i}"), "jira:issue_updated");
    let at = BASE_MS + i;
    let halt = match kind {
        Kind::Assignee => {
            let event = if i % 2 == 0 {
                assigned_to_email("alice@example.com", at)
            } else {
                unassigned(at)
            };
            sync.sync_assignee(integration, &event, Some(&key))
                .await
                .unwrap()
                .halt
        }
        Kind::Status => {
            let event = if i % 2 == 0 {
                status_changed(IN_PROGRESS, DONE, at)
            } else {
                status_changed(DONE, IN_PROGRESS, at)
            };
            sync.sync_status(integration, &event, Some(&key))
                .await
                .unwrap()
                .halt
        }
    };
    halt == Some(HaltReason::DuplicateDelivery)
}

/// The activities of one rule, in log order.
fn of_rule(activities: &[Activity], kinds: [ActivityKind; 2]) -> Vec<&Activity> {
    activities
        .iter()
        .filter(|activity| kinds.contains(&activity.kind))
        .collect()
}

/// Each rule's part of the log moves forward in Jira time and never records one change twice
/// in a row (a second application of one event would find nothing to change).
fn assert_log_is_ordered(activities: &[Activity]) {
    let assignee = [ActivityKind::Assigned, ActivityKind::Unassigned];
    let status = [ActivityKind::SetResolved, ActivityKind::SetUnresolved];
    for kinds in [assignee, status] {
        let log = of_rule(activities, kinds);
        assert!(!log.is_empty(), "no {kinds:?} activity");
        for (earlier, later) in log.iter().zip(log.iter().skip(1)) {
            assert!(earlier.id < later.id);
            assert!(
                earlier.data.occurred_at <= later.data.occurred_at,
                "the log went back in Jira time: {earlier:?} then {later:?}"
            );
            assert_ne!(
                earlier.kind, later.kind,
                "one change recorded twice in a row"
            );
        }
    }
}

/// Runs the scene on `first` and `second`, two stores on one database.
pub(crate) async fn two_stores_apply_shuffled_events_in_jira_order_and_duplicates_once<S>(
    first: S,
    second: S,
) where
    S: World + Clone + 'static,
{
    // Acme (the fixture) and Globex both link KEY; Alice has an account in each.
    let f = Fixture::new(first.clone()).await;
    let (globex, globex_project, globex_alice) = f.other_organization("alice@example.com").await;
    let globex_issue = f.linked_issue(globex, globex_project, KEY).await;
    let syncs = [
        Arc::new(InboundSync::new(
            Arc::new(first.clone()),
            Arc::new(first.clone()),
            Arc::clone(&f.directory),
        )),
        Arc::new(InboundSync::new(
            Arc::new(second.clone()),
            Arc::new(second.clone()),
            Arc::clone(&f.directory),
        )),
    ];

    // Every event goes to both instances; which one hears it first alternates.
    let mut tasks = Vec::new();
    for n in 0..EVENTS {
        let i = (n * 37 + 11) % EVENTS;
        for kind in [Kind::Assignee, Kind::Status] {
            for instance in [i % 2, 1 - i % 2] {
                let sync = Arc::clone(&syncs[usize::try_from(instance).unwrap()]);
                let integration = f.integration;
                tasks.push((kind, i, tokio::spawn(deliver(sync, integration, kind, i))));
            }
        }
    }
    let mut duplicates = std::collections::BTreeMap::<(i64, bool), usize>::new();
    for (kind, i, task) in tasks {
        let duplicate = task.await.unwrap();
        *duplicates.entry((i, kind == Kind::Assignee)).or_default() += usize::from(duplicate);
    }
    assert_eq!(duplicates.len(), usize::try_from(2 * EVENTS).unwrap());
    assert!(
        duplicates.values().all(|count| *count == 1),
        "each delivery refused as a duplicate by exactly one instance: {duplicates:?}"
    );

    // The newest event of each kind (even) assigned Alice and resolved, in both organizations.
    let newest = Some(EventTime::from_unix_millis(BASE_MS + EVENTS - 1));
    for (organization, issue, alice) in [
        (f.organization, f.issue, f.alice),
        (globex, globex_issue, globex_alice),
    ] {
        let local = second.local_issue(issue).await.unwrap().unwrap();
        assert_eq!(local.assignee, Some(Assignee::User(alice)));
        assert_eq!(local.status, ResolutionStatus::Resolved);
        assert_log_is_ordered(&second.activities(issue).await.unwrap());
        for kind in [SyncKind::Assignee, SyncKind::Status] {
            let watermark = second
                .watermark(organization, f.integration, &IssueKey::new(KEY), kind)
                .await
                .unwrap();
            assert_eq!(watermark, newest, "{kind:?} watermark of {organization}");
        }
    }
}
