//! Outbound sync rules ([`crate::outbound`]): which Jira issues an application change must reach
//! ([`plan_outbound`]), and carrying one piece of work out against Jira ([`carry_out`]),
//! including finding the Jira user who stands for an application user (reference §4.5).

use crate::app_data::{
    AppAssignee, AppId, ApplicationData, IssueData, missing_in_organization, missing_organization,
    unknown_reference,
};
use crate::events::EventTimestamp;
use crate::external_actor::{ActorFilter, ActorTarget, ExternalProvider};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use crate::integration::{Integration, SyncDirection};
use crate::issue::ResolutionStatus;
use crate::outbound::{
    EchoField, JiraWriteError, JiraWriter, NewOutboundWork, OutboundAction, OutboundEcho,
    OutboundWork, attributed_comment, comment_body_problem, comment_echo_value,
};
use crate::rules::where_should_sync::select_sync_targets;
use crate::store::{
    ExternalActorStore, IntegrationStore, IssueLinkStore, OutboxStore, StatusMappingStore,
    StoreError,
};

/// The sync direction an action belongs to (whose config flag must be on).
pub const fn direction_of(action: &OutboundAction) -> SyncDirection {
    match action {
        OutboundAction::Assign { .. } | OutboundAction::Unassign => SyncDirection::OutboundAssignee,
        OutboundAction::Resolve | OutboundAction::Unresolve => SyncDirection::OutboundStatus,
        OutboundAction::Comment { .. } => SyncDirection::Comments,
    }
}

/// The outbound work an application change of `local_issue` (of `organization`) makes: one
/// piece per Jira issue the organization links the issue to, through an integration whose link
/// is active, with the issue-sync feature and the flag of the action's direction on
/// (reference §4.1, `should_sync`). Empty when nothing is linked or nothing syncs.
///
/// # Errors
///
/// A [`StoreError`] reading the links.
pub async fn plan_outbound<S: IntegrationStore + IssueLinkStore + ?Sized>(
    store: &S,
    organization: OrganizationId,
    local_issue: LocalIssueId,
    action: &OutboundAction,
    now: EventTimestamp,
) -> Result<Vec<NewOutboundWork>, StoreError> {
    let direction = direction_of(action);
    let mut work = Vec::new();
    let mut checked: Vec<(IntegrationId, bool)> = Vec::new();
    for external in store.external_issues_of(local_issue).await? {
        if external.organization_id != organization {
            continue;
        }
        let syncs = match checked
            .iter()
            .find(|(integration, _)| *integration == external.integration_id)
        {
            Some((_, syncs)) => *syncs,
            None => {
                let links = store.organization_links(external.integration_id).await?;
                let targets = select_sync_targets(
                    &links,
                    external.integration_id,
                    direction,
                    Some(organization),
                    None,
                );
                let syncs = targets.organizations.contains(&organization);
                checked.push((external.integration_id, syncs));
                syncs
            }
        };
        if syncs {
            work.push(NewOutboundWork {
                organization_id: organization,
                integration_id: external.integration_id,
                issue_key: external.key,
                local_issue_id: local_issue,
                action: action.clone(),
                created_at: now,
            });
        }
    }
    Ok(work)
}

/// Why a piece of work could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundFailure {
    /// The same attempt may succeed later (Jira or the store unreachable).
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help until something changes; the reason says what.
    #[error("{0}")]
    Permanent(String),
}

