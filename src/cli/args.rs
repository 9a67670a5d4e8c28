//! The command line's arguments (clap): every flag, its help text and how
//! its value is checked. The commands themselves are in the sibling
//! modules.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model;
use crate::report;
use crate::rules;
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
With --db and neither --since nor ddlint.lock, only what the migration tool's history table on \
the target does not list as applied runs (as `ddlint status` reads it); an applied migration the \
file no longer matches (the checksum the tool recorded) is a modified-applied-migration error at \
its line.\n\n\
Exit status: 0 all statements ran, 1 a statement failed (error, lock or statement timeout) or \
an applied migration changed since it ran, 2 could not run (connection, refusal, lost connection, something left behind), 130 interrupted.\n\n\
Examples:\n  ddlint dry-run migrations/ --since origin/main --seed-rows 100000\n  \
ddlint dry-run --db \"$SNAPSHOT_URL\" --probe migrations/0042_orders.sql\n  \
ddlint dry-run --db \"$SNAPSHOT_URL\" --format markdown -o dry-run.md migrations/0042_orders.sql"
    )]
    DryRun(Box<DryRunArgs>),
    /// Capture production's shape (sizes, row counts, read/write rates,
    /// NULL fractions and distinct counts; never data) for `check --stats`
    /// and `dry-run --stats`.
    #[command(
        after_help = "Connects like dry-run --db (a URL, a key=value string, or empty for PGHOST/PGUSER/... \
and ~/.pgpass; TLS as sslmode says). A role with pg_monitor (or pg_read_all_stats) is enough: \
column statistics need SELECT on the table (pg_stats shows only readable columns), and what the \
role cannot read is listed under `unreadable`, not fatal. The session is read-only and waits at \
most 2 s for a lock (sizes of a locked relation then come from pg_class.relpages).\n\n\
The file holds no row values: per relation its kind, estimated rows, heap/TOAST/index bytes, \
each index's size, scans and rows written per second, and per column null_frac and n_distinct. \
Safe to commit (its format is in the README).\n\n\
--calibrate RUN.json reads a dry-run report made with --stats (on a snapshot of the same \
database, or seeded with --seed-rows auto) and prints the stats.throughput block that fits \
its measurements.\n\n\
Examples:\n  ddlint stats --db \"$PROD_REPLICA_URL\" -o ddlint-stats.json\n  \
ddlint check --stats ddlint-stats.json migrations/\n  \
ddlint dry-run --stats ddlint-stats.json --seed-rows auto migrations/\n  \
ddlint stats --calibrate dry-run.json"
    )]
    Stats(StatsArgs),
    /// The deploy gate: which migrations the database has applied, which
    /// are pending, changed or failed, and whether one is running now.
    #[command(
        after_help = "Reads the migration tool's own history table on the database (dbmate and \
golang-migrate schema_migrations, goose_db_version, flyway_schema_history, _sqlx_migrations, \
__diesel_schema_migrations, _prisma_migrations, graphile_migrate.migrations, gorp_migrations, \
pop's schema_migration, sqitch.changes, pgmigrations, atlas_schema_revisions, django_migrations, \
alembic_version, Liquibase's databasechangelog) and compares it with the files: applied, pending, \
changed (the checksum the tool recorded no longer matches the file: flyway, sqlx, prisma, \
graphile-migrate, Liquibase) or failed (dirty, success = false, unfinished). An Alembic offline \
script (`alembic upgrade ... --sql`) is read revision by revision (`-- Running upgrade A -> B`), \
a Liquibase changelog changeset by changeset (file:line in the report); a Django `sqlmigrate` \
file is named <app>/<migration name>.sql. pg_stat_activity and pg_locks \
show migrations running right now (DDL, the tools' advisory locks, the history table, locks \
that block writes).\n\n\
Exit status: 0 every migration applied and none running; 1 pending or running (do not promote \
code that needs them yet); 2 changed or failed (stop: fix the database or the files first); \
3 could not tell (no connection, no history table, a tool whose table ddlint does not read).\n\n\
Example (after the migrate step of a deploy):\n  \
until ddlint status --db \"$DATABASE_URL\" migrations/; do [ $? -eq 1 ] || exit 1; sleep 10; done"
    )]
    Status(StatusArgs),
    /// List every rule: id, category, default severity and summary.
    Rules(RulesArgs),
    /// Show a rule's documentation: why it matters and what to write instead.
    Explain {
        /// The rule id, e.g. require-concurrent-index.
        #[arg(value_name = "RULE")]
        rule: String,
    },
    /// Start using ddlint in a repository: write a commented default
    /// configuration (ddlint.yaml) and record the migrations already there
    /// as applied (ddlint.lock), so that `check` judges only new ones.
    #[command(
        after_help = "The migrations are those `ddlint check` finds under the configuration's \
directory (each project with its detected layout, or --layout). ddlint.lock lists each file with \
its sha256, per project; commit it. `ddlint check` replays the recorded files for the schema and \
reports only the others; a recorded file whose content changed is a modified-applied-migration \
error. After a deploy, `ddlint accept` records the new migrations; `check --all` judges everything."
    )]
    Init(InitArgs),
    /// Record migrations as applied in production (ddlint.lock): `check`
    /// replays them for the schema but no longer reports them.
    #[command(
        after_help = "Run it after a deploy (or in the deploy job) on the migrations that \
production ran. A file already recorded with another content is recorded with its new content: \
only accept an edit that changes nothing a database would see (a comment, formatting)."
    )]
    Accept(AcceptArgs),
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Migration files or directories (as for check).
    #[arg(default_value = ".", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The database: a URL or key=value string; empty or absent: PGHOST,
    /// PGUSER, ... and ~/.pgpass.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,

    #[command(flatten)]
    pub tool: ToolArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFormat {
    Text,
    Json,
    Markdown,
}

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// The database to read: a URL (postgres://user@host/db?sslmode=require)
    /// or key=value string; empty or absent: PGHOST, PGUSER, ... and
    /// ~/.pgpass.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,

    /// Write the statistics to FILE [default: stdout].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// How long to watch the activity counters for read and write rates;
    /// 0: their averages since the last statistics reset.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub sample: String,

    /// Instead of capturing: fit the model's throughputs to a dry-run's
    /// JSON report (made with --stats) and print the `stats.throughput`
    /// block for ddlint.yaml.
    #[arg(long, value_name = "RUN.json", conflicts_with_all = ["db", "output"])]
    pub calibrate: Option<PathBuf>,

    /// No progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Where to write the configuration; ddlint.lock goes next to it.
    #[arg(default_value = "ddlint.yaml", value_name = "FILE")]
    pub path: PathBuf,
    /// Overwrite an existing configuration and lock file.
    #[arg(long)]
    pub force: bool,
    /// Write only the configuration: no ddlint.lock (every migration is
    /// judged).
    #[arg(long)]
    pub no_lock: bool,
    #[command(flatten)]
    pub tool: ToolArgs,
}

