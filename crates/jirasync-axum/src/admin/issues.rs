//! Local issues: linking one to a Jira issue key ([`link_jira_issue`]), unlinking, and reading
//! it with its assignee, status and activities.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jirasync_domain::activity::Activity;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::issue::{ExternalIssue, IssueLink, LocalIssue};
use jirasync_domain::rules::issue_links::{IssueLinkError, link_jira_issue, parse_issue_key};
use jirasync_domain::state::{ActivityRecord, LocalIssueRecord, UserOrTeam};
use serde::{Deserialize, Serialize};

use super::AdminState;
use super::body::AdminJson;
use super::ids::{DOES_NOT_EXIST, WireId, path_id};
use crate::error::ApiError;

/// A user or team on the wire: `{"type": "user", "id": "7"}`.
#[derive(Debug, Serialize)]
struct ActorRefBody {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

impl From<UserOrTeam> for ActorRefBody {
    fn from(actor: UserOrTeam) -> Self {
        match actor {
            UserOrTeam::User(id) => Self {
                kind: "user",
                id: id.to_string(),
            },
            UserOrTeam::Team(id) => Self {
                kind: "team",
                id: id.to_string(),
            },
        }
    }
}

/// A local issue on the wire.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IssueBody {
    id: String,
    project_id: String,
    status: &'static str,
    assignee: Option<ActorRefBody>,
    external_issues: Vec<IssueLinkBody>,
    activities: Vec<ActivityBody>,
}

/// One activity on the wire: `data` holds what the sync recorded.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivityBody {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    data: ActivityDataBody,
    occurred_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivityDataBody {
    provider: String,
    provider_key: String,
    integration_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<ActorRefBody>,
    sync_source: Option<String>,
}

impl From<&Activity> for ActivityBody {
    fn from(activity: &Activity) -> Self {
        let record = ActivityRecord::from(activity);
        Self {
            id: record.id.to_string(),
            kind: record.kind.as_str(),
            data: ActivityDataBody {
                provider: record.provider,
                provider_key: record.provider_key,
                integration_id: record.integration_id.to_string(),
                assignee: record.assignee.map(ActorRefBody::from),
                sync_source: record.sync_source.map(|id| id.to_string()),
            },
            occurred_at: record.occurred_at.map(|at| at.to_string()),
        }
    }
}

impl IssueBody {
    fn new(issue: &LocalIssue, external_issues: &[ExternalIssue], activities: &[Activity]) -> Self {
        let record = LocalIssueRecord::from(issue);
        Self {
            id: record.id.to_string(),
            project_id: record.project_id.to_string(),
            status: record.status.as_str(),
            assignee: record.assignee.map(ActorRefBody::from),
            external_issues: external_issues
                .iter()
                .map(|external| IssueLinkBody::new(external, issue.id))
                .collect(),
            activities: activities.iter().map(ActivityBody::from).collect(),
        }
    }
}

/// A link on the wire.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IssueLinkBody {
    id: String,
    key: String,
    integration_id: String,
    local_issue_id: String,
}

impl IssueLinkBody {
    fn new(external_issue: &ExternalIssue, local_issue_id: LocalIssueId) -> Self {
        Self {
            id: external_issue.id.to_string(),
            key: external_issue.key.as_str().to_owned(),
            integration_id: external_issue.integration_id.to_string(),
            local_issue_id: local_issue_id.to_string(),
        }
    }
}

impl From<&IssueLink> for IssueLinkBody {
    fn from(link: &IssueLink) -> Self {
        Self::new(&link.external_issue, link.local_issue_id)
    }
}

/// The body of a link.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct LinkBody {
    integration_id: WireId,
    key: String,
}

fn link_refusal(error: IssueLinkError) -> ApiError {
    match error {
        IssueLinkError::InvalidKey { .. } => ApiError::bad_request(error.to_string()),
        IssueLinkError::Store(error) => ApiError::from(error),
        IssueLinkError::Host(error) => ApiError::from(error),
        other => {
            tracing::error!(error = %other, "issue-link-error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: see the service log",
            )
        }
    }
}

fn issue_ids(org: &str, issue: &str) -> Result<(OrganizationId, LocalIssueId), ApiError> {
    Ok((path_id(org)?, path_id(issue)?))
}

/// `GET /api/0/organizations/{org}/issues/{local_issue_id}/`; an issue of another organization
/// is 404, and so is every issue when the state has no local issues (the application keeps its
/// issues itself).
pub(super) async fn read_issue(
    State(state): State<AdminState>,
    Path((org, issue)): Path<(String, String)>,
) -> Result<Json<IssueBody>, ApiError> {
    let (organization_id, issue_id) = issue_ids(&org, &issue)?;
    let Some(local_issues) = &state.local_issues else {
        return Err(ApiError::not_found(DOES_NOT_EXIST));
    };
    let issue = local_issues
        .local_issue(issue_id)
        .await?
        .filter(|issue| issue.organization_id == organization_id)
        .ok_or_else(|| ApiError::not_found(DOES_NOT_EXIST))?;
    // Links other organizations made to the same local issue are theirs to see.
    let external_issues: Vec<ExternalIssue> = state
        .store
        .external_issues_of(issue.id)
        .await?
        .into_iter()
        .filter(|external| external.organization_id == organization_id)
        .collect();
    let activities = local_issues.activities(issue.id).await?;
    Ok(Json(IssueBody::new(&issue, &external_issues, &activities)))
}

/// `POST /api/0/organizations/{org}/issues/{local_issue_id}/external-issues/`: 201 linked, 200
/// when the link existed.
pub(super) async fn link_issue(
    State(state): State<AdminState>,
    Path((org, issue)): Path<(String, String)>,
    AdminJson(body): AdminJson<LinkBody>,
) -> Result<Response, ApiError> {
    let (organization_id, issue_id) = issue_ids(&org, &issue)?;
    let link = link_jira_issue(
        state.store.as_ref(),
        state.host.as_ref(),
        organization_id,
        body.integration_id.to(),
        &body.key,
        issue_id,
    )
    .await
    .map_err(link_refusal)?;
    let status = if link.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(IssueLinkBody::from(&link))).into_response())
}

/// The `integrationId` of the query string, required.
fn query_integration(query: Option<&str>) -> Result<IntegrationId, ApiError> {
    let value = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "integrationId")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| {
            ApiError::bad_request(
                "The query parameter integrationId is required, e.g. ?integrationId=1.",
            )
        })?;
    value.parse::<u64>().map(IntegrationId::new).map_err(|_| {
        ApiError::bad_request(format!(
            "The query parameter integrationId must be a number, found {value:?}."
        ))
    })
}

/// `DELETE /api/0/organizations/{org}/issues/{local_issue_id}/external-issues/{key}/?integrationId=N`:
/// 204; 404 when there is no such link.
pub(super) async fn unlink_issue(
    State(state): State<AdminState>,
    Path((org, issue, key)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, ApiError> {
    let (organization_id, issue_id) = issue_ids(&org, &issue)?;
    let integration_id = query_integration(query.as_deref())?;
    let key = parse_issue_key(&key).map_err(link_refusal)?;
    state
        .store
        .unlink_issue(organization_id, integration_id, &key, issue_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
