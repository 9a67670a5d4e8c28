//! varchar(n) / char(n) instead of text (with a CHECK if a limit matters).
use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    for (_, d) in sql::new_columns(cx.node()) {
        let ty = sql::type_of(d);
        let hit = (ty.name == "varchar" && !ty.mods.is_empty()) || ty.name == "bpchar";
        if hit {
            out.emit(cx.span(), format!("{} is {}: raising a length limit later is a schema change, and char(n) pads with spaces", d.colname, super::sql::type_sql(&ty)))
                .help("use text, with a CHECK (length(col) <= n) constraint if the limit is a business rule (a CHECK can be changed NOT VALID)");
        }
    }
}
