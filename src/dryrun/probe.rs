//! `--probe`: while the migration runs, one session per relation and
//! operation keeps trying what the application does all the time: a cheap
//! read (`SELECT 1 FROM t LIMIT 1`) and a cheap write that changes nothing
//! (`DELETE FROM t WHERE false` in a transaction that is rolled back), each
//! with a short `lock_timeout` so a probe never joins a long lock queue.
//! A run of attempts that fail on the lock timeout is a stretch during
//! which that operation was blocked; its length is what a query arriving at
//! its start would have waited. Measured, not predicted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

/// `relations`: (name as reported, SQL-quoted name) of existing tables.
pub fn start(
    relations: &[(String, String)],
    connect: &dyn Fn() -> Result<Client, String>,
) -> Result<Probes, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut running = Vec::new();
    for (name, quoted) in relations {
        for op in [Op::Read, Op::Write] {
            let mut client = connect()?;
            client
                .batch_execute(&format!(
                    "SET lock_timeout = '{ATTEMPT_TIMEOUT_MS}ms'; SET statement_timeout = '5s'"
                ))
                .map_err(|e| format!("probe session: {e}"))?;
            let stop = stop.clone();
            let name = name.clone();
            let sql = match op {
                Op::Read => format!("SELECT 1 FROM {quoted} LIMIT 1"),
                Op::Write => format!("BEGIN; DELETE FROM {quoted} WHERE false"),
            };
            running.push(std::thread::spawn(move || {
                run(&mut client, &name, op, &sql, &stop)
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

fn run(client: &mut Client, name: &str, op: Op, sql: &str, stop: &AtomicBool) -> ProbeResult {
    let mut r = ProbeResult {
        relation: name.to_string(),
        operation: op,
        attempts: 0,
        blocked_attempts: 0,
        blocked_ms: 0.0,
        worst_ms: 0.0,
        error: None,
    };
    let mut stretch: Option<Instant> = None;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    while !stop.load(Ordering::SeqCst) {
        let t0 = Instant::now();
        let res = client.batch_execute(sql);
        if op == Op::Write {
            let _ = client.batch_execute("ROLLBACK");
        }
        r.attempts += 1;
        match res {
            Ok(()) => {
                let took = t0.elapsed();
                r.worst_ms = r.worst_ms.max(ms(took));
                if let Some(s) = stretch.take() {
                    let blocked = s.elapsed();
                    r.blocked_ms += ms(blocked);
                    r.worst_ms = r.worst_ms.max(ms(blocked));
                }
                std::thread::sleep(PAUSE);
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
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
        let blocked = s.elapsed();
        r.blocked_ms += ms(blocked);
        r.worst_ms = r.worst_ms.max(ms(blocked));
    }
    r.blocked_ms = (r.blocked_ms * 10.0).round() / 10.0;
    r.worst_ms = (r.worst_ms * 10.0).round() / 10.0;
    r
}
