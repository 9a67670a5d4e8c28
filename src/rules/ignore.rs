//! Inline ignores:
//!
//! ```sql
//! -- ddlint: ignore require-concurrent-index, require-lock-timeout -- tiny table
//! CREATE INDEX ...;
//! -- ddlint: ignore-file drop-column -- columns unused since v42
//! ```
//!
//! `ignore` on a statement's line (any of its lines) or on the line right
//! above it applies to that statement (to a psql meta-command, which is
//! not a statement: on its line or the line above); `ignore-file` to the
//! whole file. An
//! unknown rule id, or an ignore that suppresses nothing, is a finding of
//! its own so stale ignores do not pile up.

use crate::model::FileAnalysis;
use crate::parse::Span;

use super::Raw;

#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub file_wide: bool,
    /// Rule ids with their byte spans in the text.
    pub rules: Vec<(String, Span)>,
    /// The comment itself.
    pub span: Span,
    pub line: usize,
}

/// Every `-- ddlint: ignore...` comment of a text.
pub fn directives(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let base = offset;
        offset += line.len();
        let mut search = 0;
        while let Some(p) = line[search..].find("--") {
            let at = search + p;
            let rest = &line[at + 2..];
            let trimmed = rest.trim_start();
            if let Some(after) = trimmed.strip_prefix("ddlint:") {
                let body_start = at + 2 + (rest.len() - trimmed.len()) + "ddlint:".len();
                let body = after.trim_start();
                let lead = after.len() - body.len();
                let (file_wide, kw) = if body.starts_with("ignore-file") {
                    (true, "ignore-file")
                } else if body.starts_with("ignore") {
                    (false, "ignore")
                } else {
                    break;
                };
                let list_start = body_start + lead + kw.len();
                let list_all = &line[list_start..];
                let list_end = list_all.find("--").unwrap_or(list_all.len());
                let list = &list_all[..list_end];
                let mut rules = Vec::new();
                let mut pos = 0;
                for tok in list.split(|c: char| c == ',' || c.is_whitespace()) {
                    if !tok.is_empty() {
                        let s = base + list_start + pos;
                        rules.push((tok.to_string(), Span::new(s, s + tok.len())));
                    }
                    pos += tok.len() + 1;
                }
                let end = base + line.trim_end_matches(['\n', '\r']).len();
                out.push(Directive {
                    file_wide,
                    rules,
                    span: Span::new(base + at, end),
                    line: i + 1,
                });
                break;
            }
            search = at + 2;
        }
    }
    out
}

/// Drop ignored findings; add findings about the ignores themselves.
pub fn apply(
    file: usize,
    fa: &FileAnalysis,
    raws: Vec<Raw>,
    is_active: &dyn Fn(&str) -> bool,
) -> Vec<Raw> {
    let dirs = directives(&fa.text);
    if dirs.is_empty() {
        return raws;
    }
    // The statement each per-statement directive applies to.
    let targets: Vec<Option<Span>> = dirs
        .iter()
        .map(|d| {
            if d.file_wide {
                return None;
            }
            fa.statements
                .iter()
                .find(|s| s.start.0 <= d.line && d.line <= s.end.0)
                .or_else(|| fa.statements.iter().find(|s| s.start.0 == d.line + 1))
                .map(|s| s.span)
                .or_else(|| {
                    fa.syntax_errors
                        .iter()
                        .find(|e| e.start.0 == d.line || e.start.0 == d.line + 1)
                        .map(|e| e.error.span)
                })
        })
        .collect();
    let mut used: Vec<Vec<bool>> = dirs.iter().map(|d| vec![false; d.rules.len()]).collect();
    let mut kept = Vec::new();
    for r in raws {
        let mut suppressed = false;
        for (di, d) in dirs.iter().enumerate() {
            let applies = if d.file_wide {
                true
            } else if let Some(at) = r.at {
                // Not in a statement (a psql meta-command): the line of
                // the comment or the next one.
                at.line == d.line || at.line == d.line + 1
            } else {
                match targets[di] {
                    Some(sp) => sp.start <= r.span.start && r.span.start <= sp.end,
                    None => false,
                }
            };
            if !applies {
                continue;
            }
            for (ri, (id, _)) in d.rules.iter().enumerate() {
                // A problem several rules found: ignoring any of them
                // ignores it.
                if id == r.rule || r.related.iter().any(|x| x == id) {
                    used[di][ri] = true;
                    suppressed = true;
                }
            }
        }
        if !suppressed {
            kept.push(r);
        }
    }
    for (di, d) in dirs.iter().enumerate() {
        for (ri, (id, sp)) in d.rules.iter().enumerate() {
            if super::rule(id).is_none() {
                if is_active("unknown-rule-in-ignore") {
                    kept.push(Raw {
                        rule: "unknown-rule-in-ignore",
                        file,
                        span: *sp,
                        at: None,
                        message: format!("`{id}` is not a ddlint rule"),
                        help: Some(match super::meta::closest_rule(id) {
                            Some(near) => format!(
                                "did you mean `{near}`? (`ddlint rules` lists the rule ids)"
                            ),
                            None => {
                                "`ddlint rules` lists the rule ids; fix the spelling or remove it"
                                    .into()
                            }
                        }),
                        fix: None,
                        edits: Vec::new(),
                        causes: Vec::new(),
                        related: Vec::new(),
                    });
                }
            } else if !used[di][ri] && is_active(id) && is_active("unused-ignore") {
                let what = if d.file_wide {
                    "this file".to_string()
                } else if targets[di].is_some() {
                    "the statement it applies to".to_string()
                } else {
                    "anything: no statement on this line or the next".to_string()
                };
                kept.push(Raw {
                    rule: "unused-ignore",
                    file,
                    span: *sp,
                    at: None,
                    message: format!("`{id}` is ignored but reports nothing on {what}"),
                    help: Some("remove it, so that ignores stay meaningful".into()),
                    fix: None,
                    edits: Vec::new(),
                    causes: Vec::new(),
                    related: Vec::new(),
                });
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives() {
        let t = "SELECT 1; -- ddlint: ignore a, b -- why\n-- ddlint: ignore-file c\n";
        let d = directives(t);
        assert_eq!(d.len(), 2);
        assert!(!d[0].file_wide);
        let ids: Vec<&str> = d[0].rules.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(&t[d[0].rules[1].1.start..d[0].rules[1].1.end], "b");
        assert!(d[1].file_wide);
        assert_eq!(d[1].rules[0].0, "c");
        assert_eq!(d[1].line, 2);
    }
}
