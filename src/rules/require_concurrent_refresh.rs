//! REFRESH MATERIALIZED VIEW without CONCURRENTLY.
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::RefreshMatViewStmt(s) = cx.node() else { return };
    if s.concurrent || s.skip_data {
        return;
    }
    let Some(rv) = &s.relation else { return };
    let q = cx.resolve(rv);
    if !cx.is_existing(&q) {
        return;
    }
    let has_unique = cx
        .rel(&q)
        .map(|r| {
            r.indexes.iter().any(|i| {
                cx.rel(i)
                    .and_then(|x| x.index.as_ref())
                    .map(|x| x.unique && !x.partial && x.columns.iter().all(|c| c.is_some()))
                    .unwrap_or(false)
            })
        })
        .unwrap_or(false);
    let msg = format!("REFRESH MATERIALIZED VIEW takes AccessExclusiveLock on {q}: every read of it waits until the query has run again");
    let r = out.emit(cx.span(), msg);
    let Some((fixed, edit)) = sql::insert_after(cx.span().start, cx.sql(), "view", " CONCURRENTLY") else {
        return;
    };
    if !has_unique && cx.rel(&q).is_some() {
        r.help(format!("REFRESH ... CONCURRENTLY keeps it readable, but needs a unique index on plain columns of {q} (none is known): create one CONCURRENTLY first"))
            .suggest(fixed);
    } else {
        r.help("use REFRESH MATERIALIZED VIEW CONCURRENTLY: reads continue (it needs a unique index)")
            .fix(fixed, vec![edit]);
    }
}
