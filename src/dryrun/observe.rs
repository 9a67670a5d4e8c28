//! What a statement did, read from the server's catalogs: the relations
//! before and after it (`pg_class`: new, dropped, rewritten = new
//! relfilenode under the same oid) and the relation-level locks its backend
//! holds (`pg_locks`), named as `ddlint check` names them (`schema.name`,
//! pg_locks' mode names), so prediction and observation compare directly.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use postgres::Client;
use serde::Serialize;

use crate::model::effects::Effects;
use crate::model::locks::LockMode;

/// One relation in `pg_class`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rel {
    pub name: String,
    /// pg_class.relkind: r table, p partitioned table, i index, I
    /// partitioned index, S sequence, v view, m materialized view, f
    /// foreign table, c composite type, t toast.
    pub kind: char,
    pub filenode: i64,
    /// For an index: its table's oid.
    pub table: Option<u32>,
}

impl Rel {
    pub fn is_index(&self) -> bool {
        matches!(self.kind, 'i' | 'I')
    }

    pub fn is_table(&self) -> bool {
        matches!(self.kind, 'r' | 'p')
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            'r' => "table",
            'p' => "partitioned table",
            'i' => "index",
            'I' => "partitioned index",
            'S' => "sequence",
            'v' => "view",
            'm' => "materialized view",
            'f' => "foreign table",
            'c' => "type",
            _ => "relation",
        }
    }
}

/// The user relations of the database, by oid.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub rels: HashMap<u32, Rel>,
    by_name: HashMap<String, u32>,
}

const SNAPSHOT_SQL: &str =
    "SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relfilenode::int8, x.indrelid \
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_catalog.pg_index x ON x.indexrelid = c.oid \
     WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' \
        OR n.nspname LIKE 'pg\\_temp\\_%'";

impl Snapshot {
    pub fn take(client: &mut Client) -> Result<Snapshot, postgres::Error> {
        let rows = client.query(SNAPSHOT_SQL, &[])?;
        let mut rels = HashMap::with_capacity(rows.len());
        for r in rows {
            let oid: u32 = r.get(0);
            let schema: String = r.get(1);
            let schema = if schema.starts_with("pg_temp_") {
                "pg_temp".to_string()
            } else {
                schema
            };
            let name: String = r.get(2);
            let kind: String = r.get(3);
            rels.insert(
                oid,
                Rel {
                    name: format!("{schema}.{name}"),
                    kind: kind.chars().next().unwrap_or('?'),
                    filenode: r.get(4),
                    table: r.get(5),
                },
            );
        }
        let by_name = rels.iter().map(|(o, r)| (r.name.clone(), *o)).collect();
        Ok(Snapshot { rels, by_name })
    }

    pub fn oid_of(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// `schema.name` of a relation.
    pub fn name_of(&self, oid: u32) -> Option<String> {
        self.rels.get(&oid).map(|r| r.name.clone())
    }

    pub fn by_name(&self, name: &str) -> Option<&Rel> {
        self.oid_of(name).and_then(|o| self.rels.get(&o))
    }
}

/// What changed in `pg_class` between two snapshots.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Changes {
    /// Pre-existing tables, materialized views and indexes with a new
    /// relfilenode (sequences restarted are not rewrites).
    pub rewrites: BTreeSet<String>,
    /// "index public.orders_created_at" for every new relation.
    pub created: Vec<String>,
    pub dropped: Vec<String>,
    /// Oids of new indexes (for undoing CREATE INDEX CONCURRENTLY).
    #[serde(skip)]
    pub new_indexes: Vec<(u32, String)>,
}

