//! [`ApplicationData`] for the in-memory store: the application's ids beside the records, and
//! each batch applied to a copy of the state that replaces it only when every item was written,
//! so a refused batch leaves nothing behind.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{InMemoryStore, State};
use crate::app_data::{
    AppAssignee, AppId, ApplicationData, IssueData, OrganizationData, ProjectData, TeamData,
    TeamMemberData, UpsertSummary, UserData, changed_meanwhile, missing_in_organization,
    missing_organization, not_a_member, unknown_reference,
};
use crate::ids::{LocalIssueId, OrganizationId, ProjectId, TeamId, UserId};
use crate::issue::{Assignee, LocalIssue};
use crate::organization::{Organization, OrganizationFeatures};
use crate::outbound::NewOutboundWork;
use crate::people::{Project, Team, User};
use crate::store::StoreError;

/// Application ids in both directions.
#[derive(Debug, Clone)]
pub(super) struct IdMap<K: Ord + Clone, V: Ord + Copy> {
    forward: BTreeMap<K, V>,
    backward: BTreeMap<V, K>,
}

impl<K: Ord + Clone, V: Ord + Copy> Default for IdMap<K, V> {
    fn default() -> Self {
        Self {
            forward: BTreeMap::new(),
            backward: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone, V: Ord + Copy> IdMap<K, V> {
    pub(super) fn get(&self, key: &K) -> Option<V> {
        self.forward.get(key).copied()
    }

    pub(super) fn key_of(&self, value: V) -> Option<&K> {
        self.backward.get(&value)
    }

    pub(super) fn insert(&mut self, key: K, value: V) {
        self.backward.insert(value, key.clone());
        self.forward.insert(key, value);
    }

    pub(super) fn remove_value(&mut self, value: V) {
        if let Some(key) = self.backward.remove(&value) {
            self.forward.remove(&key);
        }
    }
}

/// The application's ids of the standalone host's records; teams, projects and issues are
/// named within their organization.
#[derive(Debug, Default, Clone)]
pub(super) struct AppIds {
    pub(super) organizations: IdMap<AppId, OrganizationId>,
    pub(super) users: IdMap<AppId, UserId>,
    pub(super) teams: IdMap<(OrganizationId, AppId), TeamId>,
    pub(super) projects: IdMap<(OrganizationId, AppId), ProjectId>,
    pub(super) issues: IdMap<(OrganizationId, AppId), LocalIssueId>,
}

fn created_or_updated(summary: &mut UpsertSummary, existed: bool) {
    if existed {
        summary.updated += 1;
    } else {
        summary.created += 1;
    }
}

impl State {
    fn app_organization_id(&self, organization: &AppId) -> Result<OrganizationId, StoreError> {
        self.app_ids
            .organizations
            .get(organization)
            .ok_or_else(|| missing_organization(organization))
    }

    /// The member `user` names in the organization, or the conflict naming `path`.
    fn app_member(
        &self,
        path: &str,
        organization: &AppId,
        organization_id: OrganizationId,
        user: &AppId,
    ) -> Result<UserId, StoreError> {
        let user_id = self
            .app_ids
            .users
            .get(user)
            .ok_or_else(|| unknown_reference(path, "user", user, None))?;
        if !self.members.contains(&(organization_id, user_id)) {
            return Err(not_a_member(path, user, organization));
        }
        Ok(user_id)
    }

    fn app_team_id(
        &self,
        path: &str,
        organization: &AppId,
        organization_id: OrganizationId,
        team: &AppId,
    ) -> Result<TeamId, StoreError> {
        self.app_ids
            .teams
            .get(&(organization_id, team.clone()))
            .ok_or_else(|| unknown_reference(path, "team", team, Some(organization)))
    }

    fn unassign_where(&mut self, assigned: impl Fn(Assignee) -> bool) {
        for issue in self.local_issues.values_mut() {
            if issue.assignee.is_some_and(&assigned) {
                issue.assignee = None;
            }
        }
    }

    fn delete_local_issue(&mut self, id: LocalIssueId) {
        self.local_issues.remove(&id);
        self.activities.remove(&id);
        self.app_ids.issues.remove_value(id);
        for row in self.external_issues.values_mut() {
            row.local_issues.remove(&id);
        }
    }

    fn delete_team(&mut self, id: TeamId) {
        self.teams.remove(&id);
        self.team_projects.remove(&id);
        for teams in self.team_memberships.values_mut() {
            teams.remove(&id);
        }
        self.app_ids.teams.remove_value(id);
        self.unassign_where(|assignee| assignee == Assignee::Team(id));
    }

    fn delete_project(&mut self, id: ProjectId) {
        self.projects.remove(&id);
        for projects in self.team_projects.values_mut() {
            projects.remove(&id);
        }
        self.app_ids.projects.remove_value(id);
        let issues: Vec<LocalIssueId> = self
            .local_issues
            .values()
            .filter(|issue| issue.project_id == id)
            .map(|issue| issue.id)
            .collect();
        for issue in issues {
            self.delete_local_issue(issue);
        }
    }
}

impl InMemoryStore {
    /// Runs `write` on a copy of the state and keeps the copy only when it succeeds.
    fn write_all<T>(
        &self,
        write: impl FnOnce(&mut State) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut state = self.lock();
        let mut draft = state.clone();
        let result = write(&mut draft)?;
        *state = draft;
        Ok(result)
    }
}

#[async_trait]
impl ApplicationData for InMemoryStore {
    async fn upsert_organizations(
        &self,
        batch: &[OrganizationData],
    ) -> Result<UpsertSummary, StoreError> {
        self.write_all(|state| {
            let mut summary = UpsertSummary::default();
            for item in batch {
                let existing = state.app_ids.organizations.get(&item.id);
                created_or_updated(&mut summary, existing.is_some());
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let id = OrganizationId::new(state.next_id());
                        state.app_ids.organizations.insert(item.id.clone(), id);
                        id
                    }
                };
                let features = item.features.unwrap_or_else(|| {
                    state
                        .organizations
                        .get(&id)
                        .map_or(OrganizationFeatures::all(), |stored| stored.features)
                });
                state.organizations.insert(
                    id,
                    Organization {
                        id,
                        name: item.name.clone(),
                        features,
                    },
                );
            }
            Ok(summary)
        })
    }

    async fn app_organization(
        &self,
        organization: &AppId,
    ) -> Result<Option<(OrganizationId, OrganizationData)>, StoreError> {
        let state = self.lock();
        let Some(id) = state.app_ids.organizations.get(organization) else {
            return Ok(None);
        };
        Ok(state.organizations.get(&id).map(|stored| {
            (
                id,
                OrganizationData {
                    id: organization.clone(),
                    name: stored.name.clone(),
                    features: Some(stored.features),
                },
            )
        }))
    }

    async fn app_organizations(&self) -> Result<Vec<AppId>, StoreError> {
        Ok(self
            .lock()
            .app_ids
            .organizations
            .forward
            .keys()
            .cloned()
            .collect())
    }

    async fn delete_organization(&self, organization: &AppId) -> Result<(), StoreError> {
        self.write_all(|state| {
            let id = state.app_organization_id(organization)?;
            state.organizations.remove(&id);
            state.app_ids.organizations.remove_value(id);
            let teams: Vec<TeamId> = state
                .teams
                .values()
                .filter(|team| team.organization_id == id)
                .map(|team| team.id)
                .collect();
            for team in teams {
                state.delete_team(team);
            }
            let projects: Vec<ProjectId> = state
                .projects
                .values()
                .filter(|project| project.organization_id == id)
                .map(|project| project.id)
                .collect();
            for project in projects {
                state.delete_project(project);
            }
            state.members.retain(|(member_of, _)| *member_of != id);
            state.links.retain(|(_, linked), _| *linked != id);
            state.identities.retain(|(owner, _), _| *owner != id);
            state
                .external_issues
                .retain(|(_, _, linked), _| *linked != id);
            state
                .external_actors
                .retain(|_, actor| actor.organization_id != id);
            Ok(())
        })
    }

    async fn upsert_users(&self, batch: &[UserData]) -> Result<UpsertSummary, StoreError> {
        self.write_all(|state| {
            let mut summary = UpsertSummary::default();
            for item in batch {
                let existing = state.app_ids.users.get(&item.id);
                created_or_updated(&mut summary, existing.is_some());
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let id = UserId::new(state.next_id());
                        state.app_ids.users.insert(item.id.clone(), id);
                        id
                    }
                };
                state.users.insert(
                    id,
                    User {
                        id,
                        active: item.active,
                        emails: item.emails.clone(),
                    },
                );
            }
            Ok(summary)
        })
    }

    async fn app_user(&self, user: &AppId) -> Result<Option<UserData>, StoreError> {
        let state = self.lock();
        let Some(id) = state.app_ids.users.get(user) else {
            return Ok(None);
        };
        Ok(state.users.get(&id).map(|stored| UserData {
            id: user.clone(),
            active: stored.active,
            emails: stored.emails.clone(),
        }))
    }

    async fn app_user_id(&self, user: &AppId) -> Result<Option<UserId>, StoreError> {
        Ok(self.lock().app_ids.users.get(user))
    }

    async fn delete_user(&self, user: &AppId) -> Result<(), StoreError> {
        self.write_all(|state| {
            let id = state
                .app_ids
                .users
                .get(user)
                .ok_or_else(|| StoreError::not_found(format!("user {:?}", user.as_str())))?;
            state.users.remove(&id);
            state.app_ids.users.remove_value(id);
            state.members.retain(|(_, member)| *member != id);
            state.team_memberships.remove(&id);
            state.unassign_where(|assignee| assignee == Assignee::User(id));
            Ok(())
        })
    }

    async fn add_members(
        &self,
        organization: &AppId,
        users: &[AppId],
    ) -> Result<UpsertSummary, StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let mut summary = UpsertSummary::default();
            for (index, user) in users.iter().enumerate() {
                let path = format!("items[{index}].user");
                let user_id = state
                    .app_ids
                    .users
                    .get(user)
                    .ok_or_else(|| unknown_reference(&path, "user", user, None))?;
                let created = state.members.insert((organization_id, user_id));
                created_or_updated(&mut summary, !created);
            }
            Ok(summary)
        })
    }

    async fn app_members(&self, organization: &AppId) -> Result<Vec<AppId>, StoreError> {
        let state = self.lock();
        let organization_id = state.app_organization_id(organization)?;
        let mut members: Vec<AppId> = state
            .members
            .iter()
            .filter(|(member_of, _)| *member_of == organization_id)
            .filter_map(|(_, user)| state.app_ids.users.key_of(*user).cloned())
            .collect();
        members.sort();
        Ok(members)
    }

    async fn remove_member(&self, organization: &AppId, user: &AppId) -> Result<(), StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let user_id = state
                .app_ids
                .users
                .get(user)
                .filter(|user_id| state.members.contains(&(organization_id, *user_id)))
                .ok_or_else(|| missing_in_organization("member", user, organization))?;
            state.members.remove(&(organization_id, user_id));
            let teams = &state.teams;
            if let Some(memberships) = state.team_memberships.get_mut(&user_id) {
                memberships.retain(|team, _| {
                    teams
                        .get(team)
                        .is_none_or(|team| team.organization_id != organization_id)
                });
            }
            for issue in state.local_issues.values_mut() {
                if issue.organization_id == organization_id
                    && issue.assignee == Some(Assignee::User(user_id))
                {
                    issue.assignee = None;
                }
            }
            Ok(())
        })
    }

    async fn upsert_teams(
        &self,
        organization: &AppId,
        batch: &[TeamData],
    ) -> Result<UpsertSummary, StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let mut summary = UpsertSummary::default();
            for (index, item) in batch.iter().enumerate() {
                let mut members = Vec::new();
                for (position, member) in item.members.iter().enumerate() {
                    let path = format!("items[{index}].members[{position}].user");
                    let user_id =
                        state.app_member(&path, organization, organization_id, &member.user)?;
                    members.push((user_id, member.active));
                }
                let key = (organization_id, item.id.clone());
                let existing = state.app_ids.teams.get(&key);
                created_or_updated(&mut summary, existing.is_some());
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let id = TeamId::new(state.next_id());
                        state.app_ids.teams.insert(key, id);
                        id
                    }
                };
                state.teams.insert(
                    id,
                    Team {
                        id,
                        organization_id,
                        name: item.name.clone(),
                    },
                );
                for teams in state.team_memberships.values_mut() {
                    teams.remove(&id);
                }
                for (user_id, active) in members {
                    state
                        .team_memberships
                        .entry(user_id)
                        .or_default()
                        .insert(id, active);
                }
            }
            Ok(summary)
        })
    }

    async fn app_team(
        &self,
        organization: &AppId,
        team: &AppId,
    ) -> Result<Option<TeamData>, StoreError> {
        let state = self.lock();
        let organization_id = state.app_organization_id(organization)?;
        let Some(id) = state.app_ids.teams.get(&(organization_id, team.clone())) else {
            return Ok(None);
        };
        let Some(stored) = state.teams.get(&id) else {
            return Ok(None);
        };
        let mut members: Vec<TeamMemberData> = state
            .team_memberships
            .iter()
            .filter_map(|(user, teams)| {
                let active = teams.get(&id)?;
                Some(TeamMemberData {
                    user: state.app_ids.users.key_of(*user)?.clone(),
                    active: *active,
                })
            })
            .collect();
        members.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(Some(TeamData {
            id: team.clone(),
            name: stored.name.clone(),
            members,
        }))
    }

    async fn delete_team(&self, organization: &AppId, team: &AppId) -> Result<(), StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let id = state
                .app_ids
                .teams
                .get(&(organization_id, team.clone()))
                .ok_or_else(|| missing_in_organization("team", team, organization))?;
            state.delete_team(id);
            Ok(())
        })
    }

    async fn upsert_projects(
        &self,
        organization: &AppId,
        batch: &[ProjectData],
    ) -> Result<UpsertSummary, StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let mut summary = UpsertSummary::default();
            for (index, item) in batch.iter().enumerate() {
                let mut teams = Vec::new();
                for (position, team) in item.teams.iter().enumerate() {
                    let path = format!("items[{index}].teams[{position}]");
                    teams.push(state.app_team_id(&path, organization, organization_id, team)?);
                }
                let key = (organization_id, item.id.clone());
                let existing = state.app_ids.projects.get(&key);
                created_or_updated(&mut summary, existing.is_some());
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let id = ProjectId::new(state.next_id());
                        state.app_ids.projects.insert(key, id);
                        id
                    }
                };
                state.projects.insert(
                    id,
                    Project {
                        id,
                        organization_id,
                        name: item.name.clone(),
                    },
                );
                for projects in state.team_projects.values_mut() {
                    projects.remove(&id);
                }
                for team in teams {
                    state.team_projects.entry(team).or_default().insert(id);
                }
            }
            Ok(summary)
        })
    }

    async fn app_project(
        &self,
        organization: &AppId,
        project: &AppId,
    ) -> Result<Option<ProjectData>, StoreError> {
        let state = self.lock();
        let organization_id = state.app_organization_id(organization)?;
        let Some(id) = state
            .app_ids
            .projects
            .get(&(organization_id, project.clone()))
        else {
            return Ok(None);
        };
        let Some(stored) = state.projects.get(&id) else {
            return Ok(None);
        };
        let mut teams: Vec<AppId> = state
            .team_projects
            .iter()
            .filter(|(_, projects)| projects.contains(&id))
            .filter_map(|(team, _)| state.app_ids.teams.key_of(*team).map(|(_, id)| id.clone()))
            .collect();
        teams.sort();
        Ok(Some(ProjectData {
            id: project.clone(),
            name: stored.name.clone(),
            teams,
        }))
    }

    async fn delete_project(
        &self,
        organization: &AppId,
        project: &AppId,
    ) -> Result<(), StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let id = state
                .app_ids
                .projects
                .get(&(organization_id, project.clone()))
                .ok_or_else(|| missing_in_organization("project", project, organization))?;
            state.delete_project(id);
            Ok(())
        })
    }

    async fn upsert_issues(
        &self,
        organization: &AppId,
        batch: &[IssueData],
    ) -> Result<UpsertSummary, StoreError> {
        self.write_all(|state| upsert_issues_in(state, organization, batch))
    }

    async fn app_issue(
        &self,
        organization: &AppId,
        issue: &AppId,
    ) -> Result<Option<(LocalIssueId, IssueData)>, StoreError> {
        app_issue_in(&self.lock(), organization, issue)
    }

    async fn delete_issue(&self, organization: &AppId, issue: &AppId) -> Result<(), StoreError> {
        self.write_all(|state| {
            let organization_id = state.app_organization_id(organization)?;
            let id = state
                .app_ids
                .issues
                .get(&(organization_id, issue.clone()))
                .ok_or_else(|| missing_in_organization("issue", issue, organization))?;
            state.delete_local_issue(id);
            Ok(())
        })
    }

    async fn update_issue(
        &self,
        organization: &AppId,
        expected: &IssueData,
        issue: &IssueData,
        outbound: &[NewOutboundWork],
    ) -> Result<(), StoreError> {
        self.write_all(|state| {
            let (_, current) = app_issue_in(state, organization, &expected.id)?
                .ok_or_else(|| missing_in_organization("issue", &expected.id, organization))?;
            if current != *expected || issue.id != expected.id {
                return Err(changed_meanwhile(&expected.id));
            }
            upsert_issues_in(state, organization, std::slice::from_ref(issue))?;
            state.enqueue_outbound(outbound);
            Ok(())
        })
    }
}

