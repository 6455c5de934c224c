//! Jira's OAuth refusals: the `oauth_problem` it reports (OAuth Problem Reporting extension) in a 401
//! body or in `WWW-Authenticate`, with what each one usually means.

use std::fmt;

use super::encode::decode_form_pairs;
use super::header::parse_authorization_header;

/// The reason Jira gave for refusing an OAuth 1.0a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthProblemKind {
    /// `signature_invalid`: the signature does not verify with the Application Link's public key.
    SignatureInvalid,
    /// `signature_method_rejected`: the server does not accept this signature method.
    SignatureMethodRejected,
    /// `token_rejected`: the token is unknown to Jira.
    TokenRejected,
    /// `token_expired`: the token has expired.
    TokenExpired,
    /// `token_revoked`: a user or administrator revoked the token.
    TokenRevoked,
    /// `token_used`: the request token was already exchanged.
    TokenUsed,
    /// `nonce_used`: the nonce was seen before (a replayed request).
    NonceUsed,
    /// `timestamp_refused`: the timestamp is too far from Jira's clock.
    TimestampRefused,
    /// `consumer_key_unknown`: no Application Link has this consumer key.
    ConsumerKeyUnknown,
    /// `consumer_key_refused` or `consumer_key_rejected`: the consumer is known but refused.
    ConsumerKeyRefused,
    /// `permission_denied`: the user denied access or lacks the permission.
    PermissionDenied,
    /// `permission_unknown`: the user has not decided yet.
    PermissionUnknown,
    /// `user_refused`: the user refused to authorise the token.
    UserRefused,
    /// `parameter_absent`: a required OAuth parameter is missing.
    ParameterAbsent,
    /// `parameter_rejected`: an OAuth parameter was not accepted.
    ParameterRejected,
    /// `version_rejected`: the OAuth version is not supported.
    VersionRejected,
    /// `additional_authorization_required`: the token lacks a needed authorisation.
    AdditionalAuthorizationRequired,
    /// Any other value, kept as sent.
    Other(String),
}

impl OAuthProblemKind {
    /// Reads the value of an `oauth_problem` parameter.
    pub fn parse(value: &str) -> Self {
        match value {
            "signature_invalid" => Self::SignatureInvalid,
            "signature_method_rejected" => Self::SignatureMethodRejected,
            "token_rejected" => Self::TokenRejected,
            "token_expired" => Self::TokenExpired,
            "token_revoked" => Self::TokenRevoked,
            "token_used" => Self::TokenUsed,
            "nonce_used" => Self::NonceUsed,
            "timestamp_refused" => Self::TimestampRefused,
            "consumer_key_unknown" => Self::ConsumerKeyUnknown,
            "consumer_key_refused" | "consumer_key_rejected" => Self::ConsumerKeyRefused,
            "permission_denied" => Self::PermissionDenied,
            "permission_unknown" => Self::PermissionUnknown,
            "user_refused" => Self::UserRefused,
            "parameter_absent" => Self::ParameterAbsent,
            "parameter_rejected" => Self::ParameterRejected,
            "version_rejected" => Self::VersionRejected,
            "additional_authorization_required" => Self::AdditionalAuthorizationRequired,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The value as Jira writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::SignatureInvalid => "signature_invalid",
            Self::SignatureMethodRejected => "signature_method_rejected",
            Self::TokenRejected => "token_rejected",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
            Self::TokenUsed => "token_used",
            Self::NonceUsed => "nonce_used",
            Self::TimestampRefused => "timestamp_refused",
            Self::ConsumerKeyUnknown => "consumer_key_unknown",
            Self::ConsumerKeyRefused => "consumer_key_refused",
            Self::PermissionDenied => "permission_denied",
            Self::PermissionUnknown => "permission_unknown",
            Self::UserRefused => "user_refused",
            Self::ParameterAbsent => "parameter_absent",
            Self::ParameterRejected => "parameter_rejected",
            Self::VersionRejected => "version_rejected",
            Self::AdditionalAuthorizationRequired => "additional_authorization_required",
            Self::Other(other) => other,
        }
    }

