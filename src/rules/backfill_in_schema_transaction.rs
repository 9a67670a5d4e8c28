//! A data backfill (UPDATE / DELETE / INSERT ... SELECT on an existing
//! table) in the same transaction as schema changes that lock existing
//! tables: the locks and the row locks are all held until the end.
use super::{FileCx, Hook, Sink, StmtCx, StmtFacts};
use pg_query::NodeEnum as N;

pub const HOOK: Hook = Hook::File(check);

fn is_backfill(node: &N) -> bool {
    match node {
        N::UpdateStmt(_) | N::DeleteStmt(_) | N::MergeStmt(_) => true,
        N::InsertStmt(s) => s
            .select_stmt
            .as_deref()
            .and_then(|n| n.node.as_ref())
            .map(|n| matches!(n, N::SelectStmt(sel) if sel.values_lists.is_empty()))
            .unwrap_or(false),
        _ => false,
    }
}

pub(super) fn facts(cx: &StmtCx, f: &mut StmtFacts) {
    f.backfill = is_backfill(cx.node());
}

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    for st in stmts {
        let Some(txn) = st.placement.txn else { continue };
        if !cx.facts[st.index].backfill {
            continue;
        }
        let fx = &st.effects;
        let target = fx.locks.iter().find(|(q, m)| {
            **m == crate::model::locks::LockMode::RowExclusive && !fx.new_relations.contains(q)
        });
        let Some((target, _)) = target else { continue };
        // Already reported by lock-held-during-long-work?
        if st.held.iter().any(|h| h.mode.blocks_writes() && !fx.new_relations.contains(&h.relation)) {
            continue;
        }
        let ddl = stmts.iter().find(|o| {
            o.placement.txn == Some(txn)
                && o.index > st.index
                && o.effects.existing_locks().any(|(q, m)| m.blocks_writes() && !o.effects.new_relations.contains(q))
        });
        if let Some(d) = ddl {
            out.emit(st.span, format!("this backfill of {target} runs in the same transaction as the schema change at line {}: its row locks, and the lock that change takes, are held until the whole transaction commits", d.start.0))
                .help("run backfills in their own transactions, in batches (e.g. 1,000-10,000 rows per transaction), separate from schema changes");
        }
    }
}
