//! `ddlint stats --calibrate RUN.json`: fit the throughputs of the model
//! to what a dry-run measured.
//!
//! A dry-run with `--stats` records for each statement its estimate (the
//! work: relation, operation, bytes) next to its measured duration. For a
//! statement whose work is one kind of operation, bytes / measured seconds
//! is that operation's throughput on the machine that ran it; a rewrite's
//! index rebuilds are taken out at the current index_build throughput
//! first. The fitted throughput of an operation is the median over its
//! statements. Statements under `MIN_MS` are too short to say anything.
//!
//! The measurements are only meaningful where the dry-run's tables are as
//! large as the statistics say: a dry-run on a restored snapshot of the
//! database the statistics come from, or one seeded with `--seed-rows
//! auto` without a cap.

use serde_json::Value;

use super::{Operation, Throughput};

/// Shorter statements are not used: fixed costs dominate them.
pub const MIN_MS: f64 = 50.0;

/// One statement's estimate against its measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub path: String,
    pub line: u64,
    pub operation: Operation,
    pub bytes: u64,
    pub estimated_seconds: f64,
    pub measured_seconds: f64,
    /// MB/s the measurement implies for the operation (None: not used).
    pub implied: Option<f64>,
    /// Why a statement was not used.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub operation: Operation,
    pub samples: usize,
    pub current: f64,
    pub fitted: f64,
}

/// The samples of a dry-run's JSON report and the fitted throughputs.
/// Rewrites are fitted last, their index rebuilds priced at the index
/// build throughput fitted first (or the current one).
pub fn fit(report: &Value, current: &Throughput) -> Result<(Vec<Sample>, Vec<Fit>), String> {
    let statements = statements(report)?;
    let mut samples = Vec::new();
    let mut fits = Vec::new();
    let mut t = *current;
    for phase in [false, true] {
        for (path, line, measured, work) in &statements {
            let rewrite = work.iter().any(|w| w.operation == Operation::Rewrite);
            if rewrite != phase {
                continue;
            }
            samples.push(sample(path, *line, *measured, work, &t));
        }
        for op in Operation::ALL {
            if (op == Operation::Rewrite) != phase {
                continue;
            }
            let mut v: Vec<f64> = samples
                .iter()
                .filter(|s| s.operation == op)
                .filter_map(|s| s.implied)
                .collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(f64::total_cmp);
            let median = if v.len() % 2 == 1 {
                v[v.len() / 2]
            } else {
                (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
            };
            let fitted = (median * 10.0).round() / 10.0;
            t.set(op, fitted);
            fits.push(Fit {
                operation: op,
                samples: v.len(),
                current: current.get(op),
                fitted,
            });
        }
    }
    samples.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok((samples, fits))
}

type Measured = (String, u64, f64, Vec<super::Work>);

/// The statements that ran with an estimate: path, line, seconds, work.
fn statements(report: &Value) -> Result<Vec<Measured>, String> {
    let files = report
        .get("files")
        .and_then(Value::as_array)
        .ok_or("not a ddlint JSON report (no `files`)")?;
    let mut out = Vec::new();
    for f in files {
        let path = f.get("path").and_then(Value::as_str).unwrap_or("?");
        for s in f
            .get("statements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(est) = s.get("estimate") else {
                continue;
            };
            if s.get("status").and_then(Value::as_str) != Some("ok") {
                continue;
            }
            let Some(ms) = s.get("duration_ms").and_then(Value::as_f64) else {
                continue;
            };
            let work: Vec<super::Work> = est
                .get("work")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| format!("{path}: an estimate's work: {e}"))?
                .unwrap_or_default();
            if work.is_empty() {
                continue;
            }
            let line = s.get("line").and_then(Value::as_u64).unwrap_or(0);
            out.push((path.to_string(), line, ms / 1000.0, work));
        }
    }
    Ok(out)
}

