//! Small accessors over pg_query's protobuf tree, so the model reads like
//! the PostgreSQL source it mirrors.

use pg_query::protobuf::{self, a_const::Val, node::Node as N, Node, RangeVar};
use pg_query::NodeRef;

pub fn string_of(n: &Node) -> Option<&str> {
    match &n.node {
        Some(N::String(s)) => Some(&s.sval),
        _ => None,
    }
}

pub fn strings(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(string_of)
        .map(str::to_string)
        .collect()
}

/// `objects` items of DROP/COMMENT are `List`s of `String`s.
pub fn name_list(n: &Node) -> Vec<String> {
    match &n.node {
        Some(N::List(l)) => strings(&l.items),
        Some(N::String(s)) => vec![s.sval.clone()],
        Some(N::TypeName(t)) => strings(&t.names),
        _ => Vec::new(),
    }
}

pub fn const_str(n: &Node) -> Option<String> {
    match &n.node {
        Some(N::AConst(c)) => match &c.val {
            Some(Val::Sval(s)) => Some(s.sval.clone()),
            Some(Val::Ival(i)) => Some(i.ival.to_string()),
            Some(Val::Fval(f)) => Some(f.fval.clone()),
            Some(Val::Boolval(b)) => Some(if b.boolval { "on".into() } else { "off".into() }),
            _ => None,
        },
        Some(N::String(s)) => Some(s.sval.clone()),
        Some(N::TypeCast(tc)) => tc.arg.as_deref().and_then(const_str),
        _ => None,
    }
}

pub fn is_null_const(n: &Node) -> bool {
    match &n.node {
        Some(N::AConst(c)) => c.isnull,
        Some(N::TypeCast(tc)) => tc.arg.as_deref().map(is_null_const).unwrap_or(false),
        _ => false,
    }
}

pub fn defelem_name(n: &Node) -> Option<&protobuf::DefElem> {
    match &n.node {
        Some(N::DefElem(d)) => Some(d),
        _ => None,
    }
}

/// The `LANGUAGE` (lower-cased) and the `AS` body text of a DO block's or
/// a function's options (a C function's `AS 'file', 'symbol'` gives the
/// first string).
pub fn language_and_body(options: &[Node]) -> (Option<String>, Option<String>) {
    let (mut lang, mut body) = (None, None);
    for o in options.iter().filter_map(defelem_name) {
        let arg = o.arg.as_deref();
        match o.defname.as_str() {
            "language" => lang = arg.and_then(const_str).map(|l| l.to_ascii_lowercase()),
            "as" => {
                body = match arg.and_then(|a| a.node.as_ref()) {
                    Some(N::List(l)) => l.items.first().and_then(const_str),
                    _ => arg.and_then(const_str),
                }
            }
            _ => {}
        }
    }
    (lang, body)
}

pub fn range_var(n: &Node) -> Option<&RangeVar> {
    match &n.node {
        Some(N::RangeVar(r)) => Some(r),
        _ => None,
    }
}

