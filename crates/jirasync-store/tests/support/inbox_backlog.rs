//! A database at schema version 3 with a backlog in its inbox (no heads yet), and what claims
//! must hand out once migration 4 has filled the heads from it. Shared by `sqlite_inbox.rs` and
//! `postgres_inbox.rs`.

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Duration;

use jirasync_domain::inbox::conformance::t0;
use jirasync_domain::inbox::{DeliveryId, Inbox};

/// The statements of [`BACKLOG_AT_VERSION_3`], with the body column and its value (PostgreSQL)
/// or without, and what follows the rows (SQLite keeps bodies apart, migration 13).
macro_rules! backlog_at_version_3 {
    ($body_column:literal, $body:literal, $then:literal) => {
        concat!(
            "DROP TABLE jirasync_inbox_heads;
            DROP INDEX jirasync_inbox_deliveries_pending_by_key;
            DELETE FROM jirasync_migrations WHERE version = 4;
            INSERT INTO jirasync_inbox_deliveries (id, integration_id, ",
            $body_column,
            "headers, received_at, ordering_key, occurred_at, state, attempts, available_at,
                leased_until) VALUES
                (1, 1, ",
            $body,
            "'', 1700000000000, 'k', 1, 'dead', 1, NULL, NULL),
                (2, 1, ",
            $body,
            "'', 1700000000000, 'k', 20, 'pending', 0, NULL, NULL),
                (3, 1, ",
            $body,
            "'', 1700000000000, 'k', 10, 'pending', 1, NULL, 1700000005000),
                (4, 1, ",
            $body,
            "'', 1700000000000, 'j', 5, 'pending', 1, 1700000100000, NULL),
                (5, 1, ",
            $body,
            "'', 1700000000000, NULL, NULL, 'pending', 0, NULL, NULL),
                (6, 1, ",
            $body,
            "'', 1700000000000, 'j', 1, 'done', 1, NULL, NULL);",
            $then
        )
    };
}

/// Turns a fresh database back into version 3 (no heads table, no index of migration 4, no
/// record of it) and stores version 3's rows: key `k` with a dead delivery, a leased one (a
/// lease ending 5 s after the suite's start) and a later pending one; key `j` waiting for a
/// retry at 100 s; a key-less pending delivery; a done one. Ids 1 to 6 in that order. SQLite's
/// bodies go to the table migration 13 keeps them in.
pub(crate) const BACKLOG_AT_VERSION_3_SQLITE: &str = backlog_at_version_3!(
    "",
    "",
    "INSERT INTO jirasync_inbox_bodies (delivery_id, body)
        SELECT id, X'' FROM jirasync_inbox_deliveries;"
);

/// [`BACKLOG_AT_VERSION_3_SQLITE`] on PostgreSQL, the bodies in the rows.
pub(crate) const BACKLOG_AT_VERSION_3_POSTGRES: &str = backlog_at_version_3!("body, ", "'', ", "");

/// After migration 4: the key-less delivery at once; `k`'s leased delivery when its lease
/// ends, then its later one; `j`'s at its retry time; nothing of the dead or done ones.
pub(crate) async fn assert_the_backlog_drains_in_order(inbox: &dyn Inbox) {
    let lease = Duration::from_secs(30);
    let ids = |claimed: Vec<jirasync_domain::inbox::ClaimedDelivery>| -> Vec<i64> {
        claimed.iter().map(|claim| claim.id.get()).collect()
    };
    let at = |seconds: u64| t0() + Duration::from_secs(seconds);
    assert_eq!(ids(inbox.claim(at(0), lease, 10).await.unwrap()), [5]);
    inbox.complete(DeliveryId::new(5), 1).await.unwrap();
    let leased = inbox.claim(at(5), lease, 10).await.unwrap();
    assert_eq!((ids(leased.clone()), leased[0].attempt), (vec![3], 2));
    inbox.complete(DeliveryId::new(3), 2).await.unwrap();
    assert_eq!(ids(inbox.claim(at(6), lease, 10).await.unwrap()), [2]);
    inbox.complete(DeliveryId::new(2), 1).await.unwrap();
    assert!(inbox.claim(at(99), lease, 10).await.unwrap().is_empty());
    assert_eq!(ids(inbox.claim(at(100), lease, 10).await.unwrap()), [4]);
}
