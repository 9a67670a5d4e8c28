//! A data backfill (UPDATE / DELETE / INSERT ... SELECT on an existing
//! table) in the same transaction as schema changes that lock existing
//! tables: the locks and the row locks are all held until the end. Also an
//! UPDATE / DELETE / MERGE whose rows no key range bounds, followed in its
//! transaction by slow work: its row locks make the application's writes
//! of those rows wait until COMMIT (relation locks show nothing of it).
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
    if !cx.stmt.placement.in_transaction {
        return;
    }
    let (rv, where_) = match cx.node() {
        N::UpdateStmt(s) => (s.relation.as_ref(), s.where_clause.as_deref()),
        N::DeleteStmt(s) => (s.relation.as_ref(), s.where_clause.as_deref()),
        N::MergeStmt(s) => (s.relation.as_ref(), None),
        _ => (None, None),
    };
    if let Some(rv) = rv {
        let q = cx.resolve(rv);
        // The leading columns of the table's indexes: a range on one of
        // them bounds the rows (a range on any column when the history
        // does not show the table).
        let keys: Option<Vec<String>> = cx.rel(&q).map(|r| {
            r.indexes
                .iter()
                .filter_map(|i| cx.rel(i))
                .filter_map(|i| i.index.as_ref())
                .filter_map(|i| i.columns.first().cloned().flatten())
                .collect()
        });
        let bounded = where_
            .and_then(|w| w.node.as_ref())
            .is_some_and(|w| bounded(w, keys.as_deref()));
        if cx.is_existing(&q) && !bounded {
            f.unbounded_rows = Some(Box::new(q));
        }
    }
    let slow = super::lock_held_during_long_work::long_work(cx).or_else(|| sleeps(cx.node()));
    f.slow_work = slow.map(Box::new);
}

/// A comparison of a column with a constant (`id <= 1000`, `id BETWEEN
/// ...`, `id IN (...)`, `id = ...`): a key range bounds the rows.
fn bounded(w: &N, keys: Option<&[String]>) -> bool {
    use pg_query::protobuf::AExprKind;
    let mut found = false;
    crate::model::ast::walk(w, &mut |n| {
        if let N::AExpr(e) = n {
            let kind = AExprKind::try_from(e.kind).unwrap_or(AExprKind::Undefined);
            let op = e.name.first().and_then(crate::model::ast::string_of).unwrap_or("");
            let is_const = |x: &Option<Box<pg_query::protobuf::Node>>| {
                matches!(
                    x.as_deref().and_then(|x| x.node.as_ref()),
                    Some(N::AConst(_)) | Some(N::List(_)) | Some(N::ParamRef(_))
                )
            };
            let is_col = |x: &Option<Box<pg_query::protobuf::Node>>| match x
                .as_deref()
                .and_then(|x| x.node.as_ref())
            {
                Some(N::ColumnRef(c)) => {
                    let name = c.fields.last().and_then(crate::model::ast::string_of);
                    match (keys, name) {
                        (None, _) => true,
                        (Some(k), Some(n)) => k.iter().any(|x| x == n),
                        _ => false,
                    }
                }
                _ => false,
            };
            let comparison = match kind {
                AExprKind::AexprOp => matches!(op, "=" | "<" | "<=" | ">" | ">="),
                AExprKind::AexprIn | AExprKind::AexprBetween => true,
                _ => false,
            };
            if comparison
                && ((is_col(&e.lexpr) && is_const(&e.rexpr)) || (is_const(&e.lexpr) && is_col(&e.rexpr)))
            {
                found = true;
            }
        }
        !found
    });
    found
}

/// `SELECT pg_sleep(...)`: waiting with the locks held.
fn sleeps(node: &N) -> Option<String> {
    let mut found = None;
    crate::model::ast::walk(node, &mut |n| {
        if let N::FuncCall(f) = n {
            let name = f.funcname.last().and_then(crate::model::ast::string_of).unwrap_or("");
            if name.starts_with("pg_sleep") {
                found = Some(format!("calls {name}"));
            }
        }
        found.is_none()
    });
    found
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
            continue;
        }
        // No schema change after it, but slow work: the rows it changed
        // stay locked meanwhile.
        let Some(rows) = cx.facts[st.index].unbounded_rows.as_deref() else {
            continue;
        };
        let slow = stmts.iter().find_map(|o| {
            (o.placement.txn == Some(txn) && o.index > st.index)
                .then(|| cx.facts[o.index].slow_work.as_deref().map(|w| (o, w)))
                .flatten()
        });
        if let Some((o, what)) = slow {
            out.emit(st.span, format!("this changes rows of {rows} with no key range bounding them, and its transaction goes on (line {} {what}): every row it changed stays locked until COMMIT, so the application's UPDATE and DELETE of those rows wait that long", o.start.0))
                .help("backfill in batches, each in its own short transaction (`UPDATE ... WHERE id BETWEEN $1 AND $2`, then COMMIT), and do the slow work outside that transaction")
                .suggest(format!("-- in batches, one transaction each:\nUPDATE {rows} SET ... WHERE id >= :start AND id < :start + 10000;"));
        }
    }
}
