//! `ddlint stats`: capture production's shape into a statistics file, or
//! (`--calibrate`) fit the duration model to a dry-run's measurements.

use std::io::Write;

use super::{duration_arg, setup_color, Error, StatsArgs};
use crate::dryrun::connect::Target;
use crate::stats::{self, calibrate};

pub fn stats(args: StatsArgs) -> Result<i32, Error> {
    setup_color(args.common.color);
    if let Some(run) = &args.calibrate {
        return calibrate_from(&args, run);
    }
    let sample = duration_arg("sample", &args.sample)?.unwrap_or_default();
    let target = Target::resolve(args.db.as_deref()).map_err(|e| Error::DryRun(e.to_string()))?;
    for w in target.warnings() {
        eprintln!("ddlint: warning: {w}");
    }
    let mut client = target
        .connect("ddlint stats")
        .map_err(|e| Error::DryRun(e.to_string()))?;
    let quiet = args.quiet;
    let mut tick = |what: &str| {
        if !quiet {
            eprintln!("ddlint stats: {what}");
        }
    };
    tick(&format!("reading {}", target.describe()));
    let snap =
        crate::dryrun::capture::capture(&mut client, sample, &mut tick).map_err(Error::DryRun)?;
    let mut text = serde_json::to_string_pretty(&snap).map_err(|e| Error::Report(e.to_string()))?;
    text.push('\n');
    match &args.output {
        Some(p) => {
            std::fs::write(p, &text).map_err(|e| {
                Error::Report(format!("{}: cannot write the statistics: {e}", p.display()))
            })?;
            if !quiet {
                let rows: u64 = snap
                    .relations
                    .iter()
                    .filter(|r| r.parent.is_none())
                    .filter_map(|r| r.rows)
                    .sum();
                let bytes: u64 = snap
                    .relations
                    .iter()
                    .filter(|r| r.parent.is_none())
                    .map(|r| r.total_bytes())
                    .sum();
                eprintln!(
                    "ddlint stats: wrote {} ({} relations, {} rows, {}; {} not readable)",
                    p.display(),
                    snap.relations.len(),
                    stats::thousands(rows),
                    stats::pretty_bytes(bytes),
                    snap.unreadable.len()
                );
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| Error::Report(e.to_string()))?;
        }
    }
    for u in &snap.unreadable {
        if !quiet {
            eprintln!("ddlint stats: not read: {}: {}", u.what, u.why);
        }
    }
    Ok(0)
}

fn calibrate_from(args: &StatsArgs, run: &std::path::Path) -> Result<i32, Error> {
    let settings = args.common.settings()?;
    let current = settings.stats_config.throughput;
    let text = std::fs::read_to_string(run)
        .map_err(|e| Error::Usage(format!("{}: {e}", run.display())))?;
    let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{}: not a JSON report ({e}); write one with `ddlint dry-run --stats FILE --format json -o RUN.json`",
            run.display()
        ))
    })?;
    let (samples, fits) = calibrate::fit(&report, &current)
        .map_err(|e| Error::Usage(format!("{}: {e}", run.display())))?;
    if samples.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no statement carries an estimate: run the dry-run with --stats FILE",
            run.display()
        )));
    }
    let mut out = std::io::stdout().lock();
    let mut w = |s: String| {
        let _ = writeln!(out, "{s}");
    };
    w(format!(
        "{:<40} {:<22} {:>10} {:>10} {:>10} {:>7}  ",
        "statement", "work", "bytes", "estimated", "measured", "ratio"
    ));
    for s in &samples {
        let at = format!("{}:{}", s.path, s.line);
        w(format!(
            "{:<40} {:<22} {:>10} {:>9.2}s {:>9.2}s {:>7.2}  {}",
            at,
            s.operation.as_str(),
            stats::pretty_bytes(s.bytes),
            s.estimated_seconds,
            s.measured_seconds,
            s.measured_seconds / s.estimated_seconds.max(1e-9),
            s.note.as_deref().unwrap_or("")
        ));
    }
    w(String::new());
    if fits.is_empty() {
        w(format!(
            "no statement long enough (>= {} ms) with one kind of work: nothing to fit",
            calibrate::MIN_MS
        ));
        return Ok(1);
    }
    for f in &fits {
        w(format!(
            "# {}: {} MB/s now, {} MB/s fits {} statement(s)",
            f.operation.as_str(),
            f.current,
            f.fitted,
            f.samples
        ));
    }
    w(calibrate::yaml(&current, &fits));
    Ok(0)
}
