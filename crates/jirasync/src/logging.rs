//! Log lines on standard error, through `tracing-subscriber`: human or JSON lines, filtered by
//! `RUST_LOG` (default `info`). Results go to standard output; logs never do.

use tracing_subscriber::EnvFilter;

use crate::config::{LOG_FILTER_VARIABLE, LogFormat};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoggingError {
    /// `RUST_LOG` is not a filter.
    #[error(
        "invalid environment variable {LOG_FILTER_VARIABLE} {filter:?}: {message}; expected a log filter such as info or jirasync=debug,info"
    )]
    InvalidFilter {
        /// The filter as given.
        filter: String,
        /// The parser's explanation.
        message: String,
    },
    /// Another logger was already installed in this process.
    #[error("cannot set up logging: {message}")]
    Install {
        /// What the subscriber reported.
        message: String,
    },
}

/// Installs the process's logger: `format` lines on standard error, filtered by `filter` (the
/// value of `RUST_LOG`) or [`DEFAULT_LOG_FILTER`]. Colours only when `ansi` (standard error is a
/// terminal). Call once per process.
///
/// # Errors
///
/// [`LoggingError::InvalidFilter`] for a filter that does not parse, [`LoggingError::Install`]
/// when a logger is already installed.
pub fn init(format: LogFormat, filter: Option<&str>, ansi: bool) -> Result<(), LoggingError> {
    let filter_text = filter.unwrap_or(DEFAULT_LOG_FILTER);
    let filter = EnvFilter::try_new(filter_text).map_err(|error| LoggingError::InvalidFilter {
        filter: filter_text.to_owned(),
        message: error.to_string(),
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Human => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
    installed.map_err(|error| LoggingError::Install {
        message: error.to_string(),
    })
}
