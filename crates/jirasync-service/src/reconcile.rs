//! [`Reconciler`]: the catch-up for webhooks Jira never delivered (`docs/decisions/0012-reconcile.md`).
//!
//! Per integration: take the integration's reconcile lease (one instance at a time among those
//! sharing the database), read its linked issue keys in batches, ask Jira (a signed JQL search,
//! paged, at a bounded request rate) for those of each batch updated since the reconcile point
//! minus an overlap, apply each issue's snapshot through the domain's inbound rules and ordering
//! guard ([`InboundSync::reconcile_issue`](jirasync_domain::InboundSync::reconcile_issue)), and
//! move the point to the newest `updated` read once every batch succeeded. Each change applied
//! is one Jira made that no webhook had delivered: it is logged at warn (`dropped-webhook`) and
//! counted in `jirasync_reconcile_missed_changes_total`.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jirasync_client::JiraClient;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::rules::outcome::SyncError;
use jirasync_domain::rules::reconcile::{IssueSnapshot, syncs_inbound};
use jirasync_domain::{DirectoryError, ReconcileStore, StoreError};
use jirasync_webhook::{EventTime, IssueKey, StatusId};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::directory::{ClientJiraDirectory, domain_user};
use crate::metrics::ReconcileRunOutcome;
use crate::service::SyncService;
use crate::shutdown::Shutdown;

/// How the reconcile reads Jira.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ReconcileOptions {
    /// How far before the reconcile point the window starts, so that issues updated while the
    /// last run read, and a clock difference with Jira up to this much, are read again.
    pub overlap: Duration,
    /// How many issue keys one JQL query names (`key in (…)`).
    pub keys_per_query: NonZeroU32,
    /// How many issues one page of a search asks for (`maxResults`).
    pub page_size: NonZeroU32,
    /// The most search requests per second sent to one Jira.
    pub requests_per_second: f64,
    /// How long a run's lease lasts before another instance may take the integration over; a
    /// run extends it after each batch.
    pub lease: Duration,
}

impl Default for ReconcileOptions {
    /// A 5-minute overlap, 100 keys per query and per page, 5 requests per second, 2-minute
    /// leases.
    fn default() -> Self {
        Self {
            overlap: Duration::from_secs(300),
            keys_per_query: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
            page_size: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
            requests_per_second: 5.0,
            lease: Duration::from_secs(120),
        }
    }
}

impl ReconcileOptions {
    /// The least time between two search requests.
    fn request_spacing(&self) -> Duration {
        if self.requests_per_second.is_finite() && self.requests_per_second > 0.0 {
            Duration::try_from_secs_f64(1.0 / self.requests_per_second).unwrap_or(Duration::ZERO)
        } else {
            Duration::ZERO
        }
    }
}

/// Why reconciling an integration failed. Its point stays where it was, so the next run reads
/// the same window again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The integration does not exist.
    #[error("integration {integration_id} does not exist")]
    UnknownIntegration {
        /// The integration asked for.
        integration_id: IntegrationId,
    },
    /// jirasync's store failed.
    #[error("reconciling integration {integration_id}: the store failed: {source}")]
    Store {
        /// The integration.
        integration_id: IntegrationId,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// No client could be made for the integration (no organization with credentials, or
    /// credentials that do not load).
    #[error("reconciling integration {integration_id}: cannot call Jira: {source}")]
    Credentials {
        /// The integration.
        integration_id: IntegrationId,
        /// Why.
        #[source]
        source: DirectoryError,
    },
    /// Jira refused or failed the search, or answered something that is not a search result.
    #[error("reconciling integration {integration_id}: Jira's issue search failed: {source}")]
    Search {
        /// The integration.
        integration_id: IntegrationId,
        /// The client's error, with Jira's `errorMessages` when it sent any.
        #[source]
        source: jirasync_client::Error,
    },
    /// Applying an issue's snapshot failed.
    #[error("reconciling integration {integration_id}: applying {issue_key} failed: {source}")]
    Sync {
        /// The integration.
        integration_id: IntegrationId,
        /// The Jira issue.
        issue_key: IssueKey,
        /// The rule's error.
        #[source]
        source: SyncError,
    },
    /// The run's lease ran out and another instance took the integration over.
    #[error(
        "reconciling integration {integration_id}: another instance took the reconcile lease over; \
         raise the lease time if batches take longer than it"
    )]
    LeaseLost {
        /// The integration.
        integration_id: IntegrationId,
    },
}

