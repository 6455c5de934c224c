//! The metrics registry and its Prometheus text exposition (format 0.0.4), hand-written: see
//! `docs/decisions/0006-metrics.md`.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jirasync_domain::inbox::InboxDepth;
use jirasync_domain::rules::inbound::ChangeSetOutcome;
use jirasync_domain::rules::outcome::HaltReason;

/// The content type of the exposition.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The upper bounds, in seconds, of the processing latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How a webhook delivery was answered: the `outcome` label of
/// `jirasync_webhooks_received_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookOutcome {
    /// Stored in the inbox, answered 202.
    Accepted,
    /// Applied inline, answered 200.
    Applied,
    /// Nothing to sync (no changelog, or one touching neither assignee nor status), answered 200.
    Ignored,
    /// The URL token was refused or names no integration, answered 400.
    InvalidToken,
    /// The body is not a readable Jira payload, answered 400.
    BadPayload,
    /// The body is over the limit, answered 413.
    TooLarge,
    /// The store or Jira is unavailable, answered 503.
    Unavailable,
    /// The sync failed for a reason retrying will not fix (400), or the store failed (500).
    Failed,
}

impl WebhookOutcome {
    /// Every outcome, in exposition order.
    pub const ALL: [Self; 8] = [
        Self::Accepted,
        Self::Applied,
        Self::Ignored,
        Self::InvalidToken,
        Self::BadPayload,
        Self::TooLarge,
        Self::Unavailable,
        Self::Failed,
    ];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Applied => "applied",
            Self::Ignored => "ignored",
            Self::InvalidToken => "invalid_token",
            Self::BadPayload => "bad_payload",
            Self::TooLarge => "too_large",
            Self::Unavailable => "unavailable",
            Self::Failed => "failed",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::Accepted => 0,
            Self::Applied => 1,
            Self::Ignored => 2,
            Self::InvalidToken => 3,
            Self::BadPayload => 4,
            Self::TooLarge => 5,
            Self::Unavailable => 6,
            Self::Failed => 7,
        }
    }
}

impl fmt::Display for WebhookOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a delivery was applied: the `path` label of `jirasync_delivery_processing_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProcessingPath {
    /// In the request, in inline mode.
    Inline,
    /// By an inbox worker, from a claim.
    Worker,
    /// By the receiving process from the request in hand, in a free worker slot (inbox mode,
    /// [`WorkerOptions::apply_at_receipt`](crate::WorkerOptions::apply_at_receipt)).
    Receipt,
}

impl ProcessingPath {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inline => "inline",
            Self::Worker => "worker",
            Self::Receipt => "receipt",
        }
    }
}

/// The metrics of one service, cheap to clone (clones share the counters), rendered as
/// Prometheus text (format 0.0.4) by [`Metrics::render`].
///
/// Names are stable; each is documented in the crate README:
///
/// | name | type | labels |
/// |---|---|---|
/// | `jirasync_webhooks_received_total` | counter | `outcome`: see [`WebhookOutcome`] |
/// | `jirasync_webhook_invalid_tokens_total` | counter | — |
/// | `jirasync_sync_outcomes_total` | counter | `kind` (`assignee`, `status`, `comment`), `outcome` (`synced`, `halted`) |
/// | `jirasync_sync_halts_total` | counter | `kind`, `reason` (the domain's halt reason names) |
/// | `jirasync_sync_failures_total` | counter | `retryable` (`true`, `false`) |
/// | `jirasync_inbox_depth` | gauge | `state` (`ready`, `leased`, `dead`), read at scrape time |
/// | `jirasync_delivery_processing_seconds` | histogram | `path` (`inline`, `worker`, `receipt`) |
/// | `jirasync_event_times_ignored_total` | counter | — |
/// | `jirasync_deliveries_deferred_total` | counter | `reason` (`jira_unreachable`, `configuration`) |
/// | `jirasync_reconcile_runs_total` | counter | `outcome`: see [`ReconcileRunOutcome`] |
/// | `jirasync_reconcile_issues_read_total` | counter | — |
/// | `jirasync_reconcile_missed_changes_total` | counter | `kind` (`assignee`, `status`): changes Jira made that no webhook had delivered |
/// | `jirasync_outbox_attempts_total` | counter | `outcome`: see [`OutboxAttemptOutcome`] |
/// | `jirasync_outbox_depth` | gauge | `state` (`pending`, `failed`), as the outbox workers last read it |
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    registry: Arc<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    webhooks: [AtomicU64; WebhookOutcome::ALL.len()],
    invalid_tokens: AtomicU64,
    /// (kind, outcome) → count.
    sync_outcomes: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// (kind, reason) → count.
    halts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// [not retryable, retryable].
    failures: [AtomicU64; 2],
    latency: Mutex<BTreeMap<ProcessingPath, Histogram>>,
    /// Deliveries whose event time was further in the future than the tolerance.
    event_times_ignored: AtomicU64,
    /// [Jira unreachable, configuration]: inline deliveries kept in the inbox for later.
    deferred: [AtomicU64; 2],
    reconcile_runs: [AtomicU64; ReconcileRunOutcome::ALL.len()],
    reconcile_issues_read: AtomicU64,
    /// [assignee, status].
    reconcile_missed: [AtomicU64; 2],
    outbox_attempts: [AtomicU64; OutboxAttemptOutcome::ALL.len()],
    /// [pending, failed], as last read; `None` until a worker read it.
    outbox_depth: Mutex<Option<(u64, u64)>>,
}

/// How one attempt at outbound work ended: the `outcome` label of
/// `jirasync_outbox_attempts_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutboxAttemptOutcome {
    /// Jira accepted it.
    Done,
    /// A transient failure: tried again later.
    Retry,
    /// A permanent failure, or out of retry time: stopped with its reason.
    Failed,
}

