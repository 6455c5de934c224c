//! What reconciling with Jira keeps: the Jira issues an integration links, read in batches; the
//! point up to which the integration was reconciled; and the lease that lets one instance at a
//! time reconcile an integration (`docs/decisions/0012-reconcile.md`).

use std::time::SystemTime;

use async_trait::async_trait;
use jirasync_webhook::{EventTime, IssueKey};

use super::StoreError;
use crate::ids::IntegrationId;

/// The bookkeeping of the reconcile loop, implemented by every store of jirasync (in memory,
/// SQLite, PostgreSQL) next to its [`SyncStore`](super::SyncStore).
///
/// The point and the lease live in one row per integration, removed with the integration.
#[async_trait]
pub trait ReconcileStore: Send + Sync {
    /// The keys of the Jira issues linked to at least one local issue through `integration_id`
    /// (by any organization), without repeats, ascending in the store's order of keys, after
    /// `after` when it is given (exclusive), at most `limit` of them. Asking again after the last
    /// key of a batch gives the next batch; an empty batch is the end.
    async fn linked_issue_keys(
        &self,
        integration_id: IntegrationId,
        after: Option<&IssueKey>,
        limit: u32,
    ) -> Result<Vec<IssueKey>, StoreError>;

    /// The newest `updated` time of Jira's issues the integration was reconciled with; `None`
    /// before its first reconcile.
    async fn reconcile_point(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Option<EventTime>, StoreError>;

    /// Moves the integration's reconcile point forward to `point`; a point older than the stored
    /// one changes nothing. [`StoreError::NotFound`] when the integration does not exist.
    async fn advance_reconcile_point(
        &self,
        integration_id: IntegrationId,
        point: EventTime,
    ) -> Result<(), StoreError>;

    /// Takes the integration's reconcile lease for `holder` until `until`, or extends it when
    /// `holder` has it already. `false` (nothing written) while another holder's lease runs
    /// past `now`. [`StoreError::NotFound`] when the integration does not exist.
    async fn acquire_reconcile_lease(
        &self,
        integration_id: IntegrationId,
        holder: &str,
        now: SystemTime,
        until: SystemTime,
    ) -> Result<bool, StoreError>;

    /// Gives the lease back if `holder` has it (otherwise changes nothing).
    async fn release_reconcile_lease(
        &self,
        integration_id: IntegrationId,
        holder: &str,
    ) -> Result<(), StoreError>;
}
