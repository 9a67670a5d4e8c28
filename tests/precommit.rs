//! The pre-commit hook (`.pre-commit-hooks.yaml`) works for other
//! repositories: the real `pre-commit` from PyPI installs this checkout's
//! hook (building ddlint with `cargo install`, as any user's machine would)
//! and runs it on a temporary git repository, once on a bad migration
//! (fails, showing the finding) and once on a safe one (passes).

use std::path::{Path, PathBuf};
use std::process::Command;

fn sh(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn pre_commit(cache: &Path) -> Option<PathBuf> {
    let venv = cache.join("venv");
    let bin = venv.join("bin/pre-commit");
    if bin.exists() {
        return Some(bin);
    }
    let ok = sh(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .status
        .success()
        && sh(Command::new(venv.join("bin/pip")).args(["install", "-q", "pre-commit"]))
            .status
            .success();
    ok.then_some(bin)
}

#[test]
fn pre_commit_hook_runs_from_this_checkout() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let required = std::env::var_os("CI").is_some();
    if !root.join(".git").exists() {
        assert!(!required, "the checkout must be a git repository");
        return;
    }
    let cache = root.join("target/pre-commit-test");
    std::fs::create_dir_all(&cache).unwrap();
    let Some(pc) = pre_commit(&cache) else {
        assert!(!required, "could not install pre-commit from PyPI");
        eprintln!("skipping: pre-commit could not be installed");
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let o = sh(Command::new("git").args(args).current_dir(repo.path()));
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);
    std::fs::write(
        repo.path().join("bad.sql"),
        "CREATE INDEX orders_created_at ON orders (created_at);\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("good.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    )
    .unwrap();
    git(&["add", "."]);
    let run = |file: &str| {
        sh(Command::new(&pc)
            .args([
                "try-repo",
                root.to_str().unwrap(),
                "ddlint",
                "--files",
                file,
            ])
            .current_dir(repo.path())
            .env("PRE_COMMIT_HOME", cache.join("home"))
            .env("CARGO_TARGET_DIR", cache.join("cargo-target"))
            .env("NO_COLOR", "1"))
    };
    let bad = run("bad.sql");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(
        !bad.status.success(),
        "the bad migration must fail the hook:\n{out}"
    );
    assert!(
        out.contains("require-concurrent-index") && out.contains("bad.sql:1:1"),
        "{out}"
    );
    let good = run("good.sql");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(good.status.success(), "the safe migration passes:\n{out}");
}
