//! `ddlint stats`: reads production's shape (never its data) into a
//! `stats::Snapshot`.
//!
//! Everything comes from what a role with `pg_monitor` (or
//! `pg_read_all_stats`) may read: `pg_class` (reltuples, relpages),
//! `pg_relation_size` and friends (they take ACCESS SHARE for an instant,
//! so the session sets a short lock_timeout and falls back to relpages when
//! a relation is locked), `pg_stat_user_tables` counters read twice
//! `sample` apart (or averaged since their last reset), and from `pg_stats`
//! only `null_frac` and `n_distinct` (never most-common values or
//! histograms). `pg_stats` shows only columns the role may SELECT: the
//! others are listed in `unreadable`, not fatal. The session is read-only.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::Client;

use super::db_error_text;
use crate::stats::{
    ColumnStats, IndexStats, Parent, Rates, RelationStats, Server, Snapshot, Unreadable,
};

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// One read of the activity counters, by relation oid.
type Counters = HashMap<i64, [i64; 5]>;

/// Capture a snapshot. Only the connection-level reads (server settings,
/// the relation list) can fail; what the role cannot read is recorded.
pub fn capture(
    client: &mut Client,
    sample: Duration,
    tick: &mut dyn FnMut(&str),
) -> Result<Snapshot, String> {
    client
        .batch_execute(
            "SET default_transaction_read_only = on; SET lock_timeout = '2s'; \
             SET statement_timeout = '5min'; SET search_path = pg_catalog",
        )
        .map_err(|e| format!("cannot prepare the session: {}", db_error_text(&e)))?;
    let row = client
        .query_one(
            "SELECT version(), current_setting('server_version_num')::int4, \
                    current_setting('max_connections')::int4, current_setting('TimeZone'), \
                    current_database()::text, \
                    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[],
        )
        .map_err(|e| format!("cannot read the server's settings: {}", db_error_text(&e)))?;
    let server = Server {
        version: row.get(0),
        version_num: u32::try_from(row.get::<_, i32>(1)).unwrap_or(0),
        max_connections: u32::try_from(row.get::<_, i32>(2)).unwrap_or(0),
        timezone: row.get(3),
        database: row.get(4),
    };
    let captured_at: String = row.get(5);
    let mut unreadable = Vec::new();

    tick("relations and their sizes");
    let (mut relations, oids, parents) = relations(client, &mut unreadable)?;
    tick("indexes");
    indexes(client, &mut relations, &oids, &mut unreadable);
    tick("column statistics (null_frac, n_distinct)");
    columns(client, &mut relations, &mut unreadable);

    // Activity: two reads `sample` apart, else the averages since reset.
    let mut rates_since = None;
    let first = counters(client);
    let t0 = Instant::now();
    let rates: Option<(Counters, Counters, f64)> = match first {
        Err(e) => {
            unreadable.push(Unreadable {
                what: "read and write rates".into(),
                why: e,
            });
            None
        }
        Ok(a) if !sample.is_zero() => {
            tick(&format!(
                "sampling activity for {}s",
                sample.as_secs_f64().round()
            ));
            std::thread::sleep(sample);
            match counters(client) {
                Ok(b) => Some((a, b, t0.elapsed().as_secs_f64())),
                Err(e) => {
                    unreadable.push(Unreadable {
                        what: "read and write rates".into(),
                        why: e,
                    });
                    None
                }
            }
        }
        Ok(a) => match since_reset(client) {
            Some((when, secs)) if secs > 0.0 => {
                rates_since = Some(when);
                Some((HashMap::new(), a, secs))
            }
            _ => {
                unreadable.push(Unreadable {
                    what: "read and write rates".into(),
                    why: "--sample 0 averages the counters since their last reset, and \
                          pg_stat_database.stats_reset is not set: sample them (--sample 30s)"
                        .into(),
                });
                None
            }
        },
    };
    if let Some((a, b, secs)) = &rates {
        for (r, oid) in relations.iter_mut().zip(&oids) {
            if let Some(now) = b.get(oid) {
                let before = a.get(oid).copied().unwrap_or([0; 5]);
                let per =
                    |i: usize| ((now[i] - before[i]).max(0) as f64 / secs * 100.0).round() / 100.0;
                r.rates = Some(Rates {
                    seq_scans: per(0),
                    index_scans: per(1),
                    inserts: per(2),
                    updates: per(3),
                    deletes: per(4),
                });
            }
        }
    }
    roll_up_partitions(&mut relations, &oids, &parents);
    Ok(Snapshot {
        format: crate::stats::FORMAT.into(),
        version: crate::stats::VERSION,
        captured_at,
        ddlint: env!("CARGO_PKG_VERSION").into(),
        server,
        sample_seconds: match &rates {
            Some((_, _, s)) if rates_since.is_none() => (s * 10.0).round() / 10.0,
            _ => 0.0,
        },
        rates_since,
        relations,
        unreadable,
    })
}

