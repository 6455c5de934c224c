//! Shared by the layout tests: what a store opened with `Layout::Bookkeeping` does (jirasync's
//! bookkeeping and the inbox work) and refuses (every call about the standalone host's tables).

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::SystemTime;

use jirasync_domain::activity::{ActivityData, ActivityKind};
use jirasync_domain::external_actor::ActorTarget;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::inbox::Inbox;
use jirasync_domain::inbox::conformance::delivery;
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_domain::state::StateSnapshot;
use jirasync_domain::{
    Host, HostError, IssueChange, LocalIssueStore, OrganizationStore, Seed, StateStore, StoreError,
};

/// What a bookkeeping-only store answers about the host's tables.
pub(crate) const REFUSAL: &str =
    "this store was opened with jirasync's bookkeeping tables only: the application is the host";

/// The standalone tables, none of which a bookkeeping-only database has.
pub(crate) const STANDALONE_TABLES: [&str; 10] = [
    "users",
    "user_emails",
    "organization_members",
    "teams",
    "team_members",
    "projects",
    "team_projects",
    "local_issues",
    "issue_assignees",
    "activities",
];

fn assert_refused_store(result: Result<impl std::fmt::Debug, StoreError>) {
    match result {
        Err(StoreError::Invalid { message }) => assert_eq!(message, REFUSAL),
        other => panic!("not refused: {other:?}"),
    }
}

fn assert_refused_host(result: Result<impl std::fmt::Debug, HostError>) {
    match result {
        Err(error @ HostError::Refused { .. }) => {
            assert!(error.to_string().contains(REFUSAL), "{error}");
        }
        other => panic!("not refused: {other:?}"),
    }
}

/// Every `Host`, `LocalIssueStore`, `StateStore` and `Seed` call is refused with [`REFUSAL`].
pub(crate) async fn assert_the_host_calls_are_refused<S>(store: &S)
where
    S: Host + LocalIssueStore + StateStore + Seed,
{
    let issue = LocalIssueId::new(1);
    let user = UserId::new(1);
    assert_refused_host(store.users_with_verified_email("a@example.com").await);
    assert_refused_host(store.active_users(&[user]).await);
    assert_refused_host(store.assignable_users(issue, &[user]).await);
    assert_refused_host(store.issue(issue).await);
    let change = IssueChange {
        issue,
        kind: ActivityKind::Unassigned,
        data: ActivityData::inbound(IntegrationId::new(1), None, None),
    };
    assert_refused_host(store.apply_change(&change).await);
    let member = ActorTarget::User(user);
    assert_refused_host(store.in_organization(OrganizationId::new(1), member).await);
    assert_refused_store(store.local_issue(issue).await);
    assert_refused_store(store.activities(issue).await);
    assert_refused_store(store.export_state().await);
    assert_refused_store(store.replace_state(&StateSnapshot::default()).await);
    let features = OrganizationFeatures::all();
    assert_refused_store(store.seed_organization("acme", features).await);
    assert_refused_store(store.seed_user(true, Vec::new()).await);
}

/// jirasync's own calls work: an organization is registered and a delivery enqueued.
pub(crate) async fn assert_the_bookkeeping_works<S>(store: &S)
where
    S: OrganizationStore + Inbox + ?Sized,
{
    let organization = Organization {
        id: OrganizationId::new(42),
        name: "acme".into(),
        features: OrganizationFeatures::all(),
    };
    store.save_organization(organization.clone()).await.unwrap();
    assert_eq!(store.organizations().await.unwrap(), [organization]);
    store
        .enqueue(delivery(Some("jira:1/APP-1"), Some(1)))
        .await
        .unwrap();
    let depth = store.depth(SystemTime::now()).await.unwrap();
    assert_eq!(depth.ready, 1);
}

/// Once a database [`assert_the_bookkeeping_works`] ran on is opened standalone, the
/// organization it registered takes projects, and the ids the store assigns follow its id.
pub(crate) async fn assert_the_standalone_part_serves_the_registered_organization<S>(store: &S)
where
    S: OrganizationStore + Seed,
{
    store
        .seed_project(OrganizationId::new(42), "web")
        .await
        .unwrap();
    let seeded = store
        .seed_organization("globex", OrganizationFeatures::all())
        .await
        .unwrap();
    assert!(seeded.get() > 42, "ids follow the application's");
    assert_eq!(store.organizations().await.unwrap().len(), 2);
}
