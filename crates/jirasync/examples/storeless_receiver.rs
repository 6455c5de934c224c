//! The webhook path without its store, to show what the store costs on this machine: a
//! receiver that does what `jirasync serve` does to a delivery before the store. It serves the
//! webhook route on one thread (the runtime `serve` runs by default), reads the body, parses and
//! classifies it with `jirasync-webhook`, and answers `200` (`400` for a body that is not a Jira
//! payload). It checks no token and stores nothing, so no design that writes a delivery before
//! answering can go faster under the same load: `scripts/compare-python.sh storeless` measures
//! it beside the Python receiver and the real scenarios, in one run (docs/performance.md).
//!
//! ```text
//! cargo run --release -p jirasync --example storeless_receiver [-- --listen 127.0.0.1:0]
//! ```
//!
//! Prints `jirasync listening on http://ADDRESS` once it listens, as `serve` does; stops on
//! SIGINT or SIGTERM.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::StatusCode;
use axum::routing::post;
use jirasync_axum::{WEBHOOK_ROUTE, WEBHOOK_ROUTE_WITHOUT_SLASH};
use jirasync_webhook::{Classification, parse_and_classify};

/// The largest body read, as `serve`'s default limit.
const BODY_LIMIT: usize = 1024 * 1024;

/// Parses and classifies the body, and answers as the real route does when it has nothing to
/// store.
async fn webhook(Path(_token): Path<String>, body: Bytes) -> (StatusCode, &'static str) {
    match parse_and_classify(&body) {
        Ok(Classification::Changes(_)) => (StatusCode::OK, r#"{"status":"accepted"}"#),
        Ok(_) => (StatusCode::OK, r#"{"status":"ignored"}"#),
        Err(_) => (StatusCode::BAD_REQUEST, r#"{"error":"invalid payload"}"#),
    }
}

fn listen_address() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => Ok("127.0.0.1:0".to_owned()),
        (Some("--listen"), Some(address), None) => Ok(address),
        _ => Err("usage: storeless_receiver [--listen ADDRESS]".to_owned()),
    }
}

async fn run(address: String) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    let local = listener
        .local_addr()
        .map_err(|error| format!("cannot read the listening address: {error}"))?;
    println!("jirasync listening on http://{local}");
    let app = Router::new()
        .route(WEBHOOK_ROUTE, post(webhook))
        .route(WEBHOOK_ROUTE_WITHOUT_SLASH, post(webhook))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped())
        .await
        .map_err(|error| format!("the server failed: {error}"))
}

/// Resolves on SIGINT or SIGTERM.
async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn main() -> ExitCode {
    let outcome = listen_address().and_then(|address| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the runtime: {error}"))?
            .block_on(run(address))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("storeless_receiver: {message}");
            ExitCode::FAILURE
        }
    }
}
