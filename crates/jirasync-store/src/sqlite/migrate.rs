//! The embedded migrations and the migrator that applies them when the store opens.
//!
//! Each migration is an SQL file under `migrations/sqlite/`, compiled in. The table
//! `jirasync_migrations` records what was applied, with a checksum of the SQL. Applying runs in
//! one `BEGIN IMMEDIATE` transaction around check and apply, so two processes opening one fresh
//! file at once take turns: the second finds everything applied and does nothing.

use sqlx::SqlitePool;

use crate::{DatabaseUrl, OpenError};

/// One embedded migration.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration this build knows, oldest first.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
}];

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS jirasync_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)";

/// Why the schema could not be brought up to date.
#[derive(Debug)]
pub(super) enum MigrateError {
    /// The database refused a statement.
    Driver {
        /// What was being done.
        what: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// An applied migration's SQL differs from the one compiled in.
    ChecksumMismatch {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
    },
    /// The database was migrated by a newer build.
    NewerDatabase {
        /// The newest version recorded in the database.
        database_version: i64,
        /// The newest version this build knows.
        known_version: i64,
    },
}

impl MigrateError {
    /// The open error naming `url`.
    pub(super) fn into_open_error(self, url: &DatabaseUrl) -> OpenError {
        let url = url.redacted();
        match self {
            Self::Driver { what, source } => OpenError::Migrate {
                url,
                message: format!("{what}: {source}"),
                source: Some(source),
            },
            Self::ChecksumMismatch { version, name } => OpenError::Migrate {
                url,
                message: format!(
                    "migration {version} ({name}) was applied with different SQL than this build \
                     embeds: the database was migrated by another build of jirasync; restore a \
                     backup or run the build that migrated it"
                ),
                source: None,
            },
            Self::NewerDatabase {
                database_version,
                known_version,
            } => OpenError::Migrate {
                url,
                message: format!(
                    "the database is at schema version {database_version}, newer than version \
                     {known_version} this build knows: run a newer jirasync"
                ),
                source: None,
            },
        }
    }
}

/// Brings the schema up to date; a no-op when it is.
pub(super) async fn apply(pool: &SqlitePool) -> Result<(), MigrateError> {
    let driver = |what: &str| {
        let what = what.to_owned();
        move |source| MigrateError::Driver { what, source }
    };
    let mut transaction = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(driver("starting the migration transaction"))?;
    sqlx::raw_sql(CREATE_MIGRATIONS_TABLE)
        .execute(&mut *transaction)
        .await
        .map_err(driver("creating the migrations table"))?;
    let applied: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT version, name, checksum FROM jirasync_migrations ORDER BY version")
            .fetch_all(&mut *transaction)
            .await
            .map_err(driver("reading the applied migrations"))?;

    let known_version = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if let Some((database_version, _, _)) = applied.last()
        && *database_version > known_version
    {
        return Err(MigrateError::NewerDatabase {
            database_version: *database_version,
            known_version,
        });
    }
    for migration in MIGRATIONS {
        let checksum = checksum(migration.sql);
        match applied
            .iter()
            .find(|(version, _, _)| *version == migration.version)
        {
            Some((_, _, recorded)) if *recorded == checksum => {}
            Some((version, name, _)) => {
                return Err(MigrateError::ChecksumMismatch {
                    version: *version,
                    name: name.clone(),
                });
            }
            None => {
                let what = format!(
                    "applying migration {} ({})",
                    migration.version, migration.name
                );
                sqlx::raw_sql(migration.sql)
                    .execute(&mut *transaction)
                    .await
                    .map_err(driver(&what))?;
                sqlx::query(
                    "INSERT INTO jirasync_migrations (version, name, checksum, applied_at) \
                     VALUES (?, ?, ?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                )
                .bind(migration.version)
                .bind(migration.name)
                .bind(&checksum)
                .execute(&mut *transaction)
                .await
                .map_err(driver(&what))?;
            }
        }
    }
    transaction
        .commit()
        .await
        .map_err(driver("committing the migrations"))
}

/// A fingerprint of a migration's SQL (64-bit FNV-1a, hex): it only needs to tell an edited file
/// from the one that was applied, not to resist forgery.
fn checksum(sql: &str) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = sql.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    format!("fnv1a64:{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_tells_edited_sql_apart() {
        assert_eq!(
            checksum("CREATE TABLE a (x)"),
            checksum("CREATE TABLE a (x)")
        );
        assert_ne!(
            checksum("CREATE TABLE a (x)"),
            checksum("CREATE TABLE a (y)")
        );
    }

    #[test]
    fn versions_grow() {
        assert!(
            MIGRATIONS
                .windows(2)
                .all(|pair| matches!(pair, [a, b] if a.version < b.version))
        );
    }
}
