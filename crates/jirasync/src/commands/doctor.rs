//! `jirasync doctor`: one line per check, `ok` or what to fix, in the order a broken set-up is
//! usually repaired: database, integration, Jira reachable, server version, clock, credentials,
//! webhook. A check that cannot run without an earlier one is left out when that one failed.

use std::fmt;
use std::io::Write;
use std::time::{Duration, SystemTime};

use jirasync_client::{ServerInfo, Webhook, WebhookApi, WebhookId};
use jirasync_store::SCHEMA_VERSION;
use jirasync_webhook::{EventTime, WEBHOOK_PATH_PREFIX, peek_external_id, redact_webhook_url};

use crate::cli::IntegrationChoice;
use crate::config::Config;
use crate::error::CliError;
use crate::installation::Installation;
use crate::store::open_store;

/// Clock skew above this is worth fixing.
const SKEW_WARNING: Duration = Duration::from_secs(60);
/// Clock skew above this makes Jira refuse OAuth 1.0a requests (`timestamp_refused`).
const SKEW_REFUSED: Duration = Duration::from_secs(300);

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Fine.
    Ok,
    /// Works, but should be fixed.
    Warn,
    /// Broken: doctor exits with 1.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Check {
    verdict: Verdict,
    name: &'static str,
    detail: String,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Ok,
            name,
            detail: detail.into(),
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Warn,
            name,
            detail: detail.into(),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Fail,
            name,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        };
        write!(f, "{verdict:<4} {}: {}", self.name, self.detail)
    }
}

/// Writes each check as it completes and counts the failures.
struct Report<'a> {
    out: &'a mut dyn Write,
    failed: usize,
}

impl Report<'_> {
    fn record(&mut self, check: &Check) -> Result<(), CliError> {
        if check.verdict == Verdict::Fail {
            self.failed += 1;
        }
        writeln!(self.out, "{check}")?;
        Ok(())
    }
}

pub(super) async fn run(
    choice: &IntegrationChoice,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut report = Report { out, failed: 0 };
    run_checks(choice, config, SystemTime::now(), &mut report).await?;
    match report.failed {
        0 => {
            writeln!(report.out, "all checks passed")?;
            Ok(())
        }
        failed => Err(CliError::ChecksFailed { failed }),
    }
}

async fn run_checks(
    choice: &IntegrationChoice,
    config: &Config,
    now: SystemTime,
    report: &mut Report<'_>,
) -> Result<(), CliError> {
    let store = match open_store(config).await {
        Ok(store) => store,
        Err(error) => return report.record(&Check::fail("database", error.to_string())),
    };
    report.record(&Check::ok(
        "database",
        format!(
            "{} is reachable and at schema version {SCHEMA_VERSION}",
            config.database_url
        ),
    ))?;

    let public_url = match crate::public_url::resolve(config, store.as_ref()).await {
        Ok(public_url) => public_url.url,
        Err(error) => return report.record(&Check::fail("database", error.to_string())),
    };
    let installation = match Installation::find(store.as_ref(), choice).await {
        Ok(installation) => installation,
        Err(error) => return report.record(&Check::fail("integration", error.to_string())),
    };
    report.record(&Check::ok(
        "integration",
        format!(
            "{} at {}, with the credentials of organization {}",
            installation.integration.external_id,
            installation.integration.metadata.base_url,
            installation.organization.get()
        ),
    ))?;
    let client = match installation.client() {
        Ok(client) => client,
        Err(error) => return report.record(&Check::fail("integration", error.to_string())),
    };

    let base_url = client.base_url().to_string();
    let webhook_api = match client.server_info().await {
        Ok(info) => {
            report.record(&Check::ok("jira", format!("{base_url} answers serverInfo")))?;
            report.record(&version_check(&info))?;
            report.record(&clock_check(
                info.response_date.as_deref(),
                info.server_time.as_deref(),
                now,
            ))?;
            info.webhook_api().ok()
        }
        // Jira answered, but refused: the credentials check below says why.
        Err(error) if error.status().is_some() => {
            report.record(&Check::fail(
                "jira",
                format!("{base_url} answers, but refused serverInfo: {error}"),
            ))?;
            None
        }
        Err(error) => return report.record(&Check::fail("jira", error.to_string())),
    };

    report.record(&match client.myself().await {
        Ok(user) => Check::ok(
            "credentials",
            format!(
                "Jira accepts them; acting as {}",
                user.name
                    .or(user.display_name)
                    .or(user.key)
                    .unwrap_or_else(|| "an unnamed user".to_owned())
            ),
        ),
        Err(error) => match error.oauth_problem() {
            Some(problem) => Check::fail("credentials", format!("{problem}")),
            None => Check::fail("credentials", format!("myself failed: {error}")),
        },
    })?;

    let check = match webhook_api {
        None => Check::fail(
            "webhook",
            "not checked: without Jira's version the webhook API is unknown (see above)",
        ),
        Some(api) => match client.list_webhooks(api).await {
            Ok(webhooks) => webhook_check(
                &webhooks,
                &installation.webhook_urls(&public_url),
                installation.integration.external_id.as_str(),
                &public_url,
            ),
            Err(error) => Check::fail("webhook", format!("cannot list the webhooks: {error}")),
        },
    };
    report.record(&check)
}

