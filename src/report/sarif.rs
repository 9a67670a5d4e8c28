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

/// Write the SARIF log to `w`, one result at a time (a monorepo's log can
/// be larger than everything else ddlint holds). The bytes are those of
/// pretty-printing the whole document at once.
pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
) -> std::io::Result<()> {
    let mut rule_ids: Vec<&'static str> = findings.iter().map(|f| f.rule).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
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
    // Artifacts in order of first finding; findings refer to them by index.
    let mut artifacts: Vec<&str> = Vec::new();
    let mut artifact_of: std::collections::HashMap<&str, usize> = Default::default();
    for f in findings {
        let path = analysis.files[f.file].path.as_str();
        artifact_of.entry(path).or_insert_with(|| {
            artifacts.push(path);
            artifacts.len() - 1
        });
    }
    let result = |f: &Finding| -> Value {
        let path = &analysis.files[f.file].path;
        let mut text = f.message.clone();
        if !f.related.is_empty() {
            text.push_str("\nalso: ");
            text.push_str(&f.related.join(", "));
        }
        if let Some(i) = &f.impact {
            text.push_str("\nproduction: ");
            text.push_str(&i.summary);
        }
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
        let src: String = finding_source(analysis, f)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut r = json!({
            "ruleId": f.rule,
            "ruleIndex": rule_ids.binary_search(&f.rule).unwrap_or(0),
            "level": level(f.severity),
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(path), "index": artifact_of[path.as_str()] },
                    "region": region
                }
            }],
            "partialFingerprints": { "ddlint/v1": fnv1a(&[f.rule, path, &src]) }
        });
        if let Some(fix) = &f.fix {
            r["properties"] = json!({ "suggestedSql": fix });
        }
        if !f.related.is_empty() {
            r["properties"]["related"] = json!(f.related);
        }
        if let Some(i) = &f.impact {
            r["properties"]["impact"] = json!(i);
        }
        r
    };
    // The document without its results, which are written in its place.
    const RESULTS: &str = "\u{0}results";
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
            "results": RESULTS,
            "properties": { "pgVersion": analysis.pg_version }
        }]
    });
    let shell = serde_json::to_string_pretty(&doc).expect("serializes");
    let marker = serde_json::to_string(RESULTS).expect("serializes");
    let (before, after) = shell
        .split_once(&marker)
        .expect("the marker is in the document");
    // The indentation of the line the "results" key is on.
    let indent = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let indent = &indent[..indent.len() - indent.trim_start().len()];
    w.write_all(before.as_bytes())?;
    super::write_pretty_array(w, indent, findings.iter().map(result))?;
    w.write_all(after.as_bytes())?;
    w.write_all(b"\n")
}
