//! The real-world corpus (`../shared/corpus`, or `$DDLINT_CORPUS`): every
//! project directory is linted with its migration tool's layout and the
//! variables its files need, down parts included so that every file is
//! read. At least 99.5% of the files must parse, no run may fail, and
//! every corpus file must be picked up by its layout; the whole corpus in
//! one invocation must give the same bytes on every run; and checking the
//! whole corpus at once (a monorepo of 24 projects) must read each project
//! as checking its directory alone does. Skipped (with a message) when the
//! corpus is absent. `scripts/corpus.sh` runs it with
//! the per-project table printed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// (directory under the corpus, layout, extra arguments). Why each:
/// - crates.io: the 7 `metadata.toml` files (run_in_transaction = false)
///   were not copied, so those 7 migrations are modelled in a transaction.
/// - kratos/hydra/supabase-auth: pop / popx; supabase-auth renders
///   `{{ index .Options "Namespace" }}`, which its deployment sets to `auth`.
/// - graphile-starter: the `.gmrc` placeholders of graphile/starter.
/// - synapse: its runner replaces `$%AUTO_INCREMENT_PRIMARY_KEY%$` on
///   PostgreSQL with an identity column.
/// - synapse, temporal, memos, authelia: custom runners that send plain
///   SQL; linted as psql scripts (their manifests were not copied).
const PROJECTS: &[(&str, &str, &[&str])] = &[
    ("lemmy/migrations", "diesel", &[]),
    ("lemmy/crates/diesel_utils/replaceable_schema", "psql", &[]),
    ("crates.io/migrations", "diesel", &[]),
    // A data script next to the migrations, not run by diesel.
    ("crates.io/migrations/data_oauth_github.sql", "psql", &[]),
    (
        "synapse/synapse/storage/schema",
        "psql",
        &[
            "--var",
            "AUTO_INCREMENT_PRIMARY_KEY=BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY",
        ],
    ),
    ("harbor/make/migrations/postgresql", "golang-migrate", &[]),
    ("ente/server/migrations", "golang-migrate", &[]),
    ("kratos/persistence/sql/migrations/sql", "pop", &[]),
    ("hydra/persistence/sql/migrations", "pop", &[]),
    ("temporal/schema/postgresql/v12", "psql", &[]),
    ("supabase-postgres/migrations/db", "dbmate", &[]),
    (
        "supabase-auth/migrations",
        "pop",
        &["--var", "Namespace=auth"],
    ),
    (
        "hatchet/cmd/hatchet-migrate/migrate/migrations",
        "goose",
        &[],
    ),
    ("openfga/assets/migrations/postgres", "goose", &[]),
    ("ovh-cds/engine/sql/api", "sql-migrate", &[]),
    ("ovh-cds/engine/sql/cdn", "sql-migrate", &[]),
    (
        "marquez/api/src/main/resources/marquez/db/migration",
        "flyway",
        &[],
    ),
    ("authelia/internal/storage/migrations/postgres", "psql", &[]),
    ("memos/store/migration/postgres", "psql", &[]),
    ("musicbrainz-server/admin/sql/updates", "psql", &[]),
    ("tamarou-registry/sql", "sqitch", &[]),
    (
        "graphile-starter/@app/db/migrations",
        "graphile-migrate",
        &[
            "--var",
            "DATABASE_OWNER=app_owner",
            "--var",
            "DATABASE_VISITOR=app_visitor",
            "--var",
            "DATABASE_AUTHENTICATOR=app_authenticator",
            "--var",
            "DATABASE_NAME=app",
        ],
    ),
    ("documenso/packages/prisma/migrations", "prisma", &[]),
    ("umami/prisma/migrations", "prisma", &[]),
    ("atuin/crates/atuin-server-postgres/migrations", "sqlx", &[]),
    ("svix-webhooks/server/svix-server/migrations", "sqlx", &[]),
    ("lago-api/db", "psql", &[]),
];

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("DDLINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    p.join("SOURCES.md").exists().then_some(p)
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sql_files(&p, out);
        } else {
            let n = p.file_name().unwrap().to_string_lossy();
            if n.ends_with(".sql") || n.ends_with(".sql.postgres") {
                out.push(p);
            }
        }
    }
}

