//! Following PL/pgSQL as it runs: a function the history created, called
//! with constant arguments (`SELECT create_foreign_key('fk', 'child',
//! 'parent', 'col', 'id');`), or a DO block that builds SQL at run time.
//!
//! Migrations often create objects through helpers that build DDL with
//! dynamic SQL (`EXECUTE 'ALTER TABLE ' || t || ...`, `EXECUTE
//! format('CREATE TABLE %I ...', ...)`). A static reading cannot say what
//! they run, and the catalog would never learn what they create, so later
//! statements would be wrong. Here the body (parsed by PostgreSQL's own
//! PL/pgSQL grammar, `pg_query::parse_plpgsql`) is interpreted: parameters
//! are bound, assignments, `SELECT ... INTO`, conditions and loops are
//! evaluated ([`super::consts`] for expressions, [`super::probe`] for
//! queries over catalog views, answered from the replayed catalog), and
//! each SQL statement that runs, static or built by `EXECUTE`, goes
//! through the same effects and replay as a top-level statement: its
//! locks are the calling statement's, and the catalog learns what it
//! creates.
//!
//! Never a guess: whatever cannot be evaluated exactly as the server would
//! (a value that depends on data or on the clock, a function not
//! evaluated, a query over a user table whose rows decide a branch, an
//! exception handler, a nested DECLARE, a loop or a call chain beyond the
//! bounds) stops the whole follow with a [`Stop`] saying where and why;
//! the caller then keeps what a static reading says (unknown effects) and
//! the catalog is left as it was (the follow runs on a copy).

use std::rc::Rc;

use pg_query::protobuf::{self as pb, node::Node as N, Node};
use serde_json::Value;

use super::catalog::{Catalog, Function, Origin, QName};
use super::consts::{cast, eval, output, truth, Host, Res, Stop, Val};
use super::effects::{effects, Ctx, Effects};
use super::functions::{callee, returns_clause, Callee};
use super::probe;
use super::replay;
use super::session::Session;
use super::types::TypeRef;

/// PL/pgSQL statements (and loop iterations) run per top-level statement.
const MAX_STEPS: usize = 10_000;
/// SQL statements run per top-level statement.
const MAX_SQL: usize = 500;
/// Function calls nested this deep are not followed.
const MAX_DEPTH: usize = 8;

/// What following a statement did.
pub struct Followed {
    /// The catalog after everything that ran.
    pub cat: Catalog,
    /// The effects of everything that ran.
    pub fx: Effects,
    /// Something that ran changes the schema or data.
    pub changed: bool,
    /// How many SQL statements ran.
    pub executed: usize,
}

/// A top-level `SELECT f(...), ...` (no FROM, WHERE, ...) whose calls
/// include a PL/pgSQL function the history created: follow it. `None`
/// when the statement is not of that form (nothing is followed).
pub fn follow_statement(
    node: &N,
    cat: &Catalog,
    session: &Session,
    pg: u32,
    now: Origin,
) -> Option<Result<Followed, Stop>> {
    let N::SelectStmt(s) = node else {
        return None;
    };
    let simple = s.from_clause.is_empty()
        && s.where_clause.is_none()
        && s.having_clause.is_none()
        && s.group_clause.is_empty()
        && s.with_clause.is_none()
        && s.into_clause.is_none()
        && s.values_lists.is_empty()
        && s.op == pb::SetOperation::SetopNone as i32;
    if !simple {
        return None;
    }
    let targets: Vec<&Node> = s
        .target_list
        .iter()
        .filter_map(|t| match &t.node {
            Some(N::ResTarget(rt)) => rt.val.as_deref(),
            _ => None,
        })
        .collect();
    let calls_plpgsql = targets.iter().any(|t| {
        let mut hit = false;
        let Some(t) = t.node.as_ref() else {
            return false;
        };
        super::ast::walk(t, &mut |x| {
            if let N::FuncCall(f) = x {
                if let Callee::User(u) = callee(cat, &session.search_path, f) {
                    hit |= u.language == "plpgsql";
                }
            }
            true
        });
        hit
    });
    if !calls_plpgsql {
        return None;
    }
    let mut run = Run::new(cat.clone(), session, pg, now);
    let frame = Frame::empty("the statement");
    for t in targets {
        let r = eval(
            t,
            &mut Live {
                run: &mut run,
                frame: &frame,
            },
        );
        if let Err(why) = r {
            return Some(Err(run.located(why, "the statement's arguments")));
        }
    }
    Some(Ok(run.finish()))
}

/// Does a statement call a PL/pgSQL function the history created (whose
/// changes, when it is not followed, the catalog does not see)?
pub fn calls_plpgsql(node: &N, cat: &Catalog, session: &Session) -> bool {
    let mut hit = false;
    super::ast::walk(node, &mut |x| {
        if let N::FuncCall(f) = x {
            if let Callee::User(u) = callee(cat, &session.search_path, f) {
                hit |= u.language == "plpgsql";
            }
        }
        !hit
    });
    hit
}

/// Follow a DO block's PL/pgSQL body.
pub fn follow_do(
    body: &str,
    cat: &Catalog,
    session: &Session,
    pg: u32,
    now: Origin,
) -> Result<Followed, Stop> {
    let json = parse_body(body, "FUNCTION ddlint_do()", "RETURNS void")?;
    let mut run = Run::new(cat.clone(), session, pg, now);
    let mut frame = Frame::from_json(&json, "the DO block")?;
    frame.init(&mut run)?;
    let r = run.exec_function(&json, &mut frame);
    match r {
        Ok(_) => Ok(run.finish()),
        Err(why) => Err(run.located(why, "the DO block")),
    }
}

