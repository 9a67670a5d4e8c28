//! A foreign key whose referencing columns have no index: every DELETE or
//! key UPDATE on the referenced table scans the referencing table.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C, Constraint, RangeVar};
use pg_query::NodeEnum as N;

use super::{sql, FileCx, Hook, Sink, StmtCx, StmtFacts};

pub const HOOK: Hook = Hook::File(check);

/// The foreign keys a CREATE TABLE or ALTER TABLE adds: the table, and per
/// key its columns and the referenced table.
#[derive(Debug)]
pub struct Added {
    table: RangeVar,
    keys: Vec<(Vec<String>, Option<RangeVar>)>,
}

pub(super) fn facts(cx: &StmtCx, f: &mut StmtFacts) {
    let add = |k: &Constraint, col: Option<&str>| -> Option<(Vec<String>, Option<RangeVar>)> {
        if sql::contype(k) != C::ConstrForeign {
            return None;
        }
        let cols = match col {
            Some(c) => vec![c.to_string()],
            None => sql::names(&k.fk_attrs),
        };
        Some((cols, k.pktable.clone()))
    };
    let mut owned: Vec<(Vec<String>, Option<RangeVar>)> = Vec::new();
    let table: Option<&RangeVar> = match cx.node() {
        N::CreateStmt(s) => {
            for e in &s.table_elts {
                match &e.node {
                    Some(pg_query::protobuf::node::Node::ColumnDef(d)) => {
                        for k in sql::column_constraints(d) {
                            if let Some(x) = add(k, Some(&d.colname)) {
                                owned.push(x);
                            }
                        }
                    }
                    Some(pg_query::protobuf::node::Node::Constraint(k)) => {
                        if let Some(x) = add(k, None) {
                            owned.push(x);
                        }
                    }
                    _ => {}
                }
            }
            s.relation.as_ref()
        }
        N::AlterTableStmt(s) => {
            for c in sql::alter_cmds(s) {
                match sql::subtype(c) {
                    T::AtAddConstraint => {
                        if let Some(k) = sql::constraint(c) {
                            if let Some(x) = add(k, None) {
                                owned.push(x);
                            }
                        }
                    }
                    T::AtAddColumn => {
                        if let Some(d) = sql::column_def(c) {
                            for k in sql::column_constraints(d) {
                                if let Some(x) = add(k, Some(&d.colname)) {
                                    owned.push(x);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            s.relation.as_ref()
        }
        _ => None,
    };
    let Some(rv) = table else { return };
    if !owned.is_empty() {
        f.foreign_keys = Some(Box::new(Added { table: rv.clone(), keys: owned }));
    }
}

fn check(cx: &FileCx, out: &mut Sink) {
    for st in &cx.fa.statements {
        let Some(added) = &cx.facts[st.index].foreign_keys else { continue };
        let rv = &added.table;
        for (cols, pk) in &added.keys {
            if cols.is_empty() {
                continue;
            }
            let q = super::resolve_with(&st.effects, cx.cat, &rv.schemaname, &rv.relname);
            let Some(rel) = cx.cat.get(&q) else { continue };
            let covered = rel.indexes.iter().any(|i| {
                cx.cat
                    .get(i)
                    .and_then(|r| r.index.as_ref())
                    .map(|ix| {
                        !ix.partial
                            && ix.columns.len() >= cols.len()
                            && ix.columns[..cols.len()].iter().all(|c| c.as_ref().map(|c| cols.contains(c)).unwrap_or(false))
                    })
                    .unwrap_or(false)
            });
            if covered {
                continue;
            }
            let target = pk.as_ref().map(sql::rv).unwrap_or_else(|| "the referenced table".into());
            let name = crate::model::replay::make_object_name(&rv.relname, &cols.join("_"), "idx");
            out.emit(st.span, format!("no index on {q} ({}) for this foreign key: every DELETE or key UPDATE on {target} scans {q} to check for references, holding its row locks meanwhile", cols.join(", ")))
                .help("index the referencing columns (CONCURRENTLY when the table already has rows)")
                .suggest(format!("CREATE INDEX CONCURRENTLY {} ON {} ({});", sql::ident(&name), sql::rv(rv), sql::idents(cols)));
        }
    }
}
