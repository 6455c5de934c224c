//! Configuration: each source, their precedence (flags > JIRASYNC_* > TOML file > defaults), and
//! each refusal, naming the flag, variable or key and the form expected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a panic is a failed test"
)]

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use jirasync::Cli;
use jirasync::config::{ByteSize, Config, ConfigError, Environment, LogFormat, Mode};
use jirasync_store::SCHEMA_VERSION;

/// Resolves the configuration of `jirasync FLAGS migrate` in `env`.
fn resolve(flags: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let args = std::iter::once("jirasync")
        .chain(flags.iter().copied())
        .chain(["migrate"]);
    let cli = Cli::try_parse_from(args).unwrap();
    Config::resolve(&cli.config, &Environment::new(env.iter().copied(), false))
}

fn config_file(text: &str) -> (tempfile::NamedTempFile, String) {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let path = file.path().to_str().unwrap().to_owned();
    (file, path)
}

fn error(flags: &[&str], env: &[(&str, &str)]) -> String {
    resolve(flags, env).unwrap_err().to_string()
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let config = resolve(&[], &[]).unwrap();
    assert_eq!(config.database_url.expose_secret(), "sqlite://jirasync.db");
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.public_url, "http://127.0.0.1:8080");
    assert_eq!(config.mode, Mode::Inbox);
    assert_eq!(config.body_limit, ByteSize::parse("1MiB").unwrap());
    assert!(config.admin_token.is_none());
    assert_eq!(config.workers.get(), 2);
    // Standard error is not a terminal here.
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.log_filter, None);
}

#[test]
fn log_format_defaults_to_human_on_a_terminal() {
    let cli = Cli::try_parse_from(["jirasync", "migrate"]).unwrap();
    let env = Environment::new(Vec::<(String, String)>::new(), true);
    assert_eq!(
        Config::resolve(&cli.config, &env).unwrap().log_format,
        LogFormat::Human
    );
}

#[test]
fn flags_set_every_option() {
    let config = resolve(
        &[
            "--database-url=postgres://app:db-password@db.example/jirasync",
            "--listen=0.0.0.0:9000",
            "--public-url=https://sync.example.com/",
            "--mode=inline",
            "--body-limit=512KiB",
            "--admin-token=0123456789abcdefXYZ",
            "--workers=8",
            "--log-format=human",
        ],
        &[("RUST_LOG", "jirasync=debug")],
    )
    .unwrap();
    assert_eq!(
        config.database_url.expose_secret(),
        "postgres://app:db-password@db.example/jirasync"
    );
    assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(config.public_url, "https://sync.example.com");
    assert_eq!(config.mode, Mode::Inline);
    assert_eq!(config.body_limit.bytes(), 512 * 1024);
    assert_eq!(
        config.admin_token.as_ref().unwrap().expose_secret(),
        "0123456789abcdefXYZ"
    );
    assert_eq!(config.workers.get(), 8);
    assert_eq!(config.log_format, LogFormat::Human);
    assert_eq!(config.log_filter.as_deref(), Some("jirasync=debug"));
    let shown = format!("{config:?}");
    assert!(!shown.contains("0123456789abcdefXYZ"), "{shown}");
    assert!(!shown.contains("db-password"), "{shown}");
}

#[test]
fn environment_variables_set_every_option() {
    let config = resolve(
        &[],
        &[
            ("JIRASYNC_DATABASE_URL", "sqlite://other.db"),
            ("JIRASYNC_LISTEN", "[::1]:8081"),
            ("JIRASYNC_MODE", "inline"),
            ("JIRASYNC_BODY_LIMIT", "2048"),
            ("JIRASYNC_ADMIN_TOKEN", "from-the-environment-0123"),
            ("JIRASYNC_WORKERS", "3"),
            ("JIRASYNC_RUNTIME_THREADS", "2"),
            ("JIRASYNC_LOG_FORMAT", "human"),
        ],
    )
    .unwrap();
    assert_eq!(config.database_url.expose_secret(), "sqlite://other.db");
    assert_eq!(config.listen.to_string(), "[::1]:8081");
    // The public URL follows the listen address when not set.
    assert_eq!(config.public_url, "http://[::1]:8081");
    assert_eq!(config.mode, Mode::Inline);
    assert_eq!(config.body_limit.bytes(), 2048);
    assert_eq!(
        config.admin_token.unwrap().expose_secret(),
        "from-the-environment-0123"
    );
    assert_eq!(config.workers.get(), 3);
    assert_eq!(config.runtime_threads.get(), 2);
    assert_eq!(config.log_format, LogFormat::Human);
}

