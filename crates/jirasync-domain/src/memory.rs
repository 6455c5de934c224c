//! A thread-safe store kept in memory: for tests, examples and small embeddings.
//!
//! One [`std::sync::Mutex`] guards the whole state. Every write call holds it from start to end,
//! so a plan is applied atomically, exactly as an SQL store's transaction would; no call awaits
//! while holding it.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use crate::activity::{Activity, ActivityData, ActivityKind};
use crate::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use crate::ids::{
    ActivityId, ExternalActorId, ExternalIssueId, IdentityId, IntegrationId, LocalIssueId,
    OrganizationId, ProjectId, TeamId, UserId,
};
use crate::integration::{
    ExternalId, Identity, Integration, IntegrationMetadata, JIRA_SERVER_PROVIDER,
    JIRA_SERVER_PROVIDER_NAME, LinkStatus, OrganizationIntegration, SyncConfig,
};
use crate::issue::{Assignee, ExternalIssue, IssueLink, LinkedIssue, LocalIssue, ResolutionStatus};
use crate::organization::{Organization, OrganizationFeatures};
use crate::people::{Project, ProjectAccess, Team, User, UserEmail};
use crate::store::missing::{missing_issue_link, missing_local_issue, missing_organization_link};
use crate::store::{
    AssigneePlan, AssigneeTarget, DirectoryStore, ExternalActorStore, InstallRecord, Installation,
    IntegrationStore, IssueLinkStore, IssueSyncStore, OrganizationApplied, OrganizationLink,
    OrganizationResult, PlanApplied, Seed, StatusPlan, StoreError, SyncKind, WatermarkStore,
};
use crate::text::eq_ignore_case;

// The state file import / export, in its own file; a child module so it reaches `State`.
#[path = "memory_state.rs"]
mod memory_state;

/// A store kept in memory. Cloning it is cheap and gives another handle to the same state.
#[derive(Clone, Default)]
pub struct InMemoryStore {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("InMemoryStore")
            .field("organizations", &state.organizations.len())
            .field("integrations", &state.integrations.len())
            .field("users", &state.users.len())
            .field("local_issues", &state.local_issues.len())
            .field("activities", &state.activity_count)
            .finish()
    }
}

/// A Jira issue as one organization links it: the external issue row and its local issues.
#[derive(Debug)]
struct ExternalIssueRow {
    row: ExternalIssue,
    local_issues: BTreeSet<LocalIssueId>,
}

/// What the ordering guard and the delivery log of one plan need.
struct PlanGuard {
    kind: SyncKind,
    integration_id: IntegrationId,
    issue_key: IssueKey,
    occurred_at: Option<EventTime>,
    delivery_key: Option<DeliveryKey>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    organizations: BTreeMap<OrganizationId, Organization>,
    members: BTreeSet<(OrganizationId, UserId)>,
    users: BTreeMap<UserId, User>,
    teams: BTreeMap<TeamId, Team>,
    /// user → team → membership active.
    team_memberships: BTreeMap<UserId, BTreeMap<TeamId, bool>>,
    team_projects: BTreeMap<TeamId, BTreeSet<ProjectId>>,
    projects: BTreeMap<ProjectId, Project>,
    local_issues: BTreeMap<LocalIssueId, LocalIssue>,
    integrations: BTreeMap<IntegrationId, Integration>,
    links: BTreeMap<(IntegrationId, OrganizationId), OrganizationIntegration>,
    identities: BTreeMap<(OrganizationId, IntegrationId), Identity>,
    external_issues: BTreeMap<(IntegrationId, IssueKey, OrganizationId), ExternalIssueRow>,
    deliveries: HashSet<(IntegrationId, SyncKind, DeliveryKey)>,
    external_actors: BTreeMap<ExternalActorId, ExternalActor>,
    activities: BTreeMap<LocalIssueId, Vec<Activity>>,
    activity_count: u64,
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn require_organization(&self, organization_id: OrganizationId) -> Result<(), StoreError> {
        if self.organizations.contains_key(&organization_id) {
            Ok(())
        } else {
            Err(StoreError::not_found(format!(
                "organization {organization_id}"
            )))
        }
    }

