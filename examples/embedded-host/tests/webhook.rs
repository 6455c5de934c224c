//! A Jira delivery end to end through the embedded application: the HTTP route verifies the
//! token, jirasync decides with its bookkeeping in the application's database file, and the
//! application's own ticket ends assigned, with one history entry; the same delivery again
//! changes nothing.
#![allow(clippy::unwrap_used, reason = "a panic is a failed test")]

use jirasync_example_embedded_host::{Embedded, demo_scene};

const DELIVERY: &[u8] = include_bytes!("../../../tests/fixtures/webhooks/assignee_set.json");

async fn post(address: std::net::SocketAddr, path: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://{address}{path}"))
        .header("content-type", "application/json")
        .body(DELIVERY)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn ticket(app: &Embedded) -> (Option<i64>, Vec<String>) {
    let pool = app.host.pool();
    let assignee = sqlx::query_scalar("SELECT assignee_id FROM app_tickets WHERE id = 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let history = sqlx::query_scalar("SELECT what FROM app_ticket_history WHERE ticket_id = 1")
        .fetch_all(pool)
        .await
        .unwrap();
    (assignee, history)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_delivery_assigns_the_applications_ticket_once() {
    let directory = tempfile::tempdir().unwrap();
    let app = Embedded::open(&directory.path().join("tickets.db"))
        .await
        .unwrap();
    let webhook = demo_scene(&app).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let routes = app.routes();
    tokio::spawn(async move { axum::serve(listener, routes).await });

    assert_eq!(post(address, &webhook).await, 200);
    assert_eq!(ticket(&app).await, (Some(1), vec!["assigned".to_owned()]));

    // Jira sends it again: recognised by its delivery key, nothing changes.
    assert_eq!(post(address, &webhook).await, 200);
    assert_eq!(ticket(&app).await, (Some(1), vec!["assigned".to_owned()]));

    // A tampered token is refused.
    let tampered = webhook.replacen("issue-updated/", "issue-updated/x", 1);
    assert_eq!(post(address, &tampered).await, 400);
}

#[tokio::test]
async fn jirasync_keeps_its_bookkeeping_in_its_own_tables_of_the_same_file() {
    let directory = tempfile::tempdir().unwrap();
    let app = Embedded::open(&directory.path().join("tickets.db"))
        .await
        .unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(app.host.pool())
            .await
            .unwrap();
    assert!(
        tables.iter().any(|name| name == "app_tickets"),
        "{tables:?}"
    );
    assert!(
        tables.iter().any(|name| name == "jirasync_external_issues"),
        "{tables:?}"
    );
    // Only jirasync's bookkeeping: none of the standalone service's own tables.
    for standalone in ["users", "teams", "projects", "local_issues", "activities"] {
        assert!(!tables.iter().any(|name| name == standalone), "{tables:?}");
    }
    let foreign: Vec<&String> = tables
        .iter()
        .filter(|name| !name.starts_with("app_") && !name.starts_with("jirasync_"))
        .filter(|name| !name.starts_with("sqlite_"))
        .collect();
    assert!(foreign.is_empty(), "tables of neither side: {foreign:?}");
}
