//! The in-memory store's [`StateStore`]: export reads every map; replace builds a whole new
//! state from the snapshot, then swaps it in under the lock, so a refused snapshot leaves the
//! old state untouched.
//!
//! A child module of `memory` (see the `#[path]` there), so it reaches the store's private state.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::{ExternalIssueRow, InMemoryStore, State};
use crate::app_data::AppId;
use crate::ids::{LocalIssueId, OrganizationId, ProjectId, TeamId, UserId};
use crate::state::{
    ActivityRecord, ExternalActorRecord, ExternalIssueRecord, IdentityRecord, IntegrationRecord,
    LocalIssueRecord, OrganizationIntegrationRecord, OrganizationMemberRecord, OrganizationRecord,
    ProjectRecord, StateSnapshot, StateStore, TeamMemberRecord, TeamProjectRecord, TeamRecord,
    UserRecord,
};
use crate::store::StoreError;

impl State {
    /// Every record, sorted canonically.
    fn to_snapshot(&self) -> StateSnapshot {
        let app_ids = &self.app_ids;
        let mut snapshot = StateSnapshot {
            organizations: self
                .organizations
                .values()
                .map(|organization| OrganizationRecord {
                    app_id: app_ids.organizations.key_of(organization.id).map(app_text),
                    ..OrganizationRecord::from(organization)
                })
                .collect(),
            users: self
                .users
                .values()
                .map(|user| UserRecord {
                    app_id: app_ids.users.key_of(user.id).map(app_text),
                    ..UserRecord::from(user)
                })
                .collect(),
            organization_members: self
                .members
                .iter()
                .map(|(organization, user)| OrganizationMemberRecord {
                    organization_id: organization.get(),
                    user_id: user.get(),
                })
                .collect(),
            teams: self
                .teams
                .values()
                .map(|team| TeamRecord {
                    app_id: app_ids.teams.key_of(team.id).map(|(_, id)| app_text(id)),
                    ..TeamRecord::from(team)
                })
                .collect(),
            team_members: self
                .team_memberships
                .iter()
                .flat_map(|(user, teams)| {
                    teams.iter().map(|(team, active)| TeamMemberRecord {
                        team_id: team.get(),
                        user_id: user.get(),
                        active: *active,
                    })
                })
                .collect(),
            projects: self
                .projects
                .values()
                .map(|project| ProjectRecord {
                    app_id: app_ids
                        .projects
                        .key_of(project.id)
                        .map(|(_, id)| app_text(id)),
                    ..ProjectRecord::from(project)
                })
                .collect(),
            team_projects: self
                .team_projects
                .iter()
                .flat_map(|(team, projects)| {
                    projects.iter().map(|project| TeamProjectRecord {
                        team_id: team.get(),
                        project_id: project.get(),
                    })
                })
                .collect(),
            local_issues: self
                .local_issues
                .values()
                .map(|issue| LocalIssueRecord {
                    app_id: app_ids.issues.key_of(issue.id).map(|(_, id)| app_text(id)),
                    ..LocalIssueRecord::from(issue)
                })
                .collect(),
            integrations: self
                .integrations
                .values()
                .map(IntegrationRecord::from)
                .collect(),
            identities: self.identities.values().map(IdentityRecord::from).collect(),
            organization_integrations: self
                .links
                .values()
                .map(OrganizationIntegrationRecord::from)
                .collect(),
            external_issues: self
                .external_issues
                .values()
                .map(|row| ExternalIssueRecord::new(&row.row, row.local_issues.iter().copied()))
                .collect(),
            external_actors: self
                .external_actors
                .values()
                .map(ExternalActorRecord::from)
                .collect(),
            activities: self
                .activities
                .values()
                .flatten()
                .map(ActivityRecord::from)
                .collect(),
            ..StateSnapshot::default()
        };
        snapshot.sort_canonically();
        snapshot
    }

