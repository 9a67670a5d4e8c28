//! PostgreSQL's names for the objects a statement creates without naming
//! them: indexes and their constraints, sequences of serial and identity
//! columns, partitions' copies of their parent's indexes
//! (`makeObjectName`, `ChooseRelationName`, `ChooseIndexName`,
//! `ChooseConstraintName`, `FigureColname` in indexcmds.c, namespace.c and
//! parse_target.c).

use pg_query::protobuf::{self as pb, node::Node as N};

use super::super::ast::strings;
use super::super::catalog::{Catalog, QName};

const NAMEDATALEN: usize = 64;

/// PostgreSQL's makeObjectName: name1_name2_label, shortened to fit 63 bytes.
pub fn make_object_name(name1: &str, name2: &str, label: &str) -> String {
    let overhead =
        if label.is_empty() { 0 } else { label.len() + 1 } + if name2.is_empty() { 0 } else { 1 };
    let avail = NAMEDATALEN - 1 - overhead;
    let (mut n1, mut n2) = (name1.len(), name2.len());
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let n1 = floor_boundary(name1, n1);
    let n2 = floor_boundary(name2, n2);
    let mut s = name1[..n1].to_string();
    if !name2.is_empty() {
        s.push('_');
        s.push_str(&name2[..n2]);
    }
    if !label.is_empty() {
        s.push('_');
        s.push_str(label);
    }
    s
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// ChooseRelationName: `make_object_name`, then `label1`, `label2`, ...
/// until no relation of the schema has the name.
pub(super) fn choose_relation_name(
    cat: &Catalog,
    schema: &str,
    name1: &str,
    name2: &str,
    label: &str,
) -> String {
    let base = make_object_name(name1, name2, label);
    if !cat.contains(&QName::new(schema, base.as_str())) {
        return base;
    }
    for i in 1.. {
        let cand = make_object_name(name1, name2, &format!("{label}{i}"));
        if !cat.contains(&QName::new(schema, cand.as_str())) {
            return cand;
        }
    }
    unreachable!()
}

/// ChooseIndexNameAddition: the column names joined with `_`, stopping
/// once the result is NAMEDATALEN long (`make_object_name` shortens it).
pub(super) fn name_addition(parts: &[String]) -> String {
    let mut s = String::new();
    for p in parts {
        if !s.is_empty() {
            s.push('_');
        }
        s.push_str(p);
        if s.len() >= NAMEDATALEN {
            break;
        }
    }
    s
}

/// The name PostgreSQL gives an expression's column (FigureColnameInternal
/// in parse_target.c): a column's or function's name, a cast's argument's
/// (else the type's), `case`, `coalesce`, ...; `None` for an operator.
pub fn figure_colname(n: &pb::Node) -> Option<String> {
    fn inner(n: &pb::Node) -> (u8, Option<String>) {
        match n.node.as_ref() {
            Some(N::ColumnRef(c)) => match c.fields.last().and_then(|f| f.node.as_ref()) {
                Some(N::String(s)) => (2, Some(s.sval.clone())),
                _ => (0, None),
            },
            Some(N::AIndirection(i)) => match i.indirection.last().and_then(|f| f.node.as_ref()) {
                Some(N::String(s)) => (2, Some(s.sval.clone())),
                _ => (0, None),
            },
            Some(N::FuncCall(f)) => (2, strings(&f.funcname).last().cloned()),
            Some(N::TypeCast(tc)) => {
                let (strength, name) = tc.arg.as_deref().map(inner).unwrap_or((0, None));
                if strength <= 1 {
                    if let Some(t) = &tc.type_name {
                        return (1, strings(&t.names).last().cloned());
                    }
                }
                (strength, name)
            }
            Some(N::CollateClause(c)) => c.arg.as_deref().map(inner).unwrap_or((0, None)),
            Some(N::CaseExpr(_)) => (1, Some("case".into())),
            Some(N::AArrayExpr(_)) => (1, Some("array".into())),
            Some(N::RowExpr(_)) => (1, Some("row".into())),
            Some(N::CoalesceExpr(_)) => (2, Some("coalesce".into())),
            Some(N::MinMaxExpr(m)) => (
                2,
                Some(
                    if m.op == pb::MinMaxOp::IsGreatest as i32 {
                        "greatest"
                    } else {
                        "least"
                    }
                    .into(),
                ),
            ),
            Some(N::AExpr(a)) if a.kind == pb::AExprKind::AexprNullif as i32 => {
                (2, Some("nullif".into()))
            }
            _ => (0, None),
        }
    }
    inner(n).1
}

/// ChooseConstraintName for a constraint without a name on `table`:
/// `table_cols_label`, numbered while another constraint of the table has
/// the name, or (for a constraint with an index: primary key, unique,
/// exclusion) a relation of the schema does.
pub(super) fn choose_constraint_name(
    cat: &Catalog,
    table: &QName,
    cols: &[String],
    label: &str,
) -> String {
    let add = if cols.is_empty() {
        String::new()
    } else {
        cols.join("_")
    };
    let base = make_object_name(&table.name, &add, label);
    let taken = |n: &str| {
        cat.get(table)
            .map(|r| r.constraint(n).is_some())
            .unwrap_or(false)
            || (label != "check"
                && label != "fkey"
                && label != "not_null"
                && cat.contains(&QName::new(table.schema.as_str(), n)))
    };
    if !taken(&base) {
        return base;
    }
    (1..)
        .map(|i| make_object_name(&table.name, &add, &format!("{label}{i}")))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// The label of an index copied from another (a partition's copy of its
/// parent's, LIKE ... INCLUDING INDEXES): `pkey`, `key` for a unique
/// constraint's, else `idx`.
pub(super) fn index_label(primary: bool, unique_constraint: bool) -> &'static str {
    if primary {
        "pkey"
    } else if unique_constraint {
        "key"
    } else {
        "idx"
    }
}

/// The name of a partition's copy of its parent's index: `part_pkey` for
/// a primary key, else `part_cols_label`, numbered past names taken in
/// the partition's schema.
pub(super) fn partition_index_name(
    cat: &Catalog,
    part: &QName,
    name_parts: &[String],
    primary: bool,
    unique_constraint: bool,
) -> String {
    if primary {
        choose_relation_name(cat, &part.schema, &part.name, "", "pkey")
    } else {
        choose_relation_name(
            cat,
            &part.schema,
            &part.name,
            &name_addition(name_parts),
            index_label(primary, unique_constraint),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::make_object_name;
    use crate::model::replay::test_support::*;

    /// makeObjectName shortens the longer part first, to 63 bytes.
    #[test]
    fn long_names_are_shortened_as_make_object_name_does() {
        let n = make_object_name(&"a".repeat(40), &"b".repeat(40), "key");
        assert_eq!(n, format!("{}_{}_key", "a".repeat(29), "b".repeat(29)));
        assert_eq!(n.len(), 63);
        assert_eq!(make_object_name("t", "", "pkey"), "t_pkey");
        // Never cut inside a character.
        let n = make_object_name(&"é".repeat(40), "", "seq");
        assert!(n.len() <= 63 && n.ends_with("_seq"));
    }

    /// The names PostgreSQL 15 gave these indexes (read from pg_class).
    #[test]
    fn unnamed_indexes_are_named_as_postgresql_names_them() {
        let cat = catalog_after(
            "CREATE TABLE t (a int, b int, name text);
             CREATE INDEX ON t (lower(name));
             CREATE INDEX ON t (a) INCLUDE (b);
             CREATE INDEX ON t ((a + b));
             CREATE INDEX ON t ((a::text));
             CREATE INDEX ON t (coalesce(a, b));
             CREATE INDEX ON t (('x'::text));
             CREATE INDEX ON t ((name COLLATE \"C\"));
             CREATE INDEX ON t (a, lower(name));",
        );
        assert_eq!(
            indexes(&cat, "t"),
            [
                "t_a_b_idx",
                "t_a_idx",
                "t_a_lower_idx",
                "t_coalesce_idx",
                "t_expr_idx",
                "t_lower_idx",
                "t_name_idx",
                "t_text_idx"
            ]
        );
    }

    /// A name already taken gets a number: by any relation of the schema
    /// for indexes, their constraints and sequences, by the table's own
    /// constraints for CHECK.
    #[test]
    fn implicit_names_step_past_names_taken() {
        let cat = catalog_after(
            "CREATE TABLE t_a_key (x int);
             CREATE SEQUENCE t_id_seq;
             CREATE TABLE t (id serial, a int UNIQUE, b int CHECK (b > 0), CHECK (b < 10));
             CREATE INDEX ON t (a);
             CREATE INDEX ON t (a);",
        );
        assert_eq!(indexes(&cat, "t"), ["t_a_idx", "t_a_idx1", "t_a_key1"]);
        assert_eq!(
            constraint_names(&cat, "t"),
            ["t_a_key1", "t_b_check", "t_b_check1"]
        );
        let id = rel(&cat, "t").column("id").unwrap();
        assert_eq!(id.serial_sequence, Some(q("t_id_seq1")));
        assert_eq!(
            rel(&cat, "t_id_seq1").owned_by,
            Some((q("t"), "id".to_string()))
        );
        // The sequence created first is not the column's.
        assert_eq!(rel(&cat, "t_id_seq").owned_by, None);
    }
}
