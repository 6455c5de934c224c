//! Ids on the wire: decimal path segments, and body members given as a number or a numeric
//! string (the reference's API writes ids as strings and reads either).

use jirasync_domain::ids::OrganizationId;
use jirasync_domain::organization::Organization;
use serde::{Deserialize, Deserializer};

use super::AdminState;
use crate::error::ApiError;

/// The 404 of every id that names nothing (unknown, another organization's, or not a number).
pub(super) const DOES_NOT_EXIST: &str = "The requested resource does not exist.";

/// A path id: a decimal number, else 404 (a text that is not a number names nothing).
pub(super) fn path_id<T: From<u64>>(segment: &str) -> Result<T, ApiError> {
    segment
        .parse::<u64>()
        .map(T::from)
        .map_err(|_| ApiError::not_found(DOES_NOT_EXIST))
}

/// The organization `{org}` names, else 404.
pub(super) async fn organization(
    state: &AdminState,
    segment: &str,
) -> Result<Organization, ApiError> {
    let id: OrganizationId = path_id(segment)?;
    state
        .store
        .organization(id)
        .await?
        .ok_or_else(|| ApiError::not_found(DOES_NOT_EXIST))
}

/// An id member of a body: `5` or `"5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WireId(pub(super) u64);

impl<'de> Deserialize<'de> for WireId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumberOrText {
            Number(u64),
            Text(String),
        }
        match NumberOrText::deserialize(deserializer) {
            Ok(NumberOrText::Number(id)) => Ok(Self(id)),
            Ok(NumberOrText::Text(text)) => text.parse().map(Self).map_err(|_| {
                serde::de::Error::custom(format!("A valid integer is required, found {text:?}"))
            }),
            Err(_) => Err(serde::de::Error::custom(
                "A valid integer is required (a number or a numeric string)",
            )),
        }
    }
}

impl WireId {
    /// The id as the domain's type.
    pub(super) fn to<T: From<u64>>(self) -> T {
        T::from(self.0)
    }
}

/// Reads a member that may be `null`: absent → `None`, `null` → `Some(None)`.
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
