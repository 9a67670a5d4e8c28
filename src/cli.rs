//! The command line: `ddlint check`. Exit codes: 0 no finding at or above
//! the failing severity, 1 findings, 2 usage, configuration or I/O errors.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::{self, txn::Wrapping, Input, Options};
use crate::report;
use crate::rules::{self, Severity};
use crate::source;

#[derive(Parser, Debug)]
#[command(
    name = "ddlint",
    version,
    about = "Keeps PostgreSQL schema migrations from taking production down.",
    long_about = "ddlint reads migration SQL the way your migration tool runs it, replays the whole \
history into a schema catalog, and reports for every statement which locks it takes on which \
tables, whether it rewrites or scans them, what that blocks, and the safe way to write it instead.",
    after_help = "Examples:\n  ddlint check migrations/\n  ddlint check --pg-version 13 --format json migrations/\n  ddlint check --schema schema.sql migrations/0042_add_index.sql"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint migrations: predict each statement's locks, rewrites and scans.
    #[command(
        after_help = "Files in a directory are the ordered history (numbers sort as numbers); later \
files see the schema built by earlier ones. Only files given (or found in directories given) are \
reported; --schema files seed the catalog without being reported.\n\nExit status: 0 when no finding \
reaches --fail-on, 1 when one does, 2 when the input cannot be used."
    )]
    Check(Box<CheckArgs>),
    /// List every rule: id, category, default severity and summary.
    Rules(RulesArgs),
    /// Show a rule's documentation: why it matters and what to write instead.
    Explain {
        /// The rule id, e.g. require-concurrent-index.
        #[arg(value_name = "RULE")]
        rule: String,
    },
    /// Write a commented default configuration (ddlint.yaml).
    Init {
        /// Where to write it.
        #[arg(default_value = "ddlint.yaml", value_name = "FILE")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Migration files, directories or globs, in order; `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The migration tool, which decides file order, up/down parts and
    /// transaction wrapping (detected from names and markers when absent).
    #[arg(long, value_enum, value_name = "TOOL")]
    pub layout: Option<source::Layout>,

    /// Set a psql variable or template placeholder (`:name`, `${NAME}`,
    /// `{{ .NAME }}`, graphile `:NAME`); repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Lint only migrations added or changed since this git ref (its merge
    /// base with HEAD), replaying the whole history for the catalog; an
    /// already-applied migration that was edited is an error.
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,

    /// Also lint down/rollback parts (replayed after all up parts, newest
    /// first).
    #[arg(long)]
    pub include_down: bool,

    /// The file name to report (and detect the layout from) for `-`.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// PostgreSQL major version the migrations will run on (11-18).
    /// [default: 15, or `pg_version` in the configuration]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(11..=18))]
    pub pg_version: Option<u32>,

    /// Output format [default: text; under GitHub Actions (GITHUB_ACTIONS=true)
    /// text plus `github` annotations].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the report to FILE instead of stdout; the terminal still gets
    /// the text report (e.g. `--format sarif --output ddlint.sarif`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print only findings (no lock table, nothing at all when clean): for
    /// pre-commit hooks.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print how many findings each rule produced.
    #[arg(long)]
    pub statistics: bool,

    /// Seed the catalog from a `pg_dump --schema-only` file (or any SQL that
    /// builds the existing schema) before replaying the migrations.
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,

    /// The migration tool runs each file inside one transaction.
    #[arg(long)]
    pub assume_in_transaction: bool,

    /// The server's TimeZone, for timestamp <-> timestamptz conversions
    /// (a SET timezone in the migration overrides it).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub timezone: String,

    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_name = "SEVERITY", default_value = "error", value_parser = ["error", "warning", "info"])]
    pub fail_on: String,

    /// List every statement in the text report, not only those that lock
    /// existing relations.
    #[arg(long)]
    pub all_statements: bool,

    /// Largest migration file accepted, in MB.
    #[arg(long, value_name = "MB", default_value_t = 16)]
    pub max_file_size: u64,

    /// When to use colour: auto (a terminal, unless NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Configuration file [default: the nearest ddlint.yaml or .ddlint.yaml
    /// from the current directory up].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Rewrite the files, applying the mechanical fixes (CONCURRENTLY,
    /// NOT VALID + VALIDATE, SET lock_timeout, USING INDEX, ...), then
    /// report what is left.
    #[arg(long)]
    pub fix: bool,

    /// Turn on rules or categories (comma-separated), e.g. `style`.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Turn off rules or categories (comma-separated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Longest acceptable lock_timeout (e.g. 5s) [default: 10s, or
    /// `lock_timeout_max` in the configuration].
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout_max: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, rustc style, with the lock table.
    Text,
    /// One line per finding: path:line:col: severity[rule]: message.
    Concise,
    /// The versioned JSON contract (see README).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// GitLab Code Quality report.
    Gitlab,
    /// JUnit XML, one test case per migration file.
    Junit,
    /// Markdown for a pull-request comment or job summary.
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn setup_color(choice: ColorChoice) {
    use std::io::IsTerminal;
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR")
                .map(|v| !v.is_empty())
                .unwrap_or(false)
            {
                false
            } else if std::env::var("CLICOLOR_FORCE")
                .map(|v| v != "0")
                .unwrap_or(false)
            {
                true
            } else {
                std::io::stdout().is_terminal()
            }
        }
    };
    colored::control::set_override(on);
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Rules(args) => list_rules(args),
        Command::Explain { rule } => explain(&rule),
        Command::Init { path, force } => init(&path, force),
    }
}

