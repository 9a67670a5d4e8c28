//! A path that holds several projects (`fixtures/layouts/monorepo`): two
//! services with different tools that both create `orders` differently
//! (`services/orders`, golang-migrate; `services/billing`, flyway), a
//! flyway service that needs a placeholder (`services/reports`), and a
//! stray script (`scripts/`). Each project is read with its own layout and
//! replayed into its own catalog; every SQL file not read is listed with
//! why, in the text report and in the JSON `skipped`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

const DIR: &str = "fixtures/layouts/monorepo";

fn ddlint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["check", "--no-config", "--format", "json"];
    all.extend_from_slice(args);
    let out = ddlint(&all);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Path (under the fixture) -> the rules that fired in it, sorted.
fn rules_by_file(v: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        let p = f["path"].as_str().unwrap();
        let p = Path::new(p).strip_prefix(DIR).unwrap_or(Path::new(p));
        out.entry(p.display().to_string())
            .or_default()
            .push(f["rule"].as_str().unwrap().to_string());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn statement<'a>(v: &'a serde_json::Value, file: &str, line: u64) -> &'a serde_json::Value {
    let f = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == format!("{DIR}/{file}"))
        .unwrap_or_else(|| panic!("{file} not read"));
    f["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["line"] == line)
        .unwrap_or_else(|| panic!("{file}:{line}: no statement"))
}

#[test]
fn each_project_is_read_with_its_own_layout() {
    let (code, v, err) = json(&["--var", "reader=analyst", DIR]);
    assert_eq!(code, 1, "{err}");
    let wrapping: Vec<(String, String)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            (
                p.strip_prefix(&format!("{DIR}/")).unwrap().to_string(),
                f["wrapping"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        // plain psql: the stray script falls back to the plain layout
        ("scripts/refresh_stats.sql", "autocommit"),
        // flyway: one transaction per file
        (
            "services/billing/db/migration/V1__orders.sql",
            "transaction",
        ),
        (
            "services/billing/db/migration/V2__customer_fk.sql",
            "transaction",
        ),
        // golang-migrate: one multi-statement exec per file
        (
            "services/orders/migrations/1_orders.up.sql",
            "implicit-multi-statement",
        ),
        (
            "services/orders/migrations/2_orders_status.up.sql",
            "implicit-multi-statement",
        ),
        ("services/reports/db/V1__reader.sql", "transaction"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, w)| (p.to_string(), w.to_string()))
        .collect();
    assert_eq!(wrapping, expected);
}

#[test]
fn projects_do_not_see_each_others_tables() {
    let (_, v, err) = json(&["--var", "reader=analyst", DIR]);
    let rules = rules_by_file(&v);
    let of = |f: &str| rules.get(f).cloned().unwrap_or_default();
    // billing's orders was created in the same file: the index locks
    // nobody (the orders service's older orders table is not billing's).
    assert!(
        of("services/billing/db/migration/V1__orders.sql").is_empty(),
        "{rules:?}"
    );
    assert_eq!(
        statement(&v, "services/billing/db/migration/V1__orders.sql", 3)["new_relations"],
        serde_json::json!(["public.orders"])
    );
    // billing's orders has no index on customer_id; the orders service's
    // has one, which must not hide it.
    assert!(
        of("services/billing/db/migration/V2__customer_fk.sql")
            .contains(&"foreign-key-without-index".to_string()),
        "{rules:?}\n{err}"
    );
    assert!(!of("services/orders/migrations/2_orders_status.up.sql")
        .contains(&"foreign-key-without-index".to_string()));
    // The same index in the orders service's own first file is on its new
    // table; in its second file, on a table that exists.
    assert!(!of("services/orders/migrations/1_orders.up.sql")
        .contains(&"require-concurrent-index".to_string()));
    assert!(of("services/orders/migrations/2_orders_status.up.sql")
        .contains(&"require-concurrent-index".to_string()));
    // The stray script is its own project: orders is unknown there.
    assert_eq!(
        statement(&v, "scripts/refresh_stats.sql", 2)["unknown_relations"],
        serde_json::json!(["public.orders"])
    );
    // Transaction ids stay unique across projects.
    let txns: Vec<u64> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["statements"][0]["transaction"].as_u64())
        .collect();
    let unique: BTreeSet<&u64> = txns.iter().collect();
    assert_eq!(unique.len(), txns.len(), "{txns:?}");
}

#[test]
fn a_project_alone_reads_as_in_the_monorepo() {
    let (_, all, _) = json(&["--var", "reader=analyst", DIR]);
    let all = rules_by_file(&all);
    for project in [
        "services/orders/migrations",
        "services/billing/db/migration",
        "services/reports/db",
        "scripts",
    ] {
        let (code, v, err) = json(&["--var", "reader=analyst", &format!("{DIR}/{project}")]);
        assert!(code == 0 || code == 1, "{project}: {err}");
        for (file, rules) in rules_by_file(&v) {
            assert_eq!(all.get(&file), Some(&rules), "{file}");
        }
        // One project: the text report does not list projects.
        let path = format!("{DIR}/{project}");
        let args = [
            "check",
            "--no-config",
            "--color",
            "never",
            "--var",
            "reader=x",
            &path,
        ];
        let text = String::from_utf8(ddlint(&args).stdout).unwrap_or_default();
        assert!(text.contains(" statement"), "{project}: {text}");
        assert!(!text.contains("projects, each"), "{project}: {text}");
    }
}

