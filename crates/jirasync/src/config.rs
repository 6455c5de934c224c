//! The service's configuration: every option of `jirasync serve`, resolved from four sources,
//! highest first:
//!
//! 1. command-line flags (`--workers 4`),
//! 2. `JIRASYNC_*` environment variables (`JIRASYNC_WORKERS=4`),
//! 3. an optional TOML file named by `--config FILE` or `JIRASYNC_CONFIG` (`workers = 4`),
//! 4. the defaults.
//!
//! Every value is checked the same way whatever its source, and a refusal names the flag,
//! variable or file key it came from and the form expected. Unknown keys in the file are refused.
//! The environment is passed in ([`Environment`]) rather than read here, so tests need not
//! change the process environment.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use jirasync_domain::SecretString;
use jirasync_service::{DEFAULT_CLAIM_BATCH as DEFAULT_CLAIM_BATCH_SIZE, JiraHosts};
use jirasync_store::DatabaseUrl;

/// The database used when none is configured: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://jirasync.db";
/// The address listened on when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The largest webhook body accepted when no limit is configured: 1 MiB.
pub const DEFAULT_BODY_LIMIT: ByteSize = ByteSize(1024 * 1024);
/// How many inbox workers run when no count is configured.
pub const DEFAULT_WORKERS: NonZeroUsize = match NonZeroUsize::new(2) {
    Some(workers) => workers,
    None => NonZeroUsize::MIN,
};
/// How many deliveries an inbox worker claims at once when no size is configured (the
/// service's default, 8).
pub const DEFAULT_CLAIM_BATCH: NonZeroUsize = match NonZeroUsize::new(DEFAULT_CLAIM_BATCH_SIZE) {
    Some(batch) => batch,
    None => NonZeroUsize::MIN,
};
/// The most deliveries an inbox worker may claim at once: they are applied one after the other,
/// so a larger claim only makes the last of them wait longer.
pub const MAX_CLAIM_BATCH: usize = 64;
/// How many threads `jirasync serve` runs on when no count is configured: one, which measured
/// the least CPU per delivery (docs/performance.md).
pub const DEFAULT_RUNTIME_THREADS: NonZeroUsize = NonZeroUsize::MIN;
/// How long a request's line and headers may take to arrive when no timeout is configured.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive when no timeout is configured.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How many connections are served at once when no limit is configured.
pub const DEFAULT_MAX_CONNECTIONS: NonZeroUsize = match NonZeroUsize::new(512) {
    Some(connections) => connections,
    None => NonZeroUsize::MIN,
};
/// How long a database call waits for a connection when no timeout is configured: when
/// PostgreSQL is down, webhooks and `/readyz` answer 503 and commands fail after about this.
pub const DEFAULT_DATABASE_TIMEOUT: Duration = Duration::from_secs(1);
/// How far past its receipt a delivery's event time may lie when no tolerance is configured.
pub const DEFAULT_EVENT_TIME_TOLERANCE: Duration = Duration::from_secs(24 * 60 * 60);
/// How long done inbox deliveries are kept when no retention is configured: 7 days.
pub const DEFAULT_INBOX_RETENTION: Duration = jirasync_service::DEFAULT_DONE_RETENTION;
/// How often `serve` reconciles with Jira when no interval is configured: every 10 minutes.
pub const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(600);
/// How far before the last reconciled point a reconcile reads again when no overlap is configured.
pub const DEFAULT_RECONCILE_OVERLAP: Duration = Duration::from_secs(300);
/// The most search requests per second a reconcile sends to one Jira when no rate is configured.
pub const DEFAULT_RECONCILE_RATE: f64 = 5.0;
/// How many issue keys one reconcile query names when no batch size is configured.
pub const DEFAULT_RECONCILE_BATCH: NonZeroU32 = match NonZeroU32::new(100) {
    Some(batch) => batch,
    None => NonZeroU32::MIN,
};
/// The most issue keys one reconcile query may name (the JQL travels in the URL).
pub const MAX_RECONCILE_BATCH: u32 = 500;
/// The shortest admin token accepted: long enough that guessing it is hopeless.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

