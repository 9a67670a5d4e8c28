//! What a dry-run found: the results the executor produces and the
//! reports render. Plain data, no connection: `report::dryrun` reads these
//! and never the executor (`run`, `monitor`, `probe`, `server`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use super::plan;
use crate::model::locks::LockMode;

/// Told how the run goes (a live progress display on a terminal).
pub trait Progress: Sync {
    /// Connected: where it runs (the report says it too, once).
    fn target(&mut self, target: &str);
    /// The run starts: this many statements will run.
    fn start(&mut self, statements: usize);
    /// A statement is running: for this long, waiting for a lock that long.
    fn tick(&self, step: &plan::Step, elapsed: Duration, waited: Duration);
    fn finish(&self);
}

/// Where the run happened, and what was read.
pub struct Info {
    pub target: String,
    pub server_version: String,
    pub embedded: bool,
    /// The SQL files not read (the contract's `skipped`).
    pub coverage: crate::source::Coverage,
}

#[derive(Clone, Debug, Serialize)]
pub struct SettingResult {
    pub name: &'static str,
    pub value: String,
    pub applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A lock of another session that would make the migration wait.
#[derive(Clone, Debug, Serialize)]
pub struct HeldLockInfo {
    pub relation: String,
    pub mode: LockMode,
    /// Held (true) or waited for (false: queued ahead of the migration).
    pub granted: bool,
    pub session: Session,
    /// The strongest lock the migration will request on the relation that
    /// this one conflicts with. None for a session listed through
    /// `holds_up` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts_with: Option<LockMode>,
    /// The pid of a session queued ahead of the migration that this lock
    /// keeps waiting: it does not conflict with the migration's own
    /// requests, but the migration waits for that session, which waits
    /// for this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds_up: Option<i32>,
}

/// What the server looks like before the run: what would make a real
/// deploy wait, and sessions worth knowing about.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Preflight {
    /// Open for longer than `--long-transaction`, or idle in transaction.
    /// Not lock conflicts by themselves (those are in `lock_holders`), but
    /// they hold back VACUUM and CONCURRENTLY statements may wait for them.
    pub long_transactions: Vec<Session>,
    /// Locks, held or queued, that the migration's lock requests would
    /// wait behind: those that conflict with a mode it requests on the
    /// same relation, and those that keep such a queued request waiting.
    pub lock_holders: Vec<HeldLockInfo>,
    /// What pre-flight could not judge (statements whose locks are
    /// unknown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ErrorInfo {
    pub sqlstate: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// What it means for the deploy ("would have queued behind ...").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Wait {
    pub waited_ms: f64,
    /// "AccessExclusiveLock on public.orders".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<String>,
    pub blockers: Vec<Session>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Failed,
    /// Not run: an earlier statement failed, or the run was interrupted.
    NotRun,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatementRun {
    pub number: usize,
    #[serde(skip)]
    pub file: usize,
    #[serde(skip)]
    pub stmt: usize,
    pub path: String,
    pub line: usize,
    pub kind: String,
    pub status: Status,
    /// Milliseconds from the start of the run.
    pub started_ms: f64,
    pub duration_ms: f64,
    /// Strongest mode per pre-existing relation among the locks the
    /// statement took (for statements in a transaction: read from pg_locks
    /// before release; outside one: sampled while it ran).
    pub observed_locks: BTreeMap<String, LockMode>,
    pub locks_sampled: bool,
    pub observed_rewrites: BTreeSet<String>,
    /// What `ddlint check` predicted for the relations that existed before
    /// the statement (the check JSON carries the full prediction).
    #[serde(skip)]
    pub predicted_locks: BTreeMap<String, LockMode>,
    #[serde(skip)]
    pub predicted_rewrites: BTreeSet<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disagreements: Vec<Disagreement>,
    /// The model's transaction (None: autocommit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What `check --stats` estimated for the statement's blocking work
    /// (with `--stats`): shown next to the measured duration, and what
    /// `ddlint stats --calibrate` fits the throughputs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
    /// Other sessions that waited on the migration while this statement
    /// ran: row locks its transaction holds (UPDATE/DELETE) as well as
    /// relation locks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_sessions: Vec<BlockedSession>,
    /// WAL written on the server while it ran (what replicas replay; on a
    /// busy target other sessions' WAL counts too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wal_bytes: Option<u64>,
    /// The most bytes of temporary files (sorts and hashes that spilled
    /// out of work_mem / maintenance_work_mem) it held at once: what the
    /// disk must have room for. Sampled every 50 ms; measured only as a
    /// superuser (None otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temp_bytes: Option<u64>,
}

/// A session the migration kept waiting (seen through `pg_blocking_pids`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BlockedSession {
    pub pid: i32,
    /// `row lock` (transactionid / tuple waits) or `relation lock`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// The longest wait seen.
    pub waited_ms: f64,
    pub query: String,
}

/// An estimate from production statistics (`crate::stats`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    pub work: Vec<crate::stats::Work>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Blocked {
    Reads,
    Writes,
}

#[derive(Clone, Debug, Serialize)]
pub struct Window {
    pub relation: String,
    pub blocked: Blocked,
    /// When it starts, in ms since the run started (as `started_ms`).
    pub start_ms: f64,
    pub duration_ms: f64,
    /// First and last statement (numbers) whose locks made the window.
    pub statements: (usize, usize),
    pub mode: LockMode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    Completed,
    Failed { statement: usize },
    ConnectionLost { statement: usize },
    Interrupted { statement: usize },
}

