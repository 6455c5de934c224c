//! The state conformance suite against the in-memory store.

use jirasync_domain::memory::InMemoryStore;

jirasync_domain::state_conformance_tests!(async { InMemoryStore::new() });