/// What one reconcile of one integration found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntegrationReconcile {
    /// The integration.
    pub integration_id: IntegrationId,
    /// `false` when another instance held the integration's lease: nothing was read.
    pub ran: bool,
    /// Where the window started (Jira's `updated` times from this on were read); `None` when
    /// every linked issue was read (no point yet, no `--since`).
    pub since: Option<EventTime>,
    /// Linked issue keys asked about.
    pub linked_keys: u64,
    /// Search requests sent.
    pub requests: u64,
    /// Issues Jira returned (updated in the window).
    pub issues_read: u64,
    /// Local issues whose assignee changed: assignee changes no webhook had delivered.
    pub assignee_changes: u64,
    /// Local issues whose resolution changed: status changes no webhook had delivered.
    pub status_changes: u64,
    /// Issues read whose linked local issues were already as Jira has them.
    pub unchanged_issues: u64,
    /// Syncs skipped because a newer event (a webhook) had been applied, per organization
    /// and kind.
    pub stale: u64,
    /// The reconcile point after the run.
    pub point: Option<EventTime>,
}

impl IntegrationReconcile {
    fn new(integration_id: IntegrationId) -> Self {
        Self {
            integration_id,
            ran: false,
            since: None,
            linked_keys: 0,
            requests: 0,
            issues_read: 0,
            assignee_changes: 0,
            status_changes: 0,
            unchanged_issues: 0,
            stale: 0,
            point: None,
        }
    }

    /// Changes no webhook had delivered, of both kinds.
    pub fn missed_changes(&self) -> u64 {
        self.assignee_changes + self.status_changes
    }
}

impl fmt::Display for IntegrationReconcile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.ran {
            return write!(
                f,
                "integration {}: skipped, another instance is reconciling it",
                self.integration_id
            );
        }
        write!(
            f,
            "integration {}: {} linked issues, {} updated in Jira since {}, {} changes no webhook \
             had delivered ({} assignee, {} status), {} already as Jira has them, {} older than a \
             webhook applied; reconciled up to {}",
            self.integration_id,
            self.linked_keys,
            self.issues_read,
            self.since
                .map_or_else(|| "ever".to_owned(), |since| since.to_string()),
            self.missed_changes(),
            self.assignee_changes,
            self.status_changes,
            self.unchanged_issues,
            self.stale,
            self.point
                .map_or_else(|| "nothing yet".to_owned(), |point| point.to_string()),
        )
    }
}

/// Reconciles integrations with their Jira: see the [module](self) documentation. Cheap to
/// clone: clones share the request pacing.
#[derive(Clone)]
pub struct Reconciler {
    service: SyncService,
    store: Arc<dyn ReconcileStore>,
    directory: ClientJiraDirectory,
    options: ReconcileOptions,
    holder: Arc<str>,
    pacer: Arc<Pacer>,
}

