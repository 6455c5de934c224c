//! The listings and writes the admin API and the CLI use: organizations, integrations, sync
//! configuration, issue links and external actors.

use jirasync_webhook::IssueKey;

use super::fixture::{Fixture, KEY, assigned_to_email};
use crate::external_actor::{ActorFilter, ActorTarget, ExternalProvider, NewExternalActor};
use crate::ids::{IntegrationId, LocalIssueId, ProjectId};
use crate::integration::{
    ExternalId, IntegrationMetadata, LinkStatus, ResolutionStrategy, SyncConfig,
};
use crate::issue::ResolutionStatus;
use crate::organization::OrganizationFeatures;
use crate::rules::issue_links::{IssueLinkError, link_jira_issue};
use crate::store::{StoreError, SyncKind};

use super::World;

/// Asserts a [`StoreError::NotFound`] with exactly this message.
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, message: &str) {
    match result {
        Err(error @ StoreError::NotFound { .. }) => assert_eq!(error.to_string(), message),
        other => panic!("expected not found ({message}), got {other:?}"),
    }
}

/// The ids of the local issues linked to `key` by the fixture's organization.
async fn linked_to<S: World + 'static>(f: &Fixture<S>, key: &str) -> Vec<LocalIssueId> {
    f.store
        .linked_issues(f.integration, &IssueKey::new(key), &[f.organization])
        .await
        .unwrap()
        .into_iter()
        .map(|linked| linked.local_issue_id)
        .collect()
}

/// A new unassigned, unresolved local issue in `project`, linked to nothing.
async fn unlinked_issue<S: World + 'static>(f: &Fixture<S>, project: ProjectId) -> LocalIssueId {
    f.store
        .seed_local_issue(project, ResolutionStatus::Unresolved, None)
        .await
        .unwrap()
}

/// Behaviour: every organization is listed, in id order.
pub async fn lists_every_organization<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (other, _, _) = f.other_organization("bob@example.com").await;
    let third = f
        .store
        .seed_organization("initech", OrganizationFeatures::default())
        .await
        .unwrap();
    let organizations = f.store.organizations().await.unwrap();
    let listed: Vec<_> = organizations
        .iter()
        .map(|o| (o.id, o.name.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (f.organization, "acme"),
            (other, "globex"),
            (third, "initech")
        ]
    );
    assert_eq!(organizations[0].features, OrganizationFeatures::all());
}

/// Behaviour: every integration is listed, in id order, with its metadata.
pub async fn lists_every_integration<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let second = f
        .store
        .seed_integration(
            ExternalId::for_jira("jira.other.example", "jirasync"),
            "other",
            IntegrationMetadata {
                base_url: "https://jira.other.example".into(),
                domain_name: "jira.other.example".into(),
                verify_ssl: false,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap();
    let integrations = f.store.integrations().await.unwrap();
    let ids: Vec<IntegrationId> = integrations.iter().map(|i| i.id).collect();
    assert_eq!(ids, [f.integration, second]);
    assert_eq!(
        Some(&integrations[1]),
        f.store.integration(second).await.unwrap().as_ref()
    );
}

/// Behaviour: the sync configuration of a link is replaced; its status and default identity
/// stay.
pub async fn update_sync_config_replaces_the_links_config<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = f.store.organization_links(f.integration).await.unwrap();
    let config = SyncConfig {
        sync_reverse_assignment: false,
        sync_status_reverse: true,
        sync_forward_assignment: false,
        sync_status_forward: true,
        sync_comments: false,
        resolution_strategy: ResolutionStrategy::ResolveNextRelease,
    };
    let updated = f
        .store
        .update_sync_config(f.organization, f.integration, config)
        .await
        .unwrap();
    assert_eq!(updated.config, config);
    assert_eq!(updated.status, LinkStatus::Active);
    assert_eq!(
        updated.default_identity_id,
        before[0].link.default_identity_id
    );
    let after = f.store.organization_links(f.integration).await.unwrap();
    assert_eq!(after[0].link, updated);
}

/// Behaviour: updating the config of a link that does not exist is `NotFound` and writes
/// nothing.
pub async fn update_sync_config_without_a_link_is_not_found<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let unlinked = f
        .store
        .seed_organization("initech", OrganizationFeatures::all())
        .await
        .unwrap();
    let result = f
        .store
        .update_sync_config(unlinked, f.integration, SyncConfig::all_on())
        .await;
    assert_not_found(
        result,
        &format!(
            "not found: a link of organization {unlinked} to integration {}",
            f.integration
        ),
    );
    let links = f.store.organization_links(f.integration).await.unwrap();
    assert_eq!(links.len(), 1, "no link was created");
}