/// The configuration flags, shared by every sub-command (`jirasync --workers 4 serve` and
/// `jirasync serve --workers 4` are the same). Values are checked by [`Config::resolve`], so a
/// refusal reads the same whichever source a value came from.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// A TOML file with any of the options below (keys in snake_case, e.g. `database_url`).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The database: `sqlite://FILE` (default `sqlite://jirasync.db`) or
    /// `postgres://USER@HOST/DATABASE`.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// The address and port to listen on (default 127.0.0.1:8080).
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// The public base URL Jira reaches this service at, used in webhook URLs
    /// (default `http://` and the listen address).
    #[arg(long, global = true, value_name = "URL")]
    pub public_url: Option<String>,
    /// `inbox` (store each webhook, answer 202, apply it in a worker; the default) or `inline`
    /// (apply it, then answer 200).
    #[arg(long, global = true, value_name = "inbox|inline")]
    pub mode: Option<String>,
    /// The largest webhook body accepted: bytes, or a size such as `512KiB` or `1MiB` (default).
    #[arg(long, global = true, value_name = "SIZE")]
    pub body_limit: Option<String>,
    /// The bearer token of the admin API (at least 16 characters). Prefer `JIRASYNC_ADMIN_TOKEN`:
    /// other users of the machine can see command lines.
    #[arg(long, global = true, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// How many inbox workers to run (default 2).
    #[arg(long, global = true, value_name = "N")]
    pub workers: Option<String>,
    /// How many deliveries an inbox worker claims at once and applies in turn (default 8, at
    /// most 64).
    #[arg(long, global = true, value_name = "N")]
    pub claim_batch: Option<String>,
    /// Whether the receiver applies a delivery itself when a worker is free, instead of
    /// leaving it to a worker's claim (default true).
    #[arg(long, global = true, value_name = "true|false")]
    pub apply_at_receipt: Option<String>,
    /// How many threads `serve` runs its receiver and workers on (default 1; the database
    /// writer and checkpointer have threads of their own).
    #[arg(long, global = true, value_name = "N")]
    pub runtime_threads: Option<String>,
    /// `human` or `json` log lines (default: human when standard error is a terminal, else json).
    #[arg(long, global = true, value_name = "human|json")]
    pub log_format: Option<String>,
    /// How long a client may take to send a request's line and headers before the connection
    /// is closed: a duration such as `10s` (default) or `500ms`.
    #[arg(long, global = true, value_name = "DURATION")]
    pub header_read_timeout: Option<String>,
    /// How long a client may take to send a request's body, from the end of its headers,
    /// before it is answered 408 (default `30s`).
    #[arg(long, global = true, value_name = "DURATION")]
    pub body_read_timeout: Option<String>,
    /// How many connections are served at once; one more is answered 503 (default 512).
    #[arg(long, global = true, value_name = "N")]
    pub max_connections: Option<String>,
    /// How long a database call waits for a connection (PostgreSQL): when the database is down,
    /// webhooks and `/readyz` answer 503 and commands fail after about this (default `1s`).
    #[arg(long, global = true, value_name = "DURATION")]
    pub database_timeout: Option<String>,
    /// The most connections to the database the store's pool opens (default: 10 on PostgreSQL,
    /// 8 on SQLite). On PostgreSQL each delivery being applied holds one.
    #[arg(long, global = true, value_name = "N")]
    pub database_connections: Option<String>,
    /// How far past its receipt a webhook's event time may lie before it is ignored (the change
    /// is applied without the ordering guard; default `24h`).
    #[arg(long, global = true, value_name = "DURATION")]
    pub event_time_tolerance: Option<String>,
    /// How long done inbox deliveries (bodies included) are kept before `serve` deletes them:
    /// seconds, or a number with a unit s, m, h or d (default 7d).
    #[arg(long, global = true, value_name = "DURATION")]
    pub inbox_retention: Option<String>,
    /// How often `serve` reconciles with Jira, catching changes whose webhook never came: a
    /// duration such as `30s`, `10m` (default) or `1h`, or `off` (also `0`) to never reconcile.
    #[arg(long, global = true, value_name = "DURATION|off")]
    pub reconcile_interval: Option<String>,
    /// How far before the last reconciled point a reconcile reads again (default `5m`): covers
    /// issues updated while the last one read, and Jira's clock running ahead of this one.
    #[arg(long, global = true, value_name = "DURATION")]
    pub reconcile_overlap: Option<String>,
    /// The most search requests per second a reconcile sends to one Jira (default 5; `0.5` is one
    /// every two seconds).
    #[arg(long, global = true, value_name = "PER_SECOND")]
    pub reconcile_rate: Option<String>,
    /// How many linked issue keys one reconcile query names (default 100, at most 500).
    #[arg(long, global = true, value_name = "N")]
    pub reconcile_batch: Option<String>,
    /// Do not serve the setup pages and JSON steps (they answer 404); `jirasync connect` still
    /// works.
    #[arg(long, global = true)]
    pub no_setup: bool,
    /// The only Jira hosts the setup pages and `connect` may reach, comma-separated:
    /// `jira.example.com`, `jira.example.com:8443`, `*.example.com` (default: any host).
    #[arg(long, global = true, value_name = "HOSTS")]
    pub jira_allowed_hosts: Option<String>,
    /// How long an outgoing event is retried for a subscriber before it is dead-lettered: a
    /// duration such as `86400` (seconds), `12h` or `1d` (default).
    #[arg(long, global = true, value_name = "DURATION")]
    pub event_retry_for: Option<String>,
    /// The longest `wait` a long poll of `GET /api/v1/events` may ask for: a duration such as
    /// `60` (seconds, the default) or `30s`.
    #[arg(long, global = true, value_name = "DURATION")]
    pub event_max_wait: Option<String>,
    /// How long outgoing events are kept once every subscriber has them (delivered or
    /// dead-lettered): a duration such as `30d` (default); `0` or `off` keeps them for ever.
    #[arg(long, global = true, value_name = "DURATION")]
    pub event_retention: Option<String>,
    /// How long done outbound work (changes Jira accepted) is kept: a duration such as `30d`
    /// (default); `0` or `off` keeps it for ever.
    #[arg(long, global = true, value_name = "DURATION")]
    pub outbox_retention: Option<String>,
}

/// The process environment as the configuration sees it, and whether standard error is a
/// terminal (which decides the default log format).
#[derive(Clone, Default)]
pub struct Environment {
    variables: BTreeMap<String, String>,
    stderr_is_terminal: bool,
}

impl Environment {
    /// An environment from these variables.
    pub fn new<K, V>(variables: impl IntoIterator<Item = (K, V)>, stderr_is_terminal: bool) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            variables: variables
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
            stderr_is_terminal,
        }
    }

    /// The environment of this process. A value that is not UTF-8 is kept with its invalid bytes
    /// replaced, so a check of it fails with a message rather than the variable being ignored.
    pub fn from_process() -> Self {
        use std::io::IsTerminal;
        Self::new(
            std::env::vars_os().map(|(name, value)| {
                (
                    name.to_string_lossy().into_owned(),
                    value.to_string_lossy().into_owned(),
                )
            }),
            std::io::stderr().is_terminal(),
        )
    }

    /// The value of a variable, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// Whether standard error is a terminal.
    pub fn stderr_is_terminal(&self) -> bool {
        self.stderr_is_terminal
    }
}

