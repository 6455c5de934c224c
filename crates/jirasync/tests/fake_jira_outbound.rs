//! The fake Jira's outbound endpoints, driven by the real client: changes land in the fake's
//! issues and history, refusals are Jira's, "Jira down" answers 503 and changes nothing, every
//! call is recorded with its body, and the deliveries it builds for its changes classify as
//! Jira's own would.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use e2e_support::fake_jira::{FakeIssue, FakeJira, FakeUser};
use e2e_support::{CONSUMER_KEY, private_key};
use jirasync_client::{
    AccessToken, Assignment, BaseUrl, ClientOptions, ConsumerKey, CreateMetaApi, Credentials,
    JiraClient, RetryPolicy, TokenSecret,
};
use jirasync_webhook::{Classification, parse_and_classify};
use serde_json::{Value, json};

async fn jira(version: &str) -> (FakeJira, JiraClient) {
    let jira = FakeJira::start(version, CONSUMER_KEY, private_key().public_key()).await;
    jira.trust_access_token("outbound-token", "outbound-secret");
    jira.add_user(FakeUser::new(
        "jdoe",
        "JIRAUSER10100",
        Some("jdoe@example.com"),
    ));
    jira.add_user(FakeUser::new("hidden", "JIRAUSER10200", None));
    jira.add_user(FakeUser::new("former", "JIRAUSER10300", Some("former@example.com")).inactive());
    jira.add_user(
        FakeUser::new("viewer", "JIRAUSER10400", Some("viewer@example.com")).not_assignable(),
    );
    jira.set_issue(
        "SHOP-1",
        FakeIssue {
            assignee: None,
            status: "1".to_owned(),
            updated: "2026-06-01T10:00:00.000+0000".to_owned(),
        },
    );
    let options =
        ClientOptions::new(BaseUrl::parse(jira.base_url()).unwrap()).retry(RetryPolicy::never());
    let credentials = Credentials::oauth1_rsa(
        ConsumerKey::new(CONSUMER_KEY),
        private_key(),
        AccessToken::new("outbound-token"),
        TokenSecret::new("outbound-secret"),
    );
    (jira, JiraClient::new(&options, credentials).unwrap())
}

fn classify(delivery: &Value) -> jirasync_webhook::ChangeSet {
    match parse_and_classify(&serde_json::to_vec(delivery).unwrap()).unwrap() {
        Classification::Changes(changes) => changes,
        other => panic!("no changes in {delivery}: {other:?}"),
    }
}

#[tokio::test]
async fn assign_transition_and_comment_change_the_issue_once_each() {
    let (jira, client) = jira("9.12.2").await;

    client
        .assign_issue("SHOP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap();
    let ids: Vec<String> = client
        .transitions("SHOP-1")
        .await
        .unwrap()
        .into_iter()
        .map(|transition| transition.id)
        .collect();
    assert_eq!(ids, ["11", "31", "41", "61"]);
    client.transition_issue("SHOP-1", "31").await.unwrap();
    let comment = client.add_comment("SHOP-1", "Fixed in 2.4").await.unwrap();

    let issue = jira.issue("SHOP-1").unwrap();
    assert_eq!(issue.assignee_name(), Some("jdoe"));
    assert_eq!(issue.status, "5");
    assert_eq!(issue.comments[0].body, "Fixed in 2.4");
    assert_eq!(comment.id, issue.comments[0].id.to_string());
    assert_eq!(comment.author_name.as_deref(), Some("admin"));
    let read = client
        .issue("SHOP-1", &["assignee", "status", "project"])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.status_category_key(), Some("done"));
    assert_eq!(read.project_key(), Some("SHOP"));
    assert!(!read.fields.contains_key("summary"));
    let assigns = jira.applied_calls("PUT", "/rest/api/2/issue/SHOP-1/assignee");
    assert_eq!(assigns.len(), 1);
    assert_eq!(assigns[0].json(), json!({"name": "jdoe"}));
    assert_eq!(
        jira.applied_calls("POST", "/rest/api/2/issue/SHOP-1/transitions")[0].json(),
        json!({"transition": {"id": "31"}})
    );
}

#[tokio::test]
async fn refusals_are_jiras_and_change_nothing() {
    let (jira, client) = jira("9.12.2").await;

    for (name, message) in [
        ("nobody", "User 'nobody' does not exist."),
        ("former", "User 'former' cannot be assigned issues."),
        ("viewer", "User 'viewer' cannot be assigned issues."),
    ] {
        let error = client
            .assign_issue("SHOP-1", Assignment::User(name.into()))
            .await
            .unwrap_err();
        assert_eq!(
            error
                .field_errors()
                .unwrap()
                .get("assignee")
                .map(String::as_str),
            Some(message)
        );
        assert!(error.is_permanent());
    }
    let error = client.transition_issue("SHOP-1", "51").await.unwrap_err();
    assert!(
        error.error_messages()[0].starts_with(
            "It seems that you have tried to perform a workflow operation (Reopen Issue) that is \
             not valid for the current state of this issue (SHOP-1)."
        ),
        "{error}"
    );
    let error = client.add_comment("SHOP-9", "hello").await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.error_messages(), ["Issue Does Not Exist".to_owned()]);
    assert_eq!(client.issue("SHOP-9", &[]).await.unwrap(), None);

    let issue = jira.issue("SHOP-1").unwrap();
    assert_eq!((issue.assignee, issue.status.as_str()), (None, "1"));
    assert!(issue.history.is_empty() && issue.comments.is_empty());
}

