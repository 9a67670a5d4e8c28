//! Reports: the same analysis and findings, in the format the reader needs.

pub mod json;
pub mod text;
