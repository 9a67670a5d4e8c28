//! Plan-time partition pruning: which partitions of a partitioned table a
//! query's restriction clauses leave for the planner to open (and lock).
//!
//! PostgreSQL 12+ expands a partitioned table after pruning
//! (`expand_partitioned_rtentry` -> `prune_append_rel_partitions`), so
//! only the partitions that survive are locked; PostgreSQL 11 opens and
//! locks every partition first (`expand_inherited_rtentry`), whatever the
//! clauses. This module mirrors partprune.c for the clause shapes of
//! [`Clause`]: `gen_partprune_steps_internal` (AND / OR / IS [NOT] NULL /
//! operators / `= ANY` and `<> ALL` arrays, contradictions),
//! `gen_prune_steps_from_opexps`, and the bound searches
//! `get_matching_list_bounds`, `get_matching_range_bounds`,
//! `get_matching_hash_bounds`, over a [`Bounds`] built like partbounds.c's
//! `PartitionBoundInfo` (sorted list datums, deduplicated range bounds with
//! their "upper bound of" indexes, hash remainders of the greatest
//! modulus). Each step's result is computed as soon as it is generated.
//!
//! What it does not know it says: an `Err` carries the reason, and the
//! caller then locks the whole tree and reports the effects as unknown.
//! Supported keys: one plain column per level for list and range
//! partitioning, any number of plain columns for hash partitioning, of
//! types int2/int4/int8 (and serials) or text/varchar. Ordering text needs
//! the collation: only an explicit `COLLATE "C"` / `"POSIX"` column is
//! ordered (byte order); equality and hashing need a deterministic one.

use std::collections::BTreeSet;

use crate::model::catalog::{Catalog, Literal, PartitionBound, QName, RelKind, Relation};
use crate::model::hashfn;

/// A comparison operator, as a btree strategy (`Ne` is `<>`, whose
/// negator `=` is what list pruning uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// `get_negator`: NOT (a op b) is a (negated op) b.
    pub fn negate(self) -> Op {
        match self {
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
        }
    }

    /// `get_commutator`: `1 < k` is `k > 1`.
    pub fn commute(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            o => o,
        }
    }

    pub fn from_name(s: &str) -> Option<Op> {
        Some(match s {
            "=" => Op::Eq,
            "<>" | "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }
}

/// One restriction clause on one relation, in the shapes partition
/// pruning reads once the planner has folded constants
/// (`eval_const_expressions`: NOT pushed down, strict operators on NULL
/// folded to NULL, BETWEEN expanded by the parser). Columns are the
/// relation's own column names.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    /// `col op literal` (literal on the right).
    Cmp {
        col: String,
        op: Op,
        value: Literal,
    },
    /// `col op ANY (ARRAY[...])` (`use_or`, IN lists) or `col op ALL
    /// (...)` (NOT IN); `None` elements are NULLs.
    Array {
        col: String,
        op: Op,
        values: Vec<Option<Literal>>,
        use_or: bool,
    },
    /// `col IS NULL` (`is_null`) / `col IS NOT NULL`.
    NullTest {
        col: String,
        is_null: bool,
    },
    And(Vec<Clause>),
    Or(Vec<Clause>),
    /// A constant: true, false or NULL (`None`). False and NULL prune
    /// everything.
    Const(Option<bool>),
    /// Compares columns with something not constant at plan time (a
    /// parameter, a sub-select, a stable function such as now()):
    /// partprune.c's PARTCLAUSE_UNSUPPORTED, never used at plan time.
    Unprunable,
    /// A shape the model does not evaluate, over these columns.
    Opaque {
        cols: Vec<String>,
    },
}

impl Clause {
    /// NOT of the clause, as `negate_clause` (prepqual.c) writes it.
    pub fn negate(self) -> Clause {
        match self {
            Clause::Cmp { col, op, value } => Clause::Cmp {
                col,
                op: op.negate(),
                value,
            },
            Clause::Array {
                col,
                op,
                values,
                use_or,
            } => Clause::Array {
                col,
                op: op.negate(),
                values,
                use_or: !use_or,
            },
            Clause::NullTest { col, is_null } => Clause::NullTest {
                col,
                is_null: !is_null,
            },
            Clause::And(v) => Clause::Or(v.into_iter().map(Clause::negate).collect()),
            Clause::Or(v) => Clause::And(v.into_iter().map(Clause::negate).collect()),
            Clause::Const(b) => Clause::Const(b.map(|b| !b)),
            c => c,
        }
    }

    /// The columns the clause reads.
    pub fn columns(&self, out: &mut BTreeSet<String>) {
        match self {
            Clause::Cmp { col, .. } | Clause::Array { col, .. } | Clause::NullTest { col, .. } => {
                out.insert(col.clone());
            }
            Clause::And(v) | Clause::Or(v) => v.iter().for_each(|c| c.columns(out)),
            Clause::Opaque { cols } => out.extend(cols.iter().cloned()),
            Clause::Const(_) | Clause::Unprunable => {}
        }
    }
}

/// A value of a partition key, of the key's type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Datum {
    Int(i64),
    Text(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyType {
    Int,
    /// `ordered`: the collation is byte order (C / POSIX).
    Text {
        ordered: bool,
    },
}

/// A range bound datum (single-column keys): MINVALUE < values < MAXVALUE.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RangeDatum {
    Min,
    Val(Datum),
    Max,
}

/// partbounds.c's `PartitionBoundInfo`, partitions by their position in
/// the parent's list.
enum Bounds {
    /// Sorted non-NULL datums with the partition holding each.
    List {
        datums: Vec<(Datum, usize)>,
        null_index: Option<usize>,
        default: Option<usize>,
    },
    /// Distinct bounds in order; `indexes[i]` is the partition whose upper
    /// bound is `datums[i]` (None: a gap below it); one more index than
    /// datums, for the values above the last bound.
    Range {
        datums: Vec<RangeDatum>,
        indexes: Vec<Option<usize>>,
        default: Option<usize>,
    },
    /// `indexes[r]` for each remainder of the greatest modulus.
    Hash { indexes: Vec<Option<usize>> },
}

impl Bounds {
    fn nindexes(&self) -> usize {
        match self {
            Bounds::List { datums, .. } => datums.len(),
            Bounds::Range { indexes, .. } | Bounds::Hash { indexes } => indexes.len(),
        }
    }
    fn default(&self) -> Option<usize> {
        match self {
            Bounds::List { default, .. } | Bounds::Range { default, .. } => *default,
            Bounds::Hash { .. } => None,
        }
    }
}

/// `PruneStepResult`: bound offsets, and whether the default and the
/// NULL-accepting partitions are scanned.
#[derive(Clone, Debug, Default)]
struct StepResult {
    offsets: BTreeSet<usize>,
    scan_default: bool,
    scan_null: bool,
}

/// A clause matched to a partition key column (`PartClauseInfo`).
#[derive(Clone, Debug)]
struct PartClause {
    op: Op,
    datum: Datum,
}

enum KeyMatch {
    NoMatch,
    Clause(PartClause),
    Nullness { not_null: bool },
    Steps(StepResult),
    Contradict,
    Unsupported,
}

enum Gen {
    Contradictory,
    NoSteps,
    Res(StepResult),
}

/// One partitioned table being pruned.
struct Level<'a> {
    rel: &'a Relation,
    keys: Vec<String>,
    /// Why a key is not usable (expression key, type not modelled).
    types: Vec<Result<KeyType, String>>,
    bounds: Result<Bounds, String>,
}

