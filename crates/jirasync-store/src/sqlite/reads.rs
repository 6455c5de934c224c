//! The direct readers of the SQLite store: reads run **on the caller's thread** over
//! connections of their own (decision 0020; the reads themselves are in `direct.rs`).
//!
//! Every delivery reads the same few things before it can decide anything: the integration it
//! names, the organizations linked to it with their sync configuration, the local issues linked
//! to the Jira issue. Each is one indexed look-up that SQLite answers from its page cache in a
//! few microseconds; through `sqlx`, each would cross to a connection's worker thread and back,
//! which costs far more. So these reads run here, synchronously, on a connection taken from a
//! small stack of idle ones and put back after. In WAL mode a reader never waits for a writer,
//! so the caller's thread is held only for the look-up itself.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use jirasync_domain::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::sql_error::direct_error;

/// The most idle read connections kept open.
const IDLE: usize = 8;

/// A connection of the store's own to the database file at `path` (which exists), waiting
/// `busy_timeout` for another connection's lock: the writer's, the checkpointer's, a reader's.
pub(crate) fn open_connection(
    path: &Path,
    busy_timeout: Duration,
) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    connection.busy_timeout(busy_timeout)?;
    Ok(connection)
}

/// Read connections to one database file.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Readers of the file at `path`; the first read opens the first connection.
    pub(crate) fn new(path: &Path, busy_timeout: Duration) -> Self {
        Self {
            path: path.to_owned(),
            busy_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (or a new one), then keeps the connection for the next
    /// read. `what` names the read in errors.
    pub(crate) fn read<T>(
        &self,
        what: &str,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let kept = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let connection = match kept {
            Some(connection) => connection,
            None => self.open().map_err(|error| direct_error(what, error))?,
        };
        let result = read(&connection);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE
        {
            idle.push(connection);
        }
        result
    }

    /// Whether the statement `sql`, bound to `params`, selects a row.
    pub(crate) fn exists(
        &self,
        what: &str,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<bool, StoreError> {
        self.read(what, |connection| {
            connection
                .prepare_cached(sql)
                .and_then(|mut select| select.exists(params))
                .map_err(|error| direct_error(what, error))
        })
    }

    fn open(&self) -> Result<Connection, rusqlite::Error> {
        let connection = open_connection(&self.path, self.busy_timeout)?;
        // Reads only: a statement that would write is refused.
        connection.execute_batch("PRAGMA query_only = ON")?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }
}
