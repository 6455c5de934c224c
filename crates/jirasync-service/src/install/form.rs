//! The installation form's rules and messages (reference-behaviour §1.2), shared by the HTML form
//! and the JSON step of the setup flow.

use jirasync_client::{BaseUrl, ConsumerKey, PrivateKey};
use jirasync_domain::SecretString;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::{OrganizationStore, StoreError};

use super::installer::WebhookRegistrationMode;
use super::jira_hosts::JiraHosts;

/// A required field is missing or blank.
const REQUIRED: &str = "This field is required.";
const INVALID_URL: &str = "Enter a valid URL.";
const CONSUMER_KEY_TOO_LONG: &str = "Consumer key is limited to 200 characters.";
const INVALID_PRIVATE_KEY: &str =
    "Private key must be a valid SSH private key encoded in a PEM format.";
const CONSUMER_KEY_MAX_CHARS: usize = 200;

/// A field of the setup forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// The Jira base URL.
    Url,
    /// The Application Link's consumer key.
    ConsumerKey,
    /// The consumer's RSA private key (PEM).
    PrivateKey,
    /// The installing organization.
    Organization,
    /// The request token of Jira's callback.
    OAuthToken,
}

impl Field {
    /// The field's name in the HTML form.
    pub fn form_name(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::ConsumerKey => "consumer_key",
            Self::PrivateKey => "private_key",
            Self::Organization => "organization",
            Self::OAuthToken => "oauth_token",
        }
    }

    /// The field's name in the JSON steps (`docs/setup-api.md`).
    pub fn json_name(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::ConsumerKey => "consumerKey",
            Self::PrivateKey => "privateKey",
            Self::Organization => "organizationId",
            Self::OAuthToken => "oauthToken",
        }
    }
}

/// The messages for each refused field, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(Field, String)>);

impl FieldErrors {
    /// Refuses `field` with `message`.
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// Refuses `field` as missing: "This field is required.".
    pub fn add_required(&mut self, field: Field) {
        self.add(field, REQUIRED);
    }

    /// Adds every message of `other`.
    pub fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    /// Whether no field was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every refused field with one of its messages, in the order found (a field may appear more
    /// than once).
    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    /// The messages for one field.
    pub fn messages(&self, field: Field) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(refused, _)| *refused == field)
            .map(|(_, message)| message.as_str())
    }
}

/// The validated installation form: what the OAuth dance and [`install_jira`](crate::install_jira)
/// need.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InstallationData {
    /// The installing organization.
    pub organization_id: OrganizationId,
    /// The Jira base URL, trailing `/` stripped.
    pub base_url: BaseUrl,
    /// The consumer key of the Application Link.
    pub consumer_key: ConsumerKey,
    /// The private key as entered.
    pub private_key_pem: SecretString,
    /// The private key, loaded.
    pub private_key: PrivateKey,
    /// Whether Jira's TLS certificate is checked.
    pub verify_ssl: bool,
    /// How the webhook gets into Jira.
    pub webhook_mode: WebhookRegistrationMode,
}

/// The installation form as received: absent fields are `None`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct InstallationInput {
    /// The Jira base URL as typed.
    pub url: Option<String>,
    /// The consumer key as typed.
    pub consumer_key: Option<String>,
    /// The private key's PEM text.
    pub private_key: Option<SecretString>,
    /// Whether Jira's TLS certificate is checked.
    pub verify_ssl: bool,
    /// Whether a Jira administrator registers the webhook by hand.
    pub manual_webhook: bool,
    /// The organization id as typed (ignored when the organization is fixed).
    pub organization: Option<String>,
}

/// The value of a text field, trimmed; `None` (with "This field is required.") when absent or
/// blank.
fn required<'a>(value: Option<&'a str>, field: Field, errors: &mut FieldErrors) -> Option<&'a str> {
    let value = value.map(str::trim).filter(|value| !value.is_empty());
    if value.is_none() {
        errors.add_required(field);
    }
    value
}

