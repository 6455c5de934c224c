//! The inbox conformance suite against the in-memory inbox.

use jirasync_store::inbox::MemoryInbox;

jirasync_store::inbox_conformance_tests!(async { MemoryInbox::new() });
