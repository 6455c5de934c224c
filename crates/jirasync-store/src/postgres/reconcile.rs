//! [`ReconcileStore`](jirasync_domain::ReconcileStore) on PostgreSQL: the shared SQL of
//! `sql/reconcile.rs`.

use super::PostgresStore;

crate::sql::reconcile::reconcile_store!(PostgresStore);
