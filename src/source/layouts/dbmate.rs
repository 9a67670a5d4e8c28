//! dbmate: `-- migrate:up` / `-- migrate:down` sections; a section runs in
//! one transaction unless it says `transaction:false`, in which case dbmate
//! sends it as one multi-statement query (an implicit transaction).

use super::{sections, Unit};
use crate::input::Wrapping;

/// The section a marker line starts: (up?, without a transaction?).
pub fn marker(line: &str) -> Option<(bool, bool)> {
    let l = line.trim();
    let rest = l
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix("migrate:")?;
    let mut words = rest.split_whitespace();
    let up = match words.next()? {
        "up" => true,
        "down" => false,
        _ => return None,
    };
    let no_tx = words.any(|w| w.eq_ignore_ascii_case("transaction:false"));
    Some((up, no_tx))
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
                Wrapping::ImplicitMultiStatement
            } else {
                Wrapping::Transaction
            },
            down: !up,
            replace: vec![],
        })
        .collect()
}
