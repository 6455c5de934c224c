//! [`IntegrationStore`] on SQLite: the shared SQL of `sql/integrations.rs`.

use super::{SqliteStore, direct};

crate::sql::integrations::integration_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    direct = direct
);
