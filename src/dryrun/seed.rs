//! Synthetic rows for `ddlint dry-run --seed-rows N`.
//!
//! After the migration history is replayed on a throwaway server, its tables
//! are empty, and an empty table makes every rewrite and scan instant: the
//! dry-run would report nothing worth knowing. [`seed_tables`] fills every
//! user table with N rows so that durations mean something.
//!
//! One `INSERT INTO t (cols) SELECT ... FROM generate_series(1, N) g ... ON
//! CONFLICT DO NOTHING` per table, each committed on its own, tables in
//! foreign-key order (referenced tables first), then `ANALYZE`:
//!
//! - a column's value is derived from `g` and its type (domains: their base
//!   type, then cast to the domain): integers `g`, text `'v' || g` cut to
//!   the declared length, numeric within its precision and scale, dates and
//!   times counted from 2000-01-01, uuid `md5(g)`, `'{}'` for json, arrays
//!   and multiranges, `'empty'` for ranges, enums cycle through their labels;
//! - identity, serial, generated and defaulted columns are left to their
//!   defaults (GENERATED ALWAYS ones must be);
//! - a foreign key takes the key of an existing row of the referenced
//!   table (its rows numbered, row `(g - 1) % count + 1`), so it holds
//!   whatever generated the parent's key (our generator, an identity, rows
//!   the migrations inserted); a self-reference points at the previous
//!   generated row when the referenced columns are generated here, else NULL;
//! - a nullable column of a type ddlint cannot generate is NULL; a NOT NULL
//!   one without a default makes the table skipped.
//!
//! With production statistics (`--stats`, [`Rows::FromStats`] for
//! `--seed-rows auto`), each table gets production's estimated row count
//! (capped), and each column production's shape: a `null_frac` share of
//! its rows NULL (spread over the rows by a multiplicative hash of `g`) and
//! `n_distinct` distinct values (`g` folded onto `1..k`), so that the
//! failures only production data reveals (SET NOT NULL on a column with
//! NULLs, a unique index over duplicates) happen in the dry-run too. A
//! column without statistics keeps distinct, non-NULL values.
//!
//! Partitions get their rows through their partitioned table (rows that fit
//! no partition fail the insert). When an insert fails (a CHECK constraint,
//! a domain, partition bounds, a trigger), it is retried once with every
//! nullable generated column NULL; when that fails too, the table and the
//! error are listed in [`SeedReport::skipped`] and seeding goes on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use postgres::Client;

/// One seeded table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededTable {
    /// `schema.name` (unquoted).
    pub table: String,
    /// Rows inserted (fewer than asked when unique keys collided with rows
    /// already there).
    pub rows: u64,
    /// Time the insert took.
    pub millis: u64,
}

/// What [`seed_tables`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Tables that received rows, in the order they were seeded.
    pub tables: Vec<SeededTable>,
    /// Tables left as they were (or not analysed), with the reason.
    pub skipped: Vec<(String, String)>,
}

/// A user table to seed.
#[derive(Debug)]
struct Table {
    oid: i64,
    /// `schema.name` for the report.
    name: String,
    schema: String,
    relname: String,
    /// Quoted, schema-qualified, for SQL.
    qname: String,
    columns: Vec<Column>,
}

#[derive(Debug)]
struct Column {
    attnum: i16,
    /// Quoted name.
    qname: String,
    /// Plain name, for messages.
    name: String,
    not_null: bool,
    /// Has a default, an identity or is generated.
    defaulted: bool,
    /// GENERATED ALWAYS identity or a generated column: never written.
    never_written: bool,
    /// `format_type(atttypid, atttypmod)`.
    type_sql: String,
    type_oid: i64,
    typmod: i32,
}

/// A row of pg_type, as far as generation needs it.
#[derive(Debug, Clone)]
struct TypeInfo {
    name: String,
    /// `format_type(oid, NULL)`: the name to write in SQL.
    sql_name: String,
    in_catalog: bool,
    typtype: String,
    category: String,
    base: i64,
    base_typmod: i32,
    enum_labels: i64,
}

/// A foreign key of a seeded table.
#[derive(Debug)]
struct ForeignKey {
    child: i64,
    parent: i64,
    /// Quoted, schema-qualified referenced table.
    parent_qname: String,
    child_cols: Vec<i16>,
    parent_cols: Vec<i16>,
    /// Quoted referenced column names, in key order.
    parent_col_names: Vec<String>,
}

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// The server's message (and detail) of an error.
fn db_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            s
        }
        None => e.to_string(),
    }
}

