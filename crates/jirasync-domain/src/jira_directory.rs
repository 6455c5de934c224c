//! What the rules need to ask Jira, and the cache of each integration's `done` statuses.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jirasync_webhook::{JiraUser, StatusId};

use crate::ids::IntegrationId;
use crate::integration::Integration;

/// How long the `done` status set of an integration is reused (reference §3.5: 240 s).
pub const DONE_STATUSES_TTL: Duration = Duration::from_secs(240);

/// Why a Jira look-up failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// Jira could not be reached or answered with a server error; retry later.
    #[error("Jira could not be reached: {message}")]
    Unreachable {
        /// What went wrong.
        message: String,
    },
    /// Jira refused the call (bad credentials, missing permission).
    #[error("Jira refused the request: {message}")]
    Refused {
        /// Jira's reason.
        message: String,
    },
    /// The integration has no credentials to call Jira with.
    #[error("no credentials for integration {integration_id}: reinstall it")]
    NoCredentials {
        /// The integration.
        integration_id: IntegrationId,
    },
}

impl DirectoryError {
    /// Whether the same look-up may succeed later without anyone changing anything: Jira
    /// unreachable or failing. A refusal or missing credentials need an operator
    /// ([`DirectoryError::needs_operator`]).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// Whether the installation's configuration is at fault (no credentials, or credentials
    /// Jira refuses): retrying will not help until an operator fixes it.
    pub fn needs_operator(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::NoCredentials { .. })
    }
}

/// The Jira look-ups the rules need. An adapter implements it with the REST client.
#[async_trait]
pub trait JiraDirectory: Send + Sync {
    /// The Jira user with `user`'s username (`name`) or, failing that, user key (`key`);
    /// `Ok(None)` when Jira knows neither. Used to learn an e-mail the webhook hid.
    async fn find_user(
        &self,
        integration: &Integration,
        user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError>;

    /// The ids of the statuses whose category key is `done` (`GET /rest/api/2/status`).
    async fn done_status_ids(
        &self,
        integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError>;
}

// The cache ages its entries on jirasync's one clock (its monotonic reading), injectable so expiry
// is testable.
pub use jirasync_core::{Clock, ManualClock, SystemClock};

/// When a `done` set was fetched, and the set.
type CachedStatuses = (Instant, Arc<BTreeSet<StatusId>>);

/// The `done` status ids of each integration, fetched through a [`JiraDirectory`] and reused for
/// [`DONE_STATUSES_TTL`]. Failures are not cached.
pub(crate) struct DoneStatusCache {
    clock: Arc<dyn Clock>,
    ttl: Duration,
    entries: Mutex<HashMap<IntegrationId, CachedStatuses>>,
}

impl fmt::Debug for DoneStatusCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoneStatusCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl DoneStatusCache {
    /// A cache on `clock` keeping entries for [`DONE_STATUSES_TTL`].
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            ttl: DONE_STATUSES_TTL,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The integration's `done` status ids, from the cache while fresh, else from `directory`.
    pub(crate) async fn done_status_ids<D: JiraDirectory + ?Sized>(
        &self,
        directory: &D,
        integration: &Integration,
    ) -> Result<Arc<BTreeSet<StatusId>>, DirectoryError> {
        let now = self.clock.monotonic();
        if let Some(cached) = self.fresh(integration.id, now) {
            return Ok(cached);
        }
        let fetched = Arc::new(directory.done_status_ids(integration).await?);
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(integration.id, (now, Arc::clone(&fetched)));
        Ok(fetched)
    }

    fn fresh(
        &self,
        integration_id: IntegrationId,
        now: Instant,
    ) -> Option<Arc<BTreeSet<StatusId>>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (fetched_at, statuses) = entries.get(&integration_id)?;
        (now.saturating_duration_since(*fetched_at) < self.ttl).then(|| Arc::clone(statuses))
    }
}

#[cfg(feature = "testing")]
/// A [`JiraDirectory`] that answers from fixed data: for tests, examples and the conformance
/// suite. It can be told to fail, and counts its status look-ups.
#[derive(Debug, Default)]
pub struct StaticJiraDirectory {
    users: Vec<JiraUser>,
    done_statuses: BTreeSet<StatusId>,
    failure: Option<DirectoryError>,
    status_lookups: std::sync::atomic::AtomicUsize,
}

#[cfg(feature = "testing")]
impl StaticJiraDirectory {
    /// A directory that knows no user and no `done` status.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user, found by its `name` or `key`.
    #[must_use]
    pub fn with_user(mut self, user: JiraUser) -> Self {
        self.users.push(user);
        self
    }

