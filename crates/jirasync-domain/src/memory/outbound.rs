//! The in-memory store's outbox of outbound work, in its one state, recorded under the same lock
//! as the change that makes it.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::{InMemoryStore, State};
use crate::events::EventTimestamp;
use jirasync_webhook::IssueKey;

use crate::ids::{IntegrationId, OrganizationId};
use crate::outbound::{
    EchoField, NewOutboundWork, OutboundClaim, OutboundEcho, OutboundFilter, OutboundId,
    OutboundJob, OutboundResult, OutboundStatus, OutboundWork, OutboxCounts,
};
use crate::store::{
    OutboxStore, StoreError, lost_outbound_claim, missing_outbound, not_failed, superseded,
};

/// The outbound part of the state.
#[derive(Debug, Default, Clone)]
pub(super) struct OutboundQueue {
    work: BTreeMap<OutboundId, Entry>,
    echoes: Vec<OutboundEcho>,
    next_id: u64,
    next_claim: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    work: OutboundWork,
    claim: Option<(String, EventTimestamp)>,
}

impl State {
    /// Records outbound work under the lock already held.
    pub(super) fn enqueue_outbound(&mut self, work: &[NewOutboundWork]) -> Vec<OutboundId> {
        let queue = &mut self.outbound;
        work.iter()
            .map(|new| {
                queue.next_id += 1;
                let id = OutboundId::new(queue.next_id);
                queue.work.insert(
                    id,
                    Entry {
                        work: OutboundWork {
                            id,
                            organization_id: new.organization_id,
                            integration_id: new.integration_id,
                            issue_key: new.issue_key.clone(),
                            local_issue_id: new.local_issue_id,
                            action: new.action.clone(),
                            status: OutboundStatus::Pending,
                            attempts: 0,
                            created_at: new.created_at,
                            pending_since: new.created_at,
                            at: new.created_at,
                            last_error: None,
                        },
                        claim: None,
                    },
                );
                id
            })
            .collect()
    }
}

#[async_trait]
impl OutboxStore for InMemoryStore {
    async fn enqueue_outbound(
        &self,
        work: &[NewOutboundWork],
    ) -> Result<Vec<OutboundId>, StoreError> {
        Ok(self.lock().enqueue_outbound(work))
    }

