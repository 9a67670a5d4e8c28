//! What ddlint knows of built-in functions without a catalog: their
//! volatility (`pg_proc.provolatile`), whether they are strict
//! (`proisstrict`), aggregates and set-returning functions. These decide
//! how the planner treats a call (`evaluate_function`, `inline_function`,
//! `contain_volatile_functions` in optimizer/util/clauses.c); see
//! `model::functions`. A function on none of these lists and not created
//! by the migration history has an unknown volatility: ddlint says so and
//! never assumes it is safe.

use super::catalog::Volatility;

/// Built-in functions whose result differs per call (provolatile = 'v'),
/// including common extension functions (uuid-ossp, pgcrypto).
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

/// Built-ins that are stable (provolatile = 's'): the same result within a
/// statement, so evaluated once for a default, but not pre-evaluated by
/// the planner and "mutable" for an IMMUTABLE SQL function's body. Names
/// with stable and immutable overloads (`to_char`, `date_trunc`, ...) are
/// listed here: mutable is the cautious answer.
const STABLE: &[&str] = &[
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
    "extract",
    "make_timestamptz",
    "concat",
    "concat_ws",
    "format",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "array_to_string",
    "to_tsvector",
    "current_user",
    "session_user",
    "current_schema",
    "inet_client_addr",
    "timestamptz",
    "timestamp",
    "date",
];

/// Built-ins that are immutable (provolatile = 'i') and common in
/// defaults, checks and function bodies.
const IMMUTABLE: &[&str] = &[
    "make_interval",
    "make_date",
    "make_timestamp",
    "lower",
    "upper",
    "btrim",
    "trim",
    "ltrim",
    "rtrim",
    "md5",
    "sha256",
    "length",
    "substring",
    "substr",
    "replace",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "mod",
    "power",
    "sqrt",
    "string_to_array",
    "array",
    "int4range",
    "int8range",
    "tstzrange",
    "tsrange",
    "daterange",
    "numrange",
    "encode",
    "decode",
    "uuid_nil",
    "uuid_ns_url",
    "overlay",
    "position",
    "strpos",
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
    "array_append",
    "array_prepend",
    "array_cat",
    "cardinality",
    "num_nulls",
    "num_nonnulls",
    "bool",
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "text",
    "varchar",
    "numeric",
    "interval",
    "jsonb",
    "json",
    "uuid",
];

/// Built-ins that are not strict: called even with NULL arguments, so a
/// strict SQL function whose body uses one is not inlined.
const NONSTRICT: &[&str] = &[
    "concat",
    "concat_ws",
    "format",
    "num_nulls",
    "num_nonnulls",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "json_build_array",
    "array_append",
    "array_prepend",
    "array_cat",
];

/// Aggregate and window functions: a SQL function whose body uses one is
/// not inlined (`hasAggs`, `hasWindowFuncs`).
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "bit_xor",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "xmlagg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "corr",
    "covar_pop",
    "covar_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "range_agg",
    "range_intersect_agg",
    "any_value",
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
];

/// Set-returning built-ins (`proretset`): never pre-evaluated or inlined
/// as expressions (`hasTargetSRFs`).
const SET_RETURNING: &[&str] = &[
    "generate_series",
    "generate_subscripts",
    "unnest",
    "regexp_matches",
    "regexp_split_to_table",
    "string_to_table",
    "json_each",
    "jsonb_each",
    "json_each_text",
    "jsonb_each_text",
    "json_array_elements",
    "jsonb_array_elements",
    "json_array_elements_text",
    "jsonb_array_elements_text",
    "json_object_keys",
    "jsonb_object_keys",
    "json_to_recordset",
    "jsonb_to_recordset",
    "jsonb_path_query",
];

/// What is known of a built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    pub volatility: Volatility,
    pub strict: bool,
    pub aggregate: bool,
    pub set_returning: bool,
}

/// The built-in function `name` (unqualified, as the parser folded it), if
/// ddlint knows it.
pub fn builtin(name: &str) -> Option<Builtin> {
    let volatility = if VOLATILE.contains(&name) {
        Volatility::Volatile
    } else if STABLE.contains(&name) {
        Volatility::Stable
    } else if IMMUTABLE.contains(&name)
        || AGGREGATES.contains(&name)
        || SET_RETURNING.contains(&name)
    {
        Volatility::Immutable
    } else {
        return None;
    };
    Some(Builtin {
        volatility,
        strict: !NONSTRICT.contains(&name) && !AGGREGATES.contains(&name),
        aggregate: AGGREGATES.contains(&name),
        set_returning: SET_RETURNING.contains(&name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_disjoint() {
        for (a, an) in [
            (VOLATILE, "VOLATILE"),
            (STABLE, "STABLE"),
            (IMMUTABLE, "IMMUTABLE"),
        ] {
            for (b, bn) in [
                (VOLATILE, "VOLATILE"),
                (STABLE, "STABLE"),
                (IMMUTABLE, "IMMUTABLE"),
            ] {
                if an == bn {
                    continue;
                }
                for x in a {
                    assert!(!b.contains(x), "{x} is in {an} and {bn}");
                }
            }
        }
    }

    #[test]
    fn known_builtins() {
        assert_eq!(builtin("random").unwrap().volatility, Volatility::Volatile);
        assert_eq!(builtin("now").unwrap().volatility, Volatility::Stable);
        assert_eq!(builtin("lower").unwrap().volatility, Volatility::Immutable);
        assert!(!builtin("concat").unwrap().strict);
        assert!(builtin("count").unwrap().aggregate);
        assert!(builtin("generate_series").unwrap().set_returning);
        assert!(builtin("my_function").is_none());
    }
}
