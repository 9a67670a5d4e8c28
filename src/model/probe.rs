//! Queries over catalog views, answered from the replayed catalog.
//!
//! Helper functions that create objects with dynamic SQL usually ask the
//! catalog first whether the object exists (`SELECT count(*) INTO n FROM
//! information_schema.table_constraints WHERE ...; IF n = 0 THEN EXECUTE
//! ...`, `IF NOT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = ...)`,
//! `to_regclass(...) IS NULL`). Following such a function needs the answer,
//! and the replayed catalog has it, within limits:
//!
//! * only one view or catalog table in FROM, a WHERE of `column = value`
//!   (or `column IN (...)`) conditions joined by AND, and a target list of
//!   `count(*)`, constants, `*` or columns;
//! * only the columns listed in [`View::columns`]; any other is not known;
//! * "no row" is only believed where the history is the whole truth: in a
//!   schema the history created relations in, and not about the indexes,
//!   constraints, columns or partitions of a relation the history does not
//!   create (`Catalog::unseen`). Everywhere else the answer is unknown,
//!   which makes the caller give up.
//!
//! Mirrors the view definitions of `system_views.sql` and
//! `information_schema.sql` (which relkinds each lists, how it spells a
//! constraint type).

use pg_query::protobuf::{self as pb, node::Node as N, Node};

use super::ast::{string_of, strings};
use super::catalog::{Catalog, ConstraintKind, QName, RelKind, Relation};
use super::consts::{compare, quote_ident, truth, Res, Stop, Val};
use super::session::Session;

/// The catalog views and tables ddlint can answer for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum View {
    PgTables,
    PgIndexes,
    PgViews,
    PgMatviews,
    PgSequences,
    PgClass,
    PgInherits,
    PgConstraint,
    PgNamespace,
    InfoTables,
    InfoColumns,
    InfoTableConstraints,
    InfoSchemata,
}

impl View {
    fn of(schema: &str, name: &str) -> Option<View> {
        let catalog = schema.is_empty() || schema == "pg_catalog";
        let info = schema == "information_schema";
        Some(match name {
            "pg_tables" if catalog => View::PgTables,
            "pg_indexes" if catalog => View::PgIndexes,
            "pg_views" if catalog => View::PgViews,
            "pg_matviews" if catalog => View::PgMatviews,
            "pg_sequences" if catalog => View::PgSequences,
            "pg_class" if catalog => View::PgClass,
            "pg_inherits" if catalog => View::PgInherits,
            "pg_constraint" if catalog => View::PgConstraint,
            "pg_namespace" if catalog => View::PgNamespace,
            "tables" if info => View::InfoTables,
            "columns" if info => View::InfoColumns,
            "table_constraints" if info => View::InfoTableConstraints,
            "schemata" if info => View::InfoSchemata,
            _ => return None,
        })
    }

