//! Markdown for a pull-request comment or a job summary: per file, a table
//! of the statements that lock existing relations (what they block), then
//! the findings with the safe SQL.
//!
//! GitHub refuses a comment over 65,536 characters and a job summary over
//! 1 MiB, so the report stops before `--markdown-limit` bytes (a byte count
//! is never below the character count) and ends with a note saying what
//! was left out and how to see it. It is still written as it goes:
//! [`Budget`] counts what was written and refuses the first piece (a
//! table row, a finding with its fix) that would not leave room for the
//! note.

use std::io::{self, Write};

use crate::model::Analysis;
use crate::rules::{Finding, Severity};

/// GitHub's limit for a pull-request comment: the default `--markdown-limit`.
pub const COMMENT_LIMIT: u64 = 65_536;
/// GitHub's limit for a job summary (`$GITHUB_STEP_SUMMARY`), 1 MiB.
pub const SUMMARY_LIMIT: u64 = 1_048_576;

/// A Markdown report written piece by piece, never longer than its limit:
/// a piece is written whole or, once one does not fit with `reserve`
/// bytes left for the end, neither it nor anything after it.
pub struct Budget<'a> {
    w: &'a mut dyn Write,
    limit: usize,
    reserve: usize,
    written: usize,
    full: bool,
}

impl<'a> Budget<'a> {
    pub fn new(w: &'a mut dyn Write, limit: u64, reserve: usize) -> Budget<'a> {
        Budget {
            w,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            reserve,
            written: 0,
            full: false,
        }
    }

    /// Write `piece` if it fits; whether it was written.
    pub fn put(&mut self, piece: &str) -> io::Result<bool> {
        if self.full
            || self
                .written
                .saturating_add(piece.len())
                .saturating_add(self.reserve)
                > self.limit
        {
            self.full = true;
            return Ok(false);
        }
        self.w.write_all(piece.as_bytes())?;
        self.written += piece.len();
        Ok(true)
    }

    /// Whether a piece was refused (the report is cut).
    pub fn full(&self) -> bool {
        self.full
    }

    /// The end of the report, written in the room reserved for it.
    pub fn end(&mut self, s: &str) -> io::Result<()> {
        self.w.write_all(s.as_bytes())?;
        self.written += s.len();
        Ok(())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing note of a report cut to fit `limit`: `what` was left out.
pub fn cut_note(what: &str, limit: u64, see: &str) -> String {
    let fits = if limit < SUMMARY_LIMIT {
        format!(" (`--markdown-limit {SUMMARY_LIMIT}` fits a job summary)")
    } else {
        String::new()
    };
    format!(
        "\n> **{what} not shown**, to keep this report within {limit} characters. {see} \
         shows everything, or raise `--markdown-limit`{fits}.\n"
    )
}

fn check_note(findings: usize, files: usize, limit: u64) -> String {
    cut_note(
        &format!(
            "{} in {} {}",
            plural(findings, "finding", "findings"),
            plural(files, "file", "files"),
            if findings == 1 { "is" } else { "are" }
        ),
        limit,
        "`ddlint check --format text`",
    )
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report, at most `limit` bytes: files are written in order until the
/// next piece would not fit, and a note counts the findings and files (in
/// part or whole) left out.
pub fn write(
    w: &mut dyn Write,
    analysis: &Analysis,
    findings: &[Finding],
    limit: u64,
) -> io::Result<()> {
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
    const CLEAN: &str = "No blocking problems found.\n";
    // The note's numbers are at most these.
    let reserve = check_note(findings.len(), files.len(), limit).len() + CLEAN.len();
    let mut out = Budget::new(w, limit, reserve);
    let (mut left_findings, mut left_files) = (0, 0);
    let s = format!(
        "## ddlint: {} error{}, {} warning{} in {} migration file{} (PostgreSQL {})\n\n",
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        analysis.pg_version
    );
    out.put(&s)?;
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
        if out.full() {
            left_findings += ff.len();
            left_files += 1;
            continue;
        }
        // The file's pieces (each with the findings it holds): its heading
        // goes with its first row or finding.
        let mut pieces: Vec<(String, usize)> = Vec::new();
        let mut head = format!("### `{}`\n\n", f.path);
        if !rows.is_empty() {
            head.push_str("| Line | Statement | Locks on existing relations | Blocks | Rewrites / scans |\n|---:|---|---|---|---|\n");
            for r in rows {
                let mut s = std::mem::take(&mut head);
                s.push_str(&r);
                s.push('\n');
                pieces.push((s, 0));
            }
            if let Some((s, _)) = pieces.last_mut() {
                s.push('\n');
            }
        }
        for x in ff {
            let mut s = std::mem::take(&mut head);
            s.push_str(&format!(
                "- **{}** [`{}`]({}) line {}: {}\n",
                x.severity.as_str(),
                x.rule,
                super::rule_doc_url(x.rule),
                x.line,
                x.message
            ));
            if !x.related.is_empty() {
                let also: Vec<String> = x.related.iter().map(|r| format!("`{r}`")).collect();
                s.push_str(&format!("  - also: {}\n", also.join(", ")));
            }
            if let Some(i) = &x.impact {
                s.push_str(&format!("  - production: {}\n", i.summary));
            }
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
            pieces.push((s, 1));
        }
        if let Some((s, _)) = pieces.last_mut() {
            s.push('\n');
        }
        let mut cut = false;
        for (piece, n) in &pieces {
            if !out.put(piece)? {
                left_findings += n;
                cut = true;
            }
        }
        left_files += usize::from(cut);
    }
    if out.full() {
        out.end(&check_note(left_findings, left_files, limit))?;
    }
    if errors == 0 && warnings == 0 {
        out.end(CLEAN)?;
    }
    Ok(())
}
