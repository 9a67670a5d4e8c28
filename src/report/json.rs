//! The JSON contract (version 2), documented in README.md: one object on
//! stdout with `files[].statements[]` (locks, rewrites, scans and the
//! transaction they run in), `files[].transactions[]` (the locks each
//! transaction holds, and during which of its statements), `findings[]`,
//! `summary`, and `skipped[]` (the SQL files under the paths given that
//! were not read, with why; left out when there are none).
//!
//! Version 2 moved the locks a statement runs under from every statement
//! (`held_locks`, repeated on each statement of a long transaction: 70% of
//! a large history's report) to its transaction, once per lock, and
//! leaves out empty `rewrites` and `scans`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::catalog::QName;
use crate::model::locks::LockMode;
use crate::model::txn::HeldLock;
use crate::model::Analysis;
use crate::rules::{Finding, Severity};
use crate::source::Coverage;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    pg_version: u32,
    files: Files<'a>,
    findings: Vec<FindingOut<'a>>,
    summary: Summary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<SkippedOut<'a>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The files, built for serde, or written each on its own in parallel.
#[derive(Serialize)]
#[serde(untagged)]
enum Files<'a> {
    Built(Vec<File<'a>>),
    Parallel(Parallel<'a>),
}

/// The reported files, written a chunk at a time: the files of a chunk in
/// parallel, then pasted in order (only a chunk is held as text).
struct Parallel<'a> {
    analysis: &'a Analysis,
}

impl Serialize for Parallel<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use rayon::prelude::*;
        use serde::ser::{Error, SerializeSeq};
        let files = &self.analysis.files;
        let reported: Vec<usize> = (0..files.len()).filter(|&i| files[i].report).collect();
        let mut seq = s.serialize_seq(Some(reported.len()))?;
        for chunk in reported.chunks(256) {
            let written: Vec<Result<Box<serde_json::value::RawValue>, serde_json::Error>> = chunk
                .par_iter()
                .map(|&fi| {
                    serde_json::to_string(&file_out(fi, &files[fi], None))
                        .and_then(serde_json::value::RawValue::from_string)
                })
                .collect();
            for w in written {
                seq.serialize_element(&w.map_err(S::Error::custom)?)?;
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct SkippedOut<'a> {
    path: &'a str,
    reason: &'a str,
}

/// Fields another command adds to the contract (`ddlint dry-run`'s
/// observations): per statement (file index in the analysis, statement
/// index in the file), at the top level, and in the summary.
pub struct Extension<'a> {
    pub statement: &'a dyn Fn(usize, usize) -> Map<String, Value>,
    pub top: Map<String, Value>,
    pub summary: Map<String, Value>,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    wrapping: crate::model::txn::Wrapping,
    statements: Vec<Statement<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    transactions: Vec<Transaction<'a>>,
}

/// The locks a transaction holds while its statements run: each taken by
/// the statement at `since_line` and held from statement `from` to `to`
/// (indexes into the file's `statements`, inclusive). A statement's held
/// locks are those of its transaction whose range includes it.
#[derive(Serialize)]
struct Transaction<'a> {
    id: u64,
    locks: Vec<Held<'a>>,
}

#[derive(Serialize)]
struct Held<'a> {
    relation: &'a QName,
    mode: LockMode,
    since_line: usize,
    from: usize,
    to: usize,
}

#[derive(Serialize)]
struct Lock<'a> {
    relation: &'a QName,
    mode: LockMode,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    new: bool,
    blocks_reads: bool,
    blocks_writes: bool,
}

#[derive(Serialize)]
struct Statement<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    kind: &'a str,
    in_transaction: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction: Option<u64>,
    locks: Vec<Lock<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rewrites: Vec<&'a QName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scans: Vec<&'a QName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    index_rebuilds: Vec<&'a QName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    new_relations: Vec<&'a QName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unknown_relations: Vec<&'a QName>,
    /// Indexes the history does not show whose (unnamed) table takes the
    /// same lock as the index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unseen_index_tables: Vec<&'a QName>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    no_transaction_block: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    unknown: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    category: crate::rules::Category,
    severity: Severity,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a str>,
    /// Other rules that found the same problem (one finding per problem).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [&'static str],
    /// Production size and traffic (`--stats`).
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<&'a crate::rules::impact::Impact>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    statements: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Streams the report to `w` (a monorepo's report can be hundreds of MB:
/// it is never held in memory as one string). Compact, each file's part is
/// written in parallel, a chunk of files at a time.
pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
    coverage: &Coverage,
    ext: Option<&Extension>,
    pretty: bool,
) -> std::io::Result<()> {
    let reported = || analysis.files.iter().enumerate().filter(|(_, f)| f.report);
    let file_count = reported().count();
    let statements = reported().map(|(_, f)| f.statements.len()).sum();
    let files = match ext {
        // Compact and without another command's fields: each file is
        // written on its own, in parallel, and pasted in order.
        None if !pretty => Files::Parallel(Parallel { analysis }),
        _ => Files::Built(reported().map(|(fi, f)| file_out(fi, f, ext)).collect()),
    };
    let out: Vec<FindingOut> = findings
        .iter()
        .map(|f| FindingOut {
            rule: f.rule,
            category: f.category,
            severity: f.severity,
            path: &analysis.files[f.file].path,
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            message: &f.message,
            help: f.help.as_deref(),
            fix: f.fix.as_deref(),
            related: &f.related,
            impact: f.impact.as_deref(),
        })
        .collect();
    let summary = Summary {
        files: file_count,
        statements,
        errors: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        infos: findings
            .iter()
            .filter(|f| f.severity == Severity::Info)
            .count(),
        extra: ext.map(|e| e.summary.clone()).unwrap_or_default(),
    };
    let report = Report {
        version: 2,
        pg_version: analysis.pg_version,
        files,
        findings: out,
        summary,
        skipped: coverage
            .skipped
            .iter()
            .map(|s| SkippedOut {
                path: &s.path,
                reason: &s.reason,
            })
            .collect(),
        extra: ext.map(|e| e.top.clone()).unwrap_or_default(),
    };
    if pretty {
        serde_json::to_writer_pretty(&mut *w, &report)?;
    } else {
        serde_json::to_writer(&mut *w, &report)?;
    }
    w.write_all(b"\n")
}

