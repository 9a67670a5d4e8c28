//! An explicit BEGIN never committed by the end of the file.
use super::{FileCx, Hook, Sink};
use crate::model::txn::TxnEvent;

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    for e in &cx.fa.txn_events {
        if let TxnEvent::UnterminatedAtEnd { begun_at } = e {
            let st = &cx.fa.statements[*begun_at];
            out.emit(st.span, "this transaction is never committed: at the end of the file psql rolls it back, and a migration tool may commit it or leave it open holding its locks")
                .help("end it with COMMIT;");
        }
    }
}
