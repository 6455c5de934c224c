//! The embedded migrations and the migrator that applies them at connect.
//!
//! Everything happens in one transaction holding `pg_advisory_xact_lock`: two instances
//! connecting at once apply each migration once, the second finds nothing to do. A recorded
//! migration whose checksum differs from this build's, or a database newer than this build,
//! is refused.

use sqlx::postgres::PgPool;
use sqlx::{Executor, PgConnection};

use crate::{DatabaseUrl, OpenError};

use super::time::to_unix_millis;

/// The advisory lock key all jirasync instances take while migrating ("jirasync" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6a69_7261_7379_6e63;

/// One embedded migration.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration this build knows, in version order.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../../migrations/postgres/0001_initial.sql"),
}];

/// Why the schema could not be brought up to date.
#[derive(Debug)]
pub(super) enum MigrationFailure {
    /// A query failed.
    Driver {
        what: &'static str,
        error: sqlx::Error,
    },
    /// The database holds something this build refuses to touch.
    Refused(String),
}

impl MigrationFailure {
    /// The failure as an [`OpenError::Migrate`] naming `url` without its password.
    pub(super) fn into_open_error(self, url: &DatabaseUrl) -> OpenError {
        match self {
            Self::Driver { what, error } => OpenError::Migrate {
                url: url.redacted(),
                message: format!("{what}: {error}"),
                source: Some(error),
            },
            Self::Refused(message) => OpenError::Migrate {
                url: url.redacted(),
                message,
                source: None,
            },
        }
    }
}

fn driver(what: &'static str) -> impl FnOnce(sqlx::Error) -> MigrationFailure {
    move |error| MigrationFailure::Driver { what, error }
}

/// Applies the migrations the database lacks, in one transaction under the advisory lock.
pub(super) async fn apply_migrations(pool: &PgPool) -> Result<(), MigrationFailure> {
    let mut transaction = pool
        .begin()
        .await
        .map_err(driver("starting the migration transaction"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *transaction)
        .await
        .map_err(driver("taking the migration lock"))?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS jirasync_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *transaction)
    .await
    .map_err(driver("creating the migrations table"))?;
    let recorded: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT version, name, checksum FROM jirasync_migrations ORDER BY version")
            .fetch_all(&mut *transaction)
            .await
            .map_err(driver("reading the applied migrations"))?;
    check_recorded(&recorded)?;
    for migration in MIGRATIONS {
        if !recorded
            .iter()
            .any(|(version, _, _)| *version == migration.version)
        {
            apply(&mut transaction, migration).await?;
        }
    }
    transaction
        .commit()
        .await
        .map_err(driver("committing the migrations"))
}

/// Refuses a database with a migration this build does not know or with a different checksum.
fn check_recorded(recorded: &[(i64, String, String)]) -> Result<(), MigrationFailure> {
    for (version, name, checksum) in recorded {
        let Some(known) = MIGRATIONS.iter().find(|known| known.version == *version) else {
            return Err(MigrationFailure::Refused(format!(
                "the database has migration {version} ({name}), newer than this build knows: \
                 upgrade jirasync"
            )));
        };
        let expected = checksum_of(known.sql);
        if *checksum != expected {
            return Err(MigrationFailure::Refused(format!(
                "migration {version} ({name}) was applied with checksum {checksum}, this build \
                 has {expected}: the embedded migration changed after it was applied"
            )));
        }
    }
    Ok(())
}

async fn apply(
    connection: &mut PgConnection,
    migration: &Migration,
) -> Result<(), MigrationFailure> {
    tracing::info!(
        version = migration.version,
        name = migration.name,
        "applying migration"
    );
    // Several statements: the simple query protocol (no parameters) runs them in one go.
    connection
        .execute(migration.sql)
        .await
        .map_err(driver("applying a migration"))?;
    sqlx::query(
        "INSERT INTO jirasync_migrations (version, name, checksum, applied_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(migration.version)
    .bind(migration.name)
    .bind(checksum_of(migration.sql))
    .bind(to_unix_millis(std::time::SystemTime::now()))
    .execute(&mut *connection)
    .await
    .map_err(driver("recording a migration"))?;
    Ok(())
}

/// A migration's checksum: 64-bit FNV-1a of its text, in hex. It detects an edited migration;
/// it is no defence against tampering.
fn checksum_of(sql: &str) -> String {
    let hash = sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing() {
        assert!(
            MIGRATIONS
                .windows(2)
                .all(|pair| pair[0].version < pair[1].version)
        );
    }

    #[test]
    fn unknown_recorded_version_is_refused() {
        let recorded = vec![(999, "future".to_owned(), "0".to_owned())];
        assert!(matches!(
            check_recorded(&recorded),
            Err(MigrationFailure::Refused(message)) if message.contains("newer")
        ));
    }

    #[test]
    fn changed_checksum_is_refused() {
        let recorded = vec![(1, "initial".to_owned(), "not-the-checksum".to_owned())];
        assert!(matches!(
            check_recorded(&recorded),
            Err(MigrationFailure::Refused(message)) if message.contains("checksum")
        ));
    }
}
