//! What both back-ends' migrators share: the embedded migration, its checksum, the check of what a
//! database already recorded, and the errors. Each back-end supplies only its SQL files and the
//! transaction and lock that make applying safe from two processes at once.

use crate::{DatabaseUrl, OpenError};

/// One embedded migration.
#[derive(Debug)]
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

impl Migration {
    /// A fingerprint of the migration's SQL (64-bit FNV-1a, hex): it only needs to tell an edited
    /// file from the one that was applied, not to resist forgery.
    pub(crate) fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

fn checksum(sql: &str) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = sql.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    format!("fnv1a64:{hash:016x}")
}

/// A row of `jirasync_migrations`: version, name, checksum.
pub(crate) type RecordedMigration = (i64, String, String);

/// The migrations of `known` (oldest first) that `recorded` lacks, after refusing a database with
/// a migration this build does not know or one applied from different SQL.
pub(crate) fn pending<'m>(
    known: &'m [Migration],
    recorded: &[RecordedMigration],
) -> Result<Vec<&'m Migration>, MigrateError> {
    let known_version = known.last().map_or(0, |migration| migration.version);
    for (version, name, checksum) in recorded {
        let Some(migration) = known.iter().find(|known| known.version == *version) else {
            return Err(MigrateError::NewerDatabase {
                database_version: *version,
                known_version,
            });
        };
        let expected = migration.checksum();
        if *checksum != expected {
            return Err(MigrateError::ChecksumMismatch {
                version: *version,
                name: name.clone(),
                recorded: checksum.clone(),
                expected,
            });
        }
    }
    Ok(known
        .iter()
        .filter(|migration| {
            !recorded
                .iter()
                .any(|(version, _, _)| *version == migration.version)
        })
        .collect())
}

/// Why the schema could not be brought up to date.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The database refused a statement.
    Driver {
        /// What was being done.
        what: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// An applied migration's SQL differs from the one compiled in.
    ChecksumMismatch {
        version: i64,
        name: String,
        recorded: String,
        expected: String,
    },
    /// The database has a migration this build does not know: a newer build migrated it.
    NewerDatabase {
        database_version: i64,
        known_version: i64,
    },
}

impl MigrateError {
    /// A [`MigrateError::Driver`] maker for `map_err`, saying what was being done.
    pub(crate) fn driver(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let what = what.into();
        move |source| Self::Driver { what, source }
    }

    /// The open error naming `url` without its password.
    pub(crate) fn into_open_error(self, url: &DatabaseUrl) -> OpenError {
        let url = url.redacted();
        match self {
            Self::Driver { what, source } => OpenError::Migrate {
                url,
                message: format!("{what}: {source}"),
                source: Some(source),
            },
            Self::ChecksumMismatch {
                version,
                name,
                recorded,
                expected,
            } => OpenError::Migrate {
                url,
                message: format!(
                    "migration {version} ({name}) was applied with different SQL than this build \
                     embeds (checksum {recorded}, this build has {expected}): the database was \
                     migrated by another build of jirasync; restore a backup or run the build \
                     that migrated it"
                ),
                source: None,
            },
            Self::NewerDatabase {
                database_version,
                known_version,
            } => OpenError::Migrate {
                url,
                message: format!(
                    "the database has migration {database_version}, newer than version \
                     {known_version} this build knows: run a newer jirasync"
                ),
                source: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Migration] = &[
        Migration {
            version: 1,
            name: "initial",
            sql: "CREATE TABLE a (x)",
        },
        Migration {
            version: 2,
            name: "second",
            sql: "CREATE TABLE b (y)",
        },
    ];

    fn recorded(migration: &Migration) -> RecordedMigration {
        (
            migration.version,
            migration.name.to_owned(),
            migration.checksum(),
        )
    }

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
    fn a_fresh_database_needs_every_migration() {
        let versions: Vec<_> = pending(KNOWN, &[])
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, vec![1, 2]);
    }

    #[test]
    fn applied_migrations_are_not_pending() {
        let versions: Vec<_> = pending(KNOWN, &[recorded(&KNOWN[0])])
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, vec![2]);
    }

    #[test]
    fn unknown_recorded_version_is_refused() {
        let future = (999, "future".to_owned(), "0".to_owned());
        assert!(matches!(
            pending(KNOWN, &[future]),
            Err(MigrateError::NewerDatabase {
                database_version: 999,
                known_version: 2
            })
        ));
    }

    #[test]
    fn changed_checksum_is_refused() {
        let edited = (1, "initial".to_owned(), "edited".to_owned());
        assert!(matches!(
            pending(KNOWN, &[edited]),
            Err(MigrateError::ChecksumMismatch { version: 1, .. })
        ));
    }
}
