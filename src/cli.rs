//! The command line: `ddlint check`. Exit codes: 0 no finding at or above
//! the failing severity, 1 findings, 2 usage, configuration or I/O errors.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::{self, Input, Options};
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
reported; --schema files seed the catalog without being reported.\n\nA directory that holds several \
projects (a monorepo) is read project by project: each directory whose file names or markers decide \
a migration tool (or, below the directory given, that holds a ddlint.yaml) is a project with its own \
layout and its own catalog, and SQL files outside any are plain scripts grouped by directory. --schema seeds every project. SQL \
files not read are listed with why (text report, JSON `skipped`).\n\nExit status: 0 when no finding \
reaches --fail-on, 1 when one does, 2 when the input cannot be used (or a project could not be \
read: the others are still reported)."
    )]
    Check(Box<CheckArgs>),
    /// Run migrations on a real PostgreSQL and measure locks, waits, blockers, durations.
    #[command(
        name = "dry-run",
        after_help = "Without --db, a throwaway PostgreSQL is started (initdb + pg_ctl from --pg-bin, \
PATH or /usr/lib/postgresql/*/bin), the files before --since are replayed into it (committed), and \
the rest are dry-run; the server is removed afterwards, also on Ctrl-C.\n\nWith --db (a URL such as \
postgres://deploy@db.internal:5432/app?sslmode=verify-full, a key=value string, or empty to use \
PGHOST/PGUSER/... and ~/.pgpass), the files given (or changed since --since) run against that \
database - best a restored production snapshot - and everything is rolled back at the end unless \
--commit: statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY) run outside it \
and what they create is dropped afterwards; what cannot be undone is refused before anything runs.\n\n\
Exit status: 0 all statements ran, 1 a statement failed (error, lock or statement timeout), \
2 could not run (connection, refusal, lost connection, something left behind), 130 interrupted.\n\n\
Examples:\n  ddlint dry-run migrations/ --since origin/main --seed-rows 100000\n  \
ddlint dry-run --db \"$SNAPSHOT_URL\" --probe migrations/0042_orders.sql\n  \
ddlint dry-run --db \"$SNAPSHOT_URL\" --format markdown -o dry-run.md migrations/0042_orders.sql"
    )]
    DryRun(Box<DryRunArgs>),
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

/// How the migration tool reads the files: shared by check and dry-run.
#[derive(clap::Args, Debug)]
pub struct ToolArgs {
    /// The migration tool, which decides file order, up/down parts and
    /// transaction wrapping; each directory given is then one project of
    /// that tool [default: detected per project from names and markers].
    #[arg(long, value_enum, value_name = "TOOL")]
    pub layout: Option<source::Layout>,

    /// Set a psql variable or template placeholder (`:name`, `${NAME}`,
    /// `{{ .NAME }}`, graphile `:NAME`); repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
}

/// Configuration, colour and input limits: shared by check and dry-run.
#[derive(clap::Args, Debug)]
pub struct CommonArgs {
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
}

