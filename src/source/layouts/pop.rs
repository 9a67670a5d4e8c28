//! gobuffalo/pop and ory/popx: `<version>_<name>[.<dialect>][.autocommit].{up,down}.sql`.
//! For each version and direction the `.postgres.` file wins over the
//! dialect-less one; other dialects are not run on PostgreSQL. Each file
//! runs in one transaction unless its name says `.autocommit.` (then it is
//! sent as one query: an implicit transaction). Files are Go
//! `text/template`s (`{{ index .Options "Namespace" }}`), rendered with
//! `--var` values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{file_name, planned, Planned};
use crate::input::Wrapping;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub version: String,
    pub name: String,
    pub dialect: Option<String>,
    pub autocommit: bool,
    pub up: bool,
}

const DIALECTS: &[&str] = &[
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mariadb",
    "sqlite",
    "sqlite3",
    "cockroach",
    "cockroachdb",
    "crdb",
    "mssql",
    "sqlserver",
    "all",
];

pub fn parse_name(n: &str) -> Option<Name> {
    let (stem, up) = if let Some(s) = n.strip_suffix(".up.sql") {
        (s, true)
    } else {
        (n.strip_suffix(".down.sql")?, false)
    };
    let version = super::leading_digits(stem)?;
    let rest = stem[version.len()..].strip_prefix('_')?;
    let mut parts: Vec<&str> = rest.split('.').collect();
    let mut autocommit = false;
    if parts.last() == Some(&"autocommit") {
        autocommit = true;
        parts.pop();
    }
    let mut dialect = None;
    if parts.len() > 1 && DIALECTS.contains(parts.last().unwrap()) {
        dialect = parts.pop().map(str::to_string);
    }
    Some(Name {
        version: version.to_string(),
        name: parts.join("."),
        dialect,
        autocommit,
        up,
    })
}

/// Whether pop runs a file with this dialect on PostgreSQL (the
/// dialect-less and `all` files too, unless a PostgreSQL one shadows them).
pub fn runs_on_postgres(d: &Option<String>) -> bool {
    is_postgres(d).is_some()
}

fn is_postgres(d: &Option<String>) -> Option<bool> {
    match d.as_deref() {
        None | Some("all") => Some(false),
        Some("postgres" | "postgresql" | "pg") => Some(true),
        _ => None,
    }
}

pub fn plan(sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    // (version, up) -> (specific?, path, name)
    let mut chosen: BTreeMap<(String, bool), (bool, &PathBuf, Name)> = BTreeMap::new();
    let mut order: Vec<(String, bool)> = Vec::new();
    for p in sql {
        let Some(n) = parse_name(file_name(p)) else {
            continue;
        };
        let Some(specific) = is_postgres(&n.dialect) else {
            continue;
        };
        let key = (n.version.clone(), n.up);
        match chosen.get(&key) {
            Some((true, _, _)) => {}
            Some((false, _, _)) if !specific => {}
            _ => {
                if !chosen.contains_key(&key) {
                    order.push(key.clone());
                }
                chosen.insert(key, (specific, p, n));
            }
        }
    }
    order.sort_by(|a, b| super::super::ordering::natural_cmp(&a.0, &b.0));
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for key in order {
        let (_, p, n) = &chosen[&key];
        let w = if n.autocommit {
            Wrapping::ImplicitMultiStatement
        } else {
            Wrapping::Transaction
        };
        if n.up {
            ups.push(planned(p, false, w));
        } else {
            downs.push(planned(p, true, w));
        }
    }
    (ups, downs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = parse_name("20260616000000000000_courier_idx.postgres.autocommit.up.sql").unwrap();
        assert_eq!(n.dialect.as_deref(), Some("postgres"));
        assert!(n.autocommit && n.up);
        let n = parse_name("20200527215732000000_client.down.sql").unwrap();
        assert_eq!(n.dialect, None);
        assert!(!n.up);
        assert!(parse_name("x.sql").is_none());
    }
}
