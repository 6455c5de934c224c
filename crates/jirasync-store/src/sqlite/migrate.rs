//! The embedded migrations and the migrator that applies them when the store opens (see
//! `crate::migration` for the versions and the choice of scripts).
//!
//! Each script is an SQL file under `migrations/sqlite/`, compiled in. The table
//! `jirasync_migrations` records what was applied, with a checksum of the SQL. Applying runs in
//! one `BEGIN IMMEDIATE` transaction around check and apply, so two processes opening one fresh
//! file at once take turns: the second finds everything applied and does nothing.

use sqlx::SqlitePool;

use crate::Layout;
use crate::migration::{MigrateError, Migration, RecordedMigration, pending};

/// Every migration this build knows, oldest first.
const MIGRATIONS: &[Migration] = crate::migration::embedded_migrations!("sqlite");

// `SCHEMA_VERSION` must name the newest migration, which `open` brings a database to.
const _: () =
    assert!(matches!(MIGRATIONS.last(), Some(newest) if newest.version == crate::SCHEMA_VERSION));

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS jirasync_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)";

/// Brings the schema up to date for `layout`; a no-op when it is.
pub(super) async fn apply(pool: &SqlitePool, layout: Layout) -> Result<(), MigrateError> {
    let mut transaction = crate::pool::begin(pool, "BEGIN IMMEDIATE")
        .await
        .map_err(MigrateError::driver("starting the migration transaction"))?;
    sqlx::raw_sql(CREATE_MIGRATIONS_TABLE)
        .execute(&mut *transaction)
        .await
        .map_err(MigrateError::driver("creating the migrations table"))?;
    let recorded: Vec<RecordedMigration> =
        sqlx::query_as("SELECT version, name, checksum FROM jirasync_migrations ORDER BY version")
            .fetch_all(&mut *transaction)
            .await
            .map_err(MigrateError::driver("reading the applied migrations"))?;
    for (version, script) in pending(MIGRATIONS, &recorded, layout)? {
        let what = format!("applying migration {version} ({})", script.name);
        sqlx::raw_sql(script.sql)
            .execute(&mut *transaction)
            .await
            .map_err(MigrateError::driver(what.clone()))?;
        sqlx::query(
            "INSERT INTO jirasync_migrations (version, name, checksum, applied_at) \
             VALUES (?, ?, ?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
        )
        .bind(version)
        .bind(script.name)
        .bind(script.checksum())
        .execute(&mut *transaction)
        .await
        .map_err(MigrateError::driver(what))?;
    }
    transaction
        .commit()
        .await
        .map_err(MigrateError::driver("committing the migrations"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_grow() {
        assert!(
            MIGRATIONS
                .windows(2)
                .all(|pair| matches!(pair, [a, b] if a.version < b.version))
        );
    }
}
