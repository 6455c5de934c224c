//! The per-project status mappings of outbound status sync ([`StatusMapping`]).

use async_trait::async_trait;

use super::StoreError;
use crate::ids::{IntegrationId, OrganizationId};
use crate::outbound::StatusMapping;

/// Storing the per-project status mappings.
#[async_trait]
pub trait StatusMappingStore: Send + Sync {
    /// Creates or replaces the mapping of its organization, integration and project id (the
    /// stored key follows a renamed project).
    async fn put_status_mapping(&self, mapping: &StatusMapping) -> Result<(), StoreError>;

    /// The organization's mappings for the integration, by project key.
    async fn status_mappings(
        &self,
        organization: OrganizationId,
        integration: IntegrationId,
    ) -> Result<Vec<StatusMapping>, StoreError>;

    /// Deletes the mapping of `project` (its key, exactly, or its id); whether there was one.
    async fn remove_status_mapping(
        &self,
        organization: OrganizationId,
        integration: IntegrationId,
        project: &str,
    ) -> Result<bool, StoreError>;
}
