//! [`IssueSyncStore`] and [`WatermarkStore`] on PostgreSQL: the shared SQL of
//! `sql/issue_sync.rs`, with the ordering guard held by row locks so that several instances on
//! one database apply a Jira issue's events as if one after the other.

use sqlx::PgConnection;

use super::PostgresStore;

// `PlanGuard` and `StoreError` are in scope through the expansion at the end of the file.

/// Locks the plan's `external_issues` rows (one per organization, created without watermarks
/// when missing) in organization order. A concurrent plan for the same Jira issue waits here
/// until this one commits, then reads the watermarks this one wrote; the common order means two
/// plans never wait for each other. The delivery log's row, inserted before, is race-safe on its
/// own: a second insert of the same key waits for the first transaction and then does nothing.
async fn lock_plan_rows(
    connection: &mut PgConnection,
    guard: &PlanGuard,
    organizations: &[i64],
) -> Result<(), StoreError> {
    let what = what(guard.kind);
    for organization in organizations {
        sqlx::query(
            "INSERT INTO external_issues (organization_id, integration_id, key) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(organization)
        .bind(guard.integration_id)
        .bind(guard.issue_key.as_str())
        .execute(&mut *connection)
        .await
        .map_err(|error| store_error(what, error))?;
    }
    sqlx::query(
        "SELECT id FROM external_issues \
         WHERE integration_id = $1 AND key = $2 AND organization_id = ANY($3) \
         ORDER BY organization_id FOR UPDATE",
    )
    .bind(guard.integration_id)
    .bind(guard.issue_key.as_str())
    .bind(organizations)
    .execute(&mut *connection)
    .await
    .map_err(|error| store_error(what, error))?;
    Ok(())
}

crate::sql::issue_sync::issue_sync_store!(
    PostgresStore,
    PgConnection,
    lock = lock_plan_rows,
    local_issue = super::issue_links::local_issue
);
