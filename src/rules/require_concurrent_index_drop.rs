//! DROP INDEX without CONCURRENTLY on an existing table's index.
use pg_query::protobuf::{DropBehavior, ObjectType};
use pg_query::NodeEnum as N;

use super::{sql, tool, Hook, Sink, StmtCx};
use crate::model::catalog::RelKind;

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::DropStmt(s) = cx.node() else { return };
    if s.remove_type != ObjectType::ObjectIndex as i32 || s.concurrent {
        return;
    }
    let fx = &cx.stmt.effects;
    // The tables whose index is dropped: the existing tables the statement
    // locks in a mode that blocks reads or writes.
    let tables: Vec<String> = fx
        .locks
        .iter()
        .filter(|(q, m)| {
            m.blocks_writes()
                && cx.is_existing(q)
                && cx.rel(q).map(|r| r.kind.is_table() || r.kind == RelKind::MatView).unwrap_or(false)
        })
        .map(|(q, _)| q.to_string())
        .collect();
    // An index the history does not show is on a table it does not show
    // either, one that production has: PostgreSQL locks that table too.
    let unseen: Vec<String> = fx
        .locks
        .iter()
        .filter(|(q, m)| m.blocks_writes() && fx.unknown_relations.contains(q))
        .map(|(q, _)| q.to_string())
        .collect();
    let msg = if !tables.is_empty() {
        format!(
            "dropping this index takes AccessExclusiveLock on {}: reads and writes queue behind it, and behind any long query already using the table",
            tables.join(", ")
        )
    } else if !unseen.is_empty() {
        format!(
            "dropping {} takes AccessExclusiveLock on its table (not in the migration history, so assumed to be in production): reads and writes queue behind it, and behind any long query already using the table",
            unseen.join(", ")
        )
    } else {
        return;
    };
    let partitioned = fx
        .locks
        .keys()
        .any(|q| cx.rel(q).map(|r| r.kind == RelKind::PartitionedIndex || r.kind == RelKind::PartitionedTable).unwrap_or(false));
    let single = s.objects.len() == 1 && s.behavior != DropBehavior::DropCascade as i32;
    let r = out.emit(cx.span(), msg);
    if partitioned || !single {
        r.help("use DROP INDEX CONCURRENTLY (one index per statement, no CASCADE, not on a partitioned table)");
        return;
    }
    let Some((fixed, edit)) = sql::insert_after(cx.span().start, cx.sql(), "index", " CONCURRENTLY")
    else {
        return;
    };
    tool::concurrently(
        cx,
        r,
        "drop it CONCURRENTLY (it waits for running queries without blocking new ones)",
        "drop it CONCURRENTLY: it waits for running queries without blocking new ones",
        fixed,
        edit,
    );
}
