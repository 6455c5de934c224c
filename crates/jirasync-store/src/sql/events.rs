//! [`EventStore`](jirasync_domain::EventStore) in SQL: the outbox of outgoing events
//! (`jirasync_events`), its subscribers and one delivery per (subscriber, event).
//!
//! Events are appended by [`append_events`](self) inside the transaction of the change they
//! describe (the sync commit, an install, a link or unlink). On PostgreSQL each append is one
//! statement ([`Dialect::APPEND_EVENT`](super::Dialect::APPEND_EVENT)) that first takes a
//! transaction advisory lock: identities are handed out when a row is inserted, not when it is
//! committed, so without it a reader of `after=CURSOR` could see sequence 8 committed before 7
//! and skip 7 for ever. The lock is taken at the end of the transaction and held only until its
//! commit. SQLite has one writer at a time: nothing to do.

use jirasync_domain::StoreError;
use jirasync_domain::events::{
    DeliveryStatus, Event, EventCursor, EventId, EventPayload, EventTimestamp, SigningSecret,
    StoredEvent, Subscriber, SubscriberId, SubscriberUrl,
};

use super::values::domain_id;

/// The columns of an [`EventRow`], from `jirasync_events e`.
pub(crate) const EVENT_COLUMNS: &str =
    "e.sequence, e.id, e.type, e.organization_id, e.occurred_at, e.data";

/// A `jirasync_events` row: sequence, id, type, organization, time, data.
pub(crate) type EventRow = (i64, String, String, i64, i64, String);

/// The columns of a [`SubscriberRow`].
pub(crate) const SUBSCRIBER_COLUMNS: &str =
    "id, url, description, secret, previous_secret, created_at";

/// A `jirasync_event_subscribers` row.
pub(crate) type SubscriberRow = (i64, String, String, String, Option<String>, i64);

/// A non-negative stored number as the domain's.
pub(crate) fn stored_u64(raw: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(raw)
        .map_err(|_| StoreError::other(format!("the store holds a negative {what}: {raw}")))
}

/// A domain number as stored (saturating: times and counts never reach 2^63).
pub(crate) fn sql_u64(raw: u64) -> i64 {
    i64::try_from(raw).unwrap_or(i64::MAX)
}

/// The event a row describes.
pub(crate) fn event_from_row(row: EventRow) -> Result<StoredEvent, StoreError> {
    let (sequence, id, event_type, organization_id, occurred_at, data) = row;
    let data: serde_json::Value = serde_json::from_str(&data).map_err(|error| {
        StoreError::other(format!(
            "the data of stored event {id} is not JSON: {error}"
        ))
    })?;
    let payload = EventPayload::from_parts(&event_type, data).map_err(StoreError::other)?;
    let id = EventId::parse(&id).map_err(|error| StoreError::other(error.to_string()))?;
    Ok(StoredEvent {
        cursor: EventCursor::new(stored_u64(sequence, "event sequence")?),
        event: Event {
            id,
            timestamp: EventTimestamp::from_unix_millis(stored_u64(occurred_at, "event time")?),
            organization_id: domain_id(organization_id)?,
            payload,
        },
    })
}

/// The subscriber a row describes.
pub(crate) fn subscriber_from_row(row: SubscriberRow) -> Result<Subscriber, StoreError> {
    let (id, url, description, secret, previous_secret, created_at) = row;
    Ok(Subscriber {
        id: SubscriberId::new(domain_id(id)?),
        url: SubscriberUrl::from_stored(url),
        description,
        secret: SigningSecret::new(secret),
        previous_secret: previous_secret.map(SigningSecret::new),
        created_at: EventTimestamp::from_unix_millis(stored_u64(created_at, "time")?),
    })
}

/// A stored delivery status.
pub(crate) fn delivery_status(name: &str) -> Result<DeliveryStatus, StoreError> {
    DeliveryStatus::from_name(name).ok_or_else(|| super::values::unknown("delivery status", name))
}

/// Whether any event delivery is pending and due at `$1` (selects one row).
pub(crate) const ANY_EVENT_DELIVERY_DUE: &str = "SELECT 1 FROM jirasync_event_deliveries \
    WHERE status = 'pending' AND due_at <= $1 LIMIT 1";

/// Inserts an event: id `$1`, type `$2`, organization `$3`, ordering key `$4`, time `$5`, data
/// `$6`; returns its sequence.
pub(crate) const INSERT_EVENT: &str = "INSERT INTO jirasync_events \
    (id, type, organization_id, ordering_key, occurred_at, data) \
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING sequence";

