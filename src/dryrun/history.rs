//! Reading a migration tool's history table on the target
//! (`source::history` knows the tools), and finding migrations that are
//! running right now (`ddlint status`).

use postgres::Client;

use super::db_error_text;
use crate::input::{Input, Layout};
use crate::source::history::{self, Entry, Spec, State};

/// A migration (a file or a part of one: its path, where it is, its key in
/// the history table) and its state.
#[derive(Clone, Debug)]
pub struct FileState {
    pub path: String,
    pub unit: history::Unit,
    pub state: State,
}

/// The rows of the tool's history table; `Ok(None)` when the table does
/// not exist on the target (as the session's search_path resolves it).
pub fn read(client: &mut Client, spec: &Spec) -> Result<Option<Vec<Entry>>, String> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&spec.table])
        .map_err(|e| format!("cannot look for {}: {}", spec.table, db_error_text(&e)))?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let rows = client
        .query(spec.query, &[])
        .map_err(|e| format!("cannot read {}: {}", spec.table, db_error_text(&e)))?;
    Ok(Some(
        rows.iter()
            .map(|r| Entry {
                key: r.get::<_, Option<String>>(0).unwrap_or_default(),
                checksum: r.get(1),
                ok: r.get::<_, Option<bool>>(2).unwrap_or(false),
            })
            .collect(),
    ))
}

/// Where each migration of a tool's project stands against its history rows
/// (each path once, its bytes on disk: what the tool checksums), and the
/// rows that name no file.
pub fn classify_inputs<'a>(
    spec: &Spec,
    layout: Layout,
    inputs: impl IntoIterator<Item = &'a Input>,
    entries: &[Entry],
) -> (Vec<FileState>, Vec<Entry>) {
    let mut seen = std::collections::BTreeSet::new();
    let texts: Vec<(&str, String)> = inputs
        .into_iter()
        .filter(|i| seen.insert(i.path.as_str()))
        .map(|i| {
            let text = std::fs::read_to_string(&i.path).unwrap_or_else(|_| i.text.clone());
            (i.path.as_str(), text)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = texts.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (states, orphans) = history::classify(spec, layout, &pairs, entries);
    let states = states
        .into_iter()
        .map(|c| FileState {
            path: c.path.to_string(),
            unit: c.unit,
            state: c.state,
        })
        .collect();
    (states, orphans)
}

/// A session of another client that looks like a migration at work.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Running {
    pub pid: i32,
    pub application_name: String,
    pub user: String,
    pub state: String,
    /// Seconds since its transaction (or statement) began.
    pub seconds: f64,
    pub query: String,
    /// Why it counts: DDL, a lock on the history table, an advisory lock
    /// (the tools' migration lock), a strong relation lock.
    pub why: String,
    /// Locks it holds (`mode on relation`) and waits for.
    pub holds: Vec<String>,
    pub waits: Vec<String>,
}

/// Other sessions of this database running DDL, holding a migration
/// tool's advisory lock or the history table, or holding locks that block
/// writes on user tables.
pub fn running(client: &mut Client, table: Option<&str>) -> Result<Vec<Running>, String> {
    let rows = client
        .query(
            "WITH l AS ( \
               SELECT l.pid, l.granted, l.locktype, l.mode, \
                      CASE WHEN l.locktype = 'relation' THEN l.relation::regclass::text END AS rel, \
                      l.relation = to_regclass(NULLIF($1, '')) AS history \
               FROM pg_locks l WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                  OR l.locktype = 'advisory') \
             SELECT a.pid, COALESCE(a.application_name, ''), COALESCE(a.usename::text, ''), COALESCE(a.state, ''), \
                    extract(epoch FROM now() - COALESCE(a.xact_start, a.query_start))::float8, \
                    left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200), \
                    CASE WHEN bool_or(l.history) THEN 'uses the history table ' || $1 \
                         WHEN bool_or(l.locktype = 'advisory') THEN 'holds an advisory lock (migration tools take one while they run)' \
                         WHEN a.query ~* '^\\s*(alter|create|drop|reindex|cluster|refresh|comment|grant|revoke|truncate|lock)\\M' AND a.state <> 'idle' THEN 'runs DDL' \
                         ELSE 'holds a lock that blocks writes' END, \
                    COALESCE(array_agg(DISTINCT l.mode || ' on ' || COALESCE(l.rel, l.locktype)) FILTER (WHERE l.granted \
                      AND (l.locktype = 'advisory' OR l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock') OR l.history)), '{}'), \
                    COALESCE(array_agg(DISTINCT l.mode || ' on ' || COALESCE(l.rel, l.locktype)) FILTER (WHERE NOT l.granted), '{}') \
             FROM pg_stat_activity a JOIN l ON l.pid = a.pid \
             WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() AND a.backend_type = 'client backend' \
             GROUP BY a.pid, a.application_name, a.usename, a.state, a.xact_start, a.query_start, a.query \
             HAVING bool_or(l.history) OR bool_or(l.locktype = 'advisory' AND l.granted) \
                OR (a.query ~* '^\\s*(alter|create|drop|reindex|cluster|refresh|comment|grant|revoke|truncate|lock)\\M' AND a.state <> 'idle') \
                OR bool_or(l.granted AND l.locktype = 'relation' AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock') \
                           AND l.rel NOT LIKE 'pg\\_%') \
             ORDER BY 5 DESC",
            &[&table.unwrap_or("")],
        )
        .map_err(|e| format!("cannot read pg_stat_activity / pg_locks: {}", db_error_text(&e)))?;
    Ok(rows
        .iter()
        .map(|r| Running {
            pid: r.get(0),
            application_name: r.get(1),
            user: r.get(2),
            state: r.get(3),
            seconds: (r.get::<_, Option<f64>>(4).unwrap_or(0.0) * 10.0).round() / 10.0,
            query: r.get(5),
            why: r.get(6),
            holds: r.get(7),
            waits: r.get(8),
        })
        .collect())
}
