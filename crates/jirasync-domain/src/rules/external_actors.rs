//! External-actor rules (filled in next).
