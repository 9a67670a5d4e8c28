//! Changing the type of a column running code uses (anything but a pure
//! widening the server can do without touching rows).
use pg_query::protobuf::AlterTableType as T;

use super::{alter, sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    let fx = &cx.stmt.effects;
    let free = !fx.rewrites.contains(&t) && !fx.scans.contains(&t);
    for c in a.cmds_of(T::AtAlterColumnType) {
        let new = sql::column_def(c)
            .and_then(|d| d.type_name.as_ref())
            .map(crate::model::types::TypeRef::from_ast);
        let old_col = cx.cat.known_facts(&t).and_then(|r| r.column(&c.name));
        // A widening keeps every value and its meaning (a longer varchar,
        // varchar to text, more numeric precision): the server does it
        // without touching rows. A change the server also does for free but
        // that changes meaning (timestamptz to timestamp under UTC) is not.
        let widening = free
            && match (old_col, &new) {
                (Some(o), Some(n)) => same_family(&o.ty, n),
                _ => true,
            };
        if widening {
            continue;
        }
        let new_ty = new.as_ref().map(super::sql::type_sql).unwrap_or_default();
        let old = old_col.map(|c| super::sql::type_sql(&c.ty));
        let from = old.map(|o| format!(" from {o}")).unwrap_or_default();
        out.emit(cx.span(), format!("changing {t}.{}{from} to {new_ty} changes what running code reads and may reject what it writes", c.name))
            .help("expand and contract: a new column of the new type, written by both versions, backfilled, then switch reads and drop the old one")
            .column(&t, &c.name);
    }
}

/// Both types hold the same kind of value, the new one at least as much.
fn same_family(old: &crate::model::types::TypeRef, new: &crate::model::types::TypeRef) -> bool {
    use crate::model::types::canonical;
    let (o, n) = (canonical(&old.name), canonical(&new.name));
    o == n || matches!((o, n), ("varchar", "text") | ("cidr", "inet") | ("bit", "varbit"))
}