/// The relations of `root`'s partition tree (root included) that survive
/// plan-time pruning with `clauses` (ANDed), or why that cannot be told.
pub fn prune_tree(cat: &Catalog, root: &QName, clauses: &[Clause]) -> Result<Vec<QName>, String> {
    let mut keep = Vec::new();
    prune_into(cat, root, clauses, &mut keep, 0)?;
    Ok(keep)
}

fn prune_into(
    cat: &Catalog,
    t: &QName,
    clauses: &[Clause],
    keep: &mut Vec<QName>,
    depth: usize,
) -> Result<(), String> {
    keep.push(t.clone());
    let Some(r) = cat.get(t) else {
        return Ok(());
    };
    if r.kind != RelKind::PartitionedTable || depth > 32 {
        return Ok(());
    }
    let chosen = prune_level(cat, r, clauses)?;
    for (i, p) in r.partitions.iter().enumerate() {
        if chosen.as_ref().is_none_or(|c| c.contains(&i)) {
            prune_into(cat, p, clauses, keep, depth + 1)?;
        }
    }
    Ok(())
}

/// `prune_append_rel_partitions` for one level: the positions of the
/// partitions kept, None for all.
fn prune_level(
    cat: &Catalog,
    r: &Relation,
    clauses: &[Clause],
) -> Result<Option<BTreeSet<usize>>, String> {
    if r.partitions.is_empty() || clauses.is_empty() {
        return Ok(None);
    }
    // A partitioned partition with a default partition adds its own
    // partition constraint to the clauses and checks whether the clauses
    // refute it (`gen_partprune_steps`, `predicate_refuted_by`): not
    // modelled, so it must not matter here.
    if r.partition_of.is_some() && has_default(cat, r) {
        let mut cols = BTreeSet::new();
        clauses.iter().for_each(|c| c.columns(&mut cols));
        let mut up = r.partition_of.clone();
        while let Some(p) = up {
            let Some(pr) = cat.get(&p) else { break };
            if pr
                .partition_key
                .iter()
                .any(|k| k.as_ref().is_none_or(|k| cols.contains(k)))
            {
                return Err(format!(
                    "{} has a default partition and is itself a partition: pruning it also \
                     weighs its own partition constraint, which the model does not",
                    r.name
                ));
            }
            up = pr.partition_of.clone();
        }
    }
    let level = Level {
        rel: r,
        keys: r
            .partition_key
            .iter()
            .map(|k| k.clone().unwrap_or_default())
            .collect(),
        types: r
            .partition_key
            .iter()
            .map(|k| key_type(r, k.as_deref()))
            .collect(),
        bounds: build_bounds(cat, r),
    };
    if r.partition_key.iter().any(Option::is_none) {
        // An expression key matches only clauses on that very expression,
        // which the clauses here cannot name; constants still prune.
        let mut cols = BTreeSet::new();
        clauses.iter().for_each(|c| c.columns(&mut cols));
        if !cols.is_empty() {
            return Err(format!(
                "{} is partitioned by an expression: pruning on it is not modelled",
                r.name
            ));
        }
    }
    let res = match level.gen(clauses)? {
        Gen::Contradictory => return Ok(Some(BTreeSet::new())),
        Gen::NoSteps => return Ok(None),
        Gen::Res(res) => res,
    };
    level.partitions(&res).map(Some)
}

