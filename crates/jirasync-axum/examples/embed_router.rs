//! Mount jirasync's webhook route into an existing axum application: build the service from
//! jirasync's store and the application's host (both the in-memory store here), in inline mode,
//! serve it on 127.0.0.1, post a Jira-shaped delivery to it over HTTP, and print the local
//! issue's assignee before and after.
//!
//! ```sh
//! cargo run -p jirasync-axum --example embed_router
//! ```
//!
//! A production embedding passes a SQL store from `jirasync-store` as the store, its own
//! implementation of [`Host`] (six methods over its own tables) as the host,
//! [`jirasync_service::ClientJiraDirectory`] instead of [`StaticJiraDirectory`], and usually keeps
//! the default inbox mode with [`jirasync_service::spawn_workers`] (see `docs/embedding.md`).

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use jirasync_axum::{AppState, routes, trace_layer};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::{Host, InMemoryStore, LocalIssueStore, Seed, StaticJiraDirectory, SyncStore};
use jirasync_service::{SyncService, WebhookMode};
use jirasync_webhook::{IssueKey, WebhookSecret, mint_token, webhook_url};

/// Jira Server 9 assigning APP-123 to jess@example.com.
const DELIVERY: &str = include_str!("../../../tests/fixtures/webhooks/assignee_set.json");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // The host application's data: one organization linked to one Jira installation, jess in a
    // team that works on the project, and a local issue linked to APP-123.
    let store = Arc::new(InMemoryStore::new());
    let org = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await?;
    let secret = WebhookSecret::generate();
    let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
    let jira = store
        .seed_integration(
            external_id.clone(),
            "jirasync",
            IntegrationMetadata {
                base_url: "https://jira.example.com".into(),
                domain_name: "jira.example.com".into(),
                verify_ssl: true,
                webhook_secrets: vec![secret.clone()],
            },
        )
        .await?;
    store
        .seed_organization_integration(org, jira, LinkStatus::Active, SyncConfig::all_on())
        .await?;
    let project = store.seed_project(org, "web").await?;
    let team = store.seed_team(org, "web-team").await?;
    store.seed_team_project(team, project).await?;
    let jess = store
        .seed_user(true, vec![UserEmail::verified("jess@example.com")])
        .await?;
    store.seed_team_member(team, jess, true).await?;
    let issue = store
        .seed_local_issue(project, ResolutionStatus::Unresolved, None)
        .await?;
    store
        .seed_issue_link(org, jira, &IssueKey::new("APP-123"), issue)
        .await?;
    println!("user {jess:?} is jess@example.com; local issue {issue:?} is linked to APP-123");

    // jirasync's service: its own bookkeeping (integrations, links, watermarks) in `sync_store`,
    // the application's users and issues behind `host`. The in-memory store plays both parts.
    let sync_store: Arc<dyn SyncStore> = store.clone();
    let host: Arc<dyn Host> = store.clone();
    let service = SyncService::builder(sync_store, host, Arc::new(StaticJiraDirectory::new()))
        .mode(WebhookMode::Inline)
        .build()?;
    let state = AppState::new(service);

    // The existing application, with a route of its own, and jirasync's routes merged in.
    let app = Router::new()
        .route(
            "/hello",
            get(|| async { "hello from the host application\n" }),
        )
        .merge(routes(&state).layer(trace_layer()).with_state(state));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // Either a stop message or a dropped sender ends the server.
                let _ = stopped.await;
            })
            .await
    });
    println!("serving on http://{address}");

    let hello = http_request(address, "GET", "/hello", "").await?;
    println!("GET /hello -> {}", status_line(&hello));

    let before = store
        .local_issue(issue)
        .await?
        .and_then(|issue| issue.assignee);
    println!("assignee before: {before:?}");

    // Jira posts to the URL registered with its webhook; the token in it names the installation.
    let token = mint_token(external_id.as_str(), &secret);
    let path = webhook_url("", &token);
    let response = http_request(address, "POST", &path, DELIVERY).await?;
    println!(
        "POST /extensions/jira-server/issue-updated/[redacted]/ -> {}",
        status_line(&response)
    );

    let after = store
        .local_issue(issue)
        .await?
        .and_then(|issue| issue.assignee);
    println!("assignee after:  {after:?}");

    let _ = stop.send(());
    server.await??;
    println!("server stopped");
    Ok(())
}

/// Sends one HTTP/1.1 request with a JSON body and returns the whole response, on a blocking
/// thread (a real service would use its HTTP client; this keeps the example's dependencies to
/// the crate's own).
async fn http_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<String> {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address)?;
        stream.write_all(request.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The status line and the body of a raw HTTP response.
fn status_line(response: &str) -> String {
    let status = response.lines().next().unwrap_or_default();
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body.trim());
    format!("{status} {body}")
}
