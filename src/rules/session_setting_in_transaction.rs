//! `SET` (not `SET LOCAL`) inside a transaction: the value outlives the
//! migration and leaks into whatever reuses the pooled connection. Not for
//! a tool that runs each file in a session of its own (sqitch starts psql
//! for every change): the session, and the setting, end with the file.
use pg_query::protobuf::VariableSetKind as K;
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};
use crate::model::txn::Wrapping;

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::VariableSetStmt(s) = cx.node() else { return };
    if cx.layout.session_per_file() {
        return;
    }
    let kind = K::try_from(s.kind).unwrap_or(K::Undefined);
    if s.is_local || !cx.stmt.placement.in_transaction || !matches!(kind, K::VarSetValue | K::VarSetCurrent | K::VarSetDefault) {
        return;
    }
    let name = s.name.to_ascii_lowercase();
    if name.starts_with("transaction") || name == "session_authorization" {
        return;
    }
    let msg = format!("SET {name} inside a transaction lasts for the rest of the session: behind a connection pool it leaks into unrelated application queries");
    let r = out.emit(cx.span(), msg);
    let Some((fixed, edit)) = sql::insert_after(cx.span().start, cx.sql(), "set", " LOCAL") else {
        return;
    };
    r.help("use SET LOCAL: it ends with the transaction");
    if cx.wrapping == Wrapping::Transaction && !cx.stmt.placement.explicit {
        r.fix(fixed, vec![edit]);
    } else {
        r.suggest(fixed);
    }
}
