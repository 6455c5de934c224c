//! `GET /rest/api/2/status`: every issue status with its category, which tells resolved from open.

use serde::Deserialize;

use super::{optional_string_or_number, string_or_number};
use crate::client::JiraClient;
use crate::error::Error;

const STATUS_PATH: &str = "/rest/api/2/status";

/// An issue status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JiraStatus {
    /// The status id, as the webhook changelog's `from`/`to` carry it.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The status name, such as `In Progress`.
    #[serde(default)]
    pub name: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// The category: `new`, `indeterminate` or `done`.
    #[serde(default)]
    pub status_category: Option<StatusCategory>,
}

impl JiraStatus {
    /// Whether the status belongs to the `done` category.
    pub fn is_done(&self) -> bool {
        self.status_category
            .as_ref()
            .is_some_and(StatusCategory::is_done)
    }
}

/// A status category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusCategory {
    /// The category id.
    #[serde(default, deserialize_with = "optional_string_or_number")]
    pub id: Option<String>,
    /// `new`, `indeterminate`, `done` (or `undefined`).
    pub key: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The colour Jira shows it with.
    #[serde(default)]
    pub color_name: Option<String>,
}

impl StatusCategory {
    /// Whether this is the `done` category.
    pub fn is_done(&self) -> bool {
        self.key == "done"
    }
}

impl JiraClient {
    /// `GET /rest/api/2/status`.
    pub async fn statuses(&self) -> Result<Vec<JiraStatus>, Error> {
        self.get_json(STATUS_PATH, &[]).await
    }
}
