//! `ddlint check`: read, replay, judge and report.

use std::io::Write;

use super::{setup_color, CheckArgs, Error, Format};
use crate::model::{self, Options};
use crate::report;
use crate::rules::{self, Severity};
use crate::source::{self, SourceArgs, Sources};

/// The configuration file (if any) with the command line applied over it.
fn settings_for(args: &CheckArgs) -> Result<rules::Settings, String> {
    let mut s = args.common.settings()?;
    if let Some(v) = args.pg_version {
        s.pg_version = Some(v);
    }
    s.ungrouped = args.ungrouped;
    if args.assume_in_transaction {
        s.assume_in_transaction = Some(true);
    }
    if let Some(t) = &args.lock_timeout_max {
        s.lock_timeout_max = rules::config::parse_duration(t)
            .ok_or_else(|| format!("--lock-timeout-max: `{t}` is not a duration (e.g. 5s)"))?;
    }
    s.load_stats(args.stats.as_deref())
        .map_err(|e| e.to_string())?;
    s.with_cli(&args.select, &args.ignore)
        .map_err(|e| e.to_string())
}

pub fn check(args: CheckArgs) -> Result<i32, Error> {
    setup_color(args.common.color);
    let settings = settings_for(&args)?;
    if args.fix && args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("--fix rewrites files; it cannot rewrite stdin (`-`)".into());
    }
    let lock = args.applied.lock_file()?;
    let sources = Sources::new(
        &SourceArgs {
            layout: args.tool.layout,
            vars: &args.tool.vars,
            since: args.since.as_deref(),
            include_down: args.include_down,
            stdin_filename: args.stdin_filename.clone(),
            schema: &args.schema,
            max_file_size: args.common.max_file_size,
            variables: &settings.variables,
            assume_in_transaction: settings.assume_in_transaction.unwrap_or(false),
            applied: lock.as_deref(),
        },
        &args.paths,
    )?;
    let changes = &sources.changes;
    let opts = Options {
        pg_version: settings.pg_version.unwrap_or(model::DEFAULT_PG),
        timezone_utc: model::session::is_utc_zone(&args.timezone),
    };
    let warned = std::cell::Cell::new(false);
    type Checked = (model::Analysis, Vec<rules::Finding>, source::Loaded);
    let run = || -> Result<Checked, source::SourceError> {
        let (mut loaded, mut inputs) = sources.load(&args.paths, &|p| settings.excluded(p))?;
        settings.prepare_sessions(&mut inputs);
        if !warned.replace(true) {
            // Projects that could not be read are not linted; the others
            // are, and the run does not pass (exit status 2).
            for e in &loaded.failed {
                eprintln!("ddlint: error: {e}");
            }
            if let Some(a) = &sources.applied {
                for g in sources.gone(&loaded) {
                    eprintln!(
                        "ddlint: warning: {g} is recorded as applied in {} but is gone; databases that applied it still have its changes",
                        a.shown()
                    );
                }
            }
        }
        let since = match (changes, &args.since) {
            (Some(c), Some(r)) => {
                for d in &c.deleted {
                    eprintln!(
                        "ddlint: warning: {d} existed at {r} and was deleted; if it was applied, the database still has its changes"
                    );
                }
                Some((c, r.as_str()))
            }
            _ => None,
        };
        let facts = rules::SourceFacts {
            notes: &loaded.notes,
            since,
        };
        let (analysis, findings) = rules::run_with(inputs, facts, &opts, &settings);
        // The parts' texts moved to the analysis; the rest is small.
        loaded.parts.clear();
        Ok((analysis, findings, loaded))
    };
    let (mut analysis, mut findings, mut loaded) = run()?;
    if args.fix {
        let fixed = rules::fix::apply_to_files(&analysis, &findings)?;
        for (path, n) in &fixed {
            eprintln!("fixed {path}: {n} edit{}", if *n == 1 { "" } else { "s" });
        }
        if !fixed.is_empty() {
            (analysis, findings, loaded) = run()?;
        }
    }
    let threshold = Severity::parse(&args.fail_on).unwrap_or(Severity::Error);
    let on_github = std::env::var("GITHUB_ACTIONS")
        .map(|v| v == "true")
        .unwrap_or(false);
    let coverage = &loaded.coverage;
    // Reports are written as they are produced, not built as one string: a
    // monorepo's report can be larger than everything else ddlint holds.
    // `None` is the terminal report.
    // JSON is indented for a terminal, compact for a file or a pipe.
    let emit = |format: Option<Format>, w: &mut dyn Write, tty: bool| -> std::io::Result<()> {
        match format {
            None | Some(Format::Text) => {
                let opts = report::text::TextOptions {
                    explain: args.explain,
                    all_statements: args.all_statements,
                    quiet: args.quiet,
                    width: report::text::TextOptions::terminal_width(),
                };
                report::text::write(w, &analysis, &findings, coverage, &opts)?;
                if args.statistics {
                    w.write_all(report::render_statistics(&findings).as_bytes())?;
                }
                Ok(())
            }
            Some(Format::Json) if args.statistics => {
                let none = |_: usize, _: usize| serde_json::Map::new();
                let mut top = serde_json::Map::new();
                top.insert("statistics".into(), report::statistics_json(&findings));
                let ext = report::json::Extension {
                    statement: &none,
                    top,
                    summary: serde_json::Map::new(),
                };
                report::json::write(w, &analysis, &findings, coverage, Some(&ext), tty)
            }
            Some(Format::Json) => report::json::write(w, &analysis, &findings, coverage, None, tty),
            Some(Format::Markdown) if args.statistics => {
                // The table counts towards the limit.
                let stats = report::statistics_markdown(&findings);
                let limit = args
                    .markdown
                    .markdown_limit
                    .saturating_sub(stats.len() as u64);
                report::markdown::write(w, &analysis, &findings, limit.max(1024))?;
                w.write_all(stats.as_bytes())
            }
            Some(Format::Sarif) => report::sarif::write(w, &analysis, &findings),
            Some(Format::Gitlab) => report::gitlab::write(w, &analysis, &findings),
            Some(Format::Concise) => report::concise::write(w, &analysis, &findings),
            Some(Format::Github) => report::github::write(w, &analysis, &findings),
            Some(Format::Junit) => report::junit::write(w, &analysis, &findings, threshold),
            Some(Format::Markdown) => {
                report::markdown::write(w, &analysis, &findings, args.markdown.markdown_limit)
            }
        }
    };
    // With --output the file gets the chosen format (the terminal report by
    // default) and the terminal the terminal report, unless that is what the
    // file got.
    if let Some(path) = &args.output {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            emit(args.format, &mut w, false)?;
            w.flush()
        });
        if let Err(e) = written {
            return Err(Error::Report(format!(
                "{}: cannot write the report: {e}",
                path.display()
            )));
        }
    }
    let to_stdout: &[Option<Format>] = match (args.format, &args.output) {
        (Some(_), Some(_)) => &[None],
        (None, Some(_)) => &[],
        (Some(f), None) => &[Some(f)],
        (None, None) if on_github => &[None, Some(Format::Github)],
        (None, None) => &[None],
    };
    // Machine-read formats keep their document valid: the statistics go
    // to stderr.
    let machine = matches!(
        args.format,
        Some(Format::Sarif | Format::Gitlab | Format::Concise | Format::Github | Format::Junit)
    );
    if args.statistics && machine {
        eprint!("{}", report::render_statistics(&findings));
    }
    let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = to_stdout
        .iter()
        .try_for_each(|f| emit(*f, &mut stdout, tty))
        .and_then(|_| stdout.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Error::Report(format!("writing the report: {e}")));
        }
        _ => {}
    }
    let code = if !loaded.failed.is_empty() {
        2
    } else if findings.iter().any(|f| f.severity >= threshold) {
        1
    } else {
        0
    };
    // The process ends with the report: freeing a large history's
    // analysis piece by piece would only delay the exit.
    std::mem::forget(analysis);
    std::mem::forget(findings);
    Ok(code)
}