#[derive(clap::Args, Debug)]
pub struct AcceptArgs {
    /// Migration files or directories to record as applied.
    #[arg(default_value = ".", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The lock file to update [default: the nearest ddlint.lock from the
    /// current directory up, else ./ddlint.lock].
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Also record down/rollback parts.
    #[arg(long)]
    pub include_down: bool,
    #[command(flatten)]
    pub tool: ToolArgs,
    #[command(flatten)]
    pub common: CommonArgs,
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

/// The applied history: shared by check and dry-run.
#[derive(clap::Args, Debug)]
pub struct AppliedArgs {
    /// The lock file of applied migrations (written by `ddlint init` and
    /// `ddlint accept`) [default: the nearest ddlint.lock from the current
    /// directory up]. Recorded files are replayed for the schema but not
    /// reported; a recorded file whose content changed is an error.
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,

    /// Judge every migration, also those the lock file records as applied.
    #[arg(long, conflicts_with = "lock")]
    pub all: bool,
}

impl AppliedArgs {
    /// The lock file to use: `--lock`, else the nearest one, unless `--all`.
    pub fn lock_file(&self) -> Result<Option<PathBuf>, String> {
        if self.all {
            return Ok(None);
        }
        if let Some(p) = &self.lock {
            if !p.is_file() {
                return Err(format!("--lock {}: no such file", p.display()));
            }
            return Ok(Some(p.clone()));
        }
        Ok(std::env::current_dir()
            .ok()
            .and_then(|d| crate::source::applied::discover(&d)))
    }
}

/// `--max-file-size` unless given (and what `init` reads with).
pub const DEFAULT_MAX_FILE_MB: u64 = 16;

/// Configuration, colour and input limits: shared by check and dry-run.
#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// Largest migration file accepted, in MB.
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_MAX_FILE_MB)]
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
    /// already-applied migration that was edited is an error. Combines
    /// with the lock file: a file must be both new to it and changed since
    /// REF to be reported.
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,

    #[command(flatten)]
    pub applied: AppliedArgs,

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

    /// Print only the findings and, when there is any, the summary line
    /// (nothing at all when clean): for pre-commit hooks.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print how many findings each rule produced: after the text report,
    /// in the JSON (`statistics`) and Markdown reports, and on stderr for
    /// the other formats (whose output is read by machines).
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

    /// After each file's findings, show its lock table: every statement
    /// that locks an existing relation, the mode, what it blocks, what it
    /// rewrites or scans, and what each transaction holds until COMMIT.
    #[arg(long)]
    pub explain: bool,

    /// Like --explain, listing every statement, including those that take
    /// no lock on an existing relation.
    #[arg(long)]
    pub all_statements: bool,

    #[command(flatten)]
    pub common: CommonArgs,

    /// Rewrite the files, applying the mechanical fixes (CONCURRENTLY,
    /// NOT VALID + VALIDATE, SET lock_timeout, USING INDEX, ...), then
    /// report what is left.
    #[arg(long)]
    pub fix: bool,

    /// Report every rule's finding on its own instead of one finding per
    /// problem with its `related` rules (to measure what grouping merges).
    #[arg(long, hide = true)]
    pub ungrouped: bool,

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

    /// Production statistics written by `ddlint stats` [default:
    /// `stats.file` in the configuration]: locking findings then say the
    /// relation's size, the estimated duration of the blocking work and the
    /// reads and writes that would wait, and their severity follows size
    /// (`stats.small_table`, `stats.large_table`).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    #[command(flatten)]
    pub markdown: MarkdownArgs,
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

    /// lock_timeout for the migration session ("off" or 0 to wait forever)
    /// [default: `session.lock_timeout` in the configuration, else 2s].
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout: Option<String>,

    /// statement_timeout for the migration session [default:
    /// `session.statement_timeout` in the configuration, else off].
    #[arg(long, value_name = "DURATION")]
    pub statement_timeout: Option<String>,

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
    /// writing (no-op) each table the migration touches while it runs, and
    /// locking a row each UPDATE/DELETE changes.
    #[arg(long)]
    pub probe: bool,

    /// Exit 1 when an observation differs from `ddlint check`'s prediction
    /// (a lock, a rewrite): a CI job can gate on the model being right for
    /// these migrations.
    #[arg(long)]
    pub fail_on_disagreement: bool,

    /// Application-like traffic while it runs: N sessions (a connection
    /// pool) reading and writing (no-op) the tables the migration touches,
    /// waiting as an application does (no lock_timeout); reports the peak
    /// number waiting, the longest wait and when the pool ran out.
    #[arg(long, value_name = "N")]
    pub clients: Option<usize>,

    /// Requests per second of --clients traffic, in all [default: the read
    /// and write rates of the touched tables in --stats, else 20 per
    /// client].
    #[arg(long, value_name = "R", requires = "clients")]
    pub rate: Option<f64>,

    /// The application's own timeout for a --clients request.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        requires = "clients"
    )]
    pub client_timeout: String,

    /// TimeZone of the migration session, where the migration tool's
    /// connection sets one (JDBC sends the JVM's) [default:
    /// `session.timezone` in the configuration, else the server's].
    #[arg(long, value_name = "ZONE", value_parser = timezone_arg, allow_hyphen_values = true)]
    pub timezone: Option<String>,

    /// Pre-flight: report transactions older than this.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub long_transaction: String,

    /// Throwaway server only: fill each table that exists before the
    /// dry-run with N synthetic rows, so durations mean something; `auto`:
    /// production's row count from --stats (at most --seed-max). With
    /// --stats, columns get production's share of NULLs and number of
    /// distinct values, so NOT NULL and unique failures show up.
    #[arg(long, value_name = "N|auto", value_parser = seed_rows_arg)]
    pub seed_rows: Option<SeedRows>,

    /// The most rows `--seed-rows auto` puts in one table.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub seed_max: u64,

    /// Production statistics written by `ddlint stats` [default:
    /// `stats.file` in the configuration]: findings and statements carry
    /// estimates (printed next to the measured durations; `ddlint stats
    /// --calibrate` fits the model to them), and seeding follows
    /// production's shape.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Directory with initdb and pg_ctl for the throwaway server.
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,

    /// Dry-run only migrations added or changed since this git ref; the
    /// earlier ones are the history (replayed on a throwaway server, taken
    /// as applied with --db).
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,

    #[command(flatten)]
    pub applied: AppliedArgs,

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

    /// No progress display on stderr (where it runs, what is running).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub markdown: MarkdownArgs,
}

