//! CREATE / DROP without IF [NOT] EXISTS (for teams whose migrations must
//! be re-runnable).
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let (missing, what) = match cx.node() {
        N::CreateStmt(s) => (!s.if_not_exists, "CREATE TABLE IF NOT EXISTS"),
        N::IndexStmt(s) => (!s.if_not_exists && !s.idxname.is_empty(), "CREATE INDEX IF NOT EXISTS"),
        N::CreateSeqStmt(s) => (!s.if_not_exists, "CREATE SEQUENCE IF NOT EXISTS"),
        N::CreateSchemaStmt(s) => (!s.if_not_exists, "CREATE SCHEMA IF NOT EXISTS"),
        N::DropStmt(s) => (!s.missing_ok, "DROP ... IF EXISTS"),
        _ => return,
    };
    if missing {
        out.emit(cx.span(), "this statement fails when run a second time")
            .help(format!("use {what} so a partly applied migration can be re-run"));
    }
}
