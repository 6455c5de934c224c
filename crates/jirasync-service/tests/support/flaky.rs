//! A store and an inbox that answer like the in-memory ones until switched off, then fail every
//! call with `StoreError::Unavailable`. This crate's tests use them, and so do `jirasync-axum`'s,
//! which include this file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jirasync_domain::events::{
    DeliveryClaim, DeliveryFilter, DeliveryJob, DeliveryRecord, DeliveryResult, EventCursor,
    EventId, EventTimestamp, NewSubscriber, SigningSecret, StoredEvent, Subscriber, SubscriberId,
};
use jirasync_domain::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use jirasync_domain::ids::{ExternalActorId, IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::inbox::{
    ClaimedDelivery, DeliveryId, DeliveryState, DeliverySummary, Enqueued, FailOutcome, Inbox,
    InboxDepth, MemoryInbox, NewDelivery,
};
use jirasync_domain::integration::{
    ExternalId, Identity, Integration, OrganizationIntegration, SyncConfig,
};
use jirasync_domain::issue::{ExternalIssue, IssueLink, LinkedIssue};
use jirasync_domain::organization::Organization;
use jirasync_domain::outbound::{
    EchoField, NewOutboundWork, OutboundClaim, OutboundEcho, OutboundFilter, OutboundId,
    OutboundJob, OutboundResult, OutboundWork, OutboxCounts, StatusMapping,
};
use jirasync_domain::store::{
    EventHub, InstallPlan, Installation, IssueSyncRequest, IssueSyncStart, LinkRemoval,
    OrganizationLink, SyncKind,
};
use jirasync_domain::{
    EventStore, ExternalActorStore, InMemoryStore, IntegrationStore, IssueLinkStore,
    IssueSyncStore, OrganizationStore, OutboxStore, StaticJiraDirectory, StatusMappingStore,
    StoreError,
};
use jirasync_service::SyncService;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use super::{World, service_on};

/// Whether a flaky thing is down.
#[derive(Debug, Default)]
pub struct Switch(AtomicBool);

impl Switch {
    pub fn set_down(&self, down: bool) {
        self.0.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.0.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused (test switch)"))
        } else {
            Ok(())
        }
    }
}

/// An [`InMemoryStore`] that can be switched off: jirasync's store, without the host (the
/// application stays up; use `inner` as the host).
#[derive(Debug, Default)]
pub struct FlakyStore {
    pub inner: Arc<InMemoryStore>,
    pub switch: Switch,
}

impl FlakyStore {
    /// The seeded world on a flaky store that is down (the host, the same in-memory store, stays
    /// up), with a service on it in inbox mode (on `inbox`) and one in inline mode.
    pub async fn down_in_both_modes(inbox: Arc<dyn Inbox>) -> (World, Arc<Self>, [SyncService; 2]) {
        let flaky = Arc::new(Self::default());
        let world = World::on(flaky.inner.clone()).await;
        flaky.switch.set_down(true);
        let directory = Arc::new(StaticJiraDirectory::new());
        let host = flaky.inner.clone();
        let inbox_mode = service_on(flaky.clone(), host.clone(), directory.clone(), Some(inbox));
        let inline_mode = service_on(flaky.clone(), host, directory, None);
        (world, flaky, [inbox_mode, inline_mode])
    }
}

/// Implements `$trait` for `$flaky` by checking the switch, then calling `inner` (plain `fn`s
/// call `inner` without checking).
macro_rules! flaky {
    ($trait:ident for $flaky:ty {
        $(fn $plain:ident(&self) -> $plain_out:ty;)*
        $(async fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty;)*
    } $(written out { $($written:tt)* })?) => {
        #[async_trait]
        impl $trait for $flaky {
            $(
                fn $plain(&self) -> $plain_out {
                    self.inner.$plain()
                }
            )*
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$out, StoreError> {
                    self.switch.check()?;
                    self.inner.$name($($arg),*).await
                }
            )*
            $($($written)*)?
        }
    };
}

flaky! {
    OrganizationStore for FlakyStore {
        async fn organization(&self, id: OrganizationId) -> Option<Organization>;
        async fn organizations(&self) -> Vec<Organization>;
        async fn save_organization(&self, organization: Organization) -> ();
    }
}

flaky! {
    IntegrationStore for FlakyStore {
        async fn integration(&self, id: IntegrationId) -> Option<Integration>;
        async fn integrations(&self) -> Vec<Integration>;
        async fn integration_by_external_id(
            &self,
            provider: &str,
            external_id: &ExternalId,
        ) -> Option<Integration>;
        async fn organization_links(&self, integration_id: IntegrationId) -> Vec<OrganizationLink>;
        async fn identity(
            &self,
            organization_id: OrganizationId,
            integration_id: IntegrationId,
        ) -> Option<Identity>;
        async fn save_install(&self, plan: InstallPlan) -> Installation;
        async fn update_sync_config(
            &self,
            organization_id: OrganizationId,
            integration_id: IntegrationId,
            config: SyncConfig,
        ) -> OrganizationIntegration;
        async fn remove_link(
            &self,
            organization_id: OrganizationId,
            integration_id: IntegrationId,
        ) -> LinkRemoval;
    }
}

