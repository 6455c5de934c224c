//! `jirasync migrate`: open the database (which applies the embedded migrations) and say which
//! schema version it is at.

use std::io::Write;

use jirasync_store::SCHEMA_VERSION;

use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(config: &Config, out: &mut dyn Write) -> Result<(), CliError> {
    open_store(config).await?;
    writeln!(
        out,
        "database {} is at schema version {SCHEMA_VERSION} (up to date)",
        config.database_url
    )?;
    Ok(())
}
