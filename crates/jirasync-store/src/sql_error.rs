//! Turning driver errors into [`StoreError`]s callers can branch on: "retry later" (the HTTP
//! adapter answers 503) apart from "this input breaks a rule" (400) and conflicts (409).

use jirasync_domain::StoreError;
use sqlx::error::ErrorKind;

/// SQLSTATE codes and SQLite result codes that mean "try again later": serialization failures,
/// deadlocks, a server shutting down or refusing connections, a locked SQLite database.
const RETRYABLE_CODES: &[&str] = &[
    "40001", // serialization_failure
    "40P01", // deadlock_detected
    "55P03", // lock_not_available (a wait beyond lock_timeout)
    "53300", // too_many_connections
    "57P01", // admin_shutdown
    "57P02", // crash_shutdown
    "57P03", // cannot_connect_now
    "5",     // SQLITE_BUSY
    "6",     // SQLITE_LOCKED
    "517",   // SQLITE_BUSY_SNAPSHOT
    "261",   // SQLITE_BUSY_RECOVERY
];

/// Maps a driver error met while doing `what` (a few words: "applying an assignee plan").
pub(crate) fn store_error(what: &str, error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(database) => {
            let code = database.code();
            let code = code.as_deref().unwrap_or_default();
            if RETRYABLE_CODES.contains(&code) || code.starts_with("08") {
                return unavailable(what, error);
            }
            match database.kind() {
                ErrorKind::UniqueViolation => {
                    StoreError::conflict(format!("{what}: {}", database.message()))
                }
                ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation => {
                    StoreError::invalid(format!("{what}: {}", database.message()))
                }
                _ => other(what, error),
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => unavailable(what, error),
        sqlx::Error::RowNotFound => StoreError::not_found(what.to_owned()),
        _ => other(what, error),
    }
}

/// Maps an error of the SQLite store's direct connections (`rusqlite`: the writer's and the
/// readers', decision 0020) met while doing `what`, with the same kinds as [`store_error`]: a busy or locked database is
/// [`StoreError::Unavailable`], a unique violation a conflict, a foreign-key, not-null or check
/// violation invalid input.
#[cfg(feature = "sqlite")]
pub(crate) fn direct_error(what: &str, error: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    let Some(code) = error.sqlite_error() else {
        return StoreError::Other {
            message: format!("{what}: {error}"),
            source: Some(Box::new(error)),
        };
    };
    let message = format!("{what}: {error}");
    match code.extended_code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            StoreError::conflict(message)
        }
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY
        | ffi::SQLITE_CONSTRAINT_NOTNULL
        | ffi::SQLITE_CONSTRAINT_CHECK => StoreError::invalid(message),
        extended if matches!(extended & 0xff, ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED) => {
            StoreError::Unavailable {
                message,
                source: Some(Box::new(error)),
            }
        }
        _ => StoreError::Other {
            message,
            source: Some(Box::new(error)),
        },
    }
}

fn unavailable(what: &str, error: sqlx::Error) -> StoreError {
    StoreError::Unavailable {
        message: format!("{what}: {error}"),
        source: Some(Box::new(error)),
    }
}

fn other(what: &str, error: sqlx::Error) -> StoreError {
    StoreError::Other {
        message: format!("{what}: {error}"),
        source: Some(Box::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_timeout_is_retryable() {
        assert!(store_error("reading", sqlx::Error::PoolTimedOut).is_retryable());
    }

    #[test]
    fn io_error_is_retryable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let error = store_error("reading", sqlx::Error::Io(io));
        assert!(error.is_retryable());
        assert!(error.to_string().contains("reading"), "{error}");
    }

    #[test]
    fn row_not_found_is_not_found() {
        assert!(matches!(
            store_error("the integration", sqlx::Error::RowNotFound),
            StoreError::NotFound { .. }
        ));
    }

    #[test]
    fn decode_error_is_not_retryable() {
        let error = store_error("reading", sqlx::Error::Decode("bad".into()));
        assert!(!error.is_retryable());
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn direct_errors_have_the_kinds_of_driver_errors() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE t (v INTEGER PRIMARY KEY, p INTEGER NOT NULL CHECK (p > 0)); \
                 INSERT INTO t VALUES (1, 1);",
            )
            .unwrap();
        let refused =
            |sql: &str| direct_error("writing", connection.execute_batch(sql).unwrap_err());
        let duplicate = refused("INSERT INTO t VALUES (1, 1)");
        assert!(
            matches!(duplicate, StoreError::Conflict { .. }),
            "{duplicate}"
        );
        assert!(duplicate.to_string().contains("writing: "), "{duplicate}");
        let missing = refused("INSERT INTO t VALUES (2, NULL)");
        assert!(matches!(missing, StoreError::Invalid { .. }), "{missing}");
        let checked = refused("INSERT INTO t VALUES (3, 0)");
        assert!(matches!(checked, StoreError::Invalid { .. }), "{checked}");
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(direct_error("writing", busy).is_retryable());
        let syntax = refused("NOT SQL");
        assert!(matches!(syntax, StoreError::Other { .. }), "{syntax}");
    }
}
