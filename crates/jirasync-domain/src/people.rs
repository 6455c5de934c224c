//! Users, teams and projects of the host application: who may be assigned to which issue.

use std::collections::BTreeSet;

use crate::ids::{OrganizationId, ProjectId, TeamId, UserId};

/// A user of the host application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// Inactive users are never assigned.
    pub active: bool,
    /// Every e-mail address of the user; any verified one identifies them.
    pub emails: Vec<UserEmail>,
}

/// One e-mail address of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEmail {
    /// The address as the user entered it.
    pub address: String,
    /// Whether the user proved they own it.
    pub verified: bool,
}

impl UserEmail {
    /// A verified address.
    pub fn verified(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            verified: true,
        }
    }

    /// An address not (yet) verified.
    pub fn unverified(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            verified: false,
        }
    }
}

/// A team of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The team's id.
    pub id: TeamId,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// A display name.
    pub name: String,
}

/// A project of an organization; local issues belong to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project's id.
    pub id: ProjectId,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// A display name.
    pub name: String,
}

/// The projects a user reaches through teams where their membership is active (reference §4.3:
/// org member → member-team active → team → project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectAccess {
    /// The user.
    pub user_id: UserId,
    /// The projects the user reaches.
    pub projects: BTreeSet<ProjectId>,
}
