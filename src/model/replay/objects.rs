//! Types (composite, enum, domain), functions, triggers, policies, rules,
//! statistics, CLUSTER, and the rows DML leaves: the catalog changes of
//! the smaller statements.

use pg_query::protobuf::{self as pb, node::Node as N, ConstrType as C};

use super::create::column_from_def;
use super::uses::{add_uses, remove_uses};
use super::CatalogView;
use crate::model::ast::{const_str, object_with_args, range_var, range_var_names, strings};
use crate::model::catalog::*;
use crate::model::functions;
use crate::model::types::TypeRef;

/// CREATE TYPE ... AS (...): a composite type and its attributes.
pub(super) fn create_composite(s: &pb::CompositeTypeStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = &s.typevar {
        let q = v.resolve_type(&range_var_names(rv));
        let cols = s
            .coldeflist
            .iter()
            .filter_map(|n| match &n.node {
                Some(N::ColumnDef(d)) => Some(column_from_def(d, &q, cat, v.session, v.origin)),
                _ => None,
            })
            .collect();
        cat.composites.insert(q, cols);
    }
}

/// CLUSTER t USING i marks i as the table's clustered index, which a
/// later CLUSTER t or bare CLUSTER uses.
pub(super) fn cluster(s: &pb::ClusterStmt, cat: &mut Catalog, v: &CatalogView) {
    if let (Some(rv), false) = (&s.relation, s.indexname.is_empty()) {
        let t = v.resolve(cat, rv);
        let idx = QName::new(t.schema.as_str(), s.indexname.as_str());
        if cat.get(&t).is_some_and(|r| r.kind == RelKind::Table) {
            cat.set_clustered(&t, Some(&idx));
        }
    }
}

/// CREATE TYPE ... AS ENUM.
pub(super) fn create_enum(s: &pb::CreateEnumStmt, cat: &mut Catalog, v: &CatalogView) {
    let names = strings(&s.type_name);
    let q = v.resolve_type(&names);
    let values = s.vals.iter().filter_map(const_str).collect();
    cat.enums.insert(
        q,
        EnumType {
            values,
            origin: v.origin,
        },
    );
}

/// ALTER TYPE ... ADD VALUE / RENAME VALUE.
pub(super) fn alter_enum(s: &pb::AlterEnumStmt, cat: &mut Catalog, v: &CatalogView) {
    let q = v.resolve_type(&strings(&s.type_name));
    let key = cat
        .enums
        .keys()
        .find(|k| k.name == q.name && (k.schema == q.schema || q.schema.is_empty()))
        .cloned();
    if let Some(e) = key.and_then(|k| cat.enums.get_mut(&k)) {
        if s.old_val.is_empty() {
            if !e.values.contains(&s.new_val) {
                e.values.push(s.new_val.clone());
            }
        } else if let Some(v) = e.values.iter_mut().find(|v| **v == s.old_val) {
            *v = s.new_val.clone();
        }
    }
}

/// CREATE DOMAIN: its base type, whether it has constraints.
pub(super) fn create_domain(s: &pb::CreateDomainStmt, cat: &mut Catalog, v: &CatalogView) {
    let q = v.resolve_type(&strings(&s.domainname));
    let base = s
        .type_name
        .as_ref()
        .map(TypeRef::from_ast)
        .unwrap_or_default();
    let has = s.constraints.iter().any(|c| matches!(&c.node, Some(N::Constraint(c)) if c.contype == C::ConstrCheck as i32 || c.contype == C::ConstrNotnull as i32));
    cat.domains.insert(q, (base, has));
}

/// ALTER DOMAIN ... ADD CONSTRAINT / SET NOT NULL.
pub(super) fn alter_domain(s: &pb::AlterDomainStmt, cat: &mut Catalog, v: &CatalogView) {
    if s.subtype == "C" || s.subtype == "O" {
        let q = v.resolve_type(&strings(&s.type_name));
        if let Some(d) = cat
            .domains
            .iter_mut()
            .find(|(k, _)| k.name == q.name)
            .map(|(_, v)| v)
        {
            d.1 = true;
        }
    }
}

/// CREATE [OR REPLACE] FUNCTION / PROCEDURE.
pub(super) fn create_function(s: &pb::CreateFunctionStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(f) = functions::from_create(s, v.session, v.origin) {
        cat.add_function(f);
    }
}

/// ALTER FUNCTION ... (volatility, strictness, SET, ...).
pub(super) fn alter_function(s: &pb::AlterFunctionStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(o) = &s.func {
        let (names, args) = object_with_args(o);
        let found = functions::find_function(&names, args.as_deref(), cat, v.session)
            .map(|f| (f.name.clone(), f.arg_types.clone()));
        if let Some((name, args)) = found {
            if let Some(f) = cat.functions.get_mut(&name.name).and_then(|all| {
                all.iter_mut()
                    .find(|f| f.name == name && f.arg_types == args)
            }) {
                functions::alter(f, &s.actions);
            }
        }
    }
}

