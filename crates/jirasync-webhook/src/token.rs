//! The URL token that identifies an installation: an HS256 JWT whose claims are `{"id": <external id>}`.
//!
//! Jira calls `/extensions/jira-server/issue-updated/<token>/` with no other authentication, so the
//! token is the only thing that proves a delivery comes from a Jira instance we registered
//! (reference-behaviour §2.1, §3.2).
//!
//! - **Verification** ([`verify_token`], [`verify_token_at`]) goes through the `jsonwebtoken` crate
//!   (RustCrypto back-end): [`jsonwebtoken::decode`] with a [`Validation`] that accepts HS256 only,
//!   requires no claim, has no leeway and no audience, issuer or subject check, and leaves `exp` and
//!   `nbf` to us. Signatures are compared in constant time inside it (`hmac`'s `verify_slice`).
//!   Before calling it we check what its error kinds would blur, in the order the checks have
//!   always run: length, emptiness, three segments, base64url, the header's JSON and its `alg`
//!   (anything but HS256 is refused before any key is built). After the signature matched we read
//!   `id` and apply PyJWT's `exp`/`nbf` rules against the clock we are given. Segments are read as
//!   jsonwebtoken reads them: base64url without padding (neither PyJWT nor [`mint_token`] writes
//!   any), and a header whose every field its `Header` type accepts.
//! - **Minting** ([`mint_token`]) stays a direct implementation over `hmac` + `sha2` + `base64`:
//!   its bytes must be exactly PyJWT's (its header, Python's JSON escaping), which a general JWT
//!   encoder does not promise.
//! - [`peek_external_id`] reads `id` without verifying anything, to find which installation's
//!   secrets to try.
//!
//! Reasons and measurements: `docs/decisions/0003-webhook-token.md`.

use std::collections::HashSet;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
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

/// base64url for minting (no padding written) and for [`peek_external_id`] (padding tolerated, as
/// PyJWT does).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// base64url as verification reads it: the engine `jsonwebtoken` decodes every segment with (no
/// padding, canonical trailing bits). Our checks before calling it use the same one, so a segment
/// they pass is one it can decode.
const VERIFY_BASE64URL: GeneralPurpose = URL_SAFE_NO_PAD;

/// SHA-256 block size: HMAC keys are hashed (when longer) and zero-padded to this length.
const SHA256_BLOCK_LEN: usize = 64;

jirasync_core::secret_newtype! {
    /// A webhook URL token, as minted by [`mint_token`] or cut from a request path
    /// ([`WebhookToken::new`]).
    ///
    /// The token is a bearer secret: whoever knows it can post deliveries for the installation.
    /// `Debug` and `Display` never show it; use [`WebhookToken::expose_secret`] to put it into the
    /// webhook URL.
    pub struct WebhookToken;
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
    let signature = hmac_sha256(secret.expose_secret().as_bytes())
        .chain_update(token.as_bytes())
        .finalize()
        .into_bytes();
    token.push('.');
    BASE64URL.encode_string(signature, &mut token);
    WebhookToken::new(token)
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
/// and the new one); they are tried in order through `jsonwebtoken`, which compares the signature
/// in constant time. `exp` and `nbf` are checked against the system clock only when present, as
/// PyJWT does (tokens we mint have neither).
pub fn verify_token(token: &str, secrets: &[WebhookSecret]) -> Result<VerifiedToken, TokenError> {
    verify_token_at(token, secrets, OffsetDateTime::now_utc())
}

/// [`verify_token`] with the current time given, for tests and for callers with their own clock.
pub fn verify_token_at(
    token: &str,
    secrets: &[WebhookSecret],
    now: OffsetDateTime,
) -> Result<VerifiedToken, TokenError> {
    // Everything jsonwebtoken would report coarsely, or only after building a key, is checked
    // first, in the order these checks have always run.
    let parts = split_token(token)?;
    check_header(parts.header_b64)?;
    check_signature_segment(parts.signature_b64)?;
    // Decoded now so that "not a JWT" is reported as such whatever the secrets; the claims are only
    // interpreted once a signature has matched.
    let claims_bytes = decode_segment(parts.claims_b64, "the claims are not base64url")?;
    if secrets.is_empty() {
        return Err(TokenError::NoSecrets);
    }

    for (secret_index, secret) in secrets.iter().enumerate() {
        let key = DecodingKey::from_secret(secret.expose_secret().as_bytes());
        match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &VALIDATION) {
            Ok(data) => {
                let external_id = external_id_from(&data.claims)?;
                check_time_claims(&data.claims, now.unix_timestamp())?;
                return Ok(VerifiedToken {
                    external_id,
                    secret_index,
                });
            }
            Err(error) => match refusal(error.kind(), &claims_bytes, now) {
                Refusal::NotThisSecret => {}
                Refusal::Token(error) => return Err(error),
            },
        }
    }
    Err(TokenError::BadSignature)
}

