//! The state file on SQLite: the domain's state conformance suite on a fresh file per test, and
//! what only an SQL store can get wrong (a write refused half-way, the inbox, id sequences).
#![cfg(feature = "sqlite")]
// A test fails by panicking.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[allow(dead_code)]
mod sqlite_support;

use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use jirasync_domain::ids::{IntegrationId, OrganizationId, UserId};
use jirasync_domain::state::conformance::{SCENE, scene};
use jirasync_domain::state::{EmailRecord, StateStore, export_state_json, import_state};
use jirasync_domain::{ExternalActorStore, StoreError};
use jirasync_store::inbox::conformance::delivery;
use jirasync_store::inbox::{DeliveryState, Inbox};
use jirasync_store::sqlite::SqliteStore;

use sqlite_support::fresh_file;

jirasync_domain::state_conformance_tests!(sqlite_support::fresh_store());

/// The example of `docs/state-format.md`, written exactly as an export writes it.
const EXAMPLE: &[u8] = include_bytes!("../../../tests/fixtures/state/example.json");

#[tokio::test]
async fn example_file_imports_and_exports_byte_for_byte() {
    let store = sqlite_support::fresh_store().await;
    let summary = import_state(&store, EXAMPLE).await.unwrap();
    assert_eq!((summary.users, summary.external_issues), (3, 3));
    let exported = export_state_json(&store).await.unwrap();
    assert_eq!(
        String::from_utf8(exported).unwrap(),
        String::from_utf8(EXAMPLE.to_vec()).unwrap()
    );
}

#[tokio::test]
async fn store_error_mid_import_leaves_the_previous_state() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    import_state(&store, SCENE.as_bytes()).await.unwrap();
    let before = export_state_json(&store).await.unwrap();

    // The last table refuses its rows: everything before it was deleted and written already.
    let saboteur = sqlx::SqlitePool::connect(url.expose()).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_activities BEFORE INSERT ON activities \
         BEGIN SELECT RAISE(ABORT, 'the disk refused the activity'); END",
    )
    .execute(&saboteur)
    .await
    .unwrap();

    let error = import_state(&store, EXAMPLE).await.unwrap_err();
    assert!(
        error.to_string().contains("the disk refused the activity"),
        "{error}"
    );
    assert_eq!(export_state_json(&store).await.unwrap(), before);
}

#[tokio::test]
async fn replace_state_checks_the_file_rules_before_writing() {
    let store = sqlite_support::fresh_store().await;
    import_state(&store, SCENE.as_bytes()).await.unwrap();
    let before = export_state_json(&store).await.unwrap();

    // The schema's key on (user, address) would refuse it too, with a less useful message.
    let mut twice = scene();
    let address = twice.users[0].emails[0].address.clone();
    twice.users[0].emails.push(EmailRecord {
        address,
        verified: false,
    });
    let error = store.replace_state(&twice).await.unwrap_err();
    assert!(matches!(error, StoreError::Invalid { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "invalid input: users[0] (id 201): e-mail address \"alice@example.com\" is listed twice"
    );
    assert_eq!(export_state_json(&store).await.unwrap(), before);
}

#[tokio::test]
async fn import_leaves_the_inbox_alone() {
    let store = sqlite_support::fresh_store().await;
    let id = store
        .enqueue(delivery(Some("jira:1/APP-1"), Some(1)))
        .await
        .unwrap();
    import_state(&store, SCENE.as_bytes()).await.unwrap();
    let pending = store.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, id);
}

#[tokio::test]
async fn actor_ids_given_before_an_import_are_not_given_again() {
    let store = sqlite_support::fresh_store().await;
    import_state(&store, SCENE.as_bytes()).await.unwrap();
    // The example's actors have ids 18 and 19, below the scene's 901 and 902.
    import_state(&store, EXAMPLE).await.unwrap();
    let actor = store
        .insert_external_actor(NewExternalActor {
            organization_id: OrganizationId::new(1),
            integration_id: IntegrationId::new(13),
            provider: ExternalProvider::JiraServer,
            external_name: "bob.b".into(),
            external_id: None,
            target: ActorTarget::User(UserId::new(3)),
        })
        .await
        .unwrap();
    assert!(actor.id.get() > 902, "new actor id {}", actor.id);
}
