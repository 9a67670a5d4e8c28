//! Functions the migration history created, in the lock model: what the
//! planner does with a call, and what a call does when it runs.
//!
//! Planning an expression (`eval_const_expressions` in
//! optimizer/util/clauses.c) fills in default arguments
//! (`expand_function_arguments`), replaces a strict function with a NULL
//! constant argument by NULL and runs an immutable one whose arguments are
//! constants (`evaluate_function`), and replaces a call of a SQL function
//! whose body is a single `SELECT <expression>` by that expression
//! (`inline_function`). To find out whether it can inline a function with
//! an `AS '...'` body, the planner parses and analyses the body, which
//! opens (and locks until the end of the transaction) every relation the
//! body names, even when the inlining then fails. A set-returning SQL
//! function in FROM is expanded as a subquery
//! (`inline_set_returning_function`). What is left in the plan runs when
//! the expression is evaluated: once, or once per row, and only then does
//! its body take its own locks.
//!
//! This answers: does an expression contain a volatile function once
//! planned (ADD COLUMN rewrites the table when it does, PostgreSQL 12+;
//! 11 looks at the expression as written), and which locks do the function
//! calls of a statement take, when planning and when they run. A call that
//! runs only if there are rows, and would then take locks the statement
//! does not already hold, makes the statement's effects unknown: a static
//! tool cannot know whether it runs.
//!
//! It also answers what `DROP FUNCTION` drops with the function: the
//! catalog records what uses each function (see [`UseKind`]).

use std::cell::Cell;

use pg_query::protobuf::{self as pb, node::Node as N, FunctionParameterMode as M, Node};

use super::ast::{const_str, defelem_name, language_and_body, strings, walk};
use super::catalog::{
    Catalog, FnLookup, FuncRef, FuncUse, Function, Origin, QName, RelKind, UseKind, Volatility,
};
use super::effects::{effects, Ctx, Effects};
use super::locks::LockMode::{self, *};
use super::session::Session;
use super::types::TypeRef;
use super::volatility::{builtin, Builtin};

/// Function bodies are followed this deep (a body calling a function
/// whose body calls ...); deeper is reported as unknown.
const MAX_DEPTH: usize = 8;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

// ---------------------------------------------------------------------
// Creating: CREATE FUNCTION as pg_proc records it.

/// The function a `CREATE FUNCTION` / `CREATE PROCEDURE` makes
/// (`CreateFunction`, `interpret_function_parameter_list`,
/// `compute_function_attributes`).
pub fn from_create(
    s: &pb::CreateFunctionStmt,
    session: &Session,
    origin: Origin,
) -> Option<Function> {
    let names = strings(&s.funcname);
    let name = match names.as_slice() {
        [.., sch, n] => QName::new(sch.as_str(), n.as_str()),
        [n] => QName::new(session.creation_schema(), n.as_str()),
        [] => return None,
    };
    let mut f = Function {
        name,
        arg_types: Vec::new(),
        arg_names: Vec::new(),
        arg_defaults: Vec::new(),
        variadic: false,
        language: String::new(),
        volatility: Volatility::Volatile,
        strict: false,
        security_definer: false,
        has_config: false,
        returns_set: s.return_type.as_ref().is_some_and(|t| t.setof),
        returns_record: false,
        return_type: None,
        body: None,
        atomic: false,
        is_procedure: s.is_procedure,
        origin,
    };
    let mut outs: Vec<TypeRef> = Vec::new();
    for p in &s.parameters {
        let Some(N::FunctionParameter(fp)) = &p.node else {
            continue;
        };
        let ty = fp
            .arg_type
            .as_ref()
            .map(TypeRef::from_ast)
            .unwrap_or_default();
        let mode = M::try_from(fp.mode).unwrap_or(M::FuncParamDefault);
        if matches!(
            mode,
            M::FuncParamOut | M::FuncParamInout | M::FuncParamTable
        ) {
            outs.push(ty.clone());
        }
        if matches!(mode, M::FuncParamOut | M::FuncParamTable) {
            continue;
        }
        f.variadic |= mode == M::FuncParamVariadic;
        f.arg_types.push(ty.display());
        f.arg_names.push(fp.name.clone());
        if let Some(d) = &fp.defexpr {
            if let Some(text) = deparse_expr(d) {
                f.arg_defaults.push(text);
            }
        }
    }
    let declared = s.return_type.as_ref().map(TypeRef::from_ast);
    // One OUT parameter is the result type; more make a record
    // (RETURNS TABLE too).
    f.return_type = match (outs.len(), declared) {
        (1, _) => outs.pop(),
        (0, d) => d,
        _ => None,
    };
    f.returns_record = f.return_type.as_ref().is_none_or(|t| t.name == "record") && !s.is_procedure;
    let (lang, body) = language_and_body(&s.options);
    f.language = lang.unwrap_or_else(|| "sql".into());
    f.body = body;
    for o in s.options.iter().filter_map(defelem_name) {
        let arg = o.arg.as_deref();
        match o.defname.as_str() {
            "volatility" => f.volatility = volatility_of(arg),
            "strict" => f.strict = bool_of(arg),
            "security" => f.security_definer = bool_of(arg),
            "set" => f.has_config = true,
            _ => {}
        }
    }
    if let Some(b) = &s.sql_body {
        f.atomic = true;
        f.body = atomic_body(b);
    }
    Some(f)
}

/// `ALTER FUNCTION ... IMMUTABLE | STRICT | SECURITY DEFINER | SET ... |
/// RESET ALL` (`AlterFunction`).
pub fn alter(f: &mut Function, actions: &[Node]) {
    for o in actions.iter().filter_map(defelem_name) {
        let arg = o.arg.as_deref();
        match o.defname.as_str() {
            "volatility" => f.volatility = volatility_of(arg),
            "strict" => f.strict = bool_of(arg),
            "security" => f.security_definer = bool_of(arg),
            "set" => {
                let reset_all = matches!(
                    arg.and_then(|a| a.node.as_ref()),
                    Some(N::VariableSetStmt(v)) if v.kind == pb::VariableSetKind::VarResetAll as i32
                );
                // RESET of one setting may leave others: keep it set.
                f.has_config = !reset_all;
            }
            _ => {}
        }
    }
}

fn volatility_of(arg: Option<&Node>) -> Volatility {
    match arg.and_then(const_str).as_deref() {
        Some("immutable") => Volatility::Immutable,
        Some("stable") => Volatility::Stable,
        _ => Volatility::Volatile,
    }
}

fn bool_of(arg: Option<&Node>) -> bool {
    match arg.and_then(|a| a.node.as_ref()) {
        Some(N::Boolean(b)) => b.boolval,
        Some(N::Integer(i)) => i.ival != 0,
        Some(_) => arg
            .and_then(const_str)
            .is_some_and(|v| matches!(v.as_str(), "on" | "true" | "1")),
        None => true,
    }
}

/// An expression as `SELECT <expr>` text (kept instead of a syntax tree).
fn deparse_expr(e: &Node) -> Option<String> {
    let sel = pb::SelectStmt {
        target_list: vec![Node {
            node: Some(N::ResTarget(Box::new(pb::ResTarget {
                val: Some(Box::new(e.clone())),
                ..Default::default()
            }))),
        }],
        // Every enum the deparser converts needs a valid value.
        op: pb::SetOperation::SetopNone as i32,
        limit_option: pb::LimitOption::Default as i32,
        ..Default::default()
    };
    N::SelectStmt(Box::new(sel))
        .deparse(Default::default())
        .ok()
}

