//! The reconcile conformance suite against the in-memory store.

use jirasync_domain::memory::InMemoryStore;

jirasync_domain::reconcile_conformance_tests!(async { InMemoryStore::new() });
