//! [`IntegrationStore`] on PostgreSQL: the shared SQL of `sql/integrations.rs`.

use super::PostgresStore;

crate::sql::integrations::integration_store!(PostgresStore, ::sqlx::PgConnection);
