//! SET NOT NULL on an existing table that the model says must be scanned
//! (no validated CHECK (col IS NOT NULL) proves it).
use pg_query::protobuf::AlterTableType as T;

use super::{alter, sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    if !cx.stmt.effects.scans.contains(&t) {
        return;
    }
    let rv = a.rv;
    for c in a.cmds_of(T::AtSetNotNull) {
        let col = &c.name;
        let msg = format!("SET NOT NULL reads every row of {t} to check {col} while holding AccessExclusiveLock: reads and writes wait for the whole scan");
        let table = sql::rv(rv);
        let cname = crate::model::replay::make_object_name(&rv.relname, col, "not_null");
        let r = out.emit(cx.span(), msg);
        if cx.pg >= 12 {
            let col = sql::ident(col);
            let cn = sql::ident(&cname);
            r.help("prove it first with a CHECK constraint added NOT VALID and validated separately (ShareUpdateExclusiveLock); SET NOT NULL then skips the scan (PostgreSQL 12+)")
                .suggest(format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {cn} CHECK ({col} IS NOT NULL) NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT {cn};\nALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {table} DROP CONSTRAINT {cn};"
                ));
        } else {
            r.help("before PostgreSQL 12 there is no scan-free way: keep a validated CHECK (col IS NOT NULL) constraint instead of NOT NULL, or run it in a quiet period with a lock_timeout");
        }
    }
}
