//! The state conformance suite: how every [`StateStore`] must export and replace its state, run
//! against any store through the public traits.
//!
//! Enabled by the `testing` feature. A store crate runs it with one macro call in an integration
//! test (with `tokio`'s `macros` and `rt-multi-thread` features as a dev-dependency):
//!
//! ```ignore
//! jirasync_domain::state_conformance_tests!(async { my_store::connect_fresh().await });
//! ```
//!
//! The expression is evaluated once per test and must give a fresh, empty store. Every function
//! panics when the store breaks the contract: that is how a test fails.

// Assertions are how a conformance test reports a broken contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use jirasync_webhook::{DeliveryKey, EventTime, IssueKey, WebhookSecret};

use super::{StateError, StateSnapshot, StateStore, export_state_json, import_state};
use crate::StaticJiraDirectory;
use crate::app_data::{
    AppAssignee, AppId, ApplicationData, IssueData, OrganizationData, ProjectData, TeamData,
    TeamMemberData, UserData,
};
use crate::conformance::Fixture;
use crate::conformance::World;
use crate::conformance::fixture::{DONE, IN_PROGRESS, KEY, assigned_to_email, status_changed};
use crate::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use crate::ids::{
    ActivityId, ExternalActorId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, UserId,
};
use crate::integration::{ExternalId, JIRA_SERVER_PROVIDER, JiraCredentials, LinkStatus};
use crate::issue::{Assignee, ResolutionStatus};
use crate::people::UserEmail;
use crate::rules::external_actors::{ExternalActorInput, create_external_actor};
use crate::rules::inbound::InboundSync;
use crate::rules::install::{InstallRequest, install_jira_server};
use crate::secret::SecretString;
use crate::store::SyncKind;

/// Expands to one `#[tokio::test]` per state conformance behaviour, each running on a store made
/// by evaluating `$factory.await` (an `async` block giving a fresh store that implements
/// the conformance [`World`] and [`StateStore`]). With `optional:`, the block gives an `Option` of a
/// store and `None` skips the test (the factory prints why), as in
/// [`conformance_tests!`](crate::conformance_tests):
///
/// ```ignore
/// jirasync_domain::state_conformance_tests!(optional: async { connect_if_configured().await });
/// ```
#[macro_export]
macro_rules! state_conformance_tests {
    ($factory:expr) => {
        $crate::state_conformance_tests!(optional: async { Some($factory.await) });
    };
    (optional: $factory:expr) => {
        $crate::state_conformance_tests!(
            @each $factory;
            state_round_trip_through_an_emptied_store_is_byte_identical,
            state_import_replaces_everything_and_keeps_ids,
            state_ids_assigned_after_an_import_follow_the_imported_ones,
            state_refused_file_changes_nothing,
            state_import_clears_the_delivery_log_and_keeps_watermarks,
            state_imported_state_syncs,
            state_round_trip_keeps_the_applications_ids,
            state_file_without_app_ids_imports_and_leaves_none,
            state_refused_app_ids_change_nothing,
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                if let Some(store) = $factory.await {
                    $crate::state::conformance::$name(store).await;
                }
            }
        )*
    };
}

