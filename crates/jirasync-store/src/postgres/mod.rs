//! The PostgreSQL store: one database shared by several `jirasync serve` instances.
//!
//! [`PostgresStore`] wraps connection pools. [`PostgresStore::connect`] reaches the server the
//! URL names (TLS as its `sslmode` asks) and brings the schema up to date with the embedded
//! migrations, under an advisory lock so that instances starting together do not race.
//!
//! It implements the domain's [`SyncStore`](jirasync_domain::SyncStore) and
//! [`Inbox`](jirasync_domain::inbox::Inbox), and with [`Layout::Standalone`] (the default) the
//! standalone [`Host`](jirasync_domain::Host) over its own tables, `LocalIssueStore`,
//! `StateStore` and (`testing` feature) `Seed`, with the same SQL as the SQLite store (see
//! `sql/`). The inbox's claims take the head of each ordering key with `FOR UPDATE SKIP
//! LOCKED`, so several workers on several instances never claim the same delivery.
//!
//! # Two pools, and why they cannot deadlock
//!
//! A sync session (`session.rs`) is a transaction holding the Jira issue's
//! `jirasync_external_issues` rows locked **while the host runs**, so it keeps one connection of
//! the main pool from `begin_issue_sync` to its commit. If the host's calls took connections
//! from the same pool, as many sessions as the pool has connections would hold them all while
//! each waits for one more for its host call: every instance would stop until the acquire
//! timeout. So the standalone host's calls (and `Seed`) run on a second, smaller pool of their
//! own ([`PostgresOptions::host_connections`]). A host call holds its connection only for its
//! own short statements and never waits for a session, so it always gets one in time; and a
//! session waiting for the main pool holds nothing. The database's own locks cannot form a
//! cycle either: sessions lock `jirasync_external_issues` rows in organization order, host calls
//! never touch them, and a state import locks `jirasync_external_issues` before any table a
//! host call writes (`state.rs`). Calls inside a session never use the main pool: the rule
//! reads the bookkeeping it needs before it begins.
//!
//! A failure of the database during a call (connection lost, pool closed, serialization
//! failure, deadlock, a lock wait beyond `lock_timeout`) is a retryable
//! [`StoreError::Unavailable`].

mod app_data;
mod config_listener;
mod direct;
mod events;
mod external_actors;
mod host;
mod inbox;
mod integrations;
mod issue_links;
mod issue_sync;
mod migrate;
mod organizations;
mod outbound;
mod reconcile;
#[cfg(feature = "testing")]
mod seed;
mod session;
mod setup;
mod state;
mod status_mappings;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use jirasync_domain::StoreError;
use jirasync_domain::events::EventIds;
use jirasync_domain::store::EventHub;

use crate::config_cache::ConfigCache;
use crate::layout::bookkeeping_only;
use crate::{DatabaseUrl, Layout, OpenError};
use config_listener::ConfigListener;

/// How [`PostgresStore::connect_with`] sets up its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// The most connections the main pool opens (10 by default). Each sync session holds one
    /// from its start to its commit.
    pub max_connections: u32,
    /// How long a call waits for a free connection of the pool, opening one included; when
    /// the database is down, how long a call takes to fail with [`StoreError::Unavailable`] and
    /// [`PostgresStore::connect_with`] to fail. 30 s by default; `jirasync serve` and the CLI use
    /// their `database_timeout` option (1 s by default) to fail fast.
    pub acquire_timeout: Duration,
    /// The schema every connection works in (its `search_path`); `None` keeps the server's
    /// default (normally `public`). The schema must exist.
    pub schema: Option<String>,
    /// How long the start of a Jira issue's sync waits for another session of the same issue
    /// (on any instance) before it fails with [`StoreError::Unavailable`] (its `lock_timeout`).
    pub issue_lock_wait: Duration,
    /// The most connections of the standalone host's own pool (see the module docs). Not opened
    /// with [`Layout::Bookkeeping`].
    pub host_connections: u32,
    /// Which tables the store creates and serves.
    pub layout: Layout,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(30),
            schema: None,
            issue_lock_wait: Duration::from_secs(30),
            host_connections: 5,
            layout: Layout::Standalone,
        }
    }
}