/// The PL/pgSQL grammar's tree of a body, wrapped as `CREATE <header>
/// <returns> LANGUAGE plpgsql AS $tag$<body>$tag$` (line 1 of the body is
/// line 1 of the wrapping, so line numbers are the body's).
fn parse_body(body: &str, header: &str, returns: &str) -> Result<Rc<Value>, Stop> {
    let mut tag = "ddlint".to_string();
    while body.contains(&format!("${tag}$")) {
        tag.push('x');
    }
    let wrapped = format!("CREATE {header} {returns} LANGUAGE plpgsql AS ${tag}${body}${tag}$");
    crate::parse::memo::plpgsql(&wrapped)
        .map_err(|e| Stop::new(format!("its PL/pgSQL body does not parse: {e}")))
}

#[derive(Clone, Debug)]
enum Slot {
    Known(Val),
    /// Set by something ddlint cannot evaluate: reading it stops.
    Unknown(String),
}

struct Var {
    name: String,
    ty: Option<TypeRef>,
    slot: Slot,
}

/// The variables of one function invocation.
struct Frame {
    /// "create_foreign_key()", "the DO block": for messages.
    name: String,
    /// Datums by number (`varno`), as the PL/pgSQL parser numbered them.
    datums: Vec<Value>,
    vars: Vec<Var>,
    /// `$n`.
    params: Vec<Val>,
    /// The BEGIN line of the outermost block: a variable declared after
    /// it belongs to a nested block.
    top_line: i64,
    /// Variables declared in nested blocks (not loop variables).
    nested_decls: bool,
}

fn line_of(v: &Value) -> i64 {
    v.get("lineno").and_then(Value::as_i64).unwrap_or(0)
}

fn int_field(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

fn expr_text(v: Option<&Value>) -> Option<&str> {
    v?.get("PLpgSQL_expr")?.get("query")?.as_str()
}

fn expr_mode(v: Option<&Value>) -> i64 {
    v.and_then(|e| e.get("PLpgSQL_expr"))
        .map(|e| int_field(e, "parseMode"))
        .unwrap_or(0)
}

/// `"int4"` as a type.
fn type_named(typname: &str) -> Option<TypeRef> {
    let stmts = crate::parse::memo::statements(&format!("SELECT NULL::{typname}"))?;
    let N::SelectStmt(s) = stmts.first()? else {
        return None;
    };
    let Some(N::ResTarget(rt)) = &s.target_list.first()?.node else {
        return None;
    };
    match rt.val.as_deref()?.node.as_ref()? {
        N::TypeCast(c) => c.type_name.as_ref().map(TypeRef::from_ast),
        _ => None,
    }
}

impl Frame {
    fn empty(name: &str) -> Frame {
        Frame {
            name: name.to_string(),
            datums: Vec::new(),
            vars: Vec::new(),
            params: Vec::new(),
            top_line: 0,
            nested_decls: false,
        }
    }

    fn from_json(json: &Value, name: &str) -> Result<Frame, Stop> {
        let f = function_of(json)?;
        let datums: Vec<Value> = f
            .get("datums")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let action = f.get("action").cloned().unwrap_or(Value::Null);
        let mut top_line = 0;
        let mut block = action.get("PLpgSQL_stmt_block");
        while let Some(b) = block {
            top_line = top_line.max(line_of(b));
            // The outermost block may be a label's wrapping around the
            // user's block (then followed by an implicit RETURN).
            block = b
                .get("body")
                .and_then(Value::as_array)
                .and_then(|body| body.first())
                .and_then(|s| s.get("PLpgSQL_stmt_block"));
        }
        let mut loop_vars: Vec<String> = Vec::new();
        collect_loop_vars(&action, &mut loop_vars);
        let mut vars: Vec<Var> = Vec::new();
        let mut nested_decls = false;
        for d in &datums {
            let (kind, body) = match d.as_object().and_then(|m| m.iter().next()) {
                Some((k, b)) => (k.as_str(), b),
                None => continue,
            };
            if kind != "PLpgSQL_var" && kind != "PLpgSQL_rec" {
                continue;
            }
            let Some(name) = body.get("refname").and_then(Value::as_str) else {
                continue;
            };
            if matches!(name, "sqlstate" | "sqlerrm") {
                continue;
            }
            if vars.iter().any(|v| v.name == name) {
                if loop_vars.iter().any(|l| l == name) {
                    continue;
                }
                return Err(Stop::new(format!(
                    "two variables are named {name} (scopes are not followed)"
                )));
            }
            if line_of(body) > top_line && !loop_vars.iter().any(|l| l == name) {
                nested_decls = true;
            }
            let ty = body
                .get("datatype")
                .and_then(|t| t.get("PLpgSQL_type"))
                .and_then(|t| t.get("typname"))
                .and_then(Value::as_str)
                .and_then(type_named);
            let slot = if kind == "PLpgSQL_rec" {
                Slot::Unknown(format!("the record {name} is not followed"))
            } else {
                Slot::Known(Val::Null)
            };
            vars.push(Var {
                name: name.to_string(),
                ty,
                slot,
            });
        }
        Ok(Frame {
            name: name.to_string(),
            datums,
            vars,
            params: Vec::new(),
            top_line,
            nested_decls,
        })
    }

    /// Declared variables take their defaults (`found` starts false).
    fn init(&mut self, run: &mut Run) -> Result<(), Stop> {
        self.set("found", Slot::Known(Val::Bool(false)));
        let datums = self.datums.clone();
        for d in &datums {
            let Some(v) = d.get("PLpgSQL_var") else {
                continue;
            };
            let Some(name) = v.get("refname").and_then(Value::as_str) else {
                continue;
            };
            if let Some(q) = expr_text(v.get("default_val")) {
                let val = run.expr(self, q, line_of(v))?;
                self.assign(name, val, run)?;
            } else if v.get("notnull").and_then(Value::as_bool) == Some(true) {
                return Err(Stop::new(format!("{name} is NOT NULL without a default")));
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<Res> {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| match &v.slot {
                Slot::Known(val) => Ok(val.clone()),
                Slot::Unknown(why) => Err(Stop::new(why.clone())),
            })
    }

    fn set(&mut self, name: &str, slot: Slot) {
        match self.vars.iter_mut().find(|v| v.name == name) {
            Some(v) => v.slot = slot,
            None => self.vars.push(Var {
                name: name.to_string(),
                ty: None,
                slot,
            }),
        }
    }

    /// Assign, cast to the variable's declared type.
    fn assign(&mut self, name: &str, val: Val, run: &mut Run) -> Result<(), Stop> {
        let ty = self
            .vars
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| Stop::new(format!("{name} is not a variable ddlint can follow")))?
            .ty
            .clone();
        let val = match ty {
            Some(t) => cast(val, &t, &mut Live { run, frame: self })?,
            None => val,
        };
        self.set(name, Slot::Known(val));
        Ok(())
    }

    fn datum_name(&self, varno: i64) -> Result<String, Stop> {
        let d = usize::try_from(varno)
            .ok()
            .and_then(|i| self.datums.get(i))
            .and_then(|d| d.get("PLpgSQL_var"))
            .and_then(|v| v.get("refname"))
            .and_then(Value::as_str);
        d.map(str::to_string)
            .ok_or_else(|| Stop::new("an assignment to something other than a plain variable"))
    }
}

fn function_of(json: &Value) -> Result<&Value, Stop> {
    json.as_array()
        .and_then(|a| a.first())
        .and_then(|f| f.get("PLpgSQL_function"))
        .ok_or_else(|| Stop::new("an empty PL/pgSQL body"))
}

fn collect_loop_vars(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(f) = m.get("PLpgSQL_stmt_fori") {
                if let Some(n) = f
                    .get("var")
                    .and_then(|x| x.get("PLpgSQL_var"))
                    .and_then(|x| x.get("refname"))
                    .and_then(Value::as_str)
                {
                    out.push(n.to_string());
                }
            }
            for x in m.values() {
                collect_loop_vars(x, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                collect_loop_vars(x, out);
            }
        }
        _ => {}
    }
}

/// How a statement list ended.
enum Flow {
    Next,
    Return(Val),
    Exit(Option<String>),
    Continue(Option<String>),
}

struct Run<'s> {
    cat: Catalog,
    session: &'s Session,
    pg: u32,
    now: Origin,
    fx: Effects,
    changed: bool,
    executed: usize,
    steps: usize,
    depth: usize,
    /// Where the first stop happened ("line 12 of f()").
    at: Option<String>,
}

