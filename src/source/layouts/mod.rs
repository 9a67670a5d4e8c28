//! Migration tools: which files they run, in which order, which part of a
//! file is "up", and how they wrap it in transactions. One module per tool.
//!
//! | layout | files | up / down | transaction |
//! |---|---|---|---|
//! | psql (plain) | `*.sql` | `*.down.sql` is down | autocommit (psql) |
//! | flyway | `V<ver>__*.sql`, `R__*.sql` (after), `U<ver>__` (down) | file | one per file; none with `executeInTransaction=false` or a non-transactional statement |
//! | golang-migrate | `N_name.up.sql` | `.down.sql` | implicit (one multi-statement exec) |
//! | goose | `N_name.sql` | `-- +goose Up/Down` | one per file; `NO TRANSACTION`: autocommit |
//! | dbmate | `N_name.sql` | `-- migrate:up/down` | one per file; `transaction:false`: implicit |
//! | sql-migrate | `*.sql` | `-- +migrate Up/Down` | one per file; `notransaction`: autocommit |
//! | sqlx | `N_name.sql`, `.up.sql` | `.down.sql` | one per file; `-- no-transaction`: implicit |
//! | diesel | `<dir>/up.sql` | `down.sql` | one per file; `metadata.toml` `run_in_transaction = false`: implicit |
//! | sqitch | `deploy/<change>.sql` in `sqitch.plan` order | `revert/`, `verify/` | psql scripts |
//! | prisma | `<dir>/migration.sql` | - | implicit |
//! | graphile-migrate | `afterReset.sql`, `committed/*.sql`, `current[/*].sql` | - | one per file; `--! no-transaction`: implicit |
//! | pop / ory popx | `V_name[.postgres][.autocommit].up.sql` | `.down.sql` | one per file; `.autocommit.`: implicit |
//! | django | `sqlmigrate` output | - | the file's own BEGIN/COMMIT |
//! | alembic | `--sql` offline output | - | the file's own BEGIN/COMMIT |
//! | liquibase | `--liquibase formatted sql` | `--rollback` (comments) | one per changeset; `runInTransaction:false`: autocommit |
//! | drizzle | `<tag>.sql` in `meta/_journal.json` order | - | all pending in one (modelled per file) |
//! | atlas | `*.sql` beside `atlas.sum`, by name, from the last checkpoint | - | one per file; `-- atlas:txmode none`: autocommit |
//! | node-pg-migrate | `<number>_name.sql` by number | `-- Up/Down Migration` | all pending in one (modelled per file) |
//!
//! Down parts (only with `--include-down`) are replayed after every up
//! part, newest first: the order a full rollback runs them in.

pub mod alembic;
pub mod atlas;
pub mod dbmate;
pub mod diesel;
pub mod drizzle;
pub mod flyway;
pub mod goose;
pub mod graphile;
pub mod liquibase;
pub mod node_pg_migrate;
pub mod pop;
pub mod sqitch;
pub mod sql_migrate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::input::Wrapping;

use super::ordering::natural_cmp;

pub use crate::input::Layout;

/// What the source stage knows of each tool beyond its name (the enum
/// itself is in `crate::input`, so the model can carry it to the rules).
impl Layout {
    /// The file names the layout runs, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            Layout::Psql | Layout::Django | Layout::Alembic | Layout::Liquibase => "*.sql files",
            Layout::Flyway => "V<version>__<description>.sql or R__<description>.sql",
            Layout::GolangMigrate => "<version>_<name>.up.sql",
            Layout::Goose | Layout::Dbmate | Layout::SqlMigrate => "<version>_<name>.sql",
            Layout::Sqlx => "<version>_<name>.sql or .up.sql",
            Layout::Diesel => "<version>_<name>/up.sql",
            Layout::Sqitch => "deploy/<change>.sql",
            Layout::Prisma => "<timestamp>_<name>/migration.sql",
            Layout::Graphile => "committed/<n>.sql, current.sql",
            Layout::Pop => "<version>_<name>[.postgres][.autocommit].up.sql",
            Layout::Drizzle => "the <tag>.sql files meta/_journal.json lists",
            Layout::Atlas => "<version>_<name>.sql beside atlas.sum",
            Layout::NodePgMigrate => "<number>_<name>.sql with -- Up Migration",
        }
    }

    /// The tool runs each file in a database session of its own (sqitch
    /// starts psql for every change): what a file sets for the session
    /// ends with the file.
    pub fn session_per_file(self) -> bool {
        matches!(self, Layout::Sqitch)
    }

    /// psql runs the scripts: meta-commands and `:variables` apply.
    pub fn is_psql(self) -> bool {
        matches!(self, Layout::Psql | Layout::Sqitch)
    }
}

