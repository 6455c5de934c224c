//! [`IntegrationStore`] on PostgreSQL: the shared SQL of `sql/integrations.rs`.

use super::PostgresStore;

use crate::sql::no_direct;

crate::sql::integrations::integration_store!(
    PostgresStore,
    ::sqlx::PgConnection,
    direct = no_direct
);