fn db_err(what: &str, e: postgres::Error) -> String {
    format!("{what}: {}", db_message(&e))
}

/// How many rows each table gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// The same number for every table (`--seed-rows N`).
    Fixed(u64),
    /// Production's estimated row count from the statistics, at most `max`
    /// (`--seed-rows auto --seed-max M`).
    FromStats { max: u64 },
}

/// Fills every user table (ordinary and partitioned, not the partitions)
/// with synthetic rows, referenced tables first, then analyses them; with
/// `stats`, shaped like production's (see the module's documentation).
/// Only reading the catalog can fail; a table that cannot be seeded is
/// listed in [`SeedReport::skipped`].
pub fn seed_tables(
    client: &mut Client,
    rows: Rows,
    stats: Option<&crate::stats::Stats>,
) -> Result<SeedReport, String> {
    let mut report = SeedReport::default();
    if rows == Rows::Fixed(0) {
        return Ok(report);
    }
    if let (Rows::FromStats { .. }, None) = (rows, stats) {
        return Err("--seed-rows auto takes each table's row count from --stats FILE".into());
    }
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int4", &[])
        .map_err(|e| db_err("cannot read the server version", e))?
        .get(0);
    let types = load_types(client)?;
    let mut tables = load_tables(client, version)?;
    let fks = load_foreign_keys(client, &tables)?;
    let order = fk_order(&tables, &fks);

    let mut by_oid: HashMap<i64, Table> = tables.drain(..).map(|t| (t.oid, t)).collect();
    let mut seeded = Vec::new();
    for oid in order {
        let Some(table) = by_oid.remove(&oid) else {
            continue;
        };
        let table_fks: Vec<&ForeignKey> = fks.iter().filter(|f| f.child == oid).collect();
        let profile = stats.and_then(|s| {
            s.relation(&crate::model::catalog::QName::new(
                table.schema.as_str(),
                table.relname.as_str(),
            ))
        });
        let n = match (rows, profile) {
            (Rows::Fixed(n), _) => n,
            (Rows::FromStats { max }, Some(p)) => match p.rows {
                Some(n) => n.min(max),
                None => {
                    report.skipped.push((
                        table.name.clone(),
                        "production's row count is unknown (never analysed): not seeded".into(),
                    ));
                    continue;
                }
            },
            (Rows::FromStats { .. }, None) => {
                report.skipped.push((
                    table.name.clone(),
                    "not in the statistics file: not seeded".into(),
                ));
                continue;
            }
        };
        if n == 0 {
            continue;
        }
        let n = i64::try_from(n)
            .map_err(|_| format!("--seed-rows {n} is too large: use at most {}", i64::MAX))?;
        let started = Instant::now();
        match seed_one(client, &table, &table_fks, &types, n, profile) {
            Ok(n) => {
                report.tables.push(SeededTable {
                    table: table.name.clone(),
                    rows: n,
                    millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                });
                seeded.push(table);
            }
            Err(why) => report.skipped.push((table.name.clone(), why)),
        }
    }
    for table in &seeded {
        if let Err(e) = client.batch_execute(&format!("ANALYZE {}", table.qname)) {
            report.skipped.push((
                table.name.clone(),
                db_err("rows inserted, but ANALYZE failed", e),
            ));
        }
    }
    Ok(report)
}

fn load_types(client: &mut Client) -> Result<HashMap<i64, TypeInfo>, String> {
    let rows = client
        .query(
            "SELECT t.oid::int8, t.typname::text, t.typnamespace = 'pg_catalog'::regnamespace, \
                    t.typtype::text, t.typcategory::text, t.typbasetype::int8, t.typtypmod, \
                    (SELECT count(*) FROM pg_enum e WHERE e.enumtypid = t.oid), \
                    format_type(t.oid, NULL) \
             FROM pg_type t",
            &[],
        )
        .map_err(|e| db_err("cannot read pg_type", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0),
                TypeInfo {
                    name: r.get(1),
                    in_catalog: r.get(2),
                    typtype: r.get(3),
                    category: r.get(4),
                    base: r.get(5),
                    base_typmod: r.get(6),
                    enum_labels: r.get(7),
                    sql_name: r.get(8),
                },
            )
        })
        .collect())
}

