//! What dry-run executes, in which order, in which transaction: one step per
//! statement of the files to run, from the model's placement (the layout's
//! wrapping, BEGIN/COMMIT in the file). Also decides, before anything runs,
//! what a run that must leave the database unchanged cannot do.

use crate::model::{Analysis, StatementInfo};

/// A transaction-control statement: the executor implements these itself
/// (so a run without `--commit` can turn COMMIT into "keep going" and undo
/// everything at the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Begin,
    Commit,
    Rollback,
    /// SAVEPOINT, RELEASE, ROLLBACK TO: run as written.
    Savepoint,
    /// Two-phase commit: never run by a dry-run.
    Prepared,
}

impl Control {
    fn of(kind: &str) -> Option<Control> {
        Some(match kind {
            "BEGIN" | "START TRANSACTION" => Control::Begin,
            "COMMIT" => Control::Commit,
            "ROLLBACK" => Control::Rollback,
            "SAVEPOINT" | "RELEASE" | "ROLLBACK TO SAVEPOINT" => Control::Savepoint,
            "PREPARE TRANSACTION" | "COMMIT PREPARED" | "ROLLBACK PREPARED" => Control::Prepared,
            _ => return None,
        })
    }
}

/// One statement to run.
#[derive(Clone, Debug)]
pub struct Step {
    /// Index into `Analysis::files`.
    pub file: usize,
    /// Index into that file's statements.
    pub stmt: usize,
    /// 1-based number among the steps (what reports call "statement 3").
    pub number: usize,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub kind: String,
    pub sql: String,
    /// The model's transaction id (None: autocommit).
    pub txn: Option<u64>,
    pub in_transaction: bool,
    pub control: Option<Control>,
    /// Refuses to run in a transaction block (CREATE INDEX CONCURRENTLY...).
    pub no_transaction_block: bool,
    /// Whether this step is part of the history replayed before the
    /// dry-run proper (not observed, not reported).
    pub history: bool,
    /// A psql script without ON_ERROR_STOP at this point: psql reports an
    /// error here and carries on with the next statement.
    pub continue_on_error: bool,
}

impl Step {
    pub fn location(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// The steps of every file, in order. `history` files (not reported) come
/// first in the analysis and are marked as such.
pub fn steps(analysis: &Analysis) -> Vec<Step> {
    let mut out = Vec::new();
    let mut number = 0;
    for (fi, f) in analysis.files.iter().enumerate() {
        for (si, s) in f.statements.iter().enumerate() {
            if !f.report {
                out.push(step(fi, si, f.path.as_str(), &f.text, s, 0, true));
                continue;
            }
            number += 1;
            out.push(step(fi, si, f.path.as_str(), &f.text, s, number, false));
        }
    }
    out
}

fn step(
    file: usize,
    stmt: usize,
    path: &str,
    text: &str,
    s: &StatementInfo,
    number: usize,
    history: bool,
) -> Step {
    let sql = text
        .get(s.span.start..s.span.end)
        .unwrap_or_default()
        .to_string();
    Step {
        file,
        stmt,
        number,
        path: path.to_string(),
        line: s.start.0,
        column: s.start.1,
        kind: s.kind.clone(),
        sql,
        txn: s.placement.txn,
        in_transaction: s.placement.in_transaction,
        control: Control::of(&s.kind),
        no_transaction_block: s.effects.no_transaction_block,
        history,
        continue_on_error: false,
    }
}

/// psql's boolean variables as `ParseVariableBool` reads them (any
/// unambiguous prefix of true/false, yes/no, on/off; 1/0); `\set NAME`
/// with no value is on, `\unset` off (`bool_substitute_hook`).
pub fn psql_bool(value: &str) -> Option<bool> {
    let v = value.trim().trim_matches('\'').to_ascii_lowercase();
    if v.is_empty() {
        return Some(true);
    }
    let prefix = |word: &str, min: usize| v.len() >= min && word.starts_with(v.as_str());
    if prefix("true", 1) || prefix("yes", 1) || prefix("on", 2) || v == "1" {
        Some(true)
    } else if prefix("false", 1) || prefix("no", 1) || prefix("off", 2) || v == "0" {
        Some(false)
    } else {
        None
    }
}

/// Where a psql script sets ON_ERROR_STOP: (1-based line, value) for each
/// `\set ON_ERROR_STOP [value]` and `\unset ON_ERROR_STOP` at a line's
/// start.
pub fn on_error_stop_changes(text: &str) -> Vec<(usize, bool)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let value = match (words.next(), words.next()) {
            (Some("\\set"), Some("ON_ERROR_STOP")) => {
                psql_bool(&words.collect::<Vec<_>>().join(" "))
            }
            (Some("\\unset"), Some("ON_ERROR_STOP")) => Some(false),
            _ => None,
        };
        if let Some(v) = value {
            out.push((i + 1, v));
        }
    }
    out
}

