//! Jira REST resources, one file each. Answers are typed and ignore fields they do not name.

pub mod comments;
pub mod create_meta;
pub mod issues;
pub mod projects;
pub mod references;
pub mod search;
pub mod server_info;
pub mod statuses;
pub mod transitions;
pub mod users;
pub mod webhooks;

use serde::{Deserialize, Deserializer};

/// Reads an id that Jira sends as a string in some versions and as a number in others.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Id::deserialize(deserializer)? {
        Id::Text(text) => text,
        Id::Number(number) => number.to_string(),
    })
}

/// Like [`string_or_number`] for an optional id.
pub(crate) fn optional_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapper(#[serde(deserialize_with = "string_or_number")] String);
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|Wrapper(id)| id))
}
