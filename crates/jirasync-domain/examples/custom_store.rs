//! Implementing the storage traits for your own store: a newtype that delegates every call to an
//! [`InMemoryStore`] and logs each write plan the rules hand it, then one inbound sync through it.
//!
//! ```sh
//! cargo run -p jirasync-domain --example custom_store
//! ```
//!
//! Delegation shows the shape of the traits, not what a real store must guarantee. A real
//! implementation (as `jirasync-store` does for SQLite and PostgreSQL) applies each plan
//! ([`AssigneePlan`], [`StatusPlan`], [`InstallRecord`]) in **one transaction**, enforcing the
//! delivery de-duplication and the ordering guard inside it, so two instances applying deliveries
//! for one Jira issue at the same time give the result of applying them one after the other. It
//! proves that by running the conformance suite in an integration test, with the crate's `testing`
//! feature and a [`Seed`] implementation:
//!
//! ```ignore
//! jirasync_domain::conformance_tests!(async { my_store::connect_fresh().await });
//! ```

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jirasync_domain::activity::Activity;
use jirasync_domain::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use jirasync_domain::ids::{
    ExternalActorId, IntegrationId, LocalIssueId, OrganizationId, TeamId, UserId,
};
use jirasync_domain::integration::{
    ExternalId, Identity, Integration, IntegrationMetadata, LinkStatus, OrganizationIntegration,
    SyncConfig,
};
use jirasync_domain::issue::{ExternalIssue, IssueLink, LinkedIssue, LocalIssue, ResolutionStatus};
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_domain::people::{ProjectAccess, Team, User, UserEmail};
use jirasync_domain::store::{
    AssigneePlan, InstallRecord, Installation, OrganizationLink, PlanApplied, StatusPlan, SyncKind,
};
use jirasync_domain::{
    DirectoryStore, ExternalActorStore, InMemoryStore, InboundSync, IntegrationStore,
    IssueLinkStore, IssueSyncStore, Seed, StaticJiraDirectory, StoreError, WatermarkStore,
};
use jirasync_webhook::{Classification, DeliveryKey, EventTime, IssueKey, parse_and_classify};

/// Jira Server 9 assigning APP-123 to jess@example.com and moving it to Done (status 10102).
const DELIVERY: &[u8] = include_bytes!("../../../tests/fixtures/webhooks/assignee_and_status.json");

/// Your store. Here: an [`InMemoryStore`] that also keeps a log of the writes it was asked for.
#[derive(Debug, Default)]
struct PlanLoggingStore {
    inner: InMemoryStore,
    writes: Mutex<Vec<String>>,
}

impl PlanLoggingStore {
    /// Records one write call and what it was given.
    fn log(&self, call: &str, plan: &impl Debug) {
        let entry = format!("{call}: {plan:?}");
        // A poisoned lock only means another thread panicked while logging; keep the log.
        let mut writes = self
            .writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        writes.push(entry);
    }

    fn take_writes(&self) -> Vec<String> {
        let mut writes = self
            .writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::take(&mut *writes)
    }
}

#[async_trait]
impl IntegrationStore for PlanLoggingStore {
    async fn integration(&self, id: IntegrationId) -> Result<Option<Integration>, StoreError> {
        self.inner.integration(id).await
    }

    async fn integrations(&self) -> Result<Vec<Integration>, StoreError> {
        self.inner.integrations().await
    }

    async fn integration_by_external_id(
        &self,
        provider: &str,
        external_id: &ExternalId,
    ) -> Result<Option<Integration>, StoreError> {
        self.inner
            .integration_by_external_id(provider, external_id)
            .await
    }

    async fn organization_links(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Vec<OrganizationLink>, StoreError> {
        self.inner.organization_links(integration_id).await
    }

    async fn identity(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
    ) -> Result<Option<Identity>, StoreError> {
        self.inner.identity(organization_id, integration_id).await
    }

    async fn install(&self, record: InstallRecord) -> Result<Installation, StoreError> {
        self.log("install", &record);
        self.inner.install(record).await
    }

    async fn update_sync_config(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        config: SyncConfig,
    ) -> Result<OrganizationIntegration, StoreError> {
        self.log(
            "update_sync_config",
            &(organization_id, integration_id, &config),
        );
        self.inner
            .update_sync_config(organization_id, integration_id, config)
            .await
    }
}

#[async_trait]
impl IssueLinkStore for PlanLoggingStore {
    async fn linked_issues(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organizations: &[OrganizationId],
    ) -> Result<Vec<LinkedIssue>, StoreError> {
        self.inner
            .linked_issues(integration_id, key, organizations)
            .await
    }

    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError> {
        self.inner.local_issue(id).await
    }

    async fn link_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<IssueLink, StoreError> {
        self.log(
            "link_issue",
            &(organization_id, integration_id, key, local_issue_id),
        );
        self.inner
            .link_issue(organization_id, integration_id, key, local_issue_id)
            .await
    }

    async fn external_issues_of(
        &self,
        local_issue_id: LocalIssueId,
    ) -> Result<Vec<ExternalIssue>, StoreError> {
        self.inner.external_issues_of(local_issue_id).await
    }

    async fn unlink_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<(), StoreError> {
        self.log(
            "unlink_issue",
            &(organization_id, integration_id, key, local_issue_id),
        );
        self.inner
            .unlink_issue(organization_id, integration_id, key, local_issue_id)
            .await
    }
}

#[async_trait]
impl DirectoryStore for PlanLoggingStore {
    async fn organization(&self, id: OrganizationId) -> Result<Option<Organization>, StoreError> {
        self.inner.organization(id).await
    }

