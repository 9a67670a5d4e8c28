//! JUnit XML: one test case per migration file, failing with its findings
//! at or above the failing severity, so CI test dashboards show migrations.

use crate::model::Analysis;
use crate::rules::{Finding, Severity};

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => o.push(c),
        }
    }
    o
}

pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
    fail_on: Severity,
) -> std::io::Result<()> {
    let by_file = super::findings_by_file(analysis, findings);
    let files: Vec<(usize, &crate::model::FileAnalysis)> = analysis
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.report)
        .collect();
    let failing = |fi: usize| {
        by_file[fi]
            .iter()
            .copied()
            .filter(move |f| f.severity >= fail_on)
    };
    let failures = files
        .iter()
        .filter(|(fi, _)| failing(*fi).next().is_some())
        .count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"ddlint\" tests=\"{}\" failures=\"{}\">\n",
        files.len(),
        failures
    ));
    s.push_str(&format!(
        "  <testsuite name=\"ddlint\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
        files.len(),
        failures
    ));
    for (fi, f) in &files {
        s.push_str(&format!(
            "    <testcase classname=\"ddlint\" name=\"{}\" file=\"{}\">\n",
            xml(&f.path),
            xml(&f.path)
        ));
        let fs: Vec<&Finding> = failing(*fi).collect();
        if !fs.is_empty() {
            let body: Vec<String> = fs
                .iter()
                .map(|x| {
                    let mut l = format!(
                        "{}:{}:{}: {}[{}]: {}",
                        f.path,
                        x.line,
                        x.column,
                        x.severity.as_str(),
                        x.rule,
                        x.message
                    );
                    if let Some(i) = &x.impact {
                        l.push_str(&format!("\n  production: {}", i.summary));
                    }
                    if let Some(h) = &x.help {
                        l.push_str(&format!("\n  help: {h}"));
                    }
                    l
                })
                .collect();
            s.push_str(&format!(
                "      <failure message=\"{} finding(s), first: {}\" type=\"{}\">{}</failure>\n",
                fs.len(),
                xml(&fs[0].message),
                fs[0].rule,
                xml(&body.join("\n"))
            ));
        }
        let others: Vec<String> = by_file[*fi]
            .iter()
            .filter(|x| x.severity < fail_on)
            .map(|x| {
                format!(
                    "{}:{}: {}[{}]: {}",
                    x.line,
                    x.column,
                    x.severity.as_str(),
                    x.rule,
                    x.message
                )
            })
            .collect();
        if !others.is_empty() {
            s.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml(&others.join("\n"))
            ));
        }
        s.push_str("    </testcase>\n");
        w.write_all(s.as_bytes())?;
        s.clear();
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    w.write_all(s.as_bytes())
}
