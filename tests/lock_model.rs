//! Compares ddlint's lock model with real PostgreSQL servers, majors 11..18.
//!
//! For every case of `fixtures/lockmodel/*.sql` and every major the case
//! applies to, the statement is observed on a real server (see
//! `support::observe`) and `ddlint check --format json --pg-version <major>`
//! is run on a directory holding `001_setup.sql` and `002_change.sql`. The
//! strongest predicted mode per relation and the predicted rewrites of
//! `002_change.sql`, restricted to relations that exist after the setup, must
//! equal the observed ones. All mismatches are collected and printed.
//!
//! Environment:
//! * `DDLINT_PG_MAJORS=15,17`: only these majors (default 11..18).
//! * `DDLINT_LOCKMODEL_FILTER=substr`: only cases whose file name or case name
//!   contains `substr`.
//! * `DDLINT_OBSERVE_DUMP=/path/file.json`: write every observation there.
//! * `DDLINT_OBSERVE_ONLY=1`: observe only, do not run ddlint.
//! * `DDLINT_LOCKMODEL_JOBS=n`: servers run at once (default: cores).
//! * `CI` or `DDLINT_REQUIRE_PG=1`: a missing major is a failure (else skipped).
//!
//! Binaries: `scripts/pg-binaries.sh` (see `support::pg`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use support::cases::{load_corpus, Case};
use support::observe::{merge_mode, mode_rank, Observed, Observer};
use support::pg::{PgServer, ALL_MAJORS};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Mismatch {
    file: String,
    line: usize,
    location: String,
    case: String,
    relation: String,
    what: String,
    predicted: String,
    observed: String,
    major: u32,
}

#[derive(Serialize)]
struct DumpEntry<'a> {
    file: String,
    line: usize,
    case: &'a str,
    major: u32,
    #[serde(flatten)]
    observed: &'a Observed,
}

#[derive(Default)]
struct Predicted {
    locks: BTreeMap<String, String>,
    rewrites: BTreeSet<String>,
    /// Indexes a DROP INDEX of the block drops.
    dropped: BTreeSet<String>,
    /// Relations ddlint says the history does not show.
    unknown_relations: BTreeSet<String>,
    scans: BTreeSet<String>,
    unknown: bool,
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn wanted_majors() -> Vec<u32> {
    match std::env::var("DDLINT_PG_MAJORS") {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|m| {
                m.trim()
                    .parse()
                    .expect("DDLINT_PG_MAJORS: comma-separated majors")
            })
            .collect(),
        _ => ALL_MAJORS.to_vec(),
    }
}

/// Collects statement objects (objects with a `locks` array) that belong to
/// the file named `*002_change.sql`: either they, or an enclosing object, have
/// a string field ending in `002_change.sql`.
fn collect_statements<'a>(v: &'a Value, in_change: bool, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            let here = in_change
                || map
                    .values()
                    .any(|x| x.as_str().is_some_and(|s| s.ends_with("002_change.sql")));
            if here && map.get("locks").is_some_and(Value::is_array) {
                out.push(v);
                return;
            }
            for x in map.values() {
                collect_statements(x, here, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                collect_statements(x, in_change, out);
            }
        }
        _ => {}
    }
}

fn run_ddlint(case: &Case, major: u32) -> Result<Predicted, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let history = case.history.as_ref().unwrap_or(&case.setup);
    std::fs::write(dir.path().join("001_setup.sql"), history).map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("002_change.sql"), &case.statement)
        .map_err(|e| e.to_string())?;
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args([
            "check",
            "--format",
            "json",
            "--pg-version",
            &major.to_string(),
        ])
        .arg(dir.path())
        .output()
        .map_err(|e| format!("running ddlint: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "ddlint output is not JSON ({e}; {}): {}{}",
            out.status,
            stdout.chars().take(200).collect::<String>(),
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(200)
                .collect::<String>()
        )
    })?;
    predicted_from_json(&json)
}

