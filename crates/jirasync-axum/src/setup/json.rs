//! The JSON steps (reference-behaviour §1.4; the shapes are in `docs/setup-api.md`).
//!
//! `{"action":"initialize"}` starts a pipeline (session cookie) and returns its CSRF token; the
//! steps `installation_config` and `oauth_callback` need the cookie and the token in the
//! `X-CSRF-Token` header.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jirasync_domain::SecretString;
use jirasync_domain::integration::JIRA_SERVER_PROVIDER;
use jirasync_service::{Field, FieldErrors, InstallationInput, validate_installation};
use serde_json::{Map, Value, json};

use super::access::AccessRefusal;
use super::flow::{InstallSummary, SetupError, finish_authorization, start_authorization};
use super::pipeline::{Pipeline, PipelineFlow, PipelineId, PipelineStage};
use super::session::{session_id, set_session_cookie};
use super::{SetupGrant, SetupState};

/// The header that carries the pipeline's CSRF token.
pub(super) const CSRF_HEADER: &str = "x-csrf-token";

const INSTALLATION_CONFIG: &str = "installation_config";
const OAUTH_CALLBACK: &str = "oauth_callback";
const TOTAL_STEPS: u8 = 2;

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// `{"status":"error","data":{"detail":…}}`, plus `errors` per field when there are some.
fn error_answer(status: StatusCode, detail: &str, errors: Option<&FieldErrors>) -> Response {
    let mut data = Map::new();
    data.insert("detail".to_owned(), Value::String(detail.to_owned()));
    if let Some(errors) = errors {
        data.insert(
            "errors".to_owned(),
            Value::Object(field_errors_json(errors)),
        );
    }
    answer(status, json!({"status": "error", "data": data}))
}

/// Every refused field with its messages, as `{"<jsonName>": ["message", ...]}`.
fn field_errors_json(errors: &FieldErrors) -> Map<String, Value> {
    let mut map = Map::new();
    for (field, message) in errors.iter() {
        if let Value::Array(messages) = map
            .entry(field.json_name())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            messages.push(Value::String(message.to_owned()));
        }
    }
    map
}

pub(super) fn setup_error(error: &SetupError) -> Response {
    let mut response = error_answer(error.json_status(), &error.to_string(), None);
    error.decorate(&mut response);
    response
}

fn field_errors(errors: &FieldErrors) -> Response {
    error_answer(
        StatusCode::BAD_REQUEST,
        "Some fields are missing or invalid; see errors.",
        Some(errors),
    )
}

/// A string member: `Ok(None)` when absent or null; a field error when of another type.
fn string_member(
    body: &Map<String, Value>,
    field: Field,
    errors: &mut FieldErrors,
) -> Option<String> {
    match body.get(field.json_name()) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(number)) if field == Field::Organization => Some(number.to_string()),
        Some(_) => {
            errors.add(field, "Not a valid string.");
            None
        }
    }
}

/// A boolean member, `default` when absent; a message when of another type.
fn bool_member(body: &Map<String, Value>, name: &str, default: bool) -> Result<bool, String> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(format!("{name} must be true or false.")),
    }
}

/// `POST /extensions/jira-server/setup/api/`: one step of the pipeline.
pub(super) async fn step(
    State(state): State<SetupState>,
    grant: Option<Extension<SetupGrant>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error_answer(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the step as JSON with Content-Type: application/json.",
            None,
        );
    }
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(body)) => body,
        Ok(_) => {
            return error_answer(
                StatusCode::BAD_REQUEST,
                "The body must be a JSON object.",
                None,
            );
        }
        Err(error) => {
            return error_answer(
                StatusCode::BAD_REQUEST,
                &format!("The body is not valid JSON: {error}."),
                None,
            );
        }
    };
    if let Some(action) = body.get("action") {
        return match action.as_str() {
            Some("initialize") => initialize(&state, grant.map(|Extension(grant)| grant)).await,
            _ => error_answer(
                StatusCode::BAD_REQUEST,
                "Unknown action: the only action is \"initialize\".",
                None,
            ),
        };
    }
    let Some(step) = body.get("step").and_then(Value::as_str) else {
        return error_answer(
            StatusCode::BAD_REQUEST,
            "Give either \"action\": \"initialize\" or the \"step\" to advance.",
            None,
        );
    };
    let (id, pipeline) = match authorized_pipeline(&state, &headers).await {
        Ok(found) => found,
        Err(error) => return setup_error(&error),
    };
    match step {
        INSTALLATION_CONFIG => installation_config(&state, &id, pipeline.clone(), &body).await,
        OAUTH_CALLBACK => oauth_callback(&state, &id, &pipeline, &body).await,
        other => error_answer(
            StatusCode::BAD_REQUEST,
            &format!(
                "Unknown step {other:?}: the steps are \"{INSTALLATION_CONFIG}\" and \"{OAUTH_CALLBACK}\"."
            ),
            None,
        ),
    }
}