impl<'s> Run<'s> {
    fn new(cat: Catalog, session: &'s Session, pg: u32, now: Origin) -> Run<'s> {
        Run {
            cat,
            session,
            pg,
            now,
            fx: Effects::default(),
            changed: false,
            executed: 0,
            steps: 0,
            depth: 0,
            at: None,
        }
    }

    fn finish(self) -> Followed {
        Followed {
            cat: self.cat,
            fx: self.fx,
            changed: self.changed,
            executed: self.executed,
        }
    }

    fn located(&self, why: Stop, fallback: &str) -> Stop {
        Stop::new(format!(
            "{}: {}",
            self.at.as_deref().unwrap_or(fallback),
            why.0
        ))
    }

    fn step(&mut self) -> Result<(), Stop> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Stop::new(format!(
                "more than {MAX_STEPS} PL/pgSQL steps (not followed further)"
            )));
        }
        Ok(())
    }

    /// Run a function's action block.
    fn exec_function(&mut self, json: &Value, frame: &mut Frame) -> Result<Flow, Stop> {
        let f = function_of(json)?;
        let action = f
            .get("action")
            .ok_or_else(|| Stop::new("a PL/pgSQL function without a body"))?;
        self.exec_list(std::slice::from_ref(action), frame, true)
    }

    fn exec_list(&mut self, stmts: &[Value], frame: &mut Frame, top: bool) -> Result<Flow, Stop> {
        for s in stmts {
            let line = s
                .as_object()
                .and_then(|m| m.values().next())
                .map(line_of)
                .unwrap_or(0);
            let r = self.exec(s, frame, top);
            match r {
                Ok(Flow::Next) => {}
                Ok(other) => return Ok(other),
                Err(e) => {
                    if self.at.is_none() {
                        self.at = Some(format!("line {line} of {}", frame.name));
                    }
                    return Err(e);
                }
            }
        }
        Ok(Flow::Next)
    }

    fn exec(&mut self, stmt: &Value, frame: &mut Frame, top: bool) -> Result<Flow, Stop> {
        self.step()?;
        let Some((kind, s)) = stmt.as_object().and_then(|m| m.iter().next()) else {
            return Err(Stop::new("an empty PL/pgSQL statement"));
        };
        let body = |k: &str| -> Vec<Value> {
            s.get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let line = line_of(s);
        match kind.as_str() {
            "PLpgSQL_stmt_block" => {
                if s.get("exceptions").is_some() {
                    return Err(Stop::new(
                        "a block with an exception handler (which statements fail is not followed)",
                    ));
                }
                let is_top = top && line <= frame.top_line;
                if !is_top && frame.nested_decls {
                    return Err(Stop::new("variables declared in a nested block"));
                }
                let label = s.get("label").and_then(Value::as_str).map(str::to_string);
                match self.exec_list(&body("body"), frame, is_top)? {
                    Flow::Exit(Some(l)) if Some(&l) == label.as_ref() => Ok(Flow::Next),
                    other => Ok(other),
                }
            }
            "PLpgSQL_stmt_assign" => {
                let name = frame.datum_name(int_field(s, "varno"))?;
                let q = expr_text(s.get("expr")).unwrap_or("");
                let rhs = strip_assignment(q, &name)
                    .ok_or_else(|| Stop::new(format!("an assignment ddlint does not read: {q}")))?;
                let v = self.expr(frame, rhs, line)?;
                frame.assign(&name, v, self)?;
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_if" => {
                if self.cond(frame, s.get("cond"), line)? {
                    return self.exec_list(&body("then_body"), frame, false);
                }
                for e in body("elsif_list") {
                    let Some(e) = e.get("PLpgSQL_if_elsif") else {
                        continue;
                    };
                    if self.cond(frame, e.get("cond"), line_of(e))? {
                        let stmts = e
                            .get("stmts")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        return self.exec_list(&stmts, frame, false);
                    }
                }
                self.exec_list(&body("else_body"), frame, false)
            }
            "PLpgSQL_stmt_case" => {
                if s.get("t_expr").is_some() {
                    return Err(Stop::new("CASE <expression> WHEN ... is not followed"));
                }
                for w in body("case_when_list") {
                    let Some(w) = w.get("PLpgSQL_case_when") else {
                        continue;
                    };
                    if self.cond(frame, w.get("expr"), line_of(w))? {
                        let stmts = w
                            .get("stmts")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        return self.exec_list(&stmts, frame, false);
                    }
                }
                if s.get("have_else").and_then(Value::as_bool) == Some(true) {
                    self.exec_list(&body("else_stmts"), frame, false)
                } else {
                    Err(Stop::new("case not found (the statement fails)"))
                }
            }
            "PLpgSQL_stmt_fori" => self.fori(s, frame, line),
            "PLpgSQL_stmt_foreach_a" => {
                if int_field(s, "slice") != 0 {
                    return Err(Stop::new("FOREACH ... SLICE is not followed"));
                }
                let name = frame.datum_name(int_field(s, "varno"))?;
                let items = match self.expr(frame, expr_text(s.get("expr")).unwrap_or(""), line)? {
                    Val::Array(items) => items,
                    Val::Null => {
                        return Err(Stop::new(
                            "FOREACH expression must not be null (the statement fails)",
                        ))
                    }
                    _ => return Err(Stop::new("FOREACH over something not an array")),
                };
                let label = s.get("label").and_then(Value::as_str).map(str::to_string);
                let stmts = body("body");
                for item in items {
                    self.step()?;
                    frame.assign(&name, item, self)?;
                    match self.loop_body(&stmts, frame, &label)? {
                        Some(f) => return Ok(f),
                        None => continue,
                    }
                }
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_while" | "PLpgSQL_stmt_loop" => {
                let label = s.get("label").and_then(Value::as_str).map(str::to_string);
                let stmts = body("body");
                loop {
                    self.step()?;
                    if kind == "PLpgSQL_stmt_while" && !self.cond(frame, s.get("cond"), line)? {
                        return Ok(Flow::Next);
                    }
                    if let Some(f) = self.loop_body(&stmts, frame, &label)? {
                        return Ok(f);
                    }
                }
            }
            "PLpgSQL_stmt_exit" => {
                if s.get("cond").is_some() && !self.cond(frame, s.get("cond"), line)? {
                    return Ok(Flow::Next);
                }
                let label = s.get("label").and_then(Value::as_str).map(str::to_string);
                if s.get("is_exit").and_then(Value::as_bool) == Some(true) {
                    Ok(Flow::Exit(label))
                } else {
                    Ok(Flow::Continue(label))
                }
            }
            "PLpgSQL_stmt_return" => {
                if s.get("retvarno").is_some() {
                    return Err(Stop::new("RETURN of OUT parameters is not followed"));
                }
                match expr_text(s.get("expr")) {
                    Some(q) => Ok(Flow::Return(self.expr(frame, q, line)?)),
                    None => Ok(Flow::Return(Val::Void)),
                }
            }
            "PLpgSQL_stmt_raise" => {
                // elog.h as the linked parser numbers levels: ERROR is
                // 21 (NOTICE 18, WARNING 19); lower levels only report.
                let level = int_field(s, "elog_level");
                if level == 0 || level >= 21 {
                    Err(Stop::new("RAISE EXCEPTION (the statement fails)"))
                } else {
                    Ok(Flow::Next)
                }
            }
            "PLpgSQL_stmt_assert" => {
                if self.cond(frame, s.get("cond"), line)? {
                    Ok(Flow::Next)
                } else {
                    Err(Stop::new("ASSERT fails (the statement fails)"))
                }
            }
            "PLpgSQL_stmt_perform" => {
                let q = expr_text(s.get("expr")).unwrap_or("");
                let rows = self.sql_text(frame, q, line, false)?;
                let found = match rows {
                    Some(r) => Slot::Known(Val::Bool(!r.is_empty())),
                    None => Slot::Unknown("FOUND depends on the rows a query returns".into()),
                };
                frame.set("found", found);
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_execsql" => {
                let q = expr_text(s.get("sqlstmt")).unwrap_or("");
                let into = s.get("into").and_then(Value::as_bool) == Some(true);
                let strict = s.get("strict").and_then(Value::as_bool) == Some(true);
                let rows = self.sql_text(frame, q, line, false)?;
                let found = match &rows {
                    Some(r) => Slot::Known(Val::Bool(!r.is_empty())),
                    None => Slot::Unknown("FOUND depends on the rows a query returns".into()),
                };
                if into {
                    self.into(frame, s.get("target"), rows, strict)?;
                }
                frame.set("found", found);
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_dynexecute" => {
                let q = expr_text(s.get("query")).unwrap_or("");
                let sql = match self.expr(frame, q, line)? {
                    Val::Null => {
                        return Err(Stop::new(
                            "query string argument of EXECUTE is null (the statement fails)",
                        ))
                    }
                    v => output(&v).unwrap_or_default(),
                };
                let into = s.get("into").and_then(Value::as_bool) == Some(true);
                let strict = s.get("strict").and_then(Value::as_bool) == Some(true);
                // USING values are parameters of the statement: they do
                // not change what it locks, and are not evaluated.
                let rows = self.sql_text(frame, &sql, line, true)?;
                if into && sql.trim().is_empty() {
                    return Err(Stop::new(
                        "INTO used with a command that cannot return data (the statement fails)",
                    ));
                }
                if into {
                    self.into(frame, s.get("target"), rows, strict)?;
                }
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_call" => {
                let q = expr_text(s.get("expr")).unwrap_or("");
                self.sql_text(frame, q, line, false)?;
                Ok(Flow::Next)
            }
            other => Err(Stop::new(format!(
                "the PL/pgSQL statement {} is not followed",
                other.trim_start_matches("PLpgSQL_stmt_")
            ))),
        }
    }

    /// A loop body: `Some(flow)` when the loop ends here.
    fn loop_body(
        &mut self,
        stmts: &[Value],
        frame: &mut Frame,
        label: &Option<String>,
    ) -> Result<Option<Flow>, Stop> {
        Ok(match self.exec_list(stmts, frame, false)? {
            Flow::Next => None,
            Flow::Continue(None) => None,
            Flow::Continue(Some(l)) if Some(&l) == label.as_ref() => None,
            Flow::Exit(None) => Some(Flow::Next),
            Flow::Exit(Some(l)) if Some(&l) == label.as_ref() => Some(Flow::Next),
            other => Some(other),
        })
    }

    fn fori(&mut self, s: &Value, frame: &mut Frame, line: i64) -> Result<Flow, Stop> {
        let name = s
            .get("var")
            .and_then(|v| v.get("PLpgSQL_var"))
            .and_then(|v| v.get("refname"))
            .and_then(Value::as_str)
            .ok_or_else(|| Stop::new("a FOR loop without a variable"))?
            .to_string();
        let int = |v: Val, what: &str| -> Result<i64, Stop> {
            match v {
                Val::Int(i) => Ok(i),
                Val::Text(t) => t
                    .trim()
                    .parse()
                    .map_err(|_| Stop::new(format!("the {what} of a FOR loop is not an integer"))),
                Val::Null => Err(Stop::new(format!(
                    "{what} bound of FOR loop cannot be null (the statement fails)"
                ))),
                _ => Err(Stop::new(format!(
                    "the {what} of a FOR loop is not an integer"
                ))),
            }
        };
        let lower = self.expr(frame, expr_text(s.get("lower")).unwrap_or(""), line)?;
        let lower = int(lower, "lower")?;
        let upper = self.expr(frame, expr_text(s.get("upper")).unwrap_or(""), line)?;
        let upper = int(upper, "upper")?;
        let step = match expr_text(s.get("step")) {
            Some(q) => {
                let v = self.expr(frame, q, line)?;
                int(v, "BY value")?
            }
            None => 1,
        };
        if step <= 0 {
            return Err(Stop::new(
                "BY value of FOR loop must be greater than zero (the statement fails)",
            ));
        }
        let reverse = s.get("reverse").and_then(Value::as_bool) == Some(true);
        let label = s.get("label").and_then(Value::as_str).map(str::to_string);
        let stmts = s
            .get("body")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // The loop variable is its own, hiding a variable of that name
        // until the loop ends.
        let saved = frame
            .vars
            .iter()
            .position(|v| v.name == name)
            .map(|i| frame.vars.remove(i));
        frame.vars.push(Var {
            name: name.clone(),
            ty: Some(TypeRef {
                name: "int4".into(),
                ..TypeRef::default()
            }),
            slot: Slot::Known(Val::Null),
        });
        let mut i = lower;
        let mut found = false;
        let mut result = Ok(Flow::Next);
        loop {
            if (!reverse && i > upper) || (reverse && i < upper) {
                break;
            }
            if let Err(e) = self.step() {
                result = Err(e);
                break;
            }
            found = true;
            frame.set(&name, Slot::Known(Val::Int(i)));
            match self.loop_body(&stmts, frame, &label) {
                Ok(None) => {}
                Ok(Some(f)) => {
                    result = Ok(f);
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            let next = if reverse {
                i.checked_sub(step)
            } else {
                i.checked_add(step)
            };
            match next {
                Some(n) => i = n,
                None => break,
            }
        }
        if let Some(p) = frame.vars.iter().position(|v| v.name == name) {
            frame.vars.remove(p);
        }
        if let Some(v) = saved {
            frame.vars.push(v);
        }
        frame.set("found", Slot::Known(Val::Bool(found)));
        result
    }

    /// A condition: an expression that must be true, false or NULL
    /// (false).
    fn cond(&mut self, frame: &mut Frame, e: Option<&Value>, line: i64) -> Result<bool, Stop> {
        let q = expr_text(e).ok_or_else(|| Stop::new("a condition without an expression"))?;
        let v = if expr_mode(e) == 0 {
            // A whole query (rare): its first column.
            match self.sql_text(frame, q, line, false)? {
                Some(rows) => rows
                    .first()
                    .and_then(|r| r.first().cloned())
                    .unwrap_or(Val::Null),
                None => return Err(Stop::new("a condition that depends on data")),
            }
        } else {
            self.expr(frame, q, line)?
        };
        Ok(truth(v)? == Some(true))
    }

    /// The value of a PL/pgSQL expression (`SELECT <expr>`).
    fn expr(&mut self, frame: &Frame, q: &str, _line: i64) -> Res {
        let stmts = crate::parse::memo::statements(&format!("SELECT {q}"))
            .ok_or_else(|| Stop::new(format!("the expression {q} does not parse")))?;
        let [N::SelectStmt(sel)] = &stmts[..] else {
            return Err(Stop::new(format!("the expression {q} is not one value")));
        };
        let rows = Live { run: self, frame }.query(sel)?;
        match rows.as_slice() {
            [] => Ok(Val::Null),
            [row] if row.len() == 1 => Ok(row[0].clone()),
            [_] => Err(Stop::new(format!(
                "query \"{q}\" returned more than one column (the statement fails)"
            ))),
            _ => Err(Stop::new(format!(
                "query \"{q}\" returned more than one row (the statement fails)"
            ))),
        }
    }

    /// Run SQL text (static or built by EXECUTE): its rows when ddlint
    /// knows them (a query over constants or catalog views), `None` when
    /// they depend on data.
    fn sql_text(
        &mut self,
        frame: &Frame,
        sql: &str,
        line: i64,
        dynamic: bool,
    ) -> Result<Option<Vec<Vec<Val>>>, Stop> {
        let stmts = crate::parse::memo::statements(sql).ok_or_else(|| {
            Stop::new(if dynamic {
                format!("EXECUTE of SQL that does not parse (the statement fails): {sql}")
            } else {
                format!("SQL that does not parse: {sql}")
            })
        })?;
        if stmts.is_empty() {
            // An empty string runs nothing (pl_exec.c allows a zero
            // return from SPI).
            return Ok(Some(Vec::new()));
        }
        let mut rows = Some(Vec::new());
        for st in stmts.iter() {
            rows = self.sql(frame, st, line)?;
        }
        Ok(rows)
    }

    fn sql(&mut self, frame: &Frame, st: &N, line: i64) -> Result<Option<Vec<Vec<Val>>>, Stop> {
        self.executed += 1;
        if self.executed > MAX_SQL {
            return Err(Stop::new(format!(
                "more than {MAX_SQL} SQL statements (not followed further)"
            )));
        }
        match st {
            N::SelectStmt(sel) if answered_here(sel) => {
                Live { run: self, frame }.query(sel).map(Some)
            }
            N::CallStmt(c) => {
                let Some(f) = c.funccall.as_ref() else {
                    return Err(Stop::new("CALL without a procedure"));
                };
                let proc_ = self.procedure(f)?;
                let mut args = Vec::new();
                for a in &f.args {
                    args.push((None, eval(a, &mut Live { run: self, frame })));
                }
                self.call_function(&proc_, &args)?;
                Ok(Some(Vec::new()))
            }
            N::TransactionStmt(_) => Err(Stop::new("transaction control inside PL/pgSQL")),
            N::VariableSetStmt(_) => Err(Stop::new("SET inside PL/pgSQL is not followed")),
            N::DoStmt(d) => {
                let (lang, body) = super::ast::language_and_body(&d.args);
                if lang.is_some_and(|l| l != "plpgsql") {
                    return Err(Stop::new("a DO block in another language"));
                }
                let body = body.ok_or_else(|| Stop::new("a DO block without a body"))?;
                self.depth_in()?;
                let json = parse_body(&body, "FUNCTION ddlint_do()", "RETURNS void")?;
                let mut inner = Frame::from_json(&json, "a nested DO block")?;
                let r = inner
                    .init(self)
                    .and_then(|_| self.exec_function(&json, &mut inner));
                self.depth -= 1;
                r?;
                Ok(Some(Vec::new()))
            }
            other => {
                // Data is touched, or the schema changed: the same effects
                // and replay as a top-level statement.
                let cx = Ctx {
                    cat: &self.cat,
                    session: self.session,
                    pg: self.pg,
                    now: self.now,
                };
                let e = effects(other, &cx);
                if let Some(u) = &e.unknown {
                    // What it did may not be replayed in full.
                    self.cat.opaque.get_or_insert_with(|| u.clone());
                }
                self.fx.merge(e);
                if super::changes_something(other) {
                    self.changed = true;
                }
                replay::apply(other, &mut self.cat, self.session, self.pg, self.now);
                let _ = line;
                Ok(None)
            }
        }
    }

    /// Assign a statement's first row to INTO targets.
    fn into(
        &mut self,
        frame: &mut Frame,
        target: Option<&Value>,
        rows: Option<Vec<Vec<Val>>>,
        strict: bool,
    ) -> Result<(), Stop> {
        let target = target.ok_or_else(|| Stop::new("INTO without a target"))?;
        let names: Vec<String> = if let Some(row) = target.get("PLpgSQL_row") {
            row.get("fields")
                .and_then(Value::as_array)
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| f.get("name").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        } else if let Some(v) = target.get("PLpgSQL_var").or(target.get("PLpgSQL_rec")) {
            v.get("refname")
                .and_then(Value::as_str)
                .map(|n| vec![n.to_string()])
                .unwrap_or_default()
        } else {
            return Err(Stop::new("an INTO target ddlint does not follow"));
        };
        let Some(rows) = rows else {
            for n in &names {
                frame.set(
                    n,
                    Slot::Unknown(format!(
                        "{n} is set from rows known only when the query runs"
                    )),
                );
            }
            return Ok(());
        };
        let row = match rows.as_slice() {
            [] if strict => return Err(Stop::new("query returned no rows (the statement fails)")),
            [] => Vec::new(),
            [r] => r.clone(),
            _ if strict => {
                return Err(Stop::new(
                    "query returned more than one row (the statement fails)",
                ))
            }
            [first, rest @ ..] => {
                if rest.iter().any(|r| r != first) {
                    for n in &names {
                        frame.set(
                            n,
                            Slot::Unknown(format!(
                                "{n} is set from the first of several rows, in no known order"
                            )),
                        );
                    }
                    return Ok(());
                }
                first.clone()
            }
        };
        for (i, n) in names.iter().enumerate() {
            let v = row.get(i).cloned().unwrap_or(Val::Null);
            frame.assign(n, v, self)?;
        }
        Ok(())
    }

    fn depth_in(&mut self) -> Result<(), Stop> {
        if self.depth >= MAX_DEPTH {
            return Err(Stop::new("calls nested too deeply to follow"));
        }
        self.depth += 1;
        Ok(())
    }

    fn procedure(&self, f: &pb::FuncCall) -> Result<Function, Stop> {
        match callee(&self.cat, &self.session.search_path, f) {
            Callee::User(p) if p.is_procedure && p.language == "plpgsql" => Ok(p.clone()),
            _ => Err(Stop::new("CALL of a procedure ddlint does not follow")),
        }
    }

    /// Run a PL/pgSQL function (or procedure) with these arguments.
    fn call_function(&mut self, func: &Function, args: &[(Option<String>, Res)]) -> Res {
        let name = format!("{}()", func.name.name);
        if func.returns_set || func.variadic {
            return Err(Stop::new(format!(
                "{name} returns a set or takes VARIADIC arguments: not followed"
            )));
        }
        let n = func.arg_types.len();
        let mut slots: Vec<Option<Val>> = vec![None; n];
        let mut position = 0;
        for (named, r) in args {
            let v = r.clone()?;
            let at = match named {
                Some(nm) => func
                    .arg_names
                    .iter()
                    .position(|a| a == nm)
                    .ok_or_else(|| Stop::new(format!("{name} has no parameter {nm}")))?,
                None => {
                    position += 1;
                    position - 1
                }
            };
            match slots.get_mut(at) {
                Some(slot) => *slot = Some(v),
                None => return Err(Stop::new(format!("{name} called with too many arguments"))),
            }
        }
        let first_default = n - func.arg_defaults.len().min(n);
        let mut vals = Vec::with_capacity(n);
        for (i, slot) in slots.into_iter().enumerate() {
            let v = match slot {
                Some(v) => v,
                None if i >= first_default => {
                    let text = func.arg_defaults[i - first_default].clone();
                    let q = text.trim_start();
                    let q = q
                        .strip_prefix("SELECT ")
                        .or_else(|| q.strip_prefix("select "))
                        .unwrap_or(q);
                    self.expr(&Frame::empty(&name), q, 0)?
                }
                None => return Err(Stop::new(format!("{name} called with too few arguments"))),
            };
            vals.push(v);
        }
        // Arguments take the parameters' types.
        for (v, ty) in vals.iter_mut().zip(&func.arg_types) {
            if let Some(t) = type_named(ty) {
                let empty = Frame::empty(&name);
                *v = cast(
                    std::mem::replace(v, Val::Null),
                    &t,
                    &mut Live {
                        run: self,
                        frame: &empty,
                    },
                )?;
            }
        }
        if func.strict && vals.contains(&Val::Null) {
            return Ok(Val::Null);
        }
        let body = func
            .body
            .as_deref()
            .ok_or_else(|| Stop::new(format!("{name} has no body ddlint knows")))?;
        let params: Vec<String> = func
            .arg_names
            .iter()
            .zip(&func.arg_types)
            .map(|(n, t)| {
                if n.is_empty() {
                    t.clone()
                } else {
                    format!("{} {t}", super::consts::quote_ident(n))
                }
            })
            .collect();
        let kind = if func.is_procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        };
        let header = format!("{kind} ddlint_fn({})", params.join(", "));
        let json = parse_body(body, &header, &returns_clause(func))?;
        self.depth_in()?;
        let r = (|| {
            let mut frame = Frame::from_json(&json, &name)?;
            for (i, v) in vals.iter().enumerate() {
                if let Some(nm) = func.arg_names.get(i).filter(|n| !n.is_empty()) {
                    frame.set(nm, Slot::Known(v.clone()));
                }
            }
            frame.params = vals.clone();
            frame.init(self)?;
            self.exec_function(&json, &mut frame)
        })();
        self.depth -= 1;
        let ret = match r? {
            Flow::Return(v) => v,
            Flow::Next if func.is_procedure => Val::Void,
            Flow::Next => match &func.return_type {
                Some(t) if t.name == "void" => Val::Void,
                _ => {
                    return Err(Stop::new(format!(
                        "control reached end of {name} without RETURN (the statement fails)"
                    )))
                }
            },
            Flow::Exit(_) | Flow::Continue(_) => {
                return Err(Stop::new("EXIT or CONTINUE outside a loop"))
            }
        };
        match &func.return_type {
            Some(t) if t.name != "void" && ret != Val::Void => {
                let empty = Frame::empty(&name);
                cast(
                    ret,
                    t,
                    &mut Live {
                        run: self,
                        frame: &empty,
                    },
                )
            }
            _ => Ok(ret),
        }
    }
}

/// The right-hand side of `x := expr` (or `x = expr`).
fn strip_assignment<'q>(q: &'q str, name: &str) -> Option<&'q str> {
    let t = q.trim_start();
    let rest = if t
        .get(..name.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(name))
    {
        &t[name.len()..]
    } else {
        let quoted = format!("\"{name}\"");
        t.strip_prefix(quoted.as_str())?
    };
    let rest = rest.trim_start();
    rest.strip_prefix(":=")
        .or_else(|| rest.strip_prefix('='))
        .map(str::trim_start)
}