    async fn claim_outbound(
        &self,
        now: EventTimestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboundJob>, StoreError> {
        let mut state = self.lock();
        let queue = &mut state.outbound;
        let until = EventTimestamp::from_unix_millis(
            now.unix_millis()
                .saturating_add(u64::try_from(lease.as_millis()).unwrap_or(u64::MAX)),
        );
        // The oldest pending piece of each Jira issue, in id order.
        let mut heads = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for entry in queue.work.values() {
            if entry.work.status != OutboundStatus::Pending {
                continue;
            }
            let key = (entry.work.integration_id, entry.work.issue_key.clone());
            if !seen.insert(key) {
                continue;
            }
            let free = entry.claim.as_ref().is_none_or(|(_, until)| *until <= now);
            if entry.work.at <= now && free {
                heads.push(entry.work.id);
            }
        }
        let mut jobs = Vec::new();
        for id in heads.into_iter().take(limit) {
            queue.next_claim += 1;
            let token = format!("claim-{}", queue.next_claim);
            if let Some(entry) = queue.work.get_mut(&id) {
                entry.claim = Some((token.clone(), until));
                jobs.push(OutboundJob {
                    claim: OutboundClaim { id, token },
                    work: entry.work.clone(),
                });
            }
        }
        Ok(jobs)
    }

    async fn finish_outbound(
        &self,
        claim: &OutboundClaim,
        result: OutboundResult,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let entry = state
            .outbound
            .work
            .get_mut(&claim.id)
            .filter(|entry| {
                entry.work.status == OutboundStatus::Pending
                    && entry
                        .claim
                        .as_ref()
                        .is_some_and(|(token, _)| *token == claim.token)
            })
            .ok_or_else(|| lost_outbound_claim(claim))?;
        entry.claim = None;
        match result {
            OutboundResult::Done { at } => {
                entry.work.status = OutboundStatus::Done;
                entry.work.at = at;
            }
            OutboundResult::Retry {
                next_attempt_at,
                error,
            } => {
                entry.work.attempts += 1;
                entry.work.at = next_attempt_at;
                entry.work.last_error = Some(error);
            }
            OutboundResult::Failed { at, error } => {
                entry.work.status = OutboundStatus::Failed;
                entry.work.attempts += 1;
                entry.work.at = at;
                entry.work.last_error = Some(error);
            }
        }
        Ok(())
    }

    async fn outbound_work(&self, id: OutboundId) -> Result<Option<OutboundWork>, StoreError> {
        Ok(self
            .lock()
            .outbound
            .work
            .get(&id)
            .map(|entry| entry.work.clone()))
    }

    async fn list_outbound(&self, filter: OutboundFilter) -> Result<Vec<OutboundWork>, StoreError> {
        let state = self.lock();
        let limit = if filter.limit == 0 {
            usize::MAX
        } else {
            filter.limit
        };
        Ok(state
            .outbound
            .work
            .values()
            .rev()
            .filter(|entry| {
                filter
                    .status
                    .is_none_or(|status| entry.work.status == status)
            })
            .take(limit)
            .map(|entry| entry.work.clone())
            .collect())
    }

    async fn retry_outbound(&self, id: OutboundId, now: EventTimestamp) -> Result<(), StoreError> {
        let mut state = self.lock();
        let entry = state
            .outbound
            .work
            .get_mut(&id)
            .ok_or_else(|| missing_outbound(id))?;
        if entry.work.status != OutboundStatus::Failed {
            return Err(not_failed(id, entry.work.status));
        }
        let (organization, integration, key, action) = (
            entry.work.organization_id,
            entry.work.integration_id,
            entry.work.issue_key.clone(),
            entry.work.action.clone(),
        );
        let later = state.outbound.work.range(id..).skip(1).find(|(_, later)| {
            later.work.organization_id == organization
                && later.work.integration_id == integration
                && later.work.issue_key == key
                && action.is_superseded_by(&later.work.action)
        });
        if let Some((later, _)) = later {
            return Err(superseded(id, *later, &key));
        }
        let entry = state
            .outbound
            .work
            .get_mut(&id)
            .ok_or_else(|| missing_outbound(id))?;
        entry.work.status = OutboundStatus::Pending;
        entry.work.attempts = 0;
        entry.work.pending_since = now;
        entry.work.at = now;
        entry.claim = None;
        Ok(())
    }

    async fn expect_echo(&self, echo: &OutboundEcho) -> Result<(), StoreError> {
        let mut echo = echo.clone();
        echo.value = echo.value.to_lowercase();
        self.lock().outbound.echoes.push(echo);
        Ok(())
    }

    async fn purge_done_outbound(&self, before: EventTimestamp) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let work = &mut state.outbound.work;
        let failed: Vec<(OrganizationId, IntegrationId, IssueKey, OutboundId)> = work
            .values()
            .filter(|entry| entry.work.status == OutboundStatus::Failed)
            .map(|entry| {
                let work = &entry.work;
                (
                    work.organization_id,
                    work.integration_id,
                    work.issue_key.clone(),
                    work.id,
                )
            })
            .collect();
        let before_count = work.len();
        work.retain(|id, entry| {
            let work = &entry.work;
            let settled = work.status == OutboundStatus::Done && work.at < before;
            let after_a_failure = failed
                .iter()
                .any(|(organization, integration, key, failed)| {
                    *organization == work.organization_id
                        && *integration == work.integration_id
                        && *key == work.issue_key
                        && failed < id
                });
            !settled || after_a_failure
        });
        Ok(u64::try_from(before_count - work.len()).unwrap_or(u64::MAX))
    }

    async fn take_echoes(
        &self,
        integration_id: IntegrationId,
        issue_key: &IssueKey,
        field: EchoField,
        value: &str,
        now: EventTimestamp,
    ) -> Result<Vec<OrganizationId>, StoreError> {
        let value = value.to_lowercase();
        let mut state = self.lock();
        let mut taken = Vec::new();
        state.outbound.echoes.retain(|echo| {
            if echo.integration_id != integration_id || echo.issue_key != *issue_key {
                return true;
            }
            if echo.expires_at <= now {
                return false;
            }
            if echo.field == field && echo.value == value {
                taken.push(echo.organization_id);
                return false;
            }
            true
        });
        taken.sort_unstable();
        taken.dedup();
        Ok(taken)
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let state = self.lock();
        let mut counts = OutboxCounts::default();
        for entry in state.outbound.work.values() {
            match entry.work.status {
                OutboundStatus::Pending => counts.pending += 1,
                OutboundStatus::Failed => counts.failed += 1,
                OutboundStatus::Done => {}
            }
        }
        Ok(counts)
    }
}
