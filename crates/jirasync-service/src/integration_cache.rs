//! The integrations deliveries name, kept for a short time: every delivery's URL token names
//! its integration, which changes only when it is installed again (new webhook secrets) or
//! removed, so looking it up in the store for each delivery is a round trip for nothing.
//!
//! Only an integration read from the store and whose secrets verified a token is kept, so a
//! stranger's tokens cannot fill the cache. A token that does not verify with the kept secrets
//! is checked against the store before it is refused (a secret rotated by another process, such
//! as `jirasync connect`, is seen at once). An integration removed elsewhere may still verify
//! tokens for up to the time-to-live; its organization links are read from the store when the
//! delivery is applied, so nothing is synced for it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use jirasync_domain::integration::{ExternalId, Integration};

/// How long an integration is kept unless configured otherwise.
pub const DEFAULT_INTEGRATION_CACHE_TTL: Duration = Duration::from_secs(5);

/// Integrations by external id, each with the time it was read.
#[derive(Debug)]
pub(crate) struct IntegrationCache {
    ttl: Duration,
    entries: Mutex<HashMap<ExternalId, (Integration, SystemTime)>>,
}

impl IntegrationCache {
    /// A cache keeping integrations for `ttl` (zero: never).
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The integration kept for `external_id`, if it was read less than the time-to-live
    /// before `now`.
    pub(crate) fn get(&self, external_id: &ExternalId, now: SystemTime) -> Option<Integration> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (integration, read_at) = entries.get(external_id)?;
        let age = now.duration_since(*read_at).unwrap_or(Duration::MAX);
        (age < self.ttl).then(|| integration.clone())
    }

    /// Keeps `integration`, read from the store at `now`.
    pub(crate) fn put(&self, integration: &Integration, now: SystemTime) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Expired entries go whenever one is added: the map holds at most the integrations
        // seen within one time-to-live.
        entries
            .retain(|_, (_, read_at)| now.duration_since(*read_at).is_ok_and(|age| age < self.ttl));
        entries.insert(integration.external_id.clone(), (integration.clone(), now));
    }

    /// Forgets `external_id` (its secrets no longer verify a token the store's do).
    pub(crate) fn forget(&self, external_id: &ExternalId) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(external_id);
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use jirasync_domain::ids::IntegrationId;
    use jirasync_domain::integration::IntegrationMetadata;

    use super::*;

    fn integration(external_id: &str) -> Integration {
        Integration {
            id: IntegrationId::new(1),
            provider: "jira_server".into(),
            external_id: ExternalId::new(external_id),
            name: "jira".into(),
            metadata: IntegrationMetadata {
                base_url: "https://jira.example.com".into(),
                domain_name: "jira.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        }
    }

    #[test]
    fn keeps_an_integration_for_its_time_to_live_only() {
        let cache = IntegrationCache::new(Duration::from_secs(5));
        let start = UNIX_EPOCH + Duration::from_secs(1_000);
        let id = ExternalId::new("jira.example.com:jirasync");
        assert_eq!(cache.get(&id, start), None);
        cache.put(&integration(id.as_str()), start);
        let later = start + Duration::from_millis(4_999);
        assert_eq!(cache.get(&id, later), Some(integration(id.as_str())));
        assert_eq!(cache.get(&id, start + Duration::from_secs(5)), None);
        // A clock that went back does not keep it for ever.
        assert_eq!(cache.get(&id, start - Duration::from_secs(1)), None);
        cache.forget(&id);
        assert_eq!(cache.get(&id, later), None);
    }

    #[test]
    fn a_zero_time_to_live_keeps_nothing_and_expired_entries_go() {
        let off = IntegrationCache::new(Duration::ZERO);
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        off.put(&integration("a"), now);
        assert_eq!(off.get(&ExternalId::new("a"), now), None);

        let cache = IntegrationCache::new(Duration::from_secs(5));
        cache.put(&integration("a"), now);
        cache.put(&integration("b"), now + Duration::from_secs(10));
        let entries = cache.entries.lock().unwrap();
        assert_eq!(entries.len(), 1, "a expired when b was added");
    }
}
