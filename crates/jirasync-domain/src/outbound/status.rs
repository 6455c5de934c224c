//! Outbound status: the per-project mapping that says which Jira status an application issue's
//! resolve and unresolve reach (reference §4.5, §4.6: `sync_status_forward` with
//! `{projectId: {on_resolve, on_unresolve}}`).

use crate::ids::{IntegrationId, OrganizationId};
use crate::issue::ResolutionStatus;

/// Which Jira status to reach in one Jira project when an organization's application issue is
/// resolved, and which when it is unresolved. Checked against the project's workflow statuses
/// before it is stored; kept per organization and integration, by the project's id (a project
/// key can be renamed in Jira, its id stays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMapping {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The integration (the Jira instance).
    pub integration_id: IntegrationId,
    /// The Jira project id (`10000`).
    pub project_id: String,
    /// The project key when the mapping was stored (`SHOP`), to show and to look it up by.
    pub project_key: String,
    /// The status id to reach on resolve (`5`).
    pub on_resolve: String,
    /// The status id to reach on unresolve (`1`).
    pub on_unresolve: String,
}

impl StatusMapping {
    /// The status to reach for `status`.
    pub fn target(&self, status: ResolutionStatus) -> &str {
        match status {
            ResolutionStatus::Resolved => &self.on_resolve,
            ResolutionStatus::Unresolved => &self.on_unresolve,
        }
    }

    /// Whether `project` (a key, compared exactly, or an id) names this mapping's project.
    pub fn is_for(&self, project: &str) -> bool {
        self.project_id == project || self.project_key == project
    }
}

/// The refusal of a mapping without both statuses (the reference's words, §4.6).
pub const BOTH_STATUSES_REQUIRED: &str = "Resolve and unresolve status are required.";

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> StatusMapping {
        StatusMapping {
            organization_id: OrganizationId::new(1),
            integration_id: IntegrationId::new(2),
            project_id: "10000".to_owned(),
            project_key: "SHOP".to_owned(),
            on_resolve: "5".to_owned(),
            on_unresolve: "1".to_owned(),
        }
    }

    #[test]
    fn the_target_follows_the_resolution() {
        assert_eq!(mapping().target(ResolutionStatus::Resolved), "5");
        assert_eq!(mapping().target(ResolutionStatus::Unresolved), "1");
    }

    #[test]
    fn a_mapping_is_found_by_key_or_id_exactly() {
        assert!(mapping().is_for("SHOP"));
        assert!(mapping().is_for("10000"));
        assert!(!mapping().is_for("shop"));
        assert!(!mapping().is_for("10001"));
    }
}
