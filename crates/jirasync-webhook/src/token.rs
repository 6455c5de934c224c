//! The URL token that identifies an installation: an HS256 JWT whose claims are `{"id": <external id>}`.
//!
//! Jira calls `/extensions/jira-server/issue-updated/<token>/` with no other authentication, so the
//! token is the only thing that proves a delivery comes from a Jira instance we registered
//! (reference-behaviour §2.1, §3.2). It is a small, direct implementation over `hmac` + `sha2` +
//! `base64` rather than a general JWT library: it accepts HS256 only, needs an exact error for each
//! way a token can be wrong, and runs on every delivery (see `docs/decisions/0003-webhook-token.md`).

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::secret::WebhookSecret;

/// The longest token accepted, in bytes. A token we mint for a 36-character external id is about
/// 120 bytes; anything near this limit is not ours.
pub const MAX_TOKEN_LEN: usize = 4096;

/// The only algorithm accepted, as it appears in the JWT header.
const ALGORITHM: &str = "HS256";

/// `{"alg":"HS256","typ":"JWT"}` in base64url: the header PyJWT writes (keys sorted, no spaces) and
/// the one we write, so the same install always yields the same token.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// base64url as JWTs use it: no padding written, padding tolerated when reading (as PyJWT does).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// SHA-256 block size: HMAC keys are hashed (when longer) and zero-padded to this length.
const SHA256_BLOCK_LEN: usize = 64;

/// A webhook URL token, as minted by [`mint_token`] or cut from a request path.
///
/// The token is a bearer secret: whoever knows it can post deliveries for the installation. `Debug`
/// and `Display` never show it; use [`WebhookToken::expose`] to put it into the webhook URL.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookToken(String);

impl WebhookToken {
    /// Wraps a token, for example the last segment of a request path.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the webhook URL. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookToken(<redacted>)")
    }
}

impl fmt::Display for WebhookToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A token whose signature matched one of the installation's secrets and whose time claims, if
/// any, hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    external_id: String,
    secret_index: usize,
}

impl VerifiedToken {
    /// The `id` claim: the external id of the installation the token was minted for.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }

    /// The position, in the list given to [`verify_token`], of the secret that matched. During a
    /// rotation this tells whether Jira still calls the URL made with the old secret.
    pub fn secret_index(&self) -> usize {
        self.secret_index
    }

    /// The external id, by value.
    pub fn into_external_id(self) -> String {
        self.external_id
    }
}

/// Why a webhook URL token was refused. Each way a token can be wrong has its own variant, so the
/// HTTP layer can log and count them apart; every one of them is a 400 for Jira.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is the empty string.
    #[error("Token was empty")]
    Empty,
    /// The token is longer than [`MAX_TOKEN_LEN`] bytes.
    #[error("Token is {len} bytes long; tokens over {max} bytes are refused", max = MAX_TOKEN_LEN)]
    TooLong {
        /// The token's length in bytes.
        len: usize,
    },
    /// The token is not a JWT: not three base64url segments, or a header or claims that are not a
    /// JSON object.
    #[error("Could not decode JWT token: {reason}")]
    Malformed {
        /// What was wrong, in plain words.
        reason: &'static str,
    },
    /// The header names an algorithm other than HS256 (`none`, RS256, HS512, …).
    #[error("Could not validate JWT. Got algorithm `{alg}`; only HS256 is accepted")]
    UnsupportedAlgorithm {
        /// The header's `alg`, cut to 32 characters, anything but printable ASCII replaced by `?`.
        alg: String,
    },
    /// No secret was given to check the signature with.
    #[error(
        "Could not validate JWT. Got no webhook secret to check it with: the installation has none stored"
    )]
    NoSecrets,
    /// The signature matches none of the secrets.
    #[error(
        "Could not validate JWT. Got a signature that matches none of the installation's webhook secrets"
    )]
    BadSignature,
    /// The claims have no `id`.
    #[error("Token did not contain `id`")]
    MissingId,
    /// The `id` claim is not a string.
    #[error("Token's `id` claim must be a string")]
    IdNotString,
    /// `exp` or `nbf` is present but not a number.
    #[error("Could not validate JWT. Got a `{claim}` claim that is not a number")]
    InvalidTimeClaim {
        /// `exp` or `nbf`.
        claim: &'static str,
    },
    /// `exp` is present and lies in the past.
    #[error("Could not validate JWT. Got a token that expired at {exp} (Unix seconds)")]
    Expired {
        /// The `exp` claim, Unix seconds.
        exp: i64,
    },
    /// `nbf` is present and lies in the future.
    #[error("Could not validate JWT. Got a token that is not valid before {nbf} (Unix seconds)")]
    NotYetValid {
        /// The `nbf` claim, Unix seconds.
        nbf: i64,
    },
}

