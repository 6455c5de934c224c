//! The state file commands on any [`StateStore`]: import a file (checked first, so a bad file
//! changes nothing), export the state to a file or to standard output.

use std::io::Write;
use std::path::Path;

use jirasync_domain::StateStore;
use jirasync_domain::state::{StateSnapshot, export_state_json, import_snapshot, import_state};

use crate::error::CliError;
use crate::files::{SECRET_FILE_MODE, write_file};

fn read_state_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::File {
        what: "read the state file",
        path: path.to_owned(),
        source,
    })
}

/// Reads and checks a state file without touching any store.
///
/// # Errors
///
/// [`CliError::File`] when it cannot be read, [`CliError::State`] naming where it is malformed
/// or its first invalid record.
pub fn check_state_file(path: &Path) -> Result<(), CliError> {
    StateSnapshot::from_json(&read_state_file(path)?)?.validate()?;
    Ok(())
}

/// Replaces the store's whole state with the state file at `path`, and writes what was imported
/// to `out`. On any error the store is unchanged.
///
/// # Errors
///
/// As [`check_state_file`], and [`CliError::State`] when the store refuses or fails.
pub async fn import_state_file(
    store: &dyn StateStore,
    path: &Path,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let summary = import_state(store, &read_state_file(path)?).await?;
    writeln!(out, "imported {}: {summary}", path.display())?;
    Ok(())
}

/// [`import_state_file`], with every integration of the file also accepting the webhook tokens of
/// a Jira wired to Sentry ([`StateSnapshot::accept_reference_tokens`]); says how many secrets
/// that added.
///
/// # Errors
///
/// As [`import_state_file`].
pub async fn import_state_file_accepting_sentry_tokens(
    store: &dyn StateStore,
    path: &Path,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut snapshot = StateSnapshot::from_json(&read_state_file(path)?)?;
    let added = snapshot.accept_reference_tokens();
    let summary = import_snapshot(store, &snapshot).await?;
    writeln!(out, "imported {}: {summary}", path.display())?;
    writeln!(
        out,
        "accepting Sentry's webhook tokens: {added} webhook secrets derived from private keys added"
    )?;
    Ok(())
}

/// Writes the store's whole state as a state file: to `file` (created or replaced, mode 0600, as
/// it holds secrets) when given, otherwise to `out`.
///
/// # Errors
///
/// [`CliError::State`] when the store fails, [`CliError::File`] when the file cannot be written.
pub async fn export_state_file(
    store: &dyn StateStore,
    file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let json = export_state_json(store).await?;
    match file {
        Some(path) => {
            write_file(path, &json, SECRET_FILE_MODE, true)?;
            tracing::info!(file = %path.display(), "state exported");
        }
        None => out.write_all(&json)?,
    }
    Ok(())
}
