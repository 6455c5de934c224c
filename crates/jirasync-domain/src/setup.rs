//! What the set-up of a Jira keeps between processes: one-time set-up links, and the public URL
//! the service was installed under ([`SetupStore`]).
//!
//! A set-up link opens the setup pages once, for a limited time, without the admin token:
//! `jirasync setup-link` creates one and prints
//! `<public url>/extensions/jira-server/setup/?setup_token=<token>`. The token is random
//! ([`SetupToken::generate`], 256 bits); only its SHA-256 ([`SetupTokenHash`]) is stored, so a
//! copy of the database opens nothing. A link is used when an install made through it completes
//! ([`SetupStore::use_setup_link`]); [`SetupLink::check`] says whether it still opens the pages.

use async_trait::async_trait;
use jirasync_core::Secret;
use sha2::{Digest, Sha256};

use crate::ids::OrganizationId;
use crate::store::StoreError;

jirasync_core::secret_newtype! {
    /// The token of a set-up link, as the person installing holds it. A credential: `Debug` and
    /// `Display` hide it; only its [`hash`](SetupToken::hash) is stored.
    pub struct SetupToken;
}

impl SetupToken {
    /// A new random token: 32 bytes from the operating system, hex-encoded.
    pub fn generate() -> Self {
        Self::from(Secret::random_hex::<32>())
    }

    /// What the store keeps of this token.
    pub fn hash(&self) -> SetupTokenHash {
        SetupTokenHash::of(self.expose_secret())
    }
}

/// The SHA-256 of a set-up token, as 64 lower-case hex digits: what the store keeps and looks
/// links up by. Not a secret (the token cannot be found from it), but still not worth logging.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetupTokenHash(String);

impl SetupTokenHash {
    /// The hash of a presented token text.
    pub fn of(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        Self(hex::encode(digest))
    }

    /// A hash read back from the store, as stored.
    pub fn from_stored(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A one-time set-up link as the store keeps it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetupLink {
    /// The hash of the link's token.
    pub token_hash: SetupTokenHash,
    /// The organization the link installs for; `None` lets the form ask.
    pub organization_id: Option<OrganizationId>,
    /// When it was created.
    pub created_at: u64,
    /// From when it no longer opens the setup pages.
    pub expires_at: u64,
    /// When an install through it completed; `None` while unused.
    pub used_at: Option<u64>,
}

impl SetupLink {
    /// A new, unused link for `token` created at `now`, valid for `ttl_seconds`.
    pub fn new(
        token: &SetupToken,
        organization_id: Option<OrganizationId>,
        now: u64,
        ttl_seconds: u64,
    ) -> Self {
        Self {
            token_hash: token.hash(),
            organization_id,
            created_at: now,
            expires_at: now.saturating_add(ttl_seconds),
            used_at: None,
        }
    }

    /// A link as a store read it back.
    pub fn from_stored(
        token_hash: SetupTokenHash,
        organization_id: Option<OrganizationId>,
        created_at: u64,
        expires_at: u64,
        used_at: Option<u64>,
    ) -> Self {
        Self {
            token_hash,
            organization_id,
            created_at,
            expires_at,
            used_at,
        }
    }

    /// Whether the link still opens the setup pages at `now`.
    ///
    /// # Errors
    ///
    /// [`SetupLinkRefusal::Used`] once an install through it completed, else
    /// [`SetupLinkRefusal::Expired`] from its expiry on.
    pub fn check(&self, now: u64) -> Result<(), SetupLinkRefusal> {
        if let Some(used_at) = self.used_at {
            return Err(SetupLinkRefusal::Used { used_at });
        }
        if now >= self.expires_at {
            return Err(SetupLinkRefusal::Expired {
                expired_at: self.expires_at,
            });
        }
        Ok(())
    }
}

/// Why a set-up link no longer opens the setup pages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupLinkRefusal {
    /// No link has this token (mistyped, cut short, or removed).
    #[error(
        "This set-up link is not valid: check that it was copied whole, or ask for a new one \
         (jirasync setup-link)."
    )]
    Unknown,
    /// The link's time ran out.
    #[error(
        "This set-up link has expired. Ask for a new one (jirasync setup-link) and finish the \
         set-up before it expires."
    )]
    Expired {
        /// When it expired, Unix seconds.
        expired_at: u64,
    },
    /// A set-up through the link completed already: each link installs once.
    #[error(
        "This set-up link was already used to connect a Jira; each link works once. Ask for a \
         new one (jirasync setup-link)."
    )]
    Used {
        /// When the install through it completed, Unix seconds.
        used_at: u64,
    },
}

/// The one-time set-up links, and the public URL jirasync was installed under.
#[async_trait]
pub trait SetupStore: Send + Sync {
    /// The public URL saved by the last install ([`save_public_url`](Self::save_public_url)).
    async fn public_url(&self) -> Result<Option<String>, StoreError>;

    /// Saves the public URL Jira and browsers reach jirasync at, replacing the one saved.
    async fn save_public_url(&self, url: &str) -> Result<(), StoreError>;

    /// Stores a new link. [`StoreError::Conflict`] when a link has the same token hash.
    async fn create_setup_link(&self, link: SetupLink) -> Result<(), StoreError>;

    /// The link whose token has this hash, used or not, expired or not.
    async fn setup_link(
        &self,
        token_hash: &SetupTokenHash,
    ) -> Result<Option<SetupLink>, StoreError>;

    /// Marks the link used at `now`, atomically, when it is unused and not expired at `now`;
    /// answers whether this call did (of two calls at once, one gets `true`).
    async fn use_setup_link(
        &self,
        token_hash: &SetupTokenHash,
        now: u64,
    ) -> Result<bool, StoreError>;

    /// Makes a used link unused again: the install it was used for failed, and the person may
    /// try again with the same link until it expires.
    async fn release_setup_link(&self, token_hash: &SetupTokenHash) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_sha256_of_the_token() {
        // printf abc | sha256sum
        assert_eq!(
            SetupTokenHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = SetupToken::generate();
        assert_eq!(token.expose_secret().len(), 64);
        assert_eq!(token.hash(), SetupTokenHash::of(token.expose_secret()));
        assert!(!format!("{token:?} {token}").contains(token.expose_secret()));
    }

    #[test]
    fn a_link_opens_until_it_expires_or_is_used() {
        let token = SetupToken::generate();
        let mut link = SetupLink::new(&token, None, 1_000, 3_600);
        assert_eq!(link.check(1_000), Ok(()));
        assert_eq!(link.check(4_599), Ok(()));
        assert_eq!(
            link.check(4_600),
            Err(SetupLinkRefusal::Expired { expired_at: 4_600 })
        );
        link.used_at = Some(2_000);
        assert_eq!(
            link.check(2_001),
            Err(SetupLinkRefusal::Used { used_at: 2_000 })
        );
    }
}
