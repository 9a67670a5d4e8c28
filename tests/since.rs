//! `--since REF` on real temporary git repositories: added, modified,
//! renamed, deleted and untracked migrations; run from a subdirectory; a
//! shallow clone without the ref gives a clear message.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository with two applied migrations on `main` and a `feature`
/// branch checked out.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.email", "dev@example.com"]);
    git(d, &["config", "user.name", "Dev"]);
    git(d, &["config", "commit.gpgsign", "false"]);
    write(
        d,
        "db/migrations/001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN email text;\n",
    );
    write(
        d,
        "db/migrations/002_orders.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n",
    );
    write(d, "README.md", "app\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "init"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    t
}

fn ddlint(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .current_dir(cwd)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn reported(v: &serde_json::Value) -> Vec<String> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn findings<'a>(v: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn added_modified_and_untracked() {
    let t = repo();
    let d = t.path();
    // committed on the branch
    write(
        d,
        "db/migrations/003_index.sql",
        "CREATE INDEX orders_user ON orders (user_id);\n",
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "index"]);
    // edited in the working tree, not committed
    write(d, "db/migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN email text NOT NULL;\n");
    // untracked
    write(
        d,
        "db/migrations/004_more.sql",
        "ALTER TABLE orders ADD COLUMN note text;\n",
    );
    let (code, v, err) = ddlint(d, &["--since", "main", "db/migrations"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        reported(&v),
        vec![
            "db/migrations/001_users.sql",
            "db/migrations/003_index.sql",
            "db/migrations/004_more.sql"
        ]
    );
    let m = findings(&v, "modified-applied-migration");
    assert_eq!(m.len(), 1, "{v}");
    assert_eq!(m[0]["path"], "db/migrations/001_users.sql");
    assert_eq!(m[0]["category"], "failure");
    assert_eq!(m[0]["severity"], "error");
    assert_eq!(m[0]["line"], 2, "points at the first edited line");
    // The history was replayed: orders exists before 003 creates the index.
    let idx = &v["files"][1]["statements"][0];
    assert_eq!(idx["locks"][0]["relation"], "public.orders");
    assert_eq!(idx["locks"][0]["mode"], "ShareLock");
}

#[test]
fn renamed_and_deleted() {
    let t = repo();
    let d = t.path();
    git(
        d,
        &[
            "mv",
            "db/migrations/002_orders.sql",
            "db/migrations/005_orders.sql",
        ],
    );
    git(d, &["rm", "-q", "db/migrations/001_users.sql"]);
    git(d, &["commit", "-q", "-m", "reshuffle"]);
    let (code, v, err) = ddlint(d, &["--since", "main", "db/migrations"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(reported(&v), vec!["db/migrations/005_orders.sql"]);
    let m = findings(&v, "modified-applied-migration");
    assert_eq!(m.len(), 1);
    assert!(m[0]["message"]
        .as_str()
        .unwrap()
        .contains("renamed from db/migrations/002_orders.sql"));
    assert!(
        err.contains("db/migrations/001_users.sql existed at main and was deleted"),
        "{err}"
    );
}

#[test]
fn nothing_changed_reports_nothing() {
    let t = repo();
    let (code, v, err) = ddlint(t.path(), &["--since", "main", "db/migrations"]);
    assert_eq!(code, 0, "{err}");
    assert!(reported(&v).is_empty());
    assert_eq!(v["summary"]["files"], 0);
}

#[test]
fn from_a_subdirectory() {
    let t = repo();
    let d = t.path();
    write(
        d,
        "db/migrations/003_index.sql",
        "CREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\n",
    );
    let sub = d.join("db/migrations");
    let (code, v, err) = ddlint(&sub, &["--since", "main", "."]);
    assert_eq!(code, 0, "{err}");
    let r = reported(&v);
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].ends_with("003_index.sql"));
    // and naming files from elsewhere in the tree
    let (code, v, err) = ddlint(&d.join("db"), &["--since", "main", "migrations"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(reported(&v), vec!["migrations/003_index.sql"]);
}

#[test]
fn missing_ref_in_a_shallow_clone() {
    let t = repo();
    let d = t.path();
    write(d, "db/migrations/003_index.sql", "SELECT 1;\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "more"]);
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", d.display());
    git(
        clone.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "c",
        ],
    );
    let c = clone.path().join("c");
    let (code, _, err) = ddlint(&c, &["--since", "origin/main", "db/migrations"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`origin/main` is not a commit in this repository"),
        "{err}"
    );
    assert!(err.contains("shallow clone"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");
}

#[test]
fn not_a_repository() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "m/001.sql", "SELECT 1;\n");
    let (code, _, err) = ddlint(t.path(), &["--since", "main", "m"]);
    assert_eq!(code, 2);
    assert!(err.contains("not inside a git repository"), "{err}");
}

/// The finding goes through the rules like every other: an inline
/// `ignore-file` suppresses it and is not itself an unused ignore, and the
/// configuration can turn it off.
#[test]
fn modified_applied_migration_obeys_ignores_and_configuration() {
    let t = repo();
    let d = t.path();
    write(
        d,
        "db/migrations/002_orders.sql",
        "-- ddlint: ignore-file modified-applied-migration -- reviewed: comment-only change\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n",
    );
    let (_, v, err) = ddlint(d, &["--since", "main", "db/migrations"]);
    assert!(findings(&v, "modified-applied-migration").is_empty(), "{v}");
    assert!(findings(&v, "unused-ignore").is_empty(), "{v} {err}");
    write(
        d,
        "db/migrations/002_orders.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n-- edited\n",
    );
    write(
        d,
        "ddlint.yaml",
        "rules:\n  disable: [modified-applied-migration]\n",
    );
    let (_, v, _) = ddlint(d, &["--since", "main", "db/migrations"]);
    assert!(findings(&v, "modified-applied-migration").is_empty(), "{v}");
}