/// Creates or replaces issues of the organization in `state` (the body of `upsert_issues`).
fn upsert_issues_in(
    state: &mut State,
    organization: &AppId,
    batch: &[IssueData],
) -> Result<UpsertSummary, StoreError> {
    let organization_id = state.app_organization_id(organization)?;
    let mut summary = UpsertSummary::default();
    for (index, item) in batch.iter().enumerate() {
        let project_id = state
            .app_ids
            .projects
            .get(&(organization_id, item.project.clone()))
            .ok_or_else(|| {
                unknown_reference(
                    &format!("items[{index}].project"),
                    "project",
                    &item.project,
                    Some(organization),
                )
            })?;
        let assignee = match &item.assignee {
            Some(AppAssignee::User(user)) => {
                let path = format!("items[{index}].assignee.user");
                Some(Assignee::User(state.app_member(
                    &path,
                    organization,
                    organization_id,
                    user,
                )?))
            }
            Some(AppAssignee::Team(team)) => {
                let path = format!("items[{index}].assignee.team");
                Some(Assignee::Team(state.app_team_id(
                    &path,
                    organization,
                    organization_id,
                    team,
                )?))
            }
            None => None,
        };
        let key = (organization_id, item.id.clone());
        let existing = state.app_ids.issues.get(&key);
        created_or_updated(&mut summary, existing.is_some());
        let id = match existing {
            Some(id) => id,
            None => {
                let id = LocalIssueId::new(state.next_id());
                state.app_ids.issues.insert(key, id);
                id
            }
        };
        state.local_issues.insert(
            id,
            LocalIssue {
                id,
                organization_id,
                project_id,
                status: item.status,
                assignee,
            },
        );
    }
    Ok(summary)
}

/// An issue of the organization in `state` (the body of `app_issue`).
fn app_issue_in(
    state: &State,
    organization: &AppId,
    issue: &AppId,
) -> Result<Option<(LocalIssueId, IssueData)>, StoreError> {
    let organization_id = state.app_organization_id(organization)?;
    let Some(id) = state.app_ids.issues.get(&(organization_id, issue.clone())) else {
        return Ok(None);
    };
    let Some(stored) = state.local_issues.get(&id) else {
        return Ok(None);
    };
    let project = state
        .app_ids
        .projects
        .key_of(stored.project_id)
        .map(|(_, id)| id.clone())
        .ok_or_else(|| StoreError::other("an issue's project has no application id"))?;
    let assignee = match stored.assignee {
        Some(Assignee::User(user)) => state
            .app_ids
            .users
            .key_of(user)
            .cloned()
            .map(AppAssignee::User),
        Some(Assignee::Team(team)) => state
            .app_ids
            .teams
            .key_of(team)
            .map(|(_, id)| AppAssignee::Team(id.clone())),
        None => None,
    };
    Ok(Some((
        id,
        IssueData {
            id: issue.clone(),
            project,
            status: stored.status,
            assignee,
        },
    )))
}
