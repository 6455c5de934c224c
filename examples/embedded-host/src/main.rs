//! The embedded application as a program: its database in a temporary directory, jirasync's
//! routes served on 127.0.0.1, one Jira delivery (APP-123 assigned to jess@example.com) posted
//! to them, and the ticket printed before and after.

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;

use jirasync_example_embedded_host::{Embedded, demo_scene};

/// Jira Server 9 assigning APP-123 to jess@example.com.
const DELIVERY: &[u8] = include_bytes!("../../../tests/fixtures/webhooks/assignee_set.json");

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let directory = tempfile::tempdir()?;
    let app = Embedded::open(&directory.path().join("tickets.db")).await?;
    let webhook = demo_scene(&app).await?;
    println!("ticket 1 before: {:?}", ticket(&app).await?);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let routes = app.routes();
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let answer = post(&format!("http://{address}{webhook}"), DELIVERY).await?;
    println!("Jira's delivery answered {answer}");
    println!("ticket 1 after: {:?}", ticket(&app).await?);
    Ok(())
}

/// Ticket 1's assignee and history.
async fn ticket(app: &Embedded) -> Result<(Option<i64>, Vec<String>), sqlx::Error> {
    let pool = app.host.pool();
    let assignee = sqlx::query_scalar("SELECT assignee_id FROM app_tickets WHERE id = 1")
        .fetch_one(pool)
        .await?;
    let history = sqlx::query_scalar("SELECT what FROM app_ticket_history WHERE ticket_id = 1")
        .fetch_all(pool)
        .await?;
    Ok((assignee, history))
}

/// POSTs `body` with plain HTTP/1.1 on a TCP stream (no HTTP client needed); the status line.
async fn post(url: &str, body: &[u8]) -> Result<String, Box<dyn Error>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rest = url.strip_prefix("http://").ok_or("an http URL")?;
    let (host, path) = rest.split_once('/').ok_or("a URL with a path")?;
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}