    async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        self.inner.organizations().await
    }

    async fn active_users_with_verified_email(
        &self,
        email: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        self.inner.active_users_with_verified_email(email).await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        self.inner.users(ids).await
    }

    async fn project_access(&self, ids: &[UserId]) -> Result<Vec<ProjectAccess>, StoreError> {
        self.inner.project_access(ids).await
    }

    async fn is_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        self.inner.is_member(organization_id, user_id).await
    }

    async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError> {
        self.inner.team(id).await
    }
}

#[async_trait]
impl IssueSyncStore for PlanLoggingStore {
    async fn apply_assignee_plan(&self, plan: AssigneePlan) -> Result<PlanApplied, StoreError> {
        // In a SQL store: BEGIN; record the delivery key; per organization compare and move the
        // watermark, update the issues, insert the activities; COMMIT.
        self.log("apply_assignee_plan", &plan);
        self.inner.apply_assignee_plan(plan).await
    }

    async fn apply_status_plan(&self, plan: StatusPlan) -> Result<PlanApplied, StoreError> {
        self.log("apply_status_plan", &plan);
        self.inner.apply_status_plan(plan).await
    }

    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError> {
        self.inner.activities(local_issue_id).await
    }
}

#[async_trait]
impl WatermarkStore for PlanLoggingStore {
    async fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Result<Option<EventTime>, StoreError> {
        self.inner
            .watermark(organization_id, integration_id, key, kind)
            .await
    }

    async fn delivery_seen(
        &self,
        integration_id: IntegrationId,
        kind: SyncKind,
        delivery_key: &DeliveryKey,
    ) -> Result<bool, StoreError> {
        self.inner
            .delivery_seen(integration_id, kind, delivery_key)
            .await
    }
}

#[async_trait]
impl ExternalActorStore for PlanLoggingStore {
    async fn external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<Option<ExternalActor>, StoreError> {
        self.inner.external_actor(organization_id, id).await
    }

    async fn external_actors(
        &self,
        organization_id: OrganizationId,
        filter: ActorFilter,
    ) -> Result<Vec<ExternalActor>, StoreError> {
        self.inner.external_actors(organization_id, filter).await
    }

    async fn external_actors_named(
        &self,
        organization_id: OrganizationId,
        provider: ExternalProvider,
        target: ActorTarget,
        external_name: &str,
    ) -> Result<Vec<ExternalActor>, StoreError> {
        self.inner
            .external_actors_named(organization_id, provider, target, external_name)
            .await
    }

    async fn users_with_external_name(
        &self,
        integration_id: IntegrationId,
        provider: ExternalProvider,
        names: &[&str],
    ) -> Result<Vec<UserId>, StoreError> {
        self.inner
            .users_with_external_name(integration_id, provider, names)
            .await
    }

    async fn insert_external_actor(
        &self,
        actor: NewExternalActor,
    ) -> Result<ExternalActor, StoreError> {
        self.log("insert_external_actor", &actor);
        self.inner.insert_external_actor(actor).await
    }

    async fn update_external_actor(
        &self,
        actor: ExternalActor,
    ) -> Result<ExternalActor, StoreError> {
        self.log("update_external_actor", &actor);
        self.inner.update_external_actor(actor).await
    }

    async fn delete_external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<(), StoreError> {
        self.log("delete_external_actor", &(organization_id, id));
        self.inner.delete_external_actor(organization_id, id).await
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let store = Arc::new(PlanLoggingStore::default());

    // Set the scene on the wrapped store: the seeding helpers are for tests and examples.
    let seed = &store.inner;
    let org = seed
        .seed_organization("acme", OrganizationFeatures::all())
        .await?;
    let jira = seed
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
        .await?;
    seed.seed_organization_integration(org, jira, LinkStatus::Active, SyncConfig::all_on())
        .await?;
    let project = seed.seed_project(org, "web").await?;
    let team = seed.seed_team(org, "web-team").await?;
    seed.seed_team_project(team, project).await?;
    let jess = seed
        .seed_user(true, vec![UserEmail::verified("jess@example.com")])
        .await?;
    seed.seed_team_member(team, jess, true).await?;
    let issue = seed
        .seed_local_issue(project, ResolutionStatus::Unresolved, None)
        .await?;
    seed.seed_issue_link(org, jira, &IssueKey::new("APP-123"), issue)
        .await?;

    // The rules run on your store through the traits; Jira says 10102 is a `done` status.
    let directory = StaticJiraDirectory::new().with_done_statuses(["10102"]);
    let sync = InboundSync::new(Arc::clone(&store), Arc::new(directory));
    let Classification::Changes(changes) = parse_and_classify(DELIVERY)? else {
        return Err("the fixture has a changelog".into());
    };
    let outcome = sync.apply_change_set(jira, &changes).await?;

    let writes = store.take_writes();
    println!("the rules made {} write call(s):", writes.len());
    for write in &writes {
        println!("{write}");
    }
    println!(
        "outcome: assignee changed {:?}, status changed {:?}",
        outcome.assignee.map(|assignee| assignee.changed),
        outcome.status.map(|status| status.changed)
    );
    println!("local issue now: {:?}", store.local_issue(issue).await?);
    Ok(())
}
