//! Why a state file could not be read, checked, imported or written.

use crate::store::StoreError;

/// Why importing or exporting the state failed. An import that fails for any reason has changed
/// nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file is not JSON of the state format: a syntax error, a missing or unknown field, a
    /// value of the wrong type. Fix the file at the line and column given.
    #[error("the state file is malformed at {path} (line {line}, column {column}): {message}")]
    Malformed {
        /// Where in the document, e.g. `users[3].emails[0].address` (`.` for the document itself).
        path: String,
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The file is well formed but one record breaks a rule (a duplicate id, a reference to
    /// nothing, an empty e-mail address). Only the first bad record, in file order, is named.
    #[error("{record}: {message}")]
    InvalidRecord {
        /// The record: its collection and index, and its id when it has one, e.g.
        /// `users[3] (id 7)`.
        record: String,
        /// What is wrong with it.
        message: String,
    },
    /// The file's `format_version` is not one this version of jirasync reads.
    #[error(
        "the state file has format_version {found}, but this version of jirasync reads only format_version {}",
        super::FORMAT_VERSION
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u64,
    },
    /// The state holds a value the file format cannot express (a time outside the years
    /// 0000-9999), so no file was written.
    #[error("the state cannot be written as a state file: {message}")]
    Unwritable {
        /// What could not be written.
        message: String,
    },
    /// The store failed while reading or replacing the state.
    #[error(transparent)]
    Store(#[from] StoreError),
}
