//! ADD COLUMN that rewrites an existing table (volatile default, serial,
//! identity, stored generated column, constrained domain).
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};

use super::{alter, sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    if !cx.stmt.effects.rewrites.contains(&t) {
        return;
    }
    if a.has(T::AtAlterColumnType) {
        return; // column-type-change-rewrites reports it
    }
    let rv = a.rv;
    for c in a.cmds_of(T::AtAddColumn) {
        let Some(d) = sql::column_def(c) else { continue };
        let ty = d.type_name.as_ref().map(crate::model::types::TypeRef::from_ast).unwrap_or_default();
        let cons = sql::column_constraints(d);
        let why = if ty.serial_base().is_some() {
            format!("{} gives every existing row its own nextval()", ty.name)
        } else if cons.iter().any(|k| sql::contype(k) == C::ConstrIdentity) {
            "an identity column gives every existing row its own value".into()
        } else if cons.iter().any(|k| sql::contype(k) == C::ConstrGenerated) {
            "a STORED generated column is computed for every existing row".into()
        } else if cons.iter().any(|k| sql::contype(k) == C::ConstrDefault) {
            "its default is volatile, so it is evaluated for every existing row".into()
        } else {
            "its type is a domain with constraints, checked for every existing row".into()
        };
        let table = sql::rv(rv);
        let col = sql::ident(&d.colname);
        // The model lists the rewrite without being able to confirm it: a
        // default calling a function whose volatility is not known.
        let assumed = cx
            .stmt
            .effects
            .notes
            .iter()
            .find_map(|n| n.strip_prefix(crate::model::effects::MAY_REWRITE));
        let msg = match assumed {
            Some(why) => format!("adding column {} may rewrite {t} while holding AccessExclusiveLock: {why}; reads and writes would wait for the whole rewrite", d.colname),
            None => format!("adding column {} rewrites {t} while holding AccessExclusiveLock: {why}; reads and writes wait for the whole rewrite", d.colname),
        };
        let help = if assumed.is_some() {
            "make the function's volatility known (create it in the migration history, or prove the statement with `ddlint dry-run`); if it is volatile, add the column without the per-row value, set the default for new rows separately, then backfill existing rows in batches"
        } else {
            "add the column without the per-row value (nullable, or with a constant default: instant on PostgreSQL 11+), set the default for new rows separately, then backfill existing rows in batches"
        };
        out.emit(cx.span(), msg)
            .help(help)
            .suggest(format!(
                "ALTER TABLE {table} ADD COLUMN {col} {};\nALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT <expression>;\n-- backfill in batches: UPDATE {table} SET {col} = <expression> WHERE {col} IS NULL AND <key range>;",
                match ty.serial_base() {
                    Some(b) => sql::type_sql(&crate::model::types::TypeRef { name: b.to_string(), mods: vec![], array: false }),
                    None => sql::type_sql(&ty),
                }
            ));
        return;
    }
}
