//! A project and the statuses its workflows use: `GET /rest/api/2/project/{key}` and
//! `GET /rest/api/2/project/{key}/statuses`. Outbound status sync checks a per-project mapping
//! (which status to reach on resolve and on unresolve) against them before storing it.

use serde::Deserialize;

use super::references::project_segment;
use super::string_or_number;
use crate::JiraStatus;
use crate::client::JiraClient;
use crate::error::Error;
use crate::response::{check_status, parse_json_strict, reject_html};

/// A project, as `GET /rest/api/2/project/{key}` answers it (the members the sync reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct JiraProject {
    /// The project id (`10000`), a string even when Jira sent a number.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The project key (`APP`).
    pub key: String,
    /// The project name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The statuses one issue type of a project can be in (its workflow's).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IssueTypeStatuses {
    /// The issue type id (`10004`).
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The issue type name (`Bug`).
    #[serde(default)]
    pub name: String,
    /// Whether it is a sub-task type.
    #[serde(default)]
    pub subtask: bool,
    /// The statuses, in Jira's order.
    pub statuses: Vec<JiraStatus>,
}

impl JiraClient {
    /// `GET /rest/api/2/project/{key}`: the project, by key or id. `Ok(None)` when Jira answers
    /// 404 (no such project, or the user may not browse it). Retried like every `GET`.
    ///
    /// # Errors
    ///
    /// [`InputError::ProjectReference`](crate::InputError::ProjectReference) before any request;
    /// Jira's refusals as [`Error::Api`]; an HTML page, or an answer without `id` or `key`, as
    /// [`Error::UnexpectedBody`].
    pub async fn project(&self, project: &str) -> Result<Option<JiraProject>, Error> {
        let path = format!("/rest/api/2/project/{}", project_segment(project)?);
        let (call, response) = self.get(&path, &[]).await?;
        if response.status == 404 {
            reject_html(call, &response, "Jira's error JSON")?;
            return Ok(None);
        }
        check_status(call, &response)?;
        parse_json_strict(call, &response, "a project").map(Some)
    }

    /// `GET /rest/api/2/project/{key}/statuses`: every issue type of the project with the
    /// statuses its workflow uses. `Ok(None)` when Jira answers 404. Retried like every `GET`.
    ///
    /// # Errors
    ///
    /// As [`JiraClient::project`]; a status without `id` is [`Error::UnexpectedBody`] with its
    /// path.
    pub async fn project_statuses(
        &self,
        project: &str,
    ) -> Result<Option<Vec<IssueTypeStatuses>>, Error> {
        let path = format!("/rest/api/2/project/{}/statuses", project_segment(project)?);
        let (call, response) = self.get(&path, &[]).await?;
        if response.status == 404 {
            reject_html(call, &response, "Jira's error JSON")?;
            return Ok(None);
        }
        check_status(call, &response)?;
        let types: Vec<IssueTypeStatuses> =
            parse_json_strict(call, &response, "the project's statuses")?;
        Ok(Some(types))
    }
}

/// Every status of `types` once, in first-seen order: the statuses a project's issues can be in.
pub fn distinct_statuses(types: &[IssueTypeStatuses]) -> Vec<&JiraStatus> {
    let mut seen: Vec<&JiraStatus> = Vec::new();
    for status in types.iter().flat_map(|issue_type| &issue_type.statuses) {
        if !seen.iter().any(|known| known.id == status.id) {
            seen.push(status);
        }
    }
    seen
}