    /// The columns known, in the view's order.
    fn columns(self) -> &'static [&'static str] {
        match self {
            View::PgTables => &["schemaname", "tablename"],
            View::PgIndexes => &["schemaname", "tablename", "indexname"],
            View::PgViews => &["schemaname", "viewname"],
            View::PgMatviews => &["schemaname", "matviewname"],
            View::PgSequences => &["schemaname", "sequencename"],
            View::PgClass => &["relname", "relkind"],
            View::PgInherits => &["inhrelid", "inhparent"],
            View::PgConstraint => &["conname", "contype", "conrelid"],
            View::PgNamespace => &["nspname"],
            View::InfoTables => &["table_schema", "table_name", "table_type"],
            View::InfoColumns => &["table_schema", "table_name", "column_name"],
            View::InfoTableConstraints => &[
                "constraint_schema",
                "constraint_name",
                "table_schema",
                "table_name",
                "constraint_type",
            ],
            View::InfoSchemata => &["schema_name"],
        }
    }

    /// The column holding the schema of a row's relation.
    fn schema_column(self) -> Option<&'static str> {
        match self {
            View::PgTables
            | View::PgIndexes
            | View::PgViews
            | View::PgMatviews
            | View::PgSequences => Some("schemaname"),
            View::InfoTables | View::InfoColumns | View::InfoTableConstraints => {
                Some("table_schema")
            }
            _ => None,
        }
    }

    /// The column naming the relation a row is about (or belongs to).
    fn relation_column(self) -> Option<&'static str> {
        match self {
            View::PgTables | View::PgIndexes | View::InfoTables => Some("tablename")
                .filter(|_| self != View::InfoTables)
                .or(Some("table_name")),
            View::InfoColumns | View::InfoTableConstraints => Some("table_name"),
            View::PgViews => Some("viewname"),
            View::PgMatviews => Some("matviewname"),
            View::PgSequences => Some("sequencename"),
            View::PgClass => Some("relname"),
            View::PgConstraint => Some("conrelid"),
            View::PgInherits => Some("inhrelid"),
            View::PgNamespace | View::InfoSchemata => None,
        }
    }

    /// Does a row say something about what a relation holds (indexes,
    /// constraints, columns, partitions) rather than that it exists? The
    /// history does not know that of a relation it does not create.
    fn about_contents(self) -> bool {
        matches!(
            self,
            View::PgIndexes
                | View::PgInherits
                | View::PgConstraint
                | View::InfoColumns
                | View::InfoTableConstraints
        )
    }
}