impl fmt::Debug for Environment {
    /// Shows the variable names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .field("stderr_is_terminal", &self.stderr_is_terminal)
            .finish()
    }
}

/// How webhooks are processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Store each delivery durably, answer 202, apply it in a worker.
    #[default]
    Inbox,
    /// Apply each delivery, then answer 200.
    Inline,
}

/// The format of log lines on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A size in bytes, written as bytes or with a binary unit (`512KiB`, `1MiB`, `1GiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(u64);

impl ByteSize {
    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// Reads `1048576`, `1048576B`, `512KiB`, `1MiB` or `1GiB` (space before the unit allowed);
    /// `None` for anything else, zero, or a size that does not fit in 64 bits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits_end);
        let multiplier: u64 = match unit.trim_start() {
            "" | "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => return None,
        };
        let bytes = number.parse::<u64>().ok()?.checked_mul(multiplier)?;
        (bytes > 0).then_some(Self(bytes))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match units
            .iter()
            .find(|(size, _)| self.0.is_multiple_of(*size) && self.0 >= *size)
        {
            Some((size, unit)) => write!(f, "{}{unit}", self.0 / size),
            None => write!(f, "{}B", self.0),
        }
    }
}

/// How and when the service reconciles with Jira (`docs/operations.md`, "Reconcile").
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ReconcileConfig {
    /// How often `serve` reconciles; `None`: never (`off`).
    pub interval: Option<Duration>,
    /// How far before the last reconciled point a reconcile reads again.
    pub overlap: Duration,
    /// The most search requests per second to one Jira (finite, above zero).
    pub rate: f64,
    /// How many issue keys one query names.
    pub batch: NonZeroU32,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The database.
    pub database_url: DatabaseUrl,
    /// Where the server listens.
    pub listen: SocketAddr,
    /// The public base URL, without a trailing `/`.
    pub public_url: String,
    /// How webhooks are processed.
    pub mode: Mode,
    /// The largest webhook body accepted.
    pub body_limit: ByteSize,
    /// The admin API's bearer token; without one the admin API is off. Never shown.
    pub admin_token: Option<SecretString>,
    /// How many inbox workers run.
    pub workers: NonZeroUsize,
    /// How many deliveries an inbox worker claims at once.
    pub claim_batch: NonZeroUsize,
    /// Whether the receiver applies a delivery itself when a worker is free (inbox mode).
    pub apply_at_receipt: bool,
    /// How many threads `serve` runs on: one runs everything on the main thread; more start a
    /// multi-threaded runtime (more inbox deliveries applied per second on a machine of its
    /// own, more CPU per delivery).
    pub runtime_threads: NonZeroUsize,
    /// The log line format.
    pub log_format: LogFormat,
    /// How long done inbox deliveries are kept.
    pub inbox_retention: Duration,
    /// How long an outgoing event is retried for a subscriber before it is dead-lettered.
    pub event_retry_for: Duration,
    /// The longest wait a long poll of the event feed may ask for.
    pub event_max_wait: Duration,
    /// How long settled events are kept (`None`: for ever).
    pub event_retention: Option<Duration>,
    /// How long done outbound work is kept (`None`: for ever).
    pub outbox_retention: Option<Duration>,
    /// The `RUST_LOG` filter, if set.
    pub log_filter: Option<String>,
    /// How long a request's line and headers may take to arrive.
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive, from the end of its headers.
    pub body_read_timeout: Duration,
    /// How many connections are served at once.
    pub max_connections: NonZeroUsize,
    /// How long a database call waits for a connection (PostgreSQL).
    pub database_timeout: Duration,
    /// The most connections the store's pool opens (`None`: the back-end's default).
    pub database_connections: Option<NonZeroU32>,
    /// How far past its receipt a webhook's event time may lie.
    pub event_time_tolerance: Duration,
    /// The reconcile with Jira.
    pub reconcile: ReconcileConfig,
    /// Whether `public_url` was configured (a flag, variable or file key) rather than defaulted:
    /// without it, commands use the public URL saved by the last install.
    pub public_url_configured: bool,
    /// Whether `serve` serves the setup pages and JSON steps.
    pub setup_enabled: bool,
    /// The Jira hosts the setup pages and `connect` may reach.
    pub jira_hosts: JiraHosts,
}

/// Where a value came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOrigin {
    /// A command-line flag, such as `--workers`.
    Flag(&'static str),
    /// An environment variable, such as `JIRASYNC_WORKERS`.
    Variable(&'static str),
    /// A key of the configuration file.
    FileKey {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
    },
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "flag {flag}"),
            Self::Variable(name) => write!(f, "environment variable {name}"),
            Self::FileKey { path, key } => write!(f, "key `{key}` in {}", path.display()),
        }
    }
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration file {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not TOML.
    #[error("the configuration file {} is not valid TOML: {message}", path.display())]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// The TOML parser's explanation, with line and column.
        message: String,
    },
    /// The configuration file has a key that is no option.
    #[error(
        "unknown key `{key}` in the configuration file {}: the keys are {}",
        path.display(),
        KNOWN_KEYS.join(", ")
    )]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
    /// A value is not of the expected form.
    #[error("invalid {origin}{}: expected {expected}", shown_value(.value.as_deref()))]
    InvalidValue {
        /// Where the value came from.
        origin: ValueOrigin,
        /// The value as given; `None` for a secret, which is never shown.
        value: Option<String>,
        /// The form expected.
        expected: &'static str,
    },
}

