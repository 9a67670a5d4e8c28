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
    let all = node.nodes();
    for (n, _, _, _) in &all {
        if let NodeRef::CommonTableExpr(c) = n {
            ctes.push(c.ctename.clone());
        }
    }
    for (n, _, _, _) in all {
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
