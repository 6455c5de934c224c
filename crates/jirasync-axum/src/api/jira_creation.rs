//! Creating a Jira issue from an application issue and linking the two
//! (`POST …/issues/{issue}/jira-issues`, `docs/outbound.md`). Synchronous: creating is not
//! idempotent, so it is not retried behind the caller's back, and the caller gets the new key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::outbound::JiraWriteError;
use jirasync_domain::rules::jira_creation::{
    JiraCreationError, JiraIssueDraft, create_and_link_jira_issue, validate_draft,
};
use jirasync_domain::rules::organization_links::{LinkChoiceError, choose_link};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::ApiState;
use super::errors::{link_choice_refusal, link_refusal};
use super::issues::issue_ids;
use super::organizations::Body;
use super::wire::ErrorBody;
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// The Jira issue to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateJiraIssueBody {
    /// jirasync's id of the integration; may be left out when the organization has one.
    #[serde(default)]
    integration: Option<u64>,
    /// The Jira project's key (`SHOP`) or numeric id.
    #[schema(example = "SHOP")]
    project: String,
    /// The issue type's name (`Bug`, ignoring case) or id (`10004`).
    #[schema(example = "Bug")]
    issue_type: String,
    /// One line, at most 255 characters.
    summary: String,
    /// The description, if any.
    #[serde(default)]
    description: Option<String>,
    /// Other Jira fields by id, sent as given (`{"customfield_10200": {"value": "High"}}`);
    /// must not repeat project, issuetype, summary or description.
    #[serde(default)]
    #[schema(value_type = Object)]
    fields: Map<String, Value>,
}

/// The Jira issue created, and whether the application issue is linked to it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedJiraIssueBody {
    /// The new issue's key.
    #[schema(example = "SHOP-7")]
    key: String,
    /// The new issue's id.
    #[schema(example = "10007")]
    id: String,
    /// Whether the application issue is linked to it; `false` only when linking failed after
    /// Jira created the issue (`link_error` says why: link it with `PUT …/jira-links/{key}`).
    linked: bool,
    /// Why the link failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    link_error: Option<String>,
}

/// Creates an issue in Jira (with the organization's credentials) from the application issue,
/// and links the two (an `issue.linked` event follows). Jira's create screen is read first:
/// every required field without a default that the request lacks is named, and nothing is
/// created.
#[utoipa::path(
    post, path = "/api/v1/organizations/{org}/issues/{issue}/jira-issues", tag = "outbound",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
    ),
    request_body = CreateJiraIssueBody,
    responses(
        (status = 201, description = "Created in Jira; linked unless `linked` is false (then `link_error` says why)", body = CreatedJiraIssueBody),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 403, description = "Jira refused the organization's Jira user (HTTP 401 or 403 from Jira: Create Issues permission, revoked token); Jira's words", body = ErrorBody),
        (status = 404, description = "No such organization, issue or link to the integration", body = ErrorBody),
        (status = 409, description = "The organization has no Jira integration, or no credentials for it", body = ErrorBody),
        (status = 422, description = "A member breaks a rule, required fields are missing (named), an unknown project or issue type, several integrations and none named, or Jira refused the fields (its errors and errorMessages)", body = ErrorBody),
        (status = 502, description = "Jira's answer to the create could not be read: the issue may exist", body = ErrorBody),
        (status = 503, description = "Jira could not be reached: nothing was linked (when creating, the issue may exist)", body = ErrorBody),
    )
)]
pub(super) async fn create_jira_issue(
    State(state): State<ApiState>,
    Path((org, issue)): Path<(String, String)>,
    AdminJson(body): Body<CreateJiraIssueBody>,
) -> Result<(StatusCode, Json<CreatedJiraIssueBody>), ApiError> {
    let (org, organization_id, issue_id) = issue_ids(&state, org, issue).await?;
    let draft = JiraIssueDraft {
        project: body.project,
        issue_type: body.issue_type,
        summary: body.summary,
        description: body.description,
        fields: body.fields,
    };
    validate_draft(&draft).map_err(creation_refusal)?;
    let Some(jira) = &state.jira else {
        return Err(ApiError::unavailable(
            "this service calls no Jira (its API has no Jira writer: ApiState::with_jira_check); \
             nothing was created",
        ));
    };
    let wanted = body.integration.map(IntegrationId::new);
    let (integration, _) = choose_link(state.store.as_ref(), organization_id, org.as_str(), wanted)
        .await
        .map_err(|error| match error {
            LinkChoiceError::Ambiguous { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{error}: add \"integration\": ID to the body"),
            ),
            other => link_choice_refusal(other),
        })?;
    let created = create_and_link_jira_issue(
        state.store.as_ref(),
        state.host.as_ref(),
        jira.as_ref(),
        organization_id,
        &integration,
        issue_id,
        &draft,
    )
    .await
    .map_err(creation_refusal)?;
    let key = created.issue.key.to_string();
    let link_error = match created.link {
        Ok(_) => None,
        Err(error) => {
            let detail = link_refusal(error).detail().to_owned();
            tracing::warn!(key, %detail, "created-jira-issue-not-linked");
            Some(format!(
                "Jira created {key} but it could not be linked: {detail}; link it with PUT \
                 …/jira-links/{key}"
            ))
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedJiraIssueBody {
            key,
            id: created.issue.id,
            linked: link_error.is_none(),
            link_error,
        }),
    ))
}