/// A SELECT whose rows ddlint works out itself: no FROM (constants,
/// variables, calls), or one catalog view.
fn answered_here(sel: &pb::SelectStmt) -> bool {
    sel.from_clause.is_empty() || probe::reads_catalog_view(sel)
}

/// The evaluator's view of a running function: its variables, calls of
/// PL/pgSQL functions followed (their effects and catalog changes are the
/// run's), queries over catalog views answered from the catalog.
struct Live<'r, 's> {
    run: &'r mut Run<'s>,
    frame: &'r Frame,
}

impl Live<'_, '_> {
    fn query(&mut self, sel: &pb::SelectStmt) -> Result<Vec<Vec<Val>>, Stop> {
        if !sel.from_clause.is_empty() {
            let run = &*self.run;
            let mut ro = ReadOnly {
                frame: self.frame,
                cat: &run.cat,
                session: run.session,
                pg: run.pg,
            };
            return ro.query(sel);
        }
        let plain = sel.group_clause.is_empty()
            && sel.having_clause.is_none()
            && sel.with_clause.is_none()
            && sel.values_lists.is_empty()
            && sel.window_clause.is_empty()
            && sel.limit_count.is_none()
            && sel.limit_offset.is_none()
            && sel.op == pb::SetOperation::SetopNone as i32;
        if !plain {
            return Err(Stop::new("a query ddlint does not evaluate"));
        }
        if let Some(w) = sel.where_clause.as_deref() {
            if truth(eval(w, self)?)? != Some(true) {
                return Ok(Vec::new());
            }
        }
        let mut row = Vec::new();
        for t in &sel.target_list {
            let Some(N::ResTarget(rt)) = &t.node else {
                continue;
            };
            match rt.val.as_deref() {
                Some(v) => row.push(eval(v, self)?),
                None => row.push(Val::Null),
            }
        }
        Ok(vec![row])
    }
}