/// A RangeVar's name as written: `[schema, name]` or `[name]`.
pub fn range_var_names(rv: &RangeVar) -> Vec<String> {
    [rv.schemaname.clone(), rv.relname.clone()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect()
}

/// The subcommands of an ALTER TABLE.
pub fn alter_cmds(s: &protobuf::AlterTableStmt) -> Vec<&protobuf::AlterTableCmd> {
    s.cmds
        .iter()
        .filter_map(|c| match &c.node {
            Some(N::AlterTableCmd(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect()
}

/// Which ALTER TABLE subcommand this is.
pub fn subtype(c: &protobuf::AlterTableCmd) -> protobuf::AlterTableType {
    protobuf::AlterTableType::try_from(c.subtype).unwrap_or(protobuf::AlterTableType::Undefined)
}

/// Does any subcommand say CASCADE?
pub fn any_cascade(s: &protobuf::AlterTableStmt) -> bool {
    alter_cmds(s)
        .iter()
        .any(|c| c.behavior == protobuf::DropBehavior::DropCascade as i32)
}

/// The constraint an ALTER TABLE subcommand adds (ADD CONSTRAINT).
pub fn cmd_constraint(c: &protobuf::AlterTableCmd) -> Option<&protobuf::Constraint> {
    match c.def.as_ref().and_then(|d| d.node.as_ref()) {
        Some(N::Constraint(k)) => Some(k),
        _ => None,
    }
}

/// The column definition an ALTER TABLE subcommand carries (ADD COLUMN,
/// ALTER COLUMN TYPE).
pub fn cmd_column_def(c: &protobuf::AlterTableCmd) -> Option<&protobuf::ColumnDef> {
    match c.def.as_ref().and_then(|d| d.node.as_ref()) {
        Some(N::ColumnDef(d)) => Some(d),
        _ => None,
    }
}

/// The partition an ATTACH / DETACH PARTITION subcommand names.
pub fn cmd_partition(c: &protobuf::AlterTableCmd) -> Option<&protobuf::PartitionCmd> {
    match c.def.as_ref().and_then(|d| d.node.as_ref()) {
        Some(N::PartitionCmd(p)) => Some(p),
        _ => None,
    }
}

/// Which kind of constraint this is.
pub fn contype(k: &protobuf::Constraint) -> protobuf::ConstrType {
    protobuf::ConstrType::try_from(k.contype).unwrap_or(protobuf::ConstrType::Undefined)
}

/// The constraints written in a column definition (NOT NULL, DEFAULT,
/// PRIMARY KEY, REFERENCES, ...).
pub fn column_constraints(d: &protobuf::ColumnDef) -> Vec<&protobuf::Constraint> {
    d.constraints
        .iter()
        .filter_map(|c| match &c.node {
            Some(N::Constraint(k)) => Some(k.as_ref()),
            _ => None,
        })
        .collect()
}

/// The expressions an index computes: its key expressions, then its
/// predicate.
pub fn index_exprs(s: &protobuf::IndexStmt) -> impl Iterator<Item = &Node> {
    s.index_params
        .iter()
        .filter_map(|p| match &p.node {
            Some(N::IndexElem(e)) => e.expr.as_deref(),
            _ => None,
        })
        .chain(s.where_clause.as_deref())
}

/// The name and argument types of `name(args)` in DROP / ALTER FUNCTION
/// (`None`: no list given).
pub fn object_with_args(o: &protobuf::ObjectWithArgs) -> (Vec<String>, Option<Vec<String>>) {
    let names = strings(&o.objname);
    if o.args_unspecified {
        return (names, None);
    }
    let args = o
        .objargs
        .iter()
        .filter_map(|a| match &a.node {
            Some(N::TypeName(t)) => Some(super::types::TypeRef::from_ast(t).display()),
            _ => None,
        })
        .collect();
    (names, Some(args))
}

/// Every relation a query or expression reads (RangeVars outside CTE
/// names), and every function it calls (last name part, lower-case).
#[derive(Default, Debug)]
pub struct Refs {
    pub relations: Vec<RangeVar>,
    pub functions: Vec<(String, Vec<Node>)>,
    /// Relations named in FOR UPDATE/SHARE clauses (`None` = all of them).
    pub locked: Option<Vec<String>>,
    pub has_sublink: bool,
}

pub fn collect_refs(node: &N) -> Refs {
    let mut refs = Refs::default();
    let mut ctes: Vec<String> = Vec::new();
    let all = all_nodes(node);
    for n in &all {
        if let NodeRef::CommonTableExpr(c) = n {
            ctes.push(c.ctename.clone());
        }
    }
    for n in all {
        match n {
            NodeRef::RangeVar(r) => {
                if r.schemaname.is_empty() && ctes.contains(&r.relname) {
                    continue;
                }
                refs.relations.push(r.clone());
            }
            NodeRef::RangeTableSample(ts) => {
                // The generic walker does not descend into TABLESAMPLE.
                if let Some(r) = ts.relation.as_deref().and_then(range_var) {
                    refs.relations.push(r.clone());
                }
            }
            NodeRef::FuncCall(f) => {
                if let Some(name) = f.funcname.last().and_then(string_of) {
                    refs.functions
                        .push((name.to_ascii_lowercase(), f.args.clone()));
                }
            }
            NodeRef::SubLink(_) => refs.has_sublink = true,
            NodeRef::SelectStmt(sel) => {
                // The generic walker does not descend into locking clauses.
                for l in sel.locking_clause.iter().filter_map(|n| match &n.node {
                    Some(N::LockingClause(l)) => Some(l),
                    _ => None,
                }) {
                    let names: Vec<String> = l
                        .locked_rels
                        .iter()
                        .filter_map(range_var)
                        .map(|r| r.relname.clone())
                        .collect();
                    match (&mut refs.locked, names.is_empty()) {
                        (_, true) => refs.locked = Some(Vec::new()),
                        (Some(v), false) if !v.is_empty() => v.extend(names),
                        (Some(_), false) => {}
                        (None, false) => refs.locked = Some(names),
                    }
                }
            }
            _ => {}
        }
    }
    refs
}

pub fn node_refs(n: &Node) -> Refs {
    match &n.node {
        Some(inner) => collect_refs(inner),
        None => Refs::default(),
    }
}

/// Visit `n` and every node below it, pre-order: expressions of every
/// kind (operators, CASE, COALESCE, casts, array constructors, named
/// arguments, subscripts, function arguments, aggregate ORDER BY and
/// FILTER, window definitions), sub-queries and FROM items. `f` returns
/// whether to descend below the node it is given. Unlike pg_query's
/// `nodes()`, nothing an expression can hold a function call in is
/// skipped.
pub fn walk(n: &N, f: &mut dyn FnMut(&N) -> bool) {
    if !f(n) {
        return;
    }
    fn one(x: &Option<Box<Node>>, f: &mut dyn FnMut(&N) -> bool) {
        if let Some(inner) = x.as_deref().and_then(|x| x.node.as_ref()) {
            walk(inner, f);
        }
    }
    fn all(xs: &[Node], f: &mut dyn FnMut(&N) -> bool) {
        for x in xs {
            if let Some(inner) = &x.node {
                walk(inner, f);
            }
        }
    }
    fn with(w: Option<&protobuf::WithClause>, f: &mut dyn FnMut(&N) -> bool) {
        if let Some(w) = w {
            all(&w.ctes, f);
        }
    }
    fn select(s: &protobuf::SelectStmt, f: &mut dyn FnMut(&N) -> bool) {
        all(&s.distinct_clause, f);
        all(&s.target_list, f);
        all(&s.from_clause, f);
        if let Some(w) = s.where_clause.as_deref().and_then(|x| x.node.as_ref()) {
            walk(w, f);
        }
        all(&s.group_clause, f);
        if let Some(h) = s.having_clause.as_deref().and_then(|x| x.node.as_ref()) {
            walk(h, f);
        }
        all(&s.window_clause, f);
        all(&s.values_lists, f);
        all(&s.sort_clause, f);
        for l in [&s.limit_offset, &s.limit_count].into_iter().flatten() {
            if let Some(x) = &l.node {
                walk(x, f);
            }
        }
        with(s.with_clause.as_ref(), f);
        for side in [&s.larg, &s.rarg].into_iter().flatten() {
            select(side, f);
        }
    }
    match n {
        N::SelectStmt(s) => select(s, f),
        N::InsertStmt(s) => {
            all(&s.cols, f);
            one(&s.select_stmt, f);
            if let Some(oc) = &s.on_conflict_clause {
                all(&oc.target_list, f);
                one(&oc.where_clause, f);
            }
            if let Some(r) = &s.returning_clause {
                all(&r.exprs, f);
            }
            with(s.with_clause.as_ref(), f);
        }
        N::UpdateStmt(s) => {
            all(&s.target_list, f);
            one(&s.where_clause, f);
            all(&s.from_clause, f);
            if let Some(r) = &s.returning_clause {
                all(&r.exprs, f);
            }
            with(s.with_clause.as_ref(), f);
        }
        N::DeleteStmt(s) => {
            all(&s.using_clause, f);
            one(&s.where_clause, f);
            if let Some(r) = &s.returning_clause {
                all(&r.exprs, f);
            }
            with(s.with_clause.as_ref(), f);
        }
        N::MergeStmt(s) => {
            one(&s.source_relation, f);
            one(&s.join_condition, f);
            all(&s.merge_when_clauses, f);
            if let Some(r) = &s.returning_clause {
                all(&r.exprs, f);
            }
            with(s.with_clause.as_ref(), f);
        }
        N::MergeWhenClause(c) => {
            one(&c.condition, f);
            all(&c.target_list, f);
            all(&c.values, f);
        }
        N::CommonTableExpr(c) => one(&c.ctequery, f),
        N::ResTarget(t) => {
            one(&t.val, f);
            all(&t.indirection, f);
        }
        N::AExpr(e) => {
            one(&e.lexpr, f);
            one(&e.rexpr, f);
        }
        N::BoolExpr(e) => all(&e.args, f),
        N::NullTest(e) => one(&e.arg, f),
        N::BooleanTest(e) => one(&e.arg, f),
        N::CoalesceExpr(e) => all(&e.args, f),
        N::MinMaxExpr(e) => all(&e.args, f),
        N::CaseExpr(c) => {
            one(&c.arg, f);
            all(&c.args, f);
            one(&c.defresult, f);
        }
        N::CaseWhen(w) => {
            one(&w.expr, f);
            one(&w.result, f);
        }
        N::TypeCast(c) => one(&c.arg, f),
        N::CollateClause(c) => one(&c.arg, f),
        N::NamedArgExpr(a) => one(&a.arg, f),
        N::AArrayExpr(a) => all(&a.elements, f),
        N::RowExpr(r) => all(&r.args, f),
        N::AIndirection(i) => {
            one(&i.arg, f);
            all(&i.indirection, f);
        }
        N::AIndices(i) => {
            one(&i.lidx, f);
            one(&i.uidx, f);
        }
        N::FuncCall(c) => {
            all(&c.args, f);
            all(&c.agg_order, f);
            one(&c.agg_filter, f);
            if let Some(w) = &c.over {
                all(&w.partition_clause, f);
                all(&w.order_clause, f);
            }
        }
        N::WindowDef(w) => {
            all(&w.partition_clause, f);
            all(&w.order_clause, f);
        }
        N::SortBy(s) => one(&s.node, f),
        N::List(l) => all(&l.items, f),
        N::SubLink(l) => {
            one(&l.testexpr, f);
            one(&l.subselect, f);
        }
        N::JoinExpr(e) => {
            one(&e.larg, f);
            one(&e.rarg, f);
            one(&e.quals, f);
        }
        N::RangeSubselect(s) => one(&s.subquery, f),
        N::RangeFunction(r) => all(&r.functions, f),
        N::RangeTableSample(t) => {
            one(&t.relation, f);
            all(&t.args, f);
        }
        N::GroupingSet(g) => all(&g.content, f),
        N::XmlExpr(x) => {
            all(&x.named_args, f);
            all(&x.args, f);
        }
        _ => {}
    }
}

/// Every node of `node`'s tree. pg_query's walker (`NodeEnum::nodes`) does
/// not descend into some node types: a subquery or a table there (in a
/// multi-column `SET (a, b) = (SELECT ...)`, an ARRAY[...], a subscript,
/// a COLLATE, an aggregate's FILTER or ORDER BY, a window, a VALUES list,
/// LIMIT, ON CONFLICT, MERGE's WHEN clauses, RETURNING, CASE's operand,
/// `expr IN (SELECT ...)`'s left side, XML and SQL/JSON constructors)
/// would be invisible to every question asked of the tree. This walker
/// adds exactly those children; everything else is pg_query's.
pub fn all_nodes(node: &N) -> Vec<NodeRef<'_>> {
    let mut out = Vec::new();
    let mut work: Vec<&N> = vec![node];
    while let Some(n) = work.pop() {
        for (r, _, _, _) in n.nodes() {
            missed_children(&r, &mut work);
            out.push(r);
        }
    }
    out
}

fn one<'a>(n: &'a Option<Box<Node>>, work: &mut Vec<&'a N>) {
    if let Some(x) = n.as_deref().and_then(|x| x.node.as_ref()) {
        work.push(x);
    }
}

fn many<'a>(v: &'a [Node], work: &mut Vec<&'a N>) {
    work.extend(v.iter().filter_map(|x| x.node.as_ref()));
}

fn window<'a>(w: &'a protobuf::WindowDef, work: &mut Vec<&'a N>) {
    many(&w.partition_clause, work);
    many(&w.order_clause, work);
    one(&w.start_offset, work);
    one(&w.end_offset, work);
}

fn json_value<'a>(v: &'a Option<Box<protobuf::JsonValueExpr>>, work: &mut Vec<&'a N>) {
    if let Some(v) = v.as_deref() {
        one(&v.raw_expr, work);
    }
}

