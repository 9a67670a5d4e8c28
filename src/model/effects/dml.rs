//! Queries and data changes: what they read (ACCESS SHARE), write (ROW
//! EXCLUSIVE), lock for update (ROW SHARE), and the referential-integrity
//! checks their foreign keys run.

use pg_query::protobuf::{self as pb, node::Node as N, Node};

use super::{Ctx, Effects};
use crate::model::ast::{collect_refs, const_str, Refs};
use crate::model::catalog::{ConstraintKind, QName, RelKind};
use crate::model::locks::LockMode::{self, *};

fn apply_refs(refs: &Refs, cx: &Ctx, fx: &mut Effects, skip: Option<&pb::RangeVar>, scan: bool) {
    for rv in &refs.relations {
        if let Some(s) = skip {
            if s.relname == rv.relname && s.schemaname == rv.schemaname && s.location == rv.location
            {
                continue;
            }
        }
        let q = cx.resolve(rv);
        let locked = match &refs.locked {
            Some(list) => {
                list.is_empty()
                    || list.contains(&rv.relname)
                    || rv
                        .alias
                        .as_ref()
                        .map(|a| list.contains(&a.aliasname))
                        .unwrap_or(false)
            }
            None => false,
        };
        let mode = if locked { RowShare } else { AccessShare };
        // The planner opens every inheritance child / partition.
        for t in cx.tree(&q, rv.inh) {
            fx.lock(&t, mode);
            if scan
                && cx
                    .rel(&t)
                    .map(|r| r.kind != RelKind::PartitionedTable && r.kind != RelKind::View)
                    .unwrap_or(true)
            {
                fx.scan(&t);
            }
        }
        // A view's query is expanded: its base relations are read too.
        view_bases(&q, mode, cx, fx, 0);
    }
    sequence_functions(refs, cx, fx);
}

fn view_bases(q: &QName, mode: LockMode, cx: &Ctx, fx: &mut Effects, depth: usize) {
    if depth > 16 {
        return;
    }
    if let Some(r) = cx.rel(q) {
        if r.kind == RelKind::View {
            for d in &r.depends_on {
                for t in cx.tree(d, true) {
                    fx.lock(&t, mode);
                }
                view_bases(d, mode, cx, fx, depth + 1);
            }
        }
    }
}

/// nextval('s'), setval('s', ..), currval('s') lock the sequence ROW EXCLUSIVE.
fn sequence_functions(refs: &Refs, cx: &Ctx, fx: &mut Effects) {
    for (f, args) in &refs.functions {
        if matches!(f.as_str(), "nextval" | "setval" | "currval") {
            if let Some(name) = args.first().and_then(const_str) {
                let parts: Vec<String> = split_qualified(&name);
                fx.lock(&cx.resolve_names(&parts), RowExclusive);
            }
        }
    }
}

/// 'public.my_seq' / '"Odd"' as regclass text.
fn split_qualified(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => out.push(std::mem::take(&mut cur)),
            c if quoted => cur.push(c),
            c => cur.push(c.to_ascii_lowercase()),
        }
    }
    out.push(cur);
    out
}

pub fn read_query(query: &Node, cx: &Ctx, fx: &mut Effects, scan: bool) {
    if let Some(n) = &query.node {
        let refs = collect_refs(n);
        apply_refs(&refs, cx, fx, None, scan);
    }
}

pub fn read_expr(expr: &Node, cx: &Ctx, fx: &mut Effects) {
    read_query(expr, cx, fx, false);
}

/// Only relations read by sub-queries in an expression (none usually).
pub fn read_expr_subqueries(expr: &Node, cx: &Ctx, fx: &mut Effects) {
    read_query(expr, cx, fx, false);
}

pub fn select(s: &pb::SelectStmt, cx: &Ctx, fx: &mut Effects) {
    let refs = collect_refs(&N::SelectStmt(Box::new(s.clone())));
    apply_refs(&refs, cx, fx, None, false);
    if s.into_clause.is_some() {
        // SELECT INTO creates a table from the query.
        for rv in &refs.relations {
            let q = cx.resolve(rv);
            fx.scan(&q);
        }
    }
    let user_fn = refs
        .functions
        .iter()
        .find(|(f, _)| cx.cat.functions.contains_key(f.as_str()));
    if let Some((f, _)) = user_fn {
        fx.set_unknown(format!(
            "calls {f}(), a function defined by the migrations: what it does is not analysed"
        ));
    }
}

