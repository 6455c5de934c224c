//! Opening SQLite databases: URL forms, migrations applied once and checked, concurrent opens,
//! errors that name the URL, and schema constraints refusing bad rows.
#![cfg(feature = "sqlite")]
// The helpers reading the file behind the store's back fail the test when the driver fails.
#![allow(clippy::expect_used)]

#[path = "support/pool_size.rs"]
mod pool_size;
#[allow(dead_code)]
mod sqlite_support;

use jirasync_domain::external_actor::ActorTarget;
use jirasync_domain::ids::{LocalIssueId, OrganizationId, ProjectId, TeamId, UserId};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_domain::people::UserEmail;
use jirasync_domain::{Host, LocalIssueStore, OrganizationStore, Seed, StateStore, StoreError};
use jirasync_store::sqlite::SqliteStore;
use jirasync_store::{DatabaseUrl, OpenError, SCHEMA_VERSION};

use pool_size::pool_sizes_shown;
use sqlite_support::fresh_file;

/// The rows of `jirasync_migrations` as (version, checksum, applied_at), read with the driver.
async fn recorded_migrations(url: &DatabaseUrl) -> Vec<(i64, String, i64)> {
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .expect("connect");
    let rows = sqlx::query_as(
        "SELECT version, checksum, applied_at FROM jirasync_migrations ORDER BY version",
    )
    .fetch_all(&pool)
    .await
    .expect("read the migrations table");
    pool.close().await;
    rows
}

/// Runs one statement on the database with the driver, behind the store's back.
async fn execute(url: &DatabaseUrl, sql: &str) {
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .expect("connect");
    sqlx::query(sql).execute(&pool).await.expect("execute");
    pool.close().await;
}

