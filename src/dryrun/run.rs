//! The executor: runs the steps on the migration session with the
//! migration tool's transaction semantics, observes each statement, and
//! leaves the database as it found it unless told to commit.
//!
//! Two modes:
//! - commit (`--commit`, and always on a throwaway server): exactly what
//!   the tool does. Each transaction of the model (the tool's wrapping, the
//!   file's BEGIN/COMMIT) is one server transaction; statements outside
//!   any run on their own (those that may run in a transaction block are
//!   wrapped in one so their locks can be read before they are released).
//! - rollback (default with `--db`): one server transaction holds every
//!   transactional statement of the run and is rolled back at the end; the
//!   tool's COMMIT becomes "go on" (a savepoint marks each of the tool's
//!   transactions, so the file's own ROLLBACK still undoes only its part).
//!   Statements that cannot run in a transaction block run outside it, and
//!   what they create is dropped afterwards; `plan::refusals` rejects up
//!   front what could not be undone. Blocking windows still end where the
//!   tool would have committed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use postgres::Client;

use super::monitor::{LockRow, Monitor, Watch};
use super::observe::{self, Snapshot};
use super::plan::{Control, Step, Undo};
use super::probe;
use super::{db_error_text, interrupted};
use crate::model::locks::LockMode;
use crate::model::Analysis;

#[derive(Clone, Debug)]
pub struct Config {
    pub commit: bool,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub deadlock_timeout: Option<Duration>,
    pub log_lock_waits: bool,
    pub probe: bool,
    /// Pre-flight: transactions older than this are reported.
    pub long_transaction: Duration,
    /// TimeZone for the migration session (`--timezone`), as the tool's
    /// connection would set it; None keeps the server's.
    pub timezone: Option<String>,
    /// search_path the runner sets (`session.search_path`), as a list.
    pub search_path: Option<Vec<String>>,
    /// The role the runner switches to (`session.role`): SET ROLE.
    pub role: Option<String>,
    /// `--clients N --rate R`: application-like traffic during the run
    /// (no rate: 20 requests per second per client).
    pub clients: Option<(usize, Option<f64>)>,
    /// The application's client-side timeout for that traffic.
    pub client_timeout: Duration,
    /// psql's ON_ERROR_STOP when a script starts (`--var
    /// ON_ERROR_STOP=...`; psql's default is off).
    pub on_error_stop: bool,
}

/// How to open more sessions to the same database (monitor, probes,
/// cleanup after a lost connection), with the application_name given.
pub type Connect<'a> = &'a (dyn Fn(&str) -> Result<Client, String> + Sync);

pub use super::outcome::{
    Blocked, ErrorInfo, HeldLockInfo, Outcome, Preflight, Run, SettingResult, StatementRun, Status,
    Wait, Window,
};

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn duration_setting(d: Option<Duration>) -> String {
    match d {
        None => "0".into(),
        Some(d) => format!("{}ms", d.as_millis().max(1)),
    }
}

/// Applies the session settings; a setting the role may not change is
/// reported, not fatal.
pub fn apply_settings(client: &mut Client, cfg: &Config) -> Vec<SettingResult> {
    let mut done = Vec::new();
    // The role first: what it may set, and its defaults, follow it.
    if let Some(role) = &cfg.role {
        let quoted = role.replace('"', "\"\"");
        let res = client.batch_execute(&format!("SET ROLE \"{quoted}\""));
        done.push(SettingResult {
            name: "role",
            value: role.clone(),
            applied: res.is_ok(),
            note: res.as_ref().err().map(db_error_text),
        });
    }
    if let Some(path) = &cfg.search_path {
        let value = path
            .iter()
            .map(|s| format!("\"{}\"", s.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", ");
        let res = client.execute("SELECT set_config('search_path', $1, false)", &[&value]);
        done.push(SettingResult {
            name: "search_path",
            value,
            applied: res.is_ok(),
            note: res.as_ref().err().map(db_error_text),
        });
    }
    let mut wanted: Vec<(&'static str, String)> = vec![
        ("lock_timeout", duration_setting(cfg.lock_timeout)),
        ("statement_timeout", duration_setting(cfg.statement_timeout)),
    ];
    if let Some(zone) = &cfg.timezone {
        wanted.push(("TimeZone", zone.clone()));
    }
    if cfg.log_lock_waits {
        wanted.push(("log_lock_waits", "on".into()));
        if let Some(d) = cfg.deadlock_timeout {
            wanted.push(("deadlock_timeout", duration_setting(Some(d))));
        }
    }
    done.extend(wanted.into_iter().map(|(name, value)| {
        let quoted = value.replace('\'', "''");
        let res = client.batch_execute(&format!("SET {name} = '{quoted}'"));
        let note = res.as_ref().err().map(|e| {
            if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                format!(
                    "the role may not set {name} (needs superuser, or GRANT SET ON PARAMETER \
                         {name} on PostgreSQL 15+); the server's value stays"
                )
            } else {
                db_error_text(e)
            }
        });
        SettingResult {
            name,
            value,
            applied: res.is_ok(),
            note,
        }
    }));
    done
}

