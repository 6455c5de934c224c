//! Outbound sync through the real binary against the fake Jira (which checks every signature
//! and nonce): the application assigns, reassigns and unassigns its issue through the host API
//! and Jira follows; a user with no Jira match fails with its reason in `jirasync outbox list
//! --failed`; Jira down then up gets the change once; `kill -9` with pending work loses nothing
//! and sends nothing twice; the webhook Jira sends for jirasync's own change does not undo a
//! newer local change and sends nothing back. Statuses likewise: resolve and unresolve move the
//! Jira issue through the project's status mapping; a status no transition reaches fails with
//! the reason; Jira's webhook for jirasync's own transition is not applied back.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod e2e_support;

use e2e_support::fake_jira::{FakeIssue, FakeJira, FakeUser};
use e2e_support::service::Deployment;
use e2e_support::sidecar::{Serve, connect_acme_and_link, expect, wait_for};
use e2e_support::{CONSUMER_KEY, post, private_key, wait_until_drained};
use reqwest::Method;
use serde_json::{Value, json};

const ASSIGNEE_PATH: &str = "/rest/api/2/issue/SHOP-1/assignee";

/// A running service with the application's data, Jira connected for `acme`, assignee and
/// status sync on both ways, and `I-1` linked to `SHOP-1` (unassigned and open in both).
struct World {
    dir: tempfile::TempDir,
    deployment: Deployment,
    jira: FakeJira,
    serve: Option<Serve>,
    base: String,
    webhook_path: String,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let deployment = Deployment::sqlite_in(&dir);
        let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
        jira.add_user(FakeUser::new(
            "alice.j",
            "JIRAUSER10100",
            Some("alice@example.com"),
        ));
        jira.add_user(FakeUser::new(
            "bob.j",
            "JIRAUSER10200",
            Some("bob@example.com"),
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
        for (path, body) in [
            (
                "/organizations",
                json!({"items": [{"id": "acme", "name": "Acme"}]}),
            ),
            (
                "/users",
                json!({"items": [
                    {"id": "alice", "emails": [{"address": "alice@example.com", "verified": true}]},
                    {"id": "bob", "emails": [{"address": "bob@example.com", "verified": true}]},
                    {"id": "carol", "emails": [{"address": "carol@example.com", "verified": true}]},
                ]}),
            ),
            (
                "/organizations/acme/members",
                json!({"items": [{"user": "alice"}, {"user": "bob"}, {"user": "carol"}]}),
            ),
            (
                "/organizations/acme/teams",
                json!({"items": [{"id": "web", "name": "Web", "members":
                    [{"user": "alice"}, {"user": "bob"}, {"user": "carol"}]}]}),
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
        let webhook_path = connect_acme_and_link(
            &jira,
            &deployment,
            &base,
            json!({"sync_reverse_assignment": true, "sync_forward_assignment": true,
                "sync_status_reverse": true, "sync_status_forward": true}),
        )
        .await;
        Self {
            dir,
            deployment,
            jira,
            serve: Some(serve),
            webhook_path,
            base,
        }
    }

    fn v1(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn assign(&self, assignee: Value) -> Value {
        expect(
            Method::POST,
            self.v1("/organizations/acme/issues/I-1/assign"),
            Some(json!({"assignee": assignee})),
            200,
        )
        .await
    }

    async fn local_assignee(&self) -> Value {
        expect(
            Method::GET,
            self.v1("/organizations/acme/issues/I-1"),
            None,
            200,
        )
        .await["assignee"]
            .clone()
    }

    fn jira_assignee(&self) -> Option<String> {
        self.jira
            .issue("SHOP-1")
            .and_then(|issue| issue.assignee_name().map(str::to_owned))
    }

    async fn wait_for_jira_assignee(&self, wanted: Option<&str>) {
        wait_for(&format!("Jira's assignee {wanted:?}"), async || {
            self.jira_assignee().as_deref() == wanted
        })
        .await;
    }

    /// Sets the mapping of project SHOP; the answer.
    async fn map_statuses(&self, on_resolve: &str, on_unresolve: &str) -> Value {
        let integrations = expect(
            Method::GET,
            self.v1("/organizations/acme/integrations"),
            None,
            200,
        )
        .await;
        let integration = integrations[0]["integration"].as_u64().unwrap();
        expect(
            Method::PUT,
            self.v1(&format!(
                "/organizations/acme/integrations/{integration}/status-mappings/SHOP"
            )),
            Some(json!({"on_resolve": on_resolve, "on_unresolve": on_unresolve})),
            200,
        )
        .await
    }

    async fn set_status(&self, status: &str) -> Value {
        expect(
            Method::POST,
            self.v1("/organizations/acme/issues/I-1/status"),
            Some(json!({"status": status})),
            200,
        )
        .await
    }

    async fn local_status(&self) -> Value {
        expect(
            Method::GET,
            self.v1("/organizations/acme/issues/I-1"),
            None,
            200,
        )
        .await["status"]
            .clone()
    }

    fn jira_status(&self) -> String {
        self.jira.issue("SHOP-1").unwrap().status
    }

    async fn wait_for_jira_status(&self, wanted: &str) {
        wait_for(&format!("Jira's status {wanted}"), async || {
            self.jira_status() == wanted
        })
        .await;
    }

    fn applied_transitions(&self) -> usize {
        self.jira
            .applied_calls("POST", "/rest/api/2/issue/SHOP-1/transitions")
            .len()
    }

    fn applied_assignments(&self) -> usize {
        self.jira.applied_calls("PUT", ASSIGNEE_PATH).len()
    }

    async fn jirasync(&self, args: &[&str]) -> String {
        let deployment = self.deployment.clone();
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            deployment.jirasync(&args)
        })
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assign_reassign_and_unassign_reach_jira_in_order() {
    let world = World::new().await;
    assert_eq!(
        world.assign(json!({"user": "alice"})).await,
        json!({"changed": true, "outbound": 1})
    );
    world.wait_for_jira_assignee(Some("alice.j")).await;
    world.assign(json!({"user": "bob"})).await;
    world.wait_for_jira_assignee(Some("bob.j")).await;
    world.assign(Value::Null).await;
    world.wait_for_jira_assignee(None).await;
    assert_eq!(world.applied_assignments(), 3);
    let names: Vec<Value> = world
        .jira
        .applied_calls("PUT", ASSIGNEE_PATH)
        .iter()
        .map(|call| call.json()["name"].clone())
        .collect();
    assert_eq!(names, [json!("alice.j"), json!("bob.j"), Value::Null]);
    let listed = world.jirasync(&["outbox", "list"]).await;
    assert_eq!(listed.matches("\tdone\t").count(), 3, "{listed}");
    drop(world.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_a_jira_match_fails_with_the_reason() {
    let world = World::new().await;
    world.assign(json!({"user": "carol"})).await;
    wait_for("the failed piece", async || {
        world
            .jirasync(&["outbox", "list", "--failed"])
            .await
            .contains("no Jira user found")
    })
    .await;
    let failed = world.jirasync(&["outbox", "list", "--failed"]).await;
    assert!(failed.contains("carol@example.com"), "{failed}");
    assert_eq!(world.applied_assignments(), 0);
    assert_eq!(world.jira_assignee(), None);
    // The application's own change stands.
    assert_eq!(world.local_assignee().await, json!({"user": "carol"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_down_then_up_gets_the_change_once() {
    let world = World::new().await;
    world.jira.set_down(true);
    world.assign(json!({"user": "alice"})).await;
    wait_for("an attempt while Jira is down", async || {
        !world
            .jira
            .calls("GET", "/rest/api/2/user/search")
            .is_empty()
            || !world.jira.calls("PUT", ASSIGNEE_PATH).is_empty()
    })
    .await;
    world.jira.set_down(false);
    world.wait_for_jira_assignee(Some("alice.j")).await;
    assert_eq!(world.applied_assignments(), 1);
    let listed = world.jirasync(&["outbox", "list"]).await;
    assert!(listed.contains("\tdone\t"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_pending_work_loses_nothing_and_sends_nothing_twice() {
    let mut world = World::new().await;
    world.jira.set_down(true);
    world.assign(json!({"user": "bob"})).await;
    wait_for("an attempt while Jira is down", async || {
        !world
            .jira
            .calls("GET", "/rest/api/2/user/search")
            .is_empty()
    })
    .await;
    world.serve.take().unwrap().kill_9();
    world.jira.set_down(false);
    let serve = Serve::spawn(&world.deployment, &[]).await;
    world.base = serve.url.clone();
    world.serve = Some(serve);
    world.wait_for_jira_assignee(Some("bob.j")).await;
    // Let a second worker pass find nothing more to do.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(world.applied_assignments(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jiras_webhook_for_our_own_change_changes_nothing_and_sends_nothing_back() {
    let world = World::new().await;
    world.assign(json!({"user": "alice"})).await;
    world.wait_for_jira_assignee(Some("alice.j")).await;
    let echo = world
        .jira
        .issue_updated_webhook("SHOP-1")
        .expect("Jira's webhook for the assignment");
    // The application moves on (Jira is down, so bob waits in the outbox) before Jira's
    // webhook for alice arrives.
    world.jira.set_down(true);
    world.assign(json!({"user": "bob"})).await;
    let client = reqwest::Client::new();
    let answer = post(
        &client,
        &world.base,
        &world.webhook_path,
        serde_json::to_vec(&echo).unwrap(),
    )
    .await;
    assert!(answer.status == 200 || answer.status == 202, "{answer:?}");
    let store = world.deployment.open_store().await;
    wait_until_drained(store.as_ref()).await;
    // Not applied back: the newer local change stands, and no outbound work was made.
    assert_eq!(world.local_assignee().await, json!({"user": "bob"}));
    let listed = world.jirasync(&["outbox", "list"]).await;
    assert_eq!(listed.lines().count(), 3, "header, alice, bob: {listed}");
    world.jira.set_down(false);
    world.wait_for_jira_assignee(Some("bob.j")).await;
    assert_eq!(world.applied_assignments(), 2);
    // Jira's webhook for bob is recognised too.
    let echo = world.jira.issue_updated_webhook("SHOP-1").unwrap();
    post(
        &client,
        &world.base,
        &world.webhook_path,
        serde_json::to_vec(&echo).unwrap(),
    )
    .await;
    wait_until_drained(store.as_ref()).await;
    assert_eq!(world.local_assignee().await, json!({"user": "bob"}));
    assert_eq!(world.applied_assignments(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_and_unresolve_move_the_jira_issue_through_the_mapping() {
    let world = World::new().await;
    let mapping = world.map_statuses("Resolved", "reopened").await;
    assert_eq!(
        mapping,
        json!({"project_key": "SHOP", "project_id": "10000",
            "on_resolve": {"id": "5", "name": "Resolved"},
            "on_unresolve": {"id": "4", "name": "Reopened"}})
    );
    assert_eq!(
        world.set_status("resolved").await,
        json!({"changed": true, "outbound": 1})
    );
    world.wait_for_jira_status("5").await;
    world.set_status("unresolved").await;
    world.wait_for_jira_status("4").await;
    assert_eq!(world.applied_transitions(), 2);
    let listed = world.jirasync(&["outbox", "list"]).await;
    assert!(
        listed.contains("resolve") && listed.contains("unresolve"),
        "{listed}"
    );
    assert!(!listed.contains("failed"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_no_transition_reaches_fails_with_the_reason() {
    let world = World::new().await;
    // Through the CLI: a status the project's workflows do not have is refused, storing
    // nothing; then Closed / Open, which Jira has.
    let deployment = world.deployment.clone();
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        deployment.jirasync_refused(&[
            "status-mapping",
            "set",
            "--organization",
            "acme",
            "SHOP",
            "--on-resolve",
            "Shipped",
            "--on-unresolve",
            "Open",
        ])
    })
    .await
    .unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "on_resolve: project SHOP's workflows have no status \"Shipped\"; its statuses are \
             Open (1), In Progress (3), Reopened (4), Resolved (5), Closed (6), Done (10102)"
        ),
        "{stderr}"
    );
    assert_eq!(
        world
            .jirasync(&["status-mapping", "list", "--organization", "acme"])
            .await,
        "no status mappings\n"
    );
    let set = world
        .jirasync(&[
            "status-mapping",
            "set",
            "--organization",
            "acme",
            "SHOP",
            "--on-resolve",
            "closed",
            "--on-unresolve",
            "1",
        ])
        .await;
    assert_eq!(
        set,
        "set: project SHOP (10000) of organization acme: resolve → Closed (6), unresolve → \
         Open (1)\n"
    );
    assert_eq!(
        world
            .jirasync(&["status-mapping", "list", "--organization", "acme"])
            .await,
        "project_key\tproject_id\ton_resolve\ton_unresolve\nSHOP\t10000\t6\t1\n"
    );
    // Closed in Jira: the workflow only reopens it (to Reopened), never straight to Open.
    world.set_status("resolved").await;
    world.set_status("unresolved").await;
    wait_for("the unresolve to fail", async || {
        world
            .jirasync(&["outbox", "list", "--failed"])
            .await
            .lines()
            .count()
            == 2
    })
    .await;
    let failed = world.jirasync(&["outbox", "list", "--failed"]).await;
    assert!(
        failed.contains(
            "no transition of SHOP-1 leads from Closed (6) to status 1 (on_unresolve of project \
             SHOP's mapping); available: 51 Reopen Issue → Reopened (4)"
        ),
        "{failed}"
    );
    assert_eq!(world.jira_status(), "6");
    // Removing the mapping, then removing it again.
    assert_eq!(
        world
            .jirasync(&["status-mapping", "remove", "--organization", "acme", "SHOP"])
            .await,
        "removed: the status mapping of project SHOP\n"
    );
    let deployment = world.deployment.clone();
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        deployment.jirasync_refused(&["status-mapping", "remove", "--organization", "acme", "SHOP"])
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("organization \"acme\" has no status mapping for project \"SHOP\""),
        "{stderr}"
    );
    // One transition (to Closed); none attempted for the impossible one.
    assert_eq!(world.applied_transitions(), 1);
    assert_eq!(
        world
            .jira
            .calls("POST", "/rest/api/2/issue/SHOP-1/transitions")
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jiras_webhook_for_our_own_transition_changes_nothing_and_sends_nothing_back() {
    let world = World::new().await;
    world.map_statuses("Resolved", "Reopened").await;
    world.set_status("resolved").await;
    world.wait_for_jira_status("5").await;
    let resolved = world
        .jira
        .issue_updated_webhook("SHOP-1")
        .expect("Jira's webhook for the transition");
    let items = resolved["changelog"]["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|item| item["field"] == "status" && item["to"] == "5"),
        "{resolved}"
    );
    // The application reopens its issue, and Jira follows, before Jira's webhook for the
    // resolve arrives (late, as webhooks can be).
    world.set_status("unresolved").await;
    world.wait_for_jira_status("4").await;
    let reopened = world.jira.issue_updated_webhook("SHOP-1").unwrap();
    let client = reqwest::Client::new();
    let store = world.deployment.open_store().await;
    for echo in [resolved, reopened] {
        let answer = post(
            &client,
            &world.base,
            &world.webhook_path,
            serde_json::to_vec(&echo).unwrap(),
        )
        .await;
        assert!(answer.status == 200 || answer.status == 202, "{answer:?}");
        wait_until_drained(store.as_ref()).await;
        // Not applied back: the newer local change stands, and no outbound work was made.
        assert_eq!(world.local_status().await, json!("unresolved"));
        assert_eq!(
            world.jirasync(&["outbox", "list"]).await.lines().count(),
            3,
            "header, resolve, unresolve"
        );
    }
    assert_eq!(world.applied_transitions(), 2);
    assert_eq!(world.jira_status(), "4");
}