pub fn changes(before: &Snapshot, after: &Snapshot) -> Changes {
    let mut c = Changes::default();
    for (oid, b) in &before.rels {
        match after.rels.get(oid) {
            Some(a) => {
                if a.filenode != b.filenode && matches!(b.kind, 'r' | 'm' | 'i' | 't') {
                    c.rewrites.insert(b.name.clone());
                }
            }
            None if b.kind != 't' => c.dropped.push(format!("{} {}", b.kind_name(), b.name)),
            None => {}
        }
    }
    for (oid, a) in &after.rels {
        if !before.rels.contains_key(oid) && a.kind != 't' {
            c.created.push(format!("{} {}", a.kind_name(), a.name));
            if a.kind == 'i' {
                c.new_indexes.push((*oid, a.name.clone()));
            }
        }
    }
    // An index rebuilt under a new oid with the old name (REINDEX
    // CONCURRENTLY) is a rewrite of the index, not a new object.
    let dropped_names: BTreeSet<String> = before
        .rels
        .iter()
        .filter(|(o, r)| r.is_index() && !after.rels.contains_key(o))
        .map(|(_, r)| r.name.clone())
        .collect();
    let rebuilt: Vec<String> = c
        .new_indexes
        .iter()
        .filter(|(_, n)| dropped_names.contains(n))
        .map(|(_, n)| n.clone())
        .collect();
    for n in rebuilt {
        c.rewrites.insert(n.clone());
        c.created.retain(|x| *x != format!("index {n}"));
        c.dropped.retain(|x| *x != format!("index {n}"));
    }
    c.created.sort();
    c.dropped.sort();
    c
}

/// Relation-level locks granted to `pid` (the migration's backend), by oid.
/// Every mode held is listed (a backend can hold several per relation).
pub fn locks_of(
    client: &mut Client,
    pid: i32,
) -> Result<BTreeSet<(u32, LockMode)>, postgres::Error> {
    let rows = client.query(
        "SELECT relation, mode FROM pg_catalog.pg_locks \
         WHERE locktype = 'relation' AND granted AND pid = $1 \
           AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
        &[&pid],
    )?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let oid: u32 = r.get(0);
            let mode: String = r.get(1);
            LockMode::from_pg_name(&mode).map(|m| (oid, m))
        })
        .collect())
}

/// Strongest mode per pre-existing relation among `locks`.
pub fn strongest(
    locks: &BTreeSet<(u32, LockMode)>,
    names: &Snapshot,
) -> BTreeMap<String, LockMode> {
    let mut out: BTreeMap<String, LockMode> = BTreeMap::new();
    for (oid, mode) in locks {
        if let Some(r) = names.rels.get(oid) {
            let e = out.entry(r.name.clone()).or_insert(*mode);
            if *mode > *e {
                *e = *mode;
            }
        }
    }
    out
}

pub use super::outcome::Disagreement;

