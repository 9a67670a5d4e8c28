//! A second session that watches the migration's backend while each
//! statement runs: lock waits (`pg_stat_activity.wait_event_type = 'Lock'`)
//! and who blocks them (`pg_blocking_pids`), and, for statements that run
//! outside a transaction (their locks are gone when they end), the locks
//! they hold, sampled. Also the pre-flight look at the server: long
//! transactions, idle-in-transaction sessions and the locks other sessions
//! hold or wait for on the relations the migration will touch (run.rs
//! keeps those that would make it wait).

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use postgres::Client;

use crate::model::locks::LockMode;

/// How often the migration backend is looked at.
const POLL: Duration = Duration::from_millis(10);

pub use super::outcome::Session;

/// What the monitor saw while one statement ran.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    /// Time spent waiting for locks.
    pub waited: Duration,
    pub blockers: Vec<Session>,
    /// The lock it waited for (relation oid, mode), if any.
    pub waiting_for: Option<(u32, LockMode)>,
    /// Granted relation locks seen while it ran (sampled).
    pub sampled: BTreeSet<(u32, LockMode)>,
    /// Other wait events seen (e.g. "Lock:virtualxid" while CREATE INDEX
    /// CONCURRENTLY waits for older transactions).
    pub wait_events: BTreeSet<String>,
    /// Relation locks the migration's backend held while it waited for
    /// another (what it blocked meanwhile, also when the wait times out).
    pub held_while_waiting: BTreeSet<(u32, LockMode)>,
    /// Other sessions seen waiting on the migration's backend (row locks,
    /// relation locks), by pid.
    pub victims: std::collections::BTreeMap<i32, Victim>,
    /// The most bytes of temporary files seen at once (sampled every
    /// 50 ms; None when not measured).
    pub temp_peak: Option<u64>,
}

/// A session that waited on the migration (`pg_blocking_pids`).
#[derive(Clone, Debug, Default)]
pub struct Victim {
    /// `transactionid` or `tuple` (row locks), `relation`, ...
    pub wait_event: String,
    /// The relation it waited for (relation locks) or touched (row locks,
    /// when the tuple lock names it).
    pub relation: Option<u32>,
    /// The longest wait seen, in seconds (since its query started).
    pub waited_s: f64,
    pub query: String,
}

pub struct Monitor {
    client: Client,
    /// How to read the migration backend's temporary files (superuser
    /// only: `pg_ls_dir` reaches the parallel workers' shared filesets,
    /// which `pg_ls_tmpdir` does not list).
    temp_sql: Option<&'static str>,
}

/// Bytes of the temporary files of backend `$1` in the default
/// tablespace: its own `pgsql_tmp<pid>.<n>` files and the shared filesets
/// (`pgsql_tmp<pid>.<n>.fileset`, `.sharedfileset` before 14) its
/// parallel workers sort into (`storage/file/fd.c`, `fileset.c`).
const TEMP_SQL: &str = "SELECT coalesce(sum(s.size), 0)::int8 FROM ( \
     SELECT (pg_catalog.pg_stat_file('base/pgsql_tmp/' || f, true)).size \
       FROM pg_catalog.pg_ls_dir('base/pgsql_tmp', true, false) f \
      WHERE f LIKE 'pgsql\\_tmp' || $1::int4 || '.%' AND f NOT LIKE '%fileset' \
     UNION ALL \
     SELECT (pg_catalog.pg_stat_file('base/pgsql_tmp/' || d || '/' || f, true)).size \
       FROM pg_catalog.pg_ls_dir('base/pgsql_tmp', true, false) d, \
            LATERAL pg_catalog.pg_ls_dir('base/pgsql_tmp/' || d, true, false) f \
      WHERE d LIKE 'pgsql\\_tmp' || $1::int4 || '.%fileset') s(size)";

/// The columns `session_at` reads, of `pg_stat_activity a`.
const SESSION_COLUMNS: &str = "a.pid, coalesce(a.usename::text, ''), \
     coalesce(a.application_name, ''), coalesce(a.state, ''), \
     coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8, \
     left(coalesce(a.query, ''), 200), \
     coalesce(a.state LIKE 'idle in transaction%' OR a.xact_start < a.query_start, false)";

fn session_sql() -> String {
    format!("SELECT {SESSION_COLUMNS} FROM pg_catalog.pg_stat_activity a")
}

fn session(r: &postgres::Row) -> Session {
    session_at(r, 0)
}

/// A session from the `SESSION_COLUMNS` of `r` starting at `at`.
fn session_at(r: &postgres::Row, at: usize) -> Session {
    Session {
        pid: r.get(at),
        user: r.get(at + 1),
        application: r.get(at + 2),
        state: r.get(at + 3),
        transaction_age_s: (r.get::<_, f64>(at + 4) * 10.0).round() / 10.0,
        last_query: r
            .get::<_, String>(at + 5)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        lock_may_predate_last_query: r.get(at + 6),
    }
}

