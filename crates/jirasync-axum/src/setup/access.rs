//! Who may use the setup routes: the holder of the admin token (`Authorization: Bearer`), or of a
//! one-time set-up link (`?setup_token=` on the page, or the link's token as the bearer token);
//! after that, the browser's setup session carries the grant from page to page.

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use jirasync_core::Clock;
use jirasync_domain::SetupStore;
use jirasync_domain::StoreError;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::setup::{SetupLinkRefusal, SetupTokenHash};

use super::flow::SetupError;
use super::{SETUP_API_PATH, SETUP_TOKEN_PARAMETER, SetupState};
use crate::admin::AdminToken;
use crate::admin::auth::bearer_token;

/// What opened a setup session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupGrant {
    /// The admin token.
    Admin,
    /// A one-time set-up link; it is used when the install completes.
    Link {
        /// The hash of the link's token.
        token_hash: SetupTokenHash,
        /// The organization the link installs for, if it names one.
        organization: Option<OrganizationId>,
    },
}

/// Why a request may not use the setup routes.
#[derive(Debug, thiserror::Error)]
pub(super) enum AccessRefusal {
    /// Neither credential was presented, and there is no setup session.
    #[error(
        "Connecting a Jira needs a one-time set-up link or the admin token. Ask the operator of \
         this jirasync for a link (jirasync setup-link prints one), or send the admin token as \
         Authorization: Bearer <token>."
    )]
    Missing,
    /// A bearer token that is neither the admin token nor a set-up link's.
    #[error("Invalid token: it is neither the admin token nor a set-up link's token.")]
    InvalidToken,
    /// The setup routes accept no credential at all (neither an admin token nor set-up links
    /// were configured).
    #[error(
        "Set-up over HTTP is not configured on this jirasync: configure an admin token, or use \
         jirasync connect."
    )]
    NotConfigured,
    /// A set-up link that no longer opens the pages.
    #[error(transparent)]
    Link(#[from] SetupLinkRefusal),
    /// The link names another organization than the one this service installs for.
    #[error(
        "This set-up link is for organization {link}, but this jirasync installs for \
         organization {service} only: ask for a link without --organization or for \
         organization {service}."
    )]
    OtherOrganization {
        /// The link's organization.
        link: u64,
        /// The service's.
        service: u64,
    },
    /// Reading the links failed.
    #[error("Could not read the set-up links: {0}")]
    Store(#[source] StoreError),
}

impl AccessRefusal {
    /// 401 when no usable credential was presented, 403 when a known link may not be used any
    /// more, 503/500 when the store failed.
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::Missing | Self::InvalidToken | Self::NotConfigured => StatusCode::UNAUTHORIZED,
            Self::Link(SetupLinkRefusal::Unknown) => StatusCode::UNAUTHORIZED,
            Self::Link(_) | Self::OtherOrganization { .. } => StatusCode::FORBIDDEN,
            Self::Store(StoreError::Unavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The credentials the setup routes accept, and the clock links expire on.
#[derive(Clone)]
pub(super) struct SetupAccess {
    pub(super) admin_token: Option<AdminToken>,
    pub(super) links: Option<Arc<dyn SetupStore>>,
    pub(super) clock: Arc<dyn Clock>,
}

impl fmt::Debug for SetupAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupAccess")
            .field("admin_token", &self.admin_token)
            .field("links", &self.links.is_some())
            .finish_non_exhaustive()
    }
}

