//! The SQLite store (being written).
