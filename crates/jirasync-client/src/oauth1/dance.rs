//! The three-legged token exchange.