/// The statements of a SQL-standard body, deparsed (`RETURN expr` is
/// stored as `SELECT expr`, as PostgreSQL stores it).
fn atomic_body(b: &Node) -> Option<String> {
    let mut stmts = Vec::new();
    flatten(b, &mut stmts);
    let mut parts = Vec::new();
    for st in stmts {
        let text = match &st {
            N::ReturnStmt(r) => deparse_expr(r.returnval.as_deref()?)?,
            other => other.deparse(Default::default()).ok()?,
        };
        parts.push(text);
    }
    Some(parts.join(";\n"))
}

fn flatten(n: &Node, out: &mut Vec<N>) {
    match &n.node {
        Some(N::List(l)) => l.items.iter().for_each(|i| flatten(i, out)),
        Some(other) => out.push(other.clone()),
        None => {}
    }
}

// ---------------------------------------------------------------------
// Resolving calls.

/// Who a call is.
#[derive(Debug)]
pub enum Callee<'c> {
    Builtin(Builtin),
    User(&'c Function),
    /// Neither a built-in ddlint knows nor created by the history (or an
    /// overload ddlint cannot pick): its volatility and body are unknown.
    Unknown(String),
}

/// `(schema, name)` of a call, as the parser folded them.
pub fn call_name(f: &pb::FuncCall) -> (Option<String>, String) {
    match strings(&f.funcname).as_slice() {
        [.., s, n] => (Some(s.clone()), n.clone()),
        [n] => (None, n.clone()),
        [] => (None, String::new()),
    }
}

/// Resolve a call: built-ins in `pg_catalog` first (it is searched before
/// the search path), then what the history created, by name and arity.
pub fn callee<'c>(cat: &'c Catalog, search_path: &[String], f: &pb::FuncCall) -> Callee<'c> {
    let (schema, name) = call_name(f);
    if schema.as_deref().is_none_or(|s| s == "pg_catalog") {
        if let Some(b) = builtin(&name) {
            return Callee::Builtin(b);
        }
    }
    let types: Vec<Option<String>> = f.args.iter().map(evident_type).collect();
    match cat.lookup_function(schema.as_deref(), &name, &types, search_path) {
        FnLookup::Found(func) => Callee::User(func),
        FnLookup::Ambiguous | FnLookup::Missing => Callee::Unknown(match schema {
            Some(s) => format!("{s}.{name}"),
            None => name,
        }),
    }
}

/// The type of an argument when it is evident without analysis: a
/// literal's (an untyped string is `unknown`: `None`) or a cast's.
fn evident_type(n: &Node) -> Option<String> {
    use pb::a_const::Val;
    match n.node.as_ref()? {
        N::AConst(c) => match c.val.as_ref()? {
            Val::Ival(_) => Some("int4".into()),
            Val::Fval(_) => Some("numeric".into()),
            Val::Boolval(_) => Some("bool".into()),
            _ => None,
        },
        N::TypeCast(c) => c.type_name.as_ref().map(|t| TypeRef::from_ast(t).display()),
        _ => None,
    }
}

/// The function a call depends on (`pg_depend`), or `None` for a
/// built-in. A function the history does not show is named by the first
/// schema of the search path.
pub fn call_ref(cat: &Catalog, session: &Session, f: &pb::FuncCall) -> Option<FuncRef> {
    match callee(cat, &session.search_path, f) {
        Callee::Builtin(_) => None,
        Callee::User(func) => Some(FuncRef::of(func)),
        Callee::Unknown(_) => {
            let (schema, name) = call_name(f);
            Some(FuncRef {
                name: QName::new(
                    schema.unwrap_or_else(|| session.creation_schema().to_string()),
                    name,
                ),
                nargs: f.args.len(),
                args: None,
            })
        }
    }
}

/// Every function an expression (or query) calls, with `kind`: what the
/// catalog records as depending on them.
pub fn uses_in(n: &Node, kind: &UseKind, cat: &Catalog, session: &Session) -> Vec<FuncUse> {
    let mut out: Vec<FuncUse> = Vec::new();
    if let Some(inner) = &n.node {
        walk(inner, &mut |x| {
            if let N::FuncCall(f) = x {
                if let Some(func) = call_ref(cat, session, f) {
                    let u = FuncUse {
                        func,
                        kind: kind.clone(),
                    };
                    if !out.contains(&u) {
                        out.push(u);
                    }
                }
            }
            true
        });
    }
    out
}

/// `SELECT <default>` when a column default calls a function the history
/// created (kept on the column for the INSERTs that leave it out).
pub fn default_query(e: &Node, cat: &Catalog, session: &Session) -> Option<Box<str>> {
    if cat.functions.is_empty() {
        return None;
    }
    let user = uses_in(e, &UseKind::Query, cat, session)
        .iter()
        .any(|u| u.func.args.is_some());
    if user {
        deparse_expr(e).map(String::into_boxed_str)
    } else {
        None
    }
}

/// The defaults of the columns of `q` a row leaves out (`omitted`), planned
/// with the INSERT (the rewriter puts them in its target list) and run
/// for each row.
pub fn column_defaults(
    q: &QName,
    omitted: &dyn Fn(&str) -> bool,
    runs: &Runs,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let Some(r) = cx.rel(q) else { return };
    let mut later = Vec::new();
    for c in &r.columns {
        let Some(text) = &c.default_query else {
            continue;
        };
        if !omitted(&c.name) {
            continue;
        }
        let Some(e) = select_target(text) else {
            continue;
        };
        let mut p = Planner::new(cx);
        p.plan_expr(&e);
        let Planner {
            plan, runs: calls, ..
        } = p;
        fx.merge(plan);
        later.push(calls);
    }
    for calls in later {
        settle_runs(&calls, runs, cx, fx);
    }
}

/// Does the statement call a function the history created? (A cheap
/// test before planning its calls.)
fn calls_user_function(n: &N, cat: &Catalog) -> bool {
    if cat.functions.is_empty() {
        return false;
    }
    let mut found = false;
    walk(n, &mut |x| {
        if let N::FuncCall(f) = x {
            if cat.functions.contains_key(&call_name(f).1) {
                found = true;
            }
        }
        !found
    });
    found
}

// ---------------------------------------------------------------------
// Planning: eval_const_expressions.

/// What planning left of an expression.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    /// `Some(is_null)` when the planned expression is a constant.
    konst: Option<bool>,
    /// The most volatile function left in it (`contain_volatile_functions`).
    volatility: Volatility,
    /// Holds something not strict (CASE, COALESCE, AND/OR, IS NULL, a
    /// non-strict function): `contain_nonstrict_functions`.
    nonstrict: bool,
    sublink: bool,
    /// Roughly `cost_qual_eval` in operators: one per operator or
    /// built-in, 100 per function in a procedural language.
    cost: u32,
}

impl Shape {
    fn constant(is_null: bool) -> Shape {
        Shape {
            konst: Some(is_null),
            ..Default::default()
        }
    }

    fn var() -> Shape {
        Shape::default()
    }

    /// The shape of a node made of `parts`, with its own `cost`.
    fn combine(parts: &[Shape], strict: bool, cost: u32) -> Shape {
        let all_const = parts.iter().all(|p| p.konst.is_some());
        Shape {
            konst: if all_const {
                Some(strict && parts.iter().any(|p| p.konst == Some(true)))
            } else {
                None
            },
            volatility: parts.iter().map(|p| p.volatility).max().unwrap_or_default(),
            nonstrict: !strict || parts.iter().any(|p| p.nonstrict),
            sublink: parts.iter().any(|p| p.sublink),
            cost: cost + parts.iter().map(|p| p.cost).sum::<u32>(),
        }
    }
}

/// The parameters of a SQL function being inlined: their names and the
/// planned arguments that replace them (`substitute_actual_parameters`).
struct Env<'e> {
    names: &'e [String],
    args: &'e [Shape],
}

impl Env<'_> {
    fn param(&self, i: usize) -> Shape {
        self.args.get(i).copied().unwrap_or_default()
    }
}