/// A file the tool runs, in run order.
#[derive(Debug, Clone)]
pub struct Planned {
    pub path: PathBuf,
    pub down: bool,
    /// The wrapping known from the name or sibling files; markers inside
    /// the file can still change it.
    pub wrapping: Wrapping,
}

/// One transaction unit of a file: the ranges kept (everything else is
/// blanked), the wrapping, extra replacements (e.g. liquibase
/// delimiters), and notes.
#[derive(Debug, Clone)]
pub struct Unit {
    pub keep: Vec<(usize, usize)>,
    pub wrapping: Wrapping,
    pub down: bool,
    pub replace: Vec<(usize, usize, String)>,
}

impl Unit {
    pub fn whole(text: &str, wrapping: Wrapping, down: bool) -> Unit {
        Unit {
            keep: vec![(0, text.len())],
            wrapping,
            down,
            replace: Vec::new(),
        }
    }
}

pub fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn path_cmp(a: &Path, b: &Path) -> std::cmp::Ordering {
    natural_cmp(&a.to_string_lossy(), &b.to_string_lossy())
}

/// A leading run of digits (the version of most tools).
pub fn leading_digits(name: &str) -> Option<&str> {
    let n = name.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| &name[..n])
}

/// `goose` annotations (`-- +goose Up`).
fn goose_text(t: &str) -> bool {
    t.contains("-- +goose ") || t.contains("--+goose ")
}

/// sql-migrate annotations (`-- +migrate Up`).
fn sql_migrate_text(t: &str) -> bool {
    t.contains("-- +migrate Up") || t.contains("-- +migrate up")
}

/// dbmate sections (`-- migrate:up`).
fn dbmate_text(t: &str) -> bool {
    t.contains("-- migrate:up")
}

/// graphile-migrate headers (`--! Previous:`, `--! no-transaction`).
fn graphile_text(t: &str) -> bool {
    t.contains("--! Previous:") || t.contains("--! no-transaction")
}

/// pop / popx Go templates that read the migration options.
fn pop_text(t: &str) -> bool {
    t.contains("{{ index .Options") || t.contains("{{index .Options")
}

/// Whether the first line (after a BOM), lowercased, contains `needle`.
fn first_line_has(t: &str, needle: &str) -> bool {
    t.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .map(|l| l.to_ascii_lowercase().contains(needle))
        .unwrap_or(false)
}

/// The Liquibase formatted-SQL header.
fn liquibase_text(t: &str) -> bool {
    first_line_has(t, "--liquibase formatted sql")
        || first_line_has(t, "-- liquibase formatted sql")
}

/// A golang-migrate / sqlx / pop name: `<version>_<name>.up.sql`.
fn numbered_up_down(name: &str) -> bool {
    leading_digits(name).is_some() && (name.ends_with(".up.sql") || name.ends_with(".down.sql"))
}

/// A diesel or prisma migration directory: `<version>_<name>`.
fn version_dir(name: &str) -> bool {
    leading_digits(name).is_some() && name.contains('_')
}

/// A graphile-migrate migrations directory: `committed/` next to
/// `afterReset.sql` or the current migration.
fn graphile_root(dir: &Path) -> bool {
    dir.join("committed").is_dir()
        && (dir.join("afterReset.sql").is_file()
            || dir.join("current.sql").is_file()
            || dir.join("current").is_dir())
}

