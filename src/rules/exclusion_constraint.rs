//! ADD EXCLUDE on an existing table: the index is built under
//! AccessExclusiveLock and there is no USING INDEX form.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::AlterTableStmt(s) = cx.node() else { return };
    let Some(rv) = &s.relation else { return };
    let t = cx.resolve(rv);
    if !cx.is_existing(&t) {
        return;
    }
    for c in sql::alter_cmds(s) {
        if sql::subtype(c) == T::AtAddConstraint
            && sql::constraint(c).map(|k| sql::contype(k) == C::ConstrExclusion).unwrap_or(false)
        {
            out.emit(cx.span(), format!("adding an EXCLUDE constraint builds its index while holding AccessExclusiveLock on {t}, and it cannot be built concurrently or attached from an existing index"))
                .help("create the table with the constraint (a new table, then move the data), or add it in a maintenance window with a lock_timeout; a unique index built CONCURRENTLY plus a trigger can enforce simpler rules");
        }
    }
}
