//! `GET /rest/api/2/user` (by user name or user key) and `GET /rest/api/2/myself`.

use serde::Deserialize;

use crate::client::JiraClient;
use crate::error::Error;
use crate::response::{check_status, parse_json};

const USER_PATH: &str = "/rest/api/2/user";
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

    async fn find_user(&self, query: &[(&str, &str)]) -> Result<Option<JiraUser>, Error> {
        let (call, response) = self.get(USER_PATH, query).await?;
        if response.status == 404 {
            return Ok(None);
        }
        check_status(call, &response)?;
        parse_json(call, &response).map(Some)
    }
}
