//! Applying a statement to the catalog: after this, later statements see
//! the schema it produced. Names of implicitly created objects follow
//! PostgreSQL's own choices (`ChooseRelationName`, `ChooseConstraintName`).

use pg_query::protobuf::{
    self as pb, node::Node as N, AlterTableType as T, ConstrType as C, ObjectType as O,
};

use super::ast::{const_str, defelem_name, name_list, node_refs, range_var, strings};
use super::catalog::*;
use super::functions;
use super::types::TypeRef;

const NAMEDATALEN: usize = 64;

/// PostgreSQL's makeObjectName: name1_name2_label, shortened to fit 63 bytes.
pub fn make_object_name(name1: &str, name2: &str, label: &str) -> String {
    let overhead =
        if label.is_empty() { 0 } else { label.len() + 1 } + if name2.is_empty() { 0 } else { 1 };
    let avail = NAMEDATALEN - 1 - overhead;
    let (mut n1, mut n2) = (name1.len(), name2.len());
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let n1 = floor_boundary(name1, n1);
    let n2 = floor_boundary(name2, n2);
    let mut s = name1[..n1].to_string();
    if !name2.is_empty() {
        s.push('_');
        s.push_str(&name2[..n2]);
    }
    if !label.is_empty() {
        s.push('_');
        s.push_str(label);
    }
    s
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn choose_relation_name(
    cat: &Catalog,
    schema: &str,
    name1: &str,
    name2: &str,
    label: &str,
) -> String {
    let base = make_object_name(name1, name2, label);
    if !cat.contains(&QName::new(schema, base.as_str())) {
        return base;
    }
    for i in 1.. {
        let cand = make_object_name(name1, name2, &format!("{label}{i}"));
        if !cat.contains(&QName::new(schema, cand.as_str())) {
            return cand;
        }
    }
    unreachable!()
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
fn index_shape(
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

/// The name PostgreSQL gives an expression's column (FigureColnameInternal
/// in parse_target.c): a column's or function's name, a cast's argument's
/// (else the type's), `case`, `coalesce`, ...; `None` for an operator.
pub fn figure_colname(n: &pb::Node) -> Option<String> {
    fn inner(n: &pb::Node) -> (u8, Option<String>) {
        match n.node.as_ref() {
            Some(N::ColumnRef(c)) => match c.fields.last().and_then(|f| f.node.as_ref()) {
                Some(N::String(s)) => (2, Some(s.sval.clone())),
                _ => (0, None),
            },
            Some(N::AIndirection(i)) => match i.indirection.last().and_then(|f| f.node.as_ref()) {
                Some(N::String(s)) => (2, Some(s.sval.clone())),
                _ => (0, None),
            },
            Some(N::FuncCall(f)) => (2, strings(&f.funcname).last().cloned()),
            Some(N::TypeCast(tc)) => {
                let (strength, name) = tc.arg.as_deref().map(inner).unwrap_or((0, None));
                if strength <= 1 {
                    if let Some(t) = &tc.type_name {
                        return (1, strings(&t.names).last().cloned());
                    }
                }
                (strength, name)
            }
            Some(N::CollateClause(c)) => c.arg.as_deref().map(inner).unwrap_or((0, None)),
            Some(N::CaseExpr(_)) => (1, Some("case".into())),
            Some(N::AArrayExpr(_)) => (1, Some("array".into())),
            Some(N::RowExpr(_)) => (1, Some("row".into())),
            Some(N::CoalesceExpr(_)) => (2, Some("coalesce".into())),
            Some(N::MinMaxExpr(m)) => (
                2,
                Some(
                    if m.op == pb::MinMaxOp::IsGreatest as i32 {
                        "greatest"
                    } else {
                        "least"
                    }
                    .into(),
                ),
            ),
            Some(N::AExpr(a)) if a.kind == pb::AExprKind::AexprNullif as i32 => {
                (2, Some("nullif".into()))
            }
            _ => (0, None),
        }
    }
    inner(n).1
}

fn name_addition(parts: &[String]) -> String {
    let mut s = String::new();
    for p in parts {
        if !s.is_empty() {
            s.push('_');
        }
        s.push_str(p);
        if s.len() >= NAMEDATALEN {
            break;
        }
    }
    s
}

/// Apply one statement. `cx` describes where it runs (for origins and
/// name resolution); `cat` is the catalog being built.
pub fn apply(
    node: &N,
    cat: &mut Catalog,
    cx_session: &super::session::Session,
    pg: u32,
    origin: Origin,
) {
    let snapshot = CatalogView {
        session: cx_session,
        pg,
        origin,
    };
    match node {
        N::CreateSchemaStmt(s) => {
            let name = if s.schemaname.is_empty() {
                s.authrole
                    .as_ref()
                    .map(|r| r.rolename.clone())
                    .unwrap_or_default()
            } else {
                s.schemaname.clone()
            };
            cat.schemas.entry(name.clone()).or_insert(origin);
            let mut sess = cx_session.clone();
            sess.search_path = vec![name];
            for e in &s.schema_elts {
                if let Some(n) = &e.node {
                    apply(n, cat, &sess, pg, origin);
                }
            }
        }
        N::CreateStmt(s) => create_table(s, cat, &snapshot),
        N::IndexStmt(s) => {
            if let Some(rv) = &s.relation {
                let t = snapshot.resolve(cat, rv);
                let mut shape = index_shape(
                    &s.index_params,
                    &s.index_including_params,
                    s.where_clause.as_deref(),
                );
                shape.functions = index_functions(s, cat, cx_session);
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
                    origin,
                );
            }
        }
        N::DropStmt(s) => drop(s, cat, &snapshot),
        N::RenameStmt(s) => rename(s, cat, &snapshot),
        N::AlterObjectSchemaStmt(s)
            if matches!(
                O::try_from(s.object_type).unwrap_or(O::Undefined),
                O::ObjectFunction | O::ObjectProcedure | O::ObjectRoutine
            ) =>
        {
            if let Some(N::ObjectWithArgs(o)) = s.object.as_deref().and_then(|n| n.node.as_ref()) {
                let (names, args) = object_with_args(o);
                let found = functions::find_function(&names, args.as_deref(), cat, cx_session)
                    .map(|f| f.name.clone());
                if let Some(from) = found {
                    let to = QName::new(s.newschema.as_str(), from.name.as_str());
                    move_function(cat, &from, args.as_deref(), to);
                }
            }
        }
        N::AlterObjectSchemaStmt(s) => {
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
                let q = snapshot.resolve(cat, rv);
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
        N::AlterTableStmt(s) => alter_table(s, cat, &snapshot),
        N::CompositeTypeStmt(s) => {
            if let Some(rv) = &s.typevar {
                let q = snapshot.resolve_type(
                    &[rv.schemaname.clone(), rv.relname.clone()]
                        .into_iter()
                        .filter(|x| !x.is_empty())
                        .collect::<Vec<_>>(),
                );
                let cols = s
                    .coldeflist
                    .iter()
                    .filter_map(|n| match &n.node {
                        Some(N::ColumnDef(d)) => {
                            Some(column_from_def(d, &q, cat, cx_session, origin))
                        }
                        _ => None,
                    })
                    .collect();
                cat.composites.insert(q, cols);
            }
        }
        // CLUSTER t USING i marks i as the table's clustered index, which
        // a later CLUSTER t or bare CLUSTER uses.
        N::ClusterStmt(s) => {
            if let (Some(rv), false) = (&s.relation, s.indexname.is_empty()) {
                let t = snapshot.resolve(cat, rv);
                let idx = QName::new(t.schema.as_str(), s.indexname.as_str());
                if cat.get(&t).is_some_and(|r| r.kind == RelKind::Table) {
                    cat.set_clustered(&t, Some(&idx));
                }
            }
        }
        N::ViewStmt(s) => {
            if let Some(rv) = &s.view {
                let q = snapshot.resolve_create(cat, rv);
                let deps = s
                    .query
                    .as_deref()
                    .map(|qn| deps_of(qn, cat, &snapshot))
                    .unwrap_or_default();
                let keep_origin = cat.get(&q).map(|r| r.origin);
                let mut r = Relation::new(q.clone(), RelKind::View, keep_origin.unwrap_or(origin));
                r.depends_on = deps;
                if let Some(qn) = s.query.as_deref() {
                    (r.function_uses, r.query) = view_query(qn, cat, &snapshot);
                }
                if let Some(old) = cat.get(&q) {
                    r.columns = old.columns.clone();
                }
                cat.relations.insert(q, r);
            }
        }
        N::CreateTableAsStmt(s) => {
            if let Some(rv) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let q = snapshot.resolve_create(cat, rv);
                if cat.contains(&q) {
                    return;
                }
                let kind = if s.objtype == O::ObjectMatview as i32 {
                    RelKind::MatView
                } else {
                    RelKind::Table
                };
                let mut r = Relation::new(q.clone(), kind, origin);
                r.depends_on = s
                    .query
                    .as_deref()
                    .map(|qn| deps_of(qn, cat, &snapshot))
                    .unwrap_or_default();
                match s
                    .query
                    .as_deref()
                    .and_then(|qn| query_columns(qn, cat, &snapshot))
                {
                    Some(cols) => r.columns = cols,
                    None => r.columns_unknown = true,
                }
                if kind == RelKind::MatView {
                    if let Some(qn) = s.query.as_deref() {
                        r.scan_filters =
                            crate::model::effects::quals::stored_filters(qn, cat, &|rv| {
                                snapshot.resolve(cat, rv)
                            });
                    }
                    if let Some(qn) = s.query.as_deref() {
                        (r.function_uses, r.query) = view_query(qn, cat, &snapshot);
                    }
                }
                r.may_have_rows = true;
                cat.relations.insert(q, r);
            }
        }
        N::SelectStmt(s) => {
            if let Some(rv) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
                let q = snapshot.resolve_create(cat, rv);
                let mut r = Relation::new(q.clone(), RelKind::Table, origin);
                match select_columns(s, cat, &snapshot) {
                    Some(cols) => r.columns = cols,
                    None => r.columns_unknown = true,
                }
                r.may_have_rows = true;
                cat.relations.insert(q, r);
            }
        }
        N::CreateSeqStmt(s) => {
            if let Some(rv) = &s.sequence {
                let q = snapshot.resolve_create(cat, rv);
                if cat.contains(&q) {
                    return;
                }
                let mut r = Relation::new(q.clone(), RelKind::Sequence, origin);
                r.owned_by = owned_by(&s.options, cat, &snapshot);
                cat.relations.insert(q, r);
            }
        }
        N::AlterSeqStmt(s) => {
            if let Some(rv) = &s.sequence {
                let q = snapshot.resolve(cat, rv);
                if let Some(o) = owned_by(&s.options, cat, &snapshot) {
                    if let Some(r) = cat.get_mut(&q) {
                        r.owned_by = Some(o);
                    }
                }
            }
        }
        N::CreateEnumStmt(s) => {
            let names = strings(&s.type_name);
            let q = snapshot.resolve_type(&names);
            let values = s.vals.iter().filter_map(const_str).collect();
            cat.enums.insert(q, EnumType { values, origin });
        }
        N::AlterEnumStmt(s) => {
            let q = snapshot.resolve_type(&strings(&s.type_name));
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
        N::CreateDomainStmt(s) => {
            let q = snapshot.resolve_type(&strings(&s.domainname));
            let base = s
                .type_name
                .as_ref()
                .map(TypeRef::from_ast)
                .unwrap_or_default();
            let has = s.constraints.iter().any(|c| matches!(&c.node, Some(N::Constraint(c)) if c.contype == C::ConstrCheck as i32 || c.contype == C::ConstrNotnull as i32));
            cat.domains.insert(q, (base, has));
        }
        N::AlterDomainStmt(s) => {
            if s.subtype == "C" || s.subtype == "O" {
                let q = snapshot.resolve_type(&strings(&s.type_name));
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
        N::CreateFunctionStmt(s) => {
            if let Some(f) = functions::from_create(s, cx_session, origin) {
                cat.add_function(f);
            }
        }
        N::AlterFunctionStmt(s) => {
            if let Some(o) = &s.func {
                let (names, args) = object_with_args(o);
                let found = functions::find_function(&names, args.as_deref(), cat, cx_session)
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
        N::CreateTrigStmt(s) => {
            add_object_name(cat, &snapshot, s.relation.as_ref(), &s.trigname, |r| {
                &mut r.triggers
            });
            if let Some(rv) = &s.relation {
                let q = snapshot.resolve(cat, rv);
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
                    if let Some(func) = functions::call_ref(cat, cx_session, &call) {
                        uses.push(FuncUse {
                            func,
                            kind: kind.clone(),
                        });
                    }
                }
                if let Some(w) = s.when_clause.as_deref() {
                    uses.extend(functions::uses_in(w, &kind, cat, cx_session));
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
        N::CreatePolicyStmt(s) => {
            add_object_name(cat, &snapshot, s.table.as_ref(), &s.policy_name, |r| {
                &mut r.policies
            });
            if let Some(rv) = &s.table {
                let q = snapshot.resolve(cat, rv);
                let kind = UseKind::Policy(s.policy_name.clone());
                let mut uses = Vec::new();
                for e in s.qual.iter().chain(s.with_check.iter()) {
                    uses.extend(functions::uses_in(e, &kind, cat, cx_session));
                }
                add_uses(cat, &q, uses);
            }
        }
        N::AlterPolicyStmt(s) => {
            if let Some(rv) = &s.table {
                let q = snapshot.resolve(cat, rv);
                let kind = UseKind::Policy(s.policy_name.clone());
                let mut uses = Vec::new();
                for e in s.qual.iter().chain(s.with_check.iter()) {
                    uses.extend(functions::uses_in(e, &kind, cat, cx_session));
                }
                if !uses.is_empty() {
                    // Only the expressions given are replaced.
                    remove_uses(cat, &q, |k| k == &kind);
                    add_uses(cat, &q, uses);
                }
            }
        }
        N::RuleStmt(s) => add_object_name(cat, &snapshot, s.relation.as_ref(), &s.rulename, |r| {
            &mut r.rules
        }),
        N::CreateStatsStmt(s) => {
            if let Some(t) = s.relations.iter().filter_map(range_var).next() {
                let table = snapshot.resolve(cat, t);
                let names = strings(&s.defnames);
                let q = if names.is_empty() {
                    QName::new(table.schema.as_str(), format!("{}_stat", table.name))
                } else {
                    snapshot.resolve_type(&names)
                };
                cat.statistics.insert(q, table);
            }
        }
        N::InsertStmt(s) => mark_rows(s.relation.as_ref(), cat, &snapshot),
        N::UpdateStmt(s) => mark_rows(s.relation.as_ref(), cat, &snapshot),
        N::CopyStmt(s) if s.is_from => mark_rows(s.relation.as_ref(), cat, &snapshot),
        N::MergeStmt(s) => mark_rows(s.relation.as_ref(), cat, &snapshot),
        _ => {}
    }
}

/// Record a trigger, rule or policy name on its table.
fn add_object_name(
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

fn mark_rows(rv: Option<&pb::RangeVar>, cat: &mut Catalog, v: &CatalogView) {
    if let Some(rv) = rv {
        let q = v.resolve(cat, rv);
        if let Some(r) = cat.get_mut(&q) {
            r.may_have_rows = true;
        }
    }
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

/// Name resolution without effects context.
pub struct CatalogView<'a> {
    pub session: &'a super::session::Session,
    pub pg: u32,
    pub origin: Origin,
}

impl CatalogView<'_> {
    pub fn resolve_parts(&self, cat: &Catalog, schema: &str, name: &str) -> QName {
        if !schema.is_empty() {
            return QName::new(schema, name);
        }
        let temp = QName::new("pg_temp", name);
        if cat.contains(&temp) {
            return temp;
        }
        for s in &self.session.search_path {
            let q = QName::new(s.as_str(), name);
            if cat.contains(&q) {
                return q;
            }
        }
        QName::new(self.session.creation_schema(), name)
    }
    pub fn resolve(&self, cat: &Catalog, rv: &pb::RangeVar) -> QName {
        if rv.relpersistence == "t" && rv.schemaname.is_empty() {
            return QName::new("pg_temp", rv.relname.as_str());
        }
        self.resolve_parts(cat, &rv.schemaname, &rv.relname)
    }
    pub fn resolve_create(&self, cat: &Catalog, rv: &pb::RangeVar) -> QName {
        if rv.relpersistence == "t" && rv.schemaname.is_empty() {
            return QName::new("pg_temp", rv.relname.as_str());
        }
        if rv.schemaname.is_empty() {
            let _ = cat;
            return QName::new(self.session.creation_schema(), rv.relname.as_str());
        }
        QName::new(rv.schemaname.as_str(), rv.relname.as_str())
    }
    pub fn resolve_names(&self, cat: &Catalog, names: &[String]) -> QName {
        match names {
            [n] => self.resolve_parts(cat, "", n),
            [.., s, n] => QName::new(s.as_str(), n.as_str()),
            [] => QName::new("public", ""),
        }
    }
    pub fn resolve_type(&self, names: &[String]) -> QName {
        match names {
            [n] => QName::new(self.session.creation_schema(), n.as_str()),
            [.., s, n] => QName::new(s.as_str(), n.as_str()),
            [] => QName::new("public", ""),
        }
    }
}

fn column_from_def(
    def: &pb::ColumnDef,
    table: &QName,
    cat: &mut Catalog,
    session: &super::session::Session,
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
    for c in def.constraints.iter().filter_map(|n| match &n.node {
        Some(N::Constraint(c)) => Some(c),
        _ => None,
    }) {
        match C::try_from(c.contype).unwrap_or(C::Undefined) {
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

fn con_columns(keys: &[pb::Node]) -> Vec<String> {
    strings(keys)
}

/// Add a constraint (table-level or from a column definition) to `table`,
/// creating its index where it has one.
#[allow(clippy::too_many_arguments)]
fn add_constraint(
    cat: &mut Catalog,
    table: &QName,
    c: &pb::Constraint,
    column: Option<&str>,
    v: &CatalogView,
    origin: Origin,
    recurse: bool,
) {
    let contype = C::try_from(c.contype).unwrap_or(C::Undefined);
    let mut cols = con_columns(&c.keys);
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
        let add = if cols.is_empty() {
            String::new()
        } else {
            cols.join("_")
        };
        let base = make_object_name(&table.name, &add, label);
        let taken = |n: &str| {
            cat.get(table)
                .map(|r| r.constraint(n).is_some())
                .unwrap_or(false)
                || (label != "check"
                    && label != "fkey"
                    && label != "not_null"
                    && cat.contains(&QName::new(table.schema.as_str(), n)))
        };
        if !taken(&base) {
            return base;
        }
        (1..)
            .map(|i| make_object_name(&table.name, &add, &format!("{label}{i}")))
            .find(|n| !taken(n))
            .unwrap_or(base)
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

fn tree(cat: &Catalog, q: &QName) -> Vec<QName> {
    let mut v = vec![q.clone()];
    v.extend(cat.descendants(q));
    v
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

fn expr_columns(n: &pb::Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(inner) = &n.node {
        for r in super::ast::all_nodes(inner) {
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
            let label = if primary {
                "pkey"
            } else if constraint.is_some() && unique {
                "key"
            } else {
                "idx"
            };
            let child_name = if primary {
                choose_relation_name(cat, &p.schema, &p.name, "", "pkey")
            } else {
                choose_relation_name(
                    cat,
                    &p.schema,
                    &p.name,
                    &name_addition(&shape.name_parts),
                    label,
                )
            };
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

fn create_table(s: &pb::CreateStmt, cat: &mut Catalog, v: &CatalogView) {
    let Some(rv) = &s.relation else { return };
    let q = v.resolve_create(cat, rv);
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
                for c in def.constraints.iter().filter_map(|n| match &n.node {
                    Some(N::Constraint(c)) => Some(c),
                    _ => None,
                }) {
                    if matches!(
                        C::try_from(c.contype).unwrap_or(C::Undefined),
                        C::ConstrPrimary
                            | C::ConstrUnique
                            | C::ConstrCheck
                            | C::ConstrForeign
                            | C::ConstrExclusion
                    ) {
                        deferred.push((c.as_ref().clone(), Some(def.colname.clone())));
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
                                    let label = if info.primary {
                                        "pkey"
                                    } else if info.unique && info.constraint.is_some() {
                                        "key"
                                    } else {
                                        "idx"
                                    };
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

fn inherit_partition_objects(cat: &mut Catalog, parent: &QName, part: &QName, origin: Origin) {
    let Some(pr) = cat.get(parent).cloned() else {
        return;
    };
    for c in &pr.constraints {
        if matches!(
            c.kind,
            ConstraintKind::ForeignKey { .. } | ConstraintKind::Check { .. }
        ) {
            if let Some(r) = cat.get_mut(part) {
                if r.constraint(&c.name).is_none() {
                    let mut c = c.clone();
                    c.origin = origin;
                    r.constraints.push(c);
                }
            }
        }
    }
    // The partition's copies of the CHECK constraints depend on the
    // functions they call, as the parent's do.
    // A partitioned table's row triggers are cloned on it too.
    let inherited: Vec<FuncUse> = pr
        .function_uses
        .iter()
        .filter(|u| match &u.kind {
            UseKind::Check(_) => true,
            UseKind::Trigger { row, .. } => *row && pr.kind == RelKind::PartitionedTable,
            _ => false,
        })
        .cloned()
        .collect();
    add_uses(cat, part, inherited);
    for i in &pr.indexes {
        let Some(info) = cat.get(i).and_then(|r| r.index.clone()) else {
            continue;
        };
        let exists = cat
            .get(part)
            .map(|r| {
                r.indexes.iter().any(|x| {
                    cat.get(x)
                        .and_then(|r| r.index.as_ref())
                        .map(|ii| ii.parent.as_ref() == Some(i))
                        .unwrap_or(false)
                })
            })
            .unwrap_or(false);
        if exists {
            continue;
        }
        let label = if info.primary {
            "pkey"
        } else if info.unique && info.constraint.is_some() {
            "key"
        } else {
            "idx"
        };
        let n = if info.primary {
            choose_relation_name(cat, &part.schema, &part.name, "", "pkey")
        } else {
            choose_relation_name(
                cat,
                &part.schema,
                &part.name,
                &name_addition(&info.name_parts),
                label,
            )
        };
        if let Some(child) = create_index(
            cat,
            part,
            &n,
            info.shape(
                &cat.get(i)
                    .map(|r| r.function_uses.clone())
                    .unwrap_or_default(),
            ),
            info.unique,
            info.primary,
            info.constraint.clone(),
            true,
            false,
            origin,
        ) {
            if let Some(ci) = cat.get_mut(&child).and_then(|r| r.index.as_mut()) {
                ci.parent = Some(i.clone());
            }
        }
    }
}

fn drop(s: &pb::DropStmt, cat: &mut Catalog, v: &CatalogView) {
    let kind = O::try_from(s.remove_type).unwrap_or(O::Undefined);
    for obj in &s.objects {
        let names = name_list(obj);
        match kind {
            O::ObjectTable
            | O::ObjectView
            | O::ObjectMatview
            | O::ObjectSequence
            | O::ObjectForeignTable => {
                let q = v.resolve_names(cat, &names);
                // CASCADE drops the views and matviews built on it, at any
                // depth (a matview left behind would keep a stale query
                // and hide the one created again under its name).
                if s.behavior == pb::DropBehavior::DropCascade as i32 {
                    let mut doomed = Vec::new();
                    let mut stack = cat.dependent_views(&q);
                    while let Some(d) = stack.pop() {
                        if d != q && !doomed.contains(&d) {
                            stack.extend(cat.dependent_views(&d));
                            doomed.push(d);
                        }
                    }
                    for d in doomed {
                        cat.remove_relation(&d);
                    }
                }
                cat.remove_relation(&q);
            }
            O::ObjectIndex => {
                let q = v.resolve_names(cat, &names);
                let children: Vec<QName> = cat
                    .relations
                    .values()
                    .filter(|r| r.index.as_ref().and_then(|i| i.parent.as_ref()) == Some(&q))
                    .map(|r| r.name.clone())
                    .collect();
                for c in children {
                    cat.remove_relation(&c);
                }
                cat.remove_relation(&q);
            }
            O::ObjectSchema => {
                if let Some(schema) = names.first() {
                    let doomed: Vec<QName> = cat
                        .relations
                        .keys()
                        .filter(|q| &q.schema == schema)
                        .cloned()
                        .collect();
                    for q in doomed {
                        cat.remove_relation(&q);
                    }
                    let fns: Vec<(QName, Vec<String>)> = cat
                        .functions_in_schema(schema)
                        .into_iter()
                        .map(|f| (f.name.clone(), f.arg_types.clone()))
                        .collect();
                    for (name, args) in fns {
                        drop_function_users(cat, &name, Some(&args), true, v.pg);
                        cat.remove_function(&name, &args);
                    }
                    cat.schemas.remove(schema);
                    cat.enums.retain(|k, _| &k.schema != schema);
                    cat.domains.retain(|k, _| &k.schema != schema);
                }
            }
            O::ObjectTrigger | O::ObjectPolicy if names.len() >= 2 => {
                let q = v.resolve_names(cat, &names[..names.len() - 1]);
                let n = &names[names.len() - 1];
                if let Some(r) = cat.get_mut(&q) {
                    r.triggers.retain(|t| !(kind == O::ObjectTrigger && t == n));
                    r.policies.retain(|t| !(kind == O::ObjectPolicy && t == n));
                }
                // A trigger's clones on partitions go with it.
                let mut holders = vec![q.clone()];
                if kind == O::ObjectTrigger {
                    holders.extend(cat.partitions_deep(&q));
                }
                for h in holders {
                    remove_uses(cat, &h, |k| match k {
                        UseKind::Trigger { name, .. } => kind == O::ObjectTrigger && name == n,
                        UseKind::Policy(p) => kind == O::ObjectPolicy && p == n,
                        _ => false,
                    });
                }
            }
            O::ObjectStatisticExt => {
                let n = names.last().cloned().unwrap_or_default();
                cat.statistics.retain(|k, _| k.name != n);
            }
            O::ObjectType => {
                let n = names.last().cloned().unwrap_or_default();
                cat.enums.retain(|k, _| k.name != n);
                cat.composites.retain(|k, _| k.name != n);
            }
            O::ObjectDomain => {
                let n = names.last().cloned().unwrap_or_default();
                cat.domains.retain(|k, _| k.name != n);
            }
            O::ObjectFunction | O::ObjectProcedure | O::ObjectRoutine => {
                if let Some(N::ObjectWithArgs(o)) = &obj.node {
                    let (names, args) = object_with_args(o);
                    let found = functions::find_function(&names, args.as_deref(), cat, v.session)
                        .map(|f| (f.name.clone(), f.arg_types.clone()));
                    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
                    match found {
                        Some((name, args)) => {
                            if drop_function_users(cat, &name, Some(&args), cascade, v.pg) {
                                cat.remove_function(&name, &args);
                            }
                        }
                        None => {
                            // Not in the history: what the history shows
                            // using it goes with it.
                            if let Some(name) = functions::guess_name(&names, v.session) {
                                drop_function_users(cat, &name, args.as_deref(), cascade, v.pg);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
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

fn rename(s: &pb::RenameStmt, cat: &mut Catalog, v: &CatalogView) {
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

fn alter_table(s: &pb::AlterTableStmt, cat: &mut Catalog, v: &CatalogView) {
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
    let names: Vec<String> = [rv.schemaname.clone(), rv.relname.clone()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect();
    let ty = v.resolve_type(&names);
    let cascade = s.cmds.iter().any(|c| {
        matches!(&c.node, Some(N::AlterTableCmd(c)) if c.behavior == pb::DropBehavior::DropCascade as i32)
    });
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
        let sub = T::try_from(cmd.subtype).unwrap_or(T::Undefined);
        let targets = if rv.inh {
            tree(cat, &q)
        } else {
            vec![q.clone()]
        };
        match sub {
            T::AtAddColumn => {
                if let Some(N::ColumnDef(def)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
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
                    for c in def.constraints.iter().filter_map(|n| match &n.node {
                        Some(N::Constraint(c)) => Some(c),
                        _ => None,
                    }) {
                        if matches!(
                            C::try_from(c.contype).unwrap_or(C::Undefined),
                            C::ConstrPrimary
                                | C::ConstrUnique
                                | C::ConstrCheck
                                | C::ConstrForeign
                                | C::ConstrExclusion
                        ) {
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
                if let Some(N::ColumnDef(def)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
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
                if let Some(N::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
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
                if let Some(N::PartitionCmd(pc)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
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
                if let Some(N::PartitionCmd(pc)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
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

fn literal_of(n: &pb::Node) -> Option<Literal> {
    match &n.node {
        Some(N::AConst(c)) => match &c.val {
            Some(pb::a_const::Val::Ival(i)) => Some(Literal::Int(i.ival as i64)),
            Some(pb::a_const::Val::Fval(f)) => f.fval.parse().ok().map(Literal::Int),
            Some(pb::a_const::Val::Sval(s)) => Some(Literal::Text(s.sval.clone())),
            _ => None,
        },
        Some(N::TypeCast(tc)) => tc.arg.as_deref().and_then(literal_of),
        // -1 is written as a minus applied to 1 in a bound.
        Some(N::AExpr(e)) if e.lexpr.is_none() && e.name.len() == 1 => {
            match (
                crate::model::ast::string_of(&e.name[0]),
                e.rexpr.as_deref().and_then(literal_of),
            ) {
                (Some("-"), Some(Literal::Int(i))) => Some(Literal::Int(-i)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A range bound datum: `Ok(None)` for MINVALUE / MAXVALUE, `Err` for
/// anything but a literal.
fn range_datum_of(n: &pb::Node) -> Result<Option<Literal>, ()> {
    if let Some(N::ColumnRef(c)) = &n.node {
        return match strings(&c.fields).as_slice() {
            [w] if w == "minvalue" || w == "maxvalue" => Ok(None),
            _ => Err(()),
        };
    }
    literal_of(n).map(Some).ok_or(())
}

pub fn bound_of(b: &pb::PartitionBoundSpec) -> PartitionBound {
    if b.is_default {
        return PartitionBound::Default;
    }
    match b.strategy.as_str() {
        "r" => {
            let from: Result<Vec<_>, ()> = b.lowerdatums.iter().map(range_datum_of).collect();
            let to: Result<Vec<_>, ()> = b.upperdatums.iter().map(range_datum_of).collect();
            match (from, to) {
                (Ok(from), Ok(to)) => PartitionBound::Range { from, to },
                _ => PartitionBound::Opaque,
            }
        }
        "l" => {
            let mut values = Vec::new();
            let mut accepts_null = false;
            for d in &b.listdatums {
                if crate::model::ast::is_null_const(d) {
                    accepts_null = true;
                } else if let Some(v) = literal_of(d) {
                    values.push(v);
                } else {
                    return PartitionBound::Opaque;
                }
            }
            PartitionBound::List {
                values,
                accepts_null,
            }
        }
        "h" => PartitionBound::Hash {
            modulus: b.modulus.max(0) as u32,
            remainder: b.remainder.max(0) as u32,
        },
        _ => PartitionBound::Opaque,
    }
}

/// The partition of `parent` (one level) a row with this key value goes
/// to: `Some(Some(p))`, `Some(None)` when no partition takes it, `None`
/// when the bounds are not literal enough to tell.
pub fn route_one(cat: &Catalog, parent: &QName, key: &Literal) -> Option<Option<QName>> {
    let r = cat.get(parent)?;
    let mut default = None;
    for p in &r.partitions {
        let pr = cat.get(p)?;
        let hit = match pr.bound.as_ref()? {
            PartitionBound::Default => {
                default = Some(p.clone());
                false
            }
            PartitionBound::List { values, .. } => values.contains(key),
            PartitionBound::Range { from, to } => {
                if from.len() != 1 || to.len() != 1 {
                    return None;
                }
                let lo = match &from[0] {
                    Some(l) => l <= key,
                    None => true,
                };
                let hi = match &to[0] {
                    Some(h) => key < h,
                    None => true,
                };
                lo && hi
            }
            PartitionBound::Hash { .. } | PartitionBound::Opaque => return None,
        };
        if hit {
            return Some(Some(p.clone()));
        }
    }
    Some(default)
}

/// The leaf partition a row with this key value goes to, if the bounds
/// are literal enough to tell.
pub fn route(cat: &Catalog, parent: &QName, key: &Literal) -> Option<QName> {
    let r = cat.get(parent)?;
    let mut default = None;
    for p in &r.partitions {
        let pr = cat.get(p)?;
        let hit = match pr.bound.as_ref()? {
            PartitionBound::Default => {
                default = Some(p.clone());
                false
            }
            PartitionBound::List { values, .. } => values.contains(key),
            PartitionBound::Range { from, to } => {
                let lo = match from.first() {
                    Some(Some(l)) => l <= key,
                    Some(None) => true,
                    None => return None,
                };
                let hi = match to.first() {
                    Some(Some(h)) => key < h,
                    Some(None) => true,
                    None => return None,
                };
                if from.len() > 1 {
                    return None;
                }
                lo && hi
            }
            PartitionBound::Hash { .. } | PartitionBound::Opaque => return None,
        };
        if hit {
            if pr.kind == RelKind::PartitionedTable {
                return None;
            }
            return Some(p.clone());
        }
    }
    default
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

/// The name and argument types of `name(args)` in DROP / ALTER FUNCTION
/// (`None`: no list given).
pub fn object_with_args(o: &pb::ObjectWithArgs) -> (Vec<String>, Option<Vec<String>>) {
    let names = strings(&o.objname);
    if o.args_unspecified {
        return (names, None);
    }
    let args = o
        .objargs
        .iter()
        .filter_map(|a| match &a.node {
            Some(N::TypeName(t)) => Some(TypeRef::from_ast(t).display()),
            _ => None,
        })
        .collect();
    (names, Some(args))
}

/// The functions an index's expressions and predicate call.
fn index_functions(
    s: &pb::IndexStmt,
    cat: &Catalog,
    session: &super::session::Session,
) -> Vec<FuncRef> {
    let mut out: Vec<FuncRef> = Vec::new();
    let exprs = s
        .index_params
        .iter()
        .filter_map(|p| match &p.node {
            Some(N::IndexElem(e)) => e.expr.as_deref(),
            _ => None,
        })
        .chain(s.where_clause.as_deref());
    for e in exprs {
        for u in functions::uses_in(e, &UseKind::Index, cat, session) {
            if !out.contains(&u.func) {
                out.push(u.func);
            }
        }
    }
    out
}

/// The functions a column definition's DEFAULT and generation
/// expression call.
fn column_uses(def: &pb::ColumnDef, cat: &Catalog, v: &CatalogView) -> Vec<FuncUse> {
    let mut out = Vec::new();
    if let Some(d) = def.raw_default.as_deref() {
        out.extend(functions::uses_in(
            d,
            &UseKind::Default(def.colname.clone()),
            cat,
            v.session,
        ));
    }
    for c in def.constraints.iter().filter_map(|n| match &n.node {
        Some(N::Constraint(c)) => Some(c),
        _ => None,
    }) {
        let kind = match C::try_from(c.contype).unwrap_or(C::Undefined) {
            C::ConstrDefault => UseKind::Default(def.colname.clone()),
            C::ConstrGenerated => UseKind::Generated(def.colname.clone()),
            _ => continue,
        };
        if let Some(e) = c.raw_expr.as_deref() {
            out.extend(functions::uses_in(e, &kind, cat, v.session));
        }
    }
    out
}

/// Record that `q` uses functions (touching the relation only when there
/// is something to record: a mutable access marks its reverse links).
fn add_uses(cat: &mut Catalog, q: &QName, uses: Vec<FuncUse>) {
    if uses.is_empty() {
        return;
    }
    if let Some(r) = cat.get_mut(q) {
        for u in uses {
            if !r.function_uses.contains(&u) {
                r.function_uses.push(u);
            }
        }
    }
}

/// Forget the uses of `q` that `what` selects.
fn remove_uses(cat: &mut Catalog, q: &QName, what: impl Fn(&UseKind) -> bool) {
    let any = cat
        .get(q)
        .is_some_and(|r| r.function_uses.iter().any(|u| what(&u.kind)));
    if any {
        if let Some(r) = cat.get_mut(q) {
            r.function_uses.retain(|u| !what(&u.kind));
        }
    }
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

/// DROP FUNCTION's catalog change on what uses the function: with
/// CASCADE those objects are dropped (defaults, CHECK constraints,
/// triggers, policies, indexes, views; a generated column on 15+, only
/// its expression before). Returns whether the drop succeeds: RESTRICT
/// fails when anything uses it (before 15 a generated column does not
/// stop it: its expression depends on the function automatically).
fn drop_function_users(
    cat: &mut Catalog,
    name: &QName,
    args: Option<&[String]>,
    cascade: bool,
    pg: u32,
) -> bool {
    let users = cat.function_users(name, args);
    let blocking = users
        .iter()
        .any(|(_, k)| !(matches!(k, UseKind::Generated(_)) && (12..15).contains(&pg)));
    if !cascade && blocking {
        return false;
    }
    for (q, kind) in users {
        match &kind {
            UseKind::Index | UseKind::Query => {
                cat.remove_relation(&q);
                continue;
            }
            UseKind::Default(c) => {
                if let Some(col) = cat.get_mut(&q).and_then(|r| r.column_mut(c)) {
                    col.has_default = false;
                    col.default_query = None;
                }
            }
            UseKind::Generated(c) => {
                if let Some(r) = cat.get_mut(&q) {
                    if pg >= 15 {
                        r.columns.retain(|x| &x.name != c);
                    } else if let Some(col) = r.column_mut(c) {
                        col.generated = None;
                    }
                }
            }
            UseKind::Check(c) => {
                if let Some(r) = cat.get_mut(&q) {
                    r.constraints.retain(|x| &x.name != c);
                }
            }
            UseKind::Trigger { name, .. } => {
                if let Some(r) = cat.get_mut(&q) {
                    r.triggers.retain(|x| x != name);
                }
            }
            UseKind::Policy(p) => {
                if let Some(r) = cat.get_mut(&q) {
                    r.policies.retain(|x| x != p);
                }
            }
        }
        let dropped = kind.clone();
        remove_uses(cat, &q, |k| k == &dropped);
    }
    true
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

#[cfg(test)]
mod tests {
    use crate::model::{analyse, Input, Options};

    fn catalog_after(sql: &str) -> crate::model::catalog::Catalog {
        let a = analyse(
            vec![Input {
                path: "001.sql".into(),
                text: sql.into(),
                wrapping: Default::default(),
                report: true,
                map: None,
                project: None,
            }],
            &Options::default(),
        );
        a.catalog(None).clone()
    }

    /// The names PostgreSQL 15 gave these indexes (read from pg_class).
    #[test]
    fn unnamed_indexes_are_named_as_postgresql_names_them() {
        let cat = catalog_after(
            "CREATE TABLE t (a int, b int, name text);
             CREATE INDEX ON t (lower(name));
             CREATE INDEX ON t (a) INCLUDE (b);
             CREATE INDEX ON t ((a + b));
             CREATE INDEX ON t ((a::text));
             CREATE INDEX ON t (coalesce(a, b));
             CREATE INDEX ON t (('x'::text));
             CREATE INDEX ON t ((name COLLATE \"C\"));
             CREATE INDEX ON t (a, lower(name));",
        );
        let mut names: Vec<String> = cat
            .get(&crate::model::catalog::QName::new("public", "t"))
            .unwrap()
            .indexes
            .iter()
            .map(|q| q.name.clone())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "t_a_b_idx",
                "t_a_idx",
                "t_a_lower_idx",
                "t_coalesce_idx",
                "t_expr_idx",
                "t_lower_idx",
                "t_name_idx",
                "t_text_idx"
            ]
        );
    }
}
