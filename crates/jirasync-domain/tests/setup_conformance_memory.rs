//! The set-up store conformance suite against the in-memory store.

use jirasync_domain::InMemoryStore;

jirasync_domain::setup_conformance_tests!(async { InMemoryStore::new() });
