//! The `jirasync` binary as a library: configuration ([`config`]), logging ([`logging`]), the
//! command line ([`cli`]) and the sub-commands, so each can be tested without starting a process.
//!
//! The binary is [`run`] with the process's arguments, environment and standard streams. Results
//! go to standard output, logs and errors to standard error. Exit codes: 0 success, 1 failure,
//! 2 usage (a bad flag, variable or configuration value).
//!
//! This crate holds no business rules: it reads configuration, opens the store, builds Jira
//! clients, and calls `jirasync-domain`, `jirasync-store` and `jirasync-client`.

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

pub mod cli;
mod commands;
pub mod config;
pub mod error;
mod files;
mod installation;
pub mod logging;
mod organizations;
mod public_url;
pub mod state_file;
mod store;

pub use cli::Cli;
pub use config::{Config, ConfigArgs, Environment};
pub use error::CliError;

/// Runs the command line `args` (program name first) in `env`, writing results to `stdout` and
/// errors to `stderr`, and returns the process exit code.
pub fn run<I, T>(args: I, env: &Environment, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are results (standard output, exit 0); the rest are usage errors.
            let stream: &mut dyn Write = if error.use_stderr() { stderr } else { stdout };
            // Nothing better to do when the stream itself is gone.
            let _ = write!(stream, "{}", error.render());
            return u8::try_from(error.exit_code()).unwrap_or(error::EXIT_USAGE);
        }
    };
    match execute(cli, env, stdout) {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            error.exit_code()
        }
    }
}

fn execute(cli: Cli, env: &Environment, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::resolve(&cli.config, env)?;
    logging::init(
        config.log_format,
        config.log_filter.as_deref(),
        env.stderr_is_terminal(),
    )?;
    // A command, and by default the service, runs on this thread; `runtime_threads` above one
    // gives the service's receiver and workers that many.
    let mut builder = match cli.command {
        cli::Command::Serve if config.runtime_threads.get() > 1 => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(config.runtime_threads.get());
            builder
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|source| CliError::Runtime { source })?;
    runtime.block_on(commands::run(cli.command, &config, stdout))
}