    /// Records a delivery key; false when it was recorded before.
    fn record_delivery(
        &mut self,
        integration_id: IntegrationId,
        kind: SyncKind,
        key: Option<&DeliveryKey>,
    ) -> bool {
        match key {
            Some(key) => self.deliveries.insert((integration_id, kind, key.clone())),
            None => true,
        }
    }

    /// The external issue row of (integration, key, organization), created when missing so the
    /// watermark has a home.
    fn external_issue_row(
        &mut self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organization_id: OrganizationId,
    ) -> &mut ExternalIssueRow {
        match self
            .external_issues
            .entry((integration_id, key.clone(), organization_id))
        {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                self.next_id += 1;
                entry.insert(ExternalIssueRow {
                    row: ExternalIssue {
                        id: ExternalIssueId::new(self.next_id),
                        organization_id,
                        integration_id,
                        key: key.clone(),
                        assignee_updated_at: None,
                        status_updated_at: None,
                    },
                    local_issues: BTreeSet::new(),
                })
            }
        }
    }

    /// The ordering guard: `Some(watermark)` when the stored watermark is strictly newer than
    /// `occurred_at` (the organization is skipped).
    fn stale_watermark(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organization_id: OrganizationId,
        kind: SyncKind,
        occurred_at: Option<EventTime>,
    ) -> Option<EventTime> {
        let occurred_at = occurred_at?;
        let row = &self
            .external_issues
            .get(&(integration_id, key.clone(), organization_id))?
            .row;
        watermark_of(row, kind).filter(|stored| *stored > occurred_at)
    }

    /// Moves the watermark forward to `occurred_at` (never back).
    fn advance_watermark(
        &mut self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organization_id: OrganizationId,
        kind: SyncKind,
        occurred_at: Option<EventTime>,
    ) {
        let Some(occurred_at) = occurred_at else {
            return;
        };
        let row = &mut self
            .external_issue_row(integration_id, key, organization_id)
            .row;
        let slot = match kind {
            SyncKind::Assignee => &mut row.assignee_updated_at,
            SyncKind::Status => &mut row.status_updated_at,
        };
        if slot.is_none_or(|stored| stored < occurred_at) {
            *slot = Some(occurred_at);
        }
    }

    fn write_activity(
        &mut self,
        local_issue_id: LocalIssueId,
        kind: ActivityKind,
        data: ActivityData,
    ) {
        self.activity_count += 1;
        let id = ActivityId::new(self.next_id());
        self.activities
            .entry(local_issue_id)
            .or_default()
            .push(Activity {
                id,
                local_issue_id,
                kind,
                data,
            });
    }

    /// Sets one issue's assignee, writing an activity when it changes.
    fn set_assignee(
        &mut self,
        local_issue_id: LocalIssueId,
        target: AssigneeTarget,
        source: ActivitySource,
    ) -> IssueWrite {
        let Some(issue) = self.local_issues.get_mut(&local_issue_id) else {
            return IssueWrite::Missing;
        };
        let wanted = match target {
            AssigneeTarget::User(user) => Some(Assignee::User(user)),
            AssigneeTarget::Unassign => None,
        };
        if issue.assignee == wanted {
            return IssueWrite::Unchanged;
        }
        issue.assignee = wanted;
        let kind = match wanted {
            Some(_) => ActivityKind::Assigned,
            None => ActivityKind::Unassigned,
        };
        self.write_activity(local_issue_id, kind, source.data(wanted));
        IssueWrite::Changed
    }

    /// Sets one issue's status, writing an activity when it changes.
    fn set_status(
        &mut self,
        local_issue_id: LocalIssueId,
        target: ResolutionStatus,
        source: ActivitySource,
    ) -> IssueWrite {
        let Some(issue) = self.local_issues.get_mut(&local_issue_id) else {
            return IssueWrite::Missing;
        };
        if issue.status == target {
            return IssueWrite::Unchanged;
        }
        issue.status = target;
        let kind = match target {
            ResolutionStatus::Resolved => ActivityKind::SetResolved,
            ResolutionStatus::Unresolved => ActivityKind::SetUnresolved,
        };
        self.write_activity(local_issue_id, kind, source.data(None));
        IssueWrite::Changed
    }

    /// The frame both plans share: the delivery log, then per organization the ordering guard,
    /// the organization's changes (`apply` says which issues changed and which were already
    /// right), and the watermark.
    fn apply_guarded<T>(
        &mut self,
        guard: PlanGuard,
        organizations: Vec<(OrganizationId, Vec<T>)>,
        mut write: impl FnMut(&mut Self, T, ActivitySource) -> (LocalIssueId, IssueWrite),
    ) -> PlanApplied {
        let PlanGuard {
            kind,
            integration_id,
            issue_key,
            occurred_at,
            delivery_key,
        } = guard;
        if !self.record_delivery(integration_id, kind, delivery_key.as_ref()) {
            return PlanApplied::Duplicate;
        }
        let source = ActivitySource {
            integration_id,
            occurred_at,
        };
        let mut applied = Vec::with_capacity(organizations.len());
        for (organization_id, changes) in organizations {
            let result = match self.stale_watermark(
                integration_id,
                &issue_key,
                organization_id,
                kind,
                occurred_at,
            ) {
                Some(watermark) => OrganizationResult::Stale { watermark },
                None => {
                    let mut changed = Vec::new();
                    let mut unchanged = Vec::new();
                    for change in changes {
                        match write(self, change, source) {
                            (id, IssueWrite::Changed) => changed.push(id),
                            (id, IssueWrite::Unchanged) => unchanged.push(id),
                            (_, IssueWrite::Missing) => {}
                        }
                    }
                    self.advance_watermark(
                        integration_id,
                        &issue_key,
                        organization_id,
                        kind,
                        occurred_at,
                    );
                    OrganizationResult::Applied { changed, unchanged }
                }
            };
            applied.push(OrganizationApplied {
                organization_id,
                result,
            });
        }
        PlanApplied::Applied(applied)
    }

    fn apply_assignee_plan(&mut self, plan: AssigneePlan) -> PlanApplied {
        let guard = PlanGuard {
            kind: SyncKind::Assignee,
            integration_id: plan.integration_id,
            issue_key: plan.issue_key,
            occurred_at: plan.occurred_at,
            delivery_key: plan.delivery_key,
        };
        let organizations = plan
            .organizations
            .into_iter()
            .map(|organization| (organization.organization_id, organization.changes))
            .collect();
        self.apply_guarded(guard, organizations, |state, (id, target), source| {
            (id, state.set_assignee(id, target, source))
        })
    }

    fn apply_status_plan(&mut self, plan: StatusPlan) -> PlanApplied {
        let guard = PlanGuard {
            kind: SyncKind::Status,
            integration_id: plan.integration_id,
            issue_key: plan.issue_key,
            occurred_at: plan.occurred_at,
            delivery_key: plan.delivery_key,
        };
        let target = plan.target;
        let organizations = plan
            .organizations
            .into_iter()
            .map(|organization| (organization.organization_id, organization.issues))
            .collect();
        self.apply_guarded(guard, organizations, |state, id, source| {
            (id, state.set_status(id, target, source))
        })
    }

    fn install(&mut self, record: InstallRecord) -> Installation {
        let InstallRecord {
            organization_id,
            external_id,
            name,
            metadata,
            credentials,
            installed_by,
        } = record;
        let existing = self
            .integrations
            .values()
            .find(|i| i.provider == JIRA_SERVER_PROVIDER && i.external_id == external_id)
            .map(|i| i.id);
        let integration_created = existing.is_none();
        let integration_id = existing.unwrap_or_else(|| IntegrationId::new(self.next_id()));
        let integration = self
            .integrations
            .entry(integration_id)
            .or_insert_with(|| Integration {
                id: integration_id,
                provider: JIRA_SERVER_PROVIDER.to_owned(),
                external_id,
                name,
                metadata: IntegrationMetadata {
                    base_url: String::new(),
                    domain_name: String::new(),
                    verify_ssl: true,
                    webhook_secrets: Vec::new(),
                },
            });
        let stored = &mut integration.metadata;
        stored.base_url = metadata.base_url;
        stored.domain_name = metadata.domain_name;
        stored.verify_ssl = metadata.verify_ssl;
        for secret in metadata.webhook_secrets {
            if !stored.webhook_secrets.contains(&secret) {
                stored.webhook_secrets.push(secret);
            }
        }
        let integration = integration.clone();
        let identity_id = match self.identities.get(&(organization_id, integration_id)) {
            Some(identity) => identity.id,
            None => IdentityId::new(self.next_id()),
        };
        let identity = Identity {
            id: identity_id,
            organization_id,
            integration_id,
            installed_by,
            credentials,
        };
        self.identities
            .insert((organization_id, integration_id), identity.clone());
        let link_created = !self.links.contains_key(&(integration_id, organization_id));
        let link = self
            .links
            .entry((integration_id, organization_id))
            .or_insert(OrganizationIntegration {
                organization_id,
                integration_id,
                status: LinkStatus::Active,
                config: SyncConfig::default(),
                default_identity_id: None,
            });
        link.status = LinkStatus::Active;
        link.default_identity_id = Some(identity_id);
        let organization_integration = link.clone();
        Installation {
            integration,
            organization_integration,
            identity,
            integration_created,
            link_created,
        }
    }

    fn actor_clashes(&self, actor: &NewExternalActor, except: Option<ExternalActorId>) -> bool {
        self.external_actors.values().any(|existing| {
            Some(existing.id) != except
                && existing.organization_id == actor.organization_id
                && existing.provider == actor.provider
                && existing.target == actor.target
                && existing.external_name == actor.external_name
        })
    }
}

