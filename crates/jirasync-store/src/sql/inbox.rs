//! [`Inbox`](jirasync_domain::inbox::Inbox) in SQL: the `jirasync_inbox_deliveries` table and
//! its heads, `jirasync_inbox_heads`.
//!
//! Times are stored as Unix epoch milliseconds, rounded down: a sub-millisecond part of a
//! `SystemTime` (such as `received_at`, or a lease's end) is dropped. Headers are stored as
//! `crate::inbox_headers` encodes them. A delivery names the integration whose URL token the
//! receiver verified, or (a row stored by version 1) keeps its token, verified again when
//! processed; the schema checks that exactly one is set.
//!
//! # Heads: a claim reads only what it claims
//!
//! A claim never looks at the backlog behind a key. `jirasync_inbox_heads` holds one row per
//! delivery a claim may hand out: the first pending delivery of each ordering key in processing
//! order, and every pending delivery without a key. Each change keeps it true in the same
//! transaction, touching one head:
//!
//! * **enqueue** and **replay** make the delivery its key's head ([`BECOME_HEAD`]) when the key
//!   has none, or when it comes before the head and no claim holds the head;
//! * **claim** takes the first claimable heads in processing order and marks them held until
//!   the lease ends ([`HOLD_HEAD`]); **renew** moves that end; a failure with a retry time
//!   releases the head until then;
//! * **complete** and **dead-lettering** move the head to the key's next pending delivery
//!   ([`ADVANCE_HEAD`]), or drop it ([`DROP_HEAD`]).
//!
//! A head whose lease or retry time has passed is made claimable again by the next claim
//! ([`DUE_HEADS`]), once per lease or retry. Every step is an index look-up, so a claim costs
//! the same behind 100 pending deliveries and behind 100,000.
//!
//! Every call is one SQL text on both back-ends but the claim, which must keep two workers (of
//! one process or of several) from claiming one delivery: SQLite leases the heads in a
//! `BEGIN IMMEDIATE` transaction (`sqlite/inbox.rs`), PostgreSQL picks them with
//! `FOR UPDATE SKIP LOCKED` over the heads' index and leases them in the same statement
//! (`postgres/inbox.rs`). Both return [`ClaimedRow`]s (SQLite reads the bodies, which it keeps
//! in a table of their own, after leasing), decoded and put in order here. On
//! PostgreSQL a key's head row is also the lock that orders the changes of the key: complete,
//! fail and renew lock it ([`LOCK_HEAD`]) before the delivery, as a claim does.

use std::time::{Duration, SystemTime};

use jirasync_domain::StoreError;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::inbox::{
    ClaimedDelivery, DeliveryId, DeliverySource, DeliveryState, DeliverySummary, NewDelivery,
    lease_end,
};
use jirasync_webhook::{DeliveryKey, EventTime, WebhookToken};

use super::values::{domain_id, optional_system_time, sql_id, system_time, unix_millis, unknown};
use crate::inbox_headers::decode_headers;

/// `SELECT delivery_id … LIMIT $1`: the first `$1` heads claimable now, in processing order
/// (oldest change first, no change time first, then oldest enqueued), from the index of the
/// claimable heads.
pub(crate) const CLAIMABLE_HEADS: &str = "SELECT delivery_id FROM jirasync_inbox_heads \
    WHERE waiting_until IS NULL ORDER BY occurred_at NULLS FIRST, delivery_id LIMIT $1";

/// `SELECT delivery_id … WHERE waiting_until <= $1`: the heads whose lease or retry time has
/// come at `$1`, from the index of the waiting heads. A claim makes them claimable
/// (`waiting_until = NULL`).
pub(crate) const DUE_HEADS: &str =
    "SELECT delivery_id FROM jirasync_inbox_heads WHERE waiting_until <= $1";

/// The text of an insert of a pending delivery, for the statements built on it: with the body
/// column and its value (PostgreSQL) or without (SQLite keeps bodies apart, migration 13).
macro_rules! insert_delivery {
    ($body_column:literal, $body_value:literal) => {
        concat!(
            "INSERT INTO jirasync_inbox_deliveries (integration_id, token, ",
            $body_column,
            "headers, received_at, ordering_key, occurred_at, delivery_key, state, attempts) \
             VALUES ($1, $2, ",
            $body_value,
            "$4, $5, $6, $7, $8, 'pending', 0)"
        )
    };
}