/// Two organizations sharing one Jira integration, with sparse ids: a state to import.
///
/// Organization 101 (alice, team 301, project 401, issue 501 linked to `APP-1`) syncs everything
/// through integration 601; organization 102 (bob, team 302, project 402, resolved issue 502
/// assigned to bob, linked to its own `APP-1`) has a disabled link.
pub const SCENE: &str = r#"{
  "format_version": 1,
  "organizations": [
    {"id": 101, "name": "acme", "features": {"issue_sync": true, "external_actors": true}},
    {"id": 102, "name": "globex", "features": {"issue_sync": true, "external_actors": false}}
  ],
  "users": [
    {"id": 201, "active": true, "emails": [{"address": "alice@example.com", "verified": true}]},
    {"id": 202, "active": true, "emails": [
      {"address": "bob@example.com", "verified": true},
      {"address": "robert@example.com", "verified": false}
    ]}
  ],
  "organization_members": [
    {"organization_id": 101, "user_id": 201},
    {"organization_id": 102, "user_id": 202}
  ],
  "teams": [
    {"id": 301, "organization_id": 101, "name": "web"},
    {"id": 302, "organization_id": 102, "name": "devs"}
  ],
  "team_members": [
    {"team_id": 301, "user_id": 201, "active": true},
    {"team_id": 302, "user_id": 202, "active": true}
  ],
  "projects": [
    {"id": 401, "organization_id": 101, "name": "web"},
    {"id": 402, "organization_id": 102, "name": "api"}
  ],
  "team_projects": [
    {"team_id": 301, "project_id": 401},
    {"team_id": 302, "project_id": 402}
  ],
  "local_issues": [
    {"id": 501, "organization_id": 101, "project_id": 401, "status": "unresolved", "assignee": null},
    {"id": 502, "organization_id": 102, "project_id": 402, "status": "resolved", "assignee": {"user": 202}}
  ],
  "integrations": [
    {"id": 601, "provider": "jira_server", "external_id": "jira.example.com:jirasync",
     "name": "jirasync", "base_url": "https://jira.example.com", "domain_name": "jira.example.com",
     "verify_ssl": true, "webhook_secrets": ["secret-one", "secret-two"]}
  ],
  "identities": [
    {"id": 701, "organization_id": 101, "integration_id": 601, "installed_by": 201,
     "credentials": {"kind": "bearer", "token": "pat-of-acme"}},
    {"id": 702, "organization_id": 102, "integration_id": 601, "installed_by": null,
     "credentials": {"kind": "oauth1", "consumer_key": "jirasync",
       "private_key_pem": "-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n",
       "access_token": "token-of-globex", "access_token_secret": "token-secret-of-globex"}}
  ],
  "organization_integrations": [
    {"organization_id": 101, "integration_id": 601, "status": "active",
     "config": {"sync_reverse_assignment": true, "sync_status_reverse": true,
       "sync_forward_assignment": true, "sync_status_forward": true, "sync_comments": true,
       "resolution_strategy": "resolve"},
     "default_identity_id": 701},
    {"organization_id": 102, "integration_id": 601, "status": "disabled",
     "config": {"sync_reverse_assignment": false, "sync_status_reverse": false,
       "sync_forward_assignment": false, "sync_status_forward": false, "sync_comments": false,
       "resolution_strategy": "resolve_next_release"},
     "default_identity_id": 702}
  ],
  "external_issues": [
    {"id": 801, "organization_id": 101, "integration_id": 601, "key": "APP-1",
     "assignee_updated_at": "2024-05-01T12:00:00Z", "status_updated_at": null, "local_issues": [501]},
    {"id": 802, "organization_id": 102, "integration_id": 601, "key": "APP-1",
     "assignee_updated_at": null, "status_updated_at": "2024-05-02T08:00:00.5Z", "local_issues": [502]}
  ],
  "external_actors": [
    {"id": 901, "organization_id": 101, "integration_id": 601, "provider": "jira_server",
     "external_name": "alice.j", "external_id": null, "target": {"user": 201}},
    {"id": 902, "organization_id": 102, "integration_id": 601, "provider": "github",
     "external_name": "@globex/devs", "external_id": "42", "target": {"team": 302}}
  ],
  "activities": [
    {"id": 1001, "local_issue_id": 502, "kind": "set_resolved", "provider": "Jira Server",
     "provider_key": "jira_server", "integration_id": 601, "assignee": null, "sync_source": 601,
     "occurred_at": "2024-05-02T08:00:00.5Z"}
  ]
}"#;

/// [`SCENE`], read.
pub fn scene() -> StateSnapshot {
    StateSnapshot::from_json(SCENE.as_bytes()).unwrap()
}

/// 2024-05-01T12:00:00Z, the scene's assignee watermark of organization 101.
const SCENE_ASSIGNEE_WATERMARK: i64 = 1_714_564_800_000;

/// Seeds a state with a record in every collection through [`Seed`] and the rules (inbound
/// sync, install, external actors), exports it, empties the store by importing an empty file,
/// imports the export again: the second export is byte for byte the first.
pub async fn state_round_trip_through_an_emptied_store_is_byte_identical<
    S: World + StateStore + 'static,
