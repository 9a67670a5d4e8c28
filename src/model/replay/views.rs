//! Views, materialized views, CREATE TABLE AS and SELECT INTO: what they
//! read, which columns they have, the functions they call.

use pg_query::protobuf::{self as pb, node::Node as N, ObjectType as O};

use super::CatalogView;
use crate::model::ast::node_refs;
use crate::model::catalog::*;
use crate::model::functions;
use crate::model::types::TypeRef;

/// CREATE [OR REPLACE] VIEW: what it reads, the functions it calls.
pub(super) fn create_view(s: &pb::ViewStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = &s.view {
        let q = v.resolve_create(rv);
        let deps = s
            .query
            .as_deref()
            .map(|qn| deps_of(qn, cat, v))
            .unwrap_or_default();
        let keep_origin = cat.get(&q).map(|r| r.origin);
        let mut r = Relation::new(q.clone(), RelKind::View, keep_origin.unwrap_or(v.origin));
        r.depends_on = deps;
        if let Some(qn) = s.query.as_deref() {
            (r.function_uses, r.query) = view_query(qn, cat, v);
        }
        if let Some(old) = cat.get(&q) {
            r.columns = old.columns.clone();
        }
        cat.relations.insert(q, r);
    }
}

/// CREATE TABLE AS / CREATE MATERIALIZED VIEW: a relation with the
/// query's columns, and rows.
pub(super) fn create_table_as(s: &pb::CreateTableAsStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
        let q = v.resolve_create(rv);
        if cat.contains(&q) {
            return;
        }
        let kind = if s.objtype == O::ObjectMatview as i32 {
            RelKind::MatView
        } else {
            RelKind::Table
        };
        let mut r = Relation::new(q.clone(), kind, v.origin);
        r.depends_on = s
            .query
            .as_deref()
            .map(|qn| deps_of(qn, cat, v))
            .unwrap_or_default();
        match s.query.as_deref().and_then(|qn| query_columns(qn, cat, v)) {
            Some(cols) => r.columns = cols,
            None => r.columns_unknown = true,
        }
        if kind == RelKind::MatView {
            if let Some(qn) = s.query.as_deref() {
                r.scan_filters =
                    crate::model::effects::quals::stored_filters(qn, cat, &|rv| v.resolve(cat, rv));
            }
            if let Some(qn) = s.query.as_deref() {
                (r.function_uses, r.query) = view_query(qn, cat, v);
            }
        }
        r.may_have_rows = true;
        cat.relations.insert(q, r);
    }
}

/// SELECT ... INTO: a table with the query's columns, and rows.
pub(super) fn select_into(s: &pb::SelectStmt, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
        let q = v.resolve_create(rv);
        let mut r = Relation::new(q.clone(), RelKind::Table, v.origin);
        match select_columns(s, cat, v) {
            Some(cols) => r.columns = cols,
            None => r.columns_unknown = true,
        }
        r.may_have_rows = true;
        cat.relations.insert(q, r);
    }
}

/// The columns (names and types) a query returns, when every output
/// column is a plain column of a table the catalog knows (`*`, `t.*`,
/// `col`, `t.col`), optionally cast (`col::type`) or renamed: what
/// CREATE TABLE AS and materialized views store. `None` when one cannot be
/// told (an expression, a subquery, UNION, VALUES).
fn query_columns(query: &pb::Node, cat: &Catalog, v: &CatalogView) -> Option<Vec<Column>> {
    match query.node.as_ref()? {
        N::SelectStmt(s) => select_columns(s, cat, v),
        _ => None,
    }
}

fn select_columns(s: &pb::SelectStmt, cat: &Catalog, v: &CatalogView) -> Option<Vec<Column>> {
    if s.op != pb::SetOperation::SetopNone as i32 || !s.values_lists.is_empty() {
        return None;
    }
    // The FROM items: (the name they are referred to by, their columns).
    let mut sources: Vec<(String, &Relation)> = Vec::new();
    fn collect<'c>(
        n: &pb::Node,
        cat: &'c Catalog,
        v: &CatalogView,
        out: &mut Vec<(String, &'c Relation)>,
    ) -> Option<()> {
        match n.node.as_ref()? {
            N::RangeVar(rv) => {
                let r = cat.get(&v.resolve(cat, rv))?;
                if r.columns_unknown {
                    return None;
                }
                let name = rv
                    .alias
                    .as_ref()
                    .map(|a| a.aliasname.clone())
                    .unwrap_or_else(|| rv.relname.clone());
                out.push((name, r));
                Some(())
            }
            N::JoinExpr(j) => {
                collect(j.larg.as_deref()?, cat, v, out)?;
                collect(j.rarg.as_deref()?, cat, v, out)
            }
            _ => None,
        }
    }
    for f in &s.from_clause {
        collect(f, cat, v, &mut sources)?;
    }
    let find = |table: Option<&str>, col: &str| -> Option<&Column> {
        let mut hits = sources
            .iter()
            .filter(|(n, _)| table.is_none_or(|t| t == n))
            .filter_map(|(_, r)| r.column(col));
        let c = hits.next()?;
        hits.next().is_none().then_some(c)
    };
    let mut out = Vec::new();
    for t in &s.target_list {
        let Some(N::ResTarget(rt)) = &t.node else {
            return None;
        };
        let (inner, cast) = match rt.val.as_deref()?.node.as_ref()? {
            N::TypeCast(tc) => (tc.arg.as_deref()?.node.as_ref()?, tc.type_name.as_ref()),
            other => (other, None),
        };
        let N::ColumnRef(cr) = inner else {
            return None;
        };
        let fields: Vec<Option<&str>> = cr
            .fields
            .iter()
            .map(|f| match &f.node {
                Some(N::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .collect();
        let mut cols: Vec<Column> = match fields.as_slice() {
            [None] => sources
                .iter()
                .flat_map(|(_, r)| r.columns.clone())
                .collect(),
            [Some(t), None] => sources
                .iter()
                .find(|(n, _)| n == t)
                .map(|(_, r)| r.columns.clone())?,
            [Some(c)] => vec![find(None, c)?.clone()],
            [.., Some(t), Some(c)] => vec![find(Some(t), c)?.clone()],
            _ => return None,
        };
        if let Some(ty) = cast {
            if cols.len() != 1 {
                return None;
            }
            cols[0].ty = TypeRef::from_ast(ty);
        }
        if !rt.name.is_empty() {
            if cols.len() != 1 {
                return None;
            }
            cols[0].name = rt.name.clone();
        }
        for mut c in cols {
            // What CREATE TABLE AS keeps of a column: its type only.
            c.not_null = false;
            c.has_default = false;
            c.identity = None;
            c.generated = None;
            c.serial_sequence = None;
            out.push(c);
        }
    }
    Some(out)
}

fn deps_of(query: &pb::Node, cat: &Catalog, v: &CatalogView) -> Vec<QName> {
    let mut out: Vec<QName> = Vec::new();
    for rv in node_refs(query).relations {
        let q = v.resolve(cat, &rv);
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

/// A view's query: the functions it calls, and its text when one of them
/// is a function the history created (reading the view plans its calls).
fn view_query(
    query: &pb::Node,
    cat: &Catalog,
    v: &CatalogView,
) -> (Vec<FuncUse>, Option<Box<str>>) {
    let uses = functions::uses_in(query, &UseKind::Query, cat, v.session);
    let user = uses.iter().any(|u| u.func.args.is_some());
    let text = if user {
        query
            .node
            .as_ref()
            .and_then(|n| n.deparse(Default::default()).ok())
            .map(String::into_boxed_str)
    } else {
        None
    };
    (uses, text)
}
