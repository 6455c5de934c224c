//! How the PostgreSQL store fails: a database it cannot reach is `Unavailable` (retry later), a
//! write a constraint refuses is `Invalid` (a refusal of the host) or `Conflict`, and neither
//! leaves a trace.
//! Skipped (passing) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]
// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use jirasync_domain::activity::{ActivityData, ActivityKind};
use jirasync_domain::conformance::fixture::{Fixture, KEY, assigned_to_email};
use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use jirasync_domain::ids::UserId;
use jirasync_domain::issue::Assignee;
use jirasync_domain::store::{IssueSyncRequest, IssueSyncStart, SyncKind};
use jirasync_domain::{
    ExternalActorStore, Host, HostError, IssueChange, IssueSyncStore, LocalIssueStore, StoreError,
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

/// The session an assignee sync of the fixture's issue starts, with the delivery key.
fn sync_request(f: &Fixture<PostgresStore>) -> IssueSyncRequest {
    IssueSyncRequest {
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        kind: SyncKind::Assignee,
        organizations: vec![f.organization],
        delivery_key: Some(delivery_key()),
    }
}

/// Inbound sync assigning Alice at 5 000 ms (with the delivery key) through `store` is applied,
/// not refused as a duplicate.
async fn assert_assigning_alice_applies(store: &PostgresStore, f: &Fixture<PostgresStore>) {
    let sync = jirasync_domain::InboundSync::new(
        std::sync::Arc::new(store.clone()),
        std::sync::Arc::new(store.clone()),
        std::sync::Arc::clone(&f.directory),
    );
    let event = assigned_to_email("alice@example.com", 5_000);
    let applied = sync
        .sync_assignee(f.integration, &event, Some(&delivery_key()))
        .await
        .unwrap();
    assert_eq!((applied.changed, applied.halt), (1, None), "{applied:?}");
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
async fn sync_on_a_closed_pool_is_unavailable_and_changes_nothing() {
    let Some((schema, store, f)) = scene().await else {
        return;
    };

    store.close().await;
    let error = store.begin_issue_sync(sync_request(&f)).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("starting the sync of a Jira issue"),
        "{error}"
    );

    let reopened = schema.store().await;
    assert_untouched(&reopened, &f).await;
    reopened.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn host_write_refused_by_a_foreign_key_is_refused_and_the_session_commits_nothing() {
    let Some((schema, store, f)) = scene().await else {
        return;
    };

    // No such user: the assignee row's foreign key refuses it (the store's `Invalid`, a refusal
    // of the host), while the session holds the external issue locked; the session is then
    // dropped without commit, as the rule does on an error.
    let IssueSyncStart::Started(session) = store.begin_issue_sync(sync_request(&f)).await.unwrap()
    else {
        panic!("the delivery is new");
    };
    let change = IssueChange {
        issue: f.issue,
        kind: ActivityKind::Assigned,
        data: ActivityData::inbound(
            f.integration,
            Some(Assignee::User(UserId::new(999_999))),
            Some(EventTime::from_unix_millis(5_000)),
        ),
    };
    let error = store.apply_change(&change).await.unwrap_err();
    assert!(matches!(error, HostError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("invalid input"), "{error}");
    assert!(!error.is_retryable());
    drop(session);
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
    let admin = sqlx::PgPool::connect(
        postgres_support::test_database_url()
            .unwrap()
            .expose_secret(),
    )
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
