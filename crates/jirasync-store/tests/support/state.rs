//! Shared by the SQL stores' state tests: what only an SQL store can get wrong about the state
//! file (a write refused half-way, the file's rules checked first, the inbox, id sequences),
//! each as one function a back-end's test file calls with a fresh store.

// A test fails by panicking.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::future::Future;

use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use jirasync_domain::ids::{IntegrationId, OrganizationId, UserId};
use jirasync_domain::inbox::conformance::delivery;
use jirasync_domain::inbox::{DeliveryState, Inbox};
use jirasync_domain::state::conformance::{SCENE, scene};
use jirasync_domain::state::{EmailRecord, StateStore, export_state_json, import_state};
use jirasync_domain::{ExternalActorStore, StoreError};

/// The example of `docs/state-format.md`, written exactly as an export writes it.
pub(crate) const EXAMPLE: &[u8] = include_bytes!("../../../../tests/fixtures/state/example.json");

/// What the sabotaged table says when it refuses a row.
pub(crate) const REFUSAL: &str = "the disk refused the activity";

/// The example file imports, and exports byte for byte as it was written.
pub(crate) async fn example_file_imports_and_exports_byte_for_byte<S: StateStore>(store: &S) {
    let summary = import_state(store, EXAMPLE).await.unwrap();
    assert_eq!((summary.users, summary.external_issues), (3, 3));
    let exported = export_state_json(store).await.unwrap();
    assert_eq!(
        String::from_utf8(exported).unwrap(),
        String::from_utf8(EXAMPLE.to_vec()).unwrap()
    );
}

/// After `refuse_activities` makes the last table refuse its rows (with [`REFUSAL`]), an import
/// fails with the database's message after deleting and writing every other table, and the
/// previous state is still there, export for export.
pub(crate) async fn store_error_mid_import_leaves_the_previous_state<S, F>(
    store: &S,
    refuse_activities: F,
) where
    S: StateStore,
    F: Future<Output = ()>,
{
    import_state(store, SCENE.as_bytes()).await.unwrap();
    let before = export_state_json(store).await.unwrap();
    refuse_activities.await;

    let error = import_state(store, EXAMPLE).await.unwrap_err();
    assert!(error.to_string().contains(REFUSAL), "{error}");
    assert_eq!(export_state_json(store).await.unwrap(), before);
}

/// A snapshot breaking a rule of the file that the schema would refuse too is refused with the
/// file's message (its position in the file), and nothing changes.
pub(crate) async fn replace_state_checks_the_file_rules_before_writing<S: StateStore>(store: &S) {
    import_state(store, SCENE.as_bytes()).await.unwrap();
    let before = export_state_json(store).await.unwrap();

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
    assert_eq!(export_state_json(store).await.unwrap(), before);
}

/// An import keeps the inbox's deliveries.
pub(crate) async fn import_leaves_the_inbox_alone<S: StateStore + Inbox>(store: &S) {
    let id = store
        .enqueue(delivery(Some("jira:1/APP-1"), Some(1)))
        .await
        .unwrap();
    import_state(store, SCENE.as_bytes()).await.unwrap();
    let pending = store.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, id);
}

/// An external actor id given before an import (by the import itself here) is not given again
/// after a second import with smaller ids.
pub(crate) async fn actor_ids_given_before_an_import_are_not_given_again<S>(store: &S)
where
    S: StateStore + ExternalActorStore,
{
    import_state(store, SCENE.as_bytes()).await.unwrap();
    // The example's actors have ids 18 and 19, below the scene's 901 and 902.
    import_state(store, EXAMPLE).await.unwrap();
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
