//! RENAME (tables, indexes, columns, constraints, triggers, policies,
//! schemas, types, functions) and SET SCHEMA: what is renamed with it.

use pg_query::protobuf::{self as pb, node::Node as N, ObjectType as O};

use super::{tree, CatalogView};
use crate::model::ast::{name_list, object_with_args};
use crate::model::catalog::*;
use crate::model::functions;

pub(super) fn rename(s: &pb::RenameStmt, cat: &mut Catalog, v: &CatalogView) {
    let kind = O::try_from(s.rename_type).unwrap_or(O::Undefined);
    let rel = s.relation.as_ref().map(|r| v.resolve(cat, r));
    match kind {
        O::ObjectTable
        | O::ObjectView
        | O::ObjectMatview
        | O::ObjectSequence
        | O::ObjectForeignTable
        | O::ObjectIndex => {
            if let Some(q) = rel {
                let to = QName::new(q.schema.as_str(), s.newname.as_str());
                // An index backing a constraint renames the constraint too.
                if let Some(info) = cat.get(&q).and_then(|r| r.index.clone()) {
                    if let Some(cname) = &info.constraint {
                        if let Some(t) = cat.get_mut(&info.table) {
                            if let Some(c) = t.constraints.iter_mut().find(|c| &c.name == cname) {
                                c.name = s.newname.clone();
                            }
                        }
                    }
                    if let Some(i) = cat.get_mut(&q).and_then(|r| r.index.as_mut()) {
                        if i.constraint.is_some() {
                            i.constraint = Some(s.newname.clone());
                        }
                    }
                }
                cat.rename_relation(&q, to);
            }
        }
        O::ObjectColumn | O::ObjectAttribute => {
            if let Some(q) = rel {
                rename_column_everywhere(cat, &q, &s.subname, &s.newname);
            }
        }
        O::ObjectFunction | O::ObjectProcedure | O::ObjectRoutine => {
            if let Some(N::ObjectWithArgs(o)) = s.object.as_deref().and_then(|n| n.node.as_ref()) {
                let (names, args) = object_with_args(o);
                let found = functions::find_function(&names, args.as_deref(), cat, v.session)
                    .map(|f| f.name.clone());
                if let Some(from) = found {
                    let to = QName::new(from.schema.as_str(), s.newname.as_str());
                    move_function(cat, &from, args.as_deref(), to);
                }
            }
        }
        O::ObjectTrigger | O::ObjectPolicy => {
            if let Some(q) = rel {
                let mut holders = vec![q.clone()];
                if kind == O::ObjectTrigger {
                    holders.extend(cat.partitions_deep(&q));
                }
                for h in holders {
                    rename_use(
                        cat,
                        &h,
                        |k| match k {
                            UseKind::Trigger { name: t, .. } | UseKind::Policy(t)
                                if t == &s.subname =>
                            {
                                Some(t)
                            }
                            _ => None,
                        },
                        &s.newname,
                    );
                    if let Some(r) = cat.get_mut(&h) {
                        let list = if kind == O::ObjectTrigger {
                            &mut r.triggers
                        } else {
                            &mut r.policies
                        };
                        for n in list.iter_mut() {
                            if n == &s.subname {
                                *n = s.newname.clone();
                            }
                        }
                    }
                }
            }
        }
        O::ObjectTabconstraint => {
            if let Some(q) = rel {
                for t in tree(cat, &q) {
                    rename_use(
                        cat,
                        &t,
                        |k| match k {
                            UseKind::Check(c) if c == &s.subname => Some(c),
                            _ => None,
                        },
                        &s.newname,
                    );
                }
                let mut idx = None;
                if let Some(r) = cat.get_mut(&q) {
                    if let Some(c) = r.constraints.iter_mut().find(|c| c.name == s.subname) {
                        c.name = s.newname.clone();
                        idx = c.index.clone();
                    }
                }
                if let Some(i) = idx {
                    let to = QName::new(i.schema.as_str(), s.newname.as_str());
                    if let Some(info) = cat.get_mut(&i).and_then(|r| r.index.as_mut()) {
                        info.constraint = Some(s.newname.clone());
                    }
                    cat.rename_relation(&i, to.clone());
                    if let Some(r) = cat.get_mut(&q) {
                        if let Some(c) = r.constraints.iter_mut().find(|c| c.name == s.newname) {
                            c.index = Some(to);
                        }
                    }
                }
            }
        }
        O::ObjectSchema => {
            let moving: Vec<QName> = cat
                .relations
                .keys()
                .filter(|q| q.schema == s.subname)
                .cloned()
                .collect();
            for q in moving {
                cat.rename_relation(&q, QName::new(s.newname.as_str(), q.name.as_str()));
            }
            if let Some(o) = cat.schemas.remove(&s.subname) {
                cat.schemas.insert(s.newname.clone(), o);
            }
        }
        O::ObjectType => {
            if let Some(obj) = &s.object {
                let names = name_list(obj);
                let q = v.resolve_type(&names);
                if let Some(e) = cat
                    .enums
                    .iter()
                    .find(|(k, _)| k.name == q.name)
                    .map(|(k, _)| k.clone())
                {
                    if let Some(val) = cat.enums.remove(&e) {
                        cat.enums
                            .insert(QName::new(e.schema.as_str(), s.newname.as_str()), val);
                    }
                }
                // A composite type keeps its typed tables.
                if let Some(cols) = cat.composites.remove(&q) {
                    let to = QName::new(q.schema.as_str(), s.newname.as_str());
                    for t in cat.typed_tables(&q) {
                        if let Some(r) = cat.get_mut(&t) {
                            r.of_type = Some(to.clone());
                        }
                    }
                    cat.composites.insert(to, cols);
                }
            }
        }
        _ => {}
    }
}