/// Plans expressions as `eval_const_expressions` does, recording the
/// locks planning takes and the functions left to run.
pub struct Planner<'c, 'a> {
    cx: &'c Ctx<'a>,
    /// Functions being inlined (`active_fns`): never inlined again inside.
    active: Vec<FuncRef>,
    /// Locks taken while planning: bodies parsed to try inlining them,
    /// functions run at plan time.
    pub plan: Effects,
    /// Functions left in the planned expression: they run when it is
    /// evaluated.
    pub runs: Vec<&'a Function>,
    /// The first function whose volatility is not known.
    pub unknown: Option<String>,
    /// SQL functions inlined (for notes).
    pub inlined: Vec<String>,
}

impl<'c, 'a> Planner<'c, 'a> {
    pub fn new(cx: &'c Ctx<'a>) -> Self {
        Planner {
            cx,
            active: Vec::new(),
            plan: Effects::default(),
            runs: Vec::new(),
            unknown: None,
            inlined: Vec::new(),
        }
    }

    /// Plan `n`; returns the volatility of what is left of it.
    pub fn plan_expr(&mut self, n: &Node) -> Volatility {
        self.expr(n, None).volatility
    }

    /// An optional part (a prefix operator's missing left operand, CASE
    /// without ELSE, a slice bound): absent, it neither varies nor makes
    /// the node NULL.
    fn opt(&mut self, n: &Option<Box<Node>>, env: Option<&Env>) -> Shape {
        match n {
            Some(n) => self.expr(n, env),
            None => Shape::constant(false),
        }
    }

    fn all(&mut self, ns: &[Node], env: Option<&Env>) -> Vec<Shape> {
        ns.iter().map(|n| self.expr(n, env)).collect()
    }

    fn expr(&mut self, n: &Node, env: Option<&Env>) -> Shape {
        let Some(inner) = &n.node else {
            return Shape::constant(false);
        };
        match inner {
            N::AConst(c) => Shape::constant(c.isnull),
            // A cast of a constant is folded; the cast functions of the
            // types that appear in defaults are not volatile.
            N::TypeCast(c) => self.opt(&c.arg, env),
            N::CollateClause(c) => self.opt(&c.arg, env),
            N::NamedArgExpr(a) => self.opt(&a.arg, env),
            N::ParamRef(p) => match env {
                Some(e) => e.param((p.number.max(1) - 1) as usize),
                None => Shape::var(),
            },
            N::ColumnRef(c) => {
                let fields = strings(&c.fields);
                match (env, fields.as_slice()) {
                    (Some(e), [name]) => match e.names.iter().position(|n| n == name) {
                        Some(i) => e.param(i),
                        None => Shape::var(),
                    },
                    _ => Shape::var(),
                }
            }
            N::AExpr(e) => {
                use pb::AExprKind as K;
                let kind = K::try_from(e.kind).unwrap_or(K::Undefined);
                let strict = !matches!(
                    kind,
                    K::AexprDistinct | K::AexprNotDistinct | K::AexprNullif
                );
                let parts = [self.opt(&e.lexpr, env), self.opt(&e.rexpr, env)];
                Shape::combine(&parts, strict, 1)
            }
            N::BoolExpr(b) => {
                let parts = self.all(&b.args, env);
                Shape::combine(&parts, false, 1)
            }
            N::NullTest(t) => {
                let parts = [self.opt(&t.arg, env)];
                Shape::combine(&parts, false, 1)
            }
            N::BooleanTest(t) => {
                let parts = [self.opt(&t.arg, env)];
                Shape::combine(&parts, false, 1)
            }
            N::CoalesceExpr(c) => {
                let parts = self.all(&c.args, env);
                Shape::combine(&parts, false, 1)
            }
            N::MinMaxExpr(m) => {
                let parts = self.all(&m.args, env);
                Shape::combine(&parts, false, 1)
            }
            N::CaseExpr(c) => {
                let mut parts = vec![self.opt(&c.arg, env)];
                for w in &c.args {
                    if let Some(N::CaseWhen(w)) = &w.node {
                        parts.push(self.opt(&w.expr, env));
                        parts.push(self.opt(&w.result, env));
                    }
                }
                parts.push(self.opt(&c.defresult, env));
                Shape::combine(&parts, false, 1)
            }
            N::AArrayExpr(a) => {
                let parts = self.all(&a.elements, env);
                Shape::combine(&parts, true, 1)
            }
            N::RowExpr(r) => {
                let parts = self.all(&r.args, env);
                Shape::combine(&parts, true, 0)
            }
            N::List(l) => {
                let parts = self.all(&l.items, env);
                Shape::combine(&parts, true, 0)
            }
            N::AIndirection(i) => {
                let mut parts = vec![self.opt(&i.arg, env)];
                for x in &i.indirection {
                    if let Some(N::AIndices(ix)) = &x.node {
                        parts.push(self.opt(&ix.lidx, env));
                        parts.push(self.opt(&ix.uidx, env));
                    }
                }
                Shape::combine(&parts, true, 1)
            }
            // CURRENT_TIMESTAMP, CURRENT_USER, ...: stable.
            N::SqlvalueFunction(_) => Shape {
                volatility: Volatility::Stable,
                cost: 1,
                ..Default::default()
            },
            N::SubLink(_) => Shape {
                volatility: declared(inner, self.cx).0,
                nonstrict: true,
                sublink: true,
                cost: 1,
                ..Default::default()
            },
            N::FuncCall(f) => self.call(f, env),
            // Anything else: not a constant, as volatile as the functions
            // it calls are declared.
            other => Shape {
                volatility: declared(other, self.cx).0,
                nonstrict: true,
                cost: 1,
                ..Default::default()
            },
        }
    }

    /// `simplify_function`: arguments first, then pre-evaluation, then
    /// inlining; what is left runs.
    fn call(&mut self, f: &pb::FuncCall, env: Option<&Env>) -> Shape {
        let mut args = self.all(&f.args, env);
        let aggregate = f.agg_star
            || f.agg_distinct
            || f.agg_within_group
            || f.over.is_some()
            || f.agg_filter.is_some()
            || !f.agg_order.is_empty();
        if aggregate {
            if let Some(x) = &f.agg_filter {
                args.push(self.expr(x, env));
            }
        }
        let cx = self.cx;
        match callee(cx.cat, &cx.session.search_path, f) {
            Callee::Builtin(b) => {
                let strict = b.strict && !aggregate && !b.aggregate;
                if strict && args.iter().any(|a| a.konst == Some(true)) {
                    return Shape::constant(true);
                }
                let mut s = Shape::combine(&args, strict, 1);
                s.volatility = s.volatility.max(b.volatility);
                let folds = b.volatility == Volatility::Immutable
                    && !b.aggregate
                    && !b.set_returning
                    && !aggregate;
                if !(folds && s.konst.is_some()) {
                    s.konst = None;
                }
                s
            }
            Callee::Unknown(name) => {
                self.unknown.get_or_insert(name);
                let mut s = Shape::combine(&args, false, 100);
                s.konst = None;
                s.volatility = Volatility::Volatile;
                s
            }
            Callee::User(func) => {
                let names: Vec<Option<&str>> = f
                    .args
                    .iter()
                    .map(|a| match &a.node {
                        Some(N::NamedArgExpr(n)) => Some(n.name.as_str()),
                        _ => None,
                    })
                    .collect();
                let args = self.expand_arguments(func, args, &names);
                self.user_call(func, args, aggregate)
            }
        }
    }

