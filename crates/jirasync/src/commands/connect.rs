//! `jirasync connect`: the whole set-up from a terminal. The flags are checked with the setup
//! form's rules and messages; then the OAuth 1.0a dance with the `oob` callback (Jira shows a
//! verification code the operator pastes back), and [`install_jira`], as the web flow does.

use std::io::{BufRead, Write};
use std::sync::Arc;

use jirasync_client::{ClientOptions, ISSUE_EVENTS, OAuthCallback, OAuthDance};
use jirasync_domain::OrganizationStore;
use jirasync_domain::SecretString;
use jirasync_domain::ids::OrganizationId;
use jirasync_service::{
    Field, InstallationData, InstallationInput, InstalledJira, JiraInstall, WebhookRegistration,
    install_jira, validate_installation,
};

use crate::cli::ConnectArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::organizations::Organizations;
use crate::public_url::loopback_warning;
use crate::store::open_store;

pub(super) async fn run(
    args: &ConnectArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let public_url = crate::public_url::resolve(config, store.as_ref())
        .await?
        .url;
    if let Some(warning) = loopback_warning(&public_url) {
        writeln!(out, "{warning}")?;
    }
    let organizations = Organizations::load(store.as_ref()).await?;
    let organization = match &args.organization {
        Some(reference) => organizations.resolve(reference)?,
        None => only_organization(&organizations)?,
    };
    let installation = validated(args, organization, config, store.as_ref()).await?;
    let options =
        ClientOptions::new(installation.base_url.clone()).verify_ssl(installation.verify_ssl);
    let dance = OAuthDance::new(
        &options,
        installation.consumer_key.clone(),
        Arc::new(installation.private_key.clone()),
    )
    .map_err(CliError::jira("set up the Jira client"))?;

    let request_token = dance
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .map_err(CliError::jira("get a request token from Jira"))?;
    writeln!(
        out,
        "Open this URL to authorize: {}",
        dance.authorize_url(&request_token)
    )?;
    out.flush()?;
    let verifier = match &args.verifier {
        Some(verifier) => verifier.trim().to_owned(),
        None => read_verifier(out)?,
    };
    if verifier.is_empty() {
        return Err(CliError::MissingVerifier);
    }
    let access_token = dance
        .access_token(&request_token, &verifier)
        .await
        .map_err(CliError::jira(
            "exchange the verification code for an access token",
        ))?;

    let InstallationData {
        organization_id,
        consumer_key,
        private_key_pem,
        private_key,
        webhook_mode,
        ..
    } = installation;
    let mut install = JiraInstall::new(
        organization_id,
        options,
        consumer_key,
        private_key_pem,
        private_key,
        access_token,
    );
    if args.accept_sentry_tokens {
        install = install.accept_reference_tokens();
    }
    let installed = install_jira(store.as_ref(), install, &public_url, webhook_mode).await?;
    // Later commands (webhook ensure, doctor, setup-link, serve) reuse it.
    store
        .save_public_url(&public_url)
        .await
        .map_err(CliError::store("save the public URL"))?;
    report(&installed, out)?;
    next_steps(&installed, &organizations, out)?;
    Ok(())
}

/// What to do after connecting: link issues and turn sync on (`docs/api.md` has the API).
fn next_steps(
    installed: &InstalledJira,
    organizations: &Organizations,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let organization = organizations.name(
        installed
            .installation
            .organization_integration
            .organization_id,
    );
    let external_id = installed.installation.integration.external_id.as_str();
    write!(
        out,
        "
Next steps: nothing syncs until issues are linked and sync is turned on.
  1. Turn on the sync you want for organization {organization}:
       jirasync config set --organization {organization} --integration {external_id} ...
  2. Link each of your application's issues to its Jira issue:
       jirasync link ISSUE JIRA-KEY
  Or do both from your application through the HTTP API (POST /api/v1/..., with the admin
  token): see docs/api.md.
  Then check the whole set-up with: jirasync doctor
"
    )?;
    Ok(())
}

/// The only organization in the store.
fn only_organization(organizations: &Organizations) -> Result<OrganizationId, CliError> {
    match organizations.only() {
        Some(only) => Ok(only),
        None if organizations.is_empty() => Err(CliError::NoOrganizationToInstall),
        None => Err(CliError::SeveralOrganizationsToInstall {
            organizations: organizations.names(),
        }),
    }
}

/// The flags checked with the setup form's rules (reference-behaviour §1.2), each refusal naming
/// its flag.
async fn validated(
    args: &ConnectArgs,
    organization: OrganizationId,
    config: &Config,
    store: &dyn OrganizationStore,
) -> Result<InstallationData, CliError> {
    let pem = std::fs::read_to_string(&args.private_key).map_err(|source| CliError::File {
        what: "read the private key",
        path: args.private_key.clone(),
        source,
    })?;
    let mut input = InstallationInput::default();
    input.url = Some(args.url.clone());
    input.consumer_key = Some(args.consumer_key.clone());
    input.private_key = Some(SecretString::new(pem));
    input.verify_ssl = !args.no_verify_ssl;
    input.manual_webhook = args.manual_webhook;
    input.organization = Some(organization.get().to_string());
    validate_installation(&input, None, &config.jira_hosts, store)
        .await
        .map_err(CliError::store("look up the organization"))?
        .map_err(|errors| CliError::ConnectRefused {
            messages: errors
                .iter()
                .map(|(field, message)| format!("{}: {message}", flag_of(field, args)))
                .collect(),
        })
}

/// The flag a setup form field comes from.
fn flag_of(field: Field, args: &ConnectArgs) -> String {
    match field {
        Field::Url => "--url".to_owned(),
        Field::ConsumerKey => "--consumer-key".to_owned(),
        Field::PrivateKey => format!("--private-key {}", args.private_key.display()),
        Field::Organization => "--organization".to_owned(),
        _ => "a flag".to_owned(),
    }
}

/// One line from standard input, trimmed.
fn read_verifier(out: &mut dyn Write) -> Result<String, CliError> {
    write!(out, "Verification code: ")?;
    out.flush()?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| CliError::Input { source })?;
    writeln!(out)?;
    Ok(line.trim().to_owned())
}

/// What was installed; the webhook URL's token is hidden unless a Jira administrator needs the
/// URL.
fn report(installed: &InstalledJira, out: &mut dyn Write) -> Result<(), CliError> {
    let installation = &installed.installation;
    let integration = &installation.integration;
    writeln!(
        out,
        "Installed the Jira integration {} ({}) for organization {}{}",
        integration.external_id,
        integration.metadata.base_url,
        installation.organization_integration.organization_id.get(),
        if installation.integration_created {
            ""
        } else {
            " (it was installed already: credentials replaced, settings kept)"
        },
    )?;
    let url = installed.webhook_url.expose_secret();
    match &installed.webhook {
        WebhookRegistration::Ensured(outcome) => super::webhook::write_ensured(outcome, url, out)?,
        _ => {
            // The administrator needs the whole URL, token included.
            writeln!(
                out,
                "Ask a Jira administrator to create this webhook: {url}"
            )?;
            writeln!(out, "Events: {}", ISSUE_EVENTS.join(", "))?;
        }
    }
    Ok(())
}