/// The stored watermark of `kind`.
fn watermark_of(row: &ExternalIssue, kind: SyncKind) -> Option<EventTime> {
    match kind {
        SyncKind::Assignee => row.assignee_updated_at,
        SyncKind::Status => row.status_updated_at,
    }
}

/// Where the changes of a plan come from, for their activities.
#[derive(Debug, Clone, Copy)]
struct ActivitySource {
    integration_id: IntegrationId,
    occurred_at: Option<EventTime>,
}

impl ActivitySource {
    /// The data of an activity written by inbound sync; the integration is its sync source.
    fn data(self, assignee: Option<Assignee>) -> ActivityData {
        ActivityData {
            provider: JIRA_SERVER_PROVIDER_NAME.to_owned(),
            provider_key: JIRA_SERVER_PROVIDER.to_owned(),
            integration_id: self.integration_id,
            assignee,
            sync_source: Some(self.integration_id),
            occurred_at: self.occurred_at,
        }
    }
}

/// What writing one issue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IssueWrite {
    /// The issue does not exist (any more): skipped.
    Missing,
    /// The issue was already as wanted: nothing written.
    Unchanged,
    /// The issue changed and an activity was written.
    Changed,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state. A panic cannot leave it half-written (no write panics), so a poisoned lock
    /// is taken over as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl IntegrationStore for InMemoryStore {
    async fn integration(&self, id: IntegrationId) -> Result<Option<Integration>, StoreError> {
        Ok(self.lock().integrations.get(&id).cloned())
    }

    async fn integrations(&self) -> Result<Vec<Integration>, StoreError> {
        Ok(self.lock().integrations.values().cloned().collect())
    }

    async fn integration_by_external_id(
        &self,
        provider: &str,
        external_id: &ExternalId,
    ) -> Result<Option<Integration>, StoreError> {
        Ok(self
            .lock()
            .integrations
            .values()
            .find(|i| i.provider == provider && &i.external_id == external_id)
            .cloned())
    }

    async fn organization_links(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Vec<OrganizationLink>, StoreError> {
        let state = self.lock();
        Ok(state
            .links
            .range(
                (integration_id, OrganizationId::new(0))
                    ..=(integration_id, OrganizationId::new(u64::MAX)),
            )
            .filter_map(|(_, link)| {
                state
                    .organizations
                    .get(&link.organization_id)
                    .map(|organization| OrganizationLink {
                        organization: organization.clone(),
                        link: link.clone(),
                    })
            })
            .collect())
    }

    async fn identity(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
    ) -> Result<Option<Identity>, StoreError> {
        Ok(self
            .lock()
            .identities
            .get(&(organization_id, integration_id))
            .cloned())
    }

    async fn install(&self, record: InstallRecord) -> Result<Installation, StoreError> {
        let mut state = self.lock();
        state.require_organization(record.organization_id)?;
        Ok(state.install(record))
    }

    async fn update_sync_config(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        config: SyncConfig,
    ) -> Result<OrganizationIntegration, StoreError> {
        let mut state = self.lock();
        let link = state
            .links
            .get_mut(&(integration_id, organization_id))
            .ok_or_else(|| missing_organization_link(organization_id, integration_id))?;
        link.config = config;
        Ok(link.clone())
    }
}