type Row = Vec<(&'static str, Val)>;

/// Is `sel` a query over one catalog view or table [`query`] knows?
pub fn reads_catalog_view(sel: &pb::SelectStmt) -> bool {
    view_of(sel).is_some()
}

/// The view a query reads, when it reads one [`query`] knows.
fn view_of(sel: &pb::SelectStmt) -> Option<View> {
    match sel.from_clause.as_slice() {
        [item] => match &item.node {
            Some(N::RangeVar(rv)) => View::of(&rv.schemaname, &rv.relname),
            _ => None,
        },
        _ => None,
    }
}

/// Does the view `sel` reads have a column of this name (so that a
/// PL/pgSQL variable of the same name is ambiguous)?
pub fn view_has_column(sel: &pb::SelectStmt, name: &str) -> bool {
    view_of(sel).is_some_and(|v| v.columns().contains(&name))
}

/// The rows of `sel`'s target list, or why they cannot be known.
/// `value` evaluates an expression that is not a column of the view (a
/// variable, a constant, a call).
pub fn query(
    sel: &pb::SelectStmt,
    cat: &Catalog,
    session: &Session,
    pg: u32,
    value: &mut dyn FnMut(&Node) -> Res,
) -> Result<Vec<Vec<Val>>, Stop> {
    let plain = sel.op == pb::SetOperation::SetopNone as i32
        && sel.group_clause.is_empty()
        && sel.having_clause.is_none()
        && sel.window_clause.is_empty()
        && sel.distinct_clause.is_empty()
        && sel.with_clause.is_none()
        && sel.values_lists.is_empty()
        && sel.limit_offset.is_none();
    let rv = match sel.from_clause.as_slice() {
        [item] => match &item.node {
            Some(N::RangeVar(rv)) => Some(rv),
            _ => None,
        },
        _ => None,
    };
    if let Some(why) = &cat.opaque {
        return Err(Stop::new(format!(
            "the catalog may not show everything: earlier, {why}"
        )));
    }
    let (Some(rv), true) = (rv, plain) else {
        return Err(Stop::new(
            "a query whose rows are known only when it runs (ddlint reads only simple queries over catalog views)",
        ));
    };
    let Some(view) = View::of(&rv.schemaname, &rv.relname) else {
        return Err(Stop::new(format!(
            "a query over {}, whose rows are known only when it runs",
            if rv.schemaname.is_empty() {
                rv.relname.clone()
            } else {
                format!("{}.{}", rv.schemaname, rv.relname)
            }
        )));
    };
    let alias = rv
        .alias
        .as_ref()
        .map(|a| a.aliasname.clone())
        .unwrap_or_else(|| rv.relname.clone());
    let column = |n: &Node| -> Option<&'static str> {
        let Some(N::ColumnRef(c)) = &n.node else {
            return None;
        };
        let fields = strings(&c.fields);
        let name = match fields.as_slice() {
            [col] => col,
            [rel, col] if *rel == alias => col,
            _ => return None,
        };
        view.columns().iter().copied().find(|k| *k == name.as_str())
    };
    // WHERE: column = value conjuncts.
    let mut filters: Vec<(&'static str, Vec<Val>)> = Vec::new();
    let mut conjuncts: Vec<&Node> = Vec::new();
    if let Some(w) = sel.where_clause.as_deref() {
        flatten_and(w, &mut conjuncts);
    }
    let unreadable = || Stop::new("a condition on a catalog view ddlint does not read");
    for c in conjuncts {
        let Some(N::AExpr(e)) = &c.node else {
            return Err(unreadable());
        };
        let op = e.name.last().and_then(string_of).unwrap_or("");
        let (Some(l), Some(r)) = (e.lexpr.as_deref(), e.rexpr.as_deref()) else {
            return Err(unreadable());
        };
        let kind = pb::AExprKind::try_from(e.kind).unwrap_or(pb::AExprKind::Undefined);
        match (kind, op) {
            (pb::AExprKind::AexprOp, "=") => {
                let (col, other) = match (column(l), column(r)) {
                    (Some(col), None) => (col, r),
                    (None, Some(col)) => (col, l),
                    _ => return Err(unreadable()),
                };
                let v = value(other)?;
                filters.push((col, vec![v]));
            }
            (pb::AExprKind::AexprIn, "=") => {
                let Some(col) = column(l) else {
                    return Err(unreadable());
                };
                let Some(N::List(list)) = &r.node else {
                    return Err(unreadable());
                };
                let mut vals = Vec::new();
                for item in &list.items {
                    vals.push(value(item)?);
                }
                filters.push((col, vals));
            }
            _ => return Err(unreadable()),
        }
    }
    let pinned = |col: &str| -> Option<&Val> {
        filters
            .iter()
            .find(|(c, vals)| *c == col && vals.len() == 1)
            .map(|(_, vals)| &vals[0])
    };
    // Where the answer is about: the schema filtered on, or the search
    // path (an unqualified name is looked up there).
    let schemas: Vec<String> = match view.schema_column().and_then(pinned) {
        Some(Val::Text(s)) => vec![s.clone()],
        Some(_) => return Err(unreadable()),
        None => session
            .search_path
            .iter()
            .filter(|s| s.as_str() != "pg_temp")
            .cloned()
            .collect(),
    };
    let named: Option<QName> = match view.relation_column().and_then(pinned) {
        Some(Val::Rel(q, _)) => Some(q.clone()),
        Some(Val::Text(n)) => Some(match schemas.as_slice() {
            [s] => QName::new(s.as_str(), n.as_str()),
            _ => schemas
                .iter()
                .map(|s| QName::new(s.as_str(), n.as_str()))
                .find(|q| cat.contains(q) || cat.unseen.contains_key(q))
                .unwrap_or_else(|| {
                    QName::new(
                        schemas.first().map(String::as_str).unwrap_or("public"),
                        n.as_str(),
                    )
                }),
        }),
        _ => None,
    };
    // What the history does not show.
    if !matches!(view, View::PgNamespace | View::InfoSchemata) {
        if let Some(s) = schemas
            .iter()
            .find(|s| !cat.relations.any_in_schema(s) && named.is_none())
        {
            return Err(Stop::new(format!(
                "the history creates nothing in schema {s}: what is in it is not known"
            )));
        }
        match &named {
            Some(q) if cat.unseen.contains_key(q) && view.about_contents() => {
                return Err(Stop::new(format!(
                    "{q} is not created by the history: what it holds is not known"
                )));
            }
            Some(q) if !cat.contains(q) && !cat.unseen.contains_key(q) => {
                if !cat.relations.any_in_schema(&q.schema) {
                    return Err(Stop::new(format!(
                        "the history creates nothing in schema {}: whether {q} exists is not known",
                        q.schema
                    )));
                }
            }
            None if view.about_contents()
                && cat.unseen.keys().any(|q| schemas.contains(&q.schema)) =>
            {
                return Err(Stop::new(
                    "relations the history does not create may hold what the query looks for",
                ));
            }
            _ => {}
        }
    }
    if view == View::InfoTableConstraints {
        // NOT NULL constraints are listed as CHECK constraints with names
        // the history does not show.
        let typed = matches!(pinned("constraint_type"), Some(Val::Text(t)) if t != "CHECK");
        if !typed && pinned("constraint_name").is_none() {
            return Err(Stop::new(
                "information_schema.table_constraints lists NOT NULL constraints the history does not name",
            ));
        }
    }
    if view == View::PgConstraint && pg >= 18 {
        let typed = matches!(pinned("contype"), Some(Val::Text(t)) if t != "n");
        let named = matches!(pinned("conname"), Some(Val::Text(t)) if !t.ends_with("_not_null"));
        if !typed && !named {
            return Err(Stop::new(
                "pg_constraint lists NOT NULL constraints the history does not name (PostgreSQL 18)",
            ));
        }
    }
    if matches!(view, View::PgNamespace | View::InfoSchemata) {
        let col = view.columns()[0];
        if !matches!(pinned(col), Some(Val::Text(s)) if known_schema(cat, s)) {
            return Err(Stop::new(
                "schemas the history does not create may exist: not known",
            ));
        }
    }
    // Text columns the query pins to one value: rows that differ there are
    // not built (the filter below would drop them: text equality is byte
    // equality).
    let pinned_text: Vec<(&str, &str)> = filters
        .iter()
        .filter_map(|(c, vals)| match vals.as_slice() {
            [Val::Text(t)] => Some((*c, t.as_str())),
            _ => None,
        })
        .collect();
    let mut rows = Vec::new();
    for row in view_rows(view, cat, session, pg, named.as_ref(), &pinned_text) {
        let mut keep = true;
        for (col, vals) in &filters {
            let have = row
                .iter()
                .find(|(c, _)| c == col)
                .map(|(_, v)| v.clone())
                .unwrap_or(Val::Null);
            let mut any = false;
            for v in vals {
                let v = match (&have, v) {
                    // An oid column compared with a name: the name is a
                    // regclass literal.
                    (Val::Rel(..), Val::Text(t)) => match resolve(cat, session, t)? {
                        Some(q) => rel(cat, session, q),
                        None => {
                            return Err(Stop::new(format!(
                                "relation \"{t}\" does not exist (the statement fails)"
                            )))
                        }
                    },
                    _ => v.clone(),
                };
                if truth(compare("=", have.clone(), v)?)? == Some(true) {
                    any = true;
                    break;
                }
            }
            if !any {
                keep = false;
                break;
            }
        }
        if keep {
            rows.push(row);
        }
    }
    let limit = match sel.limit_count.as_deref() {
        Some(n) => match value(n)? {
            Val::Int(n) if n >= 0 => Some(n as usize),
            Val::Null => None,
            _ => return Err(unreadable()),
        },
        None => None,
    };
    targets(sel, &rows, &column, limit, value)
}

fn flatten_and<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match &n.node {
        Some(N::BoolExpr(b)) if b.boolop == pb::BoolExprType::AndExpr as i32 => {
            for a in &b.args {
                flatten_and(a, out);
            }
        }
        _ => out.push(n),
    }
}

