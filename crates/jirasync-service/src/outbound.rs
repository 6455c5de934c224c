//! Outbound sync in a running service: the [`OutboundWorker`] that carries the outbox's work to
//! Jira, and the [`Outbound`] handle an application calls after it changed one of its issues
//! (`docs/outbound.md`).
//!
//! The worker claims work per Jira issue in order ([`OutboxStore::claim_outbound`]) under a
//! lease, carries each piece out through the domain's rule
//! ([`carry_out`]) and a [`JiraWriter`], and records how it ended: done; a transient failure
//! retried with exponential back-off and jitter (each attempt a new request, signed anew by the
//! writer) until [`OutboundOptions::retry_for`] has passed since the work became pending; a
//! permanent failure stopped with its reason (`jirasync outbox list --failed`, then
//! `jirasync outbox retry N` once fixed). A worker killed holding a claim leaves the work to be
//! taken over when the lease ends, so nothing is lost; the late finish of a taken-over claim is
//! refused, so nothing is recorded twice.

use std::sync::Arc;
use std::time::Duration;

use jirasync_core::{Clock, RetryPolicy};
use jirasync_domain::events::EventTimestamp;
use jirasync_domain::ids::{LocalIssueId, OrganizationId};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::outbound::{
    ECHO_TTL, JiraWriter, OutboundAction, OutboundId, OutboundJob, OutboundResult, OutboundUser,
    comment_body_problem,
};
use jirasync_domain::rules::outbound::{OutboundFailure, carry_out, plan_outbound, status_action};
use jirasync_domain::{StoreError, SyncStore};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use crate::metrics::{Metrics, OutboxAttemptOutcome};
use crate::shutdown::Shutdown;

/// How the outbox workers claim and retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundOptions {
    /// How long a claim holds a piece of work; longer than a Jira call can take.
    pub lease: Duration,
    /// How long an idle worker waits before looking again (woken sooner by [`Outbound`]).
    pub idle_poll: Duration,
    /// The back-off between attempts (its attempt limit is not used: the time is).
    pub retry: RetryPolicy,
    /// How long work is retried before it fails for good.
    pub retry_for: Duration,
    /// The most pieces of work (of different Jira issues) carried out at once.
    pub batch: usize,
}

impl Default for OutboundOptions {
    /// A 60 s lease, a 1 s idle poll, back-off from 1 s doubling to 5 min, retried for 24 h,
    /// 8 at once.
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_secs(1),
            retry: RetryPolicy::new(u32::MAX, Duration::from_secs(1), Duration::from_secs(300)),
            retry_for: Duration::from_secs(24 * 60 * 60),
            batch: 8,
        }
    }
}

