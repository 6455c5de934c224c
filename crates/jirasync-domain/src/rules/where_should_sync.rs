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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::{OrganizationIntegration, SyncConfig};
    use crate::organization::{Organization, OrganizationFeatures};

    fn link(id: u64, integration: u64) -> OrganizationLink {
        OrganizationLink {
            organization: Organization {
                id: OrganizationId::new(id),
                name: format!("org-{id}"),
                features: OrganizationFeatures::all(),
            },
            link: OrganizationIntegration {
                organization_id: OrganizationId::new(id),
                integration_id: IntegrationId::new(integration),
                status: LinkStatus::Active,
                config: SyncConfig::all_on(),
                default_identity_id: None,
            },
        }
    }

    #[test]
    fn a_change_from_the_same_integration_syncs_nowhere() {
        let links = [link(1, 7), link(2, 7)];
        let integration = IntegrationId::new(7);
        let targets = select_sync_targets(
            &links,
            integration,
            SyncDirection::OutboundAssignee,
            None,
            Some(integration),
        );
        assert!(targets.organizations.is_empty());
        assert_eq!(targets.skipped.len(), 2);
        let elsewhere = select_sync_targets(
            &links,
            integration,
            SyncDirection::OutboundAssignee,
            None,
            Some(IntegrationId::new(8)),
        );
        assert_eq!(elsewhere.organizations.len(), 2);
    }

    #[test]
    fn only_restricts_to_one_organization_and_other_integrations_are_ignored() {
        let links = [link(1, 7), link(2, 7), link(3, 8)];
        let targets = select_sync_targets(
            &links,
            IntegrationId::new(7),
            SyncDirection::InboundStatus,
            Some(OrganizationId::new(2)),
            None,
        );
        assert_eq!(targets.organizations, vec![OrganizationId::new(2)]);
        assert!(targets.skipped.is_empty());
    }
}
