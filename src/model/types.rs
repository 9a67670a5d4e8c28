//! Column types as the catalog keeps them, and the one question the lock
//! model asks of them: does changing a column from one type to another
//! rewrite the table, and does it rebuild the column's indexes?
//! (tablecmds.c `ATColumnChangeRequiresRewrite`, the length-coercion
//! support functions `varchar_support`, `numeric_support`,
//! `timestamp_support`, ..., and `TryReuseIndex`.)

use pg_query::protobuf::{node::Node as N, TypeName};

/// A type as written, canonicalised: built-in names as in `pg_type`
/// (`int4`, `varchar`, `timestamptz`, ...), user types schema-qualified
/// when written so.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TypeRef {
    pub name: String,
    pub mods: Vec<i64>,
    pub array: bool,
}

impl TypeRef {
    pub fn from_ast(t: &TypeName) -> TypeRef {
        let parts: Vec<&str> = t
            .names
            .iter()
            .filter_map(|n| match &n.node {
                Some(N::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .collect();
        let raw = match parts.as_slice() {
            ["pg_catalog", n] => (*n).to_string(),
            [n] => (*n).to_string(),
            many => many.join("."),
        };
        let name = canonical(&raw).to_string();
        let mods = t
            .typmods
            .iter()
            .filter_map(|m| match &m.node {
                Some(N::AConst(c)) => match &c.val {
                    Some(pg_query::protobuf::a_const::Val::Ival(i)) => Some(i.ival as i64),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        TypeRef {
            name,
            mods,
            array: !t.array_bounds.is_empty(),
        }
    }

    pub fn display(&self) -> String {
        let mut s = self.name.clone();
        if !self.mods.is_empty() {
            s.push('(');
            s.push_str(
                &self
                    .mods
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            );
            s.push(')');
        }
        if self.array {
            s.push_str("[]");
        }
        s
    }

    /// serial, bigserial, smallserial (and their serialN spellings).
    pub fn serial_base(&self) -> Option<&'static str> {
        if self.array {
            return None;
        }
        match self.name.as_str() {
            "serial" | "serial4" => Some("int4"),
            "bigserial" | "serial8" => Some("int8"),
            "smallserial" | "serial2" => Some("int2"),
            _ => None,
        }
    }
}

pub fn canonical(raw: &str) -> &str {
    match raw {
        "int" | "integer" | "int4" => "int4",
        "smallint" | "int2" => "int2",
        "bigint" | "int8" => "int8",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" => "float8",
        "decimal" | "numeric" => "numeric",
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "bpchar",
        "boolean" | "bool" => "bool",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "time without time zone" | "time" => "time",
        "time with time zone" | "timetz" => "timetz",
        "bit varying" | "varbit" => "varbit",
        other => other,
    }
}

/// What an ALTER COLUMN ... TYPE does to storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeChange {
    pub rewrite: bool,
    /// Indexes on the column are rebuilt even without a table rewrite
    /// (their operator class or collation changes).
    pub rebuild_indexes: bool,
    /// Values must be checked (e.g. a domain with constraints): a scan.
    pub scan: bool,
    /// Why, for the report.
    pub reason: String,
}

pub struct ChangeContext<'a> {
    pub pg_version: u32,
    /// The session TimeZone has a fixed zero offset (UTC, GMT, Etc/UTC).
    pub timezone_utc: bool,
    /// Domains in the catalog: name -> (base type, has constraints).
    pub domain: &'a dyn Fn(&str) -> Option<(TypeRef, bool)>,
}

fn typmod_widens(old: &[i64], new: &[i64]) -> bool {
    // No new typmod means unconstrained: always wide enough.
    if new.is_empty() {
        return true;
    }
    if old.is_empty() {
        return false;
    }
    new[0] >= old[0]
}

pub fn analyse_change(
    old: &TypeRef,
    new: &TypeRef,
    collation_changed: bool,
    cx: &ChangeContext,
) -> TypeChange {
    let no = |reason: &str| TypeChange {
        rewrite: false,
        rebuild_indexes: false,
        scan: false,
        reason: reason.to_string(),
    };
    let yes = |reason: String| TypeChange {
        rewrite: true,
        rebuild_indexes: true,
        scan: true,
        reason,
    };

    if old.array != new.array {
        return yes(format!(
            "{} to {} changes the array dimension",
            old.display(),
            new.display()
        ));
    }
    if old.name == new.name && old.mods == new.mods {
        if collation_changed {
            return TypeChange {
                rewrite: false,
                rebuild_indexes: true,
                scan: true,
                reason:
                    "only the collation changes: no rewrite, but indexes on the column are rebuilt"
                        .into(),
            };
        }
        return no("the type does not change");
    }
    if old.array {
        return yes(format!(
            "{} to {}: array element coercion rewrites the table",
            old.display(),
            new.display()
        ));
    }
    // Domains: to a domain over the same type rewrites only to check the
    // domain's constraints (NOT NULL counts).
    if let Some((base, has_constraints)) = (cx.domain)(&new.name) {
        if base.name == old.name && base.mods == old.mods {
            return TypeChange {
                rewrite: has_constraints,
                rebuild_indexes: has_constraints,
                scan: has_constraints,
                reason: format!(
                    "{} is a domain over {}{}",
                    new.name,
                    old.display(),
                    if has_constraints {
                        " with constraints: the table is rewritten to check every value"
                    } else {
                        ": no rewrite"
                    }
                ),
            };
        }
    }
    // From a domain: the value is relabelled to the base type, but its
    // type modifier is not known (a domain column's is -1), so a target
    // with a length or precision limit needs the coercion function and a
    // rewrite (varchar(10) domain to varchar(10): rewritten; to text or
    // unbounded varchar: not). Analysed as from the base type without its
    // modifier.
    if let Some((base, _)) = (cx.domain)(&old.name) {
        let unmodded = TypeRef {
            name: base.name.clone(),
            mods: Vec::new(),
            array: old.array,
        };
        if unmodded != *old {
            let mut c = analyse_change(&unmodded, new, collation_changed, cx);
            c.reason = format!("from domain {}: {}", old.name, c.reason);
            return c;
        }
    }
    let (o, n) = (old.name.as_str(), new.name.as_str());
    match (o, n) {
        ("varchar", "varchar") => {
            if typmod_widens(&old.mods, &new.mods) {
                no("increasing a varchar's length limit (or removing it) is binary-coercible")
            } else {
                yes(format!(
                    "{} to {} must check every value's length",
                    old.display(),
                    new.display()
                ))
            }
        }
        ("varchar", "text") => no("varchar to text is binary-coercible"),
        ("text", "varchar") if new.mods.is_empty() => {
            no("text to unbounded varchar is binary-coercible")
        }
        ("text", "varchar") => yes(format!(
            "text to {} must check every value's length",
            new.display()
        )),
        ("numeric", "numeric") => {
            let scale = |m: &[i64]| m.get(1).copied().unwrap_or(0);
            if new.mods.is_empty() {
                no("numeric to unconstrained numeric is binary-coercible")
            } else if !old.mods.is_empty()
                && scale(&old.mods) == scale(&new.mods)
                && new.mods[0] >= old.mods[0]
            {
                no("increasing numeric precision with the same scale is binary-coercible")
            } else {
                yes(format!(
                    "{} to {} changes precision or scale",
                    old.display(),
                    new.display()
                ))
            }
        }
        ("varbit", "varbit") if typmod_widens(&old.mods, &new.mods) => {
            no("widening bit varying is binary-coercible")
        }
        ("timestamp", "timestamp")
        | ("timestamptz", "timestamptz")
        | ("time", "time")
        | ("timetz", "timetz")
            if typmod_widens(&old.mods, &new.mods) =>
        {
            no("increasing fractional-second precision is binary-coercible")
        }
        ("interval", "interval")
            if old.mods.len() <= 1
                && new.mods.len() <= 1
                && typmod_widens(&old.mods, &new.mods) =>
        {
            no("increasing interval precision is binary-coercible")
        }
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp") => {
            let widens = typmod_widens(&old.mods, &new.mods);
            if cx.pg_version >= 12 && cx.timezone_utc && widens {
                TypeChange {
                    rewrite: false,
                    rebuild_indexes: true,
                    scan: false,
                    reason: format!(
                        "{o} to {n} needs no rewrite on PostgreSQL 12+ when the session TimeZone is UTC; indexes on the column are rebuilt"
                    ),
                }
            } else if cx.pg_version >= 12 && widens {
                yes(format!("{o} to {n} rewrites the table unless the session TimeZone is UTC (SET timezone = 'UTC' first)"))
            } else {
                yes(format!(
                    "{o} to {n} rewrites the table before PostgreSQL 12"
                ))
            }
        }
        ("cidr", "inet") => no("cidr to inet is binary-coercible"),
        _ => yes(format!(
            "{} to {} is not binary-coercible",
            old.display(),
            new.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, mods: &[i64]) -> TypeRef {
        TypeRef {
            name: name.into(),
            mods: mods.to_vec(),
            array: false,
        }
    }

    fn change(o: TypeRef, n: TypeRef, pg: u32, utc: bool) -> TypeChange {
        let domain = |_: &str| None;
        analyse_change(
            &o,
            &n,
            false,
            &ChangeContext {
                pg_version: pg,
                timezone_utc: utc,
                domain: &domain,
            },
        )
    }

    #[test]
    fn binary_coercible_changes_do_not_rewrite() {
        assert!(!change(t("varchar", &[10]), t("varchar", &[20]), 15, true).rewrite);
        assert!(change(t("varchar", &[20]), t("varchar", &[10]), 15, true).rewrite);
        assert!(!change(t("varchar", &[10]), t("text", &[]), 15, true).rewrite);
        assert!(change(t("text", &[]), t("varchar", &[5]), 15, true).rewrite);
        assert!(!change(t("numeric", &[10, 2]), t("numeric", &[12, 2]), 15, true).rewrite);
        assert!(change(t("numeric", &[10, 2]), t("numeric", &[10, 3]), 15, true).rewrite);
        assert!(!change(t("numeric", &[10, 2]), t("numeric", &[]), 15, true).rewrite);
        assert!(!change(t("cidr", &[]), t("inet", &[]), 15, true).rewrite);
        assert!(change(t("int4", &[]), t("int8", &[]), 15, true).rewrite);
    }

    #[test]
    fn timestamptz_depends_on_version_and_timezone() {
        assert!(!change(t("timestamp", &[]), t("timestamptz", &[]), 12, true).rewrite);
        assert!(change(t("timestamp", &[]), t("timestamptz", &[]), 11, true).rewrite);
        assert!(change(t("timestamp", &[]), t("timestamptz", &[]), 15, false).rewrite);
    }
}
