//! drizzle-kit (PostgreSQL): `drizzle-kit generate` writes `<out>/<tag>.sql`
//! and appends `{ idx, version, when, tag, breakpoints }` to
//! `<out>/meta/_journal.json`; statements are joined with
//! `--> statement-breakpoint` (drizzle-team/drizzle-orm,
//! drizzle-kit/src/cli/commands/migrate.ts, `writeResult` and `BREAKPOINT`).
//!
//! What runs, in which order and how (drizzle-team/drizzle-orm, checked at
//! commit b7862528f of main, drizzle-orm 0.44 / drizzle-kit 0.31):
//!
//! - `drizzle-orm/src/migrator.ts`, `readMigrationFiles`: the journal's
//!   `entries` in array order, each `<out>/<tag>.sql` (a missing file stops
//!   everything: "No file ... found"); the text is split on
//!   `--> statement-breakpoint` and each piece is sent as one query. Files
//!   the journal does not list are never read.
//! - `drizzle-orm/src/pg-core/dialect.ts`, `PgDialect.migrate` (which
//!   `drizzle-kit migrate` and every PostgreSQL driver's `migrate()` but
//!   neon-http and xata-http call): `session.transaction(...)` around the
//!   loop over all pending migrations, so every pending migration runs in
//!   ONE transaction, and the history row goes to
//!   `drizzle.__drizzle_migrations (id, hash, created_at)`. There is no
//!   switch to run a migration outside it: a statement that cannot run in
//!   a transaction block (CREATE INDEX CONCURRENTLY, which drizzle-kit
//!   itself generates for `.concurrently()` indexes) fails there.
//!
//! ddlint's transaction model ends a transaction with its file, so each
//! file is modelled as one transaction: what fails inside a transaction
//! fails in it, but locks an earlier pending file took are not known to be
//! held while a later one runs.
//!
//! A piece between breakpoints needs no trailing `;` (drizzle sends it on
//! its own): after a piece without one the marker is read as a `;`, so the
//! statements split where drizzle splits them.

use std::path::{Path, PathBuf};

use super::{file_name, planned, Planned, Unit};
use crate::input::Wrapping;
use crate::source::Problem;

/// The journal, relative to the migrations folder.
pub const JOURNAL: &str = "meta/_journal.json";

/// drizzle-orm's statement separator (`readMigrationFiles` splits on it).
pub const BREAKPOINT: &str = "--> statement-breakpoint";

/// One `entries` item: only `tag` decides what runs (`idx`, `when`,
/// `breakpoints` are not read here, so a value drizzle tolerates there is
/// tolerated too).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Entry {
    pub tag: String,
}

#[derive(Debug, serde::Deserialize)]
struct Journal {
    entries: Vec<Entry>,
}

/// Whether `path` is a drizzle journal (`meta/_journal.json`).
pub fn is_journal(path: &Path) -> bool {
    file_name(path) == "_journal.json" && path.parent().is_some_and(|d| file_name(d) == "meta")
}

/// Whether `dir` is a drizzle-kit migrations folder.
pub fn is_root(dir: &Path) -> bool {
    dir.join(JOURNAL).is_file()
}

/// The 1-based line of the first `"tag"` value equal to `tag` in the
/// journal's text (1 when not found).
fn line_of_tag(text: &str, tag: &str) -> usize {
    let quoted = serde_json::to_string(tag).unwrap_or_default();
    text.lines()
        .position(|l| l.trim_start().starts_with("\"tag\"") && l.contains(quoted.as_str()))
        .map_or(1, |i| i + 1)
}

/// serde_json's message without its " at line L column C" (the problem
/// says where).
fn without_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rsplit_once(" at line ") {
        Some((msg, _)) => msg.to_string(),
        None => s,
    }
}