/// A directory whose detected layout reads only a small part of its SQL
/// files probably holds several projects (or the wrong layout was
/// detected): say so rather than lint a fraction silently.
fn warn_unread(paths: &[PathBuf], loaded: &source::Loaded) {
    for (p, (_, layout)) in paths.iter().zip(loaded.layouts.iter()) {
        if !p.is_dir() {
            continue;
        }
        let total = source::collect(std::slice::from_ref(p))
            .map(|v| v.len())
            .unwrap_or(0);
        let used: std::collections::BTreeSet<&std::path::Path> = loaded
            .parts
            .iter()
            .filter_map(|part| part.file.as_deref())
            .filter(|f| f.starts_with(p))
            .collect();
        if total >= 20 && used.len() * 4 < total {
            eprintln!(
                "ddlint: warning: {}: the {layout:?} layout reads {} of its {total} SQL files; if it holds several projects, pass each project's directory (or choose with --layout)",
                p.display(),
                used.len()
            );
        }
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

fn error(msg: impl std::fmt::Display) -> i32 {
    eprintln!("ddlint: error: {msg}");
    2
}

fn list_rules(args: RulesArgs) -> i32 {
    let metas = rules::meta::all();
    let out = match args.format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "title": m.title, "category": m.category,
                        "severity": m.severity, "enabled": m.enabled,
                        "since_pg": m.since_pg, "until_pg": m.until_pg, "summary": m.summary.trim(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v).expect("serializes") + "\n"
        }
        ListFormat::Text => {
            let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for m in metas {
                let sev = if m.enabled {
                    m.severity.as_str()
                } else {
                    "off"
                };
                s.push_str(&format!(
                    "{:<w$}  {:<13}  {:<7}  {}\n",
                    m.id,
                    m.category.as_str(),
                    sev,
                    m.summary.trim()
                ));
            }
            s
        }
    };
    print!("{out}");
    0
}

fn explain(id: &str) -> i32 {
    setup_color(ColorChoice::Auto);
    match rules::meta(id) {
        Some(m) => {
            print!("{}", rules::meta::explain(m));
            0
        }
        None => error(format!("no rule `{id}` (`ddlint rules` lists them)")),
    }
}

fn init(path: &std::path::Path, force: bool) -> i32 {
    if path.exists() && !force {
        return error(format!(
            "{} already exists (use --force to overwrite it)",
            path.display()
        ));
    }
    match std::fs::write(path, rules::config::DEFAULT_CONFIG) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            0
        }
        Err(e) => error(format!("{}: {e}", path.display())),
    }
}

/// The configuration file (if any) with the command line applied over it.
fn settings_for(args: &CheckArgs) -> Result<rules::Settings, String> {
    let file = if args.no_config {
        None
    } else if let Some(p) = &args.config {
        Some(p.clone())
    } else {
        std::env::current_dir()
            .ok()
            .and_then(|d| rules::config::discover(&d))
    };
    let mut s = match &file {
        Some(p) => rules::Settings::load(p).map_err(|e| e.to_string())?,
        None => rules::Settings::default(),
    };
    if let Some(v) = args.pg_version {
        s.pg_version = Some(v);
    }
    if args.assume_in_transaction {
        s.assume_in_transaction = Some(true);
    }
    if let Some(t) = &args.lock_timeout_max {
        s.lock_timeout_max = rules::config::parse_duration(t)
            .ok_or_else(|| format!("--lock-timeout-max: `{t}` is not a duration (e.g. 5s)"))?;
    }
    s.with_cli(&args.select, &args.ignore)
        .map_err(|e| e.to_string())
}