/// One file's part of the report.
fn file_out<'a>(fi: usize, f: &'a crate::model::FileAnalysis, ext: Option<&Extension>) -> File<'a> {
    File {
        path: &f.path,
        wrapping: f.wrapping,
        statements: f
            .statements
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let fx = &s.effects;
                Statement {
                    line: s.start.0,
                    column: s.start.1,
                    end_line: s.end.0,
                    end_column: s.end.1,
                    kind: &s.kind,
                    in_transaction: s.placement.in_transaction,
                    transaction: s.placement.txn,
                    locks: fx
                        .locks
                        .iter()
                        .map(|(q, m)| Lock {
                            relation: q,
                            mode: *m,
                            new: fx.new_relations.contains(q),
                            blocks_reads: m.blocks_reads(),
                            blocks_writes: m.blocks_writes(),
                        })
                        .collect(),
                    rewrites: fx.rewrites.iter().collect(),
                    scans: fx.scans.iter().collect(),
                    index_rebuilds: fx.index_rebuilds.iter().collect(),
                    new_relations: fx.new_relations.iter().collect(),
                    unknown_relations: fx.unknown_relations.iter().collect(),
                    unseen_index_tables: fx.unseen_index_tables.iter().collect(),
                    no_transaction_block: fx.no_transaction_block,
                    unknown: fx.unknown.as_deref(),
                    notes: &fx.notes,
                    extra: ext.map(|e| (e.statement)(fi, si)).unwrap_or_default(),
                }
            })
            .collect(),
        transactions: transactions(&f.statements),
    }
}

/// The held locks of every statement, once per lock and transaction:
/// a lock enters when a statement of the transaction first runs under it
/// and leaves when one runs without it (ROLLBACK TO SAVEPOINT), or is
/// replaced by a stronger mode. Linear in the statements and locks: a
/// statement's held set is shared with the one before it while nothing
/// changes, and sets are ordered by relation, so a change is a merge.
fn transactions(statements: &[crate::model::StatementInfo]) -> Vec<Transaction<'_>> {
    let mut out: Vec<Transaction> = Vec::new();
    // The current transaction's held set as last seen, and for each of its
    // locks (in the same order) the index of its entry in `locks`.
    let mut prev: Option<&std::sync::Arc<[HeldLock]>> = None;
    let mut open: Vec<usize> = Vec::new();
    let mut current: Option<u64> = None;
    let mut last = 0;
    for (si, s) in statements.iter().enumerate() {
        let txn = s.placement.txn.filter(|_| !s.held.is_empty());
        if txn != current {
            if let Some(t) = out.last_mut().filter(|_| current.is_some()) {
                for &i in &open {
                    t.locks[i].to = last;
                }
            }
            open.clear();
            prev = None;
            current = txn;
            if let Some(id) = txn {
                if out.last().is_none_or(|t| t.id != id) {
                    out.push(Transaction {
                        id,
                        locks: Vec::new(),
                    });
                }
            }
        }
        let Some(t) = out.last_mut().filter(|_| txn.is_some()) else {
            continue;
        };
        if prev.is_some_and(|p| std::sync::Arc::ptr_eq(p, &s.held)) {
            last = si;
            continue;
        }
        let old: &[HeldLock] = prev.map(|p| &p[..]).unwrap_or(&[]);
        let mut next_open = Vec::with_capacity(s.held.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < s.held.len() {
            let ord = match (old.get(i), s.held.get(j)) {
                (Some(o), Some(n)) => o.relation.cmp(&n.relation),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match ord {
                std::cmp::Ordering::Equal if old[i] == s.held[j] => {
                    next_open.push(open[i]);
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => {
                    t.locks[open[i]].to = last;
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    next_open.push(start_entry(t, &s.held[j], si));
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    // Same relation, another mode or taker.
                    t.locks[open[i]].to = last;
                    next_open.push(start_entry(t, &s.held[j], si));
                    i += 1;
                    j += 1;
                }
            }
        }
        open = next_open;
        prev = Some(&s.held);
        last = si;
    }
    if let Some(t) = out.last_mut().filter(|_| current.is_some()) {
        for &i in &open {
            t.locks[i].to = last;
        }
    }
    out
}

fn start_entry<'a>(t: &mut Transaction<'a>, h: &'a HeldLock, si: usize) -> usize {
    t.locks.push(Held {
        relation: &h.relation,
        mode: h.mode,
        since_line: h.since_line,
        from: si,
        to: si,
    });
    t.locks.len() - 1
}
