//! Inbound assignee sync (reference §3.4, §4.3, §4.4), with the ordering guard and the
//! hidden-e-mail fallbacks.

use std::collections::BTreeMap;

use jirasync_webhook::{AssigneeChanged, DeliveryKey, IssueKey, JiraUser};

use super::inbound::{AffectedIssues, GuardedEvent, InboundSync};
use super::ordering::{AssigneeTarget, assignee_change};
use super::outcome::{HaltReason, SyncError};
use crate::activity::ActivityData;
use crate::external_actor::ExternalProvider;
use crate::host::{Host, IssueChange};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use crate::inbox::DeliveryCompletion;
use crate::integration::{Integration, SyncDirection};
use crate::jira_directory::JiraDirectory;
use crate::outbound::EchoField;
use crate::store::{SyncKind, SyncStore};
use crate::text::eq_ignore_case;

/// Whether the event assigns or unassigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssigneeAction {
    /// Jira set an assignee.
    Assign,
    /// Jira cleared the assignee.
    Unassign,
}

/// How the Jira user was matched to local users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchMethod {
    /// The webhook's e-mail matched verified e-mails.
    Email,
    /// An external actor (provider `jira_server`) has the Jira username or user key.
    ExternalActor,
    /// The Jira user API revealed an e-mail the webhook hid, and it matched verified e-mails.
    JiraDirectory,
}

impl MatchMethod {
    /// The stable name used in logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::ExternalActor => "external_actor",
            Self::JiraDirectory => "jira_directory",
        }
    }
}

/// What an inbound assignee sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAssigneeOutcome {
    /// The integration.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// Assign or unassign.
    pub action: AssigneeAction,
    /// How the Jira user was matched; `None` for an unassign or when nobody matched.
    pub method: Option<MatchMethod>,
    /// The local users the Jira user matched, ascending.
    pub matched_users: Vec<UserId>,
    /// How many organizations sync inbound assignees.
    pub organizations: usize,
    /// How many local issues are linked to the key in those organizations.
    pub affected_issues: usize,
    /// Issues whose assignee changed.
    pub changed: usize,
    /// Issues that already had the wanted assignee.
    pub unchanged: usize,
    /// Issues left untouched because no matched user reaches their project.
    pub not_found: usize,
    /// Organizations skipped because they had applied a newer event.
    pub stale_organizations: usize,
    /// Why the sync stopped short, if it did.
    pub halt: Option<HaltReason>,
}

