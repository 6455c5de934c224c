//! The embedded store: one SQLite file (SQLite is compiled in, nothing to install).
//!
//! [`SqliteStore`] implements the domain's [`SyncStore`](jirasync_domain::SyncStore) and
//! [`Inbox`](jirasync_domain::inbox::Inbox), and with [`Layout::Standalone`] (the default) the
//! standalone [`Host`](jirasync_domain::Host) over its own tables, `LocalIssueStore`,
//! `StateStore` and (`testing` feature) `Seed`. With [`Layout::Bookkeeping`] the file holds only
//! jirasync's `jirasync_` tables, next to an application's own. The database runs in WAL mode
//! (readers never wait for the writer), with foreign keys enforced and `synchronous = NORMAL` (a
//! committed transaction survives a crash of the process; a power cut may lose the last ones,
//! never corrupt the file).
//!
//! The first open of a new file switches it to WAL mode, after the migrations.
//!
//! The store also runs a **writer** (`writer.rs`): one connection on a thread of its own that
//! commits the webhook path's writes in groups (the inbox's deliveries, claims and settlements,
//! the sync sessions, the standalone host's changes), one transaction for all the writes that
//! arrived while the previous group committed, each answered only after that commit; and a
//! checkpointer thread that copies the write-ahead log back into the file (decision 0020). The
//! reads every delivery makes (its integration, the organizations linked to it, the linked
//! issues, users, the local issue) run on the caller's thread over connections of their own
//! (`reads.rs`, `direct.rs`). An in-memory database (`sqlite::memory:`) is a private temporary
//! file, removed with the store's last handle, so that these connections reach it too.
//!
//! Every write that must be atomic runs in a short `BEGIN IMMEDIATE` transaction: it takes the
//! write lock when it starts, so two concurrent writers queue on the lock (up to the busy
//! timeout) instead of failing when a reader tries to become a writer. No transaction is held
//! while the host runs: the syncs of one Jira issue are serialised by a lease row instead
//! (`session.rs`), so an application writing to the same file is never kept waiting by
//! jirasync. A caller dropped while its transaction starts or runs never leaves the write lock
//! held (see `crate::pool`).
//!
//! ```no_run
//! use jirasync_store::DatabaseUrl;
//! use jirasync_store::sqlite::SqliteStore;
//!
//! # async fn example() -> Result<(), jirasync_store::OpenError> {
//! let store = SqliteStore::open(&DatabaseUrl::new("sqlite://jirasync.db")).await?;
//! # drop(store);
//! # Ok(())
//! # }
//! ```

mod app_data;
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
mod reads;
mod reconcile;
#[cfg(feature = "testing")]
mod seed;
mod session;
mod setup;
mod state;
mod status_mappings;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use jirasync_domain::StoreError;
use jirasync_domain::events::EventIds;
use jirasync_domain::store::EventHub;
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::config_cache::ConfigCache;
use crate::layout::bookkeeping_only;
use crate::{DatabaseUrl, Layout, OpenError};

/// The SQLite store. Cloning it is cheap and gives another handle to the same pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    layout: Layout,
    leases: session::IssueLeases,
    events: EventHub,
    /// The group-committing writer.
    writer: writer::Writer,
    /// The direct readers of the webhook path.
    readers: std::sync::Arc<reads::Readers>,
    /// The file of an in-memory database, removed with the last handle.
    _temporary: Option<std::sync::Arc<TemporaryDatabase>>,
}

/// How [`SqliteStore::open_with`] sets up the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// The most connections the pool opens (readers run in parallel, writers take turns).
    /// An in-memory database always uses one connection.
    pub max_connections: u32,
    /// How long a statement waits for another connection's write lock before the call fails
    /// with a retryable [`StoreError::Unavailable`].
    pub busy_timeout: Duration,
    /// How long the start of a Jira issue's sync waits for another session of the same issue
    /// (in this process or another) before it fails with [`StoreError::Unavailable`].
    pub issue_lock_wait: Duration,
    /// How long a session's lease on a Jira issue lasts: after it, a session that crashed (or a
    /// host slower than this) loses the issue to the next one.
    pub issue_lock_lease: Duration,
    /// Which tables the store creates and serves.
    pub layout: Layout,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            issue_lock_wait: Duration::from_secs(30),
            issue_lock_lease: Duration::from_secs(60),
            layout: Layout::Standalone,
        }
    }
}

