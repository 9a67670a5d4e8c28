//! `--probe`: while the migration runs, one session per relation and
//! operation keeps trying what the application does all the time: a cheap
//! read (`SELECT 1 FROM t LIMIT 1`) and a cheap write that changes nothing
//! (`DELETE FROM t WHERE false` in a transaction that is rolled back), each
//! with a short `lock_timeout` so a probe never joins a long lock queue.
//! A run of attempts that fail on the lock timeout is a stretch during
//! which that operation was blocked; its length is what a query arriving at
//! its start would have waited. Measured, not predicted.
//!
//! Row locks are invisible to both: an UPDATE or DELETE in the migration
//! holds the rows it changed until its transaction ends, and an
//! application writing one of them waits that long. For each such
//! statement a row probe locks one of its rows the way an application's
//! UPDATE does (`SELECT 1 FROM <its target, FROM/USING> WHERE <its
//! condition> LIMIT 1 FOR NO KEY UPDATE OF <target>`, rolled back), after
//! taking the table's ROW SHARE lock on its own: an attempt that times out
//! on the table is not counted, so a row probe reports row blocking only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pg_query::protobuf::{self as pb, Node};
use pg_query::NodeEnum as N;
use postgres::error::SqlState;
use postgres::Client;

/// The lock_timeout of each attempt: the resolution of the measurement.
const ATTEMPT_TIMEOUT_MS: u64 = 50;
/// Pause between successful attempts.
const PAUSE: Duration = Duration::from_millis(20);

pub use super::outcome::{Op, ProbeResult};

pub struct Probes {
    stop: Arc<AtomicBool>,
    running: Vec<JoinHandle<ProbeResult>>,
}

/// A row probe: the rows one UPDATE or DELETE of the migration changes.
#[derive(Clone, Debug)]
pub struct RowProbe {
    /// The statement's target as written (schema may be empty).
    pub schema: String,
    pub table: String,
    select: pb::SelectStmt,
}

impl RowProbe {
    /// The probe's query, the target named `schema.table`.
    pub fn sql(&self, schema: &str, table: &str) -> Option<String> {
        let mut select = self.select.clone();
        if let Some(Node {
            node: Some(N::RangeVar(r)),
        }) = select.from_clause.first_mut()
        {
            r.schemaname = schema.to_string();
            r.relname = table.to_string();
        }
        N::SelectStmt(Box::new(select))
            .deparse(Default::default())
            .ok()
    }
}

/// The row probe of an UPDATE or DELETE; None for other statements, for
/// `WHERE CURRENT OF` (the migration's cursor), and for a WITH clause that
/// changes data (the probe must not do it again).
pub fn row_probe(sql: &str) -> Option<RowProbe> {
    let parsed = crate::parse::parse_statements_only(sql)?;
    let [stmt] = parsed.as_slice() else {
        return None;
    };
    let (rel, from, condition, with) = match stmt {
        N::UpdateStmt(u) => (
            u.relation.clone()?,
            u.from_clause.clone(),
            u.where_clause.clone(),
            u.with_clause.clone(),
        ),
        N::DeleteStmt(d) => (
            d.relation.clone()?,
            d.using_clause.clone(),
            d.where_clause.clone(),
            d.with_clause.clone(),
        ),
        _ => return None,
    };
    if condition
        .as_deref()
        .is_some_and(|w| matches!(w.node, Some(N::CurrentOfExpr(_))))
    {
        return None;
    }
    let reads_only = |c: &Node| match &c.node {
        Some(N::CommonTableExpr(cte)) => matches!(
            cte.ctequery.as_deref().and_then(|q| q.node.as_ref()),
            Some(N::SelectStmt(_))
        ),
        _ => false,
    };
    if with
        .as_ref()
        .is_some_and(|w| !w.ctes.iter().all(reads_only))
    {
        return None;
    }
    let locked = rel
        .alias
        .as_ref()
        .map(|a| a.aliasname.clone())
        .unwrap_or_else(|| rel.relname.clone());
    let int = |i: i32| Node {
        node: Some(N::AConst(pb::AConst {
            val: Some(pb::a_const::Val::Ival(pb::Integer { ival: i })),
            ..Default::default()
        })),
    };
    let (schema, table) = (rel.schemaname.clone(), rel.relname.clone());
    let mut from_clause = vec![Node {
        node: Some(N::RangeVar(rel)),
    }];
    from_clause.extend(from);
    let select = pb::SelectStmt {
        target_list: vec![Node {
            node: Some(N::ResTarget(Box::new(pb::ResTarget {
                val: Some(Box::new(int(1))),
                ..Default::default()
            }))),
        }],
        from_clause,
        where_clause: condition,
        with_clause: with,
        limit_count: Some(Box::new(int(1))),
        limit_option: pb::LimitOption::Count as i32,
        locking_clause: vec![Node {
            node: Some(N::LockingClause(pb::LockingClause {
                locked_rels: vec![Node {
                    node: Some(N::RangeVar(pb::RangeVar {
                        relname: locked,
                        inh: true,
                        relpersistence: "p".into(),
                        ..Default::default()
                    })),
                }],
                strength: pb::LockClauseStrength::LcsFornokeyupdate as i32,
                wait_policy: pb::LockWaitPolicy::LockWaitBlock as i32,
            })),
        }],
        op: pb::SetOperation::SetopNone as i32,
        ..Default::default()
    };
    Some(RowProbe {
        schema,
        table,
        select,
    })
}