/// The server version, and the webhook API generation it implies.
fn version_check(info: &ServerInfo) -> Check {
    if info.deployment_type.as_deref() == Some("Cloud") {
        return Check::fail(
            "server version",
            "this is Jira Cloud: jirasync works with Jira Server and Data Center only",
        );
    }
    match info.parsed_version() {
        Some(version) => {
            let api = WebhookApi::for_version(version);
            let generation = match api {
                WebhookApi::Jira10 => "the Jira 10 webhook API",
                _ => "the legacy webhook API",
            };
            Check::ok(
                "server version",
                format!(
                    "Jira {version} ({}): webhooks through {generation}, {}",
                    info.deployment_type
                        .as_deref()
                        .unwrap_or("deployment type unknown"),
                    api.collection_path()
                ),
            )
        }
        None => Check::fail(
            "server version",
            format!(
                "serverInfo has no readable version ({:?}): check that the Jira URL points at Jira Server or Data Center",
                info.version
            ),
        ),
    }
}

/// The difference between Jira's clock and this machine's at `now`: Jira's clock is read from
/// the `Date` header of its serverInfo answer (what OAuth timestamps are checked against), or,
/// without a readable one, from the body's `serverTime`.
fn clock_check(date_header: Option<&str>, server_time: Option<&str>, now: SystemTime) -> Check {
    let from_header = date_header.and_then(|text| httpdate::parse_http_date(text).ok());
    let from_body = server_time
        .and_then(EventTime::parse_jira)
        .and_then(EventTime::to_datetime)
        .map(SystemTime::from);
    let server = match (from_header, from_body, server_time) {
        (Some(at), _, _) | (None, Some(at), _) => at,
        (None, None, Some(text)) => {
            return Check::warn(
                "clock",
                format!(
                    "Jira sent no readable Date header and its serverTime {text:?} is not a date-time; the clocks were not compared"
                ),
            );
        }
        (None, None, None) => {
            return Check::warn(
                "clock",
                "Jira sent neither a readable Date header nor a serverTime, so the clocks were not compared",
            );
        }
    };
    let (skew, direction) = match server.duration_since(now) {
        Ok(ahead) => (ahead, "ahead of"),
        Err(behind) => (behind.duration(), "behind"),
    };
    let detail = format!(
        "Jira's clock is {} s {direction} this machine's",
        skew.as_secs()
    );
    if skew > SKEW_REFUSED {
        Check::fail(
            "clock",
            format!(
                "{detail}: Jira refuses OAuth requests this far off (timestamp_refused); synchronise both clocks (NTP)"
            ),
        )
    } else if skew > SKEW_WARNING {
        Check::warn(
            "clock",
            format!(
                "{detail}: synchronise both clocks (NTP) before it reaches 5 minutes, when Jira refuses OAuth requests"
            ),
        )
    } else {
        Check::ok("clock", detail)
    }
}

