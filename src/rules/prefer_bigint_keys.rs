//! 32-bit (or 16-bit) primary keys: they run out at 2.1 billion, and
//! widening a key later rewrites the table and every referencing one.
use pg_query::protobuf::{node::Node as PN, ConstrType as C};
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let mut pk_cols: Vec<String> = Vec::new();
    if let N::CreateStmt(s) = cx.node() {
        for e in &s.table_elts {
            if let Some(PN::Constraint(k)) = &e.node {
                if sql::contype(k) == C::ConstrPrimary {
                    pk_cols.extend(sql::names(&k.keys));
                }
            }
        }
    }
    for (_, d) in sql::new_columns(cx.node()) {
        let is_pk = pk_cols.contains(&d.colname)
            || sql::column_constraints(d).iter().any(|k| sql::contype(k) == C::ConstrPrimary);
        let ty = sql::type_of(d);
        if !is_pk || ty.array {
            continue;
        }
        let small = matches!(ty.name.as_str(), "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2");
        if small {
            out.emit(cx.span(), format!("primary key {} is {}: 32-bit keys run out at about 2.1 billion, and widening them later rewrites this table and every table that references it", d.colname, super::sql::type_sql(&ty)))
                .help("use bigint (bigint GENERATED ALWAYS AS IDENTITY, or bigserial)");
        }
    }
}
