//! Connecting to PostgreSQL: errors that name the database without its password, and
//! migrations that are a no-op the second time and when two instances connect at once.
//! The tests that need a server are skipped (passing) when `JIRASYNC_TEST_DATABASE_URL` is not
//! set.
#![cfg(feature = "postgres")]

#[path = "support/pool_size.rs"]
mod pool_size;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use std::time::Duration;

use jirasync_domain::ids::OrganizationId;
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_store::postgres::{PostgresOptions, PostgresStore};
use jirasync_store::{DatabaseUrl, OpenError, SCHEMA_VERSION};

use pool_size::pool_sizes_shown;
use postgres_support::{create_fresh_schema, drop_schema, options_in, test_database_url};

fn quick_options() -> PostgresOptions {
    PostgresOptions {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(500),
        schema: None,
        ..PostgresOptions::default()
    }
}

#[tokio::test]
async fn unreachable_server_is_a_connect_error_without_the_password() {
    let url = DatabaseUrl::new("postgres://app:hunter2secret@127.0.0.1:1/jirasync");
    let error = PostgresStore::connect_with(&url, quick_options())
        .await
        .unwrap_err();
    assert!(matches!(error, OpenError::Connect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter2secret"), "{message}");
    assert!(!format!("{error:?}").contains("hunter2secret"), "{error:?}");
}

#[tokio::test]
async fn malformed_url_is_an_invalid_url_error_without_the_password() {
    let url = DatabaseUrl::new("postgres://app:hunter2secret@127.0.0.1:notaport/jirasync");
    let error = PostgresStore::connect_with(&url, quick_options())
        .await
        .unwrap_err();
    assert!(matches!(error, OpenError::InvalidUrl { .. }), "{error:?}");
    assert!(!error.to_string().contains("hunter2secret"), "{error}");
}

#[allow(clippy::expect_used)] // test set-up: failing to read fails the test
async fn applied_migrations(store: &PostgresStore) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT version, checksum FROM jirasync_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("read the applied migrations")
}

#[tokio::test]
async fn connecting_twice_applies_the_migrations_once() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let first = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    let recorded = applied_migrations(&first).await;
    let versions: Vec<i64> = recorded.iter().map(|(version, _)| *version).collect();
    assert_eq!(
        versions,
        (2..=SCHEMA_VERSION).collect::<Vec<_>>(),
        "a fresh schema gets the new layout directly"
    );
    let second = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    assert_eq!(applied_migrations(&second).await, recorded);
    first.close().await;
    second.close().await;
    drop_schema(&url, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connects_migrate_once() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let connects: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            let options = options_in(&schema);
            tokio::spawn(async move { PostgresStore::connect_with(&url, options).await })
        })
        .collect();
    let mut stores = Vec::new();
    for connect in connects {
        stores.push(connect.await.unwrap().unwrap());
    }
    assert_eq!(
        applied_migrations(&stores[0]).await.len(),
        usize::try_from(SCHEMA_VERSION - 1).unwrap(),
        "versions 2 to {SCHEMA_VERSION}, once each"
    );
    for store in stores {
        store.close().await;
    }
    drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn changed_migration_checksum_is_refused() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let store = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    sqlx::query("UPDATE jirasync_migrations SET checksum = 'edited' WHERE version = 2")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let error = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap_err();
    assert!(matches!(error, OpenError::Migrate { .. }), "{error:?}");
    assert!(error.to_string().contains("checksum"), "{error}");
    drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn database_newer_than_this_build_is_refused() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let store = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO jirasync_migrations (version, name, checksum, applied_at)
         VALUES (9999, 'from the future', 'x', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    let error = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("newer"), "{error}");
    drop_schema(&url, &schema).await;
}

/// `url` with `schema` as its search path, as an operator would set it.
fn url_in_schema(url: &DatabaseUrl, schema: &str) -> DatabaseUrl {
    let separator = if url.expose_secret().contains('?') {
        '&'
    } else {
        '?'
    };
    DatabaseUrl::new(format!(
        "{}{separator}options=-c%20search_path%3D{schema}",
        url.expose_secret()
    ))
}

#[tokio::test]
async fn open_gives_a_postgres_store_with_every_trait() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let store = jirasync_store::open(&url_in_schema(&url, &schema))
        .await
        .unwrap();
    assert!(format!("{store:?}").contains("PostgresStore"), "{store:?}");
    let id = OrganizationId::new(1);
    let saved = Organization {
        id,
        name: "acme".into(),
        features: OrganizationFeatures::all(),
    };
    store.save_organization(saved).await.unwrap();
    let organization = store.organization(id).await.unwrap().unwrap();
    assert_eq!(organization.name, "acme");
    drop(store);
    drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn open_with_sizes_the_main_pool_as_asked() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let options = jirasync_store::OpenOptions::default().with_max_connections(3);
    let store = jirasync_store::open_with(&url_in_schema(&url, &schema), options)
        .await
        .unwrap();
    // The main pool comes first; the standalone host's pool keeps its own size.
    let sizes = pool_sizes_shown(&store);
    assert_eq!(sizes.first().map(String::as_str), Some("3"), "{store:?}");
    assert!(sizes.iter().any(|size| size == "5"), "{store:?}");
    drop(store);
    drop_schema(&url, &schema).await;
}