/// What `jsonwebtoken` is told to check. Every field is spelled out, so a field added by a later
/// release fails to compile here instead of taking a default nobody chose.
static VALIDATION: LazyLock<Validation> = LazyLock::new(|| Validation {
    // HS256 and nothing else. `check_header` has already refused any other `alg`; this is the
    // second lock on the same door.
    algorithms: vec![Algorithm::HS256],
    // Our tokens carry `id` only; no registered claim is required.
    required_spec_claims: HashSet::new(),
    leeway: 0,
    reject_tokens_expiring_in_less_than: 0,
    // `exp` and `nbf` are checked by `check_time_claims` after decoding, because jsonwebtoken's
    // checks cannot give today's answers: they read the system clock (so `verify_token_at` could
    // not pass its `now`), accept `exp == now` (PyJWT and our tests say expired), round fractional
    // seconds (PyJWT truncates) and call a negative `exp` malformed (PyJWT: expired).
    validate_exp: false,
    validate_nbf: false,
    // No audience, issuer or subject is part of our tokens. With `validate_aud` on, any `aud`
    // claim would be refused, which PyJWT (given no audience) does not do.
    validate_aud: false,
    aud: None,
    iss: None,
    sub: None,
});

/// What one `jsonwebtoken` error means while trying the secrets in turn.
enum Refusal {
    /// This secret did not verify the token; try the next one.
    NotThisSecret,
    /// The token is refused whatever the remaining secrets.
    Token(TokenError),
}

/// Maps a `jsonwebtoken` error kind to ours. The checks before the call leave only
/// `InvalidSignature` and claims it cannot read as kinds that occur; every other kind is listed
/// with the variant it would mean, so nothing is folded in by accident.
fn refusal(kind: &ErrorKind, claims: &[u8], now: OffsetDateTime) -> Refusal {
    match kind {
        ErrorKind::InvalidSignature => Refusal::NotThisSecret,
        // A secret that cannot be made into a key verifies nothing, which is what a signature that
        // does not match means too: try the next secret, and end in `BadSignature` if none
        // matches. (HMAC takes a key of any length, so these do not occur with our keys.)
        ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::RsaFailedSigning
        | ErrorKind::Signing(_)
        | ErrorKind::Provider(_) => Refusal::NotThisSecret,
        // The header has been checked against jsonwebtoken's own `Header` type, so a JSON error
        // comes from the claims, which it reads only after the signature matched. Our own reading
        // names what is wrong; the one shape it accepts and jsonwebtoken does not is a `sub`
        // (or `exp`/`nbf`, which we report first) given as an array or an object.
        ErrorKind::Json(_) => Refusal::Token(claims_refusal(
            claims,
            now,
            "the claims have a `sub` that jsonwebtoken cannot read",
        )),
        // The validations behind these are switched off in `VALIDATION`. Should a release run
        // them anyway, the claims were refused after the signature matched: report what our own
        // reading finds, else say that jsonwebtoken refused a claim we accept.
        ErrorKind::ExpiredSignature
        | ErrorKind::ImmatureSignature
        | ErrorKind::InvalidClaimFormat(_)
        | ErrorKind::MissingRequiredClaim(_)
        | ErrorKind::InvalidAudience
        | ErrorKind::InvalidIssuer
        | ErrorKind::InvalidSubject => Refusal::Token(claims_refusal(
            claims,
            now,
            "jsonwebtoken refused a registered claim that jirasync accepts",
        )),
        // The header's `alg` was checked to be HS256 before the call, so these mean `VALIDATION`
        // or the crypto provider no longer accepts HS256: still a refusal about the algorithm.
        ErrorKind::InvalidAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => Refusal::Token(TokenError::UnsupportedAlgorithm {
            alg: ALGORITHM.to_owned(),
        }),
        // Segment count and base64url were checked with jsonwebtoken's own rules (the same split,
        // the same engine) before the call; should it disagree, the token is still not a JWT it
        // can read.
        ErrorKind::InvalidToken => Refusal::Token(TokenError::Malformed {
            reason: "a JWT has three segments separated by `.`",
        }),
        ErrorKind::Base64(_) => Refusal::Token(TokenError::Malformed {
            reason: "a segment is not base64url",
        }),
        ErrorKind::Utf8(_) => Refusal::Token(TokenError::Malformed {
            reason: "a segment is not valid UTF-8",
        }),
        // `ErrorKind` is non-exhaustive. A kind added by a later release is a refusal we cannot
        // name: `Malformed` says so, rather than claiming a bad signature or an expiry.
        _ => Refusal::Token(TokenError::Malformed {
            reason: "jsonwebtoken refused the token for a reason this jirasync does not name",
        }),
    }
}

