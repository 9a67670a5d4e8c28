//! The restriction clauses each scanned relation of a query gets from the
//! planner, as far as partition pruning ([`super::prune`]) reads them.
//!
//! Mirrored: `deconstruct_jointree` / `distribute_qual_to_rels` (WHERE and
//! inner-join ON conjuncts that read one relation become its restriction
//! clauses; conjuncts over several relations are join clauses, which plan-
//! time pruning never uses), equivalence classes (`process_equivalence`,
//! `generate_base_implied_equalities_const`: `m.k = t.k AND t.k = 5` gives
//! `m.k = 5`, and two different constants in one class, `k = 1 AND k = 2`,
//! give a constant-false clause), and `eval_const_expressions` (NOT pushed
//! down, comparisons with NULL folded to NULL).
//!
//! What is not mirrored is reported, never guessed: a relation inside a
//! sub-select, CTE or view whose outer query has conditions (which
//! PostgreSQL may push down into it), outer joins with conditions that
//! could prune, OR clauses spanning relations (`extract_restriction_or_
//! clauses`), immutable expressions the planner would fold to a constant
//! (`k = 1 + 4`): their filter is [`Filter::Unknown`].

use std::collections::{BTreeSet, HashMap};

use pg_query::protobuf::{self as pb, node::Node as N, Node, RangeVar};

use super::prune::{Clause, Op};
use crate::model::ast::{string_of, strings};
use crate::model::catalog::{Catalog, Literal, QName, RelKind};

/// The restriction clauses of one scan of a relation (ANDed), or why they
/// cannot be told.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Clauses(Vec<Clause>),
    Unknown(String),
}

/// Filters by the scanned RangeVar's location in the statement.
pub type Filters = HashMap<i32, Filter>;

/// Computes the filters of every scan of a partitioned table in a
/// statement (SELECT, INSERT ... SELECT, UPDATE, DELETE, CREATE TABLE AS).
pub fn statement_filters(node: &N, cat: &Catalog, resolve: &dyn Fn(&RangeVar) -> QName) -> Filters {
    let mut w = Walker {
        cat,
        resolve,
        out: HashMap::new(),
    };
    w.stmt(node, false);
    w.out
}

/// The filters of a stored query (a view's or materialized view's) by
/// the relation scanned.
pub fn stored_filters(
    query: &Node,
    cat: &Catalog,
    resolve: &dyn Fn(&RangeVar) -> QName,
) -> Vec<(QName, Filter)> {
    let Some(n) = &query.node else {
        return Vec::new();
    };
    let filters = statement_filters(n, cat, resolve);
    let mut out = Vec::new();
    for rv in crate::model::ast::collect_refs(n).relations {
        if let Some(f) = filters.get(&rv.location) {
            out.push((resolve(&rv), f.clone()));
        }
    }
    out
}

struct Walker<'a> {
    cat: &'a Catalog,
    resolve: &'a dyn Fn(&RangeVar) -> QName,
    out: Filters,
}

/// A relation of a query block's FROM list.
struct BlockRel<'n> {
    alias: String,
    /// A partitioned table scanned with its partitions.
    rv: Option<&'n RangeVar>,
    /// Its columns; None when not known (sub-selects, functions, tables
    /// the history does not show).
    cols: Option<Vec<String>>,
    /// Under an outer join.
    outer: bool,
}

/// Where a column reference points.
#[derive(Clone, Debug, PartialEq)]
enum Owner {
    Rel(usize),
    /// Not in this block: an outer query's column, a parameter here.
    Outer,
    Ambiguous,
}

/// An operand of a comparison.
enum Operand {
    Col(Owner, String),
    Lit(Literal),
    Null,
    /// Anything else: whether it reads columns, and whether it is
    /// certainly not a plan-time constant (parameter, sub-select, stable
    /// or volatile function).
    Other {
        has_cols: bool,
        not_const: bool,
    },
}

