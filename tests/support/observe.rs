//! Observes, on a real server, which relation-level locks a statement takes,
//! which relations it rewrites and which it scans.
//!
//! # What is observed
//!
//! Only relations that exist after the setup ("pre-existing": a snapshot of
//! `pg_class` taken before the statement) are reported, named
//! `schema.name` by their name *before* the statement (so `ALTER TABLE t
//! RENAME TO u` reports `public.t`). System schemas (`pg_catalog`,
//! `information_schema`, `pg_toast*`) are never reported; a temporary
//! relation the setup made is reported as `pg_temp.name`.
//!
//! * `locks`: strongest mode (pg_locks names, ordered AccessShareLock <
//!   RowShareLock < RowExclusiveLock < ShareUpdateExclusiveLock < ShareLock <
//!   ShareRowExclusiveLock < ExclusiveLock < AccessExclusiveLock) per
//!   relation, among the `locktype = 'relation'` locks of the session.
//! * `rewrites`: pre-existing tables, materialized views and indexes
//!   (relkind r, m, i) that, after the statement, either have a different
//!   `pg_class.relfilenode` under the same oid, or (indexes only) no longer
//!   exist under their oid while an index with the same schema and name
//!   exists under an oid that did not exist before the statement (REINDEX
//!   CONCURRENTLY, ALTER COLUMN TYPE, DROP INDEX + CREATE INDEX; not an index
//!   renamed into place, nor a table replaced by renames).
//!   Sequences whose relfilenode changed (ALTER SEQUENCE RESTART, TRUNCATE
//!   RESTART IDENTITY) are not rewrites: they are listed in `notes`.
//!   Partitioned tables and indexes have no storage and so are never
//!   rewritten; their partitions are.
//! * `scans`: pre-existing tables/matviews whose `seq_scan` counter in
//!   `pg_stat_xact_user_tables` grew during the statement (full scans done
//!   for validation, rewrite, index build, and also plain plans: on tiny
//!   tables the planner picks sequential scans). Informational only.
//!
//! # Methods
//!
//! `transaction`: reset the database, run the setup (each statement
//! committed), snapshot pg_class, `BEGIN`, run the statement block (one simple
//! query, so several statements may be given), read `pg_locks` for the own
//! backend, read pg_class and pg_stat_xact_user_tables, `ROLLBACK`. Exact for
//! everything the statement does inside the transaction.
//!
//! `probe`: for statements that refuse to run in a transaction block (SQLSTATE
//! 25001: CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, DETACH
//! PARTITION CONCURRENTLY, ALTER TYPE ADD VALUE on 11, REINDEX of a
//! partitioned table, ...). A second session (the blocker) holds locks on the
//! pre-existing relations in an open transaction, the statement runs in
//! autocommit (each statement of the block separately) in a third session,
//! and the harness polls `pg_locks` for that session's ungranted request, then
//! releases the blocker. Levels go from ACCESS SHARE (only
//! AccessExclusiveLock requests conflict with it) down to ACCESS EXCLUSIVE
//! (every request conflicts), so the first blocked request seen for a
//! relation is its strongest request (up to the limits below). A relation
//! once resolved is no longer held, and a level is re-run until the statement
//! completes without blocking. Each run starts from a reset database and a
//! fresh setup; the locks the statement holds granted while it is blocked are
//! recorded too. A final unobstructed run gives rewrites and errors.
//!
//! How the blocker holds each level: tables, partitioned tables, views,
//! matviews and foreign tables with `LOCK TABLE ONLY ... IN <level> MODE`;
//! indexes with `SELECT 1 FROM ONLY t LIMIT 0` (AccessShareLock on every
//! index of t), `SELECT ... FOR UPDATE` (RowShareLock on 12+, AccessShareLock
//! on 11), `DELETE FROM ONLY t WHERE false` (RowExclusiveLock), `COMMENT ON
//! INDEX i IS NULL` (ShareUpdateExclusiveLock), nothing at EXCLUSIVE, and
//! `ALTER INDEX i SET TABLESPACE pg_default` (AccessExclusiveLock); the first
//! three lock the table in the same mode, so they are used only while the
//! table itself is unresolved.
//!
//! Limits of the probe: sequences, partitioned indexes and composite types
//! cannot be held, so their locks are seen only when held (granted) at a
//! moment the statement is blocked on something else; they are listed in
//! `unobservable` and the comparison treats the observed mode as a lower
//! bound. Within one level a weaker request made first hides a stronger one
//! made later on the same relation (RowExclusive then ShareRowExclusive;
//! Share then ShareRowExclusive; for indexes, whose EXCLUSIVE level is
//! missing, AccessShare/RowShare then RowExclusive). A statement that waits
//! for the blocker's transaction instead of a relation lock (the wait phases
//! of CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX
//! CONCURRENTLY, DETACH CONCURRENTLY, which wait on virtualxids) makes that
//! level inconclusive: `notes` says so, and requests it would have made later
//! are unseen. Locks are attributed to the relation's pre-statement name.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use super::pg::PgServer;

