//! REINDEX without CONCURRENTLY (PostgreSQL 12+ can rebuild concurrently).
use pg_query::protobuf::ReindexObjectType as K;
use pg_query::NodeEnum as N;

use super::{sql, tool, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::ReindexStmt(s) = cx.node() else { return };
    let concurrent = s.params.iter().any(|p| {
        crate::model::ast::defelem_name(p)
            .map(|d| d.defname.eq_ignore_ascii_case("concurrently"))
            .unwrap_or(false)
    });
    if concurrent {
        return;
    }
    let kind = K::try_from(s.kind).unwrap_or(K::Undefined);
    let blocked: Vec<String> = cx
        .stmt
        .effects
        .existing_locks()
        .filter(|(q, m)| m.blocks_writes() && cx.is_existing(q))
        .map(|(q, m)| format!("{q} ({})", m.pg_name()))
        .collect();
    if blocked.is_empty() && kind != K::ReindexObjectSchema && kind != K::ReindexObjectDatabase {
        return;
    }
    let what = if blocked.is_empty() {
        "every table it reaches".to_string()
    } else {
        blocked.join(", ")
    };
    let msg = format!("REINDEX without CONCURRENTLY blocks writes (and, for the rebuilt index, reads that use it) on {what} until every index is rebuilt");
    let r = out.emit(cx.span(), msg);
    let word = match kind {
        K::ReindexObjectIndex => "index",
        K::ReindexObjectTable => "table",
        K::ReindexObjectSchema => "schema",
        K::ReindexObjectDatabase => "database",
        _ => {
            r.help("system catalogs cannot be reindexed concurrently; run it in a maintenance window");
            return;
        }
    };
    let Some((fixed, edit)) = sql::insert_after(cx.span().start, cx.sql(), word, " CONCURRENTLY") else {
        return;
    };
    tool::concurrently(
        cx,
        r,
        "use REINDEX ... CONCURRENTLY (the new index is built beside the old one)",
        "use REINDEX ... CONCURRENTLY: the new index is built beside the old one",
        fixed,
        edit,
    );
}