/// CREATE [OR REPLACE] TRIGGER: its name on the table, the functions it
/// calls (on every partition for a row trigger on a partitioned table).
pub(super) fn create_trigger(s: &pb::CreateTrigStmt, cat: &mut Catalog, v: &CatalogView) {
    add_object_name(cat, v, s.relation.as_ref(), &s.trigname, |r| {
        &mut r.triggers
    });
    if let Some(rv) = &s.relation {
        let q = v.resolve(cat, rv);
        let kind = UseKind::Trigger {
            name: s.trigname.clone(),
            row: s.row,
        };
        let mut uses = Vec::new();
        let fname = strings(&s.funcname);
        let call = pb::FuncCall {
            funcname: s.funcname.clone(),
            ..Default::default()
        };
        if !fname.is_empty() {
            if let Some(func) = functions::call_ref(cat, v.session, &call) {
                uses.push(FuncUse {
                    func,
                    kind: kind.clone(),
                });
            }
        }
        if let Some(w) = s.when_clause.as_deref() {
            uses.extend(functions::uses_in(w, &kind, cat, v.session));
        }
        // A row trigger on a partitioned table is cloned on every
        // partition, each clone depending on the function.
        let mut targets = vec![q.clone()];
        if s.row
            && cat
                .get(&q)
                .is_some_and(|r| r.kind == RelKind::PartitionedTable)
        {
            targets.extend(cat.partitions_deep(&q));
        }
        for t in targets {
            // CREATE OR REPLACE TRIGGER replaces what it called.
            if s.replace {
                remove_uses(
                    cat,
                    &t,
                    |k| matches!(k, UseKind::Trigger { name, .. } if name == &s.trigname),
                );
            }
            add_uses(cat, &t, uses.clone());
        }
    }
}

/// CREATE POLICY: its name on the table, the functions it calls.
pub(super) fn create_policy(s: &pb::CreatePolicyStmt, cat: &mut Catalog, v: &CatalogView) {
    add_object_name(cat, v, s.table.as_ref(), &s.policy_name, |r| {
        &mut r.policies
    });
    if let Some(rv) = &s.table {
        let q = v.resolve(cat, rv);
        let kind = UseKind::Policy(s.policy_name.clone());
        let mut uses = Vec::new();
        for e in s.qual.iter().chain(s.with_check.iter()) {
            uses.extend(functions::uses_in(e, &kind, cat, v.session));
        }
        add_uses(cat, &q, uses);
    }
}

/// ALTER POLICY: the expressions given replace the old ones.
pub(super) fn alter_policy(s: &pb::AlterPolicyStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = &s.table {
        let q = v.resolve(cat, rv);
        let kind = UseKind::Policy(s.policy_name.clone());
        let mut uses = Vec::new();
        for e in s.qual.iter().chain(s.with_check.iter()) {
            uses.extend(functions::uses_in(e, &kind, cat, v.session));
        }
        if !uses.is_empty() {
            // Only the expressions given are replaced.
            remove_uses(cat, &q, |k| k == &kind);
            add_uses(cat, &q, uses);
        }
    }
}

/// CREATE STATISTICS: the object, named `table_stat` when unnamed.
pub(super) fn create_statistics(s: &pb::CreateStatsStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(t) = s.relations.iter().filter_map(range_var).next() {
        let table = v.resolve(cat, t);
        let names = strings(&s.defnames);
        let q = if names.is_empty() {
            QName::new(table.schema.as_str(), format!("{}_stat", table.name))
        } else {
            v.resolve_type(&names)
        };
        cat.statistics.insert(q, table);
    }
}

/// Record a trigger, rule or policy name on its table.
pub(super) fn add_object_name(
    cat: &mut Catalog,
    v: &CatalogView,
    rv: Option<&pb::RangeVar>,
    name: &str,
    list: impl Fn(&mut Relation) -> &mut Vec<String>,
) {
    let Some(rv) = rv else { return };
    let q = v.resolve(cat, rv);
    if let Some(r) = cat.get_mut(&q) {
        let names = list(r);
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
}

/// INSERT, UPDATE, COPY FROM, MERGE: the table may have rows.
pub(super) fn mark_rows(rv: Option<&pb::RangeVar>, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = rv {
        let q = v.resolve(cat, rv);
        if let Some(r) = cat.get_mut(&q) {
            r.may_have_rows = true;
        }
    }
}
