//! The terminal report: findings in the style of rustc (`path:line:col`,
//! the source lines, the span marked, the rules that found the same
//! problem, help), file by file, then one summary line. `--explain` adds
//! each file's lock table: per statement, the locks it takes on existing
//! relations and what they block, and per transaction what it holds
//! until COMMIT.

use std::fmt::Write;

use colored::Colorize;

use crate::model::{Analysis, FileAnalysis, StatementInfo};
use crate::rules::{Finding, Severity};
use crate::source::{Coverage, SkipKind};

pub struct TextOptions {
    /// After each file's findings, its lock table: the statements that lock
    /// existing relations and what they block (`--explain`).
    pub explain: bool,
    /// The lock table lists every statement (`--all-statements`; implies
    /// `explain`).
    pub all_statements: bool,
    /// Only the findings and, when there is any, the summary line.
    pub quiet: bool,
    /// The longest line the lock table prints (the terminal's width).
    pub width: usize,
}

impl TextOptions {
    /// The width of the terminal on stdout, else `$COLUMNS`, else 160.
    pub fn terminal_width() -> usize {
        use std::io::IsTerminal;
        let tty = std::io::stdout()
            .is_terminal()
            .then(terminal_size::terminal_size)
            .flatten()
            .map(|(w, _)| w.0 as usize);
        tty.or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
            .unwrap_or(160)
            .max(40)
    }
}

