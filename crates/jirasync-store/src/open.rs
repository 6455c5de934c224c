//! Opening the store a database URL names.

use std::sync::Arc;

use jirasync_domain::{Seed, StateStore, Store};

use crate::DatabaseUrl;
use crate::inbox::Inbox;

/// The schema version [`open`] brings a database to: the newest migration this build embeds, on
/// every back-end. `open` refuses a database migrated further by a newer build.
pub const SCHEMA_VERSION: i64 = 1;

/// Everything the service needs from one database: the domain's storage traits, seeding, the
/// whole-state import and export, and the inbox. Implemented by every store of this crate.
pub trait AnyStore: Store + Seed + StateStore + Inbox + std::fmt::Debug {}

impl<T> AnyStore for T where T: Store + Seed + StateStore + Inbox + std::fmt::Debug + ?Sized {}

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

/// Connects to the database `url` names, applies the embedded migrations and returns the store.
///
/// `sqlite://FILE` (created when missing) or a bare path opens the embedded store;
/// `postgres://…` connects a pool to PostgreSQL.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn AnyStore>, OpenError> {
    match url.backend() {
        // Each back-end adds its arm here.
        #[cfg(feature = "sqlite")]
        Some(crate::Backend::Sqlite) => Ok(Arc::new(crate::sqlite::SqliteStore::open(url).await?)),
        #[cfg(feature = "postgres")]
        Some(crate::Backend::Postgres) => Ok(Arc::new(
            crate::postgres::PostgresStore::connect(url).await?,
        )),
        _ => Err(OpenError::UnsupportedUrl {
            url: url.redacted(),
        }),
    }
}
