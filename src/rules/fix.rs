//! `ddlint check --fix`: apply the mechanical fixes as byte-range edits on
//! the original text. Overlapping edits are skipped (the next run applies
//! them); identical ones are applied once.

use std::collections::BTreeMap;

use super::{Edit, Finding};
use crate::model::Analysis;

/// The text with the edits applied, and how many were applied.
pub fn apply(text: &str, edits: &[&Edit]) -> (String, usize) {
    let mut sorted: Vec<&Edit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.start, e.end));
    sorted.dedup_by(|a, b| a == b);
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    let mut applied = 0;
    for e in sorted {
        if e.start < pos || e.end > text.len() || e.start > e.end {
            continue;
        }
        if !text.is_char_boundary(e.start) || !text.is_char_boundary(e.end) {
            continue;
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
        applied += 1;
    }
    out.push_str(&text[pos..]);
    (out, applied)
}

/// The edits of the findings for one file.
pub fn edits_for(findings: &[Finding], file: usize) -> Vec<&Edit> {
    findings
        .iter()
        .filter(|f| f.file == file)
        .flat_map(|f| f.edits.iter())
        .collect()
}

/// A fixed file that could not be written.
#[derive(Debug)]
pub struct WriteError {
    pub path: String,
    pub error: std::io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: writing the fixed file: {}", self.path, self.error)
    }
}

impl std::error::Error for WriteError {}

/// Apply the findings' edits to the original files. Edits are in the
/// parsed text's offsets; they are mapped back through the offset map of
/// rewritten files (an edit that touches substituted text is skipped), and
/// the edits of every part of one file are applied together. Returns
/// (path, edits applied) for each file written.
pub fn apply_to_files(
    analysis: &Analysis,
    findings: &[Finding],
) -> Result<Vec<(String, usize)>, WriteError> {
    let mut per_file: BTreeMap<String, (String, Vec<Edit>)> = BTreeMap::new();
    for (fi, fa) in analysis.files.iter().enumerate() {
        if !fa.report || fa.path == "<stdin>" {
            continue;
        }
        let edits = edits_for(findings, fi);
        let original = match fa.lines.offset_map() {
            Some(m) => m.original.clone(),
            None => fa.text.clone(),
        };
        let entry = per_file
            .entry(fa.path.clone())
            .or_insert_with(|| (original, Vec::new()));
        for e in edits {
            let mapped = match fa.lines.offset_map() {
                None => Some(e.clone()),
                Some(m) => {
                    let touches = m
                        .edits
                        .iter()
                        .any(|x| e.start < x.at + x.len && x.at < e.end.max(e.start + 1));
                    let (s, t) = (m.to_original(e.start), m.to_original(e.end));
                    (!touches && t - s == e.end - e.start).then(|| Edit {
                        start: s,
                        end: t,
                        text: e.text.clone(),
                    })
                }
            };
            if let Some(x) = mapped {
                entry.1.push(x);
            }
        }
    }
    let mut out = Vec::new();
    for (path, (original, edits)) in per_file {
        if edits.is_empty() {
            continue;
        }
        let refs: Vec<&Edit> = edits.iter().collect();
        let (text, n) = apply(&original, &refs);
        if n == 0 || text == original {
            continue;
        }
        std::fs::write(&path, &text).map_err(|error| WriteError {
            path: path.clone(),
            error,
        })?;
        out.push((path, n));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_order_dedups_and_skips_overlaps() {
        let t = "CREATE INDEX i ON t (a);";
        let a = Edit {
            start: 12,
            end: 12,
            text: " CONCURRENTLY".into(),
        };
        let b = Edit {
            start: 0,
            end: 0,
            text: "SET lock_timeout = '5s';\n".into(),
        };
        let (s, n) = apply(t, &[&a, &b, &a]);
        assert_eq!(n, 2);
        assert_eq!(
            s,
            "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (a);"
        );
        // Overlapping edits: the one starting first wins, the other waits
        // for the next run.
        let c = Edit {
            start: 10,
            end: 14,
            text: "x".into(),
        };
        let (s, n) = apply(t, &[&a, &c]);
        assert_eq!(n, 1);
        assert_eq!(s, "CREATE INDx ON t (a);");
    }
}
