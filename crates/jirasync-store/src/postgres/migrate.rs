//! The embedded migrations and the migrator that applies them at connect.
//!
//! Everything happens in one transaction holding `pg_advisory_xact_lock`: two instances
//! connecting at once apply each migration once, the second finds nothing to do. A recorded
//! migration whose checksum differs from this build's, or a database newer than this build,
//! is refused.

use sqlx::postgres::PgPool;
use sqlx::{Executor, PgConnection};

use crate::Layout;
use crate::migration::{MigrateError, Migration, RecordedMigration, Script, pending};

/// The advisory lock key all jirasync instances take while migrating ("jirasync" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6a69_7261_7379_6e63;

/// Every migration this build knows, in version order.
const MIGRATIONS: &[Migration] = crate::migration::embedded_migrations!("postgres");

// `SCHEMA_VERSION` must name the newest migration, which `open` brings a database to.
const _: () =
    assert!(matches!(MIGRATIONS.last(), Some(newest) if newest.version == crate::SCHEMA_VERSION));

/// Applies the migrations the database lacks for `layout`, in one transaction under the
/// advisory lock.
pub(super) async fn apply_migrations(pool: &PgPool, layout: Layout) -> Result<(), MigrateError> {
    let mut transaction = crate::pool::begin(pool, "BEGIN")
        .await
        .map_err(MigrateError::driver("starting the migration transaction"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *transaction)
        .await
        .map_err(MigrateError::driver("taking the migration lock"))?;
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
    .map_err(MigrateError::driver("creating the migrations table"))?;
    let recorded: Vec<RecordedMigration> =
        sqlx::query_as("SELECT version, name, checksum FROM jirasync_migrations ORDER BY version")
            .fetch_all(&mut *transaction)
            .await
            .map_err(MigrateError::driver("reading the applied migrations"))?;
    for (version, script) in pending(MIGRATIONS, &recorded, layout)? {
        apply(&mut transaction, version, script).await?;
    }
    transaction
        .commit()
        .await
        .map_err(MigrateError::driver("committing the migrations"))
}

async fn apply(
    connection: &mut PgConnection,
    version: i64,
    script: &Script,
) -> Result<(), MigrateError> {
    tracing::info!(version, name = script.name, "applying migration");
    // Several statements: the simple query protocol (no parameters) runs them in one go.
    connection
        .execute(script.sql)
        .await
        .map_err(MigrateError::driver("applying a migration"))?;
    sqlx::query(
        "INSERT INTO jirasync_migrations (version, name, checksum, applied_at)
         VALUES ($1, $2, $3, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)",
    )
    .bind(version)
    .bind(script.name)
    .bind(script.checksum())
    .execute(&mut *connection)
    .await
    .map_err(MigrateError::driver("recording a migration"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing() {
        assert!(
            MIGRATIONS
                .windows(2)
                .all(|pair| matches!(pair, [a, b] if a.version < b.version))
        );
    }
}