    /// `expand_function_arguments`: arguments given by name go to their
    /// parameter (`reorder_function_arguments`), and parameters not given
    /// take their defaults (`add_function_defaults`), planned here.
    fn expand_arguments(
        &mut self,
        func: &'a Function,
        args: Vec<Shape>,
        names: &[Option<&str>],
    ) -> Vec<Shape> {
        let n = func.arg_types.len();
        if func.variadic || (args.len() >= n && names.iter().all(Option::is_none)) {
            return args;
        }
        let mut slots: Vec<Option<Shape>> = vec![None; n];
        let mut next = 0;
        for (a, name) in args.into_iter().zip(names) {
            let at = match name {
                Some(name) => func.arg_names.iter().position(|p| p == name),
                None => {
                    next += 1;
                    Some(next - 1)
                }
            };
            if let Some(slot) = at.and_then(|i| slots.get_mut(i)) {
                *slot = Some(a);
            }
        }
        let first_default = n - func.arg_defaults.len().min(n);
        (0..n)
            .map(|i| match slots[i].take() {
                Some(s) => s,
                None if i >= first_default => {
                    let text = func.arg_defaults[i - first_default].clone();
                    self.default_arg(&text)
                }
                None => Shape::var(),
            })
            .collect()
    }

    fn user_call(&mut self, func: &'a Function, args: Vec<Shape>, aggregate: bool) -> Shape {
        let procedural = matches!(func.language.as_str(), "sql" | "plpgsql");
        let mut called = Shape::combine(&args, func.strict, if procedural { 100 } else { 1 });
        called.konst = None;
        called.volatility = called.volatility.max(func.volatility);
        if aggregate || func.returns_set {
            self.runs.push(func);
            return called;
        }
        // evaluate_function: a strict function with a NULL constant
        // argument is NULL; an immutable one with constant arguments is
        // run now.
        if !func.returns_record {
            if func.strict && args.iter().any(|a| a.konst == Some(true)) {
                return Shape::constant(true);
            }
            if func.volatility == Volatility::Immutable && args.iter().all(|a| a.konst.is_some()) {
                let e = run_effects(func, self.cx);
                self.plan.merge(e);
                return Shape::constant(false);
            }
        }
        if let Some(s) = self.inline(func, &args) {
            return s;
        }
        self.runs.push(func);
        called
    }

    /// A default argument, planned where the call is.
    fn default_arg(&mut self, text: &str) -> Shape {
        match select_target(text) {
            Some(e) => self.expr(&e, None),
            None => Shape::var(),
        }
    }

    /// `inline_function`: the body of a SQL function that is a single
    /// `SELECT <expression>` replaces the call. `None` when it is not
    /// inlined; the locks of the attempt are recorded either way.
    fn inline(&mut self, func: &'a Function, args: &[Shape]) -> Option<Shape> {
        if func.language != "sql"
            || func.security_definer
            || func.returns_set
            || func.returns_record
            || func.has_config
            || func.arg_types.len() != args.len()
        {
            return None;
        }
        let me = FuncRef::of(func);
        if self.active.contains(&me) {
            return None;
        }
        let stmts = crate::parse::memo::statements(func.body.as_deref()?)?;
        let [stmt] = &stmts[..] else {
            return None;
        };
        // Parse analysis of an `AS` body (transformTopLevelStmt) opens
        // what it names; a SQL-standard body is stored analysed.
        if !func.atomic {
            super::effects::parse_analysis(stmt, self.cx, &mut self.plan);
        }
        let N::SelectStmt(sel) = stmt else {
            return None;
        };
        let target = simple_select_target(sel)?;
        // check_sql_fn_retval: a function returning a row returns a whole
        // tuple, which is not inlined.
        if returns_row(func, self.cx) {
            return None;
        }
        let raw = body_facts(target, func, self.cx);
        if raw.aggregate || raw.set_returning || raw.sublink {
            return None;
        }
        // Not more volatile than the function says it is.
        let too_volatile = match func.volatility {
            Volatility::Immutable => raw.volatility > Volatility::Immutable,
            Volatility::Stable => raw.volatility == Volatility::Volatile,
            Volatility::Volatile => false,
        };
        if too_volatile || (func.strict && raw.nonstrict) {
            return None;
        }
        for (i, a) in args.iter().enumerate() {
            let uses = raw.uses.get(i).copied().unwrap_or(0);
            if uses == 0 && func.strict {
                return None;
            }
            // A parameter used more than once must be cheap and not
            // volatile ("more than 10 operators" is expensive).
            if uses > 1 && (a.sublink || a.cost > 10 || a.volatility == Volatility::Volatile) {
                return None;
            }
        }
        self.active.push(me);
        let env = Env {
            names: &func.arg_names,
            args,
        };
        let s = self.expr(target, Some(&env));
        self.active.pop();
        let sig = format!("{}()", func.name);
        if !self.inlined.contains(&sig) {
            self.inlined.push(sig);
        }
        Some(s)
    }
}

/// The expression of `SELECT <expr>` text.
fn select_target(text: &str) -> Option<Node> {
    let stmts = crate::parse::parse_statements_only(text)?;
    match stmts.into_iter().next()? {
        N::SelectStmt(s) => simple_select_target(&s).cloned(),
        _ => None,
    }
}

/// The one target of a `SELECT <expression>` with nothing else (no FROM,
/// WHERE, GROUP BY, ORDER BY, LIMIT, DISTINCT, set operation, CTE):
/// what `inline_function` accepts.
fn simple_select_target(s: &pb::SelectStmt) -> Option<&Node> {
    let plain = s.op == pb::SetOperation::SetopNone as i32
        && s.from_clause.is_empty()
        && s.where_clause.is_none()
        && s.group_clause.is_empty()
        && s.having_clause.is_none()
        && s.window_clause.is_empty()
        && s.distinct_clause.is_empty()
        && s.sort_clause.is_empty()
        && s.limit_offset.is_none()
        && s.limit_count.is_none()
        && s.with_clause.is_none()
        && s.values_lists.is_empty()
        && s.into_clause.is_none()
        && s.locking_clause.is_empty();
    match s.target_list.as_slice() {
        [t] if plain => match &t.node {
            Some(N::ResTarget(rt)) => rt.val.as_deref(),
            _ => None,
        },
        _ => None,
    }
}

/// Does the function return a row of a relation (a composite type)?
fn returns_row(func: &Function, cx: &Ctx) -> bool {
    let Some(t) = &func.return_type else {
        return true;
    };
    if t.array {
        return false;
    }
    let q = match t.name.split_once('.') {
        Some((s, n)) => QName::new(s, n),
        None => cx.resolve_parts("", &t.name),
    };
    cx.cat.contains(&q)
}

/// What parse analysis sees in a SQL function's body expression, before
/// anything is simplified: the checks `inline_function` makes on it.
#[derive(Default)]
struct BodyFacts {
    /// The most volatile function it calls, as declared
    /// (`contain_mutable_functions`, `contain_volatile_functions`).
    volatility: Volatility,
    nonstrict: bool,
    aggregate: bool,
    set_returning: bool,
    sublink: bool,
    /// How many times each parameter is used.
    uses: Vec<u32>,
}

