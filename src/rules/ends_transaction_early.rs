//! COMMIT or ROLLBACK inside the transaction the migration tool wraps the
//! file in, or ROLLBACK of the migration's own work.
use super::{tool, FileCx, Hook, Sink};
use crate::model::txn::TxnEvent;

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    for e in &cx.fa.txn_events {
        let (stmt, msg, help): (usize, &str, String) = match e {
            TxnEvent::EndsToolTransaction { stmt, rollback: true } => (
                *stmt,
                "ROLLBACK inside the transaction the migration tool wraps this file in: everything the file did before it is discarded, the rest runs outside any transaction, and the tool still records the migration as applied",
                "remove the ROLLBACK; to abandon a migration, make it fail (RAISE EXCEPTION in a DO block) so the tool rolls back and records nothing".into(),
            ),
            TxnEvent::EndsToolTransaction { stmt, rollback: false } => (
                *stmt,
                "COMMIT inside the transaction the migration tool wraps this file in: everything before it is committed on its own, so a failure after it leaves the migration half-applied, and the rest runs outside the transaction the tool promised",
                match tool::switch(cx.fa.layout, Some(&cx.fa.path)) {
                    Some(switch) => format!(
                        "remove the COMMIT, or split the file into two migrations (or turn off {}'s transaction for this file and manage BEGIN/COMMIT yourself: {switch})",
                        tool::tool_name(cx.fa.layout)
                    ),
                    None => "remove the COMMIT, or split the file into two migrations (or turn off the tool's transaction for this file and manage BEGIN/COMMIT yourself)".into(),
                },
            ),
            TxnEvent::RollsBackWork { stmt } => (
                *stmt,
                "ROLLBACK discards every change this transaction made: the migration applies none of them, yet the tool records it as applied",
                "end the transaction with COMMIT; to abandon a migration, make it fail (RAISE EXCEPTION in a DO block) so nothing is recorded".into(),
            ),
            _ => continue,
        };
        let st = &cx.fa.statements[stmt];
        out.emit(st.span, msg).help(help);
    }
}
