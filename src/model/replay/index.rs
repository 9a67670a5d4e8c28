//! CREATE INDEX, and the indexes constraints and partitions create: what
//! the catalog keeps of an index (`IndexShape`), its name, its copies on
//! partitions.

use pg_query::protobuf::{self as pb, node::Node as N};

use super::naming::{choose_relation_name, figure_colname, name_addition, partition_index_name};
use super::CatalogView;
use crate::model::ast::{all_nodes, index_exprs, strings};
use crate::model::catalog::*;
use crate::model::functions;
use crate::model::session::Session;

/// CREATE INDEX: the index, named as PostgreSQL names it when the
/// statement does not, on the table and (unless ONLY) on each partition.
pub(super) fn index_stmt(s: &pb::IndexStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = &s.relation {
        let t = v.resolve(cat, rv);
        let mut shape = index_shape(
            &s.index_params,
            &s.index_including_params,
            s.where_clause.as_deref(),
        );
        shape.functions = index_functions(s, cat, v.session);
        create_index(
            cat,
            &t,
            &s.idxname,
            shape,
            s.unique || s.primary,
            s.primary,
            None,
            rv.inh,
            s.if_not_exists,
            v.origin,
        );
    }
}

fn index_columns(params: &[pb::Node]) -> Vec<Option<String>> {
    params
        .iter()
        .map(|p| match &p.node {
            Some(N::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
            Some(N::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

/// Key columns, INCLUDE columns, and the columns that key expressions
/// and the predicate read: what ALTER COLUMN TYPE needs to know of an
/// index (which columns it depends on, whether it can be kept).
pub(super) fn index_shape(
    params: &[pb::Node],
    include: &[pb::Node],
    predicate: Option<&pb::Node>,
) -> IndexShape {
    let mut expr_cols = Vec::new();
    for p in params {
        if let Some(N::IndexElem(e)) = &p.node {
            if let Some(x) = e.expr.as_deref() {
                expr_cols.extend(expr_columns(x));
            }
        }
    }
    if let Some(w) = predicate {
        expr_cols.extend(expr_columns(w));
    }
    expr_cols.sort();
    expr_cols.dedup();
    let name_parts = params
        .iter()
        .chain(include)
        .map(|p| match &p.node {
            Some(N::IndexElem(e)) if !e.indexcolname.is_empty() => e.indexcolname.clone(),
            Some(N::IndexElem(e)) if !e.name.is_empty() => e.name.clone(),
            Some(N::IndexElem(e)) => e
                .expr
                .as_deref()
                .and_then(figure_colname)
                .unwrap_or_else(|| "expr".into()),
            Some(N::String(s)) => s.sval.clone(),
            _ => "expr".into(),
        })
        .collect();
    IndexShape {
        columns: index_columns(params),
        include: index_columns(include).into_iter().flatten().collect(),
        expr_columns: expr_cols,
        partial: predicate.is_some(),
        name_parts,
        functions: Vec::new(),
    }
}

/// The columns an expression reads (the last name of each column
/// reference).
pub(super) fn expr_columns(n: &pb::Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(inner) = &n.node {
        for r in all_nodes(inner) {
            if let pg_query::NodeRef::ColumnRef(c) = r {
                if let Some(f) = strings(&c.fields).last() {
                    if !out.contains(f) {
                        out.push(f.clone());
                    }
                }
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub fn create_index(
    cat: &mut Catalog,
    table: &QName,
    name: &str,
    shape: IndexShape,
    unique: bool,
    primary: bool,
    constraint: Option<String>,
    recurse: bool,
    if_not_exists: bool,
    origin: Origin,
) -> Option<QName> {
    let name = if name.is_empty() {
        choose_relation_name(
            cat,
            &table.schema,
            &table.name,
            &name_addition(&shape.name_parts),
            "idx",
        )
    } else {
        name.to_string()
    };
    let q = QName::new(table.schema.as_str(), name.as_str());
    if cat.contains(&q) && if_not_exists {
        return None;
    }
    let partitioned = cat
        .get(table)
        .map(|r| r.kind == RelKind::PartitionedTable)
        .unwrap_or(false);
    let mut r = Relation::new(
        q.clone(),
        if partitioned {
            RelKind::PartitionedIndex
        } else {
            RelKind::Index
        },
        origin,
    );
    r.function_uses = shape
        .functions
        .iter()
        .map(|f| FuncUse {
            func: f.clone(),
            kind: UseKind::Index,
        })
        .collect();
    r.index = Some(IndexInfo {
        table: table.clone(),
        unique,
        primary,
        columns: shape.columns.clone(),
        include: shape.include.clone(),
        expr_columns: shape.expr_columns.clone(),
        partial: shape.partial,
        name_parts: shape.name_parts.clone(),
        constraint: constraint.clone(),
        parent: None,
        clustered: false,
    });
    cat.relations.insert(q.clone(), r);
    if let Some(t) = cat.get_mut(table) {
        t.indexes.push(q.clone());
    } else {
        // On a table the history does not create: remember it there.
        cat.unseen
            .entry(table.clone())
            .or_insert_with(|| {
                Box::new(Relation::new(
                    table.clone(),
                    RelKind::Table,
                    Origin::default(),
                ))
            })
            .indexes
            .push(q.clone());
    }
    if partitioned && recurse {
        let parts = cat
            .get(table)
            .map(|r| r.partitions.clone())
            .unwrap_or_default();
        for p in parts {
            let child_name = partition_index_name(
                cat,
                &p,
                &shape.name_parts,
                primary,
                constraint.is_some() && unique,
            );
            if let Some(child) = create_index(
                cat,
                &p,
                &child_name,
                shape.clone(),
                unique,
                primary,
                constraint.clone(),
                true,
                false,
                origin,
            ) {
                if let Some(i) = cat.get_mut(&child).and_then(|r| r.index.as_mut()) {
                    i.parent = Some(q.clone());
                }
            }
        }
    }
    Some(q)
}

/// The functions an index's expressions and predicate call.
fn index_functions(s: &pb::IndexStmt, cat: &Catalog, session: &Session) -> Vec<FuncRef> {
    let mut out: Vec<FuncRef> = Vec::new();
    for e in index_exprs(s) {
        for u in functions::uses_in(e, &UseKind::Index, cat, session) {
            if !out.contains(&u.func) {
                out.push(u.func);
            }
        }
    }
    out
}