    /// Sets the `done` status ids.
    #[must_use]
    pub fn with_done_statuses<I, T>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<StatusId>,
    {
        self.done_statuses = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Makes every look-up fail with `error`.
    #[must_use]
    pub fn failing(mut self, error: DirectoryError) -> Self {
        self.failure = Some(error);
        self
    }

    /// How many times [`JiraDirectory::done_status_ids`] was called.
    pub fn status_lookups(&self) -> usize {
        self.status_lookups
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(feature = "testing")]
#[async_trait]
impl JiraDirectory for StaticJiraDirectory {
    async fn find_user(
        &self,
        _integration: &Integration,
        user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        Ok(self
            .users
            .iter()
            .find(|known| same(&known.name, &user.name))
            .or_else(|| self.users.iter().find(|known| same(&known.key, &user.key)))
            .cloned())
    }

    async fn done_status_ids(
        &self,
        _integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        self.status_lookups
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match &self.failure {
            Some(error) => Err(error.clone()),
            None => Ok(self.done_statuses.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::{ExternalId, IntegrationMetadata};

    fn integration(id: u64) -> Integration {
        Integration {
            id: IntegrationId::new(id),
            provider: "jira_server".into(),
            external_id: ExternalId::new(format!("jira{id}.example.com:key")),
            name: "key".into(),
            metadata: IntegrationMetadata {
                base_url: format!("https://jira{id}.example.com"),
                domain_name: format!("jira{id}.example.com"),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        }
    }

    #[tokio::test]
    async fn the_cache_is_per_integration_and_expires() {
        let clock = Arc::new(ManualClock::new());
        let cache = DoneStatusCache::new(clock.clone());
        let directory = StaticJiraDirectory::new().with_done_statuses(["10002"]);
        cache
            .done_status_ids(&directory, &integration(1))
            .await
            .unwrap();
        cache
            .done_status_ids(&directory, &integration(2))
            .await
            .unwrap();
        cache
            .done_status_ids(&directory, &integration(1))
            .await
            .unwrap();
        assert_eq!(directory.status_lookups(), 2);
        clock.advance(DONE_STATUSES_TTL);
        let done = cache
            .done_status_ids(&directory, &integration(1))
            .await
            .unwrap();
        assert_eq!(directory.status_lookups(), 3);
        assert!(done.contains(&StatusId::new("10002")));
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cache = DoneStatusCache::new(Arc::new(ManualClock::new()));
        let failing = StaticJiraDirectory::new().failing(DirectoryError::Refused {
            message: "401".into(),
        });
        assert!(
            cache
                .done_status_ids(&failing, &integration(1))
                .await
                .is_err()
        );
        let working = StaticJiraDirectory::new().with_done_statuses(["6"]);
        let done = cache
            .done_status_ids(&working, &integration(1))
            .await
            .unwrap();
        assert!(done.contains(&StatusId::new("6")));
    }

    #[tokio::test]
    async fn static_directory_finds_users_by_name_then_key() {
        let known = JiraUser {
            name: Some("asmith".into()),
            key: Some("JIRAUSER1".into()),
            email_address: Some("alice@example.com".into()),
            ..JiraUser::default()
        };
        let directory = StaticJiraDirectory::new().with_user(known.clone());
        let by_key = JiraUser {
            name: Some("renamed".into()),
            key: Some("JIRAUSER1".into()),
            ..JiraUser::default()
        };
        let found = directory.find_user(&integration(1), &by_key).await.unwrap();
        assert_eq!(found, Some(known));
        let nobody = directory
            .find_user(&integration(1), &JiraUser::default())
            .await
            .unwrap();
        assert_eq!(nobody, None);
    }
}
