//! `GET /rest/api/2/user` (by user name or user key), the user searches
//! (`GET /rest/api/2/user/search`, `GET /rest/api/2/user/assignable/search`) and
//! `GET /rest/api/2/myself`.

use serde::Deserialize;

use super::references::check_issue_reference;
use crate::client::JiraClient;
use crate::error::Error;
use crate::error::InputError;
use crate::response::{check_status, parse_json, parse_json_strict};

const USER_PATH: &str = "/rest/api/2/user";
const USER_SEARCH_PATH: &str = "/rest/api/2/user/search";
const ASSIGNABLE_SEARCH_PATH: &str = "/rest/api/2/user/assignable/search";

/// The most users a user search returns: Jira Server caps `maxResults` at 1000.
pub const MAX_USER_RESULTS: u32 = 1000;
const MYSELF_PATH: &str = "/rest/api/2/myself";

/// A Jira Server / Data Center user. Jira hides `emailAddress` when its privacy settings say so.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JiraUser {
    /// The user key: stable across renames (`JIRAUSER10100` or, on old instances, the first name).
    #[serde(default)]
    pub key: Option<String>,
    /// The user name used to log in.
    #[serde(default)]
    pub name: Option<String>,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The e-mail address, when visible.
    #[serde(default)]
    pub email_address: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
    /// The user's time zone.
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl JiraClient {
    /// `GET /rest/api/2/user?username=…`; `None` when Jira has no such user.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<JiraUser>, Error> {
        self.find_user(&[("username", username)]).await
    }

    /// `GET /rest/api/2/user?key=…`; `None` when Jira has no such user.
    pub async fn user_by_key(&self, key: &str) -> Result<Option<JiraUser>, Error> {
        self.find_user(&[("key", key)]).await
    }

    /// `GET /rest/api/2/myself`: the user the credentials act as.
    pub async fn myself(&self) -> Result<JiraUser, Error> {
        self.get_json(MYSELF_PATH, &[]).await
    }

    /// `GET /rest/api/2/user/search?username=…&maxResults=…`: active users whose user name,
    /// display name or e-mail address starts with `query` (Jira Server matches each word of those,
    /// case-insensitively). `max_results` is kept within 1 and [`MAX_USER_RESULTS`].
    ///
    /// An e-mail address hidden by Jira's "User email visibility" setting is not matched and not
    /// returned: looking a user up by e-mail then finds nobody, and the caller falls back on
    /// another way (an external actor, the user name). Jira returns prefix matches, so the caller
    /// checks for an exact, unique match itself. Retried like every `GET`.
    ///
    /// # Errors
    ///
    /// [`InputError::Empty`] for an empty query, before any request; Jira's refusals as
    /// [`Error::Api`]; an answer that is not a list of users as [`Error::UnexpectedBody`] with the
    /// member's path.
    pub async fn search_users(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<Vec<JiraUser>, Error> {
        self.user_list(USER_SEARCH_PATH, &[], query, max_results)
            .await
    }

    /// `GET /rest/api/2/user/assignable/search?issueKey=…&username=…&maxResults=…`: like
    /// [`search_users`](Self::search_users), but only users who may be assigned `issue_key` (what
    /// the reference's outbound assignee looks up, reference-behaviour §4.5).
    ///
    /// # Errors
    ///
    /// As [`search_users`](Self::search_users), and [`InputError::IssueReference`] for a bad key.
    pub async fn assignable_users(
        &self,
        issue_key: &str,
        query: &str,
        max_results: u32,
    ) -> Result<Vec<JiraUser>, Error> {
        check_issue_reference(issue_key)?;
        self.user_list(
            ASSIGNABLE_SEARCH_PATH,
            &[("issueKey", issue_key)],
            query,
            max_results,
        )
        .await
    }

    /// A user search at `path`: `scope` then `username` and `maxResults` in the query.
    async fn user_list(
        &self,
        path: &str,
        scope: &[(&str, &str)],
        username: &str,
        max_results: u32,
    ) -> Result<Vec<JiraUser>, Error> {
        if username.trim().is_empty() {
            return Err(InputError::Empty {
                what: "user search query",
            }
            .into());
        }
        let max_results = max_results.clamp(1, MAX_USER_RESULTS).to_string();
        let mut query = scope.to_vec();
        query.extend([("username", username), ("maxResults", max_results.as_str())]);
        let (call, response) = self.get(path, &query).await?;
        check_status(call, &response)?;
        parse_json_strict(call, &response, "a list of users")
    }

    async fn find_user(&self, query: &[(&str, &str)]) -> Result<Option<JiraUser>, Error> {
        let (call, response) = self.get(USER_PATH, query).await?;
        if response.status == 404 {
            return Ok(None);
        }
        check_status(call, &response)?;
        parse_json(call, &response).map(Some)
    }
}