/// What one statement says about its main operation's throughput, the
/// rest of its work priced with `t`.
fn sample(path: &str, line: u64, measured: f64, work: &[super::Work], t: &Throughput) -> Sample {
    let rewrite = work.iter().any(|w| w.operation == Operation::Rewrite);
    let operation = if rewrite {
        Operation::Rewrite
    } else {
        work[0].operation
    };
    let mut sample = Sample {
        path: path.to_string(),
        line,
        operation,
        bytes: work
            .iter()
            .filter(|w| w.operation == operation)
            .map(|w| w.bytes)
            .sum(),
        estimated_seconds: work.iter().map(|w| w.seconds).sum(),
        measured_seconds: measured,
        implied: None,
        note: None,
    };
    let others: f64 = work
        .iter()
        .filter(|w| w.operation != operation)
        .map(|w| super::seconds(w.bytes, t.get(w.operation)))
        .sum();
    if measured * 1000.0 < MIN_MS {
        sample.note = Some(format!("shorter than {MIN_MS} ms"));
    } else if !rewrite && work.iter().any(|w| w.operation != operation) {
        sample.note = Some("several kinds of work".into());
    } else if measured - others <= measured * 0.2 {
        sample.note = Some("mostly index rebuilds".into());
    } else if sample.bytes == 0 {
        sample.note = Some("no bytes".into());
    } else {
        let mb = sample.bytes as f64 / (1024.0 * 1024.0);
        sample.implied = Some(mb / (measured - others));
    }
    sample
}

/// The `stats.throughput` block of ddlint.yaml with the fitted values
/// (the others as they are).
pub fn yaml(current: &Throughput, fits: &[Fit]) -> String {
    let mut t = *current;
    for f in fits {
        t.set(f.operation, f.fitted);
    }
    let mut s = String::from("stats:\n  throughput:   # MB/s of table bytes\n");
    for op in Operation::ALL {
        let mark = if fits.iter().any(|f| f.operation == op) {
            "   # fitted"
        } else {
            ""
        };
        s.push_str(&format!("    {}: {}{mark}\n", op.as_str(), t.get(op)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fits_the_median_and_takes_index_rebuilds_out_of_rewrites() {
        let mb = 1024 * 1024;
        let t = Throughput {
            scan: 400.0,
            validate_foreign_key: 120.0,
            index_build: 60.0,
            rewrite: 40.0,
        };
        let w = |op: &str, bytes: u64| json!({"relation": "public.t", "operation": op, "bytes": bytes, "seconds": 1.0});
        let report = json!({"files": [{"path": "m.sql", "statements": [
            {"line": 1, "status": "ok", "duration_ms": 1000.0, "estimate": {"seconds": 1.0, "work": [w("index_build", 100 * mb)]}},
            {"line": 2, "status": "ok", "duration_ms": 2000.0, "estimate": {"seconds": 1.0, "work": [w("index_build", 100 * mb)]}},
            {"line": 3, "status": "ok", "duration_ms": 4000.0, "estimate": {"seconds": 1.0, "work": [w("index_build", 100 * mb)]}},
            {"line": 4, "status": "ok", "duration_ms": 10.0, "estimate": {"seconds": 1.0, "work": [w("scan", 100 * mb)]}},
            {"line": 5, "status": "failed", "duration_ms": 900.0, "estimate": {"seconds": 1.0, "work": [w("scan", 100 * mb)]}},
            {"line": 6, "status": "ok", "duration_ms": 3000.0, "estimate": {"seconds": 1.0,
                "work": [w("rewrite", 100 * mb), w("index_build", 60 * mb)]}},
        ]}]});
        let (samples, fits) = fit(&report, &t).unwrap();
        assert_eq!(samples.len(), 5);
        assert_eq!(samples[3].note.as_deref(), Some("shorter than 50 ms"));
        let ib = fits
            .iter()
            .find(|f| f.operation == Operation::IndexBuild)
            .unwrap();
        assert_eq!((ib.samples, ib.fitted), (3, 50.0));
        // 60 MB at the fitted 50 MB/s of index builds is 1.2 s: 100 MB
        // rewritten in 1.8 s.
        let rw = fits
            .iter()
            .find(|f| f.operation == Operation::Rewrite)
            .unwrap();
        assert_eq!(rw.fitted, 55.6);
        assert!(!fits.iter().any(|f| f.operation == Operation::Scan));
        let y = yaml(&t, &fits);
        assert!(y.contains("index_build: 50   # fitted"), "{y}");
        assert!(y.contains("scan: 400\n"), "{y}");
    }
}
