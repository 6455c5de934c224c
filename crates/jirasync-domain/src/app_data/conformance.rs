//! The application data conformance suite: what every [`ApplicationData`] must do (the
//! semantics of the [module documentation](super)), run against any store that is also the
//! standalone [`Host`] and jirasync's [`SyncStore`], through the public traits only.
//!
//! Enabled by the `testing` feature. A store crate runs it with one macro call in an integration
//! test:
//!
//! ```ignore
//! jirasync_domain::app_data_conformance_tests!(async { my_store::connect_fresh().await });
//! ```
//!
//! With `optional:` the block gives an `Option` and `None` skips the test (the factory prints
//! why). Every function panics when the store breaks the contract: that is how a test fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use jirasync_webhook::IssueKey;

use super::{
    AppAssignee, AppId, ApplicationData, IssueData, OrganizationData, ProjectData, TeamData,
    TeamMemberData, UpsertSummary, UserData,
};
use crate::events::EventTimestamp;
use crate::events::{
    AssigneeChangedData, EventAssignee, EventCursor, EventPayload, EventSource, NewEvent,
};
use crate::host::Host;
use crate::ids::{IntegrationId, OrganizationId, UserId};
use crate::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use crate::issue::Assignee as HostAssignee;
use crate::issue::{Assignee, ResolutionStatus};
use crate::organization::OrganizationFeatures;
use crate::outbound::{OutboundAction, OutboundFilter, OutboundStatus};
use crate::people::UserEmail;
use crate::rules::outbound::plan_outbound;
use crate::store::{
    EventStore, IssueSyncRequest, IssueSyncStart, Seed, StoreError, SyncKind, SyncStore,
};

/// What the suite runs on.
pub trait AppDataWorld: ApplicationData + Host + SyncStore + EventStore + Seed {}

impl<T: ApplicationData + Host + SyncStore + EventStore + Seed + ?Sized> AppDataWorld for T {}

/// Expands to one `#[tokio::test]` per behaviour of the application data suite.
#[macro_export]
macro_rules! app_data_conformance_tests {
    ($factory:expr) => {
        $crate::app_data_conformance_tests!(optional: async { Some($factory.await) });
    };
    (optional: $factory:expr) => {
        $crate::app_data_conformance_tests!(
            @each $factory;
            app_data_upserts_create_then_replace,
            app_data_batches_write_as_if_item_by_item,
            app_data_organization_features_are_kept_when_left_out,
            app_data_unknown_organization_is_not_found,
            app_data_refused_batch_writes_nothing,
            app_data_team_members_must_be_organization_members,
            app_data_issue_assignee_must_belong_to_the_organization,
            app_data_ids_are_scoped_by_organization,
            app_data_written_data_drives_the_host,
            app_data_deleting_a_user_unassigns_and_removes_memberships,
            app_data_removing_a_member_leaves_the_teams_of_the_organization,
            app_data_deleting_a_team_unassigns_its_issues,
            app_data_deleting_a_project_deletes_its_issues_and_links,
            app_data_deleting_an_organization_deletes_everything_of_it,
            app_data_deleting_what_does_not_exist_is_not_found,
            app_data_events_name_application_ids,
            app_data_update_issue_records_its_outbound_work_with_it,
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                if let Some(store) = $factory.await {
                    $crate::app_data::conformance::$name(store).await;
                }
            }
        )*
    };
}

fn id(text: &str) -> AppId {
    AppId::new(text)
}

fn organization(text: &str) -> OrganizationData {
    OrganizationData {
        id: id(text),
        name: format!("{text} inc."),
        features: None,
    }
}

fn user(text: &str, email: &str) -> UserData {
    UserData {
        id: id(text),
        active: true,
        emails: vec![UserEmail::verified(email)],
    }
}

fn team(text: &str, members: &[&str]) -> TeamData {
    TeamData {
        id: id(text),
        name: text.to_owned(),
        members: members
            .iter()
            .map(|user| TeamMemberData {
                user: id(user),
                active: true,
            })
            .collect(),
    }
}

fn project(text: &str, teams: &[&str]) -> ProjectData {
    ProjectData {
        id: id(text),
        name: text.to_owned(),
        teams: teams.iter().map(|team| id(team)).collect(),
    }
}

fn issue(text: &str, project: &str, assignee: Option<AppAssignee>) -> IssueData {
    IssueData {
        id: id(text),
        project: id(project),
        status: ResolutionStatus::Unresolved,
        assignee,
    }
}

