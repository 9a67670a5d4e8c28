//! Advice in the project's own terms: the same statement, needing to run
//! outside a transaction, under each migration tool, gets that tool's way
//! of running a file without one (`src/rules/tool.rs`); `--fix` writes the
//! switch where the tool reads it from the file; rules that depend on how
//! the tool runs a file follow it (sqitch: one psql session per change).

use std::path::Path;
use std::process::Command;

const SCHEMA: &str =
    "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz, amount integer);\n";
const INDEX: &str = "CREATE INDEX orders_created_at ON orders (created_at);";

fn ddlint(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .current_dir(cwd)
        .args([
            "check",
            "--no-config",
            "--format",
            "json",
            "--schema",
            "schema.sql",
        ])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(root: &Path, name: &str, text: &str) {
    let p = root.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A project per tool, each with one file that builds an index on an
/// existing table (alone in its file, or next to another statement).
struct Project {
    layout: &'static str,
    dir: &'static str,
    files: Vec<(&'static str, String)>,
    args: &'static [&'static str],
}

fn projects() -> Vec<Project> {
    let p = |layout, dir, files: Vec<(&'static str, String)>| Project {
        layout,
        dir,
        files,
        args: &[],
    };
    vec![
        p("goose", "goose", vec![("001_idx.sql", format!("-- +goose Up\n{INDEX}\n"))]),
        p(
            "goose",
            "goose-with-more",
            vec![(
                "001_idx.sql",
                format!("-- +goose Up\n{INDEX}\nALTER TABLE orders ADD COLUMN note text;\n"),
            )],
        ),
        p(
            "sql-migrate",
            "sql-migrate",
            vec![(
                "1_idx.sql",
                format!("-- +migrate Up\n{INDEX}\n\n-- +migrate Down\nDROP INDEX orders_created_at;\n"),
            )],
        ),
        p(
            "dbmate",
            "dbmate",
            vec![(
                "20240101000000_idx.sql",
                format!("-- migrate:up\n{INDEX}\n\n-- migrate:down\nDROP INDEX orders_created_at;\n"),
            )],
        ),
        p(
            "dbmate",
            "dbmate-with-more",
            vec![(
                "20240101000000_idx.sql",
                format!("-- migrate:up\n{INDEX}\nALTER TABLE orders ADD COLUMN note text;\n"),
            )],
        ),
        p("sqlx", "sqlx", vec![("20240101000000_idx.sql", format!("{INDEX}\n"))]),
        p(
            "graphile-migrate",
            "graphile-migrate",
            vec![
                (
                    "committed/000001.sql",
                    format!("--! Previous: -\n--! Hash: sha1:0123\n\n{INDEX}\n"),
                ),
                ("current.sql", String::new()),
            ],
        ),
        p(
            "liquibase",
            "liquibase",
            vec![(
                "changelog.sql",
                format!("--liquibase formatted sql\n\n--changeset me:1\n{INDEX}\n"),
            )],
        ),
        p(
            "diesel",
            "diesel",
            vec![
                ("2024-01-01-000000_idx/up.sql", format!("{INDEX}\n")),
                ("2024-01-01-000000_idx/down.sql", "DROP INDEX orders_created_at;\n".into()),
            ],
        ),
        p("flyway", "flyway", vec![("V2__idx.sql", format!("{INDEX}\n"))]),
        p(
            "flyway",
            "flyway-with-more",
            vec![(
                "V2__idx.sql",
                format!("{INDEX}\nALTER TABLE orders ADD COLUMN note text;\n"),
            )],
        ),
        p("pop", "pop", vec![("20240101000000_idx.up.sql", format!("{INDEX}\n"))]),
        p(
            "golang-migrate",
            "golang-migrate",
            vec![(
                "2_idx.up.sql",
                format!("{INDEX}\nALTER TABLE orders ADD COLUMN note text;\n"),
            )],
        ),
        p(
            "prisma",
            "prisma",
            vec![(
                "20240101000000_idx/migration.sql",
                format!("{INDEX}\nALTER TABLE orders ADD COLUMN note text;\n"),
            )],
        ),
        p(
            "django",
            "django",
            vec![(
                "0002_idx.sql",
                format!("BEGIN;\n--\n-- Create index orders_created_at on field(s) created_at of model order\n--\n{INDEX}\nCOMMIT;\n"),
            )],
        ),
        p(
            "alembic",
            "alembic",
            vec![(
                "upgrade.sql",
                format!("BEGIN;\n\n-- Running upgrade a1 -> b2\n\n{INDEX}\n\nUPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';\n\nCOMMIT;\n"),
            )],
        ),
        p(
            "sqitch",
            "sqitch",
            vec![
                (
                    "sqitch.plan",
                    "%syntax-version=1.0.0\n%project=shop\n\nidx 2024-01-01T00:00:00Z Me <me@example.com> # index\n".into(),
                ),
                ("deploy/idx.sql", format!("BEGIN;\n{INDEX}\nCOMMIT;\n")),
                ("revert/idx.sql", "DROP INDEX orders_created_at;\n".into()),
            ],
        ),
        p(
            "drizzle",
            "drizzle",
            vec![
                ("0000_idx.sql", INDEX.to_string()),
                (
                    "meta/_journal.json",
                    "{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"version\": \"7\",\n      \"when\": 1704067200000,\n      \"tag\": \"0000_idx\",\n      \"breakpoints\": true\n    }\n  ]\n}".into(),
                ),
            ],
        ),
        p("atlas", "atlas", vec![("20240101000000_idx.sql", format!("-- Create index \"orders_created_at\" to table: \"orders\"\n{INDEX}\n"))]),
        p(
            "atlas",
            "atlas-with-more",
            vec![(
                "20240101000000_idx.sql",
                format!("{INDEX}\nALTER TABLE orders ADD COLUMN note text;\n"),
            )],
        ),
        p(
            "node-pg-migrate",
            "node-pg-migrate",
            vec![(
                "1704067200000_idx.sql",
                format!("-- Up Migration\n{INDEX}\n\n-- Down Migration\nDROP INDEX orders_created_at;\n"),
            )],
        ),
        Project {
            layout: "psql",
            dir: "psql-assumed-in-transaction",
            files: vec![("idx.sql", format!("{INDEX}\n"))],
            args: &["--assume-in-transaction"],
        },
    ]
}

/// Each finding of the project: rule, line, help and fix.
fn findings(root: &Path, p: &Project, rules: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["--ignore", "all", "--layout", p.layout];
    for r in rules {
        args.extend(["--select", r]);
    }
    args.extend(p.args.iter().copied());
    args.push(p.dir);
    let (code, v, err) = ddlint(root, &args);
    assert!(code == 0 || code == 1, "{}: exit {code}: {err}", p.dir);
    let mut out = String::new();
    for f in v["findings"].as_array().unwrap() {
        out.push_str(&format!(
            "{} {}:{}\n  help: {}\n",
            f["rule"].as_str().unwrap(),
            f["path"].as_str().unwrap(),
            f["line"],
            f["help"].as_str().unwrap_or("-"),
        ));
        if let Some(fix) = f["fix"].as_str() {
            out.push_str("  fix:\n");
            for l in fix.lines() {
                out.push_str(&format!("    {l}\n"));
            }
        }
    }
    (v, out)
}

fn setup() -> (tempfile::TempDir, Vec<Project>) {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "schema.sql", SCHEMA);
    let ps = projects();
    for p in &ps {
        for (name, text) in &p.files {
            write(&t.path().join(p.dir), name, text);
        }
    }
    (t, ps)
}

#[test]
fn require_concurrent_index_advice_per_tool() {
    let (t, ps) = setup();
    let mut all = String::new();
    for p in &ps {
        let (_, out) = findings(t.path(), p, &["require-concurrent-index"]);
        assert!(
            out.starts_with("require-concurrent-index "),
            "{}: {out}",
            p.dir
        );
        all.push_str(&format!("== {} ({})\n{out}\n", p.dir, p.layout));
    }
    insta::assert_snapshot!("require_concurrent_index_per_tool", all);
}

/// The same files with CONCURRENTLY already written: the statement the
/// tool runs in a transaction fails, and the help says how this tool runs
/// it without one.
#[test]
fn no_transaction_block_advice_per_tool() {
    let (t, ps) = setup();
    let mut all = String::new();
    for p in &ps {
        for (name, text) in &p.files {
            let concurrent =
                text.replace("CREATE INDEX orders", "CREATE INDEX CONCURRENTLY orders");
            write(&t.path().join(p.dir), name, &concurrent);
        }
        let (_, out) = findings(t.path(), p, &["no-transaction-block"]);
        all.push_str(&format!("== {} ({})\n{out}\n", p.dir, p.layout));
    }
    insta::assert_snapshot!("no_transaction_block_per_tool", all);
}

/// `--fix` writes CONCURRENTLY and the tool's in-file switch; the fixed
/// project lints clean (no index build under a lock, nothing refused in a
/// transaction).
#[test]
fn fix_writes_the_tools_switch_and_lints_clean() {
    let (t, ps) = setup();
    let rules = ["require-concurrent-index", "no-transaction-block"];
    let mut all = String::new();
    for p in ps.iter().filter(|p| {
        matches!(
            p.dir,
            "goose"
                | "sql-migrate"
                | "dbmate"
                | "sqlx"
                | "graphile-migrate"
                | "liquibase"
                | "flyway"
                | "atlas"
        )
    }) {
        let mut args = vec!["--ignore", "all", "--layout", p.layout, "--fix"];
        for r in rules {
            args.extend(["--select", r]);
        }
        args.push(p.dir);
        let (_, _, err) = ddlint(t.path(), &args);
        assert!(err.contains("fixed"), "{}: {err}", p.dir);
        let (v, out) = findings(t.path(), p, &rules);
        assert!(out.is_empty(), "{}: after --fix:\n{out}", p.dir);
        let (name, _) = &p.files[0];
        let fixed = std::fs::read_to_string(t.path().join(p.dir).join(name)).unwrap();
        all.push_str(&format!("== {}/{name}\n{fixed}\n", p.dir));
        // It still runs where the tool says: outside a transaction.
        let st = &v["files"][0]["statements"];
        assert!(
            st.as_array()
                .unwrap()
                .iter()
                .all(|s| s["in_transaction"] == false),
            "{}: {st}",
            p.dir
        );
    }
    insta::assert_snapshot!("fixed_per_tool", all);
}

/// sqitch runs every change with a new psql: a SET in a deploy script ends
/// with it and leaks into no pooled connection. The same script read as a
/// plain psql script (which may share a session with what runs next) is
/// reported.
#[test]
fn session_settings_do_not_leak_from_a_sqitch_change() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "schema.sql", SCHEMA);
    let script =
        "BEGIN;\nSET search_path = public;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n";
    let sqitch = t.path().join("sqitch");
    write(
        &sqitch,
        "sqitch.plan",
        "%syntax-version=1.0.0\n%project=shop\n\nnote 2024-01-01T00:00:00Z Me <me@example.com> # note\n",
    );
    write(&sqitch, "deploy/note.sql", script);
    write(
        &sqitch,
        "revert/note.sql",
        "ALTER TABLE orders DROP COLUMN note;\n",
    );
    write(t.path(), "psql/note.sql", script);
    let rules = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let select = [
        "--ignore",
        "all",
        "--select",
        "session-setting-in-transaction",
    ];
    let (code, v, err) = ddlint(
        t.path(),
        &[&select[..], &["--layout", "sqitch", "sqitch"]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["files"][0]["path"], "sqitch/deploy/note.sql", "{v}");
    assert!(rules(&v).is_empty(), "{v}");
    let (code, v, err) = ddlint(
        t.path(),
        &[&select[..], &["--layout", "psql", "psql"]].concat(),
    );
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(rules(&v), vec!["session-setting-in-transaction"], "{v}");
}