#[test]
fn corpus_parses() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found (../shared/corpus or $DDLINT_CORPUS): skipped");
        return;
    };
    let mut all = Vec::new();
    sql_files(&root, &mut all);
    let all: BTreeSet<PathBuf> = all.into_iter().collect();
    let mut linted: BTreeSet<PathBuf> = BTreeSet::new();
    let mut failed: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut run_errors = Vec::new();
    println!(
        "{:<52} {:>15} {:>6} {:>6} {:>8}",
        "project", "layout", "files", "parsed", "ms"
    );
    for (dir, layout, extra) in PROJECTS {
        let path = root.join(dir);
        let t = std::time::Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
            .args([
                "check",
                "--format",
                "json",
                "--include-down",
                "--layout",
                layout,
            ])
            .args(*extra)
            .arg(&path)
            .output()
            .unwrap();
        let ms = t.elapsed().as_millis();
        let code = out.status.code();
        if !matches!(code, Some(0) | Some(1)) {
            run_errors.push(format!(
                "{dir}: exit {code:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut files = BTreeSet::new();
        for f in v["files"].as_array().unwrap() {
            files.insert(PathBuf::from(f["path"].as_str().unwrap()));
        }
        let mut bad = 0;
        for f in v["findings"].as_array().unwrap() {
            if f["rule"] == "syntax-error" {
                let p = PathBuf::from(f["path"].as_str().unwrap());
                if !failed.contains_key(&p) {
                    bad += 1;
                }
                failed.entry(p).or_insert_with(|| {
                    format!(
                        "line {}: {}",
                        f["line"],
                        f["message"].as_str().unwrap_or("")
                    )
                });
            }
        }
        println!(
            "{:<52} {:>15} {:>6} {:>6} {:>8}",
            dir,
            layout,
            files.len(),
            files.len() - bad,
            ms
        );
        linted.extend(files);
    }
    let missing: Vec<&PathBuf> = all.iter().filter(|p| !linted.contains(*p)).collect();
    let total = all.len();
    let parsed = all
        .iter()
        .filter(|p| linted.contains(*p) && !failed.contains_key(*p))
        .count();
    let pct = 100.0 * parsed as f64 / total.max(1) as f64;
    println!("\n{parsed} of {total} corpus files parse ({pct:.2}%)");
    for (p, why) in &failed {
        println!(
            "  does not parse: {}: {why}",
            p.strip_prefix(&root).unwrap_or(p).display()
        );
    }
    for p in &missing {
        println!(
            "  not linted: {}",
            p.strip_prefix(&root).unwrap_or(p).display()
        );
    }
    assert!(
        run_errors.is_empty(),
        "runs failed:\n{}",
        run_errors.join("\n")
    );
    assert!(
        missing.is_empty(),
        "{} corpus files not picked up",
        missing.len()
    );
    assert!(pct >= 99.5, "only {pct:.2}% of the corpus parses");
}

/// The same input gives the same bytes on every run, whatever the thread
/// scheduling (files are parsed in parallel) and the hash tables' random
/// order: the whole corpus in one invocation, JSON and the terminal
/// report, each with one parser thread and with four, in four processes.
#[test]
fn corpus_output_is_deterministic() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found (../shared/corpus or $DDLINT_CORPUS): skipped");
        return;
    };
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    let run = |format: &str, threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_ddlint"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", "--format", format])
            // The placeholders the corpus projects use (as scripts/bench.sh).
            .args(["--var", "Namespace=auth", "--var", "DATABASE_NAME=app"])
            .args(["--var", "DATABASE_OWNER=app_owner"])
            .args(["--var", "DATABASE_VISITOR=app_visitor"])
            .args(["--var", "DATABASE_AUTHENTICATOR=app_authenticator"])
            .args([
                "--var",
                "AUTO_INCREMENT_PRIMARY_KEY=BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY",
            ])
            .args(&projects)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let runs: Vec<_> = [("json", "1"), ("json", "4"), ("text", "1"), ("text", "4")]
        .into_iter()
        .map(|(f, t)| (f, t, run(f, t)))
        .collect();
    let outs: Vec<_> = runs
        .into_iter()
        .map(|(f, t, child)| (f, t, child.wait_with_output().unwrap()))
        .collect();
    for (f, t, o) in &outs {
        assert!(
            matches!(o.status.code(), Some(0) | Some(1)),
            "{f} with {t} threads: {:?}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    for pair in outs.chunks(2) {
        let (f, _, a) = &pair[0];
        let (_, _, b) = &pair[1];
        assert!(a.stdout.len() > 1_000_000, "{f}: the report is too small");
        if a.stdout != b.stdout {
            let at = a
                .stdout
                .iter()
                .zip(&b.stdout)
                .position(|(x, y)| x != y)
                .unwrap_or(a.stdout.len().min(b.stdout.len()));
            let from = at.saturating_sub(200);
            panic!(
                "{f}: the reports differ at byte {at}:\n--- 1 thread\n{}\n--- 4 threads\n{}",
                String::from_utf8_lossy(&a.stdout[from..(at + 200).min(a.stdout.len())]),
                String::from_utf8_lossy(&b.stdout[from..(at + 200).min(b.stdout.len())])
            );
        }
        assert_eq!(a.stderr, b.stderr, "{f}: the warnings differ");
    }
}

