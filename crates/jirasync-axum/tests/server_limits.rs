//! `serve_bounded` over real sockets: a client that stalls in its headers is disconnected, one
//! that stalls in its body is answered 408, and the connection over the limit is answered 503
//! while the others are served. Times are bounded generously: the limits are half a second, the
//! assertions allow ten.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use jirasync_axum::{ServerLimits, router, serve_bounded};
use jirasync_domain::StaticJiraDirectory;
use support::World;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A generous bound on anything the server should do within half a second.
const BOUND: Duration = Duration::from_secs(10);

/// The server on 127.0.0.1 with `limits`, until the sender is dropped.
async fn start(limits: ServerLimits) -> (SocketAddr, oneshot::Sender<()>) {
    let world = World::new().await;
    let app = router(world.inline(StaticJiraDirectory::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_bounded(listener, app, limits, async move {
        let _ = stopped.await;
    }));
    (address, stop)
}

fn half_second_limits(max_connections: usize) -> ServerLimits {
    ServerLimits {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
        max_connections,
    }
}

/// Everything the server sends until it closes the connection, within [`BOUND`].
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut answer))
        .await
        .expect("the server kept the connection open")
        .unwrap_or_default();
    String::from_utf8_lossy(&answer).into_owned()
}

/// One `GET /healthz` on a new connection: the status line.
async fn healthz(address: SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let (address, _stop) = start(half_second_limits(8)).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    for byte in b"POST /extensions/jira-server/issue-updated/eyJ" {
        stream.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Then nothing: the server closes the connection without an answer.
    let answer = read_until_closed(&mut stream).await;
    assert!(!answer.contains("200"), "{answer}");
    assert_eq!(healthz(address).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_client_that_stalls_in_its_body_is_answered_408() {
    let (address, _stop) = start(half_second_limits(8)).await;
    let world = World::new().await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n",
        world.path()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"timestamp\":").await.unwrap();

    // Then nothing: 408, and the connection is closed.
    let answer = read_until_closed(&mut stream).await;
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("The request body did not arrive within 0.5 seconds"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_connection_over_the_limit_is_answered_503_until_one_closes() {
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(60),
        ..half_second_limits(1)
    };
    let (address, _stop) = start(limits).await;
    // The one connection allowed: served, then kept alive and idle.
    let mut holder = TcpStream::connect(address).await.unwrap();
    holder
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0_u8; 15];
    tokio::time::timeout(BOUND, holder.read_exact(&mut first))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK");

    // One more: 503 at once, and closed.
    let mut extra = TcpStream::connect(address).await.unwrap();
    let answer = read_until_closed(&mut extra).await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("retry-after: 1\r\n"), "{answer}");
    assert!(answer.ends_with(r#"{"detail":"Too many connections: retry later"}"#));

    // Once the holder leaves, its place is free again (the server notices the close soon).
    drop(holder);
    let served = tokio::time::timeout(BOUND, async {
        loop {
            let status = healthz(address).await;
            if status == "HTTP/1.1 200 OK" {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "the freed place was never given out");
}

#[tokio::test]
async fn shutting_down_stops_accepting_and_returns() {
    let world = World::new().await;
    let app = router(world.inline(StaticJiraDirectory::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_bounded(
        listener,
        app,
        ServerLimits::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    assert_eq!(healthz(address).await, "HTTP/1.1 200 OK");

    drop(stop);
    let result = tokio::time::timeout(BOUND, server).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "{result:?}");
    assert!(TcpStream::connect(address).await.is_err());
}
