//! psql meta-commands that change what runs: `\connect`, `\if`, `\gexec`,
//! `\copy`, `\set AUTOCOMMIT off` (produced by `source::psql`).
pub const HOOK: super::Hook = super::Hook::Engine;
