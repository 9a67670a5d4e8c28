//! `--clients N --rate R`: application-like traffic while the migration
//! runs, to see the connection pile-up before a deploy does.
//!
//! A dispatcher issues requests at a total rate of R per second, spread
//! over the tables the migration touches, alternating a read
//! (`SELECT 1 FROM t LIMIT 1`) and a write that changes nothing
//! (`DELETE FROM t WHERE false`, which takes the same ROW EXCLUSIVE lock as
//! every write). Each request needs one of N connections, as in an
//! application's pool: no lock_timeout (applications wait), a client-side
//! `statement_timeout`. When all N are busy, an arriving request finds no
//! connection: the pool is exhausted. Reported: requests, the peak number
//! waiting at once, the longest wait, and when the pool ran out.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;

pub use super::outcome::ClientsResult;

/// A request slower than this counts as waiting.
const WAITING: Duration = Duration::from_millis(50);

struct Shared {
    busy: AtomicUsize,
    stats: Mutex<Tally>,
}

#[derive(Default)]
struct Tally {
    requests: u64,
    failed: u64,
    peak_busy: usize,
    longest: Duration,
    waited: u64,
    first_wait: Option<Instant>,
    exhausted: Option<Instant>,
    without_connection: u64,
    errors: Vec<String>,
}

pub struct Clients {
    stop: Arc<AtomicBool>,
    dispatcher: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
    start: Instant,
    n: usize,
    rate: f64,
    timeout: Duration,
}

/// `relations`: (name as reported, SQL-quoted name) of existing tables.
pub fn start(
    relations: &[(String, String)],
    n: usize,
    rate: f64,
    timeout: Duration,
    connect: &dyn Fn() -> Result<Client, String>,
) -> Result<Clients, String> {
    let shared = Arc::new(Shared {
        busy: AtomicUsize::new(0),
        stats: Mutex::new(Tally::default()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<(Instant, String)>();
    let rx = Arc::new(Mutex::new(rx));
    let mut workers = Vec::new();
    for _ in 0..n {
        let mut client = connect()?;
        client
            .batch_execute(&format!(
                "SET lock_timeout = 0; SET statement_timeout = '{}ms'",
                timeout.as_millis().max(1)
            ))
            .map_err(|e| format!("client session: {e}"))?;
        let rx = rx.clone();
        let shared = shared.clone();
        workers.push(std::thread::spawn(move || loop {
            let job = {
                let Ok(r) = rx.lock() else { return };
                r.recv()
            };
            let Ok((arrived, sql)) = job else { return };
            let res = client.batch_execute(&sql);
            let took = arrived.elapsed();
            let mut t = shared.stats.lock().unwrap_or_else(|e| e.into_inner());
            t.requests += 1;
            t.longest = t.longest.max(took);
            if took >= WAITING {
                t.waited += 1;
                t.first_wait.get_or_insert(arrived);
            }
            if let Err(e) = res {
                t.failed += 1;
                if t.errors.len() < 3 {
                    t.errors.push(super::db_error_text(&e));
                }
            }
            drop(t);
            shared.busy.fetch_sub(1, Ordering::SeqCst);
        }));
    }
    let sqls: Vec<String> = relations
        .iter()
        .flat_map(|(_, q)| {
            [
                format!("SELECT 1 FROM {q} LIMIT 1"),
                format!("DELETE FROM {q} WHERE false"),
            ]
        })
        .collect();
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let dispatcher = {
        let stop = stop.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            let mut next = Instant::now();
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) && !sqls.is_empty() {
                let now = Instant::now();
                if now < next {
                    std::thread::sleep((next - now).min(Duration::from_millis(20)));
                    continue;
                }
                next += interval;
                let busy = shared.busy.load(Ordering::SeqCst);
                if busy >= n {
                    let mut t = shared.stats.lock().unwrap_or_else(|e| e.into_inner());
                    t.without_connection += 1;
                    t.exhausted.get_or_insert(now);
                    continue;
                }
                let b = shared.busy.fetch_add(1, Ordering::SeqCst) + 1;
                {
                    let mut t = shared.stats.lock().unwrap_or_else(|e| e.into_inner());
                    t.peak_busy = t.peak_busy.max(b);
                }
                if tx.send((now, sqls[i % sqls.len()].clone())).is_err() {
                    return;
                }
                i += 1;
            }
        })
    };
    Ok(Clients {
        stop,
        dispatcher,
        workers,
        shared,
        start: Instant::now(),
        n,
        rate,
        timeout,
    })
}

impl Clients {
    /// Stops the traffic (after the migration released its locks, waiting
    /// requests finish) and reports.
    pub fn finish(self) -> ClientsResult {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.dispatcher.join();
        // The dispatcher dropped its sender: workers end when the queue
        // is empty.
        for w in self.workers {
            let _ = w.join();
        }
        let t = self
            .shared
            .stats
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        let ms = |d: Duration| (d.as_secs_f64() * 10_000.0).round() / 10.0;
        ClientsResult {
            clients: self.n,
            rate_per_second: self.rate,
            client_timeout_ms: ms(self.timeout),
            requests: t.requests,
            waited: t.waited,
            failed: t.failed,
            peak_in_use: t.peak_busy,
            longest_wait_ms: ms(t.longest),
            exhausted_after_ms: t.exhausted.map(|e| ms(e - self.start)),
            exhausted_after_first_wait_ms: match (t.exhausted, t.first_wait) {
                (Some(e), Some(w)) if e >= w => Some(ms(e - w)),
                _ => None,
            },
            without_connection: t.without_connection,
            errors: t.errors,
        }
    }
}