>(
    store: S,
) {
    let fixture = Fixture::new(store).await;
    let store = Arc::clone(&fixture.store);
    let bob = fixture
        .member(&["bob@example.com", "bob@example.org"])
        .await;
    store
        .seed_user(
            false,
            vec![
                UserEmail::verified("carol@example.com"),
                UserEmail::unverified("carol@example.org"),
            ],
        )
        .await
        .unwrap();
    let (other_organization, other_project, _) =
        fixture.other_organization("dave@example.com").await;
    let team_assigned = fixture
        .linked_issue_with(
            fixture.organization,
            fixture.project,
            "APP-2",
            ResolutionStatus::Resolved,
            Some(Assignee::Team(fixture.team)),
        )
        .await;
    fixture
        .linked_issue(other_organization, other_project, KEY)
        .await;
    // Rules write activities, watermarks and the delivery log.
    let delivery = DeliveryKey::new("10001", "20001", "jira:issue_updated");
    fixture
        .sync
        .sync_assignee(
            fixture.integration,
            &assigned_to_email("bob@example.com", 1_714_564_800_250),
            Some(&delivery),
        )
        .await
        .unwrap();
    fixture
        .change_status(&status_changed(IN_PROGRESS, DONE, 1_714_564_900_000))
        .await;
    install_jira_server(
        &*store,
        InstallRequest {
            organization_id: fixture.organization,
            base_url: "https://jira.example.com/".into(),
            consumer_key: "jirasync".into(),
            verify_ssl: true,
            webhook_secret: WebhookSecret::new("webhook-secret"),
            credentials: JiraCredentials::OAuth1 {
                consumer_key: "jirasync".into(),
                private_key_pem: SecretString::new("-----BEGIN PRIVATE KEY-----\nx\n"),
                access_token: "access-token".into(),
                access_token_secret: SecretString::new("access-token-secret"),
            },
            installed_by: Some(fixture.alice),
        },
    )
    .await
    .unwrap();
    for (provider, name, target) in [
        ("jira_server", "bob.b", ActorTarget::User(bob)),
        ("github", "@acme/web", ActorTarget::Team(fixture.team)),
    ] {
        create_external_actor(
            &*store,
            &*store,
            fixture.organization,
            ExternalActorInput {
                provider: provider.into(),
                external_name: name.into(),
                external_id: None,
                integration_id: fixture.integration,
                target,
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(
        store
            .local_issue(team_assigned)
            .await
            .unwrap()
            .unwrap()
            .assignee,
        Some(Assignee::Team(fixture.team))
    );

    let first = export_state_json(&*store).await.unwrap();
    let snapshot = StateSnapshot::from_json(&first).unwrap();
    snapshot.validate().unwrap();
    let mut sorted = snapshot.clone();
    sorted.sort_canonically();
    assert_eq!(sorted, snapshot, "an export is sorted canonically");
    for (collection, empty) in [
        ("organizations", snapshot.organizations.is_empty()),
        ("users", snapshot.users.is_empty()),
        (
            "organization_members",
            snapshot.organization_members.is_empty(),
        ),
        ("teams", snapshot.teams.is_empty()),
        ("team_members", snapshot.team_members.is_empty()),
        ("projects", snapshot.projects.is_empty()),
        ("team_projects", snapshot.team_projects.is_empty()),
        ("local_issues", snapshot.local_issues.is_empty()),
        ("integrations", snapshot.integrations.is_empty()),
        ("identities", snapshot.identities.is_empty()),
        (
            "organization_integrations",
            snapshot.organization_integrations.is_empty(),
        ),
        ("external_issues", snapshot.external_issues.is_empty()),
        ("external_actors", snapshot.external_actors.is_empty()),
        ("activities", snapshot.activities.is_empty()),
    ] {
        assert!(!empty, "the seeded state has {collection}");
    }
    assert_eq!(
        export_state_json(&*store).await.unwrap(),
        first,
        "exporting twice gives the same bytes"
    );

    import_state(&*store, br#"{"format_version": 1}"#)
        .await
        .unwrap();
    assert_eq!(
        store.export_state().await.unwrap(),
        StateSnapshot::default()
    );
    assert_eq!(
        store.organization(fixture.organization).await.unwrap(),
        None
    );

    import_state(&*store, &first).await.unwrap();
    let second = export_state_json(&*store).await.unwrap();
    assert_eq!(
        String::from_utf8(second).unwrap(),
        String::from_utf8(first).unwrap()
    );
}

/// Importing [`SCENE`] over a seeded store drops the old state and gives exactly the file's
/// records, ids included, to every read of the store.
pub async fn state_import_replaces_everything_and_keeps_ids<S: World + StateStore + 'static>(
    store: S,
) {
    let fixture = Fixture::new(store).await;
    let store = Arc::clone(&fixture.store);

    let summary = import_state(&*store, SCENE.as_bytes()).await.unwrap();
    assert_eq!((summary.organizations, summary.activities), (2, 1));
    assert_eq!(store.export_state().await.unwrap(), {
        let mut expected = scene();
        expected.sort_canonically();
        expected
    });

    assert_eq!(
        store.organization(fixture.organization).await.unwrap(),
        None
    );
    assert_eq!(store.local_issue(fixture.issue).await.unwrap(), None);

    let acme = OrganizationId::new(101);
    let globex = OrganizationId::new(102);
    let jira = IntegrationId::new(601);
    let issue = store
        .local_issue(LocalIssueId::new(502))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.organization_id, globex);
    assert_eq!(issue.project_id, ProjectId::new(402));
    assert_eq!(issue.status, ResolutionStatus::Resolved);
    assert_eq!(issue.assignee, Some(Assignee::User(UserId::new(202))));

    let integration = store
        .integration_by_external_id(
            JIRA_SERVER_PROVIDER,
            &ExternalId::new("jira.example.com:jirasync"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(integration.id, jira);
    let secrets: Vec<&str> = integration
        .metadata
        .webhook_secrets
        .iter()
        .map(WebhookSecret::expose_secret)
        .collect();
    assert_eq!(secrets, ["secret-one", "secret-two"]);

    let links = store.organization_links(jira).await.unwrap();
    let statuses: Vec<(OrganizationId, LinkStatus)> = links
        .iter()
        .map(|link| (link.organization.id, link.link.status))
        .collect();
    assert_eq!(
        statuses,
        [(acme, LinkStatus::Active), (globex, LinkStatus::Disabled)]
    );
    assert!(!links[1].organization.features.external_actors);

    let identity = store.identity(acme, jira).await.unwrap().unwrap();
    assert_eq!(identity.installed_by, Some(UserId::new(201)));
    match identity.credentials {
        JiraCredentials::Bearer { token } => assert_eq!(token.expose_secret(), "pat-of-acme"),
        other => panic!("expected bearer credentials, got {other:?}"),
    }

    let key = IssueKey::new(KEY);
    assert_eq!(
        store
            .watermark(acme, jira, &key, SyncKind::Assignee)
            .await
            .unwrap(),
        Some(EventTime::from_unix_millis(SCENE_ASSIGNEE_WATERMARK))
    );
    assert_eq!(
        store
            .watermark(globex, jira, &key, SyncKind::Status)
            .await
            .unwrap(),
        Some(EventTime::from_unix_millis(1_714_636_800_500))
    );
    let linked = store
        .linked_issues(jira, &key, &[acme, globex])
        .await
        .unwrap();
    let linked: Vec<LocalIssueId> = linked.iter().map(|linked| linked.local_issue_id).collect();
    assert_eq!(linked, [LocalIssueId::new(501), LocalIssueId::new(502)]);

    let activities = store.activities(LocalIssueId::new(502)).await.unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].id, ActivityId::new(1001));
    assert_eq!(activities[0].data.sync_source, Some(jira));

    let actor = store
        .external_actor(globex, ExternalActorId::new(902))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(actor.provider, ExternalProvider::GitHub);
    assert_eq!(actor.external_id.as_deref(), Some("42"));
    let alice = ActorTarget::User(UserId::new(201));
    let bob = ActorTarget::User(UserId::new(202));
    assert!(store.in_organization(acme, alice).await.unwrap());
    assert!(!store.in_organization(acme, bob).await.unwrap());
    // Alice reaches project 401 of issue 501 through team 301; bob is in the other organization.
    let candidates = [UserId::new(201), UserId::new(202)];
    let assignable = store
        .assignable_users(LocalIssueId::new(501), &candidates)
        .await
        .unwrap();
    assert_eq!(assignable, [UserId::new(201)]);
}

/// After an import, ids the store assigns never collide with imported ones: each new record's
/// id is larger than every imported id of its collection.
pub async fn state_ids_assigned_after_an_import_follow_the_imported_ones<
    S: World + StateStore + 'static,
>(
    store: S,
) {
    let store = Arc::new(store);
    import_state(&*store, SCENE.as_bytes()).await.unwrap();

    let user = store.seed_user(true, Vec::new()).await.unwrap();
    assert!(user.get() > 202, "new user id {user} after imported 202");
    let actor = store
        .insert_external_actor(NewExternalActor {
            organization_id: OrganizationId::new(101),
            integration_id: IntegrationId::new(601),
            provider: ExternalProvider::JiraServer,
            external_name: "alice.jones".into(),
            external_id: None,
            target: ActorTarget::User(UserId::new(201)),
        })
        .await
        .unwrap();
    assert!(
        actor.id.get() > 902,
        "new actor id {} after imported 902",
        actor.id
    );

    let sync = InboundSync::new(
        Arc::clone(&store),
        Arc::clone(&store),
        Arc::new(StaticJiraDirectory::new()),
    );
    let outcome = sync
        .sync_assignee(
            IntegrationId::new(601),
            &assigned_to_email("alice@example.com", SCENE_ASSIGNEE_WATERMARK + 1),
            None,
        )
        .await
        .unwrap();
    assert_eq!(outcome.changed, 1);
    let activities = store.activities(LocalIssueId::new(501)).await.unwrap();
    assert!(
        activities[0].id.get() > 1001,
        "new activity id {} after imported 1001",
        activities[0].id
    );
}

/// A file the import refuses (malformed, another version, a bad record) leaves the store as it
/// was, and the error names what is wrong; so does a bad snapshot given to
/// [`StateStore::replace_state`] directly.
pub async fn state_refused_file_changes_nothing<S: World + StateStore + 'static>(store: S) {
    let store = Arc::new(store);
    import_state(&*store, SCENE.as_bytes()).await.unwrap();
    let before = export_state_json(&*store).await.unwrap();

    let mut bad_record = scene();
    bad_record.local_issues[1].project_id = 999;
    let bad_record = bad_record.to_json().unwrap();
    let error = import_state(&*store, &bad_record).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "local_issues[1] (id 502): project 999 is not in the file"
    );
    assert_eq!(export_state_json(&*store).await.unwrap(), before);

    let error = import_state(&*store, b"{\"format_version\": 1,\n \"users\": [}")
        .await
        .unwrap_err();
    assert!(
        matches!(error, StateError::Malformed { line: 2, .. }),
        "{error}"
    );
    assert_eq!(export_state_json(&*store).await.unwrap(), before);

    let error = import_state(&*store, br#"{"format_version": 7}"#)
        .await
        .unwrap_err();
    assert!(matches!(error, StateError::UnsupportedVersion { found: 7 }));
    assert_eq!(export_state_json(&*store).await.unwrap(), before);

    let mut dangling = scene();
    dangling.external_issues[0].local_issues.push(12345);
    assert!(store.replace_state(&dangling).await.is_err());
    assert_eq!(export_state_json(&*store).await.unwrap(), before);
}

/// The delivery de-duplication log is not part of the file: an import clears it. The watermarks
/// come from the file, so a replayed older event is still refused as stale.
pub async fn state_import_clears_the_delivery_log_and_keeps_watermarks<
    S: World + StateStore + 'static,
>(
    store: S,
) {
    let fixture = Fixture::new(store).await;
    let store = Arc::clone(&fixture.store);
    let delivery = DeliveryKey::new("10001", "20001", "jira:issue_updated");
    let at = 1_714_564_800_000;
    fixture
        .sync
        .sync_assignee(
            fixture.integration,
            &assigned_to_email("alice@example.com", at),
            Some(&delivery),
        )
        .await
        .unwrap();
    assert!(
        store
            .delivery_seen(fixture.integration, SyncKind::Assignee, &delivery)
            .await
            .unwrap()
    );

    let exported = export_state_json(&*store).await.unwrap();
    import_state(&*store, &exported).await.unwrap();

    assert!(
        !store
            .delivery_seen(fixture.integration, SyncKind::Assignee, &delivery)
            .await
            .unwrap()
    );
    assert_eq!(
        fixture.watermark(SyncKind::Assignee).await,
        Some(EventTime::from_unix_millis(at))
    );
    let stale = fixture.assign_email("bob@example.com", at - 1).await;
    assert_eq!(stale.changed, 0);
    assert_eq!(
        fixture.assignee_of(fixture.issue).await,
        Some(Assignee::User(fixture.alice))
    );
}

/// An imported state is live: inbound sync uses its links, configuration, members, project
/// access and watermarks.
pub async fn state_imported_state_syncs<S: World + StateStore + 'static>(store: S) {
    let store = Arc::new(store);
    import_state(&*store, SCENE.as_bytes()).await.unwrap();
    let sync = InboundSync::new(
        Arc::clone(&store),
        Arc::clone(&store),
        Arc::new(StaticJiraDirectory::new()),
    );
    let jira = IntegrationId::new(601);

    let older = sync
        .sync_assignee(
            jira,
            &assigned_to_email("alice@example.com", SCENE_ASSIGNEE_WATERMARK - 1),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        older.changed, 0,
        "the imported watermark refuses older events"
    );

    let newer = sync
        .sync_assignee(
            jira,
            &assigned_to_email("alice@example.com", SCENE_ASSIGNEE_WATERMARK + 1),
            None,
        )
        .await
        .unwrap();
    assert_eq!(newer.changed, 1);
    let issue = store
        .local_issue(LocalIssueId::new(501))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.assignee, Some(Assignee::User(UserId::new(201))));
    // Organization 102's link is disabled: its issue keeps its assignee.
    let other = store
        .local_issue(LocalIssueId::new(502))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.assignee, Some(Assignee::User(UserId::new(202))));
}