/// 422 for a request Jira cannot take (a member at fault, missing fields, an unknown project or
/// issue type, Jira's refusal of the fields); Jira's failures by kind: unreachable 503, a
/// permission refusal 403, no credentials 409, an unreadable answer to the create 502.
#[allow(clippy::needless_pass_by_value, reason = "a `map_err` adapter")]
fn creation_refusal(error: JiraCreationError) -> ApiError {
    let detail = error.to_string();
    match error {
        JiraCreationError::Invalid { .. } | JiraCreationError::MissingFields { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
        }
        JiraCreationError::Issue(error) => link_refusal(error),
        JiraCreationError::CreateMeta { source, .. } => jira_refusal(&source, detail, false),
        JiraCreationError::Create { source } => jira_refusal(&source, detail, true),
        other => {
            tracing::error!(error = %other, "jira-creation-error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: see the service log",
            )
        }
    }
}

/// The status of a Jira failure while creating (`creating`: the create request itself, whose
/// unreadable answer may hide a created issue).
fn jira_refusal(error: &JiraWriteError, detail: String, creating: bool) -> ApiError {
    match error {
        JiraWriteError::Transient { .. } => ApiError::unavailable(detail),
        JiraWriteError::Permanent {
            status: Some(401 | 403),
            ..
        } => ApiError::forbidden(detail),
        JiraWriteError::Permanent { status: None, .. } if creating => {
            ApiError::new(StatusCode::BAD_GATEWAY, detail)
        }
        JiraWriteError::NoCredentials { .. } => ApiError::conflict(detail),
        _ => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiras_failures_map_to_a_status_by_kind() {
        let status = |error: JiraWriteError, creating: bool| {
            jira_refusal(&error, String::new(), creating).status()
        };
        assert_eq!(
            status(JiraWriteError::transient("connection refused"), true),
            StatusCode::SERVICE_UNAVAILABLE
        );
        for jira in [401, 403] {
            assert_eq!(
                status(JiraWriteError::permanent(Some(jira), "no"), false),
                StatusCode::FORBIDDEN
            );
        }
        assert_eq!(
            status(JiraWriteError::permanent(Some(400), "errors"), true),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        // An unreadable answer to the create may hide a created issue; before it, nothing was.
        assert_eq!(
            status(JiraWriteError::permanent(None, "unreadable"), true),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            status(JiraWriteError::permanent(None, "no such project"), false),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status(
                JiraWriteError::NoCredentials {
                    integration_id: IntegrationId::new(1)
                },
                false
            ),
            StatusCode::CONFLICT
        );
    }
}
