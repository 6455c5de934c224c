//! The inbox conformance suite (to be written).
