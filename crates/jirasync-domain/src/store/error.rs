//! The one error type every store returns.

use std::error::Error as StdError;

/// A boxed error a store keeps as the cause.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a store call failed. Callers branch on the variant, never on the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached or is overloaded (connection refused, pool timeout, deadlock or
    /// serialization failure). Retry later; an HTTP adapter answers 503.
    #[error("the store is unavailable, retry later: {message}")]
    Unavailable {
        /// What went wrong.
        message: String,
        /// The driver's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A uniqueness rule refused the write (a unique violation).
    #[error("conflict: {message}")]
    Conflict {
        /// Which rule refused it.
        message: String,
    },
    /// The row the call needs does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The call's input breaks a rule of the store (a foreign key to nothing, an empty name).
    #[error("invalid input: {message}")]
    Invalid {
        /// What was wrong.
        message: String,
    },
    /// Anything else; not worth retrying.
    #[error("store error: {message}")]
    Other {
        /// What went wrong.
        message: String,
        /// The driver's error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl StoreError {
    /// An [`StoreError::Unavailable`] without a cause.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// A [`StoreError::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }

    /// A [`StoreError::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// A [`StoreError::Invalid`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            message: message.into(),
        }
    }

    /// An [`StoreError::Other`] without a cause.
    pub fn other(message: impl Into<String>) -> Self {
        Self::Other {
            message: message.into(),
            source: None,
        }
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}
