//! Shared support for integration tests that need a real PostgreSQL server.
//! Include with `mod support;` from a test crate.
#![allow(dead_code)]

pub mod cases;
pub mod dist;
pub mod observe;
pub mod pg;