fn shown_value(value: Option<&str>) -> String {
    value.map_or_else(String::new, |value| format!(" {value:?}"))
}

/// One option: its file key, flag and variable, whether it is a secret, and the form expected.
struct OptionSpec {
    key: &'static str,
    flag: &'static str,
    variable: &'static str,
    secret: bool,
    expected: &'static str,
}

const DATABASE_URL: OptionSpec = OptionSpec {
    key: "database_url",
    flag: "--database-url",
    variable: "JIRASYNC_DATABASE_URL",
    secret: false,
    expected: "sqlite://FILE, a file path, or postgres://USER@HOST/DATABASE",
};
const LISTEN: OptionSpec = OptionSpec {
    key: "listen",
    flag: "--listen",
    variable: "JIRASYNC_LISTEN",
    secret: false,
    expected: "an IP address and port such as 127.0.0.1:8080 or [::1]:8080",
};
const PUBLIC_URL: OptionSpec = OptionSpec {
    key: "public_url",
    flag: "--public-url",
    variable: "JIRASYNC_PUBLIC_URL",
    secret: false,
    expected: "an http:// or https:// URL with a host and no query or fragment, such as https://sync.example.com",
};
const MODE: OptionSpec = OptionSpec {
    key: "mode",
    flag: "--mode",
    variable: "JIRASYNC_MODE",
    secret: false,
    expected: "inbox or inline",
};
const BODY_LIMIT: OptionSpec = OptionSpec {
    key: "body_limit",
    flag: "--body-limit",
    variable: "JIRASYNC_BODY_LIMIT",
    secret: false,
    expected: "a size above zero in bytes, or with a unit: B, KiB, MiB or GiB (such as 512KiB or 1MiB)",
};
const ADMIN_TOKEN: OptionSpec = OptionSpec {
    key: "admin_token",
    flag: "--admin-token",
    variable: "JIRASYNC_ADMIN_TOKEN",
    secret: true,
    expected: "at least 16 visible ASCII characters without spaces (the value is not shown)",
};
const WORKERS: OptionSpec = OptionSpec {
    key: "workers",
    flag: "--workers",
    variable: "JIRASYNC_WORKERS",
    secret: false,
    expected: "a whole number of at least 1",
};
const CLAIM_BATCH: OptionSpec = OptionSpec {
    key: "claim_batch",
    flag: "--claim-batch",
    variable: "JIRASYNC_CLAIM_BATCH",
    secret: false,
    expected: "a whole number of deliveries from 1 to 64",
};
const APPLY_AT_RECEIPT: OptionSpec = OptionSpec {
    key: "apply_at_receipt",
    flag: "--apply-at-receipt",
    variable: "JIRASYNC_APPLY_AT_RECEIPT",
    secret: false,
    expected: "true or false",
};
const RUNTIME_THREADS: OptionSpec = OptionSpec {
    key: "runtime_threads",
    flag: "--runtime-threads",
    variable: "JIRASYNC_RUNTIME_THREADS",
    secret: false,
    expected: "a whole number of at least 1",
};
const LOG_FORMAT: OptionSpec = OptionSpec {
    key: "log_format",
    flag: "--log-format",
    variable: "JIRASYNC_LOG_FORMAT",
    secret: false,
    expected: "human or json",
};
const INBOX_RETENTION: OptionSpec = OptionSpec {
    key: "inbox_retention",
    flag: "--inbox-retention",
    variable: "JIRASYNC_INBOX_RETENTION",
    secret: false,
    expected: DURATION_EXPECTED,
};

const DURATION_EXPECTED: &str = "a duration above zero and at most a year: seconds, or a whole number with a unit ms, s, m, h or d (such as 500ms, 3600, 24h or 7d)";
const HEADER_READ_TIMEOUT: OptionSpec = OptionSpec {
    key: "header_read_timeout",
    flag: "--header-read-timeout",
    variable: "JIRASYNC_HEADER_READ_TIMEOUT",
    secret: false,
    expected: DURATION_EXPECTED,
};
const BODY_READ_TIMEOUT: OptionSpec = OptionSpec {
    key: "body_read_timeout",
    flag: "--body-read-timeout",
    variable: "JIRASYNC_BODY_READ_TIMEOUT",
    secret: false,
    expected: DURATION_EXPECTED,
};
const MAX_CONNECTIONS: OptionSpec = OptionSpec {
    key: "max_connections",
    flag: "--max-connections",
    variable: "JIRASYNC_MAX_CONNECTIONS",
    secret: false,
    expected: "a whole number of at least 1",
};
const DATABASE_CONNECTIONS: OptionSpec = OptionSpec {
    key: "database_connections",
    flag: "--database-connections",
    variable: "JIRASYNC_DATABASE_CONNECTIONS",
    secret: false,
    expected: "a whole number of at least 1",
};
const DATABASE_TIMEOUT: OptionSpec = OptionSpec {
    key: "database_timeout",
    flag: "--database-timeout",
    variable: "JIRASYNC_DATABASE_TIMEOUT",
    secret: false,
    expected: DURATION_EXPECTED,
};
const EVENT_TIME_TOLERANCE: OptionSpec = OptionSpec {
    key: "event_time_tolerance",
    flag: "--event-time-tolerance",
    variable: "JIRASYNC_EVENT_TIME_TOLERANCE",
    secret: false,
    expected: DURATION_EXPECTED,
};

