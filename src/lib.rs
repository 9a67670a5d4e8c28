//! ddlint: keeps PostgreSQL schema migrations from taking production down.
//!
//! Data flows one way: `source` (which files, in which order) -> `parse`
//! (PostgreSQL's grammar, exact spans) -> `model` (catalog, effects,
//! transactions) -> `rules` (findings) -> `report` (text, json).
//! See ARCHITECTURE.md.

// Effects code mirrors PostgreSQL's switch statements: one arm per command,
// with its conditions inside the arm, reads closer to the source it follows.
#![allow(clippy::collapsible_match)]

pub mod cli;
pub mod dryrun;
pub mod input;
pub mod model;
pub mod parse;
pub mod report;
pub mod rules;
pub mod source;
pub mod stats;