#[tokio::test]
async fn creates_a_missing_file_and_applies_the_migrations() {
    let (directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    assert!(directory.path().join("jirasync.db").exists());
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    assert!(store.organization(organization).await.unwrap().is_some());
    let versions: Vec<i64> = recorded_migrations(&url)
        .await
        .into_iter()
        .map(|(version, _, _)| version)
        .collect();
    assert_eq!(
        versions,
        (2..=SCHEMA_VERSION).collect::<Vec<_>>(),
        "a fresh file gets the new layout directly"
    );
}

#[tokio::test]
async fn a_file_database_runs_in_wal_mode() {
    let (_directory, url) = fresh_file();
    drop(SqliteStore::open(&url).await.unwrap());
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn migrations_applied_twice_on_one_file_change_nothing() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    drop(store);
    let before = recorded_migrations(&url).await;

    let reopened = SqliteStore::open(&url).await.unwrap();
    assert_eq!(recorded_migrations(&url).await, before);
    let kept = reopened.organization(organization).await.unwrap();
    assert_eq!(
        kept.map(|organization| organization.name),
        Some("acme".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_opens_racing_on_a_fresh_file_both_succeed() {
    for _ in 0..10 {
        let (_directory, url) = fresh_file();
        let (first, second) = tokio::join!(SqliteStore::open(&url), SqliteStore::open(&url));
        let (first, second) = (first.unwrap(), second.unwrap());
        let organization = first
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        assert!(second.organization(organization).await.unwrap().is_some());
        assert_eq!(
            recorded_migrations(&url).await.len(),
            usize::try_from(SCHEMA_VERSION - 1).unwrap(),
            "versions 2 to {SCHEMA_VERSION}, once each"
        );
    }
}

#[tokio::test]
async fn refuses_a_database_whose_applied_migration_was_edited() {
    let (_directory, url) = fresh_file();
    drop(SqliteStore::open(&url).await.unwrap());
    execute(
        &url,
        "UPDATE jirasync_migrations SET checksum = 'edited' WHERE version = 2",
    )
    .await;

    let error = SqliteStore::open(&url).await.unwrap_err();
    assert!(matches!(error, OpenError::Migrate { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("different SQL"), "{message}");
    assert!(message.contains(url.expose_secret()), "{message}");
}

#[tokio::test]
async fn refuses_a_database_migrated_by_a_newer_build() {
    let (_directory, url) = fresh_file();
    drop(SqliteStore::open(&url).await.unwrap());
    execute(
        &url,
        "INSERT INTO jirasync_migrations (version, name, checksum, applied_at) \
         VALUES (999, 'future', 'x', 0)",
    )
    .await;

    let error = SqliteStore::open(&url).await.unwrap_err();
    assert!(matches!(error, OpenError::Migrate { .. }), "{error}");
    assert!(error.to_string().contains("newer"), "{error}");
}

#[tokio::test]
async fn a_file_in_a_missing_directory_is_a_connect_error_naming_the_url() {
    let url = DatabaseUrl::new("sqlite:///nonexistent-dir/x.db");
    let error = SqliteStore::open(&url).await.unwrap_err();
    assert!(matches!(error, OpenError::Connect { .. }), "{error}");
    assert!(
        error.to_string().contains("sqlite:///nonexistent-dir/x.db"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_url_parameter_is_an_invalid_url() {
    let url = DatabaseUrl::new("sqlite://x.db?colour=blue");
    let error = SqliteStore::open(&url).await.unwrap_err();
    assert!(matches!(error, OpenError::InvalidUrl { .. }), "{error}");
    assert!(
        error.to_string().contains("sqlite://x.db?colour=blue"),
        "{error}"
    );
}

#[tokio::test]
async fn opens_every_url_form() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    let forms = [
        format!("sqlite://{}", path.join("slashes.db").display()),
        format!("sqlite:{}", path.join("colon.db").display()),
        path.join("bare.db").display().to_string(),
        "sqlite::memory:".to_owned(),
    ];
    for form in forms {
        let store = jirasync_store::open(&DatabaseUrl::new(form.clone()))
            .await
            .unwrap_or_else(|error| panic!("{form}: {error}"));
        let organization = Organization {
            id: OrganizationId::new(1),
            name: "acme".into(),
            features: OrganizationFeatures::all(),
        };
        store.save_organization(organization.clone()).await.unwrap();
        assert_eq!(
            store.organization(organization.id).await.unwrap(),
            Some(organization),
            "{form}"
        );
    }
    for file in ["slashes.db", "colon.db", "bare.db"] {
        assert!(path.join(file).exists(), "{file}");
    }
}

#[tokio::test]
async fn a_local_issue_in_a_missing_project_is_refused_and_nothing_is_written() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let refused = store
        .seed_local_issue(ProjectId::new(999), ResolutionStatus::Unresolved, None)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid { .. })),
        "{refused:?}"
    );
    assert_eq!(store.local_issue(LocalIssueId::new(1)).await.unwrap(), None);
}

#[tokio::test]
async fn a_team_membership_of_a_missing_user_is_refused_and_nothing_is_written() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let team = store.seed_team(organization, "web").await.unwrap();
    let missing = UserId::new(999);
    let refused = store.seed_team_member(team, missing, true).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid { .. })),
        "{refused:?}"
    );
    assert!(
        !store
            .in_organization(organization, ActorTarget::User(missing))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_team_in_a_missing_organization_is_refused() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let refused = store.seed_team(OrganizationId::new(7), "web").await;
    assert!(
        matches!(refused, Err(StoreError::Invalid { .. })),
        "{refused:?}"
    );
    assert!(
        !store
            .in_organization(OrganizationId::new(7), ActorTarget::Team(TeamId::new(1)))
            .await
            .unwrap()
    );
    assert!(store.export_state().await.unwrap().teams.is_empty());
}

#[tokio::test]
async fn e_mails_keep_their_order_and_match_ignoring_unicode_case() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let emails = vec![
        UserEmail::unverified("zoë@example.com"),
        UserEmail::verified("ÉLODIE@Example.com"),
    ];
    let user = store.seed_user(true, emails.clone()).await.unwrap();
    let users = store.export_state().await.unwrap().users;
    assert_eq!(users.len(), 1);
    let stored: Vec<(String, bool)> = users[0]
        .emails
        .iter()
        .map(|email| (email.address.clone(), email.verified))
        .collect();
    let given: Vec<(String, bool)> = emails
        .iter()
        .map(|email| (email.address.clone(), email.verified))
        .collect();
    assert_eq!(stored, given);
    let found = store
        .users_with_verified_email("élodie@example.COM")
        .await
        .unwrap();
    assert_eq!(found, vec![user]);
    let unverified = store
        .users_with_verified_email("ZOË@example.com")
        .await
        .unwrap();
    assert!(unverified.is_empty());
}

