//! Partitions: their bounds as the catalog keeps them, which partition a
//! row with a literal key goes to (`route_one`, for the effects of
//! INSERT/UPDATE), and what a partition takes from its parent when it is
//! created or attached.

use pg_query::protobuf::{self as pb, node::Node as N};

use super::index::create_index;
use super::naming::partition_index_name;
use super::uses::add_uses;
use crate::model::ast::{is_null_const, string_of, strings};
use crate::model::catalog::*;

pub(super) fn inherit_partition_objects(
    cat: &mut Catalog,
    parent: &QName,
    part: &QName,
    origin: Origin,
) {
    let Some(pr) = cat.get(parent).cloned() else {
        return;
    };
    for c in &pr.constraints {
        if matches!(
            c.kind,
            ConstraintKind::ForeignKey { .. } | ConstraintKind::Check { .. }
        ) {
            if let Some(r) = cat.get_mut(part) {
                if r.constraint(&c.name).is_none() {
                    let mut c = c.clone();
                    c.origin = origin;
                    r.constraints.push(c);
                }
            }
        }
    }
    // The partition's copies of the CHECK constraints depend on the
    // functions they call, as the parent's do.
    // A partitioned table's row triggers are cloned on it too.
    let inherited: Vec<FuncUse> = pr
        .function_uses
        .iter()
        .filter(|u| match &u.kind {
            UseKind::Check(_) => true,
            UseKind::Trigger { row, .. } => *row && pr.kind == RelKind::PartitionedTable,
            _ => false,
        })
        .cloned()
        .collect();
    add_uses(cat, part, inherited);
    for i in &pr.indexes {
        let Some(info) = cat.get(i).and_then(|r| r.index.clone()) else {
            continue;
        };
        let exists = cat
            .get(part)
            .map(|r| {
                r.indexes.iter().any(|x| {
                    cat.get(x)
                        .and_then(|r| r.index.as_ref())
                        .map(|ii| ii.parent.as_ref() == Some(i))
                        .unwrap_or(false)
                })
            })
            .unwrap_or(false);
        if exists {
            continue;
        }
        let n = partition_index_name(
            cat,
            part,
            &info.name_parts,
            info.primary,
            info.unique && info.constraint.is_some(),
        );
        if let Some(child) = create_index(
            cat,
            part,
            &n,
            info.shape(
                &cat.get(i)
                    .map(|r| r.function_uses.clone())
                    .unwrap_or_default(),
            ),
            info.unique,
            info.primary,
            info.constraint.clone(),
            true,
            false,
            origin,
        ) {
            if let Some(ci) = cat.get_mut(&child).and_then(|r| r.index.as_mut()) {
                ci.parent = Some(i.clone());
            }
        }
    }
}