/// Names what is wrong with claims `jsonwebtoken` refused after the signature matched, by our own
/// reading and in our order: not a JSON object, no `id`, `id` not a string, a time claim that is
/// not a number, expired, not yet valid. `otherwise` when our reading finds nothing wrong.
fn claims_refusal(claims: &[u8], now: OffsetDateTime, otherwise: &'static str) -> TokenError {
    let found = parse_claims(claims).and_then(|claims| {
        external_id_from(&claims)?;
        check_time_claims(&claims, now.unix_timestamp())
    });
    match found {
        Err(error) => error,
        Ok(()) => TokenError::Malformed { reason: otherwise },
    }
}

/// The three segments of a compact JWS.
struct TokenParts<'a> {
    header_b64: &'a str,
    claims_b64: &'a str,
    signature_b64: &'a str,
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
    })
}

/// Decodes a segment for verification, with the engine `jsonwebtoken` uses.
fn decode_segment(segment: &str, reason: &'static str) -> Result<Vec<u8>, TokenError> {
    VERIFY_BASE64URL
        .decode(segment)
        .map_err(|_| TokenError::Malformed { reason })
}

/// The header: base64url, a JSON object, `alg` a string equal to `HS256`, and every field one that
/// `jsonwebtoken`'s `Header` can read (so it cannot fail on the header after we let it through).
fn check_header(header_b64: &str) -> Result<(), TokenError> {
    // Every token we or PyJWT mint carries exactly this header (a test shows jsonwebtoken reads it
    // as HS256): skip the JSON parses.
    if header_b64 == HEADER_B64 {
        return Ok(());
    }
    let bytes = decode_segment(header_b64, "the header is not base64url")?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed {
            reason: "the header is not a JSON object",
        })?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg == ALGORITHM => {}
        Some(Value::String(alg)) => {
            return Err(TokenError::UnsupportedAlgorithm {
                // It comes from the request and ends up in logs: short, printable ASCII only.
                alg: alg
                    .chars()
                    .take(32)
                    .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                    .collect(),
            });
        }
        Some(_) => {
            return Err(TokenError::Malformed {
                reason: "the header's `alg` is not a string",
            });
        }
        None => {
            return Err(TokenError::Malformed {
                reason: "the header has no `alg`",
            });
        }
    }
    match serde_json::from_slice::<jsonwebtoken::Header>(&bytes) {
        Ok(parsed) if parsed.alg == Algorithm::HS256 => Ok(()),
        // jsonwebtoken 11 refuses any repeated field (the `Err` arm below); should a release read
        // a repeated `alg` as its first value where the map above kept the last, refuse it here.
        Ok(_) => Err(TokenError::Malformed {
            reason: "the header has more than one `alg`",
        }),
        Err(_) => Err(TokenError::Malformed {
            reason: "the header has a field jsonwebtoken cannot read (a `typ` or `kid` not a string, a repeated field)",
        }),
    }
}