flaky! {
    IssueLinkStore for FlakyStore {
        async fn linked_issues(
            &self,
            integration_id: IntegrationId,
            key: &IssueKey,
            organizations: &[OrganizationId],
        ) -> Vec<LinkedIssue>;
        async fn link_issue(
            &self,
            organization_id: OrganizationId,
            integration_id: IntegrationId,
            key: &IssueKey,
            local_issue_id: LocalIssueId,
        ) -> IssueLink;
        async fn external_issues_of(&self, local_issue_id: LocalIssueId) -> Vec<ExternalIssue>;
        async fn unlink_issue(
            &self,
            organization_id: OrganizationId,
            integration_id: IntegrationId,
            key: &IssueKey,
            local_issue_id: LocalIssueId,
        ) -> ();
    }
}

flaky! {
    IssueSyncStore for FlakyStore {
        async fn begin_issue_sync(&self, request: IssueSyncRequest) -> IssueSyncStart;
        async fn watermark(
            &self,
            organization_id: OrganizationId,
            integration_id: IntegrationId,
            key: &IssueKey,
            kind: SyncKind,
        ) -> Option<EventTime>;
        async fn delivery_seen(
            &self,
            integration_id: IntegrationId,
            kind: SyncKind,
            delivery_key: &DeliveryKey,
        ) -> bool;
    }
}

flaky! {
    ExternalActorStore for FlakyStore {
        async fn external_actor(
            &self,
            organization_id: OrganizationId,
            id: ExternalActorId,
        ) -> Option<ExternalActor>;
        async fn external_actors(
            &self,
            organization_id: OrganizationId,
            filter: ActorFilter,
        ) -> Vec<ExternalActor>;
        async fn external_actors_named(
            &self,
            organization_id: OrganizationId,
            provider: ExternalProvider,
            target: ActorTarget,
            external_name: &str,
        ) -> Vec<ExternalActor>;
        async fn users_with_external_name(
            &self,
            integration_id: IntegrationId,
            provider: ExternalProvider,
            names: &[&str],
        ) -> Vec<UserId>;
        async fn insert_external_actor(&self, actor: NewExternalActor) -> ExternalActor;
        async fn update_external_actor(&self, actor: ExternalActor) -> ExternalActor;
        async fn delete_external_actor(
            &self,
            organization_id: OrganizationId,
            id: ExternalActorId,
        ) -> ();
    }
}

flaky! {
    EventStore for FlakyStore {
        fn event_hub(&self) -> &EventHub;
        async fn events_after(&self, after: EventCursor, limit: usize) -> Vec<StoredEvent>;
        async fn event(&self, id: &EventId) -> Option<StoredEvent>;
        async fn create_subscriber(&self, subscriber: NewSubscriber) -> Subscriber;
        async fn subscribers(&self) -> Vec<Subscriber>;
        async fn subscriber(&self, id: SubscriberId) -> Option<Subscriber>;
        async fn rotate_subscriber_secret(
            &self,
            id: SubscriberId,
            secret: SigningSecret,
        ) -> Subscriber;
        async fn delete_subscriber(&self, id: SubscriberId) -> ();
        async fn claim_deliveries(
            &self,
            now: EventTimestamp,
            lease: Duration,
            limit: usize,
        ) -> Vec<DeliveryJob>;
        async fn finish_delivery(&self, claim: &DeliveryClaim, result: DeliveryResult) -> ();
        async fn deliveries(&self, filter: DeliveryFilter) -> Vec<DeliveryRecord>;
        async fn replay_event(&self, id: &EventId, now: EventTimestamp) -> usize;
        async fn purge_settled_events(&self, before: EventTimestamp) -> u64;
    }
}

flaky! {
    OutboxStore for FlakyStore {
        async fn enqueue_outbound(&self, work: &[NewOutboundWork]) -> Vec<OutboundId>;
        async fn claim_outbound(
            &self,
            now: EventTimestamp,
            lease: Duration,
            limit: usize,
        ) -> Vec<OutboundJob>;
        async fn finish_outbound(&self, claim: &OutboundClaim, result: OutboundResult) -> ();
        async fn outbound_work(&self, id: OutboundId) -> Option<OutboundWork>;
        async fn list_outbound(&self, filter: OutboundFilter) -> Vec<OutboundWork>;
        async fn retry_outbound(&self, id: OutboundId, now: EventTimestamp) -> ();
        async fn outbox_counts(&self) -> OutboxCounts;
        async fn purge_done_outbound(&self, before: EventTimestamp) -> u64;
        async fn expect_echo(&self, echo: &OutboundEcho) -> ();
        async fn take_echoes(
            &self,
            integration_id: IntegrationId,
            issue_key: &IssueKey,
            field: EchoField,
            value: &str,
            now: EventTimestamp,
        ) -> Vec<OrganizationId>;
    }
}

