//! flyway: `V<version>__<desc>.sql` ordered by version compared part by
//! part (`V1.2` < `V1.10`, `V1` < `V1.1`; `_` in a version is a dot),
//! `R__<desc>.sql` repeatables after every versioned one (by
//! description), `U<version>__` undo scripts are down parts. Each file
//! runs in one transaction unless its script configuration says
//! `executeInTransaction=false` (a `V1__x.sql.conf` sibling, or a
//! `-- flyway:executeInTransaction=false` comment) or it holds a statement
//! PostgreSQL refuses in a transaction, which flyway detects and then runs
//! the whole file outside one.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::{file_name, planned, Planned};
use crate::input::Wrapping;
use crate::parse::scan::{next_special, Region};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub kind: char,
    pub version: Vec<u64>,
    pub description: String,
}

pub fn parse_name(name: &str) -> Option<Name> {
    let stem = name.strip_suffix(".sql")?;
    let kind = stem.chars().next()?;
    if !matches!(kind, 'V' | 'R' | 'U' | 'B') {
        return None;
    }
    let (ver, desc) = stem[1..].split_once("__")?;
    if kind == 'R' {
        return ver.is_empty().then(|| Name {
            kind,
            version: vec![],
            description: desc.to_string(),
        });
    }
    let version: Option<Vec<u64>> = ver
        .split(['.', '_'])
        .map(|p| p.parse::<u64>().ok())
        .collect();
    let version = version.filter(|v| !v.is_empty())?;
    Some(Name {
        kind,
        version,
        description: desc.to_string(),
    })
}

/// Versions compare part by part, missing parts as 0 (`1` == `1.0`).
pub fn version_cmp(a: &[u64], b: &[u64]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

pub fn plan(sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let mut v: Vec<(Name, &PathBuf)> = sql
        .iter()
        .filter_map(|p| parse_name(file_name(p)).map(|n| (n, p)))
        .collect();
    v.sort_by(|(a, pa), (b, pb)| {
        let rank = |n: &Name| match n.kind {
            'R' => 1,
            _ => 0,
        };
        rank(a)
            .cmp(&rank(b))
            .then_with(|| version_cmp(&a.version, &b.version))
            .then_with(|| a.description.cmp(&b.description))
            .then_with(|| super::path_cmp(pa, pb))
    });
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for (n, p) in v {
        match n.kind {
            'U' => downs.push(planned(p, true, Wrapping::Transaction)),
            // Baseline migrations only run on an empty database; they are
            // still the history the catalog needs.
            _ => ups.push(planned(p, false, Wrapping::Transaction)),
        }
    }
    (ups, downs)
}

fn config_says_no_transaction(s: &str) -> bool {
    s.lines().any(|l| {
        let l = l.trim().trim_start_matches("--").trim();
        let l = l.strip_prefix("flyway:").unwrap_or(l);
        let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        compact.eq_ignore_ascii_case("executeInTransaction=false")
    })
}

pub fn wrapping(path: &Path, text: &str) -> Wrapping {
    let mut conf = path.as_os_str().to_owned();
    conf.push(".conf");
    if let Ok(c) = std::fs::read_to_string(PathBuf::from(conf)) {
        if config_says_no_transaction(&c) {
            return Wrapping::Autocommit;
        }
    }
    let header: String = text
        .lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    if config_says_no_transaction(&header) || has_non_transactional(text) {
        Wrapping::Autocommit
    } else {
        Wrapping::Transaction
    }
}

/// Upper-cased words of the code (quotes, comments and dollar-quoted
/// bodies skipped), each with whether it starts a statement.
pub fn code_words(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut start = true;
    let mut i = 0;
    let push_code = |code: &str, out: &mut Vec<(String, bool)>, start: &mut bool| {
        let mut w = String::new();
        for c in code.chars().chain(std::iter::once(' ')) {
            if c.is_alphanumeric() || c == '_' {
                w.push(c.to_ascii_uppercase());
            } else {
                if !w.is_empty() {
                    out.push((std::mem::take(&mut w), *start));
                    *start = false;
                }
                if c == ';' {
                    *start = true;
                }
            }
        }
    };
    while i < text.len() {
        match next_special(text, i) {
            Some((r, s, e)) => {
                push_code(&text[i..s], &mut out, &mut start);
                if matches!(r, Region::String | Region::Ident | Region::Dollar) {
                    out.push(("?".into(), start));
                    start = false;
                }
                i = e.max(s + 1);
            }
            None => {
                push_code(&text[i..], &mut out, &mut start);
                break;
            }
        }
    }
    out
}

/// Statements PostgreSQL refuses inside a transaction block.
pub fn has_non_transactional(text: &str) -> bool {
    let w = code_words(text);
    let word = |i: usize| w.get(i).map(|x| x.0.as_str()).unwrap_or("");
    for i in 0..w.len() {
        if !w[i].1 {
            continue;
        }
        match word(i) {
            "VACUUM" => return true,
            "REINDEX" if (i + 1..i + 5).any(|j| word(j) == "CONCURRENTLY") => return true,
            "CREATE" | "DROP" => {
                let j = if word(i + 1) == "UNIQUE" {
                    i + 2
                } else {
                    i + 1
                };
                if word(j) == "INDEX" && word(j + 1) == "CONCURRENTLY" {
                    return true;
                }
                if matches!(word(i + 1), "DATABASE" | "TABLESPACE") {
                    return true;
                }
            }
            "ALTER" => {
                if word(i + 1) == "SYSTEM" {
                    return true;
                }
                // ALTER TABLE t DETACH PARTITION p CONCURRENTLY
                let mut j = i + 1;
                while j < w.len() && !w[j].1 {
                    if word(j) == "DETACH" && (j..j + 6).any(|k| word(k) == "CONCURRENTLY") {
                        return true;
                    }
                    j += 1;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        let n = parse_name("V1.10__x.sql").unwrap();
        assert_eq!(n.version, vec![1, 10]);
        assert!(parse_name("R__views.sql").is_some());
        assert!(parse_name("V__x.sql").is_none());
        assert!(parse_name("notes.sql").is_none());
        assert_eq!(version_cmp(&[1], &[1, 1]), Ordering::Less);
        assert_eq!(version_cmp(&[1, 2], &[1, 10]), Ordering::Less);
        assert_eq!(version_cmp(&[1], &[1, 0]), Ordering::Equal);
    }

    #[test]
    fn non_transactional_statements() {
        assert!(has_non_transactional(
            "CREATE INDEX CONCURRENTLY i ON t (x);"
        ));
        assert!(has_non_transactional(
            "select 1;\ncreate unique index concurrently i on t (x);"
        ));
        assert!(!has_non_transactional(
            "-- CREATE INDEX CONCURRENTLY\nSELECT 'CREATE INDEX CONCURRENTLY';"
        ));
        assert!(!has_non_transactional(
            "CREATE FUNCTION f() RETURNS void AS $$ VACUUM; $$ LANGUAGE sql;"
        ));
        assert!(!has_non_transactional(
            "REFRESH MATERIALIZED VIEW CONCURRENTLY v;"
        ));
        assert!(has_non_transactional(
            "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;"
        ));
    }
}
