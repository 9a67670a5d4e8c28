//! Changing the type of a column running code uses (anything but a pure
//! widening the server can do without touching rows).
use pg_query::protobuf::AlterTableType as T;
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
    let fx = &cx.stmt.effects;
    let widening = !fx.rewrites.contains(&t) && !fx.scans.contains(&t);
    if widening {
        return;
    }
    for c in sql::alter_cmds(s) {
        if sql::subtype(c) != T::AtAlterColumnType {
            continue;
        }
        let new_ty = sql::column_def(c)
            .and_then(|d| d.type_name.as_ref())
            .map(|t| super::sql::type_sql(&crate::model::types::TypeRef::from_ast(t)))
            .unwrap_or_default();
        let old = cx.rel(&t).and_then(|r| r.column(&c.name)).map(|c| super::sql::type_sql(&c.ty));
        let from = old.map(|o| format!(" from {o}")).unwrap_or_default();
        out.emit(cx.span(), format!("changing {t}.{}{from} to {new_ty} changes what running code reads and may reject what it writes", c.name))
            .help("expand and contract: a new column of the new type, written by both versions, backfilled, then switch reads and drop the old one");
    }
}
