//! [`ReconcileStore`](jirasync_domain::ReconcileStore) on SQLite: the shared SQL of
//! `sql/reconcile.rs`.

use super::SqliteStore;

crate::sql::reconcile::reconcile_store!(SqliteStore);
