//! Production size and traffic on locking findings (`check --stats`): what
//! the statement's blocking work costs on production's relations, how many
//! reads and writes arrive meanwhile, and the severity size implies.
//!
//! The work is classified while the statement's syntax tree is at hand
//! ([`work_of`], from the model's effects: rewrites, scans, index rebuilds,
//! and the statement's kind for index builds and foreign keys); durations
//! come from `stats::Model` (bytes / throughput per operation); [`assess`]
//! turns a statement's work and locks into an [`Impact`] and the severity
//! it implies, for every finding whose cause is traffic (`problem::Cause`).

use pg_query::protobuf::{AlterTableType, ConstrType};
use pg_query::NodeEnum;
use serde::Serialize;

use super::{Severity, StmtCx};
use crate::model::catalog::{ConstraintKind, QName};
use crate::model::{FileAnalysis, StatementInfo};
use crate::stats::{self, Model, Operation, Work};

/// What a locking finding costs on production (JSON `findings[].impact`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Impact {
    /// The largest relation the statement locks that production has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<QName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Heap + TOAST + indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The blocking work (scans, rewrites, index builds, validations) the
    /// statement does while holding its locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_seconds: Option<f64>,
    /// Writes (rows inserted, updated, deleted) to the relations whose
    /// lock blocks writes, arriving during the estimated work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_writes: Option<u64>,
    /// Reads (scans) of the relations whose lock blocks reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_reads: Option<u64>,
    /// The connections that run out: `stats.pool_size`, else
    /// max_connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
    /// After how long the blocked queries hold every connection of the
    /// pool (each waiting query holds one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_exhausted_after_seconds: Option<f64>,
    /// Each piece of work: relation, operation, bytes, seconds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub work: Vec<Work>,
    /// The sentence reports show.
    pub summary: String,
}

/// The blocking work of a statement on relations that existed before its
/// file (new relations are empty), for the model to price.
pub fn work_of(cx: &StmtCx, model: &Model) -> Vec<Work> {
    let fx = &cx.stmt.effects;
    let t = &model.throughput;
    let stats = &model.stats;
    let existing = |q: &QName| !fx.new_relations.contains(q);
    let mut out = Vec::new();
    let index_build = matches!(cx.node(), NodeEnum::IndexStmt(_));
    let fk = validates_foreign_key(cx);
    // A rewrite re-creates the foreign keys through the changed columns:
    // the other tables it reads are those validations.
    let revalidates = fx.rewrites.iter().any(&existing);
    for q in fx.rewrites.iter().filter(|q| existing(q)) {
        let Some(r) = stats.relation(q) else { continue };
        out.push(Work::new(q.clone(), Operation::Rewrite, r.table_bytes(), t));
        // Every index is rebuilt on the new copy.
        for _ in &r.indexes {
            out.push(Work::new(q.clone(), Operation::IndexBuild, r.heap_bytes, t));
        }
    }
    for q in fx.scans.iter().filter(|q| existing(q)) {
        if fx.rewrites.contains(q) {
            continue;
        }
        let Some(r) = stats.relation(q) else { continue };
        let op = if index_build {
            Operation::IndexBuild
        } else if fk || revalidates {
            Operation::ValidateForeignKey
        } else {
            Operation::Scan
        };
        out.push(Work::new(q.clone(), op, r.heap_bytes, t));
    }
    for ix in fx.index_rebuilds.iter().filter(|q| existing(q)) {
        let Some(r) = stats.table_of_index(ix) else {
            continue;
        };
        if fx.rewrites.contains(&r.qname()) {
            continue;
        }
        out.push(Work::new(r.qname(), Operation::IndexBuild, r.heap_bytes, t));
    }
    out
}

/// ADD FOREIGN KEY (validated) or VALIDATE CONSTRAINT of a foreign key.
fn validates_foreign_key(cx: &StmtCx) -> bool {
    let NodeEnum::AlterTableStmt(s) = cx.node() else {
        return false;
    };
    let table = s.relation.as_ref().map(|rv| cx.resolve(rv));
    crate::model::ast::alter_cmds(s)
        .into_iter()
        .any(|c| match crate::model::ast::subtype(c) {
            AlterTableType::AtAddConstraint => {
                crate::model::ast::cmd_constraint(c).is_some_and(|k| {
                    crate::model::ast::contype(k) == ConstrType::ConstrForeign && !k.skip_validation
                })
            }
            AlterTableType::AtAddColumn => crate::model::ast::cmd_column_def(c)
                .map(|d| {
                    crate::model::ast::column_constraints(d)
                        .iter()
                        .any(|k| crate::model::ast::contype(k) == ConstrType::ConstrForeign)
                })
                .unwrap_or(false),
            AlterTableType::AtValidateConstraint => table
                .as_ref()
                .and_then(|t| cx.rel(t))
                .and_then(|r| r.constraint(&c.name))
                .is_some_and(|k| matches!(k.kind, ConstraintKind::ForeignKey { .. })),
            _ => false,
        })
}

/// Why a relation has no statistics.
fn missing(
    q: &QName,
    fa_project_catalog: &crate::model::catalog::Catalog,
    files: &[FileAnalysis],
) -> String {
    let pending = fa_project_catalog
        .get(q)
        .and_then(|r| r.origin.file)
        .is_some_and(|f| files.get(f).is_some_and(|fa| fa.report));
    if pending {
        format!("{q} is created by a pending migration: production has no statistics for it")
    } else {
        format!("{q} is not in the statistics file")
    }
}

