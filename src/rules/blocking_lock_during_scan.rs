//! The catch-all of the lock model: a statement that holds a lock blocking
//! reads or writes of an existing table while it reads that table in full
//! or rewrites it, when no more specific rule (of the locking or rewrite
//! category) already said so (e.g. ADD COLUMN ... NOT NULL checking every
//! row, ATTACH PARTITION of an existing table, TRUNCATE).
use super::{meta, Category, FileCx, Hook, Sink};

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    for st in &cx.fa.statements {
        let fx = &st.effects;
        let hits: Vec<String> = fx
            .existing_locks()
            .filter(|(q, m)| m.blocks_writes() && (fx.scans.contains(*q) || fx.rewrites.contains(*q)))
            .map(|(q, m)| {
                let what = if fx.rewrites.contains(q) { "rewrites" } else { "reads every row of" };
                format!("{} on {q} while it {what} it ({})", m.pg_name(), m.blocks_phrase())
            })
            .collect();
        if hits.is_empty() {
            continue;
        }
        let covered = out.earlier().any(|r| {
            r.span.start >= st.span.start
                && r.span.start < st.span.end.max(st.span.start + 1)
                && meta(r.rule)
                    .map(|m| matches!(m.category, Category::Locking | Category::Rewrite))
                    .unwrap_or(false)
        });
        if covered {
            continue;
        }
        if st.kind == "TRUNCATE" {
            out.emit(
                st.span,
                format!("TRUNCATE holds {}: the storage is replaced at once, but the lock is held until the transaction ends", hits.join("; ").replace(" while it rewrites it", "")),
            )
            .help("keep the transaction short and set a lock_timeout; to empty a busy table, delete in batches instead");
            continue;
        }
        out.emit(st.span, format!("{} holds {}: everything it blocks waits for as long as that takes on production data", st.kind, hits.join("; ")))
            .help("move the long part out from under the lock (NOT VALID + VALIDATE, CONCURRENTLY, a nullable column filled in batches), or measure it on a production-sized copy with `ddlint dry-run` and set a statement_timeout");
    }
}
