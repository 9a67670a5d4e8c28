//! Queries and data changes: what they read (ACCESS SHARE), write (ROW
//! EXCLUSIVE), lock for update (ROW SHARE), and the referential-integrity
//! checks their foreign keys run.

use pg_query::protobuf::{self as pb, node::Node as N, Node};

use super::quals::{statement_filters, Filter, Filters};
use super::{prune, Ctx, Effects};
use crate::model::ast::{collect_refs, const_str, Refs};
use crate::model::catalog::{ConstraintKind, QName, RelKind};
use crate::model::functions;
use crate::model::locks::LockMode::{self, *};

/// The mode parse analysis opens a relation of a query in: ROW SHARE when
/// a FOR UPDATE / SHARE clause names it (or names none), else ACCESS
/// SHARE.
fn read_mode(refs: &Refs, rv: &pb::RangeVar) -> LockMode {
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
    if locked {
        RowShare
    } else {
        AccessShare
    }
}

/// What parse analysis alone opens (`transformTopLevelStmt`, as
/// `inline_function` runs it on a SQL function's body): each relation the
/// statement names, in the mode its clause asks for (a data-changing
/// statement's target ROW EXCLUSIVE), without expanding views or
/// opening partitions (that is rewriting and planning).
pub fn parse_analysis(stmt: &N, cx: &Ctx, fx: &mut Effects) {
    let refs = collect_refs(stmt);
    for rv in &refs.relations {
        fx.lock(&cx.resolve(rv), read_mode(&refs, rv));
    }
    let target = match stmt {
        N::InsertStmt(s) => s.relation.as_ref(),
        N::UpdateStmt(s) => s.relation.as_ref(),
        N::DeleteStmt(s) => s.relation.as_ref(),
        N::MergeStmt(s) => s.relation.as_ref(),
        _ => None,
    };
    if let Some(t) = target {
        fx.lock(&cx.resolve(t), RowExclusive);
    }
}

fn apply_refs(refs: &Refs, cx: &Ctx, fx: &mut Effects, skip: Option<&pb::RangeVar>, scan: bool) {
    apply_refs_pruned(refs, cx, fx, skip, scan, None)
}

/// The restriction clauses of every partitioned scan of a statement.
fn filters_of(node: &N, cx: &Ctx) -> Filters {
    statement_filters(node, cx.cat, &|rv| cx.resolve(rv))
}

/// The relations of `q`'s tree the planner opens (and locks) for one scan:
/// all of them on PostgreSQL 11, which expands inheritance before pruning
/// (`expand_inherited_rtentry`); on 12+ the partitions plan-time pruning
/// keeps (`expand_partitioned_rtentry` after `prune_append_rel_partitions`).
/// A filter the model cannot evaluate locks the whole tree, a superset,
/// and marks the effects unknown.
fn planned_tree(
    cx: &Ctx,
    fx: &mut Effects,
    q: &QName,
    inh: bool,
    filter: Option<&Filter>,
) -> Vec<QName> {
    let partitioned = cx
        .rel(q)
        .is_some_and(|r| r.kind == RelKind::PartitionedTable);
    if !inh || !partitioned || cx.pg < 12 {
        return cx.tree(q, inh);
    }
    let why = match filter {
        None => return cx.tree(q, inh),
        Some(Filter::Clauses(c)) => match prune::prune_tree(cx.cat, q, c) {
            Ok(keep) => return keep,
            Err(why) => why,
        },
        Some(Filter::Unknown(why)) => why.clone(),
    };
    fx.set_unknown(format!(
        "which partitions of {q} the planner keeps is not known ({why}); all are counted"
    ));
    cx.tree(q, true)
}

/// `filters`: the restriction clauses of the statement's partitioned
/// scans, by location (PostgreSQL 12+ locks only the partitions pruning
/// keeps).
fn apply_refs_pruned(
    refs: &Refs,
    cx: &Ctx,
    fx: &mut Effects,
    skip: Option<&pb::RangeVar>,
    scan: bool,
    filters: Option<&Filters>,
) {
    for rv in &refs.relations {
        if let Some(s) = skip {
            if s.relname == rv.relname && s.schemaname == rv.schemaname && s.location == rv.location
            {
                continue;
            }
        }
        let q = cx.resolve(rv);
        let mode = read_mode(refs, rv);
        // The planner opens every inheritance child and the partitions
        // pruning keeps.
        let filter = filters.and_then(|f| f.get(&rv.location));
        let tree = planned_tree(cx, fx, &q, rv.inh, filter);
        for t in tree {
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
            } else if let Some(seq) = args.first().and_then(|a| serial_sequence_call(a, cx)) {
                fx.lock(&seq, RowExclusive);
            }
        }
    }
}

