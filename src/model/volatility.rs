//! Volatility of default expressions: a volatile default (evaluated per
//! row) forces ADD COLUMN to rewrite the table; a stable or immutable one
//! is evaluated once and stored as the "missing" value (PostgreSQL 11+).
//! Built-in functions are listed by name (pg_proc.provolatile); functions
//! created by the migrations carry their declared volatility (VOLATILE when
//! not declared, as in PostgreSQL); anything else is assumed volatile and
//! the report says so.

use pg_query::protobuf::Node;

use super::ast::node_refs;
use super::catalog::{Catalog, Volatility};

/// Built-in functions whose result differs per call (provolatile = 'v').
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "setseed",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "currval",
    "lastval",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "gen_random_bytes",
    "gen_salt",
    "txid_current",
    "pg_current_xact_id",
];

/// Built-ins that are stable or immutable and common in defaults.
const NON_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "localtimestamp",
    "current_date",
    "current_setting",
    "timezone",
    "to_timestamp",
    "to_char",
    "to_date",
    "date_trunc",
    "date_part",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "lower",
    "upper",
    "btrim",
    "trim",
    "concat",
    "concat_ws",
    "md5",
    "sha256",
    "length",
    "substring",
    "substr",
    "replace",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "abs",
    "round",
    "floor",
    "ceil",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "array_to_string",
    "string_to_array",
    "array",
    "int4range",
    "int8range",
    "tstzrange",
    "tsrange",
    "daterange",
    "numrange",
    "to_tsvector",
    "encode",
    "decode",
    "current_user",
    "session_user",
    "current_schema",
    "pg_catalog.now",
    "uuid_nil",
    "uuid_ns_url",
    "inet_client_addr",
    "format",
    "extract",
    "overlay",
    "position",
    "char_length",
    "octet_length",
    "left",
    "right",
    "repeat",
    "lpad",
    "rpad",
    "split_part",
    "regexp_replace",
    "array_length",
    "cardinality",
    "bool",
    "int4",
    "int8",
    "text",
    "numeric",
    "timestamptz",
    "timestamp",
    "date",
    "interval",
    "jsonb",
    "json",
    "uuid",
];

pub fn function_volatility(name: &str, cat: &Catalog) -> Option<Volatility> {
    if VOLATILE.contains(&name) {
        return Some(Volatility::Volatile);
    }
    if let Some(v) = cat.functions.get(name) {
        return Some(*v);
    }
    if NON_VOLATILE.contains(&name) {
        return Some(Volatility::Stable);
    }
    None
}

/// The volatility of an expression and, when a function's volatility had to
/// be assumed, its name.
pub fn expr_volatility(expr: &Node, cat: &Catalog) -> (Volatility, Option<String>) {
    let refs = node_refs(expr);
    let mut worst = Volatility::Immutable;
    let mut assumed = None;
    for (f, _) in &refs.functions {
        let v = match function_volatility(f, cat) {
            Some(v) => v,
            None => {
                assumed.get_or_insert_with(|| f.clone());
                Volatility::Volatile
            }
        };
        worst = match (worst, v) {
            (Volatility::Volatile, _) | (_, Volatility::Volatile) => Volatility::Volatile,
            (Volatility::Stable, _) | (_, Volatility::Stable) => Volatility::Stable,
            _ => Volatility::Immutable,
        };
    }
    if refs.has_sublink {
        worst = Volatility::Volatile;
    }
    (
        worst,
        if worst == Volatility::Volatile {
            assumed
        } else {
            None
        },
    )
}
