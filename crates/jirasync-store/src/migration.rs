//! What both back-ends' migrators share: the embedded migrations, their checksums, the choice of
//! what a database still needs for its layout, and the errors. Each back-end supplies only its
//! SQL files and the transaction and lock that make applying safe from two processes at once.
//!
//! # Versions
//!
//! * **1 `initial`** (`0001_initial.sql`): the schema of jirasync 0.1, every table unprefixed and
//!   the bookkeeping ones with foreign keys into the standalone ones. This build never applies
//!   it; it recognises it (by its checksum) in a database's history.
//! * **2 `bookkeeping`**: jirasync's own `jirasync_` tables, for every layout.
//! * **3 `standalone`**: the standalone host's tables, only for [`Layout::Standalone`].
//! * **4 `inbox_heads`**: the inbox's head table and indexes, filled from the pending
//!   deliveries, so that a claim reads only what it claims.
//! * **5 `reconcile`**: `jirasync_reconcile_points`, each integration's reconcile point and
//!   lease, for every layout.
//! * **6 `setup`**: one-time set-up links and the saved public URL (`jirasync_setup_links`,
//!   `jirasync_settings`).
//! * **7 `events`**: the outbox of outgoing events, its subscribers and their deliveries
//!   (bookkeeping).
//! * **8 `app_ids`**: the application's own ids of the standalone host's records (the host
//!   API's keys), only for [`Layout::Standalone`].
//! * **9 `outbound`**: the outbox of outbound sync (`jirasync_outbound`), for every layout.
//! * **10 `status_mappings`**: outbound status sync's per-project mappings
//!   (`jirasync_status_mappings`), for every layout.
//! * **11 `comment_deliveries`**: the delivery log accepts the kind `comment` (a Jira comment
//!   applied once, whichever of its deliveries comes first), for every layout.
//! * **12 `config_notify`**: on PostgreSQL, triggers that notify `jirasync_config` on every
//!   change to integrations, their secrets, organizations and organization links, for the
//!   instances' caches (`config_cache.rs`); nothing on SQLite. For every layout.
//! * **13 `inbox_bodies`**: on SQLite, the inbox's bodies in `jirasync_inbox_bodies`, apart from
//!   the delivery rows that claims and completions rewrite (bookkeeping); nothing on PostgreSQL,
//!   which keeps them out of line by itself.
//! * **14 `without_rowid`**: on SQLite, the issue leases (`jirasync_issue_locks`) and the
//!   delivery log (`jirasync_seen_deliveries`) stored by their primary key (`WITHOUT ROWID`), one
//!   B-tree written per change instead of two (bookkeeping); nothing on PostgreSQL.
//!
//! Versions 2 and 3 each have two scripts: the **fresh** one creates the tables; the one **from
//! version 1** turns a version-1 database's tables into the same thing in place, rows kept. Which
//! one runs depends on whether the database recorded version 1; `jirasync_migrations` records
//! the script that ran (its name and checksum), and either script of a version is accepted
//! afterwards. A bookkeeping-only database never records version 3 and so never gets the
//! standalone tables, until a standalone open applies it.

use crate::{DatabaseUrl, Layout, OpenError};

/// Which tables a migration is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Version 1: the whole schema of jirasync 0.1, never applied any more.
    Legacy,
    /// jirasync's own tables.
    Bookkeeping,
    /// The standalone host's tables.
    Standalone,
}

/// One SQL script of a migration.
#[derive(Debug)]
pub(crate) struct Script {
    /// The name recorded with the version.
    pub(crate) name: &'static str,
    /// The statements.
    pub(crate) sql: &'static str,
}

impl Script {
    /// A fingerprint of the script's SQL (64-bit FNV-1a, hex): it only needs to tell an edited
    /// file from the one that was applied, not to resist forgery.
    pub(crate) fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

/// One embedded migration: a version, the tables it is about, and its scripts.
#[derive(Debug)]
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) part: Part,
    /// The script for a database without version 1.
    pub(crate) fresh: Script,
    /// The script for a database at version 1, when it differs.
    pub(crate) from_initial: Option<Script>,
}

