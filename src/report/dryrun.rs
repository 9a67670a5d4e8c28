//! `ddlint dry-run` reports: text (with a live progress line on a
//! terminal), JSON (the check contract, each statement extended with what
//! was observed, plus the run), and Markdown for a pull-request comment.

use std::io::{self, Write};
use std::time::Duration;

use colored::Colorize;
use serde_json::{json, Map, Value};

use crate::dryrun::outcome::{
    Blocked, HeldLockInfo, Op, Outcome, Run, Session, StatementRun, Status, Wait,
};
use crate::dryrun::plan::Step;
use crate::model::Analysis;
use crate::rules::Finding;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: each statement with its observed locks, waits, errors.
    Text,
    /// The `ddlint check` JSON contract, extended with the observations.
    Json,
    /// A pull-request comment.
    Markdown,
}

pub use crate::dryrun::outcome::Info;

/// Streams the report to `w`, as every report does; Markdown stops before
/// `markdown_limit` bytes (`--markdown-limit`).
pub fn write(
    w: &mut dyn Write,
    format: Format,
    analysis: &Analysis,
    findings: &[Finding],
    run: &Run,
    info: &Info,
    markdown_limit: u64,
) -> io::Result<()> {
    match format {
        Format::Text => text(w, run, info, &checks(analysis, findings, run)),
        Format::Json => json(w, analysis, findings, run, info),
        Format::Markdown => markdown(
            w,
            run,
            info,
            &checks(analysis, findings, run),
            markdown_limit,
        ),
    }
}

/// `ddlint check`'s findings by the statement (its number) they are in.
type Checks<'a> = std::collections::BTreeMap<usize, Vec<&'a Finding>>;

fn checks<'a>(analysis: &Analysis, findings: &'a [Finding], run: &Run) -> Checks<'a> {
    let mut out = Checks::new();
    for f in findings {
        let Some(file) = analysis.files.get(f.file) else {
            continue;
        };
        let at = (f.line, f.column);
        let Some(stmt) = file
            .statements
            .iter()
            .position(|s| s.start <= at && at <= s.end)
        else {
            continue;
        };
        if let Some(r) = run
            .statements
            .iter()
            .find(|r| r.file == f.file && r.stmt == stmt)
        {
            out.entry(r.number).or_default().push(f);
        }
    }
    out
}

/// How long the run's timeline is: to the last statement's or window's end.
fn timeline_ms(run: &Run) -> f64 {
    run.statements
        .iter()
        .filter(|s| s.status != Status::NotRun)
        .map(|s| s.started_ms + s.duration_ms)
        .chain(
            run.blocking_windows
                .iter()
                .map(|w| w.start_ms + w.duration_ms),
        )
        .fold(0.0, f64::max)
}

/// Columns of the terminal timeline.
const TIMELINE_COLUMNS: usize = 60;

/// The blocking windows at a glance, a row per relation, a column per
/// slice of the run: `█` reads (and writes) blocked, `▒` writes blocked,
/// `·` neither.
fn timeline_text(run: &Run) -> Vec<String> {
    let total = timeline_ms(run);
    if run.blocking_windows.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let col = total / TIMELINE_COLUMNS as f64;
    let mut relations: Vec<&str> = Vec::new();
    for w in &run.blocking_windows {
        if !relations.contains(&w.relation.as_str()) {
            relations.push(&w.relation);
        }
    }
    let width = relations
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    let mut out = vec![format!(
        "  timeline: 0 to {}, one column {}; {} reads and writes blocked, {} writes blocked",
        secs(total),
        secs(col),
        "█".red(),
        "▒".yellow()
    )];
    for r in relations {
        let mut row = String::new();
        for i in 0..TIMELINE_COLUMNS {
            let (a, b) = (i as f64 * col, (i + 1) as f64 * col);
            let over = |kind: Blocked| {
                run.blocking_windows.iter().any(|w| {
                    w.relation == r
                        && w.blocked == kind
                        && w.start_ms < b
                        && w.start_ms + w.duration_ms.max(col / 2.0) > a
                })
            };
            row.push_str(&if over(Blocked::Reads) {
                "█".red().to_string()
            } else if over(Blocked::Writes) {
                "▒".yellow().to_string()
            } else {
                "·".dimmed().to_string()
            });
        }
        let name: String = r.chars().take(width).collect();
        out.push(format!("  {name:<width$}  {row}"));
    }
    out
}

