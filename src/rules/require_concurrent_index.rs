//! CREATE INDEX without CONCURRENTLY on a table production uses: the build
//! holds a SHARE lock (writes blocked) for as long as it reads the table.
use pg_query::NodeEnum as N;

use super::{sql, tool, Hook, Sink, StmtCx};
use crate::model::catalog::RelKind;
use crate::model::locks::LockMode;

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::IndexStmt(s) = cx.node() else { return };
    if s.concurrent {
        return;
    }
    let Some(rv) = &s.relation else { return };
    let t = cx.resolve(rv);
    if !cx.is_existing(&t) {
        return;
    }
    let Some(mode) = cx.stmt.effects.locks.get(&t).copied() else {
        return;
    };
    if mode < LockMode::Share {
        return;
    }
    let partitioned = cx
        .rel(&t)
        .map(|r| r.kind == RelKind::PartitionedTable)
        .unwrap_or(false);
    let what = if s.unique { "unique index" } else { "index" };
    let msg = format!(
        "building this {what} takes {} on {t} for the whole build: every INSERT, UPDATE and DELETE waits until it finishes",
        sql::mode_phrase(mode)
    );
    if partitioned {
        let name = if s.idxname.is_empty() { "<index>".to_string() } else { sql::ident(&s.idxname) };
        out.emit(cx.span(), msg).help(format!(
            "{t} is partitioned, and CONCURRENTLY does not work on a partitioned table: create the index ON ONLY the parent, build it CONCURRENTLY on each partition, then ALTER INDEX {name} ATTACH PARTITION each one"
        ));
        return;
    }
    let Some((fixed, edit)) = sql::insert_after(cx.span().start, cx.sql(), "index", " CONCURRENTLY")
    else {
        return;
    };
    let r = out.emit(cx.span(), msg);
    tool::concurrently(
        cx,
        r,
        "build it CONCURRENTLY (reads and writes continue)",
        "build it CONCURRENTLY: reads and writes continue while it builds (if it fails, drop the INVALID index and retry)",
        fixed,
        edit,
    );
}