impl Host for Live<'_, '_> {
    fn var(&mut self, fields: &[String]) -> Option<Res> {
        var(self.frame, fields)
    }

    fn param(&mut self, n: i32) -> Option<Res> {
        param(self.frame, n)
    }

    fn call(&mut self, f: &pb::FuncCall, args: &[(Option<String>, Res)]) -> Option<Res> {
        let func = match callee(&self.run.cat, &self.run.session.search_path, f) {
            Callee::User(u) => u.clone(),
            _ => return None,
        };
        if func.language != "plpgsql" || func.is_procedure {
            return Some(Err(Stop::new(format!(
                "{}() is written in {}: calls of it are not followed",
                func.name.name, func.language
            ))));
        }
        Some(self.run.call_function(&func, args))
    }

    fn query(&mut self, s: &pb::SelectStmt) -> Result<Vec<Vec<Val>>, Stop> {
        Live::query(self, s)
    }

    fn regclass(&mut self, name: &str) -> Result<Option<(QName, String)>, Stop> {
        regclass(&self.run.cat, self.run.session, name)
    }
}

/// Evaluation inside a catalog query: no function of the history runs.
struct ReadOnly<'r> {
    frame: &'r Frame,
    cat: &'r Catalog,
    session: &'r Session,
    pg: u32,
}