impl SetupAccess {
    /// The grant a request's credential gives: the bearer token (admin or link), else
    /// `setup_token` (a link's token from the page's query). `Ok(None)` when it presents none.
    pub(super) async fn grant(
        &self,
        headers: &HeaderMap,
        setup_token: Option<&str>,
        service_organization: Option<OrganizationId>,
    ) -> Result<Option<SetupGrant>, AccessRefusal> {
        if self.admin_token.is_none() && self.links.is_none() {
            return Err(AccessRefusal::NotConfigured);
        }
        let (presented, from_header) = match (bearer_token(headers), setup_token) {
            (Some(token), _) => (token, true),
            (None, Some(token)) if !token.trim().is_empty() => (token.trim(), false),
            _ => return Ok(None),
        };
        if from_header
            && self
                .admin_token
                .as_ref()
                .is_some_and(|admin| admin.matches(presented))
        {
            return Ok(Some(SetupGrant::Admin));
        }
        let Some(links) = &self.links else {
            return Err(AccessRefusal::InvalidToken);
        };
        let token_hash = SetupTokenHash::of(presented);
        let link = links
            .setup_link(&token_hash)
            .await
            .map_err(AccessRefusal::Store)?;
        let Some(link) = link else {
            return Err(if from_header {
                AccessRefusal::InvalidToken
            } else {
                SetupLinkRefusal::Unknown.into()
            });
        };
        link.check(self.clock.unix_timestamp())?;
        if let (Some(link), Some(service)) = (link.organization_id, service_organization)
            && link != service
        {
            return Err(AccessRefusal::OtherOrganization {
                link: link.get(),
                service: service.get(),
            });
        }
        Ok(Some(SetupGrant::Link {
            token_hash,
            organization: link.organization_id,
        }))
    }

    /// Whether a session's grant still holds: a link must still be unused and unexpired.
    pub(super) async fn recheck(&self, grant: &SetupGrant) -> Result<(), AccessRefusal> {
        let SetupGrant::Link { token_hash, .. } = grant else {
            return Ok(());
        };
        let Some(links) = &self.links else {
            return Err(AccessRefusal::NotConfigured);
        };
        let link = links
            .setup_link(token_hash)
            .await
            .map_err(AccessRefusal::Store)?
            .ok_or(SetupLinkRefusal::Unknown)?;
        Ok(link.check(self.clock.unix_timestamp())?)
    }

    /// Uses the session's link, if it came from one, right before the install is recorded: of two
    /// sessions opened with one link, only one installs.
    pub(super) async fn use_link(&self, grant: &SetupGrant) -> Result<(), AccessRefusal> {
        let SetupGrant::Link { token_hash, .. } = grant else {
            return Ok(());
        };
        let Some(links) = &self.links else {
            return Err(AccessRefusal::NotConfigured);
        };
        let used = links
            .use_setup_link(token_hash, self.clock.unix_timestamp())
            .await
            .map_err(AccessRefusal::Store)?;
        if used {
            Ok(())
        } else {
            // Say why: used meanwhile, or expired.
            self.recheck(grant).await?;
            Err(SetupLinkRefusal::Unknown.into())
        }
    }

    /// Gives the link back after a failed install, so the person can try again with it.
    pub(super) async fn release_link(&self, grant: &SetupGrant) {
        let (SetupGrant::Link { token_hash, .. }, Some(links)) = (grant, &self.links) else {
            return;
        };
        if let Err(error) = links.release_setup_link(token_hash).await {
            tracing::warn!(%error, "jira-server.setup-link.release-failed");
        }
    }
}

/// In front of every setup route: a credential the request presents (a bearer token, or a
/// link's `setup_token` in the query) is checked first, and a refused one is answered at once
/// (401, or 403 for an expired or used link), as a page or as JSON. An accepted one is handed to
/// the route as an [`Extension`](axum::Extension) of [`SetupGrant`]; without one the route
/// needs the browser's setup session.
pub(super) async fn check_credentials(
    State(state): State<SetupState>,
    mut request: Request,
    next: Next,
) -> Response {
    let setup_token = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == SETUP_TOKEN_PARAMETER)
            .map(|(_, value)| value.into_owned())
    });
    let grant = state
        .access
        .grant(
            request.headers(),
            setup_token.as_deref(),
            state.organization,
        )
        .await;
    match grant {
        Ok(grant) => {
            if let Some(grant) = grant {
                request.extensions_mut().insert(grant);
            }
            next.run(request).await
        }
        Err(refusal) if request.uri().path() == SETUP_API_PATH => {
            super::json::setup_error(&SetupError::Access(refusal))
        }
        Err(refusal) => super::html::error_page(&SetupError::Access(refusal)),
    }
}
