//! `SET lock_timeout` to 0 (wait forever) or above the configured maximum.
use pg_query::NodeEnum as N;

use super::{sql, Edit, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
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