/// Writes, through the host API's store calls, organization `acme` with members `alice` and
/// `bob`, team `web` (alice), project `shop` (reached by `web`) and issues `I-1` (assigned to
/// alice) and `I-2` (resolved, assigned to `web`); and organization `globex` with a project
/// and an issue of the same names, `shop` and `I-1`.
async fn write_application_records<S: ApplicationData>(store: &S) {
    let id = |text: &str| AppId::new(text);
    let organizations = ["acme", "globex"].map(|name| OrganizationData {
        id: id(name),
        name: name.to_owned(),
        features: None,
    });
    store.upsert_organizations(&organizations).await.unwrap();
    let users =
        [("alice", "alice@example.com"), ("bob", "bob@example.com")].map(|(user, address)| {
            UserData {
                id: id(user),
                active: true,
                emails: vec![UserEmail::verified(address)],
            }
        });
    store.upsert_users(&users).await.unwrap();
    let acme = id("acme");
    store
        .add_members(&acme, &[id("alice"), id("bob")])
        .await
        .unwrap();
    let team = TeamData {
        id: id("web"),
        name: "Web".into(),
        members: vec![TeamMemberData {
            user: id("alice"),
            active: true,
        }],
    };
    store.upsert_teams(&acme, &[team]).await.unwrap();
    for (organization, teams) in [(&acme, vec![id("web")]), (&id("globex"), Vec::new())] {
        let project = ProjectData {
            id: id("shop"),
            name: "Shop".into(),
            teams,
        };
        store
            .upsert_projects(organization, &[project])
            .await
            .unwrap();
    }
    let issue = |name: &str, status, assignee| IssueData {
        id: id(name),
        project: id("shop"),
        status,
        assignee,
    };
    let acme_issues = [
        issue(
            "I-1",
            ResolutionStatus::Unresolved,
            Some(AppAssignee::User(id("alice"))),
        ),
        issue(
            "I-2",
            ResolutionStatus::Resolved,
            Some(AppAssignee::Team(id("web"))),
        ),
    ];
    store.upsert_issues(&acme, &acme_issues).await.unwrap();
    let globex_issue = issue("I-1", ResolutionStatus::Unresolved, None);
    store
        .upsert_issues(&id("globex"), &[globex_issue])
        .await
        .unwrap();
}