impl Migration {
    /// The scripts a database may have recorded for this version.
    fn scripts(&self) -> impl Iterator<Item = &Script> {
        std::iter::once(&self.fresh).chain(&self.from_initial)
    }
}

/// Every migration of the back-end whose scripts are in `migrations/<$backend>/`, oldest first
/// (a `&'static [Migration]`, for a module two levels under `src/`).
macro_rules! embedded_migrations {
    ($backend:literal) => {{
        use $crate::migration::{Migration, Part, Script};
        &[
            Migration {
                version: 1,
                part: Part::Legacy,
                fresh: Script {
                    name: "initial",
                    sql: include_str!(concat!("../../migrations/", $backend, "/0001_initial.sql")),
                },
                from_initial: None,
            },
            Migration {
                version: 2,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "bookkeeping",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0002_bookkeeping.sql"
                    )),
                },
                from_initial: Some(Script {
                    name: "bookkeeping_from_0001",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0002_bookkeeping_from_0001.sql"
                    )),
                }),
            },
            Migration {
                version: 3,
                part: Part::Standalone,
                fresh: Script {
                    name: "standalone",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0003_standalone.sql"
                    )),
                },
                from_initial: Some(Script {
                    name: "standalone_from_0001",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0003_standalone_from_0001.sql"
                    )),
                }),
            },
            Migration {
                version: 4,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "inbox_heads",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0004_inbox_heads.sql"
                    )),
                },
                from_initial: None,
            },
            Migration {
                version: 5,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "reconcile",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0005_reconcile.sql"
                    )),
                },
                from_initial: None,
            },
            Migration {
                version: 6,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "setup",
                    sql: include_str!(concat!("../../migrations/", $backend, "/0006_setup.sql")),
                },
                from_initial: None,
            },
            Migration {
                version: 7,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "events",
                    sql: include_str!(concat!("../../migrations/", $backend, "/0007_events.sql")),
                },
                from_initial: None,
            },
            Migration {
                version: 8,
                part: Part::Standalone,
                fresh: Script {
                    name: "app_ids",
                    sql: include_str!(concat!("../../migrations/", $backend, "/0008_app_ids.sql")),
                },
                from_initial: None,
            },
            Migration {
                version: 9,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "outbound",
                    sql: include_str!(concat!("../../migrations/", $backend, "/0009_outbound.sql")),
                },
                from_initial: None,
            },
            Migration {
                version: 10,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "status_mappings",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0010_status_mappings.sql"
                    )),
                },
                from_initial: None,
            },
            Migration {
                version: 11,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "comment_deliveries",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0011_comment_deliveries.sql"
                    )),
                },
                from_initial: None,
            },
            Migration {
                version: 12,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "config_notify",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0012_config_notify.sql"
                    )),
                },
                from_initial: None,
            },
            Migration {
                version: 13,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "inbox_bodies",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0013_inbox_bodies.sql"
                    )),
                },
                from_initial: None,
            },
            Migration {
                version: 14,
                part: Part::Bookkeeping,
                fresh: Script {
                    name: "without_rowid",
                    sql: include_str!(concat!(
                        "../../migrations/",
                        $backend,
                        "/0014_without_rowid.sql"
                    )),
                },
                from_initial: None,
            },
        ]
    }};
}

pub(crate) use embedded_migrations;

/// The version of the legacy schema whose presence selects the `from_initial` scripts.
const INITIAL_VERSION: i64 = 1;

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