/// `pg_get_serial_sequence('table', 'column')` evaluated from the catalog.
fn serial_sequence_call(n: &Node, cx: &Ctx) -> Option<QName> {
    let N::FuncCall(f) = n.node.as_ref()? else {
        return None;
    };
    if f.funcname.last().and_then(crate::model::ast::string_of) != Some("pg_get_serial_sequence")
        || f.args.len() != 2
    {
        return None;
    }
    let table = split_qualified(&const_str(&f.args[0])?);
    let col = const_str(&f.args[1])?;
    let t = cx.resolve_names(&table);
    cx.rel(&t)?.column(&col)?.serial_sequence.clone()
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

/// Parse analysis only (CREATE VIEW): the named relations are opened
/// ACCESS SHARE; nothing is planned, so partitions, inheritance children
/// and the views' own relations are not.
pub fn read_query_unplanned(query: &Node, cx: &Ctx, fx: &mut Effects) {
    if let Some(n) = &query.node {
        for rv in collect_refs(n).relations {
            fx.lock(&cx.resolve(&rv), AccessShare);
        }
    }
}

pub fn read_query(query: &Node, cx: &Ctx, fx: &mut Effects, scan: bool) {
    if let Some(n) = &query.node {
        let refs = collect_refs(n);
        let filters = filters_of(n, cx);
        apply_refs_pruned(&refs, cx, fx, None, scan, Some(&filters));
    }
}

/// A query the statement runs (CREATE TABLE AS, a materialized view's
/// refresh): read, and its function calls planned and run.
pub fn run_query(query: &Node, cx: &Ctx, fx: &mut Effects, scan: bool) {
    read_query(query, cx, fx, scan);
    if let Some(n) = &query.node {
        let refs = collect_refs(n);
        function_calls(n, &refs, "once per row of the query", cx, fx);
    }
}

pub fn read_expr(expr: &Node, cx: &Ctx, fx: &mut Effects) {
    read_query(expr, cx, fx, false);
}

/// Only relations read by sub-queries in an expression (none usually).
pub fn read_expr_subqueries(expr: &Node, cx: &Ctx, fx: &mut Effects) {
    read_query(expr, cx, fx, false);
}

/// `node` is `s` as the statement node (`N::SelectStmt`): the tree walker
/// starts from it, without copying the statement.
pub fn select(s: &pb::SelectStmt, node: &N, cx: &Ctx, fx: &mut Effects) {
    modifying_ctes(s.with_clause.as_ref(), cx, fx);
    let refs = collect_refs(node);
    let filters = filters_of(node, cx);
    apply_refs_pruned(&refs, cx, fx, None, false, Some(&filters));
    if s.into_clause.is_some() {
        // SELECT INTO creates a table from the query.
        for rv in &refs.relations {
            let q = cx.resolve(rv);
            fx.scan(&q);
        }
    }
    function_calls(node, &refs, "once per row of the query", cx, fx);
}

/// The calls a statement makes to functions the history created, and
/// those of the views it reads (`functions::query_calls`): planned with
/// the statement, run when evaluated. Last, so that a call's locks are
/// compared with everything else the statement takes.
fn function_calls(node: &N, refs: &Refs, per_row: &str, cx: &Ctx, fx: &mut Effects) {
    if cx.cat.functions.is_empty() {
        return;
    }
    functions::query_calls(node, per_row, cx, fx);
    for rv in &refs.relations {
        functions::view_calls(&cx.resolve(rv), cx, fx, 0);
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
    if (!inserting && !rel.may_have_rows) || !cx.session.fk_triggers_fire() {
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

/// A literal VALUES row's value for a column.
#[derive(Clone, Debug, PartialEq)]
enum RowVal {
    Null,
    Lit(crate::model::catalog::Literal),
    Other,
}

/// The rows of `INSERT ... VALUES`, column by column, when literal enough.
fn values_rows(
    s: &pb::InsertStmt,
    rel: &crate::model::catalog::Relation,
) -> Option<Vec<Vec<(String, RowVal)>>> {
    let cols = insert_target_columns(s);
    let names: Vec<String> = if cols.is_empty() {
        rel.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        cols
    };
    let Some(N::SelectStmt(sel)) = s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) else {
        return None;
    };
    if sel.values_lists.is_empty() {
        return None;
    }
    let mut rows = Vec::new();
    for row in &sel.values_lists {
        let Some(N::List(l)) = &row.node else {
            return None;
        };
        let vals = names
            .iter()
            .zip(l.items.iter())
            .map(|(n, v)| {
                let rv = if crate::model::ast::is_null_const(v) {
                    RowVal::Null
                } else {
                    literal(v).map(RowVal::Lit).unwrap_or(RowVal::Other)
                };
                (n.clone(), rv)
            })
            .collect();
        rows.push(vals);
    }
    Some(rows)
}

/// INSERT ... VALUES: a row whose foreign-key columns are all NULL is not
/// checked; a check against a partitioned table reads (and locks) only the
/// partition holding the key.
fn fk_checks_values(s: &pb::InsertStmt, target: &QName, cx: &Ctx, fx: &mut Effects) -> bool {
    if !cx.session.fk_triggers_fire() {
        return true;
    }
    let Some(rel) = cx.rel(target) else {
        return false;
    };
    let Some(rows) = values_rows(s, rel) else {
        return false;
    };
    for c in &rel.constraints {
        let ConstraintKind::ForeignKey {
            ref_table,
            ref_columns,
        } = &c.kind
        else {
            continue;
        };
        for row in &rows {
            // An omitted column gets its default (unknown) or NULL.
            let vals: Vec<RowVal> = c
                .columns
                .iter()
                .map(|k| match row.iter().find(|(n, _)| n == k) {
                    Some((_, v)) => v.clone(),
                    None if rel.column(k).map(|col| col.has_default).unwrap_or(false) => {
                        RowVal::Other
                    }
                    None => RowVal::Null,
                })
                .collect();
            // MATCH SIMPLE: a NULL in the key skips the check.
            if vals.contains(&RowVal::Null) {
                continue;
            }
            // A value known only when the row is built (a subquery, a
            // function, a default) may be NULL: then there is no check.
            if vals.contains(&RowVal::Other) {
                fx.data_dependent = true;
            }
            fx.lock(ref_table, RowShare);
            let partitioned = cx
                .rel(ref_table)
                .map(|r| r.kind == RelKind::PartitionedTable)
                .unwrap_or(false);
            if partitioned {
                let mut cur = ref_table.clone();
                let mut routed = true;
                while cx
                    .rel(&cur)
                    .map(|r| r.kind == RelKind::PartitionedTable)
                    .unwrap_or(false)
                {
                    let r = cx.rel(&cur).expect("checked");
                    let [Some(key)] = r.partition_key.as_slice() else {
                        routed = false;
                        break;
                    };
                    let Some(i) = ref_columns.iter().position(|rc| rc == key) else {
                        routed = false;
                        break;
                    };
                    let RowVal::Lit(v) = &vals[i] else {
                        routed = false;
                        break;
                    };
                    match crate::model::replay::route_one(cx.cat, &cur, v) {
                        Some(Some(next)) => {
                            fx.lock(&next, RowShare);
                            cur = next;
                        }
                        _ => {
                            routed = false;
                            break;
                        }
                    }
                }
                if !routed {
                    fx.data_dependent = true;
                }
            }
        }
    }
    true
}

/// Rows deleted from (or keys updated in) a referenced table are checked
/// against, or cascaded to, the referencing tables.
fn referenced_actions(target: &QName, is_delete: bool, cx: &Ctx, fx: &mut Effects) {
    referenced_actions_depth(target, is_delete, cx, fx, 0)
}

fn referenced_actions_depth(
    target: &QName,
    is_delete: bool,
    cx: &Ctx,
    fx: &mut Effects,
    depth: usize,
) {
    let Some(rel) = cx.rel(target) else { return };
    if !rel.may_have_rows || depth > 16 || !cx.session.fk_triggers_fire() {
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
            // ON DELETE CASCADE deletes there too, and so on down the chain.
            if is_delete && action == 'c' && &other != target {
                referenced_actions_depth(&other, true, cx, fx, depth + 1);
            }
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

/// `node` is `s` as the statement node (`N::InsertStmt`): the tree walker
/// starts from it, without copying the statement.
pub fn insert(s: &pb::InsertStmt, node: &N, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    modifying_ctes(s.with_clause.as_ref(), cx, fx);
    trigger_note(&target, cx, fx);
    fx.lock(&target, RowExclusive);
    // Inserting straight into a partition checks its partition constraint,
    // which reads every ancestor's definition.
    let mut up = cx.rel(&target).and_then(|r| r.partition_of.clone());
    while let Some(parent) = up {
        fx.lock(&parent, AccessShare);
        up = cx.rel(&parent).and_then(|r| r.partition_of.clone());
    }
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
    let refs = collect_refs(node);
    let filters = filters_of(node, cx);
    apply_refs_pruned(&refs, cx, fx, Some(rv), false, Some(&filters));
    let cols = insert_target_columns(s);
    // Defaults of omitted columns calling functions of the history are
    // planned with the statement and run for each row: once per VALUES
    // row.
    if !cx.cat.functions.is_empty() {
        let values = match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
            Some(N::SelectStmt(sel)) => !sel.values_lists.is_empty(),
            _ => is_default_values(s),
        };
        let runs = if values {
            functions::Runs::Once
        } else {
            functions::Runs::PerRow("once per row inserted".into())
        };
        let omitted =
            |c: &str| (!cols.is_empty() && !cols.iter().any(|x| x == c)) || is_default_values(s);
        functions::column_defaults(&target, &omitted, &runs, cx, fx);
    }
    // Defaults of omitted columns: nextval() of serial / identity sequences,
    // called per row: INSERT ... SELECT that finds no row calls none.
    let from_query = match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
        Some(N::SelectStmt(sel)) => sel.values_lists.is_empty(),
        _ => false,
    };
    if let Some(r) = cx.rel(&target) {
        for c in &r.columns {
            let omitted = !cols.is_empty() && !cols.contains(&c.name)
                || (cols.is_empty() && is_default_values(s));
            if omitted {
                if let Some(seq) = &c.serial_sequence {
                    fx.lock(seq, RowExclusive);
                    fx.data_dependent |= from_query;
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
    if inserts_rows && !fk_checks_values(s, &target, cx, fx) {
        fk_checks(
            &target,
            if cols.is_empty() { None } else { Some(&cols) },
            true,
            cx,
            fx,
        );
    }
    function_calls(node, &refs, "once per row inserted", cx, fx);
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

/// `node` is `s` as the statement node (`N::UpdateStmt`): the tree walker
/// starts from it, without copying the statement.
pub fn update(s: &pb::UpdateStmt, node: &N, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    modifying_ctes(s.with_clause.as_ref(), cx, fx);
    trigger_note(&target, cx, fx);
    view_target(&target, s.where_clause.as_deref(), cx, fx);
    let filters = filters_of(node, cx);
    let tree = planned_tree(cx, fx, &target, rv.inh, filters.get(&rv.location));
    for t in tree {
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
    let refs = collect_refs(node);
    apply_refs_pruned(&refs, cx, fx, Some(rv), false, Some(&filters));
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
    function_calls(node, &refs, "once per row the statement reads", cx, fx);
}

/// `node` is `s` as the statement node (`N::DeleteStmt`): the tree walker
/// starts from it, without copying the statement.
pub fn delete(s: &pb::DeleteStmt, node: &N, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    modifying_ctes(s.with_clause.as_ref(), cx, fx);
    trigger_note(&target, cx, fx);
    view_target(&target, s.where_clause.as_deref(), cx, fx);
    let filters = filters_of(node, cx);
    let tree = planned_tree(cx, fx, &target, rv.inh, filters.get(&rv.location));
    for t in tree {
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
    let refs = collect_refs(node);
    apply_refs_pruned(&refs, cx, fx, Some(rv), false, Some(&filters));
    referenced_actions(&target, true, cx, fx);
    fx.data_dependent = true;
    function_calls(node, &refs, "once per row the statement reads", cx, fx);
}

/// `node` is `s` as the statement node (`N::MergeStmt`): the tree walker
/// starts from it, without copying the statement.
pub fn merge(s: &pb::MergeStmt, node: &N, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let target = cx.resolve(rv);
    modifying_ctes(s.with_clause.as_ref(), cx, fx);
    trigger_note(&target, cx, fx);
    for t in cx.tree(&target, rv.inh) {
        fx.lock(&t, RowExclusive);
    }
    let refs = collect_refs(node);
    apply_refs(&refs, cx, fx, Some(rv), false);
    fx.data_dependent = true;
    function_calls(node, &refs, "once per row the statement reads", cx, fx);
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
            // Planning takes the same relation locks as running would.
            let mut planned = Effects::default();
            super::dispatch(q, cx, &mut planned);
            for (rel, m) in planned.locks {
                fx.lock(&rel, m);
            }
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
    let cols = insert_target_columns(s);
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
        // The value of a column in this row, by the target column list or
        // the table's column order.
        let value = |col: &str| -> Option<crate::model::catalog::Literal> {
            let pos = if cols.is_empty() {
                parent.columns.iter().position(|c| c.name == col)?
            } else {
                cols.iter().position(|c| c == col)?
            };
            literal(l.items.get(pos)?)
        };
        let mut cur = parent.name.clone();
        loop {
            let r = cx.rel(&cur)?;
            let [Some(key)] = r.partition_key.as_slice() else {
                return None;
            };
            let next = crate::model::replay::route_one(cx.cat, &cur, &value(key)?)??;
            if !out.contains(&next) {
                out.push(next.clone());
            }
            if cx.rel(&next)?.kind != RelKind::PartitionedTable {
                break;
            }
            cur = next;
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

/// `col = literal` and `col IN (literals)` conjuncts of a WHERE clause.
fn equalities(w: &Node, out: &mut Vec<(String, Vec<crate::model::catalog::Literal>)>) {
    match &w.node {
        Some(N::BoolExpr(b)) if b.boolop == pb::BoolExprType::AndExpr as i32 => {
            for a in &b.args {
                equalities(a, out);
            }
        }
        Some(N::AExpr(e)) if e.kind == pb::AExprKind::AexprIn as i32 => {
            let col = match e.lexpr.as_deref().and_then(|n| n.node.as_ref()) {
                Some(N::ColumnRef(c)) => crate::model::ast::strings(&c.fields).last().cloned(),
                _ => None,
            };
            let op = e.name.last().and_then(crate::model::ast::string_of);
            if let (Some(c), Some(N::List(l)), Some("=")) =
                (col, e.rexpr.as_deref().and_then(|n| n.node.as_ref()), op)
            {
                let vals: Option<Vec<_>> = l.items.iter().map(literal).collect();
                if let Some(v) = vals {
                    out.push((c, v));
                }
            }
        }
        Some(N::AExpr(e)) if e.kind == pb::AExprKind::AexprOp as i32 => {
            let op = e.name.last().and_then(crate::model::ast::string_of);
            if op != Some("=") {
                return;
            }
            let (Some(l), Some(r)) = (e.lexpr.as_deref(), e.rexpr.as_deref()) else {
                return;
            };
            let col = |n: &Node| match &n.node {
                Some(N::ColumnRef(c)) => crate::model::ast::strings(&c.fields).last().cloned(),
                _ => None,
            };
            if let (Some(c), Some(v)) = (col(l), literal(r)) {
                out.push((c, vec![v]));
            } else if let (Some(c), Some(v)) = (col(r), literal(l)) {
                out.push((c, vec![v]));
            }
        }
        _ => {}
    }
}

/// Plan-time partition pruning (PostgreSQL 12+ prunes before locking):
/// the relations of `root`'s tree a WHERE with `key = literal` keeps.
/// None when nothing can be pruned (no partitioning, no usable condition).
fn prune(cx: &Ctx, root: &QName, w: Option<&Node>) -> Option<Vec<QName>> {
    if cx.pg < 12 {
        return None;
    }
    let r = cx.rel(root)?;
    if r.kind != RelKind::PartitionedTable {
        return None;
    }
    let mut eqs = Vec::new();
    equalities(w?, &mut eqs);
    if eqs.is_empty() {
        return None;
    }
    let mut keep = Vec::new();
    prune_into(cx, root, &eqs, &mut keep);
    Some(keep)
}

fn prune_into(
    cx: &Ctx,
    t: &QName,
    eqs: &[(String, Vec<crate::model::catalog::Literal>)],
    keep: &mut Vec<QName>,
) {
    keep.push(t.clone());
    let Some(r) = cx.rel(t) else { return };
    if r.kind != RelKind::PartitionedTable {
        return;
    }
    let values = match r.partition_key.as_slice() {
        [Some(k)] => eqs.iter().find(|(c, _)| c == k).map(|(_, v)| v),
        _ => None,
    };
    // The partitions the values route to; None: cannot tell, keep all.
    let chosen: Option<Vec<QName>> = values.and_then(|vs| {
        let mut out = Vec::new();
        for v in vs {
            if let Some(p) = crate::model::replay::route_one(cx.cat, t, v)? {
                out.push(p);
            }
        }
        Some(out)
    });
    for p in &r.partitions {
        if let Some(c) = &chosen {
            if !c.contains(p) {
                continue;
            }
        }
        prune_into(cx, p, eqs, keep);
    }
}

/// Data-modifying statements in WITH run whether or not they are read.
fn modifying_ctes(with: Option<&pb::WithClause>, cx: &Ctx, fx: &mut Effects) {
    let Some(w) = with else { return };
    for c in &w.ctes {
        if let Some(N::CommonTableExpr(cte)) = &c.node {
            if let Some(q) = cte.ctequery.as_deref().and_then(|n| n.node.as_ref()) {
                if matches!(
                    q,
                    N::InsertStmt(_) | N::UpdateStmt(_) | N::DeleteStmt(_) | N::MergeStmt(_)
                ) {
                    super::dispatch(q, cx, fx);
                }
            }
        }
    }
}

/// Triggers run functions whose statements are not analysed.
fn trigger_note(q: &QName, cx: &Ctx, fx: &mut Effects) {
    if let Some(r) = cx.rel(q) {
        if !r.rules.is_empty() {
            fx.set_unknown(format!(
                "{q} has rule(s) {}: the statements they add are not analysed",
                r.rules.join(", ")
            ));
        }
        if !r.triggers.is_empty() {
            fx.set_unknown(format!(
                "{q} has trigger(s) {}: the statements their functions run are not analysed",
                r.triggers.join(", ")
            ));
        }
    }
}

/// UPDATE / DELETE through an auto-updatable view writes its base tables.
fn view_target(q: &QName, w: Option<&Node>, cx: &Ctx, fx: &mut Effects) {
    view_target_depth(q, w, cx, fx, 0)
}

fn view_target_depth(q: &QName, w: Option<&Node>, cx: &Ctx, fx: &mut Effects, depth: usize) {
    let Some(r) = cx.rel(q) else { return };
    if r.kind != RelKind::View || depth > 16 {
        return;
    }
    for d in &r.depends_on {
        let tree = prune(cx, d, w).unwrap_or_else(|| cx.tree(d, true));
        for t in tree {
            fx.lock(&t, RowExclusive);
        }
        // A view over a view is expanded down to its base table.
        view_target_depth(d, w, cx, fx, depth + 1);
    }
}

/// The relations a stored query (a materialized view's) reads when it
/// runs: each with its partitions / children, views expanded. Running it
/// plans it again, so its partitioned scans are pruned with the
/// restriction clauses recorded when it was created (`scan_filters`).
pub fn run_stored_query(
    deps: &[QName],
    scan_filters: &[(QName, Filter)],
    cx: &Ctx,
    fx: &mut Effects,
) {
    for d in deps {
        let scans: Vec<&Filter> = scan_filters
            .iter()
            .filter(|(q, _)| q == d)
            .map(|(_, f)| f)
            .collect();
        let mut tree = Vec::new();
        if scans.is_empty() {
            tree = cx.tree(d, true);
        }
        for f in scans {
            for t in planned_tree(cx, fx, d, true, Some(f)) {
                if !tree.contains(&t) {
                    tree.push(t);
                }
            }
        }
        for t in tree {
            fx.lock(&t, AccessShare);
            if cx.rel(&t).map(|r| r.kind.has_storage()).unwrap_or(true) {
                fx.scan(&t);
            }
        }
        view_bases(d, AccessShare, cx, fx, 0);
    }
}
