//! The sub-commands, one module each.

use std::io::Write;

use crate::cli::Command;
use crate::config::Config;
use crate::error::CliError;

mod config;
mod connect;
mod create_issue;
mod disconnect;
mod doctor;
mod events;
mod inbox;
mod keygen;
mod link;
mod migrate;
mod outbox;
mod reconcile;
mod serve;
mod setup_link;
mod state;
mod status_mapping;
mod webhook;

/// Runs one sub-command, writing its results to `out`.
pub(crate) async fn run(
    command: Command,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        Command::Serve => serve::run(config, out).await,
        Command::Connect(args) => connect::run(&args, config, out).await,
        Command::Disconnect(args) => disconnect::run(&args, config, out).await,
        Command::Keygen(args) => keygen::run(&args, config, out),
        Command::Migrate => migrate::run(config, out).await,
        Command::State(command) => state::run(command, config, out).await,
        Command::Inbox(command) => inbox::run(command, config, out).await,
        Command::Events(command) => events::run(command, config, out).await,
        Command::Outbox(command) => outbox::run(command, config, out).await,
        Command::StatusMapping(command) => status_mapping::run(command, config, out).await,
        Command::Webhook(command) => webhook::run(command, config, out).await,
        Command::Doctor(choice) => doctor::run(&choice, config, out).await,
        Command::Reconcile(args) => reconcile::run(&args, config, out).await,
        Command::SetupLink(args) => setup_link::run(&args, config, out).await,
        Command::Config(command) => config::run(command, config, out).await,
        Command::Link(args) => link::link(&args, config, out).await,
        Command::Unlink(args) => link::unlink(&args, config, out).await,
        Command::CreateIssue(args) => create_issue::run(&args, config, out).await,
    }
}
