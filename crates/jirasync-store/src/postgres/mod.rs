//! The PostgreSQL store: one database shared by several `jirasync serve` instances.
//!
//! [`PostgresStore`] wraps a connection pool. [`PostgresStore::connect`] reaches the server the
//! URL names (TLS as its `sslmode` asks) and brings the schema up to date with the embedded
//! migrations, under an advisory lock so that instances starting together do not race.
//!
//! It implements every storage trait of `jirasync-domain` (including `StateStore`), its `Seed`
//! trait, and [`Inbox`](crate::inbox::Inbox), with the same SQL as the SQLite store (see
//! `sql/`). Each plan is one transaction that locks the plan's `external_issues` rows (in organization order, so
//! two plans never deadlock) before it reads their watermarks: two instances on one database
//! never apply an older event after a newer one. The inbox's claims take the head of each
//! ordering key with `FOR UPDATE SKIP LOCKED`, so several workers on several instances never
//! claim the same delivery.
//!
//! A failure of the database during a call (connection lost, pool closed, serialization
//! failure, deadlock) is a retryable
//! [`StoreError::Unavailable`](jirasync_domain::StoreError::Unavailable).

mod directory;
mod external_actors;
mod inbox;
mod integrations;
mod issue_links;
mod issue_sync;
mod migrate;
mod seed;
mod state;

use std::str::FromStr;
use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::{DatabaseUrl, OpenError};

/// How [`PostgresStore::connect_with`] sets up its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// How long a query waits for a free connection (and the first connection may take).
    pub acquire_timeout: Duration,
    /// The schema every connection works in (its `search_path`); `None` keeps the server's
    /// default (normally `public`). The schema must exist.
    pub schema: Option<String>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(30),
            schema: None,
        }
    }
}

/// The PostgreSQL store: a pool of connections to one database whose schema is up to date.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
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
            PgConnectOptions::from_str(url.expose()).map_err(|error| OpenError::InvalidUrl {
                url: url.redacted(),
                message: without_password(url, &error.to_string()),
            })?;
        if let Some(schema) = &options.schema {
            connect_options = connect_options.options([("search_path", quoted_identifier(schema))]);
        }
        // The ping before each use stays: it replaces connections the server closed (a restart,
        // a fail-over, an idle timeout) before a call fails on them. A connection returned inside
        // a transaction is rolled back first (see `crate::pool`).
        let pool = PgPoolOptions::new()
            .after_release(crate::pool::roll_back_abandoned::<Postgres>)
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect_options)
            .await
            .map_err(|error| OpenError::Connect {
                url: url.redacted(),
                message: without_password(url, &error.to_string()),
                source: Some(error),
            })?;
        migrate::apply_migrations(&pool)
            .await
            .map_err(|failure| failure.into_open_error(url))?;
        Ok(Self { pool })
    }

    /// The connection pool, for callers that need a query of their own (diagnostics, tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection of the pool; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
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
}

/// `name` as a PostgreSQL quoted identifier: in double quotes, inner double quotes doubled.
fn quoted_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A driver message with the URL's password, should the driver quote it, hidden.
fn without_password(url: &DatabaseUrl, message: &str) -> String {
    let password = url::Url::parse(url.expose())
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