/// The conflict clause of [`BECOME_HEAD`], for the statements built on it.
macro_rules! become_head_on_conflict {
    () => {
        "ON CONFLICT (ordering_key) DO UPDATE SET delivery_id = excluded.delivery_id, \
         occurred_at = excluded.occurred_at, waiting_until = excluded.waiting_until, \
         held = excluded.held \
         WHERE NOT jirasync_inbox_heads.held \
         AND ((excluded.occurred_at IS NULL AND jirasync_inbox_heads.occurred_at IS NOT NULL) \
             OR excluded.occurred_at < jirasync_inbox_heads.occurred_at \
             OR ((excluded.occurred_at = jirasync_inbox_heads.occurred_at \
                 OR (excluded.occurred_at IS NULL AND jirasync_inbox_heads.occurred_at IS NULL)) \
                 AND excluded.delivery_id < jirasync_inbox_heads.delivery_id))"
    };
}

/// Inserts a pending delivery but its body: integration `$1`, legacy token `$2`, headers `$4`,
/// receipt time `$5`, ordering key `$6`, change time `$7`, delivery key `$8`; returns its id.
/// SQLite's inbox writes the body apart ([`INSERT_BODY`]).
#[cfg(feature = "sqlite")]
pub(crate) const INSERT_DELIVERY: &str = concat!(insert_delivery!("", ""), " RETURNING id");

/// Stores the body `$2` of delivery `$1` (SQLite, migration 13).
#[cfg(feature = "sqlite")]
pub(crate) const INSERT_BODY: &str =
    "INSERT INTO jirasync_inbox_bodies (delivery_id, body) VALUES ($1, $2)";

/// The body of delivery `$1` (SQLite, migration 13).
#[cfg(feature = "sqlite")]
pub(crate) const SELECT_BODY: &str =
    "SELECT body FROM jirasync_inbox_bodies WHERE delivery_id = $1";

/// Inserts a pending delivery with its body `$3`, and makes it a head as [`BECOME_HEAD`] does,
/// in one statement (PostgreSQL's data-modifying `WITH`), binding as [`INSERT_DELIVERY`] does;
/// returns the delivery's id. One round trip, atomic by itself, where the two statements take
/// four with their transaction.
#[cfg(feature = "postgres")]
pub(crate) const ENQUEUE_AS_HEAD: &str = concat!(
    "WITH delivery AS (",
    insert_delivery!("body, ", "$3, "),
    " RETURNING id, ordering_key, occurred_at), ",
    "head AS (INSERT INTO jirasync_inbox_heads \
     (delivery_id, ordering_key, occurred_at, waiting_until, held) \
     SELECT id, ordering_key, occurred_at, NULL, FALSE FROM delivery ",
    become_head_on_conflict!(),
    ") SELECT id FROM delivery"
);

/// Makes the pending delivery `$1` (ordering key `$2`, change time `$3`) a head: a delivery
/// without a key always is one; a key gets it as its head when it has none, or when it comes
/// before the head in processing order and no claim holds the head (a held head stays, so that
/// one key is never claimed twice at once; the older delivery comes next).
pub(crate) const BECOME_HEAD: &str = concat!(
    "INSERT INTO jirasync_inbox_heads (delivery_id, ordering_key, occurred_at, waiting_until, \
     held) VALUES ($1, $2, $3, NULL, FALSE) ",
    become_head_on_conflict!()
);

/// Makes the new delivery `$1` (ordering key `$2`, change time `$3`) a head as [`BECOME_HEAD`]
/// does, held by its first claim until `$4`; returns its id when it became the head (the caller
/// then leases the delivery, [`LEASE_NEW_DELIVERY`]), nothing when its key's head stays.
#[cfg(feature = "sqlite")]
pub(crate) const BECOME_LEASED_HEAD: &str = concat!(
    "INSERT INTO jirasync_inbox_heads (delivery_id, ordering_key, occurred_at, waiting_until, \
     held) VALUES ($1, $2, $3, $4, TRUE) ",
    become_head_on_conflict!(),
    " RETURNING delivery_id"
);

/// Leases the new delivery `$1` as its first attempt, until `$2` (SQLite, after
/// [`BECOME_LEASED_HEAD`]).
#[cfg(feature = "sqlite")]
pub(crate) const LEASE_NEW_DELIVERY: &str =
    "UPDATE jirasync_inbox_deliveries SET attempts = 1, leased_until = $2 WHERE id = $1";

/// Inserts a delivery with its body `$3` as [`ENQUEUE_AS_HEAD`] does, binding as it does, and
/// when it becomes its key's head, leases it as its first attempt until `$9`, in one statement:
/// the id is drawn first, so that the head (inserted held, or not inserted) decides the
/// delivery's attempts and lease as the row is written. Returns the id and the attempts (1:
/// leased; 0: pending).
#[cfg(feature = "postgres")]
pub(crate) const ENQUEUE_LEASED: &str = concat!(
    "WITH new AS (SELECT nextval(pg_get_serial_sequence('jirasync_inbox_deliveries', 'id')) \
     AS id), ",
    "head AS (INSERT INTO jirasync_inbox_heads \
     (delivery_id, ordering_key, occurred_at, waiting_until, held) \
     SELECT id, $6, $7, $9, TRUE FROM new ",
    become_head_on_conflict!(),
    " RETURNING delivery_id), ",
    "delivery AS (INSERT INTO jirasync_inbox_deliveries (id, integration_id, token, body, \
     headers, received_at, ordering_key, occurred_at, delivery_key, state, attempts, \
     leased_until) \
     SELECT new.id, $1, $2, $3, $4, $5, $6, $7, $8, 'pending', \
     CASE WHEN head.delivery_id IS NULL THEN 0 ELSE 1 END, \
     CASE WHEN head.delivery_id IS NULL THEN NULL ELSE $9::BIGINT END \
     FROM new LEFT JOIN head ON TRUE RETURNING id, attempts) ",
    "SELECT id, attempts FROM delivery"
);

