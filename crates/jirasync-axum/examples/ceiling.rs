//! The load test's ceiling: a bare axum server that answers `200` to any `POST` and does nothing
//! else, so `scripts/loadtest.sh` can compare jirasync's webhook route with the cost of HTTP
//! alone on the same machine.
//!
//! ```sh
//! cargo run -p jirasync-axum --example ceiling -- 127.0.0.1:0
//! ```
//!
//! Binds the address given as the only argument (default `127.0.0.1:0`), prints
//! `listening on http://ADDR` once ready, and serves until it is killed.

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    // Any POST to any path, with whatever body: read, then answered 200 with an empty body.
    let app = Router::new().fallback(post(|_body: axum::body::Bytes| async { StatusCode::OK }));
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