fn load_tables(client: &mut Client, version: i32) -> Result<Vec<Table>, String> {
    let generated = if version >= 120000 {
        "a.attgenerated::text <> ''"
    } else {
        "false"
    };
    let sql = format!(
        "SELECT c.oid::int8, n.nspname::text || '.' || c.relname::text, n.nspname::text, c.relname::text, \
                format('%I.%I', n.nspname, c.relname), \
                a.attnum, quote_ident(a.attname), a.attname::text, a.attnotnull, \
                a.atthasdef OR a.attidentity::text <> '' OR {generated}, \
                a.attidentity::text = 'a' OR {generated}, \
                format_type(a.atttypid, a.atttypmod), a.atttypid::int8, a.atttypmod \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't' \
           AND {USER_SCHEMAS} \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                           AND d.objid = c.oid AND d.deptype = 'e') \
         ORDER BY 2, a.attnum"
    );
    let rows = client
        .query(&sql, &[])
        .map_err(|e| db_err("cannot read the user tables", e))?;
    let mut tables: Vec<Table> = Vec::new();
    for r in &rows {
        let oid: i64 = r.get(0);
        if tables.last().map(|t| t.oid) != Some(oid) {
            tables.push(Table {
                oid,
                name: r.get(1),
                schema: r.get(2),
                relname: r.get(3),
                qname: r.get(4),
                columns: Vec::new(),
            });
        }
        let Some(attnum) = r.get::<_, Option<i16>>(5) else {
            continue; // a table without columns
        };
        if let Some(t) = tables.last_mut() {
            t.columns.push(Column {
                attnum,
                qname: r.get(6),
                name: r.get(7),
                not_null: r.get(8),
                defaulted: r.get(9),
                never_written: r.get(10),
                type_sql: r.get(11),
                type_oid: r.get(12),
                typmod: r.get(13),
            });
        }
    }
    Ok(tables)
}

fn load_foreign_keys(client: &mut Client, tables: &[Table]) -> Result<Vec<ForeignKey>, String> {
    let rows = client
        .query(
            "SELECT con.conrelid::int8, con.confrelid::int8, format('%I.%I', n.nspname, c.relname), \
                    con.conkey, con.confkey, \
                    ARRAY(SELECT quote_ident(a.attname) \
                          FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) \
                          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum \
                          ORDER BY k.ord) \
             FROM pg_constraint con \
             JOIN pg_class c ON c.oid = con.confrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE con.contype = 'f' AND con.conparentid = 0 \
             ORDER BY con.conrelid, con.conname",
            &[],
        )
        .map_err(|e| db_err("cannot read the foreign keys", e))?;
    let ours: BTreeSet<i64> = tables.iter().map(|t| t.oid).collect();
    Ok(rows
        .iter()
        .map(|r| ForeignKey {
            child: r.get(0),
            parent: r.get(1),
            parent_qname: r.get(2),
            child_cols: r.get(3),
            parent_cols: r.get(4),
            parent_col_names: r.get(5),
        })
        .filter(|f| ours.contains(&f.child) && f.child_cols.len() == f.parent_col_names.len())
        .collect())
}

/// Tables ordered so that referenced tables come first (by name among
/// equals; a cycle is broken at its first table by name).
fn fk_order(tables: &[Table], fks: &[ForeignKey]) -> Vec<i64> {
    let names: BTreeMap<i64, &str> = tables.iter().map(|t| (t.oid, t.name.as_str())).collect();
    let mut deps: BTreeMap<i64, BTreeSet<i64>> =
        tables.iter().map(|t| (t.oid, BTreeSet::new())).collect();
    for f in fks {
        if f.child != f.parent && names.contains_key(&f.parent) {
            if let Some(d) = deps.get_mut(&f.child) {
                d.insert(f.parent);
            }
        }
    }
    let mut order = Vec::with_capacity(tables.len());
    let mut pending: BTreeSet<(&str, i64)> = names.iter().map(|(oid, n)| (*n, *oid)).collect();
    let mut pending_oids: BTreeSet<i64> = names.keys().copied().collect();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .find(|(_, oid)| {
                deps.get(oid)
                    .is_none_or(|d| d.iter().all(|p| !pending_oids.contains(p)))
            })
            .copied();
        // A cycle: take the first pending table by name.
        let Some(key) = ready.or_else(|| pending.iter().next().copied()) else {
            break;
        };
        pending.remove(&key);
        pending_oids.remove(&key.1);
        order.push(key.1);
    }
    order
}

