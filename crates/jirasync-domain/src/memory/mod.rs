//! A thread-safe store kept in memory, for tests and examples (`testing` feature): jirasync's
//! bookkeeping ([`SyncStore`](crate::SyncStore)) and a standalone [`Host`](crate::Host) over its
//! own users, teams, projects and issues, in one value.
//!
//! One [`std::sync::Mutex`] guards the whole state; every call holds it from start to end and
//! never awaits while holding it. The syncs of one Jira issue are serialised by a per-issue
//! asynchronous lock, held by the [`IssueSyncSession`](crate::store::IssueSyncSession).

mod app_data;
mod events;
mod host;
mod outbound;
mod seed;
mod session;
mod setup;
mod state;
mod status_mappings;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use crate::activity::Activity;
use crate::events::{EventIds, NewEvent};
use crate::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use crate::ids::{
    ExternalActorId, ExternalIssueId, IdentityId, IntegrationId, LocalIssueId, OrganizationId,
    ProjectId, TeamId, UserId,
};
use crate::integration::{
    ExternalId, Identity, Integration, LinkStatus, OrganizationIntegration, SyncConfig,
};
use crate::issue::{ExternalIssue, IssueLink, LinkedIssue, LocalIssue};
use crate::organization::Organization;
use crate::people::{Project, Team, User};
use crate::store::missing::{missing_issue_link, missing_organization_link};
use crate::store::{
    EventHub, ExternalActorStore, IdentityWrite, InstallPlan, Installation, IntegrationStore,
    IntegrationWrite, IssueLinkStore, IssueSyncRequest, IssueSyncStart, IssueSyncStore,
    LinkRemoval, LinkWrite, OrganizationLink, OrganizationStore, ReconcileStore, StoreError,
    SyncKind,
};
use crate::text::eq_ignore_case;

/// A store kept in memory. Cloning it is cheap and gives another handle to the same state.
#[derive(Clone, Default)]
pub struct InMemoryStore {
    state: Arc<Mutex<State>>,
    issue_locks: session::IssueLocks,
    setup: setup::SetupRecords,
    events: EventHub,
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
#[derive(Debug, Clone)]
struct ExternalIssueRow {
    row: ExternalIssue,
    local_issues: BTreeSet<LocalIssueId>,
}

/// An integration's reconcile point and lease.
#[derive(Debug, Default, Clone)]
struct ReconcileRow {
    point: Option<EventTime>,
    lease: Option<(String, SystemTime)>,
}

#[derive(Debug, Default, Clone)]
struct State {
    next_id: u64,
    // jirasync's bookkeeping.
    organizations: BTreeMap<OrganizationId, Organization>,
    integrations: BTreeMap<IntegrationId, Integration>,
    links: BTreeMap<(IntegrationId, OrganizationId), OrganizationIntegration>,
    identities: BTreeMap<(OrganizationId, IntegrationId), Identity>,
    external_issues: BTreeMap<(IntegrationId, IssueKey, OrganizationId), ExternalIssueRow>,
    deliveries: HashSet<(IntegrationId, SyncKind, DeliveryKey)>,
    external_actors: BTreeMap<ExternalActorId, ExternalActor>,
    reconcile: BTreeMap<IntegrationId, ReconcileRow>,
    // The standalone host's own data.
    members: BTreeSet<(OrganizationId, UserId)>,
    users: BTreeMap<UserId, User>,
    teams: BTreeMap<TeamId, Team>,
    /// user → team → membership active.
    team_memberships: BTreeMap<UserId, BTreeMap<TeamId, bool>>,
    team_projects: BTreeMap<TeamId, BTreeSet<ProjectId>>,
    projects: BTreeMap<ProjectId, Project>,
    local_issues: BTreeMap<LocalIssueId, LocalIssue>,
    activities: BTreeMap<LocalIssueId, Vec<Activity>>,
    activity_count: u64,
    // The outbox of outgoing events (kept by a state import).
    outbox: events::Outbox,
    // The outbox of outbound work.
    outbound: outbound::OutboundQueue,
    // The per-project status mappings of outbound status sync.
    status_mappings: status_mappings::StatusMappings,
    /// The application's ids of the standalone host's records.
    pub(super) app_ids: app_data::AppIds,
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

    /// The reconcile row of an existing integration, created when missing.
    fn reconcile_row(
        &mut self,
        integration_id: IntegrationId,
    ) -> Result<&mut ReconcileRow, StoreError> {
        if !self.integrations.contains_key(&integration_id) {
            return Err(StoreError::not_found(format!(
                "integration {integration_id}"
            )));
        }
        Ok(self.reconcile.entry(integration_id).or_default())
    }

    /// The external issue row of (integration, key, organization), created when missing so the
    /// watermark and the links have a home.
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

    /// The stored watermark of `kind` for (organization, integration, key).
    fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Option<EventTime> {
        self.external_issues
            .get(&(integration_id, key.clone(), organization_id))?
            .row
            .watermark(kind)
    }

