//! The errors of this crate: one enum for every call that talks to Jira, holding typed errors for
//! keys, signing, configuration, Jira's OAuth refusals and its REST error answers.

use std::collections::BTreeMap;
use std::fmt;

use crate::oauth1::OAuthProblem;

/// Anything a call to Jira can end with, other than success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The private key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A request could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The client options are not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Jira did not answer in time.
    #[error("Timed out attempting to reach host: {host}")]
    Timeout {
        /// Host and port (if not the default) of the Jira base URL.
        host: String,
    },
    /// No connection could be made to Jira.
    #[error(
        "Could not connect to {host}: {reason}. Check the Jira URL, that Jira is running, and that \
         this machine can reach it (proxy, firewall, TLS certificate)."
    )]
    Connect {
        /// Host and port (if not the default) of the Jira base URL.
        host: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// The request failed on the way (TLS, protocol, connection reset) after it was sent.
    #[error("The request to {host} failed: {reason}")]
    Transport {
        /// Host and port (if not the default) of the Jira base URL.
        host: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// Jira refused the OAuth 1.0a request and said why (`oauth_problem`).
    #[error(transparent)]
    OAuth(Box<OAuthProblem>),
    /// The token endpoint answered without `oauth_token` or `oauth_token_secret`.
    #[error("Missing oauth_token: Jira's answer had {}", describe_keys(.keys))]
    MissingOAuthToken {
        /// The keys that Jira's answer did contain.
        keys: Vec<String>,
    },
    /// The access-token step was called without a verifier.
    #[error("Missing OAuth token verifier")]
    MissingVerifier,
    /// Jira answered with an HTML page where data was expected: usually a login page, an error page
    /// from a proxy, or a base URL that points at the wrong place.
    #[error(
        "Jira answered {method} {path} with an HTML page (HTTP {status}) instead of {expected}. \
         Check the base URL (including any context path such as /jira) and any proxy in front of Jira."
    )]
    HtmlPage {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
        /// The HTTP status of the HTML answer.
        status: u16,
        /// What the call expected instead.
        expected: &'static str,
    },
    /// Jira answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Jira answered 2xx but the body could not be read as the expected data.
    #[error("Could not read Jira's answer to {method} {path}: {reason}")]
    UnexpectedBody {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
        /// Why the body did not fit.
        reason: String,
    },
    /// Creating the issue webhook failed (reference-behaviour §2.3).
    #[error("Could not create issue webhook in Jira. {details}")]
    WebhookNotCreated {
        /// Jira's own explanation (the first value of `messages[0]`), or the underlying error.
        details: String,
        /// The underlying failure.
        #[source]
        source: Box<Error>,
    },
    /// An argument of a call was refused before any request was sent (an issue key that is not
    /// one, an empty user name); nothing reached Jira.
    #[error(transparent)]
    InvalidInput(#[from] InputError),
    /// `createmeta` has no such project for this user: it does not exist, or the user may not
    /// create issues in it.
    #[error(
        "Jira's createmeta lists no project {project_key:?}: it does not exist, or the Jira user \
         lacks the Create Issues permission in it"
    )]
    ProjectNotCreatable {
        /// The project key or id asked for.
        project_key: String,
    },
    /// `createmeta` lists the project but no issue type of that name in it.
    #[error(
        "Project {project_key} has no issue type named {issue_type:?} that the Jira user can create \
         (it has: {})", describe_names(.available)
    )]
    IssueTypeNotInProject {
        /// The project key or id asked for.
        project_key: String,
        /// The issue type name asked for.
        issue_type: String,
        /// The names of the issue types the project does offer.
        available: Vec<String>,
    },
    /// `serverInfo` did not carry a version this crate can read.
    #[error(
        "Jira's serverInfo has no readable version (got {version:?}); cannot choose the webhook API"
    )]
    UnknownServerVersion {
        /// The `version` string Jira sent, if any.
        version: Option<String>,
    },
}

impl Error {
    /// Jira's `oauth_problem`, when Jira refused the request for an OAuth reason.
    pub fn oauth_problem(&self) -> Option<&OAuthProblem> {
        match self {
            Self::OAuth(problem) => Some(problem.as_ref()),
            Self::WebhookNotCreated { source, .. } => source.oauth_problem(),
            _ => None,
        }
    }

