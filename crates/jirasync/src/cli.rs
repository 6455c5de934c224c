//! The command line: sub-commands and their flags. The configuration flags are global
//! ([`ConfigArgs`]); each sub-command adds its own.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jirasync_client::GENERATED_KEY_BITS;
use jirasync_domain::inbox::DeliveryState;

use crate::config::ConfigArgs;

/// jirasync: keeps an application's issues in sync with Jira Server / Data Center.
#[derive(Debug, Parser)]
#[command(name = "jirasync", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration, from flags, `JIRASYNC_*` variables and an optional TOML file.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service: the Jira webhook, the setup pages, health and metrics, and the
    /// workers that apply stored deliveries (in inline mode, those kept while Jira was
    /// unreachable). Stops cleanly on SIGINT or SIGTERM.
    Serve,
    /// Connect a Jira from the terminal: the OAuth 1.0a dance with an out-of-band verification
    /// code, the issue webhook, and the stored installation.
    Connect(ConnectArgs),
    /// Disconnect an organization from a Jira: its credentials, issue links and external actors
    /// for it are removed (the application's data stays), an `integration.removed` event is
    /// written, and when it was the last organization the integration goes too and its webhooks
    /// are deleted from Jira.
    Disconnect(DisconnectArgs),
    /// Write an RSA key pair for Jira's Application Link and print the steps to set it up.
    Keygen(KeygenArgs),
    /// Open the database, apply any pending migrations, and print its schema version.
    Migrate,
    /// Import or export the whole state as a state file (docs/state-format.md).
    #[command(subcommand)]
    State(StateCommand),
    /// Inspect the webhook inbox and replay dead deliveries.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// Inspect the outgoing events' deliveries to subscribers and replay dead-lettered ones.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Inspect the outbound work (application changes sent to Jira) and retry failed pieces.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// List, set or remove the per-project status mappings of outbound status sync (which Jira
    /// status resolve and unresolve reach).
    #[command(subcommand)]
    StatusMapping(StatusMappingCommand),
    /// List, ensure or delete the webhooks registered in an installed Jira.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Check the database, Jira, the clock, the credentials and the webhook; one line per check.
    Doctor(IntegrationChoice),
    /// Print a one-time link to the setup pages, for connecting a Jira from a browser without
    /// the admin token. It works once, until it expires.
    SetupLink(SetupLinkArgs),
    /// Reconcile with Jira now: read the linked issues Jira updated since the last reconcile and
    /// apply what no webhook delivered; print what was found, one line per integration.
    Reconcile(ReconcileArgs),
    /// Show or change what syncs: an organization's sync flags for a Jira integration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Link an application issue to a Jira issue (ids as the application gives them, docs/api.md).
    Link(LinkArgs),
    /// Remove a link made by `link`.
    Unlink(LinkArgs),
    /// Create a Jira issue from an application issue and link the two (docs/outbound.md).
    CreateIssue(CreateIssueArgs),
}

/// `reconcile` flags.
#[derive(Debug, Clone, Args)]
pub struct ReconcileArgs {
    /// Only this integration: its external id (HOST[:PORT]:CONSUMER_KEY) or its numeric id
    /// (default: every integration).
    #[arg(long, value_name = "EXTERNAL_ID|ID")]
    pub integration: Option<String>,
    /// Read the issues Jira updated since this time (RFC 3339, such as
    /// `2026-06-01T10:00:00Z`) instead of since the last reconciled point minus the overlap.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub since: Option<std::time::SystemTime>,
}

/// Reads an RFC 3339 time, such as `2026-06-01T10:00:00Z` or `2026-06-01T12:00:00+02:00`.
fn parse_rfc3339(text: &str) -> Result<std::time::SystemTime, String> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(std::time::SystemTime::from)
        .map_err(|_| {
            "expected an RFC 3339 time with a date, a time and an offset, such as \
             2026-06-01T10:00:00Z or 2026-06-01T12:00:00+02:00"
                .to_owned()
        })
}

/// Which organization (by the application's id) and which of its Jira integrations.
#[derive(Debug, Clone, Default, Args)]
pub struct LinkChoice {
    /// The organization's application id; may be left out when the database holds one.
    #[arg(long, value_name = "ORG")]
    pub organization: Option<String>,
    /// jirasync's id of the integration (as `config list` shows it); may be left out when the
    /// organization has one.
    #[arg(long, value_name = "ID")]
    pub integration: Option<u64>,
}

/// `config` sub-commands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// List the sync configuration of every organization's integrations (or one organization's).
    List {
        /// Only this organization (its application id).
        #[arg(long, value_name = "ORG")]
        organization: Option<String>,
    },
    /// Change sync flags, e.g. `sync_reverse_assignment=true sync_forward_assignment=true`.
    /// A refused setting changes nothing.
    Set {
        /// Which organization and integration.
        #[command(flatten)]
        choice: LinkChoice,
        /// KEY=VALUE settings: the flags take true or false, `resolution_strategy` takes
        /// resolve, resolve_current_release or resolve_next_release.
        #[arg(required = true, value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
}