fn kind_name(k: &str) -> &'static str {
    match k {
        "r" => "table",
        "p" => "partitioned table",
        "m" => "materialized view",
        "f" => "foreign table",
        _ => "relation",
    }
}

type Listed = (Vec<RelationStats>, Vec<i64>, HashMap<i64, i64>);

/// The relations of user schemas with their sizes; exact sizes need an
/// instant ACCESS SHARE lock on each relation: when one is locked (or the
/// read fails), sizes come from relpages (as of the last VACUUM/ANALYZE).
fn relations(client: &mut Client, unreadable: &mut Vec<Unreadable>) -> Result<Listed, String> {
    let query = |exact: bool| {
        let (heap, toast, idx) = if exact {
            (
                "pg_relation_size(c.oid)",
                "CASE WHEN c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid) ELSE 0 END",
                "pg_indexes_size(c.oid)",
            )
        } else {
            (
                "c.relpages::int8 * current_setting('block_size')::int8",
                "COALESCE((SELECT t.relpages::int8 FROM pg_class t WHERE t.oid = c.reltoastrelid), 0) \
                 * current_setting('block_size')::int8",
                "COALESCE((SELECT sum(ic.relpages)::int8 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
                 WHERE i.indrelid = c.oid), 0) * current_setting('block_size')::int8",
            )
        };
        format!(
            "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, \
                    (SELECT i.inhparent::int8 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
                     WHERE i.inhrelid = c.oid AND p.relkind = 'p' LIMIT 1), \
                    c.reltuples::float8, ({heap})::int8, ({toast})::int8, ({idx})::int8, \
                    has_table_privilege(c.oid, 'SELECT') \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'm', 'f') AND c.relpersistence <> 't' AND {USER_SCHEMAS} \
             ORDER BY 2, 3"
        )
    };
    let rows = match client.query(&query(true), &[]) {
        Ok(r) => r,
        Err(e) => {
            unreadable.push(Unreadable {
                what: "exact relation sizes".into(),
                why: format!(
                    "{}: sizes are from pg_class.relpages (as of each relation's last VACUUM or ANALYZE)",
                    db_error_text(&e)
                ),
            });
            client
                .query(&query(false), &[])
                .map_err(|e| format!("cannot list the relations: {}", db_error_text(&e)))?
        }
    };
    let mut out = Vec::new();
    let mut oids = Vec::new();
    let mut parents = HashMap::new();
    for r in &rows {
        let oid: i64 = r.get(0);
        let reltuples: f64 = r.get(5);
        let heap = u64::try_from(r.get::<_, i64>(6)).unwrap_or(0);
        let kind: String = r.get(3);
        let rows = (reltuples >= 0.0 && !(kind == "p" && reltuples == 0.0))
            .then(|| reltuples.round() as u64);
        if let Some(p) = r.get::<_, Option<i64>>(4) {
            parents.insert(oid, p);
        }
        let name: String = r.get(2);
        let schema: String = r.get(1);
        if !r.get::<_, bool>(9) {
            unreadable.push(Unreadable {
                what: format!("column statistics of {schema}.{name}"),
                why: "the role may not SELECT it, and pg_stats shows only the columns a role \
                      may read (pg_monitor / pg_read_all_stats do not change that): grant \
                      SELECT on it, or capture as its owner"
                    .into(),
            });
        } else if rows.is_none() && kind != "p" {
            unreadable.push(Unreadable {
                what: format!("statistics of {schema}.{name}"),
                why: "never vacuumed or analysed: no row estimate and no column statistics \
                      (run ANALYZE on it)"
                    .into(),
            });
        }
        out.push(RelationStats {
            schema,
            name,
            kind: kind_name(&kind).into(),
            parent: None,
            rows,
            heap_bytes: heap,
            toast_bytes: u64::try_from(r.get::<_, i64>(7)).unwrap_or(0),
            index_bytes: u64::try_from(r.get::<_, i64>(8)).unwrap_or(0),
            avg_row_bytes: None,
            indexes: Vec::new(),
            rates: None,
            columns: Vec::new(),
        });
        oids.push(oid);
    }
    Ok((out, oids, parents))
}

