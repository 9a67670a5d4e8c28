//! TRUNCATE of an existing table.
use pg_query::protobuf::DropBehavior;
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::TruncateStmt(s) = cx.node() else { return };
    let tables: Vec<String> = cx
        .stmt
        .effects
        .existing_locks()
        .filter(|(q, m)| m.blocks_reads() && cx.is_existing(q))
        .map(|(q, _)| q.to_string())
        .collect();
    if tables.is_empty() {
        return;
    }
    let cascade = if s.behavior == DropBehavior::DropCascade as i32 {
        " CASCADE also empties every table that references them."
    } else {
        ""
    };
    out.emit(cx.span(), format!("TRUNCATE deletes every row of {} (and blocks all access to them until commit).{cascade}", tables.join(", ")))
        .help("if the data must go, delete it in batches in a data migration that is reviewed as such; never truncate from a schema migration")
        .traffic();
}