/// What the host API's reads give for the records of [`write_application_records`].
#[derive(Debug, PartialEq)]
struct ApplicationView {
    organizations: Vec<AppId>,
    acme: Option<(OrganizationId, OrganizationData)>,
    users: Vec<Option<UserData>>,
    members: Vec<AppId>,
    team: Option<TeamData>,
    projects: Vec<Option<ProjectData>>,
    issues: Vec<Option<(LocalIssueId, IssueData)>>,
}

async fn application_view<S: ApplicationData>(store: &S) -> ApplicationView {
    let (acme, globex) = (AppId::new("acme"), AppId::new("globex"));
    let mut users = Vec::new();
    for user in ["alice", "bob"] {
        users.push(store.app_user(&AppId::new(user)).await.unwrap());
    }
    let mut projects = Vec::new();
    for organization in [&acme, &globex] {
        let project = store.app_project(organization, &AppId::new("shop")).await;
        projects.push(project.unwrap());
    }
    let mut issues = Vec::new();
    for (organization, issue) in [(&acme, "I-1"), (&acme, "I-2"), (&globex, "I-1")] {
        let issue = store.app_issue(organization, &AppId::new(issue)).await;
        issues.push(issue.unwrap());
    }
    ApplicationView {
        organizations: store.app_organizations().await.unwrap(),
        acme: store.app_organization(&acme).await.unwrap(),
        users,
        members: store.app_members(&acme).await.unwrap(),
        team: store.app_team(&acme, &AppId::new("web")).await.unwrap(),
        projects,
        issues,
    }
}

