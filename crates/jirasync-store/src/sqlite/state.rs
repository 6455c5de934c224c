//! [`StateStore`]: the whole domain state read in one read transaction, and replaced in one
//! `BEGIN IMMEDIATE` transaction (rows from [`crate::state_rows`]).
//!
//! Ids assigned after an import continue after the largest imported ones: `INTEGER PRIMARY KEY`
//! tables take the largest id in the table plus one, and the `AUTOINCREMENT` ones
//! (`external_actors`, `activities`) move their `sqlite_sequence` entry up to any larger id
//! inserted, so they never give an id used before either.

use async_trait::async_trait;
use jirasync_domain::StoreError;
use jirasync_domain::state::{StateSnapshot, StateStore};
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, SqliteConnection};

use super::SqliteStore;
use crate::sql_error::store_error;
use crate::state_rows::{
    ACTIVITIES, DELIVERY_LOG_TABLE, DOMAIN_TABLES, EXTERNAL_ACTORS, EXTERNAL_ISSUE_LINKS,
    EXTERNAL_ISSUES, IDENTITIES, INTEGRATION_WEBHOOK_SECRETS, INTEGRATIONS, ISSUE_ASSIGNEES,
    LOCAL_ISSUES, ORGANIZATION_INTEGRATIONS, ORGANIZATION_MEMBERS, ORGANIZATIONS, PROJECTS,
    StateRows, TEAM_MEMBERS, TEAM_PROJECTS, TEAMS, Table, USER_EMAILS, USERS,
};

const EXPORTING: &str = "exporting the state";
const REPLACING: &str = "replacing the state";

/// Every row of `table`, in its export order.
async fn read_table<R>(
    connection: &mut SqliteConnection,
    table: Table,
) -> Result<Vec<R>, StoreError>
where
    R: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
{
    sqlx::query_as::<_, R>(&table.select())
        .fetch_all(connection)
        .await
        .map_err(|error| store_error(EXPORTING, error))
}

/// Inserts every row of a table, binding each row tuple's fields in column order.
macro_rules! insert_rows {
    ($connection:expr, $table:expr, $rows:expr, $($field:tt),+) => {{
        let sql = $table.insert(|_| "?".to_owned());
        for row in &$rows {
            sqlx::query(&sql)
                $(.bind(&row.$field))+
                .execute(&mut *$connection)
                .await
                .map_err(|error| store_error(REPLACING, error))?;
        }
    }};
}

/// Every row of the state, read on one connection inside a read transaction.
async fn read_rows(connection: &mut SqliteConnection) -> Result<StateRows, StoreError> {
    Ok(StateRows {
        organizations: read_table(connection, ORGANIZATIONS).await?,
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
        organization_integrations: read_table(connection, ORGANIZATION_INTEGRATIONS).await?,
        external_issues: read_table(connection, EXTERNAL_ISSUES).await?,
        external_issue_links: read_table(connection, EXTERNAL_ISSUE_LINKS).await?,
        external_actors: read_table(connection, EXTERNAL_ACTORS).await?,
        activities: read_table(connection, ACTIVITIES).await?,
    })
}

/// Deletes the domain state (children first) and the delivery log; the inbox stays.
async fn delete_state(connection: &mut SqliteConnection) -> Result<(), StoreError> {
    let tables = DOMAIN_TABLES.iter().rev().map(|table| table.name);
    for table in tables.chain([DELIVERY_LOG_TABLE]) {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *connection)
            .await
            .map_err(|error| store_error(REPLACING, error))?;
    }
    Ok(())
}

/// Inserts every row, parents first.
async fn insert_state(
    connection: &mut SqliteConnection,
    rows: &StateRows,
) -> Result<(), StoreError> {
    insert_rows!(connection, ORGANIZATIONS, rows.organizations, 0, 1, 2, 3);
    insert_rows!(connection, USERS, rows.users, 0, 1);
    insert_rows!(connection, USER_EMAILS, rows.user_emails, 0, 1, 2, 3, 4);
    insert_rows!(
        connection,
        ORGANIZATION_MEMBERS,
        rows.organization_members,
        0,
        1
    );
    insert_rows!(connection, TEAMS, rows.teams, 0, 1, 2);
    insert_rows!(connection, TEAM_MEMBERS, rows.team_members, 0, 1, 2);
    insert_rows!(connection, PROJECTS, rows.projects, 0, 1, 2);
    insert_rows!(connection, TEAM_PROJECTS, rows.team_projects, 0, 1);
    insert_rows!(connection, LOCAL_ISSUES, rows.local_issues, 0, 1, 2, 3);
    insert_rows!(connection, ISSUE_ASSIGNEES, rows.issue_assignees, 0, 1, 2);
    insert_rows!(
        connection,
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
        INTEGRATION_WEBHOOK_SECRETS,
        rows.webhook_secrets,
        0,
        1,
        2
    );
    insert_rows!(
        connection,
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
        EXTERNAL_ISSUE_LINKS,
        rows.external_issue_links,
        0,
        1
    );
    insert_rows!(
        connection,
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
impl StateStore for SqliteStore {
    async fn export_state(&self) -> Result<StateSnapshot, StoreError> {
        // One read transaction: every table is read from the same snapshot of the database.
        let mut transaction = self
            .pool
            .begin()
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
        // The file's rules first, with the file's positions in the message; the schema's
        // constraints then refuse whatever the rules do not cover.
        snapshot
            .validate()
            .map_err(|error| StoreError::invalid(error.to_string()))?;
        let rows = StateRows::from_snapshot(snapshot)?;
        let mut transaction = self.begin_write(REPLACING).await?;
        delete_state(&mut transaction).await?;
        insert_state(&mut transaction, &rows).await?;
        transaction
            .commit()
            .await
            .map_err(|error| store_error(REPLACING, error))
    }
}