fn has_default(cat: &Catalog, r: &Relation) -> bool {
    r.partitions
        .iter()
        .any(|p| cat.get(p).is_some_and(|x| x.is_default_partition))
}

fn key_type(r: &Relation, key: Option<&str>) -> Result<KeyType, String> {
    let Some(key) = key else {
        return Err(format!("{} is partitioned by an expression", r.name));
    };
    let Some(col) = r.column(key) else {
        return Err(format!(
            "the partition key column {key} of {} is not known",
            r.name
        ));
    };
    let name = col.ty.serial_base().unwrap_or(col.ty.name.as_str());
    if col.ty.array {
        return Err(format!("the partition key {key} of {} is an array", r.name));
    }
    match name {
        "int2" | "int4" | "int8" => Ok(KeyType::Int),
        "text" | "varchar" => {
            let coll = col.collation.as_deref();
            match coll {
                None | Some("default") => Ok(KeyType::Text { ordered: false }),
                Some("C") | Some("POSIX") => Ok(KeyType::Text { ordered: true }),
                Some(other) => Err(format!(
                    "the partition key {key} of {} has collation {other}, which the model \
                     does not order or hash",
                    r.name
                )),
            }
        }
        other => Err(format!(
            "the partition key {key} of {} is of type {other}, whose comparisons and hashes \
             the model does not reproduce",
            r.name
        )),
    }
}

/// A literal as a value of the key's type: an integer, or a quoted
/// literal the server would read as one (`'5'` for an int key).
fn datum_of(v: &Literal, ty: KeyType) -> Result<Datum, String> {
    match (v, ty) {
        (Literal::Int(i), KeyType::Int) => Ok(Datum::Int(*i)),
        (Literal::Text(s), KeyType::Int) => s
            .trim()
            .parse::<i64>()
            .map(Datum::Int)
            .map_err(|_| format!("'{s}' is not an integer")),
        (Literal::Text(s), KeyType::Text { .. }) => Ok(Datum::Text(s.clone())),
        (Literal::Int(i), KeyType::Text { .. }) => Err(format!(
            "a text partition key is compared with the number {i}"
        )),
    }
}