impl<S, H, D> InboundSync<S, H, D>
where
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    D: JiraDirectory + ?Sized,
{
    /// Applies an assignee change from Jira.
    ///
    /// Finds the local issues linked to the key in the organizations that sync inbound assignees.
    /// A `None` assignee unassigns all of them. Otherwise the Jira user is matched to local
    /// users by the first step of this chain that yields any: verified e-mail → external actor
    /// (`jira_server`, username or user key) → e-mail learnt from the [`JiraDirectory`]. Each issue
    /// gets the lowest-id matched user the host lets be assigned it; issues without one stay as
    /// they are (halt `inbound-assignee-not-found`).
    ///
    /// A failing directory look-up fails the sync with [`SyncError::Directory`] and writes
    /// nothing (no change, no watermark, no delivery record), so the delivery can be applied
    /// again once Jira answers: retryable when Jira was unreachable, waiting for an operator when
    /// the installation's credentials are missing or refused ([`SyncError::needs_operator`]).
    ///
    /// Every organization with linked issues takes part in the ordering guard and the delivery
    /// log, including those where nothing resolved, so both apply on every path.
    pub async fn sync_assignee(
        &self,
        integration_id: IntegrationId,
        event: &AssigneeChanged,
        delivery_key: Option<&DeliveryKey>,
    ) -> Result<InboundAssigneeOutcome, SyncError> {
        let integration = self.integration(integration_id).await?;
        self.assignee_sync(&integration, event, delivery_key, None)
            .await
    }

    /// [`InboundSync::sync_assignee`] for `integration` as read already, handing `completion`
    /// to its sync session ([`InboundSync::apply_delivery`]).
    pub(super) async fn assignee_sync(
        &self,
        integration: &Integration,
        event: &AssigneeChanged,
        delivery_key: Option<&DeliveryKey>,
        completion: Option<&DeliveryCompletion>,
    ) -> Result<InboundAssigneeOutcome, SyncError> {
        let integration_id = integration.id;
        let mut outcome = InboundAssigneeOutcome {
            integration_id,
            issue_key: event.issue_key.clone(),
            action: match event.assignee {
                Some(_) => AssigneeAction::Assign,
                None => AssigneeAction::Unassign,
            },
            method: None,
            matched_users: Vec::new(),
            organizations: 0,
            affected_issues: 0,
            changed: 0,
            unchanged: 0,
            not_found: 0,
            stale_organizations: 0,
            halt: None,
        };

        let AffectedIssues {
            organizations,
            linked,
            halt,
        } = self
            .affected_issues(
                integration_id,
                &event.issue_key,
                SyncDirection::InboundAssignee,
            )
            .await?;
        outcome.organizations = organizations;
        outcome.affected_issues = linked.len();
        if halt.is_some() {
            outcome.halt = halt;
            return Ok(outcome);
        }

        // Every organization with linked issues gets an entry, even an empty one, so its
        // watermark moves.
        let mut work: BTreeMap<OrganizationId, Vec<(LocalIssueId, AssigneeTarget)>> = linked
            .iter()
            .map(|linked| (linked.organization_id, Vec::new()))
            .collect();
        let mut not_found_per_organization: BTreeMap<OrganizationId, usize> = BTreeMap::new();
        match &event.assignee {
            None => {
                for linked in &linked {
                    work.entry(linked.organization_id)
                        .or_default()
                        .push((linked.local_issue_id, AssigneeTarget::Unassign));
                }
            }
            Some(jira_user) => {
                let (method, users) = self.match_jira_user(integration, jira_user).await?;
                outcome.method = method;
                for linked in &linked {
                    // reference-behaviour §4.3: the first member (lowest id) wins.
                    let assignable = if users.is_empty() {
                        Vec::new()
                    } else {
                        self.host
                            .assignable_users(linked.local_issue_id, &users)
                            .await?
                    };
                    match assignable.into_iter().min() {
                        Some(user) => work
                            .entry(linked.organization_id)
                            .or_default()
                            .push((linked.local_issue_id, AssigneeTarget::User(user))),
                        None => {
                            *not_found_per_organization
                                .entry(linked.organization_id)
                                .or_default() += 1;
                        }
                    }
                }
                outcome.matched_users = users;
            }
        }

        let guarded = GuardedEvent {
            integration_id,
            issue_key: &event.issue_key,
            kind: SyncKind::Assignee,
            occurred_at: event.occurred_at,
            delivery_key,
            echo: assignee_echo(event.assignee.as_ref()),
            completion,
        };
        let applied = self
            .apply_under_guard(guarded, work, |issue, current, target| {
                let (assignee, kind) = assignee_change(current.assignee, target)?;
                Some(IssueChange {
                    issue,
                    kind,
                    data: ActivityData::inbound(integration_id, assignee, event.occurred_at),
                })
            })
            .await?;
        outcome.changed = applied.changed;
        outcome.unchanged = applied.unchanged;
        outcome.stale_organizations = applied.stale.len();
        outcome.not_found = not_found_per_organization
            .iter()
            .filter(|(organization, _)| applied.applied_organizations.contains(organization))
            .map(|(_, count)| count)
            .sum();
        outcome.halt = applied.halt(outcome.not_found > 0);
        if let Some(halt) = outcome.halt {
            tracing::info!(
                %integration_id,
                issue_key = %event.issue_key,
                method = outcome.method.map(MatchMethod::as_str),
                not_found = outcome.not_found,
                stale_organizations = outcome.stale_organizations,
                "{halt}"
            );
        }
        Ok(outcome)
    }

    /// The local users a Jira user stands for, by the first step of the chain that yields any.
    async fn match_jira_user(
        &self,
        integration: &Integration,
        jira_user: &JiraUser,
    ) -> Result<(Option<MatchMethod>, Vec<UserId>), SyncError> {
        let email = non_blank(jira_user.email_address.as_deref());
        if let Some(email) = email {
            let users = self.host.users_with_verified_email(email).await?;
            if !users.is_empty() {
                return Ok((Some(MatchMethod::Email), users));
            }
        } else {
            tracing::info!(integration_id = %integration.id, "missing-assignee-email");
        }

        let names: Vec<&str> = [jira_user.name.as_deref(), jira_user.key.as_deref()]
            .into_iter()
            .filter_map(non_blank)
            .collect();
        if !names.is_empty() {
            let candidates = self
                .store
                .users_with_external_name(integration.id, ExternalProvider::JiraServer, &names)
                .await?;
            let users = if candidates.is_empty() {
                Vec::new()
            } else {
                self.host.active_users(&candidates).await?
            };
            if !users.is_empty() {
                return Ok((Some(MatchMethod::ExternalActor), users));
            }

            match self.directory.find_user(integration, jira_user).await {
                Ok(Some(found)) => {
                    let learnt = non_blank(found.email_address.as_deref())
                        .filter(|learnt| !email.is_some_and(|email| eq_ignore_case(email, learnt)));
                    if let Some(learnt) = learnt {
                        let users = self.host.users_with_verified_email(learnt).await?;
                        if !users.is_empty() {
                            return Ok((Some(MatchMethod::JiraDirectory), users));
                        }
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    // Nothing is written: the delivery can be applied once Jira answers (or
                    // its credentials are fixed), instead of halting and moving the watermark
                    // past a change that was never applied.
                    tracing::warn!(
                        integration_id = %integration.id,
                        %error,
                        "jira-user-lookup-failed"
                    );
                    return Err(SyncError::Directory(error));
                }
            }
        }
        Ok((None, Vec::new()))
    }
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// The value an assignee change sets, as an outbound assignment records it: the username, or
/// empty for "unassigned"; `None` for an assignee without a username (never jirasync's).
fn assignee_echo(assignee: Option<&JiraUser>) -> Option<(EchoField, &str)> {
    match assignee {
        None => Some((EchoField::Assignee, "")),
        Some(user) => user.name.as_deref().map(|name| (EchoField::Assignee, name)),
    }
}
