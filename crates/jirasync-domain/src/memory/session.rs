//! [`IssueSyncStore::begin_issue_sync`](crate::store::IssueSyncStore::begin_issue_sync) in
//! memory: one asynchronous lock per (integration, Jira issue key), held by the session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use jirasync_webhook::{EventTime, IssueKey};
use tokio::sync::OwnedMutexGuard;

use super::InMemoryStore;
use crate::events::NewEvent;
use crate::ids::{IntegrationId, OrganizationId};
use crate::store::{IssueSyncRequest, IssueSyncSession, IssueSyncStart, StoreError};

/// One lock per Jira issue of an integration.
type LockMap = HashMap<(IntegrationId, IssueKey), Arc<tokio::sync::Mutex<()>>>;

/// The per-issue locks of one store (shared by its clones).
#[derive(Debug, Clone, Default)]
pub(super) struct IssueLocks(Arc<Mutex<LockMap>>);

impl IssueLocks {
    /// Waits until the issue is free, and holds it.
    async fn hold(&self, integration_id: IntegrationId, key: &IssueKey) -> OwnedMutexGuard<()> {
        let lock = Arc::clone(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry((integration_id, key.clone()))
                .or_default(),
        );
        lock.lock_owned().await
    }
}

/// A sync of one Jira issue holding its lock.
struct MemorySession {
    store: InMemoryStore,
    request: IssueSyncRequest,
    watermarks: Vec<(OrganizationId, Option<EventTime>)>,
    _held: OwnedMutexGuard<()>,
}

pub(super) async fn begin(
    store: &InMemoryStore,
    request: IssueSyncRequest,
) -> Result<IssueSyncStart, StoreError> {
    let held = store
        .issue_locks
        .hold(request.integration_id, &request.issue_key)
        .await;
    let watermarks = {
        let state = store.lock();
        let seen = request.delivery_key.as_ref().is_some_and(|key| {
            state
                .deliveries
                .contains(&(request.integration_id, request.kind, key.clone()))
        });
        if seen {
            return Ok(IssueSyncStart::Duplicate);
        }
        request
            .organizations
            .iter()
            .map(|organization_id| {
                let watermark = state.watermark(
                    *organization_id,
                    request.integration_id,
                    &request.issue_key,
                    request.kind,
                );
                (*organization_id, watermark)
            })
            .collect()
    };
    Ok(IssueSyncStart::Started(Box::new(MemorySession {
        store: store.clone(),
        request,
        watermarks,
        _held: held,
    })))
}

#[async_trait]
impl IssueSyncSession for MemorySession {
    fn watermarks(&self) -> &[(OrganizationId, Option<EventTime>)] {
        &self.watermarks
    }

    async fn commit(
        self: Box<Self>,
        advance: &[(OrganizationId, EventTime)],
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let appended = !events.is_empty();
        let events = self.store.stamp(events);
        let IssueSyncRequest {
            integration_id,
            issue_key,
            kind,
            delivery_key,
            ..
        } = &self.request;
        let mut state = self.store.lock();
        if let Some(key) = delivery_key {
            state
                .deliveries
                .insert((*integration_id, *kind, key.clone()));
        }
        for (organization_id, time) in advance {
            state
                .external_issue_row(*integration_id, issue_key, *organization_id)
                .row
                .advance_watermark(*kind, *time);
        }
        state.append_events(events);
        drop(state);
        self.store.appended(appended);
        Ok(())
    }
}
