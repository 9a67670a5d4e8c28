//! How the tool that runs a file is told to run it without a transaction,
//! in that tool's own terms: the one place the rules' advice about it
//! comes from (the help of `no-transaction-block`, of the CONCURRENTLY
//! rules, of `ends-transaction-early` and `nested-begin`), and the switch
//! `--fix` writes into a file when the tool reads it from there.
//!
//! | tool | its switch | then the file runs |
//! |---|---|---|
//! | goose | `-- +goose NO TRANSACTION` in the file | statement by statement |
//! | sql-migrate | `-- +migrate Up notransaction` | statement by statement |
//! | Liquibase | `runInTransaction:false` on the `--changeset` line | statement by statement |
//! | Flyway | `<script>.sql.conf`: `executeInTransaction=false` (nothing for a script whose every statement refuses a transaction) | statement by statement |
//! | dbmate | `-- migrate:up transaction:false` | as one query string |
//! | sqlx | `-- no-transaction` as the first line | as one query string |
//! | graphile-migrate | `--! no-transaction` first in the body | as one query string |
//! | diesel | `metadata.toml` beside up.sql: `run_in_transaction = false` | as one query string |
//! | pop / popx | `.autocommit.` in the file name | as one query string |
//! | Django | `atomic = False` on the `Migration` class | operation by operation |
//! | Alembic | `with op.get_context().autocommit_block():` | that block outside the transaction |
//! | Atlas | `-- atlas:txmode none` first in the file, an empty line after it | statement by statement |
//! | golang-migrate, Prisma | none: the file is always one query string | alone in a file, outside one |
//! | drizzle-kit | none: every pending migration runs in one transaction | outside drizzle-kit migrate |
//! | node-pg-migrate | none for SQL: a JavaScript/TypeScript migration calling `pgm.noTransaction()` | statement by statement |
//! | psql, sqitch | the script's own BEGIN/COMMIT | outside them |
//!
//! One query string holding several statements is still one implicit
//! transaction, so with those tools the statement must also be alone in
//! its file.

use std::path::Path;

use super::{Edit, Raw, StmtCx};
use crate::input::{Layout, Wrapping};
use crate::source::layouts::{atlas, dbmate, flyway, graphile, liquibase, sql_migrate};
use crate::source::rewrite::lines;

/// Where a statement that cannot run in a transaction block runs.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    pub layout: Layout,
    pub wrapping: Wrapping,
    /// Inside the file's own BEGIN ... COMMIT.
    pub explicit: bool,
    /// The only statement of its file (or Liquibase changeset).
    pub alone: bool,
    /// The file as reported.
    pub path: &'a str,
    /// The text as parsed, and where the statement starts in it.
    pub text: &'a str,
    pub at: usize,
}

impl<'a> Run<'a> {
    pub fn of(cx: &StmtCx<'a>) -> Run<'a> {
        Run {
            layout: cx.layout,
            wrapping: cx.wrapping,
            explicit: cx.stmt.placement.explicit,
            alone: crate::parse::uncovered(cx.text, &[cx.span()]).is_none(),
            path: cx.path,
            text: cx.text,
            at: cx.span().start,
        }
    }
}

/// The tool's name in prose.
pub fn tool_name(layout: Layout) -> &'static str {
    match layout {
        Layout::Flyway => "Flyway",
        Layout::Prisma => "Prisma",
        Layout::Django => "Django",
        Layout::Alembic => "Alembic",
        Layout::Liquibase => "Liquibase",
        Layout::Drizzle => "drizzle-kit",
        Layout::Atlas => "Atlas",
        other => other.name(),
    }
}

/// Whether the tool, once told to run a file without a transaction, sends
/// it as one query string (an implicit transaction when it holds several
/// statements) rather than statement by statement.
fn one_query_without_transaction(layout: Layout) -> bool {
    matches!(
        layout,
        Layout::Dbmate | Layout::Sqlx | Layout::Graphile | Layout::Diesel | Layout::Pop
    )
}

