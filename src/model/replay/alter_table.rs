//! ALTER TABLE (columns, defaults, identity, constraints, storage,
//! partitions, inheritance) and ALTER TYPE on a composite type.

use pg_query::protobuf::{self as pb, node::Node as N, AlterTableType as T, ObjectType as O};

use super::constraints::{add_constraint, has_own_entry};
use super::create::{column_from_def, nextval_sequence};
use super::naming::choose_relation_name;
use super::partition::{bound_of, inherit_partition_objects};
use super::uses::{add_uses, column_uses, remove_uses};
use super::{tree, CatalogView};
use crate::model::ast::{
    any_cascade, cmd_column_def, cmd_constraint, cmd_partition, column_constraints, range_var,
    range_var_names, strings, subtype,
};
use crate::model::catalog::*;
use crate::model::functions;
use crate::model::types::TypeRef;

pub(super) fn alter_table(s: &pb::AlterTableStmt, cat: &mut Catalog, v: &CatalogView) {
    let Some(rv) = &s.relation else { return };
    let q = v.resolve(cat, rv);
    let objtype = O::try_from(s.objtype).unwrap_or(O::ObjectTable);
    if objtype == O::ObjectType {
        alter_composite(s, cat, v);
        return;
    }
    if !cat.contains(&q) {
        // A table the history does not create: keep what this statement
        // does to it apart (`Catalog::unseen`).
        // IF EXISTS proves nothing: a pg_dump --clean script alters
        // tables that a fresh database does not have.
        if objtype == O::ObjectTable && !s.missing_ok {
            cat.with_unseen(&q, |cat| alter_table_known(s, &q, objtype, cat, v));
        }
        return;
    }
    alter_table_known(s, &q, objtype, cat, v);
}

/// ALTER TYPE ... ADD/DROP/ALTER ATTRIBUTE: the composite type's
/// attributes change, and with CASCADE its typed tables' columns too.
fn alter_composite(s: &pb::AlterTableStmt, cat: &mut Catalog, v: &CatalogView) {
    let Some(rv) = &s.relation else { return };
    let names = range_var_names(rv);
    let ty = v.resolve_type(&names);
    let cascade = any_cascade(s);
    if let Some(cols) = cat.composites.remove(&ty) {
        // Replayed as if the type were a table (its pg_class entry is one
        // in all but storage), then its columns taken back.
        let mut stand_in = Relation::new(ty.clone(), RelKind::Table, Origin::default());
        stand_in.columns = cols;
        let had = cat.relations.insert(ty.clone(), stand_in);
        alter_table_known(s, &ty, O::ObjectTable, cat, v);
        if let Some(r) = cat.relations.remove(&ty) {
            cat.composites.insert(ty.clone(), r.columns);
        }
        if let Some(h) = had {
            cat.relations.insert(ty.clone(), h);
        }
    }
    if cascade {
        for t in cat.typed_tables(&ty) {
            alter_table_known(s, &t, O::ObjectTable, cat, v);
        }
    }
}