    /// Writes an install plan, or refuses it (changing nothing) when the state is no longer the
    /// one it was planned on.
    fn save_install(&mut self, plan: InstallPlan) -> Result<Installation, StoreError> {
        let InstallPlan {
            organization_id,
            integration,
            identity,
            link,
        } = plan;
        self.require_organization(organization_id)?;
        // Check every expectation before writing anything.
        let integration_id = match &integration {
            IntegrationWrite::Create {
                provider,
                external_id,
                ..
            } => {
                let exists = self
                    .integrations
                    .values()
                    .any(|i| &i.provider == provider && &i.external_id == external_id);
                if exists {
                    return Err(StoreError::conflict(format!(
                        "an integration with external id {external_id} was created meanwhile"
                    )));
                }
                None
            }
            IntegrationWrite::Update {
                id,
                expected_secrets,
                ..
            } => {
                let stored = self
                    .integrations
                    .get(id)
                    .ok_or_else(|| StoreError::not_found(format!("integration {id}")))?;
                if &stored.metadata.webhook_secrets != expected_secrets {
                    return Err(StoreError::conflict(format!(
                        "the webhook secrets of integration {id} changed meanwhile"
                    )));
                }
                Some(*id)
            }
        };
        if let Some(integration_id) = integration_id {
            let stored_identity = self
                .identities
                .get(&(organization_id, integration_id))
                .map(|identity| identity.id);
            if stored_identity != identity.existing {
                return Err(StoreError::conflict(
                    "the organization's identity changed meanwhile",
                ));
            }
            let has_link = self.links.contains_key(&(integration_id, organization_id));
            if has_link != matches!(link, LinkWrite::Reactivate) {
                return Err(StoreError::conflict(
                    "the organization's link changed meanwhile",
                ));
            }
        }

        let integration_created = integration_id.is_none();
        let integration = match integration {
            IntegrationWrite::Create {
                provider,
                external_id,
                name,
                metadata,
            } => {
                let id = IntegrationId::new(self.next_id());
                Integration {
                    id,
                    provider,
                    external_id,
                    name,
                    metadata,
                }
            }
            IntegrationWrite::Update { id, metadata, .. } => {
                let mut stored = self
                    .integrations
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| StoreError::not_found(format!("integration {id}")))?;
                stored.metadata = metadata;
                stored
            }
        };
        let integration_id = integration.id;
        self.integrations
            .insert(integration_id, integration.clone());

        let IdentityWrite {
            existing,
            installed_by,
            credentials,
        } = identity;
        let identity = Identity {
            id: existing.unwrap_or_else(|| IdentityId::new(self.next_id())),
            organization_id,
            integration_id,
            installed_by,
            credentials,
        };
        self.identities
            .insert((organization_id, integration_id), identity.clone());

        let link_created = matches!(link, LinkWrite::Create { .. });
        let stored_link = self
            .links
            .entry((integration_id, organization_id))
            .or_insert_with(|| OrganizationIntegration {
                organization_id,
                integration_id,
                status: LinkStatus::Active,
                config: match &link {
                    LinkWrite::Create { config } => *config,
                    LinkWrite::Reactivate => SyncConfig::default(),
                },
                default_identity_id: None,
            });
        stored_link.status = LinkStatus::Active;
        stored_link.default_identity_id = Some(identity.id);
        Ok(Installation {
            integration,
            organization_integration: stored_link.clone(),
            identity,
            integration_created,
            link_created,
        })
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

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose events take their ids and timestamps from `ids`.
    pub fn with_event_ids(ids: EventIds) -> Self {
        Self {
            events: EventHub::new(ids),
            ..Self::default()
        }
    }

    /// The state. A panic cannot leave it half-written (no write panics), so a poisoned lock
    /// is taken over as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl OrganizationStore for InMemoryStore {
    async fn organization(&self, id: OrganizationId) -> Result<Option<Organization>, StoreError> {
        Ok(self.lock().organizations.get(&id).cloned())
    }

    async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        Ok(self.lock().organizations.values().cloned().collect())
    }

    async fn save_organization(&self, organization: Organization) -> Result<(), StoreError> {
        check_id(organization.id.get(), "organization")?;
        let mut state = self.lock();
        // Ids the store hands out later follow the largest one it holds.
        state.next_id = state.next_id.max(organization.id.get());
        state.organizations.insert(organization.id, organization);
        Ok(())
    }
}

