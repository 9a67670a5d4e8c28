//! BEGIN while a transaction is already open.
use super::{tool, FileCx, Hook, Sink};
use crate::model::txn::{TxnEvent, Wrapping};

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    // A file that manages its own transactions inside the tool's one: the
    // tool's switch turns that one off.
    let help = match tool::switch(cx.fa.layout, Some(&cx.fa.path)) {
        Some(switch) if cx.fa.wrapping == Wrapping::Transaction => format!(
            "remove the inner BEGIN/COMMIT, or, if the file manages its own transactions, turn off {}'s: {switch}",
            tool::tool_name(cx.fa.layout)
        ),
        _ => "remove the inner BEGIN/COMMIT".to_string(),
    };
    for e in &cx.fa.txn_events {
        if let TxnEvent::NestedBegin { stmt } = e {
            let st = &cx.fa.statements[*stmt];
            out.emit(st.span, "BEGIN inside a transaction that is already open: PostgreSQL only warns and carries on, so the inner COMMIT commits everything before it, and the rest runs outside the transaction you expected")
                .help(help.as_str());
        }
    }
}
