//! The webhook deliveries Jira would send for changes made in the fake (through its REST API or
//! by a test), built from the issue's history and comments: what a test posts to the service to
//! check that jirasync does not echo its own changes back.
//!
//! Jira Server 9 sends, per change, a `jira:issue_updated` with the issue as it is now, the acting
//! `user` and the `changelog`; per comment, a `jira:issue_updated` with
//! `issue_event_type_name: issue_commented` and the `comment` (no changelog), and, when the
//! webhook subscribes to it, a `comment_created` carrying only the `comment` (its `self` link
//! names the issue id).

use serde_json::{Value, json};

use super::issues::{FakeChange, comment_json, issue_fields, user_json_by_name};
use super::{FakeJira, Inner};

fn changelog_item_json(change: &FakeChange) -> Vec<Value> {
    change
        .items
        .iter()
        .map(|item| {
            json!({
                "field": item.field,
                "fieldtype": "jira",
                "fieldId": item.field,
                "from": item.from,
                "fromString": item.from_string,
                "to": item.to,
                "toString": item.to_string,
            })
        })
        .collect()
}

fn issue_json(inner: &Inner, key: &str) -> Option<Value> {
    let issue = inner.issues.get(key)?;
    Some(json!({
        "id": issue.id,
        "self": format!("{}/rest/api/2/issue/{}", inner.base_url, issue.id),
        "key": issue.key,
        "fields": issue_fields(inner, issue),
    }))
}

impl FakeJira {
    /// The `jira:issue_updated` delivery for the latest change in `key`'s history; `None` when
    /// the issue is unknown or never changed.
    pub fn issue_updated_webhook(&self, key: &str) -> Option<Value> {
        let change_id = self.lock().issues.get(key)?.history.last()?.id;
        self.issue_updated_webhook_for(key, change_id)
    }

    /// The `jira:issue_updated` delivery for change `change_id` of `key` (the issue as it is now).
    pub fn issue_updated_webhook_for(&self, key: &str, change_id: u64) -> Option<Value> {
        let inner = self.lock();
        let change = inner
            .issues
            .get(key)?
            .history
            .iter()
            .find(|change| change.id == change_id)?
            .clone();
        Some(json!({
            "timestamp": change.timestamp,
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": change.event_type,
            "user": user_json_by_name(&inner.base_url, &change.author, &inner.users),
            "issue": issue_json(&inner, key)?,
            "changelog": {"id": change.id.to_string(), "items": changelog_item_json(&change)},
        }))
    }

    /// The `jira:issue_updated` delivery with `issue_event_type_name: issue_commented` for comment
    /// `comment_id` of `key`.
    pub fn issue_commented_webhook(&self, key: &str, comment_id: u64) -> Option<Value> {
        let inner = self.lock();
        let mut delivery = comment_delivery(&inner, key, comment_id, "jira:issue_updated")?;
        delivery["issue_event_type_name"] = json!("issue_commented");
        delivery["issue"] = issue_json(&inner, key)?;
        Some(delivery)
    }

    /// The `comment_created` delivery for comment `comment_id` of `key`: only the comment, as
    /// Jira Server sends it.
    pub fn comment_created_webhook(&self, key: &str, comment_id: u64) -> Option<Value> {
        let mut delivery = comment_delivery(&self.lock(), key, comment_id, "comment_created")?;
        // Jira Server's `comment_created` carries no `user` and no `issue`.
        delivery.as_object_mut()?.remove("user");
        Some(delivery)
    }
}

impl FakeJira {
    /// The `comment_created` delivery of Jira Data Center 8 and later for comment `comment_id`
    /// of `key`: the comment and the issue.
    pub fn comment_created_webhook_with_issue(&self, key: &str, comment_id: u64) -> Option<Value> {
        let mut delivery = self.comment_created_webhook(key, comment_id)?;
        delivery["issue"] = issue_json(&self.lock(), key)?;
        Some(delivery)
    }
}

/// A delivery of `event` for comment `comment_id` of `key`: its time, its author as `user`, and
/// the comment.
fn comment_delivery(inner: &Inner, key: &str, comment_id: u64, event: &str) -> Option<Value> {
    let issue = inner.issues.get(key)?;
    let comment = issue
        .comments
        .iter()
        .find(|comment| comment.id == comment_id)?;
    Some(json!({
        "timestamp": comment.timestamp,
        "webhookEvent": event,
        "user": user_json_by_name(&inner.base_url, &comment.author, &inner.users),
        "comment": comment_json(&inner.base_url, &issue.id, comment, &inner.users),
    }))
}