/// The tool's switch that runs a file without its transaction, as an
/// instruction about the file at `path` (`None`: a new migration file).
/// `None` when the tool has no such switch (it wraps no transaction of its
/// own).
pub fn switch(layout: Layout, path: Option<&str>) -> Option<String> {
    let file = match path {
        Some(p) => format!("`{p}`"),
        None => "the new file".to_string(),
    };
    Some(match layout {
        Layout::Goose => format!("add the line `-- +goose NO TRANSACTION` to {file}"),
        Layout::SqlMigrate => {
            format!("make the up marker of {file} read `-- +migrate Up notransaction`")
        }
        Layout::Dbmate => {
            format!("make the up marker of {file} read `-- migrate:up transaction:false`")
        }
        Layout::Sqlx => format!("make `-- no-transaction` the first line of {file}"),
        Layout::Graphile => {
            let headers = match path {
                Some(p) if !p.contains("committed") => "",
                Some(_) => " (after its `--!` headers)",
                None => " (after the `--!` headers of a committed migration)",
            };
            format!("make `--! no-transaction` the first line of {file}{headers}")
        }
        Layout::Liquibase => {
            "add `runInTransaction:false` to the changeset's `--changeset` line".to_string()
        }
        Layout::Diesel => match path {
            Some(p) => format!(
                "create `{}` containing the line `run_in_transaction = false`",
                Path::new(p).with_file_name("metadata.toml").display()
            ),
            None => "create a `metadata.toml` beside its up.sql containing the line `run_in_transaction = false`".to_string(),
        },
        Layout::Flyway => match path {
            Some(p) => format!("create `{p}.conf` containing the line `executeInTransaction=false`"),
            None => "create a `<script>.sql.conf` beside it containing the line `executeInTransaction=false`".to_string(),
        },
        Layout::Pop => match path.and_then(|p| p.strip_suffix(".up.sql")) {
            Some(stem) if !stem.ends_with(".autocommit") => {
                format!("rename {file} to `{stem}.autocommit.up.sql`")
            }
            _ => "name it `<version>_<name>.autocommit.up.sql`".to_string(),
        },
        Layout::Django => {
            "set `atomic = False` on the migration's `Migration` class".to_string()
        }
        Layout::Alembic => "run the statement inside `with op.get_context().autocommit_block():` in the migration".to_string(),
        Layout::Psql => {
            "run the script outside that transaction (e.g. without psql's `--single-transaction`)"
                .to_string()
        }
        Layout::Atlas => format!(
            "start {file} with the line `-- atlas:txmode none` and an empty line after it (Atlas reads directives only from the comments a file starts with, and only when an empty line follows them), then run `atlas migrate hash`"
        ),
        Layout::GolangMigrate
        | Layout::Prisma
        | Layout::Sqitch
        | Layout::Drizzle
        | Layout::NodePgMigrate => return None,
    })
}

/// Why a statement is in a transaction block, and how to run it outside
/// one, in the tool's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    /// "goose runs this file in a transaction".
    pub why: String,
    /// "add the line `-- +goose NO TRANSACTION` to `001_idx.sql`".
    pub what: String,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.why, self.what)
    }
}

/// How to run the statement outside the transaction block it is in.
pub fn advice(r: &Run) -> Advice {
    let tool = tool_name(r.layout);
    let advice = |why: String, what: String| Advice { why, what };
    if r.explicit {
        return match r.layout {
            Layout::Django => advice(
                "the BEGIN/COMMIT around it is Django's (a migration is atomic unless it says otherwise)".into(),
                format!(
                    "put the operation in a migration of its own and {}",
                    switch(r.layout, None).unwrap_or_default()
                ),
            ),
            Layout::Alembic => advice(
                "the BEGIN/COMMIT around it is Alembic's".into(),
                switch(r.layout, None).unwrap_or_default(),
            ),
            Layout::Sqitch => advice(
                "the script's own BEGIN ... COMMIT holds it (sqitch runs the script with psql, which adds no transaction of its own)".into(),
                "move it after the COMMIT".into(),
            ),
            _ => advice(
                "the file's BEGIN ... COMMIT holds it".into(),
                "move it out of that block".into(),
            ),
        };
    }
    match r.wrapping {
        Wrapping::Transaction => {
            let unit = if r.layout == Layout::Liquibase {
                "changeset"
            } else {
                "file"
            };
            let why = match r.layout {
                Layout::Psql => "the configuration's `assume_in_transaction` says this script runs in a transaction".to_string(),
                Layout::Drizzle | Layout::NodePgMigrate => format!("{tool} runs every pending migration in one transaction"),
                _ => format!("{tool} runs this {unit} in a transaction"),
            };
            let what = match switch(r.layout, r.alone.then_some(r.path)) {
                None if r.layout == Layout::Drizzle => "it has no switch to run a migration outside it, so run the statement outside `drizzle-kit migrate` (e.g. with psql, after it), not in a migration file".to_string(),
                None if r.layout == Layout::NodePgMigrate => "an SQL migration always runs in a transaction (with --no-single-transaction too), so move the statement to a JavaScript or TypeScript migration of its own that calls `pgm.noTransaction()` and runs it with `pgm.sql(...)`".to_string(),
                None => "move it to a migration that runs without a transaction".to_string(),
                Some(sw) if r.alone => sw,
                Some(sw) if one_query_without_transaction(r.layout) => format!("move the statement to a migration of its own and {sw} ({tool} then sends that file as one query string, and statements sent together still share an implicit transaction)"),
                Some(sw) => format!("move the statement to a migration of its own and {sw} (the switch covers a whole {unit}: here it would take the transaction from the other statements too)"),
            };
            advice(why, what)
        }
        Wrapping::ImplicitMultiStatement => {
            let own = if r.layout == Layout::GolangMigrate {
                "golang-migrate runs no transaction of its own, but sends".to_string()
            } else {
                format!("{tool} sends")
            };
            advice(
                format!("{own} this file as one query string, which PostgreSQL runs as one implicit transaction"),
                "move the statement to a migration file of its own, alone".into(),
            )
        }
        Wrapping::Autocommit => advice(
            "it runs in a transaction block".into(),
            "move it out of that block".into(),
        ),
    }
}

