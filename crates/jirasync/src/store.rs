//! The database the configuration names, and the views of it the commands need.

use std::sync::Arc;

use jirasync_domain::StateStore;
use jirasync_store::AnyStore;

use crate::config::Config;
use crate::error::CliError;

/// Opens the configured database, applying any pending migrations.
pub(crate) async fn open_store(config: &Config) -> Result<Arc<dyn AnyStore>, CliError> {
    tracing::debug!(database = %config.database_url, "opening the database");
    Ok(jirasync_store::open(&config.database_url).await?)
}

/// The store's whole-state export and import, for `state` and for finding the installed
/// integrations.
///
/// `AnyStore` does not include `StateStore` yet (the SQL stores implement it on another branch):
/// until it does, every back-end is refused with [`CliError::StateUnsupported`]. Once it does,
/// this becomes `Ok(store)`.
pub(crate) fn state_store(_store: &dyn AnyStore) -> Result<&dyn StateStore, CliError> {
    Err(CliError::StateUnsupported)
}
