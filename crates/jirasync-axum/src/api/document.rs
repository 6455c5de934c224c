//! The host API's OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes
//! and the bodies' `ToSchema` derives, and served at `GET /api/v1/openapi.json` without the
//! token (it holds nothing secret, and a client generator or contract tester needs it before it
//! has a token).

use axum::Json;
use axum::extract::State;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::ApiState;
use super::wire::ErrorBody;
use super::{config, issues, jira_creation, organizations, outbound, people, status};

/// The `admin_token` bearer scheme every route but the document's requires.
#[derive(Debug)]
struct AdminTokenScheme;

impl Modify for AdminTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The host API's OpenAPI document. [`api_document`] gives it; merge another module's with
/// `api_document().merge_from(Other::openapi())`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "jirasync host API",
        description = "The application's data (organizations, users, teams, projects, issues), \
                       its links to Jira issues and its sync configuration, by the application's \
                       own ids. See docs/api.md.",
    ),
    paths(
        serve_document,
        organizations::upsert_organizations,
        organizations::read_organization,
        organizations::delete_organization,
        organizations::list_members,
        organizations::add_members,
        organizations::remove_member,
        people::upsert_users,
        people::read_user,
        people::delete_user,
        people::upsert_teams,
        people::read_team,
        people::delete_team,
        issues::upsert_projects,
        issues::read_project,
        issues::delete_project,
        issues::upsert_issues,
        issues::read_issue,
        issues::delete_issue,
        issues::link_issue,
        issues::unlink_issue,
        outbound::assign_issue,
        config::list_integrations,
        config::read_config,
        config::replace_config,
        config::patch_config,
        status::set_issue_status,
        status::list_status_mappings,
        status::put_status_mapping,
        status::delete_status_mapping,
        outbound::comment_issue,
        jira_creation::create_jira_issue,
    ),
    components(schemas(ErrorBody)),
    modifiers(&AdminTokenScheme),
    security(("admin_token" = [])),
)]
pub struct ApiDoc;

/// The host API's OpenAPI document (version 3.1), as `GET /api/v1/openapi.json` serves it.
pub fn api_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This OpenAPI document (no token needed).
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "document",
    security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")),
)]
pub(super) async fn serve_document(
    State(state): State<ApiState>,
) -> Json<utoipa::openapi::OpenApi> {
    Json(state.document.as_ref().clone())
}