/// The target list over the rows: `count(*)` (one row), constants, `*`,
/// columns.
fn targets(
    sel: &pb::SelectStmt,
    rows: &[Row],
    column: &dyn Fn(&Node) -> Option<&'static str>,
    limit: Option<usize>,
    value: &mut dyn FnMut(&Node) -> Res,
) -> Result<Vec<Vec<Val>>, Stop> {
    let exprs: Vec<&Node> = sel
        .target_list
        .iter()
        .filter_map(|t| match &t.node {
            Some(N::ResTarget(rt)) => rt.val.as_deref(),
            _ => None,
        })
        .collect();
    let is_count = |n: &Node| {
        matches!(&n.node, Some(N::FuncCall(f))
            if f.agg_star && f.funcname.last().and_then(string_of) == Some("count"))
    };
    if !exprs.is_empty() && exprs.iter().all(|e| is_count(e)) {
        let n = rows.len() as i64;
        return Ok(vec![vec![Val::Int(n); exprs.len()]]);
    }
    let mut out = Vec::new();
    for row in rows.iter().take(limit.unwrap_or(usize::MAX)) {
        let mut vals = Vec::new();
        for e in &exprs {
            if let Some(N::ColumnRef(c)) = &e.node {
                if matches!(
                    c.fields.last().and_then(|f| f.node.as_ref()),
                    Some(N::AStar(_))
                ) {
                    vals.extend(row.iter().map(|(_, v)| v.clone()));
                    continue;
                }
            }
            match column(e) {
                Some(col) => vals.push(
                    row.iter()
                        .find(|(c, _)| *c == col)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Val::Null),
                ),
                None if is_count(e) => return Err(Stop::new("an aggregate next to other columns")),
                None => vals.push(value(e)?),
            }
        }
        out.push(vals);
    }
    Ok(out)
}