/// A statement's impact, and the severity its size implies (None: keep).
pub fn assess(
    model: &Model,
    st: &StatementInfo,
    work: &[Work],
    catalog: &crate::model::catalog::Catalog,
    files: &[FileAnalysis],
) -> (Impact, Option<Severity>) {
    let fx = &st.effects;
    let locked: Vec<(&QName, crate::model::locks::LockMode)> = fx.existing_locks().collect();
    let mut impact = Impact::default();
    if locked.is_empty() {
        return (impact, None);
    }
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for (q, m) in &locked {
        match model.stats.relation(q) {
            Some(r) => known.push((*q, *m, r)),
            None => unknown.push(*q),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    // The largest relation it locks.
    if let Some((q, _, r)) = known
        .iter()
        .max_by_key(|(_, m, r)| (m.blocks_writes(), r.total_bytes()))
    {
        impact.relation = Some((*q).clone());
        impact.rows = r.rows;
        impact.bytes = Some(r.total_bytes());
        let rows = r
            .rows
            .map(|n| format!("{} rows, ", stats::thousands(n)))
            .unwrap_or_else(|| "rows unknown (never analysed), ".to_string());
        parts.push(format!(
            "{q}: {rows}{}",
            stats::pretty_bytes(r.total_bytes())
        ));
    }
    let seconds: f64 = work.iter().map(|w| w.seconds).sum();
    let small = !known.is_empty()
        && unknown.is_empty()
        && !known.iter().any(|(_, _, r)| model.large_table.above(r))
        && known.iter().all(|(_, _, r)| model.small_table.below(r));
    if small {
        if let Some(first) = parts.first_mut() {
            first.push_str(&format!(
                ": below stats.small_table ({}), the lock lasts milliseconds",
                match model.small_table {
                    stats::Size::Rows(n) => format!("{} rows", stats::thousands(n)),
                    stats::Size::Bytes(b) => stats::pretty_bytes(b),
                }
            ));
        }
    }
    if !work.is_empty() {
        impact.estimated_seconds = Some(round3(seconds));
        impact.work = work.to_vec();
    }
    if !work.is_empty() && !small {
        let mut ops: Vec<Operation> = work.iter().map(|w| w.operation).collect();
        ops.sort();
        ops.dedup();
        let ops: Vec<&str> = ops.iter().map(|o| o.describe()).collect();
        parts.push(format!(
            "{} of blocking work ({})",
            stats::pretty_seconds(seconds),
            ops.join(" + ")
        ));
    }
    // Arrivals that queue behind the locks.
    let mut writes_per_s = 0.0;
    let mut reads_per_s = 0.0;
    let mut rates_known = false;
    for (_, m, r) in &known {
        let Some(rates) = r.rates else { continue };
        rates_known = true;
        if m.blocks_writes() {
            writes_per_s += rates.writes();
        }
        if m.blocks_reads() {
            reads_per_s += rates.reads();
        }
    }
    if rates_known && !small && !work.is_empty() && writes_per_s + reads_per_s > 0.0 {
        let blocks_writes = known.iter().any(|(_, m, _)| m.blocks_writes());
        let blocks_reads = known.iter().any(|(_, m, _)| m.blocks_reads());
        if blocks_writes {
            let n = (writes_per_s * seconds).round() as u64;
            impact.blocked_writes = Some(n);
        }
        if blocks_reads {
            let n = (reads_per_s * seconds).round() as u64;
            impact.blocked_reads = Some(n);
        }
        let mut waits = Vec::new();
        if let Some(n) = impact.blocked_reads {
            waits.push(format!("~{} reads", stats::thousands(n)));
        }
        if let Some(n) = impact.blocked_writes {
            waits.push(format!("~{} writes", stats::thousands(n)));
        }
        if !waits.is_empty() {
            // The relations whose blocked traffic is counted.
            let names: Vec<String> = known
                .iter()
                .filter(|(_, m, r)| {
                    r.rates.is_some_and(|x| {
                        (m.blocks_writes() && x.writes() > 0.0)
                            || (m.blocks_reads() && x.reads() > 0.0)
                    })
                })
                .map(|(q, _, _)| q.to_string())
                .collect();
            let target = match names.as_slice() {
                [] => String::new(),
                [one] => format!(" to {one}"),
                [init @ .., last] => format!(" to {} and {last}", init.join(", ")),
            };
            parts.push(format!("{}{target} would wait", waits.join(" and ")));
        }
    }
    let arrivals = writes_per_s + reads_per_s;
    if rates_known && arrivals > 0.0 && !small {
        let pool = model.pool();
        impact.pool_size = Some(pool);
        let after = f64::from(pool) / arrivals;
        impact.pool_exhausted_after_seconds = Some(round3(after));
        if !work.is_empty() && after < seconds {
            parts.push(format!(
                "a pool of {pool} connections is exhausted after {}",
                stats::pretty_seconds(after)
            ));
        } else {
            parts.push(format!(
                "if it waits for its lock, a pool of {pool} connections is exhausted after {} of waiting",
                stats::pretty_seconds(after)
            ));
        }
    }
    for q in &unknown {
        parts.push(missing(q, catalog, files));
    }
    // Severity from size: every locked relation small -> info; any large
    // -> error. A relation without statistics keeps the rule's severity.
    let severity = if small {
        Some(Severity::Info)
    } else if !known.is_empty()
        && unknown.is_empty()
        && known.iter().any(|(_, _, r)| model.large_table.above(r))
    {
        Some(Severity::Error)
    } else {
        None
    };
    impact.summary = parts.join("; ");
    (impact, severity)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
