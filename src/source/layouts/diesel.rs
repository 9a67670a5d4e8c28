//! diesel: one directory per migration (`<version>_<name>/up.sql`,
//! `down.sql`), ordered by version: the directory name up to the first
//! `_` with the `-` removed, compared as a string (as diesel does, so the
//! old `20140924113530_x` and the newer `2019-12-29-164820_x` styles mix
//! correctly). Each file runs in one transaction unless the directory's
//! `metadata.toml` says `run_in_transaction = false`; diesel then sends it
//! with `batch_execute`, one multi-statement query (an implicit
//! transaction).

use std::path::{Path, PathBuf};

use super::{file_name, planned, Planned};
use crate::input::Wrapping;

pub fn version_of(dir: &Path) -> String {
    let n = file_name(dir);
    n.split('_').next().unwrap_or(n).replace('-', "")
}

pub fn run_in_transaction(dir: &Path) -> bool {
    let Ok(t) = std::fs::read_to_string(dir.join("metadata.toml")) else {
        return true;
    };
    !t.lines().any(|l| {
        let l = l.split('#').next().unwrap_or("");
        let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        compact == "run_in_transaction=false"
    })
}

pub fn plan(sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let mut files: Vec<&PathBuf> = sql
        .iter()
        .filter(|p| matches!(file_name(p), "up.sql" | "down.sql"))
        .collect();
    files.sort_by(|a, b| {
        let (da, db) = (a.parent().unwrap_or(a), b.parent().unwrap_or(b));
        version_of(da)
            .cmp(&version_of(db))
            .then_with(|| super::path_cmp(a, b))
    });
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for p in files {
        let dir = p.parent().unwrap_or(Path::new("."));
        let w = if run_in_transaction(dir) {
            Wrapping::Transaction
        } else {
            Wrapping::ImplicitMultiStatement
        };
        if file_name(p) == "down.sql" {
            downs.push(planned(p, true, w));
        } else {
            ups.push(planned(p, false, w));
        }
    }
    (ups, downs)
}