/// Marks the steps of psql scripts that run without ON_ERROR_STOP, from
/// `initial` (`--var ON_ERROR_STOP=...`; unset is off, psql's default)
/// and the script's own `\set`s: psql carries on after an error there.
pub fn mark_psql_error_handling(steps: &mut [Step], analysis: &Analysis, initial: bool) {
    let mut changes: std::collections::BTreeMap<String, Vec<(usize, bool)>> = Default::default();
    for s in steps.iter_mut().filter(|s| !s.history) {
        let f = &analysis.files[s.file];
        if f.layout != crate::input::Layout::Psql {
            continue;
        }
        let c = changes.entry(s.path.clone()).or_insert_with(|| {
            std::fs::read_to_string(&s.path)
                .map(|t| on_error_stop_changes(&t))
                .unwrap_or_default()
        });
        let stop = c
            .iter()
            .rev()
            .find(|(line, _)| *line < s.line)
            .map_or(initial, |(_, v)| *v);
        s.continue_on_error = !stop;
    }
}

/// What a non-transactional statement leaves behind and how a run without
/// `--commit` undoes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undo {
    /// Nothing to undo (VACUUM, ANALYZE, REINDEX: same schema, same data).
    Nothing,
    /// Indexes it creates (also an INVALID one left by a failure) are
    /// dropped with DROP INDEX CONCURRENTLY.
    DropNewIndexes,
}

/// How a statement that cannot run inside a transaction is undone, or why
/// it cannot be.
pub fn undo_for(kind: &str, sql: &str) -> Result<Undo, String> {
    let upper = sql.to_ascii_uppercase();
    match kind {
        "CREATE INDEX CONCURRENTLY" => Ok(Undo::DropNewIndexes),
        // A failed REINDEX CONCURRENTLY leaves an invalid `*_ccnew` index.
        "REINDEX" => Ok(Undo::DropNewIndexes),
        "VACUUM" | "ANALYZE" => Ok(Undo::Nothing),
        "DROP INDEX CONCURRENTLY" => Err(
            "DROP INDEX CONCURRENTLY cannot be undone by a rollback (the index would have to be \
             rebuilt)"
                .into(),
        ),
        k if k.starts_with("ALTER TYPE") || upper.contains("ADD VALUE") => {
            Err("an enum value added outside a transaction cannot be removed again".into())
        }
        k if k.starts_with("ALTER TABLE") && upper.contains("DETACH") => Err(
            "DETACH PARTITION CONCURRENTLY commits in two steps and cannot be rolled back".into(),
        ),
        k => Err(format!(
            "{k} cannot run inside a transaction, so a rollback cannot undo it"
        )),
    }
}

/// Statements no dry-run can execute, whatever the mode (`history`:
/// whether the history is run too).
pub fn unsupported(steps: &[Step], history: bool) -> Vec<String> {
    steps
        .iter()
        .filter(|s| history || !s.history)
        .filter(|s| {
            s.kind == "COPY" && {
                let u = s.sql.to_ascii_uppercase();
                u.contains("STDIN") || u.contains("STDOUT")
            }
        })
        .map(|s| {
            format!(
                "{}: COPY from/to the client needs psql's data stream; dry-run cannot run it \
                 (load the data with a separate step, or COPY from a server-side file)",
                s.location()
            )
        })
        .collect()
}

/// Reasons a run that must leave the database unchanged (no `--commit`)
/// refuses to start, each with the statement's location.
pub fn refusals(steps: &[Step]) -> Vec<String> {
    let mut out = Vec::new();
    let mut transactional_work_before = None::<String>;
    for s in steps.iter().filter(|s| !s.history) {
        if s.control == Some(Control::Prepared) {
            out.push(format!(
                "{}: {}: two-phase commit cannot be dry-run",
                s.location(),
                s.kind
            ));
            continue;
        }
        if s.control.is_some() {
            continue;
        }
        if s.no_transaction_block {
            if let Err(why) = undo_for(&s.kind, &s.sql) {
                out.push(format!("{}: {}: {why}", s.location(), s.kind));
            } else if let Some(at) = &transactional_work_before {
                out.push(format!(
                    "{}: {} cannot run inside a transaction, and the changes before it (from {at}) \
                     stay uncommitted until the final rollback, so it cannot see them; dry-run \
                     the files separately, or use --commit on a disposable copy",
                    s.location(),
                    s.kind
                ));
            }
        } else if transactional_work_before.is_none() && !is_harmless(&s.kind) {
            transactional_work_before = Some(s.location());
        }
    }
    out
}

/// Statements that change nothing a later non-transactional statement could
/// depend on.
fn is_harmless(kind: &str) -> bool {
    matches!(kind, "SET" | "SET LOCAL" | "RESET" | "SHOW" | "SELECT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_error_stop_as_psql_reads_it() {
        for (v, want) in [
            ("on", Some(true)),
            ("ON", Some(true)),
            ("1", Some(true)),
            ("t", Some(true)),
            ("yes", Some(true)),
            ("'on'", Some(true)),
            ("", Some(true)),
            ("off", Some(false)),
            ("0", Some(false)),
            ("f", Some(false)),
            ("o", None),
            ("maybe", None),
        ] {
            assert_eq!(psql_bool(v), want, "{v:?}");
        }
        assert_eq!(
            on_error_stop_changes(
                "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\unset ON_ERROR_STOP\n\\set ON_ERROR_STOP\n\\set OTHER 1\n"
            ),
            [(1, true), (3, false), (4, true)]
        );
    }
}
