//! An inbox kept in memory: durable only as long as the process lives.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::store::StoreError;

use super::{
    ClaimedDelivery, DeliveryId, DeliveryState, DeliverySummary, Enqueued, FailOutcome, Inbox,
    InboxDepth, Lease, NewDelivery, lease_end,
};

/// An [`Inbox`] in memory, for tests and for embeddings that accept losing deliveries on a
/// restart. Cloning it gives another handle to the same deliveries.
#[derive(Debug, Clone, Default)]
pub struct MemoryInbox {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    rows: BTreeMap<DeliveryId, Row>,
}

#[derive(Debug)]
struct Row {
    delivery: NewDelivery,
    state: DeliveryState,
    attempts: u32,
    available_at: Option<SystemTime>,
    leased_until: Option<SystemTime>,
    last_error: Option<String>,
}

impl Row {
    fn is_leased_at(&self, now: SystemTime) -> bool {
        self.leased_until.is_some_and(|until| until > now)
    }

    /// Whether the row holds its ordering key back: pending, in any sub-state.
    fn blocks_its_key(&self) -> bool {
        self.state == DeliveryState::Pending
    }

    fn summary(&self, id: DeliveryId) -> DeliverySummary {
        DeliverySummary {
            id,
            state: self.state,
            attempts: self.attempts,
            received_at: self.delivery.received_at,
            ordering_key: self.delivery.ordering_key.clone(),
            occurred_at: self.delivery.occurred_at,
            delivery_key: self.delivery.delivery_key.clone(),
            available_at: self.available_at,
            leased_until: self.leased_until,
            last_error: self.last_error.clone(),
        }
    }
}

impl MemoryInbox {
    /// An empty inbox.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a row half-written: every write below is
        // a single assignment after all checks.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Stores `delivery` pending, as the next id.
    fn insert(&mut self, delivery: NewDelivery) -> DeliveryId {
        self.next_id += 1;
        let id = DeliveryId::new(self.next_id);
        self.rows.insert(
            id,
            Row {
                delivery,
                state: DeliveryState::Pending,
                attempts: 0,
                available_at: None,
                leased_until: None,
                last_error: None,
            },
        );
        id
    }

    /// The head of each ordering key: the pending row a claim holds, else its first pending
    /// row in processing order.
    fn heads(&self) -> BTreeMap<&str, DeliveryId> {
        let mut heads: BTreeMap<&str, (bool, Option<i64>, DeliveryId)> = BTreeMap::new();
        for (&id, row) in &self.rows {
            if let (true, Some(key)) = (row.blocks_its_key(), row.delivery.ordering_key.as_deref())
            {
                let (order, id) = processing_order(row, id);
                // `false` sorts first: a held row before any other.
                let rank = (row.leased_until.is_none(), order, id);
                heads
                    .entry(key)
                    .and_modify(|head| *head = (*head).min(rank))
                    .or_insert(rank);
            }
        }
        heads.into_iter().map(|(key, head)| (key, head.2)).collect()
    }

    /// Whether row `id` is a head a claim may hand out: it has no ordering key, or it is its
    /// key's head in `heads`.
    fn is_head(&self, heads: &BTreeMap<&str, DeliveryId>, id: DeliveryId) -> bool {
        self.rows.get(&id).is_some_and(|row| {
            row.delivery
                .ordering_key
                .as_deref()
                .is_none_or(|key| heads.get(key) == Some(&id))
        })
    }
}

/// The row `id` held by `attempt`, or the conflict saying why not.
fn held_row(state: &mut State, id: DeliveryId, attempt: u32) -> Result<&mut Row, StoreError> {
    let row = state
        .rows
        .get_mut(&id)
        .ok_or_else(|| StoreError::not_found(format!("inbox delivery {id}")))?;
    if row.state != DeliveryState::Pending || row.attempts != attempt || row.leased_until.is_none()
    {
        return Err(StoreError::conflict(format!(
            "inbox delivery {id} is no longer held by attempt {attempt}"
        )));
    }
    Ok(row)
}

/// The order deliveries of one key are processed in: oldest change first, then oldest receipt.
/// Deliveries without a time sort before those with one, as `NULLS FIRST` does in SQL.
fn processing_order(row: &Row, id: DeliveryId) -> (Option<i64>, DeliveryId) {
    (row.delivery.occurred_at.map(|at| at.unix_millis()), id)
}

