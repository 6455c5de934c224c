//! A project and its workflow statuses, as Jira Server answers them: `GET /rest/api/2/project/{key}`
//! and `GET /rest/api/2/project/{key}/statuses` (every issue type with the fake's one workflow's
//! statuses), 404 with Jira's words for a project it does not know.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::issues::{ISSUE_TYPES, STATUSES, project_json, project_not_found, status_json};
use super::{Incoming, Inner, Shared, TokenKind, signed_with_body};

/// `GET /rest/api/2/project/{key}`.
async fn project(State(shared): Shared, Path(key): Path<String>, request: Incoming) -> Response {
    signed_with_body(
        &shared,
        &request,
        TokenKind::Access,
        &[],
        |inner, _| match inner.project(&key) {
            Some(project) => axum::Json(project_json(&inner.base_url, project)).into_response(),
            None => project_not_found(&key),
        },
    )
}

/// `GET /rest/api/2/project/{key}/statuses`.
async fn project_statuses(
    State(shared): Shared,
    Path(key): Path<String>,
    request: Incoming,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        if inner.project(&key).is_none() {
            return project_not_found(&key);
        }
        let statuses: Vec<Value> = STATUSES
            .iter()
            .map(|(id, _, _)| status_json(&inner.base_url, id))
            .collect();
        let types: Vec<Value> = ISSUE_TYPES
            .iter()
            .map(|(id, name)| {
                json!({
                    "self": format!("{}/rest/api/2/issuetype/{id}", inner.base_url),
                    "id": id,
                    "name": name,
                    "subtask": false,
                    "statuses": statuses,
                })
            })
            .collect();
        axum::Json(types).into_response()
    })
}

/// The routes of this module, added to the fake's router.
pub(super) fn routes(
    router: axum::Router<Arc<std::sync::Mutex<Inner>>>,
) -> axum::Router<Arc<std::sync::Mutex<Inner>>> {
    use axum::routing::get;
    router
        .route("/rest/api/2/project/{key}", get(project))
        .route("/rest/api/2/project/{key}/statuses", get(project_statuses))
}