    /// A new state holding exactly the snapshot; ids assigned later continue after its largest.
    /// The delivery log starts empty.
    fn from_snapshot(snapshot: &StateSnapshot) -> Result<Self, StoreError> {
        let mut state = Self {
            next_id: largest_id(snapshot),
            ..Self::default()
        };
        for record in &snapshot.organizations {
            let organization = record.to_organization();
            if let Some(app_id) = &record.app_id {
                state
                    .app_ids
                    .organizations
                    .insert(AppId::new(app_id.as_str()), organization.id);
            }
            state.organizations.insert(organization.id, organization);
        }
        for record in &snapshot.users {
            let user = record.to_user();
            if let Some(app_id) = &record.app_id {
                state
                    .app_ids
                    .users
                    .insert(AppId::new(app_id.as_str()), user.id);
            }
            state.users.insert(user.id, user);
        }
        state.members = snapshot
            .organization_members
            .iter()
            .map(|record| {
                (
                    OrganizationId::new(record.organization_id),
                    UserId::new(record.user_id),
                )
            })
            .collect();
        for record in &snapshot.teams {
            let team = record.to_team();
            if let Some(app_id) = &record.app_id {
                let key = (team.organization_id, AppId::new(app_id.as_str()));
                state.app_ids.teams.insert(key, team.id);
            }
            state.teams.insert(team.id, team);
        }
        for record in &snapshot.team_members {
            state
                .team_memberships
                .entry(UserId::new(record.user_id))
                .or_default()
                .insert(TeamId::new(record.team_id), record.active);
        }
        for record in &snapshot.projects {
            let project = record.to_project();
            if let Some(app_id) = &record.app_id {
                let key = (project.organization_id, AppId::new(app_id.as_str()));
                state.app_ids.projects.insert(key, project.id);
            }
            state.projects.insert(project.id, project);
        }
        for record in &snapshot.team_projects {
            state
                .team_projects
                .entry(TeamId::new(record.team_id))
                .or_default()
                .insert(ProjectId::new(record.project_id));
        }
        for record in &snapshot.local_issues {
            let issue = record.to_local_issue();
            if let Some(app_id) = &record.app_id {
                let key = (issue.organization_id, AppId::new(app_id.as_str()));
                state.app_ids.issues.insert(key, issue.id);
            }
            state.local_issues.insert(issue.id, issue);
        }
        for record in &snapshot.integrations {
            let integration = record.to_integration();
            state.integrations.insert(integration.id, integration);
        }
        for record in &snapshot.identities {
            let identity = record.to_identity();
            state.identities.insert(
                (identity.organization_id, identity.integration_id),
                identity,
            );
        }
        for record in &snapshot.organization_integrations {
            let link = record.to_organization_integration();
            state
                .links
                .insert((link.integration_id, link.organization_id), link);
        }
        for record in &snapshot.external_issues {
            let row = record.to_external_issue();
            let local_issues: BTreeSet<LocalIssueId> = record.linked_issues().collect();
            let key = (row.integration_id, row.key.clone(), row.organization_id);
            state
                .external_issues
                .insert(key, ExternalIssueRow { row, local_issues });
        }
        for record in &snapshot.external_actors {
            let actor = record.to_external_actor()?;
            state.external_actors.insert(actor.id, actor);
        }
        let mut activities: Vec<_> = snapshot
            .activities
            .iter()
            .map(ActivityRecord::to_activity)
            .collect();
        // Each issue's log is read oldest first, and ids grow in writing order.
        activities.sort_by_key(|activity| activity.id);
        state.activity_count = u64::try_from(activities.len()).unwrap_or(u64::MAX);
        let mut by_issue: BTreeMap<LocalIssueId, Vec<_>> = BTreeMap::new();
        for activity in activities {
            by_issue
                .entry(activity.local_issue_id)
                .or_default()
                .push(activity);
        }
        state.activities = by_issue;
        Ok(state)
    }
}

/// An application id as the state file writes it.
fn app_text(app_id: &AppId) -> String {
    app_id.as_str().to_owned()
}

/// The largest id of any record of the snapshot (0 for an empty one).
fn largest_id(snapshot: &StateSnapshot) -> u64 {
    let ids = [
        snapshot.organizations.iter().map(|r| r.id).max(),
        snapshot.users.iter().map(|r| r.id).max(),
        snapshot.teams.iter().map(|r| r.id).max(),
        snapshot.projects.iter().map(|r| r.id).max(),
        snapshot.local_issues.iter().map(|r| r.id).max(),
        snapshot.integrations.iter().map(|r| r.id).max(),
        snapshot.identities.iter().map(|r| r.id).max(),
        snapshot.external_issues.iter().map(|r| r.id).max(),
        snapshot.external_actors.iter().map(|r| r.id).max(),
        snapshot.activities.iter().map(|r| r.id).max(),
    ];
    ids.into_iter().flatten().max().unwrap_or(0)
}

#[async_trait]
impl StateStore for InMemoryStore {
    async fn export_state(&self) -> Result<StateSnapshot, StoreError> {
        Ok(self.lock().to_snapshot())
    }

    async fn replace_state(&self, snapshot: &StateSnapshot) -> Result<(), StoreError> {
        snapshot
            .validate()
            .map_err(|error| StoreError::invalid(error.to_string()))?;
        let mut state = State::from_snapshot(snapshot)?;
        let mut current = self.lock();
        // The outbox is not part of the state file: events already recorded stay.
        state.outbox = std::mem::take(&mut current.outbox);
        *current = state;
        Ok(())
    }
}
