//! The database the configuration names, and the views of it the commands need.

use std::sync::Arc;

use jirasync_store::AnyStore;

use crate::config::Config;
use crate::error::CliError;

/// Opens the configured database, applying any pending migrations.
pub(crate) async fn open_store(config: &Config) -> Result<Arc<dyn AnyStore>, CliError> {
    tracing::debug!(database = %config.database_url, "opening the database");
    Ok(jirasync_store::open(&config.database_url).await?)
}
