//! Outgoing events ([`jirasync_domain::events`]): the [`EventDispatcher`] pushes them to
//! subscribers, signed per Standard Webhooks ([`sign`]); the [`EventFeed`] serves them by cursor,
//! with long polling; [`create_subscription`] and [`rotate_subscription`] set up subscribers.

mod dispatcher;
mod feed;
mod retention;
mod signing;
mod subscriptions;

pub use dispatcher::{DispatcherError, DispatcherOptions, EventDispatcher, event_signal};
pub use feed::EventFeed;
pub use retention::{EVENT_PURGE_INTERVAL, purge_settled_events, spawn_event_retention};
pub use signing::{sign, signature_header};
pub use subscriptions::{
    SubscriptionError, SubscriptionRequest, create_subscription, rotate_subscription,
};