impl CommonArgs {
    /// The configuration file: `--config`, else the nearest one, unless
    /// `--no-config`.
    pub fn settings(&self) -> Result<rules::Settings, String> {
        let file = if self.no_config {
            None
        } else if let Some(p) = &self.config {
            Some(p.clone())
        } else {
            std::env::current_dir()
                .ok()
                .and_then(|d| rules::config::discover(&d))
        };
        match &file {
            Some(p) => rules::Settings::load(p).map_err(|e| e.to_string()),
            None => Ok(rules::Settings::default()),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Migration files, directories or globs, in order; `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub tool: ToolArgs,

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
    /// builds the existing schema) before replaying the migrations; with
    /// several projects, every project starts from it.
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,

    /// The migration tool runs each file inside one transaction.
    #[arg(long)]
    pub assume_in_transaction: bool,

    /// The server's TimeZone, for timestamp <-> timestamptz conversions
    /// (a SET timezone in the migration overrides it): a zone name, a
    /// POSIX spec or hours east of UTC (`-7`), as PostgreSQL accepts them.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = timezone_arg, allow_hyphen_values = true)]
    pub timezone: String,

    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_name = "SEVERITY", default_value = "error", value_parser = ["error", "warning", "info"])]
    pub fail_on: String,

    /// List every statement in the text report, not only those that lock
    /// existing relations.
    #[arg(long)]
    pub all_statements: bool,

    #[command(flatten)]
    pub common: CommonArgs,

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

#[derive(clap::Args, Debug)]
pub struct DryRunArgs {
    /// Migration files, directories or globs, in order.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The database to run on: a URL (postgres://user@host:port/db?sslmode=require)
    /// or key=value string; passwords come best from PGPASSWORD or ~/.pgpass.
    /// Without it, a throwaway local server is started.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,

    /// Keep the changes (on --db). Without it everything is rolled back and
    /// what ran outside a transaction is undone.
    #[arg(long)]
    pub commit: bool,

    /// lock_timeout for the migration session ("off" or 0 to wait forever).
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub lock_timeout: String,

    /// statement_timeout for the migration session.
    #[arg(long, value_name = "DURATION", default_value = "off")]
    pub statement_timeout: String,

    /// deadlock_timeout (also how soon log_lock_waits logs a wait), where
    /// the role may set it.
    #[arg(long, value_name = "DURATION", default_value = "100ms")]
    pub deadlock_timeout: String,

    /// Do not set log_lock_waits = on (and deadlock_timeout).
    #[arg(long)]
    pub no_log_lock_waits: bool,

    /// application_name of the migration session (what other sessions see
    /// in pg_stat_activity).
    #[arg(long, value_name = "NAME", default_value = "ddlint")]
    pub application_name: String,

    /// Measure blocked reads and writes: sessions that keep reading and
    /// writing (no-op) each table the migration touches while it runs.
    #[arg(long)]
    pub probe: bool,

    /// TimeZone of the migration session, where the migration tool's
    /// connection sets one (JDBC sends the JVM's) [default: the server's].
    #[arg(long, value_name = "ZONE", value_parser = timezone_arg, allow_hyphen_values = true)]
    pub timezone: Option<String>,

    /// Pre-flight: report transactions older than this.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub long_transaction: String,

    /// Throwaway server only: fill each table that exists before the
    /// dry-run with N synthetic rows, so durations mean something.
    #[arg(long, value_name = "N")]
    pub seed_rows: Option<u64>,

    /// Directory with initdb and pg_ctl for the throwaway server.
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,

    /// Dry-run only migrations added or changed since this git ref; the
    /// earlier ones are the history (replayed on a throwaway server, taken
    /// as applied with --db).
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,

    #[command(flatten)]
    pub tool: ToolArgs,

    /// SQL that builds the existing schema (pg_dump --schema-only): for the
    /// prediction with --db; replayed first on a throwaway server.
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,

    /// The migration tool runs each file inside one transaction.
    #[arg(long)]
    pub assume_in_transaction: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = report::dryrun::Format::Text)]
    pub format: report::dryrun::Format,

    /// Write the report to FILE; the terminal still gets the text report.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// No progress line, and no "ddlint dry-run: <target>" line on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--timezone`: refused here, with the closest names, when PostgreSQL
/// would refuse it (exit 2), rather than silently taken for "not UTC".
fn timezone_arg(v: &str) -> Result<String, String> {
    model::timezone::parse(v)
        .map(|_| v.to_string())
        .map_err(|e| e.to_string())
}

fn duration_arg(name: &str, v: &str) -> Result<Option<std::time::Duration>, String> {
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    model::session::parse_duration_ms(v)
        .ok_or_else(|| format!("--{name}: `{v}` is not a duration (e.g. 2s, 500ms, 1min, off)"))
}

pub fn dry_run(args: DryRunArgs) -> i32 {
    setup_color(args.common.color);
    let prepared = (|| -> Result<crate::dryrun::Request, String> {
        let mut settings = args.common.settings()?;
        if args.assume_in_transaction {
            settings.assume_in_transaction = Some(true);
        }
        let sources = Sources::new(
            &SourceArgs {
                layout: args.tool.layout,
                vars: &args.tool.vars,
                since: args.since.as_deref(),
                include_down: false,
                stdin_filename: None,
                schema: &args.schema,
                max_file_size: args.common.max_file_size,
            },
            &args.paths,
            &settings,
        )?;
        let (loaded, inputs) = sources
            .load(&args.paths, &settings)
            .map_err(|e| e.to_string())?;
        if let Some(e) = loaded.failed.first() {
            return Err(e.to_string());
        }
        // One database: projects that check replays apart cannot run in it
        // together.
        let projects = &loaded.coverage.projects;
        if projects.len() > 1 {
            let names: Vec<&str> = projects.iter().map(|p| p.root.as_str()).collect();
            return Err(format!(
                "dry-run runs one project's migrations on one database, and these paths hold {}: {}; dry-run each project's directory on its own",
                projects.len(),
                names.join(", ")
            ));
        }
        Ok(crate::dryrun::Request {
            inputs,
            coverage: loaded.coverage,
            db: args.db.clone(),
            pg_bin: args.pg_bin.clone(),
            seed_rows: args.seed_rows,
            config: crate::dryrun::run::Config {
                commit: args.commit,
                lock_timeout: duration_arg("lock-timeout", &args.lock_timeout)?,
                statement_timeout: duration_arg("statement-timeout", &args.statement_timeout)?,
                deadlock_timeout: duration_arg("deadlock-timeout", &args.deadlock_timeout)?,
                log_lock_waits: !args.no_log_lock_waits,
                probe: args.probe,
                long_transaction: duration_arg("long-transaction", &args.long_transaction)?
                    .unwrap_or(std::time::Duration::from_secs(60)),
                timezone: args.timezone.clone(),
            },
            application_name: args.application_name.clone(),
            settings,
            format: args.format,
            output: args.output.clone(),
            quiet: args.quiet,
        })
    })();
    match prepared {
        Ok(req) => crate::dryrun::command(req),
        Err(e) => error(e),
    }
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
        Command::DryRun(args) => dry_run(*args),
        Command::Rules(args) => list_rules(args),
        Command::Explain { rule } => explain(&rule),
        Command::Init { path, force } => init(&path, force),
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

/// What decides which files run, in which order, and how.
pub struct SourceArgs<'a> {
    pub layout: Option<source::Layout>,
    pub vars: &'a [(String, String)],
    pub since: Option<&'a str>,
    pub include_down: bool,
    pub stdin_filename: Option<String>,
    pub schema: &'a [PathBuf],
    pub max_file_size: u64,
}

/// The source stage as both commands use it: layout options, the git
/// changes of `--since`, and `--schema` files (history, never reported).
pub struct Sources {
    opts: source::Options,
    pub changes: Option<source::git::Changes>,
    schema: Vec<Input>,
}

impl Sources {
    pub fn new(
        a: &SourceArgs,
        paths: &[PathBuf],
        settings: &rules::Settings,
    ) -> Result<Sources, String> {
        // Config `variables:`, overridden by --var.
        let mut vars = settings.variables.clone();
        vars.extend(a.vars.iter().cloned());
        let opts = source::Options {
            layout: a.layout,
            vars,
            include_down: a.include_down,
            stdin_filename: a.stdin_filename.clone(),
            assume_in_transaction: settings.assume_in_transaction.unwrap_or(false),
            max_file_bytes: a.max_file_size.saturating_mul(1_048_576),
        };
        let changes = match a.since {
            Some(r) => {
                Some(source::git::changes(r, &source::git_dir(paths)).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        // A schema dump (pg_dump --schema-only) is a psql script: read it as
        // one, so its meta-commands (`\restrict KEY`) are not SQL.
        let schema = if a.schema.is_empty() {
            Vec::new()
        } else {
            let dump = source::Options {
                layout: Some(source::Layout::Psql),
                include_down: false,
                stdin_filename: None,
                assume_in_transaction: false,
                ..opts.clone()
            };
            source::load(a.schema, &dump)
                .map_err(|e| e.to_string())?
                .parts
                .into_iter()
                .map(source::Part::into_shared_input)
                .collect()
        };
        Ok(Sources {
            opts,
            changes,
            schema,
        })
    }

    /// The files as the tool runs them: `--schema` files first, then the
    /// migrations, those before `--since` marked as not reported.
    pub fn load(
        &self,
        paths: &[PathBuf],
        settings: &rules::Settings,
    ) -> Result<(source::Loaded, Vec<Input>), source::SourceError> {
        let mut loaded = source::load_with(paths, &self.opts, &|p| settings.excluded(p))?;
        let mut inputs = self.schema.clone();
        for part in loaded.parts.iter_mut() {
            let report = source::reported(part, self.changes.as_ref());
            // The text moves to the input (the analysis keeps it); the part
            // keeps where it came from.
            inputs.push(Input {
                path: part.path.clone(),
                text: std::mem::take(&mut part.text),
                wrapping: part.wrapping,
                report,
                map: part.map.clone(),
                project: Some(part.project),
            });
        }
        Ok((loaded, inputs))
    }
}

/// The configuration file (if any) with the command line applied over it.
fn settings_for(args: &CheckArgs) -> Result<rules::Settings, String> {
    let mut s = args.common.settings()?;
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
    setup_color(args.common.color);
    let settings = match settings_for(&args) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    if args.fix && args.paths.iter().any(|p| p.as_os_str() == "-") {
        return error("--fix rewrites files; it cannot rewrite stdin (`-`)");
    }
    let sources = match Sources::new(
        &SourceArgs {
            layout: args.tool.layout,
            vars: &args.tool.vars,
            since: args.since.as_deref(),
            include_down: args.include_down,
            stdin_filename: args.stdin_filename.clone(),
            schema: &args.schema,
            max_file_size: args.common.max_file_size,
        },
        &args.paths,
        &settings,
    ) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let changes = &sources.changes;
    let opts = Options {
        pg_version: settings.pg_version.unwrap_or(model::DEFAULT_PG),
        timezone_utc: model::session::is_utc_zone(&args.timezone),
    };
    let warned = std::cell::Cell::new(false);
    type Checked = (model::Analysis, Vec<rules::Finding>, source::Loaded);
    let run = || -> Result<Checked, source::SourceError> {
        let (mut loaded, inputs) = sources.load(&args.paths, &settings)?;
        if !warned.replace(true) {
            // Projects that could not be read are not linted; the others
            // are, and the run does not pass (exit status 2).
            for e in &loaded.failed {
                eprintln!("ddlint: error: {e}");
            }
        }
        let (analysis, mut findings) = rules::run(inputs, &opts, &settings);
        findings.extend(source::findings(&loaded.notes, &analysis, &settings));
        if let (Some(c), Some(r)) = (changes, &args.since) {
            findings.extend(source::git_findings(c, r, &analysis, &settings));
        }
        findings.sort_by(|a, b| {
            (a.file, a.line, a.column, a.rule).cmp(&(b.file, b.line, b.column, b.rule))
        });
        // The parts' texts moved to the analysis; the rest is small.
        loaded.parts.clear();
        Ok((analysis, findings, loaded))
    };
    let (mut analysis, mut findings, mut loaded) = match run() {
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
            (analysis, findings, loaded) = match run() {
                Ok(r) => r,
                Err(e) => return error(e),
            };
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
    let emit = |format: Option<Format>, w: &mut dyn Write| -> std::io::Result<()> {
        match format {
            None | Some(Format::Text) => {
                let opts = report::text::TextOptions {
                    all_statements: args.all_statements,
                    quiet: args.quiet,
                };
                report::text::write(w, &analysis, &findings, coverage, &opts)?;
                if args.statistics {
                    w.write_all(report::render_statistics(&findings).as_bytes())?;
                }
                Ok(())
            }
            Some(Format::Json) => report::json::write(w, &analysis, &findings, coverage, None),
            Some(Format::Sarif) => report::sarif::write(w, &analysis, &findings),
            Some(Format::Gitlab) => report::gitlab::write(w, &analysis, &findings),
            Some(Format::Concise) => report::concise::write(w, &analysis, &findings),
            Some(Format::Github) => report::github::write(w, &analysis, &findings),
            Some(Format::Junit) => report::junit::write(w, &analysis, &findings, threshold),
            Some(Format::Markdown) => report::markdown::write(w, &analysis, &findings),
        }
    };
    // With --output the file gets the chosen format (the terminal report by
    // default) and the terminal the terminal report, unless that is what the
    // file got.
    if let Some(path) = &args.output {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            emit(args.format, &mut w)?;
            w.flush()
        });
        if let Err(e) = written {
            return error(format!("{}: cannot write the report: {e}", path.display()));
        }
    }
    let to_stdout: &[Option<Format>] = match (args.format, &args.output) {
        (Some(_), Some(_)) => &[None],
        (None, Some(_)) => &[],
        (Some(f), None) => &[Some(f)],
        (None, None) if on_github => &[None, Some(Format::Github)],
        (None, None) => &[None],
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = to_stdout
        .iter()
        .try_for_each(|f| emit(*f, &mut stdout))
        .and_then(|_| stdout.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return error(format!("writing the report: {e}"));
        }
        _ => {}
    }
    if !loaded.failed.is_empty() {
        2
    } else if findings.iter().any(|f| f.severity >= threshold) {
        1
    } else {
        0
    }
}
