//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) on PostgreSQL: the shared SQL of
//! `sql/issue_sync.rs`, with sessions serialised by row locks (`session.rs`), and the statements
//! a session runs in its transaction (SQLite's sessions run them on its writer instead).

use super::PostgresStore;
use crate::sql::issue_sync::{
    RECORD_DELIVERY, advance_watermark, watermark_column, watermarks_in_request_order,
};

crate::sql::issue_sync::issue_sync_store!(
    PostgresStore,
    ::sqlx::PgConnection,
    begin = super::session::begin
);

/// Whether the request's delivery key was recorded (false without a key).
pub(super) async fn delivery_recorded(
    connection: &mut ::sqlx::PgConnection,
    request: &IssueSyncRequest,
) -> Result<bool, ::sqlx::Error> {
    match &request.delivery_key {
        Some(delivery_key) => {
            let integration_id = sql_id(request.integration_id.get());
            delivery_logged(connection, integration_id, request.kind, delivery_key).await
        }
        None => Ok(false),
    }
}

/// The stored watermark of each organization of the request, in the request's order,
/// its external issue rows locked until the transaction ends (PostgreSQL).
pub(super) async fn request_watermarks(
    connection: &mut ::sqlx::PgConnection,
    request: &IssueSyncRequest,
) -> Result<Vec<(OrganizationId, Option<EventTime>)>, ::sqlx::Error> {
    let organizations: Vec<i64> = request
        .organizations
        .iter()
        .map(|organization| sql_id(organization.get()))
        .collect();
    let stored = stored_watermarks(
        connection,
        sql_id(request.integration_id.get()),
        &request.issue_key,
        request.kind,
        &organizations,
        true,
    )
    .await?;
    Ok(watermarks_in_request_order(request, &stored))
}

/// The commit's writes: the request's delivery key recorded, each watermark of
/// `advance` moved forward (never back), its external issue row created when missing,
/// and the sync's events appended.
pub(super) async fn finish_sync(
    connection: &mut ::sqlx::PgConnection,
    request: &IssueSyncRequest,
    advance: &[(OrganizationId, EventTime)],
    events: &[::jirasync_domain::events::Event],
    app_ids: bool,
) -> Result<(), ::sqlx::Error> {
    let integration_id = sql_id(request.integration_id.get());
    if let Some(delivery_key) = &request.delivery_key {
        ::sqlx::query(RECORD_DELIVERY)
            .bind(integration_id)
            .bind(request.kind.as_str())
            .bind(delivery_key.as_str())
            .execute(&mut *connection)
            .await?;
    }
    let Some(column) = watermark_column(request.kind) else {
        return super::events::append_events(connection, events, app_ids).await;
    };
    let advance_sql = advance_watermark(column);
    for (organization, time) in advance {
        ::sqlx::query(&advance_sql)
            .bind(sql_id(organization.get()))
            .bind(integration_id)
            .bind(request.issue_key.as_str())
            .bind(time.unix_millis())
            .execute(&mut *connection)
            .await?;
    }
    super::events::append_events(connection, events, app_ids).await
}