/// A Mermaid gantt chart (GitHub renders it) of the statements and, per
/// relation, the windows in which reads or writes were blocked.
fn gantt(o: &mut dyn Write, run: &Run) -> io::Result<()> {
    let total = timeline_ms(run);
    if total <= 0.0 {
        return Ok(());
    }
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if matches!(c, ':' | ';' | '#' | '`') {
                    ' '
                } else {
                    c
                }
            })
            .collect()
    };
    let at = |ms: f64| ms.round() as u64;
    writeln!(o, "\n```mermaid\ngantt")?;
    writeln!(
        o,
        "    title Statements and blocking windows (time since the run started)"
    )?;
    writeln!(o, "    dateFormat x")?;
    writeln!(
        o,
        "    axisFormat {}",
        if total >= 60_000.0 {
            "%M:%S"
        } else {
            "%S.%L s"
        }
    )?;
    // The statements that ran; of more than 30, the 30 longest.
    let mut shown: Vec<&StatementRun> = run
        .statements
        .iter()
        .filter(|s| s.status != Status::NotRun)
        .collect();
    if shown.len() > 30 {
        shown.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
        shown.truncate(30);
        shown.sort_by_key(|s| s.number);
    }
    if !shown.is_empty() {
        writeln!(o, "    section statements")?;
        for s in shown {
            writeln!(
                o,
                "    {} {} :{}s{}, {}, {}",
                s.number,
                clean(&s.kind),
                if s.status == Status::Failed {
                    "crit, "
                } else {
                    ""
                },
                s.number,
                at(s.started_ms),
                at(s.started_ms + s.duration_ms).max(at(s.started_ms) + 1)
            )?;
        }
    }
    let mut relation = "";
    for (i, w) in run.blocking_windows.iter().enumerate() {
        if w.relation != relation {
            relation = &w.relation;
            writeln!(o, "    section {}", clean(relation))?;
        }
        writeln!(
            o,
            "    {} blocked ({}) :{}w{i}, {}, {}",
            match w.blocked {
                Blocked::Reads => "reads",
                Blocked::Writes => "writes",
            },
            clean(&statements_label(w.statements)),
            if w.blocked == Blocked::Reads {
                "crit, "
            } else {
                "active, "
            },
            at(w.start_ms),
            at(w.start_ms + w.duration_ms).max(at(w.start_ms) + 1)
        )?;
    }
    writeln!(o, "```")
}

/// One line of a finding: severity, rule, the message's first line.
fn check_line(f: &Finding) -> String {
    format!(
        "{} {}: {}",
        f.severity.as_str(),
        f.rule,
        f.message.lines().next().unwrap_or_default()
    )
}

/// "1-3, 5" for [1, 2, 3, 5].
fn ranges(v: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}-{}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// What was committed, when the run commits.
fn committed_line(run: &Run) -> Option<String> {
    let c = run.committed_statements.as_ref()?;
    let total = run.statements.len();
    Some(if c.is_empty() {
        "nothing was committed".to_string()
    } else if c.len() == total {
        "committed: every statement".to_string()
    } else {
        format!("committed: statements {} (of {total})", ranges(c))
    })
}

fn statements_label((first, last): (usize, usize)) -> String {
    if first == last {
        format!("statement {first}")
    } else {
        format!("statements {first}-{last}")
    }
}