fn indexes(
    client: &mut Client,
    relations: &mut [RelationStats],
    oids: &[i64],
    unreadable: &mut Vec<Unreadable>,
) {
    let pos: HashMap<i64, usize> = oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    let query = |exact: bool| {
        let size = if exact {
            "pg_relation_size(ic.oid)"
        } else {
            "ic.relpages::int8 * current_setting('block_size')::int8"
        };
        format!(
            "SELECT i.indrelid::int8, ic.relname::text, ({size})::int8, i.indisunique, i.indisprimary \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = ic.relnamespace WHERE {USER_SCHEMAS} ORDER BY 1, 2"
        )
    };
    let rows = match client.query(&query(true), &[]) {
        Ok(r) => r,
        Err(e) => match client.query(&query(false), &[]) {
            Ok(r) => {
                unreadable.push(Unreadable {
                    what: "exact index sizes".into(),
                    why: format!("{}: sizes are from pg_class.relpages", db_error_text(&e)),
                });
                r
            }
            Err(e) => {
                unreadable.push(Unreadable {
                    what: "indexes".into(),
                    why: db_error_text(&e),
                });
                return;
            }
        },
    };
    for r in &rows {
        let Some(&i) = pos.get(&r.get::<_, i64>(0)) else {
            continue;
        };
        relations[i].indexes.push(IndexStats {
            name: r.get(1),
            bytes: u64::try_from(r.get::<_, i64>(2)).unwrap_or(0),
            unique: r.get(3),
            primary: r.get(4),
        });
    }
}

/// `null_frac` and `n_distinct` per column: nothing else of pg_stats.
fn columns(client: &mut Client, relations: &mut [RelationStats], unreadable: &mut Vec<Unreadable>) {
    let rows = match client.query(
        "SELECT s.schemaname::text, s.tablename::text, s.attname::text, s.inherited, \
                s.null_frac::float8, s.n_distinct::float8 \
         FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname \
         WHERE {USER_SCHEMAS} ORDER BY 1, 2, 3, 4"
            .replace("{USER_SCHEMAS}", USER_SCHEMAS)
            .as_str(),
        &[],
    ) {
        Ok(r) => r,
        Err(e) => {
            unreadable.push(Unreadable {
                what: "column statistics".into(),
                why: db_error_text(&e),
            });
            return;
        }
    };
    let pos: HashMap<(String, String), usize> = relations
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.schema.clone(), r.name.clone()), i))
        .collect();
    // A partitioned table's statistics are the inherited ones; a table's
    // its own (inherited ones also exist for inheritance parents): the
    // wanted kind replaces the other, the other only fills a gap.
    for r in &rows {
        let Some(&i) = pos.get(&(r.get::<_, String>(0), r.get::<_, String>(1))) else {
            continue;
        };
        let inherited: bool = r.get(3);
        let wanted = relations[i].kind == "partitioned table";
        let c = ColumnStats {
            name: r.get(2),
            null_frac: (r.get::<_, f64>(4) * 10000.0).round() / 10000.0,
            n_distinct: (r.get::<_, f64>(5) * 10000.0).round() / 10000.0,
        };
        let cols = &mut relations[i].columns;
        match cols.iter_mut().find(|x| x.name == c.name) {
            Some(x) if inherited == wanted => *x = c,
            Some(_) => {}
            None => cols.push(c),
        }
    }
}

