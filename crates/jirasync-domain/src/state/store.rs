//! The storage trait a store implements to export and replace its whole state.

use async_trait::async_trait;

use super::format::StateSnapshot;
use crate::store::StoreError;

/// Reads and replaces the whole domain state of a store, for the state file (seeding, inspecting
/// and backing up a standalone deployment).
///
/// # Semantics
///
/// - **Export** gives every record of the store in [`StateSnapshot::sort_canonically`] order,
///   so exporting the same state twice gives the same bytes.
/// - **Import replaces.** [`StateStore::replace_state`] drops everything the store holds and puts
///   the snapshot in its place, ids included. To add to a running deployment, export, edit the
///   file and import it again.
/// - Ids are kept as they are; ids a store assigns later continue after the largest imported one,
///   so they never collide with an imported record.
/// - The application's ids (`app_id`) of organizations, users, teams, projects and local issues
///   are part of the state: an export gives each record's, a replacement keeps exactly the
///   snapshot's (a record without one has none), so the host API finds restored records by them.
/// - The ordering-guard watermarks come from the file (`assignee_updated_at`,
///   `status_updated_at` of each external issue). The delivery de-duplication log is **cleared**:
///   it is not part of the file, and a delivery recorded before the import may concern records
///   the file changed. A delivery that arrives again after an import is therefore applied again,
///   and the watermarks still keep it from overriding anything newer.
/// - Only the domain state is replaced: a store's webhook inbox (deliveries received but not
///   processed yet) is not part of it and stays as it is.
/// - Replacing is atomic: on any error the store keeps its previous state.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The whole state, every collection sorted.
    async fn export_state(&self) -> Result<StateSnapshot, StoreError>;

    /// Replaces the whole state with `snapshot`, atomically. The snapshot should have passed
    /// [`StateSnapshot::validate`]; a store may refuse one that breaks a rule with
    /// [`StoreError::Invalid`] (or [`StoreError::Conflict`]), and then changes nothing.
    async fn replace_state(&self, snapshot: &StateSnapshot) -> Result<(), StoreError>;
}
