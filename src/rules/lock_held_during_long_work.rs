//! A lock that blocks reads or writes of an existing table, taken by one
//! statement of a transaction, is still held while later statements scan,
//! rewrite or backfill: everyone waits until COMMIT, not just for one
//! statement. One finding per statement that took such locks, listing the
//! long steps that run while they are held.
use std::collections::BTreeMap;
use std::sync::Arc;

use pg_query::NodeEnum as N;

use super::{FileCx, Hook, Sink, StmtCx, StmtFacts};
use crate::model::catalog::QName;
use crate::model::locks::LockMode;
use crate::model::StatementInfo;

pub const HOOK: Hook = Hook::File(check);

/// Long work on an existing relation: a scan, a rewrite, or a data change
/// that may touch many rows.
pub fn long_work(cx: &StmtCx) -> Option<String> {
    let fx = &cx.stmt.effects;
    if let Some(q) = fx.rewrites.iter().find(|q| cx.is_existing(q)) {
        return Some(format!("rewrites {q}"));
    }
    if let Some(q) = fx.scans.iter().find(|q| cx.is_existing(q)) {
        if !matches!(cx.node(), N::SelectStmt(_)) {
            return Some(format!("reads all of {q}"));
        }
    }
    if let Some(q) = backfill_target(cx) {
        return Some(format!("changes rows of {q}"));
    }
    None
}

/// UPDATE / DELETE / MERGE / INSERT ... SELECT on an existing table.
pub fn backfill_target(cx: &StmtCx) -> Option<QName> {
    let rv = match cx.node() {
        N::UpdateStmt(s) => s.relation.as_ref(),
        N::DeleteStmt(s) => s.relation.as_ref(),
        N::MergeStmt(s) => s.relation.as_ref(),
        N::InsertStmt(s) => {
            let from_select = s
                .select_stmt
                .as_deref()
                .and_then(|n| n.node.as_ref())
                .map(|n| matches!(n, N::SelectStmt(sel) if sel.values_lists.is_empty()))
                .unwrap_or(false);
            if from_select {
                s.relation.as_ref()
            } else {
                None
            }
        }
        _ => None,
    }?;
    let q = cx.resolve(rv);
    cx.is_existing(&q).then_some(q)
}

/// What this rule needs from a statement's syntax tree: the long work it
/// does while the transaction holds locks that block an existing table,
/// and those locks.
#[derive(Debug)]
pub struct LongWork {
    pub what: String,
    /// The held locks that block writes of a relation that existed before
    /// this file and transaction: relation, mode, the line they are held
    /// since.
    pub held: Vec<(Arc<QName>, LockMode, usize)>,
}

pub fn facts(cx: &StmtCx, f: &mut StmtFacts) {
    if !cx.stmt.placement.in_transaction || !cx.stmt.held.iter().any(|h| h.mode.blocks_writes()) {
        return;
    }
    // Cheap first: most statements do no long work.
    let Some(what) = long_work(cx) else { return };
    let held: Vec<(Arc<QName>, LockMode, usize)> = cx
        .stmt
        .held
        .iter()
        .filter(|h| h.mode.blocks_writes() && cx.is_existing(&h.relation))
        .map(|h| (h.relation.clone(), h.mode, h.since_line))
        .collect();
    if !held.is_empty() {
        f.long_work = Some(Box::new(LongWork { what, held }));
    }
}

/// The locks a statement took that are held during later long steps, and
/// those steps (line, what), in order.
#[derive(Default)]
struct Taken {
    locks: Vec<(Arc<QName>, LockMode)>,
    steps: Vec<(usize, String)>,
}

/// The statement before `before` in transaction `txn` that took the lock
/// on `rel` held since line `since`: the statements are in text order, so
/// a binary search finds the line and a short walk back the statement (a
/// long script holds hundreds of locks over hundreds of steps).
fn taker(stmts: &[StatementInfo], before: usize, txn: Option<u64>, rel: &QName, since: usize) -> Option<usize> {
    let end = stmts[..before].partition_point(|s| s.start.0 <= since);
    stmts[..end]
        .iter()
        .enumerate()
        .rev()
        .take_while(|(_, s)| s.end.0 >= since)
        .find(|(_, s)| s.placement.txn == txn && s.effects.locks.contains_key(rel))
        .map(|(j, _)| j)
}

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    let mut by_taker: BTreeMap<usize, Taken> = BTreeMap::new();
    for (i, st) in stmts.iter().enumerate() {
        let Some(work) = cx.facts.get(i).and_then(|f| f.long_work.as_deref()) else {
            continue;
        };
        for (rel, mode, since) in &work.held {
            // Else this long step itself: the lock came from an earlier
            // part of a psql script.
            let j = taker(stmts, i, st.placement.txn, rel, *since).unwrap_or(i);
            let t = by_taker.entry(j).or_default();
            // A statement locks a few relations: a short list.
            match t.locks.iter_mut().find(|(q, _)| q == rel) {
                Some((_, m)) => *m = (*m).max(*mode),
                None => t.locks.push((rel.clone(), *mode)),
            }
            // Steps arrive in order: one entry per step.
            if t.steps.last().map(|s| s.0) != Some(st.start.0) {
                t.steps.push((st.start.0, work.what.clone()));
            }
        }
    }
    // A long transactional script can hold hundreds of locks and run
    // hundreds of steps: name a few.
    const SHOWN: usize = 5;
    let few = |mut items: Vec<String>| {
        let n = items.len();
        items.truncate(SHOWN);
        if n > SHOWN {
            items.push(format!("{} more", n - SHOWN));
        }
        items
    };
    for (taker, t) in by_taker {
        let st = &stmts[taker];
        let locks = few(t
            .locks
            .iter()
            .map(|(q, m)| format!("{} on {q}", m.pg_name()))
            .collect());
        let steps = few(t
            .steps
            .iter()
            .map(|(line, what)| format!("line {line} {what}"))
            .collect());
        let blocks = if t.locks.iter().any(|(_, m)| m.blocks_reads()) {
            "reads and writes"
        } else {
            "writes"
        };
        let who = if t.steps[0].0 > st.start.0 {
            "this statement takes"
        } else {
            "the transaction already holds"
        };
        out.emit(
            st.span,
            format!(
                "{who} {} and keeps it until COMMIT while later steps do long work ({}): {blocks} stay blocked for all of it",
                locks.join(", "),
                steps.join("; ")
            ),
        )
        .help("commit before the long steps (run them in their own transaction or migration), or do the lock-taking change last");
    }
}