impl PostgresOptions {
    /// Sets [`PostgresOptions::max_connections`] (at least one).
    pub fn max_connections(mut self, connections: u32) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// Sets [`PostgresOptions::acquire_timeout`].
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Sets [`PostgresOptions::issue_lock_wait`].
    pub fn issue_lock_wait(mut self, wait: Duration) -> Self {
        self.issue_lock_wait = wait;
        self
    }

    /// Sets [`PostgresOptions::host_connections`] (at least one).
    pub fn host_connections(mut self, connections: u32) -> Self {
        self.host_connections = connections.max(1);
        self
    }

    /// Sets [`PostgresOptions::layout`].
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }
}

/// The PostgreSQL store: pools of connections to one database whose schema is up to date.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    /// jirasync's bookkeeping, the inbox, and the sync sessions.
    pool: PgPool,
    /// The standalone host's calls; `None` with [`Layout::Bookkeeping`].
    host_pool: Option<PgPool>,
    issue_lock_wait: Duration,
    events: EventHub,
    /// Integrations and organization links, kept while the listener listens.
    config: Arc<ConfigCache>,
    /// Stops with the store's last handle.
    config_listener: Arc<ConfigListener>,
}

impl PostgresStore {
    /// Connects to the database `url` names with [`PostgresOptions::default`] and applies the
    /// embedded migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, OpenError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects to the database `url` names with `options` and applies the embedded
    /// migrations. Errors name the URL without its password.
    pub async fn connect_with(
        url: &DatabaseUrl,
        options: PostgresOptions,
    ) -> Result<Self, OpenError> {
        let mut connect_options =
            PgConnectOptions::from_str(url.expose_secret()).map_err(|error| {
                OpenError::InvalidUrl {
                    url: url.redacted(),
                    message: without_password(url, &error.to_string()),
                }
            })?;
        if let Some(schema) = &options.schema {
            connect_options = connect_options.options([("search_path", quoted_identifier(schema))]);
        }
        let connect = |connections: u32| {
            // The ping before each use stays: it replaces connections the server closed (a
            // restart, a fail-over, an idle timeout) before a call fails on them. A connection
            // returned inside a transaction is rolled back first (see `crate::pool`).
            PgPoolOptions::new()
                .after_release(crate::pool::roll_back_abandoned::<Postgres>)
                .max_connections(connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect_options.clone())
        };
        let connect_error = |error: sqlx::Error| OpenError::Connect {
            url: url.redacted(),
            message: without_password(url, &error.to_string()),
            source: Some(error),
        };
        let pool = match connect(options.max_connections).await {
            Ok(pool) => pool,
            // The pool retries until its timeout and then only says it timed out: one more
            // attempt, bounded the same way, tells the operator why.
            Err(sqlx::Error::PoolTimedOut) => {
                let cause = why_no_connection(&connect_options, options.acquire_timeout).await;
                return Err(OpenError::Connect {
                    url: url.redacted(),
                    message: without_password(url, &cause),
                    source: Some(sqlx::Error::PoolTimedOut),
                });
            }
            Err(error) => return Err(connect_error(error)),
        };
        migrate::apply_migrations(&pool, options.layout)
            .await
            .map_err(|failure| failure.into_open_error(url))?;
        let host_pool = match options.layout {
            Layout::Standalone => Some(
                connect(options.host_connections.max(1))
                    .await
                    .map_err(connect_error)?,
            ),
            Layout::Bookkeeping => None,
        };
        let config = Arc::new(ConfigCache::default());
        let config_listener = Arc::new(ConfigListener::start(&connect_options, &config));
        Ok(Self {
            pool,
            host_pool,
            issue_lock_wait: options.issue_lock_wait,
            events: EventHub::default(),
            config,
            config_listener,
        })
    }

