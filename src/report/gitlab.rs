//! GitLab Code Quality report (a JSON array of issues). Fingerprints are
//! stable across runs and survive lines moving: they hash the rule, the
//! path, the statement's text and its occurrence number.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{finding_source, fnv1a};
use crate::model::Analysis;
use crate::rules::{Finding, Severity};

/// Write the report to `w`, one issue at a time.
pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
) -> std::io::Result<()> {
    // How many times each base fingerprint was seen so far.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let issues = findings.iter().map(|f| -> Value {
        let path = &analysis.files[f.file].path;
        let src: String = finding_source(analysis, f)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let base = fnv1a(&[f.rule, path, &src]);
        let n = seen.entry(base.clone()).or_insert(0);
        let fingerprint = fnv1a(&[&base, &n.to_string()]);
        *n += 1;
        let severity = match f.severity {
            Severity::Error => "critical",
            Severity::Warning => "major",
            Severity::Info => "info",
        };
        let mut description = f.message.clone();
        if !f.related.is_empty() {
            description.push_str(&format!(" (also: {})", f.related.join(", ")));
        }
        if let Some(i) = &f.impact {
            description.push_str(" — production: ");
            description.push_str(&i.summary);
        }
        if let Some(h) = &f.help {
            description.push_str(" — ");
            description.push_str(h);
        }
        json!({
            "type": "issue",
            "check_name": f.rule,
            "description": description,
            "categories": [category(f)],
            "fingerprint": fingerprint,
            "severity": severity,
            "location": {
                "path": path,
                "positions": {
                    "begin": { "line": f.line, "column": f.column },
                    "end": { "line": f.end_line.max(f.line), "column": f.end_column }
                }
            }
        })
    });
    super::write_pretty_array(w, "", issues)?;
    w.write_all(b"\n")
}

fn category(f: &Finding) -> &'static str {
    use crate::rules::Category::*;
    match f.category {
        Locking | Rewrite | Timeout | Transaction => "Performance",
        Compatibility | Failure | DataLoss => "Bug Risk",
        Style => "Style",
        Syntax => "Bug Risk",
    }
}
