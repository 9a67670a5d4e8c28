//! rubenv/sql-migrate: `-- +migrate Up` / `-- +migrate Down` sections,
//! each optionally `notransaction` (its statements then run one by one,
//! autocommit); otherwise the section runs in one transaction.
//! `-- +migrate StatementBegin` / `StatementEnd` group a statement.

use super::{sections, Unit};
use crate::input::Wrapping;

/// The section a marker line starts: (up?, without a transaction?).
pub fn marker(line: &str) -> Option<(bool, bool)> {
    let l = line.trim();
    let rest = l
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix("+migrate")?;
    let words: Vec<String> = rest
        .split_whitespace()
        .map(|w| w.trim_end_matches(';').to_ascii_lowercase())
        .collect();
    let up = match words.first().map(String::as_str) {
        Some("up") => true,
        Some("down") => false,
        _ => return None,
    };
    Some((up, words.iter().any(|w| w == "notransaction")))
}

pub fn units(text: &str, include_down: bool) -> Vec<Unit> {
    let mut no_tx = Vec::new();
    let secs = sections(text, |l| {
        marker(l).map(|(up, nt)| {
            no_tx.push(nt);
            up
        })
    });
    if secs.is_empty() {
        return vec![Unit::whole(text, Wrapping::Transaction, false)];
    }
    secs.into_iter()
        .zip(no_tx)
        .filter(|((up, _, _), _)| *up || include_down)
        .map(|((up, s, e), nt)| Unit {
            keep: vec![(s, e)],
            wrapping: if nt {
                Wrapping::Autocommit
            } else {
                Wrapping::Transaction
            },
            down: !up,
            replace: vec![],
        })
        .collect()
}
