//! The in-memory store as a standalone [`Host`]: its own users, teams, projects and issues,
//! with the reference's rules for who may be assigned what.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::InMemoryStore;
use crate::activity::Activity;
use crate::external_actor::ActorTarget;
use crate::host::{Host, HostError, HostIssue, IssueChange, unsupported_change};
use crate::ids::{ActivityId, LocalIssueId, OrganizationId, UserId};
use crate::issue::LocalIssue;
use crate::store::{LocalIssueStore, StoreError};
use crate::text::eq_ignore_case;

#[async_trait]
impl Host for InMemoryStore {
    async fn users_with_verified_email(&self, email: &str) -> Result<Vec<UserId>, HostError> {
        Ok(self
            .lock()
            .users
            .values()
            .filter(|user| {
                user.active
                    && user
                        .emails
                        .iter()
                        .any(|e| e.verified && eq_ignore_case(&e.address, email))
            })
            .map(|user| user.id)
            .collect())
    }

    async fn active_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, HostError> {
        let state = self.lock();
        let ids: BTreeSet<UserId> = ids.iter().copied().collect();
        Ok(ids
            .into_iter()
            .filter(|id| state.users.get(id).is_some_and(|user| user.active))
            .collect())
    }

    /// Active users who reach the issue's project through a team membership that is active
    /// (reference §4.3).
    async fn assignable_users(
        &self,
        issue: LocalIssueId,
        candidates: &[UserId],
    ) -> Result<Vec<UserId>, HostError> {
        let state = self.lock();
        let Some(project) = state.local_issues.get(&issue).map(|issue| issue.project_id) else {
            return Ok(Vec::new());
        };
        let candidates: BTreeSet<UserId> = candidates.iter().copied().collect();
        Ok(candidates
            .into_iter()
            .filter(|id| state.users.get(id).is_some_and(|user| user.active))
            .filter(|id| {
                state
                    .team_memberships
                    .get(id)
                    .into_iter()
                    .flatten()
                    .filter(|(_, active)| **active)
                    .filter_map(|(team, _)| state.team_projects.get(team))
                    .any(|projects| projects.contains(&project))
            })
            .collect())
    }

    async fn issue(&self, issue: LocalIssueId) -> Result<Option<HostIssue>, HostError> {
        Ok(self.lock().local_issues.get(&issue).map(|issue| HostIssue {
            organization_id: issue.organization_id,
            assignee: issue.assignee,
            status: issue.status,
        }))
    }

    async fn apply_change(&self, change: &IssueChange) -> Result<(), HostError> {
        let mut state = self.lock();
        let Some(issue) = state.local_issues.get_mut(&change.issue) else {
            return Ok(());
        };
        if let Some(assignee) = change.assignee() {
            issue.assignee = assignee;
        } else if let Some(status) = change.status() {
            issue.status = status;
        } else if change.comment().is_some() {
            // Like the SQL standalone host: the comment's `issue.comment_added` event, committed
            // with the sync, is its record; no activity is kept.
            return Ok(());
        } else {
            return Err(unsupported_change(change.kind));
        }
        state.activity_count += 1;
        let id = ActivityId::new(state.next_id());
        state
            .activities
            .entry(change.issue)
            .or_default()
            .push(Activity {
                id,
                local_issue_id: change.issue,
                kind: change.kind,
                data: change.data.clone(),
            });
        Ok(())
    }

    async fn in_organization(
        &self,
        organization: OrganizationId,
        target: ActorTarget,
    ) -> Result<bool, HostError> {
        let state = self.lock();
        Ok(match target {
            ActorTarget::User(user) => state.members.contains(&(organization, user)),
            ActorTarget::Team(team) => state
                .teams
                .get(&team)
                .is_some_and(|team| team.organization_id == organization),
        })
    }
}

#[async_trait]
impl LocalIssueStore for InMemoryStore {
    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError> {
        Ok(self.lock().local_issues.get(&id).cloned())
    }

    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError> {
        Ok(self
            .lock()
            .activities
            .get(&local_issue_id)
            .cloned()
            .unwrap_or_default())
    }
}
