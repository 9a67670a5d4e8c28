//! ADD CONSTRAINT, and the constraints of CREATE TABLE and ADD COLUMN:
//! primary keys, unique and exclusion constraints with their indexes,
//! CHECK, foreign keys, NOT NULL.

use pg_query::protobuf::{self as pb, node::Node as N, ConstrType as C};

use super::index::{create_index, expr_columns, index_shape};
use super::naming::choose_constraint_name;
use super::uses::add_uses;
use super::{tree, CatalogView};
use crate::model::ast::{contype, strings};
use crate::model::catalog::*;
use crate::model::functions;

/// Add a constraint (table-level or from a column definition) to `table`,
/// creating its index where it has one.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_constraint(
    cat: &mut Catalog,
    table: &QName,
    c: &pb::Constraint,
    column: Option<&str>,
    v: &CatalogView,
    origin: Origin,
    recurse: bool,
) {
    let contype = contype(c);
    let mut cols = strings(&c.keys);
    if cols.is_empty() {
        if let Some(col) = column {
            cols.push(col.to_string());
        }
    }
    let valid = !c.skip_validation;
    let name_for = |cat: &Catalog, label: &str, cols: &[String]| -> String {
        if !c.conname.is_empty() {
            return c.conname.clone();
        }
        choose_constraint_name(cat, table, cols, label)
    };
    match contype {
        C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion => {
            let label = match contype {
                C::ConstrPrimary => "pkey",
                C::ConstrUnique => "key",
                _ => "excl",
            };
            if contype == C::ConstrExclusion {
                cols = c
                    .exclusions
                    .iter()
                    .filter_map(|e| match &e.node {
                        Some(N::List(l)) => l.items.first().and_then(|i| match &i.node {
                            Some(N::IndexElem(ie)) => Some(ie.name.clone()),
                            _ => None,
                        }),
                        _ => None,
                    })
                    .collect();
            }
            let pk_add = if contype == C::ConstrPrimary {
                Vec::new()
            } else {
                cols.clone()
            };
            let cname = name_for(cat, label, &pk_add);
            let idx = if !c.indexname.is_empty() {
                // USING INDEX: the index is renamed to the constraint's name.
                let old = QName::new(table.schema.as_str(), c.indexname.as_str());
                let new = QName::new(table.schema.as_str(), cname.as_str());
                if let Some(ir) = cat.get(&old) {
                    if cols.is_empty() {
                        cols = ir
                            .index
                            .as_ref()
                            .map(|i| i.columns.iter().flatten().cloned().collect())
                            .unwrap_or_default();
                    }
                }
                if old != new {
                    cat.rename_relation(&old, new.clone());
                }
                if let Some(i) = cat.get_mut(&new).and_then(|r| r.index.as_mut()) {
                    i.constraint = Some(cname.clone());
                    i.unique = true;
                    i.primary = contype == C::ConstrPrimary;
                }
                new
            } else {
                let idx_name = cname.clone();
                let shape = if contype == C::ConstrExclusion {
                    let elems: Vec<pb::Node> = c
                        .exclusions
                        .iter()
                        .filter_map(|e| match &e.node {
                            Some(N::List(l)) => l.items.first().cloned(),
                            _ => None,
                        })
                        .collect();
                    index_shape(&elems, &c.including, c.where_clause.as_deref())
                } else {
                    IndexShape {
                        columns: cols.iter().cloned().map(Some).collect(),
                        include: strings(&c.including),
                        expr_columns: Vec::new(),
                        partial: false,
                        name_parts: cols.iter().cloned().chain(strings(&c.including)).collect(),
                        functions: Vec::new(),
                    }
                };
                create_index(
                    cat,
                    table,
                    &idx_name,
                    shape,
                    contype != C::ConstrExclusion,
                    contype == C::ConstrPrimary,
                    Some(cname.clone()),
                    recurse,
                    false,
                    origin,
                );
                QName::new(table.schema.as_str(), idx_name.as_str())
            };
            if contype == C::ConstrPrimary {
                if let Some(r) = cat.get_mut(table) {
                    for k in &cols {
                        if let Some(col) = r.column_mut(k) {
                            col.not_null = true;
                        }
                    }
                }
            }
            let kind = match contype {
                C::ConstrPrimary => ConstraintKind::PrimaryKey,
                C::ConstrUnique => ConstraintKind::Unique,
                _ => ConstraintKind::Exclusion,
            };
            if let Some(r) = cat.get_mut(table) {
                r.constraints.push(Constraint {
                    name: cname,
                    kind,
                    columns: cols,
                    valid: true,
                    index: Some(idx),
                    on_delete: 'a',
                    on_update: 'a',
                    origin,
                });
            }
        }
        C::ConstrCheck => {
            let not_null_of = check_is_not_null(c);
            let expr_cols: Vec<String> = match &not_null_of {
                Some(col) => vec![col.clone()],
                None => c.raw_expr.as_deref().map(expr_columns).unwrap_or_default(),
            };
            let label_cols: Vec<String> = if let Some(col) = column {
                vec![col.to_string()]
            } else {
                expr_cols.iter().take(1).cloned().collect()
            };
            let cname = name_for(cat, "check", &label_cols);
            let targets = if recurse {
                tree(cat, table)
            } else {
                vec![table.clone()]
            };
            let uses = c
                .raw_expr
                .as_deref()
                .map(|e| functions::uses_in(e, &UseKind::Check(cname.clone()), cat, v.session))
                .unwrap_or_default();
            for t in targets {
                add_uses(cat, &t, uses.clone());
                if let Some(r) = cat.get_mut(&t) {
                    r.constraints.push(Constraint {
                        name: cname.clone(),
                        kind: ConstraintKind::Check {
                            not_null_of: not_null_of.clone(),
                        },
                        columns: expr_cols.clone(),
                        valid,
                        index: None,
                        on_delete: 'a',
                        on_update: 'a',
                        origin,
                    });
                }
            }
        }
        C::ConstrForeign => {
            let Some(pk) = &c.pktable else { return };
            let ref_table = v.resolve(cat, pk);
            let fk_cols = if c.fk_attrs.is_empty() {
                cols.clone()
            } else {
                strings(&c.fk_attrs)
            };
            let mut ref_columns = strings(&c.pk_attrs);
            if ref_columns.is_empty() {
                ref_columns = cat
                    .get(&ref_table)
                    .and_then(|r| {
                        r.constraints
                            .iter()
                            .find(|c| c.kind == ConstraintKind::PrimaryKey)
                    })
                    .map(|c| c.columns.clone())
                    .unwrap_or_default();
            }
            let cname = name_for(cat, "fkey", &fk_cols);
            let act = |s: &str| s.chars().next().unwrap_or('a');
            if let Some(r) = cat.get_mut(table) {
                r.constraints.push(Constraint {
                    name: cname,
                    kind: ConstraintKind::ForeignKey {
                        ref_table,
                        ref_columns,
                    },
                    columns: fk_cols,
                    valid,
                    index: None,
                    on_delete: act(&c.fk_del_action),
                    on_update: act(&c.fk_upd_action),
                    origin,
                });
            }
        }
        C::ConstrNotnull => {
            for k in &cols {
                for t in if recurse {
                    tree(cat, table)
                } else {
                    vec![table.clone()]
                } {
                    if let Some(col) = cat.get_mut(&t).and_then(|r| r.column_mut(k)) {
                        col.not_null = valid || col.not_null;
                    }
                }
            }
        }
        _ => {}
    }
}

/// `CHECK (col IS NOT NULL)`: what lets SET NOT NULL skip its scan.
fn check_is_not_null(c: &pb::Constraint) -> Option<String> {
    match c.raw_expr.as_deref().and_then(|n| n.node.as_ref()) {
        Some(N::NullTest(t)) if t.nulltesttype == pb::NullTestType::IsNotNull as i32 => {
            match t.arg.as_deref().and_then(|n| n.node.as_ref()) {
                Some(N::ColumnRef(cr)) => strings(&cr.fields).last().cloned(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A constraint written in a column definition that `add_constraint`
/// records as a constraint of its own (NOT NULL, DEFAULT, identity and
/// generation are the column's).
pub(super) fn has_own_entry(c: &pb::Constraint) -> bool {
    matches!(
        contype(c),
        C::ConstrPrimary | C::ConstrUnique | C::ConstrCheck | C::ConstrForeign | C::ConstrExclusion
    )
}