/// A pending delivery of event `$1` (ordering key `$2`, due at `$3`) for every subscriber.
pub(crate) const INSERT_EVENT_DELIVERIES: &str = "INSERT INTO jirasync_event_deliveries \
    (subscriber_id, event_sequence, ordering_key, status, due_at, pending_since) \
    SELECT id, $1, $2, 'pending', $3, $3 FROM jirasync_event_subscribers";

/// The statement that reads, in one row, the application ids an event names (from the
/// standalone host's tables: its organization, issue, users and teams), its binds, and the
/// slots the row's columns go to, in column order. An id whose record has none (or is gone)
/// reads as `NULL`.
pub(crate) fn app_id_query(event: &mut Event) -> (String, Vec<i64>, Vec<&mut Option<String>>) {
    let organization_id = sql_u64(event.organization_id);
    let slots = event.payload.app_id_slots();
    let mut sql =
        "SELECT (SELECT app_id FROM organization_app_ids WHERE organization_id = $1)".to_owned();
    let mut binds = vec![organization_id];
    let mut targets = vec![slots.organization];
    let issue = slots
        .issue
        .map(|(issue, slot)| ("local_issues", issue.get(), slot));
    let users = slots
        .users
        .into_iter()
        .map(|(user, slot)| ("users", user.get(), slot));
    let teams = slots
        .teams
        .into_iter()
        .map(|(team, slot)| ("teams", team.get(), slot));
    for (table, id, slot) in issue.into_iter().chain(users).chain(teams) {
        binds.push(super::values::sql_id(id));
        sql.push_str(&format!(
            ", (SELECT app_id FROM {table} WHERE id = ${})",
            binds.len()
        ));
        targets.push(slot);
    }
    (sql, binds, targets)
}

