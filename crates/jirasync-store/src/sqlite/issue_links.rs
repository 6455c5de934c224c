//! [`IssueLinkStore`]: local issues and their links to Jira issues.

use async_trait::async_trait;
use jirasync_domain::ids::{
    IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use jirasync_domain::issue::{Assignee, LinkedIssue, LocalIssue};
use jirasync_domain::{IssueLinkStore, StoreError};
use jirasync_webhook::IssueKey;
use sqlx::SqliteConnection;

use super::SqliteStore;
use super::values::{domain_id, placeholders, sql_id, status_from_name};
use crate::sql_error::store_error;

/// The columns of [`LocalIssueRow`], from `local_issues li LEFT JOIN issue_assignees a`.
pub(super) const LOCAL_ISSUE_COLUMNS: &str =
    "li.id, li.organization_id, li.project_id, li.status, a.user_id, a.team_id";

/// The tables [`LOCAL_ISSUE_COLUMNS`] come from.
pub(super) const LOCAL_ISSUE_TABLES: &str =
    "local_issues li LEFT JOIN issue_assignees a ON a.local_issue_id = li.id";

/// A local issue with its assignee: id, organization, project, status, assigned user, team.
pub(super) type LocalIssueRow = (i64, i64, i64, String, Option<i64>, Option<i64>);

/// The local issue a row describes.
pub(super) fn local_issue_from_row(row: LocalIssueRow) -> Result<LocalIssue, StoreError> {
    let (id, organization_id, project_id, status, user_id, team_id) = row;
    let assignee = match (user_id, team_id) {
        (Some(user_id), _) => Some(Assignee::User(UserId::new(domain_id(user_id)?))),
        (None, Some(team_id)) => Some(Assignee::Team(TeamId::new(domain_id(team_id)?))),
        (None, None) => None,
    };
    Ok(LocalIssue {
        id: LocalIssueId::new(domain_id(id)?),
        organization_id: OrganizationId::new(domain_id(organization_id)?),
        project_id: ProjectId::new(domain_id(project_id)?),
        status: status_from_name(&status)?,
        assignee,
    })
}

/// The local issue with this id, read on `connection` (inside a transaction, or not).
pub(super) async fn local_issue(
    connection: &mut SqliteConnection,
    id: i64,
) -> Result<Option<LocalIssue>, StoreError> {
    let row: Option<LocalIssueRow> = sqlx::query_as(&format!(
        "SELECT {LOCAL_ISSUE_COLUMNS} FROM {LOCAL_ISSUE_TABLES} WHERE li.id = ?"
    ))
    .bind(id)
    .fetch_optional(connection)
    .await
    .map_err(|error| store_error("reading a local issue", error))?;
    row.map(local_issue_from_row).transpose()
}

#[async_trait]
impl IssueLinkStore for SqliteStore {
    async fn linked_issues(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organizations: &[OrganizationId],
    ) -> Result<Vec<LinkedIssue>, StoreError> {
        if organizations.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT ei.organization_id, {LOCAL_ISSUE_COLUMNS} \
             FROM external_issues ei \
             JOIN external_issue_links l ON l.external_issue_id = ei.id \
             JOIN local_issues li ON li.id = l.local_issue_id \
             LEFT JOIN issue_assignees a ON a.local_issue_id = li.id \
             WHERE ei.integration_id = ? AND ei.key = ? AND ei.organization_id IN ({}) \
             ORDER BY li.id",
            placeholders(organizations.len())
        );
        let mut query =
            sqlx::query_as::<_, (i64, i64, i64, i64, String, Option<i64>, Option<i64>)>(&sql)
                .bind(sql_id(integration_id.get()))
                // The key is compared exactly (SQLite's `=` on TEXT is case-sensitive).
                .bind(key.as_str());
        for organization in organizations {
            query = query.bind(sql_id(organization.get()));
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(|error| store_error("reading linked issues", error))?;
        let mut linked = Vec::with_capacity(rows.len());
        for (linking_organization, id, organization_id, project_id, status, user_id, team_id) in
            rows
        {
            let organization_id_of_link = OrganizationId::new(domain_id(linking_organization)?);
            linked.push(LinkedIssue {
                organization_id: organization_id_of_link,
                issue: local_issue_from_row((
                    id,
                    organization_id,
                    project_id,
                    status,
                    user_id,
                    team_id,
                ))?,
            });
        }
        // An issue linked by several of the organizations is reported once, for the one listed
        // first, as the in-memory store does.
        let position = |organization: OrganizationId| {
            organizations
                .iter()
                .position(|listed| *listed == organization)
                .unwrap_or(usize::MAX)
        };
        linked.sort_by_key(|linked| (linked.issue.id, position(linked.organization_id)));
        linked.dedup_by_key(|linked| linked.issue.id);
        Ok(linked)
    }

    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError> {
        let mut connection = self.connection("reading a local issue").await?;
        local_issue(&mut connection, sql_id(id.get())).await
    }
}
