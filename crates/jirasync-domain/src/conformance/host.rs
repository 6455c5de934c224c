//! The host conformance suite: what every [`Host`] must do, run against any implementation (an
//! application's own, the standalone service's) together with any [`SyncStore`].
//!
//! Besides the host, a test needs to set the scene in the application's data: a
//! [`HostScene`] does that. jirasync's side is set up through the store's production calls only
//! (an organization registered with [`OrganizationStore::save_organization`], an install, a sync
//! configuration, issue links), so the suite also runs with a store whose application tables
//! belong to someone else.
//!
//! ```ignore
//! jirasync_domain::host_conformance_tests!(async {
//!     let (store, host, scene) = my_app::fresh().await;
//!     (store, host, scene)
//! });
//! ```
//!
//! [`OrganizationStore::save_organization`]: crate::store::OrganizationStore::save_organization

use std::sync::Arc;

use async_trait::async_trait;
use jirasync_webhook::{AssigneeChanged, DeliveryKey, IssueKey, WebhookSecret};

use super::fixture::{DONE, IN_PROGRESS, assigned_on, jira_user_with_email, status_changed};
use super::test_host::{HostFault, TestHost};
use crate::activity::{ActivityData, ActivityKind};
use crate::external_actor::ActorTarget;
use crate::host::{Host, IssueChange};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use crate::integration::{JiraCredentials, SyncConfig};
use crate::issue::{Assignee, ResolutionStatus};
use crate::jira_directory::StaticJiraDirectory;
use crate::organization::{Organization, OrganizationFeatures};
use crate::rules::inbound::InboundSync;
use crate::rules::install::{InstallRequest, install_jira_server};
use crate::rules::outcome::HaltReason;
use crate::secret::SecretString;
use crate::store::SyncStore;

/// Sets the scene for the host conformance suite in the application's own data.
#[async_trait]
pub trait HostScene: Send + Sync {
    /// A new organization of the application (its id is registered with jirasync's store by
    /// the suite).
    async fn organization(&self, name: &str) -> OrganizationId;

    /// A new user, member of `organization`, active or not, with these e-mail addresses
    /// (`true`: verified).
    async fn user(
        &self,
        organization: OrganizationId,
        active: bool,
        emails: &[(&str, bool)],
    ) -> UserId;

    /// A new unassigned, unresolved issue of `organization` that exactly `assignable` may be
    /// assigned.
    async fn issue(&self, organization: OrganizationId, assignable: &[UserId]) -> LocalIssueId;

    /// How many activities the application recorded for the issue; `None` when it keeps no
    /// activity log.
    async fn activity_count(&self, issue: LocalIssueId) -> Option<usize>;
}

/// Expands to one `#[tokio::test]` per host behaviour. `$factory` is an `async` block giving a
/// fresh `(store, host, scene)` triple; with `optional:` it gives an `Option` of one, and `None`
/// skips the test (the factory prints why).
#[macro_export]
macro_rules! host_conformance_tests {
    ($factory:expr) => {
        $crate::host_conformance_tests!(optional: async { Some($factory.await) });
    };
    (optional: $factory:expr) => {
        $crate::host_conformance_tests!(
            @each $factory;
            host_finds_active_users_by_verified_email_ignoring_case,
            host_lists_the_active_users_among_ids,
            host_says_who_may_be_assigned_an_issue,
            host_reads_an_issue,
            host_applies_each_kind_of_change_and_again_idempotently,
            host_drops_a_change_to_a_missing_issue,
            host_knows_organization_members,
            host_syncs_an_inbound_assignee_and_status_end_to_end,
            host_crash_after_a_write_is_repaired_once,
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some((store, host, scene)) = $factory.await {
                    $crate::conformance::host::$name(
                        ::std::sync::Arc::new(store),
                        ::std::sync::Arc::new(host),
                        scene,
                    )
                    .await;
                }
            }
        )*
    };
}

/// A change of `issue` as inbound sync makes it.
fn change(issue: LocalIssueId, kind: ActivityKind, assignee: Option<Assignee>) -> IssueChange {
    IssueChange {
        issue,
        kind,
        data: ActivityData::inbound(IntegrationId::new(1), assignee, None),
    }
}

