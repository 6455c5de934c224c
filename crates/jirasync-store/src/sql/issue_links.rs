//! [`IssueLinkStore`](jirasync_domain::IssueLinkStore) in SQL: the links from Jira issues (one
//! `jirasync_external_issues` row per organization, integration and key, with its watermarks) to
//! the application's issue ids. The store does not know the application's issues: whether an
//! issue may be linked is the rule's to check, through the host.

use jirasync_domain::StoreError;
use jirasync_domain::ids::{ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::issue::{ExternalIssue, LinkedIssue};
use jirasync_webhook::{EventTime, IssueKey};

use super::values::{domain_id, placeholders};
pub(crate) use crate::state_rows::ExternalIssueRow;

/// The external issue a `jirasync_external_issues` row describes.
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

/// The (organization, local issue) rows linked to the Jira issue `$2` of integration `$1` in the
/// organizations `$3`… (`organizations` of them), in local issue order. The key is compared
/// exactly: `=` on text is case-sensitive on both back-ends.
pub(crate) fn select_linked_issues(organizations: usize) -> String {
    format!(
        "SELECT ei.organization_id, l.local_issue_id \
         FROM jirasync_external_issues ei \
         JOIN jirasync_external_issue_links l ON l.external_issue_id = ei.id \
         WHERE ei.integration_id = $1 AND ei.key = $2 \
         AND ei.organization_id IN ({}) ORDER BY l.local_issue_id",
        placeholders(3, organizations)
    )
}

/// The linked issues (linking organization, local issue) the rows describe, in local issue
/// order. An issue linked by several of the `organizations` is reported once, for the one listed
/// first, as the in-memory store does.
pub(crate) fn linked_issues_from_rows(
    rows: Vec<(i64, i64)>,
    organizations: &[OrganizationId],
) -> Result<Vec<LinkedIssue>, StoreError> {
    let mut linked = Vec::with_capacity(rows.len());
    for (organization_id, local_issue_id) in rows {
        linked.push(LinkedIssue {
            organization_id: OrganizationId::new(domain_id(organization_id)?),
            local_issue_id: LocalIssueId::new(domain_id(local_issue_id)?),
        });
    }
    let position = |organization: OrganizationId| {
        organizations
            .iter()
            .position(|listed| *listed == organization)
            .unwrap_or(usize::MAX)
    };
    linked.sort_by_key(|linked| (linked.local_issue_id, position(linked.organization_id)));
    linked.dedup_by_key(|linked| linked.local_issue_id);
    Ok(linked)
}

/// Implements `IssueLinkStore` for `$store`, whose connections are `$connection`, and an
/// `upsert_issue_link(connection, …)` function `Seed` uses. The module `$direct` may answer
/// `linked_issues` itself (see `integration_store!`).
macro_rules! issue_link_store {
    ($store:ident, $connection:ty, direct = $direct:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::events::NewEvent;
        use ::jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
        use ::jirasync_domain::issue::{ExternalIssue, IssueLink, LinkedIssue};
        use ::jirasync_domain::store::missing::{missing_issue_link, missing_organization_link};
        use ::jirasync_domain::{IssueLinkStore, StoreError};
        use ::jirasync_webhook::IssueKey;

        use $crate::sql::issue_links::{
            ExternalIssueRow, external_issue_from_row, linked_issues_from_rows,
        };
        use $crate::sql::values::sql_id;
        use $crate::sql_error::store_error;

        /// Links the local issue to the organization's external issue row of (integration,
        /// key), creating the row when it is missing (an existing one keeps its watermarks);
        /// returns the row's id and whether the link is new.
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
                "INSERT INTO jirasync_external_issues (organization_id, integration_id, key) \
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
                "INSERT INTO jirasync_external_issue_links (external_issue_id, local_issue_id) \
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
                if let Some(read) = $direct::linked_issues(self, integration_id, key, organizations)
                {
                    return read;
                }
                let sql = $crate::sql::issue_links::select_linked_issues(organizations.len());
                let mut query = ::sqlx::query_as::<_, (i64, i64)>(&sql)
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
                let linked: bool = ::sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM jirasync_organization_integrations \
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
                let events = if created {
                    self.events.stamp(vec![NewEvent::of_link(
                        organization_id,
                        integration_id,
                        key,
                        local_issue_id,
                        true,
                    )])
                } else {
                    Vec::new()
                };
                super::events::append_events(&mut transaction, &events, self.host_pool().is_ok())
                    .await
                    .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                if created {
                    self.events.appended();
                }
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
                    "{} WHERE id IN (SELECT external_issue_id FROM jirasync_external_issue_links \
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
                let what = "unlinking an issue";
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                // The external issue row stays: its watermarks still guard the Jira issue.
                let deleted = ::sqlx::query(
                    "DELETE FROM jirasync_external_issue_links WHERE local_issue_id = $1 \
                     AND external_issue_id = (SELECT id FROM jirasync_external_issues \
                     WHERE organization_id = $2 AND integration_id = $3 AND key = $4)",
                )
                .bind(sql_id(local_issue_id.get()))
                .bind(sql_id(organization_id.get()))
                .bind(sql_id(integration_id.get()))
                .bind(key.as_str())
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                if deleted.rows_affected() == 0 {
                    return Err(missing_issue_link(
                        organization_id,
                        integration_id,
                        key,
                        local_issue_id,
                    ));
                }
                let events = self.events.stamp(vec![NewEvent::of_link(
                    organization_id,
                    integration_id,
                    key,
                    local_issue_id,
                    false,
                )]);
                super::events::append_events(&mut transaction, &events, self.host_pool().is_ok())
                    .await
                    .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                self.events.appended();
                Ok(())
            }
        }
    };
}

pub(crate) use issue_link_store;