    /// What usually causes this problem with Jira, and what to do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::SignatureInvalid => {
                "check that the public key on Jira's Application Link matches the private key in use, \
                 and that the Jira base URL (scheme, host, port, context path) is the one Jira sees \
                 (a proxy that rewrites the URL breaks the signature)"
            }
            Self::SignatureMethodRejected => {
                "the Application Link does not accept this signature method; Jira expects RSA-SHA1"
            }
            Self::TokenRejected => {
                "Jira does not know this token: the access token was revoked, the Application Link was \
                 re-created, or the token belongs to another Jira; connect again to get a new token"
            }
            Self::TokenExpired => "the token has expired; connect again to get a new one",
            Self::TokenRevoked => {
                "the token was revoked in Jira (by the user or an administrator); connect again"
            }
            Self::TokenUsed => {
                "the request token was already exchanged; start the connection again from the beginning"
            }
            Self::NonceUsed => {
                "Jira saw this nonce before: a signed request was sent twice (a retry that did not \
                 re-sign it, or a proxy that replays requests)"
            }
            Self::TimestampRefused => {
                "the clocks of this machine and Jira differ by too much; synchronise both with NTP"
            }
            Self::ConsumerKeyUnknown => {
                "no Application Link in Jira has this consumer key; check the consumer key, or create \
                 the Application Link with incoming authentication"
            }
            Self::ConsumerKeyRefused => {
                "Jira knows the consumer key but refuses it; check that incoming authentication on the \
                 Application Link is enabled"
            }
            Self::PermissionDenied => {
                "the Jira user denied access, or lacks the permission for this request"
            }
            Self::PermissionUnknown => {
                "the Jira user has not yet approved access; finish the authorisation step"
            }
            Self::UserRefused => {
                "the Jira user refused to authorise access; ask them to approve it"
            }
            Self::ParameterAbsent => {
                "a required OAuth parameter is missing (see oauth_parameters_absent); this is a client bug \
                 or a proxy that strips the Authorization header"
            }
            Self::ParameterRejected => "Jira rejected an OAuth parameter as sent",
            Self::VersionRejected => "Jira does not accept this OAuth version; jirasync sends 1.0",
            Self::AdditionalAuthorizationRequired => {
                "the token lacks an authorisation this request needs; connect again"
            }
            Self::Other(_) => "see Jira's logs for details",
        }
    }
}

impl fmt::Display for OAuthProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Jira refused an OAuth 1.0a request and said why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthProblem {
    /// The `oauth_problem` value.
    pub problem: OAuthProblemKind,
    /// The HTTP status of the refusal (usually 401).
    pub status: u16,
    /// `oauth_acceptable_timestamps` (`<min>-<max>`), sent with `timestamp_refused`.
    pub acceptable_timestamps: Option<String>,
    /// `oauth_parameters_absent`, sent with `parameter_absent`.
    pub parameters_absent: Option<String>,
    /// `oauth_problem_advice`, when the server wrote one.
    pub server_advice: Option<String>,
    /// `oauth_signature_base_string`: the base string Jira computed, which it sends with
    /// `signature_invalid` and which shows where the two sides differ.
    pub server_base_string: Option<String>,
}

impl OAuthProblem {
    /// Finds an `oauth_problem` in a refusal: first in a form-encoded body, then in the
    /// `WWW-Authenticate` header. `None` when neither carries one.
    pub fn from_response(status: u16, body: &str, www_authenticate: Option<&str>) -> Option<Self> {
        let from_body: Vec<(String, String)> = if body.contains("oauth_problem=") {
            decode_form_pairs(body.trim().as_bytes()).collect()
        } else {
            Vec::new()
        };
        let from_header: Vec<(String, String)> = www_authenticate
            .and_then(|value| parse_authorization_header(value).ok())
            .unwrap_or_default();
        [from_body, from_header]
            .into_iter()
            .find_map(|pairs| Self::from_pairs(status, &pairs))
    }

    fn from_pairs(status: u16, pairs: &[(String, String)]) -> Option<Self> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .filter(|value| !value.is_empty())
        };
        let problem = get("oauth_problem")?;
        Some(Self {
            problem: OAuthProblemKind::parse(&problem),
            status,
            acceptable_timestamps: get("oauth_acceptable_timestamps"),
            parameters_absent: get("oauth_parameters_absent"),
            server_advice: get("oauth_problem_advice"),
            server_base_string: get("oauth_signature_base_string"),
        })
    }
}

impl fmt::Display for OAuthProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Jira refused the request (oauth_problem={}): {}",
            self.problem,
            self.problem.advice()
        )?;
        if let Some(range) = &self.acceptable_timestamps {
            write!(f, " (Jira accepts timestamps {range})")?;
        }
        if let Some(absent) = &self.parameters_absent {
            write!(f, " (missing: {absent})")?;
        }
        if let Some(advice) = &self.server_advice {
            write!(f, " (Jira says: {advice})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthProblem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_problem_from_form_body() {
        let problem = OAuthProblem::from_response(
            401,
            "oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1700000000-1700000600",
            None,
        )
        .unwrap();
        assert_eq!(problem.problem, OAuthProblemKind::TimestampRefused);
        assert_eq!(
            problem.acceptable_timestamps.as_deref(),
            Some("1700000000-1700000600")
        );
        assert!(problem.to_string().contains("synchronise both with NTP"));
    }

    #[test]
    fn reads_problem_from_www_authenticate() {
        let problem = OAuthProblem::from_response(
            401,
            "<html>Unauthorized</html>",
            Some(r#"OAuth realm="https%3A%2F%2Fjira.example.com", oauth_problem="token_rejected""#),
        )
        .unwrap();
        assert_eq!(problem.problem, OAuthProblemKind::TokenRejected);
    }

    #[test]
    fn keeps_unknown_problems_as_sent() {
        let problem =
            OAuthProblem::from_response(401, "oauth_problem=something_new", None).unwrap();
        assert_eq!(
            problem.problem,
            OAuthProblemKind::Other("something_new".to_owned())
        );
        assert_eq!(problem.problem.as_str(), "something_new");
    }

    #[test]
    fn no_problem_without_oauth_problem() {
        assert_eq!(
            OAuthProblem::from_response(401, "Unauthorized", Some("Basic realm=x")),
            None
        );
    }
}
