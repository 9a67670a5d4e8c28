//! What the source stage hands to the model: the units a migration tool
//! runs, with their text, transaction wrapping and the tool that runs
//! them. Shared by both layers
//! (and by dry-run, which runs the same units), so that neither imports
//! the other for them.

/// How the migration tool runs a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wrapping {
    /// Each statement commits on its own unless the file says BEGIN (psql).
    #[default]
    Autocommit,
    /// The tool wraps the whole file in one transaction.
    Transaction,
    /// The whole file is sent as one simple-protocol query string: one
    /// implicit transaction unless the file itself says BEGIN/COMMIT.
    ImplicitMultiStatement,
}

/// The migration tool that runs a file (detected by the source stage from
/// names and markers, or `--layout`). The source stage decides with it
/// which files run and how (`source::layouts`); the rules give advice in
/// its terms (how this tool runs a file without a transaction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Layout {
    /// Plain SQL run by psql (meta-commands and variables understood).
    #[default]
    #[value(alias = "plain")]
    Psql,
    /// V<version>__name.sql, R__ repeatables; one transaction per file.
    Flyway,
    /// N_name.up.sql / .down.sql; one multi-statement exec per file.
    #[value(name = "golang-migrate", alias = "migrate")]
    GolangMigrate,
    /// -- +goose Up/Down, StatementBegin/End, NO TRANSACTION.
    Goose,
    /// -- migrate:up / -- migrate:down [transaction:false].
    Dbmate,
    /// rubenv/sql-migrate: -- +migrate Up/Down [notransaction].
    #[value(name = "sql-migrate")]
    SqlMigrate,
    /// N_name.sql or .up.sql/.down.sql; -- no-transaction.
    Sqlx,
    /// <version>_name/up.sql, down.sql, metadata.toml.
    Diesel,
    /// deploy/revert/verify scripts in sqitch.plan order.
    Sqitch,
    /// <timestamp>_name/migration.sql.
    Prisma,
    /// committed/*.sql, current.sql; --! no-transaction; :PLACEHOLDERS.
    #[value(name = "graphile-migrate", alias = "graphile")]
    Graphile,
    /// gobuffalo/pop, ory/popx: .postgres., .autocommit., Go templates.
    #[value(alias = "popx")]
    Pop,
    /// Output of Django's sqlmigrate (its own BEGIN/COMMIT).
    Django,
    /// Output of Alembic's offline mode, --sql (its own BEGIN/COMMIT).
    Alembic,
    /// Liquibase formatted SQL: one transaction per --changeset.
    Liquibase,
    /// drizzle-kit: <tag>.sql in meta/_journal.json order, `--> statement-breakpoint`.
    #[value(alias = "drizzle-kit")]
    Drizzle,
    /// Atlas versioned migrations: <version>_<name>.sql, atlas.sum, `-- atlas:txmode`.
    Atlas,
    /// node-pg-migrate SQL migrations: -- Up Migration / -- Down Migration.
    #[value(name = "node-pg-migrate")]
    NodePgMigrate,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Psql => "psql",
            Layout::Flyway => "flyway",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Goose => "goose",
            Layout::Dbmate => "dbmate",
            Layout::SqlMigrate => "sql-migrate",
            Layout::Sqlx => "sqlx",
            Layout::Diesel => "diesel",
            Layout::Sqitch => "sqitch",
            Layout::Prisma => "prisma",
            Layout::Graphile => "graphile-migrate",
            Layout::Pop => "pop",
            Layout::Django => "django",
            Layout::Alembic => "alembic",
            Layout::Liquibase => "liquibase",
            Layout::Drizzle => "drizzle",
            Layout::Atlas => "atlas",
            Layout::NodePgMigrate => "node-pg-migrate",
        }
    }
}

/// One file as the migration tool will run it.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: String,
    pub text: String,
    pub wrapping: Wrapping,
    /// The tool that runs it.
    pub layout: Layout,
    /// Whether findings are reported for this file (history-only files
    /// are replayed but not reported, e.g. `--schema`).
    pub report: bool,
    /// Set when `text` is a rewrite of the file (down-parts or psql
    /// meta-commands blanked, variables substituted): maps positions back
    /// to the original file, so reported lines and columns are original.
    pub map: Option<std::sync::Arc<crate::parse::lines::OffsetMap>>,
    /// The project whose catalog it is replayed into: projects never see
    /// each other's objects. `None` is history every project shares
    /// (`--schema`): it builds the catalog each project starts from.
    pub project: Option<usize>,
    /// The session the migration runner prepares before running it
    /// (`session:` in ddlint.yaml): the model starts the file from it.
    pub session: Option<std::sync::Arc<RunnerSession>>,
}

/// Settings a migration runner applies before each migration (a script,
/// connection options, role or database defaults), as `session:` in
/// ddlint.yaml gives them. `None` fields are the server's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunnerSession {
    /// `Some(None)`: set to 0 (no limit).
    pub lock_timeout: Option<Option<std::time::Duration>>,
    pub statement_timeout: Option<Option<std::time::Duration>>,
    pub search_path: Option<Vec<String>>,
    pub timezone: Option<String>,
    pub role: Option<String>,
}

impl RunnerSession {
    pub fn is_empty(&self) -> bool {
        *self == RunnerSession::default()
    }
}

/// The names of ddlint's configuration file: `rules::config` reads it, and
/// the source stage takes its directory as a project root.
pub const CONFIG_FILE_NAMES: [&str; 2] = ["ddlint.yaml", ".ddlint.yaml"];
