//! [`IssueLinkStore`](jirasync_domain::IssueLinkStore) in SQL: local issues and their links to
//! Jira issues.

use jirasync_domain::StoreError;
use jirasync_domain::ids::{LocalIssueId, OrganizationId, ProjectId, TeamId, UserId};
use jirasync_domain::issue::{Assignee, LinkedIssue, LocalIssue};

use super::values::{domain_id, status_from_name};

/// The columns of [`LocalIssueRow`], from [`LOCAL_ISSUE_TABLES`].
pub(crate) const LOCAL_ISSUE_COLUMNS: &str =
    "li.id, li.organization_id, li.project_id, li.status, a.user_id, a.team_id";

/// The tables [`LOCAL_ISSUE_COLUMNS`] come from.
pub(crate) const LOCAL_ISSUE_TABLES: &str =
    "local_issues li LEFT JOIN issue_assignees a ON a.local_issue_id = li.id";

/// A local issue with its assignee: id, organization, project, status, assigned user, team.
pub(crate) type LocalIssueRow = (i64, i64, i64, String, Option<i64>, Option<i64>);

/// A linked issue: the linking organization, then a [`LocalIssueRow`].
pub(crate) type LinkedIssueRow = (i64, i64, i64, i64, String, Option<i64>, Option<i64>);

/// The assignee stored as (user, team) columns; a user wins should both be set.
pub(crate) fn assignee_from_columns(
    user_id: Option<i64>,
    team_id: Option<i64>,
) -> Result<Option<Assignee>, StoreError> {
    Ok(match (user_id, team_id) {
        (Some(user_id), _) => Some(Assignee::User(UserId::new(domain_id(user_id)?))),
        (None, Some(team_id)) => Some(Assignee::Team(TeamId::new(domain_id(team_id)?))),
        (None, None) => None,
    })
}

/// The (user, team) columns an assignee is stored in.
pub(crate) fn assignee_columns(assignee: Option<Assignee>) -> (Option<i64>, Option<i64>) {
    match assignee {
        Some(Assignee::User(user)) => (Some(super::values::sql_id(user.get())), None),
        Some(Assignee::Team(team)) => (None, Some(super::values::sql_id(team.get()))),
        None => (None, None),
    }
}

/// The local issue a row describes.
pub(crate) fn local_issue_from_row(row: LocalIssueRow) -> Result<LocalIssue, StoreError> {
    let (id, organization_id, project_id, status, user_id, team_id) = row;
    Ok(LocalIssue {
        id: LocalIssueId::new(domain_id(id)?),
        organization_id: OrganizationId::new(domain_id(organization_id)?),
        project_id: ProjectId::new(domain_id(project_id)?),
        status: status_from_name(&status)?,
        assignee: assignee_from_columns(user_id, team_id)?,
    })
}

/// The linked issues the rows describe, in local issue order. An issue linked by several of the
/// `organizations` is reported once, for the one listed first, as the in-memory store does.
pub(crate) fn linked_issues_from_rows(
    rows: Vec<LinkedIssueRow>,
    organizations: &[OrganizationId],
) -> Result<Vec<LinkedIssue>, StoreError> {
    let mut linked = Vec::with_capacity(rows.len());
    for (linking_organization, id, organization_id, project_id, status, user_id, team_id) in rows {
        linked.push(LinkedIssue {
            organization_id: OrganizationId::new(domain_id(linking_organization)?),
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

/// Implements `IssueLinkStore` for `$store`, whose connections are `$connection`, and a
/// `local_issue(connection, id)` function the plans use.
macro_rules! issue_link_store {
    ($store:ident, $connection:ty) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
        use ::jirasync_domain::issue::{LinkedIssue, LocalIssue};
        use ::jirasync_domain::{IssueLinkStore, StoreError};
        use ::jirasync_webhook::IssueKey;

        use $crate::sql::issue_links::{
            LOCAL_ISSUE_COLUMNS, LOCAL_ISSUE_TABLES, LinkedIssueRow, LocalIssueRow,
            linked_issues_from_rows, local_issue_from_row,
        };
        use $crate::sql::values::{placeholders, sql_id};
        use $crate::sql_error::store_error;

        /// The local issue with this id, read on `connection` (inside a transaction, or not).
        pub(super) async fn local_issue(
            connection: &mut $connection,
            id: i64,
        ) -> Result<Option<LocalIssue>, StoreError> {
            let row: Option<LocalIssueRow> = ::sqlx::query_as(&format!(
                "SELECT {LOCAL_ISSUE_COLUMNS} FROM {LOCAL_ISSUE_TABLES} WHERE li.id = $1"
            ))
            .bind(id)
            .fetch_optional(connection)
            .await
            .map_err(|error| store_error("reading a local issue", error))?;
            row.map(local_issue_from_row).transpose()
        }

        #[async_trait]
        impl IssueLinkStore for $store {
            async fn linked_issues(
                &self,
                integration_id: IntegrationId,
                key: &IssueKey,
                organizations: &[OrganizationId],
            ) -> Result<Vec<LinkedIssue>, StoreError> {
                if organizations.is_empty() {
                    return Ok(Vec::new());
                }
                // The key is compared exactly: `=` on text is case-sensitive on both back-ends.
                let sql = format!(
                    "SELECT ei.organization_id, {LOCAL_ISSUE_COLUMNS} \
                     FROM external_issues ei \
                     JOIN external_issue_links l ON l.external_issue_id = ei.id \
                     JOIN local_issues li ON li.id = l.local_issue_id \
                     LEFT JOIN issue_assignees a ON a.local_issue_id = li.id \
                     WHERE ei.integration_id = $1 AND ei.key = $2 \
                     AND ei.organization_id IN ({}) ORDER BY li.id",
                    placeholders(3, organizations.len())
                );
                let mut query = ::sqlx::query_as::<_, LinkedIssueRow>(&sql)
                    .bind(sql_id(integration_id.get()))
                    .bind(key.as_str());
                for organization in organizations {
                    query = query.bind(sql_id(organization.get()));
                }
                let rows = query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|error| store_error("reading linked issues", error))?;
                linked_issues_from_rows(rows, organizations)
            }

            async fn local_issue(
                &self,
                id: LocalIssueId,
            ) -> Result<Option<LocalIssue>, StoreError> {
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading a local issue").await?;
                local_issue(&mut connection, sql_id(id.get())).await
            }
        }
    };
}

pub(crate) use issue_link_store;
