//! Date-times as Jira Server writes them (`issue.fields.updated`, a search answer's `updated`)
//! and as RFC 3339 writes them: the webhook payload and the REST client read the same texts.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Parses `2023-01-01T00:00:00.000+0000` (Jira Server's own format, offset without a colon), and
/// the RFC 3339 forms (`Z`, `+00:00`), each with or without fractional seconds.
pub fn parse_jira_datetime(text: &str) -> Option<OffsetDateTime> {
    let jira_with_fraction = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond][offset_hour sign:mandatory][offset_minute]"
    );
    let jira_without_fraction = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::parse(text, jira_with_fraction)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
        .or_else(|_| OffsetDateTime::parse(text, jira_without_fraction))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(text: &str) -> Option<i128> {
        parse_jira_datetime(text).map(|at| at.unix_timestamp_nanos() / 1_000_000)
    }

    #[test]
    fn parses_every_accepted_form_of_the_same_instant() {
        let expected = Some(1_672_531_200_123);
        for text in [
            "2023-01-01T00:00:00.123+0000",
            "2023-01-01T01:00:00.123+0100",
            "2022-12-31T16:00:00.123-0800",
            "2023-01-01T00:00:00.123Z",
            "2023-01-01T00:00:00.123+00:00",
            "2023-01-01T00:00:00.123456+00:00",
        ] {
            assert_eq!(millis(text), expected, "{text}");
        }
    }

    #[test]
    fn parses_forms_without_fractional_seconds() {
        let expected = Some(1_672_531_200_000);
        for text in [
            "2023-01-01T00:00:00+0000",
            "2023-01-01T00:00:00Z",
            "2023-01-01T00:00:00+00:00",
        ] {
            assert_eq!(millis(text), expected, "{text}");
        }
    }

    #[test]
    fn refuses_text_that_is_not_a_date_time() {
        for text in [
            "",
            "yesterday",
            "2023-01-01",
            "2023-01-01T00:00:00",
            "2023-13-01T00:00:00Z",
        ] {
            assert_eq!(millis(text), None, "{text}");
        }
    }
}
