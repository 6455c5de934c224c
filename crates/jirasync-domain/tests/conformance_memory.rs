//! The store conformance suite against the in-memory store.

use jirasync_domain::memory::InMemoryStore;

jirasync_domain::conformance_tests!(async { InMemoryStore::new() });