fn body_facts(target: &Node, func: &Function, cx: &Ctx) -> BodyFacts {
    let mut b = BodyFacts {
        uses: vec![0; func.arg_types.len()],
        ..Default::default()
    };
    let Some(inner) = &target.node else { return b };
    walk(inner, &mut |n| {
        use pb::AExprKind as K;
        match n {
            N::FuncCall(f) => {
                if f.agg_star || f.agg_distinct || f.over.is_some() || f.agg_within_group {
                    b.aggregate = true;
                }
                match callee(cx.cat, &cx.session.search_path, f) {
                    Callee::Builtin(x) => {
                        b.volatility = b.volatility.max(x.volatility);
                        b.nonstrict |= !x.strict;
                        b.aggregate |= x.aggregate;
                        b.set_returning |= x.set_returning;
                    }
                    Callee::User(u) => {
                        b.volatility = b.volatility.max(u.volatility);
                        b.nonstrict |= !u.strict;
                        b.set_returning |= u.returns_set;
                    }
                    Callee::Unknown(_) => {
                        b.volatility = Volatility::Volatile;
                        b.nonstrict = true;
                    }
                }
            }
            N::SqlvalueFunction(_) => b.volatility = b.volatility.max(Volatility::Stable),
            N::SubLink(_) => {
                b.sublink = true;
                return false;
            }
            N::CaseExpr(_)
            | N::CoalesceExpr(_)
            | N::BoolExpr(_)
            | N::NullTest(_)
            | N::BooleanTest(_)
            | N::MinMaxExpr(_) => b.nonstrict = true,
            N::AExpr(e)
                if matches!(
                    K::try_from(e.kind).unwrap_or(K::Undefined),
                    K::AexprDistinct | K::AexprNotDistinct | K::AexprNullif
                ) =>
            {
                b.nonstrict = true
            }
            N::ParamRef(p) => {
                if let Some(u) = b.uses.get_mut((p.number.max(1) - 1) as usize) {
                    *u += 1;
                }
            }
            N::ColumnRef(c) => {
                if let [name] = strings(&c.fields).as_slice() {
                    if let Some(i) = func.arg_names.iter().position(|a| a == name) {
                        b.uses[i] += 1;
                    }
                }
            }
            _ => {}
        }
        true
    });
    b
}

/// The most volatile function `n` calls, as declared (no planning:
/// `contain_volatile_functions` on an expression as written), and the
/// first function whose volatility is unknown.
pub fn declared(n: &N, cx: &Ctx) -> (Volatility, Option<String>) {
    let mut v = Volatility::Immutable;
    let mut unknown = None;
    walk(n, &mut |x| {
        match x {
            N::FuncCall(f) => match callee(cx.cat, &cx.session.search_path, f) {
                Callee::Builtin(b) => v = v.max(b.volatility),
                Callee::User(u) => v = v.max(u.volatility),
                Callee::Unknown(name) => {
                    unknown.get_or_insert(name);
                    v = Volatility::Volatile;
                }
            },
            N::SqlvalueFunction(_) => v = v.max(Volatility::Stable),
            _ => {}
        }
        true
    });
    (v, unknown)
}

// ---------------------------------------------------------------------
// Running: what a function's body does when it is called.

/// The effects of one call of `f`: its body's statements for a SQL
/// function (all of them run: a SQL function has no branches); for
/// PL/pgSQL, nothing when its body reads no relation and calls no
/// function of the history, else unknown (which statements run depends on
/// its branches); other languages are not analysed.
pub fn run_effects(f: &Function, cx: &Ctx) -> Effects {
    let mut fx = Effects::default();
    let depth = DEPTH.get();
    if depth >= MAX_DEPTH {
        fx.set_unknown(format!(
            "{}() calls functions nested too deeply to follow",
            f.name
        ));
        return fx;
    }
    DEPTH.set(depth + 1);
    match (f.language.as_str(), f.body.as_deref()) {
        ("sql", Some(body)) => match crate::parse::memo::statements(body) {
            Some(stmts) => {
                for st in stmts.iter() {
                    fx.merge(effects(st, cx));
                }
            }
            None => fx.set_unknown(format!("the body of {}() could not be parsed", f.name)),
        },
        ("plpgsql", Some(body)) => match super::plpgsql::function_sql(body, &returns_clause(f)) {
            Ok(sqls) => {
                let mut touches: Vec<String> = Vec::new();
                let mut worst = Effects::default();
                for sql in &sqls {
                    for st in parse_sql_or_expr(sql).iter() {
                        let refs = super::ast::collect_refs(st);
                        for rv in &refs.relations {
                            let q = cx.resolve(rv).to_string();
                            if !touches.contains(&q) {
                                touches.push(q);
                            }
                        }
                        walk(st, &mut |n| {
                            if let N::FuncCall(c) = n {
                                if let Callee::User(u) = callee(cx.cat, &cx.session.search_path, c)
                                {
                                    let name = format!("{}()", u.name);
                                    if !touches.contains(&name) {
                                        touches.push(name);
                                    }
                                }
                            }
                            true
                        });
                        // As if every statement and branch ran: the worst
                        // case, listed with the unknown.
                        for (q, m) in effects(st, cx).locks {
                            worst.lock(&q, m);
                        }
                    }
                }
                if !touches.is_empty() {
                    fx.locks = worst.locks;
                    fx.set_unknown(format!(
                        "{}() is a PL/pgSQL function using {}: which of its statements run, and so what they lock, is decided when it runs",
                        f.name,
                        touches.join(", ")
                    ));
                }
            }
            Err(why) => fx.set_unknown(format!("{}(): {why}", f.name)),
        },
        (lang, _) => fx.set_unknown(format!(
            "{}() is written in {lang}: what it does when it runs is not analysed",
            f.name
        )),
    }
    DEPTH.set(depth);
    fx
}

/// `RETURNS [SETOF] type` as the function was declared (empty for a
/// procedure).
pub(crate) fn returns_clause(f: &Function) -> String {
    if f.is_procedure {
        return String::new();
    }
    let ty = f
        .return_type
        .as_ref()
        .map(|t| t.display())
        .unwrap_or_else(|| "record".into());
    let setof = if f.returns_set { "SETOF " } else { "" };
    format!("RETURNS {setof}{ty}")
}

/// A PL/pgSQL statement or expression as SQL statements.
fn parse_sql_or_expr(sql: &str) -> std::rc::Rc<[N]> {
    crate::parse::memo::statements(sql)
        .or_else(|| crate::parse::memo::statements(&format!("SELECT {sql}")))
        .unwrap_or_else(|| std::rc::Rc::from(Vec::new()))
}

/// When the calls left in a planned expression run.
#[derive(Clone, Debug)]
pub enum Runs {
    /// Exactly once (a default's value stored for existing rows, a
    /// SELECT without FROM, VALUES).
    Once,
    /// Once per row of something, so only if there are rows: the words
    /// say of what ("for each row of public.t").
    PerRow(String),
    /// Never (no rows can exist).
    Never,
}

/// Record what planning did and what the calls left do when they run.
/// A call that may or may not run and would take locks the statement
/// does not otherwise hold makes the effects unknown (with those locks
/// listed, as the worst case).
pub fn settle(planner: Planner, runs: &Runs, cx: &Ctx, fx: &mut Effects) {
    let Planner {
        plan, runs: calls, ..
    } = planner;
    fx.merge(plan);
    settle_runs(&calls, runs, cx, fx);
}

