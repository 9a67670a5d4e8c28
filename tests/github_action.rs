//! The GitHub Action's script (`scripts/github-action.sh`, run by
//! `action.yml`) with the environment GitHub provides: a pull request
//! branch cloned from an origin, its base branch, a job summary file. The
//! migration the pull request adds is annotated and summarised; the one
//! already on the base branch is replayed but not reported.

mod support;

use std::path::Path;
use std::process::Command;

use support::dist;

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

/// The Action's install step (`scripts/github-action-install.sh`) with the
/// default `install: prebuilt`: the pinned wheel is fetched with pip (here
/// from the locally built artefacts, `PIP_NO_INDEX`), only its binary is kept
/// in the tool cache that action.yml caches, and the next run takes it from
/// there. Nothing is compiled: there is no Rust on PATH.
#[test]
fn action_installs_the_prebuilt_binary_and_reuses_the_cache() {
    let Some(dist) = dist::dir() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/github-action-install.sh");
    let tmp = tempfile::tempdir().unwrap();
    let tool_cache = tmp.path().join("tool-cache");
    let github_path = tmp.path().join("github-path");
    let path = dist::path_without_rust(&[]);
    let install = |version: &str, mode: &str| {
        Command::new("bash")
            .arg(&script)
            .env("PATH", &path)
            .env("RUNNER_TOOL_CACHE", &tool_cache)
            .env("RUNNER_TEMP", tmp.path())
            .env("GITHUB_PATH", &github_path)
            .env("INPUT_VERSION", version)
            .env("INPUT_INSTALL", mode)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &dist)
            .output()
            .unwrap()
    };
    let version = dist::VERSION;
    let printed = Command::new("bash")
        .arg(&script)
        .arg("--print-version")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), version);

    let first = install("", "prebuilt");
    let log = String::from_utf8_lossy(&first.stdout).into_owned()
        + &String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{log}");
    let dir = tool_cache.join(format!("ddlint/{version}/x64"));
    assert!(
        log.contains(&format!("installed in {}", dir.display())),
        "{log}"
    );
    assert!(log.contains(&format!("ddlint {version}")), "{log}");
    assert_eq!(
        std::fs::read_to_string(&github_path).unwrap(),
        format!("{}\n", dir.display())
    );
    // The binary is the wheel's, byte for byte.
    let unpacked = tempfile::tempdir().unwrap();
    let packaged = dist::unpack_binary(&dist, unpacked.path());
    assert_eq!(
        std::fs::read(dir.join("ddlint")).unwrap(),
        std::fs::read(packaged).unwrap()
    );

    // A tag-style version, and the cache on the next run.
    let second = install(&format!("v{version}"), "prebuilt");
    let log = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(second.status.success(), "{log}");
    assert!(log.contains("from the cache"), "{log}");

    // A version that was never released fails with what to do.
    let missing = install("0.0.0-nope", "prebuilt");
    let log = String::from_utf8_lossy(&missing.stdout).into_owned();
    assert!(!missing.status.success());
    assert!(
        log.contains("could not download the ddlint 0.0.0-nope wheel")
            && log.contains("install: source"),
        "{log}"
    );
    let bad = install("", "compile");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("prebuilt, source or path"));
}