/// Strongest predicted mode per relation and union of rewrites over the
/// statements of `002_change.sql` in ddlint's JSON report.
fn predicted_from_json(json: &Value) -> Result<Predicted, String> {
    let mut stmts = Vec::new();
    collect_statements(json, false, &mut stmts);
    if stmts.is_empty() {
        return Err("ddlint JSON has no statements for 002_change.sql".into());
    }
    let mut p = Predicted::default();
    for s in stmts {
        for l in s["locks"].as_array().into_iter().flatten() {
            if let (Some(rel), Some(mode)) = (l["relation"].as_str(), l["mode"].as_str()) {
                merge_mode(&mut p.locks, rel, mode);
            }
        }
        p.unknown |= s.get("unknown").is_some_and(|u| !u.is_null());
        for r in s["scans"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str() {
                p.scans.insert(r.to_string());
            }
        }
        for r in s["unknown_relations"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str() {
                p.unknown_relations.insert(r.to_string());
            }
        }
        if s["kind"].as_str() == Some("DROP INDEX") {
            for l in s["locks"].as_array().into_iter().flatten() {
                if let Some(rel) = l["relation"].as_str() {
                    p.dropped.insert(rel.to_string());
                }
            }
        }
        for key in ["rewrites", "index_rebuilds"] {
            for r in s[key].as_array().into_iter().flatten() {
                if let Some(r) = r.as_str() {
                    p.rewrites.insert(r.to_string());
                }
            }
        }
    }
    Ok(p)
}

fn mismatch(case: &Case, major: u32, relation: &str, what: &str, p: &str, o: &str) -> Mismatch {
    Mismatch {
        file: case.file.display().to_string(),
        line: case.line,
        location: case.location(),
        case: case.name.clone(),
        relation: relation.to_string(),
        what: what.to_string(),
        predicted: p.to_string(),
        observed: o.to_string(),
        major,
    }
}

fn compare(case: &Case, major: u32, obs: &Observed, out: &mut Vec<Mismatch>) {
    if let Some(err) = &obs.error {
        match &case.expect_error {
            Some(code) if obs.sqlstate.as_deref() == Some(code.as_str()) => {}
            Some(code) => out.push(mismatch(
                case,
                major,
                "-",
                "harness",
                &format!("error {code}"),
                err,
            )),
            None => out.push(mismatch(case, major, "-", "harness", "no error", err)),
        }
        return;
    }
    if let Some(code) = &case.expect_error {
        out.push(mismatch(
            case,
            major,
            "-",
            "harness",
            &format!("error {code}"),
            "no error",
        ));
        return;
    }
    if env_flag("DDLINT_OBSERVE_ONLY") {
        return;
    }
    compare_with(case, major, obs, run_ddlint(case, major), out);
}

