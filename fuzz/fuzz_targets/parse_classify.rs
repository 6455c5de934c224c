//! Any body Jira (or anyone) posts: parsing and classification must answer, never panic.
#![no_main]

use jirasync_webhook::{Classification, classify, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(payload) = parse(body)
        && let Ok(Classification::Changes(changes)) = classify(&payload)
    {
        // A change that names an issue must carry that issue's key.
        let key = payload
            .issue
            .as_ref()
            .and_then(|issue| issue.key.as_deref());
        if let Some(assignee) = &changes.assignee {
            assert_eq!(Some(assignee.issue_key.as_str()), key);
        }
        if let Some(status) = &changes.status {
            assert_eq!(Some(status.issue_key.as_str()), key);
        }
    }
});