#[test]
fn files_not_read_are_listed_with_why() {
    let (code, v, err) = json(&["--var", "reader=analyst", DIR]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        v["skipped"],
        serde_json::json!([
            {
                "path": format!("{DIR}/services/billing/db/migration/notes.sql"),
                "reason": "flyway does not run it (it runs V<version>__<description>.sql or R__<description>.sql)"
            },
            {
                "path": format!("{DIR}/services/orders/migrations/1_orders.down.sql"),
                "reason": "a down migration: --include-down lints it"
            }
        ])
    );
    // With --include-down the down migration is read, after the ups.
    let (_, v, _) = json(&["--var", "reader=analyst", "--include-down", DIR]);
    assert_eq!(v["skipped"].as_array().map(Vec::len), Some(1));
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let down = paths
        .iter()
        .position(|p| p.ends_with("1_orders.down.sql"))
        .unwrap();
    assert!(
        paths[down - 1].ends_with("2_orders_status.up.sql"),
        "{paths:?}"
    );
    // A single project that reads everything says nothing more than before.
    let (_, v, _) = json(&[&format!("{DIR}/scripts")]);
    assert!(v.get("skipped").is_none(), "{v}");
}

#[test]
fn an_unresolved_placeholder_skips_only_its_project() {
    let (code, v, err) = json(&[DIR]);
    assert_eq!(code, 2, "the run cannot pass: a project was not linted");
    assert!(
        err.contains("ddlint: error: fixtures/layouts/monorepo/services/reports/db/V1__reader.sql:2:33: unresolved placeholder `${reader}`; pass --var reader=VALUE"),
        "{err}"
    );
    let skipped = v["skipped"].as_array().unwrap();
    let reports = skipped
        .iter()
        .find(|s| s["path"] == format!("{DIR}/services/reports/db/V1__reader.sql"))
        .unwrap();
    assert!(
        reports["reason"].as_str().unwrap().starts_with(
            "its project (fixtures/layouts/monorepo/services/reports/db) could not be read: "
        ),
        "{reports}"
    );
    // The other projects are linted.
    assert_eq!(v["files"].as_array().unwrap().len(), 5);
    // Alone, the project is an error as before: no report.
    let (code, v, err) = json(&[&format!("{DIR}/services/reports/db")]);
    assert_eq!((code, v), (2, serde_json::Value::Null), "{err}");
}

#[test]
fn files_named_from_two_projects_are_two_projects() {
    let (_, v, _) = json(&[
        &format!("{DIR}/services/orders/migrations/1_orders.up.sql"),
        &format!("{DIR}/services/billing/db/migration/V1__orders.sql"),
        &format!("{DIR}/services/billing/db/migration/V2__customer_fk.sql"),
    ]);
    let rules = rules_by_file(&v);
    assert_eq!(
        rules.get("services/billing/db/migration/V2__customer_fk.sql"),
        Some(&vec![
            "foreign-key-without-index".to_string(),
            "require-lock-timeout".to_string()
        ])
    );
    assert_eq!(
        rules.get("services/billing/db/migration/V1__orders.sql"),
        None
    );
}

#[test]
fn a_schema_seeds_every_project() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("a")).unwrap();
    std::fs::create_dir_all(d.join("b")).unwrap();
    std::fs::write(
        d.join("a/1_index.up.sql"),
        "CREATE INDEX ax ON audit (x);\n",
    )
    .unwrap();
    std::fs::write(d.join("b/V1__index.sql"), "CREATE INDEX by ON audit (y);\n").unwrap();
    std::fs::write(d.join("schema.sql"), "CREATE TABLE audit (x int, y int);\n").unwrap();
    let dir = d.display().to_string();
    let schema = d.join("schema.sql").display().to_string();
    let unknown = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["statements"][0]["unknown_relations"].clone())
            .collect()
    };
    let (_, v, err) = json(&[&format!("{dir}/a"), &format!("{dir}/b")]);
    assert_eq!(
        unknown(&v),
        vec![serde_json::json!(["public.audit"]); 2],
        "{err}"
    );
    let (_, v, err) = json(&[
        "--schema",
        &schema,
        &format!("{dir}/a"),
        &format!("{dir}/b"),
    ]);
    assert_eq!(unknown(&v), vec![serde_json::Value::Null; 2], "{err}");
    assert_eq!(v["files"].as_array().unwrap().len(), 2, "{err}");
}

#[test]
fn dry_run_refuses_several_projects() {
    let out = ddlint(&["dry-run", "--no-config", "--var", "reader=x", DIR]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("these paths hold 4: ") && err.contains("dry-run each project's directory"),
        "{err}"
    );
}

#[test]
fn monorepo_report_snapshot() {
    // Without --var reader=...: the reports project is not linted.
    let o = ddlint(&["check", "--no-config", "--color", "never", DIR]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("monorepo_text", String::from_utf8(o.stdout).unwrap());
    let o = ddlint(&[
        "check",
        "--no-config",
        "--format",
        "json",
        "--var",
        "reader=analyst",
        DIR,
    ]);
    // Compact when not on a terminal: indented here to review.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    insta::assert_snapshot!("monorepo_json", serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn stdin_joins_the_project_its_name_shows() {
    // An editor's unsaved migration, linted after billing's history.
    let billing = format!("{DIR}/services/billing/db/migration");
    let name = format!("{billing}/V3__customer_index.sql");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--no-config", "--format", "json"])
        .args(["--stdin-filename", &name, &billing, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"CREATE INDEX orders_customer_id ON orders (customer_id);\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = statement(
        &v,
        "services/billing/db/migration/V3__customer_index.sql",
        1,
    );
    assert_eq!(s["locks"][0]["relation"], "public.orders");
    assert!(s.get("unknown_relations").is_none(), "{s}");
    assert!(
        rules_by_file(&v)["services/billing/db/migration/V3__customer_index.sql"]
            .contains(&"require-concurrent-index".to_string())
    );
}