/// What `--fix` writes so the tool runs the statement outside its
/// transaction: the line shown above the fixed statement and its edit. Only
/// where the tool reads the switch from the file itself and the statement
/// is alone there (the switch covers the whole file).
pub fn fix_switch(r: &Run) -> Option<(String, Edit)> {
    if r.explicit || r.wrapping != Wrapping::Transaction || !r.alone {
        return None;
    }
    let first = if r.text.starts_with('\u{feff}') { 3 } else { 0 };
    let new_line = |at: usize, line: &str| {
        Some((
            line.to_string(),
            Edit {
                start: at,
                end: at,
                text: format!("{line}\n"),
            },
        ))
    };
    match r.layout {
        Layout::Goose => new_line(first, "-- +goose NO TRANSACTION"),
        Layout::Sqlx => new_line(first, "-- no-transaction"),
        Layout::Graphile => new_line(
            graphile::body_start(r.text).max(first),
            "--! no-transaction",
        ),
        Layout::Dbmate => extend_marker(
            r,
            |l| dbmate::marker(l).is_some_and(|(up, _)| up),
            " transaction:false",
        ),
        Layout::SqlMigrate => extend_marker(
            r,
            |l| sql_migrate::marker(l).is_some_and(|(up, _)| up),
            " notransaction",
        ),
        Layout::Liquibase => extend_marker(
            r,
            |l| liquibase::changeset_line(l).is_some(),
            " runInTransaction:false",
        ),
        Layout::Atlas => {
            let (at, text) = atlas::no_transaction_edit(r.text)?;
            Some((
                "-- atlas:txmode none".to_string(),
                Edit {
                    start: at,
                    end: at,
                    text: text.to_string(),
                },
            ))
        }
        _ => None,
    }
}

/// Append `words` to the last line before the statement that `is_marker`
/// accepts (the marker that starts its section).
fn extend_marker(r: &Run, is_marker: impl Fn(&str) -> bool, words: &str) -> Option<(String, Edit)> {
    let (start, line) = lines(r.text)
        .take_while(|(s, _)| *s < r.at)
        .filter(|(_, l)| is_marker(l))
        .last()?;
    let kept = line.trim_end();
    let at = start + kept.len();
    Some((
        format!("{}{words}", kept.trim_start()),
        Edit {
            start: at,
            end: at,
            text: words.to_string(),
        },
    ))
}