/// Organization `acme` with members `alice` and `bob`, team `web` (alice), project `shop`
/// reached by `web`, and issue `I-1` assigned to alice.
async fn scene<S: AppDataWorld>(store: &S) {
    store
        .upsert_organizations(&[organization("acme")])
        .await
        .unwrap();
    store
        .upsert_users(&[
            user("alice", "alice@example.com"),
            user("bob", "bob@example.com"),
        ])
        .await
        .unwrap();
    store
        .add_members(&id("acme"), &[id("alice"), id("bob")])
        .await
        .unwrap();
    store
        .upsert_teams(&id("acme"), &[team("web", &["alice"])])
        .await
        .unwrap();
    store
        .upsert_projects(&id("acme"), &[project("shop", &["web"])])
        .await
        .unwrap();
    store
        .upsert_issues(
            &id("acme"),
            &[issue("I-1", "shop", Some(AppAssignee::User(id("alice"))))],
        )
        .await
        .unwrap();
}

fn summary(created: usize, updated: usize) -> UpsertSummary {
    UpsertSummary { created, updated }
}

fn assert_conflict(error: StoreError, expected: &str) {
    match error {
        StoreError::Conflict { message } => assert!(
            message.contains(expected),
            "the conflict {message:?} should say {expected:?}"
        ),
        other => panic!("expected a conflict saying {expected:?}, got {other:?}"),
    }
}

/// Upserting creates, upserting again replaces (e-mail addresses as a whole), and the summary
/// counts both.
pub async fn app_data_upserts_create_then_replace<S: AppDataWorld>(store: S) {
    let first = store
        .upsert_users(&[user("alice", "alice@example.com")])
        .await
        .unwrap();
    assert_eq!(first, summary(1, 0));
    let changed = UserData {
        id: id("alice"),
        active: false,
        emails: vec![
            UserEmail::unverified("a@example.org"),
            UserEmail::verified("alice@example.net"),
        ],
    };
    let second = store
        .upsert_users(&[changed.clone(), user("bob", "bob@example.com")])
        .await
        .unwrap();
    assert_eq!(second, summary(1, 1));
    assert_eq!(store.app_user(&id("alice")).await.unwrap(), Some(changed));
    let again = store
        .upsert_users(&[user("bob", "bob@example.com")])
        .await
        .unwrap();
    assert_eq!(again, summary(0, 1));
    assert_eq!(store.app_user(&id("carol")).await.unwrap(), None);
}

/// A batch writes what writing its items one by one would: an id given twice ends as its last
/// item says and counts once as created, then as updated; existing issues move, change status,
/// are unassigned and reassigned, and unchanged items stay as they were.
pub async fn app_data_batches_write_as_if_item_by_item<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let carol_twice = [
        user("carol", "carol@example.com"),
        user("bob", "bob@example.com"),
        UserData {
            id: id("carol"),
            active: false,
            emails: vec![UserEmail::unverified("c@example.org")],
        },
    ];
    let written = store.upsert_users(&carol_twice).await.unwrap();
    assert_eq!(written, summary(1, 2));
    assert_eq!(
        store.app_user(&id("carol")).await.unwrap(),
        Some(carol_twice[2].clone())
    );
    assert_eq!(
        store.app_user(&id("bob")).await.unwrap(),
        Some(user("bob", "bob@example.com"))
    );
    store
        .upsert_projects(&id("acme"), &[project("docs", &[])])
        .await
        .unwrap();
    store
        .upsert_issues(
            &id("acme"),
            &[
                issue("I-2", "shop", Some(AppAssignee::Team(id("web")))),
                issue("I-3", "shop", None),
            ],
        )
        .await
        .unwrap();
    let resolved_elsewhere = IssueData {
        status: ResolutionStatus::Resolved,
        ..issue("I-1", "docs", None)
    };
    let batch = [
        resolved_elsewhere.clone(),
        issue("I-2", "shop", Some(AppAssignee::User(id("bob")))),
        issue("I-4", "shop", None),
        issue("I-3", "shop", None),
        issue("I-4", "docs", Some(AppAssignee::Team(id("web")))),
    ];
    let written = store.upsert_issues(&id("acme"), &batch).await.unwrap();
    assert_eq!(written, summary(1, 4));
    for expected in [&batch[0], &batch[1], &batch[3], &batch[4]] {
        let (_, stored) = store
            .app_issue(&id("acme"), &expected.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&stored, expected);
    }
}