fn json_agg<'a>(c: &'a Option<Box<protobuf::JsonAggConstructor>>, work: &mut Vec<&'a N>) {
    if let Some(c) = c.as_deref() {
        one(&c.agg_filter, work);
        many(&c.agg_order, work);
        if let Some(w) = c.over.as_deref() {
            window(w, work);
        }
    }
}

fn returning<'a>(r: &'a Option<protobuf::ReturningClause>, work: &mut Vec<&'a N>) {
    if let Some(r) = r {
        many(&r.exprs, work);
    }
}

fn missed_children<'a>(r: &NodeRef<'a>, work: &mut Vec<&'a N>) {
    match r {
        NodeRef::MultiAssignRef(m) => one(&m.source, work),
        NodeRef::AArrayExpr(a) => many(&a.elements, work),
        NodeRef::CollateClause(c) => one(&c.arg, work),
        NodeRef::AIndirection(a) => {
            one(&a.arg, work);
            many(&a.indirection, work);
        }
        NodeRef::AIndices(a) => {
            one(&a.lidx, work);
            one(&a.uidx, work);
        }
        NodeRef::FuncCall(f) => {
            many(&f.agg_order, work);
            one(&f.agg_filter, work);
            if let Some(w) = f.over.as_deref() {
                window(w, work);
            }
        }
        NodeRef::WindowDef(w) => window(w, work),
        NodeRef::SubLink(s) => one(&s.testexpr, work),
        NodeRef::GroupingSet(g) => many(&g.content, work),
        NodeRef::CaseExpr(c) => one(&c.arg, work),
        NodeRef::SelectStmt(s) => {
            many(&s.values_lists, work);
            many(&s.distinct_clause, work);
            many(&s.window_clause, work);
            one(&s.limit_offset, work);
            one(&s.limit_count, work);
        }
        NodeRef::InsertStmt(s) => returning(&s.returning_clause, work),
        NodeRef::UpdateStmt(s) => returning(&s.returning_clause, work),
        NodeRef::DeleteStmt(s) => returning(&s.returning_clause, work),
        NodeRef::MergeStmt(s) => returning(&s.returning_clause, work),
        NodeRef::OnConflictClause(c) => {
            many(&c.target_list, work);
            one(&c.where_clause, work);
        }
        NodeRef::MergeWhenClause(c) => {
            one(&c.condition, work);
            many(&c.target_list, work);
            many(&c.values, work);
        }
        NodeRef::RangeTableSample(t) => {
            many(&t.args, work);
            one(&t.repeatable, work);
        }
        NodeRef::RangeTableFunc(t) => {
            one(&t.docexpr, work);
            one(&t.rowexpr, work);
        }
        NodeRef::XmlExpr(x) => {
            many(&x.args, work);
            many(&x.named_args, work);
        }
        NodeRef::XmlSerialize(x) => one(&x.expr, work),
        NodeRef::JsonArrayQueryConstructor(j) => one(&j.query, work),
        NodeRef::JsonObjectConstructor(j) => many(&j.exprs, work),
        NodeRef::JsonArrayConstructor(j) => many(&j.exprs, work),
        NodeRef::JsonValueExpr(j) => one(&j.raw_expr, work),
        NodeRef::JsonKeyValue(j) => {
            one(&j.key, work);
            json_value(&j.value, work);
        }
        NodeRef::JsonScalarExpr(j) => one(&j.expr, work),
        NodeRef::JsonIsPredicate(j) => one(&j.expr, work),
        NodeRef::JsonFuncExpr(j) => {
            json_value(&j.context_item, work);
            one(&j.pathspec, work);
        }
        NodeRef::JsonParseExpr(j) => json_value(&j.expr, work),
        NodeRef::JsonSerializeExpr(j) => json_value(&j.expr, work),
        NodeRef::JsonObjectAgg(j) => {
            json_agg(&j.constructor, work);
            if let Some(kv) = j.arg.as_deref() {
                one(&kv.key, work);
                json_value(&kv.value, work);
            }
        }
        NodeRef::JsonArrayAgg(j) => {
            json_agg(&j.constructor, work);
            json_value(&j.arg, work);
        }
        _ => {}
    }
}
