//! SARIF 2.1.0 for code-scanning dashboards: rules with their
//! documentation, results with exact regions (columns in Unicode code
//! points, as ddlint counts them), and fixes where a rule has one.

use serde_json::{json, Value};

use super::{finding_source, fnv1a, rule_doc_url};
use crate::model::Analysis;
use crate::rules::{Finding, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn uri(path: &str) -> String {
    let p = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::new();
    for c in p.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(analysis: &Analysis, findings: &[Finding]) -> String {
    let mut rule_ids: Vec<&'static str> = Vec::new();
    for f in findings {
        if !rule_ids.contains(&f.rule) {
            rule_ids.push(f.rule);
        }
    }
    rule_ids.sort_unstable();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let doc = crate::rules::describe(id);
            let first = findings.iter().find(|f| f.rule == *id);
            let summary = doc.as_ref().map(|d| d.summary.clone()).unwrap_or_else(|| id.replace('-', " "));
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": summary },
                "fullDescription": { "text": doc.as_ref().map(|d| d.description.clone()).unwrap_or_else(|| summary.clone()) },
                "helpUri": rule_doc_url(id),
                "help": { "text": doc.as_ref().map(|d| d.help.clone()).unwrap_or_else(|| format!("See {}", rule_doc_url(id))) },
                "defaultConfiguration": { "level": level(first.map(|f| f.severity).unwrap_or(Severity::Warning)) },
                "properties": { "category": first.map(|f| serde_json::to_value(f.category).unwrap_or(Value::Null)).unwrap_or(Value::Null) }
            })
        })
        .collect();
    let mut artifacts: Vec<String> = Vec::new();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let path = &analysis.files[f.file].path;
            if !artifacts.contains(path) {
                artifacts.push(path.clone());
            }
            let mut text = f.message.clone();
            if let Some(h) = &f.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let region = json!({
                "startLine": f.line,
                "startColumn": f.column,
                "endLine": f.end_line.max(f.line),
                "endColumn": f.end_column.max(1),
            });
            let src: String = finding_source(analysis, f).split_whitespace().collect::<Vec<_>>().join(" ");
            let mut r = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_ids.iter().position(|x| *x == f.rule).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(path), "index": artifacts.iter().position(|a| a == path).unwrap_or(0) },
                        "region": region
                    }
                }],
                "partialFingerprints": { "ddlint/v1": fnv1a(&[f.rule, path, &src]) }
            });
            if let Some(fix) = &f.fix {
                r["properties"] = json!({ "suggestedSql": fix });
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ddlint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/ddlint/ddlint",
                    "rules": rules
                }
            },
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts.iter().map(|a| json!({ "location": { "uri": uri(a) } })).collect::<Vec<_>>(),
            "results": results,
            "properties": { "pgVersion": analysis.pg_version }
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serializes");
    s.push('\n');
    s
}
