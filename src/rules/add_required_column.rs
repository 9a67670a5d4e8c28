//! ADD COLUMN ... NOT NULL without a default on an existing table: fails on
//! a non-empty table, and old code's INSERTs fail even on an empty one.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};

use super::{alter, sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    let rv = a.rv;
    for c in a.cmds_of(T::AtAddColumn) {
        let Some(d) = sql::column_def(c) else { continue };
        if c.missing_ok && cx.rel(&t).and_then(|r| r.column(&d.colname)).is_some() {
            continue;
        }
        let cons = sql::column_constraints(d);
        let not_null = d.is_not_null || cons.iter().any(|k| matches!(sql::contype(k), C::ConstrNotnull | C::ConstrPrimary));
        let valued = cons.iter().any(|k| {
            matches!(sql::contype(k), C::ConstrIdentity | C::ConstrGenerated)
                || (sql::contype(k) == C::ConstrDefault && !k.raw_expr.as_deref().map(crate::model::ast::is_null_const).unwrap_or(true))
        });
        let serial = d.type_name.as_ref().map(|t| crate::model::types::TypeRef::from_ast(t).serial_base().is_some()).unwrap_or(false);
        if !not_null || valued || serial {
            continue;
        }
        let ty = d.type_name.as_ref().map(|t| super::sql::type_sql(&crate::model::types::TypeRef::from_ast(t))).unwrap_or_default();
        let table = sql::rv(rv);
        let col = sql::ident(&d.colname);
        out.emit(cx.span(), format!("adding NOT NULL column {} without a default fails if {t} has any row, and INSERTs from running code that does not know the column fail", d.colname))
            .help("add it with a default (instant on PostgreSQL 11+ for a constant), or add it nullable, backfill, then set NOT NULL")
            .suggest(format!("ALTER TABLE {table} ADD COLUMN {col} {ty} NOT NULL DEFAULT <value>;"))
            .traffic()
            .column(&t, &d.colname);
    }
}