impl Host for ReadOnly<'_> {
    fn var(&mut self, fields: &[String]) -> Option<Res> {
        var(self.frame, fields)
    }

    fn param(&mut self, n: i32) -> Option<Res> {
        param(self.frame, n)
    }

    fn call(&mut self, f: &pb::FuncCall, _: &[(Option<String>, Res)]) -> Option<Res> {
        match callee(self.cat, &self.session.search_path, f) {
            Callee::User(u) => Some(Err(Stop::new(format!(
                "{}() called inside a query is not followed",
                u.name.name
            )))),
            _ => None,
        }
    }

    fn query(&mut self, s: &pb::SelectStmt) -> Result<Vec<Vec<Val>>, Stop> {
        let (cat, session, pg, frame) = (self.cat, self.session, self.pg, self.frame);
        // A name that is both a variable and a column of the view is an
        // error (plpgsql.variable_conflict = error).
        let mut ambiguous = None;
        super::ast::walk(&N::SelectStmt(Box::new(s.clone())), &mut |x| {
            if let N::ColumnRef(c) = x {
                if let [one] = super::ast::strings(&c.fields).as_slice() {
                    if frame.get(one).is_some() && probe::view_has_column(s, one) {
                        ambiguous.get_or_insert_with(|| one.clone());
                    }
                }
            }
            true
        });
        if let Some(a) = ambiguous {
            return Err(Stop::new(format!(
                "column reference \"{a}\" is ambiguous (the statement fails)"
            )));
        }
        probe::query(s, cat, session, pg, &mut |n: &Node| {
            eval(
                n,
                &mut ReadOnly {
                    frame,
                    cat,
                    session,
                    pg,
                },
            )
        })
    }

    fn regclass(&mut self, name: &str) -> Result<Option<(QName, String)>, Stop> {
        regclass(self.cat, self.session, name)
    }
}

fn var(frame: &Frame, fields: &[String]) -> Option<Res> {
    match fields {
        [v] => frame.get(v),
        _ => None,
    }
}

fn param(frame: &Frame, n: i32) -> Option<Res> {
    usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| frame.params.get(i))
        .map(|v| Ok(v.clone()))
}

fn regclass(cat: &Catalog, session: &Session, name: &str) -> Result<Option<(QName, String)>, Stop> {
    match probe::resolve(cat, session, name)? {
        Some(q) => match probe::rel(cat, session, q) {
            Val::Rel(q, shown) => Ok(Some((q, shown))),
            _ => Err(Stop::new("a regclass ddlint cannot show")),
        },
        None => Ok(None),
    }
}