fn known_schema(cat: &Catalog, s: &str) -> bool {
    cat.schemas.contains_key(s) || cat.relations.any_in_schema(s)
}

/// The rows of a view, from the catalog. `named`: a relation the query
/// pins, which stands for itself when the history does not create it
/// (it exists; nothing is known of what it holds).
fn view_rows(
    view: View,
    cat: &Catalog,
    session: &Session,
    pg: u32,
    named: Option<&QName>,
    pinned_text: &[(&str, &str)],
) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let differs = |col: &str, v: &str| pinned_text.iter().any(|(c, p)| *c == col && *p != v);
    let text = |s: &str| Val::Text(s.to_string());
    let mut rels: Vec<&Relation> = cat
        .relations
        .values()
        .filter(|r| r.name.schema != "pg_temp")
        .collect();
    if let Some(u) = named.and_then(|q| cat.unseen.get(q)) {
        rels.push(u);
    }
    for r in rels {
        if differs("tablename", &r.name.name) && !matches!(view, View::PgIndexes)
            || differs("table_name", &r.name.name)
            || differs("table_schema", &r.name.schema)
            || differs("schemaname", &r.name.schema)
            || differs("relname", &r.name.name)
        {
            continue;
        }
        // Built only for the rows a relation gives (most give none).
        let schema = || text(&r.name.schema);
        let name = || text(&r.name.name);
        match view {
            View::PgTables if matches!(r.kind, RelKind::Table | RelKind::PartitionedTable) => {
                rows.push(vec![("schemaname", schema()), ("tablename", name())]);
            }
            View::PgViews if r.kind == RelKind::View => {
                rows.push(vec![("schemaname", schema()), ("viewname", name())]);
            }
            View::PgMatviews if r.kind == RelKind::MatView => {
                rows.push(vec![("schemaname", schema()), ("matviewname", name())]);
            }
            View::PgSequences if r.kind == RelKind::Sequence => {
                rows.push(vec![("schemaname", schema()), ("sequencename", name())]);
            }
            View::PgIndexes if r.kind.is_index() => {
                if let Some(i) = &r.index {
                    let table_kind = cat.get(&i.table).map(|t| t.kind);
                    if matches!(
                        table_kind,
                        Some(RelKind::Table | RelKind::PartitionedTable | RelKind::MatView)
                    ) {
                        rows.push(vec![
                            ("schemaname", schema()),
                            ("tablename", text(&i.table.name)),
                            ("indexname", name()),
                        ]);
                    }
                }
            }
            View::PgClass => {
                rows.push(vec![
                    ("relname", name()),
                    ("relkind", text(relkind(r.kind))),
                ]);
            }
            View::PgInherits => {
                for p in r.partition_of.iter().chain(r.inherits.iter()) {
                    rows.push(vec![
                        ("inhrelid", rel(cat, session, r.name.clone())),
                        ("inhparent", rel(cat, session, p.clone())),
                    ]);
                }
            }
            View::PgConstraint => {
                let mut conrelid = None;
                for c in &r.constraints {
                    let Some(t) = contype(&c.kind) else { continue };
                    if differs("conname", &c.name) || differs("contype", t) {
                        continue;
                    }
                    let conrelid = conrelid
                        .get_or_insert_with(|| rel(cat, session, r.name.clone()))
                        .clone();
                    rows.push(vec![
                        ("conname", text(&c.name)),
                        ("contype", text(t)),
                        ("conrelid", conrelid),
                    ]);
                }
            }
            View::InfoTables => {
                let ty = match r.kind {
                    RelKind::Table | RelKind::PartitionedTable => "BASE TABLE",
                    RelKind::View => "VIEW",
                    RelKind::ForeignTable => "FOREIGN",
                    _ => continue,
                };
                rows.push(vec![
                    ("table_schema", schema()),
                    ("table_name", name()),
                    ("table_type", text(ty)),
                ]);
            }
            View::InfoColumns if r.kind.is_table() => {
                for c in r
                    .columns
                    .iter()
                    .filter(|c| !differs("column_name", &c.name))
                {
                    rows.push(vec![
                        ("table_schema", schema()),
                        ("table_name", name()),
                        ("column_name", text(&c.name)),
                    ]);
                }
            }
            View::InfoTableConstraints if r.kind.is_table() => {
                for c in &r.constraints {
                    let ty = match &c.kind {
                        ConstraintKind::PrimaryKey => "PRIMARY KEY",
                        ConstraintKind::Unique => "UNIQUE",
                        ConstraintKind::ForeignKey { .. } => "FOREIGN KEY",
                        ConstraintKind::Check { .. } => "CHECK",
                        ConstraintKind::NotNull if pg >= 18 => "CHECK",
                        _ => continue,
                    };
                    if differs("constraint_name", &c.name) || differs("constraint_type", ty) {
                        continue;
                    }
                    rows.push(vec![
                        ("constraint_schema", schema()),
                        ("constraint_name", text(&c.name)),
                        ("table_schema", schema()),
                        ("table_name", name()),
                        ("constraint_type", text(ty)),
                    ]);
                }
            }
            _ => {}
        }
    }
    if let View::PgClass = view {
        for q in cat.composites.keys() {
            rows.push(vec![("relname", text(&q.name)), ("relkind", text("c"))]);
        }
    }
    if matches!(view, View::PgNamespace | View::InfoSchemata) {
        let col = view.columns()[0];
        let mut names: Vec<&String> = cat.schemas.keys().collect();
        for q in cat.relations.keys() {
            if !names.contains(&&q.schema) {
                names.push(&q.schema);
            }
        }
        for s in names {
            rows.push(vec![(col, text(s))]);
        }
    }
    rows
}