/// The signature segment, before any key is used: base64url, and not longer than any HMAC-SHA256
/// signature could be.
fn check_signature_segment(signature_b64: &str) -> Result<(), TokenError> {
    let mut buffer = [0u8; SHA256_BLOCK_LEN];
    match VERIFY_BASE64URL.decode_slice(signature_b64, &mut buffer) {
        Ok(_) => Ok(()),
        // Longer than any SHA-256 signature: valid base64 or not, it cannot match.
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => Err(TokenError::BadSignature),
        Err(base64::DecodeSliceError::DecodeError(_)) => Err(TokenError::Malformed {
            reason: "the signature is not base64url",
        }),
    }
}

fn decode_claims(claims_b64: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = BASE64URL
        .decode(claims_b64)
        .map_err(|_| TokenError::Malformed {
            reason: "the claims are not base64url",
        })?;
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
        let signature = hmac_sha256(secret.expose_secret().as_bytes())
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
            token.expose_secret(),
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
        let verified = verify_token(token.expose_secret(), &[secret()]).unwrap();
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
    fn validation_accepts_hs256_only_and_requires_nothing() {
        assert_eq!(VALIDATION.algorithms, [Algorithm::HS256]);
        assert!(VALIDATION.required_spec_claims.is_empty());
        assert_eq!(VALIDATION.leeway, 0);
        assert_eq!(VALIDATION.reject_tokens_expiring_in_less_than, 0);
        assert!(!VALIDATION.validate_exp && !VALIDATION.validate_nbf && !VALIDATION.validate_aud);
        assert_eq!(
            (&VALIDATION.aud, &VALIDATION.iss, &VALIDATION.sub),
            (&None, &None, &None)
        );
    }

    #[test]
    fn jsonwebtoken_reads_the_header_check_header_skips_as_hs256() {
        let bytes = BASE64URL.decode(HEADER_B64).unwrap();
        let header: jsonwebtoken::Header = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        let minted = mint_token("x", &secret());
        assert_eq!(
            jsonwebtoken::decode_header(minted.expose_secret())
                .unwrap()
                .alg,
            Algorithm::HS256
        );
    }

    #[test]
    fn maps_jsonwebtoken_kinds_to_our_variants() {
        let now = OffsetDateTime::from_unix_timestamp(1500).unwrap();
        let refused = |kind, claims: &str| match refusal(&kind, claims.as_bytes(), now) {
            Refusal::NotThisSecret => None,
            Refusal::Token(error) => Some(error),
        };
        assert_eq!(refused(ErrorKind::InvalidSignature, "{}"), None);
        assert_eq!(refused(ErrorKind::InvalidKeyFormat, "{}"), None);
        assert_eq!(
            refused(ErrorKind::ExpiredSignature, r#"{"id":"i","exp":1000}"#),
            Some(TokenError::Expired { exp: 1000 })
        );
        assert_eq!(
            refused(ErrorKind::ImmatureSignature, r#"{"id":"i","nbf":2000}"#),
            Some(TokenError::NotYetValid { nbf: 2000 })
        );
        // jsonwebtoken disagreeing with our reading is named as its refusal, not as an expiry.
        assert!(matches!(
            refused(ErrorKind::ExpiredSignature, r#"{"id":"i","exp":2000}"#),
            Some(TokenError::Malformed { reason }) if reason.contains("jsonwebtoken")
        ));
        assert_eq!(
            refused(ErrorKind::InvalidAlgorithm, "{}"),
            Some(TokenError::UnsupportedAlgorithm {
                alg: "HS256".to_owned()
            })
        );
        assert!(matches!(
            refused(ErrorKind::InvalidToken, "{}"),
            Some(TokenError::Malformed { .. })
        ));
    }
}