/// Behaviour: linking a local issue to a new key creates the external issue row and the link.
pub async fn link_issue_creates_the_external_issue_and_the_link<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let issue = unlinked_issue(&f, f.project).await;
    let link = f
        .store
        .link_issue(
            f.organization,
            f.integration,
            &IssueKey::new("APP-9"),
            issue,
        )
        .await
        .unwrap();
    assert!(link.created);
    assert_eq!(link.local_issue_id, issue);
    assert_eq!(link.external_issue.key, IssueKey::new("APP-9"));
    assert_eq!(link.external_issue.organization_id, f.organization);
    assert_eq!(link.external_issue.integration_id, f.integration);
    assert_eq!(link.external_issue.assignee_updated_at, None);
    assert_eq!(linked_to(&f, "APP-9").await, [issue]);
}

/// Behaviour: linking again changes nothing and says so; a second local issue joins the same
/// external issue row.
pub async fn link_issue_is_idempotent<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let key = IssueKey::new(KEY);
    let again = f
        .store
        .link_issue(f.organization, f.integration, &key, f.issue)
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(linked_to(&f, KEY).await, [f.issue]);

    let second = unlinked_issue(&f, f.project).await;
    let joined = f
        .store
        .link_issue(f.organization, f.integration, &key, second)
        .await
        .unwrap();
    assert!(joined.created);
    assert_eq!(joined.external_issue.id, again.external_issue.id);
    assert_eq!(linked_to(&f, KEY).await, [f.issue, second]);
}

/// Behaviour: a local issue lists the Jira issues it is linked to, in external issue id order,
/// and an unlinked one none.
pub async fn external_issues_of_lists_a_local_issues_links<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let other = f
        .store
        .link_issue(
            f.organization,
            f.integration,
            &IssueKey::new("APP-2"),
            f.issue,
        )
        .await
        .unwrap();
    let keys: Vec<String> = f
        .store
        .external_issues_of(f.issue)
        .await
        .unwrap()
        .into_iter()
        .map(|issue| issue.key.as_str().to_owned())
        .collect();
    assert_eq!(keys, [KEY, "APP-2"]);
    let second = unlinked_issue(&f, f.project).await;
    assert_eq!(f.store.external_issues_of(second).await.unwrap(), []);
    f.store
        .unlink_issue(
            f.organization,
            f.integration,
            &IssueKey::new("APP-2"),
            f.issue,
        )
        .await
        .unwrap();
    let remaining = f.store.external_issues_of(f.issue).await.unwrap();
    assert_eq!(remaining.len(), 1);
    assert_ne!(remaining[0].id, other.external_issue.id);
}

/// Behaviour: linking to a Jira issue whose row exists keeps its watermarks, so an older event
/// is still refused.
pub async fn link_issue_keeps_the_watermarks<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign(&assigned_to_email("alice@example.com", 5_000))
        .await;
    let watermark = f.watermark(SyncKind::Assignee).await;
    assert!(watermark.is_some());
    let second = unlinked_issue(&f, f.project).await;
    let link = f
        .store
        .link_issue(f.organization, f.integration, &IssueKey::new(KEY), second)
        .await
        .unwrap();
    assert_eq!(link.external_issue.assignee_updated_at, watermark);
    assert_eq!(f.watermark(SyncKind::Assignee).await, watermark);
    let stale = f.assign_email("alice@example.com", 4_999).await;
    assert_eq!(stale.changed, 0);
    assert_eq!(f.assignee_of(second).await, None);
}

/// Behaviour: a local issue of another organization (or none) cannot be linked: `NotFound`,
/// nothing written.
pub async fn link_issue_of_another_organizations_issue_is_not_found<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (_, other_project, _) = f.other_organization("bob@example.com").await;
    let foreign = unlinked_issue(&f, other_project).await;
    let key = IssueKey::new("APP-9");
    for issue in [foreign, LocalIssueId::new(999_999)] {
        // The store does not know the application's issues: the rule asks the host.
        let result = link_jira_issue(
            &*f.store,
            &*f.store,
            f.organization,
            f.integration,
            key.as_str(),
            issue,
        )
        .await
        .map_err(|error| match error {
            IssueLinkError::Store(error) => error,
            other => panic!("expected a store error, got {other:?}"),
        });
        assert_not_found(
            result,
            &format!(
                "not found: local issue {issue} in organization {}",
                f.organization
            ),
        );
    }
    assert!(linked_to(&f, "APP-9").await.is_empty());
    let watermark = f
        .store
        .watermark(f.organization, f.integration, &key, SyncKind::Assignee)
        .await
        .unwrap();
    assert_eq!(watermark, None);
}

