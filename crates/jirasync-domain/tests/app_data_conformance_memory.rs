//! The application data conformance suite against the in-memory store.

use jirasync_domain::memory::InMemoryStore;

jirasync_domain::app_data_conformance_tests!(async { InMemoryStore::new() });