/// `partition_bounds_create` for the partitions' recorded bounds.
fn build_bounds(cat: &Catalog, r: &Relation) -> Result<Bounds, String> {
    let unknown = |why: &str| format!("the partition bounds of {} are not known: {why}", r.name);
    let mut parts = Vec::new();
    for p in &r.partitions {
        let b = cat
            .get(p)
            .and_then(|x| x.bound.as_ref())
            .ok_or_else(|| unknown(&format!("{p} is not in the history")))?;
        parts.push(b);
    }
    let single_type = || -> Result<KeyType, String> {
        match r.partition_key.as_slice() {
            [Some(k)] => key_type(r, Some(k)),
            [None] => Err(format!("{} is partitioned by an expression", r.name)),
            _ => Err(format!(
                "{} has a multi-column list or range key, whose pruning is not modelled",
                r.name
            )),
        }
    };
    let default = parts
        .iter()
        .position(|b| matches!(b, PartitionBound::Default));
    let strategy = parts.iter().find(|b| !matches!(b, PartitionBound::Default));
    match strategy {
        None => Ok(Bounds::List {
            datums: Vec::new(),
            null_index: None,
            default,
        }),
        Some(PartitionBound::List { .. }) => {
            let ty = single_type()?;
            let mut datums = Vec::new();
            let mut null_index = None;
            for (i, b) in parts.iter().enumerate() {
                match b {
                    PartitionBound::List {
                        values,
                        accepts_null,
                    } => {
                        for v in values {
                            datums.push((datum_of(v, ty)?, i));
                        }
                        if *accepts_null {
                            null_index = Some(i);
                        }
                    }
                    PartitionBound::Default => {}
                    _ => return Err(unknown("mixed strategies")),
                }
            }
            datums.sort();
            Ok(Bounds::List {
                datums,
                null_index,
                default,
            })
        }
        Some(PartitionBound::Range { .. }) => {
            let ty = single_type()?;
            if ty == (KeyType::Text { ordered: false }) {
                return Err(format!(
                    "{} is range partitioned on text under the database's default collation, \
                     whose order the model does not know",
                    r.name
                ));
            }
            // (datum, is_lower, partition)
            let mut all: Vec<(RangeDatum, bool, usize)> = Vec::new();
            for (i, b) in parts.iter().enumerate() {
                match b {
                    PartitionBound::Range { from, to } => {
                        let (Some(lo), Some(hi)) = (from.first(), to.first()) else {
                            return Err(unknown("empty bound"));
                        };
                        let lo = match lo {
                            Some(v) => RangeDatum::Val(datum_of(v, ty)?),
                            None => RangeDatum::Min,
                        };
                        let hi = match hi {
                            Some(v) => RangeDatum::Val(datum_of(v, ty)?),
                            None => RangeDatum::Max,
                        };
                        all.push((lo, true, i));
                        all.push((hi, false, i));
                    }
                    PartitionBound::Default => {}
                    PartitionBound::Opaque => return Err(unknown("a bound is not a literal")),
                    _ => return Err(unknown("mixed strategies")),
                }
            }
            // `partition_rbound_cmp`: an upper bound sorts before an equal
            // lower bound; of equal bounds the first is kept.
            all.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            all.dedup_by(|b, a| a.0 == b.0);
            let mut datums = Vec::new();
            let mut indexes = Vec::new();
            for (d, lower, i) in all {
                datums.push(d);
                indexes.push(if lower { None } else { Some(i) });
            }
            indexes.push(None);
            Ok(Bounds::Range {
                datums,
                indexes,
                default,
            })
        }
        Some(PartitionBound::Hash { .. }) => {
            let greatest = parts
                .iter()
                .filter_map(|b| match b {
                    PartitionBound::Hash { modulus, .. } => Some(*modulus as usize),
                    _ => None,
                })
                .max()
                .unwrap_or(1)
                .max(1);
            let mut indexes = vec![None; greatest];
            for (i, b) in parts.iter().enumerate() {
                let PartitionBound::Hash { modulus, remainder } = b else {
                    return Err(unknown("mixed strategies"));
                };
                let (m, mut rem) = (*modulus as usize, *remainder as usize);
                if m == 0 {
                    return Err(unknown("modulus 0"));
                }
                while rem < greatest {
                    indexes[rem] = Some(i);
                    rem += m;
                }
            }
            Ok(Bounds::Hash { indexes })
        }
        Some(PartitionBound::Default) => unreachable!("filtered above"),
        Some(PartitionBound::Opaque) => Err(unknown("a bound is not a literal")),
    }
}