/// A backup and restore keeps the application's ids: records written through the host API are
/// exported with their `app_id`s, and after the store was emptied and the export imported again,
/// every host API read finds the same records (jirasync's ids included), a write by an app id
/// updates the restored record instead of creating another, and a second export gives the same
/// bytes.
pub async fn state_round_trip_keeps_the_applications_ids<
    S: World + StateStore + ApplicationData + 'static,
>(
    store: S,
) {
    write_application_records(&store).await;
    let before = application_view(&store).await;
    assert!(before.acme.is_some() && before.team.is_some());
    assert!(before.users.iter().all(Option::is_some));
    assert!(before.projects.iter().all(Option::is_some));
    assert!(before.issues.iter().all(Option::is_some));

    let exported = export_state_json(&store).await.unwrap();
    let snapshot = StateSnapshot::from_json(&exported).unwrap();
    let app_ids = |ids: Vec<Option<String>>| -> Vec<String> { ids.into_iter().flatten().collect() };
    assert_eq!(
        app_ids(
            snapshot
                .organizations
                .iter()
                .map(|r| r.app_id.clone())
                .collect()
        ),
        ["acme", "globex"]
    );
    assert_eq!(
        app_ids(snapshot.users.iter().map(|r| r.app_id.clone()).collect()),
        ["alice", "bob"]
    );
    assert_eq!(
        app_ids(snapshot.teams.iter().map(|r| r.app_id.clone()).collect()),
        ["web"]
    );
    assert_eq!(
        app_ids(snapshot.projects.iter().map(|r| r.app_id.clone()).collect()),
        ["shop", "shop"]
    );
    assert_eq!(
        app_ids(
            snapshot
                .local_issues
                .iter()
                .map(|r| r.app_id.clone())
                .collect()
        ),
        ["I-1", "I-2", "I-1"]
    );

    import_state(&store, br#"{"format_version": 1}"#)
        .await
        .unwrap();
    assert_eq!(
        store.app_organizations().await.unwrap(),
        Vec::<AppId>::new()
    );
    assert_eq!(store.app_user(&AppId::new("alice")).await.unwrap(), None);

    import_state(&store, &exported).await.unwrap();
    assert_eq!(application_view(&store).await, before);
    assert_eq!(
        String::from_utf8(export_state_json(&store).await.unwrap()).unwrap(),
        String::from_utf8(exported).unwrap()
    );

    // The application keeps writing by its ids: the restored records are updated, not doubled.
    let acme = AppId::new("acme");
    let reopened = IssueData {
        id: AppId::new("I-2"),
        project: AppId::new("shop"),
        status: ResolutionStatus::Unresolved,
        assignee: Some(AppAssignee::User(AppId::new("bob"))),
    };
    let summary = store
        .upsert_issues(&acme, std::slice::from_ref(&reopened))
        .await
        .unwrap();
    assert_eq!((summary.created, summary.updated), (0, 1));
    let (id, read) = store
        .app_issue(&acme, &AppId::new("I-2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, reopened);
    assert_eq!(Some(id), before.issues[1].as_ref().map(|(id, _)| *id));
    let issue = store.local_issue(id).await.unwrap().unwrap();
    assert_eq!(issue.status, ResolutionStatus::Unresolved);

    // A record the application adds after the restore gets an id no restored record has.
    let carol = UserData {
        id: AppId::new("carol"),
        active: true,
        emails: vec![UserEmail::verified("carol@example.com")],
    };
    let summary = store.upsert_users(&[carol]).await.unwrap();
    assert_eq!((summary.created, summary.updated), (1, 0));
    let largest = snapshot.users.iter().map(|r| r.id).max().unwrap();
    let carol = StateSnapshot::from_json(&export_state_json(&store).await.unwrap())
        .unwrap()
        .users
        .into_iter()
        .find(|user| user.app_id.as_deref() == Some("carol"))
        .unwrap();
    assert!(carol.id > largest, "new user {} after {largest}", carol.id);
}

/// A file without any `app_id` (a file written before the field existed) still imports, and
/// replaces the application's ids along with everything else: afterwards the host API finds
/// nothing, and an export writes no `app_id`.
pub async fn state_file_without_app_ids_imports_and_leaves_none<
    S: World + StateStore + ApplicationData + 'static,
>(
    store: S,
) {
    write_application_records(&store).await;
    assert!(!SCENE.contains("app_id"));
    import_state(&store, SCENE.as_bytes()).await.unwrap();

    assert_eq!(
        store.app_organizations().await.unwrap(),
        Vec::<AppId>::new()
    );
    assert_eq!(
        store.app_organization(&AppId::new("acme")).await.unwrap(),
        None
    );
    assert_eq!(store.app_user(&AppId::new("alice")).await.unwrap(), None);
    let exported = export_state_json(&store).await.unwrap();
    assert!(!String::from_utf8(exported).unwrap().contains("app_id"));
    assert_eq!(store.export_state().await.unwrap(), {
        let mut expected = scene();
        expected.sort_canonically();
        expected
    });
    // The imported records are live; the application can name them again by writing them.
    let issue = store.local_issue(LocalIssueId::new(501)).await.unwrap();
    assert!(issue.is_some());
}

/// A change to a snapshot.
type Edit = fn(&mut StateSnapshot);

/// [`SCENE`] with the application's ids on every organization, user, team, project and issue.
fn scene_with_app_ids() -> StateSnapshot {
    let mut snapshot = scene();
    for record in &mut snapshot.organizations {
        record.app_id = Some(record.name.clone());
    }
    for (record, name) in snapshot.users.iter_mut().zip(["alice", "bob"]) {
        record.app_id = Some(name.to_owned());
    }
    for record in &mut snapshot.teams {
        record.app_id = Some(record.name.clone());
    }
    for record in &mut snapshot.projects {
        record.app_id = Some(record.name.clone());
    }
    for record in &mut snapshot.local_issues {
        record.app_id = Some("I-1".to_owned());
    }
    snapshot
}

/// A file whose application ids break the host API's rules (a bad id, one used twice by users,
/// twice by the teams of one organization, an issue with one in a project without) is refused
/// naming the record, and the store, its application ids included, stays as it was; so is such a
/// snapshot given to [`StateStore::replace_state`] directly.
pub async fn state_refused_app_ids_change_nothing<
    S: World + StateStore + ApplicationData + 'static,
>(
    store: S,
) {
    let good = scene_with_app_ids();
    import_state(&store, &good.to_json().unwrap())
        .await
        .unwrap();
    let before = export_state_json(&store).await.unwrap();
    assert_eq!(
        store.app_organizations().await.unwrap(),
        [AppId::new("acme"), AppId::new("globex")]
    );

    let edits: [(Edit, &str); 4] = [
        (
            |s| s.users[1].app_id = Some("bob\t".into()),
            "users[1] (id 202): app_id: the id contains a control character",
        ),
        (
            |s| s.users[1].app_id = Some("alice".into()),
            "users[1] (id 202): app_id \"alice\" is already used by users[0]",
        ),
        (
            |s| {
                s.teams[1].organization_id = 101;
                s.teams[1].app_id = Some("web".into());
            },
            "teams[1] (id 302): app_id \"web\" is already used by teams[0] of organization 101",
        ),
        (
            |s| s.projects[1].app_id = None,
            "local_issues[1] (id 502): the issue has an app_id but its project 402 has none: give the project an app_id too",
        ),
    ];
    for (edit, message) in edits {
        let mut bad = good.clone();
        edit(&mut bad);
        let error = import_state(&store, &bad.to_json().unwrap())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), message);
        assert!(store.replace_state(&bad).await.is_err(), "{message}");
        assert_eq!(
            export_state_json(&store).await.unwrap(),
            before,
            "{message}"
        );
    }
    let (id, issue) = store
        .app_issue(&AppId::new("globex"), &AppId::new("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id, LocalIssueId::new(502));
    assert_eq!(issue.project, AppId::new("api"));
    assert_eq!(issue.assignee, Some(AppAssignee::User(AppId::new("bob"))));
}
