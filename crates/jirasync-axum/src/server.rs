//! Serving an application with bounds on what one client can hold: [`serve_bounded`] and its
//! [`ServerLimits`].
//!
//! `axum::serve` gives hyper no timer, so a connection may take any time to send its request
//! head, and a request any time to send its body: a client sending a byte a minute holds a
//! connection (and a task) for as long as it likes, and enough of them exhaust the process's
//! file descriptors before any token is checked. Here:
//!
//! - the request head (request line and headers) must arrive within
//!   [`ServerLimits::header_read_timeout`], else hyper closes the connection (no answer: there is
//!   no request to answer yet);
//! - the body must arrive within [`ServerLimits::body_read_timeout`] from the end of the head,
//!   else the request is answered 408 and the connection closed;
//! - at most [`ServerLimits::max_connections`] connections are served at once; one more is
//!   answered 503 with `Retry-After: 1` and closed at once, without reading its request.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::error::ApiError;

/// The bounds [`serve_bounded`] holds every connection to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's line and headers (each request of a
    /// kept-alive connection included); the connection is closed after it.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body, from the end of its headers; the
    /// request is answered 408 after it.
    pub body_read_timeout: Duration,
    /// How many connections are served at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

impl ServerLimits {
    /// The default header-read timeout: 10 seconds, plenty for Jira on any network.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default body-read timeout: 30 seconds, a 1 MiB body at 35 KiB/s.
    pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default connection limit: 512, well under the usual soft limit of 1024 file
    /// descriptors (leaving room for the database and Jira connections), and far more than a
    /// Jira instance opens.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: Self::DEFAULT_BODY_READ_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` within `limits` (see the module docs) until `shutdown`
/// completes; then stops accepting, lets each connection finish its request in flight, and
/// returns once all are closed. HTTP/1.1 only, as Jira speaks it.
///
/// # Errors
///
/// None today: a failed `accept` (out of file descriptors, a connection reset before it was
/// accepted) is logged and retried. The `io::Result` leaves room for failures a later version
/// cannot recover from.
pub async fn serve_bounded<F>(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = app.layer(from_fn_with_state(limits.body_read_timeout, body_deadline));
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Dropping `stop_rx` tells the connections to finish; each holds a `closed_rx` clone, so
    // `closed_tx.closed()` resolves once all are gone.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (closed_tx, closed_rx) = watch::channel(());

    loop {
        let (stream, _remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after_accept_error(&error).await;
                    continue;
                }
            },
            () = stop_tx.closed() => break,
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection-limit-reached"
            );
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let stop_tx = stop_tx.clone();
        let closed_rx = closed_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => log_connection_end(result),
                () = stop_tx.closed() => {
                    connection.as_mut().graceful_shutdown();
                    log_connection_end(connection.await);
                }
            }
            drop(permit);
            drop(closed_rx);
        });
    }

    drop(closed_rx);
    drop(listener);
    closed_tx.closed().await;
    Ok(())
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        // A header-read timeout ends here too: the client never sent a whole request.
        tracing::debug!(%error, "connection-ended");
    }
}

/// After a failed `accept`: a connection reset before it was accepted is nothing; anything
/// else (out of file descriptors) is logged, and the loop waits a moment so it does not spin.
async fn wait_after_accept_error(error: &io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "accept-failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The body of the answer to a connection over the limit.
const OVER_LIMIT_DETAIL: &str = r#"{"detail":"Too many connections: retry later"}"#;

/// The whole answer to a connection over the limit.
fn over_limit_response() -> String {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{OVER_LIMIT_DETAIL}",
        OVER_LIMIT_DETAIL.len()
    )
}

/// Answers 503 to a connection over the limit and closes it, without reading its request; a
/// client that does not take the answer within a second is dropped.
async fn refuse_connection(mut stream: TcpStream) {
    let answered = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(over_limit_response().as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
    if let Ok(Err(error)) = answered {
        tracing::debug!(%error, "connection-refusal-failed");
    }
}

/// Gives the request's body a deadline `timeout` from now; a request whose body missed it is
/// answered 408 (whatever the handler made of the failed read) and its connection closed.
async fn body_deadline(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let timed_out = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timed_out: Arc::clone(&timed_out),
        })
    });
    let response = next.run(request).await;
    if !timed_out.load(Ordering::Acquire) {
        return response;
    }
    let detail = format!(
        "The request body did not arrive within {} seconds",
        timeout.as_secs_f64()
    );
    let mut response = ApiError::new(StatusCode::REQUEST_TIMEOUT, detail).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails with [`BodyTimedOut`] once its deadline passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
}

/// The body of a request did not arrive before its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.timed_out.store(true, Ordering::Release);
                Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
