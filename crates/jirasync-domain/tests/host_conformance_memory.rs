//! The host conformance suite against the in-memory store's standalone host, with the same
//! store as jirasync's.

use std::sync::Arc;

use jirasync_domain::conformance::host::SeedScene;
use jirasync_domain::memory::InMemoryStore;

jirasync_domain::host_conformance_tests!(async {
    let store = InMemoryStore::new();
    (store.clone(), store.clone(), SeedScene(Arc::new(store)))
});
