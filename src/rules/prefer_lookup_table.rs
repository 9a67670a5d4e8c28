//! CREATE TYPE ... AS ENUM.
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::CreateEnumStmt(s) = cx.node() else { return };
    let name = crate::model::ast::strings(&s.type_name).join(".");
    out.emit(cx.span(), format!("enum {name}: values can be added but not removed or renamed without rewriting every column that uses it, and ADD VALUE has transaction restrictions"))
        .help("use a lookup table with a foreign key (or text with a CHECK constraint), which can change with ordinary DML or NOT VALID constraints");
}
