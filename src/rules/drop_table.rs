//! DROP TABLE of a table production uses.
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};
use crate::model::catalog::RelKind;

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::DropStmt(s) = cx.node() else { return };
    if s.remove_type != ObjectType::ObjectTable as i32 {
        return;
    }
    let dropped: Vec<String> = cx
        .stmt
        .effects
        .locks
        .iter()
        .filter(|(q, m)| {
            **m == crate::model::locks::LockMode::AccessExclusive
                && cx.is_existing(q)
                && cx.rel(q).map(|r| r.kind.is_table() && r.partition_of.is_none()).unwrap_or(true)
                && s.objects.iter().any(|o| crate::model::ast::name_list(o).last() == Some(&q.name))
        })
        .filter(|(q, _)| cx.rel(q).map(|r| r.kind != RelKind::Index).unwrap_or(true))
        .map(|(q, _)| q.to_string())
        .collect();
    if dropped.is_empty() {
        return;
    }
    out.emit(cx.span(), format!("dropping {} deletes its data and breaks every running query that still uses it", dropped.join(", ")))
        .help("first ship code that no longer uses the table, keep a backup (or rename it and drop it a release later), then drop it");
}
