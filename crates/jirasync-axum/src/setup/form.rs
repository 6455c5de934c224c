//! The installation form's rules and messages (reference-behaviour §1.2), shared by the HTML form
//! and the JSON step.

use jirasync_client::{BaseUrl, ConsumerKey, PrivateKey};
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::secret::SecretString;
use jirasync_domain::{DirectoryStore, StoreError};

use super::installer::WebhookMode;
use super::pipeline::InstallationData;

/// A required field is missing or blank.
pub(super) const REQUIRED: &str = "This field is required.";
const INVALID_URL: &str = "Enter a valid URL.";
const CONSUMER_KEY_TOO_LONG: &str = "Consumer key is limited to 200 characters.";
const INVALID_PRIVATE_KEY: &str =
    "Private key must be a valid SSH private key encoded in a PEM format.";
const CONSUMER_KEY_MAX_CHARS: usize = 200;

/// A field of the setup forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Url,
    ConsumerKey,
    PrivateKey,
    Organization,
    OAuthToken,
}

impl Field {
    /// The field's name in the HTML form.
    pub(super) fn form_name(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::ConsumerKey => "consumer_key",
            Self::PrivateKey => "private_key",
            Self::Organization => "organization",
            Self::OAuthToken => "oauth_token",
        }
    }

    /// The field's name in the JSON steps.
    pub(super) fn json_name(self) -> &'static str {
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
pub(super) struct FieldErrors(Vec<(Field, String)>);

impl FieldErrors {
    pub(super) fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// Adds every message of `other`.
    pub(super) fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages for one field.
    pub(super) fn messages(&self, field: Field) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(refused, _)| *refused == field)
            .map(|(_, message)| message.as_str())
    }

    /// Every refused field with its messages, as JSON `{"<jsonName>": ["message", ...]}`.
    pub(super) fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        for (field, message) in &self.0 {
            if let serde_json::Value::Array(messages) = map
                .entry(field.json_name())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()))
            {
                messages.push(serde_json::Value::String(message.clone()));
            }
        }
        map
    }
}

/// The installation form as received: absent fields are `None`.
#[derive(Debug, Clone, Default)]
pub(super) struct InstallationInput {
    pub(super) url: Option<String>,
    pub(super) consumer_key: Option<String>,
    pub(super) private_key: Option<SecretString>,
    pub(super) verify_ssl: bool,
    pub(super) manual_webhook: bool,
    pub(super) organization: Option<String>,
}

/// The value of a text field, trimmed; `None` (with "This field is required.") when absent or
/// blank.
fn required<'a>(value: Option<&'a str>, field: Field, errors: &mut FieldErrors) -> Option<&'a str> {
    let value = value.map(str::trim).filter(|value| !value.is_empty());
    if value.is_none() {
        errors.add(field, REQUIRED);
    }
    value
}

/// Checks the form. `fixed_organization` is the organization the service installs for, if it is
/// configured; otherwise the form's organization id must name an existing organization.
/// `Ok(Err(_))` lists the refused fields; `Err(_)` is a store failure.
pub(super) async fn validate_installation(
    input: &InstallationInput,
    fixed_organization: Option<OrganizationId>,
    store: &dyn DirectoryStore,
) -> Result<Result<InstallationData, FieldErrors>, StoreError> {
    let mut errors = FieldErrors::default();

    let base_url = required(input.url.as_deref(), Field::Url, &mut errors).and_then(|url| {
        // reference §1.2: a URL with a scheme and a host; all trailing `/` are stripped.
        let parsed = BaseUrl::parse(url).ok();
        if parsed.is_none() {
            errors.add(Field::Url, INVALID_URL);
        }
        parsed
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
        input.private_key.as_ref().map(SecretString::expose),
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
                    WebhookMode::Manual
                } else {
                    WebhookMode::Ensure
                },
            }),
            _ => Err(errors),
        },
    )
}