/// What a statement does to existing relations, in one line of plain text.
fn describe_statement(s: &StatementInfo) -> Option<String> {
    let fx = &s.effects;
    let mut parts: Vec<String> = Vec::new();
    for (q, m) in fx.existing_locks() {
        parts.push(format!(
            "{} on {}: {}",
            m.pg_name(),
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
        parts.push(format!("rewrites {}", rewrites.join(", ")));
    }
    let scans: Vec<String> = fx
        .scans
        .iter()
        .filter(|q| !fx.new_relations.contains(q) && !fx.rewrites.contains(*q))
        .map(|q| q.to_string())
        .collect();
    if !scans.is_empty() {
        parts.push(format!("scans {}", scans.join(", ")));
    }
    if fx.unknown.is_some() {
        parts.push("effects unknown".to_string());
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

/// `text` cut to `width` characters, with `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// `head` then `text` wrapped at spaces into lines of at most `width`
/// characters, the continuation lines indented to where `text` starts.
fn wrap(head: &str, text: &str, width: usize) -> Vec<String> {
    let indent = head.chars().count();
    let room = width.saturating_sub(indent).max(20);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let (n, w) = (cur.chars().count(), word.chars().count());
        if n > 0 && n + 1 + w > room {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let lead = if i == 0 {
                head.to_string()
            } else {
                " ".repeat(indent)
            };
            fit(&format!("{lead}{l}"), width)
        })
        .collect()
}

/// A file's lock table: one line per statement that locks an existing
/// relation (every statement with `all_statements`), and after the last
/// statement of each transaction of several statements, once, the locks
/// that block writes it holds until COMMIT.
fn lock_table(out: &mut String, f: &FileAnalysis, opts: &TextOptions) {
    let kind_width = f
        .statements
        .iter()
        .map(|s| s.kind.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let mut shown = 0;
    for (i, s) in f.statements.iter().enumerate() {
        let desc = describe_statement(s);
        if desc.is_some() || opts.all_statements {
            if shown == 0 {
                let _ = writeln!(out, "{}", fit(&f.path, opts.width).bold());
            }
            shown += 1;
            let at = format!("{}:{}", s.start.0, s.start.1);
            let kind = fit(&s.kind, kind_width);
            let head = format!("  {at:>7}  {kind:<kind_width$}  ");
            let desc = desc.as_deref().unwrap_or("no lock on an existing relation");
            for (k, line) in wrap(&head, desc, opts.width).into_iter().enumerate() {
                match k {
                    0 => {
                        let (at, rest) = line.split_at(9.min(line.len()));
                        let _ = writeln!(out, "{}{rest}", at.dimmed());
                    }
                    _ => {
                        let _ = writeln!(out, "{line}");
                    }
                }
            }
        }
        // The end of a transaction of several statements: what it holds.
        let txn = s.placement.txn;
        let last_of_txn =
            txn.is_some() && f.statements.get(i + 1).map(|n| n.placement.txn) != Some(txn);
        if !last_of_txn {
            continue;
        }
        let first = f.statements[..=i]
            .iter()
            .rposition(|p| p.placement.txn != txn)
            .map(|p| p + 1)
            .unwrap_or(0);
        if first == i {
            continue;
        }
        // The first statement to take a lock blocking writes on each
        // relation.
        let mut held: Vec<(&crate::model::catalog::QName, &str, usize)> = Vec::new();
        for st in &f.statements[first..=i] {
            for (q, m) in st.effects.existing_locks() {
                if m.blocks_writes() && !held.iter().any(|(h, _, _)| *h == q) {
                    held.push((q, m.pg_name(), st.start.0));
                }
            }
        }
        if held.is_empty() {
            continue;
        }
        let list: Vec<String> = held
            .iter()
            .map(|(q, mode, line)| format!("{mode} on {q} (line {line})"))
            .collect();
        let head = format!("  {:>7}  ", "");
        let text = format!(
            "transaction of lines {}-{} holds until COMMIT: {}",
            f.statements[first].start.0,
            s.end.0,
            list.join(", ")
        );
        for line in wrap(&head, &text, opts.width) {
            let _ = writeln!(out, "{}", line.dimmed());
        }
    }
    if shown > 0 {
        let _ = writeln!(out);
    }
}

/// The characters of a source line as shown (tabs as four spaces), with
/// the display width of each.
fn shown_line(raw: &str) -> (Vec<char>, Vec<usize>) {
    let chars: Vec<char> = raw.chars().collect();
    let widths = chars
        .iter()
        .map(|&c| if c == '\t' { 4 } else { 1 })
        .collect();
    (chars, widths)
}

fn render_chars(chars: &[char]) -> String {
    chars
        .iter()
        .map(|&c| {
            if c == '\t' {
                "    ".to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The longest source line shown whole; longer ones are shown as a window.
const LONGEST_SHOWN: usize = 140;
/// A statement of more lines shows its first two and last two.
const MOST_LINES_SHOWN: usize = 5;

pub fn render_finding(out: &mut String, analysis: &Analysis, fnd: &Finding) {
    let f = &analysis.files[fnd.file];
    let paint = |s: &str| match fnd.severity {
        Severity::Error => s.red().bold(),
        Severity::Warning => s.yellow().bold(),
        Severity::Info => s.cyan().bold(),
    };
    let _ = writeln!(
        out,
        "{}{}: {}",
        paint(fnd.severity.as_str()),
        format!("[{}]", fnd.rule).bold(),
        fnd.message.bold()
    );
    let end_line = fnd.end_line.max(fnd.line);
    let gutter = end_line.to_string().len();
    let bar = "|".blue().bold();
    let num = |ln: usize| format!("{ln:>gutter$}").blue().bold();
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
    let _ = writeln!(out, "{:>gutter$} {bar}", "");
    if end_line == fnd.line {
        // One line: the line (a window around the span when long) and
        // carets under the span.
        let (chars, widths) = shown_line(f.lines.line_text(&f.text, fnd.line));
        let (from, to) = if chars.len() > LONGEST_SHOWN {
            let from = fnd.column.saturating_sub(41).min(chars.len());
            (from, (from + 120).min(chars.len()))
        } else {
            (0, chars.len())
        };
        let mut text = String::new();
        if from > 0 {
            text.push('…');
        }
        text.push_str(&render_chars(&chars[from..to]));
        if to < chars.len() {
            text.push('…');
        }
        let _ = writeln!(out, "{} {bar} {text}", num(fnd.line));
        let start_char = fnd.column.saturating_sub(1).max(from);
        let end_char = fnd
            .end_column
            .saturating_sub(1)
            .clamp(start_char + 1, to.max(start_char + 1));
        let pad: usize = usize::from(from > 0)
            + widths[from..start_char.min(widths.len())]
                .iter()
                .sum::<usize>();
        let len: usize = widths
            .iter()
            .skip(start_char)
            .take(end_char - start_char)
            .sum::<usize>()
            .max(1);
        let _ = writeln!(
            out,
            "{:>gutter$} {bar} {}{}",
            "",
            " ".repeat(pad),
            paint(&"^".repeat(len))
        );
    } else {
        // Several lines, as rustc marks them: `/` where the span starts
        // (or `_^` under its first character), `|` down the lines it
        // spans, `|__^` under its last character.
        let first_raw = f.lines.line_text(&f.text, fnd.line);
        let (chars, widths) = shown_line(first_raw);
        let before = &chars[..fnd.column.saturating_sub(1).min(chars.len())];
        let starts_line = before.iter().all(|c| c.is_whitespace());
        let clip = |cs: &[char]| {
            if cs.len() > LONGEST_SHOWN {
                format!("{}…", render_chars(&cs[..LONGEST_SHOWN - 20]))
            } else {
                render_chars(cs)
            }
        };
        if starts_line {
            let _ = writeln!(
                out,
                "{} {bar} {} {}",
                num(fnd.line),
                paint("/"),
                clip(&chars)
            );
        } else {
            let _ = writeln!(out, "{} {bar}   {}", num(fnd.line), clip(&chars));
            let pad: usize = widths[..before.len()].iter().sum();
            let _ = writeln!(
                out,
                "{:>gutter$} {bar}  {}",
                "",
                paint(&format!("{}^", "_".repeat(pad + 1)))
            );
        }
        // After the first line: the second, then the last two.
        let lines: Vec<usize> = (fnd.line + 1..=end_line).collect();
        let elide = lines.len() + 1 > MOST_LINES_SHOWN;
        for (k, &ln) in lines.iter().enumerate() {
            if elide && k >= 1 && k + 2 < lines.len() {
                if k == 1 {
                    let _ = writeln!(
                        out,
                        "{:>gutter$} {bar} {} {}",
                        "",
                        paint("|"),
                        "...".dimmed()
                    );
                }
                continue;
            }
            let (cs, _) = shown_line(f.lines.line_text(&f.text, ln));
            let _ = writeln!(out, "{} {bar} {} {}", num(ln), paint("|"), clip(&cs));
        }
        let (cs, ws) = shown_line(f.lines.line_text(&f.text, end_line));
        let upto = fnd.end_column.saturating_sub(1).min(cs.len()).max(1);
        let width: usize = ws[..upto.min(ws.len())].iter().sum::<usize>().max(1);
        let _ = writeln!(
            out,
            "{:>gutter$} {bar} {}",
            "",
            paint(&format!("|{}^", "_".repeat(width)))
        );
    }
    if !fnd.related.is_empty() {
        // The other rules that found this problem (`ddlint explain <rule>`
        // says what each checks).
        let _ = writeln!(
            out,
            "{:>gutter$} {} {}: {}",
            "",
            "=".blue().bold(),
            "also".bold(),
            fnd.related.join(", ")
        );
    }
    if let Some(i) = &fnd.impact {
        let _ = writeln!(
            out,
            "{:>gutter$} {} {}: {}",
            "",
            "=".blue().bold(),
            "production".bold(),
            i.summary
        );
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
/// report can be larger than everything else ddlint holds. Findings
/// first, file by file (each file's lock table after its findings with
/// `explain`), then what was not read, then one summary line.
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
    let explain = (opts.explain || opts.all_statements) && !opts.quiet;
    let by_file = super::findings_by_file(analysis, findings);
    for (fi, f) in analysis.files.iter().enumerate() {
        if !f.report {
            continue;
        }
        for fnd in &by_file[fi] {
            render_finding(&mut out, analysis, fnd);
            flush(&mut out)?;
        }
        if explain {
            lock_table(&mut out, f, opts);
            flush(&mut out)?;
        }
    }
    if !opts.quiet {
        coverage_section(&mut out, coverage, explain);
    }
    if !opts.quiet || !findings.is_empty() {
        summary(&mut out, analysis, findings, coverage);
    }
    flush(&mut out)
}

/// Files named one by one when they are not run by their tool (or are
/// binary, or symlink loops), at most.
const NOT_RUN_SHOWN: usize = 10;

/// Which projects were read, when there is more than one, and the SQL files
/// that were not read, with why (down parts and excluded files counted,
/// the others named): nothing under the paths given is dropped silently.
fn coverage_section(out: &mut String, c: &Coverage, projects: bool) {
    if projects && c.projects.len() > 1 {
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
    // Down parts and excluded files are counted in the summary line.
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
fn summary(out: &mut String, analysis: &Analysis, findings: &[Finding], c: &Coverage) {
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
    // Migrations replayed for the schema but not judged (applied, or
    // before --since); `--schema` files are not migrations.
    let history = analysis
        .files
        .iter()
        .filter(|f| !f.report && f.project.is_some())
        .map(|f| f.path.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let history = match history {
        0 => String::new(),
        n => format!(" ({} replayed as history)", plural(n, "earlier file")),
    };
    // What was not read as a matter of course (the anomalies have a line
    // of their own above).
    let count = |k: SkipKind| c.skipped.iter().filter(|s| s.kind == k).count();
    let mut not_read = Vec::new();
    match count(SkipKind::Down) {
        0 => {}
        n => not_read.push(format!("{} (--include-down)", plural(n, "down migration"))),
    }
    match count(SkipKind::Excluded) {
        0 => {}
        n => not_read.push(format!(
            "{} excluded by the configuration",
            plural(n, "file")
        )),
    }
    let not_read = match not_read.is_empty() {
        true => String::new(),
        false => format!("; not read: {}", not_read.join(", ")),
    };
    let summary = format!(
        "{}{history}, {}: {}, {}, {}{not_read}",
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