fn alter_table_known(
    s: &pb::AlterTableStmt,
    q: &QName,
    objtype: O,
    cat: &mut Catalog,
    v: &CatalogView,
) {
    let Some(rv) = &s.relation else { return };
    let q = q.clone();
    for cmd in &s.cmds {
        let Some(N::AlterTableCmd(cmd)) = &cmd.node else {
            continue;
        };
        let sub = subtype(cmd);
        let targets = if rv.inh {
            tree(cat, &q)
        } else {
            vec![q.clone()]
        };
        match sub {
            T::AtAddColumn => {
                if let Some(def) = cmd_column_def(cmd) {
                    if cat.get(&q).and_then(|r| r.column(&def.colname)).is_some() {
                        continue;
                    }
                    let uses = column_uses(def, cat, v);
                    for t in &targets {
                        let col = column_from_def(def, t, cat, v.session, v.origin);
                        if let Some(r) = cat.get_mut(t) {
                            r.columns.push(col);
                        }
                        add_uses(cat, t, uses.clone());
                    }
                    for c in column_constraints(def) {
                        if has_own_entry(c) {
                            add_constraint(cat, &q, c, Some(&def.colname), v, v.origin, rv.inh);
                        }
                    }
                }
            }
            T::AtDropColumn => {
                for t in &targets {
                    let idxs: Vec<QName> = cat
                        .get(t)
                        .map(|r| {
                            r.indexes
                                .iter()
                                .filter(|i| {
                                    cat.get(i)
                                        .and_then(|x| x.index.as_ref())
                                        .map(|ii| {
                                            ii.columns
                                                .iter()
                                                .any(|c| c.as_deref() == Some(cmd.name.as_str()))
                                        })
                                        .unwrap_or(false)
                                })
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    for i in idxs {
                        cat.remove_relation(&i);
                    }
                    let gone: Vec<String> = cat
                        .get(t)
                        .map(|r| {
                            r.constraints
                                .iter()
                                .filter(|c| c.columns.contains(&cmd.name))
                                .map(|c| c.name.clone())
                                .collect()
                        })
                        .unwrap_or_default();
                    remove_uses(cat, t, |k| match k {
                        UseKind::Default(c) | UseKind::Generated(c) => c == &cmd.name,
                        UseKind::Check(c) => gone.contains(c),
                        _ => false,
                    });
                    if let Some(r) = cat.get_mut(t) {
                        r.columns.retain(|c| c.name != cmd.name);
                        r.constraints.retain(|c| !c.columns.contains(&cmd.name));
                    }
                }
            }
            T::AtAlterColumnType => {
                if let Some(def) = cmd_column_def(cmd) {
                    let ty = def
                        .type_name
                        .as_ref()
                        .map(TypeRef::from_ast)
                        .unwrap_or_default();
                    let coll = def
                        .coll_clause
                        .as_ref()
                        .and_then(|c| strings(&c.collname).last().cloned());
                    for t in &targets {
                        if let Some(c) = cat.get_mut(t).and_then(|r| r.column_mut(&cmd.name)) {
                            c.ty = ty.clone();
                            if coll.is_some() {
                                c.collation = coll.clone();
                            }
                        }
                    }
                }
            }
            T::AtSetNotNull | T::AtDropNotNull => {
                for t in &targets {
                    if let Some(c) = cat.get_mut(t).and_then(|r| r.column_mut(&cmd.name)) {
                        c.not_null = sub == T::AtSetNotNull;
                    }
                }
            }
            T::AtColumnDefault => {
                let kind = UseKind::Default(cmd.name.clone());
                let uses = cmd
                    .def
                    .as_deref()
                    .map(|e| functions::uses_in(e, &kind, cat, v.session))
                    .unwrap_or_default();
                for t in &targets {
                    // SET DEFAULT replaces the default, DROP DEFAULT
                    // removes it: what it called is no longer used.
                    remove_uses(cat, t, |k| k == &kind);
                    add_uses(cat, t, uses.clone());
                    let seq = cmd
                        .def
                        .as_deref()
                        .and_then(|e| nextval_sequence(e, &t.schema));
                    let query = cmd
                        .def
                        .as_deref()
                        .and_then(|e| functions::default_query(e, cat, v.session));
                    if let Some(c) = cat.get_mut(t).and_then(|r| r.column_mut(&cmd.name)) {
                        c.has_default = cmd.def.is_some();
                        c.default_query = query;
                        if c.identity.is_none() {
                            c.serial_sequence = seq;
                        }
                    }
                }
            }
            T::AtAddIdentity => {
                for t in targets.iter().take(1) {
                    if let Some(c) = cat.get_mut(t).and_then(|r| r.column_mut(&cmd.name)) {
                        c.identity = Some('a');
                    }
                    let seq_name = choose_relation_name(cat, &t.schema, &t.name, &cmd.name, "seq");
                    let sq = QName::new(t.schema.as_str(), seq_name.as_str());
                    let mut seq = Relation::new(sq.clone(), RelKind::Sequence, v.origin);
                    seq.owned_by = Some((t.clone(), cmd.name.clone()));
                    cat.relations.insert(sq.clone(), seq);
                    if let Some(c) = cat.get_mut(t).and_then(|r| r.column_mut(&cmd.name)) {
                        c.serial_sequence = Some(sq);
                    }
                }
            }
            T::AtDropIdentity => {
                let seqs: Vec<QName> = cat
                    .relations
                    .values()
                    .filter(|r| r.owned_by.as_ref() == Some(&(q.clone(), cmd.name.clone())))
                    .map(|r| r.name.clone())
                    .collect();
                for sq in seqs {
                    cat.remove_relation(&sq);
                }
                if let Some(c) = cat.get_mut(&q).and_then(|r| r.column_mut(&cmd.name)) {
                    c.identity = None;
                    c.serial_sequence = None;
                }
            }
            T::AtDropExpression => {
                for t in &targets {
                    remove_uses(
                        cat,
                        t,
                        |k| matches!(k, UseKind::Generated(c) if c == &cmd.name),
                    );
                    if let Some(c) = cat.get_mut(t).and_then(|r| r.column_mut(&cmd.name)) {
                        c.generated = None;
                    }
                }
            }
            T::AtSetExpression => {
                let kind = UseKind::Generated(cmd.name.clone());
                let uses = cmd
                    .def
                    .as_deref()
                    .map(|e| functions::uses_in(e, &kind, cat, v.session))
                    .unwrap_or_default();
                for t in &targets {
                    remove_uses(cat, t, |k| k == &kind);
                    add_uses(cat, t, uses.clone());
                }
            }
            T::AtAddConstraint => {
                if let Some(c) = cmd_constraint(cmd) {
                    add_constraint(cat, &q, c, None, v, v.origin, rv.inh);
                }
            }
            T::AtValidateConstraint => {
                for t in &targets {
                    if let Some(c) = cat
                        .get_mut(t)
                        .and_then(|r| r.constraints.iter_mut().find(|c| c.name == cmd.name))
                    {
                        c.valid = true;
                    }
                }
            }
            T::AtDropConstraint => {
                for t in &targets {
                    let idx = cat
                        .get(t)
                        .and_then(|r| r.constraint(&cmd.name))
                        .and_then(|c| c.index.clone());
                    remove_uses(cat, t, |k| matches!(k, UseKind::Check(c) if c == &cmd.name));
                    if let Some(r) = cat.get_mut(t) {
                        r.constraints.retain(|c| c.name != cmd.name);
                    }
                    if let Some(i) = idx {
                        cat.remove_relation(&i);
                    }
                }
            }
            T::AtClusterOn => {
                let idx = QName::new(q.schema.as_str(), cmd.name.as_str());
                cat.set_clustered(&q, Some(&idx));
            }
            T::AtDropCluster => cat.set_clustered(&q, None),
            T::AtSetLogged | T::AtSetUnLogged => {
                if let Some(r) = cat.get_mut(&q) {
                    r.persistence = if sub == T::AtSetLogged {
                        Persistence::Permanent
                    } else {
                        Persistence::Unlogged
                    };
                }
            }
            T::AtSetTableSpace => {
                if let Some(r) = cat.get_mut(&q) {
                    r.tablespace = Some(cmd.name.clone());
                }
            }
            T::AtSetAccessMethod => {
                if let Some(r) = cat.get_mut(&q) {
                    r.access_method = Some(cmd.name.clone());
                }
            }
            T::AtAttachPartition => {
                if let Some(pc) = cmd_partition(cmd) {
                    if let Some(name) = &pc.name {
                        let part = v.resolve(cat, name);
                        if objtype == O::ObjectIndex {
                            if let Some(i) = cat.get_mut(&part).and_then(|r| r.index.as_mut()) {
                                i.parent = Some(q.clone());
                            }
                            continue;
                        }
                        if let Some(p) = cat.get_mut(&part) {
                            p.partition_of = Some(q.clone());
                            p.is_default_partition =
                                pc.bound.as_ref().map(|b| b.is_default).unwrap_or(false);
                            p.bound = pc.bound.as_ref().map(bound_of);
                        }
                        if let Some(r) = cat.get_mut(&q) {
                            if !r.partitions.contains(&part) {
                                r.partitions.push(part.clone());
                            }
                        }
                        inherit_partition_objects(cat, &q, &part, v.origin);
                    }
                }
            }
            T::AtDetachPartition => {
                if let Some(pc) = cmd_partition(cmd) {
                    if let Some(name) = &pc.name {
                        let part = v.resolve(cat, name);
                        if let Some(p) = cat.get_mut(&part) {
                            p.partition_of = None;
                            p.is_default_partition = false;
                            p.bound = None;
                        }
                        if let Some(r) = cat.get_mut(&q) {
                            r.partitions.retain(|x| x != &part);
                        }
                    }
                }
            }
            T::AtAddInherit => {
                if let Some(p) = cmd.def.as_ref().and_then(|d| range_var(d)) {
                    let parent = v.resolve(cat, p);
                    if let Some(r) = cat.get_mut(&parent) {
                        r.children.push(q.clone());
                    }
                    if let Some(r) = cat.get_mut(&q) {
                        r.inherits.push(parent);
                    }
                }
            }
            T::AtDropInherit => {
                if let Some(p) = cmd.def.as_ref().and_then(|d| range_var(d)) {
                    let parent = v.resolve(cat, p);
                    if let Some(r) = cat.get_mut(&parent) {
                        r.children.retain(|x| x != &q);
                    }
                    if let Some(r) = cat.get_mut(&q) {
                        r.inherits.retain(|x| x != &parent);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::replay::test_support::*;

    #[test]
    fn add_and_drop_columns_and_constraints() {
        let cat = catalog_after(
            "CREATE TABLE t (id int PRIMARY KEY, a int, b int);
             CREATE INDEX t_a_idx ON t (a);
             ALTER TABLE t ADD COLUMN c text NOT NULL DEFAULT 'x', DROP COLUMN a;
             ALTER TABLE t ADD CONSTRAINT t_c_len CHECK (length(c) > 0) NOT VALID;
             ALTER TABLE t ADD CONSTRAINT t_b_pos CHECK (b > 0) NOT VALID;
             ALTER TABLE t VALIDATE CONSTRAINT t_b_pos;
             ALTER TABLE t ADD UNIQUE (b);
             ALTER TABLE t DROP CONSTRAINT t_pkey;
             ALTER TABLE t ALTER COLUMN b SET NOT NULL;",
        );
        assert_eq!(columns(&cat, "t"), ["id", "b", "c"]);
        let t = rel(&cat, "t");
        let c = t.column("c").unwrap();
        assert!(c.not_null && c.has_default);
        assert!(t.column("b").unwrap().not_null);
        // Dropping a column drops its indexes; dropping a constraint its
        // index.
        assert_eq!(indexes(&cat, "t"), ["t_b_key"]);
        assert!(!cat.contains(&q("t_a_idx")) && !cat.contains(&q("t_pkey")));
        assert_eq!(
            constraint_names(&cat, "t"),
            ["t_b_key", "t_b_pos", "t_c_len"]
        );
        assert!(!constraint(&cat, "t", "t_c_len").valid);
        assert!(constraint(&cat, "t", "t_b_pos").valid);
    }

    #[test]
    fn dropping_a_column_drops_the_constraints_on_it() {
        let cat = catalog_after(
            "CREATE TABLE t (id int, b int UNIQUE CHECK (b > 0));
             ALTER TABLE t DROP COLUMN b;",
        );
        assert_eq!(columns(&cat, "t"), ["id"]);
        assert!(constraint_names(&cat, "t").is_empty());
        assert!(indexes(&cat, "t").is_empty());
    }

    #[test]
    fn identity_added_and_dropped_creates_and_drops_its_sequence() {
        let cat = catalog_after(
            "CREATE TABLE t (id int NOT NULL);
             ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;",
        );
        assert_eq!(
            rel(&cat, "t").column("id").unwrap().serial_sequence,
            Some(q("t_id_seq"))
        );
        let cat = catalog_after(
            "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY);
             ALTER TABLE t ALTER COLUMN id DROP IDENTITY;",
        );
        assert!(!cat.contains(&q("t_id_seq")));
        assert_eq!(rel(&cat, "t").column("id").unwrap().identity, None);
    }
}