#[async_trait]
impl IssueLinkStore for InMemoryStore {
    async fn linked_issues(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organizations: &[OrganizationId],
    ) -> Result<Vec<LinkedIssue>, StoreError> {
        let state = self.lock();
        let mut linked: Vec<LinkedIssue> = organizations
            .iter()
            .filter_map(|organization_id| {
                state
                    .external_issues
                    .get(&(integration_id, key.clone(), *organization_id))
            })
            .flat_map(|row| {
                row.local_issues.iter().filter_map(|id| {
                    state.local_issues.get(id).map(|issue| LinkedIssue {
                        organization_id: row.row.organization_id,
                        issue: issue.clone(),
                    })
                })
            })
            .collect();
        linked.sort_by_key(|linked| linked.issue.id);
        linked.dedup_by_key(|linked| linked.issue.id);
        Ok(linked)
    }

    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError> {
        Ok(self.lock().local_issues.get(&id).cloned())
    }

    async fn link_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<IssueLink, StoreError> {
        let mut state = self.lock();
        let in_organization = state
            .local_issues
            .get(&local_issue_id)
            .is_some_and(|issue| issue.organization_id == organization_id);
        if !in_organization {
            return Err(missing_local_issue(organization_id, local_issue_id));
        }
        if !state.links.contains_key(&(integration_id, organization_id)) {
            return Err(missing_organization_link(organization_id, integration_id));
        }
        let row = state.external_issue_row(integration_id, key, organization_id);
        let created = row.local_issues.insert(local_issue_id);
        Ok(IssueLink {
            external_issue: row.row.clone(),
            local_issue_id,
            created,
        })
    }

