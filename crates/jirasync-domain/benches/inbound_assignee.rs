//! Inbound assignee sync on the in-memory store (filled in below).

fn main() {}