/// Carries outbound work to Jira. Cheap to clone.
#[derive(Clone)]
pub struct OutboundWorker {
    store: Arc<dyn SyncStore>,
    writer: Arc<dyn JiraWriter>,
    clock: Arc<dyn Clock>,
    options: OutboundOptions,
    metrics: Metrics,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for OutboundWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundWorker")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl OutboundWorker {
    /// A worker over `store`'s outbox, calling Jira through `writer`, on `clock`.
    pub fn new(
        store: Arc<dyn SyncStore>,
        writer: Arc<dyn JiraWriter>,
        clock: Arc<dyn Clock>,
        options: OutboundOptions,
    ) -> Self {
        Self {
            store,
            writer,
            clock,
            options,
            metrics: Metrics::new(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// This worker counting into `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The options.
    pub fn options(&self) -> &OutboundOptions {
        &self.options
    }

    /// The handle an application calls after a change, recording work on this worker's store
    /// and waking it.
    pub fn handle(&self) -> Outbound {
        Outbound {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            wake: Arc::clone(&self.wake),
        }
    }

    /// Wakes the worker (new work was recorded in this process).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Starts the worker; it stops claiming once `shutdown` is triggered and returns after the
    /// work it started.
    pub fn spawn(&self, shutdown: &Shutdown) -> JoinHandle<()> {
        let worker = self.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move { worker.run(shutdown).await })
    }

    async fn run(self, shutdown: Shutdown) {
        tracing::debug!("outbox-worker-started");
        // Woken when work is recorded in this process; the depth gauge is read when idle.
        crate::polling::poll_until_shutdown(
            &shutdown,
            &self.wake,
            self.options.idle_poll,
            "outbox-claim-failed",
            || self.run_once(),
            || self.read_depth(),
        )
        .await;
        tracing::debug!("outbox-worker-stopped");
    }

    async fn read_depth(&self) {
        match self.store.outbox_counts().await {
            Ok(counts) => self.metrics.set_outbox_depth(counts.pending, counts.failed),
            Err(error) => tracing::debug!(%error, "outbox-depth-unread"),
        }
    }

    /// Claims the work due now (at most [`OutboundOptions::batch`], each of another Jira issue),
    /// carries it out at once and records each result; returns how many were attempted. For
    /// tests, benchmarks and commands; services use [`OutboundWorker::spawn`].
    ///
    /// # Errors
    ///
    /// The store's, when the claim fails.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = EventTimestamp::from_system_time(self.clock.now());
        let jobs = self
            .store
            .claim_outbound(now, self.options.lease, self.options.batch.max(1))
            .await?;
        let count = jobs.len();
        let mut attempts = JoinSet::new();
        for job in jobs {
            let worker = self.clone();
            attempts.spawn(async move { worker.attempt(job).await });
        }
        while attempts.join_next().await.is_some() {}
        Ok(count)
    }

    /// Carries out one claimed piece of work and records the result.
    async fn attempt(&self, job: OutboundJob) {
        let attempt = job.work.attempts.saturating_add(1);
        let echo_until = EventTimestamp::from_system_time(
            self.clock
                .now()
                .checked_add(ECHO_TTL)
                .unwrap_or_else(|| self.clock.now()),
        );
        let carried = carry_out(
            self.store.as_ref(),
            self.writer.as_ref(),
            &job.work,
            echo_until,
        )
        .await;
        let result = match carried {
            Ok(()) => OutboundResult::Done {
                at: EventTimestamp::from_system_time(self.clock.now()),
            },
            Err(failure) => self.after_failure(&job, attempt, &failure),
        };
        let id = job.work.id.get();
        let key = job.work.issue_key.as_str();
        let action = job.work.action.kind();
        match &result {
            OutboundResult::Done { .. } => {
                self.metrics.outbox_attempt(OutboxAttemptOutcome::Done);
                tracing::info!(id, key, action, attempt, "outbox-done");
            }
            OutboundResult::Retry { error, .. } => {
                self.metrics.outbox_attempt(OutboxAttemptOutcome::Retry);
                tracing::info!(id, key, action, attempt, %error, "outbox-retry-scheduled");
            }
            OutboundResult::Failed { error, .. } => {
                self.metrics.outbox_attempt(OutboxAttemptOutcome::Failed);
                tracing::warn!(id, key, action, attempt, %error, "outbox-failed");
            }
        }
        if let Err(error) = self.store.finish_outbound(&job.claim, result).await {
            // The lease ends and the work is tried again (Jira's answer to a repeated
            // assignment is the same), so it is not lost.
            tracing::warn!(id, key, %error, "outbox-record-failed");
        }
    }

    /// What a failed attempt leads to: a permanent failure stops at once; a transient one is
    /// retried after the back-off, never later than the end of the retry time, and fails once
    /// that time has passed.
    fn after_failure(
        &self,
        job: &OutboundJob,
        attempt: u32,
        failure: &OutboundFailure,
    ) -> OutboundResult {
        let now = self.clock.now();
        let at = EventTimestamp::from_system_time(now);
        let error = failure.to_string();
        if !failure.is_transient() {
            return OutboundResult::Failed { at, error };
        }
        let deadline = job
            .work
            .pending_since
            .to_system_time()
            .checked_add(self.options.retry_for)
            .unwrap_or(now);
        if now >= deadline {
            return OutboundResult::Failed {
                at,
                error: format!(
                    "still failing after {}s of retries: {error}",
                    self.options.retry_for.as_secs()
                ),
            };
        }
        let wait = self
            .options
            .retry
            .delay_after(attempt.min(self.options.retry.max_attempts.saturating_sub(1)))
            .unwrap_or(self.options.retry.max_delay);
        let next = now.checked_add(wait).unwrap_or(deadline).min(deadline);
        OutboundResult::Retry {
            next_attempt_at: EventTimestamp::from_system_time(next),
            error,
        }
    }
}

/// What an application calls after it changed one of its issues, when it keeps its issues
/// itself (embedding jirasync): records the outbound work for every linked Jira issue whose
/// organization syncs the direction, and wakes the worker. Cheap to clone.
///
/// The application's change is committed in its own database first; the work is recorded
/// after it. A process stopping in between loses that change's outbound work (the standalone
/// service records both in one transaction instead).
#[derive(Clone)]
pub struct Outbound {
    store: Arc<dyn SyncStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").finish_non_exhaustive()
    }
}

