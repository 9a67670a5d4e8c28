//! Liquibase formatted SQL: `--liquibase formatted sql`, then
//! `--changeset author:id [runInTransaction:false] [dbms:postgresql]
//! [endDelimiter:/]`. Each changeset is its own transaction unit (one
//! transaction, or autocommit with `runInTransaction:false`); changesets
//! for other databases (`dbms:`) do not run. `--rollback <sql>` lines are
//! the down side: with `--include-down` they are linted as a unit of
//! their own. A custom `endDelimiter` line ends a statement like `;`.

use super::Unit;
use crate::input::Wrapping;

struct Changeset {
    start: usize,
    end: usize,
    attrs: Vec<(String, String)>,
}

/// The attributes of a `--changeset` line (lower-cased keys).
pub fn changeset_line(line: &str) -> Option<Vec<(String, String)>> {
    let l = line.trim_start();
    let rest = l.strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("changeset")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some(
        rest.split_whitespace()
            .skip(1)
            .filter_map(|kv| kv.split_once(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect(),
    )
}

fn runs_on_postgres(dbms: &str) -> bool {
    let list: Vec<String> = dbms
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    let pg = |d: &str| matches!(d, "postgresql" | "postgres" | "all");
    if list.iter().any(|d| d.strip_prefix('!').is_some_and(pg)) {
        return false;
    }
    let positives: Vec<&String> = list.iter().filter(|d| !d.starts_with('!')).collect();
    positives.is_empty() || positives.iter().any(|d| pg(d) || d.as_str() == "none")
}

pub fn units(text: &str, include_down: bool) -> Vec<Unit> {
    let mut sets: Vec<Changeset> = Vec::new();
    for (start, line) in super::super::rewrite::lines(text) {
        if let Some(attrs) = changeset_line(line) {
            if let Some(last) = sets.last_mut() {
                last.end = start;
            }
            sets.push(Changeset {
                start,
                end: text.len(),
                attrs,
            });
        }
    }
    let mut out = Vec::new();
    for cs in sets {
        let attr = |k: &str| {
            cs.attrs
                .iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.as_str())
        };
        if let Some(d) = attr("dbms") {
            if !runs_on_postgres(d) {
                continue;
            }
        }
        let wrapping = if attr("runintransaction") == Some("false") {
            Wrapping::Autocommit
        } else {
            Wrapping::Transaction
        };
        let mut replace = Vec::new();
        let mut rollback = Vec::new();
        let delim = attr("enddelimiter").filter(|d| *d != ";");
        for (ls, line) in super::super::rewrite::lines(&text[cs.start..cs.end]) {
            let at = cs.start + ls;
            let t = line.trim();
            if let Some(d) = delim {
                if t.eq_ignore_ascii_case(d) && !t.is_empty() {
                    let off = line.find(t).unwrap_or(0);
                    let mut semi = String::from(";");
                    semi.extend(std::iter::repeat_n(' ', t.len() - 1));
                    replace.push((at + off, at + off + t.len(), semi));
                }
            }
            let lt = line.trim_start();
            if let Some(rest) = lt.strip_prefix("--rollback") {
                let off = at + (line.len() - lt.len());
                let _ = rest;
                rollback.push((off, off + "--rollback".len(), at + line.len()));
            }
        }
        out.push(Unit {
            keep: vec![(cs.start, cs.end)],
            wrapping,
            down: false,
            replace,
        });
        if include_down && !rollback.is_empty() {
            out.push(Unit {
                keep: rollback.iter().map(|(s, _, e)| (*s, *e)).collect(),
                wrapping,
                down: true,
                replace: rollback
                    .iter()
                    .map(|(s, m, _)| (*s, *m, " ".repeat(m - s)))
                    .collect(),
            });
        }
    }
    if out.is_empty() && !text.trim().is_empty() {
        out.push(Unit::whole(text, Wrapping::Autocommit, false));
    }
    out
}

/// One changeset as Liquibase records it in `databasechangelog`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub author: String,
    pub id: String,
    /// `logicalFilePath:` of the changeset or of the file's header line:
    /// the file name the table records instead of the path.
    pub logical_path: Option<String>,
    /// Byte range of the changeset, and the 1-based line of its
    /// `--changeset` line.
    pub start: usize,
    pub end: usize,
    pub line: usize,
}

/// The changesets of a formatted SQL changelog that run on PostgreSQL,
/// with the identity Liquibase gives them: `--changeset author:id`
/// (`FormattedSqlChangeLogParser`: the author is what comes before the
/// first `:`, the id the rest of the word; either may be quoted).
pub fn changesets(text: &str) -> Vec<Identity> {
    let unquote = |s: &str| s.trim_matches('"').to_string();
    let mut header_path = None;
    let mut out: Vec<Identity> = Vec::new();
    for (n, (start, line)) in super::super::rewrite::lines(text).enumerate() {
        let l = line.trim_start();
        if let Some(rest) = l.strip_prefix("--liquibase formatted sql") {
            header_path = rest
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("logicalFilePath:"))
                .map(String::from);
            continue;
        }
        let Some(attrs) = changeset_line(line) else {
            continue;
        };
        if let Some(last) = out.last_mut() {
            last.end = start;
        }
        let word = l
            .trim_start_matches('-')
            .trim_start()
            .trim_start_matches("changeset")
            .split_whitespace()
            .next()
            .unwrap_or("");
        let (author, id) = word.split_once(':').unwrap_or(("", word));
        let attr = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        let runs = attr("dbms").is_none_or(|d| runs_on_postgres(&d));
        out.push(Identity {
            author: unquote(author),
            id: unquote(id),
            logical_path: attr("logicalfilepath").or(header_path.clone()),
            start,
            end: text.len(),
            line: if runs { n + 1 } else { 0 },
        });
    }
    // Changesets for other databases do not run and are not recorded.
    out.retain(|c| c.line > 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changeset_units_and_identities() {
        let t = "--liquibase formatted sql\n\n--changeset a:1\nCREATE TABLE t (x int);\n--rollback DROP TABLE t;\n\n--changeset a:2 runInTransaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n--changeset a:3 dbms:mysql\nSELECT 1;\n";
        let u = units(t, false);
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].wrapping, Wrapping::Transaction);
        assert_eq!(u[1].wrapping, Wrapping::Autocommit);
        let u = units(t, true);
        assert_eq!(u.len(), 3);
        assert!(u[1].down);
        let c = changesets(t);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].author.as_str(), c[0].id.as_str(), c[0].line),
            ("a", "1", 3)
        );
        assert_eq!(c[1].id, "2");
        assert_eq!(&t[c[1].start..c[1].start + 15], "--changeset a:2");
    }
}
