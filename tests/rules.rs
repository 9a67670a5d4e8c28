//! The rule set, through the binary: documentation, implementation and
//! fixtures kept in step; every `bad` example triggers its rule and every
//! `good` one does not; whole diagnostics snapshotted; configuration,
//! inline ignores and `--fix`.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ddlint");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

fn rules_of(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
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

fn metas() -> Vec<Meta> {
    let mut v: Vec<Meta> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().map(|e| e == "yaml").unwrap_or(false))
        .map(|p| {
            let m: Meta = serde_norway::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
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

const FRAMEWORK_FILES: &[&str] = &["mod", "alter", "config", "fix", "ignore", "meta", "sql"];

/// Rules that only fire with git history (`--since REF`); their examples
/// are exercised on real repositories in tests/since.rs.
const NEEDS_GIT: &[&str] = &["modified-applied-migration"];

#[test]
fn yaml_implementation_and_fixtures_are_in_step() {
    let yaml: Vec<String> = metas().into_iter().map(|m| m.id).collect();
    // Every yaml is registered (the registry include_str!s it, so every
    // registered rule has a yaml).
    let (_, listed, _) = ddlint(&root(), &["rules", "--format", "json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    let mut registered: Vec<String> = listed
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
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
    // Every rule has fixtures.
    for id in &yaml {
        let d = root().join("fixtures/rules").join(id);
        for f in ["001_setup.sql", "002_bad.sql", "002_good.sql"] {
            assert!(d.join(f).is_file(), "missing fixtures/rules/{id}/{f}");
        }
    }
}

fn pg_for(m: &Meta) -> String {
    m.since_pg.unwrap_or(15).max(15).to_string()
}

#[test]
fn fixtures_bad_trigger_and_good_do_not() {
    for m in metas()
        .into_iter()
        .filter(|m| !NEEDS_GIT.contains(&m.id.as_str()))
    {
        let dir = root().join("fixtures/rules").join(&m.id);
        let pg = pg_for(&m);
        let args = |f: &'static str| -> Vec<String> {
            vec![
                "--pg-version".into(),
                pg.clone(),
                "--select".into(),
                m.id.clone(),
                "--schema".into(),
                "001_setup.sql".into(),
                f.into(),
            ]
        };
        let a: Vec<String> = args("002_bad.sql");
        let bad = json(&dir, &a.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        assert!(
            rules_of(&bad).contains(&m.id),
            "{}: 002_bad.sql does not trigger it",
            m.id
        );
        let a: Vec<String> = args("002_good.sql");
        let good = json(&dir, &a.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        assert!(
            !rules_of(&good).contains(&m.id),
            "{}: 002_good.sql triggers it",
            m.id
        );
    }
}

#[test]
fn yaml_examples_bad_trigger_and_good_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    for m in metas()
        .into_iter()
        .filter(|m| !NEEDS_GIT.contains(&m.id.as_str()))
    {
        let setup = root()
            .join("fixtures/rules")
            .join(&m.id)
            .join("001_setup.sql");
        std::fs::copy(&setup, tmp.path().join("setup.sql")).unwrap();
        for (which, sql, expect) in [("bad", &m.bad, true), ("good", &m.good, false)] {
            std::fs::write(tmp.path().join("example.sql"), sql).unwrap();
            let v = json(
                tmp.path(),
                &[
                    "--pg-version",
                    &pg_for(&m),
                    "--select",
                    &m.id,
                    "--schema",
                    "setup.sql",
                    "example.sql",
                ],
            );
            assert_eq!(
                rules_of(&v).contains(&m.id),
                expect,
                "rules/{}.yaml: `{which}` example",
                m.id
            );
        }
    }
}

#[test]
fn snapshots_of_whole_diagnostics() {
    for m in metas()
        .into_iter()
        .filter(|m| !NEEDS_GIT.contains(&m.id.as_str()))
    {
        let dir = root().join("fixtures/rules").join(&m.id);
        let pg = pg_for(&m);
        let (_, text, _) = ddlint(
            &dir,
            &[
                "check",
                "--no-config",
                "--color",
                "never",
                "--pg-version",
                &pg,
                "--select",
                &m.id,
                "--schema",
                "001_setup.sql",
                "002_bad.sql",
            ],
        );
        insta::assert_snapshot!(format!("{}.text", m.id), text);
        let v = json(
            &dir,
            &[
                "--pg-version",
                &pg,
                "--select",
                &m.id,
                "--schema",
                "001_setup.sql",
                "002_bad.sql",
            ],
        );
        insta::assert_json_snapshot!(format!("{}.json", m.id), v["findings"]);
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

#[test]
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

#[test]
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

#[test]
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

#[test]
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

#[test]
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

#[test]
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

#[test]
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

#[test]
fn fix_validate_goes_after_commit() {
    let fixed = fix_round_trip(
        SETUP,
        "BEGIN;\nALTER TABLE orders ADD CHECK (amount > 0);\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n",
        &[],
        &["constraint-requires-not-valid", "require-lock-timeout"],
    );
    insta::assert_snapshot!("fix_explicit_transaction", fixed);
}

#[test]
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

#[test]
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
