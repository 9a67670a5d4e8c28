//! GitLab Code Quality report (a JSON array of issues). Fingerprints are
//! stable across runs and survive lines moving: they hash the rule, the
//! path, the statement's text and its occurrence number.

use serde_json::{json, Value};

use super::{finding_source, fnv1a};
use crate::model::Analysis;
use crate::rules::{Finding, Severity};

pub fn render(analysis: &Analysis, findings: &[Finding]) -> String {
    let mut seen: Vec<String> = Vec::new();
    let issues: Vec<Value> = findings
        .iter()
        .map(|f| {
            let path = &analysis.files[f.file].path;
            let src: String = finding_source(analysis, f)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let base = fnv1a(&[f.rule, path, &src]);
            let n = seen.iter().filter(|s| **s == base).count();
            seen.push(base.clone());
            let fingerprint = fnv1a(&[&base, &n.to_string()]);
            let severity = match f.severity {
                Severity::Error => "critical",
                Severity::Warning => "major",
                Severity::Info => "info",
            };
            let mut description = f.message.clone();
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
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).expect("serializes");
    s.push('\n');
    s
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