/// The path prefix of the webhook route; the token and a trailing `/` follow it
/// (reference-behaviour §2.1: `/extensions/jira-server/issue-updated/<token>/`).
pub const WEBHOOK_PATH_PREFIX: &str = "/extensions/jira-server/issue-updated/";

/// The absolute webhook URL Jira is told to call: `public_url` (the service's public base URL,
/// any trailing `/` ignored), the route prefix, the token and the trailing `/` the route requires.
///
/// The result contains the token: it is a secret, never log it.
///
/// ```
/// use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
///
/// let token = mint_token("jira.example.com:jirasync", &WebhookSecret::new("s3cret"));
/// let url = webhook_url("https://sync.example.com/", &token);
/// assert!(url.starts_with("https://sync.example.com/extensions/jira-server/issue-updated/eyJ"));
/// assert!(url.ends_with('/'));
/// ```
pub fn webhook_url(public_url: &str, token: &WebhookToken) -> String {
    let base = public_url.trim_end_matches('/');
    let mut url =
        String::with_capacity(base.len() + WEBHOOK_PATH_PREFIX.len() + token.expose().len() + 1);
    url.push_str(base);
    url.push_str(WEBHOOK_PATH_PREFIX);
    url.push_str(token.expose());
    url.push('/');
    url
}

