//! DO blocks: PL/pgSQL bodies are parsed with PostgreSQL's own PL/pgSQL
//! grammar; their static SQL statements and `EXECUTE '<literal>'` are
//! analysed like top-level statements (all branches count: the effects are
//! the union, as if every branch ran). A block that runs dynamic SQL built
//! at run time is followed as it runs instead (`pleval.rs`); when it cannot
//! be, its effects are unknown.

use pg_query::protobuf::{node::Node as N, DoStmt};
use serde_json::Value;

use super::ast::{const_str, language_and_body};
use super::catalog::{Catalog, Origin};
use super::effects::{effects, Ctx, Effects};
use super::replay;
use super::session::Session;

struct Body {
    statements: Vec<N>,
    unknown: Option<String>,
    /// It runs SQL built at run time (EXECUTE of a non-literal).
    dynamic: bool,
}

/// The body and its language (PL/pgSQL unless it says otherwise).
fn body_text(d: &DoStmt) -> Option<(String, String)> {
    let (lang, body) = language_and_body(&d.args);
    body.map(|b| (b, lang.unwrap_or_else(|| "plpgsql".into())))
}

fn extract(d: &DoStmt) -> Body {
    let Some((body, lang)) = body_text(d) else {
        return Body {
            statements: vec![],
            unknown: Some("DO block without a body".into()),
            dynamic: false,
        };
    };
    if lang != "plpgsql" {
        return Body {
            statements: vec![],
            unknown: Some(format!("DO block in language {lang}: not analysed")),
            dynamic: false,
        };
    }
    let mut tag = "ddlint".to_string();
    while body.contains(&format!("${tag}$")) {
        tag.push('x');
    }
    let wrapped = format!(
        "CREATE FUNCTION ddlint_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    );
    let json = match crate::parse::memo::plpgsql(&wrapped) {
        Ok(j) => j,
        Err(e) => {
            return Body {
                statements: vec![],
                unknown: Some(format!("DO block body does not parse: {e}")),
                dynamic: false,
            }
        }
    };
    let mut sqls: Vec<String> = Vec::new();
    let mut unknown = None;
    walk(&json, &mut sqls, &mut unknown);
    let dynamic = unknown.is_some();
    let mut statements = Vec::new();
    for sql in sqls {
        match crate::parse::memo::statements(&sql) {
            Some(nodes) => statements.extend(nodes.iter().cloned()),
            None => {
                unknown.get_or_insert_with(|| {
                    "a statement inside the DO block could not be parsed".to_string()
                });
            }
        }
    }
    Body {
        statements,
        unknown,
        dynamic,
    }
}

/// Every piece of SQL a PL/pgSQL function body holds: its statements and
/// every expression (conditions, assignments, RETURN values, loop
/// queries), as text (expressions without their `SELECT`). `Err` when
/// the body does not parse or builds SQL at run time (EXECUTE of a
/// non-literal).
///
/// `returns` is the function's `RETURNS` clause (`RETURNS SETOF int`),
/// empty for a procedure: the PL/pgSQL grammar checks RETURN against it.
pub fn function_sql(body: &str, returns: &str) -> Result<Vec<String>, String> {
    let mut tag = "ddlint".to_string();
    while body.contains(&format!("${tag}$")) {
        tag.push('x');
    }
    let kind = if returns.is_empty() {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    let wrapped =
        format!("CREATE {kind} ddlint_fn() {returns} LANGUAGE plpgsql AS ${tag}${body}${tag}$");
    let json = crate::parse::memo::plpgsql(&wrapped)
        .map_err(|e| format!("its PL/pgSQL body does not parse: {e}"))?;
    let mut out = Vec::new();
    let mut dynamic = None;
    all_sql(&json, &mut out, &mut dynamic);
    match dynamic {
        Some(q) => Err(format!(
            "it runs dynamic SQL built at run time: EXECUTE {q}"
        )),
        None => Ok(out),
    }
}

fn all_sql(v: &Value, out: &mut Vec<String>, dynamic: &mut Option<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match k.as_str() {
                    "PLpgSQL_expr" => {
                        if let Some(q) = val.get("query").and_then(|q| q.as_str()) {
                            out.push(q.to_string());
                        }
                    }
                    "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => {
                        let q = val.get("query").and_then(expr_query).unwrap_or("");
                        match literal(q) {
                            Some(sql) => out.push(sql),
                            None => {
                                dynamic.get_or_insert_with(|| q.trim().to_string());
                            }
                        }
                    }
                    _ => all_sql(val, out, dynamic),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                all_sql(x, out, dynamic);
            }
        }
        _ => {}
    }
}