/// How a column is filled.
enum Fill {
    /// Left out of the column list: its default applies.
    Default,
    /// An expression over `g` (and the foreign-key joins).
    Expr(String),
    /// Cannot be generated; NULL.
    Null,
}

/// The base type of a (possibly domain) type and the typmod that applies.
fn base_type(
    types: &HashMap<i64, TypeInfo>,
    mut oid: i64,
    mut typmod: i32,
) -> Option<(&TypeInfo, i32)> {
    for _ in 0..32 {
        let t = types.get(&oid)?;
        if t.typtype != "d" {
            return Some((t, typmod));
        }
        if typmod < 0 {
            typmod = t.base_typmod;
        }
        oid = t.base;
    }
    None
}

/// An expression of type `base` for row `g` (an SQL expression of type
/// bigint), before the final cast to the column's type; `None` when ddlint
/// cannot generate this type.
fn value_expr(
    types: &HashMap<i64, TypeInfo>,
    type_oid: i64,
    typmod: i32,
    g: &str,
) -> Option<String> {
    let (t, typmod) = base_type(types, type_oid, typmod)?;
    if t.typtype == "e" {
        if t.enum_labels == 0 {
            return None;
        }
        // Cycles through the labels (of the base enum, for a domain).
        return Some(format!(
            "(enum_range(NULL::{}))[(({g}) - 1) % {} + 1]",
            t.sql_name, t.enum_labels
        ));
    }
    if t.typtype == "r" {
        return Some("'empty'".to_string());
    }
    if t.typtype == "m" || t.category == "A" {
        return Some("'{}'".to_string());
    }
    let text_len = |typmod: i32| (typmod >= 4).then(|| typmod - 4);
    if t.in_catalog {
        let e = match t.name.as_str() {
            "int2" => format!("((({g}) - 1) % 32767 + 1)"),
            "int4" => format!("((({g}) - 1) % 2147483647 + 1)"),
            "int8" | "float4" | "float8" => format!("({g})"),
            "oid" => format!("((({g}) - 1) % 4294967295 + 1)"),
            "numeric" => numeric_expr(typmod, g),
            "money" => format!("({g})::numeric"),
            "bool" => format!("(({g}) % 2 = 0)"),
            "text" | "name" => format!("('v' || ({g}))"),
            "varchar" | "bpchar" => match text_len(typmod) {
                Some(n) => format!("left('v' || ({g}), {n})"),
                None => format!("('v' || ({g}))"),
            },
            "char" => "'v'".to_string(),
            "date" => format!("(date '2000-01-01' + (({g}) % 1000000)::int4)"),
            "timestamp" => format!("(timestamp '2000-01-01' + ({g}) * interval '1 second')"),
            "timestamptz" => {
                format!("(timestamptz '2000-01-01 00:00:00+00' + ({g}) * interval '1 second')")
            }
            "time" => format!("(time '00:00' + ({g}) * interval '1 second')"),
            "timetz" => format!("(time '00:00' + ({g}) * interval '1 second')::timetz"),
            "interval" => format!("(({g}) * interval '1 second')"),
            "uuid" => format!("md5(({g})::text)::uuid"),
            "json" | "jsonb" => "'{}'".to_string(),
            "bytea" => format!("convert_to('v' || ({g}), 'UTF8')"),
            "inet" => format!("(inet '10.0.0.0' + (({g}) % 4294967296))"),
            "cidr" => format!("(inet '10.0.0.0' + (({g}) % 4294967296))::cidr"),
            "macaddr" => format!("lpad(to_hex(({g}) % 281474976710656), 12, '0')"),
            "point" => format!("point(({g}), ({g}))"),
            "tsvector" => format!("to_tsvector('simple', 'v' || ({g}))"),
            // bit(n): the typmod is n itself.
            "bit" if typmod > 0 => format!("repeat('0', {typmod})"),
            "bit" => "'0'".to_string(),
            "varbit" => "''".to_string(),
            _ => return generic(t, g),
        };
        return Some(e);
    }
    generic(t, g)
}

