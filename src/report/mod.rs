//! Reports: the same analysis and findings, in the format the reader needs.
//! Every format prints 1-based lines and character columns.

pub mod concise;
pub mod dryrun;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use crate::model::Analysis;
use crate::rules::{Finding, Severity};

/// Where a rule's documentation lives (SARIF helpUri, Markdown links).
pub const DOCS_BASE: &str = "https://github.com/ddlint/ddlint/blob/main/rules/";

pub fn rule_doc_url(rule: &str) -> String {
    format!("{DOCS_BASE}{rule}.yaml")
}

/// Counts per rule, most frequent first (`--statistics`).
pub fn statistics(findings: &[Finding]) -> Vec<(&'static str, Severity, usize)> {
    let mut counts: Vec<(&'static str, Severity, usize)> = Vec::new();
    for f in findings {
        match counts.iter_mut().find(|(r, _, _)| *r == f.rule) {
            Some(c) => {
                c.2 += 1;
                c.1 = c.1.max(f.severity);
            }
            None => counts.push((f.rule, f.severity, 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    counts
}

pub fn render_statistics(findings: &[Finding]) -> String {
    let mut s = String::new();
    for (rule, sev, n) in statistics(findings) {
        s.push_str(&format!("{n:>6}  {:<8} {rule}\n", sev.as_str()));
    }
    s
}

/// `--statistics` in the JSON report: `[{rule, severity, count}]`.
pub fn statistics_json(findings: &[Finding]) -> serde_json::Value {
    statistics(findings)
        .into_iter()
        .map(|(rule, sev, n)| serde_json::json!({"rule": rule, "severity": sev.as_str(), "count": n}))
        .collect()
}

/// `--statistics` after the Markdown report: a table.
pub fn statistics_markdown(findings: &[Finding]) -> String {
    let mut s = String::from("\n| findings | severity | rule |\n|---:|---|---|\n");
    for (rule, sev, n) in statistics(findings) {
        s.push_str(&format!("| {n} | {} | `{rule}` |\n", sev.as_str()));
    }
    s
}

/// The findings of each file of the analysis, in their order (reports
/// that go file by file look them up here rather than filter them all).
pub fn findings_by_file<'a>(analysis: &Analysis, findings: &'a [Finding]) -> Vec<Vec<&'a Finding>> {
    let mut v: Vec<Vec<&Finding>> = vec![Vec::new(); analysis.files.len()];
    for f in findings {
        v[f.file].push(f);
    }
    v
}

/// The source text of a finding's lines (for fingerprints and snippets),
/// as the original file shows them.
pub fn finding_source(analysis: &Analysis, f: &Finding) -> String {
    let file = &analysis.files[f.file];
    let last = f.end_line.max(f.line).min(f.line + 200);
    (f.line..=last)
        .map(|l| file.lines.line_text(&file.text, l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A stable 64-bit FNV-1a hash, printed as hex (fingerprints must not
/// change between Rust versions, so std's hasher will not do).
pub fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

/// Write `items` as a JSON array, one item at a time, byte for byte as
/// `serde_json::to_string_pretty` prints the array when it sits at
/// `indent` (the indentation of the line it starts on) inside a larger
/// document.
pub fn write_pretty_array(
    w: &mut dyn std::io::Write,
    indent: &str,
    items: impl IntoIterator<Item = serde_json::Value>,
) -> std::io::Result<()> {
    let mut empty = true;
    for item in items {
        w.write_all(if empty { b"[\n" } else { b",\n" })?;
        empty = false;
        let text = serde_json::to_string_pretty(&item).map_err(std::io::Error::other)?;
        for (j, line) in text.lines().enumerate() {
            if j > 0 {
                w.write_all(b"\n")?;
            }
            write!(w, "{indent}  {line}")?;
        }
    }
    if empty {
        w.write_all(b"[]")
    } else {
        write!(w, "\n{indent}]")
    }
}
