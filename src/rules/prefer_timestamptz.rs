//! timestamp without time zone.
use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    for (_, d) in sql::new_columns(cx.node()) {
        let ty = sql::type_of(d);
        if ty.name == "timestamp" {
            out.emit(cx.span(), format!("{} is timestamp without time zone: the value means a different instant depending on each client's TimeZone", d.colname))
                .help("use timestamptz: it stores an instant and converts on display");
        }
    }
}
