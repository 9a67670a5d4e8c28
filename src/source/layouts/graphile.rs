//! graphile-migrate: `afterReset.sql` (run after a reset, before the
//! migrations), `committed/NNNNNN*.sql` in order, then `current.sql` or
//! `current/*.sql`. A migration runs in one transaction unless its header
//! says `--! no-transaction` (then it is one query: an implicit
//! transaction). `--! split` only marks the files a committed migration
//! was assembled from. Placeholders `:NAME` come from `.gmrc`; pass them
//! with `--var NAME=VALUE`.

use std::path::{Path, PathBuf};

use super::{file_name, planned, Planned};
use crate::input::Wrapping;

pub fn plan(sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let in_dir = |p: &Path, d: &str| p.parent().map(|x| file_name(x) == d).unwrap_or(false);
    let mut ups = Vec::new();
    for p in sql.iter().filter(|p| file_name(p) == "afterReset.sql") {
        ups.push(planned(p, false, Wrapping::ImplicitMultiStatement));
    }
    for p in sql.iter().filter(|p| in_dir(p, "committed")) {
        ups.push(planned(p, false, Wrapping::Transaction));
    }
    for p in sql
        .iter()
        .filter(|p| file_name(p) == "current.sql" || in_dir(p, "current"))
    {
        ups.push(planned(p, false, Wrapping::Transaction));
    }
    // Anything else (other action files) keeps its place at the end.
    for p in sql {
        if !ups.iter().any(|u| &u.path == p) {
            ups.push(planned(p, false, Wrapping::ImplicitMultiStatement));
        }
    }
    (ups, vec![])
}

/// Where the body of a migration starts: after the headers a committed
/// migration begins with (`--! Previous:`, `--! Hash:`, `--! Message:`,
/// capitalised) and the blank line that ends them; 0 for `current.sql`.
/// `--! no-transaction` must be the body's first line.
pub fn body_start(text: &str) -> usize {
    let mut at = 0;
    let mut headers = false;
    for (start, line) in super::super::rewrite::lines(text) {
        let header = line
            .strip_prefix("--! ")
            .is_some_and(|h| h.starts_with(|c: char| c.is_ascii_uppercase()));
        if header {
            headers = true;
            at = super::super::rewrite::line_end(text, start);
        } else {
            if headers && line.trim().is_empty() {
                at = super::super::rewrite::line_end(text, start);
            }
            break;
        }
    }
    at
}

pub fn wrapping(path: &Path, text: &str) -> Wrapping {
    let no_tx = text
        .lines()
        .take_while(|l| l.starts_with("--!") || l.trim().is_empty())
        .any(|l| l.trim() == "--! no-transaction");
    if no_tx || file_name(path) == "afterReset.sql" {
        Wrapping::ImplicitMultiStatement
    } else {
        Wrapping::Transaction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_starts_after_the_headers() {
        assert_eq!(body_start("CREATE TABLE t ();\n"), 0);
        let committed = "--! Previous: -\n--! Hash: sha1:ab\n\nCREATE TABLE t ();\n";
        assert_eq!(&committed[body_start(committed)..], "CREATE TABLE t ();\n");
        let no_blank = "--! Hash: sha1:ab\nCREATE TABLE t ();\n";
        assert_eq!(&no_blank[body_start(no_blank)..], "CREATE TABLE t ();\n");
        assert_eq!(body_start("--! no-transaction\nVACUUM;\n"), 0);
    }
}
