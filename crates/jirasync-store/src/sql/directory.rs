//! [`DirectoryStore`](jirasync_domain::DirectoryStore) in SQL: organizations, users and their
//! e-mails, teams, and who reaches which project.

use std::collections::{BTreeMap, BTreeSet};

use jirasync_domain::StoreError;
use jirasync_domain::ids::{ProjectId, UserId};
use jirasync_domain::people::{ProjectAccess, User, UserEmail};

use super::values::{domain_id, sql_id};

/// The distinct ids, ascending, as stored.
pub(crate) fn distinct_sql_ids(ids: &[UserId]) -> Vec<i64> {
    let distinct: BTreeSet<UserId> = ids.iter().copied().collect();
    distinct.into_iter().map(|id| sql_id(id.get())).collect()
}

/// Users from their (id, active) rows and their (user, address, verified) e-mail rows, the
/// e-mails in the order given.
pub(crate) fn users_from_rows(
    users: Vec<(i64, bool)>,
    email_rows: Vec<(i64, String, bool)>,
) -> Result<Vec<User>, StoreError> {
    let mut emails: BTreeMap<i64, Vec<UserEmail>> = BTreeMap::new();
    for (user_id, address, verified) in email_rows {
        emails
            .entry(user_id)
            .or_default()
            .push(UserEmail { address, verified });
    }
    users
        .into_iter()
        .map(|(id, active)| {
            Ok(User {
                id: UserId::new(domain_id(id)?),
                active,
                emails: emails.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// Each active user's projects, from the active users' ids and the (user, project) pairs their
/// active team memberships reach.
pub(crate) fn project_access_from_rows(
    active: Vec<(i64,)>,
    reached: Vec<(i64, i64)>,
) -> Result<Vec<ProjectAccess>, StoreError> {
    let mut access: BTreeMap<i64, BTreeSet<ProjectId>> = active
        .into_iter()
        .map(|(id,)| (id, BTreeSet::new()))
        .collect();
    for (user_id, project_id) in reached {
        if let Some(projects) = access.get_mut(&user_id) {
            projects.insert(ProjectId::new(domain_id(project_id)?));
        }
    }
    access
        .into_iter()
        .map(|(user_id, projects)| {
            Ok(ProjectAccess {
                user_id: UserId::new(domain_id(user_id)?),
                projects,
            })
        })
        .collect()
}

/// Implements `DirectoryStore` for `$store`, whose connections are `$connection`.
macro_rules! directory_store {
    ($store:ident, $connection:ty, $row:ty) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::{OrganizationId, TeamId, UserId};
        use ::jirasync_domain::organization::{Organization, OrganizationFeatures};
        use ::jirasync_domain::people::{ProjectAccess, Team, User};
        use ::jirasync_domain::{DirectoryStore, StoreError};

        use $crate::sql::Dialect;
        use $crate::sql::directory::{
            distinct_sql_ids, project_access_from_rows, users_from_rows,
        };
        use $crate::sql::values::{domain_id, placeholders, sql_id};
        use $crate::sql_error::store_error;

        /// The rows of `sql`, whose one `IN (…)` list of placeholders is bound to `ids`.
        async fn rows_for_ids<T>(
            connection: &mut $connection,
            sql: &str,
            ids: &[i64],
            what: &str,
        ) -> Result<Vec<T>, StoreError>
        where
            T: for<'r> ::sqlx::FromRow<'r, $row> + Send + Unpin,
        {
            let mut query = ::sqlx::query_as::<_, T>(sql);
            for id in ids {
                query = query.bind(*id);
            }
            query
                .fetch_all(connection)
                .await
                .map_err(|error| store_error(what, error))
        }

        /// `TRUE` as this back-end's partial indexes spell it.
        const TRUE: &str = <$store as Dialect>::TRUE;

        #[async_trait]
        impl DirectoryStore for $store {
            async fn organization(
                &self,
                id: OrganizationId,
            ) -> Result<Option<Organization>, StoreError> {
                let row: Option<(String, bool, bool)> = ::sqlx::query_as(
                    "SELECT name, issue_sync, external_actors FROM organizations WHERE id = $1",
                )
                .bind(sql_id(id.get()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|error| store_error("reading an organization", error))?;
                Ok(row.map(|(name, issue_sync, external_actors)| Organization {
                    id,
                    name,
                    features: OrganizationFeatures {
                        issue_sync,
                        external_actors,
                    },
                }))
            }

            async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
                let rows: Vec<(i64, String, bool, bool)> = ::sqlx::query_as(
                    "SELECT id, name, issue_sync, external_actors FROM organizations ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("reading organizations", error))?;
                rows.into_iter()
                    .map(|(id, name, issue_sync, external_actors)| {
                        Ok(Organization {
                            id: OrganizationId::new(domain_id(id)?),
                            name,
                            features: OrganizationFeatures {
                                issue_sync,
                                external_actors,
                            },
                        })
                    })
                    .collect()
            }

            async fn active_users_with_verified_email(
                &self,
                email: &str,
            ) -> Result<Vec<UserId>, StoreError> {
                // reference §4.3: any verified address counts, compared ignoring case.
                let ids: Vec<i64> = ::sqlx::query_scalar(&format!(
                    "SELECT DISTINCT u.id FROM users u JOIN user_emails e ON e.user_id = u.id \
                     WHERE u.active = {TRUE} AND e.verified = {TRUE} AND e.address_lower = $1 \
                     ORDER BY u.id"
                ))
                .bind(email.to_lowercase())
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("finding users by e-mail", error))?;
                ids.into_iter()
                    .map(|id| domain_id(id).map(UserId::new))
                    .collect()
            }

            async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
                let ids = distinct_sql_ids(ids);
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let what = "reading users";
                let list = placeholders(1, ids.len());
                let mut connection = $crate::sql::connection(&self.pool, what).await?;
                let users = rows_for_ids(
                    &mut connection,
                    &format!("SELECT id, active FROM users WHERE id IN ({list}) ORDER BY id"),
                    &ids,
                    what,
                )
                .await?;
                let email_rows = rows_for_ids(
                    &mut connection,
                    &format!(
                        "SELECT user_id, address, verified FROM user_emails \
                         WHERE user_id IN ({list}) ORDER BY user_id, position"
                    ),
                    &ids,
                    what,
                )
                .await?;
                users_from_rows(users, email_rows)
            }

            async fn project_access(
                &self,
                ids: &[UserId],
            ) -> Result<Vec<ProjectAccess>, StoreError> {
                let ids = distinct_sql_ids(ids);
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let what = "reading project access";
                let list = placeholders(1, ids.len());
                let mut connection = $crate::sql::connection(&self.pool, what).await?;
                let active = rows_for_ids(
                    &mut connection,
                    &format!(
                        "SELECT id FROM users WHERE active = {TRUE} AND id IN ({list}) \
                         ORDER BY id"
                    ),
                    &ids,
                    what,
                )
                .await?;
                // reference §4.3: org member → member-team active → team → project.
                let reached = rows_for_ids(
                    &mut connection,
                    &format!(
                        "SELECT m.user_id, p.project_id FROM team_members m \
                         JOIN team_projects p ON p.team_id = m.team_id \
                         WHERE m.active = {TRUE} AND m.user_id IN ({list})"
                    ),
                    &ids,
                    what,
                )
                .await?;
                project_access_from_rows(active, reached)
            }

            async fn is_member(
                &self,
                organization_id: OrganizationId,
                user_id: UserId,
            ) -> Result<bool, StoreError> {
                ::sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM organization_members \
                     WHERE organization_id = $1 AND user_id = $2)",
                )
                .bind(sql_id(organization_id.get()))
                .bind(sql_id(user_id.get()))
                .fetch_one(&self.pool)
                .await
                .map_err(|error| store_error("checking a membership", error))
            }

            async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError> {
                let row: Option<(i64, String)> =
                    ::sqlx::query_as("SELECT organization_id, name FROM teams WHERE id = $1")
                        .bind(sql_id(id.get()))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|error| store_error("reading a team", error))?;
                row.map(|(organization_id, name)| {
                    Ok(Team {
                        id,
                        organization_id: OrganizationId::new(domain_id(organization_id)?),
                        name,
                    })
                })
                .transpose()
            }
        }
    };
}

pub(crate) use directory_store;