/// Lock modes from weakest to strongest.
pub const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

pub fn mode_rank(mode: &str) -> usize {
    MODES.iter().position(|m| *m == mode).map_or(0, |p| p + 1)
}

/// Keeps the stronger of the two modes in `map[rel]`.
pub fn merge_mode(map: &mut BTreeMap<String, String>, rel: &str, mode: &str) {
    match map.get(rel) {
        Some(old) if mode_rank(old) >= mode_rank(mode) => {}
        _ => {
            map.insert(rel.to_string(), mode.to_string());
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Observed {
    /// Strongest mode per pre-existing relation.
    pub locks: BTreeMap<String, String>,
    /// Pre-existing relations rewritten (see module docs).
    pub rewrites: BTreeSet<String>,
    /// Pre-existing tables sequentially scanned (informational).
    pub scans: BTreeSet<String>,
    /// Every pre-existing relation with its relkind (`table`, `index`, ...).
    pub relkinds: BTreeMap<String, String>,
    /// Every pre-existing index with its table.
    pub index_tables: BTreeMap<String, String>,
    /// `transaction` or `probe`.
    pub method: String,
    /// Error of the setup or the statement, if any.
    pub error: Option<String>,
    pub sqlstate: Option<String>,
    /// Probe: relations whose locks the probe cannot test directly.
    pub unobservable: BTreeSet<String>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
struct Rel {
    name: String,
    relkind: String,
    filenode: i64,
    /// For an index: the oid of its table.
    table: Option<i64>,
}

type Snapshot = HashMap<i64, Rel>;

const SNAPSHOT_SQL: &str = "SELECT c.oid::int8, \
       CASE WHEN n.nspname LIKE 'pg\\_temp\\_%' THEN 'pg_temp' ELSE n.nspname END, \
       c.relname, c.relkind::text, c.relfilenode::int8, x.indrelid::int8 \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_index x ON x.indexrelid = c.oid \
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
       AND n.nspname NOT LIKE 'pg\\_toast%'";

const RESET_SQL: &str = r#"
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT evtname FROM pg_event_trigger LOOP
    EXECUTE format('DROP EVENT TRIGGER %I', r.evtname);
  END LOOP;
  FOR r IN SELECT pubname FROM pg_publication LOOP
    EXECUTE format('DROP PUBLICATION %I', r.pubname);
  END LOOP;
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION %I CASCADE', r.extname);
  END LOOP;
  FOR r IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema')
             AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT rolname FROM pg_roles
           WHERE rolname <> 'postgres' AND rolname NOT LIKE 'pg\_%' LOOP
    EXECUTE format('DROP OWNED BY %I CASCADE', r.rolname);
    EXECUTE format('DROP ROLE %I', r.rolname);
  END LOOP;
END $$;
CREATE SCHEMA public;
GRANT ALL ON SCHEMA public TO PUBLIC;
"#;

fn relkind_name(k: &str) -> &'static str {
    match k {
        "r" => "table",
        "p" => "partitioned table",
        "i" => "index",
        "I" => "partitioned index",
        "S" => "sequence",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        "c" => "composite type",
        "t" => "toast table",
        _ => "other",
    }
}

fn db_error(e: &postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(db) => (
            format!("{}: {}", db.code().code(), db.message()),
            Some(db.code().code().to_string()),
        ),
        None => (e.to_string(), None),
    }
}

/// Splits a block of SQL into statements (for running them one by one).
pub fn split_statements(sql: &str) -> Vec<String> {
    let parts = pg_query::split_with_parser(sql).or_else(|_| pg_query::split_with_scanner(sql));
    match parts {
        Ok(v) => v
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Err(_) => vec![sql.to_string()],
    }
}

/// A database error: message and SQLSTATE.
type DbError = (String, Option<String>);

enum RunOutcome {
    /// Blocked on a relation lock request: (oid, mode).
    Blocked(i64, String),
    /// Waited on something other than a relation lock.
    OtherWait(String),
    Finished,
}

/// Observes statements on one server (not thread-safe: one per thread).
pub struct Observer<'a> {
    server: &'a PgServer,
    main: Client,
    aux: Client,
}

impl<'a> Observer<'a> {
    pub fn new(server: &'a PgServer) -> Result<Self, String> {
        Ok(Observer {
            server,
            main: server.connect()?,
            aux: server.connect()?,
        })
    }

    /// Drops everything cases may create (schemas, roles, databases, ...).
    pub fn reset(&mut self) -> Result<(), String> {
        let _ = self.main.batch_execute("ROLLBACK");
        let _ = self.aux.batch_execute("ROLLBACK");
        self.main
            .batch_execute("DISCARD ALL")
            .map_err(|e| format!("reset: {}", db_error(&e).0))?;
        self.main
            .batch_execute(RESET_SQL)
            .map_err(|e| format!("reset: {}", db_error(&e).0))?;
        let dbs = self
            .main
            .query(
                "SELECT datname FROM pg_database \
                 WHERE datname NOT IN ('postgres', 'template0', 'template1')",
                &[],
            )
            .map_err(|e| format!("reset: {}", db_error(&e).0))?;
        for row in dbs {
            let name: String = row.get(0);
            self.main
                .batch_execute(&format!("DROP DATABASE \"{}\"", name.replace('"', "\"\"")))
                .map_err(|e| format!("reset: {}", db_error(&e).0))?;
        }
        Ok(())
    }

    fn run_setup(&mut self, setup: &str) -> Result<(), DbError> {
        for stmt in split_statements(setup) {
            self.main.batch_execute(&stmt).map_err(|e| {
                let (msg, code) = db_error(&e);
                (format!("setup failed: {msg} (in: {stmt})"), code)
            })?;
        }
        Ok(())
    }

    fn snapshot(client: &mut Client) -> Result<Snapshot, String> {
        let rows = client
            .query(SNAPSHOT_SQL, &[])
            .map_err(|e| format!("snapshot: {}", db_error(&e).0))?;
        Ok(rows
            .iter()
            .map(|r| {
                let schema: String = r.get(1);
                let name: String = r.get(2);
                (
                    r.get::<_, i64>(0),
                    Rel {
                        name: format!("{schema}.{name}"),
                        relkind: r.get(3),
                        filenode: r.get(4),
                        table: r.get(5),
                    },
                )
            })
            .collect())
    }

    fn rewrites(pre: &Snapshot, post: &Snapshot, obs: &mut Observed) {
        let by_name: HashMap<(&str, &str), i64> = post
            .iter()
            .map(|(oid, r)| ((r.name.as_str(), r.relkind.as_str()), *oid))
            .collect();
        for (oid, rel) in pre {
            let changed = match post.get(oid) {
                Some(after) => after.filenode != rel.filenode,
                // Only an index dropped and re-created under its name
                // (REINDEX CONCURRENTLY, ALTER COLUMN TYPE, DROP + CREATE)
                // counts, and only when the index now under that name did not
                // exist before (not one renamed into place) and has new
                // storage: ALTER COLUMN TYPE re-creates an index it can keep
                // under a new oid with the old relfilenode (TryReuseIndex).
                // A table that another one replaced by renames was not
                // rewritten.
                None => {
                    rel.relkind == "i"
                        && by_name
                            .get(&(rel.name.as_str(), rel.relkind.as_str()))
                            .is_some_and(|new_oid| {
                                !pre.contains_key(new_oid)
                                    && post.get(new_oid).map(|r| r.filenode) != Some(rel.filenode)
                            })
                }
            };
            if !changed {
                continue;
            }
            match rel.relkind.as_str() {
                "r" | "m" | "i" => {
                    obs.rewrites.insert(rel.name.clone());
                }
                "S" => obs
                    .notes
                    .push(format!("sequence {} got a new relfilenode", rel.name)),
                _ => {}
            }
        }
    }

    /// Sequential scan counters not yet flushed to the statistics system
    /// (they include earlier transactions of the session: compare two reads).
    fn scan_counts(client: &mut Client) -> Result<HashMap<i64, i64>, String> {
        let rows = client
            .query(
                "SELECT relid::int8, seq_scan FROM pg_stat_xact_user_tables",
                &[],
            )
            .map_err(|e| format!("scans: {}", db_error(&e).0))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn scans(
        client: &mut Client,
        before: &HashMap<i64, i64>,
        pre: &Snapshot,
        obs: &mut Observed,
    ) -> Result<(), String> {
        for (oid, n) in Self::scan_counts(client)? {
            if n > before.get(&oid).copied().unwrap_or(0) {
                if let Some(rel) = pre.get(&oid) {
                    obs.scans.insert(rel.name.clone());
                }
            }
        }
        Ok(())
    }

    /// Resets the database, runs `setup` (committed) and observes `statement`.
    pub fn observe(&mut self, setup: &str, statement: &str) -> Observed {
        match self.observe_inner(setup, statement) {
            Ok(o) => o,
            Err(e) => Observed {
                method: "transaction".into(),
                error: Some(format!("harness: {e}")),
                ..Default::default()
            },
        }
    }

    fn prepare(&mut self, setup: &str, obs: &mut Observed) -> Result<Option<Snapshot>, String> {
        self.reset()?;
        if let Err((msg, code)) = self.run_setup(setup) {
            obs.error = Some(msg);
            obs.sqlstate = code;
            return Ok(None);
        }
        let pre = Self::snapshot(&mut self.main)?;
        obs.relkinds = pre
            .values()
            .map(|r| (r.name.clone(), relkind_name(&r.relkind).to_string()))
            .collect();
        obs.index_tables = pre
            .values()
            .filter_map(|r| Some((r.name.clone(), pre.get(&r.table?)?.name.clone())))
            .collect();
        Ok(Some(pre))
    }

    fn observe_inner(&mut self, setup: &str, statement: &str) -> Result<Observed, String> {
        let mut obs = Observed {
            method: "transaction".into(),
            ..Default::default()
        };
        let Some(pre) = self.prepare(setup, &mut obs)? else {
            return Ok(obs);
        };
        self.main
            .batch_execute("BEGIN")
            .map_err(|e| db_error(&e).0)?;
        let scans_before = Self::scan_counts(&mut self.main)?;
        if let Err(e) = self.main.batch_execute(statement) {
            let (msg, code) = db_error(&e);
            let _ = self.main.batch_execute("ROLLBACK");
            if code.as_deref() == Some("25001") {
                return self.probe(setup, statement);
            }
            obs.error = Some(msg);
            obs.sqlstate = code;
            return Ok(obs);
        }
        let rows = self
            .main
            .query(
                "SELECT relation::int8, mode FROM pg_locks \
                 WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .map_err(|e| format!("pg_locks: {}", db_error(&e).0))?;
        for r in rows {
            let oid: i64 = r.get(0);
            let mode: String = r.get(1);
            if let Some(rel) = pre.get(&oid) {
                merge_mode(&mut obs.locks, &rel.name, &mode);
            }
        }
        let post = Self::snapshot(&mut self.main)?;
        Self::rewrites(&pre, &post, &mut obs);
        Self::scans(&mut self.main, &scans_before, &pre, &mut obs)?;
        self.main
            .batch_execute("ROLLBACK")
            .map_err(|e| db_error(&e).0)?;
        Ok(obs)
    }

    /// One probe run: the blocker session runs `blocker` in an open
    /// transaction, the runner executes the statements. Returns what the
    /// runner waited on (recording the locks it held granted at that moment)
    /// and the runner's error.
    fn probe_run(
        &mut self,
        stmts: &[String],
        blocker: &[String],
        pre: &Snapshot,
        obs: &mut Observed,
    ) -> Result<(RunOutcome, Option<DbError>), String> {
        self.aux
            .batch_execute("BEGIN")
            .map_err(|e| db_error(&e).0)?;
        for sql in blocker {
            if let Err(e) = self.aux.batch_execute(sql) {
                let _ = self.aux.batch_execute("ROLLBACK");
                return Err(format!("probe blocker: {} ({sql})", db_error(&e).0));
            }
        }
        let mut runner = self.server.connect()?;
        let pid: i32 = runner
            .query_one("SELECT pg_backend_pid()", &[])
            .map_err(|e| db_error(&e).0)?
            .get(0);
        let stmts_owned = stmts.to_vec();
        let handle = std::thread::spawn(move || {
            for s in &stmts_owned {
                if let Err(e) = runner.batch_execute(s) {
                    return Some(db_error(&e));
                }
            }
            None
        });
        let start = Instant::now();
        let outcome = loop {
            let rows = self
                .main
                .query(
                    "SELECT locktype, relation::int8, mode, granted FROM pg_locks WHERE pid = $1",
                    &[&pid],
                )
                .map_err(|e| format!("poll pg_locks: {}", db_error(&e).0))?;
            let waiting = rows.iter().find(|r| !r.get::<_, bool>(3));
            if let Some(w) = waiting {
                for r in rows.iter().filter(|r| r.get::<_, bool>(3)) {
                    let lt: String = r.get(0);
                    let oid: Option<i64> = r.get(1);
                    if let (true, Some(rel)) = (lt == "relation", oid.and_then(|o| pre.get(&o))) {
                        let mode: String = r.get(2);
                        merge_mode(&mut obs.locks, &rel.name, &mode);
                    }
                }
                let lt: String = w.get(0);
                let mode: String = w.get(2);
                match (lt.as_str(), w.get::<_, Option<i64>>(1)) {
                    ("relation", Some(oid)) => break RunOutcome::Blocked(oid, mode),
                    _ => break RunOutcome::OtherWait(format!("{lt} {mode}")),
                }
            }
            if handle.is_finished() {
                break RunOutcome::Finished;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = self.aux.batch_execute("ROLLBACK");
                let _ = handle.join();
                return Err("probe: statement neither blocked nor finished in 30s".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        self.aux
            .batch_execute("ROLLBACK")
            .map_err(|e| db_error(&e).0)?;
        let err = handle
            .join()
            .map_err(|_| "probe runner panicked".to_string())?;
        Ok((outcome, err))
    }

    /// What the blocker runs at `level` to hold locks on the relations not yet
    /// resolved (see the module docs).
    fn blocker_sql(level: usize, pre: &Snapshot, resolved: &BTreeSet<String>) -> Vec<String> {
        let unresolved = |r: &Rel| !resolved.contains(&r.name);
        let mut tables: Vec<(&i64, &Rel)> = pre
            .iter()
            .filter(|(_, r)| LOCKABLE.contains(&r.relkind.as_str()) && unresolved(r))
            .collect();
        tables.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        let mut indexes: Vec<&Rel> = pre
            .values()
            .filter(|r| r.relkind == "i" && unresolved(r))
            .collect();
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut sql = Vec::new();
        if !tables.is_empty() {
            let names: Vec<String> = tables
                .iter()
                .map(|(_, r)| quote_qualified(&r.name))
                .collect();
            sql.push(format!(
                "LOCK TABLE ONLY {} IN {} MODE",
                names.join(", "),
                PROBE_LEVELS[level]
            ));
        }
        // Tables with unresolved indexes; their index locks come with a lock
        // on the table in the level's own mode, so only unresolved tables.
        let has_index = |oid: &i64| indexes.iter().any(|i| i.table == Some(*oid));
        let holders = tables.iter().filter(|(oid, _)| has_index(oid));
        match PROBE_LEVELS[level] {
            "ACCESS SHARE" => sql.extend(
                holders
                    .filter(|(_, r)| matches!(r.relkind.as_str(), "r" | "m"))
                    .map(|(_, r)| {
                        format!("SELECT 1 FROM ONLY {} LIMIT 0", quote_qualified(&r.name))
                    }),
            ),
            "ROW SHARE" => sql.extend(holders.filter(|(_, r)| r.relkind == "r").map(|(_, r)| {
                format!(
                    "SELECT 1 FROM ONLY {} LIMIT 0 FOR UPDATE",
                    quote_qualified(&r.name)
                )
            })),
            "ROW EXCLUSIVE" => {
                sql.extend(holders.filter(|(_, r)| r.relkind == "r").map(|(_, r)| {
                    format!("DELETE FROM ONLY {} WHERE false", quote_qualified(&r.name))
                }))
            }
            "SHARE UPDATE EXCLUSIVE" => sql.extend(
                indexes
                    .iter()
                    .map(|i| format!("COMMENT ON INDEX {} IS NULL", quote_qualified(&i.name))),
            ),
            "ACCESS EXCLUSIVE" => sql.extend(indexes.iter().map(|i| {
                format!(
                    "ALTER INDEX {} SET TABLESPACE pg_default",
                    quote_qualified(&i.name)
                )
            })),
            _ => {}
        }
        sql
    }

    fn probe(&mut self, setup: &str, statement: &str) -> Result<Observed, String> {
        let mut obs = Observed {
            method: "probe".into(),
            ..Default::default()
        };
        let stmts = split_statements(statement);
        let mut resolved: BTreeSet<String> = BTreeSet::new();
        let mut runs = 0;
        for (level, level_name) in PROBE_LEVELS.iter().enumerate() {
            loop {
                runs += 1;
                if runs > 60 {
                    return Err("probe: too many runs".into());
                }
                let Some(pre) = self.prepare(setup, &mut obs)? else {
                    return Ok(obs);
                };
                let blocker = Self::blocker_sql(level, &pre, &resolved);
                if blocker.is_empty() {
                    break;
                }
                let (outcome, err) = self.probe_run(&stmts, &blocker, &pre, &mut obs)?;
                if let Some((msg, code)) = err {
                    if matches!(outcome, RunOutcome::Finished) {
                        obs.error = Some(msg);
                        obs.sqlstate = code;
                        return Ok(obs);
                    }
                }
                match outcome {
                    RunOutcome::Blocked(oid, mode) => {
                        let Some(rel) = pre.get(&oid) else {
                            return Err(format!("probe: blocked on unknown relation {oid}"));
                        };
                        merge_mode(&mut obs.locks, &rel.name, &mode);
                        if !resolved.insert(rel.name.clone()) {
                            // Blocked on a relation held only as a side effect
                            // of holding another: no progress possible here.
                            obs.notes.push(format!(
                                "probe level {level_name}: blocked again on {}; level cut short",
                                rel.name
                            ));
                            break;
                        }
                    }
                    RunOutcome::OtherWait(what) => {
                        obs.notes.push(format!(
                            "probe level {level_name}: waited on {what}; level inconclusive"
                        ));
                        break;
                    }
                    RunOutcome::Finished => break,
                }
            }
        }
        // Final unobstructed run, for rewrites and errors.
        let Some(pre) = self.prepare(setup, &mut obs)? else {
            return Ok(obs);
        };
        let mut runner = self.server.connect()?;
        for s in &stmts {
            if let Err(e) = runner.batch_execute(s) {
                let (msg, code) = db_error(&e);
                obs.error = Some(msg);
                obs.sqlstate = code;
                break;
            }
        }
        drop(runner);
        let post = Self::snapshot(&mut self.main)?;
        Self::rewrites(&pre, &post, &mut obs);
        obs.unobservable = pre
            .values()
            .filter(|r| !LOCKABLE.contains(&r.relkind.as_str()) && r.relkind != "i")
            .map(|r| r.name.clone())
            .collect();
        obs.notes.push(format!("probe runs: {}", runs + 1));
        Ok(obs)
    }
}

/// Relation kinds `LOCK TABLE` accepts.
const LOCKABLE: [&str; 5] = ["r", "p", "v", "m", "f"];

/// Blocker levels, from the one that only AccessExclusiveLock requests
/// conflict with to the one every request conflicts with.
const PROBE_LEVELS: [&str; 6] = [
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
];

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `schema.name` (as reported) to a quoted qualified name.
fn quote_qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, rel)) => format!("{}.{}", quote_ident(schema), quote_ident(rel)),
        None => quote_ident(name),
    }
}
