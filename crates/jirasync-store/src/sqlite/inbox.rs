//! [`Inbox`](jirasync_domain::inbox::Inbox) on SQLite: the shared SQL of `sql/inbox.rs`, with
//! every write of the webhook path (enqueue, claim, renew, complete, fail) run on the store's
//! writer (`writer.rs`): the writes that arrive together are committed together, and the
//! writer holds the database's write lock while it runs them, so concurrent workers (of this
//! process, or of another sharing the file) take turns and never claim one delivery twice.
//!
//! Bodies live in a table of their own (`jirasync_inbox_bodies`, migration 13): written once
//! at enqueue, read by the claim, removed with their delivery. The delivery rows that claims,
//! renewals and completions rewrite stay small, many to a page.
//!
//! Values are bound by their `$N` names wherever a statement does not name them in order
//! (SQLite numbers parameters in the order they first appear).

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{DeliveryId, NewDelivery};
use jirasync_webhook::{DeliveryKey, EventTime};
use rusqlite::{Connection, OptionalExtension, named_params, params};

use super::SqliteStore;
use crate::inbox_headers::encode_headers;
use crate::sql::inbox::{
    ADVANCE_HEAD, BECOME_HEAD, BECOME_LEASED_HEAD, CLAIMABLE_HEADS, CLAIMED_COLUMNS_BUT_BODY,
    ClaimedRow, DROP_HEAD, DUE_HEADS, HOLD_HEAD, HeadChange, HeldUpdate, INSERT_BODY,
    INSERT_DELIVERY, LEASE_NEW_DELIVERY, SELECT_BODY, SELECT_STATE, StoredClaim, not_held_error,
    source_columns,
};
use crate::sql::values::unix_millis;
use crate::sql_error::direct_error;

crate::sql::inbox::inbox_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    claim = lease_claimable,
    direct = direct
);

/// The `direct = …` hooks of `inbox_store!`: the inbox's writes on the store's writer.
mod direct {
    pub(super) use super::{change_held, complete_held, enqueue, enqueue_leased};
}

/// Attempts are a `u32`; the column never goes past it.
const MAX_ATTEMPTS: i64 = u32::MAX as i64;

/// Whether any head is claimable, or due at `$1` (selects one row), from the heads' indexes.
const ANY_CLAIMABLE_HEAD: &str = "SELECT 1 FROM jirasync_inbox_heads WHERE waiting_until IS NULL \
    UNION ALL SELECT 1 FROM jirasync_inbox_heads WHERE waiting_until <= $1 LIMIT 1";

/// Writes a delivery through the store's writer, committed with the others queued with it.
pub(super) async fn enqueue(
    store: &SqliteStore,
    delivery: NewDelivery,
) -> Result<DeliveryId, StoreError> {
    const WHAT: &str = "enqueueing an inbox delivery";
    let received_at = unix_millis(delivery.received_at)?;
    store
        .writer
        .write(WHAT, move |connection| {
            insert_delivery(connection, &delivery, received_at, None)
                .map(|(id, _)| id)
                .map_err(|error| direct_error(WHAT, error))
        })
        .await
}

/// Writes a delivery through the store's writer as [`enqueue`] does, leased until
/// `leased_until` (stored milliseconds) as its first attempt when it becomes its key's head;
/// gives its id and whether it was leased.
pub(super) async fn enqueue_leased(
    store: &SqliteStore,
    delivery: NewDelivery,
    leased_until: i64,
) -> Result<(DeliveryId, bool), StoreError> {
    const WHAT: &str = "enqueueing an inbox delivery";
    let received_at = unix_millis(delivery.received_at)?;
    store
        .writer
        .write(WHAT, move |connection| {
            insert_delivery(connection, &delivery, received_at, Some(leased_until))
                .map_err(|error| direct_error(WHAT, error))
        })
        .await
}