/// Behaviour: users are found by any verified address, ignoring case; unverified addresses and
/// inactive users never match; several users come in ascending id order.
pub async fn host_finds_active_users_by_verified_email_ignoring_case<
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    C: HostScene,
>(
    _store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let alice = scene
        .user(
            org,
            true,
            &[("alice@work.example", false), ("Alice@Example.com", true)],
        )
        .await;
    let twin = scene.user(org, true, &[("alice@example.com", true)]).await;
    scene.user(org, false, &[("alice@example.com", true)]).await;
    scene.user(org, true, &[("carol@example.com", false)]).await;

    let found = host
        .users_with_verified_email("ALICE@example.com")
        .await
        .unwrap();
    let mut expected = vec![alice, twin];
    expected.sort_unstable();
    assert_eq!(found, expected);
    assert!(
        host.users_with_verified_email("alice@work.example")
            .await
            .unwrap()
            .is_empty(),
        "an unverified address matched"
    );
    assert!(
        host.users_with_verified_email("carol@example.com")
            .await
            .unwrap()
            .is_empty()
    );
}

/// Behaviour: `active_users` keeps the active ones among the ids, ascending, and drops unknown
/// ids.
pub async fn host_lists_the_active_users_among_ids<
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    C: HostScene,
>(
    _store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let active = scene.user(org, true, &[("a@example.com", true)]).await;
    let inactive = scene.user(org, false, &[("b@example.com", true)]).await;
    let other = scene.user(org, true, &[("c@example.com", true)]).await;
    let unknown = UserId::new(999_999_999);
    let found = host
        .active_users(&[other, unknown, inactive, active])
        .await
        .unwrap();
    let mut expected = vec![active, other];
    expected.sort_unstable();
    assert_eq!(found, expected);
}

/// Behaviour: exactly the users the application lets be assigned an issue are assignable; an
/// unknown issue has none.
pub async fn host_says_who_may_be_assigned_an_issue<
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    C: HostScene,
>(
    _store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let alice = scene.user(org, true, &[("a@example.com", true)]).await;
    let bob = scene.user(org, true, &[("b@example.com", true)]).await;
    let issue = scene.issue(org, &[alice]).await;
    let mut assignable = host.assignable_users(issue, &[bob, alice]).await.unwrap();
    assignable.sort_unstable();
    assert_eq!(assignable, [alice]);
    let none = host
        .assignable_users(LocalIssueId::new(999_999_999), &[alice])
        .await
        .unwrap();
    assert!(none.is_empty());
}

/// Behaviour: an issue reads back with its organization, unassigned and unresolved; an
/// unknown one is `None`.
pub async fn host_reads_an_issue<S: SyncStore + ?Sized, H: Host + ?Sized, C: HostScene>(
    _store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let issue = scene.issue(org, &[]).await;
    let read = host.issue(issue).await.unwrap().expect("the issue exists");
    assert_eq!(read.organization_id, org);
    assert_eq!(read.assignee, None);
    assert_eq!(read.status, ResolutionStatus::Unresolved);
    assert_eq!(
        host.issue(LocalIssueId::new(999_999_999)).await.unwrap(),
        None
    );
}

/// Behaviour: each kind of change sets its value, and the same change twice leaves the same
/// value (writes are "set to X").
pub async fn host_applies_each_kind_of_change_and_again_idempotently<
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    C: HostScene,
>(
    _store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let alice = scene.user(org, true, &[("a@example.com", true)]).await;
    let issue = scene.issue(org, &[alice]).await;
    let read = || async { host.issue(issue).await.unwrap().expect("the issue exists") };

    let assign = change(issue, ActivityKind::Assigned, Some(Assignee::User(alice)));
    for _ in 0..2 {
        host.apply_change(&assign).await.unwrap();
        assert_eq!(read().await.assignee, Some(Assignee::User(alice)));
    }
    let unassign = change(issue, ActivityKind::Unassigned, None);
    for _ in 0..2 {
        host.apply_change(&unassign).await.unwrap();
        assert_eq!(read().await.assignee, None);
    }
    let resolve = change(issue, ActivityKind::SetResolved, None);
    for _ in 0..2 {
        host.apply_change(&resolve).await.unwrap();
        assert_eq!(read().await.status, ResolutionStatus::Resolved);
    }
    host.apply_change(&change(issue, ActivityKind::SetUnresolved, None))
        .await
        .unwrap();
    assert_eq!(read().await.status, ResolutionStatus::Unresolved);
}

