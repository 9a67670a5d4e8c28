//! ALTER COLUMN TYPE that rewrites the table or rebuilds its indexes
//! (silent for binary-coercible changes such as varchar(n) -> text).
use pg_query::protobuf::AlterTableType as T;

use super::{alter, sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let Some((a, t)) = alter::existing(cx) else { return };
    let rv = a.rv;
    let changes: Vec<_> = a.cmds_of(T::AtAlterColumnType).collect();
    if changes.is_empty() {
        return;
    }
    let fx = &cx.stmt.effects;
    let cols: Vec<String> = changes.iter().map(|c| c.name.clone()).collect();
    let new_ty = changes
        .first()
        .and_then(|c| sql::column_def(c))
        .and_then(|d| d.type_name.as_ref())
        .map(|t| super::sql::type_sql(&crate::model::types::TypeRef::from_ast(t)))
        .unwrap_or_default();
    let old_ty = cx
        .rel(&t)
        .and_then(|r| r.column(&cols[0]))
        .map(|c| super::sql::type_sql(&c.ty))
        .unwrap_or_else(|| "its old type".into());
    let table = sql::rv(rv);
    let c = sql::ident(&cols[0]);
    if fx.rewrites.contains(&t) {
        let msg = format!("changing {} from {old_ty} to {new_ty} rewrites {t} and all its indexes while holding AccessExclusiveLock: reads and writes wait for the whole rewrite", cols.join(", "));
        let r = out.emit(cx.span(), msg);
        for c in &cols {
            r.column(&t, c);
        }
        r.help("expand and contract: add a new column of the new type, keep it in sync (trigger or application), backfill it in batches, then switch reads and drop the old column")
            .suggest(format!(
                "ALTER TABLE {table} ADD COLUMN {}_new {new_ty};\n-- backfill in batches: UPDATE {table} SET {}_new = {c} WHERE <key range>;\n-- then switch the application and drop {c}",
                cols[0], cols[0]
            ));
        return;
    }
    // No rewrite, but the indexes and CHECK constraints that use the
    // column may still be rebuilt or validated again, reading every row
    // under the ACCESS EXCLUSIVE lock.
    let mut work = Vec::new();
    if !fx.index_rebuilds.is_empty() {
        let idx: Vec<String> = fx.index_rebuilds.iter().map(|q| q.to_string()).collect();
        work.push(format!("rebuilds {}", idx.join(", ")));
    }
    let checks: Vec<String> = cx
        .rel(&t)
        .map(|r| {
            r.constraints
                .iter()
                .filter(|k| {
                    matches!(k.kind, crate::model::catalog::ConstraintKind::Check { .. })
                        && k.valid
                        && k.columns.iter().any(|col| cols.contains(col))
                })
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default();
    if !checks.is_empty() {
        work.push(format!("validates CHECK {} again", checks.join(", ")));
    }
    if work.is_empty() {
        if !fx.scans.contains(&t) {
            return;
        }
        work.push("checks every row".into());
    }
    let msg = format!(
        "changing {} to {new_ty} does not rewrite {t} but {}, reading every row while holding AccessExclusiveLock",
        cols.join(", "),
        work.join(" and ")
    );
    let mut help = Vec::new();
    if !fx.index_rebuilds.is_empty() {
        help.push("drop the indexes that use the column with DROP INDEX CONCURRENTLY first and re-create them with CREATE INDEX CONCURRENTLY afterwards");
    }
    if !checks.is_empty() {
        help.push("drop the CHECK constraints first, re-add them NOT VALID afterwards and VALIDATE CONSTRAINT in a later transaction (a SHARE UPDATE EXCLUSIVE lock)");
    }
    if help.is_empty() {
        help.push("expand and contract: add a new column of the new type, backfill it in batches, then switch reads and drop the old column");
    }
    let r = out.emit(cx.span(), msg);
    for c in &cols {
        r.column(&t, c);
    }
    r.help(help.join("; "));
}
