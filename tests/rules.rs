//! The rule set, through the binary. A custom harness (`harness = false`,
//! libtest-mimic): one test per registered rule, named by its id, that runs
//! that rule alone (`--ignore all --select <id>`) on every case in
//! `fixtures/rules/<id>/` and on its yaml `bad`/`good` examples, reporting
//! every failing case; one test that keeps documentation, implementation
//! and fixtures in step; and the tests of configuration, inline ignores and
//! `--fix`.
//!
//!     cargo test --test rules -- drop-table            # one rule
//!     cargo test --test rules -- --exact require-concurrent-index

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

const BIN: &str = env!("CARGO_BIN_EXE_ddlint");

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test(
        "yaml_implementation_and_fixtures_are_in_step",
        yaml_implementation_and_fixtures_are_in_step,
    )];
    for id in registered() {
        trials.push(Trial::test(id.clone(), move || rule(&id)).with_kind("rule"));
    }
    let plain: &[(&str, fn())] = &[
        (
            "tables_created_in_the_same_file_never_trigger_locking_rules",
            tables_created_in_the_same_file_never_trigger_locking_rules,
        ),
        (
            "config_file_is_found_walking_up_and_applies",
            config_file_is_found_walking_up_and_applies,
        ),
        (
            "config_errors_name_the_key_and_file",
            config_errors_name_the_key_and_file,
        ),
        (
            "init_writes_a_config_that_loads",
            init_writes_a_config_that_loads,
        ),
        (
            "exclude_and_variables_are_accepted",
            exclude_and_variables_are_accepted,
        ),
        ("inline_ignores", inline_ignores),
        ("one_finding_per_problem", one_finding_per_problem),
        (
            "fix_concurrently_not_valid_lock_timeout_and_using_index",
            fix_concurrently_not_valid_lock_timeout_and_using_index,
        ),
        (
            "fix_validate_goes_after_commit",
            fix_validate_goes_after_commit,
        ),
        (
            "fix_in_tool_wrapped_transaction_uses_set_local",
            fix_in_tool_wrapped_transaction_uses_set_local,
        ),
        ("rules_and_explain", rules_and_explain),
        (
            "categories_agree_in_readme_init_and_rules",
            categories_agree_in_readme_init_and_rules,
        ),
    ];
    for &(name, f) in plain {
        // libtest-mimic turns a panic into a failure.
        trials.push(Trial::test(name, move || {
            f();
            Ok(())
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("fixtures/rules")
}

fn ddlint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ddlint");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["check", "--no-config", "--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = ddlint(dir, &a);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The rules that found something: each finding's rule and the rules
/// that found the same problem (`related`).
fn rules_of(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            std::iter::once(&f["rule"]).chain(f["related"].as_array().into_iter().flatten())
        })
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

#[derive(serde::Deserialize)]
struct Meta {
    id: String,
    bad: String,
    good: String,
    #[serde(default)]
    since_pg: Option<u32>,
}

fn read_meta(p: &Path) -> Result<Meta, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn metas() -> Vec<Meta> {
    let mut v: Vec<Meta> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().map(|e| e == "yaml").unwrap_or(false))
        .map(|p| {
            let m = read_meta(&p).unwrap();
            assert_eq!(
                p.file_stem().unwrap().to_str().unwrap(),
                m.id,
                "{} has the wrong id",
                p.display()
            );
            m
        })
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// The rule ids in the registry, as `ddlint rules` lists them.
fn registered() -> Vec<String> {
    let (code, listed, err) = ddlint(&root(), &["rules", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    listed
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

const FRAMEWORK_FILES: &[&str] = &[
    "mod", "alter", "config", "fix", "ignore", "impact", "meta", "problem", "sql", "tool",
];

/// Rules that only fire with git history (`--since REF`); their examples
/// are exercised on real repositories in tests/since.rs. Here their cases
/// only show that they stay silent without it.
const NEEDS_GIT: &[&str] = &["modified-applied-migration"];

fn yaml_implementation_and_fixtures_are_in_step() -> Result<(), Failed> {
    let yaml: Vec<String> = metas().into_iter().map(|m| m.id).collect();
    // Every yaml is registered (the registry include_str!s it, so every
    // registered rule has a yaml).
    let mut registered = registered();
    registered.sort();
    assert_eq!(yaml, registered, "rules/*.yaml and the registry differ");
    // Every rule file is a registered rule and vice versa.
    let mut files: Vec<String> = std::fs::read_dir(root().join("src/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| p.file_stem().map(|s| s.to_str().unwrap().to_string()))
        .filter(|s| !FRAMEWORK_FILES.contains(&s.as_str()))
        .map(|s| s.replace('_', "-"))
        .collect();
    files.sort();
    assert_eq!(files, yaml, "src/rules/*.rs and rules/*.yaml differ");
    // Every fixture directory is a rule's (each rule's own test checks
    // that it has cases).
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    dirs.sort();
    assert_eq!(dirs, yaml, "fixtures/rules/*/ and rules/*.yaml differ");
    Ok(())
}

fn pg_for(m: &Meta) -> String {
    m.since_pg.unwrap_or(15).max(15).to_string()
}

/// A rule's fixture cases: `bad*.sql` must trigger it, `good*.sql` must
/// not; `setup.sql`, when present, replaces the shared
/// `fixtures/rules/setup.sql` as the schema in production.
struct Cases {
    setup: PathBuf,
    bad: Vec<String>,
    good: Vec<String>,
}

fn cases(dir: &Path) -> Result<Cases, String> {
    let own = dir.join("setup.sql");
    let setup = if own.is_file() {
        own
    } else {
        fixtures().join("setup.sql")
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
        .filter(|n| n != "setup.sql")
        .collect();
    names.sort();
    let (mut bad, mut good) = (Vec::new(), Vec::new());
    for n in names {
        let stem = n.strip_suffix(".sql");
        let is = |kind: &str| stem.is_some_and(|s| s == kind || s.starts_with(&format!("{kind}-")));
        if is("bad") {
            bad.push(n);
        } else if is("good") {
            good.push(n);
        } else {
            return Err(format!(
                "{}/{n}: a case is bad.sql, good.sql, bad-<what>.sql or good-<what>.sql",
                dir.display()
            ));
        }
    }
    if bad.is_empty() || good.is_empty() {
        return Err(format!(
            "{}: needs at least one bad*.sql and one good*.sql case",
            dir.display()
        ));
    }
    Ok(Cases { setup, bad, good })
}

/// Rules about other rules' findings, and the rules their cases need on
/// (an ignore comment is only unused when the rule it names runs).
const ALSO_SELECT: &[(&str, &str)] = &[("unused-ignore", "require-concurrent-index")];

/// The arguments that run one rule alone (with what `ALSO_SELECT` names).
fn isolated<'a>(pg: &'a str, id: &'a str, setup: &'a str, file: &'a str) -> Vec<&'a str> {
    let mut a = vec!["--pg-version", pg, "--ignore", "all", "--select", id];
    for (rule, also) in ALSO_SELECT {
        if *rule == id {
            a.extend(["--select", also]);
        }
    }
    a.extend(["--schema", setup, file]);
    a
}

/// The snapshot name of a bad case: `<id>` for `bad.sql`, else
/// `<id>.<case>`.
fn snapshot_name(id: &str, case: &str) -> String {
    match case.strip_suffix(".sql") {
        Some("bad") | None => id.to_string(),
        Some(c) => format!("{id}.{c}"),
    }
}

/// One rule's test: every case, both yaml examples, and a snapshot of the
/// whole diagnostics of every bad case. Every failure is collected.
fn rule(id: &str) -> Result<(), Failed> {
    let m = read_meta(&root().join("rules").join(format!("{id}.yaml")))?;
    let dir = fixtures().join(id);
    let c = cases(&dir)?;
    let pg = pg_for(&m);
    let setup = c.setup.to_str().unwrap();
    let git = NEEDS_GIT.contains(&id);
    let mut errors = Vec::new();
    let mut run = |cwd: &Path, file: &str, expect: bool, what: &str| {
        let v = json(cwd, &isolated(&pg, id, setup, file));
        let fired = rules_of(&v).iter().any(|r| r == id);
        if git {
            if fired {
                errors.push(format!("{what}: fires without git history"));
            }
        } else if fired != expect {
            let should = if expect {
                "does not trigger it"
            } else {
                "triggers it"
            };
            errors.push(format!("{what}: {should}: {:#}", v["findings"]));
        }
    };
    for f in &c.bad {
        run(&dir, f, true, &format!("fixtures/rules/{id}/{f}"));
    }
    for f in &c.good {
        run(&dir, f, false, &format!("fixtures/rules/{id}/{f}"));
    }
    let tmp = tempfile::tempdir()?;
    for (which, sql, expect) in [("bad", &m.bad, true), ("good", &m.good, false)] {
        let f = format!("example_{which}.sql");
        std::fs::write(tmp.path().join(&f), sql)?;
        run(
            tmp.path(),
            &f,
            expect,
            &format!("rules/{id}.yaml: `{which}` example"),
        );
    }
    if !git {
        for f in &c.bad {
            if let Err(e) = snapshot(&dir, &pg, id, setup, f) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n").into())
    }
}

/// Snapshots of the text and JSON diagnostics of one bad case.
fn snapshot(dir: &Path, pg: &str, id: &str, setup: &str, file: &str) -> Result<(), String> {
    let name = snapshot_name(id, file);
    let mut args = vec!["check", "--no-config", "--color", "never"];
    args.extend(isolated(pg, id, setup, file));
    let (_, text, _) = ddlint(dir, &args);
    let v = json(dir, &isolated(pg, id, setup, file));
    let mut failed = Vec::new();
    // insta panics on a mismatch; check both before failing.
    if catch_unwind(AssertUnwindSafe(|| {
        insta::assert_snapshot!(format!("{name}.text"), text);
    }))
    .is_err()
    {
        failed.push(format!("{name}.text"));
    }
    if catch_unwind(AssertUnwindSafe(|| {
        insta::assert_json_snapshot!(format!("{name}.json"), v["findings"]);
    }))
    .is_err()
    {
        failed.push(format!("{name}.json"));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fixtures/rules/{id}/{file}: snapshot {} differs",
            failed.join(", ")
        ))
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

const SETUP: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, created_at timestamptz, amount integer);\nCREATE TABLE customers (id bigint PRIMARY KEY);\n";

fn tables_created_in_the_same_file_never_trigger_locking_rules() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "m.sql",
        "CREATE TABLE t (id bigint, a int);\nCREATE INDEX t_a ON t (a);\nALTER TABLE t ADD CHECK (a > 0);\nALTER TABLE t ALTER COLUMN a TYPE bigint;\nALTER TABLE t ADD UNIQUE (a);\n",
    );
    let v = json(t.path(), &["m.sql"]);
    let r = rules_of(&v);
    assert!(r.is_empty(), "{r:?}");
}

fn config_file_is_found_walking_up_and_applies() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "setup.sql", SETUP);
    write(
        t.path(),
        "ddlint.yaml",
        "pg_version: 13\nrules:\n  disable: [require-lock-timeout]\nseverity:\n  locking: warning\noverrides:\n  - paths: [\"legacy/**\"]\n    rules:\n      disable: [locking]\n",
    );
    write(
        t.path(),
        "m/1.sql",
        "CREATE INDEX i ON orders (created_at);\n",
    );
    write(
        t.path(),
        "legacy/1.sql",
        "CREATE INDEX i ON orders (created_at);\n",
    );
    let sub = t.path().join("m");
    let (code, out, err) = ddlint(
        &sub,
        &[
            "check",
            "--format",
            "json",
            "--schema",
            "../setup.sql",
            "1.sql",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pg_version"], 13);
    let f = &v["findings"];
    assert!(f
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "require-lock-timeout"));
    let ci = f
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "require-concurrent-index")
        .unwrap();
    assert_eq!(ci["severity"], "warning");
    // Per-path override.
    let (_, out, _) = ddlint(
        t.path(),
        &[
            "check",
            "--format",
            "json",
            "--schema",
            "setup.sql",
            "legacy/1.sql",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!rules_of(&v).contains(&"require-concurrent-index".to_string()));
    // The command line wins key by key.
    let (_, out, _) = ddlint(
        &sub,
        &[
            "check",
            "--format",
            "json",
            "--pg-version",
            "16",
            "--select",
            "require-lock-timeout",
            "--schema",
            "../setup.sql",
            "1.sql",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pg_version"], 16);
    assert!(rules_of(&v).contains(&"require-lock-timeout".to_string()));
    // --fail-on picks the threshold.
    let (code, _, _) = ddlint(
        &sub,
        &[
            "check",
            "--fail-on",
            "warning",
            "--schema",
            "../setup.sql",
            "1.sql",
        ],
    );
    assert_eq!(code, 1);
}

fn config_errors_name_the_key_and_file() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "m.sql", "SELECT 1;\n");
    let cfg = write(t.path(), "c.yaml", "pg_versoin: 13\n");
    let (code, _, err) = ddlint(
        t.path(),
        &["check", "--config", cfg.to_str().unwrap(), "m.sql"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("pg_versoin") && err.contains("c.yaml"),
        "{err}"
    );
    write(t.path(), "c.yaml", "severity:\n  no-such-rule: error\n");
    let (code, _, err) = ddlint(
        t.path(),
        &["check", "--config", cfg.to_str().unwrap(), "m.sql"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no-such-rule") && err.contains("c.yaml"),
        "{err}"
    );
    write(
        t.path(),
        "c.yaml",
        "rules:\n  enable: [locking]\n  bogus: []\n",
    );
    let (code, _, err) = ddlint(
        t.path(),
        &["check", "--config", cfg.to_str().unwrap(), "m.sql"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("bogus"), "{err}");
}

fn init_writes_a_config_that_loads() {
    let t = tempfile::tempdir().unwrap();
    let (code, _, err) = ddlint(t.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    assert!(t.path().join("ddlint.yaml").is_file());
    let (code, _, _) = ddlint(t.path(), &["init"]);
    assert_eq!(code, 2, "refuses to overwrite");
    write(t.path(), "m.sql", "SELECT 1;\n");
    let (code, _, err) = ddlint(t.path(), &["check", "m.sql"]);
    assert_eq!(code, 0, "{err}");
}

fn exclude_and_variables_are_accepted() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "ddlint.yaml",
        "exclude: [\"old/**\"]\nvariables:\n  schema: app\n",
    );
    write(t.path(), "old/1.sql", "DROP TABLE x;\n");
    write(t.path(), "new/1.sql", "SELECT 1;\n");
    let (code, out, err) = ddlint(t.path(), &["check", "--format", "json", "old", "new"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["files"], 1);
}

fn inline_ignores() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "setup.sql", SETUP);
    write(
        t.path(),
        "m.sql",
        "SET lock_timeout = '5s';\n\
         -- ddlint: ignore require-concurrent-index -- tiny table\n\
         CREATE INDEX a ON orders (created_at);\n\
         CREATE INDEX b ON orders (amount); -- ddlint: ignore require-concurrent-index\n\
         CREATE INDEX c ON orders (customer_id);\n\
         -- ddlint: ignore drop-column -- nothing to drop here\n\
         ALTER TABLE orders ADD COLUMN note text;\n\
         -- ddlint: ignore require-concurent-index\n\
         SELECT 1;\n",
    );
    let v = json(t.path(), &["--schema", "setup.sql", "m.sql"]);
    let f: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(f.contains(&("require-concurrent-index".into(), 5)), "{f:?}");
    assert!(
        !f.iter()
            .any(|(r, l)| r == "require-concurrent-index" && (*l == 3 || *l == 4)),
        "{f:?}"
    );
    assert!(f.contains(&("unused-ignore".into(), 6)), "{f:?}");
    assert!(f.contains(&("unknown-rule-in-ignore".into(), 8)), "{f:?}");
    // ignore-file
    write(
        t.path(),
        "n.sql",
        "-- ddlint: ignore-file require-concurrent-index, require-lock-timeout, require-statement-timeout\nCREATE INDEX a ON orders (created_at);\nCREATE INDEX b ON orders (amount);\n",
    );
    let v = json(t.path(), &["--schema", "setup.sql", "n.sql"]);
    let r = rules_of(&v);
    assert!(!r.iter().any(|r| r.starts_with("require-")), "{r:?}");
}

fn fix_round_trip(setup: &str, migration: &str, extra: &[&str], fixed_rules: &[&str]) -> String {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "setup.sql", setup);
    let m = write(t.path(), "m.sql", migration);
    let mut args = vec![
        "check",
        "--no-config",
        "--fix",
        "--format",
        "json",
        "--schema",
        "setup.sql",
        "m.sql",
    ];
    args.extend_from_slice(extra);
    let (_, out, err) = ddlint(t.path(), &args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let fixed = std::fs::read_to_string(&m).unwrap();
    let r = rules_of(&v);
    assert!(!r.contains(&"syntax-error".to_string()), "{fixed}");
    for id in fixed_rules {
        assert!(
            !r.contains(&id.to_string()),
            "{id} still reported after --fix:\n{fixed}\n{r:?}"
        );
    }
    // Re-linting the fixed file from scratch agrees.
    let mut args2 = vec!["--schema", "setup.sql", "m.sql"];
    args2.extend_from_slice(extra);
    let again = json(t.path(), &args2);
    for id in fixed_rules {
        assert!(!rules_of(&again).contains(&id.to_string()), "{id}: {fixed}");
    }
    fixed
}

fn fix_concurrently_not_valid_lock_timeout_and_using_index() {
    let fixed = fix_round_trip(
        SETUP,
        "-- a migration\nCREATE INDEX orders_created_at ON orders (created_at);\n\
         ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);\n\
         ALTER TABLE orders ADD CHECK (amount > 0);\n\
         ALTER TABLE orders ADD CONSTRAINT orders_amount_key UNIQUE (amount);\n\
         DROP INDEX orders_created_at;\n",
        &[],
        &[
            "require-concurrent-index",
            "constraint-requires-not-valid",
            "require-lock-timeout",
            "unique-constraint-requires-index",
            "require-concurrent-index-drop",
        ],
    );
    insta::assert_snapshot!("fix_autocommit", fixed);
}

fn fix_validate_goes_after_commit() {
    let fixed = fix_round_trip(
        SETUP,
        "BEGIN;\nALTER TABLE orders ADD CHECK (amount > 0);\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n",
        &[],
        &["constraint-requires-not-valid", "require-lock-timeout"],
    );
    insta::assert_snapshot!("fix_explicit_transaction", fixed);
}

fn fix_in_tool_wrapped_transaction_uses_set_local() {
    let fixed = fix_round_trip(
        SETUP,
        "ALTER TABLE orders ADD COLUMN note text;\nSET search_path = public;\n",
        &["--assume-in-transaction"],
        &["require-lock-timeout", "session-setting-in-transaction"],
    );
    assert!(
        fixed.starts_with("SET LOCAL lock_timeout = '5s';\n"),
        "{fixed}"
    );
    assert!(fixed.contains("SET LOCAL search_path"), "{fixed}");
}

fn rules_and_explain() {
    let (code, out, _) = ddlint(&root(), &["rules"]);
    assert_eq!(code, 0);
    assert!(out.contains("require-concurrent-index") && out.contains("locking"));
    let (code, out, _) = ddlint(&root(), &["explain", "require-concurrent-index"]);
    assert_eq!(code, 0);
    assert!(out.contains("CREATE INDEX CONCURRENTLY orders_created_at ON orders (created_at);"));
    let (code, _, err) = ddlint(&root(), &["explain", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"));
}

/// The comma-separated list after `Categories:` up to the next `.`, in a
/// text whose lines may start with `# ` (the init template), without
/// parenthesised remarks.
fn categories_listed(text: &str, what: &str) -> Vec<String> {
    let joined: String = text
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .collect::<Vec<_>>()
        .join(" ");
    let start = joined
        .find("Categories:")
        .unwrap_or_else(|| panic!("{what} lists no categories"))
        + "Categories:".len();
    let list = &joined[start..];
    let list = &list[..list.find('.').unwrap()];
    let mut plain = String::new();
    let mut depth = 0;
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// README, `ddlint init` and `ddlint rules` name the same categories:
/// every category documented has a rule, and every rule's category is
/// documented (and accepted as a selector).
fn categories_agree_in_readme_init_and_rules() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let documented = categories_listed(&readme, "README.md");
    let t = tempfile::tempdir().unwrap();
    let (code, _, err) = ddlint(t.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    let init = std::fs::read_to_string(t.path().join("ddlint.yaml")).unwrap();
    assert_eq!(
        categories_listed(&init, "ddlint init"),
        documented,
        "README.md and `ddlint init` list different categories"
    );
    let (code, listed, err) = ddlint(&root(), &["rules", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    let mut of_rules: Vec<String> = listed
        .iter()
        .map(|r| r["category"].as_str().unwrap().to_string())
        .collect();
    of_rules.sort();
    of_rules.dedup();
    let mut sorted = documented.clone();
    sorted.sort();
    assert_eq!(
        sorted, of_rules,
        "the categories README.md documents and those `ddlint rules` lists differ"
    );
    for c in &documented {
        let (code, _, err) = ddlint(t.path(), &["check", "--no-config", "--select", c, "-"]);
        assert!(code == 0, "--select {c}: exit {code}: {err}");
    }
}

/// One finding per problem (`rules::problem`): the rules that found the
/// same problem in a statement are `related` on the most specific one;
/// ignoring any of them ignores it (and the ignore counts as used); it
/// keeps the strongest severity of them, so grouping never changes the
/// exit status; `--ungrouped` shows each rule on its own.
fn one_finding_per_problem() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "setup.sql", SETUP);
    write(
        t.path(),
        "m.sql",
        "CREATE INDEX a ON orders (created_at);\n\
         ALTER TABLE orders ALTER COLUMN amount TYPE bigint;\n\
         ALTER TABLE orders DROP COLUMN legacy_code;\n",
    );
    let v = json(t.path(), &["--schema", "setup.sql", "m.sql"]);
    let got: Vec<(String, u64, Vec<String>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related = f["related"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                related,
            )
        })
        .collect();
    let on = |line: u64| -> Vec<&(String, u64, Vec<String>)> {
        got.iter().filter(|f| f.1 == line).collect()
    };
    // The index build: one finding, its timeouts related.
    let index = on(1);
    assert_eq!(index.len(), 1, "{got:?}");
    assert_eq!(index[0].0, "require-concurrent-index");
    for r in [
        "require-lock-timeout",
        "require-statement-timeout",
        "blocking-lock-during-scan",
    ] {
        assert!(index[0].2.iter().any(|x| x == r), "{got:?}");
    }
    // The type change that rewrites: the rewrite, the compatibility
    // change of the same column related.
    let change = on(2);
    assert_eq!(change.len(), 1, "{got:?}");
    assert_eq!(change[0].0, "column-type-change-rewrites");
    assert!(
        change[0].2.iter().any(|x| x == "change-column-type"),
        "{got:?}"
    );
    // Dropping a column is another problem than the lock it takes.
    assert!(on(3).iter().any(|f| f.0 == "drop-column"), "{got:?}");
    // --ungrouped: every rule on its own.
    let v = json(t.path(), &["--ungrouped", "--schema", "setup.sql", "m.sql"]);
    let first: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["line"] == 1)
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        first.len() >= 3 && first.contains(&"require-lock-timeout"),
        "{first:?}"
    );
    // Ignoring a related rule ignores the problem, and the ignore is used.
    write(
        t.path(),
        "n.sql",
        "-- ddlint: ignore require-lock-timeout -- a tiny table\n\
         CREATE INDEX a ON orders (created_at);\n",
    );
    let v = json(t.path(), &["--schema", "setup.sql", "n.sql"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    // The strongest severity of the group: a locking rule made a warning
    // still fails the run while the timeout rule of the same problem is
    // an error, as it would on its own.
    write(
        t.path(),
        "ddlint.yaml",
        "severity:\n  require-concurrent-index: warning\n",
    );
    let (code, out, err) = ddlint(
        t.path(),
        &[
            "check",
            "--format",
            "json",
            "--schema",
            "setup.sql",
            "n.sql",
        ],
    );
    assert_eq!(code, 0, "ignored: {out}{err}");
    write(
        t.path(),
        "o.sql",
        "CREATE INDEX a ON orders (created_at);\n",
    );
    let (code, out, _) = ddlint(
        t.path(),
        &[
            "check",
            "--format",
            "json",
            "--schema",
            "setup.sql",
            "o.sql",
        ],
    );
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["rule"], "require-concurrent-index");
    assert_eq!(v["findings"][0]["severity"], "error");
}