fn compare_with(
    case: &Case,
    major: u32,
    obs: &Observed,
    predicted: Result<Predicted, String>,
    out: &mut Vec<Mismatch>,
) {
    let mut predicted = match predicted {
        Ok(p) => p,
        Err(e) => {
            out.push(mismatch(case, major, "-", "ddlint", &e, "-"));
            return;
        }
    };
    // An index the history does not show cannot be placed on its table:
    // ddlint locks the index by name and says its table is locked in the
    // same mode. Compare that with the lock seen on the index's table.
    for (rel, mode) in predicted.locks.clone() {
        let is_idx = obs.relkinds.get(&rel).is_some_and(|k| k.contains("index"));
        if predicted.unknown_relations.contains(&rel) && is_idx {
            if let Some(t) = obs.index_tables.get(&rel) {
                if !predicted.locks.contains_key(t) {
                    merge_mode(&mut predicted.locks, t, &mode);
                }
            }
        }
    }
    if case.expect_unknown {
        if !predicted.unknown {
            out.push(mismatch(
                case,
                major,
                "-",
                "unknown",
                "known",
                "expected unknown",
            ));
        }
        return;
    }
    let exists = |r: &String| obs.relkinds.contains_key(r);
    // ddlint reports locks on indexes only where the statement names or
    // drops the index; the locks PostgreSQL takes on a table's indexes as a
    // side effect of locking the table (planning, index maintenance) follow
    // the table's. So indexes are compared only where predicted, and
    // everything else (tables, views, sequences...) always.
    let is_index = |r: &String| {
        obs.relkinds
            .get(r)
            .is_some_and(|k| k == "index" || k == "partitioned index")
    };
    let rels: BTreeSet<&String> = predicted
        .locks
        .keys()
        .filter(|r| exists(r))
        .chain(
            obs.locks
                .keys()
                .filter(|r| !is_index(r) || predicted.locks.contains_key(*r)),
        )
        .collect();
    for rel in rels {
        let p = predicted.locks.get(rel).map_or("-", String::as_str);
        let o = obs.locks.get(rel).map_or("-", String::as_str);
        let bad = if obs.unobservable.contains(rel) {
            // The probe only gives a lower bound for these.
            mode_rank(p) < mode_rank(o)
        } else {
            p != o
        };
        if bad {
            out.push(mismatch(case, major, rel, "lock", p, o));
        }
    }
    // Index rebuilds are compared too (ALTER COLUMN TYPE rebuilds exactly
    // the indexes whose expression or predicate uses the column, or whose
    // operator class changes), except that a rewritten table's indexes
    // need not be listed: they follow the table.
    let table_rewritten = |r: &String| {
        obs.index_tables
            .get(r)
            .is_some_and(|t| predicted.rewrites.contains(t))
    };
    let pr: BTreeSet<&String> = predicted
        .rewrites
        .iter()
        .filter(|r| exists(r) && !(is_index(r) && table_rewritten(r)))
        .collect();
    // An index the block drops and creates again under its name is a new
    // index, though the observer sees it as one re-created in place.
    let or: BTreeSet<&String> = obs
        .rewrites
        .iter()
        .filter(|r| !(is_index(r) && (table_rewritten(r) || predicted.dropped.contains(*r))))
        .collect();
    for rel in pr.symmetric_difference(&or) {
        let (p, o) = if pr.contains(rel) {
            ("rewrite", "-")
        } else {
            ("-", "rewrite")
        };
        out.push(mismatch(case, major, rel, "rewrite", p, o));
    }
    if case.compare_scans {
        let ps: BTreeSet<&String> = predicted.scans.iter().filter(|r| exists(r)).collect();
        let os: BTreeSet<&String> = obs.scans.iter().collect();
        for rel in ps.symmetric_difference(&os) {
            let (p, o) = if ps.contains(rel) {
                ("scan", "-")
            } else {
                ("-", "scan")
            };
            out.push(mismatch(case, major, rel, "scan", p, o));
        }
    }
}

