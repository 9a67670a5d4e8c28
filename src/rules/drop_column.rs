//! DROP COLUMN on an existing table: running code that still reads or
//! writes the column fails the moment it is gone.
use pg_query::protobuf::AlterTableType as T;

use super::{alter, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    for c in a.cmds_of(T::AtDropColumn) {
        if c.missing_ok && cx.rel(&t).map(|r| r.column(&c.name).is_none()).unwrap_or(false) {
            continue;
        }
        out.emit(cx.span(), format!("dropping {t}.{} breaks every running query that still names it (the old version of the application, during the deploy)", c.name))
            .help("contract in two releases: first ship code that no longer reads or writes the column (with ORMs, mark it ignored), then drop it in a later migration");
    }
}
