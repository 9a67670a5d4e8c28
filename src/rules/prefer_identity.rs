//! serial / bigserial columns instead of identity columns.
use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    for (_, d) in sql::new_columns(cx.node()) {
        let ty = sql::type_of(d);
        if let Some(base) = ty.serial_base() {
            let int = match base { "int8" => "bigint", "int2" => "smallint", _ => "integer" };
            out.emit(cx.span(), format!("{} is {}: serial's sequence has its own owner and grants, and is easy to write past", d.colname, ty.name))
                .help(format!("use `{} {int} GENERATED ALWAYS AS IDENTITY` (SQL standard, PostgreSQL 10+)", sql::ident(&d.colname)));
        }
    }
}