#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub committed: bool,
    pub settings: Vec<SettingResult>,
    pub preflight: Preflight,
    pub statements: Vec<StatementRun>,
    pub blocking_windows: Vec<Window>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeResult>,
    /// The role, TimeZone and search_path the migration session ran with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<Effective>,
    /// `--clients`: the application-like traffic and what it felt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<ClientsResult>,
    pub outcome: Outcome,
    /// What was done to leave the database as it was.
    pub cleanup: Vec<String>,
    /// What could not be undone (should be empty).
    pub left_behind: Vec<String>,
    /// Whether the schema after the run equals the schema before
    /// (rollback mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_unchanged: Option<bool>,
    pub duration_ms: f64,
    /// When the run started (Unix time, seconds): `started_ms` and the
    /// windows' `start_ms` count from here, to line them up with other
    /// logs (pgbench's, the server's).
    pub started_at_unix: f64,
    pub notes: Vec<String>,
    /// With --commit (or on a throwaway server): the statements whose work
    /// was committed, as the tool would have committed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_statements: Option<Vec<usize>>,
}

impl Run {
    pub fn disagreements(&self) -> usize {
        self.statements.iter().map(|s| s.disagreements.len()).sum()
    }

    pub fn problems(&self) -> usize {
        self.statements
            .iter()
            .filter(|s| s.status == Status::Failed)
            .count()
            + usize::from(matches!(self.outcome, Outcome::ConnectionLost { .. }))
    }
}

/// Another session: one that held what the migration waited for, or that
/// pre-flight reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub pid: i32,
    pub user: String,
    pub application: String,
    pub state: String,
    /// Seconds since its transaction began (0 when none).
    pub transaction_age_s: f64,
    /// `pg_stat_activity.query`, truncated: the statement it runs when
    /// `active`, otherwise the LAST one it ran, which is not necessarily
    /// the one that took the locks it holds.
    pub last_query: String,
    /// Its transaction ran statements before `last_query` (it is idle in
    /// transaction, or the transaction began before the query did), so a
    /// lock it holds may come from one of those.
    pub lock_may_predate_last_query: bool,
}

impl Serialize for Session {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Session", 8)?;
        st.serialize_field("pid", &self.pid)?;
        st.serialize_field("user", &self.user)?;
        st.serialize_field("application", &self.application)?;
        st.serialize_field("state", &self.state)?;
        st.serialize_field("transaction_age_s", &self.transaction_age_s)?;
        st.serialize_field("last_query", &self.last_query)?;
        st.serialize_field(
            "lock_may_predate_last_query",
            &self.lock_may_predate_last_query,
        )?;
        // The same text under its first name, for readers of JSON version
        // 1 (fields are only added within a version).
        st.serialize_field("query", &self.last_query)?;
        st.end()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Read,
    Write,
    /// Locking a row an UPDATE/DELETE of the migration changed, as an
    /// application's UPDATE of that row would.
    #[serde(rename = "row_write")]
    RowWrite,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProbeResult {
    pub relation: String,
    pub operation: Op,
    /// Row probes: the statement whose rows it locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<usize>,
    pub attempts: u64,
    /// Attempts that hit the lock timeout.
    pub blocked_attempts: u64,
    /// Total time the operation was blocked.
    pub blocked_ms: f64,
    /// The longest a single operation would have waited (the longest
    /// blocked stretch, or the slowest attempt).
    pub worst_ms: f64,
    /// Why the probe could not run (e.g. the relation was dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A rolled-back run holds every lock to its end: of `blocked_ms`, the
    /// part inside the blocking windows, which end where the tool's own
    /// transactions would commit (what the deploy would see). The rest is
    /// an artefact of the rollback run. Reads and writes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_deploy_ms: Option<f64>,
    /// Each blocked stretch: (start, end) in ms since the run started.
    #[serde(skip)]
    pub stretches: Vec<(f64, f64)>,
}

/// A difference between what `ddlint check` predicted and what the server
/// did.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Disagreement {
    pub relation: String,
    pub what: &'static str,
    pub predicted: String,
    pub observed: String,
}

/// What `--clients N --rate R` traffic felt during the run.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ClientsResult {
    pub clients: usize,
    pub rate_per_second: f64,
    pub client_timeout_ms: f64,
    pub requests: u64,
    /// Requests that took 50 ms or more (waited on a lock).
    pub waited: u64,
    /// Requests that failed (the client timeout, or the table went away).
    pub failed: u64,
    /// The most connections in use at once.
    pub peak_in_use: usize,
    pub longest_wait_ms: f64,
    /// When every connection was in use and a request found none (from
    /// the start of the run, and from the first request that waited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhausted_after_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhausted_after_first_wait_ms: Option<f64>,
    /// Requests that arrived when no connection was free.
    pub without_connection: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// What the migration session ran with, after the target's and role's
/// defaults and the run's own settings.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Effective {
    pub user: String,
    pub timezone: String,
    pub search_path: String,
    /// TimeZone behaves as UTC (timestamp <-> timestamptz needs no rewrite).
    pub utc: bool,
}
