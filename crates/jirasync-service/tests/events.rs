//! Outgoing events end to end in the service: a subscriber that fails once is retried after a
//! back-off and gets the event once, correctly signed; one that cannot be reached is
//! dead-lettered once the retry time has passed; the long-poll feed wakes on a commit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use jirasync_core::{Clock, ManualClock, RetryPolicy};
use jirasync_domain::events::{
    DeliveryFilter, DeliveryStatus, EventCursor, EventIds, EventTimestamp, SigningSecret,
};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::{EventStore, InMemoryStore, IssueLinkStore, Seed};
use jirasync_service::events::{
    DispatcherOptions, EventDispatcher, EventFeed, SubscriptionRequest, create_subscription, sign,
};
use jirasync_webhook::IssueKey;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Scene {
    store: Arc<InMemoryStore>,
    clock: Arc<ManualClock>,
    organization: OrganizationId,
    integration: IntegrationId,
    issue: LocalIssueId,
}

/// A store whose events are stamped by a manual clock, with one organization, one integration
/// and one local issue.
async fn scene() -> Scene {
    let clock = Arc::new(ManualClock::at_unix_timestamp(1_800_000_000));
    let store = Arc::new(InMemoryStore::with_event_ids(EventIds::new(
        clock.clone(),
        Box::new(rand_core::OsRng),
    )));
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let integration = store
        .seed_integration(
            ExternalId::for_jira("jira.example.com", "jirasync"),
            "jirasync",
            IntegrationMetadata {
                base_url: "https://jira.example.com".into(),
                domain_name: "jira.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap();
    store
        .seed_organization_integration(
            organization,
            integration,
            LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    let project = store.seed_project(organization, "web").await.unwrap();
    let issue = store
        .seed_local_issue(project, ResolutionStatus::Unresolved, None)
        .await
        .unwrap();
    Scene {
        store,
        clock,
        organization,
        integration,
        issue,
    }
}

impl Scene {
    async fn subscribe(&self, url: &str, secret: Option<&str>) {
        create_subscription(
            self.store.as_ref(),
            self.clock.as_ref(),
            SubscriptionRequest {
                url: url.to_owned(),
                description: "test".into(),
                secret: secret.map(str::to_owned),
            },
        )
        .await
        .unwrap();
    }

    async fn link(&self, key: &str) {
        self.store
            .link_issue(
                self.organization,
                self.integration,
                &IssueKey::new(key),
                self.issue,
            )
            .await
            .unwrap();
    }

    fn dispatcher(&self, retry_for: Duration) -> EventDispatcher {
        EventDispatcher::new(
            self.store.clone(),
            self.clock.clone(),
            DispatcherOptions {
                retry: RetryPolicy::new(u32::MAX, Duration::from_secs(1), Duration::from_secs(60)),
                retry_for,
                request_timeout: Duration::from_secs(5),
                ..DispatcherOptions::default()
            },
        )
        .unwrap()
    }

    async fn deliveries(
        &self,
        status: DeliveryStatus,
    ) -> Vec<jirasync_domain::events::DeliveryRecord> {
        self.store
            .deliveries(DeliveryFilter {
                status: Some(status),
                limit: 0,
            })
            .await
            .unwrap()
    }
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test]
async fn a_subscriber_failing_once_is_retried_after_a_backoff_and_gets_the_event_once() {
    let s = scene().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    s.subscribe(&format!("{}/hook", server.uri()), Some(SECRET))
        .await;
    s.link("APP-1").await;
    let dispatcher = s.dispatcher(Duration::from_secs(3600));

    assert_eq!(dispatcher.dispatch_once().await.unwrap(), 1);
    let pending = s.deliveries(DeliveryStatus::Pending).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(
        pending[0].last_error.as_deref(),
        Some("the subscriber answered HTTP 500")
    );
    // The back-off after the first failure: between half a second and a second (equal jitter).
    let now = EventTimestamp::from_system_time(s.clock.now()).unix_millis();
    let wait = pending[0].at.unix_millis() - now;
    assert!((500..=1000).contains(&wait), "waits {wait} ms");
    // Not before its time.
    assert_eq!(dispatcher.dispatch_once().await.unwrap(), 0);
    s.clock.advance(Duration::from_secs(1));
    assert_eq!(dispatcher.dispatch_once().await.unwrap(), 1);
    assert_eq!(dispatcher.dispatch_once().await.unwrap(), 0);
    let delivered = s.deliveries(DeliveryStatus::Delivered).await;
    assert_eq!(delivered.len(), 1);

    // Two requests in all, the same event each time, signed with the subscriber's secret.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let event = &delivered[0].event.event;
    for request in &requests {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("webhook-id"), event.id.as_str());
        assert_eq!(header("content-type"), "application/json");
        let timestamp: u64 = header("webhook-timestamp").parse().unwrap();
        let expected = sign(
            &SigningSecret::parse(SECRET).unwrap(),
            event.id.as_str(),
            timestamp,
            &request.body,
        )
        .unwrap();
        assert_eq!(header("webhook-signature"), expected);
        assert_eq!(request.body, event.to_json_bytes());
    }
    let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(body["type"], "issue.linked");
    assert_eq!(body["data"]["jira_key"], "APP-1");
}

#[tokio::test]
async fn an_unreachable_subscriber_is_dead_lettered_after_the_retry_time() {
    let s = scene().await;
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    s.subscribe(&format!("http://127.0.0.1:{port}/hook"), None)
        .await;
    s.link("APP-1").await;
    s.link("APP-2").await;
    let dispatcher = s.dispatcher(Duration::from_secs(30));

    let mut attempts = 0;
    while s.deliveries(DeliveryStatus::Dead).await.is_empty() {
        attempts += dispatcher.dispatch_once().await.unwrap();
        s.clock.advance(Duration::from_secs(1));
        assert!(attempts < 100, "never dead-lettered");
    }
    let dead = s.deliveries(DeliveryStatus::Dead).await;
    assert_eq!(dead.len(), 1, "the first event of the issue dies first");
    let error = dead[0].last_error.as_deref().unwrap();
    assert!(
        error.starts_with("the request could not connect"),
        "{error}"
    );
    // Dead after 30 s, with a back-off that grew: far fewer attempts than seconds.
    assert!(
        dead[0].attempts >= 3 && dead[0].attempts <= 8,
        "{}",
        dead[0].attempts
    );
    let died = dead[0].at.unix_millis() - dead[0].event.event.timestamp.unix_millis();
    assert!(died >= 30_000, "dead after {died} ms");
    // The issue's next event is no longer held back by it.
    let pending = s.deliveries(DeliveryStatus::Pending).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 0);
    assert_eq!(dispatcher.dispatch_once().await.unwrap(), 1);
}

#[tokio::test]
async fn the_feed_wakes_when_an_event_is_committed() {
    let s = scene().await;
    let feed = EventFeed::new(s.store.clone()).with_poll(Duration::from_secs(3600));
    // Nothing yet: a zero wait answers at once, empty.
    let none = feed
        .wait_for_events(EventCursor::START, 10, Duration::ZERO)
        .await
        .unwrap();
    assert!(none.is_empty());
    let waiting = {
        let feed = feed.clone();
        tokio::spawn(async move {
            feed.wait_for_events(EventCursor::START, 10, Duration::from_secs(60))
                .await
                .unwrap()
        })
    };
    tokio::task::yield_now().await;
    s.link("APP-7").await;
    // Woken by the commit (the poll is an hour): a generous bound on the wait.
    let events = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the feed was not woken")
        .unwrap();
    assert_eq!(events.len(), 1);
    let after = feed
        .wait_for_events(events[0].cursor, 10, Duration::ZERO)
        .await
        .unwrap();
    assert!(after.is_empty());
}