    async fn external_issues_of(
        &self,
        local_issue_id: LocalIssueId,
    ) -> Result<Vec<ExternalIssue>, StoreError> {
        let mut linked: Vec<ExternalIssue> = self
            .lock()
            .external_issues
            .values()
            .filter(|row| row.local_issues.contains(&local_issue_id))
            .map(|row| row.row.clone())
            .collect();
        linked.sort_by_key(|issue| issue.id);
        Ok(linked)
    }

    async fn unlink_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<(), StoreError> {
        let removed = self
            .lock()
            .external_issues
            .get_mut(&(integration_id, key.clone(), organization_id))
            .is_some_and(|row| row.local_issues.remove(&local_issue_id));
        if removed {
            Ok(())
        } else {
            Err(missing_issue_link(
                organization_id,
                integration_id,
                key,
                local_issue_id,
            ))
        }
    }
}

#[async_trait]
impl DirectoryStore for InMemoryStore {
    async fn organization(&self, id: OrganizationId) -> Result<Option<Organization>, StoreError> {
        Ok(self.lock().organizations.get(&id).cloned())
    }

    async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        Ok(self.lock().organizations.values().cloned().collect())
    }

    async fn active_users_with_verified_email(
        &self,
        email: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        Ok(self
            .lock()
            .users
            .values()
            .filter(|user| {
                user.active
                    && user
                        .emails
                        .iter()
                        .any(|e| e.verified && eq_ignore_case(&e.address, email))
            })
            .map(|user| user.id)
            .collect())
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        let state = self.lock();
        let ids: BTreeSet<UserId> = ids.iter().copied().collect();
        Ok(ids
            .into_iter()
            .filter_map(|id| state.users.get(&id).cloned())
            .collect())
    }

    async fn project_access(&self, ids: &[UserId]) -> Result<Vec<ProjectAccess>, StoreError> {
        let state = self.lock();
        let ids: BTreeSet<UserId> = ids.iter().copied().collect();
        Ok(ids
            .into_iter()
            .filter(|id| state.users.get(id).is_some_and(|user| user.active))
            .map(|user_id| {
                let projects = state
                    .team_memberships
                    .get(&user_id)
                    .into_iter()
                    .flatten()
                    .filter(|(_, active)| **active)
                    .filter_map(|(team_id, _)| state.team_projects.get(team_id))
                    .flatten()
                    .copied()
                    .collect();
                ProjectAccess { user_id, projects }
            })
            .collect())
    }

    async fn is_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        Ok(self.lock().members.contains(&(organization_id, user_id)))
    }

    async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError> {
        Ok(self.lock().teams.get(&id).cloned())
    }
}

