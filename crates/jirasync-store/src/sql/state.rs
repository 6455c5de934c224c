//! [`StateStore`](jirasync_domain::state::StateStore) in SQL: the whole domain state read from
//! one snapshot of the database, and replaced in one write transaction, as rows of
//! [`crate::state_rows`].
//!
//! The state file holds the standalone deployment: jirasync's bookkeeping and the standalone
//! host's tables, replaced together; a store opened for bookkeeping only refuses both calls. The
//! application's ids travel with their records: the `app_id` columns of the standalone tables
//! and `organization_app_ids` beside jirasync's organizations.
//!
//! What differs per back-end is passed to the macro: what a replacement locks before it deletes
//! (`lock`), and how ids assigned after an import are made to follow the imported ones
//! (`follow_ids`, called for each table with an `id` column).

/// Inserts every row of a table with `$n` placeholders, binding each row tuple's fields in column
/// order; an error is reported as `$what` failing.
macro_rules! insert_rows {
    ($connection:expr, $what:expr, $table:expr, $rows:expr, $($field:tt),+) => {{
        let sql = $table.insert(|n| format!("${n}"));
        for row in &$rows {
            ::sqlx::query(&sql)
                $(.bind(&row.$field))+
                .execute(&mut *$connection)
                .await
                .map_err(|error| $crate::sql_error::store_error($what, error))?;
        }
    }};
}

pub(crate) use insert_rows;