impl Outbound {
    /// The application assigned its issue to `user` (`None`: unassigned it). Call it only when
    /// the assignee changed. Returns the recorded work's ids (none when no linked Jira issue
    /// syncs assignees outbound).
    ///
    /// # Errors
    ///
    /// The store's, writing nothing.
    pub async fn assigned(
        &self,
        organization: OrganizationId,
        issue: LocalIssueId,
        user: Option<OutboundUser>,
    ) -> Result<Vec<OutboundId>, StoreError> {
        let action = match user {
            Some(user) => OutboundAction::Assign {
                user: user.id,
                emails: user.emails,
            },
            None => OutboundAction::Unassign,
        };
        self.record(organization, issue, &action).await
    }

    /// The application resolved its issue (or unresolved it). Call it only when the status
    /// changed. Which Jira status each linked Jira issue is moved to is its project's status
    /// mapping, read when the work is carried out. Returns the recorded work's ids (none when no
    /// linked Jira issue syncs statuses outbound).
    ///
    /// # Errors
    ///
    /// The store's, writing nothing.
    pub async fn status_changed(
        &self,
        organization: OrganizationId,
        issue: LocalIssueId,
        status: ResolutionStatus,
    ) -> Result<Vec<OutboundId>, StoreError> {
        self.record(organization, issue, &status_action(status))
            .await
    }

    /// The application added a comment to its issue: it is posted to every linked Jira issue
    /// whose organization syncs comments (`sync_comments`), attributed to `author` (the name
    /// Jira readers should see; `None`: the application itself, see
    /// [`attributed_comment`](jirasync_domain::outbound::attributed_comment)). Returns the
    /// recorded work's ids (none when no linked Jira issue syncs comments).
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] when the body is empty or longer than
    /// [`MAX_COMMENT_CHARS`](jirasync_domain::outbound::MAX_COMMENT_CHARS); the store's,
    /// writing nothing.
    pub async fn commented(
        &self,
        organization: OrganizationId,
        issue: LocalIssueId,
        author: Option<String>,
        body: String,
    ) -> Result<Vec<OutboundId>, StoreError> {
        if let Some(problem) = comment_body_problem(&body) {
            return Err(StoreError::invalid(problem));
        }
        self.record(
            organization,
            issue,
            &OutboundAction::Comment { author, body },
        )
        .await
    }

    async fn record(
        &self,
        organization: OrganizationId,
        issue: LocalIssueId,
        action: &OutboundAction,
    ) -> Result<Vec<OutboundId>, StoreError> {
        let now = EventTimestamp::from_system_time(self.clock.now());
        let work = plan_outbound(self.store.as_ref(), organization, issue, action, now).await?;
        if work.is_empty() {
            return Ok(Vec::new());
        }
        let ids = self.store.enqueue_outbound(&work).await?;
        self.wake();
        Ok(ids)
    }

    /// Now, on the service's clock: when a change recorded through the host API was made.
    pub fn now(&self) -> EventTimestamp {
        EventTimestamp::from_system_time(self.clock.now())
    }

    /// Wakes the worker: call it after recording work some other way (the standalone service's
    /// host API records it with the change).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }
}
