//! The webhook token never reaches a span field or a log event: every field of every span and
//! event is captured while deliveries go through the router and the workers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use jirasync_axum::{SetupState, router};
use jirasync_domain::DirectoryError;
use jirasync_domain::StaticJiraDirectory;
use jirasync_service::process_available;
use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
use support::{World, fixture, post, send};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Every span and event, as `name field=value …` lines.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Capture {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut line = format!("span {}", attrs.metadata().name());
        attrs.record(&mut Fields(&mut line));
        self.push(line);
    }

    fn on_record(&self, _id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut line = "record".to_owned();
        values.record(&mut Fields(&mut line));
        self.push(line);
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = format!("event {}", event.metadata().target());
        event.record(&mut Fields(&mut line));
        self.push(line);
    }
}

#[tokio::test]
async fn no_span_or_event_holds_the_token() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let world = World::new().await;
    let token = world.token();
    let wrong_token = mint_token(world.external_id.as_str(), &WebhookSecret::new("wrong"));
    let (state, _inbox) = world.inbox(StaticJiraDirectory::new());
    let app = router(state.clone());
    let inline = router(world.inline(StaticJiraDirectory::new().failing(
        DirectoryError::Unreachable {
            message: "connect timed out".into(),
        },
    )));

    let path = world.path();
    post(&app, &path, fixture("assignee_set.json")).await;
    post(
        &app,
        path.trim_end_matches('/'),
        fixture("assignee_and_status.json"),
    )
    .await;
    post(&app, &path, b"not json".to_vec()).await;
    post(
        &app,
        &webhook_url("", &wrong_token),
        fixture("assignee_set.json"),
    )
    .await;
    post(&app, &format!("{path}extra/"), fixture("assignee_set.json")).await;
    send(
        &app,
        "GET",
        &format!("{path}?token={}", token.expose_secret()),
        Vec::new(),
    )
    .await;
    post(&inline, &path, fixture("status_changed.json")).await;
    process_available(state.service()).await.unwrap();

    let lines = capture.lines();
    // The capture works: the refusals and the request spans are there.
    let seen = |needle: &str| lines.iter().any(|line| line.contains(needle));
    assert!(seen("token-validation-error"), "{lines:#?}");
    assert!(seen("sync-failed"), "{lines:#?}");
    assert!(
        seen("path=/extensions/jira-server/issue-updated/{token}/"),
        "{lines:#?}"
    );
    assert!(seen("path=<unmatched>"), "{lines:#?}");
    // And none of it holds either token, or even one of their signatures.
    for secret in [token.expose_secret(), wrong_token.expose_secret()] {
        let signature = secret.rsplit('.').next().unwrap();
        for line in &lines {
            assert!(!line.contains(signature), "token in {line:?}");
        }
    }
}

/// A `MakeWriter` into a shared buffer: what `RUST_LOG=debug` would print on standard error.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn near_misses_of_the_webhook_route_never_log_the_token() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let world = World::new().await;
    // The application as `jirasync serve` composes it: the webhook, health and setup routes
    // under one trace layer.
    let state = world.inline(StaticJiraDirectory::new());
    let setup = SetupState::new(world.store.clone(), "https://sync.example.com");
    let app = jirasync_axum::routes(&state)
        .with_state(state)
        .merge(jirasync_axum::setup_router(setup))
        .layer(jirasync_axum::trace_layer());
    let token = world.token();
    let secret = token.expose_secret();
    let near_misses = [
        format!("/Extensions/jira-server/issue-updated/{secret}/"),
        format!("//extensions/jira-server/issue-updated/{secret}/"),
        format!("/extensions/jira-server/issue-updated%2F{secret}/"),
        format!("/extensions/jira-server/setup/{secret}"),
        format!("/extensions/jira-server/issue-updated/{secret}/extra"),
    ];
    for path in &near_misses {
        post(&app, path, fixture("assignee_set.json")).await;
        send(&app, "GET", path, Vec::new()).await;
    }

    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    // The capture works: each request was logged, with the path it could record.
    assert!(output.contains("path=<unmatched>"), "{output}");
    assert!(output.contains("started processing request"), "{output}");
    // None of it holds the token, or any of its three parts.
    for part in secret.split('.') {
        assert!(!output.contains(part), "token part {part:?} in\n{output}");
    }
}