impl Level<'_> {
    fn bounds(&self) -> Result<&Bounds, String> {
        self.bounds.as_ref().map_err(Clone::clone)
    }

    fn is_list(&self) -> bool {
        matches!(self.bounds, Ok(Bounds::List { .. }))
    }
    fn is_hash(&self) -> bool {
        matches!(self.bounds, Ok(Bounds::Hash { .. }))
    }

    /// A combine step without sources: every partition.
    fn all(&self) -> Result<StepResult, String> {
        let b = self.bounds()?;
        Ok(StepResult {
            offsets: (0..b.nindexes()).collect(),
            scan_default: b.default().is_some(),
            scan_null: matches!(
                b,
                Bounds::List {
                    null_index: Some(_),
                    ..
                }
            ),
        })
    }

    /// `gen_partprune_steps_internal`, each step evaluated at once.
    fn gen(&self, clauses: &[Clause]) -> Result<Gen, String> {
        let n = self.keys.len();
        let mut keyclauses: Vec<Vec<PartClause>> = vec![Vec::new(); n];
        let mut nullkeys = vec![false; n];
        let mut notnullkeys = vec![false; n];
        let mut opsteps = false;
        let mut results: Vec<StepResult> = Vec::new();
        for c in clauses {
            match c {
                Clause::Const(Some(true)) => continue,
                Clause::Const(_) => return Ok(Gen::Contradictory),
                Clause::Or(args) => {
                    let mut all_contradictory = true;
                    let mut arms = Vec::new();
                    for a in args {
                        match self.gen(std::slice::from_ref(a))? {
                            Gen::Contradictory => continue,
                            Gen::NoSteps => {
                                all_contradictory = false;
                                arms.push(self.all()?);
                            }
                            Gen::Res(r) => {
                                all_contradictory = false;
                                arms.push(r);
                            }
                        }
                    }
                    if all_contradictory {
                        return Ok(Gen::Contradictory);
                    }
                    results.push(union(arms));
                    continue;
                }
                Clause::And(args) => {
                    match self.gen(args)? {
                        Gen::Contradictory => return Ok(Gen::Contradictory),
                        Gen::NoSteps => {}
                        Gen::Res(r) => results.push(r),
                    }
                    continue;
                }
                _ => {}
            }
            for i in 0..n {
                match self.match_clause(c, i)? {
                    KeyMatch::Clause(pc) => {
                        if nullkeys[i] {
                            return Ok(Gen::Contradictory);
                        }
                        opsteps = true;
                        keyclauses[i].push(pc);
                    }
                    KeyMatch::Nullness { not_null: false } => {
                        if notnullkeys[i] || !keyclauses[i].is_empty() {
                            return Ok(Gen::Contradictory);
                        }
                        nullkeys[i] = true;
                    }
                    KeyMatch::Nullness { not_null: true } => {
                        if nullkeys[i] {
                            return Ok(Gen::Contradictory);
                        }
                        notnullkeys[i] = true;
                    }
                    KeyMatch::Steps(r) => results.push(r),
                    KeyMatch::Contradict => return Ok(Gen::Contradictory),
                    KeyMatch::NoMatch => continue,
                    KeyMatch::Unsupported => {}
                }
                break;
            }
        }
        let nnull = nullkeys.iter().filter(|x| **x).count();
        if nnull > 0 && (!self.is_hash() || nnull == n) {
            // Strategy 1: only the NULL-accepting (or default) partition.
            results.push(self.null_step(&nullkeys)?);
        } else if opsteps {
            // Strategy 2.
            results.extend(self.opsteps(&keyclauses, &nullkeys)?);
        } else if notnullkeys.iter().all(|x| *x) && n > 0 {
            // Strategy 3: every partition but the NULL-only one.
            results.push(self.nonnull_step()?);
        }
        Ok(match results.len() {
            0 => Gen::NoSteps,
            _ => Gen::Res(intersect(results)),
        })
    }

    /// `match_clause_to_partition_key`.
    fn match_clause(&self, c: &Clause, keyno: usize) -> Result<KeyMatch, String> {
        let key = &self.keys[keyno];
        match c {
            Clause::Cmp { col, op, value } => {
                if col != key {
                    return Ok(KeyMatch::NoMatch);
                }
                // `<>` is usable (through its negator) for list only;
                // hash partitioning knows only `=`.
                if (*op == Op::Ne && !self.is_list()) || (self.is_hash() && *op != Op::Eq) {
                    return Ok(KeyMatch::Unsupported);
                }
                let ty = self.types[keyno].clone()?;
                self.check_order(ty, *op)?;
                Ok(KeyMatch::Clause(PartClause {
                    op: *op,
                    datum: datum_of(value, ty)?,
                }))
            }
            Clause::Array {
                col,
                op,
                values,
                use_or,
            } => {
                if col != key
                    || (*op == Op::Ne && !self.is_list())
                    || (self.is_hash() && *op != Op::Eq)
                {
                    return Ok(KeyMatch::NoMatch);
                }
                let mut elems = Vec::new();
                for v in values {
                    match v {
                        Some(v) => elems.push(Clause::Cmp {
                            col: col.clone(),
                            op: *op,
                            value: v.clone(),
                        }),
                        None if *use_or => {}
                        None => return Ok(KeyMatch::Contradict),
                    }
                }
                if *use_or && elems.len() > 1 {
                    elems = vec![Clause::Or(elems)];
                }
                Ok(match self.gen(&elems)? {
                    Gen::Contradictory => KeyMatch::Contradict,
                    Gen::NoSteps => KeyMatch::Unsupported,
                    Gen::Res(r) => KeyMatch::Steps(r),
                })
            }
            Clause::NullTest { col, is_null } => Ok(if col == key {
                KeyMatch::Nullness { not_null: !is_null }
            } else {
                KeyMatch::NoMatch
            }),
            Clause::Opaque { cols } => {
                if cols.contains(key) {
                    Err(format!(
                        "a condition on the partition key {key} of {} has a form the model \
                         does not evaluate",
                        self.rel.name
                    ))
                } else {
                    Ok(KeyMatch::NoMatch)
                }
            }
            Clause::Unprunable => Ok(KeyMatch::Unsupported),
            Clause::And(_) | Clause::Or(_) | Clause::Const(_) => Ok(KeyMatch::Unsupported),
        }
    }

    /// Text ordering depends on the collation.
    fn check_order(&self, ty: KeyType, op: Op) -> Result<(), String> {
        let ordering = !matches!(op, Op::Eq | Op::Ne) || !self.is_list() && !self.is_hash();
        if ordering && ty == (KeyType::Text { ordered: false }) {
            return Err(format!(
                "pruning {} orders text under the database's default collation, which the \
                 model does not know",
                self.rel.name
            ));
        }
        Ok(())
    }

    /// `gen_prune_steps_from_opexps`, evaluated.
    fn opsteps(
        &self,
        keyclauses: &[Vec<PartClause>],
        nullkeys: &[bool],
    ) -> Result<Vec<StepResult>, String> {
        let b = self.bounds()?;
        let mut out = Vec::new();
        match b {
            Bounds::List { .. } | Bounds::Range { .. } => {
                if keyclauses.len() != 1 {
                    return Err(format!(
                        "{} has a multi-column key, whose pruning is not modelled",
                        self.rel.name
                    ));
                }
                for pc in &keyclauses[0] {
                    out.push(self.base_step(b, Some(pc))?);
                }
            }
            Bounds::Hash { indexes } => {
                // Every key needs `=` clauses or IS NULL; one step per
                // combination of the clauses of the keys.
                if keyclauses
                    .iter()
                    .zip(nullkeys)
                    .any(|(c, null)| c.is_empty() && !null)
                {
                    return Ok(out);
                }
                let mut combos: Vec<Vec<Option<&Datum>>> = vec![Vec::new()];
                for (cs, null) in keyclauses.iter().zip(nullkeys) {
                    let mut next = Vec::new();
                    for prefix in &combos {
                        if *null {
                            let mut p = prefix.clone();
                            p.push(None);
                            next.push(p);
                        } else {
                            for pc in cs {
                                let mut p = prefix.clone();
                                p.push(Some(&pc.datum));
                                next.push(p);
                            }
                        }
                    }
                    combos = next;
                }
                for values in combos {
                    out.push(hash_step(indexes, &values));
                }
            }
        }
        Ok(out)
    }

    /// A step with IS NULL keys and no values.
    fn null_step(&self, nullkeys: &[bool]) -> Result<StepResult, String> {
        let b = self.bounds()?;
        Ok(match b {
            Bounds::List {
                null_index,
                default,
                ..
            } => StepResult {
                scan_null: null_index.is_some(),
                scan_default: null_index.is_none() && default.is_some(),
                ..Default::default()
            },
            Bounds::Range { default, .. } => StepResult {
                scan_default: default.is_some(),
                ..Default::default()
            },
            Bounds::Hash { indexes } => {
                let values: Vec<Option<&Datum>> = nullkeys.iter().map(|_| None).collect();
                hash_step(indexes, &values)
            }
        })
    }

    /// A step with no values and no NULL keys: every non-NULL datum.
    fn nonnull_step(&self) -> Result<StepResult, String> {
        let b = self.bounds()?;
        Ok(match b {
            Bounds::List { default, .. } | Bounds::Range { default, .. } => StepResult {
                offsets: (0..b.nindexes()).collect(),
                scan_default: default.is_some(),
                ..Default::default()
            },
            Bounds::Hash { indexes } => StepResult {
                offsets: (0..indexes.len()).collect(),
                ..Default::default()
            },
        })
    }

    /// `get_matching_list_bounds` / `get_matching_range_bounds` for one
    /// value of a single-column key.
    fn base_step(&self, b: &Bounds, pc: Option<&PartClause>) -> Result<StepResult, String> {
        let mut res = StepResult::default();
        let Some(pc) = pc else {
            return self.nonnull_step();
        };
        match b {
            Bounds::List {
                datums, default, ..
            } => {
                let has_default = default.is_some();
                let nd = datums.len();
                if nd == 0 {
                    res.scan_default = has_default;
                    return Ok(res);
                }
                // Greatest offset whose datum is <= the value.
                let (off, equal) = bsearch(nd, |i| datums[i].0.cmp(&pc.datum));
                if pc.op == Op::Ne {
                    res.offsets = (0..nd).collect();
                    if equal {
                        res.offsets.remove(&(off as usize));
                    }
                    res.scan_default = has_default;
                    return Ok(res);
                }
                if pc.op != Op::Eq {
                    res.scan_default = has_default;
                }
                let (minoff, maxoff) = match pc.op {
                    Op::Eq => {
                        if equal {
                            res.offsets.insert(off as usize);
                        } else {
                            res.scan_default = has_default;
                        }
                        return Ok(res);
                    }
                    Op::Ge | Op::Gt => {
                        let inclusive = pc.op == Op::Ge;
                        let mut o = off;
                        if o >= 0 {
                            if !equal || !inclusive {
                                o += 1;
                            }
                        } else {
                            o = 0;
                        }
                        if o > nd as i64 - 1 {
                            return Ok(res);
                        }
                        (o, nd as i64 - 1)
                    }
                    Op::Le | Op::Lt => {
                        let inclusive = pc.op == Op::Le;
                        let mut o = off;
                        if o >= 0 && equal && !inclusive {
                            o -= 1;
                        }
                        if o < 0 {
                            return Ok(res);
                        }
                        (0, o)
                    }
                    Op::Ne => unreachable!("handled above"),
                };
                res.offsets = (minoff as usize..=maxoff as usize).collect();
                Ok(res)
            }
            Bounds::Range {
                datums, indexes, ..
            } => {
                let nd = datums.len();
                if nd == 0 {
                    res.scan_default = b.default().is_some();
                    return Ok(res);
                }
                let v = RangeDatum::Val(pc.datum.clone());
                let (off, equal) = bsearch(nd, |i| datums[i].cmp(&v));
                let (mut minoff, mut maxoff) = (0i64, nd as i64);
                match pc.op {
                    Op::Eq => {
                        res.offsets.insert((off + 1) as usize);
                        return Ok(res);
                    }
                    Op::Ge | Op::Gt => minoff = if off < 0 { 0 } else { off + 1 },
                    Op::Le | Op::Lt => {
                        let inclusive = pc.op == Op::Le;
                        maxoff = if off >= 0 && equal && !inclusive {
                            off
                        } else {
                            off + 1
                        };
                    }
                    Op::Ne => return self.all(),
                }
                // Do not stray into the default partition past MINVALUE /
                // MAXVALUE bounds.
                if (minoff as usize) < nd
                    && indexes[minoff as usize].is_none()
                    && datums[minoff as usize] == RangeDatum::Min
                {
                    minoff += 1;
                }
                if maxoff >= 1
                    && indexes[maxoff as usize].is_none()
                    && datums[maxoff as usize - 1] == RangeDatum::Max
                {
                    maxoff -= 1;
                }
                if minoff <= maxoff {
                    res.offsets = (minoff as usize..=maxoff as usize).collect();
                }
                Ok(res)
            }
            Bounds::Hash { indexes } => Ok(hash_step(indexes, &[Some(&pc.datum)])),
        }
    }

    /// `get_matching_partitions`: offsets to partition positions.
    fn partitions(&self, res: &StepResult) -> Result<BTreeSet<usize>, String> {
        let b = self.bounds()?;
        let mut out = BTreeSet::new();
        let mut scan_default = res.scan_default;
        for &off in &res.offsets {
            let idx = match b {
                Bounds::List { datums, .. } => datums.get(off).map(|d| d.1),
                Bounds::Range { indexes, .. } | Bounds::Hash { indexes } => {
                    indexes.get(off).copied().flatten()
                }
            };
            match idx {
                Some(i) => {
                    out.insert(i);
                }
                // A gap in the ranges (or a missing remainder): the
                // default partition holds it, if there is one.
                None => scan_default |= b.default().is_some(),
            }
        }
        if res.scan_null {
            if let Bounds::List {
                null_index: Some(i),
                ..
            } = b
            {
                out.insert(*i);
            }
        }
        if scan_default {
            if let Some(d) = b.default() {
                out.insert(d);
            }
        }
        Ok(out)
    }
}

