//! json instead of jsonb.
use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    for (_, d) in sql::new_columns(cx.node()) {
        let ty = sql::type_of(d);
        if ty.name == "json" {
            out.emit(cx.span(), format!("{} is json: stored as text, re-parsed on every access, with no equality operator and no GIN indexing", d.colname))
                .help("use jsonb unless you must keep key order, duplicate keys or exact formatting");
        }
    }
}