/// The head of delivery `$1`, if it is one (ends with the back-end's `FOR UPDATE`).
pub(crate) const LOCK_HEAD: &str = "SELECT held FROM jirasync_inbox_heads WHERE delivery_id = $1";

/// Sets head `$1` to wait until `$2` (the end of a lease or a retry time), held by a claim or
/// not (`$3`).
pub(crate) const HOLD_HEAD: &str = "UPDATE jirasync_inbox_heads \
    SET waiting_until = $2, held = $3 WHERE delivery_id = $1";

/// Moves head `$1` (done or dead now) to the next pending delivery of its key `$2`, if there is
/// one; a key-less head, or a key with nothing left, is left for [`DROP_HEAD`].
pub(crate) const ADVANCE_HEAD: &str = "UPDATE jirasync_inbox_heads \
    SET delivery_id = next.id, occurred_at = next.occurred_at, \
    waiting_until = COALESCE(next.leased_until, next.available_at), \
    held = next.leased_until IS NOT NULL \
    FROM (SELECT id, occurred_at, leased_until, available_at FROM jirasync_inbox_deliveries \
        WHERE state = 'pending' AND ordering_key = $2 \
        ORDER BY occurred_at NULLS FIRST, id LIMIT 1) AS next \
    WHERE jirasync_inbox_heads.delivery_id = $1";

/// Removes head `$1` if [`ADVANCE_HEAD`] left it in place.
pub(crate) const DROP_HEAD: &str = "DELETE FROM jirasync_inbox_heads WHERE delivery_id = $1";

/// What a change of a held delivery does to its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadChange {
    /// The head waits until this stored time, held by a claim (a lease renewed) or not (a retry).
    Hold {
        /// Until when, in stored milliseconds.
        until: i64,
        /// Whether a claim still holds it.
        held: bool,
    },
    /// The delivery is done or dead: the next pending delivery of its key becomes the head.
    Advance,
}

/// A change of a delivery a claim holds: its statement updates the delivery if the attempt
/// still holds it (`WHERE id = … AND attempts = …`, binding the variant's values first, then the
/// id and the attempt) and returns its ordering key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeldUpdate {
    /// The lease moves to this stored time.
    Renew {
        /// The lease's new end, in stored milliseconds.
        leased_until: i64,
    },
    /// The delivery is done.
    Complete,
    /// The delivery failed: `pending` again (with a retry time) or `dead`.
    Fail {
        /// The new state's stored name.
        state: &'static str,
        /// Why it failed.
        error: String,
        /// When to try again, in stored milliseconds; `None` for a dead delivery.
        retry_at: Option<i64>,
    },
}

impl HeldUpdate {
    /// The statement; its values are bound from `$1`, then the id and the attempt.
    pub(crate) fn sql(&self) -> &'static str {
        match self {
            Self::Renew { .. } => {
                "UPDATE jirasync_inbox_deliveries SET leased_until = $1 \
                 WHERE id = $2 AND state = 'pending' AND attempts = $3 \
                 AND leased_until IS NOT NULL RETURNING ordering_key"
            }
            Self::Complete => {
                "UPDATE jirasync_inbox_deliveries \
                 SET state = 'done', leased_until = NULL, available_at = NULL \
                 WHERE id = $1 AND state = 'pending' AND attempts = $2 \
                 AND leased_until IS NOT NULL RETURNING ordering_key"
            }
            Self::Fail { .. } => {
                "UPDATE jirasync_inbox_deliveries \
                 SET state = $1, last_error = $2, available_at = $3, leased_until = NULL \
                 WHERE id = $4 AND state = 'pending' AND attempts = $5 \
                 AND leased_until IS NOT NULL RETURNING ordering_key"
            }
        }
    }
}

/// Why `attempt` could not change delivery `id`, from its stored state (`None`: no such
/// delivery): the attempt no longer holds it, or it does not exist.
pub(crate) fn not_held_error(id: DeliveryId, attempt: u32, state: Option<&str>) -> StoreError {
    match state {
        Some(_) => StoreError::conflict(format!(
            "inbox delivery {id} is no longer held by attempt {attempt}"
        )),
        None => StoreError::not_found(format!("inbox delivery {id}")),
    }
}

