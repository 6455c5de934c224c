//! `/api/v1/subscriptions`: where events are pushed, and their signing secrets.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jirasync_domain::events::{Subscriber, SubscriberId};
use jirasync_service::events::{
    SubscriptionError, SubscriptionRequest, create_subscription, rotate_subscription,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::EventsState;
use crate::admin::body::AdminJson;
use crate::error::{ApiError, ErrorDetail};

/// The body of `POST /api/v1/subscriptions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateSubscription {
    /// Where events are POSTed: an absolute http or https URL, without user name, password or
    /// fragment.
    #[schema(example = "https://app.example.com/hooks/jirasync")]
    url: String,
    /// A note for operators (at most 1000 characters).
    #[serde(default)]
    description: String,
    /// The signing secret, `whsec_` and the base64 of 24 to 64 bytes; generated when left out.
    #[serde(default)]
    secret: Option<String>,
}

/// The body of `POST /api/v1/subscriptions/{id}/rotate` (may be empty: `{}`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateSecret {
    /// The new secret; generated when left out. The replaced one keeps signing (a second
    /// signature) until the next rotation.
    #[serde(default)]
    secret: Option<String>,
}

/// A subscriber as listed (secrets are never listed).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SubscriptionView {
    /// Its id.
    id: u64,
    /// Where events are POSTed.
    url: String,
    /// The note.
    description: String,
    /// When it was created (RFC 3339).
    created_at: String,
    /// Whether a previous secret still signs (after a rotation).
    previous_secret_active: bool,
}

/// A subscriber with its current secret: the answer of a creation or a rotation, the only
/// times the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SubscriptionWithSecret {
    /// The subscriber.
    #[serde(flatten)]
    subscription: SubscriptionView,
    /// The current signing secret: keep it to verify `webhook-signature`.
    secret: String,
}

/// `GET /api/v1/subscriptions`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SubscriptionList {
    /// Every subscriber, in id order.
    subscriptions: Vec<SubscriptionView>,
}

impl From<&Subscriber> for SubscriptionView {
    fn from(subscriber: &Subscriber) -> Self {
        Self {
            id: subscriber.id.get(),
            url: subscriber.url.to_string(),
            description: subscriber.description.clone(),
            created_at: subscriber.created_at.to_rfc3339(),
            previous_secret_active: subscriber.previous_secret.is_some(),
        }
    }
}

fn with_secret(subscriber: &Subscriber) -> SubscriptionWithSecret {
    SubscriptionWithSecret {
        subscription: subscriber.into(),
        secret: subscriber.secret.expose_secret().to_owned(),
    }
}

impl From<SubscriptionError> for ApiError {
    fn from(error: SubscriptionError) -> Self {
        match error {
            SubscriptionError::Store(error) => error.into(),
            refused => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, refused.to_string()),
        }
    }
}

/// The subscriber id in the path: 404 for anything but a positive number.
fn subscriber_id(text: &str) -> Result<SubscriberId, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .map(SubscriberId::new)
        .ok_or_else(|| {
            ApiError::not_found(format!("no subscriber {text:?}: ids are positive numbers"))
        })
}

/// Adds a subscriber.
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions",
    tag = "events",
    request_body = CreateSubscription,
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = SubscriptionWithSecret),
        (status = 400, description = "Malformed JSON, a member of the wrong type, or an unknown member", body = ErrorDetail),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorDetail),
        (status = 413, description = "The body is too large", body = ErrorDetail),
        (status = 415, description = "Not JSON", body = ErrorDetail),
        (status = 422, description = "A bad URL (scheme, credentials, fragment), secret or description", body = ErrorDetail),
    )
)]
pub(super) async fn create(
    State(state): State<EventsState>,
    AdminJson(body): AdminJson<CreateSubscription>,
) -> Result<Response, ApiError> {
    let subscriber = create_subscription(
        state.store.as_ref(),
        state.clock.as_ref(),
        SubscriptionRequest {
            url: body.url,
            description: body.description,
            secret: body.secret,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(with_secret(&subscriber))).into_response())
}

/// Lists the subscribers (without their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/subscriptions",
    tag = "events",
    responses(
        (status = 200, description = "Every subscriber", body = SubscriptionList),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorDetail),
    )
)]
pub(super) async fn list(
    State(state): State<EventsState>,
) -> Result<Json<SubscriptionList>, ApiError> {
    let subscribers = state.store.subscribers().await?;
    Ok(Json(SubscriptionList {
        subscriptions: subscribers.iter().map(SubscriptionView::from).collect(),
    }))
}

/// Removes a subscriber and its pending deliveries.
#[utoipa::path(
    delete,
    path = "/api/v1/subscriptions/{id}",
    tag = "events",
    params(("id" = u64, Path, description = "The subscriber's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorDetail),
        (status = 404, description = "No such subscriber", body = ErrorDetail),
    )
)]
pub(super) async fn delete(
    State(state): State<EventsState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_subscriber(subscriber_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotates a subscriber's secret: the new one signs, and the replaced one too until the next
/// rotation (two signatures in `webhook-signature`).
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions/{id}/rotate",
    tag = "events",
    params(("id" = u64, Path, description = "The subscriber's id")),
    request_body = RotateSecret,
    responses(
        (status = 200, description = "Rotated; the new secret is shown this once", body = SubscriptionWithSecret),
        (status = 400, description = "Malformed JSON or an unknown member", body = ErrorDetail),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorDetail),
        (status = 404, description = "No such subscriber", body = ErrorDetail),
        (status = 422, description = "A bad secret", body = ErrorDetail),
    )
)]
pub(super) async fn rotate(
    State(state): State<EventsState>,
    Path(id): Path<String>,
    AdminJson(body): AdminJson<RotateSecret>,
) -> Result<Json<SubscriptionWithSecret>, ApiError> {
    let id = subscriber_id(&id)?;
    let subscriber = rotate_subscription(state.store.as_ref(), id, body.secret.as_deref()).await?;
    Ok(Json(with_secret(&subscriber)))
}
