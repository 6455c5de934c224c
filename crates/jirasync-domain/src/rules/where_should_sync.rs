//! Which organizations sync a given direction through an integration (reference §4.1).

use crate::ids::{IntegrationId, OrganizationId};
use crate::integration::{LinkStatus, SyncDirection};
use crate::store::{IntegrationStore, OrganizationLink, StoreError};

/// Why an organization linked to the integration does not sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotSyncedReason {
    /// Its link to the integration is disabled.
    LinkDisabled,
    /// It lacks the issue-sync feature.
    FeatureOff,
    /// Its config flag for the direction is off.
    ConfigOff,
    /// The change came from this same integration (loop prevention, reference §4.4).
    SameSource,
}

/// The organizations that sync, and why the others do not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncTargets {
    /// The organizations that sync, in id order.
    pub organizations: Vec<OrganizationId>,
    /// The linked organizations that do not, with the reason.
    pub skipped: Vec<(OrganizationId, NotSyncedReason)>,
}

/// Picks from `links` (the integration's organization links) the organizations that sync
/// `direction`: the link is active, the organization has the issue-sync feature, and the config
/// flag for the direction is on. `only` restricts the answer to one organization. A change whose
/// `sync_source` is `integration_id` itself syncs nowhere, so nothing is echoed back.
pub fn select_sync_targets(
    links: &[OrganizationLink],
    integration_id: IntegrationId,
    direction: SyncDirection,
    only: Option<OrganizationId>,
    sync_source: Option<IntegrationId>,
) -> SyncTargets {
    let mut targets = SyncTargets::default();
    for OrganizationLink { organization, link } in links {
        if link.integration_id != integration_id || only.is_some_and(|only| only != organization.id)
        {
            continue;
        }
        let reason = if sync_source == Some(integration_id) {
            Some(NotSyncedReason::SameSource)
        } else if link.status != LinkStatus::Active {
            Some(NotSyncedReason::LinkDisabled)
        } else if !organization.features.issue_sync {
            Some(NotSyncedReason::FeatureOff)
        } else if !link.config.allows(direction) {
            Some(NotSyncedReason::ConfigOff)
        } else {
            None
        };
        match reason {
            Some(reason) => targets.skipped.push((organization.id, reason)),
            None => targets.organizations.push(organization.id),
        }
    }
    targets.organizations.sort_unstable();
    targets.organizations.dedup();
    targets
}

/// [`select_sync_targets`] on the links read from `store`.
pub async fn where_should_sync<S: IntegrationStore + ?Sized>(
    store: &S,
    integration_id: IntegrationId,
    direction: SyncDirection,
    only: Option<OrganizationId>,
) -> Result<SyncTargets, StoreError> {
    let links = store.organization_links(integration_id).await?;
    Ok(select_sync_targets(
        &links,
        integration_id,
        direction,
        only,
        None,
    ))
}
