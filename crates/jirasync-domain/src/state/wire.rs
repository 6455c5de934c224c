//! How the state file writes the two values that need care: secrets and times.

use jirasync_webhook::EventTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

jirasync_core::secret_newtype! {
    /// A secret as the state file holds it (a webhook secret, a private key, a token), in clear
    /// text: the file is needed to restore a deployment. `Debug` and `Display` show `<redacted>`;
    /// read the value with [`SecretText::expose_secret`].
    pub struct SecretText;
}

/// Written as the JSON string it is: the one secret type that is part of a file format.
impl Serialize for SecretText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose_secret())
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// `Option<EventTime>` as RFC 3339 text (`2024-05-01T12:00:00.250Z`) or `null`.
///
/// Reading also accepts Jira's own `+0000` offsets ([`EventTime::parse_jira`]). Writing is total:
/// an instant RFC 3339 cannot express (outside the years 0000-9999, which a store may hold from an
/// absurd webhook timestamp) is written as the nearest one it can, [`EARLIEST_WRITABLE`] or
/// [`LATEST_WRITABLE`]; both compare with any real event time as the stored instant did, so the
/// ordering guard decides the same after an import.
pub(crate) mod optional_rfc3339 {
    use jirasync_webhook::EventTime;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<EventTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            None => serializer.serialize_none(),
            Some(time) => serializer.serialize_str(&super::writable_text(*time)),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<EventTime>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        EventTime::parse_jira(&text).map(Some).ok_or_else(|| {
            D::Error::custom(format!(
                "expected an RFC 3339 date-time such as \"2024-05-01T12:00:00.250Z\", found {text:?}"
            ))
        })
    }
}

/// The earliest instant the state file can write: `0000-01-01T00:00:00Z`.
pub(crate) const EARLIEST_WRITABLE: EventTime = EventTime::from_unix_millis(-62_167_219_200_000);

/// The latest instant the state file can write: `9999-12-31T23:59:59.999Z`.
pub(crate) const LATEST_WRITABLE: EventTime = EventTime::from_unix_millis(253_402_300_799_999);

/// The RFC 3339 text of `time`, clamped to the years RFC 3339 can write.
fn writable_text(time: EventTime) -> String {
    time.clamp(EARLIEST_WRITABLE, LATEST_WRITABLE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamped {
        #[serde(default, with = "optional_rfc3339")]
        at: Option<EventTime>,
    }

    #[test]
    fn secret_text_is_redacted_in_debug_and_display() {
        let secret = SecretText::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
        assert_eq!(secret.expose_secret(), "hunter2");
    }

    #[test]
    fn times_are_written_as_rfc3339_and_read_back_to_the_millisecond() {
        let stamped = Stamped {
            at: Some(EventTime::from_unix_millis(1_714_564_800_250)),
        };
        let json = serde_json::to_string(&stamped).unwrap();
        assert_eq!(json, r#"{"at":"2024-05-01T12:00:00.25Z"}"#);
        assert_eq!(serde_json::from_str::<Stamped>(&json).unwrap(), stamped);
    }

    #[test]
    fn null_and_missing_times_are_none() {
        assert_eq!(
            serde_json::from_str::<Stamped>(r#"{"at":null}"#).unwrap(),
            Stamped { at: None }
        );
        assert_eq!(
            serde_json::from_str::<Stamped>("{}").unwrap(),
            Stamped { at: None }
        );
    }

    #[test]
    fn jira_offsets_are_accepted() {
        let stamped: Stamped =
            serde_json::from_str(r#"{"at":"2024-05-01T14:00:00.250+0200"}"#).unwrap();
        assert_eq!(
            stamped.at,
            Some(EventTime::from_unix_millis(1_714_564_800_250))
        );
    }

    #[test]
    fn refuses_text_that_is_not_a_time() {
        let error = serde_json::from_str::<Stamped>(r#"{"at":"yesterday"}"#).unwrap_err();
        assert!(
            error.to_string().contains("expected an RFC 3339 date-time"),
            "{error}"
        );
    }

    #[test]
    fn writes_a_time_rfc3339_cannot_express_as_the_nearest_one_it_can() {
        let written = |millis| {
            let stamped = Stamped {
                at: Some(EventTime::from_unix_millis(millis)),
            };
            serde_json::to_string(&stamped).unwrap()
        };
        // Year 10000, i64::MAX ms, and their opposites.
        for future in [253_402_300_800_000, i64::MAX] {
            assert_eq!(written(future), r#"{"at":"9999-12-31T23:59:59.999Z"}"#);
        }
        for past in [-62_167_219_200_001, i64::MIN] {
            assert_eq!(written(past), r#"{"at":"0000-01-01T00:00:00Z"}"#);
        }
        let read: Stamped = serde_json::from_str(&written(i64::MAX)).unwrap();
        assert_eq!(read.at, Some(LATEST_WRITABLE));
        let read: Stamped = serde_json::from_str(&written(i64::MIN)).unwrap();
        assert_eq!(read.at, Some(EARLIEST_WRITABLE));
    }
}
