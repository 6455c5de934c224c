//! Comments both ways through the real binary against the fake Jira (which checks every
//! signature): the application's comment appears on the Jira issue quoted under its author's
//! name; Jira's webhooks for it change nothing and send nothing back; a comment written in Jira
//! reaches the application's subscriber as `issue.comment_added` once, also when Jira sends
//! both of its webhooks for it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod e2e_support;

use std::sync::{Arc, Mutex};

use e2e_support::fake_jira::{FakeIssue, FakeJira, FakeUser};
use e2e_support::service::Deployment;
use e2e_support::sidecar::{
    Push, SECRET, Serve, connect_acme_and_link, expect, subscriber, wait_for,
};
use e2e_support::{CONSUMER_KEY, post, private_key, wait_until_drained};
use reqwest::Method;
use serde_json::{Value, json};

const COMMENT_PATH: &str = "/rest/api/2/issue/SHOP-1/comment";

/// A running service with the application's data and a subscriber, Jira connected for `acme`,
/// comment sync on, and `I-1` linked to `SHOP-1`.
struct World {
    _dir: tempfile::TempDir,
    deployment: Deployment,
    jira: FakeJira,
    _serve: Serve,
    base: String,
    webhook_path: String,
    pushes: Arc<Mutex<Vec<Push>>>,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let deployment = Deployment::sqlite_in(&dir);
        let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
        jira.add_user(FakeUser::new(
            "jdoe",
            "JIRAUSER10300",
            Some("jdoe@example.com"),
        ));
        jira.set_issue(
            "SHOP-1",
            FakeIssue {
                assignee: None,
                status: "1".into(),
                updated: "2026-06-01T10:00:00.000+0000".into(),
            },
        );
        let serve = Serve::spawn(&deployment, &[]).await;
        let base = serve.url.clone();
        let v1 = |path: &str| format!("{base}/api/v1{path}");
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let pushes = subscriber(port).await;
        expect(
            Method::POST,
            v1("/subscriptions"),
            Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "secret": SECRET})),
            201,
        )
        .await;
        for (path, body) in [
            (
                "/organizations",
                json!({"items": [{"id": "acme", "name": "Acme"}]}),
            ),
            (
                "/users",
                json!({"items": [
                    {"id": "alice", "emails": [{"address": "alice@example.com", "verified": true}]},
                ]}),
            ),
            (
                "/organizations/acme/members",
                json!({"items": [{"user": "alice"}]}),
            ),
            (
                "/organizations/acme/teams",
                json!({"items": [{"id": "web", "name": "Web", "members": [{"user": "alice"}]}]}),
            ),
            (
                "/organizations/acme/projects",
                json!({"items": [{"id": "shop", "name": "Shop", "teams": ["web"]}]}),
            ),
            (
                "/organizations/acme/issues",
                json!({"items": [{"id": "I-1", "project": "shop"}]}),
            ),
        ] {
            expect(Method::PUT, v1(path), Some(body), 200).await;
        }
        let webhook_path =
            connect_acme_and_link(&jira, &deployment, &base, json!({"sync_comments": true})).await;
        Self {
            _dir: dir,
            deployment,
            jira,
            _serve: serve,
            webhook_path,
            base,
            pushes,
        }
    }

    fn v1(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// The comments of `SHOP-1` in Jira: (id, author, text).
    fn jira_comments(&self) -> Vec<(u64, String, String)> {
        self.jira
            .issue("SHOP-1")
            .map(|issue| {
                issue
                    .comments
                    .iter()
                    .map(|comment| (comment.id, comment.author.clone(), comment.body.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Posts a Jira delivery to jirasync's webhook and waits until the inbox has applied it.
    async fn deliver(&self, delivery: &Value) {
        let answer = post(
            &reqwest::Client::new(),
            &self.base,
            &self.webhook_path,
            serde_json::to_vec(delivery).unwrap(),
        )
        .await;
        assert!(answer.status == 200 || answer.status == 202, "{answer:?}");
        let store = self.deployment.open_store().await;
        wait_until_drained(store.as_ref()).await;
    }

    /// The `data` of every `issue.comment_added` event the subscriber received.
    fn comment_events(&self) -> Vec<Value> {
        self.pushes
            .lock()
            .unwrap()
            .iter()
            .map(Push::json)
            .filter(|event| event["type"] == "issue.comment_added")
            .map(|event| event["data"].clone())
            .collect()
    }

    async fn outbox_lines(&self) -> usize {
        let deployment = self.deployment.clone();
        tokio::task::spawn_blocking(move || deployment.jirasync(&["outbox", "list"]))
            .await
            .unwrap()
            .lines()
            .count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_comment_reaches_jira_attributed_and_its_webhooks_come_back_to_nothing() {
    let world = World::new().await;
    let answer = expect(
        Method::POST,
        world.v1("/organizations/acme/issues/I-1/comments"),
        Some(json!({"author": "alice", "body": "Deployed to *staging*."})),
        200,
    )
    .await;
    assert_eq!(answer, json!({"outbound": 1}));
    wait_for("the comment in Jira", async || {
        !world.jira_comments().is_empty()
    })
    .await;
    let comments = world.jira_comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let (id, author, text) = &comments[0];
    assert_eq!(
        text,
        "alice wrote:\n\n{quote}\nDeployed to *staging*.\n{quote}"
    );
    // Posted by the organization's own Jira user, signed.
    assert_eq!(world.jira.applied_calls("POST", COMMENT_PATH).len(), 1);
    assert_ne!(author, "jdoe");

    // Jira's two webhooks for that comment: neither is brought back, nothing goes out again.
    let updated = world.jira.issue_commented_webhook("SHOP-1", *id).unwrap();
    let created = world
        .jira
        .comment_created_webhook_with_issue("SHOP-1", *id)
        .unwrap();
    world.deliver(&updated).await;
    world.deliver(&created).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(world.comment_events(), Vec::<Value>::new());
    assert_eq!(world.jira_comments().len(), 1);
    assert_eq!(world.jira.applied_calls("POST", COMMENT_PATH).len(), 1);
    assert_eq!(
        world.outbox_lines().await,
        2,
        "the header and the one comment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_comment_reaches_the_subscriber_once_from_both_webhooks() {
    let world = World::new().await;
    let comment = world
        .jira
        .comment_as("SHOP-1", "jdoe", "Reproduced on 9.12.")
        .unwrap();
    let updated = world
        .jira
        .issue_commented_webhook("SHOP-1", comment.id)
        .unwrap();
    let created = world
        .jira
        .comment_created_webhook_with_issue("SHOP-1", comment.id)
        .unwrap();
    // Jira Server before 8 sends `comment_created` without the issue: left to the other one.
    let bare = world
        .jira
        .comment_created_webhook("SHOP-1", comment.id)
        .unwrap();
    world.deliver(&bare).await;
    world.deliver(&updated).await;
    world.deliver(&created).await;
    world.deliver(&updated).await;
    wait_for("the comment event", async || {
        !world.comment_events().is_empty()
    })
    .await;
    // Let a duplicate push have its chance to show up.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let events = world.comment_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let data = &events[0];
    assert_eq!(data["issue_app_id"], "I-1");
    assert_eq!(data["organization_app_id"], "acme");
    assert_eq!(data["jira_key"], "SHOP-1");
    assert_eq!(data["comment_id"], comment.id.to_string());
    assert_eq!(data["body"], "Reproduced on 9.12.");
    assert_eq!(data["author"]["name"], "jdoe");
    assert_eq!(data["author"]["email_address"], "jdoe@example.com");
    assert_eq!(data["source"], "jira");
    assert!(data["created"].as_str().unwrap().ends_with('Z'), "{data}");
    // Nothing goes back to Jira.
    assert!(world.jira.calls("POST", COMMENT_PATH).is_empty());
    assert_eq!(world.outbox_lines().await, 1, "only the header");
}