/// Behaviour: a change to an issue the application no longer has is dropped, not an error.
pub async fn host_drops_a_change_to_a_missing_issue<
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    C: HostScene,
>(
    _store: Arc<S>,
    host: Arc<H>,
    _scene: C,
) {
    let missing = LocalIssueId::new(999_999_999);
    host.apply_change(&change(missing, ActivityKind::SetResolved, None))
        .await
        .unwrap();
}

/// Behaviour: members of an organization are in it, others are not.
pub async fn host_knows_organization_members<
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    C: HostScene,
>(
    _store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let acme = scene.organization("acme").await;
    let globex = scene.organization("globex").await;
    let alice = scene.user(acme, true, &[("a@example.com", true)]).await;
    assert!(
        host.in_organization(acme, ActorTarget::User(alice))
            .await
            .unwrap()
    );
    assert!(
        !host
            .in_organization(globex, ActorTarget::User(alice))
            .await
            .unwrap()
    );
}

/// jirasync's side of a scene: the organization registered, Jira installed with inbound
/// assignee and status sync on, `issue` linked to `key`. Returns the integration.
async fn installed<S: SyncStore + ?Sized>(
    store: &S,
    organization: OrganizationId,
    issue: LocalIssueId,
    key: &str,
) -> IntegrationId {
    store
        .save_organization(Organization {
            id: organization,
            name: "acme".into(),
            features: OrganizationFeatures::all(),
        })
        .await
        .unwrap();
    let installation = install_jira_server(
        store,
        InstallRequest {
            organization_id: organization,
            base_url: "https://jira.example.com".into(),
            consumer_key: "jirasync".into(),
            verify_ssl: true,
            webhook_secret: WebhookSecret::new("host-suite-secret"),
            credentials: JiraCredentials::Bearer {
                token: SecretString::new("personal-access-token"),
            },
            installed_by: None,
        },
    )
    .await
    .unwrap();
    let integration = installation.integration.id;
    store
        .update_sync_config(organization, integration, SyncConfig::all_on())
        .await
        .unwrap();
    store
        .link_issue(organization, integration, &IssueKey::new(key), issue)
        .await
        .unwrap();
    integration
}

fn assigned_to(email: &str, at: i64) -> AssigneeChanged {
    assigned_on("APP-7", Some(jira_user_with_email(email)), Some(at))
}

/// Behaviour: through the rules, a Jira assignment reaches the application's issue (the user
/// who may be assigned it, matched by e-mail), a Jira resolution resolves it, each with one
/// activity, and the same delivery again changes nothing.
pub async fn host_syncs_an_inbound_assignee_and_status_end_to_end<
    S: SyncStore + ?Sized + 'static,
    H: Host + ?Sized + 'static,
    C: HostScene,
>(
    store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let outsider = scene.user(org, true, &[("alice@example.com", true)]).await;
    let alice = scene.user(org, true, &[("alice@example.com", true)]).await;
    let issue = scene.issue(org, &[alice]).await;
    let integration = installed(&*store, org, issue, "APP-7").await;
    let directory = StaticJiraDirectory::new().with_done_statuses([DONE]);
    let sync = InboundSync::new(store, Arc::clone(&host), Arc::new(directory));
    let key = DeliveryKey::new("10007", "40001", "jira:issue_updated");

    let assigned = sync
        .sync_assignee(
            integration,
            &assigned_to("alice@example.com", 1_000),
            Some(&key),
        )
        .await
        .unwrap();
    assert_eq!((assigned.changed, assigned.halt), (1, None));
    assert_ne!(outsider, alice);
    let read = host.issue(issue).await.unwrap().expect("the issue exists");
    assert_eq!(read.assignee, Some(Assignee::User(alice)));

    let mut resolved_event = status_changed(IN_PROGRESS, DONE, 2_000);
    resolved_event.issue_key = IssueKey::new("APP-7");
    let resolved = sync
        .sync_status(integration, &resolved_event, Some(&key))
        .await
        .unwrap();
    assert_eq!((resolved.changed, resolved.halt), (1, None));
    let read = host.issue(issue).await.unwrap().expect("the issue exists");
    assert_eq!(read.status, ResolutionStatus::Resolved);

    let again = sync
        .sync_assignee(
            integration,
            &assigned_to("alice@example.com", 1_000),
            Some(&key),
        )
        .await
        .unwrap();
    assert_eq!(again.halt, Some(HaltReason::DuplicateDelivery));
    if let Some(count) = scene.activity_count(issue).await {
        assert_eq!(count, 2, "one activity per change");
    }
}