#[test]
fn a_toml_file_sets_every_option() {
    let (_file, path) = config_file(
        r#"
database_url = "sqlite://file.db"
listen = "127.0.0.1:7000"
public_url = "https://file.example.com"
mode = "inline"
body_limit = 4096
admin_token = "from-the-file-0123456"
workers = 5
log_format = "human"
"#,
    );
    let config = resolve(&["--config", &path], &[]).unwrap();
    assert_eq!(config.database_url.expose_secret(), "sqlite://file.db");
    assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(config.public_url, "https://file.example.com");
    assert_eq!(config.mode, Mode::Inline);
    assert_eq!(config.body_limit.bytes(), 4096);
    assert_eq!(
        config.admin_token.unwrap().expose_secret(),
        "from-the-file-0123456"
    );
    assert_eq!(config.workers.get(), 5);
    assert_eq!(config.log_format, LogFormat::Human);
}

#[test]
fn jirasync_config_names_the_file_when_no_flag_does() {
    let (_file, path) = config_file("workers = 6\n");
    let config = resolve(&[], &[("JIRASYNC_CONFIG", &path)]).unwrap();
    assert_eq!(config.workers.get(), 6);
}

#[test]
fn flags_beat_variables_which_beat_the_file_which_beats_the_defaults() {
    let (_file, path) = config_file("workers = 5\nmode = \"inline\"\nbody_limit = \"2MiB\"\n");
    let env = [
        ("JIRASYNC_CONFIG", path.as_str()),
        ("JIRASYNC_WORKERS", "4"),
        ("JIRASYNC_MODE", "inbox"),
    ];
    let config = resolve(&["--workers", "3"], &env).unwrap();
    assert_eq!(config.workers.get(), 3, "flag over variable and file");
    assert_eq!(config.mode, Mode::Inbox, "variable over file");
    assert_eq!(config.body_limit.bytes(), 2 << 20, "file over default");
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080", "default");
}

#[test]
fn the_config_flag_beats_jirasync_config() {
    let (_flag_file, flag_path) = config_file("workers = 7\n");
    let (_env_file, env_path) = config_file("workers = 9\n");
    let config = resolve(&["--config", &flag_path], &[("JIRASYNC_CONFIG", &env_path)]).unwrap();
    assert_eq!(config.workers.get(), 7);
}

#[test]
fn refuses_bad_flag_values_naming_the_flag_and_the_form() {
    let cases: [(&str, &str); 7] = [
        (
            "--workers=0",
            "invalid flag --workers \"0\": expected a whole number of at least 1",
        ),
        (
            "--listen=localhost",
            "invalid flag --listen \"localhost\": expected an IP address and port such as 127.0.0.1:8080 or [::1]:8080",
        ),
        (
            "--mode=batch",
            "invalid flag --mode \"batch\": expected inbox or inline",
        ),
        (
            "--body-limit=1MB",
            "invalid flag --body-limit \"1MB\": expected a size above zero in bytes, or with a unit: B, KiB, MiB or GiB (such as 512KiB or 1MiB)",
        ),
        (
            "--log-format=xml",
            "invalid flag --log-format \"xml\": expected human or json",
        ),
        (
            "--database-url=mysql://db/x",
            "invalid flag --database-url \"mysql://db/x\": expected sqlite://FILE, a file path, or postgres://USER@HOST/DATABASE",
        ),
        (
            "--public-url=ftp://sync.example.com",
            "invalid flag --public-url \"ftp://sync.example.com\": expected an http:// or https:// URL with a host and no query or fragment, such as https://sync.example.com",
        ),
    ];
    for (flag, expected) in cases {
        assert_eq!(error(&[flag], &[]), expected, "{flag}");
    }
}

