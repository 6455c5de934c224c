//! `GET /api/v1/events?after=CURSOR&limit=N&wait=SECONDS`: the events after a cursor, waiting up
//! to `wait` seconds for the first ones (long poll).

use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use jirasync_domain::events::{Event, EventCursor};
use serde::Serialize;
use utoipa::ToSchema;

use super::EventsState;
use crate::error::{ApiError, ErrorDetail};

/// The most events one answer holds.
const MAX_LIMIT: usize = 1000;
/// The events one answer holds when `limit` is not given.
const DEFAULT_LIMIT: usize = 100;

/// An answer of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct EventPage {
    /// The events after the cursor, oldest first; the same JSON as the pushes' bodies.
    events: Vec<Event>,
    /// The cursor to send as `after` next: the last event's, or the one given when there are
    /// none.
    cursor: u64,
}

/// The query, checked.
#[derive(Debug, PartialEq, Eq)]
struct FeedQuery {
    after: EventCursor,
    limit: usize,
    wait: Duration,
}

/// Reads `after`, `limit` and `wait`; anything else, a repeat or a bad number is refused.
fn parse_query(query: Option<&str>, max_wait: Duration) -> Result<FeedQuery, ApiError> {
    let mut parsed = FeedQuery {
        after: EventCursor::START,
        limit: DEFAULT_LIMIT,
        wait: Duration::ZERO,
    };
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if seen.iter().any(|seen| *seen == name) {
            return Err(ApiError::bad_request(format!(
                "the query parameter {name:?} is given twice"
            )));
        }
        seen.push(name.to_string());
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("{name}: {value:?} is not {what}")))
        };
        match name.as_ref() {
            "after" => parsed.after = EventCursor::new(number("a cursor (a whole number from 0)")?),
            "limit" => {
                let limit = number("a whole number")?;
                if !(1..=MAX_LIMIT as u64).contains(&limit) {
                    return Err(ApiError::bad_request(format!(
                        "limit: {limit} is out of range: from 1 to {MAX_LIMIT}"
                    )));
                }
                parsed.limit = usize::try_from(limit).unwrap_or(MAX_LIMIT);
            }
            "wait" => {
                let wait = number("a whole number of seconds")?;
                if wait > max_wait.as_secs() {
                    return Err(ApiError::bad_request(format!(
                        "wait: {wait} is out of range: from 0 to {} seconds",
                        max_wait.as_secs()
                    )));
                }
                parsed.wait = Duration::from_secs(wait);
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {other:?}: use after, limit and wait"
                )));
            }
        }
    }
    Ok(parsed)
}

/// The events after `after`, waiting up to `wait` seconds for the first ones.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(
        ("after" = Option<u64>, Query, description = "The cursor of the last event seen (0, the default, is before the first)"),
        ("limit" = Option<u64>, Query, description = "At most this many events, 1 to 1000 (default 100)"),
        ("wait" = Option<u64>, Query, description = "When there are none yet, wait up to this many seconds for the first ones (default 0, at most 60 unless configured)"),
    ),
    responses(
        (status = 200, description = "The events (possibly none) and the next cursor", body = EventPage),
        (status = 400, description = "A bad or unknown query parameter", body = ErrorDetail),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorDetail),
    )
)]
pub(super) async fn events(
    State(state): State<EventsState>,
    RawQuery(query): RawQuery,
) -> Result<Json<EventPage>, ApiError> {
    let query = parse_query(query.as_deref(), state.max_wait)?;
    let events = state
        .feed
        .wait_for_events(query.after, query.limit, query.wait)
        .await?;
    let cursor = events.last().map_or(query.after, |event| event.cursor);
    Ok(Json(EventPage {
        events: events.into_iter().map(|stored| stored.event).collect(),
        cursor: cursor.get(),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use axum::http::StatusCode;

    use super::*;

    const MAX: Duration = Duration::from_secs(60);

    #[test]
    fn reads_after_limit_and_wait_with_defaults() {
        assert_eq!(
            parse_query(None, MAX).unwrap(),
            FeedQuery {
                after: EventCursor::START,
                limit: 100,
                wait: Duration::ZERO
            }
        );
        assert_eq!(
            parse_query(Some("after=17&limit=5&wait=30"), MAX).unwrap(),
            FeedQuery {
                after: EventCursor::new(17),
                limit: 5,
                wait: Duration::from_secs(30)
            }
        );
    }

    #[test]
    fn refuses_bad_unknown_and_repeated_parameters() {
        for (query, message) in [
            (
                "after=-1",
                "after: \"-1\" is not a cursor (a whole number from 0)",
            ),
            (
                "after=x",
                "after: \"x\" is not a cursor (a whole number from 0)",
            ),
            ("limit=0", "limit: 0 is out of range: from 1 to 1000"),
            ("limit=1001", "limit: 1001 is out of range: from 1 to 1000"),
            ("wait=61", "wait: 61 is out of range: from 0 to 60 seconds"),
            ("wait=1.5", "wait: \"1.5\" is not a whole number of seconds"),
            (
                "cursor=3",
                "unknown query parameter \"cursor\": use after, limit and wait",
            ),
            (
                "after=1&after=2",
                "the query parameter \"after\" is given twice",
            ),
        ] {
            let error = parse_query(Some(query), MAX).unwrap_err();
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(error.detail(), message, "{query}");
        }
    }
}