/// Implements `StateStore` for `$store`, whose connections are `$connection` and rows `$row`.
///
/// `lock(connection)` runs first in the replacing transaction, `follow_ids(connection, table)`
/// after the last insert for each table with an `id` column; both return
/// `Result<(), StoreError>`.
macro_rules! state_store {
    (
        $store:ident,
        $connection:ty,
        $row:ty,
        lock = $lock:path,
        follow_ids = $follow_ids:path
    ) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::StoreError;
        use ::jirasync_domain::state::{StateSnapshot, StateStore};

        use $crate::sql::Dialect;
        use $crate::sql::state::insert_rows;
        use $crate::sql_error::store_error;
        use $crate::state_rows::{
            ACTIVITIES, DELIVERY_LOG_TABLE, DOMAIN_TABLES, EXTERNAL_ACTORS, EXTERNAL_ISSUE_LINKS,
            EXTERNAL_ISSUES, IDENTITIES, INTEGRATION_WEBHOOK_SECRETS, INTEGRATIONS,
            ISSUE_ASSIGNEES, LOCAL_ISSUES, ORGANIZATION_APP_IDS, ORGANIZATION_INTEGRATIONS,
            ORGANIZATION_MEMBERS, ORGANIZATIONS, PROJECTS, StateRows, TEAM_MEMBERS, TEAM_PROJECTS,
            TEAMS, Table, USER_EMAILS, USERS,
        };

        const EXPORTING: &str = "exporting the state";
        const REPLACING: &str = "replacing the state";

        /// Every row of `table`, in its export order.
        async fn read_table<R>(
            connection: &mut $connection,
            table: Table,
        ) -> Result<Vec<R>, StoreError>
        where
            R: for<'r> ::sqlx::FromRow<'r, $row> + Send + Unpin,
        {
            ::sqlx::query_as::<_, R>(&table.select())
                .fetch_all(connection)
                .await
                .map_err(|error| store_error(EXPORTING, error))
        }

        /// Every row of the state, read on one connection inside a snapshot transaction.
        async fn read_rows(connection: &mut $connection) -> Result<StateRows, StoreError> {
            Ok(StateRows {
                organizations: read_table(connection, ORGANIZATIONS).await?,
                organization_app_ids: read_table(connection, ORGANIZATION_APP_IDS).await?,
                users: read_table(connection, USERS).await?,
                user_emails: read_table(connection, USER_EMAILS).await?,
                organization_members: read_table(connection, ORGANIZATION_MEMBERS).await?,
                teams: read_table(connection, TEAMS).await?,
                team_members: read_table(connection, TEAM_MEMBERS).await?,
                projects: read_table(connection, PROJECTS).await?,
                team_projects: read_table(connection, TEAM_PROJECTS).await?,
                local_issues: read_table(connection, LOCAL_ISSUES).await?,
                issue_assignees: read_table(connection, ISSUE_ASSIGNEES).await?,
                integrations: read_table(connection, INTEGRATIONS).await?,
                webhook_secrets: read_table(connection, INTEGRATION_WEBHOOK_SECRETS).await?,
                identities: read_table(connection, IDENTITIES).await?,
                organization_integrations: read_table(connection, ORGANIZATION_INTEGRATIONS)
                    .await?,
                external_issues: read_table(connection, EXTERNAL_ISSUES).await?,
                external_issue_links: read_table(connection, EXTERNAL_ISSUE_LINKS).await?,
                external_actors: read_table(connection, EXTERNAL_ACTORS).await?,
                activities: read_table(connection, ACTIVITIES).await?,
            })
        }

        /// Deletes the domain state (children first) and the delivery log; the inbox stays.
        async fn delete_state(connection: &mut $connection) -> Result<(), StoreError> {
            let tables = DOMAIN_TABLES.iter().rev().map(|table| table.name);
            for table in tables.chain([DELIVERY_LOG_TABLE]) {
                ::sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&mut *connection)
                    .await
                    .map_err(|error| store_error(REPLACING, error))?;
            }
            Ok(())
        }

        /// Inserts every row, parents first, each with its id.
        async fn insert_state(
            connection: &mut $connection,
            rows: &StateRows,
        ) -> Result<(), StoreError> {
            insert_rows!(
                connection,
                REPLACING,
                ORGANIZATIONS,
                rows.organizations,
                0,
                1,
                2,
                3
            );
            insert_rows!(
                connection,
                REPLACING,
                ORGANIZATION_APP_IDS,
                rows.organization_app_ids,
                0,
                1
            );
            insert_rows!(connection, REPLACING, USERS, rows.users, 0, 1, 2);
            insert_rows!(
                connection,
                REPLACING,
                USER_EMAILS,
                rows.user_emails,
                0,
                1,
                2,
                3,
                4
            );
            insert_rows!(
                connection,
                REPLACING,
                ORGANIZATION_MEMBERS,
                rows.organization_members,
                0,
                1
            );
            insert_rows!(connection, REPLACING, TEAMS, rows.teams, 0, 1, 2, 3);
            insert_rows!(
                connection,
                REPLACING,
                TEAM_MEMBERS,
                rows.team_members,
                0,
                1,
                2
            );
            insert_rows!(connection, REPLACING, PROJECTS, rows.projects, 0, 1, 2, 3);
            insert_rows!(
                connection,
                REPLACING,
                TEAM_PROJECTS,
                rows.team_projects,
                0,
                1
            );
            insert_rows!(
                connection,
                REPLACING,
                LOCAL_ISSUES,
                rows.local_issues,
                0,
                1,
                2,
                3,
                4
            );
            insert_rows!(
                connection,
                REPLACING,
                ISSUE_ASSIGNEES,
                rows.issue_assignees,
                0,
                1,
                2
            );
            insert_rows!(
                connection,
                REPLACING,
                INTEGRATIONS,
                rows.integrations,
                0,
                1,
                2,
                3,
                4,
                5,
                6
            );
            insert_rows!(
                connection,
                REPLACING,
                INTEGRATION_WEBHOOK_SECRETS,
                rows.webhook_secrets,
                0,
                1,
                2
            );
            insert_rows!(
                connection,
                REPLACING,
                IDENTITIES,
                rows.identities,
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9
            );
            insert_rows!(
                connection,
                REPLACING,
                ORGANIZATION_INTEGRATIONS,
                rows.organization_integrations,
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9
            );
            insert_rows!(
                connection,
                REPLACING,
                EXTERNAL_ISSUES,
                rows.external_issues,
                0,
                1,
                2,
                3,
                4,
                5
            );
            insert_rows!(
                connection,
                REPLACING,
                EXTERNAL_ISSUE_LINKS,
                rows.external_issue_links,
                0,
                1
            );
            insert_rows!(
                connection,
                REPLACING,
                EXTERNAL_ACTORS,
                rows.external_actors,
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8
            );
            insert_rows!(
                connection,
                REPLACING,
                ACTIVITIES,
                rows.activities,
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9
            );
            Ok(())
        }

        #[async_trait]
        impl StateStore for $store {
            async fn export_state(&self) -> Result<StateSnapshot, StoreError> {
                self.host_pool()?;
                // One snapshot: every table is read as the database stood at the first read.
                let mut transaction =
                    $crate::pool::begin(&self.pool, <$store as Dialect>::BEGIN_SNAPSHOT)
                        .await
                        .map_err(|error| store_error(EXPORTING, error))?;
                let rows = read_rows(&mut transaction).await?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(EXPORTING, error))?;
                rows.into_snapshot()
            }

            async fn replace_state(&self, snapshot: &StateSnapshot) -> Result<(), StoreError> {
                self.host_pool()?;
                // The file's rules first, with the file's positions in the message; the
                // schema's constraints then refuse whatever the rules do not cover.
                snapshot
                    .validate()
                    .map_err(|error| StoreError::invalid(error.to_string()))?;
                let rows = StateRows::from_snapshot(snapshot)?;
                // Any error below drops the transaction uncommitted: nothing changes.
                let mut transaction =
                    $crate::sql::begin_write::<Self>(&self.pool, REPLACING).await?;
                $lock(&mut transaction).await?;
                delete_state(&mut transaction).await?;
                insert_state(&mut transaction, &rows).await?;
                let with_ids = DOMAIN_TABLES
                    .iter()
                    .filter(|table| table.columns.first() == Some(&"id"));
                for table in with_ids {
                    $follow_ids(&mut transaction, table.name).await?;
                }
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(REPLACING, error))?;
                self.config_changed();
                Ok(())
            }
        }
    };
}

pub(crate) use state_store;