impl fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reconciler")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Reconciler {
    /// A reconciler applying through `service`'s rules, keeping its points and leases in
    /// `store` (the same database as the service's store), calling Jira with the credentials
    /// `directory` picks.
    pub fn new(
        service: SyncService,
        store: Arc<dyn ReconcileStore>,
        directory: ClientJiraDirectory,
        options: ReconcileOptions,
    ) -> Self {
        Self {
            service,
            store,
            directory,
            options,
            holder: Arc::from(jirasync_core::random_hex::<16>()),
            pacer: Arc::new(Pacer::new(options.request_spacing())),
        }
    }

    /// The options.
    pub fn options(&self) -> &ReconcileOptions {
        &self.options
    }

    /// Reconciles every integration, one after the other; `since` (when given) replaces each
    /// one's point minus the overlap as the start of the window. A failed integration does not
    /// stop the others: each has its own result.
    ///
    /// # Errors
    ///
    /// Only when the integrations cannot be listed.
    pub async fn reconcile_all(
        &self,
        since: Option<SystemTime>,
    ) -> Result<Vec<Result<IntegrationReconcile, ReconcileError>>, StoreError> {
        let integrations = self.service.store().integrations().await?;
        let mut results = Vec::with_capacity(integrations.len());
        for integration in integrations {
            results.push(self.reconcile_integration(integration.id, since).await);
        }
        Ok(results)
    }

    /// Reconciles one integration (see the [module](self) documentation). Counted in the
    /// service's metrics.
    ///
    /// # Errors
    ///
    /// A [`ReconcileError`]; the point has not moved.
    pub async fn reconcile_integration(
        &self,
        integration_id: IntegrationId,
        since: Option<SystemTime>,
    ) -> Result<IntegrationReconcile, ReconcileError> {
        let metrics = self.service.metrics();
        let result = self.run_leased(integration_id, since).await;
        match &result {
            Ok(report) if report.ran => {
                metrics.reconcile_run(ReconcileRunOutcome::Completed);
                metrics.reconcile_issues_read(report.issues_read);
                metrics.reconcile_missed_changes(report.assignee_changes, report.status_changes);
                tracing::info!(
                    %integration_id,
                    issues_read = report.issues_read,
                    missed_changes = report.missed_changes(),
                    "reconcile-completed"
                );
            }
            Ok(_) => {
                metrics.reconcile_run(ReconcileRunOutcome::Skipped);
                tracing::debug!(%integration_id, "reconcile-skipped");
            }
            Err(error) => {
                metrics.reconcile_run(ReconcileRunOutcome::Failed);
                tracing::warn!(%integration_id, %error, "reconcile-failed");
            }
        }
        result
    }

    async fn run_leased(
        &self,
        integration_id: IntegrationId,
        since: Option<SystemTime>,
    ) -> Result<IntegrationReconcile, ReconcileError> {
        let store_failed = |source| ReconcileError::Store {
            integration_id,
            source,
        };
        let integration = self
            .service
            .store()
            .integration(integration_id)
            .await
            .map_err(store_failed)?
            .ok_or(ReconcileError::UnknownIntegration { integration_id })?;
        if !self.renew_lease(integration_id).await? {
            return Ok(IntegrationReconcile::new(integration_id));
        }
        let client = match self.directory.client(&integration).await {
            Ok(client) => client,
            Err(source) => {
                self.release_lease(integration_id).await;
                return Err(ReconcileError::Credentials {
                    integration_id,
                    source,
                });
            }
        };
        let result = self.run(integration_id, &client, since).await;
        self.release_lease(integration_id).await;
        result
    }

    /// Takes or extends the lease; `Ok(false)` when another instance holds it.
    async fn renew_lease(&self, integration_id: IntegrationId) -> Result<bool, ReconcileError> {
        let now = self.service.now();
        self.store
            .acquire_reconcile_lease(integration_id, &self.holder, now, now + self.options.lease)
            .await
            .map_err(|source| ReconcileError::Store {
                integration_id,
                source,
            })
    }

    async fn release_lease(&self, integration_id: IntegrationId) {
        if let Err(error) = self
            .store
            .release_reconcile_lease(integration_id, &self.holder)
            .await
        {
            // The lease runs out by itself.
            tracing::warn!(%integration_id, %error, "reconcile-lease-not-released");
        }
    }

    async fn run(
        &self,
        integration_id: IntegrationId,
        client: &JiraClient,
        since: Option<SystemTime>,
    ) -> Result<IntegrationReconcile, ReconcileError> {
        let store_failed = |source| ReconcileError::Store {
            integration_id,
            source,
        };
        let mut report = IntegrationReconcile::new(integration_id);
        report.ran = true;
        let links = self
            .service
            .store()
            .organization_links(integration_id)
            .await
            .map_err(store_failed)?;
        if !syncs_inbound(&links, integration_id) {
            tracing::debug!(%integration_id, "reconcile-nothing-syncs-inbound");
            report.point = self
                .store
                .reconcile_point(integration_id)
                .await
                .map_err(store_failed)?;
            return Ok(report);
        }
        let point = self
            .store
            .reconcile_point(integration_id)
            .await
            .map_err(store_failed)?;
        report.point = point;
        report.since = match since {
            Some(since) => Some(EventTime::from_datetime(since.into())),
            None => point.map(|point| {
                let overlap = i64::try_from(self.options.overlap.as_millis()).unwrap_or(i64::MAX);
                EventTime::from_unix_millis(point.unix_millis().saturating_sub(overlap))
            }),
        };
        let window = report
            .since
            .map(|since| window_minutes(self.service.now(), since));

        let mut newest: Option<EventTime> = None;
        let mut after: Option<IssueKey> = None;
        loop {
            let keys = self
                .store
                .linked_issue_keys(
                    integration_id,
                    after.as_ref(),
                    self.options.keys_per_query.get(),
                )
                .await
                .map_err(store_failed)?;
            let Some(last) = keys.last().cloned() else {
                break;
            };
            report.linked_keys += keys.len() as u64;
            let jql = batch_jql(&keys, window);
            let mut start_at = 0;
            loop {
                self.pacer.wait().await;
                report.requests += 1;
                let page = client
                    .search_issues(&jql, start_at, self.options.page_size.get())
                    .await
                    .map_err(|source| ReconcileError::Search {
                        integration_id,
                        source,
                    })?;
                for warning in &page.warnings {
                    tracing::debug!(%integration_id, warning, "reconcile-search-warning");
                }
                for issue in &page.issues {
                    let snapshot = snapshot_of(issue);
                    self.apply(integration_id, &snapshot, &mut report).await?;
                    newest = newest.max(Some(snapshot.updated));
                }
                match page.next_start() {
                    Some(next) => start_at = next,
                    None => break,
                }
            }
            if !self.renew_lease(integration_id).await? {
                return Err(ReconcileError::LeaseLost { integration_id });
            }
            after = Some(last);
        }
        if let Some(newest) = newest.filter(|newest| point.is_none_or(|point| *newest > point)) {
            self.store
                .advance_reconcile_point(integration_id, newest)
                .await
                .map_err(store_failed)?;
            report.point = Some(newest);
        }
        Ok(report)
    }

    /// Applies one snapshot and adds what it did to `report`.
    async fn apply(
        &self,
        integration_id: IntegrationId,
        snapshot: &IssueSnapshot,
        report: &mut IntegrationReconcile,
    ) -> Result<(), ReconcileError> {
        report.issues_read += 1;
        let outcome = self
            .service
            .sync()
            .reconcile_issue(integration_id, snapshot)
            .await
            .map_err(|source| ReconcileError::Sync {
                integration_id,
                issue_key: snapshot.issue_key.clone(),
                source,
            })?;
        let assignee = outcome.assignee.changed as u64;
        let status = outcome.status.changed as u64;
        report.assignee_changes += assignee;
        report.status_changes += status;
        report.stale += outcome.stale() as u64;
        if outcome.changed() == 0 {
            report.unchanged_issues += 1;
        } else {
            // How an operator learns that Jira drops webhooks (docs/operations.md).
            tracing::warn!(
                %integration_id,
                issue_key = %snapshot.issue_key,
                updated = %snapshot.updated,
                assignee_changes = assignee,
                status_changes = status,
                "dropped-webhook: Jira changed the issue and no webhook delivered it; reconcile applied it"
            );
        }
        Ok(())
    }
}

