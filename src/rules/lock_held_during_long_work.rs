//! A lock that blocks reads or writes of an existing table, taken earlier
//! in the transaction, is still held while this statement scans, rewrites
//! or backfills: everyone waits until COMMIT, not just for one statement.
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

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
pub fn backfill_target(cx: &StmtCx) -> Option<crate::model::catalog::QName> {
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

fn check(cx: &StmtCx, out: &mut Sink) {
    if !cx.stmt.placement.in_transaction || !cx.stmt.held.iter().any(|h| h.mode.blocks_writes()) {
        return;
    }
    // Cheap first: most statements do no long work.
    let Some(work) = long_work(cx) else { return };
    let held: Vec<_> = cx
        .stmt
        .held
        .iter()
        .filter(|h| h.mode.blocks_writes() && cx.is_existing(&h.relation))
        .collect();
    if held.is_empty() {
        return;
    }
    // A long transactional script can hold hundreds of locks: name a few.
    const SHOWN: usize = 5;
    let mut list: Vec<String> = held
        .iter()
        .take(SHOWN)
        .map(|h| format!("{} on {} (line {})", h.mode.pg_name(), h.relation, h.since_line))
        .collect();
    if held.len() > SHOWN {
        list.push(format!("and {} more", held.len() - SHOWN));
    }
    let blocks = if held.iter().any(|h| h.mode.blocks_reads()) { "reads and writes" } else { "writes" };
    out.emit(
        cx.span(),
        format!("this statement {work} while the transaction still holds {}: {blocks} stay blocked until COMMIT, for as long as this takes", list.join(", ")),
    )
    .help("commit before the long step (run it in its own transaction or migration), or do the lock-taking change last");
}
