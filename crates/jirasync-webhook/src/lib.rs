//! Jira Server webhooks without I/O: the URL token that identifies an installation, the payload
//! model, and the typed events that the sync rules consume.

mod events;
mod secret;

pub use events::{
    AssigneeChanged, ChangeSet, Classification, DeliveryKey, EventTime, IssueId, IssueKey,
    JiraUser, StatusChanged, StatusId,
};
pub use secret::WebhookSecret;
