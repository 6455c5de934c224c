//! A store and an inbox that answer like the in-memory ones until switched off, then fail every
//! call with `StoreError::Unavailable`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jirasync_domain::activity::Activity;
use jirasync_domain::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use jirasync_domain::ids::{
    ExternalActorId, IntegrationId, LocalIssueId, OrganizationId, TeamId, UserId,
};
use jirasync_domain::integration::{
    ExternalId, Identity, Integration, OrganizationIntegration, SyncConfig,
};
use jirasync_domain::issue::{ExternalIssue, IssueLink, LinkedIssue, LocalIssue};
use jirasync_domain::organization::Organization;
use jirasync_domain::people::{ProjectAccess, Team, User};
use jirasync_domain::store::{
    AssigneePlan, InstallRecord, Installation, OrganizationLink, PlanApplied, StatusPlan, SyncKind,
};
use jirasync_domain::{
    DirectoryStore, ExternalActorStore, InMemoryStore, IntegrationStore, IssueLinkStore,
    IssueSyncStore, StoreError, WatermarkStore,
};
use jirasync_store::inbox::{
    ClaimedDelivery, DeliveryId, DeliveryState, DeliverySummary, FailOutcome, Inbox, InboxDepth,
    MemoryInbox, NewDelivery,
};
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

/// Whether a flaky thing is down.
#[derive(Debug, Default)]
pub struct Switch(AtomicBool);

impl Switch {
    pub fn set_down(&self, down: bool) {
        self.0.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.0.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused (test switch)"))
        } else {
            Ok(())
        }
    }
}

/// An [`InMemoryStore`] that can be switched off.
#[derive(Debug, Default)]
pub struct FlakyStore {
    pub inner: Arc<InMemoryStore>,
    pub switch: Switch,
}

#[async_trait]
impl IntegrationStore for FlakyStore {
    async fn integration(&self, id: IntegrationId) -> Result<Option<Integration>, StoreError> {
        self.switch.check()?;
        self.inner.integration(id).await
    }

    async fn integration_by_external_id(
        &self,
        provider: &str,
        external_id: &ExternalId,
    ) -> Result<Option<Integration>, StoreError> {
        self.switch.check()?;
        self.inner
            .integration_by_external_id(provider, external_id)
            .await
    }

    async fn organization_links(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Vec<OrganizationLink>, StoreError> {
        self.switch.check()?;
        self.inner.organization_links(integration_id).await
    }

    async fn identity(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
    ) -> Result<Option<Identity>, StoreError> {
        self.switch.check()?;
        self.inner.identity(organization_id, integration_id).await
    }

    async fn install(&self, record: InstallRecord) -> Result<Installation, StoreError> {
        self.switch.check()?;
        self.inner.install(record).await
    }

    async fn integrations(&self) -> Result<Vec<Integration>, StoreError> {
        self.switch.check()?;
        self.inner.integrations().await
    }

    async fn update_sync_config(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        config: SyncConfig,
    ) -> Result<OrganizationIntegration, StoreError> {
        self.switch.check()?;
        self.inner
            .update_sync_config(organization_id, integration_id, config)
            .await
    }
}

#[async_trait]
impl IssueLinkStore for FlakyStore {
    async fn linked_issues(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organizations: &[OrganizationId],
    ) -> Result<Vec<LinkedIssue>, StoreError> {
        self.switch.check()?;
        self.inner
            .linked_issues(integration_id, key, organizations)
            .await
    }

    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError> {
        self.switch.check()?;
        self.inner.local_issue(id).await
    }

    async fn link_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<IssueLink, StoreError> {
        self.switch.check()?;
        self.inner
            .link_issue(organization_id, integration_id, key, local_issue_id)
            .await
    }

    async fn external_issues_of(
        &self,
        local_issue_id: LocalIssueId,
    ) -> Result<Vec<ExternalIssue>, StoreError> {
        self.switch.check()?;
        self.inner.external_issues_of(local_issue_id).await
    }

    async fn unlink_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<(), StoreError> {
        self.switch.check()?;
        self.inner
            .unlink_issue(organization_id, integration_id, key, local_issue_id)
            .await
    }
}

#[async_trait]
impl DirectoryStore for FlakyStore {
    async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        self.switch.check()?;
        self.inner.organizations().await
    }