/// Spaces requests at least `spacing` apart, across every task that shares it.
#[derive(Debug)]
struct Pacer {
    spacing: Duration,
    /// When the next request may be sent.
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(spacing: Duration) -> Self {
        Self {
            spacing,
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits until one more request is allowed.
    async fn wait(&self) {
        let mut next = self.next.lock().await;
        tokio::time::sleep_until(*next).await;
        *next = Instant::now() + self.spacing;
    }
}

/// Runs `reconciler` over every integration now and then every `interval` until `shutdown`.
/// Each pass logs what it found; a failing integration is retried at the next pass.
pub fn spawn_reconciler(
    reconciler: Reconciler,
    interval: Duration,
    shutdown: &Shutdown,
) -> JoinHandle<()> {
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let pass = async {
                if let Err(error) = reconciler.reconcile_all(None).await {
                    tracing::warn!(%error, "reconcile-failed");
                }
            };
            tokio::select! {
                () = shutdown.clone().triggered() => break,
                () = pass => {}
            }
            tokio::select! {
                () = shutdown.clone().triggered() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
        tracing::debug!("reconciler-stopped");
    })
}

/// Whole minutes from `since` to `now`, rounded up, at least 1: the relative JQL date
/// `-Nm`, which Jira reads in its own clock and needs no time zone (an absolute JQL date is read
/// in the searching user's time zone, which jirasync does not know).
fn window_minutes(now: SystemTime, since: EventTime) -> u64 {
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since_epoch| {
            i128::try_from(since_epoch.as_millis()).unwrap_or(i128::MAX)
        });
    let since = i128::from(since.unix_millis());
    let minutes = now
        .saturating_sub(since)
        .saturating_add(59_999)
        .div_euclid(60_000);
    u64::try_from(minutes.max(1)).unwrap_or(u64::MAX)
}

