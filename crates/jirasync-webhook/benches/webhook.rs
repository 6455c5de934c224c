//! Benchmarks of parsing, classification and token verification.

fn main() {}
