//! `GET /rest/api/2/serverInfo`: Jira's version, which decides the webhook API generation.

use std::fmt;

use serde::Deserialize;

use super::webhooks::WebhookApi;
use crate::client::JiraClient;
use crate::error::Error;
use crate::response::{check_status, parse_json};

const SERVER_INFO_PATH: &str = "/rest/api/2/serverInfo";

/// What Jira says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServerInfo {
    /// Jira's own idea of its base URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The version as text, such as `9.12.2` or `10.3.0-m0001`.
    #[serde(default)]
    pub version: Option<String>,
    /// The version as numbers, such as `[9, 12, 2]`.
    #[serde(default)]
    pub version_numbers: Vec<u64>,
    /// `Server` or `DataCenter` (`Cloud` would mean the wrong product).
    #[serde(default)]
    pub deployment_type: Option<String>,
    /// The build number.
    #[serde(default)]
    pub build_number: Option<u64>,
    /// Jira's clock when it answered, such as `2024-05-01T12:00:00.000+0000` (for clock-skew checks:
    /// OAuth 1.0a timestamps must be close to it).
    #[serde(default)]
    pub server_time: Option<String>,
    /// The instance title set by the administrator.
    #[serde(default)]
    pub server_title: Option<String>,
    /// The answer's `Date` header (an HTTP date, such as `Tue, 01 Dec 2026 18:00:00 GMT`): Jira's
    /// clock when it answered, present even when the body has no `serverTime`. Not in the JSON.
    #[serde(skip)]
    pub response_date: Option<String>,
}

/// A Jira version as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct JiraVersion {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
}

impl JiraVersion {
    /// A version from its numbers.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Reads the leading dotted numbers of a version string: `10.3.0-m0001` is 10.3.0, `9` is 9.0.0.
    pub fn parse(text: &str) -> Option<Self> {
        let numbers: Vec<u64> = text
            .trim()
            .split('.')
            .map_while(|part| {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
            .collect();
        Self::from_numbers(&numbers)
    }

    fn from_numbers(numbers: &[u64]) -> Option<Self> {
        let mut parts = numbers.iter().copied();
        let major = parts.next()?;
        Some(Self::new(
            major,
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        ))
    }
}

impl fmt::Display for JiraVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl ServerInfo {
    /// The version, from `versionNumbers` when Jira sent them, otherwise from `version`.
    pub fn parsed_version(&self) -> Option<JiraVersion> {
        JiraVersion::from_numbers(&self.version_numbers)
            .or_else(|| self.version.as_deref().and_then(JiraVersion::parse))
    }

    /// The webhook API of this Jira: the legacy one up to 9, the new one from 10
    /// (reference-behaviour §2.2).
    pub fn webhook_api(&self) -> Result<WebhookApi, Error> {
        self.parsed_version()
            .map(WebhookApi::for_version)
            .ok_or_else(|| Error::UnknownServerVersion {
                version: self.version.clone(),
            })
    }
}

impl JiraClient {
    /// `GET /rest/api/2/serverInfo`, with the answer's `Date` header in
    /// [`ServerInfo::response_date`].
    pub async fn server_info(&self) -> Result<ServerInfo, Error> {
        let (call, response) = self.get(SERVER_INFO_PATH, &[]).await?;
        check_status(call, &response)?;
        let mut info: ServerInfo = parse_json(call, &response)?;
        info.response_date = response.date;
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_strings() {
        assert_eq!(
            JiraVersion::parse("9.12.2"),
            Some(JiraVersion::new(9, 12, 2))
        );
        assert_eq!(
            JiraVersion::parse("10.3.0-m0001"),
            Some(JiraVersion::new(10, 3, 0))
        );
        assert_eq!(JiraVersion::parse("10"), Some(JiraVersion::new(10, 0, 0)));
        assert_eq!(JiraVersion::parse("v10"), None);
    }

    #[test]
    fn prefers_version_numbers() {
        let info: ServerInfo =
            serde_json::from_str(r#"{"version":"9.9.9","versionNumbers":[10,0,1],"extra":1}"#)
                .unwrap();
        assert_eq!(info.parsed_version(), Some(JiraVersion::new(10, 0, 1)));
    }
}
