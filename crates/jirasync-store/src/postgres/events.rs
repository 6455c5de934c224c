//! [`EventStore`](jirasync_domain::EventStore) on PostgreSQL: the shared SQL of `sql/events.rs`,
//! with a claim that first asks whether anything is due.

use super::PostgresStore;

crate::sql::events::event_store!(PostgresStore, ::sqlx::PgConnection, direct = direct);

/// The `direct = …` hook of `event_store!`.
mod direct {
    use jirasync_domain::StoreError;

    use super::PostgresStore;
    use crate::sql::events::ANY_EVENT_DELIVERY_DUE;
    use crate::sql_error::store_error;

    /// Whether any event delivery is pending and due at `now` (stored milliseconds): one
    /// statement outside a transaction. The dispatcher claims after every commit that appended
    /// events; with no subscriber, or nothing due, this is the claim's only round trip, where
    /// the claim itself takes three (`BEGIN`, its `SELECT`, `COMMIT`).
    pub(crate) async fn any_event_delivery_due(
        store: &PostgresStore,
        now: i64,
    ) -> Option<Result<bool, StoreError>> {
        let found = sqlx::query(ANY_EVENT_DELIVERY_DUE)
            .bind(now)
            .fetch_optional(store.pool())
            .await;
        Some(
            found
                .map(|row| row.is_some())
                .map_err(|error| store_error("reading due event deliveries", error)),
        )
    }
}