    /// The HTTP status Jira answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::OAuth(problem) => Some(problem.status),
            Self::Api(api) => Some(api.status),
            Self::HtmlPage { status, .. } => Some(*status),
            Self::WebhookNotCreated { source, .. } => source.status(),
            _ => None,
        }
    }
}

impl Error {
    /// Whether trying the same request again later cannot succeed without someone changing
    /// something (a permission, the workflow, the data, the configuration): outbound work that
    /// failed this way stops with its reason instead of being retried.
    ///
    /// Permanent: every answer `400`–`499` except `408` and `429` (so `400` invalid transition or
    /// unknown user, `401`, `403` permission, `404` issue gone, `405`, `409`, `413`), redirects,
    /// OAuth refusals (`oauth_problem`) other than `nonce_used` (a re-signed attempt carries a
    /// fresh nonce), an HTML page answered with a status below 500 (a login page: the base URL
    /// or a proxy is wrong), an answer that is not the expected data (the change may have been
    /// made: repeating a `POST` could make it twice), invalid input, keys, signing and
    /// configuration errors, and `createmeta` lacking the project or issue type.
    ///
    /// Transient: no connection, a timeout, a transport failure, `408`, `429` and `5xx` answers
    /// (HTML error pages of a proxy included), and `nonce_used`. A connection lost after the
    /// request was sent ([`Error::Transport`]) may hide a change Jira did make; the caller decides
    /// whether its call is safe to repeat.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connect { .. } | Self::Transport { .. } => false,
            Self::OAuth(problem) => problem.problem != crate::oauth1::OAuthProblemKind::NonceUsed,
            Self::Api(api) => !status_is_transient(api.status),
            Self::HtmlPage { status, .. } => !status_is_transient(*status),
            Self::WebhookNotCreated { source, .. } => source.is_permanent(),
            Self::Key(_)
            | Self::Sign(_)
            | Self::Config(_)
            | Self::MissingOAuthToken { .. }
            | Self::MissingVerifier
            | Self::UnexpectedBody { .. }
            | Self::InvalidInput(_)
            | Self::ProjectNotCreatable { .. }
            | Self::IssueTypeNotInProject { .. }
            | Self::UnknownServerVersion { .. } => true,
        }
    }

    /// Jira's per-field `errors` (field id → message), when Jira refused the request with them,
    /// such as `assignee` → `User 'x' cannot be assigned issues.`
    pub fn field_errors(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            Self::Api(api) => Some(&api.field_errors),
            Self::WebhookNotCreated { source, .. } => source.field_errors(),
            _ => None,
        }
    }

    /// Jira's `errorMessages`, when Jira refused the request with them.
    pub fn error_messages(&self) -> &[String] {
        match self {
            Self::Api(api) => &api.error_messages,
            Self::WebhookNotCreated { source, .. } => source.error_messages(),
            _ => &[],
        }
    }
}

/// Statuses worth trying again later: Jira or a proxy failed, or asked the client to slow down.
fn status_is_transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

impl From<OAuthProblem> for Error {
    fn from(problem: OAuthProblem) -> Self {
        Self::OAuth(Box::new(problem))
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Self::Api(Box::new(error))
    }
}

fn describe_keys(keys: &[String]) -> String {
    if keys.is_empty() {
        "no keys at all".to_owned()
    } else {
        format!("only the keys [{}]", keys.join(", "))
    }
}

fn describe_names(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// An argument refused before a request was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Not an issue key (`APP-123`: a project key of capital letters, digits and `_` starting with
    /// a letter, a dash, a number) nor a numeric issue id.
    #[error(
        "{value:?} is neither an issue key (such as APP-123: capital letters, digits or _ starting \
         with a letter, a dash, then a number) nor a numeric issue id"
    )]
    IssueReference {
        /// The value given.
        value: String,
    },
    /// Not a project key (`APP`) nor a numeric project id.
    #[error(
        "{value:?} is neither a project key (such as APP: capital letters, digits or _ starting \
         with a letter) nor a numeric project id"
    )]
    ProjectReference {
        /// The value given.
        value: String,
    },
    /// A required text argument is empty (or only white space).
    #[error("The {what} is empty")]
    Empty {
        /// Which argument (`user name`, `issue type`, `search query`, `transition id`).
        what: &'static str,
    },
    /// A user name to assign is `-1`, which Jira reads as "automatic assignee".
    #[error(
        "\"-1\" is not a user name: Jira reads it as the automatic (default) assignee; use \
         Assignment::Automatic for that"
    )]
    AutomaticAsUserName,
    /// A transition id that is not a number.
    #[error("The transition id {value:?} is not a number (Jira's transition ids are, such as 31)")]
    TransitionId {
        /// The value given.
        value: String,
    },
}

