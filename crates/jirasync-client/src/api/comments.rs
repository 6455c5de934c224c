//! `POST /rest/api/2/issue/{key}/comment`: adds a comment to an issue.

use serde::{Deserialize, Serialize};

use super::references::issue_segment;
use super::string_or_number;
use crate::client::JiraClient;
use crate::error::{Error, InputError};
use crate::response::parse_json_strict;

/// A comment on a Jira issue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JiraComment {
    /// The comment id (`10100`).
    pub id: String,
    /// The text, in Jira's wiki markup.
    pub body: String,
    /// The user name of its author.
    pub author_name: Option<String>,
    /// When it was written, as Jira writes it (`2026-06-01T10:05:00.000+0000`).
    pub created: Option<String>,
}

#[derive(Deserialize)]
struct CommentWire {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    body: String,
    #[serde(default)]
    author: Option<AuthorWire>,
    #[serde(default)]
    created: Option<String>,
}

#[derive(Deserialize)]
struct AuthorWire {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

impl JiraClient {
    /// `POST /rest/api/2/issue/{key}/comment` with `{"body":"…"}`: adds a comment written by the
    /// user the credentials act as. Jira answers 201 with the comment. Sent once.
    ///
    /// # Errors
    ///
    /// [`InputError`] for a bad key or an empty body, before any request; Jira's refusals as
    /// [`Error::Api`] (404 `Issue Does Not Exist`, 403 without the Add Comments permission, 400
    /// `errors.comment`); an answer that is not a comment as [`Error::UnexpectedBody`] (the
    /// comment may have been added: do not repeat the call blindly).
    pub async fn add_comment(&self, key: &str, body: &str) -> Result<JiraComment, Error> {
        let path = format!("/rest/api/2/issue/{}/comment", issue_segment(key)?);
        if body.trim().is_empty() {
            return Err(InputError::Empty {
                what: "comment body",
            }
            .into());
        }
        let (call, response) = self
            .send_json_change("POST", &path, &CommentBody { body })
            .await?;
        let wire: CommentWire = parse_json_strict(call, &response, "the comment")?;
        Ok(JiraComment {
            id: wire.id,
            body: wire.body,
            author_name: wire.author.and_then(|author| author.name),
            created: wire.created,
        })
    }
}