#[tokio::test]
async fn jira_down_answers_503_and_a_later_attempt_is_applied_once() {
    let (jira, client) = jira("9.12.2").await;
    jira.set_down(true);

    let error = client
        .assign_issue("SHOP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert!(!error.is_permanent());
    assert_eq!(jira.issue("SHOP-1").unwrap().assignee, None);

    jira.set_down(false);
    client
        .assign_issue("SHOP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap();

    let path = "/rest/api/2/issue/SHOP-1/assignee";
    assert_eq!(jira.calls("PUT", path).len(), 2);
    assert_eq!(jira.applied_calls("PUT", path).len(), 1);
    assert_eq!(jira.issue("SHOP-1").unwrap().history.len(), 1);
}

#[tokio::test]
async fn create_with_createmeta_of_both_generations() {
    for (version, api) in [
        ("9.12.2", CreateMetaApi::PerIssueType),
        ("8.3.0", CreateMetaApi::Legacy),
    ] {
        let (jira, client) = jira(version).await;
        jira.require_create_field("SHOP", "customfield_10200", "Severity");

        let meta = client.create_meta("SHOP", "Bug").await.unwrap();
        assert_eq!(meta.api, api, "{version}");
        let mut fields = json!({
            "project": {"key": "SHOP"},
            "issuetype": {"id": meta.issue_type_id},
            "summary": "Checkout fails",
        })
        .as_object()
        .unwrap()
        .clone();
        let missing: Vec<&str> = meta
            .missing_required(&fields)
            .into_iter()
            .map(|field| field.key.as_str())
            .collect();
        assert_eq!(missing, ["customfield_10200"], "{version}");

        let error = client.create_issue(fields.clone()).await.unwrap_err();
        assert_eq!(
            error
                .field_errors()
                .unwrap()
                .get("customfield_10200")
                .map(String::as_str),
            Some("Severity is required.")
        );
        fields.insert("customfield_10200".into(), json!("high"));
        let created = client.create_issue(fields).await.unwrap();
        assert_eq!(created.key, "SHOP-2", "{version}");
        let issue = jira.issue(&created.key).unwrap();
        assert_eq!(
            (issue.summary.as_str(), issue.status.as_str()),
            ("Checkout fails", "1")
        );
        assert_eq!(issue.id, created.id);
    }
}

#[tokio::test]
async fn user_search_matches_names_and_visible_emails_of_active_users() {
    let (_jira, client) = jira("9.12.2").await;
    let names = |users: Vec<jirasync_client::JiraUser>| -> Vec<String> {
        users.into_iter().filter_map(|user| user.name).collect()
    };
    assert_eq!(
        names(client.search_users("jdoe@example.com", 10).await.unwrap()),
        ["jdoe"]
    );
    assert_eq!(
        names(client.search_users("hidden@", 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        names(client.search_users("former", 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        names(client.assignable_users("SHOP-1", "v", 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        names(client.search_users("viewer", 10).await.unwrap()),
        ["viewer"]
    );
}

#[tokio::test]
async fn deliveries_for_the_fakes_changes_classify_like_jiras() {
    let (jira, client) = jira("9.12.2").await;
    client
        .assign_issue("SHOP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap();
    let assigned = jira.issue_updated_webhook("SHOP-1").unwrap();
    client.transition_issue("SHOP-1", "31").await.unwrap();
    let resolved = jira.issue_updated_webhook("SHOP-1").unwrap();

    let changes = classify(&assigned);
    let assignee = changes.assignee.unwrap().assignee.unwrap();
    assert_eq!(assignee.key.as_deref(), Some("JIRAUSER10100"));
    assert_eq!(assignee.email_address.as_deref(), Some("jdoe@example.com"));
    assert_eq!(assigned["user"]["name"], "admin");
    assert_eq!(assigned["issue_event_type_name"], "issue_assigned");
    let status = classify(&resolved).status.unwrap();
    assert_eq!(
        (status.from.unwrap().as_str(), status.to.unwrap().as_str()),
        ("1", "5")
    );
    assert_eq!(
        resolved["issue"]["fields"]["status"]["statusCategory"]["key"],
        "done"
    );
    let history = jira.issue("SHOP-1").unwrap().history;
    assert!(history[0].timestamp < history[1].timestamp);
    assert_eq!(resolved["changelog"]["id"], history[1].id.to_string());

    let comment = client.add_comment("SHOP-1", "From the app").await.unwrap();
    let id: u64 = comment.id.parse().unwrap();
    let created = jira.comment_created_webhook("SHOP-1", id).unwrap();
    assert_eq!(created["webhookEvent"], "comment_created");
    assert_eq!(created["comment"]["body"], "From the app");
    assert!(
        created.get("issue").is_none(),
        "Jira Server strips the issue"
    );
    let commented = jira.issue_commented_webhook("SHOP-1", id).unwrap();
    assert_eq!(commented["issue"]["key"], "SHOP-1");
    assert_eq!(commented["issue_event_type_name"], "issue_commented");
    // The comment is synced (sync_comments); without the issue, `comment_created` is left to it.
    let Classification::Changes(changes) =
        parse_and_classify(&serde_json::to_vec(&commented).unwrap()).unwrap()
    else {
        panic!("the comment is a change");
    };
    let added = changes.comment.unwrap();
    assert_eq!(added.comment_id, id.to_string());
    assert_eq!(added.body, "From the app");
    assert!(matches!(
        parse_and_classify(&serde_json::to_vec(&created).unwrap()).unwrap(),
        Classification::NoChangelog
    ));
}
