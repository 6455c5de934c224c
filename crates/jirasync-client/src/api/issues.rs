//! One issue: read it (`GET /rest/api/2/issue/{key}`), create one (`POST /rest/api/2/issue`) and
//! set its assignee (`PUT /rest/api/2/issue/{key}/assignee`).
//!
//! Keys and ids are checked ([`check_issue_reference`]) before any
//! request. Changes are sent once, never retried here: the caller (the outbox) decides, from
//! [`Error::is_permanent`], whether to try again with a freshly signed request.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::references::{check_issue_reference, issue_segment};
use super::string_or_number;
use crate::client::JiraClient;
use crate::error::{Error, InputError};
use crate::response::{Call, check_status, parse_json_strict, reject_html, unexpected_body};
use crate::{JiraStatus, JiraUser};

const ISSUE_PATH: &str = "/rest/api/2/issue";

/// Who an issue is assigned to by [`JiraClient::assign_issue`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Assignment {
    /// The user with this user name (`{"name":"jdoe"}`). Jira refuses (400, `errors.assignee`) a
    /// user who does not exist or lacks the Assignable User permission in the project.
    User(String),
    /// Nobody (`{"name":null}`). Jira refuses it (400) when the instance does not allow
    /// unassigned issues.
    Unassigned,
    /// The project's default assignee, or the component lead (`{"name":"-1"}`), as Jira's
    /// "Automatic" choice.
    Automatic,
}

impl Assignment {
    /// The `name` Jira is sent.
    fn wire_name(&self) -> Result<Option<&str>, InputError> {
        match self {
            Self::User(name) if name.trim().is_empty() => {
                Err(InputError::Empty { what: "user name" })
            }
            Self::User(name) if name == "-1" => Err(InputError::AutomaticAsUserName),
            Self::User(name) => Ok(Some(name)),
            Self::Unassigned => Ok(None),
            Self::Automatic => Ok(Some("-1")),
        }
    }
}

#[derive(Serialize)]
struct AssigneeBody<'a> {
    name: Option<&'a str>,
}

/// An issue as `GET /rest/api/2/issue/{key}` returned it: identity, the fields asked for, and
/// typed views of the ones the sync reads (assignee, status, project, summary).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JiraIssue {
    /// The issue id (`10001`), a string even when Jira sent a number.
    pub id: String,
    /// The issue key (`APP-1`).
    pub key: String,
    /// Every field Jira returned, as sent.
    pub fields: Map<String, Value>,
    assignee: Option<JiraUser>,
    status: Option<JiraStatus>,
    project: Option<IssueProject>,
    summary: Option<String>,
}

impl JiraIssue {
    /// The assignee; `None` when unassigned or when `assignee` was not asked for.
    pub fn assignee(&self) -> Option<&JiraUser> {
        self.assignee.as_ref()
    }

    /// The assignee's user name.
    pub fn assignee_name(&self) -> Option<&str> {
        self.assignee.as_ref().and_then(|user| user.name.as_deref())
    }

    /// The status, when `status` was asked for.
    pub fn status(&self) -> Option<&JiraStatus> {
        self.status.as_ref()
    }

    /// The status id (`3`).
    pub fn status_id(&self) -> Option<&str> {
        self.status.as_ref().map(|status| status.id.as_str())
    }

    /// The status category key: `new`, `indeterminate` or `done`.
    pub fn status_category_key(&self) -> Option<&str> {
        self.status
            .as_ref()
            .and_then(|status| status.status_category.as_ref())
            .map(|category| category.key.as_str())
    }

    /// The project, when `project` was asked for.
    pub fn project(&self) -> Option<&IssueProject> {
        self.project.as_ref()
    }

    /// The project id (`10000`): what a per-project status mapping is keyed by
    /// (reference-behaviour §4.5).
    pub fn project_id(&self) -> Option<&str> {
        self.project.as_ref().map(|project| project.id.as_str())
    }

    /// The project key (`APP`).
    pub fn project_key(&self) -> Option<&str> {
        self.project.as_ref().map(|project| project.key.as_str())
    }

    /// The summary, when `summary` was asked for.
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
}

/// The project of an issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IssueProject {
    /// The project id (`10000`).
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The project key (`APP`).
    pub key: String,
    /// The project name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The issue `POST /rest/api/2/issue` created.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedIssue {
    /// Its id (`10010`).
    pub id: String,
    /// Its key (`APP-24`).
    pub key: String,
    /// Its REST link (`self`), when Jira sent one.
    pub self_link: Option<String>,
}

/// The typed part of an issue answer; every member is checked, with its path on failure.
#[derive(Deserialize)]
struct TypedIssue {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    key: String,
    #[serde(default)]
    fields: TypedFields,
}

#[derive(Default, Deserialize)]
struct TypedFields {
    #[serde(default)]
    assignee: Option<JiraUser>,
    #[serde(default)]
    status: Option<JiraStatus>,
    #[serde(default)]
    project: Option<IssueProject>,
    #[serde(default)]
    summary: Option<String>,
}

#[derive(Deserialize)]
struct IssueFieldsOnly {
    #[serde(default)]
    fields: Map<String, Value>,
}

