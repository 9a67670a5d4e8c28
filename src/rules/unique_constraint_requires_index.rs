//! ADD PRIMARY KEY / UNIQUE without USING INDEX on an existing table.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};

use super::{alter, sql, Edit, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    let rv = a.rv;
    for c in a.cmds_of(T::AtAddConstraint) {
        let Some(k) = sql::constraint(c) else { continue };
        let ct = sql::contype(k);
        if !matches!(ct, C::ConstrPrimary | C::ConstrUnique) || !k.indexname.is_empty() {
            continue;
        }
        let kind = if ct == C::ConstrPrimary { "PRIMARY KEY" } else { "UNIQUE" };
        let msg = format!("adding a {kind} constraint builds its index while holding AccessExclusiveLock on {t}: reads and writes wait for the whole build");
        let cols = sql::names(&k.keys);
        let name = if k.conname.is_empty() {
            crate::model::replay::make_object_name(&rv.relname, &if ct == C::ConstrPrimary { String::new() } else { cols.join("_") }, if ct == C::ConstrPrimary { "pkey" } else { "key" })
        } else {
            k.conname.clone()
        };
        let table = sql::rv(rv);
        let idx_schema = if rv.schemaname.is_empty() { String::new() } else { format!("{}.", sql::ident(&rv.schemaname)) };
        let _ = idx_schema;
        let nnd = if k.nulls_not_distinct { " NULLS NOT DISTINCT" } else { "" };
        let create = format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {table} ({}){nnd};",
            sql::ident(&name),
            sql::idents(&cols)
        );
        let defer = if k.deferrable { if k.initdeferred { " DEFERRABLE INITIALLY DEFERRED" } else { " DEFERRABLE" } } else { "" };
        let add = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {kind} USING INDEX {}{defer};",
            sql::ident(&name),
            sql::ident(&name)
        );
        let shown = format!("{create}\n{add}");
        let mut help = format!("build the unique index CONCURRENTLY first, then attach it: `ADD CONSTRAINT ... {kind} USING INDEX` only takes a brief lock");
        if ct == C::ConstrPrimary {
            let nullable: Vec<&String> = cols
                .iter()
                .filter(|c| cx.rel(&t).and_then(|r| r.column(c)).map(|x| !x.not_null).unwrap_or(false))
                .collect();
            if !nullable.is_empty() {
                help.push_str(&format!("; the primary key also sets NOT NULL on {}, which scans the table unless a validated CHECK (col IS NOT NULL) exists", sql::idents(&nullable.into_iter().cloned().collect::<Vec<_>>())));
            }
        }
        let simple = a.cmds.len() == 1 && k.including.is_empty() && k.options.is_empty() && k.indexspace.is_empty() && !cols.is_empty() && k.where_clause.is_none();
        let r = out.emit(cx.span(), msg);
        r.help(help);
        if simple && !cx.stmt.placement.in_transaction {
            r.fix(shown, vec![Edit { start: cx.span().start, end: cx.span().end, text: format!("{create}\n{add}") }]);
        } else {
            r.suggest(shown);
        }
    }
}