/// The statements of [`enqueue`] and [`enqueue_leased`]: the row, its body (kept apart,
/// migration 13), then its place among the heads; with `lease`, a delivery that becomes its
/// key's head is held by its first claim until then. Gives the id and whether it was leased.
fn insert_delivery(
    connection: &Connection,
    delivery: &NewDelivery,
    received_at: i64,
    lease: Option<i64>,
) -> rusqlite::Result<(DeliveryId, bool)> {
    let (integration_id, token) = source_columns(&delivery.source);
    let occurred_at = delivery.occurred_at.map(EventTime::unix_millis);
    let ordering_key = delivery.ordering_key.as_deref();
    let id: i64 = connection.prepare_cached(INSERT_DELIVERY)?.query_row(
        named_params! {
            "$1": integration_id,
            "$2": token,
            "$4": encode_headers(&delivery.headers),
            "$5": received_at,
            "$6": ordering_key,
            "$7": occurred_at,
            "$8": delivery.delivery_key.as_ref().map(DeliveryKey::as_str),
        },
        |row| row.get(0),
    )?;
    connection
        .prepare_cached(INSERT_BODY)?
        .execute(params![id, delivery.body])?;
    let Some(leased_until) = lease else {
        connection
            .prepare_cached(BECOME_HEAD)?
            .execute(named_params! {
                "$1": id,
                "$2": ordering_key,
                "$3": occurred_at,
            })?;
        return Ok((DeliveryId::new(id), false));
    };
    let became_head = connection
        .prepare_cached(BECOME_LEASED_HEAD)?
        .query_row(
            named_params! {
                "$1": id,
                "$2": ordering_key,
                "$3": occurred_at,
                "$4": leased_until,
            },
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if became_head {
        connection
            .prepare_cached(LEASE_NEW_DELIVERY)?
            .execute(named_params! { "$1": id, "$2": leased_until })?;
    }
    Ok((DeliveryId::new(id), became_head))
}

/// Changes delivery `id` as `update` says if `attempt` still holds it, then its head as `then`
/// says, on the store's writer.
pub(super) async fn change_held(
    store: &SqliteStore,
    what: &'static str,
    id: DeliveryId,
    attempt: u32,
    update: HeldUpdate,
    then: HeadChange,
) -> Option<Result<(), StoreError>> {
    Some(
        store
            .writer
            .write(what, move |connection| {
                change_or_why_not(connection, what, id, attempt, &update, then)?
            })
            .await,
    )
}

/// Completes each of `claims` that its attempt still holds, and gives the others why not in
/// their place, in one job of the store's writer: one transaction for them all (committed with
/// the other writes queued beside it).
pub(super) async fn complete_held(
    store: &SqliteStore,
    what: &'static str,
    claims: &[(DeliveryId, u32)],
) -> Option<Result<Vec<Result<(), StoreError>>, StoreError>> {
    let claims = claims.to_vec();
    Some(
        store
            .writer
            .write(what, move |connection| {
                claims
                    .into_iter()
                    .map(|(id, attempt)| complete_in(connection, what, id, attempt))
                    .collect()
            })
            .await,
    )
}

/// Marks delivery `id` done and hands its key's head on, in the transaction of `connection`
/// (the writer's), if `attempt` still holds it; else why not as the inner error (see
/// [`change_or_why_not`]). Also what a sync session's commit runs for a completion it took.
pub(super) fn complete_in(
    connection: &Connection,
    what: &str,
    id: DeliveryId,
    attempt: u32,
) -> Result<Result<(), StoreError>, StoreError> {
    change_or_why_not(
        connection,
        what,
        id,
        attempt,
        &HeldUpdate::Complete,
        HeadChange::Advance,
    )
}

/// [`change`], then, when `attempt` does not hold delivery `id`, why not from its stored state
/// (it does not exist, or that attempt no longer holds it) as the inner error; the outer one
/// when a statement failed.
fn change_or_why_not(
    connection: &Connection,
    what: &str,
    id: DeliveryId,
    attempt: u32,
    update: &HeldUpdate,
    then: HeadChange,
) -> Result<Result<(), StoreError>, StoreError> {
    if change(connection, id, attempt, update, then).map_err(|error| direct_error(what, error))? {
        return Ok(Ok(()));
    }
    let state: Option<String> = connection
        .prepare_cached(SELECT_STATE)
        .and_then(|mut select| select.query_row([id.get()], |row| row.get(0)).optional())
        .map_err(|error| direct_error("reading an inbox delivery", error))?;
    Ok(Err(not_held_error(id, attempt, state.as_deref())))
}

/// The statements of [`change_held`]; false when `attempt` does not hold the delivery (nothing
/// changed).
fn change(
    connection: &Connection,
    id: DeliveryId,
    attempt: u32,
    update: &HeldUpdate,
    then: HeadChange,
) -> rusqlite::Result<bool> {
    let mut statement = connection.prepare_cached(update.sql())?;
    let attempt = i64::from(attempt);
    let key = |row: &rusqlite::Row<'_>| row.get::<_, Option<String>>(0);
    let ordering_key = match update {
        HeldUpdate::Renew { leased_until } => statement
            .query_row(params![leased_until, id.get(), attempt], key)
            .optional()?,
        HeldUpdate::Complete => statement
            .query_row(params![id.get(), attempt], key)
            .optional()?,
        HeldUpdate::Fail {
            state,
            error,
            retry_at,
        } => statement
            .query_row(params![state, error, retry_at, id.get(), attempt], key)
            .optional()?,
    };
    let Some(ordering_key) = ordering_key else {
        return Ok(false);
    };
    match then {
        HeadChange::Hold { until, held } => {
            connection
                .prepare_cached(HOLD_HEAD)?
                .execute(named_params! { "$1": id.get(), "$2": until, "$3": held })?;
        }
        HeadChange::Advance => {
            connection
                .prepare_cached(ADVANCE_HEAD)?
                .execute(named_params! { "$1": id.get(), "$2": ordering_key })?;
            connection.prepare_cached(DROP_HEAD)?.execute([id.get()])?;
        }
    }
    Ok(true)
}

/// Leases the first claimable heads, oldest first, and counts an attempt on each, on the
/// store's writer. An idle inbox is told apart with a direct read first, so that polling
/// workers do not queue writes.
async fn lease_claimable(
    store: &SqliteStore,
    claim: StoredClaim,
    what: &'static str,
) -> Result<Vec<ClaimedRow>, StoreError> {
    if !store
        .readers
        .exists(what, ANY_CLAIMABLE_HEAD, [claim.now])?
    {
        return Ok(Vec::new());
    }
    store
        .writer
        .write(what, move |connection| {
            lease(connection, claim).map_err(|error| direct_error(what, error))
        })
        .await
}

/// The statements of [`lease_claimable`].
fn lease(connection: &Connection, claim: StoredClaim) -> rusqlite::Result<Vec<ClaimedRow>> {
    connection
        .prepare_cached(&format!(
            "UPDATE jirasync_inbox_heads SET waiting_until = NULL WHERE delivery_id IN ({DUE_HEADS})"
        ))?
        .execute([claim.now])?;
    let mut rows = connection
        .prepare_cached(&format!(
            "UPDATE jirasync_inbox_deliveries \
             SET attempts = MIN(attempts + 1, {MAX_ATTEMPTS}), leased_until = $2 \
             WHERE id IN ({CLAIMABLE_HEADS}) \
             RETURNING {CLAIMED_COLUMNS_BUT_BODY}"
        ))?
        .query_map(
            named_params! { "$1": claim.limit, "$2": claim.leased_until },
            claimed_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let mut select_body = connection.prepare_cached(SELECT_BODY)?;
    for row in &mut rows {
        // A row without a body (only a hand-edited database has one) is handed out with an
        // empty body: the worker refuses it as not JSON and dead-letters it, naming it.
        if let Some(body) = select_body.query_row([row.0], body_column).optional()? {
            row.3 = body;
        }
    }
    // The same heads: nothing changed them since, and their order is total.
    connection
        .prepare_cached(&format!(
            "UPDATE jirasync_inbox_heads SET waiting_until = $2, held = TRUE \
             WHERE delivery_id IN ({CLAIMABLE_HEADS})"
        ))?
        .execute(named_params! { "$1": claim.limit, "$2": claim.leased_until })?;
    Ok(rows)
}

/// A body as stored, bytes or text (SQLite keeps either in a `BLOB` column; rows written before
/// the inbox kept bytes may hold text).
fn body_column(row: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<u8>> {
    match row.get_ref(0)? {
        rusqlite::types::ValueRef::Blob(bytes) | rusqlite::types::ValueRef::Text(bytes) => {
            Ok(bytes.to_vec())
        }
        other => Err(rusqlite::Error::InvalidColumnType(
            0,
            "body".to_owned(),
            other.data_type(),
        )),
    }
}

/// A claimed row, its body still empty: [`lease`] reads it next.
fn claimed_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimedRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        Vec::new(),
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
    ))
}