impl Session {
    /// "pid 4242 (webapp, user app, idle in transaction, transaction open
    /// 35.0 s)".
    pub fn who(&self) -> String {
        format!(
            "pid {} ({}{}, {}, transaction open {:.1} s)",
            self.pid,
            if self.application.is_empty() {
                "no application_name"
            } else {
                &self.application
            },
            if self.user.is_empty() {
                String::new()
            } else {
                format!(", user {}", self.user)
            },
            if self.state.is_empty() {
                "?"
            } else {
                &self.state
            },
            self.transaction_age_s,
        )
    }

    /// "last query: UPDATE ... (its locks may come from an earlier
    /// statement of its transaction)": `pg_stat_activity` shows only the
    /// last query, and calling it "query" would blame it for every lock.
    pub fn last_query_note(&self) -> String {
        format!(
            "last query: {}{}",
            if self.last_query.is_empty() {
                "(none)"
            } else {
                &self.last_query
            },
            if self.lock_may_predate_last_query {
                " (its locks may come from an earlier statement of its transaction)"
            } else {
                ""
            }
        )
    }
}

impl std::fmt::Display for Session {
    /// `who`, then `last_query_note`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}", self.who(), self.last_query_note())
    }
}

/// A relation lock another session holds, or waits for.
#[derive(Clone, Debug)]
pub struct LockRow {
    pub relation: u32,
    pub mode: LockMode,
    pub granted: bool,
    pub session: Session,
    /// While it waits: the sessions it waits for (`pg_blocking_pids`:
    /// holders of conflicting locks and conflicting requests queued
    /// ahead of it).
    pub blocked_by: Vec<i32>,
}

impl Monitor {
    pub fn new(mut client: Client) -> Result<Monitor, postgres::Error> {
        client.batch_execute("SET statement_timeout = '10s'; SET lock_timeout = '5s'")?;
        let superuser = client
            .query_one("SELECT current_setting('is_superuser') = 'on'", &[])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false);
        Ok(Monitor {
            client,
            temp_sql: superuser.then_some(TEMP_SQL),
        })
    }

    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Runs `run` (the statement, on the migration session `pid`) while
    /// watching that backend from this session. `progress` is called about
    /// every 100 ms with the elapsed and waited time.
    pub fn watch<R: Send>(
        &mut self,
        pid: i32,
        sample_locks: bool,
        progress: &(dyn Fn(Duration, Duration) + Sync),
        run: impl FnOnce() -> R + Send,
    ) -> (R, Watch) {
        let (done, finished) = mpsc::channel::<()>();
        let client = &mut self.client;
        let temp_sql = self.temp_sql;
        std::thread::scope(|scope| {
            let watcher =
                scope.spawn(move || poll(client, pid, sample_locks, temp_sql, &finished, progress));
            let result = run();
            let _ = done.send(());
            let watch = watcher.join().unwrap_or_default();
            (result, watch)
        })
    }

    /// Sessions of this database (other than ours and the migration's)
    /// whose transaction is older than `min_age`, or idle in transaction.
    pub fn long_transactions(
        &mut self,
        exclude: i32,
        min_age: Duration,
    ) -> Result<Vec<Session>, postgres::Error> {
        let sql = format!(
            "{} WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() \
             AND a.pid <> $1 AND a.xact_start IS NOT NULL \
             AND (a.state LIKE 'idle in transaction%' \
                  OR now() - a.xact_start > make_interval(secs => $2)) \
             ORDER BY a.xact_start",
            session_sql()
        );
        let rows = self
            .client
            .query(&sql, &[&exclude, &min_age.as_secs_f64()])?;
        Ok(rows.iter().map(session).collect())
    }

    /// Locks other sessions hold (or wait for) on the given relations.
    pub fn lock_holders(
        &mut self,
        exclude: i32,
        oids: &[u32],
    ) -> Result<Vec<LockRow>, postgres::Error> {
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT l.relation, l.mode, l.granted, \
                    CASE WHEN l.granted THEN '{{}}'::int[] \
                         ELSE pg_catalog.pg_blocking_pids(l.pid) END, \
                    {SESSION_COLUMNS} \
             FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'relation' AND l.relation = ANY($1) \
               AND l.pid <> pg_backend_pid() AND l.pid <> $2 \
             ORDER BY a.pid, l.relation, l.granted DESC"
        );
        let rows = self.client.query(&sql, &[&oids, &exclude])?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(LockRow {
                    relation: r.get(0),
                    mode: LockMode::from_pg_name(&r.get::<_, String>(1))?,
                    granted: r.get(2),
                    blocked_by: r.get(3),
                    session: session_at(r, 4),
                })
            })
            .collect())
    }
}