#[async_trait]
impl IssueSyncStore for InMemoryStore {
    async fn apply_assignee_plan(&self, plan: AssigneePlan) -> Result<PlanApplied, StoreError> {
        Ok(self.lock().apply_assignee_plan(plan))
    }

    async fn apply_status_plan(&self, plan: StatusPlan) -> Result<PlanApplied, StoreError> {
        Ok(self.lock().apply_status_plan(plan))
    }

    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError> {
        Ok(self
            .lock()
            .activities
            .get(&local_issue_id)
            .cloned()
            .unwrap_or_default())
    }
}

#[async_trait]
impl WatermarkStore for InMemoryStore {
    async fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Result<Option<EventTime>, StoreError> {
        Ok(self
            .lock()
            .external_issues
            .get(&(integration_id, key.clone(), organization_id))
            .and_then(|row| watermark_of(&row.row, kind)))
    }

    async fn delivery_seen(
        &self,
        integration_id: IntegrationId,
        kind: SyncKind,
        delivery_key: &DeliveryKey,
    ) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .deliveries
            .contains(&(integration_id, kind, delivery_key.clone())))
    }
}

#[async_trait]
impl ExternalActorStore for InMemoryStore {
    async fn external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<Option<ExternalActor>, StoreError> {
        Ok(self
            .lock()
            .external_actors
            .get(&id)
            .filter(|actor| actor.organization_id == organization_id)
            .cloned())
    }

    async fn external_actors(
        &self,
        organization_id: OrganizationId,
        filter: ActorFilter,
    ) -> Result<Vec<ExternalActor>, StoreError> {
        Ok(self
            .lock()
            .external_actors
            .values()
            .filter(|actor| actor.organization_id == organization_id && filter.admits(actor.target))
            .cloned()
            .collect())
    }

    async fn external_actors_named(
        &self,
        organization_id: OrganizationId,
        provider: ExternalProvider,
        target: ActorTarget,
        external_name: &str,
    ) -> Result<Vec<ExternalActor>, StoreError> {
        Ok(self
            .lock()
            .external_actors
            .values()
            .filter(|actor| {
                actor.organization_id == organization_id
                    && actor.provider == provider
                    && actor.target == target
                    && eq_ignore_case(&actor.external_name, external_name)
            })
            .cloned()
            .collect())
    }