/// Whether a webhook posts to one of `expected_urls` (this integration's URLs at the public URL).
fn webhook_check(
    webhooks: &[Webhook],
    expected_urls: &[String],
    external_id: &str,
    public_url: &str,
) -> Check {
    let id = |webhook: &Webhook| {
        webhook
            .id
            .as_ref()
            .map_or_else(|| "without id".to_owned(), WebhookId::to_string)
    };
    if let Some(webhook) = webhooks
        .iter()
        .find(|webhook| expected_urls.contains(&webhook.url))
    {
        let url = redact_webhook_url(&webhook.url);
        return if webhook.enabled == Some(false) {
            Check::fail(
                "webhook",
                format!(
                    "webhook {} posts to {url} but is disabled in Jira: enable it",
                    id(webhook)
                ),
            )
        } else {
            Check::ok("webhook", format!("webhook {} posts to {url}", id(webhook)))
        };
    }
    if let Some(webhook) = webhooks
        .iter()
        .find(|webhook| token_external_id(&webhook.url).as_deref() == Some(external_id))
    {
        return Check::fail(
            "webhook",
            format!(
                "webhook {} is this integration's but posts to {}, not to {public_url}: if the public URL is wrong, fix --public-url (JIRASYNC_PUBLIC_URL); otherwise delete the webhook (jirasync webhook delete {}) and register it again",
                id(webhook),
                redact_webhook_url(&webhook.url),
                id(webhook)
            ),
        );
    }
    Check::fail(
        "webhook",
        format!(
            "no webhook in Jira posts to {public_url}{WEBHOOK_PATH_PREFIX}…: register it by connecting again (a Jira administrator must approve), or have an administrator create it"
        ),
    )
}

/// The integration a webhook URL's token names, if it is a jirasync webhook URL.
fn token_external_id(url: &str) -> Option<String> {
    let (_, after_prefix) = url.split_once(WEBHOOK_PATH_PREFIX)?;
    let token = after_prefix.split('/').next()?;
    peek_external_id(token).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix_seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix_seconds)
    }

    // 2024-05-01T12:00:00Z
    const NOON: u64 = 1_714_564_800;

    #[test]
    fn clocks_within_a_minute_are_ok() {
        let check = clock_check(None, Some("2024-05-01T12:00:30.000+0000"), at(NOON));
        assert_eq!(
            check,
            Check::ok("clock", "Jira's clock is 30 s ahead of this machine's")
        );
    }

    #[test]
    fn warns_about_skew_over_a_minute() {
        let check = clock_check(None, Some("2024-05-01T13:58:00.000+0200"), at(NOON));
        assert_eq!(check.verdict, Verdict::Warn);
        assert!(
            check
                .detail
                .starts_with("Jira's clock is 120 s behind this machine's: synchronise"),
            "{check}"
        );
    }

    #[test]
    fn fails_on_skew_jira_refuses() {
        let check = clock_check(None, Some("2024-05-01T12:06:00.000+0000"), at(NOON));
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.detail.contains("timestamp_refused"), "{check}");
    }

    #[test]
    fn reads_jiras_clock_from_the_date_header_first() {
        // The header says 10 minutes ahead; the body's serverTime (agreeing) is not needed.
        let check = clock_check(
            Some("Wed, 01 May 2024 12:10:00 GMT"),
            Some("2024-05-01T12:00:00.000+0000"),
            at(NOON),
        );
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(
            check.detail.starts_with("Jira's clock is 600 s ahead"),
            "{check}"
        );
    }

    #[test]
    fn falls_back_to_server_time_when_the_date_header_is_unreadable() {
        let check = clock_check(
            Some("not a date"),
            Some("2024-05-01T12:00:30.000+0000"),
            at(NOON),
        );
        assert_eq!(
            check,
            Check::ok("clock", "Jira's clock is 30 s ahead of this machine's")
        );
    }

    #[test]
    fn warns_when_server_time_is_missing_or_unreadable() {
        assert_eq!(clock_check(None, None, at(NOON)).verdict, Verdict::Warn);
        let check = clock_check(Some("garbage"), Some("yesterday"), at(NOON));
        assert_eq!(check.verdict, Verdict::Warn);
        assert!(check.detail.contains("\"yesterday\""), "{check}");
    }
}