impl Walker<'_> {
    fn stmt(&mut self, n: &N, outer_quals: bool) {
        match n {
            N::SelectStmt(s) => self.select(s, outer_quals),
            N::InsertStmt(s) => {
                self.with(s.with_clause.as_ref(), outer_quals);
                if let Some(q) = s.select_stmt.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, outer_quals);
                }
            }
            N::UpdateStmt(s) => {
                self.with(s.with_clause.as_ref(), outer_quals);
                self.block(
                    s.relation.as_ref(),
                    &s.from_clause,
                    s.where_clause.as_deref(),
                    outer_quals,
                );
            }
            N::DeleteStmt(s) => {
                self.with(s.with_clause.as_ref(), outer_quals);
                self.block(
                    s.relation.as_ref(),
                    &s.using_clause,
                    s.where_clause.as_deref(),
                    outer_quals,
                );
            }
            N::CreateTableAsStmt(s) => {
                if let Some(q) = s.query.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, outer_quals);
                }
            }
            N::ExplainStmt(s) => {
                if let Some(q) = s.query.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, outer_quals);
                }
            }
            _ => {}
        }
    }

    fn with(&mut self, w: Option<&pb::WithClause>, outer_quals: bool) {
        for c in w.iter().flat_map(|w| w.ctes.iter()) {
            if let Some(N::CommonTableExpr(cte)) = &c.node {
                if let Some(q) = cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, outer_quals);
                }
            }
        }
    }

    fn select(&mut self, s: &pb::SelectStmt, outer_quals: bool) {
        if s.op != pb::SetOperation::SetopNone as i32 {
            self.with(s.with_clause.as_ref(), outer_quals);
            for arm in [s.larg.as_deref(), s.rarg.as_deref()].into_iter().flatten() {
                self.select(arm, outer_quals);
            }
            return;
        }
        // A CTE referenced by a block with conditions may be inlined
        // (PostgreSQL 12+) and get them.
        let own_quals = s.where_clause.is_some() || has_join_quals(&s.from_clause);
        self.with(s.with_clause.as_ref(), outer_quals || own_quals);
        self.block(None, &s.from_clause, s.where_clause.as_deref(), outer_quals);
        // Sub-selects in the target list, HAVING, ...: conditions of this
        // block reach them only through its WHERE.
        for t in s.target_list.iter().chain(s.having_clause.as_deref()) {
            self.sublinks(t, outer_quals || own_quals);
        }
    }

    /// Visits the sub-selects inside an expression.
    fn sublinks(&mut self, n: &Node, outer_quals: bool) {
        let mut subs = Vec::new();
        find_sublinks(n, &mut subs);
        for s in subs {
            self.stmt(s, outer_quals);
        }
    }

    /// One query block: an UPDATE/DELETE target (`target`), the FROM
    /// items and the WHERE clause.
    fn block(
        &mut self,
        target: Option<&RangeVar>,
        from: &[Node],
        where_clause: Option<&Node>,
        outer_quals: bool,
    ) {
        let mut rels: Vec<BlockRel> = Vec::new();
        let mut quals: Vec<&Node> = Vec::new();
        let mut outer_join_quals: Vec<&Node> = Vec::new();
        let mut nested: Vec<&N> = Vec::new();
        let mut complex = false;
        if let Some(t) = target {
            rels.push(self.block_rel(t, false));
        }
        for f in from {
            self.add_from_item(
                f,
                false,
                &mut rels,
                &mut quals,
                &mut outer_join_quals,
                &mut nested,
                &mut complex,
            );
        }
        if let Some(w) = where_clause {
            conjuncts(w, &mut quals);
        }
        // Conjuncts other than sub-selects: what may reach nested blocks.
        let plain_quals = quals
            .iter()
            .chain(outer_join_quals.iter())
            .any(|q| !is_sublink(q));
        for n in nested {
            self.stmt(n, outer_quals || plain_quals);
        }
        for q in quals.iter().chain(outer_join_quals.iter()) {
            self.sublinks(q, outer_quals || plain_quals);
        }
        let ecs = Ecs::build(&quals, &rels, self);
        for (i, r) in rels.iter().enumerate() {
            let Some(rv) = r.rv else { continue };
            let filter = if outer_quals {
                Filter::Unknown(format!(
                    "{} is read in a sub-query whose outer query has conditions PostgreSQL \
                     may push into it: partition pruning there is not modelled",
                    rv.relname
                ))
            } else if complex {
                self.unless_relevant(
                    i,
                    &rels,
                    quals.iter().chain(outer_join_quals.iter()),
                    &ecs,
                    "is joined with USING or NATURAL",
                )
            } else if r.outer {
                self.unless_relevant(
                    i,
                    &rels,
                    quals.iter().chain(outer_join_quals.iter()),
                    &ecs,
                    "is on a side of an outer join",
                )
            } else {
                self.restriction(i, &rels, &quals, &ecs)
            };
            self.out.insert(rv.location, filter);
        }
    }

    fn block_rel<'n>(&self, rv: &'n RangeVar, outer: bool) -> BlockRel<'n> {
        let q = (self.resolve)(rv);
        let rel = self.cat.get(&q);
        let alias = rv
            .alias
            .as_ref()
            .map(|a| a.aliasname.clone())
            .unwrap_or_else(|| rv.relname.clone());
        let partitioned = rel.is_some_and(|r| r.kind == RelKind::PartitionedTable);
        BlockRel {
            alias,
            rv: (partitioned && rv.inh).then_some(rv),
            cols: rel
                .filter(|r| !r.columns.is_empty())
                .map(|r| r.columns.iter().map(|c| c.name.clone()).collect()),
            outer,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_from_item<'n>(
        &self,
        f: &'n Node,
        outer: bool,
        rels: &mut Vec<BlockRel<'n>>,
        quals: &mut Vec<&'n Node>,
        outer_join_quals: &mut Vec<&'n Node>,
        nested: &mut Vec<&'n N>,
        complex: &mut bool,
    ) {
        match &f.node {
            Some(N::RangeVar(rv)) => rels.push(self.block_rel(rv, outer)),
            Some(N::JoinExpr(j)) => {
                let inner = j.jointype == pb::JoinType::JoinInner as i32;
                let side_outer = outer || !inner;
                if j.is_natural || !j.using_clause.is_empty() {
                    *complex = true;
                }
                for side in [j.larg.as_deref(), j.rarg.as_deref()].into_iter().flatten() {
                    self.add_from_item(
                        side,
                        side_outer,
                        rels,
                        quals,
                        outer_join_quals,
                        nested,
                        complex,
                    );
                }
                if let Some(q) = j.quals.as_deref() {
                    if side_outer {
                        conjuncts(q, outer_join_quals);
                    } else {
                        conjuncts(q, quals);
                    }
                }
            }
            Some(N::RangeSubselect(s)) => {
                if let Some(q) = s.subquery.as_deref().and_then(|q| q.node.as_ref()) {
                    nested.push(q);
                }
                rels.push(BlockRel {
                    alias: s
                        .alias
                        .as_ref()
                        .map(|a| a.aliasname.clone())
                        .unwrap_or_default(),
                    rv: None,
                    cols: None,
                    outer,
                });
            }
            Some(N::RangeFunction(rf)) => rels.push(BlockRel {
                alias: rf
                    .alias
                    .as_ref()
                    .map(|a| a.aliasname.clone())
                    .unwrap_or_default(),
                rv: None,
                cols: None,
                outer,
            }),
            Some(N::RangeTableSample(ts)) => {
                if let Some(Node {
                    node: Some(N::RangeVar(rv)),
                }) = ts.relation.as_deref()
                {
                    rels.push(self.block_rel(rv, outer));
                }
            }
            _ => rels.push(BlockRel {
                alias: String::new(),
                rv: None,
                cols: None,
                outer,
            }),
        }
    }

    /// Which relation of the block a column reference reads.
    fn owner(&self, c: &pb::ColumnRef, rels: &[BlockRel]) -> (Owner, String) {
        let fields = strings(&c.fields);
        match fields.as_slice() {
            [col] => {
                let mut found = None;
                let mut unsure = false;
                for (i, r) in rels.iter().enumerate() {
                    match &r.cols {
                        Some(cols) if cols.contains(col) => {
                            if found.is_some() {
                                unsure = true;
                            }
                            found = Some(i);
                        }
                        Some(_) => {}
                        None => unsure = true,
                    }
                }
                let owner = match (found, unsure) {
                    (Some(i), false) => Owner::Rel(i),
                    (None, false) => Owner::Outer,
                    _ => Owner::Ambiguous,
                };
                (owner, col.clone())
            }
            [.., rel, col] => {
                let owner = match rels.iter().position(|r| &r.alias == rel) {
                    Some(i) => Owner::Rel(i),
                    None => Owner::Outer,
                };
                (owner, col.clone())
            }
            // `*` and the like.
            _ => (Owner::Ambiguous, String::new()),
        }
    }

    /// The restriction clauses of relation `i` of an inner-join block.
    fn restriction(&self, i: usize, rels: &[BlockRel], quals: &[&Node], ecs: &Ecs) -> Filter {
        let mut out = Vec::new();
        for q in quals {
            if ecs.absorbed(q) {
                continue;
            }
            let mut owners = Vec::new();
            column_owners(q, rels, self, &mut owners);
            let mine = owners.iter().any(|(o, _)| *o == Owner::Rel(i));
            let others = owners
                .iter()
                .any(|(o, _)| *o != Owner::Rel(i) && *o != Owner::Outer);
            if owners.is_empty() {
                // A variable-free condition: a gating qual; on a single
                // relation it is that relation's restriction.
                let c = self.conv(q, i, rels);
                match c {
                    Clause::Const(Some(true)) => {}
                    _ if rels.len() == 1 => out.push(c),
                    _ => {
                        return Filter::Unknown(
                            "a condition without columns in a join: where PostgreSQL applies \
                             it is not modelled"
                                .into(),
                        )
                    }
                }
            } else if mine && !others {
                out.push(self.conv(q, i, rels));
            } else if mine && is_or(q) {
                // OR clauses over several relations can yield restriction
                // clauses of their own (extract_restriction_or_clauses).
                let cols = owners
                    .iter()
                    .filter(|(o, _)| *o == Owner::Rel(i) || *o == Owner::Ambiguous)
                    .map(|(_, c)| c.clone())
                    .collect();
                out.push(Clause::Opaque { cols });
            } else if owners.iter().any(|(o, _)| *o == Owner::Ambiguous) {
                let cols = owners.iter().map(|(_, c)| c.clone()).collect();
                out.push(Clause::Opaque { cols });
            }
        }
        match ecs.derived(i) {
            Ok(mut d) => out.append(&mut d),
            Err(why) => return Filter::Unknown(why),
        }
        Filter::Clauses(out)
    }

    /// Relation `i` sits where restriction clauses are not modelled:
    /// exact (no pruning) only when no condition could prune it.
    fn unless_relevant<'q>(
        &self,
        i: usize,
        rels: &[BlockRel],
        quals: impl Iterator<Item = &'q &'q Node>,
        ecs: &Ecs,
        why: &str,
    ) -> Filter {
        let rv = rels[i].rv.expect("partitioned");
        let keys = tree_key_columns(self.cat, &(self.resolve)(rv));
        let unknown = || {
            Filter::Unknown(format!(
                "{} {why}: partition pruning there is not modelled",
                rv.relname
            ))
        };
        if ecs.has_contradiction() {
            return unknown();
        }
        for q in quals {
            let mut owners = Vec::new();
            column_owners(q, rels, self, &mut owners);
            if owners.is_empty() || owners.iter().any(|(_, c)| keys.contains(c)) {
                return unknown();
            }
        }
        Filter::Clauses(Vec::new())
    }

    fn operand(&self, n: &Node, rels: &[BlockRel]) -> Operand {
        match &n.node {
            Some(N::ColumnRef(c)) => {
                let (o, col) = self.owner(c, rels);
                Operand::Col(o, col)
            }
            _ if crate::model::ast::is_null_const(n) => Operand::Null,
            _ => match literal(n) {
                Some(l) => Operand::Lit(l),
                None => {
                    let mut owners = Vec::new();
                    column_owners(n, rels, self, &mut owners);
                    Operand::Other {
                        has_cols: !owners.is_empty(),
                        not_const: not_plan_time_constant(n),
                    }
                }
            },
        }
    }

    /// A conjunct as a clause on relation `i`.
    fn conv(&self, n: &Node, i: usize, rels: &[BlockRel]) -> Clause {
        let opaque = || {
            let mut owners = Vec::new();
            column_owners(n, rels, self, &mut owners);
            Clause::Opaque {
                cols: owners
                    .into_iter()
                    .filter(|(o, _)| *o == Owner::Rel(i) || *o == Owner::Ambiguous)
                    .map(|(_, c)| c)
                    .collect(),
            }
        };
        let col_of = |o: &Operand| match o {
            Operand::Col(Owner::Rel(j), c) if *j == i => Some(c.clone()),
            _ => None,
        };
        match &n.node {
            Some(N::BoolExpr(b)) => {
                let args = b.args.iter().map(|a| self.conv(a, i, rels));
                match pb::BoolExprType::try_from(b.boolop) {
                    Ok(pb::BoolExprType::AndExpr) => Clause::And(args.collect()),
                    Ok(pb::BoolExprType::OrExpr) => {
                        let mut flat = Vec::new();
                        for a in args {
                            match a {
                                Clause::Or(v) => flat.extend(v),
                                a => flat.push(a),
                            }
                        }
                        Clause::Or(flat)
                    }
                    Ok(pb::BoolExprType::NotExpr) => match b.args.first() {
                        Some(a) => self.conv(a, i, rels).negate(),
                        None => opaque(),
                    },
                    _ => opaque(),
                }
            }
            Some(N::NullTest(t)) => {
                let arg = t.arg.as_deref().map(|a| self.operand(a, rels));
                match arg.as_ref().and_then(col_of) {
                    Some(col) => Clause::NullTest {
                        col,
                        is_null: t.nulltesttype == pb::NullTestType::IsNull as i32,
                    },
                    None => match arg {
                        Some(Operand::Lit(_)) => {
                            Clause::Const(Some(t.nulltesttype != pb::NullTestType::IsNull as i32))
                        }
                        Some(Operand::Null) => {
                            Clause::Const(Some(t.nulltesttype == pb::NullTestType::IsNull as i32))
                        }
                        _ => opaque(),
                    },
                }
            }
            Some(N::AConst(c)) => match &c.val {
                _ if c.isnull => Clause::Const(None),
                Some(pb::a_const::Val::Boolval(b)) => Clause::Const(Some(b.boolval)),
                _ => opaque(),
            },
            Some(N::SubLink(_)) => Clause::Unprunable,
            Some(N::AExpr(e)) => self.conv_aexpr(e, i, rels).unwrap_or_else(opaque),
            _ => opaque(),
        }
    }

    fn conv_aexpr(&self, e: &pb::AExpr, i: usize, rels: &[BlockRel]) -> Option<Clause> {
        let kind = pb::AExprKind::try_from(e.kind).ok()?;
        let opname = match e.name.as_slice() {
            [n] => string_of(n)?,
            [s, n] if string_of(s) == Some("pg_catalog") => string_of(n)?,
            _ => return None,
        };
        let l = self.operand(e.lexpr.as_deref()?, rels);
        let col = match &l {
            Operand::Col(Owner::Rel(j), c) if *j == i => Some(c.clone()),
            _ => None,
        };
        let list_items = |n: &Node| -> Option<Vec<Operand>> {
            match &n.node {
                Some(N::List(l)) => Some(l.items.iter().map(|x| self.operand(x, rels)).collect()),
                Some(N::AArrayExpr(a)) => {
                    Some(a.elements.iter().map(|x| self.operand(x, rels)).collect())
                }
                _ => None,
            }
        };
        match kind {
            pb::AExprKind::AexprOp => {
                let op = Op::from_name(opname)?;
                let r = self.operand(e.rexpr.as_deref()?, rels);
                compare(l, op, r, i)
            }
            pb::AExprKind::AexprIn => {
                let op = Op::from_name(opname)?;
                let items = list_items(e.rexpr.as_deref()?)?;
                let col = col?;
                array_clause(col, op, items, op == Op::Eq)
            }
            pb::AExprKind::AexprOpAny | pb::AExprKind::AexprOpAll => {
                let op = Op::from_name(opname)?;
                let items = list_items(e.rexpr.as_deref()?)?;
                let col = col?;
                let use_or = kind == pb::AExprKind::AexprOpAny;
                if items.len() == 1 {
                    // ARRAY[x] stays an array operation.
                    return match items.into_iter().next() {
                        Some(Operand::Lit(v)) => Some(Clause::Array {
                            col,
                            op,
                            values: vec![Some(v)],
                            use_or,
                        }),
                        _ => None,
                    };
                }
                array_clause(col, op, items, use_or)
            }
            pb::AExprKind::AexprBetween | pb::AExprKind::AexprNotBetween => {
                let items = list_items(e.rexpr.as_deref()?)?;
                let [lo, hi] = <[Operand; 2]>::try_from(items).ok()?;
                let l2 = self.operand(e.lexpr.as_deref()?, rels);
                let ge = compare(l, Op::Ge, lo, i)?;
                let le = compare(l2, Op::Le, hi, i)?;
                Some(if kind == pb::AExprKind::AexprBetween {
                    Clause::And(vec![ge, le])
                } else {
                    Clause::Or(vec![ge.negate(), le.negate()])
                })
            }
            _ => None,
        }
    }
}

