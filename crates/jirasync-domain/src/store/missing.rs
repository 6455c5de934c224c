//! The [`StoreError::NotFound`] errors of the admin writes, worded once so every store names
//! what is missing the same way.

use jirasync_webhook::IssueKey;

use super::StoreError;
use crate::events::{DeliveryClaim, SubscriberId};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId};

/// The organization has no link to the integration.
pub fn missing_organization_link(
    organization_id: OrganizationId,
    integration_id: IntegrationId,
) -> StoreError {
    StoreError::not_found(format!(
        "a link of organization {organization_id} to integration {integration_id}"
    ))
}

/// The local issue does not exist, or is in another organization.
pub fn missing_local_issue(
    organization_id: OrganizationId,
    local_issue_id: LocalIssueId,
) -> StoreError {
    StoreError::not_found(format!(
        "local issue {local_issue_id} in organization {organization_id}"
    ))
}

/// The organization does not link the local issue to the Jira issue through the integration.
pub fn missing_issue_link(
    organization_id: OrganizationId,
    integration_id: IntegrationId,
    key: &IssueKey,
    local_issue_id: LocalIssueId,
) -> StoreError {
    StoreError::not_found(format!(
        "a link of local issue {local_issue_id} to {key} through integration {integration_id} \
         in organization {organization_id}"
    ))
}

/// The refusal of a subscriber id the store does not hold.
pub fn missing_subscriber(id: SubscriberId) -> StoreError {
    StoreError::not_found(format!("subscriber {id}"))
}

/// The refusal to finish a delivery whose claim was taken over or ended.
pub fn lost_claim(claim: &DeliveryClaim) -> StoreError {
    StoreError::conflict(format!(
        "the delivery of event {} to subscriber {} is no longer claimed by this dispatcher \
         (its lease ran out and another took it over)",
        claim.cursor, claim.subscriber_id
    ))
}
