//! `\!` or a backtick `\set` in a psql script (produced by `source::psql`,
//! which never runs them).
pub const HOOK: super::Hook = super::Hook::Engine;