impl SqliteOptions {
    /// Sets [`SqliteOptions::max_connections`] (at least one).
    pub fn max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    /// Sets [`SqliteOptions::busy_timeout`].
    pub fn busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }

    /// Sets [`SqliteOptions::issue_lock_wait`].
    pub fn issue_lock_wait(mut self, wait: Duration) -> Self {
        self.issue_lock_wait = wait;
        self
    }

    /// Sets [`SqliteOptions::issue_lock_lease`].
    pub fn issue_lock_lease(mut self, lease: Duration) -> Self {
        self.issue_lock_lease = lease;
        self
    }

    /// Sets [`SqliteOptions::layout`].
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }
}

impl SqliteStore {
    /// No cache of integrations and organization links: the direct reads answer
    /// (`direct.rs`).
    fn config_cache(&self) -> Option<&ConfigCache> {
        None
    }

    /// Nothing to empty (see [`SqliteStore::config_cache`]).
    fn config_changed(&self) {}

    /// Opens (creating it when missing) the database `url` names with the default
    /// [`SqliteOptions`] (the standalone layout), and applies the embedded migrations.
    ///
    /// Accepted forms: `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:` and a bare file path.
    /// An in-memory database is a new file in the system's temporary directory, removed when
    /// the last handle to the store is dropped: nothing of it outlives the store.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, OpenError> {
        Self::open_with(url, SqliteOptions::default()).await
    }

    /// Opens the database `url` names with these options, as [`SqliteStore::open`] does.
    pub async fn open_with(url: &DatabaseUrl, options: SqliteOptions) -> Result<Self, OpenError> {
        // An in-memory database is a private temporary file, removed with the store's last
        // handle: the writer and the direct readers need connections of their own to it.
        let temporary = if names_memory_database(url.expose_secret()) {
            Some(std::sync::Arc::new(TemporaryDatabase::create().map_err(
                |error| OpenError::Connect {
                    url: url.redacted(),
                    message: format!(
                        "cannot create the in-memory database's temporary file: {error}"
                    ),
                    source: None,
                },
            )?))
        } else {
            None
        };
        let connect_options = match &temporary {
            Some(temporary) => SqliteConnectOptions::new().filename(&temporary.path),
            None => connect_options(url)?,
        };
        let connect_options = connect_options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout)
            .synchronous(SqliteSynchronous::Normal);
        // A connection to a local file does not go stale: no ping before each use. A connection
        // returned inside a transaction is rolled back first (see `crate::pool`).
        let pool_options = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .after_release(crate::pool::roll_back_abandoned::<Sqlite>);
        let pool = pool_options
            .max_connections(options.max_connections.max(1))
            .connect_with(connect_options.clone())
            .await
            .map_err(|source| OpenError::Connect {
                url: url.redacted(),
                message: source.to_string(),
                source: Some(source),
            })?;
        migrate::apply(&pool, options.layout)
            .await
            .map_err(|error| error.into_open_error(url))?;
        use_write_ahead_log(&pool, options.busy_timeout)
            .await
            .map_err(|source| OpenError::Connect {
                url: url.redacted(),
                message: format!("cannot switch the database to WAL mode: {source}"),
                source: Some(source),
            })?;
        let path = connect_options.get_filename();
        let writer = writer::Writer::start(path, options.busy_timeout).map_err(|error| {
            OpenError::Connect {
                url: url.redacted(),
                message: format!("cannot open the database's writer connection: {error}"),
                source: None,
            }
        })?;
        let readers = std::sync::Arc::new(reads::Readers::new(path, options.busy_timeout));
        Ok(Self {
            pool,
            layout: options.layout,
            leases: session::IssueLeases::new(options.issue_lock_wait, options.issue_lock_lease),
            events: EventHub::default(),
            writer,
            readers,
            _temporary: temporary,
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
        self.layout
    }

    /// The pool the standalone host's calls run on; refused on a bookkeeping-only store.
    fn host_pool(&self) -> Result<&SqlitePool, StoreError> {
        match self.layout {
            Layout::Standalone => Ok(&self.pool),
            Layout::Bookkeeping => Err(bookkeeping_only()),
        }
    }
}

impl crate::sql::Dialect for SqliteStore {
    type Database = Sqlite;
    // Concurrent plans queue on the write lock instead of failing when a reader tries to
    // become a writer.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    // A deferred transaction reads one snapshot from its first read to its end (WAL mode).
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";
    // SQLite has no boolean type: the schema stores 0 / 1 and its partial indexes say `= 1`.
    const TRUE: &'static str = "1";
    // `BEGIN IMMEDIATE` holds the database's write lock: no row lock to ask for.
    const FOR_UPDATE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
    // One writer at a time: sequences are committed in order.
    const APPEND_EVENT: Option<&'static str> = None;
}

