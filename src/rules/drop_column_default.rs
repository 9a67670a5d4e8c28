//! DROP DEFAULT on a NOT NULL column: inserts from running code that omit
//! the column start failing.
use pg_query::protobuf::AlterTableType as T;

use super::{alter, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    for c in a.cmds_of(T::AtColumnDefault) {
        if c.def.is_some() {
            continue;
        }
        let col = cx.rel(&t).and_then(|r| r.column(&c.name));
        if !col.map(|c| c.not_null && c.has_default).unwrap_or(false) {
            continue;
        }
        out.emit(cx.span(), format!("{t}.{} is NOT NULL: once its default is gone, every INSERT from running code that leaves the column out fails", c.name))
            .help("first ship code that always sets the column, then drop the default in a later migration");
    }
}
