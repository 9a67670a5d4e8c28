//! LOCK TABLE on an existing table in a mode that blocks writes.
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::LockStmt(_) = cx.node() else { return };
    let locked: Vec<String> = cx
        .stmt
        .effects
        .existing_locks()
        .filter(|(q, m)| m.blocks_writes() && cx.is_existing(q))
        .map(|(q, m)| format!("{} on {q}", m.pg_name()))
        .collect();
    if locked.is_empty() {
        return;
    }
    let blocks = if cx.stmt.effects.existing_locks().any(|(_, m)| m.blocks_reads()) {
        "reads and writes"
    } else {
        "writes"
    };
    out.emit(cx.span(), format!("LOCK TABLE takes {}: {blocks} wait until the transaction ends", locked.join(", ")))
        .help("take no explicit lock: the statements that need one take the weakest lock that is safe; if you must, set a short lock_timeout first and keep the transaction short");
}
