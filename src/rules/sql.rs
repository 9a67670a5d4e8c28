//! Small helpers rules share: reading the statement tree and writing the
//! safe SQL for the user's own statement (their names, their formatting).

use pg_query::protobuf::{self as pb, node::Node as N, AlterTableType as T, ConstrType as C};
use pg_query::NodeEnum;

use super::Edit;
use crate::model::ast::strings;
use crate::model::catalog::QName;

/// Quote an identifier when PostgreSQL would need it.
pub fn ident(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .map(|c| c.is_ascii_lowercase() || c == '_')
            .unwrap_or(false)
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// A relation name as the user wrote it (schema only when they gave one).
pub fn rv(r: &pb::RangeVar) -> String {
    if r.schemaname.is_empty() {
        ident(&r.relname)
    } else {
        format!("{}.{}", ident(&r.schemaname), ident(&r.relname))
    }
}

/// A qualified name, `public.` left out.
pub fn qname(q: &QName) -> String {
    if q.schema == "public" {
        ident(&q.name)
    } else {
        format!("{}.{}", ident(&q.schema), ident(&q.name))
    }
}

pub fn idents(cols: &[String]) -> String {
    cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

/// The statement text without its terminating semicolon (and trailing
/// blanks before it).
pub fn body(sql: &str) -> &str {
    sql.strip_suffix(';').unwrap_or(sql).trim_end()
}

/// Byte offset (in `sql`) right after the first whole-word, case-insensitive
/// occurrence of `word` outside quotes and comments.
pub fn after_word(sql: &str, word: &str) -> Option<usize> {
    let b = sql.as_bytes();
    let w = word.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        let boundary_before = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if boundary_before
            && i + w.len() <= b.len()
            && b[i..i + w.len()].eq_ignore_ascii_case(w)
            && (i + w.len() == b.len()
                || !(b[i + w.len()].is_ascii_alphanumeric() || b[i + w.len()] == b'_'))
        {
            return Some(i + w.len());
        }
        i += 1;
    }
    None
}

/// Insert `what` right after `word` in the statement: the new statement
/// text and the edit on the file.
pub fn insert_after(
    stmt_start: usize,
    sql: &str,
    word: &str,
    what: &str,
) -> Option<(String, Edit)> {
    let at = after_word(sql, word)?;
    let mut s = sql.to_string();
    s.insert_str(at, what);
    Some((
        s,
        Edit {
            start: stmt_start + at,
            end: stmt_start + at,
            text: what.to_string(),
        },
    ))
}

/// Insert `what` before the terminating semicolon.
pub fn insert_at_end(stmt_start: usize, sql: &str, what: &str) -> (String, Edit) {
    let b = body(sql);
    let s = format!("{b}{what};");
    (
        s,
        Edit {
            start: stmt_start + b.len(),
            end: stmt_start + b.len(),
            text: what.to_string(),
        },
    )
}

pub fn deparse(n: &NodeEnum) -> Option<String> {
    n.deparse(Default::default()).ok()
}

// The AST accessors the model uses too.
pub use crate::model::ast::{
    alter_cmds, cmd_column_def as column_def, cmd_constraint as constraint, column_constraints,
    contype, subtype,
};

pub fn names(list: &[pb::Node]) -> Vec<String> {
    strings(list)
}

/// Column names an expression refers to.
pub fn column_refs(e: &pb::Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = &e.node {
        for r in crate::model::ast::all_nodes(n) {
            if let pg_query::NodeRef::ColumnRef(c) = r {
                if let Some(last) = c.fields.last().and_then(crate::model::ast::string_of) {
                    if !out.iter().any(|x: &String| x == last) {
                        out.push(last.to_string());
                    }
                }
            }
        }
    }
    out
}

/// The name PostgreSQL gives an unnamed constraint (ChooseConstraintName).
pub fn constraint_name(table: &str, k: &pb::Constraint, column: Option<&str>) -> String {
    if !k.conname.is_empty() {
        return k.conname.clone();
    }
    let (cols, label) = match contype(k) {
        C::ConstrForeign => (names(&k.fk_attrs), "fkey"),
        C::ConstrCheck => {
            let refs = column
                .map(|c| vec![c.to_string()])
                .or_else(|| k.raw_expr.as_deref().map(column_refs))
                .unwrap_or_default();
            (if refs.len() == 1 { refs } else { vec![] }, "check")
        }
        C::ConstrPrimary => (vec![], "pkey"),
        C::ConstrUnique => (names(&k.keys), "key"),
        C::ConstrExclusion => (vec![], "excl"),
        _ => (vec![], "con"),
    };
    crate::model::replay::make_object_name(table, &cols.join("_"), label)
}

/// The lock_timeout a fix sets: 5s, or the configured maximum if lower.
pub fn lock_timeout_literal(max: std::time::Duration) -> String {
    let d = max.min(std::time::Duration::from_secs(5));
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

pub fn mode_phrase(m: crate::model::locks::LockMode) -> String {
    let what = m.blocks_phrase().replace(" (", "; ").replace(')', "");
    format!("{} ({what})", m.pg_name())
}

/// A type the way people write it (bigint, not int8).
pub fn type_sql(t: &crate::model::types::TypeRef) -> String {
    let base = match t.name.as_str() {
        "int8" => "bigint",
        "int4" => "integer",
        "int2" => "smallint",
        "float8" => "double precision",
        "float4" => "real",
        "bool" => "boolean",
        "bpchar" => "char",
        "varchar" => "varchar",
        other => other,
    };
    let mut s = base.to_string();
    if !t.mods.is_empty() {
        s.push_str(&format!(
            "({})",
            t.mods
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if t.array {
        s.push_str("[]");
    }
    s
}

/// Column definitions a statement creates: CREATE TABLE columns and ALTER
/// TABLE ADD COLUMN, with the table they belong to.
pub fn new_columns(node: &NodeEnum) -> Vec<(&pb::RangeVar, &pb::ColumnDef)> {
    let mut v = Vec::new();
    match node {
        N::CreateStmt(s) => {
            if let Some(rv) = &s.relation {
                for e in &s.table_elts {
                    if let Some(N::ColumnDef(d)) = &e.node {
                        v.push((rv, d.as_ref()));
                    }
                }
            }
        }
        N::AlterTableStmt(s) => {
            if let Some(rv) = &s.relation {
                for c in alter_cmds(s) {
                    if subtype(c) == T::AtAddColumn {
                        if let Some(d) = column_def(c) {
                            v.push((rv, d));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    v
}

pub fn type_of(d: &pb::ColumnDef) -> crate::model::types::TypeRef {
    d.type_name
        .as_ref()
        .map(crate::model::types::TypeRef::from_ast)
        .unwrap_or_default()
}