/// `link` and `unlink` arguments.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The application's id of the issue.
    pub issue: String,
    /// The Jira issue key, e.g. SHOP-12.
    pub key: String,
    /// Which organization and integration.
    #[command(flatten)]
    pub choice: LinkChoice,
}

/// `create-issue` arguments.
#[derive(Debug, Clone, Args)]
pub struct CreateIssueArgs {
    /// The application's id of the issue.
    pub issue: String,
    /// The Jira project's key (such as SHOP) or numeric id.
    #[arg(long, value_name = "KEY|ID")]
    pub project: String,
    /// The issue type's name (such as Bug) or id.
    #[arg(long, value_name = "NAME|ID")]
    pub issue_type: String,
    /// The summary: one line, at most 255 characters.
    #[arg(long, value_name = "TEXT")]
    pub summary: String,
    /// The description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Another Jira field, by id: VALUE is JSON when it reads as JSON (`{"value":"High"}`, `3`),
    /// else text. Repeat for each field.
    #[arg(long = "field", value_name = "ID=VALUE", value_parser = parse_field)]
    pub fields: Vec<(String, serde_json::Value)>,
    /// Which organization and integration.
    #[command(flatten)]
    pub choice: LinkChoice,
}

/// Reads `ID=VALUE`: the value as JSON when it is, else as text.
fn parse_field(text: &str) -> Result<(String, serde_json::Value), String> {
    let (id, value) = text
        .split_once('=')
        .filter(|(id, _)| !id.trim().is_empty())
        .ok_or_else(|| {
            "expected ID=VALUE, such as customfield_10200={\"value\":\"High\"}".to_owned()
        })?;
    let value =
        serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
    Ok((id.trim().to_owned(), value))
}

/// `connect` flags.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Jira's base URL, such as `https://jira.example.com` (with its context path, if any).
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The consumer key of Jira's Application Link.
    #[arg(long, value_name = "KEY")]
    pub consumer_key: String,
    /// The PEM file of the Application Link's RSA private key (as `jirasync keygen` writes it).
    #[arg(long, value_name = "FILE")]
    pub private_key: PathBuf,
    /// The organization that installs: its application id (or jirasync's number for one that
    /// has none); may be left out when the database holds only one.
    #[arg(long, value_name = "ORG")]
    pub organization: Option<String>,
    /// Do not check Jira's TLS certificate (a self-signed test instance only).
    #[arg(long)]
    pub no_verify_ssl: bool,
    /// Register no webhook; print its URL for a Jira administrator instead.
    #[arg(long)]
    pub manual_webhook: bool,
    /// The verification code Jira shows after access is allowed; read from standard input when
    /// left out.
    #[arg(long, value_name = "CODE")]
    pub verifier: Option<String>,
    /// Also accept the webhook tokens of a Jira wired to Sentry's Jira Server integration (signed
    /// with the SHA-1 of this private key's PEM text): see docs/migrating-from-sentry.md.
    #[arg(long)]
    pub accept_sentry_tokens: bool,
}

/// `keygen` flags.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The directory to write `jira_privatekey.pem` and `jira_publickey.pem` into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// The key size in bits (2048 to 8192).
    #[arg(long, default_value_t = GENERATED_KEY_BITS, value_parser = parse_key_bits)]
    pub bits: usize,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