/// Compares a statement's prediction with what was observed. `acquired`:
/// strongest mode per relation among the locks the statement newly took;
/// `held_before`: locks its transaction already held when it started (a
/// statement asking again for a mode already held leaves no trace in
/// pg_locks, so a prediction of a mode already held agrees). Indexes are
/// compared only where predicted: locks PostgreSQL takes on a table's
/// indexes as a side effect follow the table's lock (the same convention as
/// `ddlint check`'s output). `exact` is false when locks were sampled while
/// the statement ran (outside a transaction): then an observed mode weaker
/// than predicted is not a disagreement (a short lock may be missed).
pub fn compare(
    predicted: &Effects,
    acquired: &BTreeMap<String, LockMode>,
    held_before: &BTreeMap<String, LockMode>,
    rewrites: &BTreeSet<String>,
    before: &Snapshot,
    exact: bool,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    // Relations created in this file or transaction block nobody: not
    // compared (their locks are listed by `ddlint check` as `new`).
    let new: BTreeSet<String> = predicted
        .new_relations
        .iter()
        .map(|q| q.to_string())
        .collect();
    let exists = |name: &str| !new.contains(name) && before.oid_of(name).is_some();
    let is_index = |name: &str| before.by_name(name).is_some_and(Rel::is_index);
    let mut predicted_locks: BTreeMap<String, LockMode> = predicted
        .locks
        .iter()
        .filter(|(q, _)| !predicted.new_relations.contains(*q))
        .map(|(q, m)| (q.to_string(), *m))
        .filter(|(q, _)| exists(q))
        .collect();
    // An index the history does not show stands for its table too (the
    // model cannot name it and says its table takes the same lock).
    for q in predicted.unseen_index_tables.iter() {
        let Some(&m) = predicted.locks.get(q) else {
            continue;
        };
        let table = before
            .by_name(&q.to_string())
            .and_then(|r| r.table)
            .and_then(|t| before.rels.get(&t));
        if let Some(t) = table {
            let e = predicted_locks.entry(t.name.clone()).or_insert(m);
            *e = (*e).max(m);
        }
    }
    // Locks taken per row (foreign-key checks and actions, sequences,
    // partitions routed to) are only taken when rows are there: an empty
    // or smaller database shows fewer or weaker ones.
    let exact = exact && !predicted.data_dependent;
    let mut rels: BTreeSet<&String> = predicted_locks.keys().collect();
    rels.extend(
        acquired
            .keys()
            .filter(|r| exists(r) && (!is_index(r) || predicted_locks.contains_key(*r))),
    );
    for rel in rels {
        let p = predicted_locks.get(rel).copied();
        let o = acquired.get(rel).copied();
        let held = held_before.get(rel).copied();
        let agree = match (p, o) {
            (Some(p), Some(o)) => {
                p == o || (!exact && o < p) || held.is_some_and(|h| h >= p && o < p)
            }
            // Asked again for what the transaction already holds.
            (Some(p), None) => held.is_some_and(|h| h >= p) || !exact,
            (None, Some(_)) => false,
            (None, None) => true,
        };
        if !agree {
            out.push(Disagreement {
                relation: rel.clone(),
                what: "lock",
                predicted: p.map_or("-".into(), |m| m.pg_name().into()),
                observed: o.map_or("-".into(), |m| m.pg_name().into()),
            });
        }
    }
    let predicted_rw: BTreeSet<String> = predicted
        .rewrites
        .iter()
        .filter(|q| !predicted.new_relations.contains(*q))
        .map(|q| q.to_string())
        .filter(|q| exists(q))
        .collect();
    let observed_rw: BTreeSet<String> = rewrites
        .iter()
        .filter(|r| exists(r) && (!is_index(r) || predicted_rw.contains(*r)))
        .cloned()
        .collect();
    for rel in predicted_rw.symmetric_difference(&observed_rw) {
        let p = predicted_rw.contains(rel);
        out.push(Disagreement {
            relation: rel.clone(),
            what: "rewrite",
            predicted: if p { "rewrite" } else { "-" }.into(),
            observed: if p { "-" } else { "rewrite" }.into(),
        });
    }
    out
}

/// A lock stronger than predicted that PostgreSQL takes briefly at the end
/// of a statement run outside a transaction, on something no query waits
/// for; seen only when a sample happens to land on it.
pub fn transient_lock(
    step: &super::plan::Step,
    d: &Disagreement,
    before: &Snapshot,
) -> Option<String> {
    if d.what != "lock" || d.observed != "AccessExclusiveLock" {
        return None;
    }
    let rel = before.by_name(&d.relation)?;
    let sql = step.sql.to_ascii_uppercase();
    if step.kind == "REINDEX" && sql.contains("CONCURRENTLY") && rel.is_index() {
        // ReindexRelationConcurrently drops the old copy with
        // PERFORM_DELETION_CONCURRENT_LOCK, which AcquireDeletionLock
        // turns into AccessExclusiveLock; the copy is already dead
        // (indislive = false), so no query opens it.
        return Some(format!(
            "AccessExclusiveLock on {} was seen at the end: REINDEX CONCURRENTLY drops the old copy \
             of the index under it, after the copy is dead, so no query waits for it",
            d.relation
        ));
    }
    if step.kind == "VACUUM" && !sql.contains("FULL") && rel.is_table() {
        return Some(format!(
            "AccessExclusiveLock on {} was seen: VACUUM truncates empty pages at the end of the \
             table under it, only when it gets it at once, and gives it up when anyone waits",
            d.relation
        ));
    }
    None
}