fn secs(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn mode_line(run: &Run, info: &Info) -> String {
    // The target already says it is a throwaway server.
    if info.embedded {
        "committed as the migration tool would; the server is removed".into()
    } else if run.committed {
        "committed (--commit)".into()
    } else {
        "rolled back at the end (--commit keeps the changes)".into()
    }
}

fn blocker_line(b: &Session) -> String {
    b.to_string()
}

/// "pid 4242 (...) holds RowExclusiveLock on public.orders, which
/// conflicts with the ShareRowExclusiveLock the migration will request;
/// last query: ...": what one pre-flight lock does to the migration.
/// `relation` is already formatted.
fn preflight_line(h: &HeldLockInfo, relation: &str) -> String {
    format!(
        "{} {}; {}",
        h.session.who(),
        preflight_lock(h, relation),
        h.session.last_query_note()
    )
}

fn preflight_lock(h: &HeldLockInfo, relation: &str) -> String {
    let what = format!(
        "{} {} on {relation}",
        if h.granted { "holds" } else { "waits for" },
        h.mode.pg_name()
    );
    match (h.conflicts_with, h.holds_up) {
        (Some(m), _) if h.granted => format!(
            "{what}, which conflicts with the {} the migration will request",
            m.pg_name()
        ),
        (Some(m), _) => format!(
            "{what}, queued ahead of the migration's {}, which it conflicts with",
            m.pg_name()
        ),
        (None, Some(pid)) => format!(
            "{what}: no conflict with the migration's locks, but pid {pid}, queued ahead of \
             the migration, waits for it"
        ),
        (None, None) => what,
    }
}

/// The pre-flight lines (text and Markdown share the wording).
const NO_CONFLICTS: &str =
    "pre-flight: no session holds or waits for a lock that conflicts with the migration's";
const CONFLICTS: &str = "pre-flight: the migration would queue behind these sessions:";
const NO_LONG: &str = "pre-flight: no long or idle-in-transaction sessions";
const LONG: &str = "pre-flight: long or idle-in-transaction sessions (not blocking unless \
     listed above; CONCURRENTLY statements may wait for them to end):";

fn text(o: &mut dyn Write, run: &Run, info: &Info, checks: &Checks) -> io::Result<()> {
    writeln!(o, "{} {}", "dry-run:".bold(), info.target)?;
    writeln!(o, "changes: {}", mode_line(run, info))?;
    let settings: Vec<String> = run
        .settings
        .iter()
        .map(|s| {
            if s.applied {
                format!("{}={}", s.name, s.value)
            } else {
                format!("{}={} (not set)", s.name, s.value)
            }
        })
        .collect();
    writeln!(o, "session: {}", settings.join(" "))?;
    if let Some(e) = &run.effective {
        writeln!(
            o,
            "  runs as {} with TimeZone={} and search_path={}{}",
            e.user,
            e.timezone,
            e.search_path,
            if e.utc {
                ""
            } else {
                " (not UTC: timestamp <-> timestamptz changes rewrite; `ddlint check` assumes UTC unless --timezone says otherwise)"
            }
        )?;
    }
    for s in run.settings.iter().filter(|s| !s.applied) {
        if let Some(n) = &s.note {
            writeln!(o, "  {} {n}", "note:".yellow())?;
        }
    }
    let pf = &run.preflight;
    // After an error the lists are incomplete: no "no ..." lines then.
    let complete = pf.error.is_none();
    if pf.lock_holders.is_empty() {
        if complete {
            writeln!(o, "{NO_CONFLICTS}")?;
        }
    } else {
        writeln!(o, "{}", CONFLICTS.yellow())?;
        for h in &pf.lock_holders {
            writeln!(o, "  {}", preflight_line(h, &h.relation))?;
        }
    }
    if pf.long_transactions.is_empty() {
        if complete {
            writeln!(o, "{NO_LONG}")?;
        }
    } else {
        writeln!(o, "{LONG}")?;
        for s in &pf.long_transactions {
            writeln!(o, "  {}", blocker_line(s))?;
        }
    }
    for n in &pf.notes {
        writeln!(o, "  note: {n}")?;
    }
    if let Some(e) = &pf.error {
        writeln!(o, "pre-flight incomplete: {e}")?;
    }
    let mut path = "";
    for s in &run.statements {
        if s.path != path {
            path = &s.path;
            writeln!(o, "\n{}", path.bold())?;
        }
        statement_text(o, s, checks.get(&s.number).map_or(&[], |v| v.as_slice()))?;
    }
    if !run.blocking_windows.is_empty() {
        writeln!(
            o,
            "\n{}",
            "blocking windows (what the application would have waited on):".bold()
        )?;
        for w in &run.blocking_windows {
            let what = match w.blocked {
                Blocked::Reads => "reads of",
                Blocked::Writes => "writes to",
            };
            let stmts = statements_label(w.statements);
            let line = format!(
                "{what} {} blocked for {} ({stmts}, {})",
                w.relation,
                secs(w.duration_ms),
                w.mode.pg_name()
            );
            writeln!(
                o,
                "  {}",
                if w.blocked == Blocked::Reads {
                    line.red().to_string()
                } else {
                    line.yellow().to_string()
                }
            )?;
        }
        for line in timeline_text(run) {
            writeln!(o, "{line}")?;
        }
    }
    if !run.probes.is_empty() {
        writeln!(o, "\n{}", "probes (measured while it ran):".bold())?;
        for p in &run.probes {
            let op = match (p.operation, p.statement) {
                (Op::Read, _) => "reads ".to_string(),
                (Op::Write, _) => "writes".to_string(),
                (Op::RowWrite, Some(n)) => format!("writes to the rows statement {n} changes,"),
                (Op::RowWrite, None) => "row writes".to_string(),
            };
            let _ = write!(
                o,
                "  {} {op} blocked {} in all, worst wait {} ({} attempts, {} hit the lock timeout)",
                p.relation,
                secs(p.blocked_ms),
                secs(p.worst_ms),
                p.attempts,
                p.blocked_attempts
            );
            if let Some(d) = p.in_deploy_ms.filter(|_| p.blocked_ms >= 1.0) {
                let _ = write!(
                    o,
                    "; {} of it inside the blocking windows the deploy would have, the rest because this run holds its locks until it rolls back",
                    secs(d)
                );
            }
            if let Some(e) = &p.error {
                let _ = write!(o, "; stopped: {e}");
            }
            writeln!(o)?;
        }
    }
    if let Some(c) = &run.clients {
        writeln!(
            o,
            "\n{}",
            "clients (application-like traffic while it ran):".bold()
        )?;
        writeln!(o, "  {}", clients_line(c))?;
    }
    for n in &run.notes {
        writeln!(o, "{} {n}", "note:".cyan())?;
    }
    writeln!(o)?;
    writeln!(o, "{}", summary_line(run))?;
    if let Some(c) = committed_line(run) {
        writeln!(o, "  {c}")?;
    }
    for c in &run.cleanup {
        writeln!(o, "  cleanup: {c}")?;
    }
    for l in &run.left_behind {
        writeln!(o, "  {} {l}", "LEFT BEHIND:".red().bold())?;
    }
    match run.schema_unchanged {
        Some(true) => {
            writeln!(o, "  schema verified unchanged (catalog fingerprint)")?;
        }
        Some(false) => {
            writeln!(
                o,
                "  {}",
                "schema CHANGED (catalog fingerprint differs)".red().bold()
            )?;
        }
        None => {}
    }
    Ok(())
}

/// What `--clients` traffic felt, in one sentence.
fn clients_line(c: &crate::dryrun::outcome::ClientsResult) -> String {
    let mut s = format!(
        "{} connections, {:.0} requests/s, client timeout {}: {} requests, {} waited, at most {} \
         connections in use at once, longest wait {}",
        c.clients,
        c.rate_per_second,
        secs(c.client_timeout_ms),
        c.requests,
        c.waited,
        c.peak_in_use,
        secs(c.longest_wait_ms)
    );
    match (c.exhausted_after_first_wait_ms, c.exhausted_after_ms) {
        (Some(w), _) => s.push_str(&format!(
            "; a pool of {} connections was exhausted after {} of blocking, {} requests found none",
            c.clients,
            secs(w),
            c.without_connection
        )),
        (None, Some(t)) => s.push_str(&format!(
            "; a pool of {} connections was exhausted {} into the run, {} requests found none",
            c.clients,
            secs(t),
            c.without_connection
        )),
        _ => s.push_str(&format!("; a pool of {} connections was enough", c.clients)),
    }
    if c.failed > 0 {
        s.push_str(&format!(
            "; {} failed ({})",
            c.failed,
            c.errors.first().map(String::as_str).unwrap_or("")
        ));
    }
    s
}

fn statement_text(o: &mut dyn Write, s: &StatementRun, checks: &[&Finding]) -> io::Result<()> {
    let head = format!("  #{:<3} line {:<5} {:<28}", s.number, s.line, s.kind);
    let status = match s.status {
        Status::Ok => secs(s.duration_ms).green().to_string(),
        Status::Failed => format!("FAILED after {}", secs(s.duration_ms))
            .red()
            .bold()
            .to_string(),
        Status::NotRun => "not run".dimmed().to_string(),
    };
    match &s.estimate {
        Some(e) if s.status != Status::NotRun => writeln!(
            o,
            "{head} {status} (estimated {} from production statistics)",
            crate::stats::pretty_seconds(e.seconds)
        )?,
        _ => writeln!(o, "{head} {status}")?,
    }
    for f in checks {
        let line = check_line(f);
        writeln!(
            o,
            "        check     {}",
            match f.severity {
                crate::rules::Severity::Error => line.red().to_string(),
                crate::rules::Severity::Warning => line.yellow().to_string(),
                crate::rules::Severity::Info => line,
            }
        )?;
    }
    if s.status == Status::NotRun {
        for n in &s.notes {
            writeln!(o, "        note: {n}")?;
        }
        return Ok(());
    }
    if let Some(w) = s.wal_bytes.filter(|w| *w >= 1 << 20) {
        writeln!(
            o,
            "        wal       {} written (replicas replay it{})",
            crate::stats::pretty_bytes(w),
            if s.observed_rewrites.is_empty() {
                ""
            } else {
                "; a rewrite writes the whole table"
            }
        )?;
    }
    if let Some(t) = s.temp_bytes.filter(|t| *t >= 1 << 20) {
        writeln!(
            o,
            "        temp      {} of temporary files at peak (a sort or hash spilled to disk: the disk must hold it)",
            crate::stats::pretty_bytes(t)
        )?;
    }
    if !s.blocked_sessions.is_empty() {
        let longest = s
            .blocked_sessions
            .iter()
            .map(|b| b.waited_ms)
            .fold(0.0, f64::max);
        let mut kinds: Vec<String> = s
            .blocked_sessions
            .iter()
            .map(|b| match &b.relation {
                Some(r) => format!("{} on {r}", b.kind),
                None => b.kind.clone(),
            })
            .collect();
        kinds.sort();
        kinds.dedup();
        writeln!(
            o,
            "        {}   {} other session(s) waited on the migration ({}), the longest {}: {}",
            "blocked".red().bold(),
            s.blocked_sessions.len(),
            kinds.join(", "),
            secs(longest),
            s.blocked_sessions[0].query
        )?;
    }
    let list = |m: &std::collections::BTreeMap<String, crate::model::locks::LockMode>| {
        m.iter()
            .map(|(r, m)| format!("{} on {r}", m.pg_name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !s.observed_locks.is_empty() || !s.predicted_locks.is_empty() {
        let observed = list(&s.observed_locks);
        writeln!(
            o,
            "        locks     {}{}",
            if observed.is_empty() && s.locks_sampled {
                "none seen"
            } else if observed.is_empty() {
                "-"
            } else {
                &observed
            },
            match (s.locks_sampled, observed.is_empty()) {
                (true, true) => {
                    " (outside a transaction its locks end with it: sampled while it ran, \
                     it was too quick to catch)"
                }
                (true, false) => " (sampled while it ran)",
                _ => "",
            }
        )?;
        let predicted = list(&s.predicted_locks);
        if predicted == observed {
            writeln!(o, "        predicted {}", "the same".dimmed())?;
        } else {
            writeln!(
                o,
                "        predicted {}",
                if predicted.is_empty() {
                    "-"
                } else {
                    &predicted
                }
            )?;
        }
    }
    if !s.observed_rewrites.is_empty() || !s.predicted_rewrites.is_empty() {
        let v: Vec<&str> = s.observed_rewrites.iter().map(String::as_str).collect();
        let p: Vec<&str> = s.predicted_rewrites.iter().map(String::as_str).collect();
        writeln!(
            o,
            "        rewrote   {}{}",
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(", ")
            },
            if v == p {
                " (as predicted)".to_string()
            } else {
                format!(
                    " (predicted: {})",
                    if p.is_empty() {
                        "-".to_string()
                    } else {
                        p.join(", ")
                    }
                )
            }
        )?;
    }
    if !s.created.is_empty() {
        writeln!(o, "        created   {}", s.created.join(", "))?;
    }
    if !s.dropped.is_empty() {
        writeln!(o, "        dropped   {}", s.dropped.join(", "))?;
    }
    if let Some(w) = &s.wait {
        writeln!(
            o,
            "        {}    {}{}",
            "waited".yellow(),
            secs(w.waited_ms),
            w.waiting_for
                .as_ref()
                .map(|f| format!(" for {f}"))
                .unwrap_or_default()
        )?;
        for b in &w.blockers {
            writeln!(o, "          behind {}", blocker_line(b))?;
        }
    }
    if let Some(e) = &s.error {
        writeln!(
            o,
            "        {}     {} {}",
            "error".red().bold(),
            e.sqlstate,
            e.message
        )?;
        if let Some(d) = &e.detail {
            writeln!(o, "                  {d}")?;
        }
        if let Some(h) = &e.hint {
            writeln!(o, "                  hint: {h}")?;
        }
        if let Some(x) = &e.explanation {
            writeln!(o, "                  {x}")?;
        }
    }
    for d in &s.disagreements {
        writeln!(
            o,
            "        {} {} on {}: ddlint check predicted {}, the server did {}",
            "differs:".magenta().bold(),
            d.what,
            d.relation,
            d.predicted,
            d.observed
        )?;
    }
    for n in &s.notes {
        writeln!(o, "        note: {n}")?;
    }
    Ok(())
}

fn summary_line(run: &Run) -> String {
    let total = run.statements.len();
    let failed = run
        .statements
        .iter()
        .filter(|s| s.status == Status::Failed)
        .count();
    let not_run = run
        .statements
        .iter()
        .filter(|s| s.status == Status::NotRun)
        .count();
    let at = |n: usize| {
        run.statements
            .iter()
            .find(|s| s.number == n)
            .map(|s| format!("{}:{}", s.path, s.line))
            .unwrap_or_default()
    };
    let head = match &run.outcome {
        Outcome::Completed => format!(
            "ran {total} statement{} in {}",
            if total == 1 { "" } else { "s" },
            secs(run.duration_ms)
        )
        .green()
        .bold()
        .to_string(),
        Outcome::Failed { statement }
            if run
                .statements
                .iter()
                .any(|s| s.number > *statement && s.status != Status::NotRun) =>
        {
            format!(
                "statement {statement} failed ({}) and psql carried on: {} ran, {failed} failed, {not_run} did not run",
                at(*statement),
                total - not_run - failed
            )
        }
        .red()
        .bold()
        .to_string(),
        Outcome::Failed { statement } => format!(
            "statement {statement} failed ({}); {} ran before it, {not_run} did not run",
            at(*statement),
            total - not_run - failed
        )
        .red()
        .bold()
        .to_string(),
        Outcome::ConnectionLost { statement } => format!(
            "connection lost at statement {statement} ({}); {} of {total} ran before it, {not_run} not run",
            at(*statement),
            total - not_run - failed
        )
        .red()
        .bold()
        .to_string(),
        Outcome::Interrupted { statement } => format!(
            "interrupted at statement {statement} ({}); {not_run} not run",
            at(*statement)
        )
        .yellow()
        .bold()
        .to_string(),
    };
    let wal: u64 = run.statements.iter().filter_map(|s| s.wal_bytes).sum();
    let head = if wal >= 1 << 20 {
        format!(
            "{head}; {} of WAL written (replicas replay it)",
            crate::stats::pretty_bytes(wal)
        )
    } else {
        head
    };
    let temp = run
        .statements
        .iter()
        .filter_map(|s| s.temp_bytes)
        .max()
        .unwrap_or(0);
    let head = if temp >= 1 << 20 {
        format!(
            "{head}; up to {} of temporary files",
            crate::stats::pretty_bytes(temp)
        )
    } else {
        head
    };
    let d = run.disagreements();
    if d > 0 {
        format!("{head}; {d} observation(s) differ from ddlint check's prediction")
    } else {
        head
    }
}

fn json(
    w: &mut dyn Write,
    analysis: &Analysis,
    findings: &[Finding],
    run: &Run,
    info: &Info,
) -> io::Result<()> {
    let by_stmt: std::collections::HashMap<(usize, usize), &StatementRun> = run
        .statements
        .iter()
        .map(|s| ((s.file, s.stmt), s))
        .collect();
    let statement = |fi: usize, si: usize| -> Map<String, Value> {
        let mut m = Map::new();
        let Some(s) = by_stmt.get(&(fi, si)) else {
            return m;
        };
        m.insert("number".into(), json!(s.number));
        m.insert("status".into(), json!(s.status));
        m.insert("started_ms".into(), json!(s.started_ms));
        m.insert("duration_ms".into(), json!(s.duration_ms));
        m.insert(
            "observed_locks".into(),
            Value::Array(
                s.observed_locks
                    .iter()
                    .map(|(r, m)| json!({ "relation": r, "mode": m }))
                    .collect(),
            ),
        );
        m.insert("locks_sampled".into(), json!(s.locks_sampled));
        m.insert("observed_rewrites".into(), json!(s.observed_rewrites));
        m.insert("created".into(), json!(s.created));
        m.insert("dropped".into(), json!(s.dropped));
        m.insert("wait".into(), json!(s.wait));
        m.insert("error".into(), json!(s.error));
        m.insert("disagreements".into(), json!(s.disagreements));
        if !s.notes.is_empty() {
            m.insert("run_notes".into(), json!(s.notes));
        }
        if let Some(e) = &s.estimate {
            m.insert("estimate".into(), json!(e));
        }
        if !s.blocked_sessions.is_empty() {
            m.insert("blocked_sessions".into(), json!(s.blocked_sessions));
        }
        if let Some(w) = s.wal_bytes {
            m.insert("wal_bytes".into(), json!(w));
        }
        if let Some(t) = s.temp_bytes {
            m.insert("temp_bytes".into(), json!(t));
        }
        m
    };
    let mut top = Map::new();
    top.insert(
        "dry_run".into(),
        json!({
            "target": info.target,
            "server_version": info.server_version,
            "throwaway_server": info.embedded,
            "committed": run.committed,
            "settings": run.settings,
            "preflight": run.preflight,
            "outcome": run.outcome,
            "duration_ms": run.duration_ms,
            "started_at_unix": run.started_at_unix,
            "cleanup": run.cleanup,
            "left_behind": run.left_behind,
            "schema_unchanged": run.schema_unchanged,
            "notes": run.notes,
            "committed_statements": run.committed_statements,
        }),
    );
    top.insert("blocking_windows".into(), json!(run.blocking_windows));
    top.insert("probes".into(), json!(run.probes));
    if let Some(c) = &run.clients {
        top.insert("clients".into(), json!(c));
    }
    if let Some(e) = &run.effective {
        top.insert("session_effective".into(), json!(e));
    }
    let mut summary = Map::new();
    let count = |st: Status| run.statements.iter().filter(|s| s.status == st).count();
    summary.insert("failed".into(), json!(count(Status::Failed)));
    summary.insert("not_run".into(), json!(count(Status::NotRun)));
    summary.insert("disagreements".into(), json!(run.disagreements()));
    summary.insert(
        "wal_bytes".into(),
        json!(run
            .statements
            .iter()
            .filter_map(|s| s.wal_bytes)
            .sum::<u64>()),
    );
    // None: not measured (not a superuser), not 0.
    summary.insert(
        "temp_bytes_peak".into(),
        json!(run.statements.iter().filter_map(|s| s.temp_bytes).max()),
    );
    crate::report::json::write(
        w,
        analysis,
        findings,
        &info.coverage,
        Some(&crate::report::json::Extension {
            statement: &statement,
            top,
            summary,
        }),
        // A dry-run's report is small: indented wherever it goes.
        true,
    )
}

/// A pre-flight line without its "pre-flight: " and final colon.
fn md_heading(line: &str) -> &str {
    line.trim_start_matches("pre-flight: ")
        .trim_end_matches(':')
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report, at most `limit` bytes. The statement table is what
/// grows: what follows it (waits, blocking windows, probes, pre-flight,
/// clean-up, whether the schema changed) is kept whole when it takes at
/// most half the limit, and rows that do not fit are counted in a note.
fn markdown(
    o: &mut dyn Write,
    run: &Run,
    info: &Info,
    checks: &Checks,
    limit: u64,
) -> io::Result<()> {
    let total = run.statements.len();
    let note = |rows: usize, tail: bool| {
        super::markdown::cut_note(
            &format!(
                "{rows} of {total} statement{}{} {}",
                if total == 1 { "" } else { "s" },
                if tail {
                    ", and part of what follows the table,"
                } else {
                    ""
                },
                if rows == 1 && !tail { "is" } else { "are" }
            ),
            limit,
            "`ddlint dry-run --format text` (or `--format json`)",
        )
    };
    let mut tail = Vec::new();
    markdown_tail(&mut tail, run)?;
    let tail = String::from_utf8_lossy(&tail);
    let keep_tail = (tail.len() as u64) <= limit / 2;
    let reserve = note(total, true).len() + if keep_tail { tail.len() } else { 0 };
    let mut out = super::markdown::Budget::new(o, limit, reserve);
    let ok = run.outcome == Outcome::Completed && run.left_behind.is_empty();
    out.put(&format!(
        "### {} ddlint dry-run\n\n{}  \nOn {} — {}.\n\n\
         | # | File | Statement | Duration | Locks observed | Waited | Result | ddlint check |\n\
         |---|------|-----------|---------:|----------------|-------:|--------|--------------|\n",
        if ok { ":white_check_mark:" } else { ":x:" },
        strip(&summary_line(run)),
        info.target,
        mode_line(run, info)
    ))?;
    let mut left = 0;
    for s in &run.statements {
        let locks: Vec<String> = s
            .observed_locks
            .iter()
            .map(|(r, m)| format!("`{}` {}", r, m.pg_name()))
            .collect();
        let result = match (&s.status, &s.error) {
            (Status::NotRun, _) => "not run".to_string(),
            (_, Some(e)) => format!(
                "**{} {}**{}{}",
                e.sqlstate,
                md_escape(&e.message),
                e.detail
                    .as_ref()
                    .map(|d| format!(" ({})", md_escape(d.trim_end_matches('.'))))
                    .unwrap_or_default(),
                e.explanation
                    .as_ref()
                    .map(|x| format!(" — {}", md_escape(x)))
                    .unwrap_or_default()
            ),
            _ if !s.disagreements.is_empty() => format!(
                "differs from prediction: {}",
                s.disagreements
                    .iter()
                    .map(|d| format!(
                        "{} {} predicted {}, observed {}",
                        d.what, d.relation, d.predicted, d.observed
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            _ => "ok".into(),
        };
        let check = checks.get(&s.number).map_or_else(
            || "-".to_string(),
            |v| {
                v.iter()
                    .map(|f| format!("{} `{}`", f.severity.as_str(), f.rule))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        let row = format!(
            "| {} | `{}:{}` | {} | {} | {} | {} | {} | {} |\n",
            s.number,
            md_escape(&s.path),
            s.line,
            md_escape(&s.kind),
            match (&s.status, &s.estimate) {
                (Status::NotRun, _) => "-".into(),
                (_, Some(e)) => format!(
                    "{} (estimated {})",
                    secs(s.duration_ms),
                    crate::stats::pretty_seconds(e.seconds)
                ),
                _ => secs(s.duration_ms),
            },
            if locks.is_empty() {
                "-".into()
            } else {
                locks.join(", ")
            },
            s.wait.as_ref().map_or("-".into(), |w| secs(w.waited_ms)),
            result,
            check
        );
        if !out.put(&row)? {
            left += 1;
        }
    }
    if keep_tail {
        if out.full() {
            out.end(&note(left, false))?;
        }
        out.end(&tail)
    } else {
        for line in tail.split_inclusive('\n') {
            out.put(line)?;
        }
        if out.full() {
            out.end(&note(left, true))?;
        }
        Ok(())
    }
}

/// What follows the Markdown statement table.
fn markdown_tail(o: &mut dyn Write, run: &Run) -> io::Result<()> {
    let waits: Vec<(usize, &Wait)> = run
        .statements
        .iter()
        .filter_map(|s| Some((s.number, s.wait.as_ref()?)))
        .collect();
    if !waits.is_empty() {
        writeln!(o, "\n**Lock waits**\n")?;
        for (number, w) in waits {
            let _ = write!(
                o,
                "- statement {number} waited **{}**{}",
                secs(w.waited_ms),
                w.waiting_for
                    .as_ref()
                    .map(|f| format!(" for {}", md_escape(f)))
                    .unwrap_or_default()
            );
            for (i, b) in w.blockers.iter().enumerate() {
                let _ = write!(
                    o,
                    "{} {}",
                    if i == 0 { ", behind" } else { ";" },
                    md_escape(&blocker_line(b))
                );
            }
            writeln!(o)?;
        }
    }
    if !run.blocking_windows.is_empty() {
        writeln!(o, "\n**Blocking windows**\n")?;
        for w in &run.blocking_windows {
            writeln!(
                o,
                "- {} `{}` blocked for **{}** ({}, {})",
                match w.blocked {
                    Blocked::Reads => "reads of",
                    Blocked::Writes => "writes to",
                },
                w.relation,
                secs(w.duration_ms),
                statements_label(w.statements),
                w.mode.pg_name()
            )?;
        }
        gantt(o, run)?;
    }
    if let Some(c) = &run.clients {
        writeln!(o, "\n**Clients**: {}\n", clients_line(c))?;
    }
    if !run.probes.is_empty() {
        writeln!(o, "\n**Probes** (measured)\n")?;
        writeln!(
            o,
            "| Relation | Operation | Blocked | Worst wait | Attempts |"
        )?;
        writeln!(
            o,
            "|----------|-----------|--------:|-----------:|---------:|"
        )?;
        for p in &run.probes {
            writeln!(
                o,
                "| `{}` | {} | {} | {} | {} |",
                p.relation,
                match (p.operation, p.statement) {
                    (Op::Read, _) => "read".to_string(),
                    (Op::Write, _) => "write".to_string(),
                    (Op::RowWrite, Some(n)) => format!("write to the rows statement {n} changes"),
                    (Op::RowWrite, None) => "row write".to_string(),
                },
                match p.in_deploy_ms.filter(|_| p.blocked_ms >= 1.0) {
                    Some(d) => format!(
                        "{} ({} in the deploy's windows)",
                        secs(p.blocked_ms),
                        secs(d)
                    ),
                    None => secs(p.blocked_ms),
                },
                secs(p.worst_ms),
                p.attempts
            )?;
        }
    }
    let pf = &run.preflight;
    if !pf.lock_holders.is_empty() {
        writeln!(o, "\n**Pre-flight**: {}\n", md_heading(CONFLICTS))?;
        for h in &pf.lock_holders {
            writeln!(
                o,
                "- {}",
                md_escape(&preflight_line(h, &format!("`{}`", h.relation)))
            )?;
        }
    }
    if !pf.long_transactions.is_empty() {
        writeln!(o, "\n**Pre-flight**: {}\n", md_heading(LONG))?;
        for s in &pf.long_transactions {
            writeln!(o, "- {}", md_escape(&blocker_line(s)))?;
        }
    }
    if !pf.notes.is_empty() || pf.error.is_some() {
        writeln!(o)?;
        for n in &pf.notes {
            writeln!(o, "- pre-flight note: {}", md_escape(n))?;
        }
        if let Some(e) = &pf.error {
            writeln!(o, "- pre-flight incomplete: {}", md_escape(e))?;
        }
    }
    if !run.cleanup.is_empty()
        || !run.left_behind.is_empty()
        || run.schema_unchanged.is_some()
        || run.committed_statements.is_some()
    {
        writeln!(o)?;
        if let Some(c) = committed_line(run) {
            writeln!(o, "- {c}")?;
        }
        for c in &run.cleanup {
            writeln!(o, "- cleanup: {c}")?;
        }
        for l in &run.left_behind {
            writeln!(o, "- **left behind**: {l}")?;
        }
        match run.schema_unchanged {
            Some(true) => {
                writeln!(o, "- schema verified unchanged (catalog fingerprint)")?;
            }
            Some(false) => {
                writeln!(o, "- **schema changed** (catalog fingerprint differs)")?;
            }
            None => {}
        }
    }
    for n in &run.notes {
        writeln!(o, "- note: {}", md_escape(n))?;
    }
    Ok(())
}

/// Text without colour codes (for Markdown).
fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\u{1b}') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// The live progress display on a terminal (stderr): where it runs, then
/// the statement, elapsed time, lock waits. Hidden when stderr is not a
/// terminal, and cleared when the run ends: the report names the target,
/// once.
pub struct Progress {
    enabled: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A progress display on stderr when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Progress {
        use std::io::IsTerminal;
        Progress {
            enabled: enabled && std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    fn style(template: &str) -> indicatif::ProgressStyle {
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
    }
}

/// A run that stops with an error leaves no progress behind.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl crate::dryrun::outcome::Progress for Progress {
    fn target(&mut self, target: &str) {
        if !self.enabled {
            return;
        }
        // History replay, seeding and the pre-flight come first.
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(Progress::style("dry-run: {prefix}\n{spinner} {msg}"));
        bar.set_prefix(target.to_string());
        bar.set_message("preparing");
        bar.enable_steady_tick(Duration::from_millis(100));
        self.bar = Some(bar);
    }

    fn start(&mut self, total: usize) {
        if !self.enabled {
            return;
        }
        let bar = self
            .bar
            .get_or_insert_with(indicatif::ProgressBar::new_spinner);
        bar.disable_steady_tick();
        bar.set_length(total as u64);
        bar.set_style(Progress::style(
            "dry-run: {prefix}\n{spinner} [{pos}/{len}] {msg}",
        ));
        bar.set_message("");
    }

    fn tick(&self, step: &Step, elapsed: Duration, waited: Duration) {
        if let Some(b) = &self.bar {
            b.set_position(step.number.saturating_sub(1) as u64);
            let wait = if waited.is_zero() {
                String::new()
            } else {
                format!(", waiting for a lock {:.1} s", waited.as_secs_f64())
            };
            b.set_message(format!(
                "{}:{} {} {:.1} s{wait}",
                step.path,
                step.line,
                step.kind,
                elapsed.as_secs_f64()
            ));
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