/// `pg_class.relkind`.
fn relkind(k: RelKind) -> &'static str {
    match k {
        RelKind::Table => "r",
        RelKind::PartitionedTable => "p",
        RelKind::View => "v",
        RelKind::MatView => "m",
        RelKind::Sequence => "S",
        RelKind::Index => "i",
        RelKind::PartitionedIndex => "I",
        RelKind::ForeignTable => "f",
    }
}

/// `pg_constraint.contype`.
fn contype(k: &ConstraintKind) -> Option<&'static str> {
    Some(match k {
        ConstraintKind::PrimaryKey => "p",
        ConstraintKind::Unique => "u",
        ConstraintKind::ForeignKey { .. } => "f",
        ConstraintKind::Check { .. } => "c",
        ConstraintKind::Exclusion => "x",
        ConstraintKind::NotNull => "n",
    })
}

/// A relation as a `regclass` value: `regclassout` writes the name alone
/// when the search path finds it, else schema-qualified.
pub fn rel(cat: &Catalog, session: &Session, q: QName) -> Val {
    let visible = session
        .search_path
        .iter()
        .map(|s| QName::new(s.as_str(), q.name.as_str()))
        .find(|c| cat.contains(c) || cat.unseen.contains_key(c))
        .is_some_and(|c| c == q);
    let shown = if visible {
        quote_ident(&q.name)
    } else {
        format!("{}.{}", quote_ident(&q.schema), quote_ident(&q.name))
    };
    Val::Rel(q, shown)
}