/// The directory a file shows to be the root of one migration project,
/// when its name or its contents decide the tool: the directory of a
/// flyway, golang-migrate or pop file, of a file with goose, dbmate,
/// sql-migrate, Liquibase, node-pg-migrate, sqlx, Alembic or Django
/// markers, of Atlas's `atlas.sum` (and the SQL files beside it); the
/// parent of drizzle-kit's `meta/` (`meta/_journal.json`), of diesel's and
/// prisma's `<version>_<name>/` directories, of graphile's `committed/`,
/// of sqitch's `deploy/` (or the directory of `sqitch.plan`).
/// `None` for a file any tool could run (a plain script): where such files
/// belong is decided by the directories around them.
///
/// These are the signals [`detect`] trusts before it falls back to
/// psql meta-commands and the project's language, so a directory marked
/// here is detected as the tool that marked it.
pub fn marked_root(path: &Path, text: Option<&str>) -> Option<PathBuf> {
    let name = file_name(path);
    let dir = path.parent()?;
    let dir_name = file_name(dir);
    let above = dir.parent();
    if name == "sqitch.plan" || name == atlas::SUM_FILE {
        return Some(dir.to_path_buf());
    }
    if drizzle::is_journal(path) {
        return above.map(Path::to_path_buf);
    }
    if !super::discovery::is_sql(path) {
        return None;
    }
    if drizzle::is_root(dir) || atlas::is_root(dir) {
        return Some(dir.to_path_buf());
    }
    if let Some(up) = above {
        let diesel_or_prisma = matches!(name, "up.sql" | "down.sql" | "migration.sql");
        if (diesel_or_prisma && version_dir(dir_name))
            || (matches!(dir_name, "committed" | "current") && graphile_root(up))
            || (matches!(dir_name, "deploy" | "revert" | "verify")
                && up.join("deploy").is_dir()
                && up.join("revert").is_dir())
        {
            return Some(up.to_path_buf());
        }
    }
    if (matches!(name, "afterReset.sql" | "current.sql") && graphile_root(dir))
        || flyway::parse_name(name).is_some()
        || numbered_up_down(name)
    {
        return Some(dir.to_path_buf());
    }
    let t = text?;
    let decides = goose_text(t)
        || sql_migrate_text(t)
        || dbmate_text(t)
        || graphile_text(t)
        || pop_text(t)
        || liquibase_text(t)
        || node_pg_migrate::detects(t)
        || first_line_has(t, "-- no-transaction")
        || (t.contains("alembic_version") && t.contains("-- Running upgrade"))
        || t.contains("\n-- Create model ")
        || t.contains("\n-- Add field ");
    decides.then(|| dir.to_path_buf())
}

/// Guess the tool from names and contents. `texts` holds the SQL files.
pub fn detect(files: &[PathBuf], texts: &BTreeMap<PathBuf, String>) -> Layout {
    let names: Vec<&str> = files.iter().map(|p| file_name(p)).collect();
    let has_text = |needle: &str| texts.values().any(|t| t.contains(needle));
    let any_text = |f: fn(&str) -> bool| texts.values().any(|t| f(t));
    let in_dir = |dir: &str| {
        files
            .iter()
            .any(|p| p.parent().map(|d| file_name(d) == dir).unwrap_or(false))
    };
    if names.contains(&"sqitch.plan") || (in_dir("deploy") && in_dir("revert")) {
        return Layout::Sqitch;
    }
    // The tool's own file decides, whether it was found with the
    // migrations or sits beside the ones named on the command line.
    let beside = |is_root: fn(&Path) -> bool| {
        files
            .iter()
            .any(|p| super::discovery::is_sql(p) && p.parent().is_some_and(is_root))
    };
    if files.iter().any(|p| drizzle::is_journal(p)) || beside(drizzle::is_root) {
        return Layout::Drizzle;
    }
    if names.contains(&atlas::SUM_FILE) || beside(atlas::is_root) {
        return Layout::Atlas;
    }
    if any_text(liquibase_text) {
        return Layout::Liquibase;
    }
    if any_text(goose_text) {
        return Layout::Goose;
    }
    if any_text(sql_migrate_text) {
        return Layout::SqlMigrate;
    }
    if any_text(dbmate_text) {
        return Layout::Dbmate;
    }
    if any_text(node_pg_migrate::detects) {
        return Layout::NodePgMigrate;
    }
    if any_text(graphile_text)
        || (in_dir("committed") && (names.contains(&"afterReset.sql") || in_dir("current")))
    {
        return Layout::Graphile;
    }
    if any_text(pop_text) {
        return Layout::Pop;
    }
    if names.iter().any(|n| {
        n.contains(".autocommit.")
            || pop::parse_name(n)
                .map(|p| p.dialect.is_some())
                .unwrap_or(false)
    }) {
        return Layout::Pop;
    }
    if names.contains(&"migration.sql") {
        return Layout::Prisma;
    }
    if names.contains(&"up.sql") {
        return Layout::Diesel;
    }
    if names.iter().any(|n| flyway::parse_name(n).is_some()) {
        return Layout::Flyway;
    }
    if has_text("alembic_version") && has_text("-- Running upgrade") {
        return Layout::Alembic;
    }
    if has_text("\n-- Create model ") || has_text("\n-- Add field ") {
        return Layout::Django;
    }
    let up_down_names = names.iter().any(|n| numbered_up_down(n));
    if texts
        .values()
        .any(|t| first_line_has(t, "-- no-transaction"))
    {
        return Layout::Sqlx;
    }
    let psql_meta = texts
        .values()
        .any(|t| t.lines().any(|l| l.trim_start().starts_with('\\')));
    if psql_meta {
        return Layout::Psql;
    }
    // golang-migrate and sqlx name files alike, and sqlx's simple
    // migrations look like numbered psql scripts: the project's language
    // decides (the nearest Cargo.toml or go.mod above the files).
    let project = files.first().and_then(|first| {
        first.ancestors().skip(1).find_map(|dir| {
            if dir.join("Cargo.toml").is_file() {
                Some("rust")
            } else if dir.join("go.mod").is_file() {
                Some("go")
            } else {
                None
            }
        })
    });
    if up_down_names {
        return match project {
            Some("rust") => Layout::Sqlx,
            _ => Layout::GolangMigrate,
        };
    }
    let sql_names: Vec<&&str> = names.iter().filter(|n| n.ends_with(".sql")).collect();
    // `sqlx migrate add` names files with a 14-digit timestamp; shorter
    // numbers in a Rust project are as likely plain scripts.
    let all_timestamped = !sql_names.is_empty()
        && sql_names.iter().all(|n| {
            leading_digits(n).is_some_and(|d| d.len() >= 14 && n[d.len()..].starts_with('_'))
        });
    if all_timestamped && project == Some("rust") {
        return Layout::Sqlx;
    }
    Layout::Psql
}