#[tokio::test]
async fn open_with_sizes_the_pool_as_asked_or_by_default() {
    let (_directory, url) = fresh_file();
    let options = jirasync_store::OpenOptions::default().with_max_connections(3);
    let store = jirasync_store::open_with(&url, options).await.unwrap();
    assert_eq!(pool_sizes_shown(&store), ["3"], "{store:?}");
    drop(store);
    let store = jirasync_store::open(&url).await.unwrap();
    assert_eq!(pool_sizes_shown(&store), ["8"], "{store:?}");
    // No pool without a connection.
    let options = jirasync_store::OpenOptions::default().with_max_connections(0);
    assert_eq!(options.max_connections, Some(1));
}

/// The `CREATE` statement of table `name` and how many indexes it has, read behind the store's
/// back.
async fn table_shape(url: &DatabaseUrl, name: &str) -> (String, i64) {
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .expect("connect");
    let shape = sqlx::query_as(
        "SELECT sql, (SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = $1) \
         FROM sqlite_schema WHERE type = 'table' AND name = $1",
    )
    .bind(name)
    .fetch_one(&pool)
    .await
    .expect("read the schema");
    pool.close().await;
    shape
}

#[tokio::test]
async fn migration_14_stores_the_leases_and_the_delivery_log_by_their_key_rows_kept() {
    use jirasync_domain::conformance::fixture::{Fixture, KEY};
    use jirasync_domain::store::{IssueSyncRequest, IssueSyncStart, IssueSyncStore, SyncKind};
    use jirasync_webhook::{DeliveryKey, IssueKey};

    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let f = Fixture::new(store.clone()).await;
    let request = IssueSyncRequest {
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        kind: SyncKind::Assignee,
        organizations: vec![f.organization],
        delivery_key: Some(DeliveryKey::new("10001", "20001", "jira:issue_updated")),
    };
    let IssueSyncStart::Started(session) = store.begin_issue_sync(request.clone()).await.unwrap()
    else {
        panic!("a new delivery key");
    };
    session.commit(&[], Vec::new()).await.unwrap();
    drop((f, store));
    // Back to version 13: both tables with a rowid and their key in an index of its own, and a
    // lease held by a session of another process.
    execute(
        &url,
        "CREATE TABLE locks_v13 (integration_id INTEGER NOT NULL, key TEXT NOT NULL, \
             holder TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (integration_id, key));
         INSERT INTO locks_v13 VALUES (1, 'APP-9', 'another-process', 32503680000000);
         DROP TABLE jirasync_issue_locks;
         ALTER TABLE locks_v13 RENAME TO jirasync_issue_locks;
         CREATE TABLE seen_v13 (integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) \
             ON DELETE CASCADE, kind TEXT NOT NULL CHECK (kind IN ('assignee', 'status', 'comment')), \
             delivery_key TEXT NOT NULL, PRIMARY KEY (integration_id, kind, delivery_key));
         INSERT INTO seen_v13 SELECT * FROM jirasync_seen_deliveries;
         DROP TABLE jirasync_seen_deliveries;
         ALTER TABLE seen_v13 RENAME TO jirasync_seen_deliveries;
         DELETE FROM jirasync_migrations WHERE version = 14;",
    )
    .await;
    for table in ["jirasync_issue_locks", "jirasync_seen_deliveries"] {
        let (sql, indexes) = table_shape(&url, table).await;
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        assert_eq!(indexes, 1, "{table}: the primary key's index");
    }

    let store = SqliteStore::open(&url).await.unwrap();
    for table in ["jirasync_issue_locks", "jirasync_seen_deliveries"] {
        let (sql, indexes) = table_shape(&url, table).await;
        assert!(sql.ends_with("WITHOUT ROWID"), "{sql}");
        assert_eq!(indexes, 0, "{table}: the key is the table's own order");
    }
    // The delivery log kept its key, and the lease its holder.
    assert!(matches!(
        store.begin_issue_sync(request).await.unwrap(),
        IssueSyncStart::Duplicate
    ));
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .expect("connect");
    let lease: (i64, String, String) =
        sqlx::query_as("SELECT integration_id, key, holder FROM jirasync_issue_locks")
            .fetch_one(&pool)
            .await
            .expect("read the lease");
    assert_eq!(lease, (1, "APP-9".to_owned(), "another-process".to_owned()));
    pool.close().await;
}
