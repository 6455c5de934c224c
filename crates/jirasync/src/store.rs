//! The database the configuration names, and the views of it the commands need.

use std::sync::Arc;

use jirasync_store::{AnyStore, OpenOptions};

use crate::config::Config;
use crate::error::CliError;

/// Opens the configured database, applying any pending migrations, with the configured pool
/// size. A PostgreSQL server that does not answer fails it after the configured database
/// timeout.
pub(crate) async fn open_store(config: &Config) -> Result<Arc<dyn AnyStore>, CliError> {
    tracing::debug!(database = %config.database_url, "opening the database");
    let mut options = OpenOptions::with_connect_timeout(config.database_timeout);
    if let Some(connections) = config.database_connections {
        options = options.with_max_connections(connections.get());
    }
    Ok(jirasync_store::open_with(&config.database_url, options).await?)
}