/// `get_matching_hash_bounds` with a value (or NULL) for every key.
fn hash_step(indexes: &[Option<usize>], values: &[Option<&Datum>]) -> StepResult {
    let hashes: Vec<Option<u64>> = values
        .iter()
        .map(|v| {
            v.map(|d| match d {
                Datum::Int(i) => hashfn::hashint8extended(*i, hashfn::HASH_PARTITION_SEED),
                Datum::Text(s) => hashfn::hashtextextended(s, hashfn::HASH_PARTITION_SEED),
            })
        })
        .collect();
    let off = (hashfn::partition_hash(&hashes) % indexes.len().max(1) as u64) as usize;
    let mut res = StepResult::default();
    if indexes.get(off).copied().flatten().is_some() {
        res.offsets.insert(off);
    }
    res
}

/// The greatest index `i < n` with `cmp(i) != Greater` (-1 if none), and
/// whether it compares equal (`partition_list_bsearch`,
/// `partition_range_datum_bsearch`).
fn bsearch(n: usize, cmp: impl Fn(usize) -> std::cmp::Ordering) -> (i64, bool) {
    let (mut lo, mut hi) = (-1i64, n as i64 - 1);
    while lo < hi {
        let mid = (lo + hi + 1) / 2;
        match cmp(mid as usize) {
            std::cmp::Ordering::Greater => hi = mid - 1,
            std::cmp::Ordering::Equal => return (mid, true),
            std::cmp::Ordering::Less => lo = mid,
        }
    }
    (lo, false)
}

