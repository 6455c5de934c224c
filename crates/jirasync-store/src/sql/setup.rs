//! [`SetupStore`](jirasync_domain::SetupStore) in SQL: the one-time set-up links
//! (`jirasync_setup_links`, by the SHA-256 of their token) and the saved public URL
//! (`jirasync_settings`).

use jirasync_domain::StoreError;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::setup::{SetupLink, SetupTokenHash};

use super::values::domain_id;

/// The settings row holding the public URL.
pub(crate) const PUBLIC_URL_SETTING: &str = "public_url";

/// The columns of a link: token hash, organization, created, expires, used.
pub(crate) type SetupLinkRow = (String, Option<i64>, i64, i64, Option<i64>);

/// The columns of a [`SetupLinkRow`].
pub(crate) const SELECT_SETUP_LINK: &str = "SELECT token_hash, organization_id, created_at, \
     expires_at, used_at FROM jirasync_setup_links";

/// A time in Unix seconds as stored; times past `i64::MAX` (a link that never expires) are kept
/// as `i64::MAX`.
pub(crate) fn sql_seconds(seconds: u64) -> i64 {
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

fn domain_seconds(seconds: i64) -> Result<u64, StoreError> {
    u64::try_from(seconds)
        .map_err(|_| StoreError::other(format!("a stored time is negative: {seconds}")))
}

/// The link a row describes.
pub(crate) fn setup_link_from_row(row: SetupLinkRow) -> Result<SetupLink, StoreError> {
    let (token_hash, organization_id, created_at, expires_at, used_at) = row;
    Ok(SetupLink::from_stored(
        SetupTokenHash::from_stored(token_hash),
        organization_id
            .map(domain_id)
            .transpose()?
            .map(OrganizationId::new),
        domain_seconds(created_at)?,
        domain_seconds(expires_at)?,
        used_at.map(domain_seconds).transpose()?,
    ))
}

/// Implements `SetupStore` for `$store`.
macro_rules! setup_store {
    ($store:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::StoreError;
        use ::jirasync_domain::setup::{SetupLink, SetupStore, SetupTokenHash};

        use $crate::sql::setup::{
            PUBLIC_URL_SETTING, SELECT_SETUP_LINK, SetupLinkRow, setup_link_from_row, sql_seconds,
        };
        use $crate::sql::values::sql_id;
        use $crate::sql_error::store_error;

        #[async_trait]
        impl SetupStore for $store {
            async fn public_url(&self) -> Result<Option<String>, StoreError> {
                ::sqlx::query_scalar("SELECT value FROM jirasync_settings WHERE name = $1")
                    .bind(PUBLIC_URL_SETTING)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|error| store_error("reading the saved public URL", error))
            }

            async fn save_public_url(&self, url: &str) -> Result<(), StoreError> {
                ::sqlx::query(
                    "INSERT INTO jirasync_settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(PUBLIC_URL_SETTING)
                .bind(url)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("saving the public URL", error))?;
                Ok(())
            }

            async fn create_setup_link(&self, link: SetupLink) -> Result<(), StoreError> {
                ::sqlx::query(
                    "INSERT INTO jirasync_setup_links \
                     (token_hash, organization_id, created_at, expires_at, used_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(link.token_hash.as_str())
                .bind(link.organization_id.map(|id| sql_id(id.get())))
                .bind(sql_seconds(link.created_at))
                .bind(sql_seconds(link.expires_at))
                .bind(link.used_at.map(sql_seconds))
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("creating a set-up link", error))?;
                Ok(())
            }

            async fn setup_link(
                &self,
                token_hash: &SetupTokenHash,
            ) -> Result<Option<SetupLink>, StoreError> {
                let row: Option<SetupLinkRow> =
                    ::sqlx::query_as(&format!("{SELECT_SETUP_LINK} WHERE token_hash = $1"))
                        .bind(token_hash.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|error| store_error("reading a set-up link", error))?;
                row.map(setup_link_from_row).transpose()
            }

            async fn use_setup_link(
                &self,
                token_hash: &SetupTokenHash,
                now: u64,
            ) -> Result<bool, StoreError> {
                // One statement: of two uses at once, the second finds used_at set.
                let done = ::sqlx::query(
                    "UPDATE jirasync_setup_links SET used_at = $2 \
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash.as_str())
                .bind(sql_seconds(now))
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("using a set-up link", error))?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_setup_link(
                &self,
                token_hash: &SetupTokenHash,
            ) -> Result<(), StoreError> {
                ::sqlx::query(
                    "UPDATE jirasync_setup_links SET used_at = NULL WHERE token_hash = $1",
                )
                .bind(token_hash.as_str())
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("releasing a set-up link", error))?;
                Ok(())
            }
        }
    };
}

pub(crate) use setup_store;
