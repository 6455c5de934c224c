//! `jirasync state import FILE` and `jirasync state export [--out FILE]`.

use std::io::Write;

use crate::cli::StateCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::state_file::{
    check_state_file, export_state_file, import_state_file,
    import_state_file_accepting_sentry_tokens,
};
use crate::store::open_store;

pub(super) async fn run(
    command: StateCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        StateCommand::Import {
            file,
            accept_sentry_tokens,
        } => {
            // A bad file is refused before the database is even opened (or created).
            check_state_file(&file)?;
            let store = open_store(config).await?;
            if accept_sentry_tokens {
                import_state_file_accepting_sentry_tokens(store.as_ref(), &file, out).await
            } else {
                import_state_file(store.as_ref(), &file, out).await
            }
        }
        StateCommand::Export { out: file } => {
            let store = open_store(config).await?;
            export_state_file(store.as_ref(), file.as_deref(), out).await
        }
    }
}