/// A webhook URL that is safe to show and log: the token after [`WEBHOOK_PATH_PREFIX`] replaced by
/// `[redacted]`. A URL without the prefix is returned as it is.
///
/// ```
/// use jirasync_webhook::redact_webhook_url;
///
/// assert_eq!(
///     redact_webhook_url("https://sync.example.com/extensions/jira-server/issue-updated/eyJh.eyJp.c2ln/"),
///     "https://sync.example.com/extensions/jira-server/issue-updated/[redacted]/"
/// );
/// ```
pub fn redact_webhook_url(url: &str) -> String {
    match url.split_once(WEBHOOK_PATH_PREFIX) {
        Some((base, after_prefix)) => {
            let tail = after_prefix.split_once('/').map_or("", |(_, tail)| tail);
            let slash = if after_prefix.contains('/') { "/" } else { "" };
            format!("{base}{WEBHOOK_PATH_PREFIX}[redacted]{slash}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Mints the URL token for an installation: HS256 over the claims `{"id": external_id}`, no expiry.
///
/// Deterministic (the same inputs give the same token) and byte-for-byte what PyJWT's
/// `jwt.encode({"id": external_id}, secret, algorithm="HS256")` returns, so a Jira instance wired to
/// the reference keeps its webhook URL.
pub fn mint_token(external_id: &str, secret: &WebhookSecret) -> WebhookToken {
    let mut claims = String::with_capacity(external_id.len() + 8);
    claims.push_str("{\"id\":");
    push_python_json_string(&mut claims, external_id);
    claims.push('}');

    let mut token = String::with_capacity(HEADER_B64.len() + claims.len() * 2 + 46);
    token.push_str(HEADER_B64);
    token.push('.');
    BASE64URL.encode_string(claims.as_bytes(), &mut token);
    let signature = hmac_sha256(secret.expose().as_bytes())
        .chain_update(token.as_bytes())
        .finalize()
        .into_bytes();
    token.push('.');
    BASE64URL.encode_string(signature, &mut token);
    WebhookToken(token)
}

/// Reads the `id` claim **without** checking the signature, the algorithm or the time claims.
///
/// Only for finding which installation (and so which secrets) to verify the token with; the answer
/// must not be trusted until [`verify_token`] has accepted the token.
pub fn peek_external_id(token: &str) -> Result<String, TokenError> {
    let parts = split_token(token)?;
    let claims = decode_claims(parts.claims_b64)?;
    external_id_from(&claims)
}

/// Verifies a URL token against the installation's secrets and returns its `id` claim.
///
/// Accepts HS256 only. `secrets` holds every secret currently valid (during a rotation the old one
/// and the new one); the signature is compared in constant time with each. `exp` and `nbf` are
/// checked against the system clock only when present, as PyJWT does (tokens we mint have neither).
pub fn verify_token(token: &str, secrets: &[WebhookSecret]) -> Result<VerifiedToken, TokenError> {
    verify_token_at(token, secrets, OffsetDateTime::now_utc())
}

/// [`verify_token`] with the current time given, for tests and for callers with their own clock.
pub fn verify_token_at(
    token: &str,
    secrets: &[WebhookSecret],
    now: OffsetDateTime,
) -> Result<VerifiedToken, TokenError> {
    let parts = split_token(token)?;
    check_header(parts.header_b64)?;

    let mut signature = [0u8; SHA256_BLOCK_LEN];
    let signature = match BASE64URL.decode_slice(parts.signature_b64, &mut signature) {
        Ok(len) => signature.get(..len).unwrap_or_default(),
        // Longer than any SHA-256 signature: valid base64 or not, it cannot match.
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => return Err(TokenError::BadSignature),
        Err(base64::DecodeSliceError::DecodeError(_)) => {
            return Err(TokenError::Malformed {
                reason: "the signature is not base64url",
            });
        }
    };
    // The claims are decoded before the signature check so that "not a JWT" is reported as such,
    // but they are only interpreted once the signature has matched.
    let claims_bytes = decode_segment(parts.claims_b64, "the claims are not base64url")?;

    if secrets.is_empty() {
        return Err(TokenError::NoSecrets);
    }
    let signed = parts.signed_part.as_bytes();
    let secret_index = secrets
        .iter()
        .position(|secret| {
            hmac_sha256(secret.expose().as_bytes())
                .chain_update(signed)
                .verify_slice(signature)
                .is_ok()
        })
        .ok_or(TokenError::BadSignature)?;

    let claims = parse_claims(&claims_bytes)?;
    let external_id = external_id_from(&claims)?;
    check_time_claims(&claims, now.unix_timestamp())?;
    Ok(VerifiedToken {
        external_id,
        secret_index,
    })
}

/// The three segments of a compact JWS.
struct TokenParts<'a> {
    header_b64: &'a str,
    claims_b64: &'a str,
    signature_b64: &'a str,
    /// `header.claims`, the bytes the signature covers.
    signed_part: &'a str,
}

fn split_token(token: &str) -> Result<TokenParts<'_>, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Empty);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::TooLong { len: token.len() });
    }
    let not_three = TokenError::Malformed {
        reason: "a JWT has three segments separated by `.`",
    };
    let (signed_part, signature_b64) = token.rsplit_once('.').ok_or(not_three.clone())?;
    let (header_b64, claims_b64) = signed_part.split_once('.').ok_or(not_three.clone())?;
    if claims_b64.contains('.') {
        return Err(not_three);
    }
    Ok(TokenParts {
        header_b64,
        claims_b64,
        signature_b64,
        signed_part,
    })
}

fn decode_segment(segment: &str, reason: &'static str) -> Result<Vec<u8>, TokenError> {
    BASE64URL
        .decode(segment)
        .map_err(|_| TokenError::Malformed { reason })
}

fn check_header(header_b64: &str) -> Result<(), TokenError> {
    // Every token we or PyJWT mint carries exactly this header: skip the JSON parse.
    if header_b64 == HEADER_B64 {
        return Ok(());
    }
    let bytes = decode_segment(header_b64, "the header is not base64url")?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed {
            reason: "the header is not a JSON object",
        })?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg == ALGORITHM => Ok(()),
        Some(Value::String(alg)) => Err(TokenError::UnsupportedAlgorithm {
            // It comes from the request and ends up in logs: short, printable ASCII only.
            alg: alg
                .chars()
                .take(32)
                .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                .collect(),
        }),
        Some(_) => Err(TokenError::Malformed {
            reason: "the header's `alg` is not a string",
        }),
        None => Err(TokenError::Malformed {
            reason: "the header has no `alg`",
        }),
    }
}

