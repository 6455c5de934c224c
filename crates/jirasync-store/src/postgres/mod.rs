//! The PostgreSQL store (being written).