fn expr_query(v: &Value) -> Option<&str> {
    v.get("PLpgSQL_expr")
        .and_then(|e| e.get("query"))
        .and_then(|q| q.as_str())
}

fn walk(v: &Value, out: &mut Vec<String>, unknown: &mut Option<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match k.as_str() {
                    "PLpgSQL_stmt_execsql" => {
                        if let Some(q) = val.get("sqlstmt").and_then(expr_query) {
                            out.push(q.to_string());
                        }
                    }
                    "PLpgSQL_stmt_perform" => {
                        if let Some(q) = val.get("expr").and_then(expr_query) {
                            out.push(q.to_string());
                        }
                    }
                    "PLpgSQL_stmt_dynexecute" => {
                        let q = val.get("query").and_then(expr_query).unwrap_or("");
                        match literal(q) {
                            Some(sql) => out.push(sql),
                            None => {
                                unknown.get_or_insert_with(|| {
                                    format!(
                                        "DO block runs dynamic SQL built at run time: EXECUTE {}",
                                        q.trim()
                                    )
                                });
                            }
                        }
                    }
                    // Every other expression (IF and WHILE conditions, FOR
                    // queries, assignments, RETURN and RAISE arguments) is
                    // planned and run as a query: the tables it reads are
                    // locked too. A bare expression runs as `SELECT expr`.
                    "PLpgSQL_expr" => {
                        if let Some(q) = val.get("query").and_then(|q| q.as_str()) {
                            if crate::parse::memo::statements(q).is_some() {
                                out.push(q.to_string());
                            } else {
                                let select = format!("SELECT {q}");
                                if crate::parse::memo::statements(&select).is_some() {
                                    out.push(select);
                                }
                            }
                        }
                    }
                    _ => walk(val, out, unknown),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, out, unknown);
            }
        }
        _ => {}
    }
}

/// `'ALTER TABLE ...'` (or `$q$...$q$`) as a PL/pgSQL expression.
fn literal(q: &str) -> Option<String> {
    let nodes = crate::parse::memo::statements(&format!("SELECT {q}"))?;
    match nodes.first()? {
        N::SelectStmt(s) if s.target_list.len() == 1 => match &s.target_list[0].node {
            Some(N::ResTarget(rt)) => match rt.val.as_deref().and_then(|v| v.node.as_ref()) {
                Some(N::AConst(_)) => rt.val.as_deref().and_then(const_str),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Effects of a DO block, applying its statements to the catalog as they
/// go (a later statement of the body sees what an earlier one created).
pub fn do_effects_and_apply(
    d: &DoStmt,
    cat: &mut Catalog,
    session: &Session,
    pg: u32,
    now: Origin,
) -> Effects {
    let body = extract(d);
    // SQL built at run time: follow the block as it runs
    // ([`super::pleval`]); if it cannot be, the static reading below.
    let mut not_followed = None;
    if body.dynamic {
        if let Some((text, _)) = body_text(d) {
            match super::pleval::follow_do(&text, cat, session, pg, now) {
                Ok(f) => {
                    *cat = f.cat;
                    let mut fx = f.fx;
                    fx.read_only = !f.changed;
                    fx.note(format!(
                        "followed the DO block as it runs: {} SQL statement(s) ran",
                        f.executed
                    ));
                    return fx;
                }
                Err(why) => not_followed = Some(why.0),
            }
        }
    }
    let mut fx = Effects::default();
    for n in &body.statements {
        let e = match n {
            N::DoStmt(dd) => do_effects_and_apply(dd, cat, session, pg, now),
            other => {
                let inner = Ctx {
                    cat,
                    session,
                    pg,
                    now,
                };
                let e = effects(other, &inner);
                replay::apply(other, cat, session, pg, now);
                e
            }
        };
        fx.merge(e);
    }
    fx.read_only = body.unknown.is_none()
        && body.statements.iter().all(|n| match n {
            N::DoStmt(_) => false,
            other => !super::changes_something(other),
        });
    if let Some(u) = body.unknown {
        fx.set_unknown(u);
    }
    if let Some(why) = not_followed {
        cat.opaque.get_or_insert_with(|| {
            format!("a DO block running dynamic SQL was not followed ({why})")
        });
        fx.note(format!("the DO block could not be followed: {why}"));
    }
    if !body.statements.is_empty() {
        fx.note(format!(
            "analysed the {} SQL statement(s) inside the DO block, as if every branch ran",
            body.statements.len()
        ));
    }
    fx
}
