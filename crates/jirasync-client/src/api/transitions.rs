//! An issue's workflow transitions: the ones available now (`GET …/issue/{key}/transitions`)
//! and performing one (`POST …/issue/{key}/transitions`).
//!
//! Which transitions exist depends on the issue's current status, its workflow and the user's
//! permissions, so outbound status sync asks each time and picks the transition whose target
//! status (`to.id`) is the one wanted (reference-behaviour §4.5).

use serde::{Deserialize, Serialize};

use super::references::issue_segment;
use super::string_or_number;
use crate::client::JiraClient;
use crate::error::{Error, InputError};
use crate::response::{check_status, parse_json_strict};

/// A transition available on an issue now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transition {
    /// The transition id (`31`): what [`JiraClient::transition_issue`] takes.
    pub id: String,
    /// Its name, such as `Resolve Issue`.
    pub name: String,
    /// The status the issue reaches through it.
    pub to: TransitionTarget,
}

/// The status a transition leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransitionTarget {
    /// The status id (`5`).
    pub id: String,
    /// The status name (`Resolved`).
    pub name: String,
    /// The status category key (`new`, `indeterminate`, `done`), when Jira sent it.
    pub status_category_key: Option<String>,
}

#[derive(Deserialize)]
struct TransitionsWire {
    transitions: Vec<TransitionWire>,
}

#[derive(Deserialize)]
struct TransitionWire {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    name: String,
    to: TargetWire,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetWire {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status_category: Option<CategoryWire>,
}

#[derive(Deserialize)]
struct CategoryWire {
    key: String,
}

#[derive(Serialize)]
struct TransitionBody<'a> {
    transition: TransitionRef<'a>,
}

#[derive(Serialize)]
struct TransitionRef<'a> {
    id: &'a str,
}

impl JiraClient {
    /// `GET /rest/api/2/issue/{key}/transitions`: the transitions the user can perform on the
    /// issue now, each with its target status. Retried like every `GET`.
    ///
    /// # Errors
    ///
    /// [`InputError::IssueReference`] before any request; 404 `Issue Does Not Exist` and other
    /// refusals as [`Error::Api`]; an answer without `transitions`, or a transition without `id`,
    /// `name` or `to.id`, as [`Error::UnexpectedBody`] with the member's path.
    pub async fn transitions(&self, key: &str) -> Result<Vec<Transition>, Error> {
        let path = format!("/rest/api/2/issue/{}/transitions", issue_segment(key)?);
        let (call, response) = self.get(&path, &[]).await?;
        check_status(call, &response)?;
        let wire: TransitionsWire = parse_json_strict(call, &response, "the transitions")?;
        Ok(wire
            .transitions
            .into_iter()
            .map(|transition| Transition {
                id: transition.id,
                name: transition.name,
                to: TransitionTarget {
                    id: transition.to.id,
                    name: transition.to.name,
                    status_category_key: transition.to.status_category.map(|category| category.key),
                },
            })
            .collect())
    }

    /// `POST /rest/api/2/issue/{key}/transitions` with `{"transition":{"id":"31"}}`: moves the
    /// issue through a transition. Jira answers 204. Sent once.
    ///
    /// # Errors
    ///
    /// [`InputError`] for a bad key or a transition id that is not a number, before any request.
    /// A transition not available from the issue's status now is Jira's 400 ([`Error::Api`]:
    /// `It seems that you have tried to perform a workflow operation (…) that is not valid for
    /// the current state of this issue (…)`); a transition screen's required field is 400 with
    /// `errors`; 404 `Issue Does Not Exist`.
    pub async fn transition_issue(&self, key: &str, transition_id: &str) -> Result<(), Error> {
        let path = format!("/rest/api/2/issue/{}/transitions", issue_segment(key)?);
        if transition_id.trim().is_empty() {
            return Err(InputError::Empty {
                what: "transition id",
            }
            .into());
        }
        if !transition_id.bytes().all(|byte| byte.is_ascii_digit()) || transition_id.len() > 19 {
            return Err(InputError::TransitionId {
                value: transition_id.to_owned(),
            }
            .into());
        }
        let body = TransitionBody {
            transition: TransitionRef { id: transition_id },
        };
        self.send_json_change("POST", &path, &body).await.map(drop)
    }
}
