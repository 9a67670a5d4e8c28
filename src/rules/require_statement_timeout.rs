//! Long work (a scan or rewrite of an existing table) under a lock that
//! blocks writes, with no statement_timeout: a migration that took 50 ms in
//! tests can hold the lock for minutes on production data.
use super::{FileCx, Hook, Sink};

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    let long: Vec<_> = stmts
        .iter()
        .filter(|s| {
            let fx = &s.effects;
            let timeout_ok = matches!(&s.statement_timeout, Some(t) if t.value.is_some());
            !timeout_ok
                && fx
                    .rewrites
                    .iter()
                    .chain(fx.scans.iter())
                    .any(|q| !fx.new_relations.contains(q) && fx.locks.get(q).map(|m| m.blocks_writes()).unwrap_or(false))
        })
        .collect();
    let Some(first) = long.first() else { return };
    let fx = &first.effects;
    let q = fx
        .rewrites
        .iter()
        .chain(fx.scans.iter())
        .find(|q| !fx.new_relations.contains(q))
        .expect("filtered above");
    let more = if long.len() > 1 { format!(" ({} more in this file)", long.len() - 1) } else { String::new() };
    out.emit(first.span, format!("this statement reads or rewrites all of {q} under a lock that blocks writes, with no statement_timeout: on production data it can hold that lock for minutes{more}"))
        .help("set a statement_timeout sized for production data (e.g. `SET statement_timeout = '30s';`) so a slow step fails instead of blocking the table, and prove the duration with `ddlint dry-run` on a snapshot")
        .suggest("SET statement_timeout = '30s';");
}