#[cfg(test)]
mod tests {
    use jirasync_domain::inbox::Inbox;

    use super::*;
    use crate::DatabaseUrl;
    use crate::sql::inbox::COUNT_DEPTH;

    /// The plan of `sql` on `connection`, one step a line.
    fn plan(connection: &Connection, sql: &str) -> Vec<String> {
        let mut explain = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        explain
            .query_map([0_i64], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A scrape of the depth reads the pending and dead rows through the claim-order index, not
    /// every row: a busy inbox keeps its done rows for days.
    #[tokio::test]
    async fn the_depth_is_counted_from_the_index_without_reading_the_done_rows() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("jirasync.db");
        let url = DatabaseUrl::new(format!("sqlite://{}", path.display()));
        let store = SqliteStore::open(&url).await.unwrap();
        let connection = Connection::open(&path).unwrap();
        // Mostly done rows, as after days of traffic, and the planner's statistics of them.
        connection
            .execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
                 INSERT INTO jirasync_inbox_deliveries (integration_id, headers, received_at, \
                     ordering_key, occurred_at, state, attempts, leased_until) \
                 SELECT 1, '', i, 'jira:1/APP-' || (i % 100), i, \
                     CASE WHEN i > 1990 THEN 'pending' WHEN i % 500 = 0 THEN 'dead' ELSE 'done' END, \
                     1, CASE WHEN i > 1995 THEN 10000 END \
                 FROM n; \
                 ANALYZE;",
            )
            .unwrap();

        let steps = plan(&connection, COUNT_DEPTH);
        assert!(
            steps
                .iter()
                .filter(|step| step.contains("jirasync_inbox_deliveries"))
                .all(|step| step.contains("USING") && step.contains("INDEX")),
            "{steps:#?}"
        );
        assert!(
            !steps
                .iter()
                .any(|step| step.starts_with("SCAN jirasync_inbox_deliveries")),
            "{steps:#?}"
        );
        let depth = store
            .depth(std::time::UNIX_EPOCH + std::time::Duration::from_millis(5000))
            .await
            .unwrap();
        assert_eq!((depth.ready, depth.leased, depth.dead), (5, 5, 3));
    }
}
