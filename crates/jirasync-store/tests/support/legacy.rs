//! Shared by the legacy-upgrade tests: a version-1 database (the schema of jirasync 0.1 with a
//! row in every table, `fixtures/version_1_rows.sql`) and what an upgraded store must still
//! hold, read through the traits.

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, SystemTime};

use jirasync_domain::activity::ActivityKind;
use jirasync_domain::external_actor::{
    ActorFilter, ActorTarget, ExternalProvider, NewExternalActor,
};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::inbox::{DeliverySource, Inbox};
use jirasync_domain::integration::{JiraCredentials, LinkStatus};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::store::{IssueSyncRequest, IssueSyncStart, SyncKind};
use jirasync_domain::{Host, LocalIssueStore, StateStore, SyncStore};
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey, WebhookSecret};

/// What jirasync 0.1 left in a database: its schema (`schema`, that back-end's
/// `0001_initial.sql`), the rows of `fixtures/version_1_rows.sql` (`blob` and `integer` are the
/// back-end's binary and 64-bit integer types) and its migration history.
pub(crate) fn version_1_database(schema: &str, blob: &str, integer: &str) -> String {
    let rows = include_str!("../fixtures/version_1_rows.sql").replace("{blob}", blob);
    let checksum = recorded_checksum(schema);
    format!(
        "{schema}\n{rows}\n\
         CREATE TABLE jirasync_migrations (version {integer} PRIMARY KEY, name TEXT NOT NULL, \
         checksum TEXT NOT NULL, applied_at {integer} NOT NULL);\n\
         INSERT INTO jirasync_migrations VALUES (1, 'initial', '{checksum}', 0);\n"
    )
}

/// The checksum a version-1 build recorded for its migration (64-bit FNV-1a of the SQL, as
/// `jirasync_migrations` keeps it): existing databases hold this value, so it must never change.
pub(crate) fn recorded_checksum(sql: &str) -> String {
    let hash = sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("fnv1a64:{hash:016x}")
}

/// Every row of `fixtures/version_1_rows.sql` is there, read through the traits of a store
/// opened with the standalone layout; new rows take new ids; a sync session runs.
pub(crate) async fn assert_version_1_rows_are_kept<S>(store: &S)
where
    S: SyncStore + Inbox + Host + LocalIssueStore + StateStore,
{
    let organization = OrganizationId::new(1);
    let alice = UserId::new(2);
    let issue = LocalIssueId::new(5);
    let integration = IntegrationId::new(6);
    let key = IssueKey::new("APP-1");

    // jirasync's bookkeeping.
    let organizations = store.organizations().await.unwrap();
    assert_eq!(organizations.len(), 1);
    assert_eq!(organizations[0].name, "acme");
    let stored = store.integration(integration).await.unwrap().unwrap();
    assert_eq!(stored.external_id.as_str(), "jira.example.com:jirasync");
    assert_eq!(
        stored.metadata.webhook_secrets,
        [
            WebhookSecret::new("first-secret"),
            WebhookSecret::new("second-secret")
        ]
    );
    let links = store.organization_links(integration).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].link.status, LinkStatus::Active);
    assert!(links[0].link.config.sync_reverse_assignment);
    let identity = store
        .identity(organization, integration)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(links[0].link.default_identity_id, Some(identity.id));
    assert_eq!(identity.installed_by, Some(alice));
    assert!(matches!(
        identity.credentials,
        JiraCredentials::OAuth1 { ref consumer_key, .. } if consumer_key.as_str() == "jirasync"
    ));
    let linked = store
        .linked_issues(integration, &key, &[organization])
        .await
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].local_issue_id, issue);
    let external = store.external_issues_of(issue).await.unwrap();
    assert_eq!(external.len(), 1);
    assert_eq!(
        external[0].assignee_updated_at,
        Some(EventTime::from_unix_millis(5_000))
    );
    assert_eq!(
        store
            .watermark(organization, integration, &key, SyncKind::Status)
            .await
            .unwrap(),
        Some(EventTime::from_unix_millis(6_000))
    );
    let logged = DeliveryKey::from_stored("APP-1|10001|jira:issue_updated");
    assert!(
        store
            .delivery_seen(integration, SyncKind::Assignee, &logged)
            .await
            .unwrap()
    );
    let actors = store
        .external_actors(organization, ActorFilter::All)
        .await
        .unwrap();
    assert_eq!(actors.len(), 1);
    assert_eq!(actors[0].target, ActorTarget::User(alice));

    // The standalone host's tables.
    assert_eq!(
        store
            .users_with_verified_email("ALICE@example.com")
            .await
            .unwrap(),
        [alice]
    );
    assert_eq!(
        store.assignable_users(issue, &[alice]).await.unwrap(),
        [alice]
    );
    let read = store.issue(issue).await.unwrap().unwrap();
    assert_eq!(read.assignee, Some(Assignee::User(alice)));
    assert_eq!(read.status, ResolutionStatus::Unresolved);
    assert!(
        store
            .in_organization(organization, ActorTarget::User(alice))
            .await
            .unwrap()
    );
    let activities = store.activities(issue).await.unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].kind, ActivityKind::Assigned);
    let exported = store.export_state().await.unwrap();
    assert_eq!(
        (
            exported.teams.len(),
            exported.projects.len(),
            exported.team_projects.len()
        ),
        (1, 1, 1)
    );

    // The pending delivery keeps its token, verified once more when processed.
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let claimed = store.claim(at, Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id.get(), 10);
    assert_eq!(
        claimed[0].delivery.source,
        DeliverySource::LegacyToken(jirasync_webhook::WebhookToken::new("legacy.url.token"))
    );
    assert_eq!(
        claimed[0].delivery.body,
        br#"{"webhookEvent":"jira:issue_updated"}"#
    );

    // Ids go on after the ones given before, the deleted actor's included.
    let actor = store
        .insert_external_actor(NewExternalActor {
            organization_id: organization,
            integration_id: integration,
            provider: ExternalProvider::JiraServer,
            external_name: "alice.smith".into(),
            external_id: None,
            target: ActorTarget::User(alice),
        })
        .await
        .unwrap();
    assert_eq!(actor.id.get(), 3);

    // A sync of the linked issue runs and moves the watermark.
    let request = IssueSyncRequest {
        integration_id: integration,
        issue_key: key.clone(),
        kind: SyncKind::Assignee,
        organizations: vec![organization],
        delivery_key: None,
    };
    let IssueSyncStart::Started(session) = store.begin_issue_sync(request).await.unwrap() else {
        panic!("no delivery key: never a duplicate");
    };
    let newer = EventTime::from_unix_millis(8_000);
    session
        .commit(&[(organization, newer)], Vec::new())
        .await
        .unwrap();
    assert_eq!(
        store
            .watermark(organization, integration, &key, SyncKind::Assignee)
            .await
            .unwrap(),
        Some(newer)
    );
}