const RECONCILE_INTERVAL: OptionSpec = OptionSpec {
    key: "reconcile_interval",
    flag: "--reconcile-interval",
    variable: "JIRASYNC_RECONCILE_INTERVAL",
    secret: false,
    expected: "a duration such as 30s, 10m or 1h (seconds, or a whole number with ms, s, m, h or d; at most a year), or off (also 0) to never reconcile",
};
const RECONCILE_OVERLAP: OptionSpec = OptionSpec {
    key: "reconcile_overlap",
    flag: "--reconcile-overlap",
    variable: "JIRASYNC_RECONCILE_OVERLAP",
    secret: false,
    expected: "a duration such as 5m or 90s (seconds, or a whole number with ms, s, m, h or d; at most a year; 0 for none)",
};
const RECONCILE_RATE: OptionSpec = OptionSpec {
    key: "reconcile_rate",
    flag: "--reconcile-rate",
    variable: "JIRASYNC_RECONCILE_RATE",
    secret: false,
    expected: "a number of requests per second above zero, such as 5 or 0.5",
};
const RECONCILE_BATCH: OptionSpec = OptionSpec {
    key: "reconcile_batch",
    flag: "--reconcile-batch",
    variable: "JIRASYNC_RECONCILE_BATCH",
    secret: false,
    expected: "a whole number of issue keys from 1 to 500",
};

const NO_SETUP: OptionSpec = OptionSpec {
    key: "no_setup",
    flag: "--no-setup",
    variable: "JIRASYNC_NO_SETUP",
    secret: false,
    expected: "true or false",
};
const JIRA_ALLOWED_HOSTS: OptionSpec = OptionSpec {
    key: "jira_allowed_hosts",
    flag: "--jira-allowed-hosts",
    variable: "JIRASYNC_JIRA_ALLOWED_HOSTS",
    secret: false,
    expected: "comma-separated hosts, each a host name or address with an optional :PORT, or *.DOMAIN (such as jira.example.com,*.corp.example)",
};

const EVENT_RETRY_FOR: OptionSpec = OptionSpec {
    key: "event_retry_for",
    flag: "--event-retry-for",
    variable: "JIRASYNC_EVENT_RETRY_FOR",
    secret: false,
    expected: DURATION_EXPECTED,
};

/// How long an outgoing event is retried when no retry time is configured: a day.
pub const DEFAULT_EVENT_RETRY_FOR: Duration = Duration::from_secs(24 * 60 * 60);

const EVENT_MAX_WAIT: OptionSpec = OptionSpec {
    key: "event_max_wait",
    flag: "--event-max-wait",
    variable: "JIRASYNC_EVENT_MAX_WAIT",
    secret: false,
    expected: DURATION_EXPECTED,
};

/// The longest long poll when none is configured: a minute.
pub const DEFAULT_EVENT_MAX_WAIT: Duration = Duration::from_secs(60);

const EVENT_RETENTION: OptionSpec = OptionSpec {
    key: "event_retention",
    flag: "--event-retention",
    variable: "JIRASYNC_EVENT_RETENTION",
    secret: false,
    expected: "a duration such as 30d or 12h (seconds, or a whole number with ms, s, m, h or d; at most a year), or off (also 0) to keep events for ever",
};

const OUTBOX_RETENTION: OptionSpec = OptionSpec {
    key: "outbox_retention",
    flag: "--outbox-retention",
    variable: "JIRASYNC_OUTBOX_RETENTION",
    secret: false,
    expected: "a duration such as 30d or 12h (seconds, or a whole number with ms, s, m, h or d; at most a year), or off (also 0) to keep done outbound work for ever",
};

/// How long settled events are kept when no retention is configured: 30 days.
pub const DEFAULT_EVENT_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The keys a configuration file may hold.
const KNOWN_KEYS: [&str; 28] = [
    DATABASE_URL.key,
    LISTEN.key,
    PUBLIC_URL.key,
    MODE.key,
    BODY_LIMIT.key,
    ADMIN_TOKEN.key,
    WORKERS.key,
    CLAIM_BATCH.key,
    APPLY_AT_RECEIPT.key,
    RUNTIME_THREADS.key,
    LOG_FORMAT.key,
    HEADER_READ_TIMEOUT.key,
    BODY_READ_TIMEOUT.key,
    MAX_CONNECTIONS.key,
    DATABASE_TIMEOUT.key,
    DATABASE_CONNECTIONS.key,
    EVENT_TIME_TOLERANCE.key,
    INBOX_RETENTION.key,
    RECONCILE_INTERVAL.key,
    RECONCILE_OVERLAP.key,
    RECONCILE_RATE.key,
    RECONCILE_BATCH.key,
    NO_SETUP.key,
    JIRA_ALLOWED_HOSTS.key,
    EVENT_RETRY_FOR.key,
    EVENT_MAX_WAIT.key,
    EVENT_RETENTION.key,
    OUTBOX_RETENTION.key,
];

/// The environment variable naming the configuration file.
pub const CONFIG_FILE_VARIABLE: &str = "JIRASYNC_CONFIG";
/// The environment variable holding the log filter.
pub const LOG_FILTER_VARIABLE: &str = "RUST_LOG";

/// The configuration file's values, by key.
struct ConfigFile {
    path: PathBuf,
    values: BTreeMap<String, toml::Value>,
}

