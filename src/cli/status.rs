//! `ddlint status`: the deploy gate. The files against the migration
//! tool's history table on the database, and migrations running now.
//! Exit status: 0 all applied, none running; 1 pending or running; 2
//! changed or failed; 3 could not tell.

use std::io::Write;

use serde::Serialize;

use super::{setup_color, StatusArgs, StatusFormat};
use crate::dryrun::connect::Target;
use crate::dryrun::history::{self as history, Running};
use crate::input::Layout;
use crate::source::history::State;
use crate::source::{SourceArgs, Sources};

#[derive(Serialize)]
struct Report {
    version: u32,
    target: String,
    projects: Vec<Project>,
    running: Vec<Running>,
    /// ok, pending, running, changed, failed or unknown.
    status: &'static str,
    exit_code: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<String>,
}

#[derive(Serialize)]
struct Project {
    root: String,
    tool: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'static str>,
    migrations: Vec<Migration>,
    /// Rows of the history table that name no file given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unknown_rows: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    /// Said when the tool keeps no checksums (edits go unseen here).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Serialize)]
struct Migration {
    path: String,
    /// Where the migration starts, when it is a part of the file (an
    /// Alembic revision, a Liquibase changeset).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    key: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded_checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

pub fn status(args: StatusArgs) -> i32 {
    setup_color(args.common.color);
    let report = match gather(&args) {
        Ok(r) => r,
        Err(e) => Report {
            version: 1,
            target: args.db.clone().unwrap_or_default(),
            projects: Vec::new(),
            running: Vec::new(),
            status: "unknown",
            exit_code: 3,
            problems: vec![e],
        },
    };
    let mut out = std::io::stdout().lock();
    let _ = match args.format {
        StatusFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
        StatusFormat::Text => text(&mut out, &report),
        StatusFormat::Markdown => markdown(&mut out, &report),
    };
    let _ = out.flush();
    if args.format != StatusFormat::Text {
        for p in &report.problems {
            eprintln!("ddlint: error: {p}");
        }
    }
    report.exit_code
}

fn gather(args: &StatusArgs) -> Result<Report, String> {
    let settings = args.common.settings()?;
    let sources = Sources::new(
        &SourceArgs {
            layout: args.tool.layout,
            vars: &args.tool.vars,
            since: None,
            include_down: false,
            stdin_filename: None,
            schema: &[],
            max_file_size: args.common.max_file_size,
            variables: &settings.variables,
            assume_in_transaction: false,
            applied: None,
        },
        &args.paths,
    )
    .map_err(|e| e.to_string())?;
    let (loaded, inputs) = sources
        .load(&args.paths, &|p| settings.excluded(p))
        .map_err(|e| e.to_string())?;
    if let Some(e) = loaded.failed.first() {
        return Err(e.to_string());
    }
    let target = Target::resolve(args.db.as_deref()).map_err(|e| e.to_string())?;
    let mut client = target.connect("ddlint status").map_err(|e| e.to_string())?;
    let mut report = Report {
        version: 1,
        target: target.describe(),
        projects: Vec::new(),
        running: Vec::new(),
        status: "ok",
        exit_code: 0,
        problems: Vec::new(),
    };
    let mut tables = Vec::new();
    for (pi, info) in loaded.coverage.projects.iter().enumerate() {
        // The project's files, once each (a file may be read in parts).
        let mut seen = std::collections::BTreeSet::new();
        let files: Vec<&crate::input::Input> = inputs
            .iter()
            .filter(|i| i.project == Some(pi) && seen.insert(i.path.clone()))
            .collect();
        let Some(layout) = files
            .first()
            .map(|i| i.layout)
            .or(info.layouts.first().copied())
        else {
            continue;
        };
        let mut project = Project {
            root: info.root.clone(),
            tool: layout.name(),
            table: None,
            migrations: Vec::new(),
            unknown_rows: Vec::new(),
            problem: None,
            note: None,
        };
        let Some(spec) = crate::source::history::spec(layout) else {
            project.problem = Some(format!(
                "ddlint does not read {}'s history yet: whether its migrations ran cannot be told here (ddlint.lock and --since still work)",
                layout.name()
            ));
            report.projects.push(project);
            continue;
        };
        project.table = Some(spec.table);
        if spec.checksum.is_none() {
            project.note = Some(format!(
                "{} records no checksums: an applied migration edited since is not seen here (ddlint.lock or `check --since` catches it)",
                spec.table
            ));
        }
        tables.push(spec.table);
        let entries = match history::read(&mut client, &spec)? {
            Some(e) => e,
            None => {
                project.problem = Some(format!(
                    "no {} table on {}: is this the right database (or has {} never run here)?",
                    spec.table,
                    target.describe(),
                    layout.name()
                ));
                report.projects.push(project);
                continue;
            }
        };
        let (states, orphans) = history::classify_inputs(&spec, layout, files, &entries);
        if spec.heads && !orphans.is_empty() {
            project.problem = Some(format!(
                "{} holds {}, which no file given names: cannot tell which revisions it includes (give the offline SQL of every revision up to it, e.g. `alembic upgrade head --sql` from the base)",
                spec.table,
                orphans.iter().map(|e| e.key.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let parts = matches!(layout, Layout::Alembic | Layout::Liquibase);
        for history::FileState { path, unit, state } in states {
            let mut m = Migration {
                path,
                line: parts.then_some(unit.line),
                key: unit.key,
                state: state.as_str(),
                recorded_checksum: None,
                file_checksum: None,
                note: None,
            };
            match state {
                State::Changed { recorded, file } => {
                    m.note = Some(format!(
                        "applied, then edited: {} recorded {} {recorded}, the file's is {file}; the database has the old version (a modified-applied-migration)",
                        spec.table,
                        spec.checksum.map(|c| c.describe()).unwrap_or("checksum")
                    ));
                    m.recorded_checksum = Some(recorded);
                    m.file_checksum = Some(file);
                }
                State::BelowBaseline => {
                    m.note = Some(format!(
                        "at or below the baseline {} records: {} never runs it",
                        spec.table,
                        layout.name()
                    ));
                }
                State::Failed => {
                    m.note = Some(if spec.failed_help.is_empty() {
                        "the history table marks it failed".to_string()
                    } else {
                        spec.failed_help.to_string()
                    });
                }
                _ => {}
            }
            project.migrations.push(m);
        }
        project.unknown_rows = orphans.into_iter().map(|e| e.key).collect();
        report.projects.push(project);
    }
    let table = tables.first().copied();
    report.running = history::running(&mut client, table)?;
    let states: Vec<&str> = report
        .projects
        .iter()
        .flat_map(|p| p.migrations.iter().map(|m| m.state))
        .collect();
    let (status, code) = if states.contains(&"changed") {
        ("changed", 2)
    } else if states.contains(&"failed") {
        ("failed", 2)
    } else if report.projects.iter().any(|p| p.problem.is_some()) {
        ("unknown", 3)
    } else if states.contains(&"pending") {
        ("pending", 1)
    } else if !report.running.is_empty() {
        ("running", 1)
    } else {
        ("ok", 0)
    };
    report.status = status;
    report.exit_code = code;
    report.problems = report
        .projects
        .iter()
        .filter_map(|p| p.problem.clone())
        .collect();
    Ok(report)
}

fn verdict(r: &Report) -> String {
    let count = |s: &str| {
        r.projects
            .iter()
            .flat_map(|p| &p.migrations)
            .filter(|m| m.state == s)
            .count()
    };
    match r.status {
        "ok" => "every migration is applied and none is running: safe to promote".into(),
        "pending" => format!(
            "{} pending: do not promote code that needs them yet",
            count("pending")
        ),
        "running" => "a migration is running: wait for it before promoting".into(),
        "changed" => format!(
            "{} applied migration(s) changed since they ran: stop, the database does not have what the files say",
            count("changed")
        ),
        "failed" => format!(
            "{} failed migration(s): stop, the tool will not run until it is resolved",
            count("failed")
        ),
        _ => "could not tell".into(),
    }
}

fn text(o: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    use colored::Colorize;
    writeln!(o, "{} {}", "status:".bold(), r.target)?;
    for p in &r.projects {
        writeln!(
            o,
            "\n{} ({}{})",
            p.root.bold(),
            p.tool,
            p.table.map(|t| format!(", {t}")).unwrap_or_default()
        )?;
        if let Some(problem) = &p.problem {
            writeln!(o, "  {} {problem}", "cannot tell:".yellow().bold())?;
        }
        if let (Some(n), None) = (&p.note, &p.problem) {
            writeln!(o, "  {} {n}", "note:".cyan())?;
        }
        for m in &p.migrations {
            let state = match m.state {
                "applied" => m.state.green(),
                "pending" => m.state.yellow(),
                _ => m.state.red().bold(),
            };
            match m.line {
                Some(l) => writeln!(o, "  {:<8} {}:{l} ({})", state, m.path, m.key)?,
                None => writeln!(o, "  {:<8} {}", state, m.path)?,
            }
            if let Some(n) = &m.note {
                writeln!(o, "           {n}")?;
            }
        }
        for k in &p.unknown_rows {
            writeln!(
                o,
                "  {:<8} {k}: recorded in the table, no such file among those given",
                "no file".dimmed()
            )?;
        }
    }
    if r.running.is_empty() {
        if r.exit_code != 3 || !r.projects.is_empty() {
            writeln!(o, "\nrunning now: nothing")?;
        }
    } else {
        writeln!(o, "\n{}", "running now:".yellow().bold())?;
        for s in &r.running {
            writeln!(
                o,
                "  pid {} ({}, user {}, {}) for {:.1} s: {}: {}",
                s.pid,
                if s.application_name.is_empty() {
                    "no application_name"
                } else {
                    &s.application_name
                },
                s.user,
                s.state,
                s.seconds,
                s.why,
                s.query
            )?;
            if !s.holds.is_empty() {
                writeln!(o, "      holds {}", s.holds.join(", "))?;
            }
            if !s.waits.is_empty() {
                writeln!(o, "      waits for {}", s.waits.join(", "))?;
            }
        }
    }
    for p in &r.problems {
        if r.projects.iter().all(|x| x.problem.as_ref() != Some(p)) {
            writeln!(o, "{} {p}", "error:".red().bold())?;
        }
    }
    writeln!(o, "\n{} (exit {})", verdict(r), r.exit_code)
}

fn markdown(o: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    writeln!(o, "### ddlint status: {}\n", verdict(r))?;
    writeln!(o, "Target: `{}`\n", r.target)?;
    for p in &r.projects {
        writeln!(o, "**{}** ({})\n", p.root, p.tool)?;
        if let Some(problem) = &p.problem {
            writeln!(o, "> cannot tell: {problem}\n")?;
        }
        if !p.migrations.is_empty() {
            writeln!(o, "| migration | state | note |\n|---|---|---|")?;
            for m in &p.migrations {
                writeln!(
                    o,
                    "| `{}{}` | {} | {} |",
                    m.path,
                    m.line
                        .map(|l| format!(":{l} ({})", m.key))
                        .unwrap_or_default(),
                    m.state,
                    m.note.as_deref().unwrap_or("").replace('|', "\\|")
                )?;
            }
            writeln!(o)?;
        }
    }
    for s in &r.running {
        writeln!(
            o,
            "- running: pid {} ({}) for {:.1} s: {}: `{}`",
            s.pid, s.application_name, s.seconds, s.why, s.query
        )?;
    }
    for p in &r.problems {
        writeln!(o, "- error: {p}")?;
    }
    Ok(())
}