impl OutboundFailure {
    /// Whether the work should be tried again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

impl From<StoreError> for OutboundFailure {
    fn from(error: StoreError) -> Self {
        if error.is_retryable() {
            Self::Transient(error.to_string())
        } else {
            Self::Permanent(error.to_string())
        }
    }
}

impl From<JiraWriteError> for OutboundFailure {
    fn from(error: JiraWriteError) -> Self {
        if error.is_transient() {
            Self::Transient(error.to_string())
        } else {
            Self::Permanent(error.to_string())
        }
    }
}

/// Carries out one piece of work: checks that the organization still syncs the action's
/// direction through the integration, records the echo to expect (until `echo_until`, see
/// [`OutboundEcho`]) and calls Jira.
///
/// # Errors
///
/// An [`OutboundFailure`]: transient (retry later) or permanent (with the reason to store).
pub async fn carry_out<S, W>(
    store: &S,
    writer: &W,
    work: &OutboundWork,
    echo_until: EventTimestamp,
) -> Result<(), OutboundFailure>
where
    S: IntegrationStore + ExternalActorStore + OutboxStore + StatusMappingStore + ?Sized,
    W: JiraWriter + ?Sized,
{
    let integration = store
        .integration(work.integration_id)
        .await?
        .ok_or_else(|| {
            OutboundFailure::Permanent(format!(
                "integration {} no longer exists",
                work.integration_id
            ))
        })?;
    let links = store.organization_links(work.integration_id).await?;
    let direction = direction_of(&work.action);
    let targets = select_sync_targets(
        &links,
        work.integration_id,
        direction,
        Some(work.organization_id),
        None,
    );
    if !targets.organizations.contains(&work.organization_id) {
        let reason = targets.skipped.first().map_or_else(
            || "it is no longer linked".to_owned(),
            |(_, reason)| format!("{reason:?}"),
        );
        return Err(OutboundFailure::Permanent(format!(
            "organization {} no longer syncs this direction through integration {} ({reason})",
            work.organization_id, work.integration_id
        )));
    }
    match &work.action {
        OutboundAction::Assign { user, emails } => {
            let name = jira_username(
                store,
                writer,
                &integration,
                work.organization_id,
                *user,
                emails,
            )
            .await?;
            expect_echo(store, work, EchoField::Assignee, &name, echo_until).await?;
            assign(writer, &integration, work, Some(&name)).await
        }
        OutboundAction::Unassign => {
            expect_echo(store, work, EchoField::Assignee, "", echo_until).await?;
            assign(writer, &integration, work, None).await
        }
        OutboundAction::Resolve => {
            move_status(
                store,
                writer,
                &integration,
                work,
                ResolutionStatus::Resolved,
                echo_until,
            )
            .await
        }
        OutboundAction::Unresolve => {
            move_status(
                store,
                writer,
                &integration,
                work,
                ResolutionStatus::Unresolved,
                echo_until,
            )
            .await
        }
        OutboundAction::Comment { author, body } => {
            let text = attributed_comment(author.as_deref(), body);
            let echo = comment_echo_value(&text);
            expect_echo(store, work, EchoField::Comment, &echo, echo_until).await?;
            writer
                .add_comment(&integration, work.organization_id, &work.issue_key, &text)
                .await
                .map(drop)
                .map_err(OutboundFailure::from)
        }
    }
}

/// Moves the Jira issue to the status its project's mapping names for `status` (reference
/// §4.5): reads the issue's project and status; no mapping for the project, or no transition
/// that reaches the status, is a permanent failure saying so; an issue already there is left
/// alone (nothing sent); otherwise the expected echo is recorded and the transition performed.
async fn move_status<S, W>(
    store: &S,
    writer: &W,
    integration: &Integration,
    work: &OutboundWork,
    status: ResolutionStatus,
    echo_until: EventTimestamp,
) -> Result<(), OutboundFailure>
where
    S: OutboxStore + StatusMappingStore + ?Sized,
    W: JiraWriter + ?Sized,
{
    let organization = work.organization_id;
    let key = &work.issue_key;
    let issue = writer
        .issue_state(integration, organization, key)
        .await?
        .ok_or_else(|| {
            OutboundFailure::Permanent(format!(
                "Jira has no issue {key} (deleted, moved, or hidden from the organization's \
                 Jira user)"
            ))
        })?;
    let mappings = store.status_mappings(organization, integration.id).await?;
    let Some(mapping) = mappings
        .iter()
        .find(|mapping| mapping.project_id == issue.project_id)
    else {
        return Err(OutboundFailure::Permanent(format!(
            "no status mapping for Jira project {} ({}) in organization {organization} for \
             integration {}: add one (PUT …/integrations/{}/status-mappings/{}), then retry",
            issue.project_key, issue.project_id, integration.id, integration.id, issue.project_key
        )));
    };
    let target = mapping.target(status);
    if issue.status_id == target {
        return Ok(());
    }
    let transitions = writer.transitions(integration, organization, key).await?;
    let Some(transition) = transitions
        .iter()
        .find(|transition| transition.to_id == target)
    else {
        let available = if transitions.is_empty() {
            "none".to_owned()
        } else {
            transitions
                .iter()
                .map(|transition| {
                    format!(
                        "{} {} → {} ({})",
                        transition.id, transition.name, transition.to_name, transition.to_id
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(OutboundFailure::Permanent(format!(
            "no transition of {key} leads from {} ({}) to status {target} ({} of project {}'s \
             mapping); available: {available}",
            issue.status_name,
            issue.status_id,
            match status {
                ResolutionStatus::Resolved => "on_resolve",
                ResolutionStatus::Unresolved => "on_unresolve",
            },
            issue.project_key
        )));
    };
    expect_echo(store, work, EchoField::Status, target, echo_until).await?;
    writer
        .transition(integration, organization, key, &transition.id)
        .await
        .map_err(OutboundFailure::from)
}

async fn expect_echo<S: OutboxStore + ?Sized>(
    store: &S,
    work: &OutboundWork,
    field: EchoField,
    value: &str,
    expires_at: EventTimestamp,
) -> Result<(), OutboundFailure> {
    let echo = OutboundEcho {
        organization_id: work.organization_id,
        integration_id: work.integration_id,
        issue_key: work.issue_key.clone(),
        field,
        value: value.to_owned(),
        expires_at,
    };
    store
        .expect_echo(&echo)
        .await
        .map_err(OutboundFailure::from)
}

async fn assign<W: JiraWriter + ?Sized>(
    writer: &W,
    integration: &Integration,
    work: &OutboundWork,
    name: Option<&str>,
) -> Result<(), OutboundFailure> {
    writer
        .assign(integration, work.organization_id, &work.issue_key, name)
        .await
        .map_err(OutboundFailure::from)
}

/// The Jira username of an application user (reference §4.5, made exact): the user's
/// `jira_server` external actor of this integration in the organization; else a user search
/// for each verified e-mail address, keeping only **active** accounts whose address is **equal**
/// (ignoring case); exactly one such account across all addresses is the answer, none or
/// several is a permanent failure saying so.
///
/// # Errors
///
/// [`OutboundFailure::Permanent`] when no single Jira user matches;
/// [`OutboundFailure::Transient`] when Jira or the store could not be reached.
pub async fn jira_username<S, W>(
    store: &S,
    writer: &W,
    integration: &Integration,
    organization: OrganizationId,
    user: UserId,
    emails: &[String],
) -> Result<String, OutboundFailure>
where
    S: ExternalActorStore + ?Sized,
    W: JiraWriter + ?Sized,
{
    let actors = store
        .external_actors(organization, ActorFilter::Target(ActorTarget::User(user)))
        .await?;
    if let Some(actor) = actors.iter().find(|actor| {
        actor.provider == ExternalProvider::JiraServer && actor.integration_id == integration.id
    }) {
        return Ok(actor.external_name.clone());
    }
    let mut names: Vec<String> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    for email in emails {
        let accounts = match writer.search_users(integration, organization, email).await {
            Ok(accounts) => accounts,
            Err(error) if error.is_transient() => return Err(error.into()),
            // reference §4.5: a refused search moves on to the next address.
            Err(error) => {
                refusals.push(format!("{email}: {error}"));
                continue;
            }
        };
        for account in accounts {
            let exact = account
                .email_address
                .as_deref()
                .is_some_and(|address| address.eq_ignore_ascii_case(email));
            if exact && account.active && !names.contains(&account.name) {
                names.push(account.name);
            }
        }
    }
    match names.len() {
        1 => Ok(names.remove(0)),
        0 => {
            let searched = if emails.is_empty() {
                "the user has no verified e-mail address".to_owned()
            } else {
                format!(
                    "no active Jira user has the e-mail address {}",
                    emails.join(" or ")
                )
            };
            let refused = if refusals.is_empty() {
                String::new()
            } else {
                format!(" (searches refused: {})", refusals.join("; "))
            };
            Err(OutboundFailure::Permanent(format!(
                "no Jira user found for user {user}: no jira_server external actor for \
                 integration {} and {searched}{refused}; add an external actor mapping the user \
                 to a Jira username",
                integration.id
            )))
        }
        _ => Err(OutboundFailure::Permanent(format!(
            "several Jira users match user {user}'s e-mail addresses ({}); add a jira_server \
             external actor to say which one",
            names.join(", ")
        ))),
    }
}

/// What an application change through [`assign_app_issue`] or [`set_app_issue_status`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppChangeOutcome {
    /// Whether the issue changed (`false`: it already was as asked, nothing written, nothing sent
    /// to Jira, reference §4.4).
    pub changed: bool,
    /// How many pieces of outbound work the change recorded (one per Jira issue that syncs).
    pub outbound: usize,
}

impl AppChangeOutcome {
    /// Nothing changed, nothing sent.
    pub const UNCHANGED: Self = Self {
        changed: false,
        outbound: 0,
    };
}

/// The standalone service's assignment of an application issue (the host API's
/// `POST …/issues/{issue}/assign`): sets the assignee and records the outbound work for every
/// linked Jira issue whose organization syncs assignees outbound, in one transaction
/// ([`ApplicationData::update_issue`]). Assigning the current assignee changes nothing and
/// sends nothing (reference §4.4). A team assignee is set locally only: Jira assigns users, so
/// nothing is sent (`docs/decisions/0017-outbound-sync.md`). A user is sent with their verified
/// e-mail addresses, for the Jira user search. `data` and `store` are the standalone service's
/// one database, seen as the application's data and as jirasync's bookkeeping.
///
/// # Errors
///
/// [`StoreError::NotFound`] when the organization or the issue does not exist;
/// [`StoreError::Conflict`] when the assignee is not a member (a user) or does not exist in the
/// organization (a team), or when the issue changed meanwhile (nothing written).
pub async fn assign_app_issue<D, S>(
    data: &D,
    store: &S,
    organization: &AppId,
    issue: &AppId,
    assignee: Option<AppAssignee>,
    now: EventTimestamp,
) -> Result<AppChangeOutcome, StoreError>
where
    D: ApplicationData + ?Sized,
    S: IntegrationStore + IssueLinkStore + ?Sized,
{
    let (organization_id, local_issue, before) = app_issue(data, organization, issue).await?;
    if before.assignee == assignee {
        return Ok(AppChangeOutcome::UNCHANGED);
    }
    let action = match &assignee {
        Some(AppAssignee::User(user)) => {
            let missing = || unknown_reference("assignee.user", "user", user, None);
            let id = data.app_user_id(user).await?.ok_or_else(missing)?;
            let user_data = data.app_user(user).await?.ok_or_else(missing)?;
            let emails = user_data
                .emails
                .into_iter()
                .filter(|email| email.verified)
                .map(|email| email.address)
                .collect();
            Some(OutboundAction::Assign { user: id, emails })
        }
        Some(AppAssignee::Team(_)) => None,
        None => Some(OutboundAction::Unassign),
    };
    let after = IssueData {
        assignee,
        ..before.clone()
    };
    let change = AppChange {
        organization_id,
        local_issue,
        before: &before,
        after: &after,
    };
    record_app_change(data, store, organization, change, action, now).await
}

/// The standalone service's resolve or unresolve of an application issue (the host API's
/// `POST …/issues/{issue}/status`): sets the status and records the outbound work for every
/// linked Jira issue whose organization syncs statuses outbound (`sync_status_forward`), in one
/// transaction ([`ApplicationData::update_issue`]). Setting the current status changes nothing
/// and sends nothing. Which Jira status each Jira issue reaches is its project's
/// [`StatusMapping`](crate::outbound::StatusMapping), read when the work is carried out.
///
/// # Errors
///
/// [`StoreError::NotFound`] when the organization or the issue does not exist;
/// [`StoreError::Conflict`] when the issue changed meanwhile (nothing written).
pub async fn set_app_issue_status<D, S>(
    data: &D,
    store: &S,
    organization: &AppId,
    issue: &AppId,
    status: ResolutionStatus,
    now: EventTimestamp,
) -> Result<AppChangeOutcome, StoreError>
where
    D: ApplicationData + ?Sized,
    S: IntegrationStore + IssueLinkStore + ?Sized,
{
    let (organization_id, local_issue, before) = app_issue(data, organization, issue).await?;
    if before.status == status {
        return Ok(AppChangeOutcome::UNCHANGED);
    }
    let after = IssueData {
        status,
        ..before.clone()
    };
    let change = AppChange {
        organization_id,
        local_issue,
        before: &before,
        after: &after,
    };
    let action = Some(status_action(status));
    record_app_change(data, store, organization, change, action, now).await
}

/// The outbound action that carries an application issue's new status.
pub const fn status_action(status: ResolutionStatus) -> OutboundAction {
    match status {
        ResolutionStatus::Resolved => OutboundAction::Resolve,
        ResolutionStatus::Unresolved => OutboundAction::Unresolve,
    }
}

/// An application issue, by the application's ids, with its organization's and its own
/// jirasync ids.
async fn app_issue<D: ApplicationData + ?Sized>(
    data: &D,
    organization: &AppId,
    issue: &AppId,
) -> Result<(OrganizationId, LocalIssueId, IssueData), StoreError> {
    let (organization_id, _) = data
        .app_organization(organization)
        .await?
        .ok_or_else(|| missing_organization(organization))?;
    let (local_issue, before) = data
        .app_issue(organization, issue)
        .await?
        .ok_or_else(|| missing_in_organization("issue", issue, organization))?;
    Ok((organization_id, local_issue, before))
}

/// One change of an application issue: from `before` to `after`.
struct AppChange<'a> {
    organization_id: OrganizationId,
    local_issue: LocalIssueId,
    before: &'a IssueData,
    after: &'a IssueData,
}

/// Writes `change` with the outbound work `action` makes (none for `None`), in one transaction.
async fn record_app_change<D, S>(
    data: &D,
    store: &S,
    organization: &AppId,
    change: AppChange<'_>,
    action: Option<OutboundAction>,
    now: EventTimestamp,
) -> Result<AppChangeOutcome, StoreError>
where
    D: ApplicationData + ?Sized,
    S: IntegrationStore + IssueLinkStore + ?Sized,
{
    let work = match action {
        Some(action) => {
            plan_outbound(
                store,
                change.organization_id,
                change.local_issue,
                &action,
                now,
            )
            .await?
        }
        None => Vec::new(),
    };
    data.update_issue(organization, change.before, change.after, &work)
        .await?;
    Ok(AppChangeOutcome {
        changed: true,
        outbound: work.len(),
    })
}

/// The standalone service's comment on an application issue (the host API's
/// `POST …/issues/{issue}/comments`): records one piece of outbound work per linked Jira issue
/// whose organization syncs comments (`sync_comments`), all in one transaction
/// ([`OutboxStore::enqueue_outbound`]), and returns how many. The comment is attributed to
/// `author`, an application user who must exist, by their application id (the standalone
/// service knows no other name for them); without an author, to the application. Nothing is
/// stored when nothing is linked or nothing syncs comments.
///
/// # Errors
///
/// [`StoreError::Invalid`] when the body is empty or too long ([`comment_body_problem`]);
/// [`StoreError::NotFound`] when the organization or the issue does not exist;
/// [`StoreError::Conflict`] when the author does not exist.
pub async fn comment_app_issue<D, S>(
    data: &D,
    store: &S,
    organization: &AppId,
    issue: &AppId,
    author: Option<&AppId>,
    body: &str,
    now: EventTimestamp,
) -> Result<usize, StoreError>
where
    D: ApplicationData + ?Sized,
    S: IntegrationStore + IssueLinkStore + OutboxStore + ?Sized,
{
    if let Some(problem) = comment_body_problem(body) {
        return Err(StoreError::invalid(problem));
    }
    let (organization_id, _) = data
        .app_organization(organization)
        .await?
        .ok_or_else(|| missing_organization(organization))?;
    let (local_issue, _) = data
        .app_issue(organization, issue)
        .await?
        .ok_or_else(|| missing_in_organization("issue", issue, organization))?;
    if let Some(author) = author
        && data.app_user_id(author).await?.is_none()
    {
        return Err(unknown_reference("author", "user", author, None));
    }
    let action = OutboundAction::Comment {
        author: author.map(|author| author.as_str().to_owned()),
        body: body.to_owned(),
    };
    let work = plan_outbound(store, organization_id, local_issue, &action, now).await?;
    if !work.is_empty() {
        store.enqueue_outbound(&work).await?;
    }
    Ok(work.len())
}
