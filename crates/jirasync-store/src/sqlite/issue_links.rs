//! [`IssueLinkStore`]: local issues and their links to Jira issues.

use async_trait::async_trait;
use jirasync_domain::ids::{
    ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use jirasync_domain::issue::{Assignee, ExternalIssue, IssueLink, LinkedIssue, LocalIssue};
use jirasync_domain::store::missing::{
    missing_issue_link, missing_local_issue, missing_organization_link,
};
use jirasync_domain::{IssueLinkStore, StoreError};
use jirasync_webhook::{EventTime, IssueKey};
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

/// Links the local issue to the organization's external issue row of (integration, key),
/// creating the row when it is missing (an existing one keeps its watermarks); returns the row's
/// id and whether the link is new. The schema refuses a local issue or integration that does not
/// exist.
pub(super) async fn upsert_issue_link(
    connection: &mut SqliteConnection,
    organization_id: i64,
    integration_id: i64,
    key: &IssueKey,
    local_issue_id: i64,
    what: &str,
) -> Result<(i64, bool), StoreError> {
    // The no-op update makes RETURNING give the id of a row that exists already.
    let external_issue_id: i64 = sqlx::query_scalar(
        "INSERT INTO external_issues (organization_id, integration_id, key) VALUES (?, ?, ?) \
         ON CONFLICT (organization_id, integration_id, key) DO UPDATE SET key = excluded.key \
         RETURNING id",
    )
    .bind(organization_id)
    .bind(integration_id)
    .bind(key.as_str())
    .fetch_one(&mut *connection)
    .await
    .map_err(|error| store_error(what, error))?;
    let inserted = sqlx::query(
        "INSERT INTO external_issue_links (external_issue_id, local_issue_id) VALUES (?, ?) \
         ON CONFLICT DO NOTHING",
    )
    .bind(external_issue_id)
    .bind(local_issue_id)
    .execute(&mut *connection)
    .await
    .map_err(|error| store_error(what, error))?;
    Ok((external_issue_id, inserted.rows_affected() > 0))
}

/// The external issue row with this id.
async fn external_issue(
    connection: &mut SqliteConnection,
    id: i64,
    what: &str,
) -> Result<ExternalIssue, StoreError> {
    let (id, organization_id, integration_id, key, assignee_at, status_at): (
        i64,
        i64,
        i64,
        String,
        Option<i64>,
        Option<i64>,
    ) = sqlx::query_as(
        "SELECT id, organization_id, integration_id, key, assignee_updated_at, \
         status_updated_at FROM external_issues WHERE id = ?",
    )
    .bind(id)
    .fetch_one(connection)
    .await
    .map_err(|error| store_error(what, error))?;
    Ok(ExternalIssue {
        id: ExternalIssueId::new(domain_id(id)?),
        organization_id: OrganizationId::new(domain_id(organization_id)?),
        integration_id: IntegrationId::new(domain_id(integration_id)?),
        key: IssueKey::new(key),
        assignee_updated_at: assignee_at.map(EventTime::from_unix_millis),
        status_updated_at: status_at.map(EventTime::from_unix_millis),
    })
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

    async fn link_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<IssueLink, StoreError> {
        let what = "linking an issue";
        let organization = sql_id(organization_id.get());
        let integration = sql_id(integration_id.get());
        let mut transaction = self.begin_write(what).await?;
        let issue_organization: Option<i64> =
            sqlx::query_scalar("SELECT organization_id FROM local_issues WHERE id = ?")
                .bind(sql_id(local_issue_id.get()))
                .fetch_optional(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
        if issue_organization != Some(organization) {
            return Err(missing_local_issue(organization_id, local_issue_id));
        }
        let linked: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM organization_integrations \
             WHERE organization_id = ? AND integration_id = ?)",
        )
        .bind(organization)
        .bind(integration)
        .fetch_one(&mut *transaction)
        .await
        .map_err(|error| store_error(what, error))?;
        if !linked {
            return Err(missing_organization_link(organization_id, integration_id));
        }
        let (external_issue_id, created) = upsert_issue_link(
            &mut transaction,
            organization,
            integration,
            key,
            sql_id(local_issue_id.get()),
            what,
        )
        .await?;
        let external_issue = external_issue(&mut transaction, external_issue_id, what).await?;
        transaction
            .commit()
            .await
            .map_err(|error| store_error(what, error))?;
        Ok(IssueLink {
            external_issue,
            local_issue_id,
            created,
        })
    }

    async fn unlink_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<(), StoreError> {
        // The external issue row stays: its watermarks still guard the Jira issue.
        let deleted = sqlx::query(
            "DELETE FROM external_issue_links WHERE local_issue_id = ? AND external_issue_id = \
             (SELECT id FROM external_issues \
              WHERE organization_id = ? AND integration_id = ? AND key = ?)",
        )
        .bind(sql_id(local_issue_id.get()))
        .bind(sql_id(organization_id.get()))
        .bind(sql_id(integration_id.get()))
        .bind(key.as_str())
        .execute(&self.pool)
        .await
        .map_err(|error| store_error("unlinking an issue", error))?;
        if deleted.rows_affected() == 0 {
            return Err(missing_issue_link(
                organization_id,
                integration_id,
                key,
                local_issue_id,
            ));
        }
        Ok(())
    }
}