#[derive(Deserialize)]
struct CreatedWire {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    key: String,
    #[serde(default, rename = "self")]
    self_link: Option<String>,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    fields: &'a Map<String, Value>,
}

/// Refuses an answer's issue key that is not one.
fn check_answered_key(call: Call<'_>, key: &str) -> Result<(), Error> {
    check_issue_reference(key).map_err(|_| {
        unexpected_body(
            call,
            format!("at key: {key:?} is not an issue key (such as APP-123)"),
        )
    })
}

impl JiraClient {
    /// `GET /rest/api/2/issue/{key}?fields=…`: the issue with the fields named (all navigable
    /// fields when `fields` is empty). `Ok(None)` when Jira answers 404 (no such issue, or the
    /// user may not browse it: Jira does not tell the two apart). Retried like every `GET`.
    ///
    /// # Errors
    ///
    /// [`InputError::IssueReference`] before any request; Jira's refusal ([`Error::Api`]), an
    /// OAuth refusal, an HTML page (also for a 404 that is a page, not Jira's JSON: a wrong base
    /// URL), or an answer that is not an issue ([`Error::UnexpectedBody`] with the member's path,
    /// such as `at fields.status.id`).
    pub async fn issue(&self, key: &str, fields: &[&str]) -> Result<Option<JiraIssue>, Error> {
        let path = format!("{ISSUE_PATH}/{}", issue_segment(key)?);
        let field_list = fields.join(",");
        let query: &[(&str, &str)] = if fields.is_empty() {
            &[]
        } else {
            &[("fields", &field_list)]
        };
        let (call, response) = self.get(&path, query).await?;
        if response.status == 404 {
            reject_html(call, &response, "Jira's error JSON")?;
            return Ok(None);
        }
        check_status(call, &response)?;
        let typed: TypedIssue = parse_json_strict(call, &response, "an issue")?;
        check_answered_key(call, &typed.key)?;
        let IssueFieldsOnly { fields } = parse_json_strict(call, &response, "an issue")?;
        Ok(Some(JiraIssue {
            id: typed.id,
            key: typed.key,
            fields,
            assignee: typed.fields.assignee,
            status: typed.fields.status,
            project: typed.fields.project,
            summary: typed.fields.summary,
        }))
    }

    /// `PUT /rest/api/2/issue/{key}/assignee` with `{"name":"jdoe"}`, `{"name":null}`
    /// ([`Assignment::Unassigned`]) or `{"name":"-1"}` ([`Assignment::Automatic`]). Jira answers
    /// 204. Sent once.
    ///
    /// # Errors
    ///
    /// [`InputError`] for a bad key, an empty user name or the user name `-1`, before any
    /// request. Jira's refusals are [`Error::Api`]: 400 with `errors.assignee` (no such user, or
    /// `User 'x' cannot be assigned issues.`), 401/403 without the Assign Issues permission, 404
    /// `Issue Does Not Exist`.
    pub async fn assign_issue(&self, key: &str, assignee: Assignment) -> Result<(), Error> {
        let path = format!("{ISSUE_PATH}/{}/assignee", issue_segment(key)?);
        let body = AssigneeBody {
            name: assignee.wire_name()?,
        };
        self.send_json_change("PUT", &path, &body).await.map(drop)
    }

    /// `POST /rest/api/2/issue` with `{"fields":{…}}`: creates an issue. `fields` must hold at
    /// least `project` (`{"key":"APP"}`), `issuetype` (`{"name":"Bug"}` or `{"id":"1"}`) and
    /// `summary`, plus what [`create_meta`](Self::create_meta) lists as required without a
    /// default. Jira answers 201 with `id`, `key` and `self`. Sent once.
    ///
    /// # Errors
    ///
    /// [`InputError::Empty`] for no fields at all; Jira's refusal is [`Error::Api`] with the
    /// field map, such as 400 `errors.summary` = `You must specify a summary of the issue.`; an
    /// answer without a readable `id` and `key` is [`Error::UnexpectedBody`] (the issue may exist:
    /// do not repeat the call blindly).
    pub async fn create_issue(&self, fields: Map<String, Value>) -> Result<CreatedIssue, Error> {
        if fields.is_empty() {
            return Err(InputError::Empty { what: "fields" }.into());
        }
        let (call, response) = self
            .send_json_change("POST", ISSUE_PATH, &CreateBody { fields: &fields })
            .await?;
        let created: CreatedWire = parse_json_strict(call, &response, "the created issue")?;
        check_answered_key(call, &created.key)?;
        Ok(CreatedIssue {
            id: created.id,
            key: created.key,
            self_link: created.self_link,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_names_as_jira_reads_them() {
        assert_eq!(
            Assignment::User("jdoe".into()).wire_name(),
            Ok(Some("jdoe"))
        );
        assert_eq!(Assignment::Unassigned.wire_name(), Ok(None));
        assert_eq!(Assignment::Automatic.wire_name(), Ok(Some("-1")));
        assert_eq!(
            Assignment::User(" ".into()).wire_name(),
            Err(InputError::Empty { what: "user name" })
        );
        assert_eq!(
            Assignment::User("-1".into()).wire_name(),
            Err(InputError::AutomaticAsUserName)
        );
    }
}
