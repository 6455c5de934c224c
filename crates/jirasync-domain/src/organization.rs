//! Organizations (tenants of the host application) and their feature flags.

use crate::ids::OrganizationId;

/// A tenant of the host application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// The organization's id.
    pub id: OrganizationId,
    /// A display name.
    pub name: String,
    /// The features this organization may use.
    pub features: OrganizationFeatures,
}

/// Feature flags of an organization (the reference's `organizations:*` features).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrganizationFeatures {
    /// `organizations:integrations-issue-sync`: assignee and status sync with Jira.
    pub issue_sync: bool,
    /// `organizations:integrations-codeowners`: creating and editing external actors.
    pub external_actors: bool,
}

impl OrganizationFeatures {
    /// Every feature on.
    pub const fn all() -> Self {
        Self {
            issue_sync: true,
            external_actors: true,
        }
    }
}