    async fn organization(&self, id: OrganizationId) -> Result<Option<Organization>, StoreError> {
        self.switch.check()?;
        self.inner.organization(id).await
    }

    async fn active_users_with_verified_email(
        &self,
        email: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        self.switch.check()?;
        self.inner.active_users_with_verified_email(email).await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        self.switch.check()?;
        self.inner.users(ids).await
    }

    async fn project_access(&self, ids: &[UserId]) -> Result<Vec<ProjectAccess>, StoreError> {
        self.switch.check()?;
        self.inner.project_access(ids).await
    }

    async fn is_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        self.switch.check()?;
        self.inner.is_member(organization_id, user_id).await
    }

    async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError> {
        self.switch.check()?;
        self.inner.team(id).await
    }
}

#[async_trait]
impl IssueSyncStore for FlakyStore {
    async fn apply_assignee_plan(&self, plan: AssigneePlan) -> Result<PlanApplied, StoreError> {
        self.switch.check()?;
        self.inner.apply_assignee_plan(plan).await
    }

    async fn apply_status_plan(&self, plan: StatusPlan) -> Result<PlanApplied, StoreError> {
        self.switch.check()?;
        self.inner.apply_status_plan(plan).await
    }

    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError> {
        self.switch.check()?;
        self.inner.activities(local_issue_id).await
    }
}

#[async_trait]
impl WatermarkStore for FlakyStore {
    async fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Result<Option<EventTime>, StoreError> {
        self.switch.check()?;
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
        self.switch.check()?;
        self.inner
            .delivery_seen(integration_id, kind, delivery_key)
            .await
    }
}

#[async_trait]
impl ExternalActorStore for FlakyStore {
    async fn external_actors(
        &self,
        organization_id: OrganizationId,
        filter: ActorFilter,
    ) -> Result<Vec<ExternalActor>, StoreError> {
        self.switch.check()?;
        self.inner.external_actors(organization_id, filter).await
    }

    async fn external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<Option<ExternalActor>, StoreError> {
        self.switch.check()?;
        self.inner.external_actor(organization_id, id).await
    }

    async fn external_actors_named(
        &self,
        organization_id: OrganizationId,
        provider: ExternalProvider,
        target: ActorTarget,
        external_name: &str,
    ) -> Result<Vec<ExternalActor>, StoreError> {
        self.switch.check()?;
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
        self.switch.check()?;
        self.inner
            .users_with_external_name(integration_id, provider, names)
            .await
    }

    async fn insert_external_actor(
        &self,
        actor: NewExternalActor,
    ) -> Result<ExternalActor, StoreError> {
        self.switch.check()?;
        self.inner.insert_external_actor(actor).await
    }

    async fn update_external_actor(
        &self,
        actor: ExternalActor,
    ) -> Result<ExternalActor, StoreError> {
        self.switch.check()?;
        self.inner.update_external_actor(actor).await
    }

    async fn delete_external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<(), StoreError> {
        self.switch.check()?;
        self.inner.delete_external_actor(organization_id, id).await
    }
}

/// A [`MemoryInbox`] that can be switched off.
#[derive(Debug, Default)]
pub struct FlakyInbox {
    pub inner: MemoryInbox,
    pub switch: Switch,
}

#[async_trait]
impl Inbox for FlakyInbox {
    async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError> {
        self.switch.check()?;
        self.inner.enqueue(delivery).await
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        self.switch.check()?;
        self.inner.claim(now, lease, limit).await
    }

    async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
        self.switch.check()?;
        self.inner.complete(id, attempt).await
    }

    async fn fail(
        &self,
        id: DeliveryId,
        attempt: u32,
        error: &str,
        retry_at: Option<SystemTime>,
    ) -> Result<FailOutcome, StoreError> {
        self.switch.check()?;
        self.inner.fail(id, attempt, error, retry_at).await
    }

    async fn replay(&self, id: DeliveryId) -> Result<(), StoreError> {
        self.switch.check()?;
        self.inner.replay(id).await
    }

    async fn list(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        self.switch.check()?;
        self.inner.list(state, limit).await
    }

    async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError> {
        self.switch.check()?;
        self.inner.depth(now).await
    }

    async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError> {
        self.switch.check()?;
        self.inner.purge_done(before).await
    }
}