pub fn check(args: CheckArgs) -> i32 {
    setup_color(args.color);
    let settings = match settings_for(&args) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    if args.fix && args.paths.iter().any(|p| p.as_os_str() == "-") {
        return error("--fix rewrites files; it cannot rewrite stdin (`-`)");
    }
    // Config `variables:`, overridden by --var.
    let mut vars = settings.variables.clone();
    vars.extend(args.vars.iter().cloned());
    let sopts = source::Options {
        layout: args.layout,
        vars,
        include_down: args.include_down,
        exclude: Vec::new(),
        stdin_filename: args.stdin_filename.clone(),
        assume_in_transaction: settings.assume_in_transaction.unwrap_or(false),
        max_file_bytes: args.max_file_size.saturating_mul(1_048_576),
    };
    let changes = match &args.since {
        Some(r) => match source::git::changes(r, &source::git_dir(&args.paths)) {
            Ok(c) => Some(c),
            Err(e) => return error(e),
        },
        None => None,
    };
    let mut schema = Vec::new();
    for s in &args.schema {
        match source::read_text_limited(s, args.max_file_size.saturating_mul(1_048_576)) {
            Ok(text) => schema.push(Input {
                path: s.display().to_string(),
                text,
                wrapping: Wrapping::Autocommit,
                report: false,
                map: None,
            }),
            Err(e) => return error(e),
        }
    }
    let opts = Options {
        pg_version: settings.pg_version.unwrap_or(model::DEFAULT_PG),
        timezone_utc: model::session::is_utc_zone(&args.timezone),
    };
    let warned = std::cell::Cell::new(false);
    let run = || -> Result<(model::Analysis, Vec<rules::Finding>), source::SourceError> {
        let loaded = source::load_with(&args.paths, &sopts, &|p| settings.excluded(p))?;
        if !warned.replace(true) {
            warn_unread(&args.paths, &loaded);
        }
        let mut inputs = schema.clone();
        for part in loaded.parts.iter().cloned() {
            let report = source::reported(&part, changes.as_ref());
            inputs.push(part.into_input(report));
        }
        let (analysis, mut findings) = rules::run(inputs, &opts, &settings);
        findings.extend(source::findings(&loaded.notes, &analysis, &settings));
        if let (Some(c), Some(r)) = (&changes, &args.since) {
            findings.extend(source::git_findings(c, r, &analysis, &settings));
        }
        findings.sort_by(|a, b| {
            (a.file, a.line, a.column, a.rule).cmp(&(b.file, b.line, b.column, b.rule))
        });
        Ok((analysis, findings))
    };
    let (mut analysis, mut findings) = match run() {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    if args.fix {
        let fixed = match source::apply_fixes(&analysis, &findings) {
            Ok(f) => f,
            Err(e) => return error(e),
        };
        for (path, n) in &fixed {
            eprintln!("fixed {path}: {n} edit{}", if *n == 1 { "" } else { "s" });
        }
        if !fixed.is_empty() {
            (analysis, findings) = match run() {
                Ok(r) => r,
                Err(e) => return error(e),
            };
        }
    }
    let threshold = Severity::parse(&args.fail_on).unwrap_or(Severity::Error);
    let on_github = std::env::var("GITHUB_ACTIONS")
        .map(|v| v == "true")
        .unwrap_or(false);
    let text = |quiet: bool| {
        let mut t = if quiet {
            findings.iter().fold(String::new(), |mut acc, f| {
                report::text::render_finding(&mut acc, &analysis, f);
                acc
            })
        } else {
            report::text::render(
                &analysis,
                &findings,
                &report::text::TextOptions {
                    all_statements: args.all_statements,
                    show_locks: true,
                },
            )
        };
        if args.statistics {
            t.push_str(&report::render_statistics(&findings));
        }
        t
    };
    let render = |format: Format| -> String {
        match format {
            Format::Text => text(args.quiet),
            Format::Concise => report::concise::render(&analysis, &findings),
            Format::Json => report::json::render(&analysis, &findings),
            Format::Sarif => report::sarif::render(&analysis, &findings),
            Format::Github => report::github::render(&analysis, &findings),
            Format::Gitlab => report::gitlab::render(&analysis, &findings),
            Format::Junit => report::junit::render(&analysis, &findings, threshold),
            Format::Markdown => report::markdown::render(&analysis, &findings),
        }
    };
    let (file_out, stdout_text) = match (args.format, &args.output) {
        (Some(f), Some(path)) => (Some((path, render(f))), text(args.quiet)),
        (None, Some(path)) => (Some((path, text(args.quiet))), String::new()),
        (Some(f), None) => (None, render(f)),
        (None, None) if on_github => {
            let mut t = text(args.quiet);
            t.push_str(&report::github::render(&analysis, &findings));
            (None, t)
        }
        (None, None) => (None, text(args.quiet)),
    };
    if let Some((path, body)) = file_out {
        if let Err(e) = std::fs::write(path, body) {
            return error(format!("{}: cannot write the report: {e}", path.display()));
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(stdout_text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return error(format!("writing the report: {e}"));
        }
    }
    if findings.iter().any(|f| f.severity >= threshold) {
        1
    } else {
        0
    }
}