/// The files the tool runs under `root` (all files below it), in order;
/// downs only when `include_down`, after the ups, oldest first (the
/// caller replays down parts newest first).
pub fn plan(layout: Layout, root: &Path, files: &[PathBuf], include_down: bool) -> Vec<Planned> {
    let mut sql: Vec<PathBuf> = files
        .iter()
        .filter(|p| super::discovery::is_sql(p))
        .cloned()
        .collect();
    sql.sort_by(|a, b| path_cmp(a, b));
    let (mut ups, mut downs): (Vec<Planned>, Vec<Planned>) = match layout {
        Layout::Flyway => flyway::plan(&sql),
        Layout::Diesel => diesel::plan(&sql),
        Layout::Sqitch => sqitch::plan(root, files, &sql),
        Layout::Pop => pop::plan(&sql),
        Layout::Graphile => graphile::plan(&sql),
        Layout::Drizzle => drizzle::plan(root, &sql),
        Layout::Atlas => atlas::plan(root, &sql),
        Layout::NodePgMigrate => node_pg_migrate::plan(root, &sql),
        Layout::Prisma => (
            sql.iter()
                .filter(|p| file_name(p) == "migration.sql")
                .map(|p| planned(p, false, Wrapping::ImplicitMultiStatement))
                .collect(),
            vec![],
        ),
        Layout::GolangMigrate => split_up_down(&sql, Wrapping::ImplicitMultiStatement),
        Layout::Sqlx => split_up_down(&sql, Wrapping::Transaction),
        Layout::Goose | Layout::SqlMigrate | Layout::Dbmate => {
            // Up and down live in the same file.
            (
                sql.iter()
                    .map(|p| planned(p, false, Wrapping::Transaction))
                    .collect(),
                vec![],
            )
        }
        Layout::Psql | Layout::Django | Layout::Alembic | Layout::Liquibase => {
            split_up_down(&sql, Wrapping::Autocommit)
        }
    };
    if !include_down {
        downs.clear();
    }
    ups.append(&mut downs);
    ups
}

fn planned(p: &Path, down: bool, wrapping: Wrapping) -> Planned {
    Planned {
        path: p.to_path_buf(),
        down,
        wrapping,
    }
}

/// `.down.sql` (and `down.sql`) files are down parts.
fn split_up_down(sql: &[PathBuf], wrapping: Wrapping) -> (Vec<Planned>, Vec<Planned>) {
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for p in sql {
        let n = file_name(p);
        if n.ends_with(".down.sql") || n == "down.sql" {
            downs.push(planned(p, true, wrapping));
        } else {
            ups.push(planned(p, false, wrapping));
        }
    }
    (ups, downs)
}