#[async_trait]
impl Inbox for MemoryInbox {
    async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError> {
        Ok(self.lock().insert(delivery))
    }

    async fn enqueue_leased(
        &self,
        delivery: NewDelivery,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Enqueued, StoreError> {
        let leased_until = lease_end(now, lease)?;
        let mut state = self.lock();
        let id = state.insert(delivery);
        if !state.is_head(&state.heads(), id) {
            return Ok(Enqueued { id, lease: None });
        }
        let Some(row) = state.rows.get_mut(&id) else {
            return Ok(Enqueued { id, lease: None });
        };
        row.attempts = 1;
        row.leased_until = Some(leased_until);
        Ok(Enqueued {
            id,
            lease: Some(Lease {
                attempt: 1,
                leased_until,
            }),
        })
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let leased_until = lease_end(now, lease)?;
        let mut state = self.lock();
        let heads = state.heads();
        let mut claimable: Vec<(Option<i64>, DeliveryId)> = state
            .rows
            .iter()
            .filter(|&(&id, row)| {
                row.state == DeliveryState::Pending
                    && !row.is_leased_at(now)
                    && row.available_at.is_none_or(|at| at <= now)
                    && state.is_head(&heads, id)
            })
            .map(|(&id, row)| processing_order(row, id))
            .collect();
        claimable.sort_unstable();
        claimable.truncate(limit);

        let mut claimed = Vec::with_capacity(claimable.len());
        for (_, id) in claimable {
            if let Some(row) = state.rows.get_mut(&id) {
                row.attempts = row.attempts.saturating_add(1);
                row.leased_until = Some(leased_until);
                claimed.push(ClaimedDelivery {
                    id,
                    attempt: row.attempts,
                    leased_until,
                    delivery: row.delivery.clone(),
                });
            }
        }
        Ok(claimed)
    }

    async fn renew(
        &self,
        id: DeliveryId,
        attempt: u32,
        until: SystemTime,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        held_row(&mut state, id, attempt)?.leased_until = Some(until);
        Ok(())
    }

    async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
        let mut state = self.lock();
        let row = held_row(&mut state, id, attempt)?;
        row.state = DeliveryState::Done;
        row.leased_until = None;
        row.available_at = None;
        Ok(())
    }

    async fn fail(
        &self,
        id: DeliveryId,
        attempt: u32,
        error: &str,
        retry_at: Option<SystemTime>,
    ) -> Result<FailOutcome, StoreError> {
        let outcome = FailOutcome::from_retry_at(retry_at);
        let mut state = self.lock();
        let row = held_row(&mut state, id, attempt)?;
        row.state = outcome.state();
        row.leased_until = None;
        row.last_error = Some(error.to_owned());
        row.available_at = retry_at;
        Ok(outcome)
    }

    async fn replay(&self, id: DeliveryId) -> Result<(), StoreError> {
        let mut state = self.lock();
        let row = state
            .rows
            .get_mut(&id)
            .ok_or_else(|| StoreError::not_found(format!("inbox delivery {id}")))?;
        if row.state != DeliveryState::Dead {
            return Err(StoreError::conflict(format!(
                "inbox delivery {id} is {}, only a dead delivery can be replayed",
                row.state
            )));
        }
        row.state = DeliveryState::Pending;
        row.attempts = 0;
        row.available_at = None;
        row.leased_until = None;
        row.last_error = None;
        Ok(())
    }

    async fn list(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        let inbox = self.lock();
        Ok(inbox
            .rows
            .iter()
            .filter(|(_, row)| state.is_none_or(|wanted| row.state == wanted))
            .take(limit)
            .map(|(&id, row)| row.summary(id))
            .collect())
    }

    async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError> {
        let state = self.lock();
        let mut depth = InboxDepth::default();
        for row in state.rows.values() {
            match row.state {
                DeliveryState::Pending if row.is_leased_at(now) => depth.leased += 1,
                DeliveryState::Pending => depth.ready += 1,
                DeliveryState::Dead => depth.dead += 1,
                DeliveryState::Done => {}
            }
        }
        Ok(depth)
    }

    async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let count_before = state.rows.len();
        state.rows.retain(|_, row| {
            !(row.state == DeliveryState::Done && row.delivery.received_at < before)
        });
        Ok(u64::try_from(count_before - state.rows.len()).unwrap_or(u64::MAX))
    }
}
