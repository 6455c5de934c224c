//! [`IssueLinkStore`](jirasync_domain::IssueLinkStore) in SQL: local issues and their links to
//! Jira issues.

use jirasync_domain::StoreError;
use jirasync_domain::ids::{
    ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use jirasync_domain::issue::{Assignee, ExternalIssue, LinkedIssue, LocalIssue};
use jirasync_webhook::{EventTime, IssueKey};

use super::values::{domain_id, status_from_name};
pub(crate) use crate::state_rows::ExternalIssueRow;

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

/// The external issue an `external_issues` row describes.
pub(crate) fn external_issue_from_row(row: ExternalIssueRow) -> Result<ExternalIssue, StoreError> {
    let (id, organization_id, integration_id, key, assignee_at, status_at) = row;
    Ok(ExternalIssue {
        id: ExternalIssueId::new(domain_id(id)?),
        organization_id: OrganizationId::new(domain_id(organization_id)?),
        integration_id: IntegrationId::new(domain_id(integration_id)?),
        key: IssueKey::new(key),
        assignee_updated_at: assignee_at.map(EventTime::from_unix_millis),
        status_updated_at: status_at.map(EventTime::from_unix_millis),
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
        use ::jirasync_domain::issue::{ExternalIssue, IssueLink, LinkedIssue, LocalIssue};
        use ::jirasync_domain::store::missing::{
            missing_issue_link, missing_local_issue, missing_organization_link,
        };
        use ::jirasync_domain::{IssueLinkStore, StoreError};
        use ::jirasync_webhook::IssueKey;

        use $crate::sql::issue_links::{
            ExternalIssueRow, LOCAL_ISSUE_COLUMNS, LOCAL_ISSUE_TABLES, LinkedIssueRow,
            LocalIssueRow, external_issue_from_row, linked_issues_from_rows, local_issue_from_row,
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

        /// Links the local issue to the organization's external issue row of (integration,
        /// key), creating the row when it is missing (an existing one keeps its watermarks);
        /// returns the row's id and whether the link is new. The schema refuses a local issue
        /// or integration that does not exist.
        pub(super) async fn upsert_issue_link(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
            key: &IssueKey,
            local_issue_id: i64,
            what: &str,
        ) -> Result<(i64, bool), StoreError> {
            // The no-op update makes RETURNING give the id of a row that exists already.
            let external_issue_id: i64 = ::sqlx::query_scalar(
                "INSERT INTO external_issues (organization_id, integration_id, key) \
                 VALUES ($1, $2, $3) \
                 ON CONFLICT (organization_id, integration_id, key) \
                 DO UPDATE SET key = excluded.key \
                 RETURNING id",
            )
            .bind(organization_id)
            .bind(integration_id)
            .bind(key.as_str())
            .fetch_one(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
            let inserted = ::sqlx::query(
                "INSERT INTO external_issue_links (external_issue_id, local_issue_id) \
                 VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(external_issue_id)
            .bind(local_issue_id)
            .execute(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
            Ok((external_issue_id, inserted.rows_affected() > 0))
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
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let issue_organization: Option<i64> =
                    ::sqlx::query_scalar("SELECT organization_id FROM local_issues WHERE id = $1")
                        .bind(sql_id(local_issue_id.get()))
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                if issue_organization != Some(organization) {
                    return Err(missing_local_issue(organization_id, local_issue_id));
                }
                let linked: bool = ::sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM organization_integrations \
                     WHERE organization_id = $1 AND integration_id = $2)",
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
                let row: ExternalIssueRow = ::sqlx::query_as(&format!(
                    "{} WHERE id = $1",
                    $crate::state_rows::EXTERNAL_ISSUES.select_columns()
                ))
                .bind(external_issue_id)
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(IssueLink {
                    external_issue: external_issue_from_row(row)?,
                    local_issue_id,
                    created,
                })
            }

            async fn external_issues_of(
                &self,
                local_issue_id: LocalIssueId,
            ) -> Result<Vec<ExternalIssue>, StoreError> {
                let rows: Vec<ExternalIssueRow> = ::sqlx::query_as(&format!(
                    "{} WHERE id IN (SELECT external_issue_id FROM external_issue_links \
                     WHERE local_issue_id = $1) ORDER BY id",
                    $crate::state_rows::EXTERNAL_ISSUES.select_columns()
                ))
                .bind(sql_id(local_issue_id.get()))
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("reading a local issue's Jira issues", error))?;
                rows.into_iter().map(external_issue_from_row).collect()
            }

            async fn unlink_issue(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
                key: &IssueKey,
                local_issue_id: LocalIssueId,
            ) -> Result<(), StoreError> {
                // The external issue row stays: its watermarks still guard the Jira issue.
                let deleted = ::sqlx::query(
                    "DELETE FROM external_issue_links WHERE local_issue_id = $1 \
                     AND external_issue_id = (SELECT id FROM external_issues \
                     WHERE organization_id = $2 AND integration_id = $3 AND key = $4)",
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
    };
}

pub(crate) use issue_link_store;