fn rename_column_everywhere(cat: &mut Catalog, table: &QName, from: &str, to: &str) {
    let targets = tree(cat, table);
    for t in &targets {
        let idxs = cat.get(t).map(|r| r.indexes.clone()).unwrap_or_default();
        rename_use(
            cat,
            t,
            |k| match k {
                UseKind::Default(c) | UseKind::Generated(c) if c == from => Some(c),
                _ => None,
            },
            to,
        );
        if let Some(r) = cat.get_mut(t) {
            if let Some(c) = r.column_mut(from) {
                c.name = to.to_string();
            }
            for c in &mut r.constraints {
                for k in &mut c.columns {
                    if k == from {
                        *k = to.to_string();
                    }
                }
                if let ConstraintKind::Check {
                    not_null_of: Some(n),
                } = &mut c.kind
                {
                    if n == from {
                        *n = to.to_string();
                    }
                }
            }
        }
        for i in idxs {
            if let Some(info) = cat.get_mut(&i).and_then(|r| r.index.as_mut()) {
                for c in info.columns.iter_mut().flatten() {
                    if c == from {
                        *c = to.to_string();
                    }
                }
            }
        }
    }
    // Only relations pointing at a target hold foreign keys to rename.
    let pointing: std::collections::BTreeSet<QName> = targets
        .iter()
        .flat_map(|t| cat.relations.pointing_at(t))
        .collect();
    for p in &pointing {
        let Some(r) = cat.relations.get_mut(p) else {
            continue;
        };
        for c in &mut r.constraints {
            if let ConstraintKind::ForeignKey {
                ref_table,
                ref_columns,
            } = &mut c.kind
            {
                if targets.contains(ref_table) {
                    for k in ref_columns.iter_mut() {
                        if k == from {
                            *k = to.to_string();
                        }
                    }
                }
            }
        }
    }
}

/// ALTER FUNCTION ... RENAME TO / SET SCHEMA: what uses the function keeps
/// using it under its new name (pg_depend holds its oid).
fn move_function(cat: &mut Catalog, from: &QName, args: Option<&[String]>, to: QName) {
    let Some(f) = cat.function(from, args).cloned() else {
        return;
    };
    let users: Vec<QName> = cat
        .function_users(from, Some(&f.arg_types))
        .into_iter()
        .map(|(q, _)| q)
        .collect();
    for q in users {
        if let Some(r) = cat.get_mut(&q) {
            for u in &mut r.function_uses {
                if u.func.matches(from, Some(&f.arg_types)) {
                    u.func.name = to.clone();
                }
            }
        }
    }
    cat.remove_function(from, &f.arg_types);
    let mut f = f;
    f.name = to;
    cat.add_function(f);
}

/// Rename the object a use names (a trigger, policy or constraint) on `q`.
fn rename_use(
    cat: &mut Catalog,
    q: &QName,
    which: impl Fn(&mut UseKind) -> Option<&mut String>,
    to: &str,
) {
    let hit = cat.get(q).is_some_and(|r| {
        r.function_uses
            .iter()
            .any(|u| which(&mut u.kind.clone()).is_some())
    });
    if !hit {
        return;
    }
    if let Some(r) = cat.get_mut(q) {
        for u in &mut r.function_uses {
            if let Some(name) = which(&mut u.kind) {
                *name = to.to_string();
            }
        }
    }
}