/// Why a private or public key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is protected by a passphrase.
    #[error(
        "The private key is encrypted with a passphrase; an unencrypted key is needed. Remove the \
         passphrase with `openssl pkey -in key.pem -out key-plain.pem` and use the new file."
    )]
    Encrypted,
    /// A public key or a certificate was given where the private key belongs.
    #[error(
        "This is a {label}, not a private key. Give the private key (it begins with \
         -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); the public key is what \
         goes into Jira's Application Link."
    )]
    NotAPrivateKey {
        /// The PEM label that was found, such as `PUBLIC KEY` or `CERTIFICATE`.
        label: String,
    },
    /// The key is not an RSA key.
    #[error(
        "The private key is an {algorithm} key, but Jira's OAuth 1.0a (RSA-SHA1) needs an RSA key. \
         Generate one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`."
    )]
    NotRsa {
        /// The algorithm of the key that was given.
        algorithm: String,
    },
    /// The key is in OpenSSH's own format.
    #[error(
        "The private key is in OpenSSH format. Private key must be a valid RSA private key in PEM \
         format (PKCS#1 or PKCS#8): convert it with `ssh-keygen -p -m PEM -f <file>`."
    )]
    OpenSshFormat,
    /// The text is not a PEM RSA private key.
    #[error("Private key must be a valid RSA private key in PEM format (PKCS#1 or PKCS#8)")]
    Invalid,
    /// The text is not a PEM RSA public key.
    #[error(
        "Public key must be a valid RSA public key in PEM format (SubjectPublicKeyInfo or PKCS#1)"
    )]
    InvalidPublicKey,
    /// A new key pair could not be generated.
    #[error("Could not generate an RSA key pair: {reason}")]
    Generate {
        /// What the RSA library reported.
        reason: String,
    },
    /// A key could not be written as PEM.
    #[error("Could not encode the key as PEM: {reason}")]
    Encode {
        /// What the encoder reported.
        reason: String,
    },
    /// An RSA back-end other than the default refused a key that [`PrivateKey`](crate::PrivateKey)
    /// accepted.
    #[error(
        "The RSA back-end {backend} refused the private key: {reason}. The key itself is valid; \
         use the default back-end (PrivateKey) or report this with the key size and format."
    )]
    Backend {
        /// The back-end, such as `OpenSSL`.
        backend: &'static str,
        /// What the back-end reported.
        reason: String,
    },
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The RSA back-end failed to sign.
    #[error("Could not sign the request with RSA-SHA1: {reason}")]
    Rsa {
        /// What the back-end reported.
        reason: String,
    },
    /// The HMAC key could not be made.
    #[error("Could not sign the request with HMAC-SHA1: {reason}")]
    Hmac {
        /// What the HMAC library reported.
        reason: String,
    },
}

/// Why the client options cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The Jira base URL is not an absolute http(s) URL.
    #[error(
        "The Jira URL {url:?} is not valid: {reason}. Give it like https://jira.example.com or https://example.com/jira"
    )]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The callback URL for the token exchange is not an absolute URL.
    #[error(
        "The OAuth callback URL {url:?} is not valid: {reason}. Give an absolute URL or use out-of-band (oob)"
    )]
    InvalidCallbackUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (for example the TLS set-up failed).
    #[error("Could not set up the HTTP client: {reason}")]
    HttpClient {
        /// What the HTTP client reported.
        reason: String,
    },
    /// The user agent contains characters a header cannot carry.
    #[error("The user agent {user_agent:?} cannot be sent in an HTTP header")]
    InvalidUserAgent {
        /// The user agent as given.
        user_agent: String,
    },
}