/// The JQL of one batch: its keys, quoted, and the window when there is one, in key order so
/// that pages stay stable while issues change.
fn batch_jql(keys: &[IssueKey], window_minutes: Option<u64>) -> String {
    let keys: Vec<String> = keys.iter().map(|key| jql_string(key.as_str())).collect();
    let mut jql = format!("key in ({})", keys.join(", "));
    if let Some(minutes) = window_minutes {
        jql.push_str(&format!(" AND updated >= \"-{minutes}m\""));
    }
    jql.push_str(" ORDER BY key ASC");
    jql
}

/// A JQL string literal: double quotes, with `"` and `\` escaped.
fn jql_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// The domain's snapshot of an issue a search found.
fn snapshot_of(issue: &jirasync_client::FoundIssue) -> IssueSnapshot {
    IssueSnapshot {
        issue_key: IssueKey::new(issue.key.as_str()),
        issue_id: Some(issue.id.as_str().into()),
        assignee: issue.assignee.clone().map(domain_user),
        status_id: StatusId::new(issue.status.id.as_str()),
        status_done: issue
            .status
            .status_category
            .as_ref()
            .map(jirasync_client::StatusCategory::is_done),
        updated: EventTime::from_datetime(issue.updated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(keys: &[&str]) -> Vec<IssueKey> {
        keys.iter().map(|key| IssueKey::new(*key)).collect()
    }

    #[test]
    fn batch_jql_names_every_key_quoted_and_the_window() {
        assert_eq!(
            batch_jql(&keys(&["APP-1", "OPS-22"]), Some(15)),
            "key in (\"APP-1\", \"OPS-22\") AND updated >= \"-15m\" ORDER BY key ASC"
        );
        assert_eq!(
            batch_jql(&keys(&["APP-1"]), None),
            "key in (\"APP-1\") ORDER BY key ASC"
        );
    }

    #[test]
    fn jql_strings_escape_quotes_and_backslashes() {
        assert_eq!(jql_string(r#"A"B\C"#), r#""A\"B\\C""#);
    }

    #[test]
    fn window_is_whole_minutes_rounded_up_and_at_least_one() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        let at = |seconds: i64| EventTime::from_unix_millis(seconds * 1000);
        assert_eq!(window_minutes(now, at(10_000 - 300)), 5);
        assert_eq!(window_minutes(now, at(10_000 - 301)), 6);
        assert_eq!(window_minutes(now, at(10_000)), 1);
        // A point ahead of this clock (Jira's clock runs ahead): still one minute.
        assert_eq!(window_minutes(now, at(10_100)), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests_by_the_rate() {
        let pacer = Pacer::new(Duration::from_millis(250));
        let start = Instant::now();
        pacer.wait().await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first request waits for nothing"
        );
        pacer.wait().await;
        pacer.wait().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    }

    #[test]
    fn request_spacing_follows_the_rate() {
        let options = |rate: f64| ReconcileOptions {
            requests_per_second: rate,
            ..ReconcileOptions::default()
        };
        assert_eq!(options(4.0).request_spacing(), Duration::from_millis(250));
        assert_eq!(options(0.5).request_spacing(), Duration::from_secs(2));
        assert_eq!(options(f64::INFINITY).request_spacing(), Duration::ZERO);
    }
}
