//! ADD EXCLUDE on an existing table: the index is built under
//! AccessExclusiveLock and there is no USING INDEX form.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};

use super::{alter, sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    for c in a.cmds_of(T::AtAddConstraint) {
        if sql::constraint(c).map(|k| sql::contype(k) == C::ConstrExclusion).unwrap_or(false) {
            out.emit(cx.span(), format!("adding an EXCLUDE constraint builds its index while holding AccessExclusiveLock on {t}, and it cannot be built concurrently or attached from an existing index"))
                .help("create the table with the constraint (a new table, then move the data), or add it in a maintenance window with a lock_timeout; a unique index built CONCURRENTLY plus a trigger can enforce simpler rules");
        }
    }
}