/// An organization upserted without features keeps the stored ones (all on when new).
pub async fn app_data_organization_features_are_kept_when_left_out<S: AppDataWorld>(store: S) {
    let off = OrganizationFeatures {
        issue_sync: false,
        external_actors: true,
    };
    store
        .upsert_organizations(&[organization("acme")])
        .await
        .unwrap();
    let (org_id, stored) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    assert_eq!(stored.features, Some(OrganizationFeatures::all()));
    assert_eq!(store.app_organizations().await.unwrap(), vec![id("acme")]);
    let mut with_features = organization("acme");
    with_features.features = Some(off);
    store.upsert_organizations(&[with_features]).await.unwrap();
    let mut renamed = organization("acme");
    renamed.name = "Acme".into();
    store.upsert_organizations(&[renamed]).await.unwrap();
    let (same_id, stored) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    assert_eq!(same_id, org_id);
    assert_eq!(stored.name, "Acme");
    assert_eq!(stored.features, Some(off));
    // jirasync's own view of the organization is the same record.
    let known = store.organization(org_id).await.unwrap().unwrap();
    assert_eq!((known.name.as_str(), known.features), ("Acme", off));
}

/// Calls naming an organization that does not exist are `NotFound`.
pub async fn app_data_unknown_organization_is_not_found<S: AppDataWorld>(store: S) {
    let error = store
        .upsert_teams(&id("nope"), &[team("web", &[])])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("\"nope\""), "{error}");
    assert!(matches!(
        store.add_members(&id("nope"), &[]).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.app_issue(&id("nope"), &id("I-1")).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A batch whose last item names a missing project writes none of its items.
pub async fn app_data_refused_batch_writes_nothing<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let batch = [
        issue("I-1", "shop", None),
        issue("I-2", "shop", None),
        issue("I-3", "nowhere", None),
    ];
    let error = store.upsert_issues(&id("acme"), &batch).await.unwrap_err();
    assert_conflict(error, "items[2].project: there is no project \"nowhere\"");
    assert_eq!(
        store.app_issue(&id("acme"), &id("I-2")).await.unwrap(),
        None
    );
    let (_, kept) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.assignee, Some(AppAssignee::User(id("alice"))));
    let error = store
        .add_members(&id("acme"), &[id("alice"), id("ghost")])
        .await
        .unwrap_err();
    assert_conflict(error, "items[1].user: there is no user \"ghost\"");
}