/// The state of delivery `$1`.
pub(crate) const SELECT_STATE: &str = "SELECT state FROM jirasync_inbox_deliveries WHERE id = $1";

/// The columns of a [`ClaimedRow`], with `$body` in the body's place.
macro_rules! claimed_columns {
    ($body:literal) => {
        concat!(
            "id, integration_id, token, ",
            $body,
            ", headers, received_at, ordering_key, occurred_at, delivery_key, attempts, \
             leased_until"
        )
    };
}

/// The columns of a [`ClaimedRow`], as a claim returns them (PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) const CLAIMED_COLUMNS: &str = claimed_columns!("body");

/// The columns of a [`ClaimedRow`] with `NULL` for the body, which SQLite keeps apart: its claim
/// reads the bodies next ([`SELECT_BODY`]).
#[cfg(feature = "sqlite")]
pub(crate) const CLAIMED_COLUMNS_BUT_BODY: &str = claimed_columns!("NULL");

/// A delivery a claim leased: id, integration, token, body, headers, receipt time, ordering key,
/// change time, delivery key, attempts, lease end.
pub(crate) type ClaimedRow = (
    i64,
    Option<i64>,
    Option<String>,
    Vec<u8>,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

/// The `SELECT` of [`SummaryRow`]s.
pub(crate) const SELECT_SUMMARY: &str = "SELECT id, state, attempts, received_at, ordering_key, \
    occurred_at, delivery_key, available_at, leased_until, last_error \
    FROM jirasync_inbox_deliveries";

/// A delivery as listed: id, state, attempts, receipt time, ordering key, change time, delivery
/// key, retry time, lease end, last error.
pub(crate) type SummaryRow = (
    i64,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

/// A claim as its statements bind it: the time it claims at, the end of the lease it takes, how
/// many deliveries at the most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredClaim {
    /// The claim's time, in stored milliseconds.
    pub(crate) now: i64,
    /// The lease's end, in stored milliseconds.
    pub(crate) leased_until: i64,
    /// How many deliveries at the most, as SQL's `LIMIT`.
    pub(crate) limit: i64,
}

impl StoredClaim {
    /// A claim at `now` of up to `limit` deliveries under a lease of `lease`.
    /// [`StoreError::Invalid`] when the lease would end out of range.
    pub(crate) fn new(now: SystemTime, lease: Duration, limit: usize) -> Result<Self, StoreError> {
        Ok(Self {
            now: unix_millis(now)?,
            leased_until: unix_millis(lease_end(now, lease)?)?,
            limit: sql_limit(limit),
        })
    }
}

/// The (integration, token) columns a delivery's source is stored in.
pub(crate) fn source_columns(source: &DeliverySource) -> (Option<i64>, Option<&str>) {
    match source {
        DeliverySource::Integration(integration) => (Some(sql_id(integration.get())), None),
        DeliverySource::LegacyToken(token) => (None, Some(token.expose_secret())),
    }
}

/// The source stored as (integration, token) columns.
pub(crate) fn source_from_columns(
    integration_id: Option<i64>,
    token: Option<String>,
) -> Result<DeliverySource, StoreError> {
    match (integration_id, token) {
        (Some(integration_id), None) => Ok(DeliverySource::Integration(IntegrationId::new(
            domain_id(integration_id)?,
        ))),
        (None, Some(token)) => Ok(DeliverySource::LegacyToken(WebhookToken::new(token))),
        _ => Err(StoreError::other(
            "an inbox delivery names neither one integration nor one token",
        )),
    }
}

/// The deliveries a claim leased, oldest first, as they were chosen (`RETURNING` gives no
/// order).
pub(crate) fn claimed_in_order(rows: Vec<ClaimedRow>) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let mut claimed = rows
        .into_iter()
        .map(claimed_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    claimed.sort_by_key(|claim| {
        (
            claim.delivery.occurred_at.map(EventTime::unix_millis),
            claim.id,
        )
    });
    Ok(claimed)
}

/// The claimed delivery a row describes.
fn claimed_from_row(row: ClaimedRow) -> Result<ClaimedDelivery, StoreError> {
    let (
        id,
        integration_id,
        token,
        body,
        headers,
        received_at,
        ordering_key,
        occurred_at,
        delivery_key,
        attempts,
        leased_until,
    ) = row;
    Ok(ClaimedDelivery {
        id: DeliveryId::new(id),
        attempt: attempts_from(attempts)?,
        leased_until: system_time(leased_until)?,
        delivery: NewDelivery {
            source: source_from_columns(integration_id, token)?,
            body,
            headers: decode_headers(&headers),
            received_at: system_time(received_at)?,
            ordering_key,
            occurred_at: occurred_at.map(EventTime::from_unix_millis),
            delivery_key: delivery_key.map(DeliveryKey::from_stored),
        },
    })
}

/// The summary a row describes.
pub(crate) fn summary_from_row(row: SummaryRow) -> Result<DeliverySummary, StoreError> {
    let (
        id,
        state,
        attempts,
        received_at,
        ordering_key,
        occurred_at,
        delivery_key,
        available_at,
        leased_until,
        last_error,
    ) = row;
    Ok(DeliverySummary {
        id: DeliveryId::new(id),
        state: DeliveryState::from_name(&state)
            .ok_or_else(|| unknown("inbox delivery state", &state))?,
        attempts: attempts_from(attempts)?,
        received_at: system_time(received_at)?,
        ordering_key,
        occurred_at: occurred_at.map(EventTime::from_unix_millis),
        delivery_key: delivery_key.map(DeliveryKey::from_stored),
        available_at: optional_system_time(available_at)?,
        leased_until: optional_system_time(leased_until)?,
        last_error,
    })
}

/// A stored attempt count as the domain's `u32`.
fn attempts_from(stored: i64) -> Result<u32, StoreError> {
    u32::try_from(stored)
        .map_err(|_| StoreError::other(format!("a stored attempt count is out of range: {stored}")))
}

/// A `usize` limit as SQL's `LIMIT`.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A stored count as a `u64` (a count is never negative).
pub(crate) fn count_from(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or_default()
}

/// How many deliveries are ready, leased (`$1` is now) and dead: each count read through the
/// claim-order index, whose first column is the state, so that a scrape reads the pending and
/// dead rows only, not the done ones a busy inbox keeps for days (one query counting all three
/// with `FILTER` read every row: 15 ms at 200,000 rows on SQLite, against under 0.1 ms).
pub(crate) const COUNT_DEPTH: &str = "SELECT \
    (SELECT COUNT(*) FROM jirasync_inbox_deliveries WHERE state = 'pending' \
        AND (leased_until IS NULL OR leased_until <= $1)), \
    (SELECT COUNT(*) FROM jirasync_inbox_deliveries WHERE state = 'pending' \
        AND leased_until > $1), \
    (SELECT COUNT(*) FROM jirasync_inbox_deliveries WHERE state = 'dead')";

/// Implements `Inbox` for `$store`, whose connections are `$connection`, with the claim's
/// statements delegated to `$claim` (`async fn(&$store, StoredClaim, what: &str) ->
/// Result<Vec<ClaimedRow>, StoreError>`): it makes the [`DUE_HEADS`] claimable, leases the
/// first [`CLAIMABLE_HEADS`], counting an attempt on each, and returns them as [`ClaimedRow`]s.
/// The back-end's module `$direct` writes a new delivery (`enqueue`: the delivery and its head,
/// [`INSERT_DELIVERY`] and [`BECOME_HEAD`], atomically) and may write a
/// held delivery's change and several deliveries' completion (`change_held`, `complete_held`,
/// `None` for the shared statements) its own way: on SQLite, the writer's group commit; on
/// PostgreSQL, a new delivery in one statement ([`ENQUEUE_AS_HEAD`]).
macro_rules! inbox_store {
    ($store:ident, $connection:ty, claim = $claim:path, direct = $direct:ident) => {
        // A block of its own: the expansion's imports stay out of the back-end's module, which
        // has its own for its claim.
        const _: () = {
            use ::std::time::{Duration, SystemTime};

            use ::async_trait::async_trait;
            use ::jirasync_domain::StoreError;
            use ::jirasync_domain::inbox::{
                ClaimedDelivery, DeliveryId, DeliveryState, DeliverySummary, Enqueued, FailOutcome,
                Inbox, InboxDepth, Lease, NewDelivery, lease_end,
            };

            use $crate::sql::Dialect;
            use $crate::sql::inbox::{
                ADVANCE_HEAD, BECOME_HEAD, COUNT_DEPTH, DROP_HEAD, HOLD_HEAD, HeadChange, HeldUpdate, LOCK_HEAD, SELECT_STATE, not_held_error,
                SELECT_SUMMARY, StoredClaim, SummaryRow, claimed_in_order, count_from, sql_limit,
                summary_from_row,
            };
            use $crate::sql::values::unix_millis;
            use $crate::sql_error::store_error;

            /// The stored state of delivery `id`, if there is such a delivery.
            async fn stored_state(
                connection: &mut $connection,
                id: DeliveryId,
            ) -> Result<Option<String>, ::sqlx::Error> {
                ::sqlx::query_scalar(SELECT_STATE)
                    .bind(id.get())
                    .fetch_optional(connection)
                    .await
            }

            /// Why `attempt` could not act on delivery `id`: it does not exist, or that attempt no
            /// longer holds it.
            async fn not_held(
                connection: &mut $connection,
                id: DeliveryId,
                attempt: u32,
            ) -> StoreError {
                match stored_state(connection, id).await {
                    Ok(state) => not_held_error(id, attempt, state.as_deref()),
                    Err(error) => store_error("reading an inbox delivery", error),
                }
            }

            /// Makes pending delivery `id` a head, or its key's head, when it comes first.
            async fn become_head(
                connection: &mut $connection,
                id: DeliveryId,
                ordering_key: Option<&str>,
                occurred_at: Option<i64>,
            ) -> Result<(), ::sqlx::Error> {
                ::sqlx::query(BECOME_HEAD)
                    .bind(id.get())
                    .bind(ordering_key)
                    .bind(occurred_at)
                    .execute(connection)
                    .await
                    .map(drop)
            }

            /// Locks delivery `id`'s head, if it is one, before the delivery is changed: the
            /// order a claim takes them in.
            async fn lock_head(
                connection: &mut $connection,
                id: DeliveryId,
            ) -> Result<(), ::sqlx::Error> {
                ::sqlx::query(&format!("{LOCK_HEAD}{}", <$store as Dialect>::FOR_UPDATE))
                    .bind(id.get())
                    .fetch_optional(connection)
                    .await
                    .map(drop)
            }

            /// Hands the head of delivery `id`, done or dead now, to the next pending
            /// delivery of its key, or removes it.
            async fn advance_head(
                connection: &mut $connection,
                id: DeliveryId,
                ordering_key: Option<&str>,
            ) -> Result<(), ::sqlx::Error> {
                ::sqlx::query(ADVANCE_HEAD)
                    .bind(id.get())
                    .bind(ordering_key)
                    .execute(&mut *connection)
                    .await?;
                ::sqlx::query(DROP_HEAD)
                    .bind(id.get())
                    .execute(connection)
                    .await
                    .map(drop)
            }

            /// Sets the head of delivery `id` to wait until `until`, held by a claim or not.
            async fn hold_head(
                connection: &mut $connection,
                id: DeliveryId,
                until: Option<i64>,
                held: bool,
            ) -> Result<(), ::sqlx::Error> {
                ::sqlx::query(HOLD_HEAD)
                    .bind(id.get())
                    .bind(until)
                    .bind(held)
                    .execute(connection)
                    .await
                    .map(drop)
            }

            /// Runs `update` on delivery `id` if `attempt` still holds it, with its head locked
            /// first, then changes the head as `then` says, in `connection`'s transaction; false
            /// when `attempt` does not hold the delivery (nothing changed).
            async fn change_in(
                connection: &mut $connection,
                id: DeliveryId,
                attempt: u32,
                update: &HeldUpdate,
                then: HeadChange,
            ) -> Result<bool, ::sqlx::Error> {
                let query = ::sqlx::query_scalar::<_, Option<String>>(update.sql());
                let query = match update {
                    HeldUpdate::Renew { leased_until } => query.bind(*leased_until),
                    HeldUpdate::Complete => query,
                    HeldUpdate::Fail { state, error, retry_at } => {
                        query.bind(*state).bind(error.as_str()).bind(*retry_at)
                    }
                };
                lock_head(&mut *connection, id).await?;
                let Some(ordering_key) = query
                    .bind(id.get())
                    .bind(i64::from(attempt))
                    .fetch_optional(&mut *connection)
                    .await?
                else {
                    return Ok(false);
                };
                match then {
                    HeadChange::Hold { until, held } => {
                        hold_head(connection, id, Some(until), held).await?;
                    }
                    HeadChange::Advance => {
                        advance_head(connection, id, ordering_key.as_deref()).await?;
                    }
                }
                Ok(true)
            }

            /// [`change_in`], then, when `attempt` does not hold delivery `id`, why not
            /// ([`StoreError::Conflict`] / [`StoreError::NotFound`]) as the inner error; the
            /// outer one when a statement failed.
            async fn change_or_why_not(
                connection: &mut $connection,
                what: &str,
                id: DeliveryId,
                attempt: u32,
                update: &HeldUpdate,
                then: HeadChange,
            ) -> Result<Result<(), StoreError>, StoreError> {
                let changed = change_in(&mut *connection, id, attempt, update, then)
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(if changed { Ok(()) } else { Err(not_held(connection, id, attempt).await) })
            }

            impl $store {
                /// Marks delivery `id` done and hands its key's head on, in `connection`'s
                /// transaction, if `attempt` still holds it; else why not as the inner error
                /// ([`change_or_why_not`]). What a sync session's commit runs for the
                /// completion it took.
                pub(crate) async fn complete_in(
                    connection: &mut $connection,
                    what: &str,
                    id: DeliveryId,
                    attempt: u32,
                ) -> Result<Result<(), StoreError>, StoreError> {
                    let (update, then) = (&HeldUpdate::Complete, HeadChange::Advance);
                    change_or_why_not(connection, what, id, attempt, update, then).await
                }
            }

            /// Runs `update` on delivery `id` if `attempt` still holds it, then changes its head
            /// as `then` says ([`change_in`]), in a transaction of its own.
            /// [`StoreError::Conflict`] / [`StoreError::NotFound`] when `attempt` does not hold
            /// the delivery.
            async fn change_held(
                store: &$store,
                what: &'static str,
                id: DeliveryId,
                attempt: u32,
                update: HeldUpdate,
                then: HeadChange,
            ) -> Result<(), StoreError> {
                if let Some(changed) =
                    $direct::change_held(store, what, id, attempt, update.clone(), then).await
                {
                    return changed;
                }
                let mut transaction = $crate::sql::begin_write::<$store>(&store.pool, what).await?;
                // Not held: the transaction is dropped, rolled back.
                change_or_why_not(&mut transaction, what, id, attempt, &update, then).await??;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))
            }

            /// Completes each of `claims` that its attempt still holds, in one transaction; the
            /// others get why not, in their place.
            async fn complete_held(
                store: &$store,
                claims: &[(DeliveryId, u32)],
            ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
                const WHAT: &str = "completing inbox deliveries";
                if let Some(completed) = $direct::complete_held(store, WHAT, claims).await {
                    return completed;
                }
                let mut transaction = $crate::sql::begin_write::<$store>(&store.pool, WHAT).await?;
                let mut outcomes = Vec::with_capacity(claims.len());
                for &(id, attempt) in claims {
                    outcomes.push($store::complete_in(&mut transaction, WHAT, id, attempt).await?);
                }
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(WHAT, error))?;
                Ok(outcomes)
            }

            #[async_trait]
            impl Inbox for $store {
                async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError> {
                    $direct::enqueue(self, delivery).await
                }

                async fn enqueue_leased(
                    &self,
                    delivery: NewDelivery,
                    now: SystemTime,
                    lease: Duration,
                ) -> Result<Enqueued, StoreError> {
                    let leased_until = unix_millis(lease_end(now, lease)?)?;
                    let (id, leased) =
                        $direct::enqueue_leased(self, delivery, leased_until).await?;
                    let lease = if leased {
                        Some(Lease {
                            attempt: 1,
                            leased_until: $crate::sql::values::system_time(leased_until)?,
                        })
                    } else {
                        None
                    };
                    Ok(Enqueued { id, lease })
                }

                async fn claim(
                    &self,
                    now: SystemTime,
                    lease: Duration,
                    limit: usize,
                ) -> Result<Vec<ClaimedDelivery>, StoreError> {
                    // Nothing to claim: no statement (on SQLite it would take the write lock).
                    if limit == 0 {
                        return Ok(Vec::new());
                    }
                    let claim = StoredClaim::new(now, lease, limit)?;
                    let rows = $claim(self, claim, "claiming inbox deliveries").await?;
                    claimed_in_order(rows)
                }

                async fn renew(
                    &self,
                    id: DeliveryId,
                    attempt: u32,
                    until: SystemTime,
                ) -> Result<(), StoreError> {
                    let until = unix_millis(until)?;
                    let update = HeldUpdate::Renew { leased_until: until };
                    let then = HeadChange::Hold { until, held: true };
                    change_held(self, "renewing an inbox lease", id, attempt, update, then).await
                }

                async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
                    let what = "completing an inbox delivery";
                    change_held(self, what, id, attempt, HeldUpdate::Complete, HeadChange::Advance)
                        .await
                }

                async fn complete_all(
                    &self,
                    claims: &[(DeliveryId, u32)],
                ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
                    // Nothing to complete: no statement (on SQLite it would take the write lock).
                    if claims.is_empty() {
                        return Ok(Vec::new());
                    }
                    complete_held(self, claims).await
                }

                async fn fail(
                    &self,
                    id: DeliveryId,
                    attempt: u32,
                    error: &str,
                    retry_at: Option<SystemTime>,
                ) -> Result<FailOutcome, StoreError> {
                    let outcome = FailOutcome::from_retry_at(retry_at);
                    let retry_at = retry_at.map(unix_millis).transpose()?;
                    let update = HeldUpdate::Fail {
                        state: outcome.state().as_str(),
                        error: error.to_owned(),
                        retry_at,
                    };
                    // A retry keeps the key's head until then; a dead delivery hands it on.
                    let then = match retry_at {
                        Some(until) => HeadChange::Hold { until, held: false },
                        None => HeadChange::Advance,
                    };
                    let what = "recording an inbox delivery's failure";
                    change_held(self, what, id, attempt, update, then).await?;
                    Ok(outcome)
                }

                async fn replay(&self, id: DeliveryId) -> Result<(), StoreError> {
                    let what = "replaying an inbox delivery";
                    let mut transaction =
                        $crate::sql::begin_write::<$store>(&self.pool, what).await?;
                    let replayed: Option<(Option<String>, Option<i64>)> = ::sqlx::query_as(
                        "UPDATE jirasync_inbox_deliveries SET state = 'pending', attempts = 0, \
                         available_at = NULL, leased_until = NULL, last_error = NULL \
                         WHERE id = $1 AND state = 'dead' RETURNING ordering_key, occurred_at",
                    )
                    .bind(id.get())
                    .fetch_optional(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    if let Some((ordering_key, occurred_at)) = replayed {
                        become_head(&mut transaction, id, ordering_key.as_deref(), occurred_at)
                            .await
                            .map_err(|error| store_error(what, error))?;
                        return transaction
                            .commit()
                            .await
                            .map_err(|error| store_error(what, error));
                    }
                    let state = stored_state(&mut transaction, id)
                        .await
                        .map_err(|error| store_error(what, error))?;
                    Err(match state {
                        None => StoreError::not_found(format!("inbox delivery {id}")),
                        Some(state) => StoreError::conflict(format!(
                            "inbox delivery {id} is {state}, only a dead delivery can be replayed"
                        )),
                    })
                }

                async fn list(
                    &self,
                    state: Option<DeliveryState>,
                    limit: usize,
                ) -> Result<Vec<DeliverySummary>, StoreError> {
                    // The cast: PostgreSQL must know the type of a parameter compared with NULL.
                    let rows: Vec<SummaryRow> = ::sqlx::query_as(&format!(
                        "{SELECT_SUMMARY} WHERE CAST($1 AS TEXT) IS NULL OR state = $1 \
                         ORDER BY id LIMIT $2"
                    ))
                    .bind(state.map(DeliveryState::as_str))
                    .bind(sql_limit(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|error| store_error("listing inbox deliveries", error))?;
                    rows.into_iter().map(summary_from_row).collect()
                }

                async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError> {
                    let (ready, leased, dead): (i64, i64, i64) = ::sqlx::query_as(COUNT_DEPTH)
                        .bind(unix_millis(now)?)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(|error| store_error("counting inbox deliveries", error))?;
                    Ok(InboxDepth {
                        ready: count_from(ready),
                        leased: count_from(leased),
                        dead: count_from(dead),
                    })
                }

                async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError> {
                    let deleted = ::sqlx::query(
                        "DELETE FROM jirasync_inbox_deliveries \
                         WHERE state = 'done' AND received_at < $1",
                    )
                    .bind(unix_millis(before)?)
                    .execute(&self.pool)
                    .await
                    .map_err(|error| store_error("purging done inbox deliveries", error))?;
                    Ok(deleted.rows_affected())
                }
            }
        };
    };
}