fn decode_claims(claims_b64: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_segment(claims_b64, "the claims are not base64url")?;
    parse_claims(&bytes)
}

fn parse_claims(bytes: &[u8]) -> Result<Map<String, Value>, TokenError> {
    serde_json::from_slice(bytes).map_err(|_| TokenError::Malformed {
        reason: "the claims are not a JSON object",
    })
}

fn external_id_from(claims: &Map<String, Value>) -> Result<String, TokenError> {
    match claims.get("id") {
        Some(Value::String(id)) => Ok(id.clone()),
        Some(_) => Err(TokenError::IdNotString),
        None => Err(TokenError::MissingId),
    }
}

/// PyJWT's rules: `exp <= now` is expired, `nbf > now` is not yet valid, no leeway; fractional
/// seconds are cut off as Python's `int()` does.
fn check_time_claims(claims: &Map<String, Value>, now: i64) -> Result<(), TokenError> {
    if let Some(exp) = time_claim(claims, "exp")?
        && exp <= now
    {
        return Err(TokenError::Expired { exp });
    }
    if let Some(nbf) = time_claim(claims, "nbf")?
        && nbf > now
    {
        return Err(TokenError::NotYetValid { nbf });
    }
    Ok(())
}

fn time_claim(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<i64>, TokenError> {
    let Some(value) = claims.get(claim) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(TokenError::InvalidTimeClaim { claim });
    };
    if let Some(seconds) = number.as_i64() {
        return Ok(Some(seconds));
    }
    // u64 beyond i64, or a float: saturate (an `as` cast from f64 truncates toward zero and clamps).
    #[allow(clippy::cast_possible_truncation)]
    let seconds = number.as_f64().map_or(i64::MAX, |f| f.trunc() as i64);
    Ok(Some(seconds))
}

/// HMAC-SHA256 keyed with `key`. The key is brought to the block size the way RFC 2104 says (hashed
/// when longer, zero-padded), which makes construction infallible.
fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; SHA256_BLOCK_LEN];
    if key.len() > SHA256_BLOCK_LEN {
        let digest = Sha256::digest(key);
        block.iter_mut().zip(digest).for_each(|(b, d)| *b = d);
    } else {
        block.iter_mut().zip(key).for_each(|(b, k)| *b = *k);
    }
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
}

