//! Opening the store a database URL names: [`open`] for the standalone service (jirasync is its
//! own host), [`open_bookkeeping`] for an application that is the host itself.

use std::sync::Arc;
use std::time::Duration;

use jirasync_domain::inbox::Inbox;
use jirasync_domain::{
    ApplicationData, Host, LocalIssueStore, ReconcileStore, SetupStore, StateStore, SyncStore,
};

use crate::{DatabaseUrl, Layout};

/// The newest schema version this build knows (`crate::migration` lists them): [`open`] brings a
/// database to it; [`open_bookkeeping`] applies every bookkeeping migration up to it and none of
/// the standalone ones. A database migrated further by a newer build is refused.
pub const SCHEMA_VERSION: i64 = 14;

/// Everything the standalone service needs from one database: jirasync's bookkeeping, the
/// inbox, the reconcile bookkeeping, the standalone host over its own tables, their issues and
/// activities, the whole-state import and export, and the set-up links and saved public URL, and the application's writes by its own ids.
/// Implemented by every store of this crate opened with [`Layout::Standalone`].
pub trait AnyStore:
    SyncStore
    + Inbox
    + ReconcileStore
    + Host
    + LocalIssueStore
    + StateStore
    + SetupStore
    + ApplicationData
    + std::fmt::Debug
{
}

impl<T> AnyStore for T where
    T: SyncStore
        + Inbox
        + ReconcileStore
        + Host
        + LocalIssueStore
        + StateStore
        + SetupStore
        + ApplicationData
        + std::fmt::Debug
        + ?Sized
{
}

/// What an application that is its own host needs from jirasync's tables: the bookkeeping, the
/// inbox and the reconcile bookkeeping.
pub trait BookkeepingStore: SyncStore + Inbox + ReconcileStore + std::fmt::Debug {}

impl<T> BookkeepingStore for T where T: SyncStore + Inbox + ReconcileStore + std::fmt::Debug + ?Sized
{}

/// Why a store could not be opened. Every message names the database by its URL without the
/// password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL names no back-end this build supports.
    #[error(
        "unsupported database URL {url}: use sqlite://FILE (or a file path) or postgres://USER@HOST/DATABASE"
    )]
    UnsupportedUrl {
        /// The URL, password hidden.
        url: String,
    },
    /// The URL is not a valid URL for its back-end.
    #[error("invalid database URL {url}: {message}")]
    InvalidUrl {
        /// The URL, password hidden.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the database at {url}: {message}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// The driver's explanation.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<sqlx::Error>,
    },
    /// The schema could not be brought up to date.
    #[error("cannot migrate the database at {url}: {message}")]
    Migrate {
        /// The URL, password hidden.
        url: String,
        /// What failed.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<sqlx::Error>,
    },
}

/// How [`open_with`] reaches a database server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenOptions {
    /// PostgreSQL: how long a call waits for a connection, opening one included
    /// ([`PostgresOptions::acquire_timeout`](crate::postgres::PostgresOptions::acquire_timeout)),
    /// so how soon a call fails with a retryable `StoreError::Unavailable`, and opening fails,
    /// when the database is down. Not used by SQLite, a local file.
    pub connect_timeout: Duration,
    /// The most connections the store's main pool opens, `None` for the back-end's default
    /// ([`PostgresOptions::max_connections`](crate::postgres::PostgresOptions::max_connections),
    /// 10; [`SqliteOptions::max_connections`](crate::sqlite::SqliteOptions::max_connections),
    /// 8). On PostgreSQL each sync session holds one from its start to its commit, so this
    /// bounds how many deliveries are applied at once; the standalone host's calls, the
    /// configuration listener and SQLite's writer and direct readers have connections of their
    /// own besides.
    pub max_connections: Option<u32>,
}

impl OpenOptions {
    /// Options with this connect timeout and the back-end's pool size.
    pub const fn with_connect_timeout(connect_timeout: Duration) -> Self {
        Self {
            connect_timeout,
            max_connections: None,
        }
    }

    /// These options with a main pool of at most `connections` (at least one).
    #[must_use]
    pub const fn with_max_connections(mut self, connections: u32) -> Self {
        self.max_connections = Some(if connections == 0 { 1 } else { connections });
        self
    }
}

impl Default for OpenOptions {
    /// The back-ends' defaults (PostgreSQL: 30 s, 10 connections; SQLite: 8 connections).
    fn default() -> Self {
        Self::with_connect_timeout(Duration::from_secs(30))
    }
}

/// Connects to the database `url` names, applies the embedded migrations of the standalone
/// layout and returns the store.
///
/// `sqlite://FILE` (created when missing) or a bare path opens the embedded store;
/// `postgres://…` connects a pool to PostgreSQL.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn AnyStore>, OpenError> {
    open_with(url, OpenOptions::default()).await
}

/// [`open`] with these options.
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
pub async fn open_with(
    url: &DatabaseUrl,
    options: OpenOptions,
) -> Result<Arc<dyn AnyStore>, OpenError> {
    match url.backend() {
        // Each back-end adds its arm here.
        #[cfg(feature = "sqlite")]
        Some(crate::Backend::Sqlite) => {
            let mut sqlite = crate::sqlite::SqliteOptions::default();
            if let Some(connections) = options.max_connections {
                sqlite = sqlite.max_connections(connections);
            }
            Ok(Arc::new(
                crate::sqlite::SqliteStore::open_with(url, sqlite).await?,
            ))
        }
        #[cfg(feature = "postgres")]
        Some(crate::Backend::Postgres) => {
            let mut postgres = crate::postgres::PostgresOptions::default()
                .acquire_timeout(options.connect_timeout);
            if let Some(connections) = options.max_connections {
                postgres = postgres.max_connections(connections);
            }
            Ok(Arc::new(
                crate::postgres::PostgresStore::connect_with(url, postgres).await?,
            ))
        }
        _ => Err(unsupported(url)),
    }
}

/// Connects to the database `url` names with [`Layout::Bookkeeping`]: only jirasync's
/// `jirasync_` tables are created (next to the application's own, if the database has them).
pub async fn open_bookkeeping(url: &DatabaseUrl) -> Result<Arc<dyn BookkeepingStore>, OpenError> {
    match url.backend() {
        #[cfg(feature = "sqlite")]
        Some(crate::Backend::Sqlite) => {
            let options = crate::sqlite::SqliteOptions::default().layout(Layout::Bookkeeping);
            Ok(Arc::new(
                crate::sqlite::SqliteStore::open_with(url, options).await?,
            ))
        }
        #[cfg(feature = "postgres")]
        Some(crate::Backend::Postgres) => {
            let options = crate::postgres::PostgresOptions::default().layout(Layout::Bookkeeping);
            Ok(Arc::new(
                crate::postgres::PostgresStore::connect_with(url, options).await?,
            ))
        }
        _ => Err(unsupported(url)),
    }
}

fn unsupported(url: &DatabaseUrl) -> OpenError {
    OpenError::UnsupportedUrl {
        url: url.redacted(),
    }
}
