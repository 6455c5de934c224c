//! `jirasync migrate`: creates and migrates the default database, and says its version.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use jirasync_store::SCHEMA_VERSION;

#[test]
fn creates_the_default_database_and_reports_its_schema_version() {
    let workdir = support::Workdir::new();
    let run = workdir.run(&["migrate"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "database sqlite://jirasync.db is at schema version {SCHEMA_VERSION} (up to date)\n"
        )
    );
    assert!(workdir.database().exists());
    // Running it again is a no-op with the same answer.
    assert_eq!(workdir.run(&["migrate"]).stdout, run.stdout);
}

#[test]
fn fails_with_exit_1_when_the_database_cannot_be_opened() {
    let workdir = support::Workdir::new();
    let run = workdir.run(&["migrate", "--database-url", "sqlite://missing-dir/x.db"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("error: cannot connect to the database at sqlite://missing-dir/x.db: "),
        "{run:?}"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn logs_go_to_standard_error_as_json_and_results_to_standard_output() {
    let workdir = support::Workdir::new();
    let run = workdir.run_with_env(&["migrate"], &[("RUST_LOG", "jirasync=debug")]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "database sqlite://jirasync.db is at schema version {SCHEMA_VERSION} (up to date)\n"
        )
    );
    let line = run
        .stderr
        .lines()
        .find(|line| line.contains("opening the database"))
        .unwrap_or_else(|| panic!("no log line in {:?}", run.stderr));
    let log: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(log["level"], "DEBUG");
    assert_eq!(log["fields"]["database"], "sqlite://jirasync.db");
}

#[test]
fn human_logs_on_request() {
    let workdir = support::Workdir::new();
    let run = workdir.run_with_env(
        &["migrate", "--log-format", "human"],
        &[("RUST_LOG", "jirasync=debug")],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let line = run
        .stderr
        .lines()
        .find(|line| line.contains("opening the database"))
        .unwrap_or_else(|| panic!("no log line in {:?}", run.stderr));
    assert!(line.contains("DEBUG"), "{line}");
    assert!(!line.starts_with('{'), "{line}");
}