/// Implements `EventStore` for `$store`, whose connections are `$connection`, and
/// `append_events(connection, events)`, which the other writes call in their transactions. The
/// module `$direct` (`sql/no_direct.rs`, `sqlite/direct.rs`, `postgres/events.rs`) may tell a
/// claim that nothing is due before it takes any lock.
macro_rules! event_store {
    ($store:ident, $connection:ty, direct = $direct:ident) => {
        use ::std::time::Duration;

        use ::async_trait::async_trait;
        use ::jirasync_domain::events::{
            DeliveryClaim, DeliveryFilter, DeliveryJob, DeliveryRecord, DeliveryResult,
            DeliveryStatus, Event, EventCursor, EventId, EventTimestamp, NewSubscriber,
            SigningSecret, StoredEvent, Subscriber, SubscriberId,
        };
        use ::jirasync_domain::store::missing::{lost_claim, missing_subscriber};
        use ::jirasync_domain::store::EventHub;
        use ::jirasync_domain::{EventStore, StoreError};

        use $crate::sql::Dialect;
        use $crate::sql::events::{
            EVENT_COLUMNS, EventRow, INSERT_EVENT, INSERT_EVENT_DELIVERIES, SUBSCRIBER_COLUMNS,
            SubscriberRow, app_id_query, delivery_status, event_from_row, sql_u64, stored_u64,
            subscriber_from_row,
        };
        use $crate::sql::values::sql_id;
        use $crate::sql_error::store_error;

        /// Fills in the application ids `event` names, from the standalone host's tables, in
        /// one statement; an id whose record has none (or is gone) stays `null`.
        async fn fill_app_ids(
            connection: &mut $connection,
            event: &mut Event,
        ) -> Result<(), ::sqlx::Error> {
            let (sql, binds, targets) = app_id_query(event);
            let mut query = ::sqlx::query(&sql);
            for bind in binds {
                query = query.bind(bind);
            }
            let row = query.fetch_one(&mut *connection).await?;
            for (index, slot) in targets.into_iter().enumerate() {
                *slot = ::sqlx::Row::try_get(&row, index)?;
            }
            Ok(())
        }

        /// Appends stamped events in the caller's transaction, each with a pending delivery per
        /// subscriber (see the module docs of `sql/events.rs` for the lock on PostgreSQL). With
        /// `app_ids` (a store holding the standalone host's tables) each event gets the
        /// application ids of what it names.
        pub(super) async fn append_events(
            connection: &mut $connection,
            events: &[Event],
            app_ids: bool,
        ) -> Result<(), ::sqlx::Error> {
            if events.is_empty() {
                return Ok(());
            }
            for event in events {
                let mut event = event.clone();
                if app_ids {
                    fill_app_ids(connection, &mut event).await?;
                }
                let ordering_key = event.payload.ordering_key().as_text();
                let at = sql_u64(event.timestamp.unix_millis());
                let append = <$store as Dialect>::APPEND_EVENT.unwrap_or(INSERT_EVENT);
                let inserted = ::sqlx::query(append)
                    .bind(event.id.as_str())
                    .bind(event.event_type().as_str())
                    .bind(sql_id(event.organization_id))
                    .bind(&ordering_key)
                    .bind(at)
                    .bind(event.payload.data_json().to_string())
                    .fetch_optional(&mut *connection)
                    .await?;
                // Without the one statement (SQLite): the sequence, then the deliveries.
                if let (None, Some(row)) = (<$store as Dialect>::APPEND_EVENT, inserted) {
                    let sequence: i64 = ::sqlx::Row::try_get(&row, 0)?;
                    ::sqlx::query(INSERT_EVENT_DELIVERIES)
                        .bind(sequence)
                        .bind(&ordering_key)
                        .bind(at)
                        .execute(&mut *connection)
                        .await?;
                }
            }
            Ok(())
        }

        /// The subscriber with this stored id.
        async fn subscriber_by_id(
            connection: &mut $connection,
            id: i64,
        ) -> Result<Option<Subscriber>, StoreError> {
            let row: Option<SubscriberRow> = ::sqlx::query_as(&format!(
                "SELECT {SUBSCRIBER_COLUMNS} FROM jirasync_event_subscribers WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error("reading a subscriber", error))?;
            row.map(subscriber_from_row).transpose()
        }

        /// The event at this sequence.
        async fn event_by_sequence(
            connection: &mut $connection,
            sequence: i64,
        ) -> Result<Option<StoredEvent>, StoreError> {
            let row: Option<EventRow> = ::sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM jirasync_events e WHERE e.sequence = $1"
            ))
            .bind(sequence)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error("reading an event", error))?;
            row.map(event_from_row).transpose()
        }

        #[async_trait]
        impl EventStore for $store {
            fn event_hub(&self) -> &EventHub {
                &self.events
            }

            async fn events_after(
                &self,
                after: EventCursor,
                limit: usize,
            ) -> Result<Vec<StoredEvent>, StoreError> {
                let rows: Vec<EventRow> = ::sqlx::query_as(&format!(
                    "SELECT {EVENT_COLUMNS} FROM jirasync_events e WHERE e.sequence > $1 \
                     ORDER BY e.sequence LIMIT $2"
                ))
                .bind(sql_u64(after.get()))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("reading events", error))?;
                rows.into_iter().map(event_from_row).collect()
            }

            async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
                let row: Option<EventRow> = ::sqlx::query_as(&format!(
                    "SELECT {EVENT_COLUMNS} FROM jirasync_events e WHERE e.id = $1"
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(|error| store_error("reading an event", error))?;
                row.map(event_from_row).transpose()
            }

            async fn create_subscriber(
                &self,
                subscriber: NewSubscriber,
            ) -> Result<Subscriber, StoreError> {
                let what = "adding a subscriber";
                let row: SubscriberRow = ::sqlx::query_as(&format!(
                    "INSERT INTO jirasync_event_subscribers \
                     (url, description, secret, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING {SUBSCRIBER_COLUMNS}"
                ))
                .bind(subscriber.url.as_str())
                .bind(&subscriber.description)
                .bind(subscriber.secret.expose_secret())
                .bind(sql_u64(subscriber.created_at.unix_millis()))
                .fetch_one(&self.pool)
                .await
                .map_err(|error| store_error(what, error))?;
                subscriber_from_row(row)
            }

            async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
                let rows: Vec<SubscriberRow> = ::sqlx::query_as(&format!(
                    "SELECT {SUBSCRIBER_COLUMNS} FROM jirasync_event_subscribers ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("reading subscribers", error))?;
                rows.into_iter().map(subscriber_from_row).collect()
            }

            async fn subscriber(&self, id: SubscriberId) -> Result<Option<Subscriber>, StoreError> {
                let mut connection = $crate::sql::connection(&self.pool, "reading a subscriber")
                    .await?;
                subscriber_by_id(&mut connection, sql_id(id.get())).await
            }

            async fn rotate_subscriber_secret(
                &self,
                id: SubscriberId,
                secret: SigningSecret,
            ) -> Result<Subscriber, StoreError> {
                let row: Option<SubscriberRow> = ::sqlx::query_as(&format!(
                    "UPDATE jirasync_event_subscribers \
                     SET previous_secret = secret, secret = $1 WHERE id = $2 \
                     RETURNING {SUBSCRIBER_COLUMNS}"
                ))
                .bind(secret.expose_secret())
                .bind(sql_id(id.get()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|error| store_error("rotating a subscriber's secret", error))?;
                row.map(subscriber_from_row)
                    .transpose()?
                    .ok_or_else(|| missing_subscriber(id))
            }

            async fn delete_subscriber(&self, id: SubscriberId) -> Result<(), StoreError> {
                let deleted = ::sqlx::query("DELETE FROM jirasync_event_subscribers WHERE id = $1")
                    .bind(sql_id(id.get()))
                    .execute(&self.pool)
                    .await
                    .map_err(|error| store_error("removing a subscriber", error))?;
                if deleted.rows_affected() == 0 {
                    return Err(missing_subscriber(id));
                }
                Ok(())
            }

            async fn claim_deliveries(
                &self,
                now: EventTimestamp,
                lease: Duration,
                limit: usize,
            ) -> Result<Vec<DeliveryJob>, StoreError> {
                let what = "claiming event deliveries";
                let now_ms = sql_u64(now.unix_millis());
                let until = now_ms
                    .saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
                // Nothing due (the common case when no application subscribed): a read says so,
                // without the write lock a claim takes on SQLite or the transaction it takes on
                // PostgreSQL.
                if let Some(any_due) = $direct::any_event_delivery_due(self, now_ms).await {
                    if !any_due? {
                        return Ok(Vec::new());
                    }
                }
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                // The oldest pending delivery of each (subscriber, ordering key), when due and
                // not held by a live claim.
                let due: Vec<(i64, i64, i64, i64)> = ::sqlx::query_as(&format!(
                    "SELECT d.subscriber_id, d.event_sequence, d.attempts, d.pending_since \
                     FROM jirasync_event_deliveries d \
                     WHERE d.status = 'pending' AND d.due_at <= $1 \
                     AND (d.claimed_until IS NULL OR d.claimed_until <= $1) \
                     AND NOT EXISTS (SELECT 1 FROM jirasync_event_deliveries e \
                     WHERE e.subscriber_id = d.subscriber_id AND e.ordering_key = d.ordering_key \
                     AND e.status = 'pending' AND e.event_sequence < d.event_sequence) \
                     ORDER BY d.event_sequence, d.subscriber_id LIMIT $2{}",
                    <$store as Dialect>::SKIP_LOCKED
                ))
                .bind(now_ms)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                let mut jobs = Vec::with_capacity(due.len());
                for (subscriber_id, sequence, attempts, pending_since) in due {
                    let token = ::jirasync_core::random_hex::<16>();
                    ::sqlx::query(
                        "UPDATE jirasync_event_deliveries SET claim = $1, claimed_until = $2 \
                         WHERE subscriber_id = $3 AND event_sequence = $4",
                    )
                    .bind(&token)
                    .bind(until)
                    .bind(subscriber_id)
                    .bind(sequence)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    let subscriber = subscriber_by_id(&mut transaction, subscriber_id)
                        .await?
                        .ok_or_else(|| StoreError::other("a delivery's subscriber vanished"))?;
                    let event = event_by_sequence(&mut transaction, sequence)
                        .await?
                        .ok_or_else(|| StoreError::other("a delivery's event vanished"))?;
                    jobs.push(DeliveryJob {
                        claim: DeliveryClaim {
                            subscriber_id: subscriber.id,
                            cursor: event.cursor,
                            token,
                        },
                        subscriber,
                        event,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        pending_since: EventTimestamp::from_unix_millis(stored_u64(
                            pending_since,
                            "time",
                        )?),
                    });
                }
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(jobs)
            }

            async fn finish_delivery(
                &self,
                claim: &DeliveryClaim,
                result: DeliveryResult,
            ) -> Result<(), StoreError> {
                let (status, attempts_added, at, error) = match result {
                    DeliveryResult::Delivered { at } => (DeliveryStatus::Delivered, 0, at, None),
                    DeliveryResult::Retry {
                        next_attempt_at,
                        error,
                    } => (DeliveryStatus::Pending, 1, next_attempt_at, Some(error)),
                    DeliveryResult::Dead { at, error } => {
                        (DeliveryStatus::Dead, 1, at, Some(error))
                    }
                };
                let updated = ::sqlx::query(
                    "UPDATE jirasync_event_deliveries SET status = $1, \
                     attempts = attempts + $2, due_at = $3, \
                     last_error = COALESCE($4, last_error), claim = NULL, claimed_until = NULL \
                     WHERE subscriber_id = $5 AND event_sequence = $6 AND status = 'pending' \
                     AND claim = $7",
                )
                .bind(status.as_str())
                .bind(attempts_added)
                .bind(sql_u64(at.unix_millis()))
                .bind(error)
                .bind(sql_id(claim.subscriber_id.get()))
                .bind(sql_u64(claim.cursor.get()))
                .bind(&claim.token)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("recording a delivery attempt", error))?;
                if updated.rows_affected() == 0 {
                    return Err(lost_claim(claim));
                }
                Ok(())
            }

            async fn deliveries(
                &self,
                filter: DeliveryFilter,
            ) -> Result<Vec<DeliveryRecord>, StoreError> {
                let limit = if filter.limit == 0 {
                    i64::MAX
                } else {
                    i64::try_from(filter.limit).unwrap_or(i64::MAX)
                };
                let rows: Vec<(i64, String, String, i64, i64, String, i64, String, String, i64, Option<String>, i64)> =
                    ::sqlx::query_as(&format!(
                        "SELECT {EVENT_COLUMNS}, d.subscriber_id, s.url, d.status, d.attempts, \
                         d.last_error, d.due_at \
                         FROM jirasync_event_deliveries d \
                         JOIN jirasync_events e ON e.sequence = d.event_sequence \
                         JOIN jirasync_event_subscribers s ON s.id = d.subscriber_id \
                         WHERE ($1 IS NULL OR d.status = $1) \
                         ORDER BY d.event_sequence DESC, d.subscriber_id LIMIT $2"
                    ))
                    .bind(filter.status.map(DeliveryStatus::as_str))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|error| store_error("listing deliveries", error))?;
                rows.into_iter()
                    .map(|row| {
                        let (sequence, id, kind, organization, occurred, data) =
                            (row.0, row.1, row.2, row.3, row.4, row.5);
                        Ok(DeliveryRecord {
                            event: event_from_row((sequence, id, kind, organization, occurred, data))?,
                            subscriber_id: SubscriberId::new(stored_u64(row.6, "subscriber id")?),
                            url: row.7,
                            status: delivery_status(&row.8)?,
                            attempts: u32::try_from(row.9).unwrap_or(u32::MAX),
                            last_error: row.10,
                            at: EventTimestamp::from_unix_millis(stored_u64(row.11, "time")?),
                        })
                    })
                    .collect()
            }

            async fn replay_event(
                &self,
                id: &EventId,
                now: EventTimestamp,
            ) -> Result<usize, StoreError> {
                let what = "replaying an event";
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let event: Option<(i64, String)> = ::sqlx::query_as(
                    "SELECT sequence, ordering_key FROM jirasync_events WHERE id = $1",
                )
                .bind(id.as_str())
                .fetch_optional(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                let Some((sequence, ordering_key)) = event else {
                    return Err(StoreError::not_found(format!("event {id}")));
                };
                // `WHERE 1 = 1` tells SQLite's parser that ON CONFLICT is not a join's ON.
                let replayed = ::sqlx::query(
                    "INSERT INTO jirasync_event_deliveries \
                     (subscriber_id, event_sequence, ordering_key, status, due_at, pending_since) \
                     SELECT id, $1, $2, 'pending', $3, $3 FROM jirasync_event_subscribers \
                     WHERE 1 = 1 \
                     ON CONFLICT (subscriber_id, event_sequence) DO UPDATE \
                     SET status = 'pending', attempts = 0, due_at = excluded.due_at, \
                     pending_since = excluded.pending_since, \
                     claim = NULL, claimed_until = NULL, last_error = NULL",
                )
                .bind(sequence)
                .bind(ordering_key)
                .bind(sql_u64(now.unix_millis()))
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                let replayed = usize::try_from(replayed.rows_affected()).unwrap_or(usize::MAX);
                if replayed > 0 {
                    self.events.appended();
                }
                Ok(replayed)
            }

            async fn purge_settled_events(
                &self,
                before: EventTimestamp,
            ) -> Result<u64, StoreError> {
                let what = "purging settled events";
                let mut transaction =
                    $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let settled = "FROM jirasync_events e WHERE e.occurred_at < $1 AND NOT EXISTS \
                     (SELECT 1 FROM jirasync_event_deliveries d \
                      WHERE d.event_sequence = e.sequence AND d.status = 'pending')";
                ::sqlx::query(&format!(
                    "DELETE FROM jirasync_event_deliveries WHERE event_sequence IN \
                     (SELECT e.sequence {settled})"
                ))
                .bind(sql_u64(before.unix_millis()))
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                // Their deliveries are gone: every old event left without a pending one goes.
                let done = ::sqlx::query(
                    "DELETE FROM jirasync_events WHERE occurred_at < $1 AND NOT EXISTS \
                     (SELECT 1 FROM jirasync_event_deliveries d \
                      WHERE d.event_sequence = jirasync_events.sequence)",
                )
                .bind(sql_u64(before.unix_millis()))
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use event_store;
