//! CREATE TABLE (columns, serial and identity sequences, inheritance,
//! LIKE, partitions) and CREATE / ALTER SEQUENCE.

use pg_query::protobuf::{self as pb, node::Node as N, ConstrType as C};

use super::constraints::{add_constraint, has_own_entry};
use super::index::create_index;
use super::naming::{choose_relation_name, index_label, make_object_name, name_addition};
use super::partition::{bound_of, inherit_partition_objects};
use super::uses::{add_uses, column_uses, remove_uses};
use super::CatalogView;
use crate::model::ast::{
    column_constraints, const_str, contype, defelem_name, name_list, node_refs, range_var, strings,
};
use crate::model::catalog::*;
use crate::model::functions;
use crate::model::session::Session;
use crate::model::types::TypeRef;

pub(super) fn create_table(s: &pb::CreateStmt, cat: &mut Catalog, v: &CatalogView) {
    let Some(rv) = &s.relation else { return };
    let q = v.resolve_create(rv);
    if cat.contains(&q) {
        return;
    }
    let kind = if s.partspec.is_some() {
        RelKind::PartitionedTable
    } else {
        RelKind::Table
    };
    let partition_key: Vec<Option<String>> = s
        .partspec
        .as_ref()
        .map(|ps| {
            ps.part_params
                .iter()
                .map(|p| match &p.node {
                    Some(N::PartitionElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rel = Relation::new(q.clone(), kind, v.origin);
    rel.partition_key = partition_key;
    if let Some(tn) = &s.of_typename {
        let ty = v.resolve_type(&strings(&tn.names));
        match cat.composites.get(&ty) {
            Some(cols) => rel.columns = cols.clone(),
            None => rel.columns_unknown = true,
        }
        rel.of_type = Some(ty);
    }
    rel.persistence = match rv.relpersistence.as_str() {
        "u" => Persistence::Unlogged,
        "t" => Persistence::Temporary,
        _ => Persistence::Permanent,
    };
    if !s.tablespacename.is_empty() {
        rel.tablespace = Some(s.tablespacename.clone());
    }
    if !s.access_method.is_empty() {
        rel.access_method = Some(s.access_method.clone());
    }
    let parents: Vec<QName> = s
        .inh_relations
        .iter()
        .filter_map(range_var)
        .map(|p| v.resolve(cat, p))
        .collect();
    for p in &parents {
        if let Some(pr) = cat.get(p) {
            for c in &pr.columns {
                if rel.column(&c.name).is_none() {
                    let mut c = c.clone();
                    c.serial_sequence = None;
                    c.identity = None;
                    rel.columns.push(c);
                }
            }
            // Inherited columns keep their defaults and generation
            // expressions (MergeAttributes), each child's depending on
            // the functions they call.
            for u in &pr.function_uses {
                if matches!(u.kind, UseKind::Default(_) | UseKind::Generated(_))
                    && !rel.function_uses.contains(u)
                {
                    rel.function_uses.push(u.clone());
                }
            }
        }
    }
    if let Some(b) = &s.partbound {
        rel.partition_of = parents.first().cloned();
        rel.is_default_partition = b.is_default;
        rel.bound = Some(bound_of(b));
    } else {
        rel.inherits = parents.clone();
    }
    cat.relations.insert(q.clone(), rel);
    let mut deferred: Vec<(pb::Constraint, Option<String>)> = Vec::new();
    for e in &s.table_elts {
        match &e.node {
            Some(N::ColumnDef(def)) => {
                let col = column_from_def(def, &q, cat, v.session, v.origin);
                let uses = column_uses(def, cat, v);
                if !uses.is_empty() {
                    // A local default replaces an inherited one.
                    remove_uses(
                        cat,
                        &q,
                        |k| matches!(k, UseKind::Default(c) | UseKind::Generated(c) if c == &def.colname),
                    );
                    add_uses(cat, &q, uses);
                }
                if let Some(r) = cat.get_mut(&q) {
                    match r.column_mut(&col.name) {
                        Some(existing) => {
                            existing.not_null |= col.not_null;
                            existing.has_default |= col.has_default;
                        }
                        None => r.columns.push(col),
                    }
                }
                for c in column_constraints(def) {
                    if has_own_entry(c) {
                        deferred.push((c.clone(), Some(def.colname.clone())));
                    }
                }
            }
            Some(N::Constraint(c)) => deferred.push((c.as_ref().clone(), None)),
            Some(N::TableLikeClause(like)) => {
                if let Some(src) = like.relation.as_ref().map(|r| v.resolve(cat, r)) {
                    if let Some(sr) = cat.get(&src).cloned() {
                        // CREATE_TABLE_LIKE_CONSTRAINTS = 1 << 2, _DEFAULTS =
                        // 1 << 3, _GENERATED = 1 << 4, _INDEXES = 1 << 6.
                        let indexes = like.options & (1 << 6) != 0;
                        let constraints = like.options & (1 << 2) != 0;
                        let defaults = like.options & (1 << 3) != 0;
                        let generated = like.options & (1 << 4) != 0;
                        // The copies of defaults, generation expressions and
                        // CHECK constraints depend on the functions they call.
                        let uses: Vec<FuncUse> = sr
                            .function_uses
                            .iter()
                            .filter(|u| match u.kind {
                                UseKind::Default(_) => defaults,
                                UseKind::Generated(_) => generated,
                                UseKind::Check(_) => constraints,
                                _ => false,
                            })
                            .cloned()
                            .collect();
                        add_uses(cat, &q, uses);
                        if let Some(r) = cat.get_mut(&q) {
                            for c in &sr.columns {
                                let mut c = c.clone();
                                c.serial_sequence = None;
                                if !defaults {
                                    c.default_query = None;
                                }
                                r.columns.push(c);
                            }
                            if constraints {
                                for c in sr
                                    .constraints
                                    .iter()
                                    .filter(|c| matches!(c.kind, ConstraintKind::Check { .. }))
                                {
                                    let mut c = c.clone();
                                    c.origin = v.origin;
                                    r.constraints.push(c);
                                }
                            }
                        }
                        if indexes {
                            for i in &sr.indexes {
                                if let Some(info) = cat.get(i).and_then(|r| r.index.clone()) {
                                    let label = index_label(
                                        info.primary,
                                        info.unique && info.constraint.is_some(),
                                    );
                                    let n = if info.primary {
                                        make_object_name(&q.name, "", "pkey")
                                    } else {
                                        choose_relation_name(
                                            cat,
                                            &q.schema,
                                            &q.name,
                                            &name_addition(&info.name_parts),
                                            label,
                                        )
                                    };
                                    create_index(
                                        cat,
                                        &q,
                                        &n,
                                        info.shape(
                                            &cat.get(i)
                                                .map(|r| r.function_uses.clone())
                                                .unwrap_or_default(),
                                        ),
                                        info.unique,
                                        info.primary,
                                        info.constraint.as_ref().map(|_| n.clone()),
                                        false,
                                        false,
                                        v.origin,
                                    );
                                    if info.constraint.is_some() {
                                        let kind = if info.primary {
                                            ConstraintKind::PrimaryKey
                                        } else {
                                            ConstraintKind::Unique
                                        };
                                        let cols: Vec<String> =
                                            info.columns.iter().flatten().cloned().collect();
                                        if let Some(r) = cat.get_mut(&q) {
                                            r.constraints.push(Constraint {
                                                name: n.clone(),
                                                kind,
                                                columns: cols,
                                                valid: true,
                                                index: Some(QName::new(
                                                    q.schema.as_str(),
                                                    n.as_str(),
                                                )),
                                                on_delete: 'a',
                                                on_update: 'a',
                                                origin: v.origin,
                                            });
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for c in &s.constraints {
        if let Some(N::Constraint(c)) = &c.node {
            deferred.push((c.as_ref().clone(), None));
        }
    }
    for (c, col) in deferred {
        add_constraint(cat, &q, &c, col.as_deref(), v, v.origin, true);
    }
    // Link into the parent, and inherit the parent's indexes and foreign
    // keys as partitions do.
    if s.partbound.is_some() {
        if let Some(p) = parents.first() {
            if let Some(pr) = cat.get_mut(p) {
                pr.partitions.push(q.clone());
            }
            inherit_partition_objects(cat, p, &q, v.origin);
        }
    } else {
        for p in &parents {
            if let Some(pr) = cat.get_mut(p) {
                pr.children.push(q.clone());
            }
        }
    }
}

pub(super) fn column_from_def(
    def: &pb::ColumnDef,
    table: &QName,
    cat: &mut Catalog,
    session: &Session,
    origin: Origin,
) -> Column {
    let ty = def
        .type_name
        .as_ref()
        .map(TypeRef::from_ast)
        .unwrap_or_default();
    let mut col = Column {
        name: def.colname.clone(),
        ty: ty.clone(),
        not_null: def.is_not_null,
        has_default: def.raw_default.is_some(),
        identity: if def.identity.is_empty() {
            None
        } else {
            def.identity.chars().next()
        },
        generated: if def.generated.is_empty() {
            None
        } else {
            def.generated.chars().next()
        },
        collation: def
            .coll_clause
            .as_ref()
            .and_then(|c| strings(&c.collname).last().cloned()),
        serial_sequence: None,
        default_query: def
            .raw_default
            .as_deref()
            .and_then(|e| functions::default_query(e, cat, session)),
    };
    for c in column_constraints(def) {
        match contype(c) {
            C::ConstrNotnull | C::ConstrPrimary => col.not_null = true,
            C::ConstrDefault => {
                col.has_default = true;
                col.serial_sequence = c
                    .raw_expr
                    .as_deref()
                    .and_then(|e| nextval_sequence(e, &table.schema));
                col.default_query = c
                    .raw_expr
                    .as_deref()
                    .and_then(|e| functions::default_query(e, cat, session));
            }
            C::ConstrIdentity => {
                col.identity = Some(if c.generated_when.is_empty() {
                    'a'
                } else {
                    c.generated_when.chars().next().unwrap_or('a')
                });
                col.not_null = true;
            }
            C::ConstrGenerated => {
                col.generated = Some(if c.generated_kind.is_empty() {
                    's'
                } else {
                    c.generated_kind.chars().next().unwrap_or('s')
                })
            }
            _ => {}
        }
    }
    if let Some(base) = ty.serial_base() {
        col.ty = TypeRef {
            name: base.into(),
            mods: vec![],
            array: false,
        };
        col.not_null = true;
        col.has_default = true;
    }
    if ty.serial_base().is_some() || col.identity.is_some() {
        let seq_name = choose_relation_name(cat, &table.schema, &table.name, &def.colname, "seq");
        let q = QName::new(table.schema.as_str(), seq_name.as_str());
        let mut seq = Relation::new(q.clone(), RelKind::Sequence, origin);
        seq.owned_by = Some((table.clone(), def.colname.clone()));
        cat.relations.insert(q.clone(), seq);
        col.serial_sequence = Some(q);
    }
    col
}

fn owned_by(options: &[pb::Node], cat: &Catalog, v: &CatalogView) -> Option<(QName, String)> {
    for d in options.iter().filter_map(defelem_name) {
        if d.defname == "owned_by" {
            let names = d.arg.as_deref().map(name_list).unwrap_or_default();
            if names.len() >= 2 {
                let col = names.last().cloned().unwrap_or_default();
                return Some((v.resolve_names(cat, &names[..names.len() - 1]), col));
            }
        }
    }
    None
}

/// `nextval('name')` in a default: the sequence it uses.
pub fn nextval_sequence(e: &pb::Node, schema: &str) -> Option<QName> {
    let refs = node_refs(e);
    let (_, args) = refs.functions.iter().find(|(f, _)| f == "nextval")?;
    let name = args.first().and_then(const_str)?;
    let parts: Vec<String> = name
        .split('.')
        .map(|p| p.trim_matches('"').to_string())
        .collect();
    match parts.as_slice() {
        [n] => Some(QName::new(schema, n.to_ascii_lowercase())),
        [s, n] => Some(QName::new(s.to_ascii_lowercase(), n.to_ascii_lowercase())),
        _ => None,
    }
}

/// CREATE SEQUENCE [OWNED BY].
pub(super) fn create_sequence(s: &pb::CreateSeqStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = &s.sequence {
        let q = v.resolve_create(rv);
        if cat.contains(&q) {
            return;
        }
        let mut r = Relation::new(q.clone(), RelKind::Sequence, v.origin);
        r.owned_by = owned_by(&s.options, cat, v);
        cat.relations.insert(q, r);
    }
}

/// ALTER SEQUENCE ... OWNED BY.
pub(super) fn alter_sequence(s: &pb::AlterSeqStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = &s.sequence {
        let q = v.resolve(cat, rv);
        if let Some(o) = owned_by(&s.options, cat, v) {
            if let Some(r) = cat.get_mut(&q) {
                r.owned_by = Some(o);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::catalog::{ConstraintKind, RelKind};
    use crate::model::replay::test_support::*;

    #[test]
    fn create_table_records_columns_sequences_keys_and_foreign_keys() {
        let cat = catalog_after(
            "CREATE TABLE a (id serial PRIMARY KEY, code text UNIQUE);
             CREATE TABLE b (
                 id bigint GENERATED ALWAYS AS IDENTITY,
                 a_id int REFERENCES a ON DELETE CASCADE,
                 n int CHECK (n > 0)
             );",
        );
        assert_eq!(columns(&cat, "a"), ["id", "code"]);
        let id = rel(&cat, "a").column("id").unwrap();
        assert!(id.not_null && id.has_default);
        assert_eq!(id.ty.name, "int4");
        assert_eq!(id.serial_sequence, Some(q("a_id_seq")));
        let seq = rel(&cat, "a_id_seq");
        assert_eq!(seq.kind, RelKind::Sequence);
        assert_eq!(seq.owned_by, Some((q("a"), "id".to_string())));

        assert_eq!(indexes(&cat, "a"), ["a_code_key", "a_pkey"]);
        assert_eq!(constraint_names(&cat, "a"), ["a_code_key", "a_pkey"]);
        let pk = constraint(&cat, "a", "a_pkey");
        assert_eq!(pk.kind, ConstraintKind::PrimaryKey);
        assert_eq!(pk.columns, ["id"]);
        assert_eq!(pk.index, Some(q("a_pkey")));
        let key = rel(&cat, "a_code_key").index.as_ref().unwrap();
        assert!(key.unique && !key.primary);
        assert_eq!(key.constraint.as_deref(), Some("a_code_key"));

        let b = rel(&cat, "b");
        assert_eq!(b.column("id").unwrap().identity, Some('a'));
        assert!(b.column("id").unwrap().not_null);
        assert_eq!(
            rel(&cat, "b_id_seq").owned_by,
            Some((q("b"), "id".to_string()))
        );
        assert_eq!(constraint_names(&cat, "b"), ["b_a_id_fkey", "b_n_check"]);
        let fk = constraint(&cat, "b", "b_a_id_fkey");
        assert_eq!(
            fk.kind,
            ConstraintKind::ForeignKey {
                ref_table: q("a"),
                ref_columns: vec!["id".into()],
            }
        );
        assert_eq!(fk.columns, ["a_id"]);
        assert_eq!(fk.on_delete, 'c');
        assert!(b.indexes.is_empty(), "a foreign key creates no index");
    }

    #[test]
    fn like_including_all_copies_columns_checks_and_indexes() {
        let cat = catalog_after(
            "CREATE TABLE a (id int PRIMARY KEY, n int CHECK (n > 0));
             CREATE INDEX ON a (n);
             CREATE TABLE c (LIKE a INCLUDING ALL, extra text);",
        );
        assert_eq!(columns(&cat, "c"), ["id", "n", "extra"]);
        assert_eq!(indexes(&cat, "c"), ["c_n_idx", "c_pkey"]);
        assert_eq!(constraint_names(&cat, "c"), ["a_n_check", "c_pkey"]);
    }
}
