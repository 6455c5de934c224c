//! Two `PostgresStore`s on one schema, as two `jirasync serve` instances on one database (see
//! `support/two_stores.rs`), and their caches of the configuration. Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]
// Assertions are how a test fails.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;
#[path = "support/two_stores.rs"]
mod two_stores;

use jirasync_domain::IntegrationStore;
use jirasync_domain::conformance::fixture::Fixture;
use jirasync_domain::integration::SyncConfig;
use jirasync_store::postgres::PostgresStore;
use postgres_support::TestSchema;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_apply_shuffled_events_in_jira_order_and_duplicates_once() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let first = schema.store().await;
    let second = schema.store().await;
    two_stores::two_stores_apply_shuffled_events_in_jira_order_and_duplicates_once(
        first.clone(),
        second.clone(),
    )
    .await;
    first.close().await;
    second.close().await;
    schema.drop().await;
}

/// The organization links `store` reads for the fixture's integration: whether its link syncs
/// Jira assignees, and the integration's name.
async fn seen_by(store: &PostgresStore, f: &Fixture<PostgresStore>) -> (Vec<bool>, Option<String>) {
    let links = store.organization_links(f.integration).await.unwrap();
    let integration = store.integration(f.integration).await.unwrap();
    (
        links
            .iter()
            .map(|link| link.link.config.sync_reverse_assignment)
            .collect(),
        integration.map(|integration| integration.name),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_change_reaches_the_other_instance_and_at_once_this_one() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let first = schema.store().await;
    let second = schema.store().await;
    let f = Fixture::new(first.clone()).await;
    // The cache serves (once its listener listens).
    until_the_cache_serves(&first, &f).await;
    // Both read (and keep) the link as it is.
    assert_eq!(seen_by(&first, &f).await.0, [true]);
    assert_eq!(seen_by(&second, &f).await.0, [true]);

    // The first instance turns inbound assignee sync off: it sees its own change at once.
    let config = SyncConfig {
        sync_reverse_assignment: false,
        ..SyncConfig::all_on()
    };
    first
        .update_sync_config(f.organization, f.integration, config)
        .await
        .unwrap();
    assert_eq!(seen_by(&first, &f).await.0, [false]);
    // The second sees it once the notification arrives.
    eventually(|| async { seen_by(&second, &f).await.0 == [false] }).await;

    // A change made outside jirasync (an operator's `psql`) reaches both.
    sqlx::query("UPDATE jirasync_integrations SET name = 'Renamed'")
        .execute(first.pool())
        .await
        .unwrap();
    for store in [&first, &second] {
        eventually(|| async { seen_by(store, &f).await.1.as_deref() == Some("Renamed") }).await;
    }

    // Removing the link empties both caches.
    second
        .remove_link(f.organization, f.integration)
        .await
        .unwrap();
    assert_eq!(seen_by(&second, &f).await, (vec![], None));
    eventually(|| async { seen_by(&first, &f).await == (vec![], None) }).await;

    first.close().await;
    second.close().await;
    schema.drop().await;
}

/// The integration's name as `store` reads it (through its cache when it serves).
async fn name_seen_by(store: &PostgresStore, f: &Fixture<PostgresStore>) -> String {
    store
        .integration(f.integration)
        .await
        .unwrap()
        .unwrap()
        .name
}

/// Waits until `store`'s cache serves (its listener listens): a change the triggers do not
/// announce is then not seen.
async fn until_the_cache_serves(store: &PostgresStore, f: &Fixture<PostgresStore>) {
    eventually(|| async {
        let before = name_seen_by(store, f).await;
        rename_unannounced(store).await;
        name_seen_by(store, f).await == before
    })
    .await;
}

/// Renames the integration without the notification (its trigger off), as a change made while
/// a listener was away would be for that listener.
async fn rename_unannounced(store: &PostgresStore) {
    for statement in [
        "ALTER TABLE jirasync_integrations DISABLE TRIGGER jirasync_integrations_changed",
        "UPDATE jirasync_integrations SET name = name || '+'",
        "ALTER TABLE jirasync_integrations ENABLE TRIGGER jirasync_integrations_changed",
    ] {
        sqlx::query(statement).execute(store.pool()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_stops_the_cache_until_it_listens_again() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    let f = Fixture::new(store.clone()).await;
    until_the_cache_serves(&store, &f).await;

    // The listener's connection ends (a restart of PostgreSQL, a fail-over, a pooler). Every
    // listener of the test database is cut, other tests' too: theirs listen again the same way.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'jirasync-config-listener'",
    )
    .execute(store.pool())
    .await
    .unwrap();
    // What the cache held is not served any more, and a change nobody announced to this
    // instance (its listener was away) is seen.
    let current = sqlx::query_scalar::<_, String>("SELECT name FROM jirasync_integrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    eventually(|| async { name_seen_by(&store, &f).await == current }).await;
    rename_unannounced(&store).await;
    let renamed = format!("{current}+");
    eventually(|| async { name_seen_by(&store, &f).await == renamed }).await;

    // It listens again: the cache serves again.
    until_the_cache_serves(&store, &f).await;
    store.close().await;
    schema.drop().await;
}

/// Waits until `condition` holds, failing after 10 s: a notification normally arrives within
/// milliseconds, and a listener listens within milliseconds of the store's start.
async fn eventually<F, Fut>(condition: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition().await {
        assert!(std::time::Instant::now() < deadline, "not within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