/// The placeholders the corpus projects use (as scripts/bench.sh), given to
/// every run that reads several projects at once: a flag is the same for
/// every project of one invocation, so comparisons pass the same ones.
const ALL_VARS: &[&str] = &[
    "--var",
    "Namespace=auth",
    "--var",
    "DATABASE_NAME=app",
    "--var",
    "DATABASE_OWNER=app_owner",
    "--var",
    "DATABASE_VISITOR=app_visitor",
    "--var",
    "DATABASE_AUTHENTICATOR=app_authenticator",
    "--var",
    "AUTO_INCREMENT_PRIMARY_KEY=BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY",
];

/// What a JSON report says per file: the files read (with the statements
/// of each part), each file's findings, and the files not read with why.
#[derive(Debug, Default, PartialEq)]
struct PerFile {
    statements: BTreeMap<String, Vec<String>>,
    findings: BTreeMap<String, Vec<String>>,
    skipped: BTreeMap<String, String>,
}

impl PerFile {
    fn add(&mut self, v: &serde_json::Value) {
        for f in v["files"].as_array().unwrap() {
            let st = self
                .statements
                .entry(f["path"].as_str().unwrap().to_string())
                .or_default();
            for s in f["statements"].as_array().unwrap() {
                st.push(format!("{}:{} {}", s["line"], s["column"], s["kind"]));
            }
        }
        for f in v["findings"].as_array().unwrap() {
            self.findings
                .entry(f["path"].as_str().unwrap().to_string())
                .or_default()
                .push(format!(
                    "{}:{} {} {}",
                    f["line"], f["column"], f["rule"], f["message"]
                ));
        }
        for s in v["skipped"].as_array().into_iter().flatten() {
            self.skipped.insert(
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            );
        }
        for list in self.findings.values_mut() {
            list.sort();
        }
    }
}

/// The whole corpus checked at once (a monorepo of 24 projects and many
/// tools, autodetected) reads exactly the files that checking each
/// project's directory on its own reads, with the same findings in each
/// file, and lists the same files as not read: every project is found and
/// replayed apart from the others.
#[test]
fn corpus_at_once_equals_each_project_alone() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found (../shared/corpus or $DDLINT_CORPUS): skipped");
        return;
    };
    let check = |path: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
            .args(["check", "--no-config", "--format", "json"])
            .args(ALL_VARS)
            .arg(path)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "{}: {:?}\n{}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let mut at_once = PerFile::default();
    at_once.add(&check(&root));
    let mut alone = PerFile::default();
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    for p in &projects {
        alone.add(&check(p));
    }
    // Every SQL file of the corpus is read or listed as not read.
    let mut all = Vec::new();
    sql_files(&root, &mut all);
    let accounted: BTreeSet<&str> = at_once
        .statements
        .keys()
        .chain(at_once.skipped.keys())
        .map(String::as_str)
        .collect();
    let missing: Vec<String> = all
        .iter()
        .map(|p| p.display().to_string())
        .filter(|p| !accounted.contains(p.as_str()))
        .collect();
    assert!(missing.is_empty(), "neither read nor listed: {missing:#?}");
    let keys = |m: &BTreeMap<String, Vec<String>>| m.keys().cloned().collect::<BTreeSet<_>>();
    let (a, b) = (keys(&at_once.statements), keys(&alone.statements));
    assert_eq!(
        a.symmetric_difference(&b).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "files read at once and alone differ"
    );
    for (path, list) in &alone.statements {
        assert_eq!(&at_once.statements[path], list, "{path}: statements");
    }
    for path in keys(&at_once.findings).union(&keys(&alone.findings)) {
        assert_eq!(
            at_once.findings.get(path),
            alone.findings.get(path),
            "{path}: findings"
        );
    }
    assert_eq!(at_once.skipped, alone.skipped, "files not read");
    assert!(at_once.statements.len() > 3000, "too few files read");
}