/// Refuses an id SQL stores cannot hold, so that the in-memory store answers as they do.
fn check_id(id: u64, what: &str) -> Result<(), StoreError> {
    if id == 0 || id > crate::state::MAX_ID {
        Err(StoreError::invalid(format!(
            "{what} id {id} is out of range: ids run from 1 to {}",
            crate::state::MAX_ID
        )))
    } else {
        Ok(())
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

    async fn save_install(&self, plan: InstallPlan) -> Result<Installation, StoreError> {
        let installation = {
            let mut state = self.lock();
            let installation = state.save_install(plan)?;
            state.append_events(self.stamp(vec![NewEvent::of_install(&installation)]));
            installation
        };
        self.appended(true);
        Ok(installation)
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

    async fn remove_link(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
    ) -> Result<LinkRemoval, StoreError> {
        let removal = {
            let mut state = self.lock();
            if state
                .links
                .remove(&(integration_id, organization_id))
                .is_none()
            {
                return Err(missing_organization_link(organization_id, integration_id));
            }
            let integration = state
                .integrations
                .get(&integration_id)
                .cloned()
                .ok_or_else(|| StoreError::other("a link names an integration that is gone"))?;
            state.identities.remove(&(organization_id, integration_id));
            state.remove_status_mappings(organization_id, integration_id);
            state
                .external_issues
                .retain(|(of, _, by), _| !(*of == integration_id && *by == organization_id));
            state.external_actors.retain(|_, actor| {
                !(actor.organization_id == organization_id
                    && actor.integration_id == integration_id)
            });
            let last = !state
                .links
                .keys()
                .any(|(linked, _)| *linked == integration_id);
            if last {
                state.integrations.remove(&integration_id);
                state
                    .external_issues
                    .retain(|(of, _, _), _| *of != integration_id);
                state.deliveries.retain(|(of, _, _)| *of != integration_id);
                state.reconcile.remove(&integration_id);
            }
            state.append_events(
                self.stamp(vec![NewEvent::of_removal(organization_id, &integration)]),
            );
            LinkRemoval::new(integration, last)
        };
        self.appended(true);
        Ok(removal)
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
                row.local_issues.iter().map(|id| LinkedIssue {
                    organization_id: row.row.organization_id,
                    local_issue_id: *id,
                })
            })
            .collect();
        linked.sort_by_key(|linked| linked.local_issue_id);
        linked.dedup_by_key(|linked| linked.local_issue_id);
        Ok(linked)
    }

    async fn link_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<IssueLink, StoreError> {
        let link = {
            let mut state = self.lock();
            if !state.links.contains_key(&(integration_id, organization_id)) {
                return Err(missing_organization_link(organization_id, integration_id));
            }
            let row = state.external_issue_row(integration_id, key, organization_id);
            let created = row.local_issues.insert(local_issue_id);
            let link = IssueLink {
                external_issue: row.row.clone(),
                local_issue_id,
                created,
            };
            if created {
                state.append_events(self.stamp(vec![NewEvent::of_link(
                    organization_id,
                    integration_id,
                    key,
                    local_issue_id,
                    true,
                )]));
            }
            link
        };
        self.appended(link.created);
        Ok(link)
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
        let removed = {
            let mut state = self.lock();
            let removed = state
                .external_issues
                .get_mut(&(integration_id, key.clone(), organization_id))
                .is_some_and(|row| row.local_issues.remove(&local_issue_id));
            if removed {
                state.append_events(self.stamp(vec![NewEvent::of_link(
                    organization_id,
                    integration_id,
                    key,
                    local_issue_id,
                    false,
                )]));
            }
            removed
        };
        self.appended(removed);
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
impl IssueSyncStore for InMemoryStore {
    async fn begin_issue_sync(
        &self,
        request: IssueSyncRequest,
    ) -> Result<IssueSyncStart, StoreError> {
        session::begin(self, request).await
    }

    async fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Result<Option<EventTime>, StoreError> {
        Ok(self
            .lock()
            .watermark(organization_id, integration_id, key, kind))
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
impl ReconcileStore for InMemoryStore {
    async fn linked_issue_keys(
        &self,
        integration_id: IntegrationId,
        after: Option<&IssueKey>,
        limit: u32,
    ) -> Result<Vec<IssueKey>, StoreError> {
        let state = self.lock();
        let mut keys: Vec<IssueKey> = state
            .external_issues
            .iter()
            .filter(|((integration, key, _), row)| {
                *integration == integration_id
                    && !row.local_issues.is_empty()
                    && after.is_none_or(|after| key > after)
            })
            .map(|((_, key, _), _)| key.clone())
            .collect();
        // The map's order is (integration, key, organization): equal keys are adjacent.
        keys.dedup();
        keys.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(keys)
    }

    async fn reconcile_point(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Option<EventTime>, StoreError> {
        Ok(self
            .lock()
            .reconcile
            .get(&integration_id)
            .and_then(|row| row.point))
    }

    async fn advance_reconcile_point(
        &self,
        integration_id: IntegrationId,
        point: EventTime,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let row = state.reconcile_row(integration_id)?;
        row.point = Some(row.point.map_or(point, |stored| stored.max(point)));
        Ok(())
    }

    async fn acquire_reconcile_lease(
        &self,
        integration_id: IntegrationId,
        holder: &str,
        now: SystemTime,
        until: SystemTime,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let row = state.reconcile_row(integration_id)?;
        let free = match &row.lease {
            None => true,
            Some((current, expires)) => current == holder || *expires <= now,
        };
        if free {
            row.lease = Some((holder.to_owned(), until));
        }
        Ok(free)
    }

    async fn release_reconcile_lease(
        &self,
        integration_id: IntegrationId,
        holder: &str,
    ) -> Result<(), StoreError> {
        if let Some(row) = self.lock().reconcile.get_mut(&integration_id)
            && row
                .lease
                .as_ref()
                .is_some_and(|(current, _)| current == holder)
        {
            row.lease = None;
        }
        Ok(())
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