/// Behaviour: an organization without a link to the integration cannot link issues through
/// it: `NotFound`, nothing written.
pub async fn link_issue_without_an_organization_link_is_not_found<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let unlinked = f
        .store
        .seed_organization("initech", OrganizationFeatures::all())
        .await
        .unwrap();
    let project = f.store.seed_project(unlinked, "ops").await.unwrap();
    let issue = unlinked_issue(&f, project).await;
    let key = IssueKey::new("OPS-1");
    let result = f
        .store
        .link_issue(unlinked, f.integration, &key, issue)
        .await;
    assert_not_found(
        result,
        &format!(
            "not found: a link of organization {unlinked} to integration {}",
            f.integration
        ),
    );
    let linked = f
        .store
        .linked_issues(f.integration, &key, &[unlinked])
        .await
        .unwrap();
    assert!(linked.is_empty());
}

/// Behaviour: unlinking removes the link only; the row keeps its watermark, and unlinking
/// again is `NotFound`.
pub async fn unlink_issue_removes_the_link_and_keeps_the_watermark<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign(&assigned_to_email("alice@example.com", 5_000))
        .await;
    let watermark = f.watermark(SyncKind::Assignee).await;
    let key = IssueKey::new(KEY);
    f.store
        .unlink_issue(f.organization, f.integration, &key, f.issue)
        .await
        .unwrap();
    assert!(linked_to(&f, KEY).await.is_empty());
    assert_eq!(f.watermark(SyncKind::Assignee).await, watermark);

    let result = f
        .store
        .unlink_issue(f.organization, f.integration, &key, f.issue)
        .await;
    assert_not_found(
        result,
        &format!(
            "not found: a link of local issue {} to {KEY} through integration {} in \
             organization {}",
            f.issue, f.integration, f.organization
        ),
    );
    let relinked = f
        .store
        .link_issue(f.organization, f.integration, &key, f.issue)
        .await
        .unwrap();
    assert!(relinked.created);
    assert_eq!(relinked.external_issue.assignee_updated_at, watermark);
}

/// Behaviour: the linking rule refuses a text that is not a Jira key, naming it, and writes
/// nothing; a key links through the store.
pub async fn link_jira_issue_refuses_a_malformed_key<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let issue = unlinked_issue(&f, f.project).await;
    let result = link_jira_issue(
        &*f.store,
        &*f.store,
        f.organization,
        f.integration,
        "APP 9",
        issue,
    )
    .await;
    match result {
        Err(error @ IssueLinkError::InvalidKey { .. }) => assert_eq!(
            error.to_string(),
            "\"APP 9\" is not a Jira issue key: a key is a project key, a hyphen and the \
             issue's number, e.g. SHOP-12"
        ),
        other => panic!("expected an invalid key, got {other:?}"),
    }
    for key in ["APP 9", "APP", "APP-9"] {
        assert!(linked_to(&f, key).await.is_empty(), "{key}");
    }
    let link = link_jira_issue(
        &*f.store,
        &*f.store,
        f.organization,
        f.integration,
        "APP-9",
        issue,
    )
    .await
    .unwrap();
    assert!(link.created);
    assert_eq!(linked_to(&f, "APP-9").await, [issue]);
}

/// Behaviour: an organization's external actors are listed in id order, all of them or those
/// of users, of teams or of one target; other organizations' actors never.
pub async fn lists_external_actors_by_filter<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (other, _, bob) = f.other_organization("bob@example.com").await;
    let insert = |organization, name: &str, target| NewExternalActor {
        organization_id: organization,
        integration_id: f.integration,
        provider: ExternalProvider::JiraServer,
        external_name: name.to_owned(),
        external_id: None,
        target,
    };
    let mut ids = Vec::new();
    for actor in [
        insert(f.organization, "web-team", ActorTarget::Team(f.team)),
        insert(f.organization, "alice", ActorTarget::User(f.alice)),
        insert(other, "bob", ActorTarget::User(bob)),
        insert(f.organization, "alice.j", ActorTarget::User(f.alice)),
    ] {
        ids.push(f.store.insert_external_actor(actor).await.unwrap().id);
    }
    let listed = |filter| {
        let store = &f.store;
        let organization = f.organization;
        async move {
            store
                .external_actors(organization, filter)
                .await
                .unwrap()
                .into_iter()
                .map(|actor| actor.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(ActorFilter::All).await, [ids[0], ids[1], ids[3]]);
    assert_eq!(listed(ActorFilter::Users).await, [ids[1], ids[3]]);
    assert_eq!(listed(ActorFilter::Teams).await, [ids[0]]);
    assert_eq!(
        listed(ActorFilter::Target(ActorTarget::User(f.alice))).await,
        [ids[1], ids[3]]
    );
    assert_eq!(
        listed(ActorFilter::Target(ActorTarget::User(bob))).await,
        []
    );
    let all = f
        .store
        .external_actors(f.organization, ActorFilter::All)
        .await
        .unwrap();
    assert_eq!(all[1].external_name, "alice");
    assert_eq!(all[1].target, ActorTarget::User(f.alice));
}
