//! Applied history (`ddlint.lock`): `ddlint init` records the migrations
//! already there, `check` then reports nothing about them, an edited
//! applied migration is a `modified-applied-migration` error (no git
//! needed), a new migration is reported with exactly its findings,
//! `accept` records it, `--all` judges everything. Snapshots of the lock
//! file and of each report.

use std::path::Path;
use std::process::Command;

fn ddlint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run ddlint");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/applied")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn init_check_edit_add_accept() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    copy_dir(&fixture("migrations"), &dir.join("migrations"));

    // init: the configuration and the lock file with both migrations.
    let (code, _, err) = ddlint(dir, &["init"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("2 migrations recorded as applied (2 new"),
        "{err}"
    );
    insta::assert_snapshot!(
        "lock_after_init",
        std::fs::read_to_string(dir.join("ddlint.lock")).unwrap()
    );

    // check right after init: nothing to report.
    let (code, out, err) = ddlint(dir, &["check", "migrations"]);
    assert_eq!(code, 0, "{out}{err}");
    insta::assert_snapshot!("check_after_init", out);
    let (_, json, _) = ddlint(dir, &["check", "--format", "json", "migrations"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{json}");

    // An applied migration edited: an error at its first line, without git.
    let applied = dir.join("migrations/002_orders_index.sql");
    let original = std::fs::read_to_string(&applied).unwrap();
    std::fs::write(&applied, original.replace("(amount)", "(amount, id)")).unwrap();
    let (code, out, _) = ddlint(dir, &["check", "migrations"]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("check_edited_applied", out);
    std::fs::write(&applied, &original).unwrap();

    // A new migration: exactly its findings, as `--all` gives them for it.
    std::fs::copy(
        fixture("new/003_orders_customer.sql"),
        dir.join("migrations/003_orders_customer.sql"),
    )
    .unwrap();
    let (code, out, _) = ddlint(dir, &["check", "migrations"]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("check_new_migration", out);
    let rules_in = |json: &str, file: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(file))
            .map(|f| format!("{} {}:{}", f["rule"], f["line"], f["column"]))
            .collect()
    };
    let (_, new_only, _) = ddlint(dir, &["check", "--format", "json", "migrations"]);
    let (_, all, _) = ddlint(dir, &["check", "--all", "--format", "json", "migrations"]);
    let v: serde_json::Value = serde_json::from_str(&new_only).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["path"]
        .as_str()
        .unwrap()
        .ends_with("003_orders_customer.sql")));
    assert_eq!(
        rules_in(&new_only, "003_orders_customer.sql"),
        rules_in(&all, "003_orders_customer.sql")
    );
    assert!(
        !rules_in(&all, "002_orders_index.sql").is_empty(),
        "--all judges the applied ones"
    );

    // accept: recorded, so check is clean again; the lock names it.
    let (code, _, err) = ddlint(dir, &["accept", "migrations"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("3 migrations recorded as applied (1 new, 0 changed, 2 unchanged)"),
        "{err}"
    );
    let (code, out, _) = ddlint(dir, &["check", "migrations"]);
    assert_eq!(code, 0, "{out}");

    // A recorded file that is gone: a warning, the run goes on.
    std::fs::remove_file(dir.join("migrations/003_orders_customer.sql")).unwrap();
    let (code, _, err) = ddlint(dir, &["check", "migrations"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "migrations/003_orders_customer.sql is recorded as applied in ddlint.lock but is gone"
        ),
        "{err}"
    );

    // A lock file given explicitly, from another directory.
    let (code, out, _) = ddlint(
        &dir.join("migrations"),
        &["check", "--lock", "../ddlint.lock", "."],
    );
    assert_eq!(code, 0, "{out}");
    // init refuses to overwrite; a broken lock file is a usage error.
    let (code, _, err) = ddlint(dir, &["init"]);
    assert_eq!(code, 2, "{err}");
    std::fs::write(dir.join("ddlint.lock"), "projects: [1, 2]\n").unwrap();
    let (code, _, err) = ddlint(dir, &["check", "migrations"]);
    assert_eq!(code, 2);
    assert!(err.contains("ddlint.lock: not a ddlint lock file"), "{err}");
}