/// How long a Markdown report may be: shared by check and dry-run.
#[derive(clap::Args, Debug)]
pub struct MarkdownArgs {
    /// Longest `--format markdown` report, in bytes (never fewer than the
    /// characters GitHub counts): the default fits a pull-request comment,
    /// 1048576 a job summary ($GITHUB_STEP_SUMMARY). What does not fit is
    /// left out, and a closing note says how much and how to see it.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = report::markdown::COMMENT_LIMIT,
        value_parser = clap::value_parser!(u64).range(1024..)
    )]
    pub markdown_limit: u64,
}

/// `--timezone`: refused here, with the closest names, when PostgreSQL
/// would refuse it (exit 2), rather than silently taken for "not UTC".
pub(super) fn timezone_arg(v: &str) -> Result<String, String> {
    model::timezone::parse(v)
        .map(|_| v.to_string())
        .map_err(|e| e.to_string())
}

pub(super) fn duration_arg(name: &str, v: &str) -> Result<Option<std::time::Duration>, String> {
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    model::session::parse_duration_ms(v)
        .ok_or_else(|| format!("--{name}: `{v}` is not a duration (e.g. 2s, 500ms, 1min, off)"))
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

/// `--seed-rows N|auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedRows {
    Fixed(u64),
    Auto,
}

fn seed_rows_arg(s: &str) -> Result<SeedRows, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(SeedRows::Auto);
    }
    s.replace('_', "")
        .parse::<u64>()
        .map(SeedRows::Fixed)
        .map_err(|_| format!("expected a number of rows or `auto`, got `{s}`"))
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}
