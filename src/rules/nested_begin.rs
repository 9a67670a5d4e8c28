//! BEGIN while a transaction is already open.
use super::{FileCx, Hook, Sink};
use crate::model::txn::TxnEvent;

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    for e in &cx.fa.txn_events {
        if let TxnEvent::NestedBegin { stmt } = e {
            let st = &cx.fa.statements[*stmt];
            out.emit(st.span, "BEGIN inside a transaction that is already open: PostgreSQL only warns and carries on, so the inner COMMIT commits everything before it, and the rest runs outside the transaction you expected")
                .help("remove the inner BEGIN/COMMIT (or the tool's wrapping transaction, if the file manages its own)");
        }
    }
}