fn literal_of(n: &pb::Node) -> Option<Literal> {
    match &n.node {
        Some(N::AConst(c)) => match &c.val {
            Some(pb::a_const::Val::Ival(i)) => Some(Literal::Int(i.ival as i64)),
            Some(pb::a_const::Val::Fval(f)) => f.fval.parse().ok().map(Literal::Int),
            Some(pb::a_const::Val::Sval(s)) => Some(Literal::Text(s.sval.clone())),
            _ => None,
        },
        Some(N::TypeCast(tc)) => tc.arg.as_deref().and_then(literal_of),
        // -1 is written as a minus applied to 1 in a bound.
        Some(N::AExpr(e)) if e.lexpr.is_none() && e.name.len() == 1 => {
            match (
                string_of(&e.name[0]),
                e.rexpr.as_deref().and_then(literal_of),
            ) {
                (Some("-"), Some(Literal::Int(i))) => Some(Literal::Int(-i)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A range bound datum: `Ok(None)` for MINVALUE / MAXVALUE, `Err` for
/// anything but a literal.
fn range_datum_of(n: &pb::Node) -> Result<Option<Literal>, ()> {
    if let Some(N::ColumnRef(c)) = &n.node {
        return match strings(&c.fields).as_slice() {
            [w] if w == "minvalue" || w == "maxvalue" => Ok(None),
            _ => Err(()),
        };
    }
    literal_of(n).map(Some).ok_or(())
}

pub fn bound_of(b: &pb::PartitionBoundSpec) -> PartitionBound {
    if b.is_default {
        return PartitionBound::Default;
    }
    match b.strategy.as_str() {
        "r" => {
            let from: Result<Vec<_>, ()> = b.lowerdatums.iter().map(range_datum_of).collect();
            let to: Result<Vec<_>, ()> = b.upperdatums.iter().map(range_datum_of).collect();
            match (from, to) {
                (Ok(from), Ok(to)) => PartitionBound::Range { from, to },
                _ => PartitionBound::Opaque,
            }
        }
        "l" => {
            let mut values = Vec::new();
            let mut accepts_null = false;
            for d in &b.listdatums {
                if is_null_const(d) {
                    accepts_null = true;
                } else if let Some(v) = literal_of(d) {
                    values.push(v);
                } else {
                    return PartitionBound::Opaque;
                }
            }
            PartitionBound::List {
                values,
                accepts_null,
            }
        }
        "h" => PartitionBound::Hash {
            modulus: b.modulus.max(0) as u32,
            remainder: b.remainder.max(0) as u32,
        },
        _ => PartitionBound::Opaque,
    }
}

/// The partition of `parent` (one level) a row with this key value goes
/// to: `Some(Some(p))`, `Some(None)` when no partition takes it, `None`
/// when the bounds are not literal enough to tell.
pub fn route_one(cat: &Catalog, parent: &QName, key: &Literal) -> Option<Option<QName>> {
    let r = cat.get(parent)?;
    let mut default = None;
    for p in &r.partitions {
        let pr = cat.get(p)?;
        let hit = match pr.bound.as_ref()? {
            PartitionBound::Default => {
                default = Some(p.clone());
                false
            }
            PartitionBound::List { values, .. } => values.contains(key),
            PartitionBound::Range { from, to } => {
                if from.len() != 1 || to.len() != 1 {
                    return None;
                }
                let lo = match &from[0] {
                    Some(l) => l <= key,
                    None => true,
                };
                let hi = match &to[0] {
                    Some(h) => key < h,
                    None => true,
                };
                lo && hi
            }
            PartitionBound::Hash { .. } | PartitionBound::Opaque => return None,
        };
        if hit {
            return Some(Some(p.clone()));
        }
    }
    Some(default)
}

/// The leaf partition a row with this key value goes to, if the bounds
/// are literal enough to tell.
pub fn route(cat: &Catalog, parent: &QName, key: &Literal) -> Option<QName> {
    let r = cat.get(parent)?;
    let mut default = None;
    for p in &r.partitions {
        let pr = cat.get(p)?;
        let hit = match pr.bound.as_ref()? {
            PartitionBound::Default => {
                default = Some(p.clone());
                false
            }
            PartitionBound::List { values, .. } => values.contains(key),
            PartitionBound::Range { from, to } => {
                let lo = match from.first() {
                    Some(Some(l)) => l <= key,
                    Some(None) => true,
                    None => return None,
                };
                let hi = match to.first() {
                    Some(Some(h)) => key < h,
                    Some(None) => true,
                    None => return None,
                };
                if from.len() > 1 {
                    return None;
                }
                lo && hi
            }
            PartitionBound::Hash { .. } | PartitionBound::Opaque => return None,
        };
        if hit {
            if pr.kind == RelKind::PartitionedTable {
                return None;
            }
            return Some(p.clone());
        }
    }
    default
}

#[cfg(test)]
mod tests {
    use super::route_one;
    use crate::model::catalog::{Literal, PartitionBound};
    use crate::model::replay::test_support::*;

    const PARTITIONED: &str = "
        CREATE TABLE m (id int, at text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE INDEX ON m (id);
        CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024') TO ('2025');
        CREATE TABLE m_2025 (id int NOT NULL, at text NOT NULL);
        ALTER TABLE m ATTACH PARTITION m_2025 FOR VALUES FROM ('2025') TO ('2026');";

    #[test]
    fn partitions_take_their_parents_indexes_when_created_or_attached() {
        let cat = catalog_after(PARTITIONED);
        assert_eq!(rel(&cat, "m").partitions, [q("m_2024"), q("m_2025")]);
        for p in ["m_2024", "m_2025"] {
            assert_eq!(rel(&cat, p).partition_of, Some(q("m")));
            assert_eq!(
                indexes(&cat, p),
                [format!("{p}_id_idx"), format!("{p}_pkey")]
            );
            let copy = rel(&cat, &format!("{p}_id_idx")).index.clone().unwrap();
            assert_eq!(copy.parent, Some(q("m_id_idx")));
        }
        assert_eq!(
            rel(&cat, "m_2025").bound,
            Some(PartitionBound::Range {
                from: vec![Some(Literal::Text("2025".into()))],
                to: vec![Some(Literal::Text("2026".into()))],
            })
        );
    }

    #[test]
    fn detach_unlinks_the_partition() {
        let cat = catalog_after(&format!(
            "{PARTITIONED}
             ALTER TABLE m DETACH PARTITION m_2024;"
        ));
        assert_eq!(rel(&cat, "m").partitions, [q("m_2025")]);
        let p = rel(&cat, "m_2024");
        assert_eq!(p.partition_of, None);
        assert_eq!(p.bound, None);
        // Its indexes stay, as tables of their own.
        assert_eq!(indexes(&cat, "m_2024"), ["m_2024_id_idx", "m_2024_pkey"]);
    }

    #[test]
    fn rows_are_routed_by_their_key() {
        let cat = catalog_after(&format!(
            "{PARTITIONED}
             CREATE TABLE l (k int) PARTITION BY LIST (k);
             CREATE TABLE l_1 PARTITION OF l FOR VALUES IN (1, 2);
             CREATE TABLE l_d PARTITION OF l DEFAULT;"
        ));
        let m = q("m");
        let text = |s: &str| Literal::Text(s.into());
        assert_eq!(route_one(&cat, &m, &text("2025x")), Some(Some(q("m_2025"))));
        assert_eq!(route_one(&cat, &m, &text("2030")), Some(None));
        let l = q("l");
        assert_eq!(route_one(&cat, &l, &Literal::Int(2)), Some(Some(q("l_1"))));
        assert_eq!(route_one(&cat, &l, &Literal::Int(3)), Some(Some(q("l_d"))));
    }

    #[test]
    fn dropping_a_partitioned_index_drops_its_copies() {
        let cat = catalog_after(&format!("{PARTITIONED}\nDROP INDEX m_id_idx;"));
        assert!(!cat.contains(&q("m_2024_id_idx")) && !cat.contains(&q("m_2025_id_idx")));
        assert_eq!(indexes(&cat, "m_2024"), ["m_2024_pkey"]);
    }
}