/// Defaults the target's role or database already set (`ALTER ROLE ...
/// SET`, `ALTER DATABASE ... SET`) for the settings the run cares about:
/// `(setting, value, where)`. Read before the run's own SETs.
pub fn target_defaults(client: &mut Client) -> Vec<(String, String, String)> {
    let rows = client.query(
        "SELECT split_part(c, '=', 1), substr(c, strpos(c, '=') + 1), \
                CASE WHEN s.setrole <> 0 AND s.setdatabase <> 0 THEN 'role ' || current_user || ' in database ' || current_database() \
                     WHEN s.setrole <> 0 THEN 'role ' || current_user \
                     ELSE 'database ' || current_database() END \
         FROM pg_db_role_setting s, unnest(s.setconfig) c \
         WHERE s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user)) \
           AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())) \
           AND NOT (s.setrole = 0 AND s.setdatabase = 0) \
           AND lower(split_part(c, '=', 1)) IN ('lock_timeout', 'statement_timeout', 'search_path', 'timezone') \
         ORDER BY 1",
        &[],
    );
    match rows {
        Ok(rows) => rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Runs the history (files before `--since`, `--schema` files) as the
/// tool would, committed and unobserved: the throwaway server's starting
/// point.
pub fn replay_history(client: &mut Client, steps: &[Step]) -> Result<usize, String> {
    let mut open: Option<Option<u64>> = None;
    let mut n = 0;
    for s in steps.iter().filter(|s| s.history) {
        let fail = |e: postgres::Error| {
            format!(
                "replaying the history: {}: {} failed: {}",
                s.location(),
                s.kind,
                db_error_text(&e)
            )
        };
        match s.control {
            Some(Control::Begin) if open.is_some() => continue,
            Some(Control::Begin) => {
                client.batch_execute(&s.sql).map_err(fail)?;
                open = Some(s.txn);
            }
            Some(Control::Commit) | Some(Control::Rollback) => {
                client.batch_execute(&s.sql).map_err(fail)?;
                open = None;
            }
            _ => {
                if let Some(t) = open {
                    if !s.in_transaction || t != s.txn {
                        client.batch_execute("COMMIT").map_err(fail)?;
                        open = None;
                    }
                }
                if s.in_transaction && open.is_none() && s.control.is_none() {
                    client.batch_execute("BEGIN").map_err(fail)?;
                    open = Some(s.txn);
                }
                client.batch_execute(&s.sql).map_err(fail)?;
            }
        }
        n += 1;
    }
    if open.is_some() {
        client
            .batch_execute("COMMIT")
            .map_err(|e| db_error_text(&e))?;
    }
    // The history's session settings (pg_dump empties search_path) are not
    // the migration's: start it from a clean session, as a deploy would.
    client
        .batch_execute("DISCARD ALL")
        .map_err(|e| db_error_text(&e))?;
    Ok(n)
}

/// Live progress for the terminal: called with the statement, elapsed and
/// waited time.
pub type Progress<'a> = &'a (dyn Fn(&Step, Duration, Duration) + Sync);

struct Exec<'a> {
    cfg: &'a Config,
    client: Client,
    monitor: Monitor,
    pid: i32,
    start: Instant,
    /// A server transaction is open on the migration session.
    open: bool,
    /// The model transaction the open server transaction belongs to
    /// (commit mode), or the last tool transaction given a savepoint
    /// (rollback mode).
    unit: Option<u64>,
    /// Relation locks the open transaction holds.
    held: BTreeSet<(u32, LockMode)>,
    snapshot: Snapshot,
    /// Indexes created outside the transaction, to drop afterwards.
    undo: Vec<(u32, String, String)>,
    /// (statement number, relation oid, mode) of every lock taken on a
    /// relation that existed before the run.
    window_locks: Vec<(usize, u32, LockMode)>,
    /// Transactions rolled back because a statement failed.
    rolled_back: Vec<String>,
    /// Statements run in the open server transaction, and those committed.
    pending: Vec<usize>,
    committed: Vec<usize>,
    progress: Progress<'a>,
}

/// Runs the (non-history) steps. `client` is the migration session with
/// the settings applied.
pub fn execute(
    analysis: &Analysis,
    steps: &[Step],
    cfg: &Config,
    client: Client,
    settings: Vec<SettingResult>,
    connect: Connect,
    progress: Progress,
) -> Result<Run, String> {
    let run_start = Instant::now();
    let started_at_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut client = client;
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .map_err(|e| db_error_text(&e))?
        .get(0);
    let monitor = Monitor::new(connect("ddlint-monitor")?).map_err(|e| db_error_text(&e))?;
    let initial = Snapshot::take(&mut client).map_err(|e| db_error_text(&e))?;
    let fingerprint_before = if cfg.commit {
        None
    } else {
        Some(super::fingerprint(&mut client).map_err(|e| db_error_text(&e))?)
    };
    let steps: Vec<&Step> = steps.iter().filter(|s| !s.history).collect();

    // The existing relations the migration is predicted to lock, with
    // every mode it requests on each.
    let mut requested: BTreeMap<u32, BTreeSet<LockMode>> = BTreeMap::new();
    let mut unknown: Vec<String> = Vec::new();
    for s in &steps {
        let fx = &analysis.files[s.file].statements[s.stmt].effects;
        if fx.unknown.is_some() && s.control.is_none() {
            unknown.push(format!("statement {} ({})", s.number, s.location()));
        }
        for (q, mode) in &fx.locks {
            if let Some(oid) = initial.oid_of(&q.to_string()) {
                requested.entry(oid).or_default().insert(*mode);
            }
        }
    }
    let touched: BTreeSet<u32> = requested.keys().copied().collect();
    let mut exec = Exec {
        cfg,
        client,
        monitor,
        pid,
        start: run_start,
        open: false,
        unit: None,
        held: BTreeSet::new(),
        snapshot: initial.clone(),
        undo: Vec::new(),
        window_locks: Vec::new(),
        rolled_back: Vec::new(),
        pending: Vec::new(),
        committed: Vec::new(),
        progress,
    };
    let mut preflight = exec.preflight(&requested, &initial);
    if !unknown.is_empty() {
        preflight.notes.push(format!(
            "the locks of {} are unknown to ddlint check: sessions that would block them are \
             not listed",
            unknown.join(", ")
        ));
    }
    let probes = if cfg.probe {
        let tables: Vec<u32> = touched
            .iter()
            .copied()
            .filter(|o| {
                initial
                    .rels
                    .get(o)
                    .is_some_and(|r| r.is_table() || r.kind == 'm')
            })
            .collect();
        let names = quoted_names(&mut exec.client, &tables).map_err(|e| db_error_text(&e))?;
        let named: Vec<(String, String)> = tables
            .iter()
            .zip(names)
            .map(|(o, q)| (initial.rels[o].name.clone(), q))
            .collect();
        let rows = row_probes(analysis, &steps, &initial, &mut exec.client);
        Some(probe::start(&named, rows, run_start, &|| {
            connect("ddlint-probe")
        })?)
    } else {
        None
    };
    let clients = match cfg.clients {
        Some((n, rate)) if n > 0 => {
            let tables: Vec<u32> = touched
                .iter()
                .copied()
                .filter(|o| initial.rels.get(o).is_some_and(|r| r.is_table()))
                .collect();
            let names = quoted_names(&mut exec.client, &tables).map_err(|e| db_error_text(&e))?;
            let named: Vec<(String, String)> = tables
                .iter()
                .zip(names)
                .map(|(o, q)| (initial.rels[o].name.clone(), q))
                .collect();
            Some(super::clients::start(
                &named,
                n,
                rate.unwrap_or(20.0 * n as f64),
                cfg.client_timeout,
                &|| connect("ddlint-client"),
            )?)
        }
        _ => None,
    };

    let mut runs: Vec<StatementRun> = Vec::with_capacity(steps.len());
    let mut outcome = Outcome::Completed;
    // psql without ON_ERROR_STOP: the statements that failed and the run
    // went on, and the file's transaction block an error aborted.
    let mut carried_on: Vec<usize> = Vec::new();
    let mut aborted: Option<(u64, usize)> = None;
    for s in &steps {
        if outcome != Outcome::Completed || interrupted() {
            if outcome == Outcome::Completed {
                outcome = Outcome::Interrupted {
                    statement: s.number,
                };
            }
            runs.push(not_run(s));
            continue;
        }
        if let Some((_, at)) = aborted.filter(|(t, _)| s.txn == Some(*t)) {
            let mut r = not_run(s);
            r.notes.push(if s.control == Some(Control::Commit) {
                format!(
                    "psql sends it; statement {at} aborted the transaction, so the server rolls it back"
                )
            } else {
                format!(
                    "psql sends it; statement {at} aborted the transaction, so the server refuses it (25P02: commands ignored until end of transaction block)"
                )
            });
            if matches!(s.control, Some(Control::Commit) | Some(Control::Rollback)) {
                aborted = None;
            }
            runs.push(r);
            continue;
        }
        let r = exec.step(analysis, s, &initial);
        let lost = exec.client.is_closed()
            || r.error
                .as_ref()
                .is_some_and(|e| e.sqlstate.starts_with("08"));
        if r.status == Status::Failed && s.continue_on_error && !lost && !interrupted() {
            carried_on.push(s.number);
            if let Some(t) = s.txn {
                aborted = Some((t, s.number));
            }
            runs.push(r);
            continue;
        }
        if r.status == Status::Failed {
            let lost = exec.client.is_closed()
                || r.error
                    .as_ref()
                    .is_some_and(|e| e.sqlstate.starts_with("08"));
            outcome = if interrupted() {
                Outcome::Interrupted {
                    statement: s.number,
                }
            } else if lost {
                Outcome::ConnectionLost {
                    statement: s.number,
                }
            } else {
                Outcome::Failed {
                    statement: s.number,
                }
            };
        }
        runs.push(r);
    }
    let mut cleanup = std::mem::take(&mut exec.rolled_back);
    let mut left_behind = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    exec.finish(&outcome, &mut cleanup, &mut left_behind, connect);
    if let (Outcome::Completed, Some(first)) = (&outcome, carried_on.first()) {
        outcome = Outcome::Failed { statement: *first };
    }
    if !carried_on.is_empty() {
        notes.push(format!(
            "psql carries on after an error while ON_ERROR_STOP is off (its default): statement{} {} failed and the run went on as psql would; `\\set ON_ERROR_STOP on` at the top of the script (psql -v ON_ERROR_STOP=1; --var ON_ERROR_STOP=1 here) stops at the first error",
            if carried_on.len() == 1 { "" } else { "s" },
            numbers_text(&carried_on)
        ));
    }
    let probe_results = probes.map(|p| p.finish()).unwrap_or_default();
    let clients_result = clients.map(|c| c.finish());

    let schema_unchanged = match fingerprint_before {
        Some(before) => {
            let after = if exec.client.is_closed() {
                connect("ddlint")
                    .and_then(|mut c| super::fingerprint(&mut c).map_err(|e| db_error_text(&e)))
            } else {
                super::fingerprint(&mut exec.client).map_err(|e| db_error_text(&e))
            };
            match after {
                Ok(after) => {
                    if after != before {
                        left_behind.push(
                            "the schema differs from before the run (catalog fingerprint)".into(),
                        );
                    }
                    Some(after == before)
                }
                Err(e) => {
                    notes.push(format!("could not verify the schema after the run: {e}"));
                    None
                }
            }
        }
        None => None,
    };
    if !cfg.commit
        && steps
            .windows(2)
            .any(|w| w[0].txn != w[1].txn && w[0].txn.is_some() && w[1].txn.is_some())
    {
        notes.push(
            "without --commit the tool's transactions run as one (rolled back at the end), so \
             locks stay held past the points the tool would commit; blocking windows end where \
             the tool would commit, probes measure what this run held"
                .into(),
        );
    }
    let blocking_windows = windows(&runs, &exec.window_locks, &initial);
    let mut probe_results = probe_results;
    if !cfg.commit {
        attribute_probes(&mut probe_results, &blocking_windows);
    }
    Ok(Run {
        committed: cfg.commit,
        settings,
        preflight,
        statements: runs,
        blocking_windows,
        probes: probe_results,
        clients: clients_result,
        effective: None,
        outcome,
        cleanup,
        left_behind,
        schema_unchanged,
        duration_ms: ms(run_start.elapsed()),
        started_at_unix,
        notes,
        committed_statements: cfg.commit.then(|| {
            let mut c = std::mem::take(&mut exec.committed);
            c.sort_unstable();
            c
        }),
    })
}

/// "3, 5, 9".
fn numbers_text(v: &[usize]) -> String {
    v.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The savepoint a psql statement outside a transaction block gets in a
/// rollback run when psql carries on after errors.
const PSQL_SAVEPOINT: &str = "ddlint_psql_statement";

/// A statement psql runs on its own (no transaction block of the file)
/// and carries on after if it fails.
fn psql_alone(s: &Step) -> bool {
    s.continue_on_error && s.txn.is_none() && s.control.is_none() && !s.no_transaction_block
}

fn not_run(s: &Step) -> StatementRun {
    StatementRun {
        number: s.number,
        file: s.file,
        stmt: s.stmt,
        path: s.path.clone(),
        line: s.line,
        kind: s.kind.clone(),
        status: Status::NotRun,
        started_ms: 0.0,
        duration_ms: 0.0,
        observed_locks: BTreeMap::new(),
        locks_sampled: false,
        observed_rewrites: BTreeSet::new(),
        predicted_locks: BTreeMap::new(),
        predicted_rewrites: BTreeSet::new(),
        created: Vec::new(),
        dropped: Vec::new(),
        wait: None,
        error: None,
        disagreements: Vec::new(),
        transaction: s.txn,
        notes: Vec::new(),
        estimate: None,
        blocked_sessions: Vec::new(),
        wal_bytes: None,
        temp_bytes: None,
    }
}

/// `format('%I.%I')` names of relations, for SQL text.
/// In a rolled-back run: how much of each read or write probe's blocked
/// time falls inside the blocking windows of its relation (which end where
/// the tool's transactions would commit): what the deploy would see.
fn attribute_probes(probes: &mut [super::outcome::ProbeResult], windows: &[Window]) {
    for p in probes.iter_mut() {
        let kind = match p.operation {
            super::outcome::Op::Read => Blocked::Reads,
            super::outcome::Op::Write => Blocked::Writes,
            super::outcome::Op::RowWrite => continue,
        };
        let spans: Vec<(f64, f64)> = windows
            .iter()
            .filter(|w| w.relation == p.relation && w.blocked == kind)
            .map(|w| (w.start_ms, w.start_ms + w.duration_ms))
            .collect();
        let inside: f64 = p
            .stretches
            .iter()
            .flat_map(|(a, b)| {
                spans
                    .iter()
                    .map(move |(c, d)| (b.min(*d) - a.max(*c)).max(0.0))
            })
            .sum();
        p.in_deploy_ms = Some((inside.min(p.blocked_ms) * 10.0).round() / 10.0);
    }
}

/// At most this many row probes (one per UPDATE/DELETE, the first ones).
const MAX_ROW_PROBES: usize = 8;

/// The row probes of the migration's UPDATEs and DELETEs on tables that
/// exist before it runs.
fn row_probes(
    analysis: &Analysis,
    steps: &[&Step],
    initial: &Snapshot,
    client: &mut Client,
) -> Vec<probe::Rows> {
    let mut out = Vec::new();
    for s in steps.iter().filter(|s| s.control.is_none()) {
        if out.len() == MAX_ROW_PROBES {
            break;
        }
        let Some(rp) = probe::row_probe(&s.sql) else {
            continue;
        };
        let fx = &analysis.files[s.file].statements[s.stmt].effects;
        // The table the model resolved (search_path) for an unqualified
        // name.
        let oid = if rp.schema.is_empty() {
            fx.locks
                .iter()
                .filter(|(q, m)| q.name == rp.table && **m == LockMode::RowExclusive)
                .find_map(|(q, _)| initial.oid_of(&q.to_string()))
        } else {
            initial.oid_of(&format!("{}.{}", rp.schema, rp.table))
        };
        let Some(oid) = oid.filter(|o| initial.rels.get(o).is_some_and(|r| r.is_table())) else {
            continue;
        };
        let Ok(row) = client.query_one(
            "SELECT n.nspname::text, c.relname::text, format('%I.%I', n.nspname, c.relname) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = $1",
            &[&oid],
        ) else {
            continue;
        };
        if let Some(sql) = rp.sql(row.get(0), row.get(1)) {
            out.push(probe::Rows {
                relation: initial.rels[&oid].name.clone(),
                quoted: row.get(2),
                statement: s.number,
                sql,
            });
        }
    }
    out
}

fn quoted_names(client: &mut Client, oids: &[u32]) -> Result<Vec<String>, postgres::Error> {
    let mut out = Vec::with_capacity(oids.len());
    for oid in oids {
        let row = client.query_one(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
            &[oid],
        )?;
        out.push(row.get(0));
    }
    Ok(out)
}

impl<'a> Exec<'a> {
    fn preflight(
        &mut self,
        requested: &BTreeMap<u32, BTreeSet<LockMode>>,
        initial: &Snapshot,
    ) -> Preflight {
        let mut p = Preflight::default();
        match self
            .monitor
            .long_transactions(self.pid, self.cfg.long_transaction)
        {
            Ok(v) => p.long_transactions = v,
            Err(e) => p.error = Some(db_error_text(&e)),
        }
        let oids: Vec<u32> = requested.keys().copied().collect();
        match self.monitor.lock_holders(self.pid, &oids) {
            Ok(rows) => {
                p.lock_holders = queued_ahead(&rows, requested)
                    .into_iter()
                    .filter_map(|(i, conflicts_with, holds_up)| {
                        let r = &rows[i];
                        Some(HeldLockInfo {
                            relation: initial.rels.get(&r.relation)?.name.clone(),
                            mode: r.mode,
                            granted: r.granted,
                            session: r.session.clone(),
                            conflicts_with,
                            holds_up,
                        })
                    })
                    .collect()
            }
            Err(e) => p.error = Some(db_error_text(&e)),
        }
        p
    }

    fn sql(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }

    /// Ends the open server transaction (commit mode: as the tool would).
    fn commit(&mut self) -> Result<(), postgres::Error> {
        if self.open {
            self.open = false;
            self.held.clear();
            self.sql("COMMIT")?;
            self.committed.append(&mut self.pending);
        }
        Ok(())
    }

    /// Makes sure the statement runs in the right server transaction.
    fn enter(&mut self, s: &Step) -> Result<(), postgres::Error> {
        if self.cfg.commit {
            if self.open && (!s.in_transaction || self.unit != s.txn) {
                self.commit()?;
            }
            if s.in_transaction && !self.open {
                self.sql("BEGIN")?;
                self.open = true;
                self.unit = s.txn;
            }
        } else if !s.no_transaction_block {
            if !self.open {
                self.sql("BEGIN")?;
                self.open = true;
                self.unit = None;
            }
            if s.txn.is_some() && self.unit != s.txn {
                self.unit = s.txn;
                let name = savepoint(s.txn);
                self.sql(&format!("SAVEPOINT {name}"))?;
            }
            if psql_alone(s) {
                self.sql(&format!("SAVEPOINT {PSQL_SAVEPOINT}"))?;
            }
        } else if self.open {
            // Only harmless statements (SET, SELECT) ran before: the plan
            // refuses anything else ahead of a non-transactional statement.
            self.commit()?;
        }
        Ok(())
    }

    fn step(&mut self, analysis: &Analysis, s: &Step, initial: &Snapshot) -> StatementRun {
        let mut r = not_run(s);
        r.status = Status::Ok;
        let started = self.start.elapsed();
        r.started_ms = ms(started);
        let t0 = Instant::now();
        let res = match s.control {
            Some(c) => {
                let res = self.control(s, c, &mut r);
                r.duration_ms = ms(t0.elapsed());
                res
            }
            None => self.statement(analysis, s, initial, &mut r),
        };
        if r.duration_ms == 0.0 {
            // Failed before the statement was sent (BEGIN, SAVEPOINT).
            r.duration_ms = ms(t0.elapsed());
        }
        if res.is_ok() && s.control != Some(Control::Commit) {
            if self.open {
                self.pending.push(s.number);
            } else if s.control.is_none() {
                self.committed.push(s.number);
            }
        }
        if res.is_ok() && !self.cfg.commit && self.open && psql_alone(s) {
            let _ = self.sql(&format!("RELEASE SAVEPOINT {PSQL_SAVEPOINT}"));
        }
        if let Err(e) = res {
            r.status = Status::Failed;
            r.error = Some(error_info(&e, r.wait.as_ref()));
            // psql carries on: in rollback mode only what the failed
            // statement (or its transaction block) did is undone.
            if s.continue_on_error && !self.cfg.commit && self.open && !self.client.is_closed() {
                let name = if s.txn.is_some() {
                    savepoint(s.txn)
                } else {
                    PSQL_SAVEPOINT.to_string()
                };
                if self.sql(&format!("ROLLBACK TO SAVEPOINT {name}")).is_ok() {
                    self.rolled_back.push(format!(
                        "rolled back what failed at {} (psql carries on without ON_ERROR_STOP)",
                        s.location()
                    ));
                    if let Ok(h) = observe::locks_of(&mut self.client, self.pid) {
                        self.held = h;
                    }
                    return r;
                }
            }
            self.pending.clear();
            if self.open && !self.client.is_closed() {
                // The tool's transaction is aborted; end it as the tool
                // would (a rollback).
                if self.sql("ROLLBACK").is_ok() {
                    self.rolled_back.push(format!(
                        "rolled back the transaction that failed at {}",
                        s.location()
                    ));
                }
            }
            self.open = false;
            self.held.clear();
        }
        r
    }

    fn control(
        &mut self,
        s: &Step,
        c: Control,
        r: &mut StatementRun,
    ) -> Result<(), postgres::Error> {
        match (c, self.cfg.commit) {
            (Control::Begin, _) if self.open && (self.cfg.commit || self.unit == s.txn) => {
                r.notes
                    .push("BEGIN inside an open transaction: no effect".into());
                Ok(())
            }
            (Control::Begin, true) => {
                self.sql(&s.sql)?;
                self.open = true;
                self.unit = s.txn;
                Ok(())
            }
            (Control::Begin, false) => {
                if !self.open {
                    self.sql("BEGIN")?;
                    self.open = true;
                }
                self.unit = s.txn;
                self.sql(&format!("SAVEPOINT {}", savepoint(s.txn)))
            }
            (Control::Commit, true) => {
                self.open = false;
                self.held.clear();
                self.sql(&s.sql)?;
                self.committed.append(&mut self.pending);
                self.committed.push(s.number);
                Ok(())
            }
            (Control::Commit, false) => {
                r.notes
                    .push("COMMIT not run (rollback mode): the transaction goes on".into());
                Ok(())
            }
            (Control::Rollback, true) => {
                self.open = false;
                self.held.clear();
                self.pending.clear();
                self.sql(&s.sql)
            }
            (Control::Rollback, false) => {
                if self.open && self.unit == s.txn {
                    let name = savepoint(s.txn);
                    self.sql(&format!("ROLLBACK TO SAVEPOINT {name}"))?;
                    self.held = observe::locks_of(&mut self.client, self.pid)?;
                }
                Ok(())
            }
            (Control::Savepoint, _) => self.sql(&s.sql),
            (Control::Prepared, _) => {
                r.notes.push("two-phase commit statement not run".into());
                Ok(())
            }
        }
    }

    fn statement(
        &mut self,
        analysis: &Analysis,
        s: &Step,
        initial: &Snapshot,
        r: &mut StatementRun,
    ) -> Result<(), postgres::Error> {
        self.enter(s)?;
        // Outside any transaction (commit mode), a statement that may run
        // in a block gets its own, so its locks can be read before COMMIT.
        let implicit = !self.open && !s.no_transaction_block;
        if implicit {
            self.sql("BEGIN")?;
            self.open = true;
            self.unit = None;
        }
        let bare = !self.open;
        let before = std::mem::take(&mut self.snapshot);
        let held_before = self.held.clone();
        let pid = self.pid;
        let progress = self.progress;
        let client = &mut self.client;
        let tick = |elapsed: Duration, waited: Duration| progress(s, elapsed, waited);
        // The statement's own time: observation queries are not counted.
        // WAL position before: what the statement writes for replicas to
        // replay (on a quiet target, the statement's own).
        let lsn0: Option<String> = client
            .query_one("SELECT pg_catalog.pg_current_wal_insert_lsn()::text", &[])
            .ok()
            .map(|r| r.get(0));
        let t0 = Instant::now();
        let (res, watch) = self.monitor.watch(pid, bare, &tick, || {
            let res = client.batch_execute(&s.sql);
            (res, t0.elapsed())
        });
        let (res, took) = res;
        r.duration_ms = ms(took);
        r.temp_bytes = watch.temp_peak;
        r.wait = wait_of(&watch, &before);
        r.blocked_sessions = watch
            .victims
            .iter()
            .map(|(pid, v)| super::outcome::BlockedSession {
                pid: *pid,
                kind: match v.wait_event.as_str() {
                    "transactionid" | "tuple" => "row lock".to_string(),
                    "relation" => "relation lock".to_string(),
                    other => format!("{other} lock"),
                },
                relation: v.relation.and_then(|o| before.name_of(o)),
                waited_ms: (v.waited_s * 1000.0).round(),
                query: v.query.clone(),
            })
            .collect();
        if let Err(e) = res {
            // A lock request waiting in the queue already blocks every
            // later request that conflicts with it.
            if let Some((oid, mode)) = watch.waiting_for {
                if initial.rels.get(&oid).is_some_and(|r| !r.is_index()) {
                    self.window_locks.push((s.number, oid, mode));
                }
            }
            // What it had already taken blocked others for the whole wait
            // (a foreign key holds its table while it waits for the other).
            for (oid, mode) in &watch.held_while_waiting {
                if !held_before.contains(&(*oid, *mode))
                    && initial.rels.get(oid).is_some_and(|r| !r.is_index())
                {
                    self.window_locks.push((s.number, *oid, *mode));
                }
            }
            self.snapshot = before;
            if bare && !self.client.is_closed() {
                // A failed CREATE INDEX CONCURRENTLY leaves an INVALID
                // index behind: find it to drop it.
                if let Ok(after) = Snapshot::take(&mut self.client) {
                    let ch = observe::changes(&self.snapshot, &after);
                    self.remember_undo(s, &ch.new_indexes);
                    self.snapshot = after;
                }
            }
            return Err(e);
        }
        let acquired: BTreeSet<(u32, LockMode)> = if bare {
            r.locks_sampled = true;
            watch.sampled.clone()
        } else {
            let now = observe::locks_of(&mut self.client, pid)?;
            let new = now.difference(&held_before).copied().collect();
            self.held = now;
            new
        };
        if let Some(l) = &lsn0 {
            r.wal_bytes = self
                .client
                .query_one(
                    "SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_insert_lsn(), $1::text::pg_lsn)::int8",
                    &[l],
                )
                .ok()
                .and_then(|row| u64::try_from(row.get::<_, i64>(0)).ok());
        }
        let after = Snapshot::take(&mut self.client)?;
        let ch = observe::changes(&before, &after);
        if bare {
            self.remember_undo(s, &ch.new_indexes);
        }
        let acquired_names = observe::strongest(&acquired, &before);
        let fx = &analysis.files[s.file].statements[s.stmt].effects;
        // A lock the statement needs that its transaction already holds
        // (from an earlier statement, or, without --commit, from an earlier
        // transaction of the tool that this run keeps open) leaves no new
        // row in pg_locks: the server holds it, so it counts as taken.
        let mut effective = acquired.clone();
        for (q, m) in &fx.locks {
            if let Some(oid) = before.oid_of(&q.to_string()) {
                if held_before.iter().any(|(o, h)| *o == oid && h >= m)
                    && !acquired.iter().any(|(o, a)| *o == oid && a >= m)
                {
                    effective.insert((oid, *m));
                    r.notes.push(format!(
                        "{} on {q} was already held by this transaction",
                        m.pg_name()
                    ));
                }
            }
        }
        r.observed_rewrites = ch.rewrites.clone();
        r.created = ch.created;
        r.dropped = ch.dropped;
        let held_names = observe::strongest(&held_before, &before);
        let existed = |q: &crate::model::catalog::QName| {
            !fx.new_relations.contains(q) && before.oid_of(&q.to_string()).is_some()
        };
        r.predicted_locks = fx
            .locks
            .iter()
            .filter(|(q, _)| existed(q))
            .map(|(q, m)| (q.to_string(), *m))
            .collect();
        r.predicted_rewrites = fx
            .rewrites
            .iter()
            .filter(|q| existed(q))
            .map(|q| q.to_string())
            .collect();
        if fx.unknown.is_none() {
            r.disagreements = observe::compare(
                fx,
                &acquired_names,
                &held_names,
                &r.observed_rewrites,
                &before,
                !bare,
            );
            // Short locks PostgreSQL takes at the very end of some
            // non-transactional statements, which only a sample can catch
            // and which block nobody: explained, not flagged.
            r.disagreements
                .retain(|d| match observe::transient_lock(s, d, &before) {
                    Some(why) => {
                        r.notes.push(why);
                        false
                    }
                    None => true,
                });
        }
        // Reported as `ddlint check` reports: locks and rewrites of an
        // index that follow its table's are left out unless predicted, and
        // a needed lock already held counts as taken.
        let shown = |name: &String, predicted: bool| {
            predicted
                || !before
                    .rels
                    .values()
                    .any(|rel| rel.name == *name && rel.is_index())
        };
        r.observed_locks = observe::strongest(&effective, &before)
            .into_iter()
            .filter(|(n, _)| shown(n, r.predicted_locks.contains_key(n)))
            .collect();
        r.observed_rewrites = std::mem::take(&mut r.observed_rewrites)
            .into_iter()
            .filter(|n| shown(n, r.predicted_rewrites.contains(n)))
            .collect();
        if fx.unknown.is_some() {
            r.notes.push(
                "ddlint check reports this statement's effects as unknown: not compared".into(),
            );
        }
        // Locks on relations that existed before the run count for the
        // blocking windows.
        for (oid, mode) in &effective {
            if initial.rels.get(oid).is_some_and(|r| !r.is_index()) {
                self.window_locks.push((s.number, *oid, *mode));
            }
        }
        self.snapshot = after;
        if implicit {
            self.commit()?;
        }
        Ok(())
    }

    fn remember_undo(&mut self, s: &Step, new_indexes: &[(u32, String)]) {
        if self.cfg.commit {
            return;
        }
        if super::plan::undo_for(&s.kind, &s.sql) == Ok(Undo::DropNewIndexes) {
            for (oid, name) in new_indexes {
                self.undo.push((*oid, name.clone(), s.location()));
            }
        }
    }

    /// Ends the run: the open transaction committed (commit mode, run
    /// completed) or rolled back, and non-transactional work undone.
    fn finish(
        &mut self,
        outcome: &Outcome,
        cleanup: &mut Vec<String>,
        left_behind: &mut Vec<String>,
        connect: Connect,
    ) {
        if self.client.is_closed() {
            match connect("ddlint") {
                Ok(c) => self.client = c,
                Err(e) => {
                    for (_, name, at) in &self.undo {
                        left_behind.push(format!(
                            "index {name} (created at {at}): could not reconnect to drop it: {e}"
                        ));
                    }
                    return;
                }
            }
            self.open = false;
            if !self.cfg.commit {
                cleanup.push(
                    "the server rolled back the open transaction when the connection was lost"
                        .into(),
                );
            }
        }
        if self.open {
            self.open = false;
            if self.cfg.commit && *outcome == Outcome::Completed {
                match self.sql("COMMIT") {
                    Ok(()) => self.committed.append(&mut self.pending),
                    Err(e) => {
                        left_behind.push(format!("final COMMIT failed: {}", db_error_text(&e)))
                    }
                }
            } else {
                match self.sql("ROLLBACK") {
                    Ok(()) => cleanup.push("rolled back the migration's transaction".into()),
                    Err(e) => left_behind.push(format!("ROLLBACK failed: {}", db_error_text(&e))),
                }
            }
        }
        let undo = std::mem::take(&mut self.undo);
        for (oid, name, at) in undo.into_iter().rev() {
            let quoted = match quoted_names(&mut self.client, &[oid]) {
                Ok(mut v) => v.remove(0),
                Err(_) => continue, // already gone
            };
            match self.sql(&format!("DROP INDEX CONCURRENTLY IF EXISTS {quoted}")) {
                Ok(()) => cleanup.push(format!("dropped index {name} (created at {at})")),
                Err(e) => left_behind.push(format!(
                    "index {name} (created at {at}): DROP INDEX CONCURRENTLY failed: {}",
                    db_error_text(&e)
                )),
            }
        }
    }
}

/// Which of other sessions' relation locks (`rows`) the migration's
/// requests (`requested`: every mode per relation) would wait behind, as
/// (index in `rows`, the requested mode it conflicts with, the queued
/// session it holds up).
///
/// PostgreSQL grants a request when it conflicts neither with a lock
/// granted to another session nor with a request already queued (lock.c,
/// `LockCheckConflicts` and the wait mask): so a held lock matters only if
/// it conflicts with a mode the migration requests, an idle reader's
/// AccessShareLock does not block a foreign key's ShareRowExclusiveLock,
/// and a queued request that conflicts makes the migration wait too, for
/// as long as that request waits. The sessions it waits for are listed
/// with the request they hold up, conflicting with the migration or not.
/// Every requested mode is tried, not only the strongest: ShareLock does
/// not conflict with ShareLock, but ShareUpdateExclusiveLock does.
fn queued_ahead(
    rows: &[LockRow],
    requested: &BTreeMap<u32, BTreeSet<LockMode>>,
) -> Vec<(usize, Option<LockMode>, Option<i32>)> {
    let mut out = Vec::new();
    let mut listed: BTreeSet<usize> = BTreeSet::new();
    let mut queued: Vec<usize> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let conflict = requested
            .get(&r.relation)
            .and_then(|modes| modes.iter().rev().find(|m| m.conflicts_with(r.mode)));
        if let Some(m) = conflict {
            out.push((i, Some(*m), None));
            listed.insert(i);
            if !r.granted {
                queued.push(i);
            }
        }
    }
    // Whoever keeps a queued request waiting keeps the migration waiting.
    while let Some(w) = queued.pop() {
        let waiter = &rows[w];
        for (j, r) in rows.iter().enumerate() {
            if waiter.blocked_by.contains(&r.session.pid)
                && r.relation == waiter.relation
                && r.mode.conflicts_with(waiter.mode)
                && listed.insert(j)
            {
                out.push((j, None, Some(waiter.session.pid)));
                if !r.granted {
                    queued.push(j);
                }
            }
        }
    }
    out
}

fn savepoint(txn: Option<u64>) -> String {
    format!("ddlint_txn_{}", txn.unwrap_or(0))
}

fn wait_of(w: &Watch, names: &Snapshot) -> Option<Wait> {
    if w.waited.is_zero() && w.blockers.is_empty() {
        return None;
    }
    Some(Wait {
        waited_ms: ms(w.waited),
        waiting_for: w.waiting_for.map(|(oid, mode)| {
            let rel = names
                .rels
                .get(&oid)
                .map_or_else(|| format!("relation {oid}"), |r| r.name.clone());
            format!("{} on {rel}", mode.pg_name())
        }),
        blockers: w.blockers.clone(),
    })
}

fn error_info(e: &postgres::Error, wait: Option<&Wait>) -> ErrorInfo {
    let Some(db) = e.as_db_error() else {
        return ErrorInfo {
            sqlstate: if e.is_closed() { "08006" } else { "08000" }.into(),
            message: db_error_text(e),
            detail: None,
            hint: None,
            explanation: Some(
                "the connection to the server was lost (server restart, backend terminated, \
                 network)"
                    .into(),
            ),
        };
    };
    let code = db.code().code().to_string();
    let blockers = wait.map(|w| {
        w.blockers
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    });
    let explanation = match code.as_str() {
        "55P03" => Some(match (wait.and_then(|w| w.waiting_for.clone()), blockers) {
            (Some(what), Some(b)) if !b.is_empty() => {
                // What queues behind a waiting request depends on its mode.
                let behind = match what
                    .split_whitespace()
                    .next()
                    .and_then(LockMode::from_pg_name)
                {
                    Some(m) if m.blocks_reads() => "every query on the table",
                    Some(m) if m.blocks_writes() => {
                        "every write (INSERT, UPDATE, DELETE) on the table (reads go on)"
                    }
                    _ => "every conflicting lock request on the table",
                };
                format!(
                    "lock_timeout: waiting for {what}, it would have queued behind {b}, and \
                     {behind} would have queued behind it"
                )
            }
            (_, Some(b)) if !b.is_empty() => {
                format!("lock_timeout: it would have queued behind {b}")
            }
            _ => "lock_timeout: another session held a conflicting lock".into(),
        }),
        "57014" if db.message().contains("statement timeout") => Some(
            "statement_timeout: the statement ran longer than allowed; on production-sized data \
             it would hold its locks this long"
                .into(),
        ),
        // Building a constraint over existing rows, or a row the
        // migration itself writes (the server's message tells which).
        "23505" if db.message().starts_with("could not create unique index") => {
            Some("the data has duplicates: the unique index or constraint cannot be built".into())
        }
        "23505" => Some("a row this migration writes duplicates an existing key".into()),
        "23502" if db.message().contains("contains null values") => {
            Some("the data has NULLs where NOT NULL is required".into())
        }
        "23502" => Some("a row this migration writes has a NULL where NOT NULL is required".into()),
        "23503" => Some("rows violate the foreign key".into()),
        "23514" if db.message().contains("is violated by some row") => {
            Some("existing rows violate the check constraint".into())
        }
        "23514" => Some("a row this migration writes violates the check constraint".into()),
        "40P01" => Some("deadlock with another session".into()),
        "42501" => Some("the role lacks a privilege this migration needs".into()),
        _ => None,
    };
    ErrorInfo {
        sqlstate: code,
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
        explanation,
    }
}

/// (start ms, end ms, statement number, mode) of one blocking lock.
type Span = (f64, f64, usize, usize, LockMode);

/// Blocking windows: for each relation that existed before the run, from
/// the start of the first statement that took a lock blocking reads
/// (AccessExclusiveLock) or writes (ShareLock and stronger) to the end of
/// the tool's transaction that holds it (the statement's own end outside a
/// transaction), merged per relation. The start includes the time spent
/// waiting for the lock: a queued request already blocks what conflicts
/// with it.
fn windows(
    runs: &[StatementRun],
    locks: &[(usize, u32, LockMode)],
    initial: &Snapshot,
) -> Vec<Window> {
    let by_number: BTreeMap<usize, &StatementRun> = runs.iter().map(|r| (r.number, r)).collect();
    // Each transaction's end, and the last statement that ran in it (the
    // window's label names the statements that really hold the lock).
    let mut unit_end: BTreeMap<u64, f64> = BTreeMap::new();
    let mut unit_last: BTreeMap<u64, usize> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.status != Status::NotRun) {
        if let Some(t) = r.transaction {
            let e = unit_end.entry(t).or_insert(0.0);
            *e = e.max(r.started_ms + r.duration_ms);
            let l = unit_last.entry(t).or_insert(0);
            *l = (*l).max(r.number);
        }
    }
    // (relation oid, blocked) -> intervals (start, end, statement, mode)
    let mut spans: BTreeMap<(u32, Blocked), Vec<Span>> = BTreeMap::new();
    for (number, oid, mode) in locks {
        let Some(r) = by_number.get(number) else {
            continue;
        };
        let start = r.started_ms;
        let end = r
            .transaction
            .and_then(|t| unit_end.get(&t).copied())
            .unwrap_or(r.started_ms + r.duration_ms);
        let last = r
            .transaction
            .and_then(|t| unit_last.get(&t).copied())
            .unwrap_or(*number)
            .max(*number);
        for (blocks, what) in [
            (mode.blocks_reads(), Blocked::Reads),
            (mode.blocks_writes(), Blocked::Writes),
        ] {
            if blocks {
                spans
                    .entry((*oid, what))
                    .or_default()
                    .push((start, end, *number, last, *mode));
            }
        }
    }
    let mut out = Vec::new();
    for ((oid, blocked), mut v) in spans {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let name = initial
            .rels
            .get(&oid)
            .map_or_else(|| format!("relation {oid}"), |r| r.name.clone());
        let mut cur: Option<Window> = None;
        let mut cur_end = 0.0;
        let mut cur_start = 0.0;
        for (start, end, number, last, mode) in v {
            match &mut cur {
                Some(w) if start <= cur_end => {
                    cur_end = f64::max(cur_end, end);
                    w.statements.1 = w.statements.1.max(last);
                    w.mode = w.mode.max(mode);
                }
                _ => {
                    if let Some(mut w) = cur.take() {
                        w.duration_ms = ((cur_end - cur_start) * 1000.0).round() / 1000.0;
                        out.push(w);
                    }
                    cur_start = start;
                    cur_end = end;
                    cur = Some(Window {
                        relation: name.clone(),
                        blocked,
                        start_ms: (start * 1000.0).round() / 1000.0,
                        duration_ms: 0.0,
                        statements: (number, last),
                        mode,
                    });
                }
            }
        }
        if let Some(mut w) = cur {
            w.duration_ms = ((cur_end - cur_start) * 1000.0).round() / 1000.0;
            out.push(w);
        }
    }
    out.sort_by(|a, b| {
        (&a.relation, a.statements, a.blocked).cmp(&(&b.relation, b.statements, b.blocked))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dryrun::outcome::Session;
    use LockMode::*;

    fn row(pid: i32, relation: u32, mode: LockMode, granted: bool, by: &[i32]) -> LockRow {
        LockRow {
            relation,
            mode,
            granted,
            session: Session {
                pid,
                user: String::new(),
                application: String::new(),
                state: "idle in transaction".into(),
                transaction_age_s: 1.0,
                last_query: String::new(),
                lock_may_predate_last_query: true,
            },
            blocked_by: by.to_vec(),
        }
    }

    fn modes(v: &[(u32, &[LockMode])]) -> BTreeMap<u32, BTreeSet<LockMode>> {
        v.iter()
            .map(|(o, m)| (*o, m.iter().copied().collect()))
            .collect()
    }

    #[test]
    fn only_conflicting_locks_and_what_keeps_them_queued() {
        // A foreign key: ShareRowExclusiveLock on both tables (1, 2).
        let fk = modes(&[(1, &[ShareRowExclusive]), (2, &[ShareRowExclusive])]);
        // An idle reader of the referenced table: no conflict.
        let reader = row(10, 2, AccessShare, true, &[]);
        assert!(queued_ahead(std::slice::from_ref(&reader), &fk).is_empty());
        // A writer of the altered table: conflicts.
        let writer = row(11, 1, RowExclusive, true, &[]);
        assert_eq!(
            queued_ahead(&[reader.clone(), writer.clone()], &fk),
            vec![(1, Some(ShareRowExclusive), None)]
        );
        // A DROP queued behind the reader: the migration queues behind
        // the DROP, so behind the reader too.
        let drop = row(12, 2, AccessExclusive, false, &[10]);
        assert_eq!(
            queued_ahead(&[reader, drop], &fk),
            vec![(1, Some(ShareRowExclusive), None), (0, None, Some(12))]
        );
        // A queued request that does not conflict is no concern.
        let queued_reader = row(13, 2, AccessShare, false, &[12]);
        assert!(queued_ahead(&[queued_reader], &fk).is_empty());
    }

    #[test]
    fn every_requested_mode_counts_not_only_the_strongest() {
        // CREATE INDEX (ShareLock) and VALIDATE CONSTRAINT
        // (ShareUpdateExclusiveLock) on one table: another CREATE INDEX
        // does not conflict with the first, but with the second.
        let both = modes(&[(1, &[ShareUpdateExclusive, Share])]);
        let other_index_build = row(20, 1, Share, true, &[]);
        assert_eq!(
            queued_ahead(&[other_index_build], &both),
            vec![(0, Some(ShareUpdateExclusive), None)]
        );
    }
}
