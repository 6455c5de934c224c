//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) on PostgreSQL: the shared SQL of
//! `sql/issue_sync.rs`, with sessions serialised by row locks (`session.rs`), and the statements
//! a session runs in its transaction (SQLite's sessions run them on its writer instead).

use super::PostgresStore;
use crate::sql::issue_sync::{advance_watermarks, watermark_column, watermarks_in_request_order};

crate::sql::issue_sync::issue_sync_store!(
    PostgresStore,
    ::sqlx::PgConnection,
    begin = super::session::begin
);

/// A session's start after its `BEGIN`, in one statement: records the request's delivery key
/// (`$4`, of kind `$3`, when not null), then creates the missing `jirasync_external_issues` rows
/// of the Jira issue `$2` of integration `$1` in the organizations `$5` and locks them all, in
/// organization order. It reads one row: whether the key was recorded now (a key already
/// recorded inserts nothing; one being recorded by an open session makes this statement wait for
/// it), and the organizations with their watermarks of `kind`, in organization order. A
/// duplicate (the key was recorded before) neither creates nor locks rows.
///
/// The upsert (`DO UPDATE`) both locks each row and returns its **latest** version, so the
/// watermarks read are those of the sessions this one waited for. A plain `SELECT … FOR UPDATE`
/// in the same statement would read the statement's older snapshot.
fn start_session(kind: SyncKind) -> String {
    let watermark = watermark_column(kind).unwrap_or("CAST(NULL AS BIGINT)");
    format!(
        "WITH recorded AS (INSERT INTO jirasync_seen_deliveries \
         (integration_id, kind, delivery_key) SELECT $1, $3, $4 WHERE $4::TEXT IS NOT NULL \
         ON CONFLICT DO NOTHING RETURNING 1), \
         locked AS (INSERT INTO jirasync_external_issues (organization_id, integration_id, key) \
         SELECT organization, $1, $2 FROM unnest($5::BIGINT[]) AS organization \
         WHERE $4::TEXT IS NULL OR EXISTS (SELECT 1 FROM recorded) ORDER BY organization \
         ON CONFLICT (organization_id, integration_id, key) DO UPDATE SET key = excluded.key \
         RETURNING organization_id, {watermark} AS watermark) \
         SELECT EXISTS (SELECT 1 FROM recorded), \
         ARRAY(SELECT organization_id FROM locked ORDER BY organization_id), \
         ARRAY(SELECT watermark FROM locked ORDER BY organization_id)"
    )
}

/// What [`start`] read: `None` when the request's delivery was applied before, otherwise the
/// watermark of each organization of the request, in the request's order.
pub(super) type Started = Option<Vec<(OrganizationId, Option<EventTime>)>>;

/// Records the request's delivery key and locks its rows, in the caller's transaction (see
/// [`start_session`]).
pub(super) async fn start(
    connection: &mut ::sqlx::PgConnection,
    request: &IssueSyncRequest,
) -> Result<Started, ::sqlx::Error> {
    let organizations: Vec<i64> = request
        .organizations
        .iter()
        .map(|organization| sql_id(organization.get()))
        .collect();
    let (recorded, stored_organizations, stored_watermarks): (bool, Vec<i64>, Vec<Option<i64>>) =
        ::sqlx::query_as(&start_session(request.kind))
            .bind(sql_id(request.integration_id.get()))
            .bind(request.issue_key.as_str())
            .bind(request.kind.as_str())
            .bind(request.delivery_key.as_ref().map(DeliveryKey::as_str))
            .bind(&organizations)
            .fetch_one(connection)
            .await?;
    if request.delivery_key.is_some() && !recorded {
        return Ok(None);
    }
    let stored: Vec<(i64, Option<i64>)> = stored_organizations
        .into_iter()
        .zip(stored_watermarks)
        .collect();
    Ok(Some(watermarks_in_request_order(request, &stored)))
}

/// The commit's writes (the delivery key was recorded when the session started): each watermark
/// of `advance` moved forward (never back), its external issue row created when missing, in one
/// statement, and the sync's events appended.
pub(super) async fn finish_sync(
    connection: &mut ::sqlx::PgConnection,
    request: &IssueSyncRequest,
    advance: &[(OrganizationId, EventTime)],
    events: &[::jirasync_domain::events::Event],
    app_ids: bool,
) -> Result<(), ::sqlx::Error> {
    if let Some(column) = watermark_column(request.kind).filter(|_| !advance.is_empty()) {
        let (organizations, times): (Vec<i64>, Vec<i64>) = advance
            .iter()
            .map(|(organization, time)| (sql_id(organization.get()), time.unix_millis()))
            .unzip();
        ::sqlx::query(&advance_watermarks(column))
            .bind(&organizations)
            .bind(sql_id(request.integration_id.get()))
            .bind(request.issue_key.as_str())
            .bind(&times)
            .execute(&mut *connection)
            .await?;
    }
    super::events::append_events(connection, events, app_ids).await
}