flaky! {
    StatusMappingStore for FlakyStore {
        async fn put_status_mapping(&self, mapping: &StatusMapping) -> ();
        async fn status_mappings(
            &self,
            organization: OrganizationId,
            integration: IntegrationId,
        ) -> Vec<StatusMapping>;
        async fn remove_status_mapping(
            &self,
            organization: OrganizationId,
            integration: IntegrationId,
            project: &str,
        ) -> bool;
    }
}

/// A [`MemoryInbox`] that can be switched off, and that records how deliveries are handed out
/// (leased as they were stored, or claimed) and marked done.
#[derive(Debug, Default)]
pub struct FlakyInbox {
    pub inner: MemoryInbox,
    pub switch: Switch,
    /// The deliveries `enqueue_leased` stored leased.
    leased_at_enqueue: Mutex<Vec<DeliveryId>>,
    /// The deliveries claims handed out.
    claimed: Mutex<Vec<DeliveryId>>,
    /// Each `complete_all` call's deliveries.
    completed_together: Mutex<Vec<Vec<DeliveryId>>>,
    /// Each `complete` call's delivery.
    completed_alone: Mutex<Vec<DeliveryId>>,
}

impl FlakyInbox {
    /// The deliveries stored already leased so far, in order.
    pub fn leased_at_enqueue(&self) -> Vec<DeliveryId> {
        self.leased_at_enqueue.lock().unwrap().clone()
    }

    /// The deliveries claims handed out so far, in order.
    pub fn claimed(&self) -> Vec<DeliveryId> {
        self.claimed.lock().unwrap().clone()
    }

    /// The deliveries of each `complete_all` call so far, in order.
    pub fn completed_together(&self) -> Vec<Vec<DeliveryId>> {
        self.completed_together.lock().unwrap().clone()
    }

    /// The delivery of each `complete` call so far, in order.
    pub fn completed_alone(&self) -> Vec<DeliveryId> {
        self.completed_alone.lock().unwrap().clone()
    }

    /// `complete` without recording the call.
    async fn complete_unrecorded(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
        self.switch.check()?;
        self.inner.complete(id, attempt).await
    }
}

flaky! {
    Inbox for FlakyInbox {
        async fn enqueue(&self, delivery: NewDelivery) -> DeliveryId;
        async fn renew(&self, id: DeliveryId, attempt: u32, until: SystemTime) -> ();
        async fn fail(
            &self,
            id: DeliveryId,
            attempt: u32,
            error: &str,
            retry_at: Option<SystemTime>,
        ) -> FailOutcome;
        async fn replay(&self, id: DeliveryId) -> ();
        async fn list(&self, state: Option<DeliveryState>, limit: usize) -> Vec<DeliverySummary>;
        async fn depth(&self, now: SystemTime) -> InboxDepth;
        async fn purge_done(&self, before: SystemTime) -> u64;
    } written out {
        async fn enqueue_leased(
            &self,
            delivery: NewDelivery,
            now: SystemTime,
            lease: Duration,
        ) -> Result<Enqueued, StoreError> {
            self.switch.check()?;
            let stored = self.inner.enqueue_leased(delivery, now, lease).await?;
            if stored.lease.is_some() {
                self.leased_at_enqueue.lock().unwrap().push(stored.id);
            }
            Ok(stored)
        }

        async fn claim(
            &self,
            now: SystemTime,
            lease: Duration,
            limit: usize,
        ) -> Result<Vec<ClaimedDelivery>, StoreError> {
            self.switch.check()?;
            let claimed = self.inner.claim(now, lease, limit).await?;
            let mut record = self.claimed.lock().unwrap();
            record.extend(claimed.iter().map(|delivery| delivery.id));
            Ok(claimed)
        }

        async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
            self.completed_alone.lock().unwrap().push(id);
            self.complete_unrecorded(id, attempt).await
        }

        /// As the trait's default (one `complete` per claim, each failure in its place), recorded
        /// as one call.
        async fn complete_all(
            &self,
            claims: &[(DeliveryId, u32)],
        ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
            self.completed_together
                .lock()
                .unwrap()
                .push(claims.iter().map(|(id, _)| *id).collect());
            let mut outcomes = Vec::with_capacity(claims.len());
            for &(id, attempt) in claims {
                outcomes.push(self.complete_unrecorded(id, attempt).await);
            }
            Ok(outcomes)
        }
    }
}
