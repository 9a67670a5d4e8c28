//! The terminal report: per statement, the locks it takes on existing
//! relations and what they block; then findings in the style of rustc
//! (`path:line:col`, the source line, a caret under the span, help).

use std::fmt::Write;

use colored::Colorize;

use crate::model::{Analysis, FileAnalysis, StatementInfo};
use crate::rules::{Finding, Severity};
use crate::source::{Coverage, SkipKind};

pub struct TextOptions {
    /// Also list statements that take no lock on an existing relation.
    pub all_statements: bool,
    /// Only the findings: no per-statement lock table, no summary line.
    pub quiet: bool,
}

fn describe_statement(s: &StatementInfo) -> Option<String> {
    let fx = &s.effects;
    let mut parts: Vec<String> = Vec::new();
    for (q, m) in fx.existing_locks() {
        parts.push(format!(
            "{} on {} ({})",
            m.pg_name().bold(),
            fx.describe(q),
            m.blocks_phrase()
        ));
    }
    let rewrites: Vec<String> = fx
        .rewrites
        .iter()
        .filter(|q| !fx.new_relations.contains(q))
        .map(|q| q.to_string())
        .collect();
    if !rewrites.is_empty() {
        parts.push(format!("{} {}", "rewrites".red(), rewrites.join(", ")));
    }
    let scans: Vec<String> = fx
        .scans
        .iter()
        .filter(|q| !fx.new_relations.contains(q) && !fx.rewrites.contains(*q))
        .map(|q| q.to_string())
        .collect();
    if !scans.is_empty() {
        parts.push(format!("{} {}", "scans".yellow(), scans.join(", ")));
    }
    if fx.unknown.is_some() {
        parts.push("effects unknown".magenta().to_string());
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

fn file_section(out: &mut String, f: &FileAnalysis, opts: &TextOptions) {
    let mut lines = Vec::new();
    for s in &f.statements {
        let desc = describe_statement(s);
        if desc.is_none() && !opts.all_statements {
            continue;
        }
        let mut line = format!(
            "  {:>5}  {:<24} {}",
            format!("{}:{}", s.start.0, s.start.1).dimmed(),
            s.kind,
            desc.unwrap_or_else(|| "no lock on an existing relation".dimmed().to_string())
        );
        let held: Vec<String> = s
            .held
            .iter()
            .filter(|h| h.mode.blocks_writes() && !s.effects.new_relations.contains(&h.relation))
            .map(|h| {
                format!(
                    "{} on {} (since line {})",
                    h.mode.pg_name(),
                    h.relation,
                    h.since_line
                )
            })
            .collect();
        if !held.is_empty() {
            let _ = write!(
                line,
                "\n  {:>5}  {:<24} {} {}",
                "",
                "",
                "while holding".dimmed(),
                held.join(", ")
            );
        }
        lines.push(line);
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "{}", f.path.bold());
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(out);
    }
}

pub fn render_finding(out: &mut String, analysis: &Analysis, fnd: &Finding) {
    let f = &analysis.files[fnd.file];
    let sev = match fnd.severity {
        Severity::Error => "error".red().bold(),
        Severity::Warning => "warning".yellow().bold(),
        Severity::Info => "info".cyan().bold(),
    };
    let _ = writeln!(
        out,
        "{}{}: {}",
        sev,
        format!("[{}]", fnd.rule).bold(),
        fnd.message.bold()
    );
    let gutter = fnd.end_line.max(fnd.line).to_string().len();
    let _ = writeln!(
        out,
        "{:>w$}{} {}:{}:{}",
        "",
        "-->".blue().bold(),
        f.path,
        fnd.line,
        fnd.column,
        w = gutter
    );
    let _ = writeln!(out, "{:>w$} {}", "", "|".blue().bold(), w = gutter);
    let last = if fnd.end_line > fnd.line + 3 {
        fnd.line + 2
    } else {
        fnd.end_line.max(fnd.line)
    };
    for ln in fnd.line..=last {
        let raw = f.lines.line_text(&f.text, ln);
        let chars: Vec<char> = raw.chars().collect();
        // Long lines are shown as a window around the span.
        let (from, to) = if chars.len() > 140 {
            let from = if ln == fnd.line {
                fnd.column.saturating_sub(41)
            } else {
                0
            };
            (from, (from + 120).min(chars.len()))
        } else {
            (0, chars.len())
        };
        let mut text = String::new();
        if from > 0 {
            text.push('…');
        }
        let mut widths = Vec::with_capacity(to - from);
        for &c in &chars[from..to] {
            if c == '\t' {
                text.push_str("    ");
                widths.push(4);
            } else {
                text.push(c);
                widths.push(1);
            }
        }
        if to < chars.len() {
            text.push('…');
        }
        let _ = writeln!(
            out,
            "{} {} {}",
            format!("{ln:>gutter$}").blue().bold(),
            "|".blue().bold(),
            text
        );
        if ln == fnd.line {
            let start_char = fnd.column.saturating_sub(1).max(from);
            let end_char = if fnd.end_line == fnd.line {
                fnd.end_column.saturating_sub(1)
            } else {
                to
            }
            .clamp(start_char + 1, to.max(start_char + 1));
            let pad: usize =
                usize::from(from > 0) + widths.iter().take(start_char - from).sum::<usize>();
            let len: usize = widths
                .iter()
                .skip(start_char - from)
                .take(end_char - start_char)
                .sum::<usize>()
                .max(1);
            let carets = "^".repeat(len);
            let color = match fnd.severity {
                Severity::Error => carets.red().bold(),
                Severity::Warning => carets.yellow().bold(),
                Severity::Info => carets.cyan().bold(),
            };
            let _ = writeln!(
                out,
                "{:>w$} {} {}{}",
                "",
                "|".blue().bold(),
                " ".repeat(pad),
                color,
                w = gutter
            );
        }
    }
    if last < fnd.end_line {
        let _ = writeln!(out, "{:>w$} {} ...", "", "|".blue().bold(), w = gutter);
    }
    if let Some(h) = &fnd.help {
        let _ = writeln!(
            out,
            "{:>w$} {} {}: {}",
            "",
            "=".blue().bold(),
            "help".bold(),
            h,
            w = gutter
        );
    }
    if let Some(fix) = &fnd.fix {
        for l in fix.lines() {
            let _ = writeln!(out, "{:>w$}   {}", "", l.green(), w = gutter);
        }
    }
    let _ = writeln!(out);
}

/// Write the report to `w` a file or a finding at a time: a monorepo's
/// report can be larger than everything else ddlint holds.
pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
    coverage: &Coverage,
    opts: &TextOptions,
) -> std::io::Result<()> {
    let mut out = String::new();
    let mut flush = |out: &mut String| -> std::io::Result<()> {
        w.write_all(out.as_bytes())?;
        out.clear();
        Ok(())
    };
    if !opts.quiet {
        for f in analysis.files.iter().filter(|f| f.report) {
            file_section(&mut out, f, opts);
            flush(&mut out)?;
        }
    }
    for fnd in findings {
        render_finding(&mut out, analysis, fnd);
        flush(&mut out)?;
    }
    if !opts.quiet {
        coverage_section(&mut out, coverage);
        summary(&mut out, analysis, findings);
    }
    flush(&mut out)
}

