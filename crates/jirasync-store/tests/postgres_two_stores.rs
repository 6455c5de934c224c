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
    let name = |store: &PostgresStore| {
        let store = store.clone();
        async move {
            store
                .integration(f.integration)
                .await
                .unwrap()
                .unwrap()
                .name
        }
    };
    // The cache serves (once its listener listens): a change the triggers do not announce is
    // not seen.
    sqlx::query("ALTER TABLE jirasync_integrations DISABLE TRIGGER jirasync_integrations_changed")
        .execute(first.pool())
        .await
        .unwrap();
    eventually(|| async {
        let before = name(&first).await;
        sqlx::query("UPDATE jirasync_integrations SET name = name || '+'")
            .execute(first.pool())
            .await
            .unwrap();
        name(&first).await == before
    })
    .await;
    sqlx::query("ALTER TABLE jirasync_integrations ENABLE TRIGGER jirasync_integrations_changed")
        .execute(first.pool())
        .await
        .unwrap();
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