/// Help and fix for a statement whose safe form (`fixed`, written by
/// `edit`) cannot run inside a transaction block: `lead` says what the
/// safe form does, `outside` is the whole help when the statement already
/// runs outside one (then `--fix` rewrites it in place).
pub fn concurrently(
    cx: &StmtCx,
    r: &mut Raw,
    lead: &str,
    outside: &str,
    fixed: String,
    edit: Edit,
) {
    if !cx.stmt.placement.in_transaction {
        r.help(outside).fix(fixed, vec![edit]);
        return;
    }
    let run = Run::of(cx);
    // Flyway runs a script whose every statement refuses a transaction
    // without one, on its own: alone in its file, the fixed statement
    // needs nothing more.
    if run.layout == Layout::Flyway
        && run.wrapping == Wrapping::Transaction
        && !run.explicit
        && run.alone
        && flyway::has_non_transactional(&fixed)
    {
        r.help(format!(
            "{lead}; CONCURRENTLY cannot run inside a transaction block, but Flyway runs a script whose every statement refuses one outside a transaction, so alone in this file it needs nothing more (to say so explicitly, {})",
            switch(run.layout, Some(run.path)).unwrap_or_default()
        ))
        .fix(fixed, vec![edit]);
        return;
    }
    let a = advice(&run);
    r.help(format!(
        "{lead}; CONCURRENTLY cannot run inside a transaction block, and {}: {}",
        a.why, a.what
    ));
    match fix_switch(&run) {
        Some((line, switch_edit)) => {
            r.fix(format!("{line}\n{fixed}"), vec![switch_edit, edit]);
        }
        None => {
            r.suggest(fixed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(layout: Layout, path: &'static str, text: &'static str) -> Run<'static> {
        Run {
            layout,
            wrapping: Wrapping::Transaction,
            explicit: false,
            alone: true,
            path,
            text,
            at: text.find("CREATE").unwrap(),
        }
    }

    fn fixed(r: &Run) -> String {
        let (_, e) = fix_switch(r).unwrap();
        crate::rules::fix::apply(r.text, &[&e]).0
    }

    #[test]
    fn in_file_switches_are_written_where_the_tool_reads_them() {
        let goose = run(
            Layout::Goose,
            "1_a.sql",
            "-- +goose Up\nCREATE INDEX i ON t (a);\n",
        );
        assert_eq!(
            fixed(&goose),
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX i ON t (a);\n"
        );
        let dbmate = run(
            Layout::Dbmate,
            "1_a.sql",
            "-- migrate:up\r\nCREATE INDEX i ON t (a);\n-- migrate:down\n",
        );
        assert_eq!(
            fixed(&dbmate),
            "-- migrate:up transaction:false\r\nCREATE INDEX i ON t (a);\n-- migrate:down\n"
        );
        let sql_migrate = run(
            Layout::SqlMigrate,
            "1_a.sql",
            "-- +migrate Up\nCREATE INDEX i ON t (a);\n",
        );
        assert_eq!(
            fixed(&sql_migrate),
            "-- +migrate Up notransaction\nCREATE INDEX i ON t (a);\n"
        );
        let sqlx = run(Layout::Sqlx, "1_a.sql", "CREATE INDEX i ON t (a);\n");
        assert_eq!(
            fixed(&sqlx),
            "-- no-transaction\nCREATE INDEX i ON t (a);\n"
        );
        let graphile = run(
            Layout::Graphile,
            "committed/000002.sql",
            "--! Previous: sha1:a\n--! Hash: sha1:b\n\nCREATE INDEX i ON t (a);\n",
        );
        assert_eq!(fixed(&graphile), "--! Previous: sha1:a\n--! Hash: sha1:b\n\n--! no-transaction\nCREATE INDEX i ON t (a);\n");
        let liquibase = run(
            Layout::Liquibase,
            "changes.sql",
            "--liquibase formatted sql\n--changeset me:1\nCREATE INDEX i ON t (a);\n",
        );
        assert_eq!(fixed(&liquibase), "--liquibase formatted sql\n--changeset me:1 runInTransaction:false\nCREATE INDEX i ON t (a);\n");
    }

    #[test]
    fn no_fix_where_the_switch_is_outside_the_file_or_covers_other_statements() {
        assert!(fix_switch(&run(
            Layout::Diesel,
            "1_a/up.sql",
            "CREATE INDEX i ON t (a);"
        ))
        .is_none());
        assert!(fix_switch(&run(
            Layout::Flyway,
            "V1__a.sql",
            "CREATE INDEX i ON t (a);"
        ))
        .is_none());
        let not_alone = Run {
            alone: false,
            ..run(
                Layout::Goose,
                "1_a.sql",
                "-- +goose Up\nCREATE INDEX i ON t (a);\nSELECT 1;\n",
            )
        };
        assert!(fix_switch(&not_alone).is_none());
    }

    fn advice_text(r: &Run) -> String {
        advice(r).to_string()
    }

    #[test]
    fn switches_outside_the_file_name_it() {
        let diesel = advice_text(&run(
            Layout::Diesel,
            "migrations/2024-01-01-000000_a/up.sql",
            "CREATE INDEX i ON t (a);",
        ));
        assert!(diesel.contains("`migrations/2024-01-01-000000_a/metadata.toml` containing the line `run_in_transaction = false`"), "{diesel}");
        let flyway = advice_text(&run(
            Layout::Flyway,
            "db/V2__idx.sql",
            "CREATE INDEX i ON t (a);",
        ));
        assert!(
            flyway
                .contains("`db/V2__idx.sql.conf` containing the line `executeInTransaction=false`"),
            "{flyway}"
        );
        let pop = advice_text(&run(
            Layout::Pop,
            "m/20240101_idx.postgres.up.sql",
            "CREATE INDEX i ON t (a);",
        ));
        assert!(
            pop.contains("`m/20240101_idx.postgres.autocommit.up.sql`"),
            "{pop}"
        );
    }
}
