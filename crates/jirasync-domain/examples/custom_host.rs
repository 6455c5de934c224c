//! Your application as jirasync's [`Host`]: six methods over your own data, here a tiny
//! in-memory model of users and tickets. jirasync keeps its own bookkeeping in a [`SyncStore`]
//! (here the in-memory one; `jirasync-store` on SQLite or PostgreSQL in a real service), applies
//! one Jira delivery, and your ticket ends assigned and resolved, with your own activity log.
//!
//! ```sh
//! cargo run -p jirasync-domain --example custom_host
//! ```
//!
//! `examples/embedded_host` at the repository root does the same over a real SQLite schema.
//!
//! [`SyncStore`]: jirasync_domain::SyncStore

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use jirasync_domain::external_actor::ActorTarget;
use jirasync_domain::host::unsupported_change;
use jirasync_domain::ids::{LocalIssueId, OrganizationId, UserId};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_domain::{
    Host, HostError, HostIssue, InMemoryStore, InboundSync, IssueChange, IssueLinkStore,
    OrganizationStore, Seed, StaticJiraDirectory,
};
use jirasync_webhook::{Classification, IssueKey, parse_and_classify};

/// Jira Server 9 assigning APP-123 to jess@example.com and moving it to Done (status 10102).
const DELIVERY: &[u8] = include_bytes!("../../../tests/fixtures/webhooks/assignee_and_status.json");

/// The one organization of this single-tenant application.
const ACME: OrganizationId = OrganizationId::new(1);

/// A user of the application.
#[derive(Debug)]
struct Person {
    email: String,
    verified: bool,
    active: bool,
}

/// A ticket of the application, with its own history.
#[derive(Debug, Default)]
struct Ticket {
    assignee: Option<UserId>,
    closed: bool,
    /// Who may be assigned the ticket (the application's own access rule).
    team: Vec<UserId>,
    history: Vec<String>,
}

/// The application's data.
#[derive(Debug, Default)]
struct Tickets {
    people: BTreeMap<UserId, Person>,
    tickets: Mutex<BTreeMap<LocalIssueId, Ticket>>,
}

#[async_trait]
impl Host for Tickets {
    async fn users_with_verified_email(&self, email: &str) -> Result<Vec<UserId>, HostError> {
        Ok(self
            .people
            .iter()
            .filter(|(_, p)| p.active && p.verified && p.email.eq_ignore_ascii_case(email))
            .map(|(id, _)| *id)
            .collect())
    }

    async fn active_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, HostError> {
        let mut active: Vec<UserId> = ids
            .iter()
            .copied()
            .filter(|id| self.people.get(id).is_some_and(|p| p.active))
            .collect();
        active.sort_unstable();
        active.dedup();
        Ok(active)
    }

    async fn assignable_users(
        &self,
        issue: LocalIssueId,
        candidates: &[UserId],
    ) -> Result<Vec<UserId>, HostError> {
        let tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        let team = tickets
            .get(&issue)
            .map(|t| t.team.as_slice())
            .unwrap_or_default();
        Ok(candidates
            .iter()
            .copied()
            .filter(|id| team.contains(id))
            .collect())
    }

    async fn issue(&self, issue: LocalIssueId) -> Result<Option<HostIssue>, HostError> {
        let tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(tickets.get(&issue).map(|ticket| HostIssue {
            organization_id: ACME,
            assignee: ticket.assignee.map(Assignee::User),
            status: if ticket.closed {
                ResolutionStatus::Resolved
            } else {
                ResolutionStatus::Unresolved
            },
        }))
    }

    async fn apply_change(&self, change: &IssueChange) -> Result<(), HostError> {
        let mut tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(ticket) = tickets.get_mut(&change.issue) else {
            return Ok(());
        };
        // The value and its history entry change together.
        match (change.assignee(), change.status()) {
            (Some(None), _) => ticket.assignee = None,
            (Some(Some(Assignee::User(user))), _) => ticket.assignee = Some(user),
            (_, Some(status)) => ticket.closed = status == ResolutionStatus::Resolved,
            _ => return Err(unsupported_change(change.kind)),
        }
        ticket
            .history
            .push(format!("{} (from {})", change.kind, change.data.provider));
        Ok(())
    }

    async fn in_organization(
        &self,
        organization: OrganizationId,
        target: ActorTarget,
    ) -> Result<bool, HostError> {
        Ok(organization == ACME
            && matches!(target, ActorTarget::User(user) if self.people.contains_key(&user)))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // The application's data: Jess may be assigned ticket 7.
    let jess = UserId::new(10);
    let ticket = LocalIssueId::new(7);
    let mut app = Tickets::default();
    let person = Person {
        email: "jess@example.com".into(),
        verified: true,
        active: true,
    };
    app.people.insert(jess, person);
    let new_ticket = Ticket {
        team: vec![jess],
        ..Ticket::default()
    };
    app.tickets
        .get_mut()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(ticket, new_ticket);
    let app = Arc::new(app);

    // jirasync's bookkeeping: the organization, an installed Jira that syncs, the ticket's link.
    let store = Arc::new(InMemoryStore::new());
    let acme = Organization {
        id: ACME,
        name: "acme".into(),
        features: OrganizationFeatures::all(),
    };
    store.save_organization(acme).await?;
    let metadata = IntegrationMetadata {
        base_url: "https://jira.example.com".into(),
        domain_name: "jira.example.com".into(),
        verify_ssl: true,
        webhook_secrets: Vec::new(),
    };
    let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
    let jira = store
        .seed_integration(external_id, "jirasync", metadata)
        .await?;
    store
        .seed_organization_integration(ACME, jira, LinkStatus::Active, SyncConfig::all_on())
        .await?;
    store
        .link_issue(ACME, jira, &IssueKey::new("APP-123"), ticket)
        .await?;

    // One delivery; Jira says 10102 is a `done` status.
    let directory = StaticJiraDirectory::new().with_done_statuses(["10102"]);
    let sync = InboundSync::new(store, Arc::clone(&app), Arc::new(directory));
    let Classification::Changes(changes) = parse_and_classify(DELIVERY)? else {
        return Err("the fixture has a changelog".into());
    };
    sync.apply_change_set(jira, &changes).await?;

    let tickets = app.tickets.lock().unwrap_or_else(PoisonError::into_inner);
    println!("ticket 7 after the delivery: {:?}", tickets.get(&ticket));
    Ok(())
}