/// The journal's entries, in the order drizzle runs them; a journal that
/// cannot be read or is not what drizzle reads is a problem at its line.
pub fn read_journal(root: &Path) -> Result<Vec<Entry>, Problem> {
    let path = root.join(JOURNAL);
    let display = path.display().to_string();
    let problem = |line: usize, column: usize, message: String| Problem {
        path: display.clone(),
        line,
        column,
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        problem(
            0,
            0,
            format!(
                "cannot read drizzle-kit's journal: {}",
                super::super::read::io_message(&e)
            ),
        )
    })?;
    let journal: Journal = serde_json::from_str(&text).map_err(|e| {
        problem(
            e.line(),
            e.column(),
            format!(
                "drizzle-kit's journal is not what drizzle-kit migrate reads ({}); it stops on it",
                without_position(&e)
            ),
        )
    })?;
    let mut seen: Vec<&str> = Vec::new();
    for e in &journal.entries {
        if e.tag.is_empty() || e.tag.contains(['/', '\\']) {
            return Err(problem(
                line_of_tag(&text, &e.tag),
                1,
                format!(
                    "journal entry tag {:?} does not name a file of this folder",
                    e.tag
                ),
            ));
        }
        if seen.contains(&e.tag.as_str()) {
            return Err(problem(
                line_of_tag(&text, &e.tag),
                1,
                format!(
                    "the journal lists `{}` twice: drizzle-kit migrate would run `{}.sql` twice",
                    e.tag, e.tag
                ),
            ));
        }
        seen.push(&e.tag);
        if !root.join(format!("{}.sql", e.tag)).is_file() {
            return Err(problem(
                line_of_tag(&text, &e.tag),
                1,
                format!(
                    "the journal lists `{}`, but {} does not exist: drizzle-kit migrate stops there (\"No file ... found\")",
                    e.tag,
                    root.join(format!("{}.sql", e.tag)).display()
                ),
            ));
        }
    }
    Ok(journal.entries)
}

/// The files the journal lists, in its order; a file it does not list is
/// not run. Without a readable journal nothing is planned (the problem is
/// reported by [`read_journal`] first).
pub fn plan(root: &Path, sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let Ok(entries) = read_journal(root) else {
        return (vec![], vec![]);
    };
    let ups = entries
        .iter()
        .filter_map(|e| {
            let want = root.join(format!("{}.sql", e.tag));
            sql.iter().find(|p| **p == want)
        })
        .map(|p| planned(p, false, Wrapping::Transaction))
        .collect();
    (ups, vec![])
}

/// Why drizzle does not run a SQL file of its folder.
pub fn why_not_run(root: &Path) -> String {
    format!(
        "not listed in {}: drizzle-kit migrate runs only the migrations its journal lists",
        root.join(JOURNAL).display()
    )
}

/// The file as one unit. A breakpoint after a piece that does not end with
/// `;` is read as one (drizzle sends the pieces between breakpoints as
/// separate queries, so none needs its own); elsewhere it stays the
/// comment it is, and the text is the file's.
pub fn units(text: &str, p: &Planned) -> Vec<Unit> {
    let mut unit = Unit::whole(text, p.wrapping, p.down);
    let mut from = 0;
    while let Some(i) = text[from..].find(BREAKPOINT) {
        let s = from + i;
        let e = s + BREAKPOINT.len();
        if !text[..s].trim_end().ends_with(';') {
            unit.replace
                .push((s, e, format!(";{}", " ".repeat(BREAKPOINT.len() - 1))));
        }
        from = e;
    }
    vec![unit]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_line_is_found() {
        let j = "{\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"tag\": \"0000_init\"\n    }\n  ]\n}";
        assert_eq!(line_of_tag(j, "0000_init"), 5);
        assert_eq!(line_of_tag(j, "0001_x"), 1);
    }

    #[test]
    fn breakpoints_read_as_semicolons() {
        let text = "CREATE TABLE a ();--> statement-breakpoint\nCREATE TABLE a2 ()\n--> statement-breakpoint\nCREATE TABLE b ();";
        let p = planned(Path::new("0000_a.sql"), false, Wrapping::Transaction);
        let u = &units(text, &p)[0];
        assert_eq!(u.replace.len(), 1);
        let (s, e, with) = &u.replace[0];
        assert_eq!(&text[*s..*e], BREAKPOINT);
        assert_eq!(*s, text.rfind(BREAKPOINT).unwrap());
        assert_eq!(with.len(), BREAKPOINT.len());
        assert!(with.starts_with(';'));
    }
}
