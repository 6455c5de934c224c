//! [`ApplicationData`](jirasync_domain::ApplicationData) in SQL: the standalone host's records
//! written by the application's own ids (the `app_id` columns of migration 6, and
//! `organization_app_ids` beside jirasync's organizations).
//!
//! Each batch runs in one write transaction: an item naming a record that does not exist
//! returns the conflict and drops the transaction, so nothing of the batch is written. Deletes
//! rely on the schema's cascades, except for the links from Jira issues to local issues
//! (`jirasync_external_issue_links` names local issues by id without a foreign key: it may live
//! in an application's database), which are deleted here with the issues. Every call runs on the
//! store's host pool, refused on a bookkeeping-only store.

/// Implements `ApplicationData` for `$store`, whose connections are `$connection` on
/// `$database`.
macro_rules! application_data {
    ($store:ident, $database:ty, $connection:ty) => {
        use ::std::collections::{HashMap, HashSet};

        use ::async_trait::async_trait;
        use ::jirasync_domain::StoreError;
        use ::jirasync_domain::app_data::{
            AppAssignee, AppId, ApplicationData, IssueData, OrganizationData, ProjectData,
            TeamData, TeamMemberData, UpsertSummary, UserData, changed_meanwhile,
            missing_in_organization, missing_organization, not_a_member, unknown_reference,
        };
        use ::jirasync_domain::ids::{LocalIssueId, OrganizationId, UserId};
        use ::jirasync_domain::organization::OrganizationFeatures;
        use ::jirasync_domain::people::UserEmail;
        use ::jirasync_domain::outbound::NewOutboundWork;

        use $crate::sql::values::{domain_id, status_from_name, status_name};
        use $crate::sql_error::store_error;

        type Transaction = ::sqlx::Transaction<'static, $database>;

        /// Commits a batch.
        async fn commit(transaction: Transaction, what: &str) -> Result<(), StoreError> {
            transaction
                .commit()
                .await
                .map_err(|error| store_error(what, error))
        }

        /// Runs `sql` binding `binds` (integers, then one text), and gives the one integer it
        /// selects, if any.
        async fn select_id(
            connection: &mut $connection,
            sql: &str,
            ints: &[i64],
            text: &str,
            what: &str,
        ) -> Result<Option<i64>, StoreError> {
            let mut query = ::sqlx::query_scalar::<_, i64>(sql);
            for int in ints {
                query = query.bind(*int);
            }
            query
                .bind(text)
                .fetch_optional(connection)
                .await
                .map_err(|error| store_error(what, error))
        }

        /// Runs a statement binding integers only.
        async fn execute_ints(
            connection: &mut $connection,
            sql: &str,
            ints: &[i64],
            what: &str,
        ) -> Result<u64, StoreError> {
            let mut query = ::sqlx::query(sql);
            for int in ints {
                query = query.bind(*int);
            }
            let done = query
                .execute(connection)
                .await
                .map_err(|error| store_error(what, error))?;
            Ok(done.rows_affected())
        }

        async fn organization_id(
            connection: &mut $connection,
            organization: &AppId,
            what: &str,
        ) -> Result<Option<i64>, StoreError> {
            select_id(
                connection,
                "SELECT organization_id FROM organization_app_ids WHERE app_id = $1",
                &[],
                organization.as_str(),
                what,
            )
            .await
        }

        async fn require_organization(
            connection: &mut $connection,
            organization: &AppId,
            what: &str,
        ) -> Result<i64, StoreError> {
            organization_id(connection, organization, what)
                .await?
                .ok_or_else(|| missing_organization(organization))
        }

        async fn user_id(
            connection: &mut $connection,
            user: &AppId,
            what: &str,
        ) -> Result<Option<i64>, StoreError> {
            select_id(
                connection,
                "SELECT id FROM users WHERE app_id = $1",
                &[],
                user.as_str(),
                what,
            )
            .await
        }

        /// The id of the row of `table` (teams, projects, local_issues) with this app id in the
        /// organization.
        async fn scoped_id(
            connection: &mut $connection,
            table: &str,
            organization_id: i64,
            app_id: &AppId,
            what: &str,
        ) -> Result<Option<i64>, StoreError> {
            select_id(
                connection,
                &format!("SELECT id FROM {table} WHERE organization_id = $1 AND app_id = $2"),
                &[organization_id],
                app_id.as_str(),
                what,
            )
            .await
        }

        /// The user `user` names, a member of the organization, or the conflict naming `path`.
        async fn member_id(
            connection: &mut $connection,
            path: &str,
            organization: &AppId,
            organization_id: i64,
            user: &AppId,
            what: &str,
        ) -> Result<i64, StoreError> {
            let user_id = user_id(connection, user, what)
                .await?
                .ok_or_else(|| unknown_reference(path, "user", user, None))?;
            let member: Option<i64> = ::sqlx::query_scalar(
                "SELECT user_id FROM organization_members \
                 WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
            member.ok_or_else(|| not_a_member(path, user, organization))
        }

        /// The team `team` names in the organization, or the conflict naming `path`.
        async fn team_id(
            connection: &mut $connection,
            path: &str,
            organization: &AppId,
            organization_id: i64,
            team: &AppId,
            what: &str,
        ) -> Result<i64, StoreError> {
            scoped_id(connection, "teams", organization_id, team, what)
                .await?
                .ok_or_else(|| unknown_reference(path, "team", team, Some(organization)))
        }

        /// Deletes the links from Jira issues to the local issues `condition` selects (an SQL
        /// condition on `local_issues`, binding `ints`).
        async fn delete_issue_links(
            connection: &mut $connection,
            condition: &str,
            ints: &[i64],
            what: &str,
        ) -> Result<(), StoreError> {
            execute_ints(
                connection,
                &format!(
                    "DELETE FROM jirasync_external_issue_links WHERE local_issue_id IN \
                     (SELECT id FROM local_issues WHERE {condition})"
                ),
                ints,
                what,
            )
            .await?;
            Ok(())
        }

        /// Deletes the organization's row of `table` (teams, projects or local_issues, each a
        /// `kind`) that `app_id` names, after the Jira links of the local issues `issue_links`
        /// selects by the row's id (an SQL condition on `local_issues`), if any. `NotFound` when
        /// the organization or the row does not exist.
        async fn delete_scoped(
            connection: &mut $connection,
            organization: &AppId,
            (table, kind): (&str, &str),
            app_id: &AppId,
            issue_links: Option<&str>,
            what: &str,
        ) -> Result<(), StoreError> {
            let organization_id = require_organization(connection, organization, what).await?;
            let id = scoped_id(connection, table, organization_id, app_id, what)
                .await?
                .ok_or_else(|| missing_in_organization(kind, app_id, organization))?;
            if let Some(condition) = issue_links {
                delete_issue_links(connection, condition, &[id], what).await?;
            }
            execute_ints(
                connection,
                &format!("DELETE FROM {table} WHERE id = $1"),
                &[id],
                what,
            )
            .await?;
            Ok(())
        }

        /// Creates the row of `table` (teams or projects) with this app id and name in the
        /// organization, or renames the existing one and deletes its rows of `children`
        /// (`(table, column)`: its members, its project access); gives the row's id and whether
        /// it existed.
        async fn upsert_named(
            connection: &mut $connection,
            table: &str,
            children: (&str, &str),
            organization_id: i64,
            app_id: &AppId,
            name: &str,
            what: &str,
        ) -> Result<(i64, bool), StoreError> {
            let existing = scoped_id(connection, table, organization_id, app_id, what).await?;
            let Some(id) = existing else {
                let id = ::sqlx::query_scalar(&format!(
                    "INSERT INTO {table} (organization_id, name, app_id) VALUES ($1, $2, $3) \
                     RETURNING id"
                ))
                .bind(organization_id)
                .bind(name)
                .bind(app_id.as_str())
                .fetch_one(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                return Ok((id, false));
            };
            ::sqlx::query(&format!("UPDATE {table} SET name = $1 WHERE id = $2"))
                .bind(name)
                .bind(id)
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
            let (child_table, column) = children;
            execute_ints(
                connection,
                &format!("DELETE FROM {child_table} WHERE {column} = $1"),
                &[id],
                what,
            )
            .await?;
            Ok((id, true))
        }

        /// Rows per multi-row statement: well under SQLite's and PostgreSQL's limits on bound
        /// values (5 values a row at most here).
        const ROWS_PER_STATEMENT: usize = 500;

        /// The rows `select` (`SELECT … FROM table WHERE`) gives for the app ids `app_ids`, in the
        /// organization when one is given: one statement per [`ROWS_PER_STATEMENT`] ids.
        async fn select_by_app_id<R>(
            connection: &mut $connection,
            select: &str,
            organization_id: Option<i64>,
            app_ids: &[&str],
            what: &str,
        ) -> Result<Vec<R>, StoreError>
        where
            R: for<'r> ::sqlx::FromRow<'r, <$database as ::sqlx::Database>::Row> + Send + Unpin,
        {
            let mut rows = Vec::with_capacity(app_ids.len());
            for chunk in app_ids.chunks(ROWS_PER_STATEMENT) {
                let mut query = ::sqlx::QueryBuilder::<$database>::new(select);
                if let Some(organization_id) = organization_id {
                    query.push(" organization_id = ").push_bind(organization_id).push(" AND");
                }
                query.push(" app_id IN (");
                let mut list = query.separated(", ");
                for app_id in chunk {
                    list.push_bind(*app_id);
                }
                list.push_unseparated(")");
                rows.extend(
                    query
                        .build_query_as::<R>()
                        .fetch_all(&mut *connection)
                        .await
                        .map_err(|error| store_error(what, error))?,
                );
            }
            Ok(rows)
        }

        /// Runs `delete` (`DELETE FROM table WHERE column`) for the rows whose column is one of
        /// `ids`: one statement per [`ROWS_PER_STATEMENT`] ids.
        async fn delete_in(
            connection: &mut $connection,
            delete: &str,
            ids: &[i64],
            what: &str,
        ) -> Result<(), StoreError> {
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                let mut query = ::sqlx::QueryBuilder::<$database>::new(delete);
                query.push(" IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                query
                    .build()
                    .execute(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?;
            }
            Ok(())
        }

        /// The items of `batch`, each id once, where its last item stands and as it says: a
        /// batch naming an id twice is written as if item by item.
        fn last_of_each<'a, T>(batch: &'a [T], id: impl Fn(&'a T) -> &'a AppId) -> Vec<&'a T> {
            let mut last: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
            for (index, item) in batch.iter().enumerate() {
                last.insert(id(item).as_str(), index);
            }
            batch
                .iter()
                .enumerate()
                .filter(|(index, item)| last.get(id(item).as_str()) == Some(index))
                .map(|(_, item)| item)
                .collect()
        }

        /// How many items of `batch` create a record and how many update one (`existed` tells
        /// the ids stored before the batch; an id given again updates what its first item made).
        fn summarize<'a, T>(
            batch: &'a [T],
            id: impl Fn(&'a T) -> &'a AppId,
            existed: impl Fn(&str) -> bool,
        ) -> UpsertSummary {
            let mut seen = HashSet::with_capacity(batch.len());
            let mut summary = UpsertSummary::default();
            for item in batch {
                let key = id(item).as_str();
                count(&mut summary, existed(key) || !seen.insert(key));
            }
            summary
        }

        /// The project, user and team an issue of the batch was found to name.
        fn references(
            resolved: &HashMap<&str, (i64, Option<i64>, Option<i64>)>,
            item: &IssueData,
        ) -> Result<(i64, Option<i64>, Option<i64>), StoreError> {
            resolved
                .get(item.id.as_str())
                .copied()
                .ok_or_else(|| StoreError::other("an issue of the batch lost its references"))
        }

        fn count(summary: &mut UpsertSummary, existed: bool) {
            if existed {
                summary.updated += 1;
            } else {
                summary.created += 1;
            }
        }

        /// Creates or replaces issues of the organization in the caller's transaction (the body
        /// of `upsert_issues`, shared with `update_issue`).
        async fn write_issues(
            connection: &mut $connection,
            organization: &AppId,
            organization_id: i64,
            batch: &[IssueData],
            what: &str,
        ) -> Result<UpsertSummary, StoreError> {
        // First every reference, in item order (the first unknown one is the error): a
        // batch names few projects, teams and users many times over.
        let mut projects: HashMap<&AppId, i64> = HashMap::new();
        let mut members: HashMap<&AppId, i64> = HashMap::new();
        let mut teams: HashMap<&AppId, i64> = HashMap::new();
        let mut resolved: HashMap<&str, (i64, Option<i64>, Option<i64>)> =
            HashMap::with_capacity(batch.len());
        for (index, item) in batch.iter().enumerate() {
            let project_id = match projects.get(&item.project) {
                Some(id) => *id,
                None => {
                    let id = scoped_id(
                        &mut *connection,
                        "projects",
                        organization_id,
                        &item.project,
                        what,
                    )
                    .await?
                    .ok_or_else(|| {
                        unknown_reference(
                            &format!("items[{index}].project"),
                            "project",
                            &item.project,
                            Some(organization),
                        )
                    })?;
                    projects.insert(&item.project, id);
                    id
                }
            };
            let (user, team) = match &item.assignee {
                Some(AppAssignee::User(user)) => match members.get(user) {
                    Some(id) => (Some(*id), None),
                    None => {
                        let path = format!("items[{index}].assignee.user");
                        let id = member_id(
                            &mut *connection,
                            &path,
                            organization,
                            organization_id,
                            user,
                            what,
                        )
                        .await?;
                        members.insert(user, id);
                        (Some(id), None)
                    }
                },
                Some(AppAssignee::Team(team)) => match teams.get(team) {
                    Some(id) => (None, Some(*id)),
                    None => {
                        let path = format!("items[{index}].assignee.team");
                        let id = team_id(
                            &mut *connection,
                            &path,
                            organization,
                            organization_id,
                            team,
                            what,
                        )
                        .await?;
                        teams.insert(team, id);
                        (None, Some(id))
                    }
                },
                None => (None, None),
            };
            // The last item of an id given twice wins, as if written item by item.
            resolved.insert(item.id.as_str(), (project_id, user, team));
        }
        let batch_once = last_of_each(batch, |item| &item.id);
        let app_ids: Vec<&str> = batch_once.iter().map(|item| item.id.as_str()).collect();
        let existing: HashMap<String, (i64, i64, String)> =
            select_by_app_id::<(String, i64, i64, String)>(
                &mut *connection,
                "SELECT app_id, id, project_id, status FROM local_issues WHERE",
                Some(organization_id),
                &app_ids,
                what,
            )
            .await?
            .into_iter()
            .map(|(app_id, id, project_id, status)| (app_id, (id, project_id, status)))
            .collect();
        let summary = summarize(batch, |item| &item.id, |id| existing.contains_key(id));
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch_once.len());
        let mut new = Vec::new();
        for item in &batch_once {
            let (wanted_project, _, _) = references(&resolved, item)?;
            let Some((id, project_id, status)) = existing.get(item.id.as_str()) else {
                new.push((*item, wanted_project));
                continue;
            };
            if *project_id != wanted_project || status != status_name(item.status) {
                ::sqlx::query(
                    "UPDATE local_issues SET project_id = $1, status = $2 WHERE id = $3",
                )
                .bind(wanted_project)
                .bind(status_name(item.status))
                .bind(*id)
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
            }
            ids.insert(item.id.as_str().to_owned(), *id);
        }
        for chunk in new.chunks(ROWS_PER_STATEMENT) {
            let mut query = ::sqlx::QueryBuilder::<$database>::new(
                "INSERT INTO local_issues (organization_id, project_id, status, app_id) ",
            );
            query.push_values(chunk, |mut row, (item, project_id)| {
                row.push_bind(organization_id)
                    .push_bind(*project_id)
                    .push_bind(status_name(item.status))
                    .push_bind(item.id.as_str());
            });
            query.push(" RETURNING app_id, id");
            let created: Vec<(String, i64)> = query
                .build_query_as()
                .fetch_all(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
            ids.extend(created);
        }
        let mut assigned = Vec::new();
        let mut unassigned = Vec::new();
        for item in &batch_once {
            let id = *ids
                .get(item.id.as_str())
                .ok_or_else(|| StoreError::other("an inserted issue has no id"))?;
            match references(&resolved, item)? {
                (_, None, None) => {
                    if existing.contains_key(item.id.as_str()) {
                        unassigned.push(id);
                    }
                }
                (_, user, team) => assigned.push((id, user, team)),
            }
        }
        delete_in(
            &mut *connection,
            "DELETE FROM issue_assignees WHERE local_issue_id",
            &unassigned,
            what,
        )
        .await?;
        for chunk in assigned.chunks(ROWS_PER_STATEMENT) {
            let mut query = ::sqlx::QueryBuilder::<$database>::new(
                "INSERT INTO issue_assignees (local_issue_id, user_id, team_id) ",
            );
            query.push_values(chunk, |mut row, (id, user, team)| {
                row.push_bind(*id).push_bind(*user).push_bind(*team);
            });
            query.push(
                " ON CONFLICT (local_issue_id) DO UPDATE SET user_id = excluded.user_id, \
                 team_id = excluded.team_id",
            );
            query
                .build()
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
        }
            Ok(summary)
        }

        /// An issue of the organization, read in the caller's connection or transaction.
        async fn read_issue(
            connection: &mut $connection,
            organization_id: i64,
            issue: &AppId,
            what: &str,
        ) -> Result<Option<(LocalIssueId, IssueData)>, StoreError> {
        let row: Option<(i64, Option<String>, String, Option<String>, Option<String>)> =
            ::sqlx::query_as(
                "SELECT li.id, p.app_id, li.status, u.app_id, t.app_id \
                 FROM local_issues li JOIN projects p ON p.id = li.project_id \
                 LEFT JOIN issue_assignees a ON a.local_issue_id = li.id \
                 LEFT JOIN users u ON u.id = a.user_id \
                 LEFT JOIN teams t ON t.id = a.team_id \
                 WHERE li.organization_id = $1 AND li.app_id = $2",
            )
            .bind(organization_id)
            .bind(issue.as_str())
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
        let Some((id, project, status, user, team)) = row else {
            return Ok(None);
        };
        let project = project.ok_or_else(|| {
            StoreError::other("an issue's project has no application id")
        })?;
        let assignee = match (user, team) {
            (Some(user), _) => Some(AppAssignee::User(AppId::new(user))),
            (None, Some(team)) => Some(AppAssignee::Team(AppId::new(team))),
            (None, None) => None,
        };
        Ok(Some((
            LocalIssueId::new(domain_id(id)?),
            IssueData {
                id: issue.clone(),
                project: AppId::new(project),
                status: status_from_name(&status)?,
                assignee,
            },
        )))
        }

        impl $store {
            async fn begin_app_write(&self, what: &str) -> Result<Transaction, StoreError> {
                $crate::sql::begin_write::<Self>(self.host_pool()?, what).await
            }
        }

        #[async_trait]
        impl ApplicationData for $store {
            async fn upsert_organizations(
                &self,
                batch: &[OrganizationData],
            ) -> Result<UpsertSummary, StoreError> {
                let what = "writing organizations";
                let mut transaction = self.begin_app_write(what).await?;
                let mut summary = UpsertSummary::default();
                for item in batch {
                    let existing = organization_id(&mut transaction, &item.id, what).await?;
                    count(&mut summary, existing.is_some());
                    match existing {
                        Some(id) => {
                            let features = item.features;
                            ::sqlx::query(
                                "UPDATE jirasync_organizations SET name = $1, \
                                 issue_sync = COALESCE($2, issue_sync), \
                                 external_actors = COALESCE($3, external_actors) WHERE id = $4",
                            )
                            .bind(&item.name)
                            .bind(features.map(|features| features.issue_sync))
                            .bind(features.map(|features| features.external_actors))
                            .bind(id)
                            .execute(&mut *transaction)
                            .await
                            .map_err(|error| store_error(what, error))?;
                        }
                        None => {
                            let features = item.features.unwrap_or(OrganizationFeatures::all());
                            let id: i64 = ::sqlx::query_scalar(
                                "INSERT INTO jirasync_organizations \
                                 (name, issue_sync, external_actors) VALUES ($1, $2, $3) \
                                 RETURNING id",
                            )
                            .bind(&item.name)
                            .bind(features.issue_sync)
                            .bind(features.external_actors)
                            .fetch_one(&mut *transaction)
                            .await
                            .map_err(|error| store_error(what, error))?;
                            ::sqlx::query(
                                "INSERT INTO organization_app_ids (organization_id, app_id) \
                                 VALUES ($1, $2)",
                            )
                            .bind(id)
                            .bind(item.id.as_str())
                            .execute(&mut *transaction)
                            .await
                            .map_err(|error| store_error(what, error))?;
                        }
                    }
                }
                commit(transaction, what).await?;
                // Organizations' names and settings are in the PostgreSQL store's cache.
                self.config_changed();
                Ok(summary)
            }

            async fn app_organization(
                &self,
                organization: &AppId,
            ) -> Result<Option<(OrganizationId, OrganizationData)>, StoreError> {
                let what = "reading an organization";
                let row: Option<(i64, String, bool, bool)> = ::sqlx::query_as(
                    "SELECT o.id, o.name, o.issue_sync, o.external_actors \
                     FROM organization_app_ids a \
                     JOIN jirasync_organizations o ON o.id = a.organization_id \
                     WHERE a.app_id = $1",
                )
                .bind(organization.as_str())
                .fetch_optional(self.host_pool()?)
                .await
                .map_err(|error| store_error(what, error))?;
                row.map(|(id, name, issue_sync, external_actors)| {
                    Ok((
                        OrganizationId::new(domain_id(id)?),
                        OrganizationData {
                            id: organization.clone(),
                            name,
                            features: Some(OrganizationFeatures {
                                issue_sync,
                                external_actors,
                            }),
                        },
                    ))
                })
                .transpose()
            }

            async fn app_organizations(&self) -> Result<Vec<AppId>, StoreError> {
                let ids: Vec<String> = ::sqlx::query_scalar(
                    "SELECT app_id FROM organization_app_ids ORDER BY app_id",
                )
                .fetch_all(self.host_pool()?)
                .await
                .map_err(|error| store_error("listing organizations", error))?;
                Ok(ids.into_iter().map(AppId::new).collect())
            }

            async fn delete_organization(&self, organization: &AppId) -> Result<(), StoreError> {
                let what = "deleting an organization";
                let mut transaction = self.begin_app_write(what).await?;
                let id = require_organization(&mut transaction, organization, what).await?;
                // Its external issues (and their links) go with the organization's cascade.
                execute_ints(
                    &mut transaction,
                    "DELETE FROM jirasync_organizations WHERE id = $1",
                    &[id],
                    what,
                )
                .await?;
                commit(transaction, what).await?;
                self.config_changed();
                Ok(())
            }

            async fn upsert_users(
                &self,
                batch: &[UserData],
            ) -> Result<UpsertSummary, StoreError> {
                let what = "writing users";
                let mut transaction = self.begin_app_write(what).await?;
                // An id given twice is written as its last item says (as if item by item).
                let batch_once = last_of_each(batch, |item| &item.id);
                let app_ids: Vec<&str> = batch.iter().map(|item| item.id.as_str()).collect();
                let existing: HashMap<String, (i64, bool)> = select_by_app_id::<(String, i64, bool)>(
                    &mut transaction,
                    "SELECT app_id, id, active FROM users WHERE",
                    None,
                    &app_ids,
                    what,
                )
                .await?
                .into_iter()
                .map(|(app_id, id, active)| (app_id, (id, active)))
                .collect();
                let summary = summarize(batch, |item| &item.id, |id| existing.contains_key(id));
                let batch = batch_once;
                let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch.len());
                let mut new = Vec::new();
                for item in &batch {
                    match existing.get(item.id.as_str()) {
                        Some(&(id, active)) => {
                            if active != item.active {
                                ::sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                                    .bind(item.active)
                                    .bind(id)
                                    .execute(&mut *transaction)
                                    .await
                                    .map_err(|error| store_error(what, error))?;
                            }
                            ids.insert(item.id.as_str().to_owned(), id);
                        }
                        None => new.push(*item),
                    }
                }
                let replaced: Vec<i64> = ids.values().copied().collect();
                delete_in(
                    &mut transaction,
                    "DELETE FROM user_emails WHERE user_id",
                    &replaced,
                    what,
                )
                .await?;
                for chunk in new.chunks(ROWS_PER_STATEMENT) {
                    let mut query =
                        ::sqlx::QueryBuilder::<$database>::new("INSERT INTO users (active, app_id) ");
                    query.push_values(chunk, |mut row, item| {
                        row.push_bind(item.active).push_bind(item.id.as_str());
                    });
                    query.push(" RETURNING app_id, id");
                    let created: Vec<(String, i64)> = query
                        .build_query_as()
                        .fetch_all(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                    ids.extend(created);
                }
                let mut emails = Vec::new();
                for item in &batch {
                    let id = *ids
                        .get(item.id.as_str())
                        .ok_or_else(|| StoreError::other("an inserted user has no id"))?;
                    for (position, email) in item.emails.iter().enumerate() {
                        emails.push((id, i64::try_from(position).unwrap_or(i64::MAX), email));
                    }
                }
                for chunk in emails.chunks(ROWS_PER_STATEMENT) {
                    let mut query = ::sqlx::QueryBuilder::<$database>::new(
                        "INSERT INTO user_emails (user_id, position, address, address_lower, verified) ",
                    );
                    query.push_values(chunk, |mut row, (id, position, email)| {
                        row.push_bind(*id)
                            .push_bind(*position)
                            .push_bind(email.address.as_str())
                            .push_bind(email.address.to_lowercase())
                            .push_bind(email.verified);
                    });
                    query
                        .build()
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                }
                commit(transaction, what).await?;
                Ok(summary)
            }

            async fn app_user(&self, user: &AppId) -> Result<Option<UserData>, StoreError> {
                let what = "reading a user";
                let mut connection = $crate::sql::connection(self.host_pool()?, what).await?;
                let row: Option<(i64, bool)> =
                    ::sqlx::query_as("SELECT id, active FROM users WHERE app_id = $1")
                        .bind(user.as_str())
                        .fetch_optional(&mut *connection)
                        .await
                        .map_err(|error| store_error(what, error))?;
                let Some((id, active)) = row else {
                    return Ok(None);
                };
                let emails: Vec<(String, bool)> = ::sqlx::query_as(
                    "SELECT address, verified FROM user_emails WHERE user_id = $1 \
                     ORDER BY position",
                )
                .bind(id)
                .fetch_all(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                Ok(Some(UserData {
                    id: user.clone(),
                    active,
                    emails: emails
                        .into_iter()
                        .map(|(address, verified)| UserEmail { address, verified })
                        .collect(),
                }))
            }

            async fn app_user_id(&self, user: &AppId) -> Result<Option<UserId>, StoreError> {
                let what = "reading a user";
                let id: Option<i64> = ::sqlx::query_scalar("SELECT id FROM users WHERE app_id = $1")
                    .bind(user.as_str())
                    .fetch_optional(self.host_pool()?)
                    .await
                    .map_err(|error| store_error(what, error))?;
                id.map(|id| domain_id(id).map(UserId::new)).transpose()
            }

            async fn delete_user(&self, user: &AppId) -> Result<(), StoreError> {
                let what = "deleting a user";
                let mut transaction = self.begin_app_write(what).await?;
                let id = user_id(&mut transaction, user, what)
                    .await?
                    .ok_or_else(|| StoreError::not_found(format!("user {:?}", user.as_str())))?;
                execute_ints(
                    &mut transaction,
                    "DELETE FROM users WHERE id = $1",
                    &[id],
                    what,
                )
                .await?;
                commit(transaction, what).await
            }

            async fn add_members(
                &self,
                organization: &AppId,
                users: &[AppId],
            ) -> Result<UpsertSummary, StoreError> {
                let what = "adding organization members";
                let mut transaction = self.begin_app_write(what).await?;
                let organization_id =
                    require_organization(&mut transaction, organization, what).await?;
                let mut summary = UpsertSummary::default();
                for (index, user) in users.iter().enumerate() {
                    let path = format!("items[{index}].user");
                    let user_id = user_id(&mut transaction, user, what)
                        .await?
                        .ok_or_else(|| unknown_reference(&path, "user", user, None))?;
                    let added = execute_ints(
                        &mut transaction,
                        "INSERT INTO organization_members (organization_id, user_id) \
                         VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[organization_id, user_id],
                        what,
                    )
                    .await?;
                    count(&mut summary, added == 0);
                }
                commit(transaction, what).await?;
                Ok(summary)
            }

            async fn app_members(&self, organization: &AppId) -> Result<Vec<AppId>, StoreError> {
                let what = "reading organization members";
                let mut connection = $crate::sql::connection(self.host_pool()?, what).await?;
                let organization_id =
                    require_organization(&mut connection, organization, what).await?;
                let members: Vec<String> = ::sqlx::query_scalar(
                    "SELECT u.app_id FROM organization_members m \
                     JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 AND u.app_id IS NOT NULL ORDER BY u.app_id",
                )
                .bind(organization_id)
                .fetch_all(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                Ok(members.into_iter().map(AppId::new).collect())
            }

            async fn remove_member(
                &self,
                organization: &AppId,
                user: &AppId,
            ) -> Result<(), StoreError> {
                let what = "removing an organization member";
                let mut transaction = self.begin_app_write(what).await?;
                let organization_id =
                    require_organization(&mut transaction, organization, what).await?;
                let user_id = user_id(&mut transaction, user, what).await?;
                let removed = match user_id {
                    Some(user_id) => {
                        execute_ints(
                            &mut transaction,
                            "DELETE FROM organization_members \
                             WHERE organization_id = $1 AND user_id = $2",
                            &[organization_id, user_id],
                            what,
                        )
                        .await?
                    }
                    None => 0,
                };
                let (Some(user_id), 1..) = (user_id, removed) else {
                    return Err(missing_in_organization("member", user, organization));
                };
                execute_ints(
                    &mut transaction,
                    "DELETE FROM team_members WHERE user_id = $1 AND team_id IN \
                     (SELECT id FROM teams WHERE organization_id = $2)",
                    &[user_id, organization_id],
                    what,
                )
                .await?;
                execute_ints(
                    &mut transaction,
                    "DELETE FROM issue_assignees WHERE user_id = $1 AND local_issue_id IN \
                     (SELECT id FROM local_issues WHERE organization_id = $2)",
                    &[user_id, organization_id],
                    what,
                )
                .await?;
                commit(transaction, what).await
            }

            async fn upsert_teams(
                &self,
                organization: &AppId,
                batch: &[TeamData],
            ) -> Result<UpsertSummary, StoreError> {
                let what = "writing teams";
                let mut transaction = self.begin_app_write(what).await?;
                let organization_id =
                    require_organization(&mut transaction, organization, what).await?;
                let mut summary = UpsertSummary::default();
                for (index, item) in batch.iter().enumerate() {
                    let mut members = Vec::with_capacity(item.members.len());
                    for (position, member) in item.members.iter().enumerate() {
                        let path = format!("items[{index}].members[{position}].user");
                        let user_id = member_id(
                            &mut transaction,
                            &path,
                            organization,
                            organization_id,
                            &member.user,
                            what,
                        )
                        .await?;
                        members.push((user_id, member.active));
                    }
                    let (id, existed) = upsert_named(
                        &mut transaction,
                        "teams",
                        ("team_members", "team_id"),
                        organization_id,
                        &item.id,
                        &item.name,
                        what,
                    )
                    .await?;
                    count(&mut summary, existed);
                    for (user_id, active) in members {
                        ::sqlx::query(
                            "INSERT INTO team_members (team_id, user_id, active) \
                             VALUES ($1, $2, $3)",
                        )
                        .bind(id)
                        .bind(user_id)
                        .bind(active)
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                    }
                }
                commit(transaction, what).await?;
                Ok(summary)
            }

            async fn app_team(
                &self,
                organization: &AppId,
                team: &AppId,
            ) -> Result<Option<TeamData>, StoreError> {
                let what = "reading a team";
                let mut connection = $crate::sql::connection(self.host_pool()?, what).await?;
                let organization_id =
                    require_organization(&mut connection, organization, what).await?;
                let row: Option<(i64, String)> = ::sqlx::query_as(
                    "SELECT id, name FROM teams WHERE organization_id = $1 AND app_id = $2",
                )
                .bind(organization_id)
                .bind(team.as_str())
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                let Some((id, name)) = row else {
                    return Ok(None);
                };
                let members: Vec<(String, bool)> = ::sqlx::query_as(
                    "SELECT u.app_id, m.active FROM team_members m \
                     JOIN users u ON u.id = m.user_id \
                     WHERE m.team_id = $1 AND u.app_id IS NOT NULL ORDER BY u.app_id",
                )
                .bind(id)
                .fetch_all(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                Ok(Some(TeamData {
                    id: team.clone(),
                    name,
                    members: members
                        .into_iter()
                        .map(|(user, active)| TeamMemberData {
                            user: AppId::new(user),
                            active,
                        })
                        .collect(),
                }))
            }

            async fn delete_team(
                &self,
                organization: &AppId,
                team: &AppId,
            ) -> Result<(), StoreError> {
                let what = "deleting a team";
                let mut transaction = self.begin_app_write(what).await?;
                delete_scoped(
                    &mut transaction,
                    organization,
                    ("teams", "team"),
                    team,
                    None,
                    what,
                )
                .await?;
                commit(transaction, what).await
            }

            async fn upsert_projects(
                &self,
                organization: &AppId,
                batch: &[ProjectData],
            ) -> Result<UpsertSummary, StoreError> {
                let what = "writing projects";
                let mut transaction = self.begin_app_write(what).await?;
                let organization_id =
                    require_organization(&mut transaction, organization, what).await?;
                let mut summary = UpsertSummary::default();
                for (index, item) in batch.iter().enumerate() {
                    let mut teams = Vec::with_capacity(item.teams.len());
                    for (position, team) in item.teams.iter().enumerate() {
                        let path = format!("items[{index}].teams[{position}]");
                        teams.push(
                            team_id(
                                &mut transaction,
                                &path,
                                organization,
                                organization_id,
                                team,
                                what,
                            )
                            .await?,
                        );
                    }
                    let (id, existed) = upsert_named(
                        &mut transaction,
                        "projects",
                        ("team_projects", "project_id"),
                        organization_id,
                        &item.id,
                        &item.name,
                        what,
                    )
                    .await?;
                    count(&mut summary, existed);
                    for team in teams {
                        execute_ints(
                            &mut transaction,
                            "INSERT INTO team_projects (team_id, project_id) VALUES ($1, $2)",
                            &[team, id],
                            what,
                        )
                        .await?;
                    }
                }
                commit(transaction, what).await?;
                Ok(summary)
            }

            async fn app_project(
                &self,
                organization: &AppId,
                project: &AppId,
            ) -> Result<Option<ProjectData>, StoreError> {
                let what = "reading a project";
                let mut connection = $crate::sql::connection(self.host_pool()?, what).await?;
                let organization_id =
                    require_organization(&mut connection, organization, what).await?;
                let row: Option<(i64, String)> = ::sqlx::query_as(
                    "SELECT id, name FROM projects WHERE organization_id = $1 AND app_id = $2",
                )
                .bind(organization_id)
                .bind(project.as_str())
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                let Some((id, name)) = row else {
                    return Ok(None);
                };
                let teams: Vec<String> = ::sqlx::query_scalar(
                    "SELECT t.app_id FROM team_projects p JOIN teams t ON t.id = p.team_id \
                     WHERE p.project_id = $1 AND t.app_id IS NOT NULL ORDER BY t.app_id",
                )
                .bind(id)
                .fetch_all(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
                Ok(Some(ProjectData {
                    id: project.clone(),
                    name,
                    teams: teams.into_iter().map(AppId::new).collect(),
                }))
            }

            async fn delete_project(
                &self,
                organization: &AppId,
                project: &AppId,
            ) -> Result<(), StoreError> {
                let what = "deleting a project";
                let mut transaction = self.begin_app_write(what).await?;
                delete_scoped(
                    &mut transaction,
                    organization,
                    ("projects", "project"),
                    project,
                    Some("project_id = $1"),
                    what,
                )
                .await?;
                commit(transaction, what).await
            }

            async fn upsert_issues(
                &self,
                organization: &AppId,
                batch: &[IssueData],
            ) -> Result<UpsertSummary, StoreError> {
                let what = "writing issues";
                let mut transaction = self.begin_app_write(what).await?;
                let organization_id =
                    require_organization(&mut transaction, organization, what).await?;
                let summary =
                    write_issues(&mut transaction, organization, organization_id, batch, what)
                        .await?;
                commit(transaction, what).await?;
                Ok(summary)
            }

            async fn app_issue(
                &self,
                organization: &AppId,
                issue: &AppId,
            ) -> Result<Option<(LocalIssueId, IssueData)>, StoreError> {
                let what = "reading an issue";
                let mut connection = $crate::sql::connection(self.host_pool()?, what).await?;
                let organization_id =
                    require_organization(&mut connection, organization, what).await?;
                read_issue(&mut connection, organization_id, issue, what).await
            }

            async fn delete_issue(
                &self,
                organization: &AppId,
                issue: &AppId,
            ) -> Result<(), StoreError> {
                let what = "deleting an issue";
                let mut transaction = self.begin_app_write(what).await?;
                delete_scoped(
                    &mut transaction,
                    organization,
                    ("local_issues", "issue"),
                    issue,
                    Some("id = $1"),
                    what,
                )
                .await?;
                commit(transaction, what).await
            }

            async fn update_issue(
                &self,
                organization: &AppId,
                expected: &IssueData,
                issue: &IssueData,
                outbound: &[NewOutboundWork],
            ) -> Result<(), StoreError> {
                let what = "changing an issue";
                let mut transaction = self.begin_app_write(what).await?;
                let organization_id =
                    require_organization(&mut transaction, organization, what).await?;
                let (_, current) = read_issue(&mut transaction, organization_id, &expected.id, what)
                    .await?
                    .ok_or_else(|| missing_in_organization("issue", &expected.id, organization))?;
                if current != *expected || issue.id != expected.id {
                    return Err(changed_meanwhile(&expected.id));
                }
                write_issues(
                    &mut transaction,
                    organization,
                    organization_id,
                    ::std::slice::from_ref(issue),
                    what,
                )
                .await?;
                super::outbound::insert_outbound(&mut transaction, outbound)
                    .await
                    .map_err(|error| store_error(what, error))?;
                commit(transaction, what).await
            }
        }
    };
}

pub(crate) use application_data;
