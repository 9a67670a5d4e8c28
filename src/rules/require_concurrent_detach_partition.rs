//! DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+).
use pg_query::protobuf::{node::Node as PN, AlterTableType as T};

use super::{alter, sql, tool, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, parent)) = alter::existing(cx) else { return };
    let Some(cmd) = a.cmds_of(T::AtDetachPartition).next() else {
        return;
    };
    let concurrent = matches!(cmd.def.as_ref().and_then(|d| d.node.as_ref()), Some(PN::PartitionCmd(p)) if p.concurrent);
    if concurrent {
        return;
    }
    let has_default = cx
        .rel(&parent)
        .map(|r| r.partitions.iter().any(|p| cx.rel(p).map(|x| x.is_default_partition).unwrap_or(false)))
        .unwrap_or(false);
    let msg = format!(
        "DETACH PARTITION takes AccessExclusiveLock on {parent}: every query on the partitioned table waits"
    );
    let r = out.emit(cx.span(), msg);
    if has_default {
        r.help("CONCURRENTLY is not possible while the table has a DEFAULT partition; detach in a quiet period");
        return;
    }
    let (fixed, edit) = sql::insert_at_end(cx.span().start, cx.sql(), " CONCURRENTLY");
    if a.cmds.len() != 1 {
        r.help("DETACH PARTITION ... CONCURRENTLY only takes ShareUpdateExclusiveLock; it must be the only subcommand and run outside a transaction block")
            .suggest(fixed);
        return;
    }
    tool::concurrently(
        cx,
        r,
        "DETACH PARTITION ... CONCURRENTLY only takes ShareUpdateExclusiveLock on the parent",
        "DETACH PARTITION ... CONCURRENTLY only takes ShareUpdateExclusiveLock on the parent",
        fixed,
        edit,
    );
}