/// The relation a `regclass` input names (`regclassin`:
/// `stringToQualifiedNameList`, then `RangeVarGetRelid` through the search
/// path). `Ok(None)` when it does not exist; unknown when the history
/// cannot tell.
pub fn resolve(cat: &Catalog, session: &Session, text: &str) -> Result<Option<QName>, Stop> {
    if let Some(why) = &cat.opaque {
        return Err(Stop::new(format!(
            "the catalog may not show everything: earlier, {why}"
        )));
    }
    let parts = split_qualified(text).ok_or_else(|| {
        Stop::new(format!(
            "invalid name syntax: \"{text}\" (the statement fails)"
        ))
    })?;
    let exists = |q: &QName| cat.contains(q) || cat.unseen.contains_key(q);
    let candidates: Vec<QName> = match parts.as_slice() {
        [n] => std::iter::once("pg_temp".to_string())
            .chain(session.search_path.iter().cloned())
            .map(|s| QName::new(s, n.as_str()))
            .collect(),
        [s, n] => vec![QName::new(s.as_str(), n.as_str())],
        [_, s, n] => vec![QName::new(s.as_str(), n.as_str())],
        _ => {
            return Err(Stop::new(format!(
                "improper relation name: \"{text}\" (the statement fails)"
            )))
        }
    };
    if let Some(q) = candidates.iter().find(|q| exists(q)) {
        return Ok(Some(q.clone()));
    }
    // Absent, if the history shows those schemas.
    match candidates
        .iter()
        .find(|q| q.schema != "pg_temp" && !cat.relations.any_in_schema(&q.schema))
    {
        Some(q) => Err(Stop::new(format!(
            "the history creates nothing in schema {}: whether {} exists is not known",
            q.schema, q.name
        ))),
        None => Ok(None),
    }
}

/// `stringToQualifiedNameList` / `SplitIdentifierString`: dot-separated
/// identifiers, unquoted ones folded to lower case, quoted ones kept with
/// `""` undoubled.
pub fn split_qualified(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        name.push('"');
                    }
                    '"' => break,
                    c => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c.is_whitespace() {
                    break;
                }
                name.extend(c.to_lowercase());
                chars.next();
            }
        }
        if name.is_empty() {
            return None;
        }
        out.push(name);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Some(out),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_fold_like_regclassin() {
        assert_eq!(split_qualified("Foo"), Some(vec!["foo".to_string()]));
        assert_eq!(
            split_qualified("s.\"My\"\"T\""),
            Some(vec!["s".to_string(), "My\"T".to_string()])
        );
        assert_eq!(split_qualified("a..b"), None);
        assert_eq!(split_qualified("\"open"), None);
    }
}