/// One row probe to run: the table (name as reported, SQL-quoted), the
/// statement (its number), the probe's query.
pub struct Rows {
    pub relation: String,
    pub quoted: String,
    pub statement: usize,
    pub sql: String,
}

/// `relations`: (name as reported, SQL-quoted name) of existing tables.
/// `origin`: the run's start, which blocked stretches are timed from.
pub fn start(
    relations: &[(String, String)],
    rows: Vec<Rows>,
    origin: Instant,
    connect: &dyn Fn() -> Result<Client, String>,
) -> Result<Probes, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut running = Vec::new();
    let session = |client: &mut Client| {
        client
            .batch_execute(&format!(
                "SET lock_timeout = '{ATTEMPT_TIMEOUT_MS}ms'; SET statement_timeout = '5s'"
            ))
            .map_err(|e| format!("probe session: {e}"))
    };
    for r in rows {
        let mut client = connect()?;
        session(&mut client)?;
        let stop = stop.clone();
        running.push(std::thread::spawn(move || {
            let lock = format!("BEGIN; LOCK TABLE {} IN ROW SHARE MODE", r.quoted);
            let mut res = run(&mut client, &r.relation, Op::RowWrite, origin, &stop, |c| {
                let attempt = match c.batch_execute(&lock) {
                    // Blocked on the table, not the rows: the write probe
                    // measures that.
                    Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Ok(false),
                    Err(e) => Err(e),
                    Ok(()) => match c.batch_execute(&r.sql) {
                        // What the condition names does not exist yet (a
                        // column an earlier statement adds, not committed
                        // or not run yet): try again later.
                        Err(e)
                            if [
                                SqlState::UNDEFINED_COLUMN,
                                SqlState::UNDEFINED_TABLE,
                                SqlState::UNDEFINED_FUNCTION,
                                SqlState::UNDEFINED_OBJECT,
                            ]
                            .iter()
                            .any(|s| e.code() == Some(s)) =>
                        {
                            Ok(false)
                        }
                        res => res.map(|_| true),
                    },
                };
                let _ = c.batch_execute("ROLLBACK");
                attempt
            });
            res.statement = Some(r.statement);
            res
        }));
    }
    for (name, quoted) in relations {
        for op in [Op::Read, Op::Write] {
            let mut client = connect()?;
            session(&mut client)?;
            let stop = stop.clone();
            let name = name.clone();
            let sql = match op {
                Op::Write => format!("BEGIN; DELETE FROM {quoted} WHERE false"),
                _ => format!("SELECT 1 FROM {quoted} LIMIT 1"),
            };
            running.push(std::thread::spawn(move || {
                run(&mut client, &name, op, origin, &stop, |c| {
                    let res = c.batch_execute(&sql).map(|_| true);
                    if op == Op::Write {
                        let _ = c.batch_execute("ROLLBACK");
                    }
                    res
                })
            }));
        }
    }
    Ok(Probes { stop, running })
}

impl Probes {
    pub fn finish(self) -> Vec<ProbeResult> {
        self.stop.store(true, Ordering::SeqCst);
        self.running
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect()
    }
}