impl OutboxAttemptOutcome {
    /// Every outcome, in exposition order.
    pub const ALL: [Self; 3] = [Self::Done, Self::Retry, Self::Failed];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retry => "retry",
            Self::Failed => "failed",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::Done => 0,
            Self::Retry => 1,
            Self::Failed => 2,
        }
    }
}

/// How one reconcile of one integration ended: the `outcome` label of
/// `jirasync_reconcile_runs_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReconcileRunOutcome {
    /// Every linked issue Jira changed in the window was read and applied; the point moved.
    Completed,
    /// Another instance holds the integration's reconcile lease: nothing was done.
    Skipped,
    /// Jira, the store or a sync failed; the point stayed, the next run reads the window again.
    Failed,
}

impl ReconcileRunOutcome {
    /// Every outcome, in exposition order.
    pub const ALL: [Self; 3] = [Self::Completed, Self::Skipped, Self::Failed];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::Completed => 0,
            Self::Skipped => 1,
            Self::Failed => 2,
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Per bucket (not cumulative), then the `+Inf` overflow.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        if let Some(bucket) = self.buckets.get_mut(slot) {
            *bucket += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

fn increment<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    *map.entry(key).or_default() += 1;
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a delivery answered with `outcome`.
    pub fn webhook_received(&self, outcome: WebhookOutcome) {
        if let Some(counter) = self.registry.webhooks.get(outcome.index()) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many deliveries were answered with `outcome`.
    pub fn webhooks_received(&self, outcome: WebhookOutcome) -> u64 {
        self.registry
            .webhooks
            .get(outcome.index())
            .map_or(0, |counter| counter.load(Ordering::Relaxed))
    }

    /// Counts a refused URL token (reference §3.8: `jira_server.webhook.invalid_token`).
    pub fn invalid_token(&self) {
        self.registry.invalid_tokens.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts what the sync of one delivery did, per kind, with its halt reasons.
    pub fn sync_applied(&self, outcome: &ChangeSetOutcome) {
        if let Some(assignee) = &outcome.assignee {
            self.sync_kind("assignee", assignee.halt);
        }
        if let Some(status) = &outcome.status {
            self.sync_kind("status", status.halt);
        }
        if let Some(comment) = &outcome.comment {
            self.sync_kind("comment", comment.halt);
        }
    }

    fn sync_kind(&self, kind: &'static str, halt: Option<HaltReason>) {
        let registry = &self.registry;
        match halt {
            None => increment(&registry.sync_outcomes, (kind, "synced")),
            Some(reason) => {
                increment(&registry.sync_outcomes, (kind, "halted"));
                increment(&registry.halts, (kind, reason.as_str()));
            }
        }
    }

    /// Counts a failed sync.
    pub fn sync_failed(&self, retryable: bool) {
        if let Some(counter) = self.registry.failures.get(usize::from(retryable)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a delivery whose event time lay further in the future than the tolerance, and
    /// was ignored.
    pub fn event_time_ignored(&self) {
        self.registry
            .event_times_ignored
            .fetch_add(1, Ordering::Relaxed);
    }

    /// How many deliveries had their event time ignored.
    pub fn event_times_ignored(&self) -> u64 {
        self.registry.event_times_ignored.load(Ordering::Relaxed)
    }

    /// Counts an inline delivery kept in the inbox for a later retry, because Jira could not
    /// be reached (`configuration` false) or the installation cannot call Jira (`true`).
    pub fn delivery_deferred(&self, configuration: bool) {
        if let Some(counter) = self.registry.deferred.get(usize::from(configuration)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records how long applying one delivery took.
    pub fn observe_processing(&self, path: ProcessingPath, elapsed: Duration) {
        let mut latency = self
            .registry
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        latency
            .entry(path)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a reconcile of one integration that ended with `outcome`.
    pub fn reconcile_run(&self, outcome: ReconcileRunOutcome) {
        if let Some(counter) = self.registry.reconcile_runs.get(outcome.index()) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many reconciles ended with `outcome`.
    pub fn reconcile_runs(&self, outcome: ReconcileRunOutcome) -> u64 {
        self.registry
            .reconcile_runs
            .get(outcome.index())
            .map_or(0, |counter| counter.load(Ordering::Relaxed))
    }

    /// Counts issues a reconcile read from Jira.
    pub fn reconcile_issues_read(&self, issues: u64) {
        self.registry
            .reconcile_issues_read
            .fetch_add(issues, Ordering::Relaxed);
    }

    /// Counts local issues a reconcile changed: changes of Jira that no webhook had delivered
    /// (the sign that Jira drops webhooks).
    pub fn reconcile_missed_changes(&self, assignee: u64, status: u64) {
        let [assignee_counter, status_counter] = &self.registry.reconcile_missed;
        assignee_counter.fetch_add(assignee, Ordering::Relaxed);
        status_counter.fetch_add(status, Ordering::Relaxed);
    }

    /// The changes reconciles found that no webhook had delivered, (assignee, status).
    pub fn reconcile_missed(&self) -> (u64, u64) {
        let [assignee, status] = &self.registry.reconcile_missed;
        (
            assignee.load(Ordering::Relaxed),
            status.load(Ordering::Relaxed),
        )
    }

    /// Counts an attempt at outbound work.
    pub fn outbox_attempt(&self, outcome: OutboxAttemptOutcome) {
        if let Some(counter) = self.registry.outbox_attempts.get(outcome.index()) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many attempts at outbound work ended so.
    pub fn outbox_attempts(&self, outcome: OutboxAttemptOutcome) -> u64 {
        self.registry
            .outbox_attempts
            .get(outcome.index())
            .map_or(0, |counter| counter.load(Ordering::Relaxed))
    }

    /// Records how much outbound work is pending and failed.
    pub fn set_outbox_depth(&self, pending: u64, failed: u64) {
        *self
            .registry
            .outbox_depth
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((pending, failed));
    }

    /// The exposition, with the inbox depth when one was read.
    pub fn render(&self, inbox_depth: Option<InboxDepth>) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, inbox_depth);
        out
    }

    fn write(&self, out: &mut String, inbox_depth: Option<InboxDepth>) -> fmt::Result {
        let registry = &self.registry;
        header(
            out,
            "jirasync_webhooks_received_total",
            "counter",
            "Webhook deliveries received, by how they were answered.",
        )?;
        for outcome in WebhookOutcome::ALL {
            writeln!(
                out,
                "jirasync_webhooks_received_total{{outcome=\"{outcome}\"}} {}",
                self.webhooks_received(outcome)
            )?;
        }

        header(
            out,
            "jirasync_webhook_invalid_tokens_total",
            "counter",
            "Webhook deliveries whose URL token was refused.",
        )?;
        writeln!(
            out,
            "jirasync_webhook_invalid_tokens_total {}",
            registry.invalid_tokens.load(Ordering::Relaxed)
        )?;

        write_pairs(
            out,
            "jirasync_sync_outcomes_total",
            "Inbound syncs by kind and outcome (synced or halted).",
            ("kind", "outcome"),
            &registry.sync_outcomes,
        )?;
        write_pairs(
            out,
            "jirasync_sync_halts_total",
            "Inbound syncs that stopped short, by kind and reason.",
            ("kind", "reason"),
            &registry.halts,
        )?;

        header(
            out,
            "jirasync_sync_failures_total",
            "counter",
            "Inbound syncs that failed, by whether a retry may succeed.",
        )?;
        for (retryable, counter) in ["false", "true"].iter().zip(&registry.failures) {
            writeln!(
                out,
                "jirasync_sync_failures_total{{retryable=\"{retryable}\"}} {}",
                counter.load(Ordering::Relaxed)
            )?;
        }

        header(
            out,
            "jirasync_event_times_ignored_total",
            "counter",
            "Deliveries whose event time lay beyond the tolerance window and was ignored.",
        )?;
        writeln!(
            out,
            "jirasync_event_times_ignored_total {}",
            registry.event_times_ignored.load(Ordering::Relaxed)
        )?;

        header(
            out,
            "jirasync_deliveries_deferred_total",
            "counter",
            "Inline deliveries kept in the inbox for a retry, by why they could not be applied.",
        )?;
        for (reason, counter) in ["jira_unreachable", "configuration"]
            .iter()
            .zip(&registry.deferred)
        {
            writeln!(
                out,
                "jirasync_deliveries_deferred_total{{reason=\"{reason}\"}} {}",
                counter.load(Ordering::Relaxed)
            )?;
        }

        if let Some(depth) = inbox_depth {
            header(
                out,
                "jirasync_inbox_depth",
                "gauge",
                "Inbox deliveries by state, read when scraped.",
            )?;
            for (state, value) in [
                ("ready", depth.ready),
                ("leased", depth.leased),
                ("dead", depth.dead),
            ] {
                writeln!(out, "jirasync_inbox_depth{{state=\"{state}\"}} {value}")?;
            }
        }

        header(
            out,
            "jirasync_reconcile_runs_total",
            "counter",
            "Reconciles of one integration with Jira, by how they ended.",
        )?;
        for outcome in ReconcileRunOutcome::ALL {
            writeln!(
                out,
                "jirasync_reconcile_runs_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                self.reconcile_runs(outcome)
            )?;
        }
        header(
            out,
            "jirasync_reconcile_issues_read_total",
            "counter",
            "Issues reconciles read from Jira.",
        )?;
        writeln!(
            out,
            "jirasync_reconcile_issues_read_total {}",
            registry.reconcile_issues_read.load(Ordering::Relaxed)
        )?;
        header(
            out,
            "jirasync_reconcile_missed_changes_total",
            "counter",
            "Changes a reconcile applied that no webhook had delivered: Jira dropped webhooks.",
        )?;
        let (assignee, status) = self.reconcile_missed();
        writeln!(
            out,
            "jirasync_reconcile_missed_changes_total{{kind=\"assignee\"}} {assignee}"
        )?;
        writeln!(
            out,
            "jirasync_reconcile_missed_changes_total{{kind=\"status\"}} {status}"
        )?;

        header(
            out,
            "jirasync_delivery_processing_seconds",
            "histogram",
            "Time to apply one delivery, inline or by a worker.",
        )?;
        let latency = registry
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (path, histogram) in latency {
            let path = path.as_str();
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS.iter().zip(&histogram.buckets) {
                cumulative += count;
                writeln!(
                    out,
                    "jirasync_delivery_processing_seconds_bucket{{path=\"{path}\",le=\"{bound}\"}} {cumulative}"
                )?;
            }
            writeln!(
                out,
                "jirasync_delivery_processing_seconds_bucket{{path=\"{path}\",le=\"+Inf\"}} {}",
                histogram.count
            )?;
            writeln!(
                out,
                "jirasync_delivery_processing_seconds_sum{{path=\"{path}\"}} {}",
                histogram.sum
            )?;
            writeln!(
                out,
                "jirasync_delivery_processing_seconds_count{{path=\"{path}\"}} {}",
                histogram.count
            )?;
        }
        header(
            out,
            "jirasync_outbox_attempts_total",
            "counter",
            "Attempts at outbound work (application changes sent to Jira), by how they ended.",
        )?;
        for outcome in OutboxAttemptOutcome::ALL {
            writeln!(
                out,
                "jirasync_outbox_attempts_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                self.outbox_attempts(outcome)
            )?;
        }
        let depth = *registry
            .outbox_depth
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((pending, failed)) = depth {
            header(
                out,
                "jirasync_outbox_depth",
                "gauge",
                "Outbound work by state, as the outbox workers last read it.",
            )?;
            writeln!(out, "jirasync_outbox_depth{{state=\"pending\"}} {pending}")?;
            writeln!(out, "jirasync_outbox_depth{{state=\"failed\"}} {failed}")?;
        }
        Ok(())
    }
}

/// A counter with two labels, one line per pair of values seen.
fn write_pairs(
    out: &mut String,
    name: &str,
    help: &str,
    (first, second): (&str, &str),
    counts: &Mutex<BTreeMap<(&'static str, &'static str), u64>>,
) -> fmt::Result {
    header(out, name, "counter", help)?;
    let counts = counts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for ((a, b), count) in counts {
        writeln!(out, "{name}{{{first}=\"{a}\",{second}=\"{b}\"}} {count}")?;
    }
    Ok(())
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} {kind}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_webhook_outcome_is_exposed_even_at_zero() {
        let metrics = Metrics::new();
        metrics.webhook_received(WebhookOutcome::TooLarge);
        let text = metrics.render(None);
        assert!(text.contains("jirasync_webhooks_received_total{outcome=\"too_large\"} 1\n"));
        assert!(text.contains("jirasync_webhooks_received_total{outcome=\"accepted\"} 0\n"));
        assert!(text.contains("# TYPE jirasync_webhooks_received_total counter\n"));
        assert!(!text.contains("jirasync_inbox_depth"));
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new();
        metrics.observe_processing(ProcessingPath::Worker, Duration::from_millis(20));
        metrics.observe_processing(ProcessingPath::Worker, Duration::from_secs(60));
        let text = metrics.render(None);
        let line = |le: &str| {
            format!("jirasync_delivery_processing_seconds_bucket{{path=\"worker\",le=\"{le}\"}}")
        };
        assert!(text.contains(&format!("{} 0\n", line("0.01"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", line("0.025"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", line("10"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", line("+Inf"))), "{text}");
        assert!(text.contains("jirasync_delivery_processing_seconds_count{path=\"worker\"} 2\n"));
    }

    #[test]
    fn inbox_depth_is_exposed_by_state() {
        let depth = InboxDepth {
            ready: 3,
            leased: 1,
            dead: 2,
        };
        let text = Metrics::new().render(Some(depth));
        assert!(text.contains("jirasync_inbox_depth{state=\"ready\"} 3\n"));
        assert!(text.contains("jirasync_inbox_depth{state=\"dead\"} 2\n"));
    }

    #[test]
    fn reconcile_counters_are_exposed_even_at_zero() {
        let metrics = Metrics::new();
        let text = metrics.render(None);
        assert!(text.contains("jirasync_reconcile_runs_total{outcome=\"completed\"} 0\n"));
        assert!(text.contains("jirasync_reconcile_missed_changes_total{kind=\"status\"} 0\n"));
        metrics.reconcile_run(ReconcileRunOutcome::Skipped);
        metrics.reconcile_issues_read(7);
        metrics.reconcile_missed_changes(2, 1);
        let text = metrics.render(None);
        assert!(text.contains("jirasync_reconcile_runs_total{outcome=\"skipped\"} 1\n"));
        assert!(text.contains("jirasync_reconcile_issues_read_total 7\n"));
        assert!(text.contains("jirasync_reconcile_missed_changes_total{kind=\"assignee\"} 2\n"));
        assert!(text.contains("jirasync_reconcile_missed_changes_total{kind=\"status\"} 1\n"));
    }

    #[test]
    fn failures_are_split_by_retryability() {
        let metrics = Metrics::new();
        metrics.sync_failed(true);
        metrics.sync_failed(true);
        metrics.sync_failed(false);
        let text = metrics.render(None);
        assert!(text.contains("jirasync_sync_failures_total{retryable=\"true\"} 2\n"));
        assert!(text.contains("jirasync_sync_failures_total{retryable=\"false\"} 1\n"));
    }

    #[test]
    fn ignored_event_times_and_deferred_deliveries_are_counted() {
        let metrics = Metrics::new();
        metrics.event_time_ignored();
        metrics.delivery_deferred(false);
        metrics.delivery_deferred(true);
        metrics.delivery_deferred(true);
        let text = metrics.render(None);
        assert!(
            text.contains("jirasync_event_times_ignored_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("jirasync_deliveries_deferred_total{reason=\"jira_unreachable\"} 1\n")
        );
        assert!(text.contains("jirasync_deliveries_deferred_total{reason=\"configuration\"} 2\n"));
    }

    #[test]
    fn outbox_attempts_and_depth_are_exposed() {
        let metrics = Metrics::new();
        assert!(!metrics.render(None).contains("jirasync_outbox_depth"));
        metrics.outbox_attempt(OutboxAttemptOutcome::Done);
        metrics.outbox_attempt(OutboxAttemptOutcome::Retry);
        metrics.outbox_attempt(OutboxAttemptOutcome::Retry);
        metrics.set_outbox_depth(3, 1);
        let text = metrics.render(None);
        assert!(
            text.contains("jirasync_outbox_attempts_total{outcome=\"done\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("jirasync_outbox_attempts_total{outcome=\"retry\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("jirasync_outbox_attempts_total{outcome=\"failed\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("jirasync_outbox_depth{state=\"pending\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("jirasync_outbox_depth{state=\"failed\"} 1\n"),
            "{text}"
        );
    }
}