impl ConfigFile {
    fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        let values: BTreeMap<String, toml::Value> =
            toml::from_str(&text).map_err(|error| ConfigError::MalformedFile {
                path: path.to_owned(),
                message: error.to_string().trim_end().to_owned(),
            })?;
        if let Some(key) = values
            .keys()
            .find(|key| !KNOWN_KEYS.contains(&key.as_str()))
        {
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                key: key.clone(),
            });
        }
        Ok(Self {
            path: path.to_owned(),
            values,
        })
    }
}

/// Finds an option's value in the highest source that sets it.
struct Sources<'a> {
    env: &'a Environment,
    file: Option<ConfigFile>,
}

impl Sources<'_> {
    /// The option's raw text and where it came from; `Ok(None)` when no source sets it.
    fn lookup(
        &self,
        spec: &OptionSpec,
        flag: Option<&str>,
    ) -> Result<Option<(String, ValueOrigin)>, ConfigError> {
        if let Some(value) = flag {
            return Ok(Some((value.to_owned(), ValueOrigin::Flag(spec.flag))));
        }
        if let Some(value) = self.env.get(spec.variable) {
            return Ok(Some((
                value.to_owned(),
                ValueOrigin::Variable(spec.variable),
            )));
        }
        let Some(file) = &self.file else {
            return Ok(None);
        };
        let Some(value) = file.values.get(spec.key) else {
            return Ok(None);
        };
        let origin = ValueOrigin::FileKey {
            path: file.path.clone(),
            key: spec.key,
        };
        match value {
            toml::Value::String(text) => Ok(Some((text.clone(), origin))),
            toml::Value::Integer(number) => Ok(Some((number.to_string(), origin))),
            toml::Value::Float(number) => Ok(Some((number.to_string(), origin))),
            toml::Value::Boolean(value) => Ok(Some((value.to_string(), origin))),
            // A list of strings reads as the comma-separated text a flag would give.
            toml::Value::Array(items) if items.iter().all(toml::Value::is_str) => Ok(Some((
                items
                    .iter()
                    .filter_map(toml::Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                origin,
            ))),
            other => Err(ConfigError::InvalidValue {
                origin,
                value: (!spec.secret).then(|| other.to_string()),
                expected: spec.expected,
            }),
        }
    }

    /// The option's value parsed by `parse`, or `None` when no source sets it.
    fn value<T>(
        &self,
        spec: &OptionSpec,
        flag: Option<&str>,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        let Some((text, origin)) = self.lookup(spec, flag)? else {
            return Ok(None);
        };
        match parse(&text) {
            Some(value) => Ok(Some(value)),
            None => Err(ConfigError::InvalidValue {
                origin,
                value: (!spec.secret).then_some(text),
                expected: spec.expected,
            }),
        }
    }
}

