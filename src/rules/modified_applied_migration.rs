//! An already-applied migration edited or renamed since `--since REF`
//! (produced by `source::git_findings`).
pub const HOOK: super::Hook = super::Hook::Engine;
