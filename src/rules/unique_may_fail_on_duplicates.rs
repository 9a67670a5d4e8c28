//! A unique index or constraint on an existing table: fails if the data
//! already holds duplicates (which only the real data can tell).
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let (rv, what) = match cx.node() {
        N::IndexStmt(s) if s.unique => (s.relation.as_ref(), "unique index"),
        N::AlterTableStmt(s) => {
            let hit = sql::alter_cmds(s).iter().any(|c| {
                sql::subtype(c) == T::AtAddConstraint
                    && sql::constraint(c).map(|k| matches!(sql::contype(k), C::ConstrPrimary | C::ConstrUnique) && k.indexname.is_empty()).unwrap_or(false)
            });
            if !hit {
                return;
            }
            (s.relation.as_ref(), "unique constraint")
        }
        _ => return,
    };
    let Some(rv) = rv else { return };
    let t = cx.resolve(rv);
    if !cx.is_existing(&t) {
        return;
    }
    let extra = if matches!(cx.node(), N::IndexStmt(s) if s.concurrent) {
        " (a failed CONCURRENTLY build leaves an INVALID index behind to drop)"
    } else {
        ""
    };
    out.emit(cx.span(), format!("this {what} fails if {t} already holds duplicate values{extra}"))
        .help("check for duplicates first (SELECT key, count(*) ... GROUP BY key HAVING count(*) > 1) and clean them up, or prove it with `ddlint dry-run` on a snapshot");
}