fn parse_key_bits(text: &str) -> Result<usize, String> {
    let range = jirasync_client::GENERATED_KEY_BITS_RANGE;
    match text.parse::<usize>() {
        Ok(bits) if range.contains(&bits) => Ok(bits),
        _ => Err(format!(
            "expected a whole number of bits from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

/// `state` sub-commands.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Replace the whole state with a state file; a bad file changes nothing.
    Import {
        /// The state file.
        file: PathBuf,
        /// Also accept, for each integration with OAuth 1.0a credentials, the webhook tokens of a
        /// Jira wired to Sentry (signed with the SHA-1 of the private key's PEM text): see
        /// docs/migrating-from-sentry.md.
        #[arg(long)]
        accept_sentry_tokens: bool,
    },
    /// Write the whole state as a state file (it holds secrets: store it like one).
    Export {
        /// Write to this file (created with mode 0600) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Reads a delivery state as the store names it: `pending`, `done` or `dead`.
fn parse_delivery_state(text: &str) -> Result<DeliveryState, String> {
    DeliveryState::from_name(text).ok_or_else(|| "expected pending, done or dead".to_owned())
}

/// `inbox` sub-commands.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// List deliveries, oldest first.
    List {
        /// Only deliveries in this state: pending (waiting, held by a worker, or waiting for a
        /// retry), done, or dead (given up on; see `inbox replay`).
        #[arg(long, value_name = "pending|done|dead", value_parser = parse_delivery_state)]
        state: Option<DeliveryState>,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Put dead deliveries back to pending, so workers apply them again.
    Replay {
        /// The delivery to replay.
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        id: Option<i64>,
        /// Replay every dead delivery.
        #[arg(long)]
        all_dead: bool,
    },
}

/// `events` sub-commands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List deliveries of events to subscribers, newest event first.
    List {
        /// Only the dead-lettered ones (retried until the retry time ran out; see
        /// `events replay`).
        #[arg(long)]
        dead: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Deliver an event again to every subscriber (dead-lettered or not).
    Replay {
        /// The event's id (`evt_…`), as `events list` shows it.
        id: String,
    },
}

/// `outbox` sub-commands.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List outbound work, newest first: each piece's Jira issue, action, status, attempts and
    /// last error.
    List {
        /// Only the failed pieces (Jira refused them, or retries ran out; see `outbox retry`).
        #[arg(long)]
        failed: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Make a failed piece of work pending again (after fixing its cause); a running service
    /// sends it at its next poll.
    Retry {
        /// The work's number, as `outbox list` shows it.
        #[arg(value_parser = clap::value_parser!(u64).range(1..))]
        id: u64,
    },
}

/// `status-mapping` sub-commands.
#[derive(Debug, Subcommand)]
pub enum StatusMappingCommand {
    /// List the organization's status mappings for the integration, by project key.
    List {
        /// Which organization and integration.
        #[command(flatten)]
        choice: LinkChoice,
    },
    /// Set which Jira status a project's issues reach on resolve and on unresolve, after
    /// checking with Jira (the organization's credentials) that the project's workflows have
    /// both. A refused mapping stores nothing.
    Set {
        /// Which organization and integration.
        #[command(flatten)]
        choice: LinkChoice,
        /// The Jira project's key (`SHOP`) or id.
        project: String,
        /// The status to reach on resolve: its id or name.
        #[arg(long, value_name = "STATUS")]
        on_resolve: String,
        /// The status to reach on unresolve: its id or name.
        #[arg(long, value_name = "STATUS")]
        on_unresolve: String,
    },
    /// Remove a project's mapping (by key or id).
    Remove {
        /// Which organization and integration.
        #[command(flatten)]
        choice: LinkChoice,
        /// The Jira project's key or id.
        project: String,
    },
}

/// `disconnect` flags.
#[derive(Debug, Args)]
pub struct DisconnectArgs {
    /// Which integration, and which organization leaves it.
    #[command(flatten)]
    pub choice: IntegrationChoice,
    /// Do not delete the webhooks from Jira when the last organization leaves (Jira cannot be
    /// reached, or an administrator deletes them); Jira's calls are then refused as unknown.
    #[arg(long)]
    pub keep_webhook: bool,
}

/// Which installed integration, and whose credentials, to use.
#[derive(Debug, Clone, Default, Args)]
pub struct IntegrationChoice {
    /// The integration's external id (HOST[:PORT]:CONSUMER_KEY); may be left out when only one
    /// is installed.
    #[arg(long, value_name = "EXTERNAL_ID")]
    pub integration: Option<String>,
    /// The organization whose credentials to use, when several installed the integration: its
    /// application id (or jirasync's number for one that has none).
    #[arg(long, value_name = "ORG")]
    pub organization: Option<String>,
}

/// `webhook` sub-commands.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// List the webhooks registered in Jira (tokens in URLs are hidden).
    List(IntegrationChoice),
    /// Make sure Jira has exactly one issue webhook posting to the configured public URL
    /// (created when missing, duplicates removed).
    Ensure(IntegrationChoice),
    /// Delete one webhook from Jira.
    Delete {
        /// The webhook's id, as `webhook list` shows it.
        id: String,
        /// Which integration.
        #[command(flatten)]
        choice: IntegrationChoice,
    },
}

/// `setup-link` flags.
#[derive(Debug, Args)]
pub struct SetupLinkArgs {
    /// The organization the link installs for (the form then does not ask); may be left out
    /// when the database holds only one organization or the form should ask. Its application id
    /// (or jirasync's number for one that has none).
    #[arg(long, value_name = "ORG")]
    pub organization: Option<String>,
    /// How long the link works: seconds, or a number with s, m, h or d (at most 7d).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_link_ttl)]
    pub ttl: LinkTtl,
}

/// How long a set-up link works, in seconds (1 second to 7 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTtl(pub u64);

/// The longest a set-up link may work.
pub const MAX_LINK_TTL_SECONDS: u64 = 7 * 24 * 3600;

fn parse_link_ttl(text: &str) -> Result<LinkTtl, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let multiplier = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 24 * 3600,
        _ => 0,
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(multiplier))
        .filter(|seconds| (1..=MAX_LINK_TTL_SECONDS).contains(seconds))
        .map(LinkTtl)
        .ok_or_else(|| "expected a duration from 1s to 7d, such as 900, 30m, 1h or 2d".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_link_lifetimes() {
        assert_eq!(parse_link_ttl("1h"), Ok(LinkTtl(3600)));
        assert_eq!(parse_link_ttl("30m"), Ok(LinkTtl(1800)));
        assert_eq!(parse_link_ttl("900"), Ok(LinkTtl(900)));
        assert_eq!(parse_link_ttl("7d"), Ok(LinkTtl(MAX_LINK_TTL_SECONDS)));
        for refused in ["", "0", "8d", "1w", "h", "-1h", "1.5h"] {
            assert!(parse_link_ttl(refused).is_err(), "{refused}");
        }
    }
}
