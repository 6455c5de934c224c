//! The in-memory store's per-project status mappings.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{InMemoryStore, State};
use crate::ids::{IntegrationId, OrganizationId};
use crate::outbound::StatusMapping;
use crate::store::{StatusMappingStore, StoreError};

/// The mappings, by organization, integration and project id.
pub(super) type StatusMappings = BTreeMap<(OrganizationId, IntegrationId, String), StatusMapping>;

impl State {
    /// Drops an organization's mappings for an integration (its link is removed).
    pub(super) fn remove_status_mappings(
        &mut self,
        organization: OrganizationId,
        integration: IntegrationId,
    ) {
        self.status_mappings
            .retain(|(of, by, _), _| !(*of == organization && *by == integration));
    }
}

#[async_trait]
impl StatusMappingStore for InMemoryStore {
    async fn put_status_mapping(&self, mapping: &StatusMapping) -> Result<(), StoreError> {
        self.lock().status_mappings.insert(
            (
                mapping.organization_id,
                mapping.integration_id,
                mapping.project_id.clone(),
            ),
            mapping.clone(),
        );
        Ok(())
    }

    async fn status_mappings(
        &self,
        organization: OrganizationId,
        integration: IntegrationId,
    ) -> Result<Vec<StatusMapping>, StoreError> {
        let mut mappings: Vec<StatusMapping> = self
            .lock()
            .status_mappings
            .values()
            .filter(|mapping| {
                mapping.organization_id == organization && mapping.integration_id == integration
            })
            .cloned()
            .collect();
        mappings.sort_by(|a, b| a.project_key.cmp(&b.project_key));
        Ok(mappings)
    }

    async fn remove_status_mapping(
        &self,
        organization: OrganizationId,
        integration: IntegrationId,
        project: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let before = state.status_mappings.len();
        state.status_mappings.retain(|(of, by, _), mapping| {
            !(*of == organization && *by == integration && mapping.is_for(project))
        });
        Ok(state.status_mappings.len() != before)
    }
}