fn counters(client: &mut Client) -> Result<Counters, String> {
    let rows = client
        .query(
            "SELECT relid::int8, COALESCE(seq_scan, 0)::int8, COALESCE(idx_scan, 0)::int8, \
                    n_tup_ins::int8, n_tup_upd::int8, n_tup_del::int8 \
             FROM pg_stat_user_tables",
            &[],
        )
        .map_err(|e| db_error_text(&e))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0),
                [r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)],
            )
        })
        .collect())
}

/// When the counters were last reset, and how many seconds ago.
fn since_reset(client: &mut Client) -> Option<(String, f64)> {
    let row = client
        .query_opt(
            "SELECT to_char(stats_reset AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
                    extract(epoch FROM now() - stats_reset)::float8 \
             FROM pg_stat_database WHERE datname = current_database() AND stats_reset IS NOT NULL",
            &[],
        )
        .ok()??;
    Some((row.get(0), row.get(1)))
}

/// A partitioned table's rows, bytes and rates are its partitions' (sums,
/// through sub-partitioning); each partition names its parent.
fn roll_up_partitions(relations: &mut [RelationStats], oids: &[i64], parents: &HashMap<i64, i64>) {
    let pos: HashMap<i64, usize> = oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    for (i, oid) in oids.iter().enumerate() {
        if let Some(p) = parents.get(oid).and_then(|p| pos.get(p)) {
            let parent = Parent {
                schema: relations[*p].schema.clone(),
                name: relations[*p].name.clone(),
            };
            relations[i].parent = Some(parent);
        }
    }
    // Leaves first: a partition's totals are final before its parent adds
    // them (depth = number of ancestors).
    let depth = |mut o: i64| {
        let mut d = 0;
        while let Some(p) = parents.get(&o) {
            d += 1;
            o = *p;
            if d > 64 {
                break;
            }
        }
        d
    };
    let mut order: Vec<usize> = (0..oids.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(depth(oids[*i])));
    let mut child_rows: HashMap<usize, Option<u64>> = HashMap::new();
    for i in order {
        let is_parent = relations[i].kind == "partitioned table";
        if is_parent {
            if let Some(rows) = child_rows.get(&i) {
                relations[i].rows = *rows;
            }
        }
        let Some(&p) = parents.get(&oids[i]).and_then(|p| pos.get(p)) else {
            continue;
        };
        let (heap, toast, idx, rows, rates) = {
            let c = &relations[i];
            (c.heap_bytes, c.toast_bytes, c.index_bytes, c.rows, c.rates)
        };
        let parent = &mut relations[p];
        parent.heap_bytes += heap;
        parent.toast_bytes += toast;
        parent.index_bytes += idx;
        if let Some(r) = rates {
            let acc = parent.rates.get_or_insert_with(Rates::default);
            acc.seq_scans += r.seq_scans;
            acc.index_scans += r.index_scans;
            acc.inserts += r.inserts;
            acc.updates += r.updates;
            acc.deletes += r.deletes;
        }
        let e = child_rows.entry(p).or_insert(Some(0));
        *e = match (*e, rows) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
    for r in relations.iter_mut() {
        r.avg_row_bytes = r
            .rows
            .filter(|n| *n > 0)
            .map(|n| (r.heap_bytes as f64 / n as f64).round() as u64);
    }
}