/// The scripts (with their versions, oldest first) that bring a database which `recorded` these
/// migrations to `layout`, after refusing a database with a migration this build does not know
/// or one applied from different SQL.
pub(crate) fn pending<'m>(
    known: &'m [Migration],
    recorded: &[RecordedMigration],
    layout: Layout,
) -> Result<Vec<(i64, &'m Script)>, MigrateError> {
    let known_version = known.last().map_or(0, |migration| migration.version);
    for (version, name, checksum) in recorded {
        let Some(migration) = known.iter().find(|known| known.version == *version) else {
            return Err(MigrateError::NewerDatabase {
                database_version: *version,
                known_version,
            });
        };
        if !migration
            .scripts()
            .any(|script| script.checksum() == *checksum)
        {
            return Err(MigrateError::ChecksumMismatch {
                version: *version,
                name: name.clone(),
                recorded: checksum.clone(),
                expected: migration.fresh.checksum(),
            });
        }
    }
    let is_recorded = |version: i64| recorded.iter().any(|(recorded, _, _)| *recorded == version);
    let from_initial = is_recorded(INITIAL_VERSION);
    Ok(known
        .iter()
        .filter(|migration| match migration.part {
            Part::Legacy => false,
            Part::Bookkeeping => true,
            Part::Standalone => layout == Layout::Standalone,
        })
        .filter(|migration| !is_recorded(migration.version))
        .map(|migration| {
            let script = match (&migration.from_initial, from_initial) {
                (Some(upgrade), true) => upgrade,
                _ => &migration.fresh,
            };
            (migration.version, script)
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
            part: Part::Legacy,
            fresh: Script {
                name: "initial",
                sql: "CREATE TABLE a (x)",
            },
            from_initial: None,
        },
        Migration {
            version: 2,
            part: Part::Bookkeeping,
            fresh: Script {
                name: "bookkeeping",
                sql: "CREATE TABLE jirasync_a (x)",
            },
            from_initial: Some(Script {
                name: "bookkeeping_from_0001",
                sql: "ALTER TABLE a RENAME TO jirasync_a",
            }),
        },
        Migration {
            version: 3,
            part: Part::Standalone,
            fresh: Script {
                name: "standalone",
                sql: "CREATE TABLE b (y)",
            },
            from_initial: None,
        },
    ];

    fn recorded(version: i64, script: &Script) -> RecordedMigration {
        (version, script.name.to_owned(), script.checksum())
    }

    fn names(scripts: &[(i64, &Script)]) -> Vec<&'static str> {
        scripts.iter().map(|(_, script)| script.name).collect()
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
    fn a_fresh_standalone_database_gets_the_fresh_scripts_and_never_the_initial_one() {
        let scripts = pending(KNOWN, &[], Layout::Standalone).unwrap();
        assert_eq!(names(&scripts), ["bookkeeping", "standalone"]);
        assert_eq!(scripts[0].0, 2);
    }

    #[test]
    fn a_bookkeeping_database_never_gets_the_standalone_part() {
        let scripts = pending(KNOWN, &[], Layout::Bookkeeping).unwrap();
        assert_eq!(names(&scripts), ["bookkeeping"]);
    }

    #[test]
    fn a_bookkeeping_database_opened_standalone_gets_the_standalone_part() {
        let bookkeeping = recorded(2, &KNOWN[1].fresh);
        let scripts = pending(KNOWN, &[bookkeeping], Layout::Standalone).unwrap();
        assert_eq!(names(&scripts), ["standalone"]);
    }

    #[test]
    fn a_version_1_database_is_upgraded_in_place() {
        let initial = recorded(1, &KNOWN[0].fresh);
        let scripts = pending(KNOWN, std::slice::from_ref(&initial), Layout::Standalone).unwrap();
        assert_eq!(names(&scripts), ["bookkeeping_from_0001", "standalone"]);
        let upgraded = recorded(2, KNOWN[1].from_initial.as_ref().unwrap());
        let scripts = pending(KNOWN, &[initial, upgraded], Layout::Standalone).unwrap();
        assert_eq!(names(&scripts), ["standalone"]);
    }

    #[test]
    fn unknown_recorded_version_is_refused() {
        let future = (999, "future".to_owned(), "0".to_owned());
        assert!(matches!(
            pending(KNOWN, &[future], Layout::Standalone),
            Err(MigrateError::NewerDatabase {
                database_version: 999,
                known_version: 3
            })
        ));
    }

    #[test]
    fn changed_checksum_is_refused() {
        let edited = (1, "initial".to_owned(), "edited".to_owned());
        assert!(matches!(
            pending(KNOWN, &[edited], Layout::Standalone),
            Err(MigrateError::ChecksumMismatch { version: 1, .. })
        ));
    }
}
