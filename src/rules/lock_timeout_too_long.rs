//! `SET lock_timeout` to 0 (wait forever) or above the configured maximum,
//! in the file or in the session the runner prepares (`session:` in
//! ddlint.yaml): the latter once per file, at the first statement that
//! waits for a lock blocking writes under it.
use pg_query::NodeEnum as N;

use super::{sql, Edit, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    runner(cx, out);
    let N::VariableSetStmt(s) = cx.node() else { return };
    if !s.name.eq_ignore_ascii_case("lock_timeout") {
        return;
    }
    let Some(v) = s.args.first().and_then(crate::model::ast::const_str) else { return };
    let Some(d) = crate::model::session::parse_duration_ms(&v) else { return };
    let max = cx.settings.lock_timeout_max;
    let msg = match d {
        None => "lock_timeout = 0 disables the timeout: a blocked lock request waits forever while every query behind it queues".to_string(),
        Some(d) if d > max => format!("lock_timeout of {v} is longer than the configured maximum of {}ms: queries queue behind a blocked lock request for that long", max.as_millis()),
        _ => return,
    };
    let value = sql::lock_timeout_literal(max);
    let local = if s.is_local { "LOCAL " } else { "" };
    let fixed = format!("SET {local}lock_timeout = '{value}';");
    out.emit(cx.span(), msg)
        .help("keep lock_timeout short (a few seconds) and retry the migration when it times out")
        .fix(fixed.clone(), vec![Edit { start: cx.span().start, end: cx.span().end, text: fixed }]);
}

/// The runner's lock_timeout, judged where it first matters.
fn runner(cx: &StmtCx, out: &mut Sink) {
    let Some(t) = cx.stmt.lock_timeout.as_ref().filter(|t| t.runner) else {
        return;
    };
    let max = cx.settings.lock_timeout_max;
    let Some((q, m)) = cx
        .stmt
        .effects
        .existing_locks()
        .filter(|(_, m)| m.blocks_writes())
        .max_by_key(|(_, m)| *m)
    else {
        return;
    };
    let what = match t.value {
        None => "0 (no limit)".to_string(),
        Some(d) if d > max => format!("{}ms, above the configured maximum of {}ms", d.as_millis(), max.as_millis()),
        _ => return,
    };
    if out.emitted() {
        return;
    }
    let q = cx.stmt.effects.describe(q);
    out.emit(
        cx.span(),
        format!(
            "the migration runner's session sets lock_timeout to {what} (`session.lock_timeout` in the configuration): this statement waits that long for {} on {q} while every new query on {q} queues behind it",
            m.pg_name()
        ),
    )
    .help(format!(
        "set `session.lock_timeout` to a few seconds (at most {}ms) where the runner sets it, and retry the migration when it times out",
        max.as_millis()
    ));
}
