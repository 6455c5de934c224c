//! Event ids: `evt_` and a ULID (26 characters of Crockford base32: 48 bits of milliseconds since
//! the epoch, then 80 random bits), so ids sort by creation time, are unique without
//! coordination between instances, and are safe in URLs and headers.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use jirasync_core::{Clock, SystemClock};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use super::EventTimestamp;

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The prefix of every event id.
const PREFIX: &str = "evt_";
/// Characters of the ULID part.
const ULID_CHARS: usize = 26;

/// An event's stable id, `evt_` and a ULID (`evt_01JEX4S3V9Q8W2ZKX0M6B3YH7C`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

/// Why a text is not an event id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not an event id: an id is \"evt_\" followed by 26 characters of Crockford \
     base32 (0-9, A-Z without I, L, O, U), e.g. evt_01JEX4S3V9Q8W2ZKX0M6B3YH7C"
)]
pub struct EventIdError {
    /// The text as given.
    pub text: String,
}

impl EventId {
    /// The id of a ULID's 128 bits.
    pub fn from_ulid(ulid: u128) -> Self {
        let mut text = String::with_capacity(PREFIX.len() + ULID_CHARS);
        text.push_str(PREFIX);
        for index in (0..ULID_CHARS).rev() {
            let digit = (ulid >> (index * 5)) & 0x1f;
            // `digit` < 32 by the mask.
            let byte = ALPHABET.get(usize::try_from(digit).unwrap_or(0)).copied();
            text.push(char::from(byte.unwrap_or(b'0')));
        }
        Self(text)
    }

    /// Reads an id (upper case; lower case is accepted and upper-cased).
    ///
    /// # Errors
    ///
    /// [`EventIdError`] for anything else.
    pub fn parse(text: &str) -> Result<Self, EventIdError> {
        let invalid = || EventIdError {
            text: text.to_owned(),
        };
        let ulid = text.strip_prefix(PREFIX).ok_or_else(invalid)?;
        if ulid.len() != ULID_CHARS {
            return Err(invalid());
        }
        let upper = ulid.to_ascii_uppercase();
        if !upper.bytes().all(|byte| ALPHABET.contains(&byte)) {
            return Err(invalid());
        }
        // 26 characters hold 130 bits: the first may be at most 7.
        if upper.as_bytes().first().is_some_and(|first| *first > b'7') {
            return Err(invalid());
        }
        Ok(Self(format!("{PREFIX}{upper}")))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EventId {
    type Error = EventIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<EventId> for String {
    fn from(id: EventId) -> Self {
        id.0
    }
}

/// Draws event ids and timestamps from a clock and a source of randomness, both injectable.
///
/// Ids drawn by one generator only grow: within one millisecond (or when the clock goes back)
/// the random part of the previous id is incremented instead of drawn again.
pub struct EventIds {
    clock: Arc<dyn Clock>,
    state: Mutex<Draws>,
}

struct Draws {
    random: Box<dyn RngCore + Send>,
    /// The last ULID handed out.
    last: u128,
}

impl fmt::Debug for EventIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventIds")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Default for EventIds {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock), Box::new(OsRng))
    }
}

impl EventIds {
    /// Ids on `clock`, with random bits from `random`.
    pub fn new(clock: Arc<dyn Clock>, random: Box<dyn RngCore + Send>) -> Self {
        Self {
            clock,
            state: Mutex::new(Draws { random, last: 0 }),
        }
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A new id and the time it was drawn at.
    pub fn next(&self) -> (EventId, EventTimestamp) {
        let now = self.clock.now();
        let millis = now
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis())
            .unwrap_or_default()
            & ((1_u128 << 48) - 1);
        let mut draws = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut bytes = [0_u8; 10];
        draws.random.fill_bytes(&mut bytes);
        let random = bytes
            .iter()
            .fold(0_u128, |acc, byte| (acc << 8) | u128::from(*byte));
        let mut ulid = (millis << 80) | random;
        if ulid <= draws.last {
            ulid = draws.last.saturating_add(1);
        }
        draws.last = ulid;
        (
            EventId::from_ulid(ulid),
            EventTimestamp::from_system_time(now),
        )
    }

    /// The time now on the generator's clock.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use std::time::Duration;

    use jirasync_core::ManualClock;
    use rand_core::impls;

    use super::*;

    /// Random bits that are always the same.
    struct Fixed(u64);

    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            u32::try_from(self.0 & 0xffff_ffff).unwrap()
        }
        fn next_u64(&mut self) -> u64 {
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            impls::fill_bytes_via_next(self, dest);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    #[test]
    fn encodes_the_ulid_spec_example_timestamp() {
        // The ULID spec's example: 1469918176385 ms encodes as 01ARYZ6S41.
        let id = EventId::from_ulid(1_469_918_176_385_u128 << 80);
        assert_eq!(id.as_str(), "evt_01ARYZ6S410000000000000000");
    }

    #[test]
    fn ids_grow_within_one_millisecond_and_when_the_clock_goes_back() {
        let clock = Arc::new(ManualClock::at_unix_timestamp(1_700_000_000));
        let ids = EventIds::new(clock.clone(), Box::new(Fixed(0)));
        let (first, at) = ids.next();
        let (second, _) = ids.next();
        assert!(second > first);
        assert_eq!(at.unix_millis(), 1_700_000_000_000);
        clock.advance(Duration::from_secs(1));
        let (third, _) = ids.next();
        assert!(third > second);
        assert!(third.as_str().starts_with("evt_01HF"));
    }

    #[test]
    fn parses_what_it_writes_and_refuses_the_rest() {
        let id = EventId::from_ulid(u128::MAX >> 2);
        assert_eq!(EventId::parse(id.as_str()).unwrap(), id);
        assert_eq!(
            EventId::parse("evt_01arz3ndektsv4rrffq69g5fav")
                .unwrap()
                .as_str(),
            "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"
        );
        for bad in [
            "",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "evt_01ARZ3NDEKTSV4RRFFQ69G5FA",
            "evt_01ARZ3NDEKTSV4RRFFQ69G5FAVV",
            "evt_01ARZ3NDEKTSV4RRFFQ69G5FAU",
            "evt_81ARZ3NDEKTSV4RRFFQ69G5FAV",
        ] {
            let error = EventId::parse(bad).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{bad:?} is not an event id"))
            );
        }
    }
}
