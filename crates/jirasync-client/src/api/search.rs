//! `GET /rest/api/2/search`: a JQL search, one page at a time, reading each issue's assignee,
//! status and last update (what reconciling with Jira needs).
//!
//! The answer is read strictly: a page without `startAt`, `maxResults`, `total` or `issues`, an
//! issue without `id`, `key`, `fields.status` or a readable `fields.updated` is refused with the
//! path of the member that is wrong ([`Error::UnexpectedBody`]), never skipped: a reconcile that
//! silently dropped an issue would report "nothing to do" for it.

use serde::Deserialize;
use time::OffsetDateTime;

use super::string_or_number;
use crate::client::JiraClient;
use crate::error::Error;
use crate::response::{Call, check_status, parse_json_strict, unexpected_body};
use crate::{JiraStatus, JiraUser};

const SEARCH_PATH: &str = "/rest/api/2/search";

/// The fields every search asks for: what an issue's snapshot needs, nothing more.
pub const SEARCH_FIELDS: &str = "assignee,status,updated";

/// The most issues Jira Server returns in one page unless its administrator raised
/// `jira.search.views.default.max`; a larger `maxResults` is cut to it.
pub const MAX_RESULTS_LIMIT: u32 = 1000;

/// One page of a JQL search.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchPage {
    /// The index of the page's first issue in the whole result.
    pub start_at: u32,
    /// The page size Jira used (it may be smaller than the one asked for).
    pub max_results: u32,
    /// How many issues the whole result has.
    pub total: u32,
    /// The page's issues, in the query's order.
    pub issues: Vec<FoundIssue>,
    /// Jira's `warningMessages` (for example a key in the query that names no issue: the query
    /// is sent with `validateQuery=false`, so such a key is a warning rather than a refusal).
    pub warnings: Vec<String>,
}

impl SearchPage {
    /// Where the next page starts, or `None` when this page is the last one (an empty page is
    /// always the last, so a result that shrinks while it is read cannot loop).
    pub fn next_start(&self) -> Option<u32> {
        let read = u32::try_from(self.issues.len()).ok()?;
        if read == 0 {
            return None;
        }
        let next = self.start_at.checked_add(read)?;
        (next < self.total).then_some(next)
    }
}

/// An issue as a search found it: its identity, assignee, status and last update.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FoundIssue {
    /// The issue id (`10001`).
    pub id: String,
    /// The issue key (`APP-1`).
    pub key: String,
    /// The assignee; `None` when the issue is unassigned.
    pub assignee: Option<JiraUser>,
    /// The status, with its category.
    pub status: JiraStatus,
    /// When the issue last changed (`fields.updated`).
    pub updated: OffsetDateTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage {
    start_at: u32,
    max_results: u32,
    total: u32,
    issues: Vec<RawIssue>,
    #[serde(default)]
    warning_messages: Vec<String>,
}

#[derive(Deserialize)]
struct RawIssue {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    key: String,
    fields: RawFields,
}

#[derive(Deserialize)]
struct RawFields {
    #[serde(default)]
    assignee: Option<JiraUser>,
    status: JiraStatus,
    updated: String,
}

impl JiraClient {
    /// `GET /rest/api/2/search?jql=…&startAt=…&maxResults=…&fields=assignee,status,updated`:
    /// one page of the issues `jql` finds. Retried like every `GET`, each attempt signed anew.
    ///
    /// `max_results` above [`MAX_RESULTS_LIMIT`] is sent as that limit.
    ///
    /// # Errors
    ///
    /// Jira's refusal of the query ([`Error::Api`] with its `errorMessages`, such as a JQL syntax
    /// error), an OAuth refusal, an HTML page, or an answer that is not a search result
    /// ([`Error::UnexpectedBody`] naming the member that is wrong).
    pub async fn search_issues(
        &self,
        jql: &str,
        start_at: u32,
        max_results: u32,
    ) -> Result<SearchPage, Error> {
        let start_at = start_at.to_string();
        let max_results = max_results.clamp(1, MAX_RESULTS_LIMIT).to_string();
        let (call, response) = self
            .get(
                SEARCH_PATH,
                &[
                    ("jql", jql),
                    ("startAt", &start_at),
                    ("maxResults", &max_results),
                    ("fields", SEARCH_FIELDS),
                    ("validateQuery", "false"),
                ],
            )
            .await?;
        check_status(call, &response)?;
        let raw = parse_json_strict(call, &response, "a search result")?;
        to_page(call, raw)
    }
}

fn to_page(call: Call<'_>, raw: RawPage) -> Result<SearchPage, Error> {
    let unexpected = |reason: String| unexpected_body(call, reason);
    let mut issues = Vec::with_capacity(raw.issues.len());
    for (index, issue) in raw.issues.into_iter().enumerate() {
        let updated =
            jirasync_core::parse_jira_datetime(&issue.fields.updated).ok_or_else(|| {
                unexpected(format!(
                    "at issues[{index}].fields.updated: {:?} is not a date-time as Jira writes it \
                 (such as 2026-06-01T10:05:00.000+0000)",
                    issue.fields.updated
                ))
            })?;
        if issue.key.trim().is_empty() {
            return Err(unexpected(format!(
                "at issues[{index}].key: the key is empty"
            )));
        }
        issues.push(FoundIssue {
            id: issue.id,
            key: issue.key,
            assignee: issue.fields.assignee,
            status: issue.fields.status,
            updated,
        });
    }
    Ok(SearchPage {
        start_at: raw.start_at,
        max_results: raw.max_results,
        total: raw.total,
        issues,
        warnings: raw.warning_messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: Call<'static> = Call {
        method: "GET",
        path: SEARCH_PATH,
    };

    fn page(start_at: u32, issues: usize, total: u32) -> SearchPage {
        let raw: RawPage = serde_json::from_str(
            r#"{"startAt":0,"maxResults":1,"total":1,"issues":[{"id":"1","key":"A-1","fields":
                {"assignee":null,"status":{"id":"1","name":"Open"},"updated":"2026-06-01T10:00:00.000+0000"}}]}"#,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let issue = to_page(CALL, raw)
            .unwrap_or_else(|error| panic!("{error}"))
            .issues;
        SearchPage {
            start_at,
            max_results: 50,
            total,
            issues: issue.iter().cycle().take(issues).cloned().collect(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn next_start_follows_the_issues_read_not_the_page_size() {
        assert_eq!(page(0, 2, 5).next_start(), Some(2));
        assert_eq!(page(2, 2, 5).next_start(), Some(4));
        assert_eq!(page(4, 1, 5).next_start(), None);
        assert_eq!(page(0, 0, 5).next_start(), None);
    }
}