/// Types outside pg_catalog (citext, ...) by their category.
fn generic(t: &TypeInfo, g: &str) -> Option<String> {
    match t.category.as_str() {
        "S" => Some(format!("('v' || ({g}))")),
        "N" => Some(format!("({g})")),
        "B" => Some(format!("(({g}) % 2 = 0)")),
        _ => None,
    }
}

/// A numeric value that fits numeric(p, s): 1.. up to 10^(p-s) - 1.
fn numeric_expr(typmod: i32, g: &str) -> String {
    if typmod < 4 {
        return format!("({g})");
    }
    let t = typmod - 4;
    let precision = (t >> 16) & 0xffff;
    // Scale: 11-bit signed since PostgreSQL 15 (negative scales).
    let scale = ((t & 0x7ff) ^ 1024) - 1024;
    let int_digits = precision - scale;
    if int_digits < 1 {
        return "0".to_string();
    }
    let bound = 10i64.pow(int_digits.min(15) as u32) - 1;
    format!("((({g}) - 1) % {bound} + 1)")
}

/// Inserts the rows of one table; the error says why not.
fn seed_one(
    client: &mut Client,
    table: &Table,
    fks: &[&ForeignKey],
    types: &HashMap<i64, TypeInfo>,
    rows: i64,
    profile: Option<&crate::stats::RelationStats>,
) -> Result<u64, String> {
    let g = "g.g";
    let mut fills: Vec<Fill> = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        let fill = if c.never_written || c.defaulted {
            Fill::Default
        } else {
            let shape = profile.and_then(|p| p.column(&c.name));
            let folded = shape.and_then(|s| distinct_values(s.n_distinct, rows));
            let source = match folded {
                Some(k) => format!("((({g}) - 1) % {k} + 1)"),
                None => g.to_string(),
            };
            match value_expr(types, c.type_oid, c.typmod, &source) {
                Some(e) => Fill::Expr(match shape {
                    Some(s) if !c.not_null && s.null_frac > 0.0 => with_nulls(&e, s.null_frac, g),
                    _ => e,
                }),
                None if !c.not_null => Fill::Null,
                None => {
                    return Err(format!(
                        "column {} is NOT NULL without a default and of type {}, which ddlint \
                         cannot generate values for: seed this table yourself, or give the \
                         column a DEFAULT",
                        c.name, c.type_sql
                    ))
                }
            }
        };
        fills.push(fill);
    }
    // Foreign keys: columns take the key of an existing parent row.
    let mut joins = Vec::new();
    let mut fk_cols: BTreeSet<i16> = BTreeSet::new();
    for (k, fk) in fks.iter().enumerate() {
        let idx: Option<Vec<usize>> = fk
            .child_cols
            .iter()
            .map(|a| table.columns.iter().position(|c| c.attnum == *a))
            .collect();
        let Some(idx) = idx else { continue };
        if idx.iter().any(|i| table.columns[*i].never_written)
            || fk.child_cols.iter().any(|a| fk_cols.contains(a))
        {
            continue;
        }
        if fk.parent == table.oid {
            // Self-reference: the previous generated row, when the
            // referenced columns are generated from g here; else NULL.
            let prev = format!("(({g}) + {rows} - 2) % {rows} + 1");
            let parent_exprs: Option<Vec<String>> = fk
                .parent_cols
                .iter()
                .map(|a| {
                    let c = table.columns.iter().find(|c| c.attnum == *a)?;
                    if c.defaulted || c.never_written {
                        return None;
                    }
                    value_expr(types, c.type_oid, c.typmod, &prev)
                        .map(|e| format!("({e})::{}", c.type_sql))
                })
                .collect();
            for (n, i) in idx.iter().enumerate() {
                fills[*i] = match parent_exprs.as_ref().and_then(|p| p.get(n)) {
                    Some(e) => Fill::Expr(e.clone()),
                    None => Fill::Null,
                };
            }
        } else {
            let alias = format!("fk{k}");
            let cols: Vec<String> = fk
                .parent_col_names
                .iter()
                .enumerate()
                .map(|(n, c)| format!("{c} AS c{n}"))
                .collect();
            let not_null: Vec<String> = fk
                .parent_col_names
                .iter()
                .map(|c| format!("{c} IS NOT NULL"))
                .collect();
            joins.push(format!(
                "LEFT JOIN (SELECT {}, row_number() OVER () AS rn FROM {} WHERE {}) AS {alias} \
                 ON {alias}.rn = (({g}) - 1) % NULLIF((SELECT count(*) FROM {} WHERE {}), 0) + 1",
                cols.join(", "),
                fk.parent_qname,
                not_null.join(" AND "),
                fk.parent_qname,
                not_null.join(" AND "),
            ));
            for (n, i) in idx.iter().enumerate() {
                fills[*i] = Fill::Expr(format!("{alias}.c{n}"));
            }
        }
        fk_cols.extend(fk.child_cols.iter().copied());
    }

    let attempt = |client: &mut Client, null_nullable: bool| -> Result<u64, postgres::Error> {
        let mut cols = Vec::new();
        let mut exprs = Vec::new();
        for (c, fill) in table.columns.iter().zip(&fills) {
            let e = match fill {
                Fill::Default => continue,
                Fill::Null => "NULL".to_string(),
                Fill::Expr(_) if null_nullable && !c.not_null => "NULL".to_string(),
                Fill::Expr(e) => e.clone(),
            };
            cols.push(c.qname.clone());
            exprs.push(format!("({e})::{}", c.type_sql));
        }
        let target = if cols.is_empty() {
            String::new()
        } else {
            format!(" ({})", cols.join(", "))
        };
        let sql = format!(
            "INSERT INTO {}{target} SELECT {} FROM generate_series(1::int8, {rows}::int8) AS g(g) {} \
             ON CONFLICT DO NOTHING",
            table.qname,
            exprs.join(", "),
            joins.join(" "),
        );
        client.execute(&sql, &[])
    };
    match attempt(client, false) {
        Ok(n) => Ok(n),
        Err(first) => {
            let can_retry = table
                .columns
                .iter()
                .zip(&fills)
                .any(|(c, f)| !c.not_null && matches!(f, Fill::Expr(_)));
            if !can_retry {
                return Err(db_err("insert failed", first));
            }
            attempt(client, true).map_err(|second| {
                format!(
                    "{}; again with nullable columns NULL: {}",
                    db_err("insert failed", first),
                    db_message(&second)
                )
            })
        }
    }
}