/// Every corpus project run for real on a throwaway PostgreSQL 15 by
/// `ddlint dry-run` (which applies each migration in order, watches the
/// locks and relfilenodes of every statement, and compares them with what
/// `check` predicts): prints, per project, how many statements ran and
/// agreed, every disagreement, and where a run stopped (a missing
/// extension or role, a statement the project's own tool would fail on).
/// Fails on any disagreement. Slow and needs a server: run it with
/// `cargo test --release --test corpus -- --ignored corpus_agrees_with_a_real_server --nocapture`.
#[test]
#[ignore]
fn corpus_agrees_with_a_real_server() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found: skipped");
        return;
    };
    let mut disagreements = Vec::new();
    let (mut ran, mut compared) = (0usize, 0usize);
    for (dir, layout, extra) in PROJECTS {
        let path = root.join(dir);
        let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
            .args(["dry-run", "--format", "json", "--layout", layout])
            .args(*extra)
            .arg(&path)
            .output()
            .unwrap();
        let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(_) => {
                println!(
                    "{dir:<52} could not run: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                );
                continue;
            }
        };
        let (mut ok, mut agreed, mut stop) = (0, 0, None);
        for f in v["files"].as_array().into_iter().flatten() {
            for s in f["statements"].as_array().into_iter().flatten() {
                match s["status"].as_str() {
                    Some("ok") => {
                        ok += 1;
                        let d = s["disagreements"].as_array().map_or(0, Vec::len);
                        if d == 0 {
                            agreed += 1;
                        } else {
                            disagreements.push(format!(
                                "{}:{}: {} {}",
                                f["path"].as_str().unwrap_or(""),
                                s["line"],
                                s["kind"].as_str().unwrap_or(""),
                                s["disagreements"]
                            ));
                        }
                    }
                    Some("not-run") | None => {}
                    Some(other) => {
                        stop.get_or_insert_with(|| {
                            format!(
                                "{other} at {}:{}: {}",
                                Path::new(f["path"].as_str().unwrap_or(""))
                                    .strip_prefix(&root)
                                    .map(|p| p.display().to_string())
                                    .unwrap_or_default(),
                                s["line"],
                                s["error"]["message"].as_str().unwrap_or("")
                            )
                        });
                    }
                }
            }
        }
        ran += ok;
        compared += agreed;
        println!(
            "{dir:<52} {ok:>5} ran, {agreed:>5} agree{}",
            stop.map(|s| format!("; stopped: {s}")).unwrap_or_default()
        );
    }
    println!("\n{ran} statements ran on a real server, {compared} agree with the prediction");
    assert!(
        disagreements.is_empty(),
        "{} statements where the server disagrees:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Writes what `ddlint check` reports for every corpus project (JSON and
/// text, with its layout and variables, down parts included) and for the
/// whole corpus as one tree into `$DDLINT_CORPUS_OUT`, one file per
/// project: a refactoring that changes no behaviour leaves them
/// byte-identical. `scripts/corpus-json.sh DIR` runs it.
#[test]
#[ignore]
fn corpus_outputs() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found: skipped");
        return;
    };
    let out_dir = PathBuf::from(std::env::var("DDLINT_CORPUS_OUT").expect("DDLINT_CORPUS_OUT"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let run = |name: &str, args: &[&str], path: &Path| {
        for format in ["json", "text"] {
            let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
                .args([
                    "check",
                    "--format",
                    format,
                    "--include-down",
                    "--color",
                    "never",
                ])
                .args(args)
                .arg(path)
                .output()
                .unwrap();
            let mut bytes = out.stdout;
            bytes.extend_from_slice(b"\n--- stderr\n");
            bytes.extend_from_slice(&out.stderr);
            bytes.extend_from_slice(format!("\n--- exit {:?}\n", out.status.code()).as_bytes());
            std::fs::write(out_dir.join(format!("{name}.{format}")), bytes).unwrap();
        }
    };
    for (dir, layout, extra) in PROJECTS {
        let mut args = vec!["--layout", layout];
        args.extend_from_slice(extra);
        run(&dir.replace('/', "_"), &args, &root.join(dir));
    }
    // The whole tree at once, every project's variables given.
    let vars: Vec<&str> = PROJECTS
        .iter()
        .flat_map(|(_, _, e)| e.iter().copied())
        .collect();
    run("whole-corpus", &vars, &root);
    println!("wrote {}", out_dir.display());
}

/// The statement a finding is on (its file and the statement's start), or
/// the finding's own place when it is on none.
fn statement_key(
    statements: &BTreeMap<String, Vec<(u64, u64, u64, u64)>>,
    f: &serde_json::Value,
) -> (String, u64, u64) {
    let path = f["path"].as_str().unwrap().to_string();
    let at = (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
    let on = statements.get(&path).and_then(|ss| {
        ss.iter()
            .find(|s| (s.0, s.1) <= at && at <= (s.2, s.3))
            .map(|s| (s.0, s.1))
    });
    let (line, column) = on.unwrap_or(at);
    (path, line, column)
}

/// Per statement with an error or a warning, the rules that found
/// something there (each finding's rule and its `related` rules), and the
/// number of errors and warnings reported.
type RulesPerStatement = BTreeMap<(String, u64, u64), BTreeSet<String>>;

fn problems(v: &serde_json::Value) -> (RulesPerStatement, usize) {
    let mut statements: BTreeMap<String, Vec<(u64, u64, u64, u64)>> = BTreeMap::new();
    for f in v["files"].as_array().unwrap() {
        let list = statements
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default();
        for s in f["statements"].as_array().unwrap() {
            let n = |k: &str| s[k].as_u64().unwrap();
            list.push((n("line"), n("column"), n("end_line"), n("end_column")));
        }
    }
    let mut out = RulesPerStatement::new();
    let mut count = 0;
    for f in v["findings"].as_array().unwrap() {
        if !matches!(f["severity"].as_str(), Some("error" | "warning")) {
            continue;
        }
        count += 1;
        let rules = out.entry(statement_key(&statements, f)).or_default();
        rules.insert(f["rule"].as_str().unwrap().to_string());
        for r in f["related"].as_array().into_iter().flatten() {
            rules.insert(r.as_str().unwrap().to_string());
        }
    }
    (out, count)
}

/// One finding per problem (`rules::problem`), and no problem lost: on
/// every corpus project, the rules that find something on each statement
/// are the same whether each rule reports on its own (`--ungrouped`) or
/// the findings of one problem are grouped (their `related` rules), and
/// grouping never adds a finding. Prints errors + warnings per flagged
/// statement per project, ungrouped and grouped (`scripts/signal.sh`; set
/// `DDLINT_BIN` to measure another build the same way).
#[test]
fn corpus_one_finding_per_problem() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found (../shared/corpus or $DDLINT_CORPUS): skipped");
        return;
    };
    let bin = std::env::var("DDLINT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ddlint").into());
    let run = |dir: &str, layout: &str, extra: &[&str], ungrouped: bool| {
        let out = Command::new(&bin)
            .args([
                "check",
                "--no-config",
                "--format",
                "json",
                "--layout",
                layout,
            ])
            .args(extra)
            .args(ungrouped.then_some("--ungrouped"))
            .arg(root.join(dir))
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "{dir}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    println!(
        "{:<52} {:>9} {:>7} {:>6} {:>9} {:>7} {:>6}",
        "project", "ungrouped", "flagged", "ratio", "grouped", "flagged", "ratio"
    );
    let (mut tu, mut tsu, mut tg, mut tsg) = (0, 0, 0, 0);
    let mut lost = Vec::new();
    for (dir, layout, extra) in PROJECTS {
        let (each, n_each) = problems(&run(dir, layout, extra, true));
        let (grouped, n_grouped) = problems(&run(dir, layout, extra, false));
        let ratio = |n: usize, s: usize| n as f64 / s.max(1) as f64;
        println!(
            "{:<52} {:>9} {:>7} {:>6.2} {:>9} {:>7} {:>6.2}",
            dir,
            n_each,
            each.len(),
            ratio(n_each, each.len()),
            n_grouped,
            grouped.len(),
            ratio(n_grouped, grouped.len())
        );
        (tu, tsu, tg, tsg) = (
            tu + n_each,
            tsu + each.len(),
            tg + n_grouped,
            tsg + grouped.len(),
        );
        if each != grouped {
            let differ: Vec<_> = each
                .iter()
                .filter(|(k, v)| grouped.get(*k) != Some(*v))
                .take(3)
                .collect();
            lost.push(format!("{dir}: {differ:?}"));
        }
        assert!(n_grouped <= n_each, "{dir}: grouping added findings");
    }
    println!(
        "{:<52} {:>9} {:>7} {:>6.2} {:>9} {:>7} {:>6.2}",
        "all",
        tu,
        tsu,
        tu as f64 / tsu.max(1) as f64,
        tg,
        tsg,
        tg as f64 / tsg.max(1) as f64
    );
    assert!(
        lost.is_empty(),
        "problems lost by grouping:\n{}",
        lost.join("\n")
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (p, ty) = (e.path(), e.file_type().unwrap());
        if ty.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else if ty.is_file() {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Applied history on every corpus project (a copy of it): right after
/// `ddlint init` (with the project's layout) `check` reports nothing;
/// with the file that has the most findings left out of the lock file
/// (as a new migration is), `check` reports exactly that file's findings,
/// as `check --all` does.
#[test]
fn corpus_applied_history_is_not_judged() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found (../shared/corpus or $DDLINT_CORPUS): skipped");
        return;
    };
    let bin = env!("CARGO_BIN_EXE_ddlint");
    let mut failures = Vec::new();
    for (dir, layout, extra) in PROJECTS {
        let src = root.join(dir);
        if !src.is_dir() {
            continue; // a single file, not a project
        }
        let t = tempfile::tempdir().unwrap();
        let work = t.path().join("p");
        copy_tree(&src, &work);
        let run = |args: &[&str]| {
            let out = Command::new(bin)
                .current_dir(&work)
                .args(args)
                .args(["--layout", layout])
                .args(*extra)
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (code, _, err) = run(&["init"]);
        assert_eq!(code, Some(0), "{dir}: init: {err}");
        let findings = |args: &[&str]| -> Vec<serde_json::Value> {
            let mut a = vec!["check", "--format", "json"];
            a.extend_from_slice(args);
            a.push(".");
            let (code, out, err) = run(&a);
            assert!(matches!(code, Some(0 | 1)), "{dir}: {err}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            v["findings"].as_array().unwrap().clone()
        };
        let after_init = findings(&[]);
        if !after_init.is_empty() {
            failures.push(format!(
                "{dir}: {} findings right after init, e.g. {}",
                after_init.len(),
                after_init[0]
            ));
            continue;
        }
        let all = findings(&["--all"]);
        let mut per_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in &all {
            per_file
                .entry(f["path"].as_str().unwrap().to_string())
                .or_default()
                .push(format!(
                    "{} {}:{} {}",
                    f["rule"], f["line"], f["column"], f["message"]
                ));
        }
        let Some((file, expected)) = per_file
            .iter()
            .max_by_key(|(p, v)| (v.len(), std::cmp::Reverse(p.as_str())))
        else {
            continue;
        };
        // Leave it out of the lock file: a new migration.
        let lock = work.join("ddlint.lock");
        let text = std::fs::read_to_string(&lock).unwrap();
        let name = file.trim_start_matches("./");
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().split(": ").next() != Some(name))
            .collect();
        assert_eq!(
            kept.len() + 1,
            text.lines().count(),
            "{dir}: {name} not in the lock file"
        );
        std::fs::write(&lock, kept.join("\n") + "\n").unwrap();
        let mut got: Vec<String> = findings(&[])
            .iter()
            .map(|f| {
                assert_eq!(
                    f["path"].as_str(),
                    Some(file.as_str()),
                    "{dir}: another file reported"
                );
                format!(
                    "{} {}:{} {}",
                    f["rule"], f["line"], f["column"], f["message"]
                )
            })
            .collect();
        let mut expected = expected.clone();
        got.sort();
        expected.sort();
        if got != expected {
            failures.push(format!("{dir}: {file}: {got:#?}\nexpected {expected:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Findings first: the terminal report of lemmy (342 migrations, most of
/// them flagged) shows a finding on the first screen, and ends with the
/// one summary line.
#[test]
fn first_finding_on_the_first_screen() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found (../shared/corpus or $DDLINT_CORPUS): skipped");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args([
            "check",
            "--no-config",
            "--color",
            "never",
            "--layout",
            "diesel",
        ])
        .arg(root.join("lemmy/migrations"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text
        .lines()
        .position(|l| l.starts_with("error[") || l.starts_with("warning["))
        .expect("lemmy has findings");
    assert!(first < 30, "first finding on line {}", first + 1);
    let last = text.trim_end().lines().last().unwrap();
    assert!(
        last.contains(" files") && last.contains(" errors"),
        "{last}"
    );
}
