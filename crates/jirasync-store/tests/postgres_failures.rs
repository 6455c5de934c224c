//! How the PostgreSQL store fails: a database it cannot reach is `Unavailable` (retry later), a
//! write a constraint refuses is `Invalid` or `Conflict`, and neither leaves a trace.
//! Skipped (passing) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]
// Assertions are how a test fails.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use jirasync_domain::conformance::fixture::{Fixture, KEY};
use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use jirasync_domain::ids::UserId;
use jirasync_domain::store::{
    AssigneePlan, AssigneeTarget, OrganizationAssignments, PlanApplied, SyncKind,
};
use jirasync_domain::{
    ExternalActorStore, IssueLinkStore, IssueSyncStore, StoreError, WatermarkStore,
};
use jirasync_store::postgres::PostgresStore;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use postgres_support::TestSchema;

/// A fresh schema, a store on it, and the conformance fixture seeded through the store.
async fn scene() -> Option<(TestSchema, PostgresStore, Fixture<PostgresStore>)> {
    let schema = TestSchema::create().await?;
    let store = schema.store().await;
    let f = Fixture::new(store.clone()).await;
    Some((schema, store, f))
}

/// A plan assigning `user` to the fixture's issue at 5 000 ms, with a delivery key.
fn plan_assigning(f: &Fixture<PostgresStore>, user: UserId) -> AssigneePlan {
    AssigneePlan {
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        occurred_at: Some(EventTime::from_unix_millis(5_000)),
        delivery_key: Some(delivery_key()),
        organizations: vec![OrganizationAssignments {
            organization_id: f.organization,
            changes: vec![(f.issue, AssigneeTarget::User(user))],
        }],
    }
}

/// The plan assigning Alice is applied, not refused as a duplicate.
async fn assert_assigning_alice_applies(store: &PostgresStore, f: &Fixture<PostgresStore>) {
    let applied = store
        .apply_assignee_plan(plan_assigning(f, f.alice))
        .await
        .unwrap();
    assert!(matches!(applied, PlanApplied::Applied(_)), "{applied:?}");
}

fn delivery_key() -> DeliveryKey {
    DeliveryKey::new(KEY, "20001", "jira:issue_updated")
}

/// The fixture's issue is as seeded: unassigned, no activity, no watermark, delivery unseen.
async fn assert_untouched(store: &PostgresStore, f: &Fixture<PostgresStore>) {
    let issue = store.local_issue(f.issue).await.unwrap().unwrap();
    assert_eq!(issue.assignee, None);
    assert!(store.activities(f.issue).await.unwrap().is_empty());
    let watermark = store
        .watermark(
            f.organization,
            f.integration,
            &IssueKey::new(KEY),
            SyncKind::Assignee,
        )
        .await
        .unwrap();
    assert_eq!(watermark, None);
    let seen = store
        .delivery_seen(f.integration, SyncKind::Assignee, &delivery_key())
        .await
        .unwrap();
    assert!(!seen, "the delivery was recorded");
}

#[tokio::test]
async fn plan_on_a_closed_pool_is_unavailable_and_changes_nothing() {
    let Some((schema, store, f)) = scene().await else {
        return;
    };

    store.close().await;
    let error = store
        .apply_assignee_plan(plan_assigning(&f, f.alice))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        error.to_string().contains("applying an assignee plan"),
        "{error}"
    );

    let reopened = schema.store().await;
    assert_untouched(&reopened, &f).await;
    reopened.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn plan_refused_by_a_foreign_key_is_invalid_and_rolled_back() {
    let Some((schema, store, f)) = scene().await else {
        return;
    };

    // No such user: the assignee row's foreign key refuses it, after the delivery was logged
    // and the external issue locked in the same transaction.
    let error = store
        .apply_assignee_plan(plan_assigning(&f, UserId::new(999_999)))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid { .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert_untouched(&store, &f).await;

    // The same delivery, now valid, is applied: the refused attempt left no log entry.
    assert_assigning_alice_applies(&store, &f).await;
    store.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn duplicate_external_actor_is_a_conflict_and_keeps_the_first() {
    let Some((schema, store, f)) = scene().await else {
        return;
    };
    let actor = NewExternalActor {
        organization_id: f.organization,
        integration_id: f.integration,
        provider: ExternalProvider::JiraServer,
        external_name: "alice".into(),
        external_id: None,
        target: ActorTarget::User(f.alice),
    };

    let first = store.insert_external_actor(actor.clone()).await.unwrap();
    let error = store.insert_external_actor(actor).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    let named = store
        .external_actors_named(
            f.organization,
            ExternalProvider::JiraServer,
            ActorTarget::User(f.alice),
            "alice",
        )
        .await
        .unwrap();
    assert_eq!(named, vec![first]);
    store.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_closed_are_replaced_before_a_call_uses_them() {
    let Some((schema, store, f)) = scene().await else {
        return;
    };
    // Every connection the pool holds (it opens up to five for the test schema)...
    let mut held = Vec::new();
    let mut pids = Vec::new();
    for _ in 0..5 {
        let mut connection = store.pool().acquire().await.unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        pids.push(pid);
        held.push(connection);
    }
    drop(held);
    // ...is closed by the server, as a restart or an idle timeout would.
    let admin = sqlx::PgPool::connect(postgres_support::test_database_url().unwrap().expose())
        .await
        .unwrap();
    for pid in pids {
        let closed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&admin)
            .await
            .unwrap();
        assert!(closed, "backend {pid} was terminated");
    }
    admin.close().await;

    // The next call still succeeds: the pool finds each dead connection before using it.
    assert_assigning_alice_applies(&store, &f).await;

    store.close().await;
    schema.drop().await;
}
