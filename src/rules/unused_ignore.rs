//! An inline ignore that suppresses nothing (produced by `ignore.rs`).
pub const HOOK: super::Hook = super::Hook::Engine;