/// `a op b` as a clause on relation `i`; None for a shape the model does
/// not evaluate.
fn compare(l: Operand, op: Op, r: Operand, i: usize) -> Option<Clause> {
    let mine = |o: &Operand| matches!(o, Operand::Col(Owner::Rel(j), _) if *j == i);
    Some(match (l, r) {
        (Operand::Null, _) | (_, Operand::Null) => Clause::Const(None),
        (Operand::Col(Owner::Rel(j), col), Operand::Lit(value)) if j == i => {
            Clause::Cmp { col, op, value }
        }
        (Operand::Lit(value), Operand::Col(Owner::Rel(j), col)) if j == i => Clause::Cmp {
            col,
            op: op.commute(),
            value,
        },
        (Operand::Lit(a), Operand::Lit(b)) => match (a, b) {
            (Literal::Int(a), Literal::Int(b)) => Clause::Const(Some(eval(op, a.cmp(&b)))),
            (Literal::Text(a), Literal::Text(b)) if matches!(op, Op::Eq | Op::Ne) => {
                Clause::Const(Some(eval(op, a.cmp(&b))))
            }
            _ => Clause::Opaque { cols: Vec::new() },
        },
        // A column against a parameter, another column or a non-constant
        // expression: not usable at plan time.
        (a, b)
            if (mine(&a) || mine(&b))
                && [&a, &b].iter().all(|o| match o {
                    Operand::Col(..) => true,
                    Operand::Other {
                        has_cols,
                        not_const,
                    } => *has_cols || *not_const,
                    _ => false,
                }) =>
        {
            Clause::Unprunable
        }
        _ => return None,
    })
}

