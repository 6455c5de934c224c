//! A Jira directory whose user look-up waits until the test opens it: a delivery being applied
//! for as long as the test likes.

use std::collections::BTreeSet;

use async_trait::async_trait;
use jirasync_domain::integration::Integration;
use jirasync_domain::{DirectoryError, JiraDirectory};
use jirasync_webhook::{JiraUser, StatusId};
use tokio::sync::Notify;

/// Its user look-up notifies `entered`, then waits for `open` and finds nobody; it knows no
/// `done` statuses.
#[derive(Debug, Default)]
pub struct GatedDirectory {
    /// Notified when a look-up starts waiting.
    pub entered: Notify,
    /// Lets the waiting look-up go on.
    pub open: Notify,
}

#[async_trait]
impl JiraDirectory for GatedDirectory {
    async fn find_user(
        &self,
        _integration: &Integration,
        _user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        self.entered.notify_one();
        self.open.notified().await;
        Ok(None)
    }

    async fn done_status_ids(
        &self,
        _integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        Ok(BTreeSet::new())
    }
}