/// ALTER ... SET SCHEMA: a function moves with what uses it; a table,
/// view, sequence or foreign table moves with its indexes and owned
/// sequences.
pub(super) fn set_schema(s: &pb::AlterObjectSchemaStmt, cat: &mut Catalog, v: &CatalogView) {
    if matches!(
        O::try_from(s.object_type).unwrap_or(O::Undefined),
        O::ObjectFunction | O::ObjectProcedure | O::ObjectRoutine
    ) {
        if let Some(N::ObjectWithArgs(o)) = s.object.as_deref().and_then(|n| n.node.as_ref()) {
            let (names, args) = object_with_args(o);
            let found = functions::find_function(&names, args.as_deref(), cat, v.session)
                .map(|f| f.name.clone());
            if let Some(from) = found {
                let to = QName::new(s.newschema.as_str(), from.name.as_str());
                move_function(cat, &from, args.as_deref(), to);
            }
        }
        return;
    }
    let k = O::try_from(s.object_type).unwrap_or(O::Undefined);
    if let (Some(rv), true) = (
        &s.relation,
        matches!(
            k,
            O::ObjectTable
                | O::ObjectView
                | O::ObjectMatview
                | O::ObjectSequence
                | O::ObjectForeignTable
        ),
    ) {
        let q = v.resolve(cat, rv);
        if let Some(r) = cat.get(&q) {
            let mut moving = r.indexes.clone();
            moving.extend(
                cat.relations
                    .values()
                    .filter(|x| x.owned_by.as_ref().map(|(t, _)| t == &q).unwrap_or(false))
                    .map(|x| x.name.clone()),
            );
            for m in moving {
                cat.rename_relation(&m, QName::new(s.newschema.as_str(), m.name.as_str()));
            }
            cat.rename_relation(&q, QName::new(s.newschema.as_str(), q.name.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::catalog::ConstraintKind;
    use crate::model::replay::test_support::*;

    #[test]
    fn renames_carry_over_to_indexes_constraints_and_foreign_keys() {
        let cat = catalog_after(
            "CREATE TABLE t (id int PRIMARY KEY, a int);
             CREATE TABLE r (t_id int REFERENCES t (id));
             CREATE INDEX t_a ON t (a);
             ALTER TABLE t RENAME COLUMN id TO tid;
             ALTER INDEX t_pkey RENAME TO t_key_renamed;
             ALTER TABLE t RENAME TO u;
             ALTER INDEX t_a RENAME TO u_a;",
        );
        assert!(!cat.contains(&q("t")));
        assert_eq!(columns(&cat, "u"), ["tid", "a"]);
        assert_eq!(indexes(&cat, "u"), ["t_key_renamed", "u_a"]);
        // Renaming a constraint's index renames the constraint.
        let pk = constraint(&cat, "u", "t_key_renamed");
        assert_eq!(pk.columns, ["tid"]);
        assert_eq!(pk.index, Some(q("t_key_renamed")));
        let idx = rel(&cat, "t_key_renamed").index.as_ref().unwrap();
        assert_eq!(idx.table, q("u"));
        assert_eq!(idx.columns, [Some("tid".to_string())]);
        assert_eq!(
            constraint(&cat, "r", "r_t_id_fkey").kind,
            ConstraintKind::ForeignKey {
                ref_table: q("u"),
                ref_columns: vec!["tid".into()],
            }
        );
    }

    #[test]
    fn renaming_a_constraint_renames_its_index() {
        let cat = catalog_after(
            "CREATE TABLE t (id int PRIMARY KEY);
             ALTER TABLE t RENAME CONSTRAINT t_pkey TO t_id_pk;",
        );
        assert_eq!(constraint_names(&cat, "t"), ["t_id_pk"]);
        assert_eq!(indexes(&cat, "t"), ["t_id_pk"]);
        assert!(!cat.contains(&q("t_pkey")));
    }

    #[test]
    fn set_schema_moves_indexes_and_owned_sequences() {
        let cat = catalog_after(
            "CREATE SCHEMA s;
             CREATE TABLE t (id serial PRIMARY KEY);
             ALTER TABLE t SET SCHEMA s;",
        );
        assert!(!cat.contains(&q("t")));
        assert_eq!(indexes(&cat, "s.t"), ["t_pkey"]);
        assert!(cat.contains(&q("s.t_pkey")) && cat.contains(&q("s.t_id_seq")));
    }
}
