//! Statements that rewrite an existing table as a whole: SET LOGGED /
//! UNLOGGED, SET TABLESPACE, SET ACCESS METHOD, VACUUM FULL, CLUSTER, ...
use pg_query::protobuf::AlterTableType as T;
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let fx = &cx.stmt.effects;
    let rewritten: Vec<String> = fx
        .rewrites
        .iter()
        .filter(|q| cx.is_existing(q))
        .map(|q| q.to_string())
        .collect();
    // CLUSTER without a table name rewrites every table ever clustered,
    // including ones the history does not show.
    let bare_cluster = matches!(cx.node(), N::ClusterStmt(c) if c.relation.is_none());
    if rewritten.is_empty() && !bare_cluster {
        return;
    }
    let what = match cx.node() {
        N::AlterTableStmt(s) => {
            let cmds = sql::alter_cmds(s);
            if cmds.iter().any(|c| matches!(sql::subtype(c), T::AtAlterColumnType | T::AtAddColumn)) {
                return; // reported by the column rules
            }
            let c = cmds.iter().map(|c| sql::subtype(c)).find(|t| {
                matches!(t, T::AtSetLogged | T::AtSetUnLogged | T::AtSetTableSpace | T::AtSetAccessMethod | T::AtSetExpression)
            });
            match c {
                Some(T::AtSetLogged) => "SET LOGGED writes the whole table to the WAL",
                Some(T::AtSetUnLogged) => "SET UNLOGGED copies the whole table",
                Some(T::AtSetTableSpace) => "SET TABLESPACE copies the whole relation to the new tablespace",
                Some(T::AtSetAccessMethod) => "SET ACCESS METHOD rewrites the whole table",
                Some(T::AtSetExpression) => "SET EXPRESSION recomputes the generated column for every row",
                _ => "this ALTER TABLE rewrites the table",
            }
        }
        N::VacuumStmt(_) => "VACUUM FULL copies the whole table and rebuilds its indexes",
        N::ClusterStmt(_) => "CLUSTER copies the whole table in index order and rebuilds its indexes",
        N::TruncateStmt(_) | N::RefreshMatViewStmt(_) | N::ReindexStmt(_) => return,
        _ => "this statement rewrites the table",
    };
    let lock = rewritten
        .iter()
        .filter_map(|q| fx.locks.iter().find(|(k, _)| k.to_string() == *q).map(|(_, m)| *m))
        .max()
        .map(|m| m.pg_name())
        .unwrap_or("AccessExclusiveLock");
    let msg = if bare_cluster {
        let shown = if rewritten.is_empty() {
            String::new()
        } else {
            format!(": {}, and", rewritten.join(", "))
        };
        format!("CLUSTER without a table name re-clusters every table that was clustered before{shown} any clustered before the migration history, each copied in index order while holding {lock}: every query on each waits until its copy is done")
    } else {
        format!("{what} ({}) while holding {lock}: every query on it waits until the copy is done", rewritten.join(", "))
    };
    let help = match cx.node() {
        N::VacuumStmt(_) | N::ClusterStmt(_) => "use pg_repack or pg_squeeze, which rebuild the table online; plain VACUUM reclaims space without the lock",
        _ => "do it in a maintenance window, or build a new table beside the old one and switch over",
    };
    out.emit(cx.span(), msg).help(help);
}
