//! The durable outbox of outbound sync ([`crate::outbound`]): work recorded with the change it
//! carries to Jira, claimed per Jira issue in order, finished once.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
use crate::events::EventTimestamp;
use jirasync_webhook::IssueKey;

use crate::ids::{IntegrationId, OrganizationId};
use crate::outbound::{
    EchoField, NewOutboundWork, OutboundClaim, OutboundEcho, OutboundFilter, OutboundId,
    OutboundJob, OutboundResult, OutboundWork, OutboxCounts,
};

/// Recording, claiming and finishing outbound work.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Records work on its own, in one transaction (all or nothing), for an application that
    /// keeps its issues itself and calls the library after its own change
    /// (`Outbound` in `jirasync-service`). The standalone service records the work in the
    /// transaction of the change instead ([`crate::ApplicationData::update_issue`]). Returns the
    /// ids, in the order given.
    async fn enqueue_outbound(
        &self,
        work: &[NewOutboundWork],
    ) -> Result<Vec<OutboundId>, StoreError>;

    /// Claims at most `limit` pieces of work due at `now` for `lease`: pending, their time
    /// come, not held by a live claim, and each the oldest pending piece of its Jira issue
    /// (integration and key), so one issue's work reaches Jira one piece after the other, in the
    /// order it was recorded. Failed work does not hold back what follows it.
    async fn claim_outbound(
        &self,
        now: EventTimestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboundJob>, StoreError>;

    /// Records how a claimed attempt ended. [`StoreError::Conflict`] (writing nothing) when the
    /// claim is no longer the work's (its lease ran out and another worker took it).
    async fn finish_outbound(
        &self,
        claim: &OutboundClaim,
        result: OutboundResult,
    ) -> Result<(), StoreError>;

    /// The work with this id.
    async fn outbound_work(&self, id: OutboundId) -> Result<Option<OutboundWork>, StoreError>;

    /// Work for operators, newest first.
    async fn list_outbound(&self, filter: OutboundFilter) -> Result<Vec<OutboundWork>, StoreError>;

    /// Makes failed work pending again, due at `now`, its attempts reset and its retry time
    /// counted from `now`. [`StoreError::NotFound`] when there is no such work,
    /// [`StoreError::Conflict`] when it is not failed (pending or done), or when the same
    /// organization recorded later work of the same kind for the same Jira issue (sending the
    /// older change now would undo the newer one in Jira).
    async fn retry_outbound(&self, id: OutboundId, now: EventTimestamp) -> Result<(), StoreError>;

    /// How much work is pending and failed.
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;

    /// Deletes the done work that ended before `before`, and returns how many. Done work that
    /// follows failed work of the same organization and Jira issue is kept: it is what tells
    /// [`OutboxStore::retry_outbound`] that the failed change was superseded.
    async fn purge_done_outbound(&self, before: EventTimestamp) -> Result<u64, StoreError>;

    /// Records that jirasync is about to make a change in Jira for an organization, so that
    /// the webhook Jira sends for it is recognised ([`OutboxStore::take_echoes`]).
    async fn expect_echo(&self, echo: &OutboundEcho) -> Result<(), StoreError>;

    /// The organizations that expected a webhook setting `field` of the Jira issue to `value`
    /// (ignoring case) and not expired at `now`; their expectations are consumed (each echo is
    /// recognised once). Expired expectations of the issue are dropped.
    async fn take_echoes(
        &self,
        integration_id: IntegrationId,
        issue_key: &IssueKey,
        field: EchoField,
        value: &str,
        now: EventTimestamp,
    ) -> Result<Vec<OrganizationId>, StoreError>;
}

/// The [`StoreError::Conflict`] of a claim that is no longer the work's.
pub fn lost_outbound_claim(claim: &OutboundClaim) -> StoreError {
    StoreError::conflict(format!(
        "outbound work {} is no longer claimed by this worker (its lease ran out)",
        claim.id
    ))
}

/// The [`StoreError::NotFound`] of missing work.
pub fn missing_outbound(id: OutboundId) -> StoreError {
    StoreError::not_found(format!("outbound work {id}"))
}

/// The [`StoreError::Conflict`] of retrying work a later change of its issue superseded.
pub fn superseded(id: OutboundId, by: OutboundId, key: &IssueKey) -> StoreError {
    StoreError::conflict(format!(
        "outbound work {id} was superseded by {by}, a later change of {key}: it is not sent \
         again (it would undo the later change in Jira)"
    ))
}

/// The [`StoreError::Conflict`] of retrying work that did not fail.
pub fn not_failed(id: OutboundId, status: crate::outbound::OutboundStatus) -> StoreError {
    StoreError::conflict(format!(
        "outbound work {id} is {status}, not failed: only failed work can be retried"
    ))
}
