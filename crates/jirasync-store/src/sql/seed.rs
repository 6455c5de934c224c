//! [`Seed`](jirasync_domain::Seed) in SQL (`testing` feature): rows written directly, for tests
//! and examples, into the standalone layout's tables and jirasync's. The schema's constraints
//! refuse bad rows: a reference to a missing row is
//! [`StoreError::Invalid`](jirasync_domain::StoreError::Invalid) (a foreign key or `NOT NULL`
//! violation), and a call that writes several rows writes them in one transaction, so a refused
//! call writes nothing. Every call runs on the host pool, refused on a bookkeeping-only store.

/// Implements `Seed` for `$store`, whose transactions run on `$database`.
macro_rules! seed_store {
    ($store:ident, $database:ty) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::{
            ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId,
            UserId,
        };
        use ::jirasync_domain::integration::{
            ExternalId, IntegrationMetadata, JIRA_SERVER_PROVIDER, LinkStatus, SyncConfig,
        };
        use ::jirasync_domain::store::IntegrationWrite;
        use ::jirasync_domain::issue::{Assignee, ResolutionStatus};
        use ::jirasync_domain::organization::OrganizationFeatures;
        use ::jirasync_domain::people::UserEmail;
        use ::jirasync_domain::{Seed, StoreError};
        use ::jirasync_webhook::IssueKey;

        use $crate::sql::host::assignee_columns;
        use $crate::sql::integrations::bind_sync_config;
        use $crate::sql::values::{domain_id, link_status_name, sql_id, status_name};
        use $crate::sql_error::store_error;

        /// Commits a seeding transaction.
        async fn commit(
            transaction: ::sqlx::Transaction<'static, $database>,
            what: &str,
        ) -> Result<(), StoreError> {
            transaction
                .commit()
                .await
                .map_err(|error| store_error(what, error))
        }

        /// Inserts a row of `table` (teams or projects: an organization and a name); returns
        /// its id.
        async fn insert_named(
            pool: &::sqlx::Pool<$database>,
            table: &str,
            organization_id: OrganizationId,
            name: &str,
        ) -> Result<u64, StoreError> {
            let id: i64 = ::sqlx::query_scalar(&format!(
                "INSERT INTO {table} (organization_id, name) VALUES ($1, $2) RETURNING id"
            ))
            .bind(sql_id(organization_id.get()))
            .bind(name)
            .fetch_one(pool)
            .await
            .map_err(|error| store_error(&format!("seeding a row of {table}"), error))?;
            domain_id(id)
        }

        #[async_trait]
        impl Seed for $store {
            async fn seed_organization(
                &self,
                name: &str,
                features: OrganizationFeatures,
            ) -> Result<OrganizationId, StoreError> {
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO jirasync_organizations (name, issue_sync, external_actors) \
                     VALUES ($1, $2, $3) \
                     RETURNING id",
                )
                .bind(name)
                .bind(features.issue_sync)
                .bind(features.external_actors)
                .fetch_one(self.host_pool()?)
                .await
                .map_err(|error| store_error("seeding an organization", error))?;
                self.config_changed();
                Ok(OrganizationId::new(domain_id(id)?))
            }

            async fn seed_user(
                &self,
                active: bool,
                emails: Vec<UserEmail>,
            ) -> Result<UserId, StoreError> {
                let what = "seeding a user";
                let mut transaction = $crate::sql::begin_write::<Self>(self.host_pool()?, what).await?;
                let id: i64 =
                    ::sqlx::query_scalar("INSERT INTO users (active) VALUES ($1) RETURNING id")
                    .bind(active)
                    .fetch_one(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                for (position, email) in (0_i64..).zip(&emails) {
                    ::sqlx::query(
                        "INSERT INTO user_emails \
                         (user_id, position, address, address_lower, verified) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(position)
                    .bind(&email.address)
                    .bind(email.address.to_lowercase())
                    .bind(email.verified)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                }
                commit(transaction, what).await?;
                Ok(UserId::new(domain_id(id)?))
            }

            async fn seed_member(
                &self,
                organization_id: OrganizationId,
                user_id: UserId,
            ) -> Result<(), StoreError> {
                ::sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(sql_id(organization_id.get()))
                .bind(sql_id(user_id.get()))
                .execute(self.host_pool()?)
                .await
                .map_err(|error| store_error("seeding a membership", error))?;
                Ok(())
            }

            async fn seed_team(
                &self,
                organization_id: OrganizationId,
                name: &str,
            ) -> Result<TeamId, StoreError> {
                let id = insert_named(self.host_pool()?, "teams", organization_id, name).await?;
                Ok(TeamId::new(id))
            }

            async fn seed_team_member(
                &self,
                team_id: TeamId,
                user_id: UserId,
                active: bool,
            ) -> Result<(), StoreError> {
                let what = "seeding a team membership";
                let mut transaction = $crate::sql::begin_write::<Self>(self.host_pool()?, what).await?;
                let team = sql_id(team_id.get());
                let user = sql_id(user_id.get());
                // The membership comes first: a missing team or user fails its foreign keys.
                ::sqlx::query(
                    "INSERT INTO team_members (team_id, user_id, active) VALUES ($1, $2, $3) \
                     ON CONFLICT (team_id, user_id) DO UPDATE SET active = excluded.active",
                )
                .bind(team)
                .bind(user)
                .bind(active)
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                // A team member is a member of the team's organization.
                ::sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id) \
                     SELECT organization_id, $1 FROM teams WHERE id = $2 ON CONFLICT DO NOTHING",
                )
                .bind(user)
                .bind(team)
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                commit(transaction, what).await
            }

            async fn seed_project(
                &self,
                organization_id: OrganizationId,
                name: &str,
            ) -> Result<ProjectId, StoreError> {
                let id = insert_named(self.host_pool()?, "projects", organization_id, name).await?;
                Ok(ProjectId::new(id))
            }

            async fn seed_team_project(
                &self,
                team_id: TeamId,
                project_id: ProjectId,
            ) -> Result<(), StoreError> {
                let what = "seeding a team's project";
                let mut transaction = $crate::sql::begin_write::<Self>(self.host_pool()?, what).await?;
                let organizations: Option<(i64, i64)> = ::sqlx::query_as(
                    "SELECT t.organization_id, p.organization_id FROM teams t, projects p \
                     WHERE t.id = $1 AND p.id = $2",
                )
                .bind(sql_id(team_id.get()))
                .bind(sql_id(project_id.get()))
                .fetch_optional(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                if let Some((team_organization, project_organization)) = organizations
                    && team_organization != project_organization
                {
                    return Err(StoreError::invalid(format!(
                        "team {team_id} and project {project_id} belong to different organizations"
                    )));
                }
                ::sqlx::query(
                    "INSERT INTO team_projects (team_id, project_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(sql_id(team_id.get()))
                .bind(sql_id(project_id.get()))
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                commit(transaction, what).await
            }

            async fn seed_local_issue(
                &self,
                project_id: ProjectId,
                status: ResolutionStatus,
                assignee: Option<Assignee>,
            ) -> Result<LocalIssueId, StoreError> {
                let what = "seeding a local issue";
                let mut transaction = $crate::sql::begin_write::<Self>(self.host_pool()?, what).await?;
                // The organization is the project's; a missing project leaves it NULL, which
                // the schema refuses.
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO local_issues (organization_id, project_id, status) \
                     VALUES ((SELECT organization_id FROM projects WHERE id = $1), $1, $2) \
                     RETURNING id",
                )
                .bind(sql_id(project_id.get()))
                .bind(status_name(status))
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                if let Some(assignee) = assignee {
                    let (user, team) = assignee_columns(Some(assignee));
                    ::sqlx::query(
                        "INSERT INTO issue_assignees (local_issue_id, user_id, team_id) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(user)
                    .bind(team)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                }
                commit(transaction, what).await?;
                Ok(LocalIssueId::new(domain_id(id)?))
            }

            async fn seed_integration(
                &self,
                external_id: ExternalId,
                name: &str,
                metadata: IntegrationMetadata,
            ) -> Result<IntegrationId, StoreError> {
                let what = "seeding an integration";
                let mut transaction = $crate::sql::begin_write::<Self>(self.host_pool()?, what).await?;
                let write = IntegrationWrite::Create {
                    provider: JIRA_SERVER_PROVIDER.to_owned(),
                    external_id,
                    name: name.to_owned(),
                    metadata,
                };
                let id = super::integrations::write_integration(&mut transaction, &write).await?;
                commit(transaction, what).await?;
                self.config_changed();
                Ok(IntegrationId::new(domain_id(id)?))
            }

            async fn seed_organization_integration(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
                status: LinkStatus,
                config: SyncConfig,
            ) -> Result<(), StoreError> {
                // Creating or replacing the link; its default identity is the organization's
                // identity for the integration, if it has one.
                let link = ::sqlx::query(
                    "INSERT INTO jirasync_organization_integrations (organization_id, integration_id, \
                     status, \
                     sync_reverse_assignment, sync_status_reverse, sync_forward_assignment, \
                     sync_status_forward, sync_comments, resolution_strategy, default_identity_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     (SELECT id FROM jirasync_identities \
                      WHERE organization_id = $1 AND integration_id = $2)) \
                     ON CONFLICT (organization_id, integration_id) DO UPDATE SET \
                     status = excluded.status, \
                     sync_reverse_assignment = excluded.sync_reverse_assignment, \
                     sync_status_reverse = excluded.sync_status_reverse, \
                     sync_forward_assignment = excluded.sync_forward_assignment, \
                     sync_status_forward = excluded.sync_status_forward, \
                     sync_comments = excluded.sync_comments, \
                     resolution_strategy = excluded.resolution_strategy, \
                     default_identity_id = excluded.default_identity_id",
                )
                .bind(sql_id(organization_id.get()))
                .bind(sql_id(integration_id.get()))
                .bind(link_status_name(status));
                bind_sync_config!(link, config)
                    .execute(self.host_pool()?)
                    .await
                .map_err(|error| store_error("seeding an organization's link", error))?;
                self.config_changed();
                Ok(())
            }

            async fn seed_issue_link(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
                key: &IssueKey,
                local_issue_id: LocalIssueId,
            ) -> Result<ExternalIssueId, StoreError> {
                let what = "seeding an issue link";
                let mut transaction = $crate::sql::begin_write::<Self>(self.host_pool()?, what).await?;
                // jirasync's links hold plain issue ids: the seed checks what a foreign key would.
                let issue: Option<i64> =
                    ::sqlx::query_scalar("SELECT id FROM local_issues WHERE id = $1")
                        .bind(sql_id(local_issue_id.get()))
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                if issue.is_none() {
                    return Err(StoreError::not_found(format!("local issue {local_issue_id}")));
                }
                // The row may exist already (another local issue, or a watermark written before).
                let (external_issue_id, _) = super::issue_links::upsert_issue_link(
                    &mut transaction,
                    sql_id(organization_id.get()),
                    sql_id(integration_id.get()),
                    key,
                    sql_id(local_issue_id.get()),
                    what,
                )
                .await?;
                commit(transaction, what).await?;
                Ok(ExternalIssueId::new(domain_id(external_issue_id)?))
            }
        }
    };
}

pub(crate) use seed_store;