impl Config {
    /// Resolves the configuration from the flags, the environment, the configuration file (from
    /// `--config` or `JIRASYNC_CONFIG`, read here if named) and the defaults.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first refused value's flag, variable or file key, an unknown
    /// file key, or a file that cannot be read or is not TOML.
    pub fn resolve(args: &ConfigArgs, env: &Environment) -> Result<Self, ConfigError> {
        let file_path = args
            .config
            .clone()
            .or_else(|| env.get(CONFIG_FILE_VARIABLE).map(PathBuf::from));
        let file = file_path.as_deref().map(ConfigFile::read).transpose()?;
        let sources = Sources { env, file };

        let database_url = sources
            .value(
                &DATABASE_URL,
                args.database_url.as_deref(),
                parse_database_url,
            )?
            .unwrap_or_else(|| DatabaseUrl::new(DEFAULT_DATABASE_URL));
        let listen = match sources.value(&LISTEN, args.listen.as_deref(), |text| {
            text.trim().parse::<SocketAddr>().ok()
        })? {
            Some(listen) => listen,
            None => default_listen(),
        };
        let configured_public_url =
            sources.value(&PUBLIC_URL, args.public_url.as_deref(), parse_public_url)?;
        let public_url_configured = configured_public_url.is_some();
        let public_url = configured_public_url.unwrap_or_else(|| format!("http://{listen}"));
        let mode = sources
            .value(&MODE, args.mode.as_deref(), |text| match text.trim() {
                "inbox" => Some(Mode::Inbox),
                "inline" => Some(Mode::Inline),
                _ => None,
            })?
            .unwrap_or_default();
        let body_limit = sources
            .value(&BODY_LIMIT, args.body_limit.as_deref(), ByteSize::parse)?
            .unwrap_or(DEFAULT_BODY_LIMIT);
        let admin_token =
            sources.value(&ADMIN_TOKEN, args.admin_token.as_deref(), parse_admin_token)?;
        let workers = sources
            .value(&WORKERS, args.workers.as_deref(), |text| {
                text.trim().parse::<NonZeroUsize>().ok()
            })?
            .unwrap_or(DEFAULT_WORKERS);
        let claim_batch = sources
            .value(&CLAIM_BATCH, args.claim_batch.as_deref(), |text| {
                parse_count_up_to(text, MAX_CLAIM_BATCH)
            })?
            .unwrap_or(DEFAULT_CLAIM_BATCH);
        let apply_at_receipt = sources
            .value(
                &APPLY_AT_RECEIPT,
                args.apply_at_receipt.as_deref(),
                parse_bool,
            )?
            .unwrap_or(true);
        let runtime_threads = sources
            .value(&RUNTIME_THREADS, args.runtime_threads.as_deref(), |text| {
                text.trim().parse::<NonZeroUsize>().ok()
            })?
            .unwrap_or(DEFAULT_RUNTIME_THREADS);
        let log_format = sources
            .value(&LOG_FORMAT, args.log_format.as_deref(), |text| {
                match text.trim() {
                    "human" => Some(LogFormat::Human),
                    "json" => Some(LogFormat::Json),
                    _ => None,
                }
            })?
            .unwrap_or(if env.stderr_is_terminal() {
                LogFormat::Human
            } else {
                LogFormat::Json
            });
        let duration = |spec: &OptionSpec, flag: Option<&str>, default: Duration| {
            sources
                .value(spec, flag, parse_duration)
                .map(|value| value.unwrap_or(default))
        };
        let header_read_timeout = duration(
            &HEADER_READ_TIMEOUT,
            args.header_read_timeout.as_deref(),
            DEFAULT_HEADER_READ_TIMEOUT,
        )?;
        let body_read_timeout = duration(
            &BODY_READ_TIMEOUT,
            args.body_read_timeout.as_deref(),
            DEFAULT_BODY_READ_TIMEOUT,
        )?;
        let max_connections = sources
            .value(&MAX_CONNECTIONS, args.max_connections.as_deref(), |text| {
                text.trim().parse::<NonZeroUsize>().ok()
            })?
            .unwrap_or(DEFAULT_MAX_CONNECTIONS);
        let database_timeout = duration(
            &DATABASE_TIMEOUT,
            args.database_timeout.as_deref(),
            DEFAULT_DATABASE_TIMEOUT,
        )?;
        let database_connections = sources.value(
            &DATABASE_CONNECTIONS,
            args.database_connections.as_deref(),
            |text| text.trim().parse::<NonZeroU32>().ok(),
        )?;
        let event_time_tolerance = duration(
            &EVENT_TIME_TOLERANCE,
            args.event_time_tolerance.as_deref(),
            DEFAULT_EVENT_TIME_TOLERANCE,
        )?;
        let inbox_retention = duration(
            &INBOX_RETENTION,
            args.inbox_retention.as_deref(),
            DEFAULT_INBOX_RETENTION,
        )?;
        let reconcile = ReconcileConfig {
            interval: sources
                .value(
                    &RECONCILE_INTERVAL,
                    args.reconcile_interval.as_deref(),
                    parse_duration_or_off,
                )?
                .unwrap_or(Some(DEFAULT_RECONCILE_INTERVAL)),
            overlap: sources
                .value(
                    &RECONCILE_OVERLAP,
                    args.reconcile_overlap.as_deref(),
                    parse_duration_or_zero,
                )?
                .unwrap_or(DEFAULT_RECONCILE_OVERLAP),
            rate: sources
                .value(&RECONCILE_RATE, args.reconcile_rate.as_deref(), |text| {
                    text.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|rate| rate.is_finite() && *rate > 0.0)
                })?
                .unwrap_or(DEFAULT_RECONCILE_RATE),
            batch: sources
                .value(&RECONCILE_BATCH, args.reconcile_batch.as_deref(), |text| {
                    parse_count_up_to(text, MAX_RECONCILE_BATCH)
                })?
                .unwrap_or(DEFAULT_RECONCILE_BATCH),
        };
        let no_setup = sources
            .value(&NO_SETUP, args.no_setup.then_some("true"), parse_bool)?
            .unwrap_or(false);
        let jira_hosts = sources
            .value(
                &JIRA_ALLOWED_HOSTS,
                args.jira_allowed_hosts.as_deref(),
                parse_jira_hosts,
            )?
            .unwrap_or_default();
        let event_retry_for = duration(
            &EVENT_RETRY_FOR,
            args.event_retry_for.as_deref(),
            DEFAULT_EVENT_RETRY_FOR,
        )?;
        let event_max_wait = duration(
            &EVENT_MAX_WAIT,
            args.event_max_wait.as_deref(),
            DEFAULT_EVENT_MAX_WAIT,
        )?;
        let event_retention = sources
            .value(
                &EVENT_RETENTION,
                args.event_retention.as_deref(),
                parse_duration_or_off,
            )?
            .unwrap_or(Some(DEFAULT_EVENT_RETENTION));
        let outbox_retention = sources
            .value(
                &OUTBOX_RETENTION,
                args.outbox_retention.as_deref(),
                parse_duration_or_off,
            )?
            .unwrap_or(Some(jirasync_service::DEFAULT_OUTBOX_RETENTION));
        Ok(Self {
            database_url,
            listen,
            public_url,
            mode,
            body_limit,
            admin_token,
            workers,
            claim_batch,
            apply_at_receipt,
            runtime_threads,
            log_format,
            inbox_retention,
            event_retry_for,
            event_max_wait,
            event_retention,
            outbox_retention,
            log_filter: env.get(LOG_FILTER_VARIABLE).map(str::to_owned),
            header_read_timeout,
            body_read_timeout,
            max_connections,
            database_timeout,
            database_connections,
            event_time_tolerance,
            reconcile,
            public_url_configured,
            setup_enabled: !no_setup,
            jira_hosts,
        })
    }
}

/// Reads a duration as [`parse_duration`] does, or `off` or `0` for none (`Some(None)`).
fn parse_duration_or_off(text: &str) -> Option<Option<Duration>> {
    match text.trim() {
        "off" => Some(None),
        text => {
            parse_duration_or_zero(text).map(|duration| (!duration.is_zero()).then_some(duration))
        }
    }
}