    async fn users_with_external_name(
        &self,
        integration_id: IntegrationId,
        provider: ExternalProvider,
        names: &[&str],
    ) -> Result<Vec<UserId>, StoreError> {
        let users: BTreeSet<UserId> = self
            .lock()
            .external_actors
            .values()
            .filter(|actor| {
                actor.integration_id == integration_id
                    && actor.provider == provider
                    && names
                        .iter()
                        .any(|name| eq_ignore_case(&actor.external_name, name))
            })
            .filter_map(|actor| match actor.target {
                ActorTarget::User(user_id) => Some(user_id),
                ActorTarget::Team(_) => None,
            })
            .collect();
        Ok(users.into_iter().collect())
    }

    async fn insert_external_actor(
        &self,
        actor: NewExternalActor,
    ) -> Result<ExternalActor, StoreError> {
        let mut state = self.lock();
        if state.actor_clashes(&actor, None) {
            return Err(StoreError::conflict(
                "an external actor with this provider, external name and user or team exists",
            ));
        }
        let id = ExternalActorId::new(state.next_id());
        let stored = ExternalActor {
            id,
            organization_id: actor.organization_id,
            integration_id: actor.integration_id,
            provider: actor.provider,
            external_name: actor.external_name,
            external_id: actor.external_id,
            target: actor.target,
        };
        state.external_actors.insert(id, stored.clone());
        Ok(stored)
    }

    async fn update_external_actor(
        &self,
        actor: ExternalActor,
    ) -> Result<ExternalActor, StoreError> {
        let mut state = self.lock();
        let exists = state
            .external_actors
            .get(&actor.id)
            .is_some_and(|existing| existing.organization_id == actor.organization_id);
        if !exists {
            return Err(StoreError::not_found(format!(
                "external actor {}",
                actor.id
            )));
        }
        let as_new = NewExternalActor {
            organization_id: actor.organization_id,
            integration_id: actor.integration_id,
            provider: actor.provider,
            external_name: actor.external_name.clone(),
            external_id: actor.external_id.clone(),
            target: actor.target,
        };
        if state.actor_clashes(&as_new, Some(actor.id)) {
            return Err(StoreError::conflict(
                "an external actor with this provider, external name and user or team exists",
            ));
        }
        state.external_actors.insert(actor.id, actor.clone());
        Ok(actor)
    }

    async fn delete_external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let exists = state
            .external_actors
            .get(&id)
            .is_some_and(|actor| actor.organization_id == organization_id);
        if !exists {
            return Err(StoreError::not_found(format!("external actor {id}")));
        }
        state.external_actors.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl Seed for InMemoryStore {
    async fn seed_organization(
        &self,
        name: &str,
        features: OrganizationFeatures,
    ) -> Result<OrganizationId, StoreError> {
        let mut state = self.lock();
        let id = OrganizationId::new(state.next_id());
        state.organizations.insert(
            id,
            Organization {
                id,
                name: name.to_owned(),
                features,
            },
        );
        Ok(id)
    }

    async fn seed_user(&self, active: bool, emails: Vec<UserEmail>) -> Result<UserId, StoreError> {
        let mut state = self.lock();
        let id = UserId::new(state.next_id());
        state.users.insert(id, User { id, active, emails });
        Ok(id)
    }

    async fn seed_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        if !state.users.contains_key(&user_id) {
            return Err(StoreError::not_found(format!("user {user_id}")));
        }
        state.members.insert((organization_id, user_id));
        Ok(())
    }

