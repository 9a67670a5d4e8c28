//! The GitHub Action's script (`scripts/github-action.sh`, run by
//! `action.yml`) with the environment GitHub provides: a pull request
//! branch cloned from an origin, its base branch, a job summary file. The
//! migration the pull request adds is annotated and summarised; the one
//! already on the base branch is replayed but not reported.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn action_script_annotates_the_pull_request_migrations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin.git");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(
        tmp.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["config", "user.email", "ci@example.com"]);
    git(&work, &["config", "user.name", "ci"]);
    std::fs::create_dir_all(work.join("migrations")).unwrap();
    std::fs::write(
        work.join("migrations/001_orders.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz);\n",
    )
    .unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "base"]);
    git(
        &work,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&work, &["push", "-q", "origin", "main"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(
        work.join("migrations/002_index.sql"),
        "CREATE INDEX orders_created_at ON orders (created_at);\n",
    )
    .unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "add index"]);

    let summary = tmp.path().join("summary.md");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ddlint")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(root.join("scripts/github-action.sh"))
        .current_dir(&work)
        .env("PATH", path)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_BASE_REF", "main")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("INPUT_PATHS", "migrations")
        .env("INPUT_PG_VERSION", "16")
        .env_remove("INPUT_BASE_REF")
        .env_remove("INPUT_ARGS")
        .output()
        .expect("run the action script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the index blocks writes: {stdout}{stderr}"
    );
    assert!(
        stdout.contains("::error file=migrations/002_index.sql,line=1,col=1,")
            && stdout.contains("title=ddlint require-concurrent-index::"),
        "{stdout}{stderr}"
    );
    assert!(
        !stdout.contains("001_orders.sql"),
        "the base branch's migration is history only: {stdout}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("## ddlint:")
            && md.contains("`migrations/002_index.sql`")
            && md.contains("require-concurrent-index"),
        "{md}"
    );
}