#[test]
fn applying_at_receipt_is_on_unless_switched_off_anywhere() {
    assert!(resolve(&[], &[]).unwrap().apply_at_receipt);
    let off = resolve(&["--apply-at-receipt", "false"], &[]).unwrap();
    assert!(!off.apply_at_receipt);
    let off = resolve(&[], &[("JIRASYNC_APPLY_AT_RECEIPT", "off")]).unwrap();
    assert!(!off.apply_at_receipt);
    let (_file, path) = config_file("apply_at_receipt = false\n");
    assert!(!resolve(&["--config", &path], &[]).unwrap().apply_at_receipt);
    assert_eq!(
        error(&["--apply-at-receipt=sometimes"], &[]),
        "invalid flag --apply-at-receipt \"sometimes\": expected true or false"
    );
    let (_file, path) = config_file("apply_at_receipt = 2\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!("invalid key `apply_at_receipt` in {path} \"2\": expected true or false")
    );
}

#[test]
fn refuses_a_public_url_with_a_query() {
    let message = error(
        &[],
        &[("JIRASYNC_PUBLIC_URL", "https://sync.example.com/?a=1")],
    );
    assert!(
        message.starts_with("invalid environment variable JIRASYNC_PUBLIC_URL \"https://sync.example.com/?a=1\": expected an http:// or https:// URL"),
        "{message}"
    );
}

#[test]
fn refuses_a_short_admin_token_without_showing_it() {
    let message = error(&[], &[("JIRASYNC_ADMIN_TOKEN", "short-secret")]);
    assert_eq!(
        message,
        "invalid environment variable JIRASYNC_ADMIN_TOKEN: expected at least 16 visible ASCII characters without spaces (the value is not shown)"
    );
}

#[test]
fn refuses_bad_variable_values_naming_the_variable() {
    assert_eq!(
        error(&[], &[("JIRASYNC_WORKERS", "many")]),
        "invalid environment variable JIRASYNC_WORKERS \"many\": expected a whole number of at least 1"
    );
}

#[test]
fn refuses_a_runtime_without_threads_naming_where_it_was_set() {
    assert_eq!(
        error(&["--runtime-threads", "0"], &[]),
        "invalid flag --runtime-threads \"0\": expected a whole number of at least 1"
    );
    assert_eq!(
        error(&[], &[("JIRASYNC_RUNTIME_THREADS", "all")]),
        "invalid environment variable JIRASYNC_RUNTIME_THREADS \"all\": expected a whole number of at least 1"
    );
    let (_file, path) = config_file("runtime_threads = 2\n");
    let config = resolve(&["--config", &path], &[]).unwrap();
    assert_eq!(config.runtime_threads.get(), 2);
    let config = resolve(&[], &[]).unwrap();
    assert_eq!(
        config.runtime_threads,
        jirasync::config::DEFAULT_RUNTIME_THREADS
    );
}

#[test]
fn the_database_pool_size_comes_from_a_flag_a_variable_or_the_file() {
    assert_eq!(resolve(&[], &[]).unwrap().database_connections, None);
    let config = resolve(&["--database-connections", "4"], &[]).unwrap();
    assert_eq!(config.database_connections.map(|n| n.get()), Some(4));
    let config = resolve(&[], &[("JIRASYNC_DATABASE_CONNECTIONS", " 20 ")]).unwrap();
    assert_eq!(config.database_connections.map(|n| n.get()), Some(20));
    let (_file, path) = config_file("database_connections = 6\n");
    let config = resolve(&["--config", &path], &[]).unwrap();
    assert_eq!(config.database_connections.map(|n| n.get()), Some(6));
    // The flag wins over the variable.
    let config = resolve(
        &["--database-connections", "3"],
        &[("JIRASYNC_DATABASE_CONNECTIONS", "9")],
    )
    .unwrap();
    assert_eq!(config.database_connections.map(|n| n.get()), Some(3));
}

#[test]
fn refuses_a_database_pool_without_connections_naming_where_it_was_set() {
    assert_eq!(
        error(&["--database-connections", "0"], &[]),
        "invalid flag --database-connections \"0\": expected a whole number of at least 1"
    );
    assert_eq!(
        error(&[], &[("JIRASYNC_DATABASE_CONNECTIONS", "many")]),
        "invalid environment variable JIRASYNC_DATABASE_CONNECTIONS \"many\": expected a whole number of at least 1"
    );
    let (_file, path) = config_file("database_connections = 5000000000\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!(
            "invalid key `database_connections` in {path} \"5000000000\": expected a whole number of at least 1"
        )
    );
}

