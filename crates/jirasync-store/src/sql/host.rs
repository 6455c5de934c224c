//! The standalone host in SQL: [`Host`](jirasync_domain::Host) and
//! [`LocalIssueStore`](jirasync_domain::LocalIssueStore) over jirasync's own users, teams,
//! projects, local issues and activities, for the service that runs on its own.
//!
//! The host only reads and persists: which change to make (and that the issue is not already
//! as wanted) was decided by the rule; `apply_change` sets the value and appends its activity in
//! one transaction. Every call runs on the store's host pool (`host_pool`), which a store opened
//! with [`Layout::Bookkeeping`](crate::Layout::Bookkeeping) does not have: its calls are refused.

use std::collections::BTreeSet;

use jirasync_domain::StoreError;
use jirasync_domain::activity::{Activity, ActivityData, ActivityKind};
use jirasync_domain::host::IssueChange;
use jirasync_domain::ids::{
    ActivityId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use jirasync_domain::issue::{Assignee, LocalIssue};
use jirasync_webhook::EventTime;

use super::values::{domain_id, placeholders, sql_id, status_from_name, unknown};
pub(crate) use crate::state_rows::ActivityRow;

/// The columns of a [`LocalIssueRow`], from [`LOCAL_ISSUE_TABLES`].
pub(crate) const LOCAL_ISSUE_COLUMNS: &str =
    "li.id, li.organization_id, li.project_id, li.status, a.user_id, a.team_id";

/// The tables [`LOCAL_ISSUE_COLUMNS`] come from.
pub(crate) const LOCAL_ISSUE_TABLES: &str =
    "local_issues li LEFT JOIN issue_assignees a ON a.local_issue_id = li.id";

/// A local issue with its assignee: id, organization, project, status, assigned user, team.
pub(crate) type LocalIssueRow = (i64, i64, i64, String, Option<i64>, Option<i64>);

/// Takes `change` into `staged` when a sync session of a store holding the standalone host's
/// tables (`holds_host`) can write it in its commit: an assignee or status change, whose
/// statements are the host's own. A comment (no activity kept) or anything else is left to the
/// host. True when taken ([`IssueSyncSession::stage_host_change`](jirasync_domain::store::IssueSyncSession::stage_host_change)).
pub(crate) fn stage_host_change(
    holds_host: bool,
    staged: &mut Vec<IssueChange>,
    change: &IssueChange,
) -> bool {
    let taken = holds_host
        && change.comment().is_none()
        && (change.assignee().is_some() || change.status().is_some());
    if taken {
        staged.push(change.clone());
    }
    taken
}

/// The local issue `$1` with its assignee: the [`LOCAL_ISSUE_COLUMNS`].
pub(crate) fn select_local_issue() -> String {
    format!("SELECT {LOCAL_ISSUE_COLUMNS} FROM {LOCAL_ISSUE_TABLES} WHERE li.id = $1")
}

/// The active users with the verified address `$1` (lower-cased), ascending; `true_literal` is
/// the back-end's `TRUE` ([`Dialect::TRUE`](super::Dialect::TRUE)). Reference §4.3: any
/// verified address counts, compared ignoring case.
pub(crate) fn select_users_by_email(true_literal: &str) -> String {
    format!(
        "SELECT DISTINCT u.id FROM users u JOIN user_emails e ON e.user_id = u.id \
         WHERE u.active = {true_literal} AND e.verified = {true_literal} \
         AND e.address_lower = $1 ORDER BY u.id"
    )
}

/// Which of the `candidates` users `$2`… may be assigned local issue `$1`, ascending.
/// Reference §4.3: an active user reaches the issue's project through an active membership of a
/// team that has the project.
pub(crate) fn select_assignable_users(true_literal: &str, candidates: usize) -> String {
    format!(
        "SELECT DISTINCT m.user_id FROM local_issues li \
         JOIN team_projects p ON p.project_id = li.project_id \
         JOIN team_members m ON m.team_id = p.team_id \
         JOIN users u ON u.id = m.user_id \
         WHERE li.id = $1 AND m.active = {true_literal} AND u.active = {true_literal} \
         AND m.user_id IN ({}) ORDER BY m.user_id",
        placeholders(2, candidates)
    )
}

/// Whether local issue `$1` exists.
pub(crate) const LOCAL_ISSUE_EXISTS: &str = "SELECT id FROM local_issues WHERE id = $1";

/// Removes local issue `$1`'s assignee.
pub(crate) const CLEAR_ASSIGNEE: &str = "DELETE FROM issue_assignees WHERE local_issue_id = $1";

/// Assigns local issue `$1` to user `$2` or team `$3`.
pub(crate) const SET_ASSIGNEE: &str = "INSERT INTO issue_assignees (local_issue_id, user_id, \
    team_id) VALUES ($1, $2, $3) ON CONFLICT (local_issue_id) \
    DO UPDATE SET user_id = excluded.user_id, team_id = excluded.team_id";

/// Sets local issue `$2`'s status to `$1`.
pub(crate) const SET_STATUS: &str = "UPDATE local_issues SET status = $1 WHERE id = $2";

/// Appends an activity: issue `$1`, kind `$2`, provider `$3`, provider key `$4`, integration
/// `$5`, assigned user `$6` or team `$7`, sync source `$8`, change time `$9`.
pub(crate) const INSERT_ACTIVITY: &str = "INSERT INTO activities (local_issue_id, kind, \
    provider, provider_key, integration_id, assignee_user_id, assignee_team_id, sync_source, \
    occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// The columns of an [`ActivityRow`].
pub(crate) const SELECT_ACTIVITY: &str = "SELECT id, local_issue_id, kind, provider, \
    provider_key, integration_id, assignee_user_id, assignee_team_id, sync_source, occurred_at \
    FROM activities";

/// The distinct ids, ascending, as stored.
pub(crate) fn distinct_sql_ids(ids: &[UserId]) -> Vec<i64> {
    let distinct: BTreeSet<UserId> = ids.iter().copied().collect();
    distinct.into_iter().map(|id| sql_id(id.get())).collect()
}

/// Stored user ids as the domain's.
pub(crate) fn user_ids(ids: Vec<i64>) -> Result<Vec<UserId>, StoreError> {
    ids.into_iter()
        .map(|id| domain_id(id).map(UserId::new))
        .collect()
}

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
        Some(Assignee::User(user)) => (Some(sql_id(user.get())), None),
        Some(Assignee::Team(team)) => (None, Some(sql_id(team.get()))),
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

/// The activity a row describes.
pub(crate) fn activity_from_row(row: ActivityRow) -> Result<Activity, StoreError> {
    let (
        id,
        local_issue_id,
        kind,
        provider,
        provider_key,
        integration_id,
        user_id,
        team_id,
        sync_source,
        occurred_at,
    ) = row;
    Ok(Activity {
        id: ActivityId::new(domain_id(id)?),
        local_issue_id: LocalIssueId::new(domain_id(local_issue_id)?),
        kind: ActivityKind::from_name(&kind).ok_or_else(|| unknown("activity kind", &kind))?,
        data: ActivityData {
            provider,
            provider_key,
            integration_id: IntegrationId::new(domain_id(integration_id)?),
            assignee: assignee_from_columns(user_id, team_id)?,
            sync_source: sync_source
                .map(domain_id)
                .transpose()?
                .map(IntegrationId::new),
            occurred_at: occurred_at.map(EventTime::from_unix_millis),
            comment: None,
        },
    })
}

/// Implements `Host` and `LocalIssueStore` for `$store`, whose connections are `$connection`;
/// every call runs on `self.host_pool()?`. The module `$direct` (`sql/no_direct.rs`,
/// `sqlite/direct.rs`) may answer the webhook path's calls itself (users by e-mail, assignable
/// users, a local issue, a change); where it gives `None`, the shared statements run.
macro_rules! standalone_host {
    ($store:ident, $connection:ty, direct = $direct:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::activity::Activity;
        use ::jirasync_domain::external_actor::ActorTarget;
        use ::jirasync_domain::host::{HostIssue, IssueChange, unsupported_change};
        use ::jirasync_domain::ids::{LocalIssueId, OrganizationId, UserId};
        use ::jirasync_domain::issue::{Assignee, LocalIssue};
        use ::jirasync_domain::{Host, HostError, LocalIssueStore, StoreError};
        use ::jirasync_webhook::EventTime;

        use $crate::sql::Dialect;
        use $crate::sql::host::{
            ActivityRow, CLEAR_ASSIGNEE, INSERT_ACTIVITY, LOCAL_ISSUE_EXISTS, LocalIssueRow,
            SELECT_ACTIVITY, SET_ASSIGNEE, SET_STATUS, activity_from_row, assignee_columns,
            distinct_sql_ids, local_issue_from_row, select_assignable_users, select_local_issue,
            select_users_by_email, user_ids,
        };
        use $crate::sql::values::{placeholders, sql_id, status_name};
        use $crate::sql_error::store_error;

        /// `TRUE` as this back-end's partial indexes spell it.
        const TRUE: &str = <$store as Dialect>::TRUE;

        /// The user ids `sql` selects, whose placeholders from `$first_list` on are bound to
        /// `ids` after the `leading` ones.
        async fn selected_users(
            pool: &::sqlx::Pool<<$store as Dialect>::Database>,
            sql: &str,
            leading: Option<i64>,
            ids: &[i64],
            what: &str,
        ) -> Result<Vec<UserId>, StoreError> {
            let mut query = ::sqlx::query_scalar::<_, i64>(sql);
            if let Some(leading) = leading {
                query = query.bind(leading);
            }
            for id in ids {
                query = query.bind(*id);
            }
            let ids = query
                .fetch_all(pool)
                .await
                .map_err(|error| store_error(what, error))?;
            user_ids(ids)
        }

        /// The local issue with this id, read on `connection`.
        async fn local_issue(
            connection: &mut $connection,
            id: i64,
        ) -> Result<Option<LocalIssue>, StoreError> {
            let row: Option<LocalIssueRow> = ::sqlx::query_as(&select_local_issue())
                .bind(id)
                .fetch_optional(connection)
                .await
                .map_err(|error| store_error("reading a local issue", error))?;
            row.map(local_issue_from_row).transpose()
        }

        /// Sets the issue's assignee (a user or a team, or none).
        async fn set_assignee(
            connection: &mut $connection,
            issue: i64,
            assignee: Option<Assignee>,
            what: &str,
        ) -> Result<(), StoreError> {
            let statement = match assignee_columns(assignee) {
                (None, None) => ::sqlx::query(CLEAR_ASSIGNEE).bind(issue),
                (user, team) => ::sqlx::query(SET_ASSIGNEE)
                    .bind(issue)
                    .bind(user)
                    .bind(team),
            };
            statement
                .execute(connection)
                .await
                .map_err(|error| store_error(what, error))?;
            Ok(())
        }

        /// Appends the change's activity.
        async fn append_activity(
            connection: &mut $connection,
            change: &IssueChange,
            what: &str,
        ) -> Result<(), StoreError> {
            let data = &change.data;
            let (user_id, team_id) = assignee_columns(data.assignee);
            ::sqlx::query(INSERT_ACTIVITY)
                .bind(sql_id(change.issue.get()))
                .bind(change.kind.as_str())
                .bind(&data.provider)
                .bind(&data.provider_key)
                .bind(sql_id(data.integration_id.get()))
                .bind(user_id)
                .bind(team_id)
                .bind(data.sync_source.map(|source| sql_id(source.get())))
                .bind(data.occurred_at.map(EventTime::unix_millis))
                .execute(connection)
                .await
                .map_err(|error| store_error(what, error))?;
            Ok(())
        }

        #[async_trait]
        impl Host for $store {
            async fn users_with_verified_email(
                &self,
                email: &str,
            ) -> Result<Vec<UserId>, HostError> {
                let pool = self.host_pool()?;
                if let Some(read) = $direct::users_with_verified_email(self, email) {
                    return Ok(read?);
                }
                let ids: Vec<i64> = ::sqlx::query_scalar(&select_users_by_email(TRUE))
                    .bind(email.to_lowercase())
                    .fetch_all(pool)
                    .await
                    .map_err(|error| store_error("finding users by e-mail", error))?;
                Ok(user_ids(ids)?)
            }

            async fn active_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, HostError> {
                let pool = self.host_pool()?;
                let ids = distinct_sql_ids(ids);
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT id FROM users WHERE active = {TRUE} AND id IN ({}) ORDER BY id",
                    placeholders(1, ids.len())
                );
                Ok(selected_users(pool, &sql, None, &ids, "reading active users").await?)
            }

            async fn assignable_users(
                &self,
                issue: LocalIssueId,
                candidates: &[UserId],
            ) -> Result<Vec<UserId>, HostError> {
                let pool = self.host_pool()?;
                let ids = distinct_sql_ids(candidates);
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                if let Some(read) = $direct::assignable_users(self, issue, &ids) {
                    return Ok(read?);
                }
                let sql = select_assignable_users(TRUE, ids.len());
                let issue = Some(sql_id(issue.get()));
                Ok(selected_users(pool, &sql, issue, &ids, "reading assignable users").await?)
            }

            async fn issue(&self, issue: LocalIssueId) -> Result<Option<HostIssue>, HostError> {
                let what = "reading a local issue";
                let pool = self.host_pool()?;
                let issue = match $direct::local_issue(self, issue) {
                    Some(read) => read?,
                    None => {
                        let mut connection = $crate::sql::connection(pool, what).await?;
                        local_issue(&mut connection, sql_id(issue.get())).await?
                    }
                };
                Ok(issue.map(|issue| HostIssue {
                    organization_id: issue.organization_id,
                    assignee: issue.assignee,
                    status: issue.status,
                }))
            }

            async fn apply_change(&self, change: &IssueChange) -> Result<(), HostError> {
                let what = "changing a local issue";
                let assignee = change.assignee();
                let status = change.status();
                if change.comment().is_some() {
                    // The standalone service tells the application about a comment through its
                    // `issue.comment_added` event, committed with the sync (exactly once per
                    // Jira comment); it keeps no activity for it.
                    return Ok(());
                }
                if assignee.is_none() && status.is_none() {
                    return Err(unsupported_change(change.kind));
                }
                let pool = self.host_pool()?;
                if let Some(written) = $direct::apply_change(self, change).await {
                    return Ok(written?);
                }
                let issue = sql_id(change.issue.get());
                // The value and its activity, in one transaction.
                let mut transaction = $crate::sql::begin_write::<Self>(pool, what).await?;
                let exists: Option<i64> = ::sqlx::query_scalar(LOCAL_ISSUE_EXISTS)
                    .bind(issue)
                    .fetch_optional(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                if exists.is_none() {
                    // An issue the application no longer has: the change is dropped.
                    return Ok(());
                }
                if let Some(assignee) = assignee {
                    set_assignee(&mut transaction, issue, assignee, what).await?;
                }
                if let Some(status) = status {
                    ::sqlx::query(SET_STATUS)
                        .bind(status_name(status))
                        .bind(issue)
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                }
                append_activity(&mut transaction, change, what).await?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(())
            }

            async fn in_organization(
                &self,
                organization: OrganizationId,
                target: ActorTarget,
            ) -> Result<bool, HostError> {
                let statement = match target {
                    ActorTarget::User(user) => ::sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM organization_members \
                         WHERE organization_id = $1 AND user_id = $2)",
                    )
                    .bind(sql_id(organization.get()))
                    .bind(sql_id(user.get())),
                    ActorTarget::Team(team) => ::sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM teams \
                         WHERE organization_id = $1 AND id = $2)",
                    )
                    .bind(sql_id(organization.get()))
                    .bind(sql_id(team.get())),
                };
                Ok(statement
                    .fetch_one(self.host_pool()?)
                    .await
                    .map_err(|error| store_error("checking a membership", error))?)
            }
        }

        #[async_trait]
        impl LocalIssueStore for $store {
            async fn local_issue(
                &self,
                id: LocalIssueId,
            ) -> Result<Option<LocalIssue>, StoreError> {
                let what = "reading a local issue";
                let mut connection = $crate::sql::connection(self.host_pool()?, what).await?;
                local_issue(&mut connection, sql_id(id.get())).await
            }

            async fn activities(
                &self,
                local_issue_id: LocalIssueId,
            ) -> Result<Vec<Activity>, StoreError> {
                let rows: Vec<ActivityRow> = ::sqlx::query_as(&format!(
                    "{SELECT_ACTIVITY} WHERE local_issue_id = $1 ORDER BY id"
                ))
                .bind(sql_id(local_issue_id.get()))
                .fetch_all(self.host_pool()?)
                .await
                .map_err(|error| store_error("reading activities", error))?;
                rows.into_iter().map(activity_from_row).collect()
            }
        }
    };
}

pub(crate) use standalone_host;