fn settle_runs(calls: &[&Function], runs: &Runs, cx: &Ctx, fx: &mut Effects) {
    let mut seen: Vec<FuncRef> = Vec::new();
    for f in calls {
        let me = FuncRef::of(f);
        if seen.contains(&me) {
            continue;
        }
        seen.push(me);
        let e = run_effects(f, cx);
        match runs {
            Runs::Never => {}
            Runs::Once => fx.merge(e),
            Runs::PerRow(when) => {
                let adds: Vec<String> = e
                    .locks
                    .iter()
                    .filter(|(q, m)| fx.locks.get(q).is_none_or(|have| have < *m))
                    .map(|(q, m)| format!("{} on {q}", m.pg_name()))
                    .collect();
                if let Some(u) = &e.unknown {
                    fx.set_unknown(format!("{}() runs {when}: {u}", f.name));
                } else if !adds.is_empty() {
                    fx.set_unknown(format!(
                        "{}() runs {when}, so only if there are rows; when it runs it takes {}",
                        f.name,
                        adds.join(", ")
                    ));
                }
                fx.data_dependent = true;
                for (q, m) in e.locks {
                    fx.lock(&q, m);
                }
                for n in e.notes {
                    fx.note(n);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------
// Statements: the calls a query makes.

/// Plan and run the function calls of a query (SELECT, INSERT, UPDATE,
/// DELETE, MERGE, or a view's stored query): each call is planned where
/// it is; a set-returning SQL function in FROM is expanded as a subquery
/// when it can be. `per_row` says when calls in the query run when they
/// are not evaluated exactly once.
pub fn query_calls<'c, 'a>(node: &N, per_row: &str, cx: &'c Ctx<'a>, fx: &mut Effects) {
    if !calls_user_function(node, cx.cat) {
        return;
    }
    fn items(list: &[Node]) -> impl Iterator<Item = &N> {
        list.iter().filter_map(|n| n.node.as_ref())
    }
    fn ctes(w: Option<&pb::WithClause>) -> impl Iterator<Item = &N> {
        w.into_iter().flat_map(|w| items(&w.ctes))
    }
    // The only FROM item of the statement's own SELECT is scanned once.
    let sole_from: Option<*const pb::RangeFunction> = match node {
        N::SelectStmt(s) => match s.from_clause.as_slice() {
            [n] => match &n.node {
                Some(N::RangeFunction(r)) => Some(r as *const pb::RangeFunction),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    // What is evaluated exactly once: the target list of a SELECT without
    // FROM, WHERE, GROUP BY, HAVING or set operation, and VALUES rows.
    // Everything else is evaluated once per row.
    let (once, rest): (Vec<&N>, Vec<&N>) = match node {
        N::SelectStmt(s)
            if s.from_clause.is_empty()
                && s.where_clause.is_none()
                && s.having_clause.is_none()
                && s.group_clause.is_empty()
                && s.op == pb::SetOperation::SetopNone as i32 =>
        {
            (
                items(&s.target_list)
                    .chain(items(&s.values_lists))
                    .collect(),
                ctes(s.with_clause.as_ref()).collect(),
            )
        }
        N::InsertStmt(i) => match i.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
            Some(sel @ N::SelectStmt(s)) if !s.values_lists.is_empty() => (
                vec![sel],
                i.returning_clause
                    .iter()
                    .flat_map(|r| items(&r.exprs))
                    .chain(i.on_conflict_clause.iter().flat_map(|c| {
                        items(&c.target_list)
                            .chain(c.where_clause.as_deref().and_then(|w| w.node.as_ref()))
                    }))
                    .chain(ctes(i.with_clause.as_ref()))
                    .collect(),
            ),
            _ => (Vec::new(), vec![node]),
        },
        other => (Vec::new(), vec![other]),
    };
    let mut sites: Vec<(Planner<'c, 'a>, Runs)> = Vec::new();
    for n in once {
        visit_calls(n, Runs::Once, sole_from, cx, &mut sites);
    }
    for n in rest {
        visit_calls(
            n,
            Runs::PerRow(per_row.to_string()),
            sole_from,
            cx,
            &mut sites,
        );
    }
    // Everything planning takes first: a call that runs per row is then
    // compared with all of it.
    let mut later = Vec::new();
    for (p, runs) in sites {
        let Planner {
            plan, runs: calls, ..
        } = p;
        fx.merge(plan);
        later.push((calls, runs));
    }
    for (calls, runs) in later {
        settle_runs(&calls, &runs, cx, fx);
    }
}

/// Plan the calls under `n`; a call's arguments are planned with it.
fn visit_calls<'c, 'a>(
    n: &N,
    runs: Runs,
    sole_from: Option<*const pb::RangeFunction>,
    cx: &'c Ctx<'a>,
    sites: &mut Vec<(Planner<'c, 'a>, Runs)>,
) {
    walk(n, &mut |x| match x {
        N::FuncCall(f) => {
            let mut p = Planner::new(cx);
            p.call(f, None);
            sites.push((p, runs.clone()));
            false
        }
        N::RangeFunction(r) => {
            let sole = sole_from == Some(r as *const pb::RangeFunction);
            let runs = if sole { Runs::Once } else { runs.clone() };
            from_function(r, runs, cx, sites);
            false
        }
        _ => true,
    });
}

/// A function in FROM (`preprocess_function_rtes`): its expression is
/// planned; a set-returning SQL function that can be is expanded as a
/// subquery (`inline_set_returning_function`), its body read like a view;
/// otherwise it runs when the scan starts.
fn from_function<'c, 'a>(
    r: &pb::RangeFunction,
    runs: Runs,
    cx: &'c Ctx<'a>,
    sites: &mut Vec<(Planner<'c, 'a>, Runs)>,
) {
    let calls: Vec<&pb::FuncCall> = r
        .functions
        .iter()
        .filter_map(|item| match &item.node {
            Some(N::List(l)) => l.items.first(),
            other => other.as_ref().map(|_| item),
        })
        .filter_map(|n| match &n.node {
            Some(N::FuncCall(f)) => Some(&**f),
            _ => None,
        })
        .collect();
    let single = calls.len() == 1 && !r.ordinality;
    for f in calls {
        let mut p = Planner::new(cx);
        if single {
            if let Callee::User(func) = callee(cx.cat, &cx.session.search_path, f) {
                if func.returns_set && inline_srf(func, f, &mut p) {
                    sites.push((p, Runs::Never));
                    continue;
                }
            }
        }
        p.call(f, None);
        sites.push((p, runs.clone()));
    }
}

/// `inline_set_returning_function`: a set-returning SQL function, not
/// strict, not volatile, not SECURITY DEFINER, without SET, whose
/// arguments are not volatile, with a body of one SELECT, becomes a
/// subquery: its body is analysed and rewritten (views expanded) and
/// planned with the query. Returns whether it was inlined; the locks of
/// the attempt are recorded in `p.plan` either way.
fn inline_srf<'a>(func: &'a Function, f: &pb::FuncCall, p: &mut Planner<'_, 'a>) -> bool {
    let cx = p.cx;
    if func.language != "sql"
        || func.strict
        || func.volatility == Volatility::Volatile
        || func.security_definer
        || func.has_config
    {
        return false;
    }
    let args: Vec<Shape> = f.args.iter().map(|a| p.expr(a, None)).collect();
    if args
        .iter()
        .any(|a| a.sublink || a.volatility == Volatility::Volatile)
    {
        return false;
    }
    let Some(stmts) = func
        .body
        .as_deref()
        .and_then(crate::parse::memo::statements)
    else {
        return false;
    };
    let [stmt] = &stmts[..] else {
        return false;
    };
    match stmt {
        N::SelectStmt(_) => {
            // Expanded and planned as a subquery of the statement.
            let mut sub = effects(stmt, cx);
            sub.unknown = sub
                .unknown
                .map(|u| format!("{}() is expanded into the query: {u}", func.name));
            p.plan.merge(sub);
            true
        }
        other => {
            super::effects::parse_analysis(other, cx, &mut p.plan);
            false
        }
    }
}

/// CALL of a procedure the history created (`ExecuteCallStmt`): its
/// arguments are planned, then its body runs once. A procedure the
/// history does not show is unknown.
pub fn call_procedure(f: &pb::FuncCall, cx: &Ctx, fx: &mut Effects) {
    let (schema, name) = call_name(f);
    let nargs = f.args.len();
    let found = cx.cat.functions.get(&name).and_then(|all| {
        let here = |s: &str| -> Vec<&Function> {
            all.iter()
                .filter(|p| p.is_procedure && p.name.schema == s && p.accepts(nargs))
                .collect()
        };
        let hits = match &schema {
            Some(s) => here(s),
            None => cx
                .session
                .search_path
                .iter()
                .map(|s| here(s))
                .find(|h| !h.is_empty())
                .unwrap_or_default(),
        };
        match hits.as_slice() {
            [p] => Some(*p),
            _ => None,
        }
    });
    let Some(proc_) = found else {
        fx.set_unknown("CALL runs a procedure whose effects are not analysed");
        return;
    };
    let mut p = Planner::new(cx);
    for a in &f.args {
        p.plan_expr(a);
    }
    settle(p, &Runs::Once, cx, fx);
    fx.merge(run_effects(proc_, cx));
    fx.note(format!("CALL runs the body of {}() once", proc_.name));
}

/// The function calls of the stored queries of `q` and of the views it
/// reads, recursively: reading a view plans its query with the
/// statement.
pub fn view_calls(q: &QName, cx: &Ctx, fx: &mut Effects, depth: usize) {
    if depth > 16 {
        return;
    }
    let Some(r) = cx.rel(q) else { return };
    if r.kind != RelKind::View {
        return;
    }
    if let Some(text) = &r.query {
        if let Some(stmts) = crate::parse::memo::statements(text) {
            for st in stmts.iter() {
                query_calls(st, &format!("for each row the view {q} produces"), cx, fx);
            }
        }
    }
    for d in &r.depends_on {
        view_calls(d, cx, fx, depth + 1);
    }
}

// ---------------------------------------------------------------------
// Dropping: what depends on a function.

/// DROP FUNCTION / PROCEDURE / ROUTINE of one function
/// (`RemoveObjects` -> `performDeletion`): with CASCADE, what uses it goes
/// too, each under ACCESS EXCLUSIVE on its relation (`RemoveAttrDefaultById`,
/// `RemoveConstraintById`, `RemoveTriggerById`, `RemovePolicyById`,
/// `index_drop`, views by `AcquireDeletionLock`); with RESTRICT anything
/// using it makes the statement fail, after `findDependentObjects` has
/// locked the dependents that are relations (views, indexes, the table of
/// a generated column).
pub fn drop_function(
    o: &pb::ObjectWithArgs,
    missing_ok: bool,
    cascade: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let names = strings(&o.objname);
    let args: Option<Vec<String>> = if o.args_unspecified {
        None
    } else {
        Some(
            o.objargs
                .iter()
                .filter_map(|a| match &a.node {
                    Some(N::TypeName(t)) => Some(TypeRef::from_ast(t).display()),
                    _ => None,
                })
                .collect(),
        )
    };
    let found = find_function(&names, args.as_deref(), cx.cat, cx.session);
    let (name, args) = match found {
        Some(f) => (f.name.clone(), Some(f.arg_types.clone())),
        None => match guess_name(&names, cx.session) {
            Some(name) => (name, args),
            None => return,
        },
    };
    let users = cx.cat.function_users(&name, args.as_deref());
    let shown = match &args {
        Some(a) => format!("{name}({})", a.join(", ")),
        None => format!("{name}"),
    };
    if found.is_none() {
        if missing_ok && users.is_empty() {
            return;
        }
        if cascade {
            fx.set_unknown(format!(
                "function {shown} is not in the migration history: what depends on it, and is dropped with it, is not known"
            ));
        }
    }
    drop_users(&shown, &users, cascade, cx, fx);
}

/// `schema.name` for a function the history does not show: the first
/// schema of the search path when unqualified.
pub fn guess_name(names: &[String], session: &Session) -> Option<QName> {
    match names {
        [.., s, n] => Some(QName::new(s.as_str(), n.as_str())),
        [n] => Some(QName::new(session.creation_schema(), n.as_str())),
        [] => None,
    }
}

/// The function named `names` with these argument types (`None`: the
/// only one of that name), looked up through the search path.
pub fn find_function<'c>(
    names: &[String],
    args: Option<&[String]>,
    cat: &'c Catalog,
    session: &Session,
) -> Option<&'c Function> {
    match names {
        [.., s, n] => cat.function(&QName::new(s.as_str(), n.as_str()), args),
        [n] => session
            .search_path
            .iter()
            .find_map(|s| cat.function(&QName::new(s.as_str(), n.as_str()), args)),
        [] => None,
    }
}

/// Lock what dropping a function takes with what uses it.
pub fn drop_users(
    shown: &str,
    users: &[(QName, UseKind)],
    cascade: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    if users.is_empty() {
        return;
    }
    if cascade {
        for (q, kind) in users {
            match kind {
                UseKind::Index => {
                    if let Some(t) = cx.cat.index_table(q) {
                        fx.lock(t, AccessExclusive);
                    }
                    fx.lock(q, AccessExclusive);
                }
                UseKind::Query => super::effects::drop_relation(q, true, cx, fx),
                _ => fx.lock(q, AccessExclusive),
            }
        }
        fx.note(format!(
            "CASCADE drops what uses {shown}: {}",
            describe(users)
        ));
        return;
    }
    // Before 15 a generated column's expression depends on its functions
    // automatically: dropping the function drops the expression.
    let blocking: Vec<&(QName, UseKind)> = users
        .iter()
        .filter(|(_, k)| !(matches!(k, UseKind::Generated(_)) && (12..15).contains(&cx.pg)))
        .collect();
    for (q, kind) in users {
        // findDependentObjects locks each dependent that is a relation
        // (AcquireDeletionLock) before RESTRICT refuses.
        match kind {
            UseKind::Index => fx.lock(q, AccessExclusive),
            UseKind::Query => lock_views(q, cx, fx),
            UseKind::Generated(_) => fx.lock(q, AccessExclusive),
            _ => {}
        }
    }
    if !blocking.is_empty() {
        let owned: Vec<(QName, UseKind)> = blocking.into_iter().cloned().collect();
        fx.note(format!(
            "fails with 2BP01: {shown} is used by {}, and RESTRICT refuses to drop what depends on it (the dependents that are relations are locked while PostgreSQL finds them)",
            describe(&owned)
        ));
    }
}

fn lock_views(q: &QName, cx: &Ctx, fx: &mut Effects) {
    let mut stack = vec![q.clone()];
    let mut seen: Vec<QName> = Vec::new();
    while let Some(v) = stack.pop() {
        if seen.contains(&v) {
            continue;
        }
        fx.lock(&v, LockMode::AccessExclusive);
        stack.extend(cx.cat.dependent_views(&v));
        seen.push(v);
    }
}

fn describe(users: &[(QName, UseKind)]) -> String {
    users
        .iter()
        .map(|(q, k)| match k {
            UseKind::Default(c) => format!("the default of {q}.{c}"),
            UseKind::Generated(c) => format!("the generated column {q}.{c}"),
            UseKind::Check(c) => format!("CHECK constraint {c} on {q}"),
            UseKind::Index => format!("index {q}"),
            UseKind::Trigger { name, .. } => format!("trigger {name} on {q}"),
            UseKind::Policy(p) => format!("policy {p} on {q}"),
            UseKind::Query => format!("view {q}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(sql: &str) -> Function {
        let stmts = crate::parse::parse_statements_only(sql).unwrap();
        let N::CreateFunctionStmt(s) = &stmts[0] else {
            panic!("not CREATE FUNCTION")
        };
        from_create(s, &Session::new(true), Origin::default()).unwrap()
    }

    /// The effects of the last statement of `change` on PG `pg`, with
    /// `history` replayed first.
    fn last(history: &str, change: &str, pg: u32) -> Effects {
        use crate::model::{analyse, Input, Options};
        let input = |path: &str, text: &str| Input {
            path: path.into(),
            text: text.into(),
            wrapping: Default::default(),
            layout: Default::default(),
            report: true,
            map: None,
            project: None,
            session: None,
        };
        let a = analyse(
            vec![input("001.sql", history), input("002.sql", change)],
            &Options {
                pg_version: pg,
                timezone_utc: true,
            },
        );
        a.files[1].statements.last().unwrap().effects.clone()
    }

    fn t() -> QName {
        QName::new("public", "t")
    }

    const TABLE: &str = "CREATE TABLE t (id int); INSERT INTO t VALUES (1);";

    #[test]
    fn volatile_sql_function_is_inlined_from_12() {
        let h = format!("{TABLE} CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$SELECT 'c'$$;");
        let add = "ALTER TABLE t ADD COLUMN c text DEFAULT f();";
        assert!(last(&h, add, 11).rewrites.contains(&t()));
        let fx = last(&h, add, 12);
        assert!(!fx.rewrites.contains(&t()));
        assert!(
            fx.notes.iter().any(|n| n.contains("inlines")),
            "{:?}",
            fx.notes
        );
    }

    #[test]
    fn what_stops_inlining() {
        for def in [
            "RETURNS text LANGUAGE sql SECURITY DEFINER AS $$SELECT 'c'$$",
            "RETURNS text LANGUAGE sql SET search_path = public AS $$SELECT 'c'$$",
            "RETURNS text LANGUAGE sql AS $$SELECT 1; SELECT 'c'$$",
            "RETURNS float8 LANGUAGE sql AS $$SELECT random()$$",
            "RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN 'c'; END$$",
        ] {
            let h = format!("{TABLE} CREATE FUNCTION f() {def};");
            let fx = last(&h, "ALTER TABLE t ADD COLUMN c text DEFAULT f();", 16);
            assert!(fx.rewrites.contains(&t()), "{def}");
            assert!(fx.unknown.is_none(), "{def}: {:?}", fx.unknown);
        }
    }

    #[test]
    fn volatility_rules_of_inlining() {
        // An IMMUTABLE function whose body is not immutable is not inlined:
        // it is run once, whatever its body.
        let h = format!("{TABLE} CREATE FUNCTION f() RETURNS float8 LANGUAGE sql IMMUTABLE AS $$SELECT random()$$;");
        assert!(
            !last(&h, "ALTER TABLE t ADD COLUMN c float8 DEFAULT f();", 16)
                .rewrites
                .contains(&t())
        );
        // Default arguments are filled in before the decision.
        let h = format!("{TABLE} CREATE FUNCTION f(x timestamptz DEFAULT clock_timestamp()) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$SELECT x$$;");
        let add = "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT f();";
        assert!(last(&h, add, 16).rewrites.contains(&t()));
        assert!(!last(&h, add, 11).rewrites.contains(&t()));
        // A strict function with a NULL argument is NULL.
        let h = format!(
            "{TABLE} CREATE FUNCTION f(int) RETURNS int LANGUAGE sql STRICT AS $$SELECT $1$$;"
        );
        assert!(
            !last(&h, "ALTER TABLE t ADD COLUMN c int DEFAULT f(NULL);", 16)
                .rewrites
                .contains(&t())
        );
        // Only a NULL constant is NULL: a prefix operator is not.
        let h = format!("{TABLE} CREATE FUNCTION f(int) RETURNS int LANGUAGE sql STRICT AS $$SELECT $1 + random()::int$$;");
        assert!(
            !last(&h, "ALTER TABLE t ADD COLUMN c int DEFAULT f(NULL);", 16)
                .rewrites
                .contains(&t())
        );
        assert!(
            last(&h, "ALTER TABLE t ADD COLUMN c int DEFAULT f(-(1));", 16)
                .rewrites
                .contains(&t())
        );
        // A strict function not using its parameter is not inlined.
        let h = format!(
            "{TABLE} CREATE FUNCTION f(int) RETURNS int LANGUAGE sql STRICT AS $$SELECT 1$$;"
        );
        assert!(last(&h, "ALTER TABLE t ADD COLUMN c int DEFAULT f(2);", 16)
            .rewrites
            .contains(&t()));
    }

    #[test]
    fn unknown_function_in_a_default_is_never_safe() {
        let fx = last(
            TABLE,
            "ALTER TABLE t ADD COLUMN c int DEFAULT nowhere();",
            16,
        );
        assert!(fx.rewrites.contains(&t()));
        assert!(fx
            .unknown
            .as_deref()
            .is_some_and(|u| u.contains("nowhere()")));
        assert!(fx
            .notes
            .iter()
            .any(|n| n.starts_with(crate::model::effects::MAY_REWRITE)));
    }

    #[test]
    fn planning_locks_what_a_sql_body_names() {
        let h = "CREATE TABLE t (id int); CREATE TABLE u (id int);
                 CREATE FUNCTION n() RETURNS bigint LANGUAGE sql STABLE AS $$SELECT count(*) FROM u$$;
                 CREATE VIEW v AS SELECT id, n() FROM t;";
        let fx = last(h, "SELECT * FROM v;", 16);
        assert_eq!(fx.locks.get(&QName::new("public", "u")), Some(&AccessShare));
        assert!(fx.unknown.is_none(), "{:?}", fx.unknown);
        // Not parsed when SECURITY DEFINER: u is locked only if it runs.
        let h = h.replace("STABLE AS", "STABLE SECURITY DEFINER AS");
        assert!(last(&h, "SELECT * FROM v;", 16).unknown.is_some());
    }

    #[test]
    fn drop_function_follows_what_uses_it() {
        let h = "CREATE FUNCTION mk() RETURNS text LANGUAGE sql AS $$SELECT 'x'$$;
                 CREATE TABLE t (id int, code text DEFAULT mk());
                 CREATE TABLE u (id int, code text);
                 CREATE TABLE w (id int, code text CHECK (code <> mk()));
                 ALTER TABLE w RENAME TO w2;";
        let fx = last(h, "DROP FUNCTION mk() CASCADE;", 16);
        let locked: Vec<String> = fx.locks.keys().map(|q| q.to_string()).collect();
        assert_eq!(locked, vec!["public.t", "public.w2"]);
        let fx = last(h, "DROP FUNCTION mk();", 16);
        assert!(fx.locks.is_empty());
        assert!(fx.notes.iter().any(|n| n.contains("2BP01")));
        // Once dropped with CASCADE, nothing uses it any more.
        let h2 = format!("{h} DROP FUNCTION mk() CASCADE; CREATE FUNCTION mk() RETURNS text LANGUAGE sql AS $$SELECT 'x'$$;");
        assert!(last(&h2, "DROP FUNCTION mk() CASCADE;", 16)
            .locks
            .is_empty());
    }

    #[test]
    fn create_records_what_inlining_needs() {
        let f = create(
            "CREATE FUNCTION s.f(a int, b text DEFAULT 'x') RETURNS text LANGUAGE sql IMMUTABLE STRICT SECURITY DEFINER SET search_path = public AS $$SELECT b$$",
        );
        assert_eq!(f.name, QName::new("s", "f"));
        assert_eq!(f.arg_types, vec!["int4", "text"]);
        assert_eq!(f.arg_names, vec!["a", "b"]);
        assert_eq!(f.arg_defaults.len(), 1);
        assert_eq!(f.volatility, Volatility::Immutable);
        assert!(f.strict && f.security_definer && f.has_config);
        assert!(!f.returns_set && !f.returns_record && !f.atomic);
        assert_eq!(f.body.as_deref(), Some("SELECT b"));
        let g = create("CREATE FUNCTION g() RETURNS text LANGUAGE sql RETURN 'c'");
        assert!(g.atomic);
        assert_eq!(g.body.as_deref(), Some("SELECT 'c'"));
        assert_eq!(g.volatility, Volatility::Volatile);
        let h = create("CREATE FUNCTION h(OUT a int, OUT b int) LANGUAGE sql AS 'SELECT 1, 2'");
        assert!(h.returns_record && h.arg_types.is_empty());
        let k = create("CREATE FUNCTION k() RETURNS SETOF int LANGUAGE plpgsql AS $$BEGIN END$$");
        assert!(k.returns_set && k.language == "plpgsql");
    }
}
