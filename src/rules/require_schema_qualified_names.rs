//! Unqualified table names in DDL: the object lands in (or is looked up
//! in) whatever search_path says at run time.
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let rv = match cx.node() {
        N::CreateStmt(s) => s.relation.as_ref(),
        N::IndexStmt(s) => s.relation.as_ref(),
        N::AlterTableStmt(s) => s.relation.as_ref(),
        N::ViewStmt(s) => s.view.as_ref(),
        _ => None,
    };
    let Some(rv) = rv else { return };
    if !rv.schemaname.is_empty() || rv.relpersistence == "t" {
        return;
    }
    out.emit(cx.span(), format!("{} is not schema-qualified: it resolves through search_path, which differs between sessions, roles and tools", rv.relname))
        .help(format!("write the schema, e.g. public.{}", rv.relname));
}
