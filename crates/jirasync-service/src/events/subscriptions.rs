//! Setting up subscribers: the URL and a given secret are checked, a secret is generated when
//! none is given, and a rotation keeps the replaced secret signing until the next one.

use jirasync_core::Clock;
use jirasync_domain::events::{
    EventTimestamp, NewSubscriber, SigningSecret, SigningSecretError, Subscriber, SubscriberId,
    SubscriberUrl, SubscriberUrlError,
};
use jirasync_domain::{EventStore, StoreError};

/// What an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriptionRequest {
    /// The URL, as given.
    pub url: String,
    /// A note, as given.
    pub description: String,
    /// A secret, as given; `None` generates one.
    pub secret: Option<String>,
}

/// Why a subscription was refused or failed. Nothing is stored on a refusal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// The URL is not acceptable.
    #[error("url: {0}")]
    Url(#[from] SubscriberUrlError),
    /// The secret is not a `whsec_` secret.
    #[error("secret: {0}")]
    Secret(#[from] SigningSecretError),
    /// The description is too long.
    #[error("description: at most 1000 characters; this one has {length}")]
    Description {
        /// Its length in characters.
        length: usize,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The secret given, checked, or a new one.
fn secret_of(given: Option<&str>) -> Result<SigningSecret, SigningSecretError> {
    given.map_or_else(|| Ok(SigningSecret::generate()), SigningSecret::parse)
}

/// Adds a subscriber after checking the request.
///
/// # Errors
///
/// [`SubscriptionError`] naming the field at fault, or the store's error.
pub async fn create_subscription(
    store: &dyn EventStore,
    clock: &dyn Clock,
    request: SubscriptionRequest,
) -> Result<Subscriber, SubscriptionError> {
    let url = SubscriberUrl::parse(&request.url)?;
    let length = request.description.chars().count();
    if length > 1000 {
        return Err(SubscriptionError::Description { length });
    }
    let secret = secret_of(request.secret.as_deref())?;
    Ok(store
        .create_subscriber(NewSubscriber {
            url,
            description: request.description,
            secret,
            created_at: EventTimestamp::from_system_time(clock.now()),
        })
        .await?)
}

/// Rotates a subscriber's secret to `secret` (checked) or a new one.
///
/// # Errors
///
/// [`SubscriptionError::Secret`], or the store's ([`StoreError::NotFound`] for an unknown id).
pub async fn rotate_subscription(
    store: &dyn EventStore,
    id: SubscriberId,
    secret: Option<&str>,
) -> Result<Subscriber, SubscriptionError> {
    let secret = secret_of(secret)?;
    Ok(store.rotate_subscriber_secret(id, secret).await?)
}