    async fn seed_team(
        &self,
        organization_id: OrganizationId,
        name: &str,
    ) -> Result<TeamId, StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        let id = TeamId::new(state.next_id());
        state.teams.insert(
            id,
            Team {
                id,
                organization_id,
                name: name.to_owned(),
            },
        );
        Ok(id)
    }

    async fn seed_team_member(
        &self,
        team_id: TeamId,
        user_id: UserId,
        active: bool,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let Some(organization_id) = state.teams.get(&team_id).map(|team| team.organization_id)
        else {
            return Err(StoreError::not_found(format!("team {team_id}")));
        };
        if !state.users.contains_key(&user_id) {
            return Err(StoreError::not_found(format!("user {user_id}")));
        }
        // A team member is a member of the team's organization.
        state.members.insert((organization_id, user_id));
        state
            .team_memberships
            .entry(user_id)
            .or_default()
            .insert(team_id, active);
        Ok(())
    }

    async fn seed_project(
        &self,
        organization_id: OrganizationId,
        name: &str,
    ) -> Result<ProjectId, StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        let id = ProjectId::new(state.next_id());
        state.projects.insert(
            id,
            Project {
                id,
                organization_id,
                name: name.to_owned(),
            },
        );
        Ok(id)
    }

    async fn seed_team_project(
        &self,
        team_id: TeamId,
        project_id: ProjectId,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let Some(team_organization) = state.teams.get(&team_id).map(|t| t.organization_id) else {
            return Err(StoreError::not_found(format!("team {team_id}")));
        };
        let Some(project_organization) = state.projects.get(&project_id).map(|p| p.organization_id)
        else {
            return Err(StoreError::not_found(format!("project {project_id}")));
        };
        if team_organization != project_organization {
            return Err(StoreError::invalid(format!(
                "team {team_id} and project {project_id} belong to different organizations"
            )));
        }
        state
            .team_projects
            .entry(team_id)
            .or_default()
            .insert(project_id);
        Ok(())
    }

    async fn seed_local_issue(
        &self,
        project_id: ProjectId,
        status: ResolutionStatus,
        assignee: Option<Assignee>,
    ) -> Result<LocalIssueId, StoreError> {
        let mut state = self.lock();
        let Some(organization_id) = state
            .projects
            .get(&project_id)
            .map(|project| project.organization_id)
        else {
            return Err(StoreError::not_found(format!("project {project_id}")));
        };
        let id = LocalIssueId::new(state.next_id());
        state.local_issues.insert(
            id,
            LocalIssue {
                id,
                organization_id,
                project_id,
                status,
                assignee,
            },
        );
        Ok(id)
    }

    async fn seed_integration(
        &self,
        external_id: ExternalId,
        name: &str,
        metadata: IntegrationMetadata,
    ) -> Result<IntegrationId, StoreError> {
        let mut state = self.lock();
        let clash = state
            .integrations
            .values()
            .any(|i| i.provider == JIRA_SERVER_PROVIDER && i.external_id == external_id);
        if clash {
            return Err(StoreError::conflict(format!(
                "an integration with external id {external_id} exists"
            )));
        }
        let id = IntegrationId::new(state.next_id());
        state.integrations.insert(
            id,
            Integration {
                id,
                provider: JIRA_SERVER_PROVIDER.to_owned(),
                external_id,
                name: name.to_owned(),
                metadata,
            },
        );
        Ok(id)
    }

    async fn seed_organization_integration(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        status: LinkStatus,
        config: SyncConfig,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        if !state.integrations.contains_key(&integration_id) {
            return Err(StoreError::not_found(format!(
                "integration {integration_id}"
            )));
        }
        let default_identity_id = state
            .identities
            .get(&(organization_id, integration_id))
            .map(|identity| identity.id);
        state.links.insert(
            (integration_id, organization_id),
            OrganizationIntegration {
                organization_id,
                integration_id,
                status,
                config,
                default_identity_id,
            },
        );
        Ok(())
    }

    async fn seed_issue_link(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<ExternalIssueId, StoreError> {
        let mut state = self.lock();
        if !state.local_issues.contains_key(&local_issue_id) {
            return Err(StoreError::not_found(format!(
                "local issue {local_issue_id}"
            )));
        }
        if !state.integrations.contains_key(&integration_id) {
            return Err(StoreError::not_found(format!(
                "integration {integration_id}"
            )));
        }
        let row = state.external_issue_row(integration_id, key, organization_id);
        row.local_issues.insert(local_issue_id);
        Ok(row.row.id)
    }
}
