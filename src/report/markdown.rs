//! Markdown for a pull-request comment or a job summary: per file, a table
//! of the statements that lock existing relations (what they block), then
//! the findings with the safe SQL.

use crate::model::Analysis;
use crate::rules::{Finding, Severity};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
) -> std::io::Result<()> {
    let by_file = super::findings_by_file(analysis, findings);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let files: Vec<(usize, &crate::model::FileAnalysis)> = analysis
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.report)
        .collect();
    let mut s = format!(
        "## ddlint: {} error{}, {} warning{} in {} migration file{} (PostgreSQL {})\n\n",
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        analysis.pg_version
    );
    for (fi, f) in files {
        let rows: Vec<String> =
            f.statements
                .iter()
                .filter_map(|st| {
                    let fx = &st.effects;
                    let locks: Vec<(String, String)> = fx
                        .existing_locks()
                        .map(|(q, m)| {
                            let blocks = if m.blocks_reads() {
                                "reads and writes"
                            } else if m.blocks_writes() {
                                "writes"
                            } else {
                                "schema changes"
                            };
                            (format!("`{}` on `{q}`", m.pg_name()), blocks.to_string())
                        })
                        .collect();
                    let rewrites: Vec<String> = fx
                        .rewrites
                        .iter()
                        .filter(|q| !fx.new_relations.contains(q))
                        .map(|q| format!("rewrites `{q}`"))
                        .collect();
                    let scans: Vec<String> = fx
                        .scans
                        .iter()
                        .filter(|q| !fx.new_relations.contains(q) && !fx.rewrites.contains(*q))
                        .map(|q| format!("scans `{q}`"))
                        .collect();
                    if locks.is_empty() && rewrites.is_empty() {
                        return None;
                    }
                    let held =
                        if st.held.iter().any(|h| {
                            h.mode.blocks_writes() && !fx.new_relations.contains(&h.relation)
                        }) {
                            " (in a transaction holding earlier locks)"
                        } else {
                            ""
                        };
                    Some(format!(
                        "| {} | {}{} | {} | {} | {} |",
                        st.start.0,
                        cell(&st.kind),
                        held,
                        locks
                            .iter()
                            .map(|l| l.0.clone())
                            .collect::<Vec<_>>()
                            .join("<br>"),
                        locks
                            .iter()
                            .map(|l| l.1.clone())
                            .collect::<Vec<_>>()
                            .join("<br>"),
                        rewrites
                            .into_iter()
                            .chain(scans)
                            .collect::<Vec<_>>()
                            .join("<br>")
                    ))
                })
                .collect();
        let ff = &by_file[fi];
        if rows.is_empty() && ff.is_empty() {
            continue;
        }
        s.push_str(&format!("### `{}`\n\n", f.path));
        if !rows.is_empty() {
            s.push_str("| Line | Statement | Locks on existing relations | Blocks | Rewrites / scans |\n|---:|---|---|---|---|\n");
            for r in rows {
                s.push_str(&r);
                s.push('\n');
            }
            s.push('\n');
        }
        for x in ff {
            s.push_str(&format!(
                "- **{}** [`{}`]({}) line {}: {}\n",
                x.severity.as_str(),
                x.rule,
                super::rule_doc_url(x.rule),
                x.line,
                x.message
            ));
            if let Some(h) = &x.help {
                s.push_str(&format!("  - {h}\n"));
            }
            if let Some(fix) = &x.fix {
                s.push_str("\n  ```sql\n");
                for l in fix.lines() {
                    s.push_str(&format!("  {l}\n"));
                }
                s.push_str("  ```\n");
            }
        }
        s.push('\n');
        w.write_all(s.as_bytes())?;
        s.clear();
    }
    if errors == 0 && warnings == 0 {
        s.push_str("No blocking problems found.\n");
    }
    w.write_all(s.as_bytes())
}
