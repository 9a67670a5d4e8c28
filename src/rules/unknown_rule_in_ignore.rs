//! An inline ignore naming a rule that does not exist (produced by `ignore.rs`).
pub const HOOK: super::Hook = super::Hook::Engine;