fn poll(
    client: &mut Client,
    pid: i32,
    sample_locks: bool,
    temp_sql: Option<&str>,
    finished: &mpsc::Receiver<()>,
    progress: &(dyn Fn(Duration, Duration) + Sync),
) -> Watch {
    let start = Instant::now();
    let mut w = Watch::default();
    let mut wait_since: Option<Instant> = None;
    let mut last_progress = start;
    let mut seen_blockers: BTreeSet<i32> = BTreeSet::new();
    let mut last_victims = start - Duration::from_secs(1);
    loop {
        let now = Instant::now();
        // Sessions waiting on the migration (not ddlint's probes: they
        // report themselves): pg_blocking_pids costs a look at the lock
        // manager, so every 50 ms.
        if now - last_victims >= Duration::from_millis(50) {
            last_victims = now;
            // The temporary files it holds now: the peak is what the disk
            // must have room for.
            if let Some(sql) = temp_sql {
                if let Ok(r) = client.query_one(sql, &[&pid]) {
                    let bytes = u64::try_from(r.get::<_, i64>(0)).unwrap_or(0);
                    w.temp_peak = Some(w.temp_peak.unwrap_or(0).max(bytes));
                }
            }
            if let Ok(rows) = client.query(
                "SELECT a.pid, coalesce(a.wait_event, ''), \
                        (SELECT l.relation FROM pg_catalog.pg_locks l WHERE l.pid = a.pid \
                          AND l.relation IS NOT NULL AND (NOT l.granted OR l.locktype = 'tuple') LIMIT 1), \
                        coalesce(extract(epoch FROM now() - a.query_start), 0)::float8, \
                        left(coalesce(a.query, ''), 200) \
                 FROM pg_catalog.pg_stat_activity a \
                 WHERE a.wait_event_type = 'Lock' AND a.application_name <> 'ddlint-probe' \
                   AND $1 = ANY(pg_catalog.pg_blocking_pids(a.pid))",
                &[&pid],
            ) {
                for r in rows {
                    let v = w.victims.entry(r.get(0)).or_default();
                    v.wait_event = r.get(1);
                    if let Some(rel) = r.get::<_, Option<u32>>(2) {
                        v.relation = Some(rel);
                    }
                    v.waited_s = v.waited_s.max(r.get(3));
                    v.query = r.get::<_, String>(4).split_whitespace().collect::<Vec<_>>().join(" ");
                }
            }
        }
        let state = client.query_opt(
            "SELECT coalesce(wait_event_type, ''), coalesce(wait_event, '') \
             FROM pg_catalog.pg_stat_activity WHERE pid = $1",
            &[&pid],
        );
        let (wtype, wevent): (String, String) = match state {
            Ok(Some(r)) => (r.get(0), r.get(1)),
            Ok(None) => (String::new(), String::new()),
            // The monitor is an observer: if it fails, the run goes on.
            Err(_) => break,
        };
        if wtype == "Lock" {
            if wait_since.is_none() {
                if let Ok(locks) = super::observe::locks_of(client, pid) {
                    w.held_while_waiting.extend(locks);
                }
            }
            wait_since.get_or_insert(now);
            if wevent != "relation" {
                w.wait_events.insert(format!("Lock:{wevent}"));
            }
            if let Ok(Some(r)) = client.query_opt(
                "SELECT pg_catalog.pg_blocking_pids($1), \
                        (SELECT relation FROM pg_catalog.pg_locks \
                          WHERE pid = $1 AND NOT granted AND locktype = 'relation' LIMIT 1), \
                        (SELECT mode FROM pg_catalog.pg_locks \
                          WHERE pid = $1 AND NOT granted AND locktype = 'relation' LIMIT 1)",
                &[&pid],
            ) {
                let pids: Vec<i32> = r.get(0);
                let rel: Option<u32> = r.get(1);
                let mode: Option<String> = r.get(2);
                if let (Some(rel), Some(mode)) =
                    (rel, mode.and_then(|m| LockMode::from_pg_name(&m)))
                {
                    w.waiting_for = Some((rel, mode));
                }
                let fresh: Vec<i32> = pids
                    .into_iter()
                    .filter(|p| seen_blockers.insert(*p))
                    .collect();
                if !fresh.is_empty() {
                    let sql = format!("{} WHERE a.pid = ANY($1) ORDER BY a.pid", session_sql());
                    if let Ok(rows) = client.query(&sql, &[&fresh]) {
                        w.blockers.extend(rows.iter().map(session));
                    }
                }
            }
        } else if let Some(since) = wait_since.take() {
            w.waited += now - since;
        }
        if sample_locks {
            if let Ok(locks) = super::observe::locks_of(client, pid) {
                w.sampled.extend(locks);
            }
        }
        if last_progress.elapsed() >= Duration::from_millis(100) {
            let waited = w.waited + wait_since.map_or(Duration::ZERO, |s| s.elapsed());
            progress(start.elapsed(), waited);
            last_progress = Instant::now();
        }
        // Densely at first: statements outside a transaction release their
        // locks when they end, and most are short.
        let pause = if start.elapsed() < Duration::from_millis(200) {
            Duration::from_millis(1)
        } else {
            POLL
        };
        match finished.recv_timeout(pause) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => break,
        }
    }
    if let Some(since) = wait_since {
        w.waited += since.elapsed();
    }
    w
}