/// Attempts `attempt` until `stop`: Ok(true) it went through, Ok(false)
/// it does not count (neither through nor blocked), a lock timeout is a
/// blocked attempt, another error ends the probe.
fn run(
    client: &mut Client,
    name: &str,
    op: Op,
    origin: Instant,
    stop: &AtomicBool,
    mut attempt: impl FnMut(&mut Client) -> Result<bool, postgres::Error>,
) -> ProbeResult {
    let mut r = ProbeResult {
        relation: name.to_string(),
        operation: op,
        statement: None,
        attempts: 0,
        blocked_attempts: 0,
        blocked_ms: 0.0,
        worst_ms: 0.0,
        error: None,
        in_deploy_ms: None,
        stretches: Vec::new(),
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut stretch: Option<Instant> = None;
    let close = |r: &mut ProbeResult, s: Instant| {
        let blocked = s.elapsed();
        r.blocked_ms += ms(blocked);
        r.worst_ms = r.worst_ms.max(ms(blocked));
        let from = ms(s.saturating_duration_since(origin));
        r.stretches.push((from, from + ms(blocked)));
    };
    while !stop.load(Ordering::SeqCst) {
        let t0 = Instant::now();
        let res = attempt(client);
        if let Ok(false) = res {
            std::thread::sleep(PAUSE);
            continue;
        }
        r.attempts += 1;
        match res {
            Ok(_) => {
                let took = t0.elapsed();
                r.worst_ms = r.worst_ms.max(ms(took));
                if let Some(s) = stretch.take() {
                    close(&mut r, s);
                }
                std::thread::sleep(PAUSE);
            }
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                r.blocked_attempts += 1;
                stretch.get_or_insert(t0);
            }
            Err(e) => {
                // Dropped or renamed by the migration, or the server went
                // away: stop probing this relation, keep what was measured.
                r.error = Some(super::db_error_text(&e));
                break;
            }
        }
    }
    if let Some(s) = stretch {
        close(&mut r, s);
    }
    r.blocked_ms = (r.blocked_ms * 10.0).round() / 10.0;
    r.worst_ms = (r.worst_ms * 10.0).round() / 10.0;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(sql: &str) -> Option<String> {
        let p = row_probe(sql)?;
        p.sql("app", &p.table)
    }

    #[test]
    fn row_probes_lock_what_the_statement_changes() {
        assert_eq!(
            probe("UPDATE events SET kind = 'x' WHERE id <= 300000").as_deref(),
            Some("SELECT 1 FROM app.events WHERE id <= 300000 LIMIT 1 FOR NO KEY UPDATE OF events")
        );
        assert_eq!(
            probe("UPDATE public.t AS x SET v = s.v FROM s WHERE x.id = s.id").as_deref(),
            Some("SELECT 1 FROM app.t x, s WHERE x.id = s.id LIMIT 1 FOR NO KEY UPDATE OF x")
        );
        assert_eq!(
            probe("DELETE FROM t USING u WHERE t.u_id = u.id AND u.gone").as_deref(),
            Some("SELECT 1 FROM app.t, u WHERE t.u_id = u.id AND u.gone LIMIT 1 FOR NO KEY UPDATE OF t")
        );
        assert_eq!(
            probe("UPDATE t SET v = 1").as_deref(),
            Some("SELECT 1 FROM app.t LIMIT 1 FOR NO KEY UPDATE OF t")
        );
        assert!(probe("WITH ids AS (SELECT id FROM t LIMIT 10) UPDATE t SET v = 1 WHERE id IN (SELECT id FROM ids)")
            .unwrap()
            .starts_with("WITH ids AS (SELECT id FROM t LIMIT 10) SELECT 1 FROM app.t"));
        // Nothing a probe may repeat, or no rows.
        assert_eq!(probe("WITH d AS (DELETE FROM a RETURNING id) UPDATE t SET v = 1 WHERE id IN (SELECT id FROM d)"), None);
        assert_eq!(probe("UPDATE t SET v = 1 WHERE CURRENT OF c"), None);
        assert_eq!(probe("INSERT INTO t VALUES (1)"), None);
        assert_eq!(probe("ALTER TABLE t ADD COLUMN c int"), None);
        assert_eq!(probe("UPDATE t SET v = 1; UPDATE u SET v = 1"), None);
        assert_eq!(row_probe("UPDATE s.t SET v = 1").unwrap().schema, "s");
    }
}
