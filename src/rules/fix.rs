//! `ddlint check --fix`: apply the mechanical fixes as byte-range edits on
//! the original text. Overlapping edits are skipped (the next run applies
//! them); identical ones are applied once.

use super::{Edit, Finding};

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