fn eval(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ord == Equal,
        Op::Ne => ord != Equal,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
    }
}

/// `col op ANY/ALL (items)`; a one-element IN list is a plain comparison
/// (`transformAExprIn`).
fn array_clause(col: String, op: Op, items: Vec<Operand>, use_or: bool) -> Option<Clause> {
    let mut values = Vec::new();
    for it in items {
        match it {
            Operand::Lit(v) => values.push(Some(v)),
            Operand::Null => values.push(None),
            _ => return None,
        }
    }
    if values.len() == 1 {
        return Some(match values.pop().flatten() {
            Some(value) => Clause::Cmp { col, op, value },
            None => Clause::Const(None),
        });
    }
    Some(Clause::Array {
        col,
        op,
        values,
        use_or,
    })
}

/// A literal as the parser hands it over: numbers, strings, and literals
/// cast to an integer or text type.
fn literal(n: &Node) -> Option<Literal> {
    use pb::a_const::Val;
    match &n.node {
        Some(N::AConst(c)) if !c.isnull => match &c.val {
            Some(Val::Ival(i)) => Some(Literal::Int(i.ival as i64)),
            Some(Val::Fval(f)) => f.fval.parse().ok().map(Literal::Int),
            Some(Val::Sval(s)) => Some(Literal::Text(s.sval.clone())),
            _ => None,
        },
        Some(N::TypeCast(tc)) => {
            let ty = crate::model::types::TypeRef::from_ast(tc.type_name.as_ref()?);
            if ty.array {
                return None;
            }
            let inner = literal(tc.arg.as_deref()?)?;
            match ty.name.as_str() {
                "int2" | "int4" | "int8" => match inner {
                    Literal::Int(i) => Some(Literal::Int(i)),
                    Literal::Text(s) => s.trim().parse().ok().map(Literal::Int),
                },
                "text" | "varchar" => match inner {
                    Literal::Text(s) => Some(Literal::Text(s)),
                    Literal::Int(i) => Some(Literal::Text(i.to_string())),
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// Parameters, sub-selects, and the usual stable or volatile functions are
/// not folded to constants at plan time.
fn not_plan_time_constant(n: &Node) -> bool {
    use pg_query::NodeRef;
    let Some(inner) = &n.node else { return false };
    inner.nodes().iter().any(|(x, _, _, _)| match x {
        NodeRef::ParamRef(_) | NodeRef::SubLink(_) | NodeRef::SqlvalueFunction(_) => true,
        NodeRef::FuncCall(f) => f.funcname.last().and_then(string_of).is_some_and(|f| {
            matches!(
                f,
                "now"
                    | "clock_timestamp"
                    | "statement_timestamp"
                    | "transaction_timestamp"
                    | "timeofday"
                    | "random"
                    | "nextval"
                    | "currval"
                    | "current_setting"
                    | "txid_current"
            )
        }),
        _ => false,
    })
}

fn conjuncts<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match &n.node {
        Some(N::BoolExpr(b)) if b.boolop == pb::BoolExprType::AndExpr as i32 => {
            for a in &b.args {
                conjuncts(a, out);
            }
        }
        _ => out.push(n),
    }
}

fn is_or(n: &Node) -> bool {
    matches!(&n.node, Some(N::BoolExpr(b)) if b.boolop == pb::BoolExprType::OrExpr as i32)
}

fn is_sublink(n: &Node) -> bool {
    matches!(&n.node, Some(N::SubLink(_)))
}

fn has_join_quals(from: &[Node]) -> bool {
    from.iter().any(|f| match &f.node {
        Some(N::JoinExpr(j)) => {
            j.quals.is_some()
                || j.is_natural
                || !j.using_clause.is_empty()
                || j.larg
                    .as_deref()
                    .is_some_and(|l| has_join_quals(std::slice::from_ref(l)))
                || j.rarg
                    .as_deref()
                    .is_some_and(|r| has_join_quals(std::slice::from_ref(r)))
        }
        _ => false,
    })
}

/// The statements of the sub-selects in an expression (not descending
/// into them).
fn find_sublinks<'n>(n: &'n Node, out: &mut Vec<&'n N>) {
    match &n.node {
        Some(N::SubLink(s)) => {
            if let Some(q) = s.subselect.as_deref().and_then(|q| q.node.as_ref()) {
                out.push(q);
            }
            if let Some(t) = s.testexpr.as_deref() {
                find_sublinks(t, out);
            }
        }
        Some(N::BoolExpr(b)) => b.args.iter().for_each(|a| find_sublinks(a, out)),
        Some(N::AExpr(e)) => {
            for x in [e.lexpr.as_deref(), e.rexpr.as_deref()]
                .into_iter()
                .flatten()
            {
                find_sublinks(x, out);
            }
        }
        Some(N::List(l)) => l.items.iter().for_each(|a| find_sublinks(a, out)),
        Some(N::ResTarget(r)) => {
            if let Some(v) = r.val.as_deref() {
                find_sublinks(v, out)
            }
        }
        Some(N::FuncCall(f)) => f.args.iter().for_each(|a| find_sublinks(a, out)),
        Some(N::NullTest(t)) => {
            if let Some(a) = t.arg.as_deref() {
                find_sublinks(a, out)
            }
        }
        Some(N::TypeCast(t)) => {
            if let Some(a) = t.arg.as_deref() {
                find_sublinks(a, out)
            }
        }
        Some(N::CoalesceExpr(c)) => c.args.iter().for_each(|a| find_sublinks(a, out)),
        Some(N::CaseExpr(c)) => {
            for a in c
                .args
                .iter()
                .chain(c.arg.as_deref())
                .chain(c.defresult.as_deref())
            {
                find_sublinks(a, out);
            }
        }
        Some(N::CaseWhen(w)) => {
            for a in [w.expr.as_deref(), w.result.as_deref()]
                .into_iter()
                .flatten()
            {
                find_sublinks(a, out);
            }
        }
        _ => {}
    }
}

/// Every column reference outside sub-selects, with its owner.
fn column_owners(n: &Node, rels: &[BlockRel], w: &Walker, out: &mut Vec<(Owner, String)>) {
    use pg_query::NodeRef;
    let Some(inner) = &n.node else { return };
    if let N::ColumnRef(c) = inner {
        out.push(w.owner(c, rels));
        return;
    }
    // Column references inside sub-selects belong to those (or are outer
    // references, parameters there): skip them.
    let mut sub_cols: Vec<*const pb::ColumnRef> = Vec::new();
    for (x, _, _, _) in inner.nodes() {
        if let NodeRef::SubLink(s) = x {
            if let Some(q) = s.subselect.as_deref().and_then(|q| q.node.as_ref()) {
                for (y, _, _, _) in q.nodes() {
                    if let NodeRef::ColumnRef(c) = y {
                        sub_cols.push(c as *const _);
                    }
                }
            }
        }
    }
    for (x, _, _, _) in inner.nodes() {
        if let NodeRef::ColumnRef(c) = x {
            if !sub_cols.contains(&(c as *const _)) {
                out.push(w.owner(c, rels));
            }
        }
    }
}

/// The partition key columns of a partitioned table and of its
/// partitioned partitions.
fn tree_key_columns(cat: &Catalog, q: &QName) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in std::iter::once(q.clone()).chain(cat.partitions_deep(q)) {
        if let Some(r) = cat.get(&t) {
            out.extend(r.partition_key.iter().flatten().cloned());
        }
    }
    out
}

/// A member of an equivalence class.
#[derive(Clone, Debug, PartialEq)]
enum Member {
    Col(usize, String),
    Lit(Literal),
}

/// Equivalence classes of a block's top-level `a = b` conjuncts between
/// columns and literals (union-find over members).
struct Ecs {
    members: Vec<Member>,
    parent: Vec<usize>,
    /// The conjuncts turned into classes, by address.
    absorbed: Vec<*const Node>,
}

impl Ecs {
    fn build(quals: &[&Node], rels: &[BlockRel], w: &Walker) -> Ecs {
        let mut ecs = Ecs {
            members: Vec::new(),
            parent: Vec::new(),
            absorbed: Vec::new(),
        };
        for q in quals {
            let Some(N::AExpr(e)) = &q.node else { continue };
            if e.kind != pb::AExprKind::AexprOp as i32
                || e.name.len() != 1
                || string_of(&e.name[0]) != Some("=")
            {
                continue;
            }
            let (Some(l), Some(r)) = (e.lexpr.as_deref(), e.rexpr.as_deref()) else {
                continue;
            };
            let member = |n: &Node| -> Option<Member> {
                match w.operand(n, rels) {
                    Operand::Col(Owner::Rel(j), c) => Some(Member::Col(j, c)),
                    Operand::Lit(v) => Some(Member::Lit(v)),
                    _ => None,
                }
            };
            let (Some(a), Some(b)) = (member(l), member(r)) else {
                continue;
            };
            // Two literals: left to constant folding.
            if matches!((&a, &b), (Member::Lit(_), Member::Lit(_))) {
                continue;
            }
            let (a, b) = (ecs.add(a), ecs.add(b));
            ecs.union(a, b);
            ecs.absorbed.push(*q as *const Node);
        }
        ecs
    }

    fn add(&mut self, m: Member) -> usize {
        if let Some(i) = self.members.iter().position(|x| *x == m) {
            return i;
        }
        self.members.push(m);
        self.parent.push(self.parent.len());
        self.parent.len() - 1
    }

    fn find(&self, mut x: usize) -> usize {
        while self.parent[x] != x {
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[rb] = ra;
        }
    }

    fn absorbed(&self, q: &Node) -> bool {
        self.absorbed.contains(&(q as *const Node))
    }

    /// The distinct literal values of each class root.
    fn class_values(&self) -> HashMap<usize, Vec<&Literal>> {
        let mut out: HashMap<usize, Vec<&Literal>> = HashMap::new();
        for (k, m) in self.members.iter().enumerate() {
            if let Member::Lit(v) = m {
                let vals = out.entry(self.find(k)).or_default();
                if !vals.iter().any(|x| same_value(x, v)) {
                    vals.push(v);
                }
            }
        }
        out
    }

    fn has_contradiction(&self) -> bool {
        self.class_values().values().any(|v| v.len() > 1)
    }

    /// The clauses classes give relation `i`: `col = constant`, or a
    /// constant false when a class holds two different constants.
    fn derived(&self, i: usize) -> Result<Vec<Clause>, String> {
        let values = self.class_values();
        let mut out = Vec::new();
        for (m, member) in self.members.iter().enumerate() {
            let Member::Col(rel, col) = member else {
                continue;
            };
            if *rel != i {
                continue;
            }
            let root = self.find(m);
            let Some(vals) = values.get(&root) else {
                continue;
            };
            if vals.len() > 1 {
                let spans = self.members.iter().enumerate().any(|(m2, x)| {
                    matches!(x, Member::Col(r2, _) if *r2 != i) && self.find(m2) == root
                });
                if spans {
                    return Err("equalities give one column two different constants across \
                                relations: where PostgreSQL applies the contradiction is not \
                                modelled"
                        .into());
                }
                out.push(Clause::Const(Some(false)));
            } else {
                out.push(Clause::Cmp {
                    col: col.clone(),
                    op: Op::Eq,
                    value: vals[0].clone(),
                });
            }
        }
        Ok(out)
    }
}

/// Constants the planner finds equal (`5`, `'5'` for an integer column).
fn same_value(a: &Literal, b: &Literal) -> bool {
    match (a, b) {
        (Literal::Int(x), Literal::Text(s)) | (Literal::Text(s), Literal::Int(x)) => {
            s.trim().parse::<i64>().ok() == Some(*x)
        }
        _ => a == b,
    }
}
