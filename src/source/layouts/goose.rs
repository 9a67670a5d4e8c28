//! goose: `-- +goose Up` / `-- +goose Down` sections in one file;
//! `-- +goose StatementBegin` / `StatementEnd` group a statement (PostgreSQL
//! statements are split by the real grammar here, so they need nothing);
//! `-- +goose NO TRANSACTION` anywhere in the file runs every statement
//! on its own (autocommit), otherwise the file runs in one transaction.
//! `-- +goose ENVSUB ON` substitutes `${VAR}` (from `--var` here).

use super::{sections, Unit};
use crate::input::Wrapping;

/// The annotation on a line: `-- +goose <words>`, lower-cased.
pub fn annotation(line: &str) -> Option<String> {
    let l = line.trim();
    let rest = l.strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("+goose")?;
    Some(rest.trim().to_ascii_lowercase())
}

/// `-- +goose ENVSUB ON` turns on `${VAR}` substitution.
pub fn envsub(text: &str) -> bool {
    super::super::rewrite::lines(text).any(|(_, l)| {
        annotation(l).is_some_and(|a| a.split_whitespace().collect::<Vec<_>>() == ["envsub", "on"])
    })
}

pub fn units(text: &str, include_down: bool) -> Vec<Unit> {
    let no_tx = super::super::rewrite::lines(text)
        .any(|(_, l)| annotation(l).is_some_and(|a| a.replace(' ', "") == "notransaction"));
    let wrapping = if no_tx {
        Wrapping::Autocommit
    } else {
        Wrapping::Transaction
    };
    let secs = sections(text, |l| match annotation(l).as_deref() {
        Some("up") => Some(true),
        Some("down") => Some(false),
        _ => None,
    });
    if secs.is_empty() {
        // goose refuses a file without `-- +goose Up`; lint it whole.
        return vec![Unit::whole(text, wrapping, false)];
    }
    secs.into_iter()
        .filter(|(up, _, _)| *up || include_down)
        .map(|(up, s, e)| Unit {
            keep: vec![(s, e)],
            wrapping,
            down: !up,
            replace: vec![],
        })
        .collect()
}