/// Jira answered a REST call with an error status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The request method.
    pub method: String,
    /// The request path, without the query.
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// Jira's `errorMessages`, if its answer had them.
    pub error_messages: Vec<String>,
    /// Jira's per-field `errors`, if its answer had them.
    pub field_errors: BTreeMap<String, String>,
    /// The first value of the first object in `messages` (the webhook resources answer this way).
    pub first_message: Option<String>,
    /// The `Location` of a redirect answer (redirects are never followed).
    pub location: Option<String>,
}

impl ApiError {
    /// What usually causes this status, and what to do.
    pub fn advice(&self) -> &'static str {
        match self.status {
            300..=399 => {
                "Jira answered with a redirect, which is not followed: configure the exact URL Jira serves (https or http, host, context path such as /jira)."
            }
            400 => "Jira did not accept the request as sent.",
            401 => {
                "Jira did not accept the credentials: check the access token or personal access token and that the Application Link still exists."
            }
            403 => {
                "The Jira user lacks a permission for this (managing webhooks needs a Jira administrator; assigning, transitioning, commenting and creating need the project's Assign Issues, Transition Issues, Add Comments and Create Issues permissions)."
            }
            404 => {
                "Not found: check the Jira base URL (including any context path such as /jira) and the Jira version."
            }
            429 => "Jira is rate limiting this client; try again later.",
            500..=599 => {
                "Jira or a proxy in front of it failed; try again later and check Jira's logs."
            }
            _ => "Unexpected answer from Jira.",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Jira answered {} {} with HTTP {}",
            self.method, self.path, self.status
        )?;
        let mut details: Vec<String> = self.error_messages.clone();
        details.extend(
            self.field_errors
                .iter()
                .map(|(field, message)| format!("{field}: {message}")),
        );
        details.extend(self.first_message.iter().cloned());
        details.extend(
            self.location
                .iter()
                .map(|location| format!("redirect to {location}")),
        );
        if !details.is_empty() {
            write!(f, " ({})", details.join("; "))?;
        }
        write!(f, ". {}", self.advice())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        ApiError {
            method: "POST".into(),
            path: "/rest/api/2/issue/APP-1/comment".into(),
            status,
            error_messages: Vec::new(),
            field_errors: BTreeMap::new(),
            first_message: None,
            location: None,
        }
        .into()
    }

    fn html(status: u16) -> Error {
        Error::HtmlPage {
            method: "GET".into(),
            path: "/rest/api/2/issue/APP-1".into(),
            status,
            expected: "an issue",
        }
    }

    #[test]
    fn client_errors_are_permanent_except_timeouts_and_rate_limits() {
        for status in [301, 400, 401, 403, 404, 405, 409, 413] {
            assert!(api(status).is_permanent(), "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(!api(status).is_permanent(), "{status}");
        }
    }

    #[test]
    fn a_proxy_error_page_is_transient_and_a_login_page_permanent() {
        assert!(!html(502).is_permanent());
        assert!(html(200).is_permanent());
        assert!(html(404).is_permanent());
    }

    #[test]
    fn only_a_used_nonce_among_oauth_refusals_is_transient() {
        let refusal = |problem: &str| -> Error {
            OAuthProblem::from_response(401, &format!("oauth_problem={problem}"), None)
                .map(Error::from)
                .unwrap_or_else(|| Error::MissingVerifier)
        };
        assert!(!refusal("nonce_used").is_permanent());
        for problem in ["token_rejected", "signature_invalid", "timestamp_refused"] {
            let error = refusal(problem);
            assert!(error.oauth_problem().is_some(), "{problem}");
            assert!(error.is_permanent(), "{problem}");
        }
    }

    #[test]
    fn network_failures_are_transient_and_bad_input_permanent() {
        let host = "jira.example.com".to_owned();
        assert!(!Error::Timeout { host: host.clone() }.is_permanent());
        assert!(
            !Error::Connect {
                host: host.clone(),
                reason: "refused".into()
            }
            .is_permanent()
        );
        assert!(
            !Error::Transport {
                host,
                reason: "reset".into()
            }
            .is_permanent()
        );
        assert!(Error::from(InputError::Empty { what: "user name" }).is_permanent());
        let wrapped = Error::WebhookNotCreated {
            details: "down".into(),
            source: Box::new(api(503)),
        };
        assert!(!wrapped.is_permanent());
    }
}