/// Reads a duration as [`parse_duration`] does, or `0` (with or without a unit) for none.
fn parse_duration_or_zero(text: &str) -> Option<Duration> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let zero = !number.is_empty()
        && number.bytes().all(|digit| digit == b'0')
        && matches!(unit.trim_start(), "" | "ms" | "s" | "m" | "h" | "d");
    if zero {
        Some(Duration::ZERO)
    } else {
        parse_duration(text)
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn parse_database_url(text: &str) -> Option<DatabaseUrl> {
    let url = DatabaseUrl::new(text.trim());
    (!text.trim().is_empty() && url.backend().is_some()).then_some(url)
}

fn parse_public_url(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| !host.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    usable.then(|| url.as_str().trim_end_matches('/').to_owned())
}

/// Reads a duration: a whole number of seconds (`3600`), or a whole number with a unit `ms`,
/// `s`, `m`, `h` or `d` (`500ms`, `10s`, `5m`, `24h`, `7d`; a space before the unit allowed);
/// `None` for anything else, zero, or more than a year.
fn parse_duration(text: &str) -> Option<Duration> {
    const LONGEST: Duration = Duration::from_secs(366 * 24 * 60 * 60);
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let number = number.parse::<u64>().ok().filter(|number| *number > 0)?;
    let duration = match unit.trim_start() {
        "ms" => Duration::from_millis(number),
        "" | "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.checked_mul(60)?),
        "h" => Duration::from_secs(number.checked_mul(60 * 60)?),
        "d" => Duration::from_secs(number.checked_mul(24 * 60 * 60)?),
        _ => return None,
    };
    (duration <= LONGEST).then_some(duration)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_jira_hosts(text: &str) -> Option<JiraHosts> {
    let entries: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    if entries.is_empty() {
        return None;
    }
    JiraHosts::allow_only(entries).ok()
}

fn parse_admin_token(text: &str) -> Option<SecretString> {
    let usable =
        text.chars().count() >= MIN_ADMIN_TOKEN_CHARS && text.chars().all(|c| c.is_ascii_graphic());
    usable.then(|| SecretString::new(text))
}

/// A whole number from 1 to `max` (spaces around it ignored): the sizes of claims and queries.
fn parse_count_up_to<T, N>(text: &str, max: N) -> Option<T>
where
    T: std::str::FromStr + PartialOrd + TryFrom<N>,
{
    let max = T::try_from(max).ok()?;
    text.trim().parse::<T>().ok().filter(|count| *count <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_counts_refuse_zero_and_what_is_past_the_bound() {
        assert_eq!(
            parse_count_up_to::<NonZeroUsize, _>(" 64 ", MAX_CLAIM_BATCH).map(NonZeroUsize::get),
            Some(64)
        );
        assert_eq!(
            parse_count_up_to::<NonZeroU32, _>("1", MAX_RECONCILE_BATCH).map(NonZeroU32::get),
            Some(1)
        );
        for refused in ["0", "65", "-1", "8.5", "", "eight"] {
            assert_eq!(
                parse_count_up_to::<NonZeroUsize, _>(refused, MAX_CLAIM_BATCH),
                None,
                "{refused}"
            );
        }
    }

    #[test]
    fn the_refusals_of_bounded_counts_name_the_bounds_applied() {
        for (spec, max) in [
            (&CLAIM_BATCH, MAX_CLAIM_BATCH.to_string()),
            (&RECONCILE_BATCH, MAX_RECONCILE_BATCH.to_string()),
        ] {
            assert!(
                spec.expected.ends_with(&format!("from 1 to {max}")),
                "{}: {}",
                spec.key,
                spec.expected
            );
        }
    }

    #[test]
    fn the_default_listen_address_is_the_documented_one() {
        assert_eq!(default_listen().to_string(), DEFAULT_LISTEN);
    }

    #[test]
    fn reads_sizes_with_and_without_units() {
        assert_eq!(ByteSize::parse("1MiB"), Some(ByteSize(1_048_576)));
        assert_eq!(ByteSize::parse("512KiB"), Some(ByteSize(524_288)));
        assert_eq!(ByteSize::parse("512 KiB"), Some(ByteSize(524_288)));
        assert_eq!(ByteSize::parse("2048"), Some(ByteSize(2048)));
        assert_eq!(ByteSize::parse("2048B"), Some(ByteSize(2048)));
        assert_eq!(ByteSize::parse("1GiB"), Some(ByteSize(1 << 30)));
        for refused in [
            "",
            "0",
            "0MiB",
            "1MB",
            "1 mib",
            "-1",
            "1.5MiB",
            "MiB",
            "99999999999GiB",
        ] {
            assert_eq!(ByteSize::parse(refused), None, "{refused}");
        }
    }

    #[test]
    fn reads_durations_in_seconds_or_with_a_unit() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3_600)));
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration(" 10 s "), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("12 h"), Some(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        for refused in [
            "",
            "0",
            "0s",
            "0d",
            "-1s",
            "1.5s",
            "1.5h",
            "s",
            "d",
            "1w",
            "10 sec",
            "1 day",
            "10S",
            "9000h",
            "367d",
            "99999999999999999999s",
            "999999999999999999d",
        ] {
            assert_eq!(parse_duration(refused), None, "{refused}");
        }
        for zero in ["0", "0s", "00m", " 0 ms "] {
            assert_eq!(parse_duration_or_zero(zero), Some(Duration::ZERO), "{zero}");
        }
        assert_eq!(parse_duration_or_zero("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration_or_zero("-0"), None);
    }

    #[test]
    fn shows_sizes_in_the_largest_exact_unit() {
        assert_eq!(DEFAULT_BODY_LIMIT.to_string(), "1MiB");
        assert_eq!(ByteSize(524_288).to_string(), "512KiB");
        assert_eq!(ByteSize(1000).to_string(), "1000B");
    }
}
