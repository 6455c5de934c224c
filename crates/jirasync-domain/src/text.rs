//! Small text helpers shared by the rules and the in-memory store.

/// Case-insensitive equality as the reference's `iexact` / `lower()` comparisons do it.
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}
