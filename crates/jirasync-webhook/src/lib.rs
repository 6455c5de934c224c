//! Jira Server webhooks without I/O: the URL token that identifies an installation, the payload
//! model, and the typed events that the sync rules consume.
//!
//! Data flows one way: the token from the URL is verified ([`verify_token`]), the body is parsed
//! ([`parse`]) and classified ([`classify`]) into a [`Classification`] that `jirasync-domain`
//! applies.
//!
//! Every refusal is a typed error with a message a person can act on: [`TokenError`] for the URL
//! token, [`PayloadError`] for the body (with the JSON path, line and column). Both mean "answer
//! 400"; nothing in this crate panics on input. `docs/security.md` lists what is validated.
//!
//! ```
//! use jirasync_webhook::{
//!     Classification, WebhookSecret, classify, mint_token, parse, peek_external_id, verify_token,
//! };
//!
//! // Registration: mint the token that goes into the webhook URL.
//! let secret = WebhookSecret::generate();
//! let token = mint_token("jira.example.com:consumer-key", &secret);
//! let url = format!(
//!     "https://sync.example.com/extensions/jira-server/issue-updated/{}/",
//!     token.expose_secret()
//! );
//! # let _ = url;
//!
//! // Receipt: find the installation from the unverified claim, then verify with its secrets.
//! let external_id = peek_external_id(token.expose_secret())?;
//! let verified = verify_token(token.expose_secret(), &[secret])?;
//! assert_eq!(verified.external_id(), external_id);
//!
//! let body = br#"{
//!     "timestamp": 1525698237764,
//!     "webhookEvent": "jira:issue_updated",
//!     "issue": {
//!         "id": "10001",
//!         "key": "APP-123",
//!         "fields": {
//!             "assignee": {"name": "jess", "emailAddress": "jess@example.com"},
//!             "updated": "2023-01-01T00:00:00.000+0000"
//!         }
//!     },
//!     "changelog": {
//!         "id": "10172",
//!         "items": [{"field": "assignee", "fieldtype": "jira", "to": "JIRAUSER10100"}]
//!     }
//! }"#;
//! let payload = parse(body)?;
//! let Classification::Changes(changes) = classify(&payload)? else {
//!     unreachable!("the body has a changelog");
//! };
//! let assignee = changes.assignee.expect("the assignee changed");
//! assert_eq!(assignee.issue_key.as_str(), "APP-123");
//! assert_eq!(
//!     assignee.assignee.and_then(|user| user.email_address).as_deref(),
//!     Some("jess@example.com")
//! );
//! assert_eq!(
//!     changes.delivery_key.map(|key| key.to_string()).as_deref(),
//!     Some("10001:10172:jira:issue_updated")
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classify;
mod datetime;
mod events;
mod payload;
mod secret;
mod token;
mod url;

pub use classify::{classify, comment_added, parse_and_classify};
pub use events::{
    AssigneeChanged, ChangeSet, Classification, CommentAdded, DeliveryKey, EventTime, IssueId,
    IssueKey, JiraUser, StatusChanged, StatusId,
};
pub use payload::{
    Changelog, ChangelogItem, Comment, CommentVisibility, Issue, IssueFields, PayloadError,
    Project, Status, StatusCategory, User, WebhookEvent, WebhookPayload, parse,
};
pub use secret::WebhookSecret;
pub use token::{
    MAX_TOKEN_LEN, TokenError, VerifiedToken, WebhookToken, mint_token, peek_external_id,
    verify_token, verify_token_at,
};
pub use url::{REDACTED_TOKEN, WEBHOOK_PATH_PREFIX, redact_webhook_url, webhook_url};