/// Behaviour: the process stops after the application wrote, before jirasync committed; the
/// redelivery finds the issue already assigned and the application records the change once.
pub async fn host_crash_after_a_write_is_repaired_once<
    S: SyncStore + ?Sized + 'static,
    H: Host + ?Sized + 'static,
    C: HostScene,
>(
    store: Arc<S>,
    host: Arc<H>,
    scene: C,
) {
    let org = scene.organization("acme").await;
    let alice = scene.user(org, true, &[("alice@example.com", true)]).await;
    let issue = scene.issue(org, &[alice]).await;
    let integration = installed(&*store, org, issue, "APP-7").await;
    let directory = Arc::new(StaticJiraDirectory::new());
    let crashing = InboundSync::new(
        Arc::clone(&store),
        Arc::new(TestHost::with_fault(
            Arc::clone(&host),
            HostFault::CrashAfterWrite { call: 1 },
        )),
        Arc::clone(&directory),
    );
    let key = DeliveryKey::new("10007", "40002", "jira:issue_updated");
    let event = assigned_to("alice@example.com", 1_000);
    let error = crashing
        .sync_assignee(integration, &event, Some(&key))
        .await
        .expect_err("the crash fails the sync");
    assert!(error.is_retryable(), "{error}");

    let sync = InboundSync::new(store, Arc::clone(&host), directory);
    let again = sync
        .sync_assignee(integration, &event, Some(&key))
        .await
        .unwrap();
    assert_eq!((again.changed, again.unchanged, again.halt), (0, 1, None));
    let read = host.issue(issue).await.unwrap().expect("the issue exists");
    assert_eq!(read.assignee, Some(Assignee::User(alice)));
    if let Some(count) = scene.activity_count(issue).await {
        assert_eq!(count, 1, "the change was recorded once");
    }
}

/// A [`HostScene`] over a conformance [`World`](super::World) (the in-memory store, the SQL
/// stores' standalone host), through its [`Seed`](crate::Seed): each issue gets a project of its
/// own, reached by a team of the assignable users.
#[derive(Debug)]
pub struct SeedScene<W: ?Sized>(pub Arc<W>);

#[async_trait]
impl<W: super::World + ?Sized + 'static> HostScene for SeedScene<W> {
    async fn organization(&self, name: &str) -> OrganizationId {
        self.0
            .seed_organization(name, OrganizationFeatures::all())
            .await
            .unwrap()
    }

    async fn user(
        &self,
        organization: OrganizationId,
        active: bool,
        emails: &[(&str, bool)],
    ) -> UserId {
        let emails = emails
            .iter()
            .map(|(address, verified)| crate::people::UserEmail {
                address: (*address).to_owned(),
                verified: *verified,
            })
            .collect();
        let user = self.0.seed_user(active, emails).await.unwrap();
        self.0.seed_member(organization, user).await.unwrap();
        user
    }

    async fn issue(&self, organization: OrganizationId, assignable: &[UserId]) -> LocalIssueId {
        let project = self.0.seed_project(organization, "project").await.unwrap();
        let team = self.0.seed_team(organization, "team").await.unwrap();
        self.0.seed_team_project(team, project).await.unwrap();
        for user in assignable {
            self.0.seed_team_member(team, *user, true).await.unwrap();
        }
        self.0
            .seed_local_issue(project, ResolutionStatus::Unresolved, None)
            .await
            .unwrap()
    }

    async fn activity_count(&self, issue: LocalIssueId) -> Option<usize> {
        Some(self.0.activities(issue).await.unwrap().len())
    }
}
