//! ALTER TYPE ... ADD VALUE, then the new value used in the same
//! transaction: PostgreSQL 12+ fails with "unsafe use of new value".
use pg_query::NodeEnum as N;
use pg_query::NodeRef;

use super::{FileCx, Hook, Sink};

pub const HOOK: Hook = Hook::File(check);

fn uses(node: &N, value: &str) -> bool {
    node.nodes().iter().any(|(n, _, _, _)| match n {
        NodeRef::AConst(c) => matches!(&c.val, Some(pg_query::protobuf::a_const::Val::Sval(s)) if s.sval == value),
        _ => false,
    })
}

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    for st in stmts {
        let N::AlterEnumStmt(s) = &st.node else { continue };
        if s.new_val.is_empty() || !s.old_val.is_empty() {
            continue;
        }
        let Some(txn) = st.placement.txn else { continue };
        let user = stmts.iter().find(|o| o.index > st.index && o.placement.txn == Some(txn) && uses(&o.node, &s.new_val));
        if let Some(u) = user {
            out.emit(u.span, format!("'{}' was added to the enum at line {} in this same transaction: using it before COMMIT fails with \"unsafe use of new value\"", s.new_val, st.start.0))
                .help("commit the ADD VALUE first: put it in its own migration (or after a COMMIT) and use the value in a later one");
        }
    }
}