/// How many distinct values `n_distinct` means for `rows` rows (`None`:
/// as many as rows, or unknown).
fn distinct_values(n_distinct: f64, rows: i64) -> Option<i64> {
    let k = if n_distinct > 0.0 {
        n_distinct.round()
    } else if n_distinct < 0.0 {
        (-n_distinct * rows as f64).ceil()
    } else {
        return None;
    };
    let k = (k as i64).max(1);
    (k < rows).then_some(k)
}

/// `e`, NULL on a `frac` share of the rows, spread over them (Knuth's
/// multiplicative hash of g modulo a prime).
fn with_nulls(e: &str, frac: f64, g: &str) -> String {
    const P: i64 = 1_000_003;
    let cut = (frac.clamp(0.0, 1.0) * P as f64).round() as i64;
    format!("CASE WHEN (({g}) * 2654435761) % {P} < {cut} THEN NULL ELSE {e} END")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_shape() {
        assert_eq!(distinct_values(3.0, 1000), Some(3));
        assert_eq!(distinct_values(-0.5, 1000), Some(500));
        assert_eq!(distinct_values(-1.0, 1000), None);
        assert_eq!(distinct_values(0.0, 1000), None);
        assert_eq!(distinct_values(5000.0, 1000), None);
        assert_eq!(
            with_nulls("(g)", 0.25, "g"),
            "CASE WHEN ((g) * 2654435761) % 1000003 < 250001 THEN NULL ELSE (g) END"
        );
    }

    #[test]
    fn numeric_values_fit_precision_and_scale() {
        // numeric(5,2): typmod = (5 << 16 | 2) + 4
        assert_eq!(
            numeric_expr((5 << 16 | 2) + 4, "g"),
            "(((g) - 1) % 999 + 1)"
        );
        // numeric(3,3): no integer digits
        assert_eq!(numeric_expr((3 << 16 | 3) + 4, "g"), "0");
        assert_eq!(numeric_expr(-1, "g"), "(g)");
        // numeric(30,0): bounded to fit in bigint arithmetic
        assert_eq!(
            numeric_expr((30 << 16) + 4, "g"),
            "(((g) - 1) % 999999999999999 + 1)"
        );
    }
}