    /// This store with its events' ids and timestamps drawn from `ids` (the system clock and
    /// the operating system's randomness by default). Clones made before keep the old source.
    #[must_use]
    pub fn with_event_ids(mut self, ids: EventIds) -> Self {
        self.events = EventHub::new(ids);
        self
    }

    /// Which tables the store serves.
    pub fn layout(&self) -> Layout {
        match self.host_pool {
            Some(_) => Layout::Standalone,
            None => Layout::Bookkeeping,
        }
    }

    /// The cache of integrations and organization links (`crate::config_cache`).
    fn config_cache(&self) -> Option<&ConfigCache> {
        Some(&self.config)
    }

    /// Empties the cache of integrations and organization links after this store changed them
    /// (the listener would, a moment later).
    fn config_changed(&self) {
        self.config.forget();
    }

    /// The pool the standalone host's calls run on; refused on a bookkeeping-only store.
    fn host_pool(&self) -> Result<&PgPool, StoreError> {
        self.host_pool.as_ref().ok_or_else(bookkeeping_only)
    }

    /// The main connection pool, for callers that need a query of their own (diagnostics,
    /// tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection of both pools; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        self.config_listener.stop();
        self.pool.close().await;
        if let Some(host_pool) = &self.host_pool {
            host_pool.close().await;
        }
    }
}

impl crate::sql::Dialect for PostgresStore {
    type Database = Postgres;
    // READ COMMITTED: each statement sees what committed before it, and the row locks a plan
    // takes order it after the plans holding them.
    const BEGIN_WRITE: &'static str = "BEGIN";
    // READ COMMITTED would give each statement its own snapshot.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    const TRUE: &'static str = "TRUE";
    // READ COMMITTED lets two transactions read the same row: the one that writes from what it
    // read locks the row first.
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE OF d SKIP LOCKED";
    // The lock's key is arbitrary, the same for every instance sharing the database: "jirasync
    // events". The event's sequence is drawn when its row is inserted, after the lock is taken.
    const APPEND_EVENT: Option<&'static str> = Some(
        "WITH serialised AS (SELECT pg_advisory_xact_lock(7415012077)), \
         event AS (INSERT INTO jirasync_events \
         (id, type, organization_id, ordering_key, occurred_at, data) \
         SELECT $1, $2, $3, $4, $5, $6 FROM serialised RETURNING sequence) \
         INSERT INTO jirasync_event_deliveries \
         (subscriber_id, event_sequence, ordering_key, status, due_at, pending_since) \
         SELECT s.id, event.sequence, $4, 'pending', $5, $5 \
         FROM event CROSS JOIN jirasync_event_subscribers s",
    );
}

/// Why no connection could be opened within `timeout`, from one direct attempt.
async fn why_no_connection(options: &PgConnectOptions, timeout: Duration) -> String {
    use sqlx::Connection as _;
    let within = format!("no connection within {} s", timeout.as_secs_f64());
    match tokio::time::timeout(timeout, sqlx::PgConnection::connect_with(options)).await {
        Ok(Err(error)) => format!("{within}: {error}"),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            format!("{within} (the server answered a later attempt: it may be overloaded)")
        }
        Err(_) => format!("{within}: the server did not answer"),
    }
}

/// `name` as a PostgreSQL quoted identifier: in double quotes, inner double quotes doubled.
fn quoted_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A driver message with the URL's password, should the driver quote it, hidden.
fn without_password(url: &DatabaseUrl, message: &str) -> String {
    let password = url::Url::parse(url.expose_secret())
        .ok()
        .and_then(|parsed| parsed.password().map(str::to_owned));
    match password {
        Some(password) if !password.is_empty() => message.replace(&password, "***"),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_identifier_doubles_inner_quotes() {
        assert_eq!(quoted_identifier("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn driver_messages_never_show_the_password() {
        let url = DatabaseUrl::new("postgres://app:s3cret@db.example/jirasync");
        assert_eq!(without_password(&url, "bad s3cret here"), "bad *** here");
    }
}
