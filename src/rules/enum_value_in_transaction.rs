//! ALTER TYPE ... ADD VALUE, then the new value used in the same
//! transaction: PostgreSQL 12+ fails with "unsafe use of new value".
use pg_query::NodeEnum as N;
use pg_query::NodeRef;

use super::{FileCx, FileFacts, Hook, Sink, StmtCx, StmtFacts};

pub const HOOK: Hook = Hook::File(check);

fn uses(node: &N, value: &str) -> bool {
    crate::model::ast::all_nodes(node).iter().any(|n| match n {
        NodeRef::AConst(c) => matches!(&c.val, Some(pg_query::protobuf::a_const::Val::Sval(s)) if s.sval == value),
        _ => false,
    })
}

/// The value an ADD VALUE adds; which values added earlier in the same
/// transaction this statement uses.
pub(super) fn facts(cx: &StmtCx, f: &mut StmtFacts, file: &FileFacts) {
    if let N::AlterEnumStmt(s) = cx.node() {
        if !s.new_val.is_empty() && s.old_val.is_empty() {
            f.enum_added = Some(s.new_val.clone());
            f.enum_txn = cx.stmt.placement.txn;
        }
    }
    let Some(txn) = cx.stmt.placement.txn else { return };
    for &i in &file.enum_adds {
        let added = &file.statements[i];
        if added.enum_txn == Some(txn) && uses(cx.node(), added.enum_added.as_deref().unwrap_or_default()) {
            f.enum_uses.push(i);
        }
    }
}

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    for st in stmts {
        let Some(new_val) = &cx.facts[st.index].enum_added else { continue };
        let Some(txn) = st.placement.txn else { continue };
        let user = stmts.iter().find(|o| o.index > st.index && o.placement.txn == Some(txn) && cx.facts[o.index].enum_uses.contains(&st.index));
        if let Some(u) = user {
            out.emit(u.span, format!("'{}' was added to the enum at line {} in this same transaction: using it before COMMIT fails with \"unsafe use of new value\"", new_val, st.start.0))
                .help("commit the ADD VALUE first: put it in its own migration (or after a COMMIT) and use the value in a later one");
        }
    }
}
