//! `jirasync setup-link`: a one-time link to the setup pages, for the person who connects Jira
//! from a browser without the admin token. Only the SHA-256 of its token is stored; the token is
//! printed here once and never logged.

use std::io::Write;

use jirasync_axum::{SETUP_PATH, SETUP_TOKEN_PARAMETER};
use jirasync_domain::setup::{SetupLink, SetupToken};
use jirasync_domain::{Clock, SystemClock};

use crate::cli::SetupLinkArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::organizations::Organizations;
use crate::public_url::{loopback_warning, resolve};
use crate::store::open_store;

pub(super) async fn run(
    args: &SetupLinkArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if !config.setup_enabled {
        return Err(CliError::SetupDisabled);
    }
    let store = open_store(config).await?;
    let organization = match &args.organization {
        None => None,
        Some(reference) => {
            let organizations = Organizations::load(store.as_ref()).await?;
            let id = organizations.resolve(reference)?;
            Some((id, organizations.name(id)))
        }
    };
    let public_url = resolve(config, store.as_ref()).await?;
    let token = SetupToken::generate();
    let link = SetupLink::new(
        &token,
        organization.as_ref().map(|(id, _)| *id),
        SystemClock.unix_timestamp(),
        args.ttl.0,
    );
    let expires_at = link.expires_at;
    store
        .create_setup_link(link)
        .await
        .map_err(CliError::store("store the set-up link"))?;
    writeln!(
        out,
        "{}{SETUP_PATH}?{SETUP_TOKEN_PARAMETER}={}",
        public_url.url,
        token.expose_secret()
    )?;
    let expiry = i64::try_from(expires_at)
        .ok()
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| expires_at.to_string());
    let organization = organization.map_or_else(
        || "the organization the form asks for".to_owned(),
        |(_, name)| format!("organization {name}"),
    );
    writeln!(
        out,
        "Open it in a browser to connect a Jira for {organization}. It works once, until {expiry}; \
         whoever holds it can connect a Jira, so hand it only to the person setting Jira up."
    )?;
    if let Some(warning) = loopback_warning(&public_url.url) {
        writeln!(out, "{warning}")?;
    }
    tracing::info!(
        organization = ?args.organization,
        ttl_seconds = args.ttl.0,
        "created a one-time set-up link"
    );
    Ok(())
}
