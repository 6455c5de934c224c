//! Install records (filled in next).