/// A team member must be a member of the team's organization; the refused batch changes
/// nothing.
pub async fn app_data_team_members_must_be_organization_members<S: AppDataWorld>(store: S) {
    scene(&store).await;
    store
        .upsert_users(&[user("carol", "carol@example.com")])
        .await
        .unwrap();
    let error = store
        .upsert_teams(
            &id("acme"),
            &[team("web", &["alice", "bob"]), team("ops", &["carol"])],
        )
        .await
        .unwrap_err();
    assert_conflict(
        error,
        "items[1].members[0].user: user \"carol\" is not a member of organization \"acme\"",
    );
    let web = store
        .app_team(&id("acme"), &id("web"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        web.members.len(),
        1,
        "the refused batch changed web: {web:?}"
    );
    assert_eq!(store.app_team(&id("acme"), &id("ops")).await.unwrap(), None);
    // Members are replaced as a whole.
    store
        .upsert_teams(&id("acme"), &[team("web", &["bob"])])
        .await
        .unwrap();
    let web = store
        .app_team(&id("acme"), &id("web"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(web.members, team("web", &["bob"]).members);
}

/// An issue's assignee must be a member or a team of the issue's organization.
pub async fn app_data_issue_assignee_must_belong_to_the_organization<S: AppDataWorld>(store: S) {
    scene(&store).await;
    store
        .upsert_users(&[user("carol", "carol@example.com")])
        .await
        .unwrap();
    let error = store
        .upsert_issues(
            &id("acme"),
            &[issue("I-2", "shop", Some(AppAssignee::User(id("carol"))))],
        )
        .await
        .unwrap_err();
    assert_conflict(
        error,
        "items[0].assignee.user: user \"carol\" is not a member",
    );
    let error = store
        .upsert_issues(
            &id("acme"),
            &[issue("I-2", "shop", Some(AppAssignee::Team(id("ops"))))],
        )
        .await
        .unwrap_err();
    assert_conflict(error, "items[0].assignee.team: there is no team \"ops\"");
    store
        .upsert_issues(
            &id("acme"),
            &[issue("I-2", "shop", Some(AppAssignee::Team(id("web"))))],
        )
        .await
        .unwrap();
    let (_, stored) = store
        .app_issue(&id("acme"), &id("I-2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assignee, Some(AppAssignee::Team(id("web"))));
}

/// Teams, projects and issues are named within their organization: the same id in two
/// organizations names two records.
pub async fn app_data_ids_are_scoped_by_organization<S: AppDataWorld>(store: S) {
    scene(&store).await;
    store
        .upsert_organizations(&[organization("globex")])
        .await
        .unwrap();
    store
        .upsert_teams(&id("globex"), &[team("web", &[])])
        .await
        .unwrap();
    store
        .upsert_projects(&id("globex"), &[project("shop", &[])])
        .await
        .unwrap();
    let created = store
        .upsert_issues(&id("globex"), &[issue("I-1", "shop", None)])
        .await
        .unwrap();
    assert_eq!(created, summary(1, 0));
    let (acme_issue, _) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    let (globex_issue, globex) = store
        .app_issue(&id("globex"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(acme_issue, globex_issue);
    assert_eq!(globex.assignee, None);
    let host_issue = store.issue(acme_issue).await.unwrap().unwrap();
    assert!(matches!(host_issue.assignee, Some(Assignee::User(_))));
}

/// What the application wrote is what the standalone host answers with: e-mail look-up,
/// assignability through team and project, the issue's assignee.
pub async fn app_data_written_data_drives_the_host<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let alice = store
        .users_with_verified_email("ALICE@example.com")
        .await
        .unwrap();
    let bob = store
        .users_with_verified_email("bob@example.com")
        .await
        .unwrap();
    assert_eq!((alice.len(), bob.len()), (1, 1));
    let (issue_id, _) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    let candidates = [alice[0], bob[0]];
    let assignable = store.assignable_users(issue_id, &candidates).await.unwrap();
    assert_eq!(assignable, vec![alice[0]], "only web's members reach shop");
    let host_issue = store.issue(issue_id).await.unwrap().unwrap();
    assert_eq!(host_issue.assignee, Some(Assignee::User(alice[0])));
    let (org_id, _) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    assert_eq!(host_issue.organization_id, org_id);
    // bob joins web: he can be assigned too.
    store
        .upsert_teams(&id("acme"), &[team("web", &["alice", "bob"])])
        .await
        .unwrap();
    let mut assignable = store.assignable_users(issue_id, &candidates).await.unwrap();
    assignable.sort();
    assert_eq!(assignable.len(), 2);
}

/// Deleting a user removes their memberships and unassigns their issues.
pub async fn app_data_deleting_a_user_unassigns_and_removes_memberships<S: AppDataWorld>(store: S) {
    scene(&store).await;
    store.delete_user(&id("alice")).await.unwrap();
    assert_eq!(store.app_user(&id("alice")).await.unwrap(), None);
    let (_, stored) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assignee, None);
    let web = store
        .app_team(&id("acme"), &id("web"))
        .await
        .unwrap()
        .unwrap();
    assert!(web.members.is_empty());
    assert_eq!(
        store.app_members(&id("acme")).await.unwrap(),
        vec![id("bob")]
    );
}

/// Removing a member takes them out of the organization's teams and unassigns the
/// organization's issues assigned to them.
pub async fn app_data_removing_a_member_leaves_the_teams_of_the_organization<S: AppDataWorld>(
    store: S,
) {
    scene(&store).await;
    store
        .remove_member(&id("acme"), &id("alice"))
        .await
        .unwrap();
    assert_eq!(
        store.app_members(&id("acme")).await.unwrap(),
        vec![id("bob")]
    );
    let web = store
        .app_team(&id("acme"), &id("web"))
        .await
        .unwrap()
        .unwrap();
    assert!(web.members.is_empty());
    let (_, stored) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assignee, None);
    assert!(store.app_user(&id("alice")).await.unwrap().is_some());
    let error = store
        .remove_member(&id("acme"), &id("alice"))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
}

/// Deleting a team unassigns the issues assigned to it and removes its project access.
pub async fn app_data_deleting_a_team_unassigns_its_issues<S: AppDataWorld>(store: S) {
    scene(&store).await;
    store
        .upsert_issues(
            &id("acme"),
            &[issue("I-2", "shop", Some(AppAssignee::Team(id("web"))))],
        )
        .await
        .unwrap();
    store.delete_team(&id("acme"), &id("web")).await.unwrap();
    let (_, stored) = store
        .app_issue(&id("acme"), &id("I-2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assignee, None);
    let shop = store
        .app_project(&id("acme"), &id("shop"))
        .await
        .unwrap()
        .unwrap();
    assert!(shop.teams.is_empty());
}

/// Deleting a project deletes its issues, and their links to Jira issues.
pub async fn app_data_deleting_a_project_deletes_its_issues_and_links<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let (issue_id, _) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    let (org_id, _) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    let integration = installed_integration(&store, org_id).await;
    let key = IssueKey::new("APP-1");
    store
        .link_issue(org_id, integration, &key, issue_id)
        .await
        .unwrap();
    assert_eq!(store.external_issues_of(issue_id).await.unwrap().len(), 1);
    store
        .delete_project(&id("acme"), &id("shop"))
        .await
        .unwrap();
    assert_eq!(
        store.app_issue(&id("acme"), &id("I-1")).await.unwrap(),
        None
    );
    assert_eq!(store.issue(issue_id).await.unwrap(), None);
    assert!(store.external_issues_of(issue_id).await.unwrap().is_empty());
    let linked = store
        .linked_issues(integration, &key, &[org_id])
        .await
        .unwrap();
    assert!(linked.is_empty(), "{linked:?}");
}

/// Deleting an organization deletes its teams, projects, issues and memberships; its users
/// stay.
pub async fn app_data_deleting_an_organization_deletes_everything_of_it<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let (org_id, _) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    let (issue_id, _) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    store.delete_organization(&id("acme")).await.unwrap();
    assert_eq!(store.app_organization(&id("acme")).await.unwrap(), None);
    assert_eq!(store.organization(org_id).await.unwrap(), None);
    assert_eq!(store.issue(issue_id).await.unwrap(), None);
    assert!(store.app_user(&id("alice")).await.unwrap().is_some());
    // The id is free again: a new organization with it starts empty.
    store
        .upsert_organizations(&[organization("acme")])
        .await
        .unwrap();
    assert!(store.app_members(&id("acme")).await.unwrap().is_empty());
    assert_eq!(store.app_team(&id("acme"), &id("web")).await.unwrap(), None);
}

/// Deleting what does not exist is `NotFound`, naming it.
pub async fn app_data_deleting_what_does_not_exist_is_not_found<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let errors = [
        store.delete_user(&id("ghost")).await.unwrap_err(),
        store.delete_organization(&id("ghost")).await.unwrap_err(),
        store
            .delete_team(&id("acme"), &id("ghost"))
            .await
            .unwrap_err(),
        store
            .delete_project(&id("acme"), &id("ghost"))
            .await
            .unwrap_err(),
        store
            .delete_issue(&id("acme"), &id("ghost"))
            .await
            .unwrap_err(),
    ];
    for error in errors {
        assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
        assert!(error.to_string().contains("\"ghost\""), "{error}");
    }
}

/// A Jira integration the organization has installed, with every sync on.
async fn installed_integration<S: AppDataWorld>(
    store: &S,
    organization: OrganizationId,
) -> IntegrationId {
    let integration = store
        .seed_integration(
            ExternalId::for_jira("jira.example.com", "jirasync"),
            "jirasync",
            IntegrationMetadata {
                base_url: "https://jira.example.com".into(),
                domain_name: "jira.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap();
    store
        .seed_organization_integration(
            organization,
            integration,
            LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    integration
}

/// Events name the application's ids beside jirasync's: the organization, the issue, and the
/// users and teams of an assignee change.
pub async fn app_data_events_name_application_ids<S: AppDataWorld>(store: S) {
    scene(&store).await;
    store
        .upsert_issues(
            &id("acme"),
            &[issue("I-2", "shop", Some(AppAssignee::Team(id("web"))))],
        )
        .await
        .unwrap();
    let (org_id, _) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    let (i1, _) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    let (i2, _) = store
        .app_issue(&id("acme"), &id("I-2"))
        .await
        .unwrap()
        .unwrap();
    let Some(HostAssignee::Team(web)) = store.issue(i2).await.unwrap().unwrap().assignee else {
        panic!("I-2 is assigned to team web")
    };
    let alice = store
        .users_with_verified_email("alice@example.com")
        .await
        .unwrap()[0];
    let integration = installed_integration(&store, org_id).await;
    store
        .link_issue(org_id, integration, &IssueKey::new("APP-1"), i1)
        .await
        .unwrap();
    let key = IssueKey::new("APP-2");
    let request = IssueSyncRequest {
        integration_id: integration,
        issue_key: key.clone(),
        kind: SyncKind::Assignee,
        organizations: vec![org_id],
        delivery_key: None,
    };
    let IssueSyncStart::Started(session) = store.begin_issue_sync(request).await.unwrap() else {
        panic!("no delivery key: never a duplicate")
    };
    let change = AssigneeChangedData {
        issue_id: i2.get(),
        issue_app_id: None,
        organization_app_id: None,
        jira_key: key,
        integration_id: integration.get(),
        old: Some(EventAssignee::Team {
            id: web.get(),
            app_id: None,
        }),
        new: Some(EventAssignee::User {
            id: alice.get(),
            app_id: None,
        }),
        source: EventSource::Jira,
    };
    session
        .commit(
            &[],
            vec![NewEvent {
                organization_id: org_id,
                payload: EventPayload::IssueAssigneeChanged(change.clone()),
            }],
        )
        .await
        .unwrap();

    let events = store.events_after(EventCursor::START, 10).await.unwrap();
    let payloads: Vec<&EventPayload> = events.iter().map(|stored| &stored.event.payload).collect();
    let [
        EventPayload::IssueLinked(linked),
        EventPayload::IssueAssigneeChanged(assigned),
    ] = payloads.as_slice()
    else {
        panic!("a link and an assignee change: {payloads:?}")
    };
    assert_eq!(linked.issue_app_id.as_deref(), Some("I-1"));
    assert_eq!(linked.organization_app_id.as_deref(), Some("acme"));
    let expected = AssigneeChangedData {
        issue_app_id: Some("I-2".into()),
        organization_app_id: Some("acme".into()),
        old: Some(EventAssignee::Team {
            id: web.get(),
            app_id: Some("web".into()),
        }),
        new: Some(EventAssignee::User {
            id: alice.get(),
            app_id: Some("alice".into()),
        }),
        ..change
    };
    assert_eq!(assigned, &expected);
}

/// `update_issue` writes the change and its outbound work in one transaction: a stale
/// `expected` or a missing assignee refuses both, and nothing is written.
pub async fn app_data_update_issue_records_its_outbound_work_with_it<S: AppDataWorld>(store: S) {
    scene(&store).await;
    let (issue_id, before) = store
        .app_issue(&id("acme"), &id("I-1"))
        .await
        .unwrap()
        .unwrap();
    let (org_id, _) = store.app_organization(&id("acme")).await.unwrap().unwrap();
    let integration = installed_integration(&store, org_id).await;
    store
        .link_issue(org_id, integration, &IssueKey::new("APP-1"), issue_id)
        .await
        .unwrap();
    let now = EventTimestamp::from_unix_millis(1_700_000_000_000);
    let action = OutboundAction::Assign {
        user: UserId::new(1),
        emails: vec!["bob@example.com".into()],
    };
    let work = plan_outbound(&store, org_id, issue_id, &action, now)
        .await
        .unwrap();
    assert_eq!(work.len(), 1);
    let after = IssueData {
        assignee: Some(AppAssignee::User(id("bob"))),
        ..before.clone()
    };
    store
        .update_issue(&id("acme"), &before, &after, &work)
        .await
        .unwrap();
    assert_eq!(
        store.app_issue(&id("acme"), &id("I-1")).await.unwrap(),
        Some((issue_id, after.clone()))
    );
    let recorded = store
        .list_outbound(OutboundFilter::default())
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].status, OutboundStatus::Pending);
    assert_eq!(recorded[0].action, action);
    assert_eq!(recorded[0].issue_key, IssueKey::new("APP-1"));
    assert_eq!(recorded[0].local_issue_id, issue_id);

    // `before` is stale now: refused, nothing written.
    let error = store
        .update_issue(&id("acme"), &before, &before, &work)
        .await
        .unwrap_err();
    assert_conflict(error, "changed while");
    // An assignee who is not a member: refused, nothing written.
    let nobody = IssueData {
        assignee: Some(AppAssignee::User(id("nobody"))),
        ..after.clone()
    };
    let error = store
        .update_issue(&id("acme"), &after, &nobody, &work)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    assert_eq!(
        store.app_issue(&id("acme"), &id("I-1")).await.unwrap(),
        Some((issue_id, after))
    );
    assert_eq!(
        store
            .list_outbound(OutboundFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    // A missing issue is not found.
    let missing = IssueData {
        id: id("I-404"),
        ..before.clone()
    };
    let error = store
        .update_issue(&id("acme"), &missing, &missing, &[])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
}