fn majors_label(majors: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < majors.len() {
        let mut j = i;
        while j + 1 < majors.len() && majors[j + 1] == majors[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            majors[i].to_string()
        } else {
            format!("{}-{}", majors[i], majors[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

fn print_table(mismatches: &[Mismatch]) -> String {
    // Group the same mismatch across majors.
    type Key = (
        String,
        usize,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let mut grouped: BTreeMap<Key, Vec<u32>> = BTreeMap::new();
    for m in mismatches {
        grouped
            .entry((
                m.file.clone(),
                m.line,
                m.location.clone(),
                m.case.clone(),
                m.relation.clone(),
                m.what.clone(),
                m.predicted.clone(),
                m.observed.clone(),
            ))
            .or_default()
            .push(m.major);
    }
    let mut rows = vec![[
        "case".to_string(),
        "majors".to_string(),
        "relation".to_string(),
        "what".to_string(),
        "predicted".to_string(),
        "observed".to_string(),
    ]];
    for ((_, _, loc, name, rel, what, p, o), mut majors) in grouped {
        majors.sort_unstable();
        let short = |s: &str, n: usize| -> String {
            if s.chars().count() > n {
                format!("{}…", s.chars().take(n).collect::<String>())
            } else {
                s.to_string()
            }
        };
        rows.push([
            format!("{loc} {}", short(&name, 40)),
            majors_label(&majors),
            rel,
            what,
            short(&p, 90),
            short(&o, 90),
        ]);
    }
    let mut widths = [0usize; 6];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s.push_str(cells.join(" | ").trim_end());
        s.push('\n');
    }
    s
}

struct MajorResult {
    major: u32,
    observations: Vec<(usize, Observed)>,
    mismatches: Vec<Mismatch>,
    failure: Option<String>,
    seconds: f64,
}

fn run_major(major: u32, cases: &[Case]) -> MajorResult {
    let started = Instant::now();
    let mut res = MajorResult {
        major,
        observations: Vec::new(),
        mismatches: Vec::new(),
        failure: None,
        seconds: 0.0,
    };
    let server = match PgServer::start(major) {
        Ok(s) => s,
        Err(e) => {
            res.failure = Some(format!("PostgreSQL {major}: cannot start: {e}"));
            return res;
        }
    };
    let mut observer = match Observer::new(&server) {
        Ok(o) => o,
        Err(e) => {
            res.failure = Some(format!("PostgreSQL {major}: {e}"));
            return res;
        }
    };
    for (idx, case) in cases.iter().enumerate() {
        if !case.applies_to(major) {
            continue;
        }
        let obs = observer.observe(&case.setup, &case.statement);
        compare(case, major, &obs, &mut res.mismatches);
        res.observations.push((idx, obs));
    }
    res.seconds = started.elapsed().as_secs_f64();
    res
}

#[test]
fn lock_model() {
    let started = Instant::now();
    let mut cases = load_corpus().expect("corpus");
    assert!(!cases.is_empty(), "no cases in fixtures/lockmodel");
    if let Ok(f) = std::env::var("DDLINT_LOCKMODEL_FILTER") {
        cases.retain(|c| c.name.contains(&f) || c.file.to_string_lossy().contains(&f));
    }
    let require = env_flag("CI") || env_flag("DDLINT_REQUIRE_PG");
    let mut failures: Vec<String> = Vec::new();
    let mut majors = Vec::new();
    for m in wanted_majors() {
        if support::pg::find_bin_dir(m).is_some() {
            majors.push(m);
        } else if require {
            failures.push(format!(
                "PostgreSQL {m} binaries missing: run scripts/pg-binaries.sh (or set DDLINT_PG_BIN_{m})"
            ));
        } else {
            println!("note: skipping PostgreSQL {m}: no binaries (run scripts/pg-binaries.sh)");
        }
    }
    let jobs: usize = std::env::var("DDLINT_LOCKMODEL_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let queue = Mutex::new(majors.clone());
    let results = Mutex::new(Vec::<MajorResult>::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(majors.len()) {
            s.spawn(|| loop {
                let next = queue.lock().unwrap().pop();
                let Some(major) = next else { break };
                let r = run_major(major, &cases);
                results.lock().unwrap().push(r);
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.major);

    let mut mismatches = Vec::new();
    let mut observed_count = 0;
    for r in &results {
        println!(
            "PostgreSQL {}: {} observations in {:.1}s",
            r.major,
            r.observations.len(),
            r.seconds
        );
        observed_count += r.observations.len();
        failures.extend(r.failure.clone());
        mismatches.extend(r.mismatches.iter().cloned());
    }
    if let Ok(path) = std::env::var("DDLINT_OBSERVE_DUMP") {
        let mut entries: Vec<DumpEntry> = results
            .iter()
            .flat_map(|r| {
                r.observations.iter().map(|(idx, o)| DumpEntry {
                    file: cases[*idx].file.display().to_string(),
                    line: cases[*idx].line,
                    case: &cases[*idx].name,
                    major: r.major,
                    observed: o,
                })
            })
            .collect();
        entries.sort_by(|a, b| (&a.file, a.line, a.major).cmp(&(&b.file, b.line, b.major)));
        let json = serde_json::to_string_pretty(&entries).expect("json");
        std::fs::write(Path::new(&path), json).expect("write DDLINT_OBSERVE_DUMP");
        println!("wrote {} observations to {path}", entries.len());
    }
    println!(
        "{} cases, {} observations on majors {:?} in {:.1}s",
        cases.len(),
        observed_count,
        majors,
        started.elapsed().as_secs_f64()
    );
    // Cases marked `-- known-gap:` document what the model does not do
    // yet: their mismatches are shown, not failed on.
    let gaps: BTreeSet<String> = cases
        .iter()
        .filter(|c| c.known_gap.is_some())
        .map(|c| c.location())
        .collect();
    let (mut known, mut mismatches): (Vec<Mismatch>, Vec<Mismatch>) = mismatches
        .into_iter()
        .partition(|m| gaps.contains(&m.location));
    if !known.is_empty() {
        known.sort();
        println!(
            "{} mismatches in cases marked known-gap (not failing):\n{}",
            known.len(),
            print_table(&known)
        );
    }
    mismatches.sort();
    let mut report = String::new();
    if !mismatches.is_empty() {
        report.push_str(&format!("{} mismatches:\n", mismatches.len()));
        report.push_str(&print_table(&mismatches));
    }
    for f in &failures {
        report.push_str(f);
        report.push('\n');
    }
    if !report.is_empty() {
        panic!("lock model differs from real PostgreSQL:\n{report}");
    }
}

/// The comparison itself, on made-up reports (no server needed).
#[test]
fn comparison_logic() {
    let case = support::cases::parse_cases(
        Path::new("x.sql"),
        "-- case: c\n-- setup:\nCREATE TABLE t (id int);\n-- statement:\nSELECT 1;\n-- versions: 12-13, 15+\n",
    )
    .unwrap()
    .remove(0);
    assert_eq!(case.versions, vec![12, 13, 15, 16, 17, 18]);
    let report = serde_json::json!({
        "files": [
            {"path": "/tmp/x/001_setup.sql", "statements": [
                {"locks": [{"relation": "public.t", "mode": "AccessExclusiveLock"}], "rewrites": []}
            ]},
            {"path": "/tmp/x/002_change.sql", "statements": [
                {"locks": [{"relation": "public.t", "mode": "ShareLock"},
                           {"relation": "public.new", "mode": "AccessExclusiveLock"}],
                 "rewrites": ["public.t"], "scans": []},
                {"locks": [{"relation": "public.t", "mode": "RowExclusiveLock"},
                           {"relation": "public.t_idx", "mode": "AccessShareLock"}],
                 "rewrites": []}
            ]}
        ]
    });
    let p = predicted_from_json(&report).unwrap();
    assert_eq!(p.locks["public.t"], "ShareLock");
    assert_eq!(p.locks.len(), 3);
    let mut obs = Observed {
        method: "transaction".into(),
        ..Default::default()
    };
    for r in ["public.t", "public.t_idx"] {
        obs.relkinds.insert(r.into(), "table".into());
    }
    obs.locks.insert("public.t".into(), "ShareLock".into());
    obs.locks
        .insert("public.t_idx".into(), "AccessShareLock".into());
    obs.rewrites.insert("public.t".into());
    let mut out = Vec::new();
    compare_with(&case, 15, &obs, predicted_from_json(&report), &mut out);
    assert!(out.is_empty(), "{out:?}");

    obs.locks
        .insert("public.t_idx".into(), "RowExclusiveLock".into());
    obs.rewrites.clear();
    compare_with(&case, 15, &obs, predicted_from_json(&report), &mut out);
    let what: Vec<(&str, &str)> = out
        .iter()
        .map(|m| (m.relation.as_str(), m.what.as_str()))
        .collect();
    assert_eq!(
        what,
        vec![("public.t_idx", "lock"), ("public.t", "rewrite")]
    );

    // Probe results are lower bounds for relations the probe cannot hold.
    out.clear();
    obs.rewrites.insert("public.t".into());
    obs.unobservable.insert("public.t_idx".into());
    obs.locks
        .insert("public.t_idx".into(), "AccessShareLock".into());
    compare_with(&case, 15, &obs, predicted_from_json(&report), &mut out);
    assert!(out.is_empty(), "{out:?}");

    let flat = serde_json::json!([{"file": "a/002_change.sql", "locks": [], "rewrites": []}]);
    assert!(predicted_from_json(&flat).unwrap().locks.is_empty());
    assert!(predicted_from_json(&serde_json::json!({"files": []})).is_err());
}

/// The corpus parses, is large, and names its cases uniquely per file.
#[test]
fn corpus_is_well_formed() {
    let cases = load_corpus().expect("corpus");
    assert!(cases.len() > 150, "only {} cases", cases.len());
    let mut seen = BTreeSet::new();
    for c in &cases {
        assert!(
            seen.insert((c.file.clone(), c.name.clone())),
            "{}: duplicate case name {:?}",
            c.location(),
            c.name
        );
        assert!(!c.versions.is_empty(), "{}: no versions", c.location());
        assert!(
            c.versions.iter().all(|v| ALL_MAJORS.contains(v)),
            "{}: versions outside 11..18",
            c.location()
        );
    }
}