/// Referenced tables are checked with SELECT ... FOR KEY SHARE (ROW
/// SHARE) for each inserted or updated row with a non-NULL key.
/// `inserting`: the statement writes rows whatever the table holds;
/// otherwise (UPDATE) only rows that exist are touched, and a table the
/// replayed history created and never wrote to is empty.
fn fk_checks(
    target: &QName,
    columns: Option<&[String]>,
    inserting: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let Some(rel) = cx.rel(target) else { return };
    if !inserting && !rel.may_have_rows {
        return;
    }
    for c in &rel.constraints {
        if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
            let touched = match columns {
                Some(cols) => c.columns.iter().any(|k| cols.contains(k)),
                None => true,
            };
            if touched {
                fx.lock(ref_table, RowShare);
                fx.data_dependent = true;
            }
        }
    }
}

/// Rows deleted from (or keys updated in) a referenced table are checked
/// against, or cascaded to, the referencing tables.
fn referenced_actions(target: &QName, is_delete: bool, cx: &Ctx, fx: &mut Effects) {
    let Some(rel) = cx.rel(target) else { return };
    if !rel.may_have_rows {
        return;
    }
    for (other, con) in cx.cat.referencing(target) {
        let Some(o) = cx.rel(&other) else { continue };
        let Some(c) = o.constraint(&con) else {
            continue;
        };
        if let ConstraintKind::ForeignKey { .. } = &c.kind {
            let action = if is_delete { c.on_delete } else { c.on_update };
            let mode = match action {
                'c' | 'n' | 'd' => RowExclusive,
                _ => RowShare,
            };
            fx.lock(&other, mode);
            fx.data_dependent = true;
        }
    }
}

fn insert_target_columns(s: &pb::InsertStmt) -> Vec<String> {
    s.cols
        .iter()
        .filter_map(|c| match &c.node {
            Some(N::ResTarget(r)) => Some(r.name.clone()),
            _ => None,
        })
        .collect()
}

pub fn insert(s: &pb::InsertStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    fx.lock(&target, RowExclusive);
    if let Some(r) = cx.rel(&target) {
        if r.kind == RelKind::PartitionedTable {
            if cx.pg < 12 {
                for p in cx.cat.partitions_deep(&target) {
                    fx.lock(&p, RowExclusive);
                }
            } else {
                match route_values(s, r, cx) {
                    Some(parts) => {
                        for p in parts {
                            fx.lock(&p, RowExclusive);
                        }
                    }
                    None => {
                        fx.data_dependent = true;
                        fx.note("rows are routed to partitions, each locked ROW EXCLUSIVE when first used");
                    }
                }
            }
        }
        if r.kind == RelKind::View {
            view_bases(&target, RowExclusive, cx, fx, 0);
        }
    }
    let refs = collect_refs(&N::InsertStmt(Box::new(s.clone())));
    apply_refs(&refs, cx, fx, Some(rv), false);
    let cols = insert_target_columns(s);
    // Defaults of omitted columns: nextval() of serial / identity sequences.
    if let Some(r) = cx.rel(&target) {
        for c in &r.columns {
            let omitted = !cols.is_empty() && !cols.contains(&c.name)
                || (cols.is_empty() && is_default_values(s));
            if omitted {
                if let Some(seq) = &c.serial_sequence {
                    fx.lock(seq, RowExclusive);
                }
            }
        }
    }
    let inserts_rows = match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
        Some(N::SelectStmt(sel)) => {
            !sel.values_lists.is_empty()
                || !sel.from_clause.is_empty()
                || !sel.target_list.is_empty()
        }
        _ => true,
    };
    if inserts_rows {
        fk_checks(
            &target,
            if cols.is_empty() { None } else { Some(&cols) },
            true,
            cx,
            fx,
        );
    }
}

fn is_default_values(s: &pb::InsertStmt) -> bool {
    s.select_stmt.is_none()
}

fn update_columns(targets: &[Node]) -> Vec<String> {
    targets
        .iter()
        .filter_map(|c| match &c.node {
            Some(N::ResTarget(r)) => Some(r.name.clone()),
            _ => None,
        })
        .collect()
}

