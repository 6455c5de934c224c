//! The PostgreSQL store's cache (its listener is `postgres/config_listener.rs`): what every
//! delivery reads and an operator rarely changes, kept in memory: integrations by
//! id (with their webhook secrets) and each integration's organization links (with the
//! organizations' settings and the links' sync configuration). Two to four round trips of
//! every delivery, answered without the database.
//!
//! **Invalidation, across instances.** Migration 12 adds statement triggers on the four tables
//! these come from (`jirasync_integrations`, `jirasync_integration_webhook_secrets`,
//! `jirasync_organizations`, `jirasync_organization_integrations`) that `NOTIFY
//! jirasync_config` on every change, whoever makes it (another instance, the CLI, `psql`). A
//! listener task on a connection of its own empties the cache on each notification.
//!
//! - **Nothing is served unless the listener is listening.** Until it is (at start, and after
//!   its connection is lost, when notifications may have been missed), every read goes to the
//!   database; once it listens again, the cache starts empty.
//! - **A read never keeps what a change made stale.** Every change empties the cache and
//!   advances its generation; a value read from the database is kept only if the generation is
//!   the one before the read began.
//! - **This instance's own writes** empty the cache as soon as they commit
//!   ([`ConfigCache::forget`]), before their notification comes back.
//!
//! What is left is the notification's delay: another instance's change is seen by this one
//! when its notification arrives, normally within a millisecond of the commit.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jirasync_domain::ids::IntegrationId;
use jirasync_domain::integration::Integration;
use jirasync_domain::store::OrganizationLink;

/// Integrations and organization links, valid while the listener listens.
#[derive(Debug, Default)]
pub(crate) struct ConfigCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Advanced by every change: a read that began at another generation is not kept.
    generation: u64,
    /// Whether the listener listens, so that a change elsewhere reaches the cache.
    listening: bool,
    integrations: HashMap<IntegrationId, Integration>,
    links: HashMap<IntegrationId, Vec<OrganizationLink>>,
}

/// Where a read from the database began, for [`ConfigCache::keep_integration`] and
/// [`ConfigCache::keep_links`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

impl State {
    /// Whether a value read from the database from `read_from` on may be kept: the listener
    /// listens and nothing changed since.
    fn keeps(&self, read_from: Generation) -> bool {
        self.listening && self.generation == read_from.0
    }

    /// Empties the cache and starts a new generation.
    #[cfg(any(test, feature = "postgres"))]
    fn forget(&mut self) {
        self.generation += 1;
        self.integrations.clear();
        self.links.clear();
    }
}

impl ConfigCache {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The integration kept for `id`.
    pub(crate) fn integration(&self, id: IntegrationId) -> Option<Integration> {
        let state = self.state();
        state
            .listening
            .then(|| state.integrations.get(&id).cloned())
            .flatten()
    }

    /// The organization links kept for the integration `id`.
    pub(crate) fn links(&self, id: IntegrationId) -> Option<Vec<OrganizationLink>> {
        let state = self.state();
        state
            .listening
            .then(|| state.links.get(&id).cloned())
            .flatten()
    }

    /// The generation a read from the database begins at.
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.state().generation)
    }

    /// Keeps `integration`, read from the database from `read_from` on, unless the
    /// configuration changed meanwhile or nothing would tell the cache of a change.
    pub(crate) fn keep_integration(&self, read_from: Generation, integration: &Integration) {
        let mut state = self.state();
        if state.keeps(read_from) {
            state
                .integrations
                .insert(integration.id, integration.clone());
        }
    }

    /// Keeps the integration `id`'s `links`, as [`ConfigCache::keep_integration`] does.
    pub(crate) fn keep_links(
        &self,
        read_from: Generation,
        id: IntegrationId,
        links: &[OrganizationLink],
    ) {
        let mut state = self.state();
        if state.keeps(read_from) {
            state.links.insert(id, links.to_vec());
        }
    }

    /// Empties the cache: the configuration changed (or may have).
    #[cfg(any(test, feature = "postgres"))]
    pub(crate) fn forget(&self) {
        self.state().forget();
    }

    /// Empties the cache and records whether the listener listens.
    #[cfg(any(test, feature = "postgres"))]
    pub(crate) fn set_listening(&self, listening: bool) {
        let mut state = self.state();
        state.listening = listening;
        state.forget();
    }
}

#[cfg(test)]
mod tests {
    use jirasync_domain::integration::{ExternalId, IntegrationMetadata};

    use super::*;

    fn integration(id: u64) -> Integration {
        Integration {
            id: IntegrationId::new(id),
            provider: "jira_server".to_owned(),
            external_id: ExternalId::new(format!("jira-{id}")),
            name: "Jira".to_owned(),
            metadata: IntegrationMetadata {
                base_url: "https://jira.example.com".to_owned(),
                domain_name: "jira.example.com".to_owned(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        }
    }

    #[test]
    fn nothing_is_kept_or_served_until_the_listener_listens() {
        let cache = ConfigCache::default();
        cache.keep_integration(cache.generation(), &integration(1));
        assert_eq!(cache.integration(IntegrationId::new(1)), None);

        cache.set_listening(true);
        cache.keep_integration(cache.generation(), &integration(1));
        assert_eq!(
            cache.integration(IntegrationId::new(1)),
            Some(integration(1))
        );
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let cache = ConfigCache::default();
        cache.set_listening(true);
        let read_from = cache.generation();
        cache.forget();
        cache.keep_integration(read_from, &integration(1));
        cache.keep_links(read_from, IntegrationId::new(1), &[]);
        assert_eq!(cache.integration(IntegrationId::new(1)), None);
        assert_eq!(cache.links(IntegrationId::new(1)), None);
    }

    #[test]
    fn a_change_or_a_lost_listener_empties_the_cache() {
        let cache = ConfigCache::default();
        cache.set_listening(true);
        cache.keep_integration(cache.generation(), &integration(1));
        cache.keep_links(cache.generation(), IntegrationId::new(1), &[]);
        assert_eq!(cache.links(IntegrationId::new(1)), Some(Vec::new()));
        cache.forget();
        assert_eq!(cache.integration(IntegrationId::new(1)), None);
        assert_eq!(cache.links(IntegrationId::new(1)), None);

        cache.keep_integration(cache.generation(), &integration(1));
        cache.set_listening(false);
        assert_eq!(cache.integration(IntegrationId::new(1)), None);
        cache.set_listening(true);
        assert_eq!(cache.integration(IntegrationId::new(1)), None);
    }
}