/// Appends `value` as Python's `json.dumps` writes a string (`ensure_ascii=True`): `"` and `\`
/// escaped, `\b \f \n \r \t` by name, every other character outside printable ASCII as `\uXXXX`
/// (lower-case hex, UTF-16 surrogate pairs above U+FFFF).
fn push_python_json_string(out: &mut String, value: &str) {
    use std::fmt::Write as _;

    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {

    use super::*;

    fn secret() -> WebhookSecret {
        WebhookSecret::new("a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    fn b64(text: &str) -> String {
        BASE64URL.encode(text)
    }

    /// A token with the given header and claims, signed with `secret`.
    fn forge(header: &str, claims: &str, secret: &WebhookSecret) -> String {
        let signed = format!("{}.{}", b64(header), b64(claims));
        let signature = hmac_sha256(secret.expose().as_bytes())
            .chain_update(signed.as_bytes())
            .finalize()
            .into_bytes();
        format!("{signed}.{}", BASE64URL.encode(signature))
    }

    const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn header_constant_is_the_pyjwt_header() {
        assert_eq!(b64(HS256_HEADER), HEADER_B64);
    }

    #[test]
    fn mints_the_same_token_as_a_generic_hs256_signer() {
        let token = mint_token("jira:1234", &secret());
        assert_eq!(
            token.expose(),
            forge(HS256_HEADER, r#"{"id":"jira:1234"}"#, &secret())
        );
    }

    #[test]
    fn minting_is_deterministic() {
        assert_eq!(mint_token("x", &secret()), mint_token("x", &secret()));
    }

    #[test]
    fn minted_tokens_verify_and_carry_the_external_id() {
        let token = mint_token("jira:1234", &secret());
        let verified = verify_token(token.expose(), &[secret()]).unwrap();
        assert_eq!(verified.external_id(), "jira:1234");
        assert_eq!(verified.secret_index(), 0);
    }

    #[test]
    fn escapes_the_external_id_like_python_json() {
        let mut out = String::new();
        push_python_json_string(&mut out, "a\"\\\n\u{1}é😀\u{7f}");
        assert_eq!(out, r#""a\"\\\n\u0001\u00e9\ud83d\ude00\u007f""#);
    }

    #[test]
    fn hmac_key_normalisation_matches_the_hmac_crate() {
        for len in [0, 1, 40, 63, 64, 65, 200] {
            let key = vec![0x5a_u8; len];
            let ours = hmac_sha256(&key)
                .chain_update(b"data")
                .finalize()
                .into_bytes();
            let theirs = <Hmac<Sha256> as Mac>::new_from_slice(&key)
                .unwrap()
                .chain_update(b"data")
                .finalize()
                .into_bytes();
            assert_eq!(ours, theirs, "key length {len}");
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe")
            .chain_update(b"what do ya want for nothing?")
            .finalize()
            .into_bytes();
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn accepts_the_time_claims_when_they_hold() {
        let token = forge(
            HS256_HEADER,
            r#"{"id":"i","exp":2000,"nbf":1000}"#,
            &secret(),
        );
        let now = OffsetDateTime::from_unix_timestamp(1500).unwrap();
        assert!(verify_token_at(&token, &[secret()], now).is_ok());
    }

    #[test]
    fn keeps_an_unsupported_algorithm_short_and_printable() {
        let alg = format!("HS256\n{}", "x".repeat(100));
        let token = forge(
            &format!(r#"{{"alg":"{}"}}"#, alg.escape_default()),
            "{}",
            &secret(),
        );
        assert_eq!(
            verify_token(&token, &[secret()]),
            Err(TokenError::UnsupportedAlgorithm {
                alg: format!("HS256?{}", "x".repeat(26))
            })
        );
    }

    #[test]
    fn treats_exp_equal_to_now_as_expired() {
        let token = forge(HS256_HEADER, r#"{"id":"i","exp":1500}"#, &secret());
        let now = OffsetDateTime::from_unix_timestamp(1500).unwrap();
        assert_eq!(
            verify_token_at(&token, &[secret()], now),
            Err(TokenError::Expired { exp: 1500 })
        );
    }

    #[test]
    fn truncates_fractional_time_claims_like_python_int() {
        let token = forge(HS256_HEADER, r#"{"id":"i","nbf":1500.9}"#, &secret());
        let now = OffsetDateTime::from_unix_timestamp(1500).unwrap();
        assert!(verify_token_at(&token, &[secret()], now).is_ok());
    }

    #[test]
    fn redacts_the_token_of_a_webhook_url_and_keeps_the_rest() {
        assert_eq!(
            redact_webhook_url(
                "http://127.0.0.1:8080/jira/extensions/jira-server/issue-updated/a.b.c/?x=1"
            ),
            "http://127.0.0.1:8080/jira/extensions/jira-server/issue-updated/[redacted]/?x=1"
        );
        assert_eq!(
            redact_webhook_url("https://h/extensions/jira-server/issue-updated/a.b.c"),
            "https://h/extensions/jira-server/issue-updated/[redacted]"
        );
        assert_eq!(
            redact_webhook_url("https://other.example.com/hook"),
            "https://other.example.com/hook"
        );
    }
}