/// Puts the database file in WAL mode (it stays so: the mode is recorded in the file).
///
/// Not a connect option: switching needs an exclusive lock, and SQLite does not wait for it
/// (no busy timeout), so two processes opening one new file at once would make one fail. Here a
/// refused switch is retried while the busy timeout runs, waiting for the other side's write
/// lock between tries; once one side has switched, the other finds WAL already on.
async fn use_write_ahead_log(pool: &SqlitePool, busy_timeout: Duration) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    let mut connection = pool.acquire().await?;
    loop {
        let mode: Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA journal_mode = WAL")
            .fetch_one(&mut *connection)
            .await;
        match mode {
            Ok(_) => return Ok(()),
            Err(error) if is_busy(&error) && started.elapsed() < busy_timeout => {
                // Wait (with the busy timeout) until no other connection holds the write lock.
                sqlx::raw_sql("BEGIN IMMEDIATE; ROLLBACK")
                    .execute(&mut *connection)
                    .await?;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether SQLite refused because another connection holds a lock.
fn is_busy(error: &sqlx::Error) -> bool {
    let code = match error {
        sqlx::Error::Database(database) => database.code(),
        _ => None,
    };
    // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
    code.and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

/// The file behind an in-memory database (`sqlite::memory:`): a new file in the system's
/// temporary directory, removed (with its WAL and shared-memory files) when dropped.
#[derive(Debug)]
struct TemporaryDatabase {
    path: std::path::PathBuf,
}

impl TemporaryDatabase {
    fn create() -> std::io::Result<Self> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let name = format!(
            "jirasync-memory-{}-{}-{nanos}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        // A new file, never one that exists.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Self { path })
    }
}

impl Drop for TemporaryDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

/// The driver's options for `url` (a file database). Bare paths are taken as file names as
/// they are (a `?` in them is part of the name, not a query).
fn connect_options(url: &DatabaseUrl) -> Result<SqliteConnectOptions, OpenError> {
    let text = url.expose_secret();
    if text.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(text).map_err(|error| OpenError::InvalidUrl {
            url: url.redacted(),
            message: error.to_string(),
        })
    } else if text.is_empty() {
        Err(OpenError::InvalidUrl {
            url: url.redacted(),
            message: "the database file path is empty".to_owned(),
        })
    } else {
        Ok(SqliteConnectOptions::new().filename(Path::new(text)))
    }
}

/// Whether the URL names an in-memory database (`sqlite::memory:`, `:memory:`, or a
/// `mode=memory` parameter), which lives only as long as its connection.
fn names_memory_database(url: &str) -> bool {
    let database = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = database.split_once('?').unwrap_or((database, ""));
    path == ":memory:" || query.split('&').any(|parameter| parameter == "mode=memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_memory_databases() {
        assert!(names_memory_database("sqlite::memory:"));
        assert!(names_memory_database(":memory:"));
        assert!(names_memory_database(
            "sqlite://shared?mode=memory&cache=shared"
        ));
        assert!(!names_memory_database("sqlite://jirasync.db"));
        assert!(!names_memory_database("jirasync.db"));
    }

    #[test]
    fn an_in_memory_database_file_goes_with_its_last_handle() {
        let first = TemporaryDatabase::create().unwrap();
        let second = TemporaryDatabase::create().unwrap();
        assert_ne!(
            first.path, second.path,
            "each in-memory database is a file of its own"
        );
        let path = first.path.clone();
        let wal = path.with_extension("db-wal");
        std::fs::write(&wal, b"log").unwrap();
        assert!(path.exists());
        drop(first);
        assert!(!path.exists() && !wal.exists(), "{}", path.display());
        assert!(second.path.exists());
    }

    #[tokio::test]
    async fn an_in_memory_store_is_empty_at_each_open() {
        use jirasync_domain::OrganizationStore;
        use jirasync_domain::ids::OrganizationId;
        use jirasync_domain::organization::{Organization, OrganizationFeatures};
        let url = DatabaseUrl::new("sqlite::memory:");
        let store = SqliteStore::open(&url).await.unwrap();
        let organization = Organization {
            id: OrganizationId::new(1),
            name: "acme".into(),
            features: OrganizationFeatures::all(),
        };
        store.save_organization(organization).await.unwrap();
        let path = store._temporary.as_ref().unwrap().path.clone();
        drop(store);
        assert!(!path.exists(), "{}", path.display());
        let again = SqliteStore::open(&url).await.unwrap();
        assert!(again.organizations().await.unwrap().is_empty());
    }

    #[test]
    fn empty_path_is_an_invalid_url() {
        let error = connect_options(&DatabaseUrl::new("")).unwrap_err();
        assert!(matches!(error, OpenError::InvalidUrl { .. }), "{error}");
    }
}