/// Checks the form with the reference's rules and messages. `fixed_organization` is the
/// organization the service installs for, if it is configured; otherwise the form's organization
/// id must name an existing organization. The Jira URL must name one of `hosts`: a refused URL
/// gets "Enter a valid URL." and the precise reason, and no request is ever made to it.
/// `Ok(Err(_))` lists the refused fields; `Err(_)` is a store failure.
///
/// # Errors
///
/// A [`StoreError`] when the organization could not be looked up.
pub async fn validate_installation(
    input: &InstallationInput,
    fixed_organization: Option<OrganizationId>,
    hosts: &JiraHosts,
    store: &dyn OrganizationStore,
) -> Result<Result<InstallationData, FieldErrors>, StoreError> {
    let mut errors = FieldErrors::default();

    let base_url = required(input.url.as_deref(), Field::Url, &mut errors).and_then(|url| {
        // reference §1.2: a URL with a scheme and a host; all trailing `/` are stripped.
        let checked = BaseUrl::parse(url)
            .map_err(|error| match error {
                jirasync_client::ConfigError::InvalidBaseUrl { reason, .. } => {
                    let reason = if reason == "relative URL without a base" {
                        "it has no scheme: write https:// (or http://) before the host"
                    } else {
                        reason.as_str()
                    };
                    format!("The Jira URL is not usable: {reason}.")
                }
                other => other.to_string(),
            })
            .and_then(|parsed| hosts.check(&parsed).map(|()| parsed));
        match checked {
            Ok(parsed) => Some(parsed),
            Err(reason) => {
                errors.add(Field::Url, INVALID_URL);
                // The precise reason says what to change.
                errors.add(Field::Url, reason);
                None
            }
        }
    });

    let consumer_key = required(
        input.consumer_key.as_deref(),
        Field::ConsumerKey,
        &mut errors,
    )
    .and_then(|key| {
        if key.chars().count() > CONSUMER_KEY_MAX_CHARS {
            errors.add(Field::ConsumerKey, CONSUMER_KEY_TOO_LONG);
            return None;
        }
        Some(ConsumerKey::new(key))
    });

    let private_key = required(
        input.private_key.as_ref().map(SecretString::expose_secret),
        Field::PrivateKey,
        &mut errors,
    )
    .and_then(|pem| match PrivateKey::from_pem(pem) {
        Ok(key) => Some((SecretString::new(pem), key)),
        Err(reason) => {
            errors.add(Field::PrivateKey, INVALID_PRIVATE_KEY);
            // The precise reason (passphrase, public key, OpenSSH format…) says what to do.
            errors.add(Field::PrivateKey, reason.to_string());
            None
        }
    });

    let organization_id = match fixed_organization {
        Some(organization) => Some(organization),
        None => match required(
            input.organization.as_deref(),
            Field::Organization,
            &mut errors,
        ) {
            None => None,
            Some(text) => match text.parse::<u64>() {
                Err(_) => {
                    errors.add(Field::Organization, "Enter a whole number.");
                    None
                }
                Ok(raw) => {
                    let id = OrganizationId::new(raw);
                    if store.organization(id).await?.is_none() {
                        errors.add(
                            Field::Organization,
                            format!("Organization {raw} does not exist."),
                        );
                        None
                    } else {
                        Some(id)
                    }
                }
            },
        },
    };

    Ok(
        match (base_url, consumer_key, private_key, organization_id) {
            (
                Some(base_url),
                Some(consumer_key),
                Some((private_key_pem, private_key)),
                Some(organization_id),
            ) if errors.is_empty() => Ok(InstallationData {
                organization_id,
                base_url,
                consumer_key,
                private_key_pem,
                private_key,
                verify_ssl: input.verify_ssl,
                webhook_mode: if input.manual_webhook {
                    WebhookRegistrationMode::Manual
                } else {
                    WebhookRegistrationMode::Ensure
                },
            }),
            _ => Err(errors),
        },
    )
}