/// Files named one by one when they are not run by their tool (or are
/// binary, or symlink loops), at most.
const NOT_RUN_SHOWN: usize = 10;

/// Which projects were read, when there is more than one, and the SQL files
/// that were not read, with why (down parts and excluded files counted,
/// the others named): nothing under the paths given is dropped silently.
fn coverage_section(out: &mut String, c: &Coverage) {
    if c.projects.len() > 1 {
        let _ = writeln!(
            out,
            "{} projects, each replayed into its own catalog:",
            c.projects.len()
        );
        for p in &c.projects {
            let layouts: Vec<&str> = p.layouts.iter().map(|l| l.name()).collect();
            let _ = writeln!(out, "  {} ({})", p.root, layouts.join(", "));
        }
    }
    let head = "not read:".bold();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let count = |k: SkipKind| c.skipped.iter().filter(|s| s.kind == k).count();
    let downs = count(SkipKind::Down);
    if downs > 0 {
        let what = plural(downs, "down migration", "down migrations");
        let them = if downs == 1 { "it" } else { "them" };
        let _ = writeln!(out, "{head} {what} (--include-down lints {them})");
    }
    let excluded = count(SkipKind::Excluded);
    if excluded > 0 {
        let what = plural(excluded, "file", "files");
        let _ = writeln!(
            out,
            "{head} {what} excluded by the configuration (`exclude`)"
        );
    }
    let not_run: Vec<_> = c
        .skipped
        .iter()
        .filter(|s| matches!(s.kind, SkipKind::NotRun | SkipKind::Binary | SkipKind::Loop))
        .collect();
    for s in not_run.iter().take(NOT_RUN_SHOWN) {
        let _ = writeln!(out, "{head} {}: {}", s.path, s.reason);
    }
    if not_run.len() > NOT_RUN_SHOWN {
        let _ = writeln!(
            out,
            "{head} ... and {} more (--format json lists every one)",
            not_run.len() - NOT_RUN_SHOWN
        );
    }
    // A project that could not be read: one line with its reason.
    let mut failed: Vec<(&str, usize)> = Vec::new();
    for s in c.skipped.iter().filter(|s| s.kind == SkipKind::Failed) {
        match failed.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, n)) => *n += 1,
            None => failed.push((&s.reason, 1)),
        }
    }
    for (reason, n) in failed {
        let what = plural(n, "file", "files");
        let _ = writeln!(out, "{head} {what}: {}", reason.red());
    }
}

/// The closing line: files, statements, findings by severity.
fn summary(out: &mut String, analysis: &Analysis, findings: &[Finding]) {
    let files = analysis.files.iter().filter(|f| f.report).count();
    let stmts: usize = analysis
        .files
        .iter()
        .filter(|f| f.report)
        .map(|f| f.statements.len())
        .sum();
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let infos = findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .count();
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let summary = format!(
        "{}, {}: {}, {}, {}",
        plural(files, "file"),
        plural(stmts, "statement"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info")
    );
    let _ = writeln!(
        out,
        "{}",
        if errors > 0 {
            summary.red().bold()
        } else if warnings > 0 {
            summary.yellow().bold()
        } else {
            summary.green().bold()
        }
    );
}