/// The live JSON pipeline of this session, after checking its CSRF token.
async fn authorized_pipeline(
    state: &SetupState,
    headers: &HeaderMap,
) -> Result<(PipelineId, Pipeline), SetupError> {
    let id = session_id(headers).ok_or(SetupError::SessionExpired)?;
    let pipeline = state
        .pipelines
        .get(&id)
        .await
        .map_err(SetupError::Pipelines)?
        .filter(|pipeline| pipeline.flow == PipelineFlow::Json)
        .ok_or(SetupError::SessionExpired)?;
    let presented = headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !pipeline.csrf_token.matches(presented) {
        return Err(SetupError::CsrfMismatch);
    }
    state.access.recheck(&pipeline.grant).await?;
    Ok((id, pipeline))
}

/// Starts a pipeline for the holder of the admin token or of a set-up link's token, each sent
/// as `Authorization: Bearer <token>`.
async fn initialize(state: &SetupState, grant: Option<SetupGrant>) -> Response {
    let Some(grant) = grant else {
        return setup_error(&SetupError::Access(AccessRefusal::Missing));
    };
    let organization_required = state.organization_for(&grant).is_none();
    let id = PipelineId::generate();
    let pipeline = Pipeline::new(PipelineFlow::Json, grant);
    let csrf_token = pipeline.csrf_token.expose_secret().to_owned();
    if let Err(error) = state.pipelines.insert(&id, pipeline).await {
        return setup_error(&SetupError::Pipelines(error));
    }
    let mut response = answer(
        StatusCode::OK,
        json!({
            "provider": JIRA_SERVER_PROVIDER,
            "step": INSTALLATION_CONFIG,
            "stepIndex": 0,
            "totalSteps": TOTAL_STEPS,
            "data": {
                "csrfToken": csrf_token,
                "organizationRequired": organization_required,
            },
        }),
    );
    set_session_cookie(response.headers_mut(), &id, state.secure_cookie());
    response
}

async fn installation_config(
    state: &SetupState,
    id: &PipelineId,
    pipeline: Pipeline,
    body: &Map<String, Value>,
) -> Response {
    let mut errors = FieldErrors::default();
    let mut input = InstallationInput::default();
    input.url = string_member(body, Field::Url, &mut errors);
    input.consumer_key = string_member(body, Field::ConsumerKey, &mut errors);
    input.private_key = string_member(body, Field::PrivateKey, &mut errors).map(SecretString::new);
    input.organization = string_member(body, Field::Organization, &mut errors);
    let flags = bool_member(body, "verifySsl", true)
        .and_then(|verify| Ok((verify, bool_member(body, "manualWebhook", false)?)));
    match flags {
        Ok((verify_ssl, manual_webhook)) => {
            input.verify_ssl = verify_ssl;
            input.manual_webhook = manual_webhook;
        }
        Err(message) => return error_answer(StatusCode::BAD_REQUEST, &message, None),
    }
    let validated = validate_installation(
        &input,
        state.organization_for(&pipeline.grant),
        &state.jira_hosts,
        state.store.as_ref(),
    )
    .await;
    let installation = match validated {
        // A mistyped member and the form's own checks are reported together.
        Ok(Ok(installation)) if errors.is_empty() => installation,
        Ok(Ok(_)) => return field_errors(&errors),
        Ok(Err(found)) => {
            errors.merge(found);
            return field_errors(&errors);
        }
        Err(error) => return setup_error(&SetupError::Store(error)),
    };
    match start_authorization(state, id, pipeline, installation).await {
        Ok(authorize_url) => answer(
            StatusCode::OK,
            json!({
                "status": "advance",
                "step": OAUTH_CALLBACK,
                "stepIndex": 1,
                "totalSteps": TOTAL_STEPS,
                "data": {"oauthUrl": authorize_url.as_str()},
            }),
        ),
        Err(error) => setup_error(&error),
    }
}

async fn oauth_callback(
    state: &SetupState,
    id: &PipelineId,
    pipeline: &Pipeline,
    body: &Map<String, Value>,
) -> Response {
    if matches!(pipeline.stage, PipelineStage::Config) {
        return setup_error(&SetupError::MissingInstallationData);
    }
    let mut errors = FieldErrors::default();
    let oauth_token = string_member(body, Field::OAuthToken, &mut errors)
        .filter(|token| !token.trim().is_empty());
    let oauth_verifier = match body.get("oauthVerifier") {
        None | Some(Value::Null) => None,
        Some(Value::String(verifier)) => Some(verifier.clone()),
        Some(_) => {
            return error_answer(
                StatusCode::BAD_REQUEST,
                "oauthVerifier must be a string.",
                None,
            );
        }
    };
    if oauth_token.is_none() {
        if errors.is_empty() {
            errors.add_required(Field::OAuthToken);
        }
        return field_errors(&errors);
    }
    // The request token is exchanged at most once: the pipeline ends here, whatever happens.
    let pipeline = match state.pipelines.take(id).await {
        Ok(Some(pipeline)) => pipeline,
        Ok(None) => return setup_error(&SetupError::SessionExpired),
        Err(error) => return setup_error(&SetupError::Pipelines(error)),
    };
    match finish_authorization(
        state,
        pipeline,
        oauth_token.as_deref(),
        oauth_verifier.as_deref(),
    )
    .await
    {
        Ok(installed) => answer(
            StatusCode::OK,
            json!({"status": "complete", "data": InstallSummary::from(&installed)}),
        ),
        Err(error) => setup_error(&error),
    }
}
