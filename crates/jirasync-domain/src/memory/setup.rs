//! [`SetupStore`] in memory: the saved public URL and the one-time set-up links.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::InMemoryStore;
use crate::setup::{SetupLink, SetupStore, SetupTokenHash};
use crate::store::StoreError;

/// The set-up records, behind their own lock (no call holds it with the main state's).
#[derive(Debug, Clone, Default)]
pub(super) struct SetupRecords(Arc<Mutex<Records>>);

#[derive(Debug, Default)]
struct Records {
    public_url: Option<String>,
    links: HashMap<SetupTokenHash, SetupLink>,
}

impl SetupRecords {
    fn lock(&self) -> MutexGuard<'_, Records> {
        // Every change is one insert or one field write: a panic cannot leave it half-changed.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl SetupStore for InMemoryStore {
    async fn public_url(&self) -> Result<Option<String>, StoreError> {
        Ok(self.setup.lock().public_url.clone())
    }

    async fn save_public_url(&self, url: &str) -> Result<(), StoreError> {
        self.setup.lock().public_url = Some(url.to_owned());
        Ok(())
    }

    async fn create_setup_link(&self, link: SetupLink) -> Result<(), StoreError> {
        let mut records = self.setup.lock();
        if records.links.contains_key(&link.token_hash) {
            return Err(StoreError::conflict("a set-up link has this token already"));
        }
        records.links.insert(link.token_hash.clone(), link);
        Ok(())
    }

    async fn setup_link(
        &self,
        token_hash: &SetupTokenHash,
    ) -> Result<Option<SetupLink>, StoreError> {
        Ok(self.setup.lock().links.get(token_hash).cloned())
    }

    async fn use_setup_link(
        &self,
        token_hash: &SetupTokenHash,
        now: u64,
    ) -> Result<bool, StoreError> {
        let mut records = self.setup.lock();
        match records.links.get_mut(token_hash) {
            Some(link) if link.check(now).is_ok() => {
                link.used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release_setup_link(&self, token_hash: &SetupTokenHash) -> Result<(), StoreError> {
        if let Some(link) = self.setup.lock().links.get_mut(token_hash) {
            link.used_at = None;
        }
        Ok(())
    }
}