fn union(parts: Vec<StepResult>) -> StepResult {
    let mut out = StepResult::default();
    for p in parts {
        out.offsets.extend(p.offsets);
        out.scan_default |= p.scan_default;
        out.scan_null |= p.scan_null;
    }
    out
}

fn intersect(parts: Vec<StepResult>) -> StepResult {
    let mut it = parts.into_iter();
    let mut out = it.next().unwrap_or_default();
    for p in it {
        out.offsets = out.offsets.intersection(&p.offsets).copied().collect();
        out.scan_default &= p.scan_default;
        out.scan_null &= p.scan_null;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Origin;
    use crate::model::effects::quals::{statement_filters, Filter};
    use crate::model::session::Session;

    fn catalog(setup: &str) -> Catalog {
        let mut cat = Catalog::new();
        let session = Session::new(true);
        for node in crate::parse::parse_statements_only(setup).expect("setup parses") {
            crate::model::replay::apply(&node, &mut cat, &session, 15, Origin::default());
        }
        cat
    }

    /// The partitions (root excluded) a query's first scan of `m` keeps.
    fn kept(setup: &str, query: &str) -> Result<Vec<String>, String> {
        let cat = catalog(setup);
        let node = crate::parse::parse_statements_only(query).expect("query parses")[0].clone();
        let filters =
            statement_filters(&node, &cat, &|rv| QName::new("public", rv.relname.as_str()));
        let root = QName::new("public", "m");
        let filter = filters
            .values()
            .next()
            .cloned()
            .unwrap_or(Filter::Clauses(Vec::new()));
        let clauses = match filter {
            Filter::Clauses(c) => c,
            Filter::Unknown(why) => return Err(why),
        };
        let mut out: Vec<String> = prune_tree(&cat, &root, &clauses)?
            .into_iter()
            .filter(|q| *q != root)
            .map(|q| q.name)
            .collect();
        out.sort();
        Ok(out)
    }

    const LIST: &str = "CREATE TABLE m (id int, k int) PARTITION BY LIST (k);
        CREATE TABLE m1 PARTITION OF m FOR VALUES IN (1);
        CREATE TABLE m2 PARTITION OF m FOR VALUES IN (2);
        CREATE TABLE m34 PARTITION OF m FOR VALUES IN (3, 4);
        CREATE TABLE mnull PARTITION OF m FOR VALUES IN (NULL, 5);
        CREATE TABLE mdef PARTITION OF m DEFAULT;
        CREATE TABLE t (id int, k int);";

    const RANGE: &str = "CREATE TABLE m (id int, k int) PARTITION BY RANGE (k);
        CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);
        CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (10) TO (20);
        CREATE TABLE m3 PARTITION OF m FOR VALUES FROM (30) TO (MAXVALUE);
        CREATE TABLE mdef PARTITION OF m DEFAULT;";

    fn names(v: &[&str]) -> Result<Vec<String>, String> {
        Ok(v.iter().map(|s| s.to_string()).collect())
    }

    // Expected sets observed on PostgreSQL 12 to 18 (pg_locks after the
    // SELECT), see fixtures/lockmodel/partition_pruning.sql.
    #[test]
    fn list_pruning_matches_the_server() {
        let all = ["m1", "m2", "m34", "mdef", "mnull"];
        let cases: &[(&str, &[&str])] = &[
            ("k IS NULL", &["mnull"]),
            ("k IS NOT NULL", &all),
            ("k = 1 AND k = 2", &[]),
            ("k <> 1", &["m2", "m34", "mdef", "mnull"]),
            ("k <> 3", &all),
            ("k IN (1,3)", &["m1", "m34"]),
            ("k = 1 OR k = 2", &["m1", "m2"]),
            ("k NOT IN (1,2)", &["m34", "mdef", "mnull"]),
            ("k > 2", &["m34", "mdef", "mnull"]),
            ("k = 1 OR id = 5", &all),
            ("false", &[]),
            ("k = 5", &["mnull"]),
            ("k = NULL", &[]),
            ("k IN (1, NULL)", &["m1"]),
            ("k <> ALL(ARRAY[1,NULL])", &[]),
            ("k = 6", &["mdef"]),
        ];
        for (w, want) in cases {
            assert_eq!(
                kept(LIST, &format!("SELECT * FROM m WHERE {w}")),
                names(want),
                "{w}"
            );
        }
    }

    #[test]
    fn range_pruning_matches_the_server() {
        let cases: &[(&str, &[&str])] = &[
            ("k = 5 AND k = 7", &[]),
            ("id = 1 AND id = 2", &[]),
            ("k < 5 AND k > 25", &[]),
            ("k > 25", &["m3", "mdef"]),
            ("k IS NULL", &["mdef"]),
            ("k = 25", &["mdef"]),
            ("k >= 10 AND k < 20", &["m2"]),
            ("k = 5 OR k IS NULL", &["m1", "mdef"]),
            ("NOT (k < 30)", &["m3"]),
        ];
        for (w, want) in cases {
            assert_eq!(
                kept(RANGE, &format!("SELECT * FROM m WHERE {w}")),
                names(want),
                "{w}"
            );
        }
    }

    #[test]
    fn joins_prune_through_equivalence_classes() {
        assert_eq!(
            kept(LIST, "SELECT * FROM t JOIN m ON m.k = t.k WHERE t.k = 2"),
            names(&["m2"])
        );
        assert_eq!(
            kept(LIST, "SELECT * FROM t JOIN m ON m.k = t.k WHERE t.id = 2"),
            names(&["m1", "m2", "m34", "mdef", "mnull"])
        );
    }

    #[test]
    fn what_is_not_modelled_is_unknown() {
        assert!(kept(LIST, "SELECT * FROM m WHERE k = 1 + 4").is_err());
        assert!(kept(
            LIST,
            "SELECT * FROM t LEFT JOIN m ON m.k = t.k WHERE t.k = 5"
        )
        .is_err());
        assert!(kept(LIST, "SELECT * FROM (SELECT * FROM m) s WHERE s.k = 5").is_err());
    }
}
