//! A statement that needs a lock blocking reads or writes of an existing
//! table, with no lock_timeout set before it in the session: while it waits
//! for a long query, every other query on the table queues behind it.
use super::{sql, Edit, FileCx, Hook, Sink};
use crate::model::txn::Wrapping;

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    let needing: Vec<_> = stmts
        .iter()
        .filter(|s| {
            let timeout_ok = matches!(&s.lock_timeout, Some(t) if t.value.is_some());
            !timeout_ok
                && s.effects
                    .existing_locks()
                    .any(|(_, m)| m.blocks_writes())
        })
        .collect();
    let Some(first) = needing.first() else { return };
    let (q, m) = first
        .effects
        .existing_locks()
        .filter(|(_, m)| m.blocks_writes())
        // The strongest lock; of equals, a table rather than an index.
        .max_by_key(|(q, m)| (*m, cx.cat.get(q).is_some_and(|r| r.kind.is_table())))
        .expect("filtered above");
    let more = if needing.len() > 1 {
        format!(" ({} more statements in this file)", needing.len() - 1)
    } else {
        String::new()
    };
    let q = first.effects.describe(q);
    let msg = format!(
        "this statement waits for {} on {q} with no lock_timeout: while it waits behind any long-running query, every new query on {q} queues behind it{more}",
        m.pg_name()
    );
    let value = sql::lock_timeout_literal(cx.settings.lock_timeout_max);
    let first_stmt = &stmts[0];
    let local = first_stmt.placement.in_transaction && !cx.facts[0].transaction
        || cx.fa.wrapping == Wrapping::Transaction;
    let set = if local {
        format!("SET LOCAL lock_timeout = '{value}';")
    } else {
        format!("SET lock_timeout = '{value}';")
    };
    // Insert before the first statement, on its own line.
    let at = cx.fa.text[..first_stmt.span.start].rfind('\n').map(|p| p + 1).unwrap_or(0);
    let at = if cx.fa.text[at..first_stmt.span.start].trim().is_empty() { at } else { first_stmt.span.start };
    let edit = Edit { start: at, end: at, text: format!("{set}\n") };
    out.emit(first.span, msg)
        .help("set a lock_timeout at the top of the migration so a blocked lock request fails fast (and retry) instead of taking the table down")
        .fix(set, vec![edit]);
}
