//! Changes the application makes to its issues that jirasync carries to Jira (outbound sync,
//! `docs/outbound.md`): each route changes the issue and records the outbound work for its
//! linked Jira issues in one transaction, then wakes the outbox worker.

use axum::Json;
use axum::extract::{Path, State};
use jirasync_domain::app_data::{AppAssignee, AppId, validate_app_id};
use jirasync_domain::rules::outbound::{AppChangeOutcome, assign_app_issue, comment_app_issue};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::ApiState;
use super::errors::{batch_refusal, path_app_id};
use super::organizations::{Body, organization_id};
use super::wire::{AssigneeBody, ErrorBody};
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// The new assignee of an issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignBody {
    /// `{"user": "u-1"}`, `{"team": "t-1"}`, or `null` to unassign. Required: leaving it out
    /// is refused, so an empty body never unassigns by accident.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<AssigneeBody>)]
    assignee: Option<Option<AssigneeBody>>,
}

/// A member that is present (`null` included) becomes `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What an assignment did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeResult {
    /// Whether the issue changed; `false`: it already was so, and nothing is sent to Jira.
    changed: bool,
    /// How many Jira issues the change is being sent to (linked through an integration whose
    /// `sync_forward_assignment` is on); `jirasync outbox list` shows how each went.
    outbound: usize,
}

impl From<AppChangeOutcome> for ChangeResult {
    fn from(outcome: AppChangeOutcome) -> Self {
        Self {
            changed: outcome.changed,
            outbound: outcome.outbound,
        }
    }
}

/// Assigns or unassigns an issue, and sends the change to every linked Jira issue whose
/// organization syncs assignees outbound (`sync_forward_assignment`). A team is set here only:
/// Jira assigns users.
#[utoipa::path(
    post, path = "/api/v1/organizations/{org}/issues/{issue}/assign", tag = "outbound",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
    ),
    request_body = AssignBody,
    responses(
        (status = 200, description = "Assigned (or already so): whether it changed, how many Jira issues it is sent to", body = ChangeResult),
        (status = 400, description = "Not JSON of this shape (the assignee left out included)", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or issue", body = ErrorBody),
        (status = 409, description = "The user is not a member, the team does not exist, or the issue changed meanwhile", body = ErrorBody),
        (status = 422, description = "An id breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn assign_issue(
    State(state): State<ApiState>,
    Path((org, issue)): Path<(String, String)>,
    AdminJson(body): Body<AssignBody>,
) -> Result<Json<ChangeResult>, ApiError> {
    let org = organization_id(org)?;
    let issue = path_app_id("issue", issue)?;
    let Some(assignee) = body.assignee else {
        return Err(ApiError::bad_request(
            "assignee: missing; give {\"user\": ID}, {\"team\": ID}, or null to unassign",
        ));
    };
    let assignee = match assignee {
        Some(AssigneeBody::User(user)) => {
            let user = AppId::new(user);
            validate_app_id("assignee.user", &user).map_err(batch_refusal)?;
            Some(AppAssignee::User(user))
        }
        Some(AssigneeBody::Team(team)) => {
            let team = AppId::new(team);
            validate_app_id("assignee.team", &team).map_err(batch_refusal)?;
            Some(AppAssignee::Team(team))
        }
        None => None,
    };
    let outcome = assign_app_issue(
        state.data.as_ref(),
        state.store.as_ref(),
        &org,
        &issue,
        assignee,
        state.now(),
    )
    .await?;
    state.woken_after(outcome.outbound);
    Ok(Json(ChangeResult::from(outcome)))
}

/// A comment the application adds to one of its issues.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentBody {
    /// The application id of the user who wrote it, shown to Jira readers (`alice wrote:`);
    /// left out: the comment is the application's (`The application wrote:`).
    #[serde(default)]
    author: Option<String>,
    /// The text (Jira wiki markup), not empty, at most 32,000 characters.
    body: String,
}

/// How many Jira issues a comment is sent to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OutboundCount {
    /// How many Jira issues the comment is being posted to (linked through an integration
    /// whose `sync_comments` is on); `jirasync outbox list` shows how each went.
    outbound: usize,
}

/// Posts a comment to every Jira issue the application issue is linked to, in the
/// organizations with `sync_comments` on, quoted under its author's name. The application keeps
/// its comments itself: nothing but the outbound work is stored.
#[utoipa::path(
    post, path = "/api/v1/organizations/{org}/issues/{issue}/comments", tag = "outbound",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
    ),
    request_body = CommentBody,
    responses(
        (status = 200, description = "Recorded: how many Jira issues it is posted to", body = OutboundCount),
        (status = 400, description = "Not JSON of this shape, or the body empty or too long", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or issue", body = ErrorBody),
        (status = 409, description = "No such author", body = ErrorBody),
        (status = 422, description = "The author's id breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn comment_issue(
    State(state): State<ApiState>,
    Path((org, issue)): Path<(String, String)>,
    AdminJson(body): Body<CommentBody>,
) -> Result<Json<OutboundCount>, ApiError> {
    let org = organization_id(org)?;
    let issue = path_app_id("issue", issue)?;
    let author = body.author.map(AppId::new);
    if let Some(author) = &author {
        validate_app_id("author", author).map_err(batch_refusal)?;
    }
    let outbound = comment_app_issue(
        state.data.as_ref(),
        state.store.as_ref(),
        &org,
        &issue,
        author.as_ref(),
        &body.body,
        state.now(),
    )
    .await?;
    state.woken_after(outbound);
    Ok(Json(OutboundCount { outbound }))
}