#[test]
fn refuses_bad_file_values_naming_the_key_and_file() {
    let (_file, path) = config_file("workers = -1\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!("invalid key `workers` in {path} \"-1\": expected a whole number of at least 1")
    );
    let (_file, path) = config_file("mode = true\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!("invalid key `mode` in {path} \"true\": expected inbox or inline")
    );
}

#[test]
fn refuses_unknown_keys_in_the_file() {
    let (_file, path) = config_file("workers = 2\nwokers = 3\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!(
            "unknown key `wokers` in the configuration file {path}: the keys are database_url, listen, public_url, mode, body_limit, admin_token, workers, claim_batch, apply_at_receipt, runtime_threads, log_format, header_read_timeout, body_read_timeout, max_connections, database_timeout, database_connections, event_time_tolerance, inbox_retention, reconcile_interval, reconcile_overlap, reconcile_rate, reconcile_batch, no_setup, jira_allowed_hosts, event_retry_for, event_max_wait, event_retention, outbox_retention"
        )
    );
}

#[test]
fn refuses_a_file_that_is_not_toml() {
    let (_file, path) = config_file("workers = = 2\n");
    let message = error(&["--config", &path], &[]);
    assert!(
        message.starts_with(&format!(
            "the configuration file {path} is not valid TOML: "
        )),
        "{message}"
    );
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn refuses_a_missing_file() {
    let path = PathBuf::from("/nonexistent/jirasync.toml");
    let message = error(&["--config", path.to_str().unwrap()], &[]);
    assert!(
        message.starts_with("cannot read the configuration file /nonexistent/jirasync.toml: "),
        "{message}"
    );
}

#[test]
fn the_binary_exits_2_on_a_bad_value_and_writes_nothing() {
    let workdir = support::Workdir::new();
    let run = workdir.run_with_env(&["migrate"], &[("JIRASYNC_WORKERS", "0")]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(
        run.stderr,
        "error: invalid environment variable JIRASYNC_WORKERS \"0\": expected a whole number of at least 1\n"
    );
    assert_eq!(run.stdout, "");
    assert!(!workdir.database().exists(), "no database was created");
}

#[test]
fn the_binary_exits_2_on_a_bad_log_filter() {
    let workdir = support::Workdir::new();
    let run = workdir.run_with_env(&["migrate"], &[("RUST_LOG", "jirasync=loud")]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("error: invalid environment variable RUST_LOG \"jirasync=loud\": "),
        "{run:?}"
    );
}

#[test]
fn the_binary_exits_2_on_an_unknown_flag() {
    let run = support::Workdir::new().run(&["migrate", "--wokers", "2"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("--wokers"), "{run:?}");
}

#[test]
fn the_binary_takes_its_database_from_the_file_then_the_variable_then_the_flag() {
    let workdir = support::Workdir::new();
    std::fs::write(
        workdir.path().join("jirasync.toml"),
        "database_url = \"sqlite://from-file.db\"\n",
    )
    .unwrap();
    let env = [("JIRASYNC_CONFIG", "jirasync.toml")];
    let run = workdir.run_with_env(&["migrate"], &env);
    assert_eq!(
        run.stdout,
        format!(
            "database sqlite://from-file.db is at schema version {SCHEMA_VERSION} (up to date)\n"
        )
    );
    let env = [
        ("JIRASYNC_CONFIG", "jirasync.toml"),
        ("JIRASYNC_DATABASE_URL", "sqlite://from-env.db"),
    ];
    let run = workdir.run_with_env(&["migrate"], &env);
    assert_eq!(
        run.stdout,
        format!(
            "database sqlite://from-env.db is at schema version {SCHEMA_VERSION} (up to date)\n"
        )
    );
    let run = workdir.run_with_env(
        &["migrate", "--database-url", "sqlite://from-flag.db"],
        &env,
    );
    assert_eq!(
        run.stdout,
        format!(
            "database sqlite://from-flag.db is at schema version {SCHEMA_VERSION} (up to date)\n"
        )
    );
    for file in ["from-file.db", "from-env.db", "from-flag.db"] {
        assert!(workdir.path().join(file).exists(), "{file}");
    }
}

#[test]
fn help_and_version_are_results_on_standard_output() {
    let workdir = support::Workdir::new();
    let help = workdir.run(&["--help"]);
    assert_eq!(help.code, Some(0), "{help:?}");
    assert!(
        help.stdout.contains("Usage: jirasync [OPTIONS] <COMMAND>"),
        "{help:?}"
    );
    let version = workdir.run(&["--version"]);
    assert_eq!(version.code, Some(0), "{version:?}");
    assert_eq!(
        version.stdout,
        format!("jirasync {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_receiver_bounds_default_and_come_from_every_source() {
    let config = resolve(&[], &[]).unwrap();
    assert_eq!(config.header_read_timeout, Duration::from_secs(10));
    assert_eq!(config.body_read_timeout, Duration::from_secs(30));
    assert_eq!(config.max_connections.get(), 512);
    assert_eq!(config.database_timeout, Duration::from_secs(1));
    assert_eq!(config.event_time_tolerance, Duration::from_secs(86_400));

    let (_file, path) = config_file("header_read_timeout = \"5s\"\nmax_connections = 64\n");
    let config = resolve(
        &[
            "--config",
            &path,
            "--body-read-timeout",
            "2m",
            "--database-timeout",
            "500ms",
        ],
        &[("JIRASYNC_EVENT_TIME_TOLERANCE", "1h")],
    )
    .unwrap();
    assert_eq!(config.header_read_timeout, Duration::from_secs(5));
    assert_eq!(config.body_read_timeout, Duration::from_secs(120));
    assert_eq!(config.max_connections.get(), 64);
    assert_eq!(config.database_timeout, Duration::from_millis(500));
    assert_eq!(config.event_time_tolerance, Duration::from_secs(3600));
}

#[test]
fn refuses_bad_receiver_bounds_naming_the_source_and_the_form() {
    let duration = DURATION_FORM;
    assert_eq!(
        error(&["--header-read-timeout", "10 sec"], &[]),
        format!("invalid flag --header-read-timeout \"10 sec\": {duration}")
    );
    assert_eq!(
        error(&["--body-read-timeout", "0s"], &[]),
        format!("invalid flag --body-read-timeout \"0s\": {duration}")
    );
    assert_eq!(
        error(&[], &[("JIRASYNC_DATABASE_TIMEOUT", "1.5s")]),
        format!("invalid environment variable JIRASYNC_DATABASE_TIMEOUT \"1.5s\": {duration}")
    );
    assert_eq!(
        error(&["--event-time-tolerance", "forever"], &[]),
        format!("invalid flag --event-time-tolerance \"forever\": {duration}")
    );
    let (_file, path) = config_file("max_connections = 0\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!(
            "invalid key `max_connections` in {path} \"0\": expected a whole number of at least 1"
        )
    );
}

const DURATION_FORM: &str = "expected a duration above zero and at most a year: seconds, or a whole number with a unit ms, s, m, h or d (such as 500ms, 3600, 24h or 7d)";

#[test]
fn inbox_retention_defaults_to_a_week_and_is_read_from_each_source() {
    let day = Duration::from_secs(86_400);
    assert_eq!(resolve(&[], &[]).unwrap().inbox_retention, 7 * day);
    let flag = resolve(&["--inbox-retention", "12h"], &[]).unwrap();
    assert_eq!(flag.inbox_retention, Duration::from_secs(43_200));
    let variable = resolve(&[], &[("JIRASYNC_INBOX_RETENTION", "3600")]).unwrap();
    assert_eq!(variable.inbox_retention, Duration::from_secs(3_600));
    let (_file, path) = config_file("inbox_retention = \"30d\"\n");
    let file = resolve(&["--config", &path], &[]).unwrap();
    assert_eq!(file.inbox_retention, 30 * day);
    let (_file, path) = config_file("inbox_retention = 600\n");
    let seconds = resolve(&["--config", &path], &[("JIRASYNC_INBOX_RETENTION", "2d")]).unwrap();
    assert_eq!(
        seconds.inbox_retention,
        2 * day,
        "the variable beats the file"
    );
}

#[test]
fn refuses_a_bad_inbox_retention_naming_its_source() {
    assert_eq!(
        error(&["--inbox-retention=0"], &[]),
        format!("invalid flag --inbox-retention \"0\": {DURATION_FORM}")
    );
    assert_eq!(
        error(&[], &[("JIRASYNC_INBOX_RETENTION", "1w")]),
        format!("invalid environment variable JIRASYNC_INBOX_RETENTION \"1w\": {DURATION_FORM}")
    );
    let (_file, path) = config_file("inbox_retention = -5\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!("invalid key `inbox_retention` in {path} \"-5\": {DURATION_FORM}")
    );
    let (_file, path) = config_file("inbox_retention = 1.5\n");
    assert_eq!(
        error(&["--config", &path], &[]),
        format!("invalid key `inbox_retention` in {path} \"1.5\": {DURATION_FORM}")
    );
}

#[test]
fn the_binary_exits_2_on_a_bad_inbox_retention_and_writes_nothing() {
    let workdir = support::Workdir::new();
    let run = workdir.run_with_env(&["migrate", "--inbox-retention", "7 days"], &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(
        run.stderr,
        format!("error: invalid flag --inbox-retention \"7 days\": {DURATION_FORM}\n")
    );
    assert_eq!(run.stdout, "");
    assert!(!workdir.database().exists(), "no database was created");
}

#[test]
fn reconcile_settings_default_and_come_from_every_source() {
    let config = resolve(&[], &[]).unwrap();
    assert_eq!(
        config.reconcile.interval,
        Some(Duration::from_secs(600)),
        "every 10 minutes by default"
    );
    assert_eq!(config.reconcile.overlap, Duration::from_secs(300));
    assert!((config.reconcile.rate - 5.0).abs() < f64::EPSILON);
    assert_eq!(config.reconcile.batch.get(), 100);

    let (_file, path) =
        config_file("reconcile_interval = \"90s\"\nreconcile_batch = 250\nreconcile_rate = 0.5\n");
    let config = resolve(
        &["--reconcile-overlap", "2m"],
        &[
            ("JIRASYNC_CONFIG", &path),
            ("JIRASYNC_RECONCILE_BATCH", "20"),
        ],
    )
    .unwrap();
    assert_eq!(config.reconcile.interval, Some(Duration::from_secs(90)));
    assert_eq!(config.reconcile.overlap, Duration::from_secs(120));
    assert!((config.reconcile.rate - 0.5).abs() < f64::EPSILON);
    assert_eq!(config.reconcile.batch.get(), 20, "variable over file");
}

#[test]
fn the_claim_batch_comes_from_the_flag_the_variable_or_the_file_and_is_bounded() {
    assert_eq!(
        resolve(&[], &[]).unwrap().claim_batch.get(),
        8,
        "the service's default"
    );
    let (_file, path) = config_file("claim_batch = 16\n");
    let from_file = resolve(&[], &[("JIRASYNC_CONFIG", &path)]).unwrap();
    assert_eq!(from_file.claim_batch.get(), 16);
    let env = [
        ("JIRASYNC_CONFIG", path.as_str()),
        ("JIRASYNC_CLAIM_BATCH", "1"),
    ];
    assert_eq!(
        resolve(&[], &env).unwrap().claim_batch.get(),
        1,
        "variable over file"
    );
    let config = resolve(&["--claim-batch", "64"], &env).unwrap();
    assert_eq!(config.claim_batch.get(), 64, "flag over variable");

    for batch in ["0", "65", "eight", "-1"] {
        assert_eq!(
            error(&[&format!("--claim-batch={batch}")], &[]),
            format!(
                "invalid flag --claim-batch \"{batch}\": expected a whole number of deliveries from 1 to 64"
            )
        );
    }
    assert_eq!(
        error(&[], &[("JIRASYNC_CLAIM_BATCH", "100")]),
        "invalid environment variable JIRASYNC_CLAIM_BATCH \"100\": expected a whole number of deliveries from 1 to 64"
    );
    let (_file, path) = config_file("claim_batch = 0\n");
    assert_eq!(
        error(&[], &[("JIRASYNC_CONFIG", &path)]),
        format!(
            "invalid key `claim_batch` in {path} \"0\": expected a whole number of deliveries from 1 to 64"
        )
    );
}

#[test]
fn reconcile_interval_off_or_zero_turns_it_off() {
    for off in ["off", "0", "0s"] {
        let config = resolve(&["--reconcile-interval", off], &[]).unwrap();
        assert_eq!(config.reconcile.interval, None, "{off}");
    }
}

#[test]
fn refuses_bad_reconcile_settings_naming_the_source_and_the_form() {
    assert_eq!(
        error(&["--reconcile-interval=5 minutes"], &[]),
        "invalid flag --reconcile-interval \"5 minutes\": expected a duration such as 30s, 10m or 1h (seconds, or a whole number with ms, s, m, h or d; at most a year), or off (also 0) to never reconcile"
    );
    assert_eq!(
        error(&[], &[("JIRASYNC_RECONCILE_OVERLAP", "-1m")]),
        "invalid environment variable JIRASYNC_RECONCILE_OVERLAP \"-1m\": expected a duration such as 5m or 90s (seconds, or a whole number with ms, s, m, h or d; at most a year; 0 for none)"
    );
    for rate in ["0", "-2", "fast", "inf", "NaN"] {
        assert!(
            error(&[&format!("--reconcile-rate={rate}")], &[])
                .ends_with("expected a number of requests per second above zero, such as 5 or 0.5"),
            "{rate}"
        );
    }
    for batch in ["0", "501", "ten"] {
        assert_eq!(
            error(&[&format!("--reconcile-batch={batch}")], &[]),
            format!(
                "invalid flag --reconcile-batch \"{batch}\": expected a whole number of issue keys from 1 to 500"
            )
        );
    }
    let (_file, path) = config_file("reconcile_interval = true\n");
    let message = error(&[], &[("JIRASYNC_CONFIG", &path)]);
    assert!(
        message.starts_with("invalid key `reconcile_interval` in "),
        "{message}"
    );
}

#[test]
fn event_retry_for_reads_the_shared_duration_form() {
    assert_eq!(
        resolve(&[], &[]).unwrap().event_retry_for,
        Duration::from_secs(86_400)
    );
    let flag = resolve(&["--event-retry-for", "12h"], &[]).unwrap();
    assert_eq!(flag.event_retry_for, Duration::from_secs(43_200));
    let seconds = resolve(&[], &[("JIRASYNC_EVENT_RETRY_FOR", "90")]).unwrap();
    assert_eq!(seconds.event_retry_for, Duration::from_secs(90));
    assert_eq!(
        error(&["--event-retry-for", "1w"], &[]),
        format!("invalid flag --event-retry-for \"1w\": {DURATION_FORM}")
    );
}

#[test]
fn event_max_wait_and_retention_read_durations_and_retention_turns_off() {
    let defaults = resolve(&[], &[]).unwrap();
    assert_eq!(defaults.event_max_wait, Duration::from_secs(60));
    assert_eq!(
        defaults.event_retention,
        Some(Duration::from_secs(30 * 86_400))
    );
    let set = resolve(
        &["--event-max-wait", "5s"],
        &[("JIRASYNC_EVENT_RETENTION", "7d")],
    )
    .unwrap();
    assert_eq!(set.event_max_wait, Duration::from_secs(5));
    assert_eq!(set.event_retention, Some(Duration::from_secs(7 * 86_400)));
    for off in ["off", "0", "0d"] {
        let config = resolve(&["--event-retention", off, "--outbox-retention", off], &[]).unwrap();
        assert_eq!(config.event_retention, None, "{off}");
        assert_eq!(config.outbox_retention, None, "{off}");
    }
    assert_eq!(
        defaults.outbox_retention,
        Some(Duration::from_secs(30 * 86_400))
    );
    let file_set = resolve(&[], &[("JIRASYNC_OUTBOX_RETENTION", "12h")]).unwrap();
    assert_eq!(file_set.outbox_retention, Some(Duration::from_secs(43_200)));
    assert_eq!(
        error(&["--event-max-wait", "0"], &[]),
        format!("invalid flag --event-max-wait \"0\": {DURATION_FORM}")
    );
    assert_eq!(
        error(&["--event-retention", "a month"], &[]),
        "invalid flag --event-retention \"a month\": expected a duration such as 30d or 12h (seconds, or a whole number with ms, s, m, h or d; at most a year), or off (also 0) to keep events for ever"
    );
}
