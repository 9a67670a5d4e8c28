//! DROP (relations with CASCADE's dependent views, indexes with their
//! partitions' copies, schemas, triggers, policies, types, functions with
//! what uses them).

use pg_query::protobuf::{self as pb, node::Node as N, ObjectType as O};

use super::uses::remove_uses;
use super::CatalogView;
use crate::model::ast::{name_list, object_with_args};
use crate::model::catalog::*;
use crate::model::functions;

pub(super) fn drop(s: &pb::DropStmt, cat: &mut Catalog, v: &CatalogView) {
    let kind = O::try_from(s.remove_type).unwrap_or(O::Undefined);
    for obj in &s.objects {
        let names = name_list(obj);
        match kind {
            O::ObjectTable
            | O::ObjectView
            | O::ObjectMatview
            | O::ObjectSequence
            | O::ObjectForeignTable => {
                let q = v.resolve_names(cat, &names);
                // CASCADE drops the views and matviews built on it, at any
                // depth (a matview left behind would keep a stale query
                // and hide the one created again under its name).
                if s.behavior == pb::DropBehavior::DropCascade as i32 {
                    let mut doomed = Vec::new();
                    let mut stack = cat.dependent_views(&q);
                    while let Some(d) = stack.pop() {
                        if d != q && !doomed.contains(&d) {
                            stack.extend(cat.dependent_views(&d));
                            doomed.push(d);
                        }
                    }
                    for d in doomed {
                        cat.remove_relation(&d);
                    }
                }
                cat.remove_relation(&q);
            }
            O::ObjectIndex => {
                let q = v.resolve_names(cat, &names);
                let children: Vec<QName> = cat
                    .relations
                    .values()
                    .filter(|r| r.index.as_ref().and_then(|i| i.parent.as_ref()) == Some(&q))
                    .map(|r| r.name.clone())
                    .collect();
                for c in children {
                    cat.remove_relation(&c);
                }
                cat.remove_relation(&q);
            }
            O::ObjectSchema => {
                if let Some(schema) = names.first() {
                    let doomed: Vec<QName> = cat
                        .relations
                        .keys()
                        .filter(|q| &q.schema == schema)
                        .cloned()
                        .collect();
                    for q in doomed {
                        cat.remove_relation(&q);
                    }
                    let fns: Vec<(QName, Vec<String>)> = cat
                        .functions_in_schema(schema)
                        .into_iter()
                        .map(|f| (f.name.clone(), f.arg_types.clone()))
                        .collect();
                    for (name, args) in fns {
                        drop_function_users(cat, &name, Some(&args), true, v.pg);
                        cat.remove_function(&name, &args);
                    }
                    cat.schemas.remove(schema);
                    cat.enums.retain(|k, _| &k.schema != schema);
                    cat.domains.retain(|k, _| &k.schema != schema);
                }
            }
            O::ObjectTrigger | O::ObjectPolicy if names.len() >= 2 => {
                let q = v.resolve_names(cat, &names[..names.len() - 1]);
                let n = &names[names.len() - 1];
                if let Some(r) = cat.get_mut(&q) {
                    r.triggers.retain(|t| !(kind == O::ObjectTrigger && t == n));
                    r.policies.retain(|t| !(kind == O::ObjectPolicy && t == n));
                }
                // A trigger's clones on partitions go with it.
                let mut holders = vec![q.clone()];
                if kind == O::ObjectTrigger {
                    holders.extend(cat.partitions_deep(&q));
                }
                for h in holders {
                    remove_uses(cat, &h, |k| match k {
                        UseKind::Trigger { name, .. } => kind == O::ObjectTrigger && name == n,
                        UseKind::Policy(p) => kind == O::ObjectPolicy && p == n,
                        _ => false,
                    });
                }
            }
            O::ObjectStatisticExt => {
                let n = names.last().cloned().unwrap_or_default();
                cat.statistics.retain(|k, _| k.name != n);
            }
            O::ObjectType => {
                let n = names.last().cloned().unwrap_or_default();
                cat.enums.retain(|k, _| k.name != n);
                cat.composites.retain(|k, _| k.name != n);
            }
            O::ObjectDomain => {
                let n = names.last().cloned().unwrap_or_default();
                cat.domains.retain(|k, _| k.name != n);
            }
            O::ObjectFunction | O::ObjectProcedure | O::ObjectRoutine => {
                if let Some(N::ObjectWithArgs(o)) = &obj.node {
                    let (names, args) = object_with_args(o);
                    let found = functions::find_function(&names, args.as_deref(), cat, v.session)
                        .map(|f| (f.name.clone(), f.arg_types.clone()));
                    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
                    match found {
                        Some((name, args)) => {
                            if drop_function_users(cat, &name, Some(&args), cascade, v.pg) {
                                cat.remove_function(&name, &args);
                            }
                        }
                        None => {
                            // Not in the history: what the history shows
                            // using it goes with it.
                            if let Some(name) = functions::guess_name(&names, v.session) {
                                drop_function_users(cat, &name, args.as_deref(), cascade, v.pg);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// DROP FUNCTION's catalog change on what uses the function: with
/// CASCADE those objects are dropped (defaults, CHECK constraints,
/// triggers, policies, indexes, views; a generated column on 15+, only
/// its expression before). Returns whether the drop succeeds: RESTRICT
/// fails when anything uses it (before 15 a generated column does not
/// stop it: its expression depends on the function automatically).
fn drop_function_users(
    cat: &mut Catalog,
    name: &QName,
    args: Option<&[String]>,
    cascade: bool,
    pg: u32,
) -> bool {
    let users = cat.function_users(name, args);
    let blocking = users
        .iter()
        .any(|(_, k)| !(matches!(k, UseKind::Generated(_)) && (12..15).contains(&pg)));
    if !cascade && blocking {
        return false;
    }
    for (q, kind) in users {
        match &kind {
            UseKind::Index | UseKind::Query => {
                cat.remove_relation(&q);
                continue;
            }
            UseKind::Default(c) => {
                if let Some(col) = cat.get_mut(&q).and_then(|r| r.column_mut(c)) {
                    col.has_default = false;
                    col.default_query = None;
                }
            }
            UseKind::Generated(c) => {
                if let Some(r) = cat.get_mut(&q) {
                    if pg >= 15 {
                        r.columns.retain(|x| &x.name != c);
                    } else if let Some(col) = r.column_mut(c) {
                        col.generated = None;
                    }
                }
            }
            UseKind::Check(c) => {
                if let Some(r) = cat.get_mut(&q) {
                    r.constraints.retain(|x| &x.name != c);
                }
            }
            UseKind::Trigger { name, .. } => {
                if let Some(r) = cat.get_mut(&q) {
                    r.triggers.retain(|x| x != name);
                }
            }
            UseKind::Policy(p) => {
                if let Some(r) = cat.get_mut(&q) {
                    r.policies.retain(|x| x != p);
                }
            }
        }
        let dropped = kind.clone();
        remove_uses(cat, &q, |k| k == &dropped);
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::model::replay::test_support::*;

    #[test]
    fn drop_cascade_drops_dependent_views_at_any_depth() {
        let cat = catalog_after(
            "CREATE TABLE t (a int);
             CREATE VIEW v AS SELECT a FROM t;
             CREATE VIEW w AS SELECT a FROM v;
             CREATE MATERIALIZED VIEW mv AS SELECT a FROM w;
             CREATE TABLE other (a int);
             CREATE VIEW ov AS SELECT a FROM other;
             DROP TABLE t CASCADE;",
        );
        for gone in ["t", "v", "w", "mv"] {
            assert!(!cat.contains(&q(gone)), "{gone} is still there");
        }
        assert!(cat.contains(&q("other")) && cat.contains(&q("ov")));
    }

    #[test]
    fn drop_table_takes_its_indexes_and_sequences() {
        let cat = catalog_after(
            "CREATE TABLE t (id serial PRIMARY KEY);
             DROP TABLE t;",
        );
        for gone in ["t", "t_pkey", "t_id_seq"] {
            assert!(!cat.contains(&q(gone)), "{gone} is still there");
        }
    }
}