/// The transaction units of one file.
pub fn units(layout: Layout, p: &Planned, text: &str, include_down: bool) -> Vec<Unit> {
    match layout {
        Layout::Goose => goose::units(text, include_down),
        Layout::SqlMigrate => sql_migrate::units(text, include_down),
        Layout::Dbmate => dbmate::units(text, include_down),
        Layout::Flyway => vec![Unit::whole(text, flyway::wrapping(&p.path, text), p.down)],
        Layout::Graphile => vec![Unit::whole(text, graphile::wrapping(&p.path, text), p.down)],
        Layout::Sqlx => {
            let first = text.trim_start().lines().next().unwrap_or("").trim();
            let w = if first.eq_ignore_ascii_case("-- no-transaction") {
                Wrapping::ImplicitMultiStatement
            } else {
                Wrapping::Transaction
            };
            vec![Unit::whole(text, w, p.down)]
        }
        Layout::Liquibase => liquibase::units(text, include_down),
        Layout::Drizzle => drizzle::units(text, p),
        Layout::Atlas => atlas::units(text, p),
        Layout::NodePgMigrate => node_pg_migrate::units(text, include_down),
        _ => vec![Unit::whole(text, p.wrapping, p.down)],
    }
}

/// What a tool's own files say about the project before it is read: a
/// journal or sum file the tool would refuse (each a problem at its line:
/// the project is not read, as the tool would not run), and notes for the
/// rules (a file that no longer matches `atlas.sum`). `files` are the
/// group's files, `texts` the SQL ones read.
pub fn check(
    layout: Layout,
    root: &Path,
    files: &[PathBuf],
    texts: &BTreeMap<PathBuf, String>,
) -> (Vec<super::Problem>, Vec<super::Note>) {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    match layout {
        Layout::Drizzle => {
            if let Err(p) = drizzle::read_journal(root) {
                problems.push(p);
            }
        }
        Layout::Atlas => {
            // The files atlas would run (from the last checkpoint on).
            let from = atlas::last_checkpoint(root);
            problems.extend(
                texts
                    .iter()
                    .filter(|(p, _)| p.parent() == Some(root))
                    .filter(|(p, _)| from.as_deref().is_none_or(|ck| file_name(p) >= ck))
                    .filter_map(|(p, t)| atlas::txmode_problem(p, t)),
            );
            match atlas::check_sum(root, files) {
                Ok(note) => notes.extend(note),
                Err(p) => problems.push(p),
            }
        }
        _ => {}
    }
    (problems, notes)
}

/// Split a file into marker-delimited sections: `marker(line)` says which
/// section a line starts (Some(up?, wrapping override)) or None. Lines
/// before the first marker belong to no section (the tools ignore them,
/// except that they are comments in practice).
pub(crate) fn sections(
    text: &str,
    mut marker: impl FnMut(&str) -> Option<bool>,
) -> Vec<(bool, usize, usize)> {
    let mut out: Vec<(bool, usize, usize)> = Vec::new();
    let mut cur: Option<(bool, usize)> = None;
    for (start, line) in super::rewrite::lines(text) {
        if let Some(up) = marker(line) {
            if let Some((u, s)) = cur.take() {
                out.push((u, s, start));
            }
            cur = Some((up, start));
        }
    }
    if let Some((u, s)) = cur {
        out.push((u, s, text.len()));
    }
    out
}

/// Why the tool does not run a SQL file of its project that is not a down
/// part (for the list of files not read).
pub fn why_not_run(layout: Layout, path: &Path, root: &Path, files: &[PathBuf]) -> String {
    let name = file_name(path);
    if layout == Layout::Pop {
        if let Some(n) = pop::parse_name(name) {
            match n.dialect.as_deref() {
                Some(d) if !pop::runs_on_postgres(&n.dialect) => {
                    return format!("for {d}: pop does not run it on PostgreSQL");
                }
                _ => {
                    let postgres = files.iter().any(|f| {
                        pop::parse_name(file_name(f)).is_some_and(|m| {
                            m.version == n.version
                                && m.up == n.up
                                && pop::runs_on_postgres(&m.dialect)
                                && m.dialect.is_some()
                                && m.dialect.as_deref() != Some("all")
                        })
                    });
                    if postgres {
                        return "pop runs the PostgreSQL variant of this migration instead".into();
                    }
                }
            }
        }
    }
    if layout.is_psql() {
        return "included by a script (`\\i`) that is not linted".into();
    }
    match layout {
        Layout::Drizzle => return drizzle::why_not_run(root),
        Layout::Atlas => return atlas::why_not_run(path, root),
        Layout::NodePgMigrate => return node_pg_migrate::why_not_run(path, root),
        _ => {}
    }
    format!(
        "{} does not run it (it runs {})",
        layout.name(),
        layout.expected()
    )
}