pub fn update(s: &pb::UpdateStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    for t in cx.tree(&target, rv.inh) {
        fx.lock(&t, RowExclusive);
        if s.where_clause.is_none()
            && cx
                .rel(&t)
                .map(|r| r.kind != RelKind::PartitionedTable)
                .unwrap_or(true)
        {
            fx.scan(&t);
        }
    }
    let refs = collect_refs(&N::UpdateStmt(Box::new(s.clone())));
    apply_refs(&refs, cx, fx, Some(rv), false);
    let cols = update_columns(&s.target_list);
    fk_checks(&target, Some(&cols), false, cx, fx);
    // Updating a referenced key checks the referencing tables.
    if let Some(r) = cx.rel(&target) {
        let key_cols: Vec<&String> = r
            .constraints
            .iter()
            .filter(|c| matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique))
            .flat_map(|c| c.columns.iter())
            .collect();
        if cols.iter().any(|c| key_cols.contains(&c)) {
            referenced_actions(&target, false, cx, fx);
        }
    }
    fx.data_dependent = true;
}

pub fn delete(s: &pb::DeleteStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    for t in cx.tree(&target, rv.inh) {
        fx.lock(&t, RowExclusive);
        if s.where_clause.is_none()
            && cx
                .rel(&t)
                .map(|r| r.kind != RelKind::PartitionedTable)
                .unwrap_or(true)
        {
            fx.scan(&t);
        }
    }
    let refs = collect_refs(&N::DeleteStmt(Box::new(s.clone())));
    apply_refs(&refs, cx, fx, Some(rv), false);
    referenced_actions(&target, true, cx, fx);
    fx.data_dependent = true;
}

pub fn merge(s: &pb::MergeStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    for t in cx.tree(&target, rv.inh) {
        fx.lock(&t, RowExclusive);
    }
    let refs = collect_refs(&N::MergeStmt(Box::new(s.clone())));
    apply_refs(&refs, cx, fx, Some(rv), false);
    fx.data_dependent = true;
}

pub fn copy(s: &pb::CopyStmt, cx: &Ctx, fx: &mut Effects) {
    if let Some(rv) = &s.relation {
        let q = cx.resolve(rv);
        if s.is_from {
            fx.lock(&q, RowExclusive);
        } else {
            fx.lock(&q, AccessShare);
            fx.scan(&q);
        }
    } else if let Some(q) = &s.query {
        read_query(q, cx, fx, false);
    }
}

pub fn explain(s: &pb::ExplainStmt, cx: &Ctx, fx: &mut Effects) {
    let analyze = s
        .options
        .iter()
        .any(|o| matches!(&o.node, Some(N::DefElem(d)) if d.defname == "analyze"));
    if let Some(q) = s.query.as_deref().and_then(|n| n.node.as_ref()) {
        if analyze {
            super::dispatch(q, cx, fx);
        } else {
            let refs = collect_refs(q);
            apply_refs(&refs, cx, fx, None, false);
        }
    }
}

/// The partitions literal VALUES rows are routed to (PostgreSQL 12+ locks
/// a partition when the first row reaches it), or None when not literal.
fn route_values(
    s: &pb::InsertStmt,
    parent: &crate::model::catalog::Relation,
    cx: &Ctx,
) -> Option<Vec<QName>> {
    let [Some(key)] = parent.partition_key.as_slice() else {
        return None;
    };
    let cols = insert_target_columns(s);
    let pos = if cols.is_empty() {
        parent.columns.iter().position(|c| &c.name == key)?
    } else {
        cols.iter().position(|c| c == key)?
    };
    let Some(N::SelectStmt(sel)) = s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) else {
        return None;
    };
    if sel.values_lists.is_empty() {
        return None;
    }
    let mut out: Vec<QName> = Vec::new();
    for row in &sel.values_lists {
        let Some(N::List(l)) = &row.node else {
            return None;
        };
        let v = literal(l.items.get(pos)?)?;
        let p = crate::model::replay::route(cx.cat, &parent.name, &v)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Some(out)
}

fn literal(n: &Node) -> Option<crate::model::catalog::Literal> {
    use crate::model::catalog::Literal;
    use pg_query::protobuf::a_const::Val;
    match &n.node {
        Some(N::AConst(c)) => match &c.val {
            Some(Val::Ival(i)) => Some(Literal::Int(i.ival as i64)),
            Some(Val::Sval(s)) => Some(Literal::Text(s.sval.clone())),
            _ => None,
        },
        Some(N::TypeCast(tc)) => tc.arg.as_deref().and_then(literal),
        _ => None,
    }
}