pub(crate) use inbox_store;

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn a_claim_binds_its_time_and_lease_end_in_milliseconds() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
        let claim = StoredClaim::new(now, Duration::from_secs(30), 5).unwrap();
        assert_eq!(
            claim,
            StoredClaim {
                now: 1_700_000_000_000,
                leased_until: 1_700_000_030_000,
                limit: 5,
            }
        );
    }

    #[test]
    fn a_lease_end_is_the_end_time_rounded_down() {
        let now = UNIX_EPOCH + Duration::from_micros(600);
        let claim = StoredClaim::new(now, Duration::from_micros(600), 1).unwrap();
        assert_eq!((claim.now, claim.leased_until), (0, 1));
    }

    #[test]
    fn a_lease_ending_out_of_range_is_invalid() {
        let error = StoredClaim::new(UNIX_EPOCH, Duration::MAX, 1).unwrap_err();
        assert!(matches!(error, StoreError::Invalid { .. }), "{error}");
    }

    #[test]
    fn claimed_deliveries_come_oldest_change_first_then_oldest_enqueued() {
        let row = |id: i64, occurred_at: Option<i64>| -> ClaimedRow {
            (
                id,
                Some(1),
                None,
                Vec::new(),
                String::new(),
                0,
                None,
                occurred_at,
                None,
                1,
                30_000,
            )
        };
        let rows = vec![
            row(4, Some(5)),
            row(3, Some(5)),
            row(2, None),
            row(1, Some(9)),
        ];
        let ids: Vec<i64> = claimed_in_order(rows)
            .unwrap()
            .iter()
            .map(|claim| claim.id.get())
            .collect();
        assert_eq!(ids, [2, 3, 4, 1]);
    }

    #[test]
    fn an_attempt_count_beyond_u32_is_an_error() {
        assert_eq!(attempts_from(3).unwrap(), 3);
        assert!(attempts_from(i64::from(u32::MAX) + 1).is_err());
        assert!(attempts_from(-1).is_err());
    }
}
